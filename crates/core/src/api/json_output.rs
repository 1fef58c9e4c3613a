//! Reading a model's JSON output: the router's escalation validators and the harness's
//! fingerprints must agree on what counts as valid JSON and as matching a schema.

use serde_json::Value;

/// The text inside a Markdown code fence, or the text itself. Models often fence JSON; a
/// fenced answer still counts as valid only if what is inside is.
pub fn unfence(text: &str) -> &str {
    let t = text.trim();
    t.strip_prefix("```json").or_else(|| t.strip_prefix("```")).and_then(|r| r.strip_suffix("```")).map_or(t, str::trim)
}

/// Validates `instance` against a JSON schema; an unusable schema counts as not matching.
pub fn schema_accepts(schema: &Value, instance: &Value) -> bool {
    jsonschema::validator_for(schema).is_ok_and(|v| v.is_valid(instance))
}
