//! What a run writes into the comment: its result, a re-run line, or a stale mark.
use super::RunFor;
use super::body::{content_key, markdown};
use super::rerun::rerun_line;
use crate::promote::result::{PromotionStatus, RunKind, RunResult};

/// What a run writes into the comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Update {
    /// The run's result replaces the comment (unless it already says the same): its markdown and key.
    Result { markdown: String, key: String },
    /// A re-run that found everything applied: `line` is added to the last real result; with no comment
    /// yet, `markdown` (the result) is written as [`Update::Result`] would.
    Rerun {
        line: String,
        markdown: String,
        key: String,
    },
    /// The manifest became invalid: an existing comment is marked stale with `message` (none is created).
    Stale { message: String },
}

/// The update for `result`: an apply or rollback that skipped everything is a re-run line (at `now`,
/// RFC 3339, linking `run_url`), anything else the result.
pub fn update(result: &RunResult, run_url: Option<String>, run_for: &RunFor, now: &str) -> Update {
    let markdown = markdown(result, run_url.clone(), run_for);
    let key = content_key(result, run_for);
    let all_skipped = result.command != RunKind::Plan
        && !result.promotions.is_empty()
        && result
            .promotions
            .iter()
            .all(|p| p.status == PromotionStatus::Skipped);
    if !all_skipped {
        return Update::Result { markdown, key };
    }
    Update::Rerun {
        line: rerun_line(result, run_url, now),
        markdown,
        key,
    }
}
