//! The report: the pipeline's result as one data structure, which every output format renders.
//!
//! [`run`] drives the pipeline for a set of loaded inputs: each raw token is analyzed ([`crate::saml`]), checked
//! ([`crate::rules`], and against the domain's settings by [`crate::entra`]) and summarized into a
//! [`TokenReport`]; unusable inputs become [`InputProblem`]s. The verdict is `pass` only when every token passes,
//! `error` when any input was unusable or the engines disagreed, `fail` otherwise.
//!
//! The formats live beside it: [`json`] (the stable contract), [`text`] (the terminal), [`render`] (Markdown, HTML
//! and JUnit), [`snapshot`] (normalized CI snapshots); [`escape`] is the one escaper per output language and
//! [`redact`] replaces personal values before a report leaves the machine.

pub mod escape;
pub mod json;
pub mod pool;
pub mod redact;
pub mod render;
pub mod snapshot;
pub mod stream;
pub mod text;

pub use crate::rules::Verdict;
pub use json::to_json;
pub use text::{to_text, Style};

use crate::entra::chain::IdpToken;
use crate::input::{InputError, RawToken, Source};
use crate::rules::{self, Check, Context, Mfa, Status};
use crate::saml::metadata::Metadata;
use crate::saml::{self, Claims, EngineResult, Engines, EnvelopeFields, Protocol, SignedBy, Token};
use crate::trust::{CertInfo, TrustAnchor};
use crate::xml::Limits;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde::Serialize;
use std::fmt::Write as _;

/// Everything a run found.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Tool name and version.
    pub tool: Tool,
    /// `pass` | `fail` | `error`.
    pub verdict: Verdict,
    /// The evaluation time (`--at`, or now), RFC 3339.
    pub evaluated_at: String,
    /// Allowed clock skew in seconds.
    pub skew_seconds: i64,
    /// Engines run.
    pub engines: Vec<&'static str>,
    /// Trust configuration.
    pub trust: TrustSummary,
    /// One entry per token found.
    pub tokens: Vec<TokenReport>,
    /// Inputs that yielded no token.
    pub errors: Vec<InputProblem>,
    /// Counts.
    pub summary: Summary,
    /// The end-to-end chain IdP token -> domain setting -> Entra token, when `--entra-token` was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chain: Option<crate::entra::chain::Chain>,
}

/// A token's verdict: error when the engines disagree, pass only when no check fails and signed claims carry MFA.
fn verdict_of(disagreement: bool, checks: &[Check], mfa: bool, signed_claims: bool) -> Verdict {
    if disagreement {
        Verdict::Error
    } else if rules::worst(checks) == Status::Fail || !mfa || !signed_claims {
        Verdict::Fail
    } else {
        Verdict::Pass
    }
}

/// Counts the token verdicts and the unusable inputs, and derives the run's verdict (error when any input or token
/// is unusable).
fn summarize(tokens: &[TokenReport], input_errors: usize) -> (Summary, Verdict) {
    let mut summary = Summary {
        tokens: tokens.len(),
        unusable_inputs: input_errors,
        ..Summary::default()
    };
    for t in tokens {
        match t.verdict {
            Verdict::Pass => summary.pass += 1,
            Verdict::Fail => summary.fail += 1,
            Verdict::Error => summary.error += 1,
        }
    }
    let verdict = summary.verdict();
    (summary, verdict)
}

impl TokenReport {
    /// Ids of the checks that failed.
    pub fn failed_checks(&self) -> Vec<&'static str> {
        self.checks
            .iter()
            .filter(|c| c.status == Status::Fail)
            .map(|c| c.id)
            .collect()
    }
}

impl Report {
    /// Every warning of the run, as `token N check.id` (what `--fail-on warn` names).
    pub fn warnings(&self) -> Vec<String> {
        self.tokens
            .iter()
            .enumerate()
            .flat_map(|(i, t)| {
                t.checks
                    .iter()
                    .filter(|c| c.status == Status::Warn)
                    .map(move |c| format!("token {} {}", i + 1, c.id))
            })
            .collect()
    }

