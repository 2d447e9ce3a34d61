//! Calls through a LiteLLM proxy, instrumented two ways: a plain HTTP call with
//! `reqwest-middleware` and `LiteLlmTelemetryMiddleware`, then a streamed call with
//! async-openai pointed at the proxy through `litellm::async_openai::layer`. It prints the
//! proxy's `x-litellm-*` response headers and the spans as the back ends received them:
//! provider `litellm`, the proxy's own price of the call as the cost (source `litellm`), and
//! `litellm.*` attributes (deployment, model group, call id, retries, fallbacks, ...) read
//! from those headers.
//!
//! ```text
//! cargo run -p genai-telemetry-bridge --example litellm_proxy --features full
//! ```
//!
//! No account needed: the proxy is a loopback mock of the OpenAI API
//! (`genai_telemetry_receiver::mock_llm`, answering after 200 ms) that adds the response
//! headers a LiteLLM proxy sends, and two loopback OTLP receivers stand in for Langfuse and
//! Instana. With `LITELLM_PROXY_URL` set (e.g. `http://localhost:4000`; `LITELLM_API_KEY`
//! for its key, `LITELLM_MODEL` for the model name, default `gpt-4o-mini`) the calls go to
//! that proxy; with `LANGFUSE_PUBLIC_KEY` and `LANGFUSE_SECRET_KEY`, `INSTANA_ENDPOINT` or
//! `OTEL_EXPORTER_OTLP_ENDPOINT` set, the spans go to those back ends instead.

#![allow(clippy::print_stdout)] // an example: printing is its job

#[path = "support/backends.rs"]
mod backends;

use std::time::Duration;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::middleware::ReqwestService;
use async_openai::types::chat::{
    ChatCompletionRequestUserMessage, ChatCompletionStreamOptions, CreateChatCompletionRequestArgs,
};
use backends::{Backends, Error, env, print_tree, print_views};
use futures_util::StreamExt as _;
use genai_telemetry_bridge::genai::GenAiInstrumentation;
use genai_telemetry_bridge::litellm::LiteLlmTelemetryMiddleware;
use genai_telemetry_receiver::mock_llm::{MockLlm, MockLlmConfig};
use serde_json::{Value, json};

/// What the proxy is and how to reach it.
struct Proxy {
    /// Base URL, e.g. `http://localhost:4000`.
    url: String,
    api_key: Option<String>,
    model: String,
    /// The HTTP client that reaches it.
    http: reqwest::Client,
    /// The loopback mock, when no proxy is configured (stops when dropped).
    _mock: Option<MockLlm>,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let backends = Backends::start("litellm-client")?;
    let instrumentation = backends.instrumentation()?;
    let proxy = proxy()?;

    println!(
        "\n1. POST {}/chat/completions with reqwest-middleware",
        proxy.url
    );
    let answer = plain_http_call(&proxy, &instrumentation).await?;
    println!("   answer: {answer}");

    println!("\n2. a streamed call with async-openai pointed at the proxy");
    let answer = async_openai_stream(&proxy, instrumentation).await?;
    println!("   answer: {answer}");

    let Some(received) = backends.finish(2).await? else {
        return Ok(());
    };
    let spans = |streamed: bool| {
        received.langfuse.iter().find(|s| {
            s.name.starts_with("chat ")
                && s.bool_attribute("gen_ai.request.stream").unwrap_or(false) == streamed
        })
    };
    if let Some(span) = spans(false) {
        println!("\nthe span of call 1 as each back end received it:");
        print_views(span, received.instana_twin(span));
    }
    if let Some(span) = spans(true) {
        println!("\nthe span of call 2 (streamed) as the Langfuse stand-in decoded it:");
        print_tree(std::slice::from_ref(span), &|key| {
            key.starts_with("litellm.")
                || key.starts_with("gen_ai.usage.")
                || key == "gen_ai.provider.name"
                || key == "gen_ai.request.stream"
                || key == "gen_ai.response.time_to_first_chunk"
                || key == "genai_telemetry.cost.source"
                || key == "langfuse.observation.cost_details"
        });
    }
    Ok(())
}

