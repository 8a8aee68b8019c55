//! `fedcheck verify-bundle`: a bundle folder, zip, tar.gz or tar checked against its manifest.json. Every listed file
//! must be present with its size and SHA-256; a file that is not listed, or an entry that cannot be read back, is
//! reported too. Links and special files are never followed: they are read as a marker that matches no hash.
//!
//! A bundle is untrusted input: every file and entry is hashed as a stream (never read whole), within [`Limits`]
//! on the number of entries, the size of each and of all once expanded, and the compression ratio; a zip's
//! central directory is read within a budget, zip64 archives (which fedcheck never writes) are refused, and zip
//! entries whose compressed data overlap (the "overlapping files" zip bomb) are refused. Only manifest.json and
//! its signature are kept in memory, each under a cap of its own.
//!
//! The hashes show that the files match the manifest, not who made them: anyone can edit a file and recompute
//! manifest.json. Origin comes from `manifest.json.p7s` ([`super::SIGNATURE`]), a detached CMS signature over the
//! manifest's bytes, checked against the certificate the reviewer expects ([`VerifyOptions::signer_cert`]).

use super::{Manifest, MANIFEST, SIGNATURE};
use openssl::hash::{Hasher, MessageDigest};
use openssl::x509::X509;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Why a bundle cannot be verified at all (exit 2 for the CLI); a bundle that was altered is a [`Verification`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The folder, archive or one of its files cannot be read.
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
    /// Neither a folder, nor a zip, nor a tar.gz.
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
    /// A zip64 archive: fedcheck never writes one (a bundle within the limits never needs it).
    #[error(
        "{}: a zip64 archive; fedcheck never writes one, and verify-bundle does not read one (unzip it and verify \
         the folder)",
        path.display()
    )]
    Zip64 {
        /// The zip.
        path: PathBuf,
    },
    /// Two zip entries share compressed data (the "overlapping files" zip bomb), or an entry's data runs into the
    /// central directory.
    #[error("{}: entry {name}: its compressed data overlaps another entry's or the zip's index (a zip bomb)", path.display())]
    OverlappingEntries {
        /// The zip.
        path: PathBuf,
        /// The entry.
        name: String,
    },
    /// A tar or tar.gz that cannot be read (a corrupt stream cannot be read past, so it is unusable rather than
    /// altered).
    #[error("{}: not a readable tar archive ({error})", path.display())]
    NotATar {
        /// The archive.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// The archive holds the same name twice (which copy would count?).
    #[error("{}: the archive holds {name} twice", path.display())]
    DuplicateEntry {
        /// The archive.
        path: PathBuf,
        /// The entry name.
        name: String,
    },
    /// More than one manifest.json (or signature) where a bundle has one.
    #[error("{}: more than one {name} (at the top and in a top folder): which one is the bundle's?", path.display())]
    AmbiguousManifest {
        /// The archive.
        path: PathBuf,
        /// `manifest.json` or `manifest.json.p7s`.
        name: &'static str,
    },
    /// Over one of the [`Limits`].
    #[error("{}: refused: {limit}", path.display())]
    OverLimit {
        /// The bundle.
        path: PathBuf,
        /// Which limit, and the flag that raises it.
        limit: OverLimit,
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
    /// manifest.json lists a path that could name a file outside the bundle (or the signature, which cannot be
    /// listed in the manifest it signs).
    #[error("{}: {MANIFEST} lists an unsafe path {listed:?}", path.display())]
    UnsafePath {
        /// The bundle.
        path: PathBuf,
        /// The path as listed.
        listed: String,
    },
    /// Hashing failed inside OpenSSL.
    #[error("{}: SHA-256: {error}", path.display())]
    Hash {
        /// The bundle.
        path: PathBuf,
        /// OpenSSL's errors.
        error: openssl::error::ErrorStack,
    },
}

/// Which limit a bundle is over; each message names the flag of `verify-bundle` that raises it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OverLimit {
    /// More entries (files, folders, links) than `--max-entries`.
    #[error("more than {max} entries (--max-entries)")]
    Entries {
        /// The limit.
        max: u64,
    },
    /// One file or entry larger than `--max-entry-size` once expanded.
    #[error("{entry} is larger than {} once expanded (--max-entry-size)", size(*max))]
    EntrySize {
        /// The entry.
        entry: String,
        /// The limit.
        max: u64,
    },
    /// All files together larger than `--max-total-size` once expanded.
    #[error("the files add up to more than {} once expanded (--max-total-size)", size(*max))]
    TotalSize {
        /// The limit.
        max: u64,
    },
    /// An entry (zip) or the whole stream (tar.gz) expands more than `--max-ratio` times its compressed size.
    #[error(
        "{entry} expands more than {max} times its compressed size of {compressed} bytes (--max-ratio; a zip bomb?)"
    )]
    Ratio {
        /// The entry (or the archive, for a tar.gz).
        entry: String,
        /// Its compressed size.
        compressed: u64,
        /// The limit.
        max: u64,
    },
    /// The zip's central directory is larger than a bundle within `--max-entries` ever needs.
    #[error("the zip's central directory is larger than {} (a bundle of at most {entries} entries never needs more; --max-entries)", size(*max))]
    ZipIndex {
        /// The budget, in bytes.
        max: u64,
        /// `--max-entries`.
        entries: u64,
    },
    /// A tar header (a long name, PAX attributes) larger than fedcheck ever writes.
    #[error("a tar header (long name or PAX attributes) larger than {}", size(*max))]
    TarHeader {
        /// The limit.
        max: u64,
    },
    /// manifest.json or its signature larger than a bundle within the limits ever has.
    #[error("{name} is larger than {}", size(*max))]
    Manifest {
        /// `manifest.json` or `manifest.json.p7s`.
        name: &'static str,
        /// The limit.
        max: u64,
    },
}

