//! `fedcheck lint-config`: AD FS claim rules and relying-party trusts (testdata/adfs/), Keycloak realm exports
//! (testdata/keycloak/), Shibboleth configuration (testdata/shibboleth/), Okta API JSON (testdata/okta/): kind
//! detection, exit codes, check statuses, the settings and documentation each finding cites, JSON snapshots.

mod common;

use common::*;
use serde_json::Value;

fn lint(file: &str) -> Out {
    run(&["lint-config", file, "--format", "json"])
}

/// The statuses of every check with this id, in order.
fn statuses(r: &Value, id: &str) -> Vec<String> {
    r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["id"] == id)
        .map(|c| c["status"].as_str().unwrap().to_string())
        .collect()
}

fn snapshot(name: &str, out: &Out) {
    let report = out.json();
    insta::with_settings!({
        snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"),
        prepend_module_to_snapshot => false,
        description => format!("fedcheck {}", out.args.join(" ")),
        omit_expression => true,
    }, {
        insta::assert_json_snapshot!(format!("lint_config__{name}"), report);
    });
}

#[test]
fn aadconnect_default_passes() {
    let out = lint("adfs/aadconnect-default.txt");
    assert_eq!(out.code, 0, "{}", out.describe());
    let r = out.json();
    assert_eq!(r["verdict"], "pass");
    assert_eq!(r["kind"], "adfs");
    assert_eq!(r["encoding"], "utf8");
    assert_eq!(r["rules"].as_array().unwrap().len(), 10);
    assert!(r["unparsed"].as_array().unwrap().is_empty());
    assert_eq!(statuses(&r, "adfs.amr-passthrough"), ["pass"]);
    let amr = r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "adfs.amr-passthrough")
        .unwrap();
    assert_eq!(amr["rule"], "Pass through claim - authnmethodsreferences");
    assert_eq!(amr["line"], 40);
    assert_eq!(statuses(&r, "adfs.mfa-unconditional"), ["pass"]);
    assert_eq!(statuses(&r, "adfs.unparsed"), ["pass"]);
    for id in ["adfs.issuer-id", "adfs.immutableid", "adfs.upn"] {
        assert_eq!(statuses(&r, id), ["info"], "{id}");
    }
    snapshot("aadconnect-default", &out);
}

#[test]
fn missing_passthrough_fails_with_the_rule_as_fix() {
    let out = lint("adfs/missing-passthrough.txt");
    assert_eq!(out.code, 1, "{}", out.describe());
    let r = out.json();
    assert_eq!(r["verdict"], "fail");
    assert_eq!(statuses(&r, "adfs.amr-passthrough"), ["fail"]);
    let amr = r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "adfs.amr-passthrough")
        .unwrap();
    let fix = amr["fix"].as_str().unwrap();
    assert!(fix.contains("Pass through claim - authnmethodsreferences"), "{fix}");
    assert!(
        fix.contains(
            "c:[Type == \"http://schemas.microsoft.com/claims/authnmethodsreferences\"]\n => issue(claim = c);"
        ),
        "{fix}"
    );
    assert_eq!(statuses(&r, "adfs.mfa-unconditional"), ["pass"]);
    // Every finding on claim rules alone cites where Microsoft documents them, as the trust's findings do.
    for c in r["checks"].as_array().unwrap() {
        let docs = c["docs"].as_array().map(Vec::len).unwrap_or(0);
        assert!(docs > 0, "{c}");
    }
    snapshot("missing-passthrough", &out);
}

#[test]
fn unconditional_mfa_is_a_security_finding() {
    let out = lint("adfs/unconditional-mfa.txt");
    assert_eq!(out.code, 1, "{}", out.describe());
    let r = out.json();
    assert_eq!(statuses(&r, "adfs.mfa-unconditional"), ["fail", "fail"]);
    let found: Vec<&Value> = r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["id"] == "adfs.mfa-unconditional")
        .collect();
    assert_eq!(found[0]["rule"], "Always MFA");
    assert!(found[0]["message"]
        .as_str()
        .unwrap()
        .contains("claims MFA for every sign-in"));
    assert!(found[0]["message"].as_str().unwrap().contains("no condition"));
    assert_eq!(found[1]["rule"], "MFA for users with a UPN");
    assert!(found[1]["message"]
        .as_str()
        .unwrap()
        .contains("does not test the authentication method"));
    // Unconditional multipleauthn is not an equivalent of the pass-through.
    assert_eq!(statuses(&r, "adfs.amr-passthrough"), ["fail"]);
    snapshot("unconditional-mfa", &out);
}

