//! Inputs as a lazy stream: [`Inputs`] walks the inputs named on the command line one [`Item`] at a time, so a
//! run over a million files or lines holds one directory's sorted names and the items in flight, never the list
//! of everything. Reading and decoding an item ([`Item::load`]) is separate from finding it, so it can run on any
//! thread.
//!
//! Order is deterministic: the inputs in the order given; a directory's files in sorted order (each directory's
//! names are read and sorted when the walk enters it), hidden entries skipped; lines in file order.

use super::lines::{self, Line, LineReader};
use super::{load_bytes_kind, read_file, InputError, InputErrorKind, InputFormat, InputLimits, Loaded};
use crate::http::read_capped;
use std::io::{BufReader, Read};
use std::path::PathBuf;

/// The name standard input (`-`) has in reports.
pub const STDIN: &str = "<stdin>";

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
    /// An input that could not be walked or read.
    Failed(InputError),
}

impl Item {
    /// The input this item belongs to, as reports name it.
    pub fn input(&self) -> &str {
        match self {
            Item::File { input, .. } | Item::Line { input, .. } => input,
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
            Item::Failed(e) => return Loaded { input, result: Err(e) },
        };
        let result = result.map_err(|kind| InputError {
            input: input.clone(),
            kind,
        });
        Loaded { input, result }
    }
}

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

    /// The next file (or walk error) under the directory; a directory without any is an error of its own.
    fn next(&mut self) -> Option<Result<(String, PathBuf), InputError>> {
        for entry in self.entries.by_ref() {
            match entry {
                Ok(e) => {
                    let is_file = e.file_type().is_file() || (e.path_is_symlink() && e.path().is_file());
                    if is_file {
                        self.found = true;
                        let path = e.into_path();
                        return Some(Ok((path.display().to_string(), path)));
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
        }
    }

    /// A file to hand on: an item, or, for a lines input, the start of its lines.
    fn file(&mut self, input: String, path: PathBuf) -> Option<Item> {
        if self.format != InputFormat::Lines {
            return Some(Item::File { input, path });
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

impl Iterator for Inputs {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        loop {
            if let Some(lines) = &mut self.lines {
                match lines.next() {
                    Some(item) => return Some(item),
                    None => self.lines = None,
                }
            }
            if let Some(dir) = &mut self.dir {
                match dir.next() {
                    Some(Ok((input, path))) => match self.file(input, path) {
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
                return Some(Item::Stdin);
            }
            match std::fs::metadata(&spec) {
                Ok(meta) if meta.is_dir() => self.dir = Some(DirWalk::new(spec)),
                _ => {
                    let path = PathBuf::from(&spec);
                    if let Some(item) = self.file(spec, path) {
                        return Some(item);
                    }
                }
            }
        }
    }
}
