//! The lint of a parsed rule set: what the rules mean for Entra, one finding per check id.
//!
//! The MFA rules first: is the incoming `authnmethodsreferences` passed through to Entra (`adfs.amr-passthrough`),
//! and does any rule issue the MFA value without testing for an MFA method (`adfs.mfa-unconditional`, a security
//! finding). Then the other rules Azure AD Connect writes on the trust: `nameidentifier` (from the ImmutableID),
//! the `insideCorporateNetwork` and `multifactorauthenticationinstant` pass-throughs, and `issuerid` for several
//! federated domains (which UPN suffixes get which issuer, and the subdomain trap).

use super::syntax::{condition_text, issues_type, rule_label, tag_tests, tests_text, type_eq};
use super::{Body, Condition, Expr, Property, Rule, RuleSet, Verb};
use crate::rules::ids;
use crate::rules::{Check, Status, AMR_URI, AUTHMETHOD_URI, MFA_INSTANT_URI, MULTIPLEAUTHN, WIAORMULTIAUTHN};
use serde::Serialize;

/// The issuer id claim type Azure AD Connect issues for multi-domain federation.
pub const ISSUERID_URI: &str = "http://schemas.microsoft.com/ws/2008/06/identity/claims/issuerid";
/// The ImmutableID claim type Entra reads (SAML 1.1 / WS-Fed).
pub const IMMUTABLEID_URI: &str = "http://schemas.microsoft.com/LiveID/Federation/2008/05/ImmutableID";
/// The UPN claim type Entra reads (SAML 1.1 / WS-Fed).
pub const UPN_URI: &str = "http://schemas.xmlsoap.org/claims/UPN";
/// Azure AD Connect's name for the pass-through rule.
pub const PASSTHROUGH_RULE_NAME: &str = "Pass through claim - authnmethodsreferences";

/// One finding of the lint: a [`Check`] plus the rule it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LintCheck {
    /// The check (id, status, message, fix).
    #[serde(flatten)]
    pub check: Check,
    /// The rule's name, when it has one.
    pub rule: Option<String>,
    /// The rule's line.
    pub line: Option<usize>,
}

/// A finding about `rule` (or about the whole rule set).
fn lc(id: &'static str, status: Status, message: String, fix: Option<String>, rule: Option<&Rule>) -> LintCheck {
    LintCheck {
        check: Check {
            id,
            status,
            message,
            fix,
        },
        rule: rule.and_then(|r| r.name.clone()),
        line: rule.map(|r| r.line),
    }
}

fn is_method_type(t: &str) -> bool {
    t.eq_ignore_ascii_case(AMR_URI) || t.eq_ignore_ascii_case(AUTHMETHOD_URI)
}

fn is_mfa_value(v: &str) -> bool {
    v.eq_ignore_ascii_case(MULTIPLEAUTHN) || v.eq_ignore_ascii_case(WIAORMULTIAUTHN)
}

/// Authentication method values that are one factor: a rule that turns them into multipleauthn lies.
fn is_single_factor(v: &str) -> bool {
    let l = v.to_ascii_lowercase();
    [
        "password",
        "windows",
        "kerberos",
        "unspecified",
        "tlsclient",
        "x509",
        "ntlm",
    ]
    .iter()
    .any(|k| l.contains(k))
        && !l.contains("multipleauthn")
        && !l.contains("wiaormultiauthn")
}

/// How a rule that issues the MFA value is conditioned.
pub(super) enum MfaGate {
    /// Tests an authentication method value for an MFA method: the condition text.
    Mfa(String),
    /// Does not: why.
    NotMfa(String),
}

/// Whether a rule that issues the MFA value tests the incoming authentication method for an MFA method first.
pub(super) fn mfa_gate(rule: &Rule) -> MfaGate {
    if rule.conditions.is_empty() {
        return MfaGate::NotMfa("it has no condition".into());
    }
    let mut single = None;
    for c in &rule.conditions {
        let tests = match c {
            Condition::Select { tests, .. } | Condition::Exists { negated: false, tests } => tests,
            Condition::Exists { negated: true, .. } => continue,
        };
        if !type_eq(tests).is_some_and(is_method_type) {
            continue;
        }
        for t in tests
            .iter()
            .filter(|t| t.property == Property::Value && t.op.positive())
        {
            if is_single_factor(&t.value) {
                single = Some(format!(
                    "its condition {} matches a single-factor method",
                    condition_text(c)
                ));
            } else {
                return MfaGate::Mfa(condition_text(c));
            }
        }
    }
    MfaGate::NotMfa(single.unwrap_or_else(|| {
        format!(
            "its condition ({}) does not test the authentication method for an MFA method",
            rule.conditions
                .iter()
                .map(condition_text)
                .collect::<Vec<_>>()
                .join(" && ")
        )
    }))
}

