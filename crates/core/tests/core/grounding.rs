//! Search grounding as the canonical `annotations`: Anthropic's web-search citations and
//! Gemini's grounding supports both become OpenAI `url_citation`s over the span of content they
//! support, the same whole and streamed. The wire payloads are synthesized from the providers'
//! documentation, not recorded.

use llm_conform_core::api::{Annotation, ChatCompletion};
use llm_conform_core::providers::sse::encode_event;
use llm_conform_core::providers::{Adapter, AnthropicAdapter, GeminiAdapter, OpenAiAdapter, ResponseHints};
use llm_conform_core::transport::decode_stream_bytes;
use serde_json::{Value, json};

fn stream_of(adapter: &dyn Adapter, events: &[Value], named: bool) -> ChatCompletion {
    let mut out = String::new();
    for e in events {
        encode_event(if named { e["type"].as_str() } else { None }, &e.to_string(), &mut out);
    }
    let hints = ResponseHints { stream: true, ..Default::default() };
    decode_stream_bytes(adapter, &hints, out.as_bytes()).result.unwrap()
}

fn whole(adapter: &dyn Adapter, body: &Value) -> ChatCompletion {
    adapter.decode(body.to_string().as_bytes(), &ResponseHints::default()).unwrap()
}

const URL: &str = "https://www.uefa.com/euro2024/news/spain-win-euro-2024";

/// A text block's web-search citations cover that block's characters in the content, after the
/// text of earlier blocks (<https://docs.claude.com/en/docs/agents-and-tools/tool-use/web-search-tool>).
#[test]
fn anthropic_web_search_citations_become_url_citations() {
    let citation = json!({"type": "web_search_result_location", "url": URL, "title": "Spain win EURO 2024", "cited_text": "Spain won", "encrypted_index": "Eo8B"});
    let body = json!({"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-haiku-4-5", "stop_reason": "end_turn",
        "content": [
            {"type": "text", "text": "I'll search. "},
            {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {"query": "euro 2024"}},
            {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": [{"type": "web_search_result", "url": URL, "title": "Spain win EURO 2024", "encrypted_content": "Eq", "page_age": null}]},
            {"type": "text", "text": "Spain won Euro 2024.", "citations": [citation.clone()]}
        ],
        "usage": {"input_tokens": 1860, "output_tokens": 40, "server_tool_use": {"web_search_requests": 1}}});
    let events = vec![
        json!({"type": "message_start", "message": {"id": "msg_1", "model": "claude-haiku-4-5", "usage": {"input_tokens": 1860, "output_tokens": 1}}}),
        json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "I'll search. "}}),
        json!({"type": "content_block_stop", "index": 0}),
        json!({"type": "content_block_start", "index": 1, "content_block": {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}}}),
        json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "{\"query\":\"euro 2024\"}"}}),
        json!({"type": "content_block_stop", "index": 1}),
        json!({"type": "content_block_start", "index": 2, "content_block": body["content"][2].clone()}),
        json!({"type": "content_block_stop", "index": 2}),
        json!({"type": "content_block_start", "index": 3, "content_block": {"type": "text", "text": "", "citations": []}}),
        json!({"type": "content_block_delta", "index": 3, "delta": {"type": "text_delta", "text": "Spain won Euro 2024."}}),
        json!({"type": "content_block_delta", "index": 3, "delta": {"type": "citations_delta", "citation": citation}}),
        json!({"type": "content_block_stop", "index": 3}),
        json!({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 40}}),
        json!({"type": "message_stop"}),
    ];
    let want = vec![Annotation::url_citation(URL, "Spain win EURO 2024", 13, 33)];
    for r in [whole(&AnthropicAdapter, &body), stream_of(&AnthropicAdapter, &events, true)] {
        let m = r.message().unwrap();
        assert_eq!(m.content.as_deref(), Some("I'll search. Spain won Euro 2024."));
        assert!(m.tool_calls.is_none(), "the search is not the caller's tool call");
        assert_eq!(m.annotations.as_deref(), Some(want.as_slice()));
        let a = &m.annotations.as_ref().unwrap()[0].url_citation;
        let cited: String = m
            .content
            .as_deref()
            .unwrap()
            .chars()
            .skip(a.start_index as usize)
            .take((a.end_index - a.start_index) as usize)
            .collect();
        assert_eq!(cited, "Spain won Euro 2024.");
        assert_eq!(r.usage.as_ref().unwrap().prompt_tokens, 1860, "search results are input tokens");
    }
}

