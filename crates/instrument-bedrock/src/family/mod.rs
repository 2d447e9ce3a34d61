//! Bedrock model families: which body format an `InvokeModel` call speaks, and how its
//! request, response and stream chunks map onto GenAI attributes.
//!
//! The family comes from the model id's vendor (`anthropic.`, `amazon.`, `meta.`,
//! `cohere.`, `ai21.`, `mistral.`, after any cross-region prefix or ARN) and, where one
//! vendor has several formats (or the id is an opaque ARN), from the body's shape.

mod ai21;
mod amazon;
mod anthropic;
mod cohere;
mod meta;
mod mistral;

use genai_telemetry_core::genai::pricing::ModelId;
use genai_telemetry_core::genai::semconv::operation;
use genai_telemetry_core::genai::{GenAiRequest, GenAiResponse, TokenUsage};
use serde_json::Value;

use crate::stream::InvokeStream;

/// The body format of an `InvokeModel` call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BedrockModelFamily {
    /// Anthropic Messages API (`anthropic_version` + `messages`).
    AnthropicMessages,
    /// Anthropic legacy text completions (`prompt` + `max_tokens_to_sample`).
    AnthropicCompletion,
    /// Amazon Nova (`messages` + `inferenceConfig`).
    AmazonNova,
    /// Amazon Titan Text (`inputText` + `textGenerationConfig`).
    AmazonTitanText,
    /// Amazon Titan Embeddings (`inputText` only).
    AmazonTitanEmbed,
    /// Meta Llama (`prompt` + `max_gen_len`).
    MetaLlama,
    /// Cohere Command (`prompt`).
    CohereCommand,
    /// Cohere Command R / R+ (`message` + `chat_history`).
    CohereCommandR,
    /// Cohere Embed (`texts`).
    CohereEmbed,
    /// AI21 Jamba (OpenAI-style `messages`).
    Ai21Jamba,
    /// AI21 Jurassic-2 (`prompt` + `maxTokens`).
    Ai21Jurassic,
    /// Mistral text completion (`prompt`).
    MistralCompletion,
    /// Mistral chat (`messages`).
    MistralChat,
    /// Anything else: only model, usage headers and invocation metrics are read.
    Unknown,
}

impl BedrockModelFamily {
    /// Picks the family from the model id and the request body.
    pub fn detect(model_id: &str, body: &Value) -> Self {
        let id = ModelId::parse(model_id);
        let has = |key: &str| body.get(key).is_some();
        let vendor = id.vendor.map(str::to_ascii_lowercase);
        match vendor.as_deref() {
            Some("anthropic") if has("prompt") => Self::AnthropicCompletion,
            Some("anthropic") => Self::AnthropicMessages,
            Some("amazon") if id.name.contains("embed") => Self::AmazonTitanEmbed,
            Some("amazon") if id.name.starts_with("nova") => Self::AmazonNova,
            Some("amazon") => Self::AmazonTitanText,
            Some("meta") => Self::MetaLlama,
            Some("cohere") if id.name.contains("embed") => Self::CohereEmbed,
            Some("cohere") if has("message") => Self::CohereCommandR,
            Some("cohere") => Self::CohereCommand,
            Some("ai21") if has("messages") => Self::Ai21Jamba,
            Some("ai21") => Self::Ai21Jurassic,
            Some("mistral") if has("messages") => Self::MistralChat,
            Some("mistral") => Self::MistralCompletion,
            _ => Self::from_body(body),
        }
    }

    /// For ids that do not say (application inference profiles, imported models).
    fn from_body(body: &Value) -> Self {
        let has = |key: &str| body.get(key).is_some();
        if has("anthropic_version") {
            Self::AnthropicMessages
        } else if has("max_tokens_to_sample") {
            Self::AnthropicCompletion
        } else if has("schemaVersion") || has("inferenceConfig") {
            Self::AmazonNova
        } else if has("textGenerationConfig") {
            Self::AmazonTitanText
        } else if has("max_gen_len") {
            Self::MetaLlama
        } else if has("chat_history") || has("message") {
            Self::CohereCommandR
        } else if has("texts") {
            Self::CohereEmbed
        } else if has("messages") {
            Self::Ai21Jamba
        } else if has("inputText") {
            Self::AmazonTitanEmbed
        } else {
            Self::Unknown
        }
    }

