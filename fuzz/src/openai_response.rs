//! OpenAI (and LiteLLM) whole response bodies and error bodies:
//! `openai_compat::response::{parse_response, parse_error}`.
//!
//! Input: the raw body. Every endpoint's reader sees it, with content capture on and off.

use genai_telemetry_core::genai::openai_compat::Endpoint;
use genai_telemetry_core::genai::openai_compat::response::{parse_error, parse_response};

const ENDPOINTS: [Endpoint; 4] = [
    Endpoint::ChatCompletions,
    Endpoint::Completions,
    Endpoint::Embeddings,
    Endpoint::Responses,
];

/// Checks one body.
pub fn check(data: &[u8]) {
    let is_object = serde_json::from_slice::<serde_json::Value>(data).is_ok_and(|v| v.is_object());
    for endpoint in ENDPOINTS {
        let captured = parse_response(endpoint, data, true, Some("litellm"));
        let plain = parse_response(endpoint, data, false, None);
        // A body that is not a JSON object is never taken for a response.
        assert!(
            is_object || captured.is_none(),
            "{endpoint:?} parsed a non-object"
        );
        assert_eq!(
            captured.is_some(),
            plain.is_some(),
            "{endpoint:?}: capture changed the verdict"
        );
        if let (Some(captured), Some(plain)) = (captured, plain) {
            // Capture adds content and nothing else.
            assert!(plain.output_messages.is_empty(), "content without capture");
            assert_eq!(captured.usage, plain.usage);
            assert_eq!(captured.finish_reasons, plain.finish_reasons);
            assert_eq!(captured.id, plain.id);
            assert_eq!(captured.model, plain.model);
            assert!(
                plain.reported_cost.is_none(),
                "a cost without a cost source"
            );
            if let Some(cost) = &captured.reported_cost {
                assert!(cost.total.is_finite() && cost.total >= 0.0, "{cost:?}");
            }
            assert!(captured.finish_reasons.iter().all(|r| !r.is_empty()));
        }
    }
    for status in [400u16, 429, 500] {
        let (kind, _message) = parse_error(status, data);
        assert!(!kind.is_empty(), "empty error.type for {status}");
    }
}
