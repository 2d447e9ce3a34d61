//! GenAI client metrics for Instana (its GenAI dashboards read metrics, not only spans): a
//! meter provider whose histograms use the semconv bucket boundaries, exported to `/v1/metrics`.
//!
//! Recording is in memory on the caller's thread (no I/O); a background reader exports
//! the cumulative totals every `INSTANA_METRICS_EXPORT_INTERVAL` to
//! `{INSTANA_ENDPOINT}/v1/metrics`, with the same headers and TLS as the traces.
//!
//! ```no_run
//! use genai_telemetry_core::BridgeConfig;
//! use genai_telemetry_instana::InstanaMetrics;
//! use opentelemetry::KeyValue;
//! use opentelemetry_sdk::Resource;
//!
//! let config = BridgeConfig::builder().instana("http://localhost:4318").build()?;
//! let resource = Resource::builder().with_service_name("checkout-assistant").build();
//! let metrics = InstanaMetrics::new(config.instana.as_ref().unwrap(), &config.pipeline, resource)?;
//! let tokens = metrics.meter().u64_histogram("gen_ai.client.token.usage").build();
//! tokens.record(52, &[
//!     KeyValue::new("gen_ai.operation.name", "chat"),
//!     KeyValue::new("gen_ai.provider.name", "openai"),
//!     KeyValue::new("gen_ai.token.type", "input"),
//! ]);
//! metrics.shutdown();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod exporter;

use std::sync::Arc;

use genai_telemetry_core::config::InstanaSettings;
use genai_telemetry_core::destination::{HttpTransport, HttpTransportSettings};
use genai_telemetry_core::{BridgeError, PipelineSettings};
use http::header::HeaderName;
use opentelemetry::metrics::{Meter, MeterProvider as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::{
    Aggregation, Instrument, PeriodicReader, SdkMeterProvider, Stream,
};

pub use exporter::MetricsExportStats;

use crate::destination::{INSTANA_HOST_HEADER, host_header, instana_headers};
use crate::view::HOST_IDENTIFYING_RESOURCE_ATTRIBUTES;

/// `gen_ai.client.token.usage`: histogram of tokens per call (`{token}`).
pub const TOKEN_USAGE: &str = "gen_ai.client.token.usage";
/// `gen_ai.client.operation.duration`: histogram of call durations (`s`).
pub const OPERATION_DURATION: &str = "gen_ai.client.operation.duration";
/// `gen_ai.client.operation.time_to_first_chunk`: histogram for streamed calls (`s`).
pub const TIME_TO_FIRST_CHUNK: &str = "gen_ai.client.operation.time_to_first_chunk";

/// Bucket boundaries of `gen_ai.client.token.usage` (semconv v1.41).
pub const TOKEN_USAGE_BUCKETS: [f64; 14] = [
    1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0, 1048576.0, 4194304.0,
    16777216.0, 67108864.0,
];

/// Bucket boundaries of the duration and time-to-first-chunk histograms (semconv v1.41).
pub const DURATION_BUCKETS: [f64; 14] = [
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];

/// Name of the meter [`InstanaMetrics::meter`] hands out.
pub const METER_NAME: &str = "genai-telemetry";

/// The GenAI metrics pipeline to Instana: an `SdkMeterProvider` with a periodic reader and
/// an OTLP/HTTP exporter. Record through [`meter`](Self::meter) (or hand
/// [`meter_provider`](Self::meter_provider) to the instrumentation); the three GenAI
/// histograms get the semconv bucket boundaries whatever the instrument asked for.
#[derive(Debug, Clone)]
pub struct InstanaMetrics {
    provider: SdkMeterProvider,
    counters: Arc<exporter::ExportCounters>,
    url: url::Url,
}

impl InstanaMetrics {
    /// Starts the reader thread and the exporter; sends nothing until the first interval
    /// (or [`force_flush`](Self::force_flush)). Headers follow the traces: `x-instana-key`
    /// when a key is set; `x-instana-host` in agentless mode unless `resource` carries
    /// `host.id`, `faas.id` or `device.id`.
    pub fn new(
        settings: &InstanaSettings,
        pipeline: &PipelineSettings,
        resource: Resource,
    ) -> Result<Self, BridgeError> {
        let mut headers = instana_headers(settings)?;
        let identifies_host = HOST_IDENTIFYING_RESOURCE_ATTRIBUTES.iter().any(|k| {
            resource
                .get(&opentelemetry::Key::from_static_str(k))
                .is_some()
        });
        if !identifies_host && let Some(host) = host_header(settings)? {
            headers.insert(HeaderName::from_static(INSTANA_HOST_HEADER), host);
        }
        let url = settings.metrics_url();
        let transport = HttpTransport::new(HttpTransportSettings {
            destination: format!("{} metrics", settings.name),
            url: url.clone(),
            headers,
            tls: settings.tls.clone(),
            timeout: pipeline.export_timeout,
        })?;
        let counters = Arc::new(exporter::ExportCounters::default());
        let exporter = exporter::OtlpMetricExporter::new(transport, Arc::clone(&counters))
            .map_err(|e| BridgeError::ExportThread(e.to_string()))?;
        let reader = PeriodicReader::builder(exporter)
            .with_interval(settings.metrics.export_interval)
            .build();
        let provider = SdkMeterProvider::builder()
            .with_resource(resource)
            .with_reader(reader)
            .with_view(semconv_buckets)
            .build();
        Ok(Self {
            provider,
            counters,
            url,
        })
    }

    /// The meter provider (e.g. for `opentelemetry::global::set_meter_provider`).
    pub fn meter_provider(&self) -> &SdkMeterProvider {
        &self.provider
    }

    /// A meter named `genai-telemetry` on this provider.
    pub fn meter(&self) -> Meter {
        self.provider.meter(METER_NAME)
    }

    /// Where the metrics go (`{endpoint}/v1/metrics`).
    pub fn endpoint(&self) -> &url::Url {
        &self.url
    }

    /// Exports what was recorded now and waits for the answer.
    pub fn force_flush(&self) -> OTelSdkResult {
        self.provider.force_flush()
    }

    /// Exports a last time and stops the reader thread. Call it from outside async code,
    /// or through `spawn_blocking` (it waits for the export).
    pub fn shutdown(&self) -> OTelSdkResult {
        self.provider.shutdown()
    }

    /// Export counters and the last failure.
    pub fn stats(&self) -> MetricsExportStats {
        self.counters.snapshot()
    }
}

/// The semconv bucket boundaries for the three GenAI histograms.
fn semconv_buckets(instrument: &Instrument) -> Option<Stream> {
    let boundaries = match instrument.name() {
        TOKEN_USAGE => TOKEN_USAGE_BUCKETS.to_vec(),
        OPERATION_DURATION | TIME_TO_FIRST_CHUNK => DURATION_BUCKETS.to_vec(),
        _ => return None,
    };
    Stream::builder()
        .with_aggregation(Aggregation::ExplicitBucketHistogram {
            boundaries,
            record_min_max: true,
        })
        .build()
        .ok()
}
