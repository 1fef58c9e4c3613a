//! Prompt caching as the providers do it, for mocks that ask for it (`prompt_cache = true`):
//! the prompt is counted from the request (four characters a token), and a prefix this case sent
//! before is read back from the cache. What counts as the cacheable prefix is each API's rule:
//!
//! - Anthropic: everything up to the last block marked `cache_control`, in the order tools,
//!   system, messages; nothing without a mark. A miss writes the prefix, reported as
//!   `cache_creation_input_tokens` (<https://docs.claude.com/en/docs/build-with-claude/prompt-caching>).
//! - OpenAI-compatible: the whole prompt, automatically, counted in blocks of 128 tokens (64 on
//!   DeepSeek, whose disk cache works in such units) (<https://platform.openai.com/docs/guides/prompt-caching>,
//!   <https://api-docs.deepseek.com/guides/kv_cache>).
//! - Gemini: the system instruction, tools and every content but the last, implicitly
//!   (<https://ai.google.dev/gemini-api/docs/caching#implicit-caching>).
//!
//! A prefix shorter than the catalog's `prompt_cache_min_tokens` for the model is never cached,
//! and a provider without that quirk caches nothing. Cache entries belong to one case, so cases
//! running side by side never see each other's prefixes.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use serde_json::Value;

use super::FakeCtx;
use llm_conform_core::providers::WireFamily;
use llm_conform_mock::MockUsage;

/// The prefixes each case has sent.
#[derive(Default)]
pub(crate) struct PromptCache {
    seen: Mutex<HashMap<String, HashSet<u64>>>,
}

/// The cacheable prefix of a request: its identity and length in tokens.
struct Prefix {
    key: u64,
    tokens: u64,
}

impl PromptCache {
    /// The usage of answering `ctx` for `case`: the prompt counted from the request, the prefix
    /// read back when this case sent it before, else written where the API reports writes.
    pub(crate) fn usage(&self, case: &str, ctx: &FakeCtx, mock: MockUsage) -> MockUsage {
        let prompt = tokens(&prompt_text(ctx)) + mock.tool_prompt;
        let mut usage = MockUsage { prompt, cached: 0, cache_write: 0, ..mock };
        let min = ctx.quirks().prompt_cache_min_tokens.map_or(u64::MAX, u64::from);
        let Some(prefix) = prefix(ctx).filter(|p| p.tokens >= min && p.tokens > 0) else { return usage };
        let hit = {
            let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
            !seen.entry(case.to_string()).or_default().insert(prefix.key)
        };
        match (hit, ctx.spec.family) {
            (true, _) => usage.cached = prefix.tokens.min(prompt),
            (false, WireFamily::Anthropic) => usage.cache_write = prefix.tokens.min(prompt),
            (false, _) => {}
        }
        usage
    }
}

/// Four characters a token, rounded up, as the mocks estimate.
fn tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4)
}

/// Every string in `v`, concatenated: what the prompt says, whatever its structure.
fn strings(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => out.push_str(s),
        Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
        Value::Object(m) => m.values().for_each(|i| strings(i, out)),
        _ => {}
    }
}

/// The prompt's text: tools, system and the conversation, in the family's field names.
fn prompt_text(ctx: &FakeCtx) -> String {
    let mut out = String::new();
    for key in ["tools", "system", "system_instruction", "messages", "contents"] {
        if let Some(v) = ctx.request.get(key) {
            strings(v, &mut out);
        }
    }
    out
}

fn prefix(ctx: &FakeCtx) -> Option<Prefix> {
    let body = &ctx.request;
    match ctx.spec.family {
        WireFamily::Anthropic => anthropic_prefix(body),
        WireFamily::Gemini => {
            let mut text = String::new();
            for key in ["system_instruction", "tools"] {
                body.get(key).into_iter().for_each(|v| strings(v, &mut text));
            }
            let contents = body.get("contents").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
            contents.iter().take(contents.len().saturating_sub(1)).for_each(|c| strings(c, &mut text));
            Some(Prefix { key: fnv(&text), tokens: tokens(&text) })
        }
        WireFamily::Openai => {
            let text = prompt_text(ctx);
            let unit = if ctx.provider == "deepseek" { 64 } else { 128 };
            Some(Prefix { key: fnv(&text), tokens: tokens(&text) / unit * unit })
        }
        WireFamily::Cohere => None,
    }
}

/// Anthropic's prefix: tools, then system blocks, then message blocks, up to the last one
/// marked `cache_control`.
fn anthropic_prefix(body: &Value) -> Option<Prefix> {
    let as_list = |v: Option<&Value>| match v {
        Some(Value::Array(items)) => items.clone(),
        Some(other) => vec![other.clone()],
        None => Vec::new(),
    };
    let mut blocks = as_list(body.get("tools"));
    blocks.extend(as_list(body.get("system")));
    for m in body.get("messages").and_then(Value::as_array).into_iter().flatten() {
        blocks.extend(as_list(m.get("content")));
    }
    let last = blocks.iter().rposition(|b| b.get("cache_control").is_some())?;
    let mut text = String::new();
    blocks[..=last].iter().for_each(|b| strings(b, &mut text));
    Some(Prefix { key: fnv(&text), tokens: tokens(&text) })
}

fn fnv(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}
