//! An AD FS relying-party trust as `Get-AdfsRelyingPartyTrust -Name "Microsoft Office 365 Identity Platform" |
//! ConvertTo-Json` writes it (Windows PowerShell 5.1: PascalCase properties, enums as numbers, dates as
//! `/Date(ms)/`; an array when several trusts are piped). It reads what decides whether the token is signed and
//! whether MFA happens before the claim is issued: `SamlResponseSignature`, `SignatureAlgorithm`, the access control
//! policy (`AccessControlPolicyName` and the `ResultantPolicy` it resolves to, whose `Serialized` XML holds the
//! policy's rules) and `AdditionalAuthenticationRules`; then it hands `IssuanceTransformRules` to the claim-rule
//! lint of [`crate::adfs`].

use super::{docs, show, str_at, strings, ConfigReport, Encoding, Finding, InputFile, Kind, LintError};
use crate::adfs::{self, Body, Expr, RuleSet, Unparsed, Verb};
use crate::rules::ids;
use crate::rules::{Status, AUTHMETHOD_URI, ENTRA_AUDIENCE, MULTIPLEAUTHN};
use crate::xml::{Document, Limits, NodeId};
use serde_json::Value;

/// RSA-SHA256, the signature algorithm Microsoft recommends for the trust.
pub const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
/// RSA-SHA1, still accepted by Entra.
pub const RSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
/// The namespace of an access control policy's metadata (`PolicyMetadata`).
pub const POLICY_NS: &str = "http://schemas.datacontract.org/2012/04/ADFS";
const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// Whether a source of policy requires MFA.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Mfa {
    /// For every sign-in it permits: how.
    All(String),
    /// Only for some sign-ins: which are left without.
    Partly(String),
    /// For none: why.
    Not(String),
    /// fedcheck cannot tell: why.
    Unknown(String),
}

/// Lints a trust export (one trust, or an array of trusts).
pub fn lint(file: &str, encoding: Encoding, v: &Value) -> Result<ConfigReport, LintError> {
    let trusts: Vec<&Value> = match v {
        Value::Array(items) => items.iter().filter(|t| t.is_object()).collect(),
        Value::Object(_) => vec![v],
        _ => Vec::new(),
    };
    if trusts.is_empty() {
        return Err(LintError::NotThatKind {
            file: file.to_string(),
            kind: Kind::AdfsRp.name(),
            reason: "no relying-party trust object in the JSON".into(),
        });
    }
    let report = |subject: String, checks: Vec<Finding>| {
        let inputs = vec![InputFile {
            path: file.to_string(),
            role: "Get-AdfsRelyingPartyTrust | ConvertTo-Json".into(),
            status: "read",
        }];
        ConfigReport::new(Kind::AdfsRp, file, Some(encoding), subject, inputs, checks)
    };
    let (trust, found) = entra_trust(&trusts);
    let mut checks = vec![found];
    let Some(trust) = trust else {
        return Ok(report(format!("{} relying-party trusts", trusts.len()), checks));
    };
    let name = str_at(trust, "Name").unwrap_or("?").to_string();
    checks.push(enabled(trust, &name));
    checks.push(response_signature(trust, &name));
    checks.push(signature_algorithm(trust, &name));
    checks.extend(mfa_required(trust, &name));
    checks.extend(issuance_rules(trust));
    Ok(report(format!("relying party trust \"{name}\""), checks))
}

