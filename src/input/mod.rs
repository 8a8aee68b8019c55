//! Input loading: turns what the user hands us into raw token XML documents.
//!
//! A token can arrive as a raw XML file, as base64 (the `SAMLResponse` value copied out of a browser), as an
//! `application/x-www-form-urlencoded` POST body (`SAMLResponse=...` or WS-Federation `wresult=...`), inside a
//! browser HAR 1.2 capture, or inside a SAML-tracer export. [`load`] reads a file, every file under a directory,
//! or standard input (`-`), always with a size cap, and [`load_bytes`] does the same for bytes already in memory.
//! The format is detected ([`InputFormat::Auto`]) or forced. Each token found becomes a [`RawToken`] that records
//! where it came from ([`Source`]). Nothing here parses XML or verifies anything: a token is just the bytes that
//! start with `<`, handed on to the XML parser and the verifier.

pub mod capture;
pub mod lines;
pub mod stream;
pub mod text;

pub use stream::{Inputs, Item};

use crate::http::{read_capped, CappedReadError};
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::{DecodeError, Engine};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

/// The form field that carries a SAML 2.0 protocol response (base64 of the XML).
const SAML_RESPONSE: &str = "SAMLResponse";
/// The form field that carries a WS-Federation sign-in response (the XML itself).
const WRESULT: &str = "wresult";
/// The `Source::field` value for a token taken from a decoded message that is not tied to a named form field.
const BODY: &str = "body";
/// The UTF-8 byte order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// How to interpret an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputFormat {
    /// Detect the format from the content.
    Auto,
    /// A raw XML token.
    Xml,
    /// Base64 of a token (a `SAMLResponse` value).
    Base64,
    /// An `application/x-www-form-urlencoded` POST body with `SAMLResponse` and/or `wresult`.
    Form,
    /// A HAR 1.2 capture exported from a browser's developer tools.
    Har,
    /// An export from the SAML-tracer browser extension.
    SamlTracer,
    /// An HTML page with an auto-post form carrying `SAMLResponse` or `wresult` (the IdP's page, as saved from the
    /// browser or fetched with curl).
    HtmlForm,
    /// One token per line, each line in any single-line carrier: base64, a form body, XML on one line, a JSON
    /// string of any of these, a HAR entry or a SAML-tracer request (see [`lines`]).
    Lines,
}

/// How a token was carried in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Carrier {
    /// The input was the raw XML.
    Xml,
    /// The input was base64 of the XML.
    Base64,
    /// The input was a form-encoded POST body.
    Form,
    /// The token was found in a HAR capture.
    Har,
    /// The token was found in a SAML-tracer export.
    SamlTracer,
    /// The token was a field of an HTML page's auto-post form.
    HtmlForm,
}

/// Where a token came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    /// The input as the user named it: a file path, or `<stdin>` for `-`.
    pub input: String,
    /// How the token was carried.
    pub carrier: Carrier,
    /// For HAR, the 0-based index in `log.entries`; for SAML-tracer, the 0-based index in `requests`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub har_entry: Option<usize>,
    /// For HAR and SAML-tracer, the URL of the request (or of the page whose auto-post form held the token).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The form field that held the token: `SAMLResponse` or `wresult`; `body` when the token was taken from
    /// a decoded message not tied to a field (a SAML-tracer `saml` value).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// `deflate` when the base64 held raw DEFLATE of the XML (the HTTP-Redirect binding's encoding, which some
    /// tools also use to store POSTed responses).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compression: Option<String>,
    /// For a lines input (`--input-format lines`), the line the token was on, from 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

/// Decoded token XML, and whether it had to be inflated on the way.
#[derive(Debug)]
struct Payload {
    xml: Vec<u8>,
    deflated: bool,
}

impl From<Vec<u8>> for Payload {
    fn from(xml: Vec<u8>) -> Self {
        Payload { xml, deflated: false }
    }
}

/// One token: its source and its XML bytes, exactly as carried (not validated, BOM and whitespace kept).
#[derive(Debug, Clone)]
pub struct RawToken {
    /// Where the token came from.
    pub source: Source,
    /// The token XML document.
    pub xml: Vec<u8>,
    /// For a token found in a HAR capture: the sign-in requests captured with it, and the `wctx` posted with it.
    pub capture: Option<crate::input::capture::TokenCapture>,
}

/// Limits that keep hostile or mistaken inputs from exhausting memory or time.
#[derive(Debug, Clone, Copy)]
pub struct InputLimits {
    /// The largest input read, in bytes (default 20 MiB).
    pub max_input_bytes: u64,
    /// The most tokens taken from one input (default 1000, `--max-tokens-per-input`; each line of a lines input is an
    /// input of its own).
    pub max_tokens: usize,
    /// The option that sets `max_tokens`, named when an input is refused for it (`fedcheck check` and `bundle` have
    /// one; `serve` and test plans do not).
    pub max_tokens_option: Option<&'static str>,
}

impl Default for InputLimits {
    fn default() -> Self {
        InputLimits {
            max_input_bytes: 20 * 1024 * 1024,
            max_tokens: 1000,
            max_tokens_option: None,
        }
    }
}

impl InputLimits {
    /// The refusal of an input holding more than `max_tokens`.
    pub(crate) fn too_many_tokens(&self) -> InputErrorKind {
        InputErrorKind::TooManyTokens {
            limit: self.max_tokens,
            option: self.max_tokens_option,
        }
    }
}

/// " (option)" when the limit has an option the user can move.
fn option_hint(option: Option<&str>) -> String {
    option.map(|o| format!(" ({o})")).unwrap_or_default()
}

/// The outcome of loading one input (one file, or standard input).
#[derive(Debug)]
pub struct Loaded {
    /// The input's name: the file path, or `<stdin>`.
    pub input: String,
    /// The tokens found, or why there are none.
    pub result: Result<Vec<RawToken>, InputError>,
}

/// Why an input yielded no tokens.
#[derive(Debug, thiserror::Error)]
#[error("{input}: {kind}")]
pub struct InputError {
    /// The input's name: the file path, or `<stdin>`.
    pub input: String,
    /// What went wrong.
    pub kind: InputErrorKind,
}

/// What went wrong with an input.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputErrorKind {
    /// The input could not be read.
    #[error("cannot read: {0}")]
    Io(std::io::Error),
    /// The input is larger than the size limit.
    #[error("input is {size} bytes, over the {limit}-byte limit (--max-input-size)")]
    TooLarge {
        /// The input's size in bytes.
        size: u64,
        /// The limit in bytes.
        limit: u64,
    },
    /// A stream (standard input, a pipe, a growing file) went past the size limit; its full size is unknown.
    #[error("input is over the {limit}-byte limit (--max-input-size)")]
    TooLargeStream {
        /// The limit in bytes.
        limit: u64,
    },
    /// The input is empty or only whitespace.
    #[error("input is empty")]
    Empty,
    /// Base64 was expected but the data does not decode.
    #[error("not base64: {detail}")]
    NotBase64 {
        /// What is wrong, with the offset of the first bad byte where there is one.
        detail: String,
    },
    /// Text was expected but the input is not UTF-8.
    #[error("input is not UTF-8 text")]
    NotUtf8,
    /// Base64 decoded, but not to XML.
    #[error("base64 decodes to data that is not XML (it does not start with '<')")]
    NotXml,
    /// XML was expected (a forced `xml` input, a `wresult` value) but the text does not start with `<`.
    #[error("not XML: the text does not start with '<'")]
    XmlExpected,
    /// Text that starts like JSON does not parse as JSON.
    #[error("starts like JSON but is not valid JSON: {detail}")]
    NotJson {
        /// The JSON parser's message.
        detail: String,
    },
    /// A form body has neither a `SAMLResponse` nor a `wresult` field.
    #[error("form body has no SAMLResponse or wresult field")]
    NoToken,
    /// A form body is a WS-Federation sign-out, which carries no token.
    #[error("form body is a WS-Federation sign-out (wa={wa}), which carries no token")]
    SignOut {
        /// The `wa` value.
        wa: String,
    },
    /// A HAR file does not have the expected shape.
    #[error("not a valid HAR file: {detail}")]
    HarInvalid {
        /// What is wrong.
        detail: String,
    },
    /// A HAR file has no request or auto-post page carrying a token.
    #[error("HAR has {entries} entries but no POST carrying SAMLResponse or wresult")]
    HarNoTokens {
        /// The number of entries in `log.entries`.
        entries: usize,
    },
    /// An HTML page without a form field carrying a token.
    #[error("an HTML page without a SAMLResponse or wresult form field (save the IdP's auto-post page, the one that posts to login.srf)")]
    HtmlNoToken,
    /// A SAML-tracer export does not have the expected shape.
    #[error("not a valid SAML-tracer export: {detail}")]
    TracerInvalid {
        /// What is wrong.
        detail: String,
    },
    /// A SAML-tracer export has no POST carrying a token.
    #[error("SAML-tracer export has no POST carrying SAMLResponse or wresult")]
    TracerNoTokens,
    /// One input holds more tokens than allowed.
    #[error("input holds more than {limit} tokens{}", option_hint(*.option))]
    TooManyTokens {
        /// The limit.
        limit: usize,
        /// The option that sets it, where the caller has one ([`InputLimits::max_tokens_option`]).
        option: Option<&'static str>,
    },
    /// One line of a lines input is unusable.
    #[error("line {line}: {kind}")]
    Line {
        /// The line's number, from 1.
        line: usize,
        /// What is wrong with it.
        kind: Box<InputErrorKind>,
    },
    /// A directory holds no files to read.
    #[error("directory holds no files (hidden files and directories are skipped)")]
    NoFiles,
    /// A field that should carry a token does not decode.
    #[error("{}{field}: {kind}", entry.map(|i| format!("entry {i}: ")).unwrap_or_default())]
    Field {
        /// The HAR entry or SAML-tracer request index, if any.
        entry: Option<usize>,
        /// The field name (`SAMLResponse` or `wresult`).
        field: String,
        /// What is wrong with its value.
        kind: Box<InputErrorKind>,
    },
    /// The input is none of the supported formats.
    #[error("cannot tell what this is: not XML, base64, a form body, a HAR file or a SAML-tracer export")]
    Unrecognized,
}

