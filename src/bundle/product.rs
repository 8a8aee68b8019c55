//! The IdP product that request.md and the report's evidence card name: as given with `--idp-product`, or from
//! evidence, each time with the reason. Evidence is the metadata in a product's own shape (its roles, extensions and
//! fixed endpoints, together with the entityID form the product writes), or a known issuer form together with signed
//! tokens in the product's shape. A URL alone never names a product: an IdP can be given any entityID (auth0's
//! `wsfed` imitating AD FS, for one), so otherwise the product is unknown, with what was seen.

use crate::dsig::MD_NS;
use crate::report::render::IdpProduct;
use crate::report::Report;
use crate::saml::metadata::Metadata;
use crate::xml::{Document, Limits, NodeId};

const FED_NS: &str = "http://docs.oasis-open.org/wsfed/federation/200706";
const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";
const WSA_NS: &str = "http://www.w3.org/2005/08/addressing";
const SHIBMD_NS: &str = "urn:mace:shibboleth:metadata:1.0";

/// The IdP product, from `--idp-product`, the metadata, or the signed tokens (in that order).
pub(super) fn identify(given: Option<&str>, metadata: Option<&Metadata>, original: &Report) -> IdpProduct {
    if let Some(g) = given {
        return IdpProduct {
            name: Some(g.to_string()),
            reason: "as given with --idp-product".into(),
        };
    }
    let shape = metadata.and_then(|m| Shape::read(&m.raw));
    if let Some(p) = shape.as_ref().and_then(Shape::product) {
        return p;
    }
    let tokens = Tokens::of(original);
    if let Some(p) = tokens.adfs() {
        return p;
    }
    IdpProduct {
        name: None,
        reason: unknown_reason(metadata.is_some(), shape.as_ref(), &tokens),
    }
}

/// What was seen, when it names no product.
fn unknown_reason(had_metadata: bool, shape: Option<&Shape>, tokens: &Tokens) -> String {
    let adfs_entity = shape.is_some_and(|s| s.entity_id.as_deref().is_some_and(is_adfs_identifier));
    let adfs_issuer = !tokens.issuers.is_empty() && tokens.issuers.iter().all(|i| is_adfs_identifier(i));
    if !(adfs_entity || adfs_issuer) {
        return match (had_metadata, tokens.issuers.is_empty()) {
            (false, true) => "no metadata and no signed token to tell it from".into(),
            _ => "neither the metadata nor the signed tokens are in the shape of a product fedcheck knows; an \
                  entityID or URL alone does not tell"
                .into(),
        };
    }
    let mut why = vec![format!(
        "the {} has AD FS's form http://HOST/adfs/services/trust, which any IdP can be given",
        if adfs_entity { "entityID" } else { "issuer" }
    )];
    match shape {
        Some(s) => why.push(format!(
            "the metadata is not AD FS's (it lacks {})",
            s.adfs_missing().join(", ")
        )),
        None if had_metadata => why.push("the metadata could not be read for its shape".into()),
        None => why.push("no metadata was given".into()),
    }
    if !tokens.issuers.is_empty() {
        why.push("not every signed assertion ID has the form AD FS writes (_ and a GUID)".into());
    }
    why.join("; ")
}

/// `http(s)://HOST/adfs/services/trust` (a trailing slash allowed): the Federation Service identifier AD FS sets up.
fn is_adfs_identifier(s: &str) -> bool {
    url::Url::parse(s).is_ok_and(|u| {
        matches!(u.scheme(), "http" | "https")
            && u.host_str().is_some()
            && u.username().is_empty()
            && u.query().is_none()
            && u.fragment().is_none()
            && matches!(u.path(), "/adfs/services/trust" | "/adfs/services/trust/")
    })
}

