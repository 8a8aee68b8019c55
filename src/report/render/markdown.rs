//! The report as GitHub-flavoured Markdown (`report.md`): the document model written out, every value escaped
//! ([`crate::report::escape`]) so token content can add no markup, link or table cell.

use super::document::{document, Block, Inline};
use super::RenderOptions;
use crate::report::escape;
use crate::report::Report;
use std::fmt::Write as _;

/// Renders the report as Markdown (GitHub-flavoured tables).
pub fn markdown(r: &Report, opts: &RenderOptions) -> String {
    let mut out = String::new();
    for b in document(r, opts) {
        match b {
            Block::Heading(level, text) => {
                let _ = writeln!(out, "{} {}\n", "#".repeat(level as usize), escape::markdown(&text));
            }
            Block::Para(xs) => {
                let _ = writeln!(out, "{}\n", inlines(&xs));
            }
            Block::List(items) => {
                for it in items {
                    let _ = writeln!(out, "- {}", inlines(&it));
                }
                out.push('\n');
            }
            Block::Table(head, rows) => {
                let _ = writeln!(
                    out,
                    "|{}|",
                    head.iter().map(|h| format!(" {h} ")).collect::<Vec<_>>().join("|")
                );
                let _ = writeln!(out, "|{}|", head.iter().map(|_| "---").collect::<Vec<_>>().join("|"));
                for row in rows {
                    let cells: Vec<String> = row.iter().map(|c| format!(" {} ", inlines(c))).collect();
                    let _ = writeln!(out, "|{}|", cells.join("|"));
                }
                out.push('\n');
            }
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

fn inlines(xs: &[Inline]) -> String {
    let mut s = String::new();
    for x in xs {
        match x {
            Inline::Text(v) => s.push_str(&escape::markdown(v)),
            Inline::Code(v) => s.push_str(&escape::markdown_code(v)),
            Inline::Strong(v) => {
                let _ = write!(s, "**{}**", escape::markdown(v.trim_end()));
                if v.ends_with(' ') {
                    s.push(' ');
                }
            }
            Inline::Badge(v, _) => {
                let _ = write!(s, "**{}**", escape::markdown(v));
            }
        }
    }
    s
}
