//! Criterion benches of response parsing on the caller's path: the work the instrumentation
//! does on the application's thread, between the provider's bytes arriving and the response
//! reaching the caller, to learn usage, finish reasons, ids and (with content capture on)
//! the output message.
//!
//! - `parse/openai/chat_json`: `openai_compat::response::parse_response` on a whole
//!   chat-completion body (what the OpenAI and LiteLLM layers call when a non-streamed body
//!   ends), content capture on; `parse/openai/chat_json_no_capture`: the same with capture
//!   off (the default).
//! - `parse/openai/sse_stream`: a streamed chat completion fed as the layer feeds it, one
//!   network read per event: `SseParser::push` on each read, each event handed to
//!   `StreamAccumulator::push_event`, then `SseParser::finish` and
//!   `StreamAccumulator::finish`. The stream has one chunk per word of the answer, a final
//!   chunk with `finish_reason`, the `usage` chunk of `stream_options.include_usage`, and
//!   `[DONE]`. Capture on.
//! - `parse/bedrock/*`: the Bedrock interceptor's reading of a successful unary response, one
//!   per `InvokeModel` body format (`anthropic`, `nova`, `titan_text`, `llama`,
//!   `mistral_chat`, `cohere_command_r`, `ai21_jamba`) and `converse`: the body parsed as
//!   JSON, the model family's reader, then the `x-amzn-bedrock-*-token-count` headers, through
//!   `interceptor::bench_support` (a hidden, bench-only entry point into the function the
//!   interceptor calls). Capture on. The model family is detected from the model id and
//!   request body before timing, as the interceptor does at request time.
//!
//! Every answer is the same text of about 1 KB; throughput is in response bytes. Not
//! measured: request parsing, span creation and recording (attributes, cost, metrics: see
//! `span_end/*` in `benches/pipeline.rs`), HTTP, the SDKs' own deserialization, event-stream
//! frame decoding of Bedrock streams.

#![allow(missing_docs, clippy::unwrap_used)]

use aws_smithy_runtime_api::http::Headers;
use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main};
use genai_telemetry_bridge::bedrock::BedrockModelFamily;
use genai_telemetry_bridge::bedrock::interceptor::bench_support::{
    read_converse_response, read_invoke_model_response,
};
use genai_telemetry_bridge::genai::openai_compat::Endpoint;
use genai_telemetry_bridge::genai::openai_compat::response::{StreamAccumulator, parse_response};
use genai_telemetry_bridge::genai::openai_compat::sse::SseParser;
use genai_telemetry_bridge::genai::{GenAiResponse, MessagePart};
use serde_json::{Value, json};

/// The model's answer in every body: about 1 KB of text.
const ANSWER: &str = "For a team of five, the Team plan is the best fit. It costs $12 per \
    seat per month billed monthly, or $10.20 per seat per month billed annually (15% off), so \
    $60 or $51 a month for five people. It includes 1 TB of pooled storage, single sign-on \
    with Okta, Entra ID or Google Workspace, audit logs kept for 180 days, and priority email \
    support with a four-hour response target on business days.\n\nYou can add or remove seats \
    at any time from the admin console; changes are prorated to the day on the next invoice. \
    If you expect to grow past 25 people or need data residency in the EU, the Business plan \
    adds regional storage, a 99.95% uptime commitment and a named support engineer, and it \
    can be started as a 30-day trial without a card.\n\nWould you like me to prepare a quote \
    for the annual Team plan, or compare it with Business for your expected growth over the \
    next year? I can also send the security review package (SOC 2 Type II report and the \
    data processing agreement) to your IT contact.";

fn bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

/// The captured answer text, to check each body parses as expected before timing.
fn answer_text(response: &GenAiResponse) -> String {
    response
        .output_messages
        .iter()
        .flat_map(|m| &m.parts)
        .filter_map(|p| match p {
            MessagePart::Text { content } => Some(content.as_str()),
            _ => None,
        })
        .collect()
}

