//! The sticky pull-request comment: which pull request (`target.rs`), what it says (`body.rs`,
//! `update.rs`, `rerun.rs`, `stale.rs`), whether to write it (`policy.rs`), and which comment (a hidden
//! marker among the token user's comments, `find.rs`) to create / update / leave alone (`write.rs`).
mod body;
mod find;
mod policy;
mod rerun;
mod stale;
mod target;
mod update;
mod write;

pub use super::marker::Marker;
pub use super::pages::PER_PAGE;
pub use body::{RunFor, content_key, content_line, markdown, text_key};
pub use find::ACTIONS_BOT;
pub use policy::{IfMissing, policy};
pub use target::{CommentTarget, PullRequest, resolve_target};
pub use update::{Update, update};
pub use write::{CommentOutcome, upsert, upsert_keyed, upsert_update};

#[cfg(test)]
mod tests;
