//! Reading Execute API request bodies: v3's `{request_data: {inputs}, request_meta}` and v4's `{inputs: [..],
//! service, version_id, output, ...}`. Metadata the sandbox does not use (`compiler_type`, `call_purpose`,
//! `excel_file`, ...) is accepted and ignored, as the SDKs send it.
use serde_json::{Map, Value};

use super::super::error::ApiError;
use super::super::fields::parse_json;

/// Where a request points: a version id wins over a service id, which wins over a URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Locator {
    VersionId(String),
    /// A service id and maybe a version (a prefix such as `1.2` takes the latest `1.2.x`).
    ServiceId(String, Option<String>),
    Uri {
        folder: String,
        service: String,
        version: Option<String>,
    },
}

/// A v3 request: one record and its metadata.
#[derive(Debug)]
pub struct V3Request {
    pub inputs: Map<String, Value>,
    pub version_id: Option<String>,
    pub service_id: Option<String>,
    pub version: Option<String>,
    pub requested: Option<Vec<String>>,
    pub correlation_id: Option<String>,
}

/// A v4 request: records and where they go.
#[derive(Debug)]
pub struct V4Request {
    pub records: Vec<Value>,
    pub locator: Locator,
    pub requested: Option<Vec<String>>,
    pub correlation_id: Option<String>,
}

impl V3Request {
    /// Parses a v3 body.
    pub fn parse(body: &str) -> Result<V3Request, ApiError> {
        let value = parse_json(body, "the request body")?;
        let inputs = match value.pointer("/request_data/inputs") {
            Some(Value::Object(inputs)) => inputs.clone(),
            Some(Value::Null) | None => {
                return Err(ApiError::bad_request(
                    "request_data.inputs is required (an object; {} runs the defaults)",
                ));
            }
            Some(_) => {
                return Err(ApiError::bad_request(
                    "request_data.inputs: expected an object",
                ));
            }
        };
        let meta = value.get("request_meta").cloned().unwrap_or(Value::Null);
        Ok(V3Request {
            inputs,
            version_id: text(&meta, "version_id")?,
            service_id: text(&meta, "service_id")?,
            version: text(&meta, "version")?,
            requested: names(&meta, "requested_output")?,
            correlation_id: text(&meta, "correlation_id")?,
        })
    }

    /// Where the request points, given what its path says when the metadata names nothing stronger.
    pub fn locator(&self, path: Locator) -> Locator {
        if let Some(id) = &self.version_id {
            return Locator::VersionId(id.clone());
        }
        match path {
            Locator::VersionId(id) => Locator::VersionId(id),
            Locator::ServiceId(id, _) => Locator::ServiceId(id, self.version.clone()),
            uri => match &self.service_id {
                Some(id) => Locator::ServiceId(id.clone(), self.version.clone()),
                None => match uri {
                    Locator::Uri {
                        folder, service, ..
                    } => Locator::Uri {
                        folder,
                        service,
                        version: self.version.clone(),
                    },
                    other => other,
                },
            },
        }
    }
}

impl V4Request {
    /// Parses a v4 body.
    pub fn parse(body: &str) -> Result<V4Request, ApiError> {
        let value = parse_json(body, "the request body")?;
        let records = match value.get("inputs") {
            Some(Value::Array(records)) if !records.is_empty() => records.clone(),
            Some(Value::Array(_)) => return Err(ApiError::bad_request("inputs: no records")),
            _ => return Err(ApiError::bad_request("inputs: expected a list of records")),
        };
        let locator = match (text(&value, "version_id")?, text(&value, "service")?) {
            (Some(id), _) => Locator::VersionId(id),
            (None, Some(service)) => service_locator(&service)?,
            (None, None) => {
                return Err(ApiError::bad_request(
                    "give service (folder/service[version] or a service id) or version_id",
                ));
            }
        };
        Ok(V4Request {
            records,
            locator,
            requested: names(&value, "output")?,
            correlation_id: text(&value, "correlation_id")?,
        })
    }
}

/// v4's `service`: a service id, or `folder/service` with an optional `[version]`.
fn service_locator(service: &str) -> Result<Locator, ApiError> {
    let (uri, version) = match service.split_once('[') {
        Some((uri, rest)) => {
            let version = rest.strip_suffix(']').ok_or_else(|| {
                ApiError::bad_request(format!(
                    "service '{service}': expected folder/service[version]"
                ))
            })?;
            (uri, Some(version.to_owned()))
        }
        None => (service, None),
    };
    Ok(match uri.split_once('/') {
        Some((folder, name)) => Locator::Uri {
            folder: folder.to_owned(),
            service: name.to_owned(),
            version,
        },
        None => Locator::ServiceId(uri.to_owned(), version),
    })
}

fn text(value: &Value, key: &str) -> Result<Option<String>, ApiError> {
    match value.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(ApiError::bad_request(format!(
            "{key}: expected a string, got {other}"
        ))),
    }
}

/// Output names: a comma-separated string (as the SDKs send) or a list.
fn names(value: &Value, key: &str) -> Result<Option<Vec<String>>, ApiError> {
    let list: Vec<String> = match value.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => s.split(',').map(|n| n.trim().to_owned()).collect(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or_else(|| ApiError::bad_request(format!("{key}: expected names")))?,
        Some(_) => return Err(ApiError::bad_request(format!("{key}: expected names"))),
    };
    let list: Vec<String> = list.into_iter().filter(|n| !n.is_empty()).collect();
    Ok((!list.is_empty()).then_some(list))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_v4_service_is_a_uri_with_a_version_or_an_id_and_a_version_id_wins() {
        let parse = |body: &str| V4Request::parse(body).unwrap().locator;
        assert_eq!(
            parse(r#"{"inputs":[{}],"service":"pricing/quote[1.2]"}"#),
            Locator::Uri {
                folder: "pricing".into(),
                service: "quote".into(),
                version: Some("1.2".into())
            }
        );
        assert_eq!(
            parse(r#"{"inputs":[{}],"service":"abc"}"#),
            Locator::ServiceId("abc".into(), None)
        );
        assert_eq!(
            parse(r#"{"inputs":[{}],"service":"f/s","version_id":"v"}"#),
            Locator::VersionId("v".into())
        );
        assert!(V4Request::parse(r#"{"inputs":[],"service":"f/s"}"#).is_err());
    }

    #[test]
    fn v3_metadata_overrides_the_path_in_the_documented_order() {
        let request = V3Request::parse(
            r#"{"request_data":{"inputs":{}},"request_meta":{"service_id":"sid","version":"1.0.0","compiler_type":"Neuron"}}"#,
        )
        .unwrap();
        let uri = Locator::Uri {
            folder: "f".into(),
            service: "s".into(),
            version: None,
        };
        assert_eq!(
            request.locator(uri),
            Locator::ServiceId("sid".into(), Some("1.0.0".into()))
        );
        assert!(V3Request::parse(r#"{"request_meta":{}}"#).is_err());
    }
}
