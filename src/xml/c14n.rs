//! XML canonicalization of one element subtree: Exclusive XML Canonicalization 1.0
//! (<https://www.w3.org/TR/xml-exc-c14n/>, what SAML profiles and Entra's documentation use), and the inclusive
//! Canonical XML 1.0 (<https://www.w3.org/TR/xml-c14n>) and 1.1 (<https://www.w3.org/TR/xml-c14n11/>) that some
//! IdPs still sign with.
//!
//! This produces the exact octets that an XML signature's digest and signature are computed over. Only the
//! subset shape SAML signatures use is supported: an element and its descendants, optionally minus one excluded
//! subtree (the `Signature` element removed by the enveloped-signature transform), with or without comments, and
//! for exclusive c14n an optional `InclusiveNamespaces` prefix list. The output is what every claim is later read
//! from, so it is the single source of truth for "what was signed".

use crate::xml::{Document, Node, NodeId};

/// The algorithm URIs this module implements.
pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
/// Exclusive canonicalization keeping comments.
pub const EXC_C14N_WITH_COMMENTS: &str = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments";
/// Canonical XML 1.0 (inclusive).
pub const C14N10: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
/// Canonical XML 1.0 (inclusive) keeping comments.
pub const C14N10_WITH_COMMENTS: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments";
/// Canonical XML 1.1 (inclusive).
pub const C14N11: &str = "http://www.w3.org/2006/12/xml-c14n11";
/// Canonical XML 1.1 (inclusive) keeping comments.
pub const C14N11_WITH_COMMENTS: &str = "http://www.w3.org/2006/12/xml-c14n11#WithComments";

/// Which canonicalization algorithm.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Mode {
    /// Exclusive XML Canonicalization 1.0: only visibly utilized namespaces (and the inclusive prefix list).
    #[default]
    Exclusive,
    /// Canonical XML 1.0: every namespace in scope; the apex inherits its ancestors' `xml:*` attributes.
    Inclusive10,
    /// Canonical XML 1.1: every namespace in scope; the apex inherits only `xml:lang` and `xml:space`.
    Inclusive11,
}

/// The mode and comment setting an algorithm URI names, or `None` for a URI that is not a canonicalization
/// algorithm this module implements.
pub fn algorithm(uri: &str) -> Option<(Mode, bool)> {
    Some(match uri {
        EXC_C14N => (Mode::Exclusive, false),
        EXC_C14N_WITH_COMMENTS => (Mode::Exclusive, true),
        C14N10 => (Mode::Inclusive10, false),
        C14N10_WITH_COMMENTS => (Mode::Inclusive10, true),
        C14N11 => (Mode::Inclusive11, false),
        C14N11_WITH_COMMENTS => (Mode::Inclusive11, true),
        _ => return None,
    })
}

/// A subtree the canonicalizer cannot render faithfully, so a verifier must refuse it rather than guess.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum C14nError {
    /// The canonical form would exceed [`Options::max_output`].
    #[error("the canonical form exceeds {limit} bytes (the work budget for this document)")]
    TooLarge {
        /// The limit in force.
        limit: usize,
    },
    /// The deadline passed ([`Options::deadline`]).
    #[error("the deadline for this work passed during canonicalization")]
    Deadline,
    /// Canonical XML 1.1 rewrites an inherited `xml:base` against the apex (its section 2.4); not implemented.
    #[error("an ancestor of the signed element carries xml:base, which Canonical XML 1.1 would have to rewrite; not supported")]
    InheritedXmlBase,
}

/// How to canonicalize.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// The algorithm.
    pub mode: Mode,
    /// Keep comments (the `#WithComments` variant).
    pub with_comments: bool,
    /// Prefixes from `InclusiveNamespaces/@PrefixList`; `#default` stands for the default namespace (exclusive
    /// mode only).
    pub inclusive_prefixes: Vec<String>,
    /// A subtree to leave out (the enveloped signature).
    pub exclude: Option<NodeId>,
    /// The most canonical bytes to produce (`None`: unbounded). Exclusive c14n renders a namespace declaration on
    /// every element that uses its prefix, so a long namespace URI declared once and used by many small elements
    /// multiplies the input: a verifier of untrusted documents sets this, in proportion to the input.
    pub max_output: Option<usize>,
    /// When to give up (a server's request deadline), checked as elements are rendered.
    pub deadline: Option<std::time::Instant>,
}

