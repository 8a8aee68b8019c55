//! Every file of a bundle, built in memory before anything is written: the redaction this bundle applies, the
//! reports (on the redacted report), the token copies, the sign-in logs, the trust anchors and metadata, the
//! configuration exports and attachments, then request.md and README.md, which describe the rest.

use super::command_line::{sanitize_command_line, sanitize_url, shell_line};
use super::{product, readme, request, BundleError, BundleOptions, MANIFEST};
use crate::input::RawToken;
use crate::report::redact::{placeholder, RedactionNote, Redactor};
use crate::report::render::{self, CardFacts, RenderOptions};
use crate::report::{json, protocol_slug, Report, Settings};
use crate::signins::aggregate::SigninsReport;
use crate::signins::redact::{InputRedactor, Plan};
use crate::trust::TrustAnchor;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

pub(super) use crate::report::sha256_hex;

/// A bundle's files in memory: path inside the bundle -> bytes, sorted by path.
pub(super) type Files = BTreeMap<String, Vec<u8>>;

/// A bundle keeps copies of sign-in exports up to this size in all.
const MAX_SIGNIN_BYTES: u64 = 256 * 1024 * 1024;

/// What a file of the bundle is, by the folder it was put in (the fixed top-level files are not classified).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// `config/trust-anchors/`: a trusted certificate.
    TrustAnchor,
    /// `config/metadata/source.json`: where the metadata came from.
    MetadataSource,
    /// `config/metadata/`: the metadata as read or fetched.
    Metadata,
    /// `config/entra/`: the domain's federation settings.
    EntraSettings,
    /// `config/idp/`: an IdP configuration export.
    IdpConfig,
    /// `tokens/`: a token as received.
    Token,
    /// `attachments/`: a document given with `--attach`.
    Attachment,
    /// `signins/summary.json`: the sign-in logs per user.
    SigninsSummary,
    /// `signins/`: a sign-in log export or Partner Center's report.
    SigninsExport,
}

/// What a file of the bundle is, in the words of the two texts that list them.
pub(super) struct Description {
    /// In request.md's list of attached documents (none: not listed).
    pub request: Option<&'static str>,
    /// In README.md's table of contents.
    pub readme: &'static str,
}

impl Kind {
    /// How request.md and README.md describe a file of this kind; `redacted` when personal values were redacted.
    pub(super) fn describe(self, redacted: bool) -> Description {
        let (request, readme) = match self {
            Kind::TrustAnchor => (
                Some("trusted IdP signing certificate"),
                "a trust anchor used: PEM certificate with its thumbprints and validity in the header",
            ),
            Kind::MetadataSource => (
                None,
                "where the metadata came from (file or URL, fetch time) and its SHA-256",
            ),
            Kind::Metadata => (
                Some("IdP metadata as fetched"),
                "the IdP metadata, untouched, as read or fetched",
            ),
            Kind::EntraSettings => (
                Some("Entra domain federation settings"),
                "the Entra domain federation settings (--federation-config), untouched",
            ),
            Kind::IdpConfig => (
                Some("IdP MFA configuration export"),
                "an IdP configuration export (--attach-config), untouched",
            ),
            Kind::Token if redacted => (
                Some("token as received (personal values redacted)"),
                "a token as received (decoded XML), personal values redacted",
            ),
            Kind::Token => (Some("token as received"), "a token as received (decoded XML)"),
            Kind::Attachment => (Some("attachment"), "an attachment (--attach), untouched"),
            Kind::SigninsSummary => (
                Some("per-user summary of the Entra sign-in logs (how each user satisfied MFA)"),
                "the sign-in logs per user: the `fedcheck signins --format json` contract",
            ),
            Kind::SigninsExport if redacted => (
                Some("Entra sign-in log export or Partner Center MFA report (personal values redacted)"),
                "a sign-in log export or Partner Center MFA report (--signins, --partner-report), personal values \
                 redacted",
            ),
            Kind::SigninsExport => (
                Some("Entra sign-in log export or Partner Center MFA report"),
                "a sign-in log export or Partner Center MFA report (--signins, --partner-report), as given",
            ),
        };
        Description { request, readme }
    }
}

