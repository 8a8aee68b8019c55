//! The one escaper per output language. Token content is attacker-controlled, so every value written into a
//! report goes through one of these: HTML (element content and quoted attributes), XML (JUnit attributes and
//! content, and the escaped forms the redactor looks for in token copies) and Markdown (text and code spans). Line
//! breaks and control characters never reach a format that could misread them.

/// The predefined XML entities for the characters that are markup.
const MARKUP: [(char, &str); 3] = [('&', "&amp;"), ('<', "&lt;"), ('>', "&gt;")];
/// HTML: markup and quotes as entities; line breaks and tabs as spaces.
const HTML: [(char, &str); 5] = [('"', "&quot;"), ('\'', "&#39;"), ('\r', " "), ('\n', " "), ('\t', " ")];
/// XML attributes: quotes as entities, line breaks and tabs as character references (kept, not normalized).
const XML: [(char, &str); 5] = [
    ('"', "&quot;"),
    ('\'', "&apos;"),
    ('\n', "&#10;"),
    ('\t', "&#9;"),
    ('\r', "&#13;"),
];
/// Markdown: every character with a meaning in (GitHub-flavoured) Markdown, backslash-escaped.
const MARKDOWN: [(char, &str); 10] = [
    ('\\', "\\\\"),
    ('`', "\\`"),
    ('*', "\\*"),
    ('_', "\\_"),
    ('[', "\\["),
    (']', "\\]"),
    ('|', "\\|"),
    ('#', "\\#"),
    ('!', "\\!"),
    ('~', "\\~"),
];
/// Line breaks and tabs as spaces, for formats where they would end a line or a table row.
const SPACES: [(char, &str); 3] = [('\r', " "), ('\n', " "), ('\t', " ")];

/// Writes `s` with each character found in `tables` replaced by its text, and each other character for which
/// `invalid` holds replaced by U+FFFD.
fn escape_chars(s: &str, tables: &[&[(char, &str)]], invalid: impl Fn(char) -> bool) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match tables.iter().flat_map(|t| t.iter()).find(|(c, _)| *c == ch) {
            Some((_, r)) => out.push_str(r),
            None if invalid(ch) => out.push('\u{FFFD}'),
            None => out.push(ch),
        }
    }
    out
}

/// Escapes text for HTML element content and quoted attribute values; line breaks and tabs become spaces, other
/// control characters U+FFFD.
pub fn html(s: &str) -> String {
    escape_chars(s, &[&MARKUP, &HTML], char::is_control)
}

/// Escapes text for XML attribute values and content: the five predefined entities, line breaks and tabs as
/// character references (kept in attributes), and U+FFFD for the characters XML 1.0 cannot carry.
pub fn xml(s: &str) -> String {
    escape_chars(s, &[&MARKUP, &XML], |c| {
        (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}'
    })
}

/// Escapes text content the way most XML serializers write it: `&`, `<` and `>` only.
pub fn xml_content(s: &str) -> String {
    escape_chars(s, &[&MARKUP], |_| false)
}

/// Escapes text for Markdown: no HTML, no links, no emphasis or code from the content, no table breaks.
pub fn markdown(s: &str) -> String {
    escape_chars(s, &[&MARKDOWN, &MARKUP, &SPACES], char::is_control)
}

/// A Markdown code span that holds any text literally (fence longer than any backtick run inside; `|` escaped
/// for GFM tables, which split cells before parsing code spans).
pub fn markdown_code(s: &str) -> String {
    // Code spans show `<` literally in CommonMark, but not every Markdown viewer is compliant: a value with
    // markup characters is written as escaped text instead.
    if s.contains(['<', '>']) {
        return markdown(s);
    }
    let clean = escape_chars(s, &[&SPACES, &[('|', "\\|")]], char::is_control);
    if clean.is_empty() {
        return "` `".into();
    }
    let mut longest = 0;
    let mut run = 0;
    for c in clean.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    let pad = if clean.starts_with('`') || clean.ends_with('`') || clean.starts_with(' ') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{clean}{pad}{fence}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(
            html("<script>alert('x')</script>&\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"
        );
        assert_eq!(markdown("a|b<c>[l](u)*"), "a\\|b&lt;c&gt;\\[l\\](u)\\*");
        assert_eq!(markdown_code("a`b|c"), "``a`b\\|c``");
        assert_eq!(xml("a<b>&\"'\u{1}"), "a&lt;b&gt;&amp;&quot;&apos;\u{FFFD}");
        assert_eq!(xml_content("a<b>&\"'"), "a&lt;b&gt;&amp;\"'");
        // Line breaks, tabs and control characters, per language.
        assert_eq!(html("a\nb\t\u{7}"), "a b \u{FFFD}");
        assert_eq!(xml("a\nb\r\t\u{7}\u{FFFE}"), "a&#10;b&#13;&#9;\u{FFFD}\u{FFFD}");
        assert_eq!(markdown("a\n\u{1}_"), "a \u{FFFD}\\_");
        assert_eq!(markdown_code("a|b\nc"), "`a\\|b c`");
        assert_eq!(markdown_code("`x"), "`` `x ``");
        assert_eq!(markdown_code(""), "` `");
    }
}
