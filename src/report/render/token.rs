//! One token's section of the document: its facts and verdict, its signatures as each engine judged them, the MFA
//! evidence (with the other authentication methods a passing token names, as "also seen"), every check with its fix,
//! the claims (signed, or marked UNVERIFIED) and the signing certificate. The signature table and the certificate
//! repeat what the evidence card and the checks say, so they are closed sections of their own.

use super::document::{cert_rows, code, details, kv, status_badge, t, verdict_badge, Block, Inline, Row};
use super::{protocol_name, token_verdict_reason};
use crate::report::{attribute_label, json_name, source_line, SignatureDetail, TokenReport};
use crate::rules::Status;
use crate::saml::{Claims, SignedBy};
use crate::trust::CertInfo;

/// Token `n`'s section.
pub(super) fn section(n: usize, tk: &TokenReport) -> Block {
    let title = format!(
        "Token {n}: {}: {}",
        protocol_name(tk.protocol),
        tk.verdict.as_str().to_ascii_uppercase()
    );
    details(2, title, true, |d| body(d, tk))
}

fn body(d: &mut Vec<Block>, tk: &TokenReport) {
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

/// Which signature the claims were read from (always shown), then one row per engine and per declared profile of
/// each signature (a closed section: the `signature.*` checks say the same).
fn signature_section(d: &mut Vec<Block>, tk: &TokenReport) {
    let signed_by = match tk.signature.claims_signed_by {
        Some(SignedBy::AssertionSignature) => "the assertion's own signature",
        Some(SignedBy::ResponseSignature) => "the Response signature only",
        None => "no verified signature",
    };
    let engines: Vec<&str> = tk.signature.engines.iter().map(|e| e.name.as_str()).collect();
    let title = format!(
        "Signature: {}{}",
        match tk.signature.claims_signed_by {
            Some(_) if tk.signature.valid => format!("valid, claims read from {signed_by}"),
            _ => "not valid, no claims read from signed bytes".to_string(),
        },
        if engines.is_empty() {
            String::new()
        } else {
            format!(" ({})", engines.join(" + "))
        }
    );
    d.push(details(3, title, false, |d| signature_details(d, tk, signed_by)));
}

fn signature_details(d: &mut Vec<Block>, tk: &TokenReport, signed_by: &str) {
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
    if tk.mfa.satisfied {
        // The MFA signal is there: other methods the token names are facts, not misses.
        let seen = also_seen(tk);
        items.extend(seen.iter().map(|m| {
            vec![
                t(format!("Also seen: {} (", m.kind)),
                code(&m.value),
                t(format!(" in {}), beside the MFA signal", m.location)),
            ]
        }));
        items.extend(
            tk.mfa
                .near_misses
                .iter()
                .filter(|n| !seen.iter().any(|m| n.contains(m.value.as_str())))
                .map(|n| vec![t("Note: "), t(n)]),
        );
    } else {
        items.extend(tk.mfa.near_misses.iter().map(|e| vec![t("Near miss: "), t(e)]));
    }
    if !items.is_empty() {
        d.push(Block::List(items));
    }
}

/// An authentication method a token names besides its MFA signal.
pub(super) struct SeenMethod {
    /// What it is, in a word or two (`password`, `unspecified`, or the value itself).
    pub kind: String,
    /// The value as signed.
    pub value: String,
    /// Where it sits.
    pub location: String,
}

/// The authentication methods the signed claims name that are not the MFA signal the evidence rests on: the
/// AuthnContextClassRef / AuthenticationMethod values, and (WS-Fed) the authnmethodsreferences and
/// authenticationmethod attribute values.
pub(super) fn also_seen(tk: &TokenReport) -> Vec<SeenMethod> {
    let Some(c) = &tk.claims else { return vec![] };
    let in_evidence = |v: &str| tk.mfa.evidence.iter().any(|e| e.ends_with(&format!(" = {v}")));
    let statement = match tk.protocol {
        Some(crate::saml::Protocol::Saml2) => "AuthnContextClassRef",
        _ => "AuthenticationStatement/@AuthenticationMethod",
    };
    let mut out: Vec<SeenMethod> = Vec::new();
    let mut push = |value: &str, location: String| {
        if !in_evidence(value) && !out.iter().any(|m| m.value == value) {
            out.push(SeenMethod {
                kind: method_kind(value),
                value: value.to_string(),
                location,
            });
        }
    };
    for v in &c.authn_methods {
        push(v, statement.to_string());
    }
    if tk.protocol == Some(crate::saml::Protocol::WsfedSaml11) {
        for a in &c.attributes {
            let label = attribute_label(a.namespace.as_deref(), &a.name);
            if label.ends_with("/claims/authnmethodsreferences") || label.ends_with("/claims/authenticationmethod") {
                for v in &a.values {
                    push(v, format!("attribute {label}"));
                }
            }
        }
    }
    out
}

/// A method URI in a word: `password`, `unspecified`, `Windows integrated`, or the URI's last segment.
fn method_kind(v: &str) -> String {
    let last = v
        .rsplit([':', '/', '#'])
        .find(|s| !s.is_empty())
        .unwrap_or(v)
        .to_string();
    match last.to_ascii_lowercase().as_str() {
        "password" | "passwordprotectedtransport" => "password".into(),
        "unspecified" => "unspecified".into(),
        "windows" | "kerberos" => "Windows integrated".into(),
        _ => last,
    }
}

/// Every check; the fix is shown for those that warn or fail.
fn checks_section(d: &mut Vec<Block>, tk: &TokenReport) {
    d.push(Block::Heading(3, "Checks".into()));
    let rows = tk
        .checks
        .iter()
        .map(|c| {
            let mut finding = vec![t(&c.message)];
            if let Some(f) = c.fix.as_ref().filter(|_| c.status >= Status::Warn) {
                finding.extend([Inline::Break, Inline::Strong("Fix: ".into()), t(f)]);
            }
            vec![vec![status_badge(c.status)], vec![code(c.id)], finding]
        })
        .collect();
    d.push(Block::Table(vec!["Status", "Check", "Finding"], rows));
}

fn claims_section(d: &mut Vec<Block>, tk: &TokenReport) {
    if let Some(c) = &tk.claims {
        d.push(details(3, "Signed claims", true, |d| {
            d.push(Block::Table(vec!["Claim", "Value"], claims_rows(c)));
        }));
    } else if let Some(c) = &tk.unverified_claims {
        d.push(details(3, "UNVERIFIED claims", true, |d| {
            d.push(Block::Para(vec![Inline::Strong(
                "These claims are not covered by a verified signature; they do not count.".into(),
            )]));
            d.push(Block::Table(vec!["Claim", "Value"], claims_rows(c)));
        }));
    }
}

/// The trusted certificate that verified the token, else the certificates its KeyInfo carries (not trusted): a
/// closed section, the evidence card shows the subject and thumbprints.
fn certificate_section(d: &mut Vec<Block>, tk: &TokenReport) {
    let title = match &tk.signature.certificate {
        Some(c) => format!("Signing certificate: {}", c.subject),
        None => "Signing certificate: none trusted".to_string(),
    };
    d.push(details(3, title, false, |d| certificate_details(d, tk)));
}

fn certificate_details(d: &mut Vec<Block>, tk: &TokenReport) {
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
