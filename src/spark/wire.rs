//! Lenient decoding of what Spark sends: nulls for lists, numbers as strings, errors of any shape.
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::error_body::code_and_message;

/// A string enum that keeps values it does not know in `Other`, so a new server state never breaks decoding.
macro_rules! open_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
            /// A value this client does not know, as sent.
            Other(String),
        }

        impl $name {
            /// The wire name.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)*
                    Self::Other(other) => other,
                }
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match value.to_ascii_lowercase().as_str() {
                    $($wire => Self::$variant,)*
                    _ => Self::Other(value.to_owned()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = String::deserialize(deserializer)?;
                Ok(Self::from(value.as_str()))
            }
        }
    };
}
pub(crate) use open_enum;

/// A `null` becomes the type's default (an empty list, mostly).
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// A count of milliseconds sent as a number (integer or not) or a numeric string; anything else is none.
pub(crate) fn lenient_millis<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<u64>, D::Error> {
    let value = Option::<Value>::deserialize(deserializer)?;
    let millis = match value {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    // Truncating a non-negative float to whole milliseconds is what is wanted here.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(millis
        .filter(|m| m.is_finite() && *m >= 0.0)
        .map(|m| m as u64))
}

/// An error or warning of a job. Spark sends these as strings or as objects of no documented shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobMessage {
    /// The human-readable text.
    pub message: String,
    /// A code, when the server sent one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The object as sent, when it was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw: Option<Value>,
}

impl fmt::Display for JobMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Keys that make an object one message (`{type, code, message}`, `{error, message}`, ...) rather than an
/// object of messages keyed by a field or a category.
const MESSAGE_KEYS: &[&str] = &[
    "message",
    "code",
    "error",
    "errorCode",
    "error_code",
    "type",
    "detail",
    "description",
    "title",
];

impl JobMessage {
    /// One message: a string, an error object, or any other value as JSON text. `key` names where it was
    /// found in an object of messages (`services: ...`).
    fn new(value: Value, key: Option<&str>) -> Self {
        let (message, code, raw) = match value {
            Value::String(message) => (message.trim().to_owned(), None, None),
            Value::Object(_) => {
                let (code, message) = code_and_message(&value);
                let message = message.unwrap_or_else(|| value.to_string());
                (message, code, Some(value))
            }
            other => (other.to_string(), None, None),
        };
        let message = match key {
            Some(key) => format!("{key}: {message}"),
            None => message,
        };
        Self { message, code, raw }
    }

    /// Gathers the messages of `value`; empty values (null, `""`, `[]`, `{}`) hold none.
    fn collect(value: Value, key: Option<&str>, into: &mut Vec<Self>) {
        match value {
            Value::Null => {}
            Value::String(ref s) if s.trim().is_empty() => {}
            Value::Array(items) => {
                for item in items {
                    Self::collect(item, key, into);
                }
            }
            Value::Object(map) if !map.keys().any(|k| MESSAGE_KEYS.contains(&k.as_str())) => {
                for (inner, item) in map {
                    let path = match key {
                        Some(key) => format!("{key}.{inner}"),
                        None => inner,
                    };
                    Self::collect(item, Some(&path), into);
                }
            }
            one => into.push(Self::new(one, key)),
        }
    }
}

/// `errors`/`warnings` in every shape Spark sends: absent, null, `{}`, `[]`, a string, a list of strings or
/// objects, one error object, or an object of lists (or of strings or objects) keyed by a field or a
/// category. Empty means none; never fails.
pub(crate) fn messages<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<JobMessage>, D::Error> {
    let value = Option::<Value>::deserialize(deserializer)?.unwrap_or(Value::Null);
    let mut found = Vec::new();
    JobMessage::collect(value, None, &mut found);
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Holder {
        #[serde(default, deserialize_with = "messages")]
        errors: Vec<JobMessage>,
        #[serde(default, deserialize_with = "lenient_millis")]
        time: Option<u64>,
    }

    fn errors(json: &str) -> Vec<String> {
        let holder: Holder = serde_json::from_str(json).unwrap();
        holder.errors.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn messages_of_every_shape_decode_and_empty_means_none() {
        let cases: &[(&str, &[&str])] = &[
            // None at all.
            ("{}", &[]),
            (r#"{"errors":null}"#, &[]),
            (r#"{"errors":{}}"#, &[]),
            (r#"{"errors":[]}"#, &[]),
            (r#"{"errors":""}"#, &[]),
            (r#"{"errors":{"services":[],"versions":null}}"#, &[]),
            (r#"{"errors":[null,"",{}]}"#, &[]),
            // A string, a list of strings or of objects.
            (r#"{"errors":"one"}"#, &["one"]),
            (r#"{"errors":["a",null,"b"]}"#, &["a", "b"]),
            (
                r#"{"errors":[{"code":"E1","message":"bad"},{"x":1},7]}"#,
                &["bad", "x: 1", "7"],
            ),
            // One error object ({type, code, message}, {error, message}, {status, errorCode}).
            (
                r#"{"errors":{"type":"invalid_input","code":"SERVICE_NOT_FOUND","message":"service could not be found"}}"#,
                &["service could not be found"],
            ),
            (
                r#"{"errors":{"error":"Conflict","message":"busy"}}"#,
                &["busy"],
            ),
            (
                r#"{"errors":{"status":"Error","errorCode":"INVALID_TOKEN"}}"#,
                &["INVALID_TOKEN"],
            ),
            // An object of lists, of strings or of objects.
            (
                r#"{"errors":{"services":["a/b exists"],"versions":["1.0.0 clash","2.0.0 clash"]}}"#,
                &[
                    "services: a/b exists",
                    "versions: 1.0.0 clash",
                    "versions: 2.0.0 clash",
                ],
            ),
            (r#"{"errors":{"file":"not a zip"}}"#, &["file: not a zip"]),
            (
                r#"{"errors":{"a/b":{"code":"E","message":"exists"},"deep":{"x":["y"]}}}"#,
                &["a/b: exists", "deep.x: y"],
            ),
        ];
        for (json, expected) in cases {
            assert_eq!(errors(json), *expected, "{json}");
        }
    }

    #[test]
    fn an_error_object_keeps_its_code_and_the_object_as_sent() {
        let holder: Holder = serde_json::from_str(
            r#"{"errors":{"type":"invalid_input","code":"INVALID_IMPORT_ZIP","message":"bad zip"}}"#,
        )
        .unwrap();
        let [error] = holder.errors.as_slice() else {
            panic!("one error: {:?}", holder.errors)
        };
        assert_eq!(error.code.as_deref(), Some("INVALID_IMPORT_ZIP"));
        assert_eq!(error.raw.as_ref().unwrap()["type"], "invalid_input");
    }

    #[test]
    fn millis_accept_numbers_and_numeric_strings() {
        let time = |json: &str| serde_json::from_str::<Holder>(json).unwrap().time;
        assert_eq!(time(r#"{"time":12}"#), Some(12));
        assert_eq!(time(r#"{"time":12.7}"#), Some(12));
        assert_eq!(time(r#"{"time":"34"}"#), Some(34));
        assert_eq!(time(r#"{"time":"soon"}"#), None);
        assert_eq!(time(r#"{"time":null}"#), None);
    }
}
