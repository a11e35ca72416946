//! The re-run lines: what a re-run that found everything applied adds below the last real result, at
//! most [`MAX_RERUN_LINES`] of them, older ones counted.
use crate::promote::result::RunResult;
use crate::report::escape;

/// The most re-run lines a comment keeps; older ones are counted in one line above them.
const MAX_RERUN_LINES: usize = 10;

/// The re-run line of `result` (every promotion skipped) at `now`, linking `run_url`: each promotion's
/// reason for nothing to do.
pub(super) fn rerun_line(result: &RunResult, run_url: Option<String>, now: &str) -> String {
    let run = match run_url {
        Some(url) => format!("[re-run {now}]({url})"),
        None => format!("re-run {now}"),
    };
    let reasons: Vec<String> = result
        .promotions
        .iter()
        .map(|p| {
            let reason = match &p.skip {
                Some(skip) => skip.to_string(),
                None => "already applied".to_string(),
            };
            format!("{}: {}", escape::text(&p.name), escape::text(&reason))
        })
        .collect();
    format!("- {run}: nothing to do; {}", reasons.join("; "))
}

/// `stored` with `line` added at its end: the first re-run line after a blank line, later ones below it;
/// past [`MAX_RERUN_LINES`], the oldest are dropped and counted.
pub(super) fn add_rerun_line(stored: &str, line: &str) -> String {
    let stored = stored.replace("\r\n", "\n");
    let lines: Vec<&str> = stored.trim_end().lines().collect();
    let is_rerun = |text: &&&str| text.starts_with("- [re-run") || text.starts_with("- re-run");
    let reruns_from = lines.len() - lines.iter().rev().take_while(is_rerun).count();
    let (mut head_end, mut earlier) = (reruns_from, 0);
    if let Some(count) = reruns_from
        .checked_sub(1)
        .and_then(|above| earlier_reruns(lines[above]))
    {
        (head_end, earlier) = (reruns_from - 1, count);
    }
    let mut reruns: Vec<&str> = lines[reruns_from..].to_vec();
    reruns.push(line.trim_end());
    let dropped = reruns.len().saturating_sub(MAX_RERUN_LINES);
    reruns.drain(..dropped);
    earlier += dropped;
    let head = lines[..head_end].join("\n");
    let counted = match earlier {
        0 => String::new(),
        1 => "- 1 earlier re-run: nothing to do\n".to_string(),
        n => format!("- {n} earlier re-runs: nothing to do\n"),
    };
    format!("{}\n\n{counted}{}\n", head.trim_end(), reruns.join("\n"))
}

/// The count of the line that stands for dropped re-run lines.
fn earlier_reruns(line: &str) -> Option<usize> {
    let rest = line.strip_prefix("- ")?;
    let count = rest
        .strip_suffix(" earlier re-runs: nothing to do")
        .or_else(|| rest.strip_suffix(" earlier re-run: nothing to do"))?;
    count.parse().ok()
}
