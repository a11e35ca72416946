//! From the manifest as written to a checked [`Manifest`]: every semantic problem is collected, each at the
//! location of the offending value.
//!
//! Rules beyond the schema (each documented where the user sees it, in the JSON Schema descriptions):
//! - `version` is 1.
//! - Environment and promotion names are non-empty `[A-Za-z0-9._-]+`; promotion names are unique.
//! - `url` is an http(s) URL whose last path segment is the tenant, accepted by the [`HostPolicy`]; so is
//!   `token_url` (given or derived).
//! - `auth` has exactly one of `bearer`, `api_key`, `oauth2`; secret fields are exactly one `${VAR}` reference to
//!   a set, non-empty variable; `client_id` may be a literal or a reference (whose value is then masked too).
//! - `from` has exactly one of `environment` or `package`. An environment source names a known environment and
//!   at least one non-empty list among `services`, `folders`, `version_ids`; a package source has none of those
//!   nor `version_filter`, and its path is relative (to the manifest's directory).
//! - `to` names a known environment. It may equal `from.environment`: a copy within one tenant (to other names
//!   through `services:`) is legitimate.
//! - `services:` entries are `folder/service` on both sides, each source at most once.
//! - `source_system` and `correlation_id`, when given, are non-empty single-line texts of at most 255 characters.
//! - There is no per-promotion `wait_timeout` (the command's `--wait-timeout` applies to all), and no top-level
//!   key besides `version`, `environments`, `promotions`; anchors and `<<` merge keys may share settings between
//!   promotions.
//! - `verify:`, `after:` and `xcalls:`: see `verify`.
//! - Package files are not opened here: whether they exist and are ZIPs is checked where they are used.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde_saphyr::{Location, Spanned};
use url::Url;

use super::Manifest;
use super::diagnostic::{Diagnostic, ManifestError};
use super::environment::{self, Auth, Environment};
use super::hosts::HostPolicy;
use super::promotion::{Promotion, ServiceMapping, ServicesExisting, Source};
use super::raw::{
    RawAuth, RawEnvironment, RawManifest, RawPromotion, RawServiceMapping, RawSource,
};
use super::scope::{Scope, Use, Uses};
use super::secrets::{self, EnvLookup};
use super::verify::{Problem, RawBehaviour, after_cycle, check_behaviour};
use crate::tenant_url::TenantUrl;

/// The only manifest format version.
const VERSION: u32 = 1;
/// Longest `source_system` or `correlation_id`.
const MAX_TAG_CHARS: usize = 255;

/// What validation needs besides the manifest.
pub(crate) struct Context<'a> {
    /// The file name used in diagnostics.
    pub file: &'a str,
    /// The directory package paths are relative to.
    pub base_dir: &'a Path,
    /// Where `${VAR}` references are resolved; `None` checks their form only (secrets then stay empty).
    pub env: Option<EnvLookup<'a>>,
    /// Where credentials may go.
    pub hosts: &'a HostPolicy,
    /// The environments whose secrets are resolved (the others are checked, not resolved, and left out).
    pub scope: &'a Scope,
}

