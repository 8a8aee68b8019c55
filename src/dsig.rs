//! XML Signature verification under a strict SAML profile, yielding the signed bytes.
//!
//! [`verify`] checks one `ds:Signature` element the way a relying party that reads only what is signed must: the
//! signature is enveloped in the element it signs, its single `Reference` points at that element's unique ID, the
//! transforms are exactly enveloped-signature then exclusive canonicalization, the digest of the canonical bytes
//! equals `DigestValue`, and `SignatureValue` verifies over the canonical `SignedInfo` with a trusted key (openssl).
//! On success it returns [`Verified::canonical`]: the exact octets that were digested. Callers re-parse those octets
//! and read claims from them, never from the surrounding document, which is what defeats signature wrapping.
//!
//! Anything outside the profile (several references, XPath or XSLT transforms, `ds:Object`, HMAC, unknown or
//! misspelled algorithm URIs, RSA keys under 2048 bits, a key found only in `KeyInfo`) fails with a specific
//! [`SignatureError`], so a report can say exactly why.

use crate::c14n::{self, EXC_C14N, EXC_C14N_WITH_COMMENTS};
use crate::trust::{cert_info, CertInfo, TrustAnchor};
use crate::xml::{Document, NodeId};
use base64::Engine;
use openssl::bn::BigNum;
use openssl::ecdsa::EcdsaSig;
use openssl::hash::{hash, MessageDigest};
use openssl::pkey::{Id, PKey, Public};
use openssl::sign::Verifier;
use openssl::x509::X509;
use serde::Serialize;

/// The XML Signature namespace.
pub const DS_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
/// The enveloped-signature transform.
pub const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
/// SAML 2.0 assertion namespace.
pub const SAML2_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
/// SAML 2.0 protocol namespace.
pub const SAMLP_NS: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
/// SAML 1.x assertion namespace.
pub const SAML1_NS: &str = "urn:oasis:names:tc:SAML:1.0:assertion";
/// SAML 2.0 metadata namespace.
pub const MD_NS: &str = "urn:oasis:names:tc:SAML:2.0:metadata";

/// An element kind a signature may cover, and the attribute that carries its ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// Namespace of the element.
    pub ns: &'static str,
    /// Local name of the element.
    pub local: &'static str,
    /// Name of its ID attribute (`ID` for SAML 2.0, `AssertionID` for SAML 1.1).
    pub id_attr: &'static str,
}

/// What a signature may cover and how much work verification may do.
#[derive(Debug, Clone)]
pub struct Profile {
    /// Elements a signature may be enveloped in.
    pub targets: Vec<Target>,
    /// Verify `SignatureValue` with openssl. When false (`--engines xmlsec`), everything else is still checked,
    /// including the digest, and the cryptographic verdict is left to libxmlsec1.
    pub verify_crypto: bool,
    /// Most public-key operations for one signature (trust anchors tried).
    pub max_key_trials: usize,
}

impl Profile {
    /// Tokens: SAML 2.0 `Response` and `Assertion`, SAML 1.1 `Assertion`.
    pub fn tokens() -> Profile {
        Profile {
            targets: vec![
                Target {
                    ns: SAMLP_NS,
                    local: "Response",
                    id_attr: "ID",
                },
                Target {
                    ns: SAML2_NS,
                    local: "Assertion",
                    id_attr: "ID",
                },
                Target {
                    ns: SAML1_NS,
                    local: "Assertion",
                    id_attr: "AssertionID",
                },
            ],
            verify_crypto: true,
            max_key_trials: 32,
        }
    }

    /// Metadata documents: `EntityDescriptor` and `EntitiesDescriptor`.
    pub fn metadata() -> Profile {
        Profile {
            targets: vec![
                Target {
                    ns: MD_NS,
                    local: "EntityDescriptor",
                    id_attr: "ID",
                },
                Target {
                    ns: MD_NS,
                    local: "EntitiesDescriptor",
                    id_attr: "ID",
                },
            ],
            verify_crypto: true,
            max_key_trials: 32,
        }
    }
}

