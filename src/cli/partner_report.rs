//! `fedcheck partner-report`: Partner Center's MFA report (users who reached Partner Center without MFA),
//! optionally joined with sign-in logs.

use super::environment::Environment;
use super::outcome::Outcome;
use super::signins::SigninsReportArgs;
use clap::Args;
use fedcheck::signins::RunOptions;

/// `fedcheck partner-report`.
#[derive(Args, Debug)]
pub(super) struct PartnerReportArgs {
    /// The report: the API's nonMfaCompliantPartnerPrincipals JSON, or the portal's download (CSV).
    #[arg(value_name = "FILE")]
    file: String,

    /// Sign-in log exports to join with (any shape `fedcheck signins` reads).
    #[arg(long, value_name = "FILE", num_args = 1..)]
    signins: Vec<String>,

    #[command(flatten)]
    report: SigninsReportArgs,
}

/// Runs `partner-report`: 1 when the report lists any user.
pub(super) fn run(a: PartnerReportArgs, env: &Environment) -> anyhow::Result<Outcome> {
    let opts = RunOptions {
        filters: a.report.filters()?,
        partner_reports: vec![a.file.clone()],
        ..RunOptions::default()
    };
    let out = a.report.read(&a.signins, &opts, env)?;
    let listed = out.report.partner_report.as_ref().map_or(0, |p| p.listed);
    a.report.print(&out.report)?;
    Ok(Outcome::fail_if(listed > 0))
}
