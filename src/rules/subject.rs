//! The token's subject: the NameID Entra reads as the user's ImmutableID (`subject.nameid`), the user's UPN
//! (`subject.upn`), the WS-Fed `ImmutableID` attribute (`subject.immutableid`) and the bearer confirmation
//! (`subject.confirmation`).

use super::time::parse_time;
use super::{check, ids, Check, Context, Status};
use super::{BEARER1, BEARER2, ENTRA_ACS, IMMUTABLEID_NS, PERSISTENT, UPN_NS};
use crate::saml::{Claims, Confirmation, NameId, Protocol};

/// The longest NameID Microsoft's SAML 2.0 IdP guide allows ("up to 64 alpha numeric characters").
const NAMEID_MAX: usize = 64;

/// `subject.nameid`: present, not empty; for SAML 2.0 persistent, then its form ([`nameid_form_check`]).
pub(super) fn nameid_check(protocol: Protocol, c: &Claims) -> Check {
    match (&c.name_id, protocol) {
        (None, _) => check(
            ids::SUBJECT_NAMEID,
            Status::Fail,
            "the assertion has no NameID / NameIdentifier",
            Some("issue the user's ImmutableID (onPremisesImmutableId) as the NameID"),
        ),
        (Some(n), _) if n.value.is_empty() => check(
            ids::SUBJECT_NAMEID,
            Status::Fail,
            "the NameID is empty",
            Some("issue the user's ImmutableID as the NameID"),
        ),
        (Some(n), Protocol::Saml2) if n.format.as_deref() != Some(PERSISTENT) => check(
            ids::SUBJECT_NAMEID,
            Status::Fail,
            format!(
                "NameID format is {}, Entra requires {PERSISTENT}",
                n.format.as_deref().unwrap_or("(none)")
            ),
            Some("issue the ImmutableID with Format urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"),
        ),
        (Some(n), Protocol::Saml2) => nameid_form_check(n),
        (Some(n), _) => check(
            ids::SUBJECT_NAMEID,
            Status::Pass,
            format!("{} ({})", n.value, n.format.as_deref().unwrap_or("no format")),
            None,
        ),
    }
}

/// Characters Microsoft's SAML 2.0 IdP guide wants encoded in the NameID ("Any non-html safe characters must be
/// encoded, for example a '+' character is shown as '.2B'"): '+' (its example), characters with a meaning in HTML
/// or URLs, spaces and controls, and anything outside ASCII. Base64's '/' and '=' are not flagged: the guide names
/// no rule for them and ImmutableIDs carry them.
fn needs_encoding(c: char) -> bool {
    matches!(c, '+' | '<' | '>' | '&' | '"' | '\'' | '%' | '#' | '?')
        || c.is_whitespace()
        || c.is_control()
        || !c.is_ascii()
}

/// SAML 2.0 NameID: persistent already checked; its length and characters against Microsoft's guide.
fn nameid_form_check(n: &NameId) -> Check {
    let v = &n.value;
    let mut problems = Vec::new();
    let len = v.chars().count();
    if len > NAMEID_MAX {
        problems.push(format!(
            "it is {len} characters long; Microsoft's SAML 2.0 guide allows up to {NAMEID_MAX} (the ImmutableID)"
        ));
    }
    let mut bad: Vec<char> = v.chars().filter(|c| needs_encoding(*c)).collect();
    bad.dedup();
    if !bad.is_empty() {
        let shown: Vec<String> = bad.iter().take(8).map(|c| format!("{c:?}")).collect();
        problems.push(format!(
            "it contains {} raw; Microsoft's SAML 2.0 guide wants characters that are not HTML-safe encoded ('+' as '.2B'), and tokens with a raw '+' are seen accepted, so this is a warning",
            shown.join(", ")
        ));
    }
    if problems.is_empty() {
        check(
            ids::SUBJECT_NAMEID,
            Status::Pass,
            format!("{v} ({})", n.format.as_deref().unwrap_or("no format")),
            None,
        )
    } else {
        check(
            ids::SUBJECT_NAMEID,
            Status::Warn,
            format!("NameID {v}: {}", problems.join("; ")),
            Some("issue the user's ImmutableID as the NameID, at most 64 characters, with characters that are not HTML-safe encoded as Microsoft's guide shows ('+' as '.2B')"),
        )
    }
}

