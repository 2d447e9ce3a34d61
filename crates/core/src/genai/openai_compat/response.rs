//! Responses of the OpenAI HTTP API: whole JSON bodies, streamed chunks accumulated into
//! the same shape, and error bodies.

use std::collections::BTreeMap;

use opentelemetry::KeyValue;
use serde_json::Value;

use super::request::Endpoint;
use crate::genai::call::{GenAiResponse, ReportedCost, TokenUsage};
use crate::genai::messages::{MessagePart, OutputMessage, arguments_value, push_captured};
use crate::genai::semconv::attr;

/// Reads `usage` in either the chat/completions shape (`prompt_tokens`, …) or the
/// Responses shape (`input_tokens`, …), with cached and reasoning token details.
pub fn parse_usage(usage: &Value) -> TokenUsage {
    let n = |v: Option<&Value>| v.and_then(Value::as_u64);
    let input = n(usage.get("prompt_tokens")).or_else(|| n(usage.get("input_tokens")));
    let output = n(usage.get("completion_tokens")).or_else(|| n(usage.get("output_tokens")));
    let input_details = usage
        .get("prompt_tokens_details")
        .or_else(|| usage.get("input_tokens_details"));
    let output_details = usage
        .get("completion_tokens_details")
        .or_else(|| usage.get("output_tokens_details"));
    // OpenAI reports cache reads as `cached_tokens`; Anthropic-style servers behind
    // LiteLLM add `cache_read_input_tokens` / `cache_creation_input_tokens`.
    let cache_read = n(input_details.and_then(|d| d.get("cached_tokens")))
        .or_else(|| n(usage.get("cache_read_input_tokens")));
    let cache_creation = n(input_details.and_then(|d| d.get("cache_creation_tokens")))
        .or_else(|| n(input_details.and_then(|d| d.get("cache_write_tokens"))))
        .or_else(|| n(usage.get("cache_creation_input_tokens")));
    let reasoning = n(output_details.and_then(|d| d.get("reasoning_tokens")));
    TokenUsage {
        input_tokens: input,
        output_tokens: output,
        cache_read_input_tokens: cache_read.filter(|&t| t > 0),
        cache_creation_input_tokens: cache_creation.filter(|&t| t > 0),
        reasoning_output_tokens: reasoning.filter(|&t| t > 0),
    }
}

/// `usage.cost`, which LiteLLM and some gateways add, as a reported cost.
fn usage_cost(json: &Value, source: Option<&'static str>) -> Option<ReportedCost> {
    let source = source?;
    let total = json.get("usage")?.get("cost")?.as_f64()?;
    (total >= 0.0).then_some(ReportedCost {
        total,
        input: None,
        output: None,
        source,
    })
}

fn common(json: &Value, response: &mut GenAiResponse, cost_source: Option<&'static str>) {
    response.id = json.get("id").and_then(Value::as_str).map(str::to_owned);
    response.model = json.get("model").and_then(Value::as_str).map(str::to_owned);
    if let Some(usage) = json.get("usage").filter(|u| u.is_object()) {
        response.usage = parse_usage(usage);
    }
    response.reported_cost = usage_cost(json, cost_source);
    if let Some(fp) = json.get("system_fingerprint").and_then(Value::as_str) {
        response.attributes.push(KeyValue::new(
            attr::OPENAI_RESPONSE_SYSTEM_FINGERPRINT,
            fp.to_owned(),
        ));
    }
    if let Some(tier) = json.get("service_tier").and_then(Value::as_str) {
        response.attributes.push(KeyValue::new(
            attr::OPENAI_RESPONSE_SERVICE_TIER,
            tier.to_owned(),
        ));
    }
}

/// Parses a whole (non-streaming) response body. `None` when it is not JSON of the
/// expected shape.
pub fn parse_response(
    endpoint: Endpoint,
    body: &[u8],
    capture: bool,
    cost_source: Option<&'static str>,
) -> Option<GenAiResponse> {
    let json: Value = serde_json::from_slice(body).ok()?;
    parse_response_value(endpoint, &json, capture, cost_source)
}

