//! The Entra side of federation: the domain's federation settings, and what Entra will do with a given token.
//!
//! [`load_federation_config`] reads every export shape users have of a domain's federation settings: Microsoft
//! Graph REST (`GET /domains/{domain}/federationConfiguration`, camelCase, one object or `{"value":[...]}`), Graph
//! PowerShell (`Get-MgDomainFederationConfiguration | ConvertTo-Json`, PascalCase with `AdditionalProperties`),
//! Entra PowerShell (`Get-EntraDomainFederationSettings`, MSOnline's property names with Graph's values) and the
//! deprecated MSOnline (`Get-MsolDomainFederationSettings`, with `SupportsMfa`), and arrays of several domains.
//! Keys and enum values are matched without regard to case; the kind of export is decided by which properties
//! exist. An enum that `ConvertTo-Json` wrote as a number is mapped only where Microsoft documents the numbering
//! (the Graph `$metadata` enum members), otherwise it is reported as indeterminate with the raw value.
//!
//! [`select`] picks the configuration a token is judged against (its issuer, then its signing certificate);
//! [`checks`] cross-checks a token against it and [`predict`] turns the domain's MFA behaviour and the token's
//! facts into Entra's outcome, in words and with the AADSTS code users see.

pub mod chain;
pub mod discovery;
pub mod jwt;

use crate::rules::{check, Check, Status};
use crate::saml::Protocol;
use crate::trust::{parse_cert, CertInfo, TrustAnchor};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Days before expiry from which Entra looks for a new signing certificate in a WS-Fed IdP's metadata (the
/// certificate-renewal page; the Graph page says 30): certificate checks warn from here on.
pub const EXPIRY_WARN_DAYS: i64 = 35;

/// The most configurations read from one file.
const MAX_CONFIGS: usize = 1000;

/// Why a federation settings file could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FederationConfigError {
    /// Unreadable.
    #[error("{path}: cannot read: {error}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        error: std::io::Error,
    },
    /// Not JSON, or not a federation configuration.
    #[error("{path}: {detail}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        detail: String,
    },
}

/// The kind of export the settings came from, decided by which properties exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConfigFlavor {
    /// Microsoft Graph REST `internalDomainFederation` (camelCase; also `Invoke-MgGraphRequest` output).
    Graph,
    /// Microsoft Graph PowerShell `Get-MgDomainFederationConfiguration` (PascalCase, `AdditionalProperties`).
    GraphPowershell,
    /// Microsoft Entra PowerShell `Get-EntraDomainFederationSettings` (MSOnline's names, Graph's values, no
    /// `federatedIdpMfaBehavior`, no `SupportsMfa`).
    EntraPowershell,
    /// MSOnline `Get-MsolDomainFederationSettings` (`SupportsMfa`; deprecated).
    Msol,
}

impl ConfigFlavor {
    /// The producer, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            ConfigFlavor::Graph => "a Microsoft Graph federationConfiguration",
            ConfigFlavor::GraphPowershell => "a Graph PowerShell Get-MgDomainFederationConfiguration export",
            ConfigFlavor::EntraPowershell => "an Entra PowerShell Get-EntraDomainFederationSettings export",
            ConfigFlavor::Msol => "an MSOnline Get-MsolDomainFederationSettings export",
        }
    }

    /// The export's values come from Graph (its enum numbering is published in Graph's `$metadata`).
    fn graph_values(self) -> bool {
        !matches!(self, ConfigFlavor::Msol)
    }
}

/// An enumerated setting as read: a documented value, or why it could not be interpreted (never guessed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Setting<T> {
    /// A documented value.
    Known {
        /// The value.
        value: T,
        /// As written in the export.
        raw: String,
    },
    /// A value fedcheck cannot interpret.
    Indeterminate {
        /// As written in the export.
        raw: String,
        /// Why it cannot be interpreted.
        reason: String,
    },
}

impl<T: Copy> Setting<T> {
    /// The value, when known.
    pub fn known(&self) -> Option<T> {
        match self {
            Setting::Known { value, .. } => Some(*value),
            Setting::Indeterminate { .. } => None,
        }
    }

    /// As written in the export.
    pub fn raw(&self) -> &str {
        match self {
            Setting::Known { raw, .. } | Setting::Indeterminate { raw, .. } => raw,
        }
    }
}

/// `promptLoginBehavior`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PromptLogin {
    /// Graph `translateToFreshPasswordAuthentication`, MSOnline `TranslateToFreshPasswordAuth`.
    TranslateToFreshPassword,
    /// `nativeSupport`: prompt=login is passed to the IdP as is.
    NativeSupport,
    /// `disabled`: only wfresh=0 is sent.
    Disabled,
}

/// `signingCertificateUpdateStatus`: the result of Entra's last automatic certificate update from metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertificateUpdateStatus {
    /// `certificateUpdateResult` as written (`success`, `couldNotAccessRemoteHost`, ...), or a number.
    pub result: Option<String>,
    /// `lastRunDateTime` as written (RFC 3339, or Windows PowerShell's `/Date(ms)/`).
    pub last_run: Option<String>,
}

/// One domain's federation settings, as Entra holds them.
#[derive(Debug, Clone, Serialize)]
pub struct FederationConfig {
    /// 1-based position in the file.
    pub index: usize,
    /// The kind of export.
    pub flavor: ConfigFlavor,
    /// The federated domain, when the export names it (`@odata.context`, `domainName`).
    pub domain: Option<String>,
    /// `displayName` / `FederationBrandName`.
    pub display_name: Option<String>,
    /// `issuerUri`.
    pub issuer_uri: Option<String>,
    /// `preferredAuthenticationProtocol` (Graph `wsFed` / `saml`; MSOnline `WsFed` / `Samlp`).
    pub preferred_protocol: Option<Setting<Protocol>>,
    /// `promptLoginBehavior`.
    pub prompt_login_behavior: Option<Setting<PromptLogin>>,
    /// `federatedIdpMfaBehavior` (Graph and Graph PowerShell only).
    pub federated_idp_mfa_behavior: Option<Setting<MfaBehavior>>,
    /// Legacy `SupportsMfa` (MSOnline only; Graph never shows it).
    pub supports_mfa: Option<bool>,
    /// `isSignedAuthenticationRequestRequired`.
    pub signed_requests: Option<bool>,
    /// `passiveSignInUri` / `PassiveLogOnUri`.
    pub passive_sign_in_uri: Option<String>,
    /// `signingCertificateUpdateStatus`, when exported.
    pub certificate_update: Option<CertificateUpdateStatus>,
    /// Why `signingCertificateUpdateStatus` could not be read although present (e.g. only its type name).
    pub certificate_update_note: Option<String>,
    /// The signing certificate Entra trusts.
    #[serde(skip)]
    pub signing_certificate: Option<TrustAnchor>,
    /// The next signing certificate Entra trusts.
    #[serde(skip)]
    pub next_signing_certificate: Option<TrustAnchor>,
}

impl FederationConfig {
    /// How reports name this configuration: its domain, else its display name or issuer.
    pub fn label(&self) -> String {
        match (&self.domain, &self.display_name, &self.issuer_uri) {
            (Some(d), _, _) => d.clone(),
            (None, Some(n), _) => format!("configuration {} (\"{n}\")", self.index),
            (None, None, Some(i)) => format!("configuration {} (issuerUri {i})", self.index),
            (None, None, None) => format!("configuration {}", self.index),
        }
    }

    fn certificates(&self) -> impl Iterator<Item = (&'static str, &TrustAnchor)> {
        [
            ("signingCertificate", &self.signing_certificate),
            ("nextSigningCertificate", &self.next_signing_certificate),
        ]
        .into_iter()
        .filter_map(|(l, c)| c.as_ref().map(|c| (l, c)))
    }

    fn holds_der(&self, der: &[u8]) -> bool {
        self.certificates().any(|(_, c)| c.der == der)
    }

