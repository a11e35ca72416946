//! External tools a test needs (python venv, podman). When SPARK_PROMOTE_REQUIRE_ALL is set (CI), a missing
//! tool fails the test; otherwise the test says why it is skipped and returns.

/// The environment variable that makes missing tools fatal.
pub const REQUIRE_ALL: &str = "SPARK_PROMOTE_REQUIRE_ALL";

/// Returns `Some(value)` of the environment variable naming a tool, or `None` after printing why the test is
/// skipped. Panics when the tool is missing and REQUIRE_ALL is set.
#[allow(clippy::print_stderr, reason = "a skipped test says why")]
pub fn tool_from_env(var: &str, what: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(value) if !value.is_empty() => Some(value),
        _ if std::env::var_os(REQUIRE_ALL).is_some() => {
            panic!("{what} is required ({var} is not set) and {REQUIRE_ALL} is set")
        }
        _ => {
            eprintln!("skipped: {what} is not available (set {var}; scripts/test.sh does)");
            None
        }
    }
}
