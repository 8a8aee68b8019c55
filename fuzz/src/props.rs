//! The properties fedcheck is fuzzed against, shared by the cargo-fuzz targets (`fuzz/fuzz_targets/`) and the
//! bounded mutation test that runs in every `cargo test` (`tests/mutation.rs` includes this file with `#[path]`).
//!
//! Depends only on `fedcheck` and the standard library, so it compiles in both crates.
//!
//! * [`check_input`]: `input::load_bytes` returns tokens or a typed error for any bytes, in every format.
//! * [`check_c14n`]: `xml::Document::parse` either fails or gives a tree whose every element canonicalizes to
//!   bytes that parse again, and canonicalizing that re-parsed output gives the same bytes (idempotence).
//! * [`Oracle::check_verify`]: `saml::analyze` never panics, and every signature that verifies covers canonical
//!   bytes that a valid signature of one of the committed fixtures covers: a mutation can make a token fail, but
//!   never make *different* signed content verify.
//! * [`check_bundle`]: `bundle::verify_zip_bytes`, `verify_tar_bytes` and `verify_tar_gz_bytes` return a
//!   verification or a typed error for any bytes, within small limits, and a verification accounts for every file
//!   the manifest lists exactly once.
#![allow(dead_code)]

use fedcheck::bundle::{self, SignatureCheck, VerifyOptions};
use fedcheck::dsig::{self, Profile};
use fedcheck::input::{self, InputFormat, InputLimits};
use fedcheck::saml::{self, Engines};
use fedcheck::trust::{self, TrustAnchor};
use fedcheck::xml::c14n::{self, Options};
use fedcheck::xml::{Document, Limits};
use std::collections::HashSet;
use std::path::Path;

/// Every input format, `Auto` first.
pub const FORMATS: [InputFormat; 6] = [
    InputFormat::Auto,
    InputFormat::Xml,
    InputFormat::Base64,
    InputFormat::Form,
    InputFormat::Har,
    InputFormat::SamlTracer,
];

/// Most elements whose subtree [`check_c14n`] canonicalizes, so a large input stays linear-ish.
const MAX_C14N_ELEMENTS: usize = 64;

/// Limits for re-parsing canonical output: exclusive c14n copies inherited namespace declarations onto the apex,
/// so the output may legitimately carry more attributes than the original element had.
const REPARSE_LIMITS: Limits = Limits {
    max_depth: 1024,
    max_attributes: 1 << 20,
    max_nodes: 1 << 24,
    max_signatures: 32,
    c14n_factor: 8,
    max_namespace_work: 50_000_000,
    deadline: None,
};

/// `load_bytes` in every format: tokens or a typed error, never a panic, never more tokens than the limit.
pub fn check_input(data: &[u8]) {
    let limits = InputLimits::default();
    for format in FORMATS {
        if let Ok(tokens) = input::load_bytes("fuzz", data, format, &limits) {
            assert!(
                tokens.len() <= limits.max_tokens,
                "{} tokens from one input",
                tokens.len()
            );
        }
    }
}

/// Limits small enough that no input can make one case slow: 256 entries, 1 MiB each, 4 MiB in all.
pub const BUNDLE_LIMITS: bundle::Limits = bundle::Limits {
    max_entries: 256,
    max_entry_bytes: 1 << 20,
    max_total_bytes: 4 << 20,
    max_ratio: 100,
};

