//! The Execute API: records of inputs run against a service version. v4 batches (one call per chunk,
//! chunks sized from the calls so far to stay well inside Spark's 55 s limit per call); where v4 is
//! refused (403: an API key without `Spark.SyncBatch.json`), v3 one-record calls, with a warning naming the
//! permission. Execution has no side effects, so every call is retried like a read. Per-record errors and
//! warnings are kept, in any shape Spark sends them.
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::client::{Call, CallBody};
use super::wire::{JobMessage, messages};
use super::{Client, Error, Operation};

/// The feature permission an API key needs for v4 batches.
pub const SYNC_BATCH_PERMISSION: &str = "Spark.SyncBatch.json";

/// Which version runs: a version id (what a verification after an import uses), a service id, or a URI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ExecuteTarget {
    VersionId(String),
    ServiceId(String),
    /// `folder/service`, optionally at a semantic version (a prefix such as `1.2` takes the latest 1.2.x).
    Uri {
        folder: String,
        service: String,
        version: Option<String>,
    },
}

/// One record of inputs, by name.
pub type Inputs = Map<String, Value>;

/// How records are sent.
#[derive(Debug, Clone)]
pub struct ExecuteOptions {
    /// Records in the first v4 call.
    pub first_chunk: usize,
    /// The most records in one v4 call.
    pub max_chunk: usize,
    /// The time one v4 call should take at most (Spark stops a call at 55 s): later chunks are sized from
    /// the time per record measured so far.
    pub call_budget: Duration,
    /// Only the outputs named here (all when empty).
    pub outputs: Vec<String>,
}

impl Default for ExecuteOptions {
    fn default() -> Self {
        Self {
            first_chunk: 100,
            max_chunk: 1000,
            call_budget: Duration::from_secs(15),
            outputs: Vec::new(),
        }
    }
}

/// One record's answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RecordResult {
    pub outputs: Map<String, Value>,
    pub warnings: Vec<JobMessage>,
    pub errors: Vec<JobMessage>,
}

/// The answers to every record, in order, and how they were obtained.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Execution {
    pub records: Vec<RecordResult>,
    /// The version that ran (from the answers), when Spark said.
    pub version_id: Option<String>,
    pub version: Option<String>,
    /// API calls made (retries not counted).
    pub calls: usize,
    /// Whether v4 was refused and the records went one v3 call each.
    pub fell_back_to_v3: bool,
    /// Client-side warnings (the v4 refusal).
    pub warnings: Vec<String>,
}

/// A v4 answer, leniently: every list may be null or absent, per-record messages of any shape.
#[derive(Deserialize)]
struct V4Answer {
    #[serde(default)]
    outputs: Option<Vec<Value>>,
    #[serde(default)]
    warnings: Option<Value>,
    #[serde(default)]
    errors: Option<Value>,
    #[serde(default)]
    version_id: Option<String>,
    #[serde(default)]
    version: Option<String>,
}

#[derive(Deserialize)]
struct V3Answer {
    #[serde(default)]
    response_data: Option<V3Data>,
    #[serde(default)]
    response_meta: Option<V3Meta>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Deserialize)]
struct V3Data {
    #[serde(default)]
    outputs: Option<Map<String, Value>>,
    #[serde(default, deserialize_with = "messages")]
    warnings: Vec<JobMessage>,
    #[serde(default, deserialize_with = "messages")]
    errors: Vec<JobMessage>,
}

#[derive(Deserialize)]
struct V3Meta {
    #[serde(default)]
    version_id: Option<String>,
    #[serde(default)]
    version: Option<String>,
}

