//! What the OpenAI-family fakes reject, decided by the provider's catalog quirks for the model
//! asked for (the same table the adapter encodes by), and answered in the provider's own error
//! shape (the flavour).
//!
//! Rules that hold for every provider: a body that is not an object, missing or empty
//! `messages`, an assistant `tool_calls: []`, and a tool message that answers no call of the
//! assistant message before it. Rules the quirks switch on: the `developer` role (per
//! api-version on Azure), the spelling of a required tool choice, tool-call ids
//! (`tool_call_id`), fields the API refuses (`unsupported_fields`, and the canonical names in
//! `renamed_fields`), functions without `parameters` (`tool_parameters_required`),
//! `response_format: json_schema` (`json_schema`), a system message after an assistant or tool
//! message (`late_system`), a user message after tool results (`user_after_tool`), and a
//! conversation that ends on an assistant message without `prefix: true` (`final_assistant`),
//! image parts (`vision`, and well-formed data URLs), and reasoning parameters and histories
//! (`reasoning`, `reasoning_history`; see `openai_reasoning.rs`).
//! Messages are the providers' own where known (Mistral's from mistral-common's validator and
//! its 422 bodies, DeepSeek's and Groq's response-format errors) and close paraphrases otherwise.

use serde_json::{Map, Value, json};

use super::FakeCtx;
use super::FakeResponse;
use super::openai::{Flavour, Parts, layout};
use llm_conform_core::providers::{FinalAssistant, JsonSchemaSupport, LateSystem, Quirks};

/// The first rule the request breaks, as the provider would answer it.
pub(super) fn validate(flavour: Flavour, ctx: &FakeCtx) -> Result<(), FakeResponse> {
    let Some(body) = ctx.request.as_object() else {
        let message = match flavour {
            Flavour::OpenAi => "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)".to_string(),
            _ => "Invalid JSON body".to_string(),
        };
        return Err(reject(flavour, ctx, 400, message, None));
    };
    let messages = match body.get("messages") {
        Some(Value::Array(m)) => m,
        _ => return Err(reject(flavour, ctx, 400, "Missing required parameter: 'messages'.".into(), Some("messages"))),
    };
    if messages.is_empty() {
        return Err(reject(flavour, ctx, 400, "[] is too short - 'messages'".into(), Some("messages")));
    }
    let q = ctx.quirks();
    check_fields(flavour, ctx, body, q)?;
    check_tools(flavour, ctx, body, q)?;
    check_response_format(flavour, ctx, body, q)?;
    check_reasoning(flavour, ctx, body)?;
    check_images(flavour, ctx, messages, q)?;
    // Schema rules first, as the providers check the shape before the conversation.
    for (n, m) in messages.iter().enumerate() {
        let role = role_of(m);
        if role == "developer" && !ctx.accepts_developer() {
            return Err(developer_rejection(flavour, ctx, n));
        }
        if role == "assistant" && m.get("tool_calls").and_then(Value::as_array).is_some_and(Vec::is_empty) {
            return Err(reject(
                flavour,
                ctx,
                400,
                format!("[] is too short - 'messages.{n}.tool_calls'"),
                Some(&format!("messages.[{n}].tool_calls")),
            ));
        }
    }
    check_role_order(flavour, ctx, messages, q)?;
    check_tool_results(flavour, ctx, messages, q)
}

fn role_of(m: &Value) -> &str {
    m.get("role").and_then(Value::as_str).unwrap_or("")
}

/// Fields the API refuses: the quirks' unsupported ones and the canonical names it spells
/// differently.
fn check_fields(flavour: Flavour, ctx: &FakeCtx, body: &Map<String, Value>, q: &Quirks) -> Result<(), FakeResponse> {
    let Some((field, value)) = body.iter().find(|(k, _)| q.rejects_field(k)) else { return Ok(()) };
    Err(match flavour {
        Flavour::Mistral => mistral_422(
            "extra_forbidden",
            json!(["body", field]),
            "Extra inputs are not permitted".into(),
            value.clone(),
        ),
        _ => reject(flavour, ctx, 400, format!("Unrecognized request argument supplied: {field}"), Some(field)),
    })
}

