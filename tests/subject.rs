//! The subject and sign-in-frequency rules against Microsoft's SAML 2.0 IdP guide and Entra's MFA-claims page:
//! `subject.nameid` (64 characters, non-HTML-safe characters encoded, '+' as '.2B'), `subject.upn` (e-mail form,
//! in the federated domain), `mfa.instant` (the authentication instant and its age), and the SAML-P `mfa.signal`
//! fix text. The tokens in `testdata/subject/` are signed by xmlsec1 (`testdata/gen/subject.py`).

mod common;

use common::*;
use serde_json::Value;

fn token(file: &str, extra: &[&str]) -> (Out, Value) {
    let mut args = vec![
        "check",
        file,
        "--idp-cert",
        "keys/idp-signing.crt",
        "--at",
        AT,
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let out = run(&args);
    let t = out.json()["tokens"][0].clone();
    (out, t)
}

fn status(t: &Value, id: &str) -> String {
    find_check(t, id).unwrap_or_else(|| panic!("no {id} in {t}"))["status"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn nameid_plus_and_length_warn_encoded_passes() {
    let (out, t) = token("subject/nameid-plus.xml", &[]);
    assert_eq!(status(&t, "subject.nameid"), "warn", "{}", out.describe());
    let m = find_check(&t, "subject.nameid").unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(m.contains("'+'") && m.contains(".2B"), "{m}");
    // A warning, not a failure: the token still passes (raw '+' is seen accepted by Entra).
    assert_eq!(t["verdict"], "pass");
    assert_eq!(out.code, 0);

    let (_, t) = token("subject/nameid-encoded.xml", &[]);
    assert_eq!(status(&t, "subject.nameid"), "pass");

    let (_, t) = token("subject/nameid-long.xml", &[]);
    assert_eq!(status(&t, "subject.nameid"), "warn");
    assert!(find_check(&t, "subject.nameid").unwrap()["message"]
        .as_str()
        .unwrap()
        .contains("70 characters"));

    // The base64 ImmutableID of every other fixture ('=' padding) is not flagged.
    let (_, t) = token("saml2/mfa-sha256.xml", &[]);
    assert_eq!(status(&t, "subject.nameid"), "pass");
}

#[test]
fn upn_in_email_form_and_in_the_federated_domain() {
    let (_, t) = token("subject/upn-not-email.xml", &[]);
    assert_eq!(status(&t, "subject.upn"), "warn");

    // Without a known domain, any e-mail-form UPN passes.
    let (_, t) = token("subject/upn-other-domain.xml", &[]);
    assert_eq!(status(&t, "subject.upn"), "pass");
    // --tenant-domain names it.
    let (_, t) = token("subject/upn-other-domain.xml", &["--tenant-domain", "contoso.test"]);
    assert_eq!(status(&t, "subject.upn"), "warn");
    assert!(find_check(&t, "subject.upn").unwrap()["message"]
        .as_str()
        .unwrap()
        .contains("--tenant-domain"));
    // So does the Graph export's @odata.context.
    let (_, t) = token(
        "subject/upn-other-domain.xml",
        &["--federation-config", "entra/graph-accept-saml.json"],
    );
    assert_eq!(status(&t, "subject.upn"), "warn");
    // A subdomain uses its root domain's settings.
    let (_, t) = token("subject/upn-subdomain.xml", &["--tenant-domain", "CONTOSO.test"]);
    assert_eq!(status(&t, "subject.upn"), "pass");
    let (_, t) = token("saml2/mfa-sha256.xml", &["--tenant-domain", "contoso.test"]);
    assert_eq!(status(&t, "subject.upn"), "pass");
    // WS-Fed's UPN claim too.
    let (_, t) = token("wsfed/mfa-authmethod-sha256.xml", &["--tenant-domain", "fabrikam.test"]);
    assert_eq!(status(&t, "subject.upn"), "warn");
}

#[test]
fn tenant_domain_must_be_a_domain() {
    let out = run(&[
        "check",
        "saml2/mfa-sha256.xml",
        "--idp-cert",
        "keys/idp-signing.crt",
        "--tenant-domain",
        "alice@contoso.test",
    ]);
    assert_eq!(out.code, 2, "{}", out.describe());
    assert!(out.stderr.contains("--tenant-domain"), "{}", out.describe());
}

#[test]
fn mfa_instant_reports_the_instant_and_its_age() {
    for (file, location) in [
        ("saml2/mfa-sha256.xml", "AuthnStatement/@AuthnInstant"),
        (
            "wsfed/mfa-authmethod-sha256.xml",
            "AuthenticationStatement/@AuthenticationInstant",
        ),
    ] {
        let (_, t) = token(file, &[]);
        let c = find_check(&t, "mfa.instant").unwrap_or_else(|| panic!("{file}: {t}"));
        assert_eq!(c["status"], "info", "{c}");
        let m = c["message"].as_str().unwrap();
        assert!(m.contains("2026-01-15T10:00:00Z") && m.contains(location), "{m}");
        assert!(m.contains("5 min before the evaluation time"), "{m}");
        assert!(m.contains("sign-in frequency"), "{m}");
    }
    // A day later, the age says so.
    let out = run(&[
        "check",
        "saml2/mfa-sha256.xml",
        "--idp-cert",
        "keys/idp-signing.crt",
        "--at",
        "2026-01-16T12:00:00Z",
        "--format",
        "json",
    ]);
    let t = out.json()["tokens"][0].clone();
    assert!(find_check(&t, "mfa.instant").unwrap()["message"]
        .as_str()
        .unwrap()
        .contains("26 h before"));
    // SAML 2.0 ignores the multifactorauthenticationinstant attribute; the report says so.
    let (_, t) = token("subject/mfa-instant-attribute.xml", &[]);
    let m = find_check(&t, "mfa.instant").unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        m.contains("multifactorauthenticationinstant attribute is ignored"),
        "{m}"
    );
    // Nothing signed, nothing reported.
    let out = run(&["check", "saml2/mfa-sha256.xml", "--at", AT, "--format", "json"]);
    assert!(find_check(&out.json()["tokens"][0], "mfa.instant").is_none());
}

#[test]
fn the_samlp_mfa_fix_does_not_send_users_to_a_ws_fed_only_feature() {
    let (_, t) = token("saml2/password-sha256.xml", &[]);
    let fix = find_check(&t, "mfa.signal").unwrap()["fix"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!fix.contains("Okta"), "{fix}");
    assert!(fix.contains("exactly one AuthnContextClassRef"), "{fix}");
    let (_, t) = token("wsfed/password.xml", &[]);
    let fix = find_check(&t, "mfa.signal").unwrap()["fix"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(fix.contains("Use Okta MFA to satisfy Entra ID MFA"), "{fix}");
}
