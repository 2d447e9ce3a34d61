//! What a unary Bedrock call got back: the body (Converse or a model family's format),
//! the `x-amzn-bedrock-*-token-count` headers, and errors (`x-amzn-errortype`).

use aws_smithy_runtime_api::http::Headers;
use genai_telemetry_core::genai::{GenAiResponse, TokenUsage};
use serde_json::Value;

use super::request::Operation;
use crate::converse;
use crate::family::{BedrockModelFamily, bedrock_usage, fill_missing};

/// Reads a successful unary response.
pub(crate) fn read(
    op: Operation,
    family: BedrockModelFamily,
    headers: &Headers,
    body: Option<&[u8]>,
    capture: bool,
) -> Result<GenAiResponse, &'static str> {
    let json = body.and_then(|b| serde_json::from_slice::<Value>(b).ok());
    let mut response = match (&json, op) {
        (Some(json), Operation::Converse) => converse::read_response(json, capture),
        (Some(json), _) => family.read_response(json, capture),
        // InvokeModel may return non-JSON media (images, audio) with their own type.
        (None, _) if !op.is_converse() && !is_json(headers) => GenAiResponse::default(),
        (None, _) => return Err("the response body is not the JSON the model family documents"),
    };
    fill_missing(&mut response.usage, header_usage(headers));
    Ok(response)
}

fn is_json(headers: &Headers) -> bool {
    headers
        .get("content-type")
        .is_some_and(|v| v.to_ascii_lowercase().contains("json"))
}

/// `x-amzn-bedrock-input-token-count` and friends (InvokeModel responses carry them).
pub(crate) fn header_usage(headers: &Headers) -> TokenUsage {
    let n = |name: &str| headers.get(name).and_then(|v| v.trim().parse::<u64>().ok());
    bedrock_usage(
        n("x-amzn-bedrock-input-token-count"),
        n("x-amzn-bedrock-output-token-count"),
        n("x-amzn-bedrock-cache-read-input-token-count"),
        n("x-amzn-bedrock-cache-write-input-token-count"),
        None,
    )
}

/// `(error.type, message)` of an error response: the `x-amzn-errortype` code (or the
/// body's `__type`), else the status code; the body's `message`.
pub(crate) fn error_of(status: u16, headers: &Headers, body: Option<&[u8]>) -> (String, String) {
    let json = body.and_then(|b| serde_json::from_slice::<Value>(b).ok());
    let from_header = headers
        .get("x-amzn-errortype")
        .map(|v| v.split(':').next().unwrap_or(v).trim().to_owned())
        .filter(|v| !v.is_empty());
    let from_body = json
        .as_ref()
        .and_then(|j| j.get("__type"))
        .and_then(Value::as_str)
        .map(|t| t.rsplit('#').next().unwrap_or(t).trim().to_owned())
        .filter(|t| !t.is_empty());
    let kind = from_header
        .or(from_body)
        .unwrap_or_else(|| status.to_string());
    let message = json
        .as_ref()
        .and_then(|j| j.get("message").or_else(|| j.get("Message")))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| format!("HTTP {status}"));
    (kind, message)
}
