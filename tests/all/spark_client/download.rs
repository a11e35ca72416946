//! Downloads of pre-signed URLs: no credentials, checksummed, atomic.
use super::*;

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
