//! Error messages as the user sees them, and secrets kept out of errors and logs.
use super::*;

/// Errors for each refusal the user is likely to meet, as they are displayed.
async fn refusal_errors(server: &MockServer) -> Vec<(String, Error)> {
    let (_dir, package) = temp_package(10);
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
    let auths: String = [bearer(), api_key(), client_credentials(&down_uri)]
        .into_iter()
        .map(|auth| {
            let client = Client::new(base(&down_uri), auth.clone(), fast_options(1)).unwrap();
            format!("{auth:?} {client:?}\n")
        })
        .collect();
    assert!(auths.contains("[REDACTED]"), "{auths}");

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