/// Why a signature did not verify. Each variant names one specific rule of the profile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The node is not a `ds:Signature` element.
    #[error("not a ds:Signature element")]
    NotASignature,
    /// The signature is not a child of an element it may sign.
    #[error(
        "the signature is not enveloped in a signable element (its parent is {parent}); only {allowed} may be signed"
    )]
    NotEnveloped {
        /// The parent's name.
        parent: String,
        /// The allowed element names.
        allowed: String,
    },
    /// A required element is missing.
    #[error("{within} has no {name}")]
    Missing {
        /// The missing element.
        name: String,
        /// Where it was expected.
        within: String,
    },
    /// An element the profile does not allow.
    #[error("unexpected {name} in {within}: not allowed by the SAML signature profile")]
    Unexpected {
        /// The unexpected element.
        name: String,
        /// Where it was found.
        within: String,
    },
    /// The signed element has no ID.
    #[error("the signed element {element} has no {id_attr} attribute")]
    MissingId {
        /// The element.
        element: String,
        /// The expected ID attribute.
        id_attr: String,
    },
    /// The ID occurs more than once in the document.
    #[error("ID \"{id}\" occurs {count} times in the document; a signed ID must be unique")]
    DuplicateId {
        /// The ID value.
        id: String,
        /// How many elements carry it.
        count: usize,
    },
    /// Not exactly one Reference.
    #[error("SignedInfo has {count} Reference elements; exactly one is allowed")]
    ReferenceCount {
        /// How many.
        count: usize,
    },
    /// The Reference does not point at the enveloping element.
    #[error("Reference URI is \"{uri}\", expected \"{expected}\" (the ID of the element that holds the signature)")]
    ReferenceUri {
        /// The URI found.
        uri: String,
        /// The URI expected.
        expected: String,
    },
    /// Transforms other than enveloped-signature then exclusive c14n.
    #[error("transforms are [{found}]; only enveloped-signature followed by exclusive c14n is allowed")]
    Transforms {
        /// The transform algorithms found.
        found: String,
    },
    /// Canonicalization other than exclusive c14n.
    #[error("canonicalization method {alg} is not exclusive c14n")]
    Canonicalization {
        /// The algorithm URI.
        alg: String,
    },
    /// An algorithm URI written with `https://`, a copy-paste error from documentation.
    #[error("algorithm URI {alg} uses https://; XML Signature algorithm identifiers are http://www.w3.org/... (copied from documentation?)")]
    AlgorithmUriTypo {
        /// The URI.
        alg: String,
    },
    /// An HMAC signature method, which a public certificate cannot key.
    #[error("signature method {alg} is an HMAC; a token signature must use the IdP's private key (RSA or ECDSA)")]
    Hmac {
        /// The URI.
        alg: String,
    },
    /// An unsupported signature method.
    #[error("signature method {alg} is not supported (RSA-SHA256/384/512, ECDSA-SHA256/384/512, RSA-SHA1)")]
    SignatureMethod {
        /// The URI.
        alg: String,
    },
    /// An unsupported digest method.
    #[error("digest method {alg} is not supported (SHA-256/384/512, SHA-1)")]
    DigestMethod {
        /// The URI.
        alg: String,
    },
    /// A value is not valid base64.
    #[error("{field} is not valid base64")]
    Base64 {
        /// Which element.
        field: String,
    },
    /// The digest of the signed element does not match: the content was changed after signing.
    #[error(
        "digest mismatch: the signed element was changed after signing (DigestValue {expected}, computed {computed})"
    )]
    DigestMismatch {
        /// DigestValue in SignedInfo.
        expected: String,
        /// Digest of the canonical bytes.
        computed: String,
    },
    /// The key is too small.
    #[error("the signing key is RSA-{bits}; keys under 2048 bits are refused")]
    WeakKey {
        /// Key size.
        bits: u32,
    },
    /// The SignatureValue verifies, but only with a certificate from KeyInfo that is not a trust anchor.
    #[error("signed by a key that is not trusted: the KeyInfo certificate {subject} (SHA-256 {sha256}) verifies the signature but is not a trust anchor")]
    UntrustedKey {
        /// The KeyInfo certificate's subject.
        subject: String,
        /// Its SHA-256 thumbprint.
        sha256: String,
    },
    /// The SignatureValue does not verify with any trust anchor.
    #[error("SignatureValue does not verify with any of the {anchors} trusted key(s)")]
    BadSignature {
        /// How many anchors were tried.
        anchors: usize,
    },
    /// No trust anchor was given.
    #[error("no trusted certificate given (--idp-cert or --metadata), so the signature cannot be verified")]
    NoTrustAnchors,
    /// The signature method does not fit the key type.
    #[error("signature method {alg} does not fit a {key} key")]
    KeyMismatch {
        /// The method.
        alg: String,
        /// The key type.
        key: String,
    },
    /// Too many keys to try.
    #[error("more than {limit} trusted keys to try; refusing the work")]
    Budget {
        /// The limit.
        limit: usize,
    },
}

/// The algorithms and references a signature declares (reported whatever the outcome).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Declared {
    /// `SignatureMethod/@Algorithm`.
    pub signature_method: Option<String>,
    /// `DigestMethod/@Algorithm`.
    pub digest_method: Option<String>,
    /// `CanonicalizationMethod/@Algorithm`.
    pub canonicalization: Option<String>,
    /// `Reference/@URI`.
    pub reference_uri: Option<String>,
    /// Certificates found in `KeyInfo`.
    pub keyinfo_certificates: Vec<CertInfo>,
}

