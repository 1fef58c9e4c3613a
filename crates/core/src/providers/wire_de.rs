//! Lean deserialization of provider payloads: what the wire structs are made of.
//!
//! Decoding an event into owned `String`s and `serde_json::Value`s costs an allocation per
//! field, most of them for text that is copied once more into a chunk or dropped. The wire
//! structs borrow instead: a string without escapes is a slice of the payload, one with escapes
//! is decoded into its own buffer, exactly as an owned `String` field would have been; a list of
//! which only the first element is used keeps only that one. What a field accepts and rejects
//! is unchanged (the same JSON types, the same `null` handling, the same error text), so a lean
//! wire struct decodes the same payloads to the same values.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::Deserialize;
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// Points a stream's shared id or model at `s`, allocating only when it changed: most streams
/// repeat the same value in every event.
pub(crate) fn share(slot: &mut Arc<str>, s: &str) {
    if **slot != *s {
        *slot = Arc::from(s);
    }
}

/// For `#[serde(default, borrow, deserialize_with = "opt_str")]` on an `Option<Cow<'a, str>>`:
/// what `Option<String>` accepts (a string, or `null` for `None`), borrowed.
pub(crate) fn opt_str<'de: 'a, 'a, D: Deserializer<'de>>(d: D) -> Result<Option<Cow<'a, str>>, D::Error> {
    Ok(Option::<Str<'a>>::deserialize(d)?.map(|s| s.0))
}

/// A string, borrowed when the payload allows.
struct Str<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_string(StrVisitor)
    }
}

struct StrVisitor;

impl<'de> Visitor<'de> for StrVisitor {
    type Value = Str<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        // As `String` says it, so a mismatch reads the same as before.
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Str(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Str(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Str(Cow::Owned(v)))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
        match std::str::from_utf8(v) {
            Ok(s) => Ok(Str(Cow::Owned(s.to_owned()))),
            Err(_) => Err(E::invalid_value(de::Unexpected::Bytes(v), &self)),
        }
    }
}

/// A JSON value where a string is the usual case (message content, tool-call arguments): a
/// string is kept borrowed, anything else is the `Value` it always was.
#[derive(Debug)]
#[cfg_attr(test, derive(PartialEq))]
pub(crate) enum WireJson<'a> {
    Str(Cow<'a, str>),
    Other(Value),
}

impl<'de: 'a, 'a> Deserialize<'de> for WireJson<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

impl WireJson<'_> {
    /// The value as `serde_json::Value` would hold it.
    #[cfg(test)]
    pub(crate) fn to_value(&self) -> Value {
        match self {
            WireJson::Str(s) => Value::String(s.to_string()),
            WireJson::Other(v) => v.clone(),
        }
    }

    /// The arguments string of a tool call, as [`super::parse::arguments_string`] makes it
    /// from the same value.
    pub(crate) fn arguments(&self) -> String {
        match self {
            WireJson::Str(s) => s.to_string(),
            WireJson::Other(v) => super::parse::arguments_string(Some(v)),
        }
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = WireJson<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(WireJson::Str(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(WireJson::Str(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(WireJson::Str(Cow::Owned(v)))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(WireJson::Other(Value::Bool(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(WireJson::Other(Value::from(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(WireJson::Other(Value::from(v)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        // `Value::from(f64)` is `Null` for a non-finite number, as `Value` deserializes it.
        Ok(WireJson::Other(Value::from(v)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(WireJson::Other(Value::Null))
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(WireJson::Other(Value::Null))
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        WireJson::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        Value::deserialize(SeqAccessDeserializer::new(seq)).map(WireJson::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        Value::deserialize(MapAccessDeserializer::new(map)).map(WireJson::Other)
    }
}

/// A struct read only from a JSON object, never from an array: derived structs also take their
/// fields positionally from an array, which a strict parse must not, so that what it accepts
/// is plainly a subset of what a `Value` would hold as an object.
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(crate) struct ObjectOnly<T>(pub(crate) T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ObjectOnly<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(ObjectVisitor(PhantomData))
    }
}

struct ObjectVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
    type Value = ObjectOnly<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(ObjectOnly)
    }
}

/// A JSON array of which only the first element is used (a response's `choices`): every
/// element is read and checked as a `Vec<T>` would read it, only the first is kept.
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(crate) struct FirstOf<T>(pub(crate) Option<T>);

impl<T> Default for FirstOf<T> {
    fn default() -> Self {
        FirstOf(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for FirstOf<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(FirstVisitor(PhantomData))
    }
}

struct FirstVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for FirstVisitor<T> {
    type Value = FirstOf<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        // As `Vec` says it.
        f.write_str("a sequence")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let first = seq.next_element::<T>()?;
        if first.is_some() {
            while seq.next_element::<T>()?.is_some() {}
        }
        Ok(FirstOf(first))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Deserialize)]
    struct Probe<'a> {
        #[serde(default, borrow, deserialize_with = "opt_str")]
        s: Option<Cow<'a, str>>,
        #[serde(default, borrow)]
        j: Option<WireJson<'a>>,
    }

    #[test]
    fn strings_are_borrowed_unless_escaped_and_accept_what_string_accepts() {
        let p: Probe = serde_json::from_str(r#"{"s": "plain", "j": "x"}"#).unwrap();
        assert!(matches!(p.s, Some(Cow::Borrowed("plain"))));
        assert!(matches!(p.j, Some(WireJson::Str(Cow::Borrowed("x")))));
        let p: Probe = serde_json::from_str(r#"{"s": "a\nb\u00e9"}"#).unwrap();
        assert_eq!(p.s.as_deref(), Some("a\nb\u{e9}"));
        let p: Probe = serde_json::from_str(r#"{"s": null, "j": null}"#).unwrap();
        assert!(p.s.is_none() && p.j.is_none());
        let e = serde_json::from_str::<Probe>(r#"{"s": 5}"#).err().unwrap().to_string();
        let owned = serde_json::from_str::<Option<String>>("5").err().unwrap().to_string();
        assert_eq!(e.split(" at ").next(), owned.split(" at ").next(), "the same complaint as a String field");
    }

    #[test]
    fn first_of_reads_what_a_vec_reads() {
        #[derive(Deserialize, Debug, PartialEq)]
        struct Item {
            n: u8,
        }
        for text in ["[]", r#"[{"n": 1}]"#, r#"[{"n": 1}, {"n": 2}]"#, r#"[{"n": 1}, {"n": 300}]"#, "null", "{}", "[1]"]
        {
            let vec = serde_json::from_str::<Vec<Item>>(text).map(|v| v.into_iter().next());
            let first = serde_json::from_str::<FirstOf<Item>>(text).map(|f| f.0);
            match (vec, first) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{text}"),
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{text}"),
                (a, b) => panic!("{text}: {a:?} vs {b:?}"),
            }
        }
    }

    #[test]
    fn non_string_json_is_the_value_it_was() {
        for v in [json!({"a": [1, 2.5, null, true]}), json!([{"type": "text"}]), json!(-3), json!(1.5), json!(false)] {
            let text = json!({"j": v}).to_string();
            let p: Probe = serde_json::from_str(&text).unwrap();
            assert_eq!(p.j.unwrap().to_value(), v);
        }
    }
}