    /// Recomputes every token's verdict and the summary after checks were added or changed (as `serve` does with
    /// its relying-party checks). Tokens already judged `error` stay so.
    pub fn rejudge(&mut self) {
        for t in &mut self.tokens {
            if t.error.is_none() && t.verdict != Verdict::Error {
                t.verdict = verdict_of(false, &t.checks, t.mfa.satisfied, t.claims.is_some());
            }
        }
        let (summary, verdict) = summarize(&self.tokens, self.errors.len());
        self.summary = summary;
        self.verdict = verdict;
    }

    /// Whether the verification engines disagree about any token's signature (the verdict is then `error`; the
    /// command line exits 3).
    pub fn engines_disagree(&self) -> bool {
        self.tokens
            .iter()
            .flat_map(|t| &t.signature.signatures)
            .any(|s| s.disagreement.is_some())
    }

    /// Adds the end-to-end chain; a failing chain makes a passing verdict fail.
    pub fn attach_chain(&mut self, chain: crate::entra::chain::Chain) {
        if chain.verdict != Verdict::Pass && self.verdict == Verdict::Pass {
            self.verdict = Verdict::Fail;
        }
        self.chain = Some(chain);
    }
}

/// Tool identity.
#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    /// `fedcheck`.
    pub name: &'static str,
    /// Crate version.
    pub version: &'static str,
}

/// Counts by verdict: `tokens = pass + fail + error`; the inputs that yielded no token are counted apart.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Tokens judged.
    pub tokens: usize,
    /// Tokens that passed.
    pub pass: usize,
    /// Tokens that failed.
    pub fail: usize,
    /// Tokens whose verdict is `error` (not analyzable, or the engines disagree).
    pub error: usize,
    /// Inputs that yielded no token (could not be read or decoded): the entries of `errors[]`.
    pub unusable_inputs: usize,
}

impl Summary {
    /// The run's verdict from the counts: `error` when any token or input was unusable (or there was no token at
    /// all), `fail` when any token failed, else `pass`.
    pub fn verdict(&self) -> Verdict {
        if self.error > 0 || self.unusable_inputs > 0 || self.tokens == 0 {
            Verdict::Error
        } else if self.fail > 0 {
            Verdict::Fail
        } else {
            Verdict::Pass
        }
    }

    /// The counts as every output says them: `4 token(s): 3 pass, 1 fail, 0 error`, followed by
    /// `; 1 unusable input` only when an input yielded no token.
    pub fn counts(&self) -> String {
        let mut s = format!(
            "{} token(s): {} pass, {} fail, {} error",
            self.tokens, self.pass, self.fail, self.error
        );
        match self.unusable_inputs {
            0 => {}
            1 => s.push_str("; 1 unusable input"),
            n => {
                let _ = write!(s, "; {n} unusable inputs");
            }
        }
        s
    }
}

/// The trust anchors and metadata in use.
#[derive(Debug, Clone, Serialize)]
pub struct TrustSummary {
    /// Trusted certificates.
    pub anchors: Vec<AnchorSummary>,
    /// Metadata, when given.
    pub metadata: Option<MetadataSummary>,
    /// The issuer tokens must carry (null when none is known, or when several configured domains each have one).
    pub expected_issuer: Option<String>,
    /// The domains' federation settings (`--federation-config`), when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub federation: Option<FederationSummary>,
}

/// What `--federation-config` held.
#[derive(Debug, Clone, Serialize)]
pub struct FederationSummary {
    /// The file.
    pub source: String,
    /// One entry per domain configuration.
    pub configurations: Vec<ConfigurationSummary>,
}

/// One domain configuration.
#[derive(Debug, Clone, Serialize)]
pub struct ConfigurationSummary {
    /// 1-based position in the file.
    pub index: usize,
    /// The domain, when the export names it.
    pub domain: Option<String>,
    /// The kind of export: `graph`, `graph-powershell`, `entra-powershell`, `msol`.
    pub kind: crate::entra::ConfigFlavor,
    /// `issuerUri`.
    pub issuer_uri: Option<String>,
}

