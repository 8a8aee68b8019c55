//! Entra's federation settings for a domain, read from every export shape users have.
//!
//! [`load_federation_config`] reads Microsoft Graph REST (`GET /domains/{domain}/federationConfiguration`,
//! camelCase, one object or `{"value":[...]}`), Graph PowerShell (`Get-MgDomainFederationConfiguration |
//! ConvertTo-Json`, PascalCase with `AdditionalProperties`), Entra PowerShell (`Get-EntraDomainFederationSettings`,
//! MSOnline's property names with Graph's values) and the deprecated MSOnline (`Get-MsolDomainFederationSettings`,
//! with `SupportsMfa`), and arrays of several domains; UTF-8, or UTF-16 as Windows PowerShell writes it. Keys and
//! enum values are matched without regard to case; the kind of export is decided by which properties exist. An
//! enum that `ConvertTo-Json` wrote as a number is mapped only where Microsoft documents the numbering (the Graph
//! `$metadata` enum members), otherwise it is an indeterminate [`Setting`] with the raw value.

use crate::saml::Protocol;
use crate::trust::{parse_cert, TrustAnchor, TrustError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// The largest export read (bytes).
pub const MAX_FEDERATION_CONFIG_BYTES: u64 = 8 << 20;
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
    #[error("{path}: {problem}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        problem: SettingsProblem,
    },
}