/// Validates the manifest as written, reporting every problem.
pub(crate) fn validate(
    raw: RawManifest,
    path: PathBuf,
    context: &Context<'_>,
) -> Result<Manifest, ManifestError> {
    let mut checker = Checker {
        context,
        diagnostics: Vec::new(),
        masked: Vec::new(),
        variables: Vec::new(),
        resolving: true,
        promotion_names: raw
            .promotions
            .iter()
            .map(|p| p.value.name.value.clone())
            .collect(),
    };
    if raw.version.value != VERSION {
        checker.error(
            raw.version.referenced,
            format!(
                "unsupported manifest version {}, expected {VERSION}",
                raw.version.value
            ),
        );
    }
    let known: Vec<String> = raw
        .environments
        .0
        .iter()
        .map(|(name, _)| name.value.clone())
        .collect();
    let uses = uses(&raw);
    for message in context.scope.unknown(&uses) {
        checker
            .diagnostics
            .push(Diagnostic::whole_file(context.file, message));
    }
    let in_scope = context.scope.environments(&uses);
    let mut environments = BTreeMap::new();
    let mut urls = BTreeMap::new();
    for (name, raw_environment) in raw.environments.0 {
        checker.resolving = in_scope
            .as_ref()
            .is_none_or(|names| names.contains(&name.value));
        urls.insert(name.value.clone(), raw_environment.url.value.clone());
        let environment = checker.environment(name, raw_environment);
        if let Some(environment) = environment.filter(|_| checker.resolving) {
            environments.insert(environment.name.clone(), environment);
        }
    }
    checker.resolving = true;
    let mut promotions = Vec::new();
    let mut first_seen: BTreeMap<String, Location> = BTreeMap::new();
    for raw_promotion in raw.promotions {
        let name = &raw_promotion.value.name;
        if let Some(first) = first_seen.get(&name.value) {
            checker.error(
                name.referenced,
                format!(
                    "duplicate promotion name `{}` (first used at line {})",
                    name.value,
                    first.line()
                ),
            );
        } else {
            first_seen.insert(name.value.clone(), name.referenced);
        }
        if let Some(promotion) = checker.promotion(raw_promotion, &known) {
            promotions.push(promotion);
        }
    }
    let order: Vec<(String, Vec<String>)> = promotions
        .iter()
        .map(|p: &Promotion| (p.name.clone(), p.after.clone()))
        .collect();
    if let Some(cycle) = after_cycle(&order) {
        let message = format!("`after` makes a cycle: {}", cycle.join(" → "));
        match first_seen.get(&cycle[0]).copied() {
            Some(at) => checker.error(at, message),
            None => checker
                .diagnostics
                .push(Diagnostic::whole_file(context.file, message)),
        }
    }
    checker.finish(Manifest {
        path,
        environments,
        urls,
        promotions,
        masked_client_ids: Vec::new(),
        variables: Vec::new(),
    })
}

struct Checker<'a> {
    context: &'a Context<'a>,
    diagnostics: Vec<Diagnostic>,
    /// Client ids read from variables, masked like secrets.
    masked: Vec<SecretString>,
    /// Every variable referenced, in file order, without repeats.
    variables: Vec<String>,
    /// Whether the environment being checked is in scope: its references are then resolved.
    resolving: bool,
    /// Every promotion's name, for `after:`.
    promotion_names: Vec<String>,
}

/// The environment names and, per promotion, the environments it uses, as written.
fn uses(raw: &RawManifest) -> Uses<'_> {
    Uses {
        environments: raw
            .environments
            .0
            .iter()
            .map(|(name, _)| name.value.as_str())
            .collect(),
        promotions: raw
            .promotions
            .iter()
            .map(|promotion| {
                let promotion = &promotion.value;
                Use {
                    name: promotion.name.value.as_str(),
                    source: (promotion.from.value.environment.as_ref()).map(|e| e.value.as_str()),
                    target: promotion.to.value.as_str(),
                }
            })
            .collect(),
    }
}

