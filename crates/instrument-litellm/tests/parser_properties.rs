//! Property tests of LiteLLM's response-header reader (the stable twin of the
//! `litellm_headers` fuzz target): nothing panics, every generated cost comes back, and
//! values that are not a price are ignored.

#![allow(unreachable_pub, dead_code, clippy::unwrap_used)]

#[path = "../../../fuzz/src/litellm_headers.rs"]
mod litellm_headers;

use genai_telemetry_core::genai::GenAiResponse;
use genai_telemetry_litellm::headers::read_headers;
use http::{HeaderMap, HeaderValue};
use proptest::prelude::*;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 128,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn cost_of(value: &str) -> Option<f64> {
    let mut headers = HeaderMap::new();
    headers.insert(
        "x-litellm-response-cost",
        HeaderValue::from_str(value).ok()?,
    );
    let mut response = GenAiResponse::default();
    read_headers(&headers, &mut response);
    response.reported_cost.map(|c| c.total)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_header_reader_never_panics(lines in prop::collection::vec(
        (prop_oneof![
            Just("x-litellm-response-cost"), Just("x-litellm-response-cost-input"),
            Just("x-litellm-attempted-retries"), Just("x-litellm-model-name"),
            Just("x-litellm-response-duration-ms"), Just("x-litellm-model-id"), Just("x-other")],
         prop::collection::vec(any::<u8>(), 0..40)), 0..10)) {
        let mut data = Vec::new();
        for (name, value) in lines {
            data.extend_from_slice(name.as_bytes());
            data.extend_from_slice(b": ");
            data.extend_from_slice(&value);
            data.push(b'\n');
        }
        litellm_headers::check(&data);
    }

    #[test]
    fn a_generated_cost_is_read_back(cost in 1e-12f64..1e6) {
        prop_assert_eq!(cost_of(&cost.to_string()), Some(cost));
        prop_assert_eq!(cost_of(&format!("{cost:e}")), Some(cost));
    }

    #[test]
    fn values_that_are_not_a_positive_finite_price_are_ignored(
        value in prop_oneof![
            Just("NaN".to_owned()), Just("inf".to_owned()), Just("-inf".to_owned()),
            Just("None".to_owned()), Just("1e999".to_owned()), Just("0".to_owned()),
            (-1e6f64..=0.0).prop_map(|v| v.to_string()),
            "[a-zA-Z ]{1,10}",
        ],
    ) {
        prop_assert_eq!(cost_of(&value), None);
    }
}
