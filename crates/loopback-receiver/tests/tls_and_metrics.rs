//! The receiver's optional modes: OTLP metrics on a second path, and HTTPS with a
//! certificate from a CA generated in the test.
#![allow(clippy::unwrap_used, missing_docs)]

use std::time::Duration;

use genai_telemetry_receiver::{OtlpReceiver, ReceiverConfig, TestCa};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::metrics::v1::{Metric, ResourceMetrics, ScopeMetrics};
use prost::Message;

fn metrics_body() -> Vec<u8> {
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            scope_metrics: vec![ScopeMetrics {
                metrics: vec![Metric {
                    name: "gen_ai.client.token.usage".into(),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
    .encode_to_vec()
}

#[tokio::test]
async fn metrics_are_accepted_and_decoded_on_the_metrics_path_only_when_configured() {
    let plain = OtlpReceiver::start(ReceiverConfig::new()).unwrap();
    let with_metrics =
        OtlpReceiver::start(ReceiverConfig::new().metrics_path("v1/metrics")).unwrap();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let refused = client
        .post(format!("{}/v1/metrics", plain.endpoint()))
        .header("content-type", "application/x-protobuf")
        .body(metrics_body())
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 404);
    let accepted = client
        .post(with_metrics.metrics_url().unwrap())
        .header("content-type", "application/x-protobuf")
        .body(metrics_body())
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 200);
    let metrics = with_metrics.metrics();
    assert_eq!(metrics.len(), 1);
    assert_eq!(
        metrics[0].resource_metrics[0].scope_metrics[0].metrics[0].name,
        "gen_ai.client.token.usage"
    );
    assert_eq!(with_metrics.stats().unique_spans, 0);
    assert!(with_metrics.wait_for_metrics_requests(1, Duration::from_secs(1)));
}

#[tokio::test]
async fn https_is_served_with_the_given_certificate_and_trusted_through_its_ca() {
    let ca = TestCa::generate("receiver test CA").unwrap();
    let receiver =
        OtlpReceiver::start(ReceiverConfig::new().tls(&ca.server_cert_pem, &ca.server_key_pem))
            .unwrap();
    assert!(receiver.endpoint().starts_with("https://127.0.0.1:"));
    let body = ExportTraceServiceRequest::default().encode_to_vec();

    let untrusting = reqwest::Client::builder().no_proxy().build().unwrap();
    let refused = untrusting
        .post(receiver.traces_url())
        .header("content-type", "application/x-protobuf")
        .body(body.clone())
        .send()
        .await;
    assert!(refused.is_err(), "a client without the CA must refuse");

    let trusting = reqwest::Client::builder()
        .no_proxy()
        .tls_certs_merge(reqwest::Certificate::from_pem_bundle(ca.ca_cert_pem.as_bytes()).unwrap())
        .build()
        .unwrap();
    let accepted = trusting
        .post(receiver.traces_url())
        .header("content-type", "application/x-protobuf")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 200);
    assert_eq!(receiver.stats().accepted_requests, 1);
}