    fn holds_sha256(&self, sha256: &str) -> bool {
        self.certificates().any(|(_, c)| c.info.sha256_thumbprint == sha256)
    }
}

/// Every configuration in a `--federation-config` file.
#[derive(Debug, Clone, Serialize)]
pub struct FederationSettings {
    /// The file.
    pub source: String,
    /// One entry per domain configuration, in file order.
    pub configs: Vec<FederationConfig>,
}

impl FederationSettings {
    /// The configuration tokens are judged against when there is only one.
    pub fn single(&self) -> Option<&FederationConfig> {
        match self.configs.as_slice() {
            [one] => Some(one),
            _ => None,
        }
    }
}

/// Reads a federation settings export (any of the shapes in the module documentation).
pub fn load_federation_config(path: &str) -> Result<FederationSettings, FederationConfigError> {
    let bytes = std::fs::read(path).map_err(|error| FederationConfigError::Io {
        path: path.into(),
        error,
    })?;
    parse_federation_config(&bytes, path)
}

/// Decodes the text of an export: UTF-8 (BOM optional), or UTF-16 with a BOM as Windows PowerShell's `Out-File`
/// writes it.
fn decode_text(bytes: &[u8]) -> Result<String, String> {
    let utf16 = |data: &[u8], le: bool| -> Result<String, String> {
        if data.len() % 2 != 0 {
            return Err("UTF-16 text with an odd number of bytes".into());
        }
        let units: Vec<u16> = data
            .chunks_exact(2)
            .map(|c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            })
            .collect();
        String::from_utf16(&units).map_err(|_| "invalid UTF-16".to_string())
    };
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        utf16(rest, true)
    } else if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        utf16(rest, false)
    } else {
        let t = std::str::from_utf8(bytes).map_err(|_| "not UTF-8 or UTF-16 (with BOM) text".to_string())?;
        Ok(t.strip_prefix('\u{feff}').unwrap_or(t).to_string())
    }
}

/// An object's keys, matched without regard to case.
struct Keys<'a> {
    map: HashMap<String, &'a Value>,
}

impl<'a> Keys<'a> {
    fn new(obj: &'a Map<String, Value>) -> Result<Self, String> {
        let mut map: HashMap<String, &'a Value> = HashMap::new();
        for (k, v) in obj {
            let lower = k.to_ascii_lowercase();
            if let Some(prev) = map.get(&lower) {
                if *prev != v {
                    return Err(format!(
                        "the property {k} appears twice with different values (keys differing only in case)"
                    ));
                }
            }
            map.insert(lower, v);
        }
        Ok(Keys { map })
    }

    fn has(&self, key: &str) -> bool {
        self.map.contains_key(&key.to_ascii_lowercase())
    }

    /// The first of `keys` present and not null.
    fn get(&self, keys: &[&str]) -> Option<&'a Value> {
        keys.iter()
            .find_map(|k| self.map.get(&k.to_ascii_lowercase()).copied().filter(|v| !v.is_null()))
    }

    /// A non-empty string value.
    fn text(&self, keys: &[&str]) -> Option<String> {
        match self.get(keys)? {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            _ => None,
        }
    }

    fn boolean(&self, keys: &[&str]) -> Option<bool> {
        match self.get(keys)? {
            Value::Bool(b) => Some(*b),
            Value::String(s) if s.trim().eq_ignore_ascii_case("true") => Some(true),
            Value::String(s) if s.trim().eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }
}

/// The domain in an OData context URL: `...$metadata#domains('contoso.com')/federationConfiguration...`.
fn context_domain(ctx: &str) -> Option<String> {
    let start = ctx.find("domains('")? + "domains('".len();
    let end = ctx[start..].find('\'')?;
    let d = ctx[start..start + end].trim();
    (!d.is_empty()).then(|| d.to_string())
}

/// Parses an enumerated value: names (case-insensitive), or a number mapped with `numbering` (Graph's published
/// `$metadata` values) when the export's values come from Graph; anything else is indeterminate, never guessed.
fn enum_setting<T: Copy>(
    v: Option<&Value>,
    property: &str,
    names: &[(&str, T)],
    numbering: &[(i64, T)],
    flavor: ConfigFlavor,
) -> Option<Setting<T>> {
    let documented = || names.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
    match v? {
        Value::String(s) if s.trim().is_empty() => None,
        Value::String(s) => {
            let s = s.trim();
            Some(match names.iter().find(|(n, _)| n.eq_ignore_ascii_case(s)) {
                Some((_, value)) => Setting::Known {
                    value: *value,
                    raw: s.to_string(),
                },
                None if s.eq_ignore_ascii_case("unknownFutureValue") => Setting::Indeterminate {
                    raw: s.to_string(),
                    reason: "unknownFutureValue: Graph's marker for a value newer than this API version".into(),
                },
                None => Setting::Indeterminate {
                    raw: s.to_string(),
                    reason: format!("not one of the documented values ({})", documented()),
                },
            })
        }
        Value::Number(n) => {
            let raw = n.to_string();
            let mapped = n
                .as_i64()
                .and_then(|i| numbering.iter().find(|(k, _)| *k == i))
                .map(|(_, v)| *v);
            Some(match (flavor.graph_values(), mapped) {
                (true, Some(value)) => Setting::Known { value, raw },
                (true, None) => Setting::Indeterminate {
                    reason: format!(
                        "ConvertTo-Json wrote {property} as the number {raw}, which is not one of the values Graph's $metadata documents for it"
                    ),
                    raw,
                },
                (false, _) => Setting::Indeterminate {
                    reason: format!(
                        "ConvertTo-Json wrote {property} as the number {raw}, and Microsoft documents no numbering for MSOnline's enumeration: read the domain with Graph instead (Get-MgDomainFederationConfiguration | ConvertTo-Json, or fedcheck fetch-config)"
                    ),
                    raw,
                },
            })
        }
        other => Some(Setting::Indeterminate {
            raw: other.to_string(),
            reason: format!("{property} is not a string"),
        }),
    }
}

const PROTOCOL_NAMES: &[(&str, Protocol)] = &[
    ("wsFed", Protocol::WsfedSaml11),
    ("saml", Protocol::Saml2),
    ("samlp", Protocol::Saml2),
];
/// Graph `$metadata`: `authenticationProtocol` wsFed = 0, saml = 1.
const PROTOCOL_NUMBERS: &[(i64, Protocol)] = &[(0, Protocol::WsfedSaml11), (1, Protocol::Saml2)];
const PROMPT_NAMES: &[(&str, PromptLogin)] = &[
    (
        "translateToFreshPasswordAuthentication",
        PromptLogin::TranslateToFreshPassword,
    ),
    ("translateToFreshPasswordAuth", PromptLogin::TranslateToFreshPassword),
    ("nativeSupport", PromptLogin::NativeSupport),
    ("disabled", PromptLogin::Disabled),
];
/// Graph `$metadata`: `promptLoginBehavior` translateToFreshPasswordAuthentication = 0, nativeSupport = 1,
/// disabled = 2.
const PROMPT_NUMBERS: &[(i64, PromptLogin)] = &[
    (0, PromptLogin::TranslateToFreshPassword),
    (1, PromptLogin::NativeSupport),
    (2, PromptLogin::Disabled),
];
const BEHAVIOR_NAMES: &[(&str, MfaBehavior)] = &[
    (
        "acceptIfMfaDoneByFederatedIdp",
        MfaBehavior::AcceptIfMfaDoneByFederatedIdp,
    ),
    ("enforceMfaByFederatedIdp", MfaBehavior::EnforceMfaByFederatedIdp),
    ("rejectMfaByFederatedIdp", MfaBehavior::RejectMfaByFederatedIdp),
];
/// Graph `$metadata`: `federatedIdpMfaBehavior` acceptIfMfaDoneByFederatedIdp = 0, enforceMfaByFederatedIdp = 1,
/// rejectMfaByFederatedIdp = 2.
const BEHAVIOR_NUMBERS: &[(i64, MfaBehavior)] = &[
    (0, MfaBehavior::AcceptIfMfaDoneByFederatedIdp),
    (1, MfaBehavior::EnforceMfaByFederatedIdp),
    (2, MfaBehavior::RejectMfaByFederatedIdp),
];

