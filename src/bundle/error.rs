//! What can go wrong building or writing a bundle ([`BundleError`]), and why `--out` cannot take one
//! ([`OutProblem`]). Each message names the option and file concerned, as the CLI prints it; the underlying error
//! is carried as a field and written into the message (never as a `source`, so it is printed once).

use std::path::PathBuf;

/// What can go wrong building or writing a bundle; nothing is left behind. Every variant is "bad input" (exit 2)
/// for the CLI.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BundleError {
    /// A personal value survived redaction in a file of the bundle (nothing was written).
    #[error("redaction: a personal value ({length} characters) would still be in {file}; nothing was written (use --no-redact to keep values on purpose)")]
    RedactionLeak {
        /// The bundle file.
        file: String,
        /// The value's length (the value itself is not printed).
        length: usize,
    },
    /// A file given with an option cannot be read.
    #[error("{flag} {}: {error}", path.display())]
    Unreadable {
        /// The option (`--attach`, `--federation-config`, ...).
        flag: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// A file given with an option is over the size fedcheck reads for it.
    #[error("{flag} {}: larger than the {} limit", path.display(), crate::http::size_text(*limit))]
    FileTooLarge {
        /// The option (`--federation-config`, ...).
        flag: &'static str,
        /// The file.
        path: PathBuf,
        /// The limit, in bytes.
        limit: u64,
    },
    /// A file given with an option is not a regular file.
    #[error("{flag} {}: not a regular file", path.display())]
    NotAFile {
        /// The option.
        flag: &'static str,
        /// The file.
        path: PathBuf,
    },
    /// `--federation-config` is not JSON.
    #[error(
        "--federation-config {}: not JSON ({error}); give the output of Graph GET \
         /domains/{{domain}}/federationConfiguration or Get-MsolDomainFederationSettings | ConvertTo-Json",
        path.display()
    )]
    FederationConfigNotJson {
        /// The file.
        path: PathBuf,
        /// The parser's complaint.
        error: serde_json::Error,
    },
    /// `--out` cannot take the bundle.
    #[error("--out {}: {problem}", out.display())]
    Out {
        /// `--out` as given.
        out: PathBuf,
        /// What is wrong with it.
        problem: OutProblem,
    },
    /// The zip beside `--out` exists and `--force` was not given.
    #[error("{} already exists (use --force to replace it)", zip.display())]
    ZipExists {
        /// The zip.
        zip: PathBuf,
    },
    /// A token is not UTF-8, so its copy cannot be redacted.
    #[error("token {index} ({input}) is not UTF-8 and cannot be redacted; use --no-redact to keep it as received")]
    TokenNotUtf8 {
        /// 1-based position among the tokens.
        index: usize,
        /// The input it came from.
        input: String,
    },
    /// The sign-in exports are larger than a bundle keeps copies of.
    #[error(
        "--signins: the exports add up to {total_mib} MiB; a bundle keeps copies of at most {max_mib} MiB (export a \
         shorter period, or the users and apps that matter)"
    )]
    SigninsTooLarge {
        /// Their size, in MiB.
        total_mib: u64,
        /// The limit, in MiB.
        max_mib: u64,
    },
    /// `--sign-key` or `--sign-cert` cannot sign.
    #[error("{flag} {}: {problem}", path.display())]
    Signer {
        /// The option.
        flag: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: super::SignerProblem,
    },
    /// The bundle would be over a limit of `verify-bundle`, which could then not check it.
    #[error("cannot write the bundle: {0}; verify-bundle would refuse it (attach fewer or smaller files)")]
    TooLarge(super::OverLimit),
    /// No random redaction key could be made.
    #[error("cannot write the bundle: random key: {0}")]
    RandomKey(openssl::error::ErrorStack),
    /// A JSON file of the bundle could not be serialized.
    #[error("cannot write the bundle: {0}")]
    Json(serde_json::Error),
    /// The sign-in logs' redaction could not be prepared.
    #[error("cannot write the bundle: {0}")]
    SigninsRedaction(String),
    /// The zip could not be built.
    #[error("cannot write the bundle: zip: {0}")]
    Zip(zip::result::ZipError),
    /// A file of the zip could not be compressed into it.
    #[error("cannot write the bundle: zip: {0}")]
    ZipData(std::io::Error),
    /// A file or folder could not be written, moved or removed.
    #[error("cannot write the bundle: {}: {error}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
}

/// Why `--out` cannot take the bundle.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutProblem {
    /// Its last component is not a folder name (`.`, `..`, empty).
    #[error("not a folder name")]
    NotAFolderName,
    /// Its parent folder does not exist.
    #[error("the parent folder {} does not exist", .0.display())]
    NoParent(PathBuf),
    /// It exists and is a file (or a link).
    #[error("exists and is not a folder")]
    NotAFolder,
    /// It cannot be listed.
    #[error("{0}")]
    Unreadable(std::io::Error),
    /// It holds files and `--force` was not given.
    #[error("the folder is not empty (use --force to replace a previous bundle)")]
    NotEmpty,
    /// It holds files that are not a fedcheck bundle: `--force` never replaces those.
    #[error(
        "the folder is not empty and is not a fedcheck bundle (no fedcheck manifest.json); --force replaces only a \
         previous bundle: choose another folder or empty it yourself"
    )]
    NotABundle,
    /// Its parent folder is not writable.
    #[error("cannot write in {}: {error}", parent.display())]
    NotWritable {
        /// The parent folder.
        parent: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// It was created by someone else while the bundle was built.
    #[error("appeared while the bundle was built")]
    Appeared,
}
