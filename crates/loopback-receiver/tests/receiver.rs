//! Integration tests for the loopback OTLP receiver, over real HTTP.
#![allow(clippy::unwrap_used, missing_docs)]

use std::io::Write;
use std::time::{Duration, Instant};

use flate2::Compression;
use flate2::write::GzEncoder;
use genai_telemetry_receiver::{OtlpReceiver, ReceiverConfig, ScriptedResponse};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};
use prost::Message;

const PROTOBUF: &str = "application/x-protobuf";

fn kv(key: &str, value: Value) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

fn span(id: u8) -> Span {
    Span {
        trace_id: vec![0xAB; 16],
        span_id: vec![0, 0, 0, 0, 0, 0, 0, id],
        parent_span_id: if id == 1 {
            Vec::new()
        } else {
            vec![0, 0, 0, 0, 0, 0, 0, 1]
        },
        name: format!("chat gpt-4o #{id}"),
        kind: 3,
        start_time_unix_nano: 1_000,
        end_time_unix_nano: 2_000,
        attributes: vec![
            kv("gen_ai.operation.name", Value::StringValue("chat".into())),
            kv(
                "gen_ai.usage.input_tokens",
                Value::IntValue(i64::from(id) * 10),
            ),
        ],
        status: Some(Status {
            message: String::new(),
            code: 1,
        }),
        ..Default::default()
    }
}

fn export_request(spans: Vec<Span>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![kv("service.name", Value::StringValue("test-svc".into()))],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: "genai-test".into(),
                    ..Default::default()
                }),
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

fn body_for(ids: &[u8]) -> Vec<u8> {
    export_request(ids.iter().copied().map(span).collect()).encode_to_vec()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

async fn post(receiver: &OtlpReceiver, body: Vec<u8>) -> reqwest::Response {
    client()
        .post(receiver.traces_url())
        .header("content-type", PROTOBUF)
        .body(body)
        .send()
        .await
        .unwrap()
}

fn start() -> OtlpReceiver {
    OtlpReceiver::start(ReceiverConfig::new()).unwrap()
}

#[tokio::test]
async fn accepts_gzip_protobuf_and_counts_unique_spans() {
    let receiver = start();
    let resp = client()
        .post(receiver.traces_url())
        .header("content-type", "application/x-protobuf; charset=binary")
        .header("content-encoding", "gzip")
        .body(gzip(&body_for(&[1, 2, 3])))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], PROTOBUF);
    assert!(
        resp.bytes().await.unwrap().is_empty(),
        "empty ExportTraceServiceResponse"
    );

    let stats = receiver.stats();
    assert_eq!(stats.requests, 1);
    assert_eq!(stats.accepted_requests, 1);
    assert_eq!(stats.unique_spans, 3);
    assert_eq!(stats.spans_accepted, 3);
    assert_eq!(stats.duplicate_spans, 0);
    assert_eq!(stats.status_counts.get(&200), Some(&1));

    let spans = receiver.spans();
    assert_eq!(spans.len(), 3);
    let s = &spans[1];
    assert_eq!(s.trace_id, [0xAB; 16]);
    assert_eq!(s.span_id, [0, 0, 0, 0, 0, 0, 0, 2]);
    assert_eq!(s.parent_span_id, Some([0, 0, 0, 0, 0, 0, 0, 1]));
    assert_eq!(spans[0].parent_span_id, None);
    assert_eq!(s.kind, 3);
    assert_eq!(s.scope_name, "genai-test");
    assert_eq!(s.status_code, 1);
    assert_eq!(s.string_attribute("gen_ai.operation.name"), Some("chat"));
    assert_eq!(s.int_attribute("gen_ai.usage.input_tokens"), Some(20));
    assert_eq!(s.string_attribute("gen_ai.usage.input_tokens"), None);
    assert_eq!(
        s.resource_attribute("service.name")
            .and_then(|v| v.value.clone()),
        Some(Value::StringValue("test-svc".into()))
    );

    let req = &receiver.requests()[0];
    assert_eq!(req.status, 200);
    assert_eq!(req.span_count, 3);
    assert_eq!(req.content_encoding.as_deref(), Some("gzip"));
    assert_eq!(req.fault, None);
    assert!(receiver.wait_for_unique_spans(3, Duration::from_millis(10)));
}

