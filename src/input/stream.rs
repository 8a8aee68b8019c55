//! Inputs as a lazy stream: [`Inputs`] walks the inputs named on the command line one [`Item`] at a time, so a
//! run over a million files or lines holds one directory's sorted names and the items in flight, never the list
//! of everything. Reading and decoding an item ([`Item::load`]) is separate from finding it, so it can run on any
//! thread.
//!
//! Order is deterministic: the inputs in the order given; a directory's files in sorted order (each directory's
//! names are read and sorted when the walk enters it), hidden entries skipped; lines in file order.
//!
//! A big input (a file of [`FAN_OUT_BYTES`] or more, or standard input) is read and decoded where the inputs are
//! walked instead, and each token it holds becomes an item of its own ([`Item::Token`]), in order: the tokens of a
//! big HAR or SAML-tracer export are then judged on every core and their lines streamed as they are judged, rather
//! than by one thread that holds every line until the last. Only where the work happens depends on this; the tokens,
//! their order and the report do not.

use super::lines::{self, Line, LineReader};
use super::{load_bytes_kind, read_file, InputError, InputErrorKind, InputFormat, InputLimits, Loaded, RawToken};
use crate::http::read_capped;
use std::io::{BufReader, Read};
use std::path::PathBuf;

/// The name standard input (`-`) has in reports.
pub const STDIN: &str = "<stdin>";

/// The size from which a file's tokens become items of their own (see the module documentation): a file of one
/// token is a few kilobytes, a HAR with a few dozen SAML posts already more.
pub const FAN_OUT_BYTES: u64 = 256 * 1024;

/// One unit of input: a file, standard input, one line of a lines input, or a problem met while finding inputs.
#[derive(Debug)]
pub enum Item {
    /// A file, named as the user named it (or as the directory walk reached it).
    File {
        /// The name used in reports.
        input: String,
        /// Where to read it.
        path: PathBuf,
    },
    /// Standard input, read whole.
    Stdin,
    /// One line of a lines input (`--input-format lines`).
    Line {
        /// The input the line belongs to (a file, or `<stdin>`).
        input: String,
        /// Its number, from 1.
        line: usize,
        /// Its bytes, line break removed.
        bytes: Vec<u8>,
    },
    /// One token of a big input, already read and decoded (see the module documentation).
    Token {
        /// The input the token belongs to.
        input: String,
        /// The token.
        token: Box<RawToken>,
    },
    /// An input that could not be walked or read.
    Failed(InputError),
}

impl Item {
    /// The input this item belongs to, as reports name it.
    pub fn input(&self) -> &str {
        match self {
            Item::File { input, .. } | Item::Line { input, .. } | Item::Token { input, .. } => input,
            Item::Stdin => STDIN,
            Item::Failed(e) => &e.input,
        }
    }

    /// Reads and decodes the item: the tokens it holds, or why it holds none.
    pub fn load(self, format: InputFormat, limits: &InputLimits) -> Loaded {
        let input = self.input().to_string();
        let result = match self {
            Item::File { input, path } => read_file(&path, limits.max_input_bytes)
                .and_then(|bytes| load_bytes_kind(&input, &bytes, format, limits)),
            Item::Stdin => read_capped(std::io::stdin().lock(), limits.max_input_bytes)
                .map_err(InputErrorKind::from)
                .and_then(|bytes| load_bytes_kind(STDIN, &bytes, format, limits)),
            Item::Line { input, line, bytes } => {
                lines::load_line(&input, line, &bytes, limits).map_err(|e| lines::line_error(line, e))
            }
            Item::Token { token, .. } => {
                return Loaded {
                    input,
                    result: Ok(vec![*token]),
                }
            }
            Item::Failed(e) => return Loaded { input, result: Err(e) },
        };
        let result = result.map_err(|kind| InputError {
            input: input.clone(),
            kind,
        });
        Loaded { input, result }
    }
}

/// A file found by a walk: the name reports use, where to read it, and its size when known.
type Found = (String, PathBuf, Option<u64>);

/// A walk over a directory, sorted by file name, hidden entries skipped.
struct DirWalk {
    spec: String,
    entries: Box<dyn Iterator<Item = walkdir::Result<walkdir::DirEntry>> + Send>,
    found: bool,
}

