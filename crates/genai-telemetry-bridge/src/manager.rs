//! `TelemetryManager`: builds the destinations from the configuration, starts the export
//! pipeline, owns the tracer provider, and shuts everything down (also when dropped).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use genai_telemetry_core::sampling::{CountingSampler, SamplingCounts};
use genai_telemetry_core::{
    BridgeConfig, BridgeConfigBuilder, BridgeError, BridgeStats, Destination, FlushReport,
    OtlpDestination, Pipeline, ShutdownReport,
};
use opentelemetry::KeyValue;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};

/// The bridge at run time: configured destinations, the export pipeline and the tracer
/// provider. Dropping it shuts the pipeline down (flushing within the configured
/// `TELEMETRY_SHUTDOWN_TIMEOUT`); call [`TelemetryManager::shutdown`] to choose the timeout
/// and read the report.
#[derive(Debug)]
pub struct TelemetryManager {
    config: BridgeConfig,
    pipeline: Pipeline,
    provider: SdkTracerProvider,
    sampler: CountingSampler,
    #[cfg(feature = "instana")]
    instana_metrics: Option<genai_telemetry_instana::InstanaMetrics>,
    shut_down: AtomicBool,
}

/// Builds a [`TelemetryManager`] from a configuration builder plus custom destinations.
#[derive(Debug)]
pub struct TelemetryManagerBuilder {
    config: BridgeConfigBuilder,
    extra: Vec<Arc<dyn Destination>>,
    install_global: bool,
}

impl TelemetryManagerBuilder {
    /// Replaces the configuration builder (e.g. `BridgeConfigBuilder::from_env()` with
    /// overrides).
    pub fn config(mut self, config: BridgeConfigBuilder) -> Self {
        self.config = config;
        self
    }

    /// Changes the configuration builder in place.
    pub fn configure(
        mut self,
        change: impl FnOnce(BridgeConfigBuilder) -> BridgeConfigBuilder,
    ) -> Self {
        self.config = change(self.config);
        self
    }

    /// Adds a destination of your own (anything implementing [`Destination`]).
    pub fn destination(mut self, destination: Arc<dyn Destination>) -> Self {
        self.extra.push(destination);
        self
    }

    /// Whether to install the tracer provider and the W3C trace-context propagator as
    /// OpenTelemetry globals (default: true).
    pub fn install_global(mut self, install: bool) -> Self {
        self.install_global = install;
        self
    }

    /// Validates the configuration and starts the pipeline. Fails only on invalid
    /// configuration, never because a back end is unreachable.
    pub fn build(self) -> Result<TelemetryManager, BridgeError> {
        let config = self.config.build()?;
        TelemetryManager::start(config, self.extra, self.install_global)
    }
}

impl TelemetryManager {
    /// Configures from the environment and `.env`, and installs the tracer provider
    /// globally. Errors name the variable at fault.
    pub fn configure() -> Result<Self, BridgeError> {
        Self::builder()
            .config(BridgeConfigBuilder::from_env())
            .build()
    }

    /// A builder starting from an empty configuration (use
    /// `.config(BridgeConfigBuilder::from_env())` to start from the environment).
    pub fn builder() -> TelemetryManagerBuilder {
        TelemetryManagerBuilder {
            config: BridgeConfig::builder(),
            extra: Vec::new(),
            install_global: true,
        }
    }

    /// Starts from an already validated configuration, without touching globals.
    pub fn from_config(config: BridgeConfig) -> Result<Self, BridgeError> {
        Self::start(config, Vec::new(), false)
    }

