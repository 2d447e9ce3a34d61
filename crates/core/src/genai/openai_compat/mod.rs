//! The OpenAI HTTP API as spoken by OpenAI and by OpenAI-compatible servers (a LiteLLM
//! proxy): request and response parsing, server-sent events, and the exchange that turns
//! one request/response into one GenAI span. Used by `genai-telemetry-openai` and
//! `genai-telemetry-litellm`, so both record exactly the same things.

mod exchange;
pub mod request;
pub mod response;
pub mod sse;

pub use exchange::{
    OpenAiCompatCall, OpenAiCompatConfig, ResponseHeaderHook, ResponseObserver, reqwest_error_type,
};
pub use request::Endpoint;
