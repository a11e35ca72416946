//! The one rule for a Spark environment URL and the OAuth2 token URL derived from it, used by the manifest
//! (`manifest/environment.rs`) and the client (`spark/client.rs`).
//!
//! An environment URL is `{root}/{tenant}`: http(s), no user name or password, no query or fragment, the
//! tenant as its last non-empty path segment. It is kept without a trailing slash.
//!
//! The token URL, when none is given, is `{root}/auth/realms/{tenant}/protocol/openid-connect/token` on the
//! Keycloak host next to Spark's: an `excel.` host becomes `keycloak.` (as Spark and its SDKs derive it).
//! Any other host keeps its own host, port and root path. That is where the sandbox serves its token
//! endpoint, wherever it runs (loopback, or a docker bridge address a docker action reaches), and it sends
//! the client secret to no host the environment URL does not already trust: which hosts may receive
//! credentials is the host policy's decision (`manifest/hosts.rs`), and it checks the token URL as well.
//! An error here would only refuse hosts the policy already allows.
use url::Url;

/// An environment URL split into its parts: `{root}/{tenant}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantUrl {
    /// The URL, normalized: no trailing slash or empty path segments.
    pub base: Url,
    /// The URL without the tenant segment (where the v1 APIs and the token endpoint live).
    pub root: Url,
    /// The tenant: the last path segment.
    pub tenant: String,
}

/// Why a URL is not an environment URL; the text reads after the URL's name (`url must …`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TenantUrlError {
    #[error("url must be http or https, not `{0}`")]
    Scheme(String),
    #[error("url must not contain a user name or password; put credentials in `auth`")]
    Credentials,
    #[error("url must not have a query or fragment")]
    QueryOrFragment,
    #[error("url must end with the tenant, e.g. {0}/my-tenant")]
    NoTenant(String),
    #[error("cannot derive the oauth2 token url from host {0}; set `token_url`")]
    TokenHost(String),
}

impl TenantUrl {
    /// Splits an environment URL (see the module documentation).
    pub fn parse(url: &Url) -> Result<Self, TenantUrlError> {
        if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
            return Err(TenantUrlError::Scheme(url.scheme().to_owned()));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(TenantUrlError::Credentials);
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(TenantUrlError::QueryOrFragment);
        }
        let segments: Vec<&str> = url
            .path_segments()
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect();
        let Some((tenant, parents)) = segments.split_last() else {
            return Err(TenantUrlError::NoTenant(
                url.as_str().trim_end_matches('/').to_owned(),
            ));
        };
        let mut base = url.clone();
        base.set_path(&segments.join("/"));
        let mut root = base.clone();
        root.set_path(&parents.join("/"));
        Ok(Self {
            base,
            root,
            tenant: (*tenant).to_owned(),
        })
    }

    /// The OAuth2 token endpoint when none is given (see the module documentation).
    pub fn token_url(&self) -> Result<Url, TenantUrlError> {
        let mut url = self.root.clone();
        if let Some(rest) = url.host_str().and_then(|h| h.strip_prefix("excel.")) {
            let host = format!("keycloak.{rest}");
            url.set_host(Some(&host))
                .map_err(|_| TenantUrlError::TokenHost(host))?;
        }
        url.path_segments_mut()
            .expect("http(s) URLs are checked to be a base in TenantUrl::parse")
            .pop_if_empty()
            .extend([
                "auth",
                "realms",
                &self.tenant,
                "protocol",
                "openid-connect",
                "token",
            ]);
        Ok(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<TenantUrl, TenantUrlError> {
        TenantUrl::parse(&Url::parse(text).unwrap())
    }

    #[test]
    fn the_tenant_is_the_last_path_segment_and_trailing_slashes_go() {
        let parts = parse("https://excel.uat.us.coherent.global/acme-uat/").unwrap();
        assert_eq!(parts.tenant, "acme-uat");
        assert_eq!(
            parts.base.as_str(),
            "https://excel.uat.us.coherent.global/acme-uat"
        );
        assert_eq!(parts.root.as_str(), "https://excel.uat.us.coherent.global/");
        let parts = parse("http://127.0.0.1:9/proxy//acme").unwrap();
        assert_eq!(parts.base.as_str(), "http://127.0.0.1:9/proxy/acme");
        assert_eq!(parts.root.as_str(), "http://127.0.0.1:9/proxy");
    }

    #[test]
    fn a_url_that_is_not_an_environment_url_says_why() {
        assert_eq!(
            parse("https://excel.uat.us.coherent.global/")
                .unwrap_err()
                .to_string(),
            "url must end with the tenant, e.g. https://excel.uat.us.coherent.global/my-tenant"
        );
        assert_eq!(
            parse("https://excel.uat.coherent.global/acme?x=1").unwrap_err(),
            TenantUrlError::QueryOrFragment
        );
        assert_eq!(
            parse("https://excel.uat.coherent.global/acme#top").unwrap_err(),
            TenantUrlError::QueryOrFragment
        );
        assert_eq!(
            parse("https://user:pw@excel.uat.us.coherent.global/acme").unwrap_err(),
            TenantUrlError::Credentials
        );
        assert_eq!(
            parse("ftp://host/acme").unwrap_err(),
            TenantUrlError::Scheme("ftp".into())
        );
    }

    #[test]
    fn the_token_url_is_keycloak_next_to_excel_or_the_same_host() {
        let token = |text: &str| parse(text).unwrap().token_url().unwrap().to_string();
        assert_eq!(
            token("https://excel.uat.us.coherent.global/acme-uat"),
            "https://keycloak.uat.us.coherent.global/auth/realms/acme-uat/protocol/openid-connect/token"
        );
        assert_eq!(
            token("http://127.0.0.1:8080/acme/"),
            "http://127.0.0.1:8080/auth/realms/acme/protocol/openid-connect/token"
        );
        assert_eq!(
            token("http://172.17.0.1:8080/acme"),
            "http://172.17.0.1:8080/auth/realms/acme/protocol/openid-connect/token"
        );
        assert_eq!(
            token("https://spark.example.com/proxy/acme"),
            "https://spark.example.com/proxy/auth/realms/acme/protocol/openid-connect/token"
        );
    }
}