/// A signature that verified.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The signed element (the signature's parent).
    pub element: NodeId,
    /// Exactly the canonical octets that were digested: the signed element, signature removed.
    pub canonical: Vec<u8>,
    /// The trust anchor that verified it (`None` when crypto was left to libxmlsec1).
    pub anchor: Option<usize>,
    /// SHA-1 was used for the signature or the digest.
    pub uses_sha1: bool,
}

/// The result of checking one signature.
#[derive(Debug, Clone)]
pub struct SignatureCheck {
    /// The `ds:Signature` element.
    pub signature: NodeId,
    /// The element the signature is enveloped in.
    pub parent: Option<NodeId>,
    /// What the signature declares.
    pub declared: Declared,
    /// The verdict.
    pub outcome: Result<Verified, SignatureError>,
}

#[derive(Clone, Copy)]
enum KeyKind {
    Rsa,
    Ec,
}

struct SigAlg {
    kind: KeyKind,
    md: MessageDigest,
    sha1: bool,
}

fn signature_alg(uri: &str) -> Result<SigAlg, SignatureError> {
    let (kind, md, sha1) = match uri {
        "http://www.w3.org/2000/09/xmldsig#rsa-sha1" => (KeyKind::Rsa, MessageDigest::sha1(), true),
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" => (KeyKind::Rsa, MessageDigest::sha256(), false),
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384" => (KeyKind::Rsa, MessageDigest::sha384(), false),
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512" => (KeyKind::Rsa, MessageDigest::sha512(), false),
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1" => (KeyKind::Ec, MessageDigest::sha1(), true),
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256" => (KeyKind::Ec, MessageDigest::sha256(), false),
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384" => (KeyKind::Ec, MessageDigest::sha384(), false),
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512" => (KeyKind::Ec, MessageDigest::sha512(), false),
        _ => {
            if uri.starts_with("https://www.w3.org/") {
                return Err(SignatureError::AlgorithmUriTypo { alg: uri.into() });
            }
            if uri.contains("hmac") {
                return Err(SignatureError::Hmac { alg: uri.into() });
            }
            return Err(SignatureError::SignatureMethod { alg: uri.into() });
        }
    };
    Ok(SigAlg { kind, md, sha1 })
}

fn digest_alg(uri: &str) -> Result<(MessageDigest, bool), SignatureError> {
    match uri {
        "http://www.w3.org/2000/09/xmldsig#sha1" => Ok((MessageDigest::sha1(), true)),
        "http://www.w3.org/2001/04/xmlenc#sha256" => Ok((MessageDigest::sha256(), false)),
        "http://www.w3.org/2001/04/xmldsig-more#sha384" => Ok((MessageDigest::sha384(), false)),
        "http://www.w3.org/2001/04/xmlenc#sha512" => Ok((MessageDigest::sha512(), false)),
        _ if uri.starts_with("https://www.w3.org/") => Err(SignatureError::AlgorithmUriTypo { alg: uri.into() }),
        _ => Err(SignatureError::DigestMethod { alg: uri.into() }),
    }
}

fn c14n_options(doc: &Document, method: NodeId, alg: &str) -> Result<c14n::Options, SignatureError> {
    let with_comments = match alg {
        EXC_C14N => false,
        EXC_C14N_WITH_COMMENTS => true,
        _ if alg.starts_with("https://www.w3.org/") => {
            return Err(SignatureError::AlgorithmUriTypo { alg: alg.into() })
        }
        _ => return Err(SignatureError::Canonicalization { alg: alg.into() }),
    };
    let mut inclusive_prefixes = Vec::new();
    for child in doc.child_elements(method) {
        let Some(e) = doc.element(child) else { continue };
        if e.is(EXC_C14N, "InclusiveNamespaces") {
            if let Some(list) = e.attr("PrefixList") {
                inclusive_prefixes.extend(list.split_ascii_whitespace().map(str::to_string));
            }
        } else {
            return Err(SignatureError::Unexpected {
                name: e.qname(),
                within: "the canonicalization method".into(),
            });
        }
    }
    Ok(c14n::Options {
        with_comments,
        inclusive_prefixes,
        exclude: None,
    })
}

fn b64(text: &str, field: &str) -> Result<Vec<u8>, SignatureError> {
    let mut cleaned = Vec::with_capacity(text.len());
    cleaned.extend(text.bytes().filter(|b| !b.is_ascii_whitespace()));
    base64::engine::general_purpose::STANDARD
        .decode(&cleaned)
        .map_err(|_| SignatureError::Base64 { field: field.into() })
}

/// Whether `text`, ignoring ASCII whitespace, is exactly `b64`.
fn base64_text_equals(text: &str, b64: &str) -> bool {
    let mut a = text.bytes().filter(|b| !b.is_ascii_whitespace());
    let mut b = b64.bytes();
    loop {
        match (a.next(), b.next()) {
            (None, None) => return true,
            (Some(x), Some(y)) if x == y => {}
            _ => return false,
        }
    }
}

