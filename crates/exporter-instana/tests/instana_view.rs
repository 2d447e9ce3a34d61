//! What Instana receives: the exact attribute sets of a generation, an embedding and an
//! agent → tool → LLM tree, with the OpenLLMetry-compatible keys next to the semconv ones.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::*;
use genai_telemetry_core::content::ContentPolicy;
use genai_telemetry_receiver::ReceiverConfig;
use opentelemetry_proto::tonic::common::v1::any_value::Value;

/// What a streamed chat call's span carries at Instana (content dropped by default).
const GENERATION_KEYS: &[&str] = &[
    "gen_ai.operation.name",
    "gen_ai.provider.name",
    "gen_ai.request.max_tokens",
    "gen_ai.request.model",
    "gen_ai.request.stream",
    "gen_ai.request.temperature",
    "gen_ai.response.finish_reasons",
    "gen_ai.response.id",
    "gen_ai.response.model",
    "gen_ai.response.time_to_first_chunk",
    "gen_ai.system",
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.cost",
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.total_tokens",
    "genai_telemetry.cost.cache_read",
    "genai_telemetry.cost.input",
    "genai_telemetry.cost.output",
    "genai_telemetry.cost.source",
    "llm.is_streaming",
    "llm.request.type",
    "llm.usage.total_tokens",
    "server.address",
    "server.port",
];

#[test]
fn a_chat_call_carries_semconv_and_openllmetry_keys_and_no_content_by_default() {
    let receiver = start_receiver(ReceiverConfig::new());
    let h = Harness::instana(&settings(&receiver.endpoint()), fast_pipeline());
    emit_generation(&h.provider);
    assert!(h.finish().complete);

    let span = &receiver.spans()[0];
    assert_eq!(keys(span), GENERATION_KEYS);
    assert_eq!(span.string_attribute("gen_ai.system"), Some("openai"));
    assert_eq!(span.string_attribute("llm.request.type"), Some("chat"));
    assert_eq!(span.int_attribute("llm.usage.total_tokens"), Some(99));
    assert_eq!(span.int_attribute("gen_ai.usage.total_tokens"), Some(99));
    assert_eq!(span.bool_attribute("llm.is_streaming"), Some(true));
    // Resource: service name, version and environment (both spellings).
    let resource = |k| match span.resource_attribute(k).and_then(|v| v.value.as_ref()) {
        Some(Value::StringValue(s)) => Some(s.as_str()),
        _ => None,
    };
    assert_eq!(resource("service.name"), Some("checkout-assistant"));
    assert_eq!(resource("service.version"), Some("1.4.2"));
    assert_eq!(resource("deployment.environment.name"), Some("staging"));
    assert_eq!(resource("deployment.environment"), Some("staging"));
}

#[test]
fn an_embedding_call_is_an_embedding_request() {
    let receiver = start_receiver(ReceiverConfig::new());
    let h = Harness::instana(&settings(&receiver.endpoint()), fast_pipeline());
    emit_embedding(&h.provider);
    assert!(h.finish().complete);

    let span = &receiver.spans()[0];
    assert_eq!(
        keys(span),
        [
            "gen_ai.operation.name",
            "gen_ai.provider.name",
            "gen_ai.request.encoding_formats",
            "gen_ai.request.model",
            "gen_ai.system",
            "gen_ai.usage.input_tokens",
            "gen_ai.usage.total_tokens",
            "llm.request.type",
            "llm.usage.total_tokens",
            "server.address",
            "server.port",
        ]
    );
    assert_eq!(span.string_attribute("llm.request.type"), Some("embedding"));
    assert_eq!(span.string_attribute("gen_ai.system"), Some("aws.bedrock"));
    assert_eq!(span.int_attribute("llm.usage.total_tokens"), Some(9));
}

