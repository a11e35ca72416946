//! The markdown layout of a run: a title, the totals, then one section per promotion.
use std::fmt::Write as _;
use std::time::Duration;

use super::document::{Document, Rows, RowsKind};
use super::escape::{code, text};
use super::{emoji, overall_status, status_label};
use crate::promote::result::{
    PromotionResult, PromotionStatus, RunKind, RunResult, ServiceResult, ServiceStatus,
    VersionResult, VersionStatus,
};

/// Version tables longer than this are folded in `<details>`.
pub const FOLD_AFTER_ROWS: usize = 10;

/// Lays out `result` as a document whose long tables can be cut.
pub(crate) fn document(result: &RunResult, run_url: Option<&str>) -> Document {
    let mut doc = Document::default();
    let overall = overall_status(result);
    doc.text(format!(
        "## {} spark-promote {}: {}\n\n",
        emoji(overall),
        command_label(result.command),
        code(&result.manifest)
    ));
    doc.text(format!("{}\n\n", promotion_counts(&result.promotions)));
    doc.text(format!(
        "**Totals**: {}\n\n",
        Totals::of_run(result).describe(result.command)
    ));
    if Totals::leaves_out_some(result) {
        doc.text("Promotions already applied are not counted in the totals.\n\n");
    }
    for promotion in &result.promotions {
        section(&mut doc, result, promotion);
    }
    if let Some(url) = run_url {
        doc.text(format!("[View the run]({})\n", super::escape::url(url)));
    }
    doc
}

fn command_label(command: RunKind) -> &'static str {
    match command {
        RunKind::Plan => "plan",
        RunKind::Apply => "apply",
        RunKind::Rollback => "rollback",
    }
}

/// `2 promotions: 1 ✅ completed, 1 ❌ failed`, in a fixed order of statuses.
fn promotion_counts(promotions: &[PromotionResult]) -> String {
    let order = [
        PromotionStatus::Failed,
        PromotionStatus::Cancelled,
        PromotionStatus::Completed,
        PromotionStatus::Skipped,
        PromotionStatus::WouldFail,
        PromotionStatus::Planned,
    ];
    let parts: Vec<String> = order
        .iter()
        .filter_map(|status| {
            let count = promotions.iter().filter(|p| p.status == *status).count();
            (count > 0).then(|| format!("{count} {} {}", emoji(*status), status_label(*status)))
        })
        .collect();
    let noun = if promotions.len() == 1 {
        "promotion"
    } else {
        "promotions"
    };
    if parts.is_empty() {
        format!("**{} {noun}**", promotions.len())
    } else {
        format!("**{} {noun}**: {}", promotions.len(), parts.join(", "))
    }
}

/// Counts of services and versions by status.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub services_added: usize,
    pub services_replaced: usize,
    pub services_updated: usize,
    pub services_would_fail: usize,
    /// Unchanged (already there) or unchecked (the destination refused the reads) services.
    pub services_unchanged: usize,
    pub services_unchecked: usize,
    pub versions_added: usize,
    pub versions_replaced: usize,
}

