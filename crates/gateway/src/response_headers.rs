//! Headers that say who answered: the provider, the model, how many calls it took, and what it
//! cost. A client sees the route without parsing anything else.

use axum::http::{HeaderMap, HeaderName, HeaderValue};

pub const PROVIDER_HEADER: &str = "x-llm-conform-provider";
pub const MODEL_HEADER: &str = "x-llm-conform-model";
/// Provider calls made for the request (skipped candidates are not calls).
pub const ATTEMPTS_HEADER: &str = "x-llm-conform-attempts";
/// Estimated cost in US dollars from the catalog's prices (whole responses only: a stream's
/// headers leave before its usage is known).
pub const COST_HEADER: &str = "x-llm-conform-cost-usd";

/// Who served a request.
#[derive(Debug, Clone, Default)]
pub struct Served {
    pub provider: String,
    pub model: String,
    pub calls: usize,
    pub cost_usd: Option<f64>,
}

impl Served {
    pub fn apply(&self, headers: &mut HeaderMap) {
        let mut set = |name: &'static str, value: String| {
            if let Ok(v) = HeaderValue::from_str(&value) {
                headers.insert(HeaderName::from_static(name), v);
            }
        };
        set(PROVIDER_HEADER, self.provider.clone());
        set(MODEL_HEADER, self.model.clone());
        set(ATTEMPTS_HEADER, self.calls.to_string());
        if let Some(c) = self.cost_usd {
            set(COST_HEADER, format!("{c:.8}"));
        }
    }
}
