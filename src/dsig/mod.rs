//! XML Signature verification under a strict SAML profile, yielding the signed bytes.
//!
//! [`verify`] checks one `ds:Signature` element the way a relying party that reads only what is signed must: the
//! signature is enveloped in the element it signs, its single `Reference` points at that element's unique ID, the
//! transforms are exactly enveloped-signature then exclusive canonicalization, the digest of the canonical bytes
//! equals `DigestValue`, and `SignatureValue` verifies over the canonical `SignedInfo` with a trusted key (openssl).
//! On success it returns [`Verified::canonical`]: the exact octets that were digested. Callers re-parse those octets
//! and read claims from them, never from the surrounding document, which is what defeats signature wrapping.
//!
//! The reference is either the enveloping element's unique ID (`#id`) or, when the signature is a child of the
//! document element, the whole document (`URI=""`). Canonicalization may be exclusive (what SAML profiles use) or
//! inclusive Canonical XML 1.0 / 1.1; the signature methods are RSA PKCS#1 v1.5, RSA-PSS, ECDSA and EdDSA with the
//! identifiers of XML Signature, RFC 6931 and RFC 9231. Which of those Entra accepts is not decided here: this
//! module states cryptographic truth under the profile, and `rules` judges the algorithms and key sizes.
//!
//! Anything outside the profile (several references, XPath or XSLT transforms, `ds:Object`, HMAC, unknown or
//! misspelled algorithm URIs, a key found only in `KeyInfo`) fails with a specific [`SignatureError`], so a report
//! can say exactly why.

#[cfg(feature = "xmlsec")]
pub mod xmlsec;
/// Without the `xmlsec` feature: the same interface, and no second opinion.
#[cfg(not(feature = "xmlsec"))]
#[path = "xmlsec_absent.rs"]
pub mod xmlsec;

use crate::trust::{cert_info, CertInfo, TrustAnchor};
use crate::xml::c14n;
use crate::xml::{Document, NodeId};
use base64::Engine;
use openssl::bn::BigNum;
use openssl::ecdsa::EcdsaSig;
use openssl::hash::{hash, MessageDigest};
use openssl::pkey::{Id, PKey, Public};
use openssl::rsa::Padding;
use openssl::sign::{RsaPssSaltlen, Verifier};
use openssl::x509::X509;
use serde::Serialize;

/// What libxmlsec1 said about one signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opinion {
    /// The signature verified with one of the trust anchors.
    pub valid: bool,
    /// The anchor that verified it.
    pub anchor: Option<usize>,
    /// libxmlsec1 was actually run on the signature (false when fedcheck withheld it, it could not be isolated, or
    /// libxmlsec1 lacks one of its algorithms).
    pub checked: bool,
    /// Not run because libxmlsec1 does not implement one of the signature's algorithms: no second opinion exists
    /// (as opposed to one fedcheck withheld, or a document libxml2 reads differently).
    pub unavailable: bool,
    /// libxmlsec1's own words (its error messages), or what it verified with.
    pub detail: String,
}

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
    /// Where its schema puts `ds:Signature` among its children.
    pub position: Position,
}

/// Where a schema puts the `ds:Signature` child of a signed element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// Right after the optional SAML 2.0 `Issuer` (SAML 2.0 `Response` and `Assertion`).
    AfterIssuer,
    /// The last child element (SAML 1.1 `Assertion`).
    Last,
    /// The first child element (metadata `EntityDescriptor`, `EntitiesDescriptor`).
    First,
}

impl Position {
    fn describe(self) -> &'static str {
        match self {
            Position::AfterIssuer => "right after its Issuer",
            Position::Last => "as its last child element",
            Position::First => "as its first child element",
        }
    }
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
    /// Most canonical bytes one reference or `SignedInfo` may produce (see [`c14n::Options::max_output`]).
    pub max_canonical_bytes: usize,
    /// When to give up (see [`c14n::Options::deadline`]).
    pub deadline: Option<std::time::Instant>,
}

/// The default canonical-bytes budget: generous for any real token, small enough that no amplification exhausts
/// memory. Callers that know the input size set `max_canonical_bytes` in proportion to it.
pub const DEFAULT_MAX_CANONICAL_BYTES: usize = 64 * 1024 * 1024;

