//! Orchestration: correlation ids, idempotency, tenant slot, polling, cancellation, plan.
pub mod result;
