use serde::{Deserialize, Serialize};

use super::{FinishReason, ToolCall, Usage};

/// A `chat.completion` object; what `decode` prints must validate against OpenAI's schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletion {
    pub id: String,
    pub object: String,
    pub created: i64,
    pub model: String,
    pub choices: Vec<Choice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_fingerprint: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    pub index: u32,
    pub message: ResponseMessage,
    pub finish_reason: FinishReason,
    /// Always null: logprobs are not part of what the harness compares.
    #[serde(default)]
    pub logprobs: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseMessage {
    pub role: String,
    pub content: Option<String>,
    pub refusal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCall>>,
    /// Reasoning the model exposed (DeepSeek, Qwen, xAI natively; Anthropic thinking blocks and
    /// Gemini thought parts are mapped here), kept apart from the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<String>,
    /// Sources the answer cites, where OpenAI's chat completions put web-search citations: Gemini
    /// grounding supports and Anthropic web-search citations are mapped here, each one a
    /// `url_citation` over the span of `content` it supports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Vec<Annotation>>,
}

/// One annotation of a message: a URL citation, as OpenAI's chat completions send them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Annotation {
    #[serde(rename = "type")]
    pub kind: String,
    pub url_citation: UrlCitation,
}

/// A cited web source and the span of the message content (in characters) it supports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UrlCitation {
    pub start_index: u64,
    pub end_index: u64,
    pub url: String,
    pub title: String,
}

impl Annotation {
    pub fn url_citation(url: impl Into<String>, title: impl Into<String>, start: u64, end: u64) -> Self {
        Annotation {
            kind: "url_citation".into(),
            url_citation: UrlCitation {
                start_index: start,
                end_index: end.max(start),
                url: url.into(),
                title: title.into(),
            },
        }
    }
}

impl ResponseMessage {
    pub fn assistant() -> Self {
        ResponseMessage {
            role: "assistant".into(),
            content: None,
            refusal: None,
            tool_calls: None,
            reasoning_content: None,
            annotations: None,
        }
    }

    pub fn calls(&self) -> &[ToolCall] {
        self.tool_calls.as_deref().unwrap_or(&[])
    }
}

impl ChatCompletion {
    /// A completion with one choice, as every adapter produces.
    pub fn single(
        id: impl Into<String>,
        model: impl Into<String>,
        created: i64,
        message: ResponseMessage,
        finish_reason: FinishReason,
        usage: Option<Usage>,
    ) -> Self {
        ChatCompletion {
            id: id.into(),
            object: "chat.completion".into(),
            created,
            model: model.into(),
            choices: vec![Choice { index: 0, message, finish_reason, logprobs: None }],
            usage,
            system_fingerprint: None,
        }
    }

    /// The first choice's message; adapters always produce exactly one choice.
    pub fn message(&self) -> Option<&ResponseMessage> {
        self.choices.first().map(|c| &c.message)
    }

    pub fn finish_reason(&self) -> Option<FinishReason> {
        self.choices.first().map(|c| c.finish_reason)
    }
}
