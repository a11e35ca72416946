//! The seed: tenants with their (fake) credentials, folders, services and versions, read from YAML.
use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::semver::SemVer;

/// The initial content of a sandbox (`--seed FILE`, or [`Seed::demo`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    pub tenants: Vec<SeedTenant>,
}

/// A tenant and the credentials it accepts. These are the sandbox's own fake credentials.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedTenant {
    pub name: String,
    #[serde(default)]
    pub bearer_tokens: Vec<String>,
    #[serde(default)]
    pub api_keys: Vec<String>,
    /// Feature permissions of some API keys (key → permissions); a key not listed has every permission.
    #[serde(default)]
    pub api_key_permissions: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub clients: Vec<SeedClient>,
    #[serde(default)]
    pub folders: Vec<SeedFolder>,
}

/// OAuth2 client credentials.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedClient {
    pub id: String,
    pub secret: String,
}

/// A folder (Spark calls it a product) and its services.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedFolder {
    pub name: String,
    #[serde(default)]
    pub services: Vec<SeedService>,
}

/// A service and its semantic versions.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedService {
    pub name: String,
    #[serde(default)]
    pub versions: Vec<SemVer>,
    /// What some versions compute (version → model); the others compute from their content's hash.
    #[serde(default)]
    pub models: BTreeMap<SemVer, SeedModel>,
}

/// What a seeded version computes: its inputs with their defaults and one formula per output (evalexpr's
/// syntax, inputs by name: `age * 2.5 + base`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SeedModel {
    #[serde(default)]
    pub inputs: BTreeMap<String, serde_json::Value>,
    pub outputs: BTreeMap<String, String>,
}

const DEMO: &str = r#"
tenants:
  - name: acme-uat
    bearer_tokens: [tok-acme-uat]
    api_keys: [key-acme-uat]
    clients: [{ id: ci-uat, secret: ci-uat-secret }]
    folders:
      - name: pricing
        services:
          - name: quote
            versions: ["1.0.0", "1.1.0"]
            models:
              "1.0.0": &quote_1_0
                inputs: { age: 40, cover: 100000 }
                outputs:
                  premium: "cover / 1000 * (1 + age / 100)"
                  band: 'if(age >= 60, "senior", "standard")'
              "1.1.0":
                inputs: { age: 40, cover: 100000 }
                outputs:
                  premium: "cover / 1000 * (1 + age / 80)"
                  band: 'if(age >= 65, "senior", "standard")'
          - { name: rating, versions: ["2.0.0"] }
  - name: acme-prod
    bearer_tokens: [tok-acme-prod]
    api_keys: [key-acme-prod, key-acme-prod-imports]
    # A key whose user groups hold Spark.Imports.json only: imports, no catalog reads or exports.
    api_key_permissions: { key-acme-prod-imports: [Spark.Imports.json] }
    clients: [{ id: ci-prod, secret: ci-prod-secret }]
    folders:
      - name: pricing
        services:
          - name: quote
            versions: ["1.0.0"]
            models: { "1.0.0": *quote_1_0 }
"#;

impl Seed {
    /// The demo's tenants: `acme-uat` (pricing/quote 1.0.0 and 1.1.0, pricing/rating 2.0.0) and `acme-prod`
    /// (pricing/quote 1.0.0), so that promoting pricing from uat to prod shows an update and an addition.
    /// quote's versions compute `premium` and `band` from `age` and `cover` (1.1.0 charges more from
    /// the same inputs); rating computes from its content's hash.
    pub fn demo() -> Seed {
        Seed::from_yaml(DEMO).expect("the demo seed is valid")
    }

    /// Parses a seed from YAML.
    pub fn from_yaml(text: &str) -> anyhow::Result<Seed> {
        Seed::parse(text, "the seed")
    }