    fn start(
        config: BridgeConfig,
        extra: Vec<Arc<dyn Destination>>,
        install_global: bool,
    ) -> Result<Self, BridgeError> {
        for warning in &config.warnings {
            tracing::warn!("{warning}");
        }
        let mut destinations = configured_destinations(&config)?;
        destinations.extend(extra);
        if destinations.is_empty() {
            tracing::warn!(
                "no telemetry destination is enabled: set LANGFUSE_PUBLIC_KEY/LANGFUSE_SECRET_KEY, \
                 INSTANA_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT; spans are recorded but not exported"
            );
        }
        let resource = resource(&config);
        #[cfg(feature = "instana")]
        let instana_metrics = match &config.instana {
            Some(settings) if settings.metrics.enabled => {
                Some(genai_telemetry_instana::InstanaMetrics::new(
                    settings,
                    &config.pipeline,
                    resource.clone(),
                )?)
            }
            _ => None,
        };
        let pipeline = Pipeline::start(destinations, config.pipeline.clone(), &resource)?;
        // Parent-based ratio at the head, or parent-based always-on when tail sampling
        // applies the rate after the trace ended.
        let sampler = CountingSampler::for_config(&config);
        let provider = SdkTracerProvider::builder()
            .with_resource(resource)
            .with_sampler(sampler.clone())
            .with_span_processor(pipeline.processor())
            .build();
        if install_global {
            opentelemetry::global::set_tracer_provider(provider.clone());
            opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
        }
        tracing::info!(
            destinations = ?pipeline.destination_names(),
            sample_rate = config.sample_rate,
            tail_sampling = config.pipeline.tail_sampling.is_some(),
            "telemetry bridge started"
        );
        Ok(Self {
            config,
            pipeline,
            provider,
            sampler,
            #[cfg(feature = "instana")]
            instana_metrics,
            shut_down: AtomicBool::new(false),
        })
    }

    /// A tracer from this manager's provider.
    pub fn tracer(&self, name: &'static str) -> SdkTracer {
        self.provider.tracer(name)
    }

    /// The tracer provider (clone it to hand to libraries).
    pub fn tracer_provider(&self) -> &SdkTracerProvider {
        &self.provider
    }

    /// The configuration in force (secrets redacted in `Debug` and serialization).
    pub fn config(&self) -> &BridgeConfig {
        &self.config
    }

    /// The export pipeline (stats, flush, breaker reset).
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// The meter provider that exports GenAI metrics to Instana, when Instana and its
    /// metrics are enabled: hand it to the instrumentation layers.
    #[cfg(feature = "instana")]
    pub fn instana_meter_provider(&self) -> Option<&opentelemetry_sdk::metrics::SdkMeterProvider> {
        self.instana_metrics.as_ref().map(|m| m.meter_provider())
    }

    /// Head-sampling decisions so far (spans kept and dropped by `TELEMETRY_SAMPLE_RATE`;
    /// under tail sampling every local root is kept here and the tail's decisions are in
    /// [`stats`](Self::stats)`().tail_sampling`).
    pub fn sampling(&self) -> SamplingCounts {
        self.sampler.counts()
    }

    /// Counters of every destination.
    pub fn stats(&self) -> BridgeStats {
        self.pipeline.stats()
    }

    /// Delivers everything pending now, waiting up to `timeout`.
    pub fn flush(&self, timeout: Duration) -> FlushReport {
        self.pipeline.flush(timeout)
    }

    /// Stops intake, flushes within `timeout` and reports what was delivered and what was
    /// not. Safe to call from async code and from a current-thread runtime: exports run
    /// on the bridge's own thread. Idempotent.
    pub fn shutdown(&self, timeout: Duration) -> ShutdownReport {
        self.shut_down.store(true, Ordering::SeqCst);
        // The provider forwards to the pipeline; its result is the pipeline's report,
        // which we read directly below.
        let _ = self.provider.shutdown_with_timeout(timeout);
        #[cfg(feature = "instana")]
        if let Some(metrics) = &self.instana_metrics
            && let Err(e) = metrics.shutdown()
        {
            tracing::warn!("Instana metrics: last export failed at shutdown: {e}");
        }
        self.pipeline.shutdown(timeout)
    }

    /// [`TelemetryManager::shutdown`] with `TELEMETRY_SHUTDOWN_TIMEOUT`.
    pub fn shutdown_default(&self) -> ShutdownReport {
        self.shutdown(self.config.pipeline.shutdown_timeout)
    }
}

#[cfg(feature = "diagnostics")]
impl TelemetryManager {
    /// The diagnostics router, configured from the environment (`TELEMETRY_DIAGNOSTICS_TOKEN`,
    /// `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`, ...). Mount it under a prefix:
    /// `Router::new().nest("/telemetry", telemetry.diagnostics_router()?)`.
    pub fn diagnostics_router(
        &self,
    ) -> Result<genai_telemetry_diagnostics::axum::Router, genai_telemetry_core::ConfigError> {
        Ok(self
            .diagnostics(genai_telemetry_diagnostics::DiagnosticsSettings::from_env()?)
            .router())
    }

