//! Credentials: bearer token, API key, or OAuth2 client credentials with a shared, cached token.
use std::time::{Duration, Instant};

use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::sync::Mutex;
use url::Url;

use super::client::{Body, ClientOptions, read_body};
use super::error::{cause_chain, display_url, extract_message};
use super::retry::{self, Attempt};
use super::{Error, REQUEST_ID};

/// How the client authenticates to Spark.
#[derive(Debug, Clone)]
pub enum Auth {
    /// `Authorization: Bearer {token}`.
    Bearer(SecretString),
    /// `x-synthetic-key: {key}` (with `x-tenant-name`).
    ApiKey(SecretString),
    /// OAuth2 client credentials: a token is fetched from `token_url` (derived by `crate::tenant_url` when
    /// none is given), cached until shortly before it expires, and refreshed once when a call gets a 401.
    ClientCredentials {
        client_id: String,
        client_secret: SecretString,
        token_url: Url,
    },
}

/// The headers a call carries, and which cached token they came from (to drop it on a 401).
pub(crate) struct Credentials {
    pub headers: Vec<(HeaderName, HeaderValue)>,
    generation: Option<u64>,
}

impl Credentials {
    /// True when a 401 can be answered by fetching a new token.
    pub fn refreshable(&self) -> bool {
        self.generation.is_some()
    }
}

/// Produces the credentials of each call.
pub(crate) enum Authenticator {
    Static(Vec<(HeaderName, HeaderValue)>),
    OAuth(Box<OAuth>),
}

pub(crate) struct OAuth {
    client_id: String,
    client_secret: SecretString,
    token_url: Url,
    state: Mutex<TokenState>,
}

#[derive(Default)]
struct TokenState {
    token: Option<Token>,
    generation: u64,
}

struct Token {
    header: HeaderValue,
    refresh_at: Option<Instant>,
    generation: u64,
}

#[derive(Deserialize)]
struct TokenReply {
    access_token: SecretString,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

impl Authenticator {
    pub fn new(auth: Auth) -> Result<Self, Error> {
        // Every credential the client sends is known to the run: removed from anything a server echoes.
        match &auth {
            Auth::Bearer(secret) | Auth::ApiKey(secret) => {
                crate::redact::register(secret.expose_secret());
            }
            Auth::ClientCredentials { client_secret, .. } => {
                crate::redact::register(client_secret.expose_secret());
            }
        }
        Ok(match auth {
            Auth::Bearer(token) => Self::Static(vec![(AUTHORIZATION, bearer(&token)?)]),
            Auth::ApiKey(key) => Self::Static(vec![(
                HeaderName::from_static("x-synthetic-key"),
                sensitive(key.expose_secret(), "the API key")?,
            )]),
            Auth::ClientCredentials {
                client_id,
                client_secret,
                token_url,
            } => Self::OAuth(Box::new(OAuth {
                client_id,
                client_secret,
                token_url,
                state: Mutex::default(),
            })),
        })
    }

    /// The credentials for the next call; a client-credentials token is fetched by one caller at a time,
    /// the others wait for it and share it.
    pub async fn credentials(
        &self,
        http: &reqwest::Client,
        options: &ClientOptions,
    ) -> Result<Credentials, Error> {
        let oauth = match self {
            Self::Static(headers) => {
                return Ok(Credentials {
                    headers: headers.clone(),
                    generation: None,
                });
            }
            Self::OAuth(oauth) => oauth,
        };
        let mut state = oauth.state.lock().await;
        let fresh = |t: &&Token| t.refresh_at.is_none_or(|at| Instant::now() < at);
        if let Some(token) = state.token.as_ref().filter(fresh) {
            return Ok(token.credentials());
        }
        let (header, refresh_at) = oauth.fetch(http, options).await?;
        state.generation += 1;
        let token = Token {
            header,
            refresh_at,
            generation: state.generation,
        };
        let credentials = token.credentials();
        state.token = Some(token);
        Ok(credentials)
    }