/// A size in the largest whole unit: `512 MiB`, `1 GiB`, `1000 bytes`.
fn size(n: u64) -> String {
    for (unit, name) in [(1u64 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")] {
        if n >= unit && n % unit == 0 {
            return format!("{} {name}", n / unit);
        }
    }
    format!("{n} bytes")
}

/// What `verify-bundle` reads at most. [`super::write()`] never writes a bundle over them, so a genuine bundle
/// always fits; each has a flag to raise it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Entries (files, folders, links) in the folder or archive (`--max-entries`).
    pub max_entries: u64,
    /// Bytes of one file or entry once expanded (`--max-entry-size`).
    pub max_entry_bytes: u64,
    /// Bytes of all files or entries once expanded (`--max-total-size`).
    pub max_total_bytes: u64,
    /// Expanded size over compressed size, for a zip entry or a whole tar.gz, checked once past 1 MiB
    /// (`--max-ratio`).
    pub max_ratio: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_entries: 10_000,
            max_entry_bytes: 512 << 20,
            max_total_bytes: 1 << 30,
            max_ratio: 100,
        }
    }
}

impl Limits {
    /// The most bytes of a zip's central directory read: 1 KiB per entry (a bundle's paths are short), plus the
    /// end record's largest comment.
    fn zip_index_bytes(&self) -> u64 {
        self.max_entries.saturating_mul(1024).saturating_add(66 * 1024)
    }
}

/// Expanded sizes up to this are never refused for their compression ratio (a small file that compresses well
/// is harmless).
pub const RATIO_FLOOR: u64 = 1 << 20;
/// The largest manifest.json read (a manifest of 10,000 files is about 1.5 MB).
pub const MAX_MANIFEST_BYTES: u64 = 16 << 20;
/// The largest manifest.json.p7s read (a signature with a certificate chain is a few KB).
pub const MAX_SIGNATURE_BYTES: u64 = 1 << 20;
/// The most bytes a tar reader may consume for the headers before one entry (long names, PAX attributes).
const MAX_TAR_HEADER_BYTES: u64 = 1 << 20;

/// How to verify: the limits, and the certificate the manifest's signature must verify with.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// What is read at most.
    pub limits: Limits,
    /// `--signer-cert`: manifest.json.p7s must be present and verify with this certificate (the signer's own,
    /// or the CA that issued it).
    pub signer_cert: Option<X509>,
}

/// Whether the manifest's signature shows who made the bundle.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureCheck {
    /// No manifest.json.p7s, and no certificate given: nothing shows who made the bundle.
    #[default]
    Unsigned,
    /// manifest.json.p7s is present, but no certificate was given to check it with.
    NotChecked,
    /// manifest.json.p7s verifies with the given certificate.
    Verified {
        /// The certificate's subject.
        subject: String,
        /// Its SHA-256 thumbprint, upper-case hex.
        sha256: String,
    },
    /// A certificate was given, and the signature is absent or does not verify with it.
    Failed(String),
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
    /// The manifest's signature.
    pub signature: SignatureCheck,
}

impl Verification {
    /// No file added, missing or changed.
    pub fn files_ok(&self) -> bool {
        self.missing.is_empty() && self.added.is_empty() && self.changed.is_empty()
    }

    /// No file added, missing or changed, and the signature verified when a certificate was given.
    pub fn ok(&self) -> bool {
        self.files_ok() && !matches!(self.signature, SignatureCheck::Failed(_))
    }
}

/// What one file or entry holds.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Content {
    /// Read to the end: SHA-256 (lower-case hex) and size.
    Hashed(String, u64),
    /// Not a regular file, or unreadable (a bad CRC, a corrupt stream): a marker that matches no hash.
    Marker(String),
}

/// A bundle as read: every entry's content by path (inside the bundle, `/`-separated), and the bytes of the
/// manifest and of its signature.
#[derive(Debug, Default)]
struct Listing {
    entries: BTreeMap<String, Content>,
    manifest: Option<Vec<u8>>,
    /// A manifest entry that could not be read back (a zip entry with a bad CRC): the marker.
    unreadable_manifest: Option<String>,
    signature: Option<Vec<u8>>,
}

