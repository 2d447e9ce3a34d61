//! The Langfuse destination of genai-telemetry-bridge: OTLP/HTTP to Langfuse's
//! `/api/public/otel/v1/traces`, with the [`LangfuseView`] that makes spans show up as
//! generations, embeddings, agents and tools with usage, cost, sessions and users.
//!
//! ```no_run
//! use std::sync::Arc;
//! use genai_telemetry_core::{BridgeConfig, Destination, Pipeline};
//! use genai_telemetry_langfuse::LangfuseDestination;
//! use opentelemetry_sdk::{Resource, trace::SdkTracerProvider};
//!
//! let config = BridgeConfig::builder()
//!     .service_name("checkout-assistant")
//!     .langfuse("pk-lf-...", "sk-lf-...")
//!     .build()?;
//! let settings = config.langfuse.as_ref().expect("enabled above");
//! let langfuse: Arc<dyn Destination> =
//!     Arc::new(LangfuseDestination::new(settings, &config.pipeline)?);
//! let resource = Resource::builder().with_service_name("checkout-assistant").build();
//! let pipeline = Pipeline::start(vec![langfuse], config.pipeline.clone(), &resource)?;
//! let provider = SdkTracerProvider::builder()
//!     .with_resource(resource)
//!     .with_span_processor(pipeline.processor())
//!     .build();
//! // ... LLM calls instrumented with provider.tracer("app") ...
//! pipeline.shutdown(std::time::Duration::from_secs(5));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod destination;
mod trace_attributes;
mod view;

pub use destination::{
    INGESTION_VERSION, INGESTION_VERSION_HEADER, LANGFUSE_MAX_REQUEST_BYTES, LangfuseDestination,
};
pub use trace_attributes::DEFAULT_TRACE_CACHE_CAPACITY;
pub use view::{
    COST_ATTRIBUTES, LangfuseView, OBSERVATION_COMPLETION_START_TIME, OBSERVATION_COST_DETAILS,
    OBSERVATION_INPUT, OBSERVATION_METADATA_PREFIX, OBSERVATION_MODEL_PARAMETERS,
    OBSERVATION_OUTPUT, OBSERVATION_PROMPT_NAME, OBSERVATION_PROMPT_VERSION, OBSERVATION_TYPE,
    OBSERVATION_USAGE_DETAILS, USAGE_ATTRIBUTES,
};
