//! Bounded mutation testing on stable Rust, in every `cargo test`: the fuzzing properties of `fuzz/` (shared
//! through `fuzz/src/props.rs`) checked on a fixed, deterministic set of mutants of the fixtures.
//!
//! Each mutant is 1 to 3 random edits (bit flips, byte overwrites, insertions of random bytes or of XML and
//! encoding tokens, deletions, duplications, splices from another fixture, and copies, moves and removals of
//! whole elements, the shape of signature-wrapping attacks) of one fixture. For every mutant:
//!
//! * `input::load_bytes` returns tokens or an error in every format, never panics;
//! * every token it yields (or the bytes themselves) that parses canonicalizes to bytes that parse again, and
//!   canonicalization is idempotent (the re-parsed canonical output canonicalizes to the same bytes);
//! * `token::analyze` (fedcheck's engine, the fixtures' signing certificate) never panics, returns within
//!   [`HANG_SECS`], and any signature that verifies covers canonical bytes some fixture's valid signature covers.
//!
//! `FEDCHECK_MUTATION_CASES` sets the number of mutants per fixture (default 256; 0 skips);
//! `FEDCHECK_MUTATION_SEED` (a number) changes the fixed seed, to explore locally. A failing case is shrunk by
//! proptest and reported with the mutant's base64; put it in a regression test below.

#[path = "../fuzz/src/props.rs"]
mod props;

use base64::Engine as _;
use props::Oracle;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// A mutant still being checked after this long is reported as a hang and the process aborts.
const HANG_SECS: u64 = 30;
/// Default number of mutants per fixture.
const DEFAULT_CASES: u32 = 256;

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

fn oracle() -> &'static Oracle {
    static ORACLE: OnceLock<Oracle> = OnceLock::new();
    ORACLE.get_or_init(|| Oracle::load(&testdata()))
}

/// Every fixture a splice can take bytes from.
fn donors() -> &'static Vec<Vec<u8>> {
    static DONORS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    DONORS.get_or_init(|| {
        [
            "saml2/mfa-sha256.xml",
            "saml2/wrapped-evil-assertion.xml",
            "saml2/mfa-response-signed.xml",
            "wsfed/mfa-authmethod-sha256.xml",
            "wsfed/wrapped-evil-assertion.xml",
            "encoded/capture.har",
            "encoded/saml2-form.txt",
        ]
        .iter()
        .map(|f| std::fs::read(testdata().join(f)).unwrap_or_else(|e| panic!("{f}: {e}")))
        .collect()
    })
}

/// Tokens worth inserting: XML syntax, namespace and ID games, encodings' special characters.
const DICTIONARY: &[&str] = &[
    "<",
    ">",
    "/>",
    "\"",
    "'",
    "=",
    "&",
    "&amp;",
    "&lt;",
    "&#xD;",
    "&#0;",
    "&#x10FFFF;",
    "&unknown;",
    "<!--x-->",
    "<![CDATA[x]]>",
    "<?pi x?>",
    "<!DOCTYPE r [<!ENTITY e \"x\">]>",
    "<?xml version=\"1.0\" encoding=\"UTF-16\"?>",
    " xmlns=\"\"",
    " xmlns=\"urn:x\"",
    " xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\"",
    " xmlns:ds=\"urn:x\"",
    " xmlns:xml=\"urn:x\"",
    " xml:space=\"preserve\"",
    " ID=\"_a0001\"",
    " AssertionID=\"_b0001\"",
    " Id=\"x\"",
    "saml:",
    "ds:",
    "p:",
    "</saml:Assertion>",
    "<saml:Assertion xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_a0001\">",
    "\r\n",
    "\r",
    "\t",
    "\u{feff}",
    "\u{0}",
    "\u{85}",
    "%3C",
    "%",
    "+",
    "&SAMLResponse=",
    "&wresult=",
    "\\u003c",
    "\\\"",
    "{}",
    "[]",
    "null",
    "==",
    "-_",
];

#[derive(Debug, Clone)]
enum Mutation {
    Flip {
        at: Index,
        bit: u8,
    },
    Set {
        at: Index,
        byte: u8,
    },
    Insert {
        at: Index,
        bytes: Vec<u8>,
    },
    Word {
        at: Index,
        word: Index,
    },
    Delete {
        at: Index,
        len: usize,
    },
    Duplicate {
        from: Index,
        len: usize,
        at: Index,
    },
    Splice {
        donor: Index,
        from: Index,
        len: usize,
        at: Index,
        replace: usize,
    },
    /// Copies a whole element (e.g. an `Assertion`, a `Signature`) before another tag: the wrapping attacks.
    CopyElement {
        which: Index,
        at: Index,
    },
    /// Moves a whole element before another tag.
    MoveElement {
        which: Index,
        at: Index,
    },
    /// Removes a whole element.
    DropElement {
        which: Index,
    },
}

