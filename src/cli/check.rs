//! `fedcheck check`: judge tokens and print the report (text, JSON, or NDJSON streamed as tokens are judged),
//! optionally against a committed snapshot. Tokens are judged on `--jobs` threads; the output is in input order
//! whatever the number of jobs.

use super::args::{self, JudgeArgs};
use super::environment::Environment;
use super::outcome::Outcome;
use anyhow::anyhow;
use clap::{Args, ValueEnum};
use fedcheck::input::{InputFormat, InputLimits, Item};
use fedcheck::report::pool::{self, Sink};
use fedcheck::report::stream::{self as ndjson, Tally, TokenFacts};
use fedcheck::report::{self, InputProblem, Judge, RunHead, Style, TokenReport, Verdict};
use std::io::{IsTerminal as _, Write as _};
use std::ops::ControlFlow;
use std::path::Path;

#[derive(Args, Debug)]
pub(super) struct CheckArgs {
    #[command(flatten)]
    judge: JudgeArgs,

    /// Output format: text, json (one document at the end), or ndjson (one line per token as soon as it and the
    /// ones before it are judged, then a summary line).
    #[arg(long, value_enum, default_value = "text")]
    format: CheckFormat,

    /// Threads judging tokens (default: the number of cores); 1 judges them one after another. The output is in
    /// input order whatever the number.
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,

    /// No progress bar (it shows on a terminal, for runs longer than a second).
    #[arg(long, short)]
    quiet: bool,

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

/// `check --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum CheckFormat {
    /// The terminal report.
    Text,
    /// The JSON contract, one document.
    Json,
    /// One JSON object per line: each token as it is judged, then the summary.
    Ndjson,
}

/// Runs `check`: settings first, then the inputs, the report, and the outcome (the snapshot's, when given).
pub(super) fn run(a: CheckArgs, env: &Environment) -> anyhow::Result<Outcome> {
    if a.format == CheckFormat::Ndjson {
        if a.snapshot.is_some() {
            return Err(anyhow!(
                "--snapshot compares a whole report: use --format json or text with it"
            ));
        }
        if a.judge.has_chain() {
            return Err(anyhow!(
                "--entra-token links the whole report's tokens: use --format json or text with it"
            ));
        }
    }
    let settings = args::settings(&a.judge.trust, &a.judge.eval)?;
    let (inputs, format, limits) = a.judge.inputs.stream()?;
    let judge = Judge::new(&settings);
    let jobs = a.jobs.map_or_else(cores, usize::from);
    // NDJSON lines on a terminal show the progress themselves (and a bar would be drawn over them).
    let streaming_to_terminal = a.format == CheckFormat::Ndjson && std::io::stdout().is_terminal();
    let progress = Progress::new(a.quiet || streaming_to_terminal, env);
    let helpers = pool::Helpers::new(jobs - 1);
    let work = |item: Item| judge_item(&judge, item, format, &limits, &helpers);
    if a.format == CheckFormat::Ndjson {
        let mut sink = NdjsonSink::new(progress);
        pool::ordered(inputs, jobs, |item| to_lines(work(item)), &mut sink);
        let tally = sink.finish(&RunHead::of(&settings))?;
        return Ok(Outcome::of_tally(&tally, a.judge.policy.fail_on));
    }
    let mut sink = Collect {
        tokens: Vec::new(),
        errors: Vec::new(),
        progress,
    };
    pool::ordered(inputs, jobs, work, &mut sink);
    sink.progress.done();
    let mut rep = report::assemble(sink.tokens, sink.errors, &settings);
    a.judge.attach_chain(&mut rep, &settings)?;
    match a.format {
        CheckFormat::Text => {
            let color = std::io::stdout().is_terminal() && !env.no_color;
            args::write_stdout(report::to_text(&rep, Style { color }).as_bytes(), "report")?;
        }
        _ => write_json(&rep)?,
    }
    if let Some(path) = &a.snapshot {
        return snapshot(path, &rep, a.update_snapshots, a.allow_failing_baseline, env.in_ci);
    }
    Ok(Outcome::of_report_under(&rep, a.judge.policy.fail_on))
}

/// The number of cores this process may use.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// What one input yields: its tokens' reports, or why it has none.
enum Judged {
    Tokens(Vec<TokenReport>),
    Problem(InputProblem),
}

/// From this many tokens in one input (a HAR or SAML-tracer export with many SAML posts), the thread that read it
/// borrows idle threads to judge them; fewer are judged where they were read.
const SPLIT_TOKENS: usize = 16;

/// Reads, decodes and judges one input. Inputs are read and decoded on every thread; an input with many tokens is
/// also judged on as many threads as are free (its reports in token order), so one big capture does not leave the
/// other cores idle.
fn judge_item(judge: &Judge, item: Item, format: InputFormat, limits: &InputLimits, helpers: &pool::Helpers) -> Judged {
    let tokens = match item.load(format, limits).result {
        Ok(tokens) => tokens,
        Err(e) => return Judged::Problem(InputProblem::from(e)),
    };
    let borrowed = if tokens.len() >= SPLIT_TOKENS {
        helpers.borrow(tokens.len() - 1)
    } else {
        0
    };
    if borrowed == 0 {
        return Judged::Tokens(tokens.into_iter().map(|t| judge.token(t)).collect());
    }
    let mut reports = Vec::with_capacity(tokens.len());
    pool::ordered(tokens.into_iter(), borrowed + 1, |t| judge.token(t), &mut reports);
    helpers.give_back(borrowed);
    Judged::Tokens(reports)
}

