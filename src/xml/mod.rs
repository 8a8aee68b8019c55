//! A small, namespace-aware XML tree built for untrusted input.
//!
//! Every byte that reaches the signature and claim code is parsed here, once, by quick-xml. The parser is
//! deliberately narrower than a general XML processor: no DTD of any kind (so no entity expansion, no external
//! resources), UTF-8 only, and hard [`Limits`] on depth, element count and attribute count, so a hostile token
//! fails fast with a typed [`XmlError`] instead of exhausting memory. The tree keeps exactly what exclusive
//! canonicalization needs (prefixes, namespace declarations, resolved namespace URIs, comments and processing
//! instructions) and nothing else.

pub mod c14n;
mod scope;

use quick_xml::events::{BytesDecl, BytesPI, BytesStart, Event};
use quick_xml::Reader;
use std::borrow::Cow;
use std::sync::Arc;

/// The namespace bound to the `xml` prefix by definition.
pub const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// Index of a node inside a [`Document`].
pub type NodeId = usize;

/// Bounds on the work the parser will do for one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deepest element nesting accepted.
    pub max_depth: usize,
    /// Most attributes (namespace declarations included) on one element.
    pub max_attributes: usize,
    /// Most nodes (elements, text runs, comments, processing instructions) in one document.
    pub max_nodes: usize,
    /// Most `ds:Signature` elements a token may hold (each costs a canonicalization and public-key operations).
    pub max_signatures: usize,
    /// Most canonical bytes a signature may produce per byte of the document (plus 64 KiB): a long namespace URI
    /// used by many small elements is rendered on each of them by exclusive c14n.
    pub c14n_factor: usize,
    /// Most namespace lookups libxmlsec1's canonicalization may be asked to make over a document (see
    /// [`Document::namespace_work`]); beyond it the second opinion is not run.
    pub max_namespace_work: u64,
    /// When the work on a document must stop (a server's request deadline): parsing and canonicalization check it
    /// as they go and fail with [`XmlError::Deadline`] / `C14nError::Deadline`, so no work outlives its request.
    pub deadline: Option<std::time::Instant>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 128,
            max_attributes: 256,
            max_nodes: 200_000,
            max_signatures: 32,
            c14n_factor: 8,
            max_namespace_work: 50_000_000,
            deadline: None,
        }
    }
}

/// Whether `deadline` has passed.
pub fn past(deadline: Option<std::time::Instant>) -> bool {
    deadline.is_some_and(|d| std::time::Instant::now() >= d)
}

impl Limits {
    /// The canonical-bytes budget of one signature over a document of `len` bytes.
    pub fn canonical_budget(&self, len: usize) -> usize {
        len.saturating_mul(self.c14n_factor).saturating_add(64 * 1024)
    }
}

/// Why a document could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum XmlError {
    /// The bytes are not valid UTF-8.
    #[error("not valid UTF-8 (at byte {offset})")]
    InvalidUtf8 {
        /// Byte offset of the first invalid sequence.
        offset: usize,
    },
    /// The XML declaration names an encoding other than UTF-8.
    #[error("unsupported encoding {encoding:?}: only UTF-8 is accepted")]
    UnsupportedEncoding {
        /// The encoding named in the declaration.
        encoding: String,
    },
    /// A document type declaration was found; DTDs (and so entity definitions) are refused.
    #[error("DOCTYPE declarations are refused (at byte {offset}): SAML tokens never need one and they enable entity attacks")]
    Doctype {
        /// Byte offset of the declaration.
        offset: usize,
    },
    /// An entity reference other than the five predefined ones.
    #[error("undefined entity &{name}; at byte {offset}")]
    UndefinedEntity {
        /// The entity's name.
        name: String,
        /// Byte offset near the reference.
        offset: usize,
    },
    /// A character that XML 1.0 does not allow.
    #[error("character U+{code:04X} is not allowed in XML (at byte {offset})")]
    InvalidChar {
        /// The code point.
        code: u32,
        /// Byte offset near the character.
        offset: usize,
    },
    /// A prefix used without a namespace declaration in scope.
    #[error("namespace prefix {prefix:?} is not declared (at byte {offset})")]
    UnboundPrefix {
        /// The prefix.
        prefix: String,
        /// Byte offset of the element.
        offset: usize,
    },
    /// A namespace declaration the Namespaces in XML rules forbid.
    #[error("invalid namespace declaration for prefix {prefix:?} (at byte {offset})")]
    InvalidNamespaceDeclaration {
        /// The prefix being declared.
        prefix: String,
        /// Byte offset of the element.
        offset: usize,
    },
    /// Two attributes with the same expanded name on one element.
    #[error("duplicate attribute {name:?} (at byte {offset})")]
    DuplicateAttribute {
        /// The attribute name.
        name: String,
        /// Byte offset of the element.
        offset: usize,
    },
    /// Elements nested deeper than [`Limits::max_depth`].
    #[error("elements nested deeper than {limit} levels (at byte {offset})")]
    TooDeep {
        /// The limit in force.
        limit: usize,
        /// Byte offset of the element.
        offset: usize,
    },
    /// More attributes on an element than [`Limits::max_attributes`].
    #[error("more than {limit} attributes on one element (at byte {offset})")]
    TooManyAttributes {
        /// The limit in force.
        limit: usize,
        /// Byte offset of the element.
        offset: usize,
    },
    /// More nodes than [`Limits::max_nodes`].
    #[error("more than {limit} XML nodes")]
    TooManyNodes {
        /// The limit in force.
        limit: usize,
    },
    /// The work's deadline passed ([`Limits::deadline`]).
    #[error("the deadline for this work passed before the document was parsed")]
    Deadline,
    /// No root element, or content outside it.
    #[error("{0}")]
    Structure(String),
    /// Any other syntax error reported by the tokenizer.
    #[error("malformed XML at byte {offset}: {message}")]
    Syntax {
        /// What the tokenizer said.
        message: String,
        /// Byte offset of the error.
        offset: usize,
    },
}

