//! Tenant-wide MFA evidence: Entra sign-in logs and Partner Center's MFA report, read in the shapes users export,
//! one sign-in at a time, and judged per user.
//!
//! The flow: [`read::read_file`] detects a file's shape ([`Shape`]: Graph REST pages or bare arrays or NDJSON, Graph
//! PowerShell `ConvertTo-Json`, the Entra admin center's JSON and CSV downloads, Log Analytics `SigninLogs` CSV or
//! JSON) and streams its records through the readers ([`jsonstream`], [`csvstream`]) into one [`SignIn`] model
//! ([`record`] for JSON objects, [`columns`] for CSV rows); [`classify`] decides exactly one [`Class`] per sign-in by
//! the rule below; [`aggregate`] counts per lower-cased user principal name across every file, applies the filters and
//! joins Partner Center's report ([`partner`]); [`redact`] rewrites the inputs for evidence bundles. No file is held in
//! memory: a record is bounded by [`Limits::max_record_bytes`], the state by the number of users.
//!
//! The rule (Microsoft: "Don't rely only on the authenticationRequirement field as it doesn't take into account
//! previously satisfied MFA claims"; `authenticationRequirement` never decides):
//! - `failed`: the error code is not 0 (Graph `status.errorCode`, Log Analytics `ResultType`, the portal CSV's
//!   `Sign-in error code`), or the portal status is Failure / Interrupted;
//! - otherwise the result strings of the succeeded `authenticationDetails` steps and `status.additionalDetails` (the
//!   portal CSV's `Multifactor authentication result`): `mfa_claim` for "MFA requirement satisfied by claim provided by
//!   external provider", else `mfa_entra` for Entra's own MFA strings, else `single_factor`.

pub mod aggregate;
pub mod columns;
pub mod csvstream;
pub mod jsonstream;
pub mod partner;
pub mod read;
pub mod record;
pub mod redact;
pub mod time;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// The federated IdP's claim, as Entra words it in `authenticationStepResultDetail` / `additionalDetails`.
pub const MFA_CLAIM_RESULTS: [&str; 1] = ["MFA requirement satisfied by claim provided by external provider"];

/// MFA satisfied by Entra itself (now, or earlier in the session: "claim in the token").
pub const MFA_ENTRA_RESULTS: [&str; 4] = [
    "MFA successfully completed",
    "MFA completed in Azure AD",
    "MFA requirement satisfied by claim in the token",
    "MFA requirement satisfied by strong authentication",
];

/// `tokenIssuerType` values that name a federation service (Graph `tokenIssuerType`; there is none for Okta or Ping).
pub const FEDERATED_TOKEN_ISSUER_TYPES: [&str; 2] = ["ADFederationServices", "ADFederationServicesMFAAdapter"];

/// `incomingTokenType` values that are a federated IdP's SAML token (Graph `incomingTokenType`).
pub const FEDERATED_INCOMING_TOKEN_TYPES: [&str; 2] = ["saml11", "saml20"];

/// How one sign-in satisfied MFA: exactly one per sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// The error code is not 0, or the sign-in was interrupted.
    Failed,
    /// Satisfied by the federated IdP's MFA claim.
    MfaClaim,
    /// Satisfied by Entra's own MFA (now or earlier in the session).
    MfaEntra,
    /// Succeeded without any MFA result.
    SingleFactor,
}

impl Class {
    /// The name used in JSON and text output.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Failed => "failed",
            Class::MfaClaim => "mfa_claim",
            Class::MfaEntra => "mfa_entra",
            Class::SingleFactor => "single_factor",
        }
    }
}

/// One sign-in, whatever shape it was read from. Only what the rule, the filters and the report need.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SignIn {
    /// `userPrincipalName` as written in the input (`Username` in the portal CSV).
    pub user: Option<String>,
    /// `createdDateTime` (Log Analytics: `CreatedDateTime`, else `TimeGenerated`; portal CSV: `Date (UTC)`).
    pub time: Option<DateTime<Utc>>,
    /// The raw time text, when it could not be parsed.
    pub time_text: Option<String>,
    /// `appDisplayName`.
    pub app_name: Option<String>,
    /// `appId`.
    pub app_id: Option<String>,
    /// `status.errorCode` / `ResultType` / `Sign-in error code`; `None` when the input has none.
    pub error_code: Option<i64>,
    /// The portal CSV's `Status` (Success, Failure, Interrupted).
    pub status_text: Option<String>,
    /// Result strings of succeeded `authenticationDetails` steps, then `status.additionalDetails`.
    pub results: Vec<String>,
    /// `tokenIssuerType`.
    pub token_issuer_type: Option<String>,
    /// `incomingTokenType`.
    pub incoming_token_type: Option<String>,
    /// Personal values seen in the record (kind, value), collected only for bundle redaction.
    pub personal: Vec<(&'static str, String)>,
}

