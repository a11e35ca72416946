//! Comparing two sets of answers to the same cases (pure): which cases changed, which failed, and the
//! largest changes.
use serde::Serialize;
use serde_json::{Map, Value};

use super::cases::Case;
use crate::manifest::Tolerance;
use crate::spark::RecordResult;

/// The most changes a comparison keeps (the largest first).
pub const LARGEST: usize = 10;
/// The most per-record warnings a comparison keeps.
const WARNINGS: usize = 20;

/// How the answers of `after` compare with those of `now` for the same cases.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Comparison {
    /// What `now` is: an environment's answers, or `expected` (the cases' expected outputs).
    pub now: String,
    /// What `after` is: the environment (and version) whose answers are checked.
    pub after: String,
    /// Cases run.
    pub cases: usize,
    /// Cases with at least one compared output that differs beyond the tolerance.
    pub changed: usize,
    /// Cases with nothing to compare (no expected output given).
    pub unchecked: usize,
    /// The largest changes, numbers first by the size of the change, then texts.
    pub largest: Vec<Change>,
    /// Cases whose execution reported errors, on either side.
    pub failed: Vec<Failure>,
    /// Warnings: the client's (a v4 refusal) and the first per-record ones.
    pub warnings: Vec<String>,
    /// API calls made, both sides together.
    pub calls: usize,
    /// How the numeric changes spread: changed outputs per bucket of relative change ([`SPREAD`]).
    pub spread: [usize; SPREAD.len()],
    /// The first answers (at most [`LARGEST`]) when there was nothing to compare them with: a service
    /// new to the destination.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<Answer>,
}

/// The buckets of [`Comparison::spread`]: relative change (after − now, of |now|) up to each bound, in
/// percent; the last takes the rest (and changes from zero).
pub const SPREAD: [(&str, f64); 6] = [
    ("under -10%", -10.0),
    ("-10 to -1%", -1.0),
    ("-1 to 0%", 0.0),
    ("0 to 1%", 1.0),
    ("1 to 10%", 10.0),
    ("over 10%", f64::INFINITY),
];

/// One case's answer, shown alone.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer {
    pub case: String,
    pub outputs: Map<String, Value>,
}

/// One output of one case that changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub case: String,
    pub output: String,
    pub now: Value,
    pub after: Value,
    /// `after − now`, for numbers.
    pub change: Option<f64>,
}

/// A case that one side could not compute.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Failure {
    pub case: String,
    /// The side's label.
    pub side: String,
    pub messages: Vec<String>,
}

/// What `after` is compared with.
pub enum Baseline<'a> {
    /// The expected outputs written in the cases.
    Expected,
    /// Another run's answers, one per case.
    Answers(&'a [RecordResult]),
}

impl Comparison {
    /// No change and no failure.
    pub fn passed(&self) -> bool {
        self.changed == 0 && self.failed.is_empty()
    }
}

/// Compares `after` (one answer per case) with the baseline, on `outputs` (all when empty).
pub fn compare(
    cases: &[Case],
    baseline: &Baseline<'_>,
    after: &[RecordResult],
    outputs: &[String],
    tolerance: Tolerance,
) -> Comparison {
    let mut comparison = Comparison {
        cases: cases.len(),
        ..Comparison::default()
    };
    let mut changes = Vec::new();
    for (index, (case, answer)) in cases.iter().zip(after).enumerate() {
        let now = match baseline {
            Baseline::Expected => &case.expected,
            Baseline::Answers(answers) => &answers[index].outputs,
        };
        if let Baseline::Answers(answers) = baseline {
            note(&mut comparison, case, "now", &answers[index]);
        }
        note(&mut comparison, case, "after", answer);
        if now.is_empty() && matches!(baseline, Baseline::Expected) {
            comparison.unchecked += 1;
            continue;
        }
        let found = differences(
            case,
            now,
            &answer.outputs,
            outputs,
            tolerance,
            matches!(baseline, Baseline::Expected),
        );
        comparison.changed += usize::from(!found.is_empty());
        changes.extend(found);
    }
    for change in &changes {
        if let Some(bucket) = bucket(change) {
            comparison.spread[bucket] += 1;
        }
    }
    changes.sort_by(|a, b| size(b).total_cmp(&size(a)));
    changes.truncate(LARGEST);
    comparison.largest = changes;
    comparison
}

/// The [`SPREAD`] bucket of a numeric change (none for texts).
fn bucket(change: &Change) -> Option<usize> {
    let delta = change.change?;
    let now = change.now.as_f64().unwrap_or(0.0);
    let percent = if now == 0.0 {
        f64::INFINITY.copysign(delta)
    } else {
        100.0 * delta / now.abs()
    };
    SPREAD
        .iter()
        .position(|(_, bound)| percent <= *bound)
        .or(Some(SPREAD.len() - 1))
}