/// Loads the tokens named by `spec`: a file, a directory (every non-hidden file under it, recursively, in sorted
/// order, each reported separately), or `-` for standard input; with [`InputFormat::Lines`], each line separately.
///
/// Returns one [`Loaded`] per file (or line) read. A directory that cannot be walked or holds no files yields an
/// error entry. A run over many inputs walks them lazily with [`Inputs`] instead.
pub fn load(spec: &str, format: InputFormat, limits: &InputLimits) -> Vec<Loaded> {
    Inputs::new(vec![spec.to_string()], format, *limits)
        .map(|item| item.load(format, limits))
        .collect()
}

/// Extracts the tokens from `bytes`, an input named `name` (used in [`Source::input`] and in errors).
pub fn load_bytes(
    name: &str,
    bytes: &[u8],
    format: InputFormat,
    limits: &InputLimits,
) -> Result<Vec<RawToken>, InputError> {
    load_bytes_kind(name, bytes, format, limits).map_err(|kind| InputError {
        input: name.to_string(),
        kind,
    })
}

// ---------------------------------------------------------------------------------------------------------------
// Reading

impl From<CappedReadError> for InputErrorKind {
    fn from(e: CappedReadError) -> Self {
        match e {
            CappedReadError::Io(e) => InputErrorKind::Io(e),
            CappedReadError::TooLarge { limit } => InputErrorKind::TooLargeStream { limit },
        }
    }
}

/// Reads one file, checking its length before reading it.
fn read_file(path: &Path, limit: u64) -> Result<Vec<u8>, InputErrorKind> {
    use std::io::Read as _;
    let file = std::fs::File::open(path).map_err(InputErrorKind::Io)?;
    let meta = file.metadata().map_err(InputErrorKind::Io)?;
    if meta.is_dir() {
        return Err(InputErrorKind::Io(std::io::Error::other("is a directory")));
    }
    if meta.is_file() && meta.len() > limit {
        return Err(InputErrorKind::TooLarge {
            size: meta.len(),
            limit,
        });
    }
    if !meta.is_file() {
        // A pipe or device: its size is not known in advance.
        return Ok(read_capped(file, limit)?);
    }
    // A regular file: read in one go into a buffer of its size (the cap still holds if it grows meanwhile).
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0).saturating_add(1));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(InputErrorKind::Io)?;
    if bytes.len() as u64 > limit {
        return Err(InputErrorKind::TooLargeStream { limit });
    }
    Ok(bytes)
}

// ---------------------------------------------------------------------------------------------------------------
// Dispatch and detection

/// The tokens found so far in one input, capped at `max_tokens`.
struct Tokens {
    list: Vec<RawToken>,
    limits: InputLimits,
}

impl Tokens {
    fn new(limits: &InputLimits) -> Self {
        Tokens {
            list: Vec::new(),
            limits: *limits,
        }
    }

    fn push(&mut self, mut source: Source, payload: impl Into<Payload>) -> Result<(), InputErrorKind> {
        if self.list.len() >= self.limits.max_tokens {
            return Err(self.limits.too_many_tokens());
        }
        let payload = payload.into();
        if payload.deflated {
            source.compression = Some("deflate".into());
        }
        self.list.push(RawToken {
            source,
            xml: payload.xml,
            capture: None,
        });
        Ok(())
    }
}

fn source(input: &str, carrier: Carrier, entry: Option<usize>, url: Option<&str>, field: Option<&str>) -> Source {
    Source {
        input: input.to_string(),
        carrier,
        har_entry: entry,
        url: url.map(str::to_string),
        field: field.map(str::to_string),
        compression: None,
        line: None,
    }
}

/// Drops a leading UTF-8 BOM.
fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(BOM).unwrap_or(bytes)
}

/// Drops a leading UTF-8 BOM and leading ASCII whitespace.
fn trim_start(bytes: &[u8]) -> &[u8] {
    strip_bom(bytes).trim_ascii_start()
}

fn starts_with_lt(bytes: &[u8]) -> bool {
    crate::xml::looks_like_xml(bytes)
}

fn load_bytes_kind(
    name: &str,
    bytes: &[u8],
    format: InputFormat,
    limits: &InputLimits,
) -> Result<Vec<RawToken>, InputErrorKind> {
    let size = bytes.len() as u64;
    if size > limits.max_input_bytes {
        return Err(InputErrorKind::TooLarge {
            size,
            limit: limits.max_input_bytes,
        });
    }
    let trimmed = trim_start(bytes);
    if trimmed.trim_ascii_end().is_empty() {
        return Err(InputErrorKind::Empty);
    }
    let format = match format {
        InputFormat::Auto => detect(trimmed)?,
        forced => forced,
    };
    let mut tokens = Tokens::new(limits);
    match format {
        InputFormat::Auto | InputFormat::Xml => {
            if !starts_with_lt(trimmed) {
                return Err(InputErrorKind::XmlExpected);
            }
            tokens.push(source(name, Carrier::Xml, None, None, None), bytes.to_vec())?;
        }
        InputFormat::Base64 => {
            let xml = base64_xml(strip_bom(bytes))?;
            tokens.push(source(name, Carrier::Base64, None, None, None), xml)?;
        }
        InputFormat::Form => {
            let text = std::str::from_utf8(trimmed).map_err(|_| InputErrorKind::NotUtf8)?;
            form_input(name, text, &mut tokens)?;
        }
        InputFormat::Har => har_input(name, trimmed, &mut tokens)?,
        InputFormat::SamlTracer => tracer_input(name, trimmed, &mut tokens)?,
        InputFormat::HtmlForm => html_form_input(name, trimmed, &mut tokens)?,
        InputFormat::Lines => return lines::load_all(name, bytes, limits),
    }
    Ok(tokens.list)
}

/// Which top-level JSON keys are present; values are skipped without being stored.
#[derive(Deserialize)]
struct JsonProbe {
    log: Option<IgnoredAny>,
    requests: Option<IgnoredAny>,
}

