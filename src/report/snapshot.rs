//! CI snapshots of a verdict (`fedcheck check --snapshot FILE`): a normalized, deterministic text summary of a
//! [`Report`] that a team commits beside its captures, so CI fails with a readable diff when the IdP's tokens
//! start to be judged differently.
//!
//! [`render`] keeps what the judgement rests on (verdicts, every check's status and message, the MFA evidence,
//! the algorithms, the trusted certificate, the signed claims) and removes what changes from one sign-in to the
//! next: assertion, response and request IDs become `[id]`, RFC 3339 instants `[instant]` (and an authentication
//! instant's age `[age]`), digest and signature
//! bytes `[bytes]`. Personal claim values (NameID, UPN / IDPEmail / e-mail, ImmutableID) are redacted with
//! [`crate::report::redact::Redactor`], keeping only the kind (`redacted:upn`), so a snapshot can be committed.
//!
//! [`compare`] checks a file against a rendering, [`diff`] shows the difference line by line.

use crate::report::redact::Redactor;
use crate::report::{attribute_label, json_name, protocol_slug, source_line, Report, TokenReport};
use crate::saml::Claims;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

/// The first line of every snapshot; it names the format version.
pub const HEADER: &str = "# fedcheck snapshot v1";

/// A fixed key for the redactor: the hash part of its placeholders is dropped anyway (see [`render`]).
const REDACTION_KEY: &[u8] = b"fedcheck snapshot";

/// What [`compare`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The file did not exist and was written.
    Created,
    /// The file matches.
    Matches,
    /// The file was rewritten (`--update-snapshots`).
    Updated,
    /// The file differs; the diff, old (`-`) to new (`+`).
    Differs(String),
}

/// The largest snapshot file read (`--snapshot FILE`): a normalized verdict is a few KiB per token.
pub const MAX_SNAPSHOT_BYTES: u64 = 64 << 20;

/// Why a snapshot could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The file could not be read or written.
    #[error("snapshot {path}: {error}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        error: std::io::Error,
    },
    /// The existing file is over [`MAX_SNAPSHOT_BYTES`]: not a snapshot fedcheck wrote.
    #[error("--snapshot {path}: larger than the {} limit for a snapshot file; not a snapshot fedcheck wrote", crate::http::size_text(*limit))]
    TooLarge {
        /// The file.
        path: String,
        /// The limit, in bytes.
        limit: u64,
    },
}

/// Normalizes one value: known IDs, instants and signature bytes replaced, redaction hashes dropped.
struct Normalizer {
    ids: Vec<String>,
}

impl Normalizer {
    fn new(r: &Report) -> Normalizer {
        let mut ids = BTreeSet::new();
        for t in &r.tokens {
            for c in [&t.claims, &t.unverified_claims].into_iter().flatten() {
                ids.extend(c.assertion_id.iter().cloned());
                ids.extend(c.subject_confirmations.iter().filter_map(|s| s.in_response_to.clone()));
            }
            if let Some(f) = &t.envelope_fields {
                ids.extend(f.in_response_to.iter().cloned());
            }
            for s in &t.signature.signatures {
                ids.extend(s.reference_id.iter().cloned());
                if let Some(id) = s.declared.reference_uri.as_deref().and_then(|u| u.strip_prefix('#')) {
                    ids.insert(id.to_string());
                }
            }
        }
        let mut ids: Vec<String> = ids.into_iter().filter(|s| s.len() >= 4).collect();
        ids.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        Normalizer { ids }
    }

    fn text(&self, s: &str) -> String {
        let mut out = s.to_string();
        for id in &self.ids {
            out = out.replace(id.as_str(), "[id]");
        }
        ages(&bytes_and_instants(&drop_redaction_hash(&out)))
    }
}

