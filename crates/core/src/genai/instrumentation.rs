//! [`GenAiInstrumentation`]: the shared, cheap-to-clone handle every layer and
//! interceptor holds: tracer, GenAI metrics, pricing table and the content-capture switch.

use std::sync::Arc;

use opentelemetry::InstrumentationScope;
use opentelemetry::global::{self, BoxedTracer};
use opentelemetry::metrics::{Meter, MeterProvider};
use opentelemetry::trace::{Tracer, TracerProvider};

use super::call::{GenAiCall, GenAiRequest};
use super::metrics::GenAiMetrics;
use super::pricing::PricingTable;
use super::semconv::{SCHEMA_URL, env};
use crate::error::ConfigError;

/// Name of the instrumentation scope of every span and metric this crate records.
pub const SCOPE_NAME: &str = "genai-telemetry";

/// The instrumentation scope (`genai-telemetry`, crate version, semconv schema URL).
pub fn scope() -> InstrumentationScope {
    InstrumentationScope::builder(SCOPE_NAME)
        .with_version(env!("CARGO_PKG_VERSION"))
        .with_schema_url(SCHEMA_URL)
        .build()
}

/// Shared by all layers and interceptors: where spans and metrics go, how calls are
/// priced, whether content is captured. Cloning is an `Arc` clone.
///
/// ```no_run
/// use genai_telemetry_core::genai::GenAiInstrumentation;
/// # let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
/// let instrumentation = GenAiInstrumentation::builder()
///     .tracer_provider(&provider)
///     .capture_content(false)
///     .build();
/// assert!(!instrumentation.capture_content());
/// ```
#[derive(Clone)]
pub struct GenAiInstrumentation {
    inner: Arc<Inner>,
}

struct Inner {
    tracer: BoxedTracer,
    metrics: Option<GenAiMetrics>,
    pricing: Arc<PricingTable>,
    capture_content: bool,
}

impl std::fmt::Debug for GenAiInstrumentation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GenAiInstrumentation")
            .field("metrics", &self.inner.metrics.is_some())
            .field("priced_models", &self.inner.pricing.len())
            .field("capture_content", &self.inner.capture_content)
            .finish_non_exhaustive()
    }
}

impl Default for GenAiInstrumentation {
    /// The global tracer and meter providers as installed *now*, the bundled pricing
    /// table, content capture off. Use [`from_env`](Self::from_env) to honour the
    /// environment.
    fn default() -> Self {
        Self::builder().build()
    }
}

impl GenAiInstrumentation {
    /// A builder starting from the global providers, the bundled prices and no content
    /// capture.
    pub fn builder() -> GenAiInstrumentationBuilder {
        GenAiInstrumentationBuilder {
            tracer: None,
            meter: MeterChoice::Global,
            pricing: None,
            capture_content: false,
        }
    }

    /// The global providers as installed now, content capture from
    /// `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`, prices from the bundled table
    /// plus `GENAI_PRICING_FILE`. Fails only on an unreadable or invalid pricing file.
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self::builder()
            .capture_content(capture_content_from_env()?)
            .pricing(PricingTable::from_env()?)
            .build())
    }

    /// Starts the span of one LLM call. The parent is the current OpenTelemetry context
    /// (or, with the `tracing` feature, the current `tracing` span; see
    /// [`crate::genai::workflow`]).
    pub fn start_call(&self, request: GenAiRequest) -> GenAiCall {
        GenAiCall::start(self, request, None)
    }

    /// Like [`start_call`](Self::start_call) for a call that began at `started` (the span's
    /// start time and the measured duration go back to it), for adapters that learn the
    /// request's details only after the call began.
    pub fn start_call_at(&self, request: GenAiRequest, started: std::time::Instant) -> GenAiCall {
        GenAiCall::start(self, request, Some(started))
    }

    /// True when prompts and completions are recorded on spans.
    pub fn capture_content(&self) -> bool {
        self.inner.capture_content
    }

    /// The pricing table.
    pub fn pricing(&self) -> &PricingTable {
        &self.inner.pricing
    }

    /// The tracer spans are created with.
    pub fn tracer(&self) -> &BoxedTracer {
        &self.inner.tracer
    }

    pub(crate) fn metrics(&self) -> Option<&GenAiMetrics> {
        self.inner.metrics.as_ref()
    }
}

