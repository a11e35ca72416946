//! Cancellation by SIGINT/SIGTERM: GitHub cancels a run with SIGINT, then SIGTERM 7.5 s later. The first
//! signal cancels the running jobs (PATCH) and the run writes its summary before exiting non-zero.
use std::sync::{Arc, OnceLock};

use tokio_util::sync::CancellationToken;

use crate::exit::Signal;

/// A cancellation shared by every task of a run; remembers the first signal.
#[derive(Debug, Clone, Default)]
pub struct Cancel {
    token: CancellationToken,
    signal: Arc<OnceLock<Signal>>,
}

impl Cancel {
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// Cancels the run because of `signal` (the first signal wins).
    pub fn trigger(&self, signal: Signal) {
        let _ = self.signal.set(signal);
        self.token.cancel();
    }

    /// The signal that cancelled the run, if any.
    pub fn signal(&self) -> Option<Signal> {
        self.signal.get().copied()
    }

    pub fn is_cancelled(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Resolves when the run is cancelled.
    pub async fn cancelled(&self) {
        self.token.cancelled().await
    }

    /// Runs `work` to its end unless the run is cancelled first: then `work` is dropped (a stalled request
    /// is abandoned, a partial download deleted) and the error says what was cancelled.
    pub async fn unless<T>(
        &self,
        what: &str,
        work: impl std::future::Future<Output = anyhow::Result<T>>,
    ) -> anyhow::Result<T> {
        tokio::select! {
            result = work => result,
            _ = self.cancelled() => Err(anyhow::anyhow!("cancelled while {what}")),
        }
    }

    /// The process's cancellation by SIGINT or SIGTERM: installed by the first call, shared by every later
    /// one (each phase of a command, the GitHub calls of the action), for the rest of the process's life.
    pub fn on_signals() -> std::io::Result<Cancel> {
        if let Some(cancel) = PROCESS.get() {
            return Ok(cancel.clone());
        }
        let cancel = Cancel::new();
        listen(&cancel)?;
        Ok(PROCESS.get_or_init(|| cancel).clone())
    }

    /// The process's signal cancellation, once [`Cancel::on_signals`] installed it.
    pub fn process() -> Option<Cancel> {
        PROCESS.get().cloned()
    }
}

/// The process's signal cancellation (see [`Cancel::on_signals`]).
static PROCESS: OnceLock<Cancel> = OnceLock::new();

/// Triggers `cancel` on each SIGINT or SIGTERM from now on.
fn listen(cancel: &Cancel) -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let handle = cancel.clone();
    tokio::spawn(async move {
        loop {
            let received = tokio::select! {
                _ = interrupt.recv() => Signal::Interrupt,
                _ = terminate.recv() => Signal::Terminate,
            };
            tracing::warn!(
                "received {}: cancelling the running jobs and calls",
                match received {
                    Signal::Interrupt => "SIGINT",
                    Signal::Terminate => "SIGTERM",
                }
            );
            handle.trigger(received);
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_first_signal_is_kept_and_wakes_waiters() {
        let cancel = Cancel::new();
        let waiter = tokio::spawn({
            let cancel = cancel.clone();
            async move { cancel.cancelled().await }
        });
        cancel.trigger(Signal::Interrupt);
        cancel.trigger(Signal::Terminate);
        waiter.await.unwrap();
        assert!(cancel.is_cancelled());
        assert_eq!(cancel.signal(), Some(Signal::Interrupt));
    }

    #[tokio::test]
    async fn unless_abandons_work_that_outlives_the_cancellation() {
        let cancel = Cancel::new();
        let done = cancel.unless("working", async { Ok(1) }).await.unwrap();
        assert_eq!(done, 1);
        let trigger = cancel.clone();
        tokio::spawn(async move { trigger.trigger(Signal::Terminate) });
        let err = cancel
            .unless("stalled", std::future::pending::<anyhow::Result<()>>())
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "cancelled while stalled");
    }
}
