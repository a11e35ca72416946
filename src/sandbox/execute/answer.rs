//! The Execute API's answers, in the sandbox's two shapes. Rich (default): per-record `warnings` and
//! `errors` are lists (`[]` when none) and answers carry the extension `sandbox_model` (`formulas` or
//! `derived`). Spec (`--compat spec`): only the documented fields, with `null` for no warnings or errors.
use serde_json::{Map, Value, json};

use super::super::compat::Compat;
use super::Target;
use super::program::Outcome;

/// What every answer says about the call.
pub struct Call<'a> {
    pub compat: Compat,
    pub target: &'a Target,
    pub source_hash: &'a str,
    pub model: &'static str,
    pub correlation_id: Option<String>,
}

/// A v3 answer to one record.
pub fn v3(call: &Call<'_>, outcome: Outcome, millis: f64) -> Value {
    let target = call.target;
    let mut meta = json!({
        "service_id": target.service_id,
        "version_id": target.version_id,
        "version": target.version,
        "process_time": millis,
        "call_id": uuid::Uuid::new_v4(),
        "compiler_type": "Neuron",
        "compiler_version": COMPILER_VERSION,
        "source_hash": call.source_hash,
        "engine_id": target.service_id,
        "correlation_id": call.correlation_id,
        "system": "SPARK",
        "request_timestamp": now(),
    });
    extend(call, &mut meta);
    json!({
        "status": "Success",
        "error": null,
        "response_data": {
            "outputs": outcome.outputs,
            "warnings": messages(call.compat, outcome.warnings),
            "errors": messages(call.compat, outcome.errors),
            "service_chain": null,
        },
        "response_meta": meta,
    })
}

/// A v4 answer to many records.
pub fn v4(call: &Call<'_>, outcomes: Vec<(Outcome, f64)>) -> Value {
    let target = call.target;
    let (mut outputs, mut times, mut warnings, mut errors) = (vec![], vec![], vec![], vec![]);
    for (outcome, millis) in outcomes {
        outputs.push(Value::Object(outcome.outputs));
        times.push(json!(millis));
        warnings.push(messages(call.compat, outcome.warnings));
        errors.push(messages(call.compat, outcome.errors));
    }
    let mut answer = json!({
        "outputs": outputs,
        "process_time": times,
        "warnings": warnings,
        "errors": errors,
        "service_id": target.service_id,
        "version_id": target.version_id,
        "version": target.version,
        "call_id": uuid::Uuid::new_v4(),
        "compiler_version": COMPILER_VERSION,
        "correlation_id": call.correlation_id,
        "request_timestamp": now(),
    });
    extend(call, &mut answer);
    answer
}

const COMPILER_VERSION: &str = concat!("sandbox-", env!("CARGO_PKG_VERSION"));

fn messages(compat: Compat, items: Vec<Value>) -> Value {
    match compat {
        Compat::Spec if items.is_empty() => Value::Null,
        _ => Value::Array(items),
    }
}

fn extend(call: &Call<'_>, object: &mut Value) {
    if call.compat == Compat::Rich
        && let Some(map) = object.as_object_mut()
    {
        map.insert("sandbox_model".into(), json!(call.model));
    }
}

fn now() -> String {
    humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string()
}

/// Keeps only the requested outputs (all when none are named).
pub fn select(outputs: Map<String, Value>, requested: Option<&[String]>) -> Map<String, Value> {
    match requested {
        None => outputs,
        Some(names) => outputs
            .into_iter()
            .filter(|(name, _)| names.contains(name))
            .collect(),
    }
}
