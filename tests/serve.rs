//! `fedcheck serve` end to end: the binary is started on an ephemeral loopback port (`--listen 127.0.0.1:0`, the
//! port read from its first line), fixtures are posted to `/login.srf` as an IdP would post them, and the answers
//! are compared with `fedcheck check` on the same files. Every server is killed when its guard drops, and every
//! wait is bounded, so the tests stop by themselves.

mod common;

use base64::Engine as _;
use common::{AT, ISSUER};
use serde_json::Value;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A running `fedcheck serve`; killed on drop.
pub struct Server {
    child: Child,
    pub base: String,
    pub output: mpsc::Receiver<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts the server in `testdata/` with `args` (plus `--listen 127.0.0.1:0`) and waits for its banner.
    pub fn start(args: &[&str]) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_fedcheck"));
        cmd.current_dir(common::testdata())
            .arg("serve")
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn fedcheck serve");
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = mpsc::channel();
        let tx2 = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx2.send(format!("stderr: {line}"));
            }
        });
        let mut server = Server {
            child,
            base: String::new(),
            output: rx,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut seen = Vec::new();
        while Instant::now() < deadline {
            match server.output.recv_timeout(Duration::from_millis(200)) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix("fedcheck serve: listening on ") {
                        server.base = rest.trim_end_matches('/').to_string();
                        return server;
                    }
                    seen.push(line);
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if let Ok(Some(status)) = server.child.try_wait() {
                        panic!("fedcheck serve exited with {status} before listening: {seen:?}");
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        panic!("fedcheck serve did not print its address within 60 s: {seen:?}");
    }

    pub fn acs(&self) -> String {
        format!("{}/login.srf", self.base)
    }

    /// Waits (bounded) for the process to exit; returns its exit code.
    pub fn wait_exit(&mut self, within: Duration) -> Option<i32> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Ok(Some(s)) = self.child.try_wait() {
                return s.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

pub fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client")
}

fn read(path: &str) -> Vec<u8> {
    std::fs::read(common::testdata().join(path)).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

/// The form an IdP posts for a fixture: SAML-P `SAMLResponse` (base64), WS-Fed `wa` + `wresult` + `wctx`.
fn form_for(path: &str, wctx: Option<&str>) -> String {
    let xml = read(path);
    let mut f = form_urlencoded::Serializer::new(String::new());
    if path.starts_with("wsfed/") {
        f.append_pair("wa", "wsignin1.0");
        f.append_pair("wresult", std::str::from_utf8(&xml).expect("utf-8"));
        if let Some(c) = wctx {
            f.append_pair("wctx", c);
        }
    } else {
        f.append_pair("SAMLResponse", &base64::engine::general_purpose::STANDARD.encode(&xml));
    }
    f.finish()
}

fn post(c: &reqwest::blocking::Client, url: &str, body: String, json: bool) -> (u16, String) {
    let mut req = c
        .post(url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body);
    if json {
        req = req.header("Accept", "application/json");
    }
    let r = req.send().expect("post");
    let status = r.status().as_u16();
    (status, r.text().expect("body"))
}

fn post_json(c: &reqwest::blocking::Client, url: &str, body: String) -> (u16, Value) {
    let (status, text) = post(c, url, body, true);
    let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, v)
}

fn check_status<'a>(token: &'a Value, id: &str) -> Option<&'a str> {
    token["checks"]
        .as_array()?
        .iter()
        .find(|c| c["id"] == id)
        .and_then(|c| c["status"].as_str())
}

const TRUST: [&str; 6] = [
    "--idp-cert",
    "keys/idp-signing.crt",
    "--expect-issuer",
    ISSUER,
    "--at",
    AT,
];
const FIXTURE_REQUEST: &str = "_5f0c1d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f";