/// `adfs-rp.trust`: the trust with Entra's identifier, else the only trust exported (with a warning), else none.
fn entra_trust<'a>(trusts: &[&'a Value]) -> (Option<&'a Value>, Finding) {
    let is_entra = |t: &&&Value| strings(t.get("Identifier")).iter().any(|i| i == ENTRA_AUDIENCE);
    let finding = |status, message: String, t: Option<&Value>| {
        Finding::new(ids::ADFS_RP_TRUST, status, message)
            .setting("Identifier")
            .value_opt(t.map(|t| strings(t.get("Identifier")).join(", ")))
            .docs(&[docs::ADFS_SET_RP])
    };
    match trusts.iter().find(is_entra) {
        Some(t) => (
            Some(*t),
            finding(
                Status::Pass,
                format!(
                    "relying-party trust \"{}\" has the identifier {ENTRA_AUDIENCE} (Entra){}",
                    str_at(t, "Name").unwrap_or("?"),
                    str_at(t, "ProtocolProfile")
                        .map(|p| format!("; protocol profile {p}"))
                        .unwrap_or_default()
                ),
                Some(t),
            ),
        ),
        None if trusts.len() == 1 => (
            Some(trusts[0]),
            finding(
                Status::Warn,
                format!(
                    "relying-party trust \"{}\" does not have the identifier {ENTRA_AUDIENCE}: Entra's trust (Azure AD \
Connect names it \"Microsoft Office 365 Identity Platform\") does; the findings below are about this trust",
                    str_at(trusts[0], "Name").unwrap_or("?")
                ),
                Some(trusts[0]),
            )
            .fix("Export Entra's trust: Get-AdfsRelyingPartyTrust -Identifier urn:federation:MicrosoftOnline | ConvertTo-Json"),
        ),
        None => {
            let names: Vec<&str> = trusts.iter().filter_map(|t| str_at(t, "Name")).collect();
            let f = finding(
                Status::Fail,
                format!(
                    "none of the {} relying-party trusts has the identifier {ENTRA_AUDIENCE}: Entra has no trust on \
this AD FS (trusts: {})",
                    trusts.len(),
                    names.join(", ")
                ),
                None,
            )
            .fix("Federate the domain with Azure AD Connect (or Microsoft Graph PowerShell), which creates the trust \
\"Microsoft Office 365 Identity Platform\"");
            (None, f)
        }
    }
}

/// `adfs-rp.enabled`.
fn enabled(trust: &Value, name: &str) -> Finding {
    match trust.get("Enabled").and_then(Value::as_bool) {
        Some(true) => Finding::new(ids::ADFS_RP_ENABLED, Status::Pass, "the trust is enabled")
            .setting("Enabled")
            .value("true"),
        Some(false) => Finding::new(
            ids::ADFS_RP_ENABLED,
            Status::Fail,
            "the trust is disabled: AD FS issues no token for Entra",
        )
        .setting("Enabled")
        .value("false")
        .fix(format!("Enable-AdfsRelyingPartyTrust -TargetName \"{name}\"")),
        None => Finding::new(ids::ADFS_RP_ENABLED, Status::Warn, "Enabled is not in the export").setting("Enabled"),
    }
    .docs(&[docs::ADFS_SET_RP])
}

/// `IssuanceTransformRules`: the claim-rule lint of [`crate::adfs`], or `adfs-rp.issuance-rules` when there are none.
fn issuance_rules(trust: &Value) -> Vec<Finding> {
    match str_at(trust, "IssuanceTransformRules").filter(|r| !r.trim().is_empty()) {
        Some(rules) => rule_findings(rules, "IssuanceTransformRules"),
        None => {
            vec![Finding::new(
            ids::ADFS_RP_ISSUANCE_RULES,
            Status::Fail,
            "the trust has no issuance transform rules: the token carries none of the claims Entra needs \
(ImmutableID, UPN, the MFA claim)",
        )
        .setting("IssuanceTransformRules")
        .value_opt(trust.get("IssuanceTransformRules").map(show))
        .fix("Restore Azure AD Connect's rules for the trust (Azure AD Connect: Manage federation > Reset Microsoft \
Entra ID trust)")
        .docs(&[docs::ADFS_AADCONNECT_RULES])]
        }
    }
}

