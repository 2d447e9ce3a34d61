//! `doctor`: validates the configuration and sends one real, empty OTLP export request to
//! each enabled destination, then says per destination what is wrong and how to fix it.
//!
//! The test request carries the service's resource and no spans: it exercises DNS, TCP,
//! TLS, the URL path and the credentials exactly as the exporter does (same
//! [`Destination::send`], same view, same compression) without creating any data.
//!
//! ```no_run
//! use genai_telemetry_core::{BridgeConfig, Destination, OtlpDestination};
//! use genai_telemetry_diagnostics::doctor;
//! use std::sync::Arc;
//!
//! let report = match BridgeConfig::from_env() {
//!     Err(e) => doctor::DoctorReport::invalid_config(&e),
//!     Ok(config) => {
//!         let mut destinations: Vec<Arc<dyn Destination>> = Vec::new();
//!         if let Some(otlp) = &config.otlp {
//!             destinations.push(Arc::new(OtlpDestination::new(otlp, config.pipeline.export_timeout)?));
//!         }
//!         doctor::run(&config, destinations)
//!     }
//! };
//! print!("{}", report.to_text());
//! std::process::exit(report.exit_code());
//! # Ok::<(), genai_telemetry_core::BridgeError>(())
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use genai_telemetry_core::destination::gzip;
use genai_telemetry_core::{
    BridgeConfig, BridgeError, ConfigError, Destination, EncodedBatch, ExportOutcome,
};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::ResourceSpans;
use prost::Message;
use serde::Serialize;

/// Exit code when every enabled destination accepted the test request.
pub const EXIT_OK: i32 = 0;
/// Exit code when at least one enabled destination failed.
pub const EXIT_DESTINATION_FAILED: i32 = 1;
/// Exit code when the configuration is invalid (or enables no destination).
pub const EXIT_INVALID_CONFIG: i32 = 2;

/// What the test request to one destination came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The destination accepted the request (2xx).
    Ok,
    /// Nothing answered: connection refused, or no answer before the timeout.
    Unreachable,
    /// The host name does not resolve.
    Dns,
    /// The TLS handshake failed: unknown issuer, expired certificate, name mismatch...
    Tls,
    /// The credentials were refused (401/403).
    AuthRejected,
    /// The URL path does not exist or does not take POST (404/405).
    WrongPath,
    /// Anything else (server errors, a refused payload, an unexpected answer).
    Other,
}

impl Verdict {
    /// How the verdict is printed (`ok`, `unreachable`, `DNS`, `TLS`, `auth rejected`,
    /// `wrong path`, `other`).
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Unreachable => "unreachable",
            Verdict::Dns => "DNS",
            Verdict::Tls => "TLS",
            Verdict::AuthRejected => "auth rejected",
            Verdict::WrongPath => "wrong path",
            Verdict::Other => "other",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The result of one destination's test request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DestinationCheck {
    /// Destination name.
    pub destination: String,
    /// Where the request went (no secrets).
    pub endpoint: String,
    /// The verdict.
    pub verdict: Verdict,
    /// One line: what happened (`unknown issuer`, `HTTP 401 Unauthorized`, ...).
    pub summary: String,
    /// The full cause, as the transport reported it.
    pub cause: String,
    /// What to do about it (None when ok).
    pub fix: Option<String>,
    /// HTTP status, when the server answered.
    pub status: Option<u16>,
    /// How long the request took, milliseconds.
    pub elapsed_ms: u64,
}

/// A configuration problem, as reported by the bridge's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The variable at fault.
    pub variable: String,
    /// What is wrong with it.
    pub problem: String,
    /// What to do about it.
    pub fix: String,
}

/// Everything the doctor found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DoctorReport {
    /// Configuration problems; when any, no destination was contacted.
    pub config_problems: Vec<Problem>,
    /// Configuration warnings (e.g. certificate verification off).
    pub warnings: Vec<String>,
    /// One check per enabled destination.
    pub destinations: Vec<DestinationCheck>,
}

impl DoctorReport {
    /// The report for a configuration that does not validate.
    pub fn invalid_config(error: &ConfigError) -> Self {
        Self {
            config_problems: error
                .problems
                .iter()
                .map(|p| Problem {
                    variable: p.variable.clone(),
                    problem: p.problem.clone(),
                    fix: p.fix.clone(),
                })
                .collect(),
            warnings: Vec::new(),
            destinations: Vec::new(),
        }
    }

