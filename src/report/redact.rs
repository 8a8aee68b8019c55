//! Redaction: personal values replaced by keyed-hash placeholders before a report leaves the machine.
//!
//! [`Redactor`] collects the personal claim values of a report (NameID, UPN, e-mail, ImmutableID, and attributes
//! named with `--redact`) and replaces each, wherever it appears, by `redacted:KIND:HEX12`, the first 12 hex
//! digits of HMAC-SHA256(key, KIND || 0x00 || value): in the report (claims, check messages, MFA evidence, engine
//! details) and in token copies (text, comments, CDATA and attribute values, in every escaped form). The same
//! value always gets the same placeholder, so tokens can still be compared. [`RedactionNote`] says what was done.

use super::{attribute_label, escape, hex, Report};
use crate::saml::Claims;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

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

/// Kinds of redacted field, in priority order: a value seen in several kinds takes the first kind's placeholder,
/// so one value maps to one placeholder across the whole bundle (NameID usually equals ImmutableID).
const KINDS: [&str; 5] = ["nameid", "immutableid", "upn", "email", "attr"];

/// The personal values found, each with its best (lowest) kind rank, and the fields they came from.
#[derive(Default)]
struct Values {
    best: BTreeMap<String, usize>,
    fields: BTreeSet<String>,
}

impl Values {
    fn note(&mut self, value: &str, kind: &str) {
        let v = value.trim();
        if v.is_empty() {
            return;
        }
        let rank = KINDS.iter().position(|k| *k == kind).unwrap_or(KINDS.len() - 1);
        for form in [v, value] {
            let e = self.best.entry(form.to_string()).or_insert(rank);
            *e = (*e).min(rank);
        }
    }

    fn claims(&mut self, c: &Claims, extra: &[String]) {
        if let Some(n) = &c.name_id {
            self.note(&n.value, "nameid");
            self.fields.insert("NameID".to_string());
        }
        for a in &c.attributes {
            if let Some((kind, label)) = attribute_kind(&a.name, a.namespace.as_deref(), extra) {
                for v in &a.values {
                    self.note(v, kind);
                }
                self.fields.insert(label);
            }
        }
    }

    /// Every NameID / NameIdentifier and personal attribute value of every assertion in a token document.
    fn document(&mut self, bytes: &[u8], extra: &[String]) {
        let Ok(decoded) = crate::xml::decode_document(bytes) else {
            return;
        };
        let Ok(doc) = crate::xml::Document::parse(&decoded.utf8, &crate::xml::Limits::default()) else {
            return;
        };
        for id in doc.element_ids() {
            let Some(e) = doc.element(id) else { continue };
            let saml = matches!(e.ns.as_deref(), Some(crate::dsig::SAML2_NS | crate::dsig::SAML1_NS));
            if saml && (e.local == "NameID" || e.local == "NameIdentifier") {
                self.note(&doc.text(id), "nameid");
                self.fields.insert("NameID".to_string());
            } else if saml && e.local == "Attribute" {
                let name = e.attr("Name").or_else(|| e.attr("AttributeName")).unwrap_or("");
                let namespace = e.attr("NameFormat").or_else(|| e.attr("AttributeNamespace"));
                if let Some((kind, label)) = attribute_kind(name, namespace, extra) {
                    for v in doc.child_elements(id) {
                        self.note(&doc.text(v), kind);
                    }
                    self.fields.insert(label);
                }
            }
        }
    }
}

/// Replaces personal values with keyed-hash placeholders, consistently.
#[derive(Debug, Clone)]
pub struct Redactor {
    /// value -> placeholder, longest values first for matching.
    pairs: Vec<(String, String)>,
    fields: BTreeSet<String>,
    /// The matchers, built once on first use: the values as they are, their XML-escaped forms, and every form the
    /// final sweep replaces.
    plain: OnceLock<Replacer>,
    escaped: OnceLock<Replacer>,
    every: OnceLock<Replacer>,
}

