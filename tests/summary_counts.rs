//! Summary counts that add up (issue 13): `summary.tokens = pass + fail + error` counts tokens only, and the
//! inputs that yielded no token are counted apart as `summary.unusable_inputs`, in the JSON report, the NDJSON
//! summary line and the terminal's summary line. An unusable input still makes the run's verdict `error` (exit 2).

mod common;

use common::{run, testdata, AT};
use serde_json::{json, Value};

/// A folder of three passing tokens, one failing token and one file that is no token at all.
fn folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (i, f) in [
        "saml2/mfa-sha256.xml",
        "saml2/mfa-response-signed.xml",
        "wsfed/mfa-authmethod-sha256.xml",
        "saml2/password-sha256.xml",
    ]
    .iter()
    .enumerate()
    {
        std::fs::copy(testdata().join(f), dir.path().join(format!("t{i}.xml"))).unwrap();
    }
    std::fs::write(dir.path().join("notes.txt"), "hello: not a token\n").unwrap();
    dir
}

fn check(dir: &tempfile::TempDir, format: &str) -> common::Out {
    let d = dir.path().display().to_string();
    run(&[
        "check",
        &d,
        "--idp-cert",
        "keys/idp-signing.crt",
        "--at",
        AT,
        "--format",
        format,
    ])
}

const COUNTS: &str = "4 token(s): 3 pass, 1 fail, 0 error; 1 unusable input";

#[test]
fn json_counts_tokens_and_unusable_inputs_apart() {
    let dir = folder();
    let out = check(&dir, "json");
    assert_eq!(out.code, 2, "an unusable input is still exit 2: {}", out.describe());
    let r = out.json();
    assert_eq!(r["verdict"], "error");
    assert_eq!(
        r["summary"],
        json!({"tokens": 4, "pass": 3, "fail": 1, "error": 0, "unusable_inputs": 1})
    );
    let s = &r["summary"];
    let sum = s["pass"].as_u64().unwrap() + s["fail"].as_u64().unwrap() + s["error"].as_u64().unwrap();
    assert_eq!(Some(sum), s["tokens"].as_u64(), "tokens = pass + fail + error");
    assert_eq!(r["tokens"].as_array().map(Vec::len), Some(4));
    assert_eq!(r["errors"].as_array().map(Vec::len), Some(1));
    assert!(r["errors"][0]["input"].as_str().unwrap().ends_with("notes.txt"));
}

#[test]
fn ndjson_summary_line_counts_the_same() {
    let dir = folder();
    let out = check(&dir, "ndjson");
    assert_eq!(out.code, 2, "{}", out.describe());
    let last: Value = serde_json::from_str(out.stdout.lines().last().unwrap()).unwrap();
    assert_eq!(
        last["summary"],
        json!({"tokens": 4, "pass": 3, "fail": 1, "error": 0, "unusable_inputs": 1})
    );
    assert_eq!(last["verdict"], "error");
}

#[test]
fn text_summary_line_names_the_unusable_input() {
    let dir = folder();
    let out = check(&dir, "text");
    assert_eq!(out.code, 2, "{}", out.describe());
    let line = format!("Summary: {COUNTS}. Verdict: ERROR");
    assert!(
        out.stdout.lines().any(|l| l == line),
        "expected `{line}`:\n{}",
        out.describe()
    );
}

#[test]
fn no_unusable_input_no_mention() {
    let dir = folder();
    std::fs::remove_file(dir.path().join("notes.txt")).unwrap();
    let out = check(&dir, "text");
    assert_eq!(out.code, 1, "{}", out.describe());
    assert!(
        out.stdout
            .lines()
            .any(|l| l == "Summary: 4 token(s): 3 pass, 1 fail, 0 error. Verdict: FAIL"),
        "{}",
        out.describe()
    );
    let r = check(&dir, "json").json();
    assert_eq!(r["summary"]["unusable_inputs"], 0);
    assert_eq!(r["verdict"], "fail");
}

#[test]
fn two_unusable_inputs_are_plural() {
    let dir = folder();
    std::fs::write(dir.path().join("more-notes.txt"), "neither: is this\n").unwrap();
    let out = check(&dir, "text");
    assert_eq!(out.code, 2, "{}", out.describe());
    assert!(
        out.stdout
            .lines()
            .any(|l| l == "Summary: 4 token(s): 3 pass, 1 fail, 0 error; 2 unusable inputs. Verdict: ERROR"),
        "{}",
        out.describe()
    );
}
