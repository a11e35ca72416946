//! The deployment payload the action writes, and a listed deployment read back as a record.
use serde::{Deserialize, Serialize};

use crate::promote::record::{Origin, PromotionRecord, Proof};

/// What a deployment's `payload` holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payload {
    /// The manifest's path, as the action was given it.
    pub manifest: String,
    /// The promotion's name.
    pub promotion: String,
    /// The manifest's name of the destination environment.
    pub target: String,
    pub correlation_id: String,
    pub export_job_id: Option<String>,
    pub import_job_id: String,
    #[serde(default)]
    pub source_version_ids: Vec<String>,
    #[serde(default)]
    pub destination_services: Vec<String>,
    /// A rollback: its success undoes the earlier promotions into its destination services.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rollback: bool,
    /// A rollback after a failed verification: the correlation id of the import it undoes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undoes: Option<String>,
    /// The cases the import is verified with (their sha256 and count); its final status says whether
    /// they passed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cases: Option<crate::promote::record::Cases>,
}

/// A deployment as GitHub lists it (the fields read here).
#[derive(Debug, Clone, Deserialize)]
pub struct Deployment {
    pub id: u64,
    /// An object, or (for deployments made with a string payload) a JSON string.
    #[serde(default)]
    pub payload: serde_json::Value,
    #[serde(default)]
    pub created_at: Option<String>,
}

impl Deployment {
    /// Its payload, when it is one of ours.
    pub fn payload(&self) -> Option<Payload> {
        match &self.payload {
            serde_json::Value::String(text) => serde_json::from_str(text).ok(),
            value => serde_json::from_value(value.clone()).ok(),
        }
    }

    /// The record it makes when its latest status is `success`.
    pub fn record(&self, payload: Payload) -> PromotionRecord {
        PromotionRecord {
            origin: Origin::Deployment {
                id: self.id,
                created_at: self.created_at.clone(),
            },
            at: self.created_at.clone(),
            correlation_id: payload.correlation_id,
            target: payload.target,
            rollback: payload.rollback,
            undoes: payload.undoes,
            destination_services: payload.destination_services,
            proof: match payload.import_job_id.is_empty() {
                true => Proof::Nothing,
                false => Proof::ImportJob(payload.import_job_id),
            },
        }
    }
}
