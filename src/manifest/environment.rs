//! A Spark environment (one tenant): its base URL, the tenant derived from it, and its credentials.
use secrecy::SecretString;
use url::Url;

use crate::tenant_url::TenantUrl;

use super::hosts::HostPolicy;
use super::secrets::{self, EnvLookup};

/// A validated environment: the URL passed the host policy and the credentials are resolved.
#[derive(Debug, Clone)]
pub struct Environment {
    /// The environment's name (a key of `environments`, or `cspark` for the SDK's variables).
    pub name: String,
    /// Base URL including the tenant, without a trailing slash: `https://excel.uat.us.coherent.global/acme`.
    pub url: Url,
    /// The tenant: the last segment of the URL's path.
    pub tenant: String,
    /// How requests are authorised.
    pub auth: Auth,
    /// Where its credentials come from, for a message that they were refused (variable names, never a
    /// value): `SPARK_PROD_TOKEN (the bearer token of environment prod in spark-promote.yaml)`.
    pub credentials: String,
}

/// [`Environment::credentials`]: the variables of its auth (`auth` says which kind), and where they are named.
pub(crate) fn credentials_text(
    auth: &Auth,
    variables: &[&str],
    environment: &str,
    file: &str,
) -> String {
    let what = match auth {
        Auth::Bearer(_) => "the bearer token",
        Auth::ApiKey(_) => "the API key",
        Auth::OAuth2 { .. } if variables.len() > 1 => "the client id and secret",
        Auth::OAuth2 { .. } => "the client secret",
    };
    format!(
        "{} ({what} of environment {environment} in {file})",
        variables.join(" and ")
    )
}

/// Credentials for an environment. `Debug` shows no credential, not even the client id (which the manifest may
/// take from a variable and the logs then mask).
#[derive(Clone)]
pub enum Auth {
    /// `Authorization: Bearer {token}`.
    Bearer(SecretString),
    /// `x-synthetic-key: {key}` (with `x-tenant-name`).
    ApiKey(SecretString),
    /// OAuth2 client credentials, exchanged for a bearer token at `token_url`.
    OAuth2 {
        /// The client id (not secret; masked anyway when the manifest takes it from a variable).
        client_id: String,
        /// The client secret.
        client_secret: SecretString,
        /// The token endpoint (given, or derived from the environment URL as Spark does).
        token_url: Url,
    },
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::Bearer(token) => f.debug_tuple("Bearer").field(token).finish(),
            Auth::ApiKey(key) => f.debug_tuple("ApiKey").field(key).finish(),
            Auth::OAuth2 {
                client_secret,
                token_url,
                ..
            } => f
                .debug_struct("OAuth2")
                .field("client_id", &"[REDACTED]")
                .field("client_secret", client_secret)
                .field("token_url", &token_url.as_str())
                .finish(),
        }
    }
}

impl Auth {
    /// The secrets these credentials hold, for masking.
    pub fn secrets(&self) -> Vec<&SecretString> {
        match self {
            Auth::Bearer(secret) | Auth::ApiKey(secret) => vec![secret],
            Auth::OAuth2 { client_secret, .. } => vec![client_secret],
        }
    }

    /// `bearer`, `api_key` or `oauth2`, as in the manifest.
    pub fn kind(&self) -> &'static str {
        match self {
            Auth::Bearer(_) => "bearer",
            Auth::ApiKey(_) => "api_key",
            Auth::OAuth2 { .. } => "oauth2",
        }
    }
}

/// Parses an environment URL (the one rule, `crate::tenant_url`). Returns the URL without a trailing slash and
/// its parts. The host policy is checked separately.
pub(crate) fn parse_url(text: &str) -> Result<TenantUrl, String> {
    let url = Url::parse(text).map_err(|e| format!("invalid url: {e}"))?;
    let parsed = TenantUrl::parse(&url).map_err(|e| e.to_string())?;
    refuse_api_path(&parsed)?;
    Ok(parsed)
}

/// A URL copied from an API call (`…/bank-prod/api/v3`) would make `v3` the tenant: refused, with the URL
/// that was meant (everything before `api`).
fn refuse_api_path(url: &TenantUrl) -> Result<(), String> {
    let segments: Vec<&str> = url.base.path_segments().into_iter().flatten().collect();
    let Some(at) = segments
        .iter()
        .position(|segment| segment.eq_ignore_ascii_case("api"))
    else {
        return Ok(());
    };
    let mut meant = url.base.clone();
    meant.set_path(&segments[..at].join("/"));
    let meant = meant.as_str().trim_end_matches('/').to_owned();
    let api = segments[at..].join("/");
    Err(if at == 0 {
        format!(
            "url ends in the API's path `{api}`, not a tenant: write the base URL with the tenant last \
             ({meant}/TENANT)"
        )
    } else {
        format!(
            "url ends in the API's path `{api}`, which would make `{}` the tenant: write the base URL with \
             the tenant last ({meant})",
            url.tenant
        )
    })
}

/// Why the SDK's `CSPARK_*` variables do not make an environment; never holds a secret's value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SdkVarsError(String);

