//! Langfuse and Instana behind one pipeline: the same spans, with the same trace and span
//! IDs, reach both, each through its own view. With `DESTINATIONS_EXAMPLE_OUT=<file>` the
//! test also writes the side-by-side example of `docs/destinations.md` from what the two
//! receivers decoded.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use common::*;
use genai_telemetry_core::{BridgeConfig, Destination};
use genai_telemetry_instana::InstanaDestination;
use genai_telemetry_langfuse::LangfuseDestination;
use genai_telemetry_receiver::{OtlpReceiver, ReceivedSpan, ReceiverConfig};
use opentelemetry_proto::tonic::common::v1::AnyValue;
use opentelemetry_proto::tonic::common::v1::any_value::Value;

/// Trace id, span id, parent span id.
type SpanIds = ([u8; 16], [u8; 8], Option<[u8; 8]>);

fn show(value: Option<&AnyValue>) -> String {
    match value.and_then(|v| v.value.as_ref()) {
        Some(Value::StringValue(s)) => format!("{s:?}"),
        Some(Value::IntValue(i)) => i.to_string(),
        Some(Value::DoubleValue(d)) => d.to_string(),
        Some(Value::BoolValue(b)) => b.to_string(),
        Some(Value::ArrayValue(a)) => format!(
            "[{}]",
            a.values
                .iter()
                .map(|v| show(Some(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => format!("{other:?}"),
    }
}

fn attributes(span: &ReceivedSpan) -> BTreeMap<String, String> {
    span.attributes
        .iter()
        .map(|kv| (kv.key.clone(), show(kv.value.as_ref())))
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A markdown table: one row per attribute key, one column per destination.
fn side_by_side_table(langfuse: &ReceivedSpan, instana: &ReceivedSpan) -> String {
    let (l, i) = (attributes(langfuse), attributes(instana));
    let keys: BTreeSet<&String> = l.keys().chain(i.keys()).collect();
    let cell = |v: Option<&String>| match v {
        None => "—".to_owned(),
        Some(v) => format!("`{}`", v.replace('|', "\\|")),
    };
    let mut out = String::new();
    out.push_str(&format!(
        "Span `{}`, trace `{}`, span `{}` (the same IDs at both).\n\n",
        langfuse.name,
        hex(&langfuse.trace_id),
        hex(&langfuse.span_id)
    ));
    out.push_str("| attribute | Langfuse receives | Instana receives |\n|---|---|---|\n");
    for key in keys {
        out.push_str(&format!(
            "| `{key}` | {} | {} |\n",
            cell(l.get(key)),
            cell(i.get(key))
        ));
    }
    out
}

#[test]
fn both_destinations_receive_the_same_span_ids_each_through_its_own_view() {
    let langfuse_receiver = OtlpReceiver::start(
        ReceiverConfig::new()
            .name("langfuse")
            .traces_path("/api/public/otel/v1/traces"),
    )
    .unwrap();
    let instana_receiver = start_receiver(ReceiverConfig::new());
    let config = BridgeConfig::builder()
        .service_name("checkout-assistant")
        .langfuse("pk-lf-test", "sk-lf-test")
        .langfuse_endpoint(langfuse_receiver.endpoint())
        .instana(instana_receiver.endpoint())
        .build()
        .unwrap();
    let pipeline = fast_pipeline();
    let destinations: Vec<Arc<dyn Destination>> = vec![
        Arc::new(LangfuseDestination::new(config.langfuse.as_ref().unwrap(), &pipeline).unwrap()),
        Arc::new(InstanaDestination::new(config.instana.as_ref().unwrap(), &pipeline).unwrap()),
    ];
    let h = Harness::start(destinations, pipeline, resource(&[]));
    emit_agent_tree(&h.provider);
    emit_generation(&h.provider);
    let report = h.finish();
    assert!(report.complete, "{report:?}");
    assert_eq!(report.delivered("langfuse"), Some(4));
    assert_eq!(report.delivered("instana"), Some(4));

    let ids = |r: &OtlpReceiver| -> BTreeSet<SpanIds> {
        r.spans()
            .iter()
            .map(|s| (s.trace_id, s.span_id, s.parent_span_id))
            .collect()
    };
    assert_eq!(ids(&langfuse_receiver), ids(&instana_receiver));

    // Each view is its own: Langfuse gets the input, Instana no content (default drop).
    let lf_spans = langfuse_receiver.spans();
    let in_spans = instana_receiver.spans();
    let lf = lf_spans
        .iter()
        .find(|s| s.name == "chat gpt-4o" && s.parent_span_id.is_none())
        .unwrap();
    let inst = in_spans.iter().find(|s| s.span_id == lf.span_id).unwrap();
    assert!(lf.attribute("langfuse.observation.input").is_some());
    assert!(inst.attribute("gen_ai.input.messages").is_none());
    assert!(inst.attribute("llm.request.type").is_some());
    assert!(lf.attribute("llm.request.type").is_none());

    if let Some(path) = std::env::var_os("DESTINATIONS_EXAMPLE_OUT") {
        let mut doc = side_by_side_table(lf, inst);
        let lf_agent = span_named(&lf_spans, "invoke_agent sales-assistant");
        let in_agent = in_spans
            .iter()
            .find(|s| s.span_id == lf_agent.span_id)
            .unwrap();
        doc.push('\n');
        doc.push_str(&side_by_side_table(lf_agent, in_agent));
        std::fs::write(path, doc).unwrap();
    }
}