const AMR_FIX_RULE: &str = "@RuleName = \"Pass through claim - authnmethodsreferences\"\n\
c:[Type == \"http://schemas.microsoft.com/claims/authnmethodsreferences\"]\n => issue(claim = c);";

/// Runs every lint check over a parsed rule set.
pub fn lint(set: &RuleSet) -> Vec<LintCheck> {
    let mut out = vec![amr_passthrough_check(set)];
    out.extend(mfa_unconditional_checks(set));
    out.extend(unparsed_checks(set));
    out.extend(issued_claim_checks(set));
    out.extend(nameidentifier_checks(set));
    out.extend(inside_corpnet_checks(set));
    out.extend(mfa_instant_checks(set));
    out.extend(
        set.rules
            .iter()
            .filter(|r| issues_type(r, ISSUERID_URI))
            .map(issuer_id_domains_check),
    );
    out
}

/// A rule that hands the incoming `authnmethodsreferences` to Entra: passes it through, or copies its value.
fn amr_passthrough_rule(set: &RuleSet) -> Option<&Rule> {
    set.rules.iter().find(|r| {
        passes_through(r, AMR_URI)
            || (r.action.verb == Verb::Issue
                && matches!(&r.action.body, Body::New { claim_type: Some(Expr::Str(t)), .. } if t.eq_ignore_ascii_case(AMR_URI))
                && value_source_type(r).is_some_and(|t| t.eq_ignore_ascii_case(AMR_URI)))
    })
}

