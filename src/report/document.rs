//! A markdown document whose long lists (table rows, list items) can be cut in the middle to fit a budget.

/// A document: fixed text and lists of rows that may be shortened.
#[derive(Debug, Default)]
pub(crate) struct Document {
    blocks: Vec<Block>,
}

#[derive(Debug)]
enum Block {
    Text(String),
    Rows(Rows),
}

/// A run of rows between fixed text: a table's rows (after its header) or a list's items.
#[derive(Debug)]
pub(crate) struct Rows {
    /// What the rows are called in the omission line (`rows`, `errors`).
    pub noun: &'static str,
    /// Each row is one line, without its newline.
    pub rows: Vec<String>,
    /// How the omission line is laid out.
    pub kind: RowsKind,
}

/// How a cut is shown among the rows.
#[derive(Debug, Clone, Copy)]
pub(crate) enum RowsKind {
    /// A table row with this many columns; the note goes in the first cell.
    Table { columns: usize },
    /// A list item.
    List,
}

impl Document {
    /// Appends fixed text (kept whatever the budget).
    pub fn text(&mut self, text: impl Into<String>) {
        self.blocks.push(Block::Text(text.into()));
    }

    /// Appends rows that may be cut in the middle.
    pub fn rows(&mut self, rows: Rows) {
        self.blocks.push(Block::Rows(rows));
    }

    /// Renders everything, or, when that is over `budget` bytes, keeps the first and last rows of the long
    /// lists (as many as fit, the same number for every list) with a line saying how many were omitted.
    pub fn render_within(&self, budget: usize, run_url: Option<&str>) -> String {
        let longest = self.longest_rows();
        let full = self.render(longest, run_url);
        if full.len() <= budget {
            return full;
        }
        // The rendered length grows with the number of rows kept: find the largest count that fits.
        let (mut fits, mut over) = (0, longest);
        if self.render(0, run_url).len() > budget {
            return truncate(self.render(0, run_url), budget, run_url);
        }
        while over - fits > 1 {
            let middle = fits + (over - fits) / 2;
            if self.render(middle, run_url).len() <= budget {
                fits = middle;
            } else {
                over = middle;
            }
        }
        self.render(fits, run_url)
    }

    fn longest_rows(&self) -> usize {
        self.blocks
            .iter()
            .map(|block| match block {
                Block::Rows(rows) => rows.rows.len(),
                Block::Text(_) => 0,
            })
            .max()
            .unwrap_or(0)
    }

    /// Renders with at most `keep` rows of each list.
    fn render(&self, keep: usize, run_url: Option<&str>) -> String {
        let mut out = String::new();
        for block in &self.blocks {
            match block {
                Block::Text(text) => out.push_str(text),
                Block::Rows(rows) => rows.render(keep, run_url, &mut out),
            }
        }
        out
    }
}

impl Rows {
    fn render(&self, keep: usize, run_url: Option<&str>, out: &mut String) {
        let total = self.rows.len();
        if total <= keep {
            for row in &self.rows {
                out.push_str(row);
                out.push('\n');
            }
            return;
        }
        let head = keep.div_ceil(2);
        let tail = keep - head;
        for row in &self.rows[..head] {
            out.push_str(row);
            out.push('\n');
        }
        let note = omission(total - keep, self.noun, run_url);
        match self.kind {
            RowsKind::Table { columns } => {
                out.push_str("| ");
                out.push_str(&note);
                out.push_str(" |");
                out.push_str(&" |".repeat(columns.saturating_sub(1)));
            }
            RowsKind::List => {
                out.push_str("- ");
                out.push_str(&note);
            }
        }
        out.push('\n');
        for row in &self.rows[total - tail..] {
            out.push_str(row);
            out.push('\n');
        }
    }
}

/// The line that replaces omitted rows.
fn omission(count: usize, noun: &str, run_url: Option<&str>) -> String {
    format!("… {count} {noun} omitted, {}", where_to_look(run_url))
}

/// Where the reader finds what a cut left out.
fn where_to_look(run_url: Option<&str>) -> String {
    match run_url {
        Some(url) => format!(
            "see the full result in the run: [{}]({})",
            super::escape::text(url),
            super::escape::url(url)
        ),
        None => "see the full result in the JSON result".to_string(),
    }
}

/// Last resort when even the fixed text is over budget: cut the text and say so.
fn truncate(mut text: String, budget: usize, run_url: Option<&str>) -> String {
    let note = format!("\n\n… the rest omitted, {}\n", where_to_look(run_url));
    let mut end = budget.saturating_sub(note.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text.push_str(&note);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: usize) -> Document {
        let mut doc = Document::default();
        doc.text("| a | b |\n|---|---|\n");
        doc.rows(Rows {
            noun: "rows",
            rows: (0..rows).map(|i| format!("| {i} | x |")).collect(),
            kind: RowsKind::Table { columns: 2 },
        });
        doc.text("totals\n");
        doc
    }

    #[test]
    fn a_document_within_budget_is_rendered_whole() {
        let doc = table(3);
        assert_eq!(
            doc.render_within(10_000, None),
            "| a | b |\n|---|---|\n| 0 | x |\n| 1 | x |\n| 2 | x |\ntotals\n"
        );
    }

    #[test]
    fn an_over_budget_table_keeps_its_first_and_last_rows_and_counts_the_rest() {
        let doc = table(1000);
        let out = doc.render_within(600, Some("https://github.com/o/r/actions/runs/1"));
        assert!(out.len() <= 600, "{}", out.len());
        assert!(
            out.starts_with("| a | b |\n|---|---|\n| 0 | x |\n"),
            "{out}"
        );
        assert!(out.ends_with("| 999 | x |\ntotals\n"), "{out}");
        let kept = out.lines().filter(|l| l.ends_with("| x |")).count();
        assert!(out.contains(&format!(
            "| … {} rows omitted, see the full result in the run: [https:\u{2060}//github.com/o/r/actions/runs/1](https://github.com/o/r/actions/runs/1) | |",
            1000 - kept
        )), "{out}");
    }

    #[test]
    fn fixed_text_over_budget_is_truncated_with_a_note() {
        let mut doc = Document::default();
        doc.text("é".repeat(500));
        let out = doc.render_within(101, None);
        assert!(out.len() <= 101);
        assert!(
            out.ends_with("… the rest omitted, see the full result in the JSON result\n"),
            "{out}"
        );
    }
}
