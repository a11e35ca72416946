//! Files written whole or not at all: a temporary file in the same directory, then a rename; and the one
//! rule for a workspace file (a committed package, the result directory): it resolves inside the workspace.
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

/// Checks that `path` (which exists) resolves inside `root`, symbolic links and `..` followed: a committed
/// file may not lead outside the workspace. The error says where it leads.
pub fn inside(root: &Path, path: &Path) -> Result<(), String> {
    let root = root
        .canonicalize()
        .map_err(|err| format!("cannot resolve the workspace {}: {err}", root.display()))?;
    let resolved = path
        .canonicalize()
        .map_err(|err| format!("cannot resolve it: {err}"))?;
    if resolved.starts_with(&root) {
        Ok(())
    } else {
        Err(format!(
            "resolves to {}, outside the workspace {}",
            resolved.display(),
            root.display()
        ))
    }
}

/// The workspace committed files must stay in: `GITHUB_WORKSPACE`, in the action (elsewhere the user runs
/// their own manifest, and a path may go anywhere).
pub fn workspace() -> Option<std::path::PathBuf> {
    std::env::var_os("GITHUB_WORKSPACE")
        .filter(|root| !root.is_empty())
        .map(std::path::PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_through_a_symlink_or_dotdot_out_of_the_root_is_refused() {
        let outside = tempfile::tempdir().unwrap();
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("pkg.zip"), b"x").unwrap();
        std::os::unix::fs::symlink(outside.path(), root.path().join("link")).unwrap();
        assert_eq!(inside(root.path(), &root.path().join("pkg.zip")), Ok(()));
        let err = inside(root.path(), &root.path().join("link")).unwrap_err();
        assert!(err.contains("outside the workspace"), "{err}");
        let dotdot = root
            .path()
            .join("..")
            .join(outside.path().file_name().unwrap());
        assert!(
            inside(root.path(), &dotdot)
                .unwrap_err()
                .contains("outside the workspace")
        );
    }
}
