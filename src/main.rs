//! The `fedcheck` command: parses arguments, resolves them into library settings, runs, and maps the verdict to
//! an exit code (0 pass, 1 fail, 2 unusable input or arguments, 3 verification engines disagree).

use anyhow::{anyhow, Context as _};
use clap::{Args, Parser, Subcommand, ValueEnum};
use fedcheck::input::{self, InputFormat, InputLimits};
use fedcheck::report::{self, Settings, Style, Verdict};
use fedcheck::token::Engines;
use fedcheck::trust::{self, FetchLimits};
use fedcheck::xml::Limits;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

// Parsing a token allocates many small strings; mimalloc makes the fast path (--engines fedcheck) about a
// fifth faster than glibc malloc on the benchmark (benches/verify.rs).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
1 a check failed; 2 unusable input or arguments; 3 the signature engines disagree.\n\n\
Signatures count only with keys you give (--idp-cert, --metadata); a certificate inside the token is never trusted by itself."
    )]
    Check(CheckArgs),
}

#[derive(Args, Debug)]
struct CheckArgs {
    #[command(flatten)]
    inputs: InputArgs,

    #[command(flatten)]
    trust: TrustArgs,

    #[command(flatten)]
    eval: EvalArgs,

    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: OutputFormat,
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
    let (anchors, metadata) = trust.resolve()?;
    Ok(Settings {
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

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { EXIT_PASS });
        }
    };
    match cli.command {
        Command::Check(args) => match check(args) {
            Ok(code) => ExitCode::from(code),
            Err(e) => {
                eprintln!("fedcheck: error: {e:#}");
                ExitCode::from(EXIT_USAGE)
            }
        },
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
    let rep = report::run(tokens, errors, &settings);
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
    let engines_disagree = rep.tokens.iter().any(|t| {
        t.checks
            .iter()
            .any(|c| c.id == "signature.engines-agree" && c.status == fedcheck::rules::Status::Fail)
    });
    Ok(match rep.verdict {
        Verdict::Pass => EXIT_PASS,
        Verdict::Fail => EXIT_FAIL,
        Verdict::Error if engines_disagree => EXIT_ENGINES,
        Verdict::Error => EXIT_USAGE,
    })
}