/// Collects the configuration objects of a parsed export, each with the domain its collection names.
fn collect<'a>(
    v: &'a Value,
    domain: Option<String>,
    nested: bool,
    out: &mut Vec<(&'a Map<String, Value>, Option<String>)>,
) -> Result<(), String> {
    match v {
        Value::Array(items) if !nested => {
            if items.is_empty() {
                return Err("empty array: no federation configuration".into());
            }
            for item in items {
                collect(item, domain.clone(), true, out)?;
            }
            Ok(())
        }
        Value::Object(obj) => {
            let keys = Keys::new(obj)?;
            match keys.get(&["value"]) {
                Some(Value::Array(items)) => {
                    let domain = keys
                        .text(&["@odata.context"])
                        .and_then(|c| context_domain(&c))
                        .or(domain);
                    for item in items {
                        match item {
                            Value::Object(o) => out.push((o, domain.clone())),
                            _ => return Err("an entry of \"value\" is not an object".into()),
                        }
                    }
                    Ok(())
                }
                Some(Value::Object(o)) => {
                    let domain = keys
                        .text(&["@odata.context"])
                        .and_then(|c| context_domain(&c))
                        .or(domain);
                    out.push((o, domain));
                    Ok(())
                }
                _ => {
                    out.push((obj, domain));
                    Ok(())
                }
            }
        }
        Value::Array(_) => Err("an array inside an array: not a federation settings export".into()),
        _ => Err("not a JSON object or array".into()),
    }
}

fn flavor_of(keys: &Keys) -> Option<ConfigFlavor> {
    if keys.has("SupportsMfa") {
        // MSOnline's alone (Get-MsolDomainFederationSettings, and Partner Center's DomainFederationSettings).
        Some(ConfigFlavor::Msol)
    } else if ["PassiveLogOnUri", "ActiveLogOnUri", "LogOffUri", "FederationBrandName"]
        .iter()
        .any(|k| keys.has(k))
    {
        // MSOnline's property names without SupportsMfa: Entra PowerShell's compatibility object.
        Some(ConfigFlavor::EntraPowershell)
    } else if keys.has("AdditionalProperties") {
        Some(ConfigFlavor::GraphPowershell)
    } else if [
        "issuerUri",
        "federatedIdpMfaBehavior",
        "passiveSignInUri",
        "preferredAuthenticationProtocol",
        "signingCertificate",
    ]
    .iter()
    .any(|k| keys.has(k))
    {
        Some(ConfigFlavor::Graph)
    } else {
        None
    }
}

/// Reads a JSON date: RFC 3339, or Windows PowerShell's `/Date(milliseconds)/`.
pub fn json_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Some(inner) = s.strip_prefix("/Date(").and_then(|r| r.strip_suffix(")/")) {
        let digits: String = inner
            .chars()
            .enumerate()
            .take_while(|(i, c)| c.is_ascii_digit() || (*i == 0 && *c == '-'))
            .map(|(_, c)| c)
            .collect();
        let ms: i64 = digits.parse().ok()?;
        return DateTime::from_timestamp_millis(ms);
    }
    DateTime::parse_from_rfc3339(s).ok().map(|d| d.with_timezone(&Utc))
}

fn update_status(keys: &Keys) -> (Option<CertificateUpdateStatus>, Option<String>) {
    match keys.get(&["signingCertificateUpdateStatus"]) {
        None => (None, None),
        Some(Value::Object(o)) => {
            let Ok(k) = Keys::new(o) else {
                return (None, Some("signingCertificateUpdateStatus has conflicting keys".into()));
            };
            let result = match k.get(&["certificateUpdateResult"]) {
                Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
                Some(Value::Number(n)) => Some(n.to_string()),
                _ => None,
            };
            let last_run = k.text(&["lastRunDateTime"]);
            if result.is_none() && last_run.is_none() {
                (None, None)
            } else {
                (Some(CertificateUpdateStatus { result, last_run }), None)
            }
        }
        Some(Value::String(s)) => (
            None,
            Some(format!(
                "the export holds only \"{s}\" for signingCertificateUpdateStatus (ConvertTo-Json or Format-List stopped at its depth): re-export with ConvertTo-Json -Depth 5"
            )),
        ),
        Some(other) => (None, Some(format!("signingCertificateUpdateStatus is {other}, not an object"))),
    }
}

/// Parses a federation settings export.
pub fn parse_federation_config(bytes: &[u8], path: &str) -> Result<FederationSettings, FederationConfigError> {
    let invalid = |detail: String| FederationConfigError::Invalid {
        path: path.into(),
        detail,
    };
    if bytes.len() > 1024 * 1024 {
        return Err(invalid("larger than 1 MiB; not a federation settings export".into()));
    }
    let text = decode_text(bytes).map_err(invalid)?;
    let json: Value = serde_json::from_str(&text).map_err(|e| {
        invalid(format!(
            "not JSON ({e}); give the output of Graph GET /domains/{{domain}}/federationConfiguration, Get-MgDomainFederationConfiguration | ConvertTo-Json, or Get-MsolDomainFederationSettings | ConvertTo-Json"
        ))
    })?;
    let mut objects = Vec::new();
    collect(&json, None, false, &mut objects).map_err(invalid)?;
    if objects.is_empty() {
        return Err(invalid("the collection is empty: the domain is not federated".into()));
    }
    if objects.len() > MAX_CONFIGS {
        return Err(invalid(format!("more than {MAX_CONFIGS} configurations")));
    }
    let mut configs = Vec::new();
    for (i, (obj, collection_domain)) in objects.into_iter().enumerate() {
        let index = i + 1;
        let at = |detail: String| invalid(format!("configuration {index}: {detail}"));
        let keys = Keys::new(obj).map_err(at)?;
        let flavor = flavor_of(&keys).ok_or_else(|| {
            at("neither a Graph federationConfiguration (issuerUri, federatedIdpMfaBehavior, ...) nor an MSOnline or Entra PowerShell export (IssuerUri, SupportsMfa, PassiveLogOnUri, ...)".into())
        })?;
        let own_context = keys
            .text(&["@odata.context"])
            .and_then(|c| context_domain(&c))
            .or_else(|| match keys.get(&["AdditionalProperties"]) {
                Some(Value::Object(ap)) => Keys::new(ap)
                    .ok()
                    .and_then(|k| k.text(&["@odata.context"]))
                    .and_then(|c| context_domain(&c)),
                _ => None,
            });
        let domain = keys
            .text(&["domainName", "federatedDomain"])
            .or(own_context)
            .or(collection_domain);
        let cert = |names: &[&str], label: &str| -> Result<Option<TrustAnchor>, FederationConfigError> {
            match keys.text(names) {
                Some(b64) => parse_cert(b64.as_bytes(), &format!("{path} ({label}, configuration {index})"))
                    .map(Some)
                    .map_err(|e| at(format!("{label}: {e}"))),
                None => Ok(None),
            }
        };
        let (certificate_update, certificate_update_note) = update_status(&keys);
        configs.push(FederationConfig {
            index,
            flavor,
            domain,
            display_name: keys.text(&["displayName", "FederationBrandName"]),
            issuer_uri: keys.text(&["issuerUri"]),
            preferred_protocol: enum_setting(
                keys.get(&["preferredAuthenticationProtocol"]),
                "PreferredAuthenticationProtocol",
                PROTOCOL_NAMES,
                PROTOCOL_NUMBERS,
                flavor,
            ),
            prompt_login_behavior: enum_setting(
                keys.get(&["promptLoginBehavior"]),
                "PromptLoginBehavior",
                PROMPT_NAMES,
                PROMPT_NUMBERS,
                flavor,
            ),
            federated_idp_mfa_behavior: enum_setting(
                keys.get(&["federatedIdpMfaBehavior"]),
                "FederatedIdpMfaBehavior",
                BEHAVIOR_NAMES,
                BEHAVIOR_NUMBERS,
                flavor,
            ),
            supports_mfa: keys.boolean(&["SupportsMfa"]),
            signed_requests: keys.boolean(&["isSignedAuthenticationRequestRequired"]),
            passive_sign_in_uri: keys.text(&["passiveSignInUri", "PassiveLogOnUri"]),
            certificate_update,
            certificate_update_note,
            signing_certificate: cert(&["signingCertificate"], "signingCertificate")?,
            next_signing_certificate: cert(&["nextSigningCertificate"], "nextSigningCertificate")?,
        });
    }
    Ok(FederationSettings {
        source: path.into(),
        configs,
    })
}

