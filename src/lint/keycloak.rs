//! Keycloak: a realm export (`kc.sh export --realm R --file R.json`, the admin console's partial export, or an
//! array of realms) or a single client exported from the admin console. It finds the SAML client whose client ID
//! is Entra's entity ID (`urn:federation:MicrosoftOnline`) and reads its attributes (`saml.assertion.signature`,
//! `saml.signature.algorithm`, `saml.encrypt`, `saml.authnstatement`, `saml_name_id_format`,
//! `saml_force_name_id_format`), its protocol mappers (those of its default client scopes too: the `IDPEmail`
//! attribute, the NameID mapper, the AuthnContextClassRef mapper and `acr.loa.map`), and the browser flow it signs in
//! with (`authenticationFlowBindingOverrides.browser`, else the realm's `browserFlow`), evaluated with the
//! Required / Alternative / Conditional semantics Keycloak documents to say whether every sign-in needs a second
//! factor.

use super::{docs, show, str_at, strings, ConfigReport, Encoding, Finding, InputFile, Kind, LintError};
use crate::rules::ids;
use crate::rules::{Status, ENTRA_ACS, ENTRA_AUDIENCE, MULTIPLEAUTHN, PERSISTENT};
use serde_json::Value;

/// What Keycloak writes as AuthnContextClassRef without a mapper.
pub const UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified";
/// Keycloak's mapper that writes the AuthnContextClassRef of the level reached (preview, Keycloak 26.6).
pub const AUTHN_CONTEXT_MAPPER: &str = "saml-authn-context-class-ref-mapper";
/// Keycloak's "User Attribute Mapper For NameID".
pub const NAMEID_MAPPER: &str = "saml-user-attribute-nameid-mapper";
/// Deepest nesting of sub-flows followed.
const MAX_FLOW_DEPTH: usize = 16;
/// Most flow steps evaluated for one client (the input is untrusted: sub-flows can be shared many times over).
const MAX_FLOW_STEPS: usize = 10_000;

/// Lints a realm export, an array of realms, or a client export.
pub fn lint(file: &str, encoding: Encoding, v: &Value) -> Result<ConfigReport, LintError> {
    let (realm, client) = realm_and_client(file, v)?;
    let inputs = vec![InputFile {
        path: file.to_string(),
        role: if realm.is_some() {
            "realm export"
        } else {
            "client export"
        }
        .into(),
        status: "read",
    }];
    let realm_name = realm.and_then(|r| str_at(r, "realm")).unwrap_or("?");
    let report = |subject: String, checks: Vec<Finding>| {
        ConfigReport::new(Kind::Keycloak, file, Some(encoding), subject, inputs, checks)
    };
    let Some(client) = client else {
        return Ok(report(
            format!("realm \"{realm_name}\""),
            vec![no_client(realm, realm_name)],
        ));
    };
    let subject = match realm {
        Some(_) => format!("realm \"{realm_name}\", client \"{ENTRA_AUDIENCE}\""),
        None => format!(
            "client \"{}\" (client export)",
            str_at(client, "clientId").unwrap_or("?")
        ),
    };
    let mappers = mappers(realm, client);
    let flow = realm.map(|r| bound_flow(r, client));
    let checks = vec![
        client_check(client, realm.map(|_| realm_name)),
        acs(client),
        assertion_signature(client),
        signature_algorithm(client),
        encryption(client),
        authn_statement(client),
        nameid(client, &mappers),
        idpemail(&mappers),
        authn_context(realm, client, &mappers, flow.as_ref()),
        second_factor(realm, flow.as_ref()),
    ];
    Ok(report(subject, checks))
}

/// The realm and Entra's client in an export: a realm export (the first realm that has Entra's client, else the
/// first realm and no client), or a client export (no realm).
fn realm_and_client<'a>(file: &str, v: &'a Value) -> Result<(Option<&'a Value>, Option<&'a Value>), LintError> {
    let realms: Vec<&Value> = match v {
        Value::Array(items) => items.iter().filter(|r| r.get("realm").is_some()).collect(),
        Value::Object(_) if v.get("realm").is_some() => vec![v],
        _ => Vec::new(),
    };
    if realms.is_empty() {
        // A client export: the client itself.
        if v.get("clientId").is_none() {
            return Err(LintError::NotThatKind {
                file: file.to_string(),
                kind: Kind::Keycloak.name(),
                reason: "neither a realm export (no \"realm\") nor a client export (no \"clientId\")".into(),
            });
        }
        return Ok((None, Some(v)));
    }
    let with_entra = realms.iter().find_map(|r| entra_client(r).map(|c| (*r, c)));
    Ok(match with_entra {
        Some((r, c)) => (Some(r), Some(c)),
        None => (Some(realms[0]), None),
    })
}

/// `keycloak.client` (fail) for a realm without Entra's client, naming its SAML clients.
fn no_client(realm: Option<&Value>, realm_name: &str) -> Finding {
    let saml: Vec<String> = realm
        .and_then(|r| r.get("clients"))
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .filter(|c| str_at(c, "protocol") == Some("saml"))
                .filter_map(|c| str_at(c, "clientId").map(str::to_string))
                .take(20)
                .collect()
        })
        .unwrap_or_default();
    Finding::new(
        ids::KEYCLOAK_CLIENT,
        Status::Fail,
        format!(
            "realm \"{realm_name}\" has no client with the client ID {ENTRA_AUDIENCE}, Entra's entity ID (the \
issuer of its AuthnRequests); SAML clients: {}",
            if saml.is_empty() {
                "none".to_string()
            } else {
                saml.join(", ")
            }
        ),
    )
    .setting("clients[].clientId")
    .fix(format!(
        "Create a SAML client with Client ID {ENTRA_AUDIENCE} (Clients > Create client > SAML), or import Entra's \
SAML metadata (https://nexus.microsoftonline-p.com/federationmetadata/saml20/federationmetadata.xml)"
    ))
    .docs(&[docs::KC_SAML_CLIENT])
}

fn entra_client(realm: &Value) -> Option<&Value> {
    realm
        .get("clients")?
        .as_array()?
        .iter()
        .find(|c| str_at(c, "clientId") == Some(ENTRA_AUDIENCE))
}

