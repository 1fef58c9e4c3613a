use std::borrow::Cow;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{FinishReason, Usage};

/// What every chunk's `object` says.
const CHUNK_OBJECT: &str = "chat.completion.chunk";

/// A `chat.completion.chunk`: what every stream decoder emits, whatever the provider sent.
///
/// A stream repeats its id and model in every chunk, so they are shared rather than copied:
/// a chunk costs what its delta costs, however long the model name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletionChunk {
    pub id: Arc<str>,
    pub object: Cow<'static, str>,
    pub created: i64,
    pub model: Arc<str>,
    pub choices: Vec<ChunkChoice>,
    /// Set on the final usage chunk (which has no choices), as with `include_usage`.
    #[serde(default)]
    pub usage: Option<Usage>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChunkChoice {
    pub index: u32,
    pub delta: Delta,
    pub finish_reason: Option<FinishReason>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Delta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCallDelta>,
    /// Citations completed by this piece of the stream; indexes count over the whole content.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub annotations: Vec<super::Annotation>,
}

/// A piece of a tool call; pieces with the same `index` belong to one call.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolCallDelta {
    pub index: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<FunctionCallDelta>,
    /// Provider data for the call (a Gemini thought signature), as on [`super::ToolCall`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_content: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FunctionCallDelta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<String>,
}

impl ChatCompletionChunk {
    /// A chunk with one choice carrying `delta`. A decoder passes the stream's shared id and
    /// model (an `Arc<str>` clone); any `&str` does too, copied once.
    pub fn delta(
        id: impl Into<Arc<str>>,
        model: impl Into<Arc<str>>,
        created: i64,
        delta: Delta,
        finish: Option<FinishReason>,
    ) -> Self {
        ChatCompletionChunk {
            id: id.into(),
            object: Cow::Borrowed(CHUNK_OBJECT),
            created,
            model: model.into(),
            choices: vec![ChunkChoice { index: 0, delta, finish_reason: finish }],
            usage: None,
        }
    }

    /// The final usage chunk: no choices, only usage.
    pub fn usage(id: impl Into<Arc<str>>, model: impl Into<Arc<str>>, created: i64, usage: Usage) -> Self {
        ChatCompletionChunk {
            id: id.into(),
            object: Cow::Borrowed(CHUNK_OBJECT),
            created,
            model: model.into(),
            choices: Vec::new(),
            usage: Some(usage),
        }
    }

    /// Whether the chunk carries visible output (text or a tool call), for time to first token.
    pub fn has_output(&self) -> bool {
        self.choices.iter().any(|c| {
            c.delta.content.as_deref().is_some_and(|s| !s.is_empty())
                || c.delta.reasoning_content.as_deref().is_some_and(|s| !s.is_empty())
                || !c.delta.tool_calls.is_empty()
        })
    }
}

impl ToolCallDelta {
    pub fn start(index: u32, id: impl Into<String>, name: impl Into<String>, arguments: impl Into<String>) -> Self {
        ToolCallDelta {
            index,
            id: Some(id.into()),
            kind: Some("function".into()),
            function: Some(FunctionCallDelta { name: Some(name.into()), arguments: Some(arguments.into()) }),
            extra_content: None,
        }
    }

    pub fn arguments(index: u32, arguments: impl Into<String>) -> Self {
        ToolCallDelta {
            index,
            id: None,
            kind: None,
            function: Some(FunctionCallDelta { name: None, arguments: Some(arguments.into()) }),
            extra_content: None,
        }
    }
}