    /// `gen_ai.operation.name` for the family.
    pub fn operation(self) -> &'static str {
        match self {
            Self::AnthropicMessages
            | Self::AmazonNova
            | Self::CohereCommandR
            | Self::Ai21Jamba
            | Self::MistralChat => operation::CHAT,
            Self::AmazonTitanEmbed | Self::CohereEmbed => operation::EMBEDDINGS,
            Self::AnthropicCompletion
            | Self::AmazonTitanText
            | Self::MetaLlama
            | Self::CohereCommand
            | Self::Ai21Jurassic
            | Self::MistralCompletion
            | Self::Unknown => operation::TEXT_COMPLETION,
        }
    }

    /// Fills `request` from an `InvokeModel` body.
    pub(crate) fn read_request(self, body: &Value, capture: bool, request: &mut GenAiRequest) {
        match self {
            Self::AnthropicMessages | Self::AnthropicCompletion => {
                anthropic::read_request(body, capture, request);
            }
            Self::AmazonNova | Self::AmazonTitanText | Self::AmazonTitanEmbed => {
                amazon::read_request(self, body, capture, request);
            }
            Self::MetaLlama => meta::read_request(body, capture, request),
            Self::CohereCommand | Self::CohereCommandR | Self::CohereEmbed => {
                cohere::read_request(self, body, capture, request);
            }
            Self::Ai21Jamba | Self::Ai21Jurassic => {
                ai21::read_request(self, body, capture, request)
            }
            Self::MistralCompletion | Self::MistralChat => {
                mistral::read_request(self, body, capture, request);
            }
            Self::Unknown => {}
        }
    }

    /// Reads a whole `InvokeModel` response body.
    pub(crate) fn read_response(self, body: &Value, capture: bool) -> GenAiResponse {
        let mut response = match self {
            Self::AnthropicMessages | Self::AnthropicCompletion => {
                anthropic::read_response(body, capture)
            }
            Self::AmazonNova | Self::AmazonTitanText | Self::AmazonTitanEmbed => {
                amazon::read_response(self, body, capture)
            }
            Self::MetaLlama => meta::read_response(body, capture),
            Self::CohereCommand | Self::CohereCommandR | Self::CohereEmbed => {
                cohere::read_response(self, body, capture)
            }
            Self::Ai21Jamba | Self::Ai21Jurassic => ai21::read_response(self, body, capture),
            Self::MistralCompletion | Self::MistralChat => mistral::read_response(body, capture),
            Self::Unknown => GenAiResponse::default(),
        };
        if let Some(metrics) = body.get("amazon-bedrock-invocationMetrics") {
            fill_missing(&mut response.usage, invocation_metrics(metrics));
        }
        response
    }

    /// Feeds one decoded `InvokeModelWithResponseStream` chunk.
    pub(crate) fn read_chunk(self, chunk: &Value, stream: &mut InvokeStream) {
        match self {
            Self::AnthropicMessages | Self::AnthropicCompletion => {
                anthropic::read_chunk(chunk, stream);
            }
            Self::AmazonNova | Self::AmazonTitanText | Self::AmazonTitanEmbed => {
                amazon::read_chunk(self, chunk, stream);
            }
            Self::MetaLlama => meta::read_chunk(chunk, stream),
            Self::CohereCommand | Self::CohereCommandR | Self::CohereEmbed => {
                cohere::read_chunk(chunk, stream);
            }
            Self::Ai21Jamba | Self::Ai21Jurassic => ai21::read_chunk(chunk, stream),
            Self::MistralCompletion | Self::MistralChat => mistral::read_chunk(chunk, stream),
            Self::Unknown => {}
        }
        if let Some(metrics) = chunk.get("amazon-bedrock-invocationMetrics") {
            fill_missing(&mut stream.usage, invocation_metrics(metrics));
            // Bedrock puts the invocation metrics on the last chunk of every stream.
            stream.complete = true;
        }
    }
}