/// A client attribute as a string (`"true"`, or `true` in hand-written imports).
fn attr(client: &Value, key: &str) -> Option<String> {
    client.get("attributes")?.get(key).filter(|v| !v.is_null()).map(show)
}

fn attr_setting(key: &str) -> String {
    format!("clients[clientId={ENTRA_AUDIENCE}].attributes[\"{key}\"]")
}

fn client_check(client: &Value, realm: Option<&str>) -> Finding {
    let protocol = str_at(client, "protocol");
    let client_id = str_at(client, "clientId").unwrap_or("?");
    if client_id != ENTRA_AUDIENCE {
        return Finding::new(
            ids::KEYCLOAK_CLIENT,
            Status::Warn,
            format!(
                "the exported client's ID is {client_id}, not {ENTRA_AUDIENCE} (Entra's entity ID, the issuer of its \
AuthnRequests): Keycloak matches Entra's requests to a client by that ID; the findings below are about this client"
            ),
        )
        .setting("clientId")
        .value(client_id)
        .docs(&[docs::KC_SAML_CLIENT]);
    }
    let whose = match realm {
        Some(r) => format!("realm \"{r}\" has"),
        None => "the exported client is".to_string(),
    };
    let enabled = client.get("enabled").and_then(Value::as_bool).unwrap_or(true);
    let f = if protocol != Some("saml") {
        Finding::new(
            ids::KEYCLOAK_CLIENT,
            Status::Fail,
            format!(
                "the client {ENTRA_AUDIENCE} uses the protocol {}, not saml: Entra federates with SAML 2.0 (or WS-Fed, \
which Keycloak does not offer)",
                protocol.unwrap_or("(none)")
            ),
        )
        .setting("protocol")
        .value_opt(protocol)
    } else if !enabled {
        Finding::new(
            ids::KEYCLOAK_CLIENT,
            Status::Fail,
            format!("the SAML client {ENTRA_AUDIENCE} is disabled: Keycloak refuses Entra's requests"),
        )
        .setting("enabled")
        .value("false")
        .fix("Enable the client (Clients > urn:federation:MicrosoftOnline > Enabled)")
    } else {
        Finding::new(
            ids::KEYCLOAK_CLIENT,
            Status::Pass,
            format!("{whose} the SAML client {ENTRA_AUDIENCE} (Entra's entity ID), enabled"),
        )
        .setting("clientId")
        .value(ENTRA_AUDIENCE)
    };
    f.docs(&[docs::KC_SAML_CLIENT])
}

fn acs(client: &Value) -> Finding {
    let post = attr(client, "saml_assertion_consumer_url_post");
    let redirects = strings(client.get("redirectUris"));
    let allowed = |u: &str| u == ENTRA_ACS || u.strip_suffix('*').is_some_and(|p| ENTRA_ACS.starts_with(p));
    let f = if post.as_deref() == Some(ENTRA_ACS) || redirects.iter().any(|u| allowed(u)) {
        Finding::new(
            ids::KEYCLOAK_ACS,
            Status::Pass,
            format!("Keycloak may post the response to Entra's {ENTRA_ACS}"),
        )
    } else {
        Finding::new(
            ids::KEYCLOAK_ACS,
            Status::Warn,
            format!(
                "neither the Assertion Consumer Service POST binding URL nor a Valid Redirect URI is Entra's {ENTRA_ACS}: \
Keycloak posts only to a URL its Valid Redirect URIs allow"
            ),
        )
        .fix(format!("Set Valid Redirect URIs (or Assertion Consumer Service POST Binding URL) to {ENTRA_ACS}"))
    };
    f.setting(format!(
        "{} / redirectUris",
        attr_setting("saml_assertion_consumer_url_post")
    ))
    .value(post.into_iter().chain(redirects).collect::<Vec<_>>().join(", "))
    .docs(&[docs::KC_SAML_CLIENT, docs::ENTRA_SAML_IDP])
}

