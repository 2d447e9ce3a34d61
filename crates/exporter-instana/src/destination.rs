//! The Instana destination: OTLP/HTTP protobuf to the host agent (`{endpoint}/v1/traces`) or,
//! agentless, to an Instana OTLP acceptor with `x-instana-key` and `x-instana-host`.

use genai_telemetry_core::config::{InstanaMode, InstanaSettings};
use genai_telemetry_core::destination::{HttpTransport, HttpTransportSettings, SendFuture};
use genai_telemetry_core::{BridgeError, Destination, EncodedBatch, PipelineSettings};
use http::header::{HeaderMap, HeaderName, HeaderValue};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use secrecy::ExposeSecret;

use crate::view::InstanaView;

/// The agent key header of Instana's OTLP acceptor.
pub const INSTANA_KEY_HEADER: &str = "x-instana-key";
/// The host id header, required by the acceptor unless the resource carries `host.id`,
/// `faas.id` or `device.id`.
pub const INSTANA_HOST_HEADER: &str = "x-instana-host";

/// Sends OTLP traces to Instana, rewritten by the [`InstanaView`]. Status handling is the
/// pipeline's: 400 dropped and counted, 401/403 open the breaker, 413 splits, 429 and 5xx
/// retry.
#[derive(Debug)]
pub struct InstanaDestination {
    name: String,
    mode: InstanaMode,
    view: InstanaView,
    /// Without `x-instana-host`: agent mode, or a resource that identifies the host.
    plain: HttpTransport,
    /// With `x-instana-host`, in agentless mode when a host id is known.
    with_host: Option<HttpTransport>,
}

impl InstanaDestination {
    /// Builds the destination from its settings; requests time out after the pipeline's
    /// export timeout. Fails only when the HTTP client cannot be built.
    pub fn new(
        settings: &InstanaSettings,
        pipeline: &PipelineSettings,
    ) -> Result<Self, BridgeError> {
        let url = settings.traces_url();
        let headers = instana_headers(settings)?;
        let plain = HttpTransport::new(HttpTransportSettings {
            destination: settings.name.clone(),
            url: url.clone(),
            headers: headers.clone(),
            tls: settings.tls.clone(),
            timeout: pipeline.export_timeout,
        })?;
        let with_host = match host_header(settings)? {
            Some(host) => {
                let mut headers = headers;
                headers.insert(HeaderName::from_static(INSTANA_HOST_HEADER), host);
                Some(HttpTransport::new(HttpTransportSettings {
                    destination: settings.name.clone(),
                    url,
                    headers,
                    tls: settings.tls.clone(),
                    timeout: pipeline.export_timeout,
                })?)
            }
            None => None,
        };
        Ok(Self {
            name: settings.name.clone(),
            mode: settings.mode,
            view: InstanaView::new(settings.content),
            plain,
            with_host,
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

/// `x-instana-key` (sensitive) when a key is configured.
pub(crate) fn instana_headers(settings: &InstanaSettings) -> Result<HeaderMap, BridgeError> {
    let mut headers = HeaderMap::new();
    if let Some(key) = &settings.api_key {
        let mut value = HeaderValue::from_str(key.expose_secret().trim()).map_err(|_| {
            BridgeError::HttpClient {
                destination: settings.name.clone(),
                message: "INSTANA_API_KEY contains characters not allowed in an HTTP header"
                    .to_owned(),
            }
        })?;
        value.set_sensitive(true);
        headers.insert(HeaderName::from_static(INSTANA_KEY_HEADER), value);
    }
    Ok(headers)
}

/// The `x-instana-host` value for agentless mode: `INSTANA_HOST`, else this machine's
/// host name. `None` in agent mode (the agent knows its host).
pub(crate) fn host_header(settings: &InstanaSettings) -> Result<Option<HeaderValue>, BridgeError> {
    if settings.mode == InstanaMode::Agent && settings.host.is_none() {
        return Ok(None);
    }
    let Some(host) = settings.host.clone().or_else(machine_host_name) else {
        tracing::warn!(
            destination = settings.name.as_str(),
            "agentless Instana without INSTANA_HOST and no host name found: spans are accepted \
             only if the resource carries host.id, faas.id or device.id"
        );
        return Ok(None);
    };
    HeaderValue::from_str(host.trim())
        .map(Some)
        .map_err(|_| BridgeError::HttpClient {
            destination: settings.name.clone(),
            message: format!("INSTANA_HOST {host:?} is not a valid HTTP header value"),
        })
}

fn machine_host_name() -> Option<String> {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
}

impl Destination for InstanaDestination {
    fn name(&self) -> &str {
        &self.name
    }

    fn apply_view(&self, request: &mut ExportTraceServiceRequest) {
        self.view.apply(request);
    }

    fn gzip(&self) -> bool {
        true
    }

    fn send(&self, batch: &EncodedBatch) -> SendFuture {
        // The resource is the same for every batch of a pipeline, and the view saw it
        // when this batch was encoded.
        match &self.with_host {
            Some(with_host) if !self.view.resource_identifies_host() => with_host.send(batch),
            _ => self.plain.send(batch),
        }
    }

    fn endpoint(&self) -> String {
        self.plain.url().to_string()
    }
}
