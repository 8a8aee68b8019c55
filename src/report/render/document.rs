//! The document model both human-readable reports are rendered from ([`Block`]s of [`Inline`]s), and the report
//! as such a document: the summary verdict and the evidence card first ([`super::card`]), then the details, each a
//! collapsible section: how the report was made, the evidence chain, a table of tokens, the sign-in logs, each
//! token's section ([`super::token`]), the trust anchors and what was redacted.

use super::{card, signins, summary_sentence, token, RenderOptions};
use crate::entra::chain::Chain;
use crate::report::redact::RedactionNote;
use crate::report::{source_line, Report, Verdict};
use crate::rules::Status;
use crate::trust::CertInfo;

/// An inline piece of text.
#[derive(Debug, Clone)]
pub(super) enum Inline {
    Text(String),
    Code(String),
    Strong(String),
    /// A check status or verdict badge: (label, css class).
    Badge(String, &'static str),
    /// A line break inside a table cell.
    Break,
}

/// A table cell: a run of inlines.
pub(super) type Cell = Vec<Inline>;
/// A table row.
pub(super) type Row = Vec<Cell>;

/// One row of the evidence card: a stable id (the HTML's `data-field`), its label and its value.
#[derive(Debug, Clone)]
pub(super) struct CardRow {
    pub id: &'static str,
    pub label: &'static str,
    pub value: Cell,
}

/// A block of the document model.
#[derive(Debug, Clone)]
pub(super) enum Block {
    Heading(u8, String),
    Para(Vec<Inline>),
    List(Vec<Vec<Inline>>),
    Table(Vec<&'static str>, Vec<Row>),
    /// The evidence card: label and value per row.
    Card(Vec<CardRow>),
    /// A section with a heading: collapsible in the HTML (`<details>`, open or closed), a heading and its blocks in
    /// Markdown.
    Details {
        level: u8,
        title: String,
        open: bool,
        body: Vec<Block>,
    },
}

/// A collapsible section whose blocks `fill` writes.
pub(super) fn details(level: u8, title: impl Into<String>, open: bool, fill: impl FnOnce(&mut Vec<Block>)) -> Block {
    let mut body = Vec::new();
    fill(&mut body);
    Block::Details {
        level,
        title: title.into(),
        open,
        body,
    }
}

/// Plain text.
pub(super) fn t(s: impl Into<String>) -> Inline {
    Inline::Text(s.into())
}

/// A literal value (code span).
pub(super) fn code(s: impl Into<String>) -> Inline {
    Inline::Code(s.into())
}

/// A two-column row: a label and its value.
pub(super) fn kv(label: &str, value: Cell) -> Row {
    vec![vec![t(label)], value]
}

pub(super) fn status_badge(s: Status) -> Inline {
    Inline::Badge(s.as_str().to_ascii_uppercase(), s.as_str())
}

pub(super) fn verdict_badge(v: Verdict) -> Inline {
    Inline::Badge(v.as_str().to_ascii_uppercase(), v.as_str())
}

/// The rows describing a certificate (and where it came from, for a trust anchor).
pub(super) fn cert_rows(c: &CertInfo, origin: Option<&str>) -> Vec<Row> {
    let mut rows = vec![
        kv("Subject", vec![code(&c.subject)]),
        kv("Issuer", vec![code(&c.issuer)]),
        kv("Serial", vec![code(&c.serial)]),
        kv("SHA-1 thumbprint", vec![code(&c.sha1_thumbprint)]),
        kv("SHA-256 thumbprint", vec![code(&c.sha256_thumbprint)]),
        kv("Valid", vec![code(&c.not_before), t(" to "), code(&c.not_after)]),
        kv("Key", vec![t(format!("{} {} bits", c.key_type, c.key_bits))]),
    ];
    if let Some(o) = origin {
        rows.push(kv("Origin", vec![code(o)]));
    }
    rows
}

/// The whole report as a document: the verdict and the evidence card, then the details. Sections a reviewer reads
/// (the chain, the tokens, the sign-in logs) are open; those that repeat the card or describe the run are closed.
pub(super) fn document(r: &Report, opts: &RenderOptions) -> Vec<Block> {
    let mut d = Vec::new();
    d.push(Block::Heading(1, "fedcheck report: federated MFA evidence".into()));
    d.push(Block::Para(vec![
        Inline::Strong("Verdict: ".into()),
        verdict_badge(r.verdict),
        t(": "),
        t(summary_sentence(r)),
    ]));
    if r.trust.anchors.is_empty() {
        d.push(Block::Para(vec![Inline::Strong(
            "No trusted certificate was given: every claim below is UNVERIFIED.".into(),
        )]));
    }
    d.push(card::card(r, opts));
    d.push(details(2, "How this report was made", false, |b| {
        b.push(Block::Table(vec!["", ""], run_facts(r, opts)));
    }));
    if let Some(ch) = &r.chain {
        d.push(details(
            2,
            "Evidence chain: IdP token, domain setting, Entra token",
            true,
            |b| chain_section(b, ch),
        ));
    }
    d.push(details(2, "Summary", true, |b| summary_section(b, r)));
    if let Some(si) = &opts.signins {
        d.push(details(2, "Tenant-wide evidence: Entra sign-in logs", true, |b| {
            signins::section(b, si)
        }));
    }
    for (i, tk) in r.tokens.iter().enumerate() {
        d.push(token::section(i + 1, tk));
    }
    d.push(details(2, "Trust anchors", false, |b| trust_anchors_section(b, r)));
    if let Some(red) = &opts.redaction {
        d.push(details(2, "Redaction", false, |b| redaction_section(b, red)));
    }
    d
}

/// The facts of the run under the verdict: time, skew, engines, trust, expected issuer, redaction, command.
fn run_facts(r: &Report, opts: &RenderOptions) -> Vec<Row> {
    let mut facts = vec![
        kv("Evaluated at", vec![code(&r.evaluated_at)]),
        kv("Clock skew allowed", vec![t(format!("{} s", r.skew_seconds))]),
        kv("Signature engines", vec![t(r.engines.join(" + "))]),
        kv("Trusted certificates", vec![t(format!("{}", r.trust.anchors.len()))]),
    ];
    if let Some(m) = &r.trust.metadata {
        facts.push(kv(
            "IdP metadata",
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
        ));
    }
    facts.push(kv(
        "Expected issuer",
        match &r.trust.expected_issuer {
            Some(i) => vec![code(i)],
            None => vec![t("none given")],
        },
    ));
    if let Some(red) = &opts.redaction {
        facts.push(kv(
            "Redaction",
            vec![t(if red.enabled {
                format!("on: {} value(s) replaced by keyed hashes (see Redaction)", red.values)
            } else {
                "off (--no-redact): personal claim values are shown as received".to_string()
            })],
        ));
    }
    if let Some(c) = &opts.command {
        facts.push(kv("Command", vec![code(c)]));
    }
    facts
}

/// The evidence chain: one row per link of each IdP token.
fn chain_section(d: &mut Vec<Block>, ch: &Chain) {
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

/// One row per token (source, protocol, signature, MFA, verdict), then the unusable inputs.
fn summary_section(d: &mut Vec<Block>, r: &Report) {
    let rows = r
        .tokens
        .iter()
        .enumerate()
        .map(|(i, tk)| {
            vec![
                vec![t(format!("{}", i + 1))],
                vec![code(source_line(&tk.source))],
                vec![t(super::protocol_name(tk.protocol))],
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
}

fn trust_anchors_section(d: &mut Vec<Block>, r: &Report) {
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
}

fn redaction_section(d: &mut Vec<Block>, red: &RedactionNote) {
    if !red.enabled {
        d.push(Block::Para(vec![t(
            "Redaction was turned off (--no-redact): claims and tokens are shown exactly as received.",
        )]));
        return;
    }
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
}
