//! Many tokens (issue 14): `--format ndjson` (the JSON contract's token elements, one per line, in input order, then
//! a summary line), `--jobs` (the same output whatever the number), `--input-format lines` (stdin streamed, the
//! `parallel --pipe` / Spark `RDD.pipe` form), directories without a cap on files, and the progress bar (only on a
//! terminal). These assert behaviour; speed is measured by `cargo bench` and scripts/bench-scale.sh, not here.

mod common;

use base64::Engine as _;
use common::{run, run_cmd, run_stdin, testdata, Out, AT};
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

const CERT: &str = "keys/idp-signing.crt";

fn args(inputs: &[&str], extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = vec!["check".into()];
    a.extend(inputs.iter().map(|s| s.to_string()));
    a.extend(["--idp-cert", CERT, "--at", AT].map(String::from));
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

/// Parses NDJSON output: every line one JSON object.
fn lines(out: &Out) -> Vec<Value> {
    assert!(out.stdout.ends_with('\n'), "{}", out.describe());
    out.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}\n{}", out.describe())))
        .collect()
}

/// The NDJSON lines' parts: token objects, input errors, and the summary (which must be last and only once).
fn split(all: &[Value]) -> (Vec<&Value>, Vec<&Value>, &Value) {
    let (last, body) = all.split_last().expect("at least the summary line");
    assert!(last.get("summary").is_some(), "the last line is the summary: {last}");
    let mut tokens = Vec::new();
    let mut errors = Vec::new();
    for l in body {
        assert!(l.get("summary").is_none(), "one summary line, last");
        match l.get("input_error") {
            Some(e) => errors.push(e),
            None => {
                assert!(
                    l.get("source").is_some() && l.get("verdict").is_some(),
                    "a token line: {l}"
                );
                tokens.push(l);
            }
        }
    }
    (tokens, errors, last)
}

