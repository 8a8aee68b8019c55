//! Putting a bundle on disk: [`preflight`] checks every option before any token is read; [`write_with_signins`]
//! builds the files in memory, adds the manifest, writes a temporary folder and zip beside `--out` and renames
//! them into place (with `--force`, a previous bundle is moved aside first and removed only once the new one is
//! in place). On any error nothing is left behind.

use super::command_line::out_name;
use super::contents::{self, sha256_hex, strip_bom, Files};
use super::verify::RATIO_FLOOR;
use super::{
    BundleError, BundleOptions, Limits, Manifest, ManifestFile, ManifestRedaction, ManifestTool, OutProblem, OverLimit,
    Written, MANIFEST, SIGNATURE,
};
use crate::input::RawToken;
use crate::report::redact::RedactionNote;
use crate::report::{Report, Settings};
use chrono::{DateTime, Datelike, Timelike, Utc};
use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Checks everything that can be checked before any token is read: attachments and configs exist and are
/// readable files, the federation config is JSON, `--out` is usable.
pub fn preflight(opts: &BundleOptions) -> Result<(), BundleError> {
    let mut copied = 0u64;
    for p in &opts.attach {
        copied = copied.saturating_add(check_file("--attach", p)?);
    }
    for p in &opts.attach_config {
        copied = copied.saturating_add(check_file("--attach-config", p)?);
    }
    let limits = Limits::default();
    if copied > limits.max_total_bytes {
        return Err(BundleError::TooLarge(OverLimit::TotalSize {
            max: limits.max_total_bytes,
        }));
    }
    if let Some(p) = &opts.federation_config {
        check_file("--federation-config", p)?;
        let bytes = contents::read_within("--federation-config", p, crate::entra::MAX_FEDERATION_CONFIG_BYTES)?;
        serde_json::from_slice::<serde_json::Value>(strip_bom(&bytes))
            .map_err(|error| BundleError::FederationConfigNotJson { path: p.clone(), error })?;
    }
    check_out(opts)?;
    Ok(())
}

/// A file given with `flag` exists, is a regular file within the size a bundle's file may have, and can be
/// opened; returns its size.
fn check_file(flag: &'static str, p: &Path) -> Result<u64, BundleError> {
    let unreadable = |error| BundleError::Unreadable {
        flag,
        path: p.to_path_buf(),
        error,
    };
    let m = std::fs::metadata(p).map_err(unreadable)?;
    if !m.is_file() {
        return Err(BundleError::NotAFile {
            flag,
            path: p.to_path_buf(),
        });
    }
    let max = Limits::default().max_entry_bytes;
    if m.len() > max {
        return Err(BundleError::TooLarge(OverLimit::EntrySize {
            entry: format!("{flag} {}", p.display()),
            max,
        }));
    }
    std::fs::File::open(p).map_err(unreadable)?;
    Ok(m.len())
}

/// The zip beside `--out`: `<out>.zip`.
fn zip_path(out: &Path) -> PathBuf {
    let name = out_name(&out.to_string_lossy());
    parent_of(out).join(format!("{name}.zip"))
}

/// `--out` without a trailing `/`.
fn out_dir(out: &Path) -> PathBuf {
    PathBuf::from(out.to_string_lossy().trim_end_matches('/'))
}