/// One trusted certificate.
#[derive(Debug, Clone, Serialize)]
pub struct AnchorSummary {
    /// Where it came from.
    pub origin: String,
    /// The certificate.
    pub certificate: CertInfo,
}

/// Metadata facts.
#[derive(Debug, Clone, Serialize)]
pub struct MetadataSummary {
    /// File or URL.
    pub source: String,
    /// entityID.
    pub entity_id: Option<String>,
    /// Whether its signature was verified with `--metadata-cert`.
    pub signature_verified: bool,
    /// Sign-in URL found in it.
    pub sign_in_url: Option<String>,
    /// SHA-256 of the metadata bytes, hex.
    pub sha256: String,
}

/// An input that could not be used.
#[derive(Debug, Clone, Serialize)]
pub struct InputProblem {
    /// The input as given.
    pub input: String,
    /// One line: what is wrong.
    pub message: String,
}

/// The signature part of a token report.
#[derive(Debug, Clone, Serialize)]
pub struct SignatureSummary {
    /// The claims were read from bytes covered by a signature that verified with a trusted key (every engine run).
    pub valid: bool,
    /// Which signature covered the claims.
    pub claims_signed_by: Option<SignedBy>,
    /// Engine results for the signature the verdict rests on.
    pub engines: Vec<EngineResult>,
    /// The trusted certificate that verified it.
    pub certificate: Option<CertInfo>,
    /// Every signature in the document.
    pub signatures: Vec<SignatureDetail>,
}

/// One signature in the document.
#[derive(Debug, Clone, Serialize)]
pub struct SignatureDetail {
    /// `Assertion` or `Response`.
    pub signed_element: String,
    /// The signed element's ID.
    pub reference_id: Option<String>,
    /// Combined verdict.
    pub valid: bool,
    /// What it declares (algorithms, reference, KeyInfo certificates).
    pub declared: crate::dsig::Declared,
    /// Engine results.
    pub engines: Vec<EngineResult>,
    /// Origin of the trusted certificate that verified it.
    pub anchor: Option<String>,
    /// Why the verification engines disagree about this signature, when they do (the verdict is then `error`).
    #[serde(skip)]
    pub disagreement: Option<String>,
}

/// One token's findings.
#[derive(Debug, Clone, Serialize)]
pub struct TokenReport {
    /// Where it came from (input, carrier, HAR entry, URL, form field).
    pub source: Source,
    /// `saml2` | `wsfed-saml11` (absent when the document is not a token).
    pub protocol: Option<Protocol>,
    /// The document's root kind.
    pub envelope: Option<saml::Envelope>,
    /// The character encoding the document arrived in (`UTF-8`, `UTF-16LE`, `ISO-8859-1`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// The token's verdict.
    pub verdict: Verdict,
    /// When the token could not be analyzed: why.
    pub error: Option<String>,
    /// Signature results.
    pub signature: SignatureSummary,
    /// MFA finding.
    pub mfa: Mfa,
    /// Signed claims (read from verified canonical bytes); `null` when nothing verified.
    pub claims: Option<Claims>,
    /// Claims read from unverified content, for diagnosis only; present only when `claims` is null.
    pub unverified_claims: Option<Claims>,
    /// Message fields around the assertion.
    pub envelope_fields: Option<EnvelopeFields>,
    /// Every check.
    pub checks: Vec<Check>,
    /// Entra's predicted outcome, when the domain's federation settings were given (`--federation-config`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entra: Option<crate::entra::Prediction>,
    /// The instant this token was judged at, when it is its own IssueInstant (`--at issue-instant`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evaluated_at: Option<String>,
}

