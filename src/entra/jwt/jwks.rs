//! The trusted keys: a JSON Web Key Set (RFC 7517) from a file or an `https://` URL (Entra's published keys by
//! default), and the RSA public key of one of its keys, from `n`/`e` or else its first `x5c` certificate.
//!
//! A key whose members have the wrong JSON types is skipped rather than failing the whole set (RFC 7517 section 5
//! asks readers to ignore keys they do not understand); a key that is not RSA stays, and using it says why.

use super::{JwksProblem, JwtError, MAX_JWKS};
use crate::http::{self, CappedReadError, HttpPolicy};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use openssl::bn::BigNum;
use openssl::error::ErrorStack;
use openssl::pkey::{Id, PKey, Public};
use openssl::rsa::Rsa;
use openssl::x509::X509;
use serde_json::Value;

/// One key of a JWKS.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Jwk {
    /// Key id.
    pub kid: Option<String>,
    /// SHA-1 thumbprint of the certificate (base64url).
    pub x5t: Option<String>,
    /// Key type.
    pub kty: Option<String>,
    /// RSA modulus (base64url).
    pub n: Option<String>,
    /// RSA exponent (base64url).
    pub e: Option<String>,
    /// Certificate chain (base64 DER).
    pub x5c: Option<Vec<String>>,
}

/// The trusted keys.
#[derive(Debug, Clone)]
pub struct Jwks {
    /// Where they came from.
    pub location: String,
    /// The keys.
    pub keys: Vec<Jwk>,
}

/// Why a JWKS key gives no RSA public key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Not an RSA key.
    #[error("the JWKS key has kty {0}, not RSA")]
    NotRsa(String),
    /// `n` or `e` is not base64url.
    #[error("bad {member}: {error}")]
    BadComponent {
        /// `n` or `e`.
        member: &'static str,
        /// The decoder's complaint.
        error: base64::DecodeError,
    },
    /// openssl refused the modulus and exponent.
    #[error("{0}")]
    Rsa(ErrorStack),
    /// Neither `n`/`e` nor `x5c`.
    #[error("the JWKS key has neither n/e nor x5c")]
    NoKeyMaterial,
    /// The first `x5c` entry is not base64.
    #[error("bad x5c: {0}")]
    X5cBase64(base64::DecodeError),
    /// The first `x5c` entry is not a certificate.
    #[error("bad x5c certificate: {0}")]
    X5cCertificate(ErrorStack),
    /// The `x5c` certificate holds another kind of key.
    #[error("the x5c certificate's key is not RSA")]
    X5cNotRsa,
}

impl Jwk {
    /// The RSA public key: from `n`/`e` when present, else the first `x5c` certificate.
    pub fn public_key(&self) -> Result<PKey<Public>, KeyError> {
        if let Some(kty) = self.kty.as_deref().filter(|k| *k != "RSA") {
            return Err(KeyError::NotRsa(kty.to_string()));
        }
        match (&self.n, &self.e) {
            (Some(n), Some(e)) => rsa_from_components(n, e),
            _ => self.x5c_key(),
        }
    }

    fn x5c_key(&self) -> Result<PKey<Public>, KeyError> {
        let first = self
            .x5c
            .as_ref()
            .and_then(|c| c.first())
            .ok_or(KeyError::NoKeyMaterial)?;
        let der = STANDARD.decode(first.trim()).map_err(KeyError::X5cBase64)?;
        let key = X509::from_der(&der)
            .and_then(|c| c.public_key())
            .map_err(KeyError::X5cCertificate)?;
        if key.id() != Id::RSA {
            return Err(KeyError::X5cNotRsa);
        }
        Ok(key)
    }
}

fn rsa_from_components(n: &str, e: &str) -> Result<PKey<Public>, KeyError> {
    let member = |value: &str, member: &'static str| {
        URL_SAFE_NO_PAD
            .decode(value.trim_end_matches('='))
            .map_err(|error| KeyError::BadComponent { member, error })
    };
    let (n, e) = (member(n, "n")?, member(e, "e")?);
    BigNum::from_slice(&n)
        .and_then(|n| Ok((n, BigNum::from_slice(&e)?)))
        .and_then(|(n, e)| Rsa::from_public_components(n, e))
        .and_then(PKey::from_rsa)
        .map_err(KeyError::Rsa)
}

impl Jwks {
    /// The key whose `kid` is `kid`, else the one whose `x5t` is (v1 tokens name the key by thumbprint too).
    pub fn find(&self, kid: &str) -> Option<&Jwk> {
        self.keys
            .iter()
            .find(|k| k.kid.as_deref() == Some(kid))
            .or_else(|| self.keys.iter().find(|k| k.x5t.as_deref() == Some(kid)))
    }
}

/// Parses a JWKS document (`{"keys": [...]}`).
pub fn parse_jwks(location: &str, bytes: &[u8]) -> Result<Jwks, JwtError> {
    let err = |problem| JwtError::Jwks {
        location: location.to_string(),
        problem,
    };
    let v: Value = serde_json::from_slice(bytes).map_err(|e| err(JwksProblem::NotJson(e)))?;
    let keys = v
        .get("keys")
        .and_then(Value::as_array)
        .ok_or_else(|| err(JwksProblem::NoKeysArray))?;
    let keys: Vec<Jwk> = keys
        .iter()
        .filter_map(|k| serde_json::from_value(k.clone()).ok())
        .collect();
    if keys.is_empty() {
        return Err(err(JwksProblem::NoKeys));
    }
    Ok(Jwks {
        location: location.to_string(),
        keys,
    })
}

/// Loads the JWKS from a file or an `https://` URL (plain `http://` only for loopback test servers), at most
/// [`MAX_JWKS`] bytes, with this timeout for a URL.
pub fn load_jwks(location: &str, timeout: std::time::Duration) -> Result<Jwks, JwtError> {
    let bytes = if location.starts_with("https://") || location.starts_with("http://") {
        let policy = HttpPolicy {
            timeout,
            max_bytes: MAX_JWKS,
            ..HttpPolicy::default()
        };
        http::get(location, None, &policy).map_err(JwksProblem::Fetch)
    } else {
        read_file(location)
    };
    let bytes = bytes.map_err(|problem| JwtError::Jwks {
        location: location.to_string(),
        problem,
    })?;
    parse_jwks(location, &bytes)
}

fn read_file(path: &str) -> Result<Vec<u8>, JwksProblem> {
    let file = std::fs::File::open(path).map_err(JwksProblem::Io)?;
    http::read_capped(file, MAX_JWKS).map_err(|e| match e {
        CappedReadError::Io(e) => JwksProblem::Io(e),
        CappedReadError::TooLarge { limit } => JwksProblem::TooLarge { limit },
    })
}