    /// The report for a valid configuration whose destinations could not be built (a CA
    /// bundle the TLS client rejects, a destination missing from this build).
    pub fn setup_failed(config: &BridgeConfig, error: &BridgeError) -> Self {
        let mut report = match error {
            BridgeError::Config(e) => Self::invalid_config(e),
            BridgeError::HttpClient {
                destination,
                message,
            } => Self {
                config_problems: vec![Problem {
                    variable: hints_for(Some(config), destination).endpoint_var,
                    problem: format!("{destination}: cannot build its HTTP client: {message}"),
                    fix: "check the TLS settings (CA bundle) and header values of this destination"
                        .to_owned(),
                }],
                warnings: Vec::new(),
                destinations: Vec::new(),
            },
            other => Self {
                config_problems: vec![Problem {
                    variable: "(setup)".to_owned(),
                    problem: other.to_string(),
                    fix: "see the message".to_owned(),
                }],
                warnings: Vec::new(),
                destinations: Vec::new(),
            },
        };
        report.warnings.clone_from(&config.warnings);
        report
    }

    /// True when the configuration is invalid or enables nothing.
    pub fn config_invalid(&self) -> bool {
        !self.config_problems.is_empty()
    }

    /// Destinations whose verdict is not ok.
    pub fn failing(&self) -> impl Iterator<Item = &DestinationCheck> {
        self.destinations
            .iter()
            .filter(|d| d.verdict != Verdict::Ok)
    }

    /// 0 when all is well, 1 when a destination failed, 2 when the configuration is invalid.
    pub fn exit_code(&self) -> i32 {
        if self.config_invalid() {
            EXIT_INVALID_CONFIG
        } else if self.failing().next().is_some() {
            EXIT_DESTINATION_FAILED
        } else {
            EXIT_OK
        }
    }

    /// The report as pretty-printed JSON (for scripts: `genai-telemetry doctor --json`).
    pub fn to_json(&self) -> String {
        // Only strings, numbers and enums: serialization cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The report for people: one block per destination with verdict, cause and fix.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        if self.config_invalid() {
            let n = self.config_problems.len();
            out.push_str(&format!(
                "configuration: invalid ({n} problem{})\n",
                if n == 1 { "" } else { "s" }
            ));
            for p in &self.config_problems {
                out.push_str(&format!(
                    "  ✗ {}: {}\n    fix: {}\n",
                    p.variable, p.problem, p.fix
                ));
            }
        } else {
            let names: Vec<&str> = self
                .destinations
                .iter()
                .map(|d| d.destination.as_str())
                .collect();
            out.push_str(&format!(
                "configuration: ok ({} destination{} enabled: {})\n",
                names.len(),
                if names.len() == 1 { "" } else { "s" },
                names.join(", ")
            ));
        }
        for w in &self.warnings {
            out.push_str(&format!("  ! warning: {w}\n"));
        }
        for d in &self.destinations {
            out.push('\n');
            out.push_str(&format!("{}  {}\n", d.destination, d.endpoint));
            if d.verdict == Verdict::Ok {
                out.push_str(&format!("  ✓ ok: {} ({} ms)\n", d.summary, d.elapsed_ms));
            } else {
                out.push_str(&format!("  ✗ {}: {}\n", d.verdict.label(), d.summary));
                if d.cause != d.summary {
                    out.push_str(&format!("    cause: {}\n", d.cause));
                }
                if let Some(fix) = &d.fix {
                    out.push_str(&format!("    fix: {fix}\n"));
                }
            }
        }
        if !self.config_invalid() {
            let failing = self.failing().count();
            out.push('\n');
            if failing == 0 {
                out.push_str("all destinations accepted the test request\n");
            } else {
                out.push_str(&format!(
                    "{failing} of {} destination{} failing\n",
                    self.destinations.len(),
                    if self.destinations.len() == 1 {
                        ""
                    } else {
                        "s"
                    }
                ));
            }
        }
        out
    }
}