/// A document's text as UTF-8, and the character encoding it arrived in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded<'a> {
    /// The document as UTF-8. When it arrived in another encoding, its XML declaration is dropped (it named the old
    /// encoding; a declaration is not part of the canonical form, so nothing signed changes).
    pub utf8: Cow<'a, [u8]>,
    /// The encoding found: `UTF-8`, `UTF-16LE`, `UTF-16BE`, or the name the XML declaration gave (`ISO-8859-1`, ...).
    pub encoding: String,
}

/// Why a document's bytes could not be turned into text.
fn encoding_error(encoding: &str) -> XmlError {
    XmlError::UnsupportedEncoding {
        encoding: encoding.to_string(),
    }
}

/// Decodes a document to UTF-8 following XML 1.0 section 4.3.3 and appendix F: a UTF-16 byte order mark (or the
/// UTF-16 form of `<?`), else the encoding the XML declaration names, else UTF-8. ISO-8859-1 is decoded as itself
/// (every byte is the code point of the same value), not as windows-1252 as the WHATWG labels would have it; other
/// names go through `encoding_rs`. Bytes that are not valid in the named encoding are an error, never replaced.
pub fn decode_document(bytes: &[u8]) -> Result<Decoded<'_>, XmlError> {
    use encoding_rs::{UTF_16BE, UTF_16LE};
    let utf16 = |enc: &'static encoding_rs::Encoding, body: &[u8], name: &str| -> Result<Decoded<'static>, XmlError> {
        let text = enc
            .decode_without_bom_handling_and_without_replacement(body)
            .ok_or_else(|| XmlError::Structure(format!("the document starts as {name} but is not valid {name}")))?;
        Ok(Decoded {
            utf8: Cow::Owned(drop_declaration(&text).as_bytes().to_vec()),
            encoding: name.to_string(),
        })
    };
    match bytes {
        [0xFF, 0xFE, rest @ ..] => return utf16(UTF_16LE, rest, "UTF-16LE"),
        [0xFE, 0xFF, rest @ ..] => return utf16(UTF_16BE, rest, "UTF-16BE"),
        [0x3C, 0x00, 0x3F, 0x00, ..] => return utf16(UTF_16LE, bytes, "UTF-16LE"),
        [0x00, 0x3C, 0x00, 0x3F, ..] => return utf16(UTF_16BE, bytes, "UTF-16BE"),
        [0xEF, 0xBB, 0xBF, ..] => {
            return Ok(Decoded {
                utf8: Cow::Borrowed(bytes),
                encoding: "UTF-8".into(),
            })
        }
        _ => {}
    }
    let Some(declared) = declared_encoding(bytes) else {
        return Ok(Decoded {
            utf8: Cow::Borrowed(bytes),
            encoding: "UTF-8".into(),
        });
    };
    let label = declared.to_ascii_lowercase();
    let text: String = match label.as_str() {
        "utf-8" | "utf8" => {
            return Ok(Decoded {
                utf8: Cow::Borrowed(bytes),
                encoding: "UTF-8".into(),
            })
        }
        "iso-8859-1" | "iso8859-1" | "iso_8859-1" | "latin1" | "latin-1" | "l1" | "ibm819" | "cp819" => {
            bytes.iter().map(|&b| char::from(b)).collect()
        }
        "us-ascii" | "ascii" => {
            if let Some(at) = bytes.iter().position(|b| !b.is_ascii()) {
                return Err(XmlError::Structure(format!(
                    "the document declares encoding {declared:?} but byte {at} is not ASCII"
                )));
            }
            return Ok(Decoded {
                utf8: Cow::Borrowed(bytes),
                encoding: declared,
            });
        }
        // UTF-16 declared without a byte order mark, over single-byte text: not decodable as declared.
        "utf-16" | "utf-16le" | "utf-16be" => return Err(encoding_error(&declared)),
        _ => {
            let enc = encoding_rs::Encoding::for_label(declared.as_bytes()).ok_or_else(|| encoding_error(&declared))?;
            enc.decode_without_bom_handling_and_without_replacement(bytes)
                .ok_or_else(|| {
                    XmlError::Structure(format!(
                        "the document declares encoding {declared:?} but is not valid {declared}"
                    ))
                })?
                .into_owned()
        }
    };
    Ok(Decoded {
        utf8: Cow::Owned(drop_declaration(&text).as_bytes().to_vec()),
        encoding: declared,
    })
}

/// The `encoding` pseudo-attribute of an XML declaration at the very start of `bytes` (ASCII-compatible forms).
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let head = bytes.get(..bytes.len().min(256))?;
    if !head.starts_with(b"<?xml") || !head.get(5).is_some_and(|b| b.is_ascii_whitespace()) {
        return None;
    }
    let end = head.windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&head[..end]).ok()?;
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..].trim_start_matches([' ', '\t', '\r', '\n']);
    let rest = rest.strip_prefix('=')?.trim_start_matches([' ', '\t', '\r', '\n']);
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = rest[1..].split(quote).next()?;
    Some(value.to_string())
}

/// `text` without a leading XML declaration (a BOM before it is dropped too).
fn drop_declaration(text: &str) -> &str {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.starts_with("<?xml") && text[5..].starts_with([' ', '\t', '\r', '\n']) {
        if let Some(end) = text.find("?>") {
            return &text[end + 2..];
        }
    }
    text
}

/// Whether `bytes` look like the start of an XML document in any encoding [`decode_document`] reads: after a byte
/// order mark and whitespace, a `<` (in UTF-16, `<` followed or preceded by a zero byte).
pub fn looks_like_xml(bytes: &[u8]) -> bool {
    match bytes {
        [0xFF, 0xFE, rest @ ..] => utf16_starts_with_lt(rest, true),
        [0xFE, 0xFF, rest @ ..] => utf16_starts_with_lt(rest, false),
        [0x3C, 0x00, ..] => true,
        [0x00, 0x3C, ..] => true,
        _ => {
            let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            b.trim_ascii_start().first() == Some(&b'<')
        }
    }
}

