//! The pipeline's promises, proven against real OTLP/HTTP receivers on loopback that decode
//! every request and count unique span IDs, with faults injected at the receivers.

#![allow(clippy::unwrap_used)]

mod support;

use support::*;

use std::time::Duration;

use genai_telemetry_core::BreakerState;
use genai_telemetry_receiver::ScriptedResponse;
use opentelemetry::KeyValue;
use opentelemetry::trace::{Span, Tracer, TracerProvider};
use opentelemetry_sdk::trace::SdkTracerProvider;

#[test]
fn every_span_reaches_every_destination_exactly_once_with_the_same_ids() {
    let (a, b) = (receiver("a"), receiver("b"));
    let h = Harness::new(&[("a", &a), ("b", &b)], fast_settings());
    h.emit(1_000);
    let report = h.pipeline.shutdown(Duration::from_secs(10));
    assert!(report.complete, "{report:?}");
    for r in [&a, &b] {
        let stats = r.stats();
        assert_eq!(stats.unique_spans, 1_000);
        assert_eq!(stats.duplicate_spans, 0);
    }
    assert_eq!(a.unique_span_ids(), b.unique_span_ids());
    assert_eq!(report.delivered("a"), Some(1_000));
    assert_eq!(report.delivered("b"), Some(1_000));
    assert_eq!(report.undelivered(), 0);
    let span = &a.spans()[0];
    assert_eq!(
        span.string_attribute("gen_ai.request.model"),
        Some("gpt-4o")
    );
    assert!(
        a.requests()
            .iter()
            .all(|r| r.content_encoding.as_deref() == Some("gzip"))
    );
}

#[test]
fn an_outage_and_recovery_lose_no_span_and_duplicate_none() {
    let (down, up) = (receiver("down"), receiver("up"));
    down.faults().set_outage(true);
    let h = Harness::new(&[("down", &down), ("up", &up)], fast_settings());
    h.emit(2_000);
    eventually("the breaker of the failing destination opens", || {
        h.stat("down").breaker_opens >= 1
    });
    eventually(
        "the healthy destination delivers everything meanwhile",
        || up.stats().unique_spans == 2_000,
    );
    h.emit(500);
    let held = h.stat("down");
    assert!(
        held.spans_held > 0,
        "spans are held during the outage: {held:?}"
    );
    assert_eq!(down.stats().spans_accepted, 0);

    down.faults().set_outage(false);
    eventually("everything held is replayed", || {
        down.stats().unique_spans == 2_500
    });
    let report = h.pipeline.shutdown(Duration::from_secs(10));
    let s = report.destination("down").unwrap();
    assert_eq!(s.spans_delivered, 2_500);
    assert_eq!(s.dropped.total(), 0);
    assert_eq!(s.breaker_state, BreakerState::Closed);
    assert_eq!(down.stats().duplicate_spans, 0);
    assert_eq!(up.stats().duplicate_spans, 0);
    assert_eq!(report.delivered("up"), Some(2_500));
}

#[test]
fn random_5xx_and_429_with_retry_after_lose_nothing_and_duplicate_nothing() {
    let r = receiver("flaky");
    r.faults().set_seed(7);
    r.faults().set_failure_ratio(0.3, 503);
    r.faults()
        .respond_next(3, ScriptedResponse::status(429).retry_after("0"));
    let mut settings = fast_settings();
    settings.batch_max_spans = 50;
    let h = Harness::new(&[("flaky", &r)], settings);
    h.emit(3_000);
    eventually("all spans arrive despite the faults", || {
        r.stats().unique_spans == 3_000
    });
    let report = h.pipeline.shutdown(Duration::from_secs(10));
    let s = report.destination("flaky").unwrap();
    assert_eq!(s.spans_delivered, 3_000);
    assert_eq!(s.dropped.total(), 0);
    assert!(s.retries >= 3, "failed requests were retried: {s:?}");
    let stats = r.stats();
    assert_eq!(stats.duplicate_spans, 0);
    assert_eq!(stats.status_counts.get(&429), Some(&3));
    assert!(stats.status_counts.get(&503).copied().unwrap_or(0) > 0);
    assert_eq!(s.batches_failed, stats.rejected_requests);
}

