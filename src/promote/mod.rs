//! Orchestration: correlation ids, idempotency, tenant slot, polling, cancellation, plan.
pub mod cancel;
pub mod correlation;
pub mod export;
pub mod files;
pub mod jobs;
mod messages;
mod outputs;
pub mod package;
pub mod poll;
pub mod progress;
pub mod result;
pub mod schedule;
pub mod version;
