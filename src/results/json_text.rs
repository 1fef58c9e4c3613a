//! A JSON value a row keeps only to write it out again (the request a case sent), held as its
//! compact text: as a `serde_json::Value` tree every object is a map of owned keys and boxed
//! values, about six times the text's size, and a run keeps one per case until its reports are
//! written.

use serde::de::Error as _;
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// Compact JSON text. It serializes exactly as the [`Value`] it was made from (same keys in the
/// same order, same numbers), pretty-printed or not, so `results.json`, `results.jsonl` and the
/// reports read the same as when rows held the `Value` itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonText(Box<str>);

impl JsonText {
    /// The JSON of `v`, by way of the `Value` `serde_json::to_value` makes of it.
    pub fn of<T: Serialize>(v: &T) -> Result<JsonText, serde_json::Error> {
        JsonText::from_value(&serde_json::to_value(v)?)
    }

    pub fn from_value(v: &Value) -> Result<JsonText, serde_json::Error> {
        Ok(JsonText(serde_json::to_string(v)?.into_boxed_str()))
    }

    /// The value again (a new tree, for a reader that walks it).
    pub fn to_value(&self) -> Result<Value, serde_json::Error> {
        serde_json::from_str(&self.0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Serialize for JsonText {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Through a `Value` (dropped at once): the serializer's own formatting (indentation in a
        // pretty file) applies as it did to the value this was made from.
        self.to_value().map_err(S::Error::custom)?.serialize(s)
    }
}

impl<'de> Deserialize<'de> for JsonText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        JsonText::from_value(&Value::deserialize(d)?).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_exactly_as_the_value_it_was_made_from() {
        let v: Value = serde_json::from_str(
            r#"{"model":"m","messages":[{"role":"user","content":"a \"quoted\" <text> é \u0001"}],
                "temperature":0.1,"max_tokens":18446744073709551615,"n":-3,"stop":null,"z":{},"a":[],"f":1e300}"#,
        )
        .unwrap();
        let t = JsonText::from_value(&v).unwrap();
        assert_eq!(serde_json::to_string(&t).unwrap(), serde_json::to_string(&v).unwrap());
        assert_eq!(serde_json::to_string_pretty(&t).unwrap(), serde_json::to_string_pretty(&v).unwrap());
        assert!(t.as_str().starts_with(r#"{"model":"m","messages""#), "key order kept: {}", t.as_str());
        let back: JsonText = serde_json::from_str(&serde_json::to_string_pretty(&t).unwrap()).unwrap();
        assert_eq!(back, t);
        assert_eq!(back.to_value().unwrap(), v);
    }
}
