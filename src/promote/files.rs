//! Files written whole or not at all: a temporary file in the same directory, then a rename.
use std::io::Write;
use std::path::Path;

use anyhow::Context as _;

/// The directory spark-promote keeps its files in (results, backups), relative to where it runs.
pub const TOOL_DIR: &str = ".spark-promote";

/// Creates `dir` (and its parents). When it is inside a [`TOOL_DIR`], that directory ignores itself, as
/// tool caches do: a `.gitignore` holding `*` is written into it (once), so that `git add -A` commits no
/// backup of a production service.
pub fn create_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("failed to create {}", dir.display()))?;
    let Some(tool_dir) = dir
        .ancestors()
        .find(|ancestor| ancestor.file_name().is_some_and(|name| name == TOOL_DIR))
    else {
        return Ok(());
    };
    let ignore = tool_dir.join(".gitignore");
    if !ignore.exists() {
        write_atomic(
            &ignore,
            b"# Written by spark-promote: results and backups stay out of git.\n*\n",
        )?;
    }
    Ok(())
}

/// Writes `bytes` to `path` atomically, every secret known to the run removed (see [`crate::redact`]).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let bytes = &crate::redact::bytes(bytes::Bytes::copy_from_slice(bytes))[..];
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut file = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("failed to create a temporary file in {}", dir.display()))?;
    file.write_all(bytes)
        .and_then(|_| file.as_file().sync_all())
        .with_context(|| format!("failed to write {}", path.display()))?;
    file.persist(path)
        .with_context(|| format!("failed to write {}", path.display()))?;
    Ok(())
}
