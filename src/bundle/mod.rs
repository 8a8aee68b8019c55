//! Evidence bundles: a folder and a zip that prove, to a reviewer at Microsoft or an auditor, what fedcheck found.
//!
//! [`write`] turns a [`Report`] (computed on the original tokens) and the inputs that produced it into:
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
//! ```
//!
//! Every file is built in memory first, in sorted order, then written to a temporary folder beside `--out` that is
//! renamed into place, and zipped with fixed timestamps: with `--at` and `--redaction-key` two runs are
//! byte-identical. [`verify`] recomputes the hashes of a bundle folder or zip against its manifest.
//!
//! Redaction ([`Redactor`], from [`crate::report::redact`]) replaces personal claim values (NameID, UPN, e-mail, ImmutableID, and attributes named
//! with `--redact`) by `redacted:KIND:HEX12`, the first 12 hex digits of HMAC-SHA256(key, KIND || 0x00 || value),
//! in the reports and in the token copies.

pub use crate::report::redact::{placeholder, Redactor};

use crate::input::RawToken;
use crate::report::escape;
use crate::report::redact::{attribute_kind, RedactionNote};
use crate::report::render::{self, RenderOptions};
use crate::report::sha256_hex;
use crate::report::{Report, Settings, Verdict};
use crate::saml::Protocol;
use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::{Read, Write as _};
use std::path::{Path, PathBuf};

/// The manifest's file name.
pub const MANIFEST: &str = "manifest.json";

/// What can go wrong building or verifying a bundle. Every variant is "bad input" (exit 2) for the CLI.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// An option's value is unusable (missing attachment, non-empty --out, unreadable config...).
    #[error("{0}")]
    Input(String),
    /// Writing the bundle failed (nothing is left behind).
    #[error("cannot write the bundle: {0}")]
    Write(String),
    /// A bundle to verify is unusable (no manifest, unreadable zip...).
    #[error("{0}")]
    Unusable(String),
}

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
}

/// What [`write`] produced.
#[derive(Debug, Clone)]
pub struct Written {
    /// The bundle folder.
    pub dir: PathBuf,
    /// The zip.
    pub zip: PathBuf,
    /// The files listed in the manifest (path, size), sorted.
    pub files: Vec<(String, u64)>,
    /// The redaction applied.
    pub redaction: RedactionNote,
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

// ---------------------------------------------------------------------------------------------------------------
// Command line

fn secret_flag(flag: &str) -> bool {
    let f = flag.trim_start_matches('-').to_ascii_lowercase();
    f == "redaction-key"
        || ["key", "secret", "password", "passwd", "token", "credential", "auth"]
            .iter()
            .any(|w| f.split(['-', '_']).any(|p| p == *w))
}

fn secret_query_name(n: &str) -> bool {
    let n = n.to_ascii_lowercase();
    [
        "sig",
        "signature",
        "token",
        "access_token",
        "code",
        "key",
        "secret",
        "password",
        "pwd",
        "apikey",
        "api_key",
        "sv",
        "se",
    ]
    .contains(&n.as_str())
}

/// Removes secrets from a URL: user information, and the values of query parameters that usually carry them.
fn sanitize_url(s: &str) -> String {
    let Ok(mut u) = url::Url::parse(s) else {
        return s.to_string();
    };
    if !matches!(u.scheme(), "http" | "https") {
        return s.to_string();
    }
    let mut changed = false;
    if !u.username().is_empty() || u.password().is_some() {
        let _ = u.set_username("");
        let _ = u.set_password(None);
        changed = true;
    }
    if u.query().is_some() {
        let pairs: Vec<(String, String)> = u.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        if pairs.iter().any(|(k, _)| secret_query_name(k)) {
            let mut q = u.query_pairs_mut();
            q.clear();
            for (k, v) in &pairs {
                q.append_pair(k, if secret_query_name(k) { "REDACTED" } else { v });
            }
            drop(q);
            changed = true;
        }
    }
    if changed {
        u.to_string()
    } else {
        s.to_string()
    }
}

/// The command line as recorded in manifest.json: the program as `fedcheck`; the values of `--redaction-key` and
/// of any option whose name says key, secret, password, token or credential replaced by `REDACTED`; URLs without
/// user information or signature/token query values; `--out` reduced to the bundle's folder name (so the same run
/// into another parent folder yields the same manifest).
pub fn sanitize_command_line(args: &[String]) -> Vec<String> {
    let mut out = vec!["fedcheck".to_string()];
    let mut i = 1;
    while i < args.len() {
        let a = &args[i];
        if let Some((flag, value)) = a.split_once('=').filter(|(f, _)| f.starts_with("--")) {
            if secret_flag(flag) {
                out.push(format!("{flag}=REDACTED"));
            } else if flag == "--out" {
                out.push(format!("{flag}={}", out_name(value)));
            } else {
                out.push(format!("{flag}={}", sanitize_url(value)));
            }
            i += 1;
            continue;
        }
        if a.starts_with("--") && secret_flag(a) {
            out.push(a.clone());
            if i + 1 < args.len() {
                out.push("REDACTED".into());
            }
            i += 2;
            continue;
        }
        if a == "--out" && i + 1 < args.len() {
            out.push(a.clone());
            out.push(out_name(&args[i + 1]));
            i += 2;
            continue;
        }
        out.push(sanitize_url(a));
        i += 1;
    }
    out
}

fn out_name(p: &str) -> String {
    Path::new(p.trim_end_matches('/'))
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.to_string())
}

