//! The checks of one access token, each a [`Check`] with an id under `jwt.`: the signature, key-naming header
//! parameters, `exp`/`nbf`, `amr` (what Partner Center reads), audience and tenant, and the identity facts (`upn`,
//! `appid`, `scp`) a reader wants next to them.

use super::{Header, Options, Signature, PARTNER_CENTER_AUDIENCE};
use crate::rules::ids;
use crate::rules::{check, Check, Status};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// The claims of a token.
type ClaimMap = Map<String, Value>;

/// `jwt.signature`: the outcome of [`super::jose::verify`], with the fix for a failure.
pub(super) fn signature_check(signature: &Signature) -> Check {
    check(
        ids::JWT_SIGNATURE,
        if signature.valid { Status::Pass } else { Status::Fail },
        signature.detail.clone(),
        (!signature.valid).then_some(signature_fix(&signature.detail)),
    )
}

fn signature_fix(detail: &str) -> &'static str {
    if detail.contains("unknown kid") {
        "Entra rolls its signing keys: use a fresh token and the current JWKS (the default --jwks is Entra's \
published keys). Tokens for an app with its own signing keys need that app's JWKS (…/discovery/v2.0/keys?appid=<appid>)"
    } else if detail.starts_with("alg") || detail.contains("no kid") {
        "use the access token exactly as Entra issued it (RS256, with a kid from Entra's JWKS)"
    } else {
        "the token was altered or signed by a key other than the one the JWKS names; use the token exactly as Entra issued it"
    }
}

/// `jwt.header` (a warning), when the header names its own key.
pub(super) fn header_check(header: &Header) -> Option<Check> {
    (!header.ignored.is_empty()).then(|| {
        check(
            ids::JWT_HEADER,
            Status::Warn,
            format!(
                "the header names its own key ({}); ignored: keys come only from --jwks. Entra's tokens carry no \
such parameter, so this token was not issued by Entra or was altered",
                header.ignored.join(", ")
            ),
            None,
        )
    })
}

/// A NumericDate claim as a time (fractions of a second dropped).
pub(super) fn instant(v: Option<&Value>) -> Option<DateTime<Utc>> {
    let n = v?.as_f64()?;
    DateTime::from_timestamp(n.floor() as i64, 0)
}

/// RFC 3339 in UTC, to the second.
pub(super) fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A claim value for a message: strings bare, arrays as `[a, b]`, anything else as JSON.
pub(super) fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(a) => format!("[{}]", a.iter().map(show).collect::<Vec<_>>().join(", ")),
        other => other.to_string(),
    }
}

/// What kind of JSON value `v` is, as a message says it ("a string", "an array", ...).
fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Why a present time claim (`exp`, `nbf`, `iat`) is no usable NumericDate, naming the claim and its value; `None`
/// when it is absent or a number of seconds within the range of a time.
fn time_claim_problem(c: &ClaimMap, name: &str) -> Option<String> {
    let v = c.get(name)?;
    if !v.is_number() {
        let kind = json_kind(v);
        let mut shown = v.to_string();
        if shown.len() > 64 {
            let cut = (0..=61).rev().find(|i| shown.is_char_boundary(*i)).unwrap_or(0);
            shown.truncate(cut);
            shown.push_str("...");
        }
        return Some(format!(
            "{name}: {shown} is {kind}, not a NumericDate (a number of seconds since 1970-01-01T00:00:00Z)"
        ));
    }
    instant(Some(v))
        .is_none()
        .then(|| format!("{name}: {v} is out of the range of a time"))
}

