//! The report: the pipeline's result as one data structure, rendered as JSON (the stable contract) or as text.
//!
//! [`run`] drives the pipeline for a set of loaded inputs: each raw token is analyzed ([`crate::saml`]), checked
//! ([`crate::rules`]) and summarized into a [`TokenReport`]; unusable inputs become [`InputProblem`]s. The verdict is
//! `pass` only when every token passes, `error` when any input was unusable or the engines disagreed, `fail`
//! otherwise. Every output format renders this same structure.

pub mod render;
pub mod snapshot;

use crate::input::{InputError, RawToken, Source};
use crate::rules::{self, Check, Context, Mfa, Status};
use crate::saml::{self, Claims, EngineResult, Engines, EnvelopeFields, Protocol, SignedBy};
use crate::trust::{CertInfo, Metadata, TrustAnchor};
use crate::xml::Limits;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde::Serialize;
use std::fmt::Write as _;

/// The overall or per-token verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Signed by a trusted key, MFA satisfied, every requirement met.
    Pass,
    /// A requirement is not met.
    Fail,
    /// The input could not be judged (unusable input, or the verification engines disagree).
    Error,
}

impl Verdict {
    /// The word used in the JSON contract (`pass`, `fail`, `error`).
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Error => "error",
        }
    }
}

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

/// Counts the token verdicts and derives the run's verdict (error when any input or token is unusable).
fn summarize(tokens: &[TokenReport], input_errors: usize) -> (Summary, Verdict) {
    let mut summary = Summary {
        tokens: tokens.len(),
        ..Summary::default()
    };
    for t in tokens {
        match t.verdict {
            Verdict::Pass => summary.pass += 1,
            Verdict::Fail => summary.fail += 1,
            Verdict::Error => summary.error += 1,
        }
    }
    summary.error += input_errors;
    let verdict = if summary.error > 0 || tokens.is_empty() {
        Verdict::Error
    } else if summary.fail > 0 {
        Verdict::Fail
    } else {
        Verdict::Pass
    };
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

/// Counts by verdict.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Tokens judged.
    pub tokens: usize,
    /// Passed.
    pub pass: usize,
    /// Failed.
    pub fail: usize,
    /// Errors (token-level and input-level).
    pub error: usize,
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

/// Runs the checks over loaded tokens and input errors.
pub fn run(tokens: Vec<RawToken>, input_errors: Vec<InputError>, s: &Settings) -> Report {
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
    let expected_issuers = match (&s.expect_issuer, s.metadata.as_ref().and_then(|m| m.entity_id.clone())) {
        (Some(i), _) => vec![expected(i, "--expect-issuer".to_string())],
        (None, _) if !federation_issuers.is_empty() => federation_issuers,
        (None, Some(e)) => vec![expected(&e, "the metadata entityID".to_string())],
        (None, None) => vec![],
    };
    let expect_issuer = match expected_issuers.as_slice() {
        [one] => Some(one.value.clone()),
        _ => None,
    };
    let ctx = Context {
        anchors: &s.anchors,
        expected_issuers,
        federated_domain: s.tenant_domain.as_ref().map(|d| rules::FederatedDomain {
            name: d.clone(),
            source: "--tenant-domain".into(),
        }),
        at: s.at,
        skew: s.skew,
        stand_in: s.stand_in.as_ref(),
    };
    let mut reports = Vec::new();
    for raw in tokens {
        reports.push(judge(raw, s, &ctx));
    }
    let errors: Vec<InputProblem> = input_errors
        .into_iter()
        .map(|e| InputProblem {
            input: e.input.clone(),
            message: e.kind.to_string(),
        })
        .collect();
    let (summary, verdict) = summarize(&reports, errors.len());
    let mut engines = Vec::new();
    if s.engines.fedcheck {
        engines.push("fedcheck");
    }
    if s.engines.xmlsec {
        engines.push("libxmlsec1");
    }
    Report {
        tool: Tool {
            name: "fedcheck",
            version: env!("CARGO_PKG_VERSION"),
        },
        verdict,
        evaluated_at: s.at.to_rfc3339_opts(SecondsFormat::Secs, true),
        skew_seconds: s.skew.num_seconds(),
        engines,
        trust: TrustSummary {
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
                sha256: openssl::sha::sha256(&m.raw)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect(),
            }),
            expected_issuer: expect_issuer,
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
        },
        tokens: reports,
        errors,
        summary,
        chain: None,
    }
}

