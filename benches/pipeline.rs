//! Criterion benches of the bridge's hot path: what ending a span costs the application thread.
//!
//! - `span_end/*`: creating a GenAI-shaped span (10 attributes) and ending it, with no
//!   processor (`no_export`) and with the fan-out to two destinations (`dual_enqueue`); the
//!   difference is what the bridge adds on the application thread. Queues are drained between
//!   timed chunks so every span is really enqueued (none dropped as queue_full).
//! - `span_end/dual_enqueue_tail`: the same with tail sampling on (`TELEMETRY_TAIL_SAMPLING`,
//!   rate 1, so the export thread does all the work it can): ending a span then hands its
//!   `Arc` to the tail sampler's queue only; grouping, deciding and the fan-out happen on the
//!   export thread, whose share of the cores still competes with the timed loop.
//!
//! The export thread's per-batch encoding (view + protobuf + gzip, per destination) is in
//! `benches/encode.rs` (`encode/*`; the former `encode/batch_512` is now `encode/otlp_512`,
//! on realistic GenAI spans).

#![allow(missing_docs, clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use genai_telemetry_bridge::core::TailSamplingSettings;
use genai_telemetry_bridge::core::config::OtlpSettings;
use genai_telemetry_bridge::core::sampling::CountingSampler;
use genai_telemetry_bridge::{
    BridgeConfig, Destination, OtlpDestination, Pipeline, PipelineSettings,
};
use genai_telemetry_receiver::{OtlpReceiver, ReceiverConfig};
use opentelemetry::KeyValue;
use opentelemetry::trace::{Span as _, SpanKind, Tracer, TracerProvider as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;

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
    let tail_pipeline = Pipeline::start(
        vec![destination("a", &a), destination("b", &b2)],
        PipelineSettings {
            queue_capacity: 2 * CHUNK as usize,
            tail_sampling: Some(TailSamplingSettings::default()),
            ..PipelineSettings::default()
        },
        &resource,
    )
    .unwrap();
    let tail_provider = SdkTracerProvider::builder()
        .with_sampler(CountingSampler::for_tail_sampling(1.0))
        .with_span_processor(tail_pipeline.processor())
        .build();
    group.bench_function("dual_enqueue_tail", |b| {
        b.iter_custom(|iters| {
            time_spans(&tail_provider, iters, || {
                tail_pipeline.flush(Duration::from_secs(30));
            })
        })
    });
    group.finish();
    let stats = pipeline.shutdown(Duration::from_secs(10));
    for d in &stats.destinations {
        assert_eq!(d.dropped.queue_full, 0, "every timed span was enqueued");
    }
    let tail_stats = tail_pipeline.stats().tail_sampling.unwrap();
    assert_eq!(
        tail_stats.spans_queue_full, 0,
        "every timed span reached the sampler"
    );
    let report = tail_pipeline.shutdown(Duration::from_secs(10));
    for d in &report.destinations {
        assert_eq!(d.dropped.queue_full, 0, "every kept span was enqueued");
    }
}

criterion_group!(benches, span_end);
criterion_main!(benches);