/// Mostly printable ASCII, so most edits keep the document well-formed UTF-8 and reach the verifier.
fn byte() -> impl Strategy<Value = u8> {
    prop_oneof![7 => 0x20u8..0x7f, 1 => any::<u8>()]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        1 => (any::<Index>(), 0u8..7).prop_map(|(at, bit)| Mutation::Flip { at, bit }),
        1 => (any::<Index>(), byte()).prop_map(|(at, byte)| Mutation::Set { at, byte }),
        1 => (any::<Index>(), prop::collection::vec(byte(), 1..8)).prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(at, word)| Mutation::Word { at, word }),
        1 => (any::<Index>(), 1usize..64).prop_map(|(at, len)| Mutation::Delete { at, len }),
        1 => (any::<Index>(), 1usize..512, any::<Index>()).prop_map(|(from, len, at)| Mutation::Duplicate { from, len, at }),
        1 => (any::<Index>(), any::<Index>(), 1usize..512, any::<Index>(), 0usize..512)
            .prop_map(|(donor, from, len, at, replace)| Mutation::Splice { donor, from, len, at, replace }),
        3 => (any::<Index>(), any::<Index>()).prop_map(|(which, at)| Mutation::CopyElement { which, at }),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(which, at)| Mutation::MoveElement { which, at }),
        1 => any::<Index>().prop_map(|which| Mutation::DropElement { which }),
    ]
}

/// Applies the edits in order; positions are taken relative to the current length.
fn apply(seed: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for m in mutations {
        let n = b.len();
        let pos = |i: &Index| if n == 0 { 0 } else { i.index(n + 1) };
        match m {
            Mutation::Flip { at, bit } if n > 0 => b[at.index(n)] ^= 1 << bit,
            Mutation::Set { at, byte } if n > 0 => b[at.index(n)] = *byte,
            Mutation::Flip { .. } | Mutation::Set { .. } => {}
            Mutation::Insert { at, bytes } => {
                let p = pos(at);
                b.splice(p..p, bytes.iter().copied());
            }
            Mutation::Word { at, word } => {
                let p = pos(at);
                b.splice(p..p, DICTIONARY[word.index(DICTIONARY.len())].bytes());
            }
            Mutation::Delete { at, len } => {
                let p = pos(at).min(n);
                b.drain(p..(p + len).min(n));
            }
            Mutation::Duplicate { from, len, at } => {
                let f = pos(from).min(n);
                let chunk = b[f..(f + len).min(n)].to_vec();
                let p = pos(at);
                b.splice(p..p, chunk);
            }
            Mutation::Splice {
                donor,
                from,
                len,
                at,
                replace,
            } => {
                let d = &donors()[donor.index(donors().len())];
                let f = from.index(d.len() + 1).min(d.len());
                let chunk = &d[f..(f + len).min(d.len())];
                let p = pos(at).min(n);
                b.splice(p..(p + replace).min(n), chunk.iter().copied());
            }
            Mutation::CopyElement { which, at } | Mutation::MoveElement { which, at } => {
                let (starts, tags) = (element_starts(&b), tag_starts(&b));
                if starts.is_empty() {
                    continue;
                }
                let Some(span) = element_span(&b, starts[which.index(starts.len())]) else {
                    continue;
                };
                let chunk = b[span.clone()].to_vec();
                let mut p = tags[at.index(tags.len())];
                if matches!(m, Mutation::MoveElement { .. }) {
                    if span.contains(&p) {
                        continue;
                    }
                    b.drain(span.clone());
                    if p >= span.end {
                        p -= span.len();
                    }
                }
                b.splice(p..p, chunk);
            }
            Mutation::DropElement { which } => {
                let starts = element_starts(&b);
                if let Some(span) = (!starts.is_empty())
                    .then(|| element_span(&b, starts[which.index(starts.len())]))
                    .flatten()
                {
                    b.drain(span);
                }
            }
        }
    }
    b
}

/// Offsets of every `<`, or the end when there is none.
fn tag_starts(b: &[u8]) -> Vec<usize> {
    let mut v: Vec<usize> = b
        .iter()
        .enumerate()
        .filter(|(_, c)| **c == b'<')
        .map(|(i, _)| i)
        .collect();
    if v.is_empty() {
        v.push(b.len());
    }
    v
}