/// `_` followed by a GUID (8-4-4-4-12 hex digits): the form AD FS gives every assertion and message ID.
fn is_guid_id(s: &str) -> bool {
    let Some(g) = s.strip_prefix('_') else { return false };
    let groups: Vec<&str> = g.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The signed tokens' issuers and assertion IDs (tokens without signed claims say nothing).
struct Tokens {
    issuers: Vec<String>,
    ids: Vec<String>,
}

impl Tokens {
    fn of(r: &Report) -> Tokens {
        let signed = r.tokens.iter().filter_map(|tk| tk.claims.as_ref());
        Tokens {
            issuers: signed.clone().filter_map(|c| c.issuer.clone()).collect(),
            ids: signed.filter_map(|c| c.assertion_id.clone()).collect(),
        }
    }

    /// AD FS: every signed token has AD FS's issuer form and an assertion ID in AD FS's form.
    fn adfs(&self) -> Option<IdpProduct> {
        let all = |v: &[String], f: fn(&str) -> bool| !v.is_empty() && v.iter().all(|x| f(x));
        (all(&self.issuers, is_adfs_identifier) && all(&self.ids, is_guid_id)).then(|| IdpProduct {
            name: Some("Microsoft AD FS".into()),
            reason: "from the signed tokens: the issuer has AD FS's form http://HOST/adfs/services/trust and every \
                     assertion ID has the form AD FS writes (_ and a GUID); the version is not stated"
                .into(),
        })
    }
}

/// The parts of a metadata document that tell its product.
#[derive(Debug, Default)]
struct Shape {
    entity_id: Option<String>,
    /// A WS-Federation `fed:SecurityTokenServiceType` RoleDescriptor.
    sts_role: bool,
    /// A WS-Federation `fed:ApplicationServiceType` RoleDescriptor.
    application_role: bool,
    idp_role: bool,
    sp_role: bool,
    /// `fed:PassiveRequestorEndpoint` addresses.
    passive: Vec<String>,
    /// `IDPSSODescriptor/SingleSignOnService/@Location`s.
    sso: Vec<String>,
    /// `IDPSSODescriptor/Extensions/shibmd:Scope`.
    shib_scope: bool,
}

impl Shape {
    /// Reads the first EntityDescriptor (the document was read as metadata already; anything else yields none).
    fn read(raw: &[u8]) -> Option<Shape> {
        let doc = Document::parse(raw, &Limits::default()).ok()?;
        let root = doc.root();
        let root_el = doc.element(root)?;
        let entity = if root_el.is(MD_NS, "EntityDescriptor") {
            root
        } else {
            doc.child_named(root, MD_NS, "EntityDescriptor")?
        };
        let mut s = Shape {
            entity_id: doc.element(entity)?.attr("entityID").map(str::to_string),
            ..Shape::default()
        };
        for role in doc.child_elements(entity) {
            let Some(el) = doc.element(role) else { continue };
            if el.is(MD_NS, "RoleDescriptor") {
                match fed_type(&doc, role).as_deref() {
                    Some("SecurityTokenServiceType") => s.sts_role = true,
                    Some("ApplicationServiceType") => s.application_role = true,
                    _ => {}
                }
                for p in doc.find_all(role, FED_NS, "PassiveRequestorEndpoint") {
                    s.passive.extend(
                        doc.find_all(p, WSA_NS, "Address")
                            .into_iter()
                            .map(|a| doc.text(a).trim().to_string()),
                    );
                }
            } else if el.is(MD_NS, "IDPSSODescriptor") {
                s.idp_role = true;
                s.sso.extend(
                    doc.children_named(role, MD_NS, "SingleSignOnService")
                        .filter_map(|x| doc.element(x)?.attr("Location").map(str::to_string)),
                );
                s.shib_scope |= doc
                    .children_named(role, MD_NS, "Extensions")
                    .any(|x| doc.child_named(x, SHIBMD_NS, "Scope").is_some());
            } else if el.is(MD_NS, "SPSSODescriptor") {
                s.sp_role = true;
            }
        }
        Some(s)
    }

    /// What AD FS's metadata has that this one lacks.
    fn adfs_missing(&self) -> Vec<&'static str> {
        let mut m = Vec::new();
        if !self.entity_id.as_deref().is_some_and(is_adfs_identifier) {
            m.push("AD FS's entityID form");
        }
        if !self.sts_role {
            m.push("the WS-Federation SecurityTokenService role");
        }
        if !self.application_role {
            m.push("the WS-Federation ApplicationService role");
        }
        if !self.idp_role {
            m.push("the SAML 2.0 IdP role");
        }
        if !self.sp_role {
            m.push("the SAML 2.0 SP role");
        }
        if !self.passive.iter().any(|p| url_path(p).as_deref() == Some("/adfs/ls/")) {
            m.push("the passive endpoint /adfs/ls/");
        }
        m
    }

    fn product(&self) -> Option<IdpProduct> {
        let named = |name: &str, reason: String| {
            Some(IdpProduct {
                name: Some(name.to_string()),
                reason,
            })
        };
        let entity = self.entity_id.as_deref()?;
        if self.adfs_missing().is_empty() {
            return named(
                "Microsoft AD FS",
                "from the metadata: the entityID has AD FS's form http://HOST/adfs/services/trust and the metadata \
                 has AD FS's shape (WS-Federation SecurityTokenService and ApplicationService roles, SAML 2.0 IdP and \
                 SP roles, the passive endpoint /adfs/ls/); the version is not stated"
                    .into(),
            );
        }
        if self.shib_scope && url_path(entity).is_some_and(|p| p.ends_with("/idp/shibboleth")) {
            return named(
                "Shibboleth IdP",
                "from the metadata: the IdP role carries Shibboleth's scope extension (shibmd:Scope) and the entityID \
                 has the Shibboleth IdP's form https://HOST/idp/shibboleth"
                    .into(),
            );
        }
        if keycloak_realm(entity).is_some() && self.sso.iter().any(|l| *l == format!("{entity}/protocol/saml")) {
            return named(
                "Keycloak",
                "from the metadata: the entityID is a Keycloak realm URL (https://HOST/realms/REALM) and the IdP's \
                 SAML endpoint is that realm's /protocol/saml"
                    .into(),
            );
        }
        if let Some(id) = okta_app_id(entity) {
            if self.sso.iter().any(|l| okta_sso_matches(l, id)) {
                return named(
                    "Okta",
                    "from the metadata: the entityID has Okta's form http://www.okta.com/APP-ID and the IdP's SAML \
                     endpoint is that app's https://ORG.okta.com/app/NAME/APP-ID/sso/saml"
                        .into(),
                );
            }
        }
        None
    }
}