fn utf16_starts_with_lt(body: &[u8], little: bool) -> bool {
    body.chunks_exact(2)
        .map(|c| {
            if little {
                u16::from_le_bytes([c[0], c[1]])
            } else {
                u16::from_be_bytes([c[0], c[1]])
            }
        })
        .find(|u| !matches!(u, 0x20 | 0x09 | 0x0A | 0x0D))
        == Some(u16::from(b'<'))
}

/// A namespace declaration written on an element (`xmlns` or `xmlns:p`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NsDecl {
    /// The declared prefix; `None` for the default namespace.
    pub prefix: Option<String>,
    /// The namespace URI; empty when the default namespace is undeclared (`xmlns=""`).
    pub uri: String,
}

/// An attribute that is not a namespace declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// The prefix as written.
    pub prefix: Option<String>,
    /// The local name.
    pub local: String,
    /// The resolved namespace URI (unprefixed attributes have none).
    pub ns: Option<Arc<str>>,
    /// The normalized, unescaped value.
    pub value: String,
}

/// An element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// The prefix as written.
    pub prefix: Option<String>,
    /// The local name.
    pub local: String,
    /// The resolved namespace URI.
    pub ns: Option<Arc<str>>,
    /// Namespace declarations written on this element, in document order.
    pub ns_decls: Vec<NsDecl>,
    /// Attributes, in document order.
    pub attrs: Vec<Attribute>,
    /// Byte offset of the start tag in the parsed text.
    pub offset: usize,
}

impl Element {
    /// True when the element has this namespace URI and local name.
    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.local == local && self.ns.as_deref() == Some(ns)
    }

    /// The value of the unprefixed attribute `local`.
    pub fn attr(&self, local: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.ns.is_none() && a.local == local)
            .map(|a| a.value.as_str())
    }

    /// The qualified name as written (`prefix:local`).
    pub fn qname(&self) -> String {
        match &self.prefix {
            Some(p) => format!("{p}:{}", self.local),
            None => self.local.clone(),
        }
    }
}

/// One node of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// An element.
    Element(Element),
    /// A run of character data (text, CDATA and references merged).
    Text(String),
    /// A comment.
    Comment(String),
    /// A processing instruction.
    Pi {
        /// The target.
        target: String,
        /// The content after the target, leading whitespace removed.
        data: String,
    },
}

#[derive(Debug, Clone)]
struct Slot {
    node: Node,
    parent: Option<NodeId>,
    /// One past the last node of this node's subtree: nodes are stored in document order, so a subtree is the
    /// contiguous range `id..end`.
    end: NodeId,
}

/// A parsed document: an arena of nodes with one root element.
#[derive(Debug, Clone)]
pub struct Document {
    slots: Vec<Slot>,
    root: NodeId,
    top_level_pis: usize,
}

impl Document {
    /// Parses `bytes` (UTF-8 XML) within `limits`.
    pub fn parse(bytes: &[u8], limits: &Limits) -> Result<Document, XmlError> {
        let text = std::str::from_utf8(bytes).map_err(|e| XmlError::InvalidUtf8 {
            offset: e.valid_up_to(),
        })?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        check_chars(text)?;
        // XML 1.0 section 2.11: line ends are normalized before parsing. Character references (&#13;) survive.
        let text: Cow<str> = if text.contains('\r') {
            Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
        } else {
            Cow::Borrowed(text)
        };
        Parser::new(*limits).run(&text)
    }

    /// Processing instructions outside the root element (before or after it). They are not kept in the tree; a
    /// whole-document signature reference (`URI=""`) would cover them, so a verifier must know they exist.
    pub fn top_level_pis(&self) -> usize {
        self.top_level_pis
    }

    /// The root element.
    pub fn root(&self) -> NodeId {
        self.root
    }

