//! The JWS compact serialization Entra's access tokens use: [`decode`] splits and decodes the three segments, and
//! [`verify`] applies the signature policy (RFC 7515 section 5.2 with RFC 8725's rules): `alg` must be RS256, the key
//! is looked up by `kid` in the JWKS only (never a key the token names itself), it must have at least 2048 bits, and
//! the RSASSA-PKCS1-v1_5 SHA-256 signature must verify over `header.payload`.

use super::jwks::{Jwk, Jwks};
use super::{Header, Signature};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Public};
use serde_json::{Map, Value};

/// The only algorithm accepted: what Entra signs access tokens with.
pub const RS256: &str = "RS256";
/// The smallest RSA key accepted, in bits.
pub const MIN_RSA_BITS: u32 = 2048;

/// A decoded JWT. The signature bytes are kept for verification and never serialized.
#[derive(Debug, Clone)]
pub struct Jwt {
    /// The decoded header.
    pub header: Map<String, Value>,
    /// The decoded claims.
    pub claims: Map<String, Value>,
    signing_input: String,
    signature: Vec<u8>,
}

/// Why a text is not a decodable JWT.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Not three base64url segments.
    #[error("not a JWT (expected three base64url segments separated by dots)")]
    NotJwt,
    /// A segment is not base64url.
    #[error("the JWT {part} is not base64url ({error})")]
    NotBase64 {
        /// `header`, `payload` or `signature`.
        part: &'static str,
        /// The decoder's complaint.
        error: base64::DecodeError,
    },
    /// The header or payload is JSON but not an object.
    #[error("the JWT {part} is not a JSON object")]
    NotObject {
        /// `header` or `payload`.
        part: &'static str,
    },
    /// The header or payload is not JSON.
    #[error("the JWT {part} is not JSON ({error})")]
    NotJson {
        /// `header` or `payload`.
        part: &'static str,
        /// The parser's complaint.
        error: serde_json::Error,
    },
}

/// True when `s` has the shape of a compact JWS: three base64url segments (the third may be empty, as in
/// `alg: none` tokens).
pub fn looks_like_jwt(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 3
        && !parts[0].is_empty()
        && !parts[1].is_empty()
        && parts
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}

/// Decodes a compact JWS (header and claims must be JSON objects).
pub fn decode(token: &str) -> Result<Jwt, DecodeError> {
    if !looks_like_jwt(token) {
        return Err(DecodeError::NotJwt);
    }
    let mut it = token.split('.');
    let (h, c, s) = (
        it.next().unwrap_or(""),
        it.next().unwrap_or(""),
        it.next().unwrap_or(""),
    );
    Ok(Jwt {
        header: json_object(h, "header")?,
        claims: json_object(c, "payload")?,
        signature: base64url(s, "signature")?,
        signing_input: format!("{h}.{c}"),
    })
}

fn base64url(segment: &str, part: &'static str) -> Result<Vec<u8>, DecodeError> {
    URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|error| DecodeError::NotBase64 { part, error })
}

fn json_object(segment: &str, part: &'static str) -> Result<Map<String, Value>, DecodeError> {
    match serde_json::from_slice::<Value>(&base64url(segment, part)?) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(DecodeError::NotObject { part }),
        Err(error) => Err(DecodeError::NotJson { part, error }),
    }
}

/// Verifies the token's signature with the JWKS key its `kid` names, under the policy above.
pub fn verify(jwt: &Jwt, header: &Header, jwks: &Jwks) -> Signature {
    if let Err(detail) = accepted_alg(header.alg.as_deref()) {
        return refused(header.kid.clone(), detail);
    }
    let Some(kid) = header.kid.clone() else {
        return refused(
            None,
            "no kid in the header: refused (Entra's tokens always name their signing key)".into(),
        );
    };
    let pkey = match jwks
        .find(&kid)
        .ok_or_else(|| unknown_kid(&kid, jwks))
        .and_then(|k| usable_key(k, &kid))
    {
        Ok(k) => k,
        Err(detail) => return refused(Some(kid), detail),
    };
    if jwt.signature.is_empty() {
        return refused(Some(kid), "bad signature: the signature is empty".into());
    }
    if rs256_verifies(&pkey, jwt.signing_input.as_bytes(), &jwt.signature) {
        Signature {
            valid: true,
            detail: format!("RS256 signature verifies with JWKS key {kid}"),
            kid: Some(kid),
        }
    } else {
        let detail = format!("bad signature: does not verify with JWKS key {kid} (altered, or signed by another key)");
        refused(Some(kid), detail)
    }
}

