//! An encoded request body: the JSON bytes the transport sends, and the same body as a
//! `serde_json::Value` for whoever reads or edits it.
//!
//! Building a `Value` (every object an index map, every key allocated and hashed), serializing
//! it and dropping it cost more than everything else in encoding a request. An adapter that can
//! write its body straight to bytes does; the `Value` that recording, the `encode` command,
//! per-scenario overrides and tests look at is parsed from those bytes the first time one of
//! them asks. Either way the body is one JSON document: the bytes are the `Value` serialized,
//! the `Value` is the bytes parsed, and an edit through the `Value` is what gets sent.

use std::borrow::Cow;
use std::ops::{Deref, DerefMut};
use std::sync::OnceLock;

use serde::{Serialize, Serializer};
use serde_json::Value;

/// See the module documentation.
#[derive(Clone, Default)]
pub struct RequestBody {
    /// The serialized body, while no edit has made it stale.
    bytes: Option<Vec<u8>>,
    value: OnceLock<Value>,
}

impl RequestBody {
    /// A body written as JSON bytes by an adapter (`serde_json::to_vec` of what it encodes).
    pub(crate) fn from_json_bytes(bytes: Vec<u8>) -> Self {
        RequestBody { bytes: Some(bytes), value: OnceLock::new() }
    }

    /// The bytes to send: those the adapter wrote, or the `Value` serialized after an edit.
    pub fn to_bytes(&self) -> Result<Cow<'_, [u8]>, serde_json::Error> {
        match &self.bytes {
            Some(b) => Ok(Cow::Borrowed(b)),
            None => serde_json::to_vec(self.value()).map(Cow::Owned),
        }
    }

    /// The body as a `Value`, parsed from the bytes on first use. Bytes an adapter wrote are
    /// JSON by construction; were they not, the body reads as `null` rather than panic.
    pub fn value(&self) -> &Value {
        self.value.get_or_init(|| self.bytes.as_deref().map_or(Value::Null, parse))
    }

    /// The body as a `Value` to edit: what is sent from then on.
    pub fn value_mut(&mut self) -> &mut Value {
        let value = match self.value.take() {
            Some(v) => v,
            None => self.bytes.as_deref().map_or(Value::Null, parse),
        };
        self.bytes = None;
        self.value = OnceLock::from(value);
        self.value.get_mut().expect("set on the line before")
    }
}

impl From<RequestBody> for Value {
    fn from(body: RequestBody) -> Value {
        let RequestBody { bytes, value } = body;
        value.into_inner().unwrap_or_else(|| bytes.as_deref().map_or(Value::Null, parse))
    }
}

fn parse(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or(Value::Null)
}

impl From<Value> for RequestBody {
    fn from(value: Value) -> Self {
        RequestBody { bytes: None, value: OnceLock::from(value) }
    }
}

impl Deref for RequestBody {
    type Target = Value;

    fn deref(&self) -> &Value {
        self.value()
    }
}

impl DerefMut for RequestBody {
    fn deref_mut(&mut self) -> &mut Value {
        self.value_mut()
    }
}

impl std::fmt::Debug for RequestBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.value().fmt(f)
    }
}

/// As the `Value` displays: compact JSON.
impl std::fmt::Display for RequestBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.value().fmt(f)
    }
}

impl PartialEq for RequestBody {
    fn eq(&self, other: &Self) -> bool {
        self.value() == other.value()
    }
}

impl PartialEq<Value> for RequestBody {
    fn eq(&self, other: &Value) -> bool {
        self.value() == other
    }
}

impl PartialEq<RequestBody> for Value {
    fn eq(&self, other: &RequestBody) -> bool {
        self == other.value()
    }
}

/// Serialized as the `Value` it is, so any format (pretty printing included) shows it as before.
impl Serialize for RequestBody {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value().serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn bytes_and_value_are_one_document() {
        let v = json!({"model": "m", "messages": [{"role": "user", "content": "hi"}], "temperature": 0.2});
        let from_bytes = RequestBody::from_json_bytes(serde_json::to_vec(&v).unwrap());
        let from_value = RequestBody::from(v.clone());
        assert_eq!(from_bytes, v);
        assert_eq!(v, from_value);
        assert_eq!(from_bytes.to_bytes().unwrap(), from_value.to_bytes().unwrap());
        assert_eq!(serde_json::to_string_pretty(&from_bytes).unwrap(), serde_json::to_string_pretty(&v).unwrap());
        assert_eq!(from_bytes["messages"][0]["content"], "hi");
    }

    #[test]
    fn an_edit_is_what_gets_sent() {
        let mut body = RequestBody::from_json_bytes(br#"{"a":1}"#.to_vec());
        assert_eq!(body["a"], 1, "read before the edit");
        body["b"] = json!(true);
        assert_eq!(&*body.to_bytes().unwrap(), br#"{"a":1,"b":true}"#);
        let mut fresh = RequestBody::from_json_bytes(br#"{"a":1}"#.to_vec());
        fresh.value_mut().as_object_mut().unwrap().remove("a");
        assert_eq!(&*fresh.to_bytes().unwrap(), b"{}");
    }
}
