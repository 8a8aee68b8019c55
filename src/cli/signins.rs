//! `fedcheck signins`: tenant-wide MFA evidence from exported Entra sign-in logs. Also what `partner-report` and
//! `bundle --signins` share: the sign-in filters, reading the exports behind a progress bar, and rendering the
//! sign-ins report.

use super::args::{self, OutputFormat};
use super::environment::Environment;
use super::outcome::Outcome;
use anyhow::anyhow;
use clap::{Args, ValueEnum};
use fedcheck::signins::aggregate::{self, Filters, SigninsReport};
use fedcheck::signins::{RunOptions, RunOutput, Shape, SigninsError};
use std::io::IsTerminal as _;

/// `fedcheck signins`.
#[derive(Args, Debug)]
pub(super) struct SigninsArgs {
    /// Sign-in log exports (JSON, NDJSON or CSV); Partner Center's MFA report may be among them.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<String>,

    /// Force the input shape instead of detecting it.
    #[arg(long, value_enum, default_value = "auto")]
    input_format: SigninFormat,

    /// Partner Center's MFA report, joined with the sign-ins by UPN.
    #[arg(long, value_name = "FILE")]
    partner_report: Option<String>,

    #[command(flatten)]
    report: SigninsReportArgs,
}

/// Which sign-ins count and how the report is shown (the last options of signins and partner-report).
#[derive(Args, Debug)]
pub(super) struct SigninsReportArgs {
    #[command(flatten)]
    filters: SigninFilterArgs,

    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: OutputFormat,

    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

impl SigninsReportArgs {
    /// The sign-in filters, resolved.
    pub(super) fn filters(&self) -> anyhow::Result<Filters> {
        self.filters.resolve()
    }

    /// Reads and judges the sign-in exports `files` (and the Partner Center reports in `opts`), with a progress
    /// bar unless `--quiet`.
    pub(super) fn read(&self, files: &[String], opts: &RunOptions, env: &Environment) -> anyhow::Result<RunOutput> {
        Ok(read(files, opts, self.quiet, env)?)
    }

    /// Prints the sign-ins report in `--format`.
    pub(super) fn print(&self, report: &SigninsReport) -> anyhow::Result<()> {
        let text = match self.format {
            OutputFormat::Json => serde_json::to_string_pretty(report)? + "\n",
            OutputFormat::Text => aggregate::to_text(report),
        };
        args::write_stdout(text.as_bytes(), "report")
    }
}

/// Which sign-ins count (signins and partner-report).
#[derive(Args, Debug, Clone, Default)]
struct SigninFilterArgs {
    /// Only sign-ins at or after this RFC 3339 instant, e.g. 2026-01-01T00:00:00Z.
    #[arg(long, value_name = "RFC3339")]
    since: Option<String>,

    /// Only sign-ins at or before this RFC 3339 instant.
    #[arg(long, value_name = "RFC3339")]
    until: Option<String>,

    /// Only sign-ins to this application: its display name or its application ID (case-insensitive).
    #[arg(long, value_name = "NAME|ID")]
    app: Option<String>,

    /// Only sign-ins whose token came from a federated IdP (tokenIssuerType ADFederationServices, incomingTokenType
    /// saml11/saml20, or a step satisfied by the external provider's claim).
    #[arg(long)]
    federated_only: bool,
}

impl SigninFilterArgs {
    /// The library's filters; refuses a time that is not RFC 3339 and `--since` after `--until`.
    fn resolve(&self) -> anyhow::Result<Filters> {
        let instant = |flag: &str, v: &Option<String>| v.as_deref().map(|s| args::parse_instant(flag, s)).transpose();
        let since = instant("--since", &self.since)?;
        let until = instant("--until", &self.until)?;
        if let (Some(a), Some(b)) = (since, until) {
            if a > b {
                return Err(anyhow!("--since is after --until"));
            }
        }
        Ok(Filters {
            since,
            until,
            app: self.app.clone().filter(|a| !a.trim().is_empty()),
            federated_only: self.federated_only,
        })
    }
}

/// `--input-format` of signins.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum SigninFormat {
    /// Detect per file.
    Auto,
    /// Graph REST: pages, bare arrays, NDJSON.
    Graph,
    /// Get-MgAuditLogSignIn | ConvertTo-Json.
    Powershell,
    /// The admin center's JSON download.
    PortalJson,
    /// The admin center's CSV download.
    PortalCsv,
    /// Log Analytics SigninLogs as CSV.
    LogAnalyticsCsv,
    /// Log Analytics SigninLogs as JSON.
    LogAnalyticsJson,
    /// Partner Center's MFA report.
    PartnerReport,
}

