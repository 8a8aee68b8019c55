//! `fedcheck discover`: ask Entra how it signs in a user's domain (getuserrealm.srf) and fetch the IdP's metadata.

use super::args::{self, OutputFormat};
use super::outcome::Outcome;
use clap::Args;
use fedcheck::entra::discovery::{self, DiscoverOptions};

/// `fedcheck discover`.
#[derive(Args, Debug)]
pub(super) struct DiscoverArgs {
    /// A sign-in name of the domain, local@domain (e.g. someone@contoso.com); only its domain matters.
    #[arg(value_name = "USER")]
    user: String,

    /// Write userrealm.json (getuserrealm's answer) and metadata.xml (verbatim, for --metadata) into DIR.
    #[arg(long, value_name = "DIR")]
    out: Option<std::path::PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: OutputFormat,

    /// Base URL of getuserrealm.srf.
    #[arg(long, default_value = fedcheck::entra::discovery::DEFAULT_LOGIN_BASE, value_name = "URL")]
    login_base_url: String,

    /// The IdP metadata location (default: /FederationMetadata/2007-06/FederationMetadata.xml on the sign-in
    /// URL's host, where AD FS publishes it).
    #[arg(long, value_name = "URL")]
    metadata_url: Option<String>,

    /// Timeout for each request, in seconds.
    #[arg(long, default_value_t = 15, value_name = "SECONDS")]
    timeout: u64,

    /// Do not fetch the IdP metadata.
    #[arg(long, conflicts_with = "metadata_url")]
    no_metadata: bool,
}

/// Runs `discover`: 1 when the domain is not federated (its notes go to stderr when stdout is JSON).
pub(super) fn run(a: DiscoverArgs, env: &super::Environment) -> anyhow::Result<Outcome> {
    let d = discovery::discover(&DiscoverOptions {
        user: a.user.clone(),
        login_base: a.login_base_url.clone(),
        metadata_url: a.metadata_url.clone(),
        fetch_metadata: !a.no_metadata,
        out: a.out.clone(),
        policy: discovery::policy(a.timeout, env.retry_base),
    })?;
    let text = match a.format {
        OutputFormat::Json => serde_json::to_string_pretty(&d)? + "\n",
        OutputFormat::Text => discovery::render_text(&d),
    };
    args::write_stdout(text.as_bytes(), "output")?;
    if !d.federated && matches!(a.format, OutputFormat::Json) {
        for n in &d.notes {
            eprintln!("fedcheck: {n}");
        }
    }
    Ok(Outcome::fail_if(!d.federated))
}
