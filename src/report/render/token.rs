//! One token's section of the document: its facts and verdict, its signatures as each engine judged them, the MFA
//! evidence, every check with its fix, the claims (signed, or marked UNVERIFIED) and the signing certificate.

use super::document::{cert_rows, code, kv, status_badge, t, verdict_badge, Block, Inline, Row};
use super::{protocol_name, token_verdict_reason};
use crate::report::{attribute_label, json_name, source_line, SignatureDetail, TokenReport};
use crate::rules::Status;
use crate::saml::{Claims, SignedBy};
use crate::trust::CertInfo;

/// Appends token `n`'s section.
pub(super) fn section(d: &mut Vec<Block>, n: usize, tk: &TokenReport) {
    d.push(Block::Heading(2, format!("Token {n}: {}", protocol_name(tk.protocol))));
    let mut facts = vec![kv("Source", vec![code(source_line(&tk.source))])];
    if let Some(e) = tk.envelope {
        facts.push(kv("Envelope", vec![code(json_name(&e))]));
    }
    facts.push(kv(
        "Verdict",
        vec![verdict_badge(tk.verdict), t(" "), t(token_verdict_reason(tk))],
    ));
    d.push(Block::Table(vec!["", ""], facts));
    if let Some(e) = &tk.error {
        d.push(Block::Para(vec![t("The token could not be analyzed: "), t(e)]));
        return;
    }
    signature_section(d, tk);
    mfa_section(d, tk);
    checks_section(d, tk);
    claims_section(d, tk);
    certificate_section(d, tk);
}

/// Which signature the claims were read from, and one row per engine and per declared profile of each signature.
fn signature_section(d: &mut Vec<Block>, tk: &TokenReport) {
    d.push(Block::Heading(3, "Signature".into()));
    let signed_by = match tk.signature.claims_signed_by {
        Some(SignedBy::AssertionSignature) => "the assertion's own signature",
        Some(SignedBy::ResponseSignature) => "the Response signature only",
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
    let rows: Vec<Row> = tk.signature.signatures.iter().flat_map(signature_rows).collect();
    if rows.is_empty() {
        d.push(Block::Para(vec![t("The token carries no XML signature.")]));
    } else {
        d.push(Block::Table(vec!["Signed element", "Engine", "Result", "Detail"], rows));
    }
}

/// One row per engine that judged a signature, then the row of what it declares.
fn signature_rows(s: &SignatureDetail) -> Vec<Row> {
    let element = || {
        vec![
            t(&s.signed_element),
            t(" "),
            code(s.reference_id.as_deref().unwrap_or("-")),
        ]
    };
    let result = |valid: bool| vec![status_badge(if valid { Status::Pass } else { Status::Fail })];
    let mut rows: Vec<Row> = s
        .engines
        .iter()
        .map(|e| vec![element(), vec![t(&e.name)], result(e.valid), vec![t(&e.detail)]])
        .collect();
    let dcl = &s.declared;
    rows.push(vec![
        element(),
        vec![t("declared")],
        result(s.valid),
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
    rows
}

fn mfa_section(d: &mut Vec<Block>, tk: &TokenReport) {
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
}

/// Every check; the fix is shown for those that warn or fail.
fn checks_section(d: &mut Vec<Block>, tk: &TokenReport) {
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
}

fn claims_section(d: &mut Vec<Block>, tk: &TokenReport) {
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
}

/// The trusted certificate that verified the token, else the certificates its KeyInfo carries (not trusted).
fn certificate_section(d: &mut Vec<Block>, tk: &TokenReport) {
    d.push(Block::Heading(3, "Signing certificate".into()));
    if let Some(c) = &tk.signature.certificate {
        d.push(Block::Table(vec!["Field", "Value"], cert_rows(c, None)));
        return;
    }
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

fn claims_rows(c: &Claims) -> Vec<Row> {
    let mut rows = Vec::new();
    let opt = |v: &Option<String>| v.as_ref().map(|v| vec![code(v)]);
    let singles = [
        ("Assertion ID", opt(&c.assertion_id)),
        ("Issuer", opt(&c.issuer)),
        ("Issued", opt(&c.issue_instant)),
    ];
    rows.extend(singles.into_iter().filter_map(|(k, v)| Some(kv(k, v?))));
    if let Some(n) = &c.name_id {
        let mut v = vec![code(&n.value)];
        if let Some(f) = &n.format {
            v.extend([t(" format "), code(f)]);
        }
        rows.push(kv("NameID", v));
    }
    rows.extend(c.audiences.iter().map(|a| kv("Audience", vec![code(a)])));
    rows.extend(
        c.authn_methods
            .iter()
            .map(|m| kv("Authentication method", vec![code(m)])),
    );
    if let Some(v) = &c.authn_instant {
        rows.push(kv("Authenticated", vec![code(v)]));
    }
    if c.not_before.is_some() || c.not_on_or_after.is_some() {
        rows.push(kv(
            "Valid",
            vec![
                code(c.not_before.as_deref().unwrap_or("-")),
                t(" to "),
                code(c.not_on_or_after.as_deref().unwrap_or("-")),
            ],
        ));
    }
    for sc in &c.subject_confirmations {
        let mut v = vec![code(&sc.method)];
        if let Some(r) = &sc.recipient {
            v.extend([t(" recipient "), code(r)]);
        }
        if let Some(n) = &sc.not_on_or_after {
            v.extend([t(" until "), code(n)]);
        }
        rows.push(kv("Subject confirmation", v));
    }
    for a in &c.attributes {
        let mut v = Vec::new();
        for (i, x) in a.values.iter().enumerate() {
            if i > 0 {
                v.push(t(", "));
            }
            v.push(code(x));
        }
        let name = attribute_label(a.namespace.as_deref(), &a.name);
        rows.push(vec![vec![t("Attribute "), code(name)], v]);
    }
    rows
}
