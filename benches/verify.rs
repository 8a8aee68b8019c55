//! Token verification throughput, against the floor of one RSA-2048 public-key operation.
//!
//! ```text
//! cargo bench --bench verify                 # everything, then a summary paragraph
//! cargo bench --bench verify -- fedcheck     # a subset (criterion filter)
//! ```
//!
//! Benchmarks (fixtures are read and prepared once, outside the timed loops):
//! * `check_path/{engines}/{saml2,wsfed}`: the whole per-token path of `fedcheck check --format ndjson`, what a
//!   user runs minus the file system and stdout: the input bytes decoded (`input::load_bytes`), the token judged
//!   (`report::Judge::token`: parse, signatures, claims, every rule, the report) and its NDJSON line serialized;
//!   `check_path_file/...` also reads the token from a file, as a directory run does.
//! * `rsa2048_verify_floor`: one openssl RSA-2048 PKCS#1 v1.5 / SHA-256 verify of the real `SignatureValue` of
//!   `saml2/mfa-sha256.xml` over its canonical `SignedInfo` (about 600 bytes, so hashing is noise): the floor.
//! * `fedcheck_engine/{saml2,wsfed}-mfa-sha256`: `token::analyze` with fedcheck's engine only (parse, c14n, digest,
//!   RSA verify, claims re-parse).
//! * `xmlsec_engine/saml2-mfa-sha256`: `fedcheck::dsig::xmlsec::verify` alone (libxmlsec1 through samael).
//! * `both_engines/saml2-mfa-sha256`: `token::analyze` with both engines.
//! * `split/*` for the SAML 2.0 fixture: `tokenize_only` (quick-xml's events alone: the least any reader does),
//!   `parse_only`, `c14n_only` (assertion, signature excluded),
//!   `signedinfo_c14n_only`, `dsig_verify_only` (dsig::verify on a parsed document: structure checks, c14n, digest,
//!   RSA), `keyinfo_x509_from_der` and `keyinfo_public_key_and_cert_info` (what dsig does with the KeyInfo
//!   certificate on every call), `digest_sha256_of_canonical`, `claims_reparse_only` (parse of the canonical bytes +
//!   claim extraction), to show where the time goes.
//!
//! After criterion, `main` times the RSA floor and the fedcheck engine itself (interleaved rounds of
//! `std::time::Instant`, median of the rounds) and prints the ratio.

use criterion::{black_box, BenchmarkId, Criterion, Throughput};

// The same allocator as the fedcheck binary (src/main.rs), so the figures are what the command does.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use fedcheck::dsig::{self, find_signatures, Profile, DS_NS};
use fedcheck::input::{load_bytes, InputFormat, InputLimits};
use fedcheck::report::stream::token_line;
use fedcheck::report::{Judge, Settings};
use fedcheck::saml::{analyze, extract_claims, Engines};
use fedcheck::trust::{cert_info, load_cert_file, TrustAnchor};
use fedcheck::xml::c14n::{self, canonicalize};
use fedcheck::xml::{Document, Limits, NodeId};
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Public};
use openssl::sign::Verifier;
use openssl::x509::X509;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const FEDCHECK: Engines = Engines {
    fedcheck: true,
    xmlsec: false,
};
const XMLSEC: Engines = Engines {
    fedcheck: false,
    xmlsec: true,
};
const BOTH: Engines = Engines {
    fedcheck: true,
    xmlsec: true,
};

fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata").join(rel)
}

struct Fixtures {
    saml2: Vec<u8>,
    wsfed: Vec<u8>,
    anchors: Vec<TrustAnchor>,
    /// Canonical SignedInfo of the SAML 2.0 assertion signature, its decoded SignatureValue, and the key.
    signed_info: Vec<u8>,
    signature_value: Vec<u8>,
    key: PKey<Public>,
}

fn c14n_method_options(doc: &Document, signed_info: NodeId) -> c14n::Options {
    let cm = doc
        .child_named(signed_info, DS_NS, "CanonicalizationMethod")
        .expect("CanonicalizationMethod");
    let alg = doc.element(cm).unwrap().attr("Algorithm").unwrap();
    assert_eq!(alg, c14n::EXC_C14N, "the fixture uses exc-c14n for SignedInfo");
    c14n::Options::default()
}