impl Checker<'_> {
    fn error(&mut self, at: Location, message: impl Into<String>) {
        self.diagnostics
            .push(Diagnostic::at(self.context.file, at, message));
    }

    /// `Some(value)` when `check` accepts it, else a diagnostic at the value.
    fn check<T>(&mut self, at: Location, checked: Result<T, String>) -> Option<T> {
        checked.map_err(|message| self.error(at, message)).ok()
    }

    fn finish(mut self, mut manifest: Manifest) -> Result<Manifest, ManifestError> {
        if self.diagnostics.is_empty() {
            manifest.masked_client_ids = self.masked;
            manifest.variables = self.variables;
            return Ok(manifest);
        }
        self.diagnostics.sort_by_key(|d| (d.line, d.column));
        Err(ManifestError {
            diagnostics: self.diagnostics,
        })
    }

    fn environment(&mut self, name: Spanned<String>, raw: RawEnvironment) -> Option<Environment> {
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

    fn promotion(&mut self, raw: Spanned<RawPromotion>, known: &[String]) -> Option<Promotion> {
        let RawPromotion {
            name,
            from,
            to,
            services_existing,
            update_version_type,
            services,
            source_system,
            correlation_id,
            backup,
            verify,
            after,
            xcalls,
        } = raw.value;
        let name_ok = self
            .check(name.referenced, check_name("promotion", &name.value))
            .is_some();
        let backs_up = backup.unwrap_or(services_existing == ServicesExisting::Replace);
        let raw_behaviour = RawBehaviour {
            verify,
            after,
            xcalls,
        };
        let behaviour = check_behaviour(
            &name.value,
            &from.value,
            backs_up,
            raw_behaviour,
            self.context.base_dir,
            &self.promotion_names,
        );
        let behaviour = self.problems(behaviour);
        let source = self.source(from, known);
        let to_ok = self
            .check(to.referenced, known_environment(&to.value, known))
            .is_some();
        let services = self.service_mappings(services, source.as_ref());
        let source_system = self.tag("source_system", source_system);
        let correlation_id = self.tag("correlation_id", correlation_id);
        if !(name_ok && to_ok) {
            return None;
        }
        Some(Promotion {
            name: name.value,
            source: source?,
            to: to.value,
            services_existing,
            update_version_type,
            services: services?,
            source_system: source_system?,
            correlation_id: correlation_id?,
            backup,
            verify: behaviour.as_ref()?.verify.clone(),
            after: behaviour.as_ref()?.after.clone(),
            xcalls: behaviour?.xcalls,
        })
    }

    /// `Some(value)` when a check that may find several problems found none, else a diagnostic each.
    fn problems<T>(&mut self, checked: Result<T, Vec<Problem>>) -> Option<T> {
        checked
            .map_err(|problems| {
                for (at, message) in problems {
                    self.error(at, message);
                }
            })
            .ok()
    }

    fn source(&mut self, raw: Spanned<RawSource>, known: &[String]) -> Option<Source> {
        let at = raw.referenced;
        let RawSource {
            environment,
            services,
            folders,
            version_ids,
            version_filter,
            package,
        } = raw.value;
        match (environment, package) {
            (Some(_), Some(package)) => {
                self.error(
                    package.referenced,
                    "`from` must have exactly one of `environment` or `package`, not both",
                );
                None
            }
            (None, None) => {
                self.error(
                    at,
                    "`from` must have one of `environment` (export from an environment) or `package` (a package file)",
                );
                None
            }
            (None, Some(package)) => {
                let extras = [
                    services.map(|s| ("services", s.referenced)),
                    folders.map(|s| ("folders", s.referenced)),
                    version_ids.map(|s| ("version_ids", s.referenced)),
                    version_filter.map(|s| ("version_filter", s.referenced)),
                ];
                let mut ok = true;
                for (field, location) in extras.into_iter().flatten() {
                    ok = false;
                    self.error(
                        location,
                        format!("`{field}` applies only to `from.environment`, not to a package"),
                    );
                }
                let path = self.check(package.referenced, self.package_path(&package.value));
                Some(Source::Package {
                    path: path.filter(|_| ok)?,
                    display: package.value,
                })
            }
            (Some(environment), None) => {
                let environment_ok = self.check(
                    environment.referenced,
                    known_environment(&environment.value, known),
                );
                let services = self.list(services, check_export_service);
                let folders = self.list(folders, check_folder);
                let version_ids = self.list(version_ids, check_version_id);
                if services.is_empty() && folders.is_empty() && version_ids.is_empty() {
                    self.error(
                        at,
                        "an export needs at least one of `services`, `folders`, `version_ids` (none given)",
                    );
                    return None;
                }
                environment_ok?;
                Some(Source::Environment {
                    environment: environment.value,
                    services: services.into_iter().collect::<Option<_>>()?,
                    folders: folders.into_iter().collect::<Option<_>>()?,
                    version_ids: version_ids.into_iter().collect::<Option<_>>()?,
                    version_filter: version_filter.map(|f| f.value).unwrap_or_default(),
                })
            }
        }
    }

    /// Checks each entry of an optional list; `None` entries are the invalid ones.
    fn list(
        &mut self,
        list: Option<Spanned<Vec<Spanned<String>>>>,
        check: fn(&str) -> Result<(), String>,
    ) -> Vec<Option<String>> {
        let entries = list.map(|list| list.value).unwrap_or_default();
        entries
            .into_iter()
            .map(|entry| {
                let checked = check(entry.value.as_str()).map(|()| entry.value);
                self.check(entry.referenced, checked)
            })
            .collect()
    }

    fn package_path(&self, text: &str) -> Result<PathBuf, String> {
        let path = Path::new(text);
        if text.trim().is_empty() {
            return Err("`package` must not be empty".into());
        }
        if path.is_absolute() {
            return Err(format!(
                "package path `{text}` must be relative to the manifest's directory"
            ));
        }
        Ok(self.context.base_dir.join(path))
    }

    fn service_mappings(
        &mut self,
        raw: Vec<Spanned<RawServiceMapping>>,
        from: Option<&Source>,
    ) -> Option<Vec<ServiceMapping>> {
        let mut seen: BTreeMap<String, Location> = BTreeMap::new();
        let mut ok = true;
        let mut mappings = Vec::new();
        for entry in raw {
            let RawServiceMapping {
                source,
                destination,
                update_version_type,
            } = entry.value;
            let source_ok = self
                .check(source.referenced, check_folder_service(&source.value))
                .is_some();
            let destination_ok = destination.as_ref().is_none_or(|destination| {
                self.check(
                    destination.referenced,
                    check_folder_service(&destination.value),
                )
                .is_some()
            });
            if let Some(first) = seen.get(&source.value) {
                let message = format!(
                    "service `{}` is mapped twice (first at line {})",
                    source.value,
                    first.line()
                );
                self.error(source.referenced, message);
                ok = false;
            } else {
                seen.insert(source.value.clone(), source.referenced);
            }
            let offered = !source_ok
                || self
                    .check(source.referenced, offered_by(from, &source.value))
                    .is_some();
            ok &= source_ok && destination_ok && offered;
            mappings.push(ServiceMapping {
                destination: destination.map_or_else(|| source.value.clone(), |d| d.value),
                source: source.value,
                update_version_type,
            });
        }
        ok.then_some(mappings)
    }

    /// `source_system` or `correlation_id`: `Some(None)` when absent, `None` when invalid.
    fn tag(&mut self, field: &str, value: Option<Spanned<String>>) -> Option<Option<String>> {
        let Some(value) = value else {
            return Some(None);
        };
        let text = super::flow::restore(&value.value).into_owned();
        let checked = if text.trim().is_empty() {
            Err(format!("`{field}` must not be empty"))
        } else if text.chars().count() > MAX_TAG_CHARS || text.chars().any(char::is_control) {
            Err(format!(
                "`{field}` must be one line of at most {MAX_TAG_CHARS} characters"
            ))
        } else {
            Ok(Some(text))
        };
        self.check(value.referenced, checked)
    }
}

