//! Bounded memory on a large export: `fedcheck signins` streams a 64 MB Graph page and a 64 MB portal CSV, and its
//! peak resident set stays far below the file size. Its own test binary, so that `RUSAGE_CHILDREN` sees only these
//! runs.

mod common;

use std::io::Write;

fn peak_rss_kib_of(args: &[&str]) -> (i32, i64, String) {
    let out = common::run(args);
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct we own.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) };
    assert_eq!(rc, 0);
    (out.code, ru.ru_maxrss, out.stdout)
}

#[test]
fn large_exports_are_streamed() {
    let dir = tempfile::tempdir().unwrap();
    let page = std::fs::read_to_string(common::testdata().join("signins/graph-beta-page.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&page).unwrap();
    let records: Vec<String> = v["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| serde_json::to_string(r).unwrap())
        .collect();
    let target = 64 * 1024 * 1024;
    let json = dir.path().join("big.json");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&json).unwrap());
    f.write_all(b"{\"@odata.context\":\"https://graph.microsoft.com/beta/$metadata#auditLogs/signIns\",\"value\":[")
        .unwrap();
    let mut written = 0usize;
    let mut n = 0u64;
    while written < target {
        let r = &records[(n as usize) % records.len()];
        if n > 0 {
            f.write_all(b",").unwrap();
        }
        f.write_all(r.as_bytes()).unwrap();
        written += r.len() + 1;
        n += 1;
    }
    f.write_all(b"]}").unwrap();
    f.flush().unwrap();
    drop(f);

    let csv_src =
        std::fs::read_to_string(common::testdata().join("signins/InteractiveSignIns_2026-01-15_2026-01-16.csv"))
            .unwrap();
    let (header, rows) = csv_src.split_once("\r\n").unwrap();
    let csv = dir.path().join("big.csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&csv).unwrap());
    write!(f, "{header}\r\n").unwrap();
    let mut written = 0usize;
    let mut m = 0u64;
    while written < target {
        f.write_all(rows.as_bytes()).unwrap();
        written += rows.len();
        m += rows.lines().count() as u64;
    }
    f.flush().unwrap();
    drop(f);

    for (file, records) in [(&json, n), (&csv, m)] {
        let (code, peak_kib, stdout) = peak_rss_kib_of(&["signins", file.to_str().unwrap(), "--format", "json"]);
        assert_eq!(code, 1, "{stdout}");
        let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(v["signins"].as_u64(), Some(records));
        assert_eq!(v["summary"]["users"], 6);
        // 64 MB of input; the process never holds it: well under half of it, whatever the allocator keeps.
        assert!(
            peak_kib < 32 * 1024,
            "peak RSS {} KiB while reading {} ({} bytes)",
            peak_kib,
            file.display(),
            std::fs::metadata(file).unwrap().len()
        );
    }
}
