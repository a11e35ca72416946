//! The few GitHub REST calls the action makes, through octocrab (base URI injectable: GHES and tests).
//!
//! Reads and updates retry on 5xx and rate limits (honouring `Retry-After` and `x-ratelimit-reset` within a
//! bounded wait); a create is retried only after a rate-limit answer (GitHub refused it before doing
//! anything), never after a lost response or a server error, which could make a duplicate comment.
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use http_body_util::BodyExt;
use http_body_util::combinators::BoxBody;
use octocrab::Octocrab;
use secrecy::SecretString;
use serde::de::DeserializeOwned;

use crate::body::{self, Capped};
use crate::error_body::{self, ErrorBody};
use crate::promote::cancel::Cancel;
pub use crate::retry::RetryPolicy;
use crate::retry::{self, Attempt};

/// The most of a body that is not JSON shown in an error message.
const SNIPPET_LIMIT: usize = 200;
/// Opening a connection to GitHub.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Silence on an open connection (reading or writing).
const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// One request, its answer read to the end.
const TOTAL_TIMEOUT: Duration = Duration::from_secs(60);

/// GitHub's default policy: 3 retries from 1 s, at most a minute of waiting in all (a rate limit that
/// resets later is an error at once).
pub fn default_policy() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        base_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(30),
        max_wait: Duration::from_secs(60),
    }
}

/// Whether a request may be sent again after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// A read, or an update that sets the same state again.
    Idempotent,
    /// A create: a second try after a lost response or a server error could create a second resource, so
    /// only a rate-limit answer (the request was refused, not done) is waited out and sent again.
    RateLimitOnly,
}

/// A failed GitHub request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// GitHub answered with an error status.
    #[error("{request} failed with {status}: {message}")]
    Status {
        request: String,
        status: StatusCode,
        message: String,
        /// The status was a rate limit (429, or 403 with rate-limit headers), not a refusal.
        rate_limited: bool,
    },
    /// No answer (connection, TLS, timeout).
    #[error("{request} failed: {source}")]
    Transport {
        request: String,
        #[source]
        source: octocrab::Error,
    },
    /// No answer within the total timeout of one request.
    #[error("{request} failed: no answer within {}", humantime::format_duration(*after))]
    TimedOut { request: String, after: Duration },
    /// The process was cancelled (SIGINT, SIGTERM) while the request ran.
    #[error("{request} cancelled")]
    Cancelled { request: String },
    /// The answer was not what the API documents.
    #[error("{request}: unexpected response: {message}")]
    Unexpected { request: String, message: String },
}

impl ApiError {
    /// The HTTP status, if GitHub answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            ApiError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// A 403 or 404 that is not a rate limit: the token may not see or write the resource (a fork's
    /// read-only token, a missing `pull-requests: write` permission).
    pub fn is_refused(&self) -> bool {
        matches!(
            self,
            ApiError::Status { status, rate_limited: false, .. }
                if *status == StatusCode::FORBIDDEN || *status == StatusCode::NOT_FOUND
        )
    }
}

/// A GitHub REST client for the comment.
#[derive(Debug, Clone)]
pub struct Client {
    octocrab: Octocrab,
    retry: RetryPolicy,
    /// The most one request may take, its answer read.
    timeout: Duration,
}

impl Client {
    /// A client for the API at `api_url` (`GITHUB_API_URL`), authenticated with `token`.
    pub fn new(api_url: &str, token: &SecretString) -> anyhow::Result<Client> {
        let octocrab = Octocrab::builder()
            .base_uri(api_url)
            .with_context(|| format!("invalid GitHub API URL {api_url}"))?
            .personal_token(token.clone())
            .set_connect_timeout(Some(CONNECT_TIMEOUT))
            .set_read_timeout(Some(READ_TIMEOUT))
            .set_write_timeout(Some(READ_TIMEOUT))
            .build()
            .context("failed to build the GitHub client")?;
        Ok(Client {
            octocrab,
            retry: default_policy(),
            timeout: TOTAL_TIMEOUT,
        })
    }

