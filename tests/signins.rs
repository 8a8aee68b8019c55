//! `fedcheck signins` and `fedcheck partner-report` through the binary, on the fixtures of `testdata/signins/` and
//! `testdata/partner/` (written by `testdata/signins/gen.py` in each producer's exact shape): every shape read to the
//! same per-user counts, every class of the rule, merging across files and shapes, the filters, exit codes, the
//! unusable inputs (truncated JSON, unknown CSV headers, a ConvertTo-Json export at depth 2), and the join with
//! Partner Center's report.

mod common;

use common::run;
use serde_json::Value;

/// (user, mfa_claim, mfa_entra, single_factor, failed) of the scenario, sorted by user.
const SCENARIO: [(&str, u64, u64, u64, u64); 6] = [
    ("alice@contoso.test", 2, 0, 0, 0),
    ("bob@contoso.test", 0, 0, 2, 0),
    ("carol@contoso.test", 0, 1, 0, 0),
    ("dave@contoso.test", 0, 0, 0, 2),
    ("erin@contoso.test", 0, 1, 0, 0),
    ("frank@contoso.test", 0, 0, 1, 0),
];

fn counts(v: &Value) -> Vec<(String, u64, u64, u64, u64)> {
    let mut out: Vec<_> = v["users"]
        .as_array()
        .expect("users")
        .iter()
        .map(|u| {
            (
                u["user"].as_str().unwrap().to_string(),
                u["mfa_claim"].as_u64().unwrap(),
                u["mfa_entra"].as_u64().unwrap(),
                u["single_factor"].as_u64().unwrap(),
                u["failed"].as_u64().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

fn scenario() -> Vec<(String, u64, u64, u64, u64)> {
    SCENARIO
        .iter()
        .map(|(u, a, b, c, d)| (u.to_string(), *a, *b, *c, *d))
        .collect()
}

fn user<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["user"] == name)
        .unwrap_or_else(|| panic!("no user {name} in {v}"))
}

#[test]
fn every_shape_reads_to_the_same_contract() {
    for (file, shape) in [
        ("signins/graph-beta-page.json", "graph-page"),
        ("signins/InteractiveSignIns_2026-01-15_2026-01-16.json", "graph-array"),
        ("signins/graph.ndjson", "ndjson"),
        ("signins/powershell-depth10.json", "graph-powershell"),
        ("signins/InteractiveSignIns_2026-01-15_2026-01-16.csv", "portal-csv"),
        ("signins/log-analytics-signinlogs.csv", "log-analytics-csv"),
        ("signins/log-analytics-az.json", "log-analytics-json"),
    ] {
        let out = run(&["signins", file, "--format", "json"]);
        assert_eq!(out.code, 1, "{}", out.describe());
        assert!(
            out.stderr.is_empty(),
            "no progress bar or noise off a terminal: {}",
            out.describe()
        );
        let v = out.json();
        assert_eq!(v["signins"], 9, "{file}");
        assert_eq!(v["inputs"][0]["shape"], shape, "{file}");
        assert_eq!(counts(&v), scenario(), "{file}");
        assert_eq!(v["summary"]["users"], 6, "{file}");
        assert_eq!(v["summary"]["users_without_mfa"], 2, "{file}: bob and frank");
        for u in v["users"].as_array().unwrap() {
            let sum = ["mfa_claim", "mfa_entra", "single_factor", "failed"]
                .iter()
                .map(|k| u[k].as_u64().unwrap())
                .sum::<u64>();
            assert_eq!(
                u["signins"].as_u64().unwrap(),
                sum,
                "{file}: exactly one class per sign-in: {u}"
            );
        }
    }
}

#[test]
fn graph_v1_pages_merge_and_note_a_missing_last_page() {
    let out = run(&[
        "signins",
        "signins/graph-v1-page1.json",
        "signins/graph-v1-page2.json",
        "--format",
        "json",
    ]);
    let v = out.json();
    assert_eq!(v["signins"], 9);
    assert_eq!(counts(&v), scenario());
    assert!(v["notes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|n| !n.as_str().unwrap().contains("nextLink")));
    let v = run(&["signins", "signins/graph-v1-page1.json", "--format", "json"]).json();
    assert_eq!(v["signins"], 5);
    assert!(v["inputs"][0]["more_pages"].as_bool().unwrap());
    assert!(
        v["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains("@odata.nextLink")),
        "{v}"
    );
}

#[test]
fn the_rule_decides_each_class() {
    let v = run(&["signins", "signins/graph-beta-page.json", "--format", "json"]).json();
    // alice's Partner Center sign-in reads authenticationRequirement singleFactorAuthentication, yet the IdP's claim
    // satisfied it: authenticationRequirement never decides.
    let alice = user(&v, "alice@contoso.test");
    assert_eq!(
        (alice["mfa_claim"].as_u64(), alice["single_factor"].as_u64()),
        (Some(2), Some(0))
    );
    assert_eq!(alice["without_mfa"], false);
    // bob: "First factor requirement satisfied by claim in the token" alone is not MFA.
    assert_eq!(user(&v, "bob@contoso.test")["single_factor"], 2);
    // carol: Entra's own MFA; erin: MFA satisfied earlier in the session, her failed MFA step does not count.
    assert_eq!(user(&v, "carol@contoso.test")["mfa_entra"], 1);
    assert_eq!(user(&v, "erin@contoso.test")["mfa_entra"], 1);
    // dave: 50126 and the MFA-required interrupt 50074 are failures, not successes.
    let dave = user(&v, "dave@contoso.test");
    assert_eq!((dave["failed"].as_u64(), dave["signins"].as_u64()), (Some(2), Some(2)));
    // frank: a string the rule does not list counts as single_factor, and is reported.
    assert_eq!(user(&v, "frank@contoso.test")["single_factor"], 1);
    assert_eq!(
        v["unlisted_mfa_results"][0]["result"],
        "MFA requirement satisfied by multi-factor device"
    );
    // The users without MFA come first.
    let order: Vec<bool> = v["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["without_mfa"].as_bool().unwrap())
        .collect();
    assert_eq!(order, vec![true, true, false, false, false, false]);
}

#[test]
fn users_merge_across_files_and_shapes_by_lower_case_upn() {
    // The same nine sign-ins as Graph JSON and as the portal CSV, plus one more for "Alice@Contoso.TEST".
    let out = run(&[
        "signins",
        "signins/graph.ndjson",
        "signins/log-analytics-signinlogs.csv",
        "signins/merge-alice-single-factor.csv",
        "--format",
        "json",
    ]);
    assert_eq!(out.code, 1);
    let v = out.json();
    assert_eq!(v["signins"], 19);
    assert_eq!(v["summary"]["users"], 6);
    let alice = user(&v, "alice@contoso.test");
    assert_eq!(alice["signins"], 5);
    assert_eq!(alice["mfa_claim"], 4);
    assert_eq!(alice["single_factor"], 1);
    assert_eq!(alice["without_mfa"], true);
    assert_eq!(alice["last_single_factor"], "2026-01-15T09:50:00Z");
    assert_eq!(v["summary"]["users_without_mfa"], 3);
    let shapes: Vec<&str> = v["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["shape"].as_str().unwrap())
        .collect();
    assert_eq!(shapes, vec!["ndjson", "log-analytics-csv", "portal-csv"]);
}

#[test]
fn windows_powershell_dates_are_read() {
    let v = run(&["signins", "signins/powershell51.json", "--format", "json"]).json();
    assert_eq!(v["signins"], 2);
    assert_eq!(user(&v, "alice@contoso.test")["first_signin"], "2026-01-15T09:00:00Z");
}

#[test]
fn unusable_inputs_exit_2_naming_the_file() {
    for (file, words) in [
        ("signins/truncated-page.json", vec!["truncated JSON", "export it again"]),
        (
            "signins/unknown-headers.csv",
            vec!["unknown CSV header set", "Timestamp, Account, Outcome"],
        ),
        (
            "signins/powershell-depth2.json",
            vec!["default depth", "ConvertTo-Json -Depth 10", "AuthenticationDetails"],
        ),
        (
            "partner/nonMfaCompliantPartnerPrincipals.json",
            vec!["Partner Center", "--partner-report"],
        ),
        ("signins/does-not-exist.json", vec!["cannot read"]),
        ("signins", vec!["folder"]),
    ] {
        let out = run(&[
            "signins",
            file,
            "--format",
            "json",
            "--input-format",
            if file.starts_with("partner") { "graph" } else { "auto" },
        ]);
        assert_eq!(out.code, 2, "{}", out.describe());
        assert!(out.stdout.is_empty(), "nothing half-written: {}", out.describe());
        let lines = out.fedcheck_stderr_lines();
        assert_eq!(lines.len(), 1, "one line: {}", out.describe());
        assert!(lines[0].contains(file), "names the file: {}", lines[0]);
        for w in words {
            assert!(lines[0].contains(w), "{w:?} in {}", lines[0]);
        }
    }
    // An empty array proves nothing.
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.json");
    std::fs::write(&empty, "{\"value\":[]}").unwrap();
    let out = run(&["signins", empty.to_str().unwrap()]);
    assert_eq!(out.code, 2, "{}", out.describe());
    assert!(out.stderr.contains("no sign-in record"), "{}", out.describe());
    // A CSV row too large, and a record without status.
    let big = dir.path().join("big.csv");
    std::fs::write(
        &big,
        format!("Date (UTC),Username,Sign-in error code,Multifactor authentication result\n2026-01-15T09:00:00Z,a@x.test,0,\"{}\"\n", "x".repeat(5 * 1024 * 1024)),
    )
    .unwrap();
    let out = run(&["signins", big.to_str().unwrap()]);
    assert_eq!(out.code, 2, "{}", out.describe());
    assert!(out.stderr.contains("larger than"), "{}", out.describe());
    let nostatus = dir.path().join("nostatus.json");
    std::fs::write(
        &nostatus,
        r#"[{"userPrincipalName":"a@x.test","createdDateTime":"2026-01-15T09:00:00Z"}]"#,
    )
    .unwrap();
    let out = run(&["signins", nostatus.to_str().unwrap()]);
    assert_eq!(out.code, 2, "{}", out.describe());
    assert!(out.stderr.contains("record 1 has no status"), "{}", out.describe());
}

#[test]
fn input_format_forces_the_shape() {
    // The portal CSV mapping on a Log Analytics export: its columns are missing.
    let out = run(&[
        "signins",
        "signins/log-analytics-signinlogs.csv",
        "--input-format",
        "portal-csv",
    ]);
    assert_eq!(out.code, 2, "{}", out.describe());
    assert!(
        out.stderr
            .contains("the admin center's sign-ins CSV without the column Username"),
        "{}",
        out.describe()
    );
    // A JSON shape on a CSV file.
    let out = run(&[
        "signins",
        "signins/InteractiveSignIns_2026-01-15_2026-01-16.csv",
        "--input-format",
        "powershell",
    ]);
    assert_eq!(out.code, 2, "{}", out.describe());
    assert!(out.stderr.contains("not JSON"), "{}", out.describe());
    // Forcing the right shape reports it.
    let v = run(&[
        "signins",
        "signins/graph-beta-page.json",
        "--input-format",
        "powershell",
        "--format",
        "json",
    ])
    .json();
    assert_eq!(v["inputs"][0]["shape"], "graph-powershell");
}

#[test]
fn filters_since_until_app_and_federated_only() {
    let file = "signins/graph-beta-page.json";
    // Until 09:10: alice 09:00, bob 09:05, carol 09:10.
    let v = run(&["signins", file, "--until", "2026-01-15T09:10:00Z", "--format", "json"]).json();
    assert_eq!(v["matched"], 3);
    assert_eq!(
        v["summary"]["users"], 6,
        "every user in the input is listed, with the filtered counts"
    );
    assert_eq!(user(&v, "erin@contoso.test")["signins"], 0);
    // Since 09:14: dave's interrupt is out, erin, alice's Partner Center sign-in, bob's, frank's are in.
    let v = run(&["signins", file, "--since", "2026-01-15T09:14:00Z", "--format", "json"]).json();
    assert_eq!(v["matched"], 4);
    // --app by display name and by application ID.
    for app in ["Microsoft Partner Center", "4990CFFE-04e8-4e8b-808a-1175604b879f"] {
        let out = run(&["signins", file, "--app", app, "--format", "json"]);
        let v = out.json();
        assert_eq!(v["matched"], 2, "{app}");
        assert_eq!(user(&v, "alice@contoso.test")["mfa_claim"], 1);
        assert_eq!(user(&v, "bob@contoso.test")["single_factor"], 1);
        assert_eq!(out.code, 1);
    }
    // --federated-only: alice and bob (AD FS, SAML 1.1); the cloud-only users keep zero sign-ins.
    let v = run(&["signins", file, "--federated-only", "--format", "json"]).json();
    assert_eq!(v["matched"], 4);
    assert_eq!(user(&v, "carol@contoso.test")["signins"], 0);
    assert_eq!(v["filters"]["federated_only"], true);
    // Exit 0 when nobody signed in without MFA in the window.
    let out = run(&["signins", file, "--until", "2026-01-15T09:00:30Z"]);
    assert_eq!(out.code, 0, "{}", out.describe());
    // Bad filters are usage errors.
    let out = run(&["signins", file, "--since", "yesterday"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--since"), "{}", out.describe());
    let out = run(&[
        "signins",
        file,
        "--since",
        "2026-02-01T00:00:00Z",
        "--until",
        "2026-01-01T00:00:00Z",
    ]);
    assert_eq!(out.code, 2);
}

#[test]
fn text_lists_users_without_mfa_first_with_apps_and_last_time() {
    let out = run(&["signins", "signins/InteractiveSignIns_2026-01-15_2026-01-16.csv"]);
    assert_eq!(out.code, 1);
    let lines: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("  NO MFA") || l.starts_with("  MFA"))
        .collect();
    assert!(lines[0].contains("bob@contoso.test"), "{}", out.stdout);
    assert!(
        lines[0].contains("Microsoft Partner Center, Office 365 Exchange Online"),
        "{}",
        out.stdout
    );
    assert!(
        lines[0].contains("last single-factor 2026-01-15T09:25:00Z"),
        "{}",
        out.stdout
    );
    assert!(lines[1].contains("frank@contoso.test"), "{}", out.stdout);
    assert!(lines[2].starts_with("  MFA     alice@contoso.test"), "{}", out.stdout);
    assert!(lines[2].contains("by the IdP's claim"), "{}", out.stdout);
    assert!(
        out.stdout.contains("Verdict: 2 of 6 user(s) signed in without MFA"),
        "{}",
        out.stdout
    );
}

#[test]
fn partner_report_joined_with_signins() {
    let out = run(&[
        "signins",
        "signins/graph-beta-page.json",
        "partner/nonMfaCompliantPartnerPrincipals.json",
        "--format",
        "json",
    ]);
    assert_eq!(out.code, 1, "{}", out.describe());
    let v = out.json();
    assert_eq!(v["signins"], 9, "the report is not read as sign-ins");
    let p = &v["partner_report"];
    assert_eq!(p["listed"], 3);
    assert_eq!(p["columns"]["user"], "upn");
    assert_eq!(p["columns"]["last_visit"], "lastNonMfaCompliantRequestDateTime");
    let by: std::collections::BTreeMap<&str, &Value> = p["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["user"].as_str().unwrap(), u))
        .collect();
    // bob's last sign-in before his visit (09:40) was single-factor, to Partner Center at 09:25.
    assert_eq!(by["bob@contoso.test"]["entra_saw"], "single_factor");
    assert_eq!(by["bob@contoso.test"]["basis"], "last_signin_before_visit");
    assert_eq!(by["bob@contoso.test"]["nearest_signin"]["time"], "2026-01-15T09:25:00Z");
    // alice (listed as Alice@contoso.test): the IdP's claim.
    assert_eq!(by["alice@contoso.test"]["entra_saw"], "mfa_claim");
    // zoe is not in the logs.
    assert_eq!(by["zoe@contoso.test"]["entra_saw"], "not_in_signins");

    // partner-report alone: the CSV download, columns found by header and reported.
    let out = run(&[
        "partner-report",
        "partner/portal-requests-without-mfa.csv",
        "--format",
        "json",
    ]);
    assert_eq!(out.code, 1, "{}", out.describe());
    let v = out.json();
    let p = &v["partner_report"];
    assert_eq!(p["columns"]["user"], "User principal name");
    assert_eq!(p["columns"]["last_visit"], "Last sign-in without MFA (UTC)");
    assert_eq!(p["columns"]["found_by"], "header");
    assert_eq!(p["users"][0]["entra_saw"], "no_signin_logs");
    // ... and joined through --signins, in text.
    let out = run(&[
        "partner-report",
        "partner/portal-requests-without-mfa.csv",
        "--signins",
        "signins/log-analytics-az.json",
    ]);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout
            .contains("columns used: User principal name (user), Last sign-in without MFA (UTC) (last visit) (header)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("bob@contoso.test  last visit without MFA 2026-01-15T09:40:00Z: Entra saw no MFA"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("zoe@contoso.test  last visit without MFA 2026-01-14T08:00:00Z: not in the sign-in logs"),
        "{}",
        out.stdout
    );
    // Nobody listed: exit 0.
    let dir = tempfile::tempdir().unwrap();
    let none = dir.path().join("none.json");
    std::fs::write(
        &none,
        r#"{"totalCount":0,"items":[],"attributes":{"objectType":"Collection"}}"#,
    )
    .unwrap();
    let out = run(&["partner-report", none.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.describe());
}

/// Every strict prefix of a JSON page or array export is refused (never read as a shorter, clean file), every
/// prefix of a CSV export that cuts a row is refused (except inside a row's last unquoted field, which no reader
/// can tell from a shorter value), and byte flips never panic.
#[test]
fn truncations_are_refused_and_mutations_never_panic() {
    use fedcheck::signins::{read::read_signins, Limits};
    let read = |name: &str, bytes: &[u8]| read_signins(name, bytes, None, &Limits::default(), false, &mut |_| Ok(()));
    for name in [
        "signins/graph-beta-page.json",
        "signins/InteractiveSignIns_2026-01-15_2026-01-16.json",
        "signins/powershell-depth10.json",
        "signins/log-analytics-az.json",
    ] {
        let full = std::fs::read(common::testdata().join(name)).unwrap();
        assert!(read(name, &full).is_ok(), "{name}");
        let end = full.iter().rposition(|b| !b.is_ascii_whitespace()).unwrap();
        for cut in (1..=end).step_by(29) {
            if full[..cut].iter().all(|b| b.is_ascii_whitespace()) {
                continue;
            }
            assert!(read(name, &full[..cut]).is_err(), "{name} cut at {cut} was accepted");
        }
    }
    for name in [
        "signins/InteractiveSignIns_2026-01-15_2026-01-16.csv",
        "signins/log-analytics-signinlogs.csv",
    ] {
        let full = std::fs::read(common::testdata().join(name)).unwrap();
        let text = String::from_utf8(full.clone()).unwrap();
        let header_end = text.find("\r\n").unwrap() + 2;
        for cut in (header_end + 1..full.len() - 2).step_by(11) {
            // A cut that falls on a row boundary is a shorter, complete file; any other cut must be refused.
            // A cut inside the last, unquoted field of a row cannot be seen either (Log Analytics' `Type`): skip it.
            let rest_of_row = text[cut..].split("\r\n").next().unwrap_or("");
            let in_last_unquoted_field = !rest_of_row.contains([',', '"']);
            if text[..cut].ends_with("\r\n") || text[..cut].ends_with('\r') || in_last_unquoted_field {
                continue;
            }
            assert!(read(name, &full[..cut]).is_err(), "{name} cut at {cut} was accepted");
        }
    }
    let mut seed: u64 = 0x5eed;
    for name in [
        "signins/graph.ndjson",
        "signins/InteractiveSignIns_2026-01-15_2026-01-16.csv",
        "signins/log-analytics-signinlogs.csv",
        "signins/powershell-depth10.json",
    ] {
        let full = std::fs::read(common::testdata().join(name)).unwrap();
        for _ in 0..300 {
            let mut m = full.clone();
            for _ in 0..4 {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let i = (seed >> 33) as usize % m.len();
                m[i] = (seed >> 13) as u8;
            }
            let _ = read(name, &m);
        }
    }
}

/// The progress bar: drawn on a terminal (here `script`'s pseudo-terminal, with the one-second delay set to 0), never
/// with --quiet, never off a terminal (the other tests see an empty stderr).
#[test]
fn progress_bar_only_on_a_terminal_and_never_with_quiet() {
    let Some(script) = ["/usr/bin/script", "/bin/script"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
    else {
        eprintln!("note: script(1) not found; skipping the terminal check of the progress bar");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_fedcheck");
    let file = common::testdata().join("signins/graph-beta-page.json");
    let mut seen = Vec::new();
    for quiet in [false, true] {
        let typescript = dir.path().join(format!("ts-{quiet}"));
        let cmd = format!(
            "{bin} signins {} {} > /dev/null",
            if quiet { "--quiet" } else { "" },
            file.display()
        );
        let status = std::process::Command::new(script)
            .args(["-qec", &cmd])
            .arg(&typescript)
            .env("FEDCHECK_PROGRESS_DELAY_MS", "0")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(1), "exit 1 through script");
        let text = String::from_utf8_lossy(&std::fs::read(&typescript).unwrap()).into_owned();
        seen.push(text.contains("reading sign-ins"));
    }
    assert_eq!(seen, vec![true, false], "bar on a terminal, none with --quiet");
}
