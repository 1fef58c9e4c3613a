//! Escalation validators: a response that arrived but is not good enough for the request.

use serde_json::Value;

use super::{EscalationPolicy, Validator};
use crate::api::{ChatCompletion, ChatRequest, FinishReason, schema_accepts};

/// The first validator `resp` fails, with a sentence saying why; `None` when it is acceptable.
pub fn failed_validation(policy: &EscalationPolicy, req: &ChatRequest, resp: &ChatCompletion) -> Option<String> {
    let msg = resp.message()?;
    let wants_json = req.response_format.as_ref().is_some_and(|f| f.wants_json());
    let parsed: Option<Value> = msg.content.as_deref().and_then(|c| serde_json::from_str(c.trim()).ok());
    for v in &policy.on {
        match v {
            Validator::Json if wants_json && parsed.is_none() && msg.calls().is_empty() => {
                return Some("content is not valid JSON".into());
            }
            Validator::Schema => {
                if let (Some(schema), Some(value)) = (req.response_format.as_ref().and_then(|f| f.schema()), &parsed)
                    && !schema_accepts(schema, value)
                {
                    return Some("content does not match the requested schema".into());
                }
            }
            Validator::ToolArguments => {
                if let Some(c) = msg
                    .calls()
                    .iter()
                    .find(|c| !matches!(serde_json::from_str::<Value>(&c.function.arguments), Ok(Value::Object(_))))
                {
                    return Some(format!("arguments of tool call `{}` do not parse", c.function.name));
                }
            }
            Validator::Length if resp.finish_reason() == Some(FinishReason::Length) => {
                return Some("the answer was cut off (finish_reason length)".into());
            }
            Validator::Confidence => {
                let conf = parsed.as_ref().and_then(|v| v.get(&policy.confidence_field)).and_then(Value::as_f64);
                if let Some(c) = conf
                    && c < policy.min_confidence
                {
                    return Some(format!("confidence {c} is below {}", policy.min_confidence));
                }
            }
            _ => {}
        }
    }
    None
}
