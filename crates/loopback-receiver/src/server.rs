//! The axum handler: validation, fault injection, recording.

use std::io::Read;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::response::Response;
use flate2::read::MultiGzDecoder;
use http::header::{ALLOW, CONTENT_ENCODING, CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message;

use crate::config::ReceiverConfig;
use crate::faults::{Faults, Injected};
use crate::record::{ReceivedSpan, Recorded, RequestRecord, flatten};

/// State shared between the receiver handle and the server thread.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) recorded: Mutex<Recorded>,
    pub(crate) changed: Condvar,
    pub(crate) faults: Faults,
}

impl Shared {
    pub(crate) fn new() -> Self {
        Self {
            recorded: Mutex::new(Recorded::default()),
            changed: Condvar::new(),
            faults: Faults::new(),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Recorded> {
        self.recorded.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Axum state: the shared recording plus the immutable config.
#[derive(Debug, Clone)]
pub(crate) struct App {
    pub(crate) shared: Arc<Shared>,
    pub(crate) config: Arc<ReceiverConfig>,
}

/// The outcome of one request before it is turned into an HTTP response.
struct Reply {
    status: u16,
    body: Bytes,
    protobuf: bool,
    headers: Vec<(http::HeaderName, HeaderValue)>,
    fault: Option<&'static str>,
    decoded_spans: usize,
    /// Span IDs of an accepted request (always filled).
    span_ids: Vec<[u8; 8]>,
    /// Decoded spans, when records are kept.
    spans: Vec<ReceivedSpan>,
    metrics: Option<ExportMetricsServiceRequest>,
}

impl Reply {
    fn text(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            body: Bytes::from(body.into()),
            protobuf: false,
            headers: Vec::new(),
            fault: None,
            decoded_spans: 0,
            span_ids: Vec::new(),
            spans: Vec::new(),
            metrics: None,
        }
    }

    fn fault(mut self, fault: &'static str) -> Self {
        self.fault = Some(fault);
        self
    }
}

fn header_str(headers: &HeaderMap, name: http::HeaderName) -> Option<String> {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// Fallback handler for every request.
pub(crate) async fn handle(State(app): State<App>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();
    let body = axum::body::to_bytes(body, usize::MAX).await;
    let body_bytes = body.as_ref().map_or(0, Bytes::len);

    let reply = match body {
        Ok(body) => process(&app, &parts.method, &path, &parts.headers, &body).await,
        Err(e) => Reply::text(400, format!("failed to read request body: {e}")),
    };

    let record = RequestRecord {
        path,
        status: reply.status,
        content_type: header_str(&parts.headers, CONTENT_TYPE),
        content_encoding: header_str(&parts.headers, CONTENT_ENCODING),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body_bytes,
        span_count: reply.decoded_spans,
        fault: reply.fault.map(str::to_owned),
    };
    tracing::debug!(
        receiver = %app.config.name,
        path = %record.path,
        status = record.status,
        spans = record.span_count,
        fault = ?record.fault,
        "OTLP request"
    );
    {
        let mut recorded = app.shared.lock();
        recorded.record(
            record,
            &reply.span_ids,
            reply.spans,
            app.config.keep_records,
        );
        if let Some(metrics) = reply.metrics {
            recorded.metrics.push(metrics);
        }
    }
    app.shared.changed.notify_all();

    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let content_type = if reply.protobuf {
        "application/x-protobuf"
    } else {
        "text/plain; charset=utf-8"
    };
    let mut response = Response::new(Body::from(reply.body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    for (name, value) in reply.headers {
        headers.insert(name, value);
    }
    response
}

/// Steps 1-8 of request handling; see the crate docs.
async fn process(
    app: &App,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    body: &Bytes,
) -> Reply {
    let config = &app.config;
    let faults = &app.shared.faults;

    // 1. Routing.
    let metrics = config.metrics_path.as_deref() == Some(path);
    if path != config.traces_path && !metrics {
        return Reply::text(404, format!("no route for {path}"));
    }
    if method != Method::POST {
        let mut reply = Reply::text(405, format!("method {method} not allowed; use POST"));
        reply
            .headers
            .push((ALLOW, HeaderValue::from_static("POST")));
        return reply;
    }

    // 2. Scripted responses.
    if let Some(scripted) = faults.next_scripted() {
        let mut reply = Reply::text(scripted.status, scripted.body).fault("scripted");
        if let Some(retry_after) = scripted.retry_after {
            match HeaderValue::from_str(&retry_after) {
                Ok(v) => reply.headers.push((RETRY_AFTER, v)),
                Err(e) => tracing::warn!(%retry_after, "invalid Retry-After value: {e}"),
            }
        }
        return reply;
    }

    // 3. Hang, latency, outage, failure ratio.
    faults.wait_while_hung().await;
    let latency = faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match faults.check() {
        Some(Injected::Outage) => return Reply::text(503, "outage").fault("outage"),
        Some(Injected::Failure(status)) => {
            return Reply::text(status, "injected failure").fault("failure_ratio");
        }
        Some(Injected::Throttle(retry_after)) => {
            let mut reply = Reply::text(429, "injected rate limit").fault("throttle");
            match HeaderValue::from_str(&retry_after) {
                Ok(v) => reply.headers.push((RETRY_AFTER, v)),
                Err(e) => tracing::warn!(%retry_after, "invalid Retry-After value: {e}"),
            }
            return reply;
        }
        None => {}
    }

    // 4. Required headers.
    for (name, expected) in &config.required_headers {
        let status = if name == "authorization" || name == "x-instana-key" {
            401
        } else {
            400
        };
        match headers.get(name.as_str()) {
            None => return Reply::text(status, format!("missing required header {name}")),
            Some(v) if v.as_bytes() != expected.as_bytes() => {
                return Reply::text(status, format!("wrong value for header {name}"));
            }
            Some(_) => {}
        }
    }

    // 5. Content type and encoding.
    let Some(content_type) = headers.get(CONTENT_TYPE) else {
        return Reply::text(415, "missing Content-Type; expected application/x-protobuf");
    };
    let content_type = String::from_utf8_lossy(content_type.as_bytes());
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if !media_type.eq_ignore_ascii_case("application/x-protobuf") {
        return Reply::text(
            415,
            format!("unsupported Content-Type {content_type:?}; expected application/x-protobuf"),
        );
    }
    let gzip = match headers.get(CONTENT_ENCODING) {
        None => false,
        Some(v) => {
            let enc = String::from_utf8_lossy(v.as_bytes());
            let enc = enc.trim();
            if enc.eq_ignore_ascii_case("gzip") {
                true
            } else if enc.is_empty() || enc.eq_ignore_ascii_case("identity") {
                false
            } else {
                return Reply::text(
                    415,
                    format!("unsupported Content-Encoding {enc:?}; expected gzip or identity"),
                );
            }
        }
    };

    // 6. Size limit on the body as sent.
    if let Some(max) = config.max_body_bytes
        && body.len() > max
    {
        return Reply::text(
            413,
            format!(
                "request body of {} bytes exceeds limit of {max} bytes",
                body.len()
            ),
        );
    }

    let decompressed;
    let payload: &[u8] = if gzip {
        let mut out = Vec::new();
        if let Err(e) = MultiGzDecoder::new(body.as_ref()).read_to_end(&mut out) {
            return Reply::text(400, format!("invalid gzip body: {e}"));
        }
        decompressed = out;
        &decompressed
    } else {
        body
    };

    // 7. Decode and validate.
    if metrics {
        return match ExportMetricsServiceRequest::decode(payload) {
            Ok(request) => Reply {
                status: 200,
                body: Bytes::from(ExportMetricsServiceResponse::default().encode_to_vec()),
                protobuf: true,
                headers: Vec::new(),
                fault: None,
                decoded_spans: 0,
                span_ids: Vec::new(),
                spans: Vec::new(),
                metrics: Some(request),
            },
            Err(e) => Reply::text(400, format!("invalid ExportMetricsServiceRequest: {e}")),
        };
    }
    let (span_ids, spans) = if config.keep_records {
        let request = match ExportTraceServiceRequest::decode(payload) {
            Ok(r) => r,
            Err(e) => return Reply::text(400, format!("invalid ExportTraceServiceRequest: {e}")),
        };
        match flatten(request) {
            Ok(spans) => (spans.iter().map(|s| s.span_id).collect(), spans),
            Err(e) => return Reply::text(400, e),
        }
    } else {
        match span_ids_only(payload) {
            Ok(ids) => (ids, Vec::new()),
            Err(e) => return Reply::text(400, e),
        }
    };

    // 8. Accept.
    Reply {
        status: 200,
        body: Bytes::from(ExportTraceServiceResponse::default().encode_to_vec()),
        protobuf: true,
        headers: Vec::new(),
        fault: None,
        decoded_spans: span_ids.len(),
        span_ids,
        spans,
        metrics: None,
    }
}

/// The IDs of every span in an OTLP trace request, for receivers that keep no records.
///
/// Decodes the protobuf wire format with message types that name only the trace and span
/// ID fields (same tags as `opentelemetry.proto.trace.v1`); prost still walks and checks
/// every other field's framing but does not build it. This keeps a receiver's CPU per
/// span small in throughput runs, where the bridge, not the receiver, is measured.
fn span_ids_only(payload: &[u8]) -> Result<Vec<[u8; 8]>, String> {
    let request = ids::Request::decode(payload)
        .map_err(|e| format!("invalid ExportTraceServiceRequest: {e}"))?;
    let mut out = Vec::new();
    for span in request
        .resource_spans
        .iter()
        .flat_map(|r| &r.scope_spans)
        .flat_map(|s| &s.spans)
    {
        if span.trace_id.len() != 16 {
            return Err(format!(
                "invalid trace_id length {} (expected 16)",
                span.trace_id.len()
            ));
        }
        let id: [u8; 8] =
            span.span_id.as_slice().try_into().map_err(|_| {
                format!("invalid span_id length {} (expected 8)", span.span_id.len())
            })?;
        out.push(id);
    }
    Ok(out)
}

/// The smallest view of an OTLP trace request: its span IDs.
mod ids {
    /// `ExportTraceServiceRequest`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct Request {
        #[prost(message, repeated, tag = "1")]
        pub(super) resource_spans: Vec<ResourceSpans>,
    }

    /// `ResourceSpans`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct ResourceSpans {
        #[prost(message, repeated, tag = "2")]
        pub(super) scope_spans: Vec<ScopeSpans>,
    }

    /// `ScopeSpans`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct ScopeSpans {
        #[prost(message, repeated, tag = "2")]
        pub(super) spans: Vec<Span>,
    }

    /// `Span`: the IDs only.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct Span {
        #[prost(bytes = "vec", tag = "1")]
        pub(super) trace_id: Vec<u8>,
        #[prost(bytes = "vec", tag = "2")]
        pub(super) span_id: Vec<u8>,
    }
}
