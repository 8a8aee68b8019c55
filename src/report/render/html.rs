//! The report as one self-contained HTML page (`report.html`): the document model with inline CSS, no script and
//! no external resource (a Content-Security-Policy says so), printable; every value HTML-escaped. The evidence card
//! is a table (`#evidence-card`, one `data-field` per row); the details are `<details>` elements, which collapse
//! without script. Printed, a closed section shows its title only.

use super::document::{document, Block, CardRow, Inline, Row};
use super::RenderOptions;
use crate::report::escape;
use crate::report::Report;
use std::fmt::Write as _;

const CSS: &str = "\
:root{color-scheme:light}\
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;color:#1b1b1b;margin:2rem auto;max-width:1100px;padding:0 1rem}\
h1{font-size:1.6rem;margin:0 0 .6rem}h2{font-size:1.25rem;margin:1.8rem 0 .5rem;border-bottom:2px solid #ddd;padding-bottom:.2rem}\
h3{font-size:1.05rem;margin:1.2rem 0 .4rem}\
table{border-collapse:collapse;width:100%;margin:.4rem 0 .8rem;table-layout:auto}\
th,td{border:1px solid #ccc;padding:.25rem .45rem;text-align:left;vertical-align:top}\
th{background:#f3f3f3}td{overflow-wrap:anywhere;word-break:break-word}\
code{font:12.5px/1.35 ui-monospace,'DejaVu Sans Mono',Consolas,monospace;background:#f6f6f6;padding:0 .15rem;overflow-wrap:anywhere}\
.badge{display:inline-block;font-weight:700;font-size:.8rem;padding:0 .4rem;border-radius:3px;color:#fff;white-space:nowrap}\
.pass{background:#1a7f37}.fail{background:#c62828}.warn{background:#b26a00}.info{background:#0b6e99}.error{background:#7b1fa2}\
ul{margin:.3rem 0 .8rem}\
.kv td:first-child{white-space:nowrap;width:1%}.checks td:nth-child(-n+2){white-space:nowrap;width:1%}\
.card{border:2px solid #555}.card th{width:12.5rem;white-space:nowrap;font-weight:600}\
details{margin:0}summary{cursor:pointer}summary>h2,summary>h3{display:inline-block;margin:.9rem 0 .3rem;border:0;padding:0}\
details.l2{border-top:2px solid #ddd;margin-top:.9rem}\
@media print{body{margin:0;max-width:none;font:10px/1.3 system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif}\
h1{font-size:17px;margin:0 0 4px}summary>h2{font-size:14px;margin:6px 0 3px}summary>h3,h3{font-size:12px;margin:4px 0 2px}\
details.l2{margin-top:5px}table{margin:2px 0 5px}th,td{padding:1px 4px}ul{margin:2px 0 5px}p{margin:4px 0}\
code{font-size:9px;padding:0}summary{list-style:none}summary::-webkit-details-marker{display:none}\
summary>h2,summary>h3{break-after:avoid}tr,.card{break-inside:avoid}\
.badge{font-size:8.5px;line-height:1.2;padding:0 3px;-webkit-print-color-adjust:exact;print-color-adjust:exact}@page{margin:10mm}}";

/// Renders the report as one self-contained HTML page: inline CSS, no script, no external resource, printable.
pub fn html(r: &Report, opts: &RenderOptions) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n",
    );
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(
        out,
        "<title>fedcheck report: {}</title>",
        escape::html(&r.verdict.as_str().to_ascii_uppercase())
    );
    let _ = writeln!(out, "<style>{CSS}</style>\n</head>\n<body>");
    blocks(&mut out, &document(r, opts));
    out.push_str("</body>\n</html>\n");
    out
}

fn blocks(out: &mut String, bs: &[Block]) {
    for b in bs {
        match b {
            Block::Heading(level, text) => {
                let _ = writeln!(out, "<h{level}>{}</h{level}>", escape::html(text));
            }
            Block::Para(xs) => {
                let _ = writeln!(out, "<p>{}</p>", inlines(xs));
            }
            Block::List(items) => {
                out.push_str("<ul>\n");
                for it in items {
                    let _ = writeln!(out, "<li>{}</li>", inlines(it));
                }
                out.push_str("</ul>\n");
            }
            Block::Table(head, rows) => table(out, head, rows),
            Block::Card(rows) => card(out, rows),
            Block::Details {
                level,
                title,
                open,
                body,
            } => {
                let _ = writeln!(
                    out,
                    "<details class=\"l{level}\"{}><summary><h{level}>{}</h{level}></summary>",
                    if *open { " open" } else { "" },
                    escape::html(title)
                );
                blocks(out, body);
                out.push_str("</details>\n");
            }
        }
    }
}

/// The evidence card: a row per fact, its label a row header, its id in `data-field`.
fn card(out: &mut String, rows: &[CardRow]) {
    out.push_str("<table class=\"card\" id=\"evidence-card\">\n<tbody>\n");
    for r in rows {
        let _ = writeln!(
            out,
            "<tr data-field=\"{}\"><th scope=\"row\">{}</th><td>{}</td></tr>",
            escape::html(r.id),
            escape::html(r.label),
            inlines(&r.value)
        );
    }
    out.push_str("</tbody>\n</table>\n");
}

/// A table, classed by its shape: `kv` (label and value), `checks`, or `grid`.
fn table(out: &mut String, head: &[&str], rows: &[Row]) {
    let class = if head.iter().all(|h| h.is_empty()) || head.first() == Some(&"Field") || head.first() == Some(&"Claim")
    {
        "kv"
    } else if head.get(1) == Some(&"Check") {
        "checks"
    } else {
        "grid"
    };
    let _ = writeln!(out, "<table class=\"{class}\">");
    if head.iter().any(|h| !h.is_empty()) {
        let _ = writeln!(
            out,
            "<thead><tr>{}</tr></thead>",
            head.iter()
                .map(|h| format!("<th>{}</th>", escape::html(h)))
                .collect::<String>()
        );
    }
    out.push_str("<tbody>\n");
    for row in rows {
        let _ = writeln!(
            out,
            "<tr>{}</tr>",
            row.iter()
                .map(|c| format!("<td>{}</td>", inlines(c)))
                .collect::<String>()
        );
    }
    out.push_str("</tbody>\n</table>\n");
}

fn inlines(xs: &[Inline]) -> String {
    let mut s = String::new();
    for x in xs {
        match x {
            Inline::Text(v) => s.push_str(&escape::html(v)),
            Inline::Code(v) => {
                let _ = write!(s, "<code>{}</code>", escape::html(v));
            }
            Inline::Strong(v) => {
                let _ = write!(s, "<strong>{}</strong>", escape::html(v));
            }
            Inline::Badge(v, class) => {
                let _ = write!(s, "<span class=\"badge {class}\">{}</span>", escape::html(v));
            }
            Inline::Break => s.push_str("<br>"),
        }
    }
    s
}
