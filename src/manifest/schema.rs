//! The manifest's JSON Schema (`spark-promote schema`), generated from the raw serde model so it cannot drift
//! from what the parser accepts; editors use it to complete and check the manifest.
use super::raw::RawManifest;

/// The JSON Schema (draft 2020-12) of the manifest, with the `///` docs of the model as descriptions.
pub fn schema() -> serde_json::Value {
    let generator = schemars::generate::SchemaSettings::draft2020_12()
        .for_deserialize()
        .into_generator();
    generator.into_root_schema_for::<RawManifest>().to_value()
}