    /// The same client with another total timeout per request.
    pub fn with_timeout(mut self, timeout: Duration) -> Client {
        self.timeout = timeout;
        self
    }

    /// The same client with another retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Client {
        self.retry = retry;
        self
    }

    /// GETs `path` (with its query) and parses the JSON answer.
    pub(crate) async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        self.json(Method::GET, path, None, Retry::Idempotent).await
    }

    /// Sends `body` as JSON and parses the JSON answer.
    pub(crate) async fn json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
        retry: Retry,
    ) -> Result<T, ApiError> {
        let request = format!("{method} {path}");
        let text = retry::run(&self.retry, || {
            self.attempt(&request, method.clone(), path, body, retry)
        })
        .await?;
        serde_json::from_str(&text).map_err(|err| ApiError::Unexpected {
            request,
            message: error_body::snippet(&err.to_string(), SNIPPET_LIMIT),
        })
    }

    /// One attempt: the answer, or whether the failure is worth another attempt (see [`Retry`]).
    async fn attempt(
        &self,
        request: &str,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
        retry: Retry,
    ) -> Attempt<String, ApiError> {
        let answer = match self.exchange(request, method, path, body).await {
            Ok(answer) => answer,
            Err(error @ (ApiError::Transport { .. } | ApiError::TimedOut { .. }))
                if retry == Retry::Idempotent =>
            {
                return Attempt::Retry { error, after: None };
            }
            Err(error) => return Attempt::Fail(error),
        };
        let Answer {
            status,
            headers,
            text,
        } = answer;
        if status.is_success() {
            return Attempt::Done(text);
        }
        let rate_limited = is_rate_limited(status, &headers);
        let error = ApiError::Status {
            request: request.to_string(),
            status,
            message: error_message(&text),
            rate_limited,
        };
        // A rate limit refused the request before doing anything: any request may wait it out. A server
        // error may have done the work: only an idempotent request is sent again.
        if rate_limited || (retry == Retry::Idempotent && retry::is_transient(status)) {
            Attempt::Retry {
                error,
                after: server_wait(&headers),
            }
        } else {
            Attempt::Fail(error)
        }
    }

    /// Sends one request and reads its answer within the body's cap and [`TOTAL_TIMEOUT`], unless the
    /// process is cancelled first (SIGINT, SIGTERM: the call is dropped at once).
    async fn exchange(
        &self,
        request: &str,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Answer, ApiError> {
        let work = tokio::time::timeout(self.timeout, self.send(request, method, path, body));
        let cancelled = async {
            match Cancel::process() {
                Some(cancel) => cancel.cancelled().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            answer = work => answer.unwrap_or_else(|_| Err(ApiError::TimedOut {
                request: request.to_string(),
                after: self.timeout,
            })),
            () = cancelled => Err(ApiError::Cancelled { request: request.to_string() }),
        }
    }

    /// Sends one request (secrets removed from its body, see [`crate::redact`]) and reads its answer.
    async fn send(
        &self,
        request: &str,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Answer, ApiError> {
        let transport = |source| ApiError::Transport {
            request: request.to_string(),
            source,
        };
        let body = body.map(redacted);
        let built = self
            .octocrab
            .build_request(
                http::Request::builder().method(method).uri(path),
                body.as_ref(),
            )
            .map_err(transport)?;
        let response = self.octocrab.execute(built).await.map_err(transport)?;
        let status = response.status();
        let headers = response.headers().clone();
        let limit = if status.is_success() {
            body::ANSWER_LIMIT
        } else {
            body::ERROR_LIMIT
        };
        let read = read_capped(response.into_body(), limit)
            .await
            .map_err(transport)?;
        let bytes = if status.is_success() {
            read.answer().map_err(|too_large| ApiError::Unexpected {
                request: request.to_string(),
                message: too_large.to_string(),
            })?
        } else {
            read.into_bytes()
        };
        Ok(Answer {
            status,
            headers,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        })
    }
}

/// What GitHub answered to one request.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
}

/// Reads a body frame by frame up to `limit` bytes (see [`crate::body`]); the rest is never read.
async fn read_capped(
    mut body: BoxBody<Bytes, octocrab::Error>,
    limit: usize,
) -> Result<Capped, octocrab::Error> {
    let mut read = Capped::new(limit);
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data()
            && !read.push(&data)
        {
            break;
        }
    }
    Ok(read)
}

