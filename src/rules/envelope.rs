//! The message around the assertion: the SAML 2.0 Response's `Destination` and `Status`, the WS-Trust
//! `AppliesTo`, and what was read from signed bytes and what was ignored (`content.unsigned`).

use super::{check, ids, Check, Context, Status, ENTRA_ACS, ENTRA_AUDIENCE, SUCCESS};
use crate::saml::{Envelope, EnvelopeFields, Protocol, SignedBy, Token};

/// Every check of the envelope, in report order.
pub(super) fn envelope_checks(token: &Token, ctx: &Context, out: &mut Vec<Check>) {
    let f = &token.envelope_fields;
    if token.protocol == Protocol::Saml2 && token.envelope == Envelope::Saml2Response {
        out.push(destination_check(f, ctx));
        out.push(status_check(f));
    }
    out.extend(applies_to_check(f));
    out.extend(content_check(token));
}

/// Said of a field read from the unsigned envelope.
fn signed_note(f: &EnvelopeFields) -> &'static str {
    if f.signed {
        ""
    } else {
        " (from the unsigned envelope)"
    }
}

/// `response.destination`: Entra's ACS (a stand-in's own is `info`).
fn destination_check(f: &EnvelopeFields, ctx: &Context) -> Check {
    let signed_note = signed_note(f);
    match f.destination.as_deref() {
        Some(ENTRA_ACS) => check(
            ids::RESPONSE_DESTINATION,
            Status::Pass,
            format!("{ENTRA_ACS}{signed_note}"),
            None,
        ),
        Some(d) if ctx.stand_in_acs() == Some(d) => check(
            ids::RESPONSE_DESTINATION,
            Status::Info,
            format!("Destination {d}: this stand-in's ACS; for Entra it must be {ENTRA_ACS}"),
            None,
        ),
        Some(d) => check(
            ids::RESPONSE_DESTINATION,
            Status::Fail,
            format!("Destination is {d}, not {ENTRA_ACS}{signed_note}"),
            Some("set the ACS URL to https://login.microsoftonline.com/login.srf"),
        ),
        None => check(
            ids::RESPONSE_DESTINATION,
            Status::Warn,
            format!("the Response has no Destination{signed_note}"),
            Some("send Destination=\"https://login.microsoftonline.com/login.srf\""),
        ),
    }
}

/// `response.status`: `Success`.
fn status_check(f: &EnvelopeFields) -> Check {
    let signed_note = signed_note(f);
    match f.status.as_deref() {
        Some(s) if s == SUCCESS => check(
            ids::RESPONSE_STATUS,
            Status::Pass,
            format!("Success{signed_note}"),
            None,
        ),
        Some(s) => check(
            ids::RESPONSE_STATUS,
            Status::Fail,
            format!(
                "status {s}{}{signed_note}",
                f.status_message
                    .as_deref()
                    .map(|m| format!(" ({m})"))
                    .unwrap_or_default()
            ),
            Some("the IdP reported a failed sign-in; look at the IdP's logs for this request"),
        ),
        None => check(
            ids::RESPONSE_STATUS,
            Status::Fail,
            "the Response has no Status",
            Some("the IdP must send samlp:Status with StatusCode Success"),
        ),
    }
}

/// `wsfed.applies-to`: reported only when the unsigned `AppliesTo` is not Entra's audience.
fn applies_to_check(f: &EnvelopeFields) -> Option<Check> {
    let a = f.applies_to.as_ref().filter(|a| *a != ENTRA_AUDIENCE)?;
    Some(check(
        ids::WSFED_APPLIES_TO,
        Status::Warn,
        format!("AppliesTo is {a}, not {ENTRA_AUDIENCE} (unsigned envelope)"),
        Some("check the relying party trust identifier"),
    ))
}

/// `content.unsigned`: assertions and content outside the signed bytes.
fn content_check(token: &Token) -> Option<Check> {
    if token.assertion_count > 1 {
        return Some(several_assertions_check(token));
    }
    token.claims.as_ref()?;
    let note = match (token.signed_by, token.envelope) {
        (Some(SignedBy::AssertionSignature), Envelope::Saml2Response | Envelope::Rstr | Envelope::Rstrc)
            if !token.envelope_fields.signed =>
        {
            "claims were read only from the signed assertion's canonical bytes; the unsigned envelope around it was not read for claims"
        }
        _ => "claims were read only from the signed bytes",
    };
    Some(check(ids::CONTENT_UNSIGNED, Status::Info, note, None))
}

/// `content.unsigned` for a document with several assertions: which were ignored (a signature-wrapping pattern).
fn several_assertions_check(token: &Token) -> Check {
    let unsigned: Vec<String> = token
        .assertions
        .iter()
        .filter(|a| !a.read)
        .map(|a| a.id.clone().unwrap_or_else(|| "(no ID)".into()))
        .collect();
    check(
        ids::CONTENT_UNSIGNED,
        Status::Fail,
        if token.claims.is_some() {
            format!(
                "the document holds {} assertions; only the signed one was read and {} ignored: {} (a signature-wrapping pattern, or an IdP bug)",
                token.assertion_count,
                unsigned.len(),
                unsigned.join(", ")
            )
        } else {
            format!(
                "the document holds {} assertions and none is covered by a verified signature; none was read: {} (a signature-wrapping pattern, or an IdP bug)",
                token.assertion_count,
                unsigned.join(", ")
            )
        },
        Some("an IdP must post exactly one assertion; if this was not edited by hand, report it to the IdP vendor"),
    )
}
