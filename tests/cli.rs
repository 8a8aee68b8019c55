//! The command line itself: stdin, error handling and exit codes, certificate forms, colour, help.

mod common;

use common::*;
use serde_json::Value;

fn base(input: &str) -> Vec<String> {
    [
        "check",
        input,
        "--idp-cert",
        "keys/idp-signing.crt",
        "--at",
        AT,
        "--expect-issuer",
        ISSUER,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn with(mut args: Vec<String>, extra: &[&str]) -> Vec<String> {
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

#[test]
fn stdin_base64() {
    let input = std::fs::read(testdata().join("encoded/mfa-sha256.b64")).unwrap();
    let out = run_stdin(&with(base("-"), &["--format", "json"]), &input);
    assert_eq!(out.code, 0, "{}", out.describe());
    let r = out.json();
    assert_eq!(r["verdict"], "pass");
    let t = &r["tokens"][0];
    assert_eq!(t["source"]["input"], "<stdin>");
    assert_eq!(t["source"]["carrier"], "base64");
    assert_eq!(t["protocol"], "saml2");
}

#[test]
fn stdin_raw_xml_wsfed() {
    let input = std::fs::read(testdata().join("wsfed/mfa-authmethod-sha256.xml")).unwrap();
    let out = run_stdin(&with(base("-"), &["--format", "json"]), &input);
    assert_eq!(out.code, 0, "{}", out.describe());
    assert_eq!(out.json()["tokens"][0]["source"]["input"], "<stdin>");
}

#[test]
fn stdin_over_size_limit() {
    let input = std::fs::read(testdata().join("saml2/mfa-sha256.xml")).unwrap();
    let out = run_stdin(
        &with(base("-"), &["--format", "json", "--max-input-size", "1k"]),
        &input,
    );
    assert_eq!(out.code, 2, "{}", out.describe());
    let r = out.json();
    assert_eq!(r["errors"][0]["input"], "<stdin>");
    assert!(
        r["errors"][0]["message"].as_str().unwrap().contains("--max-input-size"),
        "{}",
        out.describe()
    );
}

/// Asserts that an unusable input yields exit 2, a one-line message naming the input (in the report's
/// `errors`, or in the token's `error` with its `source.input`), and nothing that claims pass.
fn assert_input_error(input: &str, extra: &[&str], message_contains: &str) {
    // JSON report.
    let out = run(&with(
        base(input),
        &with(vec!["--format".into(), "json".into()], extra)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    ));
    assert_eq!(out.code, 2, "{}", out.describe());
    let r = out.json();
    assert_eq!(r["verdict"], "error", "{}", out.describe());
    let errors = r["errors"].as_array().unwrap();
    let tokens = r["tokens"].as_array().unwrap();
    let named = errors.iter().any(|e| {
        e["input"] == input
            && e["message"]
                .as_str()
                .is_some_and(|m| !m.contains('\n') && m.contains(message_contains))
    }) || tokens.iter().any(|t| {
        t["source"]["input"] == input
            && t["verdict"] == "error"
            && t["error"]
                .as_str()
                .is_some_and(|m| !m.contains('\n') && m.contains(message_contains))
    });
    assert!(
        named,
        "no one-line error naming {input} and mentioning {message_contains:?}: {}",
        out.describe()
    );
    assert!(tokens.iter().all(|t| t["verdict"] != "pass"), "{}", out.describe());

    // Text report.
    let out = run(&with(base(input), extra));
    assert_eq!(out.code, 2, "{}", out.describe());
    assert!(out.stdout.contains(input), "{}", out.describe());
    assert!(out.stdout.contains(message_contains), "{}", out.describe());
    assert!(!out.stdout.contains("Verdict: PASS"), "{}", out.describe());
    assert!(out.stdout.contains("Verdict: ERROR"), "{}", out.describe());
}

#[test]
fn missing_file() {
    assert_input_error("does-not-exist.xml", &[], "cannot read");
}

#[test]
fn not_base64() {
    assert_input_error("encoded/not-base64.txt", &[], "not base64");
}

#[test]
fn truncated_xml() {
    assert_input_error("encoded/truncated.xml", &[], "truncated");
}

#[test]
fn empty_har() {
    assert_input_error("encoded/empty.har", &[], "no POST carrying SAMLResponse or wresult");
}

#[test]
fn input_over_max_size() {
    assert_input_error(
        "saml2/mfa-sha256.xml",
        &["--max-input-size", "10"],
        "over the 10-byte limit",
    );
}

#[test]
fn good_and_bad_input_together_is_error() {
    let out = run(&with(
        base("saml2/mfa-sha256.xml"),
        &["encoded/not-base64.txt", "--format", "json"],
    ));
    assert_eq!(out.code, 2, "{}", out.describe());
    let r = out.json();
    assert_eq!(r["verdict"], "error");
    assert_eq!(r["tokens"][0]["verdict"], "pass");
    assert_eq!(r["errors"][0]["input"], "encoded/not-base64.txt");
}

/// Asserts that a bad argument is refused before any report: exit 2, nothing on stdout, and a first stderr line
/// naming the problem.
fn assert_arg_error(args: &[&str], first_line_contains: &[&str]) {
    let out = run(args);
    assert_eq!(out.code, 2, "{}", out.describe());
    assert!(
        out.stdout.trim().is_empty(),
        "stdout must stay empty: {}",
        out.describe()
    );
    let first = out.stderr.lines().next().unwrap_or_default();
    for want in first_line_contains {
        assert!(
            first.contains(want),
            "first stderr line lacks {want:?}: {}",
            out.describe()
        );
    }
}

#[test]
fn idp_cert_not_a_certificate() {
    assert_arg_error(
        &["check", "saml2/mfa-sha256.xml", "--idp-cert", "README.md", "--at", AT],
        &["fedcheck: error:", "--idp-cert README.md", "not a certificate"],
    );
    // fedcheck's own errors are exactly one line.
    let out = run(&["check", "saml2/mfa-sha256.xml", "--idp-cert", "README.md", "--at", AT]);
    assert_eq!(out.stderr.trim_end().lines().count(), 1, "{}", out.describe());
}

#[test]
fn idp_cert_missing_file() {
    assert_arg_error(
        &[
            "check",
            "saml2/mfa-sha256.xml",
            "--idp-cert",
            "keys/nope.crt",
            "--at",
            AT,
        ],
        &["fedcheck: error:", "keys/nope.crt", "cannot read"],
    );
}

#[test]
fn at_garbage() {
    assert_arg_error(
        &[
            "check",
            "saml2/mfa-sha256.xml",
            "--idp-cert",
            "keys/idp-signing.crt",
            "--at",
            "garbage",
        ],
        &["fedcheck: error:", "--at", "garbage"],
    );
}

#[test]
fn skew_bad_unit() {
    for skew in ["5y", "five", "", "5 m m"] {
        assert_arg_error(
            &[
                "check",
                "saml2/mfa-sha256.xml",
                "--idp-cert",
                "keys/idp-signing.crt",
                "--at",
                AT,
                "--skew",
                skew,
            ],
            &["fedcheck: error:", "--skew"],
        );
    }
}

#[test]
fn skew_more_than_a_day() {
    assert_arg_error(
        &[
            "check",
            "saml2/mfa-sha256.xml",
            "--idp-cert",
            "keys/idp-signing.crt",
            "--at",
            AT,
            "--skew",
            "25h",
        ],
        &["fedcheck: error:", "--skew", "more than a day"],
    );
}

#[test]
fn skew_units_accepted() {
    for (skew, secs) in [("0s", 0), ("300", 300), ("10m", 600), ("1h", 3600)] {
        let out = run(&with(
            base("saml2/mfa-sha256.xml"),
            &["--skew", skew, "--format", "json"],
        ));
        assert_eq!(out.code, 0, "{}", out.describe());
        assert_eq!(out.json()["skew_seconds"], secs, "--skew {skew}");
    }
}

#[test]
fn max_input_size_garbage() {
    assert_arg_error(
        &[
            "check",
            "saml2/mfa-sha256.xml",
            "--idp-cert",
            "keys/idp-signing.crt",
            "--at",
            AT,
            "--max-input-size",
            "lots",
        ],
        &["fedcheck: error:", "--max-input-size"],
    );
}

#[test]
fn unknown_flag() {
    assert_arg_error(
        &[
            "check",
            "saml2/mfa-sha256.xml",
            "--idp-cert",
            "keys/idp-signing.crt",
            "--at",
            AT,
            "--bogus",
        ],
        &["--bogus"],
    );
}

#[test]
fn missing_input_argument() {
    assert_arg_error(&["check", "--idp-cert", "keys/idp-signing.crt"], &["error"]);
}

#[test]
fn metadata_cert_requires_metadata() {
    let args = [
        "check",
        "saml2/mfa-sha256.xml",
        "--metadata-cert",
        "keys/idp-next.crt",
        "--at",
        AT,
    ];
    assert_arg_error(&args, &["error"]);
    let out = run(&args);
    assert!(out.stderr.contains("--metadata <FILE|URL>"), "{}", out.describe());
}

#[test]
fn metadata_file_missing_or_not_metadata() {
    assert_arg_error(
        &[
            "check",
            "saml2/mfa-sha256.xml",
            "--metadata",
            "metadata/nope.xml",
            "--at",
            AT,
        ],
        &["fedcheck: error:", "--metadata", "metadata/nope.xml"],
    );
    // A token is not metadata.
    assert_arg_error(
        &[
            "check",
            "saml2/mfa-sha256.xml",
            "--metadata",
            "saml2/mfa-sha256.xml",
            "--at",
            AT,
        ],
        &["fedcheck: error:", "--metadata", "not a SAML metadata"],
    );
}

#[test]
fn idp_cert_all_three_forms() {
    for cert in ["keys/idp-signing.crt", "keys/idp-signing.der", "keys/idp-signing.b64"] {
        let out = run(&[
            "check",
            "saml2/mfa-sha256.xml",
            "--idp-cert",
            cert,
            "--at",
            AT,
            "--expect-issuer",
            ISSUER,
            "--format",
            "json",
        ]);
        assert_eq!(out.code, 0, "{}", out.describe());
        let r = out.json();
        assert_eq!(r["verdict"], "pass", "{cert}");
        assert_eq!(r["trust"]["anchors"][0]["origin"], cert);
        assert_eq!(r["trust"]["anchors"][0]["certificate"]["serial"], "1001");
    }
}

#[test]
fn idp_cert_same_cert_twice_is_one_anchor() {
    let out = run(&[
        "check",
        "saml2/mfa-sha256.xml",
        "--idp-cert",
        "keys/idp-signing.crt",
        "--idp-cert",
        "keys/idp-signing.der",
        "--at",
        AT,
        "--format",
        "json",
    ]);
    assert_eq!(out.code, 0, "{}", out.describe());
    assert_eq!(out.json()["trust"]["anchors"].as_array().unwrap().len(), 1);
}

#[test]
fn idp_cert_rollover_order_does_not_matter() {
    // OpenSSL's name-based lookup picks the first certificate with a matching subject; fedcheck must not.
    for order in [
        ["keys/idp-signing.crt", "keys/idp-next.crt"],
        ["keys/idp-next.crt", "keys/idp-signing.crt"],
    ] {
        for token in ["saml2/mfa-sha256.xml", "saml2/mfa-next-cert.xml"] {
            let out = run(&[
                "check",
                token,
                "--idp-cert",
                order[0],
                "--idp-cert",
                order[1],
                "--at",
                AT,
                "--format",
                "json",
            ]);
            assert_eq!(out.code, 0, "{order:?} {token}: {}", out.describe());
        }
    }
}

#[test]
fn attacker_cert_does_not_verify_legit_token() {
    let out = run(&[
        "check",
        "saml2/mfa-sha256.xml",
        "--idp-cert",
        "keys/attacker.crt",
        "--at",
        AT,
        "--format",
        "json",
    ]);
    assert_eq!(out.code, 1, "{}", out.describe());
    let r = out.json();
    assert!(r["tokens"][0]["claims"].is_null());
    assert_eq!(r["tokens"][0]["mfa"]["satisfied"], false);
}

#[test]
fn at_outside_validity_fails() {
    // One hour after NotOnOrAfter, with the default 5 minute skew.
    let out = run(&[
        "check",
        "saml2/mfa-sha256.xml",
        "--idp-cert",
        "keys/idp-signing.crt",
        "--at",
        "2026-01-15T12:00:00Z",
        "--format",
        "json",
    ]);
    assert_eq!(out.code, 1, "{}", out.describe());
    let r = out.json();
    let c = find_check(&r["tokens"][0], "conditions.time").expect("conditions.time");
    assert_eq!(c["status"], "fail", "{c}");
}

#[test]
fn at_with_offset_is_normalized() {
    let out = run(&[
        "check",
        "saml2/mfa-sha256.xml",
        "--idp-cert",
        "keys/idp-signing.crt",
        "--at",
        "2026-01-15T11:05:00+01:00",
        "--format",
        "json",
    ]);
    assert_eq!(out.code, 0, "{}", out.describe());
    assert_eq!(out.json()["evaluated_at"], AT);
}

fn text_run(no_color: Option<&str>) -> Out {
    let args = base("saml2/mfa-sha256.xml");
    let mut cmd = command(&args);
    if let Some(v) = no_color {
        cmd.env("NO_COLOR", v);
    }
    run_cmd(cmd, &args, None)
}

#[test]
fn text_output_has_no_ansi_when_not_a_tty() {
    for nc in [None, Some("1"), Some("")] {
        let out = text_run(nc);
        assert_eq!(out.code, 0, "{}", out.describe());
        assert!(
            !out.stdout.contains("\x1b["),
            "ANSI escape in piped output (NO_COLOR={nc:?}): {}",
            out.describe()
        );
        assert!(out.stdout.contains("Verdict: PASS"), "{}", out.describe());
    }
    // Failing and unverified reports (more styled text) too.
    let out = run(&[
        "check",
        "saml2/wrapped-evil-assertion.xml",
        "saml2/mfa-untrusted.xml",
        "--at",
        AT,
    ]);
    assert_eq!(out.code, 1, "{}", out.describe());
    assert!(!out.stdout.contains("\x1b["), "{}", out.describe());
}

#[test]
fn text_output_shows_fix_and_verdict() {
    let out = run(&base("wsfed/password.xml"));
    assert_eq!(out.code, 1, "{}", out.describe());
    assert!(out.stdout.contains("FAIL  mfa.signal"), "{}", out.describe());
    assert!(out.stdout.contains("fix:"), "{}", out.describe());
    assert!(out.stdout.contains("Verdict: FAIL"), "{}", out.describe());
}

fn help_mentions(args: &[&str]) {
    let out = run(args);
    assert_eq!(out.code, 0, "{}", out.describe());
    for flag in ["--idp-cert", "--metadata", "--engines"] {
        assert!(
            out.stdout.contains(flag),
            "{:?} does not mention {flag}: {}",
            args,
            out.describe()
        );
    }
}

#[test]
fn help() {
    help_mentions(&["check", "--help"]);
    help_mentions(&["help", "check"]);
    let out = run(&["--help"]);
    assert_eq!(out.code, 0, "{}", out.describe());
    assert!(out.stdout.contains("check"), "{}", out.describe());
}

#[test]
fn top_level_help_points_at_the_main_flags() {
    help_mentions(&["--help"]);
}

#[test]
fn version() {
    let out = run(&["--version"]);
    assert_eq!(out.code, 0, "{}", out.describe());
    assert!(out.stdout.starts_with("fedcheck "), "{}", out.describe());
}

#[test]
fn no_subcommand_is_usage_error() {
    let out = run::<&str>(&[]);
    assert_eq!(out.code, 2, "{}", out.describe());
    assert!(out.stdout.is_empty(), "{}", out.describe());
}

#[test]
fn forced_input_format_mismatch_is_error() {
    let out = run(&with(
        base("saml2/mfa-sha256.xml"),
        &["--input-format", "base64", "--format", "json"],
    ));
    assert_eq!(out.code, 2, "{}", out.describe());
    let r: Value = out.json();
    assert_eq!(r["errors"][0]["input"], "saml2/mfa-sha256.xml");
}

// ---------------------------------------------------------------------------------------------------------------
// Limits and hostile XML (README "Limits" and "Parser")

fn scratch(name: &str, bytes: &[u8]) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    let p = path.display().to_string();
    (dir, p)
}

#[test]
fn doctype_is_refused() {
    let xml = std::fs::read_to_string(testdata().join("saml2/mfa-sha256.xml")).unwrap();
    let (_dir, path) = scratch("dtd.xml", format!("<!DOCTYPE r [<!ENTITY e \"x\">]>{xml}").as_bytes());
    let out = run(&with(base(&path), &["--format", "json"]));
    assert_eq!(out.code, 2, "{}", out.describe());
    let r = out.json();
    assert_eq!(r["tokens"][0]["verdict"], "error");
    assert!(
        r["tokens"][0]["error"].as_str().unwrap().contains("DOCTYPE"),
        "{}",
        out.describe()
    );
}

#[test]
fn deep_nesting_is_refused() {
    let xml = format!("{}{}", "<a>".repeat(200), "</a>".repeat(200));
    let (_dir, path) = scratch("deep.xml", xml.as_bytes());
    let out = run(&with(base(&path), &["--format", "json"]));
    assert_eq!(out.code, 2, "{}", out.describe());
    let r = out.json();
    assert!(
        r["tokens"][0]["error"].as_str().unwrap().contains("128"),
        "{}",
        out.describe()
    );
}

#[test]
fn too_many_tokens_in_one_input() {
    let har: Value = serde_json::from_slice(&std::fs::read(testdata().join("encoded/capture.har")).unwrap()).unwrap();
    let entry = har["log"]["entries"][3].clone();
    let make = |n: usize| {
        let mut h = har.clone();
        h["log"]["entries"] = Value::Array(vec![entry.clone(); n]);
        serde_json::to_vec(&h).unwrap()
    };
    let (_dir, path) = scratch("many.har", &make(1001));
    let out = run(&with(base(&path), &["--format", "json", "--engines", "fedcheck"]));
    assert_eq!(out.code, 2, "{}", out.describe());
    let r = out.json();
    assert_eq!(r["tokens"], serde_json::json!([]));
    assert_eq!(r["errors"][0]["input"], path.as_str());
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("more than 1000 tokens"),
        "{}",
        out.describe()
    );

    let (_dir2, path) = scratch("thousand.har", &make(1000));
    let out = run(&with(base(&path), &["--format", "json", "--engines", "fedcheck"]));
    assert_eq!(out.code, 0, "{}", out.describe());
    assert_eq!(out.json()["summary"]["pass"], 1000);

    // --max-tokens-per-input moves the cap both ways, and names itself when it refuses.
    let (_dir3, path) = scratch("many.har", &make(1001));
    let capped = |n| ["--format", "json", "--engines", "fedcheck", "--max-tokens-per-input", n];
    let out = run(&with(base(&path), &capped("1001")));
    assert_eq!(out.code, 0, "{}", out.describe());
    assert_eq!(out.json()["summary"]["pass"], 1001);
    let out = run(&with(base(&path), &capped("1000")));
    assert_eq!(out.code, 2, "{}", out.describe());
    let message = out.json()["errors"][0]["message"].as_str().unwrap().to_string();
    assert!(
        message.contains("more than 1000 tokens (--max-tokens-per-input)"),
        "{message}"
    );
    let out = run(&with(base(&path), &["--max-tokens-per-input", "0"]));
    assert_eq!(out.code, 2, "{}", out.describe());
    assert!(out.stderr.contains("--max-tokens-per-input"), "{}", out.describe());
}