/// Adds every configuration's signing certificates to the trust anchors: they are what Entra itself trusts.
pub fn add_config_anchors(set: &FederationSettings, anchors: &mut Vec<TrustAnchor>) {
    for cfg in &set.configs {
        for (_, c) in cfg.certificates() {
            if !anchors.iter().any(|a| a.der == c.der) {
                anchors.push(c.clone());
            }
        }
    }
}

/// The configuration a token is judged against, and why.
#[derive(Debug, Clone)]
pub struct Selection<'a> {
    /// The configuration.
    pub config: &'a FederationConfig,
    /// Some configuration's issuerUri equals the token's issuer.
    pub issuer_matched: bool,
    /// Why this one, in words.
    pub why: String,
}

/// Picks the configuration for a token: the one whose `issuerUri` equals the token's issuer (among several, the
/// one whose certificate signed it); with no issuer match, the one whose certificate signed it; else the first.
pub fn select<'a>(
    set: &'a FederationSettings,
    issuer: Option<&str>,
    signer_der: Option<&[u8]>,
    keyinfo_sha256: Option<&str>,
) -> Selection<'a> {
    let signed_by = |c: &FederationConfig| {
        signer_der.is_some_and(|d| c.holds_der(d)) || keyinfo_sha256.is_some_and(|s| c.holds_sha256(s))
    };
    let first = &set.configs[0];
    if let [only] = set.configs.as_slice() {
        return Selection {
            config: only,
            issuer_matched: issuer.is_some() && only.issuer_uri.as_deref() == issuer,
            why: "the only configuration in the settings".into(),
        };
    }
    let by_issuer: Vec<&FederationConfig> = set
        .configs
        .iter()
        .filter(|c| issuer.is_some() && c.issuer_uri.as_deref() == issuer)
        .collect();
    match by_issuer.as_slice() {
        [one] => Selection {
            config: one,
            issuer_matched: true,
            why: "its issuerUri equals the token's issuer".into(),
        },
        several if !several.is_empty() => {
            let pick = several.iter().find(|c| signed_by(c)).copied();
            Selection {
                config: pick.unwrap_or(several[0]),
                issuer_matched: true,
                why: format!(
                    "{} configurations have the token's issuer as issuerUri; {}",
                    several.len(),
                    if pick.is_some() {
                        "this one holds the certificate that signed the token"
                    } else {
                        "none holds the signing certificate, so the first was used"
                    }
                ),
            }
        }
        _ => match set.configs.iter().find(|c| signed_by(c)) {
            Some(c) => Selection {
                config: c,
                issuer_matched: false,
                why: "no configuration's issuerUri equals the token's issuer; this one holds the certificate that signed the token".into(),
            },
            None => Selection {
                config: first,
                issuer_matched: false,
                why: "no configuration's issuerUri equals the token's issuer and none holds its signing certificate; the first was used for the other checks".into(),
            },
        },
    }
}

/// The MFA behaviour that applies to the domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum MfaBehavior {
    /// Entra takes the IdP's claim; without it, Entra does MFA itself.
    AcceptIfMfaDoneByFederatedIdp,
    /// Entra takes the IdP's claim; without it, Entra sends the user back to the IdP to do MFA.
    EnforceMfaByFederatedIdp,
    /// Entra ignores the IdP's claim and always does MFA itself.
    RejectMfaByFederatedIdp,
    /// The export does not tell (unset in Graph, not exported, or a value that cannot be interpreted).
    Indeterminate,
}

impl MfaBehavior {
    /// The Graph spelling (`acceptIfMfaDoneByFederatedIdp`, ...; `indeterminate`).
    pub fn as_str(self) -> &'static str {
        match self {
            MfaBehavior::AcceptIfMfaDoneByFederatedIdp => "acceptIfMfaDoneByFederatedIdp",
            MfaBehavior::EnforceMfaByFederatedIdp => "enforceMfaByFederatedIdp",
            MfaBehavior::RejectMfaByFederatedIdp => "rejectMfaByFederatedIdp",
            MfaBehavior::Indeterminate => "indeterminate",
        }
    }
}

/// What the effective behaviour rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Basis {
    /// `federatedIdpMfaBehavior` is set to a documented value.
    Setting,
    /// `federatedIdpMfaBehavior` holds a value that cannot be interpreted.
    UnknownValue,
    /// A Graph export with `federatedIdpMfaBehavior` unset: the legacy `SupportsMfa` (not shown) decides.
    GraphUnset,
    /// An MSOnline export: `SupportsMfa` is shown, `federatedIdpMfaBehavior` (which overrides it) is not.
    Legacy,
    /// An Entra PowerShell export: neither `federatedIdpMfaBehavior` nor `SupportsMfa` is exported.
    NotExported,
}

/// The behaviour and why it applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EffectiveBehavior {
    /// The behaviour.
    pub behavior: MfaBehavior,
    /// What it rests on.
    pub basis: Basis,
    /// Why: which setting decided it.
    pub source: String,
}

impl FederationConfig {
    /// Computes the effective MFA behaviour per Microsoft's rules: `federatedIdpMfaBehavior` when set (it then
    /// overrides the legacy `SupportsMfa`); else `SupportsMfa` (true behaves as enforce, false or unset as accept).
    /// Graph exports cannot show `SupportsMfa`, MSOnline exports cannot show `federatedIdpMfaBehavior`, Entra
    /// PowerShell exports show neither: each says so instead of guessing.
    pub fn effective_behavior(&self) -> EffectiveBehavior {
        let b = |behavior, basis, source: String| EffectiveBehavior {
            behavior,
            basis,
            source,
        };
        match &self.federated_idp_mfa_behavior {
            Some(Setting::Known { value, .. }) => b(*value, Basis::Setting, "federatedIdpMfaBehavior".into()),
            Some(Setting::Indeterminate { raw, reason }) => b(
                MfaBehavior::Indeterminate,
                Basis::UnknownValue,
                format!("federatedIdpMfaBehavior is {raw:?}: {reason}"),
            ),
            None => match self.flavor {
                ConfigFlavor::Msol => {
                    let hidden = "unless federatedIdpMfaBehavior was set, which overrides it and which MSOnline does not show";
                    match self.supports_mfa {
                        Some(true) => b(
                            MfaBehavior::EnforceMfaByFederatedIdp,
                            Basis::Legacy,
                            format!("legacy SupportsMfa = true, which behaves like enforceMfaByFederatedIdp {hidden}"),
                        ),
                        Some(false) => b(
                            MfaBehavior::AcceptIfMfaDoneByFederatedIdp,
                            Basis::Legacy,
                            format!("legacy SupportsMfa = false, which behaves like acceptIfMfaDoneByFederatedIdp {hidden}"),
                        ),
                        None => b(
                            MfaBehavior::AcceptIfMfaDoneByFederatedIdp,
                            Basis::Legacy,
                            format!("SupportsMfa is not set: Entra's default, acceptIfMfaDoneByFederatedIdp, {hidden}"),
                        ),
                    }
                }
                ConfigFlavor::EntraPowershell => b(
                    MfaBehavior::Indeterminate,
                    Basis::NotExported,
                    "Get-EntraDomainFederationSettings exports neither federatedIdpMfaBehavior nor the legacy SupportsMfa; read them with Get-MgDomainFederationConfiguration".into(),
                ),
                ConfigFlavor::Graph | ConfigFlavor::GraphPowershell => b(
                    MfaBehavior::Indeterminate,
                    Basis::GraphUnset,
                    "federatedIdpMfaBehavior is unset and Graph does not show the legacy SupportsMfa: if SupportsMfa was ever set to true Entra enforces MFA at the IdP, otherwise it accepts the IdP's MFA".into(),
                ),
            },
        }
    }
}

