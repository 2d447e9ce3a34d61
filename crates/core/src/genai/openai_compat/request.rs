//! Requests of the OpenAI HTTP API (and of OpenAI-compatible servers such as a LiteLLM
//! proxy): which endpoint, which model, which parameters, and the opt-in content.

use serde_json::Value;

use crate::genai::call::{GenAiRequest, RequestParameters};
use crate::genai::messages::{InputMessage, MessagePart, arguments_value};
use crate::genai::semconv::{attr, operation};

/// The OpenAI endpoints that are LLM calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `POST …/chat/completions`.
    ChatCompletions,
    /// `POST …/completions`.
    Completions,
    /// `POST …/embeddings`.
    Embeddings,
    /// `POST …/responses`.
    Responses,
}

impl Endpoint {
    /// The endpoint of a `POST` to `path`, or `None` for anything that is not an LLM call
    /// (files, models, retrieving a stored response, …).
    pub fn from_path(path: &str) -> Option<Endpoint> {
        let path = path.trim_end_matches('/');
        if path.ends_with("/chat/completions") {
            Some(Endpoint::ChatCompletions)
        } else if path.ends_with("/completions") {
            Some(Endpoint::Completions)
        } else if path.ends_with("/embeddings") {
            Some(Endpoint::Embeddings)
        } else if path.ends_with("/responses") {
            Some(Endpoint::Responses)
        } else {
            None
        }
    }

    /// `gen_ai.operation.name` of the endpoint.
    pub fn operation(self) -> &'static str {
        match self {
            Endpoint::ChatCompletions | Endpoint::Responses => operation::CHAT,
            Endpoint::Completions => operation::TEXT_COMPLETION,
            Endpoint::Embeddings => operation::EMBEDDINGS,
        }
    }
}

/// Fills `request` from a JSON request body. Unparseable bodies leave it as it is: the
/// call is still recorded, with what the URL tells.
pub fn parse_request(endpoint: Endpoint, body: &[u8], capture: bool, request: &mut GenAiRequest) {
    let Ok(json) = serde_json::from_slice::<Value>(body) else {
        return;
    };
    request.model = str_field(&json, "model");
    request.stream = json.get("stream").and_then(Value::as_bool) == Some(true);
    let mut p = RequestParameters {
        temperature: f64_field(&json, "temperature"),
        top_p: f64_field(&json, "top_p"),
        frequency_penalty: f64_field(&json, "frequency_penalty"),
        presence_penalty: f64_field(&json, "presence_penalty"),
        seed: json.get("seed").and_then(Value::as_i64),
        choice_count: json.get("n").and_then(Value::as_i64),
        max_tokens: json
            .get("max_completion_tokens")
            .or_else(|| json.get("max_tokens"))
            .or_else(|| json.get("max_output_tokens"))
            .and_then(Value::as_i64),
        ..RequestParameters::default()
    };
    match json.get("stop") {
        Some(Value::String(s)) => p.stop_sequences = vec![s.clone()],
        Some(Value::Array(items)) => {
            p.stop_sequences = items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect();
        }
        _ => {}
    }
    request.parameters = p;
    request.output_type = output_type(&json);
    if let Some(tier) = json.get("service_tier").and_then(Value::as_str)
        && tier != "auto"
    {
        request.attributes.push(opentelemetry::KeyValue::new(
            attr::OPENAI_REQUEST_SERVICE_TIER,
            tier.to_owned(),
        ));
    }
    if let Some(conversation) = json.get("conversation") {
        // Responses API: a conversation id, or an object holding one.
        let id = conversation
            .as_str()
            .or_else(|| conversation.get("id").and_then(Value::as_str));
        request.conversation_id = id.map(str::to_owned);
    }
    match endpoint {
        Endpoint::ChatCompletions | Endpoint::Completions => request.attributes.push(
            opentelemetry::KeyValue::new(attr::OPENAI_API_TYPE, "chat_completions"),
        ),
        Endpoint::Responses => request.attributes.push(opentelemetry::KeyValue::new(
            attr::OPENAI_API_TYPE,
            "responses",
        )),
        Endpoint::Embeddings => {
            if let Some(format) = json.get("encoding_format").and_then(Value::as_str) {
                request.attributes.push(opentelemetry::KeyValue::new(
                    attr::REQUEST_ENCODING_FORMATS,
                    opentelemetry::Value::Array(opentelemetry::Array::String(vec![
                        format.to_owned().into(),
                    ])),
                ));
            }
        }
    }
    if !capture {
        return;
    }
    if let Some(tools) = json.get("tools").filter(|t| t.is_array()) {
        request.tool_definitions = Some(tools.clone());
    }
    match endpoint {
        Endpoint::ChatCompletions => {
            if let Some(messages) = json.get("messages").and_then(Value::as_array) {
                request.input_messages = messages.iter().map(chat_message).collect();
            }
        }
        Endpoint::Completions => {
            request.input_messages = prompt_texts(json.get("prompt"))
                .into_iter()
                .map(|t| InputMessage::new("user", vec![MessagePart::text(t)]))
                .collect();
        }
        Endpoint::Embeddings => {
            request.input_messages = prompt_texts(json.get("input"))
                .into_iter()
                .map(|t| InputMessage::new("user", vec![MessagePart::text(t)]))
                .collect();
        }
        Endpoint::Responses => {
            if let Some(instructions) = json.get("instructions").and_then(Value::as_str) {
                request.system_instructions = vec![MessagePart::text(instructions)];
            }
            match json.get("input") {
                Some(Value::String(text)) => {
                    request.input_messages =
                        vec![InputMessage::new("user", vec![MessagePart::text(text)])];
                }
                Some(Value::Array(items)) => {
                    request.input_messages = items.iter().filter_map(responses_item).collect();
                }
                _ => {}
            }
        }
    }
}

