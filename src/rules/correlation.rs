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

/// SAML 2.0: `InResponseTo` against the captured AuthnRequests' IDs.
fn saml2_correlation(in_response_to: Option<(&str, bool)>, cap: &TokenCapture) -> Check {
    let sent: Vec<(&CapturedRequest, Option<&str>)> = cap
        .requests
        .iter()
        .filter_map(|r| match &r.kind {
            RequestKind::AuthnRequest { id, .. } => Some((r, id.as_deref())),
            RequestKind::WsFedSignIn { .. } => None,
        })
        .collect();
    let ids = || {
        sent.iter()
            .map(|(r, id)| format!("{} (entry #{})", id.unwrap_or("no ID"), r.entry))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some((irt, signed)) = in_response_to else {
        return if sent.is_empty() {
            check(
                ids::CAPTURE_CORRELATION,
                Status::Info,
                "the Response carries no InResponseTo (IdP-initiated) and the capture holds no AuthnRequest",
                None,
            )
        } else {
            check(
                ids::CAPTURE_CORRELATION,
                Status::Warn,
                format!(
                    "the Response carries no InResponseTo (IdP-initiated), although the capture holds AuthnRequest(s) {}",
                    ids()
                ),
                Some(FIX),
            )
        };
    };
    if sent.is_empty() {
        return check(
            ids::CAPTURE_CORRELATION,
            Status::Info,
            format!(
                "InResponseTo {irt}: the capture holds no AuthnRequest to compare it with (captured after the request was sent?)"
            ),
            None,
        );
    }
    let signed_note = if signed {
        "signed"
    } else {
        "from the unsigned Response envelope"
    };
    match sent.iter().find(|(_, id)| *id == Some(irt)) {
        Some((r, _)) => {
            let binding = match &r.kind {
                RequestKind::AuthnRequest { binding, .. } => *binding,
                RequestKind::WsFedSignIn { .. } => "",
            };
            check(
                ids::CAPTURE_CORRELATION,
                Status::Info,
                format!(
                    "InResponseTo {irt} ({signed_note}) answers the AuthnRequest of entry #{} ({binding} to {})",
                    r.entry, r.url
                ),
                None,
            )
        }
        None => check(
            ids::CAPTURE_CORRELATION,
            Status::Warn,
            format!(
                "InResponseTo {irt} ({signed_note}) answers none of the AuthnRequest(s) in the capture: {}",
                ids()
            ),
            Some(FIX),
        ),
    }
}

/// WS-Federation: the posted `wctx` against the captured `wsignin1.0` requests' `wctx`.
fn wsfed_correlation(cap: &TokenCapture) -> Check {
    let sent: Vec<(&CapturedRequest, Option<&str>)> = cap
        .requests
        .iter()
        .filter_map(|r| match &r.kind {
            RequestKind::WsFedSignIn { wctx } => Some((r, wctx.as_deref())),
            RequestKind::AuthnRequest { .. } => None,
        })
        .collect();
    let list = || {
        sent.iter()
            .map(|(r, w)| {
                format!(
                    "{} (entry #{})",
                    w.map_or_else(|| "no wctx".to_string(), shorten),
                    r.entry
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some(w) = cap.wctx.as_deref() else {
        return if sent.is_empty() {
            check(
                ids::CAPTURE_CORRELATION,
                Status::Info,
                "the post carries no wctx and the capture holds no wsignin1.0 request",
                None,
            )
        } else {
            check(
                ids::CAPTURE_CORRELATION,
                Status::Warn,
                format!(
                    "the post carries no wctx, although the capture holds wsignin1.0 request(s) with wctx {}",
                    list()
                ),
                Some(FIX),
            )
        };
    };
    if sent.is_empty() {
        return check(
            ids::CAPTURE_CORRELATION,
            Status::Info,
            format!(
                "wctx {}: the capture holds no wsignin1.0 request to compare it with",
                shorten(w)
            ),
            None,
        );
    }
    match sent.iter().find(|(_, x)| *x == Some(w)) {
        Some((r, _)) => check(
            ids::CAPTURE_CORRELATION,
            Status::Info,
            format!(
                "the posted wctx {} is the one the wsignin1.0 request of entry #{} sent to {}",
                shorten(w),
                r.entry,
                r.url
            ),
            None,
        ),
        None => check(
            ids::CAPTURE_CORRELATION,
            Status::Warn,
            format!(
                "the posted wctx {} matches the wctx of none of the wsignin1.0 requests in the capture: {}",
                shorten(w),
                list()
            ),
            Some(FIX),
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
