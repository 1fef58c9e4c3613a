//! The OpenAI chat-completions family, flavoured by the provider being imitated.
//!
//! Each flavour follows its genuine samples in `tests/provider-samples/`, field order included:
//!
//! - `openai` (and any provider without a flavour of its own: xAI, Together, Azure, ...): ids
//!   `chatcmpl-` + 29 alphanumerics, `system_fingerprint` `fp_` + 10 hex, `service_tier`,
//!   `refusal: null`, `annotations: []`, usage with both detail objects; chunks carry
//!   `obfuscation` and `usage: null`, the first delta is `{role, content: "", refusal: null}` (or
//!   carries the first tool call when the answer is only tool calls), the finish reason comes in
//!   an empty delta, and a `choices: []` usage chunk follows only when the request asked for
//!   `stream_options.include_usage`. Tool-call ids are `call_` + 24 alphanumerics.
//! - `deepseek`: uuid ids, `reasoning_content` (streamed first, with `content: null`), usage with
//!   `prompt_cache_hit_tokens`/`prompt_cache_miss_tokens` on the finishing chunk (always),
//!   tool-call ids `call_NN_` + 24 alphanumerics, tool calls with `index` even when whole.
//! - `mistral`: 32-hex ids, no fingerprint, tool-call ids of exactly 9 alphanumerics, streamed tool
//!   calls whole in one delta without `index` or `type`, together with the finish reason and usage.
//!   Reasoning is Magistral's: `content` as a list of a `thinking` chunk (a list of text chunks)
//!   and a `text` chunk, streamed as such chunk lists (as the genuine `mistral-reasoning.*`);
//!   cached prompt tokens are `usage.num_cached_tokens`.
//! - `groq`: `chatcmpl-` + uuid, `x_groq {id, seed}` on the first chunk, `x_groq {id, usage}` and
//!   `usage` on the last, tool calls whole in one delta with `index` and `type`, tool-call ids of
//!   9 lowercase alphanumerics, reasoning in `reasoning`.
//! - `qwen` (Alibaba compatible mode): `chatcmpl-` + uuid, the samples' odd key order (`choices`
//!   first, `id` last), `system_fingerprint: null`, `usage: null` on chunks and a `choices: []`
//!   usage chunk when `include_usage` is asked for.
//! - `openrouter`: like OpenAI but ids `gen-<created>-` + 20 alphanumerics, a `provider` field
//!   naming the upstream (from the model slug), `native_finish_reason`, reasoning in `reasoning`,
//!   no `obfuscation`. The `: OPENROUTER PROCESSING` comment line is not sent: [`FakeBody`] has no
//!   way to express SSE comments.
//!
//! A mock call without arguments is sent as `"{}"`, as these providers do; `arguments_raw` is sent
//! exactly as given (streamed in pieces where the flavour streams arguments).
//!
//! Usage numbers come from [`MockAnswer::usage_or_estimate`]; reasoning tokens are estimated
//! from the reasoning text (four characters a token). Whether the model reasons for the request,
//! and whether the reasoning text is shown, is the catalog's `reasoning` quirk for the model
//! (`openai_reasoning.rs`): OpenAI's reasoning models count it and show nothing. Cached tokens are reported by every flavour
//! that has a field for them; Mistral only when non-zero.
//!
//! Errors use each provider's native body. Where a provider's body for a kind is documented or
//! widely reported it is reproduced (OpenAI's, DeepSeek's `Insufficient Balance` 402 with
//! `code: invalid_request_error`, Mistral's `{"object":"error",...}` with numeric string codes and
//! its bare `{"message":"Unauthorized"}` 401, Qwen's `Arrearage` and `data_inspection_failed`,
//! OpenRouter's `{"error":{"message","code":<status>}}`); otherwise the flavour falls back to
//! OpenAI's body in its own shape. Some genuine bodies do not classify to the kind they stand
//! for with the current tables; those are listed in the tests as known disagreements.
//!
//! What a request may contain is not decided here but by the provider's catalog quirks, in
//! `openai_validation.rs`; the flavour only shapes the error bodies.

use serde_json::{Map, Value, json};

use super::fake_family::{ALNUM, HEX, argument_pieces, fake_id, text_pieces};
use super::{FakeCtx, FakeEvent, FakeFamily, FakeResponse};
use llm_conform_core::api::ErrorKind;
use llm_conform_mock::{MockAnswer, MockError, MockUsage};

pub struct FakeOpenAi;

/// Which provider's variant of the wire format to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Flavour {
    OpenAi,
    DeepSeek,
    Mistral,
    Groq,
    Qwen,
    OpenRouter,
}

impl Flavour {
    pub(super) fn of(provider: &str) -> Flavour {
        match provider {
            "deepseek" => Flavour::DeepSeek,
            "mistral" => Flavour::Mistral,
            "groq" => Flavour::Groq,
            "qwen" | "alibaba" | "dashscope" => Flavour::Qwen,
            "openrouter" => Flavour::OpenRouter,
            _ => Flavour::OpenAi,
        }
    }
}

const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// Salts for the ids derived from the seed, so each id is independent of the others.
const SALT_ID: u64 = 1;
const SALT_FINGERPRINT: u64 = 2;
const SALT_REQUEST: u64 = 3;
const SALT_ORG: u64 = 4;
const SALT_CALL: u64 = 100;
const SALT_OBFUSCATION: u64 = 1000;

fn uuid(seed: u64, salt: u64) -> String {
    let h = fake_id(seed, salt, 32, HEX);
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

fn created(seed: u64) -> i64 {
    1_764_000_000 + (seed % 1_000_000) as i64
}

impl FakeFamily for FakeOpenAi {
    fn validate(&self, ctx: &FakeCtx) -> Result<(), FakeResponse> {
        super::openai_validation::validate(Flavour::of(&ctx.provider), ctx)
    }

    fn success(&self, mock: &MockAnswer, ctx: &FakeCtx, stream: bool) -> FakeResponse {
        let r = Render::new(Flavour::of(&ctx.provider), mock, ctx);
        if stream { FakeResponse::events(r.stream()) } else { FakeResponse::json(200, r.body()) }
    }

    fn error(&self, err: &MockError, ctx: &FakeCtx) -> FakeResponse {
        error_response(Flavour::of(&ctx.provider), err, ctx)
    }
}

// ---------------------------------------------------------------------------------------------
// Success
// ---------------------------------------------------------------------------------------------

struct Call {
    id: String,
    name: String,
    arguments: String,
}

/// Everything one answer needs, computed once so whole and streamed renderings agree.
struct Render<'a> {
    flavour: Flavour,
    mock: &'a MockAnswer,
    /// The mock's reasoning where the model returns it for this request (see
    /// `openai_reasoning.rs`); hidden or absent otherwise.
    shown_reasoning: Option<&'a str>,
    ctx: &'a FakeCtx,
    id: String,
    created: i64,
    fingerprint: String,
    usage: MockUsage,
    reasoning_tokens: u64,
    calls: Vec<Call>,
    finish: &'static str,
}

