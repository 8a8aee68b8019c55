//! `fedcheck serve`: a local stand-in for Entra's sign-in endpoint, so an IdP change can be tried against
//! something that judges tokens exactly like `fedcheck check` before it reaches production.
//!
//! The server plays Entra's part in a federated sign-in:
//!
//! - `GET /` is a start page whose links ([`START_WSFED`], [`START_SAML`]) send the browser to the IdP: a
//!   WS-Federation `wsignin1.0` request with `wauth=multipleauthn` (what Entra sends when it asks the IdP for MFA),
//!   or the SAML-P `AuthnRequest` Microsoft documents Entra sending (HTTP-POST binding, `Issuer`, `NameIDPolicy`
//!   persistent, `AssertionConsumerServiceIndex="0"`, no `RequestedAuthnContext`), signed RSA-SHA1 with
//!   `KeyName` MicrosoftOnline when the given settings have `isSignedAuthenticationRequestRequired` (with the
//!   stand-in's own key: Entra's is not available; its certificate is at [`SIGNING_CERT_PATH`]). Each request
//!   carries a fresh nonce (`wctx`, or the AuthnRequest `ID`) that the server remembers.
//! - `POST /login.srf` (Entra's own path) takes the posted form (`wresult` or `SAMLResponse`), runs the pipeline
//!   of [`crate::report::run`], and adds what only a relying party can judge: whether the post answers a request
//!   this server sent (`serve.correlation`; unsolicited posts are judged too, flagged as such) and whether the
//!   same assertion was posted before (`serve.replay`, HTTP 409). The answer is an HTML page, or the JSON of
//!   `fedcheck check --format json` (plus a `serve` object) when the request says `Accept: application/json`.
//!
//! A test IdP cannot address its tokens to `https://login.microsoftonline.com/login.srf` and still post them
//! here, so a `Recipient` / `Destination` equal to this server's ACS URL, and an audience equal to the realm it
//! asked for with `--realm`, are accepted with an `info` check that says what Entra requires instead. Everything
//! else is judged exactly as `check` judges it.
//!
//! Hostile input is expected: every value shown in a page is HTML-escaped, bodies are capped
//! ([`Limits::max_body`]), each request has a deadline ([`Limits::request_timeout`]), judging runs on a bounded
//! number of blocking threads, the remembered nonces and assertion IDs are bounded, and errors are one-line
//! messages (no stack traces, no internal detail).

use crate::input::{self, InputFormat, InputLimits, RawToken};
use crate::report::{self, Report, Settings, Style, Verdict};
use crate::rules::{self, check, Check, Status};
use crate::saml::Protocol;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::Engine as _;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::future::Future;
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// Path of the start link for a WS-Federation sign-in.
pub const START_WSFED: &str = "/start/wsfed";
/// Path of the start link for a SAML-P sign-in.
pub const START_SAML: &str = "/start/saml";
/// The assertion consumer path, the same as Entra's.
pub const ACS_PATH: &str = "/login.srf";
/// The authentication context Entra asks a federated IdP for when MFA is required.
pub const MULTIPLEAUTHN: &str = "http://schemas.microsoft.com/claims/multipleauthn";
/// The name a posted form has in reports (`source.input`).
pub const POST_INPUT: &str = "POST /login.srf";
/// Where the certificate of the key that signs the stand-in's AuthnRequests is published (PEM).
pub const SIGNING_CERT_PATH: &str = "/request-signing.crt";
/// The `KeyName` Entra puts in a signed AuthnRequest.
pub const ENTRA_KEY_NAME: &str = "MicrosoftOnline";

/// The key the stand-in signs its AuthnRequests with, as Entra signs its own with "the OrgID signing key"
/// (which no test can hold): an RSA-2048 key made when the server starts, with a self-signed certificate that
/// the IdP's test relying party must be given (`GET /request-signing.crt`).
pub struct RequestSigner {
    key_der: Vec<u8>,
    cert_der: Vec<u8>,
    /// The certificate, PEM.
    pub cert_pem: String,
}

impl std::fmt::Debug for RequestSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestSigner").finish_non_exhaustive()
    }
}

impl RequestSigner {
    /// Makes a fresh key and certificate.
    pub fn generate() -> Result<Self, openssl::error::ErrorStack> {
        use openssl::asn1::{Asn1Integer, Asn1Time};
        use openssl::bn::BigNum;
        use openssl::hash::MessageDigest;
        use openssl::pkey::PKey;
        use openssl::rsa::Rsa;
        use openssl::x509::{X509Builder, X509NameBuilder};
        let key = PKey::from_rsa(Rsa::generate(2048)?)?;
        let mut name = X509NameBuilder::new()?;
        name.append_entry_by_text("CN", "fedcheck serve AuthnRequest signing (test only)")?;
        let name = name.build();
        let mut serial = BigNum::new()?;
        serial.rand(64, openssl::bn::MsbOption::MAYBE_ZERO, false)?;
        let mut b = X509Builder::new()?;
        b.set_version(2)?;
        let serial = Asn1Integer::from_bn(&serial)?;
        b.set_serial_number(&serial)?;
        b.set_subject_name(&name)?;
        b.set_issuer_name(&name)?;
        b.set_pubkey(&key)?;
        let (from, to) = (Asn1Time::days_from_now(0)?, Asn1Time::days_from_now(365)?);
        b.set_not_before(&from)?;
        b.set_not_after(&to)?;
        b.sign(&key, MessageDigest::sha256())?;
        let cert = b.build();
        Ok(RequestSigner {
            key_der: key.private_key_to_der()?,
            cert_der: cert.to_der()?,
            cert_pem: String::from_utf8_lossy(&cert.to_pem()?).into_owned(),
        })
    }

    /// Signs an AuthnRequest made by [`authn_request_xml`] with `signed` set.
    pub fn sign(&self, xml: &str) -> Result<String, String> {
        crate::dsig::xmlsec::sign_template(xml, &self.key_der, &self.cert_der)
    }
}

/// Whether the given settings make Entra sign its SAML-P AuthnRequests: a SAML-P domain configuration with
/// `isSignedAuthenticationRequestRequired` true (when several domains are configured, any SAML-P one).
pub fn signed_requests_required(settings: &Settings) -> bool {
    settings.federation.as_ref().is_some_and(|set| {
        set.configs.iter().any(|c| {
            c.signed_requests == Some(true)
                && c.preferred_protocol
                    .as_ref()
                    .and_then(crate::entra::Setting::known)
                    .is_none_or(|p| p == Protocol::Saml2)
        })
    })
}

