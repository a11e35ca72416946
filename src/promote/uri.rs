//! Service URIs as Spark writes them in job outputs.

/// `folder/service[1.2.3]` → `folder/service`; leading slashes (seen in Spark's samples) dropped.
pub fn service_uri(uri: &str) -> String {
    let uri = uri.trim_start_matches('/');
    match uri.find('[') {
        Some(at) => uri[..at].to_string(),
        None => uri.to_string(),
    }
}
