//! The one reader of HTTP error bodies, for both clients (Spark's ImpEx API and GitHub's REST API): the code
//! and the text of a JSON body of any documented shape, and the start of a body that is not JSON. What to say
//! when a body says nothing is each client's call (Spark: the status's reason; GitHub: `no message`).
use serde_json::Value;

/// The most of an error's text a message quotes (a server's text is cut and redacted: see [`snippet`]).
const MESSAGE_LIMIT: usize = 500;
/// The most of an error code kept.
const CODE_LIMIT: usize = 100;

/// What a JSON error body says, from any of the shapes the two APIs use: `{error, message}`, Spark v4's
/// `{type, code, message}`, the gateway's `{status, errorCode}`, OAuth's `{error, error_description}` and
/// GitHub's `{message, documentation_url, errors}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ErrorBody {
    /// `code`, `errorCode` or `error_code`; else `error` when a separate text comes with it.
    pub code: Option<String>,
    /// The text (see [`message_in`]); else the code.
    pub message: Option<String>,
}

impl ErrorBody {
    /// Reads a JSON body; `None` when the body is not JSON.
    pub fn parse(body: &str) -> Option<Self> {
        let json = serde_json::from_str::<Value>(body).ok()?;
        let (code, message) = code_and_message(&json);
        Some(Self {
            code: code.map(|code| snippet(&code, CODE_LIMIT)),
            message: message.map(|message| snippet(&message, MESSAGE_LIMIT)),
        })
    }
}

/// The start of a body on one line (white space folded), cut at `limit` bytes; `None` when it is blank.
pub(crate) fn start(body: &str, limit: usize) -> Option<String> {
    let start = snippet(body, limit);
    (!start.is_empty()).then_some(start)
}

/// Server text as an error message may quote it: on one line, cut at `limit` bytes, secrets removed (see
/// [`crate::redact`]). serde's messages quote a whole string value, so they go through it too.
pub(crate) fn snippet(text: &str, limit: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    truncate(&crate::redact::text(&flat), limit)
}

/// The code and the text of an error value; the text falls back to the code (`{status, errorCode}`).
pub(crate) fn code_and_message(value: &Value) -> (Option<String>, Option<String>) {
    let code = code_in(value);
    let message = message_in(value)
        .filter(|m| !m.is_empty())
        .or_else(|| code.clone());
    (code, message)
}

/// The code of an error object: `code`, `errorCode` or `error_code` (a string or a number); else a string
/// `error` that comes with a separate text (`message`, `error_description`).
fn code_in(value: &Value) -> Option<String> {
    let map = value.as_object()?;
    let text = |key: &str| match map.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    ["code", "errorCode", "error_code"]
        .iter()
        .find_map(|key| text(key))
        .or_else(|| {
            let described = ["message", "error_description"]
                .iter()
                .any(|key| text(key).is_some());
            text("error").filter(|_| described)
        })
        .or_else(|| map.get("error").and_then(code_in))
}

/// Finds an error text in a JSON value, looking through the usual keys and nesting.
fn message_in(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().filter_map(message_in).collect();
            (!parts.is_empty()).then(|| parts.join("; "))
        }
        Value::Object(map) => {
            if let (Some(Value::String(code)), Some(Value::String(desc))) =
                (map.get("error"), map.get("error_description"))
            {
                return Some(format!("{code}: {desc}"));
            }
            [
                "message",
                "error",
                "errors",
                "detail",
                "title",
                "description",
            ]
            .iter()
            .filter_map(|key| map.get(*key))
            .find_map(message_in)
        }
        _ => None,
    }
}

/// `text` cut at `limit` bytes on a character boundary, with `…` when cut.
pub(crate) fn truncate(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_owned();
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_json_error_body_shape_gives_its_code_and_message() {
        let cases: &[(&str, Option<&str>, Option<&str>)] = &[
            // {error, message}: the sandbox's default and many gateways.
            (
                r#"{"status":409,"error":"Conflict","message":"busy"}"#,
                Some("Conflict"),
                Some("busy"),
            ),
            // Spark v4's {type, code, message}.
            (
                r#"{"type":"invalid_input","code":"EXCEEDED_FILE_SIZE","message":"too big"}"#,
                Some("EXCEEDED_FILE_SIZE"),
                Some("too big"),
            ),
            // The gateway's 401: a code and no text.
            (
                r#"{"status":"Error","errorCode":"INVALID_TOKEN"}"#,
                Some("INVALID_TOKEN"),
                Some("INVALID_TOKEN"),
            ),
            // OAuth's refusal.
            (
                r#"{"error":"invalid_client","error_description":"bad secret"}"#,
                Some("invalid_client"),
                Some("invalid_client: bad secret"),
            ),
            // GitHub's {message, documentation_url, errors}: the message, not the errors' codes.
            (
                r#"{"message":"Validation Failed","errors":[{"resource":"Issue","code":"missing_field","field":"title"}],"documentation_url":"https://docs.github.com/rest"}"#,
                None,
                Some("Validation Failed"),
            ),
            (r#"{"error":"busy"}"#, None, Some("busy")),
            (
                r#"{"error":{"code":"X","message":"nested"}}"#,
                Some("X"),
                Some("nested"),
            ),
            (r#"{"errors":["a",{"message":"b"}]}"#, None, Some("a; b")),
            (
                r#"{"code":42,"message":"numeric"}"#,
                Some("42"),
                Some("numeric"),
            ),
            (r#"{"message":""}"#, None, None),
            ("{}", None, None),
        ];
        for (body, code, message) in cases {
            let read = ErrorBody::parse(body).expect(body);
            assert_eq!(read.code.as_deref(), *code, "{body}");
            assert_eq!(read.message.as_deref(), *message, "{body}");
        }
    }

    #[test]
    fn a_body_that_is_not_json_gives_its_start_on_one_line() {
        let body = "<html>\n  oops </html>";
        assert_eq!(ErrorBody::parse(body), None);
        assert_eq!(start(body, 300).as_deref(), Some("<html> oops </html>"));
        assert_eq!(
            start(&"x".repeat(400), 300),
            Some(format!("{}…", "x".repeat(300)))
        );
        assert_eq!(start(" \n ", 300), None);
    }

    #[test]
    fn long_bodies_are_cut_on_a_char_boundary() {
        let limit = 4 * 1024;
        let text = "é".repeat(limit);
        let cut = truncate(&text, limit);
        assert!(cut.len() <= limit + "…".len());
        assert!(cut.ends_with('…'));
    }
}
