//! The one HTTPS client, and the one bounded reader every file, stream and answer body goes through.
//!
//! Every network read fedcheck makes (IdP metadata, a JWKS, `getuserrealm.srf`, Microsoft Graph) is a [`get`] under
//! an [`HttpPolicy`]: https only (plain http only to a loopback host, for local test servers), at most
//! [`MAX_REDIRECTS`] redirects and never one that leaves https, one timeout for the whole request (connect, headers
//! and body), a size cap that also holds for chunked bodies, retries on 429 and 5xx with exponential backoff
//! (honouring `Retry-After` seconds) when the policy asks for them, and the [`USER_AGENT`]. Proxies are reqwest's
//! defaults (the system's `HTTPS_PROXY` / `NO_PROXY`). A bearer token is sent as a sensitive header and never shown.
//!
//! Failures are an [`HttpError`] the caller words for its own stage; [`read_capped`] is the size cap itself, used for
//! answer bodies here and for files and standard input everywhere else.

use std::io::Read;
use std::time::Duration;

/// The `User-Agent` of every request.
pub const USER_AGENT: &str = concat!("fedcheck/", env!("CARGO_PKG_VERSION"));
/// The most redirects followed for one request.
pub const MAX_REDIRECTS: usize = 5;
/// How much of an error answer is kept (Graph explains a refusal in its body).
pub const MAX_ERROR_BODY: u64 = 64 * 1024;

/// How requests are made.
#[derive(Debug, Clone, Copy)]
pub struct HttpPolicy {
    /// Whole-request timeout (connect, headers and body).
    pub timeout: Duration,
    /// Largest body accepted.
    pub max_bytes: u64,
    /// Retries after a 429 or 5xx answer (so at most `retries + 1` requests).
    pub retries: u32,
    /// Delay before the first retry; doubled for each further one.
    pub base_delay: Duration,
    /// Longest delay between two attempts, `Retry-After` included.
    pub max_delay: Duration,
}

impl Default for HttpPolicy {
    /// 15 s, 5 MiB, no retries (a retry waits 500 ms, doubling, at most 10 s, when `retries` asks for some).
    fn default() -> Self {
        HttpPolicy {
            timeout: Duration::from_secs(15),
            max_bytes: 5 * 1024 * 1024,
            retries: 0,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(10),
        }
    }
}

impl HttpPolicy {
    /// The default policy with this timeout in seconds (at least 1).
    pub fn with_timeout(seconds: u64) -> Self {
        HttpPolicy {
            timeout: Duration::from_secs(seconds.max(1)),
            ..HttpPolicy::default()
        }
    }

    /// The wait before retry number `retry` (0-based): `Retry-After` when the server sent one, else the exponential
    /// backoff; capped at `max_delay`.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let backoff = self.base_delay.saturating_mul(1u32 << retry.min(16));
        retry_after.unwrap_or(backoff).min(self.max_delay)
    }
}

/// A bearer token. Its `Debug` does not show it.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wraps a token.
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    /// The token itself, for the Authorization header.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of the token replaced by `[token]`.
    pub fn scrub(&self, text: String) -> String {
        if self.0.is_empty() {
            text
        } else {
            text.replace(&self.0, "[token]")
        }
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// Why a request gave no body. The words are the neutral ones; each caller may word a variant for its stage.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// The URL does not parse.
    #[error("not a valid URL: {0}")]
    BadUrl(url::ParseError),
    /// The URL is plain http to a host that is not loopback.
    #[error("plain http:// is refused (only https://, or http:// to a loopback test server)")]
    PlainHttp,
    /// The bearer token cannot be an HTTP header value.
    #[error("the bearer token holds characters an HTTP header cannot carry")]
    BadBearer,
    /// The client could not be built (TLS backend).
    #[error("{0}")]
    Client(String),
    /// No answer within the timeout.
    #[error("timed out after {seconds}s")]
    Timeout {
        /// The timeout.
        seconds: u64,
    },
    /// No answer: connection refused, DNS, TLS, a refused redirect... (the whole error chain, one line).
    #[error("{0}")]
    Connect(String),
    /// An answer that is not a success (after the retries the policy allows, for 429 and 5xx).
    #[error("HTTP {status}")]
    Status {
        /// The status.
        status: reqwest::StatusCode,
        /// The start of the body ([`MAX_ERROR_BODY`]); empty for 429 and 5xx.
        body: Vec<u8>,
    },
    /// The body is over `max_bytes`.
    #[error("the answer is larger than the {limit}-byte limit")]
    TooLarge {
        /// The answer's status.
        status: reqwest::StatusCode,
        /// The limit.
        limit: u64,
        /// True when `Content-Length` said so before reading; false when the body ran over while read.
        declared: bool,
    },
    /// The body stopped coming within the timeout.
    #[error("timed out after {seconds}s reading the answer")]
    ReadTimeout {
        /// The answer's status.
        status: reqwest::StatusCode,
        /// The timeout.
        seconds: u64,
        /// What the reader said.
        error: std::io::Error,
    },
    /// The body could not be read.
    #[error("reading the answer: {}", error_chain(.error))]
    Read {
        /// The answer's status.
        status: reqwest::StatusCode,
        /// What the reader said.
        error: std::io::Error,
    },
}