#[test]
fn posted_fixtures_are_judged_exactly_like_check() {
    let server = Server::start(&TRUST);
    let c = client();
    let fixtures = [
        "saml2/mfa-sha256.xml",
        "saml2/password-sha256.xml",
        "saml2/mfa-untrusted.xml",
        "saml2/tampered-classref.xml",
        "saml2/wrapped-evil-assertion.xml",
        "wsfed/mfa-authmethod-sha256.xml",
        "wsfed/attr-authnmethodsreferences.xml",
        "wsfed/password.xml",
        "wsfed/otp-nearmiss.xml",
    ];
    for f in fixtures {
        let (status, served) = post_json(&c, &server.acs(), form_for(f, None));
        assert_eq!(status, 200, "{f}: {served}");
        let mut args: Vec<&str> = vec!["check", f, "--format", "json"];
        args.extend(TRUST);
        let checked = common::run(&args).json();
        let st = &served["tokens"][0];
        let ct = &checked["tokens"][0];
        // Every check `check` makes, the same status and message; the server adds only serve.* checks.
        let served_checks: Vec<&Value> = st["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| !c["id"].as_str().unwrap().starts_with("serve."))
            .collect();
        let checked_checks: Vec<&Value> = ct["checks"].as_array().unwrap().iter().collect();
        assert_eq!(served_checks, checked_checks, "{f}: checks differ");
        for key in ["verdict", "mfa", "claims", "signature", "protocol", "envelope"] {
            assert_eq!(st[key], ct[key], "{f}: {key} differs");
        }
        assert_eq!(served["verdict"], checked["verdict"], "{f}");
        assert_eq!(served["evaluated_at"], AT);
        assert_eq!(st["source"]["input"], "POST /login.srf");
        // No request was sent: judged anyway, flagged unsolicited.
        assert_eq!(served["serve"]["unsolicited"], true, "{f}");
        assert_eq!(check_status(st, "serve.correlation"), Some("warn"), "{f}");
        assert_eq!(served["serve"]["acs_url"], server.acs());
    }
}

#[test]
fn in_response_to_is_matched_and_a_replay_is_refused() {
    let server = Server::start(&[&TRUST[..], &["--expect-request-id", FIXTURE_REQUEST]].concat());
    let c = client();
    let (status, first) = post_json(&c, &server.acs(), form_for("saml2/mfa-sha256.xml", None));
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["verdict"], "pass", "{first}");
    assert_eq!(first["serve"]["unsolicited"], false);
    assert_eq!(first["serve"]["in_response_to"], FIXTURE_REQUEST);
    assert_eq!(check_status(&first["tokens"][0], "serve.correlation"), Some("pass"));
    assert_eq!(check_status(&first["tokens"][0], "serve.replay"), Some("pass"));

    // The same assertion again: refused (409) and failed; the request was already answered, so unsolicited too.
    let (status, second) = post_json(&c, &server.acs(), form_for("saml2/mfa-sha256.xml", None));
    assert_eq!(status, 409, "{second}");
    assert_eq!(second["verdict"], "fail");
    assert_eq!(second["serve"]["replay"], true);
    assert_eq!(second["serve"]["unsolicited"], true);
    assert_eq!(check_status(&second["tokens"][0], "serve.replay"), Some("fail"));
    let replay = second["tokens"][0]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "serve.replay")
        .unwrap();
    assert!(replay["message"].as_str().unwrap().contains("_a0001"), "{replay}");

    // The HTML answer for a replay says so too.
    let (status, html) = post(&c, &server.acs(), form_for("saml2/mfa-sha256.xml", None), false);
    assert_eq!(status, 409);
    assert!(html.contains("data-verdict=\"fail\""), "{html}");
    assert!(html.contains("id=\"replay\""));
}