fn name_of(doc: &Document, id: NodeId) -> String {
    doc.element(id)
        .map(|e| e.qname())
        .unwrap_or_else(|| "(not an element)".into())
}

/// The ds: children of `parent`, refusing any other element.
fn ds_children(doc: &Document, parent: NodeId, within: &str) -> Result<Vec<(String, NodeId)>, SignatureError> {
    let mut out = Vec::new();
    for c in doc.child_elements(parent) {
        let Some(e) = doc.element(c) else { continue };
        if e.ns.as_deref() != Some(DS_NS) {
            return Err(SignatureError::Unexpected {
                name: e.qname(),
                within: within.into(),
            });
        }
        out.push((e.local.clone(), c));
    }
    Ok(out)
}

/// Counts the elements whose `ID`, `AssertionID`, `Id` or `xml:id` attribute equals `id` (libxml2 registers
/// `xml:id` itself, so a duplicate there would make libxmlsec1 resolve the reference elsewhere).
fn id_count(doc: &Document, id: &str) -> usize {
    doc.elements()
        .filter(|e| {
            e.attrs.iter().any(|a| {
                let id_like = matches!(a.local.as_str(), "ID" | "AssertionID" | "Id")
                    || (a.local == "id" && a.ns.as_deref() == Some(crate::xml::XML_NS));
                id_like && a.value == id
            })
        })
        .count()
}

/// Checks one `ds:Signature` element against the trust anchors under `profile`.
pub fn verify(doc: &Document, signature: NodeId, anchors: &[TrustAnchor], profile: &Profile) -> SignatureCheck {
    let mut declared = Declared::default();
    let parent = doc.parent(signature);
    let outcome = check(doc, signature, anchors, profile, &mut declared);
    SignatureCheck {
        signature,
        parent,
        declared,
        outcome,
    }
}