/// `amazon-bedrock-invocationMetrics` (`inputTokenCount`, `outputTokenCount`, cache counts).
/// Bedrock request bodies that are OpenAI-shaped chat requests (AI21 Jamba, Mistral chat):
/// the shared OpenAI parser reads them. Bedrock bodies carry no model field, so the model id
/// taken from the URL is kept.
pub(super) fn read_openai_shaped_request(body: &Value, capture: bool, request: &mut GenAiRequest) {
    let model = request.model.take();
    if let Ok(bytes) = serde_json::to_vec(body) {
        genai_telemetry_core::genai::openai_compat::request::parse_request(
            genai_telemetry_core::genai::openai_compat::Endpoint::ChatCompletions,
            &bytes,
            capture,
            request,
        );
    }
    request.model = model;
    request.attributes.clear();
}

fn invocation_metrics(metrics: &Value) -> TokenUsage {
    let n = |k: &str| metrics.get(k).and_then(Value::as_u64);
    bedrock_usage(
        n("inputTokenCount"),
        n("outputTokenCount"),
        n("cacheReadInputTokenCount"),
        n("cacheWriteInputTokenCount"),
        None,
    )
}

/// Fills the counts `usage` lacks from `other`.
pub(crate) fn fill_missing(usage: &mut TokenUsage, other: TokenUsage) {
    fn fill(mine: &mut Option<u64>, theirs: Option<u64>) {
        if mine.is_none() {
            *mine = theirs;
        }
    }
    fill(&mut usage.input_tokens, other.input_tokens);
    fill(&mut usage.output_tokens, other.output_tokens);
    fill(
        &mut usage.cache_read_input_tokens,
        other.cache_read_input_tokens,
    );
    fill(
        &mut usage.cache_creation_input_tokens,
        other.cache_creation_input_tokens,
    );
}

/// Bedrock (like Anthropic) reports input tokens *without* the cached ones; the
/// conventions count them in. When a total is given it decides: if it equals
/// input + output alone, the input already included the cache.
pub(crate) fn bedrock_usage(
    input: Option<u64>,
    output: Option<u64>,
    cache_read: Option<u64>,
    cache_write: Option<u64>,
    total: Option<u64>,
) -> TokenUsage {
    // Counts come from the server: saturate rather than overflow (a panic in debug builds,
    // a wrapped count in release).
    let cached = cache_read
        .unwrap_or(0)
        .saturating_add(cache_write.unwrap_or(0));
    let includes_cache = match (total, input, output) {
        (Some(t), Some(i), Some(o)) => cached > 0 && i.checked_add(o) == Some(t),
        _ => false,
    };
    TokenUsage {
        input_tokens: input.map(|i| {
            if includes_cache {
                i
            } else {
                i.saturating_add(cached)
            }
        }),
        output_tokens: output,
        cache_read_input_tokens: cache_read.filter(|&t| t > 0),
        cache_creation_input_tokens: cache_write.filter(|&t| t > 0),
        reasoning_output_tokens: None,
    }
}

/// A string field.
pub(crate) fn str_of<'a>(json: &'a Value, key: &str) -> Option<&'a str> {
    json.get(key).and_then(Value::as_str)
}

/// A number field as f64.
pub(crate) fn f64_of(json: &Value, key: &str) -> Option<f64> {
    json.get(key).and_then(Value::as_f64)
}

/// A number field the SDK serialised from an `f32` (Converse's `inferenceConfig`): smithy
/// widens it to f64 before writing the JSON, so a caller's `0.7` arrives as
/// `0.699999988079071`. A value that is exactly an f32 is read back as that f32's shortest
/// decimal form (what the caller wrote); any other value as it is.
pub(crate) fn f32_of(json: &Value, key: &str) -> Option<f64> {
    let wide = f64_of(json, key)?;
    #[allow(clippy::cast_possible_truncation)] // checked: only used when exact
    let narrow = wide as f32;
    if f64::from(narrow).to_bits() == wide.to_bits() {
        narrow.to_string().parse().ok().or(Some(wide))
    } else {
        Some(wide)
    }
}

/// A number field as i64.
pub(crate) fn i64_of(json: &Value, key: &str) -> Option<i64> {
    json.get(key).and_then(Value::as_i64)
}

/// A number field as u64.
pub(crate) fn u64_of(json: &Value, key: &str) -> Option<u64> {
    json.get(key).and_then(Value::as_u64)
}

