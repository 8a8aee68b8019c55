//! `fedcheck lint-config`: lint the IdP's configuration (AD FS claim rules or relying-party trust, Keycloak,
//! Shibboleth, Okta) read from a file, a directory or stdin.

use super::args::{self, OutputFormat};
use super::outcome::Outcome;
use anyhow::anyhow;
use clap::{Args, ValueEnum};
use fedcheck::lint::{self, Input, Kind, LintError, MAX_FILE};

/// `fedcheck lint-config`.
#[derive(Args, Debug)]
pub(super) struct LintConfigArgs {
    /// The configuration file (a directory for Shibboleth's conf/), or `-` for stdin.
    #[arg(value_name = "FILE")]
    file: String,

    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: OutputFormat,

    /// The kind of configuration (default: detected from the input).
    #[arg(long, value_enum)]
    kind: Option<ConfigKind>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ConfigKind {
    /// AD FS claim rules (issuance transform rules) as text.
    #[value(alias = "adfs")]
    AdfsRules,
    /// AD FS relying-party trust: Get-AdfsRelyingPartyTrust | ConvertTo-Json.
    AdfsRp,
    /// Keycloak realm export (kc.sh export) or SAML client export.
    Keycloak,
    /// Shibboleth IdP: the conf/ directory or one of its files.
    Shibboleth,
    /// Okta API JSON: the Office 365 app and its policy rules.
    Okta,
}

impl ConfigKind {
    fn kind(self) -> Kind {
        match self {
            ConfigKind::AdfsRules => Kind::AdfsRules,
            ConfigKind::AdfsRp => Kind::AdfsRp,
            ConfigKind::Keycloak => Kind::Keycloak,
            ConfigKind::Shibboleth => Kind::Shibboleth,
            ConfigKind::Okta => Kind::Okta,
        }
    }
}

/// Runs `lint-config`: 1 when a check failed (warnings allowed).
pub(super) fn run(a: LintConfigArgs) -> anyhow::Result<Outcome> {
    let input = if a.file == "-" {
        read_stdin()?
    } else {
        lint::read_path(&a.file)?
    };
    let rep = lint::lint(&input, a.kind.map(ConfigKind::kind))?;
    let text = match a.format {
        OutputFormat::Json => rep.to_json() + "\n",
        OutputFormat::Text => rep.to_text(),
    };
    args::write_stdout(text.as_bytes(), "report")?;
    Ok(Outcome::fail_if(rep.failed()))
}

/// The configuration piped on stdin, up to the size fedcheck reads configuration files.
fn read_stdin() -> anyhow::Result<Input> {
    let name = "<stdin>".to_string();
    match lint::read_bounded(std::io::stdin().lock(), MAX_FILE) {
        Ok(Some(bytes)) => Ok(Input::Bytes { name, bytes }),
        Ok(None) => Err(anyhow!(
            "{name}: larger than {} MiB; fedcheck reads configuration files up to that size",
            MAX_FILE / (1024 * 1024)
        )),
        Err(e) => Err(anyhow!(LintError::CannotRead {
            file: name,
            reason: e.to_string()
        })),
    }
}
