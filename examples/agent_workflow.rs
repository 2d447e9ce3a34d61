//! An agent run traced as workflow → agent → tool → LLM with the bridge's workflow API
//! (`GenAiInstrumentation::workflow / agent / tool`) and a real async-openai client
//! instrumented with `OpenAiTelemetryLayer`: the agent looks the weather up with its
//! `get_weather` tool, then asks the model to answer with the tool's result. It prints the
//! span tree as the Langfuse and Instana back ends decoded it: names, parent and child,
//! and the key `gen_ai.*` attributes of each view.
//!
//! ```text
//! cargo run -p genai-telemetry-bridge --example agent_workflow --features full
//! ```
//!
//! No account needed: the model is a loopback mock of the OpenAI API
//! (`genai_telemetry_receiver::mock_llm`) and two loopback OTLP receivers stand in for
//! Langfuse and Instana. With `OPENAI_API_KEY` set (`OPENAI_BASE_URL`, `OPENAI_MODEL`
//! optional, default `gpt-4o-mini`) the real API answers; with `LANGFUSE_PUBLIC_KEY` and
//! `LANGFUSE_SECRET_KEY`, `INSTANA_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT` set, the spans
//! go to those back ends instead. `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true`
//! also records the messages and the tool's arguments and result.

#![allow(clippy::print_stdout)] // an example: printing is its job

#[path = "support/backends.rs"]
mod backends;

use std::time::Duration;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::middleware::ReqwestService;
use async_openai::types::chat::{
    ChatCompletionMessageToolCall, ChatCompletionMessageToolCalls,
    ChatCompletionRequestAssistantMessage, ChatCompletionRequestMessage,
    ChatCompletionRequestSystemMessage, ChatCompletionRequestToolMessage,
    ChatCompletionRequestUserMessage, CreateChatCompletionRequestArgs, FunctionCall,
};
use backends::{Backends, Error, print_tree};
use genai_telemetry_bridge::genai::GenAiInstrumentation;
use genai_telemetry_bridge::genai::semconv::attr;
use genai_telemetry_bridge::openai::OpenAiTelemetryLayer;
use opentelemetry::trace::TraceContextExt as _;
use opentelemetry::{Context, KeyValue};
use serde_json::{Value, json};

type OpenAi = Client<OpenAIConfig>;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let backends = Backends::start("weather-assistant")?;
    let instrumentation = backends.instrumentation()?;

    // The LLM client, instrumented: one GenAI span per call, a child of whatever workflow,
    // agent or tool span is current when the call is made.
    let (openai_config, http, model, _mock) = backends::openai_llm(Duration::from_millis(250))?;
    let service = tower::ServiceBuilder::new()
        .layer(OpenAiTelemetryLayer::new(instrumentation.clone()))
        .service(ReqwestService::new(http));
    let llm = Client::with_config(openai_config).with_http_service(service);

    let question = "Do I need an umbrella in Paris today?";
    println!("\nuser: {question}");
    let (trace_id, answer) = instrumentation
        .workflow("weather-assistant") // span "invoke_workflow weather-assistant"
        .run(async {
            let trace_id = Context::current().span().span_context().trace_id();
            let answer = instrumentation
                .agent("weather-agent") // "invoke_agent weather-agent"
                .description("Answers travel questions with the current weather")
                .run_fallible(weather_agent(&instrumentation, &llm, &model, question))
                .await;
            (trace_id, answer)
        })
        .await;
    match answer {
        Ok(answer) => println!("agent: {answer}"),
        // The failure is on the spans too: the trace below shows where it happened.
        Err(e) => println!("agent failed: {e}"),
    }

    let Some(received) = backends.finish(4).await? else {
        println!("\nlook for trace {trace_id} in your back ends");
        return Ok(());
    };
    let trace = |spans: &[genai_telemetry_receiver::ReceivedSpan]| {
        spans
            .iter()
            .filter(|s| s.trace_id == trace_id.to_bytes())
            .cloned()
            .collect::<Vec<_>>()
    };
    println!("\nthe trace as the Langfuse stand-in decoded it (gen_ai.*, langfuse.observation.*):");
    print_tree(&trace(&received.langfuse), &|key| {
        key.starts_with("gen_ai.")
            || key == "genai_telemetry.workflow.name"
            || key.starts_with("langfuse.observation.")
            || key == "error.type"
    });
    println!("\nthe same trace as the Instana stand-in decoded it (its OpenLLMetry keys, cost):");
    print_tree(&trace(&received.instana), &|key| {
        key.starts_with("traceloop.") || key.starts_with("llm.") || key == "gen_ai.usage.cost"
    });
    received.print_same_spans();
    Ok(())
}

/// The agent: one tool call, then the model writes the answer from the tool's result.
async fn weather_agent(
    instrumentation: &GenAiInstrumentation,
    llm: &OpenAi,
    model: &str,
    question: &str,
) -> Result<String, Error> {
    // A real agent would let the model choose the tool and its arguments; this one always
    // looks the weather up first.
    let call_id = "call_weather_1";
    let arguments = json!({ "city": "Paris" });
    let capture = instrumentation.capture_content();
    let mut tool = instrumentation
        .tool("get_weather") // "execute_tool get_weather"
        .call_id(call_id)
        .description("Current weather for a city")
        .attribute(KeyValue::new(attr::TOOL_TYPE, "function"));
    if capture {
        tool = tool.attribute(KeyValue::new(
            attr::TOOL_CALL_ARGUMENTS,
            arguments.to_string(),
        ));
    }
    let weather = tool
        .run(async {
            let weather = get_weather(&arguments).await;
            if capture {
                // The tool span is the current one while its future runs.
                Context::current()
                    .span()
                    .set_attribute(KeyValue::new(attr::TOOL_CALL_RESULT, weather.to_string()));
            }
            weather
        })
        .await;
    println!("tool get_weather({arguments}) -> {weather}");

    // The conversation carries the tool call and its result, linked by the call id.
    let tool_call = ChatCompletionMessageToolCalls::Function(ChatCompletionMessageToolCall {
        id: call_id.to_owned(),
        function: FunctionCall {
            name: "get_weather".to_owned(),
            arguments: arguments.to_string(),
        },
    });
    let messages: Vec<ChatCompletionRequestMessage> = vec![
        ChatCompletionRequestSystemMessage::from(
            "You are a travel assistant. Answer in one or two sentences.",
        )
        .into(),
        ChatCompletionRequestUserMessage::from(question).into(),
        ChatCompletionRequestAssistantMessage {
            tool_calls: Some(vec![tool_call]),
            ..Default::default()
        }
        .into(),
        ChatCompletionRequestToolMessage {
            content: weather.to_string().into(),
            tool_call_id: call_id.to_owned(),
        }
        .into(),
    ];
    let request = CreateChatCompletionRequestArgs::default()
        .model(model)
        .temperature(0.2)
        .max_completion_tokens(200u32)
        .messages(messages)
        .build()?;
    let response = llm.chat().create(request).await?; // span "chat {model}"
    Ok(response
        .choices
        .into_iter()
        .next()
        .and_then(|c| c.message.content)
        .unwrap_or_default())
}

/// The tool: a stand-in weather service.
async fn get_weather(arguments: &Value) -> Value {
    tokio::time::sleep(Duration::from_millis(40)).await;
    json!({
        "city": arguments["city"],
        "temperature_c": 14,
        "conditions": "light rain",
        "precipitation_probability": 0.8
    })
}
