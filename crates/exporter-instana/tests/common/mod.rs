//! Shared scaffolding: receivers that check what the Instana agent and acceptor check, the
//! destination in a pipeline, and spans carrying the attributes the instrumentation sets.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use genai_telemetry_core::config::InstanaSettings;
use genai_telemetry_core::{
    BreakerSettings, BridgeConfig, BridgeConfigBuilder, Destination, Pipeline, PipelineSettings,
    RetrySettings,
};
use genai_telemetry_instana::InstanaDestination;
use genai_telemetry_receiver::{OtlpReceiver, ReceivedSpan};
use opentelemetry::trace::{Span, SpanKind, TraceContextExt, Tracer, TracerProvider};
use opentelemetry::{Context, KeyValue, Value};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;

pub const AGENT_KEY: &str = "instana-agent-key";

pub fn fast_pipeline() -> PipelineSettings {
    PipelineSettings {
        batch_timeout: Duration::from_millis(20),
        export_timeout: Duration::from_secs(5),
        breaker: BreakerSettings {
            failure_threshold: 3,
            recovery_window: Duration::from_millis(50),
            max_recovery_window: Duration::from_millis(200),
        },
        retry: RetrySettings {
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(40),
            max_retry_after: Duration::from_secs(2),
        },
        ..PipelineSettings::default()
    }
}

/// Instana settings pointing at `endpoint` (agent mode for `http://127.0.0.1`).
pub fn settings_with(
    endpoint: &str,
    change: impl FnOnce(BridgeConfigBuilder) -> BridgeConfigBuilder,
) -> InstanaSettings {
    change(BridgeConfig::builder().instana(endpoint))
        .build()
        .unwrap()
        .instana
        .unwrap()
}

pub fn settings(endpoint: &str) -> InstanaSettings {
    settings_with(endpoint, |b| b)
}

pub fn resource(extra: &[(&'static str, &'static str)]) -> Resource {
    Resource::builder()
        .with_service_name("checkout-assistant")
        .with_attributes(
            [
                KeyValue::new("service.version", "1.4.2"),
                KeyValue::new("deployment.environment.name", "staging"),
            ]
            .into_iter()
            .chain(extra.iter().map(|(k, v)| KeyValue::new(*k, *v))),
        )
        .build()
}

pub struct Harness {
    pub pipeline: Pipeline,
    pub provider: SdkTracerProvider,
}

impl Harness {
    pub fn instana(settings: &InstanaSettings, pipeline: PipelineSettings) -> Self {
        Self::instana_with_resource(settings, pipeline, resource(&[]))
    }

    pub fn instana_with_resource(
        settings: &InstanaSettings,
        pipeline: PipelineSettings,
        resource: Resource,
    ) -> Self {
        let destination: Arc<dyn Destination> =
            Arc::new(InstanaDestination::new(settings, &pipeline).unwrap());
        Self::start(vec![destination], pipeline, resource)
    }

    pub fn start(
        destinations: Vec<Arc<dyn Destination>>,
        pipeline: PipelineSettings,
        resource: Resource,
    ) -> Self {
        let pipeline = Pipeline::start(destinations, pipeline, &resource).unwrap();
        let provider = SdkTracerProvider::builder()
            .with_resource(resource)
            .with_span_processor(pipeline.processor())
            .build();
        Self { pipeline, provider }
    }

    pub fn finish(&self) -> genai_telemetry_core::ShutdownReport {
        self.pipeline.shutdown(Duration::from_secs(10))
    }
}

pub fn strings(items: &[&'static str]) -> Value {
    Value::Array(opentelemetry::Array::String(
        items
            .iter()
            .map(|s| opentelemetry::StringValue::from(*s))
            .collect(),
    ))
}

pub const INPUT_MESSAGES: &str =
    r#"[{"role":"user","parts":[{"type":"text","content":"Which plan suits a team of five?"}]}]"#;
pub const OUTPUT_MESSAGES: &str = r#"[{"role":"assistant","parts":[{"type":"text","content":"The Team plan."}],"finish_reason":"stop"}]"#;
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

pub fn emit_generation(provider: &SdkTracerProvider) {
    let tracer = provider.tracer("genai-telemetry-openai");
    let mut span = tracer
        .span_builder("chat gpt-4o")
        .with_kind(SpanKind::Client)
        .with_attributes(chat_attributes())
        .start(&tracer);
    span.end();
}

pub fn emit_embedding(provider: &SdkTracerProvider) {
    let tracer = provider.tracer("genai-telemetry-bedrock");
    let mut span = tracer
        .span_builder("embeddings amazon.titan-embed-text-v2:0")
        .with_kind(SpanKind::Client)
        .with_attributes(embedding_attributes())
        .start(&tracer);
    span.end();
}

/// `invoke_agent` → (`execute_tool`, `chat`), inside a workflow named `plan-advice`
/// (the instrumentation puts the workflow name on every span in it).
pub fn emit_agent_tree(provider: &SdkTracerProvider) {
    let tracer = provider.tracer("genai-telemetry-agents");
    let agent = tracer
        .span_builder("invoke_agent sales-assistant")
        .with_kind(SpanKind::Internal)
        .with_attributes(vec![
            KeyValue::new("gen_ai.operation.name", "invoke_agent"),
            KeyValue::new("gen_ai.provider.name", "openai"),
            KeyValue::new("gen_ai.agent.name", "sales-assistant"),
            KeyValue::new("gen_ai.request.model", "gpt-4o"),
            KeyValue::new("genai_telemetry.workflow.name", "plan-advice"),
            KeyValue::new("user.id", "user-42"),
            KeyValue::new("session.id", "session-7"),
        ])
        .start(&tracer);
    let cx = Context::current_with_span(agent);
    {
        let mut tool = tracer
            .span_builder("execute_tool lookup_plans")
            .with_kind(SpanKind::Internal)
            .with_attributes(vec![
                KeyValue::new("gen_ai.operation.name", "execute_tool"),
                KeyValue::new("gen_ai.tool.name", "lookup_plans"),
                KeyValue::new("gen_ai.tool.call.id", "call_1"),
                KeyValue::new("gen_ai.tool.type", "function"),
                KeyValue::new("gen_ai.tool.call.arguments", r#"{"seats":5}"#),
                KeyValue::new("gen_ai.tool.call.result", r#"{"plan":"Team"}"#),
                KeyValue::new("genai_telemetry.workflow.name", "plan-advice"),
            ])
            .start_with_context(&tracer, &cx);
        tool.end();
        let mut attributes = chat_attributes();
        attributes.push(KeyValue::new(
            "genai_telemetry.workflow.name",
            "plan-advice",
        ));
        let mut llm = tracer
            .span_builder("chat gpt-4o")
            .with_kind(SpanKind::Client)
            .with_attributes(attributes)
            .start_with_context(&tracer, &cx);
        llm.end();
    }
    cx.span().end();
}

pub fn keys(span: &ReceivedSpan) -> Vec<&str> {
    let mut keys: Vec<&str> = span.attributes.iter().map(|kv| kv.key.as_str()).collect();
    keys.sort_unstable();
    keys
}

pub fn span_named<'a>(spans: &'a [ReceivedSpan], name: &str) -> &'a ReceivedSpan {
    spans
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no span named {name}"))
}

pub fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

pub fn start_receiver(config: genai_telemetry_receiver::ReceiverConfig) -> OtlpReceiver {
    OtlpReceiver::start(config.name("instana")).unwrap()
}
