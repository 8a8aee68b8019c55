//! Test plans (`fedcheck test plan.toml`): a team's own regression suite for its IdP's tokens.
//!
//! A plan is a TOML file that names the trust anchors (`[trust]`), the evaluation settings (`[settings]`) and a
//! list of cases (`[[case]]`), each an input (a token file, a HAR capture, a form body, ...) with its expected
//! verdict, where the MFA evidence must be, and optionally the claim values and check statuses expected. Relative
//! paths resolve from the plan's folder, so a plan and its captures can live together in a repository.
//!
//! ```toml
//! name = "contoso AD FS"
//! [trust]
//! idp_cert = ["keys/adfs-signing.crt"]           # or metadata = "FederationMetadata.xml" (file or https URL)
//! expect_issuer = "http://sts.contoso.com/adfs/services/trust"
//! [settings]
//! at = "2026-01-15T10:05:00Z"                     # optional: default now
//! [[case]]
//! name = "WS-Fed: MFA in AuthenticationMethod"
//! input = "captures/wsfed-mfa.xml"
//! verdict = "pass"
//! mfa = "Assertion/AuthenticationStatement/@AuthenticationMethod"
//! claims = { UPN = "alice@contoso.com" }
//! checks = { "signature.algorithm" = "pass" }
//! ```
//!
//! [`run`] judges every case with the same pipeline as `fedcheck check` ([`crate::report::run`]) and compares;
//! [`CaseResult::problems`] lists every difference in words. [`PlanResult::text`] is the terminal summary and
//! [`PlanResult::junit`] the JUnit XML for CI systems (one test case per plan case).

use crate::entra::FederationSettings;
use crate::http::HttpPolicy;
use crate::input::{self, InputFormat, InputLimits};
use crate::report::{self, Report, Settings, TokenReport, Verdict};
use crate::rules::{self, Status};
use crate::saml::metadata::{load_metadata, Metadata, MetadataError};
use crate::saml::Claims;
use crate::saml::Engines;
use crate::trust::{self, TrustAnchor};
use crate::xml::Limits;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The largest plan file read.
pub const MAX_PLAN_BYTES: u64 = 1024 * 1024;

/// Why a plan cannot be run (the CLI's exit 2).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// The plan file could not be read.
    #[error("{path}: cannot read: {error}")]
    Read {
        /// The plan.
        path: String,
        /// Why.
        error: std::io::Error,
    },
    /// The plan is not valid TOML or has unknown or mistyped fields.
    #[error("{path}: {message}")]
    Syntax {
        /// The plan.
        path: String,
        /// The parser's message (with line and column).
        message: String,
    },
    /// A value in the plan is unusable.
    #[error("{path}: {message}")]
    Invalid {
        /// The plan.
        path: String,
        /// What is wrong, naming the field.
        message: String,
    },
    /// A trust anchor or the metadata could not be loaded.
    #[error("{path}: {field}: {error}")]
    Trust {
        /// The plan.
        path: String,
        /// The field (`trust.idp_cert`, `trust.metadata`, ...).
        field: &'static str,
        /// Why.
        error: MetadataError,
    },
}

/// A test plan as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// The suite's name (default: the plan's file stem).
    pub name: Option<String>,
    /// Trust anchors and expected issuer.
    #[serde(default)]
    pub trust: PlanTrust,
    /// Evaluation settings.
    #[serde(default)]
    pub settings: PlanSettings,
    /// The cases, in order.
    #[serde(rename = "case", default)]
    pub cases: Vec<Case>,
}

/// `[trust]`: the same as `check`'s `--idp-cert`, `--metadata`, `--metadata-cert`, `--expect-issuer`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanTrust {
    /// Trusted signing certificates (PEM, DER or bare base64).
    #[serde(default)]
    pub idp_cert: Vec<String>,
    /// IdP metadata, a file or an https URL.
    pub metadata: Option<String>,
    /// Certificates the metadata must be signed with.
    #[serde(default)]
    pub metadata_cert: Vec<String>,
    /// The issuer tokens must carry.
    pub expect_issuer: Option<String>,
    /// The domain's Entra federation settings (Graph or MSOnline JSON), like `--federation-config`.
    pub federation_config: Option<String>,
}

