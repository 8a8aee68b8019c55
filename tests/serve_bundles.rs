//! `fedcheck serve --out` under concurrency: every genuine sign-in that is judged gets its evidence bundle, even
//! when many are posted at once into one folder (each write's temporary and probe names are its own), and every
//! bundle written verifies. The server runs on an ephemeral loopback port and is killed when its guard drops.

mod common;

use base64::Engine as _;
use common::{AT, ISSUER};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
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

fn saml_form(xml: &[u8]) -> String {
    let mut f = form_urlencoded::Serializer::new(String::new());
    f.append_pair("SAMLResponse", &base64::engine::general_purpose::STANDARD.encode(xml));
    f.finish()
}

/// The issue's case: 80 genuine sign-ins posted 16 at a time to `serve --out` (49 to 68 bundles were written,
/// the rest answered "cannot write in DIR: File exists"). Every post must name its own bundle, and each bundle
/// must be there and verify.
#[test]
fn eighty_concurrent_sign_ins_all_get_their_bundle() {
    const POSTS: usize = 80;
    const AT_ONCE: usize = 16;
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().to_str().expect("utf-8").to_string();
    let server = start(&["--out", &out, "--max-bundles", "100"]);
    let acs = format!("{}/login.srf", server.base);
    let body = saml_form(&std::fs::read(common::testdata().join("saml2/mfa-sha256.xml")).expect("fixture"));
    let results: Arc<Mutex<Vec<(u16, String)>>> = Arc::default();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let workers: Vec<_> = (0..AT_ONCE)
        .map(|_| {
            let (acs, body, results, next) = (acs.clone(), body.clone(), results.clone(), next.clone());
            std::thread::spawn(move || {
                let c = reqwest::blocking::Client::builder()
                    .timeout(Duration::from_secs(120))
                    .build()
                    .expect("client");
                while next.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < POSTS {
                    let r = c
                        .post(&acs)
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .header("Accept", "application/json")
                        .body(body.clone())
                        .send()
                        .expect("post");
                    let status = r.status().as_u16();
                    let v: Value = serde_json::from_str(&r.text().expect("body")).unwrap_or(Value::Null);
                    let bundle = v["serve"]["bundle"].as_str().unwrap_or("(no bundle field)").to_string();
                    results.lock().expect("lock").push((status, bundle));
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("worker");
    }
    let results = results.lock().expect("lock").clone();
    assert_eq!(results.len(), POSTS);
    let lost: Vec<&(u16, String)> = results.iter().filter(|(_, b)| !b.starts_with(&out)).collect();
    assert!(
        lost.is_empty(),
        "{} of {POSTS} sign-ins got no bundle, e.g. {:?}",
        lost.len(),
        lost.first()
    );
    let mut names: Vec<&String> = results.iter().map(|(_, b)| b).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), POSTS, "two posts named the same bundle");
    for (status, bundle) in &results {
        assert!(matches!(status, 200 | 409), "status {status}");
        let v = common::run(&["verify-bundle", bundle.as_str()]);
        assert_eq!(v.code, 0, "{}", v.describe());
        let zip = format!("{bundle}.zip");
        assert!(std::path::Path::new(&zip).is_file(), "{zip} missing");
    }
    // Nothing temporary is left behind: only the 80 folders and their zips (and captures/, the raw tokens serve
    // keeps beside the bundles: one per sign-in).
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n != "captures")
        .collect();
    let captures = std::fs::read_dir(dir.path().join("captures"))
        .expect("captures/")
        .count();
    assert_eq!(captures, POSTS, "one raw capture per sign-in");
    assert_eq!(names.len(), 2 * POSTS, "{names:?}");
    assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");
}