fn check(
    doc: &Document,
    signature: NodeId,
    anchors: &[TrustAnchor],
    profile: &Profile,
    declared: &mut Declared,
) -> Result<Verified, SignatureError> {
    let sig_el = doc.element(signature).ok_or(SignatureError::NotASignature)?;
    if !sig_el.is(DS_NS, "Signature") {
        return Err(SignatureError::NotASignature);
    }

    // Structure of Signature: SignedInfo, SignatureValue, optional KeyInfo; nothing else (no ds:Object).
    let parts = ds_children(doc, signature, "Signature")?;
    let names: Vec<&str> = parts.iter().map(|(n, _)| n.as_str()).collect();
    let (signed_info, sig_value, key_info) = match names.as_slice() {
        ["SignedInfo", "SignatureValue"] => (parts[0].1, parts[1].1, None),
        ["SignedInfo", "SignatureValue", "KeyInfo"] => (parts[0].1, parts[1].1, Some(parts[2].1)),
        _ => {
            let bad = parts
                .iter()
                .find(|(n, _)| !matches!(n.as_str(), "SignedInfo" | "SignatureValue" | "KeyInfo"));
            return Err(match bad {
                Some((n, _)) => SignatureError::Unexpected {
                    name: format!("ds:{n}"),
                    within: "Signature".into(),
                },
                None if !names.contains(&"SignedInfo") => SignatureError::Missing {
                    name: "SignedInfo".into(),
                    within: "Signature".into(),
                },
                None if !names.contains(&"SignatureValue") => SignatureError::Missing {
                    name: "SignatureValue".into(),
                    within: "Signature".into(),
                },
                None => SignatureError::Unexpected {
                    name: format!("element order [{}]", names.join(", ")),
                    within: "Signature".into(),
                },
            });
        }
    };

    // KeyInfo certificates, for the report and for choosing which anchor to try first. A certificate that is
    // byte-for-byte an anchor reuses the anchor's facts; only foreign certificates are parsed (to explain them).
    let mut keyinfo_ders: Vec<Vec<u8>> = Vec::new();
    let mut foreign_certs: Vec<X509> = Vec::new();
    if let Some(ki) = key_info {
        for c in doc.find_all(ki, DS_NS, "X509Certificate").into_iter().take(8) {
            let text = doc.text(c);
            // The common case, a KeyInfo naming a trust anchor, is matched on the base64 text itself.
            if let Some(a) = anchors.iter().find(|a| base64_text_equals(&text, &a.der_base64)) {
                declared.keyinfo_certificates.push(a.info.clone());
                keyinfo_ders.push(a.der.clone());
                continue;
            }
            let Ok(der) = b64(&text, "X509Certificate") else {
                continue;
            };
            if let Some(a) = anchors.iter().find(|a| a.der == der) {
                declared.keyinfo_certificates.push(a.info.clone());
            } else if let Ok(cert) = X509::from_der(&der) {
                if let Ok(key) = cert.public_key() {
                    if let Ok(info) = cert_info(&cert, &key) {
                        declared.keyinfo_certificates.push(info);
                    }
                }
                foreign_certs.push(cert);
            }
            keyinfo_ders.push(der);
        }
    }

    // SignedInfo: CanonicalizationMethod, SignatureMethod, exactly one Reference.
    let si = ds_children(doc, signed_info, "SignedInfo")?;
    let c14n_method = si
        .iter()
        .find(|(n, _)| n == "CanonicalizationMethod")
        .map(|(_, id)| *id)
        .ok_or_else(|| SignatureError::Missing {
            name: "CanonicalizationMethod".into(),
            within: "SignedInfo".into(),
        })?;
    let sig_method = si
        .iter()
        .find(|(n, _)| n == "SignatureMethod")
        .map(|(_, id)| *id)
        .ok_or_else(|| SignatureError::Missing {
            name: "SignatureMethod".into(),
            within: "SignedInfo".into(),
        })?;
    let references: Vec<NodeId> = si.iter().filter(|(n, _)| n == "Reference").map(|(_, id)| *id).collect();
    if let Some((n, _)) = si
        .iter()
        .find(|(n, _)| !matches!(n.as_str(), "CanonicalizationMethod" | "SignatureMethod" | "Reference"))
    {
        return Err(SignatureError::Unexpected {
            name: format!("ds:{n}"),
            within: "SignedInfo".into(),
        });
    }
    let c14n_alg = doc
        .element(c14n_method)
        .and_then(|e| e.attr("Algorithm"))
        .unwrap_or("")
        .to_string();
    declared.canonicalization = Some(c14n_alg.clone());
    let sig_alg_uri = doc
        .element(sig_method)
        .and_then(|e| e.attr("Algorithm"))
        .unwrap_or("")
        .to_string();
    declared.signature_method = Some(sig_alg_uri.clone());
    if let Some(r) = references.first() {
        declared.reference_uri = doc.element(*r).and_then(|e| e.attr("URI")).map(str::to_string);
        if let Some(dm) = doc.child_named(*r, DS_NS, "DigestMethod") {
            declared.digest_method = doc.element(dm).and_then(|e| e.attr("Algorithm")).map(str::to_string);
        }
    }
    if references.len() != 1 {
        return Err(SignatureError::ReferenceCount {
            count: references.len(),
        });
    }
    let reference = references[0];

    // The signature must be enveloped in an element the profile allows, and reference exactly that element.
    let parent = doc.parent(signature).ok_or_else(|| SignatureError::NotEnveloped {
        parent: "(none)".into(),
        allowed: allowed_names(profile),
    })?;
    let parent_el = doc.element(parent).ok_or_else(|| SignatureError::NotEnveloped {
        parent: "(none)".into(),
        allowed: allowed_names(profile),
    })?;
    let target = profile
        .targets
        .iter()
        .find(|t| parent_el.is(t.ns, t.local))
        .ok_or_else(|| SignatureError::NotEnveloped {
            parent: name_of(doc, parent),
            allowed: allowed_names(profile),
        })?;
    let id = parent_el
        .attr(target.id_attr)
        .ok_or_else(|| SignatureError::MissingId {
            element: parent_el.qname(),
            id_attr: target.id_attr.into(),
        })?;
    let expected_uri = format!("#{id}");
    let uri = declared.reference_uri.clone().unwrap_or_default();
    if uri != expected_uri {
        return Err(SignatureError::ReferenceUri {
            uri,
            expected: expected_uri,
        });
    }
    let count = id_count(doc, id);
    if count != 1 {
        return Err(SignatureError::DuplicateId { id: id.into(), count });
    }

    // Reference: Transforms (enveloped, exc-c14n), DigestMethod, DigestValue.
    let rparts = ds_children(doc, reference, "Reference")?;
    let rnames: Vec<&str> = rparts.iter().map(|(n, _)| n.as_str()).collect();
    if rnames != ["Transforms", "DigestMethod", "DigestValue"] {
        if !rnames.contains(&"Transforms") {
            return Err(SignatureError::Transforms { found: "none".into() });
        }
        return Err(SignatureError::Unexpected {
            name: format!("element order [{}]", rnames.join(", ")),
            within: "Reference".into(),
        });
    }
    let transforms = rparts[0].1;
    let mut transform_ids = Vec::new();
    let mut transform_algs = Vec::new();
    for (n, t) in ds_children(doc, transforms, "Transforms")? {
        if n != "Transform" {
            return Err(SignatureError::Unexpected {
                name: format!("ds:{n}"),
                within: "Transforms".into(),
            });
        }
        transform_algs.push(
            doc.element(t)
                .and_then(|e| e.attr("Algorithm"))
                .unwrap_or("")
                .to_string(),
        );
        transform_ids.push(t);
    }
    if let Some(t) = transform_algs.iter().find(|a| a.starts_with("https://www.w3.org/")) {
        return Err(SignatureError::AlgorithmUriTypo { alg: t.clone() });
    }
    let ok_shape = transform_algs.len() == 2
        && transform_algs[0] == ENVELOPED
        && (transform_algs[1] == EXC_C14N || transform_algs[1] == EXC_C14N_WITH_COMMENTS);
    if !ok_shape {
        return Err(SignatureError::Transforms {
            found: transform_algs.join(", "),
        });
    }
    let mut ref_opts = c14n_options(doc, transform_ids[1], &transform_algs[1])?;
    if doc.child_elements(transform_ids[0]).next().is_some() {
        return Err(SignatureError::Unexpected {
            name: "content in the enveloped-signature transform".into(),
            within: "Transforms".into(),
        });
    }
    ref_opts.exclude = Some(signature);
    // XML-DSig 4.3.3.3: a same-document reference `#id` yields a node-set without comments, so even the
    // #WithComments transform has none to keep. (xmlsec1 behaves the same.)
    ref_opts.with_comments = false;
    let digest_uri = declared.digest_method.clone().unwrap_or_default();
    let (digest_md, digest_sha1) = digest_alg(&digest_uri)?;
    let expected_digest = b64(&doc.text(rparts[2].1), "DigestValue")?;

    let sig_alg = signature_alg(&sig_alg_uri)?;
    let si_opts = c14n_options(doc, c14n_method, &c14n_alg)?;
    let signature_value = b64(&doc.text(sig_value), "SignatureValue")?;

    // The digest over exactly the bytes we will read claims from.
    let canonical = c14n::canonicalize(doc, parent, &ref_opts);
    let computed = hash(digest_md, &canonical).map_err(|_| SignatureError::DigestMethod {
        alg: digest_uri.clone(),
    })?;
    if computed.as_ref() != expected_digest.as_slice() {
        let enc = base64::engine::general_purpose::STANDARD;
        return Err(SignatureError::DigestMismatch {
            expected: enc.encode(&expected_digest),
            computed: enc.encode(computed.as_ref()),
        });
    }

    let uses_sha1 = sig_alg.sha1 || digest_sha1;
    if !profile.verify_crypto {
        return Ok(Verified {
            element: parent,
            canonical,
            anchor: None,
            uses_sha1,
        });
    }
    if anchors.is_empty() {
        return Err(SignatureError::NoTrustAnchors);
    }
    if anchors.len() > profile.max_key_trials {
        return Err(SignatureError::Budget {
            limit: profile.max_key_trials,
        });
    }
    let signed_info_c14n = c14n::canonicalize(doc, signed_info, &si_opts);

    // Try the anchor that KeyInfo names first (an exact DER match), then the others.
    let mut order: Vec<usize> = (0..anchors.len())
        .filter(|i| keyinfo_ders.contains(&anchors[*i].der))
        .collect();
    order.extend((0..anchors.len()).filter(|i| !keyinfo_ders.contains(&anchors[*i].der)));
    let mut mismatch = None;
    for i in order {
        let anchor = &anchors[i];
        match verify_with(&anchor.key, &sig_alg, &sig_alg_uri, &signed_info_c14n, &signature_value) {
            Ok(true) => {
                if anchor.key.id() == Id::RSA && anchor.key.bits() < 2048 {
                    return Err(SignatureError::WeakKey {
                        bits: anchor.key.bits(),
                    });
                }
                return Ok(Verified {
                    element: parent,
                    canonical,
                    anchor: Some(i),
                    uses_sha1,
                });
            }
            Ok(false) => {}
            Err(e) => mismatch = Some(e),
        }
    }
    // Not verified by any anchor. Say whether the KeyInfo certificate (untrusted) would have verified it.
    for cert in &foreign_certs {
        if let Ok(key) = cert.public_key() {
            if let Ok(true) = verify_with(&key, &sig_alg, &sig_alg_uri, &signed_info_c14n, &signature_value) {
                let info = cert_info(cert, &key).ok();
                return Err(SignatureError::UntrustedKey {
                    subject: info.as_ref().map(|i| i.subject.clone()).unwrap_or_default(),
                    sha256: info.map(|i| i.sha256_thumbprint).unwrap_or_default(),
                });
            }
        }
    }
    if let Some(e) = mismatch {
        if anchors
            .iter()
            .all(|a| key_kind(&a.key).is_none_or(|k| !same_kind(k, sig_alg.kind)))
        {
            return Err(e);
        }
    }
    Err(SignatureError::BadSignature { anchors: anchors.len() })
}

