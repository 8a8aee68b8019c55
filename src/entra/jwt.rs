//! `fedcheck check-token`: Entra's own access token, the last link of the MFA evidence chain.
//!
//! Partner Center does not read the IdP's SAML token; it reads the access token Entra issued, and refuses API calls
//! (`401 Unauthorized - MFA required`) unless its `amr` claim contains `mfa`. This module finds such tokens (a raw
//! JWT, an `Authorization: Bearer` line, a JSON token response, a HAR capture), verifies their RS256 signature with
//! keys from a JWKS only (Entra's published keys by default; never a key named by the token itself), checks
//! `exp`/`nbf`, and reports `amr`, `aud`, `tid`, `upn`, `appid` and `scp`.
//!
//! The token text itself is never part of a report: only its decoded header and claims are.

use crate::rules::{check, Check, Status};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::pkey::{Id, PKey, Public};
use openssl::rsa::Rsa;
use openssl::x509::X509;
use serde::Serialize;
use serde_json::{Map, Value};
use std::io::Read;

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
pub enum JwtError {
    /// The token input cannot be read or holds no JWT.
    #[error("{0}")]
    Input(String),
    /// The JWKS cannot be fetched, read or parsed.
    #[error("--jwks {location}: {detail}")]
    Jwks {
        /// File or URL.
        location: String,
        /// What went wrong.
        detail: String,
    },
}

/// Where a token was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    /// `argument`, `stdin` or the file name.
    pub input: String,
    /// `argument`, `raw`, `bearer-line`, `token-response` or `har`.
    pub carrier: &'static str,
    /// HAR entry index (0-based, as in the HAR's `entries` array).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub har_entry: Option<usize>,
    /// HAR request URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `Authorization header` or `access_token`, for HAR and token responses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Further places the same token was seen (deduplicated).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also_seen: Vec<String>,
}

impl Source {
    /// One line for the terminal.
    pub fn line(&self) -> String {
        let mut s = self.input.clone();
        if let Some(i) = self.har_entry {
            s.push_str(&format!(" entry {i}"));
        }
        if let Some(u) = &self.url {
            s.push_str(&format!(" {u}"));
        }
        if let Some(f) = &self.field {
            s.push_str(&format!(" ({f})"));
        }
        if !self.also_seen.is_empty() {
            s.push_str(&format!("; also in {}", self.also_seen.join(", ")));
        }
        s
    }

    fn place(&self) -> String {
        match (self.har_entry, &self.url, &self.field) {
            (Some(i), Some(u), Some(f)) => format!("entry {i} {u} ({f})"),
            (Some(i), _, Some(f)) => format!("entry {i} ({f})"),
            _ => self.line(),
        }
    }
}

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

/// A token and where it came from.
#[derive(Debug, Clone)]
pub struct Found {
    /// Where.
    pub source: Source,
    /// The decoded token.
    pub jwt: Jwt,
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
pub fn decode(token: &str) -> Result<Jwt, String> {
    if !looks_like_jwt(token) {
        return Err("not a JWT (expected three base64url segments separated by dots)".into());
    }
    let mut it = token.split('.');
    let (h, c, s) = (
        it.next().unwrap_or(""),
        it.next().unwrap_or(""),
        it.next().unwrap_or(""),
    );
    let obj = |seg: &str, what: &str| -> Result<Map<String, Value>, String> {
        let bytes = URL_SAFE_NO_PAD
            .decode(seg)
            .map_err(|e| format!("the JWT {what} is not base64url ({e})"))?;
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(_) => Err(format!("the JWT {what} is not a JSON object")),
            Err(e) => Err(format!("the JWT {what} is not JSON ({e})")),
        }
    };
    let header = obj(h, "header")?;
    let claims = obj(c, "payload")?;
    let signature = URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|e| format!("the JWT signature is not base64url ({e})"))?;
    Ok(Jwt {
        header,
        claims,
        signing_input: format!("{h}.{c}"),
        signature,
    })
}

