//! The `fedcheck` command line: the only part of fedcheck that knows argv and the environment. This file holds
//! the subcommands' definitions and [`main`]; each subcommand lives in its own file, with its own options, and
//! returns a typed [`Outcome`]. The option groups several subcommands share, and their resolution into library
//! settings before any token is read, are in `args`; how outcomes and failures become exit codes (0 pass, 1 fail,
//! 2 unusable input or arguments, 3 verification engines disagree) is in `outcome`.

mod args;
mod bundle;
mod check;
mod check_token;
mod discover;
mod docs;
mod environment;
mod fetch_config;
mod lint_config;
mod outcome;
mod partner_report;
mod serve;
mod signins;
mod test;
mod verify_bundle;

use bundle::BundleArgs;
use check::CheckArgs;
use check_token::CheckTokenArgs;
use clap::{Parser, Subcommand};
use discover::DiscoverArgs;
use environment::Environment;
use fetch_config::FetchConfigArgs;
use lint_config::LintConfigArgs;
use outcome::{Failure, Outcome};
use partner_report::PartnerReportArgs;
use serve::ServeArgs;
use signins::SigninsArgs;
use std::process::ExitCode;
use test::TestArgs;
use verify_bundle::VerifyBundleArgs;

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
    // Help wraps at the terminal's width (clap's wrap_help: the terminal, else COLUMNS), at most 100 columns so a
    // wide terminal keeps lines readable.
    max_term_width = 100,
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

    /// Check that an evidence bundle (folder, zip or tar.gz) matches its manifest, and who signed it.
    ///
    /// Recomputes the SHA-256 of every file listed in manifest.json, as a stream within limits, and reports any
    /// file added, missing or changed. The hashes show that the files match the manifest, not who made them; with
    /// --signer-cert, manifest.json.p7s (bundle --sign-key) must verify with that certificate.
    #[command(
        after_long_help = "Exit codes: 0 intact (and signed by --signer-cert when given); 1 a file was added, is \
                           missing or changed, or the signature is absent or wrong; 2 not a usable bundle or over a \
                           limit."
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

    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    ///
    /// Examples:
    ///
    ///   fedcheck completions bash > ~/.local/share/bash-completion/completions/fedcheck
    ///
    ///   fedcheck completions zsh > "${fpath[1]}/_fedcheck"
    ///
    ///   fedcheck completions powershell | Out-String | Invoke-Expression
    #[command(verbatim_doc_comment)]
    Completions(docs::CompletionsArgs),

    /// Print the man page (roff), or write one page per subcommand with --out.
    ///
    /// Example:
    ///
    ///   fedcheck man --out /usr/local/share/man/man1
    #[command(verbatim_doc_comment)]
    Man(docs::ManArgs),
}

/// Parses the command line, runs the subcommand and returns its exit code.
pub fn main() -> ExitCode {
    let env = Environment::read();
    let outcome = match Cli::try_parse() {
        Ok(cli) => run(cli.command, &env).unwrap_or_else(Failure::explain),
        Err(e) => Failure::CommandLine(e).explain(),
    };
    outcome.into()
}

/// Runs one subcommand. A `bundle` that stops early has written nothing, and says so.
fn run(command: Command, env: &Environment) -> Result<Outcome, Failure> {
    let failure = match command {
        Command::Bundle(_) => Failure::BundleNotWritten,
        _ => Failure::Unusable,
    };
    match command {
        Command::Check(args) => check::run(args, env),
        Command::Bundle(args) => bundle::run(args, env),
        Command::VerifyBundle(args) => verify_bundle::run(args),
        Command::LintConfig(args) => lint_config::run(args),
        Command::Test(args) => test::run(args),
        Command::Serve(args) => serve::run(args),
        Command::CheckToken(args) => check_token::run(args),
        Command::Discover(args) => discover::run(args, env),
        Command::FetchConfig(args) => fetch_config::run(args, env),
        Command::Signins(args) => signins::run(args, env),
        Command::PartnerReport(args) => partner_report::run(args, env),
        Command::Completions(args) => docs::completions(args),
        Command::Man(args) => docs::man(args),
    }
    .map_err(failure)
}