impl Client {
    /// Runs every record against `target`: v4 chunks, or v3 one by one once v4 is refused.
    pub async fn execute(
        &self,
        target: &ExecuteTarget,
        records: &[Inputs],
        options: &ExecuteOptions,
    ) -> Result<Execution, Error> {
        let mut done = Execution::default();
        let mut chunk = options.first_chunk.clamp(1, options.max_chunk.max(1));
        let mut at = 0;
        while at < records.len() && !done.fell_back_to_v3 {
            let part = &records[at..records.len().min(at + chunk)];
            let started = Instant::now();
            match self.execute_v4(target, part, &options.outputs).await {
                Ok(answer) => {
                    done.calls += 1;
                    add(&mut done, answer, part.len())?;
                    at += part.len();
                    chunk = next_chunk(started.elapsed(), part.len(), options);
                }
                Err(error) if error.status() == Some(StatusCode::FORBIDDEN) => {
                    done.calls += 1;
                    done.fell_back_to_v3 = true;
                    done.warnings.push(format!(
                        "v4 batch execute was refused ({error}); running {} records one v3 call each: give the API key's group the feature permission {SYNC_BATCH_PERMISSION} for batches",
                        records.len() - at
                    ));
                }
                Err(error) => return Err(error),
            }
        }
        for record in &records[at..] {
            let (result, version_id, version) =
                self.execute_v3(target, record, &options.outputs).await?;
            done.calls += 1;
            done.records.push(result);
            done.version_id = done.version_id.or(version_id);
            done.version = done.version.or(version);
        }
        Ok(done)
    }

    /// One v4 call: `POST /{tenant}/api/v4/execute`.
    async fn execute_v4(
        &self,
        target: &ExecuteTarget,
        records: &[Inputs],
        outputs: &[String],
    ) -> Result<V4Answer, Error> {
        let mut body = json!({ "inputs": records, "call_purpose": "Sync Batch Execution", "source_system": "spark-promote" });
        match target {
            ExecuteTarget::VersionId(id) => body["version_id"] = json!(id),
            ExecuteTarget::ServiceId(id) => body["service"] = json!(id),
            ExecuteTarget::Uri {
                folder,
                service,
                version,
            } => {
                body["service"] = json!(match version {
                    Some(v) => format!("{folder}/{service}[{v}]"),
                    None => format!("{folder}/{service}"),
                });
            }
        }
        if !outputs.is_empty() {
            body["output"] = json!(outputs.join(","));
        }
        let url = self.tenant_url(&["api", "v4", "execute"]);
        self.call_json(posted(Operation::ExecuteBatch, url, &body))
            .await
    }

    /// One v3 call (`.../folders/{folder}/services/{service}/execute`, `.../version/{id}`,
    /// `.../service/{id}`): the record's result and the version that ran.
    async fn execute_v3(
        &self,
        target: &ExecuteTarget,
        inputs: &Inputs,
        outputs: &[String],
    ) -> Result<(RecordResult, Option<String>, Option<String>), Error> {
        let mut meta =
            json!({ "call_purpose": "Single Execution", "source_system": "spark-promote" });
        let url = match target {
            ExecuteTarget::VersionId(id) => self.tenant_url(&["api", "v3", "version", id]),
            ExecuteTarget::ServiceId(id) => self.tenant_url(&["api", "v3", "service", id]),
            ExecuteTarget::Uri {
                folder,
                service,
                version,
            } => {
                if let Some(version) = version {
                    meta["version"] = json!(version);
                }
                self.tenant_url(&[
                    "api", "v3", "folders", folder, "services", service, "execute",
                ])
            }
        };
        if !outputs.is_empty() {
            meta["requested_output"] = json!(outputs.join(","));
        }
        let body = json!({ "request_data": { "inputs": inputs }, "request_meta": meta });
        let answer: V3Answer = self
            .call_json(posted(Operation::Execute, url, &body))
            .await?;
        let data = answer.response_data.unwrap_or(V3Data {
            outputs: None,
            warnings: Vec::new(),
            errors: Vec::new(),
        });
        let mut errors = data.errors;
        errors.extend(messages_of(answer.error));
        let meta = answer.response_meta;
        let result = RecordResult {
            outputs: data.outputs.unwrap_or_default(),
            warnings: data.warnings,
            errors,
        };
        Ok((
            result,
            meta.as_ref().and_then(|m| m.version_id.clone()),
            meta.and_then(|m| m.version),
        ))
    }
}

