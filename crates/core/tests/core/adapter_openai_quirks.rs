//! The OpenAI wire family's catalog quirks on encode: what each provider's API rejects (role
//! order, fields, response formats, roles per api-version) is never sent, and what changed is
//! noted on the request. Each test names the behaviour and links the rule it follows.

use crate::common::spec;
use llm_conform_core::api::{ChatRequest, ErrorKind};
use llm_conform_core::providers::{Adapter, NativeRequest, OpenAiAdapter, ProviderSpec};
use serde_json::{Value, json};

fn request(v: Value) -> ChatRequest {
    serde_json::from_value(v).unwrap()
}

fn encode(provider: &str, v: Value) -> NativeRequest {
    OpenAiAdapter.encode(&request(v), &spec(provider), Some("k")).unwrap()
}

fn with_quirks(provider: &str, edit: impl FnOnce(&mut ProviderSpec)) -> ProviderSpec {
    let mut s = spec(provider);
    edit(&mut s);
    s.resolve().unwrap();
    s
}

/// mistral-common's validator rejects "Unexpected role 'system' after role 'tool'" (and after
/// 'assistant'): a later instruction is sent where it stands, as user content.
/// <https://github.com/mistralai/mistral-common/blob/main/src/mistral_common/protocol/instruct/validator.py>
#[test]
fn mistral_system_message_after_assistant_or_tool_is_sent_as_user_content() {
    let n = encode(
        "mistral",
        json!({"model": "mistral-small-latest", "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "tool_calls": [{"id": "gSIMJiOkT", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
            {"role": "tool", "tool_call_id": "gSIMJiOkT", "content": "18C"},
            {"role": "developer", "content": "Answer in French from now on."},
            {"role": "user", "content": "And now?"}
        ]}),
    );
    let roles: Vec<&str> = n.body["messages"].as_array().unwrap().iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["system", "user", "assistant", "tool", "user", "user"]);
    assert_eq!(n.body["messages"][0]["content"], "You are terse.", "a leading system message stays system");
    assert_eq!(n.body["messages"][4]["content"], "<system>\nAnswer in French from now on.\n</system>");

    let openai = encode(
        "openai",
        json!({"model": "gpt-4.1-mini", "messages": [
            {"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"},
            {"role": "system", "content": "be brief"}, {"role": "user", "content": "bye"}
        ]}),
    );
    assert_eq!(openai.body["messages"][2]["role"], "system", "openai takes a system message anywhere");
}

