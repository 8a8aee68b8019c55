//! IdP metadata: the SAML 2.0 `EntityDescriptor` or WS-Federation `FederationMetadata` an IdP publishes, read for its
//! signing certificates.
//!
//! [`load_metadata`] takes a file, or an `https://` URL fetched through [`crate::http`] (plain http only for a
//! loopback test server: metadata hands out trust anchors). [`parse_metadata`] checks the document's own signature
//! with the `--metadata-cert` anchors when any are given ([`crate::dsig`], metadata profile), then turns each signing
//! certificate of an `IDPSSODescriptor` or `RoleDescriptor` `KeyDescriptor` (`use="signing"` or no `use`) into a
//! [`TrustAnchor`]; encryption keys never become anchors.

use crate::dsig::{self, Profile, SignatureError, DS_NS, MD_NS};
use crate::http::{self, HttpError, HttpPolicy};
use crate::trust::{self, TrustAnchor, TrustError};
use crate::xml::{Document, Limits, NodeId, XmlError};

/// WS-Addressing 1.0, where WS-Federation metadata puts the `PassiveRequestorEndpoint` address.
const WSA_NS: &str = "http://www.w3.org/2005/08/addressing";

/// Signing keys found in a metadata document.
#[derive(Debug, Clone)]
pub struct Metadata {
    /// Where it came from (path or URL).
    pub source_name: String,
    /// The `entityID`.
    pub entity_id: Option<String>,
    /// Signing certificates, each an anchor.
    pub anchors: Vec<TrustAnchor>,
    /// Whether the metadata's own signature was checked and valid.
    pub signature_verified: bool,
    /// The raw document as fetched.
    pub raw: Vec<u8>,
    /// Passive sign-in URL (WS-Fed `PassiveRequestorEndpoint`) or SAML SSO URL, when present.
    pub sign_in_url: Option<String>,
    /// The WS-Federation `PassiveRequestorEndpoint` address, when the metadata has one.
    pub wsfed_sign_in_url: Option<String>,
    /// The SAML 2.0 `SingleSignOnService` location (HTTP-POST binding preferred), when the metadata has one.
    pub saml_sign_in_url: Option<String>,
}

/// Why a metadata document could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MetadataError {
    /// The file could not be read.
    #[error("{source_name}: cannot read: {error}")]
    Read {
        /// The file.
        source_name: String,
        /// The I/O error.
        error: std::io::Error,
    },
    /// The metadata could not be fetched.
    #[error("{url}: metadata could not be fetched: {}", fetch_detail(.error))]
    Fetch {
        /// The URL.
        url: String,
        /// What went wrong.
        error: HttpError,
    },
    /// The document is not usable metadata.
    #[error("{source_name}: {problem}")]
    Invalid {
        /// The file or URL.
        source_name: String,
        /// What is wrong.
        problem: MetadataProblem,
    },
    /// The metadata's own signature did not verify with `--metadata-cert`.
    #[error("{source_name}: metadata signature is not valid with --metadata-cert: {}", unsigned_or(.error))]
    Signature {
        /// The file or URL.
        source_name: String,
        /// Why; `None` when the metadata is not signed at all.
        error: Option<SignatureError>,
    },
    /// A signing certificate in the metadata is not a certificate.
    #[error(transparent)]
    Certificate(#[from] TrustError),
}

/// What is wrong with a metadata document.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MetadataProblem {
    /// Not XML.
    #[error("not well-formed XML: {0}")]
    NotXml(XmlError),
    /// No root element.
    #[error("no root element")]
    NoRoot,
    /// An `EntitiesDescriptor` without an `EntityDescriptor`.
    #[error("EntitiesDescriptor holds no EntityDescriptor")]
    EmptyEntities,
    /// The root is some other element.
    #[error("root element is {{{ns}}}{local}, not a SAML metadata EntityDescriptor")]
    NotMetadata {
        /// The root's namespace (empty when none).
        ns: String,
        /// The root's local name.
        local: String,
    },
    /// No signing certificate in any role.
    #[error("no signing certificate in an IDPSSODescriptor or RoleDescriptor KeyDescriptor")]
    NoSigningCertificate,
}

