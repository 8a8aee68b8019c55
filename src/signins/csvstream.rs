//! A streaming CSV reader with a per-row size limit, on csv-core (RFC 4180: quoted fields with doubled quotes and
//! line breaks, CRLF or LF). The whole file is never in memory; a row that would grow beyond the limit is an error,
//! not an allocation.

use csv_core::{ReadRecordResult, Reader};
use std::io::BufRead;

/// A problem reading a row.
#[derive(Debug)]
pub enum CsvError {
    /// Reading failed.
    Io(std::io::Error),
    /// The input ends inside a quoted field (an odd number of quotes): truncated.
    Unterminated,
    /// A row larger than the limit.
    TooLarge,
    /// A row is not UTF-8.
    NotUtf8,
}

/// Rows of a CSV input, one at a time.
pub struct Rows<R: BufRead> {
    r: R,
    core: Reader,
    out: Vec<u8>,
    ends: Vec<usize>,
    limit: usize,
    done: bool,
    /// Rows returned so far (the header is row 1).
    pub row: u64,
    first: bool,
    quotes: u64,
}

impl<R: BufRead> Rows<R> {
    /// A reader with a per-row limit in bytes.
    pub fn new(r: R, limit: usize) -> Self {
        Rows {
            r,
            core: Reader::new(),
            out: vec![0; 4096],
            ends: vec![0; 64],
            limit,
            done: false,
            row: 0,
            first: true,
            quotes: 0,
        }
    }

    /// The next row's fields, or `None` at the end.
    pub fn next_row(&mut self) -> Result<Option<Vec<String>>, CsvError> {
        if self.done {
            return Ok(None);
        }
        if self.first {
            self.first = false;
            let buf = self.r.fill_buf().map_err(CsvError::Io)?;
            if buf.starts_with(b"\xEF\xBB\xBF") {
                self.r.consume(3);
            }
        }
        let mut out_len = 0;
        let mut nends = 0;
        loop {
            let (res, nin, nout, nend) = {
                let input = self.r.fill_buf().map_err(CsvError::Io)?;
                let (res, nin, nout, nend) =
                    self.core
                        .read_record(input, &mut self.out[out_len..], &mut self.ends[nends..]);
                // RFC 4180 quotes come in pairs (a doubled quote is two): an odd count at the end is a cut field.
                self.quotes += input[..nin].iter().filter(|b| **b == b'"').count() as u64;
                (res, nin, nout, nend)
            };
            self.r.consume(nin);
            out_len += nout;
            nends += nend;
            match res {
                ReadRecordResult::InputEmpty => continue,
                ReadRecordResult::OutputFull => {
                    if self.out.len() >= self.limit {
                        return Err(CsvError::TooLarge);
                    }
                    let n = (self.out.len() * 2).min(self.limit);
                    self.out.resize(n, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    if self.ends.len() >= 65_536 {
                        return Err(CsvError::TooLarge);
                    }
                    let n = self.ends.len() * 2;
                    self.ends.resize(n, 0);
                }
                ReadRecordResult::Record => {
                    self.row += 1;
                    if self.quotes % 2 == 1 && self.r.fill_buf().map_err(CsvError::Io)?.is_empty() {
                        return Err(CsvError::Unterminated);
                    }
                    return self.fields(out_len, nends).map(Some);
                }
                ReadRecordResult::End => {
                    self.done = true;
                    return Ok(None);
                }
            }
        }
    }

    fn fields(&self, out_len: usize, nends: usize) -> Result<Vec<String>, CsvError> {
        let data = &self.out[..out_len];
        let mut v = Vec::with_capacity(nends);
        let mut start = 0;
        for &e in &self.ends[..nends] {
            let s = std::str::from_utf8(&data[start..e]).map_err(|_| CsvError::NotUtf8)?;
            v.push(s.to_string());
            start = e;
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_fields_with_commas_quotes_and_newlines() {
        let text = "\u{feff}a,b,c\r\n1,\"x, \"\"y\"\"\nz\",3\n4,5,6";
        let mut r = Rows::new(std::io::BufReader::with_capacity(5, text.as_bytes()), 1 << 20);
        assert_eq!(r.next_row().unwrap().unwrap(), vec!["a", "b", "c"]);
        assert_eq!(r.next_row().unwrap().unwrap(), vec!["1", "x, \"y\"\nz", "3"]);
        assert_eq!(r.next_row().unwrap().unwrap(), vec!["4", "5", "6"]);
        assert!(r.next_row().unwrap().is_none());
    }

    #[test]
    fn a_huge_row_is_refused() {
        let text = format!("a\n\"{}\"\n", "x".repeat(100_000));
        let mut r = Rows::new(text.as_bytes(), 10_000);
        r.next_row().unwrap();
        assert!(matches!(r.next_row(), Err(CsvError::TooLarge)));
    }
}
