//! One token per line (`--input-format lines`): what a proxy log, a SIEM export or a `jq` over captures yields, and
//! what GNU `parallel --pipe` and Spark's `RDD.pipe` hand a worker.
//!
//! A line holds one token in any single-line carrier: base64 of the XML (a `SAMLResponse` value), a form body
//! (`SAMLResponse=...&RelayState=...`, `wa=wsignin1.0&wresult=...`), the XML itself on one line, a JSON string
//! holding any of these (`jq` without `-r`), a HAR entry (`jq -c '.log.entries[]'`), a SAML-tracer request, or a
//! whole HAR or SAML-tracer export written on one line. Blank lines are skipped; every line is numbered from 1
//! whether blank or not, and each token's [`Source::line`](super::Source) says which line it came from.
//!
//! [`LineReader`] reads lines from any reader with a cap on one line's length, so a stream without line breaks
//! cannot exhaust memory: the rest of an over-long line is skipped, and the line is reported.

use super::{load_bytes_kind, InputErrorKind, InputFormat, InputLimits, RawToken};
use serde::de::IgnoredAny;
use serde::Deserialize;
use std::io::BufRead;

/// One line read by [`LineReader`].
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// The line's bytes, without its line break (a trailing `\r` is removed too).
    Text(Vec<u8>),
    /// The line is longer than the cap; its bytes were skipped up to the next line break.
    TooLong,
}

/// Reads lines of at most `cap` bytes from a buffered reader, numbering them from 1.
pub struct LineReader<R> {
    reader: R,
    cap: u64,
    number: usize,
}

impl<R: BufRead> LineReader<R> {
    /// A reader of lines of at most `cap` bytes (line break excluded).
    pub fn new(reader: R, cap: u64) -> Self {
        LineReader { reader, cap, number: 0 }
    }

    /// The next line and its number, `None` at the end of the input.
    pub fn next_line(&mut self) -> std::io::Result<Option<(usize, Line)>> {
        let mut buf = Vec::new();
        let mut too_long = false;
        let mut seen = false;
        loop {
            let available = match self.reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                if !seen {
                    return Ok(None);
                }
                break;
            }
            seen = true;
            let (chunk, end) = match memchr::memchr(b'\n', available) {
                Some(at) => (&available[..at], Some(at + 1)),
                None => (available, None),
            };
            if !too_long {
                if (buf.len() + chunk.len()) as u64 > self.cap {
                    too_long = true;
                    buf = Vec::new();
                } else {
                    buf.extend_from_slice(chunk);
                }
            }
            let used = end.unwrap_or(available.len());
            self.reader.consume(used);
            if end.is_some() {
                break;
            }
        }
        self.number += 1;
        if too_long {
            return Ok(Some((self.number, Line::TooLong)));
        }
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
        Ok(Some((self.number, Line::Text(buf))))
    }
}

/// Whether a line holds nothing but whitespace (such lines are skipped).
pub fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

/// Which keys a one-line JSON object has: a HAR entry has `request`, a SAML-tracer request has `method`, `url` or
/// `requestId`; a whole HAR has `log`, a SAML-tracer export `requests`.
#[derive(Deserialize)]
struct ObjectProbe {
    request: Option<IgnoredAny>,
    method: Option<IgnoredAny>,
    url: Option<IgnoredAny>,
    #[serde(rename = "requestId")]
    request_id: Option<IgnoredAny>,
}

/// The tokens of line `line` of the input named `input`, each with its line number in [`Source::line`](
/// super::Source). Errors are the line's own (the caller names the line).
pub fn load_line(
    input: &str,
    line: usize,
    bytes: &[u8],
    limits: &InputLimits,
) -> Result<Vec<RawToken>, InputErrorKind> {
    let text = bytes.trim_ascii();
    let mut tokens = if text.first() == Some(&b'"') {
        // A JSON string (`jq` without -r): its value is the line.
        let value: String =
            serde_json::from_slice(text).map_err(|e| InputErrorKind::NotJson { detail: e.to_string() })?;
        from_text(input, value.trim_ascii().as_bytes(), limits)?
    } else {
        from_text(input, text, limits)?
    };
    for t in &mut tokens {
        t.source.line = Some(line);
    }
    Ok(tokens)
}

/// A line's content: a lone HAR entry or SAML-tracer request is wrapped into the document it came from, anything
/// else is detected as a whole input is.
fn from_text(input: &str, text: &[u8], limits: &InputLimits) -> Result<Vec<RawToken>, InputErrorKind> {
    if text.first() == Some(&b'{') {
        let probe: ObjectProbe =
            serde_json::from_slice(text).map_err(|e| InputErrorKind::NotJson { detail: e.to_string() })?;
        if probe.request.is_some() {
            let har = [b"{\"log\":{\"entries\":[".as_slice(), text, b"]}}"].concat();
            return load_bytes_kind(input, &har, InputFormat::Har, limits);
        }
        if probe.method.is_some() || probe.url.is_some() || probe.request_id.is_some() {
            let export = [b"[".as_slice(), text, b"]"].concat();
            return load_bytes_kind(input, &export, InputFormat::SamlTracer, limits);
        }
    }
    load_bytes_kind(input, text, InputFormat::Auto, limits)
}