/// Reads `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`: unset or empty leaves capture
/// off; a boolean (`true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`) sets it; anything else is
/// a configuration error naming the variable (a typo must not silently decide whether
/// prompts are recorded).
pub fn capture_content_from_env() -> Result<bool, ConfigError> {
    match std::env::var(env::CAPTURE_MESSAGE_CONTENT) {
        Ok(raw) if !raw.trim().is_empty() => {
            crate::config::parse::parse_bool(&raw).map_err(|e| ConfigError {
                problems: vec![crate::error::ConfigProblem {
                    variable: env::CAPTURE_MESSAGE_CONTENT.to_owned(),
                    problem: e.problem,
                    fix: e.fix,
                }],
            })
        }
        _ => Ok(false),
    }
}

enum MeterChoice {
    Global,
    Meter(Meter),
    None,
}

/// Builder of [`GenAiInstrumentation`].
pub struct GenAiInstrumentationBuilder {
    tracer: Option<BoxedTracer>,
    meter: MeterChoice,
    pricing: Option<Arc<PricingTable>>,
    capture_content: bool,
}

impl std::fmt::Debug for GenAiInstrumentationBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GenAiInstrumentationBuilder")
            .field("capture_content", &self.capture_content)
            .finish_non_exhaustive()
    }
}

impl GenAiInstrumentationBuilder {
    /// Spans go to a tracer of `provider` (instead of the global provider).
    pub fn tracer_provider<P, T, S>(mut self, provider: &P) -> Self
    where
        P: TracerProvider<Tracer = T>,
        T: Tracer<Span = S> + Send + Sync + 'static,
        S: opentelemetry::trace::Span + Send + Sync + 'static,
    {
        self.tracer = Some(BoxedTracer::new(Box::new(
            provider.tracer_with_scope(scope()),
        )));
        self
    }

    /// Spans go to `tracer`.
    pub fn tracer(mut self, tracer: BoxedTracer) -> Self {
        self.tracer = Some(tracer);
        self
    }

    /// Metrics go to a meter of `provider` (instead of the global provider).
    pub fn meter_provider(mut self, provider: &impl MeterProvider) -> Self {
        self.meter = MeterChoice::Meter(provider.meter_with_scope(scope()));
        self
    }

    /// Metrics go to `meter`.
    pub fn meter(mut self, meter: Meter) -> Self {
        self.meter = MeterChoice::Meter(meter);
        self
    }

    /// Records no metrics.
    pub fn without_metrics(mut self) -> Self {
        self.meter = MeterChoice::None;
        self
    }

    /// Turns content capture on or off.
    pub fn capture_content(mut self, on: bool) -> Self {
        self.capture_content = on;
        self
    }

    /// Uses `pricing` for cost.
    pub fn pricing(mut self, pricing: Arc<PricingTable>) -> Self {
        self.pricing = Some(pricing);
        self
    }

    /// Builds the handle.
    pub fn build(self) -> GenAiInstrumentation {
        let metrics = match self.meter {
            MeterChoice::Global => Some(GenAiMetrics::new(&global::meter_with_scope(scope()))),
            MeterChoice::Meter(meter) => Some(GenAiMetrics::new(&meter)),
            MeterChoice::None => None,
        };
        GenAiInstrumentation {
            inner: Arc::new(Inner {
                tracer: self
                    .tracer
                    .unwrap_or_else(|| global::tracer_with_scope(scope())),
                metrics,
                pricing: self.pricing.unwrap_or_else(PricingTable::bundled),
                capture_content: self.capture_content,
            }),
        }
    }
}
