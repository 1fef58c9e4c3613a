//! Typed parsing of provider payloads with errors that say what was expected and where.

use serde::Deserialize;

use crate::api::ProviderError;

/// Parses `bytes` as `T` (which may borrow from them); a mismatch is `malformed_response`
/// naming the field path, line and column, and what the family was expected to send.
pub fn parse_json<'a, T: Deserialize<'a>>(bytes: &'a [u8], what: &str) -> Result<T, ProviderError> {
    // The fast path: path tracking costs about as much as the parse, and is only needed to
    // explain a failure, so a payload is parsed again with it only when the plain parse fails.
    if let Ok(v) = serde_json::from_slice(bytes) {
        return Ok(v);
    }
    explain(bytes, what)
}

/// Parses one stream event's data (text already known to be UTF-8, so not checked again).
pub fn parse_event<'a, T: Deserialize<'a>>(data: &'a str, what: &str) -> Result<T, ProviderError> {
    if let Ok(v) = serde_json::from_str(data) {
        return Ok(v);
    }
    explain(data.as_bytes(), what)
}

/// Parses `bytes` again with path tracking, for the error that says where they went wrong.
fn explain<'a, T: Deserialize<'a>>(bytes: &'a [u8], what: &str) -> Result<T, ProviderError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let at = if path.is_empty() || path == "." { String::new() } else { format!(" at `{path}`") };
        ProviderError::malformed(format!("failed to decode {what}{at}: {inner}",))
    })
}

/// A JSON value rendered as the arguments string of a tool call: strings stay as sent, objects
/// are serialised, null and absent become empty (normalised to `{}` later).
pub fn arguments_string(v: Option<&serde_json::Value>) -> String {
    match v {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}
