//! Trust anchors: the certificates whose keys may sign tokens.
//!
//! Anchors come from `--idp-cert` files (PEM, DER, or the bare base64 Entra stores in `signingCertificate`) and
//! from the signing keys of SAML 2.0 or WS-Federation metadata, fetched from a file or an https URL with a timeout
//! and a size cap, and optionally verified against `--metadata-cert`. Nothing in a token's own `KeyInfo` is ever
//! trusted unless it is byte-for-byte one of these anchors.

use crate::dsig::{self, Profile};
use crate::xml::{Document, Limits, NodeId};
use base64::Engine;
use openssl::hash::MessageDigest;
use openssl::pkey::{Id, PKey, Public};
use openssl::x509::X509;
use serde::Serialize;
use std::io::Read;
use std::time::Duration;

const MD_NS: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
const DS_NS: &str = "http://www.w3.org/2000/09/xmldsig#";

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

/// Why a certificate or metadata document could not be used.
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
    /// The bytes are not a certificate in any accepted form.
    #[error("{source_name}: not a certificate (expected PEM, DER, or base64 of DER): {detail}")]
    BadCertificate {
        /// The file or metadata element.
        source_name: String,
        /// What openssl or the decoder said.
        detail: String,
    },
    /// The metadata document is not usable.
    #[error("{source_name}: {detail}")]
    BadMetadata {
        /// The file or URL.
        source_name: String,
        /// What is wrong.
        detail: String,
    },
    /// The metadata could not be fetched.
    #[error("{url}: metadata could not be fetched: {detail}")]
    Fetch {
        /// The URL.
        url: String,
        /// What went wrong.
        detail: String,
    },
    /// The metadata's own signature did not verify with `--metadata-cert`.
    #[error("{source_name}: metadata signature is not valid with --metadata-cert: {detail}")]
    MetadataSignature {
        /// The file or URL.
        source_name: String,
        /// Why.
        detail: String,
    },
}

/// Loads a certificate file in PEM, DER, or bare base64 form.
pub fn load_cert_file(path: &str) -> Result<TrustAnchor, TrustError> {
    let bytes = read_capped(path, 1024 * 1024).map_err(|error| TrustError::Io {
        source_name: path.to_string(),
        error,
    })?;
    parse_cert(&bytes, path)
}

fn read_capped(path: &str, cap: u64) -> std::io::Result<Vec<u8>> {
    let f = std::fs::File::open(path)?;
    let mut out = Vec::new();
    f.take(cap + 1).read_to_end(&mut out)?;
    if out.len() as u64 > cap {
        return Err(std::io::Error::other(format!("larger than {cap} bytes")));
    }
    Ok(out)
}

/// Parses a certificate given as PEM, DER or base64 of DER; `origin` names it in errors and reports.
pub fn parse_cert(bytes: &[u8], origin: &str) -> Result<TrustAnchor, TrustError> {
    let bad = |detail: String| TrustError::BadCertificate {
        source_name: origin.to_string(),
        detail,
    };
    let trimmed = bytes.trim_ascii();
    let cert = if trimmed.starts_with(b"-----BEGIN") {
        X509::from_pem(trimmed).map_err(|e| bad(first_openssl_reason(&e)))?
    } else if trimmed.first() == Some(&0x30) {
        X509::from_der(trimmed).map_err(|e| bad(first_openssl_reason(&e)))?
    } else {
        let text: Vec<u8> = trimmed.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(&text)
            .map_err(|e| bad(format!("base64: {e}")))?;
        X509::from_der(&der).map_err(|e| bad(first_openssl_reason(&e)))?
    };
    anchor_from_x509(cert, origin).map_err(bad)
}

fn first_openssl_reason(e: &openssl::error::ErrorStack) -> String {
    e.errors()
        .first()
        .and_then(|x| x.reason().map(str::to_string))
        .unwrap_or_else(|| e.to_string())
}

