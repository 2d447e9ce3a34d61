//! The response body as the caller reads it: every byte passes unchanged, while usage,
//! finish reasons and (for streams) each server-sent event are read on the way. The span
//! ends when the body ends (`[DONE]` or EOF), fails, or is dropped early (then marked
//! `genai_telemetry.stream.cancelled`). The parsing itself is shared with the LiteLLM
//! instrumentation in `genai_telemetry_core::genai::openai_compat`.

use genai_telemetry_core::genai::body::ObservedBody;
use genai_telemetry_core::genai::openai_compat::{OpenAiCompatCall, ResponseObserver};

/// The wrapped body inside the `reqwest::Response` the layer returns.
pub type ResponseBody = ObservedBody<reqwest::Body, ResponseObserver>;

/// Wraps `response`'s body; status, headers, URL and extensions stay as they are.
pub(crate) fn observe(call: OpenAiCompatCall, response: reqwest::Response) -> reqwest::Response {
    call.observe_reqwest(response)
}
