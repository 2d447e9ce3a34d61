//! Send the same OpenTelemetry traces of your LLM calls to Langfuse, Instana and any OTLP
//! endpoint at once, straight from the process, with a circuit breaker per destination.
//!
//! ```no_run
//! use genai_telemetry_bridge::TelemetryManager;
//! use opentelemetry::trace::{Tracer, TracerProvider};
//!
//! // Reads OTEL_SERVICE_NAME, LANGFUSE_*, INSTANA_*, OTEL_EXPORTER_OTLP_*, ... and `.env`.
//! let telemetry = TelemetryManager::configure()?;
//! let tracer = telemetry.tracer("my-ai-app");
//! tracer.in_span("chat gpt-4o", |_cx| { /* call the model */ });
//! let report = telemetry.shutdown_default();
//! println!("{} spans not delivered", report.undelivered());
//! # Ok::<(), genai_telemetry_bridge::BridgeError>(())
//! ```
//!
//! Everything configurable from the environment can be set in code with
//! [`TelemetryManager::builder`]. Configuration never contacts a back end, so an
//! unreachable Langfuse or Instana never delays or fails startup: it shows up in
//! [`TelemetryManager::stats`].

mod manager;

pub use manager::{TelemetryManager, TelemetryManagerBuilder, configured_destinations};

/// The Langfuse destination and its attribute view.
#[cfg(feature = "langfuse")]
pub use genai_telemetry_langfuse as langfuse;

/// The Instana destination, its attribute view and GenAI metrics.
#[cfg(feature = "instana")]
pub use genai_telemetry_instana as instana;

/// Tower layer for async-openai.
#[cfg(feature = "otel-openai")]
pub use genai_telemetry_openai as openai;

/// Interceptor for aws-sdk-bedrockruntime.
#[cfg(feature = "otel-bedrock")]
pub use genai_telemetry_bedrock as bedrock;

/// Tower layer and reqwest middleware for a LiteLLM proxy.
#[cfg(feature = "otel-litellm")]
pub use genai_telemetry_litellm as litellm;

/// The diagnostics router and the `doctor` checks.
#[cfg(feature = "diagnostics")]
pub use genai_telemetry_diagnostics as diagnostics;

/// The GenAI call recorder, workflow spans, pricing and semantic-convention keys.
pub use genai_telemetry_core::genai;

pub use genai_telemetry_core::{
    BreakerSettings, BreakerState, BridgeConfig, BridgeConfigBuilder, BridgeError, BridgeStats,
    ConfigError, ConfigProblem, Destination, DestinationSnapshot, DropReason, FlushReport,
    OtlpDestination, Pipeline, PipelineSettings, RetrySettings, ShutdownReport, TlsOptions,
};

/// The core crate, for the pipeline's extension points (custom destinations, stats types).
pub use genai_telemetry_core as core;
