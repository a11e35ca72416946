//! A promotion's verification in the run's markdown (summary and comment): in a plan, the behaviour
//! change (how many cases, how many changed, the largest changes, and a chart of how the changes spread);
//! in an apply, the proof after the import and the rollback it caused. The rows go into the run's
//! [`Document`], so the comment's budget cuts them like any other table's.
use std::fmt::Write as _;

use super::comparison::{self, heading_line};
use super::document::{Document, Rows, RowsKind};
use super::escape::{code, text};
use crate::promote::result::{RunKind, Verification};
use crate::verify::{Comparison, SPREAD};

/// The verification of one promotion.
pub(crate) fn section(doc: &mut Document, command: RunKind, verification: &Verification) {
    let heading = match command {
        RunKind::Plan => format!("Behaviour change of {}", verification.service),
        RunKind::Apply | RunKind::Rollback => format!("Verification of {}", verification.service),
    };
    let files: Vec<String> = verification.cases_files.iter().map(|f| code(f)).collect();
    let cases = format!(
        "- **Cases**: {} ({} cases, sha256 {})\n",
        files.join(", "),
        verification.cases,
        code(&verification.cases_sha256[..verification.cases_sha256.len().min(12)])
    );
    let Some(comparison) = &verification.comparison else {
        doc.text(format!(
            "#### ⏸️ {}\n\n{cases}- {}\n\n",
            text(&heading),
            text(verification.not_run.as_deref().unwrap_or("not run"))
        ));
        return;
    };
    let parts = comparison::parts(comparison);
    // A plan's change is what the promotion is for, not a failure; after an import it is one.
    let heading = match command {
        RunKind::Plan if comparison.failed.is_empty() && comparison.changed > 0 => {
            format!("🔀 {}", text(&heading))
        }
        _ => heading_line(&heading, comparison),
    };
    doc.text(format!("#### {heading}\n\n{cases}\n{}", parts.counts));
    if verification.new_service {
        doc.text("New to the destination: its results alone.\n\n");
        answers(doc, comparison);
    }
    chart(doc, comparison);
    if let Some(header) = parts.header {
        doc.text(header);
        doc.rows(Rows {
            noun: "changes",
            rows: parts.changes,
            kind: RowsKind::Table { columns: 5 },
        });
        doc.text("\n");
    }
    rolled_back(doc, verification);
    if !parts.items.is_empty() {
        doc.rows(Rows {
            noun: "items",
            rows: parts.items,
            kind: RowsKind::List,
        });
        doc.text("\n");
    }
}

/// The rollback a failed verification caused, if any.
fn rolled_back(doc: &mut Document, verification: &Verification) {
    if let Some(rolled_back) = &verification.rolled_back {
        let job = rolled_back.job_id.as_deref().map(code).unwrap_or_default();
        doc.text(format!(
            "**Rolled back** ({}): backup {} {job}\n\n",
            rolled_back.status.as_str(),
            code(&rolled_back.backup)
        ));
    }
}

/// The verification in one line, for a terminal: `verify pricing/quote: 4 cases, 1 changed (uat … against
/// prod …); largest: cases.csv:3 premium 324.0 -> 355.0`.
pub(crate) fn line(verification: &Verification) -> String {
    let Some(c) = &verification.comparison else {
        return format!(
            "verify {}: {}",
            verification.service,
            verification.not_run.as_deref().unwrap_or("not run")
        );
    };
    let mut out = format!(
        "verify {}: {} cases, {} changed, {} failed ({} against {})",
        verification.service,
        c.cases,
        c.changed,
        c.failed.len(),
        c.after,
        c.now
    );
    if let Some(largest) = c.largest.first() {
        let _ = write!(
            out,
            "; largest: {} {} {} -> {}",
            largest.case, largest.output, largest.now, largest.after
        );
    }
    out
}

/// The first answers of a service with nothing to compare them with.
fn answers(doc: &mut Document, comparison: &Comparison) {
    if comparison.answers.is_empty() {
        return;
    }
    doc.text("| case | outputs |\n|---|---|\n");
    let rows = comparison
        .answers
        .iter()
        .map(|answer| {
            let outputs: Vec<String> = answer
                .outputs
                .iter()
                .map(|(name, value)| format!("{} = {}", code(name), comparison::value(value)))
                .collect();
            format!("| {} | {} |", text(&answer.case), outputs.join(", "))
        })
        .collect();
    doc.rows(Rows {
        noun: "cases",
        rows,
        kind: RowsKind::Table { columns: 2 },
    });
    doc.text("\n");
}