/// Verifies a bundle folder, zip or tar.gz against its manifest.json, within the default [`Limits`], without a
/// signer certificate.
pub fn verify(path: &Path) -> Result<Verification, VerifyError> {
    verify_with(path, &VerifyOptions::default())
}

/// Verifies a bundle folder, zip or tar.gz against its manifest.json, within `opts.limits`, and the manifest's
/// signature against `opts.signer_cert` when given.
pub fn verify_with(path: &Path, opts: &VerifyOptions) -> Result<Verification, VerifyError> {
    let listing = read_bundle(path, &opts.limits)?;
    judge(path, listing, opts)
}

/// Verifies a zip held in memory (what the fuzz target drives): the same reading, limits and checks as a zip on
/// disk.
pub fn verify_zip_bytes(data: &[u8], opts: &VerifyOptions) -> Result<Verification, VerifyError> {
    let path = Path::new("(zip in memory)");
    let listing = read_zip(path, std::io::Cursor::new(data), &opts.limits)?;
    judge(path, listing, opts)
}

/// Verifies a tar held in memory (what the fuzz target drives: the tar layer without gzip's checksum in the way).
pub fn verify_tar_bytes(data: &[u8], opts: &VerifyOptions) -> Result<Verification, VerifyError> {
    let path = Path::new("(tar in memory)");
    let listing = read_tar(path, data, &opts.limits, None)?;
    judge(path, listing, opts)
}

/// Verifies a tar.gz held in memory (what the fuzz target drives).
pub fn verify_tar_gz_bytes(data: &[u8], opts: &VerifyOptions) -> Result<Verification, VerifyError> {
    let path = Path::new("(tar.gz in memory)");
    let listing = read_tar_gz(path, data, &opts.limits)?;
    judge(path, listing, opts)
}

/// Compares the listing with its manifest, and checks the signature.
fn judge(path: &Path, mut listing: Listing, opts: &VerifyOptions) -> Result<Verification, VerifyError> {
    if let (None, Some(marker)) = (&listing.manifest, listing.unreadable_manifest.take()) {
        // The manifest itself was altered inside the archive: nothing can be trusted.
        let mut v = Verification::default();
        v.changed.push((MANIFEST.to_string(), String::new(), marker));
        return Ok(v);
    }
    let raw = listing.manifest.take().ok_or_else(|| VerifyError::NoManifest {
        path: path.to_path_buf(),
    })?;
    let manifest: Manifest = serde_json::from_slice(&raw).map_err(|error| VerifyError::BadManifest {
        path: path.to_path_buf(),
        error,
    })?;
    let mut v = Verification::default();
    let mut listed = BTreeSet::new();
    for f in &manifest.files {
        if !safe_manifest_path(&f.path) || f.path == MANIFEST || f.path == SIGNATURE {
            return Err(VerifyError::UnsafePath {
                path: path.to_path_buf(),
                listed: f.path.clone(),
            });
        }
        listed.insert(f.path.as_str());
        match listing.entries.get(&f.path) {
            None => v.missing.push(f.path.clone()),
            Some(Content::Hashed(h, n)) if *h == f.sha256.to_ascii_lowercase() && *n == f.size => {
                v.intact.push(f.path.clone())
            }
            Some(Content::Hashed(h, _)) => v.changed.push((f.path.clone(), f.sha256.clone(), h.clone())),
            Some(Content::Marker(m)) => v.changed.push((f.path.clone(), f.sha256.clone(), m.clone())),
        }
    }
    v.added = listing
        .entries
        .keys()
        .filter(|k| !listed.contains(k.as_str()))
        .cloned()
        .collect();
    v.signature = super::sign::check(&raw, listing.signature.as_deref(), opts.signer_cert.as_ref());
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

/// Reads a bundle folder, zip, tar.gz or tar (by its first bytes: a gzip header is a tar.gz, `ustar` at 257 a
/// tar, anything else a zip).
fn read_bundle(path: &Path, limits: &Limits) -> Result<Listing, VerifyError> {
    let unreadable = |error| VerifyError::Unreadable {
        path: path.to_path_buf(),
        error,
    };
    let meta = std::fs::metadata(path).map_err(unreadable)?;
    if meta.is_dir() {
        return read_folder(path, limits);
    }
    let mut f = std::fs::File::open(path).map_err(unreadable)?;
    let mut magic = Vec::new();
    (&mut f).take(262).read_to_end(&mut magic).map_err(unreadable)?;
    f.seek(SeekFrom::Start(0)).map_err(unreadable)?;
    if magic.starts_with(&[0x1f, 0x8b]) {
        read_tar_gz(path, std::io::BufReader::new(f), limits)
    } else if magic.get(257..262) == Some(b"ustar") {
        read_tar(path, std::io::BufReader::new(f), limits, None)
    } else {
        read_zip(path, f, limits)
    }
}

/// Counts entries and expanded bytes against the limits, for one bundle.
struct Budget<'a> {
    path: &'a Path,
    limits: &'a Limits,
    entries: u64,
    total: u64,
}

