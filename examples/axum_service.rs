//! The service from the original article: `POST /chat` answers with an LLM called through the
//! instrumented async-openai client, and the bridge's diagnostics are mounted at `/telemetry`.
//!
//! ```text
//! cargo run -p genai-telemetry-bridge --example axum_service --features diagnostics,otel-openai
//! curl -s localhost:8080/chat -H 'content-type: application/json' -d '{"message":"What is OTLP?"}'
//! curl -s localhost:8080/telemetry/health
//! curl -s localhost:8080/telemetry/exported_traces
//! curl -s "localhost:8080/telemetry/trace_analyzer/<trace_id>?format=text"
//! curl -s localhost:8080/telemetry/metrics
//! ```
//!
//! No account needed: unless `OPENAI_API_KEY` is set, a loopback mock of the OpenAI API
//! answers (in about 300 ms), and unless the environment enables a destination (Langfuse,
//! Instana, `OTEL_EXPORTER_OTLP_ENDPOINT`), a loopback OTLP receiver stands in for the back
//! end. `--once` sends one request to itself, prints what the diagnostics say, and exits.

#![allow(clippy::print_stdout)] // an example: printing is its job

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::middleware::ReqwestService;
use async_openai::types::chat::{
    ChatCompletionRequestSystemMessage, ChatCompletionRequestUserMessage,
    CreateChatCompletionRequestArgs,
};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use genai_telemetry_bridge::diagnostics::DiagnosticsSettings;
use genai_telemetry_bridge::genai::{GenAiInstrumentation, capture_content_from_env};
use genai_telemetry_bridge::openai::OpenAiTelemetryLayer;
use genai_telemetry_bridge::{BridgeConfigBuilder, TelemetryManager};
use genai_telemetry_receiver::{OtlpReceiver, ReceiverConfig};
use opentelemetry::trace::{FutureExt as _, Span as _, SpanKind, Status, TraceContextExt, Tracer};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::SdkTracer;
use serde_json::{Value, json};

type Error = Box<dyn std::error::Error + Send + Sync>;

#[derive(Clone)]
struct AppState {
    llm: Client<OpenAIConfig>,
    model: String,
    tracer: SdkTracer,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let once = std::env::args().any(|a| a == "--once");

    // Telemetry from the environment (and `.env`), exactly as a real service would read it;
    // a loopback receiver stands in when no destination is configured.
    let mut config = BridgeConfigBuilder::from_env();
    if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
        config = config.service_name("chat-service");
    }
    let mut _stand_in = None;
    if config.clone().build()?.destination_names().is_empty() {
        let receiver = OtlpReceiver::start(ReceiverConfig::new().name("otlp"))?;
        println!(
            "no destination configured: exporting to a loopback OTLP receiver at {}",
            receiver.endpoint()
        );
        config = config.otlp_endpoint(receiver.endpoint());
        _stand_in = Some(receiver);
    }
    let telemetry = TelemetryManager::builder().config(config).build()?;

    // The diagnostics router: TELEMETRY_DIAGNOSTICS_TOKEN guards flush, breaker resets and,
    // when OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT is on, traces.
    let diagnostics = telemetry.diagnostics(DiagnosticsSettings::from_env()?);

    // The LLM client, instrumented: one GenAI span per call, with tokens and cost.
    let instrumentation = GenAiInstrumentation::builder()
        .tracer_provider(telemetry.tracer_provider())
        .capture_content(capture_content_from_env()?)
        .build();
    let (openai_config, _mock) = match std::env::var("OPENAI_API_KEY") {
        Ok(_) => (OpenAIConfig::new(), None),
        Err(_) => {
            let (addr, mock) = mock_openai().await?;
            println!("OPENAI_API_KEY not set: answering from a loopback mock at http://{addr}/v1");
            let config = OpenAIConfig::new()
                .with_api_base(format!("http://{addr}/v1"))
                .with_api_key("sk-mock");
            (config, Some(mock))
        }
    };
    let service = tower::ServiceBuilder::new()
        .layer(OpenAiTelemetryLayer::new(instrumentation))
        .service(ReqwestService::new(reqwest::Client::new()));
    let state = AppState {
        llm: Client::with_config(openai_config).with_http_service(service),
        model: std::env::var("OPENAI_MODEL").unwrap_or_else(|_| "gpt-4o-mini".to_owned()),
        tracer: telemetry.tracer("chat-service"),
    };

    let app = axum::Router::new()
        .route("/chat", post(chat))
        .with_state(state)
        .nest("/telemetry", diagnostics.router());

    let port = if once {
        0
    } else {
        std::env::var("PORT")
            .ok()
            .and_then(|p| p.parse().ok())
            .unwrap_or(8080)
    };
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
    let addr = listener.local_addr()?;
    println!("listening on http://{addr}  (POST /chat, GET /telemetry/health, ...)");
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    if once {
        self_test(addr).await?;
        server.abort();
        let report = tokio::task::spawn_blocking(move || telemetry.shutdown_default()).await?;
        println!("\nshutdown: {} spans not delivered", report.undelivered());
    } else {
        server.await??;
    }
    Ok(())
}