fn allowed_names(profile: &Profile) -> String {
    profile.targets.iter().map(|t| t.local).collect::<Vec<_>>().join(", ")
}

fn key_kind(key: &PKey<Public>) -> Option<KeyKind> {
    match key.id() {
        Id::RSA => Some(KeyKind::Rsa),
        Id::EC => Some(KeyKind::Ec),
        _ => None,
    }
}

fn same_kind(a: KeyKind, b: KeyKind) -> bool {
    matches!((a, b), (KeyKind::Rsa, KeyKind::Rsa) | (KeyKind::Ec, KeyKind::Ec))
}

/// Verifies `sig` over `data`; `Err` when the algorithm does not fit the key type.
fn verify_with(
    key: &PKey<Public>,
    alg: &SigAlg,
    alg_uri: &str,
    data: &[u8],
    sig: &[u8],
) -> Result<bool, SignatureError> {
    let mismatch = || SignatureError::KeyMismatch {
        alg: alg_uri.into(),
        key: format!("{:?}", key.id()),
    };
    let kind = key_kind(key).ok_or_else(mismatch)?;
    if !same_kind(kind, alg.kind) {
        return Err(mismatch());
    }
    let der_sig;
    let sig = match kind {
        KeyKind::Rsa => sig,
        KeyKind::Ec => {
            // XML Signature carries ECDSA as the raw concatenation r || s; openssl wants DER.
            if sig.is_empty() || sig.len() % 2 != 0 || sig.len() > 264 {
                return Ok(false);
            }
            let (r, s) = sig.split_at(sig.len() / 2);
            let (Ok(r), Ok(s)) = (BigNum::from_slice(r), BigNum::from_slice(s)) else {
                return Ok(false);
            };
            let Ok(es) = EcdsaSig::from_private_components(r, s) else {
                return Ok(false);
            };
            let Ok(der) = es.to_der() else { return Ok(false) };
            der_sig = der;
            &der_sig
        }
    };
    let Ok(mut v) = Verifier::new(alg.md, key) else {
        return Err(mismatch());
    };
    if v.update(data).is_err() {
        return Ok(false);
    }
    Ok(v.verify(sig).unwrap_or(false))
}

