//! `fedcheck check-token`: Entra's access token (a JWT) checked against a JWKS served by wiremock or read from a
//! file. The tokens are in testdata/jwt/, signed by openssl through testdata/gen/jwt.py.

mod common;

use common::*;
use serde_json::Value;
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEYS_PATH: &str = "/common/discovery/v2.0/keys";
const PARTNER_CENTER: &str = "https://api.partnercenter.microsoft.com";

fn jwt_file(name: &str) -> String {
    std::fs::read_to_string(testdata().join("jwt").join(name))
        .unwrap()
        .trim()
        .to_string()
}

/// The args of a check-token run at the fixtures' instant.
fn args(input: &str, jwks: &str, extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = ["check-token", input, "--jwks", jwks, "--at", AT, "--format", "json"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

async fn serve(template: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(KEYS_PATH))
        .respond_with(template)
        .mount(&server)
        .await;
    server
}

async fn serve_jwks() -> MockServer {
    serve(
        ResponseTemplate::new(200)
            .insert_header("content-type", "application/json")
            .set_body_bytes(std::fs::read(testdata().join("jwt/jwks.json")).unwrap()),
    )
    .await
}

/// No part of the token (whole, or its signature segment) may appear in stdout or stderr.
fn assert_token_not_shown(out: &Out, token: &str) {
    let sig = token.rsplit('.').next().unwrap();
    for (what, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        assert!(
            !text.contains(token),
            "the token appears in {what}:\n{}",
            out.describe()
        );
        if !sig.is_empty() {
            assert!(
                !text.contains(sig),
                "the signature appears in {what}:\n{}",
                out.describe()
            );
        }
    }
}

fn the_check<'a>(r: &'a Value, id: &str) -> &'a Value {
    find_check(&r["tokens"][0], id).unwrap_or_else(|| panic!("no {id} check in {r:#}"))
}

/// Runs `name` against the wiremock JWKS; returns the report.
async fn via_url(server: &MockServer, name: &str, extra: &[&str]) -> Out {
    let url = format!("{}{KEYS_PATH}", server.uri());
    let (out, _) = run_blocking(args(&format!("jwt/{name}.jwt"), &url, extra)).await;
    assert_token_not_shown(&out, &jwt_file(&format!("{name}.jwt")));
    out
}

/// The JSON report with anything naming the local server (its port changes every run) replaced.
fn redacted_json(out: &Out) -> Value {
    let text = out.stdout.replace(&local_origin(&out.args), "[jwks-server]");
    serde_json::from_str(&text).unwrap()
}

/// `http://127.0.0.1:PORT` of the --jwks URL in these args (or a string that matches nothing).
fn local_origin(args: &[String]) -> String {
    let i = args.iter().position(|a| a == "--jwks").unwrap();
    let url = url::Url::parse(&args[i + 1]).map(|u| u.origin().ascii_serialization());
    url.unwrap_or_else(|_| "\u{0}".into())
}

#[tokio::test(flavor = "multi_thread")]
async fn good_token_via_url_passes() {
    let server = serve_jwks().await;
    let out = via_url(&server, "good", &["--expect-audience", PARTNER_CENTER]).await;
    assert_eq!(out.code, 0, "{}", out.describe());
    let r = out.json();
    assert_eq!(r["verdict"], "pass");
    let t = &r["tokens"][0];
    assert_eq!(t["header"]["alg"], "RS256");
    assert_eq!(t["header"]["kid"], "test-key-1");
    assert_eq!(t["signature"]["valid"], true);
    assert_eq!(t["claims"]["amr"], serde_json::json!(["pwd", "mfa"]));
    assert_eq!(t["claims"]["upn"], "alice@contoso.test");
    for id in ["jwt.signature", "jwt.time", "jwt.amr", "jwt.audience"] {
        assert_eq!(the_check(&r, id)["status"], "pass", "{id}: {r:#}");
    }
    for id in ["jwt.tenant", "jwt.upn", "jwt.appid", "jwt.scp"] {
        assert_eq!(the_check(&r, id)["status"], "info", "{id}");
    }
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1, "the JWKS is fetched once");
    insta::with_settings!({
        snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"),
        prepend_module_to_snapshot => false,
    }, {
        insta::assert_json_snapshot!("check_token__good", redacted_json(&out));
    });
}

