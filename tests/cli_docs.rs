//! Shell completions and man pages come from the same clap definition as `--help`.

mod common;

use common::*;

#[test]
fn completions_for_every_shell_name_the_subcommands() {
    for (shell, marker) in [
        ("bash", "_fedcheck()"),
        ("zsh", "#compdef fedcheck"),
        ("fish", "complete -c fedcheck"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[fedcheck]"),
    ] {
        let out = run(&["completions", shell]);
        assert_eq!(out.code, 0, "{shell}: {}", out.describe());
        assert!(out.stdout.contains(marker), "{shell}: no {marker:?}");
        for sub in ["check", "bundle", "serve", "lint-config", "signins"] {
            assert!(out.stdout.contains(sub), "{shell}: no {sub}");
        }
        assert!(out.stdout.contains("idp-cert"), "{shell}: no idp-cert option");
    }
    let out = run(&["completions", "tcsh"]);
    assert_eq!(out.code, 2, "{}", out.describe());
}

#[test]
fn man_page_and_one_page_per_subcommand() {
    let out = run(&["man"]);
    assert_eq!(out.code, 0, "{}", out.describe());
    assert!(
        out.stdout.starts_with(".ie") || out.stdout.contains(".TH fedcheck 1"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains(".TH fedcheck 1"));
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().to_str().expect("utf-8");
    let out = run(&["man", "--out", d]);
    assert_eq!(out.code, 0, "{}", out.describe());
    for page in [
        "fedcheck.1",
        "fedcheck-check.1",
        "fedcheck-bundle.1",
        "fedcheck-serve.1",
    ] {
        let text = std::fs::read_to_string(dir.path().join(page)).unwrap_or_else(|e| panic!("{page}: {e}"));
        assert!(text.contains(".TH"), "{page}");
    }
    let check = std::fs::read_to_string(dir.path().join("fedcheck-check.1")).expect("check page");
    assert!(check.contains("idp\\-cert"), "the check page documents its options");
}

/// Help wraps at the terminal width (clap's wrap_help reads COLUMNS when stdout is not a terminal).
#[test]
fn help_fits_an_80_column_terminal() {
    for sub in [
        "",
        "check",
        "bundle",
        "verify-bundle",
        "serve",
        "test",
        "lint-config",
        "check-token",
        "discover",
        "fetch-config",
        "signins",
        "partner-report",
        "completions",
        "man",
    ] {
        let mut args: Vec<&str> = sub.split_whitespace().collect();
        args.push("--help");
        let mut cmd = command(&args);
        cmd.env("COLUMNS", "80");
        let out = run_cmd(cmd, &args, None);
        assert_eq!(out.code, 0, "{}", out.describe());
        for line in out.stdout.lines() {
            assert!(
                line.chars().count() <= 80,
                "`fedcheck {sub} --help` has a line over 80 columns: {line}"
            );
        }
    }
}
