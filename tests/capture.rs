//! `capture.correlation`: in a HAR, does a token answer the sign-in request captured with it? SAML-P: the
//! Response's InResponseTo against the AuthnRequest IDs (HTTP-POST and HTTP-Redirect bindings); WS-Fed: the posted
//! wctx against the wsignin1.0 requests' wctx. Info when it answers one (or none was captured), warn when requests
//! were captured and it answers none. Captures in `testdata/capture/` (`testdata/gen/capture.py`).

mod common;

use common::*;
use serde_json::Value;

fn tokens(file: &str) -> Vec<Value> {
    let out = run(&[
        "check",
        file,
        "--idp-cert",
        "keys/idp-signing.crt",
        "--at",
        AT,
        "--format",
        "json",
    ]);
    out.json()["tokens"].as_array().expect("tokens").clone()
}

fn correlation(t: &Value) -> (String, String) {
    let c = find_check(t, "capture.correlation").unwrap_or_else(|| panic!("no capture.correlation: {t}"));
    (
        c["status"].as_str().unwrap().to_string(),
        c["message"].as_str().unwrap().to_string(),
    )
}

#[test]
fn a_response_answering_the_captured_authn_request() {
    let t = tokens("capture/samlp-answered.har");
    assert_eq!(t.len(), 1);
    let (s, m) = correlation(&t[0]);
    assert_eq!(s, "info", "{m}");
    assert!(
        m.contains("_5f0c1d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f") && m.contains("entry #0"),
        "{m}"
    );
    assert!(m.contains("HTTP-POST") && m.contains("(signed)"), "{m}");
    assert_eq!(t[0]["verdict"], "pass");
}

#[test]
fn tokens_answering_none_of_the_captured_requests_warn() {
    let t = tokens("capture/unanswered.har");
    assert_eq!(t.len(), 2);
    // WS-Fed: the posted wctx is not the captured request's.
    assert_eq!(t[0]["protocol"], "wsfed-saml11");
    let (s, m) = correlation(&t[0]);
    assert_eq!(s, "warn", "{m}");
    assert!(m.contains("estsrequest=rQQIARBB (entry #1)"), "{m}");
    // SAML-P: the AuthnRequest (HTTP-Redirect, DEFLATE) has another ID.
    let (s, m) = correlation(&t[1]);
    assert_eq!(s, "warn", "{m}");
    assert!(m.contains("_0b1c2d3e-0000-4000-8000-00000000aaaa (entry #0)"), "{m}");
}

#[test]
fn the_sample_capture_is_correlated_where_it_can_be() {
    let t = tokens("encoded/capture.har");
    // The wsignin1.0 request carries exactly the wctx the IdP posted back.
    let (s, m) = correlation(&t[0]);
    assert_eq!((s.as_str(), m.contains("entry #1")), ("info", true), "{m}");
    // No AuthnRequest was captured for the SAML-P token: said, not guessed.
    let (s, m) = correlation(&t[1]);
    assert_eq!(s, "info", "{m}");
    assert!(m.contains("holds no AuthnRequest"), "{m}");
}

#[test]
fn tokens_outside_a_capture_have_no_correlation_check() {
    let t = tokens("encoded/saml2-form.txt");
    assert!(find_check(&t[0], "capture.correlation").is_none());
}