#[test]
fn conditional_mfa_is_fine() {
    let out = lint("adfs/conditional-mfa-ok.txt");
    assert_eq!(out.code, 0, "{}", out.describe());
    let r = out.json();
    assert_eq!(statuses(&r, "adfs.mfa-unconditional"), ["info"]);
    assert_eq!(statuses(&r, "adfs.amr-passthrough"), ["pass"]);
    snapshot("conditional-mfa-ok", &out);
}

#[test]
fn broken_rule_is_reported_and_the_rest_parsed() {
    let out = lint("adfs/broken.txt");
    assert_eq!(out.code, 0, "a rule not understood warns: {}", out.describe());
    let r = out.json();
    assert_eq!(r["rules"].as_array().unwrap().len(), 2);
    let unparsed = r["unparsed"].as_array().unwrap();
    assert_eq!(unparsed.len(), 1);
    assert_eq!(unparsed[0]["line"], 6);
    assert!(
        unparsed[0]["reason"].as_str().unwrap().contains("line 7"),
        "{}",
        unparsed[0]
    );
    assert!(unparsed[0]["text"]
        .as_str()
        .unwrap()
        .starts_with("@RuleName = \"Issue ImmutableID\""));
    assert_eq!(unparsed[0]["name"], "Issue ImmutableID");
    assert_eq!(statuses(&r, "adfs.unparsed"), ["warn"]);
    let warn = r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "adfs.unparsed")
        .unwrap();
    assert_eq!(warn["rule"], "Issue ImmutableID");
    assert_eq!(warn["line"], 6);
    assert_eq!(statuses(&r, "adfs.amr-passthrough"), ["pass"]);
    snapshot("broken", &out);
}

#[test]
fn utf16_with_bom_reads_like_utf8() {
    let out = lint("adfs/utf16.txt");
    assert_eq!(out.code, 0, "{}", out.describe());
    let mut r = out.json();
    assert_eq!(r["encoding"], "utf16le");
    let mut plain = lint("adfs/aadconnect-default.txt").json();
    for v in [&mut r, &mut plain] {
        v["file"] = Value::Null;
        v["encoding"] = Value::Null;
    }
    assert_eq!(r, plain);
    snapshot("utf16", &out);
}

#[test]
fn text_output_and_stdin() {
    let out = run(&["lint-config", "adfs/unconditional-mfa.txt"]);
    assert_eq!(out.code, 1, "{}", out.describe());
    assert!(
        out.stdout.contains("FAIL  adfs.mfa-unconditional  security:"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("Verdict: FAIL"));
    let input = std::fs::read(testdata().join("adfs/aadconnect-default.txt")).unwrap();
    let out = run_stdin(&["lint-config", "-", "--kind", "adfs", "--format", "json"], &input);
    assert_eq!(out.code, 0, "{}", out.describe());
    assert_eq!(out.json()["file"], "<stdin>");
}

#[test]
fn unusable_inputs_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, data: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, data).unwrap();
        p.to_string_lossy().into_owned()
    };
    let cases = [
        (write("empty.txt", b""), "empty"),
        (
            write("comments.txt", b"// only a comment\n/* and another */\n"),
            "empty",
        ),
        (
            write(
                "json.json",
                br#"{"value": [{"issuerUri": "http://sts.contoso.test/adfs/services/trust"}]}"#,
            ),
            "JSON, but none of the exports fedcheck lints",
        ),
        (
            write("prose.txt", b"Please federate contoso.test with Entra.\n"),
            "not an AD FS claim rule set",
        ),
        (write("binary.bin", &[0x00, 0x01, 0xC3, 0x28]), "not UTF-8"),
        (write("big.txt", &vec![b' '; 1024 * 1024 + 1]), "larger than 1 MiB"),
        ("adfs/does-not-exist.txt".to_string(), "cannot open"),
    ];
    for (file, want) in cases {
        let out = run(&["lint-config", file.as_str()]);
        assert_eq!(out.code, 2, "{}", out.describe());
        assert!(out.stderr.contains(want), "{want}: {}", out.describe());
        assert!(out.stdout.is_empty(), "{}", out.describe());
    }
    let out = run(&["lint-config", "adfs/broken.txt", "--kind", "okta"]);
    assert_eq!(out.code, 2, "{}", out.describe());
}

