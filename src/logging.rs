//! Logs go to stderr (stdout is for data); `RUST_LOG` overrides the verbosity flags.
//!
//! In the GitHub Action the runner reads workflow commands from stderr too, and the logs carry text from
//! the Spark API (job errors, service names): [`init_for_action`] passes every line through
//! [`Neutralized`], so that such text can never start a workflow command.
use std::io;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::github::Neutralized;

/// Installs the stderr subscriber. `level` is the default filter, e.g. "info".
pub fn init(level: &str) {
    install(level, std::io::stderr);
}

/// Installs the stderr subscriber for the `action` command: as [`init`], with every log line made unable
/// to start a workflow command (`::error::`, `##[error]`).
pub fn init_for_action(level: &str) {
    install(level, ActionStderr);
}

fn install<W>(level: &str, writer: W)
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(ansi)
        .with_target(false)
        .without_time()
        .try_init();
}

/// Makes a [`Neutralized`] stderr writer per event: each event is formatted into one buffer and written
/// (whole lines, neutralized) when the writer is dropped at the end of the event.
#[derive(Debug, Clone, Copy)]
struct ActionStderr;

impl<'w> MakeWriter<'w> for ActionStderr {
    type Writer = Neutralized<io::Stderr>;

    fn make_writer(&'w self) -> Self::Writer {
        Neutralized::new(io::stderr())
    }
}