/// Canonicalizes the subtree rooted at `apex`.
pub fn canonicalize(doc: &Document, apex: NodeId, opts: &Options) -> Result<Vec<u8>, C14nError> {
    let inherited = match opts.mode {
        Mode::Exclusive => Vec::new(),
        Mode::Inclusive10 | Mode::Inclusive11 => inherited_xml_attributes(doc, apex, opts.mode)?,
    };
    // The bindings in scope at the apex's parent: every ancestor's declarations, outermost first.
    let mut scope = Bindings::default();
    let mut ancestors = Vec::new();
    let mut cur = doc.parent(apex);
    while let Some(p) = cur {
        ancestors.push(p);
        cur = doc.parent(p);
    }
    for &p in ancestors.iter().rev() {
        if let Some(e) = doc.element(p) {
            for d in &e.ns_decls {
                scope.bind(d.prefix.as_deref(), d.uri.as_str());
            }
        }
    }
    let mut rendered = Bindings::default();
    rendered.bind(None, "");
    let mut c = Canonicalizer {
        apex,
        inherited,
        doc,
        opts,
        out: Vec::with_capacity(4096),
        limit: opts.max_output.unwrap_or(usize::MAX),
        steps: 0,
        scope,
        rendered,
        inclusive: opts
            .inclusive_prefixes
            .iter()
            .map(|p| if p == "#default" { None } else { Some(p.as_str()) })
            .collect(),
    };
    c.node(apex)?;
    Ok(c.out)
}

/// Namespace bindings with scopes, borrowed from the document: prefix (`None` for the default namespace) to URI
/// (see [`super::scope`]: a lookup costs the same whatever the number of declarations in scope).
type Bindings<'a> = super::scope::Scope<Option<&'a str>, &'a str>;

/// The `xml:*` attributes the apex inherits from its ancestors under inclusive canonicalization (Canonical XML 1.0
/// section 2.4; 1.1 section 2.4 keeps only `xml:lang` and `xml:space` and fixes up `xml:base`), nearest first.
fn inherited_xml_attributes(doc: &Document, apex: NodeId, mode: Mode) -> Result<Vec<crate::xml::Attribute>, C14nError> {
    let own = |local: &str| {
        doc.element(apex).is_some_and(|e| {
            e.attrs
                .iter()
                .any(|a| a.ns.as_deref() == Some(crate::xml::XML_NS) && a.local == local)
        })
    };
    let mut out: Vec<crate::xml::Attribute> = Vec::new();
    let mut cur = doc.parent(apex);
    while let Some(p) = cur {
        if let Some(e) = doc.element(p) {
            for a in e.attrs.iter().filter(|a| a.ns.as_deref() == Some(crate::xml::XML_NS)) {
                let wanted = match mode {
                    Mode::Inclusive11 if a.local == "base" => return Err(C14nError::InheritedXmlBase),
                    Mode::Inclusive11 => a.local == "lang" || a.local == "space",
                    _ => true,
                };
                if wanted && !own(&a.local) && !out.iter().any(|o| o.local == a.local) {
                    out.push(a.clone());
                }
            }
        }
        cur = doc.parent(p);
    }
    Ok(out)
}

struct Canonicalizer<'a> {
    apex: NodeId,
    /// `xml:*` attributes inherited by the apex (inclusive modes).
    inherited: Vec<crate::xml::Attribute>,
    doc: &'a Document,
    opts: &'a Options,
    out: Vec<u8>,
    /// [`Options::max_output`], or no limit.
    limit: usize,
    /// Nodes rendered, to check the deadline every so often.
    steps: u32,
    /// Namespace bindings in scope in the input.
    scope: Bindings<'a>,
    /// Namespace declarations rendered by output ancestors.
    rendered: Bindings<'a>,
    inclusive: Vec<Option<&'a str>>,
}

