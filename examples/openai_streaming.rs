//! A streamed chat completion through async-openai instrumented with `OpenAiTelemetryLayer`
//! (`stream: true`, `stream_options.include_usage: true`): it prints the chunks as they
//! arrive, then the span as the back ends received it, with the time to first chunk
//! (`gen_ai.response.time_to_first_chunk`, Langfuse's `completion_start_time`) and the
//! token usage taken from the final usage chunk. The span stays open while the caller
//! reads the stream and ends with it.
//!
//! ```text
//! cargo run -p genai-telemetry-bridge --example openai_streaming --features full
//! ```
//!
//! No account needed: the model is a loopback mock of the OpenAI API
//! (`genai_telemetry_receiver::mock_llm`, answering after 300 ms) and two loopback OTLP
//! receivers stand in for Langfuse and Instana. With `OPENAI_API_KEY` set (`OPENAI_BASE_URL`,
//! `OPENAI_MODEL` optional, default `gpt-4o-mini`) the real API streams the answer; with
//! `LANGFUSE_PUBLIC_KEY` and `LANGFUSE_SECRET_KEY`, `INSTANA_ENDPOINT` or
//! `OTEL_EXPORTER_OTLP_ENDPOINT` set, the span goes to those back ends instead.

#![allow(clippy::print_stdout)] // an example: printing is its job

#[path = "support/backends.rs"]
mod backends;

use std::time::{Duration, Instant};

use async_openai::Client;
use async_openai::middleware::ReqwestService;
use async_openai::types::chat::{
    ChatCompletionRequestSystemMessage, ChatCompletionRequestUserMessage,
    ChatCompletionStreamOptions, CreateChatCompletionRequestArgs,
};
use backends::{Backends, Error, print_views};
use futures_util::StreamExt as _;
use genai_telemetry_bridge::genai::semconv::attr;
use genai_telemetry_bridge::openai::OpenAiTelemetryLayer;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let backends = Backends::start("streaming-chat")?;
    let instrumentation = backends.instrumentation()?;
    let (openai_config, http, model, _mock) = backends::openai_llm(Duration::from_millis(300))?;
    let service = tower::ServiceBuilder::new()
        .layer(OpenAiTelemetryLayer::new(instrumentation))
        .service(ReqwestService::new(http));
    let llm = Client::with_config(openai_config).with_http_service(service);

    let request = CreateChatCompletionRequestArgs::default()
        .model(model)
        .max_completion_tokens(100u32)
        .messages([
            ChatCompletionRequestSystemMessage::from("Answer in one short sentence.").into(),
            ChatCompletionRequestUserMessage::from("What is the capital of France?").into(),
        ])
        .stream(true)
        // The final chunk carries the token usage, which the span records.
        .stream_options(ChatCompletionStreamOptions {
            include_usage: Some(true),
            include_obfuscation: None,
        })
        .build()?;

    println!("\nchunks as they arrive (time since the request):");
    let started = Instant::now();
    let mut stream = llm.chat().create_stream(request).await?;
    let mut first_content = None;
    let mut answer = String::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        let at = started.elapsed();
        let text: String = chunk
            .choices
            .iter()
            .filter_map(|c| c.delta.content.as_deref())
            .collect();
        let finish = chunk.choices.iter().find_map(|c| c.finish_reason.as_ref());
        let what = if !text.is_empty() {
            first_content.get_or_insert(at);
            answer.push_str(&text);
            format!("content {text:?}")
        } else if let Some(reason) = finish {
            format!("finish_reason {reason:?}")
        } else if let Some(usage) = &chunk.usage {
            format!(
                "usage: prompt {} + completion {} = {} tokens",
                usage.prompt_tokens, usage.completion_tokens, usage.total_tokens
            )
        } else {
            "(role, no content)".to_owned()
        };
        println!("   {:>7.1} ms  {what}", millis(at));
    }
    println!("answer: {answer}");

    let Some(received) = backends.finish(1).await? else {
        return Ok(());
    };
    let Some(span) = received.langfuse_span("chat ") else {
        println!("the Langfuse stand-in received no chat span");
        return Ok(());
    };
    let instana = received.instana_twin(span);
    println!("\nthe stream's span as exported:");
    match span.double_attribute(attr::RESPONSE_TIME_TO_FIRST_CHUNK) {
        Some(seconds) => println!(
            "   time to first chunk: {:.1} ms on the span (the caller saw its first content after {:.1} ms)",
            seconds * 1e3,
            first_content.map_or(f64::NAN, millis)
        ),
        None => println!("   time to first chunk: MISSING on the span"),
    }
    println!(
        "   Langfuse's completion start time: {}",
        span.string_attribute("langfuse.observation.completion_start_time")
            .unwrap_or("MISSING")
    );
    println!(
        "   usage: input {} + output {} tokens; streamed: {}",
        opt(span.int_attribute(attr::USAGE_INPUT_TOKENS)),
        opt(span.int_attribute(attr::USAGE_OUTPUT_TOKENS)),
        opt(span.bool_attribute(attr::REQUEST_STREAM)),
    );
    println!();
    print_views(span, instana);
    Ok(())
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn opt<T: std::fmt::Display>(value: Option<T>) -> String {
    value.map_or_else(|| "MISSING".to_owned(), |v| v.to_string())
}