    /// The node with this id.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.slots[id].node
    }

    /// The parent of a node, if any.
    pub fn parent(&self, id: NodeId) -> Option<NodeId> {
        self.slots[id].parent
    }

    /// The element with this id, or `None` for other node kinds.
    pub fn element(&self, id: NodeId) -> Option<&Element> {
        match &self.slots[id].node {
            Node::Element(e) => Some(e),
            _ => None,
        }
    }

    /// Number of nodes in the document.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// True when the document has no nodes (never the case for a parsed document).
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Child nodes of `id`, in order. Nodes are stored in document order, so the first child is the node right
    /// after `id` and each next one starts where the previous one's subtree ends: no per-element list is kept.
    pub fn children(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        let end = self.slots[id].end;
        std::iter::successors(Some(id + 1).filter(|c| *c < end), move |c| {
            Some(self.slots[*c].end).filter(|n| *n < end)
        })
    }

    /// Child elements of `id`, in order.
    pub fn child_elements(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        self.children(id)
            .filter(move |c| matches!(self.slots[*c].node, Node::Element(_)))
    }

    /// Child elements of `id` with this namespace and local name.
    pub fn children_named<'a>(&'a self, id: NodeId, ns: &'a str, local: &'a str) -> impl Iterator<Item = NodeId> + 'a {
        self.child_elements(id)
            .filter(move |c| self.element(*c).is_some_and(|e| e.is(ns, local)))
    }

    /// The first child element of `id` with this namespace and local name.
    pub fn child_named(&self, id: NodeId, ns: &str, local: &str) -> Option<NodeId> {
        self.children_named(id, ns, local).next()
    }

    /// Every element of the document, in no particular order.
    pub fn elements(&self) -> impl Iterator<Item = &Element> + '_ {
        self.slots.iter().filter_map(|s| match &s.node {
            Node::Element(e) => Some(e),
            _ => None,
        })
    }

    /// An estimate of the namespace lookups a DOM-based canonicalizer such as libxml2's makes over the whole
    /// document: for every element, (1 + its prefixed attributes + `extra_prefixes`) times the namespace declarations
    /// in scope there (libxml2 searches the ancestor chain for each prefix it renders). Real tokens stay in the
    /// thousands; hostile documents with thousands of declarations in scope and long inclusive prefix lists reach
    /// billions.
    pub fn namespace_work(&self, extra_prefixes: usize) -> u64 {
        let mut in_scope = vec![0u64; self.slots.len()];
        let mut total: u64 = 0;
        for (i, slot) in self.slots.iter().enumerate() {
            let Node::Element(e) = &slot.node else { continue };
            let inherited = slot.parent.map_or(0, |p| in_scope[p]);
            in_scope[i] = inherited + e.ns_decls.len() as u64;
            let prefixed = e.attrs.iter().filter(|a| a.prefix.is_some()).count() as u64;
            total = total.saturating_add((1 + prefixed + extra_prefixes as u64).saturating_mul(in_scope[i]));
        }
        total
    }

    /// Every element's id, in document order (nodes are allocated as their start tags are read).
    pub fn element_ids(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| matches!(s.node, Node::Element(_)))
            .map(|(i, _)| i)
    }

    /// `id` and all its descendants, in document order.
    pub fn descendants(&self, id: NodeId) -> Vec<NodeId> {
        self.subtree(id).collect()
    }

    /// `id` and all its descendants, in document order, without collecting them.
    pub fn subtree(&self, id: NodeId) -> std::ops::Range<NodeId> {
        id..self.slots[id].end
    }

    /// Elements among `id` and its descendants with this namespace and local name, in document order.
    pub fn find_all(&self, id: NodeId, ns: &str, local: &str) -> Vec<NodeId> {
        self.subtree(id)
            .filter(|n| self.element(*n).is_some_and(|e| e.is(ns, local)))
            .collect()
    }

    /// The concatenated character data of all descendant text nodes (comments and PIs skipped).
    pub fn text(&self, id: NodeId) -> String {
        let mut texts = self.slots[self.subtree(id)].iter().filter_map(|s| match &s.node {
            Node::Text(t) => Some(t.as_str()),
            _ => None,
        });
        let Some(first) = texts.next() else {
            return String::new();
        };
        let mut out = first.to_string();
        for t in texts {
            out.push_str(t);
        }
        out
    }

    /// True when `ancestor` is `id` or one of its ancestors.
    pub fn is_ancestor_or_self(&self, ancestor: NodeId, id: NodeId) -> bool {
        self.subtree(ancestor).contains(&id)
    }

    /// Depth of a node (the root is 0).
    pub fn depth(&self, id: NodeId) -> usize {
        let mut d = 0;
        let mut cur = self.slots[id].parent;
        while let Some(c) = cur {
            d += 1;
            cur = self.slots[c].parent;
        }
        d
    }

    /// The namespace declarations in scope at element `id`, innermost binding of each prefix, sorted by prefix
    /// (default first). Undeclarations (`xmlns=""`) are kept with an empty URI.
    pub fn in_scope_namespaces(&self, id: NodeId) -> Vec<NsDecl> {
        let mut chain = Vec::new();
        let mut cur = Some(id);
        while let Some(c) = cur {
            chain.push(c);
            cur = self.slots[c].parent;
        }
        let mut scope: Vec<NsDecl> = Vec::new();
        for c in chain.into_iter().rev() {
            if let Some(e) = self.element(c) {
                for d in &e.ns_decls {
                    if let Some(existing) = scope.iter_mut().find(|s| s.prefix == d.prefix) {
                        existing.uri = d.uri.clone();
                    } else {
                        scope.push(d.clone());
                    }
                }
            }
        }
        scope.sort_by(|a, b| a.prefix.cmp(&b.prefix));
        scope
    }
}

fn check_chars(text: &str) -> Result<(), XmlError> {
    // `text` is valid UTF-8, so surrogates cannot occur. What XML 1.0 (Char production) still forbids is the C0
    // controls other than tab, LF and CR (single bytes) and U+FFFE / U+FFFF (EF BF BE / EF BF BF). A byte scan finds
    // them without decoding every character.
    let bytes = text.as_bytes();
    // Fast path: a branch-free pass the compiler vectorizes; only a suspicious document is scanned byte by byte.
    let suspicious = bytes.iter().fold(false, |acc, &b| {
        acc | ((b < 0x20) & (b != 0x9) & (b != 0xA) & (b != 0xD)) | (b == 0xEF)
    });
    if !suspicious {
        return Ok(());
    }
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x20 && !matches!(b, 0x9 | 0xA | 0xD) {
            return Err(XmlError::InvalidChar {
                code: u32::from(b),
                offset: i,
            });
        }
        if b == 0xEF && bytes.get(i + 1) == Some(&0xBF) {
            if let Some(&last @ (0xBE | 0xBF)) = bytes.get(i + 2) {
                return Err(XmlError::InvalidChar {
                    code: 0xFFFE + u32::from(last - 0xBE),
                    offset: i,
                });
            }
        }
        i += 1;
    }
    Ok(())
}

struct Parser {
    limits: Limits,
    slots: Vec<Slot>,
    stack: Vec<NodeId>,
    /// Namespace bindings in force, by prefix (`""` for the default namespace; a prefix is never empty), innermost
    /// last: a lookup costs the same whatever the number of declarations in scope.
    scope: scope::Scope<String, Arc<str>>,
    /// Where each open element's own bindings start, so its end undoes them.
    scope_marks: Vec<usize>,
    text: String,
    root: Option<NodeId>,
    xml_ns: Arc<str>,
    top_level_pis: usize,
}

impl Parser {
    fn new(limits: Limits) -> Self {
        Parser {
            limits,
            slots: Vec::new(),
            stack: Vec::new(),
            scope: scope::Scope::default(),
            scope_marks: Vec::new(),
            text: String::new(),
            root: None,
            xml_ns: Arc::from(XML_NS),
            top_level_pis: 0,
        }
    }