/// `tools` and `tool_choice`: the required-choice spelling, and `parameters` where required.
fn check_tools(flavour: Flavour, ctx: &FakeCtx, body: &Map<String, Value>, q: &Quirks) -> Result<(), FakeResponse> {
    let required = q.tool_choice_required.as_str();
    if let Some(choice) = body.get("tool_choice").and_then(Value::as_str)
        && !matches!(choice, "auto" | "none")
        && choice != required
    {
        return Err(match flavour {
            Flavour::Mistral => mistral_422(
                "enum",
                json!(["body", "tool_choice", "enum[ToolChoiceEnum]"]),
                format!("Input should be 'auto', 'none' or '{required}'"),
                json!(choice),
            ),
            _ => reject(
                flavour,
                ctx,
                400,
                format!(
                    "Invalid value for 'tool_choice': '{choice}'. Supported values are: 'none', 'auto' and '{required}'."
                ),
                Some("tool_choice"),
            ),
        });
    }
    if !q.tool_parameters_required {
        return Ok(());
    }
    let tools = body.get("tools").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let Some((i, f)) = tools
        .iter()
        .enumerate()
        .filter_map(|(i, t)| t.get("function").map(|f| (i, f)))
        .find(|(_, f)| f.get("parameters").is_none())
    else {
        return Ok(());
    };
    Err(match flavour {
        Flavour::Mistral => mistral_422(
            "missing",
            json!(["body", "tools", i, "function", "parameters"]),
            "Field required".into(),
            f.clone(),
        ),
        _ => reject(flavour, ctx, 400, format!("Missing required parameter: 'tools[{i}].function.parameters'."), None),
    })
}

/// `response_format: json_schema` where the model has only JSON mode.
fn check_response_format(
    flavour: Flavour,
    ctx: &FakeCtx,
    body: &Map<String, Value>,
    q: &Quirks,
) -> Result<(), FakeResponse> {
    let kind = body.get("response_format").and_then(|f| f.get("type")).and_then(Value::as_str);
    if kind != Some("json_schema") || q.json_schema == JsonSchemaSupport::Native {
        return Ok(());
    }
    let message = match flavour {
        Flavour::DeepSeek => "This response_format type is unavailable now".to_string(),
        Flavour::Groq => "This model does not support response format `json_schema`. See supported models at \
                          https://console.groq.com/docs/structured-outputs#supported-models"
            .to_string(),
        _ => format!(
            "Invalid parameter: 'response_format' of type 'json_schema' is not supported with model {}.",
            ctx.model
        ),
    };
    Err(reject(flavour, ctx, 400, message, Some("response_format")))
}

/// Reasoning parameters and histories, as `openai_reasoning.rs` decides.
fn check_reasoning(flavour: Flavour, ctx: &FakeCtx, body: &Map<String, Value>) -> Result<(), FakeResponse> {
    super::openai_reasoning::check(ctx, body).map_err(|r| {
        let code = match (flavour, r.param) {
            (Flavour::DeepSeek, _) => Some("invalid_request_error"),
            (_, Some("temperature" | "top_p")) => Some("unsupported_value"),
            (_, Some(_)) => Some("unsupported_parameter"),
            (_, None) => None,
        };
        let p = Parts::new(r.status, r.message, Some("invalid_request_error"), r.param, code);
        FakeResponse::json(r.status, layout(flavour, &p, ctx))
    })
}

