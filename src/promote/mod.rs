//! Orchestration: correlation ids, idempotency, tenant slot, polling, cancellation, plan.
//!
//! The engine never renders: it returns a [`result::RunResult`] that `report` turns into text.
mod applied;
mod apply;
pub mod backup;
pub mod cancel;
pub mod context;
pub mod correlation;
pub mod drift;
pub mod export;
pub mod files;
pub mod job_by_id;
pub mod jobs;
pub mod lock;
mod locked;
mod messages;
mod outputs;
pub mod package;
mod plan;
pub mod poll;
mod predict;
pub mod progress;
pub mod record;
pub mod request;
pub mod result;
mod run;
pub mod schedule;
mod source;
pub mod version;

pub use context::RunOptions;
pub use run::{run, run_promotions};
