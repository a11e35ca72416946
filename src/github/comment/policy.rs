//! What the `comment` input asks for with a result: nothing, create or update, or update only.
use crate::github::inputs::CommentMode;
use crate::promote::result::{PromotionStatus, RunResult};

/// What to do when the comment does not exist yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfMissing {
    Create,
    /// Leave it: there is nothing new to say, and an existing comment is still kept up to date.
    Skip,
}

/// What the `comment` input asks for with this result: nothing (`never`); create or update (`always`, or
/// `auto` when the run has something to say); update only (`auto` when everything was already applied).
pub fn policy(mode: CommentMode, result: &RunResult) -> Option<IfMissing> {
    match mode {
        CommentMode::Never => None,
        CommentMode::Always => Some(IfMissing::Create),
        CommentMode::Auto if has_news(result) => Some(IfMissing::Create),
        CommentMode::Auto => Some(IfMissing::Skip),
    }
}

/// Anything other than promotions already applied, or plans with nothing in them.
fn has_news(result: &RunResult) -> bool {
    result.promotions.iter().any(|p| match p.status {
        PromotionStatus::Skipped => false,
        PromotionStatus::Planned => {
            !p.services.is_empty() || !p.errors.is_empty() || !p.warnings.is_empty()
        }
        PromotionStatus::Completed
        | PromotionStatus::Failed
        | PromotionStatus::Cancelled
        | PromotionStatus::WouldFail => true,
    })
}