/// Image parts: none for a model without vision (DeepSeek's deserializer names the variant it
/// does not know; OpenAI says the content type is not supported by the model), and a `data:` URL
/// must be base64 with an image MIME type.
fn check_images(flavour: Flavour, ctx: &FakeCtx, messages: &[Value], q: &Quirks) -> Result<(), FakeResponse> {
    for (n, m) in messages.iter().enumerate() {
        let parts = m.get("content").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        for (j, part) in parts.iter().enumerate() {
            if part.get("type").and_then(Value::as_str) != Some("image_url") {
                continue;
            }
            if !q.vision {
                return Err(match flavour {
                    Flavour::DeepSeek => reject(
                        flavour,
                        ctx,
                        422,
                        format!(
                            "Failed to deserialize the JSON body into the target type: messages[{n}]: unknown variant `image_url`, expected `text`"
                        ),
                        None,
                    ),
                    _ => reject(
                        flavour,
                        ctx,
                        400,
                        "Invalid content type. image_url is only supported by certain models.".into(),
                        Some(&format!("messages.[{n}].content.[{j}].type")),
                    ),
                });
            }
            let url = part.pointer("/image_url/url").or_else(|| part.get("image_url")).and_then(Value::as_str);
            let url = url.unwrap_or_default();
            if let Some(rest) = url.strip_prefix("data:") {
                let mime = rest.split([';', ',']).next().unwrap_or_default();
                if !mime.starts_with("image/") || !rest.contains(";base64,") {
                    return Err(reject(
                        flavour,
                        ctx,
                        400,
                        format!(
                            "Invalid 'messages[{n}].content[{j}].image_url.url'. Expected a base64-encoded data URL with an image MIME type (e.g. 'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU='), but got unsupported MIME type '{mime}'."
                        ),
                        Some(&format!("messages.[{n}].content.[{j}].image_url.url")),
                    ));
                }
            } else if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(reject(
                    flavour,
                    ctx,
                    400,
                    format!("Invalid 'messages[{n}].content[{j}].image_url.url': expected a URL or a data URL."),
                    Some(&format!("messages.[{n}].content.[{j}].image_url.url")),
                ));
            }
        }
    }
    Ok(())
}

/// The order of roles: no system message after the conversation started where the quirks
/// say so, no user message right after tool results where they say so, and a final assistant
/// message only as a prefix where they say so (mistral-common's validator).
fn check_role_order(flavour: Flavour, ctx: &FakeCtx, messages: &[Value], q: &Quirks) -> Result<(), FakeResponse> {
    let order_error = |message: String| match flavour {
        Flavour::Mistral => FakeResponse::json(
            400,
            json!({"object": "error", "message": message, "type": "invalid_request_message_order", "param": null, "code": "3230"}),
        ),
        _ => reject(flavour, ctx, 400, message, Some("messages")),
    };
    for pair in messages.windows(2) {
        let (prev, cur) = (role_of(&pair[0]), role_of(&pair[1]));
        let late_system = q.late_system == LateSystem::UserTurn
            && matches!(cur, "system" | "developer")
            && matches!(prev, "assistant" | "tool");
        let user_after_tool = !q.user_after_tool && prev == "tool" && cur == "user";
        if late_system || user_after_tool {
            return Err(order_error(format!("Unexpected role '{cur}' after role '{prev}'")));
        }
    }
    let last = messages.last();
    if q.final_assistant == FinalAssistant::Prefix
        && last.is_some_and(|m| role_of(m) == "assistant" && m.get("prefix") != Some(&Value::Bool(true)))
    {
        return Err(order_error(
            "Expected last role User or Tool (or Assistant with prefix True) for serving but got assistant".into(),
        ));
    }
    Ok(())
}

