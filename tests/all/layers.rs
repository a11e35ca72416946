//! The import rules of docs/architecture.md that a build does not check: a module that reaches past its
//! layer fails here, naming the file and line.
use std::path::Path;

/// The lines of the `.rs` files under `src/{dir}` that mention any of `needles`, as `file:line: text`.
fn mentions(dir: &str, needles: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir);
    let mut found = Vec::new();
    let mut pending = vec![root];
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            pending.extend(
                std::fs::read_dir(&path)
                    .unwrap()
                    .map(|entry| entry.unwrap().path()),
            );
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            for (number, line) in text.lines().enumerate() {
                if needles.iter().any(|needle| line.contains(needle)) {
                    found.push(format!(
                        "{}:{}: {}",
                        path.display(),
                        number + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    found
}

#[test]
fn commands_reach_spark_only_through_promote() {
    assert_eq!(
        mentions("commands", &["crate::spark", "spark::"]),
        Vec::<String>::new()
    );
}

/// The lines of `src/{a}` that mention module `b`, and of `src/{b}` that mention `a`.
fn mentions_between(a: &str, b: &str) -> Vec<String> {
    let mut found = mentions(a, &[&format!("crate::{b}"), &format!("{b}::")]);
    found.extend(mentions(b, &[&format!("crate::{a}"), &format!("{a}::")]));
    found
}

#[test]
fn the_manifest_and_the_client_do_not_import_each_other() {
    assert_eq!(mentions_between("manifest", "spark"), Vec::<String>::new());
}

#[test]
fn the_two_http_clients_do_not_import_each_other() {
    // What they share (retries, the error-body reader) is a crate-level leaf module.
    assert_eq!(mentions_between("github", "spark"), Vec::<String>::new());
}

#[test]
fn the_layer_check_sees_an_import_where_there_is_one() {
    // promote/ builds the client: the check must find it there, or it could never fail.
    assert!(!mentions("promote", &["crate::spark"]).is_empty());
}

#[test]
fn verify_does_not_import_the_engine_that_calls_it() {
    // promote's verification stage calls verify: verify is given its clients, never takes them from promote.
    assert_eq!(
        mentions("verify", &["crate::promote", "promote::"]),
        Vec::<String>::new()
    );
}
