//! GenAI metrics to Instana: the three client histograms arrive at `/v1/metrics` with the
//! semconv bucket boundaries, units and attributes, and with the acceptor's headers.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::*;
use genai_telemetry_core::config::InstanaMode;
use genai_telemetry_instana::InstanaMetrics;
use genai_telemetry_instana::metrics::{DURATION_BUCKETS, TOKEN_USAGE_BUCKETS};
use genai_telemetry_receiver::ReceiverConfig;
use opentelemetry::KeyValue;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::metrics::v1::{HistogramDataPoint, Metric, metric};

fn common_attributes() -> Vec<KeyValue> {
    vec![
        KeyValue::new("gen_ai.operation.name", "chat"),
        KeyValue::new("gen_ai.provider.name", "openai"),
        KeyValue::new("gen_ai.request.model", "gpt-4o"),
        KeyValue::new("gen_ai.response.model", "gpt-4o-2024-08-06"),
        KeyValue::new("server.address", "api.openai.com"),
        KeyValue::new("server.port", 443_i64),
    ]
}

/// Records one streamed chat call the way the instrumentation does, on instruments that
/// do not ask for any bucket boundaries: the provider's view must supply the spec's.
fn record_one_call(metrics: &InstanaMetrics) {
    let meter = metrics.meter();
    let tokens = meter
        .u64_histogram("gen_ai.client.token.usage")
        .with_unit("{token}")
        .build();
    let duration = meter
        .f64_histogram("gen_ai.client.operation.duration")
        .with_unit("s")
        .build();
    let ttfc = meter
        .f64_histogram("gen_ai.client.operation.time_to_first_chunk")
        .with_unit("s")
        .build();
    let with = |k: &'static str, v: &'static str| {
        let mut a = common_attributes();
        a.push(KeyValue::new(k, v));
        a
    };
    tokens.record(52, &with("gen_ai.token.type", "input"));
    tokens.record(47, &with("gen_ai.token.type", "output"));
    duration.record(1.7, &common_attributes());
    duration.record(0.3, &with("error.type", "rate_limit_exceeded"));
    ttfc.record(0.25, &common_attributes());
}

fn metric<'a>(request: &'a ExportMetricsServiceRequest, name: &str) -> &'a Metric {
    request
        .resource_metrics
        .iter()
        .flat_map(|r| &r.scope_metrics)
        .flat_map(|s| &s.metrics)
        .find(|m| m.name == name)
        .unwrap_or_else(|| panic!("no metric {name}"))
}

fn points(metric: &Metric) -> &[HistogramDataPoint] {
    match &metric.data {
        Some(metric::Data::Histogram(h)) => &h.data_points,
        other => panic!("{} is not a histogram: {other:?}", metric.name),
    }
}

fn attribute<'a>(point: &'a HistogramDataPoint, key: &str) -> Option<&'a Value> {
    point
        .attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|v| v.value.as_ref())
}

fn string(point: &HistogramDataPoint, key: &str) -> Option<String> {
    match attribute(point, key)? {
        Value::StringValue(s) => Some(s.clone()),
        _ => None,
    }
}

