//! A real bridge for the tests: loopback receiver, OTLP destination, pipeline, tracer
//! provider with the counting sampler, and helpers to call the router and read its answers.

#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use genai_telemetry_core::pipeline::ledger::DeliveryStatus;
use genai_telemetry_core::sampling::CountingSampler;
use genai_telemetry_core::{
    BridgeConfig, BridgeConfigBuilder, Destination, OtlpDestination, Pipeline,
};
use genai_telemetry_diagnostics::{Diagnostics, DiagnosticsSettings};
use genai_telemetry_receiver::{OtlpReceiver, ReceiverConfig};
use http_body_util::BodyExt as _;
use opentelemetry::trace::{Span, SpanKind, Status, TraceContextExt, Tracer, TracerProvider};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use tower::ServiceExt as _;

/// What the OTLP receiver requires, so that the config carries a secret header.
pub const OTLP_SECRET: &str = "Bearer otlp-s3cret-value";
/// A valid diagnostics token.
pub const TOKEN: &str = "diag-token-0123456789abcdef";

pub struct Bridge {
    pub receiver: OtlpReceiver,
    pub pipeline: Pipeline,
    pub provider: SdkTracerProvider,
    pub sampler: CountingSampler,
    pub config: BridgeConfig,
}

impl Bridge {
    /// A bridge sending to a fresh receiver.
    pub fn start() -> Self {
        Self::start_with(ReceiverConfig::new().require_header("authorization", OTLP_SECRET))
    }

    pub fn start_with(receiver: ReceiverConfig) -> Self {
        Self::start_configured(receiver, |b| b)
    }

    /// Tail sampling on at rate 0: errors and traces slower than 3 s kept, the rest dropped.
    pub fn start_tail_sampling() -> Self {
        Self::start_configured(
            ReceiverConfig::new().require_header("authorization", OTLP_SECRET),
            |b| {
                b.sample_rate(0.0)
                    .tail_sampling(true)
                    .tail_keep_slower_than(Some(Duration::from_secs(3)))
            },
        )
    }

    pub fn start_configured(
        receiver: ReceiverConfig,
        configure: impl FnOnce(BridgeConfigBuilder) -> BridgeConfigBuilder,
    ) -> Self {
        let receiver = OtlpReceiver::start(receiver.name("otlp")).expect("receiver starts");
        let config = configure(BridgeConfig::builder())
            .service_name("diagnostics-test")
            .otlp_endpoint(receiver.endpoint())
            .otlp_header("authorization", OTLP_SECRET)
            .tune(|p| {
                p.batch_timeout = Duration::from_millis(20);
                p.retry.initial_backoff = Duration::from_millis(10);
                p.retry.max_backoff = Duration::from_millis(50);
            })
            .build()
            .expect("valid config");
        let otlp = config.otlp.as_ref().expect("otlp enabled");
        let destination: Arc<dyn Destination> = Arc::new(
            OtlpDestination::new(otlp, config.pipeline.export_timeout).expect("destination"),
        );
        let resource = Resource::builder()
            .with_service_name("diagnostics-test")
            .build();
        let pipeline = Pipeline::start(vec![destination], config.pipeline.clone(), &resource)
            .expect("pipeline starts");
        let sampler = CountingSampler::for_config(&config);
        let provider = SdkTracerProvider::builder()
            .with_resource(resource)
            .with_sampler(sampler.clone())
            .with_span_processor(pipeline.processor())
            .build();
        Self {
            receiver,
            pipeline,
            provider,
            sampler,
            config,
        }
    }

    pub fn tracer(&self) -> SdkTracer {
        self.provider.tracer("diagnostics-test")
    }

    pub fn diagnostics(&self, settings: DiagnosticsSettings) -> Diagnostics {
        Diagnostics::new(
            self.pipeline.clone(),
            self.config.clone(),
            Some(self.sampler.clone()),
            settings,
        )
    }

    pub fn router(&self, settings: DiagnosticsSettings) -> Router {
        self.diagnostics(settings).router()
    }

