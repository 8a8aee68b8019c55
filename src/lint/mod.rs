//! `fedcheck lint-config`: reads an IdP's configuration (not a token) and says, setting by setting, whether what
//! it will send Entra for every user is signed and carries MFA where Entra reads it.
//!
//! This module tells the kinds apart and hands the input to the kind's linter. `input` reads a file or a directory
//! with size limits and decodes UTF-8 / UTF-16 as PowerShell writes it ([`read_path`], [`decode`]); `report` holds
//! the [`Finding`] shape, the verdict, JSON and text ([`ConfigReport`], [`Outcome`]).
//! Each product has its own submodule: [`adfs_rp`] (a relying-party trust from `Get-AdfsRelyingPartyTrust |
//! ConvertTo-Json`), [`keycloak`] (a realm export), [`shibboleth`] (the IdP's `conf/` files) and [`okta`] (the Apps
//! and Policies API JSON); claim rules on their own go to [`adfs_rules`], whose report keeps its historical shape.
//! The claim rule language itself (parser and lint) is [`crate::adfs`]. Every finding names the setting it read and where the product documents it ([`docs`]); where a
//! product's behaviour is undocumented, the finding is a `warn` that says so.

pub mod adfs_rp;
pub mod adfs_rules;
pub mod docs;
mod input;
pub mod keycloak;
pub mod okta;
mod report;
pub mod shibboleth;

pub use input::{decode, read_bounded, read_path, Encoding, Input, TextError, MAX_DIR_FILES, MAX_FILE, MAX_RULES};
pub(crate) use input::{decode_named, read_optional};
pub use report::{ConfigReport, Finding, InputFile, Outcome};

use input::too_large;
use serde::Serialize;
use serde_json::Value;
use std::path::Path;

/// The kind of configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// AD FS issuance transform rules as text.
    AdfsRules,
    /// An AD FS relying-party trust, `Get-AdfsRelyingPartyTrust | ConvertTo-Json`.
    AdfsRp,
    /// A Keycloak realm export (`kc.sh export`) or a SAML client export.
    Keycloak,
    /// Shibboleth IdP configuration: the `conf/` directory or one of its files.
    Shibboleth,
    /// Okta Apps API and Policies API JSON.
    Okta,
}

impl Kind {
    /// The `--kind` value.
    pub fn name(self) -> &'static str {
        match self {
            Kind::AdfsRules => "adfs-rules",
            Kind::AdfsRp => "adfs-rp",
            Kind::Keycloak => "keycloak",
            Kind::Shibboleth => "shibboleth",
            Kind::Okta => "okta",
        }
    }

    /// The report's `kind` (claim rules keep their historical `adfs`).
    pub fn report_name(self) -> &'static str {
        match self {
            Kind::AdfsRules => "adfs",
            k => k.name(),
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Kind::AdfsRules => "AD FS claim rules",
            Kind::AdfsRp => "AD FS relying-party trust",
            Kind::Keycloak => "Keycloak realm export",
            Kind::Shibboleth => "Shibboleth IdP configuration",
            Kind::Okta => "Okta app and sign-on policy",
        }
    }
}

const SUPPORTED: &str = "fedcheck reads AD FS claim rules (text), an AD FS relying-party trust \
(Get-AdfsRelyingPartyTrust | ConvertTo-Json), a Keycloak realm export (kc.sh export), Shibboleth IdP configuration \
(the conf/ directory or relying-party.xml, attribute-resolver.xml, attribute-filter.xml, saml-nameid.xml, \
authn/mfa-authn-config.xml, authn/authn.properties) and Okta API JSON (the Office 365 app, its policy rules)";

/// Why an input cannot be linted (exit 2). Each message names the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LintError {
    /// The file or directory could not be opened.
    #[error("{file}: cannot open: {reason}")]
    CannotOpen {
        /// The input as given.
        file: String,
        /// The operating system's reason.
        reason: String,
    },
    /// Reading failed part way.
    #[error("{file}: cannot read: {reason}")]
    CannotRead {
        /// The input as given.
        file: String,
        /// The operating system's reason.
        reason: String,
    },
    /// Over the size limit for its kind.
    #[error("{file}: larger than {limit_mib} MiB; {what}")]
    TooLarge {
        /// The input as given.
        file: String,
        /// The limit in MiB.
        limit_mib: u64,
        /// What the limit is for.
        what: &'static str,
    },
    /// Not text fedcheck can decode.
    #[error("{file}: {reason}")]
    Encoding {
        /// The input as given.
        file: String,
        /// What is wrong with the bytes.
        reason: TextError,
    },
    /// Text, but none of the configurations fedcheck reads.
    #[error("{file}: {reason}")]
    Unrecognized {
        /// The input as given.
        file: String,
        /// What it looks like instead, and what is supported.
        reason: String,
    },
    /// `--kind` names a kind the input is not.
    #[error("{file}: --kind {kind}: {reason}")]
    NotThatKind {
        /// The input as given.
        file: String,
        /// The kind asked for.
        kind: &'static str,
        /// Why the input is not of that kind.
        reason: String,
    },
}

