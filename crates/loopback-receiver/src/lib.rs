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
mod record;
mod server;

use std::collections::HashSet;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::{Arc, PoisonError, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::oneshot;

pub use config::ReceiverConfig;
pub use faults::{Faults, ScriptedResponse};
pub use record::{ReceivedSpan, ReceiverStats, RequestRecord};

use server::{App, Shared};

/// A running OTLP/HTTP receiver bound to `127.0.0.1` on an ephemeral port.
///
/// Dropping it (or calling [`shutdown`](OtlpReceiver::shutdown)) stops the server and
/// joins its thread; requests still in flight (e.g. hanging) are aborted.
pub struct OtlpReceiver {
    name: String,
    addr: SocketAddr,
    traces_path: String,
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
            .spawn(move || serve(listener, app, shutdown_rx, ready_tx))?;

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
            shared,
            shutdown_tx: Some(shutdown_tx),
            thread: Some(thread),
        })
    }

    /// The configured name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Base URL, `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
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

/// Body of the server thread.
fn serve(
    listener: TcpListener,
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
    let _ = ready_tx.send(Ok(()));

    runtime.block_on(async move {
        tokio::select! {
            res = axum::serve(listener, router).into_future() => {
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