    /// Waits (bounded) until the ledger knows the trace as delivered everywhere.
    pub fn wait_delivered(&self, trace_id: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            self.pipeline.flush(Duration::from_secs(5));
            let delivered = self
                .pipeline
                .recent_traces(1000)
                .iter()
                .find(|t| t.trace_id == trace_id)
                .is_some_and(|t| {
                    t.delivery
                        .iter()
                        .all(|d| d.status == DeliveryStatus::Delivered)
                });
            if delivered {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "trace {trace_id} was not delivered: {:?}",
                self.pipeline.recent_traces(10)
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits (bounded) until `condition` holds on the pipeline.
    pub fn wait_until(&self, what: &str, condition: impl Fn(&Pipeline) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !condition(&self.pipeline) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        let _ = self.pipeline.shutdown(Duration::from_secs(2));
    }
}

/// An agent request with known timings (relative to ten seconds ago):
/// `handle_request` 0–3120 ms ⊃ `retrieve_context` 10–190 ms, `chat gpt-4o-mini` 200–3100 ms
/// (120 input / 42 output tokens, cost 0.0000432 USD). Returns the trace id.
pub fn agent_trace(tracer: &SdkTracer) -> String {
    let t0 = SystemTime::now() - Duration::from_secs(10);
    let at = |ms: u64| t0 + Duration::from_millis(ms);
    let root = tracer
        .span_builder("handle_request")
        .with_kind(SpanKind::Server)
        .with_start_time(at(0))
        .start(tracer);
    let cx = Context::new().with_span(root);
    let mut retrieve = tracer
        .span_builder("retrieve_context")
        .with_start_time(at(10))
        .start_with_context(tracer, &cx);
    retrieve.end_with_timestamp(at(190));
    let mut llm = tracer
        .span_builder("chat gpt-4o-mini")
        .with_kind(SpanKind::Client)
        .with_start_time(at(200))
        .with_attributes(vec![
            KeyValue::new("gen_ai.operation.name", "chat"),
            KeyValue::new("gen_ai.provider.name", "openai"),
            KeyValue::new("gen_ai.request.model", "gpt-4o-mini"),
            KeyValue::new("gen_ai.response.model", "gpt-4o-mini-2024-07-18"),
            KeyValue::new("gen_ai.usage.input_tokens", 120_i64),
            KeyValue::new("gen_ai.usage.output_tokens", 42_i64),
            KeyValue::new("gen_ai.usage.cost", 0.0000432),
        ])
        .start_with_context(tracer, &cx);
    llm.end_with_timestamp(at(3100));
    let trace_id = cx.span().span_context().trace_id().to_string();
    cx.span().end_with_timestamp(at(3120));
    trace_id
}

/// A one-span trace whose LLM call failed.
pub fn failed_call_trace(tracer: &SdkTracer) -> String {
    let mut span = tracer
        .span_builder("chat gpt-4o")
        .with_kind(SpanKind::Client)
        .with_attributes(vec![
            KeyValue::new("gen_ai.operation.name", "chat"),
            KeyValue::new("gen_ai.provider.name", "openai"),
            KeyValue::new("gen_ai.request.model", "gpt-4o"),
            KeyValue::new("error.type", "429"),
        ])
        .start(tracer);
    span.set_status(Status::error("rate limited"));
    let id = span.span_context().trace_id().to_string();
    span.end();
    id
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// One request through the router.
pub async fn call(router: &Router, method: &str, uri: &str, token: Option<&str>) -> Answer {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let response = router
        .clone()
        .oneshot(request.body(Body::empty()).expect("request"))
        .await
        .expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8(bytes.to_vec()).expect("utf-8"),
    }
}

/// One sample of a text exposition.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// Parses a Prometheus/OpenMetrics text exposition strictly: every line is a `# HELP`,
/// `# TYPE`, `# UNIT` or `# EOF` comment, or `name{label="value",...} value`; the
/// exposition ends with `# EOF`. Panics with the offending line otherwise.
pub fn parse_exposition(text: &str) -> Vec<Sample> {
    let mut samples = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.last(),
        Some(&"# EOF"),
        "exposition must end with # EOF"
    );
    for line in lines {
        if let Some(comment) = line.strip_prefix("# ") {
            let kind = comment.split(' ').next().unwrap_or_default();
            assert!(
                matches!(kind, "HELP" | "TYPE" | "UNIT" | "EOF"),
                "unexpected comment: {line}"
            );
            if kind == "TYPE" {
                let t = comment.rsplit(' ').next().unwrap_or_default();
                assert!(
                    matches!(t, "counter" | "gauge" | "histogram"),
                    "unexpected type: {line}"
                );
            }
            continue;
        }
        assert!(!line.is_empty(), "blank line in exposition");
        samples.push(parse_sample(line));
    }
    samples
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn parse_sample(line: &str) -> Sample {
    let name_end = line
        .find(['{', ' '])
        .unwrap_or_else(|| panic!("no value: {line}"));
    let name = &line[..name_end];
    assert!(is_name(name), "bad metric name in: {line}");
    let mut labels = BTreeMap::new();
    let mut rest = &line[name_end..];
    if let Some(inner) = rest.strip_prefix('{') {
        let mut chars = inner.char_indices().peekable();
        let mut key = String::new();
        let mut end = None;
        while let Some((i, c)) = chars.next() {
            match c {
                '}' if key.is_empty() => {
                    end = Some(i);
                    break;
                }
                ',' if key.is_empty() => {}
                '=' => {
                    assert!(is_name(&key), "bad label name {key:?} in: {line}");
                    assert_eq!(chars.next().map(|(_, c)| c), Some('"'), "in: {line}");
                    let mut value = String::new();
                    loop {
                        match chars.next() {
                            Some((_, '\\')) => match chars.next() {
                                Some((_, 'n')) => value.push('\n'),
                                Some((_, c)) => value.push(c),
                                None => panic!("unterminated escape in: {line}"),
                            },
                            Some((_, '"')) => break,
                            Some((_, c)) => value.push(c),
                            None => panic!("unterminated label value in: {line}"),
                        }
                    }
                    labels.insert(std::mem::take(&mut key), value);
                }
                c => key.push(c),
            }
        }
        let end = end.unwrap_or_else(|| panic!("unterminated labels in: {line}"));
        rest = &inner[end + 1..];
    }
    let value_text = rest
        .strip_prefix(' ')
        .unwrap_or_else(|| panic!("no space before the value in: {line}"));
    let value = match value_text {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        v => v
            .parse::<f64>()
            .unwrap_or_else(|_| panic!("bad value {v:?} in: {line}")),
    };
    Sample {
        name: name.to_owned(),
        labels,
        value,
    }
}

/// The value of the one sample with this name and (at least) these labels.
pub fn sample(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let found: Vec<&Sample> = samples
        .iter()
        .filter(|s| {
            s.name == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .collect();
    assert!(found.len() <= 1, "several samples match {name} {labels:?}");
    found.first().map(|s| s.value)
}