/// Every token of a buffer read as lines (`load_bytes` with [`InputFormat::Lines`]); the first unusable line stops
/// the input, named by its number.
pub(super) fn load_all(input: &str, bytes: &[u8], limits: &InputLimits) -> Result<Vec<RawToken>, InputErrorKind> {
    let mut reader = LineReader::new(bytes, limits.max_input_bytes);
    let mut tokens = Vec::new();
    while let Some((number, line)) = reader.next_line().map_err(InputErrorKind::Io)? {
        let text = match line {
            Line::Text(t) if is_blank(&t) => continue,
            Line::Text(t) => t,
            Line::TooLong => return Err(line_error(number, too_long(limits))),
        };
        let found = load_line(input, number, &text, limits).map_err(|e| line_error(number, e))?;
        if tokens.len() + found.len() > limits.max_tokens {
            return Err(limits.too_many_tokens());
        }
        tokens.extend(found);
    }
    if tokens.is_empty() {
        return Err(InputErrorKind::Empty);
    }
    Ok(tokens)
}

/// What an over-long line is.
pub(super) fn too_long(limits: &InputLimits) -> InputErrorKind {
    InputErrorKind::TooLargeStream {
        limit: limits.max_input_bytes,
    }
}

/// A line's problem, naming the line.
pub(super) fn line_error(line: usize, kind: InputErrorKind) -> InputErrorKind {
    InputErrorKind::Line {
        line,
        kind: Box::new(kind),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], cap: u64) -> Vec<(usize, Line)> {
        let mut r = LineReader::new(input, cap);
        let mut out = Vec::new();
        while let Some(l) = r.next_line().unwrap() {
            out.push(l);
        }
        out
    }

    #[test]
    fn lines_are_numbered_and_capped() {
        let got = lines(b"ab\r\n\nxxxxxxxx\ncd", 4);
        assert_eq!(
            got,
            vec![
                (1, Line::Text(b"ab".to_vec())),
                (2, Line::Text(vec![])),
                (3, Line::TooLong),
                (4, Line::Text(b"cd".to_vec())),
            ]
        );
        assert!(lines(b"", 4).is_empty());
        assert_eq!(lines(b"\n", 4), vec![(1, Line::Text(vec![]))]);
    }

    const XML: &str = "<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" ID=\"_a\"/>";

    fn b64(s: &str) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    fn one(line: &str) -> RawToken {
        let mut t = load_line("<stdin>", 7, line.as_bytes(), &InputLimits::default()).unwrap();
        assert_eq!(t.len(), 1, "{line}");
        let t = t.remove(0);
        assert_eq!(t.xml, XML.as_bytes(), "{line}");
        assert_eq!(t.source.line, Some(7));
        t
    }

    #[test]
    fn every_single_line_carrier_is_read() {
        use super::super::Carrier;
        let value = b64(XML);
        let form = format!(
            "SAMLResponse={}&RelayState=x",
            value.replace('+', "%2B").replace('=', "%3D")
        );
        assert_eq!(one(&value).source.carrier, Carrier::Base64);
        assert_eq!(one(&format!("  {value}\t")).source.carrier, Carrier::Base64);
        assert_eq!(one(XML).source.carrier, Carrier::Xml);
        assert_eq!(one(&form).source.carrier, Carrier::Form);
        assert_eq!(
            one(&serde_json::to_string(&form).unwrap()).source.carrier,
            Carrier::Form
        );
        assert_eq!(
            one(&serde_json::to_string(&value).unwrap()).source.carrier,
            Carrier::Base64
        );
        let entry = serde_json::json!({"request": {"method": "POST", "url": "https://login.microsoftonline.com/login.srf",
            "postData": {"mimeType": "application/x-www-form-urlencoded", "text": form}}});
        let t = one(&entry.to_string());
        assert_eq!(t.source.carrier, Carrier::Har);
        assert_eq!(
            t.source.url.as_deref(),
            Some("https://login.microsoftonline.com/login.srf")
        );
        let tracer = serde_json::json!({"method": "POST", "url": "https://login.microsoftonline.com/login.srf",
            "post": [["SAMLResponse", value]]});
        assert_eq!(one(&tracer.to_string()).source.carrier, Carrier::SamlTracer);
    }

    #[test]
    fn a_bad_line_says_what_is_wrong() {
        let limits = InputLimits::default();
        let e = load_line("<stdin>", 1, b"not base64!", &limits).unwrap_err();
        assert!(matches!(e, InputErrorKind::NotBase64 { .. }), "{e}");
        let e = load_line("<stdin>", 1, b"\"unterminated", &limits).unwrap_err();
        assert!(matches!(e, InputErrorKind::NotJson { .. }), "{e}");
        let e = load_all("in", format!("{}\n\nbad!\n", b64(XML)).as_bytes(), &limits).unwrap_err();
        assert_eq!(e.to_string(), "line 3: not base64: invalid byte 0x21 at offset 3");
        let ok = load_all("in", format!("{}\n\n{}\n", b64(XML), b64(XML)).as_bytes(), &limits).unwrap();
        assert_eq!(ok.iter().map(|t| t.source.line).collect::<Vec<_>>(), [Some(1), Some(3)]);
    }

    #[test]
    fn a_line_longer_than_the_reader_buffer_is_read_whole() {
        let long = vec![b'a'; 100_000];
        let input = [long.as_slice(), b"\nb\n"].concat();
        let reader = std::io::BufReader::with_capacity(1024, input.as_slice());
        let mut r = LineReader::new(reader, 200_000);
        assert_eq!(r.next_line().unwrap(), Some((1, Line::Text(long))));
        assert_eq!(r.next_line().unwrap(), Some((2, Line::Text(b"b".to_vec()))));
        assert_eq!(r.next_line().unwrap(), None);
    }
}
