//! The properties fedcheck is fuzzed against, shared by the cargo-fuzz targets (`fuzz/fuzz_targets/`) and the
//! bounded mutation test that runs in every `cargo test` (`tests/mutation.rs` includes this file with `#[path]`).
//!
//! Depends only on `fedcheck`, `base64`, `flate2` and the standard library, which both crates have, so it
//! compiles in both.
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
//! * [`check_decoders`]: the HTML auto-post page, `lines`, DEFLATE and UTF-16 decoders, each driven directly with
//!   the fuzz bytes wrapped as that carrier, with a property each (see there).
#![allow(dead_code)]

use base64::Engine as _;
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
pub const FORMATS: [InputFormat; 8] = [
    InputFormat::Auto,
    InputFormat::Xml,
    InputFormat::Base64,
    InputFormat::Form,
    InputFormat::Har,
    InputFormat::SamlTracer,
    InputFormat::HtmlForm,
    InputFormat::Lines,
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

// ---------------------------------------------------------------------------------------------------------------
// The decoders added after `input_decode`: HTML auto-post pages, lines, DEFLATE, UTF-16

/// How many ways [`check_decoders`] presents its input (the first byte, modulo this, picks one).
pub const DECODER_MODES: u8 = 6;

/// `load_bytes` in `format`: the tokens, never more than the limit, or `None` for a typed error.
fn load(bytes: &[u8], format: InputFormat, limits: &InputLimits) -> Option<Vec<input::RawToken>> {
    let tokens = input::load_bytes("fuzz", bytes, format, limits).ok()?;
    if format != InputFormat::Lines {
        assert!(
            tokens.len() <= limits.max_tokens,
            "{} tokens from one input",
            tokens.len()
        );
    }
    Some(tokens)
}

/// The decoders added after the first targets, each driven directly: the first byte picks how the rest is
/// presented, so the fuzzer reaches each decoder's interior rather than stopping at format detection.
///
/// * 0: an HTML auto-post page whose `SAMLResponse` (or `wresult`) hidden input holds the rest, unescaped (so it
///   can break out of the attribute): detection (`Auto`) and `HtmlForm` give the same tokens.
/// * 1: the rest as a `lines` input: every token names a line that exists. And [`input::lines::LineReader`] over
///   the rest, with a small line cap and reads of a few bytes, gives exactly the lines split at `\n` (one trailing
///   `\r` dropped), a line over the cap as too long.
/// * 2: base64 of the raw DEFLATE of the rest, alone and as a form body: a token taken as deflated is exactly the
///   rest, and a rest that looks like XML (and does not compress to something that does) always comes back so.
/// * 3: the rest itself as the DEFLATE stream (base64 of it): the inflater on arbitrary bytes; a token it gives
///   looks like XML.
/// * 4: the rest (as UTF-8, lossily) encoded as UTF-16 LE and BE, with and without a byte order mark, alone and in
///   base64: `text::decode` gives the text back for the BOM forms, `xml::decode_document` gives the same text as
///   UTF-8 (no declaration to drop), nothing panics.
/// * 5: the rest as it is to the text and XML decoders and the HTML and lines formats.
pub fn check_decoders(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let limits = InputLimits::default();
    match mode % DECODER_MODES {
        0 => html_page(rest, mode / DECODER_MODES % 2 == 1, &limits),
        1 => lines(rest, mode, &limits),
        2 => deflated(rest, mode, &limits),
        3 => {
            let b64 = base64::engine::general_purpose::STANDARD.encode(rest);
            for format in [InputFormat::Base64, InputFormat::Auto] {
                for t in load(b64.as_bytes(), format, &limits).unwrap_or_default() {
                    if t.source.compression.is_some() {
                        assert!(
                            fedcheck::xml::looks_like_xml(&t.xml),
                            "an inflated token that is not XML"
                        );
                    }
                }
            }
        }
        4 => utf16(rest, &limits),
        _ => {
            let _ = input::text::decode(rest);
            let _ = input::text::decode_refusing_nul(rest);
            let _ = fedcheck::xml::decode_document(rest);
            for format in [InputFormat::HtmlForm, InputFormat::Lines] {
                load(rest, format, &limits);
            }
        }
    }
}

/// Mode 0: the rest inside an auto-post page.
fn html_page(rest: &[u8], wresult: bool, limits: &InputLimits) {
    let field: &[u8] = if wresult { b"wresult" } else { b"SAMLResponse" };
    let page = [
        &b"<html><head><title>Working...</title></head><body><form method=\"POST\" name=\"hiddenform\" \
action=\"https://login.microsoftonline.com/login.srf\"><input type=\"hidden\" name=\""[..],
        field,
        b"\" value=\"",
        rest,
        b"\" /><noscript><p>Script is disabled. Click Submit to continue.</p><input type=\"submit\" value=\"Submit\" />\
</noscript></form><script language=\"javascript\">window.setTimeout('document.forms[0].submit()', 0);</script>\
</body></html>",
    ]
    .concat();
    let by_form = load(&page, InputFormat::HtmlForm, limits);
    let detected = load(&page, InputFormat::Auto, limits);
    let xmls =
        |t: &Option<Vec<input::RawToken>>| t.as_ref().map(|v| v.iter().map(|t| t.xml.clone()).collect::<Vec<_>>());
    assert_eq!(
        xmls(&by_form),
        xmls(&detected),
        "an auto-post page detected as another format"
    );
    load(rest, InputFormat::HtmlForm, limits);
}

/// Mode 1: the rest as lines, through `load_bytes` and through the line reader against a split at `\n`.
fn lines(rest: &[u8], mode: u8, limits: &InputLimits) {
    let count = rest.split(|b| *b == b'\n').count();
    for t in load(rest, InputFormat::Lines, limits).unwrap_or_default() {
        let line = t.source.line.expect("a token of a lines input names its line");
        assert!(line >= 1 && line <= count, "line {line} of {count}");
    }
    // The reader, with a cap of 1 to 64 bytes and reads of 1 to 8 bytes, against the lines split here.
    let cap = u64::from(mode / DECODER_MODES % 64 + 1);
    let read_size = usize::from(mode % 8 + 1);
    let mut reader = input::lines::LineReader::new(std::io::BufReader::with_capacity(read_size, rest), cap);
    let mut expected: Vec<&[u8]> = rest.split(|b| *b == b'\n').collect();
    if rest.is_empty() || rest.ends_with(b"\n") {
        expected.pop();
    }
    for (i, want) in expected.iter().enumerate() {
        let (number, line) = reader.next_line().expect("reading a slice").expect("a line");
        assert_eq!(number, i + 1, "lines are numbered from 1");
        if want.len() as u64 > cap {
            assert_eq!(
                line,
                input::lines::Line::TooLong,
                "line {number}: {} bytes over a cap of {cap}",
                want.len()
            );
        } else {
            let want = want.strip_suffix(b"\r").unwrap_or(want);
            assert_eq!(line, input::lines::Line::Text(want.to_vec()), "line {number}");
        }
    }
    assert_eq!(
        reader.next_line().expect("reading a slice"),
        None,
        "more lines than the split"
    );
}

/// Mode 2: base64 of the DEFLATE of the rest.
fn deflated(rest: &[u8], mode: u8, limits: &InputLimits) {
    use std::io::Write as _;
    let level = u32::from(mode / DECODER_MODES % 10);
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(level));
    e.write_all(rest).expect("compressing in memory");
    let z = e.finish().expect("compressing in memory");
    let b64 = base64::engine::general_purpose::STANDARD.encode(&z);
    let escaped = b64.replace('+', "%2B").replace('/', "%2F").replace('=', "%3D");
    let form = format!("SAMLResponse={escaped}&RelayState=fuzz");
    for (bytes, format) in [
        (b64.as_bytes(), InputFormat::Base64),
        (b64.as_bytes(), InputFormat::Auto),
        (form.as_bytes(), InputFormat::Form),
        (form.as_bytes(), InputFormat::Auto),
    ] {
        for t in load(bytes, format, limits).unwrap_or_default() {
            if t.source.compression.as_deref() == Some("deflate") {
                assert_eq!(t.xml, rest, "a deflated token is not what was deflated");
            }
        }
    }
    if fedcheck::xml::looks_like_xml(rest) && !fedcheck::xml::looks_like_xml(&z) {
        let tokens = load(b64.as_bytes(), InputFormat::Base64, limits).expect("base64 of deflated XML is a token");
        assert_eq!(tokens.len(), 1);
        assert_eq!(tokens[0].source.compression.as_deref(), Some("deflate"));
        assert_eq!(tokens[0].xml, rest);
    }
}

