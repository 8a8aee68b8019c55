//! The report as GitHub-flavoured Markdown (`report.md`): the document model written out, every value escaped
//! ([`crate::report::escape`]) so token content can add no markup, link or table cell. The evidence card is the
//! first table; a collapsible section is its heading and its blocks; a line break in a cell is `<br>`.

use super::document::{document, Block, Inline, Row};
use super::RenderOptions;
use crate::report::escape;
use crate::report::Report;
use std::fmt::Write as _;

/// Renders the report as Markdown (GitHub-flavoured tables).
pub fn markdown(r: &Report, opts: &RenderOptions) -> String {
    let mut out = String::new();
    blocks(&mut out, &document(r, opts));
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

fn blocks(out: &mut String, bs: &[Block]) {
    for b in bs {
        match b {
            Block::Heading(level, text) => heading(out, *level, text),
            Block::Para(xs) => {
                let _ = writeln!(out, "{}\n", inlines(xs));
            }
            Block::List(items) => {
                for it in items {
                    let _ = writeln!(out, "- {}", inlines(it));
                }
                out.push('\n');
            }
            Block::Table(head, rows) => table(out, head, rows),
            Block::Card(rows) => {
                let rows: Vec<Row> = rows
                    .iter()
                    .map(|r| vec![vec![Inline::Strong(r.label.to_string())], r.value.clone()])
                    .collect();
                table(out, &["Evidence", ""], &rows);
            }
            Block::Details { level, title, body, .. } => {
                heading(out, *level, title);
                blocks(out, body);
            }
        }
    }
}

fn heading(out: &mut String, level: u8, text: &str) {
    let _ = writeln!(out, "{} {}\n", "#".repeat(level as usize), escape::markdown(text));
}

fn table(out: &mut String, head: &[&str], rows: &[Row]) {
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
            Inline::Break => s.push_str("<br>"),
        }
    }
    s
}