/// What Entra does with the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The IdP's MFA claim is honoured: no second prompt, Entra's token carries `amr: mfa`.
    Honoured,
    /// When something requires MFA, Entra prompts its own MFA (the IdP's MFA, if any, does not count).
    EntraMfa,
    /// When something requires MFA, Entra sends the user back to the IdP to do MFA; without the claim, a loop.
    RedirectToIdp,
    /// Entra rejects the token.
    Rejected,
    /// Depends on a setting fedcheck cannot see.
    Indeterminate,
}

/// Entra's predicted outcome for one token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Prediction {
    /// The outcome.
    pub outcome: Outcome,
    /// The behaviour that applied.
    pub behavior: MfaBehavior,
    /// Why that behaviour applies.
    pub behavior_source: String,
    /// The signed MFA claim is present where Entra reads it for this protocol.
    pub claim_present: bool,
    /// The protocol.
    pub protocol: Protocol,
    /// In words.
    pub description: String,
    /// The AADSTS error users will see, if any.
    pub aadsts: Option<String>,
    /// The domain whose settings were used, when the export names it.
    pub domain: Option<String>,
    /// The configuration used, as reports name it (the domain, else its position and issuer).
    pub configuration: String,
    /// The kind of export the settings came from.
    pub settings_kind: ConfigFlavor,
}

/// Facts about the token that decide a rejection before MFA is considered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Blockers {
    /// The signature does not verify (AADSTS50006).
    pub bad_signature: bool,
    /// The signature verifies, but with a key that is not the domain's (AADSTS50008 / AADSTS5000811).
    pub unknown_key: bool,
    /// The issuer is not the domain's issuerUri.
    pub issuer_mismatch: bool,
    /// The signing certificate has expired.
    pub cert_expired: bool,
    /// The token's protocol is not the domain's preferred protocol.
    pub protocol_mismatch: bool,
}

/// What the outcome depends on: Entra acts on MFA only when something requires it for the sign-in.
const WHEN_REQUIRED: &str = "When Conditional Access, per-user MFA or security defaults require MFA for the sign-in";
/// And what happens otherwise.
const OTHERWISE: &str = "when nothing requires MFA, Entra issues its token without mfa in amr and Partner Center refuses it (401 MFA required)";

fn back_to_idp(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::WsfedSaml11 => {
            "Entra sends the user back to the IdP with wauth=http://schemas.microsoft.com/claims/multipleauthn"
        }
        Protocol::Saml2 => {
            "Entra sends the user back to the IdP with a new AuthnRequest (Microsoft does not document how a SAML-P request asks for MFA)"
        }
    }
}

/// Predicts Entra's outcome for a token.
pub fn predict(
    behavior: &EffectiveBehavior,
    claim_present: bool,
    protocol: Protocol,
    blockers: &Blockers,
) -> Prediction {
    let p = |outcome, description: String, aadsts: Option<&str>| Prediction {
        outcome,
        behavior: behavior.behavior,
        behavior_source: behavior.source.clone(),
        claim_present,
        protocol,
        description,
        aadsts: aadsts.map(str::to_string),
        domain: None,
        configuration: String::new(),
        settings_kind: ConfigFlavor::Graph,
    };
    if blockers.bad_signature {
        return p(
            Outcome::Rejected,
            "Entra rejects the token: its signature does not verify".into(),
            Some("AADSTS50006"),
        );
    }
    if blockers.unknown_key {
        return p(
            Outcome::Rejected,
            "Entra rejects the token: it is signed with a key that is neither the domain's signingCertificate nor its nextSigningCertificate (\"the signing key identifier does not match any valid registered keys\")".into(),
            Some("AADSTS50008 / AADSTS5000811"),
        );
    }
    if blockers.cert_expired {
        return p(
            Outcome::Rejected,
            "Entra rejects the token: the signing certificate has expired".into(),
            Some("AADSTS50008"),
        );
    }
    if blockers.issuer_mismatch {
        return p(
            Outcome::Rejected,
            "Entra rejects the token: its issuer is not the domain's issuerUri".into(),
            Some("AADSTS50107"),
        );
    }
    if blockers.protocol_mismatch {
        return p(
            Outcome::Rejected,
            "Entra rejects the token: the domain is configured for the other federation protocol".into(),
            None,
        );
    }
    let honoured = "Entra honours the IdP's MFA claim: no second prompt, and Entra's own token carries amr = mfa";
    let own_mfa = format!(
        "{WHEN_REQUIRED}, Entra does not see MFA from the IdP and prompts its own MFA (users not registered for Entra MFA are asked to register); {OTHERWISE}"
    );
    let redirect = format!(
        "{WHEN_REQUIRED}, {}; if the IdP answers again without the claim, the user loops between Entra and the IdP; {OTHERWISE}",
        back_to_idp(protocol)
    );
    match (behavior.basis, behavior.behavior, claim_present) {
        (Basis::UnknownValue, _, _) => p(
            Outcome::Indeterminate,
            "fedcheck cannot tell what Entra does: federatedIdpMfaBehavior holds a value it cannot interpret".into(),
            None,
        ),
        (Basis::NotExported, _, true) | (Basis::Legacy, _, true) => p(
            Outcome::Indeterminate,
            "Entra honours the IdP's MFA claim unless federatedIdpMfaBehavior is rejectMfaByFederatedIdp, which this export cannot show".into(),
            None,
        ),
        (Basis::NotExported, _, false) => p(
            Outcome::Indeterminate,
            format!(
                "depends on federatedIdpMfaBehavior, which this export does not show: {WHEN_REQUIRED}, Entra prompts its own MFA (accept, reject) or {} (enforce); {OTHERWISE}",
                back_to_idp(protocol).trim_start_matches("Entra ")
            ),
            None,
        ),
        (_, MfaBehavior::AcceptIfMfaDoneByFederatedIdp | MfaBehavior::EnforceMfaByFederatedIdp, true) => {
            p(Outcome::Honoured, honoured.into(), None)
        }
        (_, MfaBehavior::AcceptIfMfaDoneByFederatedIdp, false) => {
            p(Outcome::EntraMfa, own_mfa, Some("AADSTS50076 / AADSTS50079"))
        }
        (_, MfaBehavior::EnforceMfaByFederatedIdp, false) => {
            p(Outcome::RedirectToIdp, redirect, Some("AADSTS50079 (after the loop)"))
        }
        (_, MfaBehavior::RejectMfaByFederatedIdp, true) => p(
            Outcome::EntraMfa,
            format!(
                "Entra ignores the IdP's MFA claim (rejectMfaByFederatedIdp). {WHEN_REQUIRED}, Entra prompts its own MFA and users do MFA twice; {OTHERWISE}"
            ),
            Some("AADSTS50076"),
        ),
        (_, MfaBehavior::RejectMfaByFederatedIdp, false) => p(
            Outcome::EntraMfa,
            format!(
                "Entra does its own MFA for this domain (rejectMfaByFederatedIdp). {WHEN_REQUIRED}, Entra prompts its own MFA; {OTHERWISE}"
            ),
            Some("AADSTS50076"),
        ),
        (_, MfaBehavior::Indeterminate, true) => p(
            Outcome::Honoured,
            "Entra honours the claim under either legacy setting (SupportsMfa true or unset); set federatedIdpMfaBehavior to make it explicit".into(),
            None,
        ),
        (_, MfaBehavior::Indeterminate, false) => p(
            Outcome::Indeterminate,
            format!(
                "depends on the legacy SupportsMfa, which Graph does not show. {WHEN_REQUIRED}: if SupportsMfa is true, {} (a loop if the IdP never adds the claim); otherwise Entra prompts its own MFA; {OTHERWISE}",
                back_to_idp(protocol)
            ),
            None,
        ),
    }
}