/// Settings for a run.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Trust anchors (from `--idp-cert` and metadata).
    pub anchors: Vec<TrustAnchor>,
    /// Metadata, when given.
    pub metadata: Option<Metadata>,
    /// `--expect-issuer`.
    pub expect_issuer: Option<String>,
    /// Evaluation time.
    pub at: DateTime<Utc>,
    /// `--at issue-instant`: judge each token at its own IssueInstant (its signed one, else the unverified one),
    /// so a captured token stays checkable forever; `at` is then used only for tokens without one.
    pub at_issue_instant: bool,
    /// Allowed skew.
    pub skew: Duration,
    /// Engines.
    pub engines: Engines,
    /// XML limits.
    pub xml_limits: Limits,
    /// The domains' federation settings (`--federation-config`), when given.
    pub federation: Option<crate::entra::FederationSettings>,
    /// The federated domain users belong to (`--tenant-domain`), when the settings do not name it.
    pub tenant_domain: Option<String>,
    /// Judging for a local stand-in of Entra's sign-in endpoint (`serve`).
    pub stand_in: Option<rules::StandIn>,
}

// The report as the evidence chain sees it: one view per token with signed claims.
impl Report {
    /// What the evidence chain ([`crate::entra::chain::link`]) reads of each token with signed claims.
    pub fn idp_tokens(&self) -> Vec<IdpToken<'_>> {
        self.tokens
            .iter()
            .enumerate()
            .filter_map(|(i, tk)| {
                Some(IdpToken {
                    index: i + 1,
                    protocol: tk.protocol,
                    claims: tk.claims.as_ref()?,
                    verdict: tk.verdict,
                    failed_checks: tk.failed_checks(),
                    prediction: tk.entra.as_ref(),
                })
            })
            .collect()
    }
}

/// Runs the checks over loaded tokens and input errors.
pub fn run(tokens: Vec<RawToken>, input_errors: Vec<InputError>, s: &Settings) -> Report {
    let judge = Judge::new(s);
    let reports = tokens.into_iter().map(|raw| judge.token(raw)).collect();
    let errors = input_errors.into_iter().map(InputProblem::from).collect();
    assemble(reports, errors, s)
}

/// The report of a run from its token reports and input problems, in input order.
pub fn assemble(reports: Vec<TokenReport>, errors: Vec<InputProblem>, s: &Settings) -> Report {
    let (summary, verdict) = summarize(&reports, errors.len());
    let head = RunHead::of(s);
    Report {
        tool: head.tool,
        verdict,
        evaluated_at: head.evaluated_at,
        skew_seconds: head.skew_seconds,
        engines: head.engines,
        trust: head.trust,
        tokens: reports,
        errors,
        summary,
        chain: None,
    }
}

impl From<InputError> for InputProblem {
    fn from(e: InputError) -> Self {
        InputProblem {
            message: e.kind.to_string(),
            input: e.input,
        }
    }
}

/// What a run says about itself whatever its tokens: the tool, the evaluation time, the engines and the trust in
/// use (the JSON contract's top-level fields other than `tokens`, `errors`, `summary`, `verdict` and `chain`).
#[derive(Debug, Clone, Serialize)]
pub struct RunHead {
    /// Tool name and version.
    pub tool: Tool,
    /// The evaluation time (`--at`, or now), RFC 3339.
    pub evaluated_at: String,
    /// Allowed clock skew in seconds.
    pub skew_seconds: i64,
    /// Engines run.
    pub engines: Vec<&'static str>,
    /// Trust configuration.
    pub trust: TrustSummary,
}

impl RunHead {
    /// The run's head under `s`.
    pub fn of(s: &Settings) -> RunHead {
        let expected = expected_issuers(s);
        let expect_issuer = match expected.as_slice() {
            [one] => Some(one.value.clone()),
            _ => None,
        };
        RunHead {
            tool: Tool {
                name: "fedcheck",
                version: env!("CARGO_PKG_VERSION"),
            },
            evaluated_at: s.at.to_rfc3339_opts(SecondsFormat::Secs, true),
            skew_seconds: s.skew.num_seconds(),
            engines: engine_names(s.engines),
            trust: trust_summary(s, expect_issuer),
        }
    }
}

/// Judges tokens one at a time under one run's settings: what is the same for every token (the expected issuers,
/// the federated domain) is worked out once. It is `Sync`: worker threads share one.
pub struct Judge<'s> {
    settings: &'s Settings,
    ctx: Context<'s>,
}