fn judge(raw: RawToken, s: &Settings, ctx: &Context) -> TokenReport {
    let empty_sig = SignatureSummary {
        valid: false,
        claims_signed_by: None,
        engines: vec![],
        certificate: None,
        signatures: vec![],
    };
    let no_mfa = Mfa {
        satisfied: false,
        evidence: vec![],
        near_misses: vec![],
    };
    let t = match saml::analyze(&raw.xml, &s.anchors, s.engines, &s.xml_limits) {
        Ok(t) => t,
        Err(e) => {
            return TokenReport {
                source: raw.source,
                protocol: None,
                envelope: None,
                encoding: None,
                verdict: Verdict::Error,
                error: Some(e.to_string()),
                signature: empty_sig,
                mfa: no_mfa,
                claims: None,
                unverified_claims: None,
                envelope_fields: None,
                checks: vec![],
                entra: None,
            }
        }
    };
    let issuer = t.claims.as_ref().and_then(|c| c.issuer.as_deref());
    let signing_anchor = t.signing_anchor.and_then(|i| s.anchors.get(i));
    let keyinfo_cert = t
        .signatures
        .iter()
        .find_map(|x| x.check.declared.keyinfo_certificates.first());
    // The domain configuration this token is judged against (several domains: by issuer, then certificate).
    let selection = s.federation.as_ref().map(|set| {
        (
            set,
            crate::entra::select(
                set,
                issuer,
                signing_anchor.map(|a| a.der.as_slice()),
                keyinfo_cert.map(|k| k.sha256_thumbprint.as_str()),
            ),
        )
    });
    let mut token_ctx = ctx.clone();
    if let Some(d) = selection.as_ref().and_then(|(_, sel)| sel.config.domain.clone()) {
        token_ctx.federated_domain = Some(rules::FederatedDomain {
            name: d,
            source: "the domain of the federation settings used".into(),
        });
    }
    let (mut checks, mfa) = rules::evaluate(&t, &token_ctx);
    let entra = selection.map(|(set, sel)| {
        let facts = crate::entra::TokenFacts {
            protocol: t.protocol,
            issuer,
            signing_anchor,
            signed: t.signature_verdict().valid,
            untrusted_key: t.claims.is_none()
                && t.signatures
                    .iter()
                    .any(|x| matches!(x.check.outcome, Err(crate::dsig::SignatureError::UntrustedKey { .. }))),
            mfa: mfa.satisfied,
            at: s.at,
            keyinfo_cert,
            // The `issuer` check compared the issuer with the configured issuerUri values (not --expect-issuer).
            issuer_checked: s.expect_issuer.is_none() || s.expect_issuer.as_deref() == sel.config.issuer_uri.as_deref(),
        };
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
    // The signature the claims rest on (or the most relevant one when none verified); the same verdict as the
    // `signature.valid` check.
    let sv = t.signature_verdict();
    let primary = sv.primary.map(|i| &t.signatures[i]);
    let signature = SignatureSummary {
        valid: sv.valid,
        claims_signed_by: t.signed_by,
        engines: primary.map(|p| p.engines.clone()).unwrap_or_default(),
        certificate: saml::signing_cert(&t, &s.anchors).cloned(),
        signatures: t
            .signatures
            .iter()
            .map(|x| SignatureDetail {
                signed_element: x.signed_element.clone(),
                reference_id: x.reference_id.clone(),
                valid: x.valid,
                declared: x.check.declared.clone(),
                engines: x.engines.clone(),
                anchor: x.anchor.and_then(|i| s.anchors.get(i)).map(|a| a.origin.clone()),
            })
            .collect(),
    };
    TokenReport {
        source: raw.source,
        protocol: Some(t.protocol),
        envelope: Some(t.envelope),
        encoding: Some(t.encoding.clone()),
        verdict,
        error: None,
        signature,
        mfa,
        claims: t.claims.clone(),
        unverified_claims: t.unverified_claims.clone(),
        envelope_fields: Some(t.envelope_fields.clone()),
        checks,
        entra,
    }
}

/// Renders the JSON contract.
pub fn to_json(report: &Report) -> String {
    serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"verdict\":\"error\",\"error\":\"{e}\"}}"))
}

/// Terminal styling.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Use ANSI colours.
    pub color: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn status(&self, st: Status) -> String {
        match st {
            Status::Pass => self.paint("32", "PASS"),
            Status::Info => self.paint("36", "INFO"),
            Status::Warn => self.paint("33", "WARN"),
            Status::Fail => self.paint("31;1", "FAIL"),
        }
    }
    fn verdict(&self, v: Verdict) -> String {
        match v {
            Verdict::Pass => self.paint("32;1", "PASS"),
            Verdict::Fail => self.paint("31;1", "FAIL"),
            Verdict::Error => self.paint("35;1", "ERROR"),
        }
    }
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