/// Reads the positional argument: a JWT itself, `-` (stdin), or a file (raw JWT, `Authorization: Bearer` line,
/// JSON token response, HAR 1.2). Tokens are deduplicated; every one returned decoded.
pub fn find_tokens(arg: &str, max_input: u64) -> Result<Vec<Found>, JwtError> {
    let input_err = |m: String| JwtError::Input(m);
    let trimmed = arg.trim();
    // An existing file wins over the JWT shape (a file named `a.b.c` is read, not taken as a token).
    if trimmed != "-" && looks_like_jwt(trimmed) && !std::path::Path::new(arg).is_file() {
        let jwt = decode(trimmed).map_err(|e| input_err(format!("the token argument: {e}")))?;
        return Ok(vec![Found {
            source: Source {
                input: "argument".into(),
                carrier: "argument",
                har_entry: None,
                url: None,
                field: None,
                also_seen: Vec::new(),
            },
            jwt,
        }]);
    }
    let (name, bytes) = if trimmed == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .lock()
            .take(max_input + 1)
            .read_to_end(&mut buf)
            .map_err(|e| input_err(format!("stdin: {e}")))?;
        ("stdin".to_string(), buf)
    } else {
        let meta = std::fs::metadata(arg).map_err(|e| {
            input_err(format!(
                "{arg}: {e} (the argument is neither a JWT nor a readable file)"
            ))
        })?;
        if meta.is_dir() {
            return Err(input_err(format!("{arg}: is a folder; give a file, a token or -")));
        }
        let f = std::fs::File::open(arg).map_err(|e| input_err(format!("{arg}: {e}")))?;
        let mut buf = Vec::new();
        f.take(max_input + 1)
            .read_to_end(&mut buf)
            .map_err(|e| input_err(format!("{arg}: {e}")))?;
        (arg.to_string(), buf)
    };
    if buf_too_big(&bytes, max_input) {
        return Err(input_err(format!("{name}: larger than the {max_input}-byte limit")));
    }
    extract(&name, &bytes)
}

fn buf_too_big(b: &[u8], max: u64) -> bool {
    b.len() as u64 > max
}

/// Finds the tokens in the bytes of a file or stdin.
pub fn extract(name: &str, bytes: &[u8]) -> Result<Vec<Found>, JwtError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| JwtError::Input(format!("{name}: not UTF-8 text, so not a JWT, token response or HAR")))?;
    let text = text.trim_start_matches('\u{feff}').trim();
    let src = |carrier: &'static str| Source {
        input: name.to_string(),
        carrier,
        har_entry: None,
        url: None,
        field: None,
        also_seen: Vec::new(),
    };
    let mut found = Collector::default();
    if looks_like_jwt(text) {
        found.push(src("raw"), text);
    } else if text.starts_with('{') {
        let v: Value = serde_json::from_str(text)
            .map_err(|e| JwtError::Input(format!("{name}: JSON that cannot be parsed ({e})")))?;
        if v.get("log").is_some() {
            har(name, &v, &mut found)?;
        } else if let Some(t) = v.get("access_token").and_then(Value::as_str) {
            let mut s = src("token-response");
            s.field = Some("access_token".into());
            found.push(s, t.trim());
        } else {
            return Err(JwtError::Input(format!(
                "{name}: JSON that is neither a token response (no access_token) nor a HAR (no log)"
            )));
        }
    } else {
        for line in text.lines() {
            if let Some(t) = bearer(line) {
                let mut s = src("bearer-line");
                s.field = Some("Authorization header".into());
                found.push(s, t);
            }
        }
    }
    found.finish(name)
}

/// The token of an `Authorization: Bearer X` line or a `Bearer X` header value.
fn bearer(line: &str) -> Option<&str> {
    let l = line.trim();
    let l = match l.split_once(':') {
        Some((k, v)) if k.trim().eq_ignore_ascii_case("authorization") => v.trim(),
        _ => l,
    };
    let (scheme, rest) = l.split_once(char::is_whitespace)?;
    scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
}

