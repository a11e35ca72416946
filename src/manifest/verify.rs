//! A promotion's behaviour checks as written and validated: `verify:` (cases, outputs, tolerance,
//! on_failure), `after:` (promotions imported first) and `xcalls:` (the services a promoted service calls,
//! which Spark cannot list).
//!
//! Rules (also in the JSON Schema descriptions):
//! - `verify.cases` is a non-empty list of files or globs, relative to the manifest's directory, ending
//!   in `.json` or `.csv`; they are opened where they are used (the verification), not here.
//! - `verify.service` is `folder/service` in the source; it may be left out when `from.services` names
//!   exactly one service by `folder/service`.
//! - `verify.outputs`, when given, is a non-empty list of distinct names; `tolerance.absolute` and
//!   `tolerance.relative` are finite and not negative (default 0: exact).
//! - `on_failure: rollback` needs a backup (`backup: false` is refused).
//! - `after` names other promotions of the manifest, without cycles; `xcalls` entries are
//!   `folder/service` or `folder/service[version]`.
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_saphyr::{Location, Spanned};

use super::raw::RawSource;

/// `verify:` as written.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Verify")]
pub(crate) struct RawVerify {
    /// The source service (`folder/service`) the cases run against; default: the promotion's one service.
    #[schemars(with = "Option<String>")]
    pub service: Option<Spanned<String>>,
    /// Case files or globs (`.json`: a list of records; `.csv`: a header row, then one record per row),
    /// relative to the manifest's directory. A record is the inputs by name; a column or key written
    /// `expected.NAME` is an expected output.
    #[schemars(with = "Vec<String>", length(min = 1))]
    pub cases: Spanned<Vec<Spanned<String>>>,
    /// The outputs compared; default: every output.
    #[schemars(with = "Option<Vec<String>>", length(min = 1))]
    pub outputs: Option<Spanned<Vec<Spanned<String>>>>,
    /// How far a number may move and still count as the same (either bound suffices).
    pub tolerance: Option<RawTolerance>,
    /// What a mismatch after an import does: `fail` (default) or `rollback` (restore the backup once).
    #[serde(default)]
    pub on_failure: OnFailure,
}

/// Tolerance as written.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Tolerance")]
pub(crate) struct RawTolerance {
    /// The largest absolute difference that counts as equal (default 0).
    #[schemars(with = "Option<f64>", range(min = 0))]
    pub absolute: Option<Spanned<f64>>,
    /// The largest difference relative to the larger magnitude that counts as equal (default 0;
    /// `0.001` is 0.1 %).
    #[schemars(with = "Option<f64>", range(min = 0))]
    pub relative: Option<Spanned<f64>>,
}

/// What a verification that fails after an import does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OnFailure {
    /// Fail the promotion, with the differing cases in the summary.
    #[default]
    Fail,
    /// Fail, and restore the backup taken before the import (once).
    Rollback,
}

/// A promotion's validated `verify:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verify {
    /// The source service (`folder/service`) the cases are for.
    pub service: String,
    /// The case files or globs: as written, and resolved against the manifest's directory.
    pub cases: Vec<CasesPattern>,
    /// The outputs compared (empty: all).
    pub outputs: Vec<String>,
    pub tolerance: Tolerance,
    pub on_failure: OnFailure,
}

/// One entry of `verify.cases`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CasesPattern {
    /// As written in the manifest.
    pub display: String,
    /// Joined to the manifest's directory.
    pub path: PathBuf,
}

/// How far numbers may differ and still be equal: within `absolute`, or within `relative` × the larger
/// magnitude. Both are finite and not negative (checked), so equality of the bounds is total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Tolerance {
    pub absolute: f64,
    pub relative: f64,
}

impl Eq for Tolerance {}

impl Tolerance {
    /// Whether `a` and `b` are equal within the tolerance.
    /// The bounds are inclusive, with a few units of rounding error allowed (100.01 − 100 is
    /// 0.010000000000005 in binary floating point).
    pub fn accepts(&self, a: f64, b: f64) -> bool {
        let change = (a - b).abs();
        let magnitude = a.abs().max(b.abs());
        let rounding = 4.0 * f64::EPSILON * magnitude;
        change <= self.absolute + rounding || change <= self.relative * magnitude + rounding
    }
}

/// A problem at a location.
pub(crate) type Problem = (Location, String);

/// `verify:`, `after:` and `xcalls:` of one promotion as written.
pub(crate) struct RawBehaviour {
    pub verify: Option<Spanned<RawVerify>>,
    pub after: Vec<Spanned<String>>,
    pub xcalls: Vec<Spanned<String>>,
}

/// The same, validated.
pub(crate) struct Behaviour {
    pub verify: Option<Verify>,
    pub after: Vec<String>,
    pub xcalls: Vec<String>,
}