fn eq_trim(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b)
}

/// Whether a result string is the federated IdP's MFA claim.
pub fn is_claim_result(s: &str) -> bool {
    MFA_CLAIM_RESULTS.iter().any(|r| eq_trim(s, r))
}

/// Whether a result string is Entra's own MFA.
pub fn is_entra_result(s: &str) -> bool {
    MFA_ENTRA_RESULTS.iter().any(|r| eq_trim(s, r))
}

/// A result string that mentions MFA but is in neither list: counted as `single_factor` by the rule, and reported
/// so that a reviewer sees it (e.g. "MFA requirement satisfied by multi-factor device", which Microsoft does not list
/// among the satisfied strings fedcheck relies on).
pub fn is_unlisted_mfa_result(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    !is_claim_result(s) && !is_entra_result(s) && l.contains("mfa") && !l.contains("skipped") && !l.contains("denied")
}

/// The rule of issue 15: exactly one class per sign-in; `authenticationRequirement` never decides.
pub fn classify(s: &SignIn) -> Class {
    let status_failed = s
        .status_text
        .as_deref()
        .is_some_and(|t| eq_trim(t, "failure") || eq_trim(t, "interrupted") || eq_trim(t, "failed"));
    if s.error_code.is_some_and(|c| c != 0) || status_failed {
        return Class::Failed;
    }
    if s.results.iter().any(|r| is_claim_result(r)) {
        Class::MfaClaim
    } else if s.results.iter().any(|r| is_entra_result(r)) {
        Class::MfaEntra
    } else {
        Class::SingleFactor
    }
}

impl SignIn {
    /// Whether the token came from a federated IdP: `tokenIssuerType` names a federation service, `incomingTokenType`
    /// is a SAML token, or a step was satisfied by the external provider's claim.
    pub fn is_federated(&self) -> bool {
        self.token_issuer_type
            .as_deref()
            .is_some_and(|t| FEDERATED_TOKEN_ISSUER_TYPES.iter().any(|f| eq_trim(t, f)))
            || self
                .incoming_token_type
                .as_deref()
                .is_some_and(|t| FEDERATED_INCOMING_TOKEN_TYPES.iter().any(|f| eq_trim(t, f)))
            || self.results.iter().any(|r| is_claim_result(r))
    }
}

/// The shapes of input fedcheck reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Shape {
    /// Microsoft Graph `GET /auditLogs/signIns` (v1.0 or beta) page(s): `{"value":[...]}`.
    GraphPage,
    /// A bare JSON array of Graph `signIn` objects (also the Entra admin center's "Download JSON").
    GraphArray,
    /// One Graph `signIn` object per line.
    Ndjson,
    /// `Get-MgAuditLogSignIn | ConvertTo-Json -Depth 10` (PascalCase).
    GraphPowershell,
    /// The Entra admin center's "Download CSV" of sign-ins (its own column headers).
    PortalCsv,
    /// Log Analytics / Sentinel `SigninLogs` exported as CSV.
    LogAnalyticsCsv,
    /// Log Analytics `SigninLogs` as JSON (`az monitor log-analytics query`): PascalCase, dynamic columns as strings.
    LogAnalyticsJson,
    /// Partner Center's MFA report (API `nonMfaCompliantPartnerPrincipals` JSON, or the portal download).
    PartnerReport,
}