impl<'s> Judge<'s> {
    /// A judge for the run with settings `s`.
    pub fn new(s: &'s Settings) -> Judge<'s> {
        let ctx = Context {
            anchors: &s.anchors,
            expected_issuers: expected_issuers(s),
            federated_domain: s.tenant_domain.as_ref().map(|d| rules::FederatedDomain {
                name: d.clone(),
                source: "--tenant-domain".into(),
            }),
            at: s.at,
            skew: s.skew,
            stand_in: s.stand_in.as_ref(),
        };
        Judge { settings: s, ctx }
    }

    /// The report of one token.
    pub fn token(&self, raw: RawToken) -> TokenReport {
        judge(raw, self.settings, &self.ctx)
    }
}

/// The issuers a token may carry, each with where it came from: `--expect-issuer`; else every configured domain's
/// `issuerUri`; else the metadata's entityID; else none.
fn expected_issuers(s: &Settings) -> Vec<rules::ExpectedIssuer> {
    let expected = |value: &str, source: String| rules::ExpectedIssuer {
        value: value.to_string(),
        source,
    };
    let federation_issuers: Vec<rules::ExpectedIssuer> = s
        .federation
        .iter()
        .flat_map(|set| set.configs.iter())
        .filter_map(|c| {
            c.issuer_uri
                .as_deref()
                .map(|i| expected(i, format!("the issuerUri of {}", c.label())))
        })
        .collect();
    match (&s.expect_issuer, s.metadata.as_ref().and_then(|m| m.entity_id.clone())) {
        (Some(i), _) => vec![expected(i, "--expect-issuer".to_string())],
        (None, _) if !federation_issuers.is_empty() => federation_issuers,
        (None, Some(e)) => vec![expected(&e, "the metadata entityID".to_string())],
        (None, None) => vec![],
    }
}

/// The engines run, as the JSON contract names them.
fn engine_names(engines: Engines) -> Vec<&'static str> {
    let mut names = Vec::new();
    if engines.fedcheck {
        names.push("fedcheck");
    }
    if engines.xmlsec {
        names.push("libxmlsec1");
    }
    names
}

/// The trust configuration in use: anchors, metadata, the expected issuer, the domains' settings.
fn trust_summary(s: &Settings, expected_issuer: Option<String>) -> TrustSummary {
    TrustSummary {
        anchors: s
            .anchors
            .iter()
            .map(|a| AnchorSummary {
                origin: a.origin.clone(),
                certificate: a.info.clone(),
            })
            .collect(),
        metadata: s.metadata.as_ref().map(|m| MetadataSummary {
            source: m.source_name.clone(),
            entity_id: m.entity_id.clone(),
            signature_verified: m.signature_verified,
            sign_in_url: m.sign_in_url.clone(),
            sha256: sha256_hex(&m.raw),
        }),
        expected_issuer,
        federation: s.federation.as_ref().map(|set| FederationSummary {
            source: set.source.clone(),
            configurations: set
                .configs
                .iter()
                .map(|c| ConfigurationSummary {
                    index: c.index,
                    domain: c.domain.clone(),
                    kind: c.flavor,
                    issuer_uri: c.issuer_uri.clone(),
                })
                .collect(),
        }),
    }
}