/// A finding about the client attribute `key`: `judge` reads its value; the setting, the value and `docs` are
/// added.
fn attribute_finding(
    client: &Value,
    key: &str,
    docs: &[&'static str],
    judge: impl FnOnce(Option<&str>) -> Finding,
) -> Finding {
    let value = attr(client, key);
    judge(value.as_deref())
        .setting(attr_setting(key))
        .value_opt(value)
        .docs(docs)
}

fn is_true(v: Option<&str>) -> bool {
    v.is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

fn assertion_signature(client: &Value) -> Finding {
    let docs = [docs::KC_SAML_CLIENT, docs::ENTRA_SAML_IDP];
    attribute_finding(client, "saml.assertion.signature", &docs, |value| {
        if is_true(value) {
            return Finding::new(
                ids::KEYCLOAK_ASSERTION_SIGNATURE,
                Status::Pass,
                "Keycloak signs the assertion (Sign assertions on)",
            );
        }
        let documents = attr(client, "saml.server.signature");
        Finding::new(
            ids::KEYCLOAK_ASSERTION_SIGNATURE,
            Status::Fail,
            format!(
                "Keycloak does not sign the assertion (Sign assertions {}){}: Entra requires the assertion itself to be \
signed and refuses the token",
                if value.is_some() { "off" } else { "not set, off by default" },
                if is_true(documents.as_deref()) {
                    "; signing the document (Sign documents on) does not count"
                } else {
                    ""
                }
            ),
        )
        .fix("Clients > urn:federation:MicrosoftOnline > Keys / Signature and Encryption: turn Sign assertions on")
    })
}

fn signature_algorithm(client: &Value) -> Finding {
    let docs = [docs::KC_SAML_CLIENT, docs::ENTRA_SAML_IDP];
    attribute_finding(client, "saml.signature.algorithm", &docs, |value| {
        let id = ids::KEYCLOAK_SIGNATURE_ALGORITHM;
        let fix = "Set Signature Algorithm to RSA_SHA256";
        match value {
            Some("RSA_SHA256") => Finding::new(id, Status::Pass, "Keycloak signs with RSA-SHA256"),
            None => Finding::new(
                id,
                Status::Pass,
                "no signature algorithm set: Keycloak's default, RSA_SHA256",
            ),
            Some("RSA_SHA1") => Finding::new(
                id,
                Status::Warn,
                "Keycloak signs with RSA-SHA1: Entra still accepts it; Keycloak calls SHA-1 algorithms deprecated",
            )
            .fix(fix),
            Some(other) => Finding::new(
                id,
                Status::Warn,
                format!(
                    "Keycloak signs with {other}: Microsoft documents only RSA-SHA1 and RSA-SHA256 for federation; \
whether Entra accepts others is undocumented"
                ),
            )
            .fix(fix),
        }
    })
}

fn encryption(client: &Value) -> Finding {
    let docs = [docs::KC_SAML_CLIENT, docs::GRAPH_FEDERATION];
    attribute_finding(client, "saml.encrypt", &docs, |value| {
        if !is_true(value) {
            return Finding::new(ids::KEYCLOAK_ENCRYPTION, Status::Pass, "the assertion is not encrypted");
        }
        Finding::new(
            ids::KEYCLOAK_ENCRYPTION,
            Status::Warn,
            "Keycloak encrypts the assertion (Encrypt assertions on): Entra's domain federation settings hold no \
encryption key and Microsoft does not document encrypted assertions from a federated IdP",
        )
        .fix("Turn Encrypt assertions off for this client")
    })
}

fn authn_statement(client: &Value) -> Finding {
    let docs = [docs::KC_SAML_CLIENT, docs::ENTRA_MFA_CLAIMS];
    attribute_finding(client, "saml.authnstatement", &docs, |value| {
        // Keycloak documents "Include AuthnStatement" as on by default.
        if value.is_none_or(|v| v.eq_ignore_ascii_case("true")) {
            return Finding::new(
                ids::KEYCLOAK_AUTHN_STATEMENT,
                Status::Pass,
                "Keycloak includes the AuthnStatement (Include AuthnStatement on), where Entra reads the AuthnInstant \
and the AuthnContextClassRef",
            );
        }
        Finding::new(
            ids::KEYCLOAK_AUTHN_STATEMENT,
            Status::Fail,
            "Keycloak leaves out the AuthnStatement (Include AuthnStatement off): no AuthnContextClassRef, so Entra \
never sees MFA, and no AuthnInstant",
        )
        .fix("Turn Include AuthnStatement on")
    })
}

/// A protocol mapper and where it comes from.
struct Mapper<'a> {
    value: &'a Value,
    origin: String,
}

impl Mapper<'_> {
    fn kind(&self) -> &str {
        str_at(self.value, "protocolMapper").unwrap_or("")
    }
    fn config(&self, key: &str) -> Option<String> {
        self.value.get("config")?.get(key).filter(|v| !v.is_null()).map(show)
    }
    fn label(&self) -> String {
        format!(
            "mapper \"{}\" ({}, {})",
            str_at(self.value, "name").unwrap_or("?"),
            self.kind(),
            self.origin
        )
    }
}

/// The client's mappers and those of its default client scopes (SAML ones).
fn mappers<'a>(realm: Option<&'a Value>, client: &'a Value) -> Vec<Mapper<'a>> {
    let mut out: Vec<Mapper<'a>> = client
        .get("protocolMappers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|m| Mapper {
            value: m,
            origin: "client".into(),
        })
        .collect();
    let scopes = strings(client.get("defaultClientScopes"));
    if let Some(all) = realm.and_then(|r| r.get("clientScopes")).and_then(Value::as_array) {
        for scope in all {
            let Some(name) = str_at(scope, "name") else { continue };
            if !scopes.iter().any(|s| s == name) || str_at(scope, "protocol").is_some_and(|p| p != "saml") {
                continue;
            }
            for m in scope
                .get("protocolMappers")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                out.push(Mapper {
                    value: m,
                    origin: format!("client scope \"{name}\""),
                });
            }
        }
    }
    out
}

fn nameid(client: &Value, mappers: &[Mapper]) -> Finding {
    let format = attr(client, "saml_name_id_format");
    let forced = is_true(attr(client, "saml_force_name_id_format").as_deref());
    let urn = |f: &str| match f {
        "username" | "unspecified" => "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified".to_string(),
        "email" => "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress".to_string(),
        "transient" => "urn:oasis:names:tc:SAML:2.0:nameid-format:transient".to_string(),
        "persistent" => PERSISTENT.to_string(),
        other => other.to_string(),
    };
    let setting = format!(
        "{} / saml_force_name_id_format / {NAMEID_MAPPER}",
        attr_setting("saml_name_id_format")
    );
    let value = format!(
        "{}{}",
        format.as_deref().unwrap_or("(not set: username)"),
        if forced { ", forced" } else { "" }
    );
    let effective = if forced {
        urn(format.as_deref().unwrap_or("username"))
    } else {
        PERSISTENT.to_string()
    };
    let f = if effective != PERSISTENT {
        Finding::new(
            ids::KEYCLOAK_NAMEID,
            Status::Fail,
            format!(
                "Force Name ID Format is on with {effective}: Keycloak ignores Entra's request for a persistent NameID, \
and Entra requires Format persistent with the user's ImmutableID as value"
            ),
        )
        .fix("Set Name ID Format to persistent (or turn Force Name ID Format off) and add a User Attribute Mapper For \
NameID (persistent) that reads the attribute holding each user's ImmutableID")
    } else {
        let how = if forced {
            "Name ID Format persistent, forced".to_string()
        } else {
            "Entra asks for a persistent NameID and Force Name ID Format is off".to_string()
        };
        match mappers
            .iter()
            .find(|m| m.kind() == NAMEID_MAPPER && m.config("mapper.nameid.format").as_deref() == Some(PERSISTENT))
        {
            Some(m) => Finding::new(
                ids::KEYCLOAK_NAMEID,
                Status::Pass,
                format!(
                    "{how}; {} writes it from the user attribute \"{}\", which must hold the user's ImmutableID in Entra",
                    m.label(),
                    m.config("user.attribute").unwrap_or_default()
                ),
            ),
            None => Finding::new(
                ids::KEYCLOAK_NAMEID,
                Status::Warn,
                format!(
                    "{how}, and no User Attribute Mapper For NameID writes it: Keycloak then uses each user's attribute \
saml.persistent.name.id.for.{ENTRA_AUDIENCE}, or generates and stores a random G-<uuid>, which matches the user's \
ImmutableID in Entra only if someone set one to the other"
                ),
            )
            .fix("Add a User Attribute Mapper For NameID (Name ID Format persistent) that reads the attribute holding \
each user's ImmutableID"),
        }
    };
    f.setting(setting)
        .value(value)
        .docs(&[docs::KC_SAML_CLIENT, docs::KC_MAPPERS, docs::ENTRA_SAML_IDP])
}