fn check(name: &str, response: &GenAiResponse) {
    assert_eq!(answer_text(response), ANSWER, "{name}: answer captured");
    assert!(
        response.usage.input_tokens.is_some() && response.usage.output_tokens.is_some(),
        "{name}: usage read: {:?}",
        response.usage
    );
    assert!(!response.finish_reasons.is_empty(), "{name}: finish reason");
}

// ---------------------------------------------------------------------------------------
// OpenAI

fn chat_completion() -> Vec<u8> {
    bytes(&json!({
        "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
        "object": "chat.completion",
        "created": 1_741_569_952,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": ANSWER, "refusal": null, "annotations": []},
            "logprobs": null,
            "finish_reason": "stop"
        }],
        "usage": {
            "prompt_tokens": 298, "completion_tokens": 231, "total_tokens": 529,
            "prompt_tokens_details": {"cached_tokens": 128, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}
        },
        "service_tier": "default",
        "system_fingerprint": "fp_06737a9306"
    }))
}

fn sse_event(data: &Value) -> Vec<u8> {
    format!("data: {data}\n\n").into_bytes()
}

/// The network reads of a streamed chat completion: one event each.
fn chat_stream() -> Vec<Vec<u8>> {
    let chunk = |delta: Value, finish: Value| {
        json!({
            "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
            "object": "chat.completion.chunk",
            "created": 1_741_569_952,
            "model": "gpt-4o-mini-2024-07-18",
            "service_tier": "default",
            "system_fingerprint": "fp_06737a9306",
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}],
            "usage": null
        })
    };
    let mut reads = vec![sse_event(&chunk(
        json!({"role": "assistant", "content": "", "refusal": null}),
        Value::Null,
    ))];
    // One chunk per word (with its leading whitespace), about what the API sends per token.
    let mut start = 0;
    for (i, c) in ANSWER.char_indices() {
        if c.is_whitespace() && i > start {
            reads.push(sse_event(&chunk(
                json!({"content": &ANSWER[start..i]}),
                Value::Null,
            )));
            start = i;
        }
    }
    reads.push(sse_event(&chunk(
        json!({"content": &ANSWER[start..]}),
        Value::Null,
    )));
    reads.push(sse_event(&chunk(json!({}), json!("stop"))));
    reads.push(sse_event(&json!({
        "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
        "object": "chat.completion.chunk",
        "created": 1_741_569_952,
        "model": "gpt-4o-mini-2024-07-18",
        "service_tier": "default",
        "system_fingerprint": "fp_06737a9306",
        "choices": [],
        "usage": {"prompt_tokens": 298, "completion_tokens": 231, "total_tokens": 529,
                  "prompt_tokens_details": {"cached_tokens": 128, "audio_tokens": 0},
                  "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0}}
    })));
    reads.push(b"data: [DONE]\n\n".to_vec());
    reads
}

/// What the OpenAI layer's response observer does with a stream's reads.
fn parse_stream(reads: &[Vec<u8>]) -> GenAiResponse {
    let mut parser = SseParser::new();
    let mut accumulator = StreamAccumulator::new(Endpoint::ChatCompletions, true, None);
    let mut on_event = |event: Option<&str>, data: &str| {
        accumulator.push_event(event, data);
    };
    for read in reads {
        parser.push(read, &mut on_event);
    }
    parser.finish(&mut on_event);
    accumulator.finish()
}

fn openai(group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    let body = chat_completion();
    check(
        "openai/chat_json",
        &parse_response(Endpoint::ChatCompletions, &body, true, None).unwrap(),
    );
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("openai/chat_json", |b| {
        b.iter(|| parse_response(Endpoint::ChatCompletions, &body, true, None))
    });
    group.bench_function("openai/chat_json_no_capture", |b| {
        b.iter(|| parse_response(Endpoint::ChatCompletions, &body, false, None))
    });

    let reads = chat_stream();
    check("openai/sse_stream", &parse_stream(&reads));
    let total: usize = reads.iter().map(Vec::len).sum();
    group.throughput(Throughput::Bytes(total as u64));
    group.bench_function("openai/sse_stream", |b| b.iter(|| parse_stream(&reads)));
}

