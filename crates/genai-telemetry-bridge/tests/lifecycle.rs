//! The manager's lifecycle promises: it starts without reaching any back end, works from
//! every kind of `main`, flushes on shutdown and on drop, and samples whole traces.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use genai_telemetry_bridge::{BridgeError, TelemetryManager};
use genai_telemetry_receiver::{OtlpReceiver, ReceiverConfig};
use opentelemetry::trace::{
    SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState, Tracer,
};
use opentelemetry::{Context, KeyValue};

fn receiver() -> OtlpReceiver {
    OtlpReceiver::start(ReceiverConfig::new()).unwrap()
}

fn manager_for(r: &OtlpReceiver) -> TelemetryManager {
    TelemetryManager::builder()
        .configure(|b| {
            b.service_name("lifecycle-test")
                .otlp_endpoint(r.endpoint())
                .tune(|p| p.batch_timeout = Duration::from_millis(20))
        })
        .install_global(false)
        .build()
        .unwrap()
}

fn emit(telemetry: &TelemetryManager, n: usize) {
    let tracer = telemetry.tracer("lifecycle-test");
    for i in 0..n {
        tracer.in_span(format!("chat model-{i}"), |cx| {
            cx.span()
                .set_attribute(KeyValue::new("gen_ai.operation.name", "chat"));
        });
    }
}

#[test]
fn works_from_a_plain_synchronous_main() {
    let r = receiver();
    let telemetry = manager_for(&r);
    emit(&telemetry, 100);
    let report = telemetry.shutdown(Duration::from_secs(5));
    assert!(report.complete, "{report:?}");
    assert_eq!(report.delivered("otlp"), Some(100));
    assert_eq!(r.stats().unique_spans, 100);
    let span = &r.spans()[0];
    let service = span.resource_attribute("service.name").unwrap();
    assert_eq!(
        format!("{service:?}"),
        format!("{:?}", opentelemetry_proto_string("lifecycle-test"))
    );
}

fn opentelemetry_proto_string(s: &str) -> opentelemetry_proto::tonic::common::v1::AnyValue {
    opentelemetry_proto::tonic::common::v1::AnyValue {
        value: Some(
            opentelemetry_proto::tonic::common::v1::any_value::Value::StringValue(s.to_owned()),
        ),
    }
}