fn parent_of(out: &Path) -> PathBuf {
    match out_dir(out).parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A folder holding a manifest.json written by fedcheck.
fn is_bundle(dir: &Path) -> bool {
    crate::http::read_file_within(dir.join(MANIFEST), super::verify::MAX_MANIFEST_BYTES)
        .ok()
        .and_then(|b| serde_json::from_slice::<Manifest>(&b).ok())
        .is_some_and(|m| m.tool.name == "fedcheck")
}

/// `--out` can take the bundle: a folder name in an existing, writable folder; absent, empty, or (with `--force`) a
/// previous bundle; its zip absent unless `--force`.
fn check_out(opts: &BundleOptions) -> Result<(), BundleError> {
    let out = &opts.out;
    let bad = |problem| BundleError::Out {
        out: out.clone(),
        problem,
    };
    let name = out_name(&out.to_string_lossy());
    if name.is_empty() || name == "." || name == ".." || name.contains('/') {
        return Err(bad(OutProblem::NotAFolderName));
    }
    let parent = parent_of(out);
    if !parent.is_dir() {
        return Err(bad(OutProblem::NoParent(parent)));
    }
    if let Ok(m) = std::fs::symlink_metadata(out) {
        if !m.is_dir() {
            return Err(bad(OutProblem::NotAFolder));
        }
        let non_empty = std::fs::read_dir(out)
            .map_err(|e| bad(OutProblem::Unreadable(e)))?
            .next()
            .is_some();
        if non_empty && !opts.force {
            return Err(bad(OutProblem::NotEmpty));
        }
        // --force replaces only a previous bundle, never an arbitrary folder (a typo must not delete $HOME).
        if non_empty && !is_bundle(out) {
            return Err(bad(OutProblem::NotABundle));
        }
    }
    let zip = zip_path(out);
    if zip.exists() && !opts.force {
        return Err(BundleError::ZipExists { zip });
    }
    // Probe writability of the parent now, so an unwritable location fails before any work. The probe's name is
    // unique to this write (concurrent writes into one folder, as `serve --out` makes, never share it).
    create_unique_dir(&parent, ".fedcheck-probe")
        .and_then(|probe| std::fs::remove_dir(&probe))
        .map_err(|error| bad(OutProblem::NotWritable { parent, error }))?;
    Ok(())
}

/// A tag no other write uses, in this process or another: process id, a counter within the process, and 64
/// random bits (the wall clock alone is not enough: two threads can read the same instant).
fn unique_tag() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut r = [0u8; 8];
    // Without randomness the pid and counter still keep this process's names apart.
    let _ = openssl::rand::rand_bytes(&mut r);
    format!("{}-{n}-{:016x}", std::process::id(), u64::from_le_bytes(r))
}

/// How often a temporary name that already exists is drawn again before giving up.
const NAME_ATTEMPTS: usize = 8;

/// Creates `parent/PREFIX-TAG` with a fresh [`unique_tag`], drawing a new tag when the name is taken.
fn create_unique_dir(parent: &Path, prefix: &str) -> std::io::Result<PathBuf> {
    let mut last = None;
    for _ in 0..NAME_ATTEMPTS {
        let p = parent.join(format!("{prefix}-{}", unique_tag()));
        match std::fs::create_dir(&p) {
            Ok(()) => return Ok(p),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::from(std::io::ErrorKind::AlreadyExists)))
}

/// The zip timestamp: `--at` (clamped to the zip format's 1980..2107 range), or 1980-01-01 00:00:00.
fn zip_time(t: Option<DateTime<Utc>>) -> zip::DateTime {
    let fallback = zip::DateTime::default();
    let Some(t) = t else { return fallback };
    let year = t.year().clamp(1980, 2107) as u16;
    zip::DateTime::from_date_and_time(
        year,
        t.month() as u8,
        t.day() as u8,
        t.hour() as u8,
        t.minute() as u8,
        t.second() as u8,
    )
    .unwrap_or(fallback)
}

/// The zip: every file under the folder `name`, DEFLATE, fixed timestamp and permissions. A file that deflates
/// past verify-bundle's compression ratio (a large file of zeros, say) is stored instead, so the zip always
/// verifies.
fn zip_bytes(name: &str, files: &Files, time: Option<DateTime<Utc>>) -> Result<Vec<u8>, BundleError> {
    let deflated = zip_with(name, files, time, &BTreeSet::new())?;
    let max_ratio = Limits::default().max_ratio;
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(&deflated)).map_err(BundleError::Zip)?;
    let mut stored = BTreeSet::new();
    for i in 0..z.len() {
        let e = z.by_index_raw(i).map_err(BundleError::Zip)?;
        if e.size() > RATIO_FLOOR && e.size() / max_ratio > e.compressed_size() {
            stored.insert(e.name().to_string());
        }
    }
    if stored.is_empty() {
        return Ok(deflated);
    }
    zip_with(name, files, time, &stored)
}

/// The zip, with the entries named in `stored` stored rather than deflated.
fn zip_with(
    name: &str,
    files: &Files,
    time: Option<DateTime<Utc>>,
    stored: &BTreeSet<String>,
) -> Result<Vec<u8>, BundleError> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip_time(time))
        .unix_permissions(0o644);
    for (path, data) in files {
        let entry = format!("{name}/{path}");
        let o = if stored.contains(&entry) {
            opts.compression_method(zip::CompressionMethod::Stored)
        } else {
            opts
        };
        w.start_file(entry, o).map_err(BundleError::Zip)?;
        w.write_all(data).map_err(BundleError::ZipData)?;
    }
    Ok(w.finish().map_err(BundleError::Zip)?.into_inner())
}

