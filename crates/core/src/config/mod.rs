//! Configuration: from environment variables, an optional `.env` file, or a typed builder.
//! Both paths meet in [`BridgeConfigBuilder::build`], which validates everything at once and
//! names the variable, the problem and the fix for each mistake.

mod env;
pub(crate) mod parse;

use std::path::PathBuf;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::{Serialize, Serializer};

use crate::content::{ContentPolicy, ContentSettings, MIN_MAX_ATTRIBUTE_LENGTH};
use crate::error::{ConfigError, ConfigProblem};
use crate::resilience::{BreakerSettings, RetrySettings};

pub use env::ENV_VARIABLES;

/// Langfuse Cloud (EU), the default `LANGFUSE_ENDPOINT`.
pub const DEFAULT_LANGFUSE_ENDPOINT: &str = "https://cloud.langfuse.com";
/// The local Instana host agent's OTLP/HTTP port, the default `INSTANA_ENDPOINT`.
pub const DEFAULT_INSTANA_ENDPOINT: &str = "http://localhost:4318";
/// Path of Langfuse's OTLP traces endpoint below its base URL.
pub const LANGFUSE_TRACES_PATH: &str = "/api/public/otel/v1/traces";
/// Path of the standard OTLP/HTTP traces endpoint below a base URL.
pub const OTLP_TRACES_PATH: &str = "/v1/traces";
/// Path of the standard OTLP/HTTP metrics endpoint below a base URL.
pub const OTLP_METRICS_PATH: &str = "/v1/metrics";
/// Default interval between two exports of the GenAI metrics to Instana.
pub const DEFAULT_METRICS_EXPORT_INTERVAL: Duration = Duration::from_secs(60);

/// The whole, validated configuration of the bridge.
#[derive(Debug, Clone, Serialize)]
pub struct BridgeConfig {
    /// Who is sending: service name, version, environment, extra resource attributes.
    pub service: ServiceSettings,
    /// Sampling ratio in [0, 1], parent-based: at the head, or at the tail to the traces no
    /// keep-rule matched when `pipeline.tail_sampling` is set.
    pub sample_rate: f64,
    /// Langfuse destination, when enabled.
    pub langfuse: Option<LangfuseSettings>,
    /// Instana destination, when enabled.
    pub instana: Option<InstanaSettings>,
    /// Generic OTLP destination (`OTEL_EXPORTER_OTLP_ENDPOINT`), when set.
    pub otlp: Option<OtlpSettings>,
    /// Queues, batching, retry, breaker and buffer bounds (shared by all destinations).
    pub pipeline: PipelineSettings,
    /// Things worth a warning at startup (e.g. certificate verification turned off).
    #[serde(skip)]
    pub warnings: Vec<String>,
}

impl BridgeConfig {
    /// Reads the process environment and `.env` (see [`BridgeConfigBuilder::from_env`]) and
    /// validates it.
    pub fn from_env() -> Result<Self, ConfigError> {
        BridgeConfigBuilder::from_env().build()
    }

    /// A builder with nothing set (defaults everywhere, no destination enabled).
    pub fn builder() -> BridgeConfigBuilder {
        BridgeConfigBuilder::default()
    }

    /// Names of the enabled destinations, in export order.
    pub fn destination_names(&self) -> Vec<&str> {
        let mut names = Vec::new();
        if let Some(l) = &self.langfuse {
            names.push(l.name.as_str());
        }
        if let Some(i) = &self.instana {
            names.push(i.name.as_str());
        }
        if let Some(o) = &self.otlp {
            names.push(o.name.as_str());
        }
        names
    }
}

/// Identity of the instrumented service, sent as OpenTelemetry resource attributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceSettings {
    /// `service.name` (`OTEL_SERVICE_NAME`).
    pub name: String,
    /// `service.version` (`OTEL_SERVICE_VERSION`).
    pub version: Option<String>,
    /// `deployment.environment.name` (`DEPLOYMENT_ENVIRONMENT`).
    pub environment: Option<String>,
    /// Further resource attributes (`OTEL_RESOURCE_ATTRIBUTES`).
    pub resource_attributes: Vec<(String, String)>,
}

/// Certificate verification and extra trusted CAs for one destination.
#[derive(Debug, Clone, Serialize)]
pub struct TlsSettings {
    /// Verify the server's certificate (`*_SSL_VERIFY`, default true).
    pub verify: bool,
    /// Extra CA certificates, added to the system roots (`*_SSL_CA_BUNDLE`).
    pub ca_bundle: Option<CaBundle>,
}

impl Default for TlsSettings {
    fn default() -> Self {
        Self {
            verify: true,
            ca_bundle: None,
        }
    }
}

/// CA certificates read from a PEM file at startup.
#[derive(Clone, Serialize)]
pub struct CaBundle {
    /// The file they came from.
    pub path: PathBuf,
    /// The certificates (one or more).
    #[serde(skip)]
    pub certificates: Vec<reqwest::Certificate>,
}

impl std::fmt::Debug for CaBundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaBundle")
            .field("path", &self.path)
            .field("certificates", &self.certificates.len())
            .finish()
    }
}

fn redact<S: Serializer>(_: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str("<redacted>")
}

fn redact_headers<S: Serializer>(
    headers: &[(String, SecretString)],
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(headers.len()))?;
    for (k, _) in headers {
        map.serialize_entry(k, "<redacted>")?;
    }
    map.end()
}

fn redact_opt<S: Serializer>(v: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(_) => s.serialize_some("<redacted>"),
        None => s.serialize_none(),
    }
}