/// `jwt.time`: `exp` is required; `nbf` and `exp` hold at `--at` within the skew; a present `exp`, `nbf` or `iat`
/// that is not a NumericDate fails, named.
pub(super) fn time_check(c: &ClaimMap, o: &Options) -> Check {
    let malformed: Vec<String> = ["exp", "nbf", "iat"]
        .iter()
        .filter_map(|name| time_claim_problem(c, name))
        .collect();
    if !malformed.is_empty() {
        return check(
            ids::JWT_TIME,
            Status::Fail,
            malformed.join("; "),
            Some("use the access token exactly as Entra issued it (its times are numbers of seconds)"),
        );
    }
    let exp = instant(c.get("exp"));
    let nbf = instant(c.get("nbf"));
    let skew = format!("skew {}s", o.skew.num_seconds());
    let Some(exp) = exp else {
        return check(
            ids::JWT_TIME,
            Status::Fail,
            "no exp claim: Entra's access tokens always expire",
            Some("use the access token exactly as Entra issued it"),
        );
    };
    if let Some(nbf) = nbf.filter(|nbf| o.at + o.skew < *nbf) {
        return check(
            ids::JWT_TIME,
            Status::Fail,
            format!("not yet valid: nbf {} is after {} ({skew})", rfc(nbf), rfc(o.at)),
            Some("check the clocks, or pass --at with the time the token was used"),
        );
    }
    if o.at - o.skew >= exp {
        return check(
            ids::JWT_TIME,
            Status::Fail,
            format!("expired: exp {} is before {} ({skew})", rfc(exp), rfc(o.at)),
            Some("get a fresh token (Entra access tokens live about an hour), or pass --at with the time it was used"),
        );
    }
    let nbf = nbf.map(rfc).unwrap_or_else(|| "absent".into());
    let message = format!("valid at {}: nbf {nbf}, exp {} ({skew})", rfc(o.at), rfc(exp));
    check(ids::JWT_TIME, Status::Pass, message, None)
}

const AMR_FIX: &str = "sign in with MFA. With a federated domain the IdP must send the MFA claim where Entra reads it \
(check the SAML token with `fedcheck check`) and the domain's federatedIdpMfaBehavior must accept it; else make Entra \
require MFA itself (Conditional Access or security defaults)";

/// `jwt.amr`: Partner Center refuses API calls unless `amr` contains `mfa`.
pub(super) fn amr_check(c: &ClaimMap) -> Check {
    let Some(v) = c.get("amr") else {
        return check(
            ids::JWT_AMR,
            Status::Fail,
            "no amr claim: Entra recorded no authentication methods, so Partner Center API calls get 401 \
Unauthorized - MFA required",
            Some(AMR_FIX),
        );
    };
    let Some(list) = v.as_array() else {
        return check(
            ids::JWT_AMR,
            Status::Fail,
            format!("amr is not an array ({v}): Partner Center cannot see mfa in it"),
            Some(AMR_FIX),
        );
    };
    let malformed: Vec<String> = list
        .iter()
        .enumerate()
        .filter(|(_, e)| !e.is_string())
        .map(|(i, e)| format!("entry {i} is {}, not a string", json_kind(e)))
        .collect();
    if !malformed.is_empty() {
        let shown = if malformed.len() > 3 {
            format!("{}; and {} more", malformed[..3].join("; "), malformed.len() - 3)
        } else {
            malformed.join("; ")
        };
        return check(
            ids::JWT_AMR,
            Status::Fail,
            format!(
                "amr: {shown}: amr is a list of method names (e.g. [\"pwd\", \"mfa\"]); Partner Center cannot see \
mfa in this one"
            ),
            Some("use the access token exactly as Entra issued it (its amr is an array of strings)"),
        );
    }
    let vals: Vec<&str> = list.iter().filter_map(Value::as_str).collect();
    let shown = format!("[{}]", vals.join(", "));
    let fed = vals.contains(&"fed");
    if vals.contains(&"mfa") {
        let note = if fed {
            "; fed = federated sign-in: the MFA claim from the IdP was honoured"
        } else {
            ""
        };
        let message = format!("amr {shown} contains mfa, as Partner Center requires{note}");
        check(ids::JWT_AMR, Status::Pass, message, None)
    } else {
        let note = if fed {
            " (fed = federated sign-in at the IdP, but Entra did not take an MFA claim from it)"
        } else {
            ""
        };
        check(
            ids::JWT_AMR,
            Status::Fail,
            format!("amr {shown} has no mfa{note}: Partner Center API calls get 401 Unauthorized - MFA required"),
            Some(AMR_FIX),
        )
    }
}

