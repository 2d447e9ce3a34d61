//! Environment variables → real Langfuse and Instana destinations through the manager: both
//! receive the same trace, with the auth each checks, and an Instana outage costs Langfuse
//! nothing.

#![cfg(all(feature = "langfuse", feature = "instana"))]
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine as _;
use genai_telemetry_bridge::{BridgeConfigBuilder, TelemetryManager};
use genai_telemetry_receiver::{OtlpReceiver, ReceiverConfig};
use opentelemetry::KeyValue;
use opentelemetry::trace::{TraceContextExt, Tracer};

#[test]
fn variables_from_the_original_design_send_one_trace_to_both_back_ends() {
    let basic = base64::engine::general_purpose::STANDARD.encode("pk-lf-test:sk-lf-test");
    let langfuse = OtlpReceiver::start(
        ReceiverConfig::new()
            .traces_path("/api/public/otel/v1/traces")
            .require_header("authorization", &format!("Basic {basic}"))
            .require_header("x-langfuse-ingestion-version", "4"),
    )
    .unwrap();
    let instana = OtlpReceiver::start(
        ReceiverConfig::new()
            .metrics_path("/v1/metrics")
            .require_header("x-instana-key", "agent-key"),
    )
    .unwrap();
    let vars: HashMap<&str, String> = [
        ("OTEL_SERVICE_NAME", "my-ai-app".to_owned()),
        ("DEPLOYMENT_ENVIRONMENT", "production".to_owned()),
        ("OTEL_EXPORTER_LANGFUSE_ENABLED", "true".to_owned()),
        ("LANGFUSE_ENDPOINT", langfuse.endpoint()),
        ("LANGFUSE_PUBLIC_KEY", "pk-lf-test".to_owned()),
        ("LANGFUSE_SECRET_KEY", "sk-lf-test".to_owned()),
        ("OTEL_EXPORTER_INSTANA_ENABLED", "true".to_owned()),
        ("INSTANA_ENDPOINT", instana.endpoint()),
        ("INSTANA_API_KEY", "agent-key".to_owned()),
        ("TELEMETRY_BATCH_TIMEOUT", "20ms".to_owned()),
    ]
    .into();
    let telemetry = TelemetryManager::builder()
        .config(BridgeConfigBuilder::from_lookup(|k| vars.get(k).cloned()))
        .install_global(false)
        .build()
        .unwrap();
    assert_eq!(
        telemetry.pipeline().destination_names(),
        ["langfuse", "instana"]
    );

    instana.faults().set_outage(true);
    let tracer = telemetry.tracer("test");
    tracer.in_span("invoke_agent support", |cx| {
        cx.span()
            .set_attribute(KeyValue::new("gen_ai.operation.name", "invoke_agent"));
        tracer.in_span("chat gpt-4o", |cx| {
            cx.span()
                .set_attribute(KeyValue::new("gen_ai.operation.name", "chat"));
            cx.span()
                .set_attribute(KeyValue::new("gen_ai.request.model", "gpt-4o"));
            cx.span()
                .set_attribute(KeyValue::new("gen_ai.usage.input_tokens", 10_i64));
        });
    });
    assert!(
        langfuse.wait_for_unique_spans(2, Duration::from_secs(10)),
        "Langfuse receives the trace while Instana is down"
    );
    assert_eq!(instana.stats().spans_accepted, 0);
    instana.faults().set_outage(false);
    let report = telemetry.shutdown(Duration::from_secs(10));
    assert!(report.complete, "{report:?}");
    assert_eq!(langfuse.unique_span_ids(), instana.unique_span_ids());
    assert_eq!(
        langfuse.stats().rejected_requests,
        0,
        "auth and headers accepted"
    );

    let lf = langfuse
        .spans()
        .into_iter()
        .find(|s| s.name == "chat gpt-4o")
        .unwrap();
    assert_eq!(
        lf.string_attribute("langfuse.observation.type"),
        Some("generation")
    );
    // Langfuse reads the environment from span attributes, then from the resource.
    let environment = lf
        .resource_attribute("deployment.environment.name")
        .and_then(|v| v.value.as_ref())
        .map(|v| format!("{v:?}"));
    assert_eq!(environment.as_deref(), Some(r#"StringValue("production")"#));
    let inst = instana
        .spans()
        .into_iter()
        .find(|s| s.name == "chat gpt-4o")
        .unwrap();
    assert_eq!(inst.string_attribute("llm.request.type"), Some("chat"));
    assert!(inst.string_attribute("langfuse.observation.type").is_none());
}
