//! Headers of each kind of credentials; the client-credentials token: cached, shared, refreshed on a 401.
use super::*;

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