/// Langfuse destination settings.
#[derive(Debug, Clone, Serialize)]
pub struct LangfuseSettings {
    /// Destination name in stats (`langfuse`).
    pub name: String,
    /// Base URL (`LANGFUSE_ENDPOINT`, also `LANGFUSE_HOST` / `LANGFUSE_BASE_URL`).
    pub endpoint: url::Url,
    /// Project public key (`LANGFUSE_PUBLIC_KEY`, `pk-lf-...`).
    pub public_key: String,
    /// Project secret key (`LANGFUSE_SECRET_KEY`); never printed.
    #[serde(serialize_with = "redact")]
    pub secret_key: SecretString,
    /// TLS (`LANGFUSE_SSL_VERIFY`, `LANGFUSE_SSL_CA_BUNDLE`).
    pub tls: TlsSettings,
    /// Prompt and completion content policy, default `full` (`LANGFUSE_CONTENT_POLICY`),
    /// and the bound on string attributes (`LANGFUSE_MAX_ATTRIBUTE_LENGTH`).
    pub content: ContentSettings,
}

impl LangfuseSettings {
    /// `{endpoint}/api/public/otel/v1/traces`.
    pub fn traces_url(&self) -> url::Url {
        join_path(&self.endpoint, LANGFUSE_TRACES_PATH)
    }
}

/// How the Instana destination reaches Instana.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InstanaMode {
    /// Through a host agent (plain http endpoint, key optional).
    Agent,
    /// Straight to an Instana OTLP acceptor (https, `x-instana-key` required).
    Agentless,
}

/// Instana destination settings.
#[derive(Debug, Clone, Serialize)]
pub struct InstanaSettings {
    /// Destination name in stats (`instana`).
    pub name: String,
    /// Base URL of the agent or acceptor (`INSTANA_ENDPOINT`).
    pub endpoint: url::Url,
    /// Agent or agentless.
    pub mode: InstanaMode,
    /// Agent key sent as `x-instana-key` (`INSTANA_API_KEY`, alias `INSTANA_AGENT_KEY`).
    #[serde(serialize_with = "redact_opt")]
    pub api_key: Option<SecretString>,
    /// Host id sent as `x-instana-host` (`INSTANA_HOST`).
    pub host: Option<String>,
    /// TLS (`INSTANA_SSL_VERIFY`, `INSTANA_SSL_CA_BUNDLE`).
    pub tls: TlsSettings,
    /// Prompt and completion content policy, default `drop` (`INSTANA_CONTENT_POLICY`),
    /// and the bound on string attributes (`INSTANA_MAX_ATTRIBUTE_LENGTH`).
    pub content: ContentSettings,
    /// GenAI metrics export (`INSTANA_METRICS_ENABLED`, `INSTANA_METRICS_EXPORT_INTERVAL`).
    pub metrics: InstanaMetricsSettings,
}

impl InstanaSettings {
    /// `{endpoint}/v1/traces`.
    pub fn traces_url(&self) -> url::Url {
        join_path(&self.endpoint, OTLP_TRACES_PATH)
    }

    /// `{endpoint}/v1/metrics`.
    pub fn metrics_url(&self) -> url::Url {
        join_path(&self.endpoint, OTLP_METRICS_PATH)
    }
}

/// Export of the GenAI client metrics (`gen_ai.client.token.usage`,
/// `gen_ai.client.operation.duration`, time to first chunk) to Instana.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct InstanaMetricsSettings {
    /// Whether the metrics are exported (`INSTANA_METRICS_ENABLED`, default true).
    pub enabled: bool,
    /// Time between two exports (`INSTANA_METRICS_EXPORT_INTERVAL`, alias
    /// `OTEL_METRIC_EXPORT_INTERVAL`, default 60 s).
    #[serde(with = "humantime_serde_compat")]
    pub export_interval: Duration,
}

impl Default for InstanaMetricsSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            export_interval: DEFAULT_METRICS_EXPORT_INTERVAL,
        }
    }
}

/// Generic OTLP/HTTP destination settings (`OTEL_EXPORTER_OTLP_*`).
#[derive(Debug, Clone, Serialize)]
pub struct OtlpSettings {
    /// Destination name in stats (`otlp`).
    pub name: String,
    /// Full traces URL.
    pub traces_url: url::Url,
    /// Headers sent with every request (values never printed).
    #[serde(serialize_with = "redact_headers")]
    pub headers: Vec<(String, SecretString)>,
    /// gzip request bodies (`OTEL_EXPORTER_OTLP_COMPRESSION=gzip`, the default here).
    pub gzip: bool,
    /// Per-request timeout (`OTEL_EXPORTER_OTLP_TIMEOUT`), else the pipeline's.
    pub timeout: Option<Duration>,
    /// TLS (`OTEL_EXPORTER_OTLP_CERTIFICATE`, `OTEL_EXPORTER_OTLP_INSECURE`).
    pub tls: TlsSettings,
}