/// A request body with every secret known to the run removed from its strings (a comment or an issue
/// quoting server text).
fn redacted(value: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(text) => Value::String(crate::redact::text(text).into_owned()),
        Value::Array(items) => Value::Array(items.iter().map(redacted).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| (key.clone(), redacted(value)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// 429, or a 403 that GitHub marks as a (primary or secondary) rate limit.
fn is_rate_limited(status: StatusCode, headers: &HeaderMap) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS
        || (status == StatusCode::FORBIDDEN
            && (headers.contains_key("retry-after")
                || header(headers, "x-ratelimit-remaining") == Some("0")))
}

/// The wait the server asks for: `Retry-After` seconds, or until `x-ratelimit-reset` (epoch seconds)
/// when no requests remain.
fn server_wait(headers: &HeaderMap) -> Option<Duration> {
    if let Some(wait) = retry::retry_after(headers) {
        return Some(wait);
    }
    if header(headers, "x-ratelimit-remaining") == Some("0") {
        let reset = header(headers, "x-ratelimit-reset")?.parse::<u64>().ok()?;
        let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
        return Some(Duration::from_secs(
            reset.saturating_sub(now).saturating_add(1),
        ));
    }
    None
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name)?.to_str().ok().map(str::trim)
}

/// GitHub's `message` from an error body (the crate's one reader, [`crate::error_body`]), or the start of a
/// body that is not JSON.
fn error_message(body: &str) -> String {
    match ErrorBody::parse(body) {
        Some(read) => read.message,
        None => error_body::start(body, SNIPPET_LIMIT),
    }
    .unwrap_or_else(|| "no message".to_string())
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn a_403_with_rate_limit_headers_is_a_rate_limit_not_a_refusal() {
        assert!(is_rate_limited(
            StatusCode::FORBIDDEN,
            &headers(&[("x-ratelimit-remaining", "0")])
        ));
        assert!(is_rate_limited(
            StatusCode::FORBIDDEN,
            &headers(&[("retry-after", "5")])
        ));
        assert!(!is_rate_limited(
            StatusCode::FORBIDDEN,
            &headers(&[("x-ratelimit-remaining", "4999")])
        ));
        assert!(is_rate_limited(
            StatusCode::TOO_MANY_REQUESTS,
            &HeaderMap::new()
        ));
    }

    #[test]
    fn the_server_wait_comes_from_retry_after_or_the_reset_time() {
        assert_eq!(
            server_wait(&headers(&[("retry-after", "7")])),
            Some(Duration::from_secs(7))
        );
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let reset = (now + 30).to_string();
        let wait = server_wait(&headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", &reset),
        ]));
        let wait = wait.unwrap().as_secs();
        assert!((29..=32).contains(&wait), "{wait}");
        assert_eq!(
            server_wait(&headers(&[("x-ratelimit-reset", &reset)])),
            None
        );
    }

    #[test]
    fn error_messages_come_from_githubs_json() {
        assert_eq!(
            error_message(r#"{"message":"Resource not accessible by integration"}"#),
            "Resource not accessible by integration"
        );
        assert_eq!(
            error_message(
                r#"{"message":"Validation Failed","errors":[{"resource":"IssueComment","code":"custom","field":"body","message":"body is too long"}],"documentation_url":"https://docs.github.com/rest/issues/comments#create-an-issue-comment"}"#
            ),
            "Validation Failed"
        );
        assert_eq!(error_message(""), "no message");
        assert_eq!(error_message("{}"), "no message");
        assert_eq!(
            error_message("<html>bad gateway</html>"),
            "<html>bad gateway</html>"
        );
        assert_eq!(
            error_message(&"x".repeat(300)),
            format!("{}…", "x".repeat(200))
        );
    }
}
