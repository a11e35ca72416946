//! Authorization: bearer tokens (seeded or issued), API keys (`x-synthetic-key` + `x-tenant-name`) and the
//! OAuth2 client-credentials token endpoint. Missing or unknown credentials are 401 (the Python SDK fetches
//! a token only after a 401); credentials of another tenant are 403.
use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use rand::Rng;
use serde_json::json;

use super::error::ApiError;
use super::state::{IssuedToken, SandboxState};

/// Who is calling: the tenant their credentials belong to and a user name for `created_by`.
#[derive(Debug, Clone)]
pub struct Caller {
    pub tenant: String,
    pub user: String,
    /// The feature permissions of an API key the seed restricts (`api_key_permissions`); `None` is all.
    pub permissions: Option<Vec<String>>,
}

impl Caller {
    /// The one permission guard of the sandbox's routes: refuses (403) a restricted API key that holds
    /// none of `any_of` (the first is the one named), as Spark's API-key feature permissions do. An
    /// import-only key (`Spark.Imports.json` alone) is refused catalog reads and exports this way.
    pub fn require(&self, any_of: &[&str], what: &str) -> Result<(), ApiError> {
        if any_of.iter().any(|permission| self.may(permission)) {
            return Ok(());
        }
        let (first, rest) = any_of.split_first().expect("a guard names a permission");
        let others = match rest {
            [] => String::new(),
            rest => format!(" (or {})", rest.join(", ")),
        };
        Err(ApiError::forbidden(format!(
            "this API key lacks the feature permission {first}{others} that {what} needs"
        )))
    }

    /// Whether the caller holds a feature permission.
    pub fn may(&self, permission: &str) -> bool {
        self.permissions
            .as_ref()
            .is_none_or(|granted| granted.iter().any(|p| p == permission))
    }
}

/// The header naming the tenant on v1 routes (and sent with API keys).
pub const TENANT_HEADER: &str = "x-tenant-name";
const API_KEY_HEADER: &str = "x-synthetic-key";

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// Checks the request's credentials and that they belong to `tenant`.
pub fn authenticate(
    state: &SandboxState,
    headers: &HeaderMap,
    tenant: &str,
) -> Result<Caller, ApiError> {
    same_tenant(identify(state, headers)?, tenant)
}

fn same_tenant(caller: Caller, tenant: &str) -> Result<Caller, ApiError> {
    if caller.tenant != tenant {
        return Err(ApiError::forbidden(format!(
            "these credentials belong to tenant '{}', not to tenant '{tenant}'",
            caller.tenant
        )));
    }
    Ok(caller)
}

/// Checks the credentials of a v1 route, whose tenant is in `x-tenant-name`.
pub fn authenticate_v1(state: &SandboxState, headers: &HeaderMap) -> Result<Caller, ApiError> {
    let caller = identify(state, headers)?;
    let tenant = header(headers, TENANT_HEADER).ok_or_else(|| {
        ApiError::bad_request(format!(
            "the {TENANT_HEADER} header is required on v1 routes"
        ))
    })?;
    same_tenant(caller, tenant)
}

fn identify(state: &SandboxState, headers: &HeaderMap) -> Result<Caller, ApiError> {
    if let Some(value) = header(headers, "authorization") {
        let token = value
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .ok_or_else(|| {
                ApiError::unauthorized("the Authorization header must be 'Bearer {token}'")
            })?;
        return bearer(state, token);
    }
    if let Some(key) = header(headers, API_KEY_HEADER) {
        let tenant = state
            .seed()
            .tenants
            .iter()
            .find(|t| t.api_keys.iter().any(|k| k == key))
            .ok_or_else(|| ApiError::unauthorized("unknown API key"))?;
        return Ok(Caller {
            tenant: tenant.name.clone(),
            user: format!("api-key@{}", tenant.name),
            permissions: tenant.api_key_permissions.get(key).cloned(),
        });
    }
    Err(ApiError::unauthorized(
        "missing credentials: send Authorization: Bearer {token} or x-synthetic-key",
    ))
}

fn bearer(state: &SandboxState, token: &str) -> Result<Caller, ApiError> {
    if let Some(tenant) = state
        .seed()
        .tenants
        .iter()
        .find(|t| t.bearer_tokens.iter().any(|b| b == token))
    {
        return Ok(Caller {
            tenant: tenant.name.clone(),
            user: format!("user@{}", tenant.name),
            permissions: None,
        });
    }
    let (issued, now) = {
        let inner = state.lock();
        (inner.tokens.get(token).cloned(), inner.clock.instant())
    };
    match issued {
        Some(issued) if issued.expires > now => Ok(Caller {
            tenant: issued.tenant,
            user: format!("service-account-{}", issued.client_id),
            permissions: None,
        }),
        Some(_) => Err(ApiError::unauthorized("the access token has expired")),
        None => Err(ApiError::unauthorized("unknown bearer token")),
    }
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

/// `POST /auth/realms/{tenant}/protocol/openid-connect/token` (form: grant_type=client_credentials,
/// client_id, client_secret), answering like Keycloak.
pub async fn token(
    State(state): State<SandboxState>,
    Path(tenant): Path<String>,
    body: String,
) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let Some(realm) = state.seed().tenants.iter().find(|t| t.name == tenant) else {
        return oauth_error(
            StatusCode::NOT_FOUND,
            "realm_not_found",
            &format!("realm '{tenant}' does not exist"),
        );
    };
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant_type must be client_credentials",
        );
    }
    let (Some(id), Some(secret)) = (form.get("client_id"), form.get("client_secret")) else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client_id and client_secret are required",
        );
    };
    if !realm
        .clients
        .iter()
        .any(|c| &c.id == id && &c.secret == secret)
    {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "invalid client credentials",
        );
    }
    let lifetime = state.settings().token_lifetime;
    let access_token = hex::encode(rand::rng().random::<[u8; 24]>());
    let mut inner = state.lock();
    let expires = inner.clock.instant() + lifetime;
    inner.tokens.insert(
        access_token.clone(),
        IssuedToken {
            tenant: tenant.clone(),
            client_id: id.clone(),
            expires,
        },
    );
    drop(inner);
    Json(json!({
        "access_token": access_token,
        "expires_in": lifetime.as_secs(),
        "refresh_expires_in": 0,
        "token_type": "Bearer",
        "not-before-policy": 0,
        "scope": "profile email",
    }))
    .into_response()
}
