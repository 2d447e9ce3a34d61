//! Amazon models on Bedrock: Nova (Converse-like messages), Titan Text and Titan Embeddings.

use genai_telemetry_core::genai::{
    GenAiRequest, GenAiResponse, InputMessage, MessagePart, OutputMessage, RequestParameters,
    normalize_finish_reason,
};
use serde_json::Value;

use super::{BedrockModelFamily, bedrock_usage, f64_of, i64_of, str_of, strings_of, u64_of};
use crate::converse;
use crate::stream::InvokeStream;

pub(super) fn read_request(
    family: BedrockModelFamily,
    body: &Value,
    capture: bool,
    request: &mut GenAiRequest,
) {
    match family {
        BedrockModelFamily::AmazonNova => {
            let config = body.get("inferenceConfig").unwrap_or(&Value::Null);
            request.parameters = RequestParameters {
                max_tokens: i64_of(config, "maxTokens")
                    .or_else(|| i64_of(config, "max_new_tokens")),
                temperature: f64_of(config, "temperature"),
                top_p: f64_of(config, "topP").or_else(|| f64_of(config, "top_p")),
                top_k: f64_of(config, "topK").or_else(|| f64_of(config, "top_k")),
                stop_sequences: strings_of(config, "stopSequences"),
                ..RequestParameters::default()
            };
            if capture {
                converse::read_content(body, request);
            }
        }
        BedrockModelFamily::AmazonTitanText => {
            let config = body.get("textGenerationConfig").unwrap_or(&Value::Null);
            request.parameters = RequestParameters {
                max_tokens: i64_of(config, "maxTokenCount"),
                temperature: f64_of(config, "temperature"),
                top_p: f64_of(config, "topP"),
                stop_sequences: strings_of(config, "stopSequences"),
                ..RequestParameters::default()
            };
            if capture && let Some(text) = str_of(body, "inputText") {
                request.input_messages =
                    vec![InputMessage::new("user", vec![MessagePart::text(text)])];
            }
        }
        _ => {
            if capture && let Some(text) = str_of(body, "inputText") {
                request.input_messages =
                    vec![InputMessage::new("user", vec![MessagePart::text(text)])];
            }
        }
    }
}

pub(super) fn read_response(
    family: BedrockModelFamily,
    body: &Value,
    capture: bool,
) -> GenAiResponse {
    let mut response = GenAiResponse::default();
    match family {
        BedrockModelFamily::AmazonNova => {
            if let Some(usage) = body.get("usage") {
                response.usage = converse::usage(usage);
            }
            let reason = str_of(body, "stopReason").unwrap_or_default().to_owned();
            if capture {
                let parts = body
                    .get("output")
                    .and_then(|o| o.get("message"))
                    .and_then(|m| m.get("content"))
                    .map(converse::parts)
                    .unwrap_or_default();
                response.output_messages = vec![OutputMessage::assistant(
                    parts,
                    normalize_finish_reason(&reason).into_owned(),
                )];
            }
            if !reason.is_empty() {
                response.finish_reasons = vec![reason];
            }
        }
        BedrockModelFamily::AmazonTitanText => {
            let results = body.get("results").and_then(Value::as_array);
            let output: u64 = results
                .map(|r| r.iter().filter_map(|x| u64_of(x, "tokenCount")).sum())
                .unwrap_or(0);
            response.usage = bedrock_usage(
                u64_of(body, "inputTextTokenCount"),
                results.map(|_| output),
                None,
                None,
                None,
            );
            for result in results.map(Vec::as_slice).unwrap_or_default() {
                let reason = str_of(result, "completionReason")
                    .unwrap_or_default()
                    .to_owned();
                if capture {
                    response.output_messages.push(OutputMessage::assistant(
                        vec![MessagePart::text(
                            str_of(result, "outputText").unwrap_or_default(),
                        )],
                        normalize_finish_reason(&reason).into_owned(),
                    ));
                }
                if !reason.is_empty() {
                    response.finish_reasons.push(reason);
                }
            }
        }
        _ => {
            response.usage.input_tokens = u64_of(body, "inputTextTokenCount");
        }
    }
    response
}

pub(super) fn read_chunk(family: BedrockModelFamily, chunk: &Value, stream: &mut InvokeStream) {
    match family {
        BedrockModelFamily::AmazonNova => converse::read_nova_chunk(chunk, stream),
        _ => {
            if let Some(text) = str_of(chunk, "outputText") {
                stream.push_text(text);
            }
            if let Some(reason) = str_of(chunk, "completionReason") {
                stream.finish_reason = Some(reason.to_owned());
            }
            if let Some(input) = u64_of(chunk, "inputTextTokenCount") {
                stream.usage.input_tokens = Some(input);
            }
            if let Some(output) = u64_of(chunk, "totalOutputTextTokenCount") {
                stream.usage.output_tokens = Some(output);
            }
        }
    }
}