fn idpemail(mappers: &[Mapper]) -> Finding {
    let found: Vec<&Mapper> = mappers
        .iter()
        .filter(|m| m.config("attribute.name").as_deref() == Some("IDPEmail"))
        .collect();
    let f = match found.first() {
        None => Finding::new(
            ids::KEYCLOAK_IDPEMAIL,
            Status::Fail,
            "no mapper writes the attribute IDPEmail: Entra requires the user's UPN in IDPEmail",
        )
        .fix(
            "Add a User Property (or User Attribute) mapper with SAML Attribute Name IDPEmail, reading the attribute \
that holds the user's UPN",
        ),
        Some(m) => match m.kind() {
            "saml-user-property-mapper" | "saml-user-attribute-mapper" => Finding::new(
                ids::KEYCLOAK_IDPEMAIL,
                Status::Pass,
                format!(
                    "{} writes IDPEmail from the user's \"{}\" (must be the user's UPN in Entra)",
                    m.label(),
                    m.config("user.attribute").unwrap_or_default()
                ),
            ),
            "saml-hardcode-attribute-mapper" => Finding::new(
                ids::KEYCLOAK_IDPEMAIL,
                Status::Fail,
                format!(
                    "{} writes the same IDPEmail ({}) for every user",
                    m.label(),
                    m.config("attribute.value").unwrap_or_default()
                ),
            )
            .fix("Use a User Property or User Attribute mapper for IDPEmail"),
            _ => Finding::new(
                ids::KEYCLOAK_IDPEMAIL,
                Status::Warn,
                format!(
                    "{} writes IDPEmail: fedcheck cannot tell what value it writes",
                    m.label()
                ),
            ),
        },
    };
    f.setting("protocolMappers[config.\"attribute.name\"=IDPEmail]")
        .value_opt(found.first().map(|m| m.label()))
        .docs(&[docs::KC_MAPPERS, docs::ENTRA_SAML_IDP])
}

/// The client's (else the realm's) `acr.loa.map`, as (URI or name, level) pairs.
fn acr_map(realm: Option<&Value>, client: &Value) -> Vec<(String, String)> {
    let raw = attr(client, "acr.loa.map")
        .filter(|m| !m.trim().is_empty() && m.trim() != "{}")
        .or_else(|| {
            realm
                .and_then(|r| r.get("attributes"))
                .and_then(|a| a.get("acr.loa.map"))
                .map(show)
        });
    let Some(raw) = raw else { return Vec::new() };
    match serde_json::from_str::<Value>(&raw) {
        Ok(Value::Object(o)) => o.iter().map(|(k, v)| (k.clone(), show(v))).collect(),
        _ => Vec::new(),
    }
}

fn authn_context(realm: Option<&Value>, client: &Value, mappers: &[Mapper], flow: Option<&FlowRef>) -> Finding {
    let setting = format!(
        "protocolMappers[protocolMapper={AUTHN_CONTEXT_MAPPER}] / {}",
        attr_setting("acr.loa.map")
    );
    let mapper = mappers.iter().find(|m| m.kind() == AUTHN_CONTEXT_MAPPER);
    let third_party = mappers.iter().find(|m| {
        m.kind() != AUTHN_CONTEXT_MAPPER
            && m.value.get("config").and_then(Value::as_object).is_some_and(|c| {
                c.values()
                    .any(|v| v.as_str().is_some_and(|s| s.contains(MULTIPLEAUTHN)))
            })
    });
    let fix = format!(
        "Keycloak 26.6 and later: start the server with the preview feature step-up-authentication-saml, add the \
AuthnContextClassRef mapper to the client, map {MULTIPLEAUTHN} to the level of your second-factor step in the \
client's ACR to LoA mapping, and bind a step-up flow. Otherwise let Entra do MFA itself (federatedIdpMfaBehavior = \
rejectMfaByFederatedIdp)."
    );
    let f = match (mapper, third_party) {
        (None, Some(m)) => Finding::new(
            ids::KEYCLOAK_AUTHN_CONTEXT,
            Status::Warn,
            format!(
                "{} is not a Keycloak mapper but its configuration names {MULTIPLEAUTHN}: fedcheck cannot tell when it \
writes it; if it writes it for every sign-in, it claims MFA for users who did none",
                m.label()
            ),
        )
        .value(m.label()),
        (None, None) => Finding::new(
            ids::KEYCLOAK_AUTHN_CONTEXT,
            Status::Fail,
            format!(
                "no AuthnContextClassRef mapper: Keycloak writes {UNSPECIFIED} in every response, which Entra does not \
count as MFA; with federatedIdpMfaBehavior = enforceMfaByFederatedIdp, Entra sends the user back again and again \
(Keycloak issue 11721)"
            ),
        )
        .fix(fix),
        (Some(m), _) => mapped_context(m, realm, client, flow, &fix),
    };
    f.setting(setting).docs(&[
        docs::KC_ISSUE_11721,
        docs::KC_ISSUE_10155,
        docs::KC_STEP_UP,
        docs::ENTRA_MFA_CLAIMS,
    ])
}

