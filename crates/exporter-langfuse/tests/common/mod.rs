//! Shared scaffolding: a receiver that checks what Langfuse checks, the destination and a
//! pipeline around it, and spans carrying the attributes the instrumentation sets.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use genai_telemetry_core::config::LangfuseSettings;
use genai_telemetry_core::content::ContentPolicy;
use genai_telemetry_core::{
    BreakerSettings, BridgeConfig, BridgeConfigBuilder, Destination, Pipeline, PipelineSettings,
    RetrySettings,
};
use genai_telemetry_langfuse::LangfuseDestination;
use genai_telemetry_receiver::{OtlpReceiver, ReceivedSpan, ReceiverConfig};
use opentelemetry::trace::{Span, SpanKind, TraceContextExt, Tracer, TracerProvider};
use opentelemetry::{Context, KeyValue};
use opentelemetry_proto::tonic::common::v1::any_value::Value as ProtoValue;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;

pub use genai_telemetry_receiver::fixtures::*;

pub const PUBLIC_KEY: &str = "pk-lf-test";
pub const SECRET_KEY: &str = "sk-lf-test";
/// `base64("pk-lf-test:sk-lf-test")`.
pub const BASIC_AUTH: &str = "Basic cGstbGYtdGVzdDpzay1sZi10ZXN0";
pub const TRACES_PATH: &str = "/api/public/otel/v1/traces";

/// A receiver that answers like Langfuse: its path, Basic auth and the v4 header are
/// required (401 / 400 otherwise).
pub fn langfuse_receiver(config: ReceiverConfig) -> OtlpReceiver {
    OtlpReceiver::start(
        config
            .name("langfuse")
            .traces_path(TRACES_PATH)
            .require_header("authorization", BASIC_AUTH)
            .require_header("x-langfuse-ingestion-version", "4"),
    )
    .unwrap()
}

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

pub fn settings_with(
    endpoint: &str,
    change: impl FnOnce(BridgeConfigBuilder) -> BridgeConfigBuilder,
) -> LangfuseSettings {
    let builder = BridgeConfig::builder()
        .langfuse(PUBLIC_KEY, SECRET_KEY)
        .langfuse_endpoint(endpoint);
    change(builder).build().unwrap().langfuse.unwrap()
}

pub fn settings(endpoint: &str) -> LangfuseSettings {
    settings_with(endpoint, |b| b)
}

pub fn settings_with_policy(endpoint: &str, policy: ContentPolicy) -> LangfuseSettings {
    settings_with(endpoint, |b| b.langfuse_content_policy(policy))
}

pub struct Harness {
    pub pipeline: Pipeline,
    pub provider: SdkTracerProvider,
}

impl Harness {
    pub fn langfuse(settings: &LangfuseSettings, pipeline: PipelineSettings) -> Self {
        let destination: Arc<dyn Destination> =
            Arc::new(LangfuseDestination::new(settings, &pipeline).unwrap());
        Self::start(vec![destination], pipeline)
    }

    pub fn start(destinations: Vec<Arc<dyn Destination>>, pipeline: PipelineSettings) -> Self {
        let resource = Resource::builder()
            .with_service_name("checkout-assistant")
            .with_attributes([
                KeyValue::new("service.version", "1.4.2"),
                KeyValue::new("deployment.environment.name", "staging"),
            ])
            .build();
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

/// An agent invocation that runs a tool, then calls the model: `invoke_agent` →
/// (`execute_tool`, `chat`). The agent span carries the trace-level keys the
/// application set (user, session, trace name, tags, metadata) and a usage roll-up.
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
            KeyValue::new("gen_ai.usage.input_tokens", 52_i64),
            KeyValue::new("gen_ai.usage.output_tokens", 47_i64),
            KeyValue::new("user.id", "user-42"),
            KeyValue::new("session.id", "session-7"),
            KeyValue::new("langfuse.trace.name", "plan-advice"),
            KeyValue::new("langfuse.trace.tags", strings(&["sales", "beta"])),
            KeyValue::new("langfuse.trace.metadata.tenant", "acme"),
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
            ])
            .start_with_context(&tracer, &cx);
        tool.end();
        let mut llm = tracer
            .span_builder("chat gpt-4o")
            .with_kind(SpanKind::Client)
            .with_attributes(chat_attributes())
            .start_with_context(&tracer, &cx);
        llm.end();
    }
    cx.span().end();
}

pub fn string_array(span: &ReceivedSpan, key: &str) -> Vec<String> {
    match span.attribute(key).and_then(|v| v.value.as_ref()) {
        Some(ProtoValue::ArrayValue(a)) => a
            .values
            .iter()
            .filter_map(|v| match &v.value {
                Some(ProtoValue::StringValue(s)) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        other => panic!("{key} is not an array: {other:?}"),
    }
}

pub fn json(span: &ReceivedSpan, key: &str) -> serde_json::Value {
    serde_json::from_str(
        span.string_attribute(key)
            .unwrap_or_else(|| panic!("{key} missing")),
    )
    .unwrap()
}
