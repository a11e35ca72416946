//! Memory: the sandbox as a process stays small while it takes a large upload.
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};

use crate::support::bin::{peak_rss_kb, spawn_sandbox};

#[tokio::test]
#[allow(clippy::print_stderr)]
async fn a_200_mb_upload_completes_with_the_sandbox_under_64_mb_resident() {
    const SIZE: u64 = 200 << 20;
    let (mut child, root) =
        spawn_sandbox(&["--job-duration", "100ms", "--max-upload-mb", "256"]).await;
    let chunks = futures_util::stream::iter(
        (0..SIZE >> 20).map(|_| Ok::<_, std::io::Error>(vec![7u8; 1 << 20])),
    );
    let part =
        Part::stream_with_length(reqwest::Body::wrap_stream(chunks), SIZE).file_name("package.zip");
    let response = reqwest::Client::new()
        .post(format!("{root}/acme-prod/api/v4/import"))
        .bearer_auth("tok-acme-prod")
        .multipart(Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{}",
        response.text().await.unwrap()
    );
    let peak = peak_rss_kb(child.id().unwrap());
    eprintln!(
        "sandbox peak resident memory after a 200 MiB upload: {} kB ({:.1} MiB)",
        peak,
        peak as f64 / 1024.0
    );
    assert!(peak < 64 * 1024, "peak RSS {peak} kB");
    child.kill().await.unwrap();
}
