//! What every fuzz target checks: the parser returns (no panic), and its errors say where and what.
use std::path::Path;

use spark_promote::manifest::{self, HostPolicy};

/// The file name manifests are parsed under.
pub const FILE: &str = "spark-promote.yaml";
/// The value every referenced variable resolves to; it must never show in an error.
pub const SECRET: &str = "fuzz-secret-3f9a";

/// Parses a manifest; an error must name the file, stay within the text's lines and never show a secret.
pub fn check_manifest(text: &str) {
    let env = |_: &str| Some(SECRET.to_owned());
    let Err(error) = manifest::parse(text, FILE, Path::new("/repo"), &env, &HostPolicy::default())
    else {
        return;
    };
    let lines = yaml_lines(text);
    assert!(!error.diagnostics.is_empty());
    for diagnostic in &error.diagnostics {
        assert_eq!(diagnostic.file, FILE);
        assert!(!diagnostic.message.trim().is_empty());
        assert!(diagnostic.line <= lines, "{diagnostic:?} in {lines} lines");
    }
    assert!(!error.to_string().contains(SECRET), "{error}");
}

/// Lines as YAML counts them: `\r\n`, `\n` and a lone `\r` each end one.
pub fn yaml_lines(text: &str) -> usize {
    text.replace("\r\n", "\n").matches(['\n', '\r']).count() + 1
}