    /// Drops the cached token a refused call used, unless another caller already replaced it.
    pub async fn invalidate(&self, used: &Credentials) {
        if let (Self::OAuth(oauth), Some(generation)) = (self, used.generation) {
            let mut state = oauth.state.lock().await;
            if state
                .token
                .as_ref()
                .is_some_and(|t| t.generation == generation)
            {
                state.token = None;
            }
        }
    }
}

impl Token {
    fn credentials(&self) -> Credentials {
        Credentials {
            headers: vec![(AUTHORIZATION, self.header.clone())],
            generation: Some(self.generation),
        }
    }
}

impl OAuth {
    async fn fetch(
        &self,
        http: &reqwest::Client,
        options: &ClientOptions,
    ) -> Result<(HeaderValue, Option<Instant>), Error> {
        let shown = display_url(&self.token_url, false);
        let auth_error = |status, message| Error::Auth {
            url: shown.clone(),
            status,
            message,
            credentials: None,
        };
        retry::run(&options.retry, || async {
            let request_id = uuid::Uuid::new_v4().to_string();
            tracing::debug!(url = %shown, %request_id, "requesting a client-credentials token");
            let form = [
                ("grant_type", "client_credentials"),
                ("client_id", self.client_id.as_str()),
                ("client_secret", self.client_secret.expose_secret()),
            ];
            let sent = http
                .post(self.token_url.clone())
                .timeout(options.timeout)
                .header(REQUEST_ID, &request_id)
                .form(&form)
                .send()
                .await;
            let response = match sent {
                Ok(response) => response,
                Err(e) => {
                    let error = auth_error(None, cause_chain(&e));
                    return Attempt::Retry { error, after: None };
                }
            };
            let status = response.status();
            let after = retry::retry_after(response.headers());
            tracing::debug!(%status, %request_id, "token response");
            let body = match read_body(response).await {
                Ok(Body::Answer(body)) => body,
                Ok(Body::TooLarge(too_large)) => {
                    return Attempt::Fail(auth_error(None, too_large.to_string()));
                }
                Ok(Body::Refusal(body)) => body,
                Err(e) => {
                    let error = auth_error(None, cause_chain(&e));
                    return Attempt::Retry { error, after: None };
                }
            };
            if status.is_success() {
                return match parse_token(&body) {
                    Ok(token) => Attempt::Done(token),
                    Err(message) => Attempt::Fail(auth_error(None, message)),
                };
            }
            let error = auth_error(
                Some(status),
                extract_message(&String::from_utf8_lossy(&body), status),
            );
            if retry::is_transient(status) {
                Attempt::Retry { error, after }
            } else {
                Attempt::Fail(error)
            }
        })
        .await
    }
}

/// The token's header and when to fetch the next one: a little before it expires.
/// Serde's message is not shown: it may quote part of the body, which holds the token.
/// The longest a fetched token is kept before a new one is asked for, whatever its `expires_in` says.
const MAX_LIFETIME: Duration = Duration::from_secs(24 * 3600);

fn parse_token(body: &[u8]) -> Result<(HeaderValue, Option<Instant>), String> {
    let reply: TokenReply = serde_json::from_slice(body).map_err(|e| {
        format!(
            "the token endpoint's answer has no usable access_token (JSON error at line {} column {})",
            e.line(),
            e.column()
        )
    })?;
    let lifetime = reply.expires_in.as_ref().and_then(|v| match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.parse().ok(),
        _ => None,
    });
    // A lifetime from the server is checked, never trusted: `1e30` or `u64::MAX` is taken as a day.
    let refresh_at = lifetime.filter(|s| s.is_finite() && *s >= 0.0).map(|secs| {
        let lifetime = Duration::from_secs_f64(secs.min(MAX_LIFETIME.as_secs_f64()));
        let margin = (lifetime / 4).min(Duration::from_secs(30));
        Instant::now() + (lifetime - margin)
    });
    // Known to the run from now on: removed from any later text (and masked in the action).
    crate::redact::register(reply.access_token.expose_secret());
    let header = bearer(&reply.access_token).map_err(|e| e.to_string())?;
    Ok((header, refresh_at))
}

fn bearer(token: &SecretString) -> Result<HeaderValue, Error> {
    sensitive(
        &format!("Bearer {}", token.expose_secret()),
        "the bearer token",
    )
}

/// A header value marked sensitive (never printed by the HTTP stack); the value is not quoted on error.
fn sensitive(value: &str, what: &str) -> Result<HeaderValue, Error> {
    let mut header = HeaderValue::from_str(value).map_err(|_| {
        Error::Invalid(format!(
            "{what} has characters not allowed in an HTTP header"
        ))
    })?;
    header.set_sensitive(true);
    Ok(header)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_absurd_token_lifetime_is_taken_as_a_day_without_panicking() {
        for expires_in in [
            "1e30",
            "18446744073709551615",
            "1.7976931348623157e308",
            "\"1e30\"",
        ] {
            let body = format!(r#"{{"access_token":"t0k3n-x","expires_in":{expires_in}}}"#);
            let (_, refresh_at) = parse_token(body.as_bytes()).unwrap();
            let left = refresh_at.unwrap() - Instant::now();
            assert!(
                left <= MAX_LIFETIME && left > MAX_LIFETIME / 2,
                "{expires_in}: {left:?}"
            );
        }
        for expires_in in ["-5", "\"inf\"", "\"NaN\"", "null"] {
            let body = format!(r#"{{"access_token":"t0k3n-x","expires_in":{expires_in}}}"#);
            assert!(
                parse_token(body.as_bytes()).unwrap().1.is_none(),
                "{expires_in}"
            );
        }
    }

    #[test]
    fn token_is_refreshed_a_little_before_it_expires() {
        let (_, at) = parse_token(br#"{"access_token":"t","expires_in":300}"#).unwrap();
        let left = at.unwrap() - Instant::now();
        assert!(
            left <= Duration::from_secs(270) && left > Duration::from_secs(260),
            "{left:?}"
        );
        let (_, at) = parse_token(br#"{"access_token":"t","expires_in":"40"}"#).unwrap();
        assert!(at.unwrap() - Instant::now() <= Duration::from_secs(30));
        let (_, at) = parse_token(br#"{"access_token":"t"}"#).unwrap();
        assert!(at.is_none());
    }

    #[test]
    fn a_malformed_token_reply_does_not_quote_the_body() {
        let err = parse_token(br#"{"access_token": 12345678, "x": "hunter2"}"#).unwrap_err();
        assert!(
            !err.contains("12345678") && !err.contains("hunter2"),
            "{err}"
        );
    }
}
