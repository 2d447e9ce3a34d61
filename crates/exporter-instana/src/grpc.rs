//! OTLP/gRPC to the Instana host agent's port 4317 (Cargo feature `grpc`).
//!
//! OTLP/HTTP ([`InstanaDestination`](crate::InstanaDestination)) stays the default and is the
//! only way to reach Instana's OTLP acceptor over TLS; this destination speaks plaintext gRPC
//! to an agent, with the same [`InstanaView`], the same name and the same
//! `x-instana-key` / `x-instana-host` values, sent as gRPC metadata.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use genai_telemetry_core::config::{InstanaMode, InstanaSettings};
use genai_telemetry_core::destination::{SendFuture, decode_request};
use genai_telemetry_core::{
    BridgeError, Destination, EncodedBatch, ExportOutcome, PipelineSettings,
};
use http::header::{HeaderMap, HeaderName};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use tonic::metadata::MetadataMap;
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Status};

use crate::destination::{INSTANA_HOST_HEADER, host_header, instana_headers};
use crate::view::InstanaView;

/// Sends OTLP traces to the Instana agent over gRPC (`TraceService/Export`), rewritten by the
/// [`InstanaView`]. Bodies are not gzip-compressed by the pipeline; tonic does its own
/// framing.
///
/// The channel is created on the first send, on the pipeline's export runtime, and connects
/// lazily: building the destination never contacts the agent.
///
/// gRPC status codes are classified like their HTTP counterparts: `UNAVAILABLE`,
/// `DEADLINE_EXCEEDED`, `ABORTED`, `INTERNAL`, `UNKNOWN`, `CANCELLED`, `DATA_LOSS` and
/// `RESOURCE_EXHAUSTED` retry; `UNAUTHENTICATED` and `PERMISSION_DENIED` open the breaker;
/// `OUT_OF_RANGE` and "message larger than max" split the batch; other codes drop it.
#[derive(Debug)]
pub struct InstanaGrpcDestination {
    name: String,
    mode: InstanaMode,
    view: InstanaView,
    origin: String,
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    destination: String,
    origin: String,
    endpoint: Endpoint,
    client: OnceLock<TraceServiceClient<Channel>>,
    timeout: Duration,
    /// Without `x-instana-host`: agent mode, or a resource that identifies the host.
    plain: HeaderMap,
    /// With `x-instana-host`, when a host id is known.
    with_host: Option<HeaderMap>,
}

impl InstanaGrpcDestination {
    /// Builds the destination from its settings, sending to the origin of
    /// `settings.endpoint` (e.g. `http://localhost:4317`); each export times out after the
    /// pipeline's export timeout.
    ///
    /// Fails for `https` endpoints (TLS over gRPC is not supported: use OTLP/HTTP), for
    /// endpoints tonic cannot parse, and for key or host values not allowed in metadata.
    pub fn new(
        settings: &InstanaSettings,
        pipeline: &PipelineSettings,
    ) -> Result<Self, BridgeError> {
        let error = |message: String| BridgeError::HttpClient {
            destination: settings.name.clone(),
            message,
        };
        let url = &settings.endpoint;
        if url.scheme() != "http" {
            return Err(error(format!(
                "endpoint {url}: TLS over gRPC is not supported (only plaintext gRPC to the \
                 host agent, e.g. http://localhost:4317); use OTLP/HTTP (InstanaDestination) \
                 for https endpoints"
            )));
        }
        let origin = url.origin().ascii_serialization();
        if !matches!(url.path(), "" | "/") {
            tracing::warn!(
                destination = settings.name.as_str(),
                endpoint = %url,
                "OTLP/gRPC ignores the endpoint's path; sending to {origin}"
            );
        }
        let endpoint = Endpoint::from_shared(origin.clone())
            .map_err(|e| error(format!("endpoint {origin}: {e}")))?
            .connect_timeout(pipeline.export_timeout)
            .timeout(pipeline.export_timeout);
        let plain = instana_headers(settings)?;
        let with_host = host_header(settings)?.map(|host| {
            let mut headers = plain.clone();
            headers.insert(HeaderName::from_static(INSTANA_HOST_HEADER), host);
            headers
        });
        Ok(Self {
            name: settings.name.clone(),
            mode: settings.mode,
            view: InstanaView::new(settings.content),
            origin: origin.clone(),
            inner: Arc::new(Inner {
                destination: settings.name.clone(),
                origin,
                endpoint,
                client: OnceLock::new(),
                timeout: pipeline.export_timeout,
                plain,
                with_host,
            }),
        })
    }

    /// The view applied to every batch.
    pub fn view(&self) -> &InstanaView {
        &self.view
    }

    /// Agent or agentless.
    pub fn mode(&self) -> InstanaMode {
        self.mode
    }
}

impl Inner {
    /// The client, its channel created on first use. Must run inside a Tokio runtime
    /// (tonic spawns the channel's worker there); the export runtime is one.
    fn client(&self) -> TraceServiceClient<Channel> {
        self.client
            .get_or_init(|| TraceServiceClient::new(self.endpoint.connect_lazy()))
            .clone()
    }