#[test]
fn start_links_send_entras_requests_and_answers_are_correlated() {
    let server = Server::start(&[&TRUST[..], &["--idp-url", "https://sts.contoso.test/adfs/ls/"]].concat());
    let c = client();

    let page = c.get(format!("{}/", server.base)).send().unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let page = page.text().unwrap();
    assert!(
        page.contains("href=\"/start/wsfed\"") && page.contains("href=\"/start/saml\""),
        "{page}"
    );

    // WS-Federation: a 302 to the IdP with Entra's parameters and a fresh wctx.
    let r = c.get(format!("{}/start/wsfed", server.base)).send().unwrap();
    assert_eq!(r.status().as_u16(), 302);
    let loc = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(loc.host_str(), Some("sts.contoso.test"));
    assert_eq!(loc.path(), "/adfs/ls/");
    let q: HashMap<String, String> = loc.query_pairs().into_owned().collect();
    assert_eq!(q["wa"], "wsignin1.0");
    assert_eq!(q["wtrealm"], "urn:federation:MicrosoftOnline");
    assert_eq!(q["wauth"], "http://schemas.microsoft.com/claims/multipleauthn");
    assert_eq!(q["wreply"], server.acs());
    let wctx = q["wctx"].clone();
    assert!(wctx.len() > 16);

    let (status, v) = post_json(
        &c,
        &server.acs(),
        form_for("wsfed/mfa-authmethod-sha256.xml", Some(&wctx)),
    );
    assert_eq!(status, 200);
    assert_eq!(v["verdict"], "pass", "{v}");
    assert_eq!(v["serve"]["unsolicited"], false);
    assert_eq!(v["serve"]["in_response_to"], wctx.as_str());
    assert_eq!(check_status(&v["tokens"][0], "serve.correlation"), Some("pass"));

    // A wctx answers once: another token with the same wctx is unsolicited.
    let (_, v) = post_json(&c, &server.acs(), form_for("wsfed/mfa-signxml.xml", Some(&wctx)));
    assert_eq!(v["serve"]["unsolicited"], true, "{v}");
    assert_eq!(check_status(&v["tokens"][0], "serve.correlation"), Some("warn"));

    // SAML-P: the HTTP-POST binding, as Entra sends its AuthnRequest: a page whose form posts SAMLRequest to the IdP.
    let r = c.get(format!("{}/start/saml", server.base)).send().unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let csp = r.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("form-action https://sts.contoso.test"), "{csp}");
    assert!(csp.contains("script-src 'nonce-"), "{csp}");
    let page = r.text().unwrap();
    assert!(
        page.contains("method=\"POST\" action=\"https://sts.contoso.test/adfs/ls/\""),
        "{page}"
    );
    let xml = saml_request_of(&page);
    for want in [
        "<samlp:AuthnRequest ",
        "AssertionConsumerServiceIndex=\"0\"",
        ">urn:federation:MicrosoftOnline</saml:Issuer>",
        "<samlp:NameIDPolicy Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:persistent\"/>",
    ] {
        assert!(xml.contains(want), "AuthnRequest lacks {want}: {xml}");
    }
    // Microsoft's documented request asks for no authentication context and is unsigned unless the domain says so.
    assert!(!xml.contains("RequestedAuthnContext"), "{xml}");
    assert!(!xml.contains("Signature"), "{xml}");
    let id = xml
        .split("ID=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    assert!(id.starts_with('_'));
    let snap = xml
        .replace(&id, "[ID]")
        .split("IssueInstant=\"")
        .enumerate()
        .map(|(i, s)| {
            if i == 0 {
                s.to_string()
            } else {
                format!("[INSTANT]{}", &s[s.find('"').unwrap()..])
            }
        })
        .collect::<Vec<_>>()
        .join("IssueInstant=\"");
    insta::with_settings!({
        snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"),
        prepend_module_to_snapshot => false,
    }, {
        insta::assert_snapshot!("serve__authn-request", snap);
    });
    drop(server);
    // Unsigned: no certificate to publish.
    let server = Server::start(&[&TRUST[..], &["--idp-url", "https://sts.contoso.test/adfs/ls/"]].concat());
    let r = c.get(format!("{}/request-signing.crt", server.base)).send().unwrap();
    assert_eq!(r.status().as_u16(), 404);
}

/// The AuthnRequest in a start page's HTTP-POST form (base64 of the XML).
fn saml_request_of(page: &str) -> String {
    let b64 = page
        .split("name=\"SAMLRequest\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("SAMLRequest field");
    let raw = base64::engine::general_purpose::STANDARD.decode(b64).expect("base64");
    String::from_utf8(raw).expect("UTF-8 XML")
}

#[test]
fn authn_requests_are_signed_when_the_domain_requires_it() {
    // The domain's settings with isSignedAuthenticationRequestRequired = true.
    let raw = std::fs::read_to_string(common::testdata().join("entra/graph-accept-saml.json")).unwrap();
    let mut v: Value = serde_json::from_str(&raw).unwrap();
    v["value"][0]["isSignedAuthenticationRequestRequired"] = Value::Bool(true);
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("signed.json");
    std::fs::write(&cfg, v.to_string()).unwrap();
    let server = Server::start(&[
        "--federation-config",
        cfg.to_str().unwrap(),
        "--idp-url",
        "https://sts.contoso.test/adfs/ls/",
    ]);
    let c = client();
    let page = c
        .get(format!("{}/start/saml", server.base))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let xml = saml_request_of(&page);
    assert!(xml.contains("http://www.w3.org/2000/09/xmldsig#rsa-sha1"), "{xml}");
    assert!(xml.contains("<ds:KeyName>MicrosoftOnline</ds:KeyName>"), "{xml}");
    assert!(
        xml.contains("Destination=\"https://sts.contoso.test/adfs/ls/\""),
        "{xml}"
    );
    // The published certificate verifies it (libxmlsec1 through samael, not fedcheck's own verifier).
    let pem = c
        .get(format!("{}/request-signing.crt", server.base))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let cert = openssl::x509::X509::from_pem(pem.as_bytes()).expect("PEM certificate");
    use samael::crypto::{CertificateDer, CryptoProvider, XmlSec};
    let der = CertificateDer::from(cert.to_der().unwrap());
    XmlSec::verify_signed_xml(xml.as_bytes(), &der, Some("ID")).expect("the signature verifies");
    let tampered = xml.replace("urn:federation:MicrosoftOnline", "urn:federation:Other");
    assert!(XmlSec::verify_signed_xml(tampered.as_bytes(), &der, Some("ID")).is_err());
}

#[test]
fn metadata_sign_in_url_is_used_and_missing_one_disables_the_links() {
    let server = Server::start(&["--metadata", "metadata/wsfed-federationmetadata.xml", "--at", AT]);
    let c = client();
    let r = c.get(format!("{}/start/wsfed", server.base)).send().unwrap();
    assert_eq!(r.status().as_u16(), 302);
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("https://sts.contoso.test/adfs/ls/?wa=wsignin1.0"));
    drop(server);

    let server = Server::start(&TRUST);
    let r = c.get(format!("{}/start/saml", server.base)).send().unwrap();
    assert_eq!(r.status().as_u16(), 503);
    assert!(r.text().unwrap().contains("--idp-url"));
}

