//! Okta: the JSON of the Okta Management API. The input is the Microsoft Office 365 app (`GET /api/v1/apps/{id}`,
//! `name` `office365`), the rules of its authentication policy (`GET /api/v1/policies/{policyId}/rules`, type
//! `ACCESS_POLICY`; the global session policy's `OKTA_SIGN_ON` rules are read too), the policy itself, or several of
//! them in one JSON array (`jq -s . app.json rules.json`).
//!
//! "Use Okta MFA to satisfy Entra ID MFA" is not a setting of the app's JSON: it is switched on by the domain's
//! federation settings in Entra (and, in Classic Engine, by the org feature `OFFICE365_PASS_CLAIM_FOR_MFA`), so this
//! module says so instead of guessing. What it does read is who each policy rule lets in with one factor: Okta
//! documents that in Classic Engine it sends a successful MFA claim even for users its Office 365 sign-on policy
//! exempts from MFA, and that in Identity Engine every rule that grants access must require MFA for the claim to be
//! sent. Either way an exempting rule is a finding.

use super::{docs, show, str_at, strings, ConfigReport, Encoding, Finding, InputFile, Kind, LintError};
use crate::rules::ids;
use crate::rules::{Status, ENTRA_AUDIENCE, MULTIPLEAUTHN};
use serde_json::Value;

/// Most API objects read from one input.
const MAX_OBJECTS: usize = 1000;

/// The API objects found in the input.
#[derive(Default)]
struct Objects<'a> {
    apps: Vec<&'a Value>,
    policies: Vec<&'a Value>,
    rules: Vec<&'a Value>,
}

fn classify<'a>(v: &'a Value, out: &mut Objects<'a>, depth: usize) {
    match v {
        Value::Array(items) if depth < 2 => {
            for i in items.iter().take(MAX_OBJECTS) {
                classify(i, out, depth + 1);
            }
        }
        Value::Object(o) => {
            if o.contains_key("signOnMode") && o.contains_key("settings") {
                out.apps.push(v);
            } else if matches!(
                o.get("type").and_then(Value::as_str),
                Some("ACCESS_POLICY") | Some("OKTA_SIGN_ON")
            ) {
                if o.contains_key("actions") {
                    out.rules.push(v);
                } else {
                    out.policies.push(v);
                }
            }
        }
        _ => {}
    }
}

/// The id after `/api/v1/policies/` in a link.
fn policy_id_of(href: &str) -> Option<&str> {
    let rest = href.split("/api/v1/policies/").nth(1)?;
    let id = rest.split(['/', '?']).next()?;
    (!id.is_empty()).then_some(id)
}

/// Lints Okta API JSON.
pub fn lint(file: &str, encoding: Encoding, v: &Value) -> Result<ConfigReport, LintError> {
    let mut objects = Objects::default();
    classify(v, &mut objects, 0);
    if objects.apps.is_empty() && objects.rules.is_empty() && objects.policies.is_empty() {
        return Err(LintError::NotThatKind {
            file: file.to_string(),
            kind: Kind::Okta.name(),
            reason: "no Okta app (signOnMode, settings) and no policy or policy rule (type ACCESS_POLICY or \
OKTA_SIGN_ON) in the JSON"
                .into(),
        });
    }
    let inputs = vec![InputFile {
        path: file.to_string(),
        role: format!(
            "Okta API JSON: {} app(s), {} policy(ies), {} rule(s)",
            objects.apps.len(),
            objects.policies.len(),
            objects.rules.len()
        ),
        status: "read",
    }];
    let app = objects
        .apps
        .iter()
        .find(|a| str_at(a, "name") == Some("office365"))
        .or_else(|| objects.apps.first())
        .copied();
    let mut checks = vec![app_check(app)];
    if let Some(a) = app.filter(|a| str_at(a, "signOnMode") == Some("SAML_2_0")) {
        checks.push(saml_app(a));
    }
    checks.push(
        Finding::new(
            ids::OKTA_USE_OKTA_MFA,
            Status::Info,
            "\"Use Okta MFA to satisfy Entra ID MFA\" is not a setting in the app's JSON: Okta documents it as switched \
on by the domain's federation settings in Entra (federatedIdpMfaBehavior, or the legacy SupportsMfa), and in Classic \
Engine by the org feature OFFICE365_PASS_CLAIM_FOR_MFA, which the API does not show",
        )
        .fix("Check the domain's federatedIdpMfaBehavior with `fedcheck fetch-config` and `fedcheck check \
--federation-config`")
        .docs(&[docs::OKTA_O365_MFA_OIE, docs::OKTA_KB_PASS_CLAIM, docs::GRAPH_FEDERATION]),
    );
    checks.push(policy_link(app, &objects));
    checks.extend(exemptions(&objects));

    let subject = match app {
        Some(a) => format!(
            "app \"{}\" ({}, {})",
            str_at(a, "label").unwrap_or("?"),
            str_at(a, "name").unwrap_or("?"),
            str_at(a, "signOnMode").unwrap_or("?")
        ),
        None => format!("{} policy rule(s)", objects.rules.len()),
    };
    Ok(ConfigReport::new(
        Kind::Okta,
        file,
        Some(encoding),
        subject,
        inputs,
        checks,
    ))
}

