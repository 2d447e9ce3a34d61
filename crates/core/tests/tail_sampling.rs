//! Tail sampling through the real pipeline: spans from the SDK, the sampler task on the
//! export runtime, real OTLP/HTTP to a loopback receiver that decodes every request.

#![allow(clippy::unwrap_used)]

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use genai_telemetry_core::config::OtlpSettings;
use genai_telemetry_core::sampling::CountingSampler;
use genai_telemetry_core::{
    BridgeConfig, Destination, OtlpDestination, Pipeline, PipelineSettings, TailSamplingSettings,
    TailSamplingSnapshot,
};
use genai_telemetry_receiver::{OtlpReceiver, ReceiverConfig};
use opentelemetry::trace::{
    Span, SpanKind, Status, TraceContextExt, TraceId, Tracer, TracerProvider,
};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{
    Sampler, SamplingDecision, SdkTracer, SdkTracerProvider, ShouldSample,
};

const FLUSH: Duration = Duration::from_secs(10);

fn tail(rate: f64) -> TailSamplingSettings {
    TailSamplingSettings {
        sample_rate: rate,
        keep_slower_than: Some(Duration::from_secs(5)),
        keep_cost_above: Some(0.10),
        ..TailSamplingSettings::default()
    }
}

struct Harness {
    receiver: OtlpReceiver,
    pipeline: Pipeline,
    provider: SdkTracerProvider,
}

impl Harness {
    fn new(tail: TailSamplingSettings) -> Self {
        Self::with_settings(
            tail,
            PipelineSettings {
                batch_timeout: Duration::from_millis(20),
                export_timeout: Duration::from_secs(2),
                ..PipelineSettings::default()
            },
        )
    }

    fn with_settings(tail: TailSamplingSettings, settings: PipelineSettings) -> Self {
        let receiver = OtlpReceiver::start(ReceiverConfig::new().name("r")).unwrap();
        let config = BridgeConfig::builder()
            .otlp_traces_endpoint(receiver.traces_url())
            .sample_rate(tail.sample_rate)
            .tail_sampling(true)
            .tail_keep_slower_than(tail.keep_slower_than)
            .tail_keep_cost_above(tail.keep_cost_above)
            .tail_max_traces(tail.max_traces)
            .tail_max_spans(tail.max_spans)
            .tail_decision_wait(tail.decision_wait)
            .pipeline(settings)
            .build()
            .unwrap();
        assert_eq!(config.pipeline.tail_sampling.as_ref(), Some(&tail));
        let otlp: OtlpSettings = config.otlp.clone().unwrap();
        let destination: Arc<dyn Destination> =
            Arc::new(OtlpDestination::new(&otlp, Duration::from_secs(2)).unwrap());
        let resource = Resource::builder().with_service_name("tail-test").build();
        let pipeline =
            Pipeline::start(vec![destination], config.pipeline.clone(), &resource).unwrap();
        let provider = SdkTracerProvider::builder()
            .with_sampler(CountingSampler::for_config(&config))
            .with_span_processor(pipeline.processor())
            .build();
        Self {
            receiver,
            pipeline,
            provider,
        }
    }

    fn tracer(&self) -> SdkTracer {
        self.provider.tracer("tail-test")
    }

    fn tail(&self) -> TailSamplingSnapshot {
        self.pipeline.stats().tail_sampling.unwrap()
    }

    fn flush(&self) {
        let report = self.pipeline.flush(FLUSH);
        assert!(report.complete, "{report:?}");
    }

    /// Spans received, per trace id.
    fn received(&self) -> HashMap<TraceId, usize> {
        let mut traces = HashMap::new();
        for span in self.receiver.spans() {
            *traces
                .entry(TraceId::from_bytes(span.trace_id))
                .or_default() += 1;
        }
        traces
    }
}

/// What a child span carries.
#[derive(Clone, Copy)]
enum Child {
    Plain,
    StatusError,
    ErrorType,
    Cost(f64),
}