impl<'a> Canonicalizer<'a> {
    fn node(&mut self, id: NodeId) -> Result<(), C14nError> {
        if Some(id) == self.opts.exclude {
            return Ok(());
        }
        let doc: &'a Document = self.doc;
        match doc.node(id) {
            Node::Text(t) => escape_text(&mut self.out, t),
            Node::Comment(c) => {
                if self.opts.with_comments {
                    self.out.extend_from_slice(b"<!--");
                    self.out.extend_from_slice(c.as_bytes());
                    self.out.extend_from_slice(b"-->");
                }
            }
            Node::Pi { target, data } => {
                self.out.extend_from_slice(b"<?");
                self.out.extend_from_slice(target.as_bytes());
                if !data.is_empty() {
                    self.out.push(b' ');
                    self.out.extend_from_slice(data.as_bytes());
                }
                self.out.extend_from_slice(b"?>");
            }
            Node::Element(e) => return self.element(id, e),
        }
        self.within_budget()
    }

    fn within_budget(&mut self) -> Result<(), C14nError> {
        if self.out.len() > self.limit {
            return Err(C14nError::TooLarge { limit: self.limit });
        }
        self.steps = self.steps.wrapping_add(1);
        if self.steps % 1024 == 0 && super::past(self.opts.deadline) {
            return Err(C14nError::Deadline);
        }
        Ok(())
    }

    fn element(&mut self, id: NodeId, e: &'a crate::xml::Element) -> Result<(), C14nError> {
        let scope_mark = self.scope.mark();
        for d in &e.ns_decls {
            self.scope.bind(d.prefix.as_deref(), d.uri.as_str());
        }
        let rendered_mark = self.rendered.mark();
        let decls = self.namespace_declarations(id, e);
        self.out.push(b'<');
        write_qname(&mut self.out, e.prefix.as_deref(), &e.local);
        for &(p, uri) in &decls {
            match p {
                None => self.out.extend_from_slice(b" xmlns=\""),
                Some(p) => {
                    self.out.extend_from_slice(b" xmlns:");
                    self.out.extend_from_slice(p.as_bytes());
                    self.out.extend_from_slice(b"=\"");
                }
            }
            escape_attr(&mut self.out, uri);
            self.out.push(b'"');
        }
        for (p, uri) in decls {
            self.rendered.bind(p, uri);
        }
        self.attributes(id, e);
        self.out.push(b'>');
        self.within_budget()?;
        for child in self.doc.children(id) {
            self.node(child)?;
        }
        self.out.extend_from_slice(b"</");
        write_qname(&mut self.out, e.prefix.as_deref(), &e.local);
        self.out.push(b'>');
        self.rendered.restore(rendered_mark);
        self.scope.restore(scope_mark);
        self.within_budget()
    }