/// Guesses the format of `trimmed` (BOM and leading whitespace already removed, not empty).
fn detect(trimmed: &[u8]) -> Result<InputFormat, InputErrorKind> {
    if is_html(trimmed) {
        return Ok(InputFormat::HtmlForm);
    }
    if starts_with_lt(trimmed) {
        return Ok(InputFormat::Xml);
    }
    match trimmed.first() {
        Some(b'<') => return Ok(InputFormat::Xml),
        Some(b'[') => {
            // SAML-tracer's requests, exported bare: an array of objects with request keys.
            let probe: Vec<HashMap<String, IgnoredAny>> = match serde_json::from_slice(trimmed) {
                Ok(probe) => probe,
                Err(e) if e.is_data() => return Err(InputErrorKind::Unrecognized),
                Err(e) => return Err(InputErrorKind::NotJson { detail: e.to_string() }),
            };
            let is_request =
                |r: &HashMap<String, IgnoredAny>| ["method", "url", "requestId"].iter().any(|k| r.contains_key(*k));
            return if probe.is_empty() || probe.iter().any(is_request) {
                Ok(InputFormat::SamlTracer)
            } else {
                Err(InputErrorKind::Unrecognized)
            };
        }
        Some(b'{') => {
            let probe: JsonProbe =
                serde_json::from_slice(trimmed).map_err(|e| InputErrorKind::NotJson { detail: e.to_string() })?;
            return if probe.log.is_some() {
                Ok(InputFormat::Har)
            } else if probe.requests.is_some() {
                Ok(InputFormat::SamlTracer)
            } else {
                Err(InputErrorKind::Unrecognized)
            };
        }
        _ => {}
    }
    // A long value without `&` whose only `=` are its trailing padding is base64, not a form (not scanned further).
    let body = trimmed.trim_ascii_end();
    let padding = body.iter().rev().take_while(|&&b| b == b'=').count();
    if body.len() > 64 && padding <= 2 && !body.contains(&b'&') && !body[..body.len() - padding].contains(&b'=') {
        return Ok(InputFormat::Base64);
    }
    if let Ok(text) = std::str::from_utf8(trimmed) {
        if let Some(shape) = form_shape(text) {
            if shape.has_token_field || shape.fields > 1 {
                return Ok(InputFormat::Form);
            }
        }
    }
    Ok(InputFormat::Base64)
}

/// What a text that looks like `key=value(&key=value)*` holds.
struct FormShape {
    fields: usize,
    has_token_field: bool,
}

/// Whether `text` looks like a form body: `&`-separated `key=value` pairs with plain keys.
fn form_shape(text: &str) -> Option<FormShape> {
    let text = text.trim_ascii();
    if !text.contains('=') {
        return None;
    }
    let mut shape = FormShape {
        fields: 0,
        has_token_field: false,
    };
    for piece in text.split('&').filter(|p| !p.is_empty()) {
        let (key, _) = piece.split_once('=')?;
        let plain = |b: u8| b.is_ascii_alphanumeric() || b"_.-~%+[]".contains(&b);
        if key.is_empty() || !key.bytes().all(plain) {
            return None;
        }
        shape.fields += 1;
        // A token field's name escaped is at most three bytes per character: a longer key (such as a base64 value
        // ending in padding) is not decoded.
        let is_token_field = |k: &[u8]| k == SAML_RESPONSE.as_bytes() || k == WRESULT.as_bytes();
        let escaped = key.len() <= 3 * SAML_RESPONSE.len() && key.contains(['%', '+']);
        if is_token_field(key.as_bytes()) || (escaped && is_token_field(&percent_decode(key.as_bytes(), true))) {
            shape.has_token_field = true;
        }
    }
    (shape.fields > 0).then_some(shape)
}

// ---------------------------------------------------------------------------------------------------------------
// Base64 and percent-encoding

const B64_CONFIG: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_decode_padding_mode(DecodePaddingMode::Indifferent)
    .with_decode_allow_trailing_bits(true);
const B64_STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, B64_CONFIG);
const B64_URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, B64_CONFIG);

/// Decodes base64 (standard or URL-safe alphabet, padding optional) after removing ASCII whitespace.
/// Offsets in errors count bytes of `text`, whitespace included.
fn decode_base64(text: &[u8]) -> Result<Vec<u8>, InputErrorKind> {
    // One pass says which alphabet the value uses and whether it has line breaks; a value on one line (the common
    // case) is decoded in place, others once their whitespace is removed.
    let (mut url_chars, mut std_chars, mut spaces) = (false, false, false);
    for &b in text {
        url_chars |= matches!(b, b'-' | b'_');
        std_chars |= matches!(b, b'+' | b'/');
        spaces |= b.is_ascii_whitespace();
    }
    let compact: std::borrow::Cow<[u8]> = if spaces {
        text.iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect::<Vec<u8>>()
            .into()
    } else {
        text.into()
    };
    if compact.is_empty() {
        return Err(InputErrorKind::Empty);
    }
    let url_safe = url_chars && !std_chars;
    let engine = if url_safe { &B64_URL_SAFE } else { &B64_STANDARD };
    engine.decode(&compact).map_err(|e| {
        // The decoder works in blocks, so its offsets can point past the first bad byte: find that byte here.
        let in_alphabet = |b: u8| {
            b.is_ascii_alphanumeric()
                || b == b'='
                || if url_safe {
                    b == b'-' || b == b'_'
                } else {
                    b == b'+' || b == b'/'
                }
        };
        let e = match compact.iter().position(|&b| !in_alphabet(b)) {
            Some(at) => DecodeError::InvalidByte(at, compact.get(at).copied().unwrap_or_default()),
            None => e,
        };
        let detail = match e {
            DecodeError::InvalidByte(at, byte) => {
                format!("invalid byte 0x{byte:02x} at offset {}", original_offset(text, at))
            }
            DecodeError::InvalidLastSymbol(at, byte) => {
                format!(
                    "invalid last symbol 0x{byte:02x} at offset {}",
                    original_offset(text, at)
                )
            }
            DecodeError::InvalidLength(len) => {
                format!("{len} characters (whitespace removed) is not a valid base64 length")
            }
            DecodeError::InvalidPadding => "invalid padding".to_string(),
        };
        InputErrorKind::NotBase64 { detail }
    })
}

/// The offset in `text` of the `index`-th byte that is not ASCII whitespace.
fn original_offset(text: &[u8], index: usize) -> usize {
    text.iter()
        .enumerate()
        .filter(|(_, b)| !b.is_ascii_whitespace())
        .nth(index)
        .map_or(index, |(at, _)| at)
}

/// The most a DEFLATE stream in a token field may inflate to.
const MAX_INFLATED: u64 = 20 * 1024 * 1024;

/// Inflates raw DEFLATE (RFC 1951, no zlib header: the SAML HTTP-Redirect binding's encoding), up to
/// [`MAX_INFLATED`] bytes; `None` when it is not DEFLATE or inflates to more.
fn inflate_raw(data: &[u8]) -> Option<Vec<u8>> {
    read_capped(flate2::read::DeflateDecoder::new(data), MAX_INFLATED).ok()
}

/// Decodes base64 that must hold XML, with the repairs real pastes need: a `+` that became a space
/// (the body was form-decoded once too often) and a value still percent-encoded. Base64 of raw DEFLATE of the XML
/// is inflated.
fn base64_xml(text: &[u8]) -> Result<Payload, InputErrorKind> {
    let attempt = |t: &[u8]| {
        decode_base64(t).and_then(|data| {
            if starts_with_lt(&data) {
                Ok(Payload {
                    xml: data,
                    deflated: false,
                })
            } else if let Some(xml) = inflate_raw(&data).filter(|x| starts_with_lt(x)) {
                Ok(Payload { xml, deflated: true })
            } else {
                Err(InputErrorKind::NotXml)
            }
        })
    };
    let first = attempt(text);
    if let Ok(p) = &first {
        if crate::xml::decode_document(&p.xml).is_ok() {
            return first;
        }
    }
    let mut repairs = Vec::new();
    if text.contains(&b' ') {
        repairs.push(
            text.iter()
                .map(|&b| if b == b' ' { b'+' } else { b })
                .collect::<Vec<u8>>(),
        );
    }
    if text.contains(&b'%') {
        repairs.push(percent_decode(text, false));
    }
    for repaired in repairs {
        if let Ok(p) = attempt(&repaired) {
            if crate::xml::decode_document(&p.xml).is_ok() {
                return Ok(p);
            }
        }
    }
    first
}

/// Decodes `%XX` escapes (and `+` as a space when `plus_is_space`); malformed escapes are kept as they are.
fn percent_decode(text: &[u8], plus_is_space: bool) -> Vec<u8> {
    let hex = |b: u8| match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    };
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while let Some(&b) = text.get(i) {
        if b == b'%' {
            let pair = text
                .get(i + 1)
                .copied()
                .and_then(hex)
                .zip(text.get(i + 2).copied().and_then(hex));
            if let Some((hi, lo)) = pair {
                out.push(hi << 4 | lo);
                i += 3;
                continue;
            }
        }
        out.push(if plus_is_space && b == b'+' { b' ' } else { b });
        i += 1;
    }
    out
}

