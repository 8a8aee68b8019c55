//! The process environment the command line depends on, read once at start-up and passed to the subcommands:
//! the library is not to read environment variables or argv, so a value it needs from them is resolved here.

use std::time::Duration;

/// The environment variables and argv the subcommands use.
#[derive(Debug, Clone)]
pub(super) struct Environment {
    /// `NO_COLOR` is set to a non-empty value: no colour in text output even on a terminal.
    pub(super) no_color: bool,
    /// `CI` is set (to anything but empty, `0` or `false`): `check --snapshot` never creates a missing snapshot.
    pub(super) in_ci: bool,
    /// `FEDCHECK_PROGRESS_DELAY_MS` (default one second): how long a sign-in read runs before its progress bar
    /// shows (tests set 0).
    pub(super) progress_delay: Duration,
    /// The command line as typed, recorded in evidence bundles (an argument that is not UTF-8, possible in a
    /// path, is recorded lossily rather than aborting the run).
    pub(super) argv: Vec<String>,
    /// `FEDCHECK_GRAPH_TOKEN`: the Graph bearer token for `fetch-config` when no --token-file is given.
    pub(super) graph_token: Option<String>,
    /// `FEDCHECK_RETRY_BASE_MS`: the first retry delay of discover and fetch-config (tests set it low).
    pub(super) retry_base: Option<Duration>,
}

impl Environment {
    /// Reads the process environment.
    pub(super) fn read() -> Environment {
        Environment {
            no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
            in_ci: std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "0" && v != "false"),
            progress_delay: std::env::var("FEDCHECK_PROGRESS_DELAY_MS")
                .ok()
                .and_then(|v| v.parse().ok())
                .map_or(Duration::from_secs(1), Duration::from_millis),
            argv: std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect(),
            graph_token: std::env::var(fedcheck::entra::discovery::TOKEN_ENV).ok(),
            retry_base: std::env::var(fedcheck::entra::discovery::RETRY_BASE_ENV)
                .ok()
                .and_then(|ms| ms.trim().parse().ok())
                .map(Duration::from_millis),
        }
    }
}
