//! The option groups several subcommands share, as the user typed them (inputs, trust, evaluation, the Entra
//! token chain, `--fail-on`, output), and their resolution into the library's settings. Following ripgrep's
//! low/high split, every value is parsed and every trust anchor loaded by [`settings`] before any token is read,
//! so a bad flag never yields a partial report.

use anyhow::{anyhow, Context as _};
use clap::{Args, ValueEnum};
use fedcheck::http::HttpPolicy;
use fedcheck::input::{self, InputFormat, InputLimits};
use fedcheck::report::{self, Settings};
use fedcheck::saml::metadata::{self, Metadata};
use fedcheck::saml::Engines;
use fedcheck::trust;
use fedcheck::xml::Limits;
use std::io::Write as _;

/// What `check` and `bundle` share: where the tokens come from and how they are judged.
#[derive(Args, Debug)]
pub(super) struct JudgeArgs {
    #[command(flatten)]
    pub(super) inputs: InputArgs,

    #[command(flatten)]
    pub(super) trust: TrustArgs,

    #[command(flatten)]
    pub(super) eval: EvalArgs,

    #[command(flatten)]
    pub(super) chain: ChainArgs,

    #[command(flatten)]
    pub(super) policy: PolicyArgs,
}

impl JudgeArgs {
    /// Judges the tokens with `settings` and links Entra's token (`--entra-token`) to them.
    pub(super) fn judge(
        &self,
        tokens: Vec<input::RawToken>,
        errors: Vec<input::InputError>,
        settings: &Settings,
    ) -> anyhow::Result<report::Report> {
        let mut rep = report::run(tokens, errors, settings);
        self.chain.attach(&mut rep, settings)?;
        Ok(rep)
    }

    /// Links Entra's token (`--entra-token`) to a report judged elsewhere.
    pub(super) fn attach_chain(&self, rep: &mut report::Report, settings: &Settings) -> anyhow::Result<()> {
        self.chain.attach(rep, settings)
    }

    /// Whether `--entra-token` was given (its chain needs every token's report at once).
    pub(super) fn has_chain(&self) -> bool {
        self.chain.entra_token.is_some()
    }
}

/// Where tokens come from (shared by every subcommand that reads tokens).
#[derive(Args, Debug, Clone)]
pub(super) struct InputArgs {
    /// Token inputs: files (raw XML, base64, form body, HAR, SAML-tracer JSON), directories (walked), or `-` for
    /// stdin.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<String>,

    /// Force the input format instead of detecting it; `lines` reads one token per line (base64, form body, a HAR
    /// entry or its value), as `parallel --pipe` and Spark's RDD.pipe hand them over.
    #[arg(long, value_enum, default_value = "auto")]
    input_format: InputFormat,

    /// Largest input accepted, in bytes (suffixes k, M, G allowed); with --input-format lines, the longest line.
    #[arg(long, default_value = "20M", value_name = "BYTES")]
    max_input_size: String,

    /// The most tokens taken from one input (a HAR or SAML-tracer export); an input holding more is refused. Each
    /// line of a lines input is an input of its own. The tokens of one input are held in memory together.
    #[arg(long, default_value_t = 1000, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    max_tokens_per_input: u64,
}

impl InputArgs {
    /// Loads every input: the tokens found and the inputs that could not be used.
    pub(super) fn load(&self) -> anyhow::Result<(Vec<input::RawToken>, Vec<input::InputError>)> {
        let (inputs, format, limits) = self.stream()?;
        let mut tokens = Vec::new();
        let mut errors = Vec::new();
        for item in inputs {
            match item.load(format, &limits).result {
                Ok(t) => tokens.extend(t),
                Err(e) => errors.push(e),
            }
        }
        Ok((tokens, errors))
    }

