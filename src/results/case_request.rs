//! The canonical request a case sent, as its row keeps it for the report. The scenario's
//! request in one mode is the same on every provider but for the model, so the text is made once
//! per scenario and mode and shared, and a row adds only its model: in a 16× matrix the requests
//! were the largest part of the rows (340 bytes a case).

use std::sync::Arc;

use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::JsonText;

#[derive(Debug, Clone)]
pub struct CaseRequest {
    shared: Arc<JsonText>,
    /// The model this case asked for, where it is not the shared text's.
    model: Option<Box<str>>,
}

impl CaseRequest {
    /// `shared` as it stands, or with `model` in its `model` field.
    pub fn new(shared: Arc<JsonText>, model: Option<&str>) -> CaseRequest {
        CaseRequest { shared, model: model.map(Box::from) }
    }

    /// The request as JSON: the shared text with this case's model.
    pub fn to_value(&self) -> Result<Value, serde_json::Error> {
        let mut v = self.shared.to_value()?;
        if let (Some(model), Some(object)) = (&self.model, v.as_object_mut()) {
            // An existing key keeps its place: the text reads as the request serialized whole.
            object.insert("model".to_string(), Value::String(model.to_string()));
        }
        Ok(v)
    }
}

/// Two requests are equal when they read the same, however they are held.
impl PartialEq for CaseRequest {
    fn eq(&self, other: &Self) -> bool {
        match (self.to_value(), other.to_value()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
    }
}

impl Serialize for CaseRequest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.model {
            None => self.shared.serialize(s),
            Some(_) => self.to_value().map_err(S::Error::custom)?.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for CaseRequest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(CaseRequest { shared: Arc::new(JsonText::deserialize(d)?), model: None })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use llm_conform_core::api::ChatRequest;

    #[test]
    fn a_shared_request_with_its_model_writes_as_the_request_made_whole() {
        let mut req: ChatRequest =
            serde_json::from_str(r#"{"model":"","messages":[{"role":"user","content":"hi"}],"stream":true}"#).unwrap();
        let shared = Arc::new(JsonText::of(&req).unwrap());
        req.model = "gpt-4o-mini".into();
        let whole = serde_json::to_string_pretty(&JsonText::of(&req).unwrap()).unwrap();
        let held = CaseRequest::new(shared.clone(), Some("gpt-4o-mini"));
        assert_eq!(serde_json::to_string_pretty(&held).unwrap(), whole);
        let read: CaseRequest = serde_json::from_str(&whole).unwrap();
        assert_eq!(read, held, "a row read back equals the row written");
        assert_ne!(CaseRequest::new(shared, None), held);
    }
}
