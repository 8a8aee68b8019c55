//! One JSON sign-in object, whatever its casing, into a [`SignIn`]: Graph REST and the admin center's JSON download
//! (camelCase), Graph PowerShell `ConvertTo-Json` (PascalCase, `IPAddress`, `AdditionalProperties`), and Log
//! Analytics (PascalCase, every value a string, `Status` and `AuthenticationDetails` as JSON text). Member names are
//! matched case-insensitively, and a member that holds JSON text is parsed.

use super::{Shape, SignIn};
use serde_json::{Map, Value};

/// A member by name, case-insensitively.
pub fn get<'a>(o: &'a Map<String, Value>, names: &[&str]) -> Option<&'a Value> {
    for n in names {
        if let Some(v) = o.get(*n) {
            return Some(v);
        }
    }
    o.iter()
        .find(|(k, _)| names.iter().any(|n| k.eq_ignore_ascii_case(n)))
        .map(|(_, v)| v)
}

/// A member as text (strings as they are, numbers and booleans printed); empty and null are `None`.
pub fn text(o: &Map<String, Value>, names: &[&str]) -> Option<String> {
    match get(o, names)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A member that is an object or an array, or JSON text holding one (Log Analytics' dynamic columns).
fn structured(v: &Value) -> Option<Value> {
    match v {
        Value::Object(_) | Value::Array(_) => Some(v.clone()),
        Value::String(s) => {
            let t = s.trim_start();
            if t.starts_with('{') || t.starts_with('[') {
                serde_json::from_str(s).ok()
            } else {
                None
            }
        }
        _ => None,
    }
}

/// A PowerShell type name left by ConvertTo-Json beyond its depth (e.g.
/// `Microsoft.Graph.PowerShell.Models.MicrosoftGraphAuthenticationDetail`).
pub fn is_type_name(s: &str) -> bool {
    let t = s.trim();
    (t.starts_with("Microsoft.Graph.") || t.starts_with("System.Collections.") || t.starts_with("System.Object"))
        && !t.contains(' ')
}

/// The shape a JSON record suggests: Log Analytics, Graph PowerShell, or Graph.
pub fn shape_of(o: &Map<String, Value>) -> Shape {
    let has = |k: &str| o.contains_key(k);
    if has("TableName") || has("TimeGenerated") || has("ResultType") || has("TenantId") && has("SourceSystem") {
        Shape::LogAnalyticsJson
    } else if has("UserPrincipalName") || has("CreatedDateTime") || has("AdditionalProperties") {
        Shape::GraphPowershell
    } else {
        Shape::GraphArray
    }
}

/// Why a record cannot be read.
#[derive(Debug, PartialEq, Eq)]
pub enum RecordProblem {
    /// ConvertTo-Json at its default depth: (field, a type name found).
    Shallow(&'static str, String),
    /// No status / error code at all.
    NoStatus,
}

fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn as_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// Reads one sign-in object. `personal` collects the values an evidence bundle redacts.
pub fn sign_in(o: &Map<String, Value>, personal: bool) -> Result<SignIn, RecordProblem> {
    let mut s = SignIn {
        user: text(o, &["userPrincipalName"]),
        app_name: text(o, &["appDisplayName"]),
        app_id: text(o, &["appId"]),
        token_issuer_type: text(o, &["tokenIssuerType"]),
        incoming_token_type: text(o, &["incomingTokenType"]),
        ..SignIn::default()
    };
    let when = text(o, &["createdDateTime"]).or_else(|| text(o, &["TimeGenerated"]));
    if let Some(w) = &when {
        s.time = super::time::parse(w);
        if s.time.is_none() {
            s.time_text = Some(w.clone());
        }
    }

    // authenticationDetails: succeeded steps' result strings.
    if let Some(raw) = get(o, &["authenticationDetails"]) {
        if let Value::Array(items) = raw {
            if let Some(Value::String(t)) = items.iter().find(|v| matches!(v, Value::String(x) if is_type_name(x))) {
                return Err(RecordProblem::Shallow("AuthenticationDetails", t.clone()));
            }
        }
        if let Value::String(t) = raw {
            if is_type_name(t) {
                return Err(RecordProblem::Shallow("AuthenticationDetails", t.clone()));
            }
        }
        if let Some(Value::Array(steps)) = structured(raw) {
            for step in steps {
                let Value::Object(st) = step else { continue };
                let ok = get(&st, &["succeeded"]).and_then(as_bool).unwrap_or(false);
                if !ok {
                    continue;
                }
                if let Some(r) = text(&st, &["authenticationStepResultDetail"]) {
                    s.results.push(r);
                }
            }
        }
    }

    // status: {errorCode, failureReason, additionalDetails}; Log Analytics also has ResultType.
    let status = get(o, &["status"]);
    if let Some(Value::String(t)) = status {
        if is_type_name(t) {
            return Err(RecordProblem::Shallow("Status", t.clone()));
        }
    }
    if let Some(Value::Object(st)) = status.and_then(structured) {
        s.error_code = get(&st, &["errorCode"]).and_then(as_i64);
        if let Some(d) = text(&st, &["additionalDetails"]) {
            s.results.push(d);
        }
    }
    if s.error_code.is_none() {
        s.error_code = get(o, &["ResultType"]).and_then(as_i64);
    }
    if s.error_code.is_none() {
        return Err(RecordProblem::NoStatus);
    }
    if personal {
        if let Some(u) = &s.user {
            s.personal.push(("upn", u.clone()));
        }
        for (kind, names) in [
            ("upn", &["signInIdentifier", "alternateSignInName"][..]),
            ("name", &["userDisplayName"][..]),
            ("userid", &["userId"][..]),
            ("ip", &["ipAddress", "ipAddressFromResourceProvider"][..]),
        ] {
            for n in names {
                if let Some(v) = text(o, &[n]) {
                    s.personal.push((kind, v));
                }
            }
        }
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signins::{classify, Class};
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    #[test]
    fn graph_powershell_and_log_analytics_read_the_same() {
        let graph = obj(
            json!({"userPrincipalName":"A@x.test","createdDateTime":"2026-01-15T10:00:00Z",
            "status":{"errorCode":0,"additionalDetails":null},
            "authenticationDetails":[{"succeeded":true,"authenticationStepResultDetail":"MFA requirement satisfied by claim provided by external provider"}]}),
        );
        let ps = obj(
            json!({"UserPrincipalName":"A@x.test","CreatedDateTime":"2026-01-15T10:00:00Z",
            "Status":{"ErrorCode":0,"AdditionalDetails":null,"AdditionalProperties":{}},
            "AuthenticationDetails":[{"Succeeded":true,"AuthenticationStepResultDetail":"MFA requirement satisfied by claim provided by external provider","AdditionalProperties":{}}]}),
        );
        let la = obj(
            json!({"UserPrincipalName":"A@x.test","TimeGenerated":"2026-01-15T10:00:00Z","ResultType":"0",
            "Status":"{\"errorCode\":0}",
            "AuthenticationDetails":"[{\"succeeded\":true,\"authenticationStepResultDetail\":\"MFA requirement satisfied by claim provided by external provider\"}]"}),
        );
        let a = sign_in(&graph, false).unwrap();
        assert_eq!(a, sign_in(&ps, false).unwrap());
        assert_eq!(a, sign_in(&la, false).unwrap());
        assert_eq!(classify(&a), Class::MfaClaim);
        assert_eq!(shape_of(&graph), Shape::GraphArray);
        assert_eq!(shape_of(&ps), Shape::GraphPowershell);
        assert_eq!(shape_of(&la), Shape::LogAnalyticsJson);
    }

    #[test]
    fn a_failed_step_does_not_count() {
        let o = obj(json!({"userPrincipalName":"a@x.test","status":{"errorCode":0},
            "authenticationDetails":[{"succeeded":false,"authenticationStepResultDetail":"MFA successfully completed"}]}));
        assert_eq!(classify(&sign_in(&o, false).unwrap()), Class::SingleFactor);
    }

    #[test]
    fn shallow_powershell_and_missing_status_are_refused() {
        let o = obj(json!({"UserPrincipalName":"a@x.test","Status":{"ErrorCode":0},
            "AuthenticationDetails":["Microsoft.Graph.PowerShell.Models.MicrosoftGraphAuthenticationDetail"]}));
        assert!(matches!(
            sign_in(&o, false),
            Err(RecordProblem::Shallow("AuthenticationDetails", _))
        ));
        let o = obj(json!({"userPrincipalName":"a@x.test"}));
        assert_eq!(sign_in(&o, false), Err(RecordProblem::NoStatus));
    }
}