/// `keycloak.authn-context` with Keycloak's AuthnContextClassRef mapper: does the ACR to LoA mapping hold
/// `multipleauthn`, and is its level reached?
fn mapped_context(m: &Mapper, realm: Option<&Value>, client: &Value, flow: Option<&FlowRef>, fix: &str) -> Finding {
    let map = acr_map(realm, client);
    let fix = format!(
        "{fix} With the mapper in place: map {MULTIPLEAUTHN} to the level of the second-factor sub-flow in the \
client's ACR to LoA mapping and set the client's Minimum ACR value to it, so that every sign-in from Entra reaches it"
    );
    match map.iter().find(|(uri, _)| uri == MULTIPLEAUTHN) {
        Some((_, level)) => level_finding(m, level, flow, &fix),
        None => Finding::new(
            ids::KEYCLOAK_AUTHN_CONTEXT,
            Status::Fail,
            format!(
                "{} writes the URI mapped to the level reached, but the ACR to LoA mapping has no \
{MULTIPLEAUTHN} ({}): Keycloak never sends what Entra reads as MFA",
                m.label(),
                if map.is_empty() {
                    "it is empty".to_string()
                } else {
                    map.iter()
                        .map(|(k, v)| format!("{k} = {v}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
        )
        .fix(fix),
    }
}

/// `keycloak.authn-context` when `multipleauthn` is mapped to `level`: does the bound flow have that level, and does
/// every sign-in ask for it?
fn level_finding(m: &Mapper, level: &str, flow: Option<&FlowRef>, fix: &str) -> Finding {
    let has_level = flow.is_some_and(|f| f.loa_levels.iter().any(|l| l == level));
    let reached = flow
        .and_then(|f| f.requested)
        .zip(level.parse::<i64>().ok())
        .is_some_and(|(r, l)| r >= l);
    let how = flow
        .map(|f| f.requested_how.clone())
        .unwrap_or_else(|| "a client export has no flows".into());
    if has_level && reached {
        Finding::new(
            ids::KEYCLOAK_AUTHN_CONTEXT,
            Status::Warn,
            format!(
                "{} writes {MULTIPLEAUTHN} when the sign-in reached level {level} (acr.loa.map), every \
sign-in asks for it ({how}) and the bound flow has a Condition - Level Of Authentication for level {level}. This needs the \
preview feature step-up-authentication-saml enabled at server start, which a realm export does not show",
                m.label()
            ),
        )
    } else {
        Finding::new(
            ids::KEYCLOAK_AUTHN_CONTEXT,
            Status::Fail,
            format!(
                "{} writes {MULTIPLEAUTHN} only when a sign-in reaches level {level}, but {}: Keycloak \
keeps writing {UNSPECIFIED}",
                m.label(),
                if !has_level {
                    format!("the bound flow has no Condition - Level Of Authentication for level {level}")
                } else {
                    format!("sign-ins ask for {how}")
                }
            ),
        )
        .fix(fix)
    }
    .value(format!("{MULTIPLEAUTHN} = {level}"))
}

// ---------------------------------------------------------------------------------------------------------------
// Authentication flows

/// The flow a client signs in with.
struct FlowRef {
    /// Its alias, when found.
    alias: Option<String>,
    /// How it was chosen.
    how: String,
    /// Levels of "Condition - Level Of Authentication" steps in it.
    loa_levels: Vec<String>,
    /// The level every sign-in of this client asks for (the client's minimum ACR value), when known.
    requested: Option<i64>,
    /// Where `requested` comes from, in words.
    requested_how: String,
}

fn bound_flow(realm: &Value, client: &Value) -> FlowRef {
    let flows = realm.get("authenticationFlows").and_then(Value::as_array);
    let by_id = |id: &str| {
        flows
            .into_iter()
            .flatten()
            .find(|f| str_at(f, "id") == Some(id))
            .and_then(|f| str_at(f, "alias"))
    };
    let override_id = client
        .get("authenticationFlowBindingOverrides")
        .and_then(|o| o.get("browser"))
        .and_then(Value::as_str);
    let (alias, how) = match override_id {
        Some(id) => match by_id(id) {
            Some(a) => (
                Some(a.to_string()),
                format!("the client's browser flow override \"{a}\""),
            ),
            None => (
                None,
                format!("the client's browser flow override {id}, which is not among the realm's flows"),
            ),
        },
        None => {
            let a = str_at(realm, "browserFlow").unwrap_or("browser");
            (Some(a.to_string()), format!("the realm's browser flow \"{a}\""))
        }
    };
    let mut loa_levels = Vec::new();
    if let Some(a) = &alias {
        collect_levels(realm, a, &mut std::collections::HashSet::new(), &mut loa_levels);
    }
    let (requested, requested_how) = requested_level(Some(realm), client);
    FlowRef {
        alias,
        how,
        loa_levels,
        requested,
        requested_how,
    }
}

/// The level of authentication every sign-in of the client asks for: Entra's AuthnRequests carry no
/// RequestedAuthnContext, so only the client's minimum ACR value (or default ACR values) sets one.
fn requested_level(realm: Option<&Value>, client: &Value) -> (Option<i64>, String) {
    let map = acr_map(realm, client);
    for key in ["minimum.acr.value", "default.acr.values"] {
        let Some(v) = attr(client, key).filter(|v| !v.trim().is_empty()) else {
            continue;
        };
        let first = v.split("##").next().unwrap_or(&v).trim().to_string();
        let level = first
            .parse::<i64>()
            .ok()
            .or_else(|| map.iter().find(|(k, _)| *k == first).and_then(|(_, l)| l.parse().ok()));
        return match level {
            Some(l) => (Some(l), format!("the client's {key} {first} (level {l})")),
            None => (
                None,
                format!("the client's {key} {first}, which the ACR to LoA mapping does not map"),
            ),
        };
    }
    (
        None,
        "no level: Entra requests no AuthnContext and the client sets no minimum ACR value".into(),
    )
}

fn find_flow<'a>(realm: &'a Value, alias: &str) -> Option<&'a Value> {
    realm
        .get("authenticationFlows")?
        .as_array()?
        .iter()
        .find(|f| str_at(f, "alias") == Some(alias))
}

/// An execution's configuration (`authenticatorConfig` alias -> realm `authenticatorConfig[].config`).
fn exec_config<'a>(realm: &'a Value, exec: &Value) -> Option<&'a serde_json::Map<String, Value>> {
    let alias = str_at(exec, "authenticatorConfig")?;
    realm
        .get("authenticatorConfig")?
        .as_array()?
        .iter()
        .find(|c| str_at(c, "alias") == Some(alias))?
        .get("config")?
        .as_object()
}

