//! Anthropic Claude on Bedrock: the Messages API body and the legacy text-completion body.

use genai_telemetry_core::genai::{
    GenAiRequest, GenAiResponse, InputMessage, MessagePart, OutputMessage, RequestParameters,
    normalize_finish_reason,
};
use serde_json::Value;

use super::{bedrock_usage, f64_of, i64_of, str_of, strings_of, u64_of};
use crate::stream::InvokeStream;

pub(super) fn read_request(body: &Value, capture: bool, request: &mut GenAiRequest) {
    request.parameters = RequestParameters {
        max_tokens: i64_of(body, "max_tokens").or_else(|| i64_of(body, "max_tokens_to_sample")),
        temperature: f64_of(body, "temperature"),
        top_p: f64_of(body, "top_p"),
        top_k: f64_of(body, "top_k"),
        stop_sequences: strings_of(body, "stop_sequences"),
        ..RequestParameters::default()
    };
    if !capture {
        return;
    }
    if let Some(prompt) = str_of(body, "prompt") {
        request.input_messages = vec![InputMessage::new("user", vec![MessagePart::text(prompt)])];
        return;
    }
    match body.get("system") {
        Some(Value::String(s)) => request.system_instructions = vec![MessagePart::text(s.clone())],
        Some(Value::Array(blocks)) => {
            request.system_instructions = blocks.iter().filter_map(content_part).collect();
        }
        _ => {}
    }
    if let Some(messages) = body.get("messages").and_then(Value::as_array) {
        request.input_messages = messages
            .iter()
            .map(|m| {
                let role = str_of(m, "role").unwrap_or("user");
                let parts = match m.get("content") {
                    Some(Value::String(s)) => vec![MessagePart::text(s.clone())],
                    Some(Value::Array(blocks)) => blocks.iter().filter_map(content_part).collect(),
                    _ => Vec::new(),
                };
                // Tool results travel in user turns; the conventions call that role `tool`.
                let role = if parts
                    .iter()
                    .all(|p| matches!(p, MessagePart::ToolCallResponse { .. }))
                    && !parts.is_empty()
                {
                    "tool"
                } else {
                    role
                };
                InputMessage::new(role, parts)
            })
            .collect();
    }
    if let Some(tools) = body.get("tools").filter(|t| t.is_array()) {
        request.tool_definitions = Some(tools.clone());
    }
}

/// One Anthropic content block.
pub(crate) fn content_part(block: &Value) -> Option<MessagePart> {
    match str_of(block, "type")? {
        "text" => Some(MessagePart::text(str_of(block, "text").unwrap_or_default())),
        "thinking" => Some(MessagePart::Reasoning {
            content: str_of(block, "thinking").unwrap_or_default().to_owned(),
        }),
        "tool_use" => Some(MessagePart::ToolCall {
            id: str_of(block, "id").map(str::to_owned),
            name: str_of(block, "name").unwrap_or_default().to_owned(),
            arguments: block.get("input").cloned(),
        }),
        "tool_result" => Some(MessagePart::ToolCallResponse {
            id: str_of(block, "tool_use_id").map(str::to_owned),
            response: block.get("content").cloned().unwrap_or(Value::Null),
        }),
        "image" | "document" => {
            let source = block.get("source")?;
            let modality = if str_of(block, "type") == Some("image") {
                "image"
            } else {
                "document"
            };
            match str_of(source, "type") {
                Some("url") => Some(MessagePart::Uri {
                    mime_type: None,
                    modality: modality.to_owned(),
                    uri: str_of(source, "url").unwrap_or_default().to_owned(),
                }),
                _ => Some(MessagePart::Blob {
                    mime_type: str_of(source, "media_type").map(str::to_owned),
                    modality: modality.to_owned(),
                    // Left empty on purpose: images would bloat every span.
                    content: String::new(),
                }),
            }
        }
        _ => None,
    }
}

pub(super) fn read_response(body: &Value, capture: bool) -> GenAiResponse {
    let mut response = GenAiResponse {
        id: str_of(body, "id").map(str::to_owned),
        model: str_of(body, "model").map(str::to_owned),
        ..GenAiResponse::default()
    };
    if let Some(usage) = body.get("usage") {
        response.usage = anthropic_usage(usage);
    }
    let reason = str_of(body, "stop_reason").unwrap_or_default().to_owned();
    if capture {
        let parts = match str_of(body, "completion") {
            Some(text) => vec![MessagePart::text(text)],
            None => body
                .get("content")
                .and_then(Value::as_array)
                .map(|blocks| blocks.iter().filter_map(content_part).collect())
                .unwrap_or_default(),
        };
        response.output_messages = vec![OutputMessage::assistant(
            parts,
            normalize_finish_reason(&reason).into_owned(),
        )];
    }
    if !reason.is_empty() {
        response.finish_reasons = vec![reason];
    }
    response
}

/// Anthropic's `usage`: input tokens exclude the cache reads and writes.
fn anthropic_usage(usage: &Value) -> genai_telemetry_core::genai::TokenUsage {
    bedrock_usage(
        u64_of(usage, "input_tokens"),
        u64_of(usage, "output_tokens"),
        u64_of(usage, "cache_read_input_tokens"),
        u64_of(usage, "cache_creation_input_tokens"),
        None,
    )
}

pub(super) fn read_chunk(chunk: &Value, stream: &mut InvokeStream) {
    // Legacy completions stream `{"completion": "...", "stop_reason": ...}`.
    if let Some(text) = str_of(chunk, "completion") {
        stream.push_text(text);
        if let Some(reason) = str_of(chunk, "stop_reason") {
            stream.finish_reason = Some(reason.to_owned());
        }
        return;
    }
    match str_of(chunk, "type") {
        Some("message_start") => {
            if let Some(message) = chunk.get("message") {
                stream.id = str_of(message, "id").map(str::to_owned);
                stream.model = str_of(message, "model").map(str::to_owned);
                if let Some(usage) = message.get("usage") {
                    stream.usage = anthropic_usage(usage);
                }
            }
        }
        Some("content_block_start") => {
            if let Some(block) = chunk.get("content_block")
                && str_of(block, "type") == Some("tool_use")
            {
                let index = u64_of(chunk, "index").unwrap_or(0);
                stream.start_tool_call(
                    index,
                    str_of(block, "id").map(str::to_owned),
                    str_of(block, "name").unwrap_or_default(),
                );
            }
        }
        Some("content_block_delta") => {
            let index = u64_of(chunk, "index").unwrap_or(0);
            if let Some(delta) = chunk.get("delta") {
                match str_of(delta, "type") {
                    Some("text_delta") => {
                        stream.push_text(str_of(delta, "text").unwrap_or_default())
                    }
                    Some("thinking_delta") => {
                        stream.push_reasoning(str_of(delta, "thinking").unwrap_or_default());
                    }
                    Some("input_json_delta") => stream.push_tool_arguments(
                        index,
                        str_of(delta, "partial_json").unwrap_or_default(),
                    ),
                    _ => {}
                }
            }
        }
        Some("message_delta") => {
            if let Some(reason) = chunk.get("delta").and_then(|d| str_of(d, "stop_reason")) {
                stream.finish_reason = Some(reason.to_owned());
            }
            if let Some(output) = chunk.get("usage").and_then(|u| u64_of(u, "output_tokens")) {
                stream.usage.output_tokens = Some(output);
            }
        }
        _ => {}
    }
}