fn app_check(app: Option<&Value>) -> Finding {
    let Some(app) = app else {
        return Finding::new(
            ids::OKTA_APP,
            Status::Warn,
            "no app in the input: fedcheck cannot tell which app the rules protect",
        )
        .fix("Add the Office 365 app: GET /api/v1/apps/{appId}, combined with the rules by `jq -s . app.json rules.json`")
        .docs(&[docs::OKTA_APPS_API]);
    };
    let name = str_at(app, "name").unwrap_or("?");
    let mode = str_at(app, "signOnMode").unwrap_or("?");
    let status = str_at(app, "status").unwrap_or("?");
    let f = if name != "office365" {
        Finding::new(
            ids::OKTA_APP,
            Status::Warn,
            format!(
                "the app is \"{name}\", not Okta's Microsoft Office 365 app (office365): Okta documents \"Use Okta MFA\" \
for the WS-Federation Office 365 app only"
            ),
        )
    } else if mode == "BROWSER_PLUGIN" {
        Finding::new(
            ids::OKTA_APP,
            Status::Warn,
            "the Office 365 app signs in with a stored password (BROWSER_PLUGIN): through it Okta is not the domain's \
federated identity provider and sends Entra no token",
        )
    } else if status != "ACTIVE" {
        Finding::new(
            ids::OKTA_APP,
            Status::Warn,
            format!("the Office 365 app is {status}, not ACTIVE"),
        )
    } else {
        Finding::new(
            ids::OKTA_APP,
            Status::Pass,
            format!(
                "Okta's Microsoft Office 365 app, {mode} (WS-Federation with a SAML 1.1 assertion), active{}",
                app.get("settings")
                    .and_then(|s| s.get("app"))
                    .and_then(|a| str_at(a, "domain"))
                    .map(|d| format!(", domain {d}"))
                    .unwrap_or_default()
            ),
        )
    };
    f.setting("name / signOnMode / status")
        .value(format!("{name} / {mode} / {status}"))
        .docs(&[docs::OKTA_APPS_API, docs::OKTA_O365_MFA_OIE])
}