/// `[settings]`: the same as `check`'s `--at`, `--skew`, `--engines`, `--tenant-domain`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanSettings {
    /// RFC 3339 evaluation time, or `issue-instant` (each token at its own IssueInstant); default: now.
    pub at: Option<String>,
    /// Allowed clock skew, e.g. `5m` (default `5m`).
    pub skew: Option<String>,
    /// `both` (default), `fedcheck` or `xmlsec`.
    pub engines: Option<String>,
    /// The federated domain users belong to, like `--tenant-domain`.
    pub tenant_domain: Option<String>,
    /// The local stand-in's ACS URL, like `--stand-in`: captures made through `fedcheck serve` are judged as
    /// addressed to it.
    pub stand_in: Option<String>,
    /// The realm the stand-in sent (serve's `--realm`), like `--stand-in-realm`; default Entra's.
    pub stand_in_realm: Option<String>,
}

/// One case.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// The case's name (default: its input).
    pub name: Option<String>,
    /// The input: any file `check` reads.
    pub input: String,
    /// Force the input format (`xml`, `base64`, `form`, `har`, `saml-tracer`); default detected.
    pub input_format: Option<String>,
    /// This case's evaluation time (RFC 3339, or `issue-instant`), instead of `[settings] at`: each capture can be
    /// judged as of the moment it was made.
    pub at: Option<String>,
    /// The expected verdict: `pass`, `fail` or `error`.
    pub verdict: String,
    /// Where the MFA evidence must be (the location part of `mfa.evidence`, e.g.
    /// `Assertion/AuthnStatement/AuthnContext/AuthnContextClassRef`), or `none` for no MFA.
    pub mfa: Option<String>,
    /// Expected signed claim values: `issuer`, `name_id`, `name_id_format`, `audience`, `authn_method`, or an
    /// attribute name (`IDPEmail`, `UPN`, or `namespace/name`); a string or a list (each value must be present).
    #[serde(default)]
    pub claims: BTreeMap<String, OneOrMany>,
    /// Expected check statuses, e.g. `"signature.algorithm" = "warn"`.
    #[serde(default)]
    pub checks: BTreeMap<String, String>,
}

/// A string or a list of strings.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    /// One value.
    One(String),
    /// Several values.
    Many(Vec<String>),
}

