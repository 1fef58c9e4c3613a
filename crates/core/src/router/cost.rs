use crate::api::Usage;
use crate::providers::Price;

/// The dollar cost of `usage` at `price` (per million tokens). Cached prompt tokens are charged
/// at the cached price where the catalog gives one.
pub fn cost_usd(usage: &Usage, price: &Price) -> f64 {
    let cached = usage.cached_tokens().min(usage.prompt_tokens);
    let fresh = usage.prompt_tokens - cached;
    let input = fresh as f64 * price.input + cached as f64 * price.cached_input.unwrap_or(price.input);
    (input + usage.completion_tokens as f64 * price.output) / 1_000_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_tokens_use_the_cached_price() {
        let p = Price { input: 2.0, output: 8.0, cached_input: Some(0.5) };
        let u = Usage::new(1_000_000, 500_000, 400_000, 0);
        assert!((cost_usd(&u, &p) - (0.6 * 2.0 + 0.4 * 0.5 + 0.5 * 8.0)).abs() < 1e-9);
        let p = Price { input: 1.0, output: 1.0, cached_input: None };
        assert!((cost_usd(&Usage::new(10, 10, 5, 0), &p) - 20e-6).abs() < 1e-12);
    }
}
