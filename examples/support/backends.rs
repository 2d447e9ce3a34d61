//! Shared by the LLM-client examples (`agent_workflow`, `openai_streaming`,
//! `bedrock_converse`, `litellm_proxy`): where their telemetry goes, and printing what the
//! back ends received. Included with `#[path = "support/backends.rs"] mod backends;`.
//!
//! When the environment (or a `.env` file) enables a destination (`LANGFUSE_PUBLIC_KEY` +
//! `LANGFUSE_SECRET_KEY`, `INSTANA_ENDPOINT`, `OTEL_EXPORTER_OTLP_ENDPOINT`, ...), the bridge
//! is configured from it exactly as `TelemetryManager::configure()` does (with the example's
//! name as the default service name). Otherwise two real OTLP/HTTP receivers on 127.0.0.1
//! stand in for Langfuse and Instana, set up as in `examples/demo.rs` (each checks the path
//! and auth headers the real service checks), and the examples print what they decoded.

#![allow(dead_code)] // each example uses its part

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use async_openai::config::OpenAIConfig;
use genai_telemetry_bridge::genai::{GenAiInstrumentation, PricingTable, capture_content_from_env};
use genai_telemetry_bridge::{BridgeConfigBuilder, TelemetryManager};
use genai_telemetry_receiver::mock_llm::{MockLlm, MockLlmConfig};
use genai_telemetry_receiver::{OtlpReceiver, ReceivedSpan, ReceiverConfig};
use opentelemetry_proto::tonic::common::v1::AnyValue;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::metrics::v1::metric::Data;

pub(crate) type Error = Box<dyn std::error::Error + Send + Sync>;

/// Credentials the stand-ins require; made up, they only exist on this machine.
const PUBLIC_KEY: &str = "pk-lf-example";
const SECRET_KEY: &str = "sk-lf-example";
const AGENT_KEY: &str = "example-agent-key";

/// The bridge, and the loopback stand-ins when no real back end is configured.
pub(crate) struct Backends {
    telemetry: TelemetryManager,
    stand_ins: Option<StandIns>,
}

struct StandIns {
    langfuse: OtlpReceiver,
    instana: OtlpReceiver,
}

/// What the two stand-ins decoded, after shutdown.
pub(crate) struct Received {
    /// Spans as the Langfuse stand-in received them (the Langfuse view).
    pub(crate) langfuse: Vec<ReceivedSpan>,
    /// Spans as the Instana stand-in received them (the Instana view).
    pub(crate) instana: Vec<ReceivedSpan>,
}

impl Backends {
    /// Configures the bridge from the environment, or with loopback stand-ins when the
    /// environment enables no destination.
    pub(crate) fn start(service_name: &str) -> Result<Self, Error> {
        let mut config = BridgeConfigBuilder::from_env();
        if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
            config = config.service_name(service_name);
        }
        let names: Vec<String> = config
            .clone()
            .build()?
            .destination_names()
            .into_iter()
            .map(str::to_owned)
            .collect();
        if !names.is_empty() {
            println!("telemetry: to {} (from the environment)", names.join(", "));
            let telemetry = TelemetryManager::builder().config(config).build()?;
            return Ok(Self {
                telemetry,
                stand_ins: None,
            });
        }

        let langfuse = OtlpReceiver::start(ReceiverConfig::langfuse(PUBLIC_KEY, SECRET_KEY))?;
        let instana = OtlpReceiver::start(ReceiverConfig::instana(AGENT_KEY))?;
        println!("telemetry: no destination configured; loopback stand-ins receive it:");
        println!("   Langfuse  {}", langfuse.traces_url());
        println!("   Instana   {}", instana.traces_url());
        let telemetry = TelemetryManager::builder()
            .config(
                config
                    .langfuse(PUBLIC_KEY, SECRET_KEY)
                    .langfuse_endpoint(langfuse.endpoint())
                    .instana(instana.endpoint())
                    .instana_api_key(AGENT_KEY)
                    .tune(|p| p.batch_timeout = Duration::from_millis(100)),
            )
            .build()?;
        Ok(Self {
            telemetry,
            stand_ins: Some(StandIns { langfuse, instana }),
        })
    }

    /// The handle every layer and interceptor takes: spans to this bridge, GenAI metrics
    /// to Instana when it is enabled, content capture
    /// (`OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`) and prices
    /// (`GENAI_PRICING_FILE`) from the environment.
    pub(crate) fn instrumentation(&self) -> Result<GenAiInstrumentation, Error> {
        let builder = GenAiInstrumentation::builder()
            .tracer_provider(self.telemetry.tracer_provider())
            .capture_content(capture_content_from_env()?)
            .pricing(PricingTable::from_env()?);
        let builder = match self.telemetry.instana_meter_provider() {
            Some(meters) => builder.meter_provider(meters),
            None => builder.without_metrics(),
        };
        Ok(builder.build())
    }

    /// Waits (bounded) until `expected_spans` spans reached the bridge (a stream's span
    /// ends when its last bytes are read, which can be just after the caller saw the last
    /// chunk), shuts it down, prints the counters and returns what the stand-ins decoded
    /// (`None` with real back ends).
    pub(crate) async fn finish(self, expected_spans: u64) -> Result<Option<Received>, Error> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline
            && self
                .telemetry
                .stats()
                .destinations
                .iter()
                .any(|d| d.spans_enqueued < expected_spans)
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Shutdown blocks while it flushes: off the async workers.
        tokio::task::spawn_blocking(move || self.shutdown_and_collect()).await?
    }

    fn shutdown_and_collect(self) -> Result<Option<Received>, Error> {
        let report = self.telemetry.shutdown(Duration::from_secs(10));
        println!("\nthe bridge after shutdown:");
        for d in &report.destinations {
            println!(
                "   {:<9} spans enqueued {:>2}  delivered {:>2}  dropped {}  breaker {}",
                d.destination,
                d.spans_enqueued,
                d.spans_delivered,
                d.dropped.total(),
                d.breaker_state.as_str()
            );
        }
        println!("   undelivered spans: {}", report.undelivered());
        let Some(StandIns { langfuse, instana }) = self.stand_ins else {
            return Ok(None);
        };
        println!("\nwhat the stand-ins decoded:");
        for r in [&langfuse, &instana] {
            let s = r.stats();
            println!(
                "   {:<9} requests {} (refused {})  unique spans {}  duplicates {}",
                r.name(),
                s.requests,
                s.rejected_requests,
                s.unique_spans,
                s.duplicate_spans
            );
        }
        print_metrics(&instana);
        Ok(Some(Received {
            langfuse: langfuse.spans(),
            instana: instana.spans(),
        }))
    }
}

