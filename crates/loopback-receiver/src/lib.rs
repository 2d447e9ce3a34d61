//! A real OTLP/HTTP (protobuf) trace receiver on `127.0.0.1`, standing in for Langfuse,
//! Instana or a generic collector in integration tests, the demo and the benchmark.
//!
//! A span counts as *delivered* when this receiver decoded it and answered 2xx. The
//! receiver checks what real servers check (path, method, required headers, content
//! type, gzip, body size, protobuf decoding, ID lengths) and can inject faults
//! ([`Faults`]). It runs on its own thread with its own Tokio runtime, so it works from
//! plain `#[test]`s as well as from any Tokio runtime.
//!
//! Request handling order: path (404) and method (405); queued scripted responses;
//! hang, latency, outage (503), failure ratio and throttling (429); required headers (401/400);
//! `Content-Type` / `Content-Encoding` (415); body size (413); gzip and protobuf
//! decoding, span/trace ID lengths (400); accept (200, empty `ExportTraceServiceResponse`).
//!
//! Optionally it also takes OTLP metrics on a second path
//! ([`ReceiverConfig::metrics_path`], decoded into [`OtlpReceiver::metrics`]) and serves
//! HTTPS with a given certificate ([`ReceiverConfig::tls`]).
//!
//! ```no_run
//! use std::time::Duration;
//! use genai_telemetry_receiver::{OtlpReceiver, ReceiverConfig, ScriptedResponse};
//!
//! let langfuse = OtlpReceiver::start(
//!     ReceiverConfig::new()
//!         .name("langfuse")
//!         .traces_path("/api/public/otel/v1/traces")
//!         .require_header("authorization", "Basic cGs6c2s="),
//! )?;
//! langfuse.faults().respond_next(1, ScriptedResponse::status(429).retry_after("1"));
//! // ... point an exporter at `langfuse.endpoint()` and send spans ...
//! assert!(langfuse.wait_for_unique_spans(10, Duration::from_secs(5)));
//! let stats = langfuse.stats();
//! assert_eq!(stats.duplicate_spans, 0);
//! # Ok::<(), std::io::Error>(())
//! ```

mod config;
mod faults;
/// GenAI span fixtures and receiver helpers for tests (feature `genai-fixtures`).
#[cfg(feature = "genai-fixtures")]
pub mod fixtures;
/// A mock LLM server (OpenAI-compatible and Bedrock shapes) for the bench and examples
/// (feature `mock-llm`).
#[cfg(feature = "mock-llm")]
pub mod mock_llm;
mod record;
mod server;
#[cfg(feature = "test-ca")]
mod test_ca;
mod thread;
mod tls;

use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;

pub use config::ReceiverConfig;
pub use faults::{Faults, ScriptedResponse, SplitMix64};
pub use record::{ReceivedSpan, ReceiverStats, RequestRecord};
#[cfg(feature = "test-ca")]
pub use test_ca::TestCa;

use server::{App, Shared};
use thread::ServerThread;

/// A running OTLP/HTTP receiver bound to `127.0.0.1` on an ephemeral port.
///
/// Dropping it (or calling [`shutdown`](OtlpReceiver::shutdown)) stops the server and
/// joins its thread; requests still in flight (e.g. hanging) are aborted.
pub struct OtlpReceiver {
    name: String,
    traces_path: String,
    metrics_path: Option<String>,
    scheme: &'static str,
    shared: Arc<Shared>,
    server: ServerThread,
}

impl fmt::Debug for OtlpReceiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtlpReceiver")
            .field("name", &self.name)
            .field("addr", &self.server.addr())
            .field("traces_path", &self.traces_path)
            .finish_non_exhaustive()
    }
}

