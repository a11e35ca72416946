//! A hostile server of the tests' own on 127.0.0.1: each route answers as a broken or hostile server would
//! (floods, hangs, echoes the request, redirects, rewrites an answer), every request is recorded and every
//! body byte it sends is counted. Unknown routes get a JSON 404. Also: running the binary against it with
//! its peak memory and its time to exit measured.
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::stream;

use crate::support::bin::{Output, try_peak_rss_kb};

/// How one route answers.
#[derive(Clone, Debug)]
pub enum Act {
    /// A fixed JSON answer.
    Json(u16, String),
    /// `status` with an endless body of `x` (no declared length): stops only when the client hangs up.
    Flood(u16),
    /// `status` declaring a `Content-Length` of `length` and sending it.
    Declared(u16, u64),
    /// Reads the request and never answers.
    Hang,
    /// `status` with the request's headers and body as its text (a server echoing what it was sent).
    Echo(u16),
    /// A 302 to `location`.
    Redirect(String),
    /// A JSON answer with one more header (`Retry-After`, ...).
    Headed(u16, &'static str, String, String),
}

/// One request the server got.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

#[derive(Clone)]
struct Shared {
    routes: Arc<HashMap<String, Act>>,
    sent: Arc<AtomicU64>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

/// The server, listening until dropped.
pub struct Hostile {
    addr: SocketAddr,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Hostile {
    /// Serves `routes` (`"GET /acme/api/v4/export/j1/status"`: method and exact path; `"*"`: every other
    /// request) on 127.0.0.1:0.
    pub async fn start(routes: &[(&str, Act)]) -> Hostile {
        let shared = Shared {
            routes: Arc::new(
                routes
                    .iter()
                    .map(|(key, act)| ((*key).to_owned(), act.clone()))
                    .collect(),
            ),
            sent: Arc::default(),
            seen: Arc::default(),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = axum::Router::new()
            .fallback(answer)
            .with_state(shared.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Hostile { addr, shared, task }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Body bytes sent so far (what the kernel accepted: a client that stops reading stops it soon).
    pub fn sent(&self) -> u64 {
        self.shared.sent.load(Ordering::Relaxed)
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.shared.seen.lock().unwrap().clone()
    }
}

async fn answer(State(shared): State<Shared>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let key = format!("{} {}", parts.method, parts.uri.path());
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            (name.to_string(), value)
        })
        .collect();
    let body = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    shared.seen.lock().unwrap().push(Seen {
        method: parts.method.to_string(),
        path: parts.uri.to_string(),
        headers: headers.clone(),
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let Some(act) = shared.routes.get(&key).or(shared.routes.get("*")).cloned() else {
        return json(404, format!(r#"{{"error":"no route {key}"}}"#));
    };
    match act {
        Act::Json(status, text) => json(status, text),
        Act::Flood(status) => flood(status, None, shared.sent.clone()),
        Act::Declared(status, length) => flood(status, Some(length), shared.sent.clone()),
        Act::Hang => std::future::pending().await,
        Act::Echo(status) => {
            let mut text: String = headers
                .iter()
                .map(|(name, value)| format!("{name}: {value}\n"))
                .collect();
            text.push_str(&String::from_utf8_lossy(&body));
            shared.sent.fetch_add(text.len() as u64, Ordering::Relaxed);
            (code(status), text).into_response()
        }
        Act::Headed(status, name, value, text) => {
            let mut response = json(status, text);
            let value = HeaderValue::from_str(&value).unwrap();
            response.headers_mut().insert(name, value);
            response
        }
        Act::Redirect(location) => (
            StatusCode::FOUND,
            [(header::LOCATION, HeaderValue::from_str(&location).unwrap())],
        )
            .into_response(),
    }
}

fn code(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap()
}

fn json(status: u16, text: String) -> Response {
    (
        code(status),
        [(header::CONTENT_TYPE, "application/json")],
        text,
    )
        .into_response()
}

/// 64 KiB chunks of `x`, endless or up to `length`, each counted when handed to the connection.
fn flood(status: u16, length: Option<u64>, sent: Arc<AtomicU64>) -> Response {
    const CHUNK: usize = 64 * 1024;
    let chunk = Bytes::from(vec![b'x'; CHUNK]);
    let chunks = stream::unfold(0u64, move |done| {
        let (chunk, sent) = (chunk.clone(), sent.clone());
        async move {
            let size = match length {
                Some(length) if done >= length => return None,
                Some(length) => (length - done).min(CHUNK as u64) as usize,
                None => CHUNK,
            };
            sent.fetch_add(size as u64, Ordering::Relaxed);
            Some((
                Ok::<_, std::io::Error>(chunk.slice(..size)),
                done + size as u64,
            ))
        }
    });
    let mut response = Response::new(Body::from_stream(chunks));
    *response.status_mut() = code(status);
    if let Some(length) = length {
        response
            .headers_mut()
            .insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    }
    response
}

/// A finished run of the binary, measured.
pub struct Measured {
    pub output: Output,
    /// Peak resident memory (VmHWM), sampled while it ran.
    pub peak_kb: u64,
    /// From start to exit.
    pub took: Duration,
}

/// A run of the binary under way, its peak memory sampled.
pub struct Running {
    pub pid: u32,
    started: Instant,
    done: tokio::task::JoinHandle<std::io::Result<std::process::Output>>,
}

/// Starts `command` (its output piped).
pub fn start(mut command: tokio::process::Command) -> Running {
    let child = command.spawn().expect("binary runs");
    Running {
        pid: child.id().unwrap(),
        started: Instant::now(),
        done: tokio::spawn(child.wait_with_output()),
    }
}

/// Runs `command` to its end (at most `within`), measured.
pub async fn measure(command: tokio::process::Command, within: Duration) -> Measured {
    start(command).finish(within).await
}

impl Running {
    /// Waits for the end (at most `within` since the start), sampling the peak memory every 20 ms (VmHWM is
    /// a high-water mark: a sample holds every earlier peak).
    pub async fn finish(mut self, within: Duration) -> Measured {
        let mut peak_kb = 0;
        let output = loop {
            tokio::select! {
                output = &mut self.done => break output.unwrap().unwrap(),
                () = tokio::time::sleep(Duration::from_millis(20)) => {
                    peak_kb = try_peak_rss_kb(self.pid).unwrap_or(0).max(peak_kb);
                    if self.started.elapsed() > within {
                        kill(self.pid, "KILL");
                        panic!("still running after {within:?}");
                    }
                }
            }
        };
        Measured {
            output: output.into(),
            peak_kb,
            took: self.started.elapsed(),
        }
    }
}

/// Sends `signal` (`INT`, `TERM`) to the process `pid`.
pub fn kill(pid: u32, signal: &str) {
    let status = std::process::Command::new("kill")
        .args(["-s", signal, &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill -s {signal} {pid}");
}