/// An array of strings.
pub(crate) fn strings_of(json: &Value, key: &str) -> Vec<String> {
    json.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_vendor_prefix_and_body_shape_picks_its_family() {
        let cases = [
            (
                "anthropic.claude-3-5-sonnet-20240620-v1:0",
                json!({"anthropic_version": "bedrock-2023-05-31", "messages": []}),
                BedrockModelFamily::AnthropicMessages,
            ),
            (
                "us.anthropic.claude-v2:1",
                json!({"prompt": "\n\nHuman: hi\n\nAssistant:", "max_tokens_to_sample": 10}),
                BedrockModelFamily::AnthropicCompletion,
            ),
            (
                "eu.amazon.nova-lite-v1:0",
                json!({"messages": []}),
                BedrockModelFamily::AmazonNova,
            ),
            (
                "amazon.titan-text-express-v1",
                json!({"inputText": "hi"}),
                BedrockModelFamily::AmazonTitanText,
            ),
            (
                "amazon.titan-embed-text-v2:0",
                json!({"inputText": "hi"}),
                BedrockModelFamily::AmazonTitanEmbed,
            ),
            (
                "meta.llama3-1-70b-instruct-v1:0",
                json!({"prompt": "hi"}),
                BedrockModelFamily::MetaLlama,
            ),
            (
                "cohere.command-text-v14",
                json!({"prompt": "hi"}),
                BedrockModelFamily::CohereCommand,
            ),
            (
                "cohere.command-r-plus-v1:0",
                json!({"message": "hi"}),
                BedrockModelFamily::CohereCommandR,
            ),
            (
                "cohere.embed-english-v3",
                json!({"texts": ["hi"]}),
                BedrockModelFamily::CohereEmbed,
            ),
            (
                "ai21.jamba-1-5-mini-v1:0",
                json!({"messages": []}),
                BedrockModelFamily::Ai21Jamba,
            ),
            (
                "ai21.j2-ultra-v1",
                json!({"prompt": "hi"}),
                BedrockModelFamily::Ai21Jurassic,
            ),
            (
                "mistral.mistral-7b-instruct-v0:2",
                json!({"prompt": "hi"}),
                BedrockModelFamily::MistralCompletion,
            ),
            (
                "mistral.mistral-large-2407-v1:0",
                json!({"messages": []}),
                BedrockModelFamily::MistralChat,
            ),
            (
                "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123",
                json!({"anthropic_version": "bedrock-2023-05-31", "messages": []}),
                BedrockModelFamily::AnthropicMessages,
            ),
            (
                "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.meta.llama3-2-1b-instruct-v1:0",
                json!({"prompt": "hi"}),
                BedrockModelFamily::MetaLlama,
            ),
        ];
        for (id, body, family) in cases {
            assert_eq!(BedrockModelFamily::detect(id, &body), family, "{id}");
        }
    }

    #[test]
    fn cached_tokens_are_added_to_input_unless_the_total_says_they_are_in_it() {
        let u = bedrock_usage(Some(10), Some(5), Some(100), Some(20), Some(135));
        assert_eq!(u.input_tokens, Some(130));
        let u = bedrock_usage(Some(130), Some(5), Some(100), Some(20), Some(135));
        assert_eq!(u.input_tokens, Some(130));
        let u = bedrock_usage(Some(10), Some(5), Some(100), None, None);
        assert_eq!(u.input_tokens, Some(110));
        assert_eq!(u.cache_creation_input_tokens, None);
    }
}

#[cfg(test)]
mod f32_tests {
    use super::f32_of;
    use serde_json::json;

    #[test]
    fn widened_f32_values_read_back_as_the_decimals_written() {
        let body = json!({"t": f64::from(0.7f32), "p": f64::from(0.9f32), "half": 0.5});
        assert_eq!(f32_of(&body, "t"), Some(0.7));
        assert_eq!(f32_of(&body, "p"), Some(0.9));
        assert_eq!(f32_of(&body, "half"), Some(0.5));
    }

    #[test]
    fn values_that_are_not_f32_stay_as_they_are() {
        let body = json!({"x": 0.7, "big": 1e300, "s": "0.7"});
        assert_eq!(f32_of(&body, "x"), Some(0.7));
        assert_eq!(f32_of(&body, "big"), Some(1e300));
        assert_eq!(f32_of(&body, "s"), None);
        assert_eq!(f32_of(&body, "missing"), None);
    }
}
