//! LiteLLM's response headers: the proxy's price of the call and how it routed it.

use std::sync::Arc;

use genai_telemetry_core::genai::openai_compat::OpenAiCompatConfig;
use genai_telemetry_core::genai::semconv::{cost_source, litellm};
use genai_telemetry_core::genai::{GenAiResponse, ReportedCost};
use http::HeaderMap;
use opentelemetry::KeyValue;

/// `gen_ai.provider.name` used for calls through a LiteLLM proxy. The proxy speaks the
/// OpenAI protocol whatever model serves the call; `litellm` says so honestly (set
/// `openai` with [`OpenAiCompatConfig::provider`] for strict v1.41 well-known values).
pub const PROVIDER: &str = "litellm";

/// The OpenAI-compatible configuration for a LiteLLM proxy: provider `litellm`, LiteLLM's
/// headers read into the span, `usage.cost` taken as the cost.
pub fn litellm_config() -> OpenAiCompatConfig {
    OpenAiCompatConfig::openai()
        .provider(PROVIDER)
        .response_headers(Arc::new(read_headers))
        .usage_cost_source(cost_source::LITELLM)
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty() && *v != "None")
}

fn number(headers: &HeaderMap, name: &str) -> Option<f64> {
    header(headers, name)
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v >= 0.0)
}

/// Reads `x-litellm-*` response headers into `response`.
pub fn read_headers(headers: &HeaderMap, response: &mut GenAiResponse) {
    for (name, key) in [
        ("x-litellm-call-id", litellm::CALL_ID),
        ("x-litellm-model-id", litellm::MODEL_ID),
        ("x-litellm-model-name", litellm::MODEL_NAME),
        ("x-litellm-model-group", litellm::MODEL_GROUP),
        ("x-litellm-model-api-base", litellm::MODEL_API_BASE),
        ("x-litellm-version", litellm::VERSION),
    ] {
        if let Some(value) = header(headers, name) {
            response
                .attributes
                .push(KeyValue::new(key, value.to_owned()));
        }
    }
    for (name, key) in [
        ("x-litellm-attempted-retries", litellm::ATTEMPTED_RETRIES),
        (
            "x-litellm-attempted-fallbacks",
            litellm::ATTEMPTED_FALLBACKS,
        ),
    ] {
        // Counts: a negative or absurd value is not one.
        if let Some(value) = header(headers, name).and_then(|v| v.parse::<u32>().ok()) {
            response
                .attributes
                .push(KeyValue::new(key, i64::from(value)));
        }
    }
    // The model behind the alias: what our pricing table knows when LiteLLM does not
    // price the call itself.
    response.pricing_model = header(headers, "x-litellm-model-name").map(str::to_owned);
    if let Some(ms) = number(headers, "x-litellm-response-duration-ms") {
        response
            .attributes
            .push(KeyValue::new(litellm::RESPONSE_DURATION_MS, ms));
    }
    // A streamed call's headers leave before the tokens are counted: LiteLLM sends no
    // (or a zero) cost then, and the final chunk's `usage.cost` carries it instead.
    if let Some(total) = number(headers, "x-litellm-response-cost")
        && total > 0.0
    {
        response.reported_cost = Some(ReportedCost {
            total,
            input: number(headers, "x-litellm-response-cost-input"),
            output: number(headers, "x-litellm-response-cost-output"),
            source: cost_source::LITELLM,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_and_routing_headers_become_attributes_and_reported_cost() {
        let mut headers = HeaderMap::new();
        for (k, v) in [
            ("x-litellm-call-id", "c0ffee"),
            ("x-litellm-model-id", "deployment-1"),
            ("x-litellm-model-group", "fake-gpt"),
            ("x-litellm-attempted-retries", "1"),
            ("x-litellm-attempted-fallbacks", "0"),
            ("x-litellm-response-cost", "0.00042"),
            ("x-litellm-response-cost-input", "0.0001"),
            ("x-litellm-response-cost-output", "0.00032"),
        ] {
            headers.insert(k, v.parse().unwrap_or_else(|_| unreachable!()));
        }
        let mut response = GenAiResponse::default();
        read_headers(&headers, &mut response);
        let cost = response.reported_cost.unwrap_or_else(|| unreachable!());
        assert_eq!(cost.total, 0.00042);
        assert_eq!(cost.input, Some(0.0001));
        assert_eq!(cost.source, "litellm");
        let keys: Vec<&str> = response
            .attributes
            .iter()
            .map(|kv| kv.key.as_str())
            .collect();
        assert!(keys.contains(&litellm::MODEL_ID) && keys.contains(&litellm::ATTEMPTED_RETRIES));
    }

    #[test]
    fn negative_or_absurd_retry_counts_are_ignored() {
        for bad in ["-1", "99999999999999999999", "1e3", "NaN"] {
            let mut headers = HeaderMap::new();
            headers.insert(
                "x-litellm-attempted-retries",
                http::HeaderValue::from_static(bad),
            );
            let mut response = GenAiResponse::default();
            read_headers(&headers, &mut response);
            assert!(response.attributes.is_empty(), "{bad}");
        }
    }

    #[test]
    fn a_zero_cost_header_is_not_taken_as_the_price() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-litellm-response-cost",
            http::HeaderValue::from_static("0.0"),
        );
        let mut response = GenAiResponse::default();
        read_headers(&headers, &mut response);
        assert!(response.reported_cost.is_none());
    }
}
