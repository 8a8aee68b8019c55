//! Every file named on the command line is read through a size cap (issue 13, item 4): an endless file
//! (`/dev/zero`) or a huge one is refused at once with exit 2 and one line naming the flag, the file and the limit,
//! instead of being read until memory runs out. The huge files are sparse: they take no disk space.

mod common;

use common::{command, Out, AT};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Far more than any of these reads takes, even in a debug build on a loaded machine; an unbounded read of
/// `/dev/zero` never ends (the run is then killed and the test fails).
const DEADLINE: Duration = Duration::from_secs(60);

/// Runs the binary in `testdata/`, killing it at [`DEADLINE`].
fn run_bounded(args: &[&str]) -> (Out, Duration) {
    let start = Instant::now();
    let mut cmd = command(args);
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn fedcheck");
    // Drain both pipes from threads so a chatty run cannot block on a full pipe.
    let mut so = child.stdout.take().expect("stdout");
    let mut se = child.stderr.take().expect("stderr");
    let out_t = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut so, &mut s);
        s
    });
    let err_t = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut se, &mut s);
        s
    });
    let code = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status.code().unwrap_or(-1);
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            break -9;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = start.elapsed();
    let out = Out {
        args: args.iter().map(|s| s.to_string()).collect(),
        code,
        stdout: out_t.join().unwrap_or_default(),
        stderr: err_t.join().unwrap_or_default(),
    };
    (out, elapsed)
}

/// A sparse file of `len` bytes (zeros), taking no disk space.
fn sparse(dir: &Path, name: &str, len: u64) -> String {
    let p = dir.join(name);
    let f = std::fs::File::create(&p).expect("create");
    f.set_len(len).expect("set_len");
    p.to_string_lossy().into_owned()
}

/// Exit 2, quickly, with one line on stderr naming every one of `named` (the flag, the file, the limit).
fn assert_refused(args: &[&str], named: &[&str]) {
    let (out, took) = run_bounded(args);
    assert_eq!(out.code, 2, "{}", out.describe());
    let lines = out.fedcheck_stderr_lines();
    assert_eq!(lines.len(), 1, "one line on stderr: {}", out.describe());
    for n in named {
        assert!(lines[0].contains(n), "`{n}` not named: {}", out.describe());
    }
    assert!(took < DEADLINE, "{args:?} took {took:?}");
}

fn dev_zero() -> Option<&'static str> {
    Path::new("/dev/zero").exists().then_some("/dev/zero")
}

const TOKEN: &str = "saml2/mfa-sha256.xml";
const CERT: &str = "keys/idp-signing.crt";

/// The sources to try for a limit: /dev/zero (Linux) and a sparse file one byte over it.
fn sources(dir: &Path, limit: u64) -> Vec<String> {
    let mut v: Vec<String> = dev_zero().map(String::from).into_iter().collect();
    v.push(sparse(dir, &format!("over-{limit}"), limit + 1));
    v
}

#[test]
fn federation_config_is_capped_at_8_mib() {
    let dir = tempfile::tempdir().unwrap();
    for f in sources(dir.path(), 8 << 20) {
        assert_refused(
            &[
                "check",
                TOKEN,
                "--idp-cert",
                CERT,
                "--at",
                AT,
                "--federation-config",
                &f,
            ],
            &["--federation-config", &f, "8 MiB"],
        );
    }
    // A large export under the limit is read (and refused for what it is, not for its size).
    let mut padded = b"[{}]".to_vec();
    padded.extend(std::iter::repeat_n(b' ', 2 << 20));
    let p = dir.path().join("padded.json");
    std::fs::write(&p, padded).unwrap();
    let p = p.to_string_lossy().into_owned();
    let (out, _) = run_bounded(&[
        "check",
        TOKEN,
        "--idp-cert",
        CERT,
        "--at",
        AT,
        "--federation-config",
        &p,
    ]);
    assert_eq!(out.code, 2, "{}", out.describe());
    assert!(
        !out.stderr.contains("limit"),
        "2 MiB is under the limit: {}",
        out.describe()
    );
}

#[test]
fn snapshot_file_is_capped_at_64_mib() {
    let dir = tempfile::tempdir().unwrap();
    for f in sources(dir.path(), 64 << 20) {
        assert_refused(
            &["check", TOKEN, "--idp-cert", CERT, "--at", AT, "--snapshot", &f],
            &["--snapshot", &f, "64 MiB"],
        );
    }
}

#[test]
fn test_plan_is_capped_at_1_mib() {
    let dir = tempfile::tempdir().unwrap();
    for f in sources(dir.path(), 1 << 20) {
        assert_refused(&["test", &f], &[&f, "1 MiB", "test plan"]);
    }
}

#[test]
fn certificates_are_capped_at_1_mib() {
    let dir = tempfile::tempdir().unwrap();
    for f in sources(dir.path(), 1 << 20) {
        assert_refused(
            &["check", TOKEN, "--idp-cert", &f, "--at", AT],
            &["--idp-cert", &f, "1 MiB"],
        );
        assert_refused(
            &[
                "check",
                TOKEN,
                "--metadata",
                "metadata/saml2-idp-metadata-signed.xml",
                "--metadata-cert",
                &f,
                "--at",
                AT,
            ],
            &["--metadata-cert", &f, "1 MiB"],
        );
    }
}

#[test]
fn bundle_refuses_endless_and_huge_files() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("evidence");
    let out_dir = out_dir.to_string_lossy().into_owned();
    // A huge federation settings export: refused by its size before anything is written.
    let big = sparse(dir.path(), "huge-fed.json", (8 << 20) + 1);
    let mut cases = vec![("--federation-config", big)];
    if let Some(z) = dev_zero() {
        cases.push(("--attach", z.to_string()));
        cases.push(("--federation-config", z.to_string()));
    }
    for (flag, f) in cases {
        let (out, took) = run_bounded(&[
            "bundle",
            TOKEN,
            "--idp-cert",
            CERT,
            "--at",
            AT,
            "--out",
            &out_dir,
            flag,
            &f,
        ]);
        assert_eq!(out.code, 2, "{}", out.describe());
        let lines = out.fedcheck_stderr_lines();
        assert_eq!(lines.len(), 2, "{}", out.describe());
        assert!(lines[0].contains(&format!("{flag} {f}")), "{}", out.describe());
        assert_eq!(lines[1], "fedcheck: no bundle was written", "{}", out.describe());
        assert!(took < DEADLINE, "{flag} {f} took {took:?}");
        assert!(!Path::new(&out_dir).exists(), "no bundle was written");
    }
}
