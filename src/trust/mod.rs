//! Trust anchors: the certificates whose keys may sign tokens, and the facts a report shows about a certificate.
//!
//! Anchors come from `--idp-cert` files (PEM, DER, or the bare base64 Entra stores in `signingCertificate`), from
//! the domain's federation settings, and from the signing keys of IdP metadata (read by `saml::metadata`).
//! Nothing in a token's own `KeyInfo` is ever trusted unless it is byte-for-byte one of these anchors. This module
//! depends on no other stage: it knows certificates, not documents.

use crate::http;
use base64::Engine;
use openssl::error::ErrorStack;
use openssl::hash::MessageDigest;
use openssl::pkey::{Id, PKey, Public};
use openssl::x509::X509;
use serde::Serialize;

/// The largest certificate file read.
pub const MAX_CERT_FILE: u64 = 1024 * 1024;

/// A certificate trusted to sign tokens, and where it came from.
#[derive(Clone)]
pub struct TrustAnchor {
    /// Where the anchor came from (a file path, or a metadata source and role).
    pub origin: String,
    /// The certificate.
    pub cert: X509,
    /// The certificate's DER encoding.
    pub der: Vec<u8>,
    /// The DER encoding in standard base64 (as it appears in `KeyInfo`), for matching without decoding.
    pub der_base64: String,
    /// The certificate's public key.
    pub key: PKey<Public>,
    /// Facts about the certificate for reports.
    pub info: CertInfo,
}

impl std::fmt::Debug for TrustAnchor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrustAnchor")
            .field("origin", &self.origin)
            .field("info", &self.info)
            .finish()
    }
}

/// What a report says about a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertInfo {
    /// Subject distinguished name, one line.
    pub subject: String,
    /// Issuer distinguished name, one line.
    pub issuer: String,
    /// Serial number, hex.
    pub serial: String,
    /// SHA-1 thumbprint, upper-case hex (the form AD FS and Entra show).
    pub sha1_thumbprint: String,
    /// SHA-256 thumbprint, upper-case hex.
    pub sha256_thumbprint: String,
    /// Start of validity, RFC 3339.
    pub not_before: String,
    /// End of validity, RFC 3339.
    pub not_after: String,
    /// Key algorithm (`RSA`, `EC`, ...).
    pub key_type: String,
    /// Key size in bits.
    pub key_bits: u32,
}

/// Why a certificate could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    /// The file could not be read.
    #[error("{source_name}: cannot read: {error}")]
    Io {
        /// The file.
        source_name: String,
        /// The I/O error.
        error: std::io::Error,
    },
    /// The file is over [`MAX_CERT_FILE`]: no certificate is that large.
    #[error("{source_name}: larger than the {} limit for a certificate file; not a certificate", http::size_text(*limit))]
    TooLarge {
        /// The file.
        source_name: String,
        /// The limit, in bytes.
        limit: u64,
    },
    /// The bytes are not a certificate in any accepted form.
    #[error("{source_name}: not a certificate (expected PEM, DER, or base64 of DER): {problem}")]
    BadCertificate {
        /// The file or metadata element.
        source_name: String,
        /// What openssl or the decoder said.
        problem: CertProblem,
    },
}

/// What is wrong with a certificate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CertProblem {
    /// Neither PEM nor DER nor base64.
    #[error("base64: {0}")]
    Base64(base64::DecodeError),
    /// openssl could not parse or encode it.
    #[error("{}", first_openssl_reason(.0))]
    Parse(ErrorStack),
    /// The public key is of a kind openssl cannot use.
    #[error("unsupported public key: {}", first_openssl_reason(.0))]
    UnsupportedKey(ErrorStack),
    /// A thumbprint or the serial number could not be computed.
    #[error("{0}")]
    Facts(ErrorStack),
}

/// Loads a certificate file in PEM, DER, or bare base64 form (at most [`MAX_CERT_FILE`] bytes).
pub fn load_cert_file(path: &str) -> Result<TrustAnchor, TrustError> {
    let bytes = http::read_file_within(path, MAX_CERT_FILE).map_err(|e| match e {
        http::CappedReadError::TooLarge { limit } => TrustError::TooLarge {
            source_name: path.to_string(),
            limit,
        },
        http::CappedReadError::Io(error) => TrustError::Io {
            source_name: path.to_string(),
            error,
        },
    })?;
    parse_cert(&bytes, path)
}