/// A bar chart GitHub renders (mermaid `xychart-beta`) of how the numeric changes spread by relative
/// change; only fixed labels and counts go in it, nothing from the cases or the services.
fn chart(doc: &mut Document, comparison: &Comparison) {
    if comparison.spread.iter().all(|count| *count == 0) {
        return;
    }
    let labels: Vec<String> = SPREAD
        .iter()
        .map(|(label, _)| format!("\"{label}\""))
        .collect();
    let counts: Vec<String> = comparison.spread.iter().map(usize::to_string).collect();
    let mut out = String::from("```mermaid\nxychart-beta\n");
    let _ = writeln!(out, "    title \"Changed outputs by relative change\"");
    let _ = writeln!(out, "    x-axis [{}]", labels.join(", "));
    let _ = writeln!(out, "    y-axis \"outputs\"");
    let _ = writeln!(out, "    bar [{}]", counts.join(", "));
    out.push_str("```\n\n");
    doc.text(out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::Change;
    use serde_json::json;

    fn verification(changed: bool) -> Verification {
        let change = Change {
            case: "<img src=x>.csv:2".into(),
            output: "premium".into(),
            now: json!(100.0),
            after: json!(150.0),
            change: Some(50.0),
        };
        Verification {
            service: "pricing/quote".into(),
            cases_sha256: "ab".repeat(32),
            cases_files: vec!["cases.csv".into()],
            cases: 3,
            comparison: Some(Comparison {
                now: "prod pricing/quote 1.0.0".into(),
                after: "uat pricing/quote 1.1.0".into(),
                cases: 3,
                changed: usize::from(changed),
                largest: if changed { vec![change] } else { vec![] },
                spread: [0, 0, 0, 0, 0, usize::from(changed)],
                ..Comparison::default()
            }),
            not_run: None,
            new_service: false,
            rolled_back: None,
        }
    }

    fn rendered(command: RunKind, v: &Verification) -> String {
        let mut doc = Document::default();
        section(&mut doc, command, v);
        doc.render_within(usize::MAX, None)
    }

    #[test]
    fn a_plan_shows_the_change_with_its_chart_and_escapes_what_the_cases_say() {
        let plan = rendered(RunKind::Plan, &verification(true));
        assert!(
            plan.contains("#### 🔀 Behaviour change of pricing/quote"),
            "{plan}"
        );
        assert!(plan.contains("    bar [0, 0, 0, 0, 0, 1]\n"), "{plan}");
        assert!(!plan.contains("<img"), "{plan}");
        let apply = rendered(RunKind::Apply, &verification(true));
        assert!(
            apply.contains("#### ❌ Verification of pricing/quote"),
            "{apply}"
        );
        let same = rendered(RunKind::Plan, &verification(false));
        assert!(same.contains("#### ✅ Behaviour change"), "{same}");
        assert!(
            !same.contains("mermaid"),
            "no chart without a change: {same}"
        );
        assert_eq!(
            line(&verification(true)),
            "verify pricing/quote: 3 cases, 1 changed, 0 failed (uat pricing/quote 1.1.0 against prod \
             pricing/quote 1.0.0); largest: <img src=x>.csv:2 premium 100.0 -> 150.0"
        );
    }

    #[test]
    fn a_small_budget_cuts_the_largest_changes_and_keeps_the_counts() {
        let mut v = verification(true);
        let comparison = v.comparison.as_mut().unwrap();
        comparison.largest = (0..10)
            .map(|i| Change {
                case: format!("cases.csv:{i}"),
                ..comparison.largest[0].clone()
            })
            .collect();
        let mut doc = Document::default();
        section(&mut doc, RunKind::Plan, &v);
        let full = doc.render_within(usize::MAX, None);
        let cut = doc.render_within(full.len() - 200, None);
        assert!(cut.len() <= full.len() - 200, "{cut}");
        assert!(cut.contains("changes omitted"), "{cut}");
        assert!(cut.contains("**3 cases, 1 changed**"), "{cut}");
    }
}
