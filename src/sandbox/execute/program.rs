//! What a version computes, from its content: the formulas of a model document (a seeded version with a
//! `models:` entry, or a version imported from one), otherwise a function derived from the content's sha256,
//! so that the same content computes the same in every tenant and changed content computes differently.
use std::io::Read;
use std::path::Path;

use evalexpr::{
    ContextWithMutableVariables, DefaultNumericTypes, HashMapContext, Node, Value as Expr,
};
use serde_json::{Map, Number, Value, json};
use sha2::{Digest, Sha256};

use super::super::seed::SeedModel;
use super::super::semver::SemVer;

/// The `format` of a model document.
pub const MODEL_FORMAT: &str = "spark-promote-sandbox-model/1";
/// A version file larger than this is never read as a model document (only hashed).
const MAX_MODEL_BYTES: u64 = 1 << 20;

/// The content of a seeded version: its model as a document when the seed gives one, else a line naming it.
pub fn seeded_content(
    folder: &str,
    service: &str,
    version: SemVer,
    model: Option<&SeedModel>,
) -> String {
    match model {
        Some(model) => {
            let document = json!({
                "format": MODEL_FORMAT,
                "service": format!("{folder}/{service}"),
                "version": version,
                "inputs": model.inputs,
                "outputs": model.outputs,
            });
            format!("{document:#}\n")
        }
        None => format!("sandbox service {folder}/{service} version {version}\n"),
    }
}

/// A version's calculation.
#[derive(Debug)]
pub struct Program {
    /// The sha256 of the content (hex): `source_hash` in answers.
    pub hash: String,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Formulas {
        inputs: Map<String, Value>,
        outputs: Vec<(String, Node<DefaultNumericTypes>)>,
    },
    /// `result = slope × (sum of the numeric inputs) + offset`, both from the hash.
    Derived { slope: f64, offset: f64 },
}

/// One record's answer: outputs, and warnings and errors as the Execute API writes them.
#[derive(Debug, Default)]
pub struct Outcome {
    pub outputs: Map<String, Value>,
    pub warnings: Vec<Value>,
    pub errors: Vec<Value>,
}

impl Program {
    /// The program of some content.
    pub fn from_bytes(bytes: &[u8]) -> Program {
        let hash = hex::encode(Sha256::digest(bytes));
        let kind = model_of(bytes).unwrap_or_else(|| derived(&hash));
        Program { hash, kind }
    }

    /// The program of a stored version file (a large file is hashed as it streams, never parsed).
    pub fn from_file(path: &Path) -> std::io::Result<Program> {
        let mut file = std::fs::File::open(path)?;
        if file.metadata()?.len() <= MAX_MODEL_BYTES {
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes)?;
            return Ok(Program::from_bytes(&bytes));
        }
        let mut hasher = Sha256::new();
        std::io::copy(&mut file, &mut hasher)?;
        let hash = hex::encode(hasher.finalize());
        let kind = derived(&hash);
        Ok(Program { hash, kind })
    }

    /// `formulas` or `derived`: how the answer was computed (a rich-mode extension of the answers).
    pub fn kind(&self) -> &'static str {
        match self.kind {
            Kind::Formulas { .. } => "formulas",
            Kind::Derived { .. } => "derived",
        }
    }

    /// Runs one record of inputs.
    pub fn run(&self, inputs: &Map<String, Value>) -> Outcome {
        match &self.kind {
            Kind::Formulas {
                inputs: defaults,
                outputs,
            } => run_formulas(defaults, outputs, inputs),
            Kind::Derived { slope, offset } => {
                let sum: f64 = inputs.values().filter_map(Value::as_f64).sum();
                let mut outcome = Outcome::default();
                outcome
                    .outputs
                    .insert("result".into(), number(round(slope * sum + offset)));
                outcome
            }
        }
    }
}

/// A model document's formulas, if `bytes` is one.
fn model_of(bytes: &[u8]) -> Option<Kind> {
    let document: Value = serde_json::from_slice(bytes).ok()?;
    if document.get("format")?.as_str()? != MODEL_FORMAT {
        return None;
    }
    let model: SeedModel = serde_json::from_value(json!({
        "inputs": document.get("inputs")?,
        "outputs": document.get("outputs")?,
    }))
    .ok()?;
    let outputs = model
        .outputs
        .iter()
        .map(|(name, formula)| Some((name.clone(), evalexpr::build_operator_tree(formula).ok()?)))
        .collect::<Option<Vec<_>>>()?;
    Some(Kind::Formulas {
        inputs: model.inputs.into_iter().collect(),
        outputs,
    })
}

fn derived(hash: &str) -> Kind {
    let word = |at: usize| {
        let part = u32::from_str_radix(&hash[at..at + 8], 16).unwrap_or_default();
        f64::from(part) / f64::from(u32::MAX)
    };
    Kind::Derived {
        slope: round(0.5 + 2.0 * word(0)),
        offset: round(100.0 * word(8)),
    }
}

