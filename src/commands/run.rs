//! `plan` and `apply`: run the selected promotions, print the summary (or `--json`) on stdout.
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use crate::exit::Outcome;
use crate::manifest::Manifest;
use crate::promote::record::journal::{self, Journal};
use crate::promote::result::{RunKind, RunResult};
use crate::promote::{self, RunOptions, cancel::Cancel};
use crate::report::{self, RenderOptions};

/// A `plan` or `apply` from the command line.
pub struct RunRequest {
    pub command: RunKind,
    pub selection: super::Selection,
    /// `--format` or `--json`; `None`: the default for where stdout goes.
    pub format: Option<Format>,
    /// `--locked`: refuse to run without an up-to-date lock.
    pub locked: bool,
    pub wait_timeout: Duration,
}

pub async fn run(request: RunRequest) -> anyhow::Result<Outcome> {
    let manifest = request.selection.load()?;
    let selected = request.selection.of(&manifest);
    super::check_packages(&selected).await?;
    let lock = promote::source::lock::for_run(&manifest, &selected, request.locked).await?;
    let options = RunOptions {
        lock: Arc::new(lock),
        ..with_journal(options(request.wait_timeout)?, &manifest)
    };
    let cancel = options.cancel.clone();
    let result = promote::run(
        request.command,
        manifest,
        &request.selection.promotions,
        options,
    )
    .await?;
    print(&result, request.format)?;
    Ok(result.outcome(&cancel))
}

/// The options of a run from the command line: its deadline, signals and progress on stderr.
pub(super) fn options(wait_timeout: Duration) -> anyhow::Result<RunOptions> {
    Ok(RunOptions {
        wait_timeout,
        cancel: Cancel::on_signals().context("failed to listen for signals")?,
        progress: crate::progress_display::for_stderr(),
        ..RunOptions::default()
    })
}

/// A terminal run keeps its own promotion records in the journal (`.spark-promote/records.json`), as the
/// action keeps GitHub deployments: read before the run, written as each import ends.
pub(super) fn with_journal(options: RunOptions, manifest: &Manifest) -> RunOptions {
    let journal = Arc::new(Journal::at(journal::DEFAULT_PATH));
    RunOptions {
        records: Arc::new(journal.records_for(manifest)),
        recorder: journal,
        ..options
    }
}

/// How a run's result is printed on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// For a person: plain text, coloured on a terminal.
    Text,
    /// GitHub's markdown, as the job summary.
    Markdown,
    Json,
}

impl Format {
    /// Without `--format`: markdown inside GitHub Actions (where it goes to a job summary or a comment),
    /// else text.
    pub fn default_for(github_actions: Option<&str>) -> Format {
        if github_actions == Some("true") {
            Format::Markdown
        } else {
            Format::Text
        }
    }
}

/// Colour only on a terminal that has it: not with `NO_COLOR` (any non-empty value) or `TERM=dumb`.
pub fn colour(terminal: bool, no_color: Option<&str>, term: Option<&str>) -> report::text::Colour {
    let off = no_color.is_some_and(|value| !value.is_empty()) || term == Some("dumb");
    if terminal && !off {
        report::text::Colour::Always
    } else {
        report::text::Colour::Never
    }
}

/// `format`, or without one [`Format::default_for`] this process.
pub fn chosen(format: Option<Format>) -> Format {
    format.unwrap_or_else(|| Format::default_for(std::env::var("GITHUB_ACTIONS").ok().as_deref()))
}

/// Whether text on this process's stdout is coloured (see [`colour`]).
pub fn stdout_colour() -> report::text::Colour {
    let env = |name: &str| std::env::var(name).ok();
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stdout());
    colour(terminal, env("NO_COLOR").as_deref(), env("TERM").as_deref())
}

/// Prints a run's result on stdout in `format` (`None`: [`Format::default_for`] this process).
pub(super) fn print(result: &RunResult, format: Option<Format>) -> anyhow::Result<()> {
    let text = match chosen(format) {
        Format::Json => report::json(result),
        Format::Markdown => report::markdown(result, &RenderOptions::summary(None)),
        Format::Text => report::text::text(result, stdout_colour()),
    };
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{text}").context("failed to write the result")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::text::Colour;

    #[test]
    fn markdown_inside_github_actions_text_elsewhere() {
        assert_eq!(Format::default_for(Some("true")), Format::Markdown);
        assert_eq!(Format::default_for(None), Format::Text);
        assert_eq!(Format::default_for(Some("false")), Format::Text);
    }

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert_eq!(colour(true, None, Some("xterm-256color")), Colour::Always);
        assert_eq!(colour(true, Some("1"), None), Colour::Never);
        assert_eq!(
            colour(true, Some(""), None),
            Colour::Always,
            "an empty NO_COLOR is unset"
        );
        assert_eq!(colour(true, None, Some("dumb")), Colour::Never);
        assert_eq!(colour(false, None, None), Colour::Never);
    }
}
