//! The Converse wire format (shared by `Converse`, `ConverseStream` and Amazon Nova's
//! `InvokeModel` body): content blocks, request parameters, usage and stream events.

use genai_telemetry_core::genai::semconv::attr;
use genai_telemetry_core::genai::{
    GenAiRequest, GenAiResponse, InputMessage, MessagePart, OutputMessage, RequestParameters,
    TokenUsage, normalize_finish_reason,
};
use opentelemetry::KeyValue;
use serde_json::Value;

use crate::family::{bedrock_usage, f32_of, f64_of, i64_of, str_of, strings_of, u64_of};
use crate::stream::InvokeStream;

/// Fills `request` from a Converse request body.
pub(crate) fn read_request(body: &Value, capture: bool, request: &mut GenAiRequest) {
    let config = body.get("inferenceConfig").unwrap_or(&Value::Null);
    let extra = body
        .get("additionalModelRequestFields")
        .unwrap_or(&Value::Null);
    request.parameters = RequestParameters {
        max_tokens: i64_of(config, "maxTokens"),
        // f32 in the Converse model: see `f32_of`.
        temperature: f32_of(config, "temperature"),
        top_p: f32_of(config, "topP"),
        top_k: f64_of(extra, "top_k"),
        stop_sequences: strings_of(config, "stopSequences"),
        ..RequestParameters::default()
    };
    if let Some(guardrail) = body
        .get("guardrailConfig")
        .and_then(|g| str_of(g, "guardrailIdentifier"))
    {
        request.attributes.push(KeyValue::new(
            attr::AWS_BEDROCK_GUARDRAIL_ID,
            guardrail.to_owned(),
        ));
    }
    if capture {
        read_content(body, request);
    }
}

/// `system`, `messages` and `toolConfig.tools` as captured content.
pub(crate) fn read_content(body: &Value, request: &mut GenAiRequest) {
    if let Some(system) = body.get("system").and_then(Value::as_array) {
        request.system_instructions = system
            .iter()
            .filter_map(|b| str_of(b, "text").map(MessagePart::text))
            .collect();
    }
    if let Some(messages) = body.get("messages").and_then(Value::as_array) {
        request.input_messages = messages
            .iter()
            .map(|m| {
                let parts = m.get("content").map(parts).unwrap_or_default();
                let role = if !parts.is_empty()
                    && parts
                        .iter()
                        .all(|p| matches!(p, MessagePart::ToolCallResponse { .. }))
                {
                    "tool"
                } else {
                    str_of(m, "role").unwrap_or("user")
                };
                InputMessage::new(role, parts)
            })
            .collect();
    }
    if let Some(tools) = body
        .get("toolConfig")
        .and_then(|t| t.get("tools"))
        .filter(|t| t.is_array())
    {
        request.tool_definitions = Some(tools.clone());
    }
}

/// Converse content blocks → parts. Binary content is recorded without its bytes.
pub(crate) fn parts(content: &Value) -> Vec<MessagePart> {
    let Some(blocks) = content.as_array() else {
        return Vec::new();
    };
    blocks
        .iter()
        .filter_map(|block| {
            if let Some(text) = str_of(block, "text") {
                return Some(MessagePart::text(text));
            }
            if let Some(tool) = block.get("toolUse") {
                return Some(MessagePart::ToolCall {
                    id: str_of(tool, "toolUseId").map(str::to_owned),
                    name: str_of(tool, "name").unwrap_or_default().to_owned(),
                    arguments: tool.get("input").cloned(),
                });
            }
            if let Some(result) = block.get("toolResult") {
                return Some(MessagePart::ToolCallResponse {
                    id: str_of(result, "toolUseId").map(str::to_owned),
                    response: result.get("content").cloned().unwrap_or(Value::Null),
                });
            }
            if let Some(reasoning) = block.get("reasoningContent") {
                let text = reasoning
                    .get("reasoningText")
                    .and_then(|r| str_of(r, "text"))
                    .unwrap_or_default();
                return Some(MessagePart::Reasoning {
                    content: text.to_owned(),
                });
            }
            for modality in ["image", "video", "audio", "document"] {
                if let Some(media) = block.get(modality) {
                    return Some(MessagePart::Blob {
                        mime_type: str_of(media, "format").map(|f| format!("{modality}/{f}")),
                        modality: modality.to_owned(),
                        // Left empty on purpose: media would bloat every span.
                        content: String::new(),
                    });
                }
            }
            None
        })
        .collect()
}

/// Converse `usage`.
pub(crate) fn usage(usage: &Value) -> TokenUsage {
    bedrock_usage(
        u64_of(usage, "inputTokens"),
        u64_of(usage, "outputTokens"),
        u64_of(usage, "cacheReadInputTokens").or_else(|| u64_of(usage, "cacheReadInputTokenCount")),
        u64_of(usage, "cacheWriteInputTokens")
            .or_else(|| u64_of(usage, "cacheWriteInputTokenCount")),
        u64_of(usage, "totalTokens"),
    )
}

/// Reads a Converse response body.
pub(crate) fn read_response(body: &Value, capture: bool) -> GenAiResponse {
    let mut response = GenAiResponse::default();
    if let Some(u) = body.get("usage") {
        response.usage = usage(u);
    }
    let reason = str_of(body, "stopReason").unwrap_or_default().to_owned();
    if capture {
        let parts = body
            .get("output")
            .and_then(|o| o.get("message"))
            .and_then(|m| m.get("content"))
            .map(parts)
            .unwrap_or_default();
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

/// One ConverseStream event (`messageStart`, `contentBlockStart`, `contentBlockDelta`,
/// `contentBlockStop`, `messageStop`, `metadata`). Returns true for content deltas.
pub(crate) fn read_stream_event(event: &str, payload: &Value, stream: &mut InvokeStream) -> bool {
    match event {
        "contentBlockStart" => {
            if let Some(tool) = payload.get("start").and_then(|s| s.get("toolUse")) {
                stream.start_tool_call(
                    u64_of(payload, "contentBlockIndex").unwrap_or(0),
                    str_of(tool, "toolUseId").map(str::to_owned),
                    str_of(tool, "name").unwrap_or_default(),
                );
            }
            false
        }
        "contentBlockDelta" => {
            let index = u64_of(payload, "contentBlockIndex").unwrap_or(0);
            if let Some(delta) = payload.get("delta") {
                if let Some(text) = str_of(delta, "text") {
                    stream.push_text(text);
                }
                if let Some(input) = delta.get("toolUse").and_then(|t| str_of(t, "input")) {
                    stream.push_tool_arguments(index, input);
                }
                if let Some(text) = delta
                    .get("reasoningContent")
                    .and_then(|r| str_of(r, "text"))
                {
                    stream.push_reasoning(text);
                }
            }
            true
        }
        "messageStop" => {
            if let Some(reason) = str_of(payload, "stopReason") {
                stream.finish_reason = Some(reason.to_owned());
            }
            false
        }
        "metadata" => {
            if let Some(u) = payload.get("usage") {
                stream.usage = usage(u);
            }
            stream.complete = true;
            false
        }
        _ => false,
    }
}

/// Nova's `InvokeModelWithResponseStream` chunks wrap Converse events:
/// `{"contentBlockDelta": {...}}`.
pub(crate) fn read_nova_chunk(chunk: &Value, stream: &mut InvokeStream) {
    if let Some(object) = chunk.as_object() {
        for (event, payload) in object {
            if event != "amazon-bedrock-invocationMetrics" {
                read_stream_event(event, payload, stream);
            }
        }
    }
}
