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
    /// The most tokens one count may say. Counts come from the wire; no model's context is a
    /// hundredth of this, so a larger count is a provider's bug or an attack, and it is capped
    /// here so that sums, costs, budgets and percentiles stay finite and meaningful.
    pub const MAX_TOKENS: u64 = 1_000_000_000;

    /// Builds usage from the three counts every provider reports in some form, each capped at
    /// [`Usage::MAX_TOKENS`].
    pub fn new(prompt: u64, completion: u64, cached: u64, reasoning: u64) -> Self {
        let [prompt, completion, cached, reasoning] = [prompt, completion, cached, reasoning].map(Self::cap);
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
        if let Some(t) = total.map(Self::cap)
            && t >= self.total_tokens
        {
            self.total_tokens = t;
        }
        self
    }

    /// A count from the wire, capped at [`Usage::MAX_TOKENS`].
    pub fn cap(count: u64) -> u64 {
        count.min(Self::MAX_TOKENS)
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

    /// A provider that reports `u64::MAX` tokens must not make a call cost more than the world.
    #[test]
    fn absurd_counts_are_capped() {
        let u = Usage::new(u64::MAX, u64::MAX, u64::MAX, u64::MAX).with_reported_total(Some(u64::MAX));
        assert_eq!(u.prompt_tokens, Usage::MAX_TOKENS);
        assert_eq!(u.completion_tokens, Usage::MAX_TOKENS);
        assert_eq!(u.total_tokens, 2 * Usage::MAX_TOKENS);
        assert_eq!(u.cached_tokens(), Usage::MAX_TOKENS);
        assert_eq!(u.reasoning_tokens(), Usage::MAX_TOKENS);
    }

    #[test]
    fn reported_total_is_kept_unless_it_undercounts() {
        assert_eq!(Usage::new(35, 12, 0, 0).with_reported_total(Some(109)).total_tokens, 109);
        assert_eq!(Usage::new(35, 12, 0, 0).with_reported_total(Some(40)).total_tokens, 47);
        assert_eq!(Usage::new(35, 12, 0, 0).with_reported_total(None).total_tokens, 47);
    }
}
