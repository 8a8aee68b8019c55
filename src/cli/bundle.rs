//! `fedcheck bundle`: judge tokens like `check` and write an evidence bundle (folder + zip) of the report, the
//! trust material, the redacted tokens, the sign-in logs and the user's attachments. Everything that can fail is
//! read and judged before the first byte is written, so a failed run leaves nothing behind.

use super::args::{self, JudgeArgs};
use super::environment::Environment;
use super::outcome::Outcome;
use super::signins;
use anyhow::anyhow;
use clap::Args;
use fedcheck::bundle::{self, BundleOptions, RedactionOptions, Written};
use fedcheck::report::{self, render, Report, Settings, Verdict};
use fedcheck::signins::RunOutput;
use std::io::Write;

/// `fedcheck bundle`: the check's inputs and options, plus what goes into the evidence bundle.
#[derive(Args, Debug)]
pub(super) struct BundleArgs {
    #[command(flatten)]
    judge: JudgeArgs,

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

    /// The IdP product and version, for request.md and the evidence card (default: named only from evidence, the
    /// IdP's metadata or signed tokens in a known product's shape; otherwise unknown).
    #[arg(long, value_name = "TEXT")]
    idp_product: Option<String>,

    /// Entra sign-in log exports (any shape `fedcheck signins` reads): judged per user, copied (redacted) into
    /// signins/ with summary.json, and summarized in the reports and request.md.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    signins: Vec<String>,

    /// Partner Center's MFA report, joined with --signins by UPN.
    #[arg(long, value_name = "FILE", requires = "signins")]
    partner_report: Option<String>,

    /// Sign manifest.json with this private key (unencrypted PEM or DER, RSA of 2048 bits or more, or EC): writes
    /// manifest.json.p7s, a detached CMS signature (SHA-256) that `verify-bundle --signer-cert` and
    /// `openssl cms -verify` check. Needs --sign-cert.
    #[arg(long, value_name = "KEY", requires = "sign_cert")]
    sign_key: Option<std::path::PathBuf>,

    /// The certificate of --sign-key (PEM or DER), embedded in the signature.
    #[arg(long, value_name = "CERT", requires = "sign_key")]
    sign_cert: Option<std::path::PathBuf>,
}

/// Runs `bundle`: checks the options and the output location, reads the sign-in logs, resolves the settings,
/// judges the tokens, writes the bundle and prints what it holds; the outcome is the report's, as for `check`.
pub(super) fn run(a: BundleArgs, env: &Environment) -> anyhow::Result<Outcome> {
    let mut opts = a.options(env)?;
    bundle::preflight(&opts)?;
    // The sign-in logs are read (and judged) before anything is written: an unusable export writes no bundle.
    let signins = a.read_signins(env)?;
    let fetch_time = chrono::Utc::now();
    let settings = args::settings(&a.judge.trust, &a.judge.eval)?;
    if a.judge.eval.at.is_some() {
        opts.fixed_time = Some(settings.at);
    }
    if settings
        .metadata
        .as_ref()
        .is_some_and(|m| m.source_name.contains("://"))
    {
        opts.metadata_fetched_at = Some(fetch_time);
    }
    let (tokens, rep) = a.judge_every_token(&settings)?;
    let written = bundle::write_with_signins(&rep, &tokens, &settings, &opts, signins.as_ref())?;
    print_written(&written, signins.as_ref());
    Ok(Outcome::of_report_under(&rep, a.judge.policy.fail_on))
}

