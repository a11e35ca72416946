//! Manifest errors located by file, line and column, and the translation of YAML parser errors into them.
use std::fmt;

use serde_saphyr::budget::BudgetBreach;
use serde_saphyr::{Error as YamlError, Location, MessageFormatter, UserMessageFormatter};

/// One problem in a manifest, at a 1-based line and column (both 0 when it concerns the whole file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The manifest's file name, as the user gave it.
    pub file: String,
    /// 1-based line, or 0 for the whole file.
    pub line: usize,
    /// 1-based column, or 0 for the whole file.
    pub column: usize,
    /// Lower-case message saying what is wrong and what was expected; never contains a secret's value.
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic at a location in the file.
    pub(crate) fn at(file: &str, location: Location, message: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            line: location.line() as usize,
            column: location.column() as usize,
            message: super::flow::restore(&message.into()).into_owned(),
        }
    }

    /// A diagnostic about the whole file.
    pub(crate) fn whole_file(file: &str, message: impl Into<String>) -> Self {
        Self::at(file, Location::UNKNOWN, message)
    }
}

impl fmt::Display for Diagnostic {
    /// `file:line:col: message`, or `file: message` for the whole file.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file, self.line, self.column, self.message
            )
        }
    }
}

/// Everything wrong with a manifest: a YAML or shape error stops at the first, but once the file parses every
/// semantic problem is reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestError {
    /// The problems, in file order.
    pub diagnostics: Vec<Diagnostic>,
}

impl ManifestError {
    /// An error made of one diagnostic.
    pub(crate) fn one(diagnostic: Diagnostic) -> Self {
        Self {
            diagnostics: vec![diagnostic],
        }
    }
}

impl fmt::Display for ManifestError {
    /// One `file:line:col: message` per line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, diagnostic) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{diagnostic}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ManifestError {}

/// Translates a parser error into a diagnostic, rewording the parser's terms in the manifest's. A value of
/// the wrong type is named by its `key` (the path the deserializer was reading: `promotions[0].from.services`)
/// and said what it is.
pub(crate) fn from_yaml(
    file: &str,
    source: &str,
    key: Option<&str>,
    error: &YamlError,
) -> Diagnostic {
    let error = innermost(error);
    let location = error.location().unwrap_or(Location::UNKNOWN);
    let mut message = reword(error);
    if let YamlError::Unexpected { .. } | YamlError::InvalidScalar { .. } = error {
        message.push_str(&format!(", found {}", found(source, location)));
    }
    if let Some(key) = key.filter(|_| is_wrong_type(error)) {
        if let Some(items) = list_items(key).filter(|_| message.starts_with("expected a list,")) {
            message =
                message.replacen("expected a list", &format!("expected a list of {items}"), 1);
        }
        message = format!("{key}: {message}");
    }
    if message.contains("flow mapping") && line_of(source, location).contains("${") {
        message.push_str(
            "; a ${VAR} reference inside { } must be quoted (\"${VAR}\") or written in block style",
        );
    }
    if let Some(misindented) = misindented(source, location, error) {
        return Diagnostic {
            file: file.to_owned(),
            line: misindented.line,
            column: misindented.column,
            message: format!(
                "{}; {}\n{}",
                sanitise(&message),
                misindented.hint,
                misindented.snippet
            ),
        };
    }
    Diagnostic::at(file, location, sanitise(&message))
}

/// A key indented unlike its siblings, when that is what the parser's error comes from.
fn misindented(
    source: &str,
    location: Location,
    error: &YamlError,
) -> Option<super::indent::Misindented> {
    let line = location.line() as usize;
    match error {
        YamlError::SerdeMissingField { field, .. } => {
            super::indent::missing_field(source, line, field)
        }
        _ if reword(error).contains("did not find expected key") => {
            super::indent::unexpected_key(source, line)
        }
        _ => None,
    }
}

/// The error itself, without the snippet and alias wrappers (whose location is the alias's use).
fn innermost(error: &YamlError) -> &YamlError {
    match error.without_snippet() {
        YamlError::AliasError { error, .. } => innermost(error),
        other => other,
    }
}

/// What the items of the manifest's list at `key` are, said as the manifest writes them.
fn list_items(key: &str) -> Option<&'static str> {
    let mut shape = String::new();
    let mut in_index = false;
    for c in key.chars() {
        match c {
            '[' => in_index = true,
            ']' => {
                in_index = false;
                shape.push_str("[]");
            }
            _ if !in_index => shape.push(c),
            _ => {}
        }
    }
    Some(match shape.as_str() {
        "promotions" => "{name, from, to, ...}",
        "promotions[].services" => "{source, destination, update_version_type}",
        "promotions[].from.services" => {
            "services (folder/service, folder/service[version] or an id)"
        }
        "promotions[].from.folders" => "folder names",
        "promotions[].from.version_ids" => "version ids",
        _ => return None,
    })
}

/// An error about a value's type (a list where a string belongs, a word where a number does).
fn is_wrong_type(error: &YamlError) -> bool {
    matches!(
        error,
        YamlError::Unexpected { .. }
            | YamlError::NullIntoString { .. }
            | YamlError::InvalidScalar { .. }
    )
}