/// Mode 4: the rest as UTF-16 text.
fn utf16(rest: &[u8], limits: &InputLimits) {
    let text = String::from_utf8_lossy(rest);
    let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    let with_le_bom = [&[0xFF, 0xFE][..], &le].concat();
    let with_be_bom = [&[0xFE, 0xFF][..], &be].concat();
    for (bytes, encoding) in [
        (&with_le_bom, input::text::Encoding::Utf16le),
        (&with_be_bom, input::text::Encoding::Utf16be),
    ] {
        assert_eq!(
            input::text::decode(bytes),
            Ok((text.to_string(), encoding)),
            "UTF-16 with a BOM does not decode back"
        );
        if let Ok(d) = fedcheck::xml::decode_document(bytes) {
            if !text.starts_with('\u{feff}') && !text.starts_with("<?xml") {
                assert_eq!(&*d.utf8, text.as_bytes(), "{} decoded to other text", d.encoding);
            }
        }
    }
    for bytes in [&with_le_bom, &with_be_bom, &le, &be] {
        let _ = fedcheck::xml::decode_document(bytes);
        let _ = input::text::decode_refusing_nul(bytes);
        for format in [InputFormat::Auto, InputFormat::Xml] {
            load(bytes, format, limits);
        }
        let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
        load(b64.as_bytes(), InputFormat::Base64, limits);
    }
}
