//! The design's manifest writes secret references unquoted inside flow mappings
//! (`auth: { bearer: ${SPARK_PROD_TOKEN} }`), which YAML reads as a nested mapping. Before parsing, such
//! references (unquoted, inside `{ }` or `[ ]`) have their braces swapped for two private-use characters,
//! which keeps every line and column where it was; [`restore`] turns them back wherever text is read.

/// Stands for `{` of a protected reference.
const OPEN: char = '\u{E000}';
/// Stands for `}` of a protected reference.
const CLOSE: char = '\u{E001}';
/// How a protected reference starts and ends.
pub(crate) const PROTECTED_OPEN: &str = "$\u{E000}";
pub(crate) const PROTECTED_CLOSE: char = CLOSE;

/// Protects unquoted `${NAME}` references inside flow collections (outside quotes and comments).
pub(crate) fn protect(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let (mut depth, mut quote, mut comment) = (0usize, None::<char>, false);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match (comment, quote) {
            (true, _) => comment = c != '\n',
            (false, Some(open)) => {
                if c == open && !(open == '"' && i > 0 && chars[i - 1] == '\\') {
                    quote = None;
                }
            }
            (false, None) => match c {
                '#' if i == 0 || chars[i - 1].is_whitespace() => comment = true,
                '"' | '\'' => quote = Some(c),
                '{' | '[' => depth += 1,
                '}' | ']' => depth = depth.saturating_sub(1),
                '$' if depth > 0 => {
                    if let Some(len) = reference_len(&chars[i..]) {
                        out.push('$');
                        out.push(OPEN);
                        out.extend(&chars[i + 2..i + len - 1]);
                        out.push(CLOSE);
                        i += len;
                        continue;
                    }
                }
                _ => {}
            },
        }
        out.push(c);
        i += 1;
    }
    out
}

/// The length of a well-formed `${NAME}` at the start of `chars`.
fn reference_len(chars: &[char]) -> Option<usize> {
    if chars.get(1) != Some(&'{') {
        return None;
    }
    let end = chars.iter().position(|c| *c == '}')?;
    let name: String = chars[2..end].iter().collect();
    super::secrets::is_variable_name(&name).then_some(end + 1)
}

/// Undoes [`protect`] in a value or a message.
pub(crate) fn restore(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains([OPEN, CLOSE]) {
        text.replace(OPEN, "{").replace(CLOSE, "}").into()
    } else {
        text.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_references_are_protected_in_place_and_restored() {
        let text =
            "auth: { bearer: ${SPARK_PROD_TOKEN} }  # ${NOT_IN_COMMENTS}\nbearer: ${BLOCK}\n";
        let protected = protect(text);
        assert_eq!(protected.chars().count(), text.chars().count());
        assert!(protected.contains("$\u{E000}SPARK_PROD_TOKEN\u{E001}"));
        assert!(protected.contains("# ${NOT_IN_COMMENTS}"));
        assert!(protected.contains("bearer: ${BLOCK}"));
        assert_eq!(restore(&protected), text);
    }

    #[test]
    fn quoted_and_malformed_references_are_left_alone() {
        for text in [
            "{ bearer: \"${A}\" }",
            "{ bearer: '${A}' }",
            "{ bearer: ${lower} }",
            "{ bearer: ${A }",
            "{ bearer: $A }",
        ] {
            assert_eq!(protect(text), text);
        }
    }
}
