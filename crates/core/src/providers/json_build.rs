//! Request bodies built by moving their parts in.
//!
//! `json!({"key": value})` serializes `value` again into a new `Value`: for a `Value`, a list
//! of them or a `Map` that is a deep copy, rebuilt key by key (every key allocated and hashed
//! again). The encoders assemble bodies from parts they already own (blocks, turns, schemas),
//! so they move them in instead; the body is the same `Value` either way.

use serde_json::{Map, Value};

/// The object of `fields`, in order (a repeated key keeps its first place and its last value,
/// as `json!` does).
pub(crate) fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
    let mut map = Map::with_capacity(N);
    for (k, v) in fields {
        map.insert(k.to_string(), v);
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_same_value_as_json_macro() {
        let parts = vec![json!({"text": "a", "n": [1, 2.5, null]}), json!("b")];
        let schema = json!({"type": "object", "properties": {"x": {"type": "string"}}});
        let built =
            object([("role", "user".into()), ("parts", Value::Array(parts.clone())), ("schema", schema.clone())]);
        let via_macro = json!({"role": "user", "parts": parts, "schema": schema});
        assert_eq!(built, via_macro);
        assert_eq!(built.to_string(), via_macro.to_string(), "same key order");
        assert_eq!(object([("a", 1.into()), ("b", 2.into()), ("a", 3.into())]), json!({"a": 1, "b": 2, "a": 3}));
    }
}