impl BundleArgs {
    /// The bundle's options from the flags (the times are set once the settings are resolved).
    fn options(&self, env: &Environment) -> anyhow::Result<BundleOptions> {
        let key = match &self.redaction_key {
            Some(k) if k.is_empty() => return Err(anyhow!("--redaction-key: the key is empty")),
            Some(k) => Some(k.as_bytes().to_vec()),
            None => None,
        };
        Ok(BundleOptions {
            out: self.out.clone(),
            force: self.force,
            federation_config: self.judge.trust.federation_config.clone().map(std::path::PathBuf::from),
            attach_config: self.attach_config.clone(),
            attach: self.attach.clone(),
            redaction: RedactionOptions {
                enabled: !self.no_redact,
                key,
                attributes: self.redact.clone(),
            },
            idp_product: self.idp_product.clone(),
            tenant_domain: self.judge.eval.tenant_domain.clone(),
            command_line: env.argv.clone(),
            fixed_time: None,
            metadata_fetched_at: None,
            signer: match (&self.sign_key, &self.sign_cert) {
                (Some(k), Some(c)) => Some(bundle::Signer::from_files(k, c)?),
                _ => None,
            },
        })
    }

    /// `--signins` (and `--partner-report`), read and judged; refused when no sign-in log is among them.
    fn read_signins(&self, env: &Environment) -> anyhow::Result<Option<RunOutput>> {
        if self.signins.is_empty() {
            return Ok(None);
        }
        let opts = fedcheck::signins::RunOptions {
            collect_personal: !self.no_redact,
            partner_reports: self.partner_report.iter().cloned().collect(),
            ..fedcheck::signins::RunOptions::default()
        };
        let out = signins::read(&self.signins, &opts, false, env).map_err(|e| anyhow!("--signins: {e}"))?;
        if out.signin_files.is_empty() {
            return Err(anyhow!(
                "--signins: no sign-in log among the files (only Partner Center's MFA report)"
            ));
        }
        Ok(Some(out))
    }

    /// Loads and judges the tokens; a bundle needs every input usable and every token analyzable.
    fn judge_every_token(&self, settings: &Settings) -> anyhow::Result<(Vec<fedcheck::input::RawToken>, Report)> {
        let (tokens, errors) = self.judge.inputs.load()?;
        if let Some(e) = errors.first() {
            return Err(anyhow!("{e}"));
        }
        if tokens.is_empty() {
            return Err(anyhow!("no token found in the inputs"));
        }
        let rep = self.judge.judge(tokens.clone(), Vec::new(), settings)?;
        if let Some((i, t)) = rep.tokens.iter().enumerate().find(|(_, t)| t.error.is_some()) {
            return Err(anyhow!(
                "token {} ({}): {}",
                i + 1,
                report::source_line(&t.source),
                t.error.as_deref().unwrap_or_default()
            ));
        }
        Ok((tokens, rep))
    }
}

/// Tells the user what was written: the bundle, each token's verdict, what was redacted, the sign-in logs'
/// sentence and the summary.
fn print_written(written: &Written, signins: Option<&RunOutput>) {
    // The redacted report: a CI log keeps no more personal data than the bundle.
    let rep = &written.shown;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "Wrote {}/ ({} files + manifest.json{}) and {}",
        written.dir.display(),
        written.files.len(),
        if written.signed {
            " + manifest.json.p7s, signed"
        } else {
            ""
        },
        written.zip.display()
    );
    for (i, t) in rep.tokens.iter().enumerate() {
        let _ = writeln!(
            out,
            "  Token {}: {}: {}",
            i + 1,
            report::source_line(&t.source),
            render::token_verdict_reason(t)
        );
    }
    if written.redaction.enabled {
        let fields = if written.redaction.fields.is_empty() {
            "nothing found to redact".to_string()
        } else {
            written.redaction.fields.join(", ")
        };
        let _ = writeln!(out, "Redacted: {fields}");
    }
    if let Some(si) = signins {
        let _ = writeln!(out, "Sign-in logs: {}", render::signins_sentence(&si.report));
    }
    let verdict = match rep.verdict {
        Verdict::Pass => "PASS",
        Verdict::Fail => "FAIL",
        Verdict::Error => "ERROR",
    };
    let _ = writeln!(out, "Summary: {}. Verdict: {verdict}", rep.summary.counts());
    let _ = out.flush();
}
