//! `lint-config` for AD FS claim rules on their own (the text of `(Get-AdfsRelyingPartyTrust -Name "Microsoft
//! Office 365 Identity Platform").IssuanceTransformRules`): decoded, parsed and linted by [`crate::adfs`], reported
//! in the report's historical shape ([`RulesReport`]: the rules understood, those not understood, the findings).

use super::report::{encoding_note, write_check_line, write_labelled, write_verdict};
use super::{decode_named, Encoding, LintError};
use crate::adfs::{self, LintCheck, Unparsed};
use crate::rules::Status;
use serde::Serialize;
use std::fmt::Write as _;

/// What `lint-config` reads as claim rules.
const SUPPORTED: &str =
    "supported: adfs (AD FS issuance transform rules, the text of (Get-AdfsRelyingPartyTrust -Name \
\"Microsoft Office 365 Identity Platform\").IssuanceTransformRules)";

/// One rule in the report.
#[derive(Debug, Clone, Serialize)]
pub struct RuleRow {
    /// `@RuleName`.
    pub name: Option<String>,
    /// Line.
    pub line: usize,
    /// What it does.
    pub summary: String,
}

/// The report of claim rules on their own (the JSON contract).
#[derive(Debug, Clone, Serialize)]
pub struct RulesReport {
    /// `pass` or `fail`.
    pub verdict: &'static str,
    /// `adfs`.
    pub kind: &'static str,
    /// The file as given.
    pub file: String,
    /// How it was encoded.
    pub encoding: Encoding,
    /// Rules understood.
    pub rules: Vec<RuleRow>,
    /// Rules not understood.
    pub unparsed: Vec<Unparsed>,
    /// Findings.
    pub checks: Vec<RuleFinding>,
}

/// One finding about the rules, with where Microsoft documents what it states.
#[derive(Debug, Clone, Serialize)]
pub struct RuleFinding {
    /// The check, its rule and line.
    #[serde(flatten)]
    pub lint: LintCheck,
    /// Where the rules and the behaviour the finding states are documented.
    pub docs: Vec<&'static str>,
}

impl RulesReport {
    /// True when a check failed.
    pub fn failed(&self) -> bool {
        self.verdict == "fail"
    }

    /// The report as terminal text.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{}: AD FS claim rules{}: {} rule(s) understood, {} not understood",
            self.file,
            encoding_note(Some(self.encoding)),
            self.rules.len(),
            self.unparsed.len()
        );
        for row in &self.rules {
            let _ = writeln!(
                s,
                "  line {:>4}  {}{}",
                row.line,
                row.name.as_deref().map(|n| format!("\"{n}\": ")).unwrap_or_default(),
                row.summary
            );
        }
        let _ = writeln!(s);
        for c in &self.checks {
            write_check_line(&mut s, &c.lint.check);
            if let Some(fix) = &c.lint.check.fix {
                write_labelled(&mut s, "fix: ", fix.lines());
            }
        }
        write_verdict(&mut s, self.verdict);
        s
    }
}

/// Decodes, parses and lints a rule file's bytes. A file with no rule fedcheck understands is refused (exit 2).
pub fn run(file: &str, bytes: &[u8]) -> Result<RulesReport, LintError> {
    let (text, encoding) = decode_named(file, bytes)?;
    let unrecognized = |reason: String| LintError::Unrecognized {
        file: file.to_string(),
        reason,
    };
    if adfs::is_blank(&text) {
        return Err(unrecognized("empty (no rules, only whitespace or comments)".into()));
    }
    let set = adfs::parse(&text);
    if set.rules.is_empty() {
        let first = set
            .unparsed
            .first()
            .map(|u| format!(" (line {}: {})", u.line, u.reason))
            .unwrap_or_default();
        return Err(unrecognized(format!("not an AD FS claim rule set{first}; {SUPPORTED}")));
    }
    let checks: Vec<RuleFinding> = adfs::lint(&set)
        .into_iter()
        .map(|lint| RuleFinding {
            docs: super::docs::adfs_rules(lint.check.id).to_vec(),
            lint,
        })
        .collect();
    let verdict = if checks.iter().any(|c| c.lint.check.status == Status::Fail) {
        "fail"
    } else {
        "pass"
    };
    Ok(RulesReport {
        verdict,
        kind: "adfs",
        file: file.to_string(),
        encoding,
        rules: set
            .rules
            .iter()
            .map(|r| RuleRow {
                name: r.name.clone(),
                line: r.line,
                summary: adfs::summary(r),
            })
            .collect(),
        unparsed: set.unparsed,
        checks,
    })
}