// ---------------------------------------------------------------------------------------------------------------
// The other kinds

/// The check with this id (the first), panicking with the report when absent.
fn check<'a>(r: &'a Value, id: &str) -> &'a Value {
    r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {r:#}"))
}

/// Every finding of a report of the new kinds names where the product documents it, and has the check shape.
fn assert_cited(r: &Value) {
    for c in r["checks"].as_array().unwrap() {
        for key in ["id", "status", "message", "fix", "setting", "value", "docs"] {
            assert!(c.get(key).is_some(), "{key} missing in {c:#}");
        }
        let docs = c["docs"].as_array().unwrap();
        assert!(!docs.is_empty(), "no documentation cited: {c:#}");
        for d in docs {
            assert!(d.as_str().unwrap().starts_with("https://"), "{d}");
        }
        if c["status"] == "fail" {
            assert!(c["fix"].is_string(), "a failure without a fix: {c:#}");
        }
    }
}

#[test]
fn adfs_trust_with_an_mfa_policy_passes() {
    let out = lint("adfs/rp-mfa-policy.json");
    assert_eq!(out.code, 0, "{}", out.describe());
    let r = out.json();
    assert_eq!(r["verdict"], "pass");
    assert_eq!(r["kind"], "adfs-rp");
    assert_eq!(r["file"], "adfs/rp-mfa-policy.json");
    assert_eq!(r["encoding"], "utf8");
    assert_eq!(
        r["subject"],
        "relying party trust \"Microsoft Office 365 Identity Platform\""
    );
    assert_cited(&r);
    assert_eq!(check(&r, "adfs-rp.trust")["status"], "pass");
    assert_eq!(statuses(&r, "adfs-rp.response-signature"), ["pass"]);
    assert_eq!(check(&r, "adfs-rp.response-signature")["value"], "AssertionOnly");
    assert_eq!(statuses(&r, "adfs-rp.signature-algorithm"), ["pass"]);
    let mfa = check(&r, "adfs-rp.mfa-required");
    assert_eq!(mfa["status"], "pass");
    assert!(
        mfa["message"]
            .as_str()
            .unwrap()
            .contains("MultiFactorAuthentication IsPresent"),
        "{mfa}"
    );
    // The issuance transform rules go through the claim-rule lint, with the rule cited.
    assert_eq!(statuses(&r, "adfs.amr-passthrough"), ["pass"]);
    assert_eq!(
        check(&r, "adfs.amr-passthrough")["setting"],
        "IssuanceTransformRules, line 65 (\"Pass through claim - authnmethodsreferences\")"
    );
    assert_eq!(statuses(&r, "adfs.nameidentifier"), ["pass"]);
    assert_eq!(statuses(&r, "adfs.issuer-id-domains"), ["info", "info"]);
    snapshot("adfs-rp-mfa-policy", &out);
}