#[derive(Default)]
struct Collector {
    list: Vec<(String, Found)>,
    skipped: Vec<String>,
}

impl Collector {
    fn push(&mut self, source: Source, token: &str) {
        if let Some((_, f)) = self.list.iter_mut().find(|(t, _)| t == token) {
            f.source.also_seen.push(source.place());
            return;
        }
        match decode(token) {
            Ok(jwt) => self.list.push((token.to_string(), Found { source, jwt })),
            Err(e) => self.skipped.push(format!("{}: {e}", source.place())),
        }
    }

    fn finish(self, name: &str) -> Result<Vec<Found>, JwtError> {
        if self.list.is_empty() {
            let why = if self.skipped.is_empty() {
                "no JWT found (expected a raw JWT, an `Authorization: Bearer` line, a JSON token response with \
access_token, or a HAR 1.2 with such headers or responses)"
                    .to_string()
            } else {
                format!("no usable JWT found; skipped: {}", self.skipped.join("; "))
            };
            return Err(JwtError::Input(format!("{name}: {why}")));
        }
        Ok(self.list.into_iter().map(|(_, f)| f).collect())
    }
}

fn har(name: &str, v: &Value, found: &mut Collector) -> Result<(), JwtError> {
    let entries = v
        .pointer("/log/entries")
        .and_then(Value::as_array)
        .ok_or_else(|| JwtError::Input(format!("{name}: a HAR without log.entries")))?;
    for (i, e) in entries.iter().enumerate() {
        let url = e.pointer("/request/url").and_then(Value::as_str).map(str::to_string);
        let src = |field: &str| Source {
            input: name.to_string(),
            carrier: "har",
            har_entry: Some(i),
            url: url.clone(),
            field: Some(field.to_string()),
            also_seen: Vec::new(),
        };
        for h in e
            .pointer("/request/headers")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let is_auth = h
                .get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| n.eq_ignore_ascii_case("authorization"));
            if let (true, Some(val)) = (is_auth, h.get("value").and_then(Value::as_str)) {
                if let Some(t) = bearer(val) {
                    found.push(src("Authorization header"), t);
                }
            }
        }
        let Some(content) = e.pointer("/response/content") else {
            continue;
        };
        let Some(text) = content.get("text").and_then(Value::as_str) else {
            continue;
        };
        let decoded;
        let body = if content.get("encoding").and_then(Value::as_str) == Some("base64") {
            decoded = STANDARD
                .decode(text.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok());
            match &decoded {
                Some(s) => s.as_str(),
                None => continue,
            }
        } else {
            text
        };
        if let Ok(Value::Object(m)) = serde_json::from_str::<Value>(body.trim()) {
            if let Some(t) = m.get("access_token").and_then(Value::as_str) {
                found.push(src("access_token"), t.trim());
            }
        }
    }
    Ok(())
}

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

impl Jwk {
    /// The RSA public key: from `n`/`e` when present, else the first `x5c` certificate.
    fn public_key(&self) -> Result<PKey<Public>, String> {
        if let Some(kty) = &self.kty {
            if kty != "RSA" {
                return Err(format!("the JWKS key has kty {kty}, not RSA"));
            }
        }
        if let (Some(n), Some(e)) = (&self.n, &self.e) {
            let n = URL_SAFE_NO_PAD
                .decode(n.trim_end_matches('='))
                .map_err(|e| format!("bad n: {e}"))?;
            let e = URL_SAFE_NO_PAD
                .decode(e.trim_end_matches('='))
                .map_err(|e| format!("bad e: {e}"))?;
            let rsa = Rsa::from_public_components(
                BigNum::from_slice(&n).map_err(|e| e.to_string())?,
                BigNum::from_slice(&e).map_err(|e| e.to_string())?,
            )
            .map_err(|e| e.to_string())?;
            return PKey::from_rsa(rsa).map_err(|e| e.to_string());
        }
        let first = self
            .x5c
            .as_ref()
            .and_then(|c| c.first())
            .ok_or("the JWKS key has neither n/e nor x5c")?;
        let der = STANDARD.decode(first.trim()).map_err(|e| format!("bad x5c: {e}"))?;
        let key = X509::from_der(&der)
            .and_then(|c| c.public_key())
            .map_err(|e| format!("bad x5c certificate: {e}"))?;
        if key.id() != Id::RSA {
            return Err("the x5c certificate's key is not RSA".into());
        }
        Ok(key)
    }
}