    /// The namespace declarations the element renders, sorted by prefix: those it must have (visibly utilized, or
    /// inclusive) whose binding differs from what its output ancestors rendered.
    fn namespace_declarations(&self, id: NodeId, e: &'a crate::xml::Element) -> Vec<(Option<&'a str>, &'a str)> {
        let wanted: Vec<Option<&'a str>> = match self.opts.mode {
            Mode::Exclusive => self.visibly_utilized(id, e),
            // Inclusive: every namespace in scope. Below the apex only this element's own declarations can differ
            // from what its output parent rendered, so only those are candidates.
            Mode::Inclusive10 | Mode::Inclusive11 if id == self.apex => {
                self.scope.keys().into_iter().copied().collect()
            }
            Mode::Inclusive10 | Mode::Inclusive11 => e.ns_decls.iter().map(|d| d.prefix.as_deref()).collect(),
        };
        let mut decls: Vec<(Option<&'a str>, &'a str)> = Vec::new();
        for p in wanted {
            if p == Some("xml") {
                continue;
            }
            let uri: &'a str = self.scope.get(&p).copied().unwrap_or("");
            // An unbound prefix cannot be rendered. `rendered` starts with the default namespace empty, so xmlns=""
            // is only written to undo a default namespace an output ancestor declared.
            if (p.is_some() && uri.is_empty()) || self.rendered.get(&p).copied().unwrap_or("") == uri {
                continue;
            }
            decls.push((p, uri));
        }
        decls.sort_by(|a, b| a.0.cmp(&b.0));
        decls
    }

    /// Attributes (with the apex's inherited `xml:*` ones), sorted by namespace URI then local name.
    fn attributes(&mut self, id: NodeId, e: &crate::xml::Element) {
        let mut attrs: Vec<_> = e.attrs.iter().collect();
        if id == self.apex {
            attrs.extend(self.inherited.iter());
        }
        if attrs.len() > 1 {
            attrs.sort_by(|a, b| {
                (a.ns.as_deref().unwrap_or(""), a.local.as_str())
                    .cmp(&(b.ns.as_deref().unwrap_or(""), b.local.as_str()))
            });
        }
        for a in attrs {
            self.out.push(b' ');
            write_qname(&mut self.out, a.prefix.as_deref(), &a.local);
            self.out.extend_from_slice(b"=\"");
            escape_attr(&mut self.out, &a.value);
            self.out.push(b'"');
        }
    }

    /// Exclusive c14n: the prefixes this element visibly utilizes, plus the inclusive prefix list. Below the apex an
    /// inclusive prefix can only need rendering where this element declares it (elsewhere its binding is the one an
    /// output ancestor already rendered), so the list is consulted in full only at the apex.
    fn visibly_utilized(&self, id: NodeId, e: &'a crate::xml::Element) -> Vec<Option<&'a str>> {
        let mut wanted: Vec<Option<&'a str>> = Vec::with_capacity(2 + e.attrs.len());
        wanted.push(e.prefix.as_deref());
        for a in &e.attrs {
            let p = a.prefix.as_deref();
            if p.is_some() && !wanted.contains(&p) {
                wanted.push(p);
            }
        }
        if self.inclusive.is_empty() {
            return wanted;
        }
        let mut consider = |p: Option<&'a str>| {
            if !wanted.contains(&p) && (p.is_none() || self.scope.get(&p).is_some()) {
                wanted.push(p);
            }
        };
        if id == self.apex {
            for &p in &self.inclusive {
                consider(p);
            }
        } else {
            for d in &e.ns_decls {
                let p = d.prefix.as_deref();
                if self.inclusive.contains(&p) {
                    consider(p);
                }
            }
        }
        wanted
    }
}

fn write_qname(out: &mut Vec<u8>, prefix: Option<&str>, local: &str) {
    if let Some(p) = prefix {
        out.extend_from_slice(p.as_bytes());
        out.push(b':');
    }
    out.extend_from_slice(local.as_bytes());
}

/// Text content: `&`, `<`, `>` and CR as references (Canonical XML 1.0 section 2.3).
fn escape_text(out: &mut Vec<u8>, s: &str) {
    escape(out, s, |b| match b {
        b'&' => Some(&b"&amp;"[..]),
        b'<' => Some(&b"&lt;"[..]),
        b'>' => Some(&b"&gt;"[..]),
        b'\r' => Some(&b"&#xD;"[..]),
        _ => None,
    })
}

/// Attribute values: `&`, `<`, `"` and the whitespace characters other than space as references.
fn escape_attr(out: &mut Vec<u8>, s: &str) {
    escape(out, s, |b| match b {
        b'&' => Some(&b"&amp;"[..]),
        b'<' => Some(&b"&lt;"[..]),
        b'"' => Some(&b"&quot;"[..]),
        b'\t' => Some(&b"&#x9;"[..]),
        b'\n' => Some(&b"&#xA;"[..]),
        b'\r' => Some(&b"&#xD;"[..]),
        _ => None,
    })
}