impl DirWalk {
    fn new(spec: String) -> DirWalk {
        let entries = walkdir::WalkDir::new(&spec)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
        DirWalk {
            spec,
            entries: Box::new(entries),
            found: false,
        }
    }

    /// The next file (with its size, when known) or walk error under the directory; a directory without any file is
    /// an error of its own.
    fn next(&mut self) -> Option<Result<Found, InputError>> {
        for entry in self.entries.by_ref() {
            match entry {
                Ok(e) => {
                    let is_file = e.file_type().is_file() || (e.path_is_symlink() && e.path().is_file());
                    if is_file {
                        self.found = true;
                        let size = e.metadata().ok().map(|m| m.len());
                        let path = e.into_path();
                        return Some(Ok((path.display().to_string(), path, size)));
                    }
                }
                Err(err) => {
                    self.found = true;
                    let input = err
                        .path()
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|| self.spec.clone());
                    return Some(Err(InputError {
                        input,
                        kind: InputErrorKind::Io(err.into()),
                    }));
                }
            }
        }
        if !self.found {
            self.found = true;
            return Some(Err(InputError {
                input: self.spec.clone(),
                kind: InputErrorKind::NoFiles,
            }));
        }
        None
    }
}

/// The lines of one input, read as the run needs them.
struct LineSource {
    input: String,
    reader: LineReader<BufReader<Box<dyn Read + Send>>>,
    cap: u64,
    tokens: bool,
    done: bool,
}

impl LineSource {
    fn new(input: String, reader: Box<dyn Read + Send>, cap: u64) -> LineSource {
        LineSource {
            input,
            reader: LineReader::new(BufReader::with_capacity(256 * 1024, reader), cap),
            cap,
            tokens: false,
            done: false,
        }
    }

    fn next(&mut self) -> Option<Item> {
        if self.done {
            return None;
        }
        let failed = |input: &str, kind| {
            Item::Failed(InputError {
                input: input.to_string(),
                kind,
            })
        };
        loop {
            match self.reader.next_line() {
                Ok(Some((_, Line::Text(t)))) if lines::is_blank(&t) => continue,
                Ok(Some((line, Line::Text(bytes)))) => {
                    self.tokens = true;
                    return Some(Item::Line {
                        input: self.input.clone(),
                        line,
                        bytes,
                    });
                }
                Ok(Some((line, Line::TooLong))) => {
                    self.tokens = true;
                    let kind = InputErrorKind::TooLargeStream { limit: self.cap };
                    return Some(failed(&self.input, lines::line_error(line, kind)));
                }
                Ok(None) => {
                    self.done = true;
                    return (!self.tokens).then(|| failed(&self.input, InputErrorKind::Empty));
                }
                Err(e) => {
                    self.done = true;
                    return Some(failed(&self.input, InputErrorKind::Io(e)));
                }
            }
        }
    }
}

/// The inputs named by the user, walked lazily: see the module documentation.
pub struct Inputs {
    specs: std::vec::IntoIter<String>,
    format: InputFormat,
    limits: InputLimits,
    dir: Option<DirWalk>,
    lines: Option<LineSource>,
    /// The tokens of a big input not handed on yet.
    fanned: std::vec::IntoIter<Item>,
}

impl Inputs {
    /// The inputs `specs` (files, directories, `-` for standard input), read as `format`.
    pub fn new(specs: Vec<String>, format: InputFormat, limits: InputLimits) -> Inputs {
        Inputs {
            specs: specs.into_iter(),
            format,
            limits,
            dir: None,
            lines: None,
            fanned: Vec::new().into_iter(),
        }
    }

    /// A file to hand on: an item, its tokens when it is big (`size` is a hint: where the work happens depends on
    /// it, not what is found), or, for a lines input, the start of its lines.
    fn file(&mut self, input: String, path: PathBuf, size: Option<u64>) -> Option<Item> {
        if self.format != InputFormat::Lines {
            let item = Item::File { input, path };
            return if size.is_some_and(|s| s >= FAN_OUT_BYTES) {
                self.fan_out(item)
            } else {
                Some(item)
            };
        }
        match std::fs::File::open(&path) {
            Ok(f) => {
                self.lines = Some(LineSource::new(input, Box::new(f), self.limits.max_input_bytes));
                None
            }
            Err(e) => Some(Item::Failed(InputError {
                input,
                kind: InputErrorKind::Io(e),
            })),
        }
    }
}

