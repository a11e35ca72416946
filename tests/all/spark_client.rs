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

mod auth;
mod download;
mod errors;
mod import;
mod jobs;
mod reads;
mod retries;
mod spec;

fn fast_options(max_retries: u32) -> ClientOptions {
    ClientOptions {
        retry: RetryPolicy {
            max_retries,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            max_wait: Duration::from_secs(5),
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

/// A package of `len` bytes in a temporary directory (kept while the directory lives).
fn temp_package(len: usize) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pricing.zip");
    let mut file = std::fs::File::create(&path).unwrap();
    let block: Vec<u8> = (0..=255u8).cycle().take(1 << 16).collect();
    let mut left = len;
    while left > 0 {
        let n = left.min(block.len());
        file.write_all(&block[..n]).unwrap();
        left -= n;
    }
    (dir, path)
}

/// An import endpoint that creates the job.
async fn mount_import(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path(format!("/{TENANT}/api/v4/import")))
        .respond_with(ok_json(status_json("created")))
        .mount(server)
        .await;
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