impl<'a> Budget<'a> {
    fn new(path: &'a Path, limits: &'a Limits) -> Budget<'a> {
        Budget {
            path,
            limits,
            entries: 0,
            total: 0,
        }
    }

    fn over(&self, limit: OverLimit) -> VerifyError {
        VerifyError::OverLimit {
            path: self.path.to_path_buf(),
            limit,
        }
    }

    /// One more entry (a file, a folder, a link).
    fn entry(&mut self) -> Result<(), VerifyError> {
        self.entries += 1;
        if self.entries > self.limits.max_entries {
            return Err(self.over(OverLimit::Entries {
                max: self.limits.max_entries,
            }));
        }
        Ok(())
    }

    /// Refuses at once an entry that says it is larger than the limits allow.
    fn declared(&self, name: &str, size: u64) -> Result<(), VerifyError> {
        if size > self.limits.max_entry_bytes {
            return Err(self.over(OverLimit::EntrySize {
                entry: name.to_string(),
                max: self.limits.max_entry_bytes,
            }));
        }
        if self.total.saturating_add(size) > self.limits.max_total_bytes {
            return Err(self.over(OverLimit::TotalSize {
                max: self.limits.max_total_bytes,
            }));
        }
        Ok(())
    }

    /// `n` more bytes of `name`, which has now expanded to `so_far` from `compressed` bytes (a zip entry).
    fn bytes(&mut self, name: &str, n: u64, so_far: u64, compressed: Option<u64>) -> Result<(), VerifyError> {
        self.total += n;
        if so_far > self.limits.max_entry_bytes {
            return Err(self.over(OverLimit::EntrySize {
                entry: name.to_string(),
                max: self.limits.max_entry_bytes,
            }));
        }
        if self.total > self.limits.max_total_bytes {
            return Err(self.over(OverLimit::TotalSize {
                max: self.limits.max_total_bytes,
            }));
        }
        if let Some(c) = compressed {
            self.ratio(name, so_far, c)?;
        }
        Ok(())
    }

    /// `expanded` bytes from `compressed`: refused past [`RATIO_FLOOR`] when over the ratio.
    fn ratio(&self, name: &str, expanded: u64, compressed: u64) -> Result<(), VerifyError> {
        if expanded > RATIO_FLOOR && expanded / self.limits.max_ratio.max(1) > compressed {
            return Err(self.over(OverLimit::Ratio {
                entry: name.to_string(),
                compressed,
                max: self.limits.max_ratio,
            }));
        }
        Ok(())
    }

    /// Reads `r` to its end, hashing as it goes; a read error gives a marker (the entry was altered), a limit an
    /// error. `after_each` sees the bytes expanded so far (a tar.gz checks its stream's ratio there).
    fn hash(
        &mut self,
        name: &str,
        r: &mut dyn Read,
        compressed: Option<u64>,
        keep: Option<(&'static str, u64, &mut Vec<u8>)>,
        after_each: &mut dyn FnMut(&Budget) -> Result<(), VerifyError>,
    ) -> Result<Content, VerifyError> {
        let mut hasher = Hasher::new(MessageDigest::sha256()).map_err(|error| VerifyError::Hash {
            path: self.path.to_path_buf(),
            error,
        })?;
        let mut keep = keep;
        let mut buf = vec![0u8; 64 * 1024];
        let mut size: u64 = 0;
        loop {
            let n = match r.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Ok(Content::Marker(format!("<unreadable entry: {e}>"))),
            };
            size += n as u64;
            self.bytes(name, n as u64, size, compressed)?;
            after_each(self)?;
            if let Some((what, max, out)) = keep.as_mut() {
                if size > *max {
                    return Err(self.over(OverLimit::Manifest { name: what, max: *max }));
                }
                out.extend_from_slice(&buf[..n]);
            }
            hasher.update(&buf[..n]).map_err(|error| VerifyError::Hash {
                path: self.path.to_path_buf(),
                error,
            })?;
        }
        let digest = hasher.finish().map_err(|error| VerifyError::Hash {
            path: self.path.to_path_buf(),
            error,
        })?;
        Ok(Content::Hashed(hex(&digest), size))
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Whether an entry at `name` (bundle-relative or archive-relative) is kept in memory: the manifest or its
/// signature at the top, or in one top folder.
fn kept(name: &str) -> Option<(&'static str, u64)> {
    let base = name.rsplit('/').next().unwrap_or(name);
    if name.matches('/').count() > 1 {
        return None;
    }
    match base {
        MANIFEST => Some((MANIFEST, MAX_MANIFEST_BYTES)),
        SIGNATURE => Some((SIGNATURE, MAX_SIGNATURE_BYTES)),
        _ => None,
    }
}

/// A folder, walked without following links or sorting (a huge folder is never listed whole); a link or
/// special file is a marker, which never matches a hash.
fn read_folder(path: &Path, limits: &Limits) -> Result<Listing, VerifyError> {
    let mut budget = Budget::new(path, limits);
    let mut listing = Listing::default();
    for entry in walkdir::WalkDir::new(path).follow_links(false).min_depth(1) {
        let entry = entry.map_err(|error| VerifyError::Walk {
            path: path.to_path_buf(),
            error,
        })?;
        budget.entry()?;
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
        let content = if entry.file_type().is_file() {
            let unreadable = |error| VerifyError::Unreadable {
                path: entry.path().to_path_buf(),
                error,
            };
            let declared = entry.metadata().map_err(|e| unreadable(e.into()))?.len();
            budget.declared(&rel, declared)?;
            let mut f = std::fs::File::open(entry.path()).map_err(unreadable)?;
            let mut kept_bytes = Vec::new();
            let keep = if rel.contains('/') { None } else { kept(&rel) };
            let content = budget.hash(
                &rel,
                &mut f,
                None,
                keep.map(|(what, max)| (what, max, &mut kept_bytes)),
                &mut |_| Ok(()),
            )?;
            if let Content::Marker(m) = &content {
                return Err(unreadable(std::io::Error::other(m.clone())));
            }
            match keep {
                Some((MANIFEST, _)) => listing.manifest = Some(kept_bytes),
                Some(_) => listing.signature = Some(kept_bytes),
                None => {}
            }
            content
        } else {
            Content::Marker(format!("<not a regular file: {}>", entry.path().display()))
        };
        listing.entries.insert(rel, content);
    }
    listing.entries.remove(MANIFEST);
    listing.entries.remove(SIGNATURE);
    Ok(listing)
}

/// An archive's entries by their name in the archive, with the manifest and signature candidates, before the
/// top folder is known.
#[derive(Default)]
struct RawListing {
    entries: BTreeMap<String, Content>,
    manifests: Vec<(String, Vec<u8>)>,
    signatures: Vec<(String, Vec<u8>)>,
}

impl RawListing {
    /// Adds an entry; the same name twice is refused.
    fn insert(&mut self, path: &Path, name: String, content: Content) -> Result<(), VerifyError> {
        if self.entries.insert(name.clone(), content).is_some() {
            return Err(VerifyError::DuplicateEntry {
                path: path.to_path_buf(),
                name,
            });
        }
        Ok(())
    }

    /// Keeps the bytes of a manifest or signature candidate; a second candidate of either is refused.
    fn keep(&mut self, path: &Path, what: &'static str, name: String, bytes: Vec<u8>) -> Result<(), VerifyError> {
        let list = if what == MANIFEST {
            &mut self.manifests
        } else {
            &mut self.signatures
        };
        list.push((name, bytes));
        if list.len() > 1 {
            return Err(VerifyError::AmbiguousManifest {
                path: path.to_path_buf(),
                name: what,
            });
        }
        Ok(())
    }

    /// The bundle inside the archive: its entries live under one top folder (`evidence/...`) when the manifest
    /// is there, and entries outside it are kept as `../NAME` (never listed, so reported as added).
    fn into_listing(mut self) -> Listing {
        let unreadable_manifest = self.entries.iter().find_map(|(k, v)| match v {
            Content::Marker(m) if matches!(kept(k), Some((MANIFEST, _))) => Some(m.clone()),
            _ => None,
        });
        let (manifest_name, manifest) = match self.manifests.pop() {
            Some((n, b)) => (Some(n), Some(b)),
            None => (None, None),
        };
        let top = manifest_name
            .as_deref()
            .and_then(|n| n.strip_suffix(MANIFEST))
            .unwrap_or("")
            .to_string();
        let signature = self
            .signatures
            .pop()
            .filter(|(n, _)| n.strip_suffix(SIGNATURE) == Some(top.as_str()))
            .map(|(_, b)| b);
        let mut entries = BTreeMap::new();
        for (k, v) in self.entries {
            if Some(&k) == manifest_name.as_ref() || (signature.is_some() && k == format!("{top}{SIGNATURE}")) {
                continue;
            }
            let key = match k.strip_prefix(top.as_str()) {
                Some(rest) => rest.to_string(),
                None => format!("../{k}"),
            };
            entries.insert(key, v);
        }
        Listing {
            entries,
            manifest,
            signature,
            unreadable_manifest,
        }
    }
}

/// A reader whose reads are counted against a shared budget of bytes; past it, reads fail with `exhausted`, so the
/// archive reader on top gives up. The zip index is read within [`Limits::zip_index_bytes`], the tar headers before
/// each entry within [`MAX_TAR_HEADER_BYTES`]; `u64::MAX` lifts the budget (the caller sets it while reading what
/// is budgeted otherwise, such as an entry's data).
struct Budgeted<R> {
    inner: R,
    left: std::rc::Rc<std::cell::Cell<u64>>,
    exhausted: &'static str,
}

impl<R> Budgeted<R> {
    /// `inner` read within `budget` bytes; the returned cell is the budget left, for the caller to read and reset.
    fn new(inner: R, budget: u64, exhausted: &'static str) -> (Self, std::rc::Rc<std::cell::Cell<u64>>) {
        let left = std::rc::Rc::new(std::cell::Cell::new(budget));
        let reader = Budgeted {
            inner,
            left: left.clone(),
            exhausted,
        };
        (reader, left)
    }
}

impl<R: Read> Read for Budgeted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.left.get();
        if left == 0 {
            return Err(std::io::Error::other(self.exhausted));
        }
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        if left != u64::MAX {
            self.left.set(left - n as u64);
        }
        Ok(n)
    }
}