/// How a fetch failure reads after "metadata could not be fetched: ".
fn fetch_detail(e: &HttpError) -> String {
    match e {
        HttpError::PlainHttp => "plain http:// metadata is refused (anyone on the network could replace the trust \
anchors); use https://, or download it and pass the file"
            .into(),
        HttpError::TooLarge { limit, .. } => format!("body is larger than the {limit}-byte limit"),
        HttpError::ReadTimeout { error, .. } | HttpError::Read { error, .. } => error.to_string(),
        other => other.to_string(),
    }
}

fn unsigned_or(e: &Option<SignatureError>) -> String {
    match e {
        Some(e) => e.to_string(),
        None => "the metadata is not signed".into(),
    }
}

/// Loads metadata from a file path or an `http(s)://` URL; the file or body may be at most `policy.max_bytes`.
pub fn load_metadata(
    location: &str,
    metadata_certs: &[TrustAnchor],
    policy: &HttpPolicy,
) -> Result<Metadata, MetadataError> {
    let raw = if location.starts_with("https://") || location.starts_with("http://") {
        http::get(location, None, policy).map_err(|error| MetadataError::Fetch {
            url: location.to_string(),
            error,
        })?
    } else {
        http::read_file_capped(location, policy.max_bytes).map_err(|error| MetadataError::Read {
            source_name: location.to_string(),
            error,
        })?
    };
    parse_metadata(&raw, location, metadata_certs)
}

/// Parses SAML 2.0 or WS-Federation metadata and extracts its signing certificates; with `metadata_certs`, the
/// document must carry a signature that verifies with one of them.
pub fn parse_metadata(
    raw: &[u8],
    source_name: &str,
    metadata_certs: &[TrustAnchor],
) -> Result<Metadata, MetadataError> {
    let invalid = |problem| MetadataError::Invalid {
        source_name: source_name.to_string(),
        problem,
    };
    let doc = Document::parse(raw, &Limits::default()).map_err(|e| invalid(MetadataProblem::NotXml(e)))?;
    let entity = entity_descriptor(&doc).map_err(invalid)?;
    let signature_verified = !metadata_certs.is_empty();
    if signature_verified {
        verify_signature(&doc, metadata_certs, source_name)?;
    }
    let entity_id = doc.element(entity).and_then(|e| e.attr("entityID")).map(str::to_string);
    let mut anchors = Vec::new();
    let mut sign_in_url = None;
    let (mut wsfed_sign_in_url, mut saml_sign_in_url) = (None, None);
    for (role, role_name) in signing_roles(&doc, entity) {
        if sign_in_url.is_none() {
            sign_in_url = role_sign_in_url(&doc, role);
        }
        wsfed_sign_in_url = wsfed_sign_in_url.or_else(|| passive_requestor_endpoint(&doc, role));
        saml_sign_in_url = saml_sign_in_url.or_else(|| single_sign_on_service(&doc, role));
        let origin = format!("{source_name} ({role_name} signing key)");
        for anchor in role_signing_anchors(&doc, role, &origin)? {
            if !anchors.iter().any(|x: &TrustAnchor| x.der == anchor.der) {
                anchors.push(anchor);
            }
        }
    }
    if anchors.is_empty() {
        return Err(invalid(MetadataProblem::NoSigningCertificate));
    }
    Ok(Metadata {
        source_name: source_name.to_string(),
        entity_id,
        anchors,
        signature_verified,
        raw: raw.to_vec(),
        sign_in_url,
        wsfed_sign_in_url,
        saml_sign_in_url,
    })
}

/// The `EntityDescriptor`: the root, or the first one in an `EntitiesDescriptor`.
fn entity_descriptor(doc: &Document) -> Result<NodeId, MetadataProblem> {
    let root = doc.root();
    let root_el = doc.element(root).ok_or(MetadataProblem::NoRoot)?;
    if root_el.is(MD_NS, "EntityDescriptor") {
        Ok(root)
    } else if root_el.is(MD_NS, "EntitiesDescriptor") {
        doc.child_named(root, MD_NS, "EntityDescriptor")
            .ok_or(MetadataProblem::EmptyEntities)
    } else {
        Err(MetadataProblem::NotMetadata {
            ns: root_el.ns.as_deref().unwrap_or("").to_string(),
            local: root_el.local.clone(),
        })
    }
}