// ---------------------------------------------------------------------------------------------------------------
// Detection and dispatch

/// What a decoded text looks like.
enum Shape {
    Json(Value),
    Xml,
    Properties,
    Text,
}

fn shape(text: &str) -> Result<Shape, serde_json::Error> {
    let t = text.trim_start();
    if t.starts_with('{') || t.starts_with('[') {
        return serde_json::from_str::<Value>(t).map(Shape::Json);
    }
    if t.starts_with('<') {
        return Ok(Shape::Xml);
    }
    if shibboleth::looks_like_properties(t) {
        return Ok(Shape::Properties);
    }
    Ok(Shape::Text)
}

/// The kind a JSON document is, if fedcheck knows it.
pub fn json_kind(v: &Value) -> Option<Kind> {
    fn object_kind(o: &serde_json::Map<String, Value>) -> Option<Kind> {
        if o.contains_key("IssuanceTransformRules")
            || o.contains_key("SamlResponseSignature")
            || (o.contains_key("Identifier") && o.contains_key("ProtocolProfile"))
        {
            return Some(Kind::AdfsRp);
        }
        if o.get("realm").is_some_and(Value::is_string)
            && ["clients", "authenticationFlows", "browserFlow", "id"]
                .iter()
                .any(|k| o.contains_key(*k))
        {
            return Some(Kind::Keycloak);
        }
        if o.contains_key("clientId") && o.get("protocol").and_then(Value::as_str) == Some("saml") {
            return Some(Kind::Keycloak);
        }
        if o.contains_key("signOnMode") && o.contains_key("settings") {
            return Some(Kind::Okta);
        }
        if matches!(
            o.get("type").and_then(Value::as_str),
            Some("ACCESS_POLICY") | Some("OKTA_SIGN_ON")
        ) {
            return Some(Kind::Okta);
        }
        None
    }
    match v {
        Value::Object(o) => object_kind(o),
        Value::Array(items) => items.iter().take(1000).find_map(|i| match i {
            Value::Object(o) => object_kind(o),
            Value::Array(inner) => inner
                .iter()
                .take(1000)
                .find_map(|x| x.as_object().and_then(object_kind)),
            _ => None,
        }),
        _ => None,
    }
}

/// A hint for JSON fedcheck reads elsewhere.
fn json_hint(v: &Value) -> &'static str {
    let first = match v {
        Value::Object(o) => o.get("value").and_then(|x| x.get(0)).or(Some(v)),
        Value::Array(a) => a.first(),
        _ => None,
    };
    let keys = [
        "issuerUri",
        "IssuerUri",
        "federatedIdpMfaBehavior",
        "FederatedIdpMfaBehavior",
        "SupportsMfa",
    ];
    if first.is_some_and(|f| keys.iter().any(|k| f.get(*k).is_some())) {
        " (it looks like Entra's domain federation settings: give those to `fedcheck check --federation-config`)"
    } else {
        ""
    }
}

/// Lints an input: detects the kind (or takes `forced`) and runs that kind's checks.
pub fn lint(input: &Input, forced: Option<Kind>) -> Result<Outcome, LintError> {
    let (name, bytes) = match input {
        Input::Dir { name, path } => return lint_dir(name, path, forced),
        Input::Bytes { name, bytes } => (name.as_str(), bytes.as_slice()),
    };
    if bytes.len() as u64 > MAX_FILE {
        return Err(too_large(name, MAX_FILE));
    }
    let (text, encoding) = decode_named(name, bytes)?;
    if forced == Some(Kind::AdfsRules) {
        return lint_rules(name, bytes);
    }
    let shape = shape_of(name, &text, forced)?;
    let not_that = |kind: Kind, what: &str| LintError::NotThatKind {
        file: name.to_string(),
        kind: kind.name(),
        reason: format!("the input is {what}, not a {}", kind.describe()),
    };
    match shape {
        Shape::Json(v) => lint_json(name, bytes, encoding, &v, forced),
        Shape::Xml | Shape::Properties => match forced {
            None | Some(Kind::Shibboleth) => shibboleth::lint_file(name, encoding, &text).map(Outcome::Config),
            Some(k) => Err(not_that(
                k,
                if matches!(shape, Shape::Xml) {
                    "XML"
                } else {
                    "a properties file"
                },
            )),
        },
        Shape::Text => match forced {
            None => lint_rules(name, bytes),
            Some(k) => Err(not_that(k, "neither JSON nor XML")),
        },
    }
}