/// Builds an anchor from a parsed certificate.
pub fn anchor_from_x509(cert: X509, origin: &str) -> Result<TrustAnchor, String> {
    let der = cert.to_der().map_err(|e| first_openssl_reason(&e))?;
    let key = cert
        .public_key()
        .map_err(|e| format!("unsupported public key: {}", first_openssl_reason(&e)))?;
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
pub fn cert_info(cert: &X509, key: &PKey<Public>) -> Result<CertInfo, String> {
    let hex = |d: &[u8]| d.iter().map(|b| format!("{b:02X}")).collect::<String>();
    let sha1 = cert.digest(MessageDigest::sha1()).map_err(|e| e.to_string())?;
    let sha256 = cert.digest(MessageDigest::sha256()).map_err(|e| e.to_string())?;
    let serial = cert
        .serial_number()
        .to_bn()
        .and_then(|b| b.to_hex_str().map(|s| s.to_string()))
        .map_err(|e| e.to_string())?;
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

/// Signing keys found in a metadata document.
#[derive(Debug, Clone)]
pub struct Metadata {
    /// Where it came from (path or URL).
    pub source_name: String,
    /// The `entityID`.
    pub entity_id: Option<String>,
    /// Signing certificates, each an anchor.
    pub anchors: Vec<TrustAnchor>,
    /// Whether the metadata's own signature was checked and valid.
    pub signature_verified: bool,
    /// The raw document as fetched.
    pub raw: Vec<u8>,
    /// Passive sign-in URL (WS-Fed `PassiveRequestorEndpoint`) or SAML SSO URL, when present.
    pub sign_in_url: Option<String>,
}

/// Settings for fetching metadata over HTTPS.
#[derive(Debug, Clone, Copy)]
pub struct FetchLimits {
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Largest body accepted.
    pub max_bytes: u64,
}

impl Default for FetchLimits {
    fn default() -> Self {
        FetchLimits {
            timeout: Duration::from_secs(15),
            max_bytes: 5 * 1024 * 1024,
        }
    }
}

/// Loads metadata from a file path or an `http(s)://` URL.
pub fn load_metadata(
    location: &str,
    metadata_certs: &[TrustAnchor],
    limits: &FetchLimits,
) -> Result<Metadata, TrustError> {
    let raw = if location.starts_with("https://") || location.starts_with("http://") {
        fetch(location, limits)?
    } else {
        read_capped(location, limits.max_bytes).map_err(|error| TrustError::Io {
            source_name: location.to_string(),
            error,
        })?
    };
    parse_metadata(&raw, location, metadata_certs)
}

pub(crate) fn secure_or_loopback(u: &url::Url) -> bool {
    match u.scheme() {
        "https" => true,
        "http" => match u.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(a)) => a.is_loopback(),
            Some(url::Host::Ipv6(a)) => a.is_loopback(),
            None => false,
        },
        _ => false,
    }
}

