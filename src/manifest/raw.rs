//! The manifest as written: serde types that reject unknown keys and keep the location of every value that a
//! later check may complain about. The JSON Schema (`spark-promote schema`) is generated from these types, so
//! their `///` comments are what an editor shows.
use std::fmt;
use std::marker::PhantomData;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_saphyr::Spanned;

use super::promotion::{ServicesExisting, UpdateVersionType, VersionFilter};
use super::verify::RawVerify;

/// The `${VAR}` form of a secret field, for the schema.
const REFERENCE_PATTERN: &str = r"^\$\{[A-Z_][A-Z0-9_]*\}$";
/// Promotion and environment names, for the schema.
const NAME_PATTERN: &str = r"^[A-Za-z0-9._-]+$";

/// A spark-promote manifest: Spark environments and the promotions between them.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "spark-promote manifest")]
pub(crate) struct RawManifest {
    /// Format version of this file. Must be 1.
    #[schemars(with = "u32", extend("const" = 1))]
    pub version: Spanned<u32>,
    /// The Spark environments (one tenant each), by name.
    pub environments: Named<RawEnvironment>,
    /// The promotions, run in this order.
    #[serde(default)]
    #[schemars(with = "Vec<RawPromotion>")]
    pub promotions: Vec<Spanned<RawPromotion>>,
}

/// A Spark environment: one tenant and the credentials to reach it.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Environment")]
pub(crate) struct RawEnvironment {
    /// Base URL including the tenant, e.g. `https://excel.uat.us.coherent.global/acme`. Credentials go only to
    /// https `*.coherent.global`, loopback, or hosts allowed with `--allow-host` (`allowed-hosts`).
    #[schemars(with = "String", extend("format" = "uri"))]
    pub url: Spanned<String>,
    /// Credentials: exactly one of `bearer`, `api_key`, `oauth2`.
    #[schemars(with = "RawAuth")]
    pub auth: Spanned<RawAuth>,
}

/// Credentials: exactly one of `bearer`, `api_key`, `oauth2`. Secrets are `${VAR}` references to environment
/// variables (quote them inside `{ }`: `{ bearer: "${SPARK_TOKEN}" }`).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Auth", extend("minProperties" = 1, "maxProperties" = 1))]
pub(crate) struct RawAuth {
    /// A bearer token: `${VAR}`.
    #[schemars(with = "Option<String>", regex(pattern = REFERENCE_PATTERN))]
    pub bearer: Option<Spanned<String>>,
    /// An API key (sent as `x-synthetic-key`): `${VAR}`.
    #[schemars(with = "Option<String>", regex(pattern = REFERENCE_PATTERN))]
    pub api_key: Option<Spanned<String>>,
    /// OAuth2 client credentials.
    pub oauth2: Option<RawOAuth2>,
}

impl RawAuth {
    /// The `${VAR}` names its fields reference, in field order.
    pub(crate) fn variables(&self) -> impl Iterator<Item = &str> {
        let oauth2 = self
            .oauth2
            .iter()
            .flat_map(|oauth2| [&oauth2.client_id, &oauth2.client_secret]);
        self.bearer
            .iter()
            .chain(&self.api_key)
            .chain(oauth2)
            .filter_map(|value| super::secrets::reference(&value.value))
    }
}

/// OAuth2 client credentials, exchanged for a token at `token_url`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "OAuth2")]
pub(crate) struct RawOAuth2 {
    /// The client id: a literal or a `${VAR}` reference (then masked in logs too).
    #[schemars(with = "String")]
    pub client_id: Spanned<String>,
    /// The client secret: `${VAR}`.
    #[schemars(with = "String", regex(pattern = REFERENCE_PATTERN))]
    pub client_secret: Spanned<String>,
    /// Token endpoint; default: the environment's host with `excel.` replaced by `keycloak.`, path
    /// `/auth/realms/{tenant}/protocol/openid-connect/token` (same host for loopback). Same host rules as `url`.
    #[schemars(with = "Option<String>", extend("format" = "uri"))]
    pub token_url: Option<Spanned<String>>,
}