fn load() -> Fixtures {
    let saml2 = std::fs::read(testdata("saml2/mfa-sha256.xml")).expect("saml2 fixture");
    let wsfed = std::fs::read(testdata("wsfed/mfa-authmethod-sha256.xml")).expect("wsfed fixture");
    let anchor = load_cert_file(testdata("keys/idp-signing.crt").to_str().unwrap()).expect("idp-signing.crt");
    let key = anchor.key.clone();
    assert_eq!(key.bits(), 2048);

    let doc = Document::parse(&saml2, &Limits::default()).unwrap();
    let sig = find_signatures(&doc)[0];
    let si = doc.child_named(sig, DS_NS, "SignedInfo").unwrap();
    let signed_info = canonicalize(&doc, si, &c14n_method_options(&doc, si)).expect("exclusive c14n");
    let sv = doc.child_named(sig, DS_NS, "SignatureValue").unwrap();
    let sv_text: String = doc.text(sv).split_ascii_whitespace().collect();
    use base64::Engine as _;
    let signature_value = base64::engine::general_purpose::STANDARD.decode(sv_text).unwrap();

    let f = Fixtures {
        saml2,
        wsfed,
        anchors: vec![anchor],
        signed_info,
        signature_value,
        key,
    };

    // Sanity: every measured path succeeds on these inputs, so no benchmark times an early error exit.
    assert!(rsa_floor(&f), "RSA floor: SignatureValue does not verify");
    for (name, xml) in [("saml2", &f.saml2), ("wsfed", &f.wsfed)] {
        let t = analyze(xml, &f.anchors, FEDCHECK, &Limits::default()).unwrap();
        assert!(
            t.signatures.iter().all(|s| s.valid) && t.claims.is_some(),
            "{name}: fedcheck engine did not verify"
        );
    }
    let op = fedcheck::dsig::xmlsec::verify(&f.saml2, 0, &f.anchors);
    assert!(op.valid, "xmlsec engine: {}", op.detail);
    let t = analyze(&f.saml2, &f.anchors, BOTH, &Limits::default()).unwrap();
    assert!(
        t.signatures.iter().all(|s| s.valid && s.disagreement.is_none()),
        "both engines did not agree"
    );
    f
}

fn rsa_floor(f: &Fixtures) -> bool {
    let mut v = Verifier::new(MessageDigest::sha256(), &f.key).unwrap();
    v.update(&f.signed_info).unwrap();
    v.verify(&f.signature_value).unwrap()
}

fn fedcheck_saml2(f: &Fixtures) -> bool {
    let t = analyze(&f.saml2, &f.anchors, FEDCHECK, &Limits::default()).unwrap();
    t.claims.is_some()
}

