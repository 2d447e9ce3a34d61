//! What Langfuse receives: the exact attribute sets of a generation, an embedding and an
//! agent → tool → LLM tree, built with the real SDK and exported through the pipeline to
//! a receiver that checks what Langfuse checks.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::*;
use genai_telemetry_core::content::ContentPolicy;
use genai_telemetry_receiver::ReceiverConfig;
use opentelemetry::KeyValue;
use opentelemetry::trace::{Span, TraceContextExt, Tracer, TracerProvider};

/// What a streamed chat call's span carries at Langfuse.
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
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.output_tokens",
    "genai_telemetry.cost.source",
    "langfuse.observation.completion_start_time",
    "langfuse.observation.cost_details",
    "langfuse.observation.input",
    "langfuse.observation.model.parameters",
    "langfuse.observation.output",
    "langfuse.observation.type",
    "server.address",
    "server.port",
];

#[test]
fn a_chat_call_arrives_as_a_generation_with_usage_cost_ttft_and_parameters() {
    let receiver = langfuse_receiver(ReceiverConfig::new());
    let h = Harness::langfuse(&settings(&receiver.endpoint()), fast_pipeline());
    emit_generation(&h.provider);
    assert!(h.finish().complete);

    let spans = receiver.spans();
    assert_eq!(spans.len(), 1);
    let span = &spans[0];
    assert_eq!(keys(span), GENERATION_KEYS);
    assert_eq!(
        span.string_attribute("langfuse.observation.type"),
        Some("generation")
    );
    // Integers, input including the cached tokens (Langfuse subtracts them itself).
    assert_eq!(span.int_attribute("gen_ai.usage.input_tokens"), Some(52));
    assert_eq!(span.int_attribute("gen_ai.usage.output_tokens"), Some(47));
    assert_eq!(
        span.int_attribute("gen_ai.usage.cache_read.input_tokens"),
        Some(12)
    );
    assert_eq!(
        json(span, "langfuse.observation.cost_details"),
        serde_json::json!({
            "input": 0.0001,
            "input_cached_tokens": 0.000025,
            "output": 0.00047,
            "total": 0.000595,
        })
    );
    assert_eq!(
        json(span, "langfuse.observation.model.parameters"),
        serde_json::json!({"max_tokens": 200, "stream": true, "temperature": 0.2})
    );
    let input = json(span, "langfuse.observation.input");
    assert_eq!(input[0]["role"], "system");
    assert_eq!(
        input[0]["parts"][0]["content"],
        "You are a sales assistant."
    );
    assert_eq!(input[1]["role"], "user");
    assert_eq!(
        json(span, "langfuse.observation.output")[0]["parts"][0]["content"],
        "The Team plan."
    );

    // completion_start_time = span start + time to first chunk, ISO-8601 in UTC.
    let start = span
        .string_attribute("langfuse.observation.completion_start_time")
        .unwrap();
    let parsed = humantime_parse(start);
    let expected = span.start_time_unix_nano + 250_000_000;
    assert!(
        parsed.abs_diff(expected) < 1_000,
        "{start} is not start + 250ms"
    );
    assert!(start.ends_with('Z') && start.contains('T'), "{start}");
}

fn humantime_parse(iso: &str) -> u64 {
    // The receiver side of the check: an RFC 3339 timestamp back to nanoseconds.
    let t = humantime::parse_rfc3339(iso).unwrap();
    u64::try_from(t.duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()).unwrap()
}

#[test]
fn an_embedding_call_arrives_as_an_embedding() {
    let receiver = langfuse_receiver(ReceiverConfig::new());
    let h = Harness::langfuse(&settings(&receiver.endpoint()), fast_pipeline());
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
            "gen_ai.usage.input_tokens",
            "langfuse.observation.model.parameters",
            "langfuse.observation.type",
            "server.address",
            "server.port",
        ]
    );
    assert_eq!(
        span.string_attribute("langfuse.observation.type"),
        Some("embedding")
    );
    assert_eq!(
        json(span, "langfuse.observation.model.parameters"),
        serde_json::json!({"encoding_formats": ["float"]})
    );
}

