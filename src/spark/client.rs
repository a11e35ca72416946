//! The client: base URL and tenant, options, and the one place where API calls are sent and retried.
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use reqwest::{Method, StatusCode, redirect};
use serde::de::DeserializeOwned;
use url::Url;

use super::auth::{Auth, Authenticator, Credentials};
use super::error::{CredentialsLabel, display_url};
use super::import::PackageUpload;
use super::retry::{self, Attempt, RetryPolicy};
use super::{Error, Operation, REQUEST_ID, TENANT_NAME};
use crate::body::{self, Capped, TooLarge};
use crate::error_body;
use crate::tenant_url::TenantUrl;

/// The most of an answer's body or of serde's message quoted in an error.
const SNIPPET_LIMIT: usize = 300;

/// Timeouts, retries and identity of a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Retries of idempotent calls (reads, cancels, the token request, downloads).
    pub retry: RetryPolicy,
    /// Timeout of one API call (not an upload or a download).
    pub timeout: Duration,
    /// Timeout of one package upload or download.
    pub transfer_timeout: Duration,
    /// Timeout of opening a connection.
    pub connect_timeout: Duration,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// The tenant's package limit: a download stops there (200 MB by default).
    pub max_package_bytes: u64,
    /// Whose credentials this client sends, named when they are refused (none: the message says only
    /// to check them).
    pub credentials: Option<CredentialsLabel>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            retry: retry::default_policy(),
            timeout: Duration::from_secs(60),
            transfer_timeout: Duration::from_secs(3600),
            connect_timeout: Duration::from_secs(10),
            user_agent: concat!("spark-promote/", env!("CARGO_PKG_VERSION")).to_owned(),
            max_package_bytes: super::PACKAGE_LIMIT,
            credentials: None,
        }
    }
}

/// An environment URL split into its parts (the one rule, shared with the manifest).
pub(crate) fn tenant_url(url: &Url) -> Result<TenantUrl, Error> {
    TenantUrl::parse(url).map_err(|why| {
        Error::Invalid(format!(
            "invalid Spark URL {}: {why}",
            display_url(url, false)
        ))
    })
}

/// The Spark ImpEx client for one tenant. Cheap to clone: clones share connections and the cached token.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.urls.base.as_str())
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

struct Inner {
    /// API calls: no redirects, so credentials never follow one to another host.
    api: reqwest::Client,
    /// Downloads of pre-signed URLs: no credentials at all, redirects allowed.
    downloads: reqwest::Client,
    urls: TenantUrl,
    tenant_header: HeaderValue,
    auth: Authenticator,
    options: ClientOptions,
}

/// What a call sends.
pub(crate) enum CallBody<'a> {
    Empty,
    Json(Vec<u8>),
    Package(&'a PackageUpload<'a>),
}

/// One API call.
pub(crate) struct Call<'a> {
    pub op: Operation,
    pub method: Method,
    pub url: Url,
    pub body: CallBody<'a>,
    /// Retried on transient failures; otherwise sent once (except for one token refresh on a 401) and
    /// reported as ambiguous when the connection fails after sending began.
    pub idempotent: bool,
}

impl<'a> Call<'a> {
    /// An idempotent call without a body: retried on transient failures.
    pub fn retried(op: Operation, method: Method, url: Url) -> Self {
        Self {
            op,
            method,
            url,
            body: CallBody::Empty,
            idempotent: true,
        }
    }

    /// A POST that creates a job: sent once.
    pub fn create(op: Operation, url: Url, body: CallBody<'a>) -> Self {
        Self {
            op,
            method: Method::POST,
            url,
            body,
            idempotent: false,
        }
    }
}

/// A success response, read in full.
pub(crate) struct Reply {
    pub body: Bytes,
    pub request_id: String,
}

impl Client {
    /// A client for the tenant whose base URL is given (`https://excel.uat.us.coherent.global/acme-uat`;
    /// the last path segment is the tenant).
    pub fn new(base_url: Url, auth: Auth, options: ClientOptions) -> Result<Self, Error> {
        let urls = tenant_url(&base_url)?;
        let tenant_header = HeaderValue::from_str(&urls.tenant)
            .map_err(|_| Error::Invalid(format!("invalid tenant name {:?}", urls.tenant)))?;
        let build = |redirects| {
            reqwest::Client::builder()
                .user_agent(&options.user_agent)
                .connect_timeout(options.connect_timeout)
                .redirect(redirects)
                // A redirect of a download would otherwise carry the pre-signed URL (its token) onward.
                .referer(false)
                .build()
                .map_err(|e| Error::Invalid(format!("could not set up the HTTP client: {e}")))
        };
        Ok(Self {
            inner: Arc::new(Inner {
                api: build(redirect::Policy::none())?,
                downloads: build(redirect::Policy::limited(5))?,
                urls,
                tenant_header,
                auth: Authenticator::new(auth)?,
                options,
            }),
        })
    }

    /// The tenant, from the base URL.
    pub fn tenant(&self) -> &str {
        &self.inner.urls.tenant
    }

