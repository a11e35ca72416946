//! The one escaper of untrusted values (from the Spark API, the manifest, a server's error) for GitHub
//! markdown: the job summary, the pull-request comment (its own lines too: the re-run lines, the stale
//! banner) and the drift issue.
//!
//! A value comes out as inert inline text: it cannot end a table cell, start a block or a list, open an
//! HTML tag or comment (so no fake marker), format text, make a link, an image or an autolink (`https://`,
//! `www.`, an e-mail), mention a user or team, reference an issue, or reorder what a reader sees (bidi
//! controls), wherever it is placed in a table cell or a list item. [`code_block`] quotes a whole text in a
//! fence it cannot close.

/// The longest value shown, in characters; longer values are cut with a note (the JSON result keeps them).
pub const MAX_VALUE_CHARS: usize = 4000;

/// Word joiner: invisible, breaks `@name` mentions without changing what a reader sees.
const WORD_JOINER: char = '\u{2060}';

/// Shown instead of a bidi control (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C).
const REPLACEMENT: char = '\u{FFFD}';

/// Escapes `value` as inline markdown text, newlines as `<br>`, cut at [`MAX_VALUE_CHARS`].
pub fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + value.len() / 8);
    let mut chars = value.chars().peekable();
    let mut taken = 0;
    if value.starts_with(['-', '+', '=']) {
        // A list item or a heading underline at the start of a line.
        out.push('\\');
    }
    while let Some(c) = chars.next() {
        if taken == MAX_VALUE_CHARS {
            let rest = 1 + chars.count();
            out.push_str(&format!(" … ({rest} more characters)"));
            break;
        }
        taken += 1;
        match c {
            c if is_bidi(c) => out.push(REPLACEMENT),
            // `https://`, `www.`: GitHub's autolinks need the characters side by side.
            ':' if chars.peek() == Some(&'/') => {
                out.push(':');
                out.push(WORD_JOINER);
            }
            '.' if out.ends_with("www") || out.ends_with("WWW") => {
                out.push(WORD_JOINER);
                out.push('.');
            }
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("<br>");
            }
            '\n' => out.push_str("<br>"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '!' | '$' => {
                out.push('\\');
                out.push(c);
            }
            // A mention (`@acme/admins`), an e-mail autolink, an issue reference (`#12`).
            '@' | '#' => {
                if c == '#' {
                    out.push('\\');
                }
                out.push(c);
                out.push(WORD_JOINER);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn is_bidi(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// `text` (taken as it is, bidi controls and control characters aside) in a fenced code block that it
/// cannot close: the fence is longer than any run of backticks in it.
pub fn code_block(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let body: String = text
        .chars()
        .map(|c| match c {
            c if is_bidi(c) => REPLACEMENT,
            '\n' | '\t' => c,
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    format!("{fence}text\n{body}\n{fence}\n")
}

/// Escapes `value` and shows it in a monospace font (`<code>`, in which markdown escapes still apply).
pub fn code(value: &str) -> String {
    format!("<code>{}</code>", text(value))
}

/// Makes a URL safe inside a markdown link target: characters that could end it are percent-encoded.
pub fn url(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '(' | ')' | '<' | '>' | '"' | '\'' | '[' | ']' | '`' | '|' | '\\' => {
                out.push_str(&format!("%{:02X}", c as u32))
            }
            c if c.is_whitespace() || c.is_control() => out.push_str(&format!("%{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipes_newlines_and_html_cannot_break_a_table_row() {
        let escaped = text("a|b\nc\r\nd<script>alert(1)</script>");
        assert_eq!(
            escaped,
            "a\\|b<br>c<br>d&lt;script&gt;alert(1)&lt;/script&gt;"
        );
    }

    #[test]
    fn backticks_links_and_emphasis_are_inert() {
        assert_eq!(
            text("`x` [a](b) *c* _d_"),
            "\\`x\\` \\[a\\](b) \\*c\\* \\_d\\_"
        );
    }

    #[test]
    fn mentions_are_broken_by_an_invisible_joiner() {
        assert_eq!(text("@acme/admins"), "@\u{2060}acme/admins");
    }

    #[test]
    fn long_values_are_cut_with_a_count_of_what_is_left() {
        let long = "x".repeat(MAX_VALUE_CHARS + 10);
        let escaped = text(&long);
        assert!(escaped.ends_with(" … (10 more characters)"), "{escaped}");
        assert_eq!(
            escaped.chars().filter(|c| *c == 'x').count(),
            MAX_VALUE_CHARS
        );
    }

    #[test]
    fn autolinks_references_bidi_controls_and_list_starts_are_inert() {
        assert_eq!(
            text("see https://evil.example/x and www.evil.example"),
            "see https:\u{2060}//evil.example/x and www\u{2060}.evil.example"
        );
        assert_eq!(text("a@b.example #12"), "a@\u{2060}b.example \\#\u{2060}12");
        assert_eq!(text("abc\u{202E}fed"), "abc\u{FFFD}fed");
        assert_eq!(text("- item"), "\\- item");
        assert_eq!(
            text("![img](https://t.example/p.gif)"),
            "\\!\\[img\\](https:\u{2060}//t.example/p.gif)"
        );
        assert_eq!(
            text("<!-- spark-promote -->"),
            "&lt;\\!-- spark-promote --&gt;"
        );
    }

    #[test]
    fn a_code_block_cannot_be_closed_by_its_text() {
        let hostile = "ok\n```\n# heading\n@acme ![x](https://t.example/p.gif)\n````";
        let block = code_block(hostile);
        let fence = "`````";
        assert!(block.starts_with(&format!("{fence}text\n")), "{block}");
        assert!(block.ends_with(&format!("\n{fence}\n")), "{block}");
        let inner = &block[fence.len() + 5..block.len() - fence.len() - 2];
        assert!(!inner.contains(fence), "{block}");
        assert_eq!(code_block("a\u{202E}b"), "```text\na\u{FFFD}b\n```\n");
    }

    #[test]
    fn urls_cannot_close_a_link() {
        assert_eq!(url("https://x/a b)(c"), "https://x/a%20b%29%28c");
    }
}
