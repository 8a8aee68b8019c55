//! Redaction that cannot leak (issue 13, item 5): a bundle built from tokens that carry a personal value in the
//! forms a naive redaction misses, checked file by file (and in the zip, and on the console) for every form of
//! every value. The tokens are signed by xmlsec1 (`testdata/gen/redaction.py`); the HAR wraps one of them the way a
//! browser export does, with the user's name in the request URL.

mod common;

use std::io::Read;
use std::path::Path;
use std::process::Command;

const AT: &str = "2026-01-15T10:01:00Z";

/// Every form of a personal value that must not appear anywhere in a redacted bundle (compared case-insensitively).
const FORBIDDEN: &[&str] = &[
    "alice@contoso.test",
    "alice&#64;contoso.test",
    "alice&#x40;contoso.test",
    "alice%40contoso.test",
    "alice<!-- x -->@contoso.test",
    "bob@contoso.test",
    "bob%40contoso.test",
    // The ImmutableIDs (NameID) of both assertions, and alice's as percent-encoded in a form body.
    "bXlJbW11dGFibGVJZA==",
    "Ym9iSW1tdXRhYmxlSWQ=",
    "bXlJbW11dGFibGVJZA%3D%3D",
];

fn fedcheck(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fedcheck"))
        .current_dir(dir)
        .args(args)
        // Under CI a missing snapshot is an error, not written; these runs write their own.
        .env_remove("CI")
        .output()
        .expect("run fedcheck")
}

/// The forbidden forms found in `text`.
fn leaks(text: &str) -> Vec<&'static str> {
    let lower = text.to_lowercase();
    FORBIDDEN
        .iter()
        .copied()
        .filter(|f| lower.contains(&f.to_lowercase()))
        .collect()
}

/// A HAR 1.2 export whose POST to Entra carries `token` as SAMLResponse, the request URL holding the user's name
/// (`login_hint`, `username`) the way a browser records a sign-in started from a link.
fn har_with_login_hint(token: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(token);
    let body: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("SAMLResponse", &b64)
        .finish();
    serde_json::json!({
        "log": {
            "version": "1.2",
            "creator": {"name": "Firefox", "version": "133.0"},
            "entries": [{
                "startedDateTime": "2026-01-15T10:00:30.000Z",
                "time": 42,
                "request": {
                    "method": "POST",
                    "url": "https://login.microsoftonline.com/login.srf?login_hint=alice%40contoso.test&username=ALICE@CONTOSO.TEST",
                    "httpVersion": "HTTP/1.1",
                    "cookies": [],
                    "headers": [{"name": "Content-Type", "value": "application/x-www-form-urlencoded"}],
                    "queryString": [
                        {"name": "login_hint", "value": "alice@contoso.test"},
                        {"name": "username", "value": "ALICE@CONTOSO.TEST"}
                    ],
                    "headersSize": -1,
                    "bodySize": body.len(),
                    "postData": {"mimeType": "application/x-www-form-urlencoded", "text": body}
                },
                "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1", "cookies": [],
                             "headers": [], "content": {"size": 0, "mimeType": "text/html"}, "redirectURL": "",
                             "headersSize": -1, "bodySize": 0},
                "cache": {},
                "timings": {"send": 0, "wait": 42, "receive": 0}
            }]
        }
    })
    .to_string()
}

/// A working folder: the three redaction tokens (one named after the user), the HAR, the trusted certificate.
fn work() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let td = common::testdata();
    let copy = |from: &str, to: &str| {
        std::fs::copy(td.join(from), dir.path().join(to)).unwrap_or_else(|e| panic!("copy {from}: {e}"));
    };
    copy("redaction/entity.xml", "alice@contoso.test.xml");
    copy("redaction/comment.xml", "comment.xml");
    copy("redaction/second-assertion.xml", "second-assertion.xml");
    copy("keys/idp-signing.crt", "idp.crt");
    let entity = std::fs::read(td.join("redaction/entity.xml")).unwrap();
    std::fs::write(dir.path().join("capture.har"), har_with_login_hint(&entity)).unwrap();
    dir
}

