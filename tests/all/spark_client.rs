//! Integration tests: the Spark ImpEx client against mock servers on 127.0.0.1 (wiremock, and raw TCP
//! servers for dropped connections and truncated bodies).
use std::io::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use secrecy::SecretString;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use spark_promote::spark::{
    Auth, Client, ClientOptions, Error, ExportInputs, ExportRequest, ImportInputs,
    ImportRequestEntity, ItemStatus, JobState, RetryPolicy, ServiceModify, ServicesExisting,
    UpdateVersionType,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use url::Url;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TENANT: &str = "acme";
const TOKEN_PATH: &str = "/auth/realms/acme/protocol/openid-connect/token";
const BEARER: &str = "bearer-secret-7f3a";
const API_KEY: &str = "api-key-secret-91c2";
const CLIENT_SECRET: &str = "client-secret-5d8e";
const JOB: &str = "df0e9343-5657-4fd2-959d-89dc4eadf12d";

// ---------------------------------------------------------------- helpers

fn fast_options(max_retries: u32) -> ClientOptions {
    ClientOptions {
        retry: RetryPolicy {
            max_retries,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            max_retry_after: Duration::from_secs(5),
        },
        timeout: Duration::from_secs(10),
        transfer_timeout: Duration::from_secs(30),
        connect_timeout: Duration::from_secs(2),
        ..ClientOptions::default()
    }
}

fn base(uri: &str) -> Url {
    Url::parse(&format!("{uri}/{TENANT}")).unwrap()
}

fn bearer() -> Auth {
    Auth::Bearer(SecretString::from(BEARER))
}

fn api_key() -> Auth {
    Auth::ApiKey(SecretString::from(API_KEY))
}

fn client_credentials(uri: &str) -> Auth {
    Auth::ClientCredentials {
        client_id: "ci".into(),
        client_secret: SecretString::from(CLIENT_SECRET),
        token_url: Url::parse(&format!("{uri}{TOKEN_PATH}")).unwrap(),
    }
}

fn client(server: &MockServer, auth: Auth) -> Client {
    Client::new(base(&server.uri()), auth, fast_options(3)).unwrap()
}

fn status_json(state: &str) -> Value {
    json!({ "id": JOB, "object": "import", "status": state, "errors": null, "outputs": {} })
}

fn ok_json(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

fn token_reply(token: &str) -> ResponseTemplate {
    ok_json(json!({ "access_token": token, "expires_in": 300, "token_type": "Bearer" }))
}

async fn mount_status(server: &MockServer, state: &str) {
    Mock::given(method("GET"))
        .and(path(format!("/{TENANT}/api/v4/import/{JOB}/status")))
        .respond_with(ok_json(status_json(state)))
        .mount(server)
        .await;
}

async fn requests_to(server: &MockServer, route: &str) -> Vec<Request> {
    let all = server.received_requests().await.unwrap();
    all.into_iter().filter(|r| r.url.path() == route).collect()
}

fn header_of<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request.headers.get(name).map(|v| v.to_str().unwrap())
}

fn write_package(dir: &Path, len: usize) -> std::path::PathBuf {
    let path = dir.join("pricing.zip");
    let mut file = std::fs::File::create(&path).unwrap();
    let block: Vec<u8> = (0..=255u8).cycle().take(1 << 16).collect();
    let mut left = len;
    while left > 0 {
        let n = left.min(block.len());
        file.write_all(&block[..n]).unwrap();
        left -= n;
    }
    path
}

fn entity() -> ImportRequestEntity {
    ImportRequestEntity {
        inputs: ImportInputs {
            services_modify: vec![ServiceModify {
                service_uri_source: "myproduct/myservice".into(),
                service_uri_destination: Some("newproduct/newservice".into()),
                update_version_type: Some(UpdateVersionType::Major),
            }],
        },
        services_existing: Some(ServicesExisting::AddVersion),
        source_system: Some("mycicd".into()),
        correlation_id: Some("456".into()),
    }
}

/// One part of a multipart body.
struct Part {
    headers: String,
    body: Vec<u8>,
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

fn multipart_parts(request: &Request) -> Vec<Part> {
    let content_type = header_of(request, "content-type").unwrap();
    let boundary = content_type
        .split("boundary=")
        .nth(1)
        .unwrap()
        .trim_matches('"');
    let delimiter = format!("\r\n--{boundary}").into_bytes();
    // Prefixing CRLF makes the first delimiter look like the others.
    let body = [b"\r\n".as_slice(), &request.body].concat();
    let mut parts = Vec::new();
    let mut at = find(&body, &delimiter, 0).unwrap() + delimiter.len();
    while !body[at..].starts_with(b"--") {
        let next = find(&body, &delimiter, at).unwrap();
        let part = &body[at + 2..next];
        let split = find(part, b"\r\n\r\n", 0).unwrap();
        parts.push(Part {
            headers: String::from_utf8(part[..split].to_vec())
                .unwrap()
                .to_lowercase(),
            body: part[split + 4..].to_vec(),
        });
        at = next + delimiter.len();
    }
    parts
}

/// A TCP server whose handler gets each connection with its number; counts connections.
struct RawServer {
    uri: String,
    connections: Arc<AtomicUsize>,
}

async fn raw_server<F, Fut>(handler: F) -> RawServer
where
    F: Fn(usize, TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let uri = format!("http://{}", listener.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = connections.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(handler(n, stream));
        }
    });
    RawServer { uri, connections }
}

