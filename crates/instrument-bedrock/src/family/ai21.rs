//! AI21 on Bedrock: Jamba (OpenAI-shaped chat, parsed by the shared OpenAI parser) and
//! Jurassic-2 (`prompt` → `completions`).

use genai_telemetry_core::genai::openai_compat::Endpoint;
use genai_telemetry_core::genai::openai_compat::response::parse_response_value;
use genai_telemetry_core::genai::{
    GenAiRequest, GenAiResponse, InputMessage, MessagePart, OutputMessage, RequestParameters,
    normalize_finish_reason,
};
use serde_json::Value;

use super::{
    BedrockModelFamily, bedrock_usage, f64_of, i64_of, read_openai_shaped_request, str_of,
    strings_of,
};
use crate::stream::InvokeStream;

pub(super) fn read_request(
    family: BedrockModelFamily,
    body: &Value,
    capture: bool,
    request: &mut GenAiRequest,
) {
    if family == BedrockModelFamily::Ai21Jamba {
        read_openai_shaped_request(body, capture, request);
        return;
    }
    request.parameters = RequestParameters {
        max_tokens: i64_of(body, "maxTokens"),
        temperature: f64_of(body, "temperature"),
        top_p: f64_of(body, "topP"),
        stop_sequences: strings_of(body, "stopSequences"),
        ..RequestParameters::default()
    };
    if capture && let Some(prompt) = str_of(body, "prompt") {
        request.input_messages = vec![InputMessage::new("user", vec![MessagePart::text(prompt)])];
    }
}

pub(super) fn read_response(
    family: BedrockModelFamily,
    body: &Value,
    capture: bool,
) -> GenAiResponse {
    if family == BedrockModelFamily::Ai21Jamba {
        return parse_response_value(Endpoint::ChatCompletions, body, capture, None)
            .unwrap_or_default();
    }
    // Jurassic-2 counts tokens by listing them.
    let count = |v: Option<&Value>| {
        v.and_then(|t| t.get("tokens"))
            .and_then(Value::as_array)
            .map(|t| t.len() as u64)
    };
    let completions = body
        .get("completions")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let output: Option<u64> = completions
        .iter()
        .map(|c| count(c.get("data")))
        .try_fold(0u64, |sum, n| n.map(|n| sum.saturating_add(n)));
    let mut response = GenAiResponse {
        id: body
            .get("id")
            .map(|id| id.to_string().trim_matches('"').to_owned()),
        usage: bedrock_usage(count(body.get("prompt")), output, None, None, None),
        ..GenAiResponse::default()
    };
    for completion in completions {
        let reason = completion
            .get("finishReason")
            .and_then(|r| str_of(r, "reason"))
            .unwrap_or_default()
            .to_owned();
        if capture {
            let text = completion
                .get("data")
                .and_then(|d| str_of(d, "text"))
                .unwrap_or_default();
            response.output_messages.push(OutputMessage::assistant(
                vec![MessagePart::text(text)],
                normalize_finish_reason(&reason).into_owned(),
            ));
        }
        if !reason.is_empty() {
            response.finish_reasons.push(reason);
        }
    }
    response
}

pub(super) fn read_chunk(chunk: &Value, stream: &mut InvokeStream) {
    // Jamba streams OpenAI-shaped chunks.
    if let Ok(data) = serde_json::to_string(chunk) {
        stream.openai_chunk(&data);
    }
}
