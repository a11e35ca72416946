//! Logs go to stderr (stdout is for data); `RUST_LOG` overrides the verbosity flags.
use tracing_subscriber::EnvFilter;

/// Installs the stderr subscriber. `level` is the default filter, e.g. "info".
pub fn init(level: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_target(false)
        .without_time()
        .try_init();
}
