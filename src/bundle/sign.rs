//! Origin: `bundle --sign-key KEY --sign-cert CERT` writes `manifest.json.p7s`, a detached CMS (PKCS#7) signature
//! over the exact bytes of manifest.json (DER, SHA-256, the signer's certificate included), and
//! `verify-bundle --signer-cert CERT` checks it. The manifest holds the SHA-256 of every other file, so a valid
//! signature covers the whole bundle; the signature cannot be listed in the manifest it signs, so it sits beside
//! it. A reviewer without fedcheck checks it with plain OpenSSL:
//!
//! ```sh
//! openssl cms -verify -binary -inform DER -in manifest.json.p7s -content manifest.json \
//!     -CAfile CERT -purpose any -out /dev/null
//! ```
//!
//! (`-partial_chain` too when CERT is the signer's own certificate but not self-signed.)

use super::verify::SignatureCheck;
use super::BundleError;
use openssl::cms::{CMSOptions, CmsContentInfo};
use openssl::hash::MessageDigest;
use openssl::pkey::{Id, PKey, Private};
use openssl::stack::Stack;
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::verify::X509VerifyFlags;
use openssl::x509::{X509PurposeId, X509};
use std::path::{Path, PathBuf};

/// The largest key or certificate file read.
const MAX_PEM_BYTES: u64 = 1 << 20;

/// A signing key and its certificate (`--sign-key`, `--sign-cert`), checked to belong together.
#[derive(Clone)]
pub struct Signer {
    key: PKey<Private>,
    cert: X509,
    /// `--sign-cert` as given, for messages.
    cert_path: PathBuf,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("Signer")
            .field("cert", &subject(&self.cert))
            .field("cert_path", &self.cert_path)
            .finish_non_exhaustive()
    }
}

/// Why `--sign-key` / `--sign-cert` cannot sign.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignerProblem {
    /// The file cannot be read.
    #[error("{0}")]
    Unreadable(std::io::Error),
    /// Larger than a key or certificate ever is.
    #[error("larger than {} KiB: not a key or certificate", MAX_PEM_BYTES >> 10)]
    TooLarge,
    /// Not a PEM or DER private key (an encrypted key is refused too: give it decrypted, e.g. from a secret
    /// store, with `openssl pkey -in KEY -out KEY.pem`).
    #[error("not an unencrypted PEM or DER private key ({0})")]
    NotAKey(openssl::error::ErrorStack),
    /// Not a PEM or DER certificate.
    #[error("not a PEM or DER certificate ({0})")]
    NotACert(openssl::error::ErrorStack),
    /// A key type whose CMS signature would not use SHA-256.
    #[error("a {0} key; use an RSA (2048 bits or more) or EC key, whose CMS signatures use SHA-256")]
    KeyType(String),
    /// An RSA key under 2048 bits.
    #[error("an RSA key of {0} bits; use 2048 bits or more")]
    WeakKey(u32),
    /// The key is not the certificate's.
    #[error("the key does not belong to --sign-cert {}", .0.display())]
    Mismatch(PathBuf),
    /// OpenSSL failed to sign.
    #[error("cannot sign: {0}")]
    Sign(openssl::error::ErrorStack),
}

/// Reads a small file given with a flag, within [`MAX_PEM_BYTES`].
fn read_small(p: &Path) -> Result<Vec<u8>, SignerProblem> {
    use std::io::Read as _;
    let f = std::fs::File::open(p).map_err(SignerProblem::Unreadable)?;
    let mut data = Vec::new();
    f.take(MAX_PEM_BYTES + 1)
        .read_to_end(&mut data)
        .map_err(SignerProblem::Unreadable)?;
    if data.len() as u64 > MAX_PEM_BYTES {
        return Err(SignerProblem::TooLarge);
    }
    Ok(data)
}

/// Reads a certificate, PEM or DER (the first one of a PEM file).
pub fn read_cert(p: &Path) -> Result<X509, SignerProblem> {
    let data = read_small(p)?;
    X509::from_pem(&data)
        .or_else(|_| X509::from_der(&data))
        .map_err(SignerProblem::NotACert)
}

