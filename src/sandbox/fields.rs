//! Strict reading of JSON request bodies: unknown keys and bad values are 400s that name the field.
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::error::ApiError;

/// A JSON object being read, with its path for error messages (`importRequestEntity.inputs`).
pub struct Fields<'a> {
    path: String,
    map: &'a Map<String, Value>,
}

impl<'a> Fields<'a> {
    /// Reads `value` as an object allowing only `allowed` keys.
    pub fn object(value: &'a Value, path: &str, allowed: &[&str]) -> Result<Self, ApiError> {
        let map = value
            .as_object()
            .ok_or_else(|| ApiError::bad_request(format!("{path}: expected a JSON object")))?;
        if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(ApiError::bad_request(format!(
                "{path}: unknown field '{unknown}', expected one of {}",
                allowed.join(", ")
            ))
            .with("field", format!("{path}.{unknown}").into()));
        }
        Ok(Fields {
            path: path.to_owned(),
            map,
        })
    }

    /// The field's path.
    pub fn path_of(&self, key: &str) -> String {
        format!("{}.{key}", self.path)
    }

    /// An optional field (absent or null gives `None`).
    pub fn opt<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, ApiError> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => serde_json::from_value(value.clone())
                .map(Some)
                .map_err(|e| {
                    let path = self.path_of(key);
                    ApiError::bad_request(format!("{path}: {e}")).with("field", path.into())
                }),
        }
    }

    /// The raw value of an optional field.
    pub fn raw(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }
}

/// Parses a JSON text, naming what it is on error.
pub fn parse_json(text: &str, what: &str) -> Result<Value, ApiError> {
    serde_json::from_str(text).map_err(|e| {
        ApiError::bad_request(format!("{what} is not valid JSON: {e}")).with("field", what.into())
    })
}

/// A request body read as UTF-8 text. A body over the route's limit (413) or not UTF-8 (400) is refused
/// with a JSON error like every other refusal.
pub struct Text(pub String);

impl<S: Send + Sync> FromRequest<S> for Text {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        String::from_request(request, state)
            .await
            .map(Text)
            .map_err(|e| {
                ApiError::new(
                    e.status(),
                    format!("failed to read the request body: {}", e.body_text()),
                )
            })
    }
}
