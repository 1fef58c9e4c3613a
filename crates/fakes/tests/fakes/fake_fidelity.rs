//! What the fakes render for the behaviours of the real APIs the fidelity suite watches
//! (server tools, Magistral's thinking chunks, Gemini's tool-use tokens, block reasons and call
//! ids), in the real wire shapes, and what the real adapters make of it. No HTTP: the rendering
//! is decoded as the transport would.

use llm_conform_core::api::{ChatCompletion, ErrorKind, FinishReason, ProviderError};
use llm_conform_core::providers::{ResponseHints, SseEvent};
use llm_conform_fakes::{FakeBody, FakeCtx, FakeResponse, MockAnswer, MockToolCall, MockUsage, family_for};
use serde_json::{Value, json};

fn ctx(provider: &str, model: &str) -> FakeCtx {
    FakeCtx {
        provider: provider.into(),
        spec: crate::common::spec(provider),
        model: model.into(),
        request: json!({"model": model, "messages": [{"role": "user", "content": "hi"}]}),
        path: format!("/v1beta/models/{model}:generateContent"),
        seed: 7,
    }
}

fn render(provider: &str, model: &str, mock: &MockAnswer, stream: bool) -> FakeResponse {
    let c = ctx(provider, model);
    family_for(c.spec.family).success(mock, &c, stream)
}

fn body(resp: &FakeResponse) -> Value {
    match &resp.body {
        FakeBody::Json(v) => v.clone(),
        other => panic!("not a JSON body: {other:?}"),
    }
}

/// The rendering decoded by the provider's adapter, whole or streamed.
fn decoded(provider: &str, resp: &FakeResponse) -> Result<ChatCompletion, ProviderError> {
    let family = crate::common::spec(provider).family;
    let adapter = family.adapter();
    match &resp.body {
        FakeBody::Json(v) => adapter.decode(v.to_string().as_bytes(), &ResponseHints::default()),
        FakeBody::Events(events) => {
            let mut d = adapter.stream_decoder(&ResponseHints { stream: true, ..Default::default() });
            let mut acc = llm_conform_core::api::StreamAccumulator::new();
            for e in events {
                let mut out = Vec::new();
                let ev = SseEvent { event: e.event.clone(), data: e.data.clone(), ..Default::default() };
                d.event(&ev.as_event_ref(), &mut out)?;
                for c in &out {
                    acc.push(c)?;
                }
            }
            Ok(acc.finish())
        }
        FakeBody::Text { .. } => panic!("text body"),
    }
}

fn call(name: &str, arguments: Value) -> MockToolCall {
    MockToolCall { name: name.into(), arguments: Some(arguments), arguments_raw: None }
}

