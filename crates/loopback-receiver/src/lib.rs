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
//! hang, latency, outage (503) and failure ratio; required headers (401/400);
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
mod record;
mod server;
#[cfg(feature = "test-ca")]
mod test_ca;
mod tls;

use std::collections::HashSet;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::{Arc, PoisonError, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use tokio::sync::oneshot;

pub use config::ReceiverConfig;
pub use faults::{Faults, ScriptedResponse};
pub use record::{ReceivedSpan, ReceiverStats, RequestRecord};
#[cfg(feature = "test-ca")]
pub use test_ca::TestCa;

use server::{App, Shared};

/// A running OTLP/HTTP receiver bound to `127.0.0.1` on an ephemeral port.
///
/// Dropping it (or calling [`shutdown`](OtlpReceiver::shutdown)) stops the server and
/// joins its thread; requests still in flight (e.g. hanging) are aborted.
pub struct OtlpReceiver {
    name: String,
    addr: SocketAddr,
    traces_path: String,
    metrics_path: Option<String>,
    scheme: &'static str,
    shared: Arc<Shared>,
    shutdown_tx: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl fmt::Debug for OtlpReceiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtlpReceiver")
            .field("name", &self.name)
            .field("addr", &self.addr)
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
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;

        let shared = Arc::new(Shared::new());
        let app = App {
            shared: Arc::clone(&shared),
            config: Arc::new(config.clone()),
        };
        let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
        let (ready_tx, ready_rx) = mpsc::channel::<std::io::Result<()>>();
        let name = config.name.clone();

        let thread = std::thread::Builder::new()
            .name(format!("otlp-receiver-{name}"))
            .spawn(move || serve(listener, acceptor, app, shutdown_rx, ready_tx))?;

        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                let _ = thread.join();
                return Err(e);
            }
            Err(_) => {
                let _ = thread.join();
                return Err(std::io::Error::other(
                    "receiver thread exited before listening",
                ));
            }
        }
        tracing::debug!(receiver = %name, %addr, "OTLP receiver listening");

        Ok(OtlpReceiver {
            name,
            addr,
            traces_path: config.traces_path,
            metrics_path: config.metrics_path,
            scheme: if config.tls.is_some() {
                "https"
            } else {
                "http"
            },
            shared,
            shutdown_tx: Some(shutdown_tx),
            thread: Some(thread),
        })
    }

    /// The configured name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Base URL, `http://127.0.0.1:PORT` (`https://` when serving TLS).
    pub fn endpoint(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// Base URL naming the host `localhost` instead of `127.0.0.1` (for certificates
    /// issued to `localhost`).
    pub fn localhost_endpoint(&self) -> String {
        format!("{}://localhost:{}", self.scheme, self.addr.port())
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

    fn stop(&mut self) {
        if let Some(tx) = self.shutdown_tx.take() {
            // Err only if the server already stopped.
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!(receiver = %self.name, "OTLP receiver thread panicked");
        }
    }
}

impl Drop for OtlpReceiver {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The listener the server runs on.
enum Either {
    Plain(tokio::net::TcpListener),
    Tls(tls::TlsListener),
}

/// Body of the server thread.
fn serve(
    listener: TcpListener,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    app: App,
    shutdown_rx: oneshot::Receiver<()>,
    ready_tx: mpsc::Sender<std::io::Result<()>>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = ready_tx.send(Err(e));
            return;
        }
    };
    let listener = {
        let _guard = runtime.enter();
        tokio::net::TcpListener::from_std(listener)
    };
    let listener = match listener {
        Ok(l) => l,
        Err(e) => {
            let _ = ready_tx.send(Err(e));
            return;
        }
    };
    let name = app.config.name.clone();
    let router = axum::Router::new().fallback(server::handle).with_state(app);
    let listener = match acceptor {
        None => Either::Plain(listener),
        Some(acceptor) => {
            let _guard = runtime.enter();
            match tls::TlsListener::new(listener, acceptor) {
                Ok(l) => Either::Tls(l),
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            }
        }
    };
    let _ = ready_tx.send(Ok(()));

    runtime.block_on(async move {
        let served = async move {
            match listener {
                Either::Tls(tls) => axum::serve(tls, router).into_future().await,
                Either::Plain(plain) => axum::serve(plain, router).into_future().await,
            }
        };
        tokio::select! {
            res = served => {
                if let Err(e) = res {
                    tracing::error!(receiver = %name, "OTLP receiver stopped: {e}");
                }
            }
            _ = shutdown_rx => {}
        }
    });
    // Dropping the runtime aborts every connection task, including hanging requests.
    drop(runtime);
}