    fn syntax(e: impl std::fmt::Display, offset: u64) -> XmlError {
        XmlError::Syntax {
            message: e.to_string(),
            offset: offset as usize,
        }
    }

    fn run(mut self, text: &str) -> Result<Document, XmlError> {
        // About one node per 24 bytes of SAML; reserving avoids most regrowth (bounded by the node limit).
        self.slots.reserve((text.len() / 24).min(self.limits.max_nodes));
        let mut reader = Reader::from_str(text);
        {
            let cfg = reader.config_mut();
            cfg.check_end_names = true;
            cfg.check_comments = true;
            cfg.expand_empty_elements = false;
            cfg.trim_text(false);
        }
        let mut events: u32 = 0;
        loop {
            events = events.wrapping_add(1);
            if events % 4096 == 0 && past(self.limits.deadline) {
                return Err(XmlError::Deadline);
            }
            let before = reader.buffer_position() as usize;
            let ev = reader
                .read_event()
                .map_err(|e| Self::syntax(e, reader.error_position()))?;
            if matches!(ev, Event::Eof) {
                break;
            }
            self.event(ev, before)?;
        }
        self.finish()
    }

    /// One parser event at byte `before`, added to the tree.
    fn event(&mut self, ev: Event, before: usize) -> Result<(), XmlError> {
        let syntax = |e| Self::syntax(e, before as u64);
        match ev {
            Event::Decl(d) => self.declaration(&d, before)?,
            Event::DocType(_) => return Err(XmlError::Doctype { offset: before }),
            Event::Start(s) => self.start(&s, before, false)?,
            Event::Empty(s) => self.start(&s, before, true)?,
            Event::End(_) => {
                self.flush_text()?;
                self.end();
            }
            Event::Text(t) => {
                let s = t.decode().map_err(syntax)?;
                self.push_text(&s, before)?;
            }
            Event::CData(c) => {
                let s = c.decode().map_err(syntax)?;
                if self.stack.is_empty() {
                    return Err(XmlError::Structure("CDATA outside the root element".into()));
                }
                self.text.push_str(&s);
            }
            Event::GeneralRef(r) => {
                let name = r.decode().map_err(syntax)?;
                let ch = resolve_reference(&name, before)?;
                if self.stack.is_empty() {
                    return Err(XmlError::Structure("character data outside the root element".into()));
                }
                self.text.push_str(ch.as_ref());
            }
            Event::Comment(c) => {
                if !self.stack.is_empty() {
                    self.flush_text()?;
                    let s = c.decode().map_err(syntax)?;
                    self.push_child(Node::Comment(s.into_owned()))?;
                }
            }
            Event::PI(p) => self.processing_instruction(&p, before)?,
            Event::Eof => {}
        }
        Ok(())
    }

    /// The XML declaration: only at the very start, and only for UTF-8 (the text was decoded to UTF-8 before).
    fn declaration(&self, d: &BytesDecl, before: usize) -> Result<(), XmlError> {
        if self.root.is_some() || !self.stack.is_empty() || before != 0 {
            return Err(XmlError::Structure(
                "XML declaration is not at the start of the document".into(),
            ));
        }
        if let Some(enc) = d.encoding() {
            let enc = enc.map_err(|e| Self::syntax(e, before as u64))?;
            let enc = String::from_utf8_lossy(&enc).to_string();
            if !enc.eq_ignore_ascii_case("utf-8") && !enc.eq_ignore_ascii_case("utf8") {
                return Err(XmlError::UnsupportedEncoding { encoding: enc });
            }
        }
        Ok(())
    }

    /// A processing instruction: counted outside the root element, kept as a node inside it; `<?xml` is refused.
    fn processing_instruction(&mut self, p: &BytesPI, before: usize) -> Result<(), XmlError> {
        let target = std::str::from_utf8(p.target())
            .map_err(|e| Self::syntax(e, before as u64))?
            .to_string();
        if target.eq_ignore_ascii_case("xml") {
            return Err(XmlError::Structure(
                "XML declaration is not at the start of the document".into(),
            ));
        }
        if self.stack.is_empty() {
            self.top_level_pis += 1;
        } else {
            self.flush_text()?;
            let data = std::str::from_utf8(p.content())
                .map_err(|e| Self::syntax(e, before as u64))?
                .trim_start_matches([' ', '\t', '\n'])
                .to_string();
            self.push_child(Node::Pi { target, data })?;
        }
        Ok(())
    }

    /// The end of input: every element closed, a root element found.
    fn finish(self) -> Result<Document, XmlError> {
        if !self.stack.is_empty() {
            return Err(XmlError::Structure(format!(
                "truncated XML: {} element(s) not closed at end of input",
                self.stack.len()
            )));
        }
        let root = self.root.ok_or_else(|| XmlError::Structure("no root element".into()))?;
        Ok(Document {
            slots: self.slots,
            root,
            top_level_pis: self.top_level_pis,
        })
    }

    fn push_text(&mut self, s: &str, offset: usize) -> Result<(), XmlError> {
        if self.stack.is_empty() {
            if s.chars().any(|c| !matches!(c, ' ' | '\t' | '\n')) {
                return Err(XmlError::Structure(format!(
                    "text outside the root element at byte {offset}"
                )));
            }
            return Ok(());
        }
        if s.contains("]]>") {
            return Err(XmlError::Syntax {
                message: "']]>' is not allowed in character data".into(),
                offset,
            });
        }
        self.text.push_str(s);
        Ok(())
    }

    fn flush_text(&mut self) -> Result<(), XmlError> {
        if !self.text.is_empty() {
            let t = std::mem::take(&mut self.text);
            self.push_child(Node::Text(t))?;
        }
        Ok(())
    }