    /// Diagnostics with explicit settings (sampling counts included).
    pub fn diagnostics(
        &self,
        settings: genai_telemetry_diagnostics::DiagnosticsSettings,
    ) -> genai_telemetry_diagnostics::Diagnostics {
        genai_telemetry_diagnostics::Diagnostics::new(
            self.pipeline.clone(),
            self.config.clone(),
            Some(self.sampler.clone()),
            settings,
        )
    }
}

impl Drop for TelemetryManager {
    fn drop(&mut self) {
        if !self.shut_down.swap(true, Ordering::SeqCst) {
            let report = self.shutdown(self.config.pipeline.shutdown_timeout);
            if report.undelivered() > 0 {
                tracing::warn!(
                    undelivered = report.undelivered(),
                    "telemetry dropped without shutdown: spans not delivered"
                );
            }
        }
    }
}

fn resource(config: &BridgeConfig) -> Resource {
    let service = &config.service;
    let mut attributes: Vec<KeyValue> = service
        .resource_attributes
        .iter()
        .filter(|(k, _)| k != "service.name")
        .map(|(k, v)| KeyValue::new(k.clone(), v.clone()))
        .collect();
    if let Some(version) = &service.version {
        attributes.push(KeyValue::new("service.version", version.clone()));
    }
    if let Some(environment) = &service.environment {
        attributes.push(KeyValue::new(
            "deployment.environment.name",
            environment.clone(),
        ));
    }
    Resource::builder_empty()
        .with_service_name(service.name.clone())
        .with_attributes(attributes)
        .with_attributes([
            KeyValue::new("telemetry.sdk.language", "rust"),
            KeyValue::new("telemetry.sdk.name", "opentelemetry"),
            KeyValue::new("telemetry.distro.name", "genai-telemetry-bridge"),
            KeyValue::new("telemetry.distro.version", env!("CARGO_PKG_VERSION")),
        ])
        .build()
}

/// The destinations the configuration enables, in order: Langfuse, Instana, generic OTLP,
/// built exactly as the running bridge builds them (the `doctor` uses this too).
pub fn configured_destinations(
    config: &BridgeConfig,
) -> Result<Vec<Arc<dyn Destination>>, BridgeError> {
    let mut out: Vec<Arc<dyn Destination>> = Vec::new();
    if let Some(settings) = &config.langfuse {
        #[cfg(feature = "langfuse")]
        out.push(Arc::new(
            genai_telemetry_langfuse::LangfuseDestination::new(settings, &config.pipeline)?,
        ));
        #[cfg(not(feature = "langfuse"))]
        {
            let _ = settings;
            return Err(feature_missing(
                "Langfuse",
                "langfuse",
                "OTEL_EXPORTER_LANGFUSE_ENABLED",
            ));
        }
    }
    if let Some(settings) = &config.instana {
        #[cfg(feature = "instana")]
        out.push(Arc::new(genai_telemetry_instana::InstanaDestination::new(
            settings,
            &config.pipeline,
        )?));
        #[cfg(not(feature = "instana"))]
        {
            let _ = settings;
            return Err(feature_missing(
                "Instana",
                "instana",
                "OTEL_EXPORTER_INSTANA_ENABLED",
            ));
        }
    }
    if let Some(otlp) = &config.otlp {
        let timeout = otlp.timeout.unwrap_or(config.pipeline.export_timeout);
        out.push(Arc::new(OtlpDestination::new(otlp, timeout)?));
    }
    Ok(out)
}

#[cfg_attr(all(feature = "langfuse", feature = "instana"), allow(dead_code))]
fn feature_missing(what: &str, feature: &str, switch: &str) -> BridgeError {
    BridgeError::Config(genai_telemetry_core::ConfigError {
        problems: vec![genai_telemetry_core::ConfigProblem {
            variable: switch.to_owned(),
            problem: format!("{what} is enabled, but this build has no {what} destination"),
            fix: format!(
                "enable the `{feature}` Cargo feature of genai-telemetry-bridge, or set {switch}=false"
            ),
        }],
    })
}