fn response_signature(trust: &Value, name: &str) -> Finding {
    let value = trust.get("SamlResponseSignature").map(show);
    let f = match value.as_deref() {
        Some("AssertionOnly") => Finding::new(
            ids::ADFS_RP_RESPONSE_SIGNATURE,
            Status::Pass,
            "AD FS signs the assertion (AssertionOnly, the default): Entra verifies the assertion's signature",
        ),
        Some("MessageAndAssertion") => Finding::new(
            ids::ADFS_RP_RESPONSE_SIGNATURE,
            Status::Pass,
            "AD FS signs the assertion and the message around it (MessageAndAssertion)",
        ),
        Some("MessageOnly") => Finding::new(
            ids::ADFS_RP_RESPONSE_SIGNATURE,
            Status::Fail,
            "AD FS signs only the message, not the assertion (MessageOnly): Entra requires the assertion itself to be \
signed and refuses the token",
        )
        .fix(format!(
            "Set-AdfsRelyingPartyTrust -TargetName \"{name}\" -SamlResponseSignature AssertionOnly"
        )),
        Some(other) => Finding::new(
            ids::ADFS_RP_RESPONSE_SIGNATURE,
            Status::Warn,
            format!(
                "SamlResponseSignature is {other:?}, not one of the values AD FS documents (AssertionOnly, \
MessageAndAssertion, MessageOnly): fedcheck cannot tell whether the assertion is signed"
            ),
        ),
        None => Finding::new(
            ids::ADFS_RP_RESPONSE_SIGNATURE,
            Status::Warn,
            "SamlResponseSignature is not in the export: fedcheck cannot tell whether the assertion is signed",
        )
        .fix("Export the whole trust: Get-AdfsRelyingPartyTrust -Identifier urn:federation:MicrosoftOnline | ConvertTo-Json"),
    };
    f.setting("SamlResponseSignature")
        .value_opt(value)
        .docs(&[docs::ADFS_SET_RP, docs::ENTRA_SAML_IDP])
}

fn signature_algorithm(trust: &Value, name: &str) -> Finding {
    let value = trust.get("SignatureAlgorithm").map(show);
    let f = match value.as_deref() {
        Some(RSA_SHA256) => Finding::new(
            ids::ADFS_RP_SIGNATURE_ALGORITHM,
            Status::Pass,
            "AD FS signs with RSA-SHA256",
        ),
        Some(RSA_SHA1) => Finding::new(
            ids::ADFS_RP_SIGNATURE_ALGORITHM,
            Status::Warn,
            "AD FS signs with RSA-SHA1: Entra still accepts it, Microsoft recommends RSA-SHA256",
        )
        .fix(format!(
            "Set-AdfsRelyingPartyTrust -TargetName \"{name}\" -SignatureAlgorithm \"{RSA_SHA256}\""
        )),
        Some(other) => Finding::new(
            ids::ADFS_RP_SIGNATURE_ALGORITHM,
            Status::Warn,
            format!(
                "SignatureAlgorithm is {other:?}, neither of the two URIs AD FS documents ({RSA_SHA256}, {RSA_SHA1}; \
note the http://, not https://)"
            ),
        )
        .fix(format!(
            "Set-AdfsRelyingPartyTrust -TargetName \"{name}\" -SignatureAlgorithm \"{RSA_SHA256}\""
        )),
        None => Finding::new(
            ids::ADFS_RP_SIGNATURE_ALGORITHM,
            Status::Warn,
            "SignatureAlgorithm is not in the export",
        ),
    };
    f.setting("SignatureAlgorithm")
        .value_opt(value)
        .docs(&[docs::ADFS_SET_RP, docs::ENTRA_SHA256])
}

