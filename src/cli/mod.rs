//! The `fedcheck` command: parses arguments, resolves them into library settings, runs, and maps the verdict to
//! an exit code (0 pass, 1 fail, 2 unusable input or arguments, 3 verification engines disagree).

use anyhow::{anyhow, Context as _};
use clap::{Args, Parser, Subcommand, ValueEnum};
use fedcheck::input::{self, InputFormat, InputLimits};
use fedcheck::report::{self, Settings, Style, Verdict};
use fedcheck::saml::Engines;
use fedcheck::trust::{self, FetchLimits};
use fedcheck::xml::Limits;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

/// Verify the SAML tokens a third-party identity provider posts to Microsoft Entra ID.
///
/// fedcheck reads the token your IdP (AD FS, Okta, PingFederate, Shibboleth, Keycloak, ...) posted to
/// https://login.microsoftonline.com/login.srf, verifies its XML signature against the IdP's trusted certificate,
/// reads the claims only from the signed bytes, and tells you whether Entra will see multi-factor
/// authentication, with the fix for every failure.
#[derive(Parser, Debug)]
#[command(
    name = "fedcheck",
    version,
    about,
    long_about,
    propagate_version = true,
    after_help = "Start with: fedcheck check <TOKEN|HAR|DIR> --idp-cert <CERT> (or --metadata <FILE|URL>); \
--engines both|fedcheck|xmlsec picks the signature engines. See `fedcheck check --help`."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check tokens: signature, MFA signal, and every Entra federation requirement.
    ///
    /// Examples:
    ///
    ///   fedcheck check capture.har --metadata https://sts.contoso.com/FederationMetadata/2007-06/FederationMetadata.xml
    ///
    ///   fedcheck check response.xml --idp-cert adfs-signing.cer --expect-issuer http://sts.contoso.com/adfs/services/trust
    ///
    ///   pbpaste | fedcheck check - --idp-cert signing.b64 --format json
    #[command(
        verbatim_doc_comment,
        after_long_help = "Exit codes: 0 every token passes (signed by a trusted key, MFA satisfied, all requirements met); \
1 a check failed (or, with --fail-on warn, warned); 2 unusable input or arguments; 3 the signature engines disagree.\n\n\
Signatures count only with keys you give (--idp-cert, --metadata); a certificate inside the token is never trusted by itself."
    )]
    Check(CheckArgs),

    /// Build an evidence bundle (folder + zip) to attach to a support request or an audit.
    ///
    /// The bundle holds the report (Markdown, self-contained HTML, JSON, JUnit), the trust
    /// anchors, metadata and configuration used, the tokens (personal values redacted by
    /// default), your attachments, a draft request text, and a manifest with the SHA-256 of
    /// every file. `--out DIR` also writes `DIR.zip` beside it.
    ///
    /// Example:
    ///
    ///   fedcheck bundle capture.har --metadata idp-metadata.xml --federation-config domain-fed.json \
    ///       --attach-config adfs-rules.txt --attach purchase-order.pdf --out evidence/
    #[command(
        verbatim_doc_comment,
        after_long_help = "Exit codes (when the bundle was written, like check): 0 every token passes; 1 a check failed \
(or, with --fail-on warn, warned); \
3 the signature engines disagree. 2: bad input (missing attachment, --out not empty without --force, unwritable \
location, a token that cannot be parsed): nothing is written.\n\n\
With --at and --redaction-key two runs over the same inputs produce byte-identical bundles."
    )]
    Bundle(BundleArgs),

    /// Check that an evidence bundle (folder or zip) is exactly as fedcheck wrote it.
    ///
    /// Recomputes the SHA-256 of every file listed in manifest.json and reports any file added, missing or
    /// changed.
    #[command(
        after_long_help = "Exit codes: 0 intact; 1 a file was added, is missing or changed; 2 not a usable bundle."
    )]
    VerifyBundle(VerifyBundleArgs),

    /// Run a local stand-in for Entra's sign-in endpoint: sign in at your IdP, see the verdict.
    ///
    /// The start page sends the browser to the IdP the way Entra does (WS-Fed wsignin1.0, or a
    /// SAML-P AuthnRequest, both asking for multipleauthn). The IdP posts its token back to
    /// /login.srf, where it is judged like `fedcheck check`, plus InResponseTo / wctx correlation
    /// and replay; the answer is a page, or JSON with `Accept: application/json`.
    ///
    /// Example:
    ///
    ///   fedcheck serve --metadata https://sts.contoso.com/FederationMetadata/2007-06/FederationMetadata.xml
    #[command(verbatim_doc_comment)]
    Serve(ServeArgs),

    /// Run a test plan: a TOML file of cases (input, expected verdict, MFA evidence location, claims).
    ///
    /// Prints a summary, writes JUnit XML with --junit, and exits 1 when any case is not as
    /// expected. Relative paths in the plan resolve from the plan's folder. Example:
    ///
    ///   fedcheck test idp-regression.toml --junit fedcheck-junit.xml
    #[command(
        verbatim_doc_comment,
        after_long_help = "Exit codes: 0 every case as expected; 1 a case is not as expected (or, with --fail-on warn, a \
token warned); 2 the plan is unusable."
    )]
    Test(TestArgs),

    /// Lint the IdP's configuration: AD FS claim rules or relying-party trust, Keycloak, Shibboleth, Okta.
    ///
    /// Reads what decides, for every user, whether the token Entra gets is signed and carries MFA:
    /// AD FS issuance transform rules (text, UTF-8 or UTF-16 with BOM as PowerShell writes it), an
    /// AD FS relying-party trust (Get-AdfsRelyingPartyTrust | ConvertTo-Json), a Keycloak realm
    /// export (kc.sh export), Shibboleth's conf/ directory or one of its files, or Okta API JSON
    /// (the Office 365 app and its authentication policy rules). The kind is detected from the
    /// input; --kind forces it. Each finding names the setting and where the product documents
    /// it. Examples:
    ///
    ///   fedcheck lint-config o365-rules.txt --format json
    ///
    ///   fedcheck lint-config o365-trust.json
    ///
    ///   fedcheck lint-config /opt/shibboleth-idp/conf
    #[command(
        verbatim_doc_comment,
        after_long_help = "Exit codes: 0 no check failed (warnings allowed); 1 a check failed; 2 unusable input \
(unreadable, too large, empty, not UTF-8/UTF-16 with BOM, not a configuration fedcheck reads, or not the --kind given)."
    )]
    LintConfig(LintConfigArgs),

    /// Check Entra's own access token (a JWT): signature against Entra's keys, expiry, and `amr` containing `mfa`.
    ///
    /// Partner Center reads this token, not the IdP's SAML token: without `mfa` in `amr` its API
    /// answers 401 MFA required. The token comes from a file (raw JWT, `Authorization: Bearer`
    /// line, JSON token response with access_token, HAR 1.2), from stdin (`-`), or as the argument
    /// itself (it then ends up in your shell history: prefer a file or `-`). Examples:
    ///
    ///   fedcheck check-token capture.har --expect-audience https://api.partnercenter.microsoft.com
    ///
    ///   pbpaste | fedcheck check-token - --format json
    #[command(
        verbatim_doc_comment,
        after_long_help = "Exit codes: 0 every check passes; 1 a check failed (signature, time, amr, or an \
--expect-* value); 2 unusable input (no JWT found, JWKS unreadable or unreachable, bad option).\n\n\
Only keys from --jwks are used; jku/jwk/x5u/x5c headers in the token are ignored and reported. RS256 only: \
alg none and HS* are refused. The token itself is never printed, only its header and claims."
    )]
    CheckToken(CheckTokenArgs),

    /// Ask Entra how it signs in a user's domain (getuserrealm.srf) and fetch the IdP's metadata.
    ///
    /// Prints the namespace type (Federated, Managed, Unknown), the federation protocol, the IdP's
    /// sign-in URL and metadata URL, and the metadata's entityID and signing certificates. With
    /// --out DIR, writes DIR/userrealm.json and DIR/metadata.xml (ready for --metadata). No
    /// credentials needed. Example:
    ///
    ///   fedcheck discover someone@contoso.com --out contoso/
    #[command(
        verbatim_doc_comment,
        after_long_help = "Exit codes: 0 the domain is federated (and the metadata was fetched unless --no-metadata); \
1 the domain is not federated (Managed) or unknown to Entra; 2 unusable arguments, network or HTTP errors."
    )]
    Discover(DiscoverArgs),

    /// Fetch the domain's federation settings from Microsoft Graph (federationConfiguration).
    ///
    /// Needs a Graph bearer token with Domain.Read.All, read from --token-file or the
    /// FEDCHECK_GRAPH_TOKEN environment variable (never from the command line; never printed or
    /// written). Writes the JSON verbatim (the --federation-config input) to --out or stdout, and a
    /// summary to stderr. Example:
    ///
    ///   fedcheck fetch-config --domain contoso.com --token-file graph.token --out domain-fed.json
    #[command(
        verbatim_doc_comment,
        after_long_help = "Exit codes: 0 the configuration was fetched; 1 the domain has no federation configuration \
(managed); 2 unusable arguments, missing token, network or HTTP errors (401, 403, 404, ...)."
    )]
    FetchConfig(FetchConfigArgs),

    /// Tenant-wide evidence: how every user's Entra sign-ins satisfied MFA, from exported sign-in logs.
    ///
    /// Reads Microsoft Graph auditLogs/signIns pages (v1.0 or beta, one or several, bare arrays,
    /// NDJSON), Get-MgAuditLogSignIn | ConvertTo-Json -Depth 10, the Entra admin center's JSON
    /// and CSV downloads, and Log Analytics SigninLogs exports (CSV or JSON), detected per file.
    /// Each sign-in is failed, mfa_claim (the federated IdP's claim), mfa_entra or single_factor;
    /// users are merged across files by lower-cased user principal name. Partner Center's MFA
    /// report, given too, is joined by UPN. Examples:
    ///
    ///   fedcheck signins InteractiveSignIns_2026-01-01_2026-01-31.csv
    ///
    ///   fedcheck signins page1.json page2.json --since 2026-01-01T00:00:00Z --federated-only --format json
    ///
    ///   fedcheck signins signins.json --partner-report nonMfaCompliantPartnerPrincipals.json
    #[command(
        verbatim_doc_comment,
        after_long_help = "Exit codes: 0 no user signed in without MFA; 1 at least one user had a single-factor \
sign-in; 2 unusable input (one line naming the file and the problem: truncated JSON, unknown CSV header set, a \
ConvertTo-Json export at its default depth, ...).\n\n\
The rule: an error code other than 0 (or Interrupted) is failed; else the results of the succeeded \
authenticationDetails steps and status.additionalDetails decide: \"MFA requirement satisfied by claim provided by \
external provider\" is mfa_claim; \"MFA successfully completed\", \"MFA completed in Azure AD\", \"MFA requirement \
satisfied by claim in the token\", \"MFA requirement satisfied by strong authentication\" are mfa_entra; anything \
else is single_factor. authenticationRequirement never decides."
    )]
    Signins(SigninsArgs),

    /// Read Partner Center's MFA report (users who reached Partner Center without MFA), optionally joined with
    /// sign-in logs.
    ///
    /// Accepts the API's nonMfaCompliantPartnerPrincipals JSON or the portal's download (CSV:
    /// the UPN and date columns are found by header, or by their values, and reported). With
    /// --signins, says per listed user whether Entra saw MFA from the IdP's claim, from Entra, or
    /// not at all (the last successful sign-in before the visit). Example:
    ///
    ///   fedcheck partner-report portal-requests-without-mfa.csv --signins signins.json
    #[command(
        verbatim_doc_comment,
        after_long_help = "Exit codes: 0 the report lists no user; 1 it lists users who reached Partner Center \
without MFA; 2 unusable input."
    )]
    PartnerReport(PartnerReportArgs),
}

