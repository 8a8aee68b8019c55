//! Where access tokens are found: the argument itself, or a file or stdin holding a raw JWT, `Authorization: Bearer`
//! lines, a JSON token response (`access_token`), or a HAR 1.2 capture (request `Authorization` headers and
//! `access_token` in response bodies). The same token seen twice is kept once, with the other places listed.

use super::jose::{decode, looks_like_jwt, Jwt};
use super::{InputProblem, JwtError};
use crate::http::{self, CappedReadError};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Serialize;
use serde_json::Value;

/// Where a token was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessTokenSource {
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

impl AccessTokenSource {
    fn new(input: &str, carrier: &'static str, field: Option<&str>) -> Self {
        AccessTokenSource {
            input: input.to_string(),
            carrier,
            har_entry: None,
            url: None,
            field: field.map(str::to_string),
            also_seen: Vec::new(),
        }
    }

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

/// A token and where it came from.
#[derive(Debug, Clone)]
pub struct Found {
    /// Where.
    pub source: AccessTokenSource,
    /// The decoded token.
    pub jwt: Jwt,
}

/// Reads the positional argument: a JWT itself, `-` (stdin), or a file (raw JWT, `Authorization: Bearer` line,
/// JSON token response, HAR 1.2) of at most `max_input` bytes. Tokens are deduplicated; every one returned decoded.
pub fn find_tokens(arg: &str, max_input: u64) -> Result<Vec<Found>, JwtError> {
    let trimmed = arg.trim();
    // An existing file wins over the JWT shape (a file named `a.b.c` is read, not taken as a token).
    if trimmed != "-" && looks_like_jwt(trimmed) && !std::path::Path::new(arg).is_file() {
        let jwt = decode(trimmed).map_err(JwtError::Argument)?;
        return Ok(vec![Found {
            source: AccessTokenSource::new("argument", "argument", None),
            jwt,
        }]);
    }
    let name = if trimmed == "-" { "stdin" } else { arg };
    let bytes = read_input(arg, trimmed == "-", max_input).map_err(|problem| JwtError::Input {
        input: name.to_string(),
        problem,
    })?;
    extract(name, &bytes)
}

fn read_input(path: &str, stdin: bool, max_input: u64) -> Result<Vec<u8>, InputProblem> {
    let capped = |e| match e {
        CappedReadError::Io(e) => InputProblem::Io(e),
        CappedReadError::TooLarge { limit } => InputProblem::TooLarge { limit },
    };
    if stdin {
        return http::read_capped(std::io::stdin().lock(), max_input).map_err(capped);
    }
    let meta = std::fs::metadata(path).map_err(InputProblem::NotAFile)?;
    if meta.is_dir() {
        return Err(InputProblem::Folder);
    }
    let file = std::fs::File::open(path).map_err(InputProblem::Io)?;
    http::read_capped(file, max_input).map_err(capped)
}

/// Finds the tokens in the bytes of a file or stdin.
pub fn extract(name: &str, bytes: &[u8]) -> Result<Vec<Found>, JwtError> {
    let problem = |problem| JwtError::Input {
        input: name.to_string(),
        problem,
    };
    let text = std::str::from_utf8(bytes).map_err(|_| problem(InputProblem::NotText))?;
    let text = text.trim_start_matches('\u{feff}').trim();
    let mut found = Collector::default();
    if looks_like_jwt(text) {
        found.push(AccessTokenSource::new(name, "raw", None), text);
    } else if text.starts_with('{') {
        let v: Value = serde_json::from_str(text).map_err(|e| problem(InputProblem::BadJson(e)))?;
        if v.get("log").is_some() {
            har(name, &v, &mut found).map_err(problem)?;
        } else if let Some(t) = v.get("access_token").and_then(Value::as_str) {
            found.push(
                AccessTokenSource::new(name, "token-response", Some("access_token")),
                t.trim(),
            );
        } else {
            return Err(problem(InputProblem::UnknownJson));
        }
    } else {
        for t in text.lines().filter_map(bearer) {
            found.push(
                AccessTokenSource::new(name, "bearer-line", Some("Authorization header")),
                t,
            );
        }
    }
    found.finish().map_err(problem)
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

/// The tokens found so far, each once, and the places skipped because what they held does not decode.
#[derive(Default)]
struct Collector {
    list: Vec<(String, Found)>,
    skipped: Vec<String>,
}

impl Collector {
    fn push(&mut self, source: AccessTokenSource, token: &str) {
        if let Some((_, f)) = self.list.iter_mut().find(|(t, _)| t == token) {
            f.source.also_seen.push(source.place());
            return;
        }
        match decode(token) {
            Ok(jwt) => self.list.push((token.to_string(), Found { source, jwt })),
            Err(e) => self.skipped.push(format!("{}: {e}", source.place())),
        }
    }

    fn finish(self) -> Result<Vec<Found>, InputProblem> {
        if self.list.is_empty() {
            return Err(if self.skipped.is_empty() {
                InputProblem::NoToken
            } else {
                InputProblem::NoUsableToken(self.skipped)
            });
        }
        Ok(self.list.into_iter().map(|(_, f)| f).collect())
    }
}

/// The tokens of a HAR: `Authorization: Bearer` request headers and `access_token` in JSON response bodies.
fn har(name: &str, v: &Value, found: &mut Collector) -> Result<(), InputProblem> {
    let entries = v
        .pointer("/log/entries")
        .and_then(Value::as_array)
        .ok_or(InputProblem::HarWithoutEntries)?;
    for (i, e) in entries.iter().enumerate() {
        let src = |field: &str| AccessTokenSource {
            har_entry: Some(i),
            url: e.pointer("/request/url").and_then(Value::as_str).map(str::to_string),
            ..AccessTokenSource::new(name, "har", Some(field))
        };
        for t in request_bearer_tokens(e) {
            found.push(src("Authorization header"), t);
        }
        if let Some(t) = response_access_token(e) {
            found.push(src("access_token"), t.trim());
        }
    }
    Ok(())
}

fn request_bearer_tokens(entry: &Value) -> Vec<&str> {
    let headers = entry.pointer("/request/headers").and_then(Value::as_array);
    headers
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter(|h| {
            h.get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| n.eq_ignore_ascii_case("authorization"))
        })
        .filter_map(|h| h.get("value").and_then(Value::as_str).and_then(bearer))
        .collect()
}

/// `access_token` of a JSON response body (the body as text, or base64 when `encoding` says so).
fn response_access_token(entry: &Value) -> Option<String> {
    let content = entry.pointer("/response/content")?;
    let text = content.get("text").and_then(Value::as_str)?;
    let body = if content.get("encoding").and_then(Value::as_str) == Some("base64") {
        String::from_utf8(STANDARD.decode(text.trim()).ok()?).ok()?
    } else {
        text.to_string()
    };
    match serde_json::from_str::<Value>(body.trim()) {
        Ok(Value::Object(m)) => m.get("access_token").and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_lines() {
        assert_eq!(bearer("Authorization: Bearer a.b.c"), Some("a.b.c"));
        assert_eq!(bearer("authorization:bearer  a.b.c "), Some("a.b.c"));
        assert_eq!(bearer("Bearer a.b.c"), Some("a.b.c"));
        assert_eq!(bearer("Basic abc"), None);
    }
}
