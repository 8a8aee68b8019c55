//! `fedcheck serve`: a local stand-in for Entra's sign-in endpoint. Everything the server needs is resolved (the
//! trust settings fetched, the address and limits parsed) before the async runtime starts.

use super::args::{self, EvalArgs, SizeError, TrustArgs};
use super::outcome::Outcome;
use anyhow::{anyhow, Context as _};
use clap::Args;
use fedcheck::harness::serve::{self, Config, Limits};
use std::net::SocketAddr;
use std::time::Duration;

#[derive(Args, Debug)]
pub(super) struct ServeArgs {
    #[command(flatten)]
    trust: TrustArgs,

    #[command(flatten)]
    eval: EvalArgs,

    /// Address to listen on. Keep it on loopback unless other machines must reach it.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    listen: String,

    /// The IdP's sign-in URL the start links send the browser to, for both protocols (default: the metadata's
    /// sign-in endpoints).
    #[arg(long, value_name = "URL")]
    idp_url: Option<String>,

    /// The IdP's WS-Federation sign-in URL (overrides --idp-url for WS-Fed; default: the metadata's
    /// PassiveRequestorEndpoint).
    #[arg(long, value_name = "URL")]
    idp_url_wsfed: Option<String>,

    /// The IdP's SAML-P single sign-on URL (overrides --idp-url for SAML-P; default: the metadata's
    /// SingleSignOnService, HTTP-POST binding first).
    #[arg(long, value_name = "URL")]
    idp_url_saml: Option<String>,

    /// The ACS URL the IdP is told to post to (default: http://<listen address>/login.srf); set it when the
    /// browser reaches this server under another name.
    #[arg(long, value_name = "URL")]
    acs_url: Option<String>,

    /// The realm sent as wtrealm and AuthnRequest Issuer. A test relying party whose identifier cannot be
    /// urn:federation:MicrosoftOnline (the production one has it) is accepted as the audience, with a note.
    #[arg(long, default_value = "urn:federation:MicrosoftOnline", value_name = "URI")]
    realm: String,

    /// Largest request body accepted (suffixes k, M).
    #[arg(long, default_value = "1M", value_name = "BYTES")]
    max_body: String,

    /// Deadline for one request, in seconds.
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    request_timeout: u64,

    /// Connections open at the same time. At the cap, the oldest connection with no request in progress (a slow
    /// header, an idle keep-alive) is closed to make room; when all are busy, one more is answered 503 and closed.
    #[arg(long, default_value_t = Limits::default().max_connections, value_name = "N")]
    max_connections: usize,

    /// How long a client may take to send a request's headers, in seconds (a slow client is disconnected).
    #[arg(long, default_value_t = Limits::default().header_timeout.as_secs(), value_name = "SECONDS")]
    header_timeout: u64,

    /// Write an evidence bundle (as `fedcheck bundle` does, personal values redacted) for every sign-in whose token
    /// verified with a trusted key, in a new folder under DIR (which must exist).
    #[arg(long, value_name = "DIR")]
    out: Option<std::path::PathBuf>,

    /// With --out: the most bundles written in this run (later sign-ins are judged, not kept).
    #[arg(long, default_value_t = Limits::default().max_bundles, value_name = "N")]
    max_bundles: u64,

    /// With --out: the most bytes of bundles written in this run (suffixes k, M, G).
    #[arg(long, default_value = "1G", value_name = "BYTES")]
    max_bundle_bytes: String,

    /// For tests: treat this InResponseTo / wctx value as a request this server sent. Repeatable.
    #[arg(long, value_name = "ID", hide = true)]
    expect_request_id: Vec<String>,
}

/// Runs `serve` until interrupted.
pub(super) fn run(a: ServeArgs) -> anyhow::Result<Outcome> {
    // Settings first, outside the async runtime: a metadata URL is fetched with a blocking client.
    let settings = args::settings(&a.trust, &a.eval)?;
    let max_body = a.max_body()?;
    let addr = a.listen_address()?;
    if let Some(dir) = &a.out {
        if !dir.is_dir() {
            return Err(anyhow!("--out {}: not an existing folder", dir.display()));
        }
    }
    let meta = settings.metadata.as_ref();
    let idp_url_wsfed = a
        .idp_url_wsfed
        .clone()
        .or_else(|| a.idp_url.clone())
        .or_else(|| meta.and_then(|m| m.wsfed_sign_in_url.clone().or_else(|| m.sign_in_url.clone())));
    let idp_url_saml = a
        .idp_url_saml
        .clone()
        .or_else(|| a.idp_url.clone())
        .or_else(|| meta.and_then(|m| m.saml_sign_in_url.clone().or_else(|| m.sign_in_url.clone())));
    let cfg = Config {
        fixed_time: a.eval.at.is_some(),
        settings,
        idp_url_wsfed,
        idp_url_saml,
        acs_url: a.acs_url.clone(),
        realm: a.realm.clone(),
        expect_request_ids: a.expect_request_id.clone(),
        out: a.out.clone(),
        limits: Limits {
            max_body,
            request_timeout: Duration::from_secs(a.request_timeout.max(1)),
            max_connections: a.max_connections.max(1),
            header_timeout: Duration::from_secs(a.header_timeout.max(1)),
            max_bundles: a.max_bundles,
            max_bundle_bytes: args::parse_size(&a.max_bundle_bytes).map_err(|_: SizeError| {
                anyhow!("--max-bundle-bytes: \"{}\" is not a size (e.g. 1G)", a.max_bundle_bytes)
            })?,
            ..Limits::default()
        },
    };
    serve_until_stopped(addr, cfg)?;
    eprintln!("fedcheck serve: stopped");
    Ok(Outcome::Pass)
}

impl ServeArgs {
    /// `--max-body` in bytes.
    fn max_body(&self) -> anyhow::Result<usize> {
        let bytes = args::parse_size(&self.max_body)
            .map_err(|_: SizeError| anyhow!("--max-body: \"{}\" is not a size (e.g. 1M)", self.max_body))?;
        usize::try_from(bytes).map_err(|_| anyhow!("--max-body: too large"))
    }

    /// `--listen`, with a warning when it is reachable from other machines.
    fn listen_address(&self) -> anyhow::Result<SocketAddr> {
        let addr: SocketAddr = self
            .listen
            .parse()
            .map_err(|_| anyhow!("--listen: \"{}\" is not ADDR:PORT (e.g. 127.0.0.1:8080)", self.listen))?;
        if !addr.ip().is_loopback() {
            eprintln!(
                "fedcheck: warning: listening on {addr}, not a loopback address: anyone who can reach it can post tokens"
            );
        }
        Ok(addr)
    }
}

/// Listens on `addr` and serves until the shutdown signal, on a small multi-threaded runtime.
fn serve_until_stopped(addr: SocketAddr, cfg: Config) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(8)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("--listen {addr}: cannot listen"))?;
        serve::run(listener, cfg, serve::shutdown_signal()).await?;
        anyhow::Ok(())
    })?;
    rt.shutdown_timeout(Duration::from_secs(2));
    Ok(())
}
