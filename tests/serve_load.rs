//! `fedcheck serve` under hostile load: idle connections trickling headers (slowloris), a storm of posts that pass
//! their deadline, junk posted with `--out`, and the caps on evidence kept. Each server runs on an ephemeral
//! loopback port and is killed when its guard drops; every wait is bounded.

mod common;

use base64::Engine as _;
use common::{AT, ISSUER};
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(args: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fedcheck"))
        .current_dir(common::testdata())
        .args(["serve", "--listen", "127.0.0.1:0", "--idp-cert", "keys/idp-signing.crt"])
        .args(["--expect-issuer", ISSUER, "--at", AT])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn fedcheck serve");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            if let Some(rest) = line.strip_prefix("fedcheck serve: listening on ") {
                return Server {
                    child,
                    base: rest.trim_end_matches('/').to_string(),
                };
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("fedcheck serve did not start");
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

fn saml_form(xml: &[u8]) -> String {
    let mut f = form_urlencoded::Serializer::new(String::new());
    f.append_pair("SAMLResponse", &base64::engine::general_purpose::STANDARD.encode(xml));
    f.finish()
}

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(common::testdata().join(path)).expect("fixture")
}

fn post_json(c: &reqwest::blocking::Client, url: &str, body: String) -> (u16, Value) {
    let r = c
        .post(url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Accept", "application/json")
        .body(body)
        .send()
        .expect("post");
    let status = r.status().as_u16();
    let text = r.text().expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// Until `within` passes, GETs the start page (retrying a 503 after its Retry-After second); the status it ends with.
fn honest_get(url: &str, within: Duration) -> (u16, Duration) {
    let start = Instant::now();
    let c = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    loop {
        let status = c.get(url).send().map(|r| r.status().as_u16()).unwrap_or(0);
        if status == 200 || start.elapsed() > within {
            return (status, start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Posts the genuine fixture once to `acs`: it must be answered 200, pass, within 5 s.
fn honest_post_passes_within_5_s(acs: &str) {
    let started = Instant::now();
    let (status, v) = post_json(&client(), acs, saml_form(&fixture("saml2/mfa-sha256.xml")));
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["verdict"], "pass", "{v}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}

/// `n` connections that start a request and never finish its headers (a slowloris).
fn slow_connections(server: &Server, n: usize) -> Vec<TcpStream> {
    let addr = server.base.trim_start_matches("http://").to_string();
    let mut idle = Vec::new();
    for _ in 0..n {
        if let Ok(mut s) = TcpStream::connect(&addr) {
            let _ = s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ");
            idle.push(s);
        }
    }
    idle
}

#[test]
fn slowloris_neither_exhausts_connections_nor_delays_honest_clients() {
    let server = start(&["--max-connections", "16", "--header-timeout", "2"]);
    let mut idle = slow_connections(&server, 200);
    let (status, took) = honest_get(&format!("{}/", server.base), Duration::from_secs(5));
    assert_eq!(
        status, 200,
        "an honest request was not answered within 5 s (took {took:?})"
    );
    // The connections over the cap were answered 503 and closed at once; the others are closed at the timeout.
    std::thread::sleep(Duration::from_secs(3));
    let mut closed = 0;
    for s in &mut idle {
        s.set_read_timeout(Some(Duration::from_millis(100))).ok();
        let mut buf = [0u8; 256];
        match std::io::Read::read(s, &mut buf) {
            Ok(0) => closed += 1,
            Ok(_) => closed += 1, // a 503 (over the cap) or a 408 before closing
            // Closed to make room before its bytes were read: the kernel resets it.
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted
                ) =>
            {
                closed += 1
            }
            Err(_) => {}
        }
    }
    assert!(closed >= 190, "only {closed} of 200 slow connections were closed");
}

/// At the connection cap, the oldest connection with no request in progress makes room: idle connections holding
/// every slot for the whole header timeout cannot lock an honest client out, not even for one retry.
#[test]
fn idle_connections_at_the_cap_make_room_for_an_honest_client() {
    let server = start(&["--max-connections", "16", "--header-timeout", "60"]);
    let _idle = slow_connections(&server, 100);
    std::thread::sleep(Duration::from_millis(500));
    honest_post_passes_within_5_s(&format!("{}/login.srf", server.base));
}

/// Posts that pass their deadline stop their work at it and free their judging slot: an honest post right after a
/// storm of them is answered, not refused.
#[test]
fn a_timeout_storm_leaves_the_server_responsive() {
    let server = start(&["--request-timeout", "1", "--engines", "fedcheck"]);
    // Heavy but legal posts: a 0.7 MB token with 32 signed assertions of 1000 nodes each.
    let base = String::from_utf8(fixture("saml2/mfa-sha256.xml")).expect("utf-8");
    let start = base.find("<saml:Assertion").expect("assertion");
    let end = base.find("</saml:Assertion>").expect("end") + "</saml:Assertion>".len();
    let filler = "<saml:AttributeValue>v</saml:AttributeValue>".repeat(450);
    let assertion = base[start..end].replace(
        "</saml:AttributeStatement>",
        &format!("<saml:Attribute Name=\"x\">{filler}</saml:Attribute></saml:AttributeStatement>"),
    );
    let many: String = (0..31)
        .map(|i| assertion.replace("ID=\"_a0001\"", &format!("ID=\"_s{i}\"")))
        .collect();
    let heavy = format!("{}{many}{}", &base[..start], &base[end..]);
    let acs = format!("{}/login.srf", server.base);
    let storm: Vec<_> = (0..8)
        .map(|_| {
            let acs = acs.clone();
            let body = saml_form(heavy.as_bytes());
            std::thread::spawn(move || post_json(&client(), &acs, body).0)
        })
        .collect();
    for t in storm {
        let status = t.join().expect("thread");
        assert!(matches!(status, 200 | 400 | 503), "storm post answered {status}");
    }
    honest_post_passes_within_5_s(&acs);
}

#[test]
fn out_keeps_evidence_of_verified_sign_ins_only_within_its_caps() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().to_str().expect("utf-8").to_string();
    let server = start(&["--out", &out, "--max-bundles", "2"]);
    let acs = format!("{}/login.srf", server.base);
    let c = client();
    // Junk and forgeries: judged, never kept.
    for f in [
        "saml2/unsigned.xml",
        "saml2/mfa-untrusted.xml",
        "saml2/tampered-classref.xml",
    ] {
        let (status, v) = post_json(&c, &acs, saml_form(&fixture(f)));
        assert_eq!(status, 200, "{f}: {v}");
        let b = v["serve"]["bundle"].as_str().unwrap_or("");
        assert!(b.starts_with("not written: no token in the post verified"), "{f}: {b}");
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("dir").count(),
        0,
        "nothing written for junk"
    );
    // Genuine sign-ins: kept, up to --max-bundles.
    let mut kept = 0;
    for _ in 0..3 {
        let (status, v) = post_json(&c, &acs, saml_form(&fixture("saml2/mfa-sha256.xml")));
        assert!(matches!(status, 200 | 409), "{v}");
        let b = v["serve"]["bundle"].as_str().unwrap_or("").to_string();
        if b.starts_with(&out) {
            kept += 1;
        } else {
            assert!(b.contains("--max-bundles"), "{b}");
        }
    }
    assert_eq!(kept, 2);
}

/// The recapture loop: `serve --out` keeps the raw token a sign-in posted (beside the redacted bundle), and
/// `check --stand-in URL --at issue-instant` judges it as serve did, with no date to edit.
#[test]
fn serve_captures_are_checkable_with_stand_in_and_issue_instant() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().to_str().expect("utf-8").to_string();
    // The fixture is addressed to https://evil.example/acs: play that as the stand-in's ACS.
    let server = start(&["--out", &out, "--acs-url", "https://evil.example/acs"]);
    let acs = format!("{}/login.srf", server.base);
    let (status, v) = post_json(&client(), &acs, saml_form(&fixture("saml2/wrong-recipient.xml")));
    assert_eq!(status, 200, "{v}");
    let captures: Vec<std::path::PathBuf> = std::fs::read_dir(dir.path().join("captures"))
        .expect("captures folder")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(captures.len(), 1, "{captures:?}");
    let capture = captures[0].to_str().expect("utf-8");
    let judged = |extra: &[&str]| {
        let mut args = vec![
            "check",
            capture,
            "--idp-cert",
            "keys/idp-signing.crt",
            "--expect-issuer",
            ISSUER,
        ];
        args.extend_from_slice(extra);
        common::run(&args)
    };
    let loop_run = judged(&["--stand-in", "https://evil.example/acs", "--at", "issue-instant"]);
    assert_eq!(loop_run.code, 0, "{}", loop_run.describe());
    assert!(loop_run.stdout.contains("stand-in"), "{}", loop_run.describe());
    // Without the stand-in the recipient is judged for Entra: it fails, as it should for a real sign-in.
    let plain = judged(&["--at", "issue-instant"]);
    assert_eq!(plain.code, 1, "{}", plain.describe());
}