    /// The base URL, normalized (`{root}/{tenant}`).
    pub fn base_url(&self) -> &Url {
        &self.inner.urls.base
    }

    pub(crate) fn options(&self) -> &ClientOptions {
        &self.inner.options
    }

    pub(crate) fn download_http(&self) -> &reqwest::Client {
        &self.inner.downloads
    }

    /// `{base}/{segments..}`, each segment percent-encoded.
    pub(crate) fn tenant_url(&self, segments: &[&str]) -> Url {
        extend(&self.inner.urls.base, segments)
    }

    /// `{root}/{segments..}`: the v1 APIs, which take the tenant from the `x-tenant-name` header only.
    pub(crate) fn root_url(&self, segments: &[&str]) -> Url {
        extend(&self.inner.urls.root, segments)
    }

    /// Sends a call (with retries if it is idempotent) and decodes its JSON reply.
    pub(crate) async fn call_json<T: DeserializeOwned>(&self, call: Call<'_>) -> Result<T, Error> {
        let reply = self.call(&call).await?;
        serde_json::from_slice(&reply.body).map_err(|e| Error::Decode {
            op: call.op,
            url: display_url(&call.url, false),
            request_id: Some(reply.request_id),
            detail: decode_detail(&e, &reply.body),
        })
    }

    /// Sends a call (with retries if it is idempotent) and returns its success reply.
    pub(crate) async fn call(&self, call: &Call<'_>) -> Result<Reply, Error> {
        let policy = if call.idempotent {
            self.inner.options.retry.clone()
        } else {
            self.inner.options.retry.once()
        };
        retry::run(&policy, || self.attempt(call))
            .await
            .map_err(|error| error.labelled(self.inner.options.credentials.as_ref()))
    }

    /// Whether the tenant takes this client's credentials, with one cheap call that any key may make
    /// (the tenant's import job list; under client credentials, the token request first). A 403 is an
    /// answer to authenticated credentials that lack a permission: they are accepted here. Only a refusal
    /// of the credentials themselves is an error; any other failure is left to the calls that need them.
    pub async fn check_credentials(&self) -> Result<(), Error> {
        match self.import_jobs().await {
            Err(error) if error.is_credentials_refused() => Err(error),
            Err(error) => {
                tracing::debug!("credentials check of {}: {error}", self.base_url());
                Ok(())
            }
            Ok(_) => Ok(()),
        }
    }

    /// One attempt; a 401 under client credentials drops the token and sends the call once more.
    async fn attempt(&self, call: &Call<'_>) -> Attempt<Reply> {
        let inner = &*self.inner;
        let shown = display_url(&call.url, false);
        let mut refreshed = false;
        loop {
            let credentials = match inner.auth.credentials(&inner.api, &inner.options).await {
                Ok(credentials) => credentials,
                Err(error) => return Attempt::Fail(error),
            };
            let request_id = uuid::Uuid::new_v4().to_string();
            tracing::debug!(op = %call.op, method = %call.method, url = %shown, %request_id, "sending");
            let response = match self.send(call, &credentials, &request_id).await {
                Ok(Ok(response)) => response,
                Ok(Err(e)) => return transport_failure(call, &shown, &request_id, &e),
                Err(error) => return Attempt::Fail(error),
            };
            let status = response.status();
            tracing::debug!(op = %call.op, %status, %request_id, "response");
            if status == StatusCode::UNAUTHORIZED && credentials.refreshable() && !refreshed {
                tracing::debug!(op = %call.op, "401: refreshing the token once");
                inner.auth.invalidate(&credentials).await;
                refreshed = true;
                continue;
            }
            return answer(call, &shown, request_id, response).await;
        }
    }

    /// Sends one request of `call` with `credentials`: the response, or the transport's failure (the outer
    /// error: a package that could not be read).
    async fn send(
        &self,
        call: &Call<'_>,
        credentials: &Credentials,
        request_id: &str,
    ) -> Result<Result<reqwest::Response, reqwest::Error>, Error> {
        let inner = &*self.inner;
        let mut request = inner
            .api
            .request(call.method.clone(), call.url.clone())
            .timeout(inner.options.timeout)
            .header(TENANT_NAME, inner.tenant_header.clone())
            .header(REQUEST_ID, request_id);
        for (name, value) in &credentials.headers {
            request = request.header(name, value.clone());
        }
        Ok(match &call.body {
            CallBody::Empty => request.send().await,
            CallBody::Json(json) => {
                request
                    .header(CONTENT_TYPE, "application/json")
                    .body(json.clone())
                    .send()
                    .await
            }
            CallBody::Package(upload) => {
                upload
                    .send(request.timeout(inner.options.transfer_timeout))
                    .await?
            }
        })
    }
}

