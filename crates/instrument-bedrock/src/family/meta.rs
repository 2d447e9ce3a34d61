//! Meta Llama on Bedrock: `prompt` in, `generation` out.

use genai_telemetry_core::genai::{
    GenAiRequest, GenAiResponse, InputMessage, MessagePart, OutputMessage, RequestParameters,
    normalize_finish_reason,
};
use serde_json::Value;

use super::{bedrock_usage, f64_of, i64_of, str_of, u64_of};
use crate::stream::InvokeStream;

pub(super) fn read_request(body: &Value, capture: bool, request: &mut GenAiRequest) {
    request.parameters = RequestParameters {
        max_tokens: i64_of(body, "max_gen_len"),
        temperature: f64_of(body, "temperature"),
        top_p: f64_of(body, "top_p"),
        ..RequestParameters::default()
    };
    if capture && let Some(prompt) = str_of(body, "prompt") {
        request.input_messages = vec![InputMessage::new("user", vec![MessagePart::text(prompt)])];
    }
}

pub(super) fn read_response(body: &Value, capture: bool) -> GenAiResponse {
    let reason = str_of(body, "stop_reason").unwrap_or_default().to_owned();
    let mut response = GenAiResponse {
        usage: bedrock_usage(
            u64_of(body, "prompt_token_count"),
            u64_of(body, "generation_token_count"),
            None,
            None,
            None,
        ),
        ..GenAiResponse::default()
    };
    if capture {
        response.output_messages = vec![OutputMessage::assistant(
            vec![MessagePart::text(
                str_of(body, "generation").unwrap_or_default(),
            )],
            normalize_finish_reason(&reason).into_owned(),
        )];
    }
    if !reason.is_empty() {
        response.finish_reasons = vec![reason];
    }
    response
}

pub(super) fn read_chunk(chunk: &Value, stream: &mut InvokeStream) {
    if let Some(text) = str_of(chunk, "generation") {
        stream.push_text(text);
    }
    if let Some(reason) = str_of(chunk, "stop_reason") {
        stream.finish_reason = Some(reason.to_owned());
    }
    if let Some(n) = u64_of(chunk, "prompt_token_count") {
        stream.usage.input_tokens = Some(n);
    }
    if let Some(n) = u64_of(chunk, "generation_token_count") {
        // Each chunk carries the running count.
        stream.usage.output_tokens = Some(n);
    }
}