/// The local part of a RoleDescriptor's `xsi:type` when its prefix is the WS-Federation namespace.
fn fed_type(doc: &Document, role: NodeId) -> Option<String> {
    let el = doc.element(role)?;
    let ty = el
        .attrs
        .iter()
        .find(|a| a.local == "type" && a.ns.as_deref() == Some(XSI_NS))?
        .value
        .trim();
    let (prefix, local) = ty.split_once(':').unwrap_or(("", ty));
    let ns = doc
        .in_scope_namespaces(role)
        .into_iter()
        .find(|d| d.prefix.as_deref().unwrap_or("") == prefix)?;
    (ns.uri == FED_NS).then(|| local.to_string())
}

fn url_path(s: &str) -> Option<String> {
    url::Url::parse(s.trim()).ok().map(|u| u.path().to_string())
}

/// The realm of a Keycloak realm URL `https://HOST[/auth]/realms/REALM`.
fn keycloak_realm(s: &str) -> Option<String> {
    let u = url::Url::parse(s).ok()?;
    let segs: Vec<&str> = u.path_segments()?.collect();
    match segs.as_slice() {
        ["realms", r] | ["auth", "realms", r] if !r.is_empty() => Some((*r).to_string()),
        _ => None,
    }
}

/// The app ID of Okta's entityID form `http://www.okta.com/APP-ID`.
fn okta_app_id(s: &str) -> Option<&str> {
    let id = s.strip_prefix("http://www.okta.com/")?;
    (!id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric())).then_some(id)
}