/// Which sign-ins count (shared by signins, partner-report and bundle).
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
    fn resolve(&self) -> anyhow::Result<fedcheck::signins::aggregate::Filters> {
        let t = |flag: &str, v: &Option<String>| -> anyhow::Result<Option<chrono::DateTime<chrono::Utc>>> {
            v.as_deref()
                .map(|s| {
                    chrono::DateTime::parse_from_rfc3339(s)
                        .map(|d| d.with_timezone(&chrono::Utc))
                        .map_err(|e| {
                            anyhow!("{flag}: \"{s}\" is not an RFC 3339 time ({e}); e.g. 2026-01-15T10:05:00Z")
                        })
                })
                .transpose()
        };
        let since = t("--since", &self.since)?;
        let until = t("--until", &self.until)?;
        if let (Some(a), Some(b)) = (since, until) {
            if a > b {
                return Err(anyhow!("--since is after --until"));
            }
        }
        Ok(fedcheck::signins::aggregate::Filters {
            since,
            until,
            app: self.app.clone().filter(|a| !a.trim().is_empty()),
            federated_only: self.federated_only,
        })
    }
}

/// `fedcheck signins`.
#[derive(Args, Debug)]
struct SigninsArgs {
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
    filters: SigninFilterArgs,

    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: OutputFormat,

    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

/// `fedcheck partner-report`.
#[derive(Args, Debug)]
struct PartnerReportArgs {
    /// The report: the API's nonMfaCompliantPartnerPrincipals JSON, or the portal's download (CSV).
    #[arg(value_name = "FILE")]
    file: String,

