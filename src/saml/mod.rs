//! Tokens: protocol detection, signature verification of every `ds:Signature`, and the claims read back from the
//! signed bytes.
//!
//! [`analyze`] takes the XML an IdP posted (a SAML 2.0 `Response` or bare `Assertion`, a WS-Trust
//! `RequestSecurityTokenResponse` or its `Collection`, in either WS-Trust namespace), finds the assertion Entra
//! would consume, verifies each signature with fedcheck's engine and (optionally) libxmlsec1, and then reads
//! [`Claims`] **only** by re-parsing the canonical octets of a verified signature. Claims from an unverified
//! document are kept apart as `unverified_claims`, for diagnosis, and never count.

pub mod metadata;
use crate::dsig::xmlsec;
use crate::dsig::{self, Profile, SignatureCheck, SignatureError, SAML1_NS, SAML2_NS, SAMLP_NS};
use crate::trust::{CertInfo, TrustAnchor};
use crate::xml::{Document, Limits, NodeId, XmlError};
use serde::Serialize;

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

/// A SAML NameID / NameIdentifier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NameId {
    /// The value.
    pub value: String,
    /// `Format`, when given.
    pub format: Option<String>,
}

/// A subject confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Confirmation {
    /// `Method` (SAML 2.0) or `ConfirmationMethod` (SAML 1.1).
    pub method: String,
    /// `SubjectConfirmationData/@Recipient`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
    /// `SubjectConfirmationData/@NotOnOrAfter`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_on_or_after: Option<String>,
    /// `SubjectConfirmationData/@InResponseTo`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_response_to: Option<String>,
}

/// An attribute statement entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttributeClaim {
    /// `Name` (SAML 2.0) or `AttributeName` (SAML 1.1).
    pub name: String,
    /// `AttributeNamespace` (SAML 1.1) or `NameFormat` (SAML 2.0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The values, in order.
    pub values: Vec<String>,
}

/// The claims of one assertion.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Claims {
    /// `ID` / `AssertionID`.
    pub assertion_id: Option<String>,
    /// The assertion's issuer.
    pub issuer: Option<String>,
    /// `IssueInstant`.
    pub issue_instant: Option<String>,
    /// Subject NameID / NameIdentifier.
    pub name_id: Option<NameId>,
    /// Subject confirmations.
    pub subject_confirmations: Vec<Confirmation>,
    /// `Conditions/@NotBefore`.
    pub not_before: Option<String>,
    /// `Conditions/@NotOnOrAfter`.
    pub not_on_or_after: Option<String>,
    /// Audiences from every audience restriction.
    pub audiences: Vec<String>,
    /// SAML 2.0 `AuthnContextClassRef` values, or SAML 1.1 `AuthenticationMethod` values.
    pub authn_methods: Vec<String>,
    /// `AuthnInstant` / `AuthenticationInstant`.
    pub authn_instant: Option<String>,
    /// Attributes.
    pub attributes: Vec<AttributeClaim>,
}

impl Claims {
    /// Values of the attribute with this name (and namespace, when given).
    pub fn attribute(&self, name: &str, namespace: Option<&str>) -> Vec<&str> {
        self.attributes
            .iter()
            .filter(|a| a.name == name && namespace.is_none_or(|ns| a.namespace.as_deref() == Some(ns)))
            .flat_map(|a| a.values.iter().map(String::as_str))
            .collect()
    }
}

/// Fields of the message around the assertion (SAML 2.0 Response, WS-Trust RSTR).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EnvelopeFields {
    /// `Response/@Destination`.
    pub destination: Option<String>,
    /// `Response/@InResponseTo`.
    pub in_response_to: Option<String>,
    /// `Status/StatusCode/@Value` (and a nested second-level code, after " / ").
    pub status: Option<String>,
    /// `StatusMessage`.
    pub status_message: Option<String>,
    /// `Response/Issuer`.
    pub issuer: Option<String>,
    /// WS-Trust `AppliesTo` address.
    pub applies_to: Option<String>,
    /// Whether these fields are covered by a verified signature (a signed Response).
    pub signed: bool,
}