#[test]
fn attacker_controlled_values_are_escaped() {
    let server = Server::start(&TRUST);
    let c = client();
    // An unsigned assertion whose values are markup: shown (as UNVERIFIED claims), never as markup.
    let evil = "<saml:Assertion xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_x&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\" Version=\"2.0\" IssueInstant=\"2026-01-15T10:00:00Z\">\
<saml:Issuer>&lt;script&gt;alert(2)&lt;/script&gt;</saml:Issuer>\
<saml:Subject><saml:NameID>&lt;img src=x onerror=alert(3)&gt;</saml:NameID></saml:Subject></saml:Assertion>";
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("SAMLResponse", &base64::engine::general_purpose::STANDARD.encode(evil))
        .finish();
    let (status, html) = post(&c, &server.acs(), body, false);
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("data-verdict=\"fail\""), "{html}");
    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(2)&lt;/script&gt;"), "{html}");
    assert!(html.contains("&lt;img src=x onerror=alert(3)&gt;"), "{html}");
    // A wctx is echoed in the correlation line: escaped too.
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("wa", "wsignin1.0")
        .append_pair("wresult", std::str::from_utf8(&read("wsfed/password.xml")).unwrap())
        .append_pair("wctx", "\"><script>alert(4)</script>")
        .finish();
    let (_, html) = post(&c, &server.acs(), body, false);
    assert!(!html.contains("<script"), "{html}");
    assert!(html.contains("&quot;&gt;&lt;script&gt;alert(4)&lt;/script&gt;"));
}

#[test]
fn bad_requests_get_short_answers_without_internals() {
    let server = Server::start(&[&TRUST[..], &["--max-body", "64k"]].concat());
    let c = client();
    let big = format!("SAMLResponse={}", "A".repeat(100 * 1024));
    let (status, html) = post(&c, &server.acs(), big, false);
    assert_eq!(status, 413, "{html}");
    assert!(html.contains("65536-byte limit"), "{html}");
    let (status, v) = post_json(&c, &server.acs(), format!("SAMLResponse={}", "A".repeat(100 * 1024)));
    assert_eq!(status, 413);
    assert_eq!(v["verdict"], "error");

    let (status, html) = post(&c, &server.acs(), "foo=bar".into(), false);
    assert_eq!(status, 400);
    assert!(html.contains("no SAMLResponse or wresult"), "{html}");
    let (status, html) = post(&c, &server.acs(), "SAMLResponse=%%%not-base64".into(), false);
    assert_eq!(status, 400, "{html}");

    assert_eq!(c.get(server.acs()).send().unwrap().status().as_u16(), 405);
    assert_eq!(
        c.get(format!("{}/nope", server.base)).send().unwrap().status().as_u16(),
        404
    );
    // Nothing the server said contains a panic or a backtrace.
    let mut all = String::new();
    while let Ok(l) = server.output.try_recv() {
        all.push_str(&l);
        all.push('\n');
    }
    assert!(!all.contains("panicked") && !all.contains("backtrace"), "{all}");
}

