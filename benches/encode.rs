//! Criterion benches of the export thread's per-batch work, once per destination.
//!
//! - `encode/langfuse_512`, `encode/instana_512`, `encode/otlp_512`: one call of
//!   `BatchEncoder::for_destination(d).encode(spans, resource, d)` on a batch of 512 spans,
//!   exactly what a destination's worker does with a full batch: spans (shared `Arc`s,
//!   converted by reference) → OTLP protobuf request → the destination's view
//!   (`LangfuseDestination`, `InstanaDestination`, generic `OtlpDestination`, each with its
//!   default content policy: Langfuse `full`, Instana `drop`, OTLP untouched) → size-bounded
//!   split → protobuf encoding → gzip (level 1). Throughput is in spans
//!   (`Throughput::Elements(512)`). The returned request bodies are dropped inside the timed
//!   loop.
//!
//! Not measured: batching, the replay buffer, HTTP and the network (nothing is sent; the
//! destinations point at an unused loopback port), nor the application-thread cost of
//! creating and ending the spans (see `span_end/*` in `benches/pipeline.rs`).
//!
//! The batch is made once, before timing, by the real instrumentation (`GenAiInstrumentation`
//! with content capture on, no metrics) into an in-memory collector: 128 agent runs of four
//! spans each, `invoke_agent support-agent` → `chat gpt-4o-mini` (asks for a tool) →
//! `execute_tool lookup_plan` → `chat gpt-4o-mini` (answers). The chat spans are recorded
//! from OpenAI chat-completion request and response bodies parsed by the same parsers the
//! OpenAI layer uses, so they carry what that layer sets: `gen_ai.*` request and response
//! attributes, usage, cost from the pricing table, system instructions, tool definitions and
//! input/output messages of about 1 KB, with text that differs from run to run so gzip sees
//! realistic entropy. The encoded sizes are printed once per destination before timing.

#![allow(missing_docs, clippy::unwrap_used, clippy::print_stderr)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use genai_telemetry_bridge::core::destination::BatchEncoder;
use genai_telemetry_bridge::genai::openai_compat::Endpoint;
use genai_telemetry_bridge::genai::openai_compat::request::parse_request;
use genai_telemetry_bridge::genai::openai_compat::response::parse_response;
use genai_telemetry_bridge::genai::semconv::provider;
use genai_telemetry_bridge::genai::{GenAiInstrumentation, GenAiRequest};
use genai_telemetry_bridge::instana::InstanaDestination;
use genai_telemetry_bridge::langfuse::LangfuseDestination;
use genai_telemetry_bridge::{BridgeConfig, Destination, OtlpDestination};
use opentelemetry::{Context, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource as ProtoResource;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SdkTracerProvider, Span, SpanData, SpanProcessor};
use serde_json::json;

const BATCH: usize = 512;
/// Four spans per agent run.
const RUNS: usize = BATCH / 4;

/// Keeps every ended span, in order.
#[derive(Debug, Default, Clone)]
struct Collector(Arc<Mutex<Vec<SpanData>>>);

impl SpanProcessor for Collector {
    fn on_start(&self, _span: &mut Span, _cx: &Context) {}

    fn on_end(&self, span: SpanData) {
        self.0.lock().unwrap().push(span);
    }

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }
}

/// Deterministic text that varies with `seed`, about `len` bytes of English-like words.
fn prose(seed: u64, len: usize) -> String {
    const WORDS: &[&str] = &[
        "the",
        "plan",
        "team",
        "seats",
        "billing",
        "annual",
        "monthly",
        "discount",
        "support",
        "includes",
        "priority",
        "storage",
        "users",
        "admin",
        "console",
        "audit",
        "logs",
        "export",
        "single",
        "sign-on",
        "invoice",
        "upgrade",
        "downgrade",
        "trial",
        "days",
        "limit",
        "workspace",
        "projects",
        "integrations",
        "API",
        "requests",
        "per",
        "minute",
        "quota",
        "you",
        "can",
        "add",
        "remove",
        "at",
        "any",
        "time",
        "and",
        "your",
        "account",
        "will",
        "be",
        "prorated",
        "for",
        "current",
        "period",
        "which",
        "suits",
        "five",
        "people",
        "growing",
        "companies",
        "security",
        "review",
        "compliance",
        "SOC 2",
        "data",
        "residency",
    ];
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    let mut out = String::with_capacity(len + 16);
    let mut sentence_start = true;
    while out.len() < len {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let word = WORDS[((state >> 33) as usize) % WORDS.len()];
        if !out.is_empty() {
            out.push(' ');
        }
        if sentence_start {
            let mut chars = word.chars();
            if let Some(first) = chars.next() {
                out.extend(first.to_uppercase());
                out.push_str(chars.as_str());
            }
            sentence_start = false;
        } else {
            out.push_str(word);
        }
        if (state >> 60) == 0 {
            out.push('.');
            sentence_start = true;
        }
    }
    out.push('.');
    out
}

