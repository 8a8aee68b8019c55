//! How a run ends: the typed [`Outcome`] every subcommand returns and the one mapping from it to the process exit
//! code (0 pass, 1 fail, 2 unusable input or arguments, 3 the verification engines disagree), plus the
//! [`Failure`]s that stop a run before it judges anything, each mapped to its outcome by variant.

use super::args::FailOn;
use fedcheck::report::stream::Tally;
use fedcheck::report::{Report, Verdict};
use std::process::ExitCode;

/// What a run concluded; [`Outcome::code`] is the exit-code contract the README documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Outcome {
    /// Everything judged passes (or help/version was printed). Exit 0.
    Pass,
    /// Something judged fails (a check, a case, a listed user, an altered bundle). Exit 1.
    Fail,
    /// The input or the arguments were unusable, so nothing could be judged. Exit 2.
    Usage,
    /// The two signature engines (fedcheck, libxmlsec1) disagree about a signature. Exit 3.
    EnginesDisagree,
}

impl Outcome {
    /// The process exit code.
    pub(super) fn code(self) -> u8 {
        match self {
            Outcome::Pass => 0,
            Outcome::Fail => 1,
            Outcome::Usage => 2,
            Outcome::EnginesDisagree => 3,
        }
    }

    /// `Fail` when `failed`, else `Pass`.
    pub(super) fn fail_if(failed: bool) -> Outcome {
        if failed {
            Outcome::Fail
        } else {
            Outcome::Pass
        }
    }

    /// The outcome of a token report: its verdict, where an `error` verdict is the engines' disagreement when a
    /// signature says so, else unusable input.
    pub(super) fn of_report(rep: &Report) -> Outcome {
        match rep.verdict {
            Verdict::Pass => Outcome::Pass,
            Verdict::Fail => Outcome::Fail,
            Verdict::Error if rep.engines_disagree() => Outcome::EnginesDisagree,
            Verdict::Error => Outcome::Usage,
        }
    }

    /// The outcome of a token report under `--fail-on`: with `warn`, a passing report that has warnings fails
    /// (said on stderr). The report's verdict itself is unchanged.
    pub(super) fn of_report_under(rep: &Report, fail_on: FailOn) -> Outcome {
        let outcome = Outcome::of_report(rep);
        if outcome != Outcome::Pass || fail_on == FailOn::Fail {
            return outcome;
        }
        Outcome::failed_on_warnings(&rep.warnings())
    }

    /// The outcome of a streamed run (`--format ndjson`) from its tally, as [`Outcome::of_report_under`] gives for
    /// the whole report; the warnings beyond the first few are counted rather than named.
    pub(super) fn of_tally(tally: &Tally, fail_on: FailOn) -> Outcome {
        let outcome = match tally.verdict() {
            Verdict::Pass => Outcome::Pass,
            Verdict::Fail => Outcome::Fail,
            Verdict::Error if tally.disagreement => Outcome::EnginesDisagree,
            Verdict::Error => Outcome::Usage,
        };
        if outcome != Outcome::Pass || fail_on == FailOn::Fail || tally.warnings == 0 {
            return outcome;
        }
        let more = tally.warnings - tally.named_warnings.len();
        let tail = if more > 0 {
            format!(", and {more} more")
        } else {
            String::new()
        };
        eprintln!(
            "fedcheck: --fail-on warn: {} warning(s) ({}{tail}): exit 1",
            tally.warnings,
            tally.named_warnings.join(", ")
        );
        Outcome::Fail
    }

    /// `--fail-on warn` with the warnings found (`token N check.id`, or `case: token N check.id`): `Fail`, said on
    /// stderr, when there is any; else `Pass`.
    pub(super) fn failed_on_warnings(warned: &[String]) -> Outcome {
        if warned.is_empty() {
            return Outcome::Pass;
        }
        eprintln!(
            "fedcheck: --fail-on warn: {} warning(s) ({}): exit 1",
            warned.len(),
            warned.join(", ")
        );
        Outcome::Fail
    }
}

impl From<Outcome> for ExitCode {
    fn from(outcome: Outcome) -> ExitCode {
        ExitCode::from(outcome.code())
    }
}

/// Why a run stopped before it could judge anything.
#[derive(Debug)]
pub(super) enum Failure {
    /// clap refused the command line, or printed the help or version (which clap reports as an error too).
    CommandLine(clap::Error),
    /// An input, an option's value, the network or the output location was unusable.
    Unusable(anyhow::Error),
    /// As `Unusable`, in `bundle`: every check runs before the first write, so no bundle was written.
    BundleNotWritten(anyhow::Error),
}

impl Failure {
    /// Tells the user (one line on stderr; help and version as clap prints them) and gives the outcome.
    pub(super) fn explain(self) -> Outcome {
        match self {
            Failure::CommandLine(e) => {
                if e.use_stderr() {
                    eprintln!("{}", clap_one_line(&e));
                    Outcome::Usage
                } else {
                    let _ = e.print();
                    Outcome::Pass
                }
            }
            Failure::Unusable(e) => {
                eprintln!("{}", one_line(&e));
                Outcome::Usage
            }
            Failure::BundleNotWritten(e) => {
                eprintln!("{}", one_line(&e));
                eprintln!("fedcheck: no bundle was written");
                Outcome::Usage
            }
        }
    }
}

/// `fedcheck: error: <input>: <problem>` on one line: the error and its causes joined by ": ", a cause whose text
/// the line already holds left out (a message that quotes its source), line breaks folded into spaces.
pub(super) fn one_line(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let cause = fold(&cause.to_string());
        if cause.is_empty() || text.contains(&cause) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&cause);
    }
    format!("fedcheck: error: {text}")
}