/// Checks every destination and returns the report. Blocks the calling thread (it runs the
/// requests on a runtime of its own, on a thread of its own, so it may be called from
/// anywhere, async code included).
pub fn run(config: &BridgeConfig, destinations: Vec<Arc<dyn Destination>>) -> DoctorReport {
    let config = config.clone();
    let worker = std::thread::Builder::new()
        .name("genai-telemetry-doctor".to_owned())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            match runtime {
                Ok(rt) => rt.block_on(run_async(&config, &destinations)),
                Err(e) => DoctorReport {
                    config_problems: vec![Problem {
                        variable: "(runtime)".to_owned(),
                        problem: format!("cannot start a Tokio runtime: {e}"),
                        fix: "check the process limits (threads, file descriptors)".to_owned(),
                    }],
                    warnings: Vec::new(),
                    destinations: Vec::new(),
                },
            }
        });
    let joined = worker.map_err(|e| e.to_string()).and_then(|h| {
        h.join()
            .map_err(|_| "the doctor's thread panicked".to_owned())
    });
    joined.unwrap_or_else(|e| DoctorReport {
        config_problems: vec![Problem {
            variable: "(runtime)".to_owned(),
            problem: e,
            fix: "report this as a bug".to_owned(),
        }],
        warnings: Vec::new(),
        destinations: Vec::new(),
    })
}

/// [`run`] on the caller's Tokio runtime (which must have I/O and time enabled).
pub async fn run_async(
    config: &BridgeConfig,
    destinations: &[Arc<dyn Destination>],
) -> DoctorReport {
    let mut report = DoctorReport {
        config_problems: Vec::new(),
        warnings: config.warnings.clone(),
        destinations: Vec::new(),
    };
    if destinations.is_empty() {
        report.config_problems.push(Problem {
            variable: "LANGFUSE_PUBLIC_KEY, INSTANA_ENDPOINT, OTEL_EXPORTER_OTLP_ENDPOINT".to_owned(),
            problem: "no destination is enabled, so spans would be recorded but not exported"
                .to_owned(),
            fix: "set LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY, INSTANA_ENDPOINT, or OTEL_EXPORTER_OTLP_ENDPOINT"
                .to_owned(),
        });
        return report;
    }
    // Concurrently: one slow destination does not make the others wait.
    let handles: Vec<_> = destinations
        .iter()
        .map(|d| {
            let d = Arc::clone(d);
            let service = config.service.name.clone();
            let hints = hints_for(Some(config), d.name());
            tokio::spawn(async move { check_destination(d.as_ref(), &service, &hints).await })
        })
        .collect();
    for (handle, d) in handles.into_iter().zip(destinations) {
        let check = handle.await.unwrap_or_else(|e| DestinationCheck {
            destination: d.name().to_owned(),
            endpoint: d.endpoint(),
            verdict: Verdict::Other,
            summary: "the check itself failed".to_owned(),
            cause: e.to_string(),
            fix: Some("report this as a bug".to_owned()),
            status: None,
            elapsed_ms: 0,
        });
        report.destinations.push(check);
    }
    report
}

/// The request the doctor sends: the service's resource, no spans.
pub fn test_request(service_name: &str) -> ExportTraceServiceRequest {
    let attribute = |key: &str, value: &str| KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.to_owned())),
        }),
        ..Default::default()
    };
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![
                    attribute("service.name", service_name),
                    attribute("telemetry.distro.name", "genai-telemetry-bridge"),
                    attribute("telemetry.distro.version", env!("CARGO_PKG_VERSION")),
                ],
                ..Default::default()
            }),
            scope_spans: Vec::new(),
            schema_url: String::new(),
        }],
    }
}

/// [`test_request`] as the destination would send it: its view applied, compressed when
/// it compresses.
pub fn test_batch(destination: &dyn Destination, service_name: &str) -> EncodedBatch {
    let mut request = test_request(service_name);
    destination.apply_view(&mut request);
    let raw = request.encode_to_vec();
    let raw_len = raw.len();
    let body = if destination.gzip() { gzip(&raw) } else { raw };
    EncodedBatch {
        body: bytes::Bytes::from(body),
        gzip: destination.gzip(),
        span_count: 0,
        raw_len,
        traces: Arc::from(Vec::new()),
    }
}

/// The variables a fix names, per destination.
#[derive(Debug, Clone)]
struct Hints {
    endpoint_var: String,
    ca_var: String,
    /// The setting that turns certificate verification off, as it would be written.
    verify_off: String,
    ca_path: Option<String>,
    auth_fix: String,
    path_fix: String,
    service: String,
}