impl<'a> Render<'a> {
    fn new(flavour: Flavour, mock: &'a MockAnswer, ctx: &'a FakeCtx) -> Self {
        let seed = ctx.seed;
        let created = created(seed);
        let id = match flavour {
            Flavour::OpenAi => format!("chatcmpl-{}", fake_id(seed, SALT_ID, 29, ALNUM)),
            Flavour::DeepSeek => uuid(seed, SALT_ID),
            Flavour::Mistral => fake_id(seed, SALT_ID, 32, HEX),
            Flavour::Groq | Flavour::Qwen => format!("chatcmpl-{}", uuid(seed, SALT_ID)),
            Flavour::OpenRouter => format!("gen-{created}-{}", fake_id(seed, SALT_ID, 20, ALNUM)),
        };
        let fp = fake_id(seed, SALT_FINGERPRINT, 10, HEX);
        let fingerprint = match flavour {
            Flavour::DeepSeek => format!("fp_{fp}_prod0820_fp8_kvcache"),
            _ => format!("fp_{fp}"),
        };
        let calls = mock
            .tool_calls
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let salt = SALT_CALL + i as u64;
                let id = match flavour {
                    Flavour::OpenAi | Flavour::OpenRouter => format!("call_{}", fake_id(seed, salt, 24, ALNUM)),
                    Flavour::DeepSeek => format!("call_{i:02}_{}", fake_id(seed, salt, 24, ALNUM)),
                    Flavour::Mistral => fake_id(seed, salt, 9, ALNUM),
                    Flavour::Groq => fake_id(seed, salt, 9, LOWER_ALNUM),
                    Flavour::Qwen => format!("call_{}", fake_id(seed, salt, 24, HEX)),
                };
                // The family always sends an arguments string: a call without arguments is
                // `{}` on the wire (Groq's sample); only `arguments_raw` sends anything else.
                let arguments = match (&c.arguments_raw, &c.arguments) {
                    (None, None) => "{}".to_string(),
                    _ => c.arguments_string(),
                };
                Call { id, name: c.name.clone(), arguments }
            })
            .collect();
        let usage = mock.usage_or_estimate();
        let (thinks, shows) = super::openai_reasoning::reasoning_in_answer(ctx);
        let reasoning_tokens = mock
            .reasoning
            .as_deref()
            .filter(|_| flavour != Flavour::Mistral && thinks)
            .map_or(0, |r| (r.len() as u64).div_ceil(4).min(usage.completion));
        Render {
            flavour,
            mock,
            shown_reasoning: mock.reasoning.as_deref().filter(|r| shows && !r.is_empty()),
            ctx,
            id,
            created,
            fingerprint,
            usage,
            reasoning_tokens,
            calls,
            finish: mock.finish_or_default().as_str(),
        }
    }

    fn model(&self) -> &str {
        &self.ctx.model
    }

    /// Reasoning sent in the flavour's reasoning field; Mistral sends it as content chunks instead
    /// (see [`Render::mistral_content`]).
    fn reasoning(&self) -> Option<&str> {
        if self.flavour == Flavour::Mistral { None } else { self.shown_reasoning }
    }

    /// Magistral's answer content with reasoning: a `thinking` chunk (a list of text chunks) and a
    /// `text` chunk, as in the genuine `mistral-reasoning.json`.
    fn mistral_thinking(piece: &str) -> Value {
        json!({"type": "thinking", "thinking": [{"type": "text", "text": piece}]})
    }

    fn text(&self) -> Option<&str> {
        self.mock.text.as_deref()
    }

    fn include_usage(&self) -> bool {
        self.ctx.request.pointer("/stream_options/include_usage").and_then(Value::as_bool).unwrap_or(false)
    }

    fn usage_json(&self) -> Value {
        let u = self.usage;
        let total = u.prompt.saturating_add(u.completion);
        match self.flavour {
            Flavour::OpenAi => json!({
                "prompt_tokens": u.prompt,
                "completion_tokens": u.completion,
                "total_tokens": total,
                "prompt_tokens_details": {"cached_tokens": u.cached, "audio_tokens": 0},
                "completion_tokens_details": {
                    "reasoning_tokens": self.reasoning_tokens,
                    "audio_tokens": 0,
                    "accepted_prediction_tokens": 0,
                    "rejected_prediction_tokens": 0
                }
            }),
            Flavour::DeepSeek => {
                let mut m = Map::new();
                m.insert("prompt_tokens".into(), json!(u.prompt));
                m.insert("completion_tokens".into(), json!(u.completion));
                m.insert("total_tokens".into(), json!(total));
                m.insert("prompt_tokens_details".into(), json!({"cached_tokens": u.cached}));
                if self.reasoning_tokens > 0 {
                    m.insert("completion_tokens_details".into(), json!({"reasoning_tokens": self.reasoning_tokens}));
                }
                m.insert("prompt_cache_hit_tokens".into(), json!(u.cached));
                m.insert("prompt_cache_miss_tokens".into(), json!(u.prompt.saturating_sub(u.cached)));
                Value::Object(m)
            }
            Flavour::Mistral => {
                let mut m = Map::new();
                m.insert("prompt_tokens".into(), json!(u.prompt));
                m.insert("total_tokens".into(), json!(total));
                m.insert("completion_tokens".into(), json!(u.completion));
                // What Mistral sends for cached prompt tokens in most responses.
                if u.cached > 0 {
                    m.insert("num_cached_tokens".into(), json!(u.cached));
                }
                Value::Object(m)
            }
            Flavour::Groq => {
                let prompt_time = u.prompt as f64 * 0.000_05;
                let completion_time = u.completion as f64 * 0.003;
                let mut m = Map::new();
                m.insert("queue_time".into(), json!(0.041_520_249));
                m.insert("prompt_tokens".into(), json!(u.prompt));
                m.insert("prompt_time".into(), json!(round9(prompt_time)));
                m.insert("completion_tokens".into(), json!(u.completion));
                m.insert("completion_time".into(), json!(round9(completion_time)));
                m.insert("total_tokens".into(), json!(total));
                m.insert("total_time".into(), json!(round9(prompt_time + completion_time)));
                if u.cached > 0 {
                    m.insert("prompt_tokens_details".into(), json!({"cached_tokens": u.cached}));
                }
                if self.reasoning_tokens > 0 {
                    m.insert("completion_tokens_details".into(), json!({"reasoning_tokens": self.reasoning_tokens}));
                }
                Value::Object(m)
            }
            Flavour::Qwen => {
                let mut m = Map::new();
                m.insert("prompt_tokens".into(), json!(u.prompt));
                m.insert("completion_tokens".into(), json!(u.completion));
                m.insert("total_tokens".into(), json!(total));
                if self.reasoning_tokens > 0 {
                    m.insert("completion_tokens_details".into(), json!({"reasoning_tokens": self.reasoning_tokens}));
                }
                m.insert("prompt_tokens_details".into(), json!({"cached_tokens": u.cached}));
                Value::Object(m)
            }
            Flavour::OpenRouter => json!({
                "prompt_tokens": u.prompt,
                "completion_tokens": u.completion,
                "total_tokens": total,
                "prompt_tokens_details": {"cached_tokens": u.cached},
                "completion_tokens_details": {"reasoning_tokens": self.reasoning_tokens}
            }),
        }
    }

    /// The upstream OpenRouter names in its `provider` field, from the model slug.
    fn openrouter_provider(&self) -> &'static str {
        match self.model().split('/').next().unwrap_or("") {
            "anthropic" => "Anthropic",
            "google" => "Google",
            "mistralai" => "Mistral",
            "deepseek" => "DeepSeek",
            "qwen" => "Alibaba",
            "x-ai" => "xAI",
            "meta-llama" => "Together",
            _ => "OpenAI",
        }
    }

    /// One tool call in a whole message.
    fn call_json(&self, i: usize, c: &Call) -> Value {
        let function = json!({"name": c.name, "arguments": c.arguments});
        match self.flavour {
            Flavour::Mistral => json!({"id": c.id, "function": function}),
            Flavour::DeepSeek => json!({"index": i, "id": c.id, "type": "function", "function": function}),
            Flavour::Qwen => json!({"function": function, "index": i, "id": c.id, "type": "function"}),
            Flavour::OpenAi | Flavour::Groq | Flavour::OpenRouter => {
                json!({"id": c.id, "type": "function", "function": function})
            }
        }
    }

    fn calls_json(&self) -> Vec<Value> {
        self.calls.iter().enumerate().map(|(i, c)| self.call_json(i, c)).collect()
    }

    // -- whole responses ------------------------------------------------------------------------

    /// The non-streamed body in the flavour's own field order and extras.
    fn body(&self) -> Value {
        match self.flavour {
            Flavour::OpenAi => self.openai_body(),
            Flavour::DeepSeek => self.deepseek_body(),
            Flavour::Mistral => self.mistral_body(),
            Flavour::Groq => self.groq_body(),
            Flavour::Qwen => self.qwen_body(),
            Flavour::OpenRouter => self.openrouter_body(),
        }
    }

    /// The reasoning (under the flavour's field name) and the tool calls, each only when there
    /// are any.
    fn add_reasoning_and_calls(&self, msg: &mut Map<String, Value>, reasoning_field: &str) {
        if let Some(r) = self.reasoning() {
            msg.insert(reasoning_field.into(), json!(r));
        }
        if !self.calls.is_empty() {
            msg.insert("tool_calls".into(), Value::Array(self.calls_json()));
        }
    }

    fn openai_body(&self) -> Value {
        let mut msg = Map::new();
        msg.insert("role".into(), json!("assistant"));
        msg.insert("content".into(), json!(self.text()));
        self.add_reasoning_and_calls(&mut msg, "reasoning_content");
        msg.insert("refusal".into(), Value::Null);
        msg.insert("annotations".into(), json!([]));
        json!({
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model(),
            "choices": [{"index": 0, "message": msg, "logprobs": null, "finish_reason": self.finish}],
            "usage": self.usage_json(),
            "service_tier": "default",
            "system_fingerprint": self.fingerprint
        })
    }

    fn deepseek_body(&self) -> Value {
        let mut msg = Map::new();
        msg.insert("role".into(), json!("assistant"));
        msg.insert("content".into(), json!(self.text().unwrap_or("")));
        self.add_reasoning_and_calls(&mut msg, "reasoning_content");
        json!({
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model(),
            "choices": [{"index": 0, "message": msg, "logprobs": null, "finish_reason": self.finish}],
            "usage": self.usage_json(),
            "system_fingerprint": self.fingerprint
        })
    }

    fn mistral_body(&self) -> Value {
        let has_calls = !self.calls.is_empty();
        let mut msg = Map::new();
        msg.insert("role".into(), json!("assistant"));
        msg.insert("tool_calls".into(), if has_calls { Value::Array(self.calls_json()) } else { Value::Null });
        match (self.shown_reasoning, self.text()) {
            (Some(r), text) => {
                let mut parts = vec![Self::mistral_thinking(r)];
                parts.extend(text.map(|t| json!({"type": "text", "text": t})));
                msg.insert("content".into(), Value::Array(parts));
            }
            (None, Some(t)) => {
                msg.insert("content".into(), json!(t));
            }
            (None, None) if !has_calls => {
                msg.insert("content".into(), json!(""));
            }
            (None, None) => {}
        }
        json!({
            "id": self.id,
            "created": self.created,
            "model": self.model(),
            "usage": self.usage_json(),
            "object": "chat.completion",
            "choices": [{"index": 0, "finish_reason": self.finish, "message": msg}]
        })
    }

    fn groq_body(&self) -> Value {
        let has_calls = !self.calls.is_empty();
        let mut msg = Map::new();
        msg.insert("role".into(), json!("assistant"));
        match self.text() {
            Some(t) => {
                msg.insert("content".into(), json!(t));
            }
            None if !has_calls => {
                msg.insert("content".into(), json!(""));
            }
            None => {}
        }
        self.add_reasoning_and_calls(&mut msg, "reasoning");
        json!({
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model(),
            "choices": [{"index": 0, "message": msg, "logprobs": null, "finish_reason": self.finish}],
            "usage": self.usage_json(),
            "usage_breakdown": null,
            "system_fingerprint": self.fingerprint,
            "x_groq": {"id": self.groq_request_id(), "seed": self.ctx.seed % 2_000_000_000},
            "service_tier": "on_demand"
        })
    }

    fn qwen_body(&self) -> Value {
        let has_calls = !self.calls.is_empty();
        let mut msg = Map::new();
        msg.insert("content".into(), json!(self.text().unwrap_or("")));
        if let Some(r) = self.reasoning() {
            msg.insert("reasoning_content".into(), json!(r));
        }
        msg.insert("role".into(), json!("assistant"));
        if has_calls {
            msg.insert("tool_calls".into(), Value::Array(self.calls_json()));
        }
        json!({
            "choices": [{"message": msg, "finish_reason": self.finish, "index": 0, "logprobs": null}],
            "object": "chat.completion",
            "usage": self.usage_json(),
            "created": self.created,
            "system_fingerprint": null,
            "model": self.model(),
            "id": self.id
        })
    }

    fn openrouter_body(&self) -> Value {
        let has_calls = !self.calls.is_empty();
        let mut msg = Map::new();
        msg.insert("role".into(), json!("assistant"));
        msg.insert("content".into(), json!(self.text().unwrap_or("")));
        msg.insert("refusal".into(), Value::Null);
        msg.insert("reasoning".into(), json!(self.reasoning()));
        if has_calls {
            msg.insert("tool_calls".into(), Value::Array(self.calls_json()));
        }
        json!({
            "id": self.id,
            "provider": self.openrouter_provider(),
            "model": self.model(),
            "object": "chat.completion",
            "created": self.created,
            "choices": [{
                "logprobs": null,
                "finish_reason": self.finish,
                "native_finish_reason": self.finish,
                "index": 0,
                "message": msg
            }],
            "system_fingerprint": self.fingerprint,
            "usage": self.usage_json()
        })
    }
    fn groq_request_id(&self) -> String {
        format!("req_{}", fake_id(self.ctx.seed, SALT_REQUEST, 26, LOWER_ALNUM))
    }

    // -- streams --------------------------------------------------------------------------------

    fn stream(&self) -> Vec<FakeEvent> {
        let chunks = match self.flavour {
            Flavour::Mistral => self.mistral_chunks(),
            Flavour::Groq => self.groq_chunks(),
            _ => self.incremental_chunks(),
        };
        let mut events: Vec<FakeEvent> = chunks.iter().map(FakeEvent::json).collect();
        events.push(FakeEvent { event: None, data: "[DONE]".into() });
        events
    }

    /// A chunk envelope in the flavour's key order. `usage` is the chunk's usage field (`null`
    /// on most chunks where the flavour sends the key at all); `choices` is `None` for a usage
    /// chunk.
    fn envelope(&self, n: usize, choice: Option<Value>, usage: Option<Value>) -> Value {
        let choices = Value::Array(choice.into_iter().collect());
        let mut m = Map::new();
        match self.flavour {
            Flavour::OpenAi => {
                m.insert("id".into(), json!(self.id));
                m.insert("object".into(), json!("chat.completion.chunk"));
                m.insert("created".into(), json!(self.created));
                m.insert("model".into(), json!(self.model()));
                m.insert("service_tier".into(), json!("default"));
                m.insert("system_fingerprint".into(), json!(self.fingerprint));
                m.insert("choices".into(), choices);
                m.insert("usage".into(), usage.unwrap_or(Value::Null));
                m.insert("obfuscation".into(), json!(self.obfuscation(n)));
            }
            Flavour::DeepSeek => {
                m.insert("id".into(), json!(self.id));
                m.insert("object".into(), json!("chat.completion.chunk"));
                m.insert("created".into(), json!(self.created));
                m.insert("model".into(), json!(self.model()));
                m.insert("system_fingerprint".into(), json!(self.fingerprint));
                m.insert("choices".into(), choices);
                m.insert("usage".into(), usage.unwrap_or(Value::Null));
            }
            Flavour::Qwen => {
                m.insert("choices".into(), choices);
                m.insert("object".into(), json!("chat.completion.chunk"));
                m.insert("usage".into(), usage.unwrap_or(Value::Null));
                m.insert("created".into(), json!(self.created));
                m.insert("system_fingerprint".into(), Value::Null);
                m.insert("model".into(), json!(self.model()));
                m.insert("id".into(), json!(self.id));
            }
            Flavour::OpenRouter => {
                m.insert("id".into(), json!(self.id));
                m.insert("provider".into(), json!(self.openrouter_provider()));
                m.insert("model".into(), json!(self.model()));
                m.insert("object".into(), json!("chat.completion.chunk"));
                m.insert("created".into(), json!(self.created));
                m.insert("choices".into(), choices);
                m.insert("system_fingerprint".into(), json!(self.fingerprint));
                if let Some(u) = usage {
                    m.insert("usage".into(), u);
                }
            }
            Flavour::Mistral => {
                m.insert("id".into(), json!(self.id));
                m.insert("object".into(), json!("chat.completion.chunk"));
                m.insert("created".into(), json!(self.created));
                m.insert("model".into(), json!(self.model()));
                m.insert("choices".into(), choices);
                if let Some(u) = usage {
                    m.insert("usage".into(), u);
                }
            }
            Flavour::Groq => {
                m.insert("id".into(), json!(self.id));
                m.insert("object".into(), json!("chat.completion.chunk"));
                m.insert("created".into(), json!(self.created));
                m.insert("model".into(), json!(self.model()));
                m.insert("system_fingerprint".into(), json!(self.fingerprint));
                m.insert("choices".into(), choices);
                if let Some(u) = usage {
                    m.insert("x_groq".into(), json!({"id": self.groq_request_id(), "usage": u.clone()}));
                    m.insert("usage".into(), u);
                } else if n == 0 {
                    m.insert(
                        "x_groq".into(),
                        json!({"id": self.groq_request_id(), "seed": self.ctx.seed % 2_000_000_000}),
                    );
                }
            }
        }
        Value::Object(m)
    }

    fn choice(&self, delta: Value, finish: Option<&str>) -> Value {
        match self.flavour {
            Flavour::Mistral => json!({"index": 0, "delta": delta, "finish_reason": finish, "logprobs": null}),
            Flavour::Qwen => json!({"delta": delta, "finish_reason": finish, "index": 0, "logprobs": null}),
            Flavour::OpenRouter => json!({
                "index": 0,
                "delta": delta,
                "finish_reason": finish,
                "native_finish_reason": finish,
                "logprobs": null
            }),
            _ => json!({"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}),
        }
    }

    /// OpenAI's padding field: random characters whose length varies with the chunk.
    fn obfuscation(&self, n: usize) -> String {
        let salt = SALT_OBFUSCATION + n as u64;
        let len = 2 + (fake_id(self.ctx.seed, salt, 1, HEX).bytes().next().unwrap_or(b'0') % 10) as usize;
        fake_id(self.ctx.seed, salt, len, ALNUM)
    }

    fn tool_start(&self, i: usize, c: &Call) -> Value {
        json!({"index": i, "id": c.id, "type": "function", "function": {"name": c.name, "arguments": ""}})
    }

    /// OpenAI, DeepSeek, Qwen, OpenRouter: reasoning, text and each call's arguments arrive
    /// piece by piece.
    fn incremental_chunks(&self) -> Vec<Value> {
        let f = self.flavour;
        let reasoning = self.reasoning();
        let text = self.text();
        // OpenAI puts the first call in the role delta when the answer is only tool calls.
        let calls_in_first = f == Flavour::OpenAi && text.is_none() && reasoning.is_none() && !self.calls.is_empty();
        let mut deltas = vec![self.first_delta(calls_in_first)];
        for piece in reasoning.map(text_pieces).unwrap_or_default() {
            deltas.push(match f {
                Flavour::DeepSeek | Flavour::Qwen => json!({"content": null, "reasoning_content": piece}),
                Flavour::OpenRouter => json!({"role": "assistant", "content": "", "reasoning": piece}),
                _ => json!({"reasoning_content": piece}),
            });
        }
        for piece in text.map(text_pieces).unwrap_or_default() {
            deltas.push(match f {
                Flavour::DeepSeek if reasoning.is_some() => json!({"content": piece, "reasoning_content": null}),
                Flavour::OpenRouter => json!({"role": "assistant", "content": piece, "reasoning": null}),
                _ => json!({"content": piece}),
            });
        }
        self.push_call_deltas(calls_in_first, &mut deltas);
        let mut chunks: Vec<Value> = Vec::new();
        for d in deltas {
            let n = chunks.len();
            chunks.push(self.envelope(n, Some(self.choice(d, None)), None));
        }
        self.push_finish(&mut chunks);
        chunks
    }

    /// The role delta that opens a stream, in the flavour's shape.
    fn first_delta(&self, calls_in_first: bool) -> Value {
        let reasoning = self.reasoning();
        match self.flavour {
            Flavour::OpenAi if calls_in_first => match self.calls.first() {
                Some(c) => json!({
                    "role": "assistant",
                    "content": null,
                    "tool_calls": [self.tool_start(0, c)],
                    "refusal": null
                }),
                None => json!({"role": "assistant", "content": "", "refusal": null}),
            },
            Flavour::OpenAi => json!({"role": "assistant", "content": "", "refusal": null}),
            Flavour::DeepSeek if reasoning.is_some() => {
                json!({"role": "assistant", "content": null, "reasoning_content": ""})
            }
            Flavour::Qwen if reasoning.is_some() => {
                json!({"content": null, "role": "assistant", "reasoning_content": ""})
            }
            Flavour::Qwen => json!({"content": "", "role": "assistant"}),
            Flavour::OpenRouter => json!({"role": "assistant", "content": "", "reasoning": null}),
            _ => json!({"role": "assistant", "content": ""}),
        }
    }

    /// Each call's opening delta (unless it went into the role delta), then its arguments in
    /// pieces.
    fn push_call_deltas(&self, calls_in_first: bool, deltas: &mut Vec<Value>) {
        let f = self.flavour;
        for (i, c) in self.calls.iter().enumerate() {
            if !(calls_in_first && i == 0) {
                let start = json!({"tool_calls": [self.tool_start(i, c)]});
                deltas.push(match f {
                    Flavour::Qwen => json!({"content": null, "tool_calls": start["tool_calls"].clone()}),
                    _ => start,
                });
            }
            for piece in argument_pieces(&c.arguments).into_iter().filter(|p| !p.is_empty()) {
                let tc = json!([{"index": i, "function": {"arguments": piece}}]);
                deltas.push(match f {
                    Flavour::Qwen => json!({"content": null, "tool_calls": tc}),
                    _ => json!({"tool_calls": tc}),
                });
            }
        }
    }

    /// The finishing chunk, and usage where and when the flavour sends it.
    fn push_finish(&self, chunks: &mut Vec<Value>) {
        let f = self.flavour;
        let last_delta = match f {
            Flavour::OpenAi => json!({}),
            Flavour::DeepSeek if self.reasoning().is_some() => json!({"content": "", "reasoning_content": null}),
            Flavour::OpenRouter => json!({"role": "assistant", "content": ""}),
            _ => json!({"content": ""}),
        };
        let n = chunks.len();
        let finish = self.choice(last_delta, Some(self.finish));
        if f == Flavour::DeepSeek {
            // DeepSeek reports usage on the finishing chunk, whatever the request asked.
            chunks.push(self.envelope(n, Some(finish), Some(self.usage_json())));
        } else {
            chunks.push(self.envelope(n, Some(finish), None));
            if self.include_usage() {
                chunks.push(self.envelope(n + 1, None, Some(self.usage_json())));
            }
        }
    }

    /// Mistral: text in pieces, then every call whole in one delta that also finishes and
    /// carries usage.
    fn mistral_chunks(&self) -> Vec<Value> {
        let mut deltas: Vec<Value> = Vec::new();
        match self.shown_reasoning {
            // Magistral: thinking chunks first (the role on the first), then text as chunks.
            Some(r) => {
                for piece in text_pieces(r) {
                    let mut d = json!({"content": [Self::mistral_thinking(&piece)]});
                    if deltas.is_empty() {
                        d = json!({"role": "assistant", "content": d["content"].clone()});
                    }
                    deltas.push(d);
                }
                for piece in self.text().map(text_pieces).unwrap_or_default() {
                    deltas.push(json!({"content": [{"type": "text", "text": piece}]}));
                }
            }
            None => {
                deltas.push(json!({"role": "assistant", "content": ""}));
                for piece in self.text().map(text_pieces).unwrap_or_default() {
                    deltas.push(json!({"content": piece}));
                }
            }
        }
        let mut chunks = Vec::with_capacity(deltas.len() + 1);
        for d in deltas {
            let n = chunks.len();
            chunks.push(self.envelope(n, Some(self.choice(d, None)), None));
        }
        let last = if self.calls.is_empty() {
            json!({"content": ""})
        } else {
            json!({"content": null, "tool_calls": self.calls_json()})
        };
        let n = chunks.len();
        chunks.push(self.envelope(n, Some(self.choice(last, Some(self.finish))), Some(self.usage_json())));
        chunks
    }

    /// Groq: reasoning and text in pieces, every call whole in one delta, then an empty
    /// finishing delta with usage (in `x_groq` and at the top level).
    fn groq_chunks(&self) -> Vec<Value> {
        let content = if self.text().is_some() { json!("") } else { Value::Null };
        let mut chunks =
            vec![self.envelope(0, Some(self.choice(json!({"role": "assistant", "content": content}), None)), None)];
        for piece in self.reasoning().map(text_pieces).unwrap_or_default() {
            let n = chunks.len();
            chunks.push(self.envelope(n, Some(self.choice(json!({"reasoning": piece}), None)), None));
        }
        for piece in self.text().map(text_pieces).unwrap_or_default() {
            let n = chunks.len();
            chunks.push(self.envelope(n, Some(self.choice(json!({"content": piece}), None)), None));
        }
        if !self.calls.is_empty() {
            let calls: Vec<Value> = self
                .calls
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    json!({
                        "id": c.id,
                        "type": "function",
                        "function": {"name": c.name, "arguments": c.arguments},
                        "index": i
                    })
                })
                .collect();
            let n = chunks.len();
            chunks.push(self.envelope(n, Some(self.choice(json!({"tool_calls": calls}), None)), None));
        }
        let n = chunks.len();
        chunks.push(self.envelope(n, Some(self.choice(json!({}), Some(self.finish))), Some(self.usage_json())));
        chunks
    }
}