/// Replaces many needles in one pass (Aho-Corasick, leftmost-longest, ASCII case ignored), each only where it is
/// not part of a longer word.
#[derive(Debug, Clone)]
struct Replacer {
    ac: Option<aho_corasick::AhoCorasick>,
    needles: Vec<String>,
    replacements: Vec<String>,
}

impl Replacer {
    fn new(forms: &[(String, String)]) -> Replacer {
        let (needles, replacements): (Vec<String>, Vec<String>) =
            forms.iter().filter(|(n, _)| !n.is_empty()).cloned().unzip();
        let ac = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .build(&needles)
            .ok();
        Replacer {
            ac,
            needles,
            replacements,
        }
    }

    /// `s` with every bounded match replaced; a placeholder written is never matched again.
    fn replace(&self, s: &str) -> String {
        let Some(ac) = &self.ac else {
            // The automaton could not be built (never seen within fedcheck's input limits): the simple scan.
            let pairs = self.needles.iter().zip(&self.replacements);
            return replace_bounded(s, pairs.map(|(a, b)| (a.as_str(), b.as_str())));
        };
        let mut out = String::with_capacity(s.len());
        let mut i = 0;
        while let Some(m) = ac.find(aho_corasick::Input::new(s).span(i..s.len())) {
            if bounded(s, m.start(), m.end()) {
                out.push_str(&s[i..m.start()]);
                out.push_str(&self.replacements[m.pattern().as_usize()]);
                i = m.end();
            } else {
                let next = m.start() + s[m.start()..].chars().next().map_or(1, char::len_utf8);
                out.push_str(&s[i..next]);
                i = next;
            }
        }
        out.push_str(&s[i..]);
        out
    }

    /// The first needle found bounded in `s`, if any.
    fn first_in(&self, s: &str) -> Option<&str> {
        let Some(ac) = &self.ac else {
            return self.needles.iter().find(|n| contains_bounded(s, n)).map(String::as_str);
        };
        let mut i = 0;
        while let Some(m) = ac.find(aho_corasick::Input::new(s).span(i..s.len())) {
            if bounded(s, m.start(), m.end()) {
                return Some(&self.needles[m.pattern().as_usize()]);
            }
            i = m.start() + s[m.start()..].chars().next().map_or(1, char::len_utf8);
        }
        None
    }
}

/// Whether `s[start..end]` is not part of a longer word.
fn bounded(s: &str, start: usize, end: usize) -> bool {
    let m = &s[start..end];
    let before_ok = match (s[..start].chars().next_back(), m.chars().next()) {
        (Some(p), Some(f)) => !(is_word(p) && is_word(f)),
        _ => true,
    };
    let after_ok = match (s[end..].chars().next(), m.chars().next_back()) {
        (Some(n), Some(l)) => !(is_word(n) && is_word(l)),
        _ => true,
    };
    before_ok && after_ok
}

/// `redacted:KIND:` + the first 12 hex digits of HMAC-SHA256(key, KIND || 0x00 || value).
pub fn placeholder(key: &[u8], kind: &str, value: &str) -> String {
    let pkey = openssl::pkey::PKey::hmac(key).expect("HMAC key");
    let mut signer = openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &pkey).expect("HMAC");
    signer.update(kind.as_bytes()).expect("HMAC");
    signer.update(&[0]).expect("HMAC");
    signer.update(value.as_bytes()).expect("HMAC");
    let mac = signer.sign_to_vec().expect("HMAC");
    format!("redacted:{kind}:{}", &hex(&mac)[..12])
}

fn last_segment(s: &str) -> &str {
    s.rsplit(['/', ':', '#']).next().unwrap_or(s)
}

