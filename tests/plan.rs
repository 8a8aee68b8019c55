//! `fedcheck test PLAN`: the sample plan in `testdata/plans/` (WS-Fed and SAML-P fixtures, a form body, a HAR)
//! passes and its JUnit XML is snapshotted; a plan with wrong expectations exits 1 and names every difference;
//! an unusable plan exits 2.

mod common;

use std::path::Path;

const SAMPLE: &str = "plans/contoso-adfs.toml";

/// Replaces every `time="..."` value, the only volatile part of the JUnit output.
fn without_times(xml: &str) -> String {
    let mut out = String::new();
    let mut rest = xml;
    while let Some(i) = rest.find(" time=\"") {
        out.push_str(&rest[..i + 7]);
        let after = &rest[i + 7..];
        let end = after.find('"').expect("closing quote");
        out.push_str("[time]");
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

fn write_plan(dir: &Path, text: &str) -> String {
    let p = dir.join("plan.toml");
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

#[test]
fn the_sample_plan_passes_and_its_junit_is_stable() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let out = common::run(&["test", SAMPLE, "--junit", junit.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.describe());
    assert!(
        out.stdout
            .contains("Summary: 10 case(s): 10 as expected, 0 unexpected."),
        "{}",
        out.describe()
    );
    assert!(out.stdout.contains("WS-Fed") && out.stdout.contains("SAML-P"));
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("<testsuites name=\"fedcheck\" tests=\"10\" failures=\"0\""),
        "{xml}"
    );
    insta::with_settings!({
        snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"),
        prepend_module_to_snapshot => false,
    }, {
        insta::assert_snapshot!("plan__sample-junit", without_times(&xml));
    });
}

#[test]
fn unexpected_results_exit_1_and_say_what_differs() {
    let dir = tempfile::tempdir().unwrap();
    let td = common::testdata();
    let plan = write_plan(
        dir.path(),
        &format!(
            r#"name = "regressions"
[trust]
idp_cert = ["{td}/keys/idp-signing.crt"]
[settings]
at = "2026-01-15T10:05:00Z"

[[case]]
name = "password sign-in expected to pass"
input = "{td}/wsfed/password.xml"
verdict = "pass"
mfa = "Assertion/AuthenticationStatement/@AuthenticationMethod"

[[case]]
name = "MFA in the wrong place"
input = "{td}/saml2/mfa-sha256.xml"
verdict = "pass"
mfa = "Assertion/AttributeStatement/Attribute[http://schemas.microsoft.com/claims/authnmethodsreferences]"
claims = {{ IDPEmail = "bob@contoso.test" }}
checks = {{ "signature.algorithm" = "warn" }}

[[case]]
name = "as expected"
input = "{td}/saml2/mfa-sha256.xml"
verdict = "pass"

[[case]]
name = "missing input"
input = "no-such-file.xml"
verdict = "pass"
"#,
            td = td.display()
        ),
    );
    let junit = dir.path().join("out.xml");
    let out = common::run(&["test", &plan, "--junit", junit.to_str().unwrap()]);
    assert_eq!(out.code, 1, "{}", out.describe());
    let s = &out.stdout;
    assert!(
        s.contains("FAIL  password sign-in expected to pass  [expected pass, got fail]"),
        "{s}"
    );
    assert!(s.contains("expected verdict pass, got fail (mfa.signal: "), "{s}");
    assert!(
        s.contains("expected MFA evidence at Assertion/AuthenticationStatement/@AuthenticationMethod, found none"),
        "{s}"
    );
    assert!(s.contains("expected MFA evidence at Assertion/AttributeStatement/Attribute[http://schemas.microsoft.com/claims/authnmethodsreferences], found Assertion/AuthnStatement/AuthnContext/AuthnContextClassRef"), "{s}");
    assert!(
        s.contains("expected claim IDPEmail = bob@contoso.test, found alice@contoso.test"),
        "{s}"
    );
    assert!(s.contains("expected check signature.algorithm = warn, got pass"), "{s}");
    assert!(s.contains("ok    as expected"), "{s}");
    assert!(s.contains("FAIL  missing input  [expected pass, got error]"), "{s}");
    assert!(s.contains("Summary: 4 case(s): 1 as expected, 3 unexpected."), "{s}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("tests=\"4\" failures=\"3\""), "{xml}");
    assert_eq!(xml.matches("<failure ").count(), 3, "{xml}");
}

#[test]
fn relative_paths_resolve_from_the_plan_folder() {
    // Run from another working directory: the sample's ../keys and ../saml2 paths still resolve.
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_fedcheck"));
    cmd.current_dir(std::env::temp_dir());
    let plan = common::testdata().join(SAMPLE);
    cmd.args(["test", plan.to_str().unwrap()]);
    let out = common::run_cmd(cmd, &["test", "<abs plan>"], None);
    assert_eq!(out.code, 0, "{}", out.describe());
}

#[test]
fn unusable_plans_exit_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "[[case]]\ninput = \"x\"\nverdict = \"maybe\"\n",
            "is not pass, fail or error",
        ),
        (
            "[[case]]\ninput = \"x\"\nverdict = \"pass\"\nexpect = 1\n",
            "unknown field",
        ),
        (
            "[trust]\nidp_cert = [\"nope.crt\"]\n[[case]]\ninput = \"x\"\nverdict = \"pass\"\n",
            "trust.idp_cert",
        ),
        (
            "[settings]\nat = \"yesterday\"\n[[case]]\ninput = \"x\"\nverdict = \"pass\"\n",
            "settings.at",
        ),
        ("not toml at all [", "plan.toml"),
    ];
    for (text, want) in cases {
        let plan = write_plan(dir.path(), text);
        let out = common::run(&["test", &plan]);
        assert_eq!(out.code, 2, "{text}: {}", out.describe());
        assert!(out.stderr.contains(want), "{text}: {}", out.describe());
        assert_eq!(out.stderr.trim().lines().count(), 1, "{}", out.describe());
    }
    let out = common::run(&["test", "no-such-plan.toml"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("no-such-plan.toml: cannot read"),
        "{}",
        out.describe()
    );
}