/// Reads a request's head (and whatever body came with it) and returns how many bytes were read.
async fn read_head(stream: &mut TcpStream) -> usize {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    while find(&buf, b"\r\n\r\n", 0).is_none() {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    buf.len()
}

async fn respond_json(stream: &mut TcpStream, body: &str) {
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body.as_bytes()).await.unwrap();
}

/// The URI of a local port where nothing listens.
fn closed_port_uri() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", listener.local_addr().unwrap())
}

/// A logger capturing everything (all targets, trace level) for the current thread.
fn capture_logs() -> (Arc<Mutex<Vec<u8>>>, tracing::subscriber::DefaultGuard) {
    #[derive(Clone)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buffer = Arc::new(Mutex::new(Vec::new()));
    let sink = Sink(buffer.clone());
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    (buffer, tracing::subscriber::set_default(subscriber))
}

// ---------------------------------------------------------------- headers and auth

#[tokio::test]
async fn bearer_auth_sends_authorization_tenant_request_id_and_user_agent() {
    let server = MockServer::start().await;
    mount_status(&server, "in_progress").await;
    let client = client(&server, bearer());

    let status = client.import_status(JOB).await.unwrap();
    assert_eq!(status.status, JobState::InProgress);
    client.import_status(JOB).await.unwrap();

    let requests = server.received_requests().await.unwrap();
    let request = &requests[0];
    assert_eq!(
        header_of(request, "authorization"),
        Some(format!("Bearer {BEARER}").as_str())
    );
    assert_eq!(header_of(request, "x-tenant-name"), Some(TENANT));
    assert_eq!(header_of(request, "x-synthetic-key"), None);
    assert!(
        header_of(request, "user-agent")
            .unwrap()
            .starts_with("spark-promote/")
    );
    let ids: Vec<&str> = requests
        .iter()
        .map(|r| header_of(r, "x-request-id").unwrap())
        .collect();
    assert!(
        ids.iter().all(|id| uuid::Uuid::parse_str(id).is_ok()),
        "{ids:?}"
    );
    assert_ne!(ids[0], ids[1], "each call gets a fresh request id");
}

#[tokio::test]
async fn api_key_auth_sends_synthetic_key_and_tenant_without_authorization() {
    let server = MockServer::start().await;
    mount_status(&server, "completed").await;
    client(&server, api_key()).import_status(JOB).await.unwrap();

    let request = &server.received_requests().await.unwrap()[0];
    assert_eq!(header_of(request, "x-synthetic-key"), Some(API_KEY));
    assert_eq!(header_of(request, "x-tenant-name"), Some(TENANT));
    assert_eq!(header_of(request, "authorization"), None);
}