fn hints_for(config: Option<&BridgeConfig>, name: &str) -> Hints {
    let ca_path = |tls: &genai_telemetry_core::config::TlsSettings| {
        tls.ca_bundle.as_ref().map(|b| b.path.display().to_string())
    };
    if let Some(l) = config
        .and_then(|c| c.langfuse.as_ref())
        .filter(|l| l.name == name)
    {
        return Hints {
            endpoint_var: "LANGFUSE_ENDPOINT".to_owned(),
            ca_var: "LANGFUSE_SSL_CA_BUNDLE".to_owned(),
            verify_off: "LANGFUSE_SSL_VERIFY=false".to_owned(),
            ca_path: ca_path(&l.tls),
            auth_fix: format!(
                "check LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY: both must come from the same project, \
                 on the Langfuse instance or region in LANGFUSE_ENDPOINT ({}); keys of EU cloud do not work on US cloud",
                l.endpoint
            ),
            path_fix: "set LANGFUSE_ENDPOINT to the base URL only (e.g. https://cloud.langfuse.com); the bridge \
                 appends /api/public/otel/v1/traces. Self-hosted Langfuse needs v3.22 or later for OTLP"
                .to_owned(),
            service: "Langfuse".to_owned(),
        };
    }
    if let Some(i) = config
        .and_then(|c| c.instana.as_ref())
        .filter(|i| i.name == name)
    {
        return Hints {
            endpoint_var: "INSTANA_ENDPOINT".to_owned(),
            ca_var: "INSTANA_SSL_CA_BUNDLE".to_owned(),
            verify_off: "INSTANA_SSL_VERIFY=false".to_owned(),
            ca_path: ca_path(&i.tls),
            auth_fix: "check INSTANA_API_KEY (sent as x-instana-key): it must be the agent key of this Instana tenant"
                .to_owned(),
            path_fix: "set INSTANA_ENDPOINT to the base URL of the host agent's OTLP/HTTP port \
                 (http://<agent-host>:4318) or of the backend's OTLP acceptor; the bridge appends /v1/traces. \
                 On the agent, OTLP must be enabled (com.instana.plugin.opentelemetry)"
                .to_owned(),
            service: "the Instana agent or acceptor".to_owned(),
        };
    }
    if let Some(o) = config
        .and_then(|c| c.otlp.as_ref())
        .filter(|o| o.name == name)
    {
        return Hints {
            endpoint_var: "OTEL_EXPORTER_OTLP_ENDPOINT".to_owned(),
            ca_var: "OTEL_EXPORTER_OTLP_CERTIFICATE".to_owned(),
            verify_off: "OTEL_EXPORTER_OTLP_INSECURE=true".to_owned(),
            ca_path: ca_path(&o.tls),
            auth_fix: "check the credentials in OTEL_EXPORTER_OTLP_HEADERS (e.g. authorization=Bearer%20<token>)"
                .to_owned(),
            path_fix: "OTEL_EXPORTER_OTLP_ENDPOINT is a base URL (the bridge appends /v1/traces); \
                 OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is used as it is. Use the OTLP/HTTP port (usually 4318), \
                 not gRPC (4317)"
                .to_owned(),
            service: "the OTLP endpoint".to_owned(),
        };
    }
    Hints {
        endpoint_var: format!("the endpoint of destination {name}"),
        ca_var: format!("the CA bundle of destination {name}"),
        verify_off: format!("turning certificate verification off for destination {name}"),
        ca_path: None,
        auth_fix: format!("check the credentials of destination {name}"),
        path_fix: format!("check the URL path of destination {name}"),
        service: format!("destination {name}"),
    }
}