/// The validator wants the conversation to end on a user or tool message, or on an assistant
/// message with `prefix: true` (a continuation).
/// <https://docs.mistral.ai/guides/prefix/>
#[test]
fn mistral_final_assistant_message_is_sent_as_a_prefix() {
    let n = encode(
        "mistral",
        json!({"model": "mistral-small-latest", "messages": [
            {"role": "user", "content": "Write a haiku about rust."}, {"role": "assistant", "content": "Iron slowly"}
        ]}),
    );
    assert_eq!(n.body["messages"][1]["prefix"], true);
    assert!(
        encode(
            "openai",
            json!({"model": "gpt-4.1-mini", "messages": [
        {"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}]})
        )
        .body["messages"][1]
            .get("prefix")
            .is_none()
    );
}

/// Older mistral-common releases also rejected `tool` -> `user`; the current validator accepts it,
/// so the catalog allows it, and the quirk refuses it (naming the message) where an endpoint
/// still runs the older rule.
#[test]
fn user_message_after_tool_results_is_refused_where_the_catalog_forbids_it() {
    let req = request(json!({"model": "m", "messages": [
        {"role": "user", "content": "Weather?"},
        {"role": "assistant", "tool_calls": [{"id": "gSIMJiOkT", "type": "function", "function": {"name": "w", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "gSIMJiOkT", "content": "sunny"},
        {"role": "user", "content": "Thanks"}
    ]}));
    assert!(OpenAiAdapter.encode(&req, &spec("mistral"), None).is_ok());
    let strict = with_quirks("mistral", |s| s.quirks.user_after_tool = false);
    let e = OpenAiAdapter.encode(&req, &strict, None).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidRequest);
    assert!(e.message.contains("message 3") && e.message.contains("tool results"), "{e}");
}

/// Mistral answers `stream_options` and `user` with 422 `extra_forbidden` (it sends usage in the
/// last chunk anyway), calls the seed `random_seed`, and requires `parameters` on every function.
/// <https://docs.mistral.ai/api/#tag/chat/operation/chat_completion_v1_chat_completions_post>
#[test]
fn mistral_rejected_fields_are_left_out_seed_is_random_seed_and_functions_get_parameters() {
    let n = encode(
        "mistral",
        json!({"model": "mistral-small-latest", "messages": [{"role": "user", "content": "hi"}],
            "stream": true, "stream_options": {"include_usage": true}, "seed": 42, "user": "u-1",
            "tools": [{"type": "function", "function": {"name": "now", "description": "The time."}}]}),
    );
    let b = &n.body;
    assert!(b.get("stream_options").is_none() && b.get("user").is_none() && b.get("seed").is_none(), "{b}");
    assert_eq!(b["random_seed"], 42);
    assert_eq!(b["tools"][0]["function"]["parameters"], json!({"type": "object", "properties": {}}));
    assert!(n.notes.iter().any(|m| m.contains("`stream_options`")), "{:?}", n.notes);
    assert!(n.notes.iter().any(|m| m.contains("`user`")), "{:?}", n.notes);

    let o = encode(
        "openai",
        json!({"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": "hi"}], "seed": 42, "user": "u-1",
            "tools": [{"type": "function", "function": {"name": "now"}}]}),
    );
    assert_eq!((o.body["seed"].clone(), o.body["user"].clone()), (json!(42), json!("u-1")));
    assert!(o.body["tools"][0]["function"].get("parameters").is_none(), "openai takes a function without parameters");
    assert!(o.notes.is_empty());
}

fn json_schema_request(model: &str) -> Value {
    json!({"model": model, "messages": [{"role": "system", "content": "Extract."}, {"role": "user", "content": "Ada, 36"}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "person", "schema":
            {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}}, "required": ["name", "age"]}}}})
}

/// DeepSeek takes only `text` and `json_object` ("This response_format type is unavailable now");
/// Groq has `json_schema` on the models it lists only. Where the catalog says so, the request
/// becomes JSON mode with the schema in a system message after the caller's.
/// <https://api-docs.deepseek.com/guides/json_mode>, <https://console.groq.com/docs/structured-outputs>
#[test]
fn json_schema_degrades_to_json_object_with_the_schema_where_the_model_lacks_it() {
    for (provider, model) in [("deepseek", "deepseek-chat"), ("groq", "llama-3.3-70b-versatile")] {
        let n = encode(provider, json_schema_request(model));
        assert_eq!(n.body["response_format"], json!({"type": "json_object"}), "{provider}");
        let m = n.body["messages"].as_array().unwrap();
        assert_eq!((m.len(), m[0]["content"].as_str()), (3, Some("Extract.")), "{provider}");
        let instruction = m[1]["content"].as_str().unwrap();
        assert_eq!(m[1]["role"], "system");
        assert!(instruction.contains("JSON schema") && instruction.contains("\"required\":[\"name\",\"age\"]"));
        assert!(n.notes.iter().any(|x| x.contains("json_object")), "{:?}", n.notes);
    }
    for (provider, model) in [("groq", "openai/gpt-oss-120b"), ("openai", "gpt-4.1-mini")] {
        let n = encode(provider, json_schema_request(model));
        assert_eq!(n.body["response_format"]["type"], "json_schema", "{provider}/{model}");
        assert_eq!(n.body["messages"].as_array().unwrap().len(), 2);
    }
}

/// The third choice the catalog can make: refuse before sending, as `unsupported` (another
/// provider may take the request; a router may fall back).
#[test]
fn json_schema_is_refused_as_unsupported_where_the_catalog_says_so() {
    let s =
        with_quirks("deepseek", |s| s.quirks.json_schema = llm_conform_core::providers::JsonSchemaSupport::Unsupported);
    let e = OpenAiAdapter.encode(&request(json_schema_request("deepseek-chat")), &s, None).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Unsupported);
    assert_eq!(e.to_provider_error().kind, ErrorKind::Unsupported);
}

/// Azure OpenAI api-version 2024-10-21 lists only system/user/assistant/tool/function roles;
/// `developer` arrived with 2024-12-01-preview.
/// <https://learn.microsoft.com/en-us/azure/ai-foundry/openai/reference>
#[test]
fn azure_developer_role_follows_the_api_version() {
    let req = json!({"model": "gpt-4.1-mini", "messages": [{"role": "developer", "content": "be brief"}, {"role": "user", "content": "hi"}]});
    assert_eq!(encode("azure-openai", req.clone()).body["messages"][0]["role"], "system");
    let newer = with_quirks("azure-openai", |s| s.api_version = Some("2025-04-01-preview".into()));
    let n = OpenAiAdapter.encode(&request(req.clone()), &newer, None).unwrap();
    assert_eq!(n.body["messages"][0]["role"], "developer");
    assert!(n.url.ends_with("api-version=2025-04-01-preview"));
    assert_eq!(encode("openai", req).body["messages"][0]["role"], "developer");
}

/// Gemini's OpenAI-compatible endpoint carries thought signatures in a tool call's
/// `extra_content`; they go back only where the catalog says the API knows the field.
/// <https://ai.google.dev/gemini-api/docs/thought-signatures>
#[test]
fn tool_call_extra_content_is_sent_back_only_where_the_catalog_says() {
    let req = json!({"model": "m", "messages": [
        {"role": "user", "content": "Weather?"},
        {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "w", "arguments": "{}"},
            "extra_content": {"google": {"thought_signature": "CrICAdHtim827fQ"}}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "sunny"}
    ]});
    let plain = encode("openai", req.clone());
    assert!(plain.body["messages"][1]["tool_calls"][0].get("extra_content").is_none());
    let gemini_compat = with_quirks("openai", |s| s.quirks.tool_call_extra_content = true);
    let n = OpenAiAdapter.encode(&request(req), &gemini_compat, None).unwrap();
    assert_eq!(
        n.body["messages"][1]["tool_calls"][0]["extra_content"]["google"]["thought_signature"],
        "CrICAdHtim827fQ"
    );
}
