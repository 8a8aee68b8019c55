//! `fedcheck lint-config`: reads an IdP's configuration (not a token) and says, setting by setting, whether what
//! it will send Entra for every user is signed and carries MFA where Entra reads it.
//!
//! This module owns the input side (reading a file or a directory with size limits, decoding UTF-8 / UTF-16 as
//! PowerShell writes it, telling the kinds apart) and the report (the [`Finding`] shape, verdict, JSON and text).
//! Each product has its own submodule: [`adfs_rp`] (a relying-party trust from `Get-AdfsRelyingPartyTrust |
//! ConvertTo-Json`), [`keycloak`] (a realm export), [`shibboleth`] (the IdP's `conf/` files) and [`okta`] (the Apps
//! and Policies API JSON). AD FS claim rules on their own stay in [`crate::adfs`], whose report keeps its
//! historical shape. Every finding names the setting it read and where the product documents it ([`docs`]); where a
//! product's behaviour is undocumented, the finding is a `warn` that says so.

pub mod adfs_rp;
pub mod docs;
pub mod keycloak;
pub mod okta;
pub mod shibboleth;

use crate::adfs::{self, Encoding};
use crate::rules::{Check, Status};
use serde::Serialize;
use serde_json::Value;
use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Largest configuration file read (bytes): realm exports and trust exports can be several MiB.
pub const MAX_FILE: u64 = 8 * 1024 * 1024;
/// Largest claim rule file read (bytes), as before.
pub const MAX_RULES: u64 = adfs::MAX_INPUT;
/// Most files read from one directory (Shibboleth's `conf/attributes/` may hold many).
pub const MAX_DIR_FILES: usize = 64;

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
        reason: String,
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
    /// A claim rule file fedcheck cannot use (the message of [`adfs::Unusable`]).
    #[error("{0}")]
    Rules(String),
}

/// An input to lint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A file's bytes (or stdin's).
    Bytes {
        /// The name shown in reports.
        name: String,
        /// The content, at most [`MAX_FILE`] bytes.
        bytes: Vec<u8>,
    },
    /// A directory (Shibboleth's `conf/`).
    Dir {
        /// The name shown in reports.
        name: String,
        /// Where it is.
        path: PathBuf,
    },
}

/// Reads at most `limit` bytes; `Ok(None)` when there were more.
pub fn read_bounded(reader: impl Read, limit: u64) -> std::io::Result<Option<Vec<u8>>> {
    let mut bytes = Vec::new();
    reader.take(limit + 1).read_to_end(&mut bytes)?;
    Ok(if bytes.len() as u64 > limit { None } else { Some(bytes) })
}

/// Opens a path: a directory as [`Input::Dir`], a file read up to [`MAX_FILE`] bytes.
pub fn read_path(path: &str) -> Result<Input, LintError> {
    let meta = std::fs::metadata(path).map_err(|e| LintError::CannotOpen {
        file: path.to_string(),
        reason: e.to_string(),
    })?;
    if meta.is_dir() {
        return Ok(Input::Dir {
            name: path.to_string(),
            path: PathBuf::from(path),
        });
    }
    let file = std::fs::File::open(path).map_err(|e| LintError::CannotOpen {
        file: path.to_string(),
        reason: e.to_string(),
    })?;
    match read_bounded(file, MAX_FILE) {
        Ok(Some(bytes)) => Ok(Input::Bytes {
            name: path.to_string(),
            bytes,
        }),
        Ok(None) => Err(too_large(path, MAX_FILE)),
        Err(e) => Err(LintError::CannotRead {
            file: path.to_string(),
            reason: e.to_string(),
        }),
    }
}

fn too_large(file: &str, limit: u64) -> LintError {
    LintError::TooLarge {
        file: file.to_string(),
        limit_mib: limit / (1024 * 1024),
        what: if limit == MAX_RULES {
            "not a claim rule set"
        } else {
            "fedcheck reads configuration files up to that size"
        },
    }
}

/// Reads one file inside a directory input, bounded; `Ok(None)` when it does not exist.
pub(crate) fn read_optional(dir_name: &str, path: &Path) -> Result<Option<Vec<u8>>, LintError> {
    let shown = format!(
        "{dir_name}/{}",
        path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()
    );
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(LintError::CannotOpen {
                file: path.display().to_string(),
                reason: e.to_string(),
            })
        }
    };
    match read_bounded(file, MAX_FILE) {
        Ok(Some(b)) => Ok(Some(b)),
        Ok(None) => Err(too_large(&shown, MAX_FILE)),
        Err(e) => Err(LintError::CannotRead {
            file: path.display().to_string(),
            reason: e.to_string(),
        }),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Findings and the report

/// One finding: a [`Check`] (id, status, message, fix) plus the setting it read and where that is documented.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The check.
    #[serde(flatten)]
    pub check: Check,
    /// The setting read, as a path into the input (e.g. `attributes["saml.assertion.signature"]`).
    pub setting: Option<String>,
    /// The value found, as written; `null` when the setting is absent.
    pub value: Option<String>,
    /// Where the product (and Microsoft) document the setting and the behaviour the finding states.
    pub docs: Vec<&'static str>,
}

