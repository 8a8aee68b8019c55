//! Tokens: protocol detection, signature verification of every `ds:Signature`, and the claims read back from the
//! signed bytes.
//!
//! [`analyze`] takes the XML an IdP posted (a SAML 2.0 `Response` or bare `Assertion`, a WS-Trust
//! `RequestSecurityTokenResponse` or its `Collection`, in either WS-Trust namespace), finds the assertion Entra
//! would consume, verifies each signature with fedcheck's engine and (optionally) libxmlsec1, and then reads
//! [`Claims`] **only** by re-parsing the canonical octets of a verified signature. Claims from an unverified
//! document are kept apart as `unverified_claims`, for diagnosis, and never count.
//!
//! One file per step: `verify` (every signature, each engine's verdict combined) and `claims` (the claims of an
//! assertion and the envelope's fields); this file detects the token and ties signatures to the claims they cover.

mod claims;
pub mod metadata;
mod verify;

pub use claims::{extract_claims, AttributeClaim, Claims, Confirmation, EnvelopeFields, NameId};
pub use verify::{EngineResult, SignatureReport};

use crate::dsig::{SAML1_NS, SAML2_NS, SAMLP_NS};
use crate::trust::{CertInfo, TrustAnchor};
use crate::xml::{Document, Limits, NodeId, XmlError};
use claims::{claims_from_canonical, envelope_fields};
use serde::Serialize;
use verify::verify_all;

/// WS-Trust February 2005 namespace (AD FS default for Entra).
pub const WST_2005: &str = "http://schemas.xmlsoap.org/ws/2005/02/trust";
/// WS-Trust 1.3 namespace.
pub const WST_13: &str = "http://docs.oasis-open.org/ws-sx/ws-trust/200512";
/// WS-Policy namespace (AppliesTo).
pub const WSP_NS: &str = "http://schemas.xmlsoap.org/ws/2004/09/policy";

/// The federation protocol a token belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Protocol {
    /// SAML-P: a SAML 2.0 Response.
    #[serde(rename = "saml2")]
    Saml2,
    /// WS-Federation carrying a SAML 1.1 assertion.
    #[serde(rename = "wsfed-saml11")]
    WsfedSaml11,
}

/// What the document's root is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Envelope {
    /// `samlp:Response`.
    Saml2Response,
    /// A bare SAML 2.0 `Assertion`.
    Saml2Assertion,
    /// A bare SAML 1.1 `Assertion`.
    Saml11Assertion,
    /// `wst:RequestSecurityTokenResponse`.
    Rstr,
    /// `wst:RequestSecurityTokenResponseCollection`.
    Rstrc,
}

/// Which engines verify signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Engines {
    /// fedcheck's own verifier (openssl).
    pub fedcheck: bool,
    /// libxmlsec1 through samael.
    pub xmlsec: bool,
}

/// Why a document is not a token at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// Not well-formed, or over a limit.
    #[error("not usable XML: {0}")]
    Xml(#[from] XmlError),
    /// Well-formed, but not a token fedcheck knows.
    #[error("root element {0} is not a SAML 2.0 Response or Assertion, nor a WS-Trust RequestSecurityTokenResponse")]
    NotAToken(String),
    /// A token envelope without an assertion.
    #[error("{0} holds no SAML assertion")]
    NoAssertion(String),
    /// The document would take more work than its budget allows (see [`Limits`]).
    #[error("over the work budget: {0}")]
    Budget(String),
}

/// Where claims were read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignedBy {
    /// The assertion's own signature.
    AssertionSignature,
    /// Only the enclosing Response's signature.
    ResponseSignature,
}

/// A token, analyzed.
#[derive(Debug, Clone)]
pub struct Token {
    /// The protocol.
    pub protocol: Protocol,
    /// The document's root.
    pub envelope: Envelope,
    /// Message fields around the assertion.
    pub envelope_fields: EnvelopeFields,
    /// Every signature in the document, in document order.
    pub signatures: Vec<SignatureReport>,
    /// Claims re-read from verified canonical bytes.
    pub claims: Option<Claims>,
    /// Which signature covered them.
    pub signed_by: Option<SignedBy>,
    /// The certificate that verified the claims.
    pub signing_anchor: Option<usize>,
    /// Index in `signatures` of the signature the claims were read from.
    pub claims_signature: Option<usize>,
    /// Claims read from the raw document, never trusted: for diagnosis when nothing verified.
    pub unverified_claims: Option<Claims>,
    /// Assertions in the document, and for each whether a verified signature covers it.
    pub assertions: Vec<AssertionSeen>,
    /// Number of assertions Entra would have to choose from.
    pub assertion_count: usize,
    /// The character encoding the document arrived in (`UTF-8`, `UTF-16LE`, `ISO-8859-1`, ...).
    pub encoding: String,
    /// Assertions of the other SAML version than the envelope's, described (a SAML 1.1 assertion inside a SAML 2.0
    /// Response, say): Entra reads neither as the envelope's token.
    pub protocol_mix: Option<String>,
    /// `EncryptedAssertion` elements: their content cannot be read or verified without the SP's decryption key.
    pub encrypted_assertions: usize,
}