#[tokio::test]
async fn client_credentials_token_is_fetched_once_and_cached_across_calls() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(token_reply("tok-1"))
        .mount(&server)
        .await;
    mount_status(&server, "completed").await;
    let client = client(&server, client_credentials(&server.uri()));

    for _ in 0..3 {
        client.import_status(JOB).await.unwrap();
    }

    let tokens = requests_to(&server, TOKEN_PATH).await;
    assert_eq!(tokens.len(), 1);
    assert_eq!(
        header_of(&tokens[0], "content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let form = String::from_utf8(tokens[0].body.clone()).unwrap();
    assert_eq!(
        form,
        format!("grant_type=client_credentials&client_id=ci&client_secret={CLIENT_SECRET}")
    );
    let calls = requests_to(&server, &format!("/{TENANT}/api/v4/import/{JOB}/status")).await;
    assert_eq!(calls.len(), 3);
    assert!(
        calls
            .iter()
            .all(|r| header_of(r, "authorization") == Some("Bearer tok-1"))
    );
}

/// The token endpoint answers tok-1, then tok-2; the API refuses tok-1.
async fn rotating_token_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(token_reply("tok-1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(token_reply("tok-2"))
        .mount(&server)
        .await;
    Mock::given(header("authorization", "Bearer tok-1"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": "token expired"})))
        .with_priority(1)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn client_credentials_token_is_refreshed_once_on_401_and_the_call_retried() {
    let server = rotating_token_server().await;
    mount_status(&server, "completed").await;
    let client = client(&server, client_credentials(&server.uri()));

    let status = client.import_status(JOB).await.unwrap();
    assert_eq!(status.status, JobState::Completed);
    client.import_status(JOB).await.unwrap();

    assert_eq!(requests_to(&server, TOKEN_PATH).await.len(), 2);
    let calls = requests_to(&server, &format!("/{TENANT}/api/v4/import/{JOB}/status")).await;
    let auths: Vec<_> = calls
        .iter()
        .map(|r| header_of(r, "authorization").unwrap())
        .collect();
    assert_eq!(auths, ["Bearer tok-1", "Bearer tok-2", "Bearer tok-2"]);
}

#[tokio::test]
async fn a_401_after_the_refresh_is_an_error_without_a_third_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(token_reply("tok"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    let client = client(&server, client_credentials(&server.uri()));

    let error = client.import_status(JOB).await.unwrap_err();
    assert_eq!(error.status(), Some(reqwest::StatusCode::UNAUTHORIZED));
    assert_eq!(requests_to(&server, TOKEN_PATH).await.len(), 2);
}

#[tokio::test]
async fn concurrent_callers_share_one_token_fetch() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(token_reply("tok").set_delay(Duration::from_millis(200)))
        .mount(&server)
        .await;
    mount_status(&server, "completed").await;
    let client = client(&server, client_credentials(&server.uri()));

    let calls = (0..8).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.import_status(JOB).await })
    });
    for result in futures_util::future::join_all(calls).await {
        result.unwrap().unwrap();
    }
    assert_eq!(requests_to(&server, TOKEN_PATH).await.len(), 1);
}

#[tokio::test]
async fn token_endpoint_refusal_is_an_auth_error_and_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"error": "invalid_client", "error_description": "Invalid client or Invalid client credentials"}),
        ))
        .mount(&server)
        .await;
    let client = client(&server, client_credentials(&server.uri()));

    let error = client.import_status(JOB).await.unwrap_err();
    assert!(matches!(error, Error::Auth { .. }), "{error:?}");
    assert_eq!(requests_to(&server, TOKEN_PATH).await.len(), 1);
    assert!(
        requests_to(&server, &format!("/{TENANT}/api/v4/import/{JOB}/status"))
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn token_endpoint_503_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(TOKEN_PATH))
        .respond_with(token_reply("tok"))
        .mount(&server)
        .await;
    mount_status(&server, "completed").await;

    client(&server, client_credentials(&server.uri()))
        .import_status(JOB)
        .await
        .unwrap();
    assert_eq!(requests_to(&server, TOKEN_PATH).await.len(), 3);
}

// ---------------------------------------------------------------- import