fn executions(flow: &Value) -> Vec<&Value> {
    let mut e: Vec<&Value> = flow
        .get("authenticationExecutions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    e.sort_by_key(|x| x.get("priority").and_then(Value::as_i64).unwrap_or(0));
    e
}

fn subflow_alias(exec: &Value) -> Option<&str> {
    let is_flow = exec.get("authenticatorFlow").and_then(Value::as_bool).unwrap_or(false)
        || exec.get("autheticatorFlow").and_then(Value::as_bool).unwrap_or(false);
    if is_flow {
        str_at(exec, "flowAlias")
    } else {
        None
    }
}

fn collect_levels(realm: &Value, alias: &str, seen: &mut std::collections::HashSet<String>, out: &mut Vec<String>) {
    // Each flow is read once, so flows that include each other (or themselves) end.
    if seen.len() > MAX_FLOW_STEPS || !seen.insert(alias.to_string()) {
        return;
    }
    let Some(flow) = find_flow(realm, alias) else { return };
    for e in executions(flow) {
        if str_at(e, "requirement") == Some("DISABLED") {
            continue;
        }
        if let Some(sub) = subflow_alias(e) {
            collect_levels(realm, sub, seen, out);
        } else if str_at(e, "authenticator") == Some("conditional-level-of-authentication") {
            if let Some(l) = exec_config(realm, e)
                .and_then(|c| c.get("loa-condition-level"))
                .map(show)
            {
                out.push(l);
            }
        }
    }
}

/// Whether every way through a flow includes a second factor.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Factor {
    /// Every way through it has a second factor.
    Yes(String),
    /// Only some users or conditions get one: which.
    Partly(String),
    /// There is a way without: which.
    No(String),
    /// fedcheck cannot tell: why.
    Unknown(String),
}

/// Authenticators that are a second factor.
const SECOND_FACTORS: [&str; 4] = [
    "auth-otp-form",
    "webauthn-authenticator",
    "webauthn-authenticator-passwordless",
    "auth-recovery-authn-code-form",
];
/// Authenticators that are one factor on their own.
const FIRST_FACTORS: [&str; 8] = [
    "auth-username-password-form",
    "auth-password-form",
    "auth-username-form",
    "auth-spnego",
    "auth-x509-client-username-form",
    "basic-auth",
    "direct-grant-validate-password",
    "direct-grant-validate-username",
];

fn conditional_otp(realm: &Value, exec: &Value) -> Factor {
    let config = exec_config(realm, exec);
    let get = |k: &str| config.and_then(|c| c.get(k)).map(show).filter(|v| !v.is_empty());
    let skips: Vec<String> = ["otpControlAttribute", "skipOtpRole", "noOtpRequiredForHeaderPattern"]
        .iter()
        .filter_map(|k| get(k).map(|v| format!("{k} = {v}")))
        .chain(
            get("defaultOtpOutcome")
                .filter(|v| v == "skip")
                .map(|v| format!("defaultOtpOutcome = {v}")),
        )
        .collect();
    if skips.is_empty() {
        Factor::Yes("Conditional OTP Form with no condition that skips OTP".into())
    } else {
        Factor::Partly(format!("Conditional OTP Form skips OTP when {}", skips.join(" or ")))
    }
}

/// State of one evaluation: the flows being evaluated (to stop at cycles) and the steps left.
struct Walk {
    stack: Vec<String>,
    budget: usize,
}

/// Evaluates the flow `alias` for a client asking for `requested`.
fn evaluate(realm: &Value, alias: &str, requested: Option<i64>) -> Option<Factor> {
    let mut walk = Walk {
        stack: Vec::new(),
        budget: MAX_FLOW_STEPS,
    };
    eval_flow(realm, alias, requested, &mut walk)
}

/// Evaluates one flow. `None`: contributes nothing (disabled, a session cookie, an unused redirector).
fn eval_flow(realm: &Value, alias: &str, requested: Option<i64>, walk: &mut Walk) -> Option<Factor> {
    if walk.stack.len() > MAX_FLOW_DEPTH {
        return Some(Factor::Unknown(format!(
            "sub-flows nested deeper than {MAX_FLOW_DEPTH}"
        )));
    }
    if walk.stack.iter().any(|a| a == alias) {
        return Some(Factor::Unknown(format!("the flow \"{alias}\" includes itself")));
    }
    walk.stack.push(alias.to_string());
    let result = eval_flow_steps(realm, alias, requested, walk);
    walk.stack.pop();
    result
}

fn eval_flow_steps(realm: &Value, alias: &str, requested: Option<i64>, walk: &mut Walk) -> Option<Factor> {
    let Some(flow) = find_flow(realm, alias) else {
        return Some(Factor::Unknown(format!("the flow \"{alias}\" is not in the export")));
    };
    let has_brokers = realm
        .get("identityProviders")
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty());
    let mut required = Vec::new();
    let mut alternatives = Vec::new();
    for e in executions(flow) {
        let req = str_at(e, "requirement").unwrap_or("DISABLED");
        if req == "DISABLED" {
            continue;
        }
        if walk.budget == 0 {
            return Some(Factor::Unknown(format!(
                "the flows are too large to evaluate (over {MAX_FLOW_STEPS} steps)"
            )));
        }
        walk.budget -= 1;
        let authenticator = str_at(e, "authenticator").unwrap_or("");
        let result = match subflow_alias(e) {
            // A condition: read by the conditional sub-flow that holds it.
            None if authenticator.starts_with("conditional-") => continue,
            Some(sub) => subflow_factor(realm, sub, req == "CONDITIONAL", requested, walk),
            None => authenticator_factor(realm, e, authenticator, has_brokers),
        };
        let Some(result) = result else { continue };
        match req {
            "REQUIRED" | "CONDITIONAL" => required.push(result),
            _ => alternatives.push(result),
        }
    }
    if !required.is_empty() {
        return required_factor(required);
    }
    weakest_alternative(alternatives)
}

