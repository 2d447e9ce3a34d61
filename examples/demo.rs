//! Runs the bridge end to end on this machine, no accounts needed: two real OTLP/HTTP
//! receivers on loopback stand in for two back ends, one of them goes down mid-run, and the
//! demo prints what each received and what the bridge's counters say.
//!
//! `cargo run --example demo`

#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use genai_telemetry_bridge::core::config::OtlpSettings;
use genai_telemetry_bridge::{BridgeConfig, Destination, OtlpDestination, TelemetryManager};
use genai_telemetry_receiver::{OtlpReceiver, ReceiverConfig};
use opentelemetry::KeyValue;
use opentelemetry::trace::{Span, SpanKind, TraceContextExt, Tracer};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let primary = OtlpReceiver::start(ReceiverConfig::new().name("primary"))?;
    let secondary = OtlpReceiver::start(ReceiverConfig::new().name("secondary"))?;
    println!("receivers: primary {} | secondary {}", primary.traces_url(), secondary.traces_url());

    // A second OTLP destination beside the one the configuration enables.
    let secondary_settings = {
        let config = BridgeConfig::builder()
            .otlp_traces_endpoint(secondary.traces_url())
            .build()?;
        let mut otlp: OtlpSettings = config.otlp.unwrap();
        otlp.name = "secondary".to_owned();
        otlp
    };
    let telemetry = TelemetryManager::builder()
        .configure(|b| {
            b.service_name("demo-assistant")
                .service_version("1.0.0")
                .deployment_environment("local")
                .otlp_endpoint(primary.endpoint())
                .tune(|p| {
                    p.batch_timeout = Duration::from_millis(50);
                    p.breaker.failure_threshold = 3;
                    p.breaker.recovery_window = Duration::from_millis(300);
                    p.retry.initial_backoff = Duration::from_millis(20);
                })
        })
        .destination(Arc::new(OtlpDestination::new(
            &secondary_settings,
            Duration::from_secs(2),
        )?) as Arc<dyn Destination>)
        .install_global(false)
        .build()?;
    let tracer = telemetry.tracer("demo");

    println!("\n1. 200 agent runs (agent -> tool -> LLM) with both back ends up");
    run_agents(&tracer, 0..200);
    telemetry.flush(Duration::from_secs(5));
    print_stats(&telemetry);

    println!("\n2. the secondary back end goes down; 300 more runs");
    secondary.faults().set_outage(true);
    let started = Instant::now();
    run_agents(&tracer, 200..500);
    println!(
        "   900 spans ended in {:?} on the application thread while a back end was down",
        started.elapsed()
    );
    wait_until(|| telemetry.stats().destination("secondary").unwrap().breaker_opens > 0);
    print_stats(&telemetry);

    println!("\n3. the secondary back end recovers: held batches are replayed");
    secondary.faults().set_outage(false);
    wait_until(|| telemetry.stats().destination("secondary").unwrap().spans_held == 0);
    let report = telemetry.shutdown(Duration::from_secs(5));
    print_stats(&telemetry);

    println!("\nwhat the receivers decoded:");
    for r in [&primary, &secondary] {
        let s = r.stats();
        println!(
            "   {:<9} requests {:>3} (rejected {:>2})  unique spans {:>4}  duplicates {}",
            r.name(),
            s.requests,
            s.rejected_requests,
            s.unique_spans,
            s.duplicate_spans
        );
    }
    if let Some(llm) = secondary.spans().iter().find(|s| s.name.starts_with("chat")) {
        println!("\none LLM span as the secondary back end received it:");
        println!("   name: {}  trace: {}", llm.name, hex(&llm.trace_id));
        for kv in &llm.attributes {
            println!("   {} = {:?}", kv.key, kv.value.as_ref().and_then(|v| v.value.as_ref()));
        }
    }
    println!(
        "\nshutdown: complete={} in {} ms, undelivered spans: {}",
        report.complete,
        report.elapsed_ms,
        report.undelivered()
    );
    Ok(())
}

fn run_agents(tracer: &impl Tracer<Span = impl Span + Send + Sync + 'static>, runs: std::ops::Range<usize>) {
    for i in runs {
        tracer.in_span("invoke_agent travel-planner", |cx| {
            cx.span().set_attribute(KeyValue::new("gen_ai.operation.name", "invoke_agent"));
            cx.span().set_attribute(KeyValue::new("gen_ai.agent.name", "travel-planner"));
            tracer.in_span("execute_tool get_weather", |cx| {
                cx.span().set_attribute(KeyValue::new("gen_ai.operation.name", "execute_tool"));
                cx.span().set_attribute(KeyValue::new("gen_ai.tool.name", "get_weather"));
            });
            let mut llm = tracer
                .span_builder("chat gpt-4o-mini")
                .with_kind(SpanKind::Client)
                .start_with_context(tracer, &cx);
            llm.set_attribute(KeyValue::new("gen_ai.operation.name", "chat"));
            llm.set_attribute(KeyValue::new("gen_ai.provider.name", "openai"));
            llm.set_attribute(KeyValue::new("gen_ai.request.model", "gpt-4o-mini"));
            llm.set_attribute(KeyValue::new("gen_ai.usage.input_tokens", 120 + (i % 7) as i64));
            llm.set_attribute(KeyValue::new("gen_ai.usage.output_tokens", 40 + (i % 5) as i64));
            llm.end();
        });
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
