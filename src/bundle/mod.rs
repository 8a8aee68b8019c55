//! Evidence bundles: a folder and a zip that prove, to a reviewer at Microsoft or an auditor, what fedcheck found.
//!
//! [`write()`] turns a [`Report`] (computed on the original tokens) and the inputs that produced it into:
//!
//! ```text
//! README.md        what the bundle holds and how to verify it
//! report.md        the report (Markdown)            report.html  the same, self-contained and printable
//! report.json      the `check --format json` contract, plus a `redaction` member
//! junit.xml        one test case per check per token
//! request.md       a draft request text for a support form
//! config/          trust anchors (PEM with thumbprints), metadata as fetched, Entra federation settings, IdP exports
//! tokens/          the tokens as received (decoded), redacted by default
//! attachments/     files given with --attach, untouched
//! signins/         sign-in log exports and Partner Center's MFA report (redacted), summary.json (with --signins)
//! manifest.json    tool, command line (secrets removed), evaluation time, SHA-256 and size of every other file
//! manifest.json.p7s  with --sign-key: a detached CMS signature over manifest.json (not listed in it)
//! ```
//!
//! Every file is built in memory first, in sorted order, then written to a temporary folder beside `--out` that is
//! renamed into place, and zipped with fixed timestamps: with `--at` and `--redaction-key` two runs are
//! byte-identical. [`verify()`] recomputes the hashes of a bundle folder, zip or tar.gz against its manifest, within
//! [`Limits`], and checks the manifest's signature when asked ([`verify_with`]). Personal values
//! are replaced by keyed-hash placeholders ([`crate::report::redact`]) in the reports, the token copies and the
//! sign-in logs.
//!
//! The steps, one file each: `contents` (every file in memory), `product` (the IdP product, from evidence),
//! `request` (request.md), `readme` (README.md), `command_line` (the command line without secrets), `write` (checks
//! before any work, then the folder and zip), `verify` (verify-bundle); `error` says what can go wrong.

mod command_line;
mod contents;
mod error;
mod product;
mod readme;
mod request;
mod sign;
mod verify;
mod write;

pub use crate::report::redact::placeholder;
pub use command_line::{sanitize_command_line, shell_line};
pub use error::{BundleError, OutProblem};
pub use sign::{read_cert, Signer, SignerProblem};
pub use verify::{
    verify, verify_tar_bytes, verify_tar_gz_bytes, verify_with, verify_zip_bytes, Limits, OverLimit, SignatureCheck,
    Verification, VerifyError, VerifyOptions,
};
pub use write::{preflight, write, write_with_signins};

use crate::report::redact::RedactionNote;
#[cfg(doc)]
use crate::report::Report;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The manifest's file name.
pub const MANIFEST: &str = "manifest.json";
/// The detached CMS signature over the manifest (`bundle --sign-key`); beside the manifest, never listed in it.
pub const SIGNATURE: &str = "manifest.json.p7s";

/// Redaction settings.
#[derive(Debug, Clone)]
pub struct RedactionOptions {
    /// Redact at all (`--no-redact` turns it off).
    pub enabled: bool,
    /// `--redaction-key`: makes placeholders reproducible; a random key (not stored) otherwise.
    pub key: Option<Vec<u8>>,
    /// `--redact NAME`: further attributes whose values are redacted (name, full claim URI, or last URI segment;
    /// case-insensitive).
    pub attributes: Vec<String>,
}

/// Everything `fedcheck bundle` needs besides the report.
#[derive(Debug, Clone)]
pub struct BundleOptions {
    /// The bundle folder; the zip is written beside it as `<out>.zip`.
    pub out: PathBuf,
    /// Replace an existing non-empty `--out` (and its zip).
    pub force: bool,
    /// `--federation-config`: the Entra domain federation settings (Graph or MSOnline JSON).
    pub federation_config: Option<PathBuf>,
    /// `--attach-config`: IdP configuration exports (AD FS claim rules, Okta/Ping exports).
    pub attach_config: Vec<PathBuf>,
    /// `--attach`: other documents (purchase order, screenshots).
    pub attach: Vec<PathBuf>,
    /// Redaction.
    pub redaction: RedactionOptions,
    /// `--idp-product`: the IdP product and version, for request.md.
    pub idp_product: Option<String>,
    /// `--tenant-domain`: the federated domain, for request.md.
    pub tenant_domain: Option<String>,
    /// The command line, as given (secrets are removed by [`sanitize_command_line`] here).
    pub command_line: Vec<String>,
    /// `--at` when given: also the zip entries' timestamp (1980-01-01 otherwise).
    pub fixed_time: Option<DateTime<Utc>>,
    /// When a metadata URL was fetched (wall clock), for config/metadata/source.json.
    pub metadata_fetched_at: Option<DateTime<Utc>>,
    /// `--sign-key` and `--sign-cert`: sign the manifest ([`SIGNATURE`]).
    pub signer: Option<Signer>,
}

/// What [`write()`] produced.
#[derive(Debug, Clone)]
pub struct Written {
    /// Whether manifest.json was signed ([`SIGNATURE`] written beside it).
    pub signed: bool,
    /// The bundle folder.
    pub dir: PathBuf,
    /// The zip.
    pub zip: PathBuf,
    /// The files listed in the manifest (path, size), sorted.
    pub files: Vec<(String, u64)>,
    /// The redaction applied.
    pub redaction: RedactionNote,
    /// The report as the bundle shows it (redacted): what the console may print, so a CI log carries no more
    /// than the bundle.
    pub shown: crate::report::Report,
}

/// One file in the manifest.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ManifestFile {
    /// Path inside the bundle, `/`-separated.
    pub path: String,
    /// SHA-256, lower-case hex.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
}

/// `manifest.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// `{"name": "fedcheck", "version": ...}`.
    pub tool: ManifestTool,
    /// The command line, secrets removed.
    pub command_line: Vec<String>,
    /// The evaluation time (`--at`, or the time of the run).
    pub evaluated_at: String,
    /// The overall verdict.
    pub verdict: String,
    /// Which fields were redacted.
    pub redaction: ManifestRedaction,
    /// Every other file of the bundle, sorted by path.
    pub files: Vec<ManifestFile>,
}

/// Tool identity in the manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ManifestTool {
    /// `fedcheck`.
    pub name: String,
    /// Version.
    pub version: String,
}

/// Redaction summary in the manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ManifestRedaction {
    /// Whether values were redacted.
    pub enabled: bool,
    /// Kinds of field redacted.
    pub fields: Vec<String>,
}
