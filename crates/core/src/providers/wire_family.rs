use serde::{Deserialize, Serialize};

use super::{Adapter, AnthropicAdapter, CohereAdapter, GeminiAdapter, OpenAiAdapter};

/// A native API shape. Providers that share a shape share an adapter; their differences are
/// quirk flags in the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WireFamily {
    Openai,
    Anthropic,
    Gemini,
    Cohere,
}

impl WireFamily {
    pub fn as_str(self) -> &'static str {
        match self {
            WireFamily::Openai => "openai",
            WireFamily::Anthropic => "anthropic",
            WireFamily::Gemini => "gemini",
            WireFamily::Cohere => "cohere",
        }
    }

    pub fn adapter(self) -> &'static dyn Adapter {
        match self {
            WireFamily::Openai => &OpenAiAdapter,
            WireFamily::Anthropic => &AnthropicAdapter,
            WireFamily::Gemini => &GeminiAdapter,
            WireFamily::Cohere => &CohereAdapter,
        }
    }

    /// Whether stream events carry an `event:` line naming their type.
    pub fn names_events(self) -> bool {
        matches!(self, WireFamily::Anthropic | WireFamily::Cohere)
    }
}

impl std::fmt::Display for WireFamily {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
