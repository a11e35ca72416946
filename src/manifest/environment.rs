//! A Spark environment (one tenant): its base URL, the tenant derived from it, and its credentials.
use secrecy::SecretString;
use url::Url;

use super::hosts::{HostPolicy, is_loopback};
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

/// Parses an environment URL: http(s), no query or fragment, the tenant as its last path segment. Returns the
/// URL without a trailing slash and the tenant. The host policy is checked separately.
pub(crate) fn parse_url(text: &str) -> Result<(Url, String), String> {
    let mut url = Url::parse(text).map_err(|e| format!("invalid url: {e}"))?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err("url must not have a query or fragment".into());
    }
    let tenant = url
        .path_segments()
        .and_then(|mut segments| segments.rfind(|segment| !segment.is_empty()))
        .map(str::to_owned)
        .ok_or_else(|| {
            format!(
                "url must end with the tenant, e.g. {}/my-tenant",
                text.trim_end_matches('/')
            )
        })?;
    let trimmed = url.path().trim_end_matches('/').to_owned();
    url.set_path(&trimmed);
    Ok((url, tenant))
}

/// The OAuth2 token endpoint Spark uses for an environment: the `excel.` host becomes `keycloak.`, the path is
/// `/auth/realms/{tenant}/protocol/openid-connect/token`. A loopback URL (the sandbox) keeps its host and port.
pub(crate) fn default_token_url(url: &Url, tenant: &str) -> Result<Url, String> {
    let mut token_url = url.clone();
    let is_local = url.host().is_some_and(|host| is_loopback(&host));
    if !is_local {
        let host = url.host_str().unwrap_or_default();
        let Some(rest) = host.strip_prefix("excel.") else {
            return Err(format!(
                "cannot derive the oauth2 token url from host {host} (it does not start with `excel.`); \
                 set `token_url`"
            ));
        };
        token_url
            .set_host(Some(&format!("keycloak.{rest}")))
            .map_err(|e| format!("cannot derive the oauth2 token url: {e}"))?;
    }
    token_url.set_path(&format!(
        "/auth/realms/{tenant}/protocol/openid-connect/token"
    ));
    Ok(token_url)
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
    let (url, tenant) = parse_url(&base_url).map_err(|e| fail(format!("CSPARK_BASE_URL: {e}")))?;
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
            let token_url = default_token_url(&url, &tenant)
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
    Ok(Environment {
        name: "cspark".into(),
        url,
        tenant,
        auth,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use secrecy::ExposeSecret;

    use super::*;

    fn url_and_tenant(text: &str) -> (String, String) {
        let (url, tenant) = parse_url(text).unwrap();
        (url.to_string(), tenant)
    }

    #[test]
    fn the_tenant_is_the_last_path_segment_and_trailing_slashes_go() {
        assert_eq!(
            url_and_tenant("https://excel.uat.us.coherent.global/acme-uat/"),
            (
                "https://excel.uat.us.coherent.global/acme-uat".into(),
                "acme-uat".into()
            )
        );
        assert_eq!(
            url_and_tenant("http://127.0.0.1:8080/acme").1,
            "acme".to_string()
        );
    }

    #[test]
    fn a_url_without_a_tenant_is_an_error_with_an_example() {
        let err = parse_url("https://excel.uat.us.coherent.global/").unwrap_err();
        assert_eq!(
            err,
            "url must end with the tenant, e.g. https://excel.uat.us.coherent.global/my-tenant"
        );
        assert!(parse_url("https://excel.uat.coherent.global/acme?x=1").is_err());
    }

    #[test]
    fn the_token_url_is_derived_as_spark_does() {
        let (url, tenant) = parse_url("https://excel.uat.us.coherent.global/acme").unwrap();
        assert_eq!(
            default_token_url(&url, &tenant).unwrap().as_str(),
            "https://keycloak.uat.us.coherent.global/auth/realms/acme/protocol/openid-connect/token"
        );
        let (url, tenant) = parse_url("http://127.0.0.1:8080/acme").unwrap();
        assert_eq!(
            default_token_url(&url, &tenant).unwrap().as_str(),
            "http://127.0.0.1:8080/auth/realms/acme/protocol/openid-connect/token"
        );
        let (url, tenant) = parse_url("https://spark.example.com/acme").unwrap();
        assert!(
            default_token_url(&url, &tenant)
                .unwrap_err()
                .contains("set `token_url`")
        );
    }

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