/// The redaction kind of an attribute, with the label the reports use.
pub(crate) fn attribute_kind(name: &str, namespace: Option<&str>, extra: &[String]) -> Option<(&'static str, String)> {
    let seg = last_segment(name).to_ascii_lowercase();
    let full = attribute_label(namespace, name);
    let kind = match seg.as_str() {
        "immutableid" => Some("immutableid"),
        "upn" | "idpemail" | "userprincipalname" => Some("upn"),
        "emailaddress" | "email" | "mail" | "emailaddresses" => Some("email"),
        _ => None,
    };
    if let Some(k) = kind {
        return Some((k, format!("{} ({full})", name_label(k))));
    }
    let wanted = extra
        .iter()
        .any(|x| x.eq_ignore_ascii_case(name) || x.eq_ignore_ascii_case(&full) || x.eq_ignore_ascii_case(&seg));
    wanted.then(|| ("attr", format!("attribute {full} (--redact)")))
}

fn name_label(kind: &str) -> &'static str {
    match kind {
        "nameid" => "NameID",
        "immutableid" => "ImmutableID",
        "upn" => "UPN",
        "email" => "e-mail",
        _ => "attribute",
    }
}

impl Redactor {
    /// Collects the values to redact from every token's claims (signed or not).
    pub fn new(report: &Report, key: &[u8], extra: &[String]) -> Redactor {
        Redactor::with_documents(report, &[], key, extra)
    }

    /// Like [`Redactor::new`], and also the personal values of every assertion in the token documents (an
    /// assertion fedcheck ignored, a second one, an unsigned one), read as an XML parser reads them: entity
    /// references resolved and comments dropped, so `alice&#64;contoso.com` or `alice<!--x-->@contoso.com` is known
    /// as `alice@contoso.com` and every form of it is replaced.
    pub fn with_documents(report: &Report, documents: &[&[u8]], key: &[u8], extra: &[String]) -> Redactor {
        let mut values = Values::default();
        for tk in &report.tokens {
            for c in [&tk.claims, &tk.unverified_claims].into_iter().flatten() {
                values.claims(c, extra);
            }
        }
        for d in documents {
            values.document(d, extra);
        }
        let mut pairs: Vec<(String, String)> = values
            .best
            .into_iter()
            .map(|(v, rank)| {
                let p = placeholder(key, KINDS[rank], &v);
                (v, p)
            })
            .collect();
        pairs.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
        Redactor::from_pairs(pairs, values.fields)
    }

    pub(crate) fn from_pairs(pairs: Vec<(String, String)>, fields: BTreeSet<String>) -> Redactor {
        Redactor {
            pairs,
            fields,
            plain: OnceLock::new(),
            escaped: OnceLock::new(),
            every: OnceLock::new(),
        }
    }

    /// The (value, placeholder) pairs, longest value first.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// Number of distinct values replaced.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether nothing is redacted.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The fields redacted, for the reports.
    pub fn fields(&self) -> Vec<String> {
        self.fields.iter().cloned().collect()
    }

    /// Replaces every whole occurrence (not inside a longer word) of a redacted value, in one pass, so a
    /// placeholder is never redacted again.
    pub fn text(&self, s: &str) -> String {
        self.plain.get_or_init(|| Replacer::new(&self.pairs)).replace(s)
    }

    fn apply(&self, s: &mut String) {
        if !self.pairs.is_empty() {
            *s = self.text(s);
        }
    }

    fn apply_opt(&self, s: &mut Option<String>) {
        if let Some(x) = s {
            self.apply(x);
        }
    }

    fn claims(&self, c: &mut Claims) {
        self.apply_opt(&mut c.assertion_id);
        self.apply_opt(&mut c.issuer);
        if let Some(n) = &mut c.name_id {
            self.apply(&mut n.value);
        }
        for a in &mut c.attributes {
            for v in &mut a.values {
                self.apply(v);
            }
        }
        for sc in &mut c.subject_confirmations {
            self.apply_opt(&mut sc.in_response_to);
        }
    }

