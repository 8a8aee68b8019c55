//! `mfa.signal`'s fix fits the state of the token (issue 17, item 5): when the claims could not be verified (no
//! trust anchor given, or a key that is not trusted) and they carry the MFA signal, the check says the signal is
//! present but unverified and how to give the trust anchor, never "emit the claim"; when the unverified claims carry
//! no MFA signal, the protocol's rule to emit it is the fix, and the missing trust anchor is named too. Both
//! protocols, in the JSON `fix` and in the terminal report. The tokens are signed by xmlsec1
//! (`testdata/generate.sh`).

mod common;

use common::*;
use serde_json::Value;

/// The SAML-P fix that asks for the claim to be emitted.
const SAML2_EMIT: &str = "emit exactly one AuthnContextClassRef";
/// The WS-Fed fix that asks for the claim to be issued.
const WSFED_EMIT: &str = "issue http://schemas.microsoft.com/claims/authnmethodsreferences";

/// `mfa.signal` of the only token of `check FILE --at AT --format json` plus `extra`: (status, message, fix).
fn mfa_signal(file: &str, extra: &[&str]) -> (String, String, String) {
    let mut args = vec!["check", file, "--at", AT, "--format", "json"];
    args.extend_from_slice(extra);
    let out = run(&args);
    assert_eq!(out.code, 1, "{}", out.describe());
    let t: Value = out.json()["tokens"][0].clone();
    let c = find_check(&t, "mfa.signal").unwrap_or_else(|| panic!("no mfa.signal: {}", out.describe()));
    let s = |k: &str| c[k].as_str().unwrap_or_default().to_string();
    (s("status"), s("message"), s("fix"))
}

fn assert_names_every_trust_anchor_option(fix: &str) {
    for opt in ["--idp-cert", "--metadata", "--federation-config"] {
        assert!(fix.contains(opt), "the fix does not name {opt}: {fix}");
    }
}

#[test]
fn without_a_trust_anchor_a_present_signal_is_unverified_not_missing() {
    for (file, emit, location) in [
        (
            "saml2/mfa-sha256.xml",
            SAML2_EMIT,
            "AuthnContextClassRef = http://schemas.microsoft.com/claims/multipleauthn",
        ),
        (
            "wsfed/mfa-authmethod-sha256.xml",
            WSFED_EMIT,
            "@AuthenticationMethod = http://schemas.microsoft.com/claims/multipleauthn",
        ),
    ] {
        let (status, message, fix) = mfa_signal(file, &[]);
        // Still not a pass: nothing verified, so Entra's view cannot be confirmed (fail closed).
        assert_eq!(status, "fail", "{file}");
        assert!(
            message.contains("MFA signal present but unverified"),
            "{file}: {message}"
        );
        assert!(
            message.contains(location),
            "{file}: the message names the claim: {message}"
        );
        assert!(message.contains("no trust anchor was given"), "{file}: {message}");
        assert!(
            !fix.contains(emit),
            "{file}: the fix asks to emit a claim the token carries: {fix}"
        );
        assert!(!fix.contains("pass-through rule"), "{file}: {fix}");
        assert!(fix.contains("already carries the MFA claim"), "{file}: {fix}");
        assert_names_every_trust_anchor_option(&fix);
    }
}

#[test]
fn the_terminal_report_says_the_same() {
    let out = run(&["check", "saml2/mfa-sha256.xml", "--at", AT]);
    assert_eq!(out.code, 1, "{}", out.describe());
    assert!(
        out.stdout.contains("MFA signal present but unverified"),
        "{}",
        out.describe()
    );
    assert!(out.stdout.contains("--federation-config"), "{}", out.describe());
    assert!(!out.stdout.contains(SAML2_EMIT), "{}", out.describe());
}

#[test]
fn an_untrusted_key_is_named_with_its_thumbprint_not_trusted_by_subject() {
    // Signed by an attacker key whose certificate has the IdP's subject (CN=sts.contoso.test): the fix must send the
    // user to the thumbprint, never to "trust this certificate" on the strength of its name.
    for (file, emit) in [
        ("saml2/mfa-untrusted.xml", SAML2_EMIT),
        ("wsfed/untrusted.xml", WSFED_EMIT),
    ] {
        let (status, message, fix) = mfa_signal(file, &["--idp-cert", "keys/idp-signing.crt"]);
        assert_eq!(status, "fail", "{file}");
        assert!(
            message.contains("MFA signal present but unverified"),
            "{file}: {message}"
        );
        assert!(
            message.contains("not among the trusted certificates"),
            "{file}: {message}"
        );
        assert!(!fix.contains(emit), "{file}: {fix}");
        assert!(fix.contains("SHA-256 thumbprint"), "{file}: {fix}");
        assert!(fix.contains("signingCertificate"), "{file}: {fix}");
        assert!(fix.contains("not signed by your IdP"), "{file}: {fix}");
        assert_names_every_trust_anchor_option(&fix);
    }
}

#[test]
fn a_broken_signature_over_an_mfa_claim_does_not_vouch_for_the_claim() {
    // The MFA value was written in after signing: the fix is the signature, and it does not say the IdP issued it.
    for file in ["saml2/tampered-classref.xml", "wsfed/tampered-authmethod.xml"] {
        let (_, message, fix) = mfa_signal(file, &["--idp-cert", "keys/idp-signing.crt"]);
        assert!(
            message.contains("MFA signal present but unverified"),
            "{file}: {message}"
        );
        assert!(fix.contains("signature.valid"), "{file}: {fix}");
        assert!(fix.contains("unknown"), "{file}: {fix}");
        assert!(!fix.contains("already carries"), "{file}: {fix}");
    }
}

#[test]
fn unverified_claims_without_mfa_get_the_rule_and_the_trust_anchor() {
    for (file, emit, near) in [
        ("saml2/password-sha256.xml", SAML2_EMIT, "password sign-in"),
        ("wsfed/password.xml", WSFED_EMIT, "password sign-in"),
    ] {
        let (status, message, fix) = mfa_signal(file, &[]);
        assert_eq!(status, "fail", "{file}");
        assert!(!message.contains("present but unverified"), "{file}: {message}");
        assert!(message.contains("carry no MFA signal either"), "{file}: {message}");
        assert!(
            message.contains(near),
            "{file}: the unverified near miss is named: {message}"
        );
        assert!(fix.contains(emit), "{file}: {fix}");
        assert_names_every_trust_anchor_option(&fix);
    }
    // With the trust anchor the claims verify: the fix is the rule alone.
    let (_, message, fix) = mfa_signal("saml2/password-sha256.xml", &["--idp-cert", "keys/idp-signing.crt"]);
    assert!(message.starts_with("the signed token does not carry"), "{message}");
    assert!(fix.contains(SAML2_EMIT), "{fix}");
    assert!(!fix.contains("--federation-config"), "{fix}");
}