#[test]
fn an_agent_tree_carries_traceloop_span_kinds_entity_names_and_the_workflow() {
    let receiver = start_receiver(ReceiverConfig::new());
    let h = Harness::instana(&settings(&receiver.endpoint()), fast_pipeline());
    emit_agent_tree(&h.provider);
    assert!(h.finish().complete);
    let spans = receiver.spans();
    assert_eq!(spans.len(), 3);

    let agent = span_named(&spans, "invoke_agent sales-assistant");
    assert_eq!(
        keys(agent),
        [
            "gen_ai.agent.name",
            "gen_ai.operation.name",
            "gen_ai.provider.name",
            "gen_ai.request.model",
            "gen_ai.system",
            "genai_telemetry.workflow.name",
            "session.id",
            "traceloop.entity.name",
            "traceloop.span.kind",
            "traceloop.workflow.name",
            "user.id",
        ]
    );
    assert_eq!(agent.string_attribute("traceloop.span.kind"), Some("agent"));
    assert_eq!(
        agent.string_attribute("traceloop.entity.name"),
        Some("sales-assistant")
    );

    let tool = span_named(&spans, "execute_tool lookup_plans");
    assert_eq!(
        keys(tool),
        [
            "gen_ai.operation.name",
            "gen_ai.tool.call.id",
            "gen_ai.tool.name",
            "gen_ai.tool.type",
            "genai_telemetry.workflow.name",
            "traceloop.entity.name",
            "traceloop.span.kind",
            "traceloop.workflow.name",
        ]
    );
    assert_eq!(tool.string_attribute("traceloop.span.kind"), Some("tool"));
    assert_eq!(
        tool.string_attribute("traceloop.entity.name"),
        Some("lookup_plans")
    );

    let llm = span_named(&spans, "chat gpt-4o");
    let mut expected_llm = GENERATION_KEYS.to_vec();
    expected_llm.extend(["genai_telemetry.workflow.name", "traceloop.workflow.name"]);
    expected_llm.sort_unstable();
    assert_eq!(keys(llm), expected_llm);
    assert_eq!(llm.string_attribute("llm.request.type"), Some("chat"));
    assert!(llm.attribute("traceloop.span.kind").is_none());
    for span in &spans {
        assert_eq!(
            span.string_attribute("traceloop.workflow.name"),
            Some("plan-advice")
        );
        assert!(span.trace_id == agent.trace_id);
    }
}

#[test]
fn content_goes_out_flattened_too_when_the_policy_lets_it_through() {
    let receiver = start_receiver(ReceiverConfig::new());
    let settings = settings_with(&receiver.endpoint(), |b| {
        b.instana_content_policy(ContentPolicy::Full)
    });
    let h = Harness::instana(&settings, fast_pipeline());
    emit_generation(&h.provider);
    assert!(h.finish().complete);
    let span = &receiver.spans()[0];
    assert_eq!(
        span.string_attribute("gen_ai.input.messages"),
        Some(INPUT_MESSAGES)
    );
    assert_eq!(
        span.string_attribute("gen_ai.prompt.0.role"),
        Some("system")
    );
    assert_eq!(
        span.string_attribute("gen_ai.prompt.0.content"),
        Some("You are a sales assistant.")
    );
    assert_eq!(span.string_attribute("gen_ai.prompt.1.role"), Some("user"));
    assert_eq!(
        span.string_attribute("gen_ai.prompt.1.content"),
        Some("Which plan suits a team of five?")
    );
    assert_eq!(
        span.string_attribute("gen_ai.completion.0.content"),
        Some("The Team plan.")
    );
    assert_eq!(
        span.string_attribute("gen_ai.completion.0.finish_reason"),
        Some("stop")
    );
}

#[test]
fn truncated_content_stays_within_the_maximum_attribute_length() {
    let receiver = start_receiver(ReceiverConfig::new());
    let settings = settings_with(&receiver.endpoint(), |b| {
        b.instana_content_policy(ContentPolicy::Truncate)
            .instana_max_attribute_length(64)
    });
    let h = Harness::instana(&settings, fast_pipeline());
    emit_generation(&h.provider);
    assert!(h.finish().complete);
    let span = &receiver.spans()[0];
    for kv in &span.attributes {
        if let Some(Value::StringValue(s)) = kv.value.as_ref().and_then(|v| v.value.as_ref()) {
            assert!(s.len() <= 64, "{} is {} bytes", kv.key, s.len());
        }
    }
    let messages: serde_json::Value =
        serde_json::from_str(span.string_attribute("gen_ai.input.messages").unwrap()).unwrap();
    assert_eq!(messages[0]["role"], "user", "still valid JSON: {messages}");
    let text = messages[0]["parts"][0]["content"].as_str().unwrap();
    assert!(
        text.len() < "Which plan suits a team of five?".len(),
        "{text}"
    );
}