/// `adfs.amr-passthrough`: does Entra get to see that MFA happened at AD FS?
fn amr_passthrough_check(set: &RuleSet) -> LintCheck {
    let gated = set.rules.iter().find(|r| {
        issues_type(r, AMR_URI)
            && matches!(&r.action.body, Body::New { value: Some(Expr::Str(v)), .. } if is_mfa_value(v))
            && matches!(mfa_gate(r), MfaGate::Mfa(_))
    });
    if let Some(r) = amr_passthrough_rule(set) {
        let filter = match &r.action.body {
            Body::Copy { tag } => tag_tests(r, tag)
                .map(|t| {
                    t.iter()
                        .filter(|t| t.property != Property::Type)
                        .cloned()
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        let how = if matches!(r.action.body, Body::Copy { .. }) {
            "passes through"
        } else {
            "copies"
        };
        let msg = if filter.is_empty() {
            format!(
                "{} {how} the incoming authnmethodsreferences claim to Entra",
                rule_label(r)
            )
        } else {
            format!(
                "{} {how} the incoming authnmethodsreferences claim to Entra, only values with {}",
                rule_label(r),
                tests_text(&filter)
            )
        };
        return lc(ids::ADFS_AMR_PASSTHROUGH, Status::Pass, msg, None, Some(r));
    }
    if let Some(r) = gated {
        return lc(
            ids::ADFS_AMR_PASSTHROUGH,
            Status::Pass,
            format!(
                "no pass-through rule, but {} issues authnmethodsreferences = multipleauthn when the incoming \
authentication method is an MFA method: equivalent for Entra",
                rule_label(r)
            ),
            None,
            Some(r),
        );
    }
    lc(
        ids::ADFS_AMR_PASSTHROUGH,
        Status::Fail,
        "no rule issues the incoming http://schemas.microsoft.com/claims/authnmethodsreferences claim: Entra \
never sees that MFA happened at AD FS. When MFA is required, Entra performs MFA itself \
(federatedIdpMfaBehavior = acceptIfMfaDoneByFederatedIdp) or redirects the user to AD FS to perform MFA \
(enforceMfaByFederatedIdp), which ends in a loop while the claim is missing"
            .into(),
        Some(format!(
            "Add the rule Azure AD Connect names \"{PASSTHROUGH_RULE_NAME}\" to the issuance transform rules of the \
\"Microsoft Office 365 Identity Platform\" relying party trust:\n{AMR_FIX_RULE}"
        )),
        None,
    )
}

/// `adfs.mfa-unconditional`: every rule that issues (or adds) the MFA value as the authentication method, and
/// whether it tests for an MFA method first.
fn mfa_unconditional_checks(set: &RuleSet) -> Vec<LintCheck> {
    let mut out = Vec::new();
    for r in &set.rules {
        let Body::New {
            claim_type: Some(Expr::Str(t)),
            value: Some(Expr::Str(v)),
            ..
        } = &r.action.body
        else {
            continue;
        };
        if is_method_type(t) && is_mfa_value(v) {
            out.push(mfa_rule_check(r, v));
        }
    }
    if out.is_empty() {
        out.push(lc(
            ids::ADFS_MFA_UNCONDITIONAL,
            Status::Pass,
            "no rule issues multipleauthn or wiaormultiauthn by itself".into(),
            None,
            None,
        ));
    }
    out
}

/// `adfs.mfa-unconditional` for one rule that issues the MFA value `v`.
fn mfa_rule_check(r: &Rule, v: &str) -> LintCheck {
    let how = match r.action.verb {
        Verb::Issue => "issues",
        Verb::Add => "adds (for later rules to issue)",
    };
    match mfa_gate(r) {
        MfaGate::Mfa(cond) => lc(
            ids::ADFS_MFA_UNCONDITIONAL,
            Status::Info,
            format!(
                "{} {how} {v} only when {cond}: conditioned on an MFA method",
                rule_label(r)
            ),
            None,
            Some(r),
        ),
        MfaGate::NotMfa(why) => lc(
            ids::ADFS_MFA_UNCONDITIONAL,
            Status::Fail,
            format!(
                "security: {} {how} {v} but {why}: it claims MFA for every sign-in, and Entra skips its own MFA",
                rule_label(r)
            ),
            Some(format!(
                "Remove this rule and pass the real authentication method through instead:\n{AMR_FIX_RULE}\n\
or condition it on your MFA method, e.g. c:[Type == \"{AMR_URI}\", Value == \"<your MFA adapter's method URI>\"] => \
issue(Type = \"{AMR_URI}\", Value = \"{MULTIPLEAUTHN}\");"
            )),
            Some(r),
        ),
    }
}

/// `adfs.unparsed`: one warning per rule not understood (a pass when all were).
fn unparsed_checks(set: &RuleSet) -> Vec<LintCheck> {
    if set.unparsed.is_empty() {
        return vec![lc(
            ids::ADFS_UNPARSED,
            Status::Pass,
            format!("all {} rules understood", set.rules.len()),
            None,
            None,
        )];
    }
    set.unparsed
        .iter()
        .map(|u| LintCheck {
            check: Check {
                id: ids::ADFS_UNPARSED,
                status: Status::Warn,
                message: format!("line {}: not understood: {} (rule text: {})", u.line, u.reason, u.text),
                fix: Some(
                    "Check the rule in the AD FS console (Edit Claim Issuance Policy, View Rule Language); fedcheck \
did not evaluate it, so the other findings may miss what it does."
                        .into(),
                ),
            },
            rule: u.name.clone(),
            line: Some(u.line),
        })
        .collect()
}

/// `adfs.issuer-id`, `adfs.immutableid`, `adfs.upn` (info): which rules issue these claims.
fn issued_claim_checks(set: &RuleSet) -> Vec<LintCheck> {
    [
        (
            ids::ADFS_ISSUER_ID,
            ISSUERID_URI,
            "issuerid",
            "; Azure AD Connect adds it when several domains are federated through this AD FS",
        ),
        (ids::ADFS_IMMUTABLEID, IMMUTABLEID_URI, "ImmutableID", ""),
        (ids::ADFS_UPN, UPN_URI, "UPN", ""),
    ]
    .into_iter()
    .map(|(id, uri, label, note)| {
        let found: Vec<&Rule> = set.rules.iter().filter(|r| issues_type(r, uri)).collect();
        match found.first() {
            Some(first) => lc(
                id,
                Status::Info,
                format!(
                    "{label} ({uri}) issued by {}",
                    found.iter().map(|r| rule_label(r)).collect::<Vec<_>>().join(", ")
                ),
                None,
                Some(first),
            ),
            None => lc(
                id,
                Status::Info,
                format!("no rule issues {label} ({uri}){note}"),
                None,
                None,
            ),
        }
    })
    .collect()
}

// Azure AD Connect's other rules: nameidentifier, insideCorporateNetwork, multifactorauthenticationinstant, issuerid

/// The name identifier claim type (the SAML 1.1 NameIdentifier AD FS writes).
pub const NAMEIDENTIFIER_URI: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier";
/// AD FS's claim that the request came from inside the corporate network.
pub const INSIDE_CORPNET_URI: &str = "http://schemas.microsoft.com/ws/2012/01/insidecorporatenetwork";

/// The pattern Microsoft documents for issuerid when subdomains are federated too (the last two labels).
const SUBDOMAIN_PATTERN: &str = "^((.*)([.|@]))?(?<domain>[^.]*[.].*)$";
/// The pattern `-SupportMultipleDomain` writes: the whole UPN suffix, subdomains included.
const WHOLE_SUFFIX_PATTERN: &str = ".+@(?<domain>.+)";

/// True when the rule passes the incoming claim of type `uri` through unchanged.
fn passes_through(rule: &Rule, uri: &str) -> bool {
    rule.action.verb == Verb::Issue
        && match &rule.action.body {
            Body::Copy { tag } => tag_tests(rule, tag)
                .and_then(type_eq)
                .is_some_and(|t| t.eq_ignore_ascii_case(uri)),
            _ => false,
        }
}

/// For `issue(Type = ..., Value = tag.Value)`: the claim type the tag selects.
fn value_source_type(rule: &Rule) -> Option<&str> {
    match &rule.action.body {
        Body::New {
            value: Some(Expr::Ref {
                tag,
                property: Property::Value,
            }),
            ..
        } => tag_tests(rule, tag).and_then(type_eq),
        _ => None,
    }
}

/// The literal value a `New` action issues, if it is one.
fn literal_value(rule: &Rule) -> Option<&str> {
    match &rule.action.body {
        Body::New {
            value: Some(Expr::Str(v)),
            ..
        } => Some(v.as_str()),
        _ => None,
    }
}

/// The UPN suffixes an Azure AD Connect issuerid pattern enumerates: `(?i)(^([^@]+)@)(?<domain>(a\.com|b\.com))$`.
fn enumerated_domains(pattern: &str) -> Option<Vec<String>> {
    let rest = pattern.strip_prefix("(?i)(^([^@]+)@)(?<domain>(")?;
    let inner = rest.strip_suffix("))$")?;
    let domains: Vec<String> = inner
        .split('|')
        .map(|d| d.replace("\\.", "."))
        .filter(|d| !d.is_empty())
        .collect();
    if domains.is_empty()
        || domains
            .iter()
            .any(|d| !d.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'))
    {
        return None;
    }
    Some(domains)
}
/// One finding per rule that issues `uri` (`per_rule`), or, when no rule does, the finding `id` with the status,
/// message and fix of `none`.
fn per_issuing_rule(
    set: &RuleSet,
    uri: &str,
    id: &'static str,
    none: (Status, String, Option<String>),
    per_rule: impl Fn(&Rule) -> LintCheck,
) -> Vec<LintCheck> {
    let issuing: Vec<LintCheck> = set.rules.iter().filter(|r| issues_type(r, uri)).map(per_rule).collect();
    if issuing.is_empty() {
        let (status, message, fix) = none;
        vec![lc(id, status, message, fix, None)]
    } else {
        issuing
    }
}

/// The fix for a rule that makes up a claim AD FS issues itself: Azure AD Connect's pass-through rule `name`.
fn passthrough_fix(name: &str, uri: &str) -> String {
    format!(
        "Pass AD FS's own claim through instead (Azure AD Connect's rule \"Pass through claim - {name}\"):\n\
c:[Type == \"{uri}\"]\n => issue(claim = c);"
    )
}

/// `adfs.nameidentifier`: Entra reads the NameIdentifier as the user's ImmutableID.
fn nameidentifier_checks(set: &RuleSet) -> Vec<LintCheck> {
    let none = (
        Status::Warn,
        format!(
            "no rule issues nameidentifier ({NAMEIDENTIFIER_URI}): Entra reads the token's NameIdentifier as the user's \
ImmutableID, and fedcheck cannot tell from these rules alone where AD FS would take one from"
        ),
        Some(format!(
            "Add the rule Azure AD Connect writes (\"Issue nameidentifier\"):\nc:[Type == \"{IMMUTABLEID_URI}\"]\n => \
issue(Type = \"{NAMEIDENTIFIER_URI}\", Value = c.Value, Properties[\"http://schemas.xmlsoap.org/ws/2005/05/identity/\
claimproperties/format\"] = \"urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified\");\nthen confirm with `fedcheck check` \
on a real token."
        )),
    );
    per_issuing_rule(
        set,
        NAMEIDENTIFIER_URI,
        ids::ADFS_NAMEIDENTIFIER,
        none,
        |r| match value_source_type(r) {
            Some(t) if t.eq_ignore_ascii_case(IMMUTABLEID_URI) => lc(
                ids::ADFS_NAMEIDENTIFIER,
                Status::Pass,
                format!(
                    "{} issues nameidentifier with the value of the ImmutableID claim",
                    rule_label(r)
                ),
                None,
                Some(r),
            ),
            other => lc(
                ids::ADFS_NAMEIDENTIFIER,
                Status::Warn,
                format!(
                "{} issues nameidentifier from {}, not from the ImmutableID claim: Entra needs the NameIdentifier to \
equal the user's ImmutableID, which fedcheck cannot confirm here",
                rule_label(r),
                other
                    .map(|t| format!("the claim {t}"))
                    .unwrap_or_else(|| "something else".to_string())
            ),
                Some(
                    "Issue nameidentifier with Value = c.Value from the ImmutableID claim (Azure AD Connect's rule \
\"Issue nameidentifier\"), or check with `fedcheck check` that the NameIdentifier equals the user's ImmutableID."
                        .into(),
                ),
                Some(r),
            ),
        },
    )
}

/// `adfs.inside-corporate-network`: Entra can skip MFA for federated users "on my intranet".
fn inside_corpnet_checks(set: &RuleSet) -> Vec<LintCheck> {
    let none =
        "no rule issues insidecorporatenetwork: Entra's trusted-IPs option \"skip multifactor authentication for \
requests from federated users on my intranet\" never applies to these users";
    per_issuing_rule(
        set,
        INSIDE_CORPNET_URI,
        ids::ADFS_INSIDE_CORPORATE_NETWORK,
        (Status::Info, none.into(), None),
        inside_corpnet_rule_check,
    )
}

/// `adfs.inside-corporate-network` for one rule that issues the claim: passed through, or made up.
fn inside_corpnet_rule_check(r: &Rule) -> LintCheck {
    if passes_through(r, INSIDE_CORPNET_URI) {
        return lc(
            ids::ADFS_INSIDE_CORPORATE_NETWORK,
            Status::Info,
            format!(
                "{} passes AD FS's own insidecorporatenetwork claim through (Azure AD Connect's rule): with \
Entra's trusted-IPs option \"skip multifactor authentication for requests from federated users on my intranet\", users \
inside the corporate network skip MFA",
                rule_label(r)
            ),
            None,
            Some(r),
        );
    }
    let literal_true = literal_value(r).is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let (status, why) = match (literal_true, r.conditions.is_empty()) {
        (true, true) => (
            Status::Fail,
            "security: it says every sign-in comes from inside the corporate network".to_string(),
        ),
        (true, false) => (
            Status::Warn,
            format!(
                "it sets true when {}: only as good as that condition",
                r.conditions.iter().map(condition_text).collect::<Vec<_>>().join(" && ")
            ),
        ),
        (false, _) => (Status::Warn, "fedcheck cannot tell what value it issues".to_string()),
    };
    lc(
        ids::ADFS_INSIDE_CORPORATE_NETWORK,
        status,
        format!(
            "{} issues insidecorporatenetwork itself instead of passing AD FS's claim through; {why}. With Entra's \
trusted-IPs option for federated users, a true value skips MFA",
            rule_label(r)
        ),
        Some(passthrough_fix("insideCorporateNetwork", INSIDE_CORPNET_URI)),
        Some(r),
    )
}

/// `adfs.mfa-instant`: multifactorauthenticationinstant should come from AD FS itself.
fn mfa_instant_checks(set: &RuleSet) -> Vec<LintCheck> {
    let none = "no rule issues multifactorauthenticationinstant (Azure AD Connect passes it through); Entra's sign-in \
frequency uses authenticationinstant for WS-Fed";
    per_issuing_rule(
        set,
        MFA_INSTANT_URI,
        ids::ADFS_MFA_INSTANT,
        (Status::Info, none.into(), None),
        |r| {
            if passes_through(r, MFA_INSTANT_URI) {
                lc(
                    ids::ADFS_MFA_INSTANT,
                    Status::Info,
                    format!(
                        "{} passes AD FS's own multifactorauthenticationinstant through (Azure AD Connect's rule)",
                        rule_label(r)
                    ),
                    None,
                    Some(r),
                )
            } else {
                lc(
                    ids::ADFS_MFA_INSTANT,
                    Status::Warn,
                    format!(
                    "{} makes up multifactorauthenticationinstant instead of passing AD FS's own claim through: it can \
state a time at which no MFA happened. Microsoft does not document how Entra uses this claim for WS-Fed, so fedcheck \
cannot say what it changes",
                    rule_label(r)
                ),
                    Some(passthrough_fix("multifactorauthenticationinstant", MFA_INSTANT_URI)),
                    Some(r),
                )
            }
        },
    )
}

/// For `Value = RegExReplace(c.Value, "pattern", "replacement")`: the pattern and the replacement.
fn regex_replace_call(r: &Rule) -> Option<(&str, &str)> {
    match &r.action.body {
        Body::New {
            value: Some(Expr::Call { name, args }),
            ..
        } if name.eq_ignore_ascii_case("regexreplace") && args.len() == 3 => match (&args[1], &args[2]) {
            (Expr::Str(p), Expr::Str(repl)) => Some((p.as_str(), repl.as_str())),
            _ => None,
        },
        _ => None,
    }
}

/// `adfs.issuer-id-domains`: which issuerid each UPN suffix gets from a rule that issues it (several federated
/// domains).
fn issuer_id_domains_check(r: &Rule) -> LintCheck {
    let call = regex_replace_call(r);
    let (status, message, fix) = match (call, literal_value(r)) {
        (_, Some(v)) => (
            Status::Info,
            format!("{} issues the fixed issuerid {v}", rule_label(r)),
            None,
        ),
        (Some((p, repl)), None) if p == WHOLE_SUFFIX_PATTERN => (
            Status::Warn,
            format!(
                "{} makes issuerid from the whole UPN suffix ({repl}): a user of a subdomain (alice@sub.contoso.com) \
gets http://sub.contoso.com/..., but a subdomain is federated through its root domain, whose issuerUri differs, and \
Entra refuses the token (AADSTS50107)",
                rule_label(r)
            ),
            Some(format!(
                "If users sign in with subdomain UPNs, use the pattern Microsoft documents for subdomains:\n\
Value = regexreplace(c.Value, \"{SUBDOMAIN_PATTERN}\", \"{repl}\")"
            )),
        ),
        (Some((p, repl)), None) if p == SUBDOMAIN_PATTERN => (
            Status::Pass,
            format!(
                "{} makes issuerid from the last two labels of the UPN suffix ({repl}), the pattern Microsoft \
documents for federated subdomains",
                rule_label(r)
            ),
            None,
        ),
        (Some((p, repl)), None) => match enumerated_domains(p) {
            Some(domains) => (
                Status::Info,
                format!(
                    "{} issues issuerid {repl} for the UPN suffixes {} (Azure AD Connect, several federated \
domains): each domain's issuerUri in Entra must be exactly that value (AADSTS50107 otherwise); a user with another UPN \
suffix, subdomains included, gets the UPN itself as issuerid (RegExReplace leaves a value that does not match unchanged)",
                    rule_label(r),
                    domains.join(", ")
                ),
                None,
            ),
            None => (
                Status::Warn,
                format!(
                    "{} builds issuerid with the pattern {p:?}, which fedcheck does not evaluate: each federated \
domain's issuerUri in Entra must equal what it produces",
                    rule_label(r)
                ),
                None,
            ),
        },
        (None, None) => (
            Status::Warn,
            format!(
                "{} issues issuerid from an expression fedcheck does not evaluate: each federated domain's \
issuerUri in Entra must equal what it produces",
                rule_label(r)
            ),
            None,
        ),
    };
    lc(ids::ADFS_ISSUER_ID_DOMAINS, status, message, fix, Some(r))
}