/// The bundle is within what verify-bundle reads ([`Limits`]): entries (files and their folders), each file's
/// size and the total.
fn check_limits(files: &Files) -> Result<(), BundleError> {
    let limits = Limits::default();
    let folders: BTreeSet<&str> = files
        .keys()
        .flat_map(|p| p.match_indices('/').map(move |(i, _)| &p[..i]))
        .collect();
    if (files.len() + folders.len()) as u64 > limits.max_entries {
        return Err(BundleError::TooLarge(OverLimit::Entries {
            max: limits.max_entries,
        }));
    }
    let mut total = 0u64;
    for (path, data) in files {
        let n = data.len() as u64;
        if n > limits.max_entry_bytes {
            return Err(BundleError::TooLarge(OverLimit::EntrySize {
                entry: path.clone(),
                max: limits.max_entry_bytes,
            }));
        }
        total += n;
    }
    if total > limits.max_total_bytes {
        return Err(BundleError::TooLarge(OverLimit::TotalSize {
            max: limits.max_total_bytes,
        }));
    }
    Ok(())
}

/// Builds the bundle: every file in memory, then a temporary folder and zip beside `--out`, renamed into place.
/// On any error nothing is left behind.
pub fn write(
    report: &Report,
    tokens: &[RawToken],
    settings: &Settings,
    opts: &BundleOptions,
) -> Result<Written, BundleError> {
    write_with_signins(report, tokens, settings, opts, None)
}

/// [`write()`], plus the tenant-wide evidence of `fedcheck signins` (`--signins`, `--partner-report`): `signins/` holds
/// the exports (redacted like the tokens) and `summary.json`, and the reports get their section.
pub fn write_with_signins(
    report: &Report,
    tokens: &[RawToken],
    settings: &Settings,
    opts: &BundleOptions,
    signins: Option<&crate::signins::RunOutput>,
) -> Result<Written, BundleError> {
    check_out(opts)?;
    let contents::Built {
        mut files,
        note,
        shown,
        command_line,
    } = contents::build(report, tokens, settings, opts, signins)?;
    let manifest = manifest(&files, &shown, &note, command_line);
    let listed: Vec<(String, u64)> = manifest.files.iter().map(|f| (f.path.clone(), f.size)).collect();
    let mj = serde_json::to_string_pretty(&manifest).map_err(BundleError::Json)? + "\n";
    if let Some(signer) = &opts.signer {
        files.insert(SIGNATURE.into(), signer.sign(mj.as_bytes())?);
    }
    files.insert(MANIFEST.into(), mj.into_bytes());
    check_limits(&files)?;
    let tmp = TempBundle::create(opts)?;
    if let Err(e) = tmp.write(&files, opts).and_then(|_| tmp.move_into_place(opts)) {
        tmp.cleanup();
        return Err(e);
    }
    Ok(Written {
        dir: out_dir(&opts.out),
        zip: zip_path(&opts.out),
        files: listed,
        redaction: note,
        signed: opts.signer.is_some(),
        shown,
    })
}

/// `manifest.json`: the tool, the command line without secrets, the evaluation time, the verdict, what was
/// redacted, and the SHA-256 and size of every other file.
fn manifest(files: &Files, shown: &Report, note: &RedactionNote, command_line: Vec<String>) -> Manifest {
    Manifest {
        tool: ManifestTool {
            name: shown.tool.name.to_string(),
            version: shown.tool.version.to_string(),
        },
        command_line,
        evaluated_at: shown.evaluated_at.clone(),
        verdict: shown.verdict.as_str().to_string(),
        redaction: ManifestRedaction {
            enabled: note.enabled,
            fields: note.fields.clone(),
        },
        files: files
            .iter()
            .map(|(p, b)| ManifestFile {
                path: p.clone(),
                sha256: sha256_hex(b),
                size: b.len() as u64,
            })
            .collect(),
    }
}

/// The temporary folder and zip a bundle is written to, beside `--out`, and where a previous bundle is moved aside.
struct TempBundle {
    name: String,
    dir: PathBuf,
    zip: PathBuf,
    old: PathBuf,
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> BundleError + '_ {
    move |error| BundleError::Io {
        path: path.to_path_buf(),
        error,
    }
}