    /// Reads a seed file; errors name it (`invalid sandbox seed seed.yaml: ...`, with `seed.yaml:3:5`).
    pub fn load(path: &Path) -> anyhow::Result<Seed> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("failed to read sandbox seed {}", path.display()))?;
        Seed::parse(&text, &path.display().to_string())
    }

    /// Parses and checks a seed; `name` (the file) is what errors and their snippets call it.
    fn parse(text: &str, name: &str) -> anyhow::Result<Seed> {
        let seed: Seed = serde_saphyr::from_str(text).map_err(|err| {
            let options = serde_saphyr::render_options! { source_name: Some(name) };
            anyhow::anyhow!(
                "invalid sandbox seed {name}: {}",
                err.render_with_options(options)
            )
        })?;
        seed.check()
            .with_context(|| format!("invalid sandbox seed {name}"))?;
        Ok(seed)
    }

    /// The model of a seeded version, if the seed gives one.
    pub fn model(
        &self,
        tenant: &str,
        folder: &str,
        service: &str,
        version: SemVer,
    ) -> Option<&SeedModel> {
        self.tenants
            .iter()
            .find(|t| t.name == tenant)?
            .folders
            .iter()
            .find(|f| f.name == folder)?
            .services
            .iter()
            .find(|s| s.name == service)?
            .models
            .get(&version)
    }

    fn check(&self) -> anyhow::Result<()> {
        let mut names = std::collections::BTreeSet::new();
        for tenant in &self.tenants {
            check_tenant(tenant)?;
            anyhow::ensure!(
                names.insert(tenant.name.as_str()),
                "tenant '{}' appears twice",
                tenant.name
            );
            anyhow::ensure!(
                !tenant.name.is_empty()
                    && !tenant.name.contains('/')
                    && !tenant.name.starts_with('_'),
                "invalid tenant name '{}'",
                tenant.name
            );
        }
        Ok(())
    }
}

/// A tenant's permissions name its own keys, and every formula of its models compiles.
fn check_tenant(tenant: &SeedTenant) -> anyhow::Result<()> {
    if let Some(key) = tenant
        .api_key_permissions
        .keys()
        .find(|key| !tenant.api_keys.contains(key))
    {
        anyhow::bail!(
            "tenant '{}': api_key_permissions names a key that is not in its api_keys ({} characters)",
            tenant.name,
            key.len()
        );
    }
    for folder in &tenant.folders {
        for service in &folder.services {
            for (version, model) in &service.models {
                let place = format!(
                    "tenant '{}': {}/{} model {version}",
                    tenant.name, folder.name, service.name
                );
                anyhow::ensure!(
                    service.versions.contains(version),
                    "{place}: the service has no version {version}"
                );
                for (output, formula) in &model.outputs {
                    evalexpr::build_operator_tree::<evalexpr::DefaultNumericTypes>(formula)
                        .map_err(|e| anyhow::anyhow!("{place}: output '{output}': {e}"))?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_seed_has_two_tenants_with_every_kind_of_credential() {
        let seed = Seed::demo();
        assert_eq!(seed.tenants.len(), 2);
        for tenant in &seed.tenants {
            assert!(
                !tenant.bearer_tokens.is_empty()
                    && !tenant.api_keys.is_empty()
                    && !tenant.clients.is_empty()
            );
        }
    }

    #[test]
    fn seed_errors_name_the_file_not_input() {
        let error =
            Seed::parse("tenants: [{ name: a, tokens: [x] }]", "seeds/acme.yaml").unwrap_err();
        let message = format!("{error:#}");
        assert!(
            message.starts_with("invalid sandbox seed seeds/acme.yaml: ")
                && message.contains("seeds/acme.yaml:1:")
                && !message.contains("<input>"),
            "{message}"
        );
        let twice = "tenants: [{ name: a }, { name: a }]";
        let message = format!("{:#}", Seed::parse(twice, "seeds/acme.yaml").unwrap_err());
        assert_eq!(
            message,
            "invalid sandbox seed seeds/acme.yaml: tenant 'a' appears twice"
        );
    }

    #[test]
    fn the_documented_seed_is_valid() {
        let doc = include_str!("../../docs/sandbox-seed.md");
        let yaml = doc
            .split("```yaml\n")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .expect("docs/sandbox-seed.md has a yaml example");
        let seed = Seed::from_yaml(yaml).unwrap();
        assert_eq!(seed.tenants.len(), 2);
        assert_eq!(seed.tenants[0].folders[0].services[0].versions.len(), 2);
    }

    #[test]
    fn unknown_seed_keys_are_errors() {
        let error = Seed::from_yaml("tenants: [{ name: a, tokens: [x] }]").unwrap_err();
        assert!(format!("{error:#}").contains("tokens"), "{error:#}");
    }

    #[test]
    fn bad_versions_are_errors() {
        assert!(Seed::from_yaml("tenants: [{ name: a, folders: [{ name: f, services: [{ name: s, versions: ['1.0'] }] }] }]").is_err());
    }
}
