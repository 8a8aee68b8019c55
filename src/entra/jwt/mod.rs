//! `fedcheck check-token`: Entra's own access token, the last link of the MFA evidence chain.
//!
//! Partner Center does not read the IdP's SAML token; it reads the access token Entra issued, and refuses API calls
//! (`401 Unauthorized - MFA required`) unless its `amr` claim contains `mfa`. This module finds such tokens
//! (`carriers`: a raw JWT, an `Authorization: Bearer` line, a JSON token response, a HAR capture), verifies their
//! RS256 signature (`jose`) with keys from a JWKS only (`jwks`: Entra's published keys by default; never a key
//! named by the token itself), and judges `exp`/`nbf`, `amr`, `aud` and `tid` (`checks`); `text` renders it.
//!
//! The token text itself is never part of a report: only its decoded header and claims are.
//!
//! The JOSE part is hand-written on openssl rather than taken from the `jsonwebtoken` crate (12.0 weighed): its
//! `Header::alg` is an enum without `none`, so decoding the header of an `alg: none` or odd-alg token fails and the
//! token could not be reported with its header, claims and a named refusal; its validation errors carry none of the
//! times and values the `jwt.*` checks report; and it needs a second crypto stack (aws-lc-rs or RustCrypto) beside
//! the openssl fedcheck verifies XML with, and Rust 1.88 where fedcheck supports 1.85. It could replace only the
//! decoding and RSA plumbing of `jose` and `jwks` (under 300 lines with their error types); the alg policy, the key
//! lookup and every message would stay.

mod carriers;
mod checks;
mod jose;
mod jwks;
mod text;

pub use carriers::{extract, find_tokens, AccessTokenSource, Found};
pub use jose::{decode, looks_like_jwt, DecodeError, Jwt, MIN_RSA_BITS, RS256};
pub use jwks::{load_jwks, parse_jwks, Jwk, Jwks, KeyError};
pub use text::to_text;

use crate::http::HttpError;
use crate::rules::{Check, Status};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

/// Entra's published token signing keys (the default `--jwks`).
pub const ENTRA_JWKS: &str = "https://login.microsoftonline.com/common/discovery/v2.0/keys";
/// Partner Center's API audience.
pub const PARTNER_CENTER_AUDIENCE: &str = "https://api.partnercenter.microsoft.com";
/// Largest token input read (file or stdin).
pub const MAX_INPUT: u64 = 20 * 1024 * 1024;
/// Largest JWKS read (file or URL).
pub const MAX_JWKS: u64 = 1024 * 1024;
/// Header parameters that name a key; they are never used, only reported.
const KEY_HEADERS: [&str; 4] = ["jku", "jwk", "x5u", "x5c"];

/// Why `check-token` cannot judge anything (exit code 2).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JwtError {
    /// The argument has the shape of a JWT but does not decode.
    #[error("the token argument: {0}")]
    Argument(DecodeError),
    /// The token input cannot be read or holds no JWT.
    #[error("{input}: {problem}")]
    Input {
        /// `stdin` or the file name.
        input: String,
        /// What is wrong.
        problem: InputProblem,
    },
    /// The JWKS cannot be fetched, read or parsed.
    #[error("--jwks {location}: {problem}")]
    Jwks {
        /// File or URL.
        location: String,
        /// What went wrong.
        problem: JwksProblem,
    },
}

/// What is wrong with the token input.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputProblem {
    /// Neither a JWT nor an existing file.
    #[error("{0} (the argument is neither a JWT nor a readable file)")]
    NotAFile(std::io::Error),
    /// A folder.
    #[error("is a folder; give a file, a token or -")]
    Folder,
    /// It could not be read.
    #[error("{0}")]
    Io(std::io::Error),
    /// Over [`MAX_INPUT`].
    #[error("larger than the {limit}-byte limit")]
    TooLarge {
        /// The limit.
        limit: u64,
    },
    /// Not UTF-8.
    #[error("not UTF-8 text, so not a JWT, token response or HAR")]
    NotText,
    /// Starts like JSON but does not parse.
    #[error("JSON that cannot be parsed ({0})")]
    BadJson(serde_json::Error),
    /// JSON of another kind.
    #[error("JSON that is neither a token response (no access_token) nor a HAR (no log)")]
    UnknownJson,
    /// A HAR without entries.
    #[error("a HAR without log.entries")]
    HarWithoutEntries,
    /// Nothing that looks like a token.
    #[error(
        "no JWT found (expected a raw JWT, an `Authorization: Bearer` line, a JSON token response with access_token, \
or a HAR 1.2 with such headers or responses)"
    )]
    NoToken,
    /// Tokens that do not decode, with where and why.
    #[error("no usable JWT found; skipped: {}", .0.join("; "))]
    NoUsableToken(Vec<String>),
}

/// What is wrong with the JWKS.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JwksProblem {
    /// The URL could not be fetched.
    #[error("{}", fetch_detail(.0))]
    Fetch(HttpError),
    /// The file could not be read.
    #[error("{0}")]
    Io(std::io::Error),
    /// Over [`MAX_JWKS`].
    #[error("larger than the {limit}-byte limit")]
    TooLarge {
        /// The limit.
        limit: u64,
    },
    /// Not JSON.
    #[error("not JSON ({0})")]
    NotJson(serde_json::Error),
    /// JSON without `keys`.
    #[error("not a JWKS (no \"keys\" array)")]
    NoKeysArray,
    /// `keys` holds nothing usable.
    #[error("the JWKS holds no keys")]
    NoKeys,
}

