//! The one retry core of both HTTP clients (Spark's and GitHub's): capped exponential backoff with jitter,
//! the server's requested wait, and a bound on the total wait of one call. Which answers are worth another
//! attempt is each client's call: it says so through [`Attempt`].
use std::future::Future;
use std::time::Duration;

use http::HeaderMap;
use rand::Rng;

/// How a call that may be repeated is retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt; 0 disables retrying.
    pub max_retries: u32,
    /// The first backoff; each retry doubles it.
    pub base_delay: Duration,
    /// The longest backoff.
    pub max_delay: Duration,
    /// The most one call waits in all between its attempts. A wait that would pass it (a server asking for
    /// more, e.g. a rate limit resetting in an hour) ends the retries with the last error at once.
    pub max_wait: Duration,
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
    pub fn once(&self) -> Self {
        Self {
            max_retries: 0,
            ..self.clone()
        }
    }
}

/// The outcome of one attempt.
pub enum Attempt<T, E> {
    Done(T),
    /// Worth another attempt; `after` is the server's requested wait.
    Retry {
        error: E,
        after: Option<Duration>,
    },
    Fail(E),
}

/// Runs `attempt` until it is done, fails for good, or the retries or the total wait run out (then its
/// last error).
pub async fn run<T, E, F, Fut>(policy: &RetryPolicy, mut attempt: F) -> Result<T, E>
where
    E: std::fmt::Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Attempt<T, E>>,
{
    let mut retry = 0;
    let mut waited = Duration::ZERO;
    loop {
        match attempt().await {
            Attempt::Done(value) => return Ok(value),
            Attempt::Fail(error) => return Err(error),
            Attempt::Retry { error, .. } if retry >= policy.max_retries => return Err(error),
            Attempt::Retry { error, after } => {
                let delay = after.unwrap_or_else(|| policy.backoff(retry));
                if waited.saturating_add(delay) > policy.max_wait {
                    return Err(error);
                }
                tracing::debug!(retry = retry + 1, ?delay, %error, "retrying");
                tokio::time::sleep(delay).await;
                waited += delay;
                retry += 1;
            }
        }
    }
}

/// Statuses worth another attempt of a call that may be repeated: rate limits and server errors. (A 500 is
/// among them: a status read that fails once must not make a run give up on a job that goes on running.)
pub fn is_transient(status: http::StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504)
}

/// The wait a server asks for, from `Retry-After` or `x-retry-after` (seconds).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    ["retry-after", "x-retry-after"]
        .iter()
        .filter_map(|name| headers.get(*name)?.to_str().ok())
        .find_map(|value| {
            let secs: f64 = value.trim().parse().ok()?;
            // A wait past what a Duration holds (`1e30`) is a wait for ever: the total wait refuses it.
            (secs.is_finite() && secs >= 0.0)
                .then(|| Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX))
        })
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use http::HeaderValue;

    use super::*;

    fn policy(max_retries: u32, max_wait_ms: u64) -> RetryPolicy {
        RetryPolicy {
            max_retries,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(4),
            max_wait: Duration::from_millis(max_wait_ms),
        }
    }

    #[test]
    fn an_absurd_retry_after_is_a_wait_for_ever_that_the_total_wait_refuses() {
        let headers = |value: &str| {
            let mut map = HeaderMap::new();
            map.insert("retry-after", HeaderValue::from_str(value).unwrap());
            map
        };
        assert_eq!(retry_after(&headers("1e30")), Some(Duration::MAX));
        assert_eq!(
            retry_after(&headers("18446744073709551616")),
            Some(Duration::MAX)
        );
        assert_eq!(retry_after(&headers("-1")), None);
        assert_eq!(retry_after(&headers("inf")), None);
        let attempts = AtomicU32::new(0);
        let outcome: Result<(), String> = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(run(&policy(3, 1000), || async {
                attempts.fetch_add(1, Ordering::Relaxed);
                Attempt::Retry {
                    error: "busy".to_string(),
                    after: Some(Duration::MAX),
                }
            }));
        assert_eq!(outcome, Err("busy".to_string()));
        assert_eq!(attempts.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter_in_the_upper_half() {
        let policy = RetryPolicy {
            max_retries: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(700),
            max_wait: Duration::from_secs(1),
        };
        for (retry, full) in [(0, 100), (1, 200), (2, 400), (3, 700), (20, 700), (40, 700)] {
            for _ in 0..50 {
                let d = policy.backoff(retry).as_millis();
                assert!(d >= full / 2 && d <= full, "retry {retry}: {d} ms");
            }
        }
    }

    /// Runs an attempt that asks for `after` every time; returns how many attempts were made.
    async fn attempts(policy: &RetryPolicy, after: Option<Duration>) -> u32 {
        let count = AtomicU32::new(0);
        let result: Result<(), String> = run(policy, || async {
            count.fetch_add(1, Ordering::Relaxed);
            Attempt::Retry {
                error: "busy".to_string(),
                after,
            }
        })
        .await;
        assert_eq!(result.unwrap_err(), "busy", "the last error is returned");
        count.load(Ordering::Relaxed)
    }

    #[tokio::test]
    async fn retries_stop_after_max_retries_or_when_a_wait_would_pass_the_budget() {
        assert_eq!(attempts(&policy(3, 10_000), None).await, 4);
        assert_eq!(attempts(&policy(0, 10_000), None).await, 1);
        // The server asks for more than the whole budget: no waiting, the error at once.
        assert_eq!(
            attempts(&policy(3, 50), Some(Duration::from_secs(3600))).await,
            1
        );
        // 20 ms a wait within 50 ms: two waits fit, the third would not.
        assert_eq!(
            attempts(&policy(9, 50), Some(Duration::from_millis(20))).await,
            3
        );
    }

    #[tokio::test]
    async fn a_definite_failure_is_not_retried_and_success_ends_the_loop() {
        let count = AtomicU32::new(0);
        let failed: Result<(), &str> = run(&policy(5, 1000), || async {
            count.fetch_add(1, Ordering::Relaxed);
            Attempt::Fail("refused")
        })
        .await;
        assert_eq!((failed, count.load(Ordering::Relaxed)), (Err("refused"), 1));
        let done: Result<u8, &str> = run(&policy(5, 1000), || async { Attempt::Done(7) }).await;
        assert_eq!(done, Ok(7));
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
