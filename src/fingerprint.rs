//! A response reduced to what must stay stable across runs and providers.
//!
//! Live model text changes run to run; the fingerprint keeps only structure: outcome, finish
//! reason, whether there is content and whether it is (schema-valid) JSON, tool-call names and
//! argument keys, usage present, stream shape, error kind and status. Two runs with the same
//! fingerprint behaved the same as far as an application routing across providers can tell.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use llm_conform_core::api::{ChatCompletion, ErrorKind, FinishReason, ProviderError, schema_accepts, unfence};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<FinishReason>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<ContentShape>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reasoning: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCallShape>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<bool>,
    /// Usage counts reasoning tokens (`completion_tokens_details.reasoning_tokens`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reasoning_tokens: bool,
    /// Usage counts cached prompt tokens (`prompt_tokens_details.cached_tokens`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cached_tokens: bool,
    /// The answer cites sources (`annotations`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub citations: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<StreamShape>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorShape>,
    /// For routed cases, the path the router took: `provider:outcome` per attempt.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub route: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Error,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContentShape {
    pub present: bool,
    /// Only when JSON was asked for (by the request or the expectations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json: Option<JsonShape>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonShape {
    pub valid: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_valid: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCallShape {
    pub name: String,
    pub argument_keys: Vec<String>,
    /// False exactly when the arguments are not a JSON object. Adapters turn only empty, `null`
    /// and absent arguments into `{}`; anything else a provider sends is kept as sent, so this
    /// is where it shows.
    pub arguments_parse: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamShape {
    /// Chunk count bucket: `1`, `2-5`, `6-20`, `21-100`, `>100`.
    pub chunks: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorShape {
    pub kind: ErrorKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Whether the error carried a retry hint (`Retry-After`, Gemini's `RetryInfo`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub retry_after: bool,
}

/// What the fingerprint is computed from.
pub struct FingerprintInput<'a> {
    pub result: &'a Result<ChatCompletion, ProviderError>,
    /// Canonical chunk count, for a streamed case.
    pub stream_chunks: Option<usize>,
    /// Whether JSON content was asked for.
    pub want_json: bool,
    /// The schema the content must match, if any.
    pub schema: Option<&'a Value>,
}

impl Fingerprint {
    pub fn compute(input: &FingerprintInput<'_>) -> Fingerprint {
        let stream = input.stream_chunks.map(|n| StreamShape { chunks: bucket(n).to_string() });
        match input.result {
            Err(e) => Fingerprint {
                outcome: Outcome::Error,
                finish_reason: None,
                content: None,
                reasoning: false,
                tool_calls: Vec::new(),
                usage: None,
                reasoning_tokens: false,
                cached_tokens: false,
                citations: false,
                stream,
                error: Some(ErrorShape { kind: e.kind, status: e.status, retry_after: e.retry_after.is_some() }),
                route: Vec::new(),
            },
            Ok(resp) => {
                let msg = resp.message();
                let text = msg.and_then(|m| m.content.as_deref()).filter(|s| !s.trim().is_empty());
                let json = input.want_json.then(|| json_shape(text, input.schema));
                Fingerprint {
                    outcome: Outcome::Success,
                    finish_reason: resp.finish_reason(),
                    content: Some(ContentShape { present: text.is_some(), json }),
                    reasoning: msg.is_some_and(|m| m.reasoning_content.as_deref().is_some_and(|r| !r.is_empty())),
                    tool_calls: msg
                        .map(|m| {
                            m.calls().iter().map(|c| tool_call_shape(&c.function.name, &c.function.arguments)).collect()
                        })
                        .unwrap_or_default(),
                    usage: Some(resp.usage.is_some()),
                    reasoning_tokens: resp.usage.as_ref().is_some_and(|u| u.reasoning_tokens() > 0),
                    cached_tokens: resp.usage.as_ref().is_some_and(|u| u.cached_tokens() > 0),
                    citations: msg.is_some_and(|m| m.annotations.as_ref().is_some_and(|a| !a.is_empty())),
                    stream,
                    error: None,
                    route: Vec::new(),
                }
            }
        }
    }

    /// The fingerprint without its stream shape, for comparing a stream with its non-stream twin.
    pub fn without_stream(&self) -> Fingerprint {
        Fingerprint { stream: None, ..self.clone() }
    }
}

fn bucket(n: usize) -> &'static str {
    match n {
        0 => "0",
        1 => "1",
        2..=5 => "2-5",
        6..=20 => "6-20",
        21..=100 => "21-100",
        _ => ">100",
    }
}

fn tool_call_shape(name: &str, arguments: &str) -> ToolCallShape {
    match serde_json::from_str::<Value>(arguments) {
        Ok(Value::Object(map)) => {
            let mut keys: Vec<String> = map.keys().cloned().collect();
            keys.sort();
            ToolCallShape { name: name.to_string(), argument_keys: keys, arguments_parse: true }
        }
        _ => ToolCallShape { name: name.to_string(), argument_keys: Vec::new(), arguments_parse: false },
    }
}

fn json_shape(text: Option<&str>, schema: Option<&Value>) -> JsonShape {
    let parsed = text.and_then(|t| serde_json::from_str::<Value>(unfence(t)).ok());
    match parsed {
        None => JsonShape { valid: false, schema_valid: schema.map(|_| false), keys: Vec::new() },
        Some(v) => {
            let mut keys: Vec<String> = v.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
            keys.sort();
            let schema_valid = schema.map(|s| schema_accepts(s, &v));
            JsonShape { valid: true, schema_valid, keys }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use llm_conform_core::api::{ChatCompletion, ResponseMessage, ToolCall};

    fn resp(content: Option<&str>, calls: Vec<ToolCall>) -> ChatCompletion {
        let mut m = ResponseMessage::assistant();
        m.content = content.map(str::to_string);
        m.tool_calls = (!calls.is_empty()).then_some(calls);
        ChatCompletion::single("id", "m", 0, m, FinishReason::Stop, None)
    }

    #[test]
    fn text_does_not_matter_structure_does() {
        let a = Ok(resp(Some("Paris."), vec![]));
        let b = Ok(resp(Some("It is Paris!"), vec![]));
        let fp = |r| {
            Fingerprint::compute(&FingerprintInput { result: r, stream_chunks: None, want_json: false, schema: None })
        };
        assert_eq!(fp(&a), fp(&b));
        let c = Ok(resp(None, vec![]));
        assert_ne!(fp(&a), fp(&c));
    }

    #[test]
    fn tool_call_keys_sorted_and_unparsable_flagged() {
        let r = Ok(resp(None, vec![ToolCall::new("1", "f", r#"{"b":1,"a":2}"#), ToolCall::new("2", "g", "{oops")]));
        let fp = Fingerprint::compute(&FingerprintInput {
            result: &r,
            stream_chunks: Some(7),
            want_json: false,
            schema: None,
        });
        assert_eq!(fp.tool_calls[0].argument_keys, vec!["a", "b"]);
        assert!(!fp.tool_calls[1].arguments_parse);
        assert_eq!(fp.stream.unwrap().chunks, "6-20");
    }

    /// Arguments a provider sent that are valid JSON but no object are flagged, never passed
    /// off as an object (README, "The adapter layer").
    #[test]
    fn arguments_that_are_not_a_json_object_are_flagged() {
        for (args, object) in
            [("{}", true), (r#"{"a":[1]}"#, true), ("true", false), ("42", false), ("[1]", false), (r#""{}""#, false)]
        {
            let r = Ok(resp(None, vec![ToolCall::new("1", "f", args)]));
            let fp = Fingerprint::compute(&FingerprintInput {
                result: &r,
                stream_chunks: None,
                want_json: false,
                schema: None,
            });
            assert_eq!(fp.tool_calls[0].arguments_parse, object, "{args}");
        }
    }

    #[test]
    fn json_and_schema_checks() {
        let schema = serde_json::json!({"type":"object","properties":{"n":{"type":"integer"}},"required":["n"],"additionalProperties":false});
        let check = |text: &str| {
            let r = Ok(resp(Some(text), vec![]));
            Fingerprint::compute(&FingerprintInput {
                result: &r,
                stream_chunks: None,
                want_json: true,
                schema: Some(&schema),
            })
            .content
            .unwrap()
            .json
            .unwrap()
        };
        assert_eq!(check(r#"{"n": 3}"#).schema_valid, Some(true));
        assert_eq!(check("```json\n{\"n\": 3}\n```").schema_valid, Some(true));
        assert_eq!(check(r#"{"n": "3"}"#).schema_valid, Some(false));
        assert!(!check("not json").valid);
    }
}