/// The same bytes read as a zip, a tar and a tar.gz bundle: a verification or a typed error, never a panic; a
/// verification lists each manifest file exactly once as intact, missing or changed, never reports a listed file
/// as added, never lists the manifest itself, and (no certificate given) never claims a verified signature.
pub fn check_bundle(data: &[u8]) {
    let opts = VerifyOptions {
        limits: BUNDLE_LIMITS,
        signer_cert: None,
    };
    for result in [
        bundle::verify_zip_bytes(data, &opts),
        bundle::verify_tar_bytes(data, &opts),
        bundle::verify_tar_gz_bytes(data, &opts),
    ] {
        let Ok(v) = result else { continue };
        let Some(m) = v.manifest.as_ref() else {
            // Only a manifest that no longer reads back (a bad CRC) gives a verification without one.
            assert!(
                v.changed.len() == 1 && v.changed[0].0 == bundle::MANIFEST && v.intact.is_empty() && !v.ok(),
                "a verification without its manifest: {v:?}"
            );
            continue;
        };
        let accounted = v.intact.len() + v.missing.len() + v.changed.len();
        assert_eq!(accounted, m.files.len(), "every listed file accounted for once");
        let listed: HashSet<&str> = m.files.iter().map(|f| f.path.as_str()).collect();
        for a in &v.added {
            assert!(!listed.contains(a.as_str()), "{a} is listed and reported added");
            assert!(a != bundle::MANIFEST, "the manifest reported as added");
        }
        assert!(
            matches!(v.signature, SignatureCheck::Unsigned | SignatureCheck::NotChecked),
            "a signature verified without a certificate: {:?}",
            v.signature
        );
        assert!(v.files_ok() == (v.missing.is_empty() && v.changed.is_empty() && v.added.is_empty()));
    }
}

/// Parses `data`; when it parses, canonicalizes the root and (up to [`MAX_C14N_ELEMENTS`]) every element, with and
/// without comments, with an inclusive prefix list and with each signature excluded, and checks that each output
/// re-parses and is a fixed point of canonicalization. Returns whether `data` parsed.
pub fn check_c14n(data: &[u8]) -> bool {
    let Ok(doc) = Document::parse(data, &Limits::default()) else {
        return false;
    };
    let root = doc.root();
    let plain = Options::default();
    let comments = Options {
        with_comments: true,
        ..Options::default()
    };
    let inclusive = Options {
        inclusive_prefixes: vec!["#default".into(), "saml".into(), "xs".into(), "ds".into()],
        ..Options::default()
    };
    let c14n10 = Options {
        mode: c14n::Mode::Inclusive10,
        ..Options::default()
    };
    let c14n11 = Options {
        mode: c14n::Mode::Inclusive11,
        ..Options::default()
    };
    for opts in [&plain, &comments, &inclusive, &c14n10, &c14n11] {
        assert_fixed_point(&doc, root, opts);
    }
    for id in (0..doc.len())
        .filter(|id| doc.element(*id).is_some())
        .take(MAX_C14N_ELEMENTS)
    {
        assert_fixed_point(&doc, id, &plain);
        assert_fixed_point(&doc, id, &c14n10);
    }
    for sig in dsig::find_signatures(&doc) {
        if let Some(parent) = doc.parent(sig) {
            let opts = Options {
                exclude: Some(sig),
                ..Options::default()
            };
            assert_fixed_point(&doc, parent, &opts);
        }
    }
    true
}

/// The canonical form of `apex` parses again, and canonicalizing that document's root gives the same bytes.
fn assert_fixed_point(doc: &Document, apex: usize, opts: &Options) {
    // Only inclusive canonicalization can refuse a subtree (an inherited xml:base under c14n 1.1).
    let Ok(once) = c14n::canonicalize(doc, apex, opts) else {
        return;
    };
    let reparsed = Document::parse(&once, &REPARSE_LIMITS).unwrap_or_else(|e| {
        panic!(
            "canonical output of node {apex} ({opts:?}) does not parse again: {e}\n{}",
            String::from_utf8_lossy(&once)
        )
    });
    // Same parameters, except the exclusion: it names a node of the original tree, and the output already lacks it.
    let again_opts = Options {
        exclude: None,
        ..opts.clone()
    };
    let twice = c14n::canonicalize(&reparsed, reparsed.root(), &again_opts).unwrap_or_default();
    assert!(
        once == twice,
        "canonicalization is not idempotent for node {apex} ({opts:?}):\nonce:  {}\ntwice: {}",
        String::from_utf8_lossy(&once),
        String::from_utf8_lossy(&twice)
    );
}

