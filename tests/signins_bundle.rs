//! `fedcheck bundle ... --signins FILE... [--partner-report FILE]`: the sign-in exports land in `signins/` redacted
//! with the same key as the tokens (one user, one placeholder across the bundle), `signins/summary.json` holds the
//! contract, `request.md` quotes the counts, an unusable export writes nothing, `verify-bundle` covers the new files,
//! and the per-user table of `report.html` is checked in the DOM headless Chromium builds (as tests/browser.rs does).

mod common;

use common::{run_cmd, AT, ISSUER};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

struct Work {
    dir: tempfile::TempDir,
}

impl Work {
    fn new() -> Work {
        let dir = tempfile::tempdir().unwrap();
        for e in walkdir::WalkDir::new(common::testdata()) {
            let e = e.unwrap();
            let rel = e.path().strip_prefix(common::testdata()).unwrap();
            let dest = dir.path().join(rel);
            if e.file_type().is_dir() {
                std::fs::create_dir_all(&dest).unwrap();
            } else if e.file_type().is_file() {
                std::fs::copy(e.path(), &dest).unwrap();
            }
        }
        Work { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn run(&self, args: &[&str]) -> common::Out {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_fedcheck"));
        cmd.current_dir(self.path()).args(args);
        run_cmd(cmd, args, None)
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }
}

fn bundle_args<'a>(out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "bundle",
        "saml2/mfa-sha256.xml",
        "--idp-cert",
        "keys/idp-signing.crt",
        "--expect-issuer",
        ISSUER,
        "--at",
        AT,
        "--redaction-key",
        "test-redaction-key",
        "--out",
        out,
        "--signins",
        "signins/graph-beta-page.json",
        "signins/log-analytics-signinlogs.csv",
        "--partner-report",
        "partner/nonMfaCompliantPartnerPrincipals.json",
    ];
    v.extend_from_slice(extra);
    v
}

const UPNS: [&str; 7] = [
    "alice@contoso.test",
    "bob@contoso.test",
    "carol@contoso.test",
    "dave@contoso.test",
    "erin@contoso.test",
    "frank@contoso.test",
    "zoe@contoso.test",
];

#[test]
fn signins_land_redacted_with_summary_section_and_counts() {
    let w = Work::new();
    let out = w.run(&bundle_args("evidence", &[]));
    assert_eq!(out.code, 0, "{}", out.describe());
    assert!(
        out.stdout
            .contains("Sign-in logs: 1 of 5 user(s) with a successful sign-in"),
        "{}",
        out.stdout
    );

    // signins/: the exports, redacted, and summary.json.
    for f in [
        "signins/graph-beta-page.json",
        "signins/log-analytics-signinlogs.csv",
        "signins/nonMfaCompliantPartnerPrincipals.json",
        "signins/summary.json",
    ] {
        let text = w.read(&format!("evidence/{f}"));
        for upn in UPNS {
            assert!(!text.to_lowercase().contains(upn), "{upn} left in {f}");
        }
        for personal in [
            "Alice Federated",
            "203.0.113.10",
            "11111111-aaaa-4aaa-8aaa-000000000001",
        ] {
            assert!(!text.contains(personal), "{personal} left in {f}");
        }
    }
    // The redacted JSON export still parses, and still reads to the same counts.
    let copy = w.path().join("evidence/signins/graph-beta-page.json");
    let rerun = w.run(&["signins", copy.to_str().unwrap(), "--format", "json"]);
    assert_eq!(rerun.json()["summary"]["users_without_mfa"], 2, "{}", rerun.describe());

    // One user, one placeholder: alice in the token copy and in the sign-in summary.
    let token = w.read("evidence/tokens/01-saml2.xml");
    let alice = token
        .split("redacted:upn:")
        .nth(1)
        .map(|s| format!("redacted:upn:{}", &s[..12]))
        .expect("the token's UPN is redacted");
    let summary: serde_json::Value = serde_json::from_str(&w.read("evidence/signins/summary.json")).unwrap();
    let users = summary["users"].as_array().unwrap();
    let a = users
        .iter()
        .find(|u| u["user"] == alice.as_str())
        .expect("alice's placeholder in summary.json");
    assert_eq!((a["mfa_claim"].as_u64(), a["signins"].as_u64()), (Some(4), Some(4)));
    assert_eq!(summary["summary"]["users"], 6);
    assert_eq!(summary["summary"]["users_without_mfa"], 2);
    assert_eq!(summary["partner_report"]["listed"], 3);

    // request.md quotes the counts; README and the manifest list the files.
    let request = w.read("evidence/request.md");
    assert!(
        request.contains("Tenant-wide evidence (Entra sign-in logs):"),
        "{request}"
    );
    assert!(
        request.contains("1 of 5 user(s) with a successful sign-in between 2026-01-15T09:00:00Z and 2026-01-15T09:30:00Z were satisfied by the federated IdP's MFA claim on every sign-in; 2 user(s) signed in at least once without MFA; 18 sign-in(s) counted"),
        "{request}"
    );
    assert!(
        request.contains("Partner Center's MFA report lists 3 user(s)"),
        "{request}"
    );
    assert!(
        request.contains("- signins/summary.json: per-user summary"),
        "{request}"
    );
    let manifest = w.read("evidence/manifest.json");
    assert!(manifest.contains("\"signins/summary.json\""), "{manifest}");
    let md = w.read("evidence/report.md");
    assert!(md.contains("## Tenant-wide evidence: Entra sign-in logs"), "{md}");
    assert!(
        md.contains(&format!("| `{alice}` | 4 | 4 | 0 | 0 | 0 | **IdP CLAIM** |")),
        "{md}"
    );
    let v = w.run(&["verify-bundle", "evidence"]);
    assert_eq!(v.code, 0, "{}", v.describe());

    // --no-redact keeps the exports as given.
    let out = w.run(&{
        let mut a: Vec<&str> = bundle_args("plain", &["--no-redact"]);
        let i = a.iter().position(|x| *x == "--redaction-key").unwrap();
        a.drain(i..i + 2);
        a
    });
    assert_eq!(out.code, 0, "{}", out.describe());
    assert_eq!(
        std::fs::read(w.path().join("plain/signins/graph-beta-page.json")).unwrap(),
        std::fs::read(w.path().join("signins/graph-beta-page.json")).unwrap()
    );
}