    /// Sign-in log exports to join with (any shape `fedcheck signins` reads).
    #[arg(long, value_name = "FILE", num_args = 1..)]
    signins: Vec<String>,

    #[command(flatten)]
    filters: SigninFilterArgs,

    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: OutputFormat,

    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
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
    fn shape(self) -> Option<fedcheck::signins::Shape> {
        use fedcheck::signins::Shape;
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
    fn new(files: &[String], quiet: bool) -> Progress {
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
        let delay = std::env::var("FEDCHECK_PROGRESS_DELAY_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .map_or(std::time::Duration::from_secs(1), std::time::Duration::from_millis);
        Progress {
            bar,
            start: std::time::Instant::now(),
            delay,
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

fn write_out(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(anyhow!("cannot write the report: {e}"));
        }
    }
    Ok(())
}

fn signins(a: SigninsArgs) -> anyhow::Result<u8> {
    use fedcheck::signins::{self as si, RunOptions};
    let opts = RunOptions {
        forced: a.input_format.shape(),
        filters: a.filters.resolve()?,
        partner_reports: a.partner_report.iter().cloned().collect(),
        ..RunOptions::default()
    };
    let mut all = a.files.clone();
    all.extend(a.partner_report.iter().cloned());
    let progress = Progress::new(&all, a.quiet);
    let result = si::run(&a.files, &opts, &|n| progress.tick(n));
    progress.done();
    let out = result?;
    if out.signin_files.is_empty() {
        return Err(anyhow!(
            "no sign-in log among the inputs (only Partner Center's MFA report); use `fedcheck partner-report`"
        ));
    }
    let text = match a.format {
        OutputFormat::Json => serde_json::to_string_pretty(&out.report)? + "\n",
        OutputFormat::Text => si::aggregate::to_text(&out.report),
    };
    write_out(&text)?;
    Ok(out.report.exit_code())
}

fn partner_report(a: PartnerReportArgs) -> anyhow::Result<u8> {
    use fedcheck::signins::{self as si, RunOptions};
    let opts = RunOptions {
        filters: a.filters.resolve()?,
        partner_reports: vec![a.file.clone()],
        ..RunOptions::default()
    };
    let mut all = a.signins.clone();
    all.push(a.file.clone());
    let progress = Progress::new(&all, a.quiet);
    let result = si::run(&a.signins, &opts, &|n| progress.tick(n));
    progress.done();
    let out = result?;
    let listed = out.report.partner_report.as_ref().map_or(0, |p| p.listed);
    let text = match a.format {
        OutputFormat::Json => serde_json::to_string_pretty(&out.report)? + "\n",
        OutputFormat::Text => si::aggregate::to_text(&out.report),
    };
    write_out(&text)?;
    Ok(if listed > 0 { EXIT_FAIL } else { EXIT_PASS })
}

/// `fedcheck lint-config`.
#[derive(Args, Debug)]
struct LintConfigArgs {
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

fn lint_config(a: LintConfigArgs) -> anyhow::Result<u8> {
    use fedcheck::lint::{self, Input, Kind, LintError, MAX_FILE};
    let kind = a.kind.map(|k| match k {
        ConfigKind::AdfsRules => Kind::AdfsRules,
        ConfigKind::AdfsRp => Kind::AdfsRp,
        ConfigKind::Keycloak => Kind::Keycloak,
        ConfigKind::Shibboleth => Kind::Shibboleth,
        ConfigKind::Okta => Kind::Okta,
    });
    let input = if a.file == "-" {
        let name = "<stdin>".to_string();
        match lint::read_bounded(std::io::stdin().lock(), MAX_FILE) {
            Ok(Some(bytes)) => Input::Bytes { name, bytes },
            Ok(None) => {
                return Err(anyhow!(
                    "{name}: larger than {} MiB; fedcheck reads configuration files up to that size",
                    MAX_FILE / (1024 * 1024)
                ))
            }
            Err(e) => {
                return Err(anyhow!(LintError::CannotRead {
                    file: name,
                    reason: e.to_string()
                }))
            }
        }
    } else {
        lint::read_path(&a.file)?
    };
    let rep = lint::lint(&input, kind)?;
    let text = match a.format {
        OutputFormat::Json => rep.to_json() + "\n",
        OutputFormat::Text => rep.to_text(),
    };
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(anyhow!("cannot write the report: {e}"));
        }
    }
    Ok(if rep.failed() { EXIT_FAIL } else { EXIT_PASS })
}

#[derive(Args, Debug)]
struct TestArgs {
    /// The plan (TOML).
    #[arg(value_name = "PLAN")]
    plan: String,

    /// Also write the results as JUnit XML to FILE, for CI systems.
    #[arg(long, value_name = "FILE")]
    junit: Option<std::path::PathBuf>,

    #[command(flatten)]
    policy: PolicyArgs,
}

#[derive(Args, Debug)]
struct ServeArgs {
    #[command(flatten)]
    trust: TrustArgs,

    #[command(flatten)]
    eval: EvalArgs,

    /// Address to listen on. Keep it on loopback unless other machines must reach it.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    listen: String,

    /// The IdP's passive sign-in URL the start links send the browser to (default: the metadata's sign-in URL).
    #[arg(long, value_name = "URL")]
    idp_url: Option<String>,

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

    /// Write an evidence bundle (as `fedcheck bundle` does, personal values redacted) for every sign-in, in a new
    /// folder under DIR (which must exist).
    #[arg(long, value_name = "DIR")]
    out: Option<std::path::PathBuf>,

    /// For tests: treat this InResponseTo / wctx value as a request this server sent. Repeatable.
    #[arg(long, value_name = "ID", hide = true)]
    expect_request_id: Vec<String>,
}

#[derive(Args, Debug)]
struct CheckArgs {
    #[command(flatten)]
    inputs: InputArgs,

    #[command(flatten)]
    trust: TrustArgs,

    #[command(flatten)]
    eval: EvalArgs,

    #[command(flatten)]
    chain: ChainArgs,

    #[command(flatten)]
    policy: PolicyArgs,

    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: OutputFormat,

    /// Compare the verdict with a normalized snapshot in FILE (IDs, instants, signature bytes removed; personal
    /// values redacted): write it when missing (refused when CI is set), fail with a diff when it differs. The
    /// exit code is then 0 when it matches, 1 when it differs.
    #[arg(long, value_name = "FILE")]
    snapshot: Option<std::path::PathBuf>,

    /// Rewrite the --snapshot FILE with the current verdict.
    #[arg(long, requires = "snapshot")]
    update_snapshots: bool,
}

/// Where tokens come from (shared by every subcommand that reads tokens).
#[derive(Args, Debug, Clone)]
struct InputArgs {
    /// Token inputs: files (raw XML, base64, form body, HAR, SAML-tracer JSON), directories (walked), or `-` for
    /// stdin.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<String>,

    /// Force the input format instead of detecting it.
    #[arg(long, value_enum, default_value = "auto")]
    input_format: InputFormat,

    /// Largest input accepted, in bytes (suffixes k, M, G allowed).
    #[arg(long, default_value = "20M", value_name = "BYTES")]
    max_input_size: String,
}

/// The end-to-end chain: Entra's own access token for the same sign-in (check and bundle).
#[derive(Args, Debug, Clone)]
struct ChainArgs {
    /// Entra's access token from the same sign-in (a file with the JWT, an Authorization: Bearer line, a token
    /// response, or a HAR): linked to the IdP token of the same user to show the chain IdP token -> domain
    /// setting -> Entra token (amr must contain mfa).
    #[arg(long, value_name = "FILE|HAR")]
    entra_token: Option<String>,

    /// The key set that signs Entra's tokens, FILE or URL (default: Entra's published keys).
    #[arg(long, value_name = "FILE|URL", requires = "entra_token", default_value = fedcheck::entra::jwt::ENTRA_JWKS)]
    entra_jwks: String,
}

impl ChainArgs {
    /// Judges the Entra token(s) and links them to the report's tokens.
    fn attach(&self, rep: &mut report::Report, settings: &Settings) -> anyhow::Result<()> {
        let Some(path) = &self.entra_token else { return Ok(()) };
        use fedcheck::entra::jwt;
        let found = jwt::find_tokens(path, jwt::MAX_INPUT).map_err(|e| anyhow!("--entra-token: {e}"))?;
        let keys = jwt::load_jwks(&self.entra_jwks, std::time::Duration::from_secs(15))
            .map_err(|e| anyhow!("--entra-jwks: {e}"))?;
        let opts = jwt::Options {
            at: settings.at,
            skew: settings.skew,
            expect_audience: None,
            expect_tenant: None,
        };
        let judged = jwt::run(&found, &keys, &opts);
        rep.attach_chain(fedcheck::entra::chain::link(rep, &judged, settings.skew));
        Ok(())
    }
}

/// Which keys and issuer are trusted (shared by every subcommand that judges tokens).
#[derive(Args, Debug, Clone)]
struct TrustArgs {
    /// A trusted IdP signing certificate: PEM, DER, or bare base64 of DER (as Entra stores signingCertificate).
    /// Repeatable (current and next certificate).
    #[arg(long, value_name = "FILE")]
    idp_cert: Vec<String>,

    /// IdP metadata (SAML 2.0 EntityDescriptor or WS-Fed FederationMetadata), a FILE or an https URL; its signing
    /// certificates become trust anchors and its entityID the expected issuer.
    #[arg(long, value_name = "FILE|URL")]
    metadata: Option<String>,

    /// Certificate that must have signed the metadata (the metadata's signature is checked only when given).
    #[arg(long, value_name = "FILE", requires = "metadata")]
    metadata_cert: Vec<String>,

    /// The issuer the tokens must carry: the domain's issuerUri in Entra (default: the metadata's entityID).
    #[arg(long, value_name = "URI")]
    expect_issuer: Option<String>,

    /// Timeout for fetching --metadata from a URL, in seconds.
    #[arg(long, default_value_t = 15, value_name = "SECONDS")]
    fetch_timeout: u64,

    /// The domain's Entra federation settings: Graph GET /domains/{domain}/federationConfiguration JSON,
    /// Get-MgDomainFederationConfiguration | ConvertTo-Json, Get-EntraDomainFederationSettings or the deprecated
    /// Get-MsolDomainFederationSettings | ConvertTo-Json, one domain or several (an array). Tokens are cross-checked
    /// against the domain whose issuerUri they carry (issuer, signing certificate, protocol) and Entra's outcome is
    /// predicted from its MFA behaviour; its certificates are trusted.
    #[arg(long, value_name = "FILE")]
    federation_config: Option<String>,
}

/// How tokens are judged (shared by every subcommand that judges tokens).
#[derive(Args, Debug, Clone)]
struct EvalArgs {
    /// Evaluate times as of this RFC 3339 instant (default: now), e.g. 2026-01-15T10:05:00Z.
    #[arg(long, value_name = "RFC3339")]
    at: Option<String>,

    /// Allowed clock skew for NotBefore / NotOnOrAfter, e.g. 5m, 300s, 0s.
    #[arg(long, default_value = "5m", value_name = "DURATION")]
    skew: String,

    /// Signature engines: both (fedcheck and libxmlsec1 must agree), fedcheck only (fast), or xmlsec only.
    #[arg(long, value_enum, default_value = "both")]
    engines: EngineChoice,

    /// The federated domain the users belong to, e.g. contoso.com: subject.upn warns when a token's UPN is in
    /// another domain (default: the domain named by --federation-config; bundle also puts it in request.md).
    #[arg(long, value_name = "DOMAIN")]
    tenant_domain: Option<String>,
}

/// Which findings make the exit code 1 (check, bundle, test).
#[derive(Args, Debug, Clone)]
struct PolicyArgs {
    /// Exit 1 on any failed check (fail, the default) or also on any warning (warn): the strict form for CI jobs
    /// and exception requests. The report's verdict is unchanged.
    #[arg(long, value_enum, default_value = "fail", value_name = "LEVEL")]
    fail_on: FailOn,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum FailOn {
    /// Exit 1 when a check fails.
    Fail,
    /// Exit 1 when a check fails or warns.
    Warn,
}

impl TrustArgs {
    /// Loads the anchors and metadata (fetching a metadata URL). Errors name the option.
    fn resolve(&self) -> anyhow::Result<(Vec<trust::TrustAnchor>, Option<trust::Metadata>)> {
        let mut anchors: Vec<trust::TrustAnchor> = Vec::new();
        for path in &self.idp_cert {
            let anchor = trust::load_cert_file(path).with_context(|| format!("--idp-cert {path}"))?;
            if !anchors.iter().any(|x| x.der == anchor.der) {
                anchors.push(anchor);
            }
        }
        let mut metadata_certs = Vec::new();
        for path in &self.metadata_cert {
            metadata_certs.push(trust::load_cert_file(path).with_context(|| format!("--metadata-cert {path}"))?);
        }
        let metadata = match &self.metadata {
            Some(loc) => {
                let limits = FetchLimits {
                    timeout: std::time::Duration::from_secs(self.fetch_timeout.max(1)),
                    ..FetchLimits::default()
                };
                let m = trust::load_metadata(loc, &metadata_certs, &limits).map_err(|e| anyhow!("--metadata: {e}"))?;
                for anchor in &m.anchors {
                    if !anchors.iter().any(|x| x.der == anchor.der) {
                        anchors.push(anchor.clone());
                    }
                }
                Some(m)
            }
            None => None,
        };
        Ok((anchors, metadata))
    }

    /// Loads `--federation-config`, adding its certificates to the anchors (they are what Entra trusts).
    fn federation(
        &self,
        anchors: &mut Vec<trust::TrustAnchor>,
    ) -> anyhow::Result<Option<fedcheck::entra::FederationSettings>> {
        match &self.federation_config {
            Some(path) => {
                let cfg =
                    fedcheck::entra::load_federation_config(path).map_err(|e| anyhow!("--federation-config: {e}"))?;
                fedcheck::entra::add_config_anchors(&cfg, anchors);
                Ok(Some(cfg))
            }
            None => Ok(None),
        }
    }
}

impl EvalArgs {
    fn at(&self) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
        Ok(match &self.at {
            Some(s) => chrono::DateTime::parse_from_rfc3339(s)
                .map_err(|e| anyhow!("--at: \"{s}\" is not an RFC 3339 time ({e}); e.g. 2026-01-15T10:05:00Z"))?
                .with_timezone(&chrono::Utc),
            None => chrono::Utc::now(),
        })
    }

    fn engines(&self) -> Engines {
        match self.engines {
            EngineChoice::Both => Engines {
                fedcheck: true,
                xmlsec: true,
            },
            EngineChoice::Fedcheck => Engines {
                fedcheck: true,
                xmlsec: false,
            },
            EngineChoice::Xmlsec => Engines {
                fedcheck: false,
                xmlsec: true,
            },
        }
    }
}

/// Resolves every trust and evaluation option into library settings, before any token is read, so a bad flag
/// never yields a partial report.
fn settings(trust: &TrustArgs, eval: &EvalArgs) -> anyhow::Result<Settings> {
    let at = eval.at()?;
    let skew = parse_duration(&eval.skew)?;
    let engines = eval.engines();
    let (mut anchors, metadata) = trust.resolve()?;
    let federation = trust.federation(&mut anchors)?;
    let tenant_domain = match &eval.tenant_domain {
        Some(d) if d.trim().is_empty() || d.contains(['@', '/', ' ']) => {
            return Err(anyhow!(
                "--tenant-domain: \"{d}\" is not a domain name (e.g. contoso.com)"
            ))
        }
        Some(d) => Some(d.trim().trim_end_matches('.').to_ascii_lowercase()),
        None => None,
    };
    Ok(Settings {
        federation,
        tenant_domain,
        stand_in: None,
        anchors,
        metadata,
        expect_issuer: trust.expect_issuer.clone(),
        at,
        skew,
        engines,
        xml_limits: Limits::default(),
    })
}

impl InputArgs {
    /// Loads every input: the tokens found and the inputs that could not be used.
    fn load(&self) -> anyhow::Result<(Vec<input::RawToken>, Vec<input::InputError>)> {
        let max_input = parse_size(&self.max_input_size)?;
        let limits = InputLimits {
            max_input_bytes: max_input,
            ..InputLimits::default()
        };
        let mut tokens = Vec::new();
        let mut errors = Vec::new();
        for spec in &self.inputs {
            for loaded in input::load(spec, self.input_format, &limits) {
                match loaded.result {
                    Ok(t) => tokens.extend(t),
                    Err(e) => errors.push(e),
                }
            }
        }
        Ok((tokens, errors))
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum EngineChoice {
    Both,
    Fedcheck,
    Xmlsec,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum OutputFormat {
    Text,
    Json,
}

/// Exit codes, part of the contract.
const EXIT_PASS: u8 = 0;
const EXIT_FAIL: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_ENGINES: u8 = 3;

/// Parses the command line, runs the subcommand and returns its exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { EXIT_PASS });
        }
    };
    let is_bundle = matches!(cli.command, Command::Bundle(_));
    let result = match cli.command {
        Command::Check(args) => check(args),
        Command::Bundle(args) => bundle(args),
        Command::VerifyBundle(args) => verify_bundle(args),
        Command::LintConfig(args) => lint_config(args),
        Command::Test(args) => test_plan(args),
        Command::Serve(args) => serve(args),
        Command::CheckToken(args) => check_token(args),
        Command::Discover(args) => discover(args),
        Command::FetchConfig(args) => fetch_config(args),
        Command::Signins(args) => signins(args),
        Command::PartnerReport(args) => partner_report(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("fedcheck: error: {e:#}");
            if is_bundle {
                eprintln!("fedcheck: no bundle was written");
            }
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// The exit code under `--fail-on`: with `warn`, a passing report that has warnings exits 1 (said on stderr).
fn exit_code_with(rep: &report::Report, policy: &PolicyArgs) -> u8 {
    let code = exit_code(rep);
    if code != EXIT_PASS || policy.fail_on == FailOn::Fail {
        return code;
    }
    let warned: Vec<String> = rep
        .tokens
        .iter()
        .enumerate()
        .flat_map(|(i, t)| {
            t.checks
                .iter()
                .filter(|c| c.status == fedcheck::rules::Status::Warn)
                .map(move |c| format!("token {} {}", i + 1, c.id))
        })
        .collect();
    if warned.is_empty() {
        return code;
    }
    eprintln!(
        "fedcheck: --fail-on warn: {} warning(s) ({}): exit 1",
        warned.len(),
        warned.join(", ")
    );
    EXIT_FAIL
}

/// The exit code for a report: 0 pass, 1 fail, 3 when the signature engines disagree, 2 for unusable input.
fn exit_code(rep: &report::Report) -> u8 {
    let engines_disagree = rep.tokens.iter().any(|t| {
        t.checks
            .iter()
            .any(|c| c.id == fedcheck::rules::ids::SIGNATURE_ENGINES_AGREE && c.status == fedcheck::rules::Status::Fail)
    });
    match rep.verdict {
        Verdict::Pass => EXIT_PASS,
        Verdict::Fail => EXIT_FAIL,
        Verdict::Error if engines_disagree => EXIT_ENGINES,
        Verdict::Error => EXIT_USAGE,
    }
}

fn parse_size(s: &str) -> anyhow::Result<u64> {
    let t = s.trim();
    let (num, mult) = match t.chars().last() {
        Some('k' | 'K') => (&t[..t.len() - 1], 1024),
        Some('m' | 'M') => (&t[..t.len() - 1], 1024 * 1024),
        Some('g' | 'G') => (&t[..t.len() - 1], 1024 * 1024 * 1024),
        _ => (t, 1),
    };
    let n: u64 = num
        .trim()
        .parse()
        .map_err(|_| anyhow!("--max-input-size: \"{s}\" is not a size (e.g. 20M)"))?;
    n.checked_mul(mult)
        .ok_or_else(|| anyhow!("--max-input-size: \"{s}\" is too large"))
}

fn parse_duration(s: &str) -> anyhow::Result<chrono::Duration> {
    let t = s.trim();
    let bad = || anyhow!("--skew: \"{s}\" is not a duration (e.g. 5m, 300s, 0s)");
    let (num, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: i64 = num.parse().map_err(|_| bad())?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n.checked_mul(60).ok_or_else(bad)?,
        "h" => n.checked_mul(3600).ok_or_else(bad)?,
        _ => return Err(bad()),
    };
    if secs > 86_400 {
        return Err(anyhow!(
            "--skew: {s} is more than a day; that would accept stale tokens"
        ));
    }
    Ok(chrono::Duration::seconds(secs))
}

fn check(a: CheckArgs) -> anyhow::Result<u8> {
    let settings = settings(&a.trust, &a.eval)?;
    let (tokens, errors) = a.inputs.load()?;
    let mut rep = report::run(tokens, errors, &settings);
    a.chain.attach(&mut rep, &settings)?;
    let text = match a.format {
        OutputFormat::Json => report::to_json(&rep) + "\n",
        OutputFormat::Text => {
            let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            report::to_text(&rep, Style { color })
        }
    };
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(anyhow!("cannot write the report: {e}"));
        }
    }
    if let Some(path) = &a.snapshot {
        return snapshot(path, &rep, a.update_snapshots);
    }
    Ok(exit_code_with(&rep, &a.policy))
}

/// `check --snapshot`: the exit code says whether the verdict still matches the committed snapshot.
fn snapshot(path: &std::path::Path, rep: &report::Report, update: bool) -> anyhow::Result<u8> {
    use fedcheck::report::snapshot::{self as snap, Outcome};
    let rendered = snap::render(rep);
    let shown = path.display();
    let in_ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "0" && v != "false");
    if in_ci && !update && !path.exists() {
        eprintln!(
            "fedcheck: snapshot {shown} does not exist; under CI it is not created. Run the same command locally \
(it writes the file) and commit it."
        );
        return Ok(EXIT_FAIL);
    }
    match snap::compare(path, &rendered, update)? {
        Outcome::Created => eprintln!("fedcheck: snapshot {shown} written; commit it"),
        Outcome::Matches => eprintln!("fedcheck: snapshot {shown} matches"),
        Outcome::Updated => eprintln!("fedcheck: snapshot {shown} updated"),
        Outcome::Differs(d) => {
            eprintln!("fedcheck: the verdict differs from snapshot {shown} (- snapshot, + now):\n{d}");
            eprintln!("If the change is intended, rerun with --update-snapshots and commit the file.");
            return Ok(EXIT_FAIL);
        }
    }
    Ok(EXIT_PASS)
}

fn test_plan(a: TestArgs) -> anyhow::Result<u8> {
    let lp = fedcheck::harness::plan::load(&a.plan)?;
    let settings = lp.settings()?;
    let result = fedcheck::harness::plan::run(&lp, &settings);
    if let Some(path) = &a.junit {
        std::fs::write(path, result.junit()).with_context(|| format!("--junit {}", path.display()))?;
    }
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(result.text().as_bytes()).and_then(|_| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(anyhow!("cannot write the summary: {e}"));
        }
    }
    if result.unexpected() > 0 {
        return Ok(EXIT_FAIL);
    }
    if a.policy.fail_on == FailOn::Warn {
        let warned = result.warnings();
        if !warned.is_empty() {
            eprintln!(
                "fedcheck: --fail-on warn: {} warning(s) ({}): exit 1",
                warned.len(),
                warned.join(", ")
            );
            return Ok(EXIT_FAIL);
        }
    }
    Ok(EXIT_PASS)
}

fn serve(a: ServeArgs) -> anyhow::Result<u8> {
    // Settings first, outside the async runtime: a metadata URL is fetched with a blocking client.
    let settings = settings(&a.trust, &a.eval)?;
    let max_body = usize::try_from(
        parse_size(&a.max_body).map_err(|_| anyhow!("--max-body: \"{}\" is not a size (e.g. 1M)", a.max_body))?,
    )
    .map_err(|_| anyhow!("--max-body: too large"))?;
    let addr: std::net::SocketAddr = a
        .listen
        .parse()
        .map_err(|_| anyhow!("--listen: \"{}\" is not ADDR:PORT (e.g. 127.0.0.1:8080)", a.listen))?;
    if !addr.ip().is_loopback() {
        eprintln!(
            "fedcheck: warning: listening on {addr}, not a loopback address: anyone who can reach it can post tokens"
        );
    }
    if let Some(dir) = &a.out {
        if !dir.is_dir() {
            return Err(anyhow!("--out {}: not an existing folder", dir.display()));
        }
    }
    let idp_url = a
        .idp_url
        .clone()
        .or_else(|| settings.metadata.as_ref().and_then(|m| m.sign_in_url.clone()));
    let cfg = fedcheck::harness::serve::Config {
        fixed_time: a.eval.at.is_some(),
        settings,
        idp_url,
        acs_url: a.acs_url.clone(),
        realm: a.realm.clone(),
        expect_request_ids: a.expect_request_id.clone(),
        out: a.out.clone(),
        limits: fedcheck::harness::serve::Limits {
            max_body,
            request_timeout: std::time::Duration::from_secs(a.request_timeout.max(1)),
            ..fedcheck::harness::serve::Limits::default()
        },
    };
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
        fedcheck::harness::serve::run(listener, cfg, fedcheck::harness::serve::shutdown_signal()).await?;
        anyhow::Ok(())
    })?;
    rt.shutdown_timeout(std::time::Duration::from_secs(2));
    eprintln!("fedcheck serve: stopped");
    Ok(EXIT_PASS)
}