/// Where a token's signature verdict comes from: computed once, used by the `signature.valid` check and the JSON
/// field `tokens[].signature.valid` alike, so the two can never disagree.
#[derive(Debug, Clone, Copy)]
pub struct SignatureVerdict {
    /// Index of the signature the claims rest on (or the most relevant one when none verified).
    pub primary: Option<usize>,
    /// The first other signature that did not verify.
    pub broken: Option<usize>,
    /// Every signature verified and the claims were read from one of them.
    pub valid: bool,
}

impl Token {
    /// The signature verdict (see [`SignatureVerdict`]).
    pub fn signature_verdict(&self) -> SignatureVerdict {
        let sigs = &self.signatures;
        let primary = self
            .claims_signature
            .or_else(|| sigs.iter().position(|x| x.valid && x.signed_element == "Assertion"))
            .or_else(|| sigs.iter().position(|x| x.valid))
            .or_else(|| sigs.iter().position(|x| x.signed_element == "Assertion"))
            .or_else(|| (!sigs.is_empty()).then_some(0));
        let broken = (0..sigs.len()).find(|&i| !sigs[i].valid && Some(i) != primary);
        let valid = primary.is_some_and(|p| sigs[p].valid) && broken.is_none() && self.claims.is_some();
        SignatureVerdict { primary, broken, valid }
    }
}

/// An assertion found in the document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssertionSeen {
    /// Its ID.
    pub id: Option<String>,
    /// Covered by a verified signature.
    pub signed: bool,
    /// It is the one whose claims were read.
    pub read: bool,
}

/// Parses and analyzes one token document.
pub fn analyze(xml: &[u8], anchors: &[TrustAnchor], engines: Engines, limits: &Limits) -> Result<Token, TokenError> {
    // Pasted tokens often start with a BOM or a blank line; neither is part of the document.
    let xml = xml.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(xml);
    let start = xml.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(xml.len());
    let decoded = crate::xml::decode_document(&xml[start..])?;
    let xml: &[u8] = &decoded.utf8;
    let doc = Document::parse(xml, limits)?;
    let (protocol, envelope) = detect(&doc)?;
    let assertion_ns = match protocol {
        Protocol::Saml2 => SAML2_NS,
        Protocol::WsfedSaml11 => SAML1_NS,
    };
    let root = doc.root();
    // Assertions nested in another assertion (SAML 2.0 Advice) are part of their parent's content, not tokens.
    let assertions = top_level(&doc, doc.find_all(root, assertion_ns, "Assertion"));
    let foreign_ns = match protocol {
        Protocol::Saml2 => SAML1_NS,
        Protocol::WsfedSaml11 => SAML2_NS,
    };
    let foreign = top_level(&doc, doc.find_all(root, foreign_ns, "Assertion"));
    let encrypted_assertions = doc.find_all(root, SAML2_NS, "EncryptedAssertion").len();
    if assertions.is_empty() && foreign.is_empty() && envelope != Envelope::Saml2Response {
        return Err(TokenError::NoAssertion(
            doc.element(root).map(|e| e.qname()).unwrap_or_default(),
        ));
    }
    let protocol_mix = (!foreign.is_empty()).then(|| protocol_mix(&doc, protocol, foreign.len()));

    let signatures = verify_all(&doc, xml, anchors, engines, limits)?;
    let read = read_claims(&signatures, &assertions, &doc, assertion_ns, limits);
    let mut envelope_fields = envelope_fields(&doc, envelope);
    envelope_fields.signed = signatures
        .iter()
        .any(|s| s.valid && s.signed_element == "Response" && s.check.parent == Some(root));

    let seen = assertions_seen(&doc, protocol, &assertions, &signatures, read.assertion);

    let unverified_claims = if read.claims.is_none() {
        assertions.first().map(|a| extract_claims(&doc, *a))
    } else {
        None
    };

    Ok(Token {
        protocol,
        envelope,
        encoding: decoded.encoding.clone(),
        envelope_fields,
        assertion_count: assertions.len(),
        signatures,
        claims: read.claims,
        signed_by: read.signed_by,
        signing_anchor: read.anchor,
        claims_signature: read.signature,
        unverified_claims,
        assertions: seen,
        protocol_mix,
        encrypted_assertions,
    })
}

/// What a document holds besides assertions of its own protocol: `count` assertions of the other SAML version.
fn protocol_mix(doc: &Document, protocol: Protocol, count: usize) -> String {
    match protocol {
        Protocol::Saml2 => format!(
            "the SAML 2.0 {} carries {count} SAML 1.1 assertion(s) (urn:oasis:names:tc:SAML:1.0:assertion)",
            doc.element(doc.root()).map(|e| e.local.as_str()).unwrap_or("document"),
        ),
        Protocol::WsfedSaml11 => format!(
            "the WS-Federation response carries {count} SAML 2.0 assertion(s) (urn:oasis:names:tc:SAML:2.0:assertion)"
        ),
    }
}

