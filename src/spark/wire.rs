//! Lenient decoding of what Spark sends: nulls for lists, numbers as strings, errors of any shape.
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::error::message_in;

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

impl JobMessage {
    fn from_value(value: Value) -> Option<Self> {
        match value {
            Value::Null => None,
            Value::String(message) => Some(Self {
                message,
                code: None,
                raw: None,
            }),
            Value::Object(ref map) => {
                let code = ["code", "error_code", "errorCode"].iter().find_map(|key| {
                    match map.get(*key)? {
                        Value::String(s) => Some(s.clone()),
                        Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    }
                });
                let message = message_in(&value).unwrap_or_else(|| value.to_string());
                Some(Self {
                    message,
                    code,
                    raw: Some(value),
                })
            }
            other => Some(Self {
                message: other.to_string(),
                code: None,
                raw: None,
            }),
        }
    }
}

/// `errors`/`warnings`: null, one message, or a list of strings or objects; never fails.
pub(crate) fn messages<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<JobMessage>, D::Error> {
    let value = Option::<Value>::deserialize(deserializer)?.unwrap_or(Value::Null);
    Ok(match value {
        Value::Array(items) => items
            .into_iter()
            .filter_map(JobMessage::from_value)
            .collect(),
        other => JobMessage::from_value(other).into_iter().collect(),
    })
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
    fn messages_of_every_shape_decode() {
        assert!(errors(r#"{"errors":null}"#).is_empty());
        assert!(errors("{}").is_empty());
        assert_eq!(errors(r#"{"errors":"one"}"#), ["one"]);
        assert_eq!(errors(r#"{"errors":["a",null,"b"]}"#), ["a", "b"]);
        assert_eq!(
            errors(r#"{"errors":[{"code":"E1","message":"bad"},{"x":1},7]}"#),
            ["bad", r#"{"x":1}"#, "7"]
        );
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
