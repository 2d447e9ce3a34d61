//! Diagnostics for genai-telemetry-bridge: an axum router with health, breakers, stats,
//! exported traces and Prometheus metrics.
//!
//! Not built yet: this crate is reserved for it and exports nothing. Until then, read
//! `TelemetryManager::stats()` (every counter of every destination, serializable).
