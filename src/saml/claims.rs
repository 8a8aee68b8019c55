//! What a token says: the claims of one assertion ([`Claims`], SAML 2.0 or SAML 1.1), read only from a verified
//! signature's canonical octets ([`claims_from_canonical`]), and the fields of the message around it
//! ([`EnvelopeFields`]). Values are XML-whitespace-trimmed; an element with element content is never a valid
//! claim value and is marked so it can never equal an expected one.

use super::{Envelope, WSP_NS};
use crate::dsig::{SAML1_NS, SAML2_NS, SAMLP_NS};
use crate::xml::{Document, Limits, NodeId};
use serde::Serialize;

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

/// The claims in a verified signature's canonical octets: the signed assertion, or the one assertion that is a
/// direct child of a signed Response.
pub(super) fn claims_from_canonical(canonical: &[u8], assertion_ns: &str, limits: &Limits) -> Option<Claims> {
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

/// The text of the first `ns:local` element under `parent`.
fn first_text(doc: &Document, parent: NodeId, ns: &str, local: &str) -> Option<String> {
    doc.find_all(parent, ns, local).first().map(|n| simple_text(doc, *n))
}

/// An attribute of an element, as a string.
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

/// Reads the claims of a SAML 1.1 assertion: every statement carries its own Subject.
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

/// The fields of the message around the assertion (SAML 2.0 Response, WS-Trust RSTR and RSTRC).
pub(super) fn envelope_fields(doc: &Document, envelope: Envelope) -> EnvelopeFields {
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