/// Sends the test request to one destination and judges the answer.
async fn check_destination(
    destination: &dyn Destination,
    service_name: &str,
    hints: &Hints,
) -> DestinationCheck {
    let endpoint = destination.endpoint();
    let batch = test_batch(destination, service_name);
    let started = Instant::now();
    let outcome = destination.send(&batch).await;
    let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let mut check = DestinationCheck {
        destination: destination.name().to_owned(),
        endpoint: endpoint.clone(),
        verdict: Verdict::Ok,
        summary: String::new(),
        cause: String::new(),
        fix: None,
        status: None,
        elapsed_ms,
    };
    match outcome {
        ExportOutcome::Delivered => {
            check.summary = "accepted an empty OTLP export request".to_owned();
            check.cause = check.summary.clone();
        }
        ExportOutcome::Unauthorized { status, reason } => {
            check.verdict = Verdict::AuthRejected;
            check.status = Some(status);
            check.summary = first_line(&reason);
            check.cause = reason;
            check.fix = Some(hints.auth_fix.clone());
        }
        ExportOutcome::Rejected { status, reason } if status == 404 || status == 405 => {
            check.verdict = Verdict::WrongPath;
            check.status = Some(status);
            check.summary = format!("POST {endpoint} answered {}", first_line(&reason));
            check.cause = reason;
            check.fix = Some(hints.path_fix.clone());
        }
        ExportOutcome::Rejected { status, reason } => {
            check.verdict = Verdict::Other;
            check.status = Some(status);
            check.summary = format!(
                "the server refused the test request: {}",
                first_line(&reason)
            );
            check.cause = reason;
            check.fix = Some(if status == 415 {
                format!(
                    "this does not look like an OTLP/HTTP protobuf endpoint; {}",
                    hints.path_fix
                )
            } else {
                format!(
                    "the endpoint answered but refused an empty OTLP request; check that {} is an OTLP/HTTP endpoint",
                    hints.endpoint_var
                )
            });
        }
        ExportOutcome::TooLarge { reason } => {
            check.verdict = Verdict::Other;
            check.status = Some(413);
            check.summary = "the server says an empty request is too large".to_owned();
            check.cause = reason;
            check.fix = Some(format!(
                "a proxy in front of {} limits request bodies to almost nothing; raise its limit",
                hints.service
            ));
        }
        ExportOutcome::Transient { reason, .. } | ExportOutcome::Throttled { reason, .. } => {
            classify_transport(&mut check, &endpoint, reason, hints).await;
        }
    }
    check
}

fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or_default();
    let mut out: String = line.chars().take(200).collect();
    if out.len() < line.len() {
        out.push('…');
    }
    out
}