/// The built-in access control policies of AD FS 2016 and later, by name, used only when the export lacks the
/// policy's rules (`ResultantPolicy.Serialized`).
fn builtin_policy(name: &str) -> Option<Mfa> {
    let by_name = |s: &str| format!("the built-in policy \"{name}\" {s} (judged by its name)");
    Some(match name {
        "Permit everyone" | "Permit everyone for intranet access" | "Permit specific group" => {
            Mfa::Not(by_name("permits without an MFA condition"))
        }
        "Permit everyone and require MFA" => Mfa::All(by_name("requires MFA")),
        "Permit everyone and require MFA for specific group"
        | "Permit everyone and require MFA from extranet access"
        | "Permit everyone and require MFA from unauthenticated devices"
        | "Permit everyone and require MFA, allow automatic device registration" => {
            Mfa::Partly(by_name("requires MFA only for some sign-ins"))
        }
        _ => return None,
    })
}

/// Reads a `PolicyMetadata` document: each `IssuanceAuthorizationRules/Rule` permits when all its conditions hold;
/// a rule without a `MultiFactorAuthenticationCondition` permits without MFA.
fn policy_mfa(xml: &str) -> Mfa {
    let doc = match Document::parse(xml.as_bytes(), &Limits::default()) {
        Ok(d) => d,
        Err(e) => {
            return Mfa::Unknown(format!(
                "its rules (ResultantPolicy.Serialized) are not XML fedcheck reads: {e}"
            ))
        }
    };
    let root = doc.root();
    if !doc.element(root).is_some_and(|e| e.is(POLICY_NS, "PolicyMetadata")) {
        return Mfa::Unknown("its rules (ResultantPolicy.Serialized) are not a PolicyMetadata document".into());
    }
    let rules: Vec<NodeId> = doc
        .children_named(root, POLICY_NS, "IssuanceAuthorizationRules")
        .flat_map(|r| doc.children_named(r, POLICY_NS, "Rule").collect::<Vec<_>>())
        .collect();
    if rules.is_empty() {
        return Mfa::Unknown("its rules permit no one (no IssuanceAuthorizationRules/Rule)".into());
    }
    let mut with = Vec::new();
    let mut without = Vec::new();
    let mut other_parts = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        let conditions: Vec<(String, bool)> = doc
            .find_all(*rule, POLICY_NS, "Condition")
            .into_iter()
            .filter_map(|cond| policy_condition(&doc, cond))
            .collect();
        for child in doc.child_elements(*rule) {
            if let Some(e) = doc.element(child) {
                if e.local != "Conditions" {
                    other_parts.push(e.local.clone());
                }
            }
        }
        let text = format!(
            "rule {} ({})",
            i + 1,
            conditions
                .iter()
                .map(|(t, _)| t.as_str())
                .collect::<Vec<_>>()
                .join(" and ")
        );
        if conditions.iter().any(|(_, mfa)| *mfa) {
            with.push(text);
        } else {
            without.push(text);
        }
    }
    let caveat = if other_parts.is_empty() {
        String::new()
    } else {
        format!(
            "; the rules also have parts fedcheck does not evaluate ({})",
            other_parts.join(", ")
        )
    };
    match (with.is_empty(), without.is_empty()) {
        (false, true) => Mfa::All(format!(
            "every rule of the policy requires MFA: {}{caveat}",
            with.join("; ")
        )),
        (true, _) => Mfa::Not(format!(
            "no rule of the policy has an MFA condition: {}{caveat}",
            without.join("; ")
        )),
        (false, false) => Mfa::Partly(format!(
            "these rules permit without MFA: {} (MFA only through {}){caveat}",
            without.join("; "),
            with.join("; ")
        )),
    }
}

