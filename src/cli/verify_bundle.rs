//! `fedcheck verify-bundle`: check that an evidence bundle (folder, zip or tar.gz) is exactly as its manifest
//! lists it, within limits (a bundle is untrusted input), and, with `--signer-cert`, who signed the manifest.

use super::args;
use super::outcome::Outcome;
use anyhow::anyhow;
use clap::Args;
use fedcheck::bundle::{Limits, SignatureCheck, Verification, VerifyOptions};
use std::io::Write;

/// `fedcheck verify-bundle`.
#[derive(Args, Debug)]
pub(super) struct VerifyBundleArgs {
    /// The bundle folder, its zip, or a tar.gz (or tar) of the folder.
    #[arg(value_name = "DIR|ZIP|TAR.GZ")]
    bundle: std::path::PathBuf,

    /// Require manifest.json.p7s to verify with this certificate (PEM or DER): the signer's own, or the CA that
    /// issued it. Without it, the hashes show only that the files match the manifest, not who made them.
    #[arg(long, value_name = "CERT")]
    signer_cert: Option<std::path::PathBuf>,

    /// The most entries (files, folders, links) read.
    #[arg(long, default_value_t = Limits::default().max_entries, value_name = "N")]
    max_entries: u64,

    /// The largest file or entry, once expanded (suffixes k, M, G).
    #[arg(long, default_value = "512M", value_name = "BYTES")]
    max_entry_size: String,

    /// The most bytes of all files or entries, once expanded (suffixes k, M, G).
    #[arg(long, default_value = "1G", value_name = "BYTES")]
    max_total_size: String,

    /// The highest compression ratio (expanded / compressed) of a zip entry or a whole tar.gz, checked past 1 MiB.
    #[arg(long, default_value_t = Limits::default().max_ratio, value_name = "N")]
    max_ratio: u64,
}

impl VerifyBundleArgs {
    fn options(&self) -> anyhow::Result<VerifyOptions> {
        let size = |flag: &str, v: &str| {
            args::parse_size(v).map_err(|_| anyhow!("{flag}: \"{v}\" is not a size (e.g. 512M, 1G)"))
        };
        let signer_cert = match &self.signer_cert {
            Some(p) => Some(fedcheck::bundle::read_cert(p).map_err(|e| anyhow!("--signer-cert {}: {e}", p.display()))?),
            None => None,
        };
        Ok(VerifyOptions {
            limits: Limits {
                max_entries: self.max_entries,
                max_entry_bytes: size("--max-entry-size", &self.max_entry_size)?,
                max_total_bytes: size("--max-total-size", &self.max_total_size)?,
                max_ratio: self.max_ratio.max(1),
            },
            signer_cert,
        })
    }
}

/// Runs `verify-bundle`: one line per file added, missing or changed, then the verdict on the files and what the
/// signature shows; 1 when altered, or when --signer-cert is given and the signature is absent or wrong.
pub(super) fn run(a: VerifyBundleArgs) -> anyhow::Result<Outcome> {
    let opts = a.options()?;
    let v = fedcheck::bundle::verify_with(&a.bundle, &opts)?;
    let mut out = std::io::stdout().lock();
    for p in &v.missing {
        let _ = writeln!(out, "MISSING  {p}");
    }
    for (p, want, got) in &v.changed {
        let _ = writeln!(out, "CHANGED  {p} (manifest sha256 {want}, found {got})");
    }
    for p in &v.added {
        let _ = writeln!(out, "ADDED    {p}");
    }
    let _ = writeln!(out, "{}", verdict_line(&v));
    if v.files_ok() || matches!(v.signature, SignatureCheck::Failed(_)) {
        let _ = writeln!(out, "{}", origin_line(&v, a.signer_cert.as_deref()));
    }
    Ok(Outcome::fail_if(!v.ok()))
}

/// `INTACT: N file(s) match manifest.json`, or `ALTERED: ...` with the counts.
fn verdict_line(v: &Verification) -> String {
    if !v.files_ok() {
        return format!(
            "ALTERED: {} missing, {} changed, {} added; {} intact",
            v.missing.len(),
            v.changed.len(),
            v.added.len(),
            v.intact.len()
        );
    }
    format!("INTACT: {} file(s) match manifest.json", v.intact.len())
}

/// What the signature shows about who made the bundle, and what the manifest says of the run.
fn origin_line(v: &Verification, cert: Option<&std::path::Path>) -> String {
    let m = v.manifest.as_ref();
    let claims = format!(
        "{} {}, evaluated at {}, verdict {}",
        m.map_or("", |m| m.tool.name.as_str()),
        m.map_or("", |m| m.tool.version.as_str()),
        m.map_or("", |m| m.evaluated_at.as_str()),
        m.map_or("", |m| m.verdict.as_str())
    );
    match &v.signature {
        SignatureCheck::Unsigned => format!(
            "NOT SIGNED: the hashes show that the files match manifest.json, not who made them (anyone can edit a \
             file and recompute the manifest). The manifest says: {claims}; nothing proves it. Sign bundles with \
             `fedcheck bundle --sign-key KEY --sign-cert CERT`."
        ),
        SignatureCheck::NotChecked => format!(
            "SIGNATURE NOT CHECKED: manifest.json.p7s is present; give --signer-cert CERT (the certificate you expect \
             the bundle's maker to use) to check who signed it. Until then the hashes show only that the files match \
             manifest.json, not who made them. The manifest says: {claims}."
        ),
        SignatureCheck::Verified { subject, sha256 } => format!(
            "SIGNED: manifest.json.p7s verifies with --signer-cert {} ({subject}, SHA-256 {sha256}): the manifest, \
             and so every file it lists, was signed with that certificate's key (or one it certifies). It says: \
             {claims}.",
            cert.map_or(String::new(), |c| c.display().to_string())
        ),
        SignatureCheck::Failed(why) => format!("SIGNATURE FAILED: {why}"),
        _ => format!("SIGNATURE: unknown state; the manifest says: {claims}"),
    }
}