/// Queue, batch, retry, breaker and buffer settings, per destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PipelineSettings {
    /// Spans each destination's queue holds before new ones are dropped (`queue_full`).
    pub queue_capacity: usize,
    /// Spans per export batch.
    pub batch_max_spans: usize,
    /// Estimated bytes per export batch (a batch is closed when either bound is reached).
    pub batch_max_bytes: usize,
    /// Longest time a span waits in a partial batch.
    #[serde(with = "humantime_serde_compat")]
    pub batch_timeout: Duration,
    /// Encoded bytes held per destination for replay; beyond it the oldest are dropped.
    pub replay_buffer_bytes: usize,
    /// Timeout of one export request.
    #[serde(with = "humantime_serde_compat")]
    pub export_timeout: Duration,
    /// Default time `shutdown` spends flushing.
    #[serde(with = "humantime_serde_compat")]
    pub shutdown_timeout: Duration,
    /// Worker threads of the export runtime.
    pub export_threads: usize,
    /// Recent traces kept in memory for diagnostics (0 turns the trace ledger off).
    pub recent_traces: usize,
    /// Disk spool for batches a destination cannot deliver now (`TELEMETRY_SPOOL_DIR`);
    /// `None` keeps them in memory only.
    pub spool: Option<crate::spool::SpoolSettings>,
    /// Tail sampling (`TELEMETRY_TAIL_SAMPLING`); `None` keeps head sampling only and the
    /// hot path exactly as without it.
    pub tail_sampling: Option<TailSamplingSettings>,
    /// Circuit breaker.
    #[serde(skip)]
    pub breaker: BreakerSettings,
    /// Retry backoff.
    #[serde(skip)]
    pub retry: RetrySettings,
}

mod humantime_serde_compat {
    use std::time::Duration;

    pub(super) fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&humantime::format_duration(*d).to_string())
    }
}

mod humantime_serde_opt {
    use std::time::Duration;

    pub(super) fn serialize<S: serde::Serializer>(
        d: &Option<Duration>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&humantime::format_duration(*d).to_string()),
            None => s.serialize_none(),
        }
    }
}

/// Default of `TELEMETRY_TAIL_KEEP_SLOWER_THAN`: LLM calls routinely take seconds, so only
/// traces past half a minute count as slow unless told otherwise.
pub const DEFAULT_TAIL_KEEP_SLOWER_THAN: Duration = Duration::from_secs(30);
/// Default of `TELEMETRY_TAIL_MAX_TRACES`.
pub const DEFAULT_TAIL_MAX_TRACES: usize = 10_000;
/// Default of `TELEMETRY_TAIL_MAX_SPANS`.
pub const DEFAULT_TAIL_MAX_SPANS: usize = 20_000;
/// Default of `TELEMETRY_TAIL_DECISION_WAIT`.
pub const DEFAULT_TAIL_DECISION_WAIT: Duration = Duration::from_secs(60);

/// Tail sampling: spans wait, grouped by trace, until the trace's local root span ends;
/// then the whole local trace is kept when it has an error, is slow or costly, and
/// otherwise sampled at [`sample_rate`](Self::sample_rate) by trace id (the SDK's
/// `TraceIdRatioBased` rule, so services agree on the same trace).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TailSamplingSettings {
    /// Ratio of the traces no keep-rule matched that are kept, in [0, 1].
    /// [`BridgeConfigBuilder::build`] sets it to `TELEMETRY_SAMPLE_RATE`.
    pub sample_rate: f64,
    /// Keep traces whose local root lasted longer than this
    /// (`TELEMETRY_TAIL_KEEP_SLOWER_THAN`, default 30 s; `None` turns the rule off).
    #[serde(with = "humantime_serde_opt")]
    pub keep_slower_than: Option<Duration>,
    /// Keep traces whose spans' `gen_ai.usage.cost` adds up to more than this many USD
    /// (`TELEMETRY_TAIL_KEEP_COST_ABOVE`, default off).
    pub keep_cost_above: Option<f64>,
    /// Traces waiting for a decision at most; beyond it the oldest is decided early
    /// (`TELEMETRY_TAIL_MAX_TRACES`, default 10,000).
    pub max_traces: usize,
    /// Spans buffered over all waiting traces at most; beyond it the oldest trace is
    /// decided early (`TELEMETRY_TAIL_MAX_SPANS`, default 20,000).
    pub max_spans: usize,
    /// Longest a trace waits for its local root after its first span ended; then it is
    /// decided on what is there (`TELEMETRY_TAIL_DECISION_WAIT`, default 60 s).
    #[serde(with = "humantime_serde_compat")]
    pub decision_wait: Duration,
}

// The two floats are validated finite numbers (`build` refuses NaN), so equality is total.
impl Eq for TailSamplingSettings {}

impl Default for TailSamplingSettings {
    fn default() -> Self {
        Self {
            sample_rate: 1.0,
            keep_slower_than: Some(DEFAULT_TAIL_KEEP_SLOWER_THAN),
            keep_cost_above: None,
            max_traces: DEFAULT_TAIL_MAX_TRACES,
            max_spans: DEFAULT_TAIL_MAX_SPANS,
            decision_wait: DEFAULT_TAIL_DECISION_WAIT,
        }
    }
}

impl Default for PipelineSettings {
    fn default() -> Self {
        Self {
            queue_capacity: 16_384,
            batch_max_spans: 512,
            batch_max_bytes: 4 * 1024 * 1024,
            batch_timeout: Duration::from_secs(1),
            replay_buffer_bytes: 64 * 1024 * 1024,
            export_timeout: Duration::from_secs(10),
            shutdown_timeout: Duration::from_secs(5),
            export_threads: 1,
            recent_traces: 1_000,
            spool: None,
            tail_sampling: None,
            breaker: BreakerSettings::default(),
            retry: RetrySettings::default(),
        }
    }
}

fn join_path(base: &url::Url, path: &str) -> url::Url {
    let mut url = base.clone();
    let joined = format!("{}{}", base.path().trim_end_matches('/'), path);
    url.set_path(&joined);
    url
}

/// A value and the variable it came from, so that problems name what the user wrote.
#[derive(Debug, Clone)]
struct Sourced<T> {
    value: T,
    variable: &'static str,
}