/// Parses a JWKS document (`{"keys": [...]}`).
pub fn parse_jwks(location: &str, bytes: &[u8]) -> Result<Jwks, JwtError> {
    let err = |detail: String| JwtError::Jwks {
        location: location.to_string(),
        detail,
    };
    let v: Value = serde_json::from_slice(bytes).map_err(|e| err(format!("not JSON ({e})")))?;
    let keys = v
        .get("keys")
        .and_then(Value::as_array)
        .ok_or_else(|| err("not a JWKS (no \"keys\" array)".into()))?;
    let keys: Vec<Jwk> = keys
        .iter()
        .filter_map(|k| serde_json::from_value(k.clone()).ok())
        .collect();
    if keys.is_empty() {
        return Err(err("the JWKS holds no keys".into()));
    }
    Ok(Jwks {
        location: location.to_string(),
        keys,
    })
}

/// Loads the JWKS from a file or an `https://` URL (plain `http://` only for loopback test servers).
pub fn load_jwks(location: &str, timeout: std::time::Duration) -> Result<Jwks, JwtError> {
    let err = |detail: String| JwtError::Jwks {
        location: location.to_string(),
        detail,
    };
    let bytes = if location.starts_with("https://") || location.starts_with("http://") {
        fetch(location, timeout).map_err(err)?
    } else {
        let f = std::fs::File::open(location).map_err(|e| err(e.to_string()))?;
        let mut buf = Vec::new();
        f.take(MAX_JWKS + 1)
            .read_to_end(&mut buf)
            .map_err(|e| err(e.to_string()))?;
        buf
    };
    if bytes.len() as u64 > MAX_JWKS {
        return Err(err(format!("larger than the {MAX_JWKS}-byte limit")));
    }
    parse_jwks(location, &bytes)
}