/// `5 min before the evaluation time` -> `[age] before the evaluation time` (`mfa.instant`): the age depends on
/// `--at`, which a snapshot must not.
fn ages(s: &str) -> String {
    let mut out = s.to_string();
    for marker in [" before the evaluation time", " after the evaluation time"] {
        let mut from = 0;
        while let Some(rel) = out[from..].find(marker) {
            let end = from + rel;
            let head = &out[..end];
            // "<number> <unit>" right before the marker.
            let unit_start = head.rfind(' ').map_or(0, |i| i + 1);
            let num_end = unit_start.saturating_sub(1);
            let num_start = head[..num_end].rfind(' ').map_or(0, |i| i + 1);
            let is_age = unit_start > 0
                && ["s", "min", "h", "days"].contains(&&head[unit_start..])
                && !head[num_start..num_end].is_empty()
                && head[num_start..num_end].bytes().all(|b| b.is_ascii_digit());
            if is_age {
                out.replace_range(num_start..end, "[age]");
                from = num_start + "[age]".len() + marker.len();
            } else {
                from = end + marker.len();
            }
        }
    }
    out
}

/// `redacted:KIND:0123456789ab` -> `redacted:KIND`.
fn drop_redaction_hash(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("redacted:") {
        out.push_str(&rest[..i]);
        let after = &rest[i + "redacted:".len()..];
        let kind_len = after.find(|c: char| !c.is_ascii_lowercase()).unwrap_or(after.len());
        out.push_str("redacted:");
        out.push_str(&after[..kind_len]);
        let tail = &after[kind_len..];
        rest = match tail.strip_prefix(':') {
            Some(h) if h.len() >= 12 && h[..12].bytes().all(|b| b.is_ascii_hexdigit()) => &h[12..],
            _ => tail,
        };
    }
    out.push_str(rest);
    out
}

fn is_instant(w: &str) -> bool {
    let b = w.as_bytes();
    b.len() >= 19
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[..4].iter().all(u8::is_ascii_digit)
        && chrono::DateTime::parse_from_rfc3339(w).is_ok()
}