#[tokio::test(flavor = "current_thread")]
async fn works_inside_a_current_thread_tokio_runtime_including_shutdown() {
    let r = receiver();
    let telemetry = manager_for(&r);
    emit(&telemetry, 50);
    tokio::task::yield_now().await;
    // Shutdown blocks this (only) runtime thread; exports run on the bridge's own thread,
    // so it cannot deadlock the way a block_on inside the runtime would.
    let report = telemetry.shutdown(Duration::from_secs(5));
    assert_eq!(report.delivered("otlp"), Some(50));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn works_inside_a_multi_thread_tokio_runtime_with_spans_from_tasks() {
    let r = receiver();
    let telemetry = std::sync::Arc::new(manager_for(&r));
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let t = std::sync::Arc::clone(&telemetry);
        tasks.push(tokio::spawn(async move { emit(&t, 25) }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let report = telemetry.shutdown(Duration::from_secs(5));
    assert_eq!(report.delivered("otlp"), Some(100));
}

#[test]
fn dropping_the_manager_flushes_what_it_holds() {
    let r = receiver();
    {
        let telemetry = TelemetryManager::builder()
            .configure(|b| {
                b.otlp_endpoint(r.endpoint())
                    .tune(|p| p.batch_timeout = Duration::from_secs(3_600))
            })
            .install_global(false)
            .build()
            .unwrap();
        emit(&telemetry, 30);
        assert_eq!(r.stats().spans_accepted, 0);
    }
    assert_eq!(r.stats().unique_spans, 30);
}

#[test]
fn an_unreachable_back_end_neither_fails_nor_delays_startup() {
    // A port with nothing listening: bind, read the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let telemetry = TelemetryManager::builder()
        .configure(|b| {
            b.otlp_endpoint(format!("http://127.0.0.1:{port}"))
                .tune(|p| p.batch_timeout = Duration::from_millis(10))
        })
        .install_global(false)
        .build()
        .expect("startup does not contact the back end");
    emit(&telemetry, 10);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while telemetry
        .stats()
        .destination("otlp")
        .unwrap()
        .last_error
        .is_none()
    {
        assert!(std::time::Instant::now() < deadline, "no failure recorded");
        std::thread::sleep(Duration::from_millis(10));
    }
    let error = telemetry
        .stats()
        .destination("otlp")
        .unwrap()
        .last_error
        .clone()
        .unwrap();
    assert_eq!(error.kind, "transient");
    assert!(
        error.message.contains("cannot connect"),
        "{}",
        error.message
    );
    let report = telemetry.shutdown(Duration::from_millis(200));
    assert_eq!(report.destination("otlp").unwrap().dropped.shutdown, 10);
}

#[test]
fn invalid_configuration_fails_at_startup_naming_the_variable() {
    let err = TelemetryManager::builder()
        .configure(|b| b.sample_rate(1.5).otlp_endpoint("collector:4318"))
        .install_global(false)
        .build()
        .unwrap_err();
    let BridgeError::Config(config) = err else {
        panic!("expected a configuration error, got {err:?}");
    };
    assert!(config.names("TELEMETRY_SAMPLE_RATE"), "{config}");
    assert!(config.names("OTEL_EXPORTER_OTLP_ENDPOINT"), "{config}");
}

#[test]
fn sample_rate_zero_exports_nothing_but_honours_a_sampled_remote_parent() {
    let r = receiver();
    let telemetry = TelemetryManager::builder()
        .configure(|b| b.otlp_endpoint(r.endpoint()).sample_rate(0.0))
        .install_global(false)
        .build()
        .unwrap();
    emit(&telemetry, 20);
    let remote = SpanContext::new(
        TraceId::from(0x0af7651916cd43dd8448eb211c80319c_u128),
        SpanId::from(0xb7ad6b7169203331_u64),
        TraceFlags::SAMPLED,
        true,
        TraceState::default(),
    );
    let parent = Context::new().with_remote_span_context(remote);
    let tracer = telemetry.tracer("lifecycle-test");
    let _ = tracer.start_with_context("child of a sampled caller", &parent);
    drop(tracer);
    telemetry.shutdown(Duration::from_secs(5));
    let spans = r.spans();
    assert_eq!(spans.len(), 1, "only the remotely sampled span is exported");
    assert_eq!(spans[0].name, "child of a sampled caller");
    assert_eq!(
        spans[0].parent_span_id,
        Some(0xb7ad6b7169203331_u64.to_be_bytes())
    );
}

#[test]
fn a_partial_sample_rate_keeps_or_drops_whole_traces() {
    let r = receiver();
    let telemetry = TelemetryManager::builder()
        .configure(|b| b.otlp_endpoint(r.endpoint()).sample_rate(0.5))
        .install_global(false)
        .build()
        .unwrap();
    let tracer = telemetry.tracer("lifecycle-test");
    for _ in 0..400 {
        tracer.in_span("workflow", |_| {
            tracer.in_span("chat gpt-4o", |_| {});
        });
    }
    let sampling = telemetry.sampling();
    assert_eq!(sampling.kept + sampling.dropped, 800);
    telemetry.shutdown(Duration::from_secs(5));
    let spans = r.spans();
    let mut per_trace = std::collections::HashMap::<[u8; 16], usize>::new();
    for s in &spans {
        *per_trace.entry(s.trace_id).or_default() += 1;
    }
    assert!(per_trace.values().all(|n| *n == 2), "traces are kept whole");
    // 400 traces at p = 0.5: outside [100, 300] has probability far below 1e-20.
    assert!(
        (100..=300).contains(&per_trace.len()),
        "{}",
        per_trace.len()
    );
}

#[test]
fn tail_sampling_at_rate_zero_keeps_the_failed_trace_whole_and_drops_the_rest() {
    let r = receiver();
    let telemetry = TelemetryManager::builder()
        .configure(|b| {
            b.otlp_endpoint(r.endpoint())
                .sample_rate(0.0)
                .tail_sampling(true)
        })
        .install_global(false)
        .build()
        .unwrap();
    let tracer = telemetry.tracer("lifecycle-test");
    for _ in 0..20 {
        tracer.in_span("workflow", |_| tracer.in_span("chat gpt-4o", |_| {}));
    }
    let failed = tracer.in_span("workflow", |cx| {
        tracer.in_span("chat gpt-4o", |cx| {
            cx.span()
                .set_status(opentelemetry::trace::Status::error("HTTP 500"));
        });
        cx.span().span_context().trace_id()
    });
    let sampling = telemetry.sampling();
    assert_eq!(
        (sampling.kept, sampling.dropped),
        (42, 0),
        "the head records every span under tail sampling"
    );
    let tail = telemetry.stats().tail_sampling;
    telemetry.shutdown(Duration::from_secs(5));
    assert!(tail.is_some(), "tail sampling is on");
    let spans = r.spans();
    assert_eq!(spans.len(), 2, "only the failed trace, whole");
    assert!(spans.iter().all(|s| s.trace_id == failed.to_bytes()));
    let tail = telemetry.stats().tail_sampling.unwrap();
    assert_eq!((tail.kept.error, tail.dropped), (1, 20));
}
