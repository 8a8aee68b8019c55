//! `fedcheck verify-bundle`: check that an evidence bundle (folder or zip) is exactly as fedcheck wrote it.

use super::outcome::Outcome;
use clap::Args;
use fedcheck::bundle::Verification;
use std::io::Write;

/// `fedcheck verify-bundle`.
#[derive(Args, Debug)]
pub(super) struct VerifyBundleArgs {
    /// The bundle folder or its zip.
    #[arg(value_name = "DIR|ZIP")]
    bundle: std::path::PathBuf,
}

/// Runs `verify-bundle`: one line per file added, missing or changed, then the verdict; 1 when altered.
pub(super) fn run(a: VerifyBundleArgs) -> anyhow::Result<Outcome> {
    let v = fedcheck::bundle::verify(&a.bundle)?;
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
    Ok(Outcome::fail_if(!v.ok()))
}

/// `INTACT: ...` with what the manifest says about the run, or `ALTERED: ...` with the counts.
fn verdict_line(v: &Verification) -> String {
    if !v.ok() {
        return format!(
            "ALTERED: {} missing, {} changed, {} added; {} intact",
            v.missing.len(),
            v.changed.len(),
            v.added.len(),
            v.intact.len()
        );
    }
    let m = v.manifest.as_ref();
    format!(
        "INTACT: {} file(s) match manifest.json ({} {}, evaluated at {}, verdict {})",
        v.intact.len(),
        m.map_or("", |m| m.tool.name.as_str()),
        m.map_or("", |m| m.tool.version.as_str()),
        m.map_or("", |m| m.evaluated_at.as_str()),
        m.map_or("", |m| m.verdict.as_str())
    )
}
