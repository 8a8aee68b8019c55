//! `fedcheck verify-bundle`: a bundle folder or zip checked against its manifest.json. Every listed file must be
//! present with its size and SHA-256; a file that is not listed, or a zip entry that cannot be read back, is
//! reported too. Links and special files are never followed: they are read as a marker that matches no hash.

use super::contents::sha256_hex;
use super::{Manifest, MANIFEST};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Why a bundle cannot be verified at all (exit 2 for the CLI); a bundle that was altered is a [`Verification`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The folder, zip or one of its files cannot be read.
    #[error("{}: {error}", path.display())]
    Unreadable {
        /// What could not be read.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// The folder cannot be walked.
    #[error("{}: {error}", path.display())]
    Walk {
        /// The bundle folder.
        path: PathBuf,
        /// Why.
        error: walkdir::Error,
    },
    /// A walked file is not inside the folder.
    #[error("{0}")]
    OutsideFolder(std::path::StripPrefixError),
    /// Neither a folder nor a zip.
    #[error("{}: not a folder, and not a readable zip ({error})", path.display())]
    NotAZip {
        /// The file.
        path: PathBuf,
        /// The zip reader's complaint.
        error: zip::result::ZipError,
    },
    /// A zip entry's header cannot be read.
    #[error("{}: entry {index}: {error}", path.display())]
    ZipEntry {
        /// The zip.
        path: PathBuf,
        /// The entry's position.
        index: usize,
        /// Why.
        error: zip::result::ZipError,
    },
    /// The zip holds the same name twice (which copy would count?).
    #[error("{}: the zip holds {name} twice", path.display())]
    DuplicateEntry {
        /// The zip.
        path: PathBuf,
        /// The entry name.
        name: String,
    },
    /// There is no manifest.json.
    #[error("{}: no {MANIFEST}: not a fedcheck bundle", path.display())]
    NoManifest {
        /// The bundle.
        path: PathBuf,
    },
    /// manifest.json is not a fedcheck manifest.
    #[error("{}: {MANIFEST} is not a fedcheck manifest ({error})", path.display())]
    BadManifest {
        /// The bundle.
        path: PathBuf,
        /// The parser's complaint.
        error: serde_json::Error,
    },
    /// manifest.json lists a path that could name a file outside the bundle.
    #[error("{}: {MANIFEST} lists an unsafe path {listed:?}", path.display())]
    UnsafePath {
        /// The bundle.
        path: PathBuf,
        /// The path as listed.
        listed: String,
    },
}

/// What [`verify`] found.
#[derive(Debug, Clone, Default)]
pub struct Verification {
    /// Files listed and intact.
    pub intact: Vec<String>,
    /// Files listed but absent.
    pub missing: Vec<String>,
    /// Files present but not listed.
    pub added: Vec<String>,
    /// Files whose size or SHA-256 differs: (path, expected sha256, found sha256).
    pub changed: Vec<(String, String, String)>,
    /// The manifest, as read.
    pub manifest: Option<Manifest>,
}

impl Verification {
    /// No file added, missing or changed.
    pub fn ok(&self) -> bool {
        self.missing.is_empty() && self.added.is_empty() && self.changed.is_empty()
    }
}

/// A bundle's files: path inside the bundle -> bytes.
type Files = BTreeMap<String, Vec<u8>>;

/// Verifies a bundle folder or zip against its manifest.json.
pub fn verify(path: &Path) -> Result<Verification, VerifyError> {
    let mut files = read_bundle(path)?;
    let raw = files.remove(MANIFEST).ok_or_else(|| VerifyError::NoManifest {
        path: path.to_path_buf(),
    })?;
    if raw.starts_with(b"<unreadable zip entry") {
        // The manifest itself was altered inside the zip: nothing can be trusted.
        let mut v = Verification::default();
        v.changed.push((
            MANIFEST.to_string(),
            String::new(),
            String::from_utf8_lossy(&raw).into_owned(),
        ));
        return Ok(v);
    }
    let manifest: Manifest = serde_json::from_slice(&raw).map_err(|error| VerifyError::BadManifest {
        path: path.to_path_buf(),
        error,
    })?;
    let mut v = Verification::default();
    let mut listed = BTreeSet::new();
    for f in &manifest.files {
        if !safe_manifest_path(&f.path) || f.path == MANIFEST {
            return Err(VerifyError::UnsafePath {
                path: path.to_path_buf(),
                listed: f.path.clone(),
            });
        }
        listed.insert(f.path.clone());
        match files.get(&f.path) {
            None => v.missing.push(f.path.clone()),
            Some(data) => {
                let h = sha256_hex(data);
                if h != f.sha256.to_ascii_lowercase() || data.len() as u64 != f.size {
                    v.changed.push((f.path.clone(), f.sha256.clone(), h));
                } else {
                    v.intact.push(f.path.clone());
                }
            }
        }
    }
    v.added = files.keys().filter(|k| !listed.contains(*k)).cloned().collect();
    v.manifest = Some(manifest);
    Ok(v)
}

/// A relative, `/`-separated path without `.` or `..` components.
fn safe_manifest_path(p: &str) -> bool {
    !p.is_empty()
        && !p.starts_with('/')
        && !p.contains('\\')
        && !p.contains('\0')
        && p.split('/').all(|c| !c.is_empty() && c != "." && c != "..")
}

/// Reads a bundle folder or zip into path -> bytes.
fn read_bundle(path: &Path) -> Result<Files, VerifyError> {
    let meta = std::fs::metadata(path).map_err(|error| VerifyError::Unreadable {
        path: path.to_path_buf(),
        error,
    })?;
    if meta.is_dir() {
        read_folder(path)
    } else {
        read_zip(path)
    }
}

/// A folder, walked without following links; a link or special file is read as its target path, which never
/// matches a hash.
fn read_folder(path: &Path) -> Result<Files, VerifyError> {
    let mut files = BTreeMap::new();
    for entry in walkdir::WalkDir::new(path).follow_links(false).sort_by_file_name() {
        let entry = entry.map_err(|error| VerifyError::Walk {
            path: path.to_path_buf(),
            error,
        })?;
        if entry.file_type().is_dir() {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(path)
            .map_err(VerifyError::OutsideFolder)?
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        let data = if entry.file_type().is_file() {
            std::fs::read(entry.path()).map_err(|error| VerifyError::Unreadable {
                path: entry.path().to_path_buf(),
                error,
            })?
        } else {
            format!("<not a regular file: {}>", entry.path().display()).into_bytes()
        };
        files.insert(rel, data);
    }
    Ok(files)
}

/// A zip; its entries live under one top folder (`evidence/...`) when the manifest is there, and entries outside
/// it are kept as `../NAME` (never listed, so reported as added).
fn read_zip(path: &Path) -> Result<Files, VerifyError> {
    let f = std::fs::File::open(path).map_err(|error| VerifyError::Unreadable {
        path: path.to_path_buf(),
        error,
    })?;
    let mut z = zip::ZipArchive::new(f).map_err(|error| VerifyError::NotAZip {
        path: path.to_path_buf(),
        error,
    })?;
    let mut entries = BTreeMap::new();
    for i in 0..z.len() {
        let mut e = z.by_index(i).map_err(|error| VerifyError::ZipEntry {
            path: path.to_path_buf(),
            index: i,
            error,
        })?;
        if e.is_dir() {
            continue;
        }
        let name = e.name().to_string();
        let mut data = Vec::new();
        // An entry that cannot be read back (bad CRC, corrupt deflate stream) was altered: its content is
        // replaced by a marker that never matches a hash, so it is reported as changed.
        if let Err(err) = e.by_ref().take(1 << 31).read_to_end(&mut data) {
            data = format!("<unreadable zip entry: {err}>").into_bytes();
        }
        if entries.insert(name.clone(), data).is_some() {
            return Err(VerifyError::DuplicateEntry {
                path: path.to_path_buf(),
                name,
            });
        }
    }
    let top = entries
        .keys()
        .find(|k| k.ends_with(&format!("/{MANIFEST}")) && k.matches('/').count() == 1)
        .map(|k| k[..k.len() - MANIFEST.len()].to_string());
    Ok(entries
        .into_iter()
        .map(|(k, v)| {
            let key = match &top {
                Some(t) if k.starts_with(t.as_str()) => k[t.len()..].to_string(),
                Some(_) => format!("../{k}"),
                None => k,
            };
            (key, v)
        })
        .collect())
}
