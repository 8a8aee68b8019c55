//! The sign-in requests inside a capture, for correlating a token with the request it answers.
//!
//! A browser capture (HAR) of a federated sign-in holds both directions: Entra sending the browser to the IdP
//! (a SAML-P `AuthnRequest` in a `SAMLRequest` field, HTTP-POST or HTTP-Redirect binding; a WS-Federation
//! `wa=wsignin1.0` request with its `wctx`) and the IdP posting its token back. [`har_requests`] finds the requests
//! as plain data ([`CapturedRequest`]); the check that compares a token with them, `capture.correlation`, is
//! `rules::correlation`.

use crate::xml::{Document, Limits};
use base64::Engine as _;
use std::io::Read as _;
use std::sync::Arc;

const SAMLP_NS: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
/// The largest inflated `SAMLRequest` read (an AuthnRequest is well under 10 KiB).
const MAX_REQUEST_BYTES: u64 = 256 * 1024;

/// One HTTP request of a capture, as the correlation needs it.
#[derive(Debug, Clone, Default)]
pub struct HttpRequest {
    /// Index in the capture (HAR `log.entries`).
    pub entry: usize,
    /// `GET`, `POST`, ...
    pub method: String,
    /// The full URL.
    pub url: String,
    /// Form fields of the body (already decoded).
    pub form: Vec<(String, String)>,
}

/// What a captured sign-in request carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestKind {
    /// A SAML-P `AuthnRequest` and its `ID` (None when the ID could not be read).
    AuthnRequest {
        /// `AuthnRequest/@ID`.
        id: Option<String>,
        /// `HTTP-POST` or `HTTP-Redirect`.
        binding: &'static str,
    },
    /// A WS-Federation `wa=wsignin1.0` request and its `wctx`.
    WsFedSignIn {
        /// `wctx`.
        wctx: Option<String>,
    },
}

/// A sign-in request found in a capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapturedRequest {
    /// Its entry index.
    pub entry: usize,
    /// Its URL without the query (the query holds the request itself).
    pub url: String,
    /// What it is.
    pub kind: RequestKind,
}

/// What a token taken from a capture knows about the capture.
#[derive(Debug, Clone)]
pub struct TokenCapture {
    /// Every sign-in request in the same capture.
    pub requests: Arc<Vec<CapturedRequest>>,
    /// The `wctx` posted with the token (WS-Fed).
    pub wctx: Option<String>,
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Decodes a `SAMLRequest` value (base64; raw DEFLATE for the Redirect binding) and reads the AuthnRequest `ID`.
/// Returns None when it is not an AuthnRequest (a LogoutRequest, say).
fn authn_request_id(value: &str, deflated: bool) -> Option<Option<String>> {
    let compact: String = value.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let raw = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(compact.trim_end_matches('=').as_bytes()))
        .ok()?;
    let xml = if deflated || raw.first() != Some(&b'<') {
        let mut out = Vec::new();
        flate2::read::DeflateDecoder::new(&raw[..])
            .take(MAX_REQUEST_BYTES)
            .read_to_end(&mut out)
            .ok()?;
        out
    } else {
        raw
    };
    let doc = Document::parse(&xml, &Limits::default()).ok()?;
    let root = doc.element(doc.root())?;
    if !root.is(SAMLP_NS, "AuthnRequest") {
        return None;
    }
    Some(root.attr("ID").map(str::to_string))
}

/// The sign-in requests among a capture's HTTP requests.
pub fn har_requests(requests: &[HttpRequest]) -> Vec<CapturedRequest> {
    let mut out = Vec::new();
    for r in requests {
        let Ok(url) = url::Url::parse(&r.url) else { continue };
        let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        let mut base = url.clone();
        base.set_query(None);
        base.set_fragment(None);
        let base = base.to_string();
        if let Some(v) = field(&query, "SAMLRequest") {
            if let Some(id) = authn_request_id(v, true) {
                out.push(CapturedRequest {
                    entry: r.entry,
                    url: base.clone(),
                    kind: RequestKind::AuthnRequest {
                        id,
                        binding: "HTTP-Redirect",
                    },
                });
            }
        }
        if r.method.eq_ignore_ascii_case("POST") {
            if let Some(v) = field(&r.form, "SAMLRequest") {
                if let Some(id) = authn_request_id(v, false) {
                    out.push(CapturedRequest {
                        entry: r.entry,
                        url: base.clone(),
                        kind: RequestKind::AuthnRequest {
                            id,
                            binding: "HTTP-POST",
                        },
                    });
                }
            }
        }
        // A WS-Fed sign-in request is a wa=wsignin1.0 query; the IdP's answer (a POST carrying wresult) is not one.
        if field(&query, "wa") == Some("wsignin1.0") && field(&query, "wresult").is_none() {
            out.push(CapturedRequest {
                entry: r.entry,
                url: base,
                kind: RequestKind::WsFedSignIn {
                    wctx: field(&query, "wctx").map(str::to_string),
                },
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    const REQ: &str = "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_r1\" IssueInstant=\"2026-01-15T09:59:55Z\" Version=\"2.0\" AssertionConsumerServiceIndex=\"0\"><saml:Issuer>urn:federation:MicrosoftOnline</saml:Issuer><samlp:NameIDPolicy Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:persistent\"/></samlp:AuthnRequest>";

    fn deflate(s: &str) -> Vec<u8> {
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(s.as_bytes()).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn both_bindings_and_wsfed_requests_are_found() {
        let b64 = base64::engine::general_purpose::STANDARD;
        let redirect = form_urlencoded::Serializer::new(String::new())
            .append_pair("SAMLRequest", &b64.encode(deflate(REQ)))
            .finish();
        let reqs = vec![
            HttpRequest {
                entry: 0,
                method: "GET".into(),
                url: format!("https://idp.test/sso?{redirect}"),
                form: vec![],
            },
            HttpRequest {
                entry: 1,
                method: "POST".into(),
                url: "https://idp.test/sso".into(),
                form: vec![("SAMLRequest".into(), b64.encode(REQ))],
            },
            HttpRequest {
                entry: 2,
                method: "GET".into(),
                url: "https://idp.test/adfs/ls/?wa=wsignin1.0&wctx=a%3Db".into(),
                form: vec![],
            },
            // The IdP's answer is not a request.
            HttpRequest {
                entry: 3,
                method: "POST".into(),
                url: "https://login.microsoftonline.com/login.srf?wa=wsignin1.0&wresult=x".into(),
                form: vec![],
            },
            // A LogoutRequest is not an AuthnRequest.
            HttpRequest {
                entry: 4,
                method: "POST".into(),
                url: "https://idp.test/slo".into(),
                form: vec![(
                    "SAMLRequest".into(),
                    b64.encode("<samlp:LogoutRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" ID=\"_l\"/>"),
                )],
            },
        ];
        let found = har_requests(&reqs);
        assert_eq!(found.len(), 3, "{found:?}");
        assert_eq!(
            found[0].kind,
            RequestKind::AuthnRequest {
                id: Some("_r1".into()),
                binding: "HTTP-Redirect"
            }
        );
        assert_eq!(found[0].url, "https://idp.test/sso");
        assert_eq!(
            found[1].kind,
            RequestKind::AuthnRequest {
                id: Some("_r1".into()),
                binding: "HTTP-POST"
            }
        );
        assert_eq!(
            found[2].kind,
            RequestKind::WsFedSignIn {
                wctx: Some("a=b".into())
            }
        );
    }
}
