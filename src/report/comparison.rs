//! A [`Comparison`] as a markdown section: the counts, the largest changes as a table (case, output,
//! now, after, change), the failed cases and the warnings, within a byte budget. Plan and apply include it
//! per verified service (`comparison_section`); `spark-promote verify` prints it.
use serde_json::Value;

use super::escape;
use crate::verify::Comparison;

/// The most failed cases listed (the count is always given).
const FAILED_SHOWN: usize = 10;

/// The section for one service's comparison, headed `heading` (escaped here), at most `budget` bytes:
/// rows that do not fit are left out and counted.
pub fn comparison_section(heading: &str, comparison: &Comparison, budget: usize) -> String {
    let parts = parts(comparison);
    let out = format!(
        "### {}\n\n{}",
        heading_line(heading, comparison),
        parts.counts
    );
    let mut rows = Vec::new();
    if let Some(header) = parts.header {
        rows.push(header);
        rows.extend(parts.changes.into_iter().map(|row| row + "\n"));
        rows.push("\n".to_owned());
    }
    rows.extend(parts.items.into_iter().map(|item| item + "\n"));
    fit(out, rows, budget)
}

/// `✅ heading` or `❌ heading` (escaped).
pub(crate) fn heading_line(heading: &str, comparison: &Comparison) -> String {
    format!(
        "{} {}",
        if comparison.passed() { "✅" } else { "❌" },
        escape::text(heading)
    )
}

/// A comparison's pieces, for a section of its own or rows of a document that fits a budget.
pub(crate) struct Parts {
    /// `after against now: **N cases, M changed** · K calls`, with its blank line.
    pub counts: String,
    /// The largest changes' table header (with its newline), when there are changes.
    pub header: Option<String>,
    /// Its rows, one line each without the newline.
    pub changes: Vec<String>,
    /// The failed cases and the warnings, as list items without the newline.
    pub items: Vec<String>,
}

pub(crate) fn parts(comparison: &Comparison) -> Parts {
    let counts = format!(
        "{} against {}: **{} cases, {} changed**{}{} · {} calls\n\n",
        escape::text(&comparison.after),
        escape::text(&comparison.now),
        comparison.cases,
        comparison.changed,
        if comparison.failed.is_empty() {
            String::new()
        } else {
            format!(", {} failed", comparison.failed.len())
        },
        if comparison.unchecked == 0 {
            String::new()
        } else {
            format!(", {} without expected outputs", comparison.unchecked)
        },
        comparison.calls,
    );
    let header = (!comparison.largest.is_empty())
        .then(|| "| case | output | now | after | change |\n|---|---|---:|---:|---:|\n".to_owned());
    let changes = comparison
        .largest
        .iter()
        .map(|c| {
            format!(
                "| {} | {} | {} | {} | {} |",
                escape::text(&c.case),
                escape::code(&c.output),
                value(&c.now),
                value(&c.after),
                change(c.change, &c.now)
            )
        })
        .collect();
    let items = items(comparison);
    Parts {
        counts,
        header,
        changes,
        items,
    }
}

/// The failed cases (the first [`FAILED_SHOWN`]) and the warnings, as list items.
fn items(comparison: &Comparison) -> Vec<String> {
    let mut items = Vec::new();
    for failure in comparison.failed.iter().take(FAILED_SHOWN) {
        items.push(format!(
            "- {} failed ({}): {}",
            escape::text(&failure.case),
            escape::text(&failure.side),
            escape::text(&failure.messages.join("; "))
        ));
    }
    if comparison.failed.len() > FAILED_SHOWN {
        items.push(format!(
            "- … and {} more failed cases",
            comparison.failed.len() - FAILED_SHOWN
        ));
    }
    for warning in &comparison.warnings {
        items.push(format!("- ⚠️ {}", escape::text(warning)));
    }
    items
}

/// `head` and as many `rows` as fit in `budget`, then a line counting the others.
fn fit(mut out: String, rows: Vec<String>, budget: usize) -> String {
    const NOTE: usize = 64;
    let total = rows.len();
    for (shown, row) in rows.into_iter().enumerate() {
        if out.len() + row.len() + NOTE > budget {
            out.push_str(&format!(
                "\n… {} more lines left out to fit\n",
                total - shown
            ));
            return out;
        }
        out.push_str(&row);
    }
    out
}

pub(crate) fn value(value: &Value) -> String {
    match value {
        Value::Null => "—".to_owned(),
        Value::String(s) => escape::text(s),
        other => escape::text(&other.to_string()),
    }
}

/// `+5.5 (+3.9 %)` for numbers (the percentage when `now` is not zero), `changed` for the rest.
fn change(change: Option<f64>, now: &Value) -> String {
    let Some(change) = change else {
        return "changed".to_owned();
    };
    let percent = now
        .as_f64()
        .filter(|n| *n != 0.0)
        .map(|n| format!(" ({:+.1} %)", 100.0 * change / n.abs()))
        .unwrap_or_default();
    format!("{change:+}{percent}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::{Change, Failure};
    use serde_json::json;

    fn comparison() -> Comparison {
        Comparison {
            now: "prod pricing/quote 1.0.0".into(),
            after: "uat pricing/quote 1.1.0".into(),
            cases: 40,
            changed: 2,
            unchecked: 0,
            largest: vec![
                Change {
                    case: "cases/quote.csv:7".into(),
                    output: "premium".into(),
                    now: json!(140.0),
                    after: json!(150.0),
                    change: Some(10.0),
                },
                Change {
                    case: "cases/quote.csv:9".into(),
                    output: "band".into(),
                    now: json!("standard"),
                    after: json!("senior"),
                    change: None,
                },
            ],
            failed: vec![Failure {
                case: "cases/quote.csv:12".into(),
                side: "after".into(),
                messages: vec!["input 'age' must be a number".into()],
            }],
            warnings: vec![],
            calls: 2,
            spread: [0, 0, 0, 0, 1, 0],
            answers: vec![],
        }
    }

    #[test]
    fn a_comparison_renders_its_counts_and_largest_changes() {
        insta::assert_snapshot!(comparison_section("pricing/quote", &comparison(), 10_000));
    }

    #[test]
    fn a_small_budget_cuts_rows_and_says_how_many() {
        let text = comparison_section("pricing/quote", &comparison(), 400);
        assert!(text.len() <= 400, "{}", text.len());
        assert!(text.contains("more lines left out to fit"), "{text}");
        assert!(text.contains("**40 cases, 2 changed**"), "{text}");
    }
}