fn round9(x: f64) -> f64 {
    (x * 1e9).round() / 1e9
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// An error in OpenAI's vocabulary, before a flavour lays it out.
pub(super) struct Parts {
    status: u16,
    message: String,
    kind_type: Option<String>,
    param: Option<String>,
    code: Option<String>,
    headers: Vec<(String, String)>,
}

impl Parts {
    pub(super) fn new(
        status: u16,
        message: impl Into<String>,
        kind_type: Option<&str>,
        param: Option<&str>,
        code: Option<&str>,
    ) -> Self {
        Parts {
            status,
            message: message.into(),
            kind_type: kind_type.map(str::to_string),
            param: param.map(str::to_string),
            code: code.map(str::to_string),
            headers: Vec::new(),
        }
    }
}

/// A rendered error: OpenAI-vocabulary parts laid out by the flavour, or a body of its own.
enum Rendered {
    Parts(Parts),
    Raw { status: u16, body: Value, headers: Vec<(String, String)> },
}

/// Seconds as a header value: whole numbers without a fraction.
fn secs_header(s: f64) -> String {
    if s.fract() == 0.0 && s >= 0.0 { format!("{}", s as u64) } else { format!("{s}") }
}

/// A Go-style duration as OpenAI's `x-ratelimit-reset-*` headers and messages spell them.
fn go_duration(s: f64) -> String {
    if s < 1.0 {
        format!("{}ms", (s * 1000.0).round() as u64)
    } else {
        format!("{}s", secs_header((s * 1000.0).round() / 1000.0))
    }
}

const DEFAULT_RETRY_S: f64 = 20.0;

/// OpenAI's 429: the RPM message, `x-ratelimit-*` headers, and `retry-after` only when the
/// scenario gives one (OpenAI does not always send it).
fn openai_rate_limited(ctx: &FakeCtx, retry: Option<f64>) -> Parts {
    let model = &ctx.model;
    let s = retry.unwrap_or(DEFAULT_RETRY_S);
    let org = fake_id(ctx.seed, SALT_ORG, 24, ALNUM);
    let mut p = Parts::new(
        429,
        format!(
            "Rate limit reached for {model} in organization org-{org} on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in {}. Visit https://platform.openai.com/account/rate-limits to learn more.",
            go_duration(s)
        ),
        Some("requests"),
        None,
        Some("rate_limit_exceeded"),
    );
    p.headers = vec![
        ("x-ratelimit-limit-requests".into(), "500".into()),
        ("x-ratelimit-limit-tokens".into(), "200000".into()),
        ("x-ratelimit-remaining-requests".into(), "0".into()),
        ("x-ratelimit-remaining-tokens".into(), "199985".into()),
        ("x-ratelimit-reset-requests".into(), go_duration(s)),
        ("x-ratelimit-reset-tokens".into(), "4ms".into()),
    ];
    if let Some(s) = retry {
        p.headers.push(("retry-after".into(), secs_header(s)));
    }
    p
}

fn openai_parts(kind: ErrorKind, ctx: &FakeCtx, retry: Option<f64>) -> Parts {
    let model = &ctx.model;
    match kind {
        ErrorKind::Authentication => Parts::new(
            401,
            "Incorrect API key provided: llm-conf*****0000. You can find your API key at https://platform.openai.com/account/api-keys.",
            Some("invalid_request_error"),
            None,
            Some("invalid_api_key"),
        ),
        ErrorKind::PermissionDenied => Parts::new(
            403,
            "Country, region, or territory not supported",
            Some("request_forbidden"),
            None,
            Some("unsupported_country_region_territory"),
        ),
        ErrorKind::NotFound => Parts::new(
            404,
            format!("The model `{model}` does not exist or you do not have access to it."),
            Some("invalid_request_error"),
            None,
            Some("model_not_found"),
        ),
        ErrorKind::InvalidRequest => Parts::new(
            400,
            "Invalid value for 'temperature': expected a number between 0 and 2.",
            Some("invalid_request_error"),
            Some("temperature"),
            Some("invalid_value"),
        ),
        ErrorKind::ContextLengthExceeded => Parts::new(
            400,
            "This model's maximum context length is 128000 tokens. However, your messages resulted in 131072 tokens. Please reduce the length of the messages.",
            Some("invalid_request_error"),
            Some("messages"),
            Some("context_length_exceeded"),
        ),
        ErrorKind::ContentFiltered => Parts::new(
            400,
            "Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system.",
            Some("invalid_request_error"),
            None,
            Some("content_policy_violation"),
        ),
        ErrorKind::RateLimited => openai_rate_limited(ctx, retry),
        ErrorKind::QuotaExhausted => Parts::new(
            429,
            "You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
            Some("insufficient_quota"),
            None,
            Some("insufficient_quota"),
        ),
        ErrorKind::Overloaded => Parts::new(
            503,
            "Our servers are currently overloaded. Please try again later.",
            Some("service_unavailable_error"),
            None,
            Some("server_is_overloaded"),
        ),
        ErrorKind::ServerError | ErrorKind::MalformedResponse => Parts::new(
            500,
            "The server had an error while processing your request. Sorry about that!",
            Some("server_error"),
            None,
            None,
        ),
        ErrorKind::Timeout => Parts::new(504, "Request timed out.", Some("timeout"), None, None),
        ErrorKind::Connection => Parts::new(502, "Bad gateway.", Some("server_error"), None, None),
        ErrorKind::Unsupported => Parts::new(
            400,
            "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
            Some("invalid_request_error"),
            Some("max_tokens"),
            Some("unsupported_parameter"),
        ),
    }
}

/// One error a flavour sends as the plain OpenAI envelope: status, message (`{model}` filled
/// in), `type`, `param`, `code`. What needs more than that (headers, another body) is in
/// [`flavour_error`].
type PlainError =
    (Flavour, ErrorKind, u16, &'static str, Option<&'static str>, Option<&'static str>, Option<&'static str>);

const INVALID: Option<&str> = Some("invalid_request_error");

/// The flavours' documented errors in the OpenAI envelope, as each provider words them.
const PLAIN_ERRORS: &[PlainError] = &[
    (
        Flavour::DeepSeek,
        ErrorKind::Authentication,
        401,
        "Authentication Fails, Your api key: ****0000 is invalid",
        Some("authentication_error"),
        None,
        INVALID,
    ),
    (Flavour::DeepSeek, ErrorKind::NotFound, 400, "Model Not Exist", INVALID, None, INVALID),
    (
        Flavour::DeepSeek,
        ErrorKind::InvalidRequest,
        400,
        "Invalid request: temperature must be between 0 and 2",
        INVALID,
        None,
        INVALID,
    ),
    (
        Flavour::DeepSeek,
        ErrorKind::ContextLengthExceeded,
        400,
        "This model's maximum context length is 131072 tokens. However, you requested 140000 tokens (139000 in the messages, 1000 in the completion). Please reduce the length of the messages or completion.",
        INVALID,
        None,
        INVALID,
    ),
    (Flavour::DeepSeek, ErrorKind::QuotaExhausted, 402, "Insufficient Balance", Some("unknown_error"), None, INVALID),
    (Flavour::Groq, ErrorKind::Authentication, 401, "Invalid API Key", INVALID, None, Some("invalid_api_key")),
    (
        Flavour::Groq,
        ErrorKind::ContextLengthExceeded,
        400,
        "Please reduce the length of the messages or completion.",
        INVALID,
        Some("messages"),
        Some("context_length_exceeded"),
    ),
    (
        Flavour::Groq,
        ErrorKind::Overloaded,
        503,
        "{model} is currently over capacity. Please try again and back off exponentially. Visit https://groqstatus.com to see if there is an active incident.",
        Some("internal_server_error"),
        None,
        Some("over_capacity"),
    ),
    (Flavour::Groq, ErrorKind::ServerError, 500, "Internal Server Error", Some("internal_server_error"), None, None),
    (
        Flavour::Qwen,
        ErrorKind::Authentication,
        401,
        "Incorrect API key provided. ",
        INVALID,
        None,
        Some("invalid_api_key"),
    ),
    (
        Flavour::Qwen,
        ErrorKind::RateLimited,
        429,
        "You exceeded your current requests list.",
        Some("limit_requests"),
        None,
        Some("limit_requests"),
    ),
    (
        Flavour::Qwen,
        ErrorKind::QuotaExhausted,
        400,
        "Access denied, please make sure your account is in good standing.",
        Some("Arrearage"),
        None,
        Some("Arrearage"),
    ),
    (
        Flavour::Qwen,
        ErrorKind::ContentFiltered,
        400,
        "Input data may contain inappropriate content.",
        Some("data_inspection_failed"),
        None,
        Some("data_inspection_failed"),
    ),
    (Flavour::Mistral, ErrorKind::NotFound, 400, "Invalid model: {model}", Some("invalid_model"), None, Some("1500")),
    (
        Flavour::Mistral,
        ErrorKind::ContextLengthExceeded,
        400,
        "Prompt contains 131072 tokens and 0 draft tokens, too large for model with 32768 maximum context length",
        INVALID,
        None,
        None,
    ),
    (
        Flavour::Mistral,
        ErrorKind::ContentFiltered,
        400,
        "The request was blocked by the safety filter.",
        INVALID,
        None,
        None,
    ),
    (
        Flavour::Mistral,
        ErrorKind::QuotaExhausted,
        429,
        "You have reached your per-month limit. Increase it in the billing settings of your workspace.",
        Some("quota_exceeded"),
        None,
        None,
    ),
    (
        Flavour::Mistral,
        ErrorKind::Overloaded,
        429,
        "Service tier capacity exceeded for this model.",
        Some("service_tier_capacity_exceeded"),
        None,
        Some("3505"),
    ),
    (Flavour::Mistral, ErrorKind::ServerError, 500, "Internal server error", Some("internal_server_error"), None, None),
    (
        Flavour::Mistral,
        ErrorKind::MalformedResponse,
        500,
        "Internal server error",
        Some("internal_server_error"),
        None,
        None,
    ),
];

/// Bodies a flavour has of its own for a kind; `None` falls back to OpenAI's, laid out in the
/// flavour's shape.
fn flavour_error(flavour: Flavour, kind: ErrorKind, ctx: &FakeCtx, retry: Option<f64>) -> Option<Rendered> {
    if let Some(&(_, _, status, message, kind_type, param, code)) =
        PLAIN_ERRORS.iter().find(|e| e.0 == flavour && e.1 == kind)
    {
        let message = message.replace("{model}", &ctx.model);
        return Some(Rendered::Parts(Parts::new(status, message, kind_type, param, code)));
    }
    match (flavour, kind) {
        (Flavour::Groq, ErrorKind::RateLimited) => Some(groq_rate_limited(ctx, retry)),
        (Flavour::Mistral, ErrorKind::Authentication | ErrorKind::PermissionDenied) => {
            let (status, message) =
                if kind == ErrorKind::Authentication { (401, "Unauthorized") } else { (403, "Forbidden") };
            Some(Rendered::Raw {
                status,
                body: json!({"message": message, "request_id": fake_id(ctx.seed, SALT_REQUEST, 32, HEX)}),
                headers: Vec::new(),
            })
        }
        (Flavour::Mistral, ErrorKind::RateLimited) => {
            let mut parts = Parts::new(429, "Rate limit exceeded", Some("rate_limited"), None, Some("1300"));
            if let Some(s) = retry {
                parts.headers.push(("retry-after".into(), secs_header(s)));
            }
            Some(Rendered::Parts(parts))
        }
        (Flavour::Mistral, ErrorKind::Unsupported) => Some(Rendered::Raw {
            status: 422,
            body: json!({
                "object": "error",
                "message": {"detail": [{
                    "type": "extra_forbidden",
                    "loc": ["body", "max_completion_tokens"],
                    "msg": "Extra inputs are not permitted",
                    "input": 1024
                }]},
                "type": "invalid_request_error",
                "param": null,
                "code": null
            }),
            headers: Vec::new(),
        }),
        (Flavour::OpenRouter, _) => Some(openrouter_error(kind, ctx, retry)),
        _ => None,
    }
}

/// Groq always sends `retry-after` with a 429, beside its `x-ratelimit-*` headers.
fn groq_rate_limited(ctx: &FakeCtx, retry: Option<f64>) -> Rendered {
    let s = retry.unwrap_or(DEFAULT_RETRY_S);
    let org = fake_id(ctx.seed, SALT_ORG, 26, LOWER_ALNUM);
    let mut parts = Parts::new(
        429,
        format!(
            "Rate limit reached for model `{}` in organization `org_{org}` service tier `on_demand` on tokens per minute (TPM): Limit 6000, Used 5838, Requested 1240. Please try again in {}. Need more tokens? Upgrade to Dev Tier today at https://console.groq.com/settings/billing",
            ctx.model,
            go_duration(s)
        ),
        Some("tokens"),
        None,
        Some("rate_limit_exceeded"),
    );
    parts.headers = vec![
        ("retry-after".into(), secs_header(s.ceil())),
        ("x-ratelimit-limit-requests".into(), "1000".into()),
        ("x-ratelimit-limit-tokens".into(), "6000".into()),
        ("x-ratelimit-remaining-requests".into(), "999".into()),
        ("x-ratelimit-remaining-tokens".into(), "162".into()),
        ("x-ratelimit-reset-requests".into(), "1m26.4s".into()),
        ("x-ratelimit-reset-tokens".into(), go_duration(s)),
    ];
    Rendered::Parts(parts)
}

/// OpenRouter's own envelope: `{"error": {"message", "code": <status>, "metadata"?}}`; upstream
/// failures come wrapped as "Provider returned error" with the upstream body in `metadata.raw`.
fn openrouter_error(kind: ErrorKind, ctx: &FakeCtx, retry: Option<f64>) -> Rendered {
    let model = &ctx.model;
    let upstream = |kind: ErrorKind| {
        let u = openai_parts(kind, ctx, None);
        let raw = json!({"error": {"message": u.message, "type": u.kind_type, "param": u.param, "code": u.code}});
        json!({"raw": raw.to_string(), "provider_name": "OpenAI"})
    };
    let (status, message, metadata): (u16, String, Option<Value>) = match kind {
        ErrorKind::Authentication => (401, "User not found.".into(), None),
        ErrorKind::PermissionDenied => (403, "This API key is disabled.".into(), None),
        ErrorKind::NotFound => (404, format!("No endpoints found for {model}."), None),
        ErrorKind::InvalidRequest => (400, "Input required: specify \"prompt\" or \"messages\"".into(), None),
        ErrorKind::ContextLengthExceeded => (
            400,
            "This endpoint's maximum context length is 128000 tokens. However, you requested about 131072 tokens (130048 of text input, 1024 in the output). Please reduce the length of either one, or use the \"middle-out\" transform to compress your prompt automatically.".into(),
            None,
        ),
        ErrorKind::ContentFiltered => (
            403,
            format!("{model} requires moderation on OpenAI. Your input was flagged for \"harassment\". No credits were charged."),
            Some(json!({
                "reasons": ["harassment"],
                "flagged_input": "...",
                "provider_name": "OpenAI",
                "model_slug": model
            })),
        ),
        ErrorKind::RateLimited => (429, format!("Rate limit exceeded: {model}"), None),
        ErrorKind::QuotaExhausted => (
            402,
            "Insufficient credits. Add more using https://openrouter.ai/settings/credits".into(),
            None,
        ),
        ErrorKind::Overloaded => (503, "Provider returned error".into(), Some(upstream(ErrorKind::Overloaded))),
        ErrorKind::ServerError | ErrorKind::MalformedResponse | ErrorKind::Connection => {
            (502, "Provider returned error".into(), Some(upstream(ErrorKind::ServerError)))
        }
        ErrorKind::Timeout => (408, "Timed out".into(), None),
        ErrorKind::Unsupported => (400, "Provider returned error".into(), Some(upstream(ErrorKind::Unsupported))),
    };
    let mut error = Map::new();
    error.insert("message".into(), json!(message));
    error.insert("code".into(), json!(status));
    if let Some(m) = metadata {
        error.insert("metadata".into(), m);
    }
    let mut headers = Vec::new();
    if kind == ErrorKind::RateLimited {
        let s = retry.unwrap_or(DEFAULT_RETRY_S);
        let reset_ms = (created(ctx.seed) as f64 * 1000.0 + s * 1000.0) as u64;
        headers.push(("x-ratelimit-limit".into(), "20".into()));
        headers.push(("x-ratelimit-remaining".into(), "0".into()));
        headers.push(("x-ratelimit-reset".into(), reset_ms.to_string()));
        if let Some(s) = retry {
            headers.push(("retry-after".into(), secs_header(s)));
        }
    }
    Rendered::Raw {
        status,
        body: json!({"error": error, "user_id": format!("user_{}", fake_id(ctx.seed, SALT_ORG, 27, ALNUM))}),
        headers,
    }
}

/// Lays OpenAI-vocabulary parts out in the flavour's body shape.
pub(super) fn layout(flavour: Flavour, p: &Parts, ctx: &FakeCtx) -> Value {
    match flavour {
        Flavour::Mistral => json!({
            "object": "error",
            "message": p.message,
            "type": p.kind_type,
            "param": p.param,
            "code": p.code
        }),
        Flavour::Groq => {
            let mut e = Map::new();
            e.insert("message".into(), json!(p.message));
            e.insert("type".into(), json!(p.kind_type));
            if let Some(param) = &p.param {
                e.insert("param".into(), json!(param));
            }
            if let Some(code) = &p.code {
                e.insert("code".into(), json!(code));
            }
            json!({"error": e})
        }
        Flavour::Qwen => json!({
            "error": {"code": p.code, "param": p.param, "message": p.message, "type": p.kind_type},
            "id": format!("chatcmpl-{}", uuid(ctx.seed, SALT_ID)),
            "request_id": uuid(ctx.seed, SALT_REQUEST)
        }),
        Flavour::OpenRouter => json!({"error": {"message": p.message, "code": p.status}}),
        Flavour::OpenAi | Flavour::DeepSeek => {
            if p.code.as_deref() == Some("unsupported_country_region_territory") {
                // OpenAI's geography block lists its fields in a different order.
                json!({"error": {"code": p.code, "message": p.message, "param": p.param, "type": p.kind_type}})
            } else {
                json!({"error": {"message": p.message, "type": p.kind_type, "param": p.param, "code": p.code}})
            }
        }
    }
}

fn error_response(flavour: Flavour, err: &MockError, ctx: &FakeCtx) -> FakeResponse {
    let retry = err.retry_after_s.filter(|s| s.is_finite() && *s >= 0.0);
    let rendered = flavour_error(flavour, err.kind, ctx, retry)
        .unwrap_or_else(|| Rendered::Parts(openai_parts(err.kind, ctx, retry)));
    let (status, mut body, mut headers) = match rendered {
        Rendered::Parts(p) => (p.status, layout(flavour, &p, ctx), p.headers),
        Rendered::Raw { status, body, headers } => (status, body, headers),
    };
    // A retry hint the mock asks for is sent even where the provider's own is not known.
    if let Some(s) = retry
        && !headers.iter().any(|(k, _)| k == "retry-after")
    {
        headers.push(("retry-after".into(), secs_header(s)));
    }
    if let Some(m) = &err.message {
        replace_message(&mut body, m);
    }
    let mut resp = FakeResponse::json(err.status.unwrap_or(status), body);
    for (k, v) in headers {
        resp = resp.with_header(&k, v);
    }
    resp
}

/// Puts the mock's own message where the body keeps its message.
fn replace_message(body: &mut Value, message: &str) {
    let target = match body.get_mut("error") {
        Some(e) if e.is_object() => e,
        _ => body,
    };
    if let Some(obj) = target.as_object_mut() {
        obj.insert("message".into(), json!(message));
    }
}
