//! `capture.correlation`: does a token taken from a browser capture answer the sign-in request captured with it?
//!
//! A SAML 2.0 token is compared by its `InResponseTo` with the `ID` of every captured `AuthnRequest`; a WS-Fed
//! post by its `wctx` with the `wctx` of every captured `wsignin1.0` request (both found by
//! [`crate::input::capture`]). `info` when the token answers a captured request (or the capture holds none to
//! compare with), `warn` when requests were captured and it answers none of them: a stale or foreign response, an
//! IdP that does not echo the request, or a capture of two sign-ins mixed up.

use super::{check, ids, Check, Status};
use crate::input::capture::{CapturedRequest, RequestKind, TokenCapture};
use crate::saml::Protocol;

const FIX: &str = "capture the whole sign-in from its start in one capture (clear the log, then sign in), and check that the IdP answers the request it was sent (InResponseTo = the AuthnRequest ID; wctx echoed unchanged)";

/// `capture.correlation` for a token taken from a capture. `in_response_to` is the SAML 2.0 InResponseTo and
/// whether a verified signature covers it.
pub fn correlation_check(protocol: Protocol, in_response_to: Option<(&str, bool)>, cap: &TokenCapture) -> Check {
    match protocol {
        Protocol::Saml2 => saml2_correlation(in_response_to, cap),
        Protocol::WsfedSaml11 => wsfed_correlation(cap),
    }
}

/// The requests of one protocol in a capture, each with the value a token must echo (the AuthnRequest `ID`, the
/// `wctx`).
type Sent<'a> = Vec<(&'a CapturedRequest, Option<&'a str>)>;

/// The captured requests of one kind (`echo` picks them and the value each sent), in capture order.
fn sent<'a>(cap: &'a TokenCapture, echo: impl Fn(&'a RequestKind) -> Option<Option<&'a str>>) -> Sent<'a> {
    cap.requests
        .iter()
        .filter_map(|r| echo(&r.kind).map(|v| (r, v)))
        .collect()
}

/// The requests as messages list them: each value (`show`) and its entry.
fn listed(sent: &Sent, show: impl Fn(Option<&str>) -> String) -> String {
    sent.iter()
        .map(|(r, v)| format!("{} (entry #{})", show(*v), r.entry))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Where a token stands against the requests captured with it.
enum Correlation<'a> {
    /// The token carries no value to compare, and the capture holds no request.
    NothingToCompare,
    /// The token carries no value to compare, though the capture holds requests.
    NoneCarried,
    /// The token carries `value`, and the capture holds no request to compare it with.
    NoneCaptured(&'a str),
    /// `value` is the one a captured request sent.
    Answers(&'a str, &'a CapturedRequest),
    /// `value` matches none of the captured requests.
    AnswersNone(&'a str),
}

fn correlate<'a>(carried: Option<&'a str>, sent: &[(&'a CapturedRequest, Option<&'a str>)]) -> Correlation<'a> {
    match (carried, sent.is_empty()) {
        (None, true) => Correlation::NothingToCompare,
        (None, false) => Correlation::NoneCarried,
        (Some(v), true) => Correlation::NoneCaptured(v),
        (Some(v), false) => match sent.iter().find(|(_, x)| *x == Some(v)) {
            Some((r, _)) => Correlation::Answers(v, r),
            None => Correlation::AnswersNone(v),
        },
    }
}

/// `info` (nothing wrong seen) or `warn` with the fix.
fn finding(ok: bool, message: String) -> Check {
    if ok {
        check(ids::CAPTURE_CORRELATION, Status::Info, message, None)
    } else {
        check(ids::CAPTURE_CORRELATION, Status::Warn, message, Some(FIX))
    }
}

