//! The import route under hostile uploads: malformed multipart bodies, oversize bodies (declared, chunked,
//! or made of ignored parts), and many imports racing for one tenant. Every refusal is a JSON error, no job
//! is created, and no upload is left behind.
use std::path::Path;
use std::time::Duration;

use proptest::prelude::*;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::Value;

use super::parsers::config;
use super::{assert_only_sandbox_files, sandbox_in};
use crate::sandbox::Api;
use crate::support::sandbox::jobs;

/// POSTs a raw body to the import route of acme-prod.
async fn post_raw(
    api: &Api,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    api.http
        .post(api.url("/acme-prod/api/v4/import"))
        .bearer_auth("tok-acme-prod")
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// The status and the JSON error message of a refusal (panics if the body is not a JSON error).
async fn refusal(response: reqwest::Response) -> (StatusCode, String) {
    let status = response.status();
    let body: Value = response.json().await.expect("a JSON error body");
    assert_eq!(body["status"], status.as_u16(), "{body}");
    (status, body["message"].as_str().unwrap().to_owned())
}

fn uploads_are_empty(dir: &Path) -> bool {
    std::fs::read_dir(dir.join("uploads"))
        .unwrap()
        .next()
        .is_none()
}

const CT: &str = "multipart/form-data; boundary=xyz";

fn part(headers: &str, body: &str) -> String {
    format!("--xyz\r\n{headers}\r\n\r\n{body}\r\n")
}

#[tokio::test]
async fn malformed_multipart_bodies_get_400_naming_the_problem_and_create_no_job() {
    let dir = tempfile::tempdir().unwrap();
    let running = sandbox_in(dir.path(), 1 << 20).await;
    let api = Api::new(&running);
    let file = part(
        "Content-Disposition: form-data; name=\"file\"; filename=\"p.zip\"",
        "zip",
    );
    let entity = part(
        "Content-Disposition: form-data; name=\"importRequestEntity\"",
        "{}",
    );
    let cases: Vec<(&str, &str, String)> = vec![
        (
            "no boundary",
            "multipart/form-data",
            format!("{file}--xyz--\r\n"),
        ),
        ("not multipart", "application/json", "{}".into()),
        ("truncated body", CT, file[..file.len() - 4].to_owned()),
        ("no closing boundary", CT, file.clone()),
        ("garbage", CT, "\u{0}\u{1}garbage--xyz".into()),
        (
            "part without a name",
            CT,
            format!(
                "{}--xyz--\r\n",
                part("Content-Disposition: form-data; filename=\"p.zip\"", "zip")
            ),
        ),
        (
            "part without headers",
            CT,
            "--xyz\r\n\r\nzip\r\n--xyz--\r\n".to_owned(),
        ),
        ("two file parts", CT, format!("{file}{file}--xyz--\r\n")),
        (
            "two request entities",
            CT,
            format!("{file}{entity}{entity}--xyz--\r\n"),
        ),
    ];
    for (what, content_type, body) in cases {
        let (status, message) = refusal(post_raw(&api, content_type, body).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {message}");
        let expected = match what {
            "part without a name" => "'file'",
            "two file parts" => "'file' is given more than once",
            "two request entities" => "'importRequestEntity' is given more than once",
            _ => "multipart",
        };
        assert!(message.contains(expected), "{what}: {message}");
    }
    assert!(jobs(&running).await.is_empty());
    assert!(uploads_are_empty(dir.path()));
    assert_only_sandbox_files(dir.path());
}

#[tokio::test]
async fn oversize_bodies_get_413_with_or_without_content_length_and_leave_no_upload() {
    const LIMIT: u64 = 50_000;
    let dir = tempfile::tempdir().unwrap();
    let running = sandbox_in(dir.path(), LIMIT).await;
    let api = Api::new(&running);
    let chunks = |count: usize, size: usize| streamed(vec![vec![b'a'; size]; count]);
    let declared = api
        .import("acme-prod", "tok-acme-prod", vec![0; 4 << 20], None)
        .await;
    let file_part = Part::stream(chunks(100, 1_000)).file_name("p.zip");
    let chunked = api
        .import_form(
            "acme-prod",
            "tok-acme-prod",
            Form::new().part("file", file_part),
        )
        .await;
    // Parts the route ignores still count: an endless body of them is cut off, not read forever.
    let ignored: String = (0..2_000)
        .map(|i| {
            part(
                &format!("Content-Disposition: form-data; name=\"junk{i}\""),
                &"j".repeat(2_000),
            )
        })
        .collect();
    let flood = post_raw(&api, CT, streamed(vec![ignored.into_bytes()])).await;
    for response in [declared, chunked, flood] {
        let (status, message) = refusal(response).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{message}");
    }
    let huge_entity = Form::new()
        .part("importRequestEntity", Part::text("x".repeat(1_100_000)))
        .part("file", Part::bytes(b"zip".to_vec()));
    let (status, message) = refusal(
        api.import_form("acme-prod", "tok-acme-prod", huge_entity)
            .await,
    )
    .await;
    assert!(
        status.is_client_error() && message.contains("importRequestEntity"),
        "{status} {message}"
    );
    let huge_export = api
        .http
        .post(api.url("/acme-uat/api/v4/export"))
        .bearer_auth("tok-acme-uat")
        .body(vec![b' '; 3 << 20])
        .send()
        .await
        .unwrap();
    assert_eq!(refusal(huge_export).await.0, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(jobs(&running).await.is_empty());
    assert!(uploads_are_empty(dir.path()));
}

/// A body sent in chunks, without Content-Length.
fn streamed(chunks: Vec<Vec<u8>>) -> reqwest::Body {
    reqwest::Body::wrap_stream(futures_util::stream::iter(
        chunks.into_iter().map(Ok::<_, std::io::Error>),
    ))
}

#[tokio::test]
async fn parallel_imports_to_one_tenant_create_exactly_one_job_and_the_others_get_409() {
    const N: usize = 12;
    let dir = tempfile::tempdir().unwrap();
    let running = sandbox_in(dir.path(), 1 << 20).await;
    let api = Api::new(&running);
    let posts = (0..N).map(|i| {
        let api = &api;
        async move {
            let response = api
                .import("acme-prod", "tok-acme-prod", vec![i as u8; 100_000], None)
                .await;
            let status = response.status();
            (status, response.json::<Value>().await.unwrap())
        }
    });
    let answers = tokio::time::timeout(
        Duration::from_secs(20),
        futures_util::future::join_all(posts),
    )
    .await
    .expect("no deadlock: every POST is answered");
    let created: Vec<&Value> = answers
        .iter()
        .filter(|(s, _)| s.is_success())
        .map(|(_, body)| body)
        .collect();
    assert_eq!(created.len(), 1, "{answers:?}");
    for (status, body) in answers.iter().filter(|(s, _)| !s.is_success()) {
        assert_eq!(*status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["running_job"]["id"], created[0]["id"], "{body}");
    }
    assert_eq!(jobs(&running).await.len(), 1);
    let id = created[0]["id"].as_str().unwrap();
    api.wait("acme-prod", "tok-acme-prod", "import", id).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !uploads_are_empty(dir.path()) {
        assert!(std::time::Instant::now() < deadline, "uploads left behind");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A valid multipart body with the file part's bytes and framing open to mutation.
fn valid_body() -> Vec<u8> {
    let file = part(
        "Content-Disposition: form-data; name=\"file\"; filename=\"p.zip\"",
        "PK\u{3}\u{4}zip",
    );
    let entity = part(
        "Content-Disposition: form-data; name=\"importRequestEntity\"\r\nContent-Type: application/json",
        r#"{"services_existing":"replace"}"#,
    );
    format!("{entity}{file}--xyz--\r\n").into_bytes()
}

#[derive(Debug, Clone)]
enum Cut {
    Truncate(prop::sample::Index),
    Flip(prop::sample::Index, u8),
    Remove(prop::sample::Index, usize),
}

fn cut() -> impl Strategy<Value = Cut> {
    prop_oneof![
        any::<prop::sample::Index>().prop_map(Cut::Truncate),
        (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, b)| Cut::Flip(i, b)),
        (any::<prop::sample::Index>(), 1usize..12).prop_map(|(i, n)| Cut::Remove(i, n)),
    ]
}

fn apply(mut body: Vec<u8>, cuts: &[Cut]) -> Vec<u8> {
    for cut in cuts {
        if body.is_empty() {
            break;
        }
        match cut {
            Cut::Truncate(at) => body.truncate(at.index(body.len())),
            Cut::Flip(at, byte) => {
                let at = at.index(body.len());
                body[at] = *byte;
            }
            Cut::Remove(at, n) => {
                let at = at.index(body.len());
                body.drain(at..(at + n).min(body.len()));
            }
        }
    }
    body
}

#[test]
fn mutated_multipart_bodies_never_get_a_server_error() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let running = runtime.block_on(sandbox_in(dir.path(), 1 << 20));
    let api = Api::new(&running);
    proptest!(config(150), |(cuts in proptest::collection::vec(cut(), 1..4))| {
        let body = apply(valid_body(), &cuts);
        let (status, body) = runtime.block_on(async {
            let response = post_raw(&api, CT, body).await;
            let status = response.status();
            (status, response.json::<Value>().await)
        });
        let body = body.map_err(|e| TestCaseError::fail(format!("{status}: not JSON: {e}")))?;
        prop_assert!(
            [StatusCode::OK, StatusCode::BAD_REQUEST, StatusCode::CONFLICT].contains(&status),
            "{} {}", status, body
        );
    });
    runtime.block_on(async {
        for job in jobs(&running).await {
            let id = job["id"].as_str().unwrap();
            api.wait("acme-prod", "tok-acme-prod", "import", id).await;
        }
    });
    assert_only_sandbox_files(dir.path());
}
