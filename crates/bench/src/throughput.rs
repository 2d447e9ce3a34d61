//! Phase 4: sustained delivery to both destinations. The application thread ends
//! GenAI-shaped spans as fast as the export side keeps up (it pauses while more than
//! half a queue is pending, so no span is dropped as `queue_full`), for a fixed time; the
//! figure is spans decoded by *both* receivers per second, from the first span to the
//! last delivery.

use std::time::{Duration, Instant};

use anyhow::{Result, ensure};
use genai_telemetry_bridge::TelemetryManager;
use opentelemetry::KeyValue;
use opentelemetry::trace::{Span as _, SpanKind, Tracer as _};
use opentelemetry_sdk::trace::SdkTracer;
use serde::Serialize;

use crate::progress::Progress;
use crate::setup::{MODEL, Receivers, manager};

/// What the throughput phase measured.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ThroughputResult {
    pub(crate) spans: u64,
    pub(crate) seconds: f64,
    pub(crate) dual_spans_per_sec: f64,
    /// Spans the application ended per second while generating.
    pub(crate) generation_spans_per_sec: f64,
    pub(crate) dropped: u64,
}

const CHUNK: u64 = 1_000;

fn end_llm_span(tracer: &SdkTracer, i: u64) {
    let mut span = tracer
        .span_builder(format!("chat {MODEL}"))
        .with_kind(SpanKind::Client)
        .start(tracer);
    #[allow(clippy::cast_possible_wrap)]
    let n = (i % 97) as i64;
    span.set_attributes([
        KeyValue::new("gen_ai.operation.name", "chat"),
        KeyValue::new("gen_ai.provider.name", "openai"),
        KeyValue::new("gen_ai.request.model", MODEL),
        KeyValue::new("gen_ai.response.model", "gpt-4o-mini-2024-07-18"),
        KeyValue::new("gen_ai.response.id", format!("chatcmpl-{i:012}")),
        KeyValue::new("gen_ai.request.temperature", 0.2),
        KeyValue::new("gen_ai.request.max_tokens", 64_i64),
        KeyValue::new("gen_ai.usage.input_tokens", 20 + n),
        KeyValue::new("gen_ai.usage.output_tokens", 8_i64),
        KeyValue::new("gen_ai.usage.cost", 0.000_007_8),
        KeyValue::new("server.address", "api.openai.com"),
        KeyValue::new("server.port", 443_i64),
    ]);
    span.end();
}

fn generate(telemetry: &TelemetryManager, duration: Duration) -> (u64, Duration) {
    let tracer = telemetry.tracer("bench-throughput");
    let half_queue = telemetry.pipeline().settings().queue_capacity as u64 / 2;
    let start = Instant::now();
    let mut spans = 0;
    while start.elapsed() < duration {
        for _ in 0..CHUNK {
            end_llm_span(&tracer, spans);
            spans += 1;
        }
        // Closed loop: wait while the export side is more than half a queue behind.
        while telemetry
            .stats()
            .destinations
            .iter()
            .any(|d| d.spans_pending() > half_queue)
        {
            std::thread::sleep(Duration::from_micros(200));
        }
    }
    (spans, start.elapsed())
}

pub(crate) async fn measure(
    receivers: &Receivers,
    duration: Duration,
    progress: &Progress,
) -> Result<ThroughputResult> {
    receivers.reset();
    let telemetry = manager(
        "bench-throughput",
        Some(&receivers.langfuse_target()),
        Some(&receivers.instana_target()),
        |_| {},
    )?;
    progress.note(&format!("generating spans for {duration:?}"));
    let start = Instant::now();
    let (telemetry, (spans, generating)) = tokio::task::spawn_blocking(move || {
        let generated = generate(&telemetry, duration);
        (telemetry, generated)
    })
    .await?;
    let all = crate::setup::wait_until(Duration::from_secs(120), || {
        receivers
            .both()
            .iter()
            .all(|r| r.stats().unique_spans >= spans)
    })
    .await;
    let seconds = start.elapsed().as_secs_f64();
    ensure!(
        all,
        "not every span was delivered to both receivers: {:?}",
        telemetry.stats()
    );
    let report = telemetry.shutdown(Duration::from_secs(10));
    #[allow(clippy::cast_precision_loss)]
    Ok(ThroughputResult {
        spans,
        seconds,
        dual_spans_per_sec: spans as f64 / seconds,
        generation_spans_per_sec: spans as f64 / generating.as_secs_f64(),
        dropped: report.destinations.iter().map(|d| d.dropped.total()).sum(),
    })
}