fn claims_text(out: &mut String, c: &Claims, indent: &str) {
    let mut row = |k: &str, v: &str| {
        let _ = writeln!(out, "{indent}{k:<18} {v}");
    };
    if let Some(v) = &c.issuer {
        row("Issuer", v);
    }
    if let Some(n) = &c.name_id {
        row(
            "NameID",
            &format!("{} ({})", n.value, n.format.as_deref().unwrap_or("no format")),
        );
    }
    if !c.audiences.is_empty() {
        row("Audience", &c.audiences.join(", "));
    }
    for m in &c.authn_methods {
        row("Authn method", m);
    }
    if let (Some(a), Some(b)) = (&c.not_before, &c.not_on_or_after) {
        row("Valid", &format!("{a} .. {b}"));
    }
    for a in &c.attributes {
        let name = match &a.namespace {
            Some(ns) if !ns.starts_with("urn:oasis") => format!("{ns}/{}", a.name),
            _ => a.name.clone(),
        };
        row("Attribute", &format!("{name} = {}", a.values.join(", ")));
    }
}

/// Renders the terminal report.
pub fn to_text(r: &Report, style: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "fedcheck {}: evaluated at {} (skew {} s), engines: {}",
        r.tool.version,
        r.evaluated_at,
        r.skew_seconds,
        r.engines.join(" + ")
    );
    if r.trust.anchors.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            style.paint(
                "33;1",
                "No trusted certificate given: claims below are UNVERIFIED (use --idp-cert or --metadata)."
            )
        );
    }
    for a in &r.trust.anchors {
        let _ = writeln!(
            out,
            "Trusted: {} (SHA-1 {}, valid to {}) from {}",
            a.certificate.subject, a.certificate.sha1_thumbprint, a.certificate.not_after, a.origin
        );
    }
    if let Some(m) = &r.trust.metadata {
        let _ = writeln!(
            out,
            "Metadata: {} (entityID {}, signature {})",
            m.source,
            m.entity_id.as_deref().unwrap_or("-"),
            if m.signature_verified {
                "verified"
            } else {
                "not checked: no --metadata-cert"
            }
        );
    }
    for (i, t) in r.tokens.iter().enumerate() {
        let _ = writeln!(out);
        let proto = match t.protocol {
            Some(Protocol::Saml2) => "SAML 2.0",
            Some(Protocol::WsfedSaml11) => "WS-Fed / SAML 1.1",
            None => "unknown",
        };
        let _ = writeln!(out, "Token {}: {}  [{}]", i + 1, source_line(&t.source), proto);
        if let Some(e) = &t.error {
            let _ = writeln!(out, "  {}  {e}", style.verdict(Verdict::Error));
            continue;
        }
        for c in &t.checks {
            let _ = writeln!(out, "  {}  {:<26} {}", style.status(c.status), c.id, c.message);
            if c.status >= Status::Warn {
                if let Some(f) = &c.fix {
                    let _ = writeln!(out, "        {} {f}", style.paint("2", "fix:"));
                }
            }
        }
        if let Some(c) = &t.claims {
            let _ = writeln!(out, "  Signed claims:");
            claims_text(&mut out, c, "    ");
        } else if let Some(c) = &t.unverified_claims {
            let _ = writeln!(
                out,
                "  {}",
                style.paint(
                    "33",
                    "UNVERIFIED claims (not covered by a verified signature; they do not count):"
                )
            );
            claims_text(&mut out, c, "    ");
        }
        let why = match t.verdict {
            Verdict::Pass => "signed by a trusted key, Entra will see MFA".to_string(),
            Verdict::Error => "the verification engines disagree; do not rely on this token".to_string(),
            Verdict::Fail => {
                let n = t.checks.iter().filter(|c| c.status == Status::Fail).count();
                format!("{n} check(s) failed")
            }
        };
        let _ = writeln!(out, "  Verdict: {}: {why}", style.verdict(t.verdict));
    }
    if let Some(ch) = &r.chain {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "Evidence chain (IdP token -> domain setting -> Entra token): {}",
            style.verdict(ch.verdict)
        );
        for e in &ch.entries {
            let _ = writeln!(
                out,
                "  Token {} -> {}",
                e.idp_token,
                e.entra_token
                    .as_deref()
                    .unwrap_or("(no Entra token of the same user and sign-in)")
            );
            for st in &e.steps {
                let _ = writeln!(out, "    {}  {:<15} {}", style.status(st.status), st.name, st.detail);
            }
        }
        for u in &ch.unlinked_entra_tokens {
            let _ = writeln!(out, "  Entra token not linked to any IdP token of this run: {u}");
        }
    }
    for e in &r.errors {
        let _ = writeln!(out);
        let _ = writeln!(out, "{} {}: {}", style.verdict(Verdict::Error), e.input, e.message);
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Summary: {} token(s): {} pass, {} fail, {} error. Verdict: {}",
        r.summary.tokens,
        r.summary.pass,
        r.summary.fail,
        r.summary.error,
        style.verdict(r.verdict)
    );
    out
}