/// Validates a promotion's `verify:`, `after:` and `xcalls:`, reporting every problem.
pub(crate) fn check_behaviour(
    name: &str,
    from: &RawSource,
    backs_up: bool,
    raw: RawBehaviour,
    base_dir: &Path,
    promotions: &[String],
) -> Result<Behaviour, Vec<Problem>> {
    let single = single_service(from);
    let verify = raw.verify.map(|verify| {
        check_verify(
            verify.value,
            verify.referenced,
            base_dir,
            single.as_deref(),
            backs_up,
        )
    });
    let after = check_after(name, raw.after, promotions);
    let xcalls = check_xcalls(raw.xcalls);
    match (verify.transpose(), after, xcalls) {
        (Ok(verify), Ok(after), Ok(xcalls)) => Ok(Behaviour {
            verify,
            after,
            xcalls,
        }),
        (verify, after, xcalls) => Err([verify.err(), after.err(), xcalls.err()]
            .into_iter()
            .flatten()
            .flatten()
            .collect()),
    }
}

/// The promotion's one `folder/service` (its version left out), if `from` names exactly one service and
/// nothing else.
fn single_service(from: &RawSource) -> Option<String> {
    let services = &from.services.as_ref()?.value;
    let empty = |list: &Option<Spanned<Vec<Spanned<String>>>>| {
        list.as_ref().is_none_or(|l| l.value.is_empty())
    };
    if services.len() != 1 || !empty(&from.folders) || !empty(&from.version_ids) {
        return None;
    }
    let uri = services[0].value.split('[').next()?;
    super::validate::check_folder_service(uri).ok()?;
    Some(uri.to_owned())
}