/// Resource limits of the server.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest request body accepted, in bytes (default 1 MiB; a real token is a few KiB).
    pub max_body: usize,
    /// Deadline for a whole request, body included (default 30 s).
    pub request_timeout: Duration,
    /// Sign-in requests remembered while awaiting their answer (default 10 000; oldest forgotten first).
    pub max_pending: usize,
    /// How long a sign-in request is remembered (default 1 hour).
    pub pending_ttl: Duration,
    /// Assertion IDs remembered for replay detection (default 100 000; oldest forgotten first).
    pub max_seen: usize,
    /// Tokens judged at the same time (default 4).
    pub max_concurrent: usize,
    /// Connections open at the same time (default 256). At the cap, the oldest connection with no request in
    /// progress is closed to make room; when all are busy with a request, one more is answered 503 at once and closed.
    pub max_connections: usize,
    /// How long a client may take to send a request's headers (default 10 s; a slowloris holds a connection no
    /// longer than this).
    pub header_timeout: Duration,
    /// Evidence bundles written by `--out` in this run (default 1000); later sign-ins are judged but not kept.
    pub max_bundles: u64,
    /// Bytes of evidence bundles written by `--out` in this run (default 1 GiB).
    pub max_bundle_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            max_pending: 10_000,
            pending_ttl: Duration::from_secs(3600),
            max_seen: 100_000,
            max_concurrent: 4,
            max_connections: 256,
            header_timeout: Duration::from_secs(10),
            max_bundles: 1000,
            max_bundle_bytes: 1024 * 1024 * 1024,
        }
    }
}

/// Everything the server needs, resolved before it starts.
#[derive(Debug, Clone)]
pub struct Config {
    /// Trust anchors, metadata, expected issuer, engines, skew; `at` is used only when `fixed_time` is set.
    pub settings: Settings,
    /// Evaluate at `settings.at` (`--at`) instead of at the moment of each post.
    pub fixed_time: bool,
    /// The IdP's WS-Federation passive sign-in URL (from `--idp-url-wsfed` / `--idp-url`, else the metadata's).
    pub idp_url_wsfed: Option<String>,
    /// The IdP's SAML-P single sign-on URL (from `--idp-url-saml` / `--idp-url`, else the metadata's). Okta, Ping,
    /// Shibboleth and Keycloak use another endpoint for each protocol.
    pub idp_url_saml: Option<String>,
    /// The ACS URL the IdP is told to post to (default: `http://<listen address>/login.srf`).
    pub acs_url: Option<String>,
    /// The realm sent as `wtrealm` and as the AuthnRequest `Issuer` (default `urn:federation:MicrosoftOnline`).
    pub realm: String,
    /// Request IDs / `wctx` values to treat as sent by this server (for tests that post fixtures).
    pub expect_request_ids: Vec<String>,
    /// Resource limits.
    pub limits: Limits,
    /// Write an evidence bundle ([`crate::bundle`]) per sign-in under this folder (`--out`).
    pub out: Option<std::path::PathBuf>,
}

/// Why the server could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The listening socket failed.
    #[error("cannot serve on {addr}: {error}")]
    Io {
        /// The address.
        addr: String,
        /// The error.
        error: std::io::Error,
    },
    /// A URL option is not an absolute http(s) URL.
    #[error("{option}: \"{value}\" is not an absolute http(s) URL")]
    BadUrl {
        /// The option.
        option: &'static str,
        /// The value.
        value: String,
    },
}

/// A sign-in request this server sent and has not seen answered.
#[derive(Debug, Clone)]
struct Pending {
    protocol: Protocol,
    issued: Instant,
}

/// Mutable server state: the requests awaiting an answer and the assertion IDs already consumed.
#[derive(Debug, Default)]
struct Memory {
    pending: HashMap<String, Pending>,
    pending_order: VecDeque<String>,
    seen: HashMap<(String, String), String>,
    seen_order: VecDeque<(String, String)>,
}

struct AppState {
    cfg: Config,
    signer: Option<RequestSigner>,
    bundles: std::sync::atomic::AtomicU64,
    bundle_bytes: std::sync::atomic::AtomicU64,
    acs_url: String,
    memory: Mutex<Memory>,
    judges: Arc<Semaphore>,
}

/// What the server adds to a report: how the post relates to the requests it sent.
#[derive(Debug, Clone, Serialize)]
pub struct ServeInfo {
    /// The assertion consumer URL of this server.
    pub acs_url: String,
    /// The post answers no request this server sent (IdP-initiated, stale, or from elsewhere).
    pub unsolicited: bool,
    /// The request it answers (`InResponseTo` or `wctx`), when known.
    pub in_response_to: Option<String>,
    /// An assertion in the post was posted here before.
    pub replay: bool,
    /// The evidence bundle written for this sign-in (`--out`), or why none could be.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bundle: Option<String>,
}

#[derive(Serialize)]
struct ServeJson<'a> {
    #[serde(flatten)]
    report: &'a Report,
    serve: &'a ServeInfo,
}

/// Runs the server on `listener` until `shutdown` completes, then stops accepting, lets requests in flight
/// finish (at most 10 seconds) and returns.
pub async fn run<F>(listener: TcpListener, cfg: Config, shutdown: F) -> Result<(), ServeError>
where
    F: Future<Output = ()> + Send + 'static,
{
    let local = listener.local_addr().map_err(|error| ServeError::Io {
        addr: "listener".into(),
        error,
    })?;
    for (option, value) in [
        ("--idp-url-wsfed", &cfg.idp_url_wsfed),
        ("--idp-url-saml", &cfg.idp_url_saml),
        ("--acs-url", &cfg.acs_url),
    ] {
        if let Some(v) = value {
            if !is_http_url(v) {
                return Err(ServeError::BadUrl {
                    option,
                    value: v.clone(),
                });
            }
        }
    }
    let acs_url = cfg.acs_url.clone().unwrap_or_else(|| default_acs(local));
    let mut state = new_state(cfg, acs_url.clone());
    if signed_requests_required(&state.cfg.settings) {
        state.signer = Some(RequestSigner::generate().map_err(|e| ServeError::Io {
            addr: local.to_string(),
            error: std::io::Error::other(format!("cannot make the AuthnRequest signing key: {e}")),
        })?);
    }
    let state = Arc::new(state);
    banner(local, &state);
    let limits = state.cfg.limits;
    let app = router(state);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });
    let open = Arc::new(OpenConnections::default());
    let max_connections = limits.max_connections.max(1);
    let mut stop = stop_rx.clone();
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = async { let _ = stop.wait_for(|s| *s).await; } => break,
        };
        let Ok((stream, _peer)) = accepted else {
            // Out of descriptors, say: back off a moment instead of spinning.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        // At the cap, the oldest connection with no request in progress (a slow header, an idle keep-alive) makes
        // room, so idle connections cannot lock honest clients out; when every connection is busy with a request,
        // the newcomer is refused.
        match open.admit(max_connections) {
            Some(admitted) => {
                tokio::spawn(serve_connection(stream, app.clone(), limits, stop_rx.clone(), admitted));
            }
            None => {
                tokio::spawn(refuse_connection(stream));
            }
        }
    }
    // Requests in flight get at most 10 seconds to finish.
    let drained = async {
        while !open.is_empty() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(10), drained).await;
    Ok(())
}

