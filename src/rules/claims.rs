//! The signed claims Entra checks on every token: the audience, the issuer, and the assertion's validity period;
//! then the subject's claims ([`super::subject`]).

use super::time::{parse_time, rfc};
use super::{check, ids, subject, Check, Context, Status, ENTRA_AUDIENCE};
use crate::saml::{Claims, Token};

/// Every check of the signed claims, in report order.
pub(super) fn claim_checks(token: &Token, c: &Claims, ctx: &Context, out: &mut Vec<Check>) {
    out.push(audience_check(c, ctx));
    out.push(issuer_check(c, ctx));
    out.push(subject::nameid_check(token.protocol, c));
    out.extend(subject::user_checks(token.protocol, c, ctx));
    out.push(subject::confirmation_check(token.protocol, c, ctx));
    out.push(time_check(c, ctx));
}

/// `audience`: Entra's audience (a stand-in's test realm is `info`).
fn audience_check(c: &Claims, ctx: &Context) -> Check {
    let test_realm = ctx.stand_in.map(|s| s.realm.as_str()).filter(|r| *r != ENTRA_AUDIENCE);
    if c.audiences.iter().any(|a| a == ENTRA_AUDIENCE) {
        check(ids::AUDIENCE, Status::Pass, ENTRA_AUDIENCE, None)
    } else if let Some(realm) = test_realm.filter(|r| c.audiences.iter().any(|a| a == r)) {
        check(
            ids::AUDIENCE,
            Status::Info,
            format!("audience {realm}: the stand-in's test realm (serve --realm, --stand-in-realm); for Entra it must be {ENTRA_AUDIENCE}"),
            None,
        )
    } else {
        check(
            ids::AUDIENCE,
            Status::Fail,
            format!("audience is [{}], not {ENTRA_AUDIENCE}", c.audiences.join(", ")),
            Some("set the relying party identifier / audience to urn:federation:MicrosoftOnline"),
        )
    }
}

/// `issuer`: one of the expected issuers, each named with where it came from.
fn issuer_check(c: &Claims, ctx: &Context) -> Check {
    const ISSUER_FIX: &str = "make the IdP's issuer / entity ID equal the domain's issuerUri exactly (case, scheme and trailing slash matter)";
    let issuer = c.issuer.clone().unwrap_or_default();
    match (ctx.expected_issuers.as_slice(), ctx.expected_issuers.iter().find(|e| e.value == issuer)) {
        ([], _) => check(ids::ISSUER, Status::Info, format!("{issuer} (no expected issuer given: use --expect-issuer, --metadata or --federation-config to check it)"), None),
        (_, Some(m)) => check(ids::ISSUER, Status::Pass, format!("{issuer} (matches {})", m.source), None),
        ([exp], None) => check(
            ids::ISSUER,
            Status::Fail,
            format!("issuer is \"{issuer}\", expected \"{}\" ({}); Entra rejects it with AADSTS50107", exp.value, exp.source),
            Some(ISSUER_FIX),
        ),
        (all, None) => check(
            ids::ISSUER,
            Status::Fail,
            format!(
                "issuer is \"{issuer}\", which matches none of the {} configured issuers: {}; Entra rejects it with AADSTS50107",
                all.len(),
                all.iter().map(|e| format!("\"{}\" ({})", e.value, e.source)).collect::<Vec<_>>().join(", ")
            ),
            Some(ISSUER_FIX),
        ),
    }
}

/// What is wrong with `Conditions/@NotBefore` and `@NotOnOrAfter` at the evaluation time, with the skew allowed.
fn time_problems(c: &Claims, ctx: &Context) -> Vec<String> {
    let nb = c.not_before.as_deref().map(|s| (s, parse_time(s)));
    let na = c.not_on_or_after.as_deref().map(|s| (s, parse_time(s)));
    let mut problems = Vec::new();
    for (label, v) in [("NotBefore", nb), ("NotOnOrAfter", na)] {
        if let Some((raw, None)) = v {
            problems.push(format!("{label} \"{raw}\" is not a valid xs:dateTime"));
        }
    }
    if let Some((raw, Some(t))) = nb {
        if ctx.at + ctx.skew < t {
            problems.push(format!(
                "not yet valid: NotBefore {raw} is after {} (+{} s skew)",
                rfc(ctx.at),
                ctx.skew.num_seconds()
            ));
        }
    }
    if let Some((raw, Some(t))) = na {
        if ctx.at >= t + ctx.skew {
            problems.push(format!(
                "expired: NotOnOrAfter {raw} is before {} (-{} s skew)",
                rfc(ctx.at),
                ctx.skew.num_seconds()
            ));
        }
    }
    problems
}

/// `conditions.time`: the assertion is valid at the evaluation time.
fn time_check(c: &Claims, ctx: &Context) -> Check {
    let problems = time_problems(c, ctx);
    if c.not_on_or_after.is_none() {
        check(
            ids::CONDITIONS_TIME,
            Status::Warn,
            "the assertion has no Conditions/@NotOnOrAfter",
            Some("issue Conditions with NotBefore and NotOnOrAfter"),
        )
    } else if problems.is_empty() {
        check(
            ids::CONDITIONS_TIME,
            Status::Pass,
            format!(
                "valid at {} ({} to {})",
                rfc(ctx.at),
                c.not_before.as_deref().unwrap_or("-"),
                c.not_on_or_after.as_deref().unwrap_or("-")
            ),
            None,
        )
    } else {
        check(
            ids::CONDITIONS_TIME,
            Status::Fail,
            problems.join("; "),
            Some("use --at with the time the token was issued, or check the IdP's clock"),
        )
    }
}