/// A custom SAML 2.0 app for Entra: the signed assertion and its fixed AuthnContextClassRef.
fn saml_app(app: &Value) -> Finding {
    let sign_on = app.get("settings").and_then(|s| s.get("signOn"));
    let audience = sign_on.and_then(|s| str_at(s, "audience"));
    let signed = sign_on.and_then(|s| s.get("assertionSigned")).and_then(Value::as_bool);
    let classref = sign_on.and_then(|s| str_at(s, "authnContextClassRef"));
    let f = if audience != Some(ENTRA_AUDIENCE) {
        Finding::new(
            ids::OKTA_SAML_APP,
            Status::Info,
            format!(
                "a SAML 2.0 app whose audience is {}, not Entra's {ENTRA_AUDIENCE}",
                audience.unwrap_or("(none)")
            ),
        )
    } else if signed != Some(true) {
        Finding::new(
            ids::OKTA_SAML_APP,
            Status::Fail,
            "the SAML 2.0 app for Entra does not sign the assertion (assertionSigned is not true): Entra requires a \
signed assertion",
        )
        .fix("Set the app's Assertion Signature to Signed")
    } else if classref == Some(MULTIPLEAUTHN) {
        Finding::new(
            ids::OKTA_SAML_APP,
            Status::Fail,
            format!(
                "security: the SAML 2.0 app writes the fixed AuthnContextClassRef {MULTIPLEAUTHN} for every sign-in, \
whatever the policy asked: it claims MFA for users who did none"
            ),
        )
        .fix("Federate Entra through Okta's Microsoft Office 365 app instead, whose MFA claim follows the policy")
    } else {
        Finding::new(
            ids::OKTA_SAML_APP,
            Status::Warn,
            format!(
                "the SAML 2.0 app writes the fixed AuthnContextClassRef {}: Entra does not count it as MFA",
                classref.unwrap_or("(none)")
            ),
        )
    };
    f.setting("settings.signOn.audience / assertionSigned / authnContextClassRef")
        .value(format!(
            "{} / {} / {}",
            audience.unwrap_or("-"),
            signed.map(|b| b.to_string()).unwrap_or_else(|| "-".into()),
            classref.unwrap_or("-")
        ))
        .docs(&[docs::OKTA_APPS_API, docs::ENTRA_MFA_CLAIMS, docs::ENTRA_SAML_IDP])
}

fn rule_policy_id(rule: &Value) -> Option<&str> {
    rule.get("_links")
        .and_then(|l| l.get("self"))
        .and_then(|s| str_at(s, "href"))
        .and_then(policy_id_of)
}

fn policy_link(app: Option<&Value>, objects: &Objects) -> Finding {
    let access_rules: Vec<&&Value> = objects
        .rules
        .iter()
        .filter(|r| str_at(r, "type") == Some("ACCESS_POLICY"))
        .collect();
    let app_policy = app
        .and_then(|a| a.get("_links"))
        .and_then(|l| l.get("accessPolicy"))
        .and_then(|p| str_at(p, "href"))
        .and_then(policy_id_of);
    let mut rule_policies: Vec<&str> = access_rules.iter().filter_map(|r| rule_policy_id(r)).collect();
    rule_policies.sort_unstable();
    rule_policies.dedup();
    let f =
        if access_rules.is_empty() {
            Finding::new(
            ids::OKTA_POLICY_LINK,
            Status::Warn,
            "no authentication policy rules (type ACCESS_POLICY) in the input: fedcheck cannot tell who signs in to \
Office 365 without MFA",
        )
        .fix(format!(
            "Add the rules of the app's authentication policy: GET /api/v1/policies/{}/rules",
            app_policy.unwrap_or("{policyId}")
        ))
        } else {
            match (app_policy, rule_policies.as_slice()) {
            (Some(a), [r]) if a == *r => Finding::new(
                ids::OKTA_POLICY_LINK,
                Status::Pass,
                format!("the rules belong to the app's authentication policy {a}"),
            ),
            (Some(a), rs) if !rs.is_empty() => Finding::new(
                ids::OKTA_POLICY_LINK,
                Status::Warn,
                format!(
                    "the app uses the authentication policy {a}, but the rules belong to {}: the findings below may be \
about another app's policy",
                    rs.join(", ")
                ),
            )
            .fix(format!("Lint the rules of the app's policy: GET /api/v1/policies/{a}/rules")),
            _ => Finding::new(
                ids::OKTA_POLICY_LINK,
                Status::Info,
                "fedcheck cannot tie the rules to the app (no _links.accessPolicy on the app or no _links.self on the \
rules): the findings below assume they are the app's authentication policy",
            ),
        }
        };
    f.setting("_links.accessPolicy.href / rules[]._links.self.href")
        .value_opt(app_policy)
        .docs(&[docs::OKTA_POLICY_API, docs::OKTA_APPS_API])
}

/// Whether a rule requires more than one factor.
enum Verification {
    Mfa(String),
    OneFactor(String),
    Unknown(String),
    Deny,
}

