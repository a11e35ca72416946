//! The promotion manifest (`spark-promote.yaml`): read, checked, secrets resolved.
//!
//! ```yaml
//! version: 1
//! environments:
//!   uat:
//!     url: https://excel.uat.us.coherent.global/acme-uat
//!     auth:
//!       oauth2: { client_id: "${SPARK_UAT_CLIENT_ID}", client_secret: "${SPARK_UAT_CLIENT_SECRET}" }
//!   prod:
//!     url: https://excel.prod.us.coherent.global/acme
//!     auth:
//!       bearer: ${SPARK_PROD_TOKEN}
//! promotions:
//!   - name: pricing
//!     from: { environment: uat, services: [pricing/quote] }
//!     to: prod
//!     services_existing: add_version
//! ```
//!
//! A `${VAR}` reference needs quotes inside `{ }` (YAML reads `{` as the start of a mapping there); in block
//! style it does not. The rules are in the `validate` module and the JSON Schema ([`schema`]); the hosts
//! credentials may go to are in [`hosts`]. The flow: [`read`] (size-capped) → raw serde model (unknown keys,
//! wrong types, bad values: the first error, located) → validation (every semantic error, each located at its
//! value) → [`Manifest`].
mod diagnostic;
mod environment;
mod flow;
pub mod hosts;
mod indent;
mod parse;
mod promotion;
mod raw;
mod schema;
mod scope;
mod secrets;
mod validate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use secrecy::SecretString;

pub use diagnostic::{Diagnostic, ManifestError};
pub use environment::{Auth, Environment, SdkVarsError, environment_from_sdk_vars};
pub use hosts::HostPolicy;
pub use parse::{MAX_BYTES, read};
pub use promotion::{
    Promotion, ServiceMapping, ServicesExisting, Source, UpdateVersionType, VersionFilter,
};
pub use schema::schema;
pub use scope::Scope;
pub use secrets::EnvLookup;

/// A checked manifest with its secrets resolved. `Debug` shows no secret.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The manifest's path, as given.
    pub path: PathBuf,
    /// The environments in the [`Scope`] it was loaded for (all of them by default), by name, credentials
    /// resolved. Environments out of scope were checked but are not here.
    pub environments: BTreeMap<String, Environment>,
    /// Every environment's base URL, in scope or not (where a backup came from is found without any
    /// secret).
    pub urls: BTreeMap<String, String>,
    /// The promotions, in file order.
    pub promotions: Vec<Promotion>,
    /// Client ids taken from variables: not secret, but masked as the user asked by referencing them.
    masked_client_ids: Vec<SecretString>,
    /// The variables the manifest references, in file order.
    variables: Vec<String>,
}

impl Manifest {
    /// The promotions with these names, in manifest order; all of them when `names` is empty. Unknown names are
    /// an error that lists the known ones.
    pub fn select(&self, names: &[String]) -> Result<Vec<&Promotion>, ManifestError> {
        if names.is_empty() {
            return Ok(self.promotions.iter().collect());
        }
        let known: Vec<&str> = self.promotions.iter().map(|p| p.name.as_str()).collect();
        let unknown = scope::unknown_promotions(names, &known);
        if !unknown.is_empty() {
            let file = self.path.display().to_string();
            return Err(ManifestError {
                diagnostics: unknown
                    .into_iter()
                    .map(|message| Diagnostic::whole_file(&file, message))
                    .collect(),
            });
        }
        Ok(self
            .promotions
            .iter()
            .filter(|p| names.contains(&p.name))
            .collect())
    }

    /// Every resolved secret (tokens, keys, client secrets, client ids read from variables) of the environments
    /// in scope, so the caller can mask them (`::add-mask::`) before anything is logged.
    pub fn secret_values(&self) -> Vec<&SecretString> {
        self.environments
            .values()
            .flat_map(|environment| environment.auth.secrets())
            .chain(&self.masked_client_ids)
            .collect()
    }

    /// The environment variables the manifest references, in file order.
    pub fn variables(&self) -> &[String] {
        &self.variables
    }
}

/// Reads, checks and resolves the manifest at `path`. Package paths are relative to its directory.
pub fn load(
    path: &Path,
    env: EnvLookup<'_>,
    hosts: &HostPolicy,
) -> Result<Manifest, ManifestError> {
    load_scoped(path, env, hosts, &Scope::All)
}

/// Reads and checks the manifest at `path` and resolves the secrets of the environments in `scope` only; names
/// in the scope that the manifest lacks are errors.
pub fn load_scoped(
    path: &Path,
    env: EnvLookup<'_>,
    hosts: &HostPolicy,
    scope: &Scope,
) -> Result<Manifest, ManifestError> {
    let text = read(path)?;
    let base_dir = base_dir(path);
    let file_name = path.display().to_string();
    run(&text, &file_name, base_dir, Some(env), hosts, scope).map(|mut manifest| {
        manifest.path = path.to_owned();
        manifest
    })
}

/// Checks and resolves a manifest's text. `file_name` is used in diagnostics (and as [`Manifest::path`]),
/// `base_dir` is the directory package paths are relative to.
pub fn parse(
    text: &str,
    file_name: &str,
    base_dir: &Path,
    env: EnvLookup<'_>,
    hosts: &HostPolicy,
) -> Result<Manifest, ManifestError> {
    run(text, file_name, base_dir, Some(env), hosts, &Scope::All)
}

/// Checks a manifest's text without resolving its secrets (for `validate` where secrets are absent): every
/// rule except that the referenced variables are set. Returns the variables it references, in file order.
pub fn check_without_secrets(
    text: &str,
    file_name: &str,
    base_dir: &Path,
    hosts: &HostPolicy,
) -> Result<Vec<String>, ManifestError> {
    run(text, file_name, base_dir, None, hosts, &Scope::All).map(|manifest| manifest.variables)
}

fn run(
    text: &str,
    file_name: &str,
    base_dir: &Path,
    env: Option<EnvLookup<'_>>,
    hosts: &HostPolicy,
    scope: &Scope,
) -> Result<Manifest, ManifestError> {
    let raw = parse::raw(text, file_name)?;
    let context = validate::Context {
        file: file_name,
        base_dir,
        env,
        hosts,
        scope,
    };
    validate::validate(raw, PathBuf::from(file_name), &context)
}

/// The directory a manifest's relative paths start from (`.` for a bare file name).
fn base_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}
