//! OTLP/HTTP protobuf transport over `reqwest` (rustls), and the generic OTLP destination
//! built on it. Every status, `Retry-After` and error body reaches the retry and breaker logic.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use http::header::{
    CONTENT_ENCODING, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER,
};

use super::{Destination, EncodedBatch, SendFuture, body_of};
use crate::config::{OtlpSettings, TlsSettings};
use crate::error::BridgeError;
use crate::resilience::ExportOutcome;

const USER_AGENT: &str = concat!("genai-telemetry-bridge/", env!("CARGO_PKG_VERSION"));
/// How much of an error body is read for the failure message.
const ERROR_BODY_LIMIT: usize = 2048;

/// What an [`HttpTransport`] needs: where, which headers, TLS, and the per-request timeout.
#[derive(Clone)]
pub struct HttpTransportSettings {
    /// Destination name, used in error messages.
    pub destination: String,
    /// Full URL including the signal path (e.g. `.../v1/traces`).
    pub url: url::Url,
    /// Extra headers (auth). Values marked sensitive are never printed.
    pub headers: HeaderMap,
    /// Certificate verification and extra CA certificates.
    pub tls: TlsSettings,
    /// Timeout of one request, connection included.
    pub timeout: Duration,
}

impl fmt::Debug for HttpTransportSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpTransportSettings")
            .field("destination", &self.destination)
            .field("url", &self.url.as_str())
            .field("headers", &redacted_headers(&self.headers))
            .field("tls", &self.tls)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Header names with their values, sensitive values replaced by `<redacted>`.
pub(crate) fn redacted_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| {
            let shown = if v.is_sensitive() {
                "<redacted>".to_owned()
            } else {
                v.to_str().unwrap_or("<binary>").to_owned()
            };
            (k.as_str().to_owned(), shown)
        })
        .collect()
}

/// Whether `url` names this machine: `localhost` (and `*.localhost`, RFC 6761), 127.0.0.0/8
/// or `::1`. Such a URL is never sent through a proxy.
pub(crate) fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        None => false,
    }
}

/// Sends OTLP protobuf bodies to one URL.
#[derive(Debug, Clone)]
pub struct HttpTransport {
    inner: Arc<TransportInner>,
}

#[derive(Debug)]
struct TransportInner {
    destination: String,
    client: reqwest::Client,
    url: url::Url,
    headers: HeaderMap,
    timeout: Duration,
    ca_bundle: Option<String>,
}

impl HttpTransport {
    /// Builds the HTTP client (rustls, system roots plus the CA bundle, `HTTPS_PROXY` /
    /// `NO_PROXY` honoured, except for a loopback URL, which never goes through a proxy).
    /// Fails only on a TLS setup the client cannot use.
    pub fn new(settings: HttpTransportSettings) -> Result<Self, BridgeError> {
        let mut builder = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(10)))
            .pool_idle_timeout(Duration::from_secs(60));
        if is_loopback(&settings.url) {
            // reqwest sends every host through the environment's proxy unless `NO_PROXY`
            // names it, loopback included; but the proxy's loopback is not ours. A local
            // Instana agent or Collector (`http://localhost:4318`) on a host whose
            // `HTTPS_PROXY`/`ALL_PROXY` points at the corporate proxy must still be reached.
            builder = builder.no_proxy();
        }
        if let Some(bundle) = &settings.tls.ca_bundle {
            builder = builder.tls_certs_merge(bundle.certificates.iter().cloned());
        }
        if !settings.tls.verify {
            builder = builder.tls_danger_accept_invalid_certs(true);
        }
        let client = builder.build().map_err(|e| BridgeError::HttpClient {
            destination: settings.destination.clone(),
            message: error_chain(&e),
        })?;
        Ok(Self {
            inner: Arc::new(TransportInner {
                destination: settings.destination,
                client,
                url: settings.url,
                headers: settings.headers,
                timeout: settings.timeout,
                ca_bundle: settings
                    .tls
                    .ca_bundle
                    .as_ref()
                    .map(|b| b.path.display().to_string()),
            }),
        })
    }

    /// The URL requests go to.
    pub fn url(&self) -> &url::Url {
        &self.inner.url
    }

    /// POSTs one body and classifies the answer.
    pub fn send(&self, batch: &EncodedBatch) -> SendFuture {
        self.post(body_of(batch), batch.gzip)
    }

    /// POSTs any OTLP protobuf body (traces, metrics) and classifies the answer.
    pub fn post(&self, body: bytes::Bytes, gzip: bool) -> SendFuture {
        let inner = Arc::clone(&self.inner);
        Box::pin(async move {
            let mut request = inner
                .client
                .post(inner.url.clone())
                .headers(inner.headers.clone())
                .header(
                    CONTENT_TYPE,
                    HeaderValue::from_static("application/x-protobuf"),
                );
            if gzip {
                request = request.header(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            }
            match request.body(body).send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let retry_after = response
                        .headers()
                        .get(RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    let text = if response.status().is_success() {
                        // Drain so the connection can be reused.
                        let _ = response.bytes().await;
                        String::new()
                    } else {
                        read_error_body(response).await
                    };
                    ExportOutcome::from_http(
                        status,
                        retry_after.as_deref(),
                        &text,
                        SystemTime::now(),
                    )
                }
                Err(e) => ExportOutcome::Transient {
                    reason: inner.describe_error(&e),
                    retry_after: None,
                },
            }
        })
    }
}

