//! A Bedrock `Converse` call through `aws-sdk-bedrockruntime` with
//! `BedrockTelemetryInterceptor` registered on the client's config: it prints the model's
//! answer, then the span's attributes as the Langfuse and Instana back ends received them
//! (provider `aws.bedrock`, request parameters, usage, normalised finish reason, cost).
//!
//! ```text
//! cargo run -p genai-telemetry-bridge --example bedrock_converse --features full
//! ```
//!
//! No account needed: the Bedrock runtime is a loopback mock
//! (`genai_telemetry_receiver::mock_llm`, answering after 300 ms) reached through the
//! client's `endpoint_url`, with made-up credentials, and two loopback OTLP receivers stand
//! in for Langfuse and Instana. With `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` (and
//! `AWS_SESSION_TOKEN` for temporary credentials) and `AWS_REGION` set, the real Bedrock
//! runtime of that region answers (`BEDROCK_MODEL_ID`, default `amazon.nova-lite-v1:0`).
//! `aws-config` is not a dependency of this workspace, so the SDK configuration is built
//! from those variables by hand: profiles, SSO and instance roles are not read (with only
//! `AWS_PROFILE` set, export the profile's credentials first:
//! `eval "$(aws configure export-credentials --profile "$AWS_PROFILE" --format env)"`).
//! With `LANGFUSE_PUBLIC_KEY` and `LANGFUSE_SECRET_KEY`, `INSTANA_ENDPOINT` or
//! `OTEL_EXPORTER_OTLP_ENDPOINT` set, the span goes to those back ends instead.

#![allow(clippy::print_stdout)] // an example: printing is its job

#[path = "support/backends.rs"]
mod backends;

use std::time::Duration;

use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_bedrockruntime::error::DisplayErrorContext;
use aws_sdk_bedrockruntime::types::{
    ContentBlock, ConversationRole, ConverseOutput, InferenceConfiguration, Message,
    SystemContentBlock,
};
use backends::{Backends, Error, env, print_views};
use genai_telemetry_bridge::bedrock::BedrockTelemetryInterceptor;
use genai_telemetry_bridge::genai::GenAiInstrumentation;
use genai_telemetry_receiver::mock_llm::{MockLlm, MockLlmConfig};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let backends = Backends::start("bedrock-chat")?;
    let instrumentation = backends.instrumentation()?;
    let (client, model, _mock) = bedrock(instrumentation)?;

    let question = "What is the capital of France?";
    println!("\nuser: {question}");
    let output = client
        .converse()
        .model_id(&model)
        .system(SystemContentBlock::Text(
            "You are a concise geography tutor.".to_owned(),
        ))
        .messages(
            Message::builder()
                .role(ConversationRole::User)
                .content(ContentBlock::Text(question.to_owned()))
                .build()?,
        )
        .inference_config(
            InferenceConfiguration::builder()
                .max_tokens(200)
                .temperature(0.2)
                .build(),
        )
        .send() // span "chat {model id}"
        .await
        .map_err(|e| format!("Converse failed: {}", DisplayErrorContext(&e)))?;
    let answer = match output.output() {
        Some(ConverseOutput::Message(message)) => message
            .content()
            .iter()
            .filter_map(|block| block.as_text().ok().map(String::as_str))
            .collect::<String>(),
        _ => String::new(),
    };
    println!("{model}: {answer}");
    if let Some(usage) = output.usage() {
        println!(
            "   (stop reason {}, {} input + {} output tokens)",
            output.stop_reason().as_str(),
            usage.input_tokens(),
            usage.output_tokens()
        );
    }

    let Some(received) = backends.finish(1).await? else {
        return Ok(());
    };
    match received.langfuse_span("chat ") {
        Some(span) => {
            println!("\nthe Converse span as each back end received it:");
            print_views(span, received.instana_twin(span));
        }
        None => println!("the Langfuse stand-in received no chat span"),
    }
    Ok(())
}

/// The Bedrock runtime client with the interceptor: the real service when AWS credentials
/// are in the environment, else the loopback mock (kept alive by the returned handle).
fn bedrock(
    instrumentation: GenAiInstrumentation,
) -> Result<(Client, String, Option<MockLlm>), Error> {
    let model = env("BEDROCK_MODEL_ID").unwrap_or_else(|| "amazon.nova-lite-v1:0".to_owned());
    let config = aws_sdk_bedrockruntime::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        // One span per Converse call, streams included, errors too.
        .interceptor(BedrockTelemetryInterceptor::new(instrumentation));

    if let Some(access_key_id) = env("AWS_ACCESS_KEY_ID") {
        let secret = env("AWS_SECRET_ACCESS_KEY")
            .ok_or("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")?;
        let region = env("AWS_REGION")
            .or_else(|| env("AWS_DEFAULT_REGION"))
            .ok_or("AWS credentials are set but no region: set AWS_REGION (e.g. us-east-1)")?;
        println!("LLM: Amazon Bedrock in {region}, model {model} (AWS credentials are set)");
        let credentials = Credentials::new(
            access_key_id,
            secret,
            env("AWS_SESSION_TOKEN"),
            None,
            "environment",
        );
        let config = config
            .region(Region::new(region))
            .credentials_provider(credentials);
        return Ok((Client::from_conf(config.build()), model, None));
    }
    if env("AWS_PROFILE").is_some() {
        return Err("AWS_PROFILE is set, but this example reads credentials only from \
                    AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN (the workspace \
                    has no aws-config to read profiles): run \
                    eval \"$(aws configure export-credentials --profile \"$AWS_PROFILE\" --format env)\" \
                    first, or unset AWS_PROFILE to use the loopback mock"
            .into());
    }

    let mock = MockLlm::start(MockLlmConfig::new().delay(Duration::from_millis(300)))?;
    println!(
        "LLM: no AWS credentials; a loopback mock of the Bedrock runtime at {}",
        mock.endpoint()
    );
    let config = config
        .region(Region::new("us-east-1"))
        .endpoint_url(mock.endpoint())
        .credentials_provider(Credentials::new(
            "AKIDMOCKEXAMPLE",
            "mock-secret",
            None,
            None,
            "mock",
        ));
    Ok((Client::from_conf(config.build()), model, Some(mock)))
}