/// `subject.upn` for both protocols, and `subject.immutableid` for WS-Fed.
pub(super) fn user_checks(protocol: Protocol, c: &Claims, ctx: &Context) -> Vec<Check> {
    match protocol {
        Protocol::Saml2 => vec![upn_present_check(
            "IDPEmail",
            c.attribute("IDPEmail", None).first().copied(),
            ctx,
            "no IDPEmail attribute (the user's UPN)",
            "add an attribute named IDPEmail carrying the user's userPrincipalName",
        )],
        Protocol::WsfedSaml11 => vec![
            upn_present_check(
                "UPN",
                c.attribute("UPN", Some(UPN_NS)).first().copied(),
                ctx,
                "no UPN attribute (namespace http://schemas.xmlsoap.org/claims)",
                "issue the claim http://schemas.xmlsoap.org/claims/UPN with the user's userPrincipalName",
            ),
            immutableid_check(c),
        ],
    }
}

/// `subject.upn`: the attribute `name` is present and not empty ([`upn_check`]), else the failure `missing`.
fn upn_present_check(name: &str, value: Option<&str>, ctx: &Context, missing: &str, fix: &str) -> Check {
    match value {
        Some(u) if !u.is_empty() => upn_check(name, u, ctx),
        _ => check(ids::SUBJECT_UPN, Status::Fail, missing, Some(fix)),
    }
}

/// `subject.immutableid` (WS-Fed): present, and equal to the NameIdentifier.
fn immutableid_check(c: &Claims) -> Check {
    let im = c.attribute("ImmutableID", Some(IMMUTABLEID_NS));
    let nameid = c.name_id.as_ref().map(|n| n.value.as_str());
    match im.first() {
        Some(i) if Some(*i) == nameid => check(
            ids::SUBJECT_IMMUTABLEID,
            Status::Pass,
            format!("ImmutableID = {i} (equals NameIdentifier)"),
            None,
        ),
        Some(i) => check(
            ids::SUBJECT_IMMUTABLEID,
            Status::Warn,
            format!(
                "ImmutableID {i} differs from the NameIdentifier {}",
                nameid.unwrap_or("(none)")
            ),
            Some("issue the same ImmutableID value as NameIdentifier and as the ImmutableID attribute"),
        ),
        None => check(
            ids::SUBJECT_IMMUTABLEID,
            Status::Fail,
            "no ImmutableID attribute (namespace http://schemas.microsoft.com/LiveID/Federation/2008/05)",
            Some("issue the claim http://schemas.microsoft.com/LiveID/Federation/2008/05/ImmutableID"),
        ),
    }
}

/// The UPN is in e-mail form: one '@', a local part, and a dotted domain, no spaces.
fn email_form(u: &str) -> Option<&str> {
    let (local, domain) = u.split_once('@')?;
    let ok = !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && domain.split('.').all(|l| !l.is_empty())
        && !u.chars().any(|c| c.is_whitespace() || c.is_control());
    ok.then_some(domain)
}