fn fetch(url: &str, timeout: std::time::Duration) -> Result<Vec<u8>, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("not a valid URL: {e}"))?;
    if !crate::trust::secure_or_loopback(&parsed) {
        return Err(
            "plain http:// is refused for signing keys (anyone on the network could replace them); use \
https://, or download the JWKS and pass the file"
                .into(),
        );
    }
    let policy = reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().len() >= 5 {
            attempt.error("more than 5 redirects")
        } else if crate::trust::secure_or_loopback(attempt.url()) {
            attempt.follow()
        } else {
            attempt.error("redirected to a plain http:// URL")
        }
    });
    let client = reqwest::blocking::Client::builder()
        .redirect(policy)
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(concat!("fedcheck/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| e.to_string())?;
    let resp = client.get(url).send().map_err(|e| {
        if e.is_timeout() {
            format!("unreachable: timed out after {}s", timeout.as_secs())
        } else {
            let mut s = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(x) = src {
                s.push_str(&format!(": {x}"));
                src = x.source();
            }
            format!("unreachable: {s}")
        }
    })?;
    let status = resp.status();
    if !status.is_success() {
        return Err(format!("HTTP {status}"));
    }
    if resp.content_length().is_some_and(|n| n > MAX_JWKS) {
        return Err(format!("body is larger than the {MAX_JWKS}-byte limit"));
    }
    let mut body = Vec::new();
    resp.take(MAX_JWKS + 1).read_to_end(&mut body).map_err(|e| {
        if e.to_string().contains("timed out") {
            format!("unreachable: timed out after {}s", timeout.as_secs())
        } else {
            e.to_string()
        }
    })?;
    Ok(body)
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

/// The claims reported (absent ones are `null`).
#[derive(Debug, Clone, Serialize)]
pub struct Claims {
    /// `aud`.
    pub aud: Option<Value>,
    /// `iss`.
    pub iss: Option<Value>,
    /// `tid`.
    pub tid: Option<Value>,
    /// `upn`.
    pub upn: Option<Value>,
    /// `unique_name`.
    pub unique_name: Option<Value>,
    /// `appid` (v1 tokens).
    pub appid: Option<Value>,
    /// `azp` (v2 tokens).
    pub azp: Option<Value>,
    /// `scp` (delegated permissions).
    pub scp: Option<Value>,
    /// `roles` (application permissions).
    pub roles: Option<Value>,
    /// `amr`.
    pub amr: Option<Value>,
    /// `iat`.
    pub iat: Option<Value>,
    /// `nbf`.
    pub nbf: Option<Value>,
    /// `exp`.
    pub exp: Option<Value>,
}

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
pub struct TokenReport {
    /// Where it was found.
    pub source: Source,
    /// Header.
    pub header: Header,
    /// Claims.
    pub claims: Claims,
    /// Signature.
    pub signature: Signature,
    /// Every check.
    pub checks: Vec<Check>,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `pass` when no check failed, else `fail`.
    pub verdict: &'static str,
    /// One per token found.
    pub tokens: Vec<TokenReport>,
}

fn hstr(m: &Map<String, Value>, k: &str) -> Option<String> {
    m.get(k).and_then(Value::as_str).map(str::to_string)
}

/// Judges every token.
pub fn run(found: &[Found], jwks: &Jwks, opts: &Options) -> Report {
    let tokens: Vec<TokenReport> = found.iter().map(|f| evaluate(f, jwks, opts)).collect();
    let fail = tokens.iter().any(|t| t.checks.iter().any(|c| c.status == Status::Fail));
    Report {
        verdict: if fail { "fail" } else { "pass" },
        tokens,
    }
}

/// Judges one token.
pub fn evaluate(found: &Found, jwks: &Jwks, opts: &Options) -> TokenReport {
    let jwt = &found.jwt;
    let c = &jwt.claims;
    let header = Header {
        alg: hstr(&jwt.header, "alg"),
        kid: hstr(&jwt.header, "kid"),
        typ: hstr(&jwt.header, "typ"),
        ignored: KEY_HEADERS
            .iter()
            .filter(|k| jwt.header.contains_key(**k))
            .map(|k| k.to_string())
            .collect(),
    };
    let claims = Claims {
        aud: c.get("aud").cloned(),
        iss: c.get("iss").cloned(),
        tid: c.get("tid").cloned(),
        upn: c.get("upn").cloned(),
        unique_name: c.get("unique_name").cloned(),
        appid: c.get("appid").cloned(),
        azp: c.get("azp").cloned(),
        scp: c.get("scp").cloned(),
        roles: c.get("roles").cloned(),
        amr: c.get("amr").cloned(),
        iat: c.get("iat").cloned(),
        nbf: c.get("nbf").cloned(),
        exp: c.get("exp").cloned(),
    };
    let mut checks = Vec::new();
    let signature = verify(jwt, &header, jwks);
    checks.push(check(
        "jwt.signature",
        if signature.valid { Status::Pass } else { Status::Fail },
        signature.detail.clone(),
        (!signature.valid).then_some(signature_fix(&signature.detail)),
    ));
    if !header.ignored.is_empty() {
        checks.push(check(
            "jwt.header",
            Status::Warn,
            format!(
                "the header names its own key ({}); ignored: keys come only from --jwks. Entra's tokens carry no \
such parameter, so this token was not issued by Entra or was altered",
                header.ignored.join(", ")
            ),
            None,
        ));
    }
    checks.push(time_check(c, opts));
    checks.push(amr_check(c));
    checks.push(audience_check(c, opts));
    checks.push(tenant_check(c, opts));
    let s = |k: &str| c.get(k).map(show);
    checks.push(check(
        "jwt.upn",
        Status::Info,
        match (s("upn"), s("unique_name")) {
            (Some(u), _) => format!("upn {u}"),
            (None, Some(n)) => format!("no upn; unique_name {n}"),
            (None, None) => "no upn or unique_name (an app-only token, or a guest/personal account)".into(),
        },
        None,
    ));
    checks.push(check(
        "jwt.appid",
        Status::Info,
        match (s("appid"), s("azp")) {
            (Some(a), _) => format!("appid {a} (the client application the token was issued to)"),
            (None, Some(a)) => format!("azp {a} (the client application the token was issued to)"),
            (None, None) => "no appid or azp".into(),
        },
        None,
    ));
    checks.push(check(
        "jwt.scp",
        Status::Info,
        match (s("scp"), s("roles")) {
            (Some(x), _) => format!("scp {x} (delegated: the user signed in)"),
            (None, Some(r)) => format!("no scp; roles {r} (application permissions: no user, so no user MFA)"),
            (None, None) => "no scp or roles".into(),
        },
        None,
    ));
    TokenReport {
        source: found.source.clone(),
        header,
        claims,
        signature,
        checks,
    }
}

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(a) => format!("[{}]", a.iter().map(show).collect::<Vec<_>>().join(", ")),
        other => other.to_string(),
    }
}

