//! Retries of Spark calls: the crate's one retry core ([`crate::retry`]) with Spark's defaults and errors.
pub use crate::retry::{RetryPolicy, is_transient, retry_after};

use super::Error;

/// The outcome of one attempt of a Spark call.
pub(crate) type Attempt<T> = crate::retry::Attempt<T, Error>;

/// Spark's default policy for calls that may be repeated (reads, cancels, the token request, downloads):
/// 4 retries from 0.5 s, backoff capped at 30 s, at most 5 minutes of waiting in all (a `Retry-After`
/// within it is honoured).
pub fn default_policy() -> RetryPolicy {
    RetryPolicy {
        max_retries: 4,
        base_delay: std::time::Duration::from_millis(500),
        max_delay: std::time::Duration::from_secs(30),
        max_wait: std::time::Duration::from_secs(300),
    }
}

/// Runs `attempt` under `policy` (see [`crate::retry::run`]).
pub(crate) async fn run<T, F, Fut>(policy: &RetryPolicy, attempt: F) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Attempt<T>>,
{
    crate::retry::run(policy, attempt).await
}