impl HttpError {
    /// The status of the answer, when one came.
    pub fn status(&self) -> Option<reqwest::StatusCode> {
        match self {
            HttpError::Status { status, .. }
            | HttpError::TooLarge { status, .. }
            | HttpError::ReadTimeout { status, .. }
            | HttpError::Read { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Why a bounded read gave no bytes.
#[derive(Debug, thiserror::Error)]
pub enum CappedReadError {
    /// The reader failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// There was more than the limit.
    #[error("larger than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: u64,
    },
}

/// Reads at most `limit` bytes (it reads `limit + 1` to tell); more is [`CappedReadError::TooLarge`]. The one
/// bounded reader: streams have no length to check first (stdin, pipes, chunked answers).
pub fn read_capped(reader: impl Read, limit: u64) -> Result<Vec<u8>, CappedReadError> {
    let mut bytes = Vec::new();
    reader.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(CappedReadError::TooLarge { limit });
    }
    Ok(bytes)
}

impl From<CappedReadError> for std::io::Error {
    fn from(e: CappedReadError) -> Self {
        match e {
            CappedReadError::Io(e) => e,
            too_large => std::io::Error::other(too_large.to_string()),
        }
    }
}

/// Opens and reads a file of at most `limit` bytes; a larger one is an I/O error "larger than `limit` bytes".
pub fn read_file_capped(path: impl AsRef<std::path::Path>, limit: u64) -> std::io::Result<Vec<u8>> {
    Ok(read_file_within(path, limit)?)
}

/// Opens and reads a file of at most `limit` bytes, telling a file over the limit ([`CappedReadError::TooLarge`])
/// from one that cannot be read. A regular file over the limit is refused by its length before any byte is read;
/// anything else (a pipe, a device such as `/dev/zero`, a file that grows) is refused once `limit + 1` bytes came.
pub fn read_file_within(path: impl AsRef<std::path::Path>, limit: u64) -> Result<Vec<u8>, CappedReadError> {
    let file = std::fs::File::open(path)?;
    if let Ok(m) = file.metadata() {
        if m.is_file() && m.len() > limit {
            return Err(CappedReadError::TooLarge { limit });
        }
    }
    read_capped(file, limit)
}

/// A byte count as the README's Limits table writes it: `8 MiB`, `512 KiB`, else `N bytes`.
pub fn size_text(n: u64) -> String {
    if n >= 1 << 20 && n % (1 << 20) == 0 {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 && n % (1 << 10) == 0 {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} bytes")
    }
}

/// Whether a URL may be fetched: https, or plain http to `localhost` or a loopback address (a local test server).
pub fn secure_or_loopback(u: &url::Url) -> bool {
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

/// An error and its sources on one line, each source once (reqwest nests the reason several levels down).
pub fn error_chain(e: &dyn std::error::Error) -> String {
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

/// GETs `url` under `policy`, with `bearer` as the Authorization when given, and returns the body.
pub fn get(url: &str, bearer: Option<&Secret>, policy: &HttpPolicy) -> Result<Vec<u8>, HttpError> {
    let parsed = url::Url::parse(url).map_err(HttpError::BadUrl)?;
    if !secure_or_loopback(&parsed) {
        return Err(HttpError::PlainHttp);
    }
    let client = client(policy)?;
    let auth = bearer.map(authorization).transpose()?;
    let mut retry = 0u32;
    loop {
        let mut request = client.get(parsed.clone());
        if let Some(v) = &auth {
            request = request.header(reqwest::header::AUTHORIZATION, v.clone());
        }
        let resp = request.send().map_err(|e| send_error(&e, policy))?;
        let status = resp.status();
        if is_retriable(status) && retry < policy.retries {
            let wait = policy.delay(retry, retry_after(&resp));
            retry += 1;
            eprintln!(
                "fedcheck: {url}: HTTP {status}; retry {retry}/{} in {:.1}s",
                policy.retries,
                wait.as_secs_f64()
            );
            drop(resp);
            std::thread::sleep(wait);
            continue;
        }
        return body(resp, policy);
    }
}

/// Whether an answer with this status is worth asking again (throttled, or a server error).
pub fn is_retriable(status: reqwest::StatusCode) -> bool {
    status.as_u16() == 429 || status.is_server_error()
}

/// The client: timeouts, user agent, and redirects that stay on https (or loopback).
fn client(policy: &HttpPolicy) -> Result<reqwest::blocking::Client, HttpError> {
    let redirects = reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().len() >= MAX_REDIRECTS {
            attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
        } else if secure_or_loopback(attempt.url()) {
            attempt.follow()
        } else {
            attempt.error("redirected to a plain http:// URL")
        }
    });
    reqwest::blocking::Client::builder()
        .redirect(redirects)
        .timeout(policy.timeout)
        .connect_timeout(policy.timeout)
        .user_agent(USER_AGENT)
        .build()
        .map_err(|e| HttpError::Client(error_chain(&e)))
}

/// The Authorization header value, marked sensitive (reqwest then keeps it out of its `Debug`).
fn authorization(token: &Secret) -> Result<reqwest::header::HeaderValue, HttpError> {
    let mut v =
        reqwest::header::HeaderValue::from_str(&format!("Bearer {}", token.0)).map_err(|_| HttpError::BadBearer)?;
    v.set_sensitive(true);
    Ok(v)
}

fn send_error(e: &reqwest::Error, policy: &HttpPolicy) -> HttpError {
    if e.is_timeout() {
        HttpError::Timeout {
            seconds: policy.timeout.as_secs(),
        }
    } else {
        HttpError::Connect(error_chain(e))
    }
}

fn retry_after(resp: &reqwest::blocking::Response) -> Option<Duration> {
    let v = resp.headers().get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// The body of a final answer: an error for a status that is not a success, else at most `max_bytes`.
fn body(resp: reqwest::blocking::Response, policy: &HttpPolicy) -> Result<Vec<u8>, HttpError> {
    let status = resp.status();
    if !status.is_success() {
        let body = if is_retriable(status) {
            Vec::new()
        } else {
            read_capped(resp, MAX_ERROR_BODY).unwrap_or_default()
        };
        return Err(HttpError::Status { status, body });
    }
    let limit = policy.max_bytes;
    if resp.content_length().is_some_and(|n| n > limit) {
        return Err(HttpError::TooLarge {
            status,
            limit,
            declared: true,
        });
    }
    read_capped(resp, limit).map_err(|e| match e {
        CappedReadError::TooLarge { limit } => HttpError::TooLarge {
            status,
            limit,
            declared: false,
        },
        CappedReadError::Io(error) if is_timeout(&error) => HttpError::ReadTimeout {
            status,
            seconds: policy.timeout.as_secs(),
            error,
        },
        CappedReadError::Io(error) => HttpError::Read { status, error },
    })
}

fn is_timeout(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::TimedOut || e.to_string().contains("timed out")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff() {
        let p = HttpPolicy::default();
        assert_eq!(p.delay(0, None), Duration::from_millis(500));
        assert_eq!(p.delay(2, None), Duration::from_millis(2000));
        assert_eq!(p.delay(0, Some(Duration::from_secs(60))), Duration::from_secs(10));
        assert_eq!(format!("{:?}", Secret::new("abc")), "Secret([redacted])");
        assert_eq!(Secret::new("abc").scrub("x abc y".into()), "x [token] y");
    }

    #[test]
    fn capped() {
        let e = read_capped(std::io::Cursor::new(vec![b'a'; 11]), 10).unwrap_err();
        assert!(matches!(e, CappedReadError::TooLarge { limit: 10 }));
        assert_eq!(read_capped(std::io::Cursor::new(vec![b'a'; 10]), 10).unwrap().len(), 10);
    }

    #[test]
    fn only_https_or_loopback() {
        let ok = |s: &str| secure_or_loopback(&url::Url::parse(s).unwrap());
        assert!(ok("https://sts.contoso.com/x"));
        assert!(ok("http://127.0.0.1:8080/x"));
        assert!(ok("http://[::1]/x"));
        assert!(ok("http://LocalHost/x"));
        assert!(!ok("http://sts.contoso.com/x"));
        assert!(!ok("ftp://127.0.0.1/x"));
    }

    #[test]
    fn refuses_before_connecting() {
        let p = HttpPolicy::default();
        assert!(matches!(
            get("http://keys.example.test/k", None, &p),
            Err(HttpError::PlainHttp)
        ));
        assert!(matches!(get("not a url", None, &p), Err(HttpError::BadUrl(_))));
    }
}