impl TempBundle {
    /// Creates the temporary folder beside `--out`, under a name no other write uses (a name that exists already
    /// is drawn again).
    fn create(opts: &BundleOptions) -> Result<TempBundle, BundleError> {
        let name = out_name(&opts.out.to_string_lossy());
        let parent = parent_of(&opts.out);
        let mut last = None;
        for _ in 0..NAME_ATTEMPTS {
            let tag = unique_tag();
            let dir = parent.join(format!(".{name}.fedcheck-tmp-{tag}"));
            match std::fs::create_dir(&dir) {
                Ok(()) => {
                    return Ok(TempBundle {
                        zip: parent.join(format!(".{name}.zip.fedcheck-tmp-{tag}")),
                        old: parent.join(format!(".{name}.fedcheck-old-{tag}")),
                        dir,
                        name,
                    })
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some((dir, e)),
                Err(e) => return Err(io_error(&dir)(e)),
            }
        }
        let (dir, e) = last.expect("at least one attempt");
        Err(io_error(&dir)(e))
    }

    /// Writes every file into the temporary folder, and the zip, each synced to disk.
    fn write(&self, files: &Files, opts: &BundleOptions) -> Result<(), BundleError> {
        for (path, data) in files {
            let p = self.dir.join(path);
            if let Some(d) = p.parent() {
                std::fs::create_dir_all(d).map_err(io_error(d))?;
            }
            write_synced(&p, data)?;
        }
        let z = zip_bytes(&self.name, files, opts.fixed_time)?;
        write_synced(&self.zip, &z)
    }

    /// Moves the folder and zip into place: an existing empty folder is replaced by rename; with --force an
    /// existing bundle is moved aside first and removed only once the new one is in place.
    fn move_into_place(&self, opts: &BundleOptions) -> Result<(), BundleError> {
        let out = out_dir(&opts.out);
        let zip = zip_path(&opts.out);
        let mut moved_old = false;
        if let Ok(m) = std::fs::symlink_metadata(&out) {
            let empty_dir = m.is_dir() && std::fs::read_dir(&out).map(|mut d| d.next().is_none()).unwrap_or(false);
            if empty_dir {
                std::fs::remove_dir(&out).map_err(io_error(&out))?;
            } else if opts.force {
                std::fs::rename(&out, &self.old).map_err(io_error(&out))?;
                moved_old = true;
            } else {
                return Err(BundleError::Out {
                    out,
                    problem: OutProblem::Appeared,
                });
            }
        }
        if let Err(e) = std::fs::rename(&self.dir, &out) {
            if moved_old {
                let _ = std::fs::rename(&self.old, &out);
            }
            return Err(io_error(&out)(e));
        }
        if let Err(e) = std::fs::rename(&self.zip, &zip) {
            let _ = std::fs::remove_dir_all(&out);
            if moved_old {
                let _ = std::fs::rename(&self.old, &out);
            }
            return Err(io_error(&zip)(e));
        }
        if moved_old {
            let _ = if self.old.is_dir() {
                std::fs::remove_dir_all(&self.old)
            } else {
                std::fs::remove_file(&self.old)
            };
        }
        Ok(())
    }

    fn cleanup(&self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        let _ = std::fs::remove_file(&self.zip);
    }
}

/// Writes a new file (never one that exists: every name written is fresh) and syncs it to disk.
fn write_synced(p: &Path, data: &[u8]) -> Result<(), BundleError> {
    let mut f = std::fs::File::create_new(p).map_err(io_error(p))?;
    f.write_all(data).and_then(|_| f.sync_all()).map_err(io_error(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::RedactionOptions;

    fn options(out: PathBuf) -> BundleOptions {
        BundleOptions {
            out,
            force: false,
            federation_config: None,
            attach_config: vec![],
            attach: vec![],
            redaction: RedactionOptions {
                enabled: true,
                key: None,
                attributes: vec![],
            },
            idp_product: None,
            tenant_domain: None,
            command_line: vec![],
            fixed_time: None,
            metadata_fetched_at: None,
            signer: None,
        }
    }

    /// Many writes into one folder at once (as `serve --out` makes them, all in one process): each probe and each
    /// temporary folder has its own name, so none fails with "File exists".
    #[test]
    fn concurrent_writes_into_one_folder_never_collide() {
        let dir = tempfile::tempdir().expect("tempdir");
        let threads: Vec<_> = (0..16)
            .map(|t| {
                let parent = dir.path().to_path_buf();
                std::thread::spawn(move || {
                    for i in 0..300 {
                        let opts = options(parent.join(format!("b-{t}-{i}")));
                        check_out(&opts).expect("probe");
                        let tmp = TempBundle::create(&opts).expect("temporary folder");
                        tmp.cleanup();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("no write failed");
        }
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0, "leftovers");
    }
}