/// `jwt.audience`: against `--expect-audience` when given (trailing `/` and case ignored), else reported.
pub(super) fn audience_check(c: &ClaimMap, o: &Options) -> Check {
    let auds: Vec<String> = match c.get("aud") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        _ => Vec::new(),
    };
    let shown = if auds.is_empty() {
        "absent".to_string()
    } else {
        auds.join(", ")
    };
    let norm = |s: &str| s.trim_end_matches('/').to_ascii_lowercase();
    match &o.expect_audience {
        Some(want) if auds.iter().any(|a| norm(a) == norm(want)) => check(
            ids::JWT_AUDIENCE,
            Status::Pass,
            format!("aud {shown}, as expected"),
            None,
        ),
        Some(want) => check(
            ids::JWT_AUDIENCE,
            Status::Fail,
            format!("aud {shown}, expected {want}"),
            Some(
                "request the token for the expected resource (Partner Center: https://api.partnercenter.microsoft.com)",
            ),
        ),
        None => {
            let note = if auds.iter().any(|a| norm(a) == norm(PARTNER_CENTER_AUDIENCE)) {
                " (Partner Center API)"
            } else {
                ""
            };
            check(ids::JWT_AUDIENCE, Status::Info, format!("aud {shown}{note}"), None)
        }
    }
}

/// `jwt.tenant`: `tid` against `--expect-tenant` when given, else reported with `iss`.
pub(super) fn tenant_check(c: &ClaimMap, o: &Options) -> Check {
    let tid = c.get("tid").and_then(Value::as_str);
    let iss = c.get("iss").and_then(Value::as_str);
    let shown = format!(
        "tid {}{}",
        tid.unwrap_or("absent"),
        iss.map(|i| format!(", iss {i}")).unwrap_or_default()
    );
    match (&o.expect_tenant, tid) {
        (Some(want), Some(t)) if t.eq_ignore_ascii_case(want.trim()) => {
            check(ids::JWT_TENANT, Status::Pass, format!("{shown}, as expected"), None)
        }
        (Some(want), _) => check(
            ids::JWT_TENANT,
            Status::Fail,
            format!("{shown}, expected tenant {want}"),
            Some("sign in to the partner tenant (the token came from another tenant)"),
        ),
        (None, _) => check(ids::JWT_TENANT, Status::Info, shown, None),
    }
}

/// `jwt.upn`, `jwt.appid` and `jwt.scp`: who signed in, with which client, with what permissions (information).
pub(super) fn identity_checks(c: &ClaimMap) -> [Check; 3] {
    let s = |k: &str| c.get(k).map(show);
    let upn = match (s("upn"), s("unique_name")) {
        (Some(u), _) => format!("upn {u}"),
        (None, Some(n)) => format!("no upn; unique_name {n}"),
        (None, None) => "no upn or unique_name (an app-only token, or a guest/personal account)".into(),
    };
    let appid = match (s("appid"), s("azp")) {
        (Some(a), _) => format!("appid {a} (the client application the token was issued to)"),
        (None, Some(a)) => format!("azp {a} (the client application the token was issued to)"),
        (None, None) => "no appid or azp".into(),
    };
    let scp = match (s("scp"), s("roles")) {
        (Some(x), _) => format!("scp {x} (delegated: the user signed in)"),
        (None, Some(r)) => format!("no scp; roles {r} (application permissions: no user, so no user MFA)"),
        (None, None) => "no scp or roles".into(),
    };
    [
        check(ids::JWT_UPN, Status::Info, upn, None),
        check(ids::JWT_APPID, Status::Info, appid, None),
        check(ids::JWT_SCP, Status::Info, scp, None),
    ]
}