impl<R: Seek> Seek for Budgeted<R> {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// Whether the last `window` bytes of a zip hold a zip64 end record (a zip64 locator right before an end of
/// central directory record): the zip reader would trust its 64-bit entry count to reserve memory.
fn has_zip64_end(r: &mut (impl Read + Seek), len: u64, window: u64) -> std::io::Result<bool> {
    const LOCATOR: &[u8; 4] = b"PK\x06\x07";
    const EOCD: &[u8; 4] = b"PK\x05\x06";
    let start = len.saturating_sub(window);
    r.seek(SeekFrom::Start(start))?;
    let mut carry: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            return Ok(false);
        }
        carry.extend_from_slice(&buf[..n]);
        if carry.windows(24).any(|w| &w[..4] == LOCATOR && &w[20..24] == EOCD) {
            return Ok(true);
        }
        let keep = carry.len().min(23);
        carry.drain(..carry.len() - keep);
    }
}

/// A zip: its central directory read within a budget, zip64 refused, entries' compressed data checked to be
/// apart (no two share bytes, none runs into the index), then every entry hashed as a stream.
fn read_zip<R: Read + Seek>(path: &Path, r: R, limits: &Limits) -> Result<Listing, VerifyError> {
    let mut z = open_zip_index(path, r, limits)?;
    let mut budget = Budget::new(path, limits);
    if z.len() as u64 > limits.max_entries {
        return Err(budget.over(OverLimit::Entries {
            max: limits.max_entries,
        }));
    }
    check_zip_entries_apart(path, &mut z, &mut budget)?;
    hash_zip_entries(path, &mut z, &mut budget)
}

