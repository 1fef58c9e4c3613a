//! The catalog and the fakes agree, for every provider in the built-in catalog and every model
//! its tiers and per-model quirks name: what the adapter encodes for that model, its fake
//! accepts; and for each quirk that says the API rejects something, the fake rejects exactly
//! when the catalog says so (and accepts it where the catalog says the API takes it). A quirk
//! is stated once, in `catalog.toml`; this is what keeps the fakes from restating it.

use llm_conform_core::api::ChatRequest;
use llm_conform_core::providers::{
    Catalog, FinalAssistant, JsonSchemaSupport, LateSystem, ModelPattern, ProviderSpec, Reasoning, RequiredChoice,
    ToolCallIdFormat, WireFamily,
};
use llm_conform_fakes::{FakeCtx, family_for};
use serde_json::{Value, json};

/// The models to check for a provider: its tiers, and one model matching each per-model quirk.
fn models(spec: &ProviderSpec) -> Vec<String> {
    let mut out: Vec<String> = spec.models.iter().map(|(_, m)| m.to_string()).collect();
    for (pattern, _) in spec.model_quirk_sets() {
        out.push(match pattern {
            ModelPattern::Exact(m) => m.clone(),
            ModelPattern::Prefix(p) => format!("{p}-test"),
        });
    }
    out.sort();
    out.dedup();
    out
}

fn ctx(spec: &ProviderSpec, model: &str, body: Value, path: &str) -> FakeCtx {
    FakeCtx {
        provider: spec.name.clone(),
        spec: spec.clone(),
        model: model.to_string(),
        request: body,
        path: path.to_string(),
        seed: 99,
    }
}

fn accepted(spec: &ProviderSpec, model: &str, body: Value, path: &str) -> bool {
    family_for(spec.family).validate(&ctx(spec, model, body, path)).is_ok()
}

const SIGNATURE: &str = "CiQB0e2Kb6lO3dsl0m+3fGq9Hk1nLbyuTXMn8Ke7Hg8lW3dqLCpFAdHtim8";

/// Requests that cover every quirk the encoders apply: roles in every position, tool histories
/// (with the thought signature a call decoded from Gemini carries), tool choices, response
/// formats, sampling and fields some APIs refuse, and a prefill.
fn requests() -> Vec<Value> {
    let call = |id: &str| {
        json!({"id": id, "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"},
            "extra_content": {"google": {"thought_signature": SIGNATURE}}})
    };
    let tools = json!([
        {"type": "function", "function": {"name": "get_weather", "description": "Weather in a city.",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"], "additionalProperties": false}}},
        {"type": "function", "function": {"name": "now", "description": "The time."}}
    ]);
    let schema = json!({"type": "object", "properties": {"name": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}}},
        "required": ["name", "tags"], "additionalProperties": false});
    vec![
        json!({"messages": [{"role": "user", "content": "Hi"}]}),
        json!({"messages": [{"role": "developer", "content": "Be brief."}, {"role": "system", "content": "Be kind."}, {"role": "user", "content": "Hi"}]}),
        json!({"messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": "Let me check.", "tool_calls": [call("call_PTLP8xhu3uwZk4l3nlnrrJha")]},
            {"role": "tool", "tool_call_id": "call_PTLP8xhu3uwZk4l3nlnrrJha", "content": "{\"temperature_c\": 18}"},
            {"role": "system", "content": "Answer in French."},
            {"role": "user", "content": "And tomorrow?"}
        ], "tools": tools}),
        json!({"messages": [{"role": "user", "content": "Weather in Paris?"}], "tools": tools, "tool_choice": "required"}),
        json!({"messages": [{"role": "user", "content": "Time?"}], "tools": tools, "tool_choice": {"type": "function", "function": {"name": "now"}}}),
        json!({"messages": [{"role": "user", "content": "Hi"}], "tools": tools, "tool_choice": "none"}),
        json!({"messages": [{"role": "user", "content": "Tag this."}], "response_format": {"type": "json_schema", "json_schema": {"name": "tagged", "strict": true, "schema": schema}}}),
        json!({"messages": [{"role": "user", "content": "Reply in JSON."}], "response_format": {"type": "json_object"}}),
        json!({"messages": [{"role": "user", "content": "Hi"}], "temperature": 0.3, "top_p": 0.9, "seed": 7, "user": "u-1",
            "stop": ["END"], "max_completion_tokens": 64, "stream_options": {"include_usage": true}}),
        json!({"messages": [{"role": "user", "content": "Write a haiku."}, {"role": "assistant", "content": "Autumn"}]}),
        json!({"messages": [{"role": "user", "content": [{"type": "text", "text": "Colour?"},
            {"type": "image_url", "image_url": {"url": RED}}, {"type": "image_url", "image_url": {"url": "https://example.com/a.jpg"}}]}]}),
        json!({"messages": [{"role": "user", "content": "Is 391 prime?"}], "reasoning_effort": "low", "temperature": 0.3, "max_tokens": 64}),
        json!({"messages": [
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "reasoning_content": "Use the tool.", "tool_calls": [call("call_PTLP8xhu3uwZk4l3nlnrrJha")]},
            {"role": "tool", "tool_call_id": "call_PTLP8xhu3uwZk4l3nlnrrJha", "content": "sunny"}
        ], "tools": tools}),
        json!({"messages": [
            {"role": "system", "content": [{"type": "text", "text": "Long policy.", "prompt_cache_breakpoint": {"mode": "explicit"}}]},
            {"role": "user", "content": "Hi"}
        ]}),
    ]
}

