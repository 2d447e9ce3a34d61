//! Mistral on Bedrock: text completion (`prompt` → `outputs`) and chat (`messages` →
//! `choices`, with `stop_reason` where OpenAI says `finish_reason`).

use genai_telemetry_core::genai::{
    GenAiRequest, GenAiResponse, InputMessage, MessagePart, OutputMessage, RequestParameters,
    normalize_finish_reason,
};
use serde_json::Value;

use super::{BedrockModelFamily, f64_of, i64_of, read_openai_shaped_request, str_of, strings_of};
use crate::stream::InvokeStream;

pub(super) fn read_request(
    family: BedrockModelFamily,
    body: &Value,
    capture: bool,
    request: &mut GenAiRequest,
) {
    if family == BedrockModelFamily::MistralChat {
        read_openai_shaped_request(body, capture, request);
        return;
    }
    request.parameters = RequestParameters {
        max_tokens: i64_of(body, "max_tokens"),
        temperature: f64_of(body, "temperature"),
        top_p: f64_of(body, "top_p"),
        top_k: f64_of(body, "top_k"),
        stop_sequences: strings_of(body, "stop"),
        ..RequestParameters::default()
    };
    if capture && let Some(prompt) = str_of(body, "prompt") {
        request.input_messages = vec![InputMessage::new("user", vec![MessagePart::text(prompt)])];
    }
}

fn choice_reason(choice: &Value) -> String {
    str_of(choice, "stop_reason")
        .or_else(|| str_of(choice, "finish_reason"))
        .unwrap_or_default()
        .to_owned()
}

pub(super) fn read_response(body: &Value, capture: bool) -> GenAiResponse {
    let mut response = GenAiResponse {
        id: str_of(body, "id").map(str::to_owned),
        ..GenAiResponse::default()
    };
    let outputs = body
        .get("outputs")
        .or_else(|| body.get("choices"))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for output in outputs {
        let reason = choice_reason(output);
        if capture {
            let text = str_of(output, "text")
                .or_else(|| output.get("message").and_then(|m| str_of(m, "content")))
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
    if let Some(usage) = body.get("usage") {
        response.usage = genai_telemetry_core::genai::openai_compat::response::parse_usage(usage);
    }
    response
}

pub(super) fn read_chunk(chunk: &Value, stream: &mut InvokeStream) {
    let outputs = chunk
        .get("outputs")
        .or_else(|| chunk.get("choices"))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for output in outputs {
        let text = str_of(output, "text")
            .or_else(|| output.get("delta").and_then(|d| str_of(d, "content")))
            .or_else(|| output.get("message").and_then(|m| str_of(m, "content")));
        if let Some(text) = text {
            stream.push_text(text);
        }
        let reason = choice_reason(output);
        if !reason.is_empty() {
            stream.finish_reason = Some(reason);
        }
    }
}
