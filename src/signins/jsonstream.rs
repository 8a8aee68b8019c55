//! A streaming JSON reader for exports larger than memory: it walks the structure byte by byte (strings, escapes,
//! nesting) without building it, and hands over one record at a time as its raw bytes, which serde_json then parses
//! (bounded by a per-record limit).
//!
//! Containers it understands at the top level, any number of them in one file: a bare array of records, an object
//! whose `value` (Graph) or `items` (Partner Center) member is the array of records (every other member is kept if
//! small, e.g. `@odata.nextLink`), or a lone object (a record; several in a row are NDJSON).

use serde_json::{Map, Value};
use std::io::BufRead;

/// What went wrong, without the file name (the caller adds it).
#[derive(Debug)]
pub enum ScanError {
    /// The input ended inside a value.
    Truncated {
        /// What was open.
        inside: &'static str,
        /// Bytes read.
        offset: u64,
    },
    /// Not well-formed.
    Syntax {
        /// Byte offset.
        offset: u64,
        /// What is wrong.
        message: String,
    },
    /// One record is larger than the limit.
    TooLarge,
    /// Reading failed.
    Io(std::io::Error),
    /// The record handler refused the record.
    Handler(super::SigninsError),
}

impl From<std::io::Error> for ScanError {
    fn from(e: std::io::Error) -> Self {
        ScanError::Io(e)
    }
}

/// The container a record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// An element of a top-level array.
    Array,
    /// An element of a top-level object's `value` / `items` array.
    Page,
    /// A top-level object by itself (NDJSON line, or one record).
    Lone,
}

/// Facts about the file's containers.
#[derive(Debug, Default, Clone)]
pub struct Outline {
    /// Top-level containers seen, in order (deduplicated).
    pub containers: Vec<Container>,
    /// A page carried `@odata.nextLink`: more pages exist.
    pub next_link: bool,
}

/// The byte scanner.
pub struct Scanner<R: BufRead> {
    r: R,
    pos: u64,
    limit: usize,
}

/// Where a value's scan stands, kept across buffer refills: the value's kind (by its first byte), the nesting depth
/// of a container, and whether the scan is inside a string (just after a backslash).
struct ValueScan {
    first: u8,
    container: bool,
    depth: usize,
    in_string: bool,
    escape: bool,
    started: bool,
}

impl ValueScan {
    /// What the value is, for a truncation error.
    fn inside(&self) -> &'static str {
        match self.first {
            b'{' => "an object",
            b'[' => "an array",
            b'"' => "a string",
            _ => "a value",
        }
    }

    /// A scalar other than a string ends where the input ends.
    fn ends_at_end_of_input(&self) -> bool {
        !self.container && !self.in_string && self.started
    }

    /// Scans `buf` (starting at input offset `pos`): `Some(n)` when the value ends after its first `n` bytes.
    fn end_in(&mut self, buf: &[u8], pos: u64) -> Result<Option<usize>, ScanError> {
        for (i, &b) in buf.iter().enumerate() {
            if !self.started {
                self.started = true;
                match b {
                    b'{' | b'[' => self.depth = 1,
                    b'"' => self.in_string = true,
                    _ => {}
                }
            } else if self.in_string {
                if self.string_byte(b, pos + i as u64)? && !self.container {
                    return Ok(Some(i + 1));
                }
            } else if !self.container {
                if is_ws(b) || b == b',' || b == b']' || b == b'}' {
                    return Ok(Some(i));
                }
            } else if self.container_byte(b, pos + i as u64)? {
                return Ok(Some(i + 1));
            }
        }
        Ok(None)
    }

    /// One byte inside a string: true when it is the closing quote.
    fn string_byte(&mut self, b: u8, offset: u64) -> Result<bool, ScanError> {
        if self.escape {
            self.escape = false;
        } else if b == b'\\' {
            self.escape = true;
        } else if b == b'"' {
            self.in_string = false;
            return Ok(true);
        } else if b < 0x20 {
            return Err(ScanError::Syntax {
                offset,
                message: "control character in a string".into(),
            });
        }
        Ok(false)
    }

    /// One byte of a container outside strings: true when it closes the container.
    fn container_byte(&mut self, b: u8, offset: u64) -> Result<bool, ScanError> {
        match b {
            b'"' => self.in_string = true,
            b'{' | b'[' => {
                self.depth += 1;
                if self.depth > 512 {
                    return Err(ScanError::Syntax {
                        offset,
                        message: "nested more than 512 levels".into(),
                    });
                }
            }
            b'}' | b']' => {
                self.depth -= 1;
                return Ok(self.depth == 0);
            }
            _ => {}
        }
        Ok(false)
    }
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

impl<R: BufRead> Scanner<R> {
    /// A scanner with a per-record size limit.
    pub fn new(r: R, limit: usize) -> Self {
        Scanner { r, pos: 0, limit }
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.pos
    }

    fn bump(&mut self) {
        self.r.consume(1);
        self.pos += 1;
    }

