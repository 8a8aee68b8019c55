//! `fedcheck check --snapshot FILE`: written when missing (refused under CI), compared on the next run, a readable
//! diff and exit 1 when the verdict changes, rewritten with `--update-snapshots`; the content is normalized
//! (no IDs, instants or signature bytes) and redacted, and is itself snapshotted here.

mod common;

use common::{AT, ISSUER};

fn check(args: &[&str], ci: bool) -> common::Out {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    let mut cmd = common::command(&all);
    if ci {
        cmd.env("CI", "true");
    } else {
        cmd.env_remove("CI");
    }
    common::run_cmd(cmd, &all, None)
}

fn trust<'a>(snap: &'a str, input: &'a str) -> Vec<&'a str> {
    vec![
        input,
        "--idp-cert",
        "keys/idp-signing.crt",
        "--expect-issuer",
        ISSUER,
        "--at",
        AT,
        "--snapshot",
        snap,
    ]
}

#[test]
fn snapshot_is_written_compared_and_updated() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("ci/adfs.snap");
    let snap_s = snap.to_str().unwrap();

    // Under CI a missing snapshot is not created.
    let out = check(&trust(snap_s, "encoded/capture.har"), true);
    assert_eq!(out.code, 1, "{}", out.describe());
    assert!(out.stderr.contains("does not exist"), "{}", out.describe());
    assert!(!snap.exists());

    let out = check(&trust(snap_s, "encoded/capture.har"), false);
    assert_eq!(out.code, 0, "{}", out.describe());
    assert!(out.stderr.contains("written"), "{}", out.describe());
    let first = std::fs::read_to_string(&snap).unwrap();

    // Same verdict: matches, also under CI.
    let out = check(&trust(snap_s, "encoded/capture.har"), true);
    assert_eq!(out.code, 0, "{}", out.describe());
    assert!(out.stderr.contains("matches"));
    // A different evaluation time within validity changes nothing (instants are normalized).
    let mut args = trust(snap_s, "encoded/capture.har");
    args[6] = "2026-01-15T10:30:00Z";
    assert_eq!(check(&args, true).code, 0);

    // The IdP starts sending a password-only token: the diff says so, exit 1, the file is kept.
    let out = check(&trust(snap_s, "wsfed/password.xml"), true);
    assert_eq!(out.code, 1, "{}", out.describe());
    assert!(out.stderr.contains("differs from snapshot"), "{}", out.describe());
    assert!(
        out.stderr.contains("\n- verdict: pass\n") && out.stderr.contains("\n+ verdict: fail\n"),
        "{}",
        out.describe()
    );
    assert!(out.stderr.contains("+     fail  mfa.signal"), "{}", out.describe());
    assert!(out.stderr.contains("--update-snapshots"));
    assert_eq!(std::fs::read_to_string(&snap).unwrap(), first);

    // --update-snapshots would make the failing verdict the baseline: refused, the file kept.
    let mut args = trust(snap_s, "wsfed/password.xml");
    args.push("--update-snapshots");
    let out = check(&args, true);
    assert_eq!(out.code, 1, "{}", out.describe());
    assert!(
        out.stderr.contains("not written: the verdict is fail"),
        "{}",
        out.describe()
    );
    assert_eq!(std::fs::read_to_string(&snap).unwrap(), first);
    // With --allow-failing-baseline it rewrites it, and the first line says the verdict.
    args.push("--allow-failing-baseline");
    let out = check(&args, true);
    assert_eq!(out.code, 0, "{}", out.describe());
    assert!(out.stderr.contains("updated"));
    let rewritten = std::fs::read_to_string(&snap).unwrap();
    assert!(
        rewritten.starts_with("# fedcheck snapshot v1: verdict fail\n"),
        "{rewritten}"
    );
    assert!(rewritten.contains("verdict: fail"));
    assert_eq!(check(&trust(snap_s, "wsfed/password.xml"), true).code, 0);
}

#[test]
fn snapshot_content_is_normalized_and_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("capture.snap");
    let out = check(&trust(snap.to_str().unwrap(), "encoded/capture.har"), false);
    assert_eq!(out.code, 0, "{}", out.describe());
    let text = std::fs::read_to_string(&snap).unwrap();
    for volatile in [
        "_a0001",
        "_b0001",
        "2026-01-15T",
        "alice@contoso.test",
        "bXlJbW11dGFibGVJZA==",
    ] {
        assert!(!text.contains(volatile), "snapshot keeps {volatile}:\n{text}");
    }
    assert!(text.contains("redacted:upn"), "{text}");
    // Digest bytes of a tampered token become [bytes].
    let snap2 = dir.path().join("tampered.snap");
    // A failing baseline is refused unless asked for.
    assert_eq!(
        check(&trust(snap2.to_str().unwrap(), "saml2/tampered-classref.xml"), false).code,
        1
    );
    assert!(!snap2.exists());
    let mut args = trust(snap2.to_str().unwrap(), "saml2/tampered-classref.xml");
    args.push("--allow-failing-baseline");
    assert_eq!(check(&args, false).code, 0);
    let tampered = std::fs::read_to_string(&snap2).unwrap();
    assert!(tampered.contains("DigestValue [bytes], computed [bytes]"), "{tampered}");
    insta::with_settings!({
        snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"),
        prepend_module_to_snapshot => false,
    }, {
        insta::assert_snapshot!("snapshot__capture-har", text);
    });
}

/// A capture judged at its own IssueInstant needs no date in the CI file: the same command keeps matching.
#[test]
fn at_issue_instant_keeps_a_capture_checkable() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("capture.snap");
    let s = snap.to_str().unwrap();
    let args = [
        "encoded/capture.har",
        "--idp-cert",
        "keys/idp-signing.crt",
        "--expect-issuer",
        ISSUER,
        "--at",
        "issue-instant",
        "--snapshot",
        s,
    ];
    let out = check(&args, false);
    assert_eq!(out.code, 0, "{}", out.describe());
    assert!(std::fs::read_to_string(&snap)
        .unwrap()
        .starts_with("# fedcheck snapshot v1: verdict pass\n"));
    let out = check(&args, true);
    assert_eq!(out.code, 0, "{}", out.describe());
    // Without it, today's date puts the capture's NotOnOrAfter in the past.
    let mut json = common::run(&[
        "check",
        "encoded/capture.har",
        "--idp-cert",
        "keys/idp-signing.crt",
        "--format",
        "json",
    ]);
    assert_eq!(json.code, 1, "{}", json.describe());
    json = common::run(&[
        "check",
        "encoded/capture.har",
        "--idp-cert",
        "keys/idp-signing.crt",
        "--format",
        "json",
        "--at",
        "issue-instant",
    ]);
    assert_eq!(json.code, 0, "{}", json.describe());
    let v = json.json();
    assert_eq!(v["tokens"][0]["evaluated_at"], "2026-01-15T10:00:00Z", "{v}");
}

#[test]
fn update_snapshots_needs_snapshot() {
    let out = common::run(&["check", "saml2/mfa-sha256.xml", "--update-snapshots"]);
    assert_eq!(out.code, 2, "{}", out.describe());
}