/// A command line as one shell-quoted line (for the reports and README).
pub fn shell_line(args: &[String]) -> String {
    args.iter()
        .map(|a| {
            if !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c)) {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

// ---------------------------------------------------------------------------------------------------------------
// Building

/// Checks everything that can be checked before any token is read: attachments and configs exist and are
/// readable files, the federation config is JSON, `--out` is usable.
pub fn preflight(opts: &BundleOptions) -> Result<(), BundleError> {
    let check_file = |flag: &str, p: &Path| -> Result<(), BundleError> {
        let m = std::fs::metadata(p).map_err(|e| BundleError::Input(format!("{flag} {}: {e}", p.display())))?;
        if !m.is_file() {
            return Err(BundleError::Input(format!(
                "{flag} {}: not a regular file",
                p.display()
            )));
        }
        std::fs::File::open(p).map_err(|e| BundleError::Input(format!("{flag} {}: {e}", p.display())))?;
        Ok(())
    };
    for p in &opts.attach {
        check_file("--attach", p)?;
    }
    for p in &opts.attach_config {
        check_file("--attach-config", p)?;
    }
    if let Some(p) = &opts.federation_config {
        check_file("--federation-config", p)?;
        let bytes =
            std::fs::read(p).map_err(|e| BundleError::Input(format!("--federation-config {}: {e}", p.display())))?;
        serde_json::from_slice::<serde_json::Value>(strip_bom(&bytes)).map_err(|e| {
            BundleError::Input(format!(
                "--federation-config {}: not JSON ({e}); give the output of Graph GET /domains/{{domain}}/federationConfiguration or Get-MsolDomainFederationSettings | ConvertTo-Json",
                p.display()
            ))
        })?;
    }
    check_out(opts)?;
    Ok(())
}

fn strip_bom(b: &[u8]) -> &[u8] {
    b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b)
}

fn zip_path(out: &Path) -> PathBuf {
    let name = out_name(&out.to_string_lossy());
    parent_of(out).join(format!("{name}.zip"))
}

fn parent_of(out: &Path) -> PathBuf {
    let trimmed = PathBuf::from(out.to_string_lossy().trim_end_matches('/'));
    match trimmed.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A folder holding a manifest.json written by fedcheck.
fn is_bundle(dir: &Path) -> bool {
    std::fs::read(dir.join(MANIFEST))
        .ok()
        .and_then(|b| serde_json::from_slice::<Manifest>(&b).ok())
        .is_some_and(|m| m.tool.name == "fedcheck")
}

fn check_out(opts: &BundleOptions) -> Result<(), BundleError> {
    let out = &opts.out;
    let name = out_name(&out.to_string_lossy());
    if name.is_empty() || name == "." || name == ".." || name.contains('/') {
        return Err(BundleError::Input(format!(
            "--out {}: not a folder name",
            out.display()
        )));
    }
    let parent = parent_of(out);
    if !parent.is_dir() {
        return Err(BundleError::Input(format!(
            "--out {}: the parent folder {} does not exist",
            out.display(),
            parent.display()
        )));
    }
    match std::fs::symlink_metadata(out) {
        Ok(m) if !m.is_dir() => {
            return Err(BundleError::Input(format!(
                "--out {}: exists and is not a folder",
                out.display()
            )));
        }
        Ok(_) => {
            let non_empty = std::fs::read_dir(out)
                .map_err(|e| BundleError::Input(format!("--out {}: {e}", out.display())))?
                .next()
                .is_some();
            if non_empty && !opts.force {
                return Err(BundleError::Input(format!(
                    "--out {}: the folder is not empty (use --force to replace a previous bundle)",
                    out.display()
                )));
            }
            // --force replaces only a previous bundle, never an arbitrary folder (a typo must not delete $HOME).
            if non_empty && !is_bundle(out) {
                return Err(BundleError::Input(format!(
                    "--out {}: the folder is not empty and is not a fedcheck bundle (no fedcheck manifest.json); \
                     --force replaces only a previous bundle: choose another folder or empty it yourself",
                    out.display()
                )));
            }
        }
        Err(_) => {}
    }
    let zip = zip_path(out);
    if zip.exists() && !opts.force {
        return Err(BundleError::Input(format!(
            "{} already exists (use --force to replace it)",
            zip.display()
        )));
    }
    // Probe writability of the parent now, so an unwritable location fails before any work.
    let probe = parent.join(format!(".fedcheck-probe-{}", std::process::id()));
    std::fs::create_dir(&probe)
        .and_then(|_| std::fs::remove_dir(&probe))
        .map_err(|e| {
            BundleError::Input(format!(
                "--out {}: cannot write in {}: {e}",
                out.display(),
                parent.display()
            ))
        })?;
    Ok(())
}

/// A file name safe inside the bundle: the input's base name, with path separators and control characters
/// replaced.
fn safe_name(p: &Path) -> String {
    let n = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let s: String = n
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    if s.is_empty() || s == "." || s == ".." || s == MANIFEST {
        format!("file-{s}")
    } else {
        s
    }
}

fn unique(files: &BTreeMap<String, Vec<u8>>, dir: &str, name: &str) -> String {
    let first = format!("{dir}/{name}");
    if !files.contains_key(&first) {
        return first;
    }
    let (stem, ext) = match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], &name[i..]),
        _ => (name, ""),
    };
    (2..)
        .map(|n| format!("{dir}/{stem}-{n}{ext}"))
        .find(|p| !files.contains_key(p))
        .expect("a free name")
}

fn protocol_slug(p: Option<Protocol>) -> &'static str {
    match p {
        Some(Protocol::Saml2) => "saml2",
        Some(Protocol::WsfedSaml11) => "wsfed-saml11",
        None => "unknown",
    }
}

