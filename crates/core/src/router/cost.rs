use crate::api::Usage;
use crate::providers::Price;

/// The dollar cost of `usage` at `price` (per million tokens). Prompt tokens include cache reads
/// and writes (see [`Usage`]): reads are charged at the cached price and writes at the cache-write
/// price where the catalog gives them, the rest at the input price.
pub fn cost_usd(usage: &Usage, price: &Price) -> f64 {
    let cached = usage.cached_tokens().min(usage.prompt_tokens);
    let written = usage
        .prompt_tokens_details
        .as_ref()
        .and_then(|d| d.cache_write_tokens)
        .unwrap_or(0)
        .min(usage.prompt_tokens - cached);
    let fresh = usage.prompt_tokens - cached - written;
    let input = fresh as f64 * price.input
        + cached as f64 * price.cached_input.unwrap_or(price.input)
        + written as f64 * price.cache_write.unwrap_or(price.input);
    (input + usage.completion_tokens as f64 * price.output) / 1_000_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_tokens_use_the_cached_price() {
        let p = Price { input: 2.0, output: 8.0, cached_input: Some(0.5), cache_write: None };
        let u = Usage::new(1_000_000, 500_000, 400_000, 0);
        assert!((cost_usd(&u, &p) - (0.6 * 2.0 + 0.4 * 0.5 + 0.5 * 8.0)).abs() < 1e-9);
        let p = Price { input: 1.0, output: 1.0, cached_input: None, cache_write: None };
        assert!((cost_usd(&Usage::new(10, 10, 5, 0), &p) - 20e-6).abs() < 1e-12);
    }

    /// Anthropic bills cache writes at 1.25 times and reads at a tenth of the input price
    /// (<https://docs.claude.com/en/docs/build-with-claude/prompt-caching#pricing>).
    #[test]
    fn cache_writes_use_the_cache_write_price() {
        let p = Price { input: 3.0, output: 15.0, cached_input: Some(0.3), cache_write: Some(3.75) };
        let mut u = Usage::new(1_000_000, 0, 200_000, 0);
        u.prompt_tokens_details.as_mut().unwrap().cache_write_tokens = Some(500_000);
        assert!((cost_usd(&u, &p) - (0.3 * 3.0 + 0.2 * 0.3 + 0.5 * 3.75)).abs() < 1e-9);
        // A write count larger than what is left of the prompt cannot be right: capped.
        u.prompt_tokens_details.as_mut().unwrap().cache_write_tokens = Some(u64::MAX);
        assert!((cost_usd(&u, &p) - (0.2 * 0.3 + 0.8 * 3.75)).abs() < 1e-9);
    }
}