#[test]
fn throttling_paces_the_destination_without_opening_its_breaker() {
    let r = receiver("throttling");
    // Ten 429s in a row: more than three times the breaker's threshold (3 in these settings).
    r.faults()
        .respond_next(10, ScriptedResponse::status(429).retry_after("0"));
    let mut settings = fast_settings();
    settings.batch_max_spans = 50;
    let h = Harness::new(&[("throttling", &r)], settings);
    h.emit(500);
    eventually(
        "every span arrives once the server stops throttling",
        || r.stats().unique_spans == 500,
    );
    let s = h.stat("throttling");
    assert_eq!(
        s.breaker_opens, 0,
        "429s are not failures of the back end: {s:?}"
    );
    assert_eq!(s.breaker_state, BreakerState::Closed);
    assert_eq!(s.batches_failed, 10);
    assert!(s.retries >= 10, "each throttled request was retried: {s:?}");
    let failures = h.pipeline.recent_failures(100);
    assert_eq!(failures.len(), 10);
    assert!(
        failures
            .iter()
            .all(|f| f.kind == "throttled" && f.status == Some(429)),
        "{failures:?}"
    );
    let report = h.pipeline.shutdown(Duration::from_secs(10));
    assert_eq!(report.delivered("throttling"), Some(500));
    assert_eq!(r.stats().duplicate_spans, 0);
    assert_eq!(r.stats().status_counts.get(&429), Some(&10));
}

#[test]
fn the_breaker_opens_after_consecutive_failures_then_probes_and_closes() {
    let r = receiver("breaker");
    r.faults().set_outage(true);
    let h = Harness::new(&[("breaker", &r)], fast_settings());
    h.emit(10);
    eventually("the breaker opens", || {
        h.stat("breaker").breaker_state == BreakerState::Open
    });
    // The threshold is 3 consecutive failures: exactly 3 requests before it opened.
    let failed_before_open = h.stat("breaker").batches_failed;
    assert!(failed_before_open >= 3, "{failed_before_open}");
    eventually("a failed probe re-opens it", || {
        h.stat("breaker").breaker_opens >= 2
    });
    r.faults().set_outage(false);
    eventually("a successful probe closes it", || {
        h.stat("breaker").breaker_state == BreakerState::Closed
    });
    eventually("held spans drain", || r.stats().unique_spans == 10);
    assert_eq!(h.stat("breaker").spans_held, 0);
    h.pipeline.shutdown(Duration::from_secs(5));
}

#[test]
fn a_hanging_destination_delays_neither_the_other_destination_nor_span_end() {
    let (hung, healthy) = (receiver("hung"), receiver("healthy"));
    hung.faults().set_hang(true);
    let mut settings = fast_settings();
    settings.export_timeout = Duration::from_secs(30);
    let h = Harness::new(&[("hung", &hung), ("healthy", &healthy)], settings);
    // Span end returns while the hung destination's request is outstanding...
    h.emit(2_000);
    // ...and the other destination delivers everything while that request still hangs.
    eventually("the healthy destination delivers all spans", || {
        healthy.stats().unique_spans == 2_000
    });
    assert_eq!(hung.stats().spans_accepted, 0);
    assert!(h.stat("hung").spans_held > 0);
    hung.faults().set_hang(false);
    eventually("the hung destination catches up", || {
        hung.stats().unique_spans == 2_000
    });
    assert_eq!(hung.stats().duplicate_spans, 0);
    h.pipeline.shutdown(Duration::from_secs(5));
}

#[test]
fn replay_buffer_overflow_drops_the_oldest_and_counts_them_exactly() {
    let r = receiver("small");
    r.faults().set_outage(true);
    let mut settings = fast_settings();
    settings.replay_buffer_bytes = 4 * 1024;
    settings.batch_max_spans = 20;
    let h = Harness::new(&[("small", &r)], settings);
    h.emit(1_000);
    eventually("overflow happens", || h.stat("small").dropped.overflow > 0);
    eventually("all spans are either held or dropped", || {
        let s = h.stat("small");
        s.spans_held + s.dropped.overflow == 1_000
    });
    let held = h.stat("small");
    assert!(held.bytes_held <= 4 * 1024, "{held:?}");
    r.faults().set_outage(false);
    eventually("held spans are delivered", || {
        h.stat("small").spans_held == 0
    });
    let s = h.stat("small");
    assert_eq!(s.spans_delivered + s.dropped.overflow, 1_000);
    assert_eq!(r.stats().unique_spans, s.spans_delivered);
    assert_eq!(r.stats().duplicate_spans, 0);
    // The newest spans survive: the last span ended is among those delivered.
    assert!(r.spans().iter().any(|sp| sp.name == "chat gpt-4o #999"));
    h.pipeline.shutdown(Duration::from_secs(5));
}

