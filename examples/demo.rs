//! The bridge end to end on this machine, no accounts needed: two real OTLP/HTTP receivers on
//! loopback stand in for Langfuse and Instana and check what they check (path, Basic auth and
//! the v4 ingestion header; `x-instana-key`). Instana goes down mid-run; the demo prints what
//! each received, both views of the same LLM span side by side, and the bridge's counters.
//!
//! `cargo run -p genai-telemetry-bridge --example demo --features full`

#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::time::{Duration, Instant};

use genai_telemetry_bridge::TelemetryManager;
use genai_telemetry_receiver::{OtlpReceiver, ReceivedSpan, ReceiverConfig};
use opentelemetry::KeyValue;
use opentelemetry::trace::{Span, SpanKind, TraceContextExt, Tracer};

const PUBLIC_KEY: &str = "pk-lf-demo";
const SECRET_KEY: &str = "sk-lf-demo";
const AGENT_KEY: &str = "demo-agent-key";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let langfuse = OtlpReceiver::start(ReceiverConfig::langfuse(PUBLIC_KEY, SECRET_KEY))?;
    let instana = OtlpReceiver::start(ReceiverConfig::instana(AGENT_KEY))?;
    println!("Langfuse stand-in: {}", langfuse.traces_url());
    println!("Instana stand-in:  {}", instana.traces_url());

    let telemetry = TelemetryManager::builder()
        .configure(|b| {
            b.service_name("demo-assistant")
                .service_version("1.0.0")
                .deployment_environment("local")
                .langfuse(PUBLIC_KEY, SECRET_KEY)
                .langfuse_endpoint(langfuse.endpoint())
                .instana(instana.endpoint())
                .instana_api_key(AGENT_KEY)
                .tune(|p| {
                    p.batch_timeout = Duration::from_millis(50);
                    p.breaker.failure_threshold = 3;
                    p.breaker.recovery_window = Duration::from_millis(300);
                    p.retry.initial_backoff = Duration::from_millis(20);
                })
        })
        .install_global(false)
        .build()?;
    let tracer = telemetry.tracer("demo");

    println!("\n1. 200 agent runs (agent -> tool -> LLM) with both back ends up");
    run_agents(&tracer, 0..200);
    telemetry.flush(Duration::from_secs(5));
    print_stats(&telemetry);

    println!("\n2. Instana goes down; 300 more runs");
    instana.faults().set_outage(true);
    let started = Instant::now();
    run_agents(&tracer, 200..500);
    println!(
        "   900 spans ended in {:?} on the application thread while a back end was down",
        started.elapsed()
    );
    wait_until(|| {
        telemetry
            .stats()
            .destination("instana")
            .unwrap()
            .breaker_opens
            > 0
    });
    print_stats(&telemetry);

    println!("\n3. Instana recovers: held batches are replayed");
    instana.faults().set_outage(false);
    wait_until(|| telemetry.stats().destination("instana").unwrap().spans_held == 0);
    let report = telemetry.shutdown(Duration::from_secs(5));
    print_stats(&telemetry);

    println!("\nwhat the receivers decoded:");
    for r in [&langfuse, &instana] {
        let s = r.stats();
        println!(
            "   {:<9} requests {:>3} (refused {:>2})  unique spans {:>4}  duplicates {}",
            r.name(),
            s.requests,
            s.rejected_requests,
            s.unique_spans,
            s.duplicate_spans
        );
    }

    let lf_span = langfuse
        .spans()
        .into_iter()
        .find(|s| s.name.starts_with("chat"));
    if let Some(lf_span) = lf_span {
        let in_span = instana
            .spans()
            .into_iter()
            .find(|s| s.span_id == lf_span.span_id);
        println!(
            "\nthe same LLM span (trace {}, span {}) as each back end received it:",
            hex(&lf_span.trace_id),
            hex(&lf_span.span_id)
        );
        side_by_side(&lf_span, in_span.as_ref());
    }
    println!(
        "\nshutdown: complete={} in {} ms, undelivered spans: {}",
        report.complete,
        report.elapsed_ms,
        report.undelivered()
    );
    Ok(())
}