/// An execute call: a POST with a JSON body, retried like a read (a calculation changes nothing).
fn posted<'a>(op: Operation, url: url::Url, body: &Value) -> Call<'a> {
    Call {
        op,
        method: Method::POST,
        url,
        body: CallBody::Json(body.to_string().into_bytes()),
        idempotent: true,
    }
}

/// Adds a v4 answer's records; an answer with another number of records than sent is an error.
fn add(done: &mut Execution, answer: V4Answer, sent: usize) -> Result<(), Error> {
    let outputs = answer.outputs.unwrap_or_default();
    if outputs.len() != sent {
        return Err(Error::Invalid(format!(
            "v4 execute answered {} records for the {sent} sent",
            outputs.len()
        )));
    }
    let warnings = per_record(answer.warnings, sent);
    let errors = per_record(answer.errors, sent);
    for ((outputs, warnings), errors) in outputs.into_iter().zip(warnings).zip(errors) {
        done.records.push(RecordResult {
            outputs: match outputs {
                Value::Object(map) => map,
                _ => Map::new(),
            },
            warnings,
            errors,
        });
    }
    done.version_id = done.version_id.take().or(answer.version_id);
    done.version = done.version.take().or(answer.version);
    Ok(())
}

/// v4's per-record `warnings` / `errors`: a list with one entry per record (each null, a list, or one
/// message); anything else (null, absent, not one per record) is given to the first record, never lost.
fn per_record(value: Option<Value>, records: usize) -> Vec<Vec<JobMessage>> {
    let mut out = vec![Vec::new(); records];
    match value {
        Some(Value::Array(items)) if items.len() == records => {
            for (slot, item) in out.iter_mut().zip(items) {
                *slot = messages_of(Some(item));
            }
        }
        other => {
            if let Some(first) = out.first_mut() {
                *first = messages_of(other);
            }
        }
    }
    out
}

fn messages_of(value: Option<Value>) -> Vec<JobMessage> {
    let value = value.unwrap_or(Value::Null);
    messages(value).unwrap_or_default()
}

/// The next chunk's size: as many records as fit in the call budget at the time per record measured,
/// never more than doubling, within `1..=max_chunk`.
fn next_chunk(took: Duration, records: usize, options: &ExecuteOptions) -> usize {
    let per_record = took.as_secs_f64() / records.max(1) as f64;
    let fits = if per_record > 0.0 {
        (options.call_budget.as_secs_f64() / per_record) as usize
    } else {
        options.max_chunk
    };
    fits.min(records.saturating_mul(2))
        .clamp(1, options.max_chunk.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_record_messages_take_every_documented_shape() {
        let shapes = json!([null, [], [{"message": "bad", "source_path": "inputs.a"}], "text"]);
        let got = per_record(Some(shapes), 4);
        assert!(got[0].is_empty() && got[1].is_empty());
        assert_eq!(got[2][0].message, "bad");
        assert_eq!(got[3][0].message, "text");
        assert!(per_record(None, 2).iter().all(Vec::is_empty));
        let odd = per_record(Some(json!({"message": "whole call"})), 2);
        assert_eq!(odd[0][0].message, "whole call");
    }

    #[test]
    fn chunks_shrink_to_the_budget_and_grow_at_most_twice() {
        let options = ExecuteOptions::default();
        assert_eq!(next_chunk(Duration::from_secs(30), 100, &options), 50);
        assert_eq!(next_chunk(Duration::from_millis(10), 100, &options), 200);
        assert_eq!(next_chunk(Duration::from_millis(1), 800, &options), 1000);
        assert_eq!(next_chunk(Duration::from_secs(100), 1, &options), 1);
    }
}
