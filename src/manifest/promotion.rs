//! A validated promotion: what to import, from where, into which environment, and how.
use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One promotion of the manifest, validated: its environments exist, its service URIs are well formed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Promotion {
    /// Unique name, `[A-Za-z0-9._-]+` (selected with `-p NAME`).
    pub name: String,
    /// Where the package comes from.
    pub source: Source,
    /// Name of the target environment (a key of `environments`).
    pub to: String,
    /// What the import does when a destination service already exists.
    pub services_existing: ServicesExisting,
    /// How versions are numbered when they are added to an existing service (`services_modify` default).
    pub update_version_type: UpdateVersionType,
    /// Per-service destinations and version numbering (the API's `services_modify`); may be empty.
    pub services: Vec<ServiceMapping>,
    /// The API's `source_system` tag; `None` lets the caller name the tool and the repository.
    pub source_system: Option<String>,
    /// Overrides the deterministic correlation id.
    pub correlation_id: Option<String>,
    /// The manifest's `backup:`, when given (see [`Promotion::backs_up`]).
    pub backup: Option<bool>,
}

impl Promotion {
    /// The `services:` entry of a source service (`folder/service`), if the manifest maps it.
    pub fn mapping(&self, source: &str) -> Option<&ServiceMapping> {
        self.services
            .iter()
            .find(|mapping| mapping.source == source)
    }

    /// How `add_version` numbers the versions of the source service `source` (`folder/service`): its
    /// mapping's `update_version_type`, else the promotion's. The one place of this override.
    pub fn update_of(&self, source: &str) -> UpdateVersionType {
        self.mapping(source)
            .and_then(|mapping| mapping.update_version_type)
            .unwrap_or(self.update_version_type)
    }

    /// Whether the destination's existing services are exported before the import: the manifest's
    /// `backup:`, by default only for `replace` (the one import that deletes versions).
    pub fn backs_up(&self) -> bool {
        self.backup
            .unwrap_or(self.services_existing == ServicesExisting::Replace)
    }

    /// Where a source service (`folder/service`) goes: its mapping's destination, else its own place.
    pub fn destination_of(&self, source: &str) -> String {
        self.mapping(source)
            .map_or_else(|| source.to_string(), |mapping| mapping.destination.clone())
    }
}

/// Where a promotion's package comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Export from an environment first (the union of services, folders and version ids; at least one given).
    Environment {
        /// Name of the source environment (a key of `environments`).
        environment: String,
        /// `folder/service`, `folder/service[version]` (version prefix) or a service id.
        services: Vec<String>,
        /// Folders, exported whole.
        folders: Vec<String>,
        /// Version ids (UUIDs).
        version_ids: Vec<String>,
        /// Which versions of each service are exported.
        version_filter: VersionFilter,
    },
    /// A package file committed to the repository.
    Package {
        /// The path resolved against the manifest's directory.
        path: PathBuf,
        /// The path as written in the manifest (for messages and reports).
        display: String,
    },
}

impl Source {
    /// An export of an environment (not a committed package).
    pub fn is_environment(&self) -> bool {
        matches!(self, Source::Environment { .. })
    }
}

/// One entry of `services:`: where a source service goes (the API's `services_modify`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceMapping {
    /// `folder/service` in the package.
    pub source: String,
    /// `folder/service` in the target (the source's when not given in the manifest).
    pub destination: String,
    /// Overrides the promotion's `update_version_type` for this service.
    pub update_version_type: Option<UpdateVersionType>,
}

/// What an import does when the destination service already exists (the API's `services_existing`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServicesExisting {
    /// Fail the import (the API's default).
    #[default]
    Abort,
    /// Remove the existing service and its versions, then add the imported ones (API call history is lost).
    Replace,
    /// Add the imported versions to the existing service, numbered by `update_version_type`.
    AddVersion,
}

impl ServicesExisting {
    /// The API's wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Abort => "abort",
            Self::Replace => "replace",
            Self::AddVersion => "add_version",
        }
    }
}

/// How versions added to an existing service are numbered (the API's `update_version_type`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UpdateVersionType {
    /// Next major version.
    Major,
    /// Next minor version (the API's default).
    #[default]
    Minor,
    /// Next patch version.
    Patch,
    /// Keep the source's exact semantic versions.
    Copy,
}

impl UpdateVersionType {
    /// The API's wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Major => "major",
            Self::Minor => "minor",
            Self::Patch => "patch",
            Self::Copy => "copy",
        }
    }
}

/// Which versions of each service an export takes (the API's `version_filter`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VersionFilter {
    /// Only the latest version (the API's default).
    #[default]
    Latest,
    /// Every version.
    All,
}

impl VersionFilter {
    /// The API's wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Latest => "latest",
            Self::All => "all",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_values_match_what_serde_reads() {
        for value in [
            ServicesExisting::Abort,
            ServicesExisting::Replace,
            ServicesExisting::AddVersion,
        ] {
            assert_eq!(serde_json::to_value(value).unwrap(), value.as_str());
        }
        for value in [
            UpdateVersionType::Major,
            UpdateVersionType::Minor,
            UpdateVersionType::Patch,
            UpdateVersionType::Copy,
        ] {
            assert_eq!(serde_json::to_value(value).unwrap(), value.as_str());
        }
        for value in [VersionFilter::Latest, VersionFilter::All] {
            assert_eq!(serde_json::to_value(value).unwrap(), value.as_str());
        }
    }
}
