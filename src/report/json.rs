//! The JSON contract (`--format json`, and `report.json` in evidence bundles): the [`Report`] serialized as it is,
//! field names and enum words being the stable interface scripts rely on.

use super::redact::RedactionNote;
use super::Report;
use serde::Serialize;

/// Renders the JSON contract.
pub fn to_json(report: &Report) -> String {
    serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"verdict\":\"error\",\"error\":\"{e}\"}}"))
}

/// The JSON contract plus a `redaction` member saying what was redacted, as an evidence bundle's `report.json`.
pub fn with_redaction(report: &Report, redaction: &RedactionNote) -> Result<String, serde_json::Error> {
    #[derive(Serialize)]
    struct ReportWithRedaction<'a> {
        #[serde(flatten)]
        report: &'a Report,
        redaction: &'a RedactionNote,
    }
    serde_json::to_string_pretty(&ReportWithRedaction { report, redaction })
}
