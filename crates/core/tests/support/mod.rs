//! What the pipeline's integration tests share: fast settings, a pipeline with generic
//! OTLP destinations to loopback receivers, and a tracer provider feeding it.

#![allow(dead_code, clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use genai_telemetry_core::config::OtlpSettings;
use genai_telemetry_core::{
    BreakerSettings, BridgeConfig, Destination, OtlpDestination, Pipeline, PipelineSettings,
    RetrySettings,
};
use genai_telemetry_receiver::{OtlpReceiver, ReceiverConfig};
use opentelemetry::KeyValue;
use opentelemetry::trace::{Span, Tracer, TracerProvider};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;

/// Settings scaled down so that recovery happens in milliseconds, not minutes.
pub(crate) fn fast_settings() -> PipelineSettings {
    PipelineSettings {
        batch_timeout: Duration::from_millis(20),
        export_timeout: Duration::from_secs(2),
        breaker: BreakerSettings {
            failure_threshold: 3,
            recovery_window: Duration::from_millis(50),
            max_recovery_window: Duration::from_millis(200),
        },
        retry: RetrySettings {
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(40),
            max_retry_after: Duration::from_secs(2),
        },
        ..PipelineSettings::default()
    }
}

pub(crate) struct Harness {
    pub(crate) pipeline: Pipeline,
    pub(crate) provider: SdkTracerProvider,
}

pub(crate) fn start_pipeline(
    receivers: &[(&str, &OtlpReceiver)],
    settings: PipelineSettings,
) -> Pipeline {
    let destinations: Vec<Arc<dyn Destination>> = receivers
        .iter()
        .map(|(name, r)| {
            let config = BridgeConfig::builder()
                .otlp_traces_endpoint(r.traces_url())
                .build()
                .unwrap();
            let mut otlp: OtlpSettings = config.otlp.unwrap();
            otlp.name = (*name).to_owned();
            Arc::new(OtlpDestination::new(&otlp, settings.export_timeout).unwrap())
                as Arc<dyn Destination>
        })
        .collect();
    let resource = Resource::builder()
        .with_service_name("pipeline-test")
        .build();
    Pipeline::start(destinations, settings, &resource).unwrap()
}

impl Harness {
    pub(crate) fn new(receivers: &[(&str, &OtlpReceiver)], settings: PipelineSettings) -> Self {
        let pipeline = start_pipeline(receivers, settings);
        let provider = SdkTracerProvider::builder()
            .with_span_processor(pipeline.processor())
            .build();
        Self { pipeline, provider }
    }

    pub(crate) fn emit(&self, n: usize) {
        let tracer = self.provider.tracer("pipeline-test");
        for i in 0..n {
            let mut span = tracer.start(format!("chat gpt-4o #{i}"));
            span.set_attribute(KeyValue::new("gen_ai.request.model", "gpt-4o"));
            span.set_attribute(KeyValue::new("gen_ai.usage.input_tokens", 12_i64));
            span.end();
        }
    }

    pub(crate) fn stat(&self, name: &str) -> genai_telemetry_core::DestinationSnapshot {
        self.pipeline.stats().destination(name).unwrap().clone()
    }
}

pub(crate) fn receiver(name: &str) -> OtlpReceiver {
    OtlpReceiver::start(ReceiverConfig::new().name(name)).unwrap()
}

/// Polls until `done` holds; the generous bound only guards against hanging forever.
pub(crate) fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}
