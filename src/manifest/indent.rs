//! A key indented unlike its siblings: YAML then reads it as part of another value (too deep) or ends the
//! mapping before it (too shallow), and the parser's own words (`did not find expected key`, `missing
//! required field `to``) point elsewhere. This finds the line, and says how to indent it, with a snippet.

/// Where the mis-indented key is (1-based line and column) and what to say: the hint, then a snippet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Misindented {
    pub line: usize,
    pub column: usize,
    pub hint: String,
    pub snippet: String,
}

/// A line's indentation and its key (`to` for `   to: prod`, `name` for `- name: p`).
fn key_of(line: &str) -> Option<(usize, &str)> {
    let trimmed = line.trim_start();
    let item = trimmed.strip_prefix("- ").unwrap_or(trimmed);
    let indent = line.len() - item.len();
    let (key, _) = item.split_once(':')?;
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    plain.then_some((indent, key))
}

/// Whether a line holds nothing for YAML (blank or a comment).
fn is_blank(line: &str) -> bool {
    let trimmed = line.trim_start();
    trimmed.is_empty() || trimmed.starts_with('#')
}

/// The lines before `line` (1-based) that hold something, nearest first, with their 1-based numbers.
fn before<'s>(lines: &'s [&'s str], line: usize) -> impl Iterator<Item = (usize, &'s str)> {
    (0..line.saturating_sub(1))
        .rev()
        .map(move |i| (i + 1, lines[i]))
        .filter(|(_, text)| !is_blank(text))
}

/// A required `field` the parser did not find in the mapping whose first key is on `line`: a `field:` line
/// further down, indented unlike the mapping's keys, before the mapping's list item ends.
pub(crate) fn missing_field(source: &str, line: usize, field: &str) -> Option<Misindented> {
    let lines: Vec<&str> = source.lines().collect();
    let (indent, sibling) = key_of(lines.get(line.checked_sub(1)?)?)?;
    for (i, text) in lines.iter().enumerate().skip(line) {
        if is_blank(text) {
            continue;
        }
        let Some((found, key)) = key_of(text) else {
            continue;
        };
        let next_item = text.trim_start().starts_with("- ") && found <= indent;
        if next_item || found + 2 < indent {
            return None;
        }
        if key == field && found != indent {
            return Some(hint(&lines, i + 1, found, (line, sibling, indent)));
        }
    }
    None
}

/// A key on `line` that the parser did not expect: indented deeper than the key before it, which holds a
/// value on its own line (so the deeper key cannot belong to it).
pub(crate) fn unexpected_key(source: &str, line: usize) -> Option<Misindented> {
    let lines: Vec<&str> = source.lines().collect();
    let (found, _) = key_of(lines.get(line.checked_sub(1)?)?)?;
    let (previous_line, previous) = before(&lines, line).next()?;
    let (indent, sibling) = key_of(previous)?;
    let holds_a_value = !previous.trim_end().ends_with(':');
    (found > indent && holds_a_value)
        .then(|| hint(&lines, line, found, (previous_line, sibling, indent)))
}

/// The hint for the key on `line` at `found` spaces, whose sibling `(line, key, indent)` shows the right
/// indentation.
fn hint(lines: &[&str], line: usize, found: usize, sibling: (usize, &str, usize)) -> Misindented {
    let (sibling_line, sibling_key, indent) = sibling;
    let text = lines[line - 1];
    let key = key_of(text).map_or("", |(_, key)| key);
    let number = line.to_string();
    let gutter = " ".repeat(number.len());
    let shown: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    Misindented {
        line,
        column: found + 1,
        hint: format!(
            "`{key}:` is indented {found} spaces, but `{sibling_key}:` on line {sibling_line} (same \
             mapping) {indent}: indent `{key}:` by {indent} spaces"
        ),
        snippet: format!(
            " {number} | {shown}\n {gutter} | {}^ move to column {}",
            " ".repeat(found),
            indent + 1
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHALLOW: &str = "promotions:\n  - name: p\n    from:\n      environment: uat\n      services: [a/b]\n   to: prod\n";

    #[test]
    fn a_required_key_indented_too_little_is_found_below_the_mapping() {
        let found = missing_field(SHALLOW, 2, "to").unwrap();
        assert_eq!((found.line, found.column), (6, 4));
        assert_eq!(
            found.hint,
            "`to:` is indented 3 spaces, but `name:` on line 2 (same mapping) 4: indent `to:` by 4 spaces"
        );
        assert_eq!(
            found.snippet,
            " 6 |    to: prod\n   |    ^ move to column 5"
        );
    }

    #[test]
    fn a_key_indented_too_deep_is_named_with_the_key_before_it() {
        let deep = "promotions:\n  - name: p\n    from: { package: a.zip }\n     to: prod\n";
        let found = unexpected_key(deep, 4).unwrap();
        assert_eq!((found.line, found.column), (4, 6));
        assert!(
            found
                .hint
                .starts_with("`to:` is indented 5 spaces, but `from:` on line 3")
        );
    }

    #[test]
    fn a_well_indented_manifest_gets_no_hint() {
        let fine =
            "promotions:\n  - name: p\n    from: { package: a.zip }\n  - name: q\n    to: prod\n";
        assert_eq!(
            missing_field(fine, 2, "to"),
            None,
            "the next promotion's `to:`"
        );
        let nested = "promotions:\n  - name: p\n    from:\n      package: a.zip\n";
        assert_eq!(unexpected_key(nested, 4), None);
    }
}