/// All `ds:Signature` elements in the document, in document order.
pub fn find_signatures(doc: &Document) -> Vec<NodeId> {
    doc.find_all(doc.root(), DS_NS, "Signature")
}

/// Whether `node` lies inside the subtree a verified signature covers (the signature itself excluded).
pub fn covered_by(doc: &Document, verified: &Verified, signature: NodeId, node: NodeId) -> bool {
    doc.is_ancestor_or_self(verified.element, node) && !doc.is_ancestor_or_self(signature, node)
}

#[cfg(test)]
mod tests {
    //! Each profile rule, exercised by editing a token signed by xmlsec1 (testdata/saml2/mfa-sha256.xml).
    use super::*;
    use crate::trust::load_cert_file;
    use crate::xml::Limits;

    const FIXTURE: &str = include_str!("../testdata/saml2/mfa-sha256.xml");

    fn anchors(names: &[&str]) -> Vec<TrustAnchor> {
        names
            .iter()
            .map(|n| {
                load_cert_file(&format!("{}/testdata/keys/{n}.crt", env!("CARGO_MANIFEST_DIR")))
                    .expect("test certificate")
            })
            .collect()
    }

    /// Verifies the assertion's signature (the first ds:Signature) of `xml`.
    fn run(xml: &str, trust: &[&str]) -> Result<Verified, SignatureError> {
        let doc = Document::parse(xml.as_bytes(), &Limits::default()).expect("well-formed");
        let sig = *find_signatures(&doc).first().expect("a signature");
        verify(&doc, sig, &anchors(trust), &Profile::tokens()).outcome
    }

    fn edited(from: &str, to: &str) -> String {
        assert!(FIXTURE.contains(from), "fixture lacks {from}");
        FIXTURE.replacen(from, to, 1)
    }

    #[test]
    fn valid_signature_yields_the_assertion_bytes() {
        let v = run(FIXTURE, &["idp-signing"]).expect("valid");
        let text = String::from_utf8(v.canonical).expect("utf-8");
        assert!(text.starts_with("<saml:Assertion xmlns:saml="));
        assert!(!text.contains("ds:Signature"), "the enveloped signature is excluded");
        assert!(!text.contains("samlp:Status"), "nothing outside the assertion");
        assert_eq!(v.anchor, Some(0));
        assert!(!v.uses_sha1);
    }

    #[test]
    fn untrusted_and_missing_anchors() {
        assert!(matches!(
            run(FIXTURE, &["attacker"]),
            Err(SignatureError::UntrustedKey { .. })
        ));
        assert!(matches!(run(FIXTURE, &[]), Err(SignatureError::NoTrustAnchors)));
        // With the right anchor second, it is still found.
        assert_eq!(
            run(FIXTURE, &["attacker", "idp-signing"]).expect("valid").anchor,
            Some(1)
        );
    }

    #[test]
    fn content_change_is_a_digest_mismatch() {
        let xml = edited("alice@contoso.test", "mallory@contoso.test");
        assert!(matches!(
            run(&xml, &["idp-signing"]),
            Err(SignatureError::DigestMismatch { .. })
        ));
    }

