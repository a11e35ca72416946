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

mod environments;
mod promotions;
mod services;

pub(super) use services::check_folder_service;

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
    let (environments, urls) = checker.environments(raw.environments, in_scope.as_ref());
    let promotions = checker.promotions(raw.promotions, &known);
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

    /// Every environment checked; those in scope (`None`: all) kept, with every environment's URL.
    fn environments(
        &mut self,
        raw: super::raw::Named<RawEnvironment>,
        in_scope: Option<&std::collections::BTreeSet<String>>,
    ) -> (BTreeMap<String, Environment>, BTreeMap<String, String>) {
        let mut environments = BTreeMap::new();
        let mut urls = BTreeMap::new();
        for (name, raw_environment) in raw.0 {
            self.resolving = in_scope.is_none_or(|names| names.contains(&name.value));
            urls.insert(name.value.clone(), raw_environment.url.value.clone());
            let environment = self.environment(name, raw_environment);
            if let Some(environment) = environment.filter(|_| self.resolving) {
                environments.insert(environment.name.clone(), environment);
            }
        }
        self.resolving = true;
        (environments, urls)
    }

    /// Every promotion checked (names unique), then their `after:` order (no cycle).
    fn promotions(&mut self, raw: Vec<Spanned<RawPromotion>>, known: &[String]) -> Vec<Promotion> {
        let mut promotions = Vec::new();
        let mut first_seen: BTreeMap<String, Location> = BTreeMap::new();
        for raw_promotion in raw {
            let name = &raw_promotion.value.name;
            if let Some(first) = first_seen.get(&name.value) {
                self.error(
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
            if let Some(promotion) = self.promotion(raw_promotion, known) {
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
                Some(at) => self.error(at, message),
                None => self
                    .diagnostics
                    .push(Diagnostic::whole_file(self.context.file, message)),
            }
        }
        promotions
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_restricted_to_a_safe_alphabet() {
        assert_eq!(check_name("promotion", "pricing-1.0_x"), Ok(()));
        assert!(check_name("promotion", "").is_err());
        assert!(check_name("promotion", "a b").is_err());
        assert!(check_name("promotion", "a/b").is_err());
    }
}