/// The kind of the file at `path`, if it is not one of the fixed top-level files.
pub(super) fn kind(path: &str) -> Option<Kind> {
    let kinds = [
        ("config/trust-anchors/", Kind::TrustAnchor),
        ("config/metadata/", Kind::Metadata),
        ("config/entra/", Kind::EntraSettings),
        ("config/idp/", Kind::IdpConfig),
        ("tokens/", Kind::Token),
        ("attachments/", Kind::Attachment),
        ("signins/", Kind::SigninsExport),
    ];
    match path {
        "config/metadata/source.json" => Some(Kind::MetadataSource),
        "signins/summary.json" => Some(Kind::SigninsSummary),
        _ => kinds.iter().find(|(dir, _)| path.starts_with(dir)).map(|(_, k)| *k),
    }
}

/// A bundle built in memory, before its manifest: every file (sorted by path, redaction applied), what the
/// redaction did, the report as shown (redacted) and the command line as the manifest records it (secrets
/// removed, personal values replaced).
pub(super) struct Built {
    pub files: Files,
    pub note: RedactionNote,
    pub shown: Report,
    pub command_line: Vec<String>,
}

/// Builds every file of the bundle in memory, without the manifest.
pub(super) fn build(
    report: &Report,
    tokens: &[RawToken],
    settings: &Settings,
    opts: &BundleOptions,
    signins: Option<&crate::signins::RunOutput>,
) -> Result<Built, BundleError> {
    let redaction = Redaction::new(report, tokens, opts, signins)?;
    let shown = match &redaction.redactor {
        Some(r) => r.report(report),
        None => report.clone(),
    };
    let command_line: Vec<String> = sanitize_command_line(&opts.command_line)
        .iter()
        .map(|arg| match &redaction.redactor {
            Some(r) => r.sweep(arg),
            None => arg.clone(),
        })
        .collect();
    let command_text = shell_line(&command_line);
    let shown_signins = signins.map(|out| match &redaction.signin_plan {
        Some(p) => crate::signins::redact::report(&out.report, p),
        None => out.report.clone(),
    });
    let mut files = Files::new();
    let fed = add_configs(&mut files, opts)?;
    // The tenant domain and the IdP product, for the evidence card and request.md alike.
    let card = CardFacts {
        tenant_domain: request::tenant_domain(opts, &fed, report),
        idp_product: product::identify(opts.idp_product.as_deref(), settings.metadata.as_ref(), report),
    };
    add_reports(
        &mut files,
        &shown,
        &redaction.note,
        &command_text,
        &shown_signins,
        &card,
    )?;
    add_tokens(&mut files, tokens, report, redaction.redactor.as_ref())?;
    if let (Some(out), Some(shown_signins)) = (signins, &shown_signins) {
        add_signins(&mut files, out, shown_signins, redaction.signin_plan.as_ref())?;
    }
    add_trust(&mut files, settings, opts);
    // request.md and README.md describe the other files, so they come last.
    let draft = request::Request {
        shown: &shown,
        settings,
        card: &card,
        fed: &fed,
        note: &redaction.note,
        signins: shown_signins.as_ref(),
    };
    let request = draft.text(&files);
    files.insert("request.md".into(), request.into_bytes());
    let readme = readme::text(&shown, opts, &files, &redaction.note, &command_text);
    files.insert("README.md".into(), readme.into_bytes());
    if let Some(r) = &redaction.redactor {
        sweep(&mut files, r)?;
    }
    Ok(Built {
        files,
        note: redaction.note,
        shown,
        command_line,
    })
}