/// A directory: Shibboleth's `conf/`, the only kind read as a directory.
fn lint_dir(name: &str, path: &Path, forced: Option<Kind>) -> Result<Outcome, LintError> {
    match forced {
        None | Some(Kind::Shibboleth) => shibboleth::lint_dir(name, path).map(Outcome::Config),
        Some(k) => Err(LintError::NotThatKind {
            file: name.to_string(),
            kind: k.name(),
            reason: "a directory; only --kind shibboleth reads one (the IdP's conf/ directory)".into(),
        }),
    }
}

/// Claim rules on their own, within their smaller size limit.
fn lint_rules(name: &str, bytes: &[u8]) -> Result<Outcome, LintError> {
    if bytes.len() as u64 > MAX_RULES {
        return Err(too_large(name, MAX_RULES));
    }
    adfs_rules::run(name, bytes).map(Outcome::Rules)
}

/// The shape of a decoded text; JSON that does not parse is refused, naming what was asked for.
fn shape_of(name: &str, text: &str, forced: Option<Kind>) -> Result<Shape, LintError> {
    shape(text).map_err(|e| {
        let reason = format!("starts like JSON but does not parse as JSON ({e})");
        match forced {
            None => LintError::Unrecognized {
                file: name.to_string(),
                reason: format!("{reason}; {SUPPORTED}"),
            },
            Some(k) => LintError::NotThatKind {
                file: name.to_string(),
                kind: k.name(),
                reason,
            },
        }
    })
}

/// A JSON export: the kind asked for, else the kind its properties tell.
fn lint_json(
    name: &str,
    bytes: &[u8],
    encoding: Encoding,
    v: &Value,
    forced: Option<Kind>,
) -> Result<Outcome, LintError> {
    let kind = match forced {
        Some(k) => k,
        None => json_kind(v).ok_or_else(|| LintError::Unrecognized {
            file: name.to_string(),
            reason: format!(
                "JSON, but none of the exports fedcheck lints{}; {SUPPORTED}",
                json_hint(v)
            ),
        })?,
    };
    let report = match kind {
        Kind::AdfsRp => adfs_rp::lint(name, encoding, v)?,
        Kind::Keycloak => keycloak::lint(name, encoding, v)?,
        Kind::Okta => okta::lint(name, encoding, v)?,
        Kind::Shibboleth => {
            return Err(LintError::NotThatKind {
                file: name.to_string(),
                kind: kind.name(),
                reason: format!("the input is JSON, not a {}", kind.describe()),
            })
        }
        Kind::AdfsRules => return lint_rules(name, bytes),
    };
    Ok(Outcome::Config(report))
}

// ---------------------------------------------------------------------------------------------------------------
// Small helpers shared by the kinds

