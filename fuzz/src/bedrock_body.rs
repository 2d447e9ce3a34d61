//! Bedrock unary response bodies: every `InvokeModel` model family, `Converse`, and error
//! bodies, through the interceptor's own readers
//! (`genai_telemetry_bedrock::interceptor::{bench_support, fuzz_support}`).
//!
//! Input: a first line naming the family (`anthropic-messages`, `amazon-nova`, … as in
//! [`FAMILIES`]; anything else picks one from its first byte), then the raw body.

use aws_smithy_runtime_api::http::Headers;
use genai_telemetry_bedrock::BedrockModelFamily;
use genai_telemetry_bedrock::interceptor::{bench_support, fuzz_support};

/// Family names as the seed files spell them.
pub const FAMILIES: [(&str, BedrockModelFamily); 14] = [
    ("anthropic-messages", BedrockModelFamily::AnthropicMessages),
    (
        "anthropic-completion",
        BedrockModelFamily::AnthropicCompletion,
    ),
    ("amazon-nova", BedrockModelFamily::AmazonNova),
    ("amazon-titan-text", BedrockModelFamily::AmazonTitanText),
    ("amazon-titan-embed", BedrockModelFamily::AmazonTitanEmbed),
    ("meta-llama", BedrockModelFamily::MetaLlama),
    ("cohere-command", BedrockModelFamily::CohereCommand),
    ("cohere-command-r", BedrockModelFamily::CohereCommandR),
    ("cohere-embed", BedrockModelFamily::CohereEmbed),
    ("ai21-jamba", BedrockModelFamily::Ai21Jamba),
    ("ai21-jurassic", BedrockModelFamily::Ai21Jurassic),
    ("mistral-completion", BedrockModelFamily::MistralCompletion),
    ("mistral-chat", BedrockModelFamily::MistralChat),
    ("unknown", BedrockModelFamily::Unknown),
];

/// Splits a `family\nbody` input.
pub fn split(data: &[u8]) -> (BedrockModelFamily, &[u8]) {
    let (head, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &data[data.len()..]),
    };
    let named = FAMILIES
        .iter()
        .find(|(name, _)| name.as_bytes() == head)
        .map(|(_, f)| *f);
    let family = named.unwrap_or_else(|| {
        FAMILIES[usize::from(head.first().copied().unwrap_or(0)) % FAMILIES.len()].1
    });
    (family, body)
}

fn headers(pairs: &[(&str, &str)]) -> Headers {
    let mut h = Headers::new();
    for (k, v) in pairs {
        // Static, valid names and values: `insert` cannot fail here.
        let _ = h.try_insert(k.to_string(), v.to_string());
    }
    h
}

/// Checks one input.
pub fn check(data: &[u8]) {
    let (family, body) = split(data);
    let is_json = serde_json::from_slice::<serde_json::Value>(body).is_ok();
    let json = headers(&[("content-type", "application/json")]);
    let counted = headers(&[
        ("content-type", "application/json"),
        ("x-amzn-bedrock-input-token-count", "11"),
        ("x-amzn-bedrock-output-token-count", "7"),
    ]);
    let media = headers(&[("content-type", "image/png")]);

    let captured = bench_support::read_invoke_model_response(family, &json, body, true);
    let plain = bench_support::read_invoke_model_response(family, &json, body, false);
    // JSON bodies are read; anything else declared as JSON is an invalid response.
    assert_eq!(
        captured.is_ok(),
        is_json,
        "{family:?}: verdict and JSON-ness disagree"
    );
    assert_eq!(plain.is_ok(), is_json);
    if let (Ok(captured), Ok(plain)) = (&captured, &plain) {
        assert!(plain.output_messages.is_empty(), "content without capture");
        assert_eq!(captured.usage, plain.usage);
        assert_eq!(captured.finish_reasons, plain.finish_reasons);
    }
    // Header counts fill what the body lacks and never replace what it has.
    if let (Ok(with), Ok(without)) = (
        bench_support::read_invoke_model_response(family, &counted, body, false),
        &plain,
    ) {
        assert_eq!(
            with.usage.input_tokens,
            without.usage.input_tokens.or(Some(11)),
            "{family:?}: header count"
        );
        assert_eq!(
            with.usage.output_tokens,
            without.usage.output_tokens.or(Some(7))
        );
    }
    // Non-JSON media (images, audio) is not an error.
    assert!(bench_support::read_invoke_model_response(family, &media, body, true).is_ok());

    let converse = bench_support::read_converse_response(&json, body, true);
    assert_eq!(
        converse.is_ok(),
        is_json,
        "Converse verdict and JSON-ness disagree"
    );

    for status in [400u16, 429, 500] {
        let (kind, _message) = fuzz_support::read_error_response(status, &json, body);
        assert!(!kind.is_empty(), "empty error.type");
    }
}