    fn alloc(&mut self, node: Node, parent: Option<NodeId>) -> Result<NodeId, XmlError> {
        if self.slots.len() >= self.limits.max_nodes {
            return Err(XmlError::TooManyNodes {
                limit: self.limits.max_nodes,
            });
        }
        let id = self.slots.len();
        self.slots.push(Slot {
            node,
            parent,
            end: id + 1,
        });
        Ok(id)
    }

    fn push_child(&mut self, node: Node) -> Result<NodeId, XmlError> {
        let parent = self.stack.last().copied();
        self.alloc(node, parent)
    }

    fn resolve(&self, prefix: Option<&str>) -> Option<Arc<str>> {
        match prefix {
            Some("xml") => Some(self.xml_ns.clone()),
            _ => self.scope.get(prefix.unwrap_or("")).filter(|u| !u.is_empty()).cloned(),
        }
    }

    fn start(&mut self, s: &BytesStart, offset: usize, empty: bool) -> Result<(), XmlError> {
        self.flush_text()?;
        if self.stack.is_empty() && self.root.is_some() {
            return Err(XmlError::Structure(format!("a second root element at byte {offset}")));
        }
        if self.stack.len() >= self.limits.max_depth {
            return Err(XmlError::TooDeep {
                limit: self.limits.max_depth,
                offset,
            });
        }
        let name = s.name();
        let qname = std::str::from_utf8(name.as_ref()).map_err(|e| Self::syntax(e, offset as u64))?;
        let (prefix, local) = split_qname(qname, offset)?;
        let (ns_decls, raw_attrs) = self.read_attributes(s, offset)?;
        self.scope_marks.push(self.scope.mark());
        for d in &ns_decls {
            if d.prefix.as_deref() == Some("xml") {
                continue;
            }
            self.scope
                .bind(d.prefix.clone().unwrap_or_default(), Arc::from(d.uri.as_str()));
        }
        let ns = match &prefix {
            Some(p) => Some(self.resolve_bound(p, offset)?),
            None => self.resolve(None),
        };
        let attrs = self.resolve_attributes(raw_attrs, offset)?;
        let el = Element {
            prefix,
            local,
            ns,
            ns_decls,
            attrs,
            offset,
        };
        let id = self.push_child(Node::Element(el))?;
        if self.stack.is_empty() {
            self.root = Some(id);
        }
        self.stack.push(id);
        if empty {
            self.end();
        }
        Ok(())
    }

    /// A start tag's attributes, within the limit: the namespace declarations, and the other attributes as
    /// (prefix, local name, normalized value).
    fn read_attributes(&self, s: &BytesStart, offset: usize) -> Result<(Vec<NsDecl>, Vec<RawAttribute>), XmlError> {
        let mut ns_decls = Vec::new();
        let mut raw_attrs: Vec<RawAttribute> = Vec::new();
        check_attribute_spacing(s.attributes_raw(), offset)?;
        for (count, a) in s.attributes().with_checks(true).enumerate() {
            if count >= self.limits.max_attributes {
                return Err(XmlError::TooManyAttributes {
                    limit: self.limits.max_attributes,
                    offset,
                });
            }
            let a = a.map_err(|e| match e {
                quick_xml::events::attributes::AttrError::Duplicated(_, _) => XmlError::DuplicateAttribute {
                    name: "(see element)".into(),
                    offset,
                },
                other => Self::syntax(other, offset as u64),
            })?;
            let key = std::str::from_utf8(a.key.as_ref()).map_err(|e| Self::syntax(e, offset as u64))?;
            let raw = std::str::from_utf8(&a.value).map_err(|e| Self::syntax(e, offset as u64))?;
            let value = normalize_attr_value(raw, offset)?;
            match namespace_declaration(key, value, offset)? {
                StartAttribute::Namespace(decl) => ns_decls.push(decl),
                StartAttribute::Plain(value) => {
                    let (ap, al) = split_qname(key, offset)?;
                    raw_attrs.push((ap, al, value));
                }
            }
        }
        Ok((ns_decls, raw_attrs))
    }

    /// A prefix's namespace in scope, or the error naming the unbound prefix.
    fn resolve_bound(&self, prefix: &str, offset: usize) -> Result<Arc<str>, XmlError> {
        self.resolve(Some(prefix)).ok_or_else(|| XmlError::UnboundPrefix {
            prefix: prefix.to_string(),
            offset,
        })
    }

    /// Attributes with their namespaces resolved (unprefixed ones have none); the same expanded name twice is
    /// refused.
    fn resolve_attributes(&self, raw_attrs: Vec<RawAttribute>, offset: usize) -> Result<Vec<Attribute>, XmlError> {
        let mut attrs: Vec<Attribute> = Vec::with_capacity(raw_attrs.len());
        for (ap, al, value) in raw_attrs {
            let ans = match &ap {
                Some(p) => Some(self.resolve_bound(p, offset)?),
                None => None,
            };
            if attrs.iter().any(|x| x.local == al && x.ns == ans) {
                return Err(XmlError::DuplicateAttribute { name: al, offset });
            }
            attrs.push(Attribute {
                prefix: ap,
                local: al,
                ns: ans,
                value,
            });
        }
        Ok(attrs)
    }

    fn end(&mut self) {
        if let Some(id) = self.stack.pop() {
            self.slots[id].end = self.slots.len();
        }
        if let Some(mark) = self.scope_marks.pop() {
            self.scope.restore(mark);
        }
    }
}

/// XML 1.0 (5th ed.) NameStartChar, without ':'.
fn is_name_start(c: char) -> bool {
    matches!(c,
        'A'..='Z' | '_' | 'a'..='z' | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}'
        | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}' | '\u{2070}'..='\u{218F}'
        | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}'
        | '\u{10000}'..='\u{EFFFF}')
}