fn source_names(tokens: &[&Value]) -> Vec<String> {
    tokens
        .iter()
        .map(|t| t["source"]["input"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn ndjson_is_the_json_contract_one_token_per_line_in_input_order_whatever_the_jobs() {
    // Passing, failing and unusable tokens in three directories (both engines), a missing file, and stdin.
    let inputs = ["saml2", "missing.xml", "wsfed", "adversarial"];
    let json = run(&args(&inputs, &["--format", "json", "--jobs", "1"]));
    let report = json.json();
    let nd1 = run(&args(&inputs, &["--format", "ndjson", "--jobs", "1"]));
    let nd4 = run(&args(&inputs, &["--format", "ndjson", "--jobs", "4"]));
    assert_eq!(nd1.stdout, nd4.stdout, "--jobs 4 writes exactly what --jobs 1 writes");
    assert_eq!((nd1.code, nd4.code), (json.code, json.code));

    let all = lines(&nd4);
    let (tokens, errors, summary) = split(&all);
    let expected_tokens = report["tokens"].as_array().unwrap();
    assert!(expected_tokens.len() > 40, "enough tokens to interleave");
    assert_eq!(tokens.len(), expected_tokens.len());
    for (line, expected) in tokens.iter().zip(expected_tokens) {
        assert_eq!(*line, expected, "a token line is the JSON contract's tokens[] element");
    }
    assert_eq!(
        errors.iter().map(|e| (*e).clone()).collect::<Vec<_>>(),
        report["errors"].as_array().unwrap().clone()
    );
    assert_eq!(errors[0]["input"], "missing.xml");
    for key in [
        "summary",
        "verdict",
        "tool",
        "evaluated_at",
        "skew_seconds",
        "engines",
        "trust",
    ] {
        assert_eq!(summary[key], report[key], "summary line member {key}");
    }
    for key in ["tokens", "errors", "chain"] {
        assert!(summary.get(key).is_none(), "no per-run list in the summary line: {key}");
    }
    // Input order: the directories as given, each sorted by file name.
    let names = source_names(&tokens);
    let dirs: Vec<&str> = names.iter().map(|n| n.split('/').next().unwrap()).collect();
    let first = |d: &str| dirs.iter().position(|x| *x == d).unwrap();
    let last = |d: &str| dirs.iter().rposition(|x| *x == d).unwrap();
    assert!(last("saml2") < first("wsfed") && last("wsfed") < first("adversarial"));
    let saml2: Vec<&String> = names.iter().filter(|n| n.starts_with("saml2/")).collect();
    let mut sorted = saml2.clone();
    sorted.sort();
    assert_eq!(saml2, sorted);
}

#[test]
fn json_and_text_do_not_depend_on_the_jobs_either() {
    let inputs = ["saml2", "wsfed"];
    for format in ["json", "text"] {
        let one = run(&args(&inputs, &["--format", format, "--jobs", "1"]));
        let many = run(&args(&inputs, &["--format", format, "--jobs", "3"]));
        assert_eq!(one.stdout, many.stdout, "{format}");
        assert_eq!(one.code, many.code);
    }
}

fn b64(path: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(std::fs::read(testdata().join(path)).unwrap())
}

fn form(field: &str, value: &str) -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair(field, value)
        .append_pair("RelayState", "x")
        .finish()
}

/// One token per line in every single-line carrier, a blank line and a bad line.
fn token_lines() -> String {
    let wsfed_xml = std::fs::read_to_string(testdata().join("wsfed/mfa-authmethod-sha256.xml")).unwrap();
    let har_entry = serde_json::json!({"request": {"method": "POST",
        "url": "https://login.microsoftonline.com/login.srf",
        "postData": {"mimeType": "application/x-www-form-urlencoded",
            "text": form("SAMLResponse", &b64("saml2/mfa-sha256.xml"))}}});
    [
        b64("saml2/mfa-sha256.xml"),
        String::new(),
        form("wresult", &wsfed_xml),
        serde_json::to_string(&form("SAMLResponse", &b64("saml2/password-sha256.xml"))).unwrap(),
        "this is not a token!".to_string(),
        har_entry.to_string(),
    ]
    .join("\n")
        + "\n"
}

#[test]
fn lines_on_stdin_are_judged_one_token_per_line() {
    let out = run_stdin(
        &args(&["-"], &["--input-format", "lines", "--format", "ndjson"]),
        token_lines().as_bytes(),
    );
    assert_eq!(out.code, 2, "a bad line is an unusable input: {}", out.describe());
    let all = lines(&out);
    let (tokens, errors, summary) = split(&all);
    let seen: Vec<(u64, &str, &str)> = tokens
        .iter()
        .map(|t| {
            (
                t["source"]["line"].as_u64().unwrap(),
                t["source"]["carrier"].as_str().unwrap(),
                t["verdict"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (1, "base64", "pass"),
            (3, "form", "pass"),
            (4, "form", "fail"),
            (6, "har", "pass")
        ]
    );
    assert!(tokens.iter().all(|t| t["source"]["input"] == "<stdin>"));
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["input"], "<stdin>");
    assert!(
        errors[0]["message"].as_str().unwrap().starts_with("line 5: "),
        "{}",
        errors[0]
    );
    assert_eq!(
        summary["summary"],
        serde_json::json!({"tokens": 4, "pass": 3, "fail": 1, "error": 0, "unusable_inputs": 1})
    );
    // The same token from a file and from a line: the same verdict, claims and checks.
    let file = run(&args(&["saml2/mfa-sha256.xml"], &["--format", "json"])).json();
    for key in ["verdict", "claims", "checks", "signature"] {
        assert_eq!(tokens[0][key], file["tokens"][0][key], "{key}");
    }
}

#[test]
fn an_overlong_line_is_refused_and_the_next_one_still_read() {
    let input = format!("{}\n{}\n", "A".repeat(20_000), b64("saml2/mfa-sha256.xml"));
    let out = run_stdin(
        &args(
            &["-"],
            &[
                "--input-format",
                "lines",
                "--format",
                "ndjson",
                "--max-input-size",
                "16k",
            ],
        ),
        input.as_bytes(),
    );
    let all = lines(&out);
    let (tokens, errors, _) = split(&all);
    assert_eq!(errors.len(), 1, "{}", out.describe());
    assert!(errors[0]["message"]
        .as_str()
        .unwrap()
        .contains("line 1: input is over the 16384-byte limit"));
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0]["source"]["line"], 2);
}

#[test]
fn each_line_is_written_as_soon_as_it_is_judged() {
    // Stdin stays open after the first line: its result must come out before any more input arrives.
    let mut child = common::command(&args(&["-"], &["--input-format", "lines", "--format", "ndjson"]))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn fedcheck");
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{}", b64("saml2/mfa-sha256.xml")).unwrap();
    stdin.flush().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        while let Some(Ok(l)) = lines.next() {
            let _ = tx.send(l);
        }
    });
    let first = rx.recv_timeout(Duration::from_secs(60));
    drop(stdin);
    let status = child.wait().unwrap();
    reader.join().unwrap();
    let first = first.expect("the first token's line came out while stdin was still open");
    let v: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(v["verdict"], "pass");
    assert_eq!(v["source"]["line"], 1);
    assert_eq!(rx.try_iter().count(), 1, "then only the summary");
    assert_eq!(status.code(), Some(0));
}

