use serde::{Deserialize, Serialize};

/// Token usage. `prompt_tokens` always includes cache reads, whatever the provider counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_tokens_details: Option<PromptTokensDetails>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_tokens_details: Option<CompletionTokensDetails>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptTokensDetails {
    #[serde(default)]
    pub cached_tokens: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write_tokens: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletionTokensDetails {
    #[serde(default)]
    pub reasoning_tokens: u64,
}

impl Usage {
    /// Builds usage from the three counts every provider reports in some form.
    pub fn new(prompt: u64, completion: u64, cached: u64, reasoning: u64) -> Self {
        Usage {
            prompt_tokens: prompt,
            completion_tokens: completion,
            total_tokens: prompt.saturating_add(completion),
            prompt_tokens_details: (cached > 0)
                .then_some(PromptTokensDetails { cached_tokens: cached, cache_write_tokens: None }),
            completion_tokens_details: (reasoning > 0)
                .then_some(CompletionTokensDetails { reasoning_tokens: reasoning }),
        }
    }

    /// Keeps the provider's own total when it gives one: some count tokens that are in neither
    /// prompt nor completion (Gemini's OpenAI-compatible endpoint includes hidden reasoning in
    /// `total_tokens`), and the total is what they bill. A total below prompt plus completion
    /// cannot be a count of both and is not kept.
    pub fn with_reported_total(mut self, total: Option<u64>) -> Self {
        if let Some(t) = total
            && t >= self.total_tokens
        {
            self.total_tokens = t;
        }
        self
    }

    pub fn cached_tokens(&self) -> u64 {
        self.prompt_tokens_details.as_ref().map_or(0, |d| d.cached_tokens)
    }

    pub fn reasoning_tokens(&self) -> u64 {
        self.completion_tokens_details.as_ref().map_or(0, |d| d.reasoning_tokens)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reported_total_is_kept_unless_it_undercounts() {
        assert_eq!(Usage::new(35, 12, 0, 0).with_reported_total(Some(109)).total_tokens, 109);
        assert_eq!(Usage::new(35, 12, 0, 0).with_reported_total(Some(40)).total_tokens, 47);
        assert_eq!(Usage::new(35, 12, 0, 0).with_reported_total(None).total_tokens, 47);
    }
}