fn verification(rule: &Value) -> Verification {
    let actions = rule.get("actions");
    match str_at(rule, "type") {
        Some("ACCESS_POLICY") => {
            let sign_on = actions.and_then(|a| a.get("appSignOn"));
            if sign_on.and_then(|s| str_at(s, "access")) == Some("DENY") {
                return Verification::Deny;
            }
            let Some(vm) = sign_on.and_then(|s| s.get("verificationMethod")) else {
                return Verification::Unknown("it has no verificationMethod".into());
            };
            match str_at(vm, "type") {
                Some("ASSURANCE") | None => match str_at(vm, "factorMode") {
                    Some("2FA") => Verification::Mfa("factorMode 2FA".into()),
                    Some("1FA") => Verification::OneFactor("factorMode 1FA: any one factor is enough".into()),
                    other => Verification::Unknown(format!("factorMode {}", other.unwrap_or("absent"))),
                },
                Some("AUTH_METHOD_CHAIN") => {
                    let chains = vm.get("chains").and_then(Value::as_array);
                    let all_two = chains.is_some_and(|c| {
                        !c.is_empty()
                            && c.iter()
                                .all(|ch| ch.get("next").and_then(Value::as_array).is_some_and(|n| !n.is_empty()))
                    });
                    if all_two {
                        Verification::Mfa("every authentication method chain has a second step".into())
                    } else {
                        Verification::Unknown(
                            "an authentication method chain has a single step: fedcheck does not judge whether that \
method alone is two factors"
                                .into(),
                        )
                    }
                }
                Some(other) => Verification::Unknown(format!("verificationMethod type {other}")),
            }
        }
        Some("OKTA_SIGN_ON") => {
            let signon = actions.and_then(|a| a.get("signon"));
            if signon.and_then(|s| str_at(s, "access")) == Some("DENY") {
                return Verification::Deny;
            }
            match signon.and_then(|s| s.get("requireFactor")).and_then(Value::as_bool) {
                Some(true) => Verification::Mfa("requireFactor true".into()),
                Some(false) => Verification::OneFactor("requireFactor false".into()),
                None => Verification::Unknown("requireFactor absent".into()),
            }
        }
        other => Verification::Unknown(format!("rule type {}", other.unwrap_or("absent"))),
    }
}

/// Who a rule applies to, in words.
fn who(rule: &Value) -> String {
    let c = rule.get("conditions").filter(|c| !c.is_null());
    let mut parts = Vec::new();
    let list = |v: Option<&Value>, key: &str| strings(v.and_then(|x| x.get(key)));
    if let Some(c) = c {
        let people = c.get("people");
        let users = people.and_then(|p| p.get("users"));
        let groups = people.and_then(|p| p.get("groups"));
        for (what, v, key) in [
            ("users", users, "include"),
            ("groups", groups, "include"),
            ("all but the users", users, "exclude"),
            ("all but the groups", groups, "exclude"),
        ] {
            let ids = list(v, key);
            if !ids.is_empty() {
                parts.push(format!("{what} {}", ids.join(", ")));
            }
        }
        if let Some(n) = c.get("network") {
            match str_at(n, "connection") {
                Some("ZONE") => {
                    let inc = strings(n.get("include"));
                    let exc = strings(n.get("exclude"));
                    if !inc.is_empty() {
                        parts.push(format!("signing in from network zone {}", inc.join(", ")));
                    }
                    if !exc.is_empty() {
                        parts.push(format!("signing in from outside network zone {}", exc.join(", ")));
                    }
                }
                Some("ON_NETWORK") => parts.push("signing in on the network".into()),
                Some("OFF_NETWORK") => parts.push("signing in off the network".into()),
                _ => {}
            }
        }
        if let Some(e) = c.get("elCondition").and_then(|e| str_at(e, "condition")) {
            parts.push(format!("when {e}"));
        }
        if let Some(p) = c
            .get("platform")
            .and_then(|p| p.get("include"))
            .and_then(Value::as_array)
        {
            let types: Vec<String> = p
                .iter()
                .filter_map(|x| {
                    let t = str_at(x, "type")?;
                    Some(match x.get("os").and_then(|o| str_at(o, "type")) {
                        Some(os) => format!("{t}/{os}"),
                        None => t.to_string(),
                    })
                })
                .collect();
            if !types.is_empty() {
                parts.push(format!("on {}", types.join(", ")));
            }
        }
        if let Some(level) = c
            .get("riskScore")
            .and_then(|r| str_at(r, "level"))
            .filter(|l| *l != "ANY")
        {
            parts.push(format!("at risk level {level}"));
        }
    }
    if parts.is_empty() {
        "every user not matched by a rule of higher priority".into()
    } else {
        parts.join(", ")
    }
}