/// `v[key]` as a string.
pub(crate) fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// A JSON value as it would be shown: strings bare, anything else as compact JSON.
pub(crate) fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Strings of a JSON array (or a single string), others skipped.
pub(crate) fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_kinds_are_told_apart() {
        let rp = serde_json::json!({"Name": "x", "Identifier": ["urn:federation:MicrosoftOnline"], "ProtocolProfile": "WsFed-SAML"});
        assert_eq!(json_kind(&rp), Some(Kind::AdfsRp));
        assert_eq!(json_kind(&serde_json::json!([rp])), Some(Kind::AdfsRp));
        let realm = serde_json::json!({"realm": "corp", "clients": []});
        assert_eq!(json_kind(&realm), Some(Kind::Keycloak));
        let client = serde_json::json!({"clientId": "urn:federation:MicrosoftOnline", "protocol": "saml"});
        assert_eq!(json_kind(&client), Some(Kind::Keycloak));
        let app = serde_json::json!({"name": "office365", "signOnMode": "SAML_1_1", "settings": {}});
        assert_eq!(json_kind(&app), Some(Kind::Okta));
        let rules = serde_json::json!([[{"type": "ACCESS_POLICY", "actions": {}}]]);
        assert_eq!(json_kind(&rules), Some(Kind::Okta));
        assert_eq!(json_kind(&serde_json::json!({"value": [{"issuerUri": "x"}]})), None);
        assert_eq!(json_kind(&serde_json::json!("realm")), None);
    }

    #[test]
    fn unknown_json_names_what_it_looks_like() {
        let input = Input::Bytes {
            name: "fed.json".into(),
            bytes: br#"{"value":[{"issuerUri":"http://sts.contoso.test/adfs/services/trust"}]}"#.to_vec(),
        };
        let e = lint(&input, None).unwrap_err().to_string();
        assert!(e.starts_with("fed.json: JSON, but none of the exports"), "{e}");
        assert!(e.contains("--federation-config"), "{e}");
    }

    #[test]
    fn forced_kind_that_does_not_fit_is_refused() {
        let input = Input::Bytes {
            name: "rules.txt".into(),
            bytes: b"=> issue(Type = \"a\", Value = \"b\");".to_vec(),
        };
        let e = lint(&input, Some(Kind::Okta)).unwrap_err();
        assert!(matches!(e, LintError::NotThatKind { kind: "okta", .. }), "{e}");
        let input = Input::Bytes {
            name: "x.json".into(),
            bytes: b"{\"realm\": \"corp\", \"clients\": [".to_vec(),
        };
        let e = lint(&input, None).unwrap_err().to_string();
        assert!(e.contains("does not parse as JSON"), "{e}");
    }

    /// Keys the linters read, so random documents reach their code paths.
    const KEYS: &[&str] = &[
        "realm",
        "clients",
        "clientId",
        "protocol",
        "attributes",
        "protocolMappers",
        "protocolMapper",
        "config",
        "authenticationFlows",
        "alias",
        "id",
        "authenticationExecutions",
        "authenticator",
        "requirement",
        "flowAlias",
        "authenticatorFlow",
        "autheticatorFlow",
        "browserFlow",
        "authenticationFlowBindingOverrides",
        "browser",
        "authenticatorConfig",
        "clientScopes",
        "defaultClientScopes",
        "name",
        "signOnMode",
        "settings",
        "app",
        "type",
        "actions",
        "appSignOn",
        "access",
        "verificationMethod",
        "factorMode",
        "chains",
        "next",
        "conditions",
        "people",
        "groups",
        "include",
        "exclude",
        "network",
        "connection",
        "_links",
        "self",
        "href",
        "accessPolicy",
        "status",
        "priority",
        "Identifier",
        "IssuanceTransformRules",
        "SamlResponseSignature",
        "SignatureAlgorithm",
        "AccessControlPolicyName",
        "ResultantPolicy",
        "Serialized",
        "Enabled",
        "AdditionalAuthenticationRules",
        "signon",
        "requireFactor",
        "acr.loa.map",
        "minimum.acr.value",
    ];
    const VALUES: &[&str] = &[
        "urn:federation:MicrosoftOnline",
        "saml",
        "true",
        "false",
        "REQUIRED",
        "ALTERNATIVE",
        "CONDITIONAL",
        "DISABLED",
        "browser",
        "auth-otp-form",
        "conditional-level-of-authentication",
        "ACCESS_POLICY",
        "OKTA_SIGN_ON",
        "ALLOW",
        "DENY",
        "1FA",
        "2FA",
        "ASSURANCE",
        "AUTH_METHOD_CHAIN",
        "office365",
        "SAML_2_0",
        "MessageOnly",
        "https://x/api/v1/policies/rst1/rules/r",
        "{\"http://schemas.microsoft.com/claims/multipleauthn\":2}",
        "<PolicyMetadata xmlns=\"http://schemas.datacontract.org/2012/04/ADFS\"/>",
        "=> issue(claim = c);",
    ];

    fn arb_json() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| serde_json::json!(n)),
            proptest::sample::select(VALUES).prop_map(|s| serde_json::json!(s)),
            "[a-zA-Z0-9 :/._-]{0,16}".prop_map(Value::String),
        ];
        leaf.prop_recursive(5, 96, 8, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::vec((proptest::sample::select(KEYS), inner), 0..8)
                    .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
            ]
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]
        /// Any JSON, given to any kind, gives a report or a typed error: never a panic.
        #[test]
        fn any_json_is_handled(v in arb_json()) {
            let _ = adfs_rp::lint("x.json", Encoding::Utf8, &v);
            let _ = keycloak::lint("x.json", Encoding::Utf8, &v);
            let _ = okta::lint("x.json", Encoding::Utf8, &v);
            let _ = json_kind(&v);
            let input = Input::Bytes { name: "x.json".into(), bytes: v.to_string().into_bytes() };
            let _ = lint(&input, None);
        }

        /// Any text, as any kind, gives a report or a typed error.
        #[test]
        fn any_text_is_handled(t in "(<[a-zA-Z:]{1,8}( [a-z:]{1,6}=\"[a-zA-Z0-9.:/ #{}']{0,12}\")*/?>|</[a-z]{1,6}>|idp\\.[a-z.]{1,12} ?= ?[a-zA-Z/:,\\\\ ]{0,20}\n|[ -~\n]{0,12}){0,24}") {
            for kind in [None, Some(Kind::Shibboleth), Some(Kind::AdfsRules), Some(Kind::Okta)] {
                let input = Input::Bytes { name: "x".into(), bytes: t.clone().into_bytes() };
                let _ = lint(&input, kind);
            }
        }
    }
}