#[tokio::test]
async fn import_sends_the_package_and_the_exact_entity_as_multipart() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/{TENANT}/api/v4/import")))
        .respond_with(ok_json(status_json("created")))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let package = write_package(dir.path(), 1000);

    let job = client(&server, bearer())
        .import(&package, &entity(), None)
        .await
        .unwrap();
    assert_eq!(job.id, JOB);
    assert_eq!(job.status, Some(JobState::Created));

    let request = &server.received_requests().await.unwrap()[0];
    assert_eq!(
        header_of(request, "authorization"),
        Some(format!("Bearer {BEARER}").as_str())
    );
    assert_eq!(
        header_of(request, "content-length").map(|l| l.parse::<usize>().unwrap()),
        Some(request.body.len())
    );
    let parts = multipart_parts(request);
    assert_eq!(parts.len(), 2);
    let entity_part = parts
        .iter()
        .find(|p| p.headers.contains(r#"name="importrequestentity""#))
        .unwrap();
    assert_eq!(
        String::from_utf8(entity_part.body.clone()).unwrap(),
        r#"{"inputs":{"services_modify":[{"service_uri_source":"myproduct/myservice","service_uri_destination":"newproduct/newservice","update_version_type":"major"}]},"services_existing":"add_version","source_system":"mycicd","correlation_id":"456"}"#
    );
    let file_part = parts
        .iter()
        .find(|p| p.headers.contains(r#"name="file""#))
        .unwrap();
    assert!(
        file_part.headers.contains(r#"filename="package.zip""#),
        "{}",
        file_part.headers
    );
    assert!(
        file_part.headers.contains("content-type: application/zip"),
        "{}",
        file_part.headers
    );
    assert_eq!(file_part.body, std::fs::read(&package).unwrap());
}

#[tokio::test]
async fn import_streams_a_large_package_and_progress_reaches_the_total() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/{TENANT}/api/v4/import")))
        .respond_with(ok_json(status_json("created")))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let len = 20 * 1024 * 1024;
    let package = write_package(dir.path(), len);
    let seen = Mutex::new(Vec::new());
    let progress = |sent: u64, total: u64| seen.lock().unwrap().push((sent, total));

    client(&server, bearer())
        .import(&package, &entity(), Some(&progress))
        .await
        .unwrap();

    let seen = seen.into_inner().unwrap();
    let total = len as u64;
    assert!(
        seen.len() > 10,
        "progress is reported as the file streams: {} reports",
        seen.len()
    );
    assert!(
        seen.windows(2).all(|w| w[0].0 < w[1].0),
        "progress only grows"
    );
    assert!(seen.iter().all(|(_, t)| *t == total));
    assert_eq!(seen.last(), Some(&(total, total)));
    let request = &server.received_requests().await.unwrap()[0];
    let file = multipart_parts(request)
        .into_iter()
        .find(|p| p.headers.contains(r#"name="file""#))
        .unwrap();
    assert_eq!(
        Sha256::digest(&file.body),
        Sha256::digest(std::fs::read(&package).unwrap())
    );
}

#[tokio::test]
async fn import_is_not_retried_on_503() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_string("upstream unavailable"))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let package = write_package(dir.path(), 10);

    let error = client(&server, bearer())
        .import(&package, &entity(), None)
        .await
        .unwrap_err();
    assert_eq!(
        error.status(),
        Some(reqwest::StatusCode::SERVICE_UNAVAILABLE)
    );
    assert!(!error.is_ambiguous());
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn import_after_a_401_is_sent_again_in_full_with_a_fresh_token() {
    let server = rotating_token_server().await;
    Mock::given(method("POST"))
        .and(path(format!("/{TENANT}/api/v4/import")))
        .respond_with(ok_json(status_json("created")))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let package = write_package(dir.path(), 300_000);

    let client = client(&server, client_credentials(&server.uri()));
    client.import(&package, &entity(), None).await.unwrap();

    assert_eq!(requests_to(&server, TOKEN_PATH).await.len(), 2);
    let uploads = requests_to(&server, &format!("/{TENANT}/api/v4/import")).await;
    assert_eq!(uploads.len(), 2);
    let file = multipart_parts(&uploads[1])
        .into_iter()
        .find(|p| p.headers.contains(r#"name="file""#));
    assert_eq!(file.unwrap().body.len(), 300_000);
}

#[tokio::test]
async fn import_connection_dropped_after_sending_is_ambiguous_and_not_retried() {
    let server = raw_server(|_, mut stream| async move {
        read_head(&mut stream).await;
        drop(stream);
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let package = write_package(dir.path(), 2 * 1024 * 1024);
    let client = Client::new(base(&server.uri), bearer(), fast_options(3)).unwrap();

    let error = client.import(&package, &entity(), None).await.unwrap_err();
    assert!(error.is_ambiguous(), "{error}");
    assert!(
        error.to_string().contains("may have accepted it"),
        "{error}"
    );
    assert_eq!(server.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn import_to_a_closed_port_is_not_ambiguous() {
    let uri = closed_port_uri();
    let dir = tempfile::tempdir().unwrap();
    let package = write_package(dir.path(), 10);
    let client = Client::new(base(&uri), bearer(), fast_options(3)).unwrap();

    let error = client.import(&package, &entity(), None).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Transport {
                ambiguous: false,
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn import_of_a_missing_package_names_the_file() {
    let server = MockServer::start().await;
    let error = client(&server, bearer())
        .import(Path::new("no/such/package.zip"), &entity(), None)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Io { .. }));
    assert!(
        error
            .to_string()
            .starts_with("failed to read package no/such/package.zip"),
        "{error}"
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

// ---------------------------------------------------------------- export

#[tokio::test]
async fn export_posts_the_request_json_once_even_on_503() {
    let server = MockServer::start().await;
    let request = ExportRequest {
        inputs: ExportInputs {
            services: vec!["pricing/quote".into()],
            ..ExportInputs::default()
        },
        correlation_id: Some("c-1".into()),
        ..ExportRequest::default()
    };
    Mock::given(method("POST"))
        .and(path(format!("/{TENANT}/api/v4/export")))
        .and(body_json(
            json!({"inputs": {"services": ["pricing/quote"]}, "correlation_id": "c-1"}),
        ))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server, bearer());
    assert!(
        client
            .export(&request)
            .await
            .unwrap_err()
            .status()
            .is_some()
    );

    server.reset().await;
    Mock::given(method("POST"))
        .respond_with(ok_json(
            json!({"id": "e-1", "object": "export", "status_url": "http://x/status"}),
        ))
        .mount(&server)
        .await;
    let job = client.export(&request).await.unwrap();
    assert_eq!(job.id, "e-1");
    assert_eq!(job.status, None);
}

#[tokio::test]
async fn export_with_nothing_to_export_is_refused_locally() {
    let server = MockServer::start().await;
    let error = client(&server, bearer())
        .export(&ExportRequest::default())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Invalid(_)));
    assert!(server.received_requests().await.unwrap().is_empty());
}

// ---------------------------------------------------------------- retries of idempotent calls

async fn failing_then_ok(server: &MockServer, failures: Vec<ResponseTemplate>) {
    for (i, failure) in failures.into_iter().enumerate() {
        Mock::given(method("GET"))
            .respond_with(failure)
            .up_to_n_times(1)
            .with_priority(u8::try_from(i + 1).unwrap())
            .mount(server)
            .await;
    }
    mount_status(server, "completed").await;
}

#[tokio::test]
async fn get_honours_retry_after_on_429() {
    let server = MockServer::start().await;
    failing_then_ok(
        &server,
        vec![ResponseTemplate::new(429).insert_header("retry-after", "1")],
    )
    .await;

    let started = Instant::now();
    client(&server, bearer()).import_status(JOB).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn get_is_retried_on_502_503_and_504() {
    let server = MockServer::start().await;
    let failures = [502, 503, 504].map(ResponseTemplate::new).to_vec();
    failing_then_ok(&server, failures).await;

    client(&server, bearer()).import_status(JOB).await.unwrap();
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 4);
    let ids: std::collections::HashSet<_> = requests
        .iter()
        .map(|r| header_of(r, "x-request-id"))
        .collect();
    assert_eq!(ids.len(), 4, "each attempt has its own request id");
}

#[tokio::test]
async fn get_gives_up_after_max_retries_with_the_last_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).set_body_json(json!({"message": "maintenance"})))
        .mount(&server)
        .await;

    let client = Client::new(base(&server.uri()), bearer(), fast_options(2)).unwrap();
    let error = client.export_jobs().await.unwrap_err();
    assert_eq!(
        error.status(),
        Some(reqwest::StatusCode::SERVICE_UNAVAILABLE)
    );
    assert!(error.to_string().contains("maintenance"), "{error}");
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn get_is_not_retried_on_a_client_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    client(&server, bearer())
        .import_status(JOB)
        .await
        .unwrap_err();
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn get_is_retried_after_a_dropped_connection() {
    let body = status_json("completed").to_string();
    let server = raw_server(move |n, mut stream| {
        let body = body.clone();
        async move {
            read_head(&mut stream).await;
            if n > 0 {
                respond_json(&mut stream, &body).await;
            }
        }
    })
    .await;
    let client = Client::new(base(&server.uri), bearer(), fast_options(3)).unwrap();

    let status = client.import_status(JOB).await.unwrap();
    assert_eq!(status.status, JobState::Completed);
    assert_eq!(server.connections.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn cancel_patches_the_job_status_and_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path(format!("/{TENANT}/api/v4/export/{JOB}")))
        .and(body_json(json!({"export_status": "cancelled"})))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("/{TENANT}/api/v4/export/{JOB}")))
        .and(body_json(json!({"export_status": "cancelled"})))
        .respond_with(ok_json(
            json!({"id": JOB, "object": "export", "status": "cancelled"}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("/{TENANT}/api/v4/import/{JOB}")))
        .and(body_json(json!({"import_status": "cancelled"})))
        .respond_with(ok_json(
            json!({"id": JOB, "object": "import", "status": "cancelled"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server, bearer());

    assert_eq!(
        client.cancel_export(JOB).await.unwrap().status,
        JobState::Cancelled
    );
    assert_eq!(
        client.cancel_import(JOB).await.unwrap().status,
        JobState::Cancelled
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

// ---------------------------------------------------------------- decoding

#[tokio::test]
async fn job_status_decodes_the_documented_sample_and_tolerates_unknown_fields() {
    let server = MockServer::start().await;
    let mut sample = json!({
        "object": "import", "id": JOB, "response_timestamp": "2023-11-01T03:21:34.573Z",
        "status": "completed", "status_url": "https://x/mytenant/v4/import/1/status", "process_time": 3453,
        "outputs": {
            "services": [{
                "service_uri_source": "myproduct/myservice", "folder_source": "myproduct",
                "service_source": "myservice", "service_id_source": "ad04acec",
                "service_uri_destination": "newproduct/newservice", "folder_destination": "newproduct",
                "service_destination": "newservice", "service_id_destination": "5d14d6a4", "status": "replaced"
            }],
            "service_versions": [{
                "service_uri_source": "myproduct/myservice[1.1.0]", "folder_source": "myproduct",
                "service_source": "myservice", "version_source": "1.1.0", "service_id_source": "ad04acec",
                "version_id_source": "e0901e15", "folder_destination": "newproduct",
                "service_destination": "newservice", "version_destination": "1.1.0",
                "service_uri_destination": "/newproduct/newservice[1.1.0]", "service_id_destination": "6bd0337c",
                "version_id_destination": "280341de", "status": "added", "brand_new_field": [1, 2]
            }],
            "something_else": {}
        },
        "source_system": "mycicd", "correlation_id": "456", "unexpected": true
    });
    Mock::given(method("GET"))
        .respond_with(ok_json(sample.clone()))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    sample["status"] = json!("failed");
    sample["errors"] =
        json!([{"code": "E42", "message": "folder newproduct does not exist"}, "plain text"]);
    sample["warnings"] = json!("one warning");
    sample["outputs"] = Value::Null;
    Mock::given(method("GET"))
        .respond_with(ok_json(sample))
        .mount(&server)
        .await;
    let client = client(&server, bearer());

    let status = client.import_status(JOB).await.unwrap();
    assert!(status.succeeded());
    assert_eq!(status.process_time, Some(3453));
    assert_eq!(status.correlation_id.as_deref(), Some("456"));
    assert!(status.errors.is_empty() && status.warnings.is_empty());
    assert_eq!(
        status.outputs.services[0].status,
        Some(ItemStatus::Replaced)
    );
    let version = &status.outputs.service_versions[0];
    assert_eq!(version.version_destination.as_deref(), Some("1.1.0"));
    assert_eq!(version.version_id_destination.as_deref(), Some("280341de"));
    assert_eq!(version.status, Some(ItemStatus::Added));

    let failed = client.import_status(JOB).await.unwrap();
    assert!(!failed.succeeded() && failed.status.is_terminal());
    let errors: Vec<String> = failed.errors.iter().map(ToString::to_string).collect();
    assert_eq!(errors, ["folder newproduct does not exist", "plain text"]);
    assert_eq!(failed.errors[0].code.as_deref(), Some("E42"));
    assert_eq!(failed.warnings[0].to_string(), "one warning");
    assert!(failed.outputs.services.is_empty());
}

#[tokio::test]
async fn export_status_lists_the_pre_signed_files() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/{TENANT}/api/v4/export/e-1/status")))
        .respond_with(ok_json(json!({
            "id": "e-1", "object": "export", "status": "closed", "errors": [],
            "outputs": {
                "files": [{"file": "https://store/tokens/abc/package.zip", "file_hash": "9f86"}],
                "services": [{"service_uri_source": "pricing/quote", "service_id_source": "s-1"}],
                "service_versions": [{"service_uri_source": "pricing/quote[1.1.0]", "version_source": "1.1.0"}]
            }
        })))
        .mount(&server)
        .await;

    let status = client(&server, bearer())
        .export_status("e-1")
        .await
        .unwrap();
    assert!(status.succeeded());
    assert_eq!(status.outputs.files[0].file_hash.as_deref(), Some("9f86"));
    assert_eq!(status.outputs.services[0].status, None);
    assert_eq!(
        status.outputs.service_versions[0].version_source.as_deref(),
        Some("1.1.0")
    );
}

#[tokio::test]
async fn tenant_job_lists_decode_for_imports_and_exports() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/{TENANT}/api/v4/import/status")))
        .respond_with(ok_json(json!({
            "in_progress_imports": [{
                "object": "import", "id": "8ecadd1b",
                "data": {"import_status": "in_progress", "created_by": "ci@x", "process_time": 0,
                         "created_timestamp": "2025-08-14T10:16:33.082Z", "updated_timestamp": "2025-08-14T10:16:33.305Z"}
            }],
            "recent_imports": [{"object": "import", "id": "77", "data": {"import_status": "completed", "correlation_id": "c-9"}}],
            "tenant": {"configuration": {"import_api_job_limit": 1}, "status": {"import_api_jobs_in_progress": 1}}
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/{TENANT}/api/v4/export/status")))
        .respond_with(ok_json(
            json!({"in_progress_exports": null, "recent_exports": [
                {"id": "e-2", "data": {"export_status": "failed"}}
            ]}),
        ))
        .mount(&server)
        .await;
    let client = client(&server, bearer());

    let imports = client.import_jobs().await.unwrap();
    let running = &imports.in_progress[0];
    assert_eq!(running.id, "8ecadd1b");
    assert_eq!(running.data.status, Some(JobState::InProgress));
    assert_eq!(running.data.created_by.as_deref(), Some("ci@x"));
    assert_eq!(running.data.correlation_id, None);
    assert_eq!(
        imports.recent[0].data.correlation_id.as_deref(),
        Some("c-9")
    );
    let tenant = imports.tenant.unwrap();
    assert_eq!(
        (
            tenant.configuration.job_limit,
            tenant.status.jobs_in_progress
        ),
        (Some(1), Some(1))
    );

    let exports = client.export_jobs().await.unwrap();
    assert!(exports.in_progress.is_empty());
    assert_eq!(exports.recent[0].data.status, Some(JobState::Failed));
}

#[tokio::test]
async fn a_success_body_that_is_not_json_is_a_decode_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>login</html>"))
        .mount(&server)
        .await;
    let error = client(&server, bearer())
        .import_status(JOB)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Decode { .. }), "{error:?}");
    assert!(error.to_string().contains("<html>login</html>"), "{error}");
}

// ---------------------------------------------------------------- reads

#[tokio::test]
async fn service_exists_reads_the_v3_exists_call_with_encoded_names() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!(
            "/{TENANT}/api/v3/folders/my%20folder/services/quote/exists"
        )))
        .respond_with(ok_json(json!({
            "status": "Success",
            "response_data": {"id": "s-1", "name": "quote", "is_exists": true, "version": "1.1.0",
                              "latest_version_id": "v-11", "service_status": "active"},
            "response_meta": {}, "error": null
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!(
            "/{TENANT}/api/v3/folders/pricing/services/new/exists"
        )))
        .respond_with(ok_json(
            json!({"status": "Success", "response_data": {"is_exists": false}}),
        ))
        .mount(&server)
        .await;
    let client = client(&server, bearer());

    let info = client.service_exists("my folder", "quote").await.unwrap();
    assert!(info.exists);
    assert_eq!(info.version.as_deref(), Some("1.1.0"));
    assert_eq!(info.latest_version_id.as_deref(), Some("v-11"));
    assert_eq!(info.id.as_deref(), Some("s-1"));
    assert!(
        !client
            .service_exists("pricing", "new")
            .await
            .unwrap()
            .exists
    );
}

#[tokio::test]
async fn folder_exists_posts_to_the_v1_api_at_the_host_root_with_the_tenant_header() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/product/isproductexists/pricing"))
        .and(header("x-tenant-name", TENANT))
        .respond_with(ok_json(json!({"status": "Success", "data": true})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/product/isproductexists/nope"))
        .respond_with(ok_json(json!({"status": "Success", "data": false})))
        .mount(&server)
        .await;
    let client = client(&server, api_key());

    assert!(client.folder_exists("pricing").await.unwrap());
    assert!(!client.folder_exists("nope").await.unwrap());
}

// ---------------------------------------------------------------- download

#[tokio::test]
async fn download_sends_no_credentials_and_reports_size_and_sha256() {
    let server = MockServer::start().await;
    let content: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    Mock::given(method("GET"))
        .and(path("/docstore/tokens/tok-in-path/package.zip"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(content.clone()))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("out.zip");
    let url = Url::parse(&format!(
        "{}/docstore/tokens/tok-in-path/package.zip",
        server.uri()
    ))
    .unwrap();
    let last = Mutex::new((0, 0));
    let progress = |done, total| *last.lock().unwrap() = (done, total);

    let download = client(&server, bearer())
        .download(&url, &dest, Some(&progress))
        .await
        .unwrap();

    assert_eq!(download.bytes, content.len() as u64);
    assert_eq!(download.sha256, hex::encode(Sha256::digest(&content)));
    assert_eq!(std::fs::read(&dest).unwrap(), content);
    assert_eq!(
        *last.lock().unwrap(),
        (content.len() as u64, content.len() as u64)
    );
    let request = &server.received_requests().await.unwrap()[0];
    for name in ["authorization", "x-synthetic-key", "x-tenant-name"] {
        assert_eq!(header_of(request, name), None, "{name}");
    }
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "no temporary file is left behind");
}

#[tokio::test]
async fn a_truncated_download_is_retried_and_leaves_no_file() {
    let server = raw_server(|_, mut stream| async move {
        read_head(&mut stream).await;
        let head =
            "HTTP/1.1 200 OK\r\ncontent-type: application/zip\r\ncontent-length: 100000\r\n\r\n";
        let _ = stream.write_all(head.as_bytes()).await;
        let _ = stream.write_all(&[7u8; 50_000]).await;
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("out.zip");
    let url = Url::parse(&format!(
        "{}/docstore/tokens/signed-token-xyz/package.zip",
        server.uri
    ))
    .unwrap();
    let client = Client::new(base(&server.uri), bearer(), fast_options(2)).unwrap();

    let error = client.download(&url, &dest, None).await.unwrap_err();

    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    assert!(!error.to_string().contains("signed-token-xyz"), "{error}");
    assert_eq!(server.connections.load(Ordering::SeqCst), 3);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing half-written"
    );
}

// ---------------------------------------------------------------- error messages and secrets

/// Errors for each refusal the user is likely to meet, as they are displayed.
async fn refusal_errors(server: &MockServer) -> Vec<(String, Error)> {
    let dir = tempfile::tempdir().unwrap();
    let package = write_package(dir.path(), 10);
    let mut errors = Vec::new();
    let cases: [(&str, u16, Value, Auth); 4] = [
        (
            "409 import",
            409,
            json!({"error": "another job is running for tenant acme (job 8ecadd1b, started by ci@x)"}),
            bearer(),
        ),
        (
            "413 import",
            413,
            json!({"message": "Request Entity Too Large"}),
            bearer(),
        ),
        (
            "403 import",
            403,
            json!({"errors": [{"message": "Forbidden"}]}),
            api_key(),
        ),
        (
            "401 import",
            401,
            json!({"error": {"code": "UNAUTHORIZED", "message": "invalid token"}}),
            bearer(),
        ),
    ];
    for (label, status, body, auth) in cases {
        server.reset().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(status).set_body_json(body))
            .mount(server)
            .await;
        let error = client(server, auth)
            .import(&package, &entity(), None)
            .await
            .unwrap_err();
        errors.push((label.to_owned(), error));
    }
    server.reset().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404).set_body_string("Not Found"))
        .mount(server)
        .await;
    let error = client(server, bearer())
        .export_status("e-404")
        .await
        .unwrap_err();
    errors.push(("404 export status".to_owned(), error));
    server.reset().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({"error": "invalid_client", "error_description": "Invalid client credentials"}),
        ))
        .mount(server)
        .await;
    let error = client(server, client_credentials(&server.uri()))
        .import_jobs()
        .await
        .unwrap_err();
    errors.push(("400 token".to_owned(), error));
    errors
}

#[tokio::test]
async fn refusals_are_explained_with_the_server_message_and_a_hint() {
    let server = MockServer::start().await;
    let errors = refusal_errors(&server).await;
    let busy = &errors[0].1;
    assert!(busy.is_busy() && !busy.is_ambiguous());
    assert!(busy.request_id().is_some());

    let text: String = errors
        .iter()
        .map(|(label, e)| format!("{label}: {e}\n"))
        .collect();
    insta::with_settings!({filters => vec![
        (r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "[uuid]"),
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[port]"),
    ]}, {
        insta::assert_snapshot!(text);
    });
}

#[tokio::test]
async fn secrets_never_appear_in_errors_or_logs() {
    let (logs, _guard) = capture_logs();
    let server = MockServer::start().await;
    let mut errors: Vec<Error> = refusal_errors(&server)
        .await
        .into_iter()
        .map(|(_, e)| e)
        .collect();

    // Token endpoint down, and a transport failure with each kind of credentials.
    server.reset().await;
    let down_uri = closed_port_uri();
    for auth in [bearer(), api_key(), client_credentials(&down_uri)] {
        let client = Client::new(base(&down_uri), auth, fast_options(1)).unwrap();
        errors.push(client.import_status(JOB).await.unwrap_err());
    }
    let auths = format!(
        "{:?} {:?} {:?}",
        bearer(),
        api_key(),
        client_credentials(&down_uri)
    );

    let logs = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("sending"), "debug logs were captured");
    for error in &errors {
        let shown = format!("{error} {error:?}");
        for secret in [BEARER, API_KEY, CLIENT_SECRET] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }
    for secret in [BEARER, API_KEY, CLIENT_SECRET] {
        assert!(!logs.contains(secret), "{secret} in the logs");
        assert!(!auths.contains(secret), "{secret} in {auths}");
    }
}