/// `at` per case, and `issue-instant` there and in [settings]: captures made at different times are each judged
/// as of their own moment, with no date to edit in the plan.
#[test]
fn cases_take_their_own_evaluation_time() {
    let dir = tempfile::tempdir().unwrap();
    let td = common::testdata();
    let plan = format!(
        r#"
[trust]
idp_cert = ["{td}/keys/idp-signing.crt"]

[[case]]
name = "judged at its IssueInstant"
input = "{td}/saml2/mfa-sha256.xml"
at = "issue-instant"
verdict = "pass"

[[case]]
name = "judged at a given instant"
input = "{td}/wsfed/mfa-authmethod-sha256.xml"
at = "2026-01-15T10:05:00Z"
verdict = "pass"

[[case]]
name = "judged now (settings default): expired"
input = "{td}/saml2/mfa-sha256.xml"
verdict = "fail"
checks = {{ "conditions.time" = "fail" }}
"#,
        td = td.display()
    );
    let path = dir.path().join("times.toml");
    std::fs::write(&path, plan).unwrap();
    let out = common::run(&["test", path.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.describe());
    // An unusable `at` is refused with the case named.
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        format!(
            "[[case]]\ninput = \"{}/saml2/mfa-sha256.xml\"\nat = \"yesterday\"\nverdict = \"pass\"\n",
            td.display()
        ),
    )
    .unwrap();
    let out = common::run(&["test", bad.to_str().unwrap()]);
    assert_eq!(out.code, 2, "{}", out.describe());
    assert!(
        out.stderr.contains("case 1") && out.stderr.contains("at:"),
        "{}",
        out.describe()
    );
}