    #[test]
    fn reference_must_point_at_the_enveloping_element() {
        let xml = edited("URI=\"#_a0001\"", "URI=\"#_r0001\"");
        assert!(matches!(
            run(&xml, &["idp-signing"]),
            Err(SignatureError::ReferenceUri { .. })
        ));
        let xml = edited("URI=\"#_a0001\"", "URI=\"\"");
        assert!(matches!(
            run(&xml, &["idp-signing"]),
            Err(SignatureError::ReferenceUri { .. })
        ));
    }

    #[test]
    fn duplicate_ids_are_refused() {
        let xml = edited("ID=\"_r0001\"", "ID=\"_a0001\"");
        assert_eq!(
            run(&xml, &["idp-signing"]).err(),
            Some(SignatureError::DuplicateId {
                id: "_a0001".into(),
                count: 2
            })
        );
    }

    #[test]
    fn only_enveloped_then_exc_c14n_transforms() {
        let xpath = "<ds:Transform Algorithm=\"http://www.w3.org/TR/1999/REC-xpath-19991116\"><ds:XPath>not(ancestor-or-self::ds:Signature)</ds:XPath></ds:Transform>";
        let xml = edited("<ds:Transforms>", &format!("<ds:Transforms>{xpath}"));
        assert!(matches!(
            run(&xml, &["idp-signing"]),
            Err(SignatureError::Transforms { .. })
        ));
        let xml = edited(
            "<ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>",
            "",
        );
        assert!(matches!(
            run(&xml, &["idp-signing"]),
            Err(SignatureError::Transforms { .. })
        ));
    }

    #[test]
    fn objects_and_extra_references_are_refused() {
        let xml = edited("</ds:KeyInfo>", "</ds:KeyInfo><ds:Object><x/></ds:Object>");
        assert!(matches!(
            run(&xml, &["idp-signing"]),
            Err(SignatureError::Unexpected { .. })
        ));
        let start = FIXTURE.find("<ds:Reference").expect("reference");
        let end = FIXTURE.find("</ds:Reference>").expect("reference end") + "</ds:Reference>".len();
        let reference = &FIXTURE[start..end];
        let xml = FIXTURE.replacen(reference, &format!("{reference}{reference}"), 1);
        assert_eq!(
            run(&xml, &["idp-signing"]).err(),
            Some(SignatureError::ReferenceCount { count: 2 })
        );
    }

    #[test]
    fn algorithm_rules() {
        let xml = edited(
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            "http://www.w3.org/2000/09/xmldsig#hmac-sha1",
        );
        assert!(matches!(run(&xml, &["idp-signing"]), Err(SignatureError::Hmac { .. })));
        let xml = edited(
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            "https://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        );
        assert!(matches!(
            run(&xml, &["idp-signing"]),
            Err(SignatureError::AlgorithmUriTypo { .. })
        ));
        let xml = edited(
            "http://www.w3.org/2001/04/xmlenc#sha256",
            "http://www.w3.org/2001/04/xmldsig-more#md5",
        );
        assert!(matches!(
            run(&xml, &["idp-signing"]),
            Err(SignatureError::DigestMethod { .. })
        ));
        // An RSA signature method checked against an EC anchor is a key mismatch, not a pass.
        assert!(matches!(
            run(FIXTURE, &["idp-ec"]),
            Err(SignatureError::KeyMismatch { .. } | SignatureError::UntrustedKey { .. })
        ));
    }

    #[test]
    fn signature_must_be_enveloped_in_a_signable_element() {
        // Move the signature from the Assertion into the Subject.
        let start = FIXTURE.find("<ds:Signature").expect("sig");
        let end = FIXTURE.find("</ds:Signature>").expect("sig end") + "</ds:Signature>".len();
        let sig = &FIXTURE[start..end];
        let without = FIXTURE.replacen(sig, "", 1);
        let xml = without.replacen("<saml:Subject>", &format!("<saml:Subject>{sig}"), 1);
        assert!(matches!(
            run(&xml, &["idp-signing"]),
            Err(SignatureError::NotEnveloped { .. })
        ));
    }

    #[test]
    fn wrapped_assertion_is_not_covered() {
        // A forged assertion placed before the signed one: the signed bytes are still only the original.
        let a_start = FIXTURE.find("<saml:Assertion").expect("assertion");
        let forged = "<saml:Assertion xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_evil\" Version=\"2.0\"><saml:Issuer>x</saml:Issuer></saml:Assertion>";
        let xml = format!("{}{forged}{}", &FIXTURE[..a_start], &FIXTURE[a_start..]);
        let doc = Document::parse(xml.as_bytes(), &Limits::default()).expect("xml");
        let sig = find_signatures(&doc)[0];
        let v = verify(&doc, sig, &anchors(&["idp-signing"]), &Profile::tokens())
            .outcome
            .expect("valid");
        let text = String::from_utf8(v.canonical).expect("utf-8");
        assert!(text.contains("ID=\"_a0001\"") && !text.contains("_evil"));
    }
}