#[test]
fn an_agent_tree_is_typed_and_every_span_carries_the_trace_level_keys() {
    let receiver = langfuse_receiver(ReceiverConfig::new());
    let h = Harness::langfuse(&settings(&receiver.endpoint()), fast_pipeline());
    emit_agent_tree(&h.provider);
    assert!(h.finish().complete);

    let spans = receiver.spans();
    assert_eq!(spans.len(), 3);
    let trace_level = [
        "langfuse.session.id",
        "langfuse.trace.metadata.tenant",
        "langfuse.trace.name",
        "langfuse.trace.tags",
        "langfuse.user.id",
    ];

    let agent = span_named(&spans, "invoke_agent sales-assistant");
    let mut expected_agent = vec![
        "gen_ai.agent.name",
        "gen_ai.operation.name",
        "gen_ai.provider.name",
        "gen_ai.request.model",
        "langfuse.observation.type",
    ];
    expected_agent.extend(trace_level);
    expected_agent.sort_unstable();
    // No usage on the agent: its LLM child carries it; both would double the tokens.
    assert_eq!(keys(agent), expected_agent);
    assert_eq!(
        agent.string_attribute("langfuse.observation.type"),
        Some("agent")
    );

    let tool = span_named(&spans, "execute_tool lookup_plans");
    let mut expected_tool = vec![
        "gen_ai.operation.name",
        "gen_ai.tool.call.id",
        "gen_ai.tool.name",
        "gen_ai.tool.type",
        "langfuse.observation.input",
        "langfuse.observation.output",
        "langfuse.observation.type",
    ];
    expected_tool.extend(trace_level);
    expected_tool.sort_unstable();
    assert_eq!(keys(tool), expected_tool);
    assert_eq!(
        tool.string_attribute("langfuse.observation.type"),
        Some("tool")
    );
    assert_eq!(
        tool.string_attribute("langfuse.observation.input"),
        Some(r#"{"seats":5}"#)
    );
    assert_eq!(
        tool.string_attribute("langfuse.observation.output"),
        Some(r#"{"plan":"Team"}"#)
    );

    let llm = span_named(&spans, "chat gpt-4o");
    let mut expected_llm = GENERATION_KEYS.to_vec();
    expected_llm.extend(trace_level);
    expected_llm.sort_unstable();
    assert_eq!(keys(llm), expected_llm);
    assert_eq!(
        llm.string_attribute("langfuse.observation.type"),
        Some("generation")
    );
    assert_eq!(llm.int_attribute("gen_ai.usage.input_tokens"), Some(52));

    for span in &spans {
        assert_eq!(span.string_attribute("langfuse.user.id"), Some("user-42"));
        assert_eq!(
            span.string_attribute("langfuse.session.id"),
            Some("session-7")
        );
        assert_eq!(
            span.string_attribute("langfuse.trace.name"),
            Some("plan-advice")
        );
        assert_eq!(string_array(span, "langfuse.trace.tags"), ["sales", "beta"]);
        assert_eq!(
            span.string_attribute("langfuse.trace.metadata.tenant"),
            Some("acme")
        );
        assert!(span.attribute("user.id").is_none());
        assert!(span.attribute("session.id").is_none());
    }
    // The tree is intact: same trace, children point at the agent.
    assert!(spans.iter().all(|s| s.trace_id == agent.trace_id));
    assert_eq!(tool.parent_span_id, Some(agent.span_id));
    assert_eq!(llm.parent_span_id, Some(agent.span_id));
}

#[test]
fn trace_level_keys_reach_spans_of_the_same_trace_in_later_batches() {
    let receiver = langfuse_receiver(ReceiverConfig::new());
    let h = Harness::langfuse(&settings(&receiver.endpoint()), fast_pipeline());
    let tracer = h.provider.tracer("app");
    let mut root = tracer.start("handle request");
    root.set_attribute(KeyValue::new("langfuse.user.id", "user-9"));
    let cx = opentelemetry::Context::new().with_remote_span_context(root.span_context().clone());
    // The root ends first here, so its batch goes out before the child exists.
    root.end();
    assert!(
        h.pipeline
            .flush(std::time::Duration::from_secs(10))
            .complete
    );
    let mut child = tracer.start_with_context("chat gpt-4o", &cx);
    child.set_attribute(KeyValue::new("gen_ai.operation.name", "chat"));
    child.end();
    assert!(h.finish().complete);

    let spans = receiver.spans();
    assert_eq!(
        receiver.stats().accepted_requests,
        2,
        "two separate batches"
    );
    let child = span_named(&spans, "chat gpt-4o");
    assert_eq!(child.string_attribute("langfuse.user.id"), Some("user-9"));
}

#[test]
fn content_is_sent_only_as_the_content_policy_allows() {
    for (policy, expect) in [
        (ContentPolicy::Full, "full"),
        (ContentPolicy::Hash, "hash"),
        (ContentPolicy::Drop, "drop"),
    ] {
        let receiver = langfuse_receiver(ReceiverConfig::new());
        let h = Harness::langfuse(
            &settings_with_policy(&receiver.endpoint(), policy),
            fast_pipeline(),
        );
        emit_generation(&h.provider);
        assert!(h.finish().complete);
        let span = &receiver.spans()[0];
        let input = span.string_attribute("langfuse.observation.input");
        match expect {
            "full" => assert!(input.unwrap().contains("Which plan suits")),
            "hash" => {
                let hashed = input.unwrap();
                assert!(
                    hashed.starts_with("sha256:") && hashed.len() == 71,
                    "{hashed}"
                );
            }
            _ => {
                assert!(input.is_none());
                assert!(span.attribute("langfuse.observation.output").is_none());
                assert!(span.attribute("gen_ai.input.messages").is_none());
            }
        }
        // Whatever the policy, usage and the rest of the generation are there.
        assert_eq!(span.int_attribute("gen_ai.usage.output_tokens"), Some(47));
    }
}

#[test]
fn generic_names_and_openllmetry_content_never_reach_langfuse_as_such() {
    let receiver = langfuse_receiver(ReceiverConfig::new());
    let h = Harness::langfuse(&settings(&receiver.endpoint()), fast_pipeline());
    let tracer = h.provider.tracer("app");
    let mut span = tracer.start("chat gpt-4o");
    let mut attributes = chat_attributes();
    attributes.extend([
        KeyValue::new("input", "raw input"),
        KeyValue::new("output", "raw output"),
        KeyValue::new("model", "gpt-4o"),
        KeyValue::new("prompt", "raw prompt"),
        KeyValue::new("events", "[]"),
        KeyValue::new("gen_ai.prompt.0.role", "user"),
        KeyValue::new("gen_ai.prompt.0.content", "flattened"),
        KeyValue::new("gen_ai.completion.0.content", "flattened"),
        KeyValue::new("traceloop.entity.input", "entity"),
        KeyValue::new("llm.usage.total_tokens", 99_i64),
        KeyValue::new("gen_ai.usage.details.weird_tokens", 5_i64),
        KeyValue::new("gen_ai.usage.prompt_tokens", 52_i64),
        KeyValue::new("langfuse.observation.prompt.name", "plan-advice"),
    ]);
    span.set_attributes(attributes);
    span.end();
    assert!(h.finish().complete);

    let span = &receiver.spans()[0];
    for plain in ["input", "output", "model", "prompt", "events"] {
        assert!(span.attribute(plain).is_none(), "{plain} was sent");
        assert!(
            span.attribute(&format!("langfuse.observation.metadata.{plain}"))
                .is_some(),
            "{plain} was not kept as metadata"
        );
    }
    for shadowing in [
        "gen_ai.prompt.0.role",
        "gen_ai.prompt.0.content",
        "gen_ai.completion.0.content",
        "traceloop.entity.input",
        "llm.usage.total_tokens",
        "gen_ai.usage.details.weird_tokens",
        "gen_ai.usage.prompt_tokens",
    ] {
        assert!(span.attribute(shadowing).is_none(), "{shadowing} was sent");
    }
    // A prompt name without a version is not sent (Langfuse would drop the observation).
    assert!(span.attribute("langfuse.observation.prompt.name").is_none());
    assert!(
        span.attributes
            .iter()
            .all(|kv| kv.value.as_ref().is_some_and(|v| v.value.is_some()))
    );
}

#[test]
fn a_prompt_name_goes_out_with_its_integer_version_on_generations() {
    let receiver = langfuse_receiver(ReceiverConfig::new());
    let h = Harness::langfuse(&settings(&receiver.endpoint()), fast_pipeline());
    let tracer = h.provider.tracer("app");
    let mut span = tracer.start("chat gpt-4o");
    span.set_attribute(KeyValue::new("gen_ai.operation.name", "chat"));
    span.set_attribute(KeyValue::new("gen_ai.prompt.name", "plan-advice"));
    span.set_attribute(KeyValue::new("gen_ai.prompt.version", "3"));
    span.end();
    assert!(h.finish().complete);
    let span = &receiver.spans()[0];
    assert_eq!(
        span.string_attribute("langfuse.observation.prompt.name"),
        Some("plan-advice")
    );
    assert_eq!(
        span.int_attribute("langfuse.observation.prompt.version"),
        Some(3)
    );
    assert!(span.attribute("gen_ai.prompt.name").is_none());
}