#[test]
fn adfs_trust_signing_only_the_message_fails() {
    let out = lint("adfs/rp-message-only.json");
    assert_eq!(out.code, 1, "{}", out.describe());
    let r = out.json();
    assert_eq!(r["verdict"], "fail");
    let sig = check(&r, "adfs-rp.response-signature");
    assert_eq!(sig["status"], "fail");
    assert_eq!(sig["value"], "MessageOnly");
    assert!(sig["fix"]
        .as_str()
        .unwrap()
        .contains("-SamlResponseSignature AssertionOnly"));
    assert!(sig["docs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d.as_str().unwrap().ends_with("/set-adfsrelyingpartytrust")));
    // Nothing else fails.
    let fails: Vec<&Value> = r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "fail")
        .collect();
    assert_eq!(fails.len(), 1, "{fails:#?}");
    snapshot("adfs-rp-message-only", &out);
}

#[test]
fn adfs_trust_whose_policy_requires_no_mfa_fails() {
    let out = lint("adfs/rp-no-mfa.json");
    assert_eq!(out.code, 1, "{}", out.describe());
    let r = out.json();
    let mfa = check(&r, "adfs-rp.mfa-required");
    assert_eq!(mfa["status"], "fail");
    let msg = mfa["message"].as_str().unwrap();
    assert!(msg.contains("requires MFA for no one"), "{msg}");
    assert!(msg.contains("\"Permit everyone\""), "{msg}");
    assert!(msg.contains("no AdditionalAuthenticationRules"), "{msg}");
    assert!(msg.contains("Get-AdfsAdditionalAuthenticationRule"), "{msg}");
    assert_eq!(mfa["value"], "Permit everyone / null");
    assert!(mfa["fix"]
        .as_str()
        .unwrap()
        .contains("\"Permit everyone and require MFA\""));
    assert_eq!(statuses(&r, "adfs-rp.response-signature"), ["pass"]);
    snapshot("adfs-rp-no-mfa", &out);
}

#[test]
fn adfs_trust_with_mfa_only_from_the_extranet_warns() {
    let out = lint("adfs/rp-extranet-mfa.json");
    assert_eq!(out.code, 0, "{}", out.describe());
    let r = out.json();
    let mfa = check(&r, "adfs-rp.mfa-required");
    assert_eq!(mfa["status"], "warn");
    assert!(
        mfa["message"]
            .as_str()
            .unwrap()
            .contains("insidecorporatenetwork\", Value == \"false\""),
        "{mfa}"
    );
}

#[test]
fn adfs_trust_is_picked_among_several_and_read_from_utf16() {
    let r = lint("adfs/rp-all-trusts.json").json();
    assert_eq!(
        r["subject"],
        "relying party trust \"Microsoft Office 365 Identity Platform\""
    );
    assert_eq!(r["verdict"], "pass");
    // Windows PowerShell's `>` writes UTF-16LE with a byte order mark.
    let text = std::fs::read_to_string(testdata().join("adfs/rp-no-mfa.json")).unwrap();
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(
        text.trim_start_matches('\u{feff}')
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes()),
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trust.json");
    std::fs::write(&path, &utf16).unwrap();
    let out = run(&["lint-config", path.to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.describe());
    let mut a = out.json();
    assert_eq!(a["encoding"], "utf16le");
    let mut b = lint("adfs/rp-no-mfa.json").json();
    for v in [&mut a, &mut b] {
        v["file"] = Value::Null;
        v["encoding"] = Value::Null;
        v["inputs"] = Value::Null;
    }
    assert_eq!(a, b);
}

#[test]
fn azure_ad_connect_rules_for_several_domains() {
    let out = lint("adfs/aadconnect-multidomain.txt");
    assert_eq!(out.code, 0, "{}", out.describe());
    let r = out.json();
    assert_eq!(r["kind"], "adfs");
    assert!(r["unparsed"].as_array().unwrap().is_empty());
    assert_eq!(statuses(&r, "adfs.nameidentifier"), ["pass"]);
    assert_eq!(statuses(&r, "adfs.inside-corporate-network"), ["info"]);
    assert_eq!(statuses(&r, "adfs.mfa-instant"), ["info"]);
    let domains = check(&r, "adfs.issuer-id-domains");
    assert_eq!(domains["rule"], "Issue issuerid when it is not a computer account");
    assert!(
        domains["message"]
            .as_str()
            .unwrap()
            .contains("contoso.test, fabrikam.test"),
        "{domains}"
    );
    snapshot("aadconnect-multidomain", &out);

    let out = lint("adfs/supportmultipledomain.txt");
    assert_eq!(out.code, 0, "{}", out.describe());
    let r = out.json();
    assert_eq!(statuses(&r, "adfs.issuer-id-domains"), ["warn"]);
    assert!(check(&r, "adfs.issuer-id-domains")["message"]
        .as_str()
        .unwrap()
        .contains("AADSTS50107"));
    assert_eq!(statuses(&r, "adfs.nameidentifier"), ["warn"]);
    snapshot("supportmultipledomain", &out);
}

#[test]
fn keycloak_defaults_send_unspecified_and_skip_the_second_factor() {
    let out = lint("keycloak/realm-default.json");
    assert_eq!(out.code, 1, "{}", out.describe());
    let r = out.json();
    assert_eq!(r["kind"], "keycloak");
    assert_eq!(
        r["subject"],
        "realm \"contoso\", client \"urn:federation:MicrosoftOnline\""
    );
    assert_cited(&r);
    for id in [
        "keycloak.client",
        "keycloak.assertion-signature",
        "keycloak.nameid",
        "keycloak.idpemail",
    ] {
        assert_eq!(check(&r, id)["status"], "pass", "{id}");
    }
    let ctx = check(&r, "keycloak.authn-context");
    assert_eq!(ctx["status"], "fail");
    assert!(ctx["message"]
        .as_str()
        .unwrap()
        .contains("urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified"));
    assert!(ctx["docs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d == "https://github.com/keycloak/keycloak/issues/11721"));
    let second = check(&r, "keycloak.second-factor");
    assert_eq!(second["status"], "fail");
    assert_eq!(second["value"], "browser");
    assert!(second["message"]
        .as_str()
        .unwrap()
        .contains("Condition - user configured"));
    snapshot("keycloak-default", &out);
}

#[test]
fn keycloak_unsigned_assertion_fails() {
    let out = lint("keycloak/realm-unsigned.json");
    assert_eq!(out.code, 1, "{}", out.describe());
    let r = out.json();
    let sig = check(&r, "keycloak.assertion-signature");
    assert_eq!(sig["status"], "fail");
    assert_eq!(sig["value"], "false");
    assert_eq!(
        sig["setting"],
        "clients[clientId=urn:federation:MicrosoftOnline].attributes[\"saml.assertion.signature\"]"
    );
    let fails = r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "fail")
        .count();
    assert_eq!(fails, 1, "{r:#}");
    snapshot("keycloak-unsigned", &out);
}

#[test]
fn keycloak_step_up_flow_passes_with_the_preview_feature_as_a_warning() {
    let out = lint("keycloak/realm-step-up.json");
    assert_eq!(out.code, 0, "{}", out.describe());
    let r = out.json();
    assert_eq!(r["verdict"], "pass");
    assert_cited(&r);
    let second = check(&r, "keycloak.second-factor");
    assert_eq!(second["status"], "pass");
    assert_eq!(second["value"], "Browser Incl Step up Mechanism");
    let ctx = check(&r, "keycloak.authn-context");
    assert_eq!(ctx["status"], "warn");
    assert!(ctx["message"].as_str().unwrap().contains("step-up-authentication-saml"));
    snapshot("keycloak-step-up", &out);

    // Without the minimum ACR value no sign-in from Entra reaches level 2.
    let mut realm: Value =
        serde_json::from_str(&std::fs::read_to_string(testdata().join("keycloak/realm-step-up.json")).unwrap())
            .unwrap();
    for c in realm["clients"].as_array_mut().unwrap() {
        if c["clientId"] == "urn:federation:MicrosoftOnline" {
            c["attributes"].as_object_mut().unwrap().remove("minimum.acr.value");
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("realm.json");
    std::fs::write(&path, realm.to_string()).unwrap();
    let out = run(&["lint-config", path.to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.describe());
    let r = out.json();
    assert_eq!(check(&r, "keycloak.authn-context")["status"], "fail");
    assert_eq!(check(&r, "keycloak.second-factor")["status"], "fail");
}

#[test]
fn keycloak_client_export_has_no_flows() {
    let out = lint("keycloak/client-export.json");
    assert_eq!(out.code, 1, "{}", out.describe());
    let r = out.json();
    assert_eq!(check(&r, "keycloak.second-factor")["status"], "warn");
    assert_eq!(check(&r, "keycloak.authn-context")["status"], "fail");
}

#[test]
fn shibboleth_directory_configured_for_entra_passes() {
    let out = lint("shibboleth/conf-mfa");
    assert_eq!(out.code, 0, "{}", out.describe());
    let r = out.json();
    assert_eq!(r["kind"], "shibboleth");
    assert_eq!(r["encoding"], Value::Null);
    assert_cited(&r);
    for id in [
        "shibboleth.relying-party",
        "shibboleth.sso-profile",
        "shibboleth.assertion-signature",
        "shibboleth.encryption",
        "shibboleth.mfa-context",
        "shibboleth.nameid",
        "shibboleth.idpemail",
        "shibboleth.mfa-flow",
    ] {
        assert_eq!(check(&r, id)["status"], "pass", "{id}: {}", check(&r, id));
    }
    let read: Vec<&str> = r["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["status"] == "read")
        .map(|i| i["path"].as_str().unwrap())
        .collect();
    assert!(
        read.contains(&"shibboleth/conf-mfa/attributes/custom/entra.xml"),
        "{read:?}"
    );
    assert!(
        read.contains(&"shibboleth/conf-mfa/authn/duo-oidc.properties"),
        "{read:?}"
    );
    snapshot("shibboleth-conf-mfa", &out);
}

#[test]
fn shibboleth_defaults_fail_for_entra() {
    let out = lint("shibboleth/conf-password");
    assert_eq!(out.code, 1, "{}", out.describe());
    let r = out.json();
    assert_cited(&r);
    assert_eq!(check(&r, "shibboleth.relying-party")["status"], "warn");
    assert_eq!(check(&r, "shibboleth.assertion-signature")["status"], "warn");
    for id in [
        "shibboleth.mfa-context",
        "shibboleth.nameid",
        "shibboleth.idpemail",
        "shibboleth.mfa-flow",
    ] {
        assert_eq!(check(&r, id)["status"], "fail", "{id}");
    }
    snapshot("shibboleth-conf-password", &out);
}

#[test]
fn shibboleth_single_files_are_recognised() {
    let out = lint("shibboleth/conf-mfa/relying-party.xml");
    assert_eq!(out.code, 0, "{}", out.describe());
    let r = out.json();
    assert_eq!(r["kind"], "shibboleth");
    assert_eq!(check(&r, "shibboleth.assertion-signature")["status"], "pass");
    assert_eq!(check(&r, "shibboleth.files")["status"], "info");
    assert!(r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["id"] != "shibboleth.idpemail"));

    let out = lint("shibboleth/conf-mfa/authn/authn.properties");
    assert_eq!(out.code, 0, "{}", out.describe());
    let r = out.json();
    // The MFA flow's transitions are in another file: fedcheck says what it cannot see.
    assert_eq!(check(&r, "shibboleth.mfa-flow")["status"], "warn");

    // The filter alone cannot say what the resolver sends: warnings, not invented failures.
    let out = lint("shibboleth/conf-password/attribute-filter.xml");
    assert_eq!(out.code, 0, "{}", out.describe());
    let r = out.json();
    assert_eq!(check(&r, "shibboleth.nameid")["status"], "warn");
    assert_eq!(check(&r, "shibboleth.idpemail")["status"], "warn");
}

#[test]
fn okta_rules_that_exempt_users_from_mfa_fail() {
    let out = lint("okta/o365-exempt.json");
    assert_eq!(out.code, 1, "{}", out.describe());
    let r = out.json();
    assert_eq!(r["kind"], "okta");
    assert_cited(&r);
    assert_eq!(check(&r, "okta.app")["status"], "pass");
    assert_eq!(check(&r, "okta.use-okta-mfa")["status"], "info");
    assert_eq!(check(&r, "okta.policy-link")["status"], "pass");
    assert_eq!(statuses(&r, "okta.mfa-exemption"), ["fail", "fail"]);
    let first = check(&r, "okta.mfa-exemption");
    let msg = first["message"].as_str().unwrap();
    assert!(msg.contains("\"Service accounts: password only\""), "{msg}");
    assert!(msg.contains("successful MFA claim"), "{msg}");
    assert!(first["docs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d.as_str().unwrap().contains("help.okta.com/en-us/")));
    snapshot("okta-o365-exempt", &out);
}

#[test]
fn okta_policy_requiring_mfa_everywhere_passes() {
    let out = lint("okta/o365-mfa.json");
    assert_eq!(out.code, 0, "{}", out.describe());
    let r = out.json();
    assert_eq!(statuses(&r, "okta.mfa-exemption"), ["pass"]);
    snapshot("okta-o365-mfa", &out);

    // The app alone: no rules to judge, said so.
    let r = lint("okta/app-office365.json").json();
    assert_eq!(check(&r, "okta.policy-link")["status"], "warn");
    assert!(r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["id"] != "okta.mfa-exemption"));
    // The rules alone (GET /api/v1/policies/{id}/rules).
    let r = lint("okta/rules-exempt.json").json();
    assert_eq!(statuses(&r, "okta.mfa-exemption"), ["fail", "fail"]);
}

#[test]
fn kinds_are_detected_and_can_be_forced() {
    for (file, kind) in [
        ("adfs/aadconnect-default.txt", "adfs"),
        ("adfs/rp-no-mfa.json", "adfs-rp"),
        ("keycloak/realm-default.json", "keycloak"),
        ("shibboleth/conf-mfa", "shibboleth"),
        ("okta/rules-mfa.json", "okta"),
    ] {
        assert_eq!(lint(file).json()["kind"], kind, "{file}");
    }
    let out = run(&[
        "lint-config",
        "adfs/aadconnect-default.txt",
        "--kind",
        "adfs-rules",
        "--format",
        "json",
    ]);
    assert_eq!(out.code, 0, "{}", out.describe());
    assert_eq!(out.json()["kind"], "adfs");
    for (file, kind, want) in [
        ("okta/o365-mfa.json", "keycloak", "neither a realm export"),
        ("adfs/aadconnect-default.txt", "adfs-rp", "neither JSON nor XML"),
        ("keycloak/realm-default.json", "shibboleth", "the input is JSON"),
        ("shibboleth/conf-mfa", "okta", "a directory"),
        ("keycloak/realm-default.json", "okta", "no Okta app"),
    ] {
        let out = run(&["lint-config", file, "--kind", kind]);
        assert_eq!(out.code, 2, "{}", out.describe());
        assert!(out.stderr.contains(file), "{}", out.describe());
        assert!(out.stderr.contains(&format!("--kind {kind}")), "{}", out.describe());
        assert!(out.stderr.contains(want), "{want}: {}", out.describe());
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn text_output_cites_the_documentation() {
    let out = run(&["lint-config", "okta/o365-exempt.json"]);
    assert_eq!(out.code, 1, "{}", out.describe());
    assert!(
        out.stdout
            .starts_with("okta/o365-exempt.json: Okta app and sign-on policy: app \"Microsoft Office 365\""),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("FAIL  okta.mfa-exemption  rule \"Service accounts: password only\""),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("      see: https://help.okta.com/"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("Verdict: FAIL"));
    let out = run(&["lint-config", "shibboleth/conf-password"]);
    assert!(
        out.stdout
            .contains("  missing  shibboleth/conf-password/authn/mfa-authn-config.xml"),
        "{}",
        out.stdout
    );
    let input = std::fs::read(testdata().join("keycloak/realm-default.json")).unwrap();
    let out = run_stdin(&["lint-config", "-", "--format", "json"], &input);
    assert_eq!(out.code, 1, "{}", out.describe());
    assert_eq!(out.json()["file"], "<stdin>");
}

#[test]
fn unusable_configuration_inputs_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, data: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, data).unwrap();
        p.to_string_lossy().into_owned()
    };
    let empty_dir = dir.path().join("empty");
    std::fs::create_dir(&empty_dir).unwrap();
    let broken_shib = dir.path().join("broken-shib");
    std::fs::create_dir(&broken_shib).unwrap();
    std::fs::write(broken_shib.join("relying-party.xml"), b"<beans><bean></beans>").unwrap();
    let doctype = dir.path().join("doctype-shib");
    std::fs::create_dir(&doctype).unwrap();
    std::fs::write(
        doctype.join("relying-party.xml"),
        b"<?xml version=\"1.0\"?><!DOCTYPE beans [<!ENTITY x \"y\">]><beans/>",
    )
    .unwrap();
    let mut big = b"{\"realm\": \"".to_vec();
    big.extend(std::iter::repeat_n(b'a', 8 * 1024 * 1024));
    big.extend(b"\"}");
    let cases = [
        (
            write("cut.json", b"{\"realm\": \"contoso\", \"clients\": ["),
            "does not parse as JSON".to_string(),
        ),
        (
            write("deep.json", "[".repeat(5000).as_bytes()),
            "does not parse as JSON".to_string(),
        ),
        (write("big.json", &big), "larger than 8 MiB".to_string()),
        (
            write(
                "token.xml",
                &std::fs::read(testdata().join("saml2/mfa-sha256.xml")).unwrap(),
            ),
            "fedcheck check".to_string(),
        ),
        (
            write(
                "beans.xml",
                b"<beans xmlns=\"http://www.springframework.org/schema/beans\"/>",
            ),
            "none of the Shibboleth files".to_string(),
        ),
        (
            empty_dir.to_string_lossy().into_owned(),
            "a directory without Shibboleth IdP configuration".to_string(),
        ),
        (
            broken_shib.to_string_lossy().into_owned(),
            "relying-party.xml: not XML fedcheck reads".to_string(),
        ),
        (doctype.to_string_lossy().into_owned(), "DOCTYPE".to_string()),
        (
            write("numbers.json", b"[1, 2, {\"a\": null}]"),
            "JSON, but none of the exports".to_string(),
        ),
    ];
    for (file, want) in cases {
        let out = run(&["lint-config", file.as_str()]);
        assert_eq!(out.code, 2, "{}", out.describe());
        assert!(out.stderr.contains(want.as_str()), "{want}: {}", out.describe());
        assert!(out.stdout.is_empty(), "{}", out.describe());
    }
}