impl Shape {
    /// A short description for the reports.
    pub fn describe(self) -> &'static str {
        match self {
            Shape::GraphPage => "Microsoft Graph auditLogs/signIns page",
            Shape::GraphArray => "JSON array of Graph signIn objects (Graph, or the admin center's JSON download)",
            Shape::Ndjson => "NDJSON of Graph signIn objects",
            Shape::GraphPowershell => "Graph PowerShell Get-MgAuditLogSignIn | ConvertTo-Json",
            Shape::PortalCsv => "Entra admin center sign-ins download (CSV)",
            Shape::LogAnalyticsCsv => "Log Analytics SigninLogs export (CSV)",
            Shape::LogAnalyticsJson => "Log Analytics SigninLogs export (JSON)",
            Shape::PartnerReport => "Partner Center MFA report",
        }
    }
}

/// Limits on untrusted input.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest single record (JSON object or CSV row), in bytes.
    pub max_record_bytes: usize,
    /// Largest number of distinct users kept.
    pub max_users: usize,
    /// Largest number of distinct personal values collected for redaction.
    pub max_personal_values: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_record_bytes: 4 * 1024 * 1024,
            max_users: 1_000_000,
            max_personal_values: 2_000_000,
        }
    }
}

/// Why an input cannot be used. Every variant names the file; the CLI exits 2.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SigninsError {
    /// The file cannot be opened or read.
    #[error("{file}: cannot read: {source}")]
    Io {
        /// The input.
        file: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The JSON ends before its last value is complete.
    #[error("{file}: truncated JSON: the file ends inside {inside} (byte {offset}); export it again")]
    Truncated {
        /// The input.
        file: String,
        /// What was open when the file ended.
        inside: &'static str,
        /// Bytes read.
        offset: u64,
    },
    /// The JSON is not well-formed.
    #[error("{file}: not valid JSON at byte {offset}: {message}")]
    Json {
        /// The input.
        file: String,
        /// Byte offset of the problem.
        offset: u64,
        /// What is wrong.
        message: String,
    },
    /// The CSV is not well-formed.
    #[error("{file}: not valid CSV at row {row}: {message}")]
    Csv {
        /// The input.
        file: String,
        /// 1-based row (the header is row 1).
        row: u64,
        /// What is wrong.
        message: String,
    },
    /// A CSV whose header row is none of the known sign-in or Partner Center shapes.
    #[error("{file}: unknown CSV header set ({headers}); expected the Entra admin center's sign-ins download (Date (UTC), Username, Sign-in error code, Multifactor authentication result, ...) or a Log Analytics SigninLogs export (UserPrincipalName, ResultType, AuthenticationDetails, Status, ...){hint}")]
    UnknownCsv {
        /// The input.
        file: String,
        /// The first headers, comma-separated.
        headers: String,
        /// A hint for near misses.
        hint: String,
    },
    /// A known CSV shape without a column the rule needs.
    #[error("{file}: {shape} without the column {column}: {why}")]
    MissingColumn {
        /// The input.
        file: String,
        /// The shape recognised.
        shape: &'static str,
        /// The column.
        column: &'static str,
        /// Why it is needed.
        why: &'static str,
    },
    /// A Graph PowerShell export made at ConvertTo-Json's default depth.
    #[error("{file}: record {record} was exported by ConvertTo-Json at its default depth (2): {field} holds type names ({example}) instead of the sign-in's steps; export it again with: Get-MgAuditLogSignIn ... | ConvertTo-Json -Depth 10")]
    ShallowPowershell {
        /// The input.
        file: String,
        /// 1-based record number.
        record: u64,
        /// The field that holds type names.
        field: &'static str,
        /// One of them.
        example: String,
    },
    /// A record without a field the rule needs.
    #[error("{file}: record {record} has no {field}; {why}")]
    MissingField {
        /// The input.
        file: String,
        /// 1-based record number.
        record: u64,
        /// The field.
        field: &'static str,
        /// Why it matters.
        why: &'static str,
    },
    /// A record larger than the limit.
    #[error("{file}: record {record} is larger than {limit} bytes; this is not a sign-in log")]
    RecordTooLarge {
        /// The input.
        file: String,
        /// 1-based record number.
        record: u64,
        /// The limit.
        limit: usize,
    },
    /// Input that is none of the shapes.
    #[error("{file}: {why}")]
    NotSignins {
        /// The input.
        file: String,
        /// What was found instead.
        why: String,
    },
    /// More distinct users or personal values than the limits allow.
    #[error("{file}: {what}")]
    TooMany {
        /// The input.
        file: String,
        /// What overflowed.
        what: String,
    },
}

