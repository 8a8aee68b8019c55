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
    // MSOnline writes PromptLoginBehavior as TranslateToFreshPasswordAuth (not Graph's
    // translateToFreshPasswordAuthentication); the fixture carries that spelling.
    let raw = std::fs::read_to_string(testdata().join("entra/msol-supportsmfa.json")).unwrap();
    assert!(
        raw.contains("\"PromptLoginBehavior\": \"TranslateToFreshPasswordAuth\""),
        "{raw}"
    );
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
    assert!(
        prompt["message"]
            .as_str()
            .unwrap()
            .contains("TranslateToFreshPasswordAuth"),
        "{prompt}"
    );
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
fn unregistered_signing_key_is_aadsts50008() {
    // The domain only knows the next certificate; the token is signed with the current one, whose signature is
    // intact: "the signing key identifier does not match any valid registered keys", not a bad signature.
    let out = entra_check(&[
        "saml2/mfa-sha256.xml",
        "--federation-config",
        "entra/graph-rolled-cert.json",
    ]);
    let r = out.json();
    assert_eq!(out.code, 1, "{}", out.describe());
    assert_eq!(r["tokens"][0]["entra"]["aadsts"], "AADSTS50008 / AADSTS5000811");
    let c = find_check(&r["tokens"][0], "entra.signing-certificate").unwrap();
    assert_eq!(c["status"], "fail");
    let msg = c["message"].as_str().unwrap();
    assert!(msg.contains("46B8B36FACEFEE67DFAD1F646FB57AF465EAD33E"), "{c}");
    assert!(msg.contains("AADSTS50008 / AADSTS5000811"), "{c}");
    assert!(!msg.contains("AADSTS50006"), "{c}");

    // The same certificate trusted with --idp-cert (so the claims verify) is still not the domain's.
    let out = entra_check(&[
        "saml2/mfa-sha256.xml",
        "--idp-cert",
        "keys/idp-signing.crt",
        "--federation-config",
        "entra/graph-rolled-cert.json",
    ]);
    let r = out.json();
    assert_eq!(
        r["tokens"][0]["entra"]["aadsts"],
        "AADSTS50008 / AADSTS5000811",
        "{}",
        out.describe()
    );

    // A key the IdP never had (the attacker's, in KeyInfo) likewise.
    let out = entra_check(&[
        "saml2/mfa-untrusted.xml",
        "--federation-config",
        "entra/graph-accept-saml.json",
    ]);
    assert_eq!(
        out.json()["tokens"][0]["entra"]["aadsts"],
        "AADSTS50008 / AADSTS5000811",
        "{}",
        out.describe()
    );
}