/// A response read to its end: the reply on success; otherwise its error, retried when the call is
/// idempotent and the error transient (after the server's Retry-After, if it gave one).
async fn answer(
    call: &Call<'_>,
    shown: &str,
    request_id: String,
    response: reqwest::Response,
) -> Attempt<Reply> {
    let status = response.status();
    let after = retry::retry_after(response.headers());
    let body = match read_body(response).await {
        Ok(Body::Answer(body)) => return Attempt::Done(Reply { body, request_id }),
        Ok(Body::TooLarge(too_large)) => {
            return Attempt::Fail(Error::Decode {
                op: call.op,
                url: shown.to_owned(),
                request_id: Some(request_id),
                detail: too_large.to_string(),
            });
        }
        Ok(Body::Refusal(body)) => body,
        Err(e) => return transport_failure(call, shown, &request_id, &e),
    };
    let error = Error::http(
        call.op,
        &call.method,
        shown,
        Some(&request_id),
        status,
        &body,
    );
    if call.idempotent && error.is_transient() {
        Attempt::Retry { error, after }
    } else {
        Attempt::Fail(error)
    }
}

/// A response's body, read within its cap (see [`crate::body`]).
pub(crate) enum Body {
    /// A success answer.
    Answer(Bytes),
    /// A success answer over [`body::ANSWER_LIMIT`] (one declared longer is not read at all).
    TooLarge(TooLarge),
    /// An error body, cut at [`body::ERROR_LIMIT`].
    Refusal(Bytes),
}

/// Reads a response's body within its cap.
pub(crate) async fn read_body(response: reqwest::Response) -> Result<Body, reqwest::Error> {
    if !response.status().is_success() {
        return Ok(Body::Refusal(
            read_capped(response, body::ERROR_LIMIT).await?.into_bytes(),
        ));
    }
    if body::declared_over(response.content_length(), body::ANSWER_LIMIT) {
        return Ok(Body::TooLarge(TooLarge {
            limit: body::ANSWER_LIMIT,
        }));
    }
    Ok(
        match read_capped(response, body::ANSWER_LIMIT).await?.answer() {
            Ok(answer) => Body::Answer(answer),
            Err(too_large) => Body::TooLarge(too_large),
        },
    )
}

/// Reads a body up to `limit` bytes.
async fn read_capped(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Capped, reqwest::Error> {
    let mut read = Capped::new(limit);
    while let Some(chunk) = response.chunk().await? {
        if !read.push(&chunk) {
            break;
        }
    }
    Ok(read)
}

/// What a success answer that does not decode shows: serde's message (cut: it quotes a whole string value)
/// and the start of the body.
fn decode_detail(error: &serde_json::Error, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(SNIPPET_LIMIT)]);
    format!(
        "{}; body: {}",
        error_body::snippet(&error.to_string(), SNIPPET_LIMIT),
        error_body::snippet(&text, SNIPPET_LIMIT)
    )
}

/// A failed send: retried when idempotent; otherwise ambiguous unless the connection never opened.
fn transport_failure(
    call: &Call<'_>,
    shown: &str,
    request_id: &str,
    e: &reqwest::Error,
) -> Attempt<Reply> {
    let ambiguous = !call.idempotent && !e.is_connect();
    let error = Error::transport(call.op, &call.method, shown, Some(request_id), ambiguous, e);
    if call.idempotent && !e.is_builder() {
        Attempt::Retry { error, after: None }
    } else {
        Attempt::Fail(error)
    }
}

fn extend(url: &Url, segments: &[&str]) -> Url {
    let mut url = url.clone();
    url.path_segments_mut()
        .expect("base URLs are checked to be http(s) in TenantUrl::parse")
        .pop_if_empty()
        .extend(segments);
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invalid_base_url_is_an_error_naming_it() {
        let err = tenant_url(&Url::parse("https://excel.uat.us.coherent.global/").unwrap())
            .unwrap_err()
            .to_string();
        assert!(err.contains("invalid Spark URL https://excel.uat.us.coherent.global/: url must end with the tenant"), "{err}");
    }

    #[test]
    fn the_client_its_errors_and_its_futures_can_cross_threads() {
        fn send<T: Send>(_: &T) {}
        fn thread_safe<T: Send + Sync + 'static>() {}
        thread_safe::<Client>();
        thread_safe::<Error>();
        let client = Client::new(
            Url::parse("http://127.0.0.1:9/acme").unwrap(),
            Auth::Bearer("t".into()),
            ClientOptions::default(),
        )
        .unwrap();
        let entity = crate::spark::ImportRequestEntity::default();
        let progress = |_: u64, _: u64| {};
        send(&client.import(std::path::Path::new("p.zip"), &entity, Some(&progress)));
        send(&client.download(&client.base_url().clone(), std::path::Path::new("d"), None));
        send(&client.import_jobs());
    }

    #[test]
    fn path_segments_are_percent_encoded() {
        let client = Client::new(
            Url::parse("http://127.0.0.1:9/acme").unwrap(),
            Auth::Bearer("t".into()),
            ClientOptions::default(),
        )
        .unwrap();
        let url = client.tenant_url(&["api", "v3", "folders", "my folder/x", "services", "q?"]);
        assert_eq!(
            url.path(),
            "/acme/api/v3/folders/my%20folder%2Fx/services/q%3F"
        );
        assert_eq!(
            client.root_url(&["api", "v1"]).as_str(),
            "http://127.0.0.1:9/api/v1"
        );
    }
}