/// The XML in a `wresult` value, which must start with `<`.
fn wresult_xml(value: &[u8]) -> Result<Payload, InputErrorKind> {
    if starts_with_lt(value) {
        Ok(value.to_vec().into())
    } else {
        Err(InputErrorKind::XmlExpected)
    }
}

/// Decodes the token in a field value that has been form-decoded already.
fn field_xml(field: &str, value: &[u8]) -> Result<Payload, InputErrorKind> {
    if field == SAML_RESPONSE {
        base64_xml(value)
    } else {
        wresult_xml(value)
    }
}

/// Decodes the token in a field value that may or may not still be percent-encoded: as-is first, then decoded.
fn maybe_encoded_field_xml(field: &str, value: &str) -> Result<Payload, InputErrorKind> {
    let first = field_xml(field, value.as_bytes());
    if first.is_err() && (value.contains('%') || (field == WRESULT && value.contains('+'))) {
        let decoded = percent_decode(value.as_bytes(), field == WRESULT);
        if let Ok(xml) = field_xml(field, &decoded) {
            return Ok(xml);
        }
    }
    first
}

fn field_error(entry: Option<usize>, field: &str, kind: InputErrorKind) -> InputErrorKind {
    InputErrorKind::Field {
        entry,
        field: field.to_string(),
        kind: Box::new(kind),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Form bodies

/// The token fields of a form body.
#[derive(Default)]
struct FormFields {
    /// `(field name, form-decoded value)` for each `SAMLResponse` and `wresult`, in order.
    tokens: Vec<(&'static str, String)>,
    /// The `wa` value, if any.
    wa: Option<String>,
}

fn parse_form(body: &str) -> FormFields {
    let mut fields = FormFields::default();
    for (key, value) in form_urlencoded::parse(body.trim_ascii().as_bytes()) {
        match key.as_ref() {
            SAML_RESPONSE => fields.tokens.push((SAML_RESPONSE, value.into_owned())),
            WRESULT => fields.tokens.push((WRESULT, value.into_owned())),
            "wa" => fields.wa = Some(value.into_owned()),
            _ => {}
        }
    }
    fields
}

fn form_input(name: &str, text: &str, tokens: &mut Tokens) -> Result<(), InputErrorKind> {
    let fields = parse_form(text);
    if fields.tokens.is_empty() {
        return Err(match fields.wa {
            Some(wa) if wa.starts_with("wsignout") => InputErrorKind::SignOut { wa },
            _ => InputErrorKind::NoToken,
        });
    }
    for (field, value) in &fields.tokens {
        let xml = field_xml(field, value.as_bytes()).map_err(|e| field_error(None, field, e))?;
        tokens.push(source(name, Carrier::Form, None, None, Some(field)), xml)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------------
// HAR 1.2 (only the fields used here; serde skips everything else)

#[derive(Deserialize)]
struct Har {
    log: Option<HarLog>,
}

#[derive(Deserialize)]
struct HarLog {
    entries: Option<Vec<HarEntry>>,
}

#[derive(Deserialize)]
struct HarEntry {
    request: Option<HarRequest>,
    response: Option<HarResponse>,
}

#[derive(Deserialize)]
struct HarRequest {
    method: Option<String>,
    url: Option<String>,
    #[serde(rename = "postData")]
    post_data: Option<HarPostData>,
}

#[derive(Deserialize)]
struct HarPostData {
    #[serde(rename = "mimeType")]
    mime_type: Option<String>,
    params: Option<Vec<HarParam>>,
    text: Option<String>,
}

#[derive(Deserialize)]
struct HarParam {
    name: Option<String>,
    value: Option<String>,
}

#[derive(Deserialize)]
struct HarResponse {
    content: Option<HarContent>,
}

#[derive(Deserialize)]
struct HarContent {
    text: Option<String>,
    encoding: Option<String>,
}

fn har_input(name: &str, json: &[u8], tokens: &mut Tokens) -> Result<(), InputErrorKind> {
    let har: Har = serde_json::from_slice(json).map_err(|e| InputErrorKind::HarInvalid { detail: e.to_string() })?;
    let entries = har
        .log
        .and_then(|log| log.entries)
        .ok_or_else(|| InputErrorKind::HarInvalid {
            detail: "no log.entries array".to_string(),
        })?;

    // Tokens posted by requests, and tokens seen in auto-post pages (kept only if not posted later).
    let mut page_tokens: Vec<(usize, Option<&str>, &'static str, Payload)> = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let url = entry.request.as_ref().and_then(|r| r.url.as_deref());
        if let Some(request) = &entry.request {
            har_request_tokens(name, i, request, tokens)?;
        }
        let content = entry.response.as_ref().and_then(|r| r.content.as_ref());
        if let Some(html) = content.and_then(response_text) {
            for (field, value) in auto_post_fields(&html) {
                if let Ok(xml) = field_xml(field, value.as_bytes()) {
                    if page_tokens.len() >= tokens.limits.max_tokens {
                        return Err(tokens.limits.too_many_tokens());
                    }
                    page_tokens.push((i, url, field, xml));
                }
            }
        }
    }

    let posted: Vec<(usize, &[u8])> = tokens
        .list
        .iter()
        .map(|t| (t.source.har_entry.unwrap_or(0), t.xml.as_slice()))
        .collect();
    let mut kept: Vec<(usize, Option<&str>, &'static str, Payload)> = Vec::new();
    for (i, url, field, xml) in page_tokens {
        let posted_later = posted.iter().any(|&(j, p)| j > i && p == xml.xml.as_slice());
        let seen = kept.iter().any(|k| k.3.xml == xml.xml);
        if !posted_later && !seen {
            kept.push((i, url, field, xml));
        }
    }
    for (i, url, field, xml) in kept {
        tokens.push(source(name, Carrier::Har, Some(i), url, Some(field)), xml)?;
    }
    // Entry order; within an entry the request (posted token) precedes its response (page token).
    tokens.list.sort_by_key(|t| t.source.har_entry);

    if tokens.list.is_empty() {
        return Err(InputErrorKind::HarNoTokens { entries: entries.len() });
    }
    har_correlation(&entries, &mut tokens.list);
    Ok(())
}

/// Gives every token of a HAR the sign-in requests captured with it and the `wctx` posted with it.
fn har_correlation(entries: &[HarEntry], list: &mut [RawToken]) {
    let requests: Vec<crate::input::capture::HttpRequest> = entries
        .iter()
        .enumerate()
        .filter_map(|(i, e)| {
            let r = e.request.as_ref()?;
            Some(crate::input::capture::HttpRequest {
                entry: i,
                method: r.method.clone().unwrap_or_default(),
                url: r.url.clone().unwrap_or_default(),
                form: r.post_data.as_ref().map(har_form).unwrap_or_default(),
            })
        })
        .collect();
    let found = std::sync::Arc::new(crate::input::capture::har_requests(&requests));
    for t in list.iter_mut() {
        let posted = t
            .source
            .har_entry
            .and_then(|i| requests.iter().find(|r| r.entry == i))
            .filter(|r| r.method.eq_ignore_ascii_case("POST") && t.source.field.as_deref() == Some(WRESULT));
        t.capture = Some(crate::input::capture::TokenCapture {
            requests: found.clone(),
            wctx: posted.and_then(|r| r.form.iter().find(|(k, _)| k == "wctx").map(|(_, v)| v.clone())),
        });
    }
}

/// The decoded form fields of a HAR request body: `params` (values percent-encoded, as browsers export them)
/// or else the urlencoded `text`.
fn har_form(post: &HarPostData) -> Vec<(String, String)> {
    let params: Vec<(String, String)> = post
        .params
        .iter()
        .flatten()
        .filter_map(|p| {
            let name = p.name.as_deref()?;
            let value = p.value.as_deref().unwrap_or("");
            let decoded = String::from_utf8_lossy(&percent_decode(value.as_bytes(), true)).into_owned();
            Some((name.to_string(), decoded))
        })
        .collect();
    if !params.is_empty() {
        return params;
    }
    post.text
        .as_deref()
        .map(|t| form_urlencoded::parse(t.trim_ascii().as_bytes()).into_owned().collect())
        .unwrap_or_default()
}

/// Whether a captured request is a POST (tokens are posted; the method is case-insensitive in captures).
fn is_post(method: Option<&str>) -> bool {
    method.is_some_and(|m| m.eq_ignore_ascii_case("POST"))
}

fn har_request_tokens(
    name: &str,
    entry: usize,
    request: &HarRequest,
    tokens: &mut Tokens,
) -> Result<(), InputErrorKind> {
    if !is_post(request.method.as_deref()) {
        return Ok(());
    }
    let Some(post) = &request.post_data else {
        return Ok(());
    };
    let url = request.url.as_deref();
    let mut found = false;
    for param in post.params.iter().flatten() {
        let Some(field) = param.name.as_deref().and_then(token_field) else {
            continue;
        };
        let value = param.value.as_deref().unwrap_or("");
        let xml = maybe_encoded_field_xml(field, value).map_err(|e| field_error(Some(entry), field, e))?;
        tokens.push(source(name, Carrier::Har, Some(entry), url, Some(field)), xml)?;
        found = true;
    }
    if found {
        return Ok(());
    }
    let form_mime = post.mime_type.as_deref().is_none_or(|m| {
        m.trim().is_empty()
            || m.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
    });
    if let (true, Some(text)) = (form_mime, post.text.as_deref()) {
        for (field, value) in parse_form(text).tokens {
            let xml = field_xml(field, value.as_bytes()).map_err(|e| field_error(Some(entry), field, e))?;
            tokens.push(source(name, Carrier::Har, Some(entry), url, Some(field)), xml)?;
        }
    }
    Ok(())
}

/// The canonical token field name, if `name` is one.
fn token_field(name: &str) -> Option<&'static str> {
    match name {
        SAML_RESPONSE => Some(SAML_RESPONSE),
        WRESULT => Some(WRESULT),
        _ => None,
    }
}

/// The text of a response body that may hold an auto-post form, decoding base64 bodies.
fn response_text(content: &HarContent) -> Option<String> {
    let text = content.text.as_deref()?;
    let text = if content.encoding.as_deref() == Some("base64") {
        let bytes = decode_base64(text.as_bytes()).ok()?;
        String::from_utf8(bytes).ok()?
    } else {
        text.to_string()
    };
    (text.contains(SAML_RESPONSE) || text.contains(WRESULT)).then_some(text)
}

/// The `SAMLResponse` and `wresult` values of the `<input>` elements in an HTML page, entity-decoded.
fn auto_post_fields(html: &str) -> Vec<(&'static str, String)> {
    let mut found = Vec::new();
    let bytes = html.as_bytes();
    let mut at = 0;
    while let Some(rel) = find_ascii_ci(bytes.get(at..).unwrap_or_default(), b"<input") {
        let start = at + rel + b"<input".len();
        let (attrs, end) = tag_attributes(html, start);
        at = end.max(start);
        let name = attrs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("name"))
            .map(|(_, v)| v.as_str());
        let value = attrs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("value"))
            .map(|(_, v)| v.as_str());
        if let (Some(field), Some(value)) = (name.and_then(token_field), value) {
            found.push((field, html_unescape(value)));
        }
    }
    found
}

/// Whether the input is an HTML page: it opens with a doctype or an html, head, body or form element (a token
/// document opens with an XML declaration or a SAML / WS-Trust element).
fn is_html(trimmed: &[u8]) -> bool {
    let head = &trimmed[..trimmed.len().min(64)];
    ["<!doctype html", "<html", "<head", "<body", "<form", "<!--"]
        .iter()
        .any(|p| head.len() >= p.len() && head[..p.len()].eq_ignore_ascii_case(p.as_bytes()))
        && (find_ascii_ci(trimmed, b"<form").is_some() || find_ascii_ci(trimmed, b"<html").is_some())
}

/// The tokens in an HTML page's auto-post form fields (`SAMLResponse` base64, `wresult` XML), entities decoded.
fn html_form_input(name: &str, html: &[u8], tokens: &mut Tokens) -> Result<(), InputErrorKind> {
    let text = std::str::from_utf8(html).map_err(|_| InputErrorKind::NotUtf8)?;
    let fields = auto_post_fields(text);
    if fields.is_empty() {
        return Err(InputErrorKind::HtmlNoToken);
    }
    for (field, value) in fields {
        let xml = field_xml(field, value.as_bytes()).map_err(|e| field_error(None, field, e))?;
        tokens.push(source(name, Carrier::HtmlForm, None, None, Some(field)), xml)?;
    }
    Ok(())
}

/// The first offset of `needle` in `hay`, ignoring ASCII case.
fn find_ascii_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w.eq_ignore_ascii_case(needle))
}

/// The attributes of the tag whose attribute list starts at byte `start` of `html`, and the offset just past the
/// tag. Values are returned raw (entities not decoded).
fn tag_attributes(html: &str, start: usize) -> (Vec<(String, String)>, usize) {
    let bytes = html.as_bytes();
    let mut attrs = Vec::new();
    let mut i = start;
    let slice = |a: usize, b: usize| html.get(a..b).unwrap_or_default().to_string();
    loop {
        while bytes.get(i).is_some_and(|b| b.is_ascii_whitespace() || *b == b'/') {
            i += 1;
        }
        match bytes.get(i) {
            None => return (attrs, i),
            Some(b'>') => return (attrs, i + 1),
            Some(_) => {}
        }
        let name_start = i;
        while bytes
            .get(i)
            .is_some_and(|b| !b.is_ascii_whitespace() && !matches!(b, b'=' | b'>' | b'/'))
        {
            i += 1;
        }
        let name = slice(name_start, i);
        while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        if bytes.get(i) != Some(&b'=') {
            attrs.push((name, String::new()));
            continue;
        }
        i += 1;
        while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        let value = match bytes.get(i) {
            Some(&q) if q == b'"' || q == b'\'' => {
                let value_start = i + 1;
                let len = bytes
                    .get(value_start..)
                    .unwrap_or_default()
                    .iter()
                    .position(|&b| b == q);
                let value_end = len.map_or(bytes.len(), |n| value_start + n);
                i = value_end + 1;
                slice(value_start, value_end)
            }
            _ => {
                let value_start = i;
                while bytes.get(i).is_some_and(|b| !b.is_ascii_whitespace() && *b != b'>') {
                    i += 1;
                }
                slice(value_start, i)
            }
        };
        attrs.push((name, value));
    }
}

/// Decodes the HTML character references an auto-post form uses; unknown references are kept as they are.
fn html_unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(rest.get(..amp).unwrap_or_default());
        rest = rest.get(amp..).unwrap_or_default();
        // Look for the ';' only nearby, so text full of bare '&' stays linear.
        let semi = rest.bytes().take(12).position(|b| b == b';');
        let decoded = semi.and_then(|semi| {
            let entity = rest.get(1..semi)?;
            let c = match entity {
                "quot" => '"',
                "lt" => '<',
                "gt" => '>',
                "amp" => '&',
                "apos" => '\'',
                _ => {
                    let num = entity.strip_prefix('#')?;
                    let code = match num.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => num.parse::<u32>().ok()?,
                    };
                    char::from_u32(code)?
                }
            };
            Some((c, semi + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = rest.get(len..).unwrap_or_default();
            }
            None => {
                out.push('&');
                rest = rest.get(1..).unwrap_or_default();
            }
        }
    }
    out.push_str(rest);
    out
}