/// The last line of defence: every personal value is replaced in every form in every file fedcheck wrote (a file
/// name or a command line holding a UPN, a value in an attachment-free text), and a value that still survives fails
/// the bundle before anything is written. `config/` keeps what the user attached untouched (`--attach-config`,
/// `--attach`), as the bundle README says.
fn sweep(files: &mut Files, r: &Redactor) -> Result<(), BundleError> {
    // What the user attached, and the configuration exports, are copied untouched (the README says so).
    let untouched = |path: &str| {
        ["attachments/", "config/idp/", "config/entra/"]
            .iter()
            .any(|p| path.starts_with(p))
    };
    let mut swept = Files::new();
    for (path, bytes) in std::mem::take(files) {
        let path = r.sweep(&path);
        let bytes = match std::str::from_utf8(&bytes) {
            Ok(text) if !untouched(&path) => {
                let text = r.sweep(text);
                if let Some(v) = r.survivor(&text) {
                    return Err(BundleError::RedactionLeak {
                        file: path,
                        length: v.chars().count(),
                    });
                }
                text.into_bytes()
            }
            _ => bytes,
        };
        swept.insert(path, bytes);
    }
    *files = swept;
    Ok(())
}

/// How this bundle redacts: the redactor for claims and tokens, the plan for the sign-in logs (the same key, so
/// one value gets one placeholder across both), and what the reports say about it.
struct Redaction {
    redactor: Option<Redactor>,
    signin_plan: Option<Plan>,
    note: RedactionNote,
}

impl Redaction {
    fn new(
        report: &Report,
        tokens: &[RawToken],
        opts: &BundleOptions,
        signins: Option<&crate::signins::RunOutput>,
    ) -> Result<Redaction, BundleError> {
        if !opts.redaction.enabled {
            return Ok(Redaction {
                redactor: None,
                signin_plan: None,
                note: RedactionNote {
                    enabled: false,
                    fields: vec![],
                    values: 0,
                    method: "none (--no-redact)".into(),
                    key: "none".into(),
                },
            });
        }
        let (key, key_source) = match &opts.redaction.key {
            Some(k) => (
                k.clone(),
                "given with --redaction-key (placeholders are reproducible with the same key)",
            ),
            None => {
                let mut k = vec![0u8; 32];
                openssl::rand::rand_bytes(&mut k).map_err(BundleError::RandomKey)?;
                (
                    k,
                    "random, generated for this run and not stored (placeholders cannot be reversed)",
                )
            }
        };
        let documents: Vec<&[u8]> = tokens.iter().map(|t| t.xml.as_slice()).collect();
        let redactor = Redactor::with_documents(report, &documents, &key, &opts.redaction.attributes);
        let signin_plan = signins.map(|out| {
            crate::signins::redact::plan(&out.personal, redactor.pairs(), &|kind, v| placeholder(&key, kind, v))
        });
        let note = RedactionNote {
            enabled: true,
            fields: redactor
                .fields()
                .into_iter()
                .chain(signin_plan.iter().flat_map(|p| p.fields.iter().cloned()))
                .collect(),
            values: redactor.len() + signin_plan.as_ref().map_or(0, |p| p.pairs.len() - redactor.len()),
            method: format!(
                "redacted:KIND:HEX, HEX = first 12 hex digits of HMAC-SHA256(key, KIND || 0x00 || value); KIND is nameid, immutableid, upn, email or attr{}",
                if signin_plan.is_some() { " (and name, userid, ip in sign-in logs)" } else { "" }
            ),
            key: key_source.to_string(),
        };
        Ok(Redaction {
            redactor: Some(redactor),
            signin_plan,
            note,
        })
    }
}