/// Validates `verify:`. `single_service` is the promotion's one `folder/service`, if it has exactly one.
fn check_verify(
    raw: RawVerify,
    at: Location,
    base_dir: &Path,
    single_service: Option<&str>,
    backs_up: bool,
) -> Result<Verify, Vec<Problem>> {
    let mut problems = Vec::new();
    let service = match (raw.service, single_service) {
        (Some(service), _) => {
            if let Err(message) = super::validate::check_folder_service(&service.value) {
                problems.push((service.referenced, message));
            }
            service.value
        }
        (None, Some(single)) => single.to_owned(),
        (None, None) => {
            problems.push((at, "`verify.service` is required: the promotion does not name exactly one `folder/service` in `from.services`".to_owned()));
            String::new()
        }
    };
    let cases = cases(raw.cases, base_dir, &mut problems);
    let outputs = names("verify.outputs", raw.outputs, &mut problems);
    let tolerance = tolerance(raw.tolerance, &mut problems);
    if raw.on_failure == OnFailure::Rollback && !backs_up {
        problems.push((
            at,
            "`on_failure: rollback` needs a backup: remove `backup: false`".to_owned(),
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Verify {
        service,
        cases,
        outputs,
        tolerance,
        on_failure: raw.on_failure,
    })
}

fn cases(
    raw: Spanned<Vec<Spanned<String>>>,
    base_dir: &Path,
    problems: &mut Vec<Problem>,
) -> Vec<CasesPattern> {
    if raw.value.is_empty() {
        problems.push((
            raw.referenced,
            "`verify.cases` must name at least one file or glob".into(),
        ));
    }
    let mut cases = Vec::new();
    for entry in raw.value {
        let text = entry.value;
        let lower = text.to_ascii_lowercase();
        let problem = if text.trim().is_empty() {
            Some("a cases entry must not be empty".to_owned())
        } else if Path::new(&text).is_absolute() {
            Some(format!(
                "cases path `{text}` must be relative to the manifest's directory"
            ))
        } else if !(lower.ends_with(".json") || lower.ends_with(".csv")) {
            Some(format!("cases `{text}` must end in .json or .csv"))
        } else if glob::Pattern::new(&text).is_err() {
            Some(format!("cases `{text}` is not a valid glob"))
        } else {
            None
        };
        match problem {
            Some(message) => problems.push((entry.referenced, message)),
            None => cases.push(CasesPattern {
                path: base_dir.join(&text),
                display: text,
            }),
        }
    }
    cases
}

/// A list of distinct, non-empty names (`verify.outputs`).
fn names(
    field: &str,
    raw: Option<Spanned<Vec<Spanned<String>>>>,
    problems: &mut Vec<Problem>,
) -> Vec<String> {
    let Some(raw) = raw else { return Vec::new() };
    if raw.value.is_empty() {
        problems.push((
            raw.referenced,
            format!("`{field}` must not be empty (leave it out to compare every output)"),
        ));
    }
    let mut seen: Vec<String> = Vec::new();
    for name in raw.value {
        if name.value.trim().is_empty() {
            problems.push((
                name.referenced,
                format!("`{field}` entries must not be empty"),
            ));
        } else if seen.contains(&name.value) {
            problems.push((
                name.referenced,
                format!("`{}` appears twice in `{field}`", name.value),
            ));
        } else {
            seen.push(name.value);
        }
    }
    seen
}

fn tolerance(raw: Option<RawTolerance>, problems: &mut Vec<Problem>) -> Tolerance {
    let Some(raw) = raw else {
        return Tolerance::default();
    };
    let mut bound = |field: &str, value: Option<Spanned<f64>>| {
        let value = value?;
        if value.value.is_finite() && value.value >= 0.0 {
            Some(value.value)
        } else {
            problems.push((
                value.referenced,
                format!(
                    "`tolerance.{field}` must be a number of 0 or more, got {}",
                    value.value
                ),
            ));
            None
        }
    };
    Tolerance {
        absolute: bound("absolute", raw.absolute).unwrap_or_default(),
        relative: bound("relative", raw.relative).unwrap_or_default(),
    }
}

/// Validates `xcalls:` entries: `folder/service` with an optional `[version]`.
fn check_xcalls(raw: Vec<Spanned<String>>) -> Result<Vec<String>, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut xcalls = Vec::new();
    for entry in raw {
        let text = entry.value;
        let uri = match text.split_once('[') {
            Some((uri, version)) if version.ends_with(']') && version.len() > 1 => uri,
            Some(_) => {
                problems.push((
                    entry.referenced,
                    format!("xcall `{text}`: expected folder/service[version]"),
                ));
                continue;
            }
            None => text.as_str(),
        };
        match super::validate::check_folder_service(uri) {
            Ok(()) => xcalls.push(text),
            Err(message) => problems.push((entry.referenced, message)),
        }
    }
    if problems.is_empty() {
        Ok(xcalls)
    } else {
        Err(problems)
    }
}

/// Validates `after:` of one promotion: known promotion names, not itself.
fn check_after(
    name: &str,
    raw: Vec<Spanned<String>>,
    promotions: &[String],
) -> Result<Vec<String>, Vec<Problem>> {
    let mut problems = Vec::new();
    for entry in &raw {
        if entry.value == name {
            problems.push((
                entry.referenced,
                format!("promotion `{name}` cannot come after itself"),
            ));
        } else if !promotions.contains(&entry.value) {
            problems.push((
                entry.referenced,
                format!(
                    "`after`: unknown promotion `{}`, expected one of: {}",
                    entry.value,
                    promotions.join(", ")
                ),
            ));
        }
    }
    if problems.is_empty() {
        Ok(raw.into_iter().map(|entry| entry.value).collect())
    } else {
        Err(problems)
    }
}

/// The first cycle among `after:` declarations (`a → b → a`), if there is one.
pub(crate) fn after_cycle(promotions: &[(String, Vec<String>)]) -> Option<Vec<String>> {
    fn visit(
        name: &str,
        graph: &[(String, Vec<String>)],
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|p| p == name) {
            let mut cycle = path[start..].to_vec();
            cycle.push(name.to_owned());
            return Some(cycle);
        }
        path.push(name.to_owned());
        let edges = graph
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, e)| e.as_slice());
        for next in edges.unwrap_or_default() {
            if let Some(cycle) = visit(next, graph, path) {
                return Some(cycle);
            }
        }
        path.pop();
        None
    }
    promotions
        .iter()
        .find_map(|(name, _)| visit(name, promotions, &mut Vec::new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerance_accepts_within_either_bound_and_exact_by_default() {
        let exact = Tolerance::default();
        assert!(exact.accepts(1.5, 1.5) && !exact.accepts(1.5, 1.500_000_1));
        let t = Tolerance {
            absolute: 0.01,
            relative: 0.001,
        };
        assert!(t.accepts(100.0, 100.01), "absolute edge");
        assert!(t.accepts(1000.0, 1001.0), "relative edge: 0.1 % of 1001");
        assert!(!t.accepts(1.0, 1.02), "outside both");
        assert!(!t.accepts(1000.0, 1001.1));
    }

    #[test]
    fn a_cycle_of_after_is_found_and_a_chain_is_not_one() {
        let graph = |edges: &[(&str, &[&str])]| -> Vec<(String, Vec<String>)> {
            edges
                .iter()
                .map(|(n, e)| ((*n).to_owned(), e.iter().map(|s| (*s).to_owned()).collect()))
                .collect()
        };
        assert_eq!(
            after_cycle(&graph(&[("a", &["b"]), ("b", &["c"]), ("c", &[])])),
            None
        );
        assert_eq!(
            after_cycle(&graph(&[("a", &["b"]), ("b", &["a"])])),
            Some(vec!["a".to_owned(), "b".to_owned(), "a".to_owned()])
        );
    }
}