fn judge(raw: RawToken, s: &Settings, ctx: &Context) -> TokenReport {
    let t = match saml::analyze(&raw.xml, &s.anchors, s.engines, &s.xml_limits) {
        Ok(t) => t,
        Err(e) => return unanalyzable(raw.source, e.to_string()),
    };
    let signer = Signer::of(&t, &s.anchors);
    // The domain configuration this token is judged against (several domains: by issuer, then certificate).
    let selection = s.federation.as_ref().map(|set| (set, signer.select(set)));
    let mut token_ctx = ctx.clone();
    let own_instant = if s.at_issue_instant { issue_instant(&t) } else { None };
    if let Some(at) = own_instant {
        token_ctx.at = at;
    }
    if let Some(d) = selection.as_ref().and_then(|(_, sel)| sel.config.domain.clone()) {
        token_ctx.federated_domain = Some(rules::FederatedDomain {
            name: d,
            source: "the domain of the federation settings used".into(),
        });
    }
    let (mut checks, mfa) = rules::evaluate(&t, &token_ctx);
    let entra = selection.map(|(set, sel)| {
        let facts = signer.entra_facts(&t, s, &sel, mfa.satisfied, token_ctx.at);
        let (more, prediction) = crate::entra::checks(set, &sel, &facts);
        checks.extend(more);
        prediction
    });
    if let Some(cap) = &raw.capture {
        // Does the token answer the sign-in request captured with it? InResponseTo: the signed
        // SubjectConfirmationData's, else the Response envelope's.
        let signed_irt = t
            .claims
            .as_ref()
            .and_then(|c| c.subject_confirmations.iter().find_map(|x| x.in_response_to.as_deref()));
        let irt = match (t.protocol, signed_irt) {
            (Protocol::Saml2, Some(v)) => Some((v, true)),
            (Protocol::Saml2, None) => t
                .envelope_fields
                .in_response_to
                .as_deref()
                .map(|v| (v, t.envelope_fields.signed)),
            (Protocol::WsfedSaml11, _) => None,
        };
        checks.push(rules::correlation_check(t.protocol, irt, cap));
    }
    let disagreement = t.signatures.iter().any(|s| s.disagreement.is_some());
    let verdict = verdict_of(disagreement, &checks, mfa.satisfied, t.claims.is_some());
    // The token is not needed any more: its parts move into the report.
    let (signature, t) = signature_summary(t, &s.anchors);
    let Token {
        protocol,
        envelope,
        encoding,
        claims,
        unverified_claims,
        envelope_fields,
        ..
    } = t;
    TokenReport {
        source: raw.source,
        protocol: Some(protocol),
        envelope: Some(envelope),
        encoding: Some(encoding),
        verdict,
        error: None,
        signature,
        mfa,
        claims,
        unverified_claims,
        envelope_fields: Some(envelope_fields),
        checks,
        entra,
        evaluated_at: own_instant.map(|at| at.to_rfc3339_opts(SecondsFormat::Secs, true)),
    }
}

/// A token's IssueInstant (the signed assertion's, else the unverified one's), for `--at issue-instant`.
fn issue_instant(t: &Token) -> Option<DateTime<Utc>> {
    let c = t.claims.as_ref().or(t.unverified_claims.as_ref())?;
    DateTime::parse_from_rfc3339(c.issue_instant.as_deref()?.trim())
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// The report of a token that could not be analyzed: verdict `error`, and why.
fn unanalyzable(source: Source, error: String) -> TokenReport {
    TokenReport {
        source,
        protocol: None,
        envelope: None,
        encoding: None,
        verdict: Verdict::Error,
        error: Some(error),
        signature: SignatureSummary {
            valid: false,
            claims_signed_by: None,
            engines: vec![],
            certificate: None,
            signatures: vec![],
        },
        mfa: Mfa {
            satisfied: false,
            evidence: vec![],
            near_misses: vec![],
        },
        claims: None,
        unverified_claims: None,
        envelope_fields: None,
        checks: vec![],
        entra: None,
        evaluated_at: None,
    }
}

/// Who signed a token, as far as the domain's federation settings care: the signed issuer, the trusted anchor that
/// verified the claims, and the first certificate in a signature's KeyInfo.
struct Signer<'a> {
    issuer: Option<&'a str>,
    anchor: Option<&'a TrustAnchor>,
    keyinfo_cert: Option<&'a CertInfo>,
}