/// A transport failure or a retryable status: TLS, DNS, refused, timeout, server error.
async fn classify_transport(
    check: &mut DestinationCheck,
    endpoint: &str,
    reason: String,
    hints: &Hints,
) {
    let lower = reason.to_ascii_lowercase();
    check.cause = reason.clone();
    if let Some(status) = http_status(&reason) {
        check.status = Some(status);
        check.verdict = Verdict::Other;
        check.summary = format!("the server answered {}", first_line(&reason));
        check.fix = Some(if status == 429 {
            format!(
                "{} is rate limiting; retry later or ask for a higher limit",
                hints.service
            )
        } else {
            format!(
                "{} reported an error of its own; check its status and logs, then run the doctor again",
                hints.service
            )
        });
        return;
    }
    if lower.contains("tls error") || lower.contains("certificate") || lower.contains("handshake") {
        check.verdict = Verdict::Tls;
        let ca = match &hints.ca_path {
            Some(path) => format!("{}={path}", hints.ca_var),
            None => format!(
                "no CA bundle ({} is not set), system roots only",
                hints.ca_var
            ),
        };
        let (summary, fix) = if lower.contains("unknown issuer") || lower.contains("unknownissuer")
        {
            (
                format!(
                    "unknown issuer: the server's certificate is signed by a CA this client does not trust ({ca})"
                ),
                match &hints.ca_path {
                    Some(path) => format!(
                        "{path} does not contain the CA that signed the server's certificate: add that CA \
                         (PEM) to it, or point {} at the right file",
                        hints.ca_var
                    ),
                    None => format!(
                        "if the server uses a corporate or self-signed CA, set {} to a PEM file with that CA",
                        hints.ca_var
                    ),
                },
            )
        } else if lower.contains("expired") {
            (
                format!("the server's certificate has expired ({ca})"),
                format!(
                    "renew the certificate on the server; {} would hide the problem and is not a fix",
                    hints.verify_off
                ),
            )
        } else if lower.contains("name mismatch")
            || lower.contains("notvalidforname")
            || lower.contains("not valid for name")
        {
            (
                format!(
                    "name mismatch: the server's certificate does not cover the host in {endpoint} ({ca})"
                ),
                format!(
                    "make the host in {} one the certificate was issued for (the cause lists them), or have \
                     the certificate reissued for this host",
                    hints.endpoint_var
                ),
            )
        } else if lower.contains("invalidcontenttype")
            || lower.contains("corrupt message")
            || lower.contains("wrong version number")
        {
            (
                format!("the server did not answer in TLS ({ca})"),
                format!(
                    "the server may speak plain HTTP: check whether {} should start with http://",
                    hints.endpoint_var
                ),
            )
        } else {
            (
                format!("TLS handshake failed ({ca})"),
                format!(
                    "check the server's certificate chain and {}; the cause above names what rustls refused",
                    hints.ca_var
                ),
            )
        };
        check.summary = summary;
        check.fix = Some(fix);
        return;
    }
    let target = host_port(endpoint);
    let dns_failed = lower.contains("dns error")
        || lower.contains("failed to lookup address")
        || match &target {
            Some((host, port)) => tokio::net::lookup_host((host.as_str(), *port))
                .await
                .is_err(),
            None => false,
        };
    let shown = target
        .as_ref()
        .map(|(h, p)| format!("{h}:{p}"))
        .unwrap_or_else(|| endpoint.to_owned());
    if dns_failed {
        check.verdict = Verdict::Dns;
        let host = target.map(|(h, _)| h).unwrap_or_default();
        check.summary = format!("the host name {host} does not resolve");
        check.fix = Some(format!(
            "check the host in {} for typos; internal names may need the VPN or the cluster's DNS",
            hints.endpoint_var
        ));
        return;
    }
    check.verdict = Verdict::Unreachable;
    if lower.contains("no answer") || lower.contains("timed out") || lower.contains("timeout") {
        check.summary = format!("no answer from {shown} before the export timeout");
        check.fix = Some(format!(
            "a firewall or a missing proxy may swallow the connection: check that {shown} is reachable from \
             this host (HTTPS_PROXY/NO_PROXY are honoured), or raise TELEMETRY_EXPORT_TIMEOUT"
        ));
    } else if lower.contains("refused") {
        check.summary = format!("connection refused by {shown}");
        check.fix = Some(format!(
            "nothing listens on {shown}: start {} or correct the host and port in {}",
            hints.service, hints.endpoint_var
        ));
    } else {
        check.summary = format!("cannot connect to {shown}");
        check.fix = Some(format!(
            "check that {} runs and that {} names it",
            hints.service, hints.endpoint_var
        ));
    }
}

/// The status of a `HTTP 503 Service Unavailable: ...` reason.
pub(crate) fn http_status(reason: &str) -> Option<u16> {
    let rest = reason.strip_prefix("HTTP ")?;
    rest.get(..3)?.parse().ok()
}

fn host_port(endpoint: &str) -> Option<(String, u16)> {
    let url = url::Url::parse(endpoint).ok()?;
    let host = match url.host()? {
        url::Host::Domain(d) => d.to_owned(),
        url::Host::Ipv4(ip) => ip.to_string(),
        url::Host::Ipv6(ip) => ip.to_string(),
    };
    Some((host, url.port_or_known_default()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_read_from_http_reasons_only() {
        assert_eq!(http_status("HTTP 503 Service Unavailable: busy"), Some(503));
        assert_eq!(http_status("otlp: cannot connect to http://x"), None);
    }

    #[test]
    fn the_test_request_has_a_resource_and_no_spans() {
        let r = test_request("svc");
        assert_eq!(r.resource_spans.len(), 1);
        assert!(r.resource_spans[0].scope_spans.is_empty());
    }

    #[test]
    fn an_invalid_configuration_exits_with_two() {
        let report = DoctorReport::invalid_config(&ConfigError {
            problems: vec![genai_telemetry_core::ConfigProblem {
                variable: "TELEMETRY_SAMPLE_RATE".to_owned(),
                problem: "2 is above 1".to_owned(),
                fix: "use a ratio".to_owned(),
            }],
        });
        assert_eq!(report.exit_code(), EXIT_INVALID_CONFIG);
        assert!(
            report
                .to_text()
                .contains("TELEMETRY_SAMPLE_RATE: 2 is above 1")
        );
    }
}