/// Environment and promotion names: `[A-Za-z0-9._-]+`.
fn check_name(what: &str, name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err(format!("{what} name must not be empty"));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(format!(
            "invalid {what} name `{}`: use letters, digits, `.`, `_` and `-` only",
            name.escape_debug()
        ));
    }
    Ok(())
}

fn known_environment(name: &str, known: &[String]) -> Result<(), String> {
    if known.iter().any(|k| k == name) {
        return Ok(());
    }
    let mut sorted = known.to_vec();
    sorted.sort();
    let expected = if sorted.is_empty() {
        "none is defined".to_owned()
    } else {
        format!("expected one of: {}", sorted.join(", "))
    };
    Err(format!(
        "unknown environment `{name}` ({expected} under `environments`)"
    ))
}

/// `folder/service`: two non-empty parts without surrounding spaces or brackets.
pub(super) fn check_folder_service(text: &str) -> Result<(), String> {
    let valid = text.split_once('/').is_some_and(|(folder, service)| {
        check_folder(folder).is_ok()
            && check_folder(service).is_ok()
            && !service.contains(['[', ']'])
    });
    if valid {
        Ok(())
    } else {
        Err(format!(
            "invalid service `{text}`, expected `folder/service`"
        ))
    }
}

/// An export's service: a service id, `folder/service` or `folder/service[version]`.
fn check_export_service(text: &str) -> Result<(), String> {
    if uuid::Uuid::try_parse(text).is_ok() {
        return Ok(());
    }
    let (uri, version) = match text.strip_suffix(']').and_then(|t| t.split_once('[')) {
        Some((uri, version)) => (uri, Some(version)),
        None => (text, None),
    };
    let version_ok = version.is_none_or(|v| {
        let parts: Vec<&str> = v.split('.').collect();
        parts.len() <= 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    });
    if version_ok && check_folder_service(uri).is_ok() {
        Ok(())
    } else {
        Err(format!(
            "invalid service `{text}`, expected `folder/service`, `folder/service[1.2.3]` or a service id"
        ))
    }
}