fn run_agents(
    tracer: &impl Tracer<Span = impl Span + Send + Sync + 'static>,
    runs: std::ops::Range<usize>,
) {
    for i in runs {
        tracer.in_span("invoke_agent travel-planner", |cx| {
            cx.span()
                .set_attribute(KeyValue::new("gen_ai.operation.name", "invoke_agent"));
            cx.span()
                .set_attribute(KeyValue::new("gen_ai.agent.name", "travel-planner"));
            cx.span()
                .set_attribute(KeyValue::new("session.id", "demo-session"));
            tracer.in_span("execute_tool get_weather", |cx| {
                cx.span()
                    .set_attribute(KeyValue::new("gen_ai.operation.name", "execute_tool"));
                cx.span()
                    .set_attribute(KeyValue::new("gen_ai.tool.name", "get_weather"));
            });
            let mut llm = tracer
                .span_builder("chat gpt-4o-mini")
                .with_kind(SpanKind::Client)
                .start_with_context(tracer, &cx);
            llm.set_attribute(KeyValue::new("gen_ai.operation.name", "chat"));
            llm.set_attribute(KeyValue::new("gen_ai.provider.name", "openai"));
            llm.set_attribute(KeyValue::new("gen_ai.request.model", "gpt-4o-mini"));
            llm.set_attribute(KeyValue::new(
                "gen_ai.response.model",
                "gpt-4o-mini-2024-07-18",
            ));
            llm.set_attribute(KeyValue::new("gen_ai.request.temperature", 0.2));
            llm.set_attribute(KeyValue::new(
                "gen_ai.usage.input_tokens",
                120 + (i % 7) as i64,
            ));
            llm.set_attribute(KeyValue::new(
                "gen_ai.usage.output_tokens",
                40 + (i % 5) as i64,
            ));
            llm.set_attribute(KeyValue::new(
                "gen_ai.input.messages",
                r#"[{"role":"user","parts":[{"type":"text","content":"Weather in Paris?"}]}]"#,
            ));
            llm.end();
        });
    }
}

fn side_by_side(langfuse: &ReceivedSpan, instana: Option<&ReceivedSpan>) {
    let show = |s: &ReceivedSpan| -> Vec<String> {
        let mut lines: Vec<String> = s
            .attributes
            .iter()
            .map(|kv| {
                let value = kv
                    .value
                    .as_ref()
                    .and_then(|v| v.value.as_ref())
                    .map(|v| match v {
                        opentelemetry_proto::tonic::common::v1::any_value::Value::StringValue(
                            s,
                        ) => s.clone(),
                        opentelemetry_proto::tonic::common::v1::any_value::Value::IntValue(i) => {
                            i.to_string()
                        }
                        opentelemetry_proto::tonic::common::v1::any_value::Value::DoubleValue(
                            d,
                        ) => d.to_string(),
                        other => format!("{other:?}"),
                    })
                    .unwrap_or_default();
                let line = format!("{} = {}", kv.key, value);
                if line.chars().count() > 62 {
                    format!("{}…", line.chars().take(61).collect::<String>())
                } else {
                    line
                }
            })
            .collect();
        lines.sort();
        lines
    };
    let left = show(langfuse);
    let right = instana.map(show).unwrap_or_default();
    println!("   {:<64} | INSTANA VIEW", "LANGFUSE VIEW");
    println!("   {:-<64}-+-{:-<64}", "", "");
    for i in 0..left.len().max(right.len()) {
        println!(
            "   {:<64} | {}",
            left.get(i).map_or("", String::as_str),
            right.get(i).map_or("", String::as_str)
        );
    }
}

fn print_stats(telemetry: &TelemetryManager) {
    println!(
        "   {:<9} {:>8} {:>9} {:>6} {:>7} {:>9} {:>6} {:>7}",
        "dest", "enqueued", "delivered", "held", "dropped", "breaker", "opens", "retries"
    );
    for d in telemetry.stats().destinations {
        println!(
            "   {:<9} {:>8} {:>9} {:>6} {:>7} {:>9} {:>6} {:>7}",
            d.destination,
            d.spans_enqueued,
            d.spans_delivered,
            d.spans_held,
            d.dropped.total(),
            d.breaker_state.as_str(),
            d.breaker_opens,
            d.retries
        );
    }
}

fn wait_until(mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