/// Whether a command-line tool is on PATH.
fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs `script` (in testdata/, with `{d}` standing for a folder holding `tokens.txt`: 30 lines) and checks that
/// its output, the NDJSON of 4 blocks of 8 lines judged in separate processes, holds the same tokens in the same
/// order as one process judging them all, with the blocks' summaries adding up to the whole run's.
fn blocks_match_the_whole(script: &str) {
    let dir = tempfile::tempdir().unwrap();
    let all: String = (0..5).map(|_| token_lines()).collect();
    std::fs::write(dir.path().join("tokens.txt"), &all).unwrap();
    let whole = run_stdin(
        &args(&["-"], &["--input-format", "lines", "--format", "ndjson"]),
        all.as_bytes(),
    );
    let whole_lines = lines(&whole);
    let (whole_tokens, whole_errors, whole_summary) = split(&whole_lines);
    let script = script.replace("{d}", &dir.path().display().to_string());
    let out = run_cmd(
        {
            let mut c = Command::new("sh");
            c.args(["-c", &script]).current_dir(testdata());
            c
        },
        &["sh"],
        None,
    );
    assert_eq!(out.code, 0, "{}", out.describe());
    let parts: Vec<Value> = out.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let summaries: Vec<&Value> = parts.iter().filter(|l| l.get("summary").is_some()).collect();
    assert_eq!(summaries.len(), 4, "30 lines in blocks of 8");
    let tokens: Vec<&Value> = parts
        .iter()
        .filter(|l| l.get("summary").is_none() && l.get("input_error").is_none())
        .collect();
    assert_eq!(tokens.len(), whole_tokens.len());
    for (a, b) in tokens.iter().zip(&whole_tokens) {
        // Line numbers count within each block; everything else is the same, in the same order.
        let (mut a, mut b) = ((*a).clone(), (*b).clone());
        a["source"]["line"] = Value::Null;
        b["source"]["line"] = Value::Null;
        assert_eq!(a, b);
    }
    let errors = parts.iter().filter(|l| l.get("input_error").is_some()).count();
    assert_eq!(errors, whole_errors.len());
    for key in ["tokens", "pass", "fail", "error", "unusable_inputs"] {
        let sum: u64 = summaries.iter().map(|s| s["summary"][key].as_u64().unwrap()).sum();
        assert_eq!(sum, whole_summary["summary"][key].as_u64().unwrap(), "{key}");
    }
}