#[test]
fn genai_metrics_arrive_at_v1_metrics_with_the_semconv_buckets_and_attributes() {
    let receiver = start_receiver(ReceiverConfig::new().metrics_path("/v1/metrics"));
    let settings = settings(&receiver.endpoint());
    let metrics = InstanaMetrics::new(&settings, &fast_pipeline(), resource(&[])).unwrap();
    assert_eq!(
        metrics.endpoint().as_str(),
        format!("{}/v1/metrics", receiver.endpoint())
    );
    record_one_call(&metrics);
    metrics.force_flush().unwrap();

    let requests = receiver.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/v1/metrics");
    assert_eq!(requests[0].status, 200);
    assert_eq!(requests[0].content_encoding.as_deref(), Some("gzip"));
    let exported = receiver.metrics();
    let request = &exported[0];

    let tokens = metric(request, "gen_ai.client.token.usage");
    assert_eq!(tokens.unit, "{token}");
    let token_points = points(tokens);
    assert_eq!(token_points.len(), 2, "one series per token type");
    for point in token_points {
        assert_eq!(point.explicit_bounds, TOKEN_USAGE_BUCKETS);
        assert_eq!(point.count, 1);
        assert_eq!(
            string(point, "gen_ai.operation.name").as_deref(),
            Some("chat")
        );
        assert_eq!(
            string(point, "gen_ai.provider.name").as_deref(),
            Some("openai")
        );
        assert_eq!(
            string(point, "gen_ai.request.model").as_deref(),
            Some("gpt-4o")
        );
        assert_eq!(
            string(point, "gen_ai.response.model").as_deref(),
            Some("gpt-4o-2024-08-06")
        );
        assert_eq!(attribute(point, "server.port"), Some(&Value::IntValue(443)));
        let expected = match string(point, "gen_ai.token.type").as_deref() {
            Some("input") => 52.0,
            Some("output") => 47.0,
            other => panic!("token type {other:?}"),
        };
        assert_eq!(point.sum, Some(expected));
    }
    // The token bucket [16, 64) holds both samples: 52 and 47.
    let input = token_points
        .iter()
        .find(|p| string(p, "gen_ai.token.type").as_deref() == Some("input"))
        .unwrap();
    assert_eq!(input.bucket_counts[3], 1, "{:?}", input.bucket_counts);

    let duration = metric(request, "gen_ai.client.operation.duration");
    assert_eq!(duration.unit, "s");
    let duration_points = points(duration);
    assert_eq!(duration_points.len(), 2);
    for point in duration_points {
        assert_eq!(point.explicit_bounds, DURATION_BUCKETS);
    }
    assert!(
        duration_points
            .iter()
            .any(|p| string(p, "error.type").as_deref() == Some("rate_limit_exceeded"))
    );

    let ttfc = metric(request, "gen_ai.client.operation.time_to_first_chunk");
    let ttfc_points = points(ttfc);
    assert_eq!(ttfc_points.len(), 1);
    assert_eq!(ttfc_points[0].explicit_bounds, DURATION_BUCKETS);
    assert_eq!(ttfc_points[0].sum, Some(0.25));

    // The resource says who sent them.
    let resource = request.resource_metrics[0].resource.as_ref().unwrap();
    assert!(resource.attributes.iter().any(|kv| kv.key == "service.name"
        && kv.value.as_ref().and_then(|v| v.value.as_ref())
            == Some(&Value::StringValue("checkout-assistant".into()))));
    assert_eq!(metrics.stats().exports_ok, 1);
    metrics.shutdown().unwrap();
}

#[test]
fn agentless_metrics_carry_the_agent_key_and_host_headers() {
    let receiver = start_receiver(
        ReceiverConfig::new()
            .metrics_path("/v1/metrics")
            .require_header("x-instana-key", AGENT_KEY)
            .require_header("x-instana-host", "host-1"),
    );
    let mut settings = settings_with(&receiver.endpoint(), |b| {
        b.instana_api_key(AGENT_KEY).instana_host("host-1")
    });
    settings.mode = InstanaMode::Agentless;
    let metrics = InstanaMetrics::new(&settings, &fast_pipeline(), resource(&[])).unwrap();
    record_one_call(&metrics);
    metrics.force_flush().unwrap();
    assert_eq!(receiver.metrics().len(), 1);
    assert_eq!(receiver.stats().rejected_requests, 0);
    metrics.shutdown().unwrap();
}

#[test]
fn a_failed_metrics_export_is_counted_with_its_reason() {
    let receiver = start_receiver(
        ReceiverConfig::new()
            .metrics_path("/v1/metrics")
            .require_header("x-instana-key", AGENT_KEY),
    );
    // No key configured: the receiver answers 401.
    let metrics = InstanaMetrics::new(
        &settings(&receiver.endpoint()),
        &fast_pipeline(),
        resource(&[]),
    )
    .unwrap();
    record_one_call(&metrics);
    assert!(metrics.force_flush().is_err());
    let stats = metrics.stats();
    assert_eq!(stats.exports_failed, 1);
    assert!(stats.last_error.unwrap().contains("401"));
    metrics.shutdown().ok();
}
