//! Typed parsing of provider payloads with errors that say what was expected and where.

use serde::de::DeserializeOwned;

use crate::api::ProviderError;

/// Parses `bytes` as `T`; a mismatch is `malformed_response` naming the field path, line and
/// column, and what the family was expected to send.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, ProviderError> {
    // The fast path: path tracking costs about as much as the parse, and is only needed to
    // explain a failure, so a payload is parsed again with it only when the plain parse fails.
    if let Ok(v) = serde_json::from_slice(bytes) {
        return Ok(v);
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let at = if path.is_empty() || path == "." { String::new() } else { format!(" at `{path}`") };
        ProviderError::malformed(format!("failed to decode {what}{at}: {inner}",))
    })
}

/// Parses one stream event's data.
pub fn parse_event<T: DeserializeOwned>(data: &str, what: &str) -> Result<T, ProviderError> {
    parse_json(data.as_bytes(), what)
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
