//! A drift report ([`DriftReport`]) for a person at a terminal ([`text`], coloured when the terminal has it)
//! and for GitHub ([`markdown`]): per promotion its state, then each version that differs. Values from
//! Spark or the manifest are made safe as the run's reports make them (`text::safe`, `escape`).
use std::fmt::Write as _;

use super::escape;
use super::text::{Colour, Paint, safe};
use crate::promote::drift::{DriftReport, PromotionDrift, ServiceDrift, State};
use crate::spark::ServiceVersion;

/// The report's overall state: failed if any comparison failed, else drift if any promotion drifted.
fn overall(report: &DriftReport) -> &'static str {
    if report.failed() {
        "failed"
    } else if report.drifted() {
        "drift"
    } else {
        "in sync"
    }
}

/// `2 in sync, 1 drifted, 0 failed`.
fn totals(report: &DriftReport) -> String {
    let count = |wanted: fn(State) -> bool| {
        report
            .promotions
            .iter()
            .filter(|promotion| wanted(promotion.state))
            .count()
    };
    format!(
        "{} in sync, {} drifted, {} failed",
        count(|state| state == State::InSync),
        count(|state| matches!(state, State::SourceNewer | State::DestinationDiffers)),
        count(|state| state == State::Failed),
    )
}

/// One line per version that differs: `newer in uat: pricing/quote 1.1.0 (id …)`, with `value` rendering
/// a name and `shown` a service and a version.
fn differences(
    promotion: &PromotionDrift,
    service: &ServiceDrift,
    value: &dyn Fn(&str) -> String,
    shown: &dyn Fn(&str, &ServiceVersion) -> String,
) -> Vec<String> {
    let (from, to) = (value(&promotion.from), value(&promotion.to));
    let kinds = [
        (
            format!("newer in {from}"),
            &service.newer,
            &service.source,
            String::new(),
        ),
        (
            format!("missing in {to}"),
            &service.missing,
            &service.destination,
            format!(" (promoted from {})", value(&service.source)),
        ),
        (
            format!("added in {to}"),
            &service.added,
            &service.destination,
            format!(" (not in {from})"),
        ),
    ];
    kinds
        .iter()
        .flat_map(|(label, versions, uri, note)| {
            versions
                .iter()
                .map(move |version| format!("{label}: {}{note}", shown(uri, version)))
        })
        .collect()
}

/// The report as plain text, coloured or not.
pub fn text(report: &DriftReport, manifest: &str, colour: Colour) -> String {
    let paint = Paint(colour);
    let state = |state: &str| match state {
        "in sync" => paint.green(state),
        "failed" => paint.red(state),
        _ => paint.yellow(state),
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "spark-promote drift {}: {}",
        safe(manifest),
        state(overall(report))
    );
    let _ = writeln!(out, "totals: {}", totals(report));
    let shown = |uri: &str, version: &ServiceVersion| {
        format!(
            "{} {} (id {})",
            safe(uri),
            safe(version.version.as_deref().unwrap_or("?")),
            safe(&version.id)
        )
    };
    for promotion in &report.promotions {
        let _ = writeln!(
            out,
            "\n{}: {}\n  {} -> {}",
            paint.bold(&safe(&promotion.name)),
            state(promotion.state.describe()),
            safe(&promotion.from),
            safe(&promotion.to)
        );
        for service in &promotion.services {
            for line in differences(promotion, service, &safe, &shown) {
                let _ = writeln!(out, "  {line}");
            }
        }
        for error in &promotion.errors {
            let _ = writeln!(out, "  {} {}", paint.red("error:"), safe(error));
        }
        for warning in &promotion.warnings {
            let _ = writeln!(out, "  {} {}", paint.yellow("warning:"), safe(warning));
        }
    }
    out
}

