//! Hostile input: property tests (a few hundred cases each, seconds in all) over the manifest parser, the
//! sandbox's request JSON and the client's status decoding; time and memory bounds on alias bombs and deep
//! nesting; the sandbox under malformed multipart, oversize and concurrent uploads, path-like names and ZIP
//! bombs; the binary and its clients against a hostile server of the tests' own (`server.rs`: floods, hangs,
//! echoes, redirects), each case with its bound asserted. Longer fuzzing runs outside CI with the targets in `fuzz/` (docs/hostile-input.md).
mod bodies;
mod bounds;
mod github;
mod index;
mod markdown;
mod names;
mod numbers;
mod packages;
mod parsers;
mod sandbox;
mod secrets;
mod server;
mod timeouts;
mod uploads;
mod workspace;

use std::path::Path;

use spark_promote::sandbox::{Config, Running, Seed};

use crate::support::sandbox::{self as sb, start};

/// A demo sandbox keeping its files in `dir`, with uploads limited to `max_upload_bytes`.
pub async fn sandbox_in(dir: &Path, max_upload_bytes: u64) -> Running {
    let config = Config {
        state_dir: Some(dir.to_owned()),
        max_upload_bytes,
        ..sb::config()
    };
    start(config, Seed::demo()).await
}

/// Checks that nothing but the state directory `state` was written below `root`.
pub fn assert_nothing_outside(root: &Path) {
    let outside: Vec<String> = tree(root)
        .into_iter()
        .filter(|f| !f.starts_with("state"))
        .collect();
    assert!(
        outside.is_empty(),
        "written outside the state directory: {outside:?}"
    );
}

/// Every file below `root`, as paths relative to it, sorted.
pub fn tree(root: &Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut dirs = vec![root.to_owned()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path.clone());
            }
            files.push(
                path.strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
    files.sort();
    files
}

/// Total size in bytes of the files below `root`.
pub fn disk_usage(root: &Path) -> u64 {
    tree(root)
        .iter()
        .map(|f| std::fs::metadata(root.join(f)).map_or(0, |m| m.len()))
        .sum()
}

/// Checks that a sandbox state directory holds only what the sandbox writes: `state.json`, its three
/// directories, version files named by uuid and export packages named by token.
pub fn assert_only_sandbox_files(state_dir: &Path) {
    for file in tree(state_dir) {
        let ok = match file.split_once('/') {
            None => ["state.json", "uploads", "blobs", "exports"].contains(&file.as_str()),
            Some(("blobs", name)) => uuid::Uuid::parse_str(name).is_ok(),
            Some(("exports", name)) => name
                .strip_suffix(".zip")
                .is_some_and(|token| token.chars().all(|c| c.is_ascii_hexdigit())),
            Some(("uploads", name)) => name.starts_with("upload-") && !name.contains('/'),
            Some(_) => false,
        };
        assert!(ok, "unexpected file in the state directory: {file:?}");
    }
}
