//! spark-promote: promote Coherent Spark services between environments through the ImpEx API.
//!
//! Modules, by the direction of their dependencies (see design.md):
//! `cli` → `github`, `promote`, `report`, `sandbox`, `manifest`; `github` → `promote`, `report`;
//! `promote` → `spark`, `manifest`; `report` → `promote` (result types only).
//! `spark` is the ImpEx client and depends on nothing above it; `sandbox` is an independent emulator.
//! `retry` is the one retry core of both HTTP clients (`spark` and `github`); `tenant_url` the one rule for an
//! environment URL and its token URL (`manifest` and `spark`); `error_body` the one reader of an HTTP error
//! body (`spark` and `github`); `body` the one cap on a body read into memory and `redact` the secrets known to
//! the run, removed from server text and from every output (both clients, logs, reports). See
//! docs/architecture.md.

pub(crate) mod body;
pub mod cli;
pub mod commands;
pub(crate) mod error_body;
pub mod exit;
pub mod github;
pub mod logging;
pub mod manifest;
pub mod progress_display;
pub mod promote;
pub mod redact;
pub mod report;
pub mod retry;
pub mod sandbox;
pub mod spark;
pub mod tenant_url;
pub mod verify;
