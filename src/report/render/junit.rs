//! The report as JUnit XML (`junit.xml`) for CI: one test suite per token, one test case per check (`fail` is a
//! failure; `warn` and `info` pass with their message in `system-out`); an unusable token or input is one test
//! case with an error. Every value is XML-escaped.

use super::token_verdict_reason;
use crate::report::escape::xml;
use crate::report::{source_line, InputProblem, Report, TokenReport, Verdict};
use crate::rules::{Check, Status};
use std::fmt::Write as _;

/// Test cases, failures and errors of a suite.
#[derive(Default)]
struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
}

impl Counts {
    fn add(&mut self, other: &Counts) {
        self.tests += other.tests;
        self.failures += other.failures;
        self.errors += other.errors;
    }
}

/// Renders JUnit XML: one test suite per token, one test case per check (`fail` is a failure; `warn` and `info`
/// pass with their message in `system-out`); an unusable token or input is one test case with an error.
pub fn junit(r: &Report) -> String {
    let mut suites = String::new();
    let mut total = Counts::default();
    for (i, tk) in r.tokens.iter().enumerate() {
        total.add(&token_suite(&mut suites, i + 1, tk, &r.evaluated_at));
    }
    if !r.errors.is_empty() {
        total.add(&inputs_suite(&mut suites, &r.errors));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"fedcheck\" tests=\"{}\" failures=\"{}\" errors=\"{}\">\n{suites}</testsuites>\n",
        total.tests, total.failures, total.errors
    )
}

/// Token `n`'s suite: the analysis error, one case per check, and the engines' disagreement.
fn token_suite(suites: &mut String, n: usize, tk: &TokenReport, evaluated_at: &str) -> Counts {
    let name = format!("token {n}: {}", source_line(&tk.source));
    let class = format!("fedcheck.token{n}");
    let mut cases = String::new();
    let mut count = Counts::default();
    if let Some(err) = &tk.error {
        count.tests += 1;
        count.errors += 1;
        error_case(&mut cases, &class, "token.analyze", err, "token");
    }
    for c in &tk.checks {
        count.tests += 1;
        if c.status == Status::Fail {
            count.failures += 1;
        }
        check_case(&mut cases, &class, c);
    }
    if tk.error.is_none() && tk.verdict == Verdict::Error {
        count.tests += 1;
        count.errors += 1;
        error_case(&mut cases, &class, "verdict", &token_verdict_reason(tk), "engines");
    }
    let _ = write!(
        suites,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"0\" timestamp=\"{}\">\n{cases}  </testsuite>\n",
        xml(&name),
        count.tests,
        count.failures,
        count.errors,
        xml(evaluated_at.trim_end_matches('Z'))
    );
    count
}

/// One check as a test case: a failure with its fix, a pass with its message (`warn` with its fix), or a bare pass.
fn check_case(cases: &mut String, class: &str, c: &Check) {
    let _ = write!(
        cases,
        "    <testcase classname=\"{}\" name=\"{}\"",
        xml(class),
        xml(c.id)
    );
    match c.status {
        Status::Fail => {
            let body = match &c.fix {
                Some(fix) => format!("{}&#10;fix: {}", xml(&c.message), xml(fix)),
                None => xml(&c.message),
            };
            let _ = writeln!(
                cases,
                ">\n      <failure message=\"{}\" type=\"fail\">{body}</failure>\n    </testcase>",
                xml(&c.message)
            );
        }
        Status::Warn | Status::Info => {
            let mut body = format!("{}: {}", c.status.as_str().to_ascii_uppercase(), xml(&c.message));
            if let (Status::Warn, Some(fix)) = (c.status, &c.fix) {
                let _ = write!(body, "&#10;fix: {}", xml(fix));
            }
            let _ = writeln!(cases, ">\n      <system-out>{body}</system-out>\n    </testcase>");
        }
        Status::Pass => {
            let _ = writeln!(cases, "/>");
        }
    }
}

/// A test case with an error of type `kind` (the token or input could not be judged).
fn error_case(cases: &mut String, class: &str, name: &str, message: &str, kind: &str) {
    let _ = writeln!(
        cases,
        "    <testcase classname=\"{}\" name=\"{}\">\n      <error message=\"{}\" type=\"{kind}\"/>\n    </testcase>",
        xml(class),
        xml(name),
        xml(message)
    );
}

/// The unusable inputs' suite: one error case each.
fn inputs_suite(suites: &mut String, errors: &[InputProblem]) -> Counts {
    let mut cases = String::new();
    for p in errors {
        error_case(&mut cases, "fedcheck.inputs", &p.input, &p.message, "input");
    }
    let n = errors.len();
    let _ = write!(
        suites,
        "  <testsuite name=\"inputs\" tests=\"{n}\" failures=\"0\" errors=\"{n}\" skipped=\"0\">\n{cases}  </testsuite>\n"
    );
    Counts {
        tests: n,
        failures: 0,
        errors: n,
    }
}