/// A text's lines, trimmed and joined by single spaces.
fn fold(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// clap's refusal of a command line on one line: its message, tips, the usage and where help is, e.g.
/// `fedcheck: error: unexpected argument '--bogus' found (tip: ...); usage: fedcheck check [OPTIONS] <INPUT>...;
/// try 'fedcheck check --help'`.
fn clap_one_line(e: &clap::Error) -> String {
    let rendered = e.render().to_string();
    let mut message = Vec::new();
    let mut tips = Vec::new();
    let mut usage: Vec<&str> = Vec::new();
    let mut more = None;
    for line in rendered.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(tip) = line.strip_prefix("tip: ") {
            tips.push(tip);
        } else if let Some(u) = line.strip_prefix("Usage: ") {
            usage.push(u);
        } else if line.starts_with("For more information") {
            more = Some(line);
        } else if !usage.is_empty() && more.is_none() {
            usage.push(line);
        } else {
            message.push(line.strip_prefix("error: ").unwrap_or(line));
        }
    }
    let mut out = format!("fedcheck: error: {}", message.join(" "));
    if !tips.is_empty() {
        out.push_str(&format!(" (tip: {})", tips.join("; tip: ")));
    }
    if !usage.is_empty() {
        out.push_str(&format!("; usage: {}", usage.join(" | ")));
    }
    // The subcommand whose help to read: the usage's leading words (`fedcheck check`), else clap's own hint.
    let command: Vec<&str> = usage
        .first()
        .map(|u| {
            u.split_whitespace()
                .take_while(|w| !w.starts_with(['[', '<', '-']))
                .collect()
        })
        .unwrap_or_default();
    if !command.is_empty() {
        out.push_str(&format!("; try '{} --help'", command.join(" ")));
    } else if let Some(more) = more {
        out.push_str(&format!("; {}", more.trim_end_matches('.').replacen("For", "for", 1)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::args::{self, JudgeArgs};
    use clap::Parser;
    use fedcheck::rules::Status;

    #[derive(Parser)]
    struct Judge {
        #[command(flatten)]
        judge: JudgeArgs,
    }

    /// The report `fedcheck check` makes for a real token signed by the test IdP (it passes).
    fn passing_report() -> Report {
        let data = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata");
        let token = format!("{data}/saml2/mfa-sha256.xml");
        let cert = format!("{data}/keys/idp-signing.crt");
        let argv = [
            "t",
            &token,
            "--idp-cert",
            &cert,
            "--at",
            "2026-01-15T10:05:00Z",
            "--engines",
            "fedcheck",
        ];
        let j = Judge::try_parse_from(argv).expect("arguments").judge;
        let settings = args::settings(&j.trust, &j.eval).expect("settings");
        let (tokens, errors) = j.inputs.load().expect("inputs");
        let rep = j.judge(tokens, errors, &settings).expect("report");
        assert_eq!(rep.verdict, Verdict::Pass, "{}", fedcheck::report::to_json(&rep));
        rep
    }

    #[test]
    fn exit_codes_are_the_documented_ones() {
        assert_eq!(Outcome::Pass.code(), 0);
        assert_eq!(Outcome::Fail.code(), 1);
        assert_eq!(Outcome::Usage.code(), 2);
        assert_eq!(Outcome::EnginesDisagree.code(), 3);
    }

    #[test]
    fn report_verdict_decides_the_outcome() {
        let mut rep = passing_report();
        assert_eq!(Outcome::of_report(&rep), Outcome::Pass);
        rep.verdict = Verdict::Fail;
        assert_eq!(Outcome::of_report(&rep), Outcome::Fail);
        rep.verdict = Verdict::Error;
        assert_eq!(Outcome::of_report(&rep), Outcome::Usage);
    }

    #[test]
    fn an_engine_disagreement_is_exit_3_not_unusable_input() {
        let mut rep = passing_report();
        rep.verdict = Verdict::Error;
        rep.tokens[0].signature.signatures[0].disagreement =
            Some("fedcheck verified this signature but libxmlsec1 did not".into());
        assert!(rep.engines_disagree());
        assert_eq!(Outcome::of_report(&rep), Outcome::EnginesDisagree);
        assert_eq!(Outcome::of_report_under(&rep, FailOn::Warn), Outcome::EnginesDisagree);
    }

    #[test]
    fn fail_on_warn_fails_a_passing_report_with_a_warning() {
        let mut rep = passing_report();
        assert_eq!(Outcome::of_report_under(&rep, FailOn::Warn), Outcome::Pass);
        rep.tokens[0].checks[0].status = Status::Warn;
        assert_eq!(Outcome::of_report(&rep), Outcome::Pass);
        assert_eq!(Outcome::of_report_under(&rep, FailOn::Fail), Outcome::Pass);
        assert_eq!(Outcome::of_report_under(&rep, FailOn::Warn), Outcome::Fail);
        rep.verdict = Verdict::Fail;
        assert_eq!(Outcome::of_report_under(&rep, FailOn::Warn), Outcome::Fail);
    }

    #[test]
    fn unusable_input_is_exit_2_whatever_the_message() {
        for failure in [
            Failure::Unusable(anyhow::anyhow!("signature.engines-agree")),
            Failure::BundleNotWritten(anyhow::anyhow!("--out x: not empty")),
        ] {
            assert_eq!(failure.explain(), Outcome::Usage);
        }
    }
}