impl SigninFormat {
    fn shape(self) -> Option<Shape> {
        match self {
            SigninFormat::Auto => None,
            SigninFormat::Graph | SigninFormat::PortalJson => Some(Shape::GraphArray),
            SigninFormat::Powershell => Some(Shape::GraphPowershell),
            SigninFormat::PortalCsv => Some(Shape::PortalCsv),
            SigninFormat::LogAnalyticsCsv => Some(Shape::LogAnalyticsCsv),
            SigninFormat::LogAnalyticsJson => Some(Shape::LogAnalyticsJson),
            SigninFormat::PartnerReport => Some(Shape::PartnerReport),
        }
    }
}

/// Runs `signins`: 1 when any user signed in without MFA.
pub(super) fn run(a: SigninsArgs, env: &Environment) -> anyhow::Result<Outcome> {
    let opts = RunOptions {
        forced: a.input_format.shape(),
        filters: a.report.filters()?,
        partner_reports: a.partner_report.iter().cloned().collect(),
        ..RunOptions::default()
    };
    let out = a.report.read(&a.files, &opts, env)?;
    if out.signin_files.is_empty() {
        return Err(anyhow!(
            "no sign-in log among the inputs (only Partner Center's MFA report); use `fedcheck partner-report`"
        ));
    }
    a.report.print(&out.report)?;
    Ok(Outcome::fail_if(out.report.summary.users_without_mfa > 0))
}

/// Reads and judges the sign-in exports `files` (and the Partner Center reports in `opts`), showing progress
/// unless `quiet` (bundle reads them without a `--quiet`).
pub(super) fn read(
    files: &[String],
    opts: &RunOptions,
    quiet: bool,
    env: &Environment,
) -> Result<RunOutput, SigninsError> {
    let all: Vec<&String> = files.iter().chain(&opts.partner_reports).collect();
    let progress = Progress::new(&all, quiet, env);
    let result = fedcheck::signins::run(files, opts, &|n| progress.tick(n));
    progress.done();
    result
}

/// A progress bar on stderr for long reads: drawn only when stderr is a terminal, not --quiet, and after a second
/// (`FEDCHECK_PROGRESS_DELAY_MS` changes the delay, for tests).
struct Progress {
    bar: indicatif::ProgressBar,
    start: std::time::Instant,
    delay: std::time::Duration,
    enabled: bool,
    shown: std::cell::Cell<bool>,
}

impl Progress {
    fn new(files: &[&String], quiet: bool, env: &Environment) -> Progress {
        let total: u64 = files
            .iter()
            .filter_map(|f| std::fs::metadata(f).ok())
            .map(|m| m.len())
            .sum();
        let bar = indicatif::ProgressBar::with_draw_target(Some(total), indicatif::ProgressDrawTarget::hidden());
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} reading sign-ins {bytes}/{total_bytes} [{bar:30}] {eta} left",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        Progress {
            bar,
            start: std::time::Instant::now(),
            delay: env.progress_delay,
            enabled: !quiet && std::io::stderr().is_terminal(),
            shown: std::cell::Cell::new(false),
        }
    }

    fn tick(&self, n: u64) {
        self.bar.inc(n);
        if self.enabled && !self.shown.get() && self.start.elapsed() >= self.delay {
            self.shown.set(true);
            self.bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
    }

    fn done(&self) {
        self.bar.finish_and_clear();
    }
}
