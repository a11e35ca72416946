//! A run's result as plain text for a person at a terminal: the same facts as the markdown summary (it reads
//! the same result types), without markup, with colour when the terminal has it. Every value from Spark or
//! the manifest has its control characters replaced, so a crafted name cannot move the cursor or recolour
//! the terminal.
use std::fmt::Write as _;

use super::{Totals, overall_status, status_label};
use crate::promote::result::{
    PromotionResult, PromotionStatus, RunKind, RunResult, ServiceResult, VersionResult,
};

/// How many version lines a promotion shows before it says how many more there are (`--json` has all).
pub const VERSIONS_SHOWN: usize = 20;

/// Whether the text is coloured (ANSI SGR codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colour {
    Never,
    Always,
}

/// Renders `result` as plain text, coloured or not.
pub fn text(result: &RunResult, colour: Colour) -> String {
    let paint = Paint(colour);
    let mut out = String::new();
    let overall = overall_status(result);
    let _ = writeln!(
        out,
        "spark-promote {} {}: {}",
        command_word(result.command),
        safe(&result.manifest),
        paint.status(overall)
    );
    let _ = writeln!(
        out,
        "totals: {}",
        Totals::of_run(result).describe(result.command)
    );
    if Totals::leaves_out_some(result) {
        out.push_str("(promotions already applied are not counted)\n");
    }
    for promotion in &result.promotions {
        out.push('\n');
        promotion_text(&mut out, &paint, result, promotion);
    }
    out
}

fn command_word(command: RunKind) -> &'static str {
    match command {
        RunKind::Plan => "plan",
        RunKind::Apply => "apply",
        RunKind::Rollback => "rollback",
    }
}

fn promotion_text(
    out: &mut String,
    paint: &Paint,
    result: &RunResult,
    promotion: &PromotionResult,
) {
    let status = match promotion.status {
        PromotionStatus::Skipped => format!("{} (already applied)", paint.status(promotion.status)),
        other => paint.status(other),
    };
    let _ = writeln!(out, "{}: {status}", paint.bold(&safe(&promotion.name)));
    let mut facts = vec![format!(
        "{} -> {}",
        safe(&promotion.source),
        safe(&promotion.target)
    )];
    if let Some(job) = &promotion.export_job_id {
        facts.push(format!("export job {}", safe(job)));
    }
    if let Some(job) = &promotion.job_id {
        facts.push(format!("import job {}", safe(job)));
    }
    if let Some(id) = promotion.correlation() {
        facts.push(format!("correlation id {}", safe(id)));
    }
    facts.push(format!("{:.1} s", promotion.duration_ms as f64 / 1000.0));
    let _ = writeln!(out, "  {}", facts.join(", "));
    if let Some(backup) = &promotion.backup {
        let undo = super::command::undo(&result.manifest, &promotion.target, backup);
        let _ = writeln!(out, "  backup {}; undo with: {}", safe(backup), safe(&undo));
    }
    for service in &promotion.services {
        let _ = writeln!(out, "  {}", service_line(paint, service));
    }
    versions(out, &promotion.service_versions);
    if let Some(verification) = &promotion.verification {
        let _ = writeln!(out, "  {}", safe(&super::behaviour::line(verification)));
    }
    for error in &promotion.errors {
        let _ = writeln!(out, "  {} {}", paint.red("error:"), safe(error));
    }
    for warning in &promotion.warnings {
        let _ = writeln!(out, "  {} {}", paint.yellow("warning:"), safe(warning));
    }
}

/// `pricing/quote -> pricing/quote: updated (1.0.0 -> 1.1.0)`, the plan's detail after the status.
fn service_line(paint: &Paint, service: &ServiceResult) -> String {
    let mut line = format!(
        "{} -> {}: {}",
        safe(&service.source),
        safe(&service.destination),
        paint.service(service)
    );
    if let Some(detail) = &service.detail {
        let _ = write!(line, ": {}", safe(detail));
    }
    match (&service.current_version, &service.next_version) {
        (Some(now), Some(next)) => {
            let _ = write!(line, " ({} -> {})", safe(now), safe(next));
        }
        (None, Some(next)) => {
            let _ = write!(line, " ({})", safe(next));
        }
        _ => {}
    }
    line
}

fn versions(out: &mut String, versions: &[VersionResult]) {
    for version in versions.iter().take(VERSIONS_SHOWN) {
        let _ = writeln!(
            out,
            "    {} {} -> {} {}: {}",
            safe(&version.service_source),
            safe(&version.version_source),
            safe(&version.service_destination),
            safe(&version.version_destination),
            match version.status {
                crate::promote::result::VersionStatus::Added => "added",
                crate::promote::result::VersionStatus::Replaced => "replaced",
            }
        );
    }
    if versions.len() > VERSIONS_SHOWN {
        let _ = writeln!(
            out,
            "    … {} more versions (--json lists them all)",
            versions.len() - VERSIONS_SHOWN
        );
    }
}

/// `value` with every control character (escape sequences, newlines) as a space.
pub(super) fn safe(value: &str) -> String {
    value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Colours, or none.
pub(super) struct Paint(pub(super) Colour);

impl Paint {
    fn sgr(&self, code: &str, text: &str) -> String {
        match self.0 {
            Colour::Never => text.to_string(),
            Colour::Always => format!("\x1b[{code}m{text}\x1b[0m"),
        }
    }

    pub(super) fn bold(&self, text: &str) -> String {
        self.sgr("1", text)
    }

    pub(super) fn green(&self, text: &str) -> String {
        self.sgr("32", text)
    }

    pub(super) fn red(&self, text: &str) -> String {
        self.sgr("31", text)
    }

    pub(super) fn yellow(&self, text: &str) -> String {
        self.sgr("33", text)
    }

    fn status(&self, status: PromotionStatus) -> String {
        let code = match status {
            PromotionStatus::Completed | PromotionStatus::Planned => "32",
            PromotionStatus::Failed | PromotionStatus::WouldFail => "1;31",
            PromotionStatus::Cancelled => "33",
            PromotionStatus::Skipped => "2",
        };
        self.sgr(code, status_label(status))
    }

    fn service(&self, service: &ServiceResult) -> String {
        let label = service.status.label();
        match service.status {
            crate::promote::result::ServiceStatus::WouldFail => self.sgr("1;31", label),
            _ => label.to_string(),
        }
    }
}