    /// The inputs, walked lazily, with the format and limits to read each with.
    pub(super) fn stream(&self) -> anyhow::Result<(input::Inputs, InputFormat, InputLimits)> {
        let s = &self.max_input_size;
        let max_input = parse_size(s).map_err(|e| match e {
            SizeError::NotASize => anyhow!("--max-input-size: \"{s}\" is not a size (e.g. 20M)"),
            SizeError::TooLarge => anyhow!("--max-input-size: \"{s}\" is too large"),
        })?;
        let limits = InputLimits {
            max_input_bytes: max_input,
            max_tokens: usize::try_from(self.max_tokens_per_input).unwrap_or(usize::MAX),
            max_tokens_option: Some("--max-tokens-per-input"),
        };
        let inputs = input::Inputs::new(self.inputs.clone(), self.input_format, limits);
        Ok((inputs, self.input_format, limits))
    }
}

/// Which keys and issuer are trusted (shared by every subcommand that judges tokens).
#[derive(Args, Debug, Clone)]
pub(super) struct TrustArgs {
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
    pub(super) federation_config: Option<String>,
}

impl TrustArgs {
    /// Loads the anchors and metadata (fetching a metadata URL). Errors name the option.
    fn resolve(&self) -> anyhow::Result<(Vec<trust::TrustAnchor>, Option<Metadata>)> {
        let mut anchors: Vec<trust::TrustAnchor> = Vec::new();
        for path in &self.idp_cert {
            let anchor = trust::load_cert_file(path).with_context(|| format!("--idp-cert {path}"))?;
            add_anchor(&mut anchors, anchor);
        }
        let metadata = match &self.metadata {
            Some(location) => {
                let metadata = self.load_metadata(location)?;
                for anchor in &metadata.anchors {
                    add_anchor(&mut anchors, anchor.clone());
                }
                Some(metadata)
            }
            None => None,
        };
        Ok((anchors, metadata))
    }

    /// Loads `--metadata` (a file or URL), checking its signature against `--metadata-cert` when given.
    fn load_metadata(&self, location: &str) -> anyhow::Result<Metadata> {
        let mut metadata_certs = Vec::new();
        for path in &self.metadata_cert {
            metadata_certs.push(trust::load_cert_file(path).with_context(|| format!("--metadata-cert {path}"))?);
        }
        let limits = HttpPolicy::with_timeout(self.fetch_timeout);
        metadata::load_metadata(location, &metadata_certs, &limits).map_err(|e| anyhow!("--metadata: {e}"))
    }

    /// Loads `--federation-config`, adding its certificates to the anchors (they are what Entra trusts).
    fn federation(
        &self,
        anchors: &mut Vec<trust::TrustAnchor>,
    ) -> anyhow::Result<Option<fedcheck::entra::FederationSettings>> {
        let Some(path) = &self.federation_config else {
            return Ok(None);
        };
        let cfg = fedcheck::entra::load_federation_config(path).map_err(|e| anyhow!("--federation-config: {e}"))?;
        fedcheck::entra::add_config_anchors(&cfg, anchors);
        Ok(Some(cfg))
    }
}

/// Adds a trust anchor unless the same certificate is already trusted.
fn add_anchor(anchors: &mut Vec<trust::TrustAnchor>, anchor: trust::TrustAnchor) {
    if !anchors.iter().any(|x| x.der == anchor.der) {
        anchors.push(anchor);
    }
}

/// How tokens are judged (shared by every subcommand that judges tokens).
#[derive(Args, Debug, Clone)]
pub(super) struct EvalArgs {
    /// Evaluate times as of this RFC 3339 instant (default: now), e.g. 2026-01-15T10:05:00Z; or `issue-instant`:
    /// each token as of its own IssueInstant, so a capture stays checkable forever (CI snapshots, test plans).
    #[arg(long, value_name = "RFC3339|issue-instant")]
    pub(super) at: Option<String>,

    /// Judge Recipient and Destination as addressed to this local stand-in's ACS URL (what `fedcheck serve`
    /// printed, e.g. http://127.0.0.1:8080/login.srf), reported as info, as serve reports them: for captures
    /// made through serve.
    #[arg(long, value_name = "URL")]
    stand_in: Option<String>,