/// What the cross-checks need to know about a token.
#[derive(Debug, Clone)]
pub struct TokenFacts<'a> {
    /// The token's protocol.
    pub protocol: Protocol,
    /// The signed issuer, when claims verified.
    pub issuer: Option<&'a str>,
    /// The anchor that verified the claims.
    pub signing_anchor: Option<&'a TrustAnchor>,
    /// The claims verified.
    pub signed: bool,
    /// The signature is intact but was made with a key that is not trusted (its KeyInfo certificate verifies it).
    pub untrusted_key: bool,
    /// The signed MFA claim is present.
    pub mfa: bool,
    /// Evaluation time.
    pub at: DateTime<Utc>,
    /// The certificate the token's `KeyInfo` names (trusted or not), for explaining a failed signature.
    pub keyinfo_cert: Option<&'a CertInfo>,
    /// The `issuer` check already compared the issuer with the configured issuerUri values (no second check).
    pub issuer_checked: bool,
}

fn proto_name(p: Protocol) -> &'static str {
    match p {
        Protocol::WsfedSaml11 => "WS-Federation",
        Protocol::Saml2 => "SAML-P",
    }
}

/// The fix for a certificate close to expiry, for the domain's protocol.
pub fn rollover_fix(protocol: Option<Protocol>) -> String {
    let wsfed = "for a WS-Fed domain with automatic certificate update, Entra fetches the new certificate from the IdP's federation metadata from 35 days before expiry (see signingCertificateUpdateStatus): publish the next certificate in the metadata now";
    let saml = "for a SAML-P domain Entra does not read the IdP's metadata: set the new certificate by hand (Update-MgDomainFederationConfiguration -NextSigningCertificate, then -SigningCertificate) before the old one expires";
    match protocol {
        Some(Protocol::WsfedSaml11) => format!("{wsfed}; without automatic update, set it by hand (Update-MgDomainFederationConfiguration -NextSigningCertificate)"),
        Some(Protocol::Saml2) => saml.to_string(),
        None => format!("{wsfed}; {saml}"),
    }
}

const KEY_MISMATCH: &str = "\"the signing key identifier does not match any valid registered keys\": Entra rejects the token (AADSTS50008 / AADSTS5000811)";
const KEY_FIX: &str = "update the domain's signingCertificate / nextSigningCertificate to the IdP's current token-signing certificate (Update-MgDomainFederationConfiguration), or fix the automatic update from metadata (WS-Fed)";

/// The check naming the configuration used, and why (several domains) or which export it is.
pub fn selection_check(set: &FederationSettings, sel: &Selection) -> Check {
    let cfg = sel.config;
    let mut msg = format!(
        "judged against the settings of {} ({})",
        cfg.label(),
        cfg.flavor.describe()
    );
    if set.configs.len() > 1 {
        msg.push_str(&format!(
            ", one of {} configurations in {}: {}",
            set.configs.len(),
            set.source,
            sel.why
        ));
    }
    check("entra.domain", Status::Info, msg, None)
}

/// Cross-checks a token against one domain's settings, and predicts Entra's outcome.
pub fn checks(set: &FederationSettings, sel: &Selection, t: &TokenFacts) -> (Vec<Check>, Prediction) {
    let cfg = sel.config;
    let mut out = vec![selection_check(set, sel)];
    let mut blockers = Blockers {
        bad_signature: !t.signed && !t.untrusted_key,
        ..Blockers::default()
    };
    let domain_protocol = cfg.preferred_protocol.as_ref().and_then(Setting::known);

    // Issuer.
    match (&cfg.issuer_uri, t.issuer) {
        (Some(want), Some(got)) if want == got => {
            if !t.issuer_checked {
                out.push(check(
                    "entra.issuer",
                    Status::Pass,
                    format!("{got} equals the issuerUri of {}", cfg.label()),
                    None,
                ))
            }
        }
        (Some(_), Some(_)) if t.issuer_checked => blockers.issuer_mismatch = true,
        (Some(want), Some(got)) => {
            blockers.issuer_mismatch = true;
            out.push(check(
                "entra.issuer",
                Status::Fail,
                format!(
                    "the token's issuer {got:?} is not the issuerUri {want:?} of {}: Entra answers AADSTS50107",
                    cfg.label()
                ),
                Some("make the IdP's issuer / entity ID equal issuerUri exactly, or update the domain (Update-MgDomainFederationConfiguration -IssuerUri)"),
            ))
        }
        (None, _) => out.push(check(
            "entra.issuer",
            Status::Info,
            "the settings carry no issuerUri",
            None,
        )),
        (Some(_), None) => {}
    }

    // Signing certificate.
    let has_certs = cfg.signing_certificate.is_some() || cfg.next_signing_certificate.is_some();
    let expiry = |c: &CertInfo| {
        DateTime::parse_from_rfc3339(&c.not_after)
            .ok()
            .map(|d| d.with_timezone(&Utc))
    };
    let warn_window = Duration::days(EXPIRY_WARN_DAYS);
    match t.signing_anchor {
        _ if !has_certs => out.push(check(
            "entra.signing-certificate",
            Status::Info,
            "the settings carry no signingCertificate, so the token's certificate cannot be compared with the domain's",
            None,
        )),
        Some(a) if cfg.holds_der(&a.der) => {
            let which = if cfg.signing_certificate.as_ref().is_some_and(|c| c.der == a.der) {
                "signingCertificate"
            } else {
                "nextSigningCertificate"
            };
            match expiry(&a.info) {
                Some(e) if e < t.at => {
                    blockers.cert_expired = true;
                    out.push(check(
                        "entra.signing-certificate",
                        Status::Fail,
                        format!(
                            "signed with the domain's {which} ({}), which expired on {}",
                            a.info.sha1_thumbprint, a.info.not_after
                        ),
                        Some(&format!(
                            "roll over the token-signing certificate; {}",
                            rollover_fix(domain_protocol)
                        )),
                    ))
                }
                Some(e) if e - t.at < warn_window => out.push(check(
                    "entra.signing-certificate",
                    Status::Warn,
                    format!(
                        "signed with the domain's {which} ({}), which expires on {}: within {EXPIRY_WARN_DAYS} days",
                        a.info.sha1_thumbprint, a.info.not_after
                    ),
                    Some(&rollover_fix(domain_protocol)),
                )),
                _ => out.push(check(
                    "entra.signing-certificate",
                    Status::Pass,
                    format!(
                        "signed with the domain's {which} ({}, valid to {})",
                        a.info.sha1_thumbprint, a.info.not_after
                    ),
                    None,
                )),
            }
        }
        Some(a) => {
            blockers.unknown_key = true;
            out.push(check(
                "entra.signing-certificate",
                Status::Fail,
                format!(
                    "signed with {} (SHA-1 {}), which is neither the signingCertificate nor the nextSigningCertificate of {}: {KEY_MISMATCH}",
                    a.info.subject,
                    a.info.sha1_thumbprint,
                    cfg.label()
                ),
                Some(KEY_FIX),
            ))
        }
        None => match t.keyinfo_cert {
            Some(k) if !cfg.holds_sha256(&k.sha256_thumbprint) => {
                if t.untrusted_key {
                    blockers.unknown_key = true;
                }
                out.push(check(
                    "entra.signing-certificate",
                    Status::Fail,
                    format!(
                        "the token names {} (SHA-1 {}) in KeyInfo, which is neither the signingCertificate nor the nextSigningCertificate of {}{}",
                        k.subject,
                        k.sha1_thumbprint,
                        cfg.label(),
                        if t.untrusted_key {
                            format!(", and the signature verifies with it: {KEY_MISMATCH}")
                        } else {
                            ", and the signature does not verify (AADSTS50006)".to_string()
                        }
                    ),
                    Some(KEY_FIX),
                ))
            }
            _ => out.push(check(
                "entra.signing-certificate",
                Status::Info,
                "the token's signature did not verify, so its certificate cannot be compared with the domain's",
                None,
            )),
        },
    }
    for (label, c) in cfg.certificates() {
        if let Some(e) = expiry(&c.info) {
            if e >= t.at && e - t.at < warn_window && t.signing_anchor.is_none_or(|a| a.der != c.der) {
                out.push(check(
                    "entra.signing-certificate",
                    Status::Warn,
                    format!(
                        "the {label} of {} ({}) expires on {}: within {EXPIRY_WARN_DAYS} days",
                        cfg.label(),
                        c.info.sha1_thumbprint,
                        c.info.not_after
                    ),
                    Some(&rollover_fix(domain_protocol)),
                ));
            }
        }
    }

    // Automatic certificate update (WS-Fed domains: Entra reads the IdP's metadata).
    out.push(certificate_update_check(cfg, domain_protocol));

    // Protocol.
    match &cfg.preferred_protocol {
        Some(Setting::Known { value, .. }) if *value == t.protocol => out.push(check(
            "entra.protocol",
            Status::Pass,
            format!("the domain expects {}", proto_name(*value)),
            None,
        )),
        Some(Setting::Known { value, raw }) => {
            blockers.protocol_mismatch = true;
            out.push(check(
                "entra.protocol",
                Status::Fail,
                format!(
                    "the domain's preferredAuthenticationProtocol is {raw} ({}), but this token is {}",
                    proto_name(*value),
                    proto_name(t.protocol)
                ),
                Some("test with the protocol the domain uses, or change preferredAuthenticationProtocol"),
            ))
        }
        Some(Setting::Indeterminate { raw, reason }) => out.push(check(
            "entra.protocol",
            Status::Warn,
            format!(
                "preferredAuthenticationProtocol {raw} cannot be interpreted ({reason}), so whether the domain expects {} cannot be checked",
                proto_name(t.protocol)
            ),
            Some("give the settings as Graph returns them (fedcheck fetch-config, or Get-MgDomainFederationConfiguration | ConvertTo-Json)"),
        )),
        None => out.push(check(
            "entra.protocol",
            Status::Info,
            "the settings carry no preferredAuthenticationProtocol",
            None,
        )),
    }

    // Prompt behaviour with legacy SupportsMfa (KB 4037806: users sign in twice).
    if let Some(c) = prompt_login_check(cfg) {
        out.push(c);
    }

    let behavior = cfg.effective_behavior();
    let mut prediction = predict(&behavior, t.mfa && t.signed, t.protocol, &blockers);
    prediction.domain = cfg.domain.clone();
    prediction.configuration = cfg.label();
    prediction.settings_kind = cfg.flavor;
    let status = match prediction.outcome {
        Outcome::Honoured => Status::Pass,
        Outcome::Indeterminate => Status::Warn,
        Outcome::EntraMfa | Outcome::RedirectToIdp | Outcome::Rejected => Status::Fail,
    };
    let fix = match prediction.outcome {
        Outcome::Honoured => None,
        Outcome::Indeterminate => Some(
            "read the domain's settings with Graph (fedcheck fetch-config, or Get-MgDomainFederationConfiguration | ConvertTo-Json) and set federatedIdpMfaBehavior explicitly (Update-MgDomainFederationConfiguration -FederatedIdpMfaBehavior); the switch from the legacy SupportsMfa is one-way: once federatedIdpMfaBehavior is set, Entra ignores SupportsMfa and switching back is not supported",
        ),
        Outcome::EntraMfa if behavior.behavior == MfaBehavior::RejectMfaByFederatedIdp => Some(
            "to honour the IdP's MFA, set federatedIdpMfaBehavior to acceptIfMfaDoneByFederatedIdp or enforceMfaByFederatedIdp (Update-MgDomainFederationConfiguration); Microsoft advises rejectMfaByFederatedIdp when the tenant relies on Entra's own MFA, because honouring the IdP's claim lets a compromised or misconfigured IdP satisfy Entra's MFA: change it only if the IdP's MFA is the control you rely on",
        ),
        Outcome::EntraMfa | Outcome::RedirectToIdp => {
            Some("make the IdP put the MFA claim in the signed token (see mfa.signal)")
        }
        Outcome::Rejected => Some("fix the failing entra.* check first"),
    };
    let mut msg = format!("{} [{}]", prediction.description, behavior.source);
    if let Some(code) = &prediction.aadsts {
        msg.push_str(&format!(" (users see {code})"));
    }
    out.push(Check {
        id: "entra.outcome",
        status,
        message: msg,
        fix: fix.map(str::to_string),
    });
    (out, prediction)
}

