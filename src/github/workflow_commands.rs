//! Workflow commands (`::add-mask::`, `::group::`, `::error file=..::`), and keeping untrusted text from
//! being read as one.
//!
//! The runner reads commands from every line the step prints, on stdout and stderr: a line is a command
//! when, after leading whitespace, it starts with `::name ...::`, or when it contains the legacy `##[name]`
//! anywhere. [`neutralize`] makes text from the Spark API or the manifest inert by inserting an invisible
//! word joiner (U+2060, which the runner does not trim) in front of such a line and inside every `##[`.
//! It was chosen over `::stop-commands::TOKEN`, which would also silence our own `::add-mask::` if it were
//! printed while the untrusted text was being printed.
use std::io::{self, Write};

/// Invisible, not whitespace for the runner's `TrimStart`: a line starting with it is not a command.
const WORD_JOINER: &str = "\u{2060}";

/// Where an annotation points (all optional), and its title.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Annotation {
    /// The file, relative to the workspace.
    pub file: Option<String>,
    pub line: Option<u64>,
    pub col: Option<u64>,
    pub title: Option<String>,
}

/// Writes workflow commands to the runner (stdout in the action; any writer in tests).
pub struct WorkflowCommands<'w> {
    out: &'w mut dyn Write,
}

impl<'w> WorkflowCommands<'w> {
    pub fn new(out: &'w mut dyn Write) -> Self {
        WorkflowCommands { out }
    }

    /// Asks the runner to mask `value` in all later logs; each line of a multi-line value is also masked
    /// on its own, since the runner masks line by line.
    pub fn add_mask(&mut self, value: &str) -> io::Result<()> {
        if value.is_empty() {
            return Ok(());
        }
        let mut text = format!("::add-mask::{}\n", escape_data(value));
        if value.contains(['\n', '\r']) {
            for line in value
                .split(['\n', '\r'])
                .filter(|line| !line.trim().is_empty())
            {
                text.push_str(&format!("::add-mask::{}\n", escape_data(line)));
            }
        }
        self.write(&text)
    }

    /// Starts a collapsible group of log lines.
    pub fn group(&mut self, title: &str) -> io::Result<()> {
        self.write(&format!("::group::{}\n", escape_data(title)))
    }

    /// Ends the current group.
    pub fn end_group(&mut self) -> io::Result<()> {
        self.write("::endgroup::\n")
    }

    /// An error annotation.
    pub fn error(&mut self, message: &str, at: &Annotation) -> io::Result<()> {
        self.annotation("error", message, at)
    }

    /// A warning annotation.
    pub fn warning(&mut self, message: &str, at: &Annotation) -> io::Result<()> {
        self.annotation("warning", message, at)
    }

    /// A notice annotation.
    pub fn notice(&mut self, message: &str, at: &Annotation) -> io::Result<()> {
        self.annotation("notice", message, at)
    }

    fn annotation(&mut self, kind: &str, message: &str, at: &Annotation) -> io::Result<()> {
        let mut properties = Vec::new();
        if let Some(file) = &at.file {
            properties.push(format!("file={}", escape_property(file)));
        }
        if let Some(line) = at.line {
            properties.push(format!("line={line}"));
        }
        if let Some(col) = at.col {
            properties.push(format!("col={col}"));
        }
        if let Some(title) = &at.title {
            properties.push(format!("title={}", escape_property(title)));
        }
        let properties = if properties.is_empty() {
            String::new()
        } else {
            format!(" {}", properties.join(","))
        };
        let message = crate::redact::text(message);
        self.write(&format!(
            "::{kind}{properties}::{}\n",
            escape_data(&message)
        ))
    }

    /// One write per command, so lines from other threads cannot land inside it.
    fn write(&mut self, text: &str) -> io::Result<()> {
        self.out.write_all(text.as_bytes())?;
        self.out.flush()
    }
}

/// Escapes a command's message: `%`, `\r` and `\n` (so it stays on one line).
pub fn escape_data(value: &str) -> String {
    value
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command's property value: as [`escape_data`], plus `:` and `,`.
pub fn escape_property(value: &str) -> String {
    escape_data(value).replace(':', "%3A").replace(',', "%2C")
}

/// Makes untrusted text unable to start a workflow command (see the module docs); other text is unchanged.
pub fn neutralize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive(['\n', '\r']) {
        if line.trim_start().starts_with("::") {
            out.push_str(WORD_JOINER);
        }
        out.push_str(&line.replace("##[", &format!("##{WORD_JOINER}[")));
    }
    out
}