    async fn export(&self, body: &[u8], gzip: bool, with_host: bool) -> ExportOutcome {
        let message = match decode_request(body, gzip) {
            Ok(message) => message,
            Err(e) => {
                return ExportOutcome::Rejected {
                    status: 400,
                    reason: format!("{}: cannot decode the encoded batch: {e}", self.destination),
                };
            }
        };
        let headers = match (&self.with_host, with_host) {
            (Some(headers), true) => headers.clone(),
            _ => self.plain.clone(),
        };
        let mut request = tonic::Request::new(message);
        *request.metadata_mut() = MetadataMap::from_headers(headers);
        request.set_timeout(self.timeout);
        let mut client = self.client();
        // tonic applies the timeout too; this bound also covers a stuck connection attempt.
        let answer = tokio::time::timeout(
            self.timeout + Duration::from_secs(1),
            client.export(request),
        )
        .await;
        match answer {
            Ok(Ok(_)) => ExportOutcome::Delivered,
            Ok(Err(status)) => classify(&status, &self.origin),
            Err(_) => ExportOutcome::Transient {
                reason: format!(
                    "{}: no answer from {} within {:?}",
                    self.destination, self.origin, self.timeout
                ),
                retry_after: None,
            },
        }
    }
}

/// Classifies a gRPC status like the HTTP status it stands for.
fn classify(status: &Status, origin: &str) -> ExportOutcome {
    let code = status.code();
    let shown: String = status.message().trim().chars().take(300).collect();
    let reason = if shown.is_empty() {
        format!("gRPC {code:?} from {origin}")
    } else {
        format!("gRPC {code:?} from {origin}: {shown}")
    };
    match code {
        Code::Ok => ExportOutcome::Delivered,
        Code::ResourceExhausted if says_too_large(status.message()) => {
            ExportOutcome::TooLarge { reason }
        }
        Code::OutOfRange => ExportOutcome::TooLarge { reason },
        // OTLP's retryable code for "slow down" (the gRPC twin of HTTP 429).
        Code::ResourceExhausted => ExportOutcome::Throttled {
            reason,
            retry_after: None,
        },
        Code::Unavailable
        | Code::DeadlineExceeded
        | Code::Aborted
        | Code::Internal
        | Code::Unknown
        | Code::Cancelled
        | Code::DataLoss => ExportOutcome::Transient {
            reason,
            retry_after: None,
        },
        Code::Unauthenticated => ExportOutcome::Unauthorized {
            status: 401,
            reason,
        },
        Code::PermissionDenied => ExportOutcome::Unauthorized {
            status: 403,
            reason,
        },
        Code::NotFound => ExportOutcome::Rejected {
            status: 404,
            reason,
        },
        Code::AlreadyExists => ExportOutcome::Rejected {
            status: 409,
            reason,
        },
        Code::Unimplemented => ExportOutcome::Rejected {
            status: 501,
            reason,
        },
        Code::InvalidArgument | Code::FailedPrecondition => ExportOutcome::Rejected {
            status: 400,
            reason,
        },
    }
}

/// Whether a `RESOURCE_EXHAUSTED` message says the request exceeded the server's message
/// size limit (grpc-go: "received message larger than max"; tonic: "message length too
/// large").
fn says_too_large(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    ["larger than max", "too large"]
        .iter()
        .any(|w| lower.contains(w))
}

impl Destination for InstanaGrpcDestination {
    fn name(&self) -> &str {
        &self.name
    }

    fn apply_view(&self, request: &mut ExportTraceServiceRequest) {
        self.view.apply(request);
    }

    fn gzip(&self) -> bool {
        false
    }

    fn send(&self, batch: &EncodedBatch) -> SendFuture {
        // As for OTLP/HTTP: the view saw this pipeline's resource when the batch was encoded.
        let with_host = !self.view.resource_identifies_host();
        let inner = Arc::clone(&self.inner);
        let body = batch.body.clone();
        let gzip = batch.gzip;
        Box::pin(async move { inner.export(&body, gzip, with_host).await })
    }

    fn endpoint(&self) -> String {
        self.origin.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(code: Code, message: &str) -> ExportOutcome {
        classify(&Status::new(code, message), "http://agent:4317")
    }

    #[test]
    fn status_codes_are_classified_like_their_http_counterparts() {
        assert_eq!(outcome(Code::Ok, ""), ExportOutcome::Delivered);
        for code in [
            Code::Unavailable,
            Code::DeadlineExceeded,
            Code::Aborted,
            Code::Internal,
            Code::Unknown,
        ] {
            assert_eq!(outcome(code, "busy").label(), "transient", "{code:?}");
        }
        assert_eq!(
            outcome(Code::ResourceExhausted, "rate limited").label(),
            "throttled"
        );
        assert!(matches!(
            outcome(Code::Unauthenticated, "bad key"),
            ExportOutcome::Unauthorized { status: 401, .. }
        ));
        assert!(matches!(
            outcome(Code::PermissionDenied, ""),
            ExportOutcome::Unauthorized { status: 403, .. }
        ));
        match outcome(Code::InvalidArgument, "bad span") {
            ExportOutcome::Rejected { status, reason } => {
                assert_eq!(status, 400);
                assert!(reason.contains("bad span"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            outcome(Code::NotFound, ""),
            ExportOutcome::Rejected { status: 404, .. }
        ));
        assert_eq!(
            outcome(
                Code::ResourceExhausted,
                "grpc: received message larger than max (5000000 vs. 4194304)"
            )
            .label(),
            "too_large"
        );
        assert_eq!(outcome(Code::OutOfRange, "").label(), "too_large");
    }
}