/// [`parse_response`] of a body already parsed as JSON (Bedrock's AI21 Jamba answers in
/// the OpenAI shape inside a body the interceptor has parsed once already).
pub fn parse_response_value(
    endpoint: Endpoint,
    json: &Value,
    capture: bool,
    cost_source: Option<&'static str>,
) -> Option<GenAiResponse> {
    if !json.is_object() {
        return None;
    }
    let mut response = GenAiResponse::default();
    common(json, &mut response, cost_source);
    match endpoint {
        Endpoint::ChatCompletions | Endpoint::Completions => {
            let choices = json.get("choices").and_then(Value::as_array)?;
            for choice in choices {
                let reason = choice
                    .get("finish_reason")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                if capture {
                    let parts = match choice.get("message") {
                        Some(message) => chat_output_parts(message),
                        None => choice
                            .get("text")
                            .and_then(Value::as_str)
                            .map(|t| vec![MessagePart::text(t)])
                            .unwrap_or_default(),
                    };
                    response.output_messages.push(OutputMessage::assistant(
                        parts,
                        crate::genai::call::normalize_finish_reason(&reason).into_owned(),
                    ));
                }
                if !reason.is_empty() {
                    response.finish_reasons.push(reason);
                }
            }
        }
        Endpoint::Embeddings => {
            // Embeddings have no completion; usage carries only input tokens.
            response.usage.output_tokens = None;
        }
        Endpoint::Responses => responses_object(json, capture, &mut response),
    }
    Some(response)
}