fn refused(kid: Option<String>, detail: String) -> Signature {
    Signature {
        valid: false,
        kid,
        detail,
    }
}

/// RS256 only: `none` (unsigned) and HMAC (the key-confusion attack: the public key used as the secret) are named.
fn accepted_alg(alg: Option<&str>) -> Result<(), String> {
    let Some(alg) = alg else {
        return Err("alg missing: a token without alg is refused".into());
    };
    if alg.eq_ignore_ascii_case("none") {
        return Err("alg none refused: the token is unsigned, so anyone could have written its claims".into());
    }
    if alg.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("HS")) {
        return Err(format!(
            "alg {alg} refused: Entra signs access tokens with RS256; an HMAC token \"verified\" with the public \
key as secret is the classic key-confusion attack"
        ));
    }
    if alg != RS256 {
        return Err(format!(
            "alg {alg} refused: only RS256 is accepted (what Entra signs access tokens with)"
        ));
    }
    Ok(())
}

fn unknown_kid(kid: &str, jwks: &Jwks) -> String {
    let known: Vec<&str> = jwks.keys.iter().filter_map(|k| k.kid.as_deref()).collect();
    format!(
        "unknown kid {kid}: not among the {} key(s) of the JWKS ({})",
        jwks.keys.len(),
        known.join(", ")
    )
}

/// The key's RSA public key, when it is one of at least [`MIN_RSA_BITS`].
fn usable_key(key: &Jwk, kid: &str) -> Result<PKey<Public>, String> {
    let pkey = key
        .public_key()
        .map_err(|e| format!("JWKS key {kid} is unusable: {e}"))?;
    if pkey.bits() < MIN_RSA_BITS {
        return Err(format!(
            "JWKS key {kid} is only {} bits; at least {MIN_RSA_BITS} required",
            pkey.bits()
        ));
    }
    Ok(pkey)
}

/// RSASSA-PKCS1-v1_5 with SHA-256 (JWA `RS256`, RFC 7518 section 3.3).
fn rs256_verifies(key: &PKey<Public>, signing_input: &[u8], signature: &[u8]) -> bool {
    openssl::sign::Verifier::new(MessageDigest::sha256(), key)
        .and_then(|mut v| {
            v.update(signing_input)?;
            v.verify(signature)
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape() {
        assert!(looks_like_jwt("a.b.c"));
        assert!(looks_like_jwt("a.b."));
        assert!(!looks_like_jwt("a..c"));
        assert!(!looks_like_jwt("a.b"));
        assert!(!looks_like_jwt("a.b.c=d"));
        assert!(!looks_like_jwt("/tmp/x.y.z"));
    }

    #[test]
    fn algorithms() {
        assert!(accepted_alg(Some("RS256")).is_ok());
        assert!(accepted_alg(None).unwrap_err().contains("alg missing"));
        assert!(accepted_alg(Some("NONE")).unwrap_err().contains("alg none refused"));
        assert!(accepted_alg(Some("hs256")).unwrap_err().contains("key-confusion"));
        assert!(accepted_alg(Some("RS384")).unwrap_err().contains("only RS256"));
        assert!(
            accepted_alg(Some("rs256")).is_err(),
            "alg is case-sensitive (RFC 7515 section 4.1.1)"
        );
        // A multi-byte character across byte 2 is refused, not a slicing panic.
        assert!(accepted_alg(Some("aé")).unwrap_err().contains("only RS256"));
    }

    #[test]
    fn decode_errors_name_the_segment() {
        assert_eq!(decode("a.b").unwrap_err().to_string(), DecodeError::NotJwt.to_string());
        // {"alg":"RS256"} . [1] . empty signature
        let e = decode("eyJhbGciOiJSUzI1NiJ9.WzFd.").unwrap_err();
        assert_eq!(e.to_string(), "the JWT payload is not a JSON object");
        let e = decode("eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.").unwrap_err();
        assert!(e.to_string().starts_with("the JWT payload is not JSON ("), "{e}");
        let ok = decode("eyJhbGciOiJSUzI1NiJ9.e30.").unwrap();
        assert_eq!(ok.header["alg"], "RS256");
        assert!(ok.signature.is_empty());
    }
}
