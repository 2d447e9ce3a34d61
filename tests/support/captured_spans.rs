//! What the instrumentation crates' client tests share (each includes this file with
//! `#[path]`): GenAI instrumentation recording into an in-memory exporter, the spans calls
//! produced, and the checks every span of the hostile-input tests must pass.

use std::time::{Duration, Instant};

use genai_telemetry_core::content::DEFAULT_MAX_ATTRIBUTE_LENGTH;
use genai_telemetry_core::genai::GenAiInstrumentation;
use genai_telemetry_core::genai::semconv::attr;
use opentelemetry::Value;
use opentelemetry::trace::Status;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};

/// Instrumentation whose spans land in memory, without metrics.
pub struct Telemetry {
    pub exporter: InMemorySpanExporter,
    pub provider: SdkTracerProvider,
    pub instrumentation: GenAiInstrumentation,
}

/// Instrumentation with content capture on or off.
pub fn telemetry(capture_content: bool) -> Telemetry {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let instrumentation = GenAiInstrumentation::builder()
        .tracer_provider(&provider)
        .without_metrics()
        .capture_content(capture_content)
        .build();
    Telemetry {
        exporter,
        provider,
        instrumentation,
    }
}

impl Telemetry {
    /// Every span ended so far.
    pub fn spans(&self) -> Vec<SpanData> {
        self.provider.force_flush().unwrap();
        self.exporter.get_finished_spans().unwrap()
    }

    /// Waits until `n` spans ended (streams end on a task of the client's). The bound only
    /// guards against hanging; nothing asserts on time.
    pub async fn wait_for_spans(&self, n: usize) -> Vec<SpanData> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let spans = self.spans();
            if spans.len() >= n {
                return spans;
            }
            assert!(
                Instant::now() < deadline,
                "only {} spans: {spans:#?}",
                spans.len()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// The one span, once it ended (streams end on a task of the client's; the bound only
    /// guards against hanging, nothing asserts on time), checked by [`assert_bounded`].
    pub async fn only_bounded_span(&self) -> SpanData {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            self.provider.force_flush().unwrap();
            let mut spans = self.exporter.get_finished_spans().unwrap();
            if !spans.is_empty() {
                assert_eq!(spans.len(), 1, "{spans:#?}");
                let span = spans.remove(0);
                assert_bounded(&span);
                return span;
            }
            assert!(Instant::now() < deadline, "the span never ended");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// Every string on the span respects the destinations' default attribute bound, and the
/// span as a whole stays small (these tests capture no content).
pub fn assert_bounded(span: &SpanData) {
    let mut total = span.name.len();
    for kv in &span.attributes {
        let len = match &kv.value {
            Value::String(s) => s.as_str().len(),
            Value::Array(opentelemetry::Array::String(items)) => {
                items.iter().map(|s| s.as_str().len()).sum()
            }
            _ => 8,
        };
        assert!(
            len <= DEFAULT_MAX_ATTRIBUTE_LENGTH,
            "{} is {len} bytes",
            kv.key
        );
        total += kv.key.as_str().len() + len;
    }
    if let Status::Error { description } = &span.status {
        assert!(description.len() <= DEFAULT_MAX_ATTRIBUTE_LENGTH);
        total += description.len();
    }
    assert!(
        total <= 8 * DEFAULT_MAX_ATTRIBUTE_LENGTH,
        "span attributes total {total} bytes"
    );
}

/// An attribute's value.
pub fn attribute<'a>(span: &'a SpanData, key: &str) -> Option<&'a Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| &kv.value)
}

/// The span says the response was malformed: `error.type = invalid_response`, status Error.
pub fn marked_invalid(span: &SpanData) {
    assert_eq!(
        attribute(span, attr::ERROR_TYPE)
            .map(|v| v.as_str().into_owned())
            .as_deref(),
        Some("invalid_response"),
        "{span:#?}"
    );
    assert!(matches!(span.status, Status::Error { .. }));
}
