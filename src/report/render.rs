//! Renderers of a [`Report`] for people and CI: Markdown, self-contained HTML, and JUnit XML.
//!
//! Markdown and HTML are rendered from one small document model ([`Block`]), so both say exactly the same
//! things in the same order: the summary verdict first, then for each token its signature and engines, the MFA
//! evidence, every check with its fix, the signed claims as a table, and the signing certificate; then the trust
//! anchors and what was redacted. Token content is attacker-controlled: every value is escaped for the target
//! format (HTML entities, Markdown code spans and backslash escapes, XML character references), and the HTML
//! needs no network and no script.
//!
//! Nothing here reads the clock: the output depends only on the report and the options, so bundles made with
//! `--at` and a fixed redaction key are byte-identical.

use crate::report::{source_line, Report, TokenReport, Verdict};
use crate::rules::Status;
use crate::saml::{Claims, Protocol};
use crate::trust::CertInfo;
use serde::Serialize;
use std::fmt::Write as _;

/// What was redacted, for the reports' redaction section (also serialized into the bundle's `report.json`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RedactionNote {
    /// Whether redaction was applied at all (`--no-redact` turns it off).
    pub enabled: bool,
    /// The kinds of field redacted, e.g. `NameID`, `UPN`, `attribute:department`, sorted.
    pub fields: Vec<String>,
    /// How many distinct values were replaced.
    pub values: usize,
    /// How a placeholder is computed.
    pub method: String,
    /// Where the key came from: `--redaction-key` or a random key that was not stored.
    pub key: String,
}

/// Options for the human-readable renderers.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    /// Redaction applied to the report, shown in its own section.
    pub redaction: Option<RedactionNote>,
    /// The command that produced the report, shown under the summary.
    pub command: Option<String>,
    /// Tenant-wide evidence from sign-in logs (bundles with `--signins`), shown in its own section.
    pub signins: Option<crate::signins::aggregate::SigninsReport>,
}