/// `fedcheck bundle`: the check's inputs and options, plus what goes into the evidence bundle.
#[derive(Args, Debug)]
struct BundleArgs {
    #[command(flatten)]
    inputs: InputArgs,

    #[command(flatten)]
    trust: TrustArgs,

    #[command(flatten)]
    eval: EvalArgs,

    #[command(flatten)]
    chain: ChainArgs,

    #[command(flatten)]
    policy: PolicyArgs,

    /// The bundle folder to create (must not exist or be empty, unless --force); DIR.zip is written beside it.
    #[arg(long, value_name = "DIR")]
    out: std::path::PathBuf,

    /// Replace a previous bundle in --out and its zip (never a folder that is not a fedcheck bundle).
    #[arg(long)]
    force: bool,

    /// An IdP configuration export (AD FS claim rules, Okta or Ping export), copied untouched into config/idp/;
    /// repeatable.
    #[arg(long, value_name = "FILE")]
    attach_config: Vec<std::path::PathBuf>,

    /// A document to attach (purchase order, screenshot), copied untouched into attachments/; repeatable.
    #[arg(long, value_name = "FILE")]
    attach: Vec<std::path::PathBuf>,

    /// Also redact the values of this attribute (name, full claim URI, or its last segment); repeatable.
    #[arg(long, value_name = "ATTRIBUTE")]
    redact: Vec<String>,

