//! Redaction of sign-in inputs for evidence bundles: every personal value collected while reading (user principal
//! names, display names, user object IDs, IP addresses) is replaced by its placeholder wherever it occurs in the
//! file's bytes, as written or JSON-escaped, in one Aho-Corasick pass (leftmost-longest, ASCII case-insensitive,
//! whole words only: a value inside a longer word is left alone). Field names are never values, so the file keeps
//! its shape. A user principal name gets the placeholder the token copies use for it (kind `upn`, computed on the
//! lower-cased value), so one user is one placeholder across the whole bundle.

use super::aggregate::SigninsReport;
use aho_corasick::{AhoCorasick, MatchKind};
use std::collections::{BTreeSet, HashMap};

/// The placeholders for a run's personal values.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// (value as written, placeholder), for the raw inputs.
    pub pairs: Vec<(String, String)>,
    /// Lower-cased user principal name -> placeholder, for the reports.
    pub upn: HashMap<String, String>,
    /// What was redacted, for the redaction note.
    pub fields: Vec<String>,
}

/// Placeholders for every personal value; `token_pairs` are the token redactor's, reused for the same UPN;
/// `placeholder(kind, value)` makes a new one.
pub fn plan(
    personal: &BTreeSet<(&'static str, String)>,
    token_pairs: &[(String, String)],
    placeholder: &dyn Fn(&str, &str) -> String,
) -> Plan {
    let known: HashMap<String, &String> = token_pairs.iter().map(|(v, p)| (v.to_lowercase(), p)).collect();
    let mut plan = Plan::default();
    let mut kinds = BTreeSet::new();
    let mut seen = std::collections::HashSet::new();
    for (kind, v) in personal {
        let v = v.trim();
        if v.is_empty() || !seen.insert((*kind, v.to_string())) {
            continue;
        }
        let p = if *kind == "upn" {
            let l = v.to_lowercase();
            let p = match known.get(&l) {
                Some(p) => (*p).clone(),
                None => plan.upn.get(&l).cloned().unwrap_or_else(|| placeholder("upn", &l)),
            };
            plan.upn.insert(l, p.clone());
            p
        } else {
            placeholder(kind, v)
        };
        kinds.insert(match *kind {
            "upn" => "sign-in logs: user principal name",
            "name" => "sign-in logs: user display name",
            "userid" => "sign-in logs: user object ID",
            "ip" => "sign-in logs: IP address",
            _ => "sign-in logs: other",
        });
        plan.pairs.push((v.to_string(), p));
    }
    plan.pairs.extend(token_pairs.iter().cloned());
    plan.fields = kinds.into_iter().map(str::to_string).collect();
    plan
}

/// The report with every user principal name replaced by its placeholder.
pub fn report(r: &SigninsReport, plan: &Plan) -> SigninsReport {
    let mut r = r.clone();
    let swap = |u: &mut String| {
        if let Some(p) = plan.upn.get(&u.to_lowercase()) {
            *u = p.clone();
        }
    };
    for u in &mut r.users {
        swap(&mut u.user);
    }
    if let Some(p) = &mut r.partner_report {
        for u in &mut p.users {
            swap(&mut u.user);
        }
    }
    r.users
        .sort_by(|a, b| b.without_mfa.cmp(&a.without_mfa).then_with(|| a.user.cmp(&b.user)));
    r
}

/// Values to replace, with their placeholders.
pub struct InputRedactor {
    ac: Option<AhoCorasick>,
    repl: Vec<String>,
}

fn word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

impl InputRedactor {
    /// Builds the matcher from (value, placeholder) pairs; values shorter than 3 bytes are skipped.
    pub fn new(pairs: &[(String, String)]) -> Result<Self, String> {
        let mut pats: Vec<String> = Vec::new();
        let mut repl: Vec<String> = Vec::new();
        let mut add = |p: String, r: &str| {
            if p.len() >= 3 && !pats.contains(&p) {
                pats.push(p);
                repl.push(r.to_string());
            }
        };
        for (v, p) in pairs {
            add(v.clone(), p);
            if let Ok(j) = serde_json::to_string(v) {
                let inner = &j[1..j.len() - 1];
                if inner != v {
                    add(inner.to_string(), p);
                }
            }
            if v.contains('"') {
                add(v.replace('"', "\"\""), p);
            }
        }
        if pats.is_empty() {
            return Ok(InputRedactor { ac: None, repl });
        }
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .ascii_case_insensitive(true)
            .build(&pats)
            .map_err(|e| format!("cannot build the redaction matcher: {e}"))?;
        Ok(InputRedactor { ac: Some(ac), repl })
    }

    /// The bytes with every whole occurrence replaced.
    pub fn apply(&self, bytes: &[u8]) -> Vec<u8> {
        let Some(ac) = &self.ac else {
            return bytes.to_vec();
        };
        let mut out = Vec::with_capacity(bytes.len());
        let mut last = 0;
        for m in ac.find_iter(bytes) {
            let (s, e) = (m.start(), m.end());
            let first_word = word(bytes[s]);
            let last_word = word(bytes[e - 1]);
            let before_ok = s == 0 || !(first_word && word(bytes[s - 1]));
            let after_ok = e == bytes.len() || !(last_word && word(bytes[e]));
            if before_ok && after_ok {
                out.extend_from_slice(&bytes[last..s]);
                out.extend_from_slice(self.repl[m.pattern().as_usize()].as_bytes());
                last = e;
            }
        }
        out.extend_from_slice(&bytes[last..]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_values_only_and_escaped_forms() {
        let r = InputRedactor::new(&[
            ("alice@contoso.test".into(), "redacted:upn:1".into()),
            ("Zoë \"Z\" Doe".into(), "redacted:name:2".into()),
            ("10.0.0.1".into(), "redacted:ip:3".into()),
        ])
        .unwrap();
        let input = "{\"upn\":\"alice@contoso.test\",\"n\":\"Zoë \\\"Z\\\" Doe\",\"ip\":\"10.0.0.12\",\"x\":\"malice@contoso.test\"}\nZoë \"\"Z\"\" Doe,10.0.0.1";
        let out = String::from_utf8(r.apply(input.as_bytes())).unwrap();
        assert!(out.contains("\"upn\":\"redacted:upn:1\""), "{out}");
        assert!(out.contains("\"n\":\"redacted:name:2\""), "{out}");
        assert!(out.contains("10.0.0.12"), "{out}");
        assert!(out.contains("malice@contoso.test"), "{out}");
        assert!(out.ends_with("redacted:name:2,redacted:ip:3"), "{out}");
    }
}
