//! The terminal report (`fedcheck check`, the default format): the trust in use, every token's checks with their
//! fixes, its claims (signed, or marked UNVERIFIED), its verdict, the evidence chain and a summary line. Colour is
//! optional ([`Style`]); nothing else changes with it.

use super::{source_line, Report, TokenReport, Verdict};
use crate::entra::chain::Chain;
use crate::rules::Status;
use crate::saml::{Claims, Protocol};
use std::fmt::Write as _;

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
        let code = match st {
            Status::Pass => "32",
            Status::Info => "36",
            Status::Warn => "33",
            Status::Fail => "31;1",
        };
        self.paint(code, &st.as_str().to_ascii_uppercase())
    }

    fn verdict(&self, v: Verdict) -> String {
        let code = match v {
            Verdict::Pass => "32;1",
            Verdict::Fail => "31;1",
            Verdict::Error => "35;1",
        };
        self.paint(code, &v.as_str().to_ascii_uppercase())
    }
}

/// Renders the terminal report.
pub fn to_text(r: &Report, style: Style) -> String {
    let mut out = String::new();
    trust_text(&mut out, r, style);
    for (i, t) in r.tokens.iter().enumerate() {
        let _ = writeln!(out);
        token_text(&mut out, i + 1, t, style);
    }
    if let Some(ch) = &r.chain {
        let _ = writeln!(out);
        chain_text(&mut out, ch, style);
    }
    for e in &r.errors {
        let _ = writeln!(out);
        let _ = writeln!(out, "{} {}: {}", style.verdict(Verdict::Error), e.input, e.message);
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Summary: {}. Verdict: {}",
        r.summary.counts(),
        style.verdict(r.verdict)
    );
    out
}

/// The first lines: version, evaluation time, engines, and the trust anchors and metadata in use.
fn trust_text(out: &mut String, r: &Report, style: Style) {
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
                "No trusted certificate given: claims below are UNVERIFIED (use --idp-cert, --metadata or --federation-config)."
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
}

/// How the token arrived, when it was not plain UTF-8 XML: the character encoding decoded and the compression
/// undone (the JSON's `encoding` and `source.compression`).
fn encoding_line(t: &TokenReport) -> Option<String> {
    let charset = t.encoding.as_deref().filter(|e| !e.eq_ignore_ascii_case("UTF-8"));
    let deflate = t.source.compression.as_deref();
    let mut parts = Vec::new();
    if let Some(c) = charset {
        parts.push(format!("decoded from {c}"));
    }
    if let Some(z) = deflate {
        parts.push(format!(
            "base64 of {z}-compressed XML (the HTTP-Redirect binding's encoding), inflated"
        ));
    }
    (!parts.is_empty()).then(|| format!("Encoding: {}", parts.join("; ")))
}

/// One token: its source and protocol, every check (with the fix of those that warn or fail), its claims and its
/// verdict.
fn token_text(out: &mut String, n: usize, t: &TokenReport, style: Style) {
    let proto = match t.protocol {
        Some(Protocol::Saml2) => "SAML 2.0",
        Some(Protocol::WsfedSaml11) => "WS-Fed / SAML 1.1",
        None => "unknown",
    };
    let _ = writeln!(out, "Token {n}: {}  [{}]", source_line(&t.source), proto);
    if let Some(e) = encoding_line(t) {
        let _ = writeln!(out, "  {e}");
    }
    if let Some(e) = &t.error {
        let _ = writeln!(out, "  {}  {e}", style.verdict(Verdict::Error));
        return;
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
        claims_text(out, c, "    ");
    } else if let Some(c) = &t.unverified_claims {
        let _ = writeln!(
            out,
            "  {}",
            style.paint(
                "33",
                "UNVERIFIED claims (not covered by a verified signature; they do not count):"
            )
        );
        claims_text(out, c, "    ");
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
        // The namespace as received (a trailing `/` is kept here, unlike the other formats).
        let name = match &a.namespace {
            Some(ns) if !ns.starts_with("urn:oasis") => format!("{ns}/{}", a.name),
            _ => a.name.clone(),
        };
        row("Attribute", &format!("{name} = {}", a.values.join(", ")));
    }
}

/// The evidence chain: each IdP token, the Entra token linked to it, and the three links.
fn chain_text(out: &mut String, ch: &Chain, style: Style) {
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