/// Tool-call ids in the format the quirks require, and each tool result answering a call of the
/// assistant message it follows.
fn check_tool_results(flavour: Flavour, ctx: &FakeCtx, messages: &[Value], q: &Quirks) -> Result<(), FakeResponse> {
    let id_error = |id: &str| match flavour {
        Flavour::Mistral => mistral_id_error(id),
        _ => reject(flavour, ctx, 400, format!("Invalid 'tool_call_id': '{id}'."), Some("messages")),
    };
    let mut open_ids: Option<Vec<String>> = None;
    for (n, m) in messages.iter().enumerate() {
        match role_of(m) {
            "assistant" => {
                let ids: Vec<String> = m
                    .get("tool_calls")
                    .and_then(Value::as_array)
                    .map(|calls| {
                        calls.iter().map(|c| c.get("id").and_then(Value::as_str).unwrap_or("").to_string()).collect()
                    })
                    .unwrap_or_default();
                if let Some(bad) = ids.iter().find(|id| !q.tool_call_id.accepts(id)) {
                    return Err(id_error(bad));
                }
                open_ids = (!ids.is_empty()).then_some(ids);
            }
            "tool" => {
                let id = m.get("tool_call_id").and_then(Value::as_str).unwrap_or("");
                if !q.tool_call_id.accepts(id) {
                    return Err(id_error(id));
                }
                let Some(ids) = &open_ids else {
                    return Err(reject(
                        flavour,
                        ctx,
                        400,
                        "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.".into(),
                        Some(&format!("messages.[{n}].role")),
                    ));
                };
                if !ids.iter().any(|x| x == id) {
                    return Err(reject(
                        flavour,
                        ctx,
                        400,
                        format!(
                            "Invalid parameter: 'tool_call_id' of '{id}' not found in 'tool_calls' of previous message."
                        ),
                        Some(&format!("messages.[{n}].tool_call_id")),
                    ));
                }
            }
            _ => open_ids = None,
        }
    }
    Ok(())
}

/// A 4xx rejection in the flavour's shape.
fn reject(flavour: Flavour, ctx: &FakeCtx, status: u16, message: String, param: Option<&str>) -> FakeResponse {
    let code = match flavour {
        Flavour::DeepSeek => Some("invalid_request_error"),
        _ => None,
    };
    let p = Parts::new(status, message, Some("invalid_request_error"), param, code);
    FakeResponse::json(status, layout(flavour, &p, ctx))
}

/// Mistral's schema rejection: 422 with pydantic's `detail` list as the message.
fn mistral_422(kind: &str, loc: Value, msg: String, input: Value) -> FakeResponse {
    FakeResponse::json(
        422,
        json!({
            "object": "error",
            "message": {"detail": [{"type": kind, "loc": loc, "msg": msg, "input": input}]},
            "type": "invalid_request_error",
            "param": null,
            "code": null
        }),
    )
}

fn mistral_id_error(id: &str) -> FakeResponse {
    FakeResponse::json(
        400,
        json!({
            "object": "error",
            "message": format!("Tool call id was {id} but must be a-z, A-Z, 0-9, with a length of 9."),
            "type": "invalid_function_call",
            "param": null,
            "code": "3280"
        }),
    )
}

fn developer_rejection(flavour: Flavour, ctx: &FakeCtx, n: usize) -> FakeResponse {
    match flavour {
        Flavour::Mistral => mistral_422(
            "union_tag_invalid",
            json!(["body", "messages", n]),
            "Input tag 'developer' found using 'role' does not match any of the expected tags: 'assistant', 'system', 'tool', 'user'".into(),
            json!({"role": "developer"}),
        ),
        Flavour::DeepSeek => reject(
            flavour,
            ctx,
            422,
            format!(
                "Failed to deserialize the JSON body into the target type: messages[{n}]: unknown variant `developer`, expected one of `system`, `user`, `assistant`, `tool`"
            ),
            None,
        ),
        Flavour::Groq => reject(
            flavour,
            ctx,
            400,
            format!("'messages.{n}' : discriminator property 'role' has invalid value 'developer'"),
            None,
        ),
        _ => reject(
            flavour,
            ctx,
            400,
            format!("Role must be one of [system, user, assistant, tool], but got 'developer' in messages[{n}]."),
            None,
        ),
    }
}