// ---------------------------------------------------------------------------------------
// Bedrock

struct BedrockCase {
    name: &'static str,
    model_id: &'static str,
    /// The request body (only its shape matters: it picks the family).
    request: Value,
    family: BedrockModelFamily,
    response: Value,
    /// Token counts Bedrock sends as headers with InvokeModel responses.
    token_headers: Option<(u64, u64)>,
}

fn headers(token_counts: Option<(u64, u64)>, len: usize) -> Headers {
    let mut h = Headers::new();
    h.insert("content-type", "application/json");
    h.insert("content-length", len.to_string());
    h.insert("x-amzn-requestid", "5f3e3b7a-4b1e-4a55-9b0e-1c2d3e4f5a6b");
    if let Some((input, output)) = token_counts {
        h.insert("x-amzn-bedrock-input-token-count", input.to_string());
        h.insert("x-amzn-bedrock-output-token-count", output.to_string());
        h.insert("x-amzn-bedrock-invocation-latency", "2371");
    }
    h
}

fn user_messages() -> Value {
    json!([{"role": "user", "content": "Which plan suits a team of five?"}])
}

fn bedrock_cases() -> Vec<BedrockCase> {
    vec![
        BedrockCase {
            name: "bedrock/anthropic",
            model_id: "us.anthropic.claude-3-5-sonnet-20240620-v1:0",
            request: json!({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 400,
                            "system": "You are a sales assistant.", "messages": user_messages()}),
            family: BedrockModelFamily::AnthropicMessages,
            response: json!({
                "id": "msg_bdrk_01Tq8pBpSxKdxoYwqVGz8fM2", "type": "message", "role": "assistant",
                "model": "claude-3-5-sonnet-20240620",
                "content": [{"type": "text", "text": ANSWER}],
                "stop_reason": "end_turn", "stop_sequence": null,
                "usage": {"input_tokens": 170, "output_tokens": 236,
                          "cache_read_input_tokens": 128, "cache_creation_input_tokens": 0}
            }),
            token_headers: Some((298, 236)),
        },
        BedrockCase {
            name: "bedrock/nova",
            model_id: "eu.amazon.nova-lite-v1:0",
            request: json!({"schemaVersion": "messages-v1",
                            "messages": [{"role": "user", "content": [{"text": "Which plan suits a team of five?"}]}],
                            "inferenceConfig": {"maxTokens": 400, "temperature": 0.2}}),
            family: BedrockModelFamily::AmazonNova,
            response: json!({
                "output": {"message": {"role": "assistant", "content": [{"text": ANSWER}]}},
                "stopReason": "end_turn",
                "usage": {"inputTokens": 298, "outputTokens": 240, "totalTokens": 538,
                          "cacheReadInputTokenCount": 0, "cacheWriteInputTokenCount": 0}
            }),
            token_headers: Some((298, 240)),
        },
        BedrockCase {
            name: "bedrock/titan_text",
            model_id: "amazon.titan-text-express-v1",
            request: json!({"inputText": "Which plan suits a team of five?",
                            "textGenerationConfig": {"maxTokenCount": 400, "temperature": 0.2}}),
            family: BedrockModelFamily::AmazonTitanText,
            response: json!({
                "inputTextTokenCount": 298,
                "results": [{"tokenCount": 244, "outputText": ANSWER, "completionReason": "FINISH"}]
            }),
            token_headers: Some((298, 244)),
        },
        BedrockCase {
            name: "bedrock/llama",
            model_id: "us.meta.llama3-1-70b-instruct-v1:0",
            request: json!({"prompt": "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWhich plan suits a team of five?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
                            "max_gen_len": 400, "temperature": 0.2}),
            family: BedrockModelFamily::MetaLlama,
            response: json!({
                "generation": ANSWER, "prompt_token_count": 298,
                "generation_token_count": 238, "stop_reason": "stop"
            }),
            token_headers: Some((298, 238)),
        },
        BedrockCase {
            name: "bedrock/mistral_chat",
            model_id: "mistral.mistral-large-2407-v1:0",
            request: json!({"messages": user_messages(), "max_tokens": 400, "temperature": 0.2}),
            family: BedrockModelFamily::MistralChat,
            response: json!({
                "id": "cmpl-e5cc70bb28c444948073e77776eb30ef", "object": "chat.completion",
                "created": 1_741_569_952, "model": "mistral-large-2407",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": ANSWER,
                             "tool_calls": null}, "stop_reason": "stop"}],
                "usage": {"prompt_tokens": 298, "completion_tokens": 247, "total_tokens": 545}
            }),
            token_headers: Some((298, 247)),
        },
        BedrockCase {
            name: "bedrock/cohere_command_r",
            model_id: "cohere.command-r-plus-v1:0",
            request: json!({"message": "Which plan suits a team of five?", "chat_history": [],
                            "max_tokens": 400, "temperature": 0.2}),
            family: BedrockModelFamily::CohereCommandR,
            response: json!({
                "response_id": "2d6f0d62-a5a4-4a3b-9a5b-6b1e1e8c5d1f", "text": ANSWER,
                "generation_id": "6f1c0a9e-2b5e-4c39-8b9a-0e4c2f7d3a11",
                "chat_history": [
                    {"role": "USER", "message": "Which plan suits a team of five?"},
                    {"role": "CHATBOT", "message": ANSWER}
                ],
                "finish_reason": "COMPLETE",
                "meta": {"api_version": {"version": "1"},
                         "billed_units": {"input_tokens": 298, "output_tokens": 241},
                         "tokens": {"input_tokens": 298, "output_tokens": 241}}
            }),
            token_headers: Some((298, 241)),
        },
        BedrockCase {
            name: "bedrock/ai21_jamba",
            model_id: "ai21.jamba-1-5-mini-v1:0",
            request: json!({"messages": user_messages(), "max_tokens": 400, "temperature": 0.2}),
            family: BedrockModelFamily::Ai21Jamba,
            response: json!({
                "id": "chatcmpl-7f0e5c1b-9d1e-4b6a-8c2d-3e4f5a6b7c8d",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": ANSWER,
                             "tool_calls": null}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 298, "completion_tokens": 239, "total_tokens": 537},
                "meta": {"requestDurationMillis": 2210}, "model": "jamba-1.5-mini"
            }),
            token_headers: Some((298, 239)),
        },
    ]
}

fn converse_body() -> Value {
    json!({
        "output": {"message": {"role": "assistant", "content": [{"text": ANSWER}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 170, "outputTokens": 236, "totalTokens": 534,
                  "cacheReadInputTokens": 128, "cacheWriteInputTokens": 0},
        "metrics": {"latencyMs": 2371}
    })
}

fn bedrock(group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    for case in bedrock_cases() {
        let family = BedrockModelFamily::detect(case.model_id, &case.request);
        assert_eq!(family, case.family, "{}: family", case.name);
        let body = bytes(&case.response);
        let headers = headers(case.token_headers, body.len());
        check(
            case.name,
            &read_invoke_model_response(family, &headers, &body, true).unwrap(),
        );
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function(case.name, |b| {
            b.iter(|| read_invoke_model_response(family, &headers, &body, true))
        });
    }

    let body = bytes(&converse_body());
    let headers = headers(None, body.len());
    check(
        "bedrock/converse",
        &read_converse_response(&headers, &body, true).unwrap(),
    );
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("bedrock/converse", |b| {
        b.iter(|| read_converse_response(&headers, &body, true))
    });
}

fn parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    openai(&mut group);
    bedrock(&mut group);
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
