//! The embedded emulator of the Spark ImpEx API (`spark-promote sandbox`).
//!
//! An independent second implementation of the API: it shares no wire types with `spark` or `promote`.
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// How to run a sandbox.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub seed: Option<PathBuf>,
    pub job_duration: Duration,
    pub max_upload_bytes: u64,
    pub state_dir: Option<PathBuf>,
}

/// Serves the sandbox until the process is stopped.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let _ = config;
    anyhow::bail!("the sandbox is not implemented yet")
}
