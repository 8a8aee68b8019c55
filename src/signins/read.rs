//! Reading one input file: its shape detected from the first bytes (JSON or CSV, then the first record's member
//! names or the header row) unless forced, its records streamed into [`SignIn`]s, one line of error naming the file
//! for anything unusable.

use super::columns::{self, HeaderProblem, RowProblem};
use super::csvstream::{CsvError, Rows};
use super::jsonstream::{Container, ScanError, Scanner};
use super::record::{self, RecordProblem};
use super::{Limits, Shape, SignIn, SigninsError};
use serde::Serialize;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read};

/// What one input held.
#[derive(Debug, Clone, Serialize)]
pub struct InputSummary {
    /// The file as given.
    pub file: String,
    /// Its shape.
    pub shape: Shape,
    /// Sign-in records read.
    pub records: u64,
    /// A Graph page with `@odata.nextLink`: more pages exist than this file holds.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub more_pages: bool,
}

/// A reader that reports the bytes it delivers (for a progress bar).
pub struct Counting<'a, R> {
    inner: R,
    tick: &'a dyn Fn(u64),
}

impl<'a, R: Read> Counting<'a, R> {
    /// Wraps `inner`; `tick` gets the size of every read.
    pub fn new(inner: R, tick: &'a dyn Fn(u64)) -> Self {
        Counting { inner, tick }
    }
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        (self.tick)(n as u64);
        Ok(n)
    }
}

/// JSON or CSV, and whether it looks like Partner Center's report, from the first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sniff {
    /// The first non-blank byte is `{` or `[`.
    pub json: bool,
    /// It names Partner Center's fields (`lastNonMfaCompliant...`, or `upn` without `userPrincipalName`).
    pub partner: bool,
}

/// Looks at the head of a file.
pub fn sniff(head: &[u8]) -> Sniff {
    let text = String::from_utf8_lossy(head);
    let t = text.trim_start_matches('\u{feff}').trim_start();
    let json = t.starts_with('{') || t.starts_with('[');
    let lower = t.to_ascii_lowercase();
    let partner = if json {
        lower.contains("lastnonmfacompliant") || (lower.contains("\"upn\"") && !lower.contains("userprincipalname"))
    } else {
        let header = lower.lines().next().unwrap_or("");
        header.contains("nonmfa")
            || (header.split(',').any(|h| h.trim().trim_matches('"') == "upn") && !header.contains("username"))
    };
    Sniff { json, partner }
}

fn io(file: &str) -> impl Fn(std::io::Error) -> SigninsError + '_ {
    move |e| SigninsError::Io {
        file: file.to_string(),
        source: e,
    }
}

/// A JSON scanning error as the run's error, naming the file (and the record after `record` read ones).
pub(super) fn scan_error(file: &str, e: ScanError, record: u64, limit: usize) -> SigninsError {
    match e {
        ScanError::Truncated { inside, offset } => SigninsError::Truncated {
            file: file.into(),
            inside,
            offset,
        },
        ScanError::Syntax { offset, message } => SigninsError::Json {
            file: file.into(),
            offset,
            message,
        },
        ScanError::TooLarge => SigninsError::RecordTooLarge {
            file: file.into(),
            record: record + 1,
            limit,
        },
        ScanError::Io(e) => SigninsError::Io {
            file: file.into(),
            source: e,
        },
        ScanError::Handler(e) => e,
    }
}

/// Streams the sign-ins of one file into `each`. `forced` is `--input-format`; `personal` collects the values a
/// bundle redacts.
pub fn read_signins(
    file: &str,
    input: impl Read,
    forced: Option<Shape>,
    limits: &Limits,
    personal: bool,
    each: &mut dyn FnMut(SignIn) -> Result<(), SigninsError>,
) -> Result<InputSummary, SigninsError> {
    let mut r = BufReader::with_capacity(64 * 1024, input);
    let head = r.fill_buf().map_err(io(file))?.to_vec();
    if head.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(SigninsError::NotSignins {
            file: file.into(),
            why: "the file is empty".into(),
        });
    }
    let sn = sniff(&head);
    let csv_forced = matches!(forced, Some(Shape::PortalCsv | Shape::LogAnalyticsCsv));
    if let Some(f) = forced.filter(|_| !csv_forced && !sn.json) {
        return Err(SigninsError::NotSignins {
            file: file.into(),
            why: format!("not JSON, but --input-format names a JSON shape ({})", f.describe()),
        });
    }
    let job = Job {
        file,
        forced,
        limits,
        personal,
    };
    if sn.json && !csv_forced {
        read_json(job, r, each)
    } else {
        read_csv(job, r, each)
    }
}

/// What one file's reader needs besides the bytes: its name (for errors), `--input-format`, the limits, and whether
/// to collect personal values for redaction.
struct Job<'a> {
    file: &'a str,
    forced: Option<Shape>,
    limits: &'a Limits,
    personal: bool,
}