/// How a JWKS fetch failure reads after `--jwks URL: `.
fn fetch_detail(e: &HttpError) -> String {
    match e {
        HttpError::PlainHttp => "plain http:// is refused for signing keys (anyone on the network could replace \
them); use https://, or download the JWKS and pass the file"
            .into(),
        HttpError::Timeout { seconds } | HttpError::ReadTimeout { seconds, .. } => {
            format!("unreachable: timed out after {seconds}s")
        }
        HttpError::Connect(chain) => format!("unreachable: {chain}"),
        HttpError::TooLarge {
            limit, declared: true, ..
        } => format!("body is larger than the {limit}-byte limit"),
        HttpError::TooLarge { limit, .. } => format!("larger than the {limit}-byte limit"),
        HttpError::Read { error, .. } => error.to_string(),
        other => other.to_string(),
    }
}

/// How tokens are judged.
#[derive(Debug, Clone)]
pub struct Options {
    /// Evaluation time.
    pub at: DateTime<Utc>,
    /// Allowed clock skew.
    pub skew: Duration,
    /// `--expect-audience`.
    pub expect_audience: Option<String>,
    /// `--expect-tenant`.
    pub expect_tenant: Option<String>,
}

/// The header fields reported.
#[derive(Debug, Clone, Serialize)]
pub struct Header {
    /// `alg`.
    pub alg: Option<String>,
    /// `kid`.
    pub kid: Option<String>,
    /// `typ`.
    pub typ: Option<String>,
    /// Key-naming header parameters present (`jku`, `jwk`, `x5u`, `x5c`): never used.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignored: Vec<String>,
}

impl Header {
    fn of(header: &Map<String, Value>) -> Self {
        let text = |k: &str| header.get(k).and_then(Value::as_str).map(str::to_string);
        Header {
            alg: text("alg"),
            kid: text("kid"),
            typ: text("typ"),
            ignored: KEY_HEADERS
                .iter()
                .filter(|k| header.contains_key(**k))
                .map(|k| k.to_string())
                .collect(),
        }
    }
}

/// Declares [`AccessTokenClaims`] from one list of claim names: each is a field of that name, read from the claim of
/// that name, serialized in list order; so a field can never be filled from another claim.
macro_rules! reported_claims {
    ($($name:ident),* $(,)?) => {
        /// The claims reported, `null` when absent: audience, issuer and tenant; the user (`upn`, `unique_name`); the
        /// client (`appid` in v1 tokens, `azp` in v2); delegated `scp` or application `roles`; `amr`; and the times.
        #[derive(Debug, Clone, Serialize)]
        pub struct AccessTokenClaims {
            $(
                #[doc = concat!("The `", stringify!($name), "` claim.")]
                pub $name: Option<Value>,
            )*
        }

        impl AccessTokenClaims {
            fn of(c: &Map<String, Value>) -> Self {
                AccessTokenClaims {
                    $($name: c.get(stringify!($name)).cloned(),)*
                }
            }
        }
    };
}

reported_claims!(
    aud,
    iss,
    tid,
    upn,
    unique_name,
    appid,
    azp,
    scp,
    roles,
    amr,
    iat,
    nbf,
    exp
);

/// The signature outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Signature {
    /// Verified with a JWKS key.
    pub valid: bool,
    /// The JWKS key used (or looked for).
    pub kid: Option<String>,
    /// Why, in words.
    pub detail: String,
}

/// One token's report.
#[derive(Debug, Clone, Serialize)]
pub struct AccessTokenReport {
    /// Where it was found.
    pub source: AccessTokenSource,
    /// Header.
    pub header: Header,
    /// Claims.
    pub claims: AccessTokenClaims,
    /// Signature.
    pub signature: Signature,
    /// Every check.
    pub checks: Vec<Check>,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct CheckTokenReport {
    /// `pass` when no check failed, else `fail`.
    pub verdict: &'static str,
    /// One per token found.
    pub tokens: Vec<AccessTokenReport>,
}

/// Judges every token.
pub fn run(found: &[Found], jwks: &Jwks, opts: &Options) -> CheckTokenReport {
    let tokens: Vec<AccessTokenReport> = found.iter().map(|f| evaluate(f, jwks, opts)).collect();
    let fail = tokens.iter().any(|t| t.checks.iter().any(|c| c.status == Status::Fail));
    CheckTokenReport {
        verdict: if fail { "fail" } else { "pass" },
        tokens,
    }
}

/// Judges one token.
pub fn evaluate(found: &Found, jwks: &Jwks, opts: &Options) -> AccessTokenReport {
    let jwt = &found.jwt;
    let c = &jwt.claims;
    let header = Header::of(&jwt.header);
    let signature = jose::verify(jwt, &header, jwks);
    let mut checks = vec![checks::signature_check(&signature)];
    checks.extend(checks::header_check(&header));
    checks.push(checks::time_check(c, opts));
    checks.push(checks::amr_check(c));
    checks.push(checks::audience_check(c, opts));
    checks.push(checks::tenant_check(c, opts));
    checks.extend(checks::identity_checks(c));
    AccessTokenReport {
        source: found.source.clone(),
        header,
        claims: AccessTokenClaims::of(c),
        signature,
        checks,
    }
}
