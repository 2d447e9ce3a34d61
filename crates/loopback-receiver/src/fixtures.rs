//! GenAI span fixtures for tests: the attributes the instrumentation sets on a chat call and
//! an embedding call, spans carrying them, and small helpers to look at what a receiver got.

use std::time::{Duration, Instant};

use opentelemetry::trace::{Span, SpanKind, Tracer, TracerProvider};
use opentelemetry::{KeyValue, Value};
use opentelemetry_sdk::trace::SdkTracerProvider;

use crate::ReceivedSpan;

/// A string-array attribute value.
pub fn strings(items: &[&'static str]) -> Value {
    Value::Array(opentelemetry::Array::String(
        items
            .iter()
            .map(|s| opentelemetry::StringValue::from(*s))
            .collect(),
    ))
}

/// `gen_ai.input.messages` of the chat fixture (valid against the semconv schema).
pub const INPUT_MESSAGES: &str =
    r#"[{"role":"user","parts":[{"type":"text","content":"Which plan suits a team of five?"}]}]"#;

/// `gen_ai.output.messages` of the chat fixture.
pub const OUTPUT_MESSAGES: &str = r#"[{"role":"assistant","parts":[{"type":"text","content":"The Team plan."}],"finish_reason":"stop"}]"#;

/// `gen_ai.system_instructions` of the chat fixture.
pub const SYSTEM_INSTRUCTIONS: &str = r#"[{"type":"text","content":"You are a sales assistant."}]"#;

/// The attributes the instrumentation sets on a streamed chat call.
pub fn chat_attributes() -> Vec<KeyValue> {
    vec![
        KeyValue::new("gen_ai.operation.name", "chat"),
        KeyValue::new("gen_ai.provider.name", "openai"),
        KeyValue::new("gen_ai.request.model", "gpt-4o"),
        KeyValue::new("gen_ai.request.temperature", 0.2),
        KeyValue::new("gen_ai.request.max_tokens", 200_i64),
        KeyValue::new("gen_ai.request.stream", true),
        KeyValue::new("server.address", "api.openai.com"),
        KeyValue::new("server.port", 443_i64),
        KeyValue::new("gen_ai.response.model", "gpt-4o-2024-08-06"),
        KeyValue::new("gen_ai.response.id", "chatcmpl-123"),
        KeyValue::new("gen_ai.response.finish_reasons", strings(&["stop"])),
        KeyValue::new("gen_ai.response.time_to_first_chunk", 0.25),
        KeyValue::new("gen_ai.usage.input_tokens", 52_i64),
        KeyValue::new("gen_ai.usage.output_tokens", 47_i64),
        KeyValue::new("gen_ai.usage.cache_read.input_tokens", 12_i64),
        KeyValue::new("gen_ai.usage.cost", 0.000_595),
        KeyValue::new("genai_telemetry.cost.input", 0.000_1),
        KeyValue::new("genai_telemetry.cost.output", 0.000_47),
        KeyValue::new("genai_telemetry.cost.cache_read", 0.000_025),
        KeyValue::new("genai_telemetry.cost.source", "pricing_table"),
        KeyValue::new("gen_ai.system_instructions", SYSTEM_INSTRUCTIONS),
        KeyValue::new("gen_ai.input.messages", INPUT_MESSAGES),
        KeyValue::new("gen_ai.output.messages", OUTPUT_MESSAGES),
    ]
}

/// The attributes the instrumentation sets on a Bedrock Titan embeddings call.
pub fn embedding_attributes() -> Vec<KeyValue> {
    vec![
        KeyValue::new("gen_ai.operation.name", "embeddings"),
        KeyValue::new("gen_ai.provider.name", "aws.bedrock"),
        KeyValue::new("gen_ai.request.model", "amazon.titan-embed-text-v2:0"),
        KeyValue::new("gen_ai.request.encoding_formats", strings(&["float"])),
        KeyValue::new(
            "server.address",
            "bedrock-runtime.eu-central-1.amazonaws.com",
        ),
        KeyValue::new("server.port", 443_i64),
        KeyValue::new("gen_ai.usage.input_tokens", 9_i64),
    ]
}

/// Ends one CLIENT span `chat gpt-4o` with [`chat_attributes`].
pub fn emit_generation(provider: &SdkTracerProvider) {
    let tracer = provider.tracer("genai-telemetry-openai");
    let mut span = tracer
        .span_builder("chat gpt-4o")
        .with_kind(SpanKind::Client)
        .with_attributes(chat_attributes())
        .start(&tracer);
    span.end();
}

/// Ends one CLIENT span for an embeddings call with [`embedding_attributes`].
pub fn emit_embedding(provider: &SdkTracerProvider) {
    let tracer = provider.tracer("genai-telemetry-bedrock");
    let mut span = tracer
        .span_builder("embeddings amazon.titan-embed-text-v2:0")
        .with_kind(SpanKind::Client)
        .with_attributes(embedding_attributes())
        .start(&tracer);
    span.end();
}

/// The attribute keys of a received span, sorted.
pub fn keys(span: &ReceivedSpan) -> Vec<&str> {
    let mut keys: Vec<&str> = span.attributes.iter().map(|kv| kv.key.as_str()).collect();
    keys.sort_unstable();
    keys
}

/// The received span with this name (panics when there is none).
pub fn span_named<'a>(spans: &'a [ReceivedSpan], name: &str) -> &'a ReceivedSpan {
    spans
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no span named {name}"))
}

/// Polls until `done` holds; the bound only guards against hanging forever.
pub fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}
