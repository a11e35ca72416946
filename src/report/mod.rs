//! Renders a [`RunResult`] as the markdown job summary, the pull-request comment body, JSON, and plain text
//! for a terminal ([`text`]).
//!
//! Pure text: no IO, nothing GitHub-specific beyond the markdown dialect. Every value that comes from the
//! Spark API or the manifest is escaped (see [`escape`]), and the markdown is kept within a byte budget by
//! cutting the middle rows of the long tables (the totals are always kept).
mod behaviour;
pub mod command;
mod comparison;
mod document;
pub mod drift;
pub mod escape;
mod markdown;
#[cfg(test)]
mod tests;
pub mod text;

pub use comparison::comparison_section;
pub use markdown::{FOLD_AFTER_ROWS, Totals};

use crate::promote::result::{PromotionStatus, RunKind, RunResult};

/// GitHub's limit for one step's job summary is 1 MiB; this leaves room for anything else the step appends.
pub const SUMMARY_BUDGET: usize = 1024 * 1024 - 4 * 1024;

/// GitHub's limit for a comment is 65,536 characters; this leaves room for the hidden marker.
pub const COMMENT_BUDGET: usize = 60_000;

/// How to render the markdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderOptions {
    /// The workflow run's page, linked when rows are cut and at the end; none outside GitHub Actions.
    pub run_url: Option<String>,
    /// The most bytes the markdown may take (bytes, so it is also a bound on characters).
    pub budget: usize,
}

impl RenderOptions {
    /// Options for the job summary.
    pub fn summary(run_url: Option<String>) -> Self {
        RenderOptions {
            run_url,
            budget: SUMMARY_BUDGET,
        }
    }

    /// Options for the pull-request comment.
    pub fn comment(run_url: Option<String>) -> Self {
        RenderOptions {
            run_url,
            budget: COMMENT_BUDGET,
        }
    }
}

/// Renders `result` as markdown within `options.budget` bytes.
pub fn markdown(result: &RunResult, options: &RenderOptions) -> String {
    let run_url = options.run_url.as_deref();
    crate::redact::string(
        markdown::document(result, run_url).render_within(options.budget, run_url),
    )
}

/// Renders `result` as pretty-printed JSON (the `--json` output and the `result` file), with a newline.
pub fn json(result: &RunResult) -> String {
    // The result holds only strings, numbers, options and unit enums: serializing it cannot fail.
    let mut out =
        serde_json::to_string_pretty(result).expect("a run result always serializes to JSON");
    out.push('\n');
    crate::redact::string(out)
}

/// The status of the run as a whole: a failure (a plan's predicted failure too) or cancellation anywhere
/// decides it; otherwise a plan is `planned`, and an apply is `completed` if anything was imported, `skipped` if all was already applied.
pub fn overall_status(result: &RunResult) -> PromotionStatus {
    let any = |status| result.promotions.iter().any(|p| p.status == status);
    if result.promotions.iter().any(|p| p.fails_the_run()) {
        PromotionStatus::Failed
    } else if any(PromotionStatus::Cancelled) {
        PromotionStatus::Cancelled
    } else if result.command == RunKind::Plan {
        PromotionStatus::Planned
    } else if any(PromotionStatus::Completed) {
        PromotionStatus::Completed
    } else {
        PromotionStatus::Skipped
    }
}

/// The status as a word, the same as in the JSON result (`completed`, `skipped`, ...).
pub fn status_label(status: PromotionStatus) -> &'static str {
    status.as_str()
}

/// The emoji shown with a status.
pub fn emoji(status: PromotionStatus) -> &'static str {
    match status {
        PromotionStatus::Completed => "✅",
        PromotionStatus::Failed => "❌",
        PromotionStatus::Cancelled => "🚫",
        PromotionStatus::Skipped => "⏭️",
        PromotionStatus::Planned => "📝",
        PromotionStatus::WouldFail => "❌",
    }
}