impl OneOrMany {
    fn values(&self) -> Vec<&str> {
        match self {
            OneOrMany::One(s) => vec![s.as_str()],
            OneOrMany::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// A plan read from a file, with the folder its relative paths resolve from.
#[derive(Debug, Clone)]
pub struct LoadedPlan {
    /// The plan file as named.
    pub path: String,
    /// The folder relative paths resolve from.
    pub base: PathBuf,
    /// The plan.
    pub plan: Plan,
}

/// Reads and validates a plan file.
pub fn load(path: &str) -> Result<LoadedPlan, PlanError> {
    let read_err = |error| PlanError::Read {
        path: path.to_string(),
        error,
    };
    // Read through the cap, not only by the size the file system reports: a pipe or a device reports none.
    let bytes = match crate::http::read_file_within(path, MAX_PLAN_BYTES) {
        Ok(b) => b,
        Err(crate::http::CappedReadError::TooLarge { limit }) => {
            return Err(PlanError::Invalid {
                path: path.into(),
                message: format!(
                    "larger than the {} limit for a test plan; not a fedcheck test plan",
                    crate::http::size_text(limit)
                ),
            })
        }
        Err(crate::http::CappedReadError::Io(e)) => return Err(read_err(e)),
    };
    let text = String::from_utf8(bytes).map_err(|_| PlanError::Invalid {
        path: path.into(),
        message: "the plan is not UTF-8".into(),
    })?;
    let plan = parse(path, &text)?;
    let base = Path::new(path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    Ok(LoadedPlan {
        path: path.to_string(),
        base,
        plan,
    })
}

/// A TOML error on one line: `line L, column C: message` (the parser's own rendering spans several lines, with the
/// offending line quoted and a caret under it).
fn toml_message(text: &str, e: &toml::de::Error) -> String {
    let message = e
        .message()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    match e.span().and_then(|span| text.get(..span.start)) {
        Some(before) => {
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().unwrap_or_default().chars().count() + 1;
            format!("line {line}, column {column}: {message}")
        }
        None => message,
    }
}

/// Parses plan text (`path` names it in errors) and validates its values.
pub fn parse(path: &str, text: &str) -> Result<Plan, PlanError> {
    let plan: Plan = toml::from_str(text).map_err(|e| PlanError::Syntax {
        path: path.into(),
        message: toml_message(text, &e),
    })?;
    let invalid = |message: String| PlanError::Invalid {
        path: path.into(),
        message,
    };
    if plan.cases.is_empty() {
        return Err(invalid("the plan has no [[case]]".into()));
    }
    for (i, c) in plan.cases.iter().enumerate() {
        let label = format!("case {} ({})", i + 1, c.name.as_deref().unwrap_or(&c.input));
        if parse_verdict(&c.verdict).is_none() {
            return Err(invalid(format!(
                "{label}: verdict \"{}\" is not pass, fail or error",
                c.verdict
            )));
        }
        if let Some(a) = &c.at {
            evaluation_time(a).map_err(|e| invalid(format!("{label}: at: {e}")))?;
        }
        if let Some(f) = &c.input_format {
            parse_format(f).ok_or_else(|| {
                invalid(format!(
                    "{label}: input_format \"{f}\" is not auto, xml, base64, form, har, saml-tracer or html-form"
                ))
            })?;
        }
        for (id, st) in &c.checks {
            if parse_status(st).is_none() {
                return Err(invalid(format!(
                    "{label}: checks.\"{id}\" = \"{st}\" is not pass, info, warn or fail"
                )));
            }
        }
    }
    Ok(plan)
}

/// An `at` value: `Some(instant)`, or `None` for `issue-instant`.
fn evaluation_time(value: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>, String> {
    if value == ISSUE_INSTANT {
        return Ok(None);
    }
    chrono::DateTime::parse_from_rfc3339(value)
        .map(|d| Some(d.with_timezone(&chrono::Utc)))
        .map_err(|e| format!("\"{value}\" is not an RFC 3339 time or {ISSUE_INSTANT} ({e})"))
}

/// The `at` value that judges each token at its own IssueInstant.
pub const ISSUE_INSTANT: &str = "issue-instant";

/// `settings` with a case's own `at`, when it has one.
fn settings_for(c: &Case, settings: &Settings) -> Settings {
    let mut s = settings.clone();
    if let Some(a) = &c.at {
        match evaluation_time(a) {
            Ok(Some(at)) => {
                s.at = at;
                s.at_issue_instant = false;
            }
            Ok(None) => s.at_issue_instant = true,
            Err(_) => {} // refused when the plan was parsed
        }
    }
    s
}

fn parse_verdict(s: &str) -> Option<Verdict> {
    match s {
        "pass" => Some(Verdict::Pass),
        "fail" => Some(Verdict::Fail),
        "error" => Some(Verdict::Error),
        _ => None,
    }
}

fn parse_status(s: &str) -> Option<Status> {
    match s {
        "pass" => Some(Status::Pass),
        "info" => Some(Status::Info),
        "warn" => Some(Status::Warn),
        "fail" => Some(Status::Fail),
        _ => None,
    }
}

fn parse_format(s: &str) -> Option<InputFormat> {
    Some(match s {
        "auto" => InputFormat::Auto,
        "xml" => InputFormat::Xml,
        "base64" => InputFormat::Base64,
        "form" => InputFormat::Form,
        "har" => InputFormat::Har,
        "saml-tracer" => InputFormat::SamlTracer,
        "html-form" => InputFormat::HtmlForm,
        _ => return None,
    })
}

/// Resolves a path from the plan: absolute paths and URLs as they are, relative ones from the plan's folder.
fn resolve(base: &Path, p: &str) -> String {
    if p.starts_with("https://") || p.starts_with("http://") || Path::new(p).is_absolute() {
        p.to_string()
    } else {
        base.join(p).to_string_lossy().into_owned()
    }
}

fn parse_skew(s: &str) -> Option<chrono::Duration> {
    let t = s.trim();
    let (num, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: i64 = num.parse().ok()?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n.checked_mul(60)?,
        "h" => n.checked_mul(3600)?,
        _ => return None,
    };
    (secs <= 86_400).then(|| chrono::Duration::seconds(secs))
}

impl LoadedPlan {
    /// The suite's name.
    pub fn name(&self) -> String {
        self.plan.name.clone().unwrap_or_else(|| {
            Path::new(&self.path)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "plan".into())
        })
    }

    /// Resolves `[trust]` and `[settings]` into run settings (loading certificates, fetching metadata).
    pub fn settings(&self) -> Result<Settings, PlanError> {
        let invalid = |message: String| PlanError::Invalid {
            path: self.path.clone(),
            message,
        };
        let s = &self.plan.settings;
        let at = match &s.at {
            Some(a) => evaluation_time(a).map_err(|e| invalid(format!("settings.at: {e}")))?,
            None => Some(chrono::Utc::now()),
        };
        let at_issue_instant = at.is_none();
        let at = at.unwrap_or_else(chrono::Utc::now);
        let skew = match &s.skew {
            Some(k) => parse_skew(k).ok_or_else(|| {
                invalid(format!(
                    "settings.skew: \"{k}\" is not a duration of at most a day (e.g. 5m)"
                ))
            })?,
            None => chrono::Duration::minutes(5),
        };
        let engines = s.engines.as_deref().unwrap_or("both");
        let engines = engines_named(engines).ok_or_else(|| {
            invalid(format!(
                "settings.engines: \"{engines}\" is not both, fedcheck or xmlsec"
            ))
        })?;
        let t = &self.plan.trust;
        let ResolvedTrust {
            anchors,
            metadata,
            federation,
        } = self.trust()?;
        Ok(Settings {
            anchors,
            metadata,
            expect_issuer: t.expect_issuer.clone(),
            at,
            at_issue_instant,
            skew,
            engines,
            xml_limits: Limits::default(),
            federation,
            tenant_domain: s
                .tenant_domain
                .as_ref()
                .map(|d| d.trim().trim_end_matches('.').to_ascii_lowercase()),
            stand_in: self.stand_in()?,
        })
    }

    /// `[settings] stand_in` and `stand_in_realm`.
    fn stand_in(&self) -> Result<Option<rules::StandIn>, PlanError> {
        let s = &self.plan.settings;
        let Some(url) = &s.stand_in else {
            return match s.stand_in_realm {
                Some(_) => Err(PlanError::Invalid {
                    path: self.path.clone(),
                    message: "settings.stand_in_realm needs settings.stand_in".into(),
                }),
                None => Ok(None),
            };
        };
        rules::StandIn::at(url, s.stand_in_realm.as_deref())
            .map(Some)
            .map_err(|p| PlanError::Invalid {
                path: self.path.clone(),
                message: match p {
                    rules::StandInProblem::NotHttp(_) => format!("settings.stand_in: {p}"),
                    rules::StandInProblem::EmptyRealm => format!("settings.stand_in_realm: {p}"),
                },
            })
    }

    /// Resolves `[trust]`: the IdP certificates, the metadata (verified with `metadata_cert` when given) and the
    /// federation settings, with the trust anchors they bring, each certificate once.
    fn trust(&self) -> Result<ResolvedTrust, PlanError> {
        let trust_err = |field, error| PlanError::Trust {
            path: self.path.clone(),
            field,
            error,
        };
        let t = &self.plan.trust;
        let mut anchors: Vec<TrustAnchor> = Vec::new();
        for c in &t.idp_cert {
            let a =
                trust::load_cert_file(&resolve(&self.base, c)).map_err(|e| trust_err("trust.idp_cert", e.into()))?;
            if !anchors.iter().any(|x| x.der == a.der) {
                anchors.push(a);
            }
        }
        let mut metadata_certs = Vec::new();
        for c in &t.metadata_cert {
            metadata_certs.push(
                trust::load_cert_file(&resolve(&self.base, c))
                    .map_err(|e| trust_err("trust.metadata_cert", e.into()))?,
            );
        }
        let metadata = match &t.metadata {
            Some(m) => {
                let md = load_metadata(&resolve(&self.base, m), &metadata_certs, &HttpPolicy::default())
                    .map_err(|e| trust_err("trust.metadata", e))?;
                for a in &md.anchors {
                    if !anchors.iter().any(|x| x.der == a.der) {
                        anchors.push(a.clone());
                    }
                }
                Some(md)
            }
            None => None,
        };
        let federation = match &t.federation_config {
            Some(f) => {
                let cfg =
                    crate::entra::load_federation_config(&resolve(&self.base, f)).map_err(|e| PlanError::Invalid {
                        path: self.path.clone(),
                        message: format!("trust.federation_config: {e}"),
                    })?;
                crate::entra::add_config_anchors(&cfg, &mut anchors);
                Some(cfg)
            }
            None => None,
        };
        Ok(ResolvedTrust {
            anchors,
            metadata,
            federation,
        })
    }
}

/// A plan's `[trust]`, resolved.
struct ResolvedTrust {
    /// Every trusted certificate, each once.
    anchors: Vec<TrustAnchor>,
    /// The metadata, when `trust.metadata` names it.
    metadata: Option<Metadata>,
    /// The federation settings, when `trust.federation_config` names them.
    federation: Option<FederationSettings>,
}

/// The signature engines a plan's `settings.engines` names: `both`, `fedcheck` or `xmlsec`.
fn engines_named(name: &str) -> Option<Engines> {
    let (fedcheck, xmlsec) = match name {
        "both" => (true, true),
        "fedcheck" => (true, false),
        "xmlsec" => (false, true),
        _ => return None,
    };
    Some(Engines { fedcheck, xmlsec })
}

/// One case's outcome.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// The case's name.
    pub name: String,
    /// The input as written in the plan.
    pub input: String,
    /// The expected verdict.
    pub expected: String,
    /// The verdict reached.
    pub verdict: Verdict,
    /// Every difference from the expectation, in words; empty when the result is as expected.
    pub problems: Vec<String>,
    /// One line per token: verdict and the checks that did not pass.
    pub details: Vec<String>,
    /// Every warning (`token N check.id`), for `--fail-on warn`.
    pub warnings: Vec<String>,
    /// Time taken.
    pub duration: Duration,
}

impl CaseResult {
    /// The result is as expected.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// A plan's outcome.
#[derive(Debug, Clone)]
pub struct PlanResult {
    /// The suite's name.
    pub name: String,
    /// The plan file as named.
    pub path: String,
    /// The evaluation time, RFC 3339.
    pub evaluated_at: String,
    /// The cases, in plan order.
    pub cases: Vec<CaseResult>,
    /// Time taken.
    pub duration: Duration,
}

impl PlanResult {
    /// Cases whose result was not the expected one.
    pub fn unexpected(&self) -> usize {
        self.cases.iter().filter(|c| !c.ok()).count()
    }

    /// Every warning of every case (`case: token N check.id`), for `--fail-on warn`.
    pub fn warnings(&self) -> Vec<String> {
        self.cases
            .iter()
            .flat_map(|c| c.warnings.iter().map(move |w| format!("{}: {w}", c.name)))
            .collect()
    }
}

/// Runs every case of a plan with `settings`.
pub fn run(lp: &LoadedPlan, settings: &Settings) -> PlanResult {
    let started = Instant::now();
    let cases = lp.plan.cases.iter().map(|c| run_case(lp, c, settings)).collect();
    PlanResult {
        name: lp.name(),
        path: lp.path.clone(),
        evaluated_at: settings.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        cases,
        duration: started.elapsed(),
    }
}

fn run_case(lp: &LoadedPlan, c: &Case, settings: &Settings) -> CaseResult {
    let started = Instant::now();
    let format = c
        .input_format
        .as_deref()
        .and_then(parse_format)
        .unwrap_or(InputFormat::Auto);
    let mut tokens = Vec::new();
    let mut errors = Vec::new();
    for loaded in input::load(&resolve(&lp.base, &c.input), format, &InputLimits::default()) {
        match loaded.result {
            Ok(t) => tokens.extend(t),
            Err(e) => errors.push(e),
        }
    }
    let rep = report::run(tokens, errors, &settings_for(c, settings));
    let problems = compare(c, &rep);
    let mut details = Vec::new();
    for (i, t) in rep.tokens.iter().enumerate() {
        let notable: Vec<String> = t
            .checks
            .iter()
            .filter(|k| k.status >= Status::Warn)
            .map(|k| format!("{} {}", k.status.as_str(), k.id))
            .collect();
        details.push(format!(
            "token {}: {}{}{}",
            i + 1,
            t.verdict.as_str(),
            if notable.is_empty() { "" } else { "; " },
            notable.join(", ")
        ));
    }
    for e in &rep.errors {
        details.push(format!("input error: {}", e.message));
    }
    let warnings = rep.warnings();
    CaseResult {
        warnings,
        name: c.name.clone().unwrap_or_else(|| c.input.clone()),
        input: c.input.clone(),
        expected: c.verdict.clone(),
        verdict: rep.verdict,
        problems,
        details,
        duration: started.elapsed(),
    }
}

/// Every way the report differs from the case's expectations.
fn compare(c: &Case, rep: &Report) -> Vec<String> {
    let mut out: Vec<String> = verdict_difference(c, rep).into_iter().collect();
    if rep.tokens.is_empty() && (c.mfa.is_some() || !c.claims.is_empty() || !c.checks.is_empty()) {
        out.push("no token found, so the MFA, claim and check expectations cannot hold".into());
        return out;
    }
    for (i, t) in rep.tokens.iter().enumerate() {
        let which = if rep.tokens.len() > 1 {
            format!("token {}: ", i + 1)
        } else {
            String::new()
        };
        if let Some(loc) = &c.mfa {
            out.extend(mfa_difference(loc, t).map(|d| format!("{which}{d}")));
        }
        if !c.claims.is_empty() {
            out.extend(
                claim_differences(&c.claims, t)
                    .into_iter()
                    .map(|d| format!("{which}{d}")),
            );
        }
        out.extend(
            check_differences(&c.checks, t)
                .into_iter()
                .map(|d| format!("{which}{d}")),
        );
    }
    out
}

/// The expected verdict against the report's, with the first reasons (failed checks, errors) for a difference.
fn verdict_difference(c: &Case, rep: &Report) -> Option<String> {
    let want = parse_verdict(&c.verdict).unwrap_or(Verdict::Error);
    if rep.verdict == want {
        return None;
    }
    let why: Vec<String> = rep
        .tokens
        .iter()
        .flat_map(|t| t.checks.iter().filter(|k| k.status == Status::Fail))
        .map(|k| format!("{}: {}", k.id, k.message))
        .chain(rep.errors.iter().map(|e| e.message.clone()))
        .take(3)
        .collect();
    Some(format!(
        "expected verdict {}, got {}{}{}",
        c.verdict,
        rep.verdict.as_str(),
        if why.is_empty() { "" } else { " (" },
        if why.is_empty() {
            String::new()
        } else {
            why.join("; ") + ")"
        }
    ))
}

/// The expected MFA location (`none` for no MFA) against the token's MFA evidence.
fn mfa_difference(loc: &str, t: &TokenReport) -> Option<String> {
    let locations: Vec<String> = t
        .mfa
        .evidence
        .iter()
        .map(|e| e.split(" = ").next().unwrap_or(e).to_string())
        .collect();
    if loc == "none" {
        return t
            .mfa
            .satisfied
            .then(|| format!("expected no MFA, found it at {}", locations.join(", ")));
    }
    let found = t
        .mfa
        .evidence
        .iter()
        .any(|e| e == loc || e.split(" = ").next() == Some(loc));
    (!t.mfa.satisfied || !found).then(|| format!("expected MFA evidence at {loc}, found {}", found_list(&locations)))
}

/// Each expected claim value the token's signed claims lack.
fn claim_differences(want: &BTreeMap<String, OneOrMany>, t: &TokenReport) -> Vec<String> {
    let Some(claims) = &t.claims else {
        return vec!["expected claims, but no claims are signed by a trusted key".into()];
    };
    let mut out = Vec::new();
    for (key, values) in want {
        let have = claim_values(claims, key);
        for w in values.values() {
            if !have.iter().any(|h| h == w) {
                out.push(format!("expected claim {key} = {w}, found {}", found_list(&have)));
            }
        }
    }
    out
}

/// The values of a claim a plan names: `issuer`, `name_id`, `name_id_format`, `audience`, `authn_method`, or an
/// attribute by its name or its namespace-qualified name.
fn claim_values(claims: &Claims, key: &str) -> Vec<String> {
    match key {
        "issuer" => claims.issuer.iter().cloned().collect(),
        "name_id" => claims.name_id.iter().map(|n| n.value.clone()).collect(),
        "name_id_format" => claims.name_id.iter().filter_map(|n| n.format.clone()).collect(),
        "audience" => claims.audiences.clone(),
        "authn_method" => claims.authn_methods.clone(),
        name => claims
            .attributes
            .iter()
            .filter(|a| {
                a.name == name
                    || a.namespace
                        .as_deref()
                        .is_some_and(|ns| format!("{}/{}", ns.trim_end_matches('/'), a.name) == name)
            })
            .flat_map(|a| a.values.iter().cloned())
            .collect(),
    }
}

/// Each expected check status the token's checks do not have.
fn check_differences(want: &BTreeMap<String, String>, t: &TokenReport) -> Vec<String> {
    let mut out = Vec::new();
    for (id, want) in want {
        match t.checks.iter().find(|k| k.id == id.as_str()) {
            None => out.push(format!("expected check {id} = {want}, but it was not reported")),
            Some(k) if k.status.as_str() != want.as_str() => out.push(format!(
                "expected check {id} = {want}, got {} ({})",
                k.status.as_str(),
                k.message
            )),
            Some(_) => {}
        }
    }
    out
}

/// What was found, for a message: the values joined, or `none`.
fn found_list(found: &[String]) -> String {
    if found.is_empty() {
        "none".to_string()
    } else {
        found.join(", ")
    }
}

impl PlanResult {
    /// The terminal summary.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "fedcheck test: {} ({}), {} case(s), evaluated at {}",
            self.name,
            self.path,
            self.cases.len(),
            self.evaluated_at
        );
        for c in &self.cases {
            let _ = writeln!(
                out,
                "  {}  {}  [expected {}, got {}]",
                if c.ok() { "ok  " } else { "FAIL" },
                c.name,
                c.expected,
                c.verdict.as_str()
            );
            for p in &c.problems {
                let _ = writeln!(out, "          {p}");
            }
        }
        let _ = writeln!(
            out,
            "Summary: {} case(s): {} as expected, {} unexpected.",
            self.cases.len(),
            self.cases.len() - self.unexpected(),
            self.unexpected()
        );
        out
    }

    /// JUnit XML: one `<testsuite>` for the plan, one `<testcase>` per case, a `<failure>` for each unexpected
    /// result listing every difference.
    pub fn junit(&self) -> String {
        let x = crate::report::escape::xml;
        let secs = |d: Duration| format!("{:.3}", d.as_secs_f64());
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            out,
            "<testsuites name=\"fedcheck\" tests=\"{}\" failures=\"{}\" errors=\"0\" time=\"{}\">",
            self.cases.len(),
            self.unexpected(),
            secs(self.duration)
        );
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\" time=\"{}\">",
            x(&self.name),
            self.cases.len(),
            self.unexpected(),
            secs(self.duration)
        );
        let _ = writeln!(out, "    <properties>");
        let _ = writeln!(out, "      <property name=\"plan\" value=\"{}\"/>", x(&self.path));
        let _ = writeln!(
            out,
            "      <property name=\"evaluated_at\" value=\"{}\"/>",
            x(&self.evaluated_at)
        );
        let _ = writeln!(out, "    </properties>");
        for c in &self.cases {
            let _ = write!(
                out,
                "    <testcase classname=\"fedcheck.{}\" name=\"{}\" file=\"{}\" time=\"{}\"",
                x(&self.name),
                x(&c.name),
                x(&c.input),
                secs(c.duration)
            );
            if c.ok() && c.details.is_empty() {
                out.push_str("/>\n");
                continue;
            }
            out.push_str(">\n");
            if !c.ok() {
                let _ = writeln!(
                    out,
                    "      <failure message=\"{}\" type=\"unexpected-result\">{}</failure>",
                    x(&c.problems[0]),
                    x(&c.problems.join("\n"))
                );
            }
            if !c.details.is_empty() {
                let _ = writeln!(out, "      <system-out>{}</system-out>", x(&c.details.join("\n")));
            }
            let _ = writeln!(out, "    </testcase>");
        }
        out.push_str("  </testsuite>\n</testsuites>\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_unknown_fields_bad_verdicts_and_empty_plans() {
        let e = parse("p.toml", "[[case]]\ninput = \"x\"\nverdict = \"pass\"\nverdikt = 1\n").unwrap_err();
        assert!(e.to_string().contains("verdikt"), "{e}");
        let e = parse("p.toml", "[[case]]\ninput = \"x\"\nverdict = \"passed\"\n").unwrap_err();
        assert!(e.to_string().contains("is not pass, fail or error"), "{e}");
        let e = parse("p.toml", "name = \"x\"\n").unwrap_err();
        assert!(e.to_string().contains("no [[case]]"), "{e}");
        let e = parse(
            "p.toml",
            "[[case]]\ninput = \"x\"\nverdict = \"pass\"\nchecks = { audience = \"ok\" }\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("checks.\"audience\""), "{e}");
        // A TOML syntax error is one line with its position, not the parser's caret drawing.
        let e = parse("p.toml", "name = \"x\"\n[trust\n").unwrap_err().to_string();
        assert!(e.starts_with("p.toml: line 2, column 7: "), "{e}");
        assert!(!e.contains('\n') && !e.contains('^'), "{e}");
    }