const RED: &str = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEUlEQVR42mO4IyKCFTEMLQkAmD9BAeEqE6gAAAAASUVORK5CYII=";

#[test]
fn what_the_encoder_sends_for_a_model_its_fake_accepts() {
    let catalog = Catalog::builtin();
    let mut checked = 0;
    for spec in catalog.iter() {
        let adapter = spec.family.adapter();
        for model in models(spec) {
            for (n, base) in requests().into_iter().enumerate() {
                for stream in [false, true] {
                    let mut v = base.clone();
                    v["model"] = json!(model);
                    v["stream"] = json!(stream);
                    let req: ChatRequest = serde_json::from_value(v).unwrap();
                    // A request the adapter refuses never reaches the API.
                    let Ok(native) = adapter.encode(&req, spec, Some("k")) else { continue };
                    let c = ctx(spec, &model, native.body.value().clone(), native.path_and_query());
                    if let Err(rejection) = family_for(spec.family).validate(&c) {
                        let (body, _) = rejection.render();
                        panic!(
                            "{}/{model}: the fake rejects request {n} as encoded (stream={stream}):\n{}\nrequest: {}",
                            spec.name,
                            String::from_utf8_lossy(&body),
                            native.body
                        );
                    }
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 500, "the matrix ran: {checked} encodings");
}

/// A valid OpenAI-family body with `edit` applied.
fn openai_body(model: &str, edit: impl FnOnce(&mut Value)) -> Value {
    let mut b = json!({"model": model, "messages": [{"role": "user", "content": "Hi"}]});
    edit(&mut b);
    b
}

fn openai_history(ids: &str, then: Value) -> Value {
    json!([
        {"role": "user", "content": "Weather?"},
        {"role": "assistant", "reasoning_content": "Weather needs the tool.", "tool_calls": [{"id": ids, "type": "function", "function": {"name": "w", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": ids, "content": "sunny"},
        then
    ])
}

#[test]
fn openai_family_fakes_reject_exactly_what_the_catalog_says() {
    for spec in Catalog::builtin().iter().filter(|s| s.family == WireFamily::Openai) {
        let path = spec.url(spec.path.as_deref().unwrap_or("/chat/completions"), "m");
        let path = path.split_once("://").map_or(path.as_str(), |(_, r)| &r[r.find('/').unwrap_or(r.len())..]);
        for model in models(spec) {
            let q = spec.quirks_for(&model);
            let c = ctx(spec, &model, json!({}), path);
            let accepts = |body: Value| accepted(spec, &model, body, path);
            let at = format!("{}/{model}", spec.name);

            let developer = openai_body(&model, |b| {
                b["messages"] = json!([{"role": "developer", "content": "x"}, {"role": "user", "content": "y"}])
            });
            assert_eq!(accepts(developer), c.accepts_developer(), "{at}: developer");
            for field in ["stream_options", "user", "seed", "max_completion_tokens"] {
                let body = openai_body(&model, |b| {
                    b[field] = json!(if field == "stream_options" { json!({"include_usage": true}) } else { json!(1) })
                });
                assert_eq!(accepts(body), !q.rejects_field(field), "{at}: field {field}");
            }
            let ids = if q.tool_call_id == ToolCallIdFormat::Alnum9 { "gSIMJiOkT" } else { "call_abc" };
            let late = openai_body(&model, |b| {
                b["messages"] = openai_history(ids, json!({"role": "system", "content": "later"}))
            });
            assert_eq!(accepts(late), q.late_system == LateSystem::InPlace, "{at}: system after tool");
            let after_tool = openai_body(&model, |b| {
                b["messages"] = openai_history(ids, json!({"role": "user", "content": "thanks"}))
            });
            assert_eq!(accepts(after_tool), q.user_after_tool, "{at}: user after tool");
            let prefill = openai_body(&model, |b| {
                b["messages"] = json!([{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}])
            });
            assert_eq!(accepts(prefill), q.final_assistant == FinalAssistant::AsIs, "{at}: final assistant");
            let no_params =
                openai_body(&model, |b| b["tools"] = json!([{"type": "function", "function": {"name": "now"}}]));
            assert_eq!(accepts(no_params), !q.tool_parameters_required, "{at}: function without parameters");
            let schema = openai_body(&model, |b| {
                b["response_format"] =
                    json!({"type": "json_schema", "json_schema": {"name": "o", "schema": {"type": "object"}}})
            });
            assert_eq!(accepts(schema), q.json_schema == JsonSchemaSupport::Native, "{at}: json_schema");
            let required = openai_body(&model, |b| {
                b["tools"] =
                    json!([{"type": "function", "function": {"name": "now", "parameters": {"type": "object"}}}]);
                b["tool_choice"] = json!("required");
            });
            assert_eq!(
                accepts(required),
                q.tool_choice_required == RequiredChoice::Required,
                "{at}: tool_choice required"
            );
            let openai_ids = openai_body(&model, |b| {
                b["messages"] = openai_history("call_PTLP8xhu3uwZk4l3", json!({"role": "user", "content": "ok"}))
            });
            let ids_ok = q.tool_call_id == ToolCallIdFormat::Any;
            assert_eq!(accepts(openai_ids), ids_ok && q.user_after_tool, "{at}: openai-style tool-call ids");
            openai_capabilities_agree(&at, q, &accepts, &model, ids);
        }
    }
}

/// Vision, reasoning and reasoning history, as the quirks say.
fn openai_capabilities_agree(
    at: &str,
    q: &llm_conform_core::providers::Quirks,
    accepts: &dyn Fn(Value) -> bool,
    model: &str,
    ids: &str,
) {
    let image = openai_body(model, |b| {
        b["messages"] = json!([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": RED}}]}])
    });
    assert_eq!(accepts(image), q.vision, "{at}: image");
    let effort = openai_body(model, |b| b["reasoning_effort"] = json!("low"));
    assert_eq!(accepts(effort), q.reasoning != Reasoning::None, "{at}: reasoning_effort");
    let hidden = q.reasoning == Reasoning::Hidden;
    for (field, value) in [("max_tokens", json!(64)), ("temperature", json!(0.3))] {
        let body = openai_body(model, |b| b[field] = value.clone());
        assert_eq!(accepts(body), !(q.rejects_field(field) || hidden), "{at}: {field}");
    }
    let thinking = q.reasoning == Reasoning::Always;
    let mut bare = openai_history(ids, json!({"role": "user", "content": "thanks"}));
    bare[1].as_object_mut().unwrap().remove("reasoning_content");
    let body = openai_body(model, |b| b["messages"] = bare);
    assert_eq!(
        accepts(body),
        q.user_after_tool && !(thinking && q.reasoning_history),
        "{at}: tool turn without reasoning"
    );
}

#[test]
fn anthropic_cohere_and_gemini_fakes_reject_exactly_what_the_catalog_says() {
    let catalog = Catalog::builtin();
    let anthropic = catalog.get("anthropic").unwrap();
    for model in models(anthropic) {
        let q = anthropic.quirks_for(&model);
        let base = json!({"model": model, "max_tokens": 64, "messages": [{"role": "user", "content": "Hi"}]});
        let mut both = base.clone();
        both["temperature"] = json!(0.2);
        both["top_p"] = json!(0.9);
        assert_eq!(
            accepted(anthropic, &model, both, "/v1/messages"),
            !q.exclusive_sampling,
            "{model}: temperature+top_p"
        );
        let mut image = base.clone();
        image["messages"][0]["content"] =
            json!([{"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}}]);
        assert_eq!(accepted(anthropic, &model, image, "/v1/messages"), q.vision, "{model}: image");
        let mut format = base.clone();
        format["output_config"] = json!({"format": {"type": "json_schema", "schema": {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": false}}});
        assert_eq!(
            accepted(anthropic, &model, format, "/v1/messages"),
            q.output_format,
            "{model}: output_config.format"
        );
    }

    let cohere = catalog.get("cohere").unwrap();
    for model in models(cohere) {
        let body = json!({"model": model, "messages": [{"role": "user", "content": "Hi"}],
            "tools": [{"type": "function", "function": {"name": "now", "parameters": {"type": "object", "properties": {}}}}], "tool_choice": "REQUIRED"});
        assert_eq!(
            accepted(cohere, &model, body, "/v2/chat"),
            cohere.quirks_for(&model).tool_choice,
            "{model}: tool_choice"
        );
        let image = json!({"model": model, "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": RED}}]}]});
        assert_eq!(accepted(cohere, &model, image, "/v2/chat"), cohere.quirks_for(&model).vision, "{model}: image");
    }

    let gemini = catalog.get("gemini").unwrap();
    for model in models(gemini) {
        let q = gemini.quirks_for(&model);
        let path = format!("/v1beta/models/{model}:generateContent");
        let history = |signature: bool, call_id: Option<&str>, response_id: Option<&str>| {
            let mut fc = json!({"name": "w", "args": {}});
            if let Some(id) = call_id {
                fc["id"] = json!(id);
            }
            let mut part = json!({"functionCall": fc});
            if signature {
                part["thoughtSignature"] = json!(SIGNATURE);
            }
            let mut fr = json!({"name": "w", "response": {"result": "sunny"}});
            if let Some(id) = response_id {
                fr["id"] = json!(id);
            }
            json!({"contents": [
                {"role": "user", "parts": [{"text": "Weather?"}]},
                {"role": "model", "parts": [part]},
                {"role": "user", "parts": [{"functionResponse": fr}]}
            ]})
        };
        let unsigned = history(false, None, None);
        assert_eq!(accepted(gemini, &model, unsigned, &path), !q.thought_signatures_required, "{model}: unsigned call");
        let mismatched = history(true, Some("a1"), Some("b2"));
        assert_eq!(accepted(gemini, &model, mismatched, &path), !q.function_call_ids, "{model}: response id");
        assert!(accepted(gemini, &model, history(true, Some("a1"), Some("a1")), &path), "{model}: matching ids");
        let zero = json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}],
            "generationConfig": {"thinkingConfig": {"thinkingBudget": 0}}});
        assert_eq!(
            accepted(gemini, &model, zero, &path),
            q.reasoning != Reasoning::Always,
            "{model}: thinking budget 0"
        );
        let image = json!({"contents": [{"role": "user", "parts": [{"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}}]}]});
        assert_eq!(accepted(gemini, &model, image, &path), q.vision, "{model}: image");
    }
}
