//! The push exporter behind [`InstanaMetrics`](super::InstanaMetrics): encodes the SDK's
//! metrics with `opentelemetry-proto` and POSTs them to `/v1/metrics` through core's transport.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use genai_telemetry_core::ExportOutcome;
use genai_telemetry_core::destination::HttpTransport;
use genai_telemetry_core::destination::gzip;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::metrics::Temporality;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use prost::Message;
use serde::Serialize;

/// Counters of the metrics export.
#[derive(Debug, Default)]
pub(crate) struct ExportCounters {
    pub(crate) exports_ok: AtomicU64,
    pub(crate) exports_failed: AtomicU64,
    pub(crate) last_error: Mutex<Option<String>>,
}

/// A point-in-time copy of the metrics export counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MetricsExportStats {
    /// Export requests answered with 2xx.
    pub exports_ok: u64,
    /// Export requests that failed (the next export carries the same cumulative totals,
    /// so a failed export loses resolution, not counts).
    pub exports_failed: u64,
    /// The most recent failure, with the destination and cause.
    pub last_error: Option<String>,
}

impl ExportCounters {
    pub(crate) fn snapshot(&self) -> MetricsExportStats {
        MetricsExportStats {
            exports_ok: self.exports_ok.load(Ordering::Relaxed),
            exports_failed: self.exports_failed.load(Ordering::Relaxed),
            last_error: self.last_error.lock().ok().and_then(|e| e.clone()),
        }
    }
}

/// OTLP/HTTP protobuf metrics exporter. The SDK's periodic reader calls it from its own
/// thread; the request itself runs on a one-thread runtime owned by the exporter, so the
/// exporter works whatever executor polls it and never touches the application's runtime.
pub(crate) struct OtlpMetricExporter {
    transport: HttpTransport,
    runtime: Option<tokio::runtime::Runtime>,
    counters: std::sync::Arc<ExportCounters>,
    shut_down: AtomicBool,
}

impl std::fmt::Debug for OtlpMetricExporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OtlpMetricExporter")
            .field("url", &self.transport.url().as_str())
            .finish_non_exhaustive()
    }
}

impl OtlpMetricExporter {
    pub(crate) fn new(
        transport: HttpTransport,
        counters: std::sync::Arc<ExportCounters>,
    ) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("genai-telemetry-metrics")
            .enable_all()
            .build()?;
        Ok(Self {
            transport,
            runtime: Some(runtime),
            counters,
            shut_down: AtomicBool::new(false),
        })
    }

    fn record_failure(&self, reason: String) -> OTelSdkError {
        self.counters.exports_failed.fetch_add(1, Ordering::Relaxed);
        tracing::warn!("GenAI metrics export failed: {reason}");
        if let Ok(mut slot) = self.counters.last_error.lock() {
            *slot = Some(reason.clone());
        }
        OTelSdkError::InternalFailure(reason)
    }
}

impl PushMetricExporter for OtlpMetricExporter {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        if self.shut_down.load(Ordering::Relaxed) {
            return Err(OTelSdkError::AlreadyShutdown);
        }
        let Some(runtime) = self.runtime.as_ref() else {
            return Err(OTelSdkError::AlreadyShutdown);
        };
        let raw = ExportMetricsServiceRequest::from(metrics).encode_to_vec();
        let send = self.transport.post(Bytes::from(gzip(&raw)), true);
        let outcome = match runtime.spawn(send).await {
            Ok(outcome) => outcome,
            Err(e) => return Err(self.record_failure(format!("metrics export task: {e}"))),
        };
        match outcome {
            ExportOutcome::Delivered => {
                self.counters.exports_ok.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            ExportOutcome::Transient { reason, .. }
            | ExportOutcome::Throttled { reason, .. }
            | ExportOutcome::Rejected { reason, .. }
            | ExportOutcome::TooLarge { reason }
            | ExportOutcome::Unauthorized { reason, .. } => Err(self.record_failure(reason)),
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        self.shut_down.store(true, Ordering::Relaxed);
        Ok(())
    }

    /// Cumulative: every export carries the totals since start, so a failed export is
    /// made good by the next one.
    fn temporality(&self) -> Temporality {
        Temporality::Cumulative
    }
}

impl Drop for OtlpMetricExporter {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which panics inside async code; this does not block.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