fn str_field(json: &Value, key: &str) -> Option<String> {
    json.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn f64_field(json: &Value, key: &str) -> Option<f64> {
    json.get(key).and_then(Value::as_f64)
}

fn output_type(json: &Value) -> Option<String> {
    let kind = json
        .get("response_format")
        .and_then(|f| f.get("type"))
        .or_else(|| {
            json.get("text")
                .and_then(|t| t.get("format"))
                .and_then(|f| f.get("type"))
        })
        .and_then(Value::as_str)?;
    Some(match kind {
        "json_object" | "json_schema" => "json".to_owned(),
        other => other.to_owned(),
    })
}

/// `prompt` / `input`: a string, an array of strings, or token arrays (not captured).
fn prompt_texts(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// One chat-completions message → parts.
fn chat_message(message: &Value) -> InputMessage {
    let role = message
        .get("role")
        .and_then(Value::as_str)
        .unwrap_or("user")
        .to_owned();
    let mut parts = Vec::new();
    if role == "tool" {
        let response = message.get("content").cloned().unwrap_or(Value::Null);
        let response = match response {
            Value::String(s) => arguments_value(&s),
            other => other,
        };
        parts.push(MessagePart::ToolCallResponse {
            id: str_field(message, "tool_call_id"),
            response,
        });
    } else {
        content_parts(message.get("content"), &mut parts);
    }
    if let Some(calls) = message.get("tool_calls").and_then(Value::as_array) {
        for call in calls {
            let function = call.get("function");
            parts.push(MessagePart::ToolCall {
                id: str_field(call, "id"),
                name: function
                    .and_then(|f| f.get("name"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                arguments: function
                    .and_then(|f| f.get("arguments"))
                    .and_then(Value::as_str)
                    .map(arguments_value),
            });
        }
    }
    InputMessage {
        role,
        parts,
        name: str_field(message, "name"),
    }
}

/// Chat `content`: a string or an array of typed parts.
fn content_parts(content: Option<&Value>, parts: &mut Vec<MessagePart>) {
    match content {
        Some(Value::String(s)) => parts.push(MessagePart::text(s.clone())),
        Some(Value::Array(items)) => {
            for item in items {
                if let Some(part) = content_part(item) {
                    parts.push(part);
                }
            }
        }
        _ => {}
    }
}

fn content_part(item: &Value) -> Option<MessagePart> {
    let kind = item.get("type").and_then(Value::as_str)?;
    match kind {
        "text" | "input_text" | "output_text" => Some(MessagePart::text(
            str_field(item, "text").unwrap_or_default(),
        )),
        "image_url" | "input_image" => {
            let url = item
                .get("image_url")
                .and_then(|u| u.get("url").or(Some(u)))
                .and_then(Value::as_str)?;
            Some(url_part(url, "image"))
        }
        "input_audio" => {
            let audio = item.get("input_audio")?;
            Some(MessagePart::Blob {
                mime_type: str_field(audio, "format").map(|f| format!("audio/{f}")),
                modality: "audio".to_owned(),
                content: str_field(audio, "data").unwrap_or_default(),
            })
        }
        "refusal" => Some(MessagePart::text(
            str_field(item, "refusal").unwrap_or_default(),
        )),
        _ => None,
    }
}

/// An image URL: inline `data:` URLs become blobs, others URIs.
fn url_part(url: &str, modality: &str) -> MessagePart {
    if let Some(rest) = url.strip_prefix("data:")
        && let Some((meta, data)) = rest.split_once(',')
    {
        let mime = meta.split(';').next().filter(|m| !m.is_empty());
        return MessagePart::Blob {
            mime_type: mime.map(str::to_owned),
            modality: modality.to_owned(),
            content: data.to_owned(),
        };
    }
    MessagePart::Uri {
        mime_type: None,
        modality: modality.to_owned(),
        uri: url.to_owned(),
    }
}

/// One Responses API input item.
fn responses_item(item: &Value) -> Option<InputMessage> {
    let kind = item
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("message");
    match kind {
        "message" => {
            let role = item.get("role").and_then(Value::as_str).unwrap_or("user");
            let mut parts = Vec::new();
            content_parts(item.get("content"), &mut parts);
            Some(InputMessage::new(role, parts))
        }
        "function_call" => Some(InputMessage::new(
            "assistant",
            vec![MessagePart::ToolCall {
                id: str_field(item, "call_id"),
                name: str_field(item, "name").unwrap_or_default(),
                arguments: item
                    .get("arguments")
                    .and_then(Value::as_str)
                    .map(arguments_value),
            }],
        )),
        "function_call_output" => Some(InputMessage::new(
            "tool",
            vec![MessagePart::ToolCallResponse {
                id: str_field(item, "call_id"),
                response: item
                    .get("output")
                    .and_then(Value::as_str)
                    .map(arguments_value)
                    .unwrap_or(Value::Null),
            }],
        )),
        _ => None,
    }
}