/// XML 1.0 NameChar, without ':'.
fn is_name_char(c: char) -> bool {
    is_name_start(c) || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// Whether `s` is an XML NCName (a name without a colon). quick-xml does not check name syntax, and a
/// parser that accepts `<1a/>` or `<x<y/>` sees a different tree than libxml2 would.
pub(crate) fn is_ncname(s: &str) -> bool {
    // Names in tokens are ASCII: checked byte by byte against a table. A name with any other character takes the
    // full character classes.
    let b = s.as_bytes();
    let ascii_name = b.first().is_some_and(|&c| ASCII_NAME[usize::from(c)] == NAME_START)
        && b[1..].iter().all(|&c| ASCII_NAME[usize::from(c)] != 0);
    if ascii_name || b.is_ascii() {
        return ascii_name;
    }
    ncname_by_classes(s)
}

/// Whether `s` is an NCName by the XML character classes, character by character.
fn ncname_by_classes(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(is_name_start) && chars.all(is_name_char)
}

/// [`ASCII_NAME`] marks: an ASCII character that may start a name, one that may only continue it, and (0) any
/// other byte.
const NAME_START: u8 = 2;
const NAME_REST: u8 = 1;
static ASCII_NAME: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 128 {
        let b = c as u8;
        t[c] = if b.is_ascii_alphabetic() || b == b'_' {
            NAME_START
        } else if b.is_ascii_digit() || b == b'-' || b == b'.' {
            NAME_REST
        } else {
            0
        };
        c += 1;
    }
    t
};
/// An attribute of a start tag, as written: its prefix, local name and normalized value.
type RawAttribute = (Option<String>, String, String);

/// What an attribute of a start tag is: a namespace declaration, or an attribute with this value.
enum StartAttribute {
    Namespace(NsDecl),
    Plain(String),
}

/// An attribute as a namespace declaration (`xmlns` or `xmlns:p`, checked against the Namespaces in XML
/// constraints) or a plain attribute.
fn namespace_declaration(key: &str, value: String, offset: usize) -> Result<StartAttribute, XmlError> {
    if key == "xmlns" {
        if value == XML_NS || value == "http://www.w3.org/2000/xmlns/" {
            return Err(XmlError::InvalidNamespaceDeclaration {
                prefix: String::new(),
                offset,
            });
        }
        return Ok(StartAttribute::Namespace(NsDecl {
            prefix: None,
            uri: value,
        }));
    }
    let Some(p) = key.strip_prefix("xmlns:") else {
        return Ok(StartAttribute::Plain(value));
    };
    let bad = !is_ncname(p)
        || p == "xmlns"
        || value.is_empty()
        || (p == "xml") != (value == XML_NS)
        || value == "http://www.w3.org/2000/xmlns/";
    if bad {
        return Err(XmlError::InvalidNamespaceDeclaration {
            prefix: p.to_string(),
            offset,
        });
    }
    Ok(StartAttribute::Namespace(NsDecl {
        prefix: Some(p.to_string()),
        uri: value,
    }))
}

/// Refuses attributes not separated by whitespace (`a=""b=""`), which quick-xml accepts and libxml2 does not.
fn check_attribute_spacing(raw: &[u8], offset: usize) -> Result<(), XmlError> {
    // Jump from an opening quote to its closing one and look at the byte after it.
    let mut i = 0;
    while let Some(open) = memchr::memchr2(b'"', b'\'', &raw[i..]) {
        let open = i + open;
        let Some(len) = memchr::memchr(raw[open], &raw[open + 1..]) else {
            // An unterminated value: quick-xml reports it.
            return Ok(());
        };
        let close = open + 1 + len;
        if let Some(&next) = raw.get(close + 1) {
            if !matches!(next, b' ' | b'\t' | b'\n' | b'\r' | b'/') {
                return Err(XmlError::Syntax {
                    message: "attributes must be separated by whitespace".into(),
                    offset,
                });
            }
        }
        i = close + 1;
    }
    Ok(())
}

fn split_qname(qname: &str, offset: usize) -> Result<(Option<String>, String), XmlError> {
    let split = memchr::memchr(b':', qname.as_bytes()).map(|i| (&qname[..i], &qname[i + 1..]));
    match split {
        None if is_ncname(qname) => Ok((None, qname.to_string())),
        Some((p, l)) if is_ncname(p) && is_ncname(l) => Ok((Some(p.to_string()), l.to_string())),
        _ => Err(XmlError::Syntax {
            message: format!("invalid qualified name {qname:?}"),
            offset,
        }),
    }
}

/// Resolves the name between `&` and `;`: a predefined entity or a character reference.
fn resolve_reference(name: &str, offset: usize) -> Result<Cow<'static, str>, XmlError> {
    let s: &'static str = match name {
        "lt" => "<",
        "gt" => ">",
        "amp" => "&",
        "apos" => "'",
        "quot" => "\"",
        _ => {
            let code = if let Some(hex) = name.strip_prefix("#x") {
                u32::from_str_radix(hex, 16).ok()
            } else if let Some(dec) = name.strip_prefix('#') {
                dec.parse::<u32>().ok()
            } else {
                return Err(XmlError::UndefinedEntity {
                    name: name.to_string(),
                    offset,
                });
            };
            let code = code.ok_or_else(|| XmlError::Syntax {
                message: format!("invalid character reference &{name};"),
                offset,
            })?;
            let ok = matches!(code, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF);
            let ch = char::from_u32(code)
                .filter(|_| ok)
                .ok_or(XmlError::InvalidChar { code, offset })?;
            return Ok(Cow::Owned(ch.to_string()));
        }
    };
    Ok(Cow::Borrowed(s))
}