    /// Key for the redaction placeholders (HMAC-SHA256), so runs are reproducible; default: a random key that is
    /// not stored. Never recorded in the bundle.
    #[arg(long, value_name = "KEY")]
    redaction_key: Option<String>,

    /// Keep NameID, UPN, e-mail and ImmutableID values as received (no redaction).
    #[arg(long, conflicts_with_all = ["redact", "redaction_key"])]
    no_redact: bool,

    /// The IdP product and version, for request.md (default: guessed from the metadata entityID).
    #[arg(long, value_name = "TEXT")]
    idp_product: Option<String>,

    /// Entra sign-in log exports (any shape `fedcheck signins` reads): judged per user, copied (redacted) into
    /// signins/ with summary.json, and summarized in the reports and request.md.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    signins: Vec<String>,

    /// Partner Center's MFA report, joined with --signins by UPN.
    #[arg(long, value_name = "FILE", requires = "signins")]
    partner_report: Option<String>,
}

/// `fedcheck verify-bundle`.
#[derive(Args, Debug)]
struct VerifyBundleArgs {
    /// The bundle folder or its zip.
    #[arg(value_name = "DIR|ZIP")]
    bundle: std::path::PathBuf,
}

fn bundle(a: BundleArgs) -> anyhow::Result<u8> {
    use fedcheck::bundle::{self, BundleOptions, RedactionOptions};
    let key = match &a.redaction_key {
        Some(k) if k.is_empty() => return Err(anyhow!("--redaction-key: the key is empty")),
        Some(k) => Some(k.as_bytes().to_vec()),
        None => None,
    };
    let at_given = a.eval.at.is_some();
    let mut opts = BundleOptions {
        out: a.out.clone(),
        force: a.force,
        federation_config: a.trust.federation_config.clone().map(std::path::PathBuf::from),
        attach_config: a.attach_config.clone(),
        attach: a.attach.clone(),
        redaction: RedactionOptions {
            enabled: !a.no_redact,
            key,
            attributes: a.redact.clone(),
        },
        idp_product: a.idp_product.clone(),
        tenant_domain: a.eval.tenant_domain.clone(),
        command_line: std::env::args().collect(),
        fixed_time: None,
        metadata_fetched_at: None,
    };
    bundle::preflight(&opts)?;
    // The sign-in logs are read (and judged) before anything is written: an unusable export writes no bundle.
    let signins = if a.signins.is_empty() {
        None
    } else {
        let sopts = fedcheck::signins::RunOptions {
            collect_personal: !a.no_redact,
            partner_reports: a.partner_report.iter().cloned().collect(),
            ..fedcheck::signins::RunOptions::default()
        };
        let mut all = a.signins.clone();
        all.extend(a.partner_report.iter().cloned());
        let progress = Progress::new(&all, false);
        let result = fedcheck::signins::run(&a.signins, &sopts, &|n| progress.tick(n));
        progress.done();
        let out = result.map_err(|e| anyhow!("--signins: {e}"))?;
        if out.signin_files.is_empty() {
            return Err(anyhow!(
                "--signins: no sign-in log among the files (only Partner Center's MFA report)"
            ));
        }
        Some(out)
    };
    let fetch_time = chrono::Utc::now();
    let settings = settings(&a.trust, &a.eval)?;
    if at_given {
        opts.fixed_time = Some(settings.at);
    }
    if settings
        .metadata
        .as_ref()
        .is_some_and(|m| m.source_name.contains("://"))
    {
        opts.metadata_fetched_at = Some(fetch_time);
    }
    let (tokens, errors) = a.inputs.load()?;
    if let Some(e) = errors.first() {
        return Err(anyhow!("{e}"));
    }
    if tokens.is_empty() {
        return Err(anyhow!("no token found in the inputs"));
    }
    let mut rep = report::run(tokens.clone(), Vec::new(), &settings);
    a.chain.attach(&mut rep, &settings)?;
    if let Some((i, t)) = rep.tokens.iter().enumerate().find(|(_, t)| t.error.is_some()) {
        return Err(anyhow!(
            "token {} ({}): {}",
            i + 1,
            report::source_line(&t.source),
            t.error.as_deref().unwrap_or_default()
        ));
    }
    let written = bundle::write_with_signins(&rep, &tokens, &settings, &opts, signins.as_ref())?;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "Wrote {}/ ({} files + manifest.json) and {}",
        written.dir.display(),
        written.files.len(),
        written.zip.display()
    );
    for (i, t) in rep.tokens.iter().enumerate() {
        let _ = writeln!(
            out,
            "  Token {}: {}: {}",
            i + 1,
            report::source_line(&t.source),
            fedcheck::report::render::token_verdict_reason(t)
        );
    }
    if written.redaction.enabled {
        let _ = writeln!(
            out,
            "Redacted: {}",
            if written.redaction.fields.is_empty() {
                "nothing found to redact".to_string()
            } else {
                written.redaction.fields.join(", ")
            }
        );
    }
    if let Some(si) = &signins {
        let _ = writeln!(
            out,
            "Sign-in logs: {}",
            fedcheck::report::render::signins_sentence(&si.report)
        );
    }
    let _ = writeln!(
        out,
        "Summary: {} token(s): {} pass, {} fail, {} error. Verdict: {}",
        rep.summary.tokens,
        rep.summary.pass,
        rep.summary.fail,
        rep.summary.error,
        match rep.verdict {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::Error => "ERROR",
        }
    );
    let _ = out.flush();
    Ok(exit_code_with(&rep, &a.policy))
}