/// SAML 2.0: `InResponseTo` against the captured AuthnRequests' IDs.
fn saml2_correlation(in_response_to: Option<(&str, bool)>, cap: &TokenCapture) -> Check {
    let sent = sent(cap, |k| match k {
        RequestKind::AuthnRequest { id, .. } => Some(id.as_deref()),
        RequestKind::WsFedSignIn { .. } => None,
    });
    let listed = || listed(&sent, |id| id.unwrap_or("no ID").to_string());
    let signed_note = match in_response_to {
        Some((_, true)) => "signed",
        _ => "from the unsigned Response envelope",
    };
    match correlate(in_response_to.map(|(irt, _)| irt), &sent) {
        Correlation::NothingToCompare => finding(
            true,
            "the Response carries no InResponseTo (IdP-initiated) and the capture holds no AuthnRequest".into(),
        ),
        Correlation::NoneCarried => finding(
            false,
            format!(
                "the Response carries no InResponseTo (IdP-initiated), although the capture holds AuthnRequest(s) {}",
                listed()
            ),
        ),
        Correlation::NoneCaptured(irt) => finding(
            true,
            format!(
                "InResponseTo {irt}: the capture holds no AuthnRequest to compare it with (captured after the request was sent?)"
            ),
        ),
        Correlation::Answers(irt, r) => {
            let binding = match &r.kind {
                RequestKind::AuthnRequest { binding, .. } => *binding,
                RequestKind::WsFedSignIn { .. } => "",
            };
            finding(
                true,
                format!(
                    "InResponseTo {irt} ({signed_note}) answers the AuthnRequest of entry #{} ({binding} to {})",
                    r.entry, r.url
                ),
            )
        }
        Correlation::AnswersNone(irt) => finding(
            false,
            format!(
                "InResponseTo {irt} ({signed_note}) answers none of the AuthnRequest(s) in the capture: {}",
                listed()
            ),
        ),
    }
}

/// WS-Federation: the posted `wctx` against the captured `wsignin1.0` requests' `wctx`.
fn wsfed_correlation(cap: &TokenCapture) -> Check {
    let sent = sent(cap, |k| match k {
        RequestKind::WsFedSignIn { wctx } => Some(wctx.as_deref()),
        RequestKind::AuthnRequest { .. } => None,
    });
    let listed = || listed(&sent, |w| w.map_or_else(|| "no wctx".to_string(), shorten));
    match correlate(cap.wctx.as_deref(), &sent) {
        Correlation::NothingToCompare => finding(
            true,
            "the post carries no wctx and the capture holds no wsignin1.0 request".into(),
        ),
        Correlation::NoneCarried => finding(
            false,
            format!(
                "the post carries no wctx, although the capture holds wsignin1.0 request(s) with wctx {}",
                listed()
            ),
        ),
        Correlation::NoneCaptured(w) => finding(
            true,
            format!(
                "wctx {}: the capture holds no wsignin1.0 request to compare it with",
                shorten(w)
            ),
        ),
        Correlation::Answers(w, r) => finding(
            true,
            format!(
                "the posted wctx {} is the one the wsignin1.0 request of entry #{} sent to {}",
                shorten(w),
                r.entry,
                r.url
            ),
        ),
        Correlation::AnswersNone(w) => finding(
            false,
            format!(
                "the posted wctx {} matches the wctx of none of the wsignin1.0 requests in the capture: {}",
                shorten(w),
                listed()
            ),
        ),
    }
}

/// A value shortened to 80 characters for a message.
fn shorten(s: &str) -> String {
    if s.chars().count() <= 80 {
        s.to_string()
    } else {
        format!("{}...", s.chars().take(77).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn statuses() {
        let cap = TokenCapture {
            requests: Arc::new(vec![CapturedRequest {
                entry: 1,
                url: "https://idp.test/sso".into(),
                kind: RequestKind::AuthnRequest {
                    id: Some("_r1".into()),
                    binding: "HTTP-POST",
                },
            }]),
            wctx: None,
        };
        assert_eq!(
            correlation_check(Protocol::Saml2, Some(("_r1", true)), &cap).status,
            Status::Info
        );
        assert_eq!(
            correlation_check(Protocol::Saml2, Some(("_r2", true)), &cap).status,
            Status::Warn
        );
        assert_eq!(correlation_check(Protocol::Saml2, None, &cap).status, Status::Warn);
        // No wsignin1.0 request captured: nothing to compare the WS-Fed post with.
        assert_eq!(
            correlation_check(Protocol::WsfedSaml11, None, &cap).status,
            Status::Info
        );
    }
}