/// Attribute-value normalization (XML 1.0 section 3.3.3) for CDATA attributes: literal whitespace characters become
/// spaces, then references are replaced. `<` is not allowed in a value.
fn normalize_attr_value(raw: &str, offset: usize) -> Result<String, XmlError> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = rest.bytes().position(|b| matches!(b, b'&' | b'<' | b'\t' | b'\n')) {
        out.push_str(&rest[..i]);
        let c = rest.as_bytes()[i];
        match c {
            b'<' => {
                return Err(XmlError::Syntax {
                    message: "'<' is not allowed in an attribute value".into(),
                    offset,
                })
            }
            b'\t' | b'\n' => {
                out.push(' ');
                rest = &rest[i + 1..];
            }
            _ => {
                let after = &rest[i + 1..];
                let end = after.find(';').ok_or_else(|| XmlError::Syntax {
                    message: "unterminated reference in attribute value".into(),
                    offset,
                })?;
                out.push_str(&resolve_reference(&after[..end], offset)?);
                rest = &after[end + 1..];
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Document, XmlError> {
        Document::parse(s.as_bytes(), &Limits::default())
    }

    #[test]
    fn resolves_namespaces_and_text() {
        let d =
            parse(r#"<a:r xmlns:a="urn:a" xmlns="urn:d"><b x="1&amp;2">t&lt;<![CDATA[<c>]]>&#x41;</b></a:r>"#).unwrap();
        let r = d.element(d.root()).unwrap();
        assert!(r.is("urn:a", "r"));
        let b = d.child_named(d.root(), "urn:d", "b").unwrap();
        assert_eq!(d.element(b).unwrap().attr("x"), Some("1&2"));
        assert_eq!(d.text(b), "t<<c>A");
    }

    #[test]
    fn refuses_doctype_and_entities() {
        assert!(matches!(
            parse(r#"<!DOCTYPE r [<!ENTITY e "x">]><r>&e;</r>"#),
            Err(XmlError::Doctype { .. })
        ));
        assert!(matches!(parse("<r>&e;</r>"), Err(XmlError::UndefinedEntity { .. })));
    }

    #[test]
    fn refuses_unbound_prefix_and_truncation() {
        assert!(matches!(parse("<p:r/>"), Err(XmlError::UnboundPrefix { .. })));
        assert!(matches!(parse("<r><a>"), Err(XmlError::Structure(_))));
        assert!(parse("<r></s>").is_err());
        assert!(parse("").is_err());
        assert!(parse("<r/><r/>").is_err());
    }

    #[test]
    fn enforces_limits() {
        let deep = "<a>".repeat(200) + &"</a>".repeat(200);
        assert!(matches!(parse(&deep), Err(XmlError::TooDeep { .. })));
        let attrs: String = (0..300).map(|i| format!(" a{i}=\"v\"")).collect();
        assert!(matches!(
            parse(&format!("<r{attrs}/>")),
            Err(XmlError::TooManyAttributes { .. })
        ));
    }

    #[test]
    fn duplicate_expanded_attribute_names_are_refused() {
        assert!(matches!(
            parse(r#"<r xmlns:a="urn:x" xmlns:b="urn:x" a:k="1" b:k="2"/>"#),
            Err(XmlError::DuplicateAttribute { .. })
        ));
        assert!(parse(r#"<r k="1" k="2"/>"#).is_err());
    }

    #[test]
    fn normalizes_line_ends_and_attribute_whitespace() {
        let d = parse("<r a=\"x\ty\r\nz&#9;\">l1\r\nl2\rl3&#13;</r>").unwrap();
        let r = d.element(d.root()).unwrap();
        assert_eq!(r.attr("a"), Some("x y z\t"));
        assert_eq!(d.text(d.root()), "l1\nl2\nl3\r");
    }

    #[test]
    fn refuses_bad_encoding_and_utf8() {
        assert!(matches!(
            parse(r#"<?xml version="1.0" encoding="ISO-8859-1"?><r/>"#),
            Err(XmlError::UnsupportedEncoding { .. })
        ));
        assert!(matches!(
            Document::parse(b"<r>\xff</r>", &Limits::default()),
            Err(XmlError::InvalidUtf8 { .. })
        ));
        assert!(matches!(parse("<r>\u{1}</r>"), Err(XmlError::InvalidChar { .. })));
    }

    #[test]
    fn refuses_noncharacters_and_controls() {
        let l = Limits::default();
        assert!(matches!(
            Document::parse("<a>\u{FFFE}</a>".as_bytes(), &l),
            Err(XmlError::InvalidChar {
                code: 0xFFFE,
                offset: 3
            })
        ));
        assert!(matches!(
            Document::parse("<a>\u{FFFF}</a>".as_bytes(), &l),
            Err(XmlError::InvalidChar { code: 0xFFFF, .. })
        ));
        assert!(matches!(
            Document::parse(b"<a>\x01</a>", &l),
            Err(XmlError::InvalidChar { code: 1, .. })
        ));
        assert!(Document::parse("<a>\u{FFFD}\u{10000}\t</a>".as_bytes(), &l).is_ok());
    }

    #[test]
    fn refuses_invalid_names_and_unspaced_attributes() {
        let l = Limits::default();
        for bad in [
            "<r><1a/></r>",
            "<r xmlns:s=\"urn:s\"><x<s:A/></r>",
            "<r b=\"\"c=\"\"/>",
            "<r xmlns:1p=\"urn:x\"/>",
            "<r><a:-b xmlns:a=\"urn:a\"/></r>",
        ] {
            assert!(Document::parse(bad.as_bytes(), &l).is_err(), "accepted {bad}");
        }
        assert!(Document::parse("<r a=\"1\" b='2'><é.x-y_z/></r>".as_bytes(), &l).is_ok());
    }

    #[test]
    fn the_ascii_name_table_agrees_with_the_character_classes() {
        let mut names: Vec<String> = [
            "", "a", "a-", "-a", "1a", "_", "a.b", "a b", "a:b", "aé", "é", "a\u{b7}", "\u{b7}a",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        names.extend((0u8..128).map(|c| format!("{}", c as char)));
        names.extend((0u8..128).map(|c| format!("x{}", c as char)));
        for n in &names {
            assert_eq!(is_ncname(n), ncname_by_classes(n), "{n:?}");
        }
    }
}