const SYSTEM_PROMPT: &str = "You are the sales assistant of Acme Cloud. Answer questions about \
    plans, seats, billing and support levels precisely and briefly. When a question needs the \
    current price list or a customer's contract, call the lookup_plan tool instead of guessing. \
    Never promise discounts that the price list does not show.";

fn tools() -> serde_json::Value {
    json!([{
        "type": "function",
        "function": {
            "name": "lookup_plan",
            "description": "Returns the price list entry of a plan for a number of seats.",
            "parameters": {
                "type": "object",
                "properties": {
                    "plan": {"type": "string", "enum": ["starter", "team", "business"]},
                    "seats": {"type": "integer", "minimum": 1}
                },
                "required": ["plan", "seats"]
            }
        }
    }])
}

/// The request of the first call (the model is expected to call the tool).
fn first_request(run: u64, question: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "model": "gpt-4o-mini",
        "temperature": 0.2,
        "max_tokens": 400,
        "user": format!("customer-{run}"),
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": question}
        ],
        "tools": tools()
    }))
    .unwrap()
}

fn first_response(run: u64) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "id": format!("chatcmpl-B9M{run:08}a"),
        "object": "chat.completion",
        "created": 1_741_569_952,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [{
            "index": 0,
            "message": {
                "role": "assistant",
                "content": null,
                "tool_calls": [{
                    "id": format!("call_{run:08}"),
                    "type": "function",
                    "function": {"name": "lookup_plan", "arguments": "{\"plan\":\"team\",\"seats\":5}"}
                }],
                "refusal": null
            },
            "logprobs": null,
            "finish_reason": "tool_calls"
        }],
        "usage": {"prompt_tokens": 212, "completion_tokens": 21, "total_tokens": 233,
                  "prompt_tokens_details": {"cached_tokens": 128}},
        "system_fingerprint": "fp_06737a9306"
    }))
    .unwrap()
}

/// The request of the second call: the conversation so far plus the tool's result.
fn second_request(run: u64, question: &str, tool_result: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "model": "gpt-4o-mini",
        "temperature": 0.2,
        "max_tokens": 400,
        "user": format!("customer-{run}"),
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": question},
            {"role": "assistant", "content": null, "tool_calls": [{
                "id": format!("call_{run:08}"), "type": "function",
                "function": {"name": "lookup_plan", "arguments": "{\"plan\":\"team\",\"seats\":5}"}
            }]},
            {"role": "tool", "tool_call_id": format!("call_{run:08}"), "content": tool_result}
        ],
        "tools": tools()
    }))
    .unwrap()
}

fn second_response(run: u64, answer: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "id": format!("chatcmpl-B9M{run:08}b"),
        "object": "chat.completion",
        "created": 1_741_569_955,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": answer, "refusal": null, "annotations": []},
            "logprobs": null,
            "finish_reason": "stop"
        }],
        "usage": {"prompt_tokens": 298, "completion_tokens": 231, "total_tokens": 529,
                  "prompt_tokens_details": {"cached_tokens": 128}},
        "service_tier": "default",
        "system_fingerprint": "fp_06737a9306"
    }))
    .unwrap()
}

/// One chat call recorded the way the OpenAI layer records it.
fn chat(instrumentation: &GenAiInstrumentation, request_body: &[u8], response_body: &[u8]) {
    let endpoint = Endpoint::ChatCompletions;
    let mut request = GenAiRequest::new(endpoint.operation(), provider::OPENAI)
        .server("api.openai.com", Some(443));
    parse_request(endpoint, request_body, true, &mut request);
    let mut call = instrumentation.start_call(request);
    call.record_response(parse_response(endpoint, response_body, true, None).unwrap());
    call.end();
}