/// The environment described by the official Spark SDK's variables (for `status`, `cancel` and `export`
/// without a manifest), named `cspark`: `CSPARK_BASE_URL` and exactly one kind of credentials,
/// `CSPARK_BEARER_TOKEN`, `CSPARK_API_KEY`, or `CSPARK_CLIENT_ID` with `CSPARK_CLIENT_SECRET`.
/// `CSPARK_OAUTH_PATH` (a JSON file of client credentials) is not supported. The URL passes `hosts`.
pub fn environment_from_sdk_vars(
    env: EnvLookup<'_>,
    hosts: &HostPolicy,
) -> Result<Environment, SdkVarsError> {
    let fail = |message: String| SdkVarsError(message);
    let set = |name: &str| env(name).filter(|value| !value.is_empty()).is_some();
    let secret = |name: &str| secrets::resolve(name, env).map_err(fail);

    let base_url = env("CSPARK_BASE_URL")
        .filter(|value| !value.is_empty())
        .ok_or_else(|| {
            fail("CSPARK_BASE_URL is not set (the Spark base url with the tenant)".into())
        })?;
    let parts = parse_url(&base_url).map_err(|e| fail(format!("CSPARK_BASE_URL: {e}")))?;
    let url = parts.base.clone();
    hosts
        .check(&url)
        .map_err(|e| fail(format!("CSPARK_BASE_URL: {e}")))?;

    let given: Vec<&str> = [
        "CSPARK_BEARER_TOKEN",
        "CSPARK_API_KEY",
        "CSPARK_CLIENT_SECRET",
    ]
    .into_iter()
    .filter(|name| set(name))
    .collect();
    let auth = match given.as_slice() {
        ["CSPARK_BEARER_TOKEN"] => Auth::Bearer(secret("CSPARK_BEARER_TOKEN")?),
        ["CSPARK_API_KEY"] => Auth::ApiKey(secret("CSPARK_API_KEY")?),
        ["CSPARK_CLIENT_SECRET"] => {
            let client_id = env("CSPARK_CLIENT_ID")
                .filter(|value| !value.is_empty())
                .ok_or_else(|| {
                    fail("CSPARK_CLIENT_SECRET is set but CSPARK_CLIENT_ID is not".into())
                })?;
            let token_url = parts
                .token_url()
                .map_err(|e| fail(format!("CSPARK_BASE_URL: {e}")))?;
            hosts
                .check(&token_url)
                .map_err(|e| fail(format!("oauth2 token url: {e}")))?;
            Auth::OAuth2 {
                client_id,
                client_secret: secret("CSPARK_CLIENT_SECRET")?,
                token_url,
            }
        }
        [] if set("CSPARK_OAUTH_PATH") => {
            return Err(fail(
                "CSPARK_OAUTH_PATH is not supported; set CSPARK_CLIENT_ID and CSPARK_CLIENT_SECRET instead".into(),
            ));
        }
        [] => {
            return Err(fail(
                "no Spark credentials: set one of CSPARK_BEARER_TOKEN, CSPARK_API_KEY, or CSPARK_CLIENT_ID \
                 with CSPARK_CLIENT_SECRET"
                    .into(),
            ));
        }
        several => {
            return Err(fail(format!(
                "several Spark credentials are set ({}); set only one kind",
                several.join(", ")
            )));
        }
    };
    let variables: &[&str] = match &auth {
        Auth::Bearer(_) => &["CSPARK_BEARER_TOKEN"],
        Auth::ApiKey(_) => &["CSPARK_API_KEY"],
        Auth::OAuth2 { .. } => &["CSPARK_CLIENT_ID", "CSPARK_CLIENT_SECRET"],
    };
    Ok(Environment {
        name: "cspark".into(),
        url,
        tenant: parts.tenant,
        credentials: format!("{} (the Spark SDK's variables)", variables.join(" and ")),
        auth,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use secrecy::ExposeSecret;

    use super::*;

    fn sdk(vars: &[(&str, &str)]) -> Result<Environment, SdkVarsError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        environment_from_sdk_vars(&|name| vars.get(name).cloned(), &HostPolicy::default())
    }

    #[test]
    fn sdk_vars_make_a_cspark_environment() {
        let env = sdk(&[
            (
                "CSPARK_BASE_URL",
                "https://excel.uat.us.coherent.global/acme",
            ),
            ("CSPARK_CLIENT_ID", "ci"),
            ("CSPARK_CLIENT_SECRET", "s3cret"),
        ])
        .unwrap();
        assert_eq!((env.name.as_str(), env.tenant.as_str()), ("cspark", "acme"));
        let Auth::OAuth2 {
            client_id,
            client_secret,
            token_url,
        } = &env.auth
        else {
            panic!("expected oauth2, got {:?}", env.auth);
        };
        assert_eq!(
            (client_id.as_str(), client_secret.expose_secret()),
            ("ci", "s3cret")
        );
        assert_eq!(
            token_url.host_str(),
            Some("keycloak.uat.us.coherent.global")
        );

        let env = sdk(&[
            ("CSPARK_BASE_URL", "http://localhost:8080/acme"),
            ("CSPARK_API_KEY", "k"),
        ])
        .unwrap();
        assert_eq!(env.auth.kind(), "api_key");
    }

    #[test]
    fn sdk_vars_errors_name_variables_and_never_values() {
        let base = (
            "CSPARK_BASE_URL",
            "https://excel.uat.us.coherent.global/acme",
        );
        let cases: [(&[(&str, &str)], &str); 5] = [
            (&[], "CSPARK_BASE_URL is not set"),
            (&[base], "no Spark credentials"),
            (
                &[
                    base,
                    ("CSPARK_BEARER_TOKEN", "tok-1"),
                    ("CSPARK_API_KEY", "tok-2"),
                ],
                "CSPARK_BEARER_TOKEN, CSPARK_API_KEY",
            ),
            (
                &[base, ("CSPARK_CLIENT_SECRET", "tok-3")],
                "CSPARK_CLIENT_ID is not",
            ),
            (
                &[
                    ("CSPARK_BASE_URL", "http://spark.example.com/acme"),
                    ("CSPARK_BEARER_TOKEN", "tok-4"),
                ],
                "plain http",
            ),
        ];
        for (vars, expected) in cases {
            let message = sdk(vars).unwrap_err().to_string();
            assert!(message.contains(expected), "{message}");
            assert!(!message.contains("tok-"), "{message}");
        }
    }
}