impl Received {
    /// The first span the Langfuse stand-in received whose name starts with `prefix`.
    pub(crate) fn langfuse_span(&self, prefix: &str) -> Option<&ReceivedSpan> {
        self.langfuse.iter().find(|s| s.name.starts_with(prefix))
    }

    /// The same span (same span ID) as the Instana stand-in received it.
    pub(crate) fn instana_twin(&self, span: &ReceivedSpan) -> Option<&ReceivedSpan> {
        self.instana.iter().find(|s| s.span_id == span.span_id)
    }

    /// Says whether both stand-ins received the same spans with the same IDs and parents.
    pub(crate) fn print_same_spans(&self) {
        type Ids = ([u8; 16], [u8; 8], Option<[u8; 8]>);
        let ids = |spans: &[ReceivedSpan]| -> BTreeSet<Ids> {
            spans
                .iter()
                .map(|s| (s.trace_id, s.span_id, s.parent_span_id))
                .collect()
        };
        let same = ids(&self.langfuse) == ids(&self.instana);
        println!(
            "\nLangfuse and Instana received {} and {} spans; same trace IDs, span IDs and parents: {}",
            self.langfuse.len(),
            self.instana.len(),
            if same { "yes" } else { "NO" }
        );
    }
}

/// The GenAI metrics the Instana stand-in received (cumulative histograms: the last
/// export holds the totals).
fn print_metrics(instana: &OtlpReceiver) {
    let mut last: BTreeMap<String, (u64, f64, String)> = BTreeMap::new();
    for request in instana.metrics() {
        for metric in request
            .resource_metrics
            .iter()
            .flat_map(|r| &r.scope_metrics)
            .flat_map(|s| &s.metrics)
        {
            if let Some(Data::Histogram(h)) = &metric.data {
                let count = h.data_points.iter().map(|p| p.count).sum();
                let sum = h.data_points.iter().filter_map(|p| p.sum).sum();
                last.insert(metric.name.clone(), (count, sum, metric.unit.clone()));
            }
        }
    }
    if last.is_empty() {
        return;
    }
    println!("   instana   GenAI metrics:");
    for (name, (count, sum, unit)) in last {
        println!("               {name:<46} count {count}  sum {sum:.3} {unit}");
    }
}

/// An attribute value as text, shortened to `max` characters.
pub(crate) fn value_text(value: Option<&AnyValue>, max: usize) -> String {
    let text = match value.and_then(|v| v.value.as_ref()) {
        None => String::new(),
        Some(Value::StringValue(s)) => format!("{s:?}"),
        Some(Value::IntValue(i)) => i.to_string(),
        Some(Value::DoubleValue(d)) => d.to_string(),
        Some(Value::BoolValue(b)) => b.to_string(),
        Some(Value::ArrayValue(a)) => {
            let items: Vec<String> = a.values.iter().map(|v| value_text(Some(v), max)).collect();
            format!("[{}]", items.join(", "))
        }
        Some(other) => format!("{other:?}"),
    };
    if text.chars().count() > max {
        format!("{}…", text.chars().take(max - 1).collect::<String>())
    } else {
        text
    }
}