/// report.md, report.html, report.json (with the redaction note) and junit.xml, from the report as shown.
fn add_reports(
    files: &mut Files,
    shown: &Report,
    note: &RedactionNote,
    command_text: &str,
    shown_signins: &Option<SigninsReport>,
    card: &CardFacts,
) -> Result<(), BundleError> {
    let ropts = RenderOptions {
        redaction: Some(note.clone()),
        command: Some(command_text.to_string()),
        signins: shown_signins.clone(),
        card: Some(card.clone()),
    };
    files.insert("report.md".into(), render::markdown(shown, &ropts).into_bytes());
    files.insert("report.html".into(), render::html(shown, &ropts).into_bytes());
    let json = json::with_redaction(shown, note).map_err(BundleError::Json)?;
    files.insert("report.json".into(), (json + "\n").into_bytes());
    files.insert("junit.xml".into(), render::junit(shown).into_bytes());
    Ok(())
}

/// tokens/: each token as received (decoded XML), redacted unless redaction is off.
fn add_tokens(
    files: &mut Files,
    tokens: &[RawToken],
    report: &Report,
    redactor: Option<&Redactor>,
) -> Result<(), BundleError> {
    for (i, (raw, tk)) in tokens.iter().zip(&report.tokens).enumerate() {
        let name = format!("tokens/{:02}-{}.xml", i + 1, protocol_slug(tk.protocol));
        let bytes = match redactor {
            Some(r) => match std::str::from_utf8(&raw.xml) {
                Ok(s) => r.token_copy(s).into_bytes(),
                Err(_) => {
                    return Err(BundleError::TokenNotUtf8 {
                        index: i + 1,
                        input: raw.source.input.clone(),
                    })
                }
            },
            None => raw.xml.clone(),
        };
        files.insert(name, bytes);
    }
    Ok(())
}

/// signins/: the sign-in log exports and Partner Center's report (redacted with the same placeholders), and the
/// per-user summary.
fn add_signins(
    files: &mut Files,
    out: &crate::signins::RunOutput,
    shown: &SigninsReport,
    plan: Option<&Plan>,
) -> Result<(), BundleError> {
    let inputs: Vec<&String> = out.signin_files.iter().chain(out.partner_file.iter()).collect();
    let total: u64 = inputs
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    if total > MAX_SIGNIN_BYTES {
        return Err(BundleError::SigninsTooLarge {
            total_mib: total >> 20,
            max_mib: MAX_SIGNIN_BYTES >> 20,
        });
    }
    let matcher = match plan {
        Some(p) => Some(InputRedactor::new(&p.pairs).map_err(BundleError::SigninsRedaction)?),
        None => None,
    };
    for f in inputs {
        let bytes = read("--signins", Path::new(f))?;
        let bytes = match &matcher {
            Some(m) => m.apply(&bytes),
            None => bytes,
        };
        let path = unique(files, "signins", &safe_name(Path::new(f)));
        files.insert(path, bytes);
    }
    let json = serde_json::to_string_pretty(shown).map_err(BundleError::Json)?;
    let path = unique(files, "signins", "summary.json");
    files.insert(path, (json + "\n").into_bytes());
    Ok(())
}

