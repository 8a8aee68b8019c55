//! The reports `lint-config` writes: a [`Finding`] per check (a [`Check`] plus the setting read, its value and
//! where it is documented), the [`ConfigReport`] of every kind but claim rules on their own (whose report,
//! [`RulesReport`], keeps its historical shape), their verdict, and both as JSON or terminal text.

use super::adfs_rules::RulesReport;
use super::{Encoding, Kind};
use crate::rules::{Check, Status};
use serde::Serialize;
use std::fmt::Write as _;

/// One finding: a [`Check`] (id, status, message, fix) plus the setting it read and where that is documented.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The check.
    #[serde(flatten)]
    pub check: Check,
    /// The setting read, as a path into the input (e.g. `attributes["saml.assertion.signature"]`).
    pub setting: Option<String>,
    /// The value found, as written; `null` when the setting is absent.
    pub value: Option<String>,
    /// Where the product (and Microsoft) document the setting and the behaviour the finding states.
    pub docs: Vec<&'static str>,
}

impl Finding {
    /// A finding without fix, setting, value or docs.
    pub fn new(id: &'static str, status: Status, message: impl Into<String>) -> Finding {
        Finding {
            check: Check {
                id,
                status,
                message: message.into(),
                fix: None,
            },
            setting: None,
            value: None,
            docs: Vec::new(),
        }
    }

    /// Sets the fix.
    pub fn fix(mut self, fix: impl Into<String>) -> Finding {
        self.check.fix = Some(fix.into());
        self
    }

    /// Sets the setting read.
    pub fn setting(mut self, setting: impl Into<String>) -> Finding {
        self.setting = Some(setting.into());
        self
    }

    /// Sets the value found.
    pub fn value(mut self, value: impl Into<String>) -> Finding {
        self.value = Some(value.into());
        self
    }

    /// Sets the value found, when there is one.
    pub fn value_opt(mut self, value: Option<impl Into<String>>) -> Finding {
        self.value = value.map(Into::into);
        self
    }

    /// Adds documentation links.
    pub fn docs(mut self, docs: &[&'static str]) -> Finding {
        self.docs.extend_from_slice(docs);
        self
    }
}

/// One file a report read (or looked for).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputFile {
    /// The path as shown.
    pub path: String,
    /// What it is (e.g. `relying-party.xml`, `realm export`).
    pub role: String,
    /// `read`, or `missing` when a directory did not have it.
    pub status: &'static str,
}

/// The report of every kind but claim rules (the JSON contract: `{verdict, kind, file, checks, ...}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigReport {
    /// `fail` when a check failed, else `pass` (warnings allowed).
    pub verdict: &'static str,
    /// `adfs-rp`, `keycloak`, `shibboleth` or `okta`.
    pub kind: &'static str,
    /// The input as given.
    pub file: String,
    /// How a file was encoded (`null` for a directory).
    pub encoding: Option<Encoding>,
    /// What was linted, e.g. `relying party trust "Microsoft Office 365 Identity Platform"`.
    pub subject: String,
    /// The files read.
    pub inputs: Vec<InputFile>,
    /// The findings, in a stable order.
    pub checks: Vec<Finding>,
}

impl ConfigReport {
    /// Builds the report and its verdict.
    pub fn new(
        kind: Kind,
        file: &str,
        encoding: Option<Encoding>,
        subject: String,
        inputs: Vec<InputFile>,
        checks: Vec<Finding>,
    ) -> ConfigReport {
        let failed = checks.iter().any(|c| c.check.status == Status::Fail);
        ConfigReport {
            verdict: if failed { "fail" } else { "pass" },
            kind: kind.report_name(),
            file: file.to_string(),
            encoding,
            subject,
            inputs,
            checks,
        }
    }
}

/// What `lint-config` produced.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// AD FS claim rules on their own (the historical report).
    Rules(RulesReport),
    /// Any other kind.
    Config(ConfigReport),
}

impl Outcome {
    /// True when a check failed (exit 1).
    pub fn failed(&self) -> bool {
        match self {
            Outcome::Rules(r) => r.failed(),
            Outcome::Config(r) => r.verdict == "fail",
        }
    }

    /// The report as pretty JSON.
    pub fn to_json(&self) -> String {
        match self {
            Outcome::Rules(r) => to_json(r),
            Outcome::Config(r) => to_json(r),
        }
    }

    /// The report as terminal text.
    pub fn to_text(&self) -> String {
        match self {
            Outcome::Rules(r) => r.to_text(),
            Outcome::Config(r) => config_text(r),
        }
    }
}

/// A report as pretty JSON.
pub(super) fn to_json(r: &impl Serialize) -> String {
    serde_json::to_string_pretty(r).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

/// How terminal text names a file's encoding (nothing for UTF-8).
pub(super) fn encoding_note(encoding: Option<Encoding>) -> &'static str {
    match encoding {
        Some(Encoding::Utf16le) => ", UTF-16LE",
        Some(Encoding::Utf16be) => ", UTF-16BE",
        _ => "",
    }
}

/// A check's first line: status, id, message.
pub(super) fn write_check_line(s: &mut String, c: &Check) {
    let _ = writeln!(s, "{:<5} {}  {}", c.status.as_str().to_uppercase(), c.id, c.message);
}

/// Lines under a check, the first behind `label` (`fix: `, `see: `), the others aligned with it.
pub(super) fn write_labelled<'a>(s: &mut String, label: &str, lines: impl Iterator<Item = &'a str>) {
    for (i, l) in lines.enumerate() {
        let _ = writeln!(s, "      {}{l}", if i == 0 { label } else { "     " });
    }
}

/// The last line of a report.
pub(super) fn write_verdict(s: &mut String, verdict: &str) {
    let _ = writeln!(s, "\nVerdict: {}", verdict.to_uppercase());
}

fn config_text(r: &ConfigReport) -> String {
    let mut s = String::new();
    let kind = [Kind::AdfsRp, Kind::Keycloak, Kind::Shibboleth, Kind::Okta]
        .into_iter()
        .find(|k| k.report_name() == r.kind)
        .map(Kind::describe)
        .unwrap_or(r.kind);
    let _ = writeln!(s, "{}: {kind}{}: {}", r.file, encoding_note(r.encoding), r.subject);
    for f in &r.inputs {
        let _ = writeln!(s, "  {:<8} {} ({})", f.status, f.path, f.role);
    }
    let _ = writeln!(s);
    for f in &r.checks {
        write_check_line(&mut s, &f.check);
        if let Some(setting) = &f.setting {
            match &f.value {
                Some(v) => {
                    let _ = writeln!(s, "      setting: {setting} = {}", one_line(v, 160));
                }
                None => {
                    let _ = writeln!(s, "      setting: {setting}");
                }
            }
        }
        if let Some(fix) = &f.check.fix {
            write_labelled(&mut s, "fix: ", fix.lines());
        }
        write_labelled(&mut s, "see: ", f.docs.iter().copied());
    }
    write_verdict(&mut s, r.verdict);
    s
}

/// The value on one line, shortened for the terminal.
fn one_line(v: &str, max: usize) -> String {
    let flat: String = v.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > max {
        flat.chars().take(max).collect::<String>() + "..."
    } else {
        flat
    }
}
