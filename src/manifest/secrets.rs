//! `${VAR}` references: the only way a manifest may hold a secret.
//!
//! A secret field's whole value must be exactly one reference, `${NAME}`, where `NAME` is an environment
//! variable name made of upper-case letters, digits and `_`, not starting with a digit. Nothing in this module
//! ever puts the text of a secret field (which may be a pasted token) or a variable's value into a message.
use secrecy::SecretString;

/// An environment lookup: `Some(value)` when the variable is set. Injected so that tests never touch the
/// process environment; the binary passes `|name| std::env::var(name).ok()`.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The variable name in `text` when it is exactly one well-formed `${NAME}` reference (also as protected in a
/// flow collection, see `flow`).
pub(crate) fn reference(text: &str) -> Option<&str> {
    let name = text
        .strip_prefix("${")
        .or_else(|| text.strip_prefix(super::flow::PROTECTED_OPEN))?;
    let name = name
        .strip_suffix('}')
        .or_else(|| name.strip_suffix(super::flow::PROTECTED_CLOSE))?;
    is_variable_name(name).then_some(name)
}

/// Whether `text` looks like an attempt at a reference (so the error can say what is wrong with it).
pub(crate) fn looks_like_reference(text: &str) -> bool {
    text.starts_with('$')
}

/// `[A-Z_][A-Z0-9_]*`.
pub(crate) fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_uppercase() || first == '_')
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Why a secret field could not be read; the message names the field and, once known, the variable.
pub(crate) fn field_error(field: &str, text: &str) -> String {
    if looks_like_reference(text) {
        format!(
            "`{field}` must be exactly one ${{VAR}} reference whose name has only upper-case letters, digits \
             and `_` and does not start with a digit (the value is not shown)"
        )
    } else {
        format!(
            "`{field}` must be a ${{VAR}} reference to an environment variable, not a literal value \
             (the value is not shown); e.g. {field}: \"${{SPARK_TOKEN}}\""
        )
    }
}

/// The value of variable `name`, which must be set, non-empty and free of control characters (a trailing line
/// break pasted into a CI secret would otherwise end up in an HTTP header).
pub(crate) fn resolve(name: &str, env: EnvLookup<'_>) -> Result<SecretString, String> {
    match env(name) {
        None => Err(format!("environment variable {name} is not set")),
        Some(value) if value.is_empty() => Err(format!("environment variable {name} is empty")),
        Some(value) if value.chars().any(char::is_control) => Err(format!(
            "environment variable {name} contains a line break or another control character; remove it"
        )),
        Some(value) => Ok(SecretString::from(value)),
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn a_reference_is_exactly_one_upper_case_variable() {
        assert_eq!(reference("${SPARK_TOKEN}"), Some("SPARK_TOKEN"));
        assert_eq!(reference("${_X1}"), Some("_X1"));
        for bad in [
            "$SPARK", "${spark}", "${1X}", "${}", "${A}${B}", "x${A}", "${A} ", "${A-B}",
        ] {
            assert_eq!(reference(bad), None, "{bad}");
        }
    }

    #[test]
    fn field_errors_never_echo_the_value() {
        for text in ["tok-3f9a8b", "${tok-3f9a8b}"] {
            let message = field_error("bearer", text);
            assert!(!message.contains("3f9a8b"), "{message}");
        }
    }

    #[test]
    fn resolve_names_the_variable_and_never_the_value() {
        let env = |name: &str| match name {
            "EMPTY" => Some(String::new()),
            "NEWLINE" => Some("hunter2\n".into()),
            "SET" => Some("hunter2".into()),
            _ => None,
        };
        assert_eq!(resolve("SET", &env).unwrap().expose_secret(), "hunter2");
        for (name, expected) in [
            ("MISSING", "is not set"),
            ("EMPTY", "is empty"),
            ("NEWLINE", "line break"),
        ] {
            let message = resolve(name, &env).unwrap_err();
            assert!(
                message.contains(name) && message.contains(expected),
                "{message}"
            );
            assert!(!message.contains("hunter2"), "{message}");
        }
    }
}