#[test]
fn no_personal_value_survives_in_any_file_of_the_bundle() {
    let w = work();
    let out = fedcheck(
        w.path(),
        &[
            "bundle",
            "alice@contoso.test.xml",
            "comment.xml",
            "second-assertion.xml",
            "capture.har",
            "--idp-cert",
            "idp.crt",
            "--at",
            AT,
            "--redaction-key",
            "k",
            "--out",
            "evidence",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // second-assertion.xml fails content.unsigned: the bundle is written, the verdict is FAIL.
    assert_eq!(out.status.code(), Some(1), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("Wrote evidence/"), "{stdout}");
    assert_eq!(leaks(&stdout), Vec::<&str>::new(), "console:\n{stdout}");
    assert_eq!(leaks(&stderr), Vec::<&str>::new(), "stderr:\n{stderr}");

    let root = w.path().join("evidence");
    let mut checked = 0;
    for e in walkdir::WalkDir::new(&root) {
        let e = e.unwrap();
        let rel = e.path().strip_prefix(&root).unwrap().to_string_lossy().into_owned();
        assert_eq!(leaks(&rel), Vec::<&str>::new(), "file name {rel}");
        if e.file_type().is_file() {
            let text = String::from_utf8_lossy(&std::fs::read(e.path()).unwrap()).into_owned();
            assert_eq!(leaks(&text), Vec::<&str>::new(), "{rel}:\n{text}");
            checked += 1;
        }
    }
    assert!(checked >= 8, "only {checked} files in the bundle");
    // The same in the zip: entry names and contents.
    let zip = std::fs::File::open(w.path().join("evidence.zip")).expect("evidence.zip");
    let mut archive = zip::ZipArchive::new(zip).expect("a zip");
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let name = entry.name().to_string();
        assert_eq!(leaks(&name), Vec::<&str>::new(), "zip entry {name}");
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        assert_eq!(
            leaks(&String::from_utf8_lossy(&bytes)),
            Vec::<&str>::new(),
            "zip entry {name}"
        );
    }

    // The manifest's command line names the input without the UPN, and the bundle still verifies.
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("manifest.json")).unwrap()).unwrap();
    let argv: Vec<&str> = manifest["command_line"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        argv.iter()
            .any(|a| a.starts_with("redacted:upn:") && a.ends_with(".xml")),
        "{argv:?}"
    );
    let verified = fedcheck(w.path(), &["verify-bundle", "evidence"]);
    assert_eq!(
        verified.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );

    // Redaction replaced values, it did not blank the evidence: the copied tokens still carry the MFA claim and a
    // placeholder where the UPN was.
    let tokens: Vec<String> = walkdir::WalkDir::new(root.join("tokens"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    assert!(tokens.len() >= 4, "{} token copies", tokens.len());
    for t in &tokens {
        assert!(t.contains("http://schemas.microsoft.com/claims/multipleauthn"), "{t}");
        assert!(t.contains("redacted:upn:"), "{t}");
    }
}

#[test]
fn without_redaction_the_values_are_kept_on_purpose() {
    // The control: the same bundle with --no-redact carries the values, so the test above can fail.
    let w = work();
    let out = fedcheck(
        w.path(),
        &[
            "bundle",
            "alice@contoso.test.xml",
            "second-assertion.xml",
            "--idp-cert",
            "idp.crt",
            "--at",
            AT,
            "--no-redact",
            "--out",
            "raw",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let report = std::fs::read_to_string(w.path().join("raw/report.json")).unwrap();
    assert!(report.contains("alice@contoso.test"));
    let copies: String = walkdir::WalkDir::new(w.path().join("raw/tokens"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    assert!(copies.contains("bob@contoso.test"));
}

#[test]
fn a_snapshot_never_carries_the_upn() {
    let w = work();
    let out = fedcheck(
        w.path(),
        &[
            "check",
            "alice@contoso.test.xml",
            "--idp-cert",
            "idp.crt",
            "--at",
            AT,
            "--snapshot",
            "verdict.snap",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let snap = std::fs::read_to_string(w.path().join("verdict.snap")).unwrap();
    assert_eq!(leaks(&snap), Vec::<&str>::new(), "{snap}");
    assert!(snap.contains("redacted:upn"), "{snap}");
    // A changed verdict's diff is made of the same redacted lines.
    std::fs::copy(
        common::testdata().join("redaction/second-assertion.xml"),
        w.path().join("alice@contoso.test.xml"),
    )
    .unwrap();
    let out = fedcheck(
        w.path(),
        &[
            "check",
            "alice@contoso.test.xml",
            "--idp-cert",
            "idp.crt",
            "--at",
            AT,
            "--snapshot",
            "verdict.snap",
        ],
    );
    // The console report is the user's own (not redacted); the snapshot diff, on stderr, is what CI logs keep.
    let diff = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{diff}");
    assert!(diff.contains("+     fail  content.unsigned"), "{diff}");
    assert_eq!(leaks(&diff), Vec::<&str>::new(), "{diff}");
}