/// Offsets of every start tag (`<` followed by a name character).
fn element_starts(b: &[u8]) -> Vec<usize> {
    (0..b.len())
        .filter(|&i| b[i] == b'<' && b.get(i + 1).is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_'))
        .collect()
}

/// The byte range of the element whose start tag is at `start`, by counting tags (a mutation needs no more).
fn element_span(b: &[u8], start: usize) -> Option<std::ops::Range<usize>> {
    let mut depth = 0usize;
    let mut i = start;
    while i < b.len() {
        if b[i] != b'<' {
            i += 1;
            continue;
        }
        let end = i + b[i..].iter().position(|c| *c == b'>')?;
        match b.get(i + 1) {
            Some(b'/') => depth = depth.checked_sub(1)?,
            Some(b'!') | Some(b'?') => {}
            _ if b[end - 1] == b'/' => {}
            _ => depth += 1,
        }
        i = end + 1;
        if depth == 0 {
            return Some(start..i);
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------------------------
// Watchdog: a mutant that takes longer than HANG_SECS is printed (base64) and the process aborts, so a hang fails
// CI with its reproducer instead of timing out silently.

type Running = HashMap<std::thread::ThreadId, (Instant, String, Vec<u8>)>;

fn running() -> &'static Mutex<Running> {
    static RUNNING: OnceLock<Mutex<Running>> = OnceLock::new();
    RUNNING.get_or_init(|| {
        std::thread::spawn(|| loop {
            std::thread::sleep(Duration::from_millis(200));
            let map = running().lock().unwrap_or_else(|e| e.into_inner());
            for (started, fixture, input) in map.values() {
                if started.elapsed() > Duration::from_secs(HANG_SECS) {
                    eprintln!(
                        "HANG: a mutant of {fixture} ran for over {HANG_SECS}s; input base64:\n{}",
                        base64::engine::general_purpose::STANDARD.encode(input)
                    );
                    std::process::abort();
                }
            }
        });
        Mutex::new(HashMap::new())
    })
}

#[derive(Default)]
struct Stats {
    cases: AtomicUsize,
    decoded: AtomicUsize,
    parsed: AtomicUsize,
    verified: AtomicUsize,
}

/// Every property on one input; returns (tokens decoded, documents parsed, tokens with signed claims).
fn check_all(fixture: &str, input: &[u8]) -> (usize, usize, usize) {
    running().lock().unwrap_or_else(|e| e.into_inner()).insert(
        std::thread::current().id(),
        (Instant::now(), fixture.to_string(), input.to_vec()),
    );
    props::check_input(input);
    let xmls: Vec<Vec<u8>> = match fedcheck::input::load_bytes(
        "mutant",
        input,
        fedcheck::input::InputFormat::Auto,
        &fedcheck::input::InputLimits::default(),
    ) {
        Ok(tokens) => tokens.into_iter().map(|t| t.xml).collect(),
        Err(_) => vec![input.to_vec()],
    };
    let decoded = xmls.len();
    let parsed = xmls.iter().filter(|x| props::check_c14n(x)).count();
    let verified = oracle().check_verify(input);
    running()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&std::thread::current().id());
    (decoded, parsed, verified)
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "(non-string panic)".into())
}

fn cases() -> u32 {
    std::env::var("FEDCHECK_MUTATION_CASES")
        .ok()
        .map(|v| v.trim().parse().expect("FEDCHECK_MUTATION_CASES must be a number"))
        .unwrap_or(DEFAULT_CASES)
}

fn seed(fixture: &str) -> [u8; 32] {
    let extra: u64 = std::env::var("FEDCHECK_MUTATION_SEED")
        .ok()
        .map(|v| v.trim().parse().expect("FEDCHECK_MUTATION_SEED must be a number"))
        .unwrap_or(0);
    // FNV-1a of the fixture name, so each fixture gets its own fixed stream.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ extra;
    for b in fixture.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
    }
    let mut s = [0u8; 32];
    for (i, chunk) in s.chunks_mut(8).enumerate() {
        chunk.copy_from_slice(&(h.rotate_left(i as u32 * 17) ^ i as u64).to_le_bytes());
    }
    s
}

