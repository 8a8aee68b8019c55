//! README.md: what the bundle holds, file by file, how it was made, what was redacted, and how to verify it
//! with or without fedcheck.

use super::command_line::out_name;
use super::contents::{self, Files};
use super::BundleOptions;
use crate::report::escape;
use crate::report::redact::RedactionNote;
use crate::report::render::summary_sentence;
use crate::report::Report;
use std::fmt::Write as _;

/// The files every bundle has, with what they are.
const FIXED_FILES: [(&str, &str); 7] = [
    ("README.md", "this file"),
    (
        "report.html",
        "the report: self-contained, no network, printable (open it in a browser, print to PDF)",
    ),
    ("report.md", "the same report in Markdown"),
    (
        "report.json",
        "the same report as JSON: the `fedcheck check --format json` contract, plus `redaction`",
    ),
    ("junit.xml", "one JUnit test case per check per token"),
    ("request.md", "a draft request text to paste into a support form"),
    (
        "manifest.json",
        "tool, command line (secrets removed), evaluation time, SHA-256 and size of every other file",
    ),
];

/// The text of README.md.
pub(super) fn text(shown: &Report, opts: &BundleOptions, files: &Files, note: &RedactionNote, command: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# fedcheck evidence bundle\n");
    let _ = writeln!(
        s,
        "**Verdict: {}**: {}\n",
        shown.verdict.as_str().to_ascii_uppercase(),
        escape::markdown(&summary_sentence(shown))
    );
    let _ = writeln!(
        s,
        "Evaluated at {} by fedcheck {}, with:\n",
        shown.evaluated_at, shown.tool.version
    );
    let _ = writeln!(s, "```\n{}\n```\n", command.replace("```", "'''"));
    contents_table(&mut s, files, note, opts.signer.is_some());
    if note.enabled {
        redaction(&mut s, opts, note);
    }
    verify(&mut s, &out_name(&opts.out.to_string_lossy()), opts);
    s
}

/// `## Contents`: one row per file, the fixed ones first.
fn contents_table(s: &mut String, files: &Files, note: &RedactionNote, signed: bool) {
    let _ = writeln!(s, "## Contents\n");
    let _ = writeln!(s, "| path | what |\n|---|---|");
    let others = files
        .keys()
        .filter_map(|p| contents::kind(p).map(|k| (p.as_str(), k.describe(note.enabled).readme)));
    for (p, w) in FIXED_FILES.into_iter().chain(others) {
        let _ = writeln!(s, "| `{}` | {} |", p.replace('`', "'").replace('|', "\\|"), w);
    }
    if signed {
        let _ = writeln!(
            s,
            "| `{}` | a detached CMS signature over `manifest.json` (not listed in it): who made the bundle |",
            super::SIGNATURE
        );
    }
    let _ = writeln!(s);
}

/// `## Redaction`: the placeholders, the key's origin, the fields, and why the token copies no longer verify.
fn redaction(s: &mut String, opts: &BundleOptions, note: &RedactionNote) {
    let _ = writeln!(s, "## Redaction\n");
    let _ = writeln!(
        s,
        "Personal values are replaced, in the reports and in `tokens/`, by `redacted:KIND:HEX` placeholders \
         (HMAC-SHA256 with a key {}), so the same user maps to the same placeholder everywhere in the bundle. \
         Fields redacted: {}.\n",
        if opts.redaction.key.is_some() {
            "given with `--redaction-key`"
        } else {
            "that was random and not stored"
        },
        if note.fields.is_empty() {
            "none found".to_string()
        } else {
            escape::markdown(&note.fields.join(", "))
        }
    );
    let _ = writeln!(
        s,
        "**The `tokens/` copies are redacted and therefore no longer verify; the signature result in `report.json` \
         was computed on the original tokens.**\n"
    );
}

/// `## Verify`: with `fedcheck verify-bundle`, or with jq and sha256sum; what the hashes prove, and the signature
/// when there is one.
fn verify(s: &mut String, name: &str, opts: &BundleOptions) {
    let _ = writeln!(s, "## Verify\n");
    let _ = writeln!(s, "That nothing was added, removed or changed after the run:\n");
    let _ = writeln!(
        s,
        "```sh\nfedcheck verify-bundle {name}/        # or {name}.zip; exit 0 intact, 1 altered\n```\n"
    );
    let _ = writeln!(
        s,
        "Without fedcheck (every line must say OK, and no file may exist that is not listed):\n"
    );
    let _ = writeln!(
        s,
        "```sh\ncd {name} && jq -r '.files[] | \"\\(.sha256)  \\(.path)\"' manifest.json | sha256sum -c\n```\n"
    );
    let _ = writeln!(
        s,
        "The hashes show that the files match `manifest.json`, not who made them: anyone can edit a file and \
         recompute the manifest."
    );
    if let Some(signer) = &opts.signer {
        let _ = writeln!(
            s,
            "\n`manifest.json.p7s` is a detached CMS signature over `manifest.json` (SHA-256) by {}: with the \
             signer's certificate `CERT`, obtained from its owner, it shows who made the bundle (it is the one file the \
             manifest does not list):\n",
            escape::markdown(&signer.subject())
        );
        let _ = writeln!(
            s,
            "```sh\nfedcheck verify-bundle --signer-cert CERT {name}/\ncd {name} && openssl cms -verify -binary \
             -inform DER -in manifest.json.p7s -content manifest.json -CAfile CERT -purpose any -out /dev/null\n```"
        );
    }
}