#[test]
fn an_unusable_export_writes_no_bundle() {
    let w = Work::new();
    let mut args = bundle_args("evidence", &[]);
    let i = args
        .iter()
        .position(|x| *x == "signins/log-analytics-signinlogs.csv")
        .unwrap();
    args[i] = "signins/truncated-page.json";
    let out = w.run(&args);
    assert_eq!(out.code, 2, "{}", out.describe());
    assert!(
        out.stderr
            .contains("--signins: signins/truncated-page.json: truncated JSON"),
        "{}",
        out.describe()
    );
    assert!(out.stderr.contains("no bundle was written"), "{}", out.describe());
    assert!(!w.path().join("evidence").exists());
    assert!(!w.path().join("evidence.zip").exists());
}

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for name in ["chromium", "chromium-browser"] {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// The DOM Chromium builds from a file; killed after 120 s.
fn dump_dom(bin: &Path, profile: &Path, url: &str) -> String {
    let mut child = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--disable-background-networking",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(["--dump-dom", url])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn chromium");
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut s);
        s
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 120 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    reader.join().unwrap()
}

/// The per-user table of report.html as Chromium parsed it: the header row and one row per user, with the counts
/// and the MFA badge in their cells. Skipped with a note without Chromium, except under CI.
#[test]
fn per_user_table_in_report_html_renders_in_chromium() {
    let Some(bin) = chromium() else {
        if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
            panic!("chromium is required under CI (scripts/deps.sh installs it)");
        }
        eprintln!("note: chromium not found; skipping the browser check of the sign-ins table");
        return;
    };
    let w = Work::new();
    let out = w.run(&bundle_args("evidence", &[]));
    assert_eq!(out.code, 0, "{}", out.describe());
    let url = url::Url::from_file_path(w.path().join("evidence/report.html"))
        .unwrap()
        .to_string();
    let dom = dump_dom(&bin, &w.path().join("profile"), &url);
    let section = dom
        .split("<h2>Tenant-wide evidence: Entra sign-in logs</h2>")
        .nth(1)
        .unwrap_or_else(|| panic!("no sign-ins section in the DOM:\n{dom}"));
    let table = section
        .split("<table")
        .nth(2)
        .and_then(|t| t.split("</table>").next())
        .expect("the per-user table");
    assert!(
        table.contains("<th>User</th><th>Sign-ins</th><th>mfa_claim</th><th>mfa_entra</th><th>single_factor</th><th>failed</th><th>MFA</th>"),
        "{table}"
    );
    let rows: Vec<&str> = table.split("<tr>").skip(2).collect();
    assert_eq!(rows.len(), 6, "one row per user:\n{table}");
    let cells = |row: &str| -> Vec<String> {
        row.split("<td>")
            .skip(1)
            .map(|c| {
                let c = c.split("</td>").next().unwrap();
                let mut text = String::new();
                let mut tag = false;
                for ch in c.chars() {
                    match ch {
                        '<' => tag = true,
                        '>' => tag = false,
                        _ if !tag => text.push(ch),
                        _ => {}
                    }
                }
                text
            })
            .collect()
    };
    let first = cells(rows[0]);
    assert!(first[0].starts_with("redacted:upn:"), "{first:?}");
    assert_eq!(
        &first[1..7],
        &["4", "0", "0", "4", "0", "NO MFA"],
        "bob first: {first:?}"
    );
    let claim: Vec<Vec<String>> = rows.iter().map(|r| cells(r)).filter(|c| c[6] == "IdP CLAIM").collect();
    assert_eq!(claim.len(), 1, "{table}");
    assert_eq!(&claim[0][1..6], &["4", "4", "0", "0", "0"]);
    assert!(rows[0].contains("class=\"badge fail\""), "{}", rows[0]);
    assert!(!dom.contains("alice@contoso.test"), "redacted in the DOM too");
    assert!(section.contains("Partner Center MFA report"), "{section}");
}
