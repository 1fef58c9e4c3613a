"""Drives `llm-conform serve` with the official OpenAI Python SDK.

Run by python_sdk.rs against a gateway it started on 127.0.0.1 in front of fake providers.
Every response and chunk is validated strictly with the SDK's own pydantic types (the SDK
itself builds them without validation). Exits non-zero with the failing case on stderr.
"""

import json
import os
import sys

import openai
from openai.types.chat import ChatCompletion, ChatCompletionChunk

BASE = os.environ["GATEWAY_URL"] + "/v1"
KEY = os.environ["GATEWAY_KEY"]
CASE_HEADER = "x-llm-conform-case"
MESSAGES = [{"role": "user", "content": "Say hello."}]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def client(case):
    return openai.OpenAI(base_url=BASE, api_key=KEY, max_retries=0, default_headers={CASE_HEADER: case})


def whole(case, model, **kw):
    raw = client(case).chat.completions.with_raw_response.create(model=model, messages=MESSAGES, **kw)
    strict = ChatCompletion.model_validate_json(raw.text)
    parsed = raw.parse()
    assert parsed.model_dump() == strict.model_dump(), "sdk parse and strict validation disagree"
    return strict, raw.headers


def streamed(case, model, **kw):
    stream = client(case).chat.completions.create(
        model=model, messages=MESSAGES, stream=True, stream_options={"include_usage": True}, **kw
    )
    chunks = [ChatCompletionChunk.model_validate(c.to_dict()) for c in stream]
    assert chunks, "no chunks"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    calls = {}
    for c in chunks:
        for choice in c.choices:
            for tc in choice.delta.tool_calls or []:
                entry = calls.setdefault(tc.index, {"name": "", "arguments": ""})
                entry["name"] += (tc.function.name or "") if tc.function else ""
                entry["arguments"] += (tc.function.arguments or "") if tc.function else ""
    finish = [ch.finish_reason for c in chunks for ch in c.choices if ch.finish_reason]
    usage = chunks[-1].usage
    assert usage is not None and usage.total_tokens > 0, "no usage chunk"
    return text, calls, finish, stream.response.headers


def case_text_every_family(expect):
    for model in expect["models"]:
        resp, headers = whole("text", model)
        assert resp.choices[0].message.content == expect["text"], (model, resp)
        assert resp.choices[0].finish_reason == "stop"
        assert resp.usage and resp.usage.total_tokens > 0
        assert headers["x-llm-conform-provider"] == model.split("/")[0]
        text, _, finish, headers = streamed("text", model)
        assert text == expect["text"], (model, text)
        assert finish == ["stop"], finish
        assert headers["content-type"].startswith("text/event-stream")


def case_tools(expect):
    for model in expect["models"]:
        resp, _ = whole("tools", model, tools=[WEATHER_TOOL], tool_choice="auto")
        call = resp.choices[0].message.tool_calls[0]
        assert call.function.name == "get_weather" and json.loads(call.function.arguments) == {"city": "Paris"}, call
        assert resp.choices[0].finish_reason == "tool_calls"
        _, calls, finish, _ = streamed("tools", model, tools=[WEATHER_TOOL])
        assert calls[0]["name"] == "get_weather" and json.loads(calls[0]["arguments"]) == {"city": "Paris"}, calls
        assert finish == ["tool_calls"], finish


def case_json_mode(expect):
    for model in expect["models"]:
        resp, _ = whole("json", model, response_format={"type": "json_object"})
        assert json.loads(resp.choices[0].message.content) == {"answer": 42}, resp
        text, _, _, _ = streamed("json", model, response_format={"type": "json_object"})
        assert json.loads(text) == {"answer": 42}, text


def case_fallback(expect):
    for tier, served in expect["tiers"].items():
        resp, headers = whole("fallback", tier)
        assert headers["x-llm-conform-provider"] == served, (tier, dict(headers))
        assert int(headers["x-llm-conform-attempts"]) >= 2, dict(headers)
        assert resp.choices[0].message.content == expect["text"]
        text, _, _, headers = streamed("fallback", tier)
        assert headers["x-llm-conform-provider"] == served and text == expect["text"]


def case_errors(expect):
    try:
        whole("context", expect["context_model"])
        raise AssertionError("context-length error not raised")
    except openai.BadRequestError as e:
        assert e.status_code == 400 and e.code == "context_length_exceeded", e
    try:
        openai.OpenAI(base_url=BASE, api_key="wrong-key", max_retries=0).models.list()
        raise AssertionError("bad client key accepted")
    except openai.AuthenticationError as e:
        assert e.status_code == 401, e
    try:
        client("missing").chat.completions.create(model="no-such-model", messages=MESSAGES)
        raise AssertionError("unknown model accepted")
    except openai.NotFoundError as e:
        assert e.code == "model_not_found", e
    stream = client("cut").chat.completions.create(model=expect["cut_model"], messages=MESSAGES, stream=True)
    got = []
    try:
        for c in stream:
            got.append(ChatCompletionChunk.model_validate(c.to_dict()))
        raise AssertionError("a cut stream ended silently")
    except openai.APIError as e:
        assert "cut off" in str(e.message), e
    assert got, "no chunk before the error"


def case_models(expect):
    ids = [m.id for m in openai.OpenAI(base_url=BASE, api_key=KEY).models.list()]
    for want in expect["ids"]:
        assert want in ids, (want, ids)


def main():
    expect = json.loads(os.environ["GATEWAY_EXPECT"])
    done = []
    for name, fn in [
        ("text_every_family", case_text_every_family),
        ("tools", case_tools),
        ("json_mode", case_json_mode),
        ("fallback", case_fallback),
        ("errors", case_errors),
        ("models", case_models),
    ]:
        try:
            fn(expect)
        except Exception as e:  # report which case, then fail
            print(f"FAILED {name}: {type(e).__name__}: {e}", file=sys.stderr)
            sys.exit(1)
        done.append(name)
    print(json.dumps({"openai_sdk": openai.__version__, "passed": done}))


if __name__ == "__main__":
    main()
