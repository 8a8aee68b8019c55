//! `fedcheck bundle` and `fedcheck verify-bundle` through the binary: bundles built from the `testdata/` fixtures,
//! their reports snapshotted with insta (`snapshots/bundle__*`), byte-identical reruns, redaction, tampering caught
//! by verify-bundle, bad inputs that leave nothing behind, and the HTML report rendered by headless Chromium.
//!
//! Every run happens in a private copy of `testdata/` (plus small attachment files), with relative paths, so the
//! reports and manifests are the same on every machine.

mod common;

use common::{run_cmd, AT};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

const KEY: &str = "test-redaction-key";
const UPN: &str = "alice@contoso.test";
const IMMUTABLE_ID: &str = "bXlJbW11dGFibGVJZA==";

/// A private working folder: a copy of testdata/ plus `attach/` with a purchase order, AD FS claim rules and a
/// Graph federationConfiguration export.
struct Work {
    dir: tempfile::TempDir,
}

impl Work {
    fn new() -> Work {
        let dir = tempfile::tempdir().expect("tempdir");
        copy_tree(&common::testdata(), dir.path());
        let a = dir.path().join("attach");
        std::fs::create_dir_all(&a).unwrap();
        std::fs::write(
            a.join("purchase-order.pdf"),
            b"%PDF-1.4\n% purchase order 4711 for the MFA solution (test fixture)\n%%EOF\n",
        )
        .unwrap();
        std::fs::write(
            a.join("adfs-rules.txt"),
            "@RuleName = \"Pass through claim - authnmethodsreferences\"\n\
             c:[Type == \"http://schemas.microsoft.com/claims/authnmethodsreferences\"] => issue(claim = c);\n",
        )
        .unwrap();
        std::fs::write(
            a.join("domain-fed.json"),
            r#"{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#domains('contoso.test')/federationConfiguration","value":[{"id":"6a7f3f36-0000-0000-0000-000000000001","displayName":"Contoso AD FS","issuerUri":"http://sts.contoso.test/adfs/services/trust","passiveSignInUri":"https://sts.contoso.test/adfs/ls/","federatedIdpMfaBehavior":"acceptIfMfaDoneByFederatedIdp","promptLoginBehavior":"nativeSupport"}]}
"#,
        )
        .unwrap();
        Work { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn run(&self, args: &[&str]) -> common::Out {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_fedcheck"));
        cmd.current_dir(self.path());
        cmd.args(args);
        cmd.env_remove("NO_COLOR");
        run_cmd(cmd, args, None)
    }

    /// Every file under `rel`, path -> bytes.
    fn files(&self, rel: &str) -> BTreeMap<String, Vec<u8>> {
        let root = self.path().join(rel);
        let mut out = BTreeMap::new();
        for e in walkdir::WalkDir::new(&root).sort_by_file_name() {
            let e = e.unwrap();
            if e.file_type().is_file() {
                let rel = e
                    .path()
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(e.path()).unwrap());
            }
        }
        out
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path().join(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    /// Names in the working folder that look like a bundle's temporary leftovers.
    fn leftovers(&self) -> Vec<String> {
        std::fs::read_dir(self.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("fedcheck-tmp") || n.contains("fedcheck-old") || n.contains("fedcheck-probe"))
            .collect()
    }
}

fn copy_tree(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from) {
        let e = e.unwrap();
        let rel = e.path().strip_prefix(from).unwrap();
        let dest = to.join(rel);
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else if e.file_type().is_file() {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// The issue's example: a HAR, the IdP metadata, the domain's federation settings, AD FS rules, a purchase order.
fn capture_args(out: &str) -> Vec<String> {
    [
        "bundle",
        "encoded/capture.har",
        "--metadata",
        "metadata/wsfed-federationmetadata.xml",
        "--federation-config",
        "attach/domain-fed.json",
        "--attach-config",
        "attach/adfs-rules.txt",
        "--attach",
        "attach/purchase-order.pdf",
        "--at",
        AT,
        "--redaction-key",
        KEY,
        "--out",
        out,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({
        snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"),
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn capture_bundle_layout_and_snapshots() {
    let w = Work::new();
    let out = w.run(&strs(&capture_args("evidence/")));
    assert_eq!(out.code, 0, "{}", out.describe());
    assert!(out.stdout.contains("Verdict: PASS"), "{}", out.describe());

    let files = w.files("evidence");
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        vec![
            "README.md",
            "attachments/purchase-order.pdf",
            "config/entra/domain-fed.json",
            "config/idp/adfs-rules.txt",
            "config/metadata/source.json",
            "config/metadata/wsfed-federationmetadata.xml",
            "config/trust-anchors/01-46b8b36f.pem",
            "config/trust-anchors/02-0a1d8f3a.pem",
            "junit.xml",
            "manifest.json",
            "report.html",
            "report.json",
            "report.md",
            "request.md",
            "tokens/01-wsfed-saml11.xml",
            "tokens/02-saml2.xml",
        ]
    );
    assert!(w.path().join("evidence.zip").is_file());

    // Untouched copies.
    for (bundle_path, original) in [
        ("attachments/purchase-order.pdf", "attach/purchase-order.pdf"),
        ("config/entra/domain-fed.json", "attach/domain-fed.json"),
        ("config/idp/adfs-rules.txt", "attach/adfs-rules.txt"),
        (
            "config/metadata/wsfed-federationmetadata.xml",
            "metadata/wsfed-federationmetadata.xml",
        ),
    ] {
        assert_eq!(
            files[bundle_path],
            std::fs::read(w.path().join(original)).unwrap(),
            "{bundle_path}"
        );
    }
    let pem = String::from_utf8(files["config/trust-anchors/01-46b8b36f.pem"].clone()).unwrap();
    assert!(
        pem.contains("SHA-1 thumbprint:   46B8B36FACEFEE67DFAD1F646FB57AF465EAD33E"),
        "{pem}"
    );
    assert!(pem.contains("Valid to:           2035-01-01T00:00:00Z") && pem.contains("-----BEGIN CERTIFICATE-----"));

    // The manifest lists every other file with its hash and size; the redaction key is not recorded.
    let manifest: Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
    let listed: Vec<&str> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = names.iter().copied().filter(|n| *n != "manifest.json").collect();
    assert_eq!(listed, expected);
    for f in manifest["files"].as_array().unwrap() {
        let data = &files[f["path"].as_str().unwrap()];
        assert_eq!(f["size"].as_u64().unwrap(), data.len() as u64);
        let hex: String = openssl::sha::sha256(data).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(f["sha256"], hex.as_str());
    }
    let all_text: String = files
        .values()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect();
    assert!(!all_text.contains(KEY), "the redaction key leaked into the bundle");

    // report.json keeps the check contract (same verdicts and checks) and adds `redaction`.
    let report: Value = serde_json::from_slice(&files["report.json"]).unwrap();
    assert_eq!(report["verdict"], "pass");
    assert_eq!(report["tokens"].as_array().unwrap().len(), 2);
    assert_eq!(report["redaction"]["enabled"], true);
    assert!(report["tokens"][0]["signature"]["valid"].as_bool().unwrap());
    let check = w.run(&[
        "check",
        "encoded/capture.har",
        "--metadata",
        "metadata/wsfed-federationmetadata.xml",
        "--federation-config",
        "attach/domain-fed.json",
        "--at",
        AT,
        "--format",
        "json",
    ]);
    let plain = check.json();
    for (a, b) in plain["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .zip(report["tokens"].as_array().unwrap())
    {
        let ids = |t: &Value| -> Vec<(String, String)> {
            t["checks"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| {
                    (
                        c["id"].as_str().unwrap().to_string(),
                        c["status"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        };
        assert_eq!(ids(a), ids(b));
        assert_eq!(a["verdict"], b["verdict"]);
        assert_eq!(a["signature"], b["signature"]);
    }

    // request.md: domain, product, method, verdict, attachments. The metadata is a WS-Fed role at AD FS's paths,
    // not AD FS's metadata, and the tokens' IDs are not AD FS's: the product is unknown, and request.md says why.
    let request = w.read("evidence/request.md");
    for needle in [
        "Tenant domain: contoso.test",
        "Identity provider: unknown (give --idp-product): ",
        "WS-Federation",
        "SAML-P",
        "federatedIdpMfaBehavior: acceptIfMfaDoneByFederatedIdp",
        "Result: PASS",
        "attachments/purchase-order.pdf",
        "config/idp/adfs-rules.txt",
    ] {
        assert!(request.contains(needle), "request.md lacks {needle:?}:\n{request}");
    }
    let readme = w.read("evidence/README.md");
    assert!(
        readme.contains("no longer verify") && readme.contains("fedcheck verify-bundle evidence/"),
        "{readme}"
    );

    for name in ["report.md", "report.json", "manifest.json", "junit.xml"] {
        snapshot(
            &format!("bundle__capture__{name}"),
            &String::from_utf8(files[name].clone()).unwrap(),
        );
    }

    // verify-bundle: the folder and the zip are intact.
    for target in ["evidence", "evidence/", "evidence.zip"] {
        let v = w.run(&["verify-bundle", target]);
        assert_eq!(v.code, 0, "{}", v.describe());
        assert!(v.stdout.contains("INTACT: 15 file(s)"), "{}", v.describe());
    }
}

#[test]
fn failing_tokens_bundle_snapshots() {
    let w = Work::new();
    let out = w.run(&[
        "bundle",
        "saml2/password-sha256.xml",
        "wsfed/otp-nearmiss.xml",
        "saml2/mfa-untrusted.xml",
        "--idp-cert",
        "keys/idp-signing.crt",
        "--expect-issuer",
        common::ISSUER,
        "--idp-product",
        "Contoso IdP 9.1",
        "--tenant-domain",
        "contoso.test",
        "--at",
        AT,
        "--redaction-key",
        KEY,
        "--out",
        "failing",
    ]);
    assert_eq!(out.code, 1, "{}", out.describe());
    let files = w.files("failing");
    let junit = String::from_utf8(files["junit.xml"].clone()).unwrap();
    assert!(junit.contains("<failure message="), "{junit}");
    let request = String::from_utf8(files["request.md"].clone()).unwrap();
    assert!(
        request.contains("Identity provider: Contoso IdP 9.1") && request.contains("Result: FAIL"),
        "{request}"
    );
    for name in ["report.md", "manifest.json", "junit.xml"] {
        snapshot(
            &format!("bundle__failing__{name}"),
            &String::from_utf8(files[name].clone()).unwrap(),
        );
    }
    let v = w.run(&["verify-bundle", "failing.zip"]);
    assert_eq!(v.code, 0, "{}", v.describe());
}

#[test]
fn same_inputs_same_bytes() {
    let w1 = Work::new();
    let w2 = Work::new();
    let a = w1.run(&strs(&capture_args("evidence")));
    // Another spelling of the same folder: the manifest records only the folder's name.
    let b = w2.run(&strs(&capture_args("./evidence/")));
    assert_eq!(a.code, 0, "{}", a.describe());
    assert_eq!(b.code, 0, "{}", b.describe());
    assert_eq!(w1.files("evidence"), w2.files("evidence"));
    let z1 = std::fs::read(w1.path().join("evidence.zip")).unwrap();
    let z2 = std::fs::read(w2.path().join("evidence.zip")).unwrap();
    assert!(z1 == z2, "the two zips differ");
    // The zip holds exactly the folder's files under `evidence/`, stamped with --at.
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(z1)).unwrap();
    let mut from_zip = BTreeMap::new();
    for i in 0..z.len() {
        let mut e = z.by_index(i).unwrap();
        let t = e.last_modified().unwrap();
        assert_eq!(
            (t.year(), t.month(), t.day(), t.hour(), t.minute()),
            (2026, 1, 15, 10, 5)
        );
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        from_zip.insert(e.name().strip_prefix("evidence/").unwrap().to_string(), data);
    }
    assert_eq!(from_zip, w1.files("evidence"));

    // Without --redaction-key the key is random: placeholders differ between runs, nothing else does.
    let mut args = capture_args("r1");
    let k = args.iter().position(|a| a == "--redaction-key").unwrap();
    args.drain(k..k + 2);
    assert_eq!(w1.run(&strs(&args)).code, 0);
    *args.last_mut().unwrap() = "r2".into();
    assert_eq!(w1.run(&strs(&args)).code, 0);
    let (r1, r2) = (w1.read("r1/report.json"), w1.read("r2/report.json"));
    assert_ne!(r1, r2);
    // Placeholders are `redacted:KIND:` + 12 hex digits: drop the digits, compare the rest.
    let strip = |s: &str| -> String {
        let mut out = String::new();
        for (i, part) in s.split("redacted:").enumerate() {
            if i == 0 {
                out.push_str(part);
                continue;
            }
            let colon = part.find(':').expect("redacted:KIND:HEX");
            out.push_str(&part[..colon]);
            out.push_str(&part[colon + 13..]);
        }
        out
    };
    assert_eq!(strip(&r1), strip(&r2));
}

#[test]
fn redaction_is_consistent_and_complete() {
    let w = Work::new();
    let out = w.run(&strs(&capture_args("evidence")));
    assert_eq!(out.code, 0, "{}", out.describe());
    let files = w.files("evidence");
    let upn_p = fedcheck::bundle::placeholder(KEY.as_bytes(), "upn", UPN);
    let id_p = fedcheck::bundle::placeholder(KEY.as_bytes(), "nameid", IMMUTABLE_ID);
    for (path, data) in &files {
        if path.starts_with("config/") || path.starts_with("attachments/") {
            continue;
        }
        let text = String::from_utf8_lossy(data);
        assert!(!text.contains(UPN), "{path} still holds the UPN");
        assert!(!text.contains(IMMUTABLE_ID), "{path} still holds the ImmutableID");
    }
    // The same user has the same placeholder in the tokens and in every report.
    for path in [
        "tokens/01-wsfed-saml11.xml",
        "tokens/02-saml2.xml",
        "report.json",
        "report.md",
        "report.html",
    ] {
        let text = String::from_utf8_lossy(&files[path]);
        assert!(text.contains(&upn_p), "{path} lacks {upn_p}");
        assert!(text.contains(&id_p), "{path} lacks {id_p}");
    }
    let report: Value = serde_json::from_slice(&files["report.json"]).unwrap();
    let fields = report["redaction"]["fields"].as_array().unwrap();
    assert!(fields.iter().any(|f| f == "NameID"), "{fields:?}");
    assert!(
        fields.iter().any(|f| f.as_str().unwrap().starts_with("UPN")),
        "{fields:?}"
    );
    assert!(
        fields.iter().any(|f| f.as_str().unwrap().starts_with("ImmutableID")),
        "{fields:?}"
    );
    assert!(w.read("evidence/report.md").contains("## Redaction"));

    // The redacted token copies no longer verify (their signed content changed), as the README says; the
    // report's signature result was computed on the originals.
    assert_eq!(report["tokens"][1]["signature"]["valid"], true);
    let redacted = w.run(&[
        "check",
        "evidence/tokens/02-saml2.xml",
        "--idp-cert",
        "keys/idp-signing.crt",
        "--at",
        AT,
    ]);
    assert_eq!(redacted.code, 1, "{}", redacted.describe());

    // --no-redact keeps the raw tokens: they still verify.
    let raw = w.run(&[
        "bundle",
        "encoded/capture.har",
        "--metadata",
        "metadata/wsfed-federationmetadata.xml",
        "--at",
        AT,
        "--no-redact",
        "--out",
        "raw",
    ]);
    assert_eq!(raw.code, 0, "{}", raw.describe());
    assert!(w.read("raw/tokens/02-saml2.xml").contains(UPN));
    assert!(w.read("raw/report.md").contains("Redaction was turned off"));
    let ok = w.run(&[
        "check",
        "raw/tokens/02-saml2.xml",
        "--idp-cert",
        "keys/idp-signing.crt",
        "--at",
        AT,
    ]);
    assert_eq!(ok.code, 0, "{}", ok.describe());

    // --redact adds an attribute that is not redacted by default, by the last segment of its claim type.
    let custom = w.run(&[
        "bundle",
        "wsfed/attr-authnmethodsreferences.xml",
        "--idp-cert",
        "keys/idp-signing.crt",
        "--at",
        AT,
        "--redaction-key",
        KEY,
        "--redact",
        "authnmethodsreferences",
        "--out",
        "custom",
    ]);
    assert!(custom.code == 0 || custom.code == 1, "{}", custom.describe());
    let report = w.read("custom/report.json");
    assert!(report.contains("redacted:attr:"), "{report}");
    assert!(
        report.contains("attribute http://schemas.microsoft.com/claims/authnmethodsreferences (--redact)"),
        "{report}"
    );
}

#[test]
fn verify_bundle_catches_tampering() {
    let w = Work::new();
    assert_eq!(w.run(&strs(&capture_args("evidence"))).code, 0);

    // One byte changed in a token copy.
    let p = w.path().join("evidence/tokens/02-saml2.xml");
    let mut data = std::fs::read(&p).unwrap();
    let i = data.len() / 2;
    data[i] ^= 0x01;
    std::fs::write(&p, &data).unwrap();
    let v = w.run(&["verify-bundle", "evidence"]);
    assert_eq!(v.code, 1, "{}", v.describe());
    assert!(v.stdout.contains("CHANGED  tokens/02-saml2.xml"), "{}", v.describe());
    data[i] ^= 0x01;
    std::fs::write(&p, &data).unwrap();
    assert_eq!(w.run(&["verify-bundle", "evidence"]).code, 0);

    // A file added (even hidden), a file removed.
    std::fs::write(w.path().join("evidence/attachments/.extra"), b"x").unwrap();
    let v = w.run(&["verify-bundle", "evidence"]);
    assert_eq!(v.code, 1, "{}", v.describe());
    assert!(v.stdout.contains("ADDED    attachments/.extra"), "{}", v.describe());
    std::fs::remove_file(w.path().join("evidence/attachments/.extra")).unwrap();
    std::fs::remove_file(w.path().join("evidence/request.md")).unwrap();
    let v = w.run(&["verify-bundle", "evidence"]);
    assert_eq!(v.code, 1, "{}", v.describe());
    assert!(v.stdout.contains("MISSING  request.md"), "{}", v.describe());

    // The zip: one entry rewritten with one byte changed (a valid zip otherwise).
    let zpath = w.path().join("evidence.zip");
    let original = std::fs::read(&zpath).unwrap();
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(original.clone())).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..z.len() {
        let mut e = z.by_index(i).unwrap();
        let name = e.name().to_string();
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        if name == "evidence/report.json" {
            let j = data.iter().position(|b| *b == b'p').unwrap();
            data[j] = b'f';
        }
        out.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        out.write_all(&data).unwrap();
    }
    let tampered = w.path().join("tampered.zip");
    std::fs::write(&tampered, out.finish().unwrap().into_inner()).unwrap();
    let v = w.run(&["verify-bundle", "tampered.zip"]);
    assert_eq!(v.code, 1, "{}", v.describe());
    assert!(v.stdout.contains("CHANGED  report.json"), "{}", v.describe());

    // A raw byte flipped inside the zip's compressed data: the entry no longer reads back, so it is altered.
    let mut raw = original.clone();
    let name = b"evidence/report.html";
    let at = raw
        .windows(name.len())
        .position(|w| w == name)
        .expect("local header of report.html");
    raw[at + name.len() + 200] ^= 0xFF;
    std::fs::write(w.path().join("flipped.zip"), &raw).unwrap();
    let v = w.run(&["verify-bundle", "flipped.zip"]);
    assert_eq!(v.code, 1, "{}", v.describe());

    // Not a bundle at all: exit 2.
    for target in ["saml2", "saml2/mfa-sha256.xml", "no-such-bundle"] {
        let v = w.run(&["verify-bundle", target]);
        assert_eq!(v.code, 2, "{}", v.describe());
    }
}

#[test]
fn bad_input_leaves_nothing_behind() {
    let w = Work::new();
    let base = |out: &str| -> Vec<String> {
        vec![
            "bundle".into(),
            "saml2/mfa-sha256.xml".into(),
            "--idp-cert".into(),
            "keys/idp-signing.crt".into(),
            "--at".into(),
            AT.into(),
            "--out".into(),
            out.into(),
        ]
    };
    let gone = |name: &str| !w.path().join(name).exists() && !w.path().join(format!("{name}.zip")).exists();

    // A missing attachment.
    let mut args = base("b1");
    args.extend(["--attach".to_string(), "attach/no-such.pdf".to_string()]);
    let o = w.run(&strs(&args));
    assert_eq!(o.code, 2, "{}", o.describe());
    assert!(o.stderr.contains("--attach attach/no-such.pdf"), "{}", o.describe());
    assert!(gone("b1"));

    // A token that fails to parse, next to a good one.
    let mut args = base("b2");
    args.insert(2, "encoded/truncated.xml".into());
    let o = w.run(&strs(&args));
    assert_eq!(o.code, 2, "{}", o.describe());
    assert!(o.stderr.contains("truncated.xml"), "{}", o.describe());
    assert!(gone("b2"));

    // A federation config that is not JSON.
    let mut args = base("b3");
    args.extend(["--federation-config".to_string(), "attach/adfs-rules.txt".to_string()]);
    let o = w.run(&strs(&args));
    assert_eq!(o.code, 2, "{}", o.describe());
    assert!(gone("b3"));

    // An --out whose parent does not exist, and one that cannot be written.
    let o = w.run(&strs(&base("no/such/dir/evidence")));
    assert_eq!(o.code, 2, "{}", o.describe());
    let ro = w.path().join("readonly");
    std::fs::create_dir(&ro).unwrap();
    let mut perm = std::fs::metadata(&ro).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o555);
    std::fs::set_permissions(&ro, perm).unwrap();
    let probe = ro.join("probe");
    let root_bypasses = std::fs::create_dir(&probe).is_ok(); // root ignores permission bits
    let _ = std::fs::remove_dir(&probe);
    if !root_bypasses {
        let o = w.run(&strs(&base("readonly/evidence")));
        assert_eq!(o.code, 2, "{}", o.describe());
        assert!(!ro.join("evidence").exists());
    }

    // A non-empty folder that is not a bundle: refused, even with --force, and left untouched.
    std::fs::create_dir(w.path().join("mine")).unwrap();
    std::fs::write(w.path().join("mine/keep.txt"), b"mine").unwrap();
    for force in [false, true] {
        let mut args = base("mine");
        if force {
            args.push("--force".into());
        }
        let o = w.run(&strs(&args));
        assert_eq!(o.code, 2, "{}", o.describe());
        assert!(o.stderr.contains("not empty"), "{}", o.describe());
        assert_eq!(std::fs::read(w.path().join("mine/keep.txt")).unwrap(), b"mine");
        assert!(!w.path().join("mine.zip").exists());
    }
    // A previous bundle: refused without --force, replaced with it.
    assert_eq!(w.run(&strs(&base("b4"))).code, 0);
    std::fs::write(w.path().join("b4/extra.txt"), b"x").unwrap();
    let o = w.run(&strs(&base("b4")));
    assert_eq!(o.code, 2, "{}", o.describe());
    assert!(w.path().join("b4/extra.txt").exists());
    let mut args = base("b4");
    args.push("--force".into());
    let o = w.run(&strs(&args));
    assert_eq!(o.code, 0, "{}", o.describe());
    assert!(!w.path().join("b4/extra.txt").exists());
    assert_eq!(w.run(&["verify-bundle", "b4"]).code, 0);
    // An existing zip is refused too, without --force.
    std::fs::remove_dir_all(w.path().join("b4")).unwrap();
    let o = w.run(&strs(&base("b4")));
    assert_eq!(o.code, 2, "{}", o.describe());
    // An empty --out folder is fine.
    std::fs::create_dir(w.path().join("b5")).unwrap();
    let o = w.run(&strs(&base("b5")));
    assert_eq!(o.code, 0, "{}", o.describe());

    assert!(w.leftovers().is_empty(), "temporary files left: {:?}", w.leftovers());
}

/// A token whose (unsigned, so UNVERIFIED) claim carries markup: every renderer must escape it.
fn script_bundle(w: &Work) {
    let xml = std::fs::read_to_string(w.path().join("saml2/mfa-sha256.xml")).unwrap();
    let evil = xml.replace(
        UPN,
        "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;|`**x**`",
    );
    assert_ne!(xml, evil);
    std::fs::write(w.path().join("evil.xml"), evil).unwrap();
    let o = w.run(&[
        "bundle",
        "evil.xml",
        "--idp-cert",
        "keys/idp-signing.crt",
        "--at",
        AT,
        "--no-redact",
        "--out",
        "evil",
    ]);
    assert_eq!(o.code, 1, "{}", o.describe());
}

#[test]
fn markup_in_claims_is_escaped() {
    let w = Work::new();
    script_bundle(&w);
    let html = w.read("evil/report.html");
    assert!(!html.contains("<script"), "unescaped script in report.html");
    assert!(!html.contains("<img"), "unescaped img in report.html");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "the value is not shown escaped"
    );
    assert!(html.contains("default-src 'none'"), "no CSP");
    assert!(
        !html.contains("http://") || !html.contains("<link"),
        "external resource"
    );
    let md = w.read("evil/report.md");
    assert!(
        !md.contains("<script") && !md.contains("<img"),
        "unescaped markup in report.md"
    );
    let junit = w.read("evil/junit.xml");
    assert!(!junit.contains("<script"), "unescaped markup in junit.xml");
    // junit.xml stays well-formed XML.
    let mut reader = quick_xml::Reader::from_str(&junit);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("junit.xml is not well-formed: {e}"),
        }
    }
}

fn find_chromium() -> Option<PathBuf> {
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

/// Runs chromium with a timeout; returns (exit code, stderr).
fn chromium(bin: &Path, profile: &Path, args: &[String]) -> (Option<i32>, String) {
    let mut cmd = Command::new(bin);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--enable-logging=stderr",
        "--v=0",
    ]);
    cmd.arg(format!("--user-data-dir={}", profile.display()));
    cmd.args(args);
    cmd.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("spawn chromium");
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let code = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st.code();
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 120 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    (code, reader.join().unwrap())
}

/// The HTML report in a real browser: rendered to PNG and printed to PDF by headless Chromium, with no console
/// message (no script, no blocked resource). Skipped with a note when Chromium is absent, except under CI
/// (`CI` set), where it is required (`scripts/deps.sh` installs Debian's `chromium`).
#[test]
fn html_report_renders_in_chromium() {
    let Some(bin) = find_chromium() else {
        if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
            panic!("chromium is required under CI (scripts/deps.sh installs it)");
        }
        eprintln!("note: chromium not found; skipping the browser check of report.html (apt-get install chromium)");
        return;
    };
    let w = Work::new();
    assert_eq!(w.run(&strs(&capture_args("evidence"))).code, 0);
    script_bundle(&w);
    for (i, html) in ["evidence/report.html", "evil/report.html"].iter().enumerate() {
        let url = url::Url::from_file_path(w.path().join(html)).unwrap().to_string();
        let png = w.path().join(format!("out{i}.png"));
        let pdf = w.path().join(format!("out{i}.pdf"));
        let profile = w.path().join(format!("profile{i}"));
        let (code, err) = chromium(
            &bin,
            &profile,
            &[
                format!("--screenshot={}", png.display()),
                "--window-size=1200,2000".into(),
                url.clone(),
            ],
        );
        assert_eq!(code, Some(0), "chromium --screenshot failed:\n{err}");
        let (code, err2) = chromium(
            &bin,
            &profile,
            &[
                format!("--print-to-pdf={}", pdf.display()),
                "--no-pdf-header-footer".into(),
                url.clone(),
            ],
        );
        assert_eq!(code, Some(0), "chromium --print-to-pdf failed:\n{err2}");
        let png_bytes = std::fs::read(&png).expect("PNG written");
        assert!(png_bytes.len() > 10_000, "PNG too small: {} bytes", png_bytes.len());
        assert!(png_bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
        let pdf_bytes = std::fs::read(&pdf).expect("PDF written");
        assert!(pdf_bytes.len() > 5_000, "PDF too small: {} bytes", pdf_bytes.len());
        assert!(pdf_bytes.starts_with(b"%PDF-"), "not a PDF");
        for log in [&err, &err2] {
            let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE")).collect();
            assert!(
                console.is_empty(),
                "console messages while rendering {html}:\n{}",
                console.join("\n")
            );
        }
    }
}

/// Chromium's DOM of a page, after loading it (no script runs: the report has none, and its CSP forbids it).
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
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn chromium");
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
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

/// The text of an HTML fragment: tags dropped, the five predefined entities decoded.
fn text_of(html: &str) -> String {
    let mut out = String::new();
    let mut tag = false;
    for ch in html.chars() {
        match ch {
            '<' => tag = true,
            '>' => tag = false,
            _ if !tag => out.push(ch),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Chromium is required under CI; elsewhere its absence skips the test with a note.
fn chromium_or_skip(what: &str) -> Option<PathBuf> {
    let bin = find_chromium();
    if bin.is_none() {
        if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
            panic!("chromium is required under CI (scripts/deps.sh installs it)");
        }
        eprintln!("note: chromium not found; skipping {what} (apt-get install chromium)");
    }
    bin
}

/// The evidence card as Chromium parsed report.html: the first thing after the verdict, outside every collapsible
/// section, with each field a reviewer checks first (tenant domain, IdP product with its reason, issuer, signing
/// certificate and its thumbprints, Entra's signingCertificate, the signed MFA claim as name = value and where it
/// sits, federatedIdpMfaBehavior, the predicted outcome, the period, the sign-ins per user); the details are
/// `<details>` elements, some open, some closed, and there is no script.
#[test]
fn evidence_card_in_chromium() {
    let Some(bin) = chromium_or_skip("the evidence card check") else {
        return;
    };
    let w = Work::new();
    let out = w.run(&[
        "bundle",
        "products/adfs-wsfed-guid.xml",
        "--metadata",
        "products/adfs-federationmetadata.xml",
        "--federation-config",
        "entra/graph-accept-wsfed.json",
        "--signins",
        "signins/graph-beta-page.json",
        "--at",
        AT,
        "--redaction-key",
        KEY,
        "--out",
        "card",
    ]);
    assert_eq!(out.code, 0, "{}", out.describe());
    let url = url::Url::from_file_path(w.path().join("card/report.html"))
        .unwrap()
        .to_string();
    let dom = dump_dom(&bin, &w.path().join("profile"), &url);
    assert!(!dom.contains("<script"), "no script in report.html");

    let card_at = dom
        .find("<table class=\"card\" id=\"evidence-card\">")
        .unwrap_or_else(|| panic!("no evidence card in the DOM:\n{dom}"));
    let first_details = dom.find("<details").expect("collapsible details");
    assert!(card_at < first_details, "the card comes before the details");
    assert!(
        !dom[..card_at].contains("<table"),
        "the card is the first table of the page"
    );
    let card = &dom[card_at..];
    let card = &card[..card.find("</table>").expect("the card's end")];
    let field = |id: &str| -> String {
        let row = card
            .split(&format!("<tr data-field=\"{id}\">"))
            .nth(1)
            .unwrap_or_else(|| panic!("no card row {id}:\n{card}"));
        let row = row.split("</tr>").next().unwrap();
        let value = row
            .split("<td>")
            .nth(1)
            .unwrap_or_else(|| panic!("row {id} has no value: {row}"));
        text_of(value)
    };
    assert_eq!(
        field("tenant-domain"),
        "contoso.test (the attached federation settings)"
    );
    let idp = field("idp");
    assert!(
        idp.starts_with("Microsoft AD FS (from the metadata: the entityID has AD FS's form"),
        "{idp}"
    );
    assert_eq!(field("issuer"), "http://sts.contoso.test/adfs/services/trust (signed)");
    let cert = field("signing-certificate");
    for needle in [
        "subject CN=sts.contoso.test",
        "SHA-1 46B8B36FACEFEE67DFAD1F646FB57AF465EAD33E",
        "SHA-256 D60B24835BF3281A1678495F9E15A0CBF729DB852BC732FD1B67BDB4F35ACD3F",
    ] {
        assert!(cert.contains(needle), "{needle:?} not in {cert:?}");
    }
    let entra_cert = field("entra-certificate");
    assert!(
        entra_cert
            .starts_with("PASS signed with the domain's signingCertificate (46B8B36FACEFEE67DFAD1F646FB57AF465EAD33E"),
        "{entra_cert}"
    );
    // (a line break separates the claim from the other methods; the text runs on)
    assert_eq!(
        field("mfa-claim"),
        "http://schemas.microsoft.com/claims/authnmethodsreferences = http://schemas.microsoft.com/claims/multipleauthn \
         in Assertion/AttributeStatement, signed by the assertion's own signature\
         also seen: password"
    );
    assert_eq!(
        field("mfa-behavior"),
        "acceptIfMfaDoneByFederatedIdp (set on contoso.test)"
    );
    let outcome = field("outcome");
    assert!(
        outcome.starts_with("PASS Entra honours the IdP's MFA claim: no second prompt"),
        "{outcome}"
    );
    assert_eq!(
        field("period"),
        "tokens issued 2026-01-15T10:00:00Z (signed IssueInstant)judged at 2026-01-15T10:05:00Z\
         sign-in logs 2026-01-15T09:00:00Z to 2026-01-15T09:30:00Z"
    );
    let signins = field("signins");
    let alice = fedcheck::bundle::placeholder(KEY.as_bytes(), "upn", UPN);
    assert!(
        signins.starts_with(
            "FAIL 6 user(s), 2 without MFA; 9 sign-in(s): 2 IdP MFA claim, 2 Entra MFA, 3 single-factor, 2 failed"
        ),
        "{signins}"
    );
    assert!(
        signins.contains(&format!(
            "{alice}: 2 sign-in(s), 2 IdP claim, 0 Entra MFA, 0 single-factor, 0 failed"
        )),
        "{signins}"
    );
    assert!(!dom.contains(UPN), "redacted on the card too");

    // The details: the token's section open, how the report was made closed.
    assert!(
        dom.contains(
            "<details class=\"l2\" open=\"\"><summary><h2>Token 1: WS-Federation (SAML 1.1): PASS</h2></summary>"
        ),
        "{dom}"
    );
    assert!(
        dom.contains("<details class=\"l2\"><summary><h2>How this report was made</h2></summary>"),
        "{dom}"
    );
}

/// The number of pages of a PDF: its `/Type /Page` objects (Chromium's PDFs write them uncompressed).
fn pdf_pages(pdf: &[u8]) -> usize {
    let mut n = 0;
    for pat in [b"/Type /Page".as_slice(), b"/Type/Page".as_slice()] {
        n += pdf
            .windows(pat.len() + 1)
            .filter(|w| w.starts_with(pat) && !w[pat.len()].is_ascii_alphanumeric())
            .count();
    }
    n
}

/// Two tokens (the capture bundle) print in at most 3 pages in Chromium's PDF: the card on the first, the details
/// after it, the sections that repeat the card closed.
#[test]
fn two_tokens_print_in_at_most_three_pages() {
    let Some(bin) = chromium_or_skip("the printed page count") else {
        return;
    };
    let w = Work::new();
    assert_eq!(w.run(&strs(&capture_args("evidence"))).code, 0);
    let report: Value = serde_json::from_str(&w.read("evidence/report.json")).unwrap();
    assert_eq!(report["tokens"].as_array().unwrap().len(), 2);
    let url = url::Url::from_file_path(w.path().join("evidence/report.html"))
        .unwrap()
        .to_string();
    let pdf = w.path().join("report.pdf");
    let (code, err) = chromium(
        &bin,
        &w.path().join("profile"),
        &[
            format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer".into(),
            url,
        ],
    );
    assert_eq!(code, Some(0), "chromium --print-to-pdf failed:\n{err}");
    let bytes = std::fs::read(&pdf).expect("PDF written");
    let _ = std::fs::remove_file(&pdf);
    let pages = pdf_pages(&bytes);
    assert!(pages >= 1, "no page found in the PDF");
    assert!(pages <= 3, "two tokens print as {pages} pages");
}

/// A passing token that also names a password sign-in lists it as "also seen", never as a near miss.
#[test]
fn other_methods_on_a_passing_token_are_also_seen() {
    let w = Work::new();
    let out = w.run(&[
        "bundle",
        "wsfed/attr-authnmethodsreferences.xml",
        "--idp-cert",
        "keys/idp-signing.crt",
        "--at",
        AT,
        "--redaction-key",
        KEY,
        "--out",
        "seen",
    ]);
    assert_eq!(out.code, 0, "{}", out.describe());
    for name in ["seen/report.md", "seen/report.html"] {
        let text = w.read(name);
        assert!(
            !text.contains("Near miss"),
            "{name} calls a passing token's method a near miss"
        );
        assert!(text.contains("Also seen: password ("), "{name}");
        assert!(text.contains("also seen: password"), "{name}: not on the card");
    }
    // A failing token's look-alikes stay near misses.
    let out = w.run(&[
        "bundle",
        "saml2/password-sha256.xml",
        "--idp-cert",
        "keys/idp-signing.crt",
        "--at",
        AT,
        "--out",
        "miss",
    ]);
    assert_eq!(out.code, 1, "{}", out.describe());
    let md = w.read("miss/report.md");
    assert!(md.contains("- Near miss: AuthnContextClassRef"), "{md}");
    assert!(!md.contains("Also seen"), "{md}");
}

/// The IdP product in request.md (and on the card) comes from evidence: auth0's wsfed metadata imitating AD FS's
/// entityID and paths is unknown; AD FS's own metadata, or signed tokens with AD FS's issuer form and IDs, name AD
/// FS with the reason; --idp-product wins.
#[test]
fn idp_product_comes_from_evidence() {
    let w = Work::new();
    let product = |name: &str, args: &[&str]| -> String {
        let mut a = vec!["bundle"];
        a.extend_from_slice(args);
        let out_dir = format!("out-{name}");
        a.extend(["--at", AT, "--redaction-key", KEY, "--out", &out_dir]);
        let out = w.run(&a);
        assert_eq!(out.code, 0, "{}", out.describe());
        let request = w.read(&format!("out-{name}/request.md"));
        let line = request
            .lines()
            .find(|l| l.starts_with("Identity provider: "))
            .unwrap_or_else(|| panic!("no product line:\n{request}"))
            .to_string();
        let md = w.read(&format!("out-{name}/report.md"));
        let card = md
            .lines()
            .find(|l| l.starts_with("| **Identity provider** |"))
            .unwrap_or_else(|| panic!("no product on the card:\n{md}"));
        let first = line.trim_start_matches("Identity provider: ");
        let name_only = first.split(" (").next().unwrap();
        assert!(card.contains(&format!("**{name_only}**")), "{card} vs {line}");
        line
    };

    // auth0's npm wsfed metadata, its token made by auth0's npm saml: AD FS's entityID form is not enough.
    let auth0 = product(
        "auth0",
        &[
            "wsfed/mfa-npm-saml11.xml",
            "--metadata",
            "products/auth0-wsfed-federationmetadata.xml",
        ],
    );
    assert!(
        auth0.starts_with("Identity provider: unknown (give --idp-product): the entityID has AD FS's form"),
        "{auth0}"
    );
    assert!(
        auth0.contains("the metadata is not AD FS's (it lacks the WS-Federation ApplicationService role, the SAML 2.0 IdP role, the SAML 2.0 SP role)"),
        "{auth0}"
    );

    // AD FS's metadata, the same token.
    let adfs = product(
        "adfs",
        &[
            "wsfed/mfa-npm-saml11.xml",
            "--metadata",
            "products/adfs-federationmetadata.xml",
        ],
    );
    assert!(
        adfs.starts_with("Identity provider: Microsoft AD FS (from the metadata: the entityID has AD FS's form http://HOST/adfs/services/trust and the metadata has AD FS's shape"),
        "{adfs}"
    );

    // No metadata: the signed token's issuer form and AD FS's _+GUID assertion ID; auth0's IDs are not that.
    let token = product(
        "token",
        &["products/adfs-wsfed-guid.xml", "--idp-cert", "keys/idp-signing.crt"],
    );
    assert!(
        token.starts_with("Identity provider: Microsoft AD FS (from the signed tokens: "),
        "{token}"
    );
    let npm = product(
        "npm",
        &["wsfed/mfa-npm-saml11.xml", "--idp-cert", "keys/idp-signing.crt"],
    );
    assert!(
        npm.starts_with("Identity provider: unknown (give --idp-product)"),
        "{npm}"
    );

    // --idp-product wins over any evidence.
    let given = product(
        "given",
        &[
            "products/adfs-wsfed-guid.xml",
            "--idp-cert",
            "keys/idp-signing.crt",
            "--idp-product",
            "Contoso STS 2",
        ],
    );
    assert_eq!(given, "Identity provider: Contoso STS 2 (as given with --idp-product)");
}