#[test]
fn a_request_that_stalls_is_cut_off() {
    let server = Server::start(&[&TRUST[..], &["--request-timeout", "1"]].concat());
    let addr = server.base.trim_start_matches("http://").to_string();
    let mut s = TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    // Headers announce a body that never comes.
    write!(
        s,
        "POST /login.srf HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nSAMLResponse="
    )
    .unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 512];
    let n = s.read(&mut buf).unwrap_or(0);
    let head = String::from_utf8_lossy(&buf[..n]);
    assert!(head.starts_with("HTTP/1.1 503"), "{head}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn ctrl_c_stops_the_server_gracefully() {
    let mut server = Server::start(&TRUST);
    // SIGINT, as Ctrl-C in a terminal sends.
    let rc = unsafe { libc::kill(server.pid() as libc::pid_t, libc::SIGINT) };
    assert_eq!(rc, 0);
    let code = server.wait_exit(Duration::from_secs(15));
    assert_eq!(code, Some(0), "fedcheck serve did not exit 0 within 15 s of SIGINT");
    let mut all = Vec::new();
    while let Ok(l) = server.output.recv_timeout(Duration::from_millis(200)) {
        all.push(l);
    }
    assert!(all.iter().any(|l| l.contains("fedcheck serve: stopped")), "{all:?}");
}

#[test]
fn bad_listen_addresses_and_urls_are_refused() {
    let out = common::run(&["serve", "--listen", "localhost", "--idp-cert", "keys/idp-signing.crt"]);
    assert_eq!(out.code, 2, "{}", out.describe());
    assert!(out.stderr.contains("--listen"), "{}", out.describe());
    let out = common::run(&["serve", "--idp-url", "ftp://x", "--listen", "127.0.0.1:0"]);
    assert_eq!(out.code, 2, "{}", out.describe());
    assert!(out.stderr.contains("--idp-url"), "{}", out.describe());
}

#[test]
fn out_writes_an_evidence_bundle_per_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap().to_string();
    let server = Server::start(&[&TRUST[..], &["--out", &out]].concat());
    let c = client();
    let mut written = Vec::new();
    for f in ["saml2/mfa-sha256.xml", "wsfed/password.xml"] {
        let (status, v) = post_json(&c, &server.acs(), form_for(f, None));
        assert_eq!(status, 200, "{v}");
        let b = v["serve"]["bundle"].as_str().expect("bundle path").to_string();
        assert!(b.starts_with(&out), "{b}");
        assert!(std::path::Path::new(&b).join("manifest.json").is_file(), "{b}");
        let report = std::fs::read_to_string(std::path::Path::new(&b).join("report.json")).unwrap();
        assert!(
            report.contains("serve.correlation"),
            "the bundle holds the server's judgement"
        );
        assert!(!report.contains("alice@contoso.test"), "personal values are redacted");
        written.push(b);
    }
    assert_ne!(written[0], written[1]);
    let verify = common::run(&["verify-bundle", &written[0]]);
    assert_eq!(verify.code, 0, "{}", verify.describe());
    // A missing --out folder is refused before listening.
    let out = common::run(&["serve", "--listen", "127.0.0.1:0", "--out", "/nonexistent/fedcheck"]);
    assert_eq!(out.code, 2, "{}", out.describe());
}

#[test]
fn tokens_addressed_to_the_stand_in_and_its_test_realm_are_accepted_with_a_note() {
    // The fixtures' "wrong" Recipient/Destination and audience play the stand-in's ACS and a test relying party.
    let server = Server::start(
        &[
            &TRUST[..],
            &[
                "--acs-url",
                "https://evil.example/acs",
                "--realm",
                "https://wrong.example",
            ],
        ]
        .concat(),
    );
    let c = client();
    let (_, v) = post_json(
        &c,
        &format!("{}/login.srf", server.base),
        form_for("saml2/wrong-recipient.xml", None),
    );
    let t = &v["tokens"][0];
    assert_eq!(check_status(t, "subject.confirmation"), Some("info"), "{v}");
    assert_eq!(check_status(t, "response.destination"), Some("info"), "{v}");
    assert_eq!(v["verdict"], "pass", "{v}");
    assert_eq!(v["serve"]["acs_url"], "https://evil.example/acs");
    let (_, v) = post_json(
        &c,
        &format!("{}/login.srf", server.base),
        form_for("saml2/wrong-audience.xml", None),
    );
    let t = &v["tokens"][0];
    assert_eq!(check_status(t, "audience"), Some("info"), "{v}");
    assert!(t["checks"]
        .to_string()
        .contains("for Entra it must be urn:federation:MicrosoftOnline"));
    assert_eq!(v["verdict"], "pass", "{v}");

    // Without those options the same tokens fail, as with check.
    let plain = Server::start(&TRUST);
    for f in ["saml2/wrong-recipient.xml", "saml2/wrong-audience.xml"] {
        let (_, v) = post_json(&c, &plain.acs(), form_for(f, None));
        assert_eq!(v["verdict"], "fail", "{f}: {v}");
    }
}
