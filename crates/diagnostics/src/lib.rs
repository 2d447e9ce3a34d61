//! Diagnostics for genai-telemetry-bridge: an axum router that shows what the bridge is doing
//! (health, breakers, stats, recent traces, a trace analyzer, Prometheus metrics) and `doctor`.
//!
//! Mount the router under a prefix of your choice; it reads snapshots of the running
//! [`Pipeline`](genai_telemetry_core::Pipeline) and never slows the export path.
//!
//! ```no_run
//! # fn demo(pipeline: genai_telemetry_core::Pipeline, config: genai_telemetry_core::BridgeConfig) -> Result<(), Box<dyn std::error::Error>> {
//! use genai_telemetry_diagnostics::{Diagnostics, DiagnosticsSettings};
//!
//! // TELEMETRY_DIAGNOSTICS_TOKEN, OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT, ...
//! let settings = DiagnosticsSettings::from_env()?;
//! let diagnostics = Diagnostics::new(pipeline, config, None, settings);
//! let app: axum::Router = axum::Router::new().nest("/telemetry", diagnostics.router());
//! // GET /telemetry/health, /telemetry/metrics, /telemetry/trace_analyzer/{id}?format=text, ...
//! # Ok(()) }
//! ```
//!
//! | module | what |
//! |---|---|
//! | [`Diagnostics`] (`router`) | the endpoints and their token rules |
//! | [`DiagnosticsSettings`] (`settings`) | token, content capture, probe interval, from the environment |
//! | [`analyzer`] | span tree, critical path, text rendering of one trace |
//! | [`doctor`] | one real test request per destination, with a verdict, cause and fix |
//! | `metrics` | the Prometheus/OpenMetrics exposition over the pipeline's snapshots |
//! | `probe` | the cached TCP reachability probe behind `/health` |
//!
//! Token rules: content-bearing endpoints (`/traces/{id}`, `/trace_analyzer/{id}`) need
//! `Authorization: Bearer $TELEMETRY_DIAGNOSTICS_TOKEN` while content capture is on, and
//! answer 403 when no token is configured; mutating endpoints (`POST /flush`,
//! `POST /circuit_breakers/{destination}/reset`) always need it. See `docs/diagnostics.md`.

mod access;
pub mod analyzer;
pub mod doctor;
mod metrics;
mod probe;
mod router;
mod settings;

/// The axum the router is built with (name `axum::Router` without depending on axum).
pub use axum;
pub use probe::Reachability;
pub use router::{DEFAULT_FAILURE_LIMIT, DEFAULT_TRACE_LIMIT, Diagnostics, MAX_FLUSH_TIMEOUT};
pub use settings::{
    CAPTURE_CONTENT_VARIABLE, DEFAULT_PROBE_INTERVAL, DiagnosticsSettings, ENV_VARIABLES,
    MIN_TOKEN_LENGTH, PROBE_INTERVAL_VARIABLE, TOKEN_VARIABLE,
};