/// Runs the bounded mutation test on one fixture.
fn mutate(fixture: &str) {
    let cases = cases();
    if cases == 0 {
        return;
    }
    let original = std::fs::read(testdata().join(fixture)).unwrap_or_else(|e| panic!("{fixture}: {e}"));
    let started = Instant::now();
    oracle();
    // The unmutated fixture satisfies every property and verifies (otherwise the signed-content property would be
    // vacuous for it).
    let (_, _, verified) = check_all(fixture, &original);
    assert!(verified > 0, "{fixture}: the unmutated fixture has no verified claims");

    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 2048,
        rng_algorithm: RngAlgorithm::ChaCha,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed(fixture)));
    let stats = Stats::default();
    let result = runner.run(&prop::collection::vec(mutation(), 1..=3), |mutations| {
        let input = apply(&original, &mutations);
        match catch_unwind(AssertUnwindSafe(|| check_all(fixture, &input))) {
            Ok((decoded, parsed, verified)) => {
                stats.cases.fetch_add(1, Ordering::Relaxed);
                stats.decoded.fetch_add(decoded, Ordering::Relaxed);
                stats.parsed.fetch_add(parsed, Ordering::Relaxed);
                stats.verified.fetch_add(verified, Ordering::Relaxed);
                Ok(())
            }
            Err(p) => {
                running()
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&std::thread::current().id());
                Err(TestCaseError::fail(format!(
                    "{}\nmutant of {fixture}, base64:\n{}",
                    panic_message(&*p),
                    base64::engine::general_purpose::STANDARD.encode(&input)
                )))
            }
        }
    });
    eprintln!(
        "mutation {fixture}: {} cases in {:.1?}: {} tokens decoded, {} parsed, {} still verified",
        stats.cases.load(Ordering::Relaxed),
        started.elapsed(),
        stats.decoded.load(Ordering::Relaxed),
        stats.parsed.load(Ordering::Relaxed),
        stats.verified.load(Ordering::Relaxed),
    );
    match result {
        Ok(()) => {}
        Err(TestError::Fail(why, mutations)) => panic!("{fixture}: minimal failing edits {mutations:?}: {why}"),
        Err(TestError::Abort(why)) => panic!("{fixture}: aborted: {why}"),
    }
}

#[test]
fn mutants_of_saml2_response() {
    mutate("saml2/mfa-sha256.xml");
}

#[test]
fn mutants_of_wsfed_rstr() {
    mutate("wsfed/mfa-authmethod-sha256.xml");
}

#[test]
fn mutants_of_har_capture() {
    mutate("encoded/capture.har");
}

#[test]
fn mutants_of_saml2_form() {
    mutate("encoded/saml2-form.txt");
}

/// The `decoders` fuzz target's properties (`props::check_decoders`: HTML auto-post pages, lines and the line
/// reader, DEFLATE, UTF-16) on the fixtures of those decoders, in each mode and with several line caps and
/// compression levels: what `cargo fuzz run decoders` checks on mutants, here on a fixed set.
#[test]
fn decoders_on_their_fixtures() {
    let modes = props::DECODER_MODES;
    for fixture in [
        "shapes/autopost-saml.html",
        "shapes/autopost-wsfed.html",
        "shapes/deflate.b64",
        "shapes/utf16le-bom.xml",
        "shapes/utf16be-bom.xml",
        "encoded/mfa-sha256.b64",
        "encoded/saml2-form.txt",
        "saml2/mfa-sha256.xml",
    ] {
        let bytes = std::fs::read(testdata().join(fixture)).unwrap_or_else(|e| panic!("{fixture}: {e}"));
        for mode in (0..modes * 3).chain([1 + modes * 9, 1 + modes * 40, 2 + modes * 9]) {
            let input = [&[mode][..], &bytes].concat();
            if let Err(p) = catch_unwind(AssertUnwindSafe(|| props::check_decoders(&input))) {
                panic!("{fixture}, mode {mode}: {}", panic_message(&*p));
            }
        }
    }
    // Lines over a line break at every position of a short input, with every cap from 1 to 12.
    let short = b"SAMLResponse=PD94\r\n\nabc\r\r\n x \n";
    for cap in 0..12u8 {
        props::check_decoders(&[&[1 + modes * cap][..], &short[..]].concat());
    }
}

/// The known-good set is the fixtures' signed content, no more: a token signed by another key (or tampered) adds
/// nothing, and a fixture's canonical bytes match the pre-digest bytes xmlsec1 wrote when it was generated.
#[test]
fn known_good_set_is_the_fixtures_signed_content() {
    let oracle = oracle();
    let reference = std::fs::read(testdata().join("c14n/saml2__mfa-sha256.1.bin")).expect("c14n reference");
    assert!(
        oracle.known_good.contains(&reference),
        "mfa-sha256's xmlsec1 pre-digest bytes are not known-good"
    );
    let untrusted = std::fs::read(testdata().join("c14n/saml2__mfa-untrusted.1.bin")).expect("c14n reference");
    assert!(
        !oracle.known_good.contains(&untrusted),
        "a token signed by the attacker's key counts as known-good"
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Regression tests: mutants that once broke a property. Each holds the mutant's base64.

#[allow(dead_code)]
fn regression(fixture: &str, b64: &str) {
    let input = base64::engine::general_purpose::STANDARD
        .decode(b64.split_whitespace().collect::<String>())
        .expect("regression input is base64");
    check_all(fixture, &input);
}
