//! The work budget on untrusted XML: documents built to make canonicalization quadratic or to amplify it are
//! refused or bounded with a message naming the limit, instead of running for seconds or exhausting memory.
//! Each document is derived at test time from a signed fixture (the signature no longer matches, which does not
//! matter: the work happens before the digest is compared).

mod common;

use common::*;
use std::time::{Duration, Instant};

/// A generous bound for a debug build on a loaded 2-core machine; before the budget these took 10-60 s (release).
const WALL: Duration = Duration::from_secs(30);

fn fixture() -> String {
    std::fs::read_to_string(testdata().join("saml2/mfa-sha256.xml")).expect("fixture")
}

fn check(name: &str, xml: &str, extra: &[&str]) -> (Out, Duration) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(name);
    std::fs::write(&path, xml).expect("write");
    let p = path.to_string_lossy().to_string();
    let mut args = vec![
        "check",
        &p,
        "--idp-cert",
        "keys/idp-signing.crt",
        "--at",
        AT,
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let start = Instant::now();
    let out = run(&args);
    (out, start.elapsed())
}

/// The fixture with its signed assertion repeated `n` times, each copy with its own ID and a Reference to it (the
/// signatures no longer verify: the work is done before that is known).
fn with_assertions(n: usize) -> String {
    let xml = fixture();
    let start = xml.find("<saml:Assertion").expect("assertion");
    let end = xml.find("</saml:Assertion>").expect("end") + "</saml:Assertion>".len();
    let assertion = &xml[start..end];
    let many: String = (0..n).map(|i| assertion.replace("_a0001", &format!("_s{i}"))).collect();
    format!("{}{many}{}", &xml[..start], &xml[end..])
}

/// A 20 kB namespace URI declared once and used by 30 000 empty elements: exclusive c14n renders the declaration on
/// each (600 MB of canonical bytes from 0.3 MB). Refused by the canonical-bytes budget, exit 2.
#[test]
fn canonicalization_amplification_is_refused() {
    let uri = format!("urn:{}", "a".repeat(20_000));
    let xml = fixture()
        .replacen(
            "<saml:AttributeStatement>",
            &format!("<saml:AttributeStatement xmlns:z=\"{uri}\">"),
            1,
        )
        .replacen(
            "</saml:AttributeStatement>",
            &format!("{}</saml:AttributeStatement>", "<z:e/>".repeat(30_000)),
            1,
        );
    let (out, took) = check("amplify.xml", &xml, &[]);
    assert_eq!(out.code, 2, "{}", out.describe());
    assert!(
        out.stdout.contains("over the work budget") && out.stdout.contains("--max-c14n-factor"),
        "{}",
        out.describe()
    );
    assert!(took < WALL, "took {took:?}");
}

/// 240 prefixes in an `InclusiveNamespaces` list over 20 000 elements with 240 declarations in scope: quadratic
/// namespace work. fedcheck's canonicalizer stays linear; libxmlsec1 (whose canonicalization searches the ancestors
/// for every prefix) is not asked, and the report says why.
#[test]
fn inclusive_prefix_list_does_not_go_quadratic() {
    let prefixes: Vec<String> = (0..240).map(|i| format!("p{i}")).collect();
    let decls: Vec<String> = (0..240).map(|i| format!("xmlns:p{i}=\"urn:p{i}\"")).collect();
    let xml = fixture()
        .replacen(
            "<ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>",
            &format!(
                "<ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"><ec:InclusiveNamespaces xmlns:ec=\"http://www.w3.org/2001/10/xml-exc-c14n#\" PrefixList=\"{}\"/></ds:Transform>",
                prefixes.join(" ")
            ),
            1,
        )
        .replacen(
            "<saml:AttributeStatement>",
            &format!("<saml:AttributeStatement {}>", decls.join(" ")),
            1,
        )
        .replacen(
            "</saml:AttributeStatement>",
            &format!(
                "<saml:Attribute Name=\"x\">{}</saml:Attribute></saml:AttributeStatement>",
                "<saml:AttributeValue>v</saml:AttributeValue>".repeat(20_000)
            ),
            1,
        );
    let (out, took) = check("inclusive.xml", &xml, &[]);
    assert_eq!(out.code, 1, "{}", out.describe());
    assert!(
        out.stdout
            .contains("not run: canonicalizing this document would take libxmlsec1"),
        "{}",
        out.describe()
    );
    assert!(took < WALL, "took {took:?}");
}