impl<T> Sourced<T> {
    fn new(value: T, variable: &'static str) -> Self {
        Self { value, variable }
    }
}

/// TLS options as given to the builder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// Verify server certificates (default true).
    pub verify: Option<bool>,
    /// PEM file with one or more CA certificates to trust in addition to the system roots.
    pub ca_bundle: Option<PathBuf>,
}

#[derive(Debug, Clone, Default)]
struct LangfuseInput {
    enabled: Option<Sourced<bool>>,
    endpoint: Option<Sourced<String>>,
    public_key: Option<String>,
    secret_key: Option<SecretString>,
    tls: TlsOptions,
    content_policy: Option<ContentPolicy>,
    max_attribute_length: Option<usize>,
}

#[derive(Debug, Clone, Default)]
struct InstanaInput {
    enabled: Option<Sourced<bool>>,
    endpoint: Option<Sourced<String>>,
    api_key: Option<Sourced<SecretString>>,
    host: Option<String>,
    tls: TlsOptions,
    content_policy: Option<ContentPolicy>,
    max_attribute_length: Option<usize>,
    metrics_enabled: Option<bool>,
    metrics_interval: Option<Duration>,
}

/// Tail sampling options as given to the environment or the builder; `None` = default.
#[derive(Debug, Clone, Default)]
struct TailInput {
    enabled: Option<bool>,
    /// `Some(None)`: the rule was turned off explicitly.
    keep_slower_than: Option<Option<Duration>>,
    keep_cost_above: Option<Option<f64>>,
    max_traces: Option<usize>,
    max_spans: Option<usize>,
    decision_wait: Option<Duration>,
}

impl TailInput {
    fn any_rule_or_bound_set(&self) -> bool {
        self.keep_slower_than.is_some()
            || self.keep_cost_above.is_some()
            || self.max_traces.is_some()
            || self.max_spans.is_some()
            || self.decision_wait.is_some()
    }
}

#[derive(Debug, Clone, Default)]
struct OtlpInput {
    endpoint: Option<Sourced<String>>,
    traces_endpoint: Option<Sourced<String>>,
    headers: Vec<(String, SecretString)>,
    gzip: Option<bool>,
    timeout: Option<Duration>,
    tls: TlsOptions,
    tls_variable: Option<&'static str>,
}

/// Builds a [`BridgeConfig`] in code, or on top of what the environment says
/// ([`BridgeConfigBuilder::from_env`]); setters override the environment.
#[derive(Debug, Clone, Default)]
pub struct BridgeConfigBuilder {
    service_name: Option<String>,
    service_version: Option<String>,
    environment: Option<String>,
    resource_attributes: Vec<(String, String)>,
    sample_rate: Option<f64>,
    langfuse: LangfuseInput,
    instana: InstanaInput,
    otlp: OtlpInput,
    tail: TailInput,
    pipeline: PipelineSettings,
    problems: Vec<ConfigProblem>,
}

impl BridgeConfigBuilder {
    /// `service.name`.
    pub fn service_name(mut self, name: impl Into<String>) -> Self {
        self.service_name = Some(name.into());
        self
    }

    /// `service.version`.
    pub fn service_version(mut self, version: impl Into<String>) -> Self {
        self.service_version = Some(version.into());
        self
    }

    /// `deployment.environment.name` (production, staging...).
    pub fn deployment_environment(mut self, environment: impl Into<String>) -> Self {
        self.environment = Some(environment.into());
        self
    }

    /// One more resource attribute.
    pub fn resource_attribute(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.resource_attributes.push((key.into(), value.into()));
        self
    }

    /// Head sampling ratio in [0, 1] (`TELEMETRY_SAMPLE_RATE`).
    pub fn sample_rate(mut self, rate: f64) -> Self {
        self.sample_rate = Some(rate);
        self
    }

    /// Turns tail sampling on or off (`TELEMETRY_TAIL_SAMPLING`, default off). On: every
    /// local root is recorded (a remote parent's "not sampled" is still honoured), traces
    /// wait for their local root to end, and `sample_rate` applies to the traces no
    /// keep-rule (error, slow, costly) matched.
    pub fn tail_sampling(mut self, enabled: bool) -> Self {
        self.tail.enabled = Some(enabled);
        self
    }

    /// Tail sampling keeps traces slower than this (`TELEMETRY_TAIL_KEEP_SLOWER_THAN`,
    /// default 30 s); `None` turns the rule off.
    pub fn tail_keep_slower_than(mut self, threshold: Option<Duration>) -> Self {
        self.tail.keep_slower_than = Some(threshold);
        self
    }

    /// Tail sampling keeps traces costing more than this many USD
    /// (`TELEMETRY_TAIL_KEEP_COST_ABOVE`, default off); `None` turns the rule off.
    pub fn tail_keep_cost_above(mut self, usd: Option<f64>) -> Self {
        self.tail.keep_cost_above = Some(usd);
        self
    }

    /// Traces waiting for a tail decision at most (`TELEMETRY_TAIL_MAX_TRACES`).
    pub fn tail_max_traces(mut self, traces: usize) -> Self {
        self.tail.max_traces = Some(traces);
        self
    }

    /// Spans buffered for tail decisions at most (`TELEMETRY_TAIL_MAX_SPANS`).
    pub fn tail_max_spans(mut self, spans: usize) -> Self {
        self.tail.max_spans = Some(spans);
        self
    }