#[test]
fn a_full_queue_drops_and_counts_every_span_it_refuses() {
    let r = receiver("tiny-queue");
    let mut settings = fast_settings();
    settings.queue_capacity = 1;
    let h = Harness::new(&[("tiny-queue", &r)], settings);
    h.emit(20_000);
    let flushed = h.pipeline.flush(Duration::from_secs(10));
    assert!(flushed.complete);
    let s = h.stat("tiny-queue");
    assert!(
        s.dropped.queue_full > 0,
        "a one-span queue overflows: {s:?}"
    );
    assert_eq!(s.spans_enqueued + s.dropped.queue_full, 20_000);
    assert_eq!(s.spans_delivered, s.spans_enqueued);
    assert_eq!(r.stats().unique_spans, s.spans_delivered);
    h.pipeline.shutdown(Duration::from_secs(5));
}

#[test]
fn a_400_is_dropped_counted_with_the_servers_text_and_never_retried() {
    let r = receiver("poison");
    r.faults().respond_next(
        1,
        ScriptedResponse::status(400).body(r#"{"error":"Invalid span id"}"#),
    );
    let mut settings = fast_settings();
    settings.batch_timeout = Duration::from_secs(60);
    let h = Harness::new(&[("poison", &r)], settings);
    h.emit(10);
    h.pipeline.flush(Duration::from_secs(5));
    let s = h.stat("poison");
    assert_eq!(s.dropped.permanent_error, 10);
    assert_eq!(s.retries, 0);
    assert_eq!(r.requests().len(), 1);
    let err = s.last_error.unwrap();
    assert_eq!(err.kind, "rejected");
    assert!(err.message.contains("Invalid span id"), "{}", err.message);
    // The destination keeps working for later batches.
    h.emit(5);
    h.pipeline.flush(Duration::from_secs(5));
    assert_eq!(r.stats().unique_spans, 5);
    h.pipeline.shutdown(Duration::from_secs(5));
}

#[test]
fn a_401_opens_the_breaker_at_once_holds_the_batch_and_reports_the_reason() {
    let r = receiver("auth");
    r.faults().respond_next(
        1,
        ScriptedResponse::status(401).body(r#"{"message":"Invalid credentials"}"#),
    );
    let mut settings = fast_settings();
    settings.breaker.failure_threshold = 5;
    settings.breaker.recovery_window = Duration::from_millis(300);
    let h = Harness::new(&[("auth", &r)], settings);
    h.emit(7);
    eventually("one 401 opens the breaker", || {
        h.stat("auth").breaker_opens == 1
    });
    let s = h.stat("auth");
    assert_eq!(
        s.batches_failed, 1,
        "opened on the first refusal, not the fifth"
    );
    assert_eq!(s.last_error.as_ref().unwrap().kind, "unauthorized");
    assert!(
        s.last_error
            .unwrap()
            .message
            .contains("Invalid credentials")
    );
    assert_eq!(s.dropped.total(), 0, "the batch is held, not dropped");
    eventually("the probe after the window delivers it", || {
        r.stats().unique_spans == 7
    });
    h.pipeline.shutdown(Duration::from_secs(5));
}

#[test]
fn a_413_splits_the_batch_and_delivers_both_halves() {
    let r = receiver("proxy");
    r.faults().respond_next(1, ScriptedResponse::status(413));
    let mut settings = fast_settings();
    settings.batch_timeout = Duration::from_secs(60);
    let h = Harness::new(&[("proxy", &r)], settings);
    h.emit(40);
    assert!(h.pipeline.flush(Duration::from_secs(5)).complete);
    let s = h.stat("proxy");
    assert_eq!(s.splits, 1);
    assert_eq!(s.spans_delivered, 40);
    let accepted: Vec<usize> = r
        .requests()
        .iter()
        .filter(|q| q.status == 200)
        .map(|q| q.span_count)
        .collect();
    assert_eq!(accepted, vec![20, 20]);
    h.pipeline.shutdown(Duration::from_secs(5));
}

#[test]
fn a_413_on_a_single_span_is_a_permanent_drop() {
    let r = receiver("proxy1");
    r.faults().respond_next(1, ScriptedResponse::status(413));
    let h = Harness::new(&[("proxy1", &r)], fast_settings());
    h.emit(1);
    h.pipeline.flush(Duration::from_secs(5));
    assert_eq!(h.stat("proxy1").dropped.permanent_error, 1);
    h.pipeline.shutdown(Duration::from_secs(5));
}

#[test]
fn shutdown_flushes_spans_still_waiting_for_their_batch() {
    let r = receiver("flush");
    let mut settings = fast_settings();
    settings.batch_timeout = Duration::from_secs(3_600);
    let h = Harness::new(&[("flush", &r)], settings);
    h.emit(300);
    assert_eq!(
        r.stats().spans_accepted,
        0,
        "nothing sent before the batch times out"
    );
    let report = h.pipeline.shutdown(Duration::from_secs(10));
    assert!(report.complete, "{report:?}");
    assert_eq!(r.stats().unique_spans, 300);
    assert_eq!(report.delivered("flush"), Some(300));
}

#[test]
fn shutdown_during_an_outage_ends_by_its_timeout_and_reports_what_was_not_delivered() {
    let r = receiver("gone");
    r.faults().set_outage(true);
    let mut settings = fast_settings();
    settings.breaker.recovery_window = Duration::from_secs(60);
    settings.breaker.max_recovery_window = Duration::from_secs(60);
    let h = Harness::new(&[("gone", &r)], settings);
    h.emit(50);
    let report = h.pipeline.shutdown(Duration::from_millis(500));
    assert!(!report.complete);
    let s = report.destination("gone").unwrap();
    assert_eq!(s.spans_delivered, 0);
    assert_eq!(s.dropped.shutdown, 50);
    assert_eq!(report.undelivered(), 50);
    // Shutdown is idempotent and spans ended afterwards are counted, not exported.
    h.emit(5);
    assert_eq!(h.pipeline.shutdown(Duration::from_secs(1)), report);
    assert_eq!(h.pipeline.stats().spans_after_shutdown, 5);
}

#[test]
fn shutdown_with_a_request_hanging_ends_by_its_timeout() {
    let r = receiver("stuck");
    r.faults().set_hang(true);
    let mut settings = fast_settings();
    settings.export_timeout = Duration::from_secs(60);
    let h = Harness::new(&[("stuck", &r)], settings);
    h.emit(10);
    eventually("the request is in flight", || {
        r.stats().requests >= 1 || h.stat("stuck").spans_held == 10
    });
    let report = h.pipeline.shutdown(Duration::from_millis(300));
    assert!(!report.complete);
    assert_eq!(report.destination("stuck").unwrap().dropped.shutdown, 10);
    r.faults().set_hang(false);
}

#[test]
fn resetting_a_breaker_closes_it_and_resumes_delivery() {
    let r = receiver("reset");
    r.faults().respond_next(1, ScriptedResponse::status(403));
    let mut settings = fast_settings();
    settings.breaker.recovery_window = Duration::from_secs(600);
    settings.breaker.max_recovery_window = Duration::from_secs(600);
    let h = Harness::new(&[("reset", &r)], settings);
    h.emit(3);
    eventually("403 opens the breaker", || {
        h.stat("reset").breaker_state == BreakerState::Open
    });
    assert!(h.pipeline.reset_breaker("reset"));
    assert!(!h.pipeline.reset_breaker("no-such-destination"));
    eventually("held spans go out after the reset", || {
        r.stats().unique_spans == 3
    });
    h.pipeline.shutdown(Duration::from_secs(5));
}

#[test]
fn dropping_every_handle_without_shutdown_still_delivers_what_was_queued() {
    use opentelemetry_sdk::trace::SpanProcessor;
    let r = receiver("orphan");
    let mut settings = fast_settings();
    settings.batch_timeout = Duration::from_secs(3_600);
    let pipeline = start_pipeline(&[("orphan", &r)], settings);
    // Feed the processor directly: a provider would shut the pipeline down when dropped.
    let processor = pipeline.processor();
    let exporter = opentelemetry_sdk::trace::InMemorySpanExporter::default();
    let recorder = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let tracer = recorder.tracer("orphan");
    for i in 0..25 {
        tracer.start(format!("span {i}")).end();
    }
    for span in exporter.get_finished_spans().unwrap() {
        processor.on_end(span);
    }
    assert_eq!(r.stats().spans_accepted, 0);
    drop(processor);
    drop(pipeline);
    assert!(r.wait_for_unique_spans(25, Duration::from_secs(10)));
}

#[test]
fn recent_traces_show_spans_tokens_and_delivery_status_per_destination() {
    use genai_telemetry_core::pipeline::ledger::DeliveryStatus;
    let (ok, down) = (receiver("ok"), receiver("down"));
    down.faults().set_outage(true);
    let h = Harness::new(&[("ok", &ok), ("down", &down)], fast_settings());
    let tracer = h.provider.tracer("ledger");
    let trace_id = tracer.in_span("invoke_agent planner", |cx| {
        use opentelemetry::trace::TraceContextExt;
        tracer.in_span("chat gpt-4o", |cx| {
            cx.span()
                .set_attribute(KeyValue::new("gen_ai.operation.name", "chat"));
            cx.span()
                .set_attribute(KeyValue::new("gen_ai.request.model", "gpt-4o"));
            cx.span()
                .set_attribute(KeyValue::new("gen_ai.usage.input_tokens", 100_i64));
            cx.span()
                .set_attribute(KeyValue::new("gen_ai.usage.output_tokens", 20_i64));
        });
        cx.span().span_context().trace_id().to_string()
    });
    eventually("ok delivers and down holds", || {
        let t = h.pipeline.recent_traces(10);
        t.first().is_some_and(|t| {
            t.delivery[0].status == DeliveryStatus::Delivered
                && t.delivery[1].status == DeliveryStatus::Held
        })
    });
    let summary = &h.pipeline.recent_traces(10)[0];
    assert_eq!(summary.trace_id, trace_id);
    assert_eq!(summary.root_name, "invoke_agent planner");
    assert_eq!(summary.span_count, 2);
    assert_eq!((summary.input_tokens, summary.output_tokens), (100, 20));
    assert_eq!(summary.delivery[1].held, 2);
    let detail = h.pipeline.trace(&trace_id).unwrap();
    assert_eq!(detail.spans.len(), 2);
    let usage = h.pipeline.ledger().unwrap().genai_usage();
    assert_eq!(usage.len(), 1);
    assert_eq!(usage[0].model, "gpt-4o");
    assert_eq!(usage[0].input_tokens.sum, 100.0);
    let failures = h.pipeline.recent_failures(10);
    assert!(!failures.is_empty());
    assert!(
        failures
            .iter()
            .all(|f| f.destination == "down" && f.status.is_none())
    );

    down.faults().set_outage(false);
    eventually("the held trace is delivered after recovery", || {
        h.pipeline.recent_traces(1)[0].delivery[1].status == DeliveryStatus::Delivered
    });
    h.pipeline.shutdown(Duration::from_secs(5));
}

#[test]
fn a_rejected_batch_marks_its_traces_dropped() {
    use genai_telemetry_core::pipeline::ledger::DeliveryStatus;
    let r = receiver("reject");
    r.faults()
        .respond_next(1, ScriptedResponse::status(422).body("unprocessable"));
    let h = Harness::new(&[("reject", &r)], fast_settings());
    h.emit(3);
    h.pipeline.flush(Duration::from_secs(5));
    let traces = h.pipeline.recent_traces(10);
    assert_eq!(traces.len(), 3);
    assert!(
        traces
            .iter()
            .all(|t| t.delivery[0].status == DeliveryStatus::Dropped)
    );
    let failure = &h.pipeline.recent_failures(1)[0];
    assert_eq!(
        (failure.status, failure.kind.as_str()),
        (Some(422), "rejected")
    );
    h.pipeline.shutdown(Duration::from_secs(5));
}
