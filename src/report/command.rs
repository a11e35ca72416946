//! Commands the reports print for a person to run (the undo of a promotion), written so that they run as
//! printed: every argument a shell would split or expand is quoted, and the manifest is named when it is not
//! the default.

/// The manifest path the commands use when `-m` is not given.
pub const DEFAULT_MANIFEST: &str = "spark-promote.yaml";

/// The command that undoes a promotion from its backup: `spark-promote rollback [-m MANIFEST] --env ENV
/// --backup FILE`, with `-m` when `manifest` is not the default.
pub fn undo(manifest: &str, environment: &str, backup: &str) -> String {
    let mut words = vec!["spark-promote".to_string(), "rollback".to_string()];
    let manifest = manifest.trim_start_matches("./");
    if manifest != DEFAULT_MANIFEST && !manifest.is_empty() {
        words.extend(["-m".to_string(), quote(manifest)]);
    }
    words.extend([
        "--env".to_string(),
        quote(environment),
        "--backup".to_string(),
        quote(backup),
    ]);
    words.join(" ")
}

/// `word` as a POSIX shell reads it back unchanged: as it is when every character is safe, else in single
/// quotes (a single quote inside written as `'\''`).
pub fn quote(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_undo_names_the_manifest_only_when_it_is_not_the_default() {
        assert_eq!(
            undo(
                "spark-promote.yaml",
                "prod",
                ".spark-promote/backups/p-1.zip"
            ),
            "spark-promote rollback --env prod --backup .spark-promote/backups/p-1.zip"
        );
        assert_eq!(
            undo("./spark-promote.yaml", "prod", "b.zip"),
            "spark-promote rollback --env prod --backup b.zip"
        );
        assert_eq!(
            undo("teams/pricing/spark-promote.yaml", "prod", "b.zip"),
            "spark-promote rollback -m teams/pricing/spark-promote.yaml --env prod --backup b.zip"
        );
    }

    #[test]
    fn words_a_shell_would_split_or_expand_are_quoted() {
        assert_eq!(quote("my team/m.yaml"), "'my team/m.yaml'");
        assert_eq!(quote("it's$HOME"), r"'it'\''s$HOME'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("a-b_c.zip"), "a-b_c.zip");
    }
}