fn chat_output_parts(message: &Value) -> Vec<MessagePart> {
    let mut parts = Vec::new();
    if let Some(reasoning) = message.get("reasoning_content").and_then(Value::as_str) {
        parts.push(MessagePart::Reasoning {
            content: reasoning.to_owned(),
        });
    }
    if let Some(text) = message.get("content").and_then(Value::as_str) {
        parts.push(MessagePart::text(text));
    }
    if let Some(refusal) = message.get("refusal").and_then(Value::as_str) {
        parts.push(MessagePart::text(refusal));
    }
    if let Some(calls) = message.get("tool_calls").and_then(Value::as_array) {
        for call in calls {
            let function = call.get("function");
            parts.push(MessagePart::ToolCall {
                id: call.get("id").and_then(Value::as_str).map(str::to_owned),
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
    parts
}

/// A Responses API `response` object (whole body or the `response.completed` event).
fn responses_object(json: &Value, capture: bool, response: &mut GenAiResponse) {
    let items = json
        .get("output")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let has_tool_call = items
        .iter()
        .any(|i| i.get("type").and_then(Value::as_str) == Some("function_call"));
    let status = json.get("status").and_then(Value::as_str).unwrap_or("");
    let reason = if has_tool_call {
        "tool_call".to_owned()
    } else if status == "incomplete" {
        json.get("incomplete_details")
            .and_then(|d| d.get("reason"))
            .and_then(Value::as_str)
            .unwrap_or("length")
            .to_owned()
    } else {
        status.to_owned()
    };
    if !reason.is_empty() {
        response.finish_reasons = vec![reason.clone()];
    }
    if !capture {
        return;
    }
    let mut parts = Vec::new();
    for item in items {
        match item.get("type").and_then(Value::as_str) {
            Some("message") => {
                for c in item
                    .get("content")
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                {
                    match c.get("type").and_then(Value::as_str) {
                        Some("output_text") => parts.push(MessagePart::text(
                            c.get("text").and_then(Value::as_str).unwrap_or_default(),
                        )),
                        Some("refusal") => parts.push(MessagePart::text(
                            c.get("refusal").and_then(Value::as_str).unwrap_or_default(),
                        )),
                        _ => {}
                    }
                }
            }
            Some("function_call") => parts.push(MessagePart::ToolCall {
                id: item
                    .get("call_id")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                name: item
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                arguments: item
                    .get("arguments")
                    .and_then(Value::as_str)
                    .map(arguments_value),
            }),
            Some("reasoning") => {
                for s in item
                    .get("summary")
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                {
                    if let Some(text) = s.get("text").and_then(Value::as_str) {
                        parts.push(MessagePart::Reasoning {
                            content: text.to_owned(),
                        });
                    }
                }
            }
            _ => {}
        }
    }
    response.output_messages = vec![OutputMessage::assistant(
        parts,
        crate::genai::call::normalize_finish_reason(&reason).into_owned(),
    )];
}

/// `error.type` and message of an error response: the provider's `error.code`, else its
/// `error.type`, else the HTTP status code.
pub fn parse_error(status: u16, body: &[u8]) -> (String, String) {
    let fallback = || {
        let text = String::from_utf8_lossy(body);
        let text = text.trim();
        let message = if text.is_empty() {
            format!("HTTP {status}")
        } else {
            format!("HTTP {status}: {}", truncate(text, 512))
        };
        (status.to_string(), message)
    };
    let Ok(json) = serde_json::from_slice::<Value>(body) else {
        return fallback();
    };
    match error_fields(&json) {
        Some((kind, message)) => (kind.unwrap_or_else(|| status.to_string()), message),
        None => fallback(),
    }
}

/// The `error` object of a body (or streamed event), as `(code or type, message)`.
pub fn error_fields(json: &Value) -> Option<(Option<String>, String)> {
    let error = json.get("error")?;
    if let Some(message) = error.as_str() {
        return Some((None, message.to_owned()));
    }
    // An empty code or type is no error type (`error.type` must not be empty).
    let code = error.get("code").and_then(|c| match c {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    });
    let kind = code.or_else(|| {
        error
            .get("type")
            .and_then(Value::as_str)
            .filter(|t| !t.trim().is_empty())
            .map(str::to_owned)
    });
    let message = error
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    Some((kind, message))
}

fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Builds a [`GenAiResponse`] from streamed chunks, one SSE event at a time.
#[derive(Debug)]
pub struct StreamAccumulator {
    endpoint: Endpoint,
    capture: bool,
    cost_source: Option<&'static str>,
    response: GenAiResponse,
    choices: BTreeMap<u64, ChoiceState>,
    error: Option<(String, String)>,
    saw_chunk: bool,
    malformed: bool,
    complete: bool,
}

#[derive(Debug, Default)]
struct ChoiceState {
    text: String,
    reasoning: String,
    tool_calls: BTreeMap<u64, ToolCallState>,
    finish_reason: Option<String>,
}

#[derive(Debug, Default)]
struct ToolCallState {
    id: Option<String>,
    name: String,
    arguments: String,
}

impl StreamAccumulator {
    /// An empty accumulator for a stream from `endpoint`.
    pub fn new(endpoint: Endpoint, capture: bool, cost_source: Option<&'static str>) -> Self {
        Self {
            endpoint,
            capture,
            cost_source,
            response: GenAiResponse::default(),
            choices: BTreeMap::new(),
            error: None,
            saw_chunk: false,
            malformed: false,
            complete: false,
        }
    }

    /// Feeds one SSE event's `data` (and `event` name). Returns true when the event is a
    /// content chunk (for time to first chunk).
    pub fn push_event(&mut self, event: Option<&str>, data: &str) -> bool {
        let data = data.trim();
        if data == "[DONE]" {
            self.complete = true;
            return false;
        }
        if data.is_empty() {
            return false;
        }
        let Ok(json) = serde_json::from_str::<Value>(data) else {
            self.malformed = true;
            return false;
        };
        if let Some((kind, message)) = error_fields(&json) {
            self.error = Some((kind.unwrap_or_else(|| "stream_error".to_owned()), message));
            return false;
        }
        self.saw_chunk = true;
        match self.endpoint {
            Endpoint::Responses => self.push_responses_event(event, &json),
            _ => self.push_chat_chunk(&json),
        }
        true
    }

    fn push_chat_chunk(&mut self, json: &Value) {
        if let Some(id) = json.get("id").and_then(Value::as_str) {
            self.response.id = Some(id.to_owned());
        }
        if let Some(model) = json.get("model").and_then(Value::as_str) {
            self.response.model = Some(model.to_owned());
        }
        if let Some(usage) = json.get("usage").filter(|u| u.is_object()) {
            self.response.usage = parse_usage(usage);
            if let Some(cost) = usage_cost(json, self.cost_source) {
                self.response.reported_cost = Some(cost);
            }
        }
        if let Some(fp) = json.get("system_fingerprint").and_then(Value::as_str)
            && !self
                .response
                .attributes
                .iter()
                .any(|kv| kv.key.as_str() == attr::OPENAI_RESPONSE_SYSTEM_FINGERPRINT)
        {
            self.response.attributes.push(KeyValue::new(
                attr::OPENAI_RESPONSE_SYSTEM_FINGERPRINT,
                fp.to_owned(),
            ));
        }
        let Some(choices) = json.get("choices").and_then(Value::as_array) else {
            return;
        };
        for choice in choices {
            let index = choice.get("index").and_then(Value::as_u64).unwrap_or(0);
            let state = self.choices.entry(index).or_default();
            if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
                state.finish_reason = Some(reason.to_owned());
            }
            if !self.capture {
                continue;
            }
            if let Some(text) = choice.get("text").and_then(Value::as_str) {
                push_captured(&mut state.text, text);
            }
            let Some(delta) = choice.get("delta") else {
                continue;
            };
            if let Some(text) = delta.get("content").and_then(Value::as_str) {
                push_captured(&mut state.text, text);
            }
            if let Some(text) = delta.get("reasoning_content").and_then(Value::as_str) {
                push_captured(&mut state.reasoning, text);
            }
            if let Some(calls) = delta.get("tool_calls").and_then(Value::as_array) {
                for call in calls {
                    let i = call.get("index").and_then(Value::as_u64).unwrap_or(0);
                    let tc = state.tool_calls.entry(i).or_default();
                    if let Some(id) = call.get("id").and_then(Value::as_str) {
                        tc.id = Some(id.to_owned());
                    }
                    if let Some(f) = call.get("function") {
                        if let Some(name) = f.get("name").and_then(Value::as_str) {
                            push_captured(&mut tc.name, name);
                        }
                        if let Some(args) = f.get("arguments").and_then(Value::as_str) {
                            push_captured(&mut tc.arguments, args);
                        }
                    }
                }
            }
        }
    }

    fn push_responses_event(&mut self, event: Option<&str>, json: &Value) {
        let kind = json.get("type").and_then(Value::as_str).or(event);
        match kind {
            Some("response.created" | "response.in_progress") => {
                if let Some(r) = json.get("response") {
                    if let Some(id) = r.get("id").and_then(Value::as_str) {
                        self.response.id = Some(id.to_owned());
                    }
                    if let Some(model) = r.get("model").and_then(Value::as_str) {
                        self.response.model = Some(model.to_owned());
                    }
                }
            }
            Some("response.completed" | "response.incomplete" | "response.failed") => {
                self.complete = true;
                if let Some(r) = json.get("response") {
                    let mut full = GenAiResponse::default();
                    common(r, &mut full, self.cost_source);
                    responses_object(r, self.capture, &mut full);
                    self.response.merge(full);
                    if kind == Some("response.failed") {
                        let (code, message) = r
                            .get("error")
                            .map(|e| {
                                (
                                    e.get("code")
                                        .and_then(Value::as_str)
                                        .unwrap_or("response_failed")
                                        .to_owned(),
                                    e.get("message")
                                        .and_then(Value::as_str)
                                        .unwrap_or_default()
                                        .to_owned(),
                                )
                            })
                            .unwrap_or_else(|| ("response_failed".to_owned(), String::new()));
                        self.error = Some((code, message));
                    }
                }
            }
            _ => {}
        }
    }

    /// An error seen in the stream, as `(error.type, message)`: an error event, or an
    /// event whose data is not JSON.
    pub fn error(&self) -> Option<(String, String)> {
        self.error.clone().or_else(|| {
            self.malformed.then(|| {
                (
                    "invalid_response".to_owned(),
                    "a stream event is not the JSON the API documents".to_owned(),
                )
            })
        })
    }

    /// True once the stream's terminal event arrived (`[DONE]`, or the Responses API's
    /// `response.completed` / `.incomplete` / `.failed`).
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// The response gathered so far (what a cancelled stream reports).
    pub fn finish(mut self) -> GenAiResponse {
        if self.endpoint != Endpoint::Responses {
            let mut reasons = Vec::new();
            for state in self.choices.values_mut() {
                if let Some(r) = &state.finish_reason {
                    reasons.push(r.clone());
                }
                if self.capture {
                    let mut parts = Vec::new();
                    if !state.reasoning.is_empty() {
                        parts.push(MessagePart::Reasoning {
                            content: std::mem::take(&mut state.reasoning),
                        });
                    }
                    if !state.text.is_empty() {
                        parts.push(MessagePart::text(std::mem::take(&mut state.text)));
                    }
                    for tc in std::mem::take(&mut state.tool_calls).into_values() {
                        parts.push(MessagePart::ToolCall {
                            id: tc.id,
                            name: tc.name,
                            arguments: (!tc.arguments.is_empty())
                                .then(|| arguments_value(&tc.arguments)),
                        });
                    }
                    let reason = state.finish_reason.as_deref().unwrap_or("");
                    self.response.output_messages.push(OutputMessage::assistant(
                        parts,
                        crate::genai::call::normalize_finish_reason(reason).into_owned(),
                    ));
                }
            }
            if !reasons.is_empty() {
                self.response.finish_reasons = reasons;
            }
        }
        self.response
    }

    /// True once at least one chunk parsed.
    pub fn saw_chunk(&self) -> bool {
        self.saw_chunk
    }
}

#[cfg(test)]
mod tests {
    use super::{Endpoint, StreamAccumulator};
    use crate::genai::messages::{MAX_CAPTURED_CONTENT_BYTES, MessagePart};

    #[test]
    fn a_long_stream_with_capture_on_holds_at_most_the_captured_content_bound() {
        let mut acc = StreamAccumulator::new(Endpoint::ChatCompletions, true, None);
        let text = "x".repeat(64 * 1024);
        let chunk = serde_json::json!({
            "id": "chatcmpl-1",
            "model": "gpt-4o",
            "choices": [{
                "index": 0,
                "delta": {
                    "content": text,
                    "reasoning_content": text,
                    "tool_calls": [{"index": 0, "function": {"name": "f", "arguments": text}}],
                },
            }],
        })
        .to_string();
        // 4 MiB of each kind of delta.
        for _ in 0..64 {
            acc.push_event(None, &chunk);
        }
        let state = &acc.choices[&0];
        assert_eq!(state.text.len(), MAX_CAPTURED_CONTENT_BYTES);
        assert_eq!(state.reasoning.len(), MAX_CAPTURED_CONTENT_BYTES);
        assert_eq!(
            state.tool_calls[&0].arguments.len(),
            MAX_CAPTURED_CONTENT_BYTES
        );
        acc.push_event(None, "[DONE]");
        let response = acc.finish();
        let texts: Vec<usize> = response.output_messages[0]
            .parts
            .iter()
            .filter_map(|p| match p {
                MessagePart::Text { content } => Some(content.len()),
                _ => None,
            })
            .collect();
        assert_eq!(texts, [MAX_CAPTURED_CONTENT_BYTES]);
    }
}