/// Facts from the federation configuration JSON (Graph or MSOnline), for request.md only.
#[derive(Debug, Default, Clone)]
struct FedFacts {
    domain: Option<String>,
    issuer_uri: Option<String>,
    protocol: Option<String>,
    mfa_behavior: Option<String>,
    supports_mfa: Option<String>,
}

fn fed_facts(v: &serde_json::Value) -> FedFacts {
    fn find(v: &serde_json::Value, keys: &[&str]) -> Option<String> {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    if keys.iter().any(|w| k.eq_ignore_ascii_case(w)) {
                        match x {
                            serde_json::Value::String(s) if !s.is_empty() => return Some(s.clone()),
                            serde_json::Value::Bool(b) => return Some(b.to_string()),
                            _ => {}
                        }
                    }
                }
                m.values().find_map(|x| find(x, keys))
            }
            serde_json::Value::Array(a) => a.iter().find_map(|x| find(x, keys)),
            _ => None,
        }
    }
    let mut f = FedFacts {
        domain: find(v, &["domainName", "domain"]),
        issuer_uri: find(v, &["issuerUri"]),
        protocol: find(v, &["preferredAuthenticationProtocol"]),
        mfa_behavior: find(v, &["federatedIdpMfaBehavior"]),
        supports_mfa: find(v, &["SupportsMfa"]),
    };
    if f.domain.is_none() {
        // Graph: "@odata.context": ".../$metadata#domains('contoso.com')/federationConfiguration"
        if let Some(ctx) = find(v, &["@odata.context"]) {
            if let Some(i) = ctx.find("domains('") {
                let rest = &ctx[i + 9..];
                if let Some(j) = rest.find('\'') {
                    f.domain = Some(rest[..j].to_string());
                }
            }
        }
    }
    f
}

/// Guesses the IdP product from an entityID / issuer URI.
fn guess_idp(uri: &str) -> Option<&'static str> {
    let u = uri.to_ascii_lowercase();
    if u.contains("/adfs/services/trust") {
        Some("Microsoft AD FS (identified from the entityID; version not stated in the metadata)")
    } else if u.contains("okta.com") || u.contains("okta-emea.com") {
        Some("Okta (identified from the entityID)")
    } else if u.contains("pingone") || u.contains("pingidentity") || u.contains("pingfederate") {
        Some("Ping Identity (identified from the entityID)")
    } else if u.contains("/realms/") {
        Some("Keycloak (identified from the entityID)")
    } else if u.contains("/idp/shibboleth") {
        Some("Shibboleth IdP (identified from the entityID)")
    } else if u.contains("duosecurity") {
        Some("Duo (identified from the entityID)")
    } else {
        None
    }
}

fn upn_domain(r: &Report) -> Option<String> {
    for tk in &r.tokens {
        let Some(c) = &tk.claims else { continue };
        for a in &c.attributes {
            if matches!(attribute_kind(&a.name, a.namespace.as_deref(), &[]), Some(("upn", _))) {
                if let Some(d) = a
                    .values
                    .iter()
                    .find_map(|v| v.rsplit_once('@').map(|(_, d)| d.to_string()))
                {
                    return Some(d);
                }
            }
        }
    }
    None
}

/// JSON for report.json: the report's contract plus a `redaction` member.
#[derive(Serialize)]
struct ReportWithRedaction<'a> {
    #[serde(flatten)]
    report: &'a Report,
    redaction: &'a RedactionNote,
}

fn cert_pem(anchor: &crate::trust::TrustAnchor) -> Vec<u8> {
    let i = &anchor.info;
    let mut s = String::new();
    let _ = writeln!(s, "# Trust anchor used by fedcheck");
    let _ = writeln!(s, "# Origin:             {}", anchor.origin.replace(['\n', '\r'], " "));
    let _ = writeln!(s, "# Subject:            {}", i.subject);
    let _ = writeln!(s, "# Issuer:             {}", i.issuer);
    let _ = writeln!(s, "# Serial:             {}", i.serial);
    let _ = writeln!(s, "# SHA-1 thumbprint:   {}", i.sha1_thumbprint);
    let _ = writeln!(s, "# SHA-256 thumbprint: {}", i.sha256_thumbprint);
    let _ = writeln!(s, "# Valid from:         {}", i.not_before);
    let _ = writeln!(s, "# Valid to:           {}", i.not_after);
    let _ = writeln!(s, "# Key:                {} {} bits", i.key_type, i.key_bits);
    let mut b = s.into_bytes();
    b.extend(anchor.cert.to_pem().unwrap_or_default());
    b
}

/// A bundle's files in memory: path inside the bundle -> bytes, sorted by path.
type Files = BTreeMap<String, Vec<u8>>;

