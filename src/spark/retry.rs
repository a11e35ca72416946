//! Retry policy: capped exponential backoff with jitter, and the server's `Retry-After`.
use std::future::Future;
use std::time::Duration;

use rand::Rng;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use super::Error;

/// How idempotent calls (reads, cancels, the token request, downloads) are retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt; 0 disables retrying.
    pub max_retries: u32,
    /// The first backoff; each retry doubles it.
    pub base_delay: Duration,
    /// The longest backoff.
    pub max_delay: Duration,
    /// The longest wait granted to a server's `Retry-After`.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// The delay before retry number `retry` (0-based): `base * 2^retry`, capped, with jitter in its upper half.
    pub fn backoff(&self, retry: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(retry.min(30)))
            .min(self.max_delay);
        let nanos = u64::try_from(exp.as_nanos()).unwrap_or(u64::MAX);
        if nanos < 2 {
            return exp;
        }
        Duration::from_nanos(rand::rng().random_range(nanos / 2..=nanos))
    }

    /// The policy for calls that must not be repeated.
    pub(crate) fn once(&self) -> Self {
        Self {
            max_retries: 0,
            ..self.clone()
        }
    }
}

/// The outcome of one attempt.
pub(crate) enum Attempt<T> {
    Done(T),
    /// A transient failure; `after` is the server's requested wait.
    Retry {
        error: Error,
        after: Option<Duration>,
    },
    Fail(Error),
}

/// Runs `attempt` until it is done, fails for good, or the retries run out (then its last error).
pub(crate) async fn run<T, F, Fut>(policy: &RetryPolicy, mut attempt: F) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Attempt<T>>,
{
    let mut retry = 0;
    loop {
        match attempt().await {
            Attempt::Done(value) => return Ok(value),
            Attempt::Fail(error) => return Err(error),
            Attempt::Retry { error, .. } if retry >= policy.max_retries => return Err(error),
            Attempt::Retry { error, after } => {
                let delay = match after {
                    Some(after) => after.min(policy.max_retry_after),
                    None => policy.backoff(retry),
                };
                tracing::debug!(retry = retry + 1, ?delay, %error, "retrying");
                tokio::time::sleep(delay).await;
                retry += 1;
            }
        }
    }
}

/// Statuses worth another attempt of an idempotent call. A 500 is among them: a status read that fails once
/// must not make a run give up on a job that goes on running (the result would be lost).
pub(crate) fn is_transient(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504)
}

/// The wait a server asks for, from `Retry-After` or `x-retry-after` (seconds).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    ["retry-after", "x-retry-after"]
        .iter()
        .filter_map(|name| headers.get(*name)?.to_str().ok())
        .find_map(|value| {
            let secs: f64 = value.trim().parse().ok()?;
            (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter_in_the_upper_half() {
        let policy = RetryPolicy {
            max_retries: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(700),
            max_retry_after: Duration::from_secs(1),
        };
        for (retry, full) in [(0, 100), (1, 200), (2, 400), (3, 700), (20, 700), (40, 700)] {
            for _ in 0..50 {
                let d = policy.backoff(retry).as_millis();
                assert!(d >= full / 2 && d <= full, "retry {retry}: {d} ms");
            }
        }
    }

    #[test]
    fn retry_after_reads_seconds_from_either_header() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert("x-retry-after", HeaderValue::from_static("1.5"));
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(1500)));
        headers.insert("retry-after", HeaderValue::from_static("3"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(3)));
        headers.insert(
            "retry-after",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(1500)));
        headers.insert("x-retry-after", HeaderValue::from_static("-1"));
        assert_eq!(retry_after(&headers), None);
    }
}
