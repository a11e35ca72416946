//! Finding the sticky comment: the token user's login, then the first of their comments that holds
//! the marker.
use serde::Deserialize;

use super::Marker;
use crate::github::api::{ApiError, Client};

/// The login of the `GITHUB_TOKEN`'s comments; an installation token cannot read `GET /user`.
pub const ACTIONS_BOT: &str = "github-actions[bot]";

#[derive(Debug, Deserialize)]
pub(super) struct Comment {
    pub(super) id: u64,
    pub(super) body: Option<String>,
    pub(super) html_url: String,
    user: Option<User>,
}

#[derive(Debug, Deserialize)]
struct User {
    login: String,
}

/// The login of the token's user; for the `GITHUB_TOKEN` (an installation token, refused `GET /user`
/// with 403) it is [`ACTIONS_BOT`].
pub(super) async fn token_login(client: &Client) -> Result<String, ApiError> {
    match client.get::<User>("/user").await {
        Ok(user) => Ok(user.login),
        Err(err) if err.is_refused() => {
            tracing::debug!(%err, "GET /user refused: an installation token, comments are by {ACTIONS_BOT}");
            Ok(ACTIONS_BOT.to_string())
        }
        Err(err) => Err(err),
    }
}

/// The first comment by `login` that holds `marker`, looking through all pages until one is found.
pub(super) async fn find(
    client: &Client,
    repo: &str,
    number: u64,
    login: &str,
    marker: &Marker,
) -> Result<Option<Comment>, ApiError> {
    let path = format!("{repo}/issues/{number}/comments");
    client
        .find_in_pages(&path, |comment: &Comment| {
            comment
                .user
                .as_ref()
                .is_some_and(|user| user.login == login)
                && comment
                    .body
                    .as_deref()
                    .is_some_and(|body| marker.is_in(body))
        })
        .await
}