/// Builds every file of the bundle in memory (sorted by path), without the manifest.
fn build_files(
    report: &Report,
    tokens: &[RawToken],
    settings: &Settings,
    opts: &BundleOptions,
    signins: Option<&crate::signins::RunOutput>,
) -> Result<(Files, RedactionNote, Report), BundleError> {
    let mut files: Files = BTreeMap::new();
    let read =
        |flag: &str, p: &Path| std::fs::read(p).map_err(|e| BundleError::Input(format!("{flag} {}: {e}", p.display())));

    // Redaction.
    let key_source;
    let key = match (&opts.redaction.key, opts.redaction.enabled) {
        (Some(k), _) => {
            key_source = "given with --redaction-key (placeholders are reproducible with the same key)".to_string();
            k.clone()
        }
        (None, _) => {
            key_source = "random, generated for this run and not stored (placeholders cannot be reversed)".to_string();
            let mut k = vec![0u8; 32];
            openssl::rand::rand_bytes(&mut k).map_err(|e| BundleError::Write(format!("random key: {e}")))?;
            k
        }
    };
    let redactor = if opts.redaction.enabled {
        Some(Redactor::new(report, &key, &opts.redaction.attributes))
    } else {
        None
    };
    // Sign-in logs: their personal values get placeholders with the same key (one UPN, one placeholder).
    let signin_plan = match (&redactor, signins) {
        (Some(r), Some(out)) => Some(crate::signins::redact::plan(&out.personal, r.pairs(), &|kind, v| {
            placeholder(&key, kind, v)
        })),
        _ => None,
    };
    let note = match &redactor {
        Some(r) => RedactionNote {
            enabled: true,
            fields: r
                .fields()
                .into_iter()
                .chain(signin_plan.iter().flat_map(|p| p.fields.iter().cloned()))
                .collect(),
            values: r.len() + signin_plan.as_ref().map_or(0, |p| p.pairs.len() - r.len()),
            method: format!(
                "redacted:KIND:HEX, HEX = first 12 hex digits of HMAC-SHA256(key, KIND || 0x00 || value); KIND is nameid, immutableid, upn, email or attr{}",
                if signin_plan.is_some() { " (and name, userid, ip in sign-in logs)" } else { "" }
            ),
            key: key_source,
        },
        None => RedactionNote {
            enabled: false,
            fields: vec![],
            values: 0,
            method: "none (--no-redact)".into(),
            key: "none".into(),
        },
    };
    let shown = match &redactor {
        Some(r) => r.report(report),
        None => report.clone(),
    };
    let command = sanitize_command_line(&opts.command_line);
    let command_text = shell_line(&command);

    // Reports.
    let shown_signins = signins.map(|out| match &signin_plan {
        Some(p) => crate::signins::redact::report(&out.report, p),
        None => out.report.clone(),
    });
    let ropts = RenderOptions {
        redaction: Some(note.clone()),
        command: Some(command_text.clone()),
        signins: shown_signins.clone(),
    };
    files.insert("report.md".into(), render::markdown(&shown, &ropts).into_bytes());
    files.insert("report.html".into(), render::html(&shown, &ropts).into_bytes());
    let json = serde_json::to_string_pretty(&ReportWithRedaction {
        report: &shown,
        redaction: &note,
    })
    .map_err(|e| BundleError::Write(e.to_string()))?;
    files.insert("report.json".into(), (json + "\n").into_bytes());
    files.insert("junit.xml".into(), render::junit(&shown).into_bytes());

    // Tokens.
    for (i, (raw, tk)) in tokens.iter().zip(&report.tokens).enumerate() {
        let name = format!("tokens/{:02}-{}.xml", i + 1, protocol_slug(tk.protocol));
        let bytes = match &redactor {
            Some(r) => match std::str::from_utf8(&raw.xml) {
                Ok(s) => r.xml(s).into_bytes(),
                Err(_) => {
                    return Err(BundleError::Input(format!(
                        "token {} ({}) is not UTF-8 and cannot be redacted; use --no-redact to keep it as received",
                        i + 1,
                        raw.source.input
                    )))
                }
            },
            None => raw.xml.clone(),
        };
        files.insert(name, bytes);
    }

    // signins/: the sign-in log exports and Partner Center's report (redacted), and the per-user summary.
    if let (Some(out), Some(shown)) = (signins, &shown_signins) {
        const MAX_SIGNIN_BYTES: u64 = 256 * 1024 * 1024;
        let inputs: Vec<&String> = out.signin_files.iter().chain(out.partner_file.iter()).collect();
        let total: u64 = inputs
            .iter()
            .filter_map(|f| std::fs::metadata(f).ok())
            .map(|m| m.len())
            .sum();
        if total > MAX_SIGNIN_BYTES {
            return Err(BundleError::Input(format!(
                "--signins: the exports add up to {} MiB; a bundle keeps copies of at most {} MiB (export a shorter \
                 period, or the users and apps that matter)",
                total >> 20,
                MAX_SIGNIN_BYTES >> 20
            )));
        }
        let matcher = match &signin_plan {
            Some(p) => Some(crate::signins::redact::InputRedactor::new(&p.pairs).map_err(BundleError::Write)?),
            None => None,
        };
        for f in inputs {
            let bytes = read("--signins", Path::new(f))?;
            let bytes = match &matcher {
                Some(m) => m.apply(&bytes),
                None => bytes,
            };
            let path = unique(&files, "signins", &safe_name(Path::new(f)));
            files.insert(path, bytes);
        }
        let json = serde_json::to_string_pretty(shown).map_err(|e| BundleError::Write(e.to_string()))?;
        let path = unique(&files, "signins", "summary.json");
        files.insert(path, (json + "\n").into_bytes());
    }

    // config/: trust anchors, metadata, federation settings, IdP exports.
    for (i, a) in settings.anchors.iter().enumerate() {
        let slug: String = a
            .info
            .sha1_thumbprint
            .chars()
            .take(8)
            .collect::<String>()
            .to_ascii_lowercase();
        files.insert(format!("config/trust-anchors/{:02}-{slug}.pem", i + 1), cert_pem(a));
    }
    if let Some(m) = &settings.metadata {
        let is_url = m.source_name.starts_with("https://") || m.source_name.starts_with("http://");
        let name = if is_url {
            "metadata.xml".to_string()
        } else {
            safe_name(Path::new(&m.source_name))
        };
        let name = if name == "source.json" {
            "metadata-source.json".to_string()
        } else {
            name
        };
        files.insert(format!("config/metadata/{name}"), m.raw.clone());
        let src = serde_json::json!({
            "source": if is_url { sanitize_url(&m.source_name) } else { m.source_name.clone() },
            "kind": if is_url { "url" } else { "file" },
            "fetched_at": if is_url {
                opts.metadata_fetched_at.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            } else { None },
            "file": format!("config/metadata/{name}"),
            "sha256": sha256_hex(&m.raw),
            "size": m.raw.len(),
            "entity_id": m.entity_id,
            "signature_verified": m.signature_verified,
        });
        files.insert(
            "config/metadata/source.json".into(),
            (serde_json::to_string_pretty(&src).unwrap_or_default() + "\n").into_bytes(),
        );
    }
    let mut fed = FedFacts::default();
    if let Some(p) = &opts.federation_config {
        let bytes = read("--federation-config", p)?;
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(strip_bom(&bytes)) {
            fed = fed_facts(&v);
        }
        let path = unique(&files, "config/entra", &safe_name(p));
        files.insert(path, bytes);
    }
    for p in &opts.attach_config {
        let bytes = read("--attach-config", p)?;
        let path = unique(&files, "config/idp", &safe_name(p));
        files.insert(path, bytes);
    }
    for p in &opts.attach {
        let bytes = read("--attach", p)?;
        let path = unique(&files, "attachments", &safe_name(p));
        files.insert(path, bytes);
    }

    // request.md and README.md describe the other files, so they come last.
    let request = request_text(
        &shown,
        report,
        settings,
        opts,
        &fed,
        &files,
        &note,
        shown_signins.as_ref(),
    );
    files.insert("request.md".into(), request.into_bytes());
    let readme = bundle_readme(&shown, opts, &files, &note, &command_text);
    files.insert("README.md".into(), readme.into_bytes());
    Ok((files, note, shown))
}

fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "PASS",
        Verdict::Fail => "FAIL",
        Verdict::Error => "ERROR",
    }
}

#[allow(clippy::too_many_arguments)]
fn request_text(
    shown: &Report,
    original: &Report,
    settings: &Settings,
    opts: &BundleOptions,
    fed: &FedFacts,
    files: &BTreeMap<String, Vec<u8>>,
    note: &RedactionNote,
    signins: Option<&crate::signins::aggregate::SigninsReport>,
) -> String {
    let domain = opts
        .tenant_domain
        .clone()
        .or_else(|| fed.domain.clone())
        .or_else(|| upn_domain(original).map(|d| format!("{d} (the UPN suffix in the signed tokens)")))
        .unwrap_or_else(|| "(not known: give --tenant-domain)".into());
    let entity = settings
        .metadata
        .as_ref()
        .and_then(|m| m.entity_id.clone())
        .or_else(|| fed.issuer_uri.clone())
        .or_else(|| shown.trust.expected_issuer.clone());
    let product = opts
        .idp_product
        .clone()
        .or_else(|| entity.as_deref().and_then(guess_idp).map(str::to_string))
        .unwrap_or_else(|| "(not known: give --idp-product)".into());
    let mut protos: BTreeSet<&str> = BTreeSet::new();
    for tk in &shown.tokens {
        match tk.protocol {
            Some(Protocol::WsfedSaml11) => {
                protos.insert("WS-Federation (SAML 1.1 token in a WS-Trust RequestSecurityTokenResponse)");
            }
            Some(Protocol::Saml2) => {
                protos.insert("SAML-P (SAML 2.0 Response)");
            }
            None => {}
        }
    }
    let method = if protos.is_empty() {
        "identity federation (protocol not determined)".to_string()
    } else {
        format!(
            "identity federation over {}",
            protos.into_iter().collect::<Vec<_>>().join(" and ")
        )
    };
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Request draft: third-party MFA for a federated Microsoft Entra ID domain"
    );
    let _ = writeln!(
        s,
        "(generated by fedcheck {}; edit before pasting into the support form)",
        shown.tool.version
    );
    let _ = writeln!(s);
    let _ = writeln!(s, "Tenant domain: {domain}");
    let _ = writeln!(s, "Identity provider: {product}");
    if let Some(e) = &entity {
        let _ = writeln!(s, "IdP issuer (entityID): {e}");
    }
    let _ = writeln!(s, "Integration method: {method}");
    if let Some(p) = &fed.protocol {
        let _ = writeln!(
            s,
            "Entra domain setting preferredAuthenticationProtocol: {p} (from the attached federation settings)"
        );
    }
    if let Some(b) = &fed.mfa_behavior {
        let _ = writeln!(
            s,
            "Entra domain setting federatedIdpMfaBehavior: {b} (from the attached federation settings)"
        );
    }
    if let Some(b) = &fed.supports_mfa {
        let _ = writeln!(
            s,
            "Legacy MSOnline setting SupportsMfa: {b} (from the attached federation settings)"
        );
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "What was tested:");
    let _ = writeln!(
        s,
        "We captured {} sign-in token(s) that our identity provider posted to https://login.microsoftonline.com/login.srf \
         for an account enrolled in MFA, and checked them with fedcheck {} at {}: the XML signature against the IdP's \
         trusted signing certificate ({} certificate(s), engines: {}), the MFA signal in the place Entra reads it for \
         the protocol, and every Entra federation requirement (issuer, audience, subject, confirmation, validity).",
        shown.summary.tokens,
        shown.tool.version,
        shown.evaluated_at,
        shown.trust.anchors.len(),
        shown.engines.join(" + ")
    );
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "Result: {}. {}",
        verdict_word(shown.verdict),
        render::summary_sentence(shown)
    );
    for (i, tk) in shown.tokens.iter().enumerate() {
        let _ = writeln!(
            s,
            "- Token {} ({}): {}: {}",
            i + 1,
            render::protocol_name(tk.protocol),
            verdict_word(tk.verdict),
            render::token_verdict_reason(tk)
        );
        for e in &tk.mfa.evidence {
            let _ = writeln!(s, "  MFA evidence (signed): {e}");
        }
        if let Some(c) = &tk.signature.certificate {
            let _ = writeln!(s, "  Signed by: {} (SHA-1 thumbprint {})", c.subject, c.sha1_thumbprint);
        }
    }
    if let Some(si) = signins {
        let _ = writeln!(s);
        let _ = writeln!(s, "Tenant-wide evidence (Entra sign-in logs):");
        let _ = writeln!(s, "{}", render::signins_sentence(si));
        if let Some(p) = &si.partner_report {
            let saw = |w: &str| p.users.iter().filter(|u| u.entra_saw == w).count();
            let _ = writeln!(
                s,
                "Partner Center's MFA report lists {} user(s) who reached Partner Center without MFA; in the sign-in \
                 logs Entra saw the IdP's MFA claim for {}, Entra's own MFA for {}, no MFA for {}, and {} are not in \
                 the logs.",
                p.listed,
                saw("mfa_claim"),
                saw("mfa_entra"),
                saw("single_factor"),
                saw("not_in_signins") + saw("no_signin_logs")
            );
        }
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "Attached documents (in the evidence bundle; manifest.json lists the SHA-256 of each):"
    );
    let _ = writeln!(
        s,
        "- report.html / report.md: the full test report; report.json and junit.xml: the same, machine-readable"
    );
    let describe = |p: &str| -> Option<&'static str> {
        if p.starts_with("config/trust-anchors/") {
            Some("trusted IdP signing certificate")
        } else if p == "config/metadata/source.json" {
            None
        } else if p.starts_with("config/metadata/") {
            Some("IdP metadata as fetched")
        } else if p.starts_with("config/entra/") {
            Some("Entra domain federation settings")
        } else if p.starts_with("config/idp/") {
            Some("IdP MFA configuration export")
        } else if p.starts_with("tokens/") {
            Some(if note.enabled {
                "token as received (personal values redacted)"
            } else {
                "token as received"
            })
        } else if p.starts_with("attachments/") {
            Some("attachment")
        } else if p == "signins/summary.json" {
            Some("per-user summary of the Entra sign-in logs (how each user satisfied MFA)")
        } else if p.starts_with("signins/") {
            Some(if note.enabled {
                "Entra sign-in log export or Partner Center MFA report (personal values redacted)"
            } else {
                "Entra sign-in log export or Partner Center MFA report"
            })
        } else {
            None
        }
    };
    for p in files.keys() {
        if let Some(d) = describe(p) {
            let _ = writeln!(s, "- {p}: {d}");
        }
    }
    if note.enabled {
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "Personal values (user names, identifiers) are replaced by keyed hashes in the report and token copies; \
             the signature results were computed on the original tokens."
        );
    }
    s
}