// ---------------------------------------------------------------------------------------------------------------
// SAML-tracer export

#[derive(Deserialize)]
struct TracerExport {
    requests: Option<Vec<TracerRequest>>,
}

#[derive(Deserialize)]
struct TracerRequest {
    method: Option<String>,
    url: Option<String>,
    /// `[[name, value], ...]` (values already form-decoded); tolerated as `[{name, value}, ...]` too.
    post: Option<serde_json::Value>,
    /// The decoded message, as the tracer shows it.
    saml: Option<String>,
}

fn tracer_input(name: &str, json: &[u8], tokens: &mut Tokens) -> Result<(), InputErrorKind> {
    let invalid = |e: serde_json::Error| InputErrorKind::TracerInvalid { detail: e.to_string() };
    let requests = if json.first() == Some(&b'[') {
        serde_json::from_slice::<Vec<TracerRequest>>(json).map_err(invalid)?
    } else {
        serde_json::from_slice::<TracerExport>(json)
            .map_err(invalid)?
            .requests
            .ok_or_else(|| InputErrorKind::TracerInvalid {
                detail: "no requests array".to_string(),
            })?
    };
    for (i, request) in requests.iter().enumerate() {
        tracer_request_tokens(name, i, request, tokens)?;
    }
    if tokens.list.is_empty() {
        return Err(InputErrorKind::TracerNoTokens);
    }
    Ok(())
}