/// `fedcheck check-token`.
#[derive(Args, Debug)]
struct CheckTokenArgs {
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

fn check_token(a: CheckTokenArgs) -> anyhow::Result<u8> {
    use fedcheck::entra::jwt;
    let at = match &a.at {
        Some(s) => chrono::DateTime::parse_from_rfc3339(s)
            .map_err(|e| anyhow!("--at: \"{s}\" is not an RFC 3339 time ({e}); e.g. 2026-01-15T10:05:00Z"))?
            .with_timezone(&chrono::Utc),
        None => chrono::Utc::now(),
    };
    let opts = jwt::Options {
        at,
        skew: parse_duration(&a.skew)?,
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
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(anyhow!("cannot write the report: {e}"));
        }
    }
    Ok(if rep.verdict == "pass" { EXIT_PASS } else { EXIT_FAIL })
}

fn verify_bundle(a: VerifyBundleArgs) -> anyhow::Result<u8> {
    let v = fedcheck::bundle::verify(&a.bundle)?;
    let mut out = std::io::stdout().lock();
    for p in &v.missing {
        let _ = writeln!(out, "MISSING  {p}");
    }
    for (p, want, got) in &v.changed {
        let _ = writeln!(out, "CHANGED  {p} (manifest sha256 {want}, found {got})");
    }
    for p in &v.added {
        let _ = writeln!(out, "ADDED    {p}");
    }
    let m = v.manifest.as_ref();
    if v.ok() {
        let _ = writeln!(
            out,
            "INTACT: {} file(s) match manifest.json ({} {}, evaluated at {}, verdict {})",
            v.intact.len(),
            m.map_or("", |m| m.tool.name.as_str()),
            m.map_or("", |m| m.tool.version.as_str()),
            m.map_or("", |m| m.evaluated_at.as_str()),
            m.map_or("", |m| m.verdict.as_str())
        );
        Ok(EXIT_PASS)
    } else {
        let _ = writeln!(
            out,
            "ALTERED: {} missing, {} changed, {} added; {} intact",
            v.missing.len(),
            v.changed.len(),
            v.added.len(),
            v.intact.len()
        );
        Ok(EXIT_FAIL)
    }
}