    /// With --stand-in: the realm the stand-in sent (serve's --realm, e.g. urn:federation:MicrosoftOnline:fedcheck
    /// for a test relying party): an audience equal to it is reported as info, as serve reports it.
    #[arg(long, value_name = "URI", requires = "stand_in")]
    stand_in_realm: Option<String>,

    /// Allowed clock skew for NotBefore / NotOnOrAfter, e.g. 5m, 300s, 0s.
    #[arg(long, default_value = "5m", value_name = "DURATION")]
    skew: String,

    /// Signature engines: both (fedcheck and libxmlsec1 must agree), fedcheck only (fast), or xmlsec only.
    #[arg(long, value_enum, default_value = "both")]
    engines: EngineChoice,

    /// The federated domain the users belong to, e.g. contoso.com: subject.upn warns when a token's UPN is in
    /// another domain (default: the domain named by --federation-config; bundle also puts it in request.md).
    #[arg(long, value_name = "DOMAIN")]
    pub(super) tenant_domain: Option<String>,

    /// Work budget: the most ds:Signature elements one token may hold.
    #[arg(long, default_value_t = Limits::default().max_signatures, value_name = "N")]
    max_signatures: usize,

    /// Work budget: the most canonical bytes a signature may produce, as a multiple of the document's size (plus
    /// 64 KiB).
    #[arg(long, default_value_t = Limits::default().c14n_factor, value_name = "N")]
    max_c14n_factor: usize,

    /// Work budget: the most namespace lookups libxmlsec1's canonicalization may be asked to make over one
    /// document; beyond it the second opinion is not run (and the signature is not valid under --engines both).
    #[arg(long, default_value_t = Limits::default().max_namespace_work, value_name = "N")]
    max_namespace_work: u64,
}

impl EvalArgs {
    /// `--stand-in URL` (and `--stand-in-realm URI`, default Entra's realm).
    fn stand_in(&self) -> anyhow::Result<Option<fedcheck::rules::StandIn>> {
        stand_in(self.stand_in.as_deref(), self.stand_in_realm.as_deref())
    }

    /// The XML work budget from the flags.
    fn xml_limits(&self) -> Limits {
        Limits {
            max_signatures: self.max_signatures.max(1),
            c14n_factor: self.max_c14n_factor.max(1),
            max_namespace_work: self.max_namespace_work,
            ..Limits::default()
        }
    }