/// One `Condition` of an access control policy rule, in words (`MultiFactorAuthentication IsPresent`), and whether
/// it requires MFA.
fn policy_condition(doc: &Document, cond: NodeId) -> Option<(String, bool)> {
    let e = doc.element(cond)?;
    let t = e
        .attrs
        .iter()
        .find(|a| a.local == "type" && a.ns.as_deref() == Some(XSI_NS))
        .map(|a| a.value.clone())
        .unwrap_or_else(|| "?".into());
    let op = doc
        .child_named(cond, POLICY_NS, "Operator")
        .map(|o| doc.text(o).trim().to_string())
        .unwrap_or_default();
    let values: Vec<String> = doc
        .find_all(cond, POLICY_NS, "Value")
        .into_iter()
        .map(|v| doc.text(v).trim().to_string())
        .collect();
    let mfa = t == "MultiFactorAuthenticationCondition" && op == "IsPresent";
    let short = t.strip_suffix("Condition").unwrap_or(&t).to_string();
    let text = if values.is_empty() {
        format!("{short} {op}").trim().to_string()
    } else {
        format!("{short} {op} {}", values.join("|"))
    };
    Some((text, mfa))
}

/// What the access control policy says about MFA; `None` when the trust has none.
fn access_policy(trust: &Value) -> Option<(String, Mfa)> {
    let name = str_at(trust, "AccessControlPolicyName").filter(|n| !n.trim().is_empty())?;
    let resultant = trust.get("ResultantPolicy");
    let serialized = resultant.and_then(|r| r.get("Serialized")).and_then(Value::as_str);
    let mfa = match serialized {
        Some(xml) => policy_mfa(xml),
        None => builtin_policy(name).unwrap_or_else(|| {
            Mfa::Unknown(format!(
                "the policy \"{name}\" is not built in and the export has no ResultantPolicy.Serialized to read its \
rules from (ConvertTo-Json at its default -Depth 2 includes it; a deeper cut or Format-List output does not)"
            ))
        }),
    };
    Some((name.to_string(), mfa))
}

/// What AdditionalAuthenticationRules say about MFA; `None` when empty.
fn additional_rules(trust: &Value) -> Option<(RuleSet, Mfa)> {
    let text = str_at(trust, "AdditionalAuthenticationRules").filter(|t| !t.trim().is_empty())?;
    let set = adfs::parse(text);
    let triggers: Vec<&adfs::Rule> = set
        .rules
        .iter()
        .filter(|r| {
            r.action.verb == Verb::Issue
                && matches!(&r.action.body, Body::New {
                    claim_type: Some(Expr::Str(t)),
                    value: Some(Expr::Str(v)),
                    ..
                } if t.eq_ignore_ascii_case(AUTHMETHOD_URI) && v.eq_ignore_ascii_case(MULTIPLEAUTHN))
        })
        .collect();
    let mfa = if let Some(r) = triggers.iter().find(|r| r.conditions.is_empty()) {
        Mfa::All(format!(
            "AdditionalAuthenticationRules line {} triggers MFA for every sign-in",
            r.line
        ))
    } else if !triggers.is_empty() {
        Mfa::Partly(format!(
            "AdditionalAuthenticationRules trigger MFA only {}",
            triggers
                .iter()
                .map(|r| {
                    let summary = adfs::summary(r);
                    let when = summary
                        .split_once(", when ")
                        .map(|(_, w)| w.to_string())
                        .unwrap_or(summary);
                    format!("when {when} (line {})", r.line)
                })
                .collect::<Vec<_>>()
                .join("; or ")
        ))
    } else if !set.unparsed.is_empty() {
        Mfa::Unknown(format!(
            "AdditionalAuthenticationRules has {} rule(s) fedcheck does not understand",
            set.unparsed.len()
        ))
    } else {
        Mfa::Not(
            "AdditionalAuthenticationRules issues no authenticationmethod = multipleauthn (the MFA trigger)".into(),
        )
    };
    Some((set, mfa))
}