#[test]
fn a_signature_that_does_not_verify_is_aadsts50006() {
    let out = entra_check(&[
        "saml2/tampered-signaturevalue.xml",
        "--federation-config",
        "entra/graph-accept-saml.json",
    ]);
    let r = out.json();
    assert_eq!(out.code, 1, "{}", out.describe());
    assert_eq!(r["tokens"][0]["entra"]["aadsts"], "AADSTS50006");
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

/// Every export shape users have, read for what it says: kind, behaviour, outcome, domain.
#[test]
fn every_export_shape_is_read() {
    let mfa = "wsfed/mfa-authmethod-sha256.xml";
    // (settings, kind, behaviour, outcome, exit code, domain)
    let cases = [
        (
            "entra/graph-accept-wsfed.json",
            "graph",
            "acceptIfMfaDoneByFederatedIdp",
            "honoured",
            0,
            Some("contoso.test"),
        ),
        (
            "entra/graph-entity.json",
            "graph",
            "enforceMfaByFederatedIdp",
            "honoured",
            0,
            Some("contoso.test"),
        ),
        // The headline: Graph PowerShell's PascalCase export holding rejectMfaByFederatedIdp.
        (
            "entra/graph-powershell-reject.json",
            "graph-powershell",
            "rejectMfaByFederatedIdp",
            "entra-mfa",
            1,
            Some("contoso.test"),
        ),
        // Windows PowerShell 5.1 (UTF-16LE, \/Date()\/, \u0027 escapes).
        (
            "entra/graph-powershell-ps51.json",
            "graph-powershell",
            "acceptIfMfaDoneByFederatedIdp",
            "honoured",
            0,
            Some("contoso.test"),
        ),
        (
            "entra/graph-powershell-two-domains.json",
            "graph-powershell",
            "acceptIfMfaDoneByFederatedIdp",
            "honoured",
            0,
            Some("contoso.test"),
        ),
        // Neither federatedIdpMfaBehavior nor SupportsMfa is exported: the claim is honoured unless reject is set.
        (
            "entra/entra-powershell.json",
            "entra-powershell",
            "indeterminate",
            "indeterminate",
            0,
            None,
        ),
        // MSOnline cannot show federatedIdpMfaBehavior, which overrides SupportsMfa.
        (
            "entra/msol-supportsmfa.json",
            "msol",
            "enforceMfaByFederatedIdp",
            "indeterminate",
            0,
            None,
        ),
        (
            "entra/msol-ps51.json",
            "msol",
            "enforceMfaByFederatedIdp",
            "indeterminate",
            0,
            None,
        ),
    ];
    for (cfg, kind, behavior, outcome, code, domain) in cases {
        let out = entra_check(&[mfa, "--federation-config", cfg]);
        assert_eq!(out.code, code, "{cfg}: {}", out.describe());
        let r = out.json();
        let e = &r["tokens"][0]["entra"];
        assert_eq!(e["settings_kind"], kind, "{cfg}: {e}");
        assert_eq!(e["behavior"], behavior, "{cfg}: {e}");
        assert_eq!(e["outcome"], outcome, "{cfg}: {e}");
        assert_eq!(e["domain"].as_str(), domain, "{cfg}: {e}");
        assert_eq!(r["trust"]["federation"]["configurations"][0]["kind"], kind, "{cfg}");
        let named = find_check(&r["tokens"][0], "entra.domain").expect("entra.domain");
        assert_eq!(named["status"], "info");
        // Nothing is lost in the reading: every shape yields the same issuer and both certificates.
        assert_eq!(
            find_check(&r["tokens"][0], "issuer").unwrap()["status"],
            "pass",
            "{cfg}"
        );
        assert_eq!(
            find_check(&r["tokens"][0], "entra.signing-certificate").unwrap()["status"],
            "pass",
            "{cfg}"
        );
    }
}

#[test]
fn the_reject_fix_carries_microsofts_security_caveat() {
    let out = entra_check(&[
        "wsfed/mfa-authmethod-sha256.xml",
        "--federation-config",
        "entra/graph-powershell-reject.json",
    ]);
    let r = out.json();
    let o = find_check(&r["tokens"][0], "entra.outcome").unwrap();
    assert_eq!(o["status"], "fail", "{o}");
    assert!(
        o["fix"].as_str().unwrap().contains("compromised or misconfigured IdP"),
        "{o}"
    );
}

#[test]
fn the_indeterminate_fix_says_the_switch_is_one_way() {
    let out = entra_check(&[
        "wsfed/password.xml",
        "--federation-config",
        "entra/graph-unset-wsfed.json",
    ]);
    let o = find_check(&out.json()["tokens"][0], "entra.outcome").unwrap().clone();
    assert_eq!(o["status"], "warn", "{o}");
    assert!(o["fix"].as_str().unwrap().contains("one-way"), "{o}");
}

#[test]
fn outcomes_say_they_apply_when_mfa_is_required() {
    for (cfg, outcome) in [
        ("entra/graph-accept-wsfed.json", "entra-mfa"),
        ("entra/graph-enforce-wsfed.json", "redirect-to-idp"),
        ("entra/graph-reject-wsfed.json", "entra-mfa"),
    ] {
        let out = entra_check(&["wsfed/password.xml", "--federation-config", cfg]);
        let e = out.json()["tokens"][0]["entra"].clone();
        assert_eq!(e["outcome"], outcome, "{cfg}");
        let d = e["description"].as_str().unwrap();
        assert!(
            d.contains("When Conditional Access, per-user MFA or security defaults require MFA"),
            "{cfg}: {d}"
        );
        assert!(
            d.contains("without mfa in amr and Partner Center refuses it"),
            "{cfg}: {d}"
        );
    }
}

#[test]
fn msonline_numbers_are_indeterminate_never_guessed() {
    let out = entra_check(&[
        "wsfed/mfa-authmethod-sha256.xml",
        "--federation-config",
        "entra/msol-ps51.json",
    ]);
    let r = out.json();
    let t = &r["tokens"][0];
    let proto = find_check(t, "entra.protocol").unwrap();
    assert_eq!(proto["status"], "warn", "{proto}");
    assert!(proto["message"].as_str().unwrap().contains("the number 0"), "{proto}");
    let prompt = find_check(t, "entra.prompt-login").unwrap();
    assert_eq!(prompt["status"], "warn", "{prompt}");
    assert!(
        prompt["message"].as_str().unwrap().contains("cannot be interpreted"),
        "{prompt}"
    );
}

#[test]
fn certificate_update_status() {
    let status = |cfg: &str| {
        let out = entra_check(&["wsfed/mfa-authmethod-sha256.xml", "--federation-config", cfg]);
        find_check(&out.json()["tokens"][0], "entra.certificate-update")
            .expect("entra.certificate-update")
            .clone()
    };
    let c = status("entra/graph-powershell-ps51.json");
    assert_eq!(c["status"], "warn", "{c}");
    let m = c["message"].as_str().unwrap();
    assert!(m.contains("couldNotAccessRemoteHost"), "{c}");
    // lastRunDateTime written by Windows PowerShell as \/Date(1767225600000)\/.
    assert!(m.contains("last run 2026-01-01T00:00:00Z"), "{c}");
    assert_eq!(status("entra/graph-accept-wsfed.json")["status"], "pass");
    assert_eq!(status("entra/msol-supportsmfa.json")["status"], "info");
}

#[test]
fn certificate_expiry_warns_from_35_days_with_the_protocols_fix() {
    // idp-signing expires 2035-01-01: 34 days after 2034-11-28 (a warning at 35, none at the Graph page's 30).
    let check_at = |at: &str, cfg: &str| {
        let out = run(&[
            "check",
            "wsfed/mfa-authmethod-sha256.xml",
            "--federation-config",
            cfg,
            "--at",
            at,
            "--format",
            "json",
        ]);
        out.json()["tokens"][0].clone()
    };
    let t = check_at("2034-11-28T00:00:00Z", "entra/graph-accept-wsfed.json");
    let c = t["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "entra.signing-certificate" && c["status"] == "warn")
        .expect("a 35-day warning")
        .clone();
    assert!(c["message"].as_str().unwrap().contains("within 35 days"), "{c}");
    let fix = c["fix"].as_str().unwrap();
    assert!(fix.contains("WS-Fed domain with automatic certificate update"), "{fix}");
    assert_eq!(find_check(&t, "certificate.validity").unwrap()["status"], "warn");

    let t = check_at("2034-11-28T00:00:00Z", "entra/graph-accept-saml.json");
    let c = t["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "entra.signing-certificate" && c["status"] == "warn")
        .expect("a 35-day warning")
        .clone();
    assert!(
        c["fix"].as_str().unwrap().contains("does not read the IdP's metadata"),
        "{c}"
    );

    let t = check_at("2034-11-20T00:00:00Z", "entra/graph-accept-wsfed.json");
    assert!(
        !t["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == "entra.signing-certificate" && c["status"] == "warn"),
        "42 days before expiry: {t}"
    );
}

/// A copy of the two-domain Graph PowerShell export with its issuers changed, in a temporary folder.
fn two_domains_with(fabrikam_issuer: &str, contoso_issuer: &str) -> (tempfile::TempDir, String) {
    let raw = std::fs::read_to_string(testdata().join("entra/graph-powershell-two-domains.json")).unwrap();
    let mut v: Value = serde_json::from_str(&raw).unwrap();
    v[0]["IssuerUri"] = json!(fabrikam_issuer);
    v[1]["IssuerUri"] = json!(contoso_issuer);
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("two.json");
    std::fs::write(&p, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    let s = p.to_str().unwrap().to_string();
    (dir, s)
}

#[test]
fn several_domains_use_the_one_whose_issuer_the_token_carries() {
    let out = entra_check(&[
        "wsfed/mfa-authmethod-sha256.xml",
        "--federation-config",
        "entra/graph-powershell-two-domains.json",
    ]);
    let r = out.json();
    let named = find_check(&r["tokens"][0], "entra.domain").unwrap();
    let m = named["message"].as_str().unwrap();
    assert!(
        m.contains("contoso.test") && m.contains("one of 2 configurations"),
        "{named}"
    );
    assert!(m.contains("its issuerUri equals the token's issuer"), "{named}");
    // With two issuers configured, no single expected issuer is reported.
    assert!(r["trust"]["expected_issuer"].is_null());

    // Same issuer on both: the one holding the certificate that signed the token (the second) wins.
    let (_d, cfg) = two_domains_with(ISSUER, ISSUER);
    let out = entra_check(&["wsfed/mfa-authmethod-sha256.xml", "--federation-config", &cfg]);
    let e = out.json()["tokens"][0]["entra"].clone();
    assert_eq!(e["domain"], "contoso.test", "{}", out.describe());

    // No issuer matches: the issuer check fails, listing every configured issuer.
    let (_d, cfg) = two_domains_with("http://a.test/trust", "http://b.test/trust");
    let out = entra_check(&["wsfed/mfa-authmethod-sha256.xml", "--federation-config", &cfg]);
    assert_eq!(out.code, 1, "{}", out.describe());
    let r = out.json();
    let issuer = find_check(&r["tokens"][0], "issuer").unwrap();
    assert_eq!(issuer["status"], "fail");
    let m = issuer["message"].as_str().unwrap();
    assert!(
        m.contains("\"http://a.test/trust\" (the issuerUri of fabrikam.test)"),
        "{issuer}"
    );
    assert!(
        m.contains("\"http://b.test/trust\" (the issuerUri of contoso.test)"),
        "{issuer}"
    );
    assert!(m.contains("AADSTS50107"), "{issuer}");
    assert_eq!(r["tokens"][0]["entra"]["aadsts"], "AADSTS50107");
}

#[test]
fn the_upn_must_be_in_the_domain_whose_settings_matched() {
    // Only fabrikam.test carries the token's issuer, so its settings are used; the UPN is alice@contoso.test.
    let (_d, cfg) = two_domains_with(ISSUER, "http://sts.contoso.test/other");
    let out = entra_check(&["wsfed/mfa-authmethod-sha256.xml", "--federation-config", &cfg]);
    let r = out.json();
    assert_eq!(r["tokens"][0]["entra"]["domain"], "fabrikam.test", "{}", out.describe());
    let upn = find_check(&r["tokens"][0], "subject.upn").unwrap();
    assert_eq!(upn["status"], "warn", "{upn}");
    assert!(
        upn["message"].as_str().unwrap().contains("is not in fabrikam.test"),
        "{upn}"
    );
}

#[test]
fn chain_lets_the_entra_token_decide_when_the_export_cannot() {
    // MSOnline cannot show federatedIdpMfaBehavior: the domain-setting link is information, and the Entra token
    // (amr contains mfa) proves what happened.
    let out = entra_check(&[
        "wsfed/mfa-authmethod-sha256.xml",
        "--federation-config",
        "entra/msol-supportsmfa.json",
        "--entra-token",
        "jwt/good.jwt",
        "--entra-jwks",
        "jwt/jwks.json",
    ]);
    let r = out.json();
    assert_eq!(
        r["tokens"][0]["entra"]["outcome"],
        "indeterminate",
        "{}",
        out.describe()
    );
    assert_eq!(r["chain"]["entries"][0]["steps"][1]["status"], "info", "{}", r["chain"]);
    assert_eq!(r["chain"]["verdict"], "pass", "{}", r["chain"]);
    assert_eq!(out.code, 0, "{}", out.describe());
}