/// Any HTTP client call: the middleware records every OpenAI-shaped request it sees.
async fn plain_http_call(
    proxy: &Proxy,
    instrumentation: &GenAiInstrumentation,
) -> Result<String, Error> {
    let http = reqwest_middleware::ClientBuilder::new(proxy.http.clone())
        .with(LiteLlmTelemetryMiddleware::new(instrumentation.clone()))
        .build();
    let body = json!({
        "model": proxy.model,
        "messages": [{"role": "user", "content": "What is the capital of France?"}],
        "max_tokens": 100,
        "temperature": 0.2,
    });
    let mut request = http
        .post(format!("{}/chat/completions", proxy.url))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(key) = &proxy.api_key {
        request = request.bearer_auth(key);
    }
    let response = request.send().await?; // span "chat {model}", ends when the body is read
    println!(
        "   HTTP {}; the proxy's x-litellm-* headers:",
        response.status()
    );
    for (name, value) in response.headers() {
        if name.as_str().starts_with("x-litellm-") {
            println!("      {name}: {}", value.to_str().unwrap_or("(not text)"));
        }
    }
    let status = response.status();
    let body: Value = serde_json::from_slice(&response.bytes().await?)?;
    if !status.is_success() {
        return Err(format!("the proxy answered {status}: {body}").into());
    }
    Ok(body["choices"][0]["message"]["content"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

/// async-openai with the OpenAI layer configured for LiteLLM (provider `litellm`, its
/// headers read, `usage.cost` of the last stream chunk taken as the price).
async fn async_openai_stream(
    proxy: &Proxy,
    instrumentation: GenAiInstrumentation,
) -> Result<String, Error> {
    let service = tower::ServiceBuilder::new()
        .layer(genai_telemetry_bridge::litellm::async_openai::layer(
            instrumentation,
        ))
        .service(ReqwestService::new(proxy.http.clone()));
    let config = OpenAIConfig::new()
        .with_api_base(format!("{}/v1", proxy.url))
        .with_api_key(proxy.api_key.clone().unwrap_or_else(|| "no-key".to_owned()));
    let client = Client::with_config(config).with_http_service(service);
    let request = CreateChatCompletionRequestArgs::default()
        .model(proxy.model.clone())
        .messages([ChatCompletionRequestUserMessage::from("And the capital of Italy?").into()])
        .stream(true)
        .stream_options(ChatCompletionStreamOptions {
            include_usage: Some(true),
            include_obfuscation: None,
        })
        .build()?;
    let mut stream = client.chat().create_stream(request).await?;
    let mut answer = String::new();
    let mut chunks = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        chunks += 1;
        for choice in &chunk.choices {
            answer.push_str(choice.delta.content.as_deref().unwrap_or_default());
        }
    }
    println!("   {chunks} chunks received");
    Ok(answer)
}

/// The proxy `LITELLM_PROXY_URL` names, else a loopback mock sending LiteLLM's headers.
fn proxy() -> Result<Proxy, Error> {
    let model = env("LITELLM_MODEL").unwrap_or_else(|| "gpt-4o-mini".to_owned());
    if let Some(url) = env("LITELLM_PROXY_URL") {
        let url = url.trim_end_matches('/').to_owned();
        println!("LLM: the LiteLLM proxy at {url}, model {model} (LITELLM_PROXY_URL is set)");
        return Ok(Proxy {
            url,
            api_key: env("LITELLM_API_KEY"),
            model,
            http: reqwest::Client::new(),
            _mock: None,
        });
    }
    // What a LiteLLM proxy adds to every answer (made-up values).
    let mut config = MockLlmConfig::new().delay(Duration::from_millis(200));
    for (name, value) in [
        ("x-litellm-call-id", "3f8e2c1a-9b7d-4e6f-a5c4-mock00000001"),
        ("x-litellm-model-id", "a1b2c3d4e5-mock-deployment"),
        ("x-litellm-model-group", model.as_str()),
        ("x-litellm-model-name", "gpt-4o-mini-2024-07-18"),
        ("x-litellm-model-api-base", "https://upstream.invalid/v1"),
        ("x-litellm-attempted-retries", "1"),
        ("x-litellm-attempted-fallbacks", "0"),
        ("x-litellm-response-cost", "0.0000123"),
        ("x-litellm-response-duration-ms", "201.4"),
        ("x-litellm-version", "1.77.0"),
    ] {
        config = config.response_header(name, value);
    }
    let mock = MockLlm::start(config)?;
    println!(
        "LLM: LITELLM_PROXY_URL not set; a loopback mock of a LiteLLM proxy at {}",
        mock.endpoint()
    );
    Ok(Proxy {
        url: mock.endpoint(),
        api_key: Some("sk-mock-master-key".to_owned()),
        model,
        // Straight to 127.0.0.1, whatever HTTP(S)_PROXY says.
        http: reqwest::Client::builder().no_proxy().build()?,
        _mock: Some(mock),
    })
}
