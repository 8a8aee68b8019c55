//! `--federation-config`: tokens cross-checked against the domain's Entra federation settings, and Entra's outcome
//! predicted for every `federatedIdpMfaBehavior` value x {claim present, missing} x {WS-Fed, SAML-P}.

mod common;

use common::*;
use serde_json::{json, Value};

fn entra_check(args: &[&str]) -> Out {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--at", AT, "--format", "json"]);
    run(&all)
}

/// The part of a report the prediction consists of: the `entra` object and the `entra.*` checks.
fn prediction(out: &Out) -> Value {
    let r = out.json();
    let t = &r["tokens"][0];
    let checks: Vec<Value> = t["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter(|c| c["id"].as_str().is_some_and(|id| id.starts_with("entra.")))
        .cloned()
        .collect();
    json!({"verdict": r["verdict"], "entra": t["entra"], "checks": checks})
}

#[test]
fn outcome_matrix() {
    let behaviors = ["accept", "enforce", "reject", "unset"];
    let cases = [
        ("wsfed", "present", "wsfed/mfa-authmethod-sha256.xml"),
        ("wsfed", "missing", "wsfed/password.xml"),
        ("saml", "present", "saml2/mfa-sha256.xml"),
        ("saml", "missing", "saml2/password-sha256.xml"),
    ];
    for b in behaviors {
        for (proto, claim, fixture) in cases {
            let config = format!("entra/graph-{b}-{proto}.json");
            let out = entra_check(&[fixture, "--federation-config", &config]);
            let p = prediction(&out);
            // Expected outcome, from Microsoft's description of each behaviour.
            let want = match (b, claim) {
                ("accept" | "enforce", "present") => "honoured",
                ("accept", "missing") | ("reject", _) => "entra-mfa",
                ("enforce", "missing") => "redirect-to-idp",
                ("unset", "present") => "honoured",
                ("unset", "missing") => "indeterminate",
                _ => unreachable!(),
            };
            assert_eq!(p["entra"]["outcome"], want, "{b} {proto} {claim}: {}", out.describe());
            assert_eq!(p["entra"]["claim_present"], claim == "present");
            let want_exit = if want == "honoured" { 0 } else { 1 };
            assert_eq!(out.code, want_exit, "{b} {proto} {claim}: {}", out.describe());
            insta::with_settings!({
                snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"),
                prepend_module_to_snapshot => false,
            }, {
                insta::assert_json_snapshot!(format!("entra__{b}-{proto}-{claim}"), p);
            });
        }
    }
}

#[test]
fn legacy_supports_mfa_and_prompt_login() {
    let out = entra_check(&[
        "wsfed/password.xml",
        "--federation-config",
        "entra/msol-supportsmfa.json",
    ]);
    let p = prediction(&out);
    assert_eq!(p["entra"]["behavior"], "enforceMfaByFederatedIdp", "{}", out.describe());
    assert!(p["entra"]["behavior_source"]
        .as_str()
        .unwrap()
        .contains("SupportsMfa = true"));
    let r = out.json();
    let prompt = find_check(&r["tokens"][0], "entra.prompt-login").expect("prompt-login check");
    assert_eq!(prompt["status"], "warn");
    insta::with_settings!({
        snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"),
        prepend_module_to_snapshot => false,
    }, {
        insta::assert_json_snapshot!("entra__msol-supportsmfa-wsfed-missing", p);
    });
}

#[test]
fn issuer_mismatch_is_aadsts50107() {
    let out = entra_check(&[
        "wsfed/mfa-authmethod-sha256.xml",
        "--federation-config",
        "entra/graph-wrong-issuer.json",
    ]);
    let r = out.json();
    assert_eq!(out.code, 1, "{}", out.describe());
    assert_eq!(r["tokens"][0]["entra"]["outcome"], "rejected");
    assert_eq!(r["tokens"][0]["entra"]["aadsts"], "AADSTS50107");
    assert_eq!(find_check(&r["tokens"][0], "issuer").unwrap()["status"], "fail");
}

#[test]
fn rolled_certificate_is_aadsts50006() {
    // The domain only knows the next certificate; the token is signed with the current one.
    let out = entra_check(&[
        "saml2/mfa-sha256.xml",
        "--federation-config",
        "entra/graph-rolled-cert.json",
    ]);
    let r = out.json();
    assert_eq!(out.code, 1, "{}", out.describe());
    assert_eq!(r["tokens"][0]["entra"]["aadsts"], "AADSTS50006");
    let c = find_check(&r["tokens"][0], "entra.signing-certificate").unwrap();
    assert_eq!(c["status"], "fail");
    assert!(c["message"]
        .as_str()
        .unwrap()
        .contains("46B8B36FACEFEE67DFAD1F646FB57AF465EAD33E"));
}

#[test]
fn next_certificate_is_accepted() {
    let out = entra_check(&[
        "saml2/mfa-next-cert.xml",
        "--federation-config",
        "entra/graph-accept-saml.json",
    ]);
    let r = out.json();
    assert_eq!(out.code, 0, "{}", out.describe());
    let c = find_check(&r["tokens"][0], "entra.signing-certificate").unwrap();
    assert!(c["message"].as_str().unwrap().contains("nextSigningCertificate"), "{c}");
}

#[test]
fn protocol_mismatch_is_rejected() {
    let out = entra_check(&[
        "saml2/mfa-sha256.xml",
        "--federation-config",
        "entra/graph-accept-wsfed.json",
    ]);
    let r = out.json();
    assert_eq!(out.code, 1, "{}", out.describe());
    assert_eq!(find_check(&r["tokens"][0], "entra.protocol").unwrap()["status"], "fail");
    assert_eq!(r["tokens"][0]["entra"]["outcome"], "rejected");
}

#[test]
fn config_certificates_are_trust_anchors() {
    // No --idp-cert: the domain's signingCertificate is what Entra trusts, so it verifies the token.
    let out = entra_check(&[
        "wsfed/mfa-authmethod-sha256.xml",
        "--federation-config",
        "entra/graph-accept-wsfed.json",
    ]);
    assert_eq!(out.code, 0, "{}", out.describe());
    let r = out.json();
    assert_eq!(r["trust"]["anchors"].as_array().unwrap().len(), 2);
}

#[test]
fn unusable_config_is_exit_2() {
    for (name, bytes) in [
        ("not-json.json", b"issuerUri = x".as_slice()),
        ("empty.json", b"{\"value\":[]}".as_slice()),
        ("other.json", b"{\"hello\":1}".as_slice()),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        let out = entra_check(&["saml2/mfa-sha256.xml", "--federation-config", p.to_str().unwrap()]);
        assert_eq!(out.code, 2, "{name}: {}", out.describe());
        assert!(out.stdout.is_empty(), "{name}: {}", out.describe());
        assert!(out.stderr.contains("--federation-config"), "{name}: {}", out.describe());
        assert_eq!(out.stderr.trim().lines().count(), 1, "{name}: {}", out.describe());
    }
}

/// The end-to-end chain: IdP token -> domain setting -> Entra token (`--entra-token`).
fn chain_run(entra: &str, extra: &[&str]) -> Out {
    let mut args = vec![
        "wsfed/mfa-authmethod-sha256.xml",
        "--federation-config",
        "entra/graph-accept-wsfed.json",
        "--entra-token",
        entra,
        "--entra-jwks",
        "jwt/jwks.json",
    ];
    args.extend_from_slice(extra);
    entra_check(&args)
}

#[test]
fn chain_links_the_same_user_and_sign_in() {
    let out = chain_run("jwt/good.jwt", &[]);
    assert_eq!(out.code, 0, "{}", out.describe());
    let r = out.json();
    let e = &r["chain"]["entries"][0];
    assert_eq!(r["chain"]["verdict"], "pass");
    assert_eq!(e["matched_by"], "upn");
    let steps: Vec<(&str, &str)> = e["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        steps,
        vec![
            ("idp-token", "pass"),
            ("domain-setting", "pass"),
            ("entra-token", "pass")
        ]
    );
    // No personal value is copied into the chain.
    assert!(!r["chain"].to_string().contains("alice@contoso.test"), "{}", r["chain"]);
}

#[test]
fn chain_fails_when_entra_token_lacks_mfa() {
    let out = chain_run("jwt/amr-pwd-only.jwt", &[]);
    assert_eq!(out.code, 1, "{}", out.describe());
    let r = out.json();
    assert_eq!(r["verdict"], "fail", "a failing chain fails the run");
    assert_eq!(r["chain"]["entries"][0]["steps"][2]["status"], "fail");
    assert!(r["chain"]["entries"][0]["steps"][2]["detail"]
        .as_str()
        .unwrap()
        .contains("jwt.amr"));
}

#[test]
fn chain_needs_the_same_sign_in_window() {
    // The same user, but the Entra token was issued at 08:00, two hours before the IdP token: not the same
    // sign-in, so it is not linked, and the chain says no Entra token belongs to this IdP token.
    let out = chain_run("jwt/expired.jwt", &[]);
    let r = out.json();
    assert_eq!(out.code, 1, "{}", out.describe());
    let e = &r["chain"]["entries"][0];
    assert_eq!(e["steps"][2]["status"], "fail", "{e}");
    assert!(e["entra_token"].is_null(), "{e}");
    assert_eq!(r["chain"]["unlinked_entra_tokens"][0], "jwt/expired.jwt");
}

#[test]
fn chain_in_a_bundle_report() {
    let dir = tempfile::tempdir().unwrap();
    let outdir = dir.path().join("ev");
    let out = run(&[
        "bundle",
        "wsfed/mfa-authmethod-sha256.xml",
        "--federation-config",
        "entra/graph-accept-wsfed.json",
        "--entra-token",
        "jwt/good.jwt",
        "--entra-jwks",
        "jwt/jwks.json",
        "--at",
        AT,
        "--redaction-key",
        "k",
        "--out",
        outdir.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}", out.describe());
    let md = std::fs::read_to_string(outdir.join("report.md")).unwrap();
    assert!(md.contains("Evidence chain"), "{md}");
    let json = std::fs::read_to_string(outdir.join("report.json")).unwrap();
    assert!(json.contains("\"entra-token\""));
    assert!(!json.contains("alice@contoso.test"), "redaction covers the chain");
}