/// An inline piece of text.
#[derive(Debug, Clone)]
enum Inline {
    Text(String),
    Code(String),
    Strong(String),
    /// A check status or verdict badge: (label, css class).
    Badge(String, &'static str),
}

/// A block of the document model.
#[derive(Debug, Clone)]
enum Block {
    Heading(u8, String),
    Para(Vec<Inline>),
    List(Vec<Vec<Inline>>),
    Table(Vec<&'static str>, Vec<Vec<Vec<Inline>>>),
}

fn t(s: impl Into<String>) -> Inline {
    Inline::Text(s.into())
}
fn code(s: impl Into<String>) -> Inline {
    Inline::Code(s.into())
}

fn status_badge(s: Status) -> Inline {
    match s {
        Status::Pass => Inline::Badge("PASS".into(), "pass"),
        Status::Info => Inline::Badge("INFO".into(), "info"),
        Status::Warn => Inline::Badge("WARN".into(), "warn"),
        Status::Fail => Inline::Badge("FAIL".into(), "fail"),
    }
}

fn verdict_badge(v: Verdict) -> Inline {
    match v {
        Verdict::Pass => Inline::Badge("PASS".into(), "pass"),
        Verdict::Fail => Inline::Badge("FAIL".into(), "fail"),
        Verdict::Error => Inline::Badge("ERROR".into(), "error"),
    }
}

/// The protocol as people name it.
pub fn protocol_name(p: Option<Protocol>) -> &'static str {
    match p {
        Some(Protocol::Saml2) => "SAML-P (SAML 2.0)",
        Some(Protocol::WsfedSaml11) => "WS-Federation (SAML 1.1)",
        None => "unknown",
    }
}

/// One sentence explaining a token's verdict.
pub fn token_verdict_reason(tk: &TokenReport) -> String {
    if let Some(e) = &tk.error {
        return format!("the token could not be analyzed: {e}");
    }
    match tk.verdict {
        Verdict::Pass => "signed by a trusted key, Entra will see MFA".to_string(),
        Verdict::Error => "the verification engines disagree; do not rely on this token".to_string(),
        Verdict::Fail => {
            let failed = tk.failed_checks();
            if failed.is_empty() {
                "the MFA signal is missing from the signed claims".to_string()
            } else {
                format!("{} check(s) failed: {}", failed.len(), failed.join(", "))
            }
        }
    }
}

/// One sentence for the whole run.
pub fn summary_sentence(r: &Report) -> String {
    let what = match r.verdict {
        Verdict::Pass => "every token is signed by a trusted key and carries the MFA signal where Entra reads it",
        Verdict::Fail => "at least one token does not meet Entra's requirements (see the failed checks)",
        Verdict::Error => "at least one token could not be judged (unusable input, or the signature engines disagree)",
    };
    format!(
        "{} token(s): {} pass, {} fail, {} error; {what}.",
        r.summary.tokens, r.summary.pass, r.summary.fail, r.summary.error
    )
}

fn claims_rows(c: &Claims) -> Vec<Vec<Vec<Inline>>> {
    let mut rows = Vec::new();
    let mut row = |k: &str, v: Vec<Inline>| rows.push(vec![vec![t(k)], v]);
    if let Some(v) = &c.assertion_id {
        row("Assertion ID", vec![code(v)]);
    }
    if let Some(v) = &c.issuer {
        row("Issuer", vec![code(v)]);
    }
    if let Some(v) = &c.issue_instant {
        row("Issued", vec![code(v)]);
    }
    if let Some(n) = &c.name_id {
        let mut v = vec![code(&n.value)];
        if let Some(f) = &n.format {
            v.push(t(" format "));
            v.push(code(f));
        }
        row("NameID", v);
    }
    for a in &c.audiences {
        row("Audience", vec![code(a)]);
    }
    for m in &c.authn_methods {
        row("Authentication method", vec![code(m)]);
    }
    if let Some(v) = &c.authn_instant {
        row("Authenticated", vec![code(v)]);
    }
    if c.not_before.is_some() || c.not_on_or_after.is_some() {
        row(
            "Valid",
            vec![
                code(c.not_before.as_deref().unwrap_or("-")),
                t(" to "),
                code(c.not_on_or_after.as_deref().unwrap_or("-")),
            ],
        );
    }
    for sc in &c.subject_confirmations {
        let mut v = vec![code(&sc.method)];
        if let Some(r) = &sc.recipient {
            v.push(t(" recipient "));
            v.push(code(r));
        }
        if let Some(n) = &sc.not_on_or_after {
            v.push(t(" until "));
            v.push(code(n));
        }
        row("Subject confirmation", v);
    }
    for a in &c.attributes {
        let name = match &a.namespace {
            Some(ns) if !ns.starts_with("urn:oasis") => format!("{}/{}", ns.trim_end_matches('/'), a.name),
            _ => a.name.clone(),
        };
        let mut v = Vec::new();
        for (i, x) in a.values.iter().enumerate() {
            if i > 0 {
                v.push(t(", "));
            }
            v.push(code(x));
        }
        rows.push(vec![vec![t("Attribute "), code(name)], v]);
    }
    rows
}

fn cert_rows(c: &CertInfo, origin: Option<&str>) -> Vec<Vec<Vec<Inline>>> {
    let mut rows = vec![
        vec![vec![t("Subject")], vec![code(&c.subject)]],
        vec![vec![t("Issuer")], vec![code(&c.issuer)]],
        vec![vec![t("Serial")], vec![code(&c.serial)]],
        vec![vec![t("SHA-1 thumbprint")], vec![code(&c.sha1_thumbprint)]],
        vec![vec![t("SHA-256 thumbprint")], vec![code(&c.sha256_thumbprint)]],
        vec![
            vec![t("Valid")],
            vec![code(&c.not_before), t(" to "), code(&c.not_after)],
        ],
        vec![vec![t("Key")], vec![t(format!("{} {} bits", c.key_type, c.key_bits))]],
    ];
    if let Some(o) = origin {
        rows.push(vec![vec![t("Origin")], vec![code(o)]]);
    }
    rows
}

fn document(r: &Report, opts: &RenderOptions) -> Vec<Block> {
    let mut d = Vec::new();
    d.push(Block::Heading(1, "fedcheck report: federated MFA evidence".into()));
    d.push(Block::Para(vec![
        Inline::Strong("Verdict: ".into()),
        verdict_badge(r.verdict),
        t(": "),
        t(summary_sentence(r)),
    ]));
    let mut facts = vec![
        vec![vec![t("Evaluated at")], vec![code(&r.evaluated_at)]],
        vec![vec![t("Clock skew allowed")], vec![t(format!("{} s", r.skew_seconds))]],
        vec![vec![t("Signature engines")], vec![t(r.engines.join(" + "))]],
        vec![
            vec![t("Trusted certificates")],
            vec![t(format!("{}", r.trust.anchors.len()))],
        ],
    ];
    if let Some(m) = &r.trust.metadata {
        facts.push(vec![
            vec![t("IdP metadata")],
            vec![
                code(&m.source),
                t(", entityID "),
                code(m.entity_id.as_deref().unwrap_or("-")),
                t(if m.signature_verified {
                    ", metadata signature verified"
                } else {
                    ", metadata signature not checked (no --metadata-cert)"
                }),
            ],
        ]);
    }
    facts.push(vec![
        vec![t("Expected issuer")],
        match &r.trust.expected_issuer {
            Some(i) => vec![code(i)],
            None => vec![t("none given")],
        },
    ]);
    if let Some(red) = &opts.redaction {
        facts.push(vec![
            vec![t("Redaction")],
            vec![t(if red.enabled {
                format!("on: {} value(s) replaced by keyed hashes (see Redaction)", red.values)
            } else {
                "off (--no-redact): personal claim values are shown as received".to_string()
            })],
        ]);
    }
    if let Some(c) = &opts.command {
        facts.push(vec![vec![t("Command")], vec![code(c)]]);
    }
    d.push(Block::Table(vec!["", ""], facts));
    if r.trust.anchors.is_empty() {
        d.push(Block::Para(vec![Inline::Strong(
            "No trusted certificate was given: every claim below is UNVERIFIED.".into(),
        )]));
    }

    if let Some(ch) = &r.chain {
        d.push(Block::Heading(
            2,
            "Evidence chain: IdP token, domain setting, Entra token".into(),
        ));
        d.push(Block::Para(vec![
            Inline::Strong("Chain: ".into()),
            verdict_badge(ch.verdict),
            t(" Partner Center reads only the amr claim of Entra's own token; these links put mfa there."),
        ]));
        let mut rows = Vec::new();
        for e in &ch.entries {
            for st in &e.steps {
                rows.push(vec![
                    vec![t(format!("{}", e.idp_token))],
                    vec![code(e.entra_token.as_deref().unwrap_or("none"))],
                    vec![t(st.name)],
                    vec![status_badge(st.status)],
                    vec![t(st.detail.clone())],
                ]);
            }
        }
        d.push(Block::Table(
            vec!["Token", "Entra token", "Link", "Result", "Detail"],
            rows,
        ));
        if !ch.unlinked_entra_tokens.is_empty() {
            d.push(Block::List(
                ch.unlinked_entra_tokens
                    .iter()
                    .map(|u| vec![t("Entra token not linked to any IdP token: "), code(u)])
                    .collect(),
            ));
        }
    }

    d.push(Block::Heading(2, "Summary".into()));
    let rows = r
        .tokens
        .iter()
        .enumerate()
        .map(|(i, tk)| {
            vec![
                vec![t(format!("{}", i + 1))],
                vec![code(source_line(&tk.source))],
                vec![t(protocol_name(tk.protocol))],
                vec![t(if tk.signature.valid { "valid" } else { "not valid" })],
                vec![t(if tk.mfa.satisfied {
                    "signed MFA signal"
                } else {
                    "no MFA signal"
                })],
                vec![verdict_badge(tk.verdict)],
            ]
        })
        .collect();
    d.push(Block::Table(
        vec!["#", "Source", "Protocol", "Signature", "MFA", "Verdict"],
        rows,
    ));
    for e in &r.errors {
        d.push(Block::Para(vec![
            verdict_badge(Verdict::Error),
            t(" "),
            code(&e.input),
            t(": "),
            t(&e.message),
        ]));
    }

    if let Some(si) = &opts.signins {
        signins_blocks(&mut d, si);
    }

    for (i, tk) in r.tokens.iter().enumerate() {
        token_blocks(&mut d, i + 1, tk);
    }

    d.push(Block::Heading(2, "Trust anchors".into()));
    if r.trust.anchors.is_empty() {
        d.push(Block::Para(vec![t("None: no --idp-cert and no --metadata.")]));
    }
    for (i, a) in r.trust.anchors.iter().enumerate() {
        d.push(Block::Heading(3, format!("Certificate {}", i + 1)));
        d.push(Block::Table(
            vec!["Field", "Value"],
            cert_rows(&a.certificate, Some(&a.origin)),
        ));
    }

    if let Some(red) = &opts.redaction {
        d.push(Block::Heading(2, "Redaction".into()));
        if red.enabled {
            d.push(Block::Para(vec![t(
                "Personal values in the claims, in check messages and in the token copies are replaced by placeholders \
                 redacted:KIND:HASH; the same value always gets the same placeholder, so tokens can still be compared. \
                 The signature results were computed on the original tokens, before redaction.",
            )]));
            let mut items: Vec<Vec<Inline>> = red
                .fields
                .iter()
                .map(|f| vec![t("Redacted field: "), code(f)])
                .collect();
            items.push(vec![t("Placeholder: "), t(&red.method)]);
            items.push(vec![t("Key: "), t(&red.key)]);
            d.push(Block::List(items));
        } else {
            d.push(Block::Para(vec![t(
                "Redaction was turned off (--no-redact): claims and tokens are shown exactly as received.",
            )]));
        }
    }
    d
}

/// One sentence on the sign-in logs, for the reports and request.md.
pub fn signins_sentence(si: &crate::signins::aggregate::SigninsReport) -> String {
    let sm = &si.summary;
    let period = match (&sm.first_signin, &sm.last_signin) {
        (Some(a), Some(b)) => format!(" between {a} and {b}"),
        _ => String::new(),
    };
    format!(
        "{} of {} user(s) with a successful sign-in{period} were satisfied by the federated IdP's MFA claim on every \
         sign-in; {} user(s) signed in at least once without MFA; {} sign-in(s) counted ({} mfa_claim, {} mfa_entra, \
         {} single_factor, {} failed) from {} export(s), {} user(s) in all.",
        sm.users_mfa_claim_only,
        sm.users_with_successful_signins,
        sm.users_without_mfa,
        sm.signins,
        sm.mfa_claim,
        sm.mfa_entra,
        sm.single_factor,
        sm.failed,
        si.inputs.len(),
        sm.users
    )
}

fn signins_blocks(d: &mut Vec<Block>, si: &crate::signins::aggregate::SigninsReport) {
    d.push(Block::Heading(2, "Tenant-wide evidence: Entra sign-in logs".into()));
    d.push(Block::Para(vec![
        Inline::Strong("Sign-ins: ".into()),
        if si.summary.users_without_mfa == 0 {
            Inline::Badge("PASS".into(), "pass")
        } else {
            Inline::Badge("FAIL".into(), "fail")
        },
        t(" "),
        t(signins_sentence(si)),
    ]));
    d.push(Block::Para(vec![t(
        "Each sign-in is classified by the result strings of its succeeded authentication steps and \
         status.additionalDetails: mfa_claim is \"MFA requirement satisfied by claim provided by external provider\" \
         (the federated IdP's claim), mfa_entra is Entra's own MFA, single_factor is a success without either, failed \
         is an error code other than 0. authenticationRequirement is not used.",
    )]));
    let f = &si.filters;
    let mut filters = Vec::new();
    if let Some(x) = &f.since {
        filters.push(format!("since {x}"));
    }
    if let Some(x) = &f.until {
        filters.push(format!("until {x}"));
    }
    if let Some(x) = &f.app {
        filters.push(format!("app {x}"));
    }
    if f.federated_only {
        filters.push("federated sign-ins only".into());
    }
    let mut rows: Vec<Vec<Vec<Inline>>> = si
        .inputs
        .iter()
        .map(|i| {
            vec![
                vec![code(&i.file)],
                vec![t(i.shape.describe())],
                vec![t(format!("{}", i.records))],
            ]
        })
        .collect();
    if !filters.is_empty() {
        rows.push(vec![
            vec![t("Filters")],
            vec![t(filters.join(", "))],
            vec![t(format!("{}", si.matched))],
        ]);
    }
    d.push(Block::Table(vec!["Export", "Shape", "Sign-ins"], rows));
    let rows = si
        .users
        .iter()
        .map(|u| {
            let badge = if u.without_mfa {
                Inline::Badge("NO MFA".into(), "fail")
            } else if u.mfa_claim + u.mfa_entra == 0 {
                Inline::Badge("NO SIGN-IN".into(), "warn")
            } else if u.mfa_entra == 0 {
                Inline::Badge("IdP CLAIM".into(), "pass")
            } else if u.mfa_claim == 0 {
                Inline::Badge("ENTRA MFA".into(), "info")
            } else {
                Inline::Badge("CLAIM + ENTRA".into(), "pass")
            };
            let mut detail = Vec::new();
            if u.without_mfa {
                detail.push(t(format!(
                    "single-factor to {}; last {}",
                    if u.single_factor_apps.is_empty() {
                        "(app not named)".to_string()
                    } else {
                        u.single_factor_apps.join(", ")
                    },
                    u.last_single_factor.as_deref().unwrap_or("(time not given)")
                )));
            } else {
                detail.push(t(u.apps.join(", ")));
            }
            vec![
                vec![code(&u.user)],
                vec![t(format!("{}", u.signins))],
                vec![t(format!("{}", u.mfa_claim))],
                vec![t(format!("{}", u.mfa_entra))],
                vec![t(format!("{}", u.single_factor))],
                vec![t(format!("{}", u.failed))],
                vec![badge],
                detail,
            ]
        })
        .collect();
    d.push(Block::Table(
        vec![
            "User",
            "Sign-ins",
            "mfa_claim",
            "mfa_entra",
            "single_factor",
            "failed",
            "MFA",
            "Apps",
        ],
        rows,
    ));
    if !si.unlisted_mfa_results.is_empty() {
        d.push(Block::List(
            si.unlisted_mfa_results
                .iter()
                .map(|u| {
                    vec![
                        t("Result not in the rule's lists (counted as single_factor): "),
                        code(&u.result),
                        t(format!(" on {} sign-in(s)", u.signins)),
                    ]
                })
                .collect(),
        ));
    }
    if !si.notes.is_empty() {
        d.push(Block::List(si.notes.iter().map(|n| vec![t("Note: "), t(n)]).collect()));
    }
    if let Some(p) = &si.partner_report {
        d.push(Block::Heading(3, "Partner Center MFA report".into()));
        d.push(Block::Para(vec![
            t(format!(
                "{} user(s) reached Partner Center without MFA. Columns used: ",
                p.listed
            )),
            code(&p.columns.user),
            t(" (user)"),
            match &p.columns.last_visit {
                Some(c) => t(format!(", {c} (last visit)")),
                None => t(", no time column"),
            },
            t(format!(", found by {}.", p.columns.found_by)),
        ]));
        let rows = p
            .users
            .iter()
            .map(|u| {
                let (label, class) = match u.entra_saw {
                    "mfa_claim" => ("IdP CLAIM", "pass"),
                    "mfa_entra" => ("ENTRA MFA", "info"),
                    "single_factor" => ("NO MFA", "fail"),
                    _ => ("NOT IN LOGS", "warn"),
                };
                vec![
                    vec![code(&u.user)],
                    vec![t(u.last_visit_without_mfa.as_deref().unwrap_or("-"))],
                    vec![Inline::Badge(label.into(), class)],
                    vec![t(match (&u.nearest_signin, u.basis) {
                        (Some(n), "last_signin_before_visit") => format!(
                            "last sign-in before the visit: {} {}",
                            n.time,
                            n.app.as_deref().unwrap_or("")
                        ),
                        (_, "all_signins") => "all the user's sign-ins (none before the visit)".to_string(),
                        _ => "-".to_string(),
                    })],
                ]
            })
            .collect();
        d.push(Block::Table(
            vec!["User", "Last visit without MFA", "Entra saw", "Basis"],
            rows,
        ));
    }
}

fn token_blocks(d: &mut Vec<Block>, n: usize, tk: &TokenReport) {
    d.push(Block::Heading(2, format!("Token {n}: {}", protocol_name(tk.protocol))));
    let mut facts = vec![vec![vec![t("Source")], vec![code(source_line(&tk.source))]]];
    if let Some(e) = tk.envelope {
        let s = serde_json::to_value(e)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        facts.push(vec![vec![t("Envelope")], vec![code(s)]]);
    }
    facts.push(vec![
        vec![t("Verdict")],
        vec![verdict_badge(tk.verdict), t(" "), t(token_verdict_reason(tk))],
    ]);
    d.push(Block::Table(vec!["", ""], facts));
    if let Some(e) = &tk.error {
        d.push(Block::Para(vec![t("The token could not be analyzed: "), t(e)]));
        return;
    }

    d.push(Block::Heading(3, "Signature".into()));
    let signed_by = match tk.signature.claims_signed_by {
        Some(crate::saml::SignedBy::AssertionSignature) => "the assertion's own signature",
        Some(crate::saml::SignedBy::ResponseSignature) => "the Response signature only",
        None => "no verified signature",
    };
    d.push(Block::Para(vec![
        Inline::Strong(if tk.signature.valid {
            "The claims come from bytes signed by a trusted key.".into()
        } else {
            "The claims are not covered by a signature that verifies with a trusted key.".into()
        }),
        t(format!(" Claims read from: {signed_by}.")),
    ]));
    let mut rows = Vec::new();
    for s in &tk.signature.signatures {
        for e in &s.engines {
            rows.push(vec![
                vec![
                    t(&s.signed_element),
                    t(" "),
                    code(s.reference_id.as_deref().unwrap_or("-")),
                ],
                vec![t(&e.name)],
                vec![status_badge(if e.valid { Status::Pass } else { Status::Fail })],
                vec![t(&e.detail)],
            ]);
        }
        let dcl = &s.declared;
        rows.push(vec![
            vec![
                t(&s.signed_element),
                t(" "),
                code(s.reference_id.as_deref().unwrap_or("-")),
            ],
            vec![t("declared")],
            vec![status_badge(if s.valid { Status::Pass } else { Status::Fail })],
            vec![
                t("signature "),
                code(dcl.signature_method.as_deref().unwrap_or("-")),
                t(", digest "),
                code(dcl.digest_method.as_deref().unwrap_or("-")),
                t(", c14n "),
                code(dcl.canonicalization.as_deref().unwrap_or("-")),
                t(format!(", trusted anchor {}", s.anchor.as_deref().unwrap_or("none"))),
            ],
        ]);
    }
    if rows.is_empty() {
        d.push(Block::Para(vec![t("The token carries no XML signature.")]));
    } else {
        d.push(Block::Table(vec!["Signed element", "Engine", "Result", "Detail"], rows));
    }

    d.push(Block::Heading(3, "MFA evidence".into()));
    d.push(Block::Para(vec![Inline::Strong(if tk.mfa.satisfied {
        "Entra will see MFA: the signal is in the signed claims, where Entra reads it for this protocol.".into()
    } else {
        "Entra will not see MFA from this token.".into()
    })]));
    let mut items: Vec<Vec<Inline>> = tk.mfa.evidence.iter().map(|e| vec![t("Evidence: "), code(e)]).collect();
    items.extend(tk.mfa.near_misses.iter().map(|e| vec![t("Near miss: "), t(e)]));
    if !items.is_empty() {
        d.push(Block::List(items));
    }

    d.push(Block::Heading(3, "Checks".into()));
    let rows = tk
        .checks
        .iter()
        .map(|c| {
            vec![
                vec![status_badge(c.status)],
                vec![code(c.id)],
                vec![t(&c.message)],
                match &c.fix {
                    Some(f) if c.status >= Status::Warn => vec![t(f)],
                    _ => vec![],
                },
            ]
        })
        .collect();
    d.push(Block::Table(vec!["Status", "Check", "Finding", "Fix"], rows));

    if let Some(c) = &tk.claims {
        d.push(Block::Heading(3, "Signed claims".into()));
        d.push(Block::Table(vec!["Claim", "Value"], claims_rows(c)));
    } else if let Some(c) = &tk.unverified_claims {
        d.push(Block::Heading(3, "UNVERIFIED claims".into()));
        d.push(Block::Para(vec![Inline::Strong(
            "These claims are not covered by a verified signature; they do not count.".into(),
        )]));
        d.push(Block::Table(vec!["Claim", "Value"], claims_rows(c)));
    }

    d.push(Block::Heading(3, "Signing certificate".into()));
    match &tk.signature.certificate {
        Some(c) => d.push(Block::Table(vec!["Field", "Value"], cert_rows(c, None))),
        None => {
            let keyinfo: Vec<&CertInfo> = tk
                .signature
                .signatures
                .iter()
                .flat_map(|s| s.declared.keyinfo_certificates.iter())
                .collect();
            d.push(Block::Para(vec![t("No trusted certificate verified this token.")]));
            for c in keyinfo {
                d.push(Block::Para(vec![t(
                    "Certificate in the token's KeyInfo (not trusted by itself):",
                )]));
                d.push(Block::Table(vec!["Field", "Value"], cert_rows(c, None)));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Markdown

/// Escapes text for Markdown: no HTML, no links, no emphasis or code from the content, no table breaks.
pub fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '!' | '~' => {
                out.push('\\');
                out.push(ch);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' | '\n' | '\t' => out.push(' '),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A Markdown code span that holds any text literally (fence longer than any backtick run inside; `|` escaped
/// for GFM tables, which split cells before parsing code spans).
fn md_code(s: &str) -> String {
    // Code spans show `<` literally in CommonMark, but not every Markdown viewer is compliant: a value with
    // markup characters is written as escaped text instead.
    if s.contains(['<', '>']) {
        return md_escape(s);
    }
    let clean: String = s
        .chars()
        .map(|c| {
            if c == '\n' || c == '\r' || c == '\t' {
                ' '
            } else if c.is_control() {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect::<String>()
        .replace('|', "\\|");
    if clean.is_empty() {
        return "` `".into();
    }
    let mut longest = 0;
    let mut run = 0;
    for c in clean.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    let pad = if clean.starts_with('`') || clean.ends_with('`') || clean.starts_with(' ') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{clean}{pad}{fence}")
}

fn md_inlines(xs: &[Inline]) -> String {
    let mut s = String::new();
    for x in xs {
        match x {
            Inline::Text(v) => s.push_str(&md_escape(v)),
            Inline::Code(v) => s.push_str(&md_code(v)),
            Inline::Strong(v) => {
                let _ = write!(s, "**{}**", md_escape(v.trim_end()));
                if v.ends_with(' ') {
                    s.push(' ');
                }
            }
            Inline::Badge(v, _) => {
                let _ = write!(s, "**{}**", md_escape(v));
            }
        }
    }
    s
}

/// Renders the report as Markdown (GitHub-flavoured tables).
pub fn markdown(r: &Report, opts: &RenderOptions) -> String {
    let mut out = String::new();
    for b in document(r, opts) {
        match b {
            Block::Heading(level, text) => {
                let _ = writeln!(out, "{} {}\n", "#".repeat(level as usize), md_escape(&text));
            }
            Block::Para(xs) => {
                let _ = writeln!(out, "{}\n", md_inlines(&xs));
            }
            Block::List(items) => {
                for it in items {
                    let _ = writeln!(out, "- {}", md_inlines(&it));
                }
                out.push('\n');
            }
            Block::Table(head, rows) => {
                let _ = writeln!(
                    out,
                    "|{}|",
                    head.iter().map(|h| format!(" {h} ")).collect::<Vec<_>>().join("|")
                );
                let _ = writeln!(out, "|{}|", head.iter().map(|_| "---").collect::<Vec<_>>().join("|"));
                for row in rows {
                    let cells: Vec<String> = row.iter().map(|c| format!(" {} ", md_inlines(c))).collect();
                    let _ = writeln!(out, "|{}|", cells.join("|"));
                }
                out.push('\n');
            }
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

// ---------------------------------------------------------------------------------------------------------------
// HTML

/// Escapes text for HTML element content and quoted attribute values.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\r' | '\n' | '\t' => out.push(' '),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn html_inlines(xs: &[Inline]) -> String {
    let mut s = String::new();
    for x in xs {
        match x {
            Inline::Text(v) => s.push_str(&html_escape(v)),
            Inline::Code(v) => {
                let _ = write!(s, "<code>{}</code>", html_escape(v));
            }
            Inline::Strong(v) => {
                let _ = write!(s, "<strong>{}</strong>", html_escape(v));
            }
            Inline::Badge(v, class) => {
                let _ = write!(s, "<span class=\"badge {class}\">{}</span>", html_escape(v));
            }
        }
    }
    s
}

const CSS: &str = "\
:root{color-scheme:light}\
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;color:#1b1b1b;margin:2rem auto;max-width:1100px;padding:0 1rem}\
h1{font-size:1.6rem;margin:0 0 .6rem}h2{font-size:1.25rem;margin:1.8rem 0 .5rem;border-bottom:2px solid #ddd;padding-bottom:.2rem}\
h3{font-size:1.05rem;margin:1.2rem 0 .4rem}\
table{border-collapse:collapse;width:100%;margin:.4rem 0 .8rem;table-layout:auto}\
th,td{border:1px solid #ccc;padding:.25rem .45rem;text-align:left;vertical-align:top}\
th{background:#f3f3f3}td{overflow-wrap:anywhere;word-break:break-word}\
code{font:12.5px/1.35 ui-monospace,'DejaVu Sans Mono',Consolas,monospace;background:#f6f6f6;padding:0 .15rem;overflow-wrap:anywhere}\
.badge{display:inline-block;font-weight:700;font-size:.8rem;padding:0 .4rem;border-radius:3px;color:#fff}\
.pass{background:#1a7f37}.fail{background:#c62828}.warn{background:#b26a00}.info{background:#0b6e99}.error{background:#7b1fa2}\
ul{margin:.3rem 0 .8rem}\
.kv td:first-child{white-space:nowrap;width:1%}.checks td:nth-child(-n+2){white-space:nowrap;width:1%}\
@media print{body{margin:0;max-width:none;font-size:11px}h2{break-after:avoid}h3{break-after:avoid}\
table,tr{break-inside:avoid}.badge{-webkit-print-color-adjust:exact;print-color-adjust:exact}@page{margin:14mm}}";

/// Renders the report as one self-contained HTML page: inline CSS, no script, no external resource, printable.
pub fn html(r: &Report, opts: &RenderOptions) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n",
    );
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(
        out,
        "<title>fedcheck report: {}</title>",
        html_escape(match r.verdict {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::Error => "ERROR",
        })
    );
    let _ = writeln!(out, "<style>{CSS}</style>\n</head>\n<body>");
    for b in document(r, opts) {
        match b {
            Block::Heading(level, text) => {
                let _ = writeln!(out, "<h{level}>{}</h{level}>", html_escape(&text));
            }
            Block::Para(xs) => {
                let _ = writeln!(out, "<p>{}</p>", html_inlines(&xs));
            }
            Block::List(items) => {
                out.push_str("<ul>\n");
                for it in items {
                    let _ = writeln!(out, "<li>{}</li>", html_inlines(&it));
                }
                out.push_str("</ul>\n");
            }
            Block::Table(head, rows) => {
                let class = if head.iter().all(|h| h.is_empty())
                    || head.first() == Some(&"Field")
                    || head.first() == Some(&"Claim")
                {
                    "kv"
                } else if head.get(1) == Some(&"Check") {
                    "checks"
                } else {
                    "grid"
                };
                let _ = writeln!(out, "<table class=\"{class}\">");
                if head.iter().any(|h| !h.is_empty()) {
                    let _ = writeln!(
                        out,
                        "<thead><tr>{}</tr></thead>",
                        head.iter()
                            .map(|h| format!("<th>{}</th>", html_escape(h)))
                            .collect::<String>()
                    );
                }
                out.push_str("<tbody>\n");
                for row in rows {
                    let _ = writeln!(
                        out,
                        "<tr>{}</tr>",
                        row.iter()
                            .map(|c| format!("<td>{}</td>", html_inlines(c)))
                            .collect::<String>()
                    );
                }
                out.push_str("</tbody>\n</table>\n");
            }
        }
    }
    out.push_str("</body>\n</html>\n");
    out
}

// ---------------------------------------------------------------------------------------------------------------
// JUnit

/// Escapes text for XML attribute values and content; drops characters XML 1.0 cannot carry.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' => out.push_str("&#9;"),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Renders JUnit XML: one test suite per token, one test case per check (`fail` is a failure; `warn` and `info`
/// pass with their message in `system-out`); an unusable token or input is one test case with an error.
pub fn junit(r: &Report) -> String {
    let mut suites = String::new();
    let (mut total, mut failures, mut errors) = (0usize, 0usize, 0usize);
    for (i, tk) in r.tokens.iter().enumerate() {
        let name = format!("token {}: {}", i + 1, source_line(&tk.source));
        let class = format!("fedcheck.token{}", i + 1);
        let mut cases = String::new();
        let (mut n, mut f, mut e) = (0usize, 0usize, 0usize);
        if let Some(err) = &tk.error {
            n += 1;
            e += 1;
            let _ = writeln!(
                cases,
                "    <testcase classname=\"{}\" name=\"token.analyze\">\n      <error message=\"{}\" type=\"token\"/>\n    </testcase>",
                xml_escape(&class),
                xml_escape(err)
            );
        }
        for c in &tk.checks {
            n += 1;
            let _ = write!(
                cases,
                "    <testcase classname=\"{}\" name=\"{}\"",
                xml_escape(&class),
                xml_escape(c.id)
            );
            match c.status {
                Status::Fail => {
                    f += 1;
                    let body = match &c.fix {
                        Some(fix) => format!("{}&#10;fix: {}", xml_escape(&c.message), xml_escape(fix)),
                        None => xml_escape(&c.message),
                    };
                    let _ = writeln!(
                        cases,
                        ">\n      <failure message=\"{}\" type=\"fail\">{body}</failure>\n    </testcase>",
                        xml_escape(&c.message)
                    );
                }
                Status::Warn | Status::Info => {
                    let label = if c.status == Status::Warn { "WARN" } else { "INFO" };
                    let mut body = format!("{label}: {}", xml_escape(&c.message));
                    if let (Status::Warn, Some(fix)) = (c.status, &c.fix) {
                        let _ = write!(body, "&#10;fix: {}", xml_escape(fix));
                    }
                    let _ = writeln!(cases, ">\n      <system-out>{body}</system-out>\n    </testcase>");
                }
                Status::Pass => {
                    let _ = writeln!(cases, "/>");
                }
            }
        }
        if tk.error.is_none() && tk.verdict == Verdict::Error {
            n += 1;
            e += 1;
            let _ = writeln!(
                cases,
                "    <testcase classname=\"{}\" name=\"verdict\">\n      <error message=\"{}\" type=\"engines\"/>\n    </testcase>",
                xml_escape(&class),
                xml_escape(&token_verdict_reason(tk))
            );
        }
        total += n;
        failures += f;
        errors += e;
        let _ = write!(
            suites,
            "  <testsuite name=\"{}\" tests=\"{n}\" failures=\"{f}\" errors=\"{e}\" skipped=\"0\" timestamp=\"{}\">\n{cases}  </testsuite>\n",
            xml_escape(&name),
            xml_escape(r.evaluated_at.trim_end_matches('Z'))
        );
    }
    if !r.errors.is_empty() {
        let mut cases = String::new();
        for p in &r.errors {
            let _ = writeln!(
                cases,
                "    <testcase classname=\"fedcheck.inputs\" name=\"{}\">\n      <error message=\"{}\" type=\"input\"/>\n    </testcase>",
                xml_escape(&p.input),
                xml_escape(&p.message)
            );
        }
        let n = r.errors.len();
        total += n;
        errors += n;
        let _ = write!(
            suites,
            "  <testsuite name=\"inputs\" tests=\"{n}\" failures=\"0\" errors=\"{n}\" skipped=\"0\">\n{cases}  </testsuite>\n"
        );
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"fedcheck\" tests=\"{total}\" failures=\"{failures}\" errors=\"{errors}\">\n{suites}</testsuites>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(
            html_escape("<script>alert('x')</script>&\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"
        );
        assert_eq!(md_escape("a|b<c>[l](u)*"), "a\\|b&lt;c&gt;\\[l\\](u)\\*");
        assert_eq!(md_code("a`b|c"), "``a`b\\|c``");
        assert_eq!(xml_escape("a<b>&\"'\u{1}"), "a&lt;b&gt;&amp;&quot;&apos;\u{FFFD}");
    }
}
