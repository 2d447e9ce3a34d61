//! Shared scaffolding: receivers that check what the Instana agent and acceptor check, the
//! destination in a pipeline, and spans carrying the attributes the instrumentation sets.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use genai_telemetry_core::config::InstanaSettings;
use genai_telemetry_core::{
    BreakerSettings, BridgeConfig, BridgeConfigBuilder, Destination, Pipeline, PipelineSettings,
    RetrySettings,
};
use genai_telemetry_instana::InstanaDestination;
use genai_telemetry_receiver::OtlpReceiver;
use opentelemetry::trace::{Span, SpanKind, TraceContextExt, Tracer, TracerProvider};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;

pub use genai_telemetry_receiver::fixtures::*;

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

pub fn start_receiver(config: genai_telemetry_receiver::ReceiverConfig) -> OtlpReceiver {
    OtlpReceiver::start(config.name("instana")).unwrap()
}