impl Finding {
    /// A finding without fix, setting, value or docs.
    pub fn new(id: &'static str, status: Status, message: impl Into<String>) -> Finding {
        Finding {
            check: Check {
                id,
                status,
                message: message.into(),
                fix: None,
            },
            setting: None,
            value: None,
            docs: Vec::new(),
        }
    }

    /// Sets the fix.
    pub fn fix(mut self, fix: impl Into<String>) -> Finding {
        self.check.fix = Some(fix.into());
        self
    }

    /// Sets the setting read.
    pub fn setting(mut self, setting: impl Into<String>) -> Finding {
        self.setting = Some(setting.into());
        self
    }

    /// Sets the value found.
    pub fn value(mut self, value: impl Into<String>) -> Finding {
        self.value = Some(value.into());
        self
    }

    /// Sets the value found, when there is one.
    pub fn value_opt(mut self, value: Option<impl Into<String>>) -> Finding {
        self.value = value.map(Into::into);
        self
    }

    /// Adds documentation links.
    pub fn docs(mut self, docs: &[&'static str]) -> Finding {
        self.docs.extend_from_slice(docs);
        self
    }
}

/// One file a report read (or looked for).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputFile {
    /// The path as shown.
    pub path: String,
    /// What it is (e.g. `relying-party.xml`, `realm export`).
    pub role: String,
    /// `read`, or `missing` when a directory did not have it.
    pub status: &'static str,
}

/// The report of every kind but claim rules (the JSON contract: `{verdict, kind, file, checks, ...}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigReport {
    /// `fail` when a check failed, else `pass` (warnings allowed).
    pub verdict: &'static str,
    /// `adfs-rp`, `keycloak`, `shibboleth` or `okta`.
    pub kind: &'static str,
    /// The input as given.
    pub file: String,
    /// How a file was encoded (`null` for a directory).
    pub encoding: Option<Encoding>,
    /// What was linted, e.g. `relying party trust "Microsoft Office 365 Identity Platform"`.
    pub subject: String,
    /// The files read.
    pub inputs: Vec<InputFile>,
    /// The findings, in a stable order.
    pub checks: Vec<Finding>,
}

impl ConfigReport {
    /// Builds the report and its verdict.
    pub fn new(
        kind: Kind,
        file: &str,
        encoding: Option<Encoding>,
        subject: String,
        inputs: Vec<InputFile>,
        checks: Vec<Finding>,
    ) -> ConfigReport {
        let failed = checks.iter().any(|c| c.check.status == Status::Fail);
        ConfigReport {
            verdict: if failed { "fail" } else { "pass" },
            kind: kind.report_name(),
            file: file.to_string(),
            encoding,
            subject,
            inputs,
            checks,
        }
    }
}

/// What `lint-config` produced.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// AD FS claim rules on their own (the historical report).
    Rules(adfs::LintReport),
    /// Any other kind.
    Config(ConfigReport),
}

impl Outcome {
    /// True when a check failed (exit 1).
    pub fn failed(&self) -> bool {
        match self {
            Outcome::Rules(r) => r.failed(),
            Outcome::Config(r) => r.verdict == "fail",
        }
    }

    /// The report as pretty JSON.
    pub fn to_json(&self) -> String {
        match self {
            Outcome::Rules(r) => adfs::to_json(r),
            Outcome::Config(r) => serde_json::to_string_pretty(r).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}")),
        }
    }

    /// The report as terminal text.
    pub fn to_text(&self) -> String {
        match self {
            Outcome::Rules(r) => adfs::to_text(r),
            Outcome::Config(r) => config_text(r),
        }
    }
}

