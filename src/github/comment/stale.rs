//! The stale banner: an existing comment marked when the manifest became invalid.
use crate::report::escape;

/// The hidden line before a stale comment's banner; the banner ends at the next blank line.
pub(super) const STALE_LINE: &str = "<!-- spark-promote-stale -->";

/// `stored` (marker first) marked stale with `message`, replacing an earlier banner.
pub(super) fn mark_stale(stored: &str, message: &str) -> String {
    let stored = stored.replace("\r\n", "\n");
    let mut lines: Vec<&str> = stored.lines().collect();
    if let Some(start) = lines.iter().position(|line| *line == STALE_LINE) {
        let end = lines[start..]
            .iter()
            .position(|line| line.is_empty())
            .map_or(lines.len(), |n| start + n + 1);
        lines.drain(start..end);
    }
    let quoted: Vec<String> = message
        .lines()
        .map(|line| format!("> <code>{}</code>", escape::text(line)))
        .collect();
    let banner = format!(
        "{STALE_LINE}\n> [!WARNING]\n> **Stale**: the manifest is now invalid, so what follows may no longer be \
         what a merge would do. Fix the manifest to plan again:\n>\n{}\n",
        quoted.join("\n>\n")
    );
    // After the marker and the content key line.
    let head = lines
        .iter()
        .take_while(|line| line.starts_with("<!-- spark-promote"))
        .count();
    let mut out: Vec<String> = lines[..head].iter().map(|l| l.to_string()).collect();
    out.push(banner);
    out.extend(lines[head..].iter().map(|l| l.to_string()));
    out.join("\n")
}