/// Captures made through `fedcheck serve` are addressed to the stand-in (its ACS URL, its test realm): a plan
/// judges them as serve did with `[settings] stand_in` / `stand_in_realm`, or `test --stand-in URL
/// --stand-in-realm URI`; without them the same captures fail for Entra, as they should.
#[test]
fn stand_in_captures_are_judged_as_serve_judged_them() {
    let dir = tempfile::tempdir().unwrap();
    let td = common::testdata();
    let cases = format!(
        r#"
[[case]]
name = "addressed to the stand-in's ACS"
input = "{td}/saml2/wrong-recipient.xml"
verdict = "pass"
checks = {{ "subject.confirmation" = "info" }}

[[case]]
name = "for the stand-in's test realm"
input = "{td}/saml2/wrong-audience.xml"
verdict = "pass"
checks = {{ "audience" = "info" }}
"#,
        td = td.display()
    );
    let head = format!(
        "[trust]\nidp_cert = [\"{}/keys/idp-signing.crt\"]\n[settings]\nat = \"issue-instant\"\n",
        td.display()
    );
    let in_plan = write_plan(
        dir.path(),
        &format!("{head}stand_in = \"https://evil.example/acs\"\nstand_in_realm = \"https://wrong.example\"\n{cases}"),
    );
    let out = common::run(&["test", &in_plan]);
    assert_eq!(out.code, 0, "{}", out.describe());
    assert!(out.stdout.contains("2 as expected, 0 unexpected"), "{}", out.describe());

    let plain = write_plan(dir.path(), &format!("{head}{cases}"));
    let out = common::run(&["test", &plain]);
    assert_eq!(out.code, 1, "{}", out.describe());
    assert!(out.stdout.contains("0 as expected, 2 unexpected"), "{}", out.describe());
    let out = common::run(&[
        "test",
        &plain,
        "--stand-in",
        "https://evil.example/acs",
        "--stand-in-realm",
        "https://wrong.example",
    ]);
    assert_eq!(out.code, 0, "{}", out.describe());

    // Each flag overrides only its own setting: --stand-in keeps the plan's realm, --stand-in-realm the plan's URL.
    let in_plan = write_plan(
        dir.path(),
        &format!("{head}stand_in = \"https://evil.example/acs\"\nstand_in_realm = \"https://wrong.example\"\n{cases}"),
    );
    let out = common::run(&["test", &in_plan, "--stand-in", "https://evil.example/acs"]);
    assert_eq!(out.code, 0, "{}", out.describe());
    let url_only = write_plan(
        dir.path(),
        &format!("{head}stand_in = \"https://evil.example/acs\"\n{cases}"),
    );
    let out = common::run(&["test", &url_only, "--stand-in-realm", "https://wrong.example"]);
    assert_eq!(out.code, 0, "{}", out.describe());
    let plain = write_plan(dir.path(), &format!("{head}{cases}"));
    let out = common::run(&["test", &plain, "--stand-in-realm", "https://wrong.example"]);
    assert_eq!(out.code, 2, "{}", out.describe());
    assert!(
        out.stderr.contains("--stand-in-realm needs a stand-in URL"),
        "{}",
        out.describe()
    );

    let realm_alone = write_plan(
        dir.path(),
        &format!("{head}stand_in_realm = \"https://wrong.example\"\n{cases}"),
    );
    let out = common::run(&["test", &realm_alone]);
    assert_eq!(out.code, 2, "{}", out.describe());
    assert!(
        out.stderr.contains("settings.stand_in_realm needs settings.stand_in"),
        "{}",
        out.describe()
    );
}

/// `check --stand-in-realm`: an audience equal to the stand-in's realm is info, not a failure.
#[test]
fn check_takes_the_stand_ins_realm() {
    let run = |extra: &[&str]| {
        let mut args = vec![
            "check",
            "saml2/wrong-audience.xml",
            "--idp-cert",
            "keys/idp-signing.crt",
            "--at",
            "issue-instant",
        ];
        args.extend_from_slice(extra);
        common::run(&args)
    };
    let plain = run(&["--stand-in", "https://evil.example/acs"]);
    assert_eq!(plain.code, 1, "{}", plain.describe());
    let with_realm = run(&[
        "--stand-in",
        "https://evil.example/acs",
        "--stand-in-realm",
        "https://wrong.example",
        "--format",
        "json",
    ]);
    assert_eq!(with_realm.code, 0, "{}", with_realm.describe());
    let audience = common::find_check(&with_realm.json()["tokens"][0], "audience")
        .cloned()
        .unwrap();
    assert_eq!(audience["status"], "info", "{audience}");
}