    /// The next non-whitespace byte, not consumed; skips a UTF-8 BOM at the very start.
    pub fn next_token(&mut self) -> Result<Option<u8>, ScanError> {
        if self.pos == 0 {
            let buf = self.r.fill_buf()?;
            if buf.starts_with(b"\xEF\xBB\xBF") {
                self.r.consume(3);
                self.pos += 3;
            }
        }
        loop {
            let buf = self.r.fill_buf()?;
            if buf.is_empty() {
                return Ok(None);
            }
            let n = buf.iter().take_while(|b| is_ws(**b)).count();
            if n < buf.len() {
                let b = buf[n];
                self.r.consume(n);
                self.pos += n as u64;
                return Ok(Some(b));
            }
            let len = buf.len();
            self.r.consume(len);
            self.pos += len as u64;
        }
    }

    fn expect(&mut self, want: u8, inside: &'static str) -> Result<(), ScanError> {
        match self.next_token()? {
            Some(b) if b == want => {
                self.bump();
                Ok(())
            }
            Some(b) => Err(ScanError::Syntax {
                offset: self.pos,
                message: format!("expected '{}', found '{}'", want as char, (b as char).escape_default()),
            }),
            None => Err(ScanError::Truncated {
                inside,
                offset: self.pos,
            }),
        }
    }

    /// Reads one complete value; its bytes go to `sink` when given (bounded by the limit).
    pub fn value(&mut self, mut sink: Option<&mut Vec<u8>>) -> Result<(), ScanError> {
        let mut scan = self.value_start()?;
        loop {
            let buf = self.r.fill_buf()?;
            if buf.is_empty() {
                if scan.ends_at_end_of_input() {
                    return Ok(()); // a scalar at the end of the input
                }
                return Err(ScanError::Truncated {
                    inside: scan.inside(),
                    offset: self.pos,
                });
            }
            let end = scan.end_in(buf, self.pos)?; // bytes of buf that belong to the value
            let take = end.unwrap_or(buf.len());
            if let Some(s) = sink.as_deref_mut() {
                if s.len() + take > self.limit {
                    return Err(ScanError::TooLarge);
                }
                s.extend_from_slice(&buf[..take]);
            }
            self.r.consume(take);
            self.pos += take as u64;
            if end.is_some() {
                return Ok(());
            }
        }
    }

    /// The first byte of a value, not consumed: what kind of value it opens, or an error if it opens none.
    fn value_start(&mut self) -> Result<ValueScan, ScanError> {
        let Some(first) = self.next_token()? else {
            return Err(ScanError::Truncated {
                inside: "a value",
                offset: self.pos,
            });
        };
        let container = first == b'{' || first == b'[';
        if !container && first != b'"' && !(first == b'-' || first.is_ascii_alphanumeric()) {
            return Err(ScanError::Syntax {
                offset: self.pos,
                message: format!("unexpected '{}'", (first as char).escape_default()),
            });
        }
        Ok(ValueScan {
            first,
            container,
            depth: 0,
            in_string: false,
            escape: false,
            started: false,
        })
    }

    fn string(&mut self) -> Result<String, ScanError> {
        let at = self.pos;
        let mut raw = Vec::new();
        match self.next_token()? {
            Some(b'"') => {}
            Some(b) => {
                return Err(ScanError::Syntax {
                    offset: self.pos,
                    message: format!("expected a member name, found '{}'", (b as char).escape_default()),
                })
            }
            None => {
                return Err(ScanError::Truncated {
                    inside: "an object",
                    offset: self.pos,
                })
            }
        }
        self.value(Some(&mut raw))?;
        serde_json::from_slice(&raw).map_err(|e| ScanError::Syntax {
            offset: at,
            message: e.to_string(),
        })
    }

    fn parse(&self, raw: &[u8], at: u64) -> Result<Value, ScanError> {
        serde_json::from_slice(raw).map_err(|e| {
            if e.is_eof() {
                ScanError::Truncated {
                    inside: "a record",
                    offset: at + raw.len() as u64,
                }
            } else {
                ScanError::Syntax {
                    offset: at,
                    message: e.to_string(),
                }
            }
        })
    }

    /// Reads every record of the input, calling `f` with each (and its container); returns the outline.
    pub fn records(
        &mut self,
        mut f: impl FnMut(Value, Container) -> Result<(), super::SigninsError>,
    ) -> Result<Outline, ScanError> {
        let mut outline = Outline::default();
        let note = |o: &mut Outline, c: Container| {
            if !o.containers.contains(&c) {
                o.containers.push(c);
            }
        };
        loop {
            match self.next_token()? {
                None => return Ok(outline),
                Some(b'[') => {
                    note(&mut outline, Container::Array);
                    self.array(&mut |v| f(v, Container::Array))?;
                }
                Some(b'{') => {
                    let (page, rest) = self.top_object(&mut |v| f(v, Container::Page))?;
                    if page {
                        note(&mut outline, Container::Page);
                        if rest.keys().any(|k| k.eq_ignore_ascii_case("@odata.nextLink")) {
                            outline.next_link = true;
                        }
                    } else {
                        note(&mut outline, Container::Lone);
                        f(Value::Object(rest), Container::Lone).map_err(ScanError::Handler)?;
                    }
                }
                Some(b) => {
                    return Err(ScanError::Syntax {
                        offset: self.pos,
                        message: format!(
                            "expected a JSON object or array, found '{}'",
                            (b as char).escape_default()
                        ),
                    })
                }
            }
        }
    }

