//! Reading a request body under the cap, and parsing it as a chat request with errors that
//! name the field at fault.

use axum::body::Body;
use axum::http::HeaderMap;
use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};

use crate::ApiError;
use llm_conform_core::api::ChatRequest;

/// The whole body, or 413 as soon as it is known to exceed `limit` (from `content-length`
/// before reading anything, else while reading).
pub async fn read_capped(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, ApiError> {
    let declared = headers.get("content-length").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::too_large(limit));
    }
    match Limited::new(body, limit).collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) if e.is::<LengthLimitError>() => Err(ApiError::too_large(limit)),
        Err(e) => Err(ApiError::bad_request(format!("failed to read the request body: {e}"), None)),
    }
}

/// The chat request, or 400 naming the field and position of the first problem. A good body is
/// parsed once, plainly; only a bad one is parsed again with path tracking (which doubles the
/// parse, on every request when it was the only parse) to name the field.
pub fn parse_chat_request(bytes: &[u8]) -> Result<ChatRequest, ApiError> {
    let req = match serde_json::from_slice::<ChatRequest>(bytes) {
        Ok(req) => req,
        Err(_) => located_error(bytes)?,
    };
    if req.messages.is_empty() {
        return Err(ApiError::bad_request("`messages` must hold at least one message", Some("messages")));
    }
    Ok(req)
}

/// The 400 of a body that did not parse, naming the field at fault.
fn located_error(bytes: &[u8]) -> Result<ChatRequest, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let at = format!("line {}, column {}", inner.line(), inner.column());
        if path == "." {
            ApiError::bad_request(format!("invalid JSON body at {at}: {inner}"), None)
        } else {
            ApiError::bad_request(format!("invalid field `{path}` at {at}: {inner}"), None)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_fields_are_named() {
        let e = parse_chat_request(br#"{"model": "cheap", "messages": [{"role": "user", "content": 3}]}"#).unwrap_err();
        assert!(e.message.contains("messages[0]"), "{}", e.message);
        let e = parse_chat_request(b"{\"model\": ").unwrap_err();
        assert!(e.message.contains("line 1"), "{}", e.message);
        let e = parse_chat_request(br#"{"model": "cheap", "messages": []}"#).unwrap_err();
        assert_eq!(e.param, Some("messages"));
    }
}
