//! The Langfuse destination: OTLP/HTTP protobuf to `{endpoint}/api/public/otel/v1/traces`
//! with Basic auth, the v4 ingestion header, gzip, and requests kept under Langfuse Cloud's 5 MB.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use genai_telemetry_core::config::LangfuseSettings;
use genai_telemetry_core::destination::{HttpTransport, HttpTransportSettings, SendFuture};
use genai_telemetry_core::{BridgeError, Destination, EncodedBatch, PipelineSettings};
use http::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use secrecy::ExposeSecret;

use crate::view::LangfuseView;

/// Bound on one request's uncompressed protobuf size. Langfuse Cloud accepts 5 MB per
/// request; bounding the uncompressed size (gzip only makes it smaller) keeps every
/// request under that with room for the HTTP framing.
pub const LANGFUSE_MAX_REQUEST_BYTES: usize = 4_500_000;

/// Opts in to Langfuse's v4 direct write path; without it a custom exporter's spans go
/// through the legacy path and show up minutes later.
pub const INGESTION_VERSION_HEADER: &str = "x-langfuse-ingestion-version";
/// The ingestion version this destination speaks.
pub const INGESTION_VERSION: &str = "4";

/// Sends OTLP traces to Langfuse, rewritten by the [`LangfuseView`].
///
/// Status handling is the pipeline's ([`genai_telemetry_core::ExportOutcome::from_http`]):
/// 400 is dropped and counted with Langfuse's error text, 401/403 (including "usage
/// threshold exceeded") open the breaker, 413 splits the batch, 429 honours
/// `Retry-After`, 5xx and timeouts retry, and a batch that got a 2xx is never sent again
/// (Langfuse v4 does not deduplicate).
#[derive(Debug)]
pub struct LangfuseDestination {
    name: String,
    view: LangfuseView,
    transport: HttpTransport,
}

impl LangfuseDestination {
    /// Builds the destination from its settings; requests time out after the pipeline's
    /// export timeout. Fails only when the HTTP client cannot be built (TLS setup, a key
    /// that is not a valid header value).
    pub fn new(
        settings: &LangfuseSettings,
        pipeline: &PipelineSettings,
    ) -> Result<Self, BridgeError> {
        let invalid = |what: &str| BridgeError::HttpClient {
            destination: settings.name.clone(),
            message: format!("{what} contains characters not allowed in an HTTP header"),
        };
        let credentials = format!(
            "{}:{}",
            settings.public_key,
            settings.secret_key.expose_secret()
        );
        let mut authorization =
            HeaderValue::from_str(&format!("Basic {}", BASE64.encode(credentials)))
                .map_err(|_| invalid("LANGFUSE_PUBLIC_KEY or LANGFUSE_SECRET_KEY"))?;
        authorization.set_sensitive(true);
        let public_key = HeaderValue::from_str(&settings.public_key)
            .map_err(|_| invalid("LANGFUSE_PUBLIC_KEY"))?;

        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, authorization);
        headers.insert(
            HeaderName::from_static(INGESTION_VERSION_HEADER),
            HeaderValue::from_static(INGESTION_VERSION),
        );
        headers.insert(
            HeaderName::from_static("x-langfuse-sdk-name"),
            HeaderValue::from_static("genai-telemetry-bridge"),
        );
        headers.insert(
            HeaderName::from_static("x-langfuse-sdk-version"),
            HeaderValue::from_static(env!("CARGO_PKG_VERSION")),
        );
        headers.insert(HeaderName::from_static("x-langfuse-public-key"), public_key);

        let transport = HttpTransport::new(HttpTransportSettings {
            destination: settings.name.clone(),
            url: settings.traces_url(),
            headers,
            tls: settings.tls.clone(),
            timeout: pipeline.export_timeout,
        })?;
        Ok(Self {
            name: settings.name.clone(),
            view: LangfuseView::new(settings.content),
            transport,
        })
    }

    /// The view applied to every batch.
    pub fn view(&self) -> &LangfuseView {
        &self.view
    }
}

impl Destination for LangfuseDestination {
    fn name(&self) -> &str {
        &self.name
    }

    fn apply_view(&self, request: &mut ExportTraceServiceRequest) {
        self.view.apply(request);
    }

    fn gzip(&self) -> bool {
        true
    }

    fn max_request_bytes(&self) -> usize {
        LANGFUSE_MAX_REQUEST_BYTES
    }

    fn send(&self, batch: &EncodedBatch) -> SendFuture {
        self.transport.send(batch)
    }

    fn endpoint(&self) -> String {
        self.transport.url().to_string()
    }
}
