//! With the `tracing` feature, LLM and workflow spans nest under the current `tracing`
//! span (bridged by `tracing-opentelemetry`), with or without its context activation.

#![cfg(feature = "tracing")]
#![allow(clippy::unwrap_used)]

use genai_telemetry_core::genai::semconv::{operation, provider};
use genai_telemetry_core::genai::{GenAiInstrumentation, GenAiRequest};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use tracing_subscriber::layer::SubscriberExt;

fn setup() -> (
    InMemorySpanExporter,
    SdkTracerProvider,
    GenAiInstrumentation,
) {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let instrumentation = GenAiInstrumentation::builder()
        .tracer_provider(&provider)
        .without_metrics()
        .build();
    (exporter, provider, instrumentation)
}

fn run_in_subscriber(activation: bool, f: impl FnOnce(&GenAiInstrumentation)) -> Vec<SpanData> {
    let (exporter, provider, instrumentation) = setup();
    let layer = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("app"))
        .with_context_activation(activation);
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || f(&instrumentation));
    provider.force_flush().unwrap();
    exporter.get_finished_spans().unwrap()
}

fn call(i: &GenAiInstrumentation) {
    i.start_call(GenAiRequest::new(operation::CHAT, provider::OPENAI).model("gpt-4o"))
        .end();
}

fn by_name<'a>(spans: &'a [SpanData], name: &str) -> &'a SpanData {
    spans
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no {name} in {spans:#?}"))
}

#[test]
fn an_llm_span_is_a_child_of_the_current_tracing_span() {
    for activation in [true, false] {
        let spans = run_in_subscriber(activation, |i| {
            let handler = tracing::info_span!("handle_request");
            let _entered = handler.enter();
            call(i);
        });
        let handler = by_name(&spans, "handle_request");
        let llm = by_name(&spans, "chat gpt-4o");
        assert_eq!(
            llm.parent_span_id,
            handler.span_context.span_id(),
            "activation {activation}"
        );
    }
}

#[test]
fn a_workflow_started_inside_a_tracing_span_is_the_parent_of_llm_calls_inside_it() {
    for activation in [true, false] {
        let spans = run_in_subscriber(activation, |i| {
            let handler = tracing::info_span!("handle_request");
            let _entered = handler.enter();
            let agent = i.agent("planner").start();
            let _cx = agent.context().clone().attach();
            call(i);
            drop(_cx);
            agent.end();
        });
        let handler = by_name(&spans, "handle_request");
        let agent = by_name(&spans, "invoke_agent planner");
        let llm = by_name(&spans, "chat gpt-4o");
        assert_eq!(agent.parent_span_id, handler.span_context.span_id());
        assert_eq!(
            llm.parent_span_id,
            agent.span_context.span_id(),
            "activation {activation}"
        );
    }
}

#[test]
fn a_tracing_span_inside_a_workflow_is_the_parent_of_llm_calls_inside_it() {
    for activation in [true, false] {
        let spans = run_in_subscriber(activation, |i| {
            let workflow = i.workflow("trip").start();
            let _cx = workflow.context().clone().attach();
            let step = tracing::info_span!("step");
            let _entered = step.enter();
            call(i);
            drop(_entered);
            drop(_cx);
            workflow.end();
        });
        let workflow = by_name(&spans, "invoke_workflow trip");
        let step = by_name(&spans, "step");
        let llm = by_name(&spans, "chat gpt-4o");
        assert_eq!(
            step.parent_span_id,
            workflow.span_context.span_id(),
            "activation {activation}"
        );
        assert_eq!(
            llm.parent_span_id,
            step.span_context.span_id(),
            "activation {activation}"
        );
    }
}