    /// Redacts a report: claims, check messages and fixes, MFA evidence, engine details, errors, and where each
    /// token came from (a file name holding a UPN; a HAR request URL's query, which carries `login_hint` or
    /// `username`, is dropped).
    pub fn report(&self, r: &Report) -> Report {
        let mut r = r.clone();
        for e in &mut r.errors {
            self.apply(&mut e.input);
            self.apply(&mut e.message);
        }
        for tk in &mut r.tokens {
            self.apply(&mut tk.source.input);
            if let Some(u) = &mut tk.source.url {
                if let Some(q) = u.find('?') {
                    u.truncate(q);
                    u.push_str("?[query removed]");
                }
                self.apply(u);
            }
            if let Some(c) = &mut tk.claims {
                self.claims(c);
            }
            if let Some(c) = &mut tk.unverified_claims {
                self.claims(c);
            }
            for c in &mut tk.checks {
                self.apply(&mut c.message);
                self.apply_opt(&mut c.fix);
            }
            for e in tk.mfa.evidence.iter_mut().chain(tk.mfa.near_misses.iter_mut()) {
                self.apply(e);
            }
            self.apply_opt(&mut tk.error);
            for e in &mut tk.signature.engines {
                self.apply(&mut e.detail);
            }
            for s in &mut tk.signature.signatures {
                for e in &mut s.engines {
                    self.apply(&mut e.detail);
                }
            }
            if let Some(f) = &mut tk.envelope_fields {
                self.apply_opt(&mut f.status_message);
            }
        }
        r
    }

    /// Redacts a token's XML text: only in text content, comments, CDATA and attribute values (never in element
    /// or attribute names), matching the values as they appear escaped in XML.
    pub fn xml(&self, xml: &str) -> String {
        if self.pairs.is_empty() {
            return xml.to_string();
        }
        let replacer = self.escaped.get_or_init(|| Replacer::new(&self.xml_forms()));
        let red = |seg: &str| replacer.replace(seg);
        let mut out = String::with_capacity(xml.len());
        let mut i = 0;
        while let Some(lt) = xml[i..].find('<').map(|rel| i + rel) {
            out.push_str(&red(&xml[i..lt]));
            i = if xml[lt..].starts_with("<!--") {
                delimited(xml, lt, "<!--", "-->", &red, &mut out)
            } else if xml[lt..].starts_with("<![CDATA[") {
                delimited(xml, lt, "<![CDATA[", "]]>", &red, &mut out)
            } else {
                tag(xml, lt, &red, &mut out)
            };
        }
        out.push_str(&red(&xml[i..]));
        out
    }

    /// A redacted copy of a token document. The values are replaced in every form they take in the text; when one
    /// still survives as a parser reads the copy (a value split by a comment, or written with character
    /// references), the copy is the document's canonical form instead (comments dropped, references resolved), with
    /// the values replaced there.
    pub fn token_copy(&self, xml: &str) -> String {
        let copy = self.xml(xml);
        if self.survives_in_document(copy.as_bytes()).is_none() {
            return copy;
        }
        let canonical = crate::xml::decode_document(xml.as_bytes())
            .ok()
            .and_then(|d| crate::xml::Document::parse(&d.utf8, &crate::xml::Limits::default()).ok())
            .and_then(|doc| crate::xml::c14n::canonicalize(&doc, doc.root(), &Default::default()).ok())
            .and_then(|b| String::from_utf8(b).ok());
        match canonical {
            Some(c) => self.xml(&c),
            None => copy,
        }
    }

    /// A redacted value a parser still reads in `xml` (in text or attribute values), if any.
    fn survives_in_document(&self, xml: &[u8]) -> Option<&str> {
        let decoded = crate::xml::decode_document(xml).ok()?;
        let doc = crate::xml::Document::parse(&decoded.utf8, &crate::xml::Limits::default()).ok()?;
        let mut texts: Vec<String> = doc.element_ids().map(|id| doc.text(id)).collect();
        texts.extend(doc.elements().flat_map(|e| e.attrs.iter().map(|a| a.value.clone())));
        self.pairs
            .iter()
            .map(|(v, _)| v.as_str())
            .filter(|v| v.chars().count() >= 3)
            .find(|v| texts.iter().any(|t| contains_bounded(t, v)))
    }