impl Totals {
    /// Sums the services and versions of `promotions`.
    pub fn of<'a>(promotions: impl IntoIterator<Item = &'a PromotionResult>) -> Totals {
        let mut totals = Totals::default();
        for promotion in promotions {
            for service in &promotion.services {
                match service.status {
                    ServiceStatus::Added => totals.services_added += 1,
                    ServiceStatus::Replaced => totals.services_replaced += 1,
                    ServiceStatus::Updated => totals.services_updated += 1,
                    ServiceStatus::WouldFail => totals.services_would_fail += 1,
                    ServiceStatus::Unchanged => totals.services_unchanged += 1,
                    ServiceStatus::Unchecked => totals.services_unchecked += 1,
                }
            }
            for version in &promotion.service_versions {
                match version.status {
                    VersionStatus::Added => totals.versions_added += 1,
                    VersionStatus::Replaced => totals.versions_replaced += 1,
                }
            }
        }
        totals
    }

    /// The run's totals: its promotions but those already applied (skipped), which changed nothing.
    pub fn of_run(result: &RunResult) -> Totals {
        Totals::of(
            result
                .promotions
                .iter()
                .filter(|p| p.status != PromotionStatus::Skipped),
        )
    }

    /// Whether [`Totals::of_run`] leaves promotions out (some were already applied).
    pub fn leaves_out_some(result: &RunResult) -> bool {
        result
            .promotions
            .iter()
            .any(|p| p.status == PromotionStatus::Skipped)
    }

    /// `3 services (1 added, 1 replaced, 1 updated), 24 versions (20 added, 4 replaced)`; a plan also
    /// counts the services that would fail.
    pub fn describe(&self, command: RunKind) -> String {
        let services = self.services_added
            + self.services_replaced
            + self.services_updated
            + self.services_would_fail;
        let mut out = format!(
            "{services} {} ({} added, {} replaced, {} updated",
            plural(services, "service", "services"),
            self.services_added,
            self.services_replaced,
            self.services_updated
        );
        if command == RunKind::Plan || self.services_would_fail > 0 {
            let _ = write!(out, ", {} would fail", self.services_would_fail);
        }
        out.push(')');
        for (count, label) in [
            (self.services_unchanged, "unchanged"),
            (self.services_unchecked, "unchecked"),
        ] {
            if count > 0 {
                let _ = write!(out, ", {count} {label}");
            }
        }
        if command == RunKind::Plan {
            // A plan predicts services; the versions are known once the import has run.
            return out;
        }
        let versions = self.versions_added + self.versions_replaced;
        let _ = write!(
            out,
            ", {versions} {} ({} added, {} replaced)",
            plural(versions, "version", "versions"),
            self.versions_added,
            self.versions_replaced
        );
        out
    }
}

fn plural(count: usize, one: &'static str, many: &'static str) -> &'static str {
    if count == 1 { one } else { many }
}

/// One promotion: heading, facts, services, versions, errors and warnings.
fn section(doc: &mut Document, result: &RunResult, promotion: &PromotionResult) {
    let command = result.command;
    let status = promotion.status;
    let label = match status {
        PromotionStatus::Skipped => "skipped, already applied",
        other => status_label(other),
    };
    let mut facts = format!(
        "### {} {}: {label}\n\n",
        emoji(status),
        text(&promotion.name)
    );
    let _ = writeln!(
        facts,
        "- **From** {} **to** {}",
        code(&promotion.source),
        code(&promotion.target)
    );
    let job = match &promotion.job_id {
        Some(id) => code(id),
        None => "none".to_string(),
    };
    match &promotion.export_job_id {
        Some(export) => {
            let _ = writeln!(facts, "- **Job id**: {job} (export job {})", code(export));
        }
        None => {
            let _ = writeln!(facts, "- **Job id**: {job}");
        }
    }
    if let Some(id) = promotion.correlation() {
        let _ = writeln!(facts, "- **Correlation id**: {}", code(id));
    }
    if let Some(backup) = &promotion.backup {
        let _ = writeln!(
            facts,
            "- **Backup**: {} (undo with {})",
            code(backup),
            code(&super::command::undo(
                &result.manifest,
                &promotion.target,
                backup
            ))
        );
    }
    let _ = writeln!(facts, "- **Duration**: {}", duration(promotion.duration_ms));
    let _ = writeln!(
        facts,
        "- **Totals**: {}\n",
        Totals::of([promotion]).describe(command)
    );
    doc.text(facts);
    services(doc, command, &promotion.services);
    versions(doc, &promotion.service_versions);
    if let Some(verification) = &promotion.verification {
        super::behaviour::section(doc, command, verification);
    }
    messages(doc, "Errors", "errors", &promotion.errors);
    messages(doc, "Warnings", "warnings", &promotion.warnings);
}