fn mfa_required(trust: &Value, name: &str) -> Vec<Finding> {
    let acp = access_policy(trust);
    let extra = additional_rules(trust);
    let mut found: Vec<&Mfa> = Vec::new();
    let mut parts = Vec::new();
    match &acp {
        Some((n, m)) => {
            let (Mfa::All(d) | Mfa::Partly(d) | Mfa::Not(d) | Mfa::Unknown(d)) = m;
            parts.push(format!("access control policy \"{n}\": {d}"));
            found.push(m);
        }
        None => parts.push("no access control policy".into()),
    }
    match &extra {
        Some((_, m)) => {
            let (Mfa::All(d) | Mfa::Partly(d) | Mfa::Not(d) | Mfa::Unknown(d)) = m;
            parts.push(d.clone());
            found.push(m);
        }
        None => parts.push("no AdditionalAuthenticationRules".into()),
    }
    let any_all = found.iter().any(|m| matches!(m, Mfa::All(_)));
    let any_partly = found.iter().any(|m| matches!(m, Mfa::Partly(_)));
    let any_unknown = found.iter().any(|m| matches!(m, Mfa::Unknown(_)));
    let acp_value = format!(
        "{} / {}",
        trust
            .get("AccessControlPolicyName")
            .filter(|v| !v.is_null())
            .map(show)
            .unwrap_or_else(|| "null".into()),
        match &extra {
            Some((set, _)) => format!("{} rule(s)", set.rules.len() + set.unparsed.len()),
            None => "null".into(),
        }
    );
    let what = parts.join("; ");
    let elsewhere = "a global additional authentication rule requires it (Get-AdfsAdditionalAuthenticationRule, not \
part of this export) or Entra asks for it (federatedIdpMfaBehavior = enforceMfaByFederatedIdp)";
    let fix = format!(
        "Require MFA on the trust: Set-AdfsRelyingPartyTrust -TargetName \"{name}\" -AccessControlPolicyName \"Permit \
everyone and require MFA\" (AD FS 2016 and later), or -AdditionalAuthenticationRules '=> issue(Type = \
\"{AUTHMETHOD_URI}\", Value = \"{MULTIPLEAUTHN}\");' with an MFA provider enabled. If Entra does MFA itself \
(federatedIdpMfaBehavior = rejectMfaByFederatedIdp), this finding does not apply."
    );
    let (status, message) = if any_all {
        (
            Status::Pass,
            format!("the trust requires MFA for every sign-in: {what}"),
        )
    } else if any_partly {
        (
            Status::Warn,
            format!(
                "the trust requires MFA only for some sign-ins: {what}. The others reach Entra without an MFA claim \
unless {elsewhere}"
            ),
        )
    } else if any_unknown {
        (
            Status::Warn,
            format!("fedcheck cannot tell whether the trust requires MFA: {what}"),
        )
    } else {
        (
            Status::Fail,
            format!("the trust requires MFA for no one: {what}. Its tokens carry no MFA claim unless {elsewhere}"),
        )
    };
    let mut f = Finding::new(ids::ADFS_RP_MFA_REQUIRED, status, message)
        .setting("AccessControlPolicyName (ResultantPolicy.Serialized) / AdditionalAuthenticationRules")
        .value(acp_value)
        .docs(&[docs::ADFS_ACP, docs::ADFS_AUTHN_POLICIES, docs::ENTRA_MFA_ADFS]);
    if status != Status::Pass {
        f = f.fix(fix);
    }
    let mut out = vec![f];
    if let Some((set, _)) = &extra {
        out.extend(set.unparsed.iter().map(unparsed_rule));
    }
    out
}

/// `adfs-rp.unparsed`: an `AdditionalAuthenticationRules` rule not understood.
fn unparsed_rule(u: &Unparsed) -> Finding {
    Finding::new(
        ids::ADFS_RP_UNPARSED,
        Status::Warn,
        format!(
            "AdditionalAuthenticationRules line {}: not understood: {} (rule text: {})",
            u.line, u.reason, u.text
        ),
    )
    .setting(format!("AdditionalAuthenticationRules, line {}", u.line))
    .fix("Check the rule in the AD FS console; fedcheck did not evaluate it")
    .docs(&[docs::ADFS_AUTHN_POLICIES])
}