/// What the manifest holds at `location`: a mapping, a list, or a single value by its look.
fn found(source: &str, location: Location) -> &'static str {
    let line = line_of(source, location);
    let rest: String = line
        .chars()
        .skip(location.column().saturating_sub(1) as usize)
        .collect();
    let value = rest.trim();
    // A single value ends where a flow collection's next entry or end begins, or a comment.
    let scalar = value
        .split([',', '}', ']'])
        .next()
        .unwrap_or_default()
        .split(" #")
        .next()
        .unwrap_or_default()
        .trim();
    match value.chars().next() {
        Some('{') => "a mapping",
        Some('[') => "a list",
        Some('-') if value.starts_with("- ") || value == "-" => "a list",
        None | Some('#') => "an empty value",
        _ if scalar.parse::<f64>().is_ok() => "a number",
        _ if matches!(scalar, "true" | "false") => "true or false",
        _ => "a string",
    }
}

fn reword(error: &YamlError) -> String {
    match error {
        YamlError::SerdeUnknownField {
            field, expected, ..
        } => unknown("field", field, expected),
        YamlError::SerdeUnknownVariant {
            variant, expected, ..
        } => unknown("value", variant, expected),
        YamlError::SerdeMissingField { field, .. } => format!("missing required field `{field}`"),
        YamlError::Unexpected { expected, .. } => expected_kind(expected),
        YamlError::NullIntoString { .. } => "expected a string, found an empty value".into(),
        YamlError::InvalidScalar { ty, .. } => match *ty {
            "bool" | "boolean" => "expected true or false".into(),
            ty if ty.starts_with('u') || ty.starts_with('i') => "expected a whole number".into(),
            other => format!("expected a value of type {other}"),
        },
        YamlError::Budget { breach, .. } => budget(breach),
        YamlError::AliasReplayLimitExceeded { .. }
        | YamlError::AliasExpansionLimitExceeded { .. }
        | YamlError::AliasReplayStackDepthExceeded { .. }
        | YamlError::AliasReplayCounterOverflow { .. } => {
            "aliases expand to too much data (a YAML alias bomb?); write the values out instead"
                .into()
        }
        YamlError::MultipleDocuments { .. } => {
            "the manifest must be a single YAML document (remove the `---` separators)".into()
        }
        other => UserMessageFormatter.format_message(other).into_owned(),
    }
}

/// `unknown field `service_existing`, expected one of: ...; did you mean `services_existing`?`
fn unknown(what: &str, found: &str, expected: &[&str]) -> String {
    let mut message = format!(
        "unknown {what} `{found}`, expected one of: {}",
        expected.join(", ")
    );
    if let Some(best) = closest(found, expected) {
        message.push_str(&format!("; did you mean `{best}`?"));
    }
    message
}

/// The expected name nearest to `found`, when it is near enough to be a typo.
fn closest<'a>(found: &str, expected: &[&'a str]) -> Option<&'a str> {
    expected
        .iter()
        .map(|candidate| (edit_distance(found, candidate), *candidate))
        .filter(|(distance, candidate)| *distance <= (candidate.len() / 3).max(1))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

fn expected_kind(parser_term: &str) -> String {
    let kind = match parser_term {
        "string scalar" | "scalar" => "a single value",
        "sequence start" => "a list",
        "mapping start" => "a mapping (key: value pairs)",
        other => other,
    };
    format!("expected {kind}")
}

fn budget(breach: &BudgetBreach) -> String {
    match breach {
        BudgetBreach::Depth { .. } => format!(
            "the manifest is nested too deeply (more than {} levels)",
            super::parse::MAX_DEPTH
        ),
        BudgetBreach::Aliases { .. }
        | BudgetBreach::Anchors { .. }
        | BudgetBreach::AliasAnchorRatio { .. }
        | BudgetBreach::RecordedAnchorEvents { .. }
        | BudgetBreach::RecordedAnchorBytes { .. }
        | BudgetBreach::MergeKeys { .. } => {
            "the manifest uses too many anchors, aliases or merge keys (a YAML alias bomb?)".into()
        }
        BudgetBreach::Documents { .. } => {
            "the manifest must be a single YAML document (remove the `---` separators)".into()
        }
        other => format!("the manifest is too large or complex ({other:?})"),
    }
}

/// The text of the line holding `location` (empty when unknown).
fn line_of(source: &str, location: Location) -> &str {
    let line = location.line() as usize;
    if line == 0 {
        return "";
    }
    source.lines().nth(line - 1).unwrap_or("")
}

/// Escapes control characters, so a crafted key cannot forge extra lines in logs or annotations.
fn sanitise(message: &str) -> String {
    if message.chars().any(char::is_control) {
        message.escape_debug().to_string()
    } else {
        message.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_get_a_suggestion_and_strangers_do_not() {
        let fields = ["services_existing", "update_version_type", "services"];
        assert_eq!(
            closest("service_existing", &fields),
            Some("services_existing")
        );
        assert_eq!(closest("update_type", &fields), None);
        assert_eq!(closest("wait_timeout", &fields), None);
    }

    #[test]
    fn display_is_one_located_line_per_diagnostic() {
        let error = ManifestError {
            diagnostics: vec![
                Diagnostic {
                    file: "m.yaml".into(),
                    line: 3,
                    column: 7,
                    message: "first".into(),
                },
                Diagnostic {
                    file: "m.yaml".into(),
                    line: 0,
                    column: 0,
                    message: "second".into(),
                },
            ],
        };
        assert_eq!(error.to_string(), "m.yaml:3:7: first\nm.yaml: second");
    }
}