/// Grounding supports count bytes of the answer; the annotations count characters, and the
/// search results Gemini read are prompt tokens (`toolUsePromptTokenCount`)
/// (<https://ai.google.dev/gemini-api/docs/google-search#understanding-the-grounding-response>).
#[test]
fn gemini_grounding_supports_become_url_citations() {
    let text = "L'équipe d'Espagne a gagné. Spain won.";
    let second = text.find("Spain").unwrap();
    let grounding = json!({
    "webSearchQueries": ["euro 2024 winner"],
    "searchEntryPoint": {"renderedContent": "<div></div>"},
    "groundingChunks": [{"web": {"uri": URL, "title": "uefa.com"}}, {"web": {"uri": "https://b.example", "title": "b.example"}}],
    "groundingSupports": [
        {"segment": {"endIndex": second - 1, "text": "L'équipe d'Espagne a gagné."}, "groundingChunkIndices": [0, 1]},
        {"segment": {"startIndex": second, "endIndex": text.len()}, "groundingChunkIndices": [1, 9]}
    ]});
    let usage = json!({"promptTokenCount": 12, "candidatesTokenCount": 9, "toolUsePromptTokenCount": 300, "totalTokenCount": 321});
    let body = json!({"candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP", "groundingMetadata": grounding}],
        "usageMetadata": usage, "modelVersion": "gemini-2.5-flash"});
    let (a, b) = text.split_at(10);
    let events = vec![
        json!({"candidates": [{"content": {"role": "model", "parts": [{"text": a}]}}], "usageMetadata": {"promptTokenCount": 12}}),
        json!({"candidates": [{"content": {"role": "model", "parts": [{"text": b}]}, "finishReason": "STOP", "groundingMetadata": grounding}], "usageMetadata": usage}),
    ];
    let first_len = text[..second - 1].chars().count() as u64;
    let start = text[..second].chars().count() as u64;
    let end = text.chars().count() as u64;
    let want = vec![
        Annotation::url_citation(URL, "uefa.com", 0, first_len),
        Annotation::url_citation("https://b.example", "b.example", 0, first_len),
        Annotation::url_citation("https://b.example", "b.example", start, end),
    ];
    for r in [whole(&GeminiAdapter, &body), stream_of(&GeminiAdapter, &events, false)] {
        let m = r.message().unwrap();
        assert_eq!(m.content.as_deref(), Some(text));
        assert_eq!(m.annotations.as_deref(), Some(want.as_slice()), "index 9 names no source and is skipped");
        assert_eq!(r.usage.as_ref().unwrap().prompt_tokens, 312);
    }
}

/// Hostile offsets stay inside the text and on character boundaries; without grounding there
/// are no annotations at all.
#[test]
fn grounding_offsets_are_clamped() {
    let body = json!({"candidates": [{"content": {"role": "model", "parts": [{"text": "héllo"}]}, "finishReason": "STOP",
        "groundingMetadata": {"groundingChunks": [{"web": {"uri": URL, "title": "t"}}],
            "groundingSupports": [{"segment": {"startIndex": 2, "endIndex": 18446744073709551615u64}, "groundingChunkIndices": [0]}]}}]});
    let r = whole(&GeminiAdapter, &body);
    assert_eq!(r.message().unwrap().annotations.as_deref(), Some(&[Annotation::url_citation(URL, "t", 1, 5)][..]));
    let plain =
        json!({"candidates": [{"content": {"role": "model", "parts": [{"text": "hi"}]}, "finishReason": "STOP"}]});
    assert!(whole(&GeminiAdapter, &plain).message().unwrap().annotations.is_none());
}

/// OpenAI's own search answers already carry `url_citation` annotations: kept, whole and
/// streamed (<https://platform.openai.com/docs/guides/tools-web-search?api-mode=chat>).
#[test]
fn openai_url_citations_are_kept() {
    let ann = json!({"type": "url_citation", "url_citation": {"start_index": 0, "end_index": 5, "url": URL, "title": "UEFA"}});
    let body = json!({"id": "c", "object": "chat.completion", "created": 1, "model": "gpt-4o-search-preview",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Spain", "annotations": [ann.clone(), {"type": "other"}]}, "finish_reason": "stop"}]});
    let events = vec![
        json!({"id": "c", "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Spain"}}]}),
        json!({"id": "c", "choices": [{"index": 0, "delta": {"annotations": [ann.clone()]}, "finish_reason": "stop"}]}),
    ];
    let want = vec![Annotation::url_citation(URL, "UEFA", 0, 5)];
    for r in [whole(&OpenAiAdapter, &body), stream_of(&OpenAiAdapter, &events, false)] {
        assert_eq!(r.message().unwrap().annotations.as_deref(), Some(want.as_slice()));
    }
    assert_eq!(serde_json::to_value(&want[0]).unwrap(), ann, "the wire shape is OpenAI's");
}

/// Citations come from the wire: at most 256 per message, whole or streamed, however many text
/// blocks carry them.
#[test]
fn citations_per_message_are_bounded() {
    let citation = json!({"type": "web_search_result_location", "url": URL, "title": "t", "cited_text": "x"});
    let blocks: Vec<Value> =
        (0..10).map(|_| json!({"type": "text", "text": "x", "citations": vec![citation.clone(); 60]})).collect();
    let body = json!({"id": "m", "type": "message", "content": blocks, "stop_reason": "end_turn"});
    let mut events = vec![json!({"type": "message_start", "message": {"id": "m"}})];
    for (i, b) in body["content"].as_array().unwrap().iter().enumerate() {
        events.push(json!({"type": "content_block_start", "index": i, "content_block": b}));
        events.push(json!({"type": "content_block_stop", "index": i}));
    }
    events.push(json!({"type": "message_delta", "delta": {"stop_reason": "end_turn"}}));
    for r in [whole(&AnthropicAdapter, &body), stream_of(&AnthropicAdapter, &events, true)] {
        assert_eq!(r.message().unwrap().annotations.as_ref().unwrap().len(), 256);
    }
}
