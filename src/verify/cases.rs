//! Case files: `verify.cases` patterns expanded (in name order), each file read as JSON (a list of
//! records) or CSV (a header row, then one record per row). In a record, `expected.NAME` is an expected
//! output and every other key an input. CSV cells that read as numbers are numbers, `true` / `false` are
//! booleans, an empty cell is left out (the input takes its default), anything else is text.
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::exit::InvalidInput;
use crate::manifest::CasesPattern;

/// The prefix of an expected output's key or column.
pub const EXPECTED: &str = "expected.";

/// One case: where it comes from, its inputs and its expected outputs (maybe none).
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// `file:row` (the row of a CSV line, counting the header as 1; the index from 1 in a JSON list).
    pub id: String,
    pub inputs: Map<String, Value>,
    pub expected: Map<String, Value>,
}

/// Every case of the patterns and the sha256 of the files read (in order, hashed together).
#[derive(Debug, Clone, PartialEq)]
pub struct CaseSet {
    pub cases: Vec<Case>,
    pub sha256: String,
    pub files: Vec<String>,
}

/// Loads the cases of `patterns`; a pattern that matches no file, a file that cannot be read and a
/// malformed record are invalid input naming the file (and row).
pub fn load(patterns: &[CasesPattern]) -> Result<CaseSet, InvalidInput> {
    let mut hasher = Sha256::new();
    let mut set = CaseSet {
        cases: Vec::new(),
        sha256: String::new(),
        files: Vec::new(),
    };
    for pattern in patterns {
        for (path, display) in expand(pattern)? {
            let bytes = std::fs::read(&path)
                .map_err(|e| InvalidInput::msg(format!("failed to read cases {display}: {e}")))?;
            hasher.update(&bytes);
            let cases = if display.to_ascii_lowercase().ends_with(".csv") {
                from_csv(&bytes, &display)?
            } else {
                from_json(&bytes, &display)?
            };
            set.cases.extend(cases);
            set.files.push(display);
        }
    }
    set.sha256 = hex::encode(hasher.finalize());
    Ok(set)
}

/// The files a pattern names, in name order, each with its name as shown (relative, as written).
fn expand(pattern: &CasesPattern) -> Result<Vec<(PathBuf, String)>, InvalidInput> {
    let text = pattern.path.to_string_lossy();
    let mut paths: Vec<PathBuf> = glob::glob(&text)
        .map_err(|e| InvalidInput::msg(format!("cases `{}`: {e}", pattern.display)))?
        .filter_map(Result::ok)
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(InvalidInput::msg(format!(
            "cases `{}` match no file (looked for {})",
            pattern.display,
            pattern.path.display()
        )));
    }
    let base = base_of(pattern);
    Ok(paths
        .into_iter()
        .map(|path| {
            let shown = match path.strip_prefix(&base) {
                Ok(rest) => rest.display().to_string(),
                Err(_) => path.display().to_string(),
            };
            (path, shown)
        })
        .collect())
}

/// The manifest's directory, from a pattern (its path is the directory joined with the pattern).
fn base_of(pattern: &CasesPattern) -> PathBuf {
    let written = Path::new(&pattern.display).components().count();
    let mut base = pattern.path.clone();
    for _ in 0..written {
        base.pop();
    }
    base
}

fn from_json(bytes: &[u8], file: &str) -> Result<Vec<Case>, InvalidInput> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| InvalidInput::msg(format!("cases {file}:{}:{}: {e}", e.line(), e.column())))?;
    let Value::Array(records) = value else {
        return Err(InvalidInput::msg(format!(
            "cases {file}: expected a list of records"
        )));
    };
    records
        .into_iter()
        .enumerate()
        .map(|(index, record)| match record {
            Value::Object(map) => Ok(split(format!("{file}:{}", index + 1), map)),
            other => Err(InvalidInput::msg(format!(
                "cases {file}: record {} is not an object of inputs: {other}",
                index + 1
            ))),
        })
        .collect()
}

fn from_csv(bytes: &[u8], file: &str) -> Result<Vec<Case>, InvalidInput> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| InvalidInput::msg(format!("cases {file}: {e}")))?
        .clone();
    let mut cases = Vec::new();
    for row in reader.records() {
        let row = row.map_err(|e| {
            let line = e.position().map_or(0, csv::Position::line);
            InvalidInput::msg(format!("cases {file}:{line}: {e}"))
        })?;
        let line = row.position().map_or(0, csv::Position::line);
        let map = headers
            .iter()
            .zip(row.iter())
            .filter(|(_, cell)| !cell.is_empty())
            .map(|(name, cell)| (name.to_owned(), cell_value(cell)))
            .collect();
        cases.push(split(format!("{file}:{line}"), map));
    }
    Ok(cases)
}

fn cell_value(cell: &str) -> Value {
    match cell {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => cell
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| Value::String(cell.to_owned()), Value::Number),
    }
}

fn split(id: String, record: Map<String, Value>) -> Case {
    let (mut inputs, mut expected) = (Map::new(), Map::new());
    for (key, value) in record {
        match key.strip_prefix(EXPECTED) {
            Some(name) => expected.insert(name.to_owned(), value),
            None => inputs.insert(key, value),
        };
    }
    Case {
        id,
        inputs,
        expected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn csv_cells_become_numbers_booleans_or_text_and_expected_columns_are_outputs() {
        let text =
            "age,cover,smoker,name,expected.premium\n40,100000,false,ann,140\n61,,true,bob,\n";
        let cases = from_csv(text.as_bytes(), "c.csv").unwrap();
        assert_eq!(cases[0].id, "c.csv:2");
        assert_eq!(cases[0].inputs["age"], json!(40.0));
        assert_eq!(cases[0].inputs["smoker"], json!(false));
        assert_eq!(cases[0].inputs["name"], json!("ann"));
        assert_eq!(cases[0].expected["premium"], json!(140.0));
        assert!(!cases[1].inputs.contains_key("cover") && cases[1].expected.is_empty());
        assert_eq!(cases[1].id, "c.csv:3");
    }

    #[test]
    fn json_cases_are_a_list_of_records_and_errors_name_the_place() {
        let cases = from_json(br#"[{"age": 1, "expected.band": "x"}]"#, "c.json").unwrap();
        assert_eq!(cases[0].expected["band"], "x");
        let bad = from_json(b"[1]", "c.json").unwrap_err().to_string();
        assert!(bad.contains("c.json: record 1"), "{bad}");
        let broken = from_json(b"[{", "c.json").unwrap_err().to_string();
        assert!(broken.starts_with("cases c.json:1:"), "{broken}");
        let ragged = from_csv(b"a,b\n1\n", "r.csv").unwrap_err().to_string();
        assert!(ragged.starts_with("cases r.csv:2:"), "{ragged}");
    }
}
