//! Core of genai-telemetry-bridge: configuration, the per-destination export pipeline
//! (fan-out, bounded queues, batching, retry, circuit breakers, replay) and its stats.
//!
//! The pipeline knows nothing of Instana or Langfuse: a back end is a [`Destination`]
//! (name, view, send). The generic [`OtlpDestination`] sends to any OTLP/HTTP endpoint.
//!
//! ```no_run
//! use std::sync::Arc;
//! use genai_telemetry_core::{BridgeConfig, Pipeline, OtlpDestination, Destination};
//! use opentelemetry_sdk::{Resource, trace::SdkTracerProvider};
//!
//! let config = BridgeConfig::builder()
//!     .service_name("checkout-assistant")
//!     .otlp_endpoint("http://127.0.0.1:4318")
//!     .build()?;
//! let otlp = config.otlp.as_ref().expect("enabled above");
//! let destination: Arc<dyn Destination> =
//!     Arc::new(OtlpDestination::new(otlp, config.pipeline.export_timeout)?);
//! let resource = Resource::builder().with_service_name("checkout-assistant").build();
//! let pipeline = Pipeline::start(vec![destination], config.pipeline.clone(), &resource)?;
//! let provider = SdkTracerProvider::builder()
//!     .with_resource(resource)
//!     .with_span_processor(pipeline.processor())
//!     .build();
//! // ... create spans with provider.tracer("app") ...
//! let report = pipeline.shutdown(std::time::Duration::from_secs(5));
//! println!("delivered: {:?}", report.delivered("otlp"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod config;
pub mod content;
pub mod destination;
mod error;
pub mod genai;
pub mod pipeline;
pub mod resilience;
pub mod sampling;
pub mod spool;
pub mod stats;

pub use config::{
    BridgeConfig, BridgeConfigBuilder, PipelineSettings, TailSamplingSettings, TlsOptions,
};
pub use destination::{Destination, EncodedBatch, OtlpDestination};
pub use error::{BridgeError, ConfigError, ConfigProblem};
pub use pipeline::{FanoutProcessor, FlushReport, Pipeline, ShutdownReport};
pub use resilience::{BreakerSettings, BreakerState, ExportOutcome, RetrySettings};
pub use spool::{FsyncPolicy, SpoolSettings};
pub use stats::{
    BridgeStats, DestinationSnapshot, DropReason, DroppedCounts, SpoolCounts, TailSamplingSnapshot,
};