/// The README's GNU parallel recipe as written (on this machine: no `-S`). GNU parallel is installed by
/// scripts/deps.sh; under CI its absence fails the test, elsewhere it is skipped with a note.
#[test]
fn the_readme_parallel_recipe_gives_the_same_tokens() {
    if !have("parallel") {
        assert!(
            std::env::var_os("CI").is_none(),
            "GNU parallel is required under CI (scripts/deps.sh)"
        );
        eprintln!("note: GNU parallel is not installed; skipping");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_fedcheck");
    blocks_match_the_whole(&format!(
        "parallel --will-cite --pipe -N 8 --keep-order -j 2 \"{bin}\" check - --input-format lines --idp-cert {CERT} \
         --at {AT} --format ndjson --quiet < '{{d}}/tokens.txt' > '{{d}}/results.ndjson'; \
         test $? -le 4 && cat '{{d}}/results.ndjson'"
    ));
}

/// The README's `parallel --pipe --keep-order -N 8` recipe, with coreutils and findutils instead of GNU parallel:
/// split the lines into chunks, judge the chunks in two processes at a time, concatenate the outputs in chunk order.
#[test]
fn a_lines_stream_split_over_processes_gives_the_same_tokens() {
    for tool in ["split", "xargs"] {
        assert!(have(tool), "{tool} is needed");
    }
    let bin = env!("CARGO_BIN_EXE_fedcheck");
    blocks_match_the_whole(&format!(
        "set -e; d='{{d}}'; split -l 8 -d -a 3 \"$d/tokens.txt\" \"$d/chunk.\"; \
         ls \"$d\"/chunk.* | xargs -P 2 -I{{}} sh -c '\"{bin}\" check - --input-format lines --idp-cert {CERT} \
         --at {AT} --format ndjson --quiet < {{}} > {{}}.ndjson; test $? -le 2'; \
         for c in $(ls \"$d\"/chunk.* | grep -v ndjson); do cat \"$c.ndjson\"; done"
    ));
}

#[test]
fn a_directory_of_more_than_10000_files_is_judged_whole() {
    let dir = tempfile::tempdir().unwrap();
    let token = std::fs::read(testdata().join("wsfed/mfa-authmethod-sha256.xml")).unwrap();
    const N: usize = 10_001;
    for i in 0..N {
        // A real token first and last; in between, documents that are no token (quick to judge).
        let body: &[u8] = if i == 0 || i == N - 1 { &token } else { b"<x/>" };
        std::fs::write(dir.path().join(format!("t{i:05}.xml")), body).unwrap();
    }
    let d = dir.path().display().to_string();
    let out = run(&args(&[&d], &["--format", "ndjson", "--engines", "fedcheck"]));
    let all = lines(&out);
    let (tokens, errors, summary) = split(&all);
    assert!(errors.is_empty(), "{:?}", errors);
    assert_eq!(tokens.len(), N);
    assert_eq!(summary["summary"]["tokens"], N);
    assert_eq!(summary["summary"]["pass"], 2);
    assert_eq!(summary["summary"]["error"], N - 2);
    let names = source_names(&tokens);
    assert!(names[0].ends_with("t00000.xml") && names[N - 1].ends_with("t10000.xml"));
    assert!(names.windows(2).all(|w| w[0] < w[1]), "sorted");
    assert_eq!(tokens[N - 1]["verdict"], "pass");
}

#[test]
fn jobs_must_be_at_least_one_and_ndjson_refuses_whole_report_options() {
    let out = run(&args(&["saml2/mfa-sha256.xml"], &["--jobs", "0"]));
    assert_eq!(out.code, 2, "{}", out.describe());
    for extra in [
        ["--snapshot", "x.snap"].as_slice(),
        ["--entra-token", "jwt/good.jwt"].as_slice(),
    ] {
        let mut a = vec!["--format", "ndjson"];
        a.extend_from_slice(extra);
        let out = run(&args(&["saml2/mfa-sha256.xml"], &a));
        assert_eq!(out.code, 2, "{}", out.describe());
        assert!(out.stdout.is_empty(), "nothing half-written: {}", out.describe());
        assert!(out.stderr.contains("use --format json or text"), "{}", out.describe());
    }
}

/// Runs `fedcheck` with stderr on a pseudo-terminal (util-linux `script`), progress shown at once.
fn on_a_terminal(extra: &[&str]) -> Option<String> {
    if !have("script") {
        return None;
    }
    let bin = env!("CARGO_BIN_EXE_fedcheck");
    let cmd = format!(
        "\"{bin}\" check saml2 wsfed adversarial --idp-cert {CERT} --at {AT} --format ndjson --jobs 1 {} > /dev/null",
        extra.join(" ")
    );
    let out = Command::new("script")
        .args(["-qefc", &cmd, "/dev/null"])
        .current_dir(testdata())
        .env("FEDCHECK_PROGRESS_DELAY_MS", "0")
        .stdin(Stdio::null())
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn the_progress_bar_shows_on_a_terminal_only_and_never_with_quiet() {
    // On a pipe: never, even when the delay is zero.
    let mut cmd = common::command(&args(&["saml2", "wsfed"], &["--format", "ndjson"]));
    cmd.env("FEDCHECK_PROGRESS_DELAY_MS", "0");
    let out = run_cmd(cmd, &["check"], None);
    assert!(!out.stderr.contains("tokens checked"), "{}", out.describe());
    assert!(out.fedcheck_stderr_lines().is_empty(), "{}", out.describe());
    // On a terminal: shown (the control that makes the assertion above mean something), and not with --quiet.
    match on_a_terminal(&[]) {
        Some(tty) => {
            assert!(tty.contains("tokens checked"), "no progress on a terminal: {tty:?}");
            let quiet = on_a_terminal(&["--quiet"]).unwrap();
            assert!(!quiet.contains("tokens checked"), "{quiet:?}");
        }
        None => eprintln!("note: util-linux `script` is not installed; the terminal half of this test did not run"),
    }
}

/// A HAR of `n` copies of capture.har's SAML 2.0 POST.
fn har_of(n: usize) -> Vec<u8> {
    let har: Value =
        serde_json::from_slice(&std::fs::read(testdata().join("encoded/capture.har")).expect("har")).expect("har json");
    let entry = har["log"]["entries"][3].clone();
    assert_eq!(entry["request"]["method"], "POST");
    let mut h = har.clone();
    h["log"]["entries"] = Value::Array(vec![entry; n]);
    serde_json::to_vec(&h).expect("json")
}

#[test]
fn a_big_har_is_judged_token_by_token_in_entry_order_whatever_the_jobs() {
    // Enough tokens to be judged on several threads (cli::check::SPLIT_TOKENS): the lines must be exactly the same,
    // in entry order, with one job or several, from a file or from stdin.
    let n = 400;
    let bytes = har_of(n);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("big.har");
    std::fs::write(&path, &bytes).expect("write");
    let path = path.display().to_string();
    let extra = |jobs| {
        [
            "--format",
            "ndjson",
            "--engines",
            "fedcheck",
            "--max-tokens-per-input",
            "400",
            "--jobs",
            jobs,
        ]
    };
    let one = run(&args(&[&path], &extra("1")));
    assert_eq!(one.code, 0, "{}", one.describe());
    let all = lines(&one);
    let (tokens, errors, summary) = split(&all);
    assert!(errors.is_empty(), "{}", one.describe());
    assert_eq!(summary["summary"]["tokens"], n);
    let entries: Vec<u64> = tokens
        .iter()
        .map(|t| t["source"]["har_entry"].as_u64().expect("har_entry"))
        .collect();
    assert_eq!(entries, (0..n as u64).collect::<Vec<_>>());
    for jobs in ["2", "3"] {
        let many = run(&args(&[&path], &extra(jobs)));
        assert_eq!(many.stdout, one.stdout, "--jobs {jobs}");
    }
    let stdin = run_stdin(&args(&["-"], &extra("2")), &bytes);
    assert_eq!(stdin.code, 0, "{}", stdin.describe());
    let from_stdin = lines(&stdin);
    assert_eq!(from_stdin.len(), all.len());
    assert_eq!(from_stdin[n - 1]["source"]["har_entry"], n as u64 - 1);
    assert_eq!(from_stdin[n - 1]["source"]["input"], "<stdin>");

    // Over the cap, the input is refused as a whole, as a small one is: one input error, no token lines.
    let refused = run(&args(
        &[&path],
        &["--format", "ndjson", "--max-tokens-per-input", "399"],
    ));
    assert_eq!(refused.code, 2, "{}", refused.describe());
    let all = lines(&refused);
    let (tokens, errors, _) = split(&all);
    assert!(tokens.is_empty() && errors.len() == 1, "{}", refused.describe());
}
