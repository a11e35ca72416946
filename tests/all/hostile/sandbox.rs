//! The sandbox as a server users run, over real sockets: its admin routes take JSON only and refuse CORS
//! preflights (a web page cannot arm a fault), its clock and fault values are bounded (no panic past year
//! 9999), and SIGTERM cleans up its temporary directory as Ctrl-C does.
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::server::kill;
use crate::support::bin::spawn_sandbox_with;
use crate::support::cli::Lab;

#[tokio::test(flavor = "multi_thread")]
async fn admin_routes_refuse_a_cross_site_form_and_a_cors_preflight() {
    let lab = Lab::start(Duration::from_millis(200)).await;
    let http = reqwest::Client::new();
    let faults = format!("{}/_sandbox/faults", lab.url());
    // What a web page can send without a preflight: a text/plain POST.
    let form = http
        .post(&faults)
        .header("content-type", "text/plain")
        .header("origin", "https://evil.example")
        .body(r#"{"route":"*","status":500,"count":100}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(form.status().as_u16(), 400);
    let body: Value = form.json().await.unwrap();
    assert!(body.to_string().contains("JSON bodies only"), "{body}");
    let preflight = http
        .request(reqwest::Method::OPTIONS, &faults)
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "DELETE")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status().as_u16(), 403);
    assert!(
        preflight
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    // Nothing was armed: the API answers.
    let jobs = lab
        .api_get("/acme-prod/api/v4/import/status", "tok-acme-prod")
        .await;
    assert!(jobs.is_object(), "{jobs}");
    // JSON is still taken.
    lab.fault(json!({"route": "import_status", "status": 503}))
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_clock_and_fault_values_are_bounded() {
    let lab = Lab::start(Duration::from_millis(200)).await;
    let http = reqwest::Client::new();
    let year = 366 * 24 * 3600;
    let mut refused_at = None;
    // 8,100 advances once pushed it past year 9999; a hundred years is the bound now.
    for advance in 1..=101 {
        let answer = http
            .post(format!("{}/_sandbox/clock", lab.url()))
            .json(&json!({ "advance_seconds": year }))
            .send()
            .await
            .unwrap();
        if answer.status().as_u16() == 400 {
            refused_at = Some(advance);
            break;
        }
        assert!(answer.status().is_success());
    }
    assert_eq!(refused_at, Some(101));
    let listing = lab
        .api_get("/acme-prod/api/v4/import/status", "tok-acme-prod")
        .await;
    assert!(listing.is_object(), "{listing}");
    for (key, value) in [
        ("stall_ms", json!(u64::MAX)),
        ("retry_after", json!(1u64 << 40)),
        ("count", json!(u64::MAX)),
    ] {
        let mut fault = json!({"route": "import_status", "status": 503});
        fault[key] = value;
        let answer = http
            .post(format!("{}/_sandbox/faults", lab.url()))
            .json(&fault)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), 400, "{key}");
        let text = answer.text().await.unwrap();
        assert!(
            text.contains(&format!("fault.{key}: expected a number from 0 to")),
            "{text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_removes_the_sandbox_temporary_directory_as_ctrl_c_does() {
    for signal in ["TERM", "INT"] {
        let tmp = tempfile::tempdir().unwrap();
        let (mut child, _root) = spawn_sandbox_with(&[], &[("TMPDIR", tmp.path())]).await;
        assert!(
            !super::tree(tmp.path()).is_empty(),
            "the sandbox keeps its state in TMPDIR"
        );
        let started = Instant::now();
        kill(child.id().unwrap(), signal);
        let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
            .await
            .expect("the sandbox stops")
            .unwrap();
        assert!(started.elapsed() < Duration::from_secs(10));
        assert!(
            status.success() || status.code().is_some(),
            "{signal}: {status:?}"
        );
        assert_eq!(super::tree(tmp.path()), Vec::<String>::new(), "{signal}");
    }
}

/// Open file descriptors of a process.
fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_connections_are_capped_and_closed_at_the_header_read_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (child, root) = spawn_sandbox_with(&[], &[]).await;
    let pid = child.id().unwrap();
    let addr = root.trim_start_matches("http://").to_owned();
    let before = open_fds(pid);
    // 300 clients that send the start of a request head and then nothing.
    let mut slow = Vec::new();
    for _ in 0..300 {
        let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
        stream
            .write_all(b"GET /_sandbox/jobs HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        slow.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let held = open_fds(pid) - before;
    assert!(
        held <= 256 + 8,
        "{held} descriptors held by 300 slow clients"
    );
    // The first one is closed once its head has taken too long (10 s), without an answer to its request.
    let started = Instant::now();
    let mut buffer = [0u8; 256];
    let read = tokio::time::timeout(Duration::from_secs(20), slow[0].read(&mut buffer))
        .await
        .expect("closed within 20 s");
    assert!(
        matches!(read, Ok(n) if n == 0 || buffer.starts_with(b"HTTP/1.1 408")),
        "{read:?}"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    // And the sandbox answers again.
    let answered = reqwest::Client::new()
        .get(format!("{root}/_sandbox/jobs"))
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .unwrap();
    assert!(answered.status().is_success());
    drop(child);
}