/// `POST /chat {"message": "..."}`: a server span, a retrieval step, then the LLM call.
async fn chat(State(state): State<AppState>, Json(body): Json<Value>) -> (StatusCode, Json<Value>) {
    let message = body["message"].as_str().unwrap_or("Hello!").to_owned();
    let span = state
        .tracer
        .span_builder("POST /chat")
        .with_kind(SpanKind::Server)
        .with_attributes([
            KeyValue::new("http.request.method", "POST"),
            KeyValue::new("http.route", "/chat"),
        ])
        .start(&state.tracer);
    let cx = Context::current_with_span(span);
    let trace_id = cx.span().span_context().trace_id().to_string();
    // Every span started while the answer is computed is a child of the request's span.
    let answer = answer(&state, message).with_context(cx.clone()).await;
    let (status, body) = match answer {
        Ok(text) => (StatusCode::OK, json!({ "answer": text })),
        Err(e) => {
            cx.span().set_status(Status::error(e.to_string()));
            (StatusCode::BAD_GATEWAY, json!({ "error": e.to_string() }))
        }
    };
    cx.span().set_attribute(KeyValue::new(
        "http.response.status_code",
        i64::from(status.as_u16()),
    ));
    cx.span().end();
    let mut body = body;
    body["trace_id"] = trace_id.clone().into();
    body["analyze"] = format!("/telemetry/trace_analyzer/{trace_id}?format=text").into();
    (status, Json(body))
}

async fn answer(state: &AppState, message: String) -> Result<String, Error> {
    let tracer = &state.tracer;
    let mut retrieval = tracer.start("retrieve_context");
    tokio::time::sleep(Duration::from_millis(40)).await; // a vector search would go here
    retrieval.set_attribute(KeyValue::new("retrieval.documents", 3));
    retrieval.end();

    let request = CreateChatCompletionRequestArgs::default()
        .model(state.model.clone())
        .messages([
            ChatCompletionRequestSystemMessage::from("Answer in one sentence.").into(),
            ChatCompletionRequestUserMessage::from(message).into(),
        ])
        .build()?;
    let response = state.llm.chat().create(request).await?;
    Ok(response
        .choices
        .into_iter()
        .next()
        .and_then(|c| c.message.content)
        .unwrap_or_default())
}

/// `--once`: one request against ourselves, then what the diagnostics say about it.
async fn self_test(addr: SocketAddr) -> Result<(), Error> {
    let http = reqwest::Client::new();
    let base = format!("http://{addr}");
    let reply: Value = serde_json::from_slice(
        &http
            .post(format!("{base}/chat"))
            .header("content-type", "application/json")
            .body(r#"{"message":"What is OTLP?"}"#)
            .send()
            .await?
            .bytes()
            .await?,
    )?;
    println!("\nPOST /chat -> {reply:#}");
    let trace_id = reply["trace_id"].as_str().unwrap_or_default().to_owned();

    // Wait (bounded) until the trace is exported and known to the diagnostics.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let traces: Value =
            get_json(&http, &format!("{base}/telemetry/exported_traces?limit=5")).await?;
        let delivered = traces["traces"].as_array().is_some_and(|list| {
            list.iter().any(|t| {
                t["trace_id"] == trace_id.as_str()
                    && t["delivery"]
                        .as_array()
                        .is_some_and(|d| d.iter().all(|d| d["status"] == "delivered"))
            })
        });
        if delivered || Instant::now() > deadline {
            println!(
                "\nGET /telemetry/exported_traces -> {:#}",
                traces["traces"][0]
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let analysis = http
        .get(format!(
            "{base}/telemetry/trace_analyzer/{trace_id}?format=text"
        ))
        .send()
        .await?
        .text()
        .await?;
    println!("\nGET /telemetry/trace_analyzer/{trace_id}?format=text\n{analysis}");
    let health: Value = get_json(&http, &format!("{base}/telemetry/health")).await?;
    println!("GET /telemetry/health -> status {}", health["status"]);
    Ok(())
}

async fn get_json(http: &reqwest::Client, url: &str) -> Result<Value, Error> {
    Ok(serde_json::from_slice(
        &http.get(url).send().await?.bytes().await?,
    )?)
}

/// A loopback stand-in for the OpenAI chat completions API, with a realistic delay.
async fn mock_openai() -> Result<(SocketAddr, tokio::task::JoinHandle<()>), Error> {
    async fn completion(Json(request): Json<Value>) -> Json<Value> {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let model = request["model"].as_str().unwrap_or("gpt-4o-mini");
        Json(json!({
            "id": "chatcmpl-mock",
            "object": "chat.completion",
            "created": 1_741_569_952,
            "model": format!("{model}-2024-07-18"),
            "choices": [{
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "OTLP is the OpenTelemetry protocol that carries traces, metrics and logs to a back end.",
                    "refusal": null,
                    "annotations": []
                },
                "logprobs": null,
                "finish_reason": "stop"
            }],
            "usage": { "prompt_tokens": 24, "completion_tokens": 18, "total_tokens": 42 }
        }))
    }
    let app = axum::Router::new().route("/v1/chat/completions", post(completion));
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((addr, task))
}