/// The open connections, oldest first, each with whether a request is in progress on it and how to close it.
#[derive(Default)]
struct OpenConnections {
    next: std::sync::atomic::AtomicU64,
    by_age: Mutex<std::collections::BTreeMap<u64, OpenConnection>>,
}

struct OpenConnection {
    requests: Arc<std::sync::atomic::AtomicUsize>,
    close: Arc<tokio::sync::Notify>,
}

impl OpenConnections {
    /// Registers a new connection when fewer than `max` are open, or in the place of the oldest one with no request
    /// in progress (which is told to close); `None` when all `max` are busy with a request.
    fn admit(self: &Arc<Self>, max: usize) -> Option<Admitted> {
        let mut by_age = lock(&self.by_age);
        if by_age.len() >= max {
            let idle = by_age
                .iter()
                .find(|(_, c)| c.requests.load(std::sync::atomic::Ordering::Acquire) == 0)
                .map(|(id, _)| *id)?;
            if let Some(evicted) = by_age.remove(&idle) {
                evicted.close.notify_one();
            }
        }
        let id = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let requests = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let close = Arc::new(tokio::sync::Notify::new());
        let entry = OpenConnection {
            requests: requests.clone(),
            close: close.clone(),
        };
        by_age.insert(id, entry);
        Some(Admitted {
            _guard: OpenGuard { open: self.clone(), id },
            requests,
            close,
        })
    }

    fn is_empty(&self) -> bool {
        lock(&self.by_age).is_empty()
    }
}

/// A connection counted among the open ones until this drops.
struct Admitted {
    _guard: OpenGuard,
    requests: Arc<std::sync::atomic::AtomicUsize>,
    close: Arc<tokio::sync::Notify>,
}

struct OpenGuard {
    open: Arc<OpenConnections>,
    id: u64,
}

impl Drop for OpenGuard {
    fn drop(&mut self) {
        lock(&self.open.by_age).remove(&self.id);
    }
}

/// The map, even when a thread panicked holding it (the map stays consistent: each change is one insert or remove).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Counts a request in progress on its connection while alive.
struct InRequest(Arc<std::sync::atomic::AtomicUsize>);

impl InRequest {
    fn enter(count: &Arc<std::sync::atomic::AtomicUsize>) -> InRequest {
        count.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        InRequest(count.clone())
    }
}

impl Drop for InRequest {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

/// Serves one connection (HTTP/1.1, keep-alive) with the header read timeout, until it closes, the server stops, or
/// it is closed to make room (only while no request is in progress on it); `admitted` counts it among the open
/// connections while it lives.
async fn serve_connection(
    stream: tokio::net::TcpStream,
    app: Router,
    limits: Limits,
    mut stop: tokio::sync::watch::Receiver<bool>,
    admitted: Admitted,
) {
    let Admitted {
        _guard,
        requests: in_progress,
        close,
    } = admitted;
    let requests = in_progress.clone();
    let inner = hyper_util::service::TowerToHyperService::new(app);
    // A request is in progress from the moment its headers are read until its answer is produced.
    let service = hyper::service::service_fn(move |req| {
        let busy = InRequest::enter(&requests);
        let answer = hyper::service::Service::call(&inner, req);
        async move {
            let r = answer.await;
            drop(busy);
            r
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let conn = builder.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = close.notified() => {
            // Closed to make room. The connection is polled only here, so no request can start meanwhile: one that
            // started before the notice finishes (within its deadline); an idle one, or a response still being
            // written, gets a second at most. Either way the connection takes no further request.
            conn.as_mut().graceful_shutdown();
            let busy = in_progress.load(std::sync::atomic::Ordering::Acquire) > 0;
            let grace = if busy { limits.request_timeout } else { Duration::from_secs(1) };
            let _ = tokio::time::timeout(grace, conn).await;
        }
        _ = async { let _ = stop.wait_for(|s| *s).await; } => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(Duration::from_secs(10), conn).await;
        }
    }
}

/// Over the connection cap: a short 503 and close, at once, so a flood of idle connections cannot make honest
/// clients wait in the kernel's queue.
async fn refuse_connection(mut stream: tokio::net::TcpStream) {
    use tokio::io::AsyncWriteExt;
    let body = "fedcheck serve: too many open connections; try again\n";
    let msg = format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\nRetry-After: 1\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(msg.as_bytes())).await;
    let _ = stream.shutdown().await;
}

fn new_state(cfg: Config, acs_url: String) -> AppState {
    let mut memory = Memory::default();
    for id in &cfg.expect_request_ids {
        // Pre-registered IDs answer either protocol.
        memory.pending.insert(
            id.clone(),
            Pending {
                protocol: Protocol::Saml2,
                issued: Instant::now(),
            },
        );
        memory.pending.insert(
            format!("wsfed:{id}"),
            Pending {
                protocol: Protocol::WsfedSaml11,
                issued: Instant::now(),
            },
        );
    }
    AppState {
        signer: None,
        bundles: std::sync::atomic::AtomicU64::new(0),
        bundle_bytes: std::sync::atomic::AtomicU64::new(0),
        judges: Arc::new(Semaphore::new(cfg.limits.max_concurrent.max(1))),
        cfg,
        acs_url,
        memory: Mutex::new(memory),
    }
}

fn banner(local: SocketAddr, state: &AppState) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "fedcheck serve: listening on http://{local}/");
    let _ = writeln!(out, "  assertion consumer (ACS, wreply): {}", state.acs_url);
    let urls = [
        ("WS-Federation", &state.cfg.idp_url_wsfed),
        ("SAML-P", &state.cfg.idp_url_saml),
    ];
    for (protocol, url) in urls {
        match url {
            Some(u) => {
                let _ = writeln!(out, "  IdP sign-in URL ({protocol}): {u}");
            }
            None => {
                let _ = writeln!(
                    out,
                    "  no IdP sign-in URL for {protocol} (--idp-url, --idp-url-wsfed / --idp-url-saml, or --metadata with a sign-in endpoint): its start link is disabled; tokens can still be posted"
                );
            }
        }
    }
    let _ = writeln!(out, "  realm (wtrealm, AuthnRequest Issuer): {}", state.cfg.realm);
    if state.signer.is_some() {
        let _ = writeln!(
            out,
            "  SAML-P AuthnRequests are signed (isSignedAuthenticationRequestRequired): give the IdP's test relying party the certificate at http://{local}{SIGNING_CERT_PATH}"
        );
    }
    let _ = writeln!(out, "Press Ctrl-C to stop.");
    let _ = out.flush();
}