/// The settings `fedcheck check` resolves for `--idp-cert keys/idp-signing.crt --at 2026-01-15T10:05:00Z`.
fn settings(f: &Fixtures, engines: Engines) -> Settings {
    Settings {
        anchors: f.anchors.clone(),
        metadata: None,
        expect_issuer: None,
        at: chrono::DateTime::parse_from_rfc3339("2026-01-15T10:05:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc),
        at_issue_instant: false,
        skew: chrono::Duration::minutes(5),
        engines,
        xml_limits: Limits::default(),
        federation: None,
        tenant_domain: None,
        stand_in: None,
    }
}

/// One token through the whole `check` path: decode, judge, serialize its NDJSON line into `line` (reused).
fn check_path(judge: &Judge, bytes: &[u8], line: &mut Vec<u8>) -> usize {
    line.clear();
    let tokens = load_bytes("bench", bytes, InputFormat::Auto, &InputLimits::default()).unwrap();
    for raw in tokens {
        let report = judge.token(raw);
        token_line(line, &report);
    }
    line.len()
}

fn bench_check_path(c: &mut Criterion, f: &Fixtures) {
    let dir = std::env::temp_dir().join(format!("fedcheck-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut g = c.benchmark_group("check_path");
    g.throughput(Throughput::Elements(1));
    for (engines_name, engines) in [("fedcheck", FEDCHECK), ("xmlsec", XMLSEC), ("both", BOTH)] {
        let s = settings(f, engines);
        let judge = Judge::new(&s);
        for (name, xml) in [("saml2", &f.saml2), ("wsfed", &f.wsfed)] {
            let mut line = Vec::new();
            check_path(&judge, xml, &mut line);
            assert!(
                String::from_utf8_lossy(&line).contains("\"verdict\":\"pass\""),
                "{engines_name}/{name} does not pass"
            );
            g.bench_function(BenchmarkId::new(engines_name, name), |b| {
                b.iter(|| check_path(&judge, black_box(xml), &mut line))
            });
        }
    }
    g.finish();
    let mut g = c.benchmark_group("check_path_file");
    g.throughput(Throughput::Elements(1));
    let s = settings(f, FEDCHECK);
    let judge = Judge::new(&s);
    for (name, xml) in [("saml2", &f.saml2), ("wsfed", &f.wsfed)] {
        let path = dir.join(format!("{name}.xml"));
        std::fs::write(&path, xml).unwrap();
        let mut line = Vec::new();
        g.bench_function(BenchmarkId::new("fedcheck", name), |b| {
            b.iter(|| {
                let bytes = std::fs::read(&path).unwrap();
                check_path(&judge, &bytes, &mut line)
            })
        });
    }
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

fn bench_all(c: &mut Criterion, f: &Fixtures) {
    let limits = Limits::default();
    bench_check_path(c, f);

    let mut g = c.benchmark_group("floor");
    g.throughput(Throughput::Elements(1));
    g.bench_function("rsa2048_verify_floor", |b| {
        b.iter(|| black_box(rsa_floor(black_box(f))))
    });
    g.finish();

    let mut g = c.benchmark_group("fedcheck_engine");
    g.throughput(Throughput::Elements(1));
    for (name, xml) in [("saml2-mfa-sha256", &f.saml2), ("wsfed-mfa-sha256", &f.wsfed)] {
        g.bench_with_input(BenchmarkId::from_parameter(name), xml, |b, xml| {
            b.iter(|| analyze(black_box(xml), &f.anchors, FEDCHECK, &limits).unwrap())
        });
    }
    g.finish();

    let mut g = c.benchmark_group("xmlsec_engine");
    g.throughput(Throughput::Elements(1));
    g.bench_function("saml2-mfa-sha256", |b| {
        b.iter(|| fedcheck::dsig::xmlsec::verify(black_box(&f.saml2), 0, &f.anchors))
    });
    g.finish();

    let mut g = c.benchmark_group("both_engines");
    g.throughput(Throughput::Elements(1));
    g.bench_function("saml2-mfa-sha256", |b| {
        b.iter(|| analyze(black_box(&f.saml2), &f.anchors, BOTH, &limits).unwrap())
    });
    g.finish();

    // Where the fedcheck engine's time goes, on the SAML 2.0 fixture.
    let doc = Document::parse(&f.saml2, &limits).unwrap();
    let sig = find_signatures(&doc)[0];
    let assertion = doc.parent(sig).unwrap();
    let si = doc.child_named(sig, DS_NS, "SignedInfo").unwrap();
    let opts = c14n::Options {
        exclude: Some(sig),
        ..Default::default()
    };
    let si_opts = c14n_method_options(&doc, si);
    let canonical = canonicalize(&doc, assertion, &opts).expect("exclusive c14n");
    let profile = Profile::tokens();
    let mut g = c.benchmark_group("split");
    g.throughput(Throughput::Elements(1));
    g.bench_function("tokenize_only", |b| b.iter(|| tokenize(black_box(&f.saml2))));
    g.bench_function("parse_only", |b| {
        b.iter(|| Document::parse(black_box(&f.saml2), &limits).unwrap())
    });
    g.bench_function("c14n_only", |b| {
        b.iter(|| canonicalize(black_box(&doc), assertion, &opts))
    });
    g.bench_function("signedinfo_c14n_only", |b| {
        b.iter(|| canonicalize(black_box(&doc), si, &si_opts))
    });
    g.bench_function("dsig_verify_only", |b| {
        b.iter(|| {
            let check = dsig::verify(black_box(&doc), sig, &f.anchors, &profile);
            assert!(check.outcome.is_ok());
            check
        })
    });
    // dsig::check parses every KeyInfo X509Certificate on every verification (X509::from_der, public_key,
    // cert_info), even when it is byte-for-byte a trust anchor; measured here in isolation.
    let ki = doc.find_all(sig, DS_NS, "X509Certificate")[0];
    let ki_der = {
        use base64::Engine as _;
        let t: String = doc.text(ki).split_ascii_whitespace().collect();
        base64::engine::general_purpose::STANDARD.decode(t).unwrap()
    };
    g.bench_function("keyinfo_x509_from_der", |b| {
        b.iter(|| X509::from_der(black_box(&ki_der)).unwrap())
    });
    let ki_cert = X509::from_der(&ki_der).unwrap();
    g.bench_function("keyinfo_public_key_and_cert_info", |b| {
        b.iter(|| {
            let key = black_box(&ki_cert).public_key().unwrap();
            cert_info(&ki_cert, &key).unwrap()
        })
    });
    g.bench_function("digest_sha256_of_canonical", |b| {
        b.iter(|| openssl::hash::hash(MessageDigest::sha256(), black_box(&canonical)).unwrap())
    });
    g.bench_function("claims_reparse_only", |b| {
        b.iter(|| {
            let d = Document::parse(black_box(&canonical), &limits).unwrap();
            extract_claims(&d, d.root())
        })
    });
    g.finish();
}

/// The least any XML reader does: quick-xml's events over the token, with no tree, no names or namespaces resolved,
/// no character or well-formedness checks beyond its own. A lower bound for parsing, not a parser.
fn tokenize(xml: &[u8]) -> usize {
    let mut r = quick_xml::Reader::from_reader(xml);
    let mut events = 0;
    while !matches!(r.read_event(), Ok(quick_xml::events::Event::Eof) | Err(_)) {
        events += 1;
    }
    events
}

/// Mean time per call of `op`, as the median over `rounds` rounds of `per_round` calls.
fn median_mean(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn summary(f: &Fixtures) {
    const ROUNDS: usize = 21;
    const FLOOR_N: u32 = 400;
    const ENGINE_N: u32 = 200;
    let s = settings(f, FEDCHECK);
    let judge = Judge::new(&s);
    let mut line = Vec::new();
    // Warm up.
    for _ in 0..200 {
        black_box(rsa_floor(f));
        black_box(fedcheck_saml2(f));
        black_box(check_path(&judge, &f.wsfed, &mut line));
    }
    let mut floor = Vec::with_capacity(ROUNDS);
    let mut engine = Vec::with_capacity(ROUNDS);
    let mut whole = Vec::with_capacity(ROUNDS);
    let mut tokenized = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let t = Instant::now();
        for _ in 0..ENGINE_N {
            black_box(tokenize(black_box(&f.wsfed)));
        }
        tokenized.push(t.elapsed() / ENGINE_N);
        let t = Instant::now();
        for _ in 0..FLOOR_N {
            black_box(rsa_floor(black_box(f)));
        }
        floor.push(t.elapsed() / FLOOR_N);
        let t = Instant::now();
        for _ in 0..ENGINE_N {
            black_box(fedcheck_saml2(black_box(f)));
        }
        engine.push(t.elapsed() / ENGINE_N);
        let t = Instant::now();
        for _ in 0..ENGINE_N {
            black_box(check_path(&judge, black_box(&f.wsfed), &mut line));
        }
        whole.push(t.elapsed() / ENGINE_N);
    }
    let floor = median_mean(&mut floor);
    let engine = median_mean(&mut engine);
    let whole = median_mean(&mut whole);
    let tokenized = median_mean(&mut tokenized);
    let ratio = engine.as_secs_f64() / floor.as_secs_f64();
    let whole_ratio = whole.as_secs_f64() / floor.as_secs_f64();
    println!();
    println!(
        "== summary (own timing: median of {ROUNDS} interleaved rounds of {FLOOR_N} floor / {ENGINE_N} engine and \
         check-path calls)"
    );
    println!(
        "One RSA-2048 PKCS#1 v1.5 SHA-256 verify (the floor) takes {:.1} us ({:.0} verify/s); the fedcheck engine \
         on saml2/mfa-sha256.xml (parse, c14n, digest, RSA verify, claims re-parse) takes {:.1} us ({:.0} tokens/s), \
         {:.2}x the floor; the whole check path on wsfed/mfa-authmethod-sha256.xml (decode, judge every rule, the \
         NDJSON line; no file system) takes {:.1} us ({:.0} tokens/s per core), {:.2}x the floor.",
        floor.as_secs_f64() * 1e6,
        1.0 / floor.as_secs_f64(),
        engine.as_secs_f64() * 1e6,
        1.0 / engine.as_secs_f64(),
        ratio,
        whole.as_secs_f64() * 1e6,
        1.0 / whole.as_secs_f64(),
        whole_ratio,
    );
    println!(
        "Only tokenizing the same WS-Fed token with quick-xml (no tree, no checks) takes {:.1} us, {:.2}x the floor: \
         the whole path parses the token and re-parses the signed assertion from its canonical bytes.",
        tokenized.as_secs_f64() * 1e6,
        tokenized.as_secs_f64() / floor.as_secs_f64(),
    );
}

fn main() {
    let f = load();
    let mut c = Criterion::default().configure_from_args();
    bench_all(&mut c, &f);
    c.final_summary();
    // `cargo bench` passes --bench; `cargo test --benches` does not, and only smoke-tests the benchmarks.
    if std::env::args().any(|a| a == "--bench") {
        summary(&f);
    }
}