/// The trust anchor the fixtures are signed with and the canonical bytes their valid signatures cover.
pub struct Oracle {
    /// `testdata/keys/idp-signing.crt`.
    pub anchors: Vec<TrustAnchor>,
    /// Canonical octets of every signature in `testdata/{saml2,wsfed,encoded}` that verifies with `anchors`.
    pub known_good: HashSet<Vec<u8>>,
}

impl Oracle {
    /// Loads the anchor and computes the known-good set from the fixtures under `testdata`.
    pub fn load(testdata: &Path) -> Oracle {
        let cert = testdata.join("keys/idp-signing.crt");
        let anchor = trust::load_cert_file(cert.to_str().expect("UTF-8 path"))
            .unwrap_or_else(|e| panic!("cannot load {}: {e}", cert.display()));
        let anchors = vec![anchor];
        let mut known_good = HashSet::new();
        let profile = Profile::tokens();
        for dir in ["saml2", "wsfed", "encoded"] {
            let mut files: Vec<_> = std::fs::read_dir(testdata.join(dir))
                .unwrap_or_else(|e| panic!("cannot list {}/{dir}: {e}", testdata.display()))
                .map(|e| e.expect("dir entry").path())
                .collect();
            files.sort();
            for path in files {
                let bytes = std::fs::read(&path).expect("read fixture");
                let Ok(tokens) = input::load_bytes("seed", &bytes, InputFormat::Auto, &InputLimits::default()) else {
                    continue;
                };
                for t in tokens {
                    let Ok(doc) = Document::parse(trim_token(&t.xml), &Limits::default()) else {
                        continue;
                    };
                    for sig in dsig::find_signatures(&doc) {
                        if let Ok(v) = dsig::verify(&doc, sig, &anchors, &profile).outcome {
                            known_good.insert(v.canonical);
                        }
                    }
                }
            }
        }
        assert!(
            known_good.len() >= 10,
            "only {} verified signatures in the fixtures",
            known_good.len()
        );
        Oracle { anchors, known_good }
    }

    /// Decodes `data` like the CLI (any format, auto-detected; the bytes themselves when nothing decodes) and
    /// analyzes each token with fedcheck's engine alone. Panics if a signature that verifies covers bytes no
    /// fixture's valid signature covers. Returns the number of tokens whose claims were read from signed bytes.
    pub fn check_verify(&self, data: &[u8]) -> usize {
        let xmls: Vec<Vec<u8>> = match input::load_bytes("fuzz", data, InputFormat::Auto, &InputLimits::default()) {
            Ok(tokens) => tokens.into_iter().map(|t| t.xml).collect(),
            Err(_) => vec![data.to_vec()],
        };
        let engines = Engines {
            fedcheck: true,
            xmlsec: false,
        };
        let mut verified = 0;
        for xml in xmls {
            let Ok(tok) = saml::analyze(&xml, &self.anchors, engines, &Limits::default()) else {
                continue;
            };
            let mut signed = 0;
            for s in &tok.signatures {
                if let (true, Ok(v)) = (s.valid, &s.check.outcome) {
                    assert!(
                        self.known_good.contains(&v.canonical),
                        "a {} signature verified over canonical bytes no fixture signs:\n{}",
                        s.signed_element,
                        String::from_utf8_lossy(&v.canonical)
                    );
                    signed += 1;
                }
            }
            if tok.claims.is_some() {
                assert!(signed > 0, "claims read although no signature verified");
                verified += 1;
            }
        }
        verified
    }
}

/// What `saml::analyze` parses: a leading BOM and whitespace are not part of the document.
fn trim_token(xml: &[u8]) -> &[u8] {
    let xml = xml.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(xml);
    let start = xml.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(xml.len());
    &xml[start..]
}
