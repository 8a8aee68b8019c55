//! `fedcheck completions <shell>` and `fedcheck man`: shell completions and a man page, generated from the same
//! clap definition as `--help`, so they never drift from the options.

use super::outcome::Outcome;
use anyhow::Context as _;
use clap::{Args, CommandFactory, ValueEnum};
use std::io::Write;

/// A shell fedcheck writes completions for.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(super) enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
    Elvish,
}

#[derive(Args, Debug)]
pub(super) struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    shell: Shell,
}

#[derive(Args, Debug)]
pub(super) struct ManArgs {
    /// Write one page per subcommand (fedcheck.1, fedcheck-check.1, ...) into this folder instead of printing
    /// fedcheck.1 on stdout.
    #[arg(long, value_name = "DIR")]
    out: Option<std::path::PathBuf>,
}

/// Prints the completion script for `shell` on stdout.
pub(super) fn completions(a: CompletionsArgs) -> anyhow::Result<Outcome> {
    use clap_complete::Shell as S;
    let shell = match a.shell {
        Shell::Bash => S::Bash,
        Shell::Zsh => S::Zsh,
        Shell::Fish => S::Fish,
        Shell::Powershell => S::PowerShell,
        Shell::Elvish => S::Elvish,
    };
    let mut cmd = super::Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "fedcheck", &mut out);
    super::args::write_stdout(&out, "completion script")?;
    Ok(Outcome::Pass)
}

/// Prints fedcheck.1 (roff), or writes a page per subcommand into `--out`.
pub(super) fn man(a: ManArgs) -> anyhow::Result<Outcome> {
    let cmd = super::Cli::command();
    match a.out {
        None => {
            let mut out = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut out)?;
            super::args::write_stdout(&out, "man page")?;
        }
        Some(dir) => {
            let shown = dir.display();
            std::fs::create_dir_all(&dir).with_context(|| format!("--out {shown}: cannot create the folder"))?;
            clap_mangen::generate_to(cmd, &dir)
                .with_context(|| format!("--out {shown}: cannot write the man pages"))?;
            let mut err = std::io::stderr();
            let _ = writeln!(err, "fedcheck: man pages written to {}", dir.display());
        }
    }
    Ok(Outcome::Pass)
}