fn run_formulas(
    defaults: &Map<String, Value>,
    outputs: &[(String, Node<DefaultNumericTypes>)],
    given: &Map<String, Value>,
) -> Outcome {
    let mut outcome = Outcome::default();
    let mut context = HashMapContext::<DefaultNumericTypes>::new();
    for (name, default) in defaults {
        let value = match given.get(name) {
            Some(value) => value,
            None => {
                outcome.warnings.push(json!({
                    "source_path": format!("inputs.{name}"),
                    "message": format!("input '{name}' was not given; its default {default} was used"),
                }));
                default
            }
        };
        if default.is_number() && !value.is_number() {
            outcome.errors.push(error_item(
                "Validation",
                "InvalidInput",
                &format!("inputs.{name}"),
                format!("input '{name}' must be a number, got {value}"),
            ));
        }
        set(&mut context, name, value, &mut outcome);
    }
    for (name, value) in given
        .iter()
        .filter(|(name, _)| !defaults.contains_key(*name))
    {
        set(&mut context, name, value, &mut outcome);
    }
    if !outcome.errors.is_empty() {
        return outcome;
    }
    for (name, node) in outputs {
        let value = match node.eval_with_context(&context) {
            Ok(value) => to_json(&value),
            Err(e) => Err(e.to_string()),
        };
        let value = value.unwrap_or_else(|why| {
            outcome.errors.push(error_item(
                "Calculation",
                "FormulaError",
                &format!("outputs.{name}"),
                format!("output '{name}' could not be calculated: {why}"),
            ));
            Value::Null
        });
        outcome.outputs.insert(name.clone(), value);
    }
    outcome
}

fn set(
    context: &mut HashMapContext<DefaultNumericTypes>,
    name: &str,
    value: &Value,
    outcome: &mut Outcome,
) {
    let value = match value {
        Value::Number(n) => Expr::Float(n.as_f64().unwrap_or_default()),
        Value::String(s) => Expr::String(s.clone()),
        Value::Bool(b) => Expr::Boolean(*b),
        Value::Null => Expr::Empty,
        Value::Array(_) | Value::Object(_) => {
            outcome.errors.push(error_item(
                "Validation",
                "InvalidInput",
                &format!("inputs.{name}"),
                format!("input '{name}': tables are not supported by the sandbox's formulas"),
            ));
            return;
        }
    };
    let _ = context.set_value(name.to_owned(), value);
}

fn to_json(value: &Expr) -> Result<Value, String> {
    Ok(match value {
        Expr::Float(f) => Number::from_f64(*f)
            .map(Value::Number)
            .ok_or_else(|| format!("the result {f} is not a finite number"))?,
        Expr::Int(i) => json!(i),
        Expr::Boolean(b) => json!(b),
        Expr::String(s) => json!(s),
        Expr::Empty => Value::Null,
        Expr::Tuple(items) => Value::Array(items.iter().map(to_json).collect::<Result<_, _>>()?),
    })
}

/// An error item of an answer.
pub fn error_item(category: &str, kind: &str, path: &str, message: String) -> Value {
    json!({
        "error_category": category,
        "error_type": kind,
        "additional_details": null,
        "source_path": path,
        "message": message,
    })
}

fn number(value: f64) -> Value {
    Number::from_f64(value).map_or(Value::Null, Value::Number)
}

fn round(value: f64) -> f64 {
    (value * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(outputs: &[(&str, &str)], inputs: Value) -> SeedModel {
        SeedModel {
            inputs: serde_json::from_value(inputs).unwrap(),
            outputs: outputs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    fn record(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn a_model_document_computes_its_formulas_and_warns_of_defaults() {
        let v = SemVer {
            major: 1,
            minor: 0,
            patch: 0,
        };
        let m = model(
            &[("premium", "age * 2.5 + base")],
            json!({"age": 30, "base": 10}),
        );
        let program =
            Program::from_bytes(seeded_content("pricing", "quote", v, Some(&m)).as_bytes());
        assert_eq!(program.kind(), "formulas");
        let outcome = program.run(&record(json!({"age": 40})));
        assert_eq!(outcome.outputs["premium"], json!(110.0));
        assert_eq!(outcome.warnings.len(), 1, "{:?}", outcome.warnings);
        assert!(outcome.errors.is_empty());
        let bad = program.run(&record(json!({"age": "old", "base": 1})));
        assert_eq!(bad.errors[0]["source_path"], "inputs.age");
        assert!(bad.outputs.is_empty());
    }

    #[test]
    fn other_content_computes_from_its_hash_the_same_each_time_and_differently_when_changed() {
        let inputs = record(json!({"a": 1, "b": 2.5, "c": "x"}));
        let one = Program::from_bytes(b"content one").run(&inputs).outputs;
        assert_eq!(
            one,
            Program::from_bytes(b"content one").run(&inputs).outputs
        );
        assert_ne!(
            one,
            Program::from_bytes(b"content two").run(&inputs).outputs
        );
        assert!(one["result"].is_f64());
    }

    #[test]
    fn a_formula_that_fails_is_an_error_of_its_record() {
        let v = SemVer {
            major: 1,
            minor: 0,
            patch: 0,
        };
        let m = model(&[("x", "1 / 0"), ("y", "unknown + 1")], json!({}));
        let program = Program::from_bytes(seeded_content("f", "s", v, Some(&m)).as_bytes());
        let outcome = program.run(&Map::new());
        assert_eq!(outcome.errors.len(), 2, "{:?}", outcome.errors);
        assert_eq!(outcome.outputs["y"], Value::Null);
    }
}