/// `fedcheck discover`.
#[derive(Args, Debug)]
struct DiscoverArgs {
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

/// `fedcheck fetch-config`.
#[derive(Args, Debug)]
struct FetchConfigArgs {
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

fn discover(a: DiscoverArgs) -> anyhow::Result<u8> {
    use fedcheck::entra::discovery::{self, DiscoverOptions, HttpPolicy};
    let d = discovery::discover(&DiscoverOptions {
        user: a.user.clone(),
        login_base: a.login_base_url.clone(),
        metadata_url: a.metadata_url.clone(),
        fetch_metadata: !a.no_metadata,
        out: a.out.clone(),
        policy: HttpPolicy::with_timeout(a.timeout),
    })?;
    let text = match a.format {
        OutputFormat::Json => serde_json::to_string_pretty(&d)? + "\n",
        OutputFormat::Text => discovery::render_text(&d),
    };
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(anyhow!("cannot write the output: {e}"));
        }
    }
    if !d.federated {
        if matches!(a.format, OutputFormat::Json) {
            for n in &d.notes {
                eprintln!("fedcheck: {n}");
            }
        }
        return Ok(EXIT_FAIL);
    }
    Ok(EXIT_PASS)
}

fn fetch_config(a: FetchConfigArgs) -> anyhow::Result<u8> {
    use fedcheck::entra::discovery::{self, HttpPolicy};
    let token = discovery::resolve_token(a.token_file.as_deref())?;
    let policy = HttpPolicy::with_timeout(a.timeout);
    let cfg = discovery::fetch_federation_config(&a.domain, &token, &a.graph_base_url, &policy)?;
    match &a.out {
        Some(p) => std::fs::write(p, &cfg.raw).with_context(|| format!("--out {}: cannot write", p.display()))?,
        None => {
            let mut out = std::io::stdout().lock();
            if let Err(e) = out.write_all(&cfg.raw).and_then(|_| out.flush()) {
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    return Err(anyhow!("cannot write the output: {e}"));
                }
            }
        }
    }
    eprintln!("{}", cfg.summary(&a.domain));
    if let Some(p) = &a.out {
        eprintln!("Wrote {} (use it with --federation-config)", p.display());
    }
    Ok(if cfg.entries().is_empty() { EXIT_FAIL } else { EXIT_PASS })
}