/// A writer that [`neutralize`]s everything written through it, line by line (for the logs on stderr).
///
/// Complete lines are passed on as they come; a last line without a newline is passed on by `flush` or
/// when the writer is dropped.
pub struct Neutralized<W: Write> {
    inner: W,
    pending: Vec<u8>,
}

impl<W: Write> Neutralized<W> {
    pub fn new(inner: W) -> Self {
        Neutralized {
            inner,
            pending: Vec::new(),
        }
    }

    fn pass_on(&mut self, upto: usize) -> io::Result<()> {
        let chunk: Vec<u8> = self.pending.drain(..upto).collect();
        let text = neutralize(&String::from_utf8_lossy(&chunk));
        self.inner.write_all(text.as_bytes())
    }
}

impl<W: Write> Write for Neutralized<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        if let Some(last) = self
            .pending
            .iter()
            .rposition(|b| *b == b'\n' || *b == b'\r')
        {
            self.pass_on(last + 1)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            self.pass_on(self.pending.len())?;
        }
        self.inner.flush()
    }
}

impl<W: Write> Drop for Neutralized<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn captured(f: impl FnOnce(&mut WorkflowCommands) -> io::Result<()>) -> String {
        let mut out = Vec::new();
        f(&mut WorkflowCommands::new(&mut out)).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// Whether the runner would read `line` as a command (its two parsers, as documented above).
    fn runner_reads_a_command(line: &str) -> bool {
        let trimmed = line.trim_start();
        (trimmed.starts_with("::") && trimmed[2..].contains("::")) || line.contains("##[")
    }

    #[test]
    fn masks_escape_percent_and_newlines_and_mask_each_line_too() {
        assert_eq!(
            captured(|c| c.add_mask("50%\r\nsecret")),
            "::add-mask::50%25%0D%0Asecret\n::add-mask::50%25\n::add-mask::secret\n"
        );
        assert_eq!(captured(|c| c.add_mask("tok")), "::add-mask::tok\n");
        assert_eq!(captured(|c| c.add_mask("")), "");
    }

    #[test]
    fn annotations_escape_properties_and_message() {
        let at = Annotation {
            file: Some("dir,a:b/spark-promote.yaml".to_string()),
            line: Some(14),
            col: Some(7),
            title: None,
        };
        assert_eq!(
            captured(|c| c.error("unknown field 'x'\n100% wrong", &at)),
            "::error file=dir%2Ca%3Ab/spark-promote.yaml,line=14,col=7::unknown field 'x'%0A100%25 wrong\n"
        );
        assert_eq!(
            captured(|c| c.warning("cannot comment", &Annotation::default())),
            "::warning::cannot comment\n"
        );
    }

    #[test]
    fn groups_open_and_close() {
        assert_eq!(
            captured(|c| {
                c.group("import pricing\n::x")?;
                c.end_group()
            }),
            "::group::import pricing%0A::x\n::endgroup::\n"
        );
    }

    #[test]
    fn neutralized_text_cannot_start_a_command_in_either_syntax() {
        let hostile =
            "ok\n::add-mask::x\n   ::error::boom\r::set-output name=a::b\nsee ##[error]legacy\n::";
        let safe = neutralize(hostile);
        for line in safe.split(['\n', '\r']) {
            assert!(!runner_reads_a_command(line), "{line:?}");
        }
        assert!(
            hostile
                .split(['\n', '\r'])
                .filter(|l| runner_reads_a_command(l))
                .count()
                >= 4
        );
        // What a reader sees is unchanged.
        assert_eq!(safe.replace(WORD_JOINER, ""), hostile);
        assert_eq!(neutralize("plain text: a::b\n"), "plain text: a::b\n");
    }

    #[test]
    fn the_neutralizing_writer_handles_lines_split_across_writes() {
        let mut out = Vec::new();
        {
            let mut writer = Neutralized::new(&mut out);
            writer.write_all(b"first ").unwrap();
            writer.write_all(b"line\n::warn").unwrap();
            writer.write_all(b"ing::x\nlast").unwrap();
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!("first line\n{WORD_JOINER}::warning::x\nlast")
        );
    }
}
