//! `fedcheck check`: judge tokens and print the report (text or JSON), optionally against a committed snapshot.

use super::args::{self, JudgeArgs, OutputFormat};
use super::environment::Environment;
use super::outcome::Outcome;
use clap::Args;
use fedcheck::report::{self, Style};
use std::io::IsTerminal as _;
use std::path::Path;

#[derive(Args, Debug)]
pub(super) struct CheckArgs {
    #[command(flatten)]
    judge: JudgeArgs,

    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: OutputFormat,

    /// Compare the verdict with a normalized snapshot in FILE (IDs, instants, signature bytes removed; personal
    /// values redacted): write it when missing (refused when CI is set), fail with a diff when it differs. The
    /// exit code is then 0 when it matches, 1 when it differs.
    #[arg(long, value_name = "FILE")]
    snapshot: Option<std::path::PathBuf>,

    /// Rewrite the --snapshot FILE with the current verdict.
    #[arg(long, requires = "snapshot")]
    update_snapshots: bool,

    /// Let --snapshot write (or --update-snapshots rewrite) a baseline whose verdict is not pass. Without it that
    /// is refused: a failing baseline would make every later run "match".
    #[arg(long, requires = "snapshot")]
    allow_failing_baseline: bool,
}

/// Runs `check`: settings first, then the inputs, the report, and the outcome (the snapshot's, when given).
pub(super) fn run(a: CheckArgs, env: &Environment) -> anyhow::Result<Outcome> {
    let settings = args::settings(&a.judge.trust, &a.judge.eval)?;
    let (tokens, errors) = a.judge.inputs.load()?;
    let rep = a.judge.judge(tokens, errors, &settings)?;
    let text = match a.format {
        OutputFormat::Json => report::to_json(&rep) + "\n",
        OutputFormat::Text => {
            let color = std::io::stdout().is_terminal() && !env.no_color;
            report::to_text(&rep, Style { color })
        }
    };
    args::write_stdout(text.as_bytes(), "report")?;
    if let Some(path) = &a.snapshot {
        return snapshot(path, &rep, a.update_snapshots, a.allow_failing_baseline, env.in_ci);
    }
    Ok(Outcome::of_report_under(&rep, a.judge.policy.fail_on))
}

/// `check --snapshot`: the outcome says whether the verdict still matches the committed snapshot.
fn snapshot(
    path: &Path,
    rep: &report::Report,
    update: bool,
    allow_failing: bool,
    in_ci: bool,
) -> anyhow::Result<Outcome> {
    use fedcheck::report::snapshot::{self as snap, Outcome as Compared};
    let rendered = snap::render(rep);
    let shown = path.display();
    if in_ci && !update && !path.exists() {
        eprintln!(
            "fedcheck: snapshot {shown} does not exist; under CI it is not created. Run the same command locally \
(it writes the file) and commit it."
        );
        return Ok(Outcome::Fail);
    }
    let writes = update || !path.exists();
    if writes && rep.verdict != report::Verdict::Pass && !allow_failing {
        eprintln!(
            "fedcheck: snapshot {shown} not written: the verdict is {}, and a failing baseline would make every \
later run \"match\". Fix what fails (the report above says what), or pass --allow-failing-baseline to record it \
on purpose.",
            rep.verdict.as_str()
        );
        return Ok(Outcome::Fail);
    }
    match snap::compare(path, &rendered, update)? {
        Compared::Created => eprintln!("fedcheck: snapshot {shown} written; commit it"),
        Compared::Matches => eprintln!("fedcheck: snapshot {shown} matches"),
        Compared::Updated => eprintln!("fedcheck: snapshot {shown} updated"),
        Compared::Differs(d) => {
            eprintln!("fedcheck: the verdict differs from snapshot {shown} (- snapshot, + now):\n{d}");
            eprintln!("If the change is intended, rerun with --update-snapshots and commit the file.");
            return Ok(Outcome::Fail);
        }
    }
    Ok(Outcome::Pass)
}