/// Everything [`run`] needs besides the file names.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// `--input-format` (None: detect).
    pub forced: Option<Shape>,
    /// The filters.
    pub filters: aggregate::Filters,
    /// Limits.
    pub limits: Limits,
    /// Collect personal values for redaction (bundles).
    pub collect_personal: bool,
    /// Files given as Partner Center's report (`--partner-report`).
    pub partner_reports: Vec<String>,
}

/// What [`run`] produced.
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// The report.
    pub report: aggregate::SigninsReport,
    /// Personal values seen (kind, value), when collected.
    pub personal: std::collections::BTreeSet<(&'static str, String)>,
    /// The sign-in log files read, in order.
    pub signin_files: Vec<String>,
    /// The Partner Center report read, if any.
    pub partner_file: Option<String>,
}

fn open(file: &str) -> Result<std::io::BufReader<std::fs::File>, SigninsError> {
    let f = std::fs::File::open(file).map_err(|e| SigninsError::Io {
        file: file.into(),
        source: e,
    })?;
    match f.metadata() {
        Ok(m) if m.is_dir() => Err(SigninsError::NotSignins {
            file: file.into(),
            why: "is a folder; give the export files".into(),
        }),
        _ => Ok(std::io::BufReader::with_capacity(64 * 1024, f)),
    }
}

/// Reads every input (Partner Center's report first, then the sign-in logs, each streamed), and aggregates.
/// `tick` is called with the number of bytes read, for a progress bar.
pub fn run(files: &[String], opts: &RunOptions, tick: &dyn Fn(u64)) -> Result<RunOutput, SigninsError> {
    use std::io::BufRead as _;
    let mut partner_files: Vec<String> = opts.partner_reports.clone();
    let mut signin_files: Vec<String> = Vec::new();
    for f in files {
        if partner_files.contains(f) {
            continue;
        }
        let is_partner = match opts.forced {
            Some(Shape::PartnerReport) => true,
            Some(_) => false,
            None => {
                let mut r = open(f)?;
                let head = r.fill_buf().map_err(|e| SigninsError::Io {
                    file: f.clone(),
                    source: e,
                })?;
                read::sniff(head).partner
            }
        };
        if is_partner {
            partner_files.push(f.clone());
        } else {
            signin_files.push(f.clone());
        }
    }
    if partner_files.len() > 1 {
        return Err(SigninsError::NotSignins {
            file: partner_files[1].clone(),
            why: format!(
                "a second Partner Center MFA report (the first is {}); give one",
                partner_files[0]
            ),
        });
    }
    let partner = match partner_files.first() {
        Some(p) => Some(partner::read(p, read::Counting::new(open(p)?, tick), &opts.limits)?),
        None => None,
    };
    let mut personal = std::collections::BTreeSet::new();
    if opts.collect_personal {
        for u in partner.iter().flat_map(|p| &p.users) {
            personal.insert(("upn", u.user.clone()));
            if let Some(o) = &u.object_id {
                personal.insert(("userid", o.clone()));
            }
        }
    }
    let mut agg = aggregate::Aggregator::new(opts.filters.clone(), opts.limits, partner);
    for f in &signin_files {
        let mut n: u64 = 0;
        let input = read::Counting::new(open(f)?, tick);
        let forced = opts.forced.filter(|s| *s != Shape::PartnerReport);
        let summary = read::read_signins(f, input, forced, &opts.limits, opts.collect_personal, &mut |s| {
            n += 1;
            agg.add(f, n, &s)?;
            for (k, v) in s.personal {
                if personal.len() >= opts.limits.max_personal_values {
                    return Err(SigninsError::TooMany {
                        file: f.clone(),
                        what: format!(
                            "more than {} personal values to redact",
                            opts.limits.max_personal_values
                        ),
                    });
                }
                personal.insert((k, v));
            }
            Ok(())
        })?;
        agg.input_done(summary);
    }
    let report = agg.finish();
    if !signin_files.is_empty() && report.signins == 0 {
        return Err(SigninsError::NotSignins {
            file: signin_files.join(", "),
            why: "no sign-in record in the inputs (an empty export proves nothing; check the period and the filter \
                  used to export)"
                .into(),
        });
    }
    Ok(RunOutput {
        report,
        personal,
        signin_files,
        partner_file: partner_files.first().cloned(),
    })
}
