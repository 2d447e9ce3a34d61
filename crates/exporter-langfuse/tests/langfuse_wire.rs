//! What goes over the wire to Langfuse and how its answers are handled: path, Basic auth,
//! the v4 ingestion header, protobuf, gzip, 400 / 401 / 413, and the 5 MB request bound.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::time::Duration;

use common::*;
use genai_telemetry_core::BreakerState;
use genai_telemetry_receiver::{ReceiverConfig, ScriptedResponse};
use opentelemetry::KeyValue;
use opentelemetry::trace::{Span, Tracer, TracerProvider};

#[test]
fn requests_carry_the_path_basic_auth_v4_header_protobuf_and_gzip_langfuse_requires() {
    let receiver = langfuse_receiver(ReceiverConfig::new());
    let h = Harness::langfuse(&settings(&receiver.endpoint()), fast_pipeline());
    emit_generation(&h.provider);
    emit_embedding(&h.provider);
    let report = h.finish();
    assert!(report.complete, "{report:?}");
    assert_eq!(report.delivered("langfuse"), Some(2));

    let requests = receiver.requests();
    assert!(!requests.is_empty());
    for request in &requests {
        assert_eq!(request.status, 200, "{request:?}");
        assert_eq!(request.path, "/api/public/otel/v1/traces");
        assert_eq!(request.header("authorization"), Some(BASIC_AUTH));
        assert_eq!(request.header("x-langfuse-ingestion-version"), Some("4"));
        assert_eq!(
            request.content_type.as_deref(),
            Some("application/x-protobuf")
        );
        assert_eq!(request.content_encoding.as_deref(), Some("gzip"));
    }
    assert_eq!(receiver.stats().unique_spans, 2);
}

#[test]
fn wrong_keys_get_a_401_that_opens_the_breaker_with_the_reason() {
    let receiver = langfuse_receiver(ReceiverConfig::new());
    let settings = settings_with(&receiver.endpoint(), |b| {
        b.langfuse(PUBLIC_KEY, "sk-lf-wrong")
    });
    let h = Harness::langfuse(&settings, fast_pipeline());
    emit_generation(&h.provider);
    eventually("the breaker opens", || {
        h.pipeline
            .stats()
            .destination("langfuse")
            .unwrap()
            .breaker_opens
            >= 1
    });
    let stats = h.pipeline.stats().destination("langfuse").unwrap().clone();
    let error = stats.last_error.unwrap();
    assert_eq!(error.kind, "unauthorized");
    assert!(error.message.contains("401"), "{}", error.message);
    assert_eq!(receiver.stats().unique_spans, 0);
    h.pipeline.shutdown(Duration::from_millis(200));
}

#[test]
fn a_400_is_dropped_without_retry_and_keeps_langfuses_error_text() {
    let receiver = langfuse_receiver(ReceiverConfig::new());
    receiver.faults().respond_next(
        1,
        ScriptedResponse::status(400).body(r#"{"error":"Invalid span ids in resourceSpans[0]"}"#),
    );
    let h = Harness::langfuse(&settings(&receiver.endpoint()), fast_pipeline());
    emit_generation(&h.provider);
    let report = h.finish();

    assert_eq!(receiver.requests().len(), 1, "a 400 is never retried");
    let stats = report.destination("langfuse").unwrap();
    assert_eq!(stats.dropped.permanent_error, 1);
    assert_eq!(stats.retries, 0);
    assert_eq!(stats.breaker_state, BreakerState::Closed);
    let error = stats.last_error.clone().unwrap();
    assert!(
        error.message.contains("Invalid span ids"),
        "{}",
        error.message
    );
}

#[test]
fn a_413_splits_the_batch_and_both_halves_are_delivered() {
    let receiver = langfuse_receiver(ReceiverConfig::new());
    receiver.faults().respond_next(
        1,
        ScriptedResponse::status(413).body("Request Entity Too Large"),
    );
    let mut pipeline = fast_pipeline();
    pipeline.batch_timeout = Duration::from_secs(5);
    let h = Harness::langfuse(&settings(&receiver.endpoint()), pipeline);
    for _ in 0..10 {
        emit_generation(&h.provider);
    }
    let report = h.finish();
    assert!(report.complete, "{report:?}");
    let stats = report.destination("langfuse").unwrap();
    assert_eq!(stats.splits, 1);
    assert_eq!(stats.spans_delivered, 10);
    let requests = receiver.requests();
    assert_eq!(requests[0].status, 413);
    assert_eq!(requests[0].span_count, 0);
    let accepted: Vec<usize> = requests[1..].iter().map(|r| r.span_count).collect();
    assert_eq!(accepted, [5, 5]);
    assert_eq!(receiver.stats().duplicate_spans, 0);
}

/// Text that gzip cannot shrink much, so compressed sizes stay close to raw ones.
fn incompressible(len: usize, seed: u64) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 ";
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            char::from(ALPHABET[usize::try_from(state >> 58).unwrap() % ALPHABET.len()])
        })
        .collect()
}

#[test]
fn a_batch_over_5_mb_is_sent_as_several_requests_each_under_5_mb() {
    // Langfuse Cloud refuses requests over 5 MB; this receiver does the same.
    let receiver = langfuse_receiver(ReceiverConfig::new().max_body_bytes(5_000_000));
    let mut pipeline = fast_pipeline();
    // One batch for everything: the split must come from the destination's bound.
    pipeline.batch_max_bytes = 256 * 1024 * 1024;
    pipeline.batch_timeout = Duration::from_secs(30);
    // Long RAG prompts: the user raises LANGFUSE_MAX_ATTRIBUTE_LENGTH above the 16 KiB default.
    let mut langfuse = settings(&receiver.endpoint());
    langfuse.content.max_attribute_length = 1024 * 1024;
    let h = Harness::langfuse(&langfuse, pipeline);
    let tracer = h.provider.tracer("app");
    let spans = 14;
    for i in 0..spans {
        let mut span = tracer.start("chat gpt-4o");
        span.set_attribute(KeyValue::new("gen_ai.operation.name", "chat"));
        let text = incompressible(600_000, i);
        let messages =
            format!(r#"[{{"role":"user","parts":[{{"type":"text","content":"{text}"}}]}}]"#);
        span.set_attribute(KeyValue::new("gen_ai.input.messages", messages));
        span.end();
    }
    let report = h.finish();
    assert!(report.complete, "{report:?}");

    let requests = receiver.requests();
    let total_body: usize = requests.iter().map(|r| r.body_bytes).sum();
    assert!(total_body > 5_000_000, "the batch was {total_body} bytes");
    assert!(requests.len() >= 2, "{} request(s)", requests.len());
    for request in &requests {
        assert_eq!(request.status, 200, "{request:?}");
        assert!(request.body_bytes < 5_000_000, "{request:?}");
    }
    assert_eq!(receiver.stats().unique_spans, spans);
    assert_eq!(
        report.destination("langfuse").unwrap().splits,
        0,
        "no 413 needed"
    );
    // The content went through whole (within the raised maximum, `full` does not shorten it).
    let span = &receiver.spans()[0];
    assert!(
        span.string_attribute("langfuse.observation.input")
            .unwrap()
            .len()
            > 600_000
    );
}
