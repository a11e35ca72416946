//! Typed errors of the ImpEx client. None of them ever carries a header, a token, a key or a secret.
use std::fmt;

use reqwest::{Method, StatusCode};
use url::Url;

/// The most of a response body an error keeps.
const BODY_LIMIT: usize = 4 * 1024;
/// The most of a body shown in a message when no error text could be extracted from it.
const SNIPPET_LIMIT: usize = 300;

/// Which client call failed; names the call in messages and picks the hints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// The client-credentials token request.
    Token,
    Import,
    ImportStatus,
    CancelImport,
    ImportJobs,
    Export,
    ExportStatus,
    CancelExport,
    ExportJobs,
    /// The v3 `exists` read of a service.
    ServiceExists,
    /// The v1 `isproductexists` read of a folder.
    FolderExists,
    /// The v1 `getversions` read of a service's versions.
    ServiceVersions,
    /// The download of an exported package from its pre-signed URL.
    Download,
}

impl Operation {
    fn is_job_lookup(self) -> bool {
        matches!(
            self,
            Self::ImportStatus | Self::CancelImport | Self::ExportStatus | Self::CancelExport
        )
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Token => "token request",
            Self::Import => "import",
            Self::ImportStatus => "import status",
            Self::CancelImport => "import cancel",
            Self::ImportJobs => "import job list",
            Self::Export => "export",
            Self::ExportStatus => "export status",
            Self::CancelExport => "export cancel",
            Self::ExportJobs => "export job list",
            Self::ServiceExists => "service lookup",
            Self::FolderExists => "folder lookup",
            Self::ServiceVersions => "service versions lookup",
            Self::Download => "download",
        })
    }
}

/// A failure of the ImpEx client.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered with a non-success status.
    #[error("{}", http_display(*op, *status, message, request_id))]
    Http {
        op: Operation,
        status: StatusCode,
        method: Method,
        /// The URL called, without query, credentials or signed tokens.
        url: String,
        /// The `x-request-id` this client sent with the failing attempt (none for a download).
        request_id: Option<String>,
        /// The raw response body, truncated to a few KB.
        body: String,
        /// The error text found in the body, or the start of the body.
        message: String,
    },
    /// The request could not be sent or its answer could not be read.
    #[error("{}{}", transport_display(*op, method, url, *ambiguous, detail), request_id_suffix(request_id))]
    Transport {
        op: Operation,
        method: Method,
        url: String,
        request_id: Option<String>,
        /// The request may have reached the server and been accepted (only for calls that are never retried).
        ambiguous: bool,
        /// The cause, e.g. `connection refused`.
        detail: String,
    },
    /// A success response whose body is not what the API documents.
    #[error(
        "{op}: unexpected response from {url}: {detail}{}",
        request_id_suffix(request_id)
    )]
    Decode {
        op: Operation,
        url: String,
        request_id: Option<String>,
        detail: String,
    },
    /// The token endpoint refused the client credentials or could not be reached.
    #[error("{}", auth_display(url, *status, message))]
    Auth {
        /// The token endpoint.
        url: String,
        status: Option<StatusCode>,
        message: String,
    },
    /// A local file could not be read or written.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// The client was given something it cannot use (base URL, a request, a credential's characters).
    #[error("{0}")]
    Invalid(String),
}

impl Error {
    /// True when a call that is never retried may have been accepted anyway: look for its correlation id
    /// among the tenant's jobs before sending it again.
    pub fn is_ambiguous(&self) -> bool {
        match self {
            Self::Transport { ambiguous, .. } => *ambiguous,
            // The job was accepted, but its id could not be read.
            Self::Decode { op, .. } => matches!(op, Operation::Import | Operation::Export),
            _ => false,
        }
    }

    /// The HTTP status of a refused call (or of a refused token request).
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Http { status, .. } => Some(*status),
            Self::Auth { status, .. } => *status,
            _ => None,
        }
    }

    /// True when the tenant refused because another job is running (409).
    pub fn is_busy(&self) -> bool {
        self.status() == Some(StatusCode::CONFLICT)
    }

    /// The `x-request-id` of the failing attempt, for Coherent support.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::Http { request_id, .. }
            | Self::Transport { request_id, .. }
            | Self::Decode { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }

    pub(crate) fn transport(
        op: Operation,
        method: &Method,
        url: &str,
        request_id: Option<&str>,
        ambiguous: bool,
        error: &reqwest::Error,
    ) -> Self {
        Self::Transport {
            op,
            method: method.clone(),
            url: url.to_owned(),
            request_id: request_id.map(str::to_owned),
            ambiguous,
            detail: cause_chain(error),
        }
    }

    pub(crate) fn http(
        op: Operation,
        method: &Method,
        url: &str,
        request_id: Option<&str>,
        status: StatusCode,
        body: &[u8],
    ) -> Self {
        let text = String::from_utf8_lossy(body);
        Self::Http {
            op,
            status,
            method: method.clone(),
            url: url.to_owned(),
            request_id: request_id.map(str::to_owned),
            body: truncate(&text, BODY_LIMIT),
            message: extract_message(&text, status),
        }
    }
}

/// A URL as shown in errors and logs: no credentials, query or fragment; with `signed`, only the host and
/// the file name (the path of a pre-signed URL carries its access token).
pub(crate) fn display_url(url: &Url, signed: bool) -> String {
    let host = url.host_str().unwrap_or_default();
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    let path = if signed {
        let file = url
            .path_segments()
            .and_then(|mut s| s.next_back())
            .unwrap_or_default();
        format!("/…/{file}")
    } else {
        url.path().to_owned()
    };
    format!("{}://{host}{port}{path}", url.scheme())
}

