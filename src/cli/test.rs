//! `fedcheck test`: run a test plan (a TOML file of cases with their expected verdicts) and print a summary,
//! optionally as JUnit XML too.

use super::args::{self, FailOn, PolicyArgs};
use super::outcome::Outcome;
use anyhow::Context as _;
use clap::Args;
use fedcheck::harness::plan;

#[derive(Args, Debug)]
pub(super) struct TestArgs {
    /// The plan (TOML).
    #[arg(value_name = "PLAN")]
    plan: String,

    /// Also write the results as JUnit XML to FILE, for CI systems.
    #[arg(long, value_name = "FILE")]
    junit: Option<std::path::PathBuf>,

    /// Judge Recipient and Destination as addressed to this local stand-in's ACS URL (what `fedcheck serve`
    /// printed), reported as info, as serve reports them; overrides the plan's `[settings] stand_in`.
    #[arg(long, value_name = "URL")]
    stand_in: Option<String>,

    /// The realm the stand-in sent (serve's --realm); overrides `[settings] stand_in_realm`. Needs a stand-in URL
    /// from --stand-in or the plan's `[settings] stand_in`.
    #[arg(long, value_name = "URI")]
    stand_in_realm: Option<String>,

    #[command(flatten)]
    policy: PolicyArgs,
}

/// Runs `test`: 1 when a case is not as expected, or, under `--fail-on warn`, when a token warned.
pub(super) fn run(a: TestArgs) -> anyhow::Result<Outcome> {
    let lp = plan::load(&a.plan)?;
    let mut settings = lp.settings()?;
    // Each flag overrides its own plan setting: --stand-in keeps the plan's realm, --stand-in-realm the plan's URL.
    if a.stand_in.is_some() || a.stand_in_realm.is_some() {
        let plan = settings.stand_in.take();
        let url = a.stand_in.clone().or_else(|| plan.as_ref().map(|s| s.acs.clone()));
        let realm = a
            .stand_in_realm
            .clone()
            .or_else(|| plan.as_ref().map(|s| s.realm.clone()));
        if url.is_none() {
            return Err(anyhow::anyhow!(
                "--stand-in-realm needs a stand-in URL: --stand-in URL, or stand_in in the plan's [settings]"
            ));
        }
        settings.stand_in = args::stand_in(url.as_deref(), realm.as_deref())?;
    }
    let result = plan::run(&lp, &settings);
    if let Some(path) = &a.junit {
        std::fs::write(path, result.junit()).with_context(|| format!("--junit {}", path.display()))?;
    }
    args::write_stdout(result.text().as_bytes(), "summary")?;
    if result.unexpected() > 0 {
        return Ok(Outcome::Fail);
    }
    Ok(match a.policy.fail_on {
        FailOn::Warn => Outcome::failed_on_warnings(&result.warnings()),
        FailOn::Fail => Outcome::Pass,
    })
}
