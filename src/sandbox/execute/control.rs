//! The test control that makes a version answer wrongly (for verification and rollback tests):
//! `POST /_sandbox/execute/wrong` with `{"tenant", "version_id"}` or `{"tenant", "folder", "service",
//! "version"}` (a semantic version, matched when the call runs, so a version imported later counts);
//! `DELETE /_sandbox/execute/wrong` clears every such mark. A wrong version adds 1 to each number it
//! answers and appends ` (wrong)` to each text.
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::super::error::ApiError;
use super::super::fields::{Fields, Text, parse_json};
use super::super::semver::SemVer;
use super::super::state::SandboxState;
use super::Target;

/// One version marked to answer wrongly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wrong {
    tenant: String,
    which: Which,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Which {
    Id(String),
    Version {
        folder: String,
        service: String,
        version: SemVer,
    },
}

impl Wrong {
    /// Whether this mark is on `target` of `tenant`.
    pub fn covers(&self, tenant: &str, target: &Target) -> bool {
        self.tenant == tenant
            && match &self.which {
                Which::Id(id) => *id == target.version_id.to_string(),
                Which::Version {
                    folder,
                    service,
                    version,
                } => {
                    *folder == target.folder
                        && *service == target.service
                        && *version == target.version
                }
            }
    }
}

/// `POST /_sandbox/execute/wrong`.
pub async fn mark(
    State(state): State<SandboxState>,
    Text(body): Text,
) -> Result<Json<Value>, ApiError> {
    let value = parse_json(&body, "wrong")?;
    let fields = Fields::object(
        &value,
        "wrong",
        &["tenant", "version_id", "folder", "service", "version"],
    )?;
    let tenant: String = fields
        .opt("tenant")?
        .ok_or_else(|| ApiError::bad_request("wrong.tenant is required"))?;
    let which = match (
        fields.opt::<String>("version_id")?,
        fields.opt::<String>("folder")?,
        fields.opt::<String>("service")?,
        fields.opt::<SemVer>("version")?,
    ) {
        (Some(id), None, None, None) => Which::Id(id),
        (None, Some(folder), Some(service), Some(version)) => Which::Version {
            folder,
            service,
            version,
        },
        _ => {
            return Err(ApiError::bad_request(
                "wrong: give version_id, or folder, service and version",
            ));
        }
    };
    state.lock().wrong.push(Wrong { tenant, which });
    Ok(Json(json!({ "marked": value })))
}

/// `DELETE /_sandbox/execute/wrong`.
pub async fn clear(State(state): State<SandboxState>) -> StatusCode {
    state.lock().wrong.clear();
    StatusCode::NO_CONTENT
}

/// A wrong answer: every number plus 1, every text with ` (wrong)`.
pub fn skew(value: &mut Value) {
    match value {
        Value::Number(n) => {
            if let Some(skewed) = n
                .as_f64()
                .and_then(|f| serde_json::Number::from_f64(f + 1.0))
            {
                *n = skewed;
            }
        }
        Value::String(s) => s.push_str(" (wrong)"),
        Value::Array(items) => items.iter_mut().for_each(skew),
        Value::Object(map) => map.values_mut().for_each(skew),
        Value::Bool(_) | Value::Null => {}
    }
}