/// Okta's SAML endpoint for app `id`: `https://ORG.okta.com/app/NAME/ID/sso/saml` (or okta-emea.com,
/// oktapreview.com).
fn okta_sso_matches(location: &str, id: &str) -> bool {
    let Ok(u) = url::Url::parse(location) else { return false };
    let host_ok = u.host_str().is_some_and(|h| {
        [".okta.com", ".okta-emea.com", ".oktapreview.com"]
            .iter()
            .any(|d| h.ends_with(d))
    });
    let segs: Vec<&str> = u.path_segments().map(|s| s.collect()).unwrap_or_default();
    host_ok && u.scheme() == "https" && matches!(segs.as_slice(), ["app", _, i, "sso", "saml"] if *i == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(xml: &str) -> Option<IdpProduct> {
        Shape::read(xml.as_bytes()).and_then(|s| s.product())
    }

    #[test]
    fn adfs_identifier_and_guid_forms() {
        assert!(is_adfs_identifier("http://sts.contoso.test/adfs/services/trust"));
        assert!(is_adfs_identifier("https://sts.contoso.test/adfs/services/trust/"));
        assert!(!is_adfs_identifier("urn:auth0:contoso/adfs/services/trust"));
        assert!(!is_adfs_identifier("https://contoso.auth0.com/adfs/services/trust/x"));
        assert!(!is_adfs_identifier("https://idp.test/adfs/services/trust?x=1"));
        assert!(is_guid_id("_0d7e4c2b-51a8-4f3e-9c6d-8b2a1f7e5c30"));
        assert!(!is_guid_id("0d7e4c2b-51a8-4f3e-9c6d-8b2a1f7e5c30"));
        assert!(!is_guid_id("_b7e1c0de0000000000000000000000npm"));
        assert!(!is_guid_id("_0d7e4c2b-51a8-4f3e-9c6d-8b2a1f7e5c3"));
    }

    #[test]
    fn keycloak_from_realm_entity_and_its_saml_endpoint() {
        let md = r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://kc.contoso.test/realms/contoso"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://kc.contoso.test/realms/contoso/protocol/saml"/></md:IDPSSODescriptor></md:EntityDescriptor>"#;
        assert_eq!(product(md).and_then(|p| p.name).as_deref(), Some("Keycloak"));
        // The realm path alone, with an endpoint elsewhere, names nothing.
        let other = md.replace("realms/contoso/protocol/saml", "sso");
        assert_eq!(product(&other), None);
    }

    #[test]
    fn okta_from_app_entity_and_its_sso_endpoint() {
        let md = r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="http://www.okta.com/exk1a2b3c4D5e6F7g8h9"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://contoso.okta.com/app/contoso_office365_1/exk1a2b3c4D5e6F7g8h9/sso/saml"/></md:IDPSSODescriptor></md:EntityDescriptor>"#;
        assert_eq!(product(md).and_then(|p| p.name).as_deref(), Some("Okta"));
        let other = md.replace("exk1a2b3c4D5e6F7g8h9/sso", "exkOTHER/sso");
        assert_eq!(product(&other), None);
    }

    #[test]
    fn shibboleth_from_scope_extension_and_entity_form() {
        let md = r#"<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:shibmd="urn:mace:shibboleth:metadata:1.0" entityID="https://idp.contoso.test/idp/shibboleth"><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><Extensions><shibmd:Scope regexp="false">contoso.test</shibmd:Scope></Extensions></IDPSSODescriptor></EntityDescriptor>"#;
        assert_eq!(product(md).and_then(|p| p.name).as_deref(), Some("Shibboleth IdP"));
        // The entityID form without the extension names nothing.
        let bare = md.replace(
            r#"<Extensions><shibmd:Scope regexp="false">contoso.test</shibmd:Scope></Extensions>"#,
            "",
        );
        assert_eq!(product(&bare), None);
    }

    #[test]
    fn a_wsfed_role_at_adfs_paths_is_not_adfs() {
        let md = r#"<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="http://sts.contoso.test/adfs/services/trust"><RoleDescriptor xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:fed="http://docs.oasis-open.org/wsfed/federation/200706" xsi:type="fed:SecurityTokenServiceType"><fed:PassiveRequestorEndpoint><EndpointReference xmlns="http://www.w3.org/2005/08/addressing"><Address>https://sts.contoso.test/adfs/ls/</Address></EndpointReference></fed:PassiveRequestorEndpoint></RoleDescriptor></EntityDescriptor>"#;
        let s = Shape::read(md.as_bytes()).unwrap();
        assert!(s.sts_role && !s.application_role);
        assert_eq!(s.product(), None);
        assert_eq!(
            s.adfs_missing(),
            vec![
                "the WS-Federation ApplicationService role",
                "the SAML 2.0 IdP role",
                "the SAML 2.0 SP role"
            ]
        );
    }
}
