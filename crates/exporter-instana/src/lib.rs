//! The Instana destination of genai-telemetry-bridge: OTLP traces to the Instana host agent or,
//! agentless, to an Instana OTLP acceptor, through the OpenLLMetry-compatible [`InstanaView`];
//! and the GenAI client metrics Instana's dashboards read ([`InstanaMetrics`]).
//!
//! ```no_run
//! use std::sync::Arc;
//! use genai_telemetry_core::{BridgeConfig, Destination, Pipeline};
//! use genai_telemetry_instana::InstanaDestination;
//! use opentelemetry_sdk::{Resource, trace::SdkTracerProvider};
//!
//! let config = BridgeConfig::builder()
//!     .service_name("checkout-assistant")
//!     .instana("http://localhost:4318") // the host agent
//!     .build()?;
//! let settings = config.instana.as_ref().expect("enabled above");
//! let instana: Arc<dyn Destination> =
//!     Arc::new(InstanaDestination::new(settings, &config.pipeline)?);
//! let resource = Resource::builder().with_service_name("checkout-assistant").build();
//! let pipeline = Pipeline::start(vec![instana], config.pipeline.clone(), &resource)?;
//! let provider = SdkTracerProvider::builder()
//!     .with_resource(resource)
//!     .with_span_processor(pipeline.processor())
//!     .build();
//! // ... LLM calls instrumented with provider.tracer("app") ...
//! pipeline.shutdown(std::time::Duration::from_secs(5));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! OTLP/HTTP is the default and reaches both the agent (4318) and the acceptor. With the
//! Cargo feature `grpc`, `InstanaGrpcDestination` speaks plaintext OTLP/gRPC to the agent's
//! port 4317 instead.

mod destination;
#[cfg(feature = "grpc")]
pub mod grpc;
pub mod metrics;
mod view;

pub use destination::{INSTANA_HOST_HEADER, INSTANA_KEY_HEADER, InstanaDestination};
#[cfg(feature = "grpc")]
pub use grpc::InstanaGrpcDestination;
pub use metrics::{InstanaMetrics, MetricsExportStats};
pub use view::{HOST_IDENTIFYING_RESOURCE_ATTRIBUTES, InstanaView};