    /// `--tenant-domain`, lower-cased without a trailing dot; refused when it is not a domain name.
    fn tenant_domain(&self) -> anyhow::Result<Option<String>> {
        match &self.tenant_domain {
            Some(d) if d.trim().is_empty() || d.contains(['@', '/', ' ']) => Err(anyhow!(
                "--tenant-domain: \"{d}\" is not a domain name (e.g. contoso.com)"
            )),
            Some(d) => Ok(Some(d.trim().trim_end_matches('.').to_ascii_lowercase())),
            None => Ok(None),
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum EngineChoice {
    Both,
    Fedcheck,
    Xmlsec,
}

impl EngineChoice {
    fn engines(self) -> Engines {
        Engines {
            fedcheck: matches!(self, EngineChoice::Both | EngineChoice::Fedcheck),
            xmlsec: matches!(self, EngineChoice::Both | EngineChoice::Xmlsec),
        }
    }
}

/// Resolves every trust and evaluation option into library settings, before any token is read, so a bad flag
/// never yields a partial report.
pub(super) fn settings(trust: &TrustArgs, eval: &EvalArgs) -> anyhow::Result<Settings> {
    let at_issue_instant = eval.at.as_deref() == Some(fedcheck::harness::plan::ISSUE_INSTANT);
    let at = if at_issue_instant {
        chrono::Utc::now()
    } else {
        parse_at(eval.at.as_deref())?
    };
    let skew = parse_skew(&eval.skew)?;
    let engines = eval.engines.engines();
    let (mut anchors, metadata) = trust.resolve()?;
    let federation = trust.federation(&mut anchors)?;
    let tenant_domain = eval.tenant_domain()?;
    Ok(Settings {
        federation,
        tenant_domain,
        stand_in: eval.stand_in()?,
        anchors,
        metadata,
        expect_issuer: trust.expect_issuer.clone(),
        at,
        at_issue_instant,
        skew,
        engines,
        xml_limits: eval.xml_limits(),
    })
}

/// The end-to-end chain: Entra's own access token for the same sign-in (check and bundle).
#[derive(Args, Debug, Clone)]
pub(super) struct ChainArgs {
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
        let chain = fedcheck::entra::chain::link(&rep.idp_tokens(), &judged, settings.skew);
        rep.attach_chain(chain);
        Ok(())
    }
}

/// Which findings make the exit code 1 (check, bundle, test).
#[derive(Args, Debug, Clone)]
pub(super) struct PolicyArgs {
    /// Exit 1 on any failed check (fail, the default) or also on any warning (warn): the strict form for CI jobs
    /// and exception requests. The report's verdict is unchanged.
    #[arg(long, value_enum, default_value = "fail", value_name = "LEVEL")]
    pub(super) fail_on: FailOn,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(super) enum FailOn {
    /// Exit 1 when a check fails.
    Fail,
    /// Exit 1 when a check fails or warns.
    Warn,
}

/// `--format` of the subcommands that print a report.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(super) enum OutputFormat {
    Text,
    Json,
}

/// Writes `bytes` to stdout. A reader that went away (`| head`) is not an error; any other failure is, naming
/// `what` was being written.
pub(super) fn write_stdout(bytes: &[u8], what: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(anyhow!("cannot write the {what}: {e}")),
        _ => Ok(()),
    }
}

/// An `--at`-style instant: RFC 3339, or now when absent.
pub(super) fn parse_at(value: Option<&str>) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
    value.map_or_else(|| Ok(chrono::Utc::now()), |s| parse_instant("--at", s))
}

/// An RFC 3339 instant given to `flag`, in UTC.
pub(super) fn parse_instant(flag: &str, s: &str) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&chrono::Utc))
        .map_err(|e| anyhow!("{flag}: \"{s}\" is not an RFC 3339 time ({e}); e.g. 2026-01-15T10:05:00Z"))
}

/// Why a byte size was refused; the caller names its flag in the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SizeError {
    /// Not a number with an optional suffix.
    NotASize,
    /// More bytes than a u64 holds.
    TooLarge,
}

/// A byte size with an optional k, M or G suffix (binary multiples).
pub(super) fn parse_size(s: &str) -> Result<u64, SizeError> {
    let t = s.trim();
    let (num, mult) = match t.chars().last() {
        Some('k' | 'K') => (&t[..t.len() - 1], 1024),
        Some('m' | 'M') => (&t[..t.len() - 1], 1024 * 1024),
        Some('g' | 'G') => (&t[..t.len() - 1], 1024 * 1024 * 1024),
        _ => (t, 1),
    };
    let n: u64 = num.trim().parse().map_err(|_| SizeError::NotASize)?;
    n.checked_mul(mult).ok_or(SizeError::TooLarge)
}

/// `--skew`: whole seconds, minutes or hours (`300s`, `5m`, `1h`, bare seconds), at most a day.
pub(super) fn parse_skew(s: &str) -> anyhow::Result<chrono::Duration> {
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

/// `--stand-in URL` and `--stand-in-realm URI` (check, bundle and test alike).
pub(super) fn stand_in(url: Option<&str>, realm: Option<&str>) -> anyhow::Result<Option<fedcheck::rules::StandIn>> {
    use fedcheck::rules::{StandIn, StandInProblem};
    let Some(url) = url else { return Ok(None) };
    StandIn::at(url, realm).map(Some).map_err(|p| match p {
        StandInProblem::NotHttp(_) => anyhow!("--stand-in: {p}"),
        StandInProblem::EmptyRealm => anyhow!("--stand-in-realm: {p}"),
    })
}
