//! Every fixture in testdata/manifest.json, through the real binary: verdicts, exit codes, engine agreement,
//! the security-sensitive fixtures, JSON snapshots, and the trust/metadata/multi-input paths.

mod common;

use common::*;
use serde_json::Value;
use std::collections::HashSet;

fn tokens(report: &Value) -> &Vec<Value> {
    report["tokens"].as_array().expect("tokens array")
}

/// Security-sensitive fixtures: whatever they claim must never count.
fn is_hostile(path: &str) -> bool {
    ["tampered", "untrusted", "unsigned", "wrapped"]
        .iter()
        .any(|k| path.contains(k))
}

fn engine_names(sig: &Value) -> Vec<String> {
    sig["engines"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["name"].as_str().unwrap_or("?").to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn manifest_verdicts_and_exit_codes() {
    let mut problems: Vec<String> = Vec::new();
    let entries = manifest();
    for e in &entries {
        let out = run(&fixture_args(e, &[]));
        let mut bad = |msg: String| problems.push(format!("{}: {msg}", e.path));
        let Ok(report) = serde_json::from_str::<Value>(&out.stdout) else {
            bad(format!("stdout is not JSON; {}", out.describe()));
            continue;
        };
        if !out.stderr.is_empty() {
            bad(format!(
                "stderr is not empty (libxmlsec1 output must be captured): {:?}",
                out.stderr
            ));
        }
        let verdict = report["verdict"].as_str().unwrap_or("<missing>");
        if verdict != e.expect_verdict {
            bad(format!("verdict {verdict}, expected {}", e.expect_verdict));
        }
        let want_code = exit_code_for(&e.expect_verdict);
        if out.code != want_code {
            bad(format!("exit code {}, expected {want_code}", out.code));
        }
        let toks = tokens(&report);
        if e.expect_verdict != "error" {
            if toks.is_empty() {
                bad("no token in the report".into());
            }
            if let Some(p) = &e.protocol {
                for (i, t) in toks.iter().enumerate() {
                    if t["protocol"] != p.as_str() {
                        bad(format!("token {i}: protocol {}, expected {p}", t["protocol"]));
                    }
                }
            }
        }
        if e.expect_verdict == "pass" {
            for (i, t) in toks.iter().enumerate() {
                if t["signature"]["valid"] != true {
                    bad(format!("token {i}: signature.valid is {}", t["signature"]["valid"]));
                }
                if t["mfa"]["satisfied"] != true {
                    bad(format!("token {i}: mfa.satisfied is {}", t["mfa"]["satisfied"]));
                }
                let engines = t["signature"]["engines"].as_array().cloned().unwrap_or_default();
                let names = engine_names(&t["signature"]);
                if names != ["fedcheck", "libxmlsec1"] {
                    bad(format!(
                        "token {i}: signature.engines are {names:?}, expected [fedcheck, libxmlsec1]"
                    ));
                }
                for eng in &engines {
                    if eng["valid"] != true {
                        bad(format!(
                            "token {i}: engine {} not valid: {}",
                            eng["name"], eng["detail"]
                        ));
                    }
                }
                if t["claims"].is_null() {
                    bad(format!("token {i}: claims is null on a pass"));
                }
            }
        }
        if is_hostile(&e.path) {
            if verdict == "pass" {
                bad("hostile fixture passes".into());
            }
            for (i, t) in toks.iter().enumerate() {
                if t["verdict"] == "pass" {
                    bad(format!("token {i}: hostile token passes"));
                }
                if t["mfa"]["satisfied"] != false {
                    bad(format!(
                        "token {i}: mfa.satisfied is {} for unsigned/untrusted MFA content",
                        t["mfa"]["satisfied"]
                    ));
                }
                // The signed claims (if any) must not carry the MFA value that only unsigned/untrusted bytes carry.
                if !t["claims"].is_null() && t["claims"].to_string().contains(MULTIPLEAUTHN) {
                    bad(format!("token {i}: claims contain {MULTIPLEAUTHN}: {}", t["claims"]));
                }
            }
        }
        // The *-sha1 fixtures pass but must warn about the weak algorithm.
        if e.path.contains("-sha1") && e.expect_verdict == "pass" {
            for (i, t) in toks.iter().enumerate() {
                match find_check(t, "signature.algorithm") {
                    Some(c) if c["status"] == "warn" || c["status"] == "fail" => {}
                    other => bad(format!("token {i}: expected a weak-algorithm warning, got {other:?}")),
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} mismatch(es) over {} manifest entries:\n  {}",
        problems.len(),
        entries.len(),
        problems.join("\n  ")
    );
}

#[test]
fn manifest_single_engine_matches_both() {
    let mut problems: Vec<String> = Vec::new();
    for e in &manifest() {
        let both = run(&fixture_args(e, &[]));
        let both_verdict = both.json()["verdict"].clone();
        for (flag, name) in [("fedcheck", "fedcheck"), ("xmlsec", "libxmlsec1")] {
            let out = run(&fixture_args(e, &["--engines", flag]));
            let Ok(report) = serde_json::from_str::<Value>(&out.stdout) else {
                problems.push(format!(
                    "{} --engines {flag}: stdout is not JSON; {}",
                    e.path,
                    out.describe()
                ));
                continue;
            };
            if report["verdict"] != both_verdict {
                problems.push(format!(
                    "{} --engines {flag}: verdict {}, with both engines {}",
                    e.path, report["verdict"], both_verdict
                ));
            }
            if !out.stderr.is_empty() {
                problems.push(format!(
                    "{} --engines {flag}: stderr not empty: {:?}",
                    e.path, out.stderr
                ));
            }
            if out.code != both.code {
                problems.push(format!(
                    "{} --engines {flag}: exit {}, with both engines {}",
                    e.path, out.code, both.code
                ));
            }
            if report["engines"] != serde_json::json!([name]) {
                problems.push(format!(
                    "{} --engines {flag}: report engines {}",
                    e.path, report["engines"]
                ));
            }
            for (i, t) in tokens(&report).iter().enumerate() {
                // Tokens that never got to signature checking (unusable input, no signature) list no engine.
                let names = engine_names(&t["signature"]);
                let has_sigs = t["signature"]["signatures"].as_array().is_some_and(|s| !s.is_empty());
                if has_sigs && names != [name] {
                    problems.push(format!("{} --engines {flag}: token {i} engines {names:?}", e.path));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} mismatch(es):\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

#[test]
fn manifest_snapshots() {
    let entries = manifest();
    let mut seen = HashSet::new();
    for e in &entries {
        let name = snapshot_name(&e.path);
        assert!(seen.insert(name.clone()), "two fixtures map to snapshot name {name}");
        let out = run(&fixture_args(e, &[]));
        let report = stabilize(out.json());
        insta::with_settings!({
            snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"),
            prepend_module_to_snapshot => false,
            description => format!("fedcheck check {}", out.args[1..].join(" ")),
            omit_expression => true,
        }, {
            insta::assert_json_snapshot!(name.as_str(), report);
        });
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Trust

#[test]
fn no_trust_anchor_is_unverified() {
    let args = ["check", "saml2/mfa-sha256.xml", "--at", AT, "--format", "json"];
    let out = run(&args);
    assert_eq!(out.code, 1, "{}", out.describe());
    let r = out.json();
    assert_eq!(r["verdict"], "fail", "{}", out.describe());
    assert_eq!(r["trust"]["anchors"], serde_json::json!([]));
    let t = &tokens(&r)[0];
    assert!(
        t["claims"].is_null(),
        "claims must be null without a trust anchor: {}",
        t["claims"]
    );
    assert!(
        t["unverified_claims"].is_object(),
        "unverified_claims missing: {}",
        t["unverified_claims"]
    );
    assert_eq!(t["mfa"]["satisfied"], false);
    let c = find_check(t, "certificate.trusted").expect("certificate.trusted check");
    assert_eq!(c["status"], "fail", "{c}");

    let text = run(&["check", "saml2/mfa-sha256.xml", "--at", AT]);
    assert_eq!(text.code, 1, "{}", text.describe());
    assert!(text.stdout.contains("UNVERIFIED"), "{}", text.describe());
    assert!(!text.stdout.contains("Verdict: PASS"), "{}", text.describe());
}

fn metadata_run(token: &str, metadata: &str, extra: &[&str]) -> Out {
    let mut args = vec!["check", token, "--metadata", metadata, "--at", AT, "--format", "json"];
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn metadata_file_as_trust() {
    for (token, metadata) in [
        ("saml2/mfa-sha256.xml", "metadata/saml2-idp-metadata.xml"),
        (
            "wsfed/mfa-authmethod-sha256.xml",
            "metadata/wsfed-federationmetadata.xml",
        ),
        // The WS-Fed metadata carries the next certificate too (roll-over).
        ("saml2/mfa-next-cert.xml", "metadata/wsfed-federationmetadata.xml"),
    ] {
        let out = metadata_run(token, metadata, &[]);
        assert_eq!(out.code, 0, "{}", out.describe());
        let r = out.json();
        assert_eq!(r["verdict"], "pass", "{}", out.describe());
        let m = &r["trust"]["metadata"];
        assert_eq!(m["source"], metadata);
        assert_eq!(m["entity_id"], ISSUER);
        assert_eq!(m["signature_verified"], false);
        assert_eq!(r["trust"]["expected_issuer"], ISSUER);
        let t = &tokens(&r)[0];
        let issuer = find_check(t, "issuer").unwrap_or_else(|| panic!("no issuer check: {}", out.describe()));
        assert_eq!(issuer["status"], "pass", "{issuer}");
        assert!(issuer["message"].as_str().unwrap().contains("metadata"), "{issuer}");
    }
}

#[test]
fn metadata_encryption_key_is_not_a_trust_anchor() {
    // The attacker certificate is the metadata's use="encryption" key.
    let out = metadata_run("saml2/mfa-untrusted.xml", "metadata/saml2-idp-metadata.xml", &[]);
    assert_eq!(out.code, 1, "{}", out.describe());
    let r = out.json();
    assert_eq!(r["verdict"], "fail");
    let anchors = r["trust"]["anchors"].as_array().unwrap();
    assert_eq!(
        anchors.len(),
        1,
        "only the signing key may become an anchor: {}",
        r["trust"]
    );
    let attacker_serial = "6666";
    assert!(
        anchors.iter().all(|a| a["certificate"]["serial"] != attacker_serial),
        "{}",
        r["trust"]
    );
    let t = &tokens(&r)[0];
    assert_eq!(t["mfa"]["satisfied"], false);
    assert!(t["claims"].is_null());
    assert_eq!(find_check(t, "certificate.trusted").unwrap()["status"], "fail");
}

#[test]
fn signed_metadata_with_right_cert() {
    let out = metadata_run(
        "saml2/mfa-sha256.xml",
        "metadata/saml2-idp-metadata-signed.xml",
        &["--metadata-cert", "keys/idp-next.crt"],
    );
    assert_eq!(out.code, 0, "{}", out.describe());
    let r = out.json();
    assert_eq!(r["verdict"], "pass");
    assert_eq!(r["trust"]["metadata"]["signature_verified"], true);
    assert_eq!(r["trust"]["metadata"]["entity_id"], ISSUER);
}

#[test]
fn signed_metadata_with_wrong_cert_is_refused() {
    let out = metadata_run(
        "saml2/mfa-sha256.xml",
        "metadata/saml2-idp-metadata-signed.xml",
        &["--metadata-cert", "keys/attacker.crt"],
    );
    assert_eq!(out.code, 2, "{}", out.describe());
    assert!(out.stdout.is_empty(), "no report may be printed: {}", out.describe());
    let lines = out.fedcheck_stderr_lines();
    assert_eq!(lines.len(), 1, "{}", out.describe());
    assert!(lines[0].starts_with("fedcheck: error:"), "{}", out.describe());
    assert!(lines[0].contains("metadata signature"), "{}", out.describe());

    // Unsigned metadata with --metadata-cert is refused too.
    let out = metadata_run(
        "saml2/mfa-sha256.xml",
        "metadata/saml2-idp-metadata.xml",
        &["--metadata-cert", "keys/idp-next.crt"],
    );
    assert_eq!(out.code, 2, "{}", out.describe());
    assert!(out.stderr.contains("not signed"), "{}", out.describe());
}

/// Regression: before a3a192b libxmlsec1 printed `func=xmlSec...` lines to stderr around fedcheck's error.
#[test]
fn signed_metadata_with_wrong_cert_stderr_is_one_line() {
    let out = metadata_run(
        "saml2/mfa-sha256.xml",
        "metadata/saml2-idp-metadata-signed.xml",
        &["--metadata-cert", "keys/attacker.crt"],
    );
    assert_eq!(out.code, 2, "{}", out.describe());
    assert_eq!(out.stderr.trim_end().lines().count(), 1, "{}", out.describe());
}

/// Regression: before a3a192b the first verification in a process reset libxmlsec1's error callback, so its
/// messages went to stderr and were missing from the engine's `detail`.
#[test]
fn xmlsec_messages_do_not_leak_to_stderr() {
    // src/xmlsec.rs promises that libxmlsec1/libxml2 messages are redirected into the engine's `detail`.
    let e = manifest()
        .into_iter()
        .find(|e| e.path == "saml2/tampered-signaturevalue.xml")
        .unwrap();
    let out = run(&fixture_args(&e, &[]));
    assert_eq!(out.code, 1, "{}", out.describe());
    assert!(out.stderr.is_empty(), "{}", out.describe());
    let report = out.json();
    let detail = &tokens(&report)[0]["signature"]["engines"][1]["detail"];
    assert!(
        detail.as_str().unwrap().contains("xmlSec"),
        "libxmlsec1's own words are missing: {detail}"
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Several inputs

#[test]
fn multiple_inputs_one_run() {
    let out = run(&[
        "check",
        "saml2/mfa-sha256.xml",
        "wsfed/password.xml",
        "--idp-cert",
        "keys/idp-signing.crt",
        "--at",
        AT,
        "--expect-issuer",
        ISSUER,
        "--format",
        "json",
    ]);
    assert_eq!(out.code, 1, "{}", out.describe());
    let r = out.json();
    assert_eq!(r["verdict"], "fail");
    let t = tokens(&r);
    assert_eq!(t.len(), 2);
    assert_eq!(t[0]["source"]["input"], "saml2/mfa-sha256.xml");
    assert_eq!(t[0]["verdict"], "pass");
    assert_eq!(t[1]["source"]["input"], "wsfed/password.xml");
    assert_eq!(t[1]["verdict"], "fail");
    assert_eq!(
        r["summary"],
        serde_json::json!({"tokens": 2, "pass": 1, "fail": 1, "error": 0, "unusable_inputs": 0})
    );
}

#[test]
fn directory_input_one_token_per_file_sorted() {
    let out = run(&[
        "check",
        "wsfed",
        "--idp-cert",
        "keys/idp-signing.crt",
        "--at",
        AT,
        "--expect-issuer",
        ISSUER,
        "--format",
        "json",
    ]);
    let r = out.json();
    let mut files: Vec<String> = std::fs::read_dir(testdata().join("wsfed"))
        .unwrap()
        .map(|d| d.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .map(|n| format!("wsfed/{n}"))
        .collect();
    files.sort();
    let inputs: Vec<String> = tokens(&r)
        .iter()
        .map(|t| t["source"]["input"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(inputs, files, "{}", out.describe());
    assert_eq!(r["errors"], serde_json::json!([]));
    // The directory holds failing fixtures, so the run fails.
    assert_eq!(r["verdict"], "fail");
    assert_eq!(out.code, 1);
    // Each token's verdict matches the manifest.
    let m = manifest();
    for t in tokens(&r) {
        let input = t["source"]["input"].as_str().unwrap();
        let e = m.iter().find(|e| e.path == input).expect("wsfed file in manifest");
        if e.trust == ["keys/idp-signing.crt"] {
            assert_eq!(t["verdict"], e.expect_verdict.as_str(), "{input}");
        }
    }
}

#[test]
fn har_tokens_carry_entry_and_url() {
    let out = run(&[
        "check",
        "encoded/capture.har",
        "--idp-cert",
        "keys/idp-signing.crt",
        "--at",
        AT,
        "--format",
        "json",
    ]);
    assert_eq!(out.code, 0, "{}", out.describe());
    let r = out.json();
    let t = tokens(&r);
    assert_eq!(t.len(), 2, "{}", out.describe());
    for tok in t {
        let s = &tok["source"];
        assert_eq!(s["carrier"], "har", "{s}");
        assert!(s["har_entry"].is_u64(), "{s}");
        assert!(s["url"].as_str().is_some_and(|u| u.starts_with("https://")), "{s}");
    }
    assert_eq!(t[0]["source"]["har_entry"], 2);
    assert_eq!(t[0]["source"]["field"], "wresult");
    assert_eq!(t[0]["protocol"], "wsfed-saml11");
    assert_eq!(t[1]["source"]["har_entry"], 3);
    assert_eq!(t[1]["source"]["field"], "SAMLResponse");
    assert_eq!(t[1]["protocol"], "saml2");
}
