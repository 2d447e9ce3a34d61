//! Cohere on Bedrock: Command (`prompt`), Command R / R+ (`message`, `chat_history`) and
//! Embed (`texts`).

use genai_telemetry_core::genai::{
    GenAiRequest, GenAiResponse, InputMessage, MessagePart, OutputMessage, RequestParameters,
    normalize_finish_reason,
};
use serde_json::Value;

use super::{BedrockModelFamily, bedrock_usage, f64_of, i64_of, str_of, strings_of, u64_of};
use crate::stream::InvokeStream;

pub(super) fn read_request(
    family: BedrockModelFamily,
    body: &Value,
    capture: bool,
    request: &mut GenAiRequest,
) {
    request.parameters = RequestParameters {
        max_tokens: i64_of(body, "max_tokens"),
        temperature: f64_of(body, "temperature"),
        top_p: f64_of(body, "p"),
        top_k: f64_of(body, "k"),
        stop_sequences: strings_of(body, "stop_sequences"),
        seed: i64_of(body, "seed"),
        ..RequestParameters::default()
    };
    if !capture {
        return;
    }
    match family {
        BedrockModelFamily::CohereCommandR => {
            if let Some(preamble) = str_of(body, "preamble") {
                request.system_instructions = vec![MessagePart::text(preamble)];
            }
            let mut messages: Vec<InputMessage> = body
                .get("chat_history")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|m| {
                    let role = match str_of(m, "role") {
                        Some("CHATBOT") => "assistant",
                        Some("SYSTEM") => "system",
                        _ => "user",
                    };
                    InputMessage::new(
                        role,
                        vec![MessagePart::text(str_of(m, "message").unwrap_or_default())],
                    )
                })
                .collect();
            if let Some(message) = str_of(body, "message") {
                messages.push(InputMessage::new("user", vec![MessagePart::text(message)]));
            }
            request.input_messages = messages;
        }
        BedrockModelFamily::CohereEmbed => {
            request.input_messages = strings_of(body, "texts")
                .into_iter()
                .map(|t| InputMessage::new("user", vec![MessagePart::text(t)]))
                .collect();
        }
        _ => {
            if let Some(prompt) = str_of(body, "prompt") {
                request.input_messages =
                    vec![InputMessage::new("user", vec![MessagePart::text(prompt)])];
            }
        }
    }
}

fn billed_usage(body: &Value) -> genai_telemetry_core::genai::TokenUsage {
    let billed = body
        .get("meta")
        .and_then(|m| m.get("billed_units"))
        .unwrap_or(&Value::Null);
    let counts = body.get("token_count").unwrap_or(&Value::Null);
    bedrock_usage(
        u64_of(billed, "input_tokens").or_else(|| u64_of(counts, "prompt_tokens")),
        u64_of(billed, "output_tokens").or_else(|| u64_of(counts, "response_tokens")),
        None,
        None,
        None,
    )
}

pub(super) fn read_response(
    family: BedrockModelFamily,
    body: &Value,
    capture: bool,
) -> GenAiResponse {
    let mut response = GenAiResponse {
        id: str_of(body, "response_id")
            .or_else(|| str_of(body, "id"))
            .map(str::to_owned),
        usage: billed_usage(body),
        ..GenAiResponse::default()
    };
    match family {
        BedrockModelFamily::CohereCommandR => {
            let reason = str_of(body, "finish_reason").unwrap_or_default().to_owned();
            if capture {
                let mut parts = vec![MessagePart::text(str_of(body, "text").unwrap_or_default())];
                for call in body
                    .get("tool_calls")
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                {
                    parts.push(MessagePart::ToolCall {
                        id: None,
                        name: str_of(call, "name").unwrap_or_default().to_owned(),
                        arguments: call.get("parameters").cloned(),
                    });
                }
                response.output_messages = vec![OutputMessage::assistant(
                    parts,
                    normalize_finish_reason(&reason).into_owned(),
                )];
            }
            if !reason.is_empty() {
                response.finish_reasons = vec![reason];
            }
        }
        BedrockModelFamily::CohereEmbed => {
            response.usage.output_tokens = None;
        }
        _ => {
            for generation in body
                .get("generations")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                let reason = str_of(generation, "finish_reason")
                    .unwrap_or_default()
                    .to_owned();
                if capture {
                    response.output_messages.push(OutputMessage::assistant(
                        vec![MessagePart::text(
                            str_of(generation, "text").unwrap_or_default(),
                        )],
                        normalize_finish_reason(&reason).into_owned(),
                    ));
                }
                if !reason.is_empty() {
                    response.finish_reasons.push(reason);
                }
            }
        }
    }
    response
}

pub(super) fn read_chunk(chunk: &Value, stream: &mut InvokeStream) {
    // Command R streams `{"event_type": "text-generation", "text": ...}` … `stream-end`;
    // Command streams `{"text": ..., "is_finished": false}` … with `finish_reason` last.
    if let Some(text) = str_of(chunk, "text")
        && str_of(chunk, "event_type").is_none_or(|e| e == "text-generation")
    {
        stream.push_text(text);
    }
    if let Some(generations) = chunk.get("generations").and_then(Value::as_array) {
        for g in generations {
            if let Some(text) = str_of(g, "text") {
                stream.push_text(text);
            }
            if let Some(reason) = str_of(g, "finish_reason") {
                stream.finish_reason = Some(reason.to_owned());
            }
        }
    }
    if let Some(reason) = str_of(chunk, "finish_reason") {
        stream.finish_reason = Some(reason.to_owned());
    }
    if let Some(response) = chunk.get("response") {
        let usage = billed_usage(response);
        super::fill_missing(&mut stream.usage, usage);
    }
}