/// `subject.upn` once a value is present: e-mail form, and in the federated domain (or one of its subdomains,
/// which use the federated root domain's settings).
fn upn_check(name: &str, u: &str, ctx: &Context) -> Check {
    let Some(domain) = email_form(u) else {
        return check(
            ids::SUBJECT_UPN,
            Status::Warn,
            format!("{name} = {u} is not in e-mail form (user@domain), the form of an Entra userPrincipalName"),
            Some("issue the user's userPrincipalName as it is in Entra ID (user@domain)"),
        );
    };
    let Some(f) = &ctx.federated_domain else {
        return check(ids::SUBJECT_UPN, Status::Pass, format!("{name} = {u}"), None);
    };
    let d = domain.to_ascii_lowercase();
    let want = f.name.to_ascii_lowercase();
    if d == want {
        check(
            ids::SUBJECT_UPN,
            Status::Pass,
            format!("{name} = {u} (in {}, {})", f.name, f.source),
            None,
        )
    } else if d.ends_with(&format!(".{want}")) {
        check(
            ids::SUBJECT_UPN,
            Status::Pass,
            format!(
                "{name} = {u} (a subdomain of {}, {}; a subdomain uses its root domain's federation settings)",
                f.name, f.source
            ),
            None,
        )
    } else {
        check(
            ids::SUBJECT_UPN,
            Status::Warn,
            format!(
                "{name} = {u} is not in {} ({}): Entra signs the user in with the federation settings of the UPN's domain, {domain}",
                f.name, f.source
            ),
            Some("check that the IdP issues the user's Entra userPrincipalName, and that the token was judged against the settings of the user's domain (--federation-config, --tenant-domain)"),
        )
    }
}

/// `subject.confirmation`: SAML 2.0 bearer to Entra's ACS, not expired; SAML 1.1 bearer.
pub(super) fn confirmation_check(protocol: Protocol, c: &Claims, ctx: &Context) -> Check {
    match protocol {
        Protocol::Saml2 => bearer2_check(c, ctx),
        Protocol::WsfedSaml11 if c.subject_confirmations.iter().any(|s| s.method == BEARER1) => {
            check(ids::SUBJECT_CONFIRMATION, Status::Pass, "bearer", None)
        }
        Protocol::WsfedSaml11 => check(
            ids::SUBJECT_CONFIRMATION,
            Status::Warn,
            "no bearer ConfirmationMethod",
            Some("AD FS issues urn:oasis:names:tc:SAML:1.0:cm:bearer; check the IdP's WS-Fed profile"),
        ),
    }
}

/// SAML 2.0: a bearer `SubjectConfirmation` whose `Recipient` is Entra's ACS (or the stand-in's).
fn bearer2_check(c: &Claims, ctx: &Context) -> Check {
    let bearer: Vec<&Confirmation> = c.subject_confirmations.iter().filter(|s| s.method == BEARER2).collect();
    let Some(first) = bearer.first() else {
        return check(ids::SUBJECT_CONFIRMATION, Status::Fail, "no bearer SubjectConfirmation", Some("add SubjectConfirmation Method urn:oasis:names:tc:SAML:2.0:cm:bearer with Recipient https://login.microsoftonline.com/login.srf"));
    };
    let to_us = bearer.iter().find(|b| {
        b.recipient.as_deref() == Some(ENTRA_ACS)
            || ctx.stand_in_acs().is_some_and(|a| b.recipient.as_deref() == Some(a))
    });
    let Some(b) = to_us else {
        return check(
            ids::SUBJECT_CONFIRMATION,
            Status::Fail,
            format!(
                "bearer Recipient is {}, not {ENTRA_ACS}",
                first.recipient.as_deref().unwrap_or("(none)")
            ),
            Some("set the ACS URL / Recipient to https://login.microsoftonline.com/login.srf"),
        );
    };
    let recipient = b.recipient.as_deref().unwrap_or_default();
    let late = b
        .not_on_or_after
        .as_deref()
        .and_then(parse_time)
        .is_some_and(|t| ctx.at >= t + ctx.skew);
    if late {
        check(
            ids::SUBJECT_CONFIRMATION,
            Status::Fail,
            format!(
                "bearer confirmation expired at {}",
                b.not_on_or_after.as_deref().unwrap_or("")
            ),
            Some("post the token promptly; check the IdP clock"),
        )
    } else if recipient == ENTRA_ACS {
        check(
            ids::SUBJECT_CONFIRMATION,
            Status::Pass,
            format!("bearer, Recipient {ENTRA_ACS}"),
            None,
        )
    } else {
        check(
            ids::SUBJECT_CONFIRMATION,
            Status::Info,
            format!("bearer, Recipient {recipient}: this stand-in's ACS; for Entra it must be {ENTRA_ACS}"),
            None,
        )
    }
}