/// One engine's verdict on one signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EngineResult {
    /// `fedcheck` or `libxmlsec1`.
    pub name: String,
    /// Whether it verified.
    pub valid: bool,
    /// Why, in the engine's words.
    pub detail: String,
}

/// One signature and what the engines said.
#[derive(Debug, Clone)]
pub struct SignatureReport {
    /// fedcheck's structural and cryptographic check.
    pub check: SignatureCheck,
    /// Element kind signed (`Response`, `Assertion`).
    pub signed_element: String,
    /// The signed element's ID.
    pub reference_id: Option<String>,
    /// Engine results.
    pub engines: Vec<EngineResult>,
    /// The combined verdict: valid only if every engine run says valid.
    pub valid: bool,
    /// The engines disagree in a way that must not be resolved silently.
    pub disagreement: Option<String>,
    /// fedcheck refused a signature libxmlsec1 accepted, for a rule of its stricter profile.
    pub stricter: Option<String>,
    /// The anchor that verified it.
    pub anchor: Option<usize>,
    /// libxmlsec1 was asked for a second opinion but not run on this signature (outside fedcheck's profile, or
    /// impossible to isolate); the reason is its engine `detail`.
    pub second_opinion_skipped: bool,
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
    let protocol_mix = (!foreign.is_empty()).then(|| match protocol {
        Protocol::Saml2 => format!(
            "the SAML 2.0 {} carries {} SAML 1.1 assertion(s) (urn:oasis:names:tc:SAML:1.0:assertion)",
            doc.element(root).map(|e| e.local.as_str()).unwrap_or("document"),
            foreign.len()
        ),
        Protocol::WsfedSaml11 => format!(
            "the WS-Federation response carries {} SAML 2.0 assertion(s) (urn:oasis:names:tc:SAML:2.0:assertion)",
            foreign.len()
        ),
    });

    let signatures = verify_all(&doc, xml, anchors, engines, limits)?;
    let read = read_claims(&signatures, &assertions, &doc, assertion_ns, limits);
    let mut envelope_fields = envelope_fields(&doc, envelope);
    envelope_fields.signed = signatures
        .iter()
        .any(|s| s.valid && s.signed_element == "Response" && s.check.parent == Some(root));

    // Which assertions are covered by which verified signature.
    let id_attr = match protocol {
        Protocol::Saml2 => "ID",
        Protocol::WsfedSaml11 => "AssertionID",
    };
    let seen: Vec<AssertionSeen> = assertions
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
                read: read.assertion == Some(*a),
                id,
                signed,
            }
        })
        .collect();

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

/// Verifies every signature of the document with fedcheck's engine and, when asked, libxmlsec1 (one libxml2 parse
/// for all the signatures handed to it).
fn verify_all(
    doc: &Document,
    xml: &[u8],
    anchors: &[TrustAnchor],
    engines: Engines,
    limits: &Limits,
) -> Result<Vec<SignatureReport>, TokenError> {
    let mut profile = Profile::tokens();
    profile.verify_crypto = engines.fedcheck;
    profile.max_canonical_bytes = limits.canonical_budget(xml.len());
    profile.deadline = limits.deadline;
    let signature_nodes = dsig::find_signatures(doc);
    if signature_nodes.len() > limits.max_signatures {
        return Err(TokenError::Budget(format!(
            "the document holds {} ds:Signature elements, more than the {} allowed (--max-signatures)",
            signature_nodes.len(),
            limits.max_signatures
        )));
    }
    let checks: Vec<SignatureCheck> = signature_nodes
        .iter()
        .map(|&sig| dsig::verify(doc, sig, anchors, &profile))
        .collect();
    if checks.iter().any(|c| {
        matches!(
            c.outcome,
            Err(SignatureError::Canonicalize(crate::xml::c14n::C14nError::Deadline))
        )
    }) || crate::xml::past(limits.deadline)
    {
        return Err(TokenError::Budget("the deadline for judging this token passed".into()));
    }
    if let Some(limit) = checks.iter().find_map(|c| match &c.outcome {
        Err(SignatureError::Canonicalize(crate::xml::c14n::C14nError::TooLarge { limit })) => Some(*limit),
        _ => None,
    }) {
        return Err(TokenError::Budget(format!(
            "a signature's canonical form would exceed {limit} bytes, {} times the document's size (--max-c14n-factor)",
            limits.c14n_factor
        )));
    }
    let mut opinions: Vec<Option<xmlsec::Opinion>> = checks.iter().map(|_| None).collect();
    if engines.xmlsec {
        let over_budget = xmlsec_over_budget(doc, limits);
        let withheld: Vec<Option<xmlsec::Opinion>> = checks
            .iter()
            .map(|c| withheld_from_xmlsec(c).or_else(|| over_budget.clone()))
            .collect();
        let wanted: Vec<bool> = withheld.iter().map(Option::is_none).collect();
        let judged = xmlsec::verify_document(xml, Some(checks.len()), &wanted, anchors);
        opinions = withheld.into_iter().zip(judged).map(|(w, j)| w.or(j)).collect();
    }
    Ok(checks
        .into_iter()
        .zip(opinions)
        .map(|(check, opinion)| {
            let parent = check.parent.and_then(|p| doc.element(p));
            let signed_element = parent.map(|e| e.local.clone()).unwrap_or_default();
            let reference_id = parent.and_then(|e| e.attr("ID").or_else(|| e.attr("AssertionID")).map(str::to_string));
            combine(check, signed_element, reference_id, engines, opinion, anchors)
        })
        .collect())
}