fn bundle_readme(
    shown: &Report,
    opts: &BundleOptions,
    files: &BTreeMap<String, Vec<u8>>,
    note: &RedactionNote,
    command: &str,
) -> String {
    let name = out_name(&opts.out.to_string_lossy());
    let mut s = String::new();
    let _ = writeln!(s, "# fedcheck evidence bundle\n");
    let _ = writeln!(
        s,
        "**Verdict: {}**: {}\n",
        verdict_word(shown.verdict),
        escape::markdown(&render::summary_sentence(shown))
    );
    let _ = writeln!(
        s,
        "Evaluated at {} by fedcheck {}, with:\n",
        shown.evaluated_at, shown.tool.version
    );
    let _ = writeln!(s, "```\n{}\n```\n", command.replace("```", "'''"));
    let _ = writeln!(s, "## Contents\n");
    let _ = writeln!(s, "| path | what |\n|---|---|");
    let mut rows: Vec<(String, &str)> = vec![
        ("README.md".into(), "this file"),
        (
            "report.html".into(),
            "the report: self-contained, no network, printable (open it in a browser, print to PDF)",
        ),
        ("report.md".into(), "the same report in Markdown"),
        (
            "report.json".into(),
            "the same report as JSON: the `fedcheck check --format json` contract, plus `redaction`",
        ),
        ("junit.xml".into(), "one JUnit test case per check per token"),
        ("request.md".into(), "a draft request text to paste into a support form"),
        (
            "manifest.json".into(),
            "tool, command line (secrets removed), evaluation time, SHA-256 and size of every other file",
        ),
    ];
    for p in files.keys() {
        let what = if p.starts_with("config/trust-anchors/") {
            "a trust anchor used: PEM certificate with its thumbprints and validity in the header"
        } else if p == "config/metadata/source.json" {
            "where the metadata came from (file or URL, fetch time) and its SHA-256"
        } else if p.starts_with("config/metadata/") {
            "the IdP metadata, untouched, as read or fetched"
        } else if p.starts_with("config/entra/") {
            "the Entra domain federation settings (--federation-config), untouched"
        } else if p.starts_with("config/idp/") {
            "an IdP configuration export (--attach-config), untouched"
        } else if p.starts_with("tokens/") {
            if note.enabled {
                "a token as received (decoded XML), personal values redacted"
            } else {
                "a token as received (decoded XML)"
            }
        } else if p.starts_with("attachments/") {
            "an attachment (--attach), untouched"
        } else if p == "signins/summary.json" {
            "the sign-in logs per user: the `fedcheck signins --format json` contract"
        } else if p.starts_with("signins/") {
            if note.enabled {
                "a sign-in log export or Partner Center MFA report (--signins, --partner-report), personal values redacted"
            } else {
                "a sign-in log export or Partner Center MFA report (--signins, --partner-report), as given"
            }
        } else {
            continue;
        };
        rows.push((p.clone(), what));
    }
    for (p, w) in rows {
        let _ = writeln!(s, "| `{}` | {} |", p.replace('`', "'").replace('|', "\\|"), w);
    }
    let _ = writeln!(s);
    if note.enabled {
        let _ = writeln!(s, "## Redaction\n");
        let _ = writeln!(
            s,
            "Personal values are replaced, in the reports and in `tokens/`, by `redacted:KIND:HEX` placeholders \
             (HMAC-SHA256 with a key {}), so the same user maps to the same placeholder everywhere in the bundle. \
             Fields redacted: {}.\n",
            if opts.redaction.key.is_some() {
                "given with `--redaction-key`"
            } else {
                "that was random and not stored"
            },
            if note.fields.is_empty() {
                "none found".to_string()
            } else {
                escape::markdown(&note.fields.join(", "))
            }
        );
        let _ = writeln!(
            s,
            "**The `tokens/` copies are redacted and therefore no longer verify; the signature result in `report.json` \
             was computed on the original tokens.**\n"
        );
    }
    let _ = writeln!(s, "## Verify\n");
    let _ = writeln!(s, "That nothing was added, removed or changed after the run:\n");
    let _ = writeln!(
        s,
        "```sh\nfedcheck verify-bundle {name}/        # or {name}.zip; exit 0 intact, 1 altered\n```\n"
    );
    let _ = writeln!(
        s,
        "Without fedcheck (every line must say OK, and no file may exist that is not listed):\n"
    );
    let _ = writeln!(
        s,
        "```sh\ncd {name} && jq -r '.files[] | \"\\(.sha256)  \\(.path)\"' manifest.json | sha256sum -c\n```"
    );
    s
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

fn zip_bytes(
    name: &str,
    files: &BTreeMap<String, Vec<u8>>,
    time: Option<DateTime<Utc>>,
) -> Result<Vec<u8>, BundleError> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip_time(time))
        .unix_permissions(0o644);
    let err = |e: zip::result::ZipError| BundleError::Write(format!("zip: {e}"));
    for (path, data) in files {
        w.start_file(format!("{name}/{path}"), opts).map_err(err)?;
        w.write_all(data).map_err(|e| BundleError::Write(format!("zip: {e}")))?;
    }
    Ok(w.finish().map_err(err)?.into_inner())
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

