//! An environment as written to a checked [`Environment`]: its name, URL (through the host policy), `auth`
//! and token URL, and its `${VAR}` secrets resolved when it is in scope.
use super::*;

impl Checker<'_> {
    pub(super) fn environment(
        &mut self,
        name: Spanned<String>,
        raw: RawEnvironment,
    ) -> Option<Environment> {
        let name_ok = self
            .check(name.referenced, check_name("environment", &name.value))
            .is_some();
        let url = self.check(raw.url.referenced, environment::parse_url(&raw.url.value));
        // A refused URL is reported once, not again through the token URL derived from it.
        let url = url.and_then(|parts| {
            let allowed = self.context.hosts.check(&parts.base).map(|()| parts);
            self.check(raw.url.referenced, allowed)
        });
        let variables: Vec<String> = raw.auth.value.variables().map(str::to_owned).collect();
        let auth = self.auth(raw.auth, url.as_ref());
        let TenantUrl {
            base: url, tenant, ..
        } = url?;
        let auth = auth?;
        let variables: Vec<&str> = variables.iter().map(String::as_str).collect();
        let credentials =
            environment::credentials_text(&auth, &variables, &name.value, self.context.file);
        name_ok.then_some(Environment {
            name: name.value,
            url,
            tenant,
            auth,
            credentials,
        })
    }

    fn auth(&mut self, raw: Spanned<RawAuth>, url: Option<&TenantUrl>) -> Option<Auth> {
        let RawAuth {
            bearer,
            api_key,
            oauth2,
        } = raw.value;
        match (bearer, api_key, oauth2) {
            (Some(token), None, None) => self.secret("bearer", &token).map(Auth::Bearer),
            (None, Some(key), None) => self.secret("api_key", &key).map(Auth::ApiKey),
            (None, None, Some(oauth2)) => {
                let client_id = self.client_id(&oauth2.client_id);
                let client_secret = self.secret("client_secret", &oauth2.client_secret);
                let token_url = match (&oauth2.token_url, url) {
                    (Some(given), _) => {
                        let parsed =
                            Url::parse(&given.value).map_err(|e| format!("invalid token_url: {e}"));
                        self.check(
                            given.referenced,
                            parsed.and_then(|u| self.token_url_allowed(u)),
                        )
                    }
                    (None, Some(url)) => {
                        let derived = url.token_url().map_err(|e| e.to_string());
                        let checked = derived.and_then(|u| self.token_url_allowed(u));
                        self.check(raw.referenced, checked)
                    }
                    (None, None) => None,
                };
                Some(Auth::OAuth2 {
                    client_id: client_id?,
                    client_secret: client_secret?,
                    token_url: token_url?,
                })
            }
            (bearer, api_key, oauth2) => {
                let given: Vec<&str> = [
                    bearer.is_some().then_some("bearer"),
                    api_key.is_some().then_some("api_key"),
                    oauth2.is_some().then_some("oauth2"),
                ]
                .into_iter()
                .flatten()
                .collect();
                let found = if given.is_empty() {
                    "none".to_owned()
                } else {
                    given.join(", ")
                };
                self.error(
                    raw.referenced,
                    format!(
                        "`auth` must have exactly one of: bearer, api_key, oauth2 (found: {found})"
                    ),
                );
                None
            }
        }
    }

    fn token_url_allowed(&self, url: Url) -> Result<Url, String> {
        self.context
            .hosts
            .check(&url)
            .map(|()| url)
            .map_err(|e| format!("oauth2 token url: {e}"))
    }

    /// A secret field: a `${VAR}` reference, resolved when there is an environment to resolve it in.
    fn secret(&mut self, field: &str, value: &Spanned<String>) -> Option<SecretString> {
        let Some(name) = secrets::reference(&value.value) else {
            self.error(value.referenced, secrets::field_error(field, &value.value));
            return None;
        };
        self.resolve(field, name, value.referenced)
    }

    fn resolve(&mut self, field: &str, name: &str, at: Location) -> Option<SecretString> {
        if !self.variables.iter().any(|known| known == name) {
            self.variables.push(name.to_owned());
        }
        let Some(env) = self.context.env.filter(|_| self.resolving) else {
            return Some(SecretString::from(String::new()));
        };
        let resolved =
            secrets::resolve(name, env).map_err(|e| format!("{e} (needed by `{field}`)"));
        self.check(at, resolved)
    }

    /// `client_id`: a literal, or a reference whose value is also masked.
    fn client_id(&mut self, value: &Spanned<String>) -> Option<String> {
        use secrecy::ExposeSecret;
        let text = value.value.as_str();
        if let Some(name) = secrets::reference(text) {
            let secret = self.resolve("client_id", name, value.referenced)?;
            let id = secret.expose_secret().to_owned();
            // Out of scope (or without an environment to resolve in) the id stays empty: nothing to mask.
            if !id.is_empty() {
                self.masked.push(secret);
            }
            return Some(id);
        }
        if secrets::looks_like_reference(text) {
            self.error(value.referenced, secrets::field_error("client_id", text));
            return None;
        }
        let checked = if text.trim().is_empty() {
            Err("`client_id` must not be empty".to_owned())
        } else {
            Ok(text.to_owned())
        };
        self.check(value.referenced, checked)
    }
}
