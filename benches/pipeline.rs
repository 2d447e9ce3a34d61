//! Criterion benches of the bridge's hot path and export path.
//!
//! - `span_end/*`: creating a GenAI-shaped span (10 attributes) and ending it, with no
//!   processor (`no_export`) and with the fan-out to two destinations (`dual_enqueue`); the
//!   difference is what the bridge adds on the application thread. Queues are drained between
//!   timed chunks so every span is really enqueued (none dropped as queue_full).
//! - `encode/batch_512`: view + OTLP protobuf encoding + gzip of a 512-span batch for one
//!   destination, as done on the export thread.

#![allow(missing_docs, clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use genai_telemetry_bridge::core::config::OtlpSettings;
use genai_telemetry_bridge::core::destination::BatchEncoder;
use genai_telemetry_bridge::{
    BridgeConfig, Destination, OtlpDestination, Pipeline, PipelineSettings,
};
use genai_telemetry_receiver::{OtlpReceiver, ReceiverConfig};
use opentelemetry::trace::{
    Span as _, SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState, Tracer,
    TracerProvider as _,
};
use opentelemetry::{InstrumentationScope, KeyValue};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanEvents, SpanLinks};

const CHUNK: u64 = 1_000;

fn destination(name: &str, r: &OtlpReceiver) -> Arc<dyn Destination> {
    let config = BridgeConfig::builder()
        .otlp_traces_endpoint(r.traces_url())
        .build()
        .unwrap();
    let mut otlp: OtlpSettings = config.otlp.unwrap();
    otlp.name = name.to_owned();
    Arc::new(OtlpDestination::new(&otlp, Duration::from_secs(5)).unwrap())
}

fn genai_attributes(i: u64) -> Vec<KeyValue> {
    vec![
        KeyValue::new("gen_ai.operation.name", "chat"),
        KeyValue::new("gen_ai.provider.name", "openai"),
        KeyValue::new("gen_ai.request.model", "gpt-4o-mini"),
        KeyValue::new("gen_ai.response.model", "gpt-4o-mini-2024-07-18"),
        KeyValue::new("gen_ai.response.id", format!("chatcmpl-{i}")),
        KeyValue::new("gen_ai.usage.input_tokens", 120_i64),
        KeyValue::new("gen_ai.usage.output_tokens", 42_i64),
        KeyValue::new("gen_ai.request.temperature", 0.2),
        KeyValue::new("server.address", "api.openai.com"),
        KeyValue::new("server.port", 443_i64),
    ]
}

fn time_spans(provider: &SdkTracerProvider, iters: u64, drain: impl Fn()) -> Duration {
    let tracer = provider.tracer("bench");
    let mut total = Duration::ZERO;
    let mut done = 0;
    while done < iters {
        let n = CHUNK.min(iters - done);
        let start = Instant::now();
        for i in 0..n {
            let mut span = tracer
                .span_builder("chat gpt-4o-mini")
                .with_kind(SpanKind::Client)
                .start(&tracer);
            span.set_attributes(genai_attributes(i));
            span.end();
        }
        total += start.elapsed();
        done += n;
        drain();
    }
    total
}

fn span_end(c: &mut Criterion) {
    let mut group = c.benchmark_group("span_end");
    let plain = SdkTracerProvider::builder().build();
    group.bench_function("no_export", |b| {
        b.iter_custom(|iters| time_spans(&plain, iters, || {}))
    });

    let (a, b2) = (
        OtlpReceiver::start(ReceiverConfig::new().name("a")).unwrap(),
        OtlpReceiver::start(ReceiverConfig::new().name("b")).unwrap(),
    );
    let settings = PipelineSettings {
        queue_capacity: 2 * CHUNK as usize,
        ..PipelineSettings::default()
    };
    let resource = Resource::builder().with_service_name("bench").build();
    let pipeline = Pipeline::start(
        vec![destination("a", &a), destination("b", &b2)],
        settings,
        &resource,
    )
    .unwrap();
    let provider = SdkTracerProvider::builder()
        .with_span_processor(pipeline.processor())
        .build();
    group.bench_function("dual_enqueue", |b| {
        b.iter_custom(|iters| {
            time_spans(&provider, iters, || {
                pipeline.flush(Duration::from_secs(30));
            })
        })
    });
    group.finish();
    let stats = pipeline.shutdown(Duration::from_secs(10));
    for d in &stats.destinations {
        assert_eq!(d.dropped.queue_full, 0, "every timed span was enqueued");
    }
}

fn span_data(i: u64) -> Arc<SpanData> {
    let now = SystemTime::now();
    Arc::new(SpanData {
        span_context: SpanContext::new(
            TraceId::from(u128::from(i) + 1),
            SpanId::from(i + 1),
            TraceFlags::SAMPLED,
            false,
            TraceState::default(),
        ),
        parent_span_id: SpanId::INVALID,
        parent_span_is_remote: false,
        span_kind: SpanKind::Client,
        name: "chat gpt-4o-mini".into(),
        start_time: now,
        end_time: now,
        attributes: genai_attributes(i),
        dropped_attributes_count: 0,
        events: SpanEvents::default(),
        links: SpanLinks::default(),
        status: Status::Unset,
        instrumentation_scope: InstrumentationScope::builder("bench").build(),
    })
}

fn encode(c: &mut Criterion) {
    let r = OtlpReceiver::start(ReceiverConfig::new()).unwrap();
    let dest = destination("otlp", &r);
    let encoder = BatchEncoder::for_destination(dest.as_ref());
    let resource = opentelemetry_proto::tonic::resource::v1::Resource::default();
    let spans: Vec<Arc<SpanData>> = (0..512).map(span_data).collect();
    c.bench_function("encode/batch_512", |b| {
        b.iter_batched(
            || spans.clone(),
            |spans| encoder.encode(&spans, &resource, dest.as_ref()),
            BatchSize::SmallInput,
        )
    });
}

criterion_group!(benches, span_end, encode);
criterion_main!(benches);