/// [`write`], plus the tenant-wide evidence of `fedcheck signins` (`--signins`, `--partner-report`): `signins/` holds
/// the exports (redacted like the tokens) and `summary.json`, and the reports get their section.
pub fn write_with_signins(
    report: &Report,
    tokens: &[RawToken],
    settings: &Settings,
    opts: &BundleOptions,
    signins: Option<&crate::signins::RunOutput>,
) -> Result<Written, BundleError> {
    check_out(opts)?;
    let (mut files, note, shown) = build_files(report, tokens, settings, opts, signins)?;
    let manifest = Manifest {
        tool: ManifestTool {
            name: shown.tool.name.to_string(),
            version: shown.tool.version.to_string(),
        },
        command_line: sanitize_command_line(&opts.command_line),
        evaluated_at: shown.evaluated_at.clone(),
        verdict: verdict_word(shown.verdict).to_ascii_lowercase(),
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
    };
    let listed: Vec<(String, u64)> = manifest.files.iter().map(|f| (f.path.clone(), f.size)).collect();
    let mj = serde_json::to_string_pretty(&manifest).map_err(|e| BundleError::Write(e.to_string()))? + "\n";
    files.insert(MANIFEST.into(), mj.into_bytes());

    let name = out_name(&opts.out.to_string_lossy());
    let parent = parent_of(&opts.out);
    let tag = format!(
        "{}-{}",
        std::process::id(),
        Utc::now().timestamp_nanos_opt().unwrap_or(0)
    );
    let tmp_dir = parent.join(format!(".{name}.fedcheck-tmp-{tag}"));
    let tmp_zip = parent.join(format!(".{name}.zip.fedcheck-tmp-{tag}"));
    let cleanup = || {
        let _ = std::fs::remove_dir_all(&tmp_dir);
        let _ = std::fs::remove_file(&tmp_zip);
    };
    let result = (|| -> Result<(), BundleError> {
        let werr = |p: &Path, e: std::io::Error| BundleError::Write(format!("{}: {e}", p.display()));
        std::fs::create_dir(&tmp_dir).map_err(|e| werr(&tmp_dir, e))?;
        for (path, data) in &files {
            let p = tmp_dir.join(path);
            if let Some(d) = p.parent() {
                std::fs::create_dir_all(d).map_err(|e| werr(d, e))?;
            }
            let mut f = std::fs::File::create(&p).map_err(|e| werr(&p, e))?;
            f.write_all(data).and_then(|_| f.sync_all()).map_err(|e| werr(&p, e))?;
        }
        let z = zip_bytes(&name, &files, opts.fixed_time)?;
        let mut f = std::fs::File::create(&tmp_zip).map_err(|e| werr(&tmp_zip, e))?;
        f.write_all(&z)
            .and_then(|_| f.sync_all())
            .map_err(|e| werr(&tmp_zip, e))?;
        // Move into place: an existing empty folder is replaced by rename; with --force an existing bundle is
        // moved aside first and removed only once the new one is in place.
        let out = PathBuf::from(opts.out.to_string_lossy().trim_end_matches('/'));
        let zip = zip_path(&opts.out);
        let old = parent.join(format!(".{name}.fedcheck-old-{tag}"));
        let mut moved_old = false;
        if let Ok(m) = std::fs::symlink_metadata(&out) {
            let empty_dir = m.is_dir() && std::fs::read_dir(&out).map(|mut d| d.next().is_none()).unwrap_or(false);
            if empty_dir {
                std::fs::remove_dir(&out).map_err(|e| werr(&out, e))?;
            } else if opts.force {
                std::fs::rename(&out, &old).map_err(|e| werr(&out, e))?;
                moved_old = true;
            } else {
                return Err(BundleError::Input(format!(
                    "--out {}: appeared while the bundle was built",
                    out.display()
                )));
            }
        }
        if let Err(e) = std::fs::rename(&tmp_dir, &out) {
            if moved_old {
                let _ = std::fs::rename(&old, &out);
            }
            return Err(werr(&out, e));
        }
        if let Err(e) = std::fs::rename(&tmp_zip, &zip) {
            let _ = std::fs::remove_dir_all(&out);
            if moved_old {
                let _ = std::fs::rename(&old, &out);
            }
            return Err(werr(&zip, e));
        }
        if moved_old {
            let _ = if old.is_dir() {
                std::fs::remove_dir_all(&old)
            } else {
                std::fs::remove_file(&old)
            };
        }
        Ok(())
    })();
    if let Err(e) = result {
        cleanup();
        return Err(e);
    }
    Ok(Written {
        dir: PathBuf::from(opts.out.to_string_lossy().trim_end_matches('/')),
        zip: zip_path(&opts.out),
        files: listed,
        redaction: note,
    })
}