/// The zip's central directory, read within [`Limits::zip_index_bytes`]; an archive with a zip64 end record is
/// refused before the zip reader trusts its entry count. The budget is lifted once the index is read.
fn open_zip_index<R: Read + Seek>(
    path: &Path,
    mut r: R,
    limits: &Limits,
) -> Result<zip::ZipArchive<Budgeted<R>>, VerifyError> {
    let unreadable = |error| VerifyError::Unreadable {
        path: path.to_path_buf(),
        error,
    };
    let budget_bytes = limits.zip_index_bytes();
    let len = r.seek(SeekFrom::End(0)).map_err(unreadable)?;
    if has_zip64_end(&mut r, len, budget_bytes).map_err(unreadable)? {
        return Err(VerifyError::Zip64 {
            path: path.to_path_buf(),
        });
    }
    r.seek(SeekFrom::Start(0)).map_err(unreadable)?;
    let (reader, left) = Budgeted::new(r, budget_bytes, "zip index budget exhausted");
    let z = match zip::ZipArchive::new(reader) {
        Ok(z) => z,
        Err(_) if left.get() == 0 => {
            return Err(VerifyError::OverLimit {
                path: path.to_path_buf(),
                limit: OverLimit::ZipIndex {
                    max: budget_bytes,
                    entries: limits.max_entries,
                },
            })
        }
        Err(error) => {
            return Err(VerifyError::NotAZip {
                path: path.to_path_buf(),
                error,
            })
        }
    };
    left.set(u64::MAX);
    Ok(z)
}

/// The error for a zip entry that cannot be read.
fn zip_entry_error(path: &Path, index: usize, error: zip::result::ZipError) -> VerifyError {
    VerifyError::ZipEntry {
        path: path.to_path_buf(),
        index,
        error,
    }
}

/// First pass, headers only: declared sizes within the limits, and every entry's compressed data apart (no two
/// share bytes, none runs into the index).
fn check_zip_entries_apart<R: Read + Seek>(
    path: &Path,
    z: &mut zip::ZipArchive<R>,
    budget: &mut Budget<'_>,
) -> Result<(), VerifyError> {
    let index_start = z.central_directory_start();
    let mut ranges = Vec::with_capacity(z.len());
    for i in 0..z.len() {
        let e = z.by_index_raw(i).map_err(|e| zip_entry_error(path, i, e))?;
        let name = e.name().to_string();
        if !e.is_dir() {
            budget.declared(&name, e.size())?;
            budget.ratio(&name, e.size(), e.compressed_size())?;
        }
        let start = e.data_start().unwrap_or(0);
        let end = start.saturating_add(e.compressed_size());
        if end > index_start {
            return Err(VerifyError::OverlappingEntries {
                path: path.to_path_buf(),
                name,
            });
        }
        ranges.push((start, end, name));
    }
    ranges.sort();
    for w in ranges.windows(2) {
        if w[1].0 < w[0].1 {
            return Err(VerifyError::OverlappingEntries {
                path: path.to_path_buf(),
                name: w[1].2.clone(),
            });
        }
    }
    Ok(())
}

