//! Logs go to stderr (stdout is for data); `RUST_LOG` overrides the verbosity flags.
//!
//! In the GitHub Action the runner reads workflow commands from stderr too, and the logs carry text that
//! the workflow does not control (from the Spark API, from a manifest a pull request edits):
//! [`init_for_action`] passes every line through [`Neutralized`], so that such text can never start a
//! workflow command (`::error::`, `##[error]`). Every log line, in any mode, has the secrets known to the
//! run removed first ([`Redacting`], see [`crate::redact`]).
use std::io;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::github::Neutralized;

/// Installs the stderr subscriber. `level` is the default filter, e.g. "info".
pub fn init(level: &str) {
    install(level, Redacting(io::stderr));
}

/// Installs the stderr subscriber for the `action` command: as [`init`], with every log line made unable
/// to start a workflow command.
pub fn init_for_action(level: &str) {
    install(level, Redacting(Neutralizing(io::stderr)));
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

/// Wraps each writer that `M` makes in [`Neutralized`]: the subscriber makes one writer per event and
/// drops it at the event's end, so an event's last line is passed on with it.
#[derive(Debug, Clone, Copy)]
struct Neutralizing<M>(M);

impl<'w, M: MakeWriter<'w>> MakeWriter<'w> for Neutralizing<M> {
    type Writer = Neutralized<M::Writer>;

    fn make_writer(&'w self) -> Self::Writer {
        Neutralized::new(self.0.make_writer())
    }
}

/// Wraps each writer that `M` makes in [`Redacted`].
#[derive(Debug, Clone, Copy)]
struct Redacting<M>(M);

impl<'w, M: MakeWriter<'w>> MakeWriter<'w> for Redacting<M> {
    type Writer = Redacted<M::Writer>;

    fn make_writer(&'w self) -> Self::Writer {
        Redacted {
            inner: self.0.make_writer(),
            pending: Vec::new(),
        }
    }
}

/// Holds one event's text and passes it on, every known secret removed, when flushed or dropped (at the
/// event's end: a secret is never split between two writes).
struct Redacted<W: io::Write> {
    inner: W,
    pending: Vec<u8>,
}

impl<W: io::Write> Redacted<W> {
    fn pass_on(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let text = crate::redact::bytes(std::mem::take(&mut self.pending).into());
        self.inner.write_all(&text)?;
        self.inner.flush()
    }
}

impl<W: io::Write> io::Write for Redacted<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.pass_on()
    }
}

impl<W: io::Write> Drop for Redacted<W> {
    fn drop(&mut self) {
        let _ = self.pass_on();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// A writer into a shared buffer, as the subscriber's writer in tests.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn log_events_have_every_known_secret_removed() {
        crate::redact::register("logged-secret-4711");
        let buffer = Buffer::default();
        let maker = {
            let buffer = buffer.clone();
            Redacting(move || buffer.clone())
        };
        let subscriber = tracing_subscriber::fmt()
            .with_writer(maker)
            .with_ansi(false)
            .without_time()
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::error!("the server said: Bearer logged-secret-4711");
        });
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        assert!(text.contains("the server said: Bearer ***"), "{text}");
        assert!(!text.contains("logged-secret-4711"), "{text}");
    }

    #[test]
    fn log_events_through_the_action_writer_cannot_start_a_workflow_command() {
        let buffer = Buffer::default();
        let maker = {
            let buffer = buffer.clone();
            Neutralizing(move || buffer.clone())
        };
        let subscriber = tracing_subscriber::fmt()
            .with_writer(maker)
            .with_ansi(false)
            .with_level(false)
            .with_target(false)
            .without_time()
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::error!("job failed: locked\n::error::pwned\n  ::add-mask::x");
            tracing::info!("::warning::at the start");
            tracing::warn!("legacy ##[error]pwned");
        });
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        for line in text.lines() {
            assert!(!line.trim_start().starts_with("::"), "{line:?}");
            assert!(!line.contains("##["), "{line:?}");
        }
        assert_eq!(
            text.replace('\u{2060}', ""),
            "job failed: locked\n::error::pwned\n  ::add-mask::x\n::warning::at the start\nlegacy ##[error]pwned\n"
        );
    }
}