    #[test]
    fn a_case_may_name_every_input_format_check_reads() {
        for f in ["auto", "xml", "base64", "form", "har", "saml-tracer", "html-form"] {
            let text = format!("[[case]]\ninput = \"x\"\nverdict = \"pass\"\ninput_format = \"{f}\"\n");
            assert!(parse("p.toml", &text).is_ok(), "{f}");
        }
        let e = parse(
            "p.toml",
            "[[case]]\ninput = \"x\"\nverdict = \"pass\"\ninput_format = \"pdf\"\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("html-form"), "{e}");
    }

    #[test]
    fn claims_take_a_string_or_a_list() {
        let p = parse(
            "p.toml",
            "[[case]]\ninput = \"x\"\nverdict = \"pass\"\nclaims = { UPN = \"a@b\", audience = [\"u\", \"v\"] }\n",
        )
        .unwrap();
        assert_eq!(p.cases[0].claims["UPN"].values(), vec!["a@b"]);
        assert_eq!(p.cases[0].claims["audience"].values(), vec!["u", "v"]);
    }

    #[test]
    fn relative_paths_resolve_from_the_plan_folder() {
        assert_eq!(resolve(Path::new("plans"), "../keys/a.crt"), "plans/../keys/a.crt");
        assert_eq!(resolve(Path::new("plans"), "/abs/a.crt"), "/abs/a.crt");
        assert_eq!(resolve(Path::new("plans"), "https://x/m.xml"), "https://x/m.xml");
    }
}
