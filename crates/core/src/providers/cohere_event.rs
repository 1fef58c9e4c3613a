//! One Cohere stream event, as the decoder acts on it.
//!
//! Most of a Cohere stream is `content-delta` events of a few dozen bytes. Parsing each into a
//! `serde_json::Value` first (to look for an error payload) and then into the wire struct cost
//! more than everything else the event needs, so the common shapes are read in one strict,
//! borrowing pass: an object with exactly the fields a delta carries (`type`, `index`,
//! `delta.message.content.{type,text,thinking}`, `delta.message.tool_plan`), each of the type
//! it must be, no field twice. Everything else (an error payload, an unknown or repeated
//! field, any other shape) goes the way every event went before: into a `Value`, checked for an
//! error payload, then into the wire struct. What the strict pass accepts is a subset of what
//! that way accepts, with the same meaning, so the outcome of every event is what it was.
//! See <https://docs.cohere.com/reference/chat-stream>.

use std::borrow::Cow;

use reqwest::header::HeaderMap;
use serde::Deserialize;
use serde_json::Value;

use super::classify::build_error;
use super::cohere::{WireUsage, error_fields, error_payload};
use super::json_cursor::JsonCursor;
use super::parse::parse_event;
use super::wire_de::{ObjectOnly, opt_str};
use crate::api::ProviderError;

/// The fields of one event the decoder reads, whichever way it was parsed.
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(super) struct CohereEvent<'a> {
    /// The payload's `type`, else the SSE event name.
    pub kind: Cow<'a, str>,
    pub id: Option<Cow<'a, str>>,
    pub index: Option<u32>,
    /// `delta.message.content.text` and `.thinking`, when they are strings.
    pub text: Option<Cow<'a, str>>,
    pub thinking: Option<Cow<'a, str>>,
    pub tool_plan: Option<Cow<'a, str>>,
    pub tool_calls: Option<Value>,
    pub finish_reason: Option<Cow<'a, str>>,
    pub error: Option<Cow<'a, str>>,
    pub usage: Option<WireUsage>,
}

impl<'a> CohereEvent<'a> {
    /// The event in `data` (trimmed, not empty); an error payload is the error it carries.
    pub(super) fn parse(data: &'a str, event: Option<&str>) -> Result<Self, ProviderError> {
        if let Some(e) = Self::content_delta(data) {
            return Ok(e);
        }
        if data.starts_with('{')
            && let Ok(ObjectOnly(fast)) = serde_json::from_str::<ObjectOnly<FastEvent<'a>>>(data)
            && fast.kind != "error"
        {
            return Ok(fast.into_event());
        }
        Self::parse_any(data, event)
    }