fn services(doc: &mut Document, command: RunKind, services: &[ServiceResult]) {
    doc.text("**Services**\n\n");
    if services.is_empty() {
        doc.text("No services.\n\n");
        return;
    }
    let plan = command == RunKind::Plan;
    let mut header = vec!["Source", "Destination", "Status"];
    if plan {
        header.extend(["Now in destination", "Next version"]);
    }
    let rows = services
        .iter()
        .map(|service| {
            let mut cells = vec![
                code(&service.source),
                code(&service.destination),
                service_status(service),
            ];
            if plan {
                for version in [&service.current_version, &service.next_version] {
                    cells.push(version.as_deref().map(code).unwrap_or_default());
                }
            }
            table_row(&cells)
        })
        .collect();
    table(doc, &header, rows);
    doc.text("\n");
}

fn service_status(service: &ServiceResult) -> String {
    let label = match service.status {
        ServiceStatus::WouldFail => format!("❗ {}", service.status.label()),
        status => status.label().to_string(),
    };
    match &service.detail {
        Some(detail) => format!("{label}: {}", text(detail)),
        None => label.to_string(),
    }
}

fn versions(doc: &mut Document, versions: &[VersionResult]) {
    if versions.is_empty() {
        return;
    }
    let header = [
        "Service",
        "Source version",
        "Destination version",
        "Status",
        "Source version id",
        "Destination version id",
    ];
    let folded = versions.len() > FOLD_AFTER_ROWS;
    if folded {
        doc.text(format!(
            "<details><summary><b>Versions</b> ({})</summary>\n\n",
            versions.len()
        ));
    } else {
        doc.text("**Versions**\n\n");
    }
    let rows = versions
        .iter()
        .map(|version| {
            let service = if version.service_source == version.service_destination {
                code(&version.service_destination)
            } else {
                format!(
                    "{} → {}",
                    code(&version.service_source),
                    code(&version.service_destination)
                )
            };
            let status = match version.status {
                VersionStatus::Added => "added",
                VersionStatus::Replaced => "replaced",
            };
            let id = |id: &Option<String>| id.as_deref().map(code).unwrap_or_default();
            table_row(&[
                service,
                code(&version.version_source),
                code(&version.version_destination),
                status.to_string(),
                id(&version.version_id_source),
                id(&version.version_id_destination),
            ])
        })
        .collect();
    table(doc, &header, rows);
    doc.text(if folded { "\n</details>\n\n" } else { "\n" });
}

fn messages(doc: &mut Document, title: &str, noun: &'static str, messages: &[String]) {
    if messages.is_empty() {
        return;
    }
    doc.text(format!("**{title}**\n\n"));
    doc.rows(Rows {
        noun,
        rows: messages.iter().map(|m| format!("- {}", text(m))).collect(),
        kind: RowsKind::List,
    });
    doc.text("\n");
}

/// A table: its header, then rows that may be cut to fit the budget.
fn table(doc: &mut Document, header: &[&str], rows: Vec<String>) {
    doc.text(format!(
        "| {} |\n|{}\n",
        header.join(" | "),
        "---|".repeat(header.len())
    ));
    doc.rows(Rows {
        noun: "rows",
        rows,
        kind: RowsKind::Table {
            columns: header.len(),
        },
    });
}

fn table_row(cells: &[String]) -> String {
    format!("| {} |", cells.join(" | "))
}

/// `1m 2s` (whole seconds) from one second up, `350ms` below.
fn duration(ms: u64) -> String {
    let duration = if ms >= 1000 {
        Duration::from_secs(ms / 1000)
    } else {
        Duration::from_millis(ms)
    };
    humantime::format_duration(duration).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_whole_seconds_from_one_second_up() {
        assert_eq!(duration(0), "0s");
        assert_eq!(duration(350), "350ms");
        assert_eq!(duration(62_999), "1m 2s");
        assert_eq!(duration(3_725_000), "1h 2m 5s");
    }
}
