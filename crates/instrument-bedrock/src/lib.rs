//! OpenTelemetry GenAI spans, metrics and cost for `aws-sdk-bedrockruntime`.
//!
//! One interceptor records `Converse`, `ConverseStream`, `InvokeModel` and
//! `InvokeModelWithResponseStream`: span `"{operation} {model id}"` (kind CLIENT,
//! provider `aws.bedrock`), request parameters, usage (from the body, the final stream
//! event, or the `x-amzn-bedrock-*-token-count` headers), normalised finish reasons,
//! guardrail id, cost (cross-region prefixes and ARNs included), errors, and for streams
//! the time to first chunk, with the span kept open until the stream ends or is dropped.
//!
//! | module | feature | what |
//! |---|---|---|
//! | [`interceptor`] | `interceptor` (default) | [`BedrockTelemetryInterceptor`] and its event-stream body wrapper |
//! | [`family`] | always | [`BedrockModelFamily`]: the `InvokeModel` body formats |

// Without the interceptor only `BedrockModelFamily::detect` is reachable; the parsers wait.
#![cfg_attr(not(feature = "interceptor"), allow(dead_code))]

mod converse;
pub mod family;
#[cfg(feature = "interceptor")]
pub mod interceptor;
mod stream;

pub use family::BedrockModelFamily;
pub use genai_telemetry_core::genai::GenAiInstrumentation;
#[cfg(feature = "interceptor")]
pub use interceptor::BedrockTelemetryInterceptor;