fn exemptions(objects: &Objects) -> Vec<Finding> {
    let mut rules: Vec<&&Value> = objects.rules.iter().collect();
    rules.sort_by_key(|r| {
        (
            str_at(r, "type").unwrap_or("").to_string(),
            r.get("priority").and_then(Value::as_i64).unwrap_or(i64::MAX),
        )
    });
    let mut out = Vec::new();
    let mut with_mfa = Vec::new();
    let mut inactive = Vec::new();
    for rule in rules {
        let label = rule_label(rule);
        if str_at(rule, "status").is_some_and(|s| s != "ACTIVE") {
            inactive.push(label);
            continue;
        }
        match verification(rule) {
            Verification::Deny => {}
            Verification::Mfa(d) => with_mfa.push(format!("{label}: {d}")),
            Verification::Unknown(d) => out.push(unknown_finding(rule, &label, d)),
            Verification::OneFactor(d) => out.push(one_factor_finding(rule, &label, d)),
        }
    }
    if out.is_empty() && !with_mfa.is_empty() {
        out.push(
            Finding::new(
                ids::OKTA_MFA_EXEMPTION,
                Status::Pass,
                format!(
                    "every active rule that grants access requires MFA: {}{}",
                    with_mfa.join("; "),
                    if inactive.is_empty() {
                        String::new()
                    } else {
                        format!(" (inactive, not evaluated: {})", inactive.join(", "))
                    }
                ),
            )
            .setting("rules[].actions")
            .docs(&[docs::OKTA_O365_MFA, docs::OKTA_KB_PASS_CLAIM, docs::OKTA_POLICY_API]),
        );
    } else if out.is_empty() && with_mfa.is_empty() && !objects.rules.is_empty() {
        out.push(
            Finding::new(
                ids::OKTA_MFA_EXEMPTION,
                Status::Info,
                "no active rule grants access (all deny or inactive)",
            )
            .setting("rules[].actions")
            .docs(&[docs::OKTA_POLICY_API]),
        );
    }
    out
}

/// How findings name a policy rule: its name, its policy's kind and its priority.
fn rule_label(rule: &Value) -> String {
    let name = str_at(rule, "name").unwrap_or("?");
    let kind = str_at(rule, "type").unwrap_or("?");
    format!(
        "rule \"{name}\" ({}, priority {})",
        if kind == "OKTA_SIGN_ON" {
            "global session policy"
        } else {
            "authentication policy"
        },
        rule.get("priority").map(show).unwrap_or_else(|| "?".into())
    )
}

/// The setting of a rule that decides the factors: `requireFactor` in the Okta sign-on policy, the verification
/// method in an authentication policy.
fn factor_setting(rule: &Value) -> String {
    let name = str_at(rule, "name").unwrap_or("?");
    if str_at(rule, "type") == Some("OKTA_SIGN_ON") {
        format!("rules[name={name:?}].actions.signon.requireFactor")
    } else {
        format!("rules[name={name:?}].actions.appSignOn.verificationMethod")
    }
}

/// `okta.mfa-exemption` (warn) for an active rule whose factors fedcheck cannot read (`d`: why).
fn unknown_finding(rule: &Value, label: &str, d: String) -> Finding {
    let setting = factor_setting(rule);
    Finding::new(
        ids::OKTA_MFA_EXEMPTION,
        Status::Warn,
        format!(
            "fedcheck cannot tell whether {label} requires MFA for {}: {d}",
            who(rule)
        ),
    )
    .setting(setting)
    .docs(&[docs::OKTA_POLICY_API])
}