/// Each top-level assertion: its ID, whether a verified signature covers it, and whether it is the one `read`.
fn assertions_seen(
    doc: &Document,
    protocol: Protocol,
    assertions: &[NodeId],
    signatures: &[SignatureReport],
    read: Option<NodeId>,
) -> Vec<AssertionSeen> {
    let id_attr = match protocol {
        Protocol::Saml2 => "ID",
        Protocol::WsfedSaml11 => "AssertionID",
    };
    assertions
        .iter()
        .map(|a| {
            let id = doc.element(*a).and_then(|e| e.attr(id_attr)).map(str::to_string);
            let signed = signatures.iter().any(|s| {
                s.valid
                    && s.check
                        .outcome
                        .as_ref()
                        .is_ok_and(|v| doc.is_ancestor_or_self(v.element, *a))
            });
            AssertionSeen {
                read: read == Some(*a),
                id,
                signed,
            }
        })
        .collect()
}

/// The protocol and envelope from the document element.
fn detect(doc: &Document) -> Result<(Protocol, Envelope), TokenError> {
    let root_el = doc
        .element(doc.root())
        .ok_or_else(|| TokenError::NotAToken("(none)".into()))?;
    Ok(if root_el.is(SAMLP_NS, "Response") {
        (Protocol::Saml2, Envelope::Saml2Response)
    } else if root_el.is(SAML2_NS, "Assertion") {
        (Protocol::Saml2, Envelope::Saml2Assertion)
    } else if root_el.is(SAML1_NS, "Assertion") {
        (Protocol::WsfedSaml11, Envelope::Saml11Assertion)
    } else if root_el.is(WST_2005, "RequestSecurityTokenResponse") || root_el.is(WST_13, "RequestSecurityTokenResponse")
    {
        (Protocol::WsfedSaml11, Envelope::Rstr)
    } else if root_el.is(WST_13, "RequestSecurityTokenResponseCollection")
        || root_el.is(WST_2005, "RequestSecurityTokenResponseCollection")
    {
        (Protocol::WsfedSaml11, Envelope::Rstrc)
    } else {
        return Err(TokenError::NotAToken(format!(
            "{{{}}}{}",
            root_el.ns.as_deref().unwrap_or(""),
            root_el.local
        )));
    })
}

/// The assertions of `all` that are not inside another assertion of either SAML version.
fn top_level(doc: &Document, all: Vec<NodeId>) -> Vec<NodeId> {
    all.into_iter()
        .filter(|&a| {
            let mut cur = doc.parent(a);
            while let Some(p) = cur {
                if doc
                    .element(p)
                    .is_some_and(|e| e.local == "Assertion" && matches!(e.ns.as_deref(), Some(SAML1_NS | SAML2_NS)))
                {
                    return false;
                }
                cur = doc.parent(p);
            }
            true
        })
        .collect()
}

/// Claims read from a verified signature, and which.
struct Read {
    claims: Option<Claims>,
    signature: Option<usize>,
    signed_by: Option<SignedBy>,
    anchor: Option<usize>,
    assertion: Option<NodeId>,
}

/// Claims: from a top-level assertion's own verified signature first, else from a verified Response signature
/// over the document element. Signatures on assertions nested in Advice never supply the claims.
fn read_claims(
    signatures: &[SignatureReport],
    assertions: &[NodeId],
    doc: &Document,
    assertion_ns: &str,
    limits: &Limits,
) -> Read {
    let mut read = Read {
        claims: None,
        signature: None,
        signed_by: None,
        anchor: None,
        assertion: None,
    };
    for (i, s) in signatures
        .iter()
        .enumerate()
        .filter(|(_, s)| s.valid && s.signed_element == "Assertion")
    {
        if let Ok(v) = &s.check.outcome {
            if !assertions.contains(&v.element) {
                continue;
            }
            if let Some(c) = claims_from_canonical(&v.canonical, assertion_ns, limits) {
                read.signature = Some(i);
                read.claims = Some(c);
                read.signed_by = Some(SignedBy::AssertionSignature);
                read.anchor = s.anchor;
                read.assertion = Some(v.element);
                return read;
            }
        }
    }
    for (i, s) in signatures
        .iter()
        .enumerate()
        .filter(|(_, s)| s.valid && s.signed_element == "Response")
    {
        if let Ok(v) = &s.check.outcome {
            if v.element != doc.root() {
                continue;
            }
            if let Some(c) = claims_from_canonical(&v.canonical, assertion_ns, limits) {
                read.signature = Some(i);
                let in_doc: Vec<NodeId> = doc.children_named(v.element, assertion_ns, "Assertion").collect();
                read.assertion = in_doc.first().copied();
                read.claims = Some(c);
                read.signed_by = Some(SignedBy::ResponseSignature);
                read.anchor = s.anchor;
                return read;
            }
        }
    }
    read
}

/// The certificate facts of the anchor that verified a token, if any.
pub fn signing_cert<'a>(token: &Token, anchors: &'a [TrustAnchor]) -> Option<&'a CertInfo> {
    token.signing_anchor.and_then(|i| anchors.get(i)).map(|a| &a.info)
}