/// The text of an error reply: the common JSON shapes (`error`, `message`, `errors[]`, OAuth's
/// `error_description`), else the start of the body, else the status's reason.
pub(crate) fn extract_message(body: &str, status: StatusCode) -> String {
    let from_json = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| message_in(&v));
    if let Some(message) = from_json.filter(|m| !m.is_empty()) {
        return message;
    }
    let flat = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("no body")
            .to_lowercase()
    } else {
        truncate(&flat, SNIPPET_LIMIT)
    }
}

/// Finds an error text in a JSON value, looking through the usual keys and nesting.
pub(crate) fn message_in(value: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
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

fn truncate(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_owned();
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// The error and its causes on one line; reqwest's own URL is stripped first (a download URL is signed).
pub(crate) fn cause_chain(error: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    let mut current: Option<&dyn std::error::Error> = Some(error);
    while let Some(e) = current {
        let text = e.to_string();
        if !parts.contains(&text) {
            parts.push(text);
        }
        current = e.source();
    }
    let stripped: Vec<String> = parts.into_iter().map(|p| strip_url_suffix(&p)).collect();
    stripped.join(": ")
}

/// reqwest writes `... for url (http://..)`: drop that part.
fn strip_url_suffix(text: &str) -> String {
    match text.find(" for url (") {
        Some(i) => text[..i].to_owned(),
        None => text.to_owned(),
    }
}

fn hint(op: Operation, status: StatusCode) -> Option<&'static str> {
    Some(match (status.as_u16(), op) {
        (401, _) => "check the credentials for this environment",
        (403, Operation::Import) => {
            "the credentials lack permission: an API key's group needs the feature permission Spark.Imports.json or Spark.AllEncompassingProxy.json"
        }
        (403, Operation::Export) => {
            "the credentials lack permission: an API key's group needs the feature permission Spark.Exports.json or Spark.AllEncompassingProxy.json"
        }
        (403 | 404, Operation::Download) => {
            "the download link may have expired; run the export again"
        }
        (403, _) => "the credentials lack permission for this call",
        (404, op) if op.is_job_lookup() => "no such job on this tenant",
        (404, _) => "check the environment URL (it must end with the tenant) and the names",
        (409, _) => "the tenant runs one job at a time: wait for the running job or cancel it",
        (413, _) => "package over the tenant's size limit (200 MB by default)",
        (429, _) => "rate limited by the server",
        _ => return None,
    })
}

fn request_id_suffix(request_id: &Option<String>) -> String {
    request_id
        .as_ref()
        .map(|id| format!(" [request id {id}]"))
        .unwrap_or_default()
}

fn http_display(
    op: Operation,
    status: StatusCode,
    message: &str,
    request_id: &Option<String>,
) -> String {
    let verb = if status.is_server_error() {
        "failed"
    } else {
        "refused"
    };
    let hint = hint(op, status)
        .map(|h| format!("; {h}"))
        .unwrap_or_default();
    let id = request_id_suffix(request_id);
    format!("{op} {verb} ({}): {message}{hint}{id}", status.as_u16())
}

fn transport_display(
    op: Operation,
    method: &Method,
    url: &str,
    ambiguous: bool,
    detail: &str,
) -> String {
    if ambiguous {
        format!(
            "{op} ({method} {url}) was interrupted after the request was sent, so the server may have accepted it: {detail}"
        )
    } else {
        format!("{op} ({method} {url}) failed: {detail}")
    }
}

fn auth_display(url: &str, status: Option<StatusCode>, message: &str) -> String {
    match status {
        Some(status) => format!(
            "token request to {url} refused ({}): {message}; check the client id and secret",
            status.as_u16()
        ),
        None => format!("token request to {url} failed: {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_found_in_the_common_json_shapes() {
        let cases = [
            (r#"{"error":"busy"}"#, "busy"),
            (r#"{"error":{"code":"X","message":"nested"}}"#, "nested"),
            (r#"{"message":"plain"}"#, "plain"),
            (r#"{"errors":["a",{"message":"b"}]}"#, "a; b"),
            (
                r#"{"error":"invalid_client","error_description":"bad secret"}"#,
                "invalid_client: bad secret",
            ),
            ("<html>\n  oops </html>", "<html> oops </html>"),
            ("", "conflict"),
        ];
        for (body, expected) in cases {
            assert_eq!(
                extract_message(body, StatusCode::CONFLICT),
                expected,
                "{body}"
            );
        }
    }

    #[test]
    fn signed_urls_show_only_host_and_file_name() {
        let url =
            Url::parse("https://store.example/docstore/tokens/SECRET/package.zip?sig=x").unwrap();
        assert_eq!(
            display_url(&url, true),
            "https://store.example/…/package.zip"
        );
        let url = Url::parse("http://u:p@127.0.0.1:81/acme/api/v4/import?x=1").unwrap();
        assert_eq!(
            display_url(&url, false),
            "http://127.0.0.1:81/acme/api/v4/import"
        );
    }

    #[test]
    fn long_bodies_are_cut_on_a_char_boundary() {
        let text = "é".repeat(BODY_LIMIT);
        let cut = truncate(&text, BODY_LIMIT);
        assert!(cut.len() <= BODY_LIMIT + "…".len());
        assert!(cut.ends_with('…'));
    }
}