    /// Longest a trace waits for its local root (`TELEMETRY_TAIL_DECISION_WAIT`).
    pub fn tail_decision_wait(mut self, wait: Duration) -> Self {
        self.tail.decision_wait = Some(wait);
        self
    }

    /// Enables Langfuse with a project's keys.
    pub fn langfuse(
        mut self,
        public_key: impl Into<String>,
        secret_key: impl Into<String>,
    ) -> Self {
        self.langfuse.enabled = Some(Sourced::new(true, "OTEL_EXPORTER_LANGFUSE_ENABLED"));
        self.langfuse.public_key = Some(public_key.into());
        self.langfuse.secret_key = Some(SecretString::from(secret_key.into()));
        self
    }

    /// Langfuse base URL (default Langfuse Cloud EU).
    pub fn langfuse_endpoint(mut self, url: impl Into<String>) -> Self {
        self.langfuse.endpoint = Some(Sourced::new(url.into(), "LANGFUSE_ENDPOINT"));
        self
    }

    /// Langfuse TLS options.
    pub fn langfuse_tls(mut self, tls: TlsOptions) -> Self {
        self.langfuse.tls = tls;
        self
    }

    /// What Langfuse receives of prompt and completion content (default `full`).
    pub fn langfuse_content_policy(mut self, policy: ContentPolicy) -> Self {
        self.langfuse.content_policy = Some(policy);
        self
    }

    /// Bound, in bytes, on every string attribute sent to Langfuse (default 16 KiB).
    pub fn langfuse_max_attribute_length(mut self, bytes: usize) -> Self {
        self.langfuse.max_attribute_length = Some(bytes);
        self
    }

    /// Turns Langfuse off even if the environment enables it.
    pub fn disable_langfuse(mut self) -> Self {
        self.langfuse.enabled = Some(Sourced::new(false, "OTEL_EXPORTER_LANGFUSE_ENABLED"));
        self
    }

    /// Enables Instana, sending to an agent or an OTLP acceptor at this base URL.
    pub fn instana(mut self, endpoint: impl Into<String>) -> Self {
        self.instana.enabled = Some(Sourced::new(true, "OTEL_EXPORTER_INSTANA_ENABLED"));
        self.instana.endpoint = Some(Sourced::new(endpoint.into(), "INSTANA_ENDPOINT"));
        self
    }

    /// Instana agent key, sent as `x-instana-key` (required for agentless mode).
    pub fn instana_api_key(mut self, key: impl Into<String>) -> Self {
        self.instana.api_key = Some(Sourced::new(
            SecretString::from(key.into()),
            "INSTANA_API_KEY",
        ));
        self
    }

    /// Host id sent as `x-instana-host`.
    pub fn instana_host(mut self, host: impl Into<String>) -> Self {
        self.instana.host = Some(host.into());
        self
    }

    /// Instana TLS options.
    pub fn instana_tls(mut self, tls: TlsOptions) -> Self {
        self.instana.tls = tls;
        self
    }

    /// What Instana receives of prompt and completion content (default `drop`).
    pub fn instana_content_policy(mut self, policy: ContentPolicy) -> Self {
        self.instana.content_policy = Some(policy);
        self
    }

    /// Bound, in bytes, on every string attribute sent to Instana (default 16 KiB).
    pub fn instana_max_attribute_length(mut self, bytes: usize) -> Self {
        self.instana.max_attribute_length = Some(bytes);
        self
    }

    /// Exports the GenAI metrics to Instana (default on when Instana is enabled).
    pub fn instana_metrics(mut self, enabled: bool) -> Self {
        self.instana.metrics_enabled = Some(enabled);
        self
    }

    /// Time between two exports of the GenAI metrics to Instana (default 60 s).
    pub fn instana_metrics_interval(mut self, interval: Duration) -> Self {
        self.instana.metrics_interval = Some(interval);
        self
    }

    /// Turns Instana off even if the environment enables it.
    pub fn disable_instana(mut self) -> Self {
        self.instana.enabled = Some(Sourced::new(false, "OTEL_EXPORTER_INSTANA_ENABLED"));
        self
    }

    /// Generic OTLP destination at this base URL (`/v1/traces` is appended).
    pub fn otlp_endpoint(mut self, url: impl Into<String>) -> Self {
        self.otlp.endpoint = Some(Sourced::new(url.into(), "OTEL_EXPORTER_OTLP_ENDPOINT"));
        self
    }

    /// Generic OTLP destination at this exact traces URL.
    pub fn otlp_traces_endpoint(mut self, url: impl Into<String>) -> Self {
        self.otlp.traces_endpoint = Some(Sourced::new(
            url.into(),
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        ));
        self
    }

