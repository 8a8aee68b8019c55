//! `fedcheck lint-config`: AD FS claim rules (testdata/adfs/), exit codes, check statuses, JSON snapshots.

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
