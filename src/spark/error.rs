//! Typed errors of the ImpEx client. None of them ever carries a header, a token, a key or a secret.
use std::fmt;

use reqwest::{Method, StatusCode};
use url::Url;

use super::retry;
use crate::error_body::{self, ErrorBody, truncate};

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
    /// A v3 one-record execute call.
    Execute,
    /// A v4 batch execute call.
    ExecuteBatch,
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
            Self::Execute => "execute",
            Self::ExecuteBatch => "batch execute",
        })
    }
}

/// Whose credentials a client sends, for its messages: the environment and where its secrets come from
/// (`SPARK_PROD_TOKEN (the bearer token of environment prod in spark-promote.yaml)`). Names only, never a
/// value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialsLabel {
    pub environment: String,
    /// What to check, e.g. the variables and where the manifest names them.
    pub check: String,
}

/// A failure of the ImpEx client.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered with a non-success status.
    #[error("{}", http_display(*op, *status, code.as_deref(), message, request_id, credentials.as_deref()))]
    Http {
        op: Operation,
        status: StatusCode,
        method: Method,
        /// The URL called, without query, credentials or signed tokens.
        url: Box<str>,
        /// The `x-request-id` this client sent with the failing attempt (none for a download).
        request_id: Option<String>,
        /// The raw response body, truncated to a few KB.
        body: Box<str>,
        /// The error code found in the body (`code`, `errorCode`, or `error` beside a message).
        code: Option<Box<str>>,
        /// The error text found in the body, or the start of the body.
        message: Box<str>,
        /// Whose credentials were sent (named in a 401's message).
        credentials: Option<Box<CredentialsLabel>>,
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
    #[error("{}", auth_display(url, *status, message, credentials.as_deref()))]
    Auth {
        /// The token endpoint.
        url: String,
        status: Option<StatusCode>,
        message: String,
        /// Whose client credentials were sent (named in a refusal's message).
        credentials: Option<Box<CredentialsLabel>>,
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

    /// True when another attempt of an idempotent call may succeed: a transient status (see
    /// [`retry::is_transient`]), unless the body carries a code that Spark documents as a definite answer
    /// (a 500 `INVALID_JOB_ID` will not change by asking again).
    pub(crate) fn is_transient(&self) -> bool {
        match self {
            Self::Http { status, code, .. } => {
                retry::is_transient(*status) && !code.as_deref().is_some_and(is_definite)
            }
            _ => false,
        }
    }

    /// The error code the server sent with a refusal, e.g. `EXCEEDED_FILE_SIZE`.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Http { code, .. } => code.as_deref(),
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

    /// The error with whose credentials were sent, for a refusal of them to name (a 401, a token refused).
    pub(crate) fn labelled(mut self, label: Option<&CredentialsLabel>) -> Self {
        if let (Self::Http { credentials, .. } | Self::Auth { credentials, .. }, Some(label)) =
            (&mut self, label)
        {
            *credentials = Some(Box::new(label.clone()));
        }
        self
    }

    /// True when the server refused the credentials themselves (401, or the token endpoint's refusal),
    /// not a permission (403) or anything else.
    pub fn is_credentials_refused(&self) -> bool {
        match self {
            Self::Http { status, .. } => *status == StatusCode::UNAUTHORIZED,
            Self::Auth { status, .. } => status.is_some_and(|status| status.is_client_error()),
            _ => false,
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
        let (code, message) = read_body(&text, status);
        Self::Http {
            op,
            status,
            method: method.clone(),
            url: url.into(),
            request_id: request_id.map(str::to_owned),
            body: truncate(&text, BODY_LIMIT).into(),
            code: code.map(String::into_boxed_str),
            message: message.into(),
            credentials: None,
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

/// Codes that Spark documents on a 500 as an answer about the request, not an outage: a call that got one
/// is not sent again (and an import or export POST that got one created no job).
const DEFINITE_CODES: &[&str] = &["INVALID_JOB_ID", "EXCEEDED_FILE_SIZE", "INVALID_IMPORT_ZIP"];

fn is_definite(code: &str) -> bool {
    DEFINITE_CODES.contains(&code)
}

/// The code and the text of an error reply (see [`ErrorBody`]); a body that says nothing gives its start,
/// else the status's reason.
fn read_body(body: &str, status: StatusCode) -> (Option<String>, String) {
    let ErrorBody { code, message } = ErrorBody::parse(body).unwrap_or_default();
    let message = message
        .or_else(|| error_body::start(body, SNIPPET_LIMIT))
        .unwrap_or_else(|| {
            status
                .canonical_reason()
                .unwrap_or("no body")
                .to_lowercase()
        });
    (code, message)
}

/// The text of an error reply (see [`read_body`]).
pub(crate) fn extract_message(body: &str, status: StatusCode) -> String {
    read_body(body, status).1
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

const NO_SUCH_JOB: &str = "no such job on this tenant";
const TOO_LARGE: &str = "package over the tenant's size limit (200 MB by default)";

fn hint(op: Operation, status: StatusCode, code: Option<&str>) -> Option<&'static str> {
    match code {
        Some("INVALID_JOB_ID") => return Some(NO_SUCH_JOB),
        Some("EXCEEDED_FILE_SIZE") => return Some(TOO_LARGE),
        Some("INVALID_IMPORT_ZIP") => {
            return Some(
                "Spark could not read the package: import a ZIP made by a Spark export (file_filter migrate)",
            );
        }
        _ => {}
    }
    Some(match (status.as_u16(), op) {
        (401, _) => "check the credentials for this environment",
        (403, Operation::Import) => {
            "the credentials lack permission: an API key's group needs the feature permission Spark.Imports.json or Spark.AllEncompassingProxy.json"
        }
        (403, Operation::Export) => {
            "the credentials lack permission: an API key's group needs the feature permission Spark.Exports.json or Spark.AllEncompassingProxy.json"
        }
        (403, Operation::ExecuteBatch) => {
            "the credentials lack permission: an API key's group needs the feature permission Spark.SyncBatch.json or Spark.AllEncompassingProxy.json"
        }
        (404, Operation::Execute | Operation::ExecuteBatch) => {
            "no such service or version in this environment"
        }
        (403 | 404, Operation::Download) => {
            "the download link may have expired; run the export again"
        }
        (403, _) => "the credentials lack permission for this call",
        (404, op) if op.is_job_lookup() => NO_SUCH_JOB,
        (404, _) => "check the environment URL (it must end with the tenant) and the names",
        (409, _) => "the tenant runs one job at a time: wait for the running job or cancel it",
        (413, _) => TOO_LARGE,
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
    code: Option<&str>,
    message: &str,
    request_id: &Option<String>,
    credentials: Option<&CredentialsLabel>,
) -> String {
    if let (401, Some(label)) = (status.as_u16(), credentials) {
        return format!(
            "{}: credentials refused ({op}, 401): {message}; check {}{}",
            label.environment,
            label.check,
            request_id_suffix(request_id)
        );
    }
    let verb = if status.is_server_error() && !code.is_some_and(is_definite) {
        "failed"
    } else {
        "refused"
    };
    let hint = hint(op, status, code)
        .map(|h| format!("; {h}"))
        .unwrap_or_default();
    // A code adds nothing when the text holds it or it only repeats the status (`{"error": "Conflict"}`,
    // `NOT_FOUND`).
    let code = code
        .filter(|code| {
            !message.contains(code)
                && !status
                    .canonical_reason()
                    .is_some_and(|reason| reason.eq_ignore_ascii_case(&code.replace('_', " ")))
        })
        .map(|code| format!("{code}: "))
        .unwrap_or_default();
    let id = request_id_suffix(request_id);
    format!(
        "{op} {verb} ({}): {code}{message}{hint}{id}",
        status.as_u16()
    )
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

fn auth_display(
    url: &str,
    status: Option<StatusCode>,
    message: &str,
    credentials: Option<&CredentialsLabel>,
) -> String {
    match (status, credentials) {
        (Some(status), Some(label)) if status.is_client_error() => {
            return format!(
                "{}: credentials refused (token request to {url}, {}): {message}; check {}",
                label.environment,
                status.as_u16(),
                label.check
            );
        }
        _ => {}
    }
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
    fn a_spark_error_body_gives_its_code_and_text_else_its_start_else_the_status_reason() {
        let cases: &[(&str, Option<&str>, &str)] = &[
            (
                r#"{"code":"INVALID_JOB_ID","message":"Please Provide valid job id"}"#,
                Some("INVALID_JOB_ID"),
                "Please Provide valid job id",
            ),
            ("<html>\n  oops </html>", None, "<html> oops </html>"),
            ("{}", None, "{}"),
            ("", None, "conflict"),
        ];
        for (body, code, message) in cases {
            let (read_code, read_message) = read_body(body, StatusCode::CONFLICT);
            assert_eq!(read_code.as_deref(), *code, "{body}");
            assert_eq!(read_message, *message, "{body}");
        }
    }

    fn http(status: u16, body: &str) -> Error {
        Error::http(
            Operation::Import,
            &Method::POST,
            "http://h/acme/api/v4/import",
            None,
            StatusCode::from_u16(status).unwrap(),
            body.as_bytes(),
        )
    }

    #[test]
    fn a_500_with_a_documented_code_is_an_answer_and_one_without_is_an_outage() {
        let cases = [
            (
                500,
                r#"{"type":"invalid_input","code":"INVALID_JOB_ID","message":"Please Provide valid job id"}"#,
                false,
            ),
            (
                500,
                r#"{"type":"invalid_input","code":"EXCEEDED_FILE_SIZE","message":"m"}"#,
                false,
            ),
            (
                500,
                r#"{"type":"invalid_input","code":"INVALID_IMPORT_ZIP","message":"m"}"#,
                false,
            ),
            (
                500,
                r#"{"status":500,"error":"Internal Server Error","message":"boom"}"#,
                true,
            ),
            (500, r#"{"code":"SOMETHING_ELSE","message":"m"}"#, true),
            (503, "", true),
            (429, "", true),
            (404, r#"{"code":"INVALID_JOB_ID"}"#, false),
            (409, r#"{"error":"Conflict","message":"busy"}"#, false),
        ];
        for (status, body, transient) in cases {
            let error = http(status, body);
            assert_eq!(error.is_transient(), transient, "{status} {body}");
            assert!(!error.is_ambiguous(), "{status} {body}");
        }
    }

    #[test]
    fn refusals_show_their_code_once_with_a_hint() {
        let cases = [
            (
                500,
                r#"{"type":"invalid_input","code":"EXCEEDED_FILE_SIZE","message":"The uploaded file size of 250 MB exceeds the upload limit of 200 MB."}"#,
                "import refused (500): EXCEEDED_FILE_SIZE: The uploaded file size of 250 MB exceeds the upload limit of 200 MB.; package over the tenant's size limit (200 MB by default)",
            ),
            (
                500,
                r#"{"type":"invalid_input","code":"INVALID_IMPORT_ZIP","message":"invalid zip file"}"#,
                "import refused (500): INVALID_IMPORT_ZIP: invalid zip file; Spark could not read the package: import a ZIP made by a Spark export (file_filter migrate)",
            ),
            (
                401,
                r#"{"status":"Error","errorCode":"INVALID_TOKEN"}"#,
                "import refused (401): INVALID_TOKEN; check the credentials for this environment",
            ),
            (
                409,
                r#"{"status":409,"error":"Conflict","message":"another job is running"}"#,
                "import refused (409): another job is running; the tenant runs one job at a time: wait for the running job or cancel it",
            ),
            (
                500,
                r#"{"status":500,"error":"Internal Server Error","message":"boom"}"#,
                "import failed (500): boom",
            ),
            (
                503,
                r#"{"type":"server_error","code":"SERVICE_UNAVAILABLE","message":"down"}"#,
                "import failed (503): down",
            ),
        ];
        for (status, body, shown) in cases {
            assert_eq!(http(status, body).to_string(), shown);
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
}