/// A folder (or service) name: non-empty, no `/`, no surrounding white space.
fn check_folder(text: &str) -> Result<(), String> {
    if text.is_empty()
        || text.contains('/')
        || text.trim() != text
        || text.chars().any(char::is_control)
    {
        Err(format!("invalid folder `{}`", text.escape_debug()))
    } else {
        Ok(())
    }
}

fn check_version_id(text: &str) -> Result<(), String> {
    uuid::Uuid::try_parse(text).map(|_| ()).map_err(|_| {
        format!(
            "invalid version id `{}`, expected a UUID",
            text.escape_debug()
        )
    })
}

/// Whether an export of `from` can hold the service `source` that `services:` maps (offline): an
/// environment source that names its services (by `folder/service`) and folders only exports those. A
/// package, version ids or services given by id cannot be told before the export.
fn offered_by(from: Option<&Source>, source: &str) -> Result<(), String> {
    let Some(Source::Environment {
        environment,
        services,
        folders,
        version_ids,
        ..
    }) = from
    else {
        return Ok(());
    };
    let named: Vec<&str> = services
        .iter()
        .map(|service| service.split('[').next().unwrap_or(service))
        .collect();
    if !version_ids.is_empty() || named.iter().any(|service| !service.contains('/')) {
        return Ok(());
    }
    let folder = source.split('/').next().unwrap_or_default();
    if named.contains(&source) || folders.iter().any(|f| f == folder) {
        return Ok(());
    }
    let mut offered: Vec<String> = named.iter().map(|s| format!("`{s}`")).collect();
    offered.extend(folders.iter().map(|f| format!("`{f}/*`")));
    Err(format!(
        "`{source}` is not exported from {environment} by this promotion's `from:` (it exports {}): add \
         it to `from.services`, or map one of those",
        offered.join(", ")
    ))
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_services_take_uris_versions_and_ids() {
        for ok in [
            "pricing/quote",
            "pricing/quote[1]",
            "pricing/quote[1.2]",
            "pricing/quote[1.2.3]",
            "3f1c5b9e-2a4d-4c6e-8f0a-1b2c3d4e5f60",
        ] {
            assert_eq!(check_export_service(ok), Ok(()), "{ok}");
        }
        for bad in [
            "pricing",
            "pricing/",
            "/quote",
            "a/b/c",
            "pricing/quote[x]",
            "pricing/quote[1.2.3.4]",
            " a/b",
        ] {
            assert!(check_export_service(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn mappings_take_plain_folder_service_only() {
        assert_eq!(check_folder_service("pricing/quote-v2"), Ok(()));
        assert!(check_folder_service("pricing/quote[1.0]").is_err());
    }

    #[test]
    fn names_are_restricted_to_a_safe_alphabet() {
        assert_eq!(check_name("promotion", "pricing-1.0_x"), Ok(()));
        assert!(check_name("promotion", "").is_err());
        assert!(check_name("promotion", "a b").is_err());
        assert!(check_name("promotion", "a/b").is_err());
    }
}