    /// Replaces every form a redacted value can take in any file of a bundle: as is, lower-cased, escaped for XML,
    /// and percent-encoded (a URL or a form body).
    pub fn sweep(&self, text: &str) -> String {
        if self.pairs.is_empty() {
            return text.to_string();
        }
        self.every
            .get_or_init(|| Replacer::new(&self.sweep_forms()))
            .replace(text)
    }

    /// Every form the sweep replaces: the XML forms, and each value lower-cased and percent-encoded (as in a URL).
    fn sweep_forms(&self) -> Vec<(String, String)> {
        let mut forms = self.xml_forms();
        for (v, p) in &self.pairs {
            let lower = v.to_lowercase();
            let encoded: String = form_urlencoded::byte_serialize(v.as_bytes()).collect();
            let encoded_lower: String = form_urlencoded::byte_serialize(lower.as_bytes()).collect();
            let percent = encoded.replace('+', "%20");
            for f in [lower, encoded, encoded_lower, percent] {
                if !forms.iter().any(|(x, _)| *x == f) {
                    forms.push((f, p.clone()));
                }
            }
        }
        forms
    }

    /// A redacted value (of three characters or more) still present in `text`, ignoring case: the final check on
    /// every file of a bundle.
    pub fn survivor(&self, text: &str) -> Option<&str> {
        let lower = text.to_lowercase();
        let found = self.plain.get_or_init(|| Replacer::new(&self.pairs)).first_in(&lower)?;
        let value = self
            .pairs
            .iter()
            .map(|(v, _)| v.as_str())
            .find(|v| v.eq_ignore_ascii_case(found))?;
        if value.chars().count() >= 3 {
            return Some(value);
        }
        // A short value matched first: look for the longer ones alone.
        self.pairs
            .iter()
            .map(|(v, _)| v.as_str())
            .filter(|v| v.chars().count() >= 3)
            .find(|v| contains_bounded(&lower, &v.to_lowercase()))
    }

    /// Every form a redacted value can take in XML (as is, and escaped as text or attribute content), each with its
    /// placeholder, longest first.
    fn xml_forms(&self) -> Vec<(String, String)> {
        let mut forms: Vec<(String, String)> = Vec::new();
        for (v, p) in &self.pairs {
            forms.push((v.clone(), p.clone()));
            for esc in [escape::xml_content(v), escape::xml(v)] {
                if esc != *v && !forms.iter().any(|(f, _)| *f == esc) {
                    forms.push((esc, p.clone()));
                }
            }
        }
        forms.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
        forms
    }
}

/// A comment or CDATA section starting at `start`: the delimiters copied, the content redacted. Returns where it
/// ends (the end of the text when it is not closed).
fn delimited(
    xml: &str,
    start: usize,
    open: &str,
    close: &str,
    red: &dyn Fn(&str) -> String,
    out: &mut String,
) -> usize {
    let end = xml[start..].find(close).map_or(xml.len(), |e| start + e + close.len());
    let body_start = start + open.len();
    let body_end = end.saturating_sub(close.len()).max(body_start);
    out.push_str(open);
    out.push_str(&red(&xml[body_start..body_end]));
    out.push_str(&xml[body_end..end]);
    end
}

/// A tag starting at `start`: names copied verbatim, quoted attribute values redacted. Returns where it ends.
fn tag(xml: &str, start: usize, red: &dyn Fn(&str) -> String, out: &mut String) -> usize {
    let b = xml.as_bytes();
    let mut j = start;
    let mut quote: Option<u8> = None;
    let mut seg_start = start;
    while j < b.len() {
        let c = b[j];
        match quote {
            Some(q) if c == q => {
                out.push_str(&red(&xml[seg_start..j]));
                seg_start = j;
                quote = None;
            }
            Some(_) => {}
            None if c == b'"' || c == b'\'' => {
                out.push_str(&xml[seg_start..=j]);
                seg_start = j + 1;
                quote = Some(c);
            }
            None if c == b'>' => break,
            None => {}
        }
        j += 1;
    }
    let end = (j + 1).min(b.len());
    out.push_str(&xml[seg_start..end]);
    end
}