fn certificate_update_check(cfg: &FederationConfig, protocol: Option<Protocol>) -> Check {
    let saml_note = if protocol == Some(Protocol::Saml2) {
        " (a SAML-P domain: Entra does not read the IdP's metadata, so its certificates are updated by hand)"
    } else {
        ""
    };
    match (&cfg.certificate_update, &cfg.certificate_update_note) {
        (None, Some(note)) => check("entra.certificate-update", Status::Info, note.clone(), None),
        (None, None) => check(
            "entra.certificate-update",
            Status::Info,
            format!("the settings carry no signingCertificateUpdateStatus: no automatic certificate update is recorded{saml_note}"),
            None,
        ),
        (Some(s), _) => {
            let last = s
                .last_run
                .as_deref()
                .map(|r| match json_date(r) {
                    Some(d) => format!("last run {}", d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                    None => format!("last run {r}"),
                })
                .unwrap_or_else(|| "no lastRunDateTime".into());
            match s.result.as_deref() {
                Some(r) if r.eq_ignore_ascii_case("success") && protocol == Some(Protocol::Saml2) => check(
                    "entra.certificate-update",
                    Status::Info,
                    format!("signingCertificateUpdateStatus reports {r} ({last}){saml_note}"),
                    None,
                ),
                Some(r) if r.eq_ignore_ascii_case("success") => check(
                    "entra.certificate-update",
                    Status::Pass,
                    format!("the last automatic certificate update from metadata succeeded ({last})"),
                    None,
                ),
                result => {
                    let r = result.unwrap_or("(none)");
                    let meaning = match r.to_ascii_lowercase().as_str() {
                        "couldnotaccessremotehost" => ": Entra could not reach the IdP's federation metadata",
                        "nonewcertificatefound" => ": the metadata holds no newer certificate (normal while no rollover is due; a problem close to expiry)",
                        "xmlparsingerror" => ": Entra could not parse the IdP's federation metadata",
                        "unauthorized" => ": the metadata endpoint refused Entra",
                        "notfound" => ": the metadata endpoint answered not found",
                        _ if r.chars().all(|c| c.is_ascii_digit() || c == '-') => {
                            ": written as a number, whose meaning Microsoft does not document"
                        }
                        _ => "",
                    };
                    check(
                        "entra.certificate-update",
                        Status::Warn,
                        format!(
                            "signingCertificateUpdateStatus.certificateUpdateResult is {r}{meaning} ({last}){saml_note}"
                        ),
                        Some(&format!(
                            "make the IdP's federation metadata reachable by Entra, or set the next certificate by hand (Update-MgDomainFederationConfiguration -NextSigningCertificate); {}",
                            rollover_fix(protocol)
                        )),
                    )
                }
            }
        }
    }
}

fn prompt_login_check(cfg: &FederationConfig) -> Option<Check> {
    const FIX: &str = "set promptLoginBehavior to nativeSupport (Update-MgDomainFederationConfiguration -PromptLoginBehavior nativeSupport), or move from SupportsMfa to federatedIdpMfaBehavior (one-way)";
    match (&cfg.prompt_login_behavior, cfg.supports_mfa, cfg.flavor) {
        (Some(Setting::Known { value: PromptLogin::TranslateToFreshPassword, raw }), Some(true), _)
            if cfg.federated_idp_mfa_behavior.is_none() =>
        {
            Some(check(
                "entra.prompt-login",
                Status::Warn,
                format!("promptLoginBehavior {raw} with legacy SupportsMfa = true: users sign in twice (KB 4037806)"),
                Some(FIX),
            ))
        }
        (Some(Setting::Indeterminate { raw, reason }), Some(true), _) => Some(check(
            "entra.prompt-login",
            Status::Warn,
            format!(
                "legacy SupportsMfa = true, and promptLoginBehavior {raw} cannot be interpreted ({reason}): if it is TranslateToFreshPasswordAuth, users sign in twice (KB 4037806)"
            ),
            Some(FIX),
        )),
        (
            Some(Setting::Known { value: PromptLogin::TranslateToFreshPassword, raw }),
            None,
            ConfigFlavor::Graph | ConfigFlavor::GraphPowershell | ConfigFlavor::EntraPowershell,
        ) if cfg.federated_idp_mfa_behavior.is_none() => Some(check(
            "entra.prompt-login",
            Status::Warn,
            format!(
                "promptLoginBehavior {raw} with federatedIdpMfaBehavior unset: if the legacy SupportsMfa is true (this export cannot show it), users sign in twice (KB 4037806)"
            ),
            Some(FIX),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> FederationSettings {
        parse_federation_config(json.as_bytes(), "t.json").expect("config")
    }

    fn graph(behavior: Option<&str>) -> FederationConfig {
        let mut v = serde_json::json!({"value": [{"issuerUri": "http://sts.contoso.test/adfs/services/trust", "preferredAuthenticationProtocol": "wsFed"}]});
        if let Some(b) = behavior {
            v["value"][0]["federatedIdpMfaBehavior"] = Value::String(b.into());
        }
        parse(&v.to_string()).configs.remove(0)
    }

    #[test]
    fn behavior_rules() {
        assert_eq!(
            graph(Some("enforceMfaByFederatedIdp")).effective_behavior().behavior,
            MfaBehavior::EnforceMfaByFederatedIdp
        );
        assert_eq!(graph(None).effective_behavior().behavior, MfaBehavior::Indeterminate);
        assert_eq!(graph(None).effective_behavior().basis, Basis::GraphUnset);
        let msol = parse(r#"{"IssuerUri":"x","SupportsMfa":true}"#).configs.remove(0);
        assert_eq!(msol.flavor, ConfigFlavor::Msol);
        assert_eq!(
            msol.effective_behavior().behavior,
            MfaBehavior::EnforceMfaByFederatedIdp
        );
        assert_eq!(msol.effective_behavior().basis, Basis::Legacy);
        let msol = parse(r#"{"IssuerUri":"x","SupportsMfa":null}"#).configs.remove(0);
        assert_eq!(
            msol.effective_behavior().behavior,
            MfaBehavior::AcceptIfMfaDoneByFederatedIdp
        );
        assert!(parse_federation_config(b"{}", "e.json").is_err());
        assert!(parse_federation_config(br#"{"value":[]}"#, "e.json").is_err());
        assert!(parse_federation_config(b"[]", "e.json").is_err());
    }

    #[test]
    fn keys_and_values_ignore_case_and_the_kind_comes_from_the_properties() {
        // PascalCase Graph PowerShell: the same kind as camelCase Graph, read the same.
        let c = parse(r#"{"IssuerUri":"http://i","FederatedIdpMfaBehavior":"RejectMfaByFederatedIdp","PreferredAuthenticationProtocol":"WSFED","AdditionalProperties":{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#domains('contoso.com')/federationConfiguration/$entity"}}"#).configs.remove(0);
        assert_eq!(c.flavor, ConfigFlavor::GraphPowershell);
        assert_eq!(c.domain.as_deref(), Some("contoso.com"));
        assert_eq!(c.effective_behavior().behavior, MfaBehavior::RejectMfaByFederatedIdp);
        assert_eq!(c.preferred_protocol.unwrap().known(), Some(Protocol::WsfedSaml11));
        // A camelCase key alone does not make an export Graph: SupportsMfa makes it MSOnline.
        let c = parse(r#"{"issuerUri":"http://i","supportsMfa":false}"#)
            .configs
            .remove(0);
        assert_eq!(c.flavor, ConfigFlavor::Msol);
        // MSOnline's names without SupportsMfa: Entra PowerShell.
        let c =
            parse(r#"{"IssuerUri":"http://i","PassiveLogOnUri":"https://p","PreferredAuthenticationProtocol":"saml"}"#)
                .configs
                .remove(0);
        assert_eq!(c.flavor, ConfigFlavor::EntraPowershell);
        assert_eq!(c.effective_behavior().basis, Basis::NotExported);
    }

    #[test]
    fn numbers_are_mapped_only_where_documented() {
        // Graph's $metadata numbers its enum members: 2 is rejectMfaByFederatedIdp.
        let c = parse(
            r#"{"IssuerUri":"http://i","FederatedIdpMfaBehavior":2,"PromptLoginBehavior":0,"AdditionalProperties":{}}"#,
        )
        .configs
        .remove(0);
        assert_eq!(c.effective_behavior().behavior, MfaBehavior::RejectMfaByFederatedIdp);
        assert_eq!(
            c.prompt_login_behavior.unwrap().known(),
            Some(PromptLogin::TranslateToFreshPassword)
        );
        // unknownFutureValue (3) and beyond: indeterminate, with the raw value.
        let c = parse(r#"{"issuerUri":"http://i","federatedIdpMfaBehavior":3}"#)
            .configs
            .remove(0);
        let b = c.effective_behavior();
        assert_eq!((b.behavior, b.basis), (MfaBehavior::Indeterminate, Basis::UnknownValue));
        assert!(b.source.contains("\"3\""), "{}", b.source);
        // MSOnline: no documented numbering, so never guessed.
        let c = parse(r#"{"IssuerUri":"http://i","SupportsMfa":true,"PromptLoginBehavior":0,"PreferredAuthenticationProtocol":1}"#)
            .configs
            .remove(0);
        match c.prompt_login_behavior.as_ref().unwrap() {
            Setting::Indeterminate { raw, reason } => {
                assert_eq!(raw, "0");
                assert!(reason.contains("no numbering"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        assert!(c.preferred_protocol.unwrap().known().is_none());
    }

    #[test]
    fn several_domains_and_selection() {
        let set = parse(
            r#"[{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#domains('a.test')/federationConfiguration","value":[{"issuerUri":"http://a"}]},
                {"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#domains('b.test')/federationConfiguration","value":[{"issuerUri":"http://b"}]}]"#,
        );
        assert_eq!(set.configs.len(), 2);
        let s = select(&set, Some("http://b"), None, None);
        assert_eq!(s.config.domain.as_deref(), Some("b.test"));
        assert!(s.issuer_matched);
        let s = select(&set, Some("http://c"), None, None);
        assert!(!s.issuer_matched);
        assert_eq!(s.config.index, 1);
    }

    #[test]
    fn windows_powershell_dates() {
        assert_eq!(
            json_date("/Date(1767225600000)/").unwrap().to_rfc3339(),
            "2026-01-01T00:00:00+00:00"
        );
        assert!(json_date("2021-08-25T07:44:46.2616778Z").is_some());
        assert!(json_date("yesterday").is_none());
    }

    #[test]
    fn utf16_export_is_read() {
        let json = r#"{"IssuerUri":"http://x/adfs/services/trust","SupportsMfa":false}"#;
        for le in [true, false] {
            let mut bytes = if le { vec![0xFF, 0xFE] } else { vec![0xFE, 0xFF] };
            for u in json.encode_utf16() {
                bytes.extend_from_slice(&if le { u.to_le_bytes() } else { u.to_be_bytes() });
            }
            let c = parse_federation_config(&bytes, "u.json").expect("utf-16");
            assert_eq!(c.configs[0].issuer_uri.as_deref(), Some("http://x/adfs/services/trust"));
        }
    }
}