    /// The usual delta, `{"type":"content-delta","index":N,"delta":{"message":{"content":{K:"…"}}}}`
    /// with `K` `text` or `thinking`, read byte for byte without a general parse (see
    /// `json_cursor.rs`).
    fn content_delta(data: &'a str) -> Option<Self> {
        let mut c = JsonCursor::new(data);
        c.lit(r#"{"type":"content-delta","index":"#)?;
        let index = u32::try_from(c.uint()?).ok()?;
        c.lit(r#","delta":{"message":{"content":{""#)?;
        let key = c.string()?;
        c.lit(r#":""#)?;
        let value = Some(c.string()?);
        c.lit("}}}}")?;
        c.end()?;
        let (text, thinking) = match key.as_ref() {
            "text" => (value, None),
            "thinking" => (None, value),
            _ => return None,
        };
        Some(CohereEvent {
            kind: Cow::Borrowed("content-delta"),
            id: None,
            index: Some(index),
            text,
            thinking,
            tool_plan: None,
            tool_calls: None,
            finish_reason: None,
            error: None,
            usage: None,
        })
    }

    /// Any payload, as every event was read before the strict pass existed.
    fn parse_any(data: &str, event: Option<&str>) -> Result<Self, ProviderError> {
        let v: Value = parse_event(data, "cohere stream event")?;
        if let Some(err) = error_payload(&v) {
            return Err(err);
        }
        if event == Some("error") && v.get("type").is_none() {
            return Err(build_error(None, &HeaderMap::new(), error_fields(&v)));
        }
        let raw = match WireEvent::deserialize(&v) {
            Ok(r) => r,
            Err(_) => parse_event::<WireEvent>(data, "cohere stream event")?,
        };
        let delta = raw.delta.unwrap_or_default();
        let msg = delta.message.unwrap_or_default();
        let content = |key: &str| {
            let text = msg.content.as_ref().and_then(|c| c.get(key)).and_then(Value::as_str);
            text.map(|s| Cow::Owned(s.to_string()))
        };
        Ok(CohereEvent {
            kind: Cow::Owned(raw.kind.or_else(|| event.map(str::to_string)).unwrap_or_default()),
            id: raw.id.map(Cow::Owned),
            index: raw.index,
            text: content("text"),
            thinking: content("thinking"),
            tool_plan: msg.tool_plan.map(Cow::Owned),
            tool_calls: msg.tool_calls,
            finish_reason: delta.finish_reason.map(Cow::Owned),
            error: delta.error.map(Cow::Owned),
            usage: delta.usage,
        })
    }
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
struct WireEvent {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    index: Option<u32>,
    #[serde(default)]
    delta: Option<WireEventDelta>,
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
struct WireEventDelta {
    #[serde(default)]
    message: Option<WireDeltaMessage>,
    #[serde(default)]
    finish_reason: Option<String>,
    /// What went wrong, next to an `ERROR` finish reason.
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
struct WireDeltaMessage {
    /// An object on content events; `message-start` sends an empty list.
    #[serde(default)]
    content: Option<Value>,
    #[serde(default)]
    tool_plan: Option<String>,
    /// One call object on tool-call events; `message-start` sends an empty list.
    #[serde(default)]
    tool_calls: Option<Value>,
}

/// The strict shape: every field known, typed, and borrowed.
#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
#[serde(deny_unknown_fields)]
struct FastEvent<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(default)]
    index: Option<u32>,
    #[serde(borrow)]
    delta: ObjectOnly<FastDelta<'a>>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
#[serde(deny_unknown_fields)]
struct FastDelta<'a> {
    #[serde(borrow)]
    message: ObjectOnly<FastMessage<'a>>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
#[serde(deny_unknown_fields)]
struct FastMessage<'a> {
    #[serde(default, borrow)]
    content: Option<ObjectOnly<FastContent<'a>>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    tool_plan: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
#[serde(deny_unknown_fields)]
struct FastContent<'a> {
    #[serde(default, rename = "type", borrow, deserialize_with = "opt_str")]
    _kind: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    text: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_str")]
    thinking: Option<Cow<'a, str>>,
}

impl<'a> FastEvent<'a> {
    fn into_event(self) -> CohereEvent<'a> {
        let msg = self.delta.0.message.0;
        let (text, thinking) = msg.content.map_or((None, None), |c| (c.0.text, c.0.thinking));
        CohereEvent {
            kind: self.kind,
            id: None,
            index: self.index,
            text,
            thinking,
            tool_plan: msg.tool_plan,
            tool_calls: None,
            finish_reason: None,
            error: None,
            usage: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::providers::json_cursor::near;

    const SHAPES: &[&str] = &[
        r#"{"type":"content-delta","index":0,"delta":{"message":{"content":{"text":"§"}}}}"#,
        r#"{"type":"content-delta","index":4294967295,"delta":{"message":{"content":{"thinking":"§"}}}}"#,
        r#"{"type":"content-start","index":0,"delta":{"message":{"content":{"type":"text","text":"§"}}}}"#,
        r#"{"type":"tool-plan-delta","delta":{"message":{"tool_plan":"§"}}}"#,
        r#"{"type":"content-delta","index":0,"delta":{"message":{"content":{"text":"a","text":"§"}}}}"#,
        r#"{"type":"error","message":"§"}"#,
        r#"{"message":"§"}"#,
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

        /// Whichever way an event is read, the outcome is what reading it into a `Value` first
        /// gives (the way every event was read before the fast reads).
        #[test]
        fn every_event_reads_as_it_did_through_a_value(data in near::payloads(SHAPES), named in any::<bool>()) {
            let event = named.then_some("content-delta");
            prop_assert_eq!(CohereEvent::parse(&data, event), CohereEvent::parse_any(&data, event), "{}", data);
            let errors = Some("error");
            prop_assert_eq!(CohereEvent::parse(&data, errors), CohereEvent::parse_any(&data, errors), "{}", data);
        }
    }

    #[test]
    fn the_recorded_deltas_take_a_fast_read() {
        let sample = include_str!("../../../../tests/provider-samples/cohere/cohere-text.chunks.txt");
        let deltas: Vec<&str> = sample.lines().filter(|l| l.contains(r#""type":"content-delta""#)).collect();
        assert!(!deltas.is_empty());
        for line in deltas {
            assert!(CohereEvent::content_delta(line).is_some(), "{line}");
            assert_eq!(CohereEvent::parse(line, None), CohereEvent::parse_any(line, None), "{line}");
        }
        let plan = r#"{"type":"tool-plan-delta","delta":{"message":{"tool_plan":"I will"}}}"#;
        assert!(serde_json::from_str::<ObjectOnly<FastEvent>>(plan).is_ok(), "the strict pass takes plan deltas");
    }
}
