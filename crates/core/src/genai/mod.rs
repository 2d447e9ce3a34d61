//! The GenAI span model shared by every instrumentation crate: semantic-convention keys
//! (v1.41), the call recorder, opt-in content capture, pricing, metrics and workflow spans.
//!
//! ```no_run
//! use genai_telemetry_core::genai::{GenAiInstrumentation, GenAiRequest, GenAiResponse, TokenUsage};
//! use genai_telemetry_core::genai::semconv::{operation, provider};
//!
//! let instrumentation = GenAiInstrumentation::from_env()?;
//! let mut call = instrumentation.start_call(
//!     GenAiRequest::new(operation::CHAT, provider::OPENAI).model("gpt-4o-mini"),
//! );
//! call.record_response(GenAiResponse {
//!     usage: TokenUsage { input_tokens: Some(12), output_tokens: Some(30), ..Default::default() },
//!     ..Default::default()
//! });
//! call.end(); // span "chat gpt-4o-mini" with tokens, cost and metrics
//! # Ok::<(), genai_telemetry_core::ConfigError>(())
//! ```
//!
//! The instrumentation crates (`genai-telemetry-openai`, `-bedrock`, `-litellm`) build on
//! [`GenAiInstrumentation`]; nothing here knows a particular client library.

pub mod body;
mod call;
mod instrumentation;
pub mod messages;
mod metrics;
pub mod openai_compat;
mod parent;
pub mod pricing;
pub mod semconv;
pub mod workflow;

pub use call::{
    GenAiCall, GenAiRequest, GenAiResponse, ReportedCost, RequestParameters, TokenUsage,
    normalize_finish_reason,
};
pub use instrumentation::{
    GenAiInstrumentation, GenAiInstrumentationBuilder, SCOPE_NAME, capture_content_from_env, scope,
};
pub use messages::{InputMessage, MessagePart, OutputMessage};
pub use metrics::GenAiMetrics;
pub use pricing::{CostBreakdown, ModelPrice, PriceOrigin, PricingTable};
pub use workflow::{
    InWorkflowSpan, WorkflowKind, WorkflowSpan, WorkflowSpanBuilder, spawn_in_current_context,
};
