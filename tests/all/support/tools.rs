//! External tools a few tests need (the container image built with podman, a python with the official SDK).
//! Those tests are `#[ignore]`d with the reason, so a plain `cargo test` / `cargo nextest run` lists them as
//! skipped and says why; `scripts/test.sh` sets the tools up and runs them with `--run-ignored all`, and then
//! a missing tool fails them.

/// The value of the environment variable naming a tool; panics, naming it, when it is not set.
pub fn required_tool(var: &str, what: &str) -> String {
    match std::env::var(var) {
        Ok(value) if !value.is_empty() => value,
        _ => panic!("{what} is required: set {var} (scripts/test.sh sets it up)"),
    }
}