impl OtlpReceiver {
    /// Binds `127.0.0.1:0`, starts the server thread and returns once it is listening.
    ///
    /// Synchronous: may be called from inside or outside a Tokio runtime.
    pub fn start(config: ReceiverConfig) -> std::io::Result<OtlpReceiver> {
        let acceptor = config.tls.as_ref().map(tls::acceptor).transpose()?;
        let shared = Arc::new(Shared::new());
        let app = App {
            shared: Arc::clone(&shared),
            config: Arc::new(config.clone()),
        };
        let router = axum::Router::new().fallback(server::handle).with_state(app);
        let server =
            ServerThread::start(&format!("otlp-receiver-{}", config.name), acceptor, router)?;
        tracing::debug!(receiver = %config.name, addr = %server.addr(), "OTLP receiver listening");

        Ok(OtlpReceiver {
            name: config.name,
            traces_path: config.traces_path,
            metrics_path: config.metrics_path,
            scheme: if config.tls.is_some() {
                "https"
            } else {
                "http"
            },
            shared,
            server,
        })
    }

    /// The configured name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Base URL, `http://127.0.0.1:PORT` (`https://` when serving TLS).
    pub fn endpoint(&self) -> String {
        format!("{}://{}", self.scheme, self.server.addr())
    }

    /// Base URL naming the host `localhost` instead of `127.0.0.1` (for certificates
    /// issued to `localhost`).
    pub fn localhost_endpoint(&self) -> String {
        format!("{}://localhost:{}", self.scheme, self.server.addr().port())
    }

    /// Full metrics URL, when a metrics path is configured.
    pub fn metrics_url(&self) -> Option<String> {
        self.metrics_path
            .as_ref()
            .map(|path| format!("{}{path}", self.endpoint()))
    }

    /// Every accepted metrics request, decoded, in arrival order.
    pub fn metrics(&self) -> Vec<ExportMetricsServiceRequest> {
        self.shared.lock().metrics.clone()
    }

    /// Blocks until at least `n` metrics requests were accepted (`true`) or `timeout`
    /// elapsed (`false`).
    pub fn wait_for_metrics_requests(&self, n: usize, timeout: Duration) -> bool {
        let guard = self.shared.lock();
        let (guard, _) = self
            .shared
            .changed
            .wait_timeout_while(guard, timeout, |r| r.metrics.len() < n)
            .unwrap_or_else(PoisonError::into_inner);
        guard.metrics.len() >= n
    }

    /// Full traces URL: [`endpoint`](OtlpReceiver::endpoint) plus the traces path.
    pub fn traces_url(&self) -> String {
        format!("{}{}", self.endpoint(), self.traces_path)
    }

    /// Fault injection, adjustable while the server runs.
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// Snapshot of the counters.
    pub fn stats(&self) -> ReceiverStats {
        self.shared.lock().stats.clone()
    }

    /// Every span from accepted (2xx) requests, in arrival order, duplicates included.
    pub fn spans(&self) -> Vec<ReceivedSpan> {
        self.shared.lock().spans.clone()
    }

    /// Every request seen, with its outcome, in completion order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.lock().requests.clone()
    }

    /// Distinct span IDs accepted so far.
    pub fn unique_span_ids(&self) -> HashSet<[u8; 8]> {
        self.shared.lock().unique.clone()
    }

    /// Blocks until at least `n` unique spans were accepted (`true`) or `timeout`
    /// elapsed (`false`). Do not call it from a current-thread runtime that also drives
    /// the client sending the spans; use `spawn_blocking` there.
    pub fn wait_for_unique_spans(&self, n: usize, timeout: Duration) -> bool {
        let guard = self.shared.lock();
        let (guard, _) = self
            .shared
            .changed
            .wait_timeout_while(guard, timeout, |r| r.unique.len() < n)
            .unwrap_or_else(PoisonError::into_inner);
        guard.unique.len() >= n
    }

    /// Clears recorded spans, requests and stats (faults are kept).
    pub fn reset(&self) {
        *self.shared.lock() = record::Recorded::default();
        self.shared.changed.notify_all();
    }

    /// Stops the server and joins its thread (also done on drop). Hanging or
    /// otherwise in-flight requests are aborted, not awaited.
    pub fn shutdown(self) {
        drop(self);
    }
}