    /// A header for the generic OTLP destination (value treated as a secret).
    pub fn otlp_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.otlp
            .headers
            .push((name.into(), SecretString::from(value.into())));
        self
    }

    /// gzip for the generic OTLP destination (default on).
    pub fn otlp_gzip(mut self, gzip: bool) -> Self {
        self.otlp.gzip = Some(gzip);
        self
    }

    /// Generic OTLP TLS options.
    pub fn otlp_tls(mut self, tls: TlsOptions) -> Self {
        self.otlp.tls = tls;
        self
    }

    /// All pipeline settings at once.
    pub fn pipeline(mut self, pipeline: PipelineSettings) -> Self {
        self.pipeline = pipeline;
        self
    }

    /// Turns the disk spool on in `dir` (`TELEMETRY_SPOOL_DIR`), keeping its bound and
    /// fsync policy if already set. One process per directory.
    pub fn spool_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        let dir = dir.into();
        match self.pipeline.spool.as_mut() {
            Some(spool) => spool.dir = dir,
            None => self.pipeline.spool = Some(crate::spool::SpoolSettings::new(dir)),
        }
        self
    }

    /// Change some pipeline settings, keeping the rest.
    pub fn tune(mut self, change: impl FnOnce(&mut PipelineSettings)) -> Self {
        change(&mut self.pipeline);
        self
    }

    fn problem(&mut self, variable: &str, problem: impl Into<String>, fix: impl Into<String>) {
        self.problems.push(ConfigProblem {
            variable: variable.to_owned(),
            problem: problem.into(),
            fix: fix.into(),
        });
    }

    /// Validates everything and returns the configuration, or every problem found.
    pub fn build(mut self) -> Result<BridgeConfig, ConfigError> {
        let mut warnings = Vec::new();

        let sample_rate = match self.sample_rate {
            None => 1.0,
            Some(rate) => match parse::check_sample_rate(rate) {
                Ok(r) => r,
                Err(e) => {
                    self.problem("TELEMETRY_SAMPLE_RATE", e.problem, e.fix);
                    1.0
                }
            },
        };
        self.check_pipeline();
        self.build_tail_sampling(sample_rate, &mut warnings);

        let langfuse = self.build_langfuse(&mut warnings);
        let instana = self.build_instana(&mut warnings);
        let otlp = self.build_otlp(&mut warnings);

        let service = ServiceSettings {
            name: self
                .service_name
                .clone()
                .or_else(|| {
                    self.resource_attributes
                        .iter()
                        .find(|(k, _)| k == "service.name")
                        .map(|(_, v)| v.clone())
                })
                .unwrap_or_else(default_service_name),
            version: self.service_version.clone(),
            environment: self.environment.clone(),
            resource_attributes: std::mem::take(&mut self.resource_attributes),
        };

        if !self.problems.is_empty() {
            return Err(ConfigError {
                problems: self.problems,
            });
        }
        Ok(BridgeConfig {
            service,
            sample_rate,
            langfuse,
            instana,
            otlp,
            pipeline: self.pipeline,
            warnings,
        })
    }

    fn check_pipeline(&mut self) {
        let p = self.pipeline.clone();
        let zero = "must be greater than zero";
        for (value, var) in [
            (p.queue_capacity, "TELEMETRY_QUEUE_CAPACITY"),
            (p.batch_max_spans, "TELEMETRY_BATCH_MAX_SPANS"),
            (p.batch_max_bytes, "TELEMETRY_BATCH_MAX_BYTES"),
            (p.replay_buffer_bytes, "TELEMETRY_REPLAY_BUFFER_BYTES"),
            (p.export_threads, "TELEMETRY_EXPORT_THREADS"),
            (
                p.breaker.failure_threshold as usize,
                "TELEMETRY_BREAKER_FAILURE_THRESHOLD",
            ),
        ] {
            if value == 0 {
                self.problem(var, zero, "use a positive whole number");
            }
        }
        for (value, var) in [
            (p.batch_timeout, "TELEMETRY_BATCH_TIMEOUT"),
            (p.export_timeout, "TELEMETRY_EXPORT_TIMEOUT"),
            (p.breaker.recovery_window, "TELEMETRY_BREAKER_RECOVERY"),
            (p.retry.initial_backoff, "TELEMETRY_RETRY_INITIAL_BACKOFF"),
        ] {
            if value.is_zero() {
                self.problem(
                    var,
                    "must be longer than zero",
                    "use a duration such as 500ms or 30s",
                );
            }
        }
        if let Some(spool) = &p.spool {
            if spool.max_bytes == 0 {
                self.problem(
                    "TELEMETRY_SPOOL_MAX_BYTES",
                    zero,
                    "use a size such as 512MiB",
                );
            }
            if spool.dir.as_os_str().is_empty() {
                self.problem(
                    "TELEMETRY_SPOOL_DIR",
                    "is empty",
                    "name a directory this process alone may write to",
                );
            }
        }
        if p.breaker.max_recovery_window < p.breaker.recovery_window {
            self.problem(
                "TELEMETRY_BREAKER_MAX_RECOVERY",
                format!(
                    "{} is shorter than TELEMETRY_BREAKER_RECOVERY ({})",
                    humantime::format_duration(p.breaker.max_recovery_window),
                    humantime::format_duration(p.breaker.recovery_window)
                ),
                "make the cap at least as long as the recovery window",
            );
        }
        if p.retry.max_backoff < p.retry.initial_backoff {
            self.problem(
                "TELEMETRY_RETRY_MAX_BACKOFF",
                "is shorter than TELEMETRY_RETRY_INITIAL_BACKOFF",
                "make the cap at least as long as the initial backoff",
            );
        }
    }

    /// Turns the tail options into `pipeline.tail_sampling` (kept as given through
    /// [`tune`](Self::tune) when no tail option was set), with the validated sample rate.
    fn build_tail_sampling(&mut self, sample_rate: f64, warnings: &mut Vec<String>) {
        let input = self.tail.clone();
        match input.enabled {
            Some(false) => self.pipeline.tail_sampling = None,
            Some(true) => {
                if self.pipeline.tail_sampling.is_none() {
                    self.pipeline.tail_sampling = Some(TailSamplingSettings::default());
                }
            }
            None => {
                if input.any_rule_or_bound_set() && self.pipeline.tail_sampling.is_none() {
                    warnings.push(
                        "TELEMETRY_TAIL_* settings have no effect: tail sampling is off \
                         (set TELEMETRY_TAIL_SAMPLING=true)"
                            .to_owned(),
                    );
                }
            }
        }
        let Some(mut tail) = self.pipeline.tail_sampling.take() else {
            return;
        };
        tail.sample_rate = sample_rate;
        if let Some(v) = input.keep_slower_than {
            tail.keep_slower_than = v;
        }
        if let Some(v) = input.keep_cost_above {
            tail.keep_cost_above = v;
        }
        if let Some(v) = input.max_traces {
            tail.max_traces = v;
        }
        if let Some(v) = input.max_spans {
            tail.max_spans = v;
        }
        if let Some(v) = input.decision_wait {
            tail.decision_wait = v;
        }
        if tail.keep_slower_than.is_some_and(|d| d.is_zero()) {
            self.problem(
                "TELEMETRY_TAIL_KEEP_SLOWER_THAN",
                "must be longer than zero (every trace would be kept as slow)",
                "use a duration such as 10s, or off to turn the rule off",
            );
        }
        if let Some(usd) = tail.keep_cost_above
            && let Err(e) = parse::check_cost(usd)
        {
            self.problem("TELEMETRY_TAIL_KEEP_COST_ABOVE", e.problem, e.fix);
        }
        for (value, var) in [
            (tail.max_traces, "TELEMETRY_TAIL_MAX_TRACES"),
            (tail.max_spans, "TELEMETRY_TAIL_MAX_SPANS"),
        ] {
            if value == 0 {
                self.problem(
                    var,
                    "must be greater than zero",
                    "use a positive whole number",
                );
            }
        }
        if tail.decision_wait.is_zero() {
            self.problem(
                "TELEMETRY_TAIL_DECISION_WAIT",
                "must be longer than zero",
                "use a duration such as 30s or 60s",
            );
        }
        self.pipeline.tail_sampling = Some(tail);
    }

    fn url(&mut self, input: &Sourced<String>, example: &str) -> Option<url::Url> {
        match parse::parse_http_url(&input.value, example) {
            Ok(u) => Some(u),
            Err(e) => {
                self.problem(input.variable, e.problem, e.fix);
                None
            }
        }
    }

    fn tls(
        &mut self,
        tls: &TlsOptions,
        verify_var: &str,
        bundle_var: &str,
        destination: &str,
        warnings: &mut Vec<String>,
    ) -> TlsSettings {
        let verify = tls.verify.unwrap_or(true);
        if !verify {
            warnings.push(format!(
                "{verify_var}=false: TLS certificates of {destination} are not verified; \
                 prefer {bundle_var} with your corporate CA"
            ));
        }
        let ca_bundle = tls
            .ca_bundle
            .as_ref()
            .and_then(|path| match load_ca_bundle(path) {
                Ok(certificates) => Some(CaBundle {
                    path: path.clone(),
                    certificates,
                }),
                Err((problem, fix)) => {
                    self.problem(bundle_var, problem, fix);
                    None
                }
            });
        TlsSettings { verify, ca_bundle }
    }

    fn build_langfuse(&mut self, warnings: &mut Vec<String>) -> Option<LangfuseSettings> {
        let input = self.langfuse.clone();
        let has_keys = input.public_key.is_some() || input.secret_key.is_some();
        let enabled = input.enabled.as_ref().map_or(has_keys, |e| e.value);
        if !enabled {
            return None;
        }
        let why = match &input.enabled {
            Some(e) => format!("Langfuse is enabled ({}=true)", e.variable),
            None => "Langfuse is enabled because one of its keys is set".to_owned(),
        };
        let public_key = input.public_key.clone().filter(|k| !k.trim().is_empty());
        if public_key.is_none() {
            self.problem(
                "LANGFUSE_PUBLIC_KEY",
                format!("is not set, but {why}"),
                "set it to the project's public key (pk-lf-...), or set OTEL_EXPORTER_LANGFUSE_ENABLED=false",
            );
        }
        let secret_key = input
            .secret_key
            .clone()
            .filter(|k| !k.expose_secret().trim().is_empty());
        if secret_key.is_none() {
            self.problem(
                "LANGFUSE_SECRET_KEY",
                format!("is not set, but {why}"),
                "set it to the project's secret key (sk-lf-...), or set OTEL_EXPORTER_LANGFUSE_ENABLED=false",
            );
        }
        let endpoint_input = input.endpoint.clone().unwrap_or_else(|| {
            Sourced::new(DEFAULT_LANGFUSE_ENDPOINT.to_owned(), "LANGFUSE_ENDPOINT")
        });
        let endpoint = self
            .url(&endpoint_input, DEFAULT_LANGFUSE_ENDPOINT)
            .map(|u| strip_suffixes(u, &[LANGFUSE_TRACES_PATH, "/api/public/otel"]));
        let tls = self.tls(
            &input.tls,
            "LANGFUSE_SSL_VERIFY",
            "LANGFUSE_SSL_CA_BUNDLE",
            "Langfuse",
            warnings,
        );
        let content = self.content(
            input.content_policy.unwrap_or(ContentPolicy::Full),
            input.max_attribute_length,
            "LANGFUSE_MAX_ATTRIBUTE_LENGTH",
        );
        Some(LangfuseSettings {
            name: "langfuse".to_owned(),
            endpoint: endpoint?,
            public_key: public_key?,
            secret_key: secret_key?,
            tls,
            content,
        })
    }

    fn build_instana(&mut self, warnings: &mut Vec<String>) -> Option<InstanaSettings> {
        let input = self.instana.clone();
        let configured = input.endpoint.is_some() || input.api_key.is_some();
        let enabled = input.enabled.as_ref().map_or(configured, |e| e.value);
        if !enabled {
            return None;
        }
        let endpoint_input = input.endpoint.clone().unwrap_or_else(|| {
            Sourced::new(DEFAULT_INSTANA_ENDPOINT.to_owned(), "INSTANA_ENDPOINT")
        });
        let endpoint = self
            .url(&endpoint_input, DEFAULT_INSTANA_ENDPOINT)
            .map(|u| strip_suffixes(u, &[OTLP_TRACES_PATH]));
        let api_key = input
            .api_key
            .clone()
            .filter(|k| !k.value.expose_secret().trim().is_empty());
        let mode = match &endpoint {
            Some(u) if u.scheme() == "https" && !is_loopback(u) => InstanaMode::Agentless,
            _ => InstanaMode::Agent,
        };
        if mode == InstanaMode::Agentless && api_key.is_none() {
            self.problem(
                "INSTANA_API_KEY",
                format!(
                    "is not set, but {} is an Instana backend (agentless mode), which requires x-instana-key",
                    endpoint_input.value
                ),
                "set INSTANA_API_KEY (or INSTANA_AGENT_KEY) to your agent key, or point INSTANA_ENDPOINT at the host agent (http://localhost:4318)",
            );
        }
        let tls = self.tls(
            &input.tls,
            "INSTANA_SSL_VERIFY",
            "INSTANA_SSL_CA_BUNDLE",
            "Instana",
            warnings,
        );
        let content = self.content(
            input.content_policy.unwrap_or(ContentPolicy::Drop),
            input.max_attribute_length,
            "INSTANA_MAX_ATTRIBUTE_LENGTH",
        );
        let export_interval = input
            .metrics_interval
            .unwrap_or(DEFAULT_METRICS_EXPORT_INTERVAL);
        if export_interval.is_zero() {
            self.problem(
                "INSTANA_METRICS_EXPORT_INTERVAL",
                "must be longer than zero",
                "use a duration such as 30s or 60s",
            );
        }
        Some(InstanaSettings {
            name: "instana".to_owned(),
            endpoint: endpoint?,
            mode,
            api_key: api_key.map(|k| k.value),
            host: input.host.clone().filter(|h| !h.trim().is_empty()),
            tls,
            content,
            metrics: InstanaMetricsSettings {
                enabled: input.metrics_enabled.unwrap_or(true),
                export_interval,
            },
        })
    }

    fn content(
        &mut self,
        policy: ContentPolicy,
        max_attribute_length: Option<usize>,
        variable: &str,
    ) -> ContentSettings {
        let mut content = ContentSettings::new(policy);
        if let Some(bytes) = max_attribute_length {
            if bytes < MIN_MAX_ATTRIBUTE_LENGTH {
                self.problem(
                    variable,
                    format!("{bytes} bytes is below the minimum of {MIN_MAX_ATTRIBUTE_LENGTH}"),
                    "use a size such as 16KiB (the default) or 64KiB",
                );
            } else {
                content.max_attribute_length = bytes;
            }
        }
        content
    }

    fn build_otlp(&mut self, warnings: &mut Vec<String>) -> Option<OtlpSettings> {
        let input = self.otlp.clone();
        let traces_url = if let Some(exact) = &input.traces_endpoint {
            self.url(exact, "http://collector:4318/v1/traces")
        } else if let Some(base) = &input.endpoint {
            self.url(base, "http://collector:4318")
                .map(|u| join_path(&u, OTLP_TRACES_PATH))
        } else {
            return None;
        };
        let bundle_var = input
            .tls_variable
            .unwrap_or("OTEL_EXPORTER_OTLP_CERTIFICATE");
        let tls = self.tls(
            &input.tls,
            "OTEL_EXPORTER_OTLP_INSECURE",
            bundle_var,
            "the OTLP endpoint",
            warnings,
        );
        Some(OtlpSettings {
            name: "otlp".to_owned(),
            traces_url: traces_url?,
            headers: input.headers.clone(),
            gzip: input.gzip.unwrap_or(true),
            timeout: input.timeout,
            tls,
        })
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Users paste full signal URLs into base-URL variables; accept both.
fn strip_suffixes(mut url: url::Url, suffixes: &[&str]) -> url::Url {
    let path = url.path().trim_end_matches('/').to_owned();
    for suffix in suffixes {
        if let Some(base) = path.strip_suffix(suffix) {
            url.set_path(base);
            return url;
        }
    }
    url.set_path(&path);
    url
}

fn default_service_name() -> String {
    let exe = std::env::current_exe()
        .ok()
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_default();
    if exe.is_empty() {
        "unknown_service".to_owned()
    } else {
        format!("unknown_service:{exe}")
    }
}

fn load_ca_bundle(path: &PathBuf) -> Result<Vec<reqwest::Certificate>, (String, String)> {
    let pem = std::fs::read(path).map_err(|e| {
        (
            format!("cannot read {}: {e}", path.display()),
            "point it at a readable PEM file with your CA certificate(s)".to_owned(),
        )
    })?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
        (
            format!(
                "{} is not a valid PEM certificate bundle: {e}",
                path.display()
            ),
            "export the CA certificate(s) in PEM format (-----BEGIN CERTIFICATE-----)".to_owned(),
        )
    })?;
    if certs.is_empty() {
        return Err((
            format!("{} contains no PEM certificate", path.display()),
            "export the CA certificate(s) in PEM format (-----BEGIN CERTIFICATE-----)".to_owned(),
        ));
    }
    Ok(certs)
}

#[cfg(test)]
mod tests;
