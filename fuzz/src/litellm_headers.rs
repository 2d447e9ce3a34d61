//! LiteLLM response headers: `genai_telemetry_litellm::headers::read_headers`.
//!
//! Input: `name: value` lines (names that are not valid header names and values that are
//! not valid header values are skipped, as `http` would never hand them over).

use genai_telemetry_core::genai::GenAiResponse;
use genai_telemetry_core::genai::semconv::litellm;
use genai_telemetry_litellm::headers::read_headers;
use http::{HeaderMap, HeaderName, HeaderValue};

/// The headers an input stands for.
pub fn header_map(data: &[u8]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for line in data.split(|&b| b == b'\n') {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        let value = value.strip_prefix(b" ").unwrap_or(value);
        if let (Ok(name), Ok(value)) =
            (HeaderName::from_bytes(name), HeaderValue::from_bytes(value))
        {
            map.append(name, value);
        }
    }
    map
}

/// Checks one input.
pub fn check(data: &[u8]) {
    let headers = header_map(data);
    let mut response = GenAiResponse::default();
    read_headers(&headers, &mut response);
    if let Some(cost) = &response.reported_cost {
        assert!(cost.total.is_finite() && cost.total > 0.0, "{cost:?}");
        for part in [cost.input, cost.output].into_iter().flatten() {
            assert!(part.is_finite() && part >= 0.0, "{cost:?}");
        }
    }
    let known = [
        litellm::CALL_ID,
        litellm::MODEL_ID,
        litellm::MODEL_NAME,
        litellm::MODEL_GROUP,
        litellm::MODEL_API_BASE,
        litellm::VERSION,
        litellm::ATTEMPTED_RETRIES,
        litellm::ATTEMPTED_FALLBACKS,
        litellm::RESPONSE_DURATION_MS,
    ];
    for kv in &response.attributes {
        assert!(
            known.contains(&kv.key.as_str()),
            "unexpected attribute {}",
            kv.key
        );
        match kv.value {
            opentelemetry::Value::F64(v) => assert!(v.is_finite() && v >= 0.0, "{} = {v}", kv.key),
            opentelemetry::Value::I64(v) => assert!(v >= 0, "{} = {v}", kv.key),
            _ => {}
        }
    }
    // Headers only ever add what they carry: no usage, no content.
    assert!(response.usage.is_empty());
    assert!(response.output_messages.is_empty());
}
