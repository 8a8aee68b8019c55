//! The README's CI recipe, run as written (issue 17): the blocks marked `<!-- readme-recipe: NAME -->` are taken
//! from README.md and run in an empty git repository holding a capture (a passing token signed by xmlsec1, from
//! `testdata/`) and the IdP's certificate where the recipe says to put them, with the built `fedcheck` first on
//! PATH. A failing capture cannot become the baseline; a passing one is written and committed; the CI job passes
//! on it with `CI` set; after the capture is replaced by a changed token (password only), the job goes red with a
//! readable diff.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The code block after `<!-- readme-recipe: NAME -->` in README.md.
fn recipe(name: &str) -> String {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).expect("README");
    let marker = format!("<!-- readme-recipe: {name} -->");
    let at = readme
        .find(&marker)
        .unwrap_or_else(|| panic!("README.md has no {marker}"));
    let rest = &readme[at + marker.len()..];
    let open = rest.find("```").expect("a code block after the marker");
    let body = &rest[open..];
    let body = &body[body.find('\n').expect("fence line") + 1..];
    let close = body.find("\n```").expect("the code block is closed");
    body[..close].to_string()
}

/// The `fedcheck` commands of a CI file: GitHub's `run: fedcheck ...` steps, GitLab's `- fedcheck ...` script lines.
fn ci_commands(yaml: &str) -> Vec<String> {
    yaml.lines()
        .map(str::trim)
        .filter_map(|l| l.strip_prefix("run: ").or_else(|| l.strip_prefix("- ")))
        .filter(|c| c.starts_with("fedcheck "))
        .map(str::to_string)
        .collect()
}

/// Whether `text` holds a date (YYYY-MM-DD): the recipe must not, or each recapture would mean editing it.
fn has_date(text: &str) -> bool {
    let b = text.as_bytes();
    b.windows(10).any(|w| {
        w.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        })
    })
}

struct Repo {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Repo {
    /// An empty git repository with the recipe's folder and the IdP's certificate.
    fn new() -> Repo {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("idp-config");
        std::fs::create_dir_all(root.join("fedcheck/captures")).expect("mkdir");
        let repo = Repo { _dir: dir, root };
        let out = repo.sh("git init -q .", false);
        assert_eq!(out.code, 0, "{}", out.describe());
        std::fs::copy(
            testdata().join("keys/idp-signing.crt"),
            repo.root.join("fedcheck/idp-signing.crt"),
        )
        .expect("copy the certificate");
        repo
    }

    /// Puts `fixture` (a path in testdata/) in place as the user's capture.
    fn capture(&self, fixture: &str) {
        std::fs::copy(testdata().join(fixture), self.root.join("fedcheck/captures/signin.xml")).expect("copy");
    }

    /// Runs `script` with bash (-e: the first failing command ends it) in the repository, the built fedcheck first
    /// on PATH, git configured for this repository alone, `CI` set when `ci`.
    fn sh(&self, script: &str, ci: bool) -> Out {
        let bin = Path::new(env!("CARGO_BIN_EXE_fedcheck")).parent().expect("bin dir");
        let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
        let mut cmd = Command::new("bash");
        cmd.args(["-euo", "pipefail", "-c", script])
            .current_dir(&self.root)
            .env("PATH", path)
            .env("HOME", &self.root)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "IdP engineer")
            .env("GIT_AUTHOR_EMAIL", "idp@example.test")
            .env("GIT_COMMITTER_NAME", "IdP engineer")
            .env("GIT_COMMITTER_EMAIL", "idp@example.test")
            .env_remove("NO_COLOR");
        if ci {
            cmd.env("CI", "true");
        } else {
            cmd.env_remove("CI");
        }
        run_cmd(cmd, &[script], None)
    }

    fn read(&self, p: &str) -> Option<String> {
        std::fs::read_to_string(self.root.join(p)).ok()
    }
}

#[test]
fn the_readme_ci_recipe_gives_a_passing_baseline_and_a_red_build_on_a_changed_token() {
    let baseline = recipe("baseline");
    let github = ci_commands(&recipe("github"));
    let gitlab = ci_commands(&recipe("gitlab"));
    // The CI jobs run the baseline's own check command, and nothing in the recipe carries a date.
    let check = baseline
        .lines()
        .find(|l| l.starts_with("fedcheck check"))
        .expect("the baseline block runs fedcheck check")
        .to_string();
    assert!(
        check.contains("--at issue-instant") && check.contains("--snapshot "),
        "{check}"
    );
    assert_eq!(
        github,
        vec![check.clone()],
        "the GitHub job runs the baseline's command"
    );
    assert_eq!(
        gitlab,
        vec![check.clone()],
        "the GitLab job runs the baseline's command"
    );
    for (name, block) in [
        ("baseline", &baseline),
        ("github", &recipe("github")),
        ("gitlab", &recipe("gitlab")),
    ] {
        assert!(!has_date(block), "the {name} block carries a date:\n{block}");
    }
    let snap = check
        .split_whitespace()
        .skip_while(|w| *w != "--snapshot")
        .nth(1)
        .expect("the snapshot path")
        .to_string();

    let repo = Repo::new();

    // A capture that fails cannot become the baseline: the block stops at fedcheck, nothing is written or committed.
    repo.capture("wsfed/password.xml");
    let out = repo.sh(&baseline, false);
    assert_eq!(out.code, 1, "{}", out.describe());
    assert!(
        out.stderr.contains("not written: the verdict is fail"),
        "{}",
        out.describe()
    );
    assert!(repo.read(&snap).is_none(), "a failing baseline was written");

    // The user's own passing capture: the baseline is written, says pass on its first line, and is committed.
    repo.capture("wsfed/mfa-authmethod-sha256.xml");
    let out = repo.sh(&baseline, false);
    assert_eq!(out.code, 0, "{}", out.describe());
    assert!(out.stderr.contains("written; commit it"), "{}", out.describe());
    let written = repo.read(&snap).expect("the baseline");
    assert_eq!(
        written.lines().next(),
        Some("# fedcheck snapshot v1: verdict pass"),
        "{written}"
    );
    let files = repo.sh("git ls-files", false);
    assert!(files.stdout.lines().any(|l| l == snap), "{}", files.describe());
    assert!(
        files.stdout.lines().any(|l| l == "fedcheck/captures/signin.xml"),
        "{}",
        files.describe()
    );

    // CI, the same day or years later (issue-instant): green.
    for cmd in [&github[0], &gitlab[0]] {
        let out = repo.sh(cmd, true);
        assert_eq!(out.code, 0, "{}", out.describe());
        assert!(out.stderr.contains("matches"), "{}", out.describe());
    }

    // A changed token (the IdP lost its MFA rule: password only) turns the job red, with a diff a reviewer reads.
    repo.capture("wsfed/password.xml");
    let out = repo.sh(&github[0], true);
    assert_eq!(out.code, 1, "{}", out.describe());
    for want in [
        format!("the verdict differs from snapshot {snap}"),
        "- # fedcheck snapshot v1: verdict pass".to_string(),
        "+ # fedcheck snapshot v1: verdict fail".to_string(),
        "+     fail  mfa.signal".to_string(),
        "is a password sign-in, not MFA".to_string(),
        "--update-snapshots".to_string(),
    ] {
        assert!(out.stderr.contains(&want), "no {want:?}: {}", out.describe());
    }
    // The committed baseline is untouched by the red run.
    assert_eq!(repo.read(&snap).as_deref(), Some(written.as_str()));
}