fn default_acs(local: SocketAddr) -> String {
    let host = match local {
        SocketAddr::V4(a) if a.ip().is_unspecified() => "127.0.0.1".to_string(),
        SocketAddr::V6(a) if a.ip().is_unspecified() => "[::1]".to_string(),
        SocketAddr::V4(a) => a.ip().to_string(),
        SocketAddr::V6(a) => format!("[{}]", a.ip()),
    };
    format!("http://{host}:{}{ACS_PATH}", local.port())
}

fn is_http_url(s: &str) -> bool {
    url::Url::parse(s).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM. The handlers are installed when this is called (inside the
/// runtime), not when the future is first polled, so a signal that arrives right after the banner is not lost.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let int = signal(SignalKind::interrupt()).ok();
        let term = signal(SignalKind::terminate()).ok();
        async move {
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = wait(int) => {},
                _ = wait(term) => {},
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn router(state: Arc<AppState>) -> Router {
    let limits = state.cfg.limits;
    Router::new()
        .route("/", get(start_page))
        .route(START_WSFED, get(start_wsfed))
        .route(START_SAML, get(start_saml))
        .route(SIGNING_CERT_PATH, get(signing_cert))
        .route(ACS_PATH, post(consume).get(acs_get))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(limits.max_body))
        .layer(middleware::from_fn_with_state(limits.request_timeout, deadline))
        .with_state(state)
}

/// Bounds every request, body reading included; a request over its deadline gets a 503 page.
async fn deadline(State(timeout): State<Duration>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(timeout, next.run(req)).await {
        Ok(r) => r,
        Err(_) => page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Timed out",
            &format!(
                "<p>The request took longer than {} s and was abandoned.</p>",
                timeout.as_secs()
            ),
        ),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Pages

/// Escapes a value for HTML text and attribute context. Every value that reaches a page goes through this.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}\
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}\
.pass{color:#176f2c;font-weight:bold}.info{color:#0b5c7a}.warn{color:#8a5a00;font-weight:bold}.fail,.error{color:#b00020;font-weight:bold}\
pre{background:#f6f6f6;padding:1rem;overflow-x:auto;white-space:pre-wrap}.fix{color:#555;font-size:.9em}code{background:#f0f0f0}";

fn page(status: StatusCode, title: &str, body_html: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{} - fedcheck serve</title>\
<style>{CSS}</style></head><body>\n<h1>{}</h1>\n{body_html}\n<p><a href=\"/\">Start page</a></p>\n</body></html>\n",
        esc(title),
        esc(title)
    );
    with_headers(status, "text/html; charset=utf-8", html)
}

fn with_headers(status: StatusCode, content_type: &'static str, body: String) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"),
    );
    r
}

async fn start_page(State(st): State<Arc<AppState>>) -> Response {
    let mut b = String::new();
    let _ = write!(
        b,
        "<p>A local stand-in for Microsoft Entra ID's sign-in endpoint. Sign in at your IdP through one of the links \
below; the IdP posts its token back to <code>{}</code>, where it is judged exactly like <code>fedcheck check</code>.</p>",
        esc(&st.acs_url)
    );
    let mut links = String::new();
    if let Some(u) = &st.cfg.idp_url_wsfed {
        let _ = write!(
            links,
            "<li><a id=\"start-wsfed\" href=\"{START_WSFED}\">Sign in with WS-Federation</a> (<code>wa=wsignin1.0</code>, \
<code>wauth=multipleauthn</code>) at <code>{}</code></li>",
            esc(u)
        );
    }
    if let Some(u) = &st.cfg.idp_url_saml {
        let _ = write!(
            links,
            "<li><a id=\"start-saml\" href=\"{START_SAML}\">Sign in with SAML-P</a> (the AuthnRequest Microsoft documents \
Entra sending, HTTP-POST binding{}) at <code>{}</code></li>",
            if st.signer.is_some() {
                ", signed: the IdP needs <a href=\"/request-signing.crt\">this certificate</a>"
            } else {
                ""
            },
            esc(u)
        );
    }
    if links.is_empty() {
        b.push_str(
            "<p class=\"warn\">No IdP sign-in URL is configured (start the server with <code>--idp-url</code>, \
<code>--idp-url-wsfed</code> / <code>--idp-url-saml</code>, or <code>--metadata</code> whose metadata names a \
sign-in endpoint), so the start links are disabled. Tokens posted to the ACS are still judged.</p>",
        );
    } else {
        let _ = write!(b, "<ul>{links}</ul>");
    }
    let s = &st.cfg.settings;
    let _ = write!(
        b,
        "<h2>Trust</h2><p>{} trusted certificate(s){}; realm <code>{}</code>; evaluation time: {}.</p>",
        s.anchors.len(),
        s.metadata
            .as_ref()
            .map(|m| format!(", metadata {}", esc(&m.source_name)))
            .unwrap_or_default(),
        esc(&st.cfg.realm),
        if st.cfg.fixed_time {
            esc(&s.at.to_rfc3339_opts(SecondsFormat::Secs, true))
        } else {
            "the moment of each post".to_string()
        }
    );
    page(StatusCode::OK, "fedcheck serve", &b)
}

fn not_configured() -> Response {
    page(
        StatusCode::SERVICE_UNAVAILABLE,
        "No IdP sign-in URL",
        "<p>Start <code>fedcheck serve</code> with <code>--idp-url URL</code> (the IdP's passive sign-in endpoint, \
e.g. <code>https://sts.contoso.com/adfs/ls/</code>) or with <code>--metadata</code> naming one.</p>",
    )
}

fn redirect(location: &str) -> Response {
    let mut r = with_headers(
        StatusCode::FOUND,
        "text/plain; charset=utf-8",
        "Redirecting to the IdP\n".into(),
    );
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

fn nonce() -> String {
    let mut b = [0u8; 16];
    if openssl::rand::rand_bytes(&mut b).is_err() {
        // The OS RNG failing is not recoverable in a meaningful way; fall back to time so the ID is still unique.
        let t = Utc::now().timestamp_nanos_opt().unwrap_or_default();
        b[..8].copy_from_slice(&t.to_le_bytes());
    }
    let mut s = String::from("_");
    for x in b {
        let _ = write!(s, "{x:02x}");
    }
    s
}

impl AppState {
    fn remember(&self, id: String, protocol: Protocol) {
        let Ok(mut m) = self.memory.lock() else { return };
        let key = key_for(&id, protocol);
        m.pending.insert(
            key.clone(),
            Pending {
                protocol,
                issued: Instant::now(),
            },
        );
        m.pending_order.push_back(key);
        while m.pending_order.len() > self.cfg.limits.max_pending {
            if let Some(old) = m.pending_order.pop_front() {
                m.pending.remove(&old);
            }
        }
    }

    /// Takes a pending request (one answer per request).
    fn take(&self, id: &str, protocol: Protocol) -> Option<Pending> {
        let mut m = self.memory.lock().ok()?;
        let p = m.pending.remove(&key_for(id, protocol))?;
        (p.protocol == protocol && p.issued.elapsed() <= self.cfg.limits.pending_ttl).then_some(p)
    }

    /// Records an assertion ID; returns when it was first seen if it was seen before.
    fn consume(&self, issuer: &str, id: &str) -> Option<String> {
        let mut m = self.memory.lock().ok()?;
        let key = (issuer.to_string(), id.to_string());
        if let Some(at) = m.seen.get(&key) {
            return Some(at.clone());
        }
        m.seen
            .insert(key.clone(), Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true));
        m.seen_order.push_back(key);
        while m.seen_order.len() > self.cfg.limits.max_seen {
            if let Some(old) = m.seen_order.pop_front() {
                m.seen.remove(&old);
            }
        }
        None
    }
}

fn key_for(id: &str, protocol: Protocol) -> String {
    match protocol {
        Protocol::Saml2 => id.to_string(),
        Protocol::WsfedSaml11 => format!("wsfed:{id}"),
    }
}

fn with_query(base: &str, query: &str) -> String {
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}{query}")
}

async fn start_wsfed(State(st): State<Arc<AppState>>) -> Response {
    let Some(idp) = st.cfg.idp_url_wsfed.clone() else {
        return not_configured();
    };
    let ctx = nonce();
    st.remember(ctx.clone(), Protocol::WsfedSaml11);
    redirect(&wsfed_request_url(&idp, &st.cfg.realm, &st.acs_url, &ctx))
}

/// The WS-Federation sign-in request Entra sends when it needs MFA from the IdP.
pub fn wsfed_request_url(idp: &str, realm: &str, wreply: &str, wctx: &str) -> String {
    let q = form_urlencoded::Serializer::new(String::new())
        .append_pair("wa", "wsignin1.0")
        .append_pair("wtrealm", realm)
        .append_pair("wauth", MULTIPLEAUTHN)
        .append_pair("wreply", wreply)
        .append_pair("wctx", wctx)
        .finish();
    with_query(idp, &q)
}

async fn start_saml(State(st): State<Arc<AppState>>) -> Response {
    let Some(idp) = st.cfg.idp_url_saml.clone() else {
        return not_configured();
    };
    let id = nonce();
    let signed = st.signer.is_some();
    let xml = authn_request_xml(&idp, &st.cfg.realm, &id, Utc::now(), signed);
    let xml = if signed {
        let st2 = st.clone();
        let signed_xml = tokio::task::spawn_blocking(move || st2.signer.as_ref().map(|s| s.sign(&xml))).await;
        match signed_xml {
            Ok(Some(Ok(x))) => x,
            _ => {
                return page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal error",
                    "<p>Could not sign the request.</p>",
                )
            }
        }
    } else {
        xml
    };
    st.remember(id, Protocol::Saml2);
    post_binding_page(&idp, &base64::engine::general_purpose::STANDARD.encode(xml.as_bytes()))
}

