//! Escaping of untrusted values (from the Spark API or the manifest) for markdown.
//!
//! A value comes out as inert inline text: it cannot end a table cell, start a block, open an HTML tag,
//! format text, make a link, or mention a user or team, wherever it is placed in a table cell or a list item.

/// The longest value shown, in characters; longer values are cut with a note (the JSON result keeps them).
pub const MAX_VALUE_CHARS: usize = 4000;

/// Word joiner: invisible, breaks `@name` mentions without changing what a reader sees.
const WORD_JOINER: char = '\u{2060}';

/// Escapes `value` as inline markdown text, newlines as `<br>`, cut at [`MAX_VALUE_CHARS`].
pub fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + value.len() / 8);
    let mut chars = value.chars().peekable();
    let mut taken = 0;
    while let Some(c) = chars.next() {
        if taken == MAX_VALUE_CHARS {
            let rest = 1 + chars.count();
            out.push_str(&format!(" … ({rest} more characters)"));
            break;
        }
        taken += 1;
        match c {
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
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '@' => {
                out.push('@');
                out.push(WORD_JOINER);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
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
    fn urls_cannot_close_a_link() {
        assert_eq!(url("https://x/a b)(c"), "https://x/a%20b%29%28c");
    }
}