/// Parses a certificate given as PEM, DER or base64 of DER; `origin` names it in errors and reports.
pub fn parse_cert(bytes: &[u8], origin: &str) -> Result<TrustAnchor, TrustError> {
    let bad = |problem| TrustError::BadCertificate {
        source_name: origin.to_string(),
        problem,
    };
    let trimmed = bytes.trim_ascii();
    let cert = if trimmed.starts_with(b"-----BEGIN") {
        X509::from_pem(trimmed).map_err(CertProblem::Parse)
    } else if trimmed.first() == Some(&0x30) {
        X509::from_der(trimmed).map_err(CertProblem::Parse)
    } else {
        let text: Vec<u8> = trimmed.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect();
        base64::engine::general_purpose::STANDARD
            .decode(&text)
            .map_err(CertProblem::Base64)
            .and_then(|der| X509::from_der(&der).map_err(CertProblem::Parse))
    };
    cert.and_then(|cert| anchor_from_x509(cert, origin)).map_err(bad)
}

fn first_openssl_reason(e: &ErrorStack) -> String {
    e.errors()
        .first()
        .and_then(|x| x.reason().map(str::to_string))
        .unwrap_or_else(|| e.to_string())
}

/// Builds an anchor from a parsed certificate.
pub fn anchor_from_x509(cert: X509, origin: &str) -> Result<TrustAnchor, CertProblem> {
    let der = cert.to_der().map_err(CertProblem::Parse)?;
    let key = cert.public_key().map_err(CertProblem::UnsupportedKey)?;
    let info = cert_info(&cert, &key)?;
    Ok(TrustAnchor {
        origin: origin.to_string(),
        cert,
        der_base64: base64::engine::general_purpose::STANDARD.encode(&der),
        der,
        key,
        info,
    })
}

/// Describes a certificate.
pub fn cert_info(cert: &X509, key: &PKey<Public>) -> Result<CertInfo, CertProblem> {
    let hex = |d: &[u8]| d.iter().map(|b| format!("{b:02X}")).collect::<String>();
    let sha1 = cert.digest(MessageDigest::sha1()).map_err(CertProblem::Facts)?;
    let sha256 = cert.digest(MessageDigest::sha256()).map_err(CertProblem::Facts)?;
    let serial = cert
        .serial_number()
        .to_bn()
        .and_then(|b| b.to_hex_str().map(|s| s.to_string()))
        .map_err(CertProblem::Facts)?;
    let key_type = match key.id() {
        Id::RSA => "RSA",
        Id::EC => "EC",
        Id::ED25519 => "Ed25519",
        Id::DSA => "DSA",
        _ => "other",
    };
    Ok(CertInfo {
        subject: name_line(cert.subject_name()),
        issuer: name_line(cert.issuer_name()),
        serial,
        sha1_thumbprint: hex(&sha1),
        sha256_thumbprint: hex(&sha256),
        not_before: asn1_to_rfc3339(cert.not_before()),
        not_after: asn1_to_rfc3339(cert.not_after()),
        key_type: key_type.to_string(),
        key_bits: key.bits(),
    })
}

fn name_line(name: &openssl::x509::X509NameRef) -> String {
    name.entries()
        .map(|e| {
            let k = e.object().nid().short_name().unwrap_or("?");
            let v = e.data().to_string().unwrap_or_default();
            format!("{k}={v}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Converts an ASN.1 time to RFC 3339 (UTC).
pub fn asn1_to_rfc3339(t: &openssl::asn1::Asn1TimeRef) -> String {
    // Asn1Time prints as "Jan  1 00:00:00 2025 GMT".
    let s = t.to_string();
    chrono::NaiveDateTime::parse_from_str(s.trim_end_matches(" GMT"), "%b %e %H:%M:%S %Y")
        .map(|d| d.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or(s)
}