/// Anthropic's server tools render as `server_tool_use` + `web_search_tool_result` and
/// `mcp_tool_use` + `mcp_tool_result` before the text, streamed with `input_json_delta`, as in the
/// genuine recordings; the adapter keeps only the text.
#[test]
fn anthropic_server_tools_render_as_server_blocks_and_decode_to_text() {
    let mock = MockAnswer {
        text: Some("Here is the news.".into()),
        server_tools: vec![
            call("web_search", json!({"query": "news"})),
            call("mcp:echo/echo", json!({"message": "hi"})),
        ],
        ..Default::default()
    };
    let b = body(&render("anthropic", "claude-haiku-4-5", &mock, false));
    let kinds: Vec<&str> = b["content"].as_array().unwrap().iter().map(|c| c["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["server_tool_use", "web_search_tool_result", "mcp_tool_use", "mcp_tool_result", "text"]);
    assert_eq!(b["content"][2]["server_name"], "echo");
    assert!(b["content"][2]["id"].as_str().unwrap().starts_with("mcptoolu_01"));
    for stream in [false, true] {
        let r = decoded("anthropic", &render("anthropic", "claude-haiku-4-5", &mock, stream)).unwrap();
        assert!(r.message().unwrap().tool_calls.is_none(), "stream={stream}");
        assert_eq!(r.message().unwrap().content.as_deref(), Some("Here is the news."), "stream={stream}");
    }
    let paused = MockAnswer { native_finish: Some("pause_turn".into()), ..mock };
    assert_eq!(body(&render("anthropic", "claude-haiku-4-5", &paused, false))["stop_reason"], "pause_turn");
}

/// The fake Mistral answers with reasoning the way Magistral does (the genuine
/// `mistral-reasoning.json`): content as a thinking chunk and a text chunk; cached prompt
/// tokens as `num_cached_tokens`.
#[test]
fn mistral_renders_thinking_chunks_and_num_cached_tokens() {
    let mock = MockAnswer {
        text: Some("4".into()),
        reasoning: Some("2+2=4.".into()),
        usage: Some(MockUsage { prompt: 1200, completion: 10, cached: 1024, tool_prompt: 0, cache_write: 0 }),
        ..Default::default()
    };
    let b = body(&render("mistral", "magistral-small-latest", &mock, false));
    let content = &b["choices"][0]["message"]["content"];
    assert_eq!(content[0], json!({"type": "thinking", "thinking": [{"type": "text", "text": "2+2=4."}]}));
    assert_eq!(content[1], json!({"type": "text", "text": "4"}));
    assert_eq!(b["usage"]["num_cached_tokens"], 1024);
    for stream in [false, true] {
        let r = decoded("mistral", &render("mistral", "magistral-small-latest", &mock, stream)).unwrap();
        let m = r.message().unwrap();
        assert_eq!((m.content.as_deref(), m.reasoning_content.as_deref()), (Some("4"), Some("2+2=4.")));
        assert_eq!(r.usage.unwrap().cached_tokens(), 1024, "stream={stream}");
    }
}

/// Gemini reports tool results fed to the model as `toolUsePromptTokenCount`, apart from
/// `promptTokenCount`; the adapter adds them back, so the mock's prompt count survives.
#[test]
fn gemini_tool_use_prompt_tokens_render_apart_and_decode_as_prompt() {
    let mock = MockAnswer {
        text: Some("Sunny.".into()),
        usage: Some(MockUsage { prompt: 72, completion: 30, cached: 0, tool_prompt: 39, cache_write: 0 }),
        ..Default::default()
    };
    let b = body(&render("gemini", "gemini-2.5-flash", &mock, false));
    assert_eq!(
        (b["usageMetadata"]["promptTokenCount"].clone(), b["usageMetadata"]["toolUsePromptTokenCount"].clone()),
        (json!(33), json!(39))
    );
    assert_eq!(b["usageMetadata"]["totalTokenCount"], 102);
    for stream in [false, true] {
        let u = decoded("gemini", &render("gemini", "gemini-2.5-flash", &mock, stream)).unwrap().usage.unwrap();
        assert_eq!((u.prompt_tokens, u.total_tokens), (72, 102), "stream={stream}");
    }
}

/// Block reasons and bad calls render as Gemini sends them (a candidate without content), and
/// Gemini 3 function calls carry ids.
#[test]
fn gemini_native_finish_reasons_and_gemini_3_call_ids() {
    let armor = MockAnswer {
        finish: Some(FinishReason::ContentFilter),
        native_finish: Some("MODEL_ARMOR".into()),
        ..Default::default()
    };
    let b = body(&render("gemini", "gemini-2.5-flash", &armor, false));
    assert_eq!(b["candidates"][0]["finishReason"], "MODEL_ARMOR");
    assert!(b["candidates"][0].get("content").is_none(), "{b}");
    assert_eq!(
        decoded("gemini", &render("gemini", "gemini-2.5-flash", &armor, true)).unwrap().finish_reason(),
        Some(FinishReason::ContentFilter)
    );

    let malformed = MockAnswer { native_finish: Some("MALFORMED_FUNCTION_CALL".into()), ..Default::default() };
    for stream in [false, true] {
        let e = decoded("gemini", &render("gemini", "gemini-2.5-flash", &malformed, stream)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::MalformedResponse, "stream={stream}");
    }

    let calls = MockAnswer { tool_calls: vec![call("get_weather", json!({"city": "Paris"}))], ..Default::default() };
    let b3 = body(&render("gemini", "gemini-3-pro-preview", &calls, false));
    let part = &b3["candidates"][0]["content"]["parts"][0];
    assert!(part["functionCall"]["id"].as_str().is_some_and(|id| !id.is_empty()), "{part}");
    assert!(part["thoughtSignature"].is_string());
    let b25 = body(&render("gemini", "gemini-2.5-flash", &calls, false));
    assert!(b25["candidates"][0]["content"]["parts"][0]["functionCall"].get("id").is_none());
    let r = decoded("gemini", &render("gemini", "gemini-3-pro-preview", &calls, false)).unwrap();
    let c = &r.message().unwrap().calls()[0];
    assert_eq!(c.id, part["functionCall"]["id"].as_str().unwrap(), "Gemini's id is the call's id");
    assert!(c.thought_signature().is_some());
    assert_eq!(r.finish_reason(), Some(FinishReason::ToolCalls));
}
