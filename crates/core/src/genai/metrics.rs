//! The client metrics of the GenAI conventions, recorded once per call through the
//! `opentelemetry` metrics API, so whatever `MeterProvider` the application installs
//! (Instana's GenAI recorder, a Prometheus exporter, …) receives them.

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Histogram, Meter};

use super::semconv::{attr, metric};

/// The three client histograms with the conventions' names, units and bucket boundaries.
#[derive(Debug, Clone)]
pub struct GenAiMetrics {
    token_usage: Histogram<u64>,
    duration: Histogram<f64>,
    time_to_first_chunk: Histogram<f64>,
}

impl GenAiMetrics {
    /// Creates the instruments on `meter`.
    pub fn new(meter: &Meter) -> Self {
        Self {
            token_usage: meter
                .u64_histogram(metric::CLIENT_TOKEN_USAGE)
                .with_unit("{token}")
                .with_description("Number of input and output tokens used")
                .with_boundaries(metric::TOKEN_USAGE_BOUNDARIES.to_vec())
                .build(),
            duration: meter
                .f64_histogram(metric::CLIENT_OPERATION_DURATION)
                .with_unit("s")
                .with_description("GenAI operation duration")
                .with_boundaries(metric::DURATION_BOUNDARIES.to_vec())
                .build(),
            time_to_first_chunk: meter
                .f64_histogram(metric::CLIENT_TIME_TO_FIRST_CHUNK)
                .with_unit("s")
                .with_description("Time to receive the first chunk in a streaming operation")
                .with_boundaries(metric::DURATION_BOUNDARIES.to_vec())
                .build(),
        }
    }

    /// Records one finished call. `attributes` are the common ones (operation, provider,
    /// models, server); `error_type` is added to the duration only.
    pub(crate) fn record(&self, observation: &CallObservation<'_>) {
        let attributes = observation.attributes;
        if let Some(tokens) = observation.input_tokens {
            self.token_usage
                .record(tokens, &with(attributes, attr::TOKEN_TYPE, "input"));
        }
        if let Some(tokens) = observation.output_tokens {
            self.token_usage
                .record(tokens, &with(attributes, attr::TOKEN_TYPE, "output"));
        }
        if let Some(ttfc) = observation.time_to_first_chunk {
            self.time_to_first_chunk.record(ttfc, attributes);
        }
        match observation.error_type {
            Some(error_type) => self.duration.record(
                observation.duration,
                &with(attributes, attr::ERROR_TYPE, error_type.to_owned()),
            ),
            None => self.duration.record(observation.duration, attributes),
        }
    }
}

/// What one finished call contributes to the metrics.
pub(crate) struct CallObservation<'a> {
    pub(crate) attributes: &'a [KeyValue],
    pub(crate) duration: f64,
    pub(crate) time_to_first_chunk: Option<f64>,
    pub(crate) input_tokens: Option<u64>,
    pub(crate) output_tokens: Option<u64>,
    pub(crate) error_type: Option<&'a str>,
}

fn with(
    attributes: &[KeyValue],
    key: &'static str,
    value: impl Into<opentelemetry::Value>,
) -> Vec<KeyValue> {
    let mut all = Vec::with_capacity(attributes.len() + 1);
    all.extend_from_slice(attributes);
    all.push(KeyValue::new(key, value));
    all
}