/// A sub-flow step: its own evaluation; a conditional sub-flow counts only when its condition holds (a
/// level-of-authentication sub-flow when the requested level reaches its level).
fn subflow_factor(
    realm: &Value,
    sub: &str,
    conditional: bool,
    requested: Option<i64>,
    walk: &mut Walk,
) -> Option<Factor> {
    let inner = eval_flow(realm, sub, requested, walk);
    if !conditional {
        return inner;
    }
    match (loa_condition(realm, sub), requested) {
        // A level-of-authentication sub-flow runs when the requested level reaches its level.
        (Some(level), Some(r)) if level <= r => inner,
        (Some(_), Some(_)) => None,
        _ => match inner {
            Some(Factor::Yes(d)) | Some(Factor::Partly(d)) => Some(Factor::Partly(format!(
                "\"{sub}\" ({d}) runs only when {}",
                conditions(realm, sub)
            ))),
            _ => None,
        },
    }
}

/// An authenticator step: a second factor, a first factor alone, or something fedcheck cannot judge; `None` for a
/// step that adds no factor (a session cookie, a redirector with nowhere to go).
fn authenticator_factor(realm: &Value, e: &Value, authenticator: &str, has_brokers: bool) -> Option<Factor> {
    if SECOND_FACTORS.contains(&authenticator) {
        Some(Factor::Yes(authenticator.to_string()))
    } else if authenticator == "auth-conditional-otp-form" {
        Some(conditional_otp(realm, e))
    } else if FIRST_FACTORS.contains(&authenticator) {
        Some(Factor::No(format!("{authenticator} alone")))
    } else if authenticator == "auth-cookie" {
        None // re-uses a session this realm authenticated earlier
    } else if authenticator == "identity-provider-redirector" {
        let default = exec_config(realm, e).and_then(|c| c.get("defaultProvider")).map(show);
        (default.is_some() || has_brokers).then(|| {
            Factor::Unknown(format!(
                "identity-provider-redirector sends users to another identity provider{}; whether that sign-in has a \
second factor is decided there and by the first-broker-login and post-login flows",
                default.map(|d| format!(" ({d})")).unwrap_or_default()
            ))
        })
    } else {
        Some(Factor::Unknown(format!(
            "{} is not an authenticator fedcheck knows",
            if authenticator.is_empty() {
                "(unnamed step)"
            } else {
                authenticator
            }
        )))
    }
}

/// The factor of a flow's required steps: every required step runs (Keycloak ignores alternatives beside required
/// steps), so one second factor is enough.
fn required_factor(required: Vec<Factor>) -> Option<Factor> {
    if let Some(y) = required.iter().find(|r| matches!(r, Factor::Yes(_))) {
        return Some(y.clone());
    }
    if let Some(p) = required.iter().find(|r| matches!(r, Factor::Partly(_))) {
        let others: Vec<String> = required
            .iter()
            .filter_map(|r| match r {
                Factor::No(d) => Some(d.clone()),
                _ => None,
            })
            .collect();
        return Some(match p {
            Factor::Partly(d) if !others.is_empty() => {
                Factor::Partly(format!("{d}; otherwise {}", others.join(" and ")))
            }
            other => other.clone(),
        });
    }
    if let Some(u) = required.iter().find(|r| matches!(r, Factor::Unknown(_))) {
        return Some(u.clone());
    }
    required.into_iter().next()
}

/// The factor of a flow of alternatives only: the user takes the weakest.
fn weakest_alternative(alternatives: Vec<Factor>) -> Option<Factor> {
    for want in [
        |f: &Factor| matches!(f, Factor::No(_)),
        |f: &Factor| matches!(f, Factor::Partly(_)),
        |f: &Factor| matches!(f, Factor::Unknown(_)),
    ] {
        if let Some(f) = alternatives.iter().find(|f| want(f)) {
            return Some(f.clone());
        }
    }
    alternatives.into_iter().next()
}

/// The level of a conditional sub-flow whose only condition is "Condition - Level Of Authentication".
fn loa_condition(realm: &Value, alias: &str) -> Option<i64> {
    let flow = find_flow(realm, alias)?;
    let conds: Vec<&Value> = executions(flow)
        .into_iter()
        .filter(|e| str_at(e, "requirement") != Some("DISABLED"))
        .filter(|e| str_at(e, "authenticator").is_some_and(|a| a.starts_with("conditional-")))
        .collect();
    match conds.as_slice() {
        [only] if str_at(only, "authenticator") == Some("conditional-level-of-authentication") => {
            exec_config(realm, only)
                .and_then(|c| c.get("loa-condition-level"))
                .and_then(|l| show(l).parse().ok())
        }
        _ => None,
    }
}

/// The conditions of a conditional sub-flow, in words.
fn conditions(realm: &Value, alias: &str) -> String {
    let Some(flow) = find_flow(realm, alias) else {
        return "its conditions hold".into();
    };
    let words: Vec<String> = executions(flow)
        .into_iter()
        .filter(|e| str_at(e, "requirement") != Some("DISABLED"))
        .filter_map(|e| {
            let a = str_at(e, "authenticator")?;
            if !a.starts_with("conditional-") {
                return None;
            }
            let config = exec_config(realm, e);
            Some(match a {
                "conditional-user-configured" => {
                    "the user has already configured the credential it asks for (Condition - user configured)"
                        .to_string()
                }
                "conditional-user-role" => format!(
                    "the user has the role {} (Condition - user role)",
                    config.and_then(|c| c.get("condUserRole")).map(show).unwrap_or_default()
                ),
                "conditional-level-of-authentication" => format!(
                    "level {} of authentication is requested (Condition - Level Of Authentication)",
                    config
                        .and_then(|c| c.get("loa-condition-level"))
                        .map(show)
                        .unwrap_or_default()
                ),
                other => other.to_string(),
            })
        })
        .collect();
    if words.is_empty() {
        "its conditions hold (it has none, so Keycloak treats it as disabled)".into()
    } else {
        words.join(" and ")
    }
}

