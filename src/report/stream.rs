//! The streamed report (`--format ndjson`): one JSON object per line, written as soon as it and every line before
//! it are ready, so a run over any number of tokens holds only the tokens in flight and a [`Tally`].
//!
//! The lines, in input order:
//! * a token: the `tokens[]` element of the JSON contract ([`TokenReport`], which carries its `source`);
//! * an input that yielded no token: `{"input_error": {"input": ..., "message": ...}}` (an element of the JSON
//!   contract's `errors[]`);
//! * last, once: `{"summary": {...}, "verdict": ..., "tool": ..., "evaluated_at": ..., "skew_seconds": ...,
//!   "engines": [...], "trust": {...}}`, the JSON contract's top level without `tokens`, `errors` and `chain`.

use super::{InputProblem, RunHead, Summary, TokenReport, Verdict};
use crate::rules::Status;
use serde::Serialize;

/// What the end of a run needs to know of one token once its line is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenFacts {
    /// Its verdict.
    pub verdict: Verdict,
    /// The engines disagree about one of its signatures.
    pub disagreement: bool,
    /// The ids of its checks that warned.
    pub warned: Vec<&'static str>,
}

impl TokenFacts {
    /// The facts of a token report.
    pub fn of(t: &TokenReport) -> TokenFacts {
        TokenFacts {
            verdict: t.verdict,
            disagreement: t.signature.signatures.iter().any(|s| s.disagreement.is_some()),
            warned: t
                .checks
                .iter()
                .filter(|c| c.status == Status::Warn)
                .map(|c| c.id)
                .collect(),
        }
    }
}

/// How many warnings a [`Tally`] names (the others are counted).
pub const NAMED_WARNINGS: usize = 20;

/// The counts a streamed run keeps: the summary, whether any engines disagreed, and the warnings (the first
/// [`NAMED_WARNINGS`] named as `token N check.id`, as [`super::Report::warnings`] names them).
#[derive(Debug, Clone, Default)]
pub struct Tally {
    /// Counts by verdict, and the unusable inputs apart.
    pub summary: Summary,
    /// The engines disagreed about a signature.
    pub disagreement: bool,
    /// Warnings given, in all.
    pub warnings: usize,
    /// The first warnings, named.
    pub named_warnings: Vec<String>,
}

impl Tally {
    /// Counts the next token.
    pub fn token(&mut self, t: &TokenFacts) {
        self.summary.tokens += 1;
        match t.verdict {
            Verdict::Pass => self.summary.pass += 1,
            Verdict::Fail => self.summary.fail += 1,
            Verdict::Error => self.summary.error += 1,
        }
        self.disagreement |= t.disagreement;
        for id in &t.warned {
            self.warnings += 1;
            if self.named_warnings.len() < NAMED_WARNINGS {
                self.named_warnings.push(format!("token {} {id}", self.summary.tokens));
            }
        }
    }

    /// Counts an input that yielded no token.
    pub fn input_error(&mut self) {
        self.summary.unusable_inputs += 1;
    }

    /// The run's verdict, as [`super::Report::verdict`] would be: `error` when any input or token was unusable (or
    /// there was no token at all), `fail` when any token failed, else `pass`.
    pub fn verdict(&self) -> Verdict {
        self.summary.verdict()
    }
}

/// Appends a token's line to `out`.
pub fn token_line(out: &mut Vec<u8>, t: &TokenReport) {
    if serde_json::to_writer(&mut *out, t).is_err() {
        out.extend_from_slice(b"{\"verdict\":\"error\",\"error\":\"the token report could not be serialized\"}");
    }
    out.push(b'\n');
}

/// Appends an input error's line to `out`.
pub fn input_error_line(out: &mut Vec<u8>, p: &InputProblem) {
    #[derive(Serialize)]
    struct Line<'a> {
        input_error: &'a InputProblem,
    }
    let _ = serde_json::to_writer(&mut *out, &Line { input_error: p });
    out.push(b'\n');
}

/// Appends the last line, the summary, to `out`.
pub fn summary_line(out: &mut Vec<u8>, head: &RunHead, tally: &Tally) {
    #[derive(Serialize)]
    struct Line<'a> {
        summary: &'a Summary,
        verdict: Verdict,
        #[serde(flatten)]
        head: &'a RunHead,
    }
    let line = Line {
        summary: &tally.summary,
        verdict: tally.verdict(),
        head,
    };
    let _ = serde_json::to_writer(&mut *out, &line);
    out.push(b'\n');
}