/// One agent run: agent → chat (tool call) → tool → chat (answer).
fn agent_run(instrumentation: &GenAiInstrumentation, run: u64) {
    let question = format!(
        "Hi, I'm setting up Acme Cloud for my company (account {run}). {}",
        prose(run * 3 + 1, 300)
    );
    let tool_result = json!({
        "plan": "team", "seats": 5, "monthly_usd": 12 + run % 7, "annual_discount": 0.15,
        "notes": prose(run * 3 + 2, 160)
    })
    .to_string();
    let answer = prose(run * 3 + 3, 900);

    let agent = instrumentation
        .agent("support-agent")
        .call_id(format!("agent-run-{run}"))
        .description("Answers plan and billing questions")
        .start();
    let guard = agent.context().clone().attach();
    chat(
        instrumentation,
        &first_request(run, &question),
        &first_response(run),
    );
    let tool = instrumentation
        .tool("lookup_plan")
        .call_id(format!("call_{run:08}"))
        .attribute(KeyValue::new("gen_ai.tool.type", "function"))
        .start();
    tool.end();
    chat(
        instrumentation,
        &second_request(run, &question, &tool_result),
        &second_response(run, &answer),
    );
    drop(guard);
    agent.end();
}

fn genai_batch() -> Vec<Arc<SpanData>> {
    let collector = Collector::default();
    let provider = SdkTracerProvider::builder()
        .with_span_processor(collector.clone())
        .build();
    let instrumentation = GenAiInstrumentation::builder()
        .tracer_provider(&provider)
        .without_metrics()
        .capture_content(true)
        .build();
    for run in 0..RUNS as u64 {
        agent_run(&instrumentation, run);
    }
    let spans: Vec<Arc<SpanData>> = std::mem::take(&mut *collector.0.lock().unwrap())
        .into_iter()
        .map(Arc::new)
        .collect();
    assert_eq!(spans.len(), BATCH);
    spans
}

/// The resource as the pipeline sends it (converted once, like the pipeline does).
fn resource() -> ProtoResource {
    let resource = Resource::builder()
        .with_service_name("checkout-assistant")
        .with_attributes([
            KeyValue::new("service.version", "1.4.2"),
            KeyValue::new("deployment.environment.name", "production"),
            KeyValue::new("host.name", "checkout-assistant-7d9f8c6b5-x2k4q"),
        ])
        .build();
    genai_telemetry_bridge::core::destination::resource_to_proto(&resource)
}

/// The three destinations, built from their default settings as the facade builds them.
fn destinations() -> Vec<(&'static str, Arc<dyn Destination>)> {
    // Nothing listens there: encoding never sends.
    let config = BridgeConfig::builder()
        .langfuse("pk-lf-bench", "sk-lf-bench")
        .langfuse_endpoint("http://127.0.0.1:9")
        .instana("http://127.0.0.1:9")
        .otlp_traces_endpoint("http://127.0.0.1:9/v1/traces")
        .build()
        .unwrap();
    vec![
        (
            "langfuse_512",
            Arc::new(
                LangfuseDestination::new(config.langfuse.as_ref().unwrap(), &config.pipeline)
                    .unwrap(),
            ),
        ),
        (
            "instana_512",
            Arc::new(
                InstanaDestination::new(config.instana.as_ref().unwrap(), &config.pipeline)
                    .unwrap(),
            ),
        ),
        (
            "otlp_512",
            Arc::new(
                OtlpDestination::new(
                    config.otlp.as_ref().unwrap(),
                    config.pipeline.export_timeout,
                )
                .unwrap(),
            ),
        ),
    ]
}

fn encode(c: &mut Criterion) {
    let spans = genai_batch();
    let resource = resource();
    let mut group = c.benchmark_group("encode");
    group.throughput(Throughput::Elements(BATCH as u64));
    for (id, dest) in destinations() {
        let encoder = BatchEncoder::for_destination(dest.as_ref());
        let out = encoder.encode(&spans, &resource, dest.as_ref());
        let span_count: u32 = out.iter().map(|b| b.span_count).sum();
        assert_eq!(span_count as usize, BATCH, "{id}: every span encoded");
        eprintln!(
            "{id}: {} request(s), {} B protobuf, {} B gzip",
            out.len(),
            out.iter().map(|b| b.raw_len).sum::<usize>(),
            out.iter().map(|b| b.body.len()).sum::<usize>(),
        );
        group.bench_function(id, |b| {
            b.iter(|| encoder.encode(&spans, &resource, dest.as_ref()))
        });
    }
    group.finish();
}

criterion_group!(benches, encode);
criterion_main!(benches);