/// Each bad token: exit 1, and the named check fails with the expected words.
#[tokio::test(flavor = "multi_thread")]
async fn bad_tokens_via_url_fail_the_specific_check() {
    let server = serve_jwks().await;
    let cases: [(&str, &str, &str); 8] = [
        ("wrong-kid", "jwt.signature", "unknown kid test-key-unknown"),
        ("expired", "jwt.time", "expired: exp 2026-01-15T09:00:00Z"),
        ("alg-none", "jwt.signature", "alg none refused"),
        ("hs256-pubkey", "jwt.signature", "alg HS256 refused"),
        ("no-amr", "jwt.amr", "no amr claim"),
        ("amr-pwd-only", "jwt.amr", "amr [pwd] has no mfa"),
        ("bad-signature", "jwt.signature", "bad signature"),
        ("no-kid", "jwt.signature", "no kid"),
    ];
    for (name, id, words) in cases {
        let out = via_url(&server, name, &[]).await;
        assert_eq!(out.code, 1, "{name}: {}", out.describe());
        let r = out.json();
        assert_eq!(r["verdict"], "fail", "{name}");
        let c = the_check(&r, id);
        assert_eq!(c["status"], "fail", "{name}: {c:#}");
        assert!(c["message"].as_str().unwrap().contains(words), "{name}: {c:#}");
        assert!(c["fix"].is_string(), "{name}: a failure carries a fix");
        // Only that check fails.
        let failing: Vec<&str> = r["tokens"][0]["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["status"] == "fail")
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        assert_eq!(failing, vec![id], "{name}");
        if id == "jwt.signature" {
            assert_eq!(r["tokens"][0]["signature"]["valid"], false, "{name}");
        }
        if id == "jwt.amr" {
            assert!(c["message"]
                .as_str()
                .unwrap()
                .contains("401 Unauthorized - MFA required"));
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn amr_without_mfa_snapshot() {
    let server = serve_jwks().await;
    let out = via_url(&server, "amr-pwd-only", &["--expect-audience", PARTNER_CENTER]).await;
    assert_eq!(out.code, 1, "{}", out.describe());
    insta::with_settings!({
        snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"),
        prepend_module_to_snapshot => false,
    }, {
        insta::assert_json_snapshot!("check_token__amr-pwd-only", redacted_json(&out));
    });
}

#[tokio::test(flavor = "multi_thread")]
async fn jwks_404_is_unusable_input() {
    let server = serve(ResponseTemplate::new(404)).await;
    let url = format!("{}{KEYS_PATH}", server.uri());
    let (out, _) = run_blocking(args("jwt/good.jwt", &url, &[])).await;
    assert_eq!(out.code, 2, "{}", out.describe());
    assert!(out.stdout.is_empty(), "no report: {}", out.describe());
    assert!(
        out.stderr.contains("--jwks") && out.stderr.contains("404"),
        "{}",
        out.describe()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn jwks_timeout_is_unusable_input() {
    let server = serve(
        ResponseTemplate::new(200)
            .set_body_bytes(std::fs::read(testdata().join("jwt/jwks.json")).unwrap())
            .set_delay(Duration::from_secs(10)),
    )
    .await;
    let url = format!("{}{KEYS_PATH}", server.uri());
    let (out, took) = run_blocking(args("jwt/good.jwt", &url, &["--fetch-timeout", "1"])).await;
    assert_eq!(out.code, 2, "{}", out.describe());
    assert!(out.stderr.contains("timed out"), "{}", out.describe());
    assert!(
        took < Duration::from_secs(8),
        "gave up after the timeout, not the delay: {took:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn jwks_not_a_key_set_is_unusable_input() {
    let server = serve(ResponseTemplate::new(200).set_body_string("{\"issuer\":\"x\"}")).await;
    let url = format!("{}{KEYS_PATH}", server.uri());
    let (out, _) = run_blocking(args("jwt/good.jwt", &url, &[])).await;
    assert_eq!(out.code, 2, "{}", out.describe());
    assert!(out.stderr.contains("no \"keys\""), "{}", out.describe());
}

#[test]
fn jwks_file_good_and_bad() {
    let out = run(&args("jwt/good.jwt", "jwt/jwks.json", &[]));
    assert_eq!(out.code, 0, "{}", out.describe());
    assert_token_not_shown(&out, &jwt_file("good.jwt"));
    let out = run(&args("jwt/hs256-pubkey.jwt", "jwt/jwks.json", &[]));
    assert_eq!(out.code, 1, "{}", out.describe());
    assert!(out.stdout.contains("key-confusion"), "{}", out.describe());
    let out = run(&args("jwt/good.jwt", "jwt/missing.json", &[]));
    assert_eq!(out.code, 2, "{}", out.describe());
}

#[test]
fn plain_http_jwks_refused_off_loopback() {
    let out = run(&args("jwt/good.jwt", "http://keys.example.test/keys", &[]));
    assert_eq!(out.code, 2, "{}", out.describe());
    assert!(out.stderr.contains("plain http://"), "{}", out.describe());
}

#[test]
fn x5t_lookup_when_the_kid_is_the_thumbprint() {
    // Entra v1 tokens carry kid == x5t; a JWKS whose kid differs still finds the key by its x5t. Exercised here with
    // a JWKS rewritten so its kid is something else and its x5t is "test-key-1".
    let dir = tempfile::tempdir().unwrap();
    let mut jwks: Value = serde_json::from_slice(&std::fs::read(testdata().join("jwt/jwks.json")).unwrap()).unwrap();
    jwks["keys"][0]["kid"] = "another-kid".into();
    jwks["keys"][0]["x5t"] = "test-key-1".into();
    let p = dir.path().join("jwks.json");
    std::fs::write(&p, serde_json::to_vec(&jwks).unwrap()).unwrap();
    let out = run(&args("jwt/good.jwt", p.to_str().unwrap(), &[]));
    assert_eq!(out.code, 0, "{}", out.describe());
    // Without n/e, the key comes from x5c.
    jwks["keys"][0].as_object_mut().unwrap().remove("n");
    jwks["keys"][0].as_object_mut().unwrap().remove("e");
    std::fs::write(&p, serde_json::to_vec(&jwks).unwrap()).unwrap();
    let out = run(&args("jwt/good.jwt", p.to_str().unwrap(), &[]));
    assert_eq!(out.code, 0, "x5c fallback: {}", out.describe());
}

#[test]
fn jku_header_is_ignored_and_reported() {
    let out = run(&args("jwt/jku-header.jwt", "jwt/jwks.json", &[]));
    assert_eq!(out.code, 0, "still signed by the JWKS key: {}", out.describe());
    let r = out.json();
    assert_eq!(r["tokens"][0]["header"]["ignored"], serde_json::json!(["jku"]));
    assert_eq!(the_check(&r, "jwt.header")["status"], "warn");
}

#[test]
fn fed_and_mfa_noted() {
    let out = run(&args("jwt/fed-mfa.jwt", "jwt/jwks.json", &[]));
    assert_eq!(out.code, 0, "{}", out.describe());
    let r = out.json();
    assert!(the_check(&r, "jwt.amr")["message"]
        .as_str()
        .unwrap()
        .contains("federated"));
}

#[test]
fn har_finds_both_tokens_deduplicated() {
    let out = run(&args("jwt/capture.har", "jwt/jwks.json", &[]));
    assert_eq!(out.code, 1, "the second token has no mfa: {}", out.describe());
    assert_token_not_shown(&out, &jwt_file("good.jwt"));
    assert_token_not_shown(&out, &jwt_file("amr-pwd-only.jwt"));
    let r = out.json();
    let tokens = r["tokens"].as_array().unwrap();
    assert_eq!(
        tokens.len(),
        2,
        "the good token appears twice in the HAR, reported once: {r:#}"
    );
    let s = &tokens[0]["source"];
    assert_eq!(s["carrier"], "har");
    assert_eq!(s["har_entry"], 1);
    assert_eq!(s["field"], "access_token");
    assert!(s["url"].as_str().unwrap().ends_with("/oauth2/token"));
    assert_eq!(s["also_seen"].as_array().unwrap().len(), 1);
    assert!(s["also_seen"][0].as_str().unwrap().contains("Authorization header"));
    assert_eq!(find_check(&tokens[0], "jwt.amr").unwrap()["status"], "pass");
    assert_eq!(tokens[1]["source"]["har_entry"], 3);
    assert_eq!(tokens[1]["source"]["field"], "Authorization header");
    assert_eq!(find_check(&tokens[1], "jwt.amr").unwrap()["status"], "fail");
}

#[test]
fn stdin_bearer_line_token_response_and_argument() {
    let good = jwt_file("good.jwt");
    let a = args("-", "jwt/jwks.json", &[]);
    for input in [
        good.clone(),
        format!("Authorization: Bearer {good}\n"),
        std::fs::read_to_string(testdata().join("jwt/token-response.json")).unwrap(),
    ] {
        let out = run_stdin(&a, input.as_bytes());
        assert_eq!(out.code, 0, "{}", out.describe());
        assert_eq!(out.json()["tokens"][0]["source"]["input"], "stdin");
        assert_token_not_shown(&out, &good);
    }
    for file in ["jwt/bearer.txt", "jwt/token-response.json"] {
        let out = run(&args(file, "jwt/jwks.json", &[]));
        assert_eq!(out.code, 0, "{file}: {}", out.describe());
    }
    // The token as the argument works, and is still never echoed (text output too).
    let out = run(&["check-token", &good, "--jwks", "jwt/jwks.json", "--at", AT]);
    assert_eq!(out.code, 0, "{}", out.describe());
    assert!(out.stdout.contains("Verdict: PASS"), "{}", out.describe());
    assert_token_not_shown(&out, &good);
}

#[test]
fn unusable_inputs_exit_2() {
    let out = run_stdin(&args("-", "jwt/jwks.json", &[]), b"hello, not a token\n");
    assert_eq!(out.code, 2, "{}", out.describe());
    assert!(out.stderr.contains("no JWT found"), "{}", out.describe());
    let out = run(&args("jwt/does-not-exist.jwt", "jwt/jwks.json", &[]));
    assert_eq!(out.code, 2, "{}", out.describe());
    let out = run_stdin(&args("-", "jwt/jwks.json", &[]), b"eyJub3QiOiJqc29u.eyJ4IjoxfQ.\n");
    assert_eq!(out.code, 2, "header is not JSON: {}", out.describe());
    let out = run(&[
        "check-token",
        "jwt/good.jwt",
        "--jwks",
        "jwt/jwks.json",
        "--at",
        "yesterday",
    ]);
    assert_eq!(out.code, 2, "{}", out.describe());
}

#[test]
fn expect_audience_and_tenant() {
    let out = run(&args(
        "jwt/good.jwt",
        "jwt/jwks.json",
        &[
            "--expect-audience",
            "https://graph.microsoft.com",
            "--expect-tenant",
            "0b5c8c2e-7d1a-4f6e-9a3b-2c4d6e8f0a1b",
        ],
    ));
    assert_eq!(out.code, 1, "{}", out.describe());
    let r = out.json();
    assert_eq!(the_check(&r, "jwt.audience")["status"], "fail");
    assert_eq!(the_check(&r, "jwt.tenant")["status"], "pass");
}

#[test]
fn skew_and_not_yet_valid() {
    // 10:59:59 + the default 5m skew: still inside; 11:05:00 with 5m skew: exp is exactly at the limit -> expired.
    let mut a = args("jwt/good.jwt", "jwt/jwks.json", &[]);
    let at = a.iter().position(|x| x == AT).unwrap();
    a[at] = "2026-01-15T11:04:59Z".into();
    assert_eq!(run(&a).code, 0);
    a[at] = "2026-01-15T11:05:00Z".into();
    assert_eq!(run(&a).code, 1);
    a[at] = "2026-01-15T09:50:00Z".into();
    let out = run(&a);
    assert_eq!(out.code, 1);
    assert!(the_check(&out.json(), "jwt.time")["message"]
        .as_str()
        .unwrap()
        .contains("not yet valid"));
}

/// A token shaped like jwt/good.jwt with `edit` applied to its claims, signed RS256 with the test key
/// (testdata/jwt/test-key-1.key, whose public half is in jwt/jwks.json), so only the edited claim can fail.
fn signed_with(edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let good = jwt_file("good.jwt");
    let mut parts = good.split('.');
    let header = parts.next().unwrap();
    let mut claims: serde_json::Map<String, Value> =
        serde_json::from_slice(&b64.decode(parts.next().unwrap()).unwrap()).unwrap();
    edit(&mut claims);
    let input = format!("{header}.{}", b64.encode(serde_json::to_vec(&claims).unwrap()));
    let pem = std::fs::read(testdata().join("jwt/test-key-1.key")).unwrap();
    let key = openssl::pkey::PKey::private_key_from_pem(&pem).unwrap();
    let mut signer = openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &key).unwrap();
    signer.update(input.as_bytes()).unwrap();
    format!("{input}.{}", b64.encode(signer.sign_to_vec().unwrap()))
}

/// check-token on `token` (stdin) against jwt/jwks.json at the fixtures' instant.
fn check_built(token: &str) -> Out {
    run_stdin(&args("-", "jwt/jwks.json", &[]), token.as_bytes())
}

#[test]
fn a_token_built_here_passes_unedited() {
    let out = check_built(&signed_with(|_| {}));
    assert_eq!(
        out.code,
        0,
        "the helper signs tokens the JWKS accepts: {}",
        out.describe()
    );
}

#[test]
fn nested_or_non_string_amr_entries_are_named() {
    let out = check_built(&signed_with(|c| {
        c.insert("amr".into(), serde_json::json!([["pwd"], ["mfa"]]));
    }));
    assert_eq!(out.code, 1, "{}", out.describe());
    let r = out.json();
    assert_eq!(the_check(&r, "jwt.signature")["status"], "pass", "{r:#}");
    let amr = the_check(&r, "jwt.amr");
    assert_eq!(amr["status"], "fail", "{r:#}");
    let msg = amr["message"].as_str().unwrap();
    assert!(
        msg.starts_with("amr: entry 0 is an array, not a string; entry 1 is an array, not a string"),
        "{msg}"
    );
    // One string entry among malformed ones: still named, even with mfa present.
    let out = check_built(&signed_with(|c| {
        c.insert("amr".into(), serde_json::json!(["mfa", 7, {"m": "x"}]));
    }));
    assert_eq!(out.code, 1, "{}", out.describe());
    let msg = the_check(&out.json(), "jwt.amr")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        msg.contains("entry 1 is a number, not a string; entry 2 is an object, not a string"),
        "{msg}"
    );
}

#[test]
fn non_numeric_times_are_named() {
    for (claim, value, expected) in [
        (
            "nbf",
            serde_json::json!("tomorrow"),
            "nbf: \"tomorrow\" is a string, not a NumericDate",
        ),
        (
            "exp",
            serde_json::json!("tomorrow"),
            "exp: \"tomorrow\" is a string, not a NumericDate",
        ),
        (
            "iat",
            serde_json::json!(true),
            "iat: true is a boolean, not a NumericDate",
        ),
        (
            "exp",
            serde_json::json!(1e300),
            "exp: 1e+300 is out of the range of a time",
        ),
    ] {
        let out = check_built(&signed_with(|c| {
            c.insert(claim.into(), value.clone());
        }));
        assert_eq!(out.code, 1, "{claim} {value}: {}", out.describe());
        let r = out.json();
        assert_eq!(the_check(&r, "jwt.signature")["status"], "pass", "{r:#}");
        let time = the_check(&r, "jwt.time");
        assert_eq!(time["status"], "fail", "{claim} {value}: {r:#}");
        let msg = time["message"].as_str().unwrap();
        assert!(msg.contains(expected), "{claim} {value}: {msg}");
    }
    // The text output says it on the check's line too.
    let token = signed_with(|c| {
        c.insert("nbf".into(), serde_json::json!("tomorrow"));
    });
    let out = run_stdin(
        &["check-token", "-", "--jwks", "jwt/jwks.json", "--at", AT],
        token.as_bytes(),
    );
    assert_eq!(out.code, 1, "{}", out.describe());
    assert!(
        out.stdout.contains("nbf: \"tomorrow\" is a string"),
        "{}",
        out.describe()
    );
}
