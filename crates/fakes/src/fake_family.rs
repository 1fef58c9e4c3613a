use serde_json::Value;

use super::FakeResponse;
use llm_conform_core::api::ErrorKind;
use llm_conform_core::providers::{ProviderSpec, Quirks, WireFamily};
use llm_conform_mock::{MockAnswer, MockError};

/// What a fake knows about the request it answers.
#[derive(Debug, Clone)]
pub struct FakeCtx {
    /// The provider being imitated (`mistral`, `groq`, ...): flavours the OpenAI family's wire
    /// shapes (ids, field order, error bodies). What it accepts comes from `spec`.
    pub provider: String,
    /// The provider's catalog entry: the same quirks the adapters encode by, so what a fake
    /// rejects is what the catalog says the real API rejects.
    pub spec: ProviderSpec,
    /// The model asked for (from the body, or the URL for Gemini).
    pub model: String,
    /// The request body as received.
    pub request: Value,
    /// The request path and query as received.
    pub path: String,
    /// A stable seed for ids, derived from the case, so synthesized fixtures are reproducible.
    pub seed: u64,
}

impl FakeCtx {
    /// The quirks in force for the model the request names.
    pub fn quirks(&self) -> &Quirks {
        self.spec.quirks_for(&self.model)
    }

    /// Whether the API takes the `developer` role for this request: Azure decides by the
    /// request's `api-version`, everything else by the catalog.
    pub fn accepts_developer(&self) -> bool {
        let requested = self
            .path
            .split_once('?')
            .and_then(|(_, q)| q.split('&').find_map(|kv| kv.strip_prefix("api-version=")).map(str::to_string));
        let version = requested.or_else(|| self.spec.api_version.clone());
        self.quirks().accepts_developer(version.as_deref())
    }
}

/// One family's fake: request validation like the real API, and native renderings.
pub trait FakeFamily: Send + Sync {
    /// Rejects what the real API rejects, with its native 4xx response.
    fn validate(&self, ctx: &FakeCtx) -> Result<(), FakeResponse>;

    /// A successful answer, whole or streamed.
    fn success(&self, mock: &MockAnswer, ctx: &FakeCtx, stream: bool) -> FakeResponse;

    /// A native error response for `err`, with the family's usual status for the kind when the
    /// mock gives none, and its retry hints.
    fn error(&self, err: &MockError, ctx: &FakeCtx) -> FakeResponse;
}

pub fn family_for(family: WireFamily) -> &'static dyn FakeFamily {
    match family {
        WireFamily::Openai => &super::openai::FakeOpenAi,
        WireFamily::Anthropic => &super::anthropic::FakeAnthropic,
        WireFamily::Gemini => &super::gemini::FakeGemini,
        WireFamily::Cohere => &super::cohere::FakeCohere,
    }
}

/// The status most providers use for a kind.
pub fn default_status(kind: ErrorKind) -> u16 {
    match kind {
        ErrorKind::Authentication => 401,
        ErrorKind::PermissionDenied => 403,
        ErrorKind::NotFound => 404,
        ErrorKind::InvalidRequest | ErrorKind::ContextLengthExceeded | ErrorKind::ContentFiltered => 400,
        ErrorKind::RateLimited | ErrorKind::QuotaExhausted => 429,
        ErrorKind::Overloaded => 503,
        ErrorKind::ServerError | ErrorKind::MalformedResponse => 500,
        ErrorKind::Timeout => 504,
        ErrorKind::Connection => 502,
        ErrorKind::Unsupported => 400,
    }
}

/// A deterministic id suffix of `len` characters from `seed` and a salt.
pub fn fake_id(seed: u64, salt: u64, len: usize, alphabet: &[u8]) -> String {
    let mut h = seed ^ salt.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let mut out = String::with_capacity(len);
    for _ in 0..len {
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 29;
        out.push(alphabet[(h % alphabet.len() as u64) as usize] as char);
    }
    out
}

pub const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
pub const HEX: &[u8] = b"0123456789abcdef";

/// Splits text into stream pieces of a few words, as providers do.
pub fn text_pieces(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for (i, word) in text.split_inclusive(' ').enumerate() {
        cur.push_str(word);
        if i % 2 == 1 {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    if out.is_empty() {
        out.push(String::new());
    }
    out
}

/// Splits a JSON arguments string into a few pieces, as streamed tool-call arguments arrive.
pub fn argument_pieces(args: &str) -> Vec<String> {
    if args.is_empty() {
        return vec![String::new()];
    }
    let chars: Vec<char> = args.chars().collect();
    chars.chunks(12).map(|c| c.iter().collect()).collect()
}