/// `okta.mfa-exemption` for an active rule that grants access with one factor (`d`: how): a warning in the Okta
/// sign-on policy, a failure in the app's authentication policy.
fn one_factor_finding(rule: &Value, label: &str, d: String) -> Finding {
    let setting = factor_setting(rule);
    if str_at(rule, "type") == Some("OKTA_SIGN_ON") {
        return Finding::new(
            ids::OKTA_MFA_EXEMPTION,
            Status::Warn,
            format!(
                "{label} lets {} sign in to Okta with one factor ({d}). In Classic Engine an MFA prompt of the \
Okta sign-on policy is what lets Okta send Entra the MFA claim; in Identity Engine the app's authentication policy \
decides. Pass that policy's rules to see who Office 365 exempts",
                who(rule)
            ),
        )
        .setting(setting)
        .value(d)
        .docs(&[docs::OKTA_KB_PASS_CLAIM, docs::OKTA_POLICY_API]);
    }
    let zone = rule
        .get("conditions")
        .and_then(|c| c.get("network"))
        .and_then(|n| str_at(n, "connection"))
        == Some("ZONE");
    Finding::new(
        ids::OKTA_MFA_EXEMPTION,
        Status::Fail,
        format!(
            "{label} lets {} sign in to Office 365 without MFA ({d}). Okta documents, as a known issue of \
\"Use Okta MFA for Azure AD\", that it sends Entra a successful MFA claim even for users its Office 365 sign-on policy \
exempts from MFA (Classic Engine): Entra then skips its own MFA for them. In Identity Engine Okta documents that every \
rule that grants access must require MFA for the claim to be sent, so these users reach Entra without it{}",
            who(rule),
            if zone {
                "; for rules that skip MFA inside a network zone Okta documents a sign-in loop when Entra \
requires MFA"
            } else {
                ""
            }
        ),
    )
    .setting(setting)
    .value(d)
    .fix(
        "Require two factors in this rule (Identity Engine: User must authenticate with Password / IdP + \
Another factor, or Any 2 factor types; Classic Engine: Prompt for factor), or deny access instead of exempting users",
    )
    .docs(&[
        docs::OKTA_O365_MFA,
        docs::OKTA_KB_CLASSIC,
        docs::OKTA_KB_PASS_CLAIM,
        docs::OKTA_O365_MFA_OIE,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn policy_ids_from_links() {
        assert_eq!(
            policy_id_of("https://x.okta.com/api/v1/policies/rst1/rules/rul2"),
            Some("rst1")
        );
        assert_eq!(policy_id_of("https://x.okta.com/api/v1/policies/rst1"), Some("rst1"));
        assert_eq!(policy_id_of("https://x.okta.com/api/v1/apps/0oa1"), None);
    }

    #[test]
    fn verification_methods() {
        let rule = |vm: Value| json!({"type": "ACCESS_POLICY", "actions": {"appSignOn": {"access": "ALLOW", "verificationMethod": vm}}});
        assert!(matches!(
            verification(&rule(json!({"type": "ASSURANCE", "factorMode": "2FA"}))),
            Verification::Mfa(_)
        ));
        assert!(matches!(
            verification(&rule(json!({"type": "ASSURANCE", "factorMode": "1FA"}))),
            Verification::OneFactor(_)
        ));
        let chain = json!({"type": "AUTH_METHOD_CHAIN", "chains": [{"authenticationMethods": [{"key": "okta_password"}], "next": [{"authenticationMethods": [{"key": "phone_number"}]}]}]});
        assert!(matches!(verification(&rule(chain)), Verification::Mfa(_)));
        let single =
            json!({"type": "AUTH_METHOD_CHAIN", "chains": [{"authenticationMethods": [{"key": "okta_verify"}]}]});
        assert!(matches!(verification(&rule(single)), Verification::Unknown(_)));
        let deny = json!({"type": "ACCESS_POLICY", "actions": {"appSignOn": {"access": "DENY"}}});
        assert!(matches!(verification(&deny), Verification::Deny));
    }

    #[test]
    fn who_reads_conditions() {
        let r = json!({"conditions": {"people": {"groups": {"include": ["00g1"]}}, "network": {"connection": "ZONE", "include": ["nzo1"]}}});
        assert_eq!(who(&r), "groups 00g1, signing in from network zone nzo1");
        assert_eq!(
            who(&json!({"conditions": null})),
            "every user not matched by a rule of higher priority"
        );
    }
}
