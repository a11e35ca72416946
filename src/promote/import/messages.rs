//! Server messages (job errors and warnings) as text.
use crate::spark::JobMessage;

/// `: first; second` or nothing.
pub fn suffix(messages: &[JobMessage]) -> String {
    if messages.is_empty() {
        String::new()
    } else {
        format!(": {}", join(messages))
    }
}

/// The messages joined with `; `.
pub fn join(messages: &[JobMessage]) -> String {
    messages
        .iter()
        .map(|message| message.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Each message as text.
pub fn texts(messages: &[JobMessage]) -> Vec<String> {
    messages.iter().map(|message| message.to_string()).collect()
}