/// Prints the spans of one trace as a tree (children in start order), each with its kind,
/// duration, status and the attributes `show` selects.
pub(crate) fn print_tree(spans: &[ReceivedSpan], show: &dyn Fn(&str) -> bool) {
    let ids: BTreeSet<[u8; 8]> = spans.iter().map(|s| s.span_id).collect();
    let mut roots: Vec<&ReceivedSpan> = spans
        .iter()
        .filter(|s| s.parent_span_id.is_none_or(|p| !ids.contains(&p)))
        .collect();
    roots.sort_by_key(|s| s.start_time_unix_nano);
    for root in roots {
        println!("   trace {}", hex(&root.trace_id));
        print_node(spans, root, "", None, show);
    }
}

/// `last`: `None` for a root, else whether the span is its parent's last child.
fn print_node(
    spans: &[ReceivedSpan],
    span: &ReceivedSpan,
    prefix: &str,
    last: Option<bool>,
    show: &dyn Fn(&str) -> bool,
) {
    let (branch, continuation) = match last {
        None => ("", ""),
        Some(true) => ("└─ ", "   "),
        Some(false) => ("├─ ", "│  "),
    };
    let kind = match span.kind {
        1 => "internal",
        2 => "server",
        3 => "client",
        4 => "producer",
        5 => "consumer",
        _ => "unspecified",
    };
    let ms = span
        .end_time_unix_nano
        .saturating_sub(span.start_time_unix_nano) as f64
        / 1e6;
    let status = match span.status_code {
        2 => format!(", ERROR {}", span.status_message),
        1 => ", ok".to_owned(),
        _ => String::new(),
    };
    println!(
        "   {prefix}{branch}{}  [{kind}, {ms:.0} ms, span {}{status}]",
        span.name,
        hex(&span.span_id)
    );
    let inner = format!("{prefix}{continuation}");
    let mut children: Vec<&ReceivedSpan> = spans
        .iter()
        .filter(|s| s.parent_span_id == Some(span.span_id))
        .collect();
    children.sort_by_key(|s| s.start_time_unix_nano);
    let bar = if children.is_empty() { "   " } else { "│  " };
    let mut attributes: Vec<_> = span.attributes.iter().filter(|kv| show(&kv.key)).collect();
    attributes.sort_by(|a, b| a.key.cmp(&b.key));
    for kv in attributes {
        println!(
            "   {inner}{bar}   {} = {}",
            kv.key,
            value_text(kv.value.as_ref(), 70)
        );
    }
    let n = children.len();
    for (i, child) in children.into_iter().enumerate() {
        print_node(spans, child, &inner, Some(i + 1 == n), show);
    }
}

/// One span's attributes as each back end received it: key, Langfuse value, Instana value.
pub(crate) fn print_views(langfuse: &ReceivedSpan, instana: Option<&ReceivedSpan>) {
    println!(
        "   span {:?}, trace {}, span {}",
        langfuse.name,
        hex(&langfuse.trace_id),
        hex(&langfuse.span_id)
    );
    let mut keys: BTreeSet<&str> = langfuse
        .attributes
        .iter()
        .map(|kv| kv.key.as_str())
        .collect();
    if let Some(i) = instana {
        keys.extend(i.attributes.iter().map(|kv| kv.key.as_str()));
    }
    let cell = |span: Option<&ReceivedSpan>, key: &str| match span.and_then(|s| s.attribute(key)) {
        Some(v) => value_text(Some(v), 34),
        None => "—".to_owned(),
    };
    println!(
        "   {:<44} {:<35} Instana received",
        "attribute", "Langfuse received"
    );
    println!("   {:-<44} {:-<35} {:-<35}", "", "", "");
    for key in keys {
        println!(
            "   {key:<44} {:<35} {}",
            cell(Some(langfuse), key),
            cell(instana, key)
        );
    }
}

/// Lower-case hexadecimal.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The value of environment variable `name` when it is set and not empty.
pub(crate) fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The real OpenAI API when `OPENAI_API_KEY` is set, else the loopback mock (kept alive by
/// the returned handle, answering after `mock_delay`), with the HTTP client to reach it.
pub(crate) fn openai_llm(
    mock_delay: Duration,
) -> Result<(OpenAIConfig, reqwest::Client, String, Option<MockLlm>), Error> {
    let model = env("OPENAI_MODEL").unwrap_or_else(|| "gpt-4o-mini".to_owned());
    if env("OPENAI_API_KEY").is_some() {
        let base = env("OPENAI_BASE_URL").unwrap_or_else(|| "https://api.openai.com/v1".into());
        println!("LLM: {base}, model {model} (OPENAI_API_KEY is set)");
        // Reads OPENAI_API_KEY and OPENAI_BASE_URL.
        return Ok((OpenAIConfig::new(), reqwest::Client::new(), model, None));
    }
    let mock = MockLlm::start(MockLlmConfig::new().delay(mock_delay))?;
    println!(
        "LLM: OPENAI_API_KEY not set; a loopback mock of the OpenAI API at {} (it gives every question the same answer)",
        mock.openai_base_url()
    );
    let config = OpenAIConfig::new()
        .with_api_base(mock.openai_base_url())
        .with_api_key("sk-mock");
    // Straight to 127.0.0.1, whatever HTTP(S)_PROXY says.
    let http = reqwest::Client::builder().no_proxy().build()?;
    Ok((config, http, model, Some(mock)))
}