/// Second pass: every entry hashed as a stream, the files the verification reads kept.
fn hash_zip_entries<R: Read + Seek>(
    path: &Path,
    z: &mut zip::ZipArchive<R>,
    budget: &mut Budget<'_>,
) -> Result<Listing, VerifyError> {
    let mut raw = RawListing::default();
    for i in 0..z.len() {
        budget.entry()?;
        let mut e = z.by_index(i).map_err(|e| zip_entry_error(path, i, e))?;
        if e.is_dir() {
            continue;
        }
        let name = e.name().to_string();
        let compressed = e.compressed_size();
        let mut kept_bytes = Vec::new();
        let keep = kept(&name);
        // An entry that cannot be read back (bad CRC, corrupt deflate stream) was altered: a marker that never
        // matches a hash, so it is reported as changed.
        let content = budget.hash(
            &name,
            &mut e,
            Some(compressed),
            keep.map(|(what, max)| (what, max, &mut kept_bytes)),
            &mut |_| Ok(()),
        )?;
        if let (Some((what, _)), Content::Hashed(..)) = (keep, &content) {
            raw.keep(path, what, name.clone(), kept_bytes)?;
        }
        raw.insert(path, name, content)?;
    }
    Ok(raw.into_listing())
}

/// Counts the compressed bytes a decoder has consumed.
struct Counted<R> {
    inner: R,
    n: std::rc::Rc<std::cell::Cell<u64>>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.n.set(self.n.get() + n as u64);
        Ok(n)
    }
}