impl Signer {
    /// Loads `--sign-key` and `--sign-cert` and checks that the key is the certificate's, and that its CMS
    /// signatures use SHA-256 (RSA of 2048 bits or more, or EC).
    pub fn from_files(key: &Path, cert: &Path) -> Result<Signer, BundleError> {
        let bad = |flag: &'static str, path: &Path| {
            let path = path.to_path_buf();
            move |problem| BundleError::Signer { flag, path, problem }
        };
        let data = read_small(key).map_err(bad("--sign-key", key))?;
        let pkey = PKey::private_key_from_pem(&data)
            .or_else(|_| PKey::private_key_from_der(&data))
            .map_err(|e| bad("--sign-key", key)(SignerProblem::NotAKey(e)))?;
        match pkey.id() {
            Id::RSA if pkey.bits() < 2048 => return Err(bad("--sign-key", key)(SignerProblem::WeakKey(pkey.bits()))),
            Id::RSA | Id::EC => {}
            other => return Err(bad("--sign-key", key)(SignerProblem::KeyType(format!("{other:?}")))),
        }
        let x509 = read_cert(cert).map_err(bad("--sign-cert", cert))?;
        let matches = x509.public_key().map(|pk| pk.public_eq(&pkey)).unwrap_or(false);
        if !matches {
            return Err(bad("--sign-key", key)(SignerProblem::Mismatch(cert.to_path_buf())));
        }
        Ok(Signer {
            key: pkey,
            cert: x509,
            cert_path: cert.to_path_buf(),
        })
    }

    /// The certificate's subject, for messages.
    pub fn subject(&self) -> String {
        subject(&self.cert)
    }

    /// The detached CMS signature (DER) over `manifest`: SHA-256 (OpenSSL's digest for RSA and EC keys), binary
    /// content (no newline conversion), the signer's certificate included.
    pub fn sign(&self, manifest: &[u8]) -> Result<Vec<u8>, BundleError> {
        let failed = |e| BundleError::Signer {
            flag: "--sign-key",
            path: self.cert_path.clone(),
            problem: SignerProblem::Sign(e),
        };
        let cms = CmsContentInfo::sign(
            Some(&self.cert),
            Some(&self.key),
            None,
            Some(manifest),
            CMSOptions::DETACHED | CMSOptions::BINARY,
        )
        .map_err(failed)?;
        cms.to_der().map_err(failed)
    }
}

/// A certificate's subject as `CN=..., O=...`.
pub(super) fn subject(cert: &X509) -> String {
    cert.subject_name()
        .entries()
        .map(|e| {
            let key = e.object().nid().short_name().unwrap_or("?");
            let value = e.data().to_string().unwrap_or_default();
            format!("{key}={value}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The manifest's signature against the certificate the reviewer expects, if any.
pub(super) fn check(manifest: &[u8], p7s: Option<&[u8]>, cert: Option<&X509>) -> SignatureCheck {
    let (p7s, cert) = match (p7s, cert) {
        (None, None) => return SignatureCheck::Unsigned,
        (Some(_), None) => return SignatureCheck::NotChecked,
        (None, Some(_)) => {
            return SignatureCheck::Failed(format!(
                "the bundle has no {}: it is not signed, so nothing shows who made it",
                super::SIGNATURE
            ))
        }
        (Some(p), Some(c)) => (p, c),
    };
    match verify_cms(manifest, p7s, cert) {
        Ok(()) => SignatureCheck::Verified {
            subject: subject(cert),
            sha256: cert
                .digest(MessageDigest::sha256())
                .map(|d| d.iter().map(|b| format!("{b:02X}")).collect())
                .unwrap_or_default(),
        },
        Err(why) => SignatureCheck::Failed(why),
    }
}

/// Verifies the detached CMS signature `p7s` over `manifest` with `cert` as the only trust anchor (the signer's
/// own certificate or its CA; any key usage, as `openssl cms -verify -purpose any`).
fn verify_cms(manifest: &[u8], p7s: &[u8], cert: &X509) -> Result<(), String> {
    let reason = |e: openssl::error::ErrorStack| {
        let reasons: Vec<String> = e
            .errors()
            .iter()
            .map(|x| match x.data() {
                Some(d) if !d.is_empty() => format!("{}: {d}", x.reason().unwrap_or("unknown error")),
                _ => x.reason().unwrap_or("unknown error").to_string(),
            })
            .collect();
        if reasons.is_empty() {
            e.to_string()
        } else {
            reasons.join("; ")
        }
    };
    let mut cms = CmsContentInfo::from_der(p7s)
        .map_err(|e| format!("{} is not a DER CMS signature ({})", super::SIGNATURE, reason(e)))?;
    let store = (|| {
        let mut b = X509StoreBuilder::new()?;
        b.add_cert(cert.clone())?;
        b.set_flags(X509VerifyFlags::PARTIAL_CHAIN)?;
        b.set_purpose(X509PurposeId::ANY)?;
        Ok::<_, openssl::error::ErrorStack>(b.build())
    })()
    .map_err(|e| format!("cannot prepare the certificate store ({})", reason(e)))?;
    let mut certs = Stack::new().map_err(&reason)?;
    certs.push(cert.clone()).map_err(&reason)?;
    cms.verify(Some(&certs), Some(&store), Some(manifest), None, CMSOptions::BINARY)
        .map_err(|e| {
            format!(
                "{} does not verify over this manifest.json with --signer-cert ({})",
                super::SIGNATURE,
                reason(e)
            )
        })
}