fn second_factor(realm: Option<&Value>, flow: Option<&FlowRef>) -> Finding {
    let (Some(realm), Some(flow)) = (realm, flow) else {
        return Finding::new(
            ids::KEYCLOAK_SECOND_FACTOR,
            Status::Warn,
            "a client export has no authentication flows: fedcheck cannot tell whether sign-ins need a second factor",
        )
        .fix("Lint the realm export instead (kc.sh export --realm <realm> --file realm.json)")
        .docs(&[docs::KC_FLOWS]);
    };
    let setting = "authenticationFlowBindingOverrides.browser / browserFlow";
    let Some(alias) = &flow.alias else {
        return Finding::new(
            ids::KEYCLOAK_SECOND_FACTOR,
            Status::Warn,
            format!("the client signs in with {}: fedcheck cannot evaluate it", flow.how),
        )
        .setting(setting)
        .docs(&[docs::KC_FLOWS]);
    };
    let totp_default = realm
        .get("requiredActions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|a| {
            str_at(a, "alias") == Some("CONFIGURE_TOTP")
                && a.get("enabled").and_then(Value::as_bool).unwrap_or(false)
                && a.get("defaultAction").and_then(Value::as_bool).unwrap_or(false)
        });
    let fix = "Make a second factor Required for every user in the flow this client signs in with: e.g. duplicate \
\"browser\", set the OTP (or WebAuthn) step to Required instead of inside the Conditional sub-flow, and bind it to the \
client (Advanced > Authentication flow overrides > Browser Flow)";
    let f = match evaluate(realm, alias, flow.requested) {
        Some(Factor::Yes(d)) => Finding::new(
            ids::KEYCLOAK_SECOND_FACTOR,
            Status::Pass,
            format!(
                "every way through {} requires a second factor ({d}); a user who has no such credential yet sets one up \
during that sign-in, as Keycloak documents",
                flow.how
            ),
        ),
        Some(Factor::Partly(d)) => Finding::new(
            ids::KEYCLOAK_SECOND_FACTOR,
            Status::Fail,
            format!(
                "{} asks for a second factor only for some users: {d}{}",
                flow.how,
                if totp_default {
                    ". Configure OTP is a default action, so new users set one up; existing users without one are not asked"
                } else {
                    ""
                }
            ),
        )
        .fix(fix),
        Some(Factor::No(d)) => Finding::new(
            ids::KEYCLOAK_SECOND_FACTOR,
            Status::Fail,
            format!("{} has a way through without a second factor: {d}", flow.how),
        )
        .fix(fix),
        Some(Factor::Unknown(d)) => Finding::new(
            ids::KEYCLOAK_SECOND_FACTOR,
            Status::Warn,
            format!("fedcheck cannot tell whether {} requires a second factor: {d}", flow.how),
        ),
        None => Finding::new(
            ids::KEYCLOAK_SECOND_FACTOR,
            Status::Fail,
            format!("{} has no step that authenticates the user by itself", flow.how),
        )
        .fix(fix),
    };
    f.setting(setting)
        .value(alias.clone())
        .docs(&[docs::KC_FLOWS, docs::KC_REQUIREMENTS])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn exec(auth: &str, req: &str, prio: i64) -> Value {
        json!({"authenticator": auth, "authenticatorFlow": false, "requirement": req, "priority": prio, "autheticatorFlow": false, "userSetupAllowed": false})
    }
    fn sub(alias: &str, req: &str, prio: i64) -> Value {
        json!({"authenticatorFlow": true, "requirement": req, "priority": prio, "autheticatorFlow": true, "flowAlias": alias, "userSetupAllowed": false})
    }

    fn realm(forms_second: Value) -> Value {
        json!({
            "realm": "corp",
            "browserFlow": "browser",
            "authenticationFlows": [
                {"id": "1", "alias": "browser", "providerId": "basic-flow", "topLevel": true, "builtIn": true,
                 "authenticationExecutions": [exec("auth-cookie", "ALTERNATIVE", 10), exec("auth-spnego", "DISABLED", 20),
                    exec("identity-provider-redirector", "ALTERNATIVE", 25), sub("forms", "ALTERNATIVE", 30)]},
                {"id": "2", "alias": "forms", "providerId": "basic-flow", "topLevel": false, "builtIn": true,
                 "authenticationExecutions": [exec("auth-username-password-form", "REQUIRED", 10), forms_second]},
                {"id": "3", "alias": "Browser - Conditional OTP", "providerId": "basic-flow", "topLevel": false, "builtIn": true,
                 "authenticationExecutions": [exec("conditional-user-configured", "REQUIRED", 10), exec("auth-otp-form", "REQUIRED", 20)]}
            ]
        })
    }

    #[test]
    fn default_browser_flow_is_conditional_otp() {
        let r = realm(sub("Browser - Conditional OTP", "CONDITIONAL", 20));
        let Some(Factor::Partly(d)) = evaluate(&r, "browser", None) else {
            panic!("{:?}", evaluate(&r, "browser", None))
        };
        assert!(d.contains("Condition - user configured"), "{d}");
        assert!(d.contains("auth-username-password-form alone"), "{d}");
    }

    #[test]
    fn required_otp_is_a_second_factor() {
        let r = realm(exec("auth-otp-form", "REQUIRED", 20));
        assert!(matches!(evaluate(&r, "browser", None), Some(Factor::Yes(_))));
        let r = realm(exec("auth-otp-form", "DISABLED", 20));
        assert!(matches!(evaluate(&r, "browser", None), Some(Factor::No(_))));
        let r = realm(exec("duo-universal", "REQUIRED", 20));
        assert!(matches!(evaluate(&r, "browser", None), Some(Factor::Unknown(_))));
    }

    #[test]
    fn shared_sub_flows_do_not_explode() {
        // Each level holds the next one eight times: 8^20 paths, evaluated within the step budget.
        let flows: Vec<Value> = (0..20)
            .map(|i| {
                let next = format!("f{}", i + 1);
                json!({"alias": format!("f{i}"), "authenticationExecutions": (0..8).map(|p| sub(&next, "REQUIRED", p)).collect::<Vec<_>>()})
            })
            .collect();
        let r = json!({"realm": "x", "authenticationFlows": flows});
        let start = std::time::Instant::now();
        assert!(matches!(evaluate(&r, "f0", None), Some(Factor::Unknown(_))));
        let mut levels = Vec::new();
        collect_levels(&r, "f0", &mut std::collections::HashSet::new(), &mut levels);
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn self_referencing_flows_end() {
        let r = json!({"realm": "x", "authenticationFlows": [
            {"alias": "loop", "authenticationExecutions": [sub("loop", "REQUIRED", 10)]}]});
        assert!(matches!(evaluate(&r, "loop", None), Some(Factor::Unknown(_))));
    }
}