/// A promotion: import a package (exported from an environment, or committed) into an environment.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Promotion")]
pub(crate) struct RawPromotion {
    /// Unique name (letters, digits, `.`, `_`, `-`); select it with `-p NAME`.
    #[schemars(with = "String", regex(pattern = NAME_PATTERN))]
    pub name: Spanned<String>,
    /// Where the package comes from: exactly one of `environment` (export it) or `package` (a file).
    #[schemars(with = "RawSource")]
    pub from: Spanned<RawSource>,
    /// The target environment's name.
    #[schemars(with = "String")]
    pub to: Spanned<String>,
    /// When a destination service exists: `abort` (default, the import fails), `replace`, or `add_version`.
    #[serde(default)]
    pub services_existing: ServicesExisting,
    /// Numbering of added versions: `major`, `minor` (default), `patch`, or `copy` (keep the source's).
    #[serde(default)]
    pub update_version_type: UpdateVersionType,
    /// Per-service destinations (the API's `services_modify`); services not listed keep their names.
    #[serde(default)]
    #[schemars(with = "Vec<RawServiceMapping>")]
    pub services: Vec<Spanned<RawServiceMapping>>,
    /// The API's `source_system` tag; default names the tool and the repository.
    #[schemars(with = "Option<String>")]
    pub source_system: Option<Spanned<String>>,
    /// Overrides the deterministic correlation id (the same content to the same place gets the same id).
    #[schemars(with = "Option<String>")]
    pub correlation_id: Option<Spanned<String>>,
    /// Export the destination's existing services (all versions) before the import, for
    /// `spark-promote rollback`; default: true for `services_existing: replace`, false otherwise.
    pub backup: Option<bool>,
    /// Cases run against the promoted service: the plan shows how its results change, the apply proves
    /// the destination answers as the source did.
    #[schemars(with = "Option<RawVerify>")]
    pub verify: Option<Spanned<RawVerify>>,
    /// Promotions (by name) imported before this one, e.g. those of the services this one calls.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub after: Vec<Spanned<String>>,
    /// The services (`folder/service` or `folder/service[version]`) the promoted services call with
    /// `CS.SPARK_XCALL` (Spark has no API that lists them): the plan warns when the destination lacks one.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub xcalls: Vec<Spanned<String>>,
}

/// Where the package comes from: `environment` with at least one of `services`, `folders`, `version_ids`; or
/// `package`, a ZIP path relative to the manifest's directory.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("oneOf" = [
    {"required": ["environment"], "not": {"required": ["package"]}},
    {"required": ["package"], "not": {"anyOf": [
        {"required": ["environment"]}, {"required": ["services"]}, {"required": ["folders"]},
        {"required": ["version_ids"]}, {"required": ["version_filter"]}
    ]}}
]))]
#[schemars(rename = "Source")]
pub(crate) struct RawSource {
    /// Export from this environment (by name).
    #[schemars(with = "Option<String>")]
    pub environment: Option<Spanned<String>>,
    /// Services to export: `folder/service`, `folder/service[version]` (a version prefix such as `1.2`) or a
    /// service id. Inside `[ ]` quote an entry with a version: `"pricing/quote[1.2]"`.
    #[schemars(with = "Option<Vec<String>>")]
    pub services: Option<Spanned<Vec<Spanned<String>>>>,
    /// Folders to export whole.
    #[schemars(with = "Option<Vec<String>>")]
    pub folders: Option<Spanned<Vec<Spanned<String>>>>,
    /// Version ids (UUIDs) to export.
    #[schemars(with = "Option<Vec<String>>")]
    pub version_ids: Option<Spanned<Vec<Spanned<String>>>>,
    /// Which versions to export: `latest` (default) or `all`.
    #[schemars(with = "Option<VersionFilter>")]
    pub version_filter: Option<Spanned<VersionFilter>>,
    /// A package (ZIP) file, relative to the manifest's directory.
    #[schemars(with = "Option<String>")]
    pub package: Option<Spanned<String>>,
}

/// Where one source service goes.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ServiceMapping")]
pub(crate) struct RawServiceMapping {
    /// `folder/service` in the package.
    #[schemars(with = "String")]
    pub source: Spanned<String>,
    /// `folder/service` in the target; default: the same as `source`.
    #[schemars(with = "Option<String>")]
    pub destination: Option<Spanned<String>>,
    /// Overrides the promotion's `update_version_type` for this service.
    pub update_version_type: Option<UpdateVersionType>,
}

/// A mapping by name that keeps each key's location and the file's order (the parser rejects duplicate keys).
#[derive(Debug)]
pub(crate) struct Named<T>(pub Vec<(Spanned<String>, T)>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Named<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NamedVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for NamedVisitor<T> {
            type Value = Named<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping of names to values")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Named(entries))
            }
        }

        deserializer.deserialize_map(NamedVisitor(PhantomData))
    }
}

impl<T: JsonSchema> JsonSchema for Named<T> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("{}Map", T::schema_name()).into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let values = generator.subschema_for::<T>();
        json_schema!({
            "type": "object",
            "propertyNames": { "pattern": NAME_PATTERN },
            "additionalProperties": values,
        })
    }
}
