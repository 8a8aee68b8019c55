//! The input side of `lint-config`: reading a file (or stdin) or a directory with size limits, and decoding its
//! text as PowerShell and the products write it (UTF-8 with or without BOM, UTF-16 with a BOM) with the shared
//! decoder of [`crate::input::text`], refusing NUL characters.

use super::LintError;
pub use crate::input::text::{Encoding, TextError};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Largest configuration file read (bytes): realm exports and trust exports can be several MiB.
pub const MAX_FILE: u64 = 8 * 1024 * 1024;
/// Largest claim rule file read (bytes).
pub const MAX_RULES: u64 = 1024 * 1024;
/// Most files read from one directory (Shibboleth's `conf/attributes/` may hold many).
pub const MAX_DIR_FILES: usize = 64;

/// An input to lint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A file's bytes (or stdin's).
    Bytes {
        /// The name shown in reports.
        name: String,
        /// The content, at most [`MAX_FILE`] bytes.
        bytes: Vec<u8>,
    },
    /// A directory (Shibboleth's `conf/`).
    Dir {
        /// The name shown in reports.
        name: String,
        /// Where it is.
        path: PathBuf,
    },
}

/// Reads at most `limit` bytes; `Ok(None)` when there were more.
pub fn read_bounded(reader: impl Read, limit: u64) -> std::io::Result<Option<Vec<u8>>> {
    let mut bytes = Vec::new();
    reader.take(limit + 1).read_to_end(&mut bytes)?;
    Ok(if bytes.len() as u64 > limit { None } else { Some(bytes) })
}

/// Opens a path: a directory as [`Input::Dir`], a file read up to [`MAX_FILE`] bytes.
pub fn read_path(path: &str) -> Result<Input, LintError> {
    let meta = std::fs::metadata(path).map_err(|e| LintError::CannotOpen {
        file: path.to_string(),
        reason: e.to_string(),
    })?;
    if meta.is_dir() {
        return Ok(Input::Dir {
            name: path.to_string(),
            path: PathBuf::from(path),
        });
    }
    let file = std::fs::File::open(path).map_err(|e| LintError::CannotOpen {
        file: path.to_string(),
        reason: e.to_string(),
    })?;
    match read_bounded(file, MAX_FILE) {
        Ok(Some(bytes)) => Ok(Input::Bytes {
            name: path.to_string(),
            bytes,
        }),
        Ok(None) => Err(too_large(path, MAX_FILE)),
        Err(e) => Err(LintError::CannotRead {
            file: path.to_string(),
            reason: e.to_string(),
        }),
    }
}

pub(super) fn too_large(file: &str, limit: u64) -> LintError {
    LintError::TooLarge {
        file: file.to_string(),
        limit_mib: limit / (1024 * 1024),
        what: if limit == MAX_RULES {
            "not a claim rule set"
        } else {
            "fedcheck reads configuration files up to that size"
        },
    }
}

/// Reads one file inside a directory input, bounded; `Ok(None)` when it does not exist.
pub(crate) fn read_optional(dir_name: &str, path: &Path) -> Result<Option<Vec<u8>>, LintError> {
    let shown = format!(
        "{dir_name}/{}",
        path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()
    );
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(LintError::CannotOpen {
                file: path.display().to_string(),
                reason: e.to_string(),
            })
        }
    };
    match read_bounded(file, MAX_FILE) {
        Ok(Some(b)) => Ok(Some(b)),
        Ok(None) => Err(too_large(&shown, MAX_FILE)),
        Err(e) => Err(LintError::CannotRead {
            file: path.display().to_string(),
            reason: e.to_string(),
        }),
    }
}

/// Decodes a configuration file: UTF-8 (BOM optional), or UTF-16 LE/BE with a BOM. Anything else, NUL characters
/// included, is refused with the reason.
pub fn decode(bytes: &[u8]) -> Result<(String, Encoding), TextError> {
    crate::input::text::decode_refusing_nul(bytes)
}

/// [`decode`], its error naming the input.
pub(crate) fn decode_named(name: &str, bytes: &[u8]) -> Result<(String, Encoding), LintError> {
    decode(bytes).map_err(|reason| LintError::Encoding {
        file: name.to_string(),
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_utf16_and_bom() {
        let s = "=> issue(Type = \"a\", Value = \"é\");";
        let mut le = vec![0xFF, 0xFE];
        le.extend(s.encode_utf16().flat_map(|u| u.to_le_bytes()));
        assert_eq!(decode(&le).unwrap(), (s.to_string(), Encoding::Utf16le));
        let mut bom8 = vec![0xEF, 0xBB, 0xBF];
        bom8.extend(s.as_bytes());
        assert_eq!(decode(&bom8).unwrap().0, s);
        let no_bom: Vec<u8> = s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        assert!(decode(&no_bom).is_err());
    }

    #[test]
    fn bounded_read_reports_overflow() {
        assert_eq!(read_bounded(&b"abc"[..], 3).unwrap(), Some(b"abc".to_vec()));
        assert_eq!(read_bounded(&b"abcd"[..], 3).unwrap(), None);
    }
}