fn read_json(
    job: Job<'_>,
    r: impl BufRead,
    each: &mut dyn FnMut(SignIn) -> Result<(), SigninsError>,
) -> Result<InputSummary, SigninsError> {
    let Job {
        file,
        forced,
        limits,
        personal,
    } = job;
    let mut scanner = Scanner::new(r, limits.max_record_bytes);
    let mut n: u64 = 0;
    let mut first_shape: Option<Shape> = None;
    let mut one = |o: &serde_json::Map<String, Value>, n: &mut u64| -> Result<(), SigninsError> {
        *n += 1;
        if first_shape.is_none() {
            first_shape = Some(record::shape_of(o));
        }
        if record::get(
            o,
            &["lastNonMfaCompliantRequestDateTime", "lastNonMfaCompliantLoginDateTime"],
        )
        .is_some()
            && record::get(o, &["userPrincipalName"]).is_none()
        {
            return Err(SigninsError::NotSignins {
                file: file.into(),
                why: "this is Partner Center's MFA report, not a sign-in log: give it with --partner-report".into(),
            });
        }
        match record::sign_in(o, personal) {
            Ok(s) => each(s),
            Err(RecordProblem::Shallow(field, example)) => Err(SigninsError::ShallowPowershell {
                file: file.into(),
                record: *n,
                field,
                example,
            }),
            Err(RecordProblem::NoStatus) => Err(SigninsError::MissingField {
                file: file.into(),
                record: *n,
                field: "status (status.errorCode, or ResultType)",
                why: "a failed sign-in cannot be told from a successful one; export the full sign-in objects",
            }),
        }
    };
    let outline = scanner
        .records(|v, _c| match v {
            Value::Object(o) => {
                // A Graph page inside an array (pages collected into one file).
                if let Some(Value::Array(items)) = record::get(&o, &["value"]) {
                    if record::get(&o, &["userPrincipalName"]).is_none() {
                        for it in items {
                            if let Value::Object(x) = it {
                                one(x, &mut n)?;
                            }
                        }
                        return Ok(());
                    }
                }
                one(&o, &mut n)
            }
            other => Err(SigninsError::NotSignins {
                file: file.into(),
                why: format!(
                    "record {} is a JSON {} where a sign-in object was expected",
                    n + 1,
                    match other {
                        Value::Array(_) => "array",
                        Value::String(_) => "string",
                        Value::Number(_) => "number",
                        Value::Bool(_) => "boolean",
                        _ => "null",
                    }
                ),
            }),
        })
        .map_err(|e| scan_error(file, e, n, limits.max_record_bytes))?;
    let container = outline.containers.first().copied();
    let shape = match (forced, first_shape) {
        (Some(Shape::GraphArray), _) | (None, Some(Shape::GraphArray)) | (None, None) => match container {
            Some(Container::Page) => Shape::GraphPage,
            Some(Container::Lone) => Shape::Ndjson,
            _ => Shape::GraphArray,
        },
        (Some(f), _) => f,
        (None, Some(s)) => s,
    };
    Ok(InputSummary {
        file: file.into(),
        shape,
        records: n,
        more_pages: outline.next_link,
    })
}

/// A CSV reading error as the run's error, naming the file and the row; `not_utf8` is the message for bytes that
/// are not UTF-8.
pub(super) fn csv_error(file: &str, limits: &Limits, e: CsvError, row: u64, not_utf8: &str) -> SigninsError {
    match e {
        CsvError::Io(e) => SigninsError::Io {
            file: file.into(),
            source: e,
        },
        CsvError::TooLarge => SigninsError::RecordTooLarge {
            file: file.into(),
            record: row,
            limit: limits.max_record_bytes,
        },
        CsvError::Unterminated => SigninsError::Csv {
            file: file.into(),
            row,
            message: "the file ends inside a quoted field: it is truncated; export it again".into(),
        },
        CsvError::NotUtf8 => SigninsError::Csv {
            file: file.into(),
            row,
            message: not_utf8.into(),
        },
    }
}

fn read_csv(
    job: Job<'_>,
    r: impl BufRead,
    each: &mut dyn FnMut(SignIn) -> Result<(), SigninsError>,
) -> Result<InputSummary, SigninsError> {
    let (file, forced, limits, personal) = (job.file, job.forced, job.limits, job.personal);
    let mut rows = Rows::new(r, limits.max_record_bytes);
    let csv_err = |e: CsvError, row: u64| csv_error(file, limits, e, row, "not UTF-8 (save the export as UTF-8)");
    let headers = match rows.next_row().map_err(|e| csv_err(e, 1))? {
        Some(h) => h,
        None => {
            return Err(SigninsError::NotSignins {
                file: file.into(),
                why: "the file is empty".into(),
            })
        }
    };
    let map = columns::map_headers(&headers, forced).map_err(|p| match p {
        HeaderProblem::Unknown { hint } => {
            let mut shown: Vec<String> = headers.iter().take(8).map(|h| h.trim().to_string()).collect();
            if headers.len() > 8 {
                shown.push("...".into());
            }
            let joined: String = shown.join(", ").chars().take(300).collect();
            SigninsError::UnknownCsv {
                file: file.into(),
                headers: joined,
                hint,
            }
        }
        HeaderProblem::Missing(shape, column, why) => SigninsError::MissingColumn {
            file: file.into(),
            shape,
            column,
            why,
        },
    })?;
    let mut n: u64 = 0;
    while let Some(row) = rows.next_row().map_err(|e| csv_err(e, rows.row + 1))? {
        if row.len() == 1 && row[0].trim().is_empty() {
            continue; // a blank line
        }
        n += 1;
        if row.len() != headers.len() {
            return Err(SigninsError::Csv {
                file: file.into(),
                row: rows.row,
                message: format!(
                    "{} field(s) where the header has {}: the file is truncated or was edited; export it again",
                    row.len(),
                    headers.len()
                ),
            });
        }
        match map.sign_in(&row, personal) {
            Ok(s) => each(s)?,
            Err(RowProblem::NoStatus) => {
                return Err(SigninsError::MissingField {
                    file: file.into(),
                    record: n,
                    field: "error code or status",
                    why: "a failed sign-in cannot be told from a successful one",
                })
            }
        }
    }
    Ok(InputSummary {
        file: file.into(),
        shape: map.shape,
        records: n,
        more_pages: false,
    })
}
