//! The seam between the pipeline and a back end. A [`Destination`] names itself, applies its
//! *view* to an OTLP request, and sends encoded bytes; the pipeline knows nothing more of it.

mod encode;
mod otlp_http;

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;

pub use encode::resource_to_proto;
pub use encode::{BatchEncoder, EncodedBatch, decode_request, gzip, spans_to_request, split_batch};
pub use otlp_http::{HttpTransport, HttpTransportSettings, OtlpDestination};

use crate::resilience::ExportOutcome;

/// A boxed, sendable future, as returned by [`Destination::send`].
pub type SendFuture = Pin<Box<dyn Future<Output = ExportOutcome> + Send + 'static>>;

/// Default bound on one request's uncompressed protobuf size (Langfuse Cloud accepts 5 MB
/// per request; 4 MiB also stays under the common 4 MiB gRPC/OTLP server default).
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 4 * 1024 * 1024;

/// A back end that receives OTLP traces: Langfuse, Instana, a Collector, Phoenix...
///
/// Implementations are cheap to share (`Arc<dyn Destination>`). `send` is called from the
/// export runtime, never from the application's threads, and at most once at a time per
/// destination.
pub trait Destination: Send + Sync + fmt::Debug + 'static {
    /// Short, stable name used in stats, logs and diagnostics (`langfuse`, `instana`, `otlp`).
    fn name(&self) -> &str;

    /// Rewrites one request into what this back end should receive (attribute mapping,
    /// redaction). Called once per batch, off the application's threads. Default: unchanged.
    fn apply_view(&self, request: &mut ExportTraceServiceRequest) {
        let _ = request;
    }

    /// Whether bodies are gzip-compressed before sending (default: yes).
    fn gzip(&self) -> bool {
        true
    }

    /// Upper bound on one request's uncompressed protobuf size; larger batches are split.
    fn max_request_bytes(&self) -> usize {
        DEFAULT_MAX_REQUEST_BYTES
    }

    /// Sends one encoded request and classifies the answer. Must not panic and must end
    /// (implementations apply a timeout).
    fn send(&self, batch: &EncodedBatch) -> SendFuture;

    /// Where this destination sends, for diagnostics (no secrets).
    fn endpoint(&self) -> String;
}

/// Payload bytes for an [`EncodedBatch`] as sent on the wire.
pub(crate) fn body_of(batch: &EncodedBatch) -> Bytes {
    batch.body.clone()
}