async fn signing_cert(State(st): State<Arc<AppState>>) -> Response {
    match &st.signer {
        Some(s) => with_headers(StatusCode::OK, "application/x-pem-file", s.cert_pem.clone()),
        None => page(
            StatusCode::NOT_FOUND,
            "Not signing",
            "<p>AuthnRequests are not signed: the settings given with <code>--federation-config</code> do not set \
<code>isSignedAuthenticationRequestRequired</code>.</p>",
        ),
    }
}

/// The SAML-P `AuthnRequest` Microsoft documents Entra sending ("Use a SAML 2.0 Identity Provider for single
/// sign-on": `ID`, `IssueInstant`, `Version`, `AssertionConsumerServiceIndex="0"`, `Issuer`, `NameIDPolicy`
/// persistent, no `RequestedAuthnContext`). With `signed`, a signature template follows the `Issuer` (RSA-SHA1,
/// exclusive c14n, `KeyName` MicrosoftOnline, as Entra signs) and `Destination` names the IdP, which the SAML
/// bindings require of a signed request sent by HTTP-POST.
pub fn authn_request_xml(idp: &str, realm: &str, id: &str, instant: DateTime<Utc>, signed: bool) -> String {
    let (destination, template) = if signed {
        (
            format!(" Destination=\"{}\"", esc(idp)),
            format!(
                "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo>\
<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>\
<ds:SignatureMethod Algorithm=\"http://www.w3.org/2000/09/xmldsig#rsa-sha1\"/>\
<ds:Reference URI=\"#{}\"><ds:Transforms>\
<ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>\
<ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/></ds:Transforms>\
<ds:DigestMethod Algorithm=\"http://www.w3.org/2000/09/xmldsig#sha1\"/><ds:DigestValue></ds:DigestValue>\
</ds:Reference></ds:SignedInfo><ds:SignatureValue></ds:SignatureValue>\
<ds:KeyInfo><ds:KeyName>{ENTRA_KEY_NAME}</ds:KeyName></ds:KeyInfo></ds:Signature>",
                esc(id)
            ),
        )
    } else {
        (String::new(), String::new())
    };
    format!(
        "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"{}\" IssueInstant=\"{}\" Version=\"2.0\"{destination} \
AssertionConsumerServiceIndex=\"0\"><saml:Issuer>{}</saml:Issuer>{template}\
<samlp:NameIDPolicy Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:persistent\"/></samlp:AuthnRequest>",
        esc(id),
        instant.to_rfc3339_opts(SecondsFormat::Secs, true),
        esc(realm)
    )
}