fn fetch(url: &str, limits: &FetchLimits) -> Result<Vec<u8>, TrustError> {
    let err = |detail: String| TrustError::Fetch {
        url: url.to_string(),
        detail,
    };
    // Metadata hands out trust anchors, so it must come over TLS. Plain http is accepted only for loopback
    // hosts (local test servers), and a redirect may not leave https.
    let parsed = url::Url::parse(url).map_err(|e| err(format!("not a valid URL: {e}")))?;
    if !secure_or_loopback(&parsed) {
        return Err(err(
            "plain http:// metadata is refused (anyone on the network could replace the trust anchors); use https://, or download it and pass the file"
                .into(),
        ));
    }
    let policy = reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().len() >= 5 {
            attempt.error("more than 5 redirects")
        } else if secure_or_loopback(attempt.url()) {
            attempt.follow()
        } else {
            attempt.error("redirected to a plain http:// URL")
        }
    });
    let client = reqwest::blocking::Client::builder()
        .redirect(policy)
        .timeout(limits.timeout)
        .connect_timeout(limits.timeout)
        .user_agent(concat!("fedcheck/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| err(e.to_string()))?;
    let resp = client.get(url).send().map_err(|e| {
        if e.is_timeout() {
            err(format!("timed out after {}s", limits.timeout.as_secs()))
        } else {
            err(error_chain(&e))
        }
    })?;
    let status = resp.status();
    if !status.is_success() {
        return Err(err(format!("HTTP {status}")));
    }
    if resp.content_length().is_some_and(|n| n > limits.max_bytes) {
        return Err(err(format!("body is larger than the {}-byte limit", limits.max_bytes)));
    }
    let mut body = Vec::new();
    resp.take(limits.max_bytes + 1)
        .read_to_end(&mut body)
        .map_err(|e| err(e.to_string()))?;
    if body.len() as u64 > limits.max_bytes {
        return Err(err(format!("body is larger than the {}-byte limit", limits.max_bytes)));
    }
    Ok(body)
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}

/// Parses SAML 2.0 or WS-Federation metadata and extracts its signing certificates.
pub fn parse_metadata(raw: &[u8], source_name: &str, metadata_certs: &[TrustAnchor]) -> Result<Metadata, TrustError> {
    let bad = |detail: String| TrustError::BadMetadata {
        source_name: source_name.to_string(),
        detail,
    };
    let doc = Document::parse(raw, &Limits::default()).map_err(|e| bad(format!("not well-formed XML: {e}")))?;
    let root = doc.root();
    let root_el = doc.element(root).ok_or_else(|| bad("no root element".into()))?;
    let entity = if root_el.is(MD_NS, "EntityDescriptor") {
        root
    } else if root_el.is(MD_NS, "EntitiesDescriptor") {
        doc.child_named(root, MD_NS, "EntityDescriptor")
            .ok_or_else(|| bad("EntitiesDescriptor holds no EntityDescriptor".into()))?
    } else {
        return Err(bad(format!(
            "root element is {{{}}}{}, not a SAML metadata EntityDescriptor",
            root_el.ns.as_deref().unwrap_or(""),
            root_el.local
        )));
    };

    let mut signature_verified = false;
    if !metadata_certs.is_empty() {
        let sig = doc
            .child_named(root, DS_NS, "Signature")
            .ok_or_else(|| TrustError::MetadataSignature {
                source_name: source_name.to_string(),
                detail: "the metadata is not signed".into(),
            })?;
        let checked = dsig::verify(&doc, sig, metadata_certs, &Profile::metadata());
        match checked.outcome {
            Ok(_) => signature_verified = true,
            Err(e) => {
                return Err(TrustError::MetadataSignature {
                    source_name: source_name.to_string(),
                    detail: e.to_string(),
                })
            }
        }
    }

    let entity_el = doc.element(entity).ok_or_else(|| bad("no EntityDescriptor".into()))?;
    let entity_id = entity_el.attr("entityID").map(str::to_string);
    let mut anchors = Vec::new();
    let mut sign_in_url = None;
    for role in doc.child_elements(entity) {
        let Some(role_el) = doc.element(role) else {
            continue;
        };
        let role_name = match role_el.local.as_str() {
            "IDPSSODescriptor" if role_el.ns.as_deref() == Some(MD_NS) => "IDPSSODescriptor",
            "RoleDescriptor" if role_el.ns.as_deref() == Some(MD_NS) => "RoleDescriptor",
            _ => continue,
        };
        if sign_in_url.is_none() {
            sign_in_url = role_sign_in_url(&doc, role);
        }
        for kd in doc.children_named(role, MD_NS, "KeyDescriptor") {
            let usage = doc.element(kd).and_then(|e| e.attr("use"));
            if usage.is_some_and(|u| u != "signing") {
                continue;
            }
            for c in doc.find_all(kd, DS_NS, "X509Certificate") {
                let origin = format!("{source_name} ({role_name} signing key)");
                let a = parse_cert(doc.text(c).as_bytes(), &origin)?;
                if !anchors.iter().any(|x: &TrustAnchor| x.der == a.der) {
                    anchors.push(a);
                }
            }
        }
    }
    if anchors.is_empty() {
        return Err(bad(
            "no signing certificate in an IDPSSODescriptor or RoleDescriptor KeyDescriptor".into(),
        ));
    }
    Ok(Metadata {
        source_name: source_name.to_string(),
        entity_id,
        anchors,
        signature_verified,
        raw: raw.to_vec(),
        sign_in_url,
    })
}

fn role_sign_in_url(doc: &Document, role: NodeId) -> Option<String> {
    for d in doc.descendants(role) {
        let Some(e) = doc.element(d) else { continue };
        if e.local == "SingleSignOnService" && e.ns.as_deref() == Some(MD_NS) {
            if let Some(l) = e.attr("Location") {
                return Some(l.to_string());
            }
        }
        if e.local == "PassiveRequestorEndpoint" {
            if let Some(a) = doc
                .find_all(d, "http://www.w3.org/2005/08/addressing", "Address")
                .first()
            {
                return Some(doc.text(*a).trim().to_string());
            }
        }
    }
    None
}
