//! Progress of byte transfers, reported by the engine and drawn by the caller (a bar on a terminal, plain
//! lines in CI logs). Job states are reported as log lines.
use std::sync::Arc;

/// Which transfer a progress report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transfer {
    Upload,
    Download,
}

/// Receives transfer progress. Implementations must be cheap: they are called for every chunk.
pub trait Progress: Send + Sync {
    fn transfer(&self, promotion: &str, transfer: Transfer, done: u64, total: u64);
}

/// Discards progress (tests, `--json`).
#[derive(Debug, Default)]
pub struct Silent;

impl Progress for Silent {
    fn transfer(&self, _: &str, _: Transfer, _: u64, _: u64) {}
}

/// A shared progress receiver.
pub type SharedProgress = Arc<dyn Progress>;