/// The root's `ds:Signature` must verify with one of `metadata_certs` under the metadata profile.
fn verify_signature(doc: &Document, metadata_certs: &[TrustAnchor], source_name: &str) -> Result<(), MetadataError> {
    let refused = |error| MetadataError::Signature {
        source_name: source_name.to_string(),
        error,
    };
    let sig = doc
        .child_named(doc.root(), DS_NS, "Signature")
        .ok_or_else(|| refused(None))?;
    match dsig::verify(doc, sig, metadata_certs, &Profile::metadata()).outcome {
        Ok(_) => Ok(()),
        Err(e) => Err(refused(Some(e))),
    }
}

/// The roles whose keys sign tokens: `IDPSSODescriptor` (SAML 2.0) and `RoleDescriptor` (WS-Federation).
fn signing_roles(doc: &Document, entity: NodeId) -> Vec<(NodeId, &'static str)> {
    doc.child_elements(entity)
        .filter_map(|role| {
            let el = doc.element(role)?;
            if el.ns.as_deref() != Some(MD_NS) {
                return None;
            }
            match el.local.as_str() {
                "IDPSSODescriptor" => Some((role, "IDPSSODescriptor")),
                "RoleDescriptor" => Some((role, "RoleDescriptor")),
                _ => None,
            }
        })
        .collect()
}

/// The certificates of a role's `KeyDescriptor`s for signing (`use="signing"` or no `use`).
fn role_signing_anchors(doc: &Document, role: NodeId, origin: &str) -> Result<Vec<TrustAnchor>, TrustError> {
    let mut anchors = Vec::new();
    for kd in doc.children_named(role, MD_NS, "KeyDescriptor") {
        let usage = doc.element(kd).and_then(|e| e.attr("use"));
        if usage.is_some_and(|u| u != "signing") {
            continue;
        }
        for c in doc.find_all(kd, DS_NS, "X509Certificate") {
            anchors.push(trust::parse_cert(doc.text(c).as_bytes(), origin)?);
        }
    }
    Ok(anchors)
}

/// A role's WS-Federation `PassiveRequestorEndpoint` address.
fn passive_requestor_endpoint(doc: &Document, role: NodeId) -> Option<String> {
    doc.descendants(role).into_iter().find_map(|d| {
        let e = doc.element(d)?;
        (e.local == "PassiveRequestorEndpoint")
            .then(|| {
                doc.find_all(d, WSA_NS, "Address")
                    .first()
                    .map(|a| doc.text(*a).trim().to_string())
            })
            .flatten()
    })
}

/// A role's SAML 2.0 `SingleSignOnService` location: the HTTP-POST binding's, else the first.
fn single_sign_on_service(doc: &Document, role: NodeId) -> Option<String> {
    const POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
    let services: Vec<(Option<String>, String)> = doc
        .descendants(role)
        .into_iter()
        .filter_map(|d| doc.element(d))
        .filter(|e| e.local == "SingleSignOnService" && e.ns.as_deref() == Some(MD_NS))
        .filter_map(|e| Some((e.attr("Binding").map(str::to_string), e.attr("Location")?.to_string())))
        .collect();
    services
        .iter()
        .find(|(b, _)| b.as_deref() == Some(POST))
        .or_else(|| services.first())
        .map(|(_, l)| l.clone())
}

/// The first SAML `SingleSignOnService` location or WS-Federation `PassiveRequestorEndpoint` address of a role.
fn role_sign_in_url(doc: &Document, role: NodeId) -> Option<String> {
    for d in doc.descendants(role) {
        let Some(e) = doc.element(d) else { continue };
        if e.local == "SingleSignOnService" && e.ns.as_deref() == Some(MD_NS) {
            if let Some(l) = e.attr("Location") {
                return Some(l.to_string());
            }
        }
        if e.local == "PassiveRequestorEndpoint" {
            if let Some(a) = doc.find_all(d, WSA_NS, "Address").first() {
                return Some(doc.text(*a).trim().to_string());
            }
        }
    }
    None
}
