//! Shared helpers for fedcheck's integration tests: run the built binary inside `testdata/` (so every path in a
//! report is relative and snapshots are stable) and read the fixture manifest.
#![allow(dead_code)]

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The instant at which every fixture is valid.
pub const AT: &str = "2026-01-15T10:05:00Z";
/// The issuer every fixture carries.
pub const ISSUER: &str = "http://sts.contoso.test/adfs/services/trust";
/// Entra's MFA claim value.
pub const MULTIPLEAUTHN: &str = "http://schemas.microsoft.com/claims/multipleauthn";

pub fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

/// The result of one run of the binary.
#[derive(Debug)]
pub struct Out {
    pub args: Vec<String>,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    /// Parses stdout as the JSON report; panics with the full output when it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout of `fedcheck {}` is not JSON ({e}):\n{}\nstderr:\n{}",
                self.args.join(" "),
                self.stdout,
                self.stderr
            )
        })
    }

    /// A short description for assertion messages.
    pub fn describe(&self) -> String {
        format!(
            "`fedcheck {}` exited {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.args.join(" "),
            self.code,
            truncate(&self.stdout, 4000),
            truncate(&self.stderr, 4000)
        )
    }

    /// stderr without the lines libxmlsec1 prints itself (`func=...`), i.e. what fedcheck wrote.
    pub fn fedcheck_stderr_lines(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with("func="))
            .collect()
    }
}

fn truncate(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// A command for the binary, run in `testdata/`.
pub fn command<S: AsRef<str>>(args: &[S]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fedcheck"));
    cmd.current_dir(testdata());
    cmd.args(args.iter().map(|a| a.as_ref()));
    cmd.env_remove("NO_COLOR");
    cmd
}

/// Runs the binary with `args` in `testdata/`, stdin closed.
pub fn run<S: AsRef<str>>(args: &[S]) -> Out {
    run_cmd(command(args), args, None)
}

/// Runs the binary with `args` in `testdata/`, feeding `input` on stdin.
pub fn run_stdin<S: AsRef<str>>(args: &[S], input: &[u8]) -> Out {
    run_cmd(command(args), args, Some(input))
}

pub fn run_cmd<S: AsRef<str>>(mut cmd: Command, args: &[S], input: Option<&[u8]>) -> Out {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() });
    let mut child = cmd.spawn().expect("spawn fedcheck");
    if let Some(input) = input {
        let mut stdin = child.stdin.take().expect("stdin");
        let data = input.to_vec();
        // Write from a thread so a large input cannot deadlock against a full stdout pipe.
        std::thread::spawn(move || {
            let _ = stdin.write_all(&data);
        });
    }
    let o = child.wait_with_output().expect("wait for fedcheck");
    Out {
        args: args.iter().map(|a| a.as_ref().to_string()).collect(),
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// One entry of testdata/manifest.json.
#[derive(Debug, Clone)]
pub struct Entry {
    pub path: String,
    pub protocol: Option<String>,
    pub expect_verdict: String,
    pub trust: Vec<String>,
    pub raw: Value,
}

pub fn manifest() -> Vec<Entry> {
    let text = std::fs::read_to_string(testdata().join("manifest.json")).expect("read manifest.json");
    let v: Value = serde_json::from_str(&text).expect("manifest.json is JSON");
    let entries = v.as_array().expect("manifest is an array");
    assert!(!entries.is_empty(), "manifest is empty");
    entries
        .iter()
        .map(|e| Entry {
            path: e["path"].as_str().expect("path").to_string(),
            protocol: e["protocol"].as_str().map(str::to_string),
            expect_verdict: e["expect_verdict"].as_str().expect("expect_verdict").to_string(),
            trust: e["trust"]
                .as_array()
                .expect("trust")
                .iter()
                .map(|t| t.as_str().expect("trust path").to_string())
                .collect(),
            raw: e.clone(),
        })
        .collect()
}

/// `check <path> --idp-cert <trust>... --at AT --expect-issuer ISSUER --format json` plus `extra`.
pub fn fixture_args(e: &Entry, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["check".to_string(), e.path.clone()];
    for t in &e.trust {
        args.push("--idp-cert".into());
        args.push(t.clone());
    }
    for a in ["--at", AT, "--expect-issuer", ISSUER, "--format", "json"] {
        args.push(a.into());
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// The exit code the contract gives a verdict.
pub fn exit_code_for(verdict: &str) -> i32 {
    match verdict {
        "pass" => 0,
        "fail" => 1,
        "error" => 2,
        other => panic!("unknown verdict {other}"),
    }
}

/// Finds a check by id in a token report.
pub fn find_check<'a>(token: &'a Value, id: &str) -> Option<&'a Value> {
    token["checks"].as_array()?.iter().find(|c| c["id"] == id)
}

/// Snapshot name for a fixture path: `saml2/mfa-sha256.xml` -> `saml2__mfa-sha256`.
pub fn snapshot_name(path: &str) -> String {
    let stem = match path.rfind('.') {
        Some(i) if i > path.rfind('/').map_or(0, |s| s + 1) => &path[..i],
        _ => path,
    };
    stem.replace('/', "__")
}

/// Replaces what may legitimately change between builds (the tool version) before a snapshot.
pub fn stabilize(mut report: Value) -> Value {
    report["tool"]["version"] = Value::String("[version]".into());
    report
}

/// Runs the binary off the async runtime (for tests that serve HTTP with wiremock), with the time it took.
pub async fn run_blocking(args: Vec<String>) -> (Out, std::time::Duration) {
    tokio::task::spawn_blocking(move || {
        let start = std::time::Instant::now();
        let out = run(&args);
        (out, start.elapsed())
    })
    .await
    .expect("join the blocking run")
}