/// libxml2's canonicalization searches the ancestor chain for every namespace it renders: a document with
/// thousands of declarations in scope, or a long `InclusiveNamespaces` list over many elements, would keep it busy
/// for seconds. Such a document gets no second opinion (and so no valid signature under the default engines): the
/// opinion says why.
fn xmlsec_over_budget(doc: &Document, limits: &Limits) -> Option<xmlsec::Opinion> {
    let inclusive = doc
        .find_all(doc.root(), crate::xml::c14n::EXC_C14N, "InclusiveNamespaces")
        .into_iter()
        .filter_map(|n| doc.element(n).and_then(|e| e.attr("PrefixList")))
        .map(|l| l.split_ascii_whitespace().count())
        .max()
        .unwrap_or(0);
    let work = doc.namespace_work(inclusive);
    (work > limits.max_namespace_work).then(|| xmlsec::Opinion {
        valid: false,
        anchor: None,
        checked: false,
        unavailable: false,
        detail: format!(
            "not run: canonicalizing this document would take libxmlsec1 about {work} namespace lookups, more than the {} allowed (--max-namespace-work)",
            limits.max_namespace_work
        ),
    })
}

/// Why a signature is not handed to libxmlsec1, as its opinion; `None` when it is.
fn withheld_from_xmlsec(check: &SignatureCheck) -> Option<xmlsec::Opinion> {
    // A signature outside fedcheck's profile (XSLT or XPath transforms, external references, ds:Object, ...) is
    // never handed to libxmlsec1, which would execute those transforms.
    if let Err(e) = &check.outcome {
        if structure_refused(e) {
            return Some(xmlsec::Opinion {
                valid: false,
                anchor: None,
                checked: false,
                unavailable: false,
                detail: "not run: the signature is outside fedcheck's SAML signature profile, so it is not handed to libxmlsec1 (which would process it)".into(),
            });
        }
    }
    // An algorithm libxmlsec1 does not implement: it cannot give an opinion, and says so.
    let d = &check.declared;
    let algorithms = d
        .signature_method
        .iter()
        .chain(d.digest_method.iter())
        .chain(d.canonicalization.iter())
        .chain(d.transforms.iter());
    for uri in algorithms.filter(|_| xmlsec::linked()) {
        if !xmlsec::implements(uri) {
            return Some(xmlsec::Opinion {
                valid: false,
                anchor: None,
                checked: false,
                unavailable: true,
                detail: format!("not run: libxmlsec1 {} does not implement {uri}", xmlsec::version()),
            });
        }
    }
    None
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

/// Errors found from the signature's structure alone, before any digest or key is involved.
fn structure_refused(e: &SignatureError) -> bool {
    !matches!(
        e,
        SignatureError::DigestMismatch { .. }
            | SignatureError::BadSignature { .. }
            | SignatureError::UntrustedKey { .. }
            | SignatureError::NoTrustAnchors
            | SignatureError::KeyMismatch { .. }
            | SignatureError::Budget { .. }
    )
}

/// Rules whose failure is fedcheck's stricter profile rather than a cryptographic fact.
fn is_policy(e: &SignatureError) -> bool {
    !matches!(
        e,
        SignatureError::DigestMismatch { .. }
            | SignatureError::BadSignature { .. }
            | SignatureError::UntrustedKey { .. }
    )
}

fn combine(
    check: SignatureCheck,
    signed_element: String,
    reference_id: Option<String>,
    engines: Engines,
    opinion: Option<xmlsec::Opinion>,
    anchors: &[TrustAnchor],
) -> SignatureReport {
    let mut results = Vec::new();
    let fed_ok = check.outcome.is_ok();
    if engines.fedcheck {
        results.push(EngineResult {
            name: "fedcheck".into(),
            valid: fed_ok,
            detail: match &check.outcome {
                Ok(v) => match v.anchor.and_then(|i| anchors.get(i)) {
                    Some(a) => format!("signature valid with {} ({})", a.info.subject, a.origin),
                    None => "signature valid".into(),
                },
                Err(e) => e.to_string(),
            },
        });
    }
    let mut disagreement = None;
    let mut stricter = None;
    let mut anchor = check.outcome.as_ref().ok().and_then(|v| v.anchor);
    let valid;
    match &opinion {
        Some(op) => {
            results.push(EngineResult {
                name: "libxmlsec1".into(),
                valid: op.valid,
                detail: op.detail.clone(),
            });
            if op.unavailable {
                // libxmlsec1 lacks the algorithm: fedcheck's own verification stands alone (and only when it ran
                // the cryptography itself).
                valid = fed_ok && engines.fedcheck;
            } else if !op.checked {
                // Withheld, or the document could not be isolated for it: no second opinion, so not valid.
                valid = false;
            } else if engines.fedcheck {
                match (&check.outcome, op.valid) {
                    (Ok(_), false) => {
                        disagreement = Some(format!(
                            "fedcheck verified this signature but libxmlsec1 did not: {}",
                            op.detail
                        ))
                    }
                    (Err(e), true) if !is_policy(e) => {
                        disagreement = Some(format!("libxmlsec1 verified this signature but fedcheck did not: {e}"))
                    }
                    (Err(e), true) => stricter = Some(e.to_string()),
                    (Ok(v), true) if v.anchor != op.anchor => {
                        disagreement = Some("the engines verified with different certificates".into())
                    }
                    _ => {}
                }
                valid = fed_ok && op.valid && disagreement.is_none();
            } else {
                // xmlsec alone decides the cryptography; fedcheck's profile and digest still apply.
                if let (Err(e), true) = (&check.outcome, op.valid) {
                    stricter = Some(e.to_string());
                }
                anchor = op.anchor;
                valid = fed_ok && op.valid;
            }
        }
        None => valid = fed_ok,
    }
    SignatureReport {
        second_opinion_skipped: opinion.as_ref().is_some_and(|o| !o.checked),
        check,
        signed_element,
        reference_id,
        engines: results,
        valid,
        disagreement,
        stricter,
        anchor,
    }
}

fn claims_from_canonical(canonical: &[u8], assertion_ns: &str, limits: &Limits) -> Option<Claims> {
    let doc = Document::parse(canonical, limits).ok()?;
    let root = doc.root();
    let root_el = doc.element(root)?;
    if root_el.is(assertion_ns, "Assertion") {
        return Some(extract_claims(&doc, root));
    }
    // A signed Response: its assertion must be a direct child, inside the signed bytes.
    let assertions: Vec<NodeId> = doc.children_named(root, assertion_ns, "Assertion").collect();
    match assertions.as_slice() {
        [one] => Some(extract_claims(&doc, *one)),
        _ => None,
    }
}

/// Trims XML whitespace only (space, tab, CR, LF): Unicode spaces such as U+00A0 are part of a value.
fn xml_trim(s: &str) -> &str {
    s.trim_matches([' ', '\t', '\n', '\r'])
}

/// The text of an element with simple content, XML-whitespace-trimmed. An element with element children is not a
/// valid claim value (anyURI, string): its text is marked so it can never equal an expected value.
fn simple_text(doc: &Document, n: NodeId) -> String {
    let text = doc.text(n);
    if doc.child_elements(n).next().is_some() {
        format!("(invalid: element content) {}", xml_trim(&text))
    } else {
        xml_trim(&text).to_string()
    }
}

fn first_text(doc: &Document, parent: NodeId, ns: &str, local: &str) -> Option<String> {
    doc.find_all(parent, ns, local).first().map(|n| simple_text(doc, *n))
}

fn attr_of(doc: &Document, node: NodeId, name: &str) -> Option<String> {
    doc.element(node).and_then(|e| e.attr(name)).map(str::to_string)
}

/// Reads the claims of one assertion element (SAML 2.0 or 1.1).
pub fn extract_claims(doc: &Document, assertion: NodeId) -> Claims {
    let Some(el) = doc.element(assertion) else {
        return Claims::default();
    };
    if el.ns.as_deref() == Some(SAML1_NS) {
        return extract_saml11(doc, assertion);
    }
    let ns = SAML2_NS;
    let mut c = Claims {
        assertion_id: attr_of(doc, assertion, "ID"),
        issuer: doc.child_named(assertion, ns, "Issuer").map(|i| simple_text(doc, i)),
        issue_instant: attr_of(doc, assertion, "IssueInstant"),
        ..Claims::default()
    };
    if let Some(subject) = doc.child_named(assertion, ns, "Subject") {
        if let Some(n) = doc.child_named(subject, ns, "NameID") {
            c.name_id = Some(NameId {
                value: simple_text(doc, n),
                format: attr_of(doc, n, "Format"),
            });
        }
        for sc in doc.children_named(subject, ns, "SubjectConfirmation") {
            let data = doc.child_named(sc, ns, "SubjectConfirmationData");
            c.subject_confirmations.push(Confirmation {
                method: attr_of(doc, sc, "Method").unwrap_or_default(),
                recipient: data.and_then(|d| attr_of(doc, d, "Recipient")),
                not_on_or_after: data.and_then(|d| attr_of(doc, d, "NotOnOrAfter")),
                in_response_to: data.and_then(|d| attr_of(doc, d, "InResponseTo")),
            });
        }
    }
    if let Some(cond) = doc.child_named(assertion, ns, "Conditions") {
        c.not_before = attr_of(doc, cond, "NotBefore");
        c.not_on_or_after = attr_of(doc, cond, "NotOnOrAfter");
        for ar in doc.children_named(cond, ns, "AudienceRestriction") {
            for a in doc.children_named(ar, ns, "Audience") {
                c.audiences.push(simple_text(doc, a));
            }
        }
    }
    for st in doc.children_named(assertion, ns, "AuthnStatement") {
        if c.authn_instant.is_none() {
            c.authn_instant = attr_of(doc, st, "AuthnInstant");
        }
        if let Some(ctx) = doc.child_named(st, ns, "AuthnContext") {
            for r in doc.children_named(ctx, ns, "AuthnContextClassRef") {
                c.authn_methods.push(simple_text(doc, r));
            }
        }
    }
    for st in doc.children_named(assertion, ns, "AttributeStatement") {
        for a in doc.children_named(st, ns, "Attribute") {
            c.attributes.push(AttributeClaim {
                name: attr_of(doc, a, "Name").unwrap_or_default(),
                namespace: attr_of(doc, a, "NameFormat"),
                values: doc
                    .children_named(a, ns, "AttributeValue")
                    .map(|v| simple_text(doc, v))
                    .collect(),
            });
        }
    }
    c
}

fn extract_saml11(doc: &Document, assertion: NodeId) -> Claims {
    let ns = SAML1_NS;
    let mut c = Claims {
        assertion_id: attr_of(doc, assertion, "AssertionID"),
        issuer: attr_of(doc, assertion, "Issuer"),
        issue_instant: attr_of(doc, assertion, "IssueInstant"),
        ..Claims::default()
    };
    if let Some(cond) = doc.child_named(assertion, ns, "Conditions") {
        c.not_before = attr_of(doc, cond, "NotBefore");
        c.not_on_or_after = attr_of(doc, cond, "NotOnOrAfter");
        for ar in doc.children_named(cond, ns, "AudienceRestrictionCondition") {
            for a in doc.children_named(ar, ns, "Audience") {
                c.audiences.push(simple_text(doc, a));
            }
        }
    }
    // Every statement carries its own Subject; they name the same subject in Entra's profile.
    for st in doc.child_elements(assertion) {
        let Some(st_el) = doc.element(st) else { continue };
        if st_el.ns.as_deref() != Some(ns) {
            continue;
        }
        if let Some(subject) = doc.child_named(st, ns, "Subject") {
            if c.name_id.is_none() {
                if let Some(n) = doc.child_named(subject, ns, "NameIdentifier") {
                    c.name_id = Some(NameId {
                        value: simple_text(doc, n),
                        format: attr_of(doc, n, "Format"),
                    });
                }
            }
            if let Some(sc) = doc.child_named(subject, ns, "SubjectConfirmation") {
                for m in doc.children_named(sc, ns, "ConfirmationMethod") {
                    let method = simple_text(doc, m);
                    if !c.subject_confirmations.iter().any(|x| x.method == method) {
                        c.subject_confirmations.push(Confirmation {
                            method,
                            recipient: None,
                            not_on_or_after: None,
                            in_response_to: None,
                        });
                    }
                }
            }
        }
        match st_el.local.as_str() {
            "AuthenticationStatement" => {
                if let Some(m) = st_el.attr("AuthenticationMethod") {
                    c.authn_methods.push(xml_trim(m).to_string());
                }
                if c.authn_instant.is_none() {
                    c.authn_instant = st_el.attr("AuthenticationInstant").map(str::to_string);
                }
            }
            "AttributeStatement" => {
                for a in doc.children_named(st, ns, "Attribute") {
                    c.attributes.push(AttributeClaim {
                        name: attr_of(doc, a, "AttributeName").unwrap_or_default(),
                        namespace: attr_of(doc, a, "AttributeNamespace"),
                        values: doc
                            .children_named(a, ns, "AttributeValue")
                            .map(|v| simple_text(doc, v))
                            .collect(),
                    });
                }
            }
            _ => {}
        }
    }
    c
}

fn envelope_fields(doc: &Document, envelope: Envelope) -> EnvelopeFields {
    let root = doc.root();
    let mut f = EnvelopeFields::default();
    match envelope {
        Envelope::Saml2Response => {
            f.destination = attr_of(doc, root, "Destination");
            f.in_response_to = attr_of(doc, root, "InResponseTo");
            f.issuer = doc.child_named(root, SAML2_NS, "Issuer").map(|i| simple_text(doc, i));
            if let Some(status) = doc.child_named(root, SAMLP_NS, "Status") {
                if let Some(code) = doc.child_named(status, SAMLP_NS, "StatusCode") {
                    let mut s = attr_of(doc, code, "Value").unwrap_or_default();
                    if let Some(sub) = doc.child_named(code, SAMLP_NS, "StatusCode") {
                        s = format!("{s} / {}", attr_of(doc, sub, "Value").unwrap_or_default());
                    }
                    f.status = Some(s);
                }
                f.status_message = first_text(doc, status, SAMLP_NS, "StatusMessage");
            }
        }
        Envelope::Rstr | Envelope::Rstrc => {
            if let Some(a) = doc.find_all(root, WSP_NS, "AppliesTo").first() {
                if let Some(addr) = doc
                    .find_all(*a, "http://www.w3.org/2005/08/addressing", "Address")
                    .first()
                {
                    f.applies_to = Some(simple_text(doc, *addr));
                } else if let Some(addr) = doc
                    .find_all(*a, "http://schemas.xmlsoap.org/ws/2004/08/addressing", "Address")
                    .first()
                {
                    f.applies_to = Some(simple_text(doc, *addr));
                }
            }
        }
        _ => {}
    }
    f
}

/// The certificate facts of the anchor that verified a token, if any.
pub fn signing_cert<'a>(token: &Token, anchors: &'a [TrustAnchor]) -> Option<&'a CertInfo> {
    token.signing_anchor.and_then(|i| anchors.get(i)).map(|a| &a.info)
}