fn signature_fix(detail: &str) -> &'static str {
    if detail.contains("unknown kid") {
        "Entra rolls its signing keys: use a fresh token and the current JWKS (the default --jwks is Entra's \
published keys). Tokens for an app with its own signing keys need that app's JWKS (…/discovery/v2.0/keys?appid=<appid>)"
    } else if detail.starts_with("alg") || detail.contains("no kid") {
        "use the access token exactly as Entra issued it (RS256, with a kid from Entra's JWKS)"
    } else {
        "the token was altered or signed by a key other than the one the JWKS names; use the token exactly as Entra issued it"
    }
}

fn verify(jwt: &Jwt, header: &Header, jwks: &Jwks) -> Signature {
    let refuse = |kid: Option<String>, detail: String| Signature {
        valid: false,
        kid,
        detail,
    };
    let kid = header.kid.clone();
    let alg = match &header.alg {
        None => return refuse(kid, "alg missing: a token without alg is refused".into()),
        Some(a) => a.as_str(),
    };
    if alg.eq_ignore_ascii_case("none") {
        return refuse(
            kid,
            "alg none refused: the token is unsigned, so anyone could have written its claims".into(),
        );
    }
    if alg.len() >= 2 && alg[..2].eq_ignore_ascii_case("HS") {
        return refuse(
            kid,
            format!(
                "alg {alg} refused: Entra signs access tokens with RS256; an HMAC token \"verified\" with the public \
key as secret is the classic key-confusion attack"
            ),
        );
    }
    if alg != "RS256" {
        return refuse(
            kid,
            format!("alg {alg} refused: only RS256 is accepted (what Entra signs access tokens with)"),
        );
    }
    let Some(kid) = kid else {
        return refuse(
            None,
            "no kid in the header: refused (Entra's tokens always name their signing key)".into(),
        );
    };
    let key = jwks
        .keys
        .iter()
        .find(|k| k.kid.as_deref() == Some(kid.as_str()))
        .or_else(|| jwks.keys.iter().find(|k| k.x5t.as_deref() == Some(kid.as_str())));
    let Some(key) = key else {
        let known: Vec<&str> = jwks.keys.iter().filter_map(|k| k.kid.as_deref()).collect();
        return refuse(
            Some(kid.clone()),
            format!(
                "unknown kid {kid}: not among the {} key(s) of the JWKS ({})",
                jwks.keys.len(),
                known.join(", ")
            ),
        );
    };
    let pkey = match key.public_key() {
        Ok(k) => k,
        Err(e) => return refuse(Some(kid.clone()), format!("JWKS key {kid} is unusable: {e}")),
    };
    if pkey.bits() < 2048 {
        return refuse(
            Some(kid.clone()),
            format!("JWKS key {kid} is only {} bits; at least 2048 required", pkey.bits()),
        );
    }
    if jwt.signature.is_empty() {
        return refuse(Some(kid.clone()), "bad signature: the signature is empty".into());
    }
    let ok = openssl::sign::Verifier::new(MessageDigest::sha256(), &pkey)
        .and_then(|mut v| {
            v.update(jwt.signing_input.as_bytes())?;
            v.verify(&jwt.signature)
        })
        .unwrap_or(false);
    if ok {
        Signature {
            valid: true,
            kid: Some(kid.clone()),
            detail: format!("RS256 signature verifies with JWKS key {kid}"),
        }
    } else {
        refuse(
            Some(kid.clone()),
            format!("bad signature: does not verify with JWKS key {kid} (altered, or signed by another key)"),
        )
    }
}