/// The whole report's parts, in input order (`--format text|json`).
struct Collect {
    tokens: Vec<TokenReport>,
    errors: Vec<InputProblem>,
    progress: Progress,
}

impl Sink<Judged> for Collect {
    fn put(&mut self, judged: Judged) -> ControlFlow<()> {
        match judged {
            Judged::Tokens(t) => {
                for r in &t {
                    self.progress.token(r.verdict);
                }
                self.tokens.extend(t);
            }
            Judged::Problem(p) => {
                self.progress.token(Verdict::Error);
                self.errors.push(p);
            }
        }
        ControlFlow::Continue(())
    }
}

/// Writes the JSON contract to stdout as it is serialized (no copy of the whole document in memory).
fn write_json(rep: &report::Report) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    let written = serde_json::to_writer_pretty(&mut out, rep)
        .map_err(std::io::Error::from)
        .and_then(|_| out.write_all(b"\n"))
        .and_then(|_| out.flush());
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(anyhow!("cannot write the report: {e}")),
        _ => Ok(()),
    }
}

/// One input's NDJSON lines, serialized on the worker, and what the tally needs of them.
struct Lines {
    bytes: Vec<u8>,
    facts: Vec<Option<TokenFacts>>,
}

fn to_lines(judged: Judged) -> Lines {
    match judged {
        Judged::Tokens(tokens) => {
            let mut bytes = Vec::with_capacity(tokens.len() * 8 * 1024);
            let mut facts = Vec::with_capacity(tokens.len());
            for t in &tokens {
                ndjson::token_line(&mut bytes, t);
                facts.push(Some(TokenFacts::of(t)));
            }
            Lines { bytes, facts }
        }
        Judged::Problem(p) => {
            let mut bytes = Vec::new();
            ndjson::input_error_line(&mut bytes, &p);
            Lines {
                bytes,
                facts: vec![None],
            }
        }
    }
}

/// Writes NDJSON lines to stdout in order, flushing whenever no further line is ready, and keeps the tally.
struct NdjsonSink {
    out: std::io::BufWriter<std::io::Stdout>,
    tally: Tally,
    failed: Option<std::io::Error>,
    progress: Progress,
}

impl NdjsonSink {
    fn new(progress: Progress) -> Self {
        NdjsonSink {
            out: std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout()),
            tally: Tally::default(),
            failed: None,
            progress,
        }
    }

    /// Writes the summary line; the tally decides the exit code. A reader that went away (`| head`) is not an
    /// error; the exit code then covers the lines written.
    fn finish(mut self, head: &RunHead) -> anyhow::Result<Tally> {
        self.progress.done();
        if self.failed.is_none() {
            let mut line = Vec::new();
            ndjson::summary_line(&mut line, head, &self.tally);
            if let Err(e) = self.out.write_all(&line).and_then(|_| self.out.flush()) {
                self.failed = Some(e);
            }
        }
        match self.failed {
            Some(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(anyhow!("cannot write the report: {e}")),
            _ => Ok(self.tally),
        }
    }
}

impl Sink<Lines> for NdjsonSink {
    fn put(&mut self, lines: Lines) -> ControlFlow<()> {
        if let Err(e) = self.out.write_all(&lines.bytes) {
            self.failed = Some(e);
            return ControlFlow::Break(());
        }
        for f in &lines.facts {
            match f {
                Some(f) => {
                    self.tally.token(f);
                    self.progress.token(f.verdict);
                }
                None => {
                    self.tally.input_error();
                    self.progress.token(Verdict::Error);
                }
            }
        }
        ControlFlow::Continue(())
    }

    fn idle(&mut self) {
        if self.failed.is_none() {
            if let Err(e) = self.out.flush() {
                self.failed = Some(e);
            }
        }
    }
}

/// A progress bar on stderr: tokens judged, the rate, failures so far. Drawn only when stderr is a terminal, not
/// with --quiet, and once the run has lasted a second (`FEDCHECK_PROGRESS_DELAY_MS` changes the delay, for tests).
struct Progress {
    bar: indicatif::ProgressBar,
    start: std::time::Instant,
    delay: std::time::Duration,
    enabled: bool,
    shown: bool,
    failed: u64,
}

impl Progress {
    fn new(quiet: bool, env: &Environment) -> Progress {
        let bar = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::hidden());
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{spinner} {human_pos} tokens checked, {msg} [{elapsed}]")
        {
            bar.set_style(style);
        }
        Progress {
            bar,
            start: std::time::Instant::now(),
            delay: env.progress_delay,
            enabled: !quiet && std::io::stderr().is_terminal(),
            shown: false,
            failed: 0,
        }
    }

    /// One more token judged (or input refused: `error`).
    fn token(&mut self, verdict: Verdict) {
        if !self.enabled {
            return;
        }
        if verdict != Verdict::Pass {
            self.failed += 1;
        }
        self.bar.inc(1);
        let elapsed = self.start.elapsed();
        if !self.shown && elapsed >= self.delay {
            self.shown = true;
            self.bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
        if self.shown {
            let rate = self.bar.position() as f64 / elapsed.as_secs_f64().max(1e-3);
            self.bar
                .set_message(format!("{rate:.0}/s, {} not passing", self.failed));
        }
    }

    fn done(&self) {
        self.bar.finish_and_clear();
    }
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