/// A local trace: a root, with `children` ended inside it; the root lasted `root_ms`.
fn trace(tracer: &SdkTracer, children: &[Child], root_ms: u64) -> TraceId {
    let start = SystemTime::now() - Duration::from_millis(root_ms);
    let root = tracer
        .span_builder("invoke_agent")
        .with_start_time(start)
        .start(tracer);
    let id = root.span_context().trace_id();
    let cx = Context::current_with_span(root);
    for child in children {
        let mut span = tracer
            .span_builder("chat gpt-4o")
            .with_kind(SpanKind::Client)
            .start_with_context(tracer, &cx);
        match child {
            Child::Plain => {}
            Child::StatusError => span.set_status(Status::error("upstream 500")),
            Child::ErrorType => span.set_attribute(KeyValue::new("error.type", "timeout")),
            Child::Cost(usd) => span.set_attribute(KeyValue::new("gen_ai.usage.cost", *usd)),
        }
        span.end();
    }
    cx.span().end();
    id
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn at_rate_zero_error_slow_and_costly_traces_arrive_whole_and_plain_ones_are_dropped() {
    let h = Harness::new(tail(0.0));
    let t = h.tracer();
    let plain: Vec<TraceId> = (0..10)
        .map(|_| trace(&t, &[Child::Plain, Child::Plain], 5))
        .collect();
    let error = trace(&t, &[Child::Plain, Child::StatusError], 5);
    let error_type = trace(&t, &[Child::ErrorType, Child::Plain], 5);
    let slow = trace(&t, &[Child::Plain, Child::Plain], 6_000);
    let costly = trace(&t, &[Child::Cost(0.06), Child::Cost(0.06)], 5);
    let cheap = trace(&t, &[Child::Cost(0.04), Child::Cost(0.04)], 5);
    // Flush is exact for finished traces: no waiting needed.
    h.flush();
    let received = h.received();
    for id in [error, error_type, slow, costly] {
        assert_eq!(received.get(&id), Some(&3), "kept trace {id} arrives whole");
    }
    for id in plain.iter().chain([&cheap]) {
        assert!(
            !received.contains_key(id),
            "fast cheap trace {id} is dropped"
        );
    }
    let stats = h.tail();
    assert_eq!(
        (stats.kept.error, stats.kept.slow, stats.kept.costly),
        (2, 1, 1)
    );
    assert_eq!((stats.kept.sampled, stats.dropped), (0, 11));
    assert_eq!((stats.spans_kept, stats.spans_dropped), (12, 33));
    assert_eq!((stats.traces_in_progress, stats.spans_buffered), (0, 0));
    let destination = h.pipeline.stats().destinations[0].clone();
    assert_eq!(destination.spans_enqueued, 12);
    assert_eq!(destination.spans_delivered, 12);
    assert_eq!(h.receiver.stats().duplicate_spans, 0);
}

#[test]
fn at_rate_one_every_trace_arrives() {
    let h = Harness::new(tail(1.0));
    let t = h.tracer();
    let ids: Vec<TraceId> = (0..50)
        .map(|_| trace(&t, &[Child::Plain, Child::Plain], 5))
        .collect();
    h.flush();
    let received = h.received();
    assert!(ids.iter().all(|id| received.get(id) == Some(&3)));
    let stats = h.tail();
    assert_eq!((stats.kept.sampled, stats.dropped), (50, 0));
    assert_eq!(stats.spans_kept, 150);
}

#[test]
fn a_partial_rate_keeps_whole_traces_as_the_sdk_ratio_sampler_would() {
    let rate = 0.3;
    let h = Harness::new(tail(rate));
    let t = h.tracer();
    let ids: Vec<TraceId> = (0..400).map(|_| trace(&t, &[Child::Plain], 5)).collect();
    h.flush();
    let received = h.received();
    assert!(received.values().all(|n| *n == 2), "kept traces are whole");
    let kept: HashSet<TraceId> = received.keys().copied().collect();
    assert!(
        (80..=160).contains(&kept.len()),
        "{} of 400 kept at {rate}",
        kept.len()
    );
    // Deterministic by trace id: exactly the traces the SDK's ratio sampler keeps, so other
    // services sampling at the same rate agree.
    let sdk = Sampler::TraceIdRatioBased(rate);
    let expected: HashSet<TraceId> = ids
        .into_iter()
        .filter(|id| {
            sdk.should_sample(None, *id, "x", &SpanKind::Internal, &[], &[])
                .decision
                == SamplingDecision::RecordAndSample
        })
        .collect();
    assert_eq!(kept, expected);
    let stats = h.tail();
    assert_eq!(stats.kept.sampled + stats.dropped, 400);
}

#[test]
fn a_trace_whose_root_never_ends_is_decided_by_age_and_its_late_root_follows() {
    let h = Harness::new(TailSamplingSettings {
        decision_wait: Duration::from_millis(100),
        ..tail(0.0)
    });
    let t = h.tracer();
    let root = t.start("never ends in time");
    let id = root.span_context().trace_id();
    let cx = Context::current_with_span(root);
    let mut child = t.start_with_context("chat", &cx);
    child.set_attribute(KeyValue::new("error.type", "timeout"));
    child.end();
    let plain_root = t.start("plain, never ends in time");
    let plain_id = plain_root.span_context().trace_id();
    let plain_cx = Context::current_with_span(plain_root);
    t.start_with_context("chat", &plain_cx).end();

    wait_until("both traces decided by age", || {
        h.tail().decided_early.age == 2
    });
    h.flush();
    assert_eq!(h.received().get(&id), Some(&1), "the error child arrived");
    let stats = h.tail();
    assert_eq!((stats.kept.error, stats.dropped), (1, 1));
    assert_eq!(stats.traces_in_progress, 0);

    cx.span().end();
    plain_cx.span().end();
    h.flush();
    let received = h.received();
    assert_eq!(received.get(&id), Some(&2), "the late root follows: kept");
    assert!(
        !received.contains_key(&plain_id),
        "the late root follows: dropped"
    );
    let stats = h.tail();
    assert_eq!((stats.late_spans_kept, stats.late_spans_dropped), (1, 1));
}

#[test]
fn overflow_decides_the_oldest_trace_early_and_counts_it() {
    let h = Harness::new(TailSamplingSettings {
        max_traces: 3,
        ..tail(1.0)
    });
    let t = h.tracer();
    let mut open = Vec::new();
    let mut ids = Vec::new();
    for i in 0..4 {
        let root = t.start(format!("root {i}"));
        ids.push(root.span_context().trace_id());
        let cx = Context::current_with_span(root);
        t.start_with_context("chat", &cx).end();
        open.push(cx);
    }
    h.flush();
    let received = h.received();
    assert_eq!(
        received.get(&ids[0]),
        Some(&1),
        "the oldest was decided early"
    );
    assert_eq!(received.len(), 1, "the three younger traces still wait");
    let stats = h.tail();
    assert_eq!(stats.decided_early.overflow, 1);
    assert_eq!((stats.traces_in_progress, stats.spans_buffered), (3, 3));

    for cx in &open {
        cx.span().end();
    }
    h.flush();
    let received = h.received();
    assert!(ids.iter().all(|id| received.get(id) == Some(&2)));
    let stats = h.tail();
    assert_eq!(
        stats.late_spans_kept, 1,
        "the oldest trace's root came late"
    );
    assert_eq!(stats.kept.sampled, 4);
}

#[test]
fn spans_that_end_after_their_root_follow_the_trace_decision() {
    let h = Harness::new(tail(0.0));
    let t = h.tracer();
    let mut ids = Vec::new();
    for error in [true, false] {
        let root = t.start("root");
        ids.push(root.span_context().trace_id());
        let cx = Context::current_with_span(root);
        let mut late = t.start_with_context("background write", &cx);
        let mut child = t.start_with_context("chat", &cx);
        if error {
            child.set_status(Status::error("boom"));
        }
        child.end();
        cx.span().end();
        // Ends after the root: an error here cannot rescue a trace already dropped.
        late.set_attribute(KeyValue::new("error.type", "late"));
        late.end();
    }
    h.flush();
    let received = h.received();
    assert_eq!(
        received.get(&ids[0]),
        Some(&3),
        "kept trace plus its late span"
    );
    assert!(!received.contains_key(&ids[1]));
    let stats = h.tail();
    assert_eq!((stats.late_spans_kept, stats.late_spans_dropped), (1, 1));
    assert_eq!((stats.kept.error, stats.dropped), (1, 1));
}

#[test]
fn shutdown_decides_and_delivers_every_trace_still_waiting() {
    let h = Harness::new(tail(0.0));
    let t = h.tracer();
    let mut open = Vec::new();
    let mut ids = Vec::new();
    for error in [true, false, true] {
        let root = t.start("root");
        ids.push(root.span_context().trace_id());
        let cx = Context::current_with_span(root);
        let mut child = t.start_with_context("chat", &cx);
        if error {
            child.set_status(Status::error("boom"));
        }
        child.end();
        open.push(cx);
    }
    let report = h.pipeline.shutdown(FLUSH);
    assert!(report.complete, "{report:?}");
    let received = h.received();
    assert_eq!(received.get(&ids[0]), Some(&1));
    assert_eq!(received.get(&ids[2]), Some(&1));
    assert!(!received.contains_key(&ids[1]));
    let stats = h.tail();
    assert_eq!(stats.decided_early.shutdown, 3);
    assert_eq!((stats.kept.error, stats.dropped), (2, 1));
    assert_eq!(report.delivered("otlp"), Some(2));
    drop(open);
}

#[test]
fn a_decision_larger_than_a_destination_queue_waits_for_room_instead_of_dropping() {
    // Queues of 64 spans; 3 traces of 100 spans wait, then shutdown decides all 300 at once.
    let h = Harness::with_settings(
        tail(1.0),
        PipelineSettings {
            queue_capacity: 64,
            batch_max_spans: 16,
            batch_timeout: Duration::from_millis(20),
            ..PipelineSettings::default()
        },
    );
    let t = h.tracer();
    let mut open = Vec::new();
    let mut buffered = 0;
    for _ in 0..3 {
        let cx = Context::current_with_span(t.start("root"));
        // The sampler's own queue holds 64 too: hand it 50 spans at a time.
        for _ in 0..2 {
            for _ in 0..50 {
                t.start_with_context("step", &cx).end();
            }
            buffered += 50;
            wait_until("the sampler buffered the spans", || {
                h.tail().spans_buffered == buffered
            });
        }
        open.push(cx);
    }
    let report = h.pipeline.shutdown(FLUSH);
    assert!(report.complete, "{report:?}");
    let stats = h.tail();
    assert_eq!(stats.spans_queue_full, 0);
    assert_eq!(stats.spans_kept, 300);
    assert_eq!(report.destinations[0].dropped.queue_full, 0);
    assert_eq!(report.delivered("otlp"), Some(300));
    assert_eq!(h.receiver.stats().unique_spans, 300);
    drop(open);
}

#[test]
fn spans_lost_to_a_full_tail_queue_are_counted_as_every_destinations_queue_full() {
    // A sampler queue of 8 spans, and bursts of 2,000 spans ended faster than the sampler
    // task drains its queue: some find it full.
    let h = Harness::with_settings(
        tail(1.0),
        PipelineSettings {
            queue_capacity: 8,
            batch_timeout: Duration::from_millis(20),
            ..PipelineSettings::default()
        },
    );
    let t = h.tracer();
    let mut emitted = 0u64;
    for _ in 0..20 {
        for _ in 0..2_000 {
            t.start("burst").end();
        }
        emitted += 2_000;
        if h.tail().spans_queue_full > 0 {
            break;
        }
    }
    let report = h.pipeline.shutdown(FLUSH);
    let lost = h.tail().spans_queue_full;
    assert!(lost > 0, "no burst filled the sampler's queue");
    let destination = &report.destinations[0];
    assert_eq!(destination.dropped.queue_full, lost);
    assert_eq!(report.undelivered(), lost);
    // At rate 1 every span the sampler saw is kept: delivered + lost = emitted.
    assert_eq!(destination.spans_delivered + lost, emitted);
    assert_eq!(h.receiver.stats().unique_spans, emitted - lost);
}

#[test]
fn without_tail_sampling_there_are_no_tail_stats_and_a_remote_unsampled_parent_wins_with_it() {
    let resource = Resource::builder().build();
    let off = Pipeline::start(Vec::new(), PipelineSettings::default(), &resource).unwrap();
    assert_eq!(off.stats().tail_sampling, None);
    off.shutdown(FLUSH);

    // Under tail sampling the head sampler records every local root, but a remote parent's
    // "not sampled" is still honoured: such spans never reach the sampler.
    let h = Harness::new(tail(1.0));
    let t = h.tracer();
    let remote = opentelemetry::trace::SpanContext::new(
        TraceId::from(7u128),
        opentelemetry::trace::SpanId::from(9u64),
        opentelemetry::trace::TraceFlags::default(),
        true,
        opentelemetry::trace::TraceState::default(),
    );
    let cx = Context::new().with_remote_span_context(remote);
    t.start_with_context("server", &cx).end();
    let kept = trace(&t, &[], 5);
    h.flush();
    let received = h.received();
    assert_eq!(received.len(), 1);
    assert!(received.contains_key(&kept));
    assert_eq!(h.tail().kept.sampled, 1);
}