fn instant(v: Option<&Value>) -> Option<DateTime<Utc>> {
    let n = v?.as_f64()?;
    DateTime::from_timestamp(n.floor() as i64, 0)
}

fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn time_check(c: &Map<String, Value>, o: &Options) -> Check {
    let exp = instant(c.get("exp"));
    let nbf = instant(c.get("nbf"));
    let skew = format!("skew {}s", o.skew.num_seconds());
    let Some(exp) = exp else {
        return check(
            "jwt.time",
            Status::Fail,
            "no exp claim (or not a number): Entra's access tokens always expire",
            Some("use the access token exactly as Entra issued it"),
        );
    };
    if let Some(nbf) = nbf {
        if o.at + o.skew < nbf {
            return check(
                "jwt.time",
                Status::Fail,
                format!("not yet valid: nbf {} is after {} ({skew})", rfc(nbf), rfc(o.at)),
                Some("check the clocks, or pass --at with the time the token was used"),
            );
        }
    }
    if o.at - o.skew >= exp {
        return check(
            "jwt.time",
            Status::Fail,
            format!("expired: exp {} is before {} ({skew})", rfc(exp), rfc(o.at)),
            Some("get a fresh token (Entra access tokens live about an hour), or pass --at with the time it was used"),
        );
    }
    check(
        "jwt.time",
        Status::Pass,
        format!(
            "valid at {}: nbf {}, exp {} ({skew})",
            rfc(o.at),
            nbf.map(rfc).unwrap_or_else(|| "absent".into()),
            rfc(exp)
        ),
        None,
    )
}

const AMR_FIX: &str = "sign in with MFA. With a federated domain the IdP must send the MFA claim where Entra reads it \
(check the SAML token with `fedcheck check`) and the domain's federatedIdpMfaBehavior must accept it; else make Entra \
require MFA itself (Conditional Access or security defaults)";

fn amr_check(c: &Map<String, Value>) -> Check {
    let Some(v) = c.get("amr") else {
        return check(
            "jwt.amr",
            Status::Fail,
            "no amr claim: Entra recorded no authentication methods, so Partner Center API calls get 401 \
Unauthorized - MFA required",
            Some(AMR_FIX),
        );
    };
    let Some(list) = v.as_array() else {
        return check(
            "jwt.amr",
            Status::Fail,
            format!("amr is not an array ({v}): Partner Center cannot see mfa in it"),
            Some(AMR_FIX),
        );
    };
    let vals: Vec<&str> = list.iter().filter_map(Value::as_str).collect();
    let shown = format!("[{}]", vals.join(", "));
    let fed = vals.contains(&"fed");
    if vals.contains(&"mfa") {
        let note = if fed {
            "; fed = federated sign-in: the MFA claim from the IdP was honoured"
        } else {
            ""
        };
        check(
            "jwt.amr",
            Status::Pass,
            format!("amr {shown} contains mfa, as Partner Center requires{note}"),
            None,
        )
    } else {
        let note = if fed {
            " (fed = federated sign-in at the IdP, but Entra did not take an MFA claim from it)"
        } else {
            ""
        };
        check(
            "jwt.amr",
            Status::Fail,
            format!("amr {shown} has no mfa{note}: Partner Center API calls get 401 Unauthorized - MFA required"),
            Some(AMR_FIX),
        )
    }
}

