//! The runner's files: step outputs (`$GITHUB_OUTPUT`) and the job summary (`$GITHUB_STEP_SUMMARY`).
//! Both are appended to, never truncated: other steps' lines and earlier writes of this step stay.
use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use anyhow::Context as _;

/// GitHub's limit for one step's job summary.
pub const SUMMARY_LIMIT: usize = 1024 * 1024;

/// The directory of one manifest's result files under `.spark-promote/`, so that several steps of one job
/// (a monorepo's manifests) never overwrite each other's `result.json` and `summary.md`: the manifest's
/// path without its `.yaml`/`.yml`, each character other than a letter, a digit, `.`, `_` or `-` as `-`
/// (`teams/pricing/spark-promote.yaml` → `teams-pricing-spark-promote`).
pub fn result_dir_name(manifest: &Path) -> String {
    let path = manifest.to_string_lossy().replace('\\', "/");
    let path = path.trim_start_matches("./");
    let stem = path
        .strip_suffix(".yaml")
        .or_else(|| path.strip_suffix(".yml"))
        .unwrap_or(path);
    let name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    match name.trim_matches('.') {
        "" => "manifest".to_string(),
        trimmed => trimmed.to_string(),
    }
}

/// Formats outputs in the multi-line form (`name<<DELIMITER\nvalue\nDELIMITER\n`), each with a delimiter
/// from `delimiter` that occurs in neither its name nor its value (a new one is drawn until it does not).
pub fn format_outputs(
    outputs: &[(&str, &str)],
    mut delimiter: impl FnMut() -> String,
) -> anyhow::Result<String> {
    let mut text = String::new();
    for (name, value) in outputs {
        anyhow::ensure!(
            !name.is_empty() && !name.contains(['\n', '\r']) && !name.contains("<<"),
            "invalid output name {name:?}"
        );
        let chosen = (0..8)
            .map(|_| delimiter())
            .find(|d| !value.contains(d.as_str()) && !name.contains(d.as_str()))
            .with_context(|| format!("no delimiter found that does not occur in output {name}"))?;
        text.push_str(&format!("{name}<<{chosen}\n{value}\n{chosen}\n"));
    }
    Ok(text)
}

/// A random delimiter, `ghadelimiter_<uuid>` like the toolkit's.
pub fn random_delimiter() -> String {
    format!("ghadelimiter_{}", uuid::Uuid::new_v4())
}

/// Appends `outputs` to the outputs file in one write.
pub fn append_outputs(path: &Path, outputs: &[(&str, &str)]) -> anyhow::Result<()> {
    let text = format_outputs(outputs, random_delimiter)?;
    append(path, text.as_bytes())
        .with_context(|| format!("failed to write the step outputs to {}", path.display()))
}

/// Appends `markdown` to the job summary file, cut (at a line) with a note if the file would pass
/// [`SUMMARY_LIMIT`].
pub fn append_summary(path: &Path, markdown: &str) -> anyhow::Result<()> {
    let existing = match std::fs::metadata(path) {
        Ok(metadata) => usize::try_from(metadata.len()).unwrap_or(usize::MAX),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => 0,
        Err(err) => {
            return Err(err)
                .with_context(|| format!("failed to read the job summary {}", path.display()));
        }
    };
    let room = SUMMARY_LIMIT.saturating_sub(existing);
    let text = fit(markdown, room);
    append(path, text.as_bytes())
        .with_context(|| format!("failed to write the job summary {}", path.display()))
}

/// `markdown` if it fits in `room` bytes; otherwise as many whole lines as fit, then a note.
fn fit(markdown: &str, room: usize) -> String {
    const NOTE: &str = "\n… cut at GitHub's 1 MiB limit for a job summary\n";
    if markdown.len() <= room {
        return markdown.to_string();
    }
    if room < NOTE.len() {
        return String::new();
    }
    let mut keep = room - NOTE.len();
    while !markdown.is_char_boundary(keep) {
        keep -= 1;
    }
    let end = markdown[..keep]
        .rfind('\n')
        .map_or(0, |newline| newline + 1);
    format!("{}{NOTE}", &markdown[..end])
}

/// Appends `bytes` (every secret known to the run removed, see [`crate::redact`]).
fn append(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let bytes = crate::redact::bytes(bytes::Bytes::copy_from_slice(bytes));
    let mut file = OpenOptions::new().create(true).append(true).open(path)?;
    file.write_all(&bytes)?;
    file.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_manifest_has_its_own_result_directory() {
        let name = |path: &str| result_dir_name(Path::new(path));
        assert_eq!(name("spark-promote.yaml"), "spark-promote");
        assert_eq!(name("./spark-promote.yaml"), "spark-promote");
        assert_eq!(
            name("teams/pricing/spark-promote.yaml"),
            "teams-pricing-spark-promote"
        );
        assert_eq!(
            name("teams/rates/spark-promote.yml"),
            "teams-rates-spark-promote"
        );
        assert_eq!(name("../up/m.yaml"), "-up-m");
        assert_eq!(name(".."), "manifest");
    }

    #[test]
    fn outputs_use_the_multiline_form_with_a_delimiter_absent_from_the_value() {
        let mut drawn = ["d1", "d2", "d3"].into_iter().map(str::to_string);
        let text = format_outputs(
            &[("status", "completed"), ("job-ids", "a\nd2 is here\nb")],
            || drawn.next().unwrap(),
        )
        .unwrap();
        assert_eq!(
            text,
            "status<<d1\ncompleted\nd1\njob-ids<<d3\na\nd2 is here\nb\nd3\n"
        );
    }

    #[test]
    fn random_delimiters_differ_and_look_like_the_toolkits() {
        let (a, b) = (random_delimiter(), random_delimiter());
        assert_ne!(a, b);
        assert!(a.starts_with("ghadelimiter_") && a.len() == "ghadelimiter_".len() + 36);
    }

    #[test]
    fn outputs_are_appended_without_truncating_earlier_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("output");
        std::fs::write(&path, "earlier=1\n").unwrap();
        append_outputs(&path, &[("status", "failed"), ("result", "/tmp/r.json")]).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "earlier=1");
        let delimiter = lines[1].strip_prefix("status<<").unwrap();
        assert!(delimiter.starts_with("ghadelimiter_"));
        assert_eq!(lines[2..4], ["failed", delimiter]);
        assert!(lines[4].starts_with("result<<ghadelimiter_"));
        assert_ne!(lines[4], format!("result<<{delimiter}"));
    }

    #[test]
    fn summary_is_appended_and_cut_at_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("summary.md");
        append_summary(&path, "# first\n").unwrap();
        append_summary(&path, "second\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "# first\nsecond\n");
        let big = "a line of the summary\n".repeat(SUMMARY_LIMIT / 10);
        append_summary(&path, &big).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.len() <= SUMMARY_LIMIT, "{}", text.len());
        assert!(text.starts_with("# first\nsecond\na line"));
        assert!(text.ends_with(
            "a line of the summary\n\n… cut at GitHub's 1 MiB limit for a job summary\n"
        ));
    }
}
