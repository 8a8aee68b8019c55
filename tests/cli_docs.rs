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

const SUBCOMMANDS: [&str; 14] = [
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
];

/// `fedcheck SUB --help` with the terminal width `columns` (COLUMNS: the tests' stdout is a pipe, not a terminal).
fn help_at(sub: &str, columns: usize) -> String {
    let mut args: Vec<&str> = sub.split_whitespace().collect();
    args.push("--help");
    let mut cmd = command(&args);
    cmd.env("COLUMNS", columns.to_string());
    let out = run_cmd(cmd, &args, None);
    assert_eq!(out.code, 0, "{}", out.describe());
    out.stdout
}

/// A line longer than the width is allowed only where no wrapping can help: a single word (a URL) or clap's usage
/// line, which it never wraps.
fn assert_fits(sub: &str, help: &str, width: usize) {
    for line in help.lines() {
        let unbreakable = line.split_whitespace().count() <= 1 || line.starts_with("Usage: ");
        assert!(
            line.chars().count() <= width || unbreakable,
            "`fedcheck {sub} --help` at {width} columns has a line of {}: {line}",
            line.chars().count()
        );
    }
}

/// clap's wrap_help wraps at the terminal width however narrow, and a wide terminal still gets lines of at most
/// 100 columns (max_term_width), not the full width.
#[test]
fn help_wraps_at_a_narrow_terminal_and_stays_readable_on_a_wide_one() {
    for sub in SUBCOMMANDS {
        let narrow = help_at(sub, 50);
        assert_fits(sub, &narrow, 50);
        let wide = help_at(sub, 300);
        assert_fits(sub, &wide, 100);
        assert!(
            narrow.lines().count() > wide.lines().count(),
            "`fedcheck {sub} --help` is not rewrapped for 50 columns"
        );
    }
    // The wide help does use the room up to 100 columns.
    let check = help_at("check", 300);
    assert!(
        check.lines().any(|l| l.chars().count() > 90),
        "no line of `fedcheck check --help` uses the 100 columns"
    );
}

/// Every error fedcheck prints before judging anything is one line on stderr, `fedcheck: error: <input>: <problem>`
/// (naming the input or option), exit 2, nothing on stdout: clap's refusals too (their tip, usage and the help to
/// read folded into the line), and messages built from a multi-line parser error or quoting their own cause.
#[test]
fn errors_are_one_line_naming_the_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad_toml = dir.path().join("bad-plan.toml");
    std::fs::write(&bad_toml, "name = \"x\"\n[trust\nidp_cert = 1\n").expect("write");
    let bad_toml = bad_toml.to_str().expect("utf-8");
    let cases: &[(&[&str], &str)] = &[
        (&["check", "saml2/mfa-sha256.xml", "--bogus"], "'--bogus'"),
        (&["check"], "<INPUT>"),
        (&["check", "saml2/mfa-sha256.xml", "--format", "yaml"], "'yaml'"),
        (
            &["check", "saml2/mfa-sha256.xml", "--idp-cert", "keys/nope.crt"],
            "keys/nope.crt",
        ),
        (&["check", "saml2/mfa-sha256.xml", "--at", "yesterday"], "--at"),
        (
            &["check", "saml2/mfa-sha256.xml", "--stand-in", "ftp://x"],
            "--stand-in",
        ),
        (&["nosuch"], "'nosuch'"),
        (
            &["bundle", "saml2/mfa-sha256.xml", "--out", "/proc/fedcheck-nope"],
            "--out /proc/fedcheck-nope",
        ),
        (&["verify-bundle", "nope.zip"], "nope.zip"),
        (&["serve", "--listen", "nope"], "--listen"),
        (&["test", bad_toml], "bad-plan.toml: line 2, column"),
        (&["test", "plans/nope.toml"], "plans/nope.toml"),
        (&["lint-config", "nope.txt"], "nope.txt"),
        (&["check-token", "nope.jwt"], "nope.jwt"),
        (&["discover"], "<USER>"),
        (&["fetch-config"], "--domain"),
        (&["signins", "nope.json"], "nope.json"),
        (&["partner-report", "nope.csv"], "nope.csv"),
        (&["completions", "tcsh"], "'tcsh'"),
        (&["man", "--out", "/proc/fedcheck-nope"], "--out /proc/fedcheck-nope"),
    ];
    for (args, names) in cases {
        let out = run(args);
        assert_eq!(out.code, 2, "{}", out.describe());
        assert!(out.stdout.is_empty(), "{}", out.describe());
        let mut lines = out.fedcheck_stderr_lines();
        if args[0] == "bundle" {
            assert_eq!(
                lines.pop(),
                Some("fedcheck: no bundle was written"),
                "{}",
                out.describe()
            );
        }
        assert_eq!(lines.len(), 1, "not one line: {}", out.describe());
        assert!(lines[0].starts_with("fedcheck: error: "), "{}", out.describe());
        assert!(
            lines[0].contains(names),
            "the line does not name {names:?}: {}",
            out.describe()
        );
        // A cause is not repeated ("...: No such file or directory (os error 2): No such file or directory ...").
        assert!(
            lines[0].matches("(os error").count() <= 1,
            "a repeated cause: {}",
            out.describe()
        );
    }
    // clap's refusal says which help to read.
    let out = run(&["check", "saml2/mfa-sha256.xml", "--bogus"]);
    assert!(out.stderr.contains("try 'fedcheck check --help'"), "{}", out.describe());
}