impl TransportInner {
    fn describe_error(&self, e: &reqwest::Error) -> String {
        let chain = error_chain(e);
        if e.is_timeout() {
            return format!(
                "{}: no answer from {} within {:?}",
                self.destination, self.url, self.timeout
            );
        }
        let lower = chain.to_ascii_lowercase();
        let tls = [
            "certificate",
            "tls",
            "handshake",
            "unknownissuer",
            "notvalidforname",
            "expired",
        ]
        .iter()
        .any(|w| lower.contains(w));
        if tls {
            let cause = if lower.contains("unknownissuer") || lower.contains("unknown issuer") {
                "unknown issuer (the server's CA is not trusted)"
            } else if lower.contains("expired") {
                "certificate expired"
            } else if lower.contains("notvalidforname") || lower.contains("not valid for name") {
                "name mismatch (the certificate does not cover this host)"
            } else {
                "TLS handshake failed"
            };
            let bundle = self
                .ca_bundle
                .as_deref()
                .map(|p| format!("CA bundle {p}"))
                .unwrap_or_else(|| "system roots only, no CA bundle configured".to_owned());
            return format!(
                "{}: TLS error connecting to {}: {cause} ({bundle}): {chain}",
                self.destination, self.url
            );
        }
        if e.is_connect() {
            return format!(
                "{}: cannot connect to {}: {chain}",
                self.destination, self.url
            );
        }
        format!(
            "{}: request to {} failed: {chain}",
            self.destination, self.url
        )
    }
}

async fn read_error_body(mut response: reqwest::Response) -> String {
    let mut out = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        out.extend_from_slice(&chunk);
        if out.len() >= ERROR_BODY_LIMIT {
            out.truncate(ERROR_BODY_LIMIT);
            break;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `e: cause: cause...`, so that the root cause (rustls, DNS, refused) is visible.
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let s = cause.to_string();
        if !text.contains(&s) {
            text.push_str(": ");
            text.push_str(&s);
        }
        source = cause.source();
    }
    text
}

/// The generic OTLP destination: any OTLP/HTTP endpoint (Collector, Phoenix, Jaeger,
/// Tempo), configured by `OTEL_EXPORTER_OTLP_*`. It sends spans unchanged (no view).
#[derive(Debug, Clone)]
pub struct OtlpDestination {
    name: String,
    transport: HttpTransport,
    gzip: bool,
}

impl OtlpDestination {
    /// A destination from the generic OTLP settings.
    pub fn new(settings: &OtlpSettings, timeout: Duration) -> Result<Self, BridgeError> {
        let mut headers = HeaderMap::new();
        for (name, value) in &settings.headers {
            let header_name =
                HeaderName::from_bytes(name.as_bytes()).map_err(|_| BridgeError::HttpClient {
                    destination: settings.name.clone(),
                    message: format!("invalid header name {name:?}"),
                })?;
            let mut header_value = HeaderValue::from_str(secrecy::ExposeSecret::expose_secret(
                value,
            ))
            .map_err(|_| BridgeError::HttpClient {
                destination: settings.name.clone(),
                message: format!("invalid value for header {name:?}"),
            })?;
            // Every OTLP header may carry a credential: never print any of them.
            header_value.set_sensitive(true);
            headers.insert(header_name, header_value);
        }
        let transport = HttpTransport::new(HttpTransportSettings {
            destination: settings.name.clone(),
            url: settings.traces_url.clone(),
            headers,
            tls: settings.tls.clone(),
            timeout,
        })?;
        Ok(Self {
            name: settings.name.clone(),
            transport,
            gzip: settings.gzip,
        })
    }
}

impl Destination for OtlpDestination {
    fn name(&self) -> &str {
        &self.name
    }

    fn gzip(&self) -> bool {
        self.gzip
    }

    fn send(&self, batch: &EncodedBatch) -> SendFuture {
        self.transport.send(batch)
    }

    fn endpoint(&self) -> String {
        self.transport.url().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::is_loopback;

    fn loopback(url: &str) -> bool {
        is_loopback(&url::Url::parse(url).expect("a valid URL"))
    }

    #[test]
    fn loopback_hosts_are_recognised_by_name_and_address() {
        for url in [
            "http://localhost:4318/v1/traces",
            "http://LOCALHOST.:4318/v1/traces",
            "http://agent.localhost:4318/v1/traces",
            "http://127.0.0.1:4318/v1/traces",
            "http://127.10.20.30:4318/v1/traces",
            "http://[::1]:4318/v1/traces",
            "http://[::ffff:127.0.0.1]:4318/v1/traces",
        ] {
            assert!(loopback(url), "{url}");
        }
    }

    #[test]
    fn other_hosts_are_not_loopback() {
        for url in [
            "https://cloud.langfuse.com/api/public/otel/v1/traces",
            "http://localhost.example.com:4318/v1/traces",
            "http://mylocalhost:4318/v1/traces",
            "http://10.0.0.1:4318/v1/traces",
            "http://0.0.0.0:4318/v1/traces",
            "http://[::]:4318/v1/traces",
            "http://[fe80::1]:4318/v1/traces",
        ] {
            assert!(!loopback(url), "{url}");
        }
    }
}