/// The report as GitHub markdown: a heading with the overall state, a table of the promotions, then the
/// versions that differ.
pub fn markdown(report: &DriftReport, manifest: &str) -> String {
    let emoji = match overall(report) {
        "in sync" => "✅",
        "failed" => "❌",
        _ => "⚠️",
    };
    let mut out = format!(
        "## {emoji} spark-promote drift {}: {}\n\n{}\n\n| Promotion | From → To | State |\n|---|---|---|\n",
        escape::code(manifest),
        overall(report),
        totals(report)
    );
    for promotion in &report.promotions {
        let _ = writeln!(
            out,
            "| {} | {} → {} | {} |",
            escape::text(&promotion.name),
            escape::text(&promotion.from),
            escape::text(&promotion.to),
            promotion.state.describe()
        );
    }
    let shown = |uri: &str, version: &ServiceVersion| {
        format!(
            "{} {} (id {})",
            escape::code(uri),
            escape::text(version.version.as_deref().unwrap_or("?")),
            escape::code(&version.id)
        )
    };
    for promotion in &report.promotions {
        let mut lines: Vec<String> = promotion
            .services
            .iter()
            .flat_map(|service| differences(promotion, service, &escape::text, &shown))
            .collect();
        lines.extend(
            promotion
                .errors
                .iter()
                .map(|e| format!("❌ {}", escape::text(e))),
        );
        lines.extend(
            promotion
                .warnings
                .iter()
                .map(|w| format!("⚠️ {}", escape::text(w))),
        );
        if !lines.is_empty() {
            let _ = write!(out, "\n**{}**\n\n", escape::text(&promotion.name));
            for line in lines {
                let _ = writeln!(out, "- {line}");
            }
        }
    }
    crate::redact::string(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(version: &str, id: &str) -> ServiceVersion {
        ServiceVersion {
            id: id.to_string(),
            version: Some(version.to_string()),
        }
    }

    /// One promotion in sync, one whose source moved on and whose destination gained a version, one that
    /// failed with a warning; a name carries an escape sequence.
    fn report() -> DriftReport {
        let promotion = |name: &str, state: State| PromotionDrift {
            name: name.to_string(),
            from: "uat".to_string(),
            to: "prod".to_string(),
            state,
            services: Vec::new(),
            warnings: Vec::new(),
            errors: Vec::new(),
        };
        let mut newer = promotion("pricing", State::SourceNewer);
        newer.services.push(ServiceDrift {
            source: "pricing/quote".to_string(),
            destination: "pricing/quote".to_string(),
            newer: vec![version("1.2.0", "3f0c")],
            missing: vec![version("1.1.0", "2b7a")],
            added: vec![version("1.1.1", "9e1d")],
        });
        let mut failed = promotion("claims\u{1b}[2J", State::Failed);
        failed
            .errors
            .push("failed to export from uat: 401 unauthorized".to_string());
        failed
            .warnings
            .push("folder lookup refused (403)".to_string());
        DriftReport {
            promotions: vec![promotion("rating", State::InSync), newer, failed],
        }
    }

    #[test]
    fn the_drift_report_for_a_terminal_is_reviewed() {
        let in_sync = DriftReport {
            promotions: report().promotions[..1].to_vec(),
        };
        let plain = text(&report(), "teams/spark-promote.yaml", Colour::Never);
        assert!(!plain.contains('\u{1b}'), "{plain:?}");
        let all = format!(
            "=== drift\n{plain}\n=== in sync\n{}",
            text(&in_sync, "spark-promote.yaml", Colour::Never)
        );
        insta::assert_snapshot!(all);
    }

    #[test]
    fn the_drift_report_is_coloured_only_when_asked() {
        let coloured = text(&report(), "spark-promote.yaml", Colour::Always);
        assert!(
            coloured.contains("\u{1b}[31mfailed\u{1b}[0m"),
            "{coloured:?}"
        );
        assert!(
            coloured.contains("\u{1b}[32min sync\u{1b}[0m"),
            "{coloured:?}"
        );
        assert!(!coloured.contains("\u{1b}[2J"), "{coloured:?}");
    }

    #[test]
    fn the_drift_report_for_github_is_reviewed() {
        insta::assert_snapshot!(markdown(&report(), "teams/spark-promote.yaml"));
    }
}
