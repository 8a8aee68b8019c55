//! `fedcheck fetch-config`: fetch a domain's federation settings from Microsoft Graph (federationConfiguration)
//! and write them verbatim, ready for `--federation-config`.

use super::args;
use super::outcome::Outcome;
use anyhow::Context as _;
use clap::Args;
use fedcheck::entra::discovery;

/// `fedcheck fetch-config`.
#[derive(Args, Debug)]
pub(super) struct FetchConfigArgs {
    /// The federated domain, e.g. contoso.com.
    #[arg(long, value_name = "DOMAIN")]
    domain: String,

    /// A file holding the Graph bearer token (Domain.Read.All); default: the FEDCHECK_GRAPH_TOKEN environment
    /// variable. The token itself is never accepted on the command line.
    #[arg(long, value_name = "FILE")]
    token_file: Option<std::path::PathBuf>,

    /// Write the federationConfiguration JSON to FILE (default: stdout).
    #[arg(long, value_name = "FILE")]
    out: Option<std::path::PathBuf>,

    /// Base URL of Microsoft Graph.
    #[arg(long, default_value = fedcheck::entra::discovery::DEFAULT_GRAPH_BASE, value_name = "URL")]
    graph_base_url: String,

    /// Timeout for each request, in seconds.
    #[arg(long, default_value_t = 15, value_name = "SECONDS")]
    timeout: u64,
}

/// Runs `fetch-config`: 1 when the domain has no federation configuration (managed).
pub(super) fn run(a: FetchConfigArgs, env: &super::Environment) -> anyhow::Result<Outcome> {
    let token = discovery::resolve_token(a.token_file.as_deref(), env.graph_token.clone())?;
    let policy = discovery::policy(a.timeout, env.retry_base);
    let cfg = discovery::fetch_federation_config(&a.domain, &token, &a.graph_base_url, &policy)?;
    match &a.out {
        Some(p) => std::fs::write(p, &cfg.raw).with_context(|| format!("--out {}: cannot write", p.display()))?,
        None => args::write_stdout(&cfg.raw, "output")?,
    }
    eprintln!("{}", cfg.summary(&a.domain));
    if let Some(p) = &a.out {
        eprintln!("Wrote {} (use it with --federation-config)", p.display());
    }
    Ok(Outcome::fail_if(cfg.entries().is_empty()))
}
