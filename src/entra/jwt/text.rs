//! The terminal rendering of a `check-token` report: per token its source, header, claims and checks, then the
//! verdict. The token text itself never appears.

use super::checks::{instant, rfc, show};
use super::{AccessTokenReport, CheckTokenReport};
use serde_json::Value;

/// The terminal rendering.
pub fn to_text(r: &CheckTokenReport, jwks_location: &str) -> String {
    let mut s = String::new();
    for (i, t) in r.tokens.iter().enumerate() {
        s.push_str(&format!("Token {}: {}\n", i + 1, t.source.line()));
        s.push_str(&header_line(t));
        if let Some(line) = claims_line(t) {
            s.push_str(&line);
        }
        for c in &t.checks {
            s.push_str(&format!(
                "  {:<4} {:<14} {}\n",
                c.status.as_str().to_uppercase(),
                c.id,
                c.message
            ));
            if let Some(f) = &c.fix {
                s.push_str(&format!("       fix: {f}\n"));
            }
        }
        s.push('\n');
    }
    s.push_str(&format!(
        "Keys: {jwks_location}. Verdict: {} ({} token(s))\n",
        r.verdict.to_uppercase(),
        r.tokens.len()
    ));
    s
}

fn header_line(t: &AccessTokenReport) -> String {
    format!(
        "  header: alg {}, kid {}, typ {}{}\n",
        t.header.alg.as_deref().unwrap_or("-"),
        t.header.kid.as_deref().unwrap_or("-"),
        t.header.typ.as_deref().unwrap_or("-"),
        if t.header.ignored.is_empty() {
            String::new()
        } else {
            format!(", ignored: {}", t.header.ignored.join(", "))
        }
    )
}

/// The claims present, times as RFC 3339.
fn claims_line(t: &AccessTokenReport) -> Option<String> {
    let Ok(Value::Object(m)) = serde_json::to_value(&t.claims) else {
        return None;
    };
    let parts: Vec<String> = m
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| match (k.as_str(), instant(Some(v))) {
            ("iat" | "nbf" | "exp", Some(t)) => format!("{k} {}", rfc(t)),
            _ => format!("{k} {}", show(v)),
        })
        .collect();
    Some(format!("  claims: {}\n", parts.join("; ")))
}
