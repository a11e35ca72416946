//! Progress drawing for the command line: bars on a terminal, a log line every quarter in CI logs.
use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::promote::progress::{Progress, SharedProgress, Transfer};

/// The progress receiver that fits stderr: bars on a terminal, plain lines otherwise.
pub fn for_stderr() -> SharedProgress {
    if std::io::stderr().is_terminal() {
        Arc::new(Bars::default())
    } else {
        Arc::new(Lines::default())
    }
}

fn verb(transfer: Transfer) -> &'static str {
    match transfer {
        Transfer::Upload => "uploading",
        Transfer::Download => "downloading",
    }
}

/// Terminal bars, one per promotion and transfer.
#[derive(Default)]
struct Bars {
    multi: MultiProgress,
    bars: Mutex<HashMap<(String, &'static str), ProgressBar>>,
}

impl Progress for Bars {
    fn transfer(&self, promotion: &str, transfer: Transfer, done: u64, total: u64) {
        let mut bars = self
            .bars
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let bar = bars
            .entry((promotion.to_string(), verb(transfer)))
            .or_insert_with(|| {
                let bar = self.multi.add(ProgressBar::new(total));
                bar.set_style(
                    ProgressStyle::with_template(
                        "{prefix} {bar:30} {bytes}/{total_bytes} {bytes_per_sec} {eta}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                bar.set_prefix(format!("{promotion}: {}", verb(transfer)));
                bar
            });
        bar.set_length(total);
        bar.set_position(done);
        if done >= total {
            bar.finish();
        }
    }
}

/// Plain log lines at 0, 25, 50, 75 and 100 %.
#[derive(Default)]
struct Lines {
    reported: Mutex<HashMap<(String, &'static str), u64>>,
}

impl Progress for Lines {
    fn transfer(&self, promotion: &str, transfer: Transfer, done: u64, total: u64) {
        let quarter = (done.saturating_mul(4)).checked_div(total).unwrap_or(4);
        let mut reported = self
            .reported
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let key = (promotion.to_string(), verb(transfer));
        if reported.get(&key).is_some_and(|last| *last >= quarter) {
            return;
        }
        reported.insert(key, quarter);
        tracing::info!(
            "{promotion}: {} {done} of {total} bytes ({}%)",
            verb(transfer),
            quarter * 25
        );
    }
}
