//! `fedcheck serve` in a real browser: headless Chromium opens a start link, follows the real 302 to a stub IdP
//! (wiremock) whose page auto-submits a fixture token back to the server's `/login.srf` (the `wreply`, or the
//! AuthnRequest's `AssertionConsumerServiceURL`), and the DOM Chromium ends on must show the verdict.
//!
//! Chromium is Debian's `chromium` (`scripts/deps.sh` installs it). Without it the test prints a note and
//! passes, except when `CI` is set, where it is required. The server and Chromium are killed when done, and
//! every wait is bounded.

mod common;

use base64::Engine as _;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser"] {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// A running `fedcheck serve`; killed on drop.
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

fn start_server(idp_url: &str) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fedcheck"))
        .current_dir(common::testdata())
        .args(["serve", "--listen", "127.0.0.1:0", "--idp-url", idp_url])
        .args([
            "--idp-cert",
            "keys/idp-signing.crt",
            "--expect-issuer",
            common::ISSUER,
            "--at",
            common::AT,
        ])
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
    let mut server = Server {
        child,
        base: String::new(),
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            if let Some(rest) = line.strip_prefix("fedcheck serve: listening on ") {
                server.base = rest.trim_end_matches('/').to_string();
                return server;
            }
        }
    }
    panic!("fedcheck serve did not start within 60 s");
}

/// The stub IdP: answers a WS-Fed `wsignin1.0` (to its `wreply`) or a SAML-P `SAMLRequest` posted by the HTTP-POST
/// binding (to the relying party's configured ACS, `acs`: Entra's AuthnRequest names none) with the auto-post page
/// an IdP sends, carrying a fixture token.
struct StubIdp {
    acs: String,
}

fn attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn auto_post(action: &str, fields: &[(&str, String)]) -> String {
    let inputs: String = fields
        .iter()
        .map(|(k, v)| format!("<input type=\"hidden\" name=\"{k}\" value=\"{}\"/>", attr(v)))
        .collect();
    format!(
        "<!DOCTYPE html><html><head><title>Working...</title></head>\
<body onload=\"document.forms[0].submit()\"><form method=\"POST\" action=\"{}\">{inputs}\
<noscript><button type=\"submit\">Continue</button></noscript></form></body></html>",
        attr(action)
    )
}

impl Respond for StubIdp {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let q: std::collections::HashMap<String, String> = req.url.query_pairs().into_owned().collect();
        let td = common::testdata();
        let page = if q.get("wa").map(String::as_str) == Some("wsignin1.0") {
            let wresult = std::fs::read_to_string(td.join("wsfed/mfa-authmethod-sha256.xml")).unwrap();
            auto_post(
                &q["wreply"],
                &[
                    ("wa", "wsignin1.0".into()),
                    ("wresult", wresult),
                    ("wctx", q["wctx"].clone()),
                ],
            )
        } else if let Some(req) = form_urlencoded::parse(&req.body)
            .find(|(k, _)| k == "SAMLRequest")
            .map(|(_, v)| v.into_owned())
        {
            let raw = base64::engine::general_purpose::STANDARD.decode(req).unwrap();
            let xml = String::from_utf8(raw).unwrap();
            assert!(xml.contains("<samlp:AuthnRequest "), "{xml}");
            let response = std::fs::read(td.join("saml2/mfa-sha256.xml")).unwrap();
            auto_post(
                &self.acs,
                &[(
                    "SAMLResponse",
                    base64::engine::general_purpose::STANDARD.encode(response),
                )],
            )
        } else {
            return ResponseTemplate::new(400);
        };
        ResponseTemplate::new(200).set_body_raw(page, "text/html; charset=utf-8")
    }
}

/// Loads `url` in headless Chromium and returns the final DOM; killed after 90 s.
fn dump_dom(chromium: &PathBuf, url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--virtual-time-budget=10000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(["--dump-dom", url])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn chromium");
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            _ if Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("chromium did not finish within 90 s");
            }
            _ => std::thread::sleep(Duration::from_millis(100)),
        }
    }
    reader.join().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_sign_in_through_a_stub_idp_shows_the_verdict() {
    let Some(chromium) = chromium() else {
        if std::env::var_os("CI").is_some() {
            panic!("chromium is required under CI (scripts/deps.sh installs Debian's chromium)");
        }
        eprintln!("note: chromium not found; skipping the browser test (apt-get install chromium)");
        return;
    };
    let idp = MockServer::start().await;
    let idp_url = format!("{}/adfs/ls/", idp.uri());
    let server = start_server(&idp_url);
    let base = server.base.clone();
    let acs = format!("{base}/login.srf");
    for m in ["GET", "POST"] {
        Mock::given(method(m))
            .and(path("/adfs/ls/"))
            .respond_with(StubIdp { acs: acs.clone() })
            .mount(&idp)
            .await;
    }

    let (wsfed, saml) = tokio::task::spawn_blocking(move || {
        let wsfed = dump_dom(&chromium, &format!("{base}/start/wsfed"));
        let saml = dump_dom(&chromium, &format!("{base}/start/saml"));
        (wsfed, saml)
    })
    .await
    .unwrap();

    // WS-Federation: the stub echoed wctx, so the post answers the server's own request.
    assert!(wsfed.contains("data-verdict=\"pass\""), "WS-Fed DOM:\n{wsfed}");
    assert!(wsfed.contains("WS-Federation (SAML 1.1)"), "{wsfed}");
    assert!(wsfed.contains("data-unsolicited=\"false\""), "{wsfed}");
    assert!(
        wsfed.contains("data-check=\"serve.correlation\" data-status=\"pass\""),
        "{wsfed}"
    );
    assert!(
        wsfed.contains("data-check=\"mfa.signal\" data-status=\"pass\""),
        "{wsfed}"
    );

    // SAML-P: posted to the AuthnRequest's AssertionConsumerServiceURL; the fixture answers another request ID,
    // so it is judged and flagged unsolicited.
    assert!(saml.contains("data-verdict=\"pass\""), "SAML-P DOM:\n{saml}");
    assert!(saml.contains("SAML-P (SAML 2.0)"), "{saml}");
    assert!(saml.contains("data-unsolicited=\"true\""), "{saml}");

    // The stub IdP really was visited, once per start link.
    let requests = idp.received_requests().await.unwrap();
    let sign_ins: Vec<_> = requests.iter().filter(|r| r.url.path() == "/adfs/ls/").collect();
    assert_eq!(sign_ins.len(), 2, "{sign_ins:?}");
    assert!(sign_ins[0].url.query().unwrap_or("").starts_with("wa=wsignin1.0&"));
    // SAML-P: the AuthnRequest arrived by the HTTP-POST binding, as Entra sends it.
    assert_eq!(sign_ins[1].method.as_str(), "POST");
    assert!(String::from_utf8_lossy(&sign_ins[1].body).starts_with("SAMLRequest="));
    drop(server);
}