/// What is wrong with the content of a federation settings export.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsProblem {
    /// Over 8 MiB.
    #[error(
        "larger than the {} limit for a federation settings export",
        crate::http::size_text(MAX_FEDERATION_CONFIG_BYTES)
    )]
    TooLarge,
    /// UTF-16 (by its byte order mark) with an odd number of bytes.
    #[error("UTF-16 text with an odd number of bytes")]
    OddUtf16,
    /// UTF-16 (by its byte order mark) that does not decode.
    #[error("invalid UTF-16")]
    InvalidUtf16,
    /// Neither UTF-8 nor UTF-16 with a byte order mark.
    #[error("not UTF-8 or UTF-16 (with BOM) text")]
    NotText,
    /// Text, but not JSON.
    #[error("not JSON ({0}); give the output of Graph GET /domains/{{domain}}/federationConfiguration, Get-MgDomainFederationConfiguration | ConvertTo-Json, or Get-MsolDomainFederationSettings | ConvertTo-Json")]
    NotJson(serde_json::Error),
    /// `[]`.
    #[error("empty array: no federation configuration")]
    EmptyArray,
    /// An array nested in the top-level array.
    #[error("an array inside an array: not a federation settings export")]
    NestedArray,
    /// A string, number, boolean or null.
    #[error("not a JSON object or array")]
    NotObjectOrArray,
    /// An entry of a `{"value": [...]}` collection that is not an object.
    #[error("an entry of \"value\" is not an object")]
    EntryNotObject,
    /// `{"value": []}`: Graph's answer for a domain that is not federated.
    #[error("the collection is empty: the domain is not federated")]
    EmptyCollection,
    /// Over 1000 configurations.
    #[error("more than {MAX_CONFIGS} configurations")]
    TooMany,
    /// An object with two keys differing only in case, and different values.
    #[error("the property {key} appears twice with different values (keys differing only in case)")]
    ConflictingKeys {
        /// The key, as written the second time.
        key: String,
    },
    /// None of the properties of any export shape.
    #[error("neither a Graph federationConfiguration (issuerUri, federatedIdpMfaBehavior, ...) nor an MSOnline or Entra PowerShell export (IssuerUri, SupportsMfa, PassiveLogOnUri, ...)")]
    UnknownShape,
    /// A certificate that cannot be read.
    #[error("{label}: {error}")]
    Certificate {
        /// `signingCertificate` or `nextSigningCertificate`.
        label: &'static str,
        /// Why.
        error: TrustError,
    },
    /// A problem in one configuration of the file.
    #[error("configuration {index}: {problem}")]
    Configuration {
        /// Its 1-based position in the file.
        index: usize,
        /// What is wrong with it.
        problem: Box<SettingsProblem>,
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

    pub(super) fn certificates(&self) -> impl Iterator<Item = (&'static str, &TrustAnchor)> {
        [
            ("signingCertificate", &self.signing_certificate),
            ("nextSigningCertificate", &self.next_signing_certificate),
        ]
        .into_iter()
        .filter_map(|(l, c)| c.as_ref().map(|c| (l, c)))
    }

    pub(super) fn holds_der(&self, der: &[u8]) -> bool {
        self.certificates().any(|(_, c)| c.der == der)
    }

    pub(super) fn holds_sha256(&self, sha256: &str) -> bool {
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

/// Reads a federation settings export (any of the shapes in the module documentation).
pub fn load_federation_config(path: &str) -> Result<FederationSettings, FederationConfigError> {
    use crate::http::{read_file_within, CappedReadError};
    let bytes = read_file_within(path, MAX_FEDERATION_CONFIG_BYTES).map_err(|e| match e {
        CappedReadError::TooLarge { .. } => FederationConfigError::Invalid {
            path: path.into(),
            problem: SettingsProblem::TooLarge,
        },
        CappedReadError::Io(error) => FederationConfigError::Io {
            path: path.into(),
            error,
        },
    })?;
    parse_federation_config(&bytes, path)
}

/// Decodes the text of an export: UTF-8 (BOM optional), or UTF-16 with a BOM as Windows PowerShell's `Out-File`
/// writes it; the failure worded for a settings export.
fn decode_text(bytes: &[u8]) -> Result<String, SettingsProblem> {
    use crate::input::text::{decode, TextError};
    match decode(bytes) {
        Ok((text, _)) => Ok(text),
        Err(TextError::OddUtf16) => Err(SettingsProblem::OddUtf16),
        Err(TextError::InvalidUtf16(_)) => Err(SettingsProblem::InvalidUtf16),
        Err(TextError::NotUtf8(_) | TextError::Nul) => Err(SettingsProblem::NotText),
    }
}

/// An object's keys, matched without regard to case.
struct Keys<'a> {
    map: HashMap<String, &'a Value>,
}

impl<'a> Keys<'a> {
    fn new(obj: &'a Map<String, Value>) -> Result<Self, SettingsProblem> {
        let mut map: HashMap<String, &'a Value> = HashMap::new();
        for (k, v) in obj {
            let lower = k.to_ascii_lowercase();
            if let Some(prev) = map.get(&lower) {
                if *prev != v {
                    return Err(SettingsProblem::ConflictingKeys { key: k.clone() });
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

/// The documented values of an enumerated setting: each value, the names exports write it as (matched without
/// regard to case), and its number in Graph's published `$metadata`.
type Documented<T> = [(T, &'static [&'static str], i64)];

/// `preferredAuthenticationProtocol`: Graph `wsFed` = 0, `saml` = 1; MSOnline `Samlp`.
const PROTOCOLS: &Documented<Protocol> = &[
    (Protocol::WsfedSaml11, &["wsFed"], 0),
    (Protocol::Saml2, &["saml", "samlp"], 1),
];
/// `promptLoginBehavior`: Graph `translateToFreshPasswordAuthentication` = 0, `nativeSupport` = 1, `disabled` = 2;
/// MSOnline `TranslateToFreshPasswordAuth`.
const PROMPTS: &Documented<PromptLogin> = &[
    (
        PromptLogin::TranslateToFreshPassword,
        &["translateToFreshPasswordAuthentication", "translateToFreshPasswordAuth"],
        0,
    ),
    (PromptLogin::NativeSupport, &["nativeSupport"], 1),
    (PromptLogin::Disabled, &["disabled"], 2),
];
/// `federatedIdpMfaBehavior`: `acceptIfMfaDoneByFederatedIdp` = 0, `enforceMfaByFederatedIdp` = 1,
/// `rejectMfaByFederatedIdp` = 2.
const BEHAVIORS: &Documented<MfaBehavior> = &[
    (
        MfaBehavior::AcceptIfMfaDoneByFederatedIdp,
        &["acceptIfMfaDoneByFederatedIdp"],
        0,
    ),
    (MfaBehavior::EnforceMfaByFederatedIdp, &["enforceMfaByFederatedIdp"], 1),
    (MfaBehavior::RejectMfaByFederatedIdp, &["rejectMfaByFederatedIdp"], 2),
];

/// Parses an enumerated value: a documented name, or a documented number (Graph's published `$metadata` values)
/// when the export's values come from Graph; anything else is indeterminate, never guessed.
fn enum_setting<T: Copy>(
    v: Option<&Value>,
    property: &str,
    documented: &Documented<T>,
    flavor: ConfigFlavor,
) -> Option<Setting<T>> {
    let names = || {
        documented
            .iter()
            .flat_map(|(_, names, _)| names.iter().copied())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match v? {
        Value::String(s) if s.trim().is_empty() => None,
        Value::String(s) => {
            let s = s.trim();
            Some(
                match documented
                    .iter()
                    .find(|(_, names, _)| names.iter().any(|n| n.eq_ignore_ascii_case(s)))
                {
                    Some((value, _, _)) => Setting::Known {
                        value: *value,
                        raw: s.to_string(),
                    },
                    None if s.eq_ignore_ascii_case("unknownFutureValue") => Setting::Indeterminate {
                        raw: s.to_string(),
                        reason: "unknownFutureValue: Graph's marker for a value newer than this API version".into(),
                    },
                    None => Setting::Indeterminate {
                        raw: s.to_string(),
                        reason: format!("not one of the documented values ({})", names()),
                    },
                },
            )
        }
        Value::Number(n) => {
            let raw = n.to_string();
            let mapped = n
                .as_i64()
                .and_then(|i| documented.iter().find(|(_, _, number)| *number == i))
                .map(|(value, _, _)| *value);
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

/// Collects the configuration objects of a parsed export, each with the domain its collection names.
fn collect<'a>(
    v: &'a Value,
    domain: Option<String>,
    nested: bool,
    out: &mut Vec<(&'a Map<String, Value>, Option<String>)>,
) -> Result<(), SettingsProblem> {
    match v {
        Value::Array(items) if !nested => {
            if items.is_empty() {
                return Err(SettingsProblem::EmptyArray);
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
                            _ => return Err(SettingsProblem::EntryNotObject),
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
        Value::Array(_) => Err(SettingsProblem::NestedArray),
        _ => Err(SettingsProblem::NotObjectOrArray),
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
    let configs = read_configs(bytes, path).map_err(|problem| FederationConfigError::Invalid {
        path: path.into(),
        problem,
    })?;
    Ok(FederationSettings {
        source: path.into(),
        configs,
    })
}

/// The configurations of an export: decoded, parsed as JSON, collected from any of the shapes, each read.
fn read_configs(bytes: &[u8], path: &str) -> Result<Vec<FederationConfig>, SettingsProblem> {
    if bytes.len() as u64 > MAX_FEDERATION_CONFIG_BYTES {
        return Err(SettingsProblem::TooLarge);
    }
    let text = decode_text(bytes)?;
    let json: Value = serde_json::from_str(&text).map_err(SettingsProblem::NotJson)?;
    let mut objects = Vec::new();
    collect(&json, None, false, &mut objects)?;
    if objects.is_empty() {
        return Err(SettingsProblem::EmptyCollection);
    }
    if objects.len() > MAX_CONFIGS {
        return Err(SettingsProblem::TooMany);
    }
    objects
        .into_iter()
        .enumerate()
        .map(|(i, (obj, collection_domain))| {
            let index = i + 1;
            read_config(index, obj, collection_domain, path).map_err(|problem| SettingsProblem::Configuration {
                index,
                problem: Box::new(problem),
            })
        })
        .collect()
}

/// The domain an object's own `@odata.context` names (Graph REST), or its `AdditionalProperties`' (Graph
/// PowerShell).
fn own_context_domain(keys: &Keys) -> Option<String> {
    keys.text(&["@odata.context"])
        .and_then(|c| context_domain(&c))
        .or_else(|| match keys.get(&["AdditionalProperties"]) {
            Some(Value::Object(ap)) => Keys::new(ap)
                .ok()
                .and_then(|k| k.text(&["@odata.context"]))
                .and_then(|c| context_domain(&c)),
            _ => None,
        })
}

/// A certificate property (base64 DER, as Entra stores it), when present.
fn certificate(
    keys: &Keys,
    label: &'static str,
    path: &str,
    index: usize,
) -> Result<Option<TrustAnchor>, SettingsProblem> {
    match keys.text(&[label]) {
        Some(b64) => parse_cert(b64.as_bytes(), &format!("{path} ({label}, configuration {index})"))
            .map(Some)
            .map_err(|error| SettingsProblem::Certificate { label, error }),
        None => Ok(None),
    }
}

/// One configuration object, the `index`-th of the file; `collection_domain` is the domain its collection names.
fn read_config(
    index: usize,
    obj: &Map<String, Value>,
    collection_domain: Option<String>,
    path: &str,
) -> Result<FederationConfig, SettingsProblem> {
    let keys = Keys::new(obj)?;
    let flavor = flavor_of(&keys).ok_or(SettingsProblem::UnknownShape)?;
    let domain = keys
        .text(&["domainName", "federatedDomain"])
        .or_else(|| own_context_domain(&keys))
        .or(collection_domain);
    let (certificate_update, certificate_update_note) = update_status(&keys);
    Ok(FederationConfig {
        index,
        flavor,
        domain,
        display_name: keys.text(&["displayName", "FederationBrandName"]),
        issuer_uri: keys.text(&["issuerUri"]),
        preferred_protocol: enum_setting(
            keys.get(&["preferredAuthenticationProtocol"]),
            "PreferredAuthenticationProtocol",
            PROTOCOLS,
            flavor,
        ),
        prompt_login_behavior: enum_setting(
            keys.get(&["promptLoginBehavior"]),
            "PromptLoginBehavior",
            PROMPTS,
            flavor,
        ),
        federated_idp_mfa_behavior: enum_setting(
            keys.get(&["federatedIdpMfaBehavior"]),
            "FederatedIdpMfaBehavior",
            BEHAVIORS,
            flavor,
        ),
        supports_mfa: keys.boolean(&["SupportsMfa"]),
        signed_requests: keys.boolean(&["isSignedAuthenticationRequestRequired"]),
        passive_sign_in_uri: keys.text(&["passiveSignInUri", "PassiveLogOnUri"]),
        certificate_update,
        certificate_update_note,
        signing_certificate: certificate(&keys, "signingCertificate", path, index)?,
        next_signing_certificate: certificate(&keys, "nextSigningCertificate", path, index)?,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entra::{select, Basis};

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