impl<'a> Signer<'a> {
    fn of(t: &'a Token, anchors: &'a [TrustAnchor]) -> Signer<'a> {
        Signer {
            issuer: t.claims.as_ref().and_then(|c| c.issuer.as_deref()),
            anchor: t.signing_anchor.and_then(|i| anchors.get(i)),
            keyinfo_cert: t
                .signatures
                .iter()
                .find_map(|x| x.check.declared.keyinfo_certificates.first()),
        }
    }

    /// The domain configuration the token is judged against (by issuer, then certificate).
    fn select<'s>(&self, set: &'s crate::entra::FederationSettings) -> crate::entra::Selection<'s> {
        crate::entra::select(
            set,
            self.issuer,
            self.anchor.map(|a| a.der.as_slice()),
            self.keyinfo_cert.map(|k| k.sha256_thumbprint.as_str()),
        )
    }

    /// What Entra's checks against the selected configuration need to know of the token.
    fn entra_facts(
        &self,
        t: &Token,
        s: &Settings,
        sel: &crate::entra::Selection,
        mfa: bool,
        at: DateTime<Utc>,
    ) -> crate::entra::TokenFacts<'a> {
        crate::entra::TokenFacts {
            protocol: t.protocol,
            issuer: self.issuer,
            signing_anchor: self.anchor,
            signed: t.signature_verdict().valid,
            untrusted_key: t.claims.is_none()
                && t.signatures
                    .iter()
                    .any(|x| matches!(x.check.outcome, Err(crate::dsig::SignatureError::UntrustedKey { .. }))),
            mfa,
            at,
            keyinfo_cert: self.keyinfo_cert,
            // The `issuer` check compared the issuer with the configured issuerUri values (not --expect-issuer).
            issuer_checked: s.expect_issuer.is_none() || s.expect_issuer.as_deref() == sel.config.issuer_uri.as_deref(),
        }
    }
}

/// The signature part of a token report: the signature the claims rest on (or the most relevant one when none
/// verified), with the same verdict as the `signature.valid` check, and every signature in the document (moved out
/// of the token, which is handed back without them).
fn signature_summary(t: Token, anchors: &[TrustAnchor]) -> (SignatureSummary, Token) {
    let sv = t.signature_verdict();
    let primary = sv.primary.map(|i| &t.signatures[i]);
    let engines = primary.map(|p| p.engines.clone()).unwrap_or_default();
    let certificate = saml::signing_cert(&t, anchors).cloned();
    let claims_signed_by = t.signed_by;
    let mut t = t;
    let signatures = std::mem::take(&mut t.signatures)
        .into_iter()
        .map(|x| SignatureDetail {
            anchor: x.anchor.and_then(|i| anchors.get(i)).map(|a| a.origin.clone()),
            signed_element: x.signed_element,
            reference_id: x.reference_id,
            valid: x.valid,
            declared: x.check.declared,
            engines: x.engines,
            disagreement: x.disagreement,
        })
        .collect();
    let summary = SignatureSummary {
        valid: sv.valid,
        claims_signed_by,
        engines,
        certificate,
        signatures,
    };
    (summary, t)
}

/// Describes where a token came from, one line.
pub fn source_line(src: &Source) -> String {
    let mut s = src.input.clone();
    if let Some(i) = src.har_entry {
        let _ = write!(s, " entry #{i}");
    }
    if let Some(u) = &src.url {
        let _ = write!(s, " POST {u}");
    }
    if let Some(f) = &src.field {
        let _ = write!(s, " [{f}]");
    }
    s
}

/// The name a value has in the JSON contract (an enum's serde name; empty when it serializes to no string).
pub(crate) fn json_name<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The protocol as the JSON contract names it (`saml2`, `wsfed-saml11`), `unknown` for a document that is no token.
pub(crate) fn protocol_slug(p: Option<Protocol>) -> &'static str {
    match p {
        Some(Protocol::Saml2) => "saml2",
        Some(Protocol::WsfedSaml11) => "wsfed-saml11",
        None => "unknown",
    }
}

/// An attribute as the reports name it: its name, prefixed by its namespace unless that is an OASIS URN.
pub(crate) fn attribute_label(namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) if !ns.starts_with("urn:oasis") => format!("{}/{}", ns.trim_end_matches('/'), name),
        _ => name.to_string(),
    }
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256, lower-case hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&openssl::sha::sha256(bytes))
}