/// The HTTP-POST binding: a page whose form posts `SAMLRequest` to the IdP, submitted by a script allowed by
/// nonce (and a button without scripts).
fn post_binding_page(idp: &str, saml_request: &str) -> Response {
    let script_nonce = nonce();
    let origin = url::Url::parse(idp)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign in at the IdP - fedcheck serve</title>\
<style>{CSS}</style></head><body>\n<h1>Sign in at the IdP</h1>\
<form id=\"saml-post\" method=\"POST\" action=\"{}\"><input type=\"hidden\" name=\"SAMLRequest\" value=\"{}\"/>\
<p>Sending the AuthnRequest to the IdP (HTTP-POST binding)...</p><noscript><button type=\"submit\">Continue</button></noscript>\
</form><script nonce=\"{script_nonce}\">document.getElementById('saml-post').submit();</script>\n</body></html>\n",
        esc(idp),
        esc(saml_request)
    );
    let mut r = with_headers(StatusCode::OK, "text/html; charset=utf-8", html);
    let csp = format!(
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-{script_nonce}'; form-action {origin}"
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    r
}

async fn acs_get() -> Response {
    page(
        StatusCode::METHOD_NOT_ALLOWED,
        "POST only",
        "<p>The IdP posts its token here (<code>wresult</code> or <code>SAMLResponse</code>, form-encoded). Start a \
sign-in from the start page.</p>",
    )
}

async fn not_found() -> Response {
    page(StatusCode::NOT_FOUND, "Not found", "<p>There is nothing here.</p>")
}

// ---------------------------------------------------------------------------------------------------------------
// The assertion consumer