/// Copies `s` to `out`, replacing each byte `replace` names (all ASCII, so never inside a UTF-8 sequence).
fn escape(out: &mut Vec<u8>, s: &str, replace: impl Fn(u8) -> Option<&'static [u8]>) {
    let mut last = 0;
    for (i, b) in s.bytes().enumerate() {
        let Some(rep) = replace(b) else { continue };
        out.extend_from_slice(&s.as_bytes()[last..i]);
        out.extend_from_slice(rep);
        last = i + 1;
    }
    out.extend_from_slice(&s.as_bytes()[last..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::Limits;

    fn c14n(xml: &str, path: &[usize], opts: &Options) -> String {
        let d = Document::parse(xml.as_bytes(), &Limits::default()).unwrap();
        let mut id = d.root();
        for &i in path {
            id = d.child_elements(id).nth(i).unwrap();
        }
        String::from_utf8(canonicalize(&d, id, opts).unwrap()).unwrap()
    }

    #[test]
    fn renders_only_visibly_utilized_namespaces() {
        let xml = r#"<r xmlns:a="urn:a" xmlns:b="urn:b" xmlns="urn:d"><a:x b:k="1" z="2"><y/></a:x></r>"#;
        assert_eq!(
            c14n(xml, &[0], &Options::default()),
            r#"<a:x xmlns:a="urn:a" xmlns:b="urn:b" z="2" b:k="1"><y xmlns="urn:d"></y></a:x>"#
        );
    }

    #[test]
    fn inclusive_prefix_list_and_default_undeclaration() {
        let xml = r#"<r xmlns:a="urn:a" xmlns:u="urn:u" xmlns="urn:d"><x><y xmlns=""/></x></r>"#;
        let opts = Options {
            inclusive_prefixes: vec!["u".into()],
            ..Default::default()
        };
        assert_eq!(
            c14n(xml, &[0], &opts),
            r#"<x xmlns="urn:d" xmlns:u="urn:u"><y xmlns=""></y></x>"#
        );
    }

    #[test]
    fn no_default_undeclaration_when_none_rendered() {
        let xml = r#"<r xmlns="urn:d"><p:x xmlns:p="urn:p"><y xmlns=""/></p:x></r>"#;
        assert_eq!(
            c14n(xml, &[0], &Options::default()),
            r#"<p:x xmlns:p="urn:p"><y></y></p:x>"#
        );
    }

    #[test]
    fn escapes_and_sorts_attributes_and_drops_comments() {
        let xml = "<r b=\"&quot;&#9;&#10;\" a=\"&lt;&gt;\">a&amp;b&gt;&#13;<!--c--><?pi  d?></r>";
        assert_eq!(
            c14n(xml, &[], &Options::default()),
            "<r a=\"&lt;>\" b=\"&quot;&#x9;&#xA;\">a&amp;b&gt;&#xD;<?pi d?></r>"
        );
        let with = Options {
            with_comments: true,
            ..Default::default()
        };
        assert!(c14n(xml, &[], &with).contains("<!--c-->"));
    }

    #[test]
    fn excludes_the_enveloped_subtree() {
        let xml = r#"<r ID="1"><a>1</a><ds:Signature xmlns:ds="urn:ds"><x/></ds:Signature><b/></r>"#;
        let d = Document::parse(xml.as_bytes(), &Limits::default()).unwrap();
        let sig = d.child_elements(d.root()).nth(1).unwrap();
        let opts = Options {
            exclude: Some(sig),
            ..Default::default()
        };
        assert_eq!(
            String::from_utf8(canonicalize(&d, d.root(), &opts).unwrap()).unwrap(),
            r#"<r ID="1"><a>1</a><b></b></r>"#
        );
    }

    #[test]
    fn redeclared_prefix_is_rendered_again() {
        let xml = r#"<a:r xmlns:a="urn:1"><a:x xmlns:a="urn:2"/><a:y/></a:r>"#;
        assert_eq!(
            c14n(xml, &[], &Options::default()),
            r#"<a:r xmlns:a="urn:1"><a:x xmlns:a="urn:2"></a:x><a:y></a:y></a:r>"#
        );
    }
}
