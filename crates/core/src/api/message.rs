use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::ToolCall;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    System,
    Developer,
    User,
    Assistant,
    Tool,
}

impl Role {
    /// System and developer messages are both instructions; providers without a developer role
    /// treat them the same.
    pub fn is_instruction(self) -> bool {
        matches!(self, Role::System | Role::Developer)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::Developer => "developer",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
        }
    }
}

/// One message of the conversation, in any role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Content>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCall>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
    /// Reasoning text a previous assistant turn exposed (DeepSeek, Qwen, xAI); some providers
    /// want it back in multi-turn conversations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Message {
    pub fn new(role: Role, text: impl Into<String>) -> Self {
        Message {
            role,
            content: Some(Content::Text(text.into())),
            name: None,
            tool_calls: None,
            tool_call_id: None,
            refusal: None,
            reasoning_content: None,
            extra: Map::new(),
        }
    }

    /// The text of the message: a string content, or its text parts joined by newlines.
    pub fn text(&self) -> String {
        self.content.as_ref().map(Content::text).unwrap_or_default()
    }

    /// The tool calls of an assistant message; `tool_calls: []` and absent are the same.
    pub fn calls(&self) -> &[ToolCall] {
        self.tool_calls.as_deref().unwrap_or(&[])
    }
}

/// Message content: a plain string or a list of typed parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Content {
    Text(String),
    Parts(Vec<ContentPart>),
}

impl Content {
    pub fn text(&self) -> String {
        match self {
            Content::Text(s) => s.clone(),
            Content::Parts(parts) => {
                let texts: Vec<&str> = parts
                    .iter()
                    .filter_map(|p| match p {
                        ContentPart::Text { text, .. } => Some(text.as_str()),
                        _ => None,
                    })
                    .collect();
                texts.join("\n")
            }
        }
    }

    /// The parts of the content; a plain string is one text part.
    pub fn parts(&self) -> Vec<ContentPart> {
        match self {
            Content::Text(s) => vec![ContentPart::text(s.clone())],
            Content::Parts(p) => p.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentPart {
    Text {
        text: String,
        /// Marks the end of a reusable prompt prefix (OpenAI's `prompt_cache_breakpoint`); the
        /// Anthropic adapter turns it into `cache_control`, APIs that cache on their own drop it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        prompt_cache_breakpoint: Option<CacheBreakpoint>,
    },
    ImageUrl {
        image_url: ImageUrl,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        prompt_cache_breakpoint: Option<CacheBreakpoint>,
    },
    InputAudio {
        input_audio: Value,
    },
    File {
        file: Value,
    },
    Refusal {
        refusal: String,
    },
}

impl ContentPart {
    /// A text part without a cache breakpoint.
    pub fn text(text: impl Into<String>) -> Self {
        ContentPart::Text { text: text.into(), prompt_cache_breakpoint: None }
    }

    /// Whether the part ends a prefix the caller wants cached.
    pub fn is_cache_breakpoint(&self) -> bool {
        match self {
            ContentPart::Text { prompt_cache_breakpoint, .. }
            | ContentPart::ImageUrl { prompt_cache_breakpoint, .. } => prompt_cache_breakpoint.is_some(),
            _ => false,
        }
    }

    /// Removes the part's cache breakpoint (for APIs that do not know the field); whether it had one.
    pub fn take_cache_breakpoint(&mut self) -> bool {
        match self {
            ContentPart::Text { prompt_cache_breakpoint, .. }
            | ContentPart::ImageUrl { prompt_cache_breakpoint, .. } => prompt_cache_breakpoint.take().is_some(),
            _ => false,
        }
    }
}

/// OpenAI's `prompt_cache_breakpoint` (`{"mode": "explicit"}`), kept as sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CacheBreakpoint {
    #[serde(default = "explicit_mode")]
    pub mode: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn explicit_mode() -> String {
    "explicit".to_string()
}

impl Default for CacheBreakpoint {
    fn default() -> Self {
        CacheBreakpoint { mode: explicit_mode(), extra: Map::new() }
    }
}

impl Content {
    /// Whether any part ends a prefix the caller wants cached.
    pub fn has_cache_breakpoint(&self) -> bool {
        matches!(self, Content::Parts(parts) if parts.iter().any(ContentPart::is_cache_breakpoint))
    }

    /// Whether any part is an image.
    pub fn has_image(&self) -> bool {
        matches!(self, Content::Parts(parts) if parts.iter().any(|p| matches!(p, ContentPart::ImageUrl { .. })))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageUrl {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl ImageUrl {
    /// Splits a `data:` URL into media type and base64 payload; other URLs give `None`.
    pub fn as_data(&self) -> Option<(&str, &str)> {
        let rest = self.url.strip_prefix("data:")?;
        let (meta, data) = rest.split_once(',')?;
        let media = meta.strip_suffix(";base64")?;
        Some((media, data))
    }
}