/// 100 levels each declaring 200 prefixes, then 30 000 elements using the outermost: 20 000 declarations in scope.
/// Namespace lookups in fedcheck's parser and canonicalizer cost the same whatever is in scope.
#[test]
fn thousands_of_declarations_in_scope_stay_linear() {
    let mut opens = String::new();
    let mut closes = String::new();
    for l in 0..100 {
        let decls: Vec<String> = (0..200).map(|i| format!("xmlns:q{l}_{i}=\"urn:q{l}-{i}\"")).collect();
        opens.push_str(&format!("<d{l} {}>", decls.join(" ")));
        closes.insert_str(0, &format!("</d{l}>"));
    }
    let xml = fixture().replacen(
        "</saml:AttributeStatement>",
        &format!(
            "{opens}{}{closes}</saml:AttributeStatement>",
            "<q0_0:x/>".repeat(30_000)
        ),
        1,
    );
    let (out, took) = check("deepscope.xml", &xml, &["--engines", "fedcheck"]);
    assert_eq!(out.code, 1, "{}", out.describe());
    assert!(took < WALL, "took {took:?}");
    // And libxmlsec1 is not handed it under the default engines.
    let (out, _) = check("deepscope.xml", &xml, &[]);
    assert!(out.stdout.contains("--max-namespace-work"), "{}", out.describe());
}

/// More `ds:Signature` elements than the limit: refused before any is verified, exit 2, naming the flag.
#[test]
fn too_many_signatures_are_refused() {
    let xml = with_assertions(40);
    let (out, took) = check("many.xml", &xml, &[]);
    assert_eq!(out.code, 2, "{}", out.describe());
    assert!(
        out.stdout.contains("40 ds:Signature elements") && out.stdout.contains("--max-signatures"),
        "{}",
        out.describe()
    );
    assert!(took < WALL, "took {took:?}");
}

/// libxmlsec1 canonicalizes the whole document once per signature, so many signatures over a large document are
/// quadratic there (1000 assertions of 3.4 MB: 4.5 s in a release build). With the signature limit raised, the
/// namespace-work budget counts each signature handed to libxmlsec1, and it is not asked: the report names the flag.
#[test]
fn many_signatures_do_not_make_libxmlsec1_quadratic() {
    let xml = with_assertions(800);
    let (out, took) = check("many-signed.xml", &xml, &["--max-signatures", "1000"]);
    assert_eq!(out.code, 1, "{}", out.describe());
    let engines = &out.json()["tokens"][0]["signature"]["engines"];
    let xmlsec = engines[1]["detail"].as_str().unwrap_or_default();
    assert!(
        xmlsec.contains("for its 800 signatures") && xmlsec.contains("--max-namespace-work"),
        "{engines}"
    );
    assert!(took < WALL, "took {took:?}");
}

/// A deadline stops the work: analysis of a token after its deadline has passed ends with a budget error instead of
/// running on (serve sets the deadline of each request, so a timed-out post never keeps its judging slot busy).
#[test]
fn a_passed_deadline_stops_the_analysis() {
    let xml = fixture();
    let anchors =
        vec![
            fedcheck::trust::load_cert_file(testdata().join("keys/idp-signing.crt").to_str().expect("path"))
                .expect("cert"),
        ];
    let engines = fedcheck::saml::Engines {
        fedcheck: true,
        xmlsec: true,
    };
    let limits = fedcheck::xml::Limits {
        deadline: Some(Instant::now()),
        ..Default::default()
    };
    std::thread::sleep(Duration::from_millis(5));
    match fedcheck::saml::analyze(xml.as_bytes(), &anchors, engines, &limits) {
        Err(fedcheck::saml::TokenError::Budget(m)) => assert!(m.contains("deadline"), "{m}"),
        other => panic!("expected a deadline error, got {:?}", other.map(|t| t.protocol)),
    }
    // Without a deadline the same token verifies.
    let ok =
        fedcheck::saml::analyze(xml.as_bytes(), &anchors, engines, &fedcheck::xml::Limits::default()).expect("token");
    assert!(ok.signature_verdict().valid);
}

/// Every file fedcheck reads is read through a size cap: an endless input (`/dev/zero`, a pipe) is refused at the
/// cap instead of filling memory.
#[test]
fn endless_inputs_are_refused_at_their_cap() {
    if !std::path::Path::new("/dev/zero").exists() {
        return;
    }
    let cases: &[&[&str]] = &[&["test", "/dev/zero"]];
    for args in cases {
        let start = Instant::now();
        let out = run(args);
        assert_eq!(out.code, 2, "{}", out.describe());
        assert!(out.stderr.contains("limit"), "{}", out.describe());
        assert!(start.elapsed() < WALL, "{args:?} took {:?}", start.elapsed());
    }
}
