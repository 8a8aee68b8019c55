//! `--fail-on warn|fail` on `check`, `bundle` and `test` (default `fail`): with `warn`, any warning makes the exit
//! code 1, and stderr says which; the report's verdict is unchanged. `subject/nameid-plus.xml` passes with one
//! warning (a raw '+' in the NameID); `saml2/mfa-sha256.xml` passes without any.

mod common;

use common::*;

fn check(file: &str, extra: &[&str]) -> Out {
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
    run(&args)
}

#[test]
fn check_exits_1_on_a_warning_only_when_asked() {
    let out = check("subject/nameid-plus.xml", &[]);
    assert_eq!(out.code, 0, "{}", out.describe());
    let out = check("subject/nameid-plus.xml", &["--fail-on", "fail"]);
    assert_eq!(out.code, 0, "{}", out.describe());
    let out = check("subject/nameid-plus.xml", &["--fail-on", "warn"]);
    assert_eq!(out.code, 1, "{}", out.describe());
    assert_eq!(out.json()["verdict"], "pass", "the verdict says what Entra does");
    assert!(
        out.stderr.contains("--fail-on warn") && out.stderr.contains("token 1 subject.nameid"),
        "{}",
        out.describe()
    );
    // No warning, no change.
    let out = check("saml2/mfa-sha256.xml", &["--fail-on", "warn"]);
    assert_eq!(out.code, 0, "{}", out.describe());
    // A failure stays a failure.
    let out = check("saml2/password-sha256.xml", &["--fail-on", "warn"]);
    assert_eq!(out.code, 1, "{}", out.describe());
}

#[test]
fn an_unknown_level_is_a_usage_error() {
    let out = check("saml2/mfa-sha256.xml", &["--fail-on", "info"]);
    assert_eq!(out.code, 2, "{}", out.describe());
}

#[test]
fn bundle_writes_the_bundle_and_exits_1_on_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let outdir = dir.path().join("ev");
    let out = run(&[
        "bundle",
        "subject/nameid-plus.xml",
        "--idp-cert",
        "keys/idp-signing.crt",
        "--at",
        AT,
        "--redaction-key",
        "k",
        "--fail-on",
        "warn",
        "--out",
        outdir.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 1, "{}", out.describe());
    assert!(outdir.join("manifest.json").exists(), "the bundle is written");
    assert!(out.stderr.contains("--fail-on warn"), "{}", out.describe());
}

#[test]
fn a_test_plan_exits_1_on_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.toml");
    let td = testdata();
    std::fs::write(
        &plan,
        format!(
            "[trust]\nidp_cert = [\"{}\"]\n[settings]\nat = \"{AT}\"\n[[case]]\ninput = \"{}\"\nverdict = \"pass\"\n",
            td.join("keys/idp-signing.crt").display(),
            td.join("subject/nameid-plus.xml").display()
        ),
    )
    .unwrap();
    let p = plan.to_str().unwrap();
    let out = run(&["test", p]);
    assert_eq!(out.code, 0, "{}", out.describe());
    let out = run(&["test", p, "--fail-on", "warn"]);
    assert_eq!(out.code, 1, "{}", out.describe());
    assert!(out.stderr.contains("subject.nameid"), "{}", out.describe());
}