fn audience_check(c: &Map<String, Value>, o: &Options) -> Check {
    let auds: Vec<String> = match c.get("aud") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        _ => Vec::new(),
    };
    let shown = if auds.is_empty() {
        "absent".to_string()
    } else {
        auds.join(", ")
    };
    let norm = |s: &str| s.trim_end_matches('/').to_ascii_lowercase();
    match &o.expect_audience {
        Some(want) if auds.iter().any(|a| norm(a) == norm(want)) => {
            check("jwt.audience", Status::Pass, format!("aud {shown}, as expected"), None)
        }
        Some(want) => check(
            "jwt.audience",
            Status::Fail,
            format!("aud {shown}, expected {want}"),
            Some(
                "request the token for the expected resource (Partner Center: https://api.partnercenter.microsoft.com)",
            ),
        ),
        None => {
            let note = if auds.iter().any(|a| norm(a) == norm(PARTNER_CENTER_AUDIENCE)) {
                " (Partner Center API)"
            } else {
                ""
            };
            check("jwt.audience", Status::Info, format!("aud {shown}{note}"), None)
        }
    }
}

fn tenant_check(c: &Map<String, Value>, o: &Options) -> Check {
    let tid = c.get("tid").and_then(Value::as_str);
    let iss = c.get("iss").and_then(Value::as_str);
    let shown = format!(
        "tid {}{}",
        tid.unwrap_or("absent"),
        iss.map(|i| format!(", iss {i}")).unwrap_or_default()
    );
    match (&o.expect_tenant, tid) {
        (Some(want), Some(t)) if t.eq_ignore_ascii_case(want.trim()) => {
            check("jwt.tenant", Status::Pass, format!("{shown}, as expected"), None)
        }
        (Some(want), _) => check(
            "jwt.tenant",
            Status::Fail,
            format!("{shown}, expected tenant {want}"),
            Some("sign in to the partner tenant (the token came from another tenant)"),
        ),
        (None, _) => check("jwt.tenant", Status::Info, shown, None),
    }
}

/// The terminal rendering.
pub fn to_text(r: &Report, jwks_location: &str) -> String {
    let mut s = String::new();
    for (i, t) in r.tokens.iter().enumerate() {
        s.push_str(&format!("Token {}: {}\n", i + 1, t.source.line()));
        s.push_str(&format!(
            "  header: alg {}, kid {}, typ {}{}\n",
            t.header.alg.as_deref().unwrap_or("-"),
            t.header.kid.as_deref().unwrap_or("-"),
            t.header.typ.as_deref().unwrap_or("-"),
            if t.header.ignored.is_empty() {
                String::new()
            } else {
                format!(", ignored: {}", t.header.ignored.join(", "))
            }
        ));
        let claims = serde_json::to_value(&t.claims).unwrap_or_default();
        if let Value::Object(m) = claims {
            let parts: Vec<String> = m
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| match (k.as_str(), instant(Some(v))) {
                    ("iat" | "nbf" | "exp", Some(t)) => format!("{k} {}", rfc(t)),
                    _ => format!("{k} {}", show(v)),
                })
                .collect();
            s.push_str(&format!("  claims: {}\n", parts.join("; ")));
        }
        for c in &t.checks {
            s.push_str(&format!(
                "  {:<4} {:<14} {}\n",
                c.status.as_str().to_uppercase(),
                c.id,
                c.message
            ));
            if let Some(f) = &c.fix {
                s.push_str(&format!("       fix: {f}\n"));
            }
        }
        s.push('\n');
    }
    s.push_str(&format!(
        "Keys: {jwks_location}. Verdict: {} ({} token(s))\n",
        r.verdict.to_uppercase(),
        r.tokens.len()
    ));
    s
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
    fn bearer_lines() {
        assert_eq!(bearer("Authorization: Bearer a.b.c"), Some("a.b.c"));
        assert_eq!(bearer("authorization:bearer  a.b.c "), Some("a.b.c"));
        assert_eq!(bearer("Bearer a.b.c"), Some("a.b.c"));
        assert_eq!(bearer("Basic abc"), None);
    }
}