impl Inputs {
    /// Reads and decodes a big input now: its first token (or why it has none); the others follow it.
    fn fan_out(&mut self, item: Item) -> Option<Item> {
        let loaded = item.load(self.format, &self.limits);
        let items: Vec<Item> = match loaded.result {
            Ok(tokens) => tokens
                .into_iter()
                .map(|t| Item::Token {
                    input: loaded.input.clone(),
                    token: Box::new(t),
                })
                .collect(),
            Err(e) => vec![Item::Failed(e)],
        };
        self.fanned = items.into_iter();
        self.fanned.next()
    }
}

impl Iterator for Inputs {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        loop {
            if let Some(item) = self.fanned.next() {
                return Some(item);
            }
            if let Some(lines) = &mut self.lines {
                match lines.next() {
                    Some(item) => return Some(item),
                    None => self.lines = None,
                }
            }
            if let Some(dir) = &mut self.dir {
                match dir.next() {
                    Some(Ok((input, path, size))) => match self.file(input, path, size) {
                        Some(item) => return Some(item),
                        None => continue,
                    },
                    Some(Err(e)) => return Some(Item::Failed(e)),
                    None => {
                        self.dir = None;
                        continue;
                    }
                }
            }
            let spec = self.specs.next()?;
            if spec == "-" {
                if self.format == InputFormat::Lines {
                    let stdin: Box<dyn Read + Send> = Box::new(std::io::stdin());
                    self.lines = Some(LineSource::new(STDIN.into(), stdin, self.limits.max_input_bytes));
                    continue;
                }
                // Standard input is read whole anyway: its tokens are handed on one by one.
                match self.fan_out(Item::Stdin) {
                    Some(item) => return Some(item),
                    None => continue,
                }
            }
            match std::fs::metadata(&spec) {
                Ok(meta) if meta.is_dir() => self.dir = Some(DirWalk::new(spec)),
                meta => {
                    let size = meta.ok().map(|m| m.len());
                    let path = PathBuf::from(&spec);
                    if let Some(item) = self.file(spec, path, size) {
                        return Some(item);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn har(entries: usize) -> Vec<u8> {
        let har: serde_json::Value =
            serde_json::from_slice(include_bytes!("../../testdata/encoded/capture.har")).expect("har");
        let mut h = har.clone();
        h["log"]["entries"] = serde_json::Value::Array(vec![har["log"]["entries"][3].clone(); entries]);
        serde_json::to_vec(&h).expect("json")
    }

    #[test]
    fn a_big_file_is_handed_on_token_by_token_and_a_small_one_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let small = dir.path().join("a-small.har");
        let big = dir.path().join("b-big.har");
        std::fs::write(&small, har(2)).expect("write");
        std::fs::write(&big, har(50)).expect("write");
        assert!(std::fs::metadata(&big).expect("meta").len() >= FAN_OUT_BYTES);
        for specs in [
            vec![dir.path().display().to_string()],
            vec![small.display().to_string(), big.display().to_string()],
        ] {
            let items: Vec<Item> = Inputs::new(specs, InputFormat::Auto, InputLimits::default()).collect();
            assert_eq!(items.len(), 51, "{items:?}");
            assert!(matches!(&items[0], Item::File { path, .. } if *path == small));
            for item in &items[1..] {
                assert!(
                    matches!(item, Item::Token { input, .. } if input.ends_with("b-big.har")),
                    "{item:?}"
                );
            }
        }
        // A big input that holds no usable token is one failed item, named.
        std::fs::write(&big, vec![b'x'; FAN_OUT_BYTES as usize]).expect("write");
        let items: Vec<Item> = Inputs::new(
            vec![big.display().to_string()],
            InputFormat::Auto,
            InputLimits::default(),
        )
        .collect();
        assert!(
            matches!(&items[..], [Item::Failed(e)] if e.input.ends_with("b-big.har")),
            "{items:?}"
        );
    }
}