#[tokio::test]
async fn duplicate_span_ids_are_counted_as_duplicates() {
    let receiver = start();
    assert_eq!(post(&receiver, body_for(&[1, 2])).await.status(), 200);
    assert_eq!(post(&receiver, body_for(&[2, 3])).await.status(), 200);

    let stats = receiver.stats();
    assert_eq!(stats.spans_accepted, 4);
    assert_eq!(stats.unique_spans, 3);
    assert_eq!(stats.duplicate_spans, 1);
    assert_eq!(receiver.spans().len(), 4, "spans() keeps duplicates");
    assert_eq!(receiver.unique_span_ids().len(), 3);

    receiver.reset();
    assert_eq!(receiver.stats(), Default::default());
    assert!(receiver.spans().is_empty());
}

#[tokio::test]
async fn wrong_content_type_is_rejected_with_415() {
    let receiver = start();
    let resp = client()
        .post(receiver.traces_url())
        .header("content-type", "application/json")
        .body(body_for(&[1]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 415);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("application/x-protobuf")
    );

    let resp = client()
        .post(receiver.traces_url())
        .header("content-type", PROTOBUF)
        .header("content-encoding", "br")
        .body(body_for(&[1]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 415);

    let stats = receiver.stats();
    assert_eq!(stats.rejected_requests, 2);
    assert_eq!(stats.unique_spans, 0);
    assert_eq!(stats.status_counts.get(&415), Some(&2));
}

#[tokio::test]
async fn missing_auth_is_rejected_with_401_when_the_header_is_required() {
    let receiver = OtlpReceiver::start(
        ReceiverConfig::new()
            .name("instana")
            .require_header("X-Instana-Key", "secret")
            .require_header("x-tenant", "acme"),
    )
    .unwrap();

    let resp = post(&receiver, body_for(&[1])).await;
    assert_eq!(resp.status(), 401);
    assert!(resp.text().await.unwrap().contains("x-instana-key"));

    let resp = client()
        .post(receiver.traces_url())
        .header("content-type", PROTOBUF)
        .header("x-instana-key", "wrong")
        .body(body_for(&[1]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);

    let resp = client()
        .post(receiver.traces_url())
        .header("content-type", PROTOBUF)
        .header("x-instana-key", "secret")
        .body(body_for(&[1]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400, "other required headers give 400");
    assert!(resp.text().await.unwrap().contains("x-tenant"));

    let resp = client()
        .post(receiver.traces_url())
        .header("content-type", PROTOBUF)
        .header("X-INSTANA-KEY", "secret")
        .header("x-tenant", "acme")
        .body(body_for(&[1]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(receiver.stats().unique_spans, 1);
    let debug = format!("{receiver:?}");
    assert!(debug.contains("instana") && !debug.contains("secret"));
}

#[tokio::test]
async fn wrong_path_gives_404_and_wrong_method_gives_405() {
    let receiver =
        OtlpReceiver::start(ReceiverConfig::new().traces_path("/api/public/otel/v1/traces"))
            .unwrap();
    assert!(
        receiver
            .traces_url()
            .ends_with("/api/public/otel/v1/traces")
    );

    let resp = client()
        .post(format!("{}/v1/traces", receiver.endpoint()))
        .header("content-type", PROTOBUF)
        .body(body_for(&[1]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);

    let resp = client().get(receiver.traces_url()).send().await.unwrap();
    assert_eq!(resp.status(), 405);

    let records = receiver.requests();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].path, "/v1/traces");
    assert_eq!(records[0].status, 404);
    assert_eq!(records[1].status, 405);
    assert_eq!(receiver.stats().unique_spans, 0);
}

#[tokio::test]
async fn corrupt_gzip_is_rejected_with_400() {
    let receiver = start();
    let mut corrupt = gzip(&body_for(&[1, 2]));
    let mid = corrupt.len() / 2;
    corrupt.truncate(mid);
    let resp = client()
        .post(receiver.traces_url())
        .header("content-type", PROTOBUF)
        .header("content-encoding", "gzip")
        .body(corrupt)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert!(resp.text().await.unwrap().contains("gzip"));

    let resp = post(&receiver, b"\xff\xff\xff not protobuf".to_vec()).await;
    assert_eq!(resp.status(), 400);
    assert_eq!(receiver.stats().unique_spans, 0);
}

#[tokio::test]
async fn invalid_span_id_length_rejects_the_whole_request_with_400() {
    let receiver = start();
    let mut bad = span(2);
    bad.span_id = vec![1, 2, 3];
    let body = export_request(vec![span(1), bad]).encode_to_vec();
    let resp = post(&receiver, body).await;
    assert_eq!(resp.status(), 400);
    assert!(resp.text().await.unwrap().contains("span_id"));

    let mut bad_trace = span(3);
    bad_trace.trace_id = vec![1; 8];
    let resp = post(&receiver, export_request(vec![bad_trace]).encode_to_vec()).await;
    assert_eq!(resp.status(), 400);

    let stats = receiver.stats();
    assert_eq!(stats.spans_accepted, 0);
    assert!(receiver.spans().is_empty());
}

#[tokio::test]
async fn scripted_429_carries_the_retry_after_header() {
    let receiver = start();
    receiver.faults().respond_next(
        2,
        ScriptedResponse::status(429)
            .retry_after("7")
            .body("slow down"),
    );

    for _ in 0..2 {
        let resp = post(&receiver, body_for(&[1])).await;
        assert_eq!(resp.status(), 429);
        assert_eq!(resp.headers()["retry-after"], "7");
        assert_eq!(resp.text().await.unwrap(), "slow down");
    }
    let resp = post(&receiver, body_for(&[1])).await;
    assert_eq!(resp.status(), 200);

    let records = receiver.requests();
    assert_eq!(records[0].fault.as_deref(), Some("scripted"));
    assert_eq!(records[2].fault, None);
    let stats = receiver.stats();
    assert_eq!(
        stats.spans_accepted, 1,
        "scripted answers do not count spans"
    );
    assert_eq!(stats.status_counts.get(&429), Some(&2));
}

#[tokio::test]
async fn outage_for_recovers_after_the_window() {
    let receiver = start();
    receiver.faults().outage_for(Duration::from_millis(200));
    let resp = post(&receiver, body_for(&[1])).await;
    assert_eq!(resp.status(), 503);
    assert_eq!(resp.text().await.unwrap(), "outage");
    assert_eq!(receiver.requests()[0].fault.as_deref(), Some("outage"));

    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(post(&receiver, body_for(&[1])).await.status(), 200);

    receiver.faults().set_outage(true);
    assert_eq!(post(&receiver, body_for(&[2])).await.status(), 503);
    receiver.faults().set_outage(false);
    assert_eq!(post(&receiver, body_for(&[2])).await.status(), 200);
    assert_eq!(receiver.stats().unique_spans, 2);
}

async fn status_sequence(seed: u64) -> Vec<u16> {
    let receiver = start();
    receiver.faults().set_seed(seed);
    receiver.faults().set_failure_ratio(0.5, 503);
    let client = client();
    let mut out = Vec::new();
    for i in 0..24u8 {
        let resp = client
            .post(receiver.traces_url())
            .header("content-type", PROTOBUF)
            .body(body_for(&[i + 1]))
            .send()
            .await
            .unwrap();
        out.push(resp.status().as_u16());
    }
    let failed = out.iter().filter(|s| **s == 503).count() as u64;
    let stats = receiver.stats();
    assert_eq!(stats.rejected_requests, failed);
    assert_eq!(stats.unique_spans, 24 - failed);
    out
}

#[tokio::test]
async fn failure_ratio_is_deterministic_for_a_given_seed() {
    let a = status_sequence(42).await;
    let b = status_sequence(42).await;
    assert_eq!(a, b);
    assert!(a.contains(&200) && a.contains(&503), "{a:?}");
    let c = status_sequence(7).await;
    assert_ne!(a, c, "a different seed gives a different sequence");
}

#[tokio::test]
async fn hang_holds_a_request_until_released() {
    let receiver = start();
    receiver.faults().set_hang(true);
    let url = receiver.traces_url();
    let request = tokio::spawn(async move {
        client()
            .post(url)
            .header("content-type", PROTOBUF)
            .body(body_for(&[1]))
            .send()
            .await
            .map(|r| r.status().as_u16())
    });
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(!request.is_finished());
    assert_eq!(receiver.stats().requests, 0);

    receiver.faults().set_hang(false);
    assert_eq!(request.await.unwrap().unwrap(), 200);
    assert_eq!(receiver.stats().unique_spans, 1);
}

#[tokio::test]
async fn latency_delays_the_answer() {
    let receiver = start();
    receiver.faults().set_latency(Duration::from_millis(120));
    let started = Instant::now();
    assert_eq!(post(&receiver, body_for(&[1])).await.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(120));
    receiver.faults().clear();
    assert_eq!(post(&receiver, body_for(&[2])).await.status(), 200);
}

#[tokio::test]
async fn max_body_bytes_gives_413() {
    let receiver = OtlpReceiver::start(ReceiverConfig::new().max_body_bytes(64)).unwrap();
    let big = body_for(&[1, 2, 3, 4, 5]);
    assert!(big.len() > 64);
    let resp = post(&receiver, big.clone()).await;
    assert_eq!(resp.status(), 413);
    assert_eq!(receiver.requests()[0].body_bytes, big.len());

    // The limit applies to the compressed size.
    let small = gzip(&export_request(vec![span(1)]).encode_to_vec());
    let receiver = OtlpReceiver::start(ReceiverConfig::new().max_body_bytes(small.len())).unwrap();
    let resp = client()
        .post(receiver.traces_url())
        .header("content-type", PROTOBUF)
        .header("content-encoding", "gzip")
        .body(small)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn shutdown_completes_while_a_request_hangs() {
    let receiver = start();
    receiver.faults().set_hang(true);
    let url = receiver.traces_url();
    let request = tokio::spawn(async move {
        client()
            .post(url)
            .header("content-type", PROTOBUF)
            .body(body_for(&[1]))
            .send()
            .await
            .map(|r| r.status().as_u16())
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!request.is_finished());

    let started = Instant::now();
    receiver.shutdown();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(
        request.await.unwrap().is_err(),
        "the hanging request is aborted"
    );
}

#[test]
fn wait_for_unique_spans_returns_false_on_timeout() {
    let receiver = start();
    let started = Instant::now();
    assert!(!receiver.wait_for_unique_spans(1, Duration::from_millis(100)));
    assert!(started.elapsed() >= Duration::from_millis(100));
    assert!(receiver.wait_for_unique_spans(0, Duration::from_millis(1)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_for_unique_spans_wakes_up_when_spans_arrive() {
    let receiver = std::sync::Arc::new(start());
    let waiter = {
        let receiver = std::sync::Arc::clone(&receiver);
        tokio::task::spawn_blocking(move || {
            receiver.wait_for_unique_spans(2, Duration::from_secs(5))
        })
    };
    assert_eq!(post(&receiver, body_for(&[1, 2])).await.status(), 200);
    assert!(waiter.await.unwrap());
}

#[tokio::test]
async fn without_records_the_receiver_still_counts_unique_and_duplicate_spans() {
    let r = OtlpReceiver::start(ReceiverConfig::new().keep_records(false)).unwrap();
    assert_eq!(post(&r, body_for(&[1, 2, 3])).await.status(), 200);
    assert_eq!(post(&r, body_for(&[3, 4])).await.status(), 200);
    let stats = r.stats();
    assert_eq!(stats.unique_spans, 4);
    assert_eq!(stats.duplicate_spans, 1);
    assert_eq!(stats.accepted_requests, 2);
    assert!(r.wait_for_unique_spans(4, Duration::from_secs(1)));
    assert!(r.spans().is_empty(), "no decoded span is kept");
    assert!(r.requests().is_empty(), "no request record is kept");
}

#[tokio::test]
async fn a_throttle_ratio_answers_429_with_retry_after_and_counts_no_span() {
    let r = start();
    r.faults().set_throttle_ratio(1.0, "2");
    let response = post(&r, body_for(&[1])).await;
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "2");
    assert_eq!(r.stats().unique_spans, 0);
    assert_eq!(r.requests()[0].fault.as_deref(), Some("throttle"));

    r.faults().clear();
    assert_eq!(post(&r, body_for(&[1])).await.status(), 200);
    assert_eq!(r.stats().unique_spans, 1);
}

#[tokio::test]
async fn without_records_a_span_id_of_the_wrong_length_is_still_refused_with_400() {
    let r = OtlpReceiver::start(ReceiverConfig::new().keep_records(false)).unwrap();
    let mut bad = span(1);
    bad.span_id = vec![1, 2, 3, 4];
    let response = post(&r, export_request(vec![bad]).encode_to_vec()).await;
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("span_id length 4"));
    assert_eq!(r.stats().unique_spans, 0);
    assert_eq!(
        post(&r, b"\xff\xff not protobuf".to_vec()).await.status(),
        400
    );
}

#[tokio::test]
async fn a_failure_ratio_fails_about_that_share_of_requests() {
    let r = start();
    r.faults().set_seed(1);
    r.faults().set_failure_ratio(0.3, 503);
    let mut failed = 0;
    for i in 0..200u8 {
        let id = i + 1;
        if post(&r, body_for(&[id])).await.status() == 503 {
            failed += 1;
        }
    }
    // Binomial(200, 0.3): mean 60, standard deviation about 6.5.
    assert!((35..=85).contains(&failed), "{failed} of 200 failed");
}