// ---------------------------------------------------------------------------------------------------------------
// Verification

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

fn safe_manifest_path(p: &str) -> bool {
    !p.is_empty()
        && !p.starts_with('/')
        && !p.contains('\\')
        && !p.contains('\0')
        && p.split('/').all(|c| !c.is_empty() && c != "." && c != "..")
}

/// Reads a bundle folder or zip into path -> bytes (folders walked without following links; a link or special
/// file is read as its target path, which never matches a hash).
fn read_bundle(path: &Path) -> Result<BTreeMap<String, Vec<u8>>, BundleError> {
    let unusable = |m: String| BundleError::Unusable(m);
    let meta = std::fs::metadata(path).map_err(|e| unusable(format!("{}: {e}", path.display())))?;
    let mut files = BTreeMap::new();
    if meta.is_dir() {
        for entry in walkdir::WalkDir::new(path).follow_links(false).sort_by_file_name() {
            let entry = entry.map_err(|e| unusable(format!("{}: {e}", path.display())))?;
            if entry.file_type().is_dir() {
                continue;
            }
            let rel = entry
                .path()
                .strip_prefix(path)
                .map_err(|e| unusable(e.to_string()))?
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            let data = if entry.file_type().is_file() {
                std::fs::read(entry.path()).map_err(|e| unusable(format!("{}: {e}", entry.path().display())))?
            } else {
                format!("<not a regular file: {}>", entry.path().display()).into_bytes()
            };
            files.insert(rel, data);
        }
        return Ok(files);
    }
    let f = std::fs::File::open(path).map_err(|e| unusable(format!("{}: {e}", path.display())))?;
    let mut z = zip::ZipArchive::new(f).map_err(|e| {
        unusable(format!(
            "{}: not a folder, and not a readable zip ({e})",
            path.display()
        ))
    })?;
    let mut entries = BTreeMap::new();
    for i in 0..z.len() {
        let mut e = z
            .by_index(i)
            .map_err(|e| unusable(format!("{}: entry {i}: {e}", path.display())))?;
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
            return Err(unusable(format!("{}: the zip holds {name} twice", path.display())));
        }
    }
    // Entries live under one top folder (`evidence/...`) when the manifest is there.
    let top = entries
        .keys()
        .find(|k| k.ends_with(&format!("/{MANIFEST}")) && k.matches('/').count() == 1)
        .map(|k| k[..k.len() - MANIFEST.len()].to_string());
    for (k, v) in entries {
        let key = match &top {
            Some(t) if k.starts_with(t.as_str()) => k[t.len()..].to_string(),
            Some(_) => format!("../{k}"),
            None => k,
        };
        files.insert(key, v);
    }
    Ok(files)
}

/// Verifies a bundle folder or zip against its manifest.json.
pub fn verify(path: &Path) -> Result<Verification, BundleError> {
    let mut files = read_bundle(path)?;
    let raw = files
        .remove(MANIFEST)
        .ok_or_else(|| BundleError::Unusable(format!("{}: no {MANIFEST}: not a fedcheck bundle", path.display())))?;
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
    let manifest: Manifest = serde_json::from_slice(&raw).map_err(|e| {
        BundleError::Unusable(format!(
            "{}: {MANIFEST} is not a fedcheck manifest ({e})",
            path.display()
        ))
    })?;
    let mut v = Verification::default();
    let mut listed = BTreeSet::new();
    for f in &manifest.files {
        if !safe_manifest_path(&f.path) || f.path == MANIFEST {
            return Err(BundleError::Unusable(format!(
                "{}: {MANIFEST} lists an unsafe path {:?}",
                path.display(),
                f.path
            )));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_secrets() {
        let args: Vec<String> = [
            "/usr/bin/fedcheck",
            "bundle",
            "x.har",
            "--redaction-key",
            "s3cret",
            "--api-token=abc",
            "--metadata",
            "https://u:p@idp.example/md?sig=XYZ&a=1",
            "--out",
            "/tmp/a/evidence/",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let s = sanitize_command_line(&args);
        assert_eq!(
            s,
            vec![
                "fedcheck",
                "bundle",
                "x.har",
                "--redaction-key",
                "REDACTED",
                "--api-token=REDACTED",
                "--metadata",
                "https://idp.example/md?sig=REDACTED&a=1",
                "--out",
                "evidence"
            ]
        );
    }
}