/// The `(name, value)` pairs of a tracer `post` value.
fn tracer_pairs(post: &serde_json::Value) -> Vec<(&str, &str)> {
    let items = post.as_array().map(Vec::as_slice).unwrap_or_default();
    items
        .iter()
        .filter_map(|item| match item {
            serde_json::Value::Array(pair) => Some((pair.first()?.as_str()?, pair.get(1)?.as_str()?)),
            serde_json::Value::Object(map) => Some((map.get("name")?.as_str()?, map.get("value")?.as_str()?)),
            _ => None,
        })
        .collect()
}

fn tracer_request_tokens(
    name: &str,
    index: usize,
    request: &TracerRequest,
    tokens: &mut Tokens,
) -> Result<(), InputErrorKind> {
    if !is_post(request.method.as_deref()) {
        return Ok(());
    }
    let url = request.url.as_deref();
    let pairs = request.post.as_ref().map(tracer_pairs).unwrap_or_default();
    let mut failure: Option<(&'static str, InputErrorKind)> = None;
    let mut found = false;
    for (key, value) in pairs {
        let Some(field) = token_field(key) else {
            continue;
        };
        match maybe_encoded_field_xml(field, value) {
            Ok(xml) => {
                tokens.push(source(name, Carrier::SamlTracer, Some(index), url, Some(field)), xml)?;
                found = true;
            }
            Err(e) => failure = failure.or(Some((field, e))),
        }
    }
    if found {
        return Ok(());
    }
    // Post values may be missing, or hashed or obfuscated by the export; the decoded message may still be there.
    let saml = request.saml.as_deref().unwrap_or("");
    let is_token = ["RequestSecurityTokenResponse", "Response", "Assertion"]
        .iter()
        .any(|m| saml.contains(m));
    if starts_with_lt(saml.as_bytes()) && is_token {
        let field = failure.as_ref().map_or(BODY, |(f, _)| *f);
        tokens.push(
            source(name, Carrier::SamlTracer, Some(index), url, Some(field)),
            saml.as_bytes().to_vec(),
        )?;
        return Ok(());
    }
    match failure {
        Some((field, e)) => Err(field_error(Some(index), field, e)),
        None => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};

    const XML: &str = "<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" ID=\"_a\"><saml:Assertion xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_b\">caf\u{e9} ?? >> ~~</saml:Assertion></samlp:Response>";
    const RSTR: &str = "<t:RequestSecurityTokenResponse xmlns:t=\"http://schemas.xmlsoap.org/ws/2005/02/trust\"><saml:Assertion xmlns:saml=\"urn:oasis:names:tc:SAML:1.0:assertion\" MajorVersion=\"1\">x &amp; y</saml:Assertion></t:RequestSecurityTokenResponse>";

    fn limits() -> InputLimits {
        InputLimits::default()
    }

    fn auto(bytes: &[u8]) -> Result<Vec<RawToken>, InputError> {
        load_bytes("t", bytes, InputFormat::Auto, &limits())
    }

    fn one(bytes: &[u8]) -> RawToken {
        let mut tokens = auto(bytes).unwrap();
        assert_eq!(tokens.len(), 1);
        tokens.remove(0)
    }

    fn kind(result: Result<Vec<RawToken>, InputError>) -> InputErrorKind {
        result.unwrap_err().kind
    }

    fn form_encode(pairs: &[(&str, &str)]) -> String {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish()
    }

    fn b64(s: &str) -> String {
        STANDARD.encode(s)
    }

    #[test]
    fn raw_xml() {
        let input = format!("\u{feff}  \n{XML}");
        let t = one(input.as_bytes());
        assert_eq!(t.xml, input.as_bytes());
        assert_eq!(t.source.carrier, Carrier::Xml);
        assert_eq!(t.source.input, "t");
        assert_eq!(t.source.field, None);
    }

    #[test]
    fn base64_variants() {
        let wrapped: String = b64(XML)
            .as_bytes()
            .chunks(64)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join("\r\n");
        let url_safe = URL_SAFE_NO_PAD.encode(XML);
        assert!(
            url_safe.contains('-') || url_safe.contains('_'),
            "test data must exercise the URL-safe alphabet"
        );
        for input in [
            b64(XML),
            STANDARD_NO_PAD.encode(XML),
            url_safe,
            wrapped,
            format!("\n  {}\n", b64(XML)),
        ] {
            let t = one(input.as_bytes());
            assert_eq!(t.xml, XML.as_bytes(), "{input}");
            assert_eq!(t.source.carrier, Carrier::Base64);
        }
    }

    #[test]
    fn not_base64_reports_offset() {
        let mut input = b64(XML);
        input.insert(12, '.');
        let err = auto(input.as_bytes()).unwrap_err();
        assert_eq!(err.to_string(), "t: not base64: invalid byte 0x2e at offset 12");
        // Offsets count whitespace, so they point into the file as written.
        let with_ws = format!("  \n{}", input);
        let e = kind(auto(with_ws.as_bytes()));
        assert_eq!(e.to_string(), "not base64: invalid byte 0x2e at offset 15");
        let e = kind(auto(b"....."));
        assert_eq!(e.to_string(), "not base64: invalid byte 0x2e at offset 0");
    }

    #[test]
    fn base64_of_non_xml() {
        let e = kind(auto(b64("hello, world").as_bytes()));
        assert!(matches!(e, InputErrorKind::NotXml), "{e}");
        assert!(e.to_string().contains("not XML"));
    }

    #[test]
    fn base64_percent_encoded_value() {
        let encoded: String = form_urlencoded::byte_serialize(b64(XML).as_bytes()).collect();
        assert!(encoded.contains('%'));
        assert_eq!(one(encoded.as_bytes()).xml, XML.as_bytes());
    }

    #[test]
    fn form_saml_response() {
        let body = form_encode(&[("SAMLResponse", &b64(XML)), ("RelayState", "https://x/?a=b&c")]);
        let t = one(body.as_bytes());
        assert_eq!(t.xml, XML.as_bytes());
        assert_eq!(t.source.carrier, Carrier::Form);
        assert_eq!(t.source.field.as_deref(), Some("SAMLResponse"));
    }

    #[test]
    fn form_plus_turned_into_space() {
        let b = b64(XML);
        assert!(b.contains('+'), "test data must contain '+'");
        // A body whose '+' were decoded to spaces once already, then pasted.
        let body = format!("SAMLResponse={}&RelayState=x", b.replace('+', " ").replace('=', "%3D"));
        assert_eq!(one(body.as_bytes()).xml, XML.as_bytes());
        let forced = load_bytes("t", body.as_bytes(), InputFormat::Form, &limits()).unwrap();
        assert_eq!(forced.len(), 1);
        assert_eq!(forced[0].xml, XML.as_bytes());
    }

    #[test]
    fn form_wresult_and_both() {
        let body = form_encode(&[("wa", "wsignin1.0"), ("wresult", RSTR), ("wctx", "rm=0&id=x")]);
        let t = one(body.as_bytes());
        assert_eq!(t.xml, RSTR.as_bytes());
        assert_eq!(t.source.field.as_deref(), Some("wresult"));

        let both = form_encode(&[("wresult", RSTR), ("SAMLResponse", &b64(XML))]);
        let tokens = auto(both.as_bytes()).unwrap();
        let fields: Vec<_> = tokens.iter().map(|t| t.source.field.clone().unwrap()).collect();
        assert_eq!(fields, ["wresult", "SAMLResponse"]);
        assert_eq!(tokens[0].xml, RSTR.as_bytes());
        assert_eq!(tokens[1].xml, XML.as_bytes());
    }

    #[test]
    fn form_without_token() {
        let e = kind(auto(b"RelayState=abc&foo=bar"));
        assert!(matches!(e, InputErrorKind::NoToken), "{e}");
        let e = kind(auto(b"wa=wsignout1.0&wreply=https%3A%2F%2Fx"));
        assert!(matches!(e, InputErrorKind::SignOut { .. }), "{e}");
        assert_eq!(
            e.to_string(),
            "form body is a WS-Federation sign-out (wa=wsignout1.0), which carries no token"
        );
        let e = kind(load_bytes("t", b"foo=bar", InputFormat::Form, &limits()));
        assert!(matches!(e, InputErrorKind::NoToken), "{e}");
    }

    #[test]
    fn form_bad_field_names_the_field() {
        let e = kind(auto(b"SAMLResponse=abc.def"));
        assert_eq!(e.to_string(), "SAMLResponse: not base64: invalid byte 0x2e at offset 3");
        let e = kind(auto(b"wresult=hello"));
        assert!(e.to_string().starts_with("wresult: not XML"), "{e}");
    }

    fn har(entries: &[serde_json::Value]) -> Vec<u8> {
        serde_json::to_vec(
            &serde_json::json!({"log": {"version": "1.2", "creator": {"name": "x"}, "entries": entries}}),
        )
        .unwrap()
    }

    fn get(url: &str) -> serde_json::Value {
        serde_json::json!({"request": {"method": "GET", "url": url, "headers": []}, "response": {"status": 200}})
    }

    fn post_params(url: &str, params: &[(&str, &str)]) -> serde_json::Value {
        let params: Vec<_> = params
            .iter()
            .map(|(n, v)| serde_json::json!({"name": n, "value": v}))
            .collect();
        serde_json::json!({"request": {"method": "POST", "url": url,
            "postData": {"mimeType": "application/x-www-form-urlencoded", "params": params}}})
    }

    #[test]
    fn har_two_tokens_with_indices_and_urls() {
        let input = har(&[
            get("https://idp/login"),
            post_params(
                "https://login.microsoftonline.com/login.srf",
                &[("wa", "wsignin1.0"), ("wresult", RSTR)],
            ),
            get("https://idp/other"),
            post_params(
                "https://login.microsoftonline.com/saml2",
                &[("SAMLResponse", &b64(XML)), ("RelayState", "r")],
            ),
        ]);
        let tokens = auto(&input).unwrap();
        assert_eq!(tokens.len(), 2);
        assert_eq!(tokens[0].source.har_entry, Some(1));
        assert_eq!(
            tokens[0].source.url.as_deref(),
            Some("https://login.microsoftonline.com/login.srf")
        );
        assert_eq!(tokens[0].source.field.as_deref(), Some("wresult"));
        assert_eq!(tokens[0].xml, RSTR.as_bytes());
        assert_eq!(tokens[1].source.har_entry, Some(3));
        assert_eq!(
            tokens[1].source.url.as_deref(),
            Some("https://login.microsoftonline.com/saml2")
        );
        assert_eq!(tokens[1].source.carrier, Carrier::Har);
        assert_eq!(tokens[1].xml, XML.as_bytes());
        let json = serde_json::to_value(&tokens[1].source).unwrap();
        assert_eq!(json["carrier"], "har");
        assert_eq!(json["har_entry"], 3);
    }

    #[test]
    fn har_params_url_encoded() {
        let saml: String = form_urlencoded::byte_serialize(b64(XML).as_bytes()).collect();
        let wresult: String = form_urlencoded::byte_serialize(RSTR.as_bytes()).collect();
        let input = har(&[post_params(
            "https://a",
            &[("SAMLResponse", &saml), ("wresult", &wresult)],
        )]);
        let tokens = auto(&input).unwrap();
        assert_eq!(tokens.len(), 2);
        assert_eq!(tokens[0].xml, XML.as_bytes());
        assert_eq!(tokens[1].xml, RSTR.as_bytes());
    }

    #[test]
    fn har_text_body() {
        let body = form_encode(&[("SAMLResponse", &b64(XML))]);
        let entry = serde_json::json!({"request": {"method": "post", "url": "https://a",
            "postData": {"mimeType": "application/x-www-form-urlencoded; charset=UTF-8", "text": body}}});
        let tokens = load_bytes("t", &har(&[entry]), InputFormat::Har, &limits()).unwrap();
        assert_eq!(tokens.len(), 1);
        assert_eq!(tokens[0].xml, XML.as_bytes());
        assert_eq!(tokens[0].source.har_entry, Some(0));
    }

    fn auto_post_page(url: &str, field: &str, value: &str) -> serde_json::Value {
        let escaped = value
            .replace('&', "&amp;")
            .replace('"', "&quot;")
            .replace('<', "&lt;")
            .replace('>', "&#x3E;");
        let html = format!(
            "<html><body onload=\"document.forms[0].submit()\"><form method=\"post\" action=\"https://sp\">\
             <INPUT type='hidden' name=\"{field}\"\n value=\"{escaped}\"/><input type=hidden name=RelayState value=x>\
             </form></body></html>"
        );
        serde_json::json!({"request": {"method": "GET", "url": url},
            "response": {"status": 200, "content": {"mimeType": "text/html", "text": html}}})
    }

    #[test]
    fn har_auto_post_page_deduped() {
        // The page's token is also posted later: only the POST counts.
        let input = har(&[
            auto_post_page("https://idp/sso", "SAMLResponse", &b64(XML)),
            post_params("https://sp/acs", &[("SAMLResponse", &b64(XML))]),
        ]);
        let tokens = auto(&input).unwrap();
        assert_eq!(tokens.len(), 1);
        assert_eq!(tokens[0].source.har_entry, Some(1));

        // The POST itself was not captured: the page's token is used.
        let input = har(&[get("https://x"), auto_post_page("https://idp/wsfed", "wresult", RSTR)]);
        let tokens = auto(&input).unwrap();
        assert_eq!(tokens.len(), 1);
        assert_eq!(tokens[0].xml, RSTR.as_bytes());
        assert_eq!(tokens[0].source.har_entry, Some(1));
        assert_eq!(tokens[0].source.url.as_deref(), Some("https://idp/wsfed"));
        assert_eq!(tokens[0].source.field.as_deref(), Some("wresult"));
    }

    #[test]
    fn har_without_tokens() {
        let e = kind(auto(&har(&[])));
        assert!(matches!(e, InputErrorKind::HarNoTokens { entries: 0 }), "{e}");
        let e = kind(auto(&har(&[get("a"), get("b"), post_params("c", &[("x", "y")])])));
        assert_eq!(
            e.to_string(),
            "HAR has 3 entries but no POST carrying SAMLResponse or wresult"
        );
    }

    #[test]
    fn har_invalid() {
        let e = kind(load_bytes(
            "t",
            br#"{"log": {"entries": 5}}"#,
            InputFormat::Har,
            &limits(),
        ));
        assert!(matches!(e, InputErrorKind::HarInvalid { .. }), "{e}");
        let e = kind(load_bytes("t", br#"{"log": {}}"#, InputFormat::Har, &limits()));
        assert_eq!(e.to_string(), "not a valid HAR file: no log.entries array");
        let bad = har(&[post_params("https://a", &[("SAMLResponse", "%%%")])]);
        let e = kind(auto(&bad));
        assert!(e.to_string().starts_with("entry 0: SAMLResponse: not base64"), "{e}");
    }

    fn tracer_request(method: &str, url: &str, post: serde_json::Value, saml: Option<&str>) -> serde_json::Value {
        serde_json::json!({"requestId": "r", "method": method, "url": url, "requestHeaders": [],
            "post": post, "saml": saml, "protocol": "SAML-P"})
    }

    #[test]
    fn saml_tracer() {
        let export = serde_json::json!({"requests": [
            tracer_request("GET", "https://idp/sso?SAMLRequest=x", serde_json::Value::Null, Some("<samlp:AuthnRequest/>")),
            tracer_request("POST", "https://sp/acs", serde_json::json!([["SAMLResponse", b64(XML)], ["RelayState", "r"]]), Some(XML)),
            // Obfuscated export: post values hashed, the decoded message kept.
            tracer_request("POST", "https://sp/wsfed", serde_json::json!([["wresult", "0123abcd"]]), Some(RSTR)),
            tracer_request("POST", "https://idp/other", serde_json::json!([["user", "x"]]), None),
        ], "timestamp": "2024-01-01T00:00:00Z"});
        let tokens = auto(&serde_json::to_vec(&export).unwrap()).unwrap();
        assert_eq!(tokens.len(), 2);
        assert_eq!(tokens[0].source.carrier, Carrier::SamlTracer);
        assert_eq!(tokens[0].source.har_entry, Some(1));
        assert_eq!(tokens[0].source.url.as_deref(), Some("https://sp/acs"));
        assert_eq!(tokens[0].source.field.as_deref(), Some("SAMLResponse"));
        assert_eq!(tokens[0].xml, XML.as_bytes());
        assert_eq!(tokens[1].source.har_entry, Some(2));
        assert_eq!(tokens[1].xml, RSTR.as_bytes());

        // A bare array of requests, with only the decoded message.
        let array = serde_json::json!([tracer_request("POST", "https://sp", serde_json::Value::Null, Some(XML))]);
        let tokens = auto(&serde_json::to_vec(&array).unwrap()).unwrap();
        assert_eq!(tokens.len(), 1);
        assert_eq!(tokens[0].source.field.as_deref(), Some("body"));

        let empty =
            serde_json::json!({"requests": [tracer_request("GET", "https://x", serde_json::Value::Null, None)]});
        let e = kind(auto(&serde_json::to_vec(&empty).unwrap()));
        assert!(matches!(e, InputErrorKind::TracerNoTokens), "{e}");
    }

    #[test]
    fn json_that_is_neither() {
        assert!(matches!(kind(auto(br#"{"a": 1}"#)), InputErrorKind::Unrecognized));
        assert!(matches!(kind(auto(b"{not json")), InputErrorKind::NotJson { .. }));
        assert!(matches!(kind(auto(b"[1, 2]")), InputErrorKind::Unrecognized));
        assert!(matches!(kind(auto(br#"[{"a": 1}]"#)), InputErrorKind::Unrecognized));
        assert!(matches!(
            kind(auto(br#"[{"method": "POST", "#)),
            InputErrorKind::NotJson { .. }
        ));
    }

    #[test]
    fn size_limit() {
        let small = InputLimits {
            max_input_bytes: 10,
            ..InputLimits::default()
        };
        let e = kind(load_bytes("t", XML.as_bytes(), InputFormat::Auto, &small));
        assert_eq!(
            e.to_string(),
            format!(
                "input is {} bytes, over the 10-byte limit (--max-input-size)",
                XML.len()
            )
        );
        let e = InputErrorKind::from(read_capped(std::io::Cursor::new(vec![b'a'; 11]), 10).unwrap_err());
        assert!(matches!(e, InputErrorKind::TooLargeStream { limit: 10 }));
        assert_eq!(read_capped(std::io::Cursor::new(vec![b'a'; 10]), 10).unwrap().len(), 10);
        assert!(matches!(kind(auto(b" \r\n\t")), InputErrorKind::Empty));
        assert!(matches!(kind(auto(b"")), InputErrorKind::Empty));
    }

    #[test]
    fn max_tokens() {
        let entry = post_params("https://a", &[("SAMLResponse", &b64(XML))]);
        let input = har(&[entry.clone(), entry.clone(), entry]);
        let two = InputLimits {
            max_tokens: 2,
            ..InputLimits::default()
        };
        let e = kind(load_bytes("t", &input, InputFormat::Auto, &two));
        assert!(matches!(e, InputErrorKind::TooManyTokens { limit: 2, .. }), "{e}");
        // The option is named only where the caller has one.
        assert_eq!(e.to_string(), "input holds more than 2 tokens");
        let named = InputLimits {
            max_tokens_option: Some("--max-tokens-per-input"),
            ..two
        };
        let e = kind(load_bytes("t", &input, InputFormat::Auto, &named));
        assert_eq!(e.to_string(), "input holds more than 2 tokens (--max-tokens-per-input)");
        let three = InputLimits {
            max_tokens: 3,
            ..InputLimits::default()
        };
        assert_eq!(load_bytes("t", &input, InputFormat::Auto, &three).unwrap().len(), 3);
    }

    #[test]
    fn forced_format_mismatch() {
        let check = |format, input: &[u8], want: fn(&InputErrorKind) -> bool| {
            let e = kind(load_bytes("t", input, format, &limits()));
            assert!(want(&e), "{format:?}: {e}");
        };
        check(InputFormat::Xml, b64(XML).as_bytes(), |e| {
            matches!(e, InputErrorKind::XmlExpected)
        });
        check(InputFormat::Base64, XML.as_bytes(), |e| {
            matches!(e, InputErrorKind::NotBase64 { .. })
        });
        check(InputFormat::Form, XML.as_bytes(), |e| {
            matches!(e, InputErrorKind::NoToken)
        });
        check(InputFormat::Form, b"SAMLResponse=\xff\xfe", |e| {
            matches!(e, InputErrorKind::NotUtf8)
        });
        check(InputFormat::Har, XML.as_bytes(), |e| {
            matches!(e, InputErrorKind::HarInvalid { .. })
        });
        check(InputFormat::Har, br#"{"requests": []}"#, |e| {
            matches!(e, InputErrorKind::HarInvalid { .. })
        });
        check(InputFormat::SamlTracer, XML.as_bytes(), |e| {
            matches!(e, InputErrorKind::TracerInvalid { .. })
        });
        check(InputFormat::SamlTracer, &har(&[]), |e| {
            matches!(e, InputErrorKind::TracerInvalid { .. })
        });
    }

    #[test]
    fn format_names() {
        use clap::ValueEnum;
        let names: Vec<_> = InputFormat::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value().map(|p| p.get_name().to_string()))
            .collect();
        assert_eq!(
            names,
            [
                "auto",
                "xml",
                "base64",
                "form",
                "har",
                "saml-tracer",
                "html-form",
                "lines"
            ]
        );
        assert_eq!(serde_json::to_value(InputFormat::SamlTracer).unwrap(), "saml-tracer");
        assert_eq!(serde_json::to_value(Carrier::SamlTracer).unwrap(), "saml-tracer");
    }

    #[test]
    fn html_helpers() {
        assert_eq!(
            html_unescape("a&quot;&lt;&gt;&amp;&#39;&#x41;&#66;&bogus;&"),
            "a\"<>&'AB&bogus;&"
        );
        let html = "<p><input name='SAMLResponse' value=abc><input value=\"d&amp;e\" name=\"wresult\"/><input";
        assert_eq!(
            auto_post_fields(html),
            vec![("SAMLResponse", "abc".to_string()), ("wresult", "d&e".to_string())]
        );
    }

    /// A scratch directory removed when dropped.
    struct TempDir(std::path::PathBuf);

    impl TempDir {
        fn new(tag: &str) -> Self {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            let dir = std::env::temp_dir().join(format!("fedcheck-input-{tag}-{}-{nanos}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn directory_walk() {
        let dir = TempDir::new("walk");
        let root = &dir.0;
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::create_dir_all(root.join(".hidden")).unwrap();
        std::fs::write(root.join("b.txt"), b64(XML)).unwrap();
        std::fs::write(root.join("a.xml"), XML).unwrap();
        std::fs::write(
            root.join("sub/c.har"),
            har(&[post_params("https://a", &[("wresult", RSTR)])]),
        )
        .unwrap();
        std::fs::write(root.join("sub/d.txt"), "just some notes").unwrap();
        std::fs::write(root.join(".e.xml"), XML).unwrap();
        std::fs::write(root.join(".hidden/f.xml"), XML).unwrap();

        let spec = root.display().to_string();
        let loaded = load(&spec, InputFormat::Auto, &limits());
        let names: Vec<_> = loaded
            .iter()
            .map(|l| Path::new(&l.input).strip_prefix(root).unwrap().display().to_string())
            .collect();
        assert_eq!(names, ["a.xml", "b.txt", "sub/c.har", "sub/d.txt"]);
        assert_eq!(loaded[0].result.as_ref().unwrap()[0].source.carrier, Carrier::Xml);
        assert_eq!(loaded[1].result.as_ref().unwrap()[0].xml, XML.as_bytes());
        assert_eq!(loaded[2].result.as_ref().unwrap()[0].source.carrier, Carrier::Har);
        let err = loaded[3].result.as_ref().unwrap_err();
        assert_eq!(err.input, loaded[3].input);
        assert!(matches!(err.kind, InputErrorKind::NotBase64 { .. }), "{err}");

        // No cap on files per directory: the walk is lazy.
        assert_eq!(load(&spec, InputFormat::Auto, &limits()).len(), 4);

        // A single file given directly keeps its name as given; a missing one is an I/O error.
        let file = root.join("a.xml").display().to_string();
        let loaded = load(&file, InputFormat::Auto, &limits());
        assert_eq!(loaded[0].input, file);
        assert_eq!(loaded[0].result.as_ref().unwrap()[0].source.input, file);
        let small = InputLimits {
            max_input_bytes: 10,
            ..InputLimits::default()
        };
        let loaded = load(&file, InputFormat::Auto, &small);
        assert!(matches!(
            loaded[0].result,
            Err(InputError {
                kind: InputErrorKind::TooLarge { limit: 10, .. },
                ..
            })
        ));
        let missing = root.join("nope").display().to_string();
        let loaded = load(&missing, InputFormat::Auto, &limits());
        let err = loaded[0].result.as_ref().unwrap_err();
        assert!(
            err.to_string().starts_with(&format!("{missing}: cannot read: ")),
            "{err}"
        );

        let empty = TempDir::new("empty");
        let loaded = load(&empty.0.display().to_string(), InputFormat::Auto, &limits());
        assert!(matches!(
            loaded[0].result,
            Err(InputError {
                kind: InputErrorKind::NoFiles,
                ..
            })
        ));
    }
}