    /// After a member of an array or object: consumes the `,` before the next one (false) or the `close` that ends
    /// the container (true).
    fn after_member(&mut self, close: u8, inside: &'static str) -> Result<bool, ScanError> {
        match self.next_token()? {
            Some(b',') => {
                self.bump();
                Ok(false)
            }
            Some(b) if b == close => {
                self.bump();
                Ok(true)
            }
            Some(b) => Err(ScanError::Syntax {
                offset: self.pos,
                message: format!(
                    "expected ',' or '{}' in {inside}, found '{}'",
                    close as char,
                    (b as char).escape_default()
                ),
            }),
            None => Err(ScanError::Truncated {
                inside,
                offset: self.pos,
            }),
        }
    }

    fn array(&mut self, f: &mut dyn FnMut(Value) -> Result<(), super::SigninsError>) -> Result<(), ScanError> {
        self.expect(b'[', "an array")?;
        if self.next_token()? == Some(b']') {
            self.bump();
            return Ok(());
        }
        loop {
            let at = self.pos;
            let mut raw = Vec::new();
            self.value(Some(&mut raw))?;
            let v = self.parse(&raw, at)?;
            drop(raw);
            f(v).map_err(ScanError::Handler)?;
            if self.after_member(b']', "an array")? {
                return Ok(());
            }
        }
    }

    /// A top-level object: streams its `value` / `items` array when it has one; other members are kept (bounded).
    fn top_object(
        &mut self,
        f: &mut dyn FnMut(Value) -> Result<(), super::SigninsError>,
    ) -> Result<(bool, Map<String, Value>), ScanError> {
        self.expect(b'{', "an object")?;
        let mut page = false;
        let mut rest = Map::new();
        let mut kept = 0usize;
        if self.next_token()? == Some(b'}') {
            self.bump();
            return Ok((false, rest));
        }
        loop {
            let key = self.string()?;
            self.expect(b':', "an object")?;
            let is_list = key.eq_ignore_ascii_case("value") || key.eq_ignore_ascii_case("items");
            if is_list && self.next_token()? == Some(b'[') {
                page = true;
                self.array(f)?;
            } else {
                let at = self.pos;
                let mut raw = Vec::new();
                self.value(Some(&mut raw))?;
                kept += raw.len();
                if kept > self.limit {
                    return Err(ScanError::TooLarge);
                }
                let v = self.parse(&raw, at)?;
                rest.insert(key, v);
            }
            if self.after_member(b'}', "an object")? {
                return Ok((page, rest));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(input: &str) -> Result<(Vec<Value>, Outline), ScanError> {
        let mut s = Scanner::new(std::io::BufReader::with_capacity(7, input.as_bytes()), 1 << 20);
        let mut out = Vec::new();
        let o = s.records(|v, _| {
            out.push(v);
            Ok(())
        })?;
        Ok((out, o))
    }

    #[test]
    fn page_array_ndjson_and_lone_objects() {
        let (v, o) =
            collect(r#"{"@odata.context":"x","value":[{"a":"}]\"{"},{"b":[1,{"c":2}]}],"@odata.nextLink":"n"}"#)
                .unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0]["a"], "}]\"{");
        assert!(o.next_link);
        assert_eq!(o.containers, vec![Container::Page]);
        let (v, _) = collect("\u{feff}[ {\"a\":1} , {\"a\":2} ]").unwrap();
        assert_eq!(v.len(), 2);
        let (v, o) = collect("{\"a\":1}\n{\"a\":2}\n").unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(o.containers, vec![Container::Lone]);
        let (v, _) = collect("[]").unwrap();
        assert!(v.is_empty());
    }

    #[test]
    fn truncation_is_reported_not_ignored() {
        for cut in [
            r#"{"value":[{"a":1},{"a":"#,
            r#"[{"a":1},"#,
            r#"[{"a":1}"#,
            r#"{"value":[{"a":1}]"#,
            r#"{"a":"unterminated"#,
        ] {
            match collect(cut) {
                Err(ScanError::Truncated { .. }) => {}
                other => panic!("{cut}: {other:?}"),
            }
        }
    }

    #[test]
    fn records_are_bounded() {
        let big = format!("[{{\"a\":\"{}\"}}]", "x".repeat(100));
        let mut s = Scanner::new(big.as_bytes(), 50);
        assert!(matches!(s.records(|_, _| Ok(())), Err(ScanError::TooLarge)));
        let deep = "[".repeat(600);
        let mut s = Scanner::new(deep.as_bytes(), 1 << 20);
        assert!(matches!(s.records(|_, _| Ok(())), Err(ScanError::Syntax { .. })));
    }
}