fn wants_json(h: &HeaderMap) -> bool {
    h.get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

fn problem(json: bool, status: StatusCode, title: &str, message: &str) -> Response {
    if json {
        let body = serde_json::json!({"verdict": "error", "error": message});
        with_headers(status, "application/json", body.to_string() + "\n")
    } else {
        page(status, title, &format!("<p>{}</p>", esc(message)))
    }
}

async fn consume(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let json = wants_json(&headers);
    let body = match body {
        Ok(b) => b,
        Err(e) => {
            let status = e.status();
            let msg = if status == StatusCode::PAYLOAD_TOO_LARGE {
                format!("the request body is over the {}-byte limit", st.cfg.limits.max_body)
            } else {
                "the request body could not be read".to_string()
            };
            return problem(json, status, "Request refused", &msg);
        }
    };
    let fields: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    if !fields.contains_key("SAMLResponse") && !fields.contains_key("wresult") {
        return problem(
            json,
            StatusCode::BAD_REQUEST,
            "No token",
            "the form has no SAMLResponse or wresult field (an IdP posts application/x-www-form-urlencoded)",
        );
    }
    let limits = InputLimits {
        max_input_bytes: st.cfg.limits.max_body as u64,
        max_tokens: 4,
        max_tokens_option: None,
    };
    let tokens: Vec<RawToken> = match input::load_bytes(POST_INPUT, &body, InputFormat::Form, &limits) {
        Ok(t) => t,
        Err(e) => return problem(json, StatusCode::BAD_REQUEST, "No usable token", &e.kind.to_string()),
    };
    let Ok(permit) = st.judges.clone().acquire_owned().await else {
        return problem(
            json,
            StatusCode::SERVICE_UNAVAILABLE,
            "Unavailable",
            "the server is shutting down",
        );
    };
    let mut settings = st.cfg.settings.clone();
    if !st.cfg.fixed_time {
        settings.at = Utc::now();
    }
    settings.stand_in = Some(rules::StandIn {
        acs: st.acs_url.clone(),
        realm: st.cfg.realm.clone(),
    });
    // The work stops at the request's deadline (parsing and canonicalization check it), and the judging slot is
    // held until it has: a timed-out request never leaves work running behind the next one.
    settings.xml_limits.deadline = Some(std::time::Instant::now() + st.cfg.limits.request_timeout);
    let raw = tokens.clone();
    let run_settings = settings.clone();
    let judged = tokio::task::spawn_blocking(move || {
        let rep = report::run(tokens, vec![], &run_settings);
        drop(permit);
        rep
    })
    .await;
    let Ok(mut rep) = judged else {
        return problem(
            json,
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal error",
            "the token could not be judged (internal error)",
        );
    };
    let mut info = relying_party_checks(&st, &mut rep, fields.get("wctx").map(String::as_str));
    if let Some(dir) = st.cfg.out.clone() {
        info.bundle = Some(keep_evidence(&st, dir, &rep, raw, settings).await);
    }
    log_post(&rep, &info);
    let status = if info.replay {
        StatusCode::CONFLICT
    } else {
        StatusCode::OK
    };
    if json {
        let body = serde_json::to_string_pretty(&ServeJson {
            report: &rep,
            serve: &info,
        })
        .unwrap_or_else(|_| "{\"verdict\":\"error\"}".into());
        with_headers(status, "application/json", body + "\n")
    } else {
        result_page(status, &rep, &info)
    }
}

/// `--out`: an evidence bundle for a sign-in whose token verified with a trusted key, within the run's caps on
/// bundles and bytes; otherwise why none was written. Junk and forged posts never fill the disk.
async fn keep_evidence(
    st: &Arc<AppState>,
    dir: std::path::PathBuf,
    rep: &Report,
    raw: Vec<RawToken>,
    settings: Settings,
) -> String {
    use std::sync::atomic::Ordering;
    if !rep.tokens.iter().any(|t| t.signature.valid) {
        return "not written: no token in the post verified with a trusted key (--out keeps evidence of genuine sign-ins only)".into();
    }
    let limits = st.cfg.limits;
    let n = st.bundles.fetch_add(1, Ordering::Relaxed) + 1;
    if n > limits.max_bundles {
        return format!(
            "not written: this run already wrote its {} bundles (--max-bundles)",
            limits.max_bundles
        );
    }
    if st.bundle_bytes.load(Ordering::Relaxed) >= limits.max_bundle_bytes {
        return format!(
            "not written: this run's bundles already hold {} bytes (--max-bundle-bytes {})",
            st.bundle_bytes.load(Ordering::Relaxed),
            limits.max_bundle_bytes
        );
    }
    let name = format!("signin-{}-{n:04}", Utc::now().format("%Y%m%dT%H%M%SZ"));
    // The raw tokens, unredacted, beside the bundles (never in them): what `check` and `test` read directly for a
    // recapture loop (with --stand-in and --at issue-instant). They stay on this machine.
    if let Err(e) = keep_captures(&dir.join("captures"), &name, &raw) {
        return format!(
            "not written: cannot keep the raw tokens in {}: {e}",
            dir.join("captures").display()
        );
    }
    let opts = bundle_options(&st.cfg, dir.join(&name));
    let rep = rep.clone();
    let written = tokio::task::spawn_blocking(move || crate::bundle::write(&rep, &raw, &settings, &opts)).await;
    match written {
        Ok(Ok(w)) => {
            let zip = std::fs::metadata(&w.zip).map(|m| m.len()).unwrap_or(0);
            let size: u64 = w.files.iter().map(|(_, n)| n).sum::<u64>() + zip;
            st.bundle_bytes.fetch_add(size, Ordering::Relaxed);
            w.dir.display().to_string()
        }
        Ok(Err(e)) => format!("not written: {e}"),
        Err(_) => "not written: internal error".into(),
    }
}

/// Writes each raw token of a sign-in as `captures/<name>-<k>.xml` (the XML as posted, decoded from the form).
fn keep_captures(dir: &std::path::Path, name: &str, raw: &[RawToken]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (k, t) in raw.iter().enumerate() {
        let path = dir.join(format!("{name}-{}.xml", k + 1));
        let tmp = dir.join(format!(".{name}-{}.xml.partial", k + 1));
        std::fs::write(&tmp, &t.xml)?;
        std::fs::rename(&tmp, &path)?;
    }
    Ok(())
}

fn bundle_options(cfg: &Config, out: std::path::PathBuf) -> crate::bundle::BundleOptions {
    crate::bundle::BundleOptions {
        out,
        force: false,
        federation_config: None,
        attach_config: vec![],
        attach: vec![],
        redaction: crate::bundle::RedactionOptions {
            enabled: true,
            key: None,
            attributes: vec![],
        },
        idp_product: None,
        tenant_domain: None,
        command_line: vec![
            "fedcheck".into(),
            "serve".into(),
            format!("(sign-in posted to {ACS_PATH})"),
        ],
        fixed_time: cfg.fixed_time.then_some(cfg.settings.at),
        metadata_fetched_at: None,
        signer: None,
    }
}

fn log_post(rep: &Report, info: &ServeInfo) {
    let protocols: Vec<&str> = rep
        .tokens
        .iter()
        .map(|t| match t.protocol {
            Some(Protocol::Saml2) => "SAML-P",
            Some(Protocol::WsfedSaml11) => "WS-Fed",
            None => "unknown",
        })
        .collect();
    let corr = match (&info.in_response_to, info.unsolicited) {
        (Some(id), false) => format!("answers {id}"),
        _ => "unsolicited".to_string(),
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{} POST {ACS_PATH}: {} token(s) [{}], {corr}{}, verdict {:?}",
        Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
        rep.tokens.len(),
        protocols.join(", "),
        if info.replay { ", REPLAY" } else { "" },
        rep.verdict
    );
    if let Some(b) = &info.bundle {
        let _ = writeln!(out, "  evidence bundle: {b}");
    }
    let _ = out.flush();
}

/// Adds what a relying party judges beyond the token itself (correlation, replay) and recomputes the verdicts.
/// (The stand-in's own address and realm are accepted by the rules themselves: `Settings::stand_in`.)
fn relying_party_checks(st: &AppState, rep: &mut Report, wctx: Option<&str>) -> ServeInfo {
    let mut info = ServeInfo {
        acs_url: st.acs_url.clone(),
        unsolicited: false,
        in_response_to: None,
        replay: false,
        bundle: None,
    };
    let mut answered_any = false;
    for t in &mut rep.tokens {
        if t.error.is_some() {
            continue;
        }
        // Correlation.
        let corr = match t.protocol {
            Some(Protocol::Saml2) => {
                let signed = t
                    .claims
                    .as_ref()
                    .and_then(|c| c.subject_confirmations.iter().find_map(|s| s.in_response_to.clone()));
                let envelope = t.envelope_fields.as_ref().and_then(|f| f.in_response_to.clone());
                correlation(st, Protocol::Saml2, signed.or(envelope), "InResponseTo")
            }
            Some(Protocol::WsfedSaml11) => correlation(st, Protocol::WsfedSaml11, wctx.map(str::to_string), "wctx"),
            None => None,
        };
        if let Some((c, id, answered)) = corr {
            if answered {
                answered_any = true;
                info.in_response_to = id;
            } else if info.in_response_to.is_none() {
                info.in_response_to = id;
            }
            t.checks.push(c);
        }
        // Replay: only assertions whose claims verified are remembered, so unsigned posts cannot burn IDs.
        if let Some(c) = &t.claims {
            if let Some(id) = &c.assertion_id {
                let issuer = c.issuer.clone().unwrap_or_default();
                match st.consume(&issuer, id) {
                    Some(first) => {
                        info.replay = true;
                        t.checks.push(check(
                            rules::ids::SERVE_REPLAY,
                            Status::Fail,
                            format!("assertion {id} was already posted to this server (first at {first}); Entra refuses a replayed assertion"),
                            Some("start a new sign-in; an IdP must issue a fresh assertion ID for every token"),
                        ));
                    }
                    None => t.checks.push(check(
                        rules::ids::SERVE_REPLAY,
                        Status::Pass,
                        format!("assertion {id} is posted here for the first time"),
                        None,
                    )),
                }
            }
        }
    }
    info.unsolicited = !answered_any;
    rep.rejudge();
    info
}

/// Returns the correlation check, the ID it concerns, and whether it answers a request this server sent.
fn correlation(
    st: &AppState,
    protocol: Protocol,
    id: Option<String>,
    field: &str,
) -> Option<(Check, Option<String>, bool)> {
    let Some(id) = id.filter(|s| !s.is_empty()) else {
        return Some((
            check(
                rules::ids::SERVE_CORRELATION,
                Status::Warn,
                format!("unsolicited: the post carries no {field}, so it answers no request this server sent (IdP-initiated)"),
                Some("start the sign-in from this server's start page so the IdP answers its request"),
            ),
            None,
            false,
        ));
    };
    if st.take(&id, protocol).is_some() {
        Some((
            check(
                rules::ids::SERVE_CORRELATION,
                Status::Pass,
                format!("{field} {id} answers a sign-in request this server sent"),
                None,
            ),
            Some(id),
            true,
        ))
    } else {
        Some((
            check(
                rules::ids::SERVE_CORRELATION,
                Status::Warn,
                format!("unsolicited: {field} {id} is not a pending request of this server (not sent here, expired, or already answered)"),
                Some("start the sign-in from this server's start page; each request may be answered once"),
            ),
            Some(id),
            false,
        ))
    }
}

fn result_page(status: StatusCode, rep: &Report, info: &ServeInfo) -> Response {
    let v = rep.verdict.as_str();
    let mut b = String::new();
    let headline = match rep.verdict {
        Verdict::Pass => "signed by a trusted key, Entra will see MFA",
        Verdict::Fail => "Entra would reject this sign-in or not see MFA",
        Verdict::Error => "the token could not be judged",
    };
    let _ = write!(
        b,
        "<p id=\"verdict\" data-verdict=\"{v}\" class=\"{v}\">Verdict: {}: {}</p>",
        v.to_uppercase(),
        esc(headline)
    );
    let corr = match (&info.in_response_to, info.unsolicited) {
        (Some(id), false) => format!(
            "Answer to the sign-in request <code>{}</code> this server sent.",
            esc(id)
        ),
        (Some(id), true) => format!(
            "<span class=\"warn\">Unsolicited</span>: <code>{}</code> is not a pending request of this server.",
            esc(id)
        ),
        (None, _) => "<span class=\"warn\">Unsolicited</span>: the post answers no request of this server.".into(),
    };
    let _ = write!(
        b,
        "<p id=\"correlation\" data-unsolicited=\"{}\">{corr}</p>",
        info.unsolicited
    );
    if info.replay {
        b.push_str("<p id=\"replay\" class=\"fail\">Replay: this assertion was already posted here.</p>");
    }
    if let Some(bundle) = &info.bundle {
        let _ = write!(b, "<p id=\"bundle\">Evidence bundle: <code>{}</code></p>", esc(bundle));
    }
    for (i, t) in rep.tokens.iter().enumerate() {
        let proto = match t.protocol {
            Some(Protocol::Saml2) => "SAML-P (SAML 2.0)",
            Some(Protocol::WsfedSaml11) => "WS-Federation (SAML 1.1)",
            None => "unknown",
        };
        let tv = t.verdict.as_str();
        let _ = write!(
            b,
            "<h2>Token {}: {} <span class=\"{tv}\">{}</span></h2><p>Source: {}</p>",
            i + 1,
            esc(proto),
            tv.to_uppercase(),
            esc(&report::source_line(&t.source))
        );
        if let Some(e) = &t.error {
            let _ = write!(b, "<p class=\"error\">{}</p>", esc(e));
            continue;
        }
        b.push_str("<table><thead><tr><th>status</th><th>check</th><th>finding</th></tr></thead><tbody>");
        for c in &t.checks {
            let sw = c.status.as_str();
            let fix = match (&c.fix, c.status >= Status::Warn) {
                (Some(f), true) => format!("<div class=\"fix\">fix: {}</div>", esc(f)),
                _ => String::new(),
            };
            let _ = write!(
                b,
                "<tr data-check=\"{}\" data-status=\"{sw}\"><td class=\"{sw}\">{}</td><td><code>{}</code></td><td>{}{fix}</td></tr>",
                esc(c.id),
                sw.to_uppercase(),
                esc(c.id),
                esc(&c.message)
            );
        }
        b.push_str("</tbody></table>");
    }
    let _ = write!(
        b,
        "<h2>Full report</h2><pre id=\"report\">{}</pre>",
        esc(&report::to_text(rep, Style { color: false }))
    );
    page(status, &format!("Sign-in verdict: {}", v.to_uppercase()), &b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::ENTRA_AUDIENCE;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn wsfed_request_is_entras() {
        let u = wsfed_request_url(
            "https://sts.contoso.test/adfs/ls/",
            ENTRA_AUDIENCE,
            "http://127.0.0.1:8080/login.srf",
            "_n1",
        );
        let parsed = url::Url::parse(&u).unwrap();
        let q: HashMap<_, _> = parsed.query_pairs().into_owned().collect();
        assert_eq!(q["wa"], "wsignin1.0");
        assert_eq!(q["wtrealm"], "urn:federation:MicrosoftOnline");
        assert_eq!(q["wauth"], MULTIPLEAUTHN);
        assert_eq!(q["wreply"], "http://127.0.0.1:8080/login.srf");
        assert_eq!(q["wctx"], "_n1");
    }

    #[test]
    fn the_authn_request_is_the_documented_one() {
        let at = DateTime::parse_from_rfc3339("2026-01-15T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let xml = authn_request_xml("https://idp.test/sso?x=1", ENTRA_AUDIENCE, "_id1", at, false);
        assert!(xml.contains("ID=\"_id1\""));
        assert!(xml.contains("AssertionConsumerServiceIndex=\"0\""));
        assert!(xml.contains(">urn:federation:MicrosoftOnline</saml:Issuer>"));
        assert!(xml.contains("<samlp:NameIDPolicy Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:persistent\"/>"));
        assert!(
            !xml.contains("RequestedAuthnContext"),
            "Entra's documented request asks for no context"
        );
        assert!(
            !xml.contains("Destination"),
            "only a signed request names its destination"
        );
        crate::xml::Document::parse(xml.as_bytes(), &crate::xml::Limits::default()).expect("well-formed");
    }

    #[test]
    #[cfg(feature = "xmlsec")]
    fn a_signed_authn_request_verifies_with_libxmlsec1() {
        use samael::crypto::{CertificateDer, CryptoProvider, XmlSec};
        let at = Utc::now();
        let signer = RequestSigner::generate().unwrap();
        let xml = signer
            .sign(&authn_request_xml(
                "https://idp.test/sso",
                ENTRA_AUDIENCE,
                "_id2",
                at,
                true,
            ))
            .expect("signed");
        assert!(xml.contains("xmldsig#rsa-sha1"), "{xml}");
        assert!(xml.contains("<ds:KeyName>MicrosoftOnline</ds:KeyName>"), "{xml}");
        assert!(xml.contains("Destination=\"https://idp.test/sso\""), "{xml}");
        let cert = CertificateDer::from(signer.cert_der.clone());
        XmlSec::verify_signed_xml(xml.as_bytes(), &cert, Some("ID")).expect("verifies");
        // Any change to the signed request breaks it.
        let tampered = xml.replace("urn:federation:MicrosoftOnline", "urn:federation:Other");
        assert!(XmlSec::verify_signed_xml(tampered.as_bytes(), &cert, Some("ID")).is_err());
    }

    #[test]
    fn nonces_are_unique_xml_ids() {
        let a = nonce();
        let b = nonce();
        assert_ne!(a, b);
        assert!(a.starts_with('_') && a.len() == 33);
    }

    #[test]
    fn default_acs_is_loopback_for_unspecified() {
        assert_eq!(
            default_acs("0.0.0.0:9000".parse().unwrap()),
            "http://127.0.0.1:9000/login.srf"
        );
        assert_eq!(
            default_acs("127.0.0.1:80".parse().unwrap()),
            "http://127.0.0.1:80/login.srf"
        );
    }
}