/// The claim-rule lint of a rule text inside the trust, as findings.
fn rule_findings(text: &str, setting: &str) -> Vec<Finding> {
    let set = adfs::parse(text);
    adfs::lint(&set)
        .into_iter()
        .map(|lc| {
            let at = match (&lc.line, &lc.rule) {
                (Some(l), Some(n)) => format!("{setting}, line {l} (\"{n}\")"),
                (Some(l), None) => format!("{setting}, line {l}"),
                _ => setting.to_string(),
            };
            let docs = docs::adfs_rules(lc.check.id);
            Finding {
                check: lc.check,
                setting: Some(at),
                value: None,
                docs: docs.to_vec(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PERMIT_ALL: &str = r#"<PolicyMetadata xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.datacontract.org/2012/04/ADFS"><RequireFreshAuthentication>false</RequireFreshAuthentication><IssuanceAuthorizationRules><Rule><Conditions><Condition i:type="AlwaysCondition"><Operator>IsPresent</Operator></Condition></Conditions></Rule></IssuanceAuthorizationRules></PolicyMetadata>"#;

    #[test]
    fn policy_rules_are_read() {
        assert!(matches!(policy_mfa(PERMIT_ALL), Mfa::Not(_)));
        let mfa = PERMIT_ALL.replace(
            "<Condition i:type=\"AlwaysCondition\"><Operator>IsPresent</Operator></Condition>",
            "<Condition i:type=\"MultiFactorAuthenticationCondition\"><Operator>IsPresent</Operator><Values /></Condition>",
        );
        assert!(matches!(policy_mfa(&mfa), Mfa::All(_)), "{:?}", policy_mfa(&mfa));
        let both = mfa.replace(
            "</IssuanceAuthorizationRules>",
            "<Rule><Conditions><Condition i:type=\"LocationCondition\"><Operator>Equals</Operator><Values><Value>Intranet</Value></Values></Condition></Conditions></Rule></IssuanceAuthorizationRules>",
        );
        let Mfa::Partly(d) = policy_mfa(&both) else {
            panic!("{:?}", policy_mfa(&both))
        };
        assert!(d.contains("Location Equals Intranet"), "{d}");
        assert!(matches!(policy_mfa("not xml"), Mfa::Unknown(_)));
        assert!(matches!(policy_mfa("<x/>"), Mfa::Unknown(_)));
    }

    #[test]
    fn additional_rules_trigger() {
        let t = serde_json::json!({"AdditionalAuthenticationRules": format!("c:[Type == \"http://schemas.microsoft.com/ws/2012/01/insidecorporatenetwork\", Value == \"false\"] => issue(Type = \"{AUTHMETHOD_URI}\", Value = \"{MULTIPLEAUTHN}\");")});
        assert!(matches!(additional_rules(&t).unwrap().1, Mfa::Partly(_)));
        let t = serde_json::json!({"AdditionalAuthenticationRules": format!("=> issue(Type = \"{AUTHMETHOD_URI}\", Value = \"{MULTIPLEAUTHN}\");")});
        assert!(matches!(additional_rules(&t).unwrap().1, Mfa::All(_)));
        let t = serde_json::json!({"AdditionalAuthenticationRules": null});
        assert!(additional_rules(&t).is_none());
    }

    #[test]
    fn builtin_names_only_as_fallback() {
        let t = serde_json::json!({"AccessControlPolicyName": "Permit everyone and require MFA", "ResultantPolicy": {"Serialized": PERMIT_ALL}});
        assert!(matches!(access_policy(&t).unwrap().1, Mfa::Not(_)));
        let t = serde_json::json!({"AccessControlPolicyName": "Permit everyone and require MFA"});
        assert!(matches!(access_policy(&t).unwrap().1, Mfa::All(_)));
        let t = serde_json::json!({"AccessControlPolicyName": "Custom"});
        assert!(matches!(access_policy(&t).unwrap().1, Mfa::Unknown(_)));
    }
}