/// The name of a tar entry, `/`-separated, without `./` components (a `..` or root component is kept in the
/// name, which then matches nothing listed).
fn tar_name(p: &Path) -> String {
    p.components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// A tar.gz (as `tar czf evidence.tar.gz evidence/` makes it): read as one stream, each regular file hashed as
/// it goes, the whole stream's compression ratio checked as it expands.
fn read_tar_gz<R: Read>(path: &Path, r: R, limits: &Limits) -> Result<Listing, VerifyError> {
    let compressed = std::rc::Rc::new(std::cell::Cell::new(0u64));
    let gz = flate2::read::GzDecoder::new(Counted {
        inner: r,
        n: compressed.clone(),
    });
    read_tar(path, gz, limits, Some(compressed))
}

/// A tar stream (expanded from a tar.gz, whose compressed bytes read so far are `compressed`, or a plain tar):
/// each regular file hashed as it goes, the headers before each entry within [`MAX_TAR_HEADER_BYTES`].
fn read_tar<R: Read>(
    path: &Path,
    r: R,
    limits: &Limits,
    compressed: Option<std::rc::Rc<std::cell::Cell<u64>>>,
) -> Result<Listing, VerifyError> {
    // What the tar reader consumes outside an entry's data (headers, long names, PAX attributes, skipped data) is
    // counted against MAX_TAR_HEADER_BYTES per entry.
    let (stream, header_left) = Budgeted::new(r, MAX_TAR_HEADER_BYTES, "tar header budget exhausted");
    let mut archive = tar::Archive::new(stream);
    let not_tar = |error| VerifyError::NotATar {
        path: path.to_path_buf(),
        error,
    };
    let header_over = || VerifyError::OverLimit {
        path: path.to_path_buf(),
        limit: OverLimit::TarHeader {
            max: MAX_TAR_HEADER_BYTES,
        },
    };
    let mut budget = Budget::new(path, limits);
    let mut raw = RawListing::default();
    let archive_name = path.display().to_string();
    let stream_ratio = |b: &Budget| match &compressed {
        Some(c) => b.ratio(&archive_name, b.total, c.get()),
        None => Ok(()),
    };
    let mut entries = archive.entries().map_err(not_tar)?;
    loop {
        header_left.set(MAX_TAR_HEADER_BYTES);
        let next = entries.next();
        if header_left.get() == 0 {
            return Err(header_over());
        }
        let Some(entry) = next else { break };
        let mut entry = entry.map_err(not_tar)?;
        header_left.set(u64::MAX);
        let kind = entry.header().entry_type();
        if kind == tar::EntryType::XGlobalHeader {
            // `git archive` and pax writers put archive-wide attributes first: not a file.
            continue;
        }
        budget.entry()?;
        let name = tar_name(&entry.path().map_err(not_tar)?);
        let declared = entry.header().size().map_err(not_tar)?;
        budget.declared(&name, declared)?;
        if kind.is_dir() {
            // Drained like any entry, so nothing is read outside the budget.
            budget.hash(&name, &mut entry, None, None, &mut stream_ratio.clone())?;
            continue;
        }
        let regular = matches!(kind, tar::EntryType::Regular | tar::EntryType::Continuous);
        let mut kept_bytes = Vec::new();
        let keep = if regular { kept(&name) } else { None };
        let content = budget.hash(
            &name,
            &mut entry,
            None,
            keep.map(|(what, max)| (what, max, &mut kept_bytes)),
            &mut stream_ratio.clone(),
        )?;
        if let Content::Marker(m) = content {
            return Err(not_tar(std::io::Error::other(m)));
        }
        let content = if regular {
            content
        } else {
            Content::Marker(format!("<not a regular file: tar entry type {:?}>", kind))
        };
        if let (Some((what, _)), Content::Hashed(..)) = (keep, &content) {
            raw.keep(path, what, name.clone(), kept_bytes)?;
        }
        raw.insert(path, name, content)?;
    }
    Ok(raw.into_listing())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    /// A small zip of `entries` (name, content), deflated.
    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let o = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in entries {
            w.start_file(*name, o).expect("entry");
            w.write_all(data).expect("data");
        }
        w.finish().expect("finish").into_inner()
    }

    fn u16_at(d: &[u8], i: usize) -> usize {
        u16::from_le_bytes([d[i], d[i + 1]]) as usize
    }

    /// A zip64 end record claiming 2^40 entries: refused before the zip reader sees it (it would reserve memory
    /// for that many).
    #[test]
    fn zip64_end_record_is_refused() {
        let mut d = Vec::new();
        // zip64 end of central directory record: 2^40 entries at offset 0.
        d.extend_from_slice(b"PK\x06\x06");
        d.extend_from_slice(&44u64.to_le_bytes());
        d.extend_from_slice(&[45, 0, 45, 0]);
        d.extend_from_slice(&0u32.to_le_bytes());
        d.extend_from_slice(&0u32.to_le_bytes());
        d.extend_from_slice(&(1u64 << 40).to_le_bytes());
        d.extend_from_slice(&(1u64 << 40).to_le_bytes());
        d.extend_from_slice(&0u64.to_le_bytes());
        d.extend_from_slice(&0u64.to_le_bytes());
        // locator, then the classic end record saying "see zip64".
        d.extend_from_slice(b"PK\x06\x07");
        d.extend_from_slice(&0u32.to_le_bytes());
        d.extend_from_slice(&0u64.to_le_bytes());
        d.extend_from_slice(&1u32.to_le_bytes());
        d.extend_from_slice(b"PK\x05\x06");
        d.extend_from_slice(&[0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
        d.extend_from_slice(&[0xff; 8]);
        d.extend_from_slice(&[0, 0]);
        let r = verify_zip_bytes(&d, &VerifyOptions::default());
        assert!(matches!(r, Err(VerifyError::Zip64 { .. })), "{r:?}");
    }

    /// Two central directory entries pointing at the same compressed data (the overlapping-files zip bomb).
    #[test]
    fn overlapping_entries_are_refused() {
        let mut d = zip_of(&[("b/manifest.json", b"{}"), ("b/a", b"aaaa"), ("b/c", b"cccc")]);
        // The third central entry's local header offset becomes the second's.
        let mut at = Vec::new();
        let mut i = 0;
        while let Some(p) = d[i..].windows(4).position(|w| w == b"PK\x01\x02") {
            at.push(i + p);
            i += p + 4;
        }
        assert_eq!(at.len(), 3);
        let second: [u8; 4] = d[at[1] + 42..at[1] + 46].try_into().expect("offset");
        d[at[2] + 42..at[2] + 46].copy_from_slice(&second);
        assert!(u16_at(&d, at[2] + 28) > 0);
        let r = verify_zip_bytes(&d, &VerifyOptions::default());
        assert!(matches!(r, Err(VerifyError::OverlappingEntries { .. })), "{r:?}");
    }

    /// A central directory over its budget is refused as such, not parsed whole: 400 entries of 250-byte names
    /// (about 110 KB of index) against the budget of 10 entries (76 KiB).
    #[test]
    fn zip_index_over_budget_is_refused() {
        let names: Vec<String> = (0..400).map(|i| format!("b/{}-{i}", "x".repeat(240))).collect();
        let entries: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b""[..])).collect();
        let d = zip_of(&entries);
        let small = |max_entries| VerifyOptions {
            limits: Limits {
                max_entries,
                ..Limits::default()
            },
            signer_cert: None,
        };
        let r = verify_zip_bytes(&d, &small(10));
        assert!(
            matches!(
                r,
                Err(VerifyError::OverLimit {
                    limit: OverLimit::ZipIndex { .. },
                    ..
                })
            ),
            "{r:?}"
        );
        // Within the budget (400 entries allowed), the same zip is read: no manifest.
        let r = verify_zip_bytes(&d, &small(400));
        assert!(matches!(r, Err(VerifyError::NoManifest { .. })), "{r:?}");
    }

    /// Two manifests where a bundle has one: which one counts is not guessed.
    #[test]
    fn two_manifests_are_ambiguous() {
        let d = zip_of(&[("a/manifest.json", b"{}"), ("b/manifest.json", b"{}")]);
        let r = verify_zip_bytes(&d, &VerifyOptions::default());
        assert!(matches!(r, Err(VerifyError::AmbiguousManifest { .. })), "{r:?}");
    }
}
