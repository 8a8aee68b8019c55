//! The verdict on a token, a run or an evidence chain: `pass`, `fail` or `error`. It sits with the checks it is
//! derived from, so every later stage (the Entra chain, the report, bundles) reads one type.

use serde::Serialize;

/// The overall or per-token verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Signed by a trusted key, MFA satisfied, every requirement met.
    Pass,
    /// A requirement is not met.
    Fail,
    /// The input could not be judged (unusable input, or the verification engines disagree).
    Error,
}

impl Verdict {
    /// The word used in the JSON contract (`pass`, `fail`, `error`).
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Error => "error",
        }
    }
}