impl Profile {
    /// Tokens: SAML 2.0 `Response` and `Assertion`, SAML 1.1 `Assertion`.
    pub fn tokens() -> Profile {
        Profile {
            targets: vec![
                Target {
                    ns: SAMLP_NS,
                    local: "Response",
                    id_attr: "ID",
                    position: Position::AfterIssuer,
                },
                Target {
                    ns: SAML2_NS,
                    local: "Assertion",
                    id_attr: "ID",
                    position: Position::AfterIssuer,
                },
                Target {
                    ns: SAML1_NS,
                    local: "Assertion",
                    id_attr: "AssertionID",
                    position: Position::Last,
                },
            ],
            verify_crypto: true,
            max_key_trials: 32,
            max_canonical_bytes: DEFAULT_MAX_CANONICAL_BYTES,
            deadline: None,
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
                    position: Position::First,
                },
                Target {
                    ns: MD_NS,
                    local: "EntitiesDescriptor",
                    id_attr: "ID",
                    position: Position::First,
                },
            ],
            verify_crypto: true,
            max_key_trials: 32,
            max_canonical_bytes: DEFAULT_MAX_CANONICAL_BYTES,
            deadline: None,
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
    /// Transforms other than enveloped-signature, optionally followed by one canonicalization.
    #[error("transforms are [{found}]; only enveloped-signature followed by a canonicalization (exclusive, or Canonical XML 1.0 / 1.1) is allowed")]
    Transforms {
        /// The transform algorithms found.
        found: String,
    },
    /// A canonicalization algorithm that is not exclusive c14n or Canonical XML 1.0 / 1.1.
    #[error("canonicalization method {alg} is not a canonicalization fedcheck implements (exclusive c14n, Canonical XML 1.0 or 1.1)")]
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
    #[error("signature method {alg} is not supported (RSA, RSA-PSS, ECDSA or EdDSA with SHA-1, SHA-2 or SHA-3, as named by XML Signature, RFC 6931 and RFC 9231)")]
    SignatureMethod {
        /// The URI.
        alg: String,
    },
    /// An unsupported digest method.
    #[error("digest method {alg} is not supported (SHA-1, SHA-224/256/384/512, SHA3-224/256/384/512)")]
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
    /// A whole-document reference (`URI=""`) from a signature that is not a child of the document element.
    #[error("Reference URI is \"\" (the whole document), but the signature is enveloped in {parent}, not in the document element {root}; a whole-document signature must sit in the element it signs")]
    WholeDocumentNotRoot {
        /// The signature's parent.
        parent: String,
        /// The document element.
        root: String,
    },
    /// A whole-document reference over a document with processing instructions outside the root element.
    #[error("Reference URI is \"\" and the document has {count} processing instruction(s) outside the root element, which the whole-document digest would cover; not supported")]
    TopLevelPi {
        /// How many.
        count: usize,
    },
    /// The subtree cannot be canonicalized faithfully.
    #[error("canonicalization: {0}")]
    Canonicalize(#[from] c14n::C14nError),
    /// RSA-PSS parameters that are malformed or not supported.
    #[error("RSA-PSS parameters: {detail}")]
    PssParams {
        /// What is wrong.
        detail: String,
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
    #[error("no trusted certificate given (--idp-cert, --metadata or --federation-config), so the signature cannot be verified")]
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
    /// `Transform/@Algorithm` of the reference, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub transforms: Vec<String>,
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
    /// The reference was `URI=""`: the whole document is signed.
    pub whole_document: bool,
}

/// The result of checking one signature.
#[derive(Debug, Clone)]
pub struct SignatureCheck {
    /// The `ds:Signature` element.
    pub signature: NodeId,
    /// The element the signature is enveloped in.
    pub parent: Option<NodeId>,
    /// Where the parent's schema puts the signature, when it is elsewhere (see `misplaced`).
    pub misplaced: Option<&'static str>,
    /// What the signature declares.
    pub declared: Declared,
    /// The verdict.
    pub outcome: Result<Verified, SignatureError>,
}

/// The kind of key a signature method needs, and how the signature value is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    /// RSASSA-PKCS1-v1_5.
    RsaPkcs1,
    /// RSASSA-PSS with MGF1; the salt length in bytes.
    RsaPss { salt: usize },
    /// ECDSA, signature value r || s.
    Ecdsa,
    /// Ed25519 (RFC 8032), over the message itself.
    Ed25519,
    /// Ed448 (RFC 8032), over the message itself.
    Ed448,
}

impl Scheme {
    fn fits(self, key: &PKey<Public>) -> bool {
        matches!(
            (self, key.id()),
            (Scheme::RsaPkcs1 | Scheme::RsaPss { .. }, Id::RSA)
                | (Scheme::Ecdsa, Id::EC)
                | (Scheme::Ed25519, Id::ED25519)
                | (Scheme::Ed448, Id::ED448)
        )
    }
}

/// A signature method: the scheme and its digest (`None` for EdDSA, which hashes internally).
struct SigAlg {
    scheme: Scheme,
    md: Option<MessageDigest>,
    sha1: bool,
}

fn sha3(bits: u16) -> MessageDigest {
    match bits {
        224 => MessageDigest::sha3_224(),
        256 => MessageDigest::sha3_256(),
        384 => MessageDigest::sha3_384(),
        _ => MessageDigest::sha3_512(),
    }
}

/// Signature method URIs of XML Signature 1.0/1.1, RFC 6931 and RFC 9231 (the IANA "XML Security URIs" registry).
fn signature_alg(doc: &Document, method: NodeId, uri: &str) -> Result<SigAlg, SignatureError> {
    let pss = |md: MessageDigest| SigAlg {
        scheme: Scheme::RsaPss { salt: md.size() },
        md: Some(md),
        sha1: md.size() == 20,
    };
    let plain = |scheme: Scheme, md: MessageDigest| SigAlg {
        scheme,
        md: Some(md),
        sha1: md.size() == 20,
    };
    let alg = match uri {
        "http://www.w3.org/2000/09/xmldsig#rsa-sha1" | "http://www.w3.org/2001/04/xmldsig-more#rsa-sha1" => {
            plain(Scheme::RsaPkcs1, MessageDigest::sha1())
        }
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha224" => plain(Scheme::RsaPkcs1, MessageDigest::sha224()),
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" => plain(Scheme::RsaPkcs1, MessageDigest::sha256()),
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384" => plain(Scheme::RsaPkcs1, MessageDigest::sha384()),
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512" => plain(Scheme::RsaPkcs1, MessageDigest::sha512()),
        "http://www.w3.org/2007/05/xmldsig-more#sha1-rsa-MGF1" => pss(MessageDigest::sha1()),
        "http://www.w3.org/2007/05/xmldsig-more#sha224-rsa-MGF1" => pss(MessageDigest::sha224()),
        "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1" => pss(MessageDigest::sha256()),
        "http://www.w3.org/2007/05/xmldsig-more#sha384-rsa-MGF1" => pss(MessageDigest::sha384()),
        "http://www.w3.org/2007/05/xmldsig-more#sha512-rsa-MGF1" => pss(MessageDigest::sha512()),
        "http://www.w3.org/2007/05/xmldsig-more#sha3-224-rsa-MGF1" => pss(sha3(224)),
        "http://www.w3.org/2007/05/xmldsig-more#sha3-256-rsa-MGF1" => pss(sha3(256)),
        "http://www.w3.org/2007/05/xmldsig-more#sha3-384-rsa-MGF1" => pss(sha3(384)),
        "http://www.w3.org/2007/05/xmldsig-more#sha3-512-rsa-MGF1" => pss(sha3(512)),
        "http://www.w3.org/2007/05/xmldsig-more#rsa-pss" => pss_with_params(doc, method)?,
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1" => plain(Scheme::Ecdsa, MessageDigest::sha1()),
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha224" => plain(Scheme::Ecdsa, MessageDigest::sha224()),
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256" => plain(Scheme::Ecdsa, MessageDigest::sha256()),
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384" => plain(Scheme::Ecdsa, MessageDigest::sha384()),
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512" => plain(Scheme::Ecdsa, MessageDigest::sha512()),
        "http://www.w3.org/2021/04/xmldsig-more#ecdsa-sha3-224" => plain(Scheme::Ecdsa, sha3(224)),
        "http://www.w3.org/2021/04/xmldsig-more#ecdsa-sha3-256" => plain(Scheme::Ecdsa, sha3(256)),
        "http://www.w3.org/2021/04/xmldsig-more#ecdsa-sha3-384" => plain(Scheme::Ecdsa, sha3(384)),
        "http://www.w3.org/2021/04/xmldsig-more#ecdsa-sha3-512" => plain(Scheme::Ecdsa, sha3(512)),
        "http://www.w3.org/2021/04/xmldsig-more#eddsa-ed25519" => SigAlg {
            scheme: Scheme::Ed25519,
            md: None,
            sha1: false,
        },
        "http://www.w3.org/2021/04/xmldsig-more#eddsa-ed448" => SigAlg {
            scheme: Scheme::Ed448,
            md: None,
            sha1: false,
        },
        _ if uri.starts_with("https://www.w3.org/") => {
            return Err(SignatureError::AlgorithmUriTypo { alg: uri.into() })
        }
        _ if uri.contains("hmac") => return Err(SignatureError::Hmac { alg: uri.into() }),
        _ => return Err(SignatureError::SignatureMethod { alg: uri.into() }),
    };
    if !matches!(uri, "http://www.w3.org/2007/05/xmldsig-more#rsa-pss") && doc.child_elements(method).next().is_some() {
        return Err(SignatureError::Unexpected {
            name: "content in SignatureMethod".into(),
            within: "SignedInfo".into(),
        });
    }
    Ok(alg)
}

/// The namespace of RFC 6931's `RSAPSSParams`.
const PSS_NS: &str = "http://www.w3.org/2007/05/xmldsig-more#";

/// RFC 6931 section 2.3.10: `rsa-pss` with an optional `RSAPSSParams` child (digest, MGF1 digest, salt length,
/// trailer field). Defaults: SHA-256, MGF1 with the same digest, salt length = digest length, trailer field 1.
fn pss_with_params(doc: &Document, method: NodeId) -> Result<SigAlg, SignatureError> {
    let bad = |detail: &str| SignatureError::PssParams { detail: detail.into() };
    let mut md = MessageDigest::sha256();
    let mut salt = None;
    let mut mgf_md = None;
    let params: Vec<NodeId> = doc.child_elements(method).collect();
    match params.as_slice() {
        [] => {}
        [p] if doc.element(*p).is_some_and(|e| e.is(PSS_NS, "RSAPSSParams")) => {
            for c in doc.child_elements(*p) {
                let Some(e) = doc.element(c) else { continue };
                if e.is(DS_NS, "DigestMethod") {
                    md = digest_alg(e.attr("Algorithm").unwrap_or(""))?.md;
                } else if e.is(PSS_NS, "MaskGenerationFunction") {
                    if e.attr("Algorithm") != Some("http://www.w3.org/2007/05/xmldsig-more#MGF1") {
                        return Err(bad("the mask generation function is not MGF1"));
                    }
                    if let Some(d) = doc.child_named(c, DS_NS, "DigestMethod") {
                        let uri = doc.element(d).and_then(|e| e.attr("Algorithm")).unwrap_or("");
                        mgf_md = Some(digest_alg(uri)?.md);
                    }
                } else if e.is(PSS_NS, "SaltLength") {
                    salt = Some(
                        doc.text(c)
                            .trim()
                            .parse::<usize>()
                            .map_err(|_| bad("SaltLength is not a number"))?,
                    );
                } else if e.is(PSS_NS, "TrailerField") {
                    if doc.text(c).trim() != "1" {
                        return Err(bad("TrailerField other than 1"));
                    }
                } else {
                    return Err(bad(&format!("unexpected {} in RSAPSSParams", e.qname())));
                }
            }
        }
        _ => return Err(bad("SignatureMethod holds something other than one RSAPSSParams")),
    }
    if mgf_md.is_some_and(|m| m.type_() != md.type_()) {
        return Err(bad(
            "an MGF1 digest different from the signature digest is not supported",
        ));
    }
    Ok(SigAlg {
        scheme: Scheme::RsaPss {
            salt: salt.unwrap_or(md.size()),
        },
        sha1: md.size() == 20,
        md: Some(md),
    })
}

/// A digest method.
struct DigestAlg {
    md: MessageDigest,
    sha1: bool,
}

/// Digest method URIs of XML Signature, XML Encryption, RFC 6931 and RFC 9231, plus the unregistered spellings
/// real signers emit (`xmlenc#sha1`, `xmlenc#sha384`, `xmldsig-more#sha256`, `xmldsig-more#sha512`: ruby-saml's
/// templates among others). Those name their hash unambiguously, so the digest can be checked; [`is_registered`]
/// tells a report they are not standard identifiers.
fn digest_alg(uri: &str) -> Result<DigestAlg, SignatureError> {
    let md = match uri {
        "http://www.w3.org/2000/09/xmldsig#sha1" | "http://www.w3.org/2001/04/xmlenc#sha1" => MessageDigest::sha1(),
        "http://www.w3.org/2001/04/xmldsig-more#sha224" => MessageDigest::sha224(),
        "http://www.w3.org/2001/04/xmlenc#sha256" | "http://www.w3.org/2001/04/xmldsig-more#sha256" => {
            MessageDigest::sha256()
        }
        "http://www.w3.org/2001/04/xmldsig-more#sha384" | "http://www.w3.org/2001/04/xmlenc#sha384" => {
            MessageDigest::sha384()
        }
        "http://www.w3.org/2001/04/xmlenc#sha512" | "http://www.w3.org/2001/04/xmldsig-more#sha512" => {
            MessageDigest::sha512()
        }
        "http://www.w3.org/2007/05/xmldsig-more#sha3-224" => sha3(224),
        "http://www.w3.org/2007/05/xmldsig-more#sha3-256" => sha3(256),
        "http://www.w3.org/2007/05/xmldsig-more#sha3-384" => sha3(384),
        "http://www.w3.org/2007/05/xmldsig-more#sha3-512" => sha3(512),
        _ if uri.starts_with("https://www.w3.org/") => {
            return Err(SignatureError::AlgorithmUriTypo { alg: uri.into() })
        }
        _ => return Err(SignatureError::DigestMethod { alg: uri.into() }),
    };
    Ok(DigestAlg {
        sha1: md.size() == 20,
        md,
    })
}

/// Whether an algorithm URI is a registered identifier (XML Signature, XML Encryption, RFC 6931/9231), as opposed
/// to an unregistered spelling of a well-known algorithm that fedcheck tolerates (ruby-saml's `xmldsig-more#rsa-sha1`,
/// `xmlenc#sha1`, `xmlenc#sha384`, and `xmldsig-more#sha256` / `#sha512`).
pub fn is_registered(uri: &str) -> bool {
    !matches!(
        uri,
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha1"
            | "http://www.w3.org/2001/04/xmlenc#sha1"
            | "http://www.w3.org/2001/04/xmlenc#sha384"
            | "http://www.w3.org/2001/04/xmldsig-more#sha256"
            | "http://www.w3.org/2001/04/xmldsig-more#sha512"
    )
}

/// The canonicalization a `CanonicalizationMethod` or `Transform` element names, with its `InclusiveNamespaces`.
fn c14n_options(doc: &Document, method: NodeId, alg: &str) -> Result<c14n::Options, SignatureError> {
    let Some((mode, with_comments)) = c14n::algorithm(alg) else {
        if alg.starts_with("https://www.w3.org/") {
            return Err(SignatureError::AlgorithmUriTypo { alg: alg.into() });
        }
        return Err(SignatureError::Canonicalization { alg: alg.into() });
    };
    let mut inclusive_prefixes = Vec::new();
    for child in doc.child_elements(method) {
        let Some(e) = doc.element(child) else { continue };
        if mode == c14n::Mode::Exclusive && e.is(c14n::EXC_C14N, "InclusiveNamespaces") {
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
        mode,
        with_comments,
        inclusive_prefixes,
        exclude: None,
        max_output: None,
        deadline: None,
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

fn attr_of(doc: &Document, id: NodeId, name: &str) -> String {
    doc.element(id).and_then(|e| e.attr(name)).unwrap_or("").to_string()
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

/// The elements whose `ID`, `AssertionID`, `Id` or `xml:id` attribute equals `id`, in document order (libxml2
/// registers `xml:id` itself, so a duplicate there would make libxmlsec1 resolve the reference elsewhere).
fn elements_with_id(doc: &Document, id: &str) -> Vec<NodeId> {
    doc.element_ids()
        .filter(|&n| {
            doc.element(n).is_some_and(|e| {
                e.attrs.iter().any(|a| {
                    let id_like = matches!(a.local.as_str(), "ID" | "AssertionID" | "Id")
                        || (a.local == "id" && a.ns.as_deref() == Some(crate::xml::XML_NS));
                    id_like && a.value == id
                })
            })
        })
        .collect()
}

/// Checks one `ds:Signature` element against the trust anchors under `profile`.
pub fn verify(doc: &Document, signature: NodeId, anchors: &[TrustAnchor], profile: &Profile) -> SignatureCheck {
    let mut declared = Declared::default();
    let parent = doc.parent(signature);
    let outcome = check(doc, signature, anchors, profile, &mut declared);
    SignatureCheck {
        signature,
        parent,
        misplaced: misplaced(doc, signature, profile),
        declared,
        outcome,
    }
}

/// The three parts of a `ds:Signature`.
struct Parts {
    signed_info: NodeId,
    signature_value: NodeId,
    key_info: Option<NodeId>,
}

/// What `SignedInfo` says.
struct SignedInfo {
    c14n: c14n::Options,
    alg: SigAlg,
    alg_uri: String,
    reference: NodeId,
}

/// A reference, resolved: what to canonicalize and the digest it must have.
struct Reference {
    apex: NodeId,
    opts: c14n::Options,
    digest: DigestAlg,
    digest_uri: String,
    expected: Vec<u8>,
    whole_document: bool,
}

/// `KeyInfo` certificates: reported, and used to choose which anchor to try first.
struct KeyInfoCerts {
    ders: Vec<Vec<u8>>,
    foreign: Vec<X509>,
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
    let parts = signature_parts(doc, signature)?;
    let key_info = key_info_certificates(doc, parts.key_info, anchors, declared);
    let signed_info = read_signed_info(doc, parts.signed_info, declared)?;
    let (parent, target) = enveloping_element(doc, signature, profile)?;
    let reference = read_reference(doc, &signed_info, signature, parent, target, declared)?;

    // The digest over exactly the bytes we will read claims from.
    let budget = |o: &c14n::Options| c14n::Options {
        max_output: Some(profile.max_canonical_bytes),
        deadline: profile.deadline,
        ..o.clone()
    };
    let canonical = c14n::canonicalize(doc, reference.apex, &budget(&reference.opts))?;
    let computed = digest(reference.digest.md, &canonical).map_err(|_| SignatureError::DigestMethod {
        alg: reference.digest_uri.clone(),
    })?;
    if computed != reference.expected {
        let enc = base64::engine::general_purpose::STANDARD;
        return Err(SignatureError::DigestMismatch {
            expected: enc.encode(&reference.expected),
            computed: enc.encode(&computed),
        });
    }
    let verified = |anchor| Verified {
        element: reference.apex,
        canonical,
        anchor,
        uses_sha1: signed_info.alg.sha1 || reference.digest.sha1,
        whole_document: reference.whole_document,
    };
    if !profile.verify_crypto {
        return Ok(verified(None));
    }
    let signature_value = b64(&doc.text(parts.signature_value), "SignatureValue")?;
    let signed_info_c14n = c14n::canonicalize(doc, parts.signed_info, &budget(&signed_info.c14n))?;
    let anchor = verify_signature_value(
        anchors,
        profile,
        &key_info,
        &signed_info,
        &signed_info_c14n,
        &signature_value,
    )?;
    Ok(verified(Some(anchor)))
}

/// Structure of Signature: SignedInfo, SignatureValue, optional KeyInfo; nothing else (no ds:Object).
fn signature_parts(doc: &Document, signature: NodeId) -> Result<Parts, SignatureError> {
    let parts = ds_children(doc, signature, "Signature")?;
    let names: Vec<&str> = parts.iter().map(|(n, _)| n.as_str()).collect();
    match names.as_slice() {
        ["SignedInfo", "SignatureValue"] => {
            return Ok(Parts {
                signed_info: parts[0].1,
                signature_value: parts[1].1,
                key_info: None,
            })
        }
        ["SignedInfo", "SignatureValue", "KeyInfo"] => {
            return Ok(Parts {
                signed_info: parts[0].1,
                signature_value: parts[1].1,
                key_info: Some(parts[2].1),
            })
        }
        _ => {}
    }
    let bad = parts
        .iter()
        .find(|(n, _)| !matches!(n.as_str(), "SignedInfo" | "SignatureValue" | "KeyInfo"));
    Err(match bad {
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
    })
}

/// KeyInfo certificates, for the report and for choosing which anchor to try first. A certificate that is
/// byte-for-byte an anchor reuses the anchor's facts; only foreign certificates are parsed (to explain them).
fn key_info_certificates(
    doc: &Document,
    key_info: Option<NodeId>,
    anchors: &[TrustAnchor],
    declared: &mut Declared,
) -> KeyInfoCerts {
    let mut out = KeyInfoCerts {
        ders: Vec::new(),
        foreign: Vec::new(),
    };
    let Some(ki) = key_info else { return out };
    for c in doc.find_all(ki, DS_NS, "X509Certificate").into_iter().take(8) {
        let text = doc.text(c);
        // The common case, a KeyInfo naming a trust anchor, is matched on the base64 text itself.
        if let Some(a) = anchors.iter().find(|a| base64_text_equals(&text, &a.der_base64)) {
            declared.keyinfo_certificates.push(a.info.clone());
            out.ders.push(a.der.clone());
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
            out.foreign.push(cert);
        }
        out.ders.push(der);
    }
    out
}

/// SignedInfo: CanonicalizationMethod, SignatureMethod, exactly one Reference.
fn read_signed_info(
    doc: &Document,
    signed_info: NodeId,
    declared: &mut Declared,
) -> Result<SignedInfo, SignatureError> {
    let si = ds_children(doc, signed_info, "SignedInfo")?;
    let find = |name: &str| {
        si.iter()
            .find(|(n, _)| n == name)
            .map(|(_, id)| *id)
            .ok_or_else(|| SignatureError::Missing {
                name: name.into(),
                within: "SignedInfo".into(),
            })
    };
    let c14n_method = find("CanonicalizationMethod")?;
    let sig_method = find("SignatureMethod")?;
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
    let c14n_alg = attr_of(doc, c14n_method, "Algorithm");
    declared.canonicalization = Some(c14n_alg.clone());
    let alg_uri = attr_of(doc, sig_method, "Algorithm");
    declared.signature_method = Some(alg_uri.clone());
    if let Some(r) = references.first() {
        declared.reference_uri = doc.element(*r).and_then(|e| e.attr("URI")).map(str::to_string);
        if let Some(dm) = doc.child_named(*r, DS_NS, "DigestMethod") {
            declared.digest_method = doc.element(dm).and_then(|e| e.attr("Algorithm")).map(str::to_string);
        }
        if let Some(ts) = doc.child_named(*r, DS_NS, "Transforms") {
            declared.transforms = doc.child_elements(ts).map(|t| attr_of(doc, t, "Algorithm")).collect();
        }
    }
    if references.len() != 1 {
        return Err(SignatureError::ReferenceCount {
            count: references.len(),
        });
    }
    Ok(SignedInfo {
        c14n: c14n_options(doc, c14n_method, &c14n_alg)?,
        alg: signature_alg(doc, sig_method, &alg_uri)?,
        alg_uri,
        reference: references[0],
    })
}

/// The signature must be enveloped in an element the profile allows.
fn enveloping_element<'p>(
    doc: &Document,
    signature: NodeId,
    profile: &'p Profile,
) -> Result<(NodeId, &'p Target), SignatureError> {
    let not_enveloped = |parent: String| SignatureError::NotEnveloped {
        parent,
        allowed: allowed_names(profile),
    };
    let parent = doc.parent(signature).ok_or_else(|| not_enveloped("(none)".into()))?;
    let parent_el = doc.element(parent).ok_or_else(|| not_enveloped("(none)".into()))?;
    let target = profile
        .targets
        .iter()
        .find(|t| parent_el.is(t.ns, t.local))
        .ok_or_else(|| not_enveloped(name_of(doc, parent)))?;
    Ok((parent, target))
}

/// Where the signed element's schema puts the signature (SAML core 2.0 sections 2.3.3 and 3.2.2, SAML 1.1 section
/// 2.3.2, SAML metadata 2.3.2), when this one is elsewhere: the message is then not schema-valid, which strict
/// consumers refuse and others (gosaml2, node-saml, auth0) accept. It does not change what the signature covers.
fn misplaced(doc: &Document, signature: NodeId, profile: &Profile) -> Option<&'static str> {
    let parent = doc.parent(signature)?;
    let parent_el = doc.element(parent)?;
    let target = profile.targets.iter().find(|t| parent_el.is(t.ns, t.local))?;
    let siblings: Vec<NodeId> = doc.child_elements(parent).collect();
    let at = siblings.iter().position(|&c| c == signature)?;
    let ok = match target.position {
        Position::First => at == 0,
        Position::Last => at + 1 == siblings.len(),
        Position::AfterIssuer => {
            at == 0 || (at == 1 && doc.element(siblings[0]).is_some_and(|e| e.is(SAML2_NS, "Issuer")))
        }
    };
    (!ok).then(|| target.position.describe())
}

/// The Reference: it points at the enveloping element (by its unique ID, or `URI=""` when that element is the
/// document element); Transforms are enveloped-signature then one canonicalization; DigestMethod, DigestValue.
fn read_reference(
    doc: &Document,
    signed_info: &SignedInfo,
    signature: NodeId,
    parent: NodeId,
    target: &Target,
    declared: &Declared,
) -> Result<Reference, SignatureError> {
    let parent_el = doc.element(parent).ok_or(SignatureError::NotASignature)?;
    let id = parent_el.attr(target.id_attr);
    let uri = declared.reference_uri.clone().unwrap_or_default();
    // `URI=""` is the whole document; so is an omitted URI, as Microsoft's IdentityModel reads it (XML-DSig leaves
    // an omitted URI to the application, and SAML core 5.4.2 wants the ID: `rules` reports both as outside it).
    let whole_document = uri.is_empty();
    if whole_document {
        if parent != doc.root() {
            return Err(SignatureError::WholeDocumentNotRoot {
                parent: name_of(doc, parent),
                root: name_of(doc, doc.root()),
            });
        }
        if doc.top_level_pis() > 0 {
            return Err(SignatureError::TopLevelPi {
                count: doc.top_level_pis(),
            });
        }
    } else {
        let id = id.ok_or_else(|| SignatureError::MissingId {
            element: parent_el.qname(),
            id_attr: target.id_attr.into(),
        })?;
        let expected_uri = format!("#{id}");
        if uri != expected_uri {
            return Err(SignatureError::ReferenceUri {
                uri,
                expected: expected_uri,
            });
        }
        // An ID-resolving verifier (libxmlsec1, .NET) takes the first element carrying the ID; the signature must
        // sit in that one. Later elements with the same ID are not signed and are reported as ignored.
        let carriers = elements_with_id(doc, id);
        if carriers.first() != Some(&parent) {
            return Err(SignatureError::DuplicateId {
                id: id.into(),
                count: carriers.len(),
            });
        }
    }

    let rparts = ds_children(doc, signed_info.reference, "Reference")?;
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
    let mut opts = reference_transforms(doc, rparts[0].1)?;
    opts.exclude = Some(signature);
    // XML-DSig 4.3.3.3: a same-document reference (`#id` or `""`) yields a node-set without comments, so even the
    // #WithComments transform has none to keep. (xmlsec1 behaves the same.)
    opts.with_comments = false;
    let digest_uri = declared.digest_method.clone().unwrap_or_default();
    let digest = digest_alg(&digest_uri)?;
    let expected = b64(&doc.text(rparts[2].1), "DigestValue")?;
    Ok(Reference {
        apex: parent,
        opts,
        digest,
        digest_uri,
        expected,
        whole_document,
    })
}

/// Transforms: enveloped-signature, then (optionally) one canonicalization. Without an explicit one, XML-DSig
/// 4.3.3.2 applies Canonical XML 1.0 to the node-set.
fn reference_transforms(doc: &Document, transforms: NodeId) -> Result<c14n::Options, SignatureError> {
    let mut list = Vec::new();
    for (n, t) in ds_children(doc, transforms, "Transforms")? {
        if n != "Transform" {
            return Err(SignatureError::Unexpected {
                name: format!("ds:{n}"),
                within: "Transforms".into(),
            });
        }
        list.push((attr_of(doc, t, "Algorithm"), t));
    }
    let algs: Vec<&str> = list.iter().map(|(a, _)| a.as_str()).collect();
    if let Some(t) = algs.iter().find(|a| a.starts_with("https://www.w3.org/")) {
        return Err(SignatureError::AlgorithmUriTypo { alg: t.to_string() });
    }
    let refuse = || SignatureError::Transforms { found: algs.join(", ") };
    let opts = match list.as_slice() {
        [(first, _)] if first == ENVELOPED => c14n::Options {
            mode: c14n::Mode::Inclusive10,
            ..Default::default()
        },
        [(first, _), (second, t)] if first == ENVELOPED && c14n::algorithm(second).is_some() => {
            c14n_options(doc, *t, second)?
        }
        _ => return Err(refuse()),
    };
    if doc.child_elements(list[0].1).next().is_some() {
        return Err(SignatureError::Unexpected {
            name: "content in the enveloped-signature transform".into(),
            within: "Transforms".into(),
        });
    }
    Ok(opts)
}

/// Verifies `SignatureValue` over the canonical `SignedInfo` with the trust anchors: the anchor `KeyInfo` names
/// first, then the others. When none verifies, says whether the (untrusted) `KeyInfo` certificate would have.
fn verify_signature_value(
    anchors: &[TrustAnchor],
    profile: &Profile,
    key_info: &KeyInfoCerts,
    signed_info: &SignedInfo,
    signed_info_c14n: &[u8],
    signature_value: &[u8],
) -> Result<usize, SignatureError> {
    if anchors.is_empty() {
        return Err(SignatureError::NoTrustAnchors);
    }
    if anchors.len() > profile.max_key_trials {
        return Err(SignatureError::Budget {
            limit: profile.max_key_trials,
        });
    }
    let alg = &signed_info.alg;
    let named = |i: &usize| key_info.ders.contains(&anchors[*i].der);
    let order = (0..anchors.len())
        .filter(named)
        .chain((0..anchors.len()).filter(|i| !named(i)));
    let mut fitting = false;
    for i in order {
        let key = &anchors[i].key;
        if !alg.scheme.fits(key) {
            continue;
        }
        fitting = true;
        if verify_with(key, Some(&anchors[i].der), alg, signed_info_c14n, signature_value) {
            return Ok(i);
        }
    }
    for cert in &key_info.foreign {
        if let Ok(key) = cert.public_key() {
            if alg.scheme.fits(&key) && verify_with(&key, None, alg, signed_info_c14n, signature_value) {
                let info = cert_info(cert, &key).ok();
                return Err(SignatureError::UntrustedKey {
                    subject: info.as_ref().map(|i| i.subject.clone()).unwrap_or_default(),
                    sha256: info.map(|i| i.sha256_thumbprint).unwrap_or_default(),
                });
            }
        }
    }
    if !fitting {
        return Err(SignatureError::KeyMismatch {
            alg: signed_info.alg_uri.clone(),
            key: anchors
                .iter()
                .map(|a| format!("{:?}", a.key.id()))
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    Err(SignatureError::BadSignature { anchors: anchors.len() })
}

fn allowed_names(profile: &Profile) -> String {
    profile.targets.iter().map(|t| t.local).collect::<Vec<_>>().join(", ")
}

/// Whether `sig` verifies over `data` with `key` under `alg` (the key type already fits the scheme). `anchor` is
/// the DER of the trust anchor's certificate the key is from, which lets an RSA PKCS#1 v1.5 verification reuse a
/// context set up once per thread.
fn verify_with(key: &PKey<Public>, anchor: Option<&[u8]>, alg: &SigAlg, data: &[u8], sig: &[u8]) -> bool {
    match alg.scheme {
        Scheme::Ed25519 | Scheme::Ed448 => Verifier::new_without_digest(key)
            .and_then(|mut v| v.verify_oneshot(sig, data))
            .unwrap_or(false),
        Scheme::Ecdsa => {
            // XML Signature carries ECDSA as the raw concatenation r || s; openssl wants DER.
            if sig.is_empty() || sig.len() % 2 != 0 || sig.len() > 264 {
                return false;
            }
            let (r, s) = sig.split_at(sig.len() / 2);
            let der = BigNum::from_slice(r)
                .and_then(|r| BigNum::from_slice(s).map(|s| (r, s)))
                .and_then(|(r, s)| EcdsaSig::from_private_components(r, s))
                .and_then(|es| es.to_der());
            match (der, alg.md) {
                (Ok(der), Some(md)) => digest_verify(key, md, None, data, &der),
                _ => false,
            }
        }
        Scheme::RsaPkcs1 => alg.md.is_some_and(|md| match anchor {
            Some(der) => rsa_pkcs1_verify(der, key, md, data, sig),
            None => digest_verify(key, md, None, data, sig),
        }),
        Scheme::RsaPss { salt } => alg.md.is_some_and(|md| digest_verify(key, md, Some(salt), data, sig)),
    }
}

/// A digest of `data`: SHA-1 and SHA-2 through openssl's low-level hashers, anything else through EVP. In OpenSSL 3
/// both an EVP digest and the one-shot `SHA256()` (which is `EVP_Q_digest`) look the algorithm up in the provider
/// again on every call, which costs about four times as much as hashing a token's assertion; `SHA256_Init`/`Update`/
/// `Final` hash directly (the same implementation, with the CPU's SHA extensions).
fn digest(md: MessageDigest, data: &[u8]) -> Result<Vec<u8>, openssl::error::ErrorStack> {
    use openssl::nid::Nid;
    use openssl::sha;
    // The hashers share no trait: the same three calls for each.
    macro_rules! direct {
        ($hasher:ty) => {{
            let mut h = <$hasher>::new();
            h.update(data);
            h.finish().to_vec()
        }};
    }
    Ok(match md.type_() {
        Nid::SHA1 => direct!(sha::Sha1),
        Nid::SHA224 => direct!(sha::Sha224),
        Nid::SHA256 => direct!(sha::Sha256),
        Nid::SHA384 => direct!(sha::Sha384),
        Nid::SHA512 => direct!(sha::Sha512),
        _ => hash(md, data)?.to_vec(),
    })
}

/// Verification contexts set up for RSASSA-PKCS1-v1_5, per trust anchor (certificate DER) and digest: a context is
/// set up once per thread and reused for every token, as `openssl speed` does (setting one up costs a quarter of
/// the verification itself). A thread keeps at most [`MAX_RSA_CONTEXTS`].
type RsaContexts = Vec<(Vec<u8>, openssl::nid::Nid, openssl::pkey_ctx::PkeyCtx<Public>)>;

thread_local! {
    static RSA_CONTEXTS: std::cell::RefCell<RsaContexts> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The most RSA verification contexts a thread keeps.
const MAX_RSA_CONTEXTS: usize = 16;

/// RSASSA-PKCS1-v1_5 with `md` over `data`: the digest, then the public-key operation with this thread's context for
/// the anchor `der` (made from `key`, which is that anchor's key). The same checks as [`digest_verify`] (the
/// DigestInfo must be exactly the digest's, the signature exactly the modulus' length).
fn rsa_pkcs1_verify(der: &[u8], key: &PKey<Public>, md: MessageDigest, data: &[u8], sig: &[u8]) -> bool {
    let nid = md.type_();
    let Ok(hashed) = digest(md, data) else { return false };
    RSA_CONTEXTS.with_borrow_mut(|contexts| {
        let at = match contexts.iter().position(|(d, n, _)| *n == nid && d.as_slice() == der) {
            Some(at) => at,
            None => {
                let Some(ctx) = rsa_pkcs1_context(key, nid) else {
                    return false;
                };
                if contexts.len() >= MAX_RSA_CONTEXTS {
                    contexts.remove(0);
                }
                contexts.push((der.to_vec(), nid, ctx));
                contexts.len() - 1
            }
        };
        contexts[at].2.verify(&hashed, sig).unwrap_or(false)
    })
}

/// A verification context for RSASSA-PKCS1-v1_5 with the digest `nid`.
fn rsa_pkcs1_context(key: &PKey<Public>, nid: openssl::nid::Nid) -> Option<openssl::pkey_ctx::PkeyCtx<Public>> {
    use openssl::md::Md;
    use openssl::nid::Nid;
    let md = match nid {
        Nid::SHA1 => Md::sha1(),
        Nid::SHA224 => Md::sha224(),
        Nid::SHA256 => Md::sha256(),
        Nid::SHA384 => Md::sha384(),
        Nid::SHA512 => Md::sha512(),
        Nid::SHA3_224 => Md::sha3_224(),
        Nid::SHA3_256 => Md::sha3_256(),
        Nid::SHA3_384 => Md::sha3_384(),
        Nid::SHA3_512 => Md::sha3_512(),
        _ => return None,
    };
    let mut ctx = openssl::pkey_ctx::PkeyCtx::new(key).ok()?;
    ctx.verify_init().ok()?;
    ctx.set_rsa_padding(Padding::PKCS1).ok()?;
    ctx.set_signature_md(md).ok()?;
    Some(ctx)
}

/// A digest-then-verify with openssl; `pss_salt` selects RSASSA-PSS with MGF1 over the same digest.
fn digest_verify(key: &PKey<Public>, md: MessageDigest, pss_salt: Option<usize>, data: &[u8], sig: &[u8]) -> bool {
    let Ok(mut v) = Verifier::new(md, key) else {
        return false;
    };
    if let Some(salt) = pss_salt {
        let Ok(salt) = i32::try_from(salt) else { return false };
        if v.set_rsa_padding(Padding::PKCS1_PSS).is_err()
            || v.set_rsa_pss_saltlen(RsaPssSaltlen::custom(salt)).is_err()
            || v.set_rsa_mgf1_md(md).is_err()
        {
            return false;
        }
    }
    v.update(data).is_ok() && v.verify(sig).unwrap_or(false)
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

    #[test]
    fn direct_hashers_agree_with_evp_for_every_sha() {
        let data: Vec<u8> = (0..5000u32).map(|i| (i * 31 % 251) as u8).collect();
        for md in [
            MessageDigest::sha1(),
            MessageDigest::sha224(),
            MessageDigest::sha256(),
            MessageDigest::sha384(),
            MessageDigest::sha512(),
            MessageDigest::sha3_256(),
        ] {
            let evp = openssl::hash::hash(md, &data).unwrap().to_vec();
            assert_eq!(digest(md, &data).unwrap(), evp, "{:?}", md.type_());
            assert_eq!(digest(md, b"").unwrap(), openssl::hash::hash(md, b"").unwrap().to_vec());
        }
    }

    const FIXTURE: &str = include_str!("../../testdata/saml2/mfa-sha256.xml");

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

    /// Why `xml` is refused against the IdP's signing certificate (a panic if it verifies).
    fn refusal(xml: &str) -> SignatureError {
        run(xml, &["idp-signing"]).expect_err("refused")
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
        assert!(matches!(refusal(&xml), SignatureError::DigestMismatch { .. }));
    }

    #[test]
    fn reference_must_point_at_the_enveloping_element() {
        let xml = edited("URI=\"#_a0001\"", "URI=\"#_r0001\"");
        assert!(matches!(refusal(&xml), SignatureError::ReferenceUri { .. }));
        // A whole-document reference from a signature that is not the document element's: refused.
        let xml = edited("URI=\"#_a0001\"", "URI=\"\"");
        assert!(matches!(refusal(&xml), SignatureError::WholeDocumentNotRoot { .. }));
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
        assert!(matches!(refusal(&xml), SignatureError::Transforms { .. }));
        let xml = edited(
            "<ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>",
            "",
        );
        assert!(matches!(refusal(&xml), SignatureError::Transforms { .. }));
    }

    #[test]
    fn objects_and_extra_references_are_refused() {
        let xml = edited("</ds:KeyInfo>", "</ds:KeyInfo><ds:Object><x/></ds:Object>");
        assert!(matches!(refusal(&xml), SignatureError::Unexpected { .. }));
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
        assert!(matches!(refusal(&xml), SignatureError::Hmac { .. }));
        let xml = edited(
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            "https://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        );
        assert!(matches!(refusal(&xml), SignatureError::AlgorithmUriTypo { .. }));
        let xml = edited(
            "http://www.w3.org/2001/04/xmlenc#sha256",
            "http://www.w3.org/2001/04/xmldsig-more#md5",
        );
        assert!(matches!(refusal(&xml), SignatureError::DigestMethod { .. }));
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
        assert!(matches!(refusal(&xml), SignatureError::NotEnveloped { .. }));
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