/// config/trust-anchors/ (PEM with a header) and config/metadata/ (as read or fetched, and where it came from).
fn add_trust(files: &mut Files, settings: &Settings, opts: &BundleOptions) {
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
    let Some(m) = &settings.metadata else { return };
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

/// config/entra/ (`--federation-config`), config/idp/ (`--attach-config`) and attachments/ (`--attach`), each
/// untouched; returns what request.md says of the federation settings.
fn add_configs(files: &mut Files, opts: &BundleOptions) -> Result<request::FedFacts, BundleError> {
    let mut fed = request::FedFacts::default();
    if let Some(p) = &opts.federation_config {
        let bytes = read_within("--federation-config", p, crate::entra::MAX_FEDERATION_CONFIG_BYTES)?;
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(strip_bom(&bytes)) {
            fed = request::FedFacts::of(&v);
        }
        let path = unique(files, "config/entra", &safe_name(p));
        files.insert(path, bytes);
    }
    for p in &opts.attach_config {
        let bytes = read("--attach-config", p)?;
        let path = unique(files, "config/idp", &safe_name(p));
        files.insert(path, bytes);
    }
    for p in &opts.attach {
        let bytes = read("--attach", p)?;
        let path = unique(files, "attachments", &safe_name(p));
        files.insert(path, bytes);
    }
    Ok(fed)
}

/// Reads a file given with `flag`, within the size `verify-bundle` accepts for one file (so an endless file such as
/// `/dev/zero`, or one that grew since it was checked, is refused rather than read whole).
pub(super) fn read(flag: &'static str, p: &Path) -> Result<Vec<u8>, BundleError> {
    let max = super::Limits::default().max_entry_bytes;
    read_within(flag, p, max).map_err(|e| match e {
        BundleError::FileTooLarge { .. } => BundleError::TooLarge(super::OverLimit::EntrySize {
            entry: format!("{flag} {}", p.display()),
            max,
        }),
        other => other,
    })
}

/// Reads a file given with `flag`, of at most `max` bytes.
pub(super) fn read_within(flag: &'static str, p: &Path, max: u64) -> Result<Vec<u8>, BundleError> {
    use crate::http::{read_file_within, CappedReadError};
    read_file_within(p, max).map_err(|e| match e {
        CappedReadError::TooLarge { limit } => BundleError::FileTooLarge {
            flag,
            path: p.to_path_buf(),
            limit,
        },
        CappedReadError::Io(error) => BundleError::Unreadable {
            flag,
            path: p.to_path_buf(),
            error,
        },
    })
}

/// The bytes without a UTF-8 byte order mark.
pub(super) fn strip_bom(b: &[u8]) -> &[u8] {
    b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b)
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

/// `dir/name`, or `dir/stem-N.ext` with the first free N from 2 when that is taken.
fn unique(files: &Files, dir: &str, name: &str) -> String {
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

/// A trust anchor as PEM, after a header of `#` lines naming it (origin, subject, thumbprints, validity, key).
fn cert_pem(anchor: &TrustAnchor) -> Vec<u8> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn redactor() -> Redactor {
        Redactor::from_pairs(
            vec![("jürgen@contoso.test".into(), "redacted:upn:1".into())],
            Default::default(),
        )
    }

    #[test]
    fn the_sweep_replaces_every_form_in_paths_and_text_but_not_attachments() {
        let mut files = Files::new();
        files.insert("inputs/jürgen@contoso.test.xml".into(), b"x".to_vec());
        files.insert(
            "report.md".into(),
            "user J\u{fc}rgen@Contoso.test, url ?u=j%C3%BCrgen%40contoso.test"
                .as_bytes()
                .to_vec(),
        );
        files.insert("attachments/po.txt".into(), "jürgen@contoso.test".as_bytes().to_vec());
        sweep(&mut files, &redactor()).expect("swept");
        let paths: Vec<&str> = files.keys().map(String::as_str).collect();
        assert_eq!(paths, ["attachments/po.txt", "inputs/redacted:upn:1.xml", "report.md"]);
        assert_eq!(files["report.md"], b"user redacted:upn:1, url ?u=redacted:upn:1");
        assert_eq!(files["attachments/po.txt"], "jürgen@contoso.test".as_bytes());
    }

    #[test]
    fn a_value_the_sweep_cannot_replace_fails_the_bundle() {
        // Upper-case non-ASCII letters are not folded by the matcher; the final check (lower-cased) still sees the
        // value, and nothing is written.
        let mut files = Files::new();
        files.insert("report.md".into(), "JÜRGEN@CONTOSO.TEST".as_bytes().to_vec());
        match sweep(&mut files, &redactor()) {
            Err(BundleError::RedactionLeak { file, length }) => {
                assert_eq!(file, "report.md");
                assert_eq!(length, "jürgen@contoso.test".chars().count());
            }
            other => panic!("expected a leak, got {other:?}"),
        }
    }
}