/// Whether `needle` occurs in `hay` not inside a longer word (the same rule as [`replace_bounded`]).
fn contains_bounded(hay: &str, needle: &str) -> bool {
    let mut from = 0;
    while let Some(rel) = hay[from..].find(needle) {
        let at = from + rel;
        let before_ok = match (hay[..at].chars().next_back(), needle.chars().next()) {
            (Some(p), Some(f)) => !(is_word(p) && is_word(f)),
            _ => true,
        };
        let after = &hay[at + needle.len()..];
        let after_ok = match (after.chars().next(), needle.chars().next_back()) {
            (Some(n), Some(l)) => !(is_word(n) && is_word(l)),
            _ => true,
        };
        if before_ok && after_ok {
            return true;
        }
        from = at + needle.chars().next().map_or(1, char::len_utf8);
    }
    false
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Replaces occurrences of each needle that are not part of a longer word (the characters around the match are
/// not letters, digits or `_`, or the needle itself starts/ends with a non-word character), left to right, one
/// pass, needles tried in the given order (longest first).
fn replace_bounded<'a>(s: &str, pairs: impl Iterator<Item = (&'a str, &'a str)> + Clone) -> String {
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    'outer: while i < s.len() {
        let rest = &s[i..];
        for (needle, repl) in pairs.clone() {
            if needle.is_empty() || !rest.starts_with(needle) {
                continue;
            }
            let before_ok = match (s[..i].chars().next_back(), needle.chars().next()) {
                (Some(p), Some(f)) => !(is_word(p) && is_word(f)),
                _ => true,
            };
            let after_ok = match (rest[needle.len()..].chars().next(), needle.chars().next_back()) {
                (Some(n), Some(l)) => !(is_word(n) && is_word(l)),
                _ => true,
            };
            if before_ok && after_ok {
                out.push_str(repl);
                i += needle.len();
                continue 'outer;
            }
        }
        let ch = rest.chars().next().expect("non-empty");
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_replacement() {
        let pairs = [("alice@contoso.test", "P1"), ("bob", "P2")];
        let r = replace_bounded("UPN = alice@contoso.test; bobby bob.", pairs.iter().copied());
        assert_eq!(r, "UPN = P1; bobby P2.");
        // A placeholder is never redacted again.
        let r = replace_bounded("upn", [("upn", "redacted:upn:1"), ("redacted", "X")].iter().copied());
        assert_eq!(r, "redacted:upn:1");
    }

    #[test]
    fn placeholders_are_keyed_and_stable() {
        let a = placeholder(b"k", "upn", "alice@contoso.test");
        assert_eq!(a, placeholder(b"k", "upn", "alice@contoso.test"));
        assert_ne!(a, placeholder(b"k2", "upn", "alice@contoso.test"));
        assert_ne!(a, placeholder(b"k", "email", "alice@contoso.test"));
        assert!(a.starts_with("redacted:upn:") && a.len() == "redacted:upn:".len() + 12);
    }

    #[test]
    fn xml_redaction_keeps_markup() {
        let r = Redactor::from_pairs(
            vec![("saml".into(), "R".into()), ("a&b".into(), "Q".into())],
            BTreeSet::new(),
        );
        let x = r#"<saml:A saml:x="saml" y='a&amp;b'>saml<!-- saml --></saml:A>"#;
        assert_eq!(r.xml(x), r#"<saml:A saml:x="R" y='Q'>R<!-- R --></saml:A>"#);
    }
}