/// Replaces RFC 3339 instants with `[instant]` and long mixed-case base64 runs (digests, signature values) with
/// `[bytes]`. Hex thumbprints (one case) and URIs are kept.
fn bytes_and_instants(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.is_empty() {
            return;
        }
        let lower = word.bytes().any(|b| b.is_ascii_lowercase());
        let upper = word.bytes().any(|b| b.is_ascii_uppercase());
        let digit = word.bytes().any(|b| b.is_ascii_digit());
        let core = word.trim_end_matches(['.', ':', '-']);
        if is_instant(core) {
            out.push_str("[instant]");
            out.push_str(&word[core.len()..]);
        } else if word.len() >= 20 && lower && upper && digit && !word.contains(':') {
            out.push_str("[bytes]");
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in s.chars() {
        // Word characters: the base64 alphabet, plus what an RFC 3339 instant contains.
        if c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '-' | ':' | '.') {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// Renders the normalized, redacted summary of a report.
pub fn render(report: &Report) -> String {
    let redactor = Redactor::new(report, REDACTION_KEY, &[]);
    let r = redactor.report(report);
    let n = Normalizer::new(report);
    let mut o = String::new();
    // The verdict on the first line: a failing baseline is visible at a glance (and `check` refuses to write one
    // without --allow-failing-baseline).
    let _ = writeln!(o, "{HEADER}: verdict {}", r.verdict.as_str());
    let _ = writeln!(
        o,
        "# The verdict of `fedcheck check`, normalized (IDs, instants and signature bytes removed, personal"
    );
    let _ = writeln!(o, "# values redacted). Rewrite with --update-snapshots.");
    let _ = writeln!(o, "verdict: {}", r.verdict.as_str());
    let _ = writeln!(o, "summary: {}", r.summary.counts());
    let _ = writeln!(o, "engines: {}", r.engines.join(", "));
    trust(&mut o, &r);
    for (i, t) in r.tokens.iter().enumerate() {
        token(&mut o, i + 1, t, &n);
    }
    for e in &r.errors {
        let _ = writeln!(o, "input error: {}: {}", e.input, n.text(&e.message));
    }
    o
}

/// The trust anchors (by SHA-256), the metadata's entityID and the expected issuer.
fn trust(o: &mut String, r: &Report) {
    let _ = writeln!(o, "trust:");
    for a in &r.trust.anchors {
        let _ = writeln!(
            o,
            "  anchor: {} (SHA-256 {}) from {}",
            a.certificate.subject, a.certificate.sha256_thumbprint, a.origin
        );
    }
    if let Some(m) = &r.trust.metadata {
        let _ = writeln!(
            o,
            "  metadata: entityID {}, signature {}",
            m.entity_id.as_deref().unwrap_or("-"),
            if m.signature_verified {
                "verified"
            } else {
                "not checked"
            }
        );
    }
    if let Some(i) = &r.trust.expected_issuer {
        let _ = writeln!(o, "  expected issuer: {i}");
    }
}

/// Token `k`: protocol, verdict, signatures, MFA, checks and signed claims.
fn token(o: &mut String, k: usize, t: &TokenReport, n: &Normalizer) {
    let _ = writeln!(o, "token {k}: {}", n.text(&source_line(&t.source)));
    let env = t.envelope.map(|e| json_name(&e)).unwrap_or_else(|| "-".into());
    let _ = writeln!(o, "  protocol: {} ({env})", protocol_slug(t.protocol));
    let _ = writeln!(o, "  verdict: {}", t.verdict.as_str());
    if let Some(e) = &t.error {
        let _ = writeln!(o, "  error: {}", n.text(e));
        return;
    }
    signatures(o, t);
    let _ = writeln!(
        o,
        "  mfa: {}",
        if t.mfa.satisfied { "satisfied" } else { "NOT satisfied" }
    );
    for e in &t.mfa.evidence {
        let _ = writeln!(o, "    evidence: {}", n.text(e));
    }
    for e in &t.mfa.near_misses {
        let _ = writeln!(o, "    near miss: {}", n.text(e));
    }
    let _ = writeln!(o, "  checks:");
    for c in &t.checks {
        let _ = writeln!(o, "    {:<4}  {:<26} {}", c.status.as_str(), c.id, n.text(&c.message));
    }
    if let Some(c) = &t.claims {
        let _ = writeln!(o, "  signed claims:");
        claims(o, c, n);
    }
}

/// The signature verdict, the signer, and each signature's element, result and algorithms.
fn signatures(o: &mut String, t: &TokenReport) {
    let signed_by = t
        .signature
        .claims_signed_by
        .map(|s| json_name(&s))
        .unwrap_or_else(|| "nothing verified".into());
    let _ = writeln!(
        o,
        "  signature: {}, claims from {signed_by}",
        if t.signature.valid { "valid" } else { "NOT valid" }
    );
    if let Some(c) = &t.signature.certificate {
        let _ = writeln!(o, "  signer: {} (SHA-256 {})", c.subject, c.sha256_thumbprint);
    }
    for s in &t.signature.signatures {
        let _ = writeln!(
            o,
            "  signature on {}: {}, {} / {}",
            s.signed_element,
            if s.valid { "valid" } else { "not valid" },
            s.declared.signature_method.as_deref().unwrap_or("-"),
            s.declared.digest_method.as_deref().unwrap_or("-")
        );
    }
}

fn claims(o: &mut String, c: &Claims, n: &Normalizer) {
    if let Some(v) = &c.issuer {
        let _ = writeln!(o, "    issuer: {}", n.text(v));
    }
    if let Some(v) = &c.name_id {
        let _ = writeln!(
            o,
            "    name_id: {} ({})",
            n.text(&v.value),
            v.format.as_deref().unwrap_or("no format")
        );
    }
    for a in &c.audiences {
        let _ = writeln!(o, "    audience: {}", n.text(a));
    }
    for m in &c.authn_methods {
        let _ = writeln!(o, "    authn_method: {}", n.text(m));
    }
    for a in &c.attributes {
        let values: Vec<String> = a.values.iter().map(|v| n.text(v)).collect();
        let _ = writeln!(
            o,
            "    attribute {}: {}",
            attribute_label(a.namespace.as_deref(), &a.name),
            values.join(", ")
        );
    }
}

/// Compares `path` with `rendered`: writes it when missing or when `update` is set, else reports a difference.
pub fn compare(path: &Path, rendered: &str, update: bool) -> Result<Outcome, SnapshotError> {
    let err = |error| SnapshotError::Io {
        path: path.display().to_string(),
        error,
    };
    let write = || -> Result<(), SnapshotError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(err)?;
        }
        std::fs::write(path, rendered).map_err(err)
    };
    use crate::http::{read_file_within, CappedReadError};
    match read_file_within(path, MAX_SNAPSHOT_BYTES) {
        Err(CappedReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            write()?;
            Ok(Outcome::Created)
        }
        Err(CappedReadError::Io(e)) => Err(err(e)),
        Err(CappedReadError::TooLarge { limit }) => Err(SnapshotError::TooLarge {
            path: path.display().to_string(),
            limit,
        }),
        Ok(old) => {
            let old = String::from_utf8_lossy(&old).replace("\r\n", "\n");
            if old == rendered {
                Ok(Outcome::Matches)
            } else if update {
                write()?;
                Ok(Outcome::Updated)
            } else {
                Ok(Outcome::Differs(diff(&old, rendered)))
            }
        }
    }
}

/// A line diff, old to new: `-` removed, `+` added, two lines of context around each change, `...` between.
pub fn diff(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    // Longest common subsequence table (snapshots are small; refuse quadratic work on huge files).
    let ops: Vec<(char, &str)> = if a.len().saturating_mul(b.len()) > 4_000_000 {
        a.iter().map(|l| ('-', *l)).chain(b.iter().map(|l| ('+', *l))).collect()
    } else {
        let mut t = vec![vec![0u32; b.len() + 1]; a.len() + 1];
        for i in (0..a.len()).rev() {
            for j in (0..b.len()).rev() {
                t[i][j] = if a[i] == b[j] {
                    t[i + 1][j + 1] + 1
                } else {
                    t[i + 1][j].max(t[i][j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        let mut ops = Vec::new();
        while i < a.len() || j < b.len() {
            if i < a.len() && j < b.len() && a[i] == b[j] {
                ops.push((' ', a[i]));
                i += 1;
                j += 1;
            } else if i < a.len() && (j == b.len() || t[i + 1][j] >= t[i][j + 1]) {
                ops.push(('-', a[i]));
                i += 1;
            } else {
                ops.push(('+', b[j]));
                j += 1;
            }
        }
        ops
    };
    let changed: Vec<usize> = ops
        .iter()
        .enumerate()
        .filter(|(_, o)| o.0 != ' ')
        .map(|(i, _)| i)
        .collect();
    let near = |i: usize| changed.iter().any(|&c| c.abs_diff(i) <= 2);
    let mut out = String::new();
    let mut skipped = false;
    for (i, (op, line)) in ops.iter().enumerate() {
        if near(i) {
            if skipped {
                out.push_str("  ...\n");
                skipped = false;
            }
            let _ = writeln!(out, "{op} {line}");
        } else {
            skipped = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_are_normalized() {
        assert_eq!(
            ages("authenticated at [instant] (x), 5 min before the evaluation time: y"),
            "authenticated at [instant] (x), [age] before the evaluation time: y"
        );
        assert_eq!(
            ages("26 h after the evaluation time, 3 days before the evaluation time"),
            "[age] after the evaluation time, [age] before the evaluation time"
        );
        assert_eq!(
            ages("long before the evaluation time"),
            "long before the evaluation time"
        );
    }

    #[test]
    fn instants_bytes_and_hashes_are_normalized() {
        assert_eq!(
            bytes_and_instants("expired on 2026-01-15T10:00:00Z (evaluated at 2026-02-01T00:00:00+01:00)"),
            "expired on [instant] (evaluated at [instant])"
        );
        assert_eq!(
            bytes_and_instants("DigestValue NY97YWt7rjgYaAgVIfHl68I8onURAPePlG736ZUROxY=, computed x"),
            "DigestValue [bytes], computed x"
        );
        let kept = "SHA-1 46B8B36FACEFEE67DFAD1F646FB57AF465EAD33E http://schemas.microsoft.com/claims/multipleauthn";
        assert_eq!(bytes_and_instants(kept), kept);
        assert_eq!(
            drop_redaction_hash("UPN = redacted:upn:0123456789ab."),
            "UPN = redacted:upn."
        );
    }

    #[test]
    fn diff_shows_changes_with_context() {
        let d = diff("a\nb\nc\nd\ne\nf\ng\n", "a\nb\nc\nD\ne\nf\ng\n");
        assert_eq!(d, "  ...\n  b\n  c\n- d\n+ D\n  e\n  f\n");
        assert_eq!(diff("x\n", "x\n"), "");
    }
}