fn config_text(r: &ConfigReport) -> String {
    let mut s = String::new();
    let kind = [Kind::AdfsRp, Kind::Keycloak, Kind::Shibboleth, Kind::Okta]
        .into_iter()
        .find(|k| k.report_name() == r.kind)
        .map(Kind::describe)
        .unwrap_or(r.kind);
    let enc = match r.encoding {
        Some(Encoding::Utf16le) => ", UTF-16LE",
        Some(Encoding::Utf16be) => ", UTF-16BE",
        _ => "",
    };
    let _ = writeln!(s, "{}: {kind}{enc}: {}", r.file, r.subject);
    for f in &r.inputs {
        let _ = writeln!(s, "  {:<8} {} ({})", f.status, f.path, f.role);
    }
    let _ = writeln!(s);
    for f in &r.checks {
        let c = &f.check;
        let _ = writeln!(s, "{:<5} {}  {}", c.status.as_str().to_uppercase(), c.id, c.message);
        if let Some(setting) = &f.setting {
            match &f.value {
                Some(v) => {
                    let _ = writeln!(s, "      setting: {setting} = {}", one_line(v, 160));
                }
                None => {
                    let _ = writeln!(s, "      setting: {setting}");
                }
            }
        }
        if let Some(fix) = &c.fix {
            for (i, l) in fix.lines().enumerate() {
                let _ = writeln!(s, "      {}{l}", if i == 0 { "fix: " } else { "     " });
            }
        }
        for (i, d) in f.docs.iter().enumerate() {
            let _ = writeln!(s, "      {}{d}", if i == 0 { "see: " } else { "     " });
        }
    }
    let _ = writeln!(s, "\nVerdict: {}", r.verdict.to_uppercase());
    s
}

/// The value on one line, shortened for the terminal.
fn one_line(v: &str, max: usize) -> String {
    let flat: String = v.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > max {
        flat.chars().take(max).collect::<String>() + "..."
    } else {
        flat
    }
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

fn shape(text: &str) -> Result<Shape, String> {
    let t = text.trim_start();
    if t.starts_with('{') || t.starts_with('[') {
        return serde_json::from_str::<Value>(t)
            .map(Shape::Json)
            .map_err(|e| format!("starts like JSON but does not parse as JSON ({e})"));
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
        Input::Dir { name, path } => {
            return match forced {
                None | Some(Kind::Shibboleth) => shibboleth::lint_dir(name, path).map(Outcome::Config),
                Some(k) => Err(LintError::NotThatKind {
                    file: name.clone(),
                    kind: k.name(),
                    reason: "a directory; only --kind shibboleth reads one (the IdP's conf/ directory)".into(),
                }),
            };
        }
        Input::Bytes { name, bytes } => (name.as_str(), bytes.as_slice()),
    };
    if bytes.len() as u64 > MAX_FILE {
        return Err(too_large(name, MAX_FILE));
    }
    let (text, encoding) = adfs::decode(bytes).map_err(|reason| LintError::Encoding {
        file: name.to_string(),
        reason,
    })?;
    let rules = |bytes: &[u8]| -> Result<Outcome, LintError> {
        if bytes.len() as u64 > MAX_RULES {
            return Err(too_large(name, MAX_RULES));
        }
        adfs::run(name, bytes)
            .map(Outcome::Rules)
            .map_err(|e| LintError::Rules(e.0))
    };
    if forced == Some(Kind::AdfsRules) {
        return rules(bytes);
    }
    let shape = match (shape(&text), forced) {
        (Ok(s), _) => s,
        (Err(reason), None) => {
            return Err(LintError::Unrecognized {
                file: name.to_string(),
                reason: format!("{reason}; {SUPPORTED}"),
            })
        }
        (Err(reason), Some(k)) => {
            return Err(LintError::NotThatKind {
                file: name.to_string(),
                kind: k.name(),
                reason,
            })
        }
    };
    let not_that = |kind: Kind, what: &str| LintError::NotThatKind {
        file: name.to_string(),
        kind: kind.name(),
        reason: format!("the input is {what}, not a {}", kind.describe()),
    };
    match shape {
        Shape::Json(v) => {
            let kind = match forced {
                Some(k) => k,
                None => json_kind(&v).ok_or_else(|| LintError::Unrecognized {
                    file: name.to_string(),
                    reason: format!(
                        "JSON, but none of the exports fedcheck lints{}; {SUPPORTED}",
                        json_hint(&v)
                    ),
                })?,
            };
            let report = match kind {
                Kind::AdfsRp => adfs_rp::lint(name, encoding, &v)?,
                Kind::Keycloak => keycloak::lint(name, encoding, &v)?,
                Kind::Okta => okta::lint(name, encoding, &v)?,
                Kind::Shibboleth => return Err(not_that(kind, "JSON")),
                Kind::AdfsRules => return rules(bytes),
            };
            Ok(Outcome::Config(report))
        }
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
            None => rules(bytes),
            Some(k) => Err(not_that(k, "neither JSON nor XML")),
        },
    }
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

    #[test]
    fn bounded_read_reports_overflow() {
        assert_eq!(read_bounded(&b"abc"[..], 3).unwrap(), Some(b"abc".to_vec()));
        assert_eq!(read_bounded(&b"abcd"[..], 3).unwrap(), None);
    }
}