/// A change's size for ordering: numbers by how far they moved, texts after every number.
fn size(change: &Change) -> f64 {
    change.change.map_or(-1.0, f64::abs)
}

/// The outputs that differ. Against expected outputs only those given are compared.
fn differences(
    case: &Case,
    now: &Map<String, Value>,
    after: &Map<String, Value>,
    outputs: &[String],
    tolerance: Tolerance,
    expected_only: bool,
) -> Vec<Change> {
    let mut names: Vec<&String> = if outputs.is_empty() {
        let mut all: Vec<&String> = now.keys().collect();
        if !expected_only {
            all.extend(after.keys().filter(|k| !now.contains_key(*k)));
        }
        all
    } else {
        outputs
            .iter()
            .filter(|o| !expected_only || now.contains_key(*o))
            .collect()
    };
    names.sort();
    names
        .into_iter()
        .filter_map(|name| {
            let (a, b) = (
                now.get(name).unwrap_or(&Value::Null),
                after.get(name).unwrap_or(&Value::Null),
            );
            let change = match (a.as_f64(), b.as_f64()) {
                (Some(x), Some(y)) if tolerance.accepts(x, y) => return None,
                (Some(x), Some(y)) => Some(y - x),
                _ if a == b => return None,
                _ => None,
            };
            Some(Change {
                case: case.id.clone(),
                output: name.clone(),
                now: a.clone(),
                after: b.clone(),
                change,
            })
        })
        .collect()
}

/// Records a side's errors (a failure) and warnings of one case.
fn note(comparison: &mut Comparison, case: &Case, side: &str, answer: &RecordResult) {
    if !answer.errors.is_empty() {
        comparison.failed.push(Failure {
            case: case.id.clone(),
            side: side.to_owned(),
            messages: answer.errors.iter().map(ToString::to_string).collect(),
        });
    }
    for warning in &answer.warnings {
        if comparison.warnings.len() < WARNINGS {
            comparison
                .warnings
                .push(format!("{} ({side}): {warning}", case.id));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn case(id: &str, expected: Value) -> Case {
        Case {
            id: id.into(),
            inputs: Map::new(),
            expected: expected.as_object().unwrap().clone(),
        }
    }

    fn answer(outputs: Value) -> RecordResult {
        RecordResult {
            outputs: outputs.as_object().unwrap().clone(),
            ..RecordResult::default()
        }
    }

    #[test]
    fn answers_compare_within_the_tolerance_and_the_largest_change_comes_first() {
        let cases = [
            case("a:2", json!({})),
            case("a:3", json!({})),
            case("a:4", json!({})),
        ];
        let now = [
            answer(json!({"p": 100.0, "b": "x"})),
            answer(json!({"p": 10.0, "b": "x"})),
            answer(json!({"p": 1.0, "b": "x"})),
        ];
        let after = [
            answer(json!({"p": 100.005, "b": "x"})),
            answer(json!({"p": 12.0, "b": "y"})),
            answer(json!({"p": 5.0, "b": "x"})),
        ];
        let tolerance = Tolerance {
            absolute: 0.01,
            relative: 0.0,
        };
        let c = compare(&cases, &Baseline::Answers(&now), &after, &[], tolerance);
        assert_eq!((c.cases, c.changed), (3, 2));
        let order: Vec<(&str, &str)> = c
            .largest
            .iter()
            .map(|x| (x.case.as_str(), x.output.as_str()))
            .collect();
        assert_eq!(order, [("a:4", "p"), ("a:3", "p"), ("a:3", "b")]);
        assert_eq!(c.largest[0].change, Some(4.0));
        // +0.005 % is within the tolerance; +20 % and +400 % are over 10 %.
        assert_eq!(c.spread, [0, 0, 0, 0, 0, 2]);
        assert!(!c.passed());
        let only_b = compare(
            &cases,
            &Baseline::Answers(&now),
            &after,
            &["b".into()],
            tolerance,
        );
        assert_eq!(only_b.changed, 1);
    }

    #[test]
    fn expected_outputs_are_compared_only_where_given_and_errors_fail_a_case() {
        let cases = [case("c:2", json!({"p": 1})), case("c:3", json!({}))];
        let mut failing = answer(json!({}));
        failing.errors.push(crate::spark::JobMessage {
            message: "input 'age' must be a number".into(),
            code: None,
            raw: None,
        });
        let after = [answer(json!({"p": 1.0, "extra": 5})), failing];
        let c = compare(
            &cases,
            &Baseline::Expected,
            &after,
            &[],
            Tolerance::default(),
        );
        assert_eq!((c.changed, c.unchecked), (0, 1));
        assert_eq!(c.failed.len(), 1);
        assert_eq!(c.failed[0].case, "c:3");
    }
}
