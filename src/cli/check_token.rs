//! `fedcheck check-token`: judge Entra's own access token (a JWT): its signature against Entra's keys, its times,
//! and whether `amr` carries `mfa`.

use super::args::{self, OutputFormat};
use super::outcome::Outcome;
use anyhow::Context as _;
use clap::Args;
use fedcheck::entra::jwt;
use fedcheck::rules::Status;

/// `fedcheck check-token`.
#[derive(Args, Debug)]
pub(super) struct CheckTokenArgs {
    /// The access token: a FILE (raw JWT, `Authorization: Bearer` line, JSON token response, HAR 1.2), `-` for
    /// stdin, or the JWT itself (it then lands in your shell history; prefer a file or -).
    #[arg(value_name = "TOKEN|FILE|HAR|-")]
    input: String,

    /// The signing keys (JWKS): a FILE or an https URL (plain http only for loopback).
    #[arg(long, value_name = "FILE|URL", default_value = fedcheck::entra::jwt::ENTRA_JWKS)]
    jwks: String,

    /// Timeout for fetching --jwks from a URL, in seconds.
    #[arg(long, default_value_t = 15, value_name = "SECONDS")]
    fetch_timeout: u64,

    /// Evaluate exp/nbf as of this RFC 3339 instant (default: now), e.g. 2026-01-15T10:05:00Z.
    #[arg(long, value_name = "RFC3339")]
    at: Option<String>,

    /// Allowed clock skew for exp / nbf, e.g. 5m, 300s, 0s.
    #[arg(long, default_value = "5m", value_name = "DURATION")]
    skew: String,

    /// The audience the token must carry (e.g. https://api.partnercenter.microsoft.com); without it aud is reported.
    #[arg(long, value_name = "URI")]
    expect_audience: Option<String>,

    /// The tenant id (tid) the token must carry; without it tid is reported.
    #[arg(long, value_name = "GUID")]
    expect_tenant: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: OutputFormat,
}

/// Runs `check-token`: 1 when any check of any token failed.
pub(super) fn run(a: CheckTokenArgs) -> anyhow::Result<Outcome> {
    let opts = jwt::Options {
        at: args::parse_at(a.at.as_deref())?,
        skew: args::parse_skew(&a.skew)?,
        expect_audience: a.expect_audience.clone(),
        expect_tenant: a.expect_tenant.clone(),
    };
    let found = jwt::find_tokens(&a.input, jwt::MAX_INPUT)?;
    let keys = jwt::load_jwks(&a.jwks, std::time::Duration::from_secs(a.fetch_timeout.max(1)))?;
    let rep = jwt::run(&found, &keys, &opts);
    let text = match a.format {
        OutputFormat::Json => serde_json::to_string_pretty(&rep).context("cannot render the report")? + "\n",
        OutputFormat::Text => jwt::to_text(&rep, &keys.location),
    };
    args::write_stdout(text.as_bytes(), "report")?;
    let failed = rep
        .tokens
        .iter()
        .flat_map(|t| &t.checks)
        .any(|c| c.status == Status::Fail);
    Ok(Outcome::fail_if(failed))
}
