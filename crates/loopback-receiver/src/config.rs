//! Static configuration of a receiver.

use std::fmt;

/// Builder-style configuration for an [`OtlpReceiver`](crate::OtlpReceiver).
///
/// Defaults: name `"otlp"`, traces path `"/v1/traces"`, no metrics path, no required
/// headers, no body size limit, plain HTTP.
#[derive(Clone, PartialEq, Eq)]
pub struct ReceiverConfig {
    pub(crate) name: String,
    pub(crate) traces_path: String,
    /// Path accepting `ExportMetricsServiceRequest`s, when metrics are received too.
    pub(crate) metrics_path: Option<String>,
    /// `(lower-cased header name, exact expected value)`, checked in insertion order.
    pub(crate) required_headers: Vec<(String, String)>,
    pub(crate) max_body_bytes: Option<usize>,
    /// Serve HTTPS with this certificate chain and key (PEM), instead of plain HTTP.
    pub(crate) tls: Option<TlsIdentity>,
    /// Keep decoded spans and request records (off: counters and unique IDs only).
    pub(crate) keep_records: bool,
}

/// A server certificate chain and its private key, both PEM.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct TlsIdentity {
    pub(crate) cert_chain_pem: String,
    pub(crate) key_pem: String,
}

impl ReceiverConfig {
    /// Configuration with the defaults: path `/v1/traces`, no required headers, name `otlp`.
    pub fn new() -> Self {
        Self {
            name: "otlp".to_owned(),
            traces_path: "/v1/traces".to_owned(),
            metrics_path: None,
            required_headers: Vec::new(),
            max_body_bytes: None,
            tls: None,
            keep_records: true,
        }
    }

    /// A stand-in for Langfuse's OTLP endpoint, checking what Langfuse checks: path
    /// `/api/public/otel/v1/traces`, `Authorization: Basic base64(public:secret)` and
    /// `x-langfuse-ingestion-version: 4`. Named `langfuse`.
    pub fn langfuse(public_key: &str, secret_key: &str) -> Self {
        use base64::Engine as _;
        let basic =
            base64::engine::general_purpose::STANDARD.encode(format!("{public_key}:{secret_key}"));
        Self::new()
            .name("langfuse")
            .traces_path("/api/public/otel/v1/traces")
            .require_header("authorization", &format!("Basic {basic}"))
            .require_header("x-langfuse-ingestion-version", "4")
    }

    /// A stand-in for an Instana agent or acceptor: traces on `/v1/traces`, GenAI metrics on
    /// `/v1/metrics`, `x-instana-key` required. Named `instana`.
    pub fn instana(agent_key: &str) -> Self {
        Self::new()
            .name("instana")
            .metrics_path("/v1/metrics")
            .require_header("x-instana-key", agent_key)
    }

    /// Also accepts OTLP metrics (`ExportMetricsServiceRequest`) on this path, e.g.
    /// `"/v1/metrics"`, with the same header, encoding and fault handling as traces.
    /// Decoded requests are kept in [`OtlpReceiver::metrics`](crate::OtlpReceiver::metrics).
    ///
    /// A missing leading `/` is added.
    pub fn metrics_path(mut self, path: &str) -> Self {
        self.metrics_path = Some(if path.starts_with('/') {
            path.to_owned()
        } else {
            format!("/{path}")
        });
        self
    }

    /// Serves HTTPS instead of plain HTTP, presenting this certificate chain (PEM, leaf
    /// first) and private key (PEM, PKCS#8, PKCS#1 or SEC1). The endpoint then starts
    /// with `https://127.0.0.1:`; the certificate should name `127.0.0.1` (or clients
    /// should connect as `localhost` when it names only that).
    pub fn tls(mut self, cert_chain_pem: &str, key_pem: &str) -> Self {
        self.tls = Some(TlsIdentity {
            cert_chain_pem: cert_chain_pem.to_owned(),
            key_pem: key_pem.to_owned(),
        });
        self
    }

    /// Label used in `Debug` output, logs and the server thread name.
    pub fn name(mut self, name: &str) -> Self {
        name.clone_into(&mut self.name);
        self
    }

    /// Path that accepts OTLP traces, e.g. `"/api/public/otel/v1/traces"`.
    ///
    /// A missing leading `/` is added.
    pub fn traces_path(mut self, path: &str) -> Self {
        self.traces_path = if path.starts_with('/') {
            path.to_owned()
        } else {
            format!("/{path}")
        };
        self
    }

    /// Requires header `name` (case-insensitive) to be present with exactly `value`.
    ///
    /// A missing or different header is answered with 401 for `authorization`
    /// and `x-instana-key`, and with 400 for any other header; the response body
    /// names the header (never the expected value). Calling this again for the
    /// same header replaces the expected value.
    pub fn require_header(mut self, name: &str, value: &str) -> Self {
        let name = name.to_ascii_lowercase();
        self.required_headers.retain(|(n, _)| *n != name);
        self.required_headers.push((name, value.to_owned()));
        self
    }

    /// Whether accepted spans and request records are kept for
    /// [`spans`](crate::OtlpReceiver::spans) and [`requests`](crate::OtlpReceiver::requests)
    /// (default `true`). Off, the receiver still decodes and validates every request and
    /// keeps its [`stats`](crate::OtlpReceiver::stats) and unique span IDs, but its memory
    /// no longer grows with every span: for throughput runs of millions of spans.
    pub fn keep_records(mut self, keep: bool) -> Self {
        self.keep_records = keep;
        self
    }

    /// Answers 413 when the (still compressed) request body is larger than `n` bytes.
    ///
    /// Default: unlimited.
    pub fn max_body_bytes(mut self, n: usize) -> Self {
        self.max_body_bytes = Some(n);
        self
    }
}

impl Default for ReceiverConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ReceiverConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Expected header values are usually secrets: show only the names.
        let headers: Vec<&str> = self
            .required_headers
            .iter()
            .map(|(n, _)| n.as_str())
            .collect();
        f.debug_struct("ReceiverConfig")
            .field("name", &self.name)
            .field("traces_path", &self.traces_path)
            .field("metrics_path", &self.metrics_path)
            .field("required_headers", &headers)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("tls", &self.tls.is_some())
            .field("keep_records", &self.keep_records)
            .finish()
    }
}
