//! One LLM call as one span: what was asked ([`GenAiRequest`]), what came back
//! ([`GenAiResponse`]), and the [`GenAiCall`] that turns both into a span and metrics.

use std::borrow::Cow;
use std::time::{Duration, Instant, SystemTime};

use opentelemetry::global::BoxedSpan;
use opentelemetry::trace::{SpanContext, SpanKind, Status, TraceContextExt, Tracer};
use opentelemetry::{Array, Context, KeyValue, StringValue, Value};

use super::instrumentation::GenAiInstrumentation;
use super::messages::{InputMessage, MessagePart, OutputMessage, to_json};
use super::metrics::CallObservation;
use super::semconv::{attr, bridge, finish_reason};

/// Sampling parameters of a request; only those present become attributes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestParameters {
    /// `gen_ai.request.max_tokens`.
    pub max_tokens: Option<i64>,
    /// `gen_ai.request.temperature`.
    pub temperature: Option<f64>,
    /// `gen_ai.request.top_p`.
    pub top_p: Option<f64>,
    /// `gen_ai.request.top_k`.
    pub top_k: Option<f64>,
    /// `gen_ai.request.frequency_penalty`.
    pub frequency_penalty: Option<f64>,
    /// `gen_ai.request.presence_penalty`.
    pub presence_penalty: Option<f64>,
    /// `gen_ai.request.stop_sequences`.
    pub stop_sequences: Vec<String>,
    /// `gen_ai.request.seed`.
    pub seed: Option<i64>,
    /// `gen_ai.request.choice.count` (recorded only when not 1).
    pub choice_count: Option<i64>,
}

/// What the caller asked for. Everything here is known before the request leaves.
#[derive(Debug, Clone, PartialEq)]
pub struct GenAiRequest {
    /// `gen_ai.operation.name` (see [`super::semconv::operation`]).
    pub operation: Cow<'static, str>,
    /// `gen_ai.provider.name` (see [`super::semconv::provider`]).
    pub provider: Cow<'static, str>,
    /// `gen_ai.request.model`, exactly as requested.
    pub model: Option<String>,
    /// `server.address`.
    pub server_address: Option<String>,
    /// `server.port`.
    pub server_port: Option<u16>,
    /// True for streaming requests (`gen_ai.request.stream`).
    pub stream: bool,
    /// Sampling parameters.
    pub parameters: RequestParameters,
    /// `gen_ai.output.type`.
    pub output_type: Option<String>,
    /// `gen_ai.conversation.id`.
    pub conversation_id: Option<String>,
    /// Provider-specific attributes (`openai.api.type`, `aws.bedrock.guardrail.id`, …).
    pub attributes: Vec<KeyValue>,
    /// Opt-in content: `gen_ai.system_instructions`.
    pub system_instructions: Vec<MessagePart>,
    /// Opt-in content: `gen_ai.input.messages`.
    pub input_messages: Vec<InputMessage>,
    /// Opt-in content: `gen_ai.tool.definitions`.
    pub tool_definitions: Option<serde_json::Value>,
}

impl GenAiRequest {
    /// A request for `operation` on `provider`, everything else empty.
    pub fn new(
        operation: impl Into<Cow<'static, str>>,
        provider: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            operation: operation.into(),
            provider: provider.into(),
            model: None,
            server_address: None,
            server_port: None,
            stream: false,
            parameters: RequestParameters::default(),
            output_type: None,
            conversation_id: None,
            attributes: Vec::new(),
            system_instructions: Vec::new(),
            input_messages: Vec::new(),
            tool_definitions: None,
        }
    }

    /// Sets the requested model.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// Sets `server.address` and `server.port`.
    pub fn server(mut self, address: impl Into<String>, port: Option<u16>) -> Self {
        self.server_address = Some(address.into());
        self.server_port = port;
        self
    }

    /// The span name: `"{operation} {model}"`, or the operation alone without a model.
    pub fn span_name(&self) -> String {
        match &self.model {
            Some(model) if !model.is_empty() => format!("{} {model}", self.operation),
            _ => self.operation.to_string(),
        }
    }
}

/// Token counts as the conventions define them: input includes cached tokens, output
/// includes reasoning tokens. Adapters convert provider counts into this shape.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenUsage {
    /// `gen_ai.usage.input_tokens` (cached included).
    pub input_tokens: Option<u64>,
    /// `gen_ai.usage.output_tokens` (reasoning included).
    pub output_tokens: Option<u64>,
    /// `gen_ai.usage.cache_read.input_tokens`.
    pub cache_read_input_tokens: Option<u64>,
    /// `gen_ai.usage.cache_creation.input_tokens`.
    pub cache_creation_input_tokens: Option<u64>,
    /// `gen_ai.usage.reasoning.output_tokens`.
    pub reasoning_output_tokens: Option<u64>,
}

impl TokenUsage {
    /// True when no count is known.
    pub fn is_empty(&self) -> bool {
        *self == TokenUsage::default()
    }

    /// Takes every count `other` knows, keeping ours where it knows none.
    pub fn merge(&mut self, other: TokenUsage) {
        fn take(mine: &mut Option<u64>, theirs: Option<u64>) {
            if theirs.is_some() {
                *mine = theirs;
            }
        }
        take(&mut self.input_tokens, other.input_tokens);
        take(&mut self.output_tokens, other.output_tokens);
        take(
            &mut self.cache_read_input_tokens,
            other.cache_read_input_tokens,
        );
        take(
            &mut self.cache_creation_input_tokens,
            other.cache_creation_input_tokens,
        );
        take(
            &mut self.reasoning_output_tokens,
            other.reasoning_output_tokens,
        );
    }
}

/// A cost reported by the provider or a proxy, which wins over the pricing table.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportedCost {
    /// Total USD.
    pub total: f64,
    /// USD for input, when reported.
    pub input: Option<f64>,
    /// USD for output, when reported.
    pub output: Option<f64>,
    /// `genai_telemetry.cost.source` value (see [`super::semconv::cost_source`]).
    pub source: &'static str,
}

/// What came back. Adapters may fill it in several steps (headers, body, stream end).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GenAiResponse {
    /// `gen_ai.response.id`.
    pub id: Option<String>,
    /// `gen_ai.response.model`.
    pub model: Option<String>,
    /// Finish reasons as the provider sent them, one per choice; normalised on record.
    pub finish_reasons: Vec<String>,
    /// Token usage.
    pub usage: TokenUsage,
    /// Cost reported by the provider or proxy.
    pub reported_cost: Option<ReportedCost>,
    /// The model to price the call with when it is neither the response nor the request
    /// model (a proxy's model alias resolved to a real model, e.g. LiteLLM's
    /// `x-litellm-model-name`). Tried first.
    pub pricing_model: Option<String>,
    /// Provider-specific attributes (`openai.response.system_fingerprint`, …).
    pub attributes: Vec<KeyValue>,
    /// Opt-in content: `gen_ai.output.messages`.
    pub output_messages: Vec<OutputMessage>,
}

impl GenAiResponse {
    /// Takes everything `other` knows, keeping ours where it knows nothing.
    pub fn merge(&mut self, other: GenAiResponse) {
        if other.id.is_some() {
            self.id = other.id;
        }
        if other.model.is_some() {
            self.model = other.model;
        }
        if !other.finish_reasons.is_empty() {
            self.finish_reasons = other.finish_reasons;
        }
        self.usage.merge(other.usage);
        if other.reported_cost.is_some() {
            self.reported_cost = other.reported_cost;
        }
        if other.pricing_model.is_some() {
            self.pricing_model = other.pricing_model;
        }
        self.attributes.extend(other.attributes);
        if !other.output_messages.is_empty() {
            self.output_messages = other.output_messages;
        }
    }
}

/// Maps a provider's finish reason onto the conventions' values; unknown values pass
/// through unchanged.
pub fn normalize_finish_reason(raw: &str) -> Cow<'_, str> {
    let mapped = match raw {
        "stop" | "end_turn" | "stop_sequence" | "COMPLETE" | "FINISH" | "endoftext" | "eos"
        | "completed" => finish_reason::STOP,
        "length"
        | "max_tokens"
        | "MAX_TOKENS"
        | "LENGTH"
        | "model_length"
        | "model_context_window_exceeded"
        | "max_output_tokens" => finish_reason::LENGTH,
        "tool_calls" | "function_call" | "tool_use" | "TOOL_CALL" | "tool_call" => {
            finish_reason::TOOL_CALL
        }
        "content_filter"
        | "content_filtered"
        | "CONTENT_FILTERED"
        | "guardrail_intervened"
        | "ERROR_TOXIC"
        | "refusal" => finish_reason::CONTENT_FILTER,
        "ERROR" | "error" | "failed" => finish_reason::ERROR,
        other => return Cow::Borrowed(other),
    };
    Cow::Borrowed(mapped)
}

/// An LLM call in flight: a CLIENT span started with the request attributes, ended with
/// the response (or error) attributes, usage, cost and metrics.
///
/// Dropping it without [`end`](GenAiCall::end) ends the span as cancelled
/// (`genai_telemetry.stream.cancelled = true`), which is what a stream dropped early
/// should look like. `GenAiCall` is `Send + Sync` and never blocks.
pub struct GenAiCall {
    state: Option<Box<CallState>>,
}

impl std::fmt::Debug for GenAiCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GenAiCall")
            .field("active", &self.state.is_some())
            .finish_non_exhaustive()
    }
}

struct CallState {
    instrumentation: GenAiInstrumentation,
    span: BoxedSpan,
    span_context: SpanContext,
    started: Instant,
    metric_attributes: Vec<KeyValue>,
    request_model: Option<String>,
    stream: bool,
    first_chunk: Option<Duration>,
    response: GenAiResponse,
    error: Option<(String, String)>,
}

impl GenAiCall {
    /// Starts the span. Called by [`GenAiInstrumentation::start_call`].
    pub(crate) fn start(
        instrumentation: &GenAiInstrumentation,
        request: GenAiRequest,
        started: Option<Instant>,
    ) -> Self {
        let started = started.unwrap_or_else(Instant::now);
        let start_time = SystemTime::now()
            .checked_sub(started.elapsed())
            .unwrap_or_else(SystemTime::now);
        let parent = super::parent::parent_context();
        let mut start_attributes = Vec::with_capacity(8 + request.attributes.len());
        start_attributes.push(KeyValue::new(
            attr::OPERATION_NAME,
            request.operation.to_string(),
        ));
        start_attributes.push(KeyValue::new(
            attr::PROVIDER_NAME,
            request.provider.to_string(),
        ));
        if let Some(model) = &request.model {
            start_attributes.push(KeyValue::new(attr::REQUEST_MODEL, model.clone()));
        }
        if let Some(address) = &request.server_address {
            start_attributes.push(KeyValue::new(attr::SERVER_ADDRESS, address.clone()));
        }
        if let Some(port) = request.server_port {
            start_attributes.push(KeyValue::new(attr::SERVER_PORT, i64::from(port)));
        }
        let metric_attributes = start_attributes.clone();
        if let Some(workflow) = super::workflow::current_workflow_name(&parent) {
            start_attributes.push(KeyValue::new(bridge::WORKFLOW_NAME, workflow));
        }
        push_parameters(&mut start_attributes, &request);
        start_attributes.extend(request.attributes.iter().cloned());

        let tracer = instrumentation.tracer();
        let mut span = tracer
            .span_builder(request.span_name())
            .with_kind(SpanKind::Client)
            .with_start_time(start_time)
            .with_attributes(start_attributes)
            .start_with_context(tracer, &parent);

        if instrumentation.capture_content() && opentelemetry::trace::Span::is_recording(&span) {
            use opentelemetry::trace::Span as _;
            if !request.system_instructions.is_empty()
                && let Some(json) = to_json(&request.system_instructions)
            {
                span.set_attribute(KeyValue::new(attr::SYSTEM_INSTRUCTIONS, json));
            }
            if !request.input_messages.is_empty()
                && let Some(json) = to_json(&request.input_messages)
            {
                span.set_attribute(KeyValue::new(attr::INPUT_MESSAGES, json));
            }
            if let Some(tools) = &request.tool_definitions
                && let Some(json) = to_json(tools)
            {
                span.set_attribute(KeyValue::new(attr::TOOL_DEFINITIONS, json));
            }
        }
        let span_context = opentelemetry::trace::Span::span_context(&span).clone();

        GenAiCall {
            state: Some(Box::new(CallState {
                instrumentation: instrumentation.clone(),
                span,
                span_context,
                started,
                metric_attributes,
                request_model: request.model,
                stream: request.stream,
                first_chunk: None,
                response: GenAiResponse::default(),
                error: None,
            })),
        }
    }

    /// The span's context (trace id, span id, flags), for propagation to the provider.
    pub fn span_context(&self) -> Option<&SpanContext> {
        self.state.as_ref().map(|s| &s.span_context)
    }

    /// A context holding this call's span as the (remote-style) current span, for
    /// propagators.
    pub fn context(&self) -> Context {
        match &self.state {
            Some(s) => Context::new().with_remote_span_context(s.span_context.clone()),
            None => Context::new(),
        }
    }

    /// Writes the W3C `traceparent` (and `tracestate` when non-empty) of this call's span
    /// into `headers`. Does nothing for an invalid span context.
    pub fn inject_traceparent(&self, headers: &mut http::HeaderMap) {
        let Some(sc) = self.span_context() else {
            return;
        };
        if !sc.is_valid() {
            return;
        }
        let traceparent = format!(
            "00-{}-{}-{:02x}",
            sc.trace_id(),
            sc.span_id(),
            sc.trace_flags().to_u8()
        );
        if let Ok(value) = http::HeaderValue::from_str(&traceparent) {
            headers.insert("traceparent", value);
        }
        let tracestate = sc.trace_state().header();
        if !tracestate.is_empty()
            && let Ok(value) = http::HeaderValue::from_str(&tracestate)
        {
            headers.insert("tracestate", value);
        }
    }

    /// True when the span records attributes (sampled); adapters may skip building
    /// content otherwise.
    pub fn is_recording(&self) -> bool {
        self.state
            .as_ref()
            .is_some_and(|s| opentelemetry::trace::Span::is_recording(&s.span))
    }

    /// True when content capture is on for this call.
    pub fn captures_content(&self) -> bool {
        self.state
            .as_ref()
            .is_some_and(|s| s.instrumentation.capture_content())
    }

    /// Notes the arrival of the first chunk of a stream (only the first call counts).
    pub fn record_first_chunk(&mut self) {
        if let Some(s) = &mut self.state
            && s.first_chunk.is_none()
        {
            s.first_chunk = Some(s.started.elapsed());
        }
    }

    /// Time to first chunk, once recorded.
    pub fn time_to_first_chunk(&self) -> Option<Duration> {
        self.state.as_ref().and_then(|s| s.first_chunk)
    }

    /// Merges what is known of the response so far.
    pub fn record_response(&mut self, response: GenAiResponse) {
        if let Some(s) = &mut self.state {
            s.response.merge(response);
        }
    }

    /// The response gathered so far.
    pub fn response_mut(&mut self) -> Option<&mut GenAiResponse> {
        self.state.as_mut().map(|s| &mut s.response)
    }

    /// Marks the call failed: `error.type` (the provider's error code, an exception-like
    /// name, or `_OTHER`) and ERROR status with `message`. The last error wins.
    pub fn record_error(&mut self, error_type: impl Into<String>, message: impl Into<String>) {
        if let Some(s) = &mut self.state {
            s.error = Some((error_type.into(), message.into()));
        }
    }

    /// True once an error was recorded.
    pub fn has_error(&self) -> bool {
        self.state.as_ref().is_some_and(|s| s.error.is_some())
    }

    /// Sets an extra attribute on the span right away.
    pub fn set_attribute(&mut self, attribute: KeyValue) {
        if let Some(s) = &mut self.state {
            opentelemetry::trace::Span::set_attribute(&mut s.span, attribute);
        }
    }

    /// Ends the span with everything recorded, and records the metrics.
    pub fn end(mut self) {
        self.finish(false);
    }

    /// Ends the span as cancelled by the caller (a stream dropped before its end).
    pub fn end_cancelled(mut self) {
        self.finish(true);
    }

    fn finish(&mut self, cancelled: bool) {
        let Some(state) = self.state.take() else {
            return;
        };
        let CallState {
            instrumentation,
            mut span,
            span_context: _,
            started,
            mut metric_attributes,
            request_model,
            stream,
            first_chunk,
            response,
            error,
        } = *state;
        let duration = started.elapsed();
        // What the server sent is untrusted: bound it before it reaches the span (and the
        // metric attributes).
        let mut response = response;
        bound_response(&mut response);
        let error = error.map(|(kind, message)| (bound_field(kind), bound_field(message)));
        use opentelemetry::trace::Span as _;
        let recording = span.is_recording();

        if let Some(model) = &response.model {
            metric_attributes.push(KeyValue::new(attr::RESPONSE_MODEL, model.clone()));
        }
        let cost = match &response.reported_cost {
            Some(reported) => Some(CostAttributes::from_reported(reported)),
            None => {
                let pricing = instrumentation.pricing();
                [
                    response.pricing_model.as_deref(),
                    response.model.as_deref(),
                    request_model.as_deref(),
                ]
                .into_iter()
                .flatten()
                .find_map(|m| pricing.cost(m, &response.usage))
                .map(|c| CostAttributes::from_breakdown(&c))
            }
        };

        if recording {
            let mut attributes = Vec::with_capacity(16);
            if let Some(id) = &response.id {
                attributes.push(KeyValue::new(attr::RESPONSE_ID, id.clone()));
            }
            if let Some(model) = &response.model {
                attributes.push(KeyValue::new(attr::RESPONSE_MODEL, model.clone()));
            }
            if !response.finish_reasons.is_empty() {
                let reasons: Vec<StringValue> = response
                    .finish_reasons
                    .iter()
                    .map(|r| StringValue::from(normalize_finish_reason(r).into_owned()))
                    .collect();
                attributes.push(KeyValue::new(
                    attr::RESPONSE_FINISH_REASONS,
                    Value::Array(Array::String(reasons)),
                ));
            }
            push_usage(&mut attributes, &response.usage);
            if stream && let Some(ttfc) = first_chunk {
                attributes.push(KeyValue::new(
                    attr::RESPONSE_TIME_TO_FIRST_CHUNK,
                    ttfc.as_secs_f64(),
                ));
            }
            if let Some(cost) = &cost {
                cost.push(&mut attributes);
            }
            attributes.extend(response.attributes.iter().cloned());
            if cancelled {
                attributes.push(KeyValue::new(bridge::STREAM_CANCELLED, true));
            }
            if instrumentation.capture_content()
                && !response.output_messages.is_empty()
                && let Some(json) = to_json(&response.output_messages)
            {
                attributes.push(KeyValue::new(attr::OUTPUT_MESSAGES, json));
            }
            if let Some((error_type, _)) = &error {
                attributes.push(KeyValue::new(attr::ERROR_TYPE, error_type.clone()));
            }
            span.set_attributes(attributes);
        }
        if let Some((_, message)) = &error {
            span.set_status(Status::error(message.clone()));
        }
        span.end();

        if let Some(metrics) = instrumentation.metrics() {
            metrics.record(&CallObservation {
                attributes: &metric_attributes,
                duration: duration.as_secs_f64(),
                time_to_first_chunk: if stream {
                    first_chunk.map(|d| d.as_secs_f64())
                } else {
                    None
                },
                input_tokens: response.usage.input_tokens,
                output_tokens: response.usage.output_tokens,
                error_type: error.as_ref().map(|(t, _)| t.as_str()),
            });
        }
    }
}

impl Drop for GenAiCall {
    fn drop(&mut self) {
        self.finish(true);
    }
}

/// Longest string a response field (id, model, finish reason, provider attribute, error
/// type or message) keeps on the span: the destinations' default attribute bound.
const MAX_RESPONSE_FIELD: usize = crate::content::DEFAULT_MAX_ATTRIBUTE_LENGTH;
/// Most finish reasons kept (one per choice; a hostile server may send millions).
const MAX_FINISH_REASONS: usize = 128;

fn bound_field(s: String) -> String {
    if s.len() <= MAX_RESPONSE_FIELD {
        s
    } else {
        crate::content::bounded(&s, MAX_RESPONSE_FIELD)
    }
}

/// Bounds every string field of a response that is not captured content (content has
/// its own per-destination policy and bound, applied by the views).
fn bound_response(response: &mut GenAiResponse) {
    response.id = response.id.take().map(bound_field);
    response.model = response.model.take().map(bound_field);
    response.pricing_model = response.pricing_model.take().map(bound_field);
    response.finish_reasons.truncate(MAX_FINISH_REASONS);
    for reason in &mut response.finish_reasons {
        *reason = bound_field(std::mem::take(reason));
    }
    for kv in &mut response.attributes {
        if let Value::String(s) = &kv.value
            && s.as_str().len() > MAX_RESPONSE_FIELD
        {
            kv.value =
                Value::String(crate::content::bounded(s.as_str(), MAX_RESPONSE_FIELD).into());
        }
    }
}

fn push_parameters(attributes: &mut Vec<KeyValue>, request: &GenAiRequest) {
    let p = &request.parameters;
    if let Some(v) = p.max_tokens {
        attributes.push(KeyValue::new(attr::REQUEST_MAX_TOKENS, v));
    }
    if let Some(v) = p.temperature {
        attributes.push(KeyValue::new(attr::REQUEST_TEMPERATURE, v));
    }
    if let Some(v) = p.top_p {
        attributes.push(KeyValue::new(attr::REQUEST_TOP_P, v));
    }
    if let Some(v) = p.top_k {
        attributes.push(KeyValue::new(attr::REQUEST_TOP_K, v));
    }
    if let Some(v) = p.frequency_penalty {
        attributes.push(KeyValue::new(attr::REQUEST_FREQUENCY_PENALTY, v));
    }
    if let Some(v) = p.presence_penalty {
        attributes.push(KeyValue::new(attr::REQUEST_PRESENCE_PENALTY, v));
    }
    if !p.stop_sequences.is_empty() {
        let values: Vec<StringValue> = p
            .stop_sequences
            .iter()
            .map(|s| StringValue::from(s.clone()))
            .collect();
        attributes.push(KeyValue::new(
            attr::REQUEST_STOP_SEQUENCES,
            Value::Array(Array::String(values)),
        ));
    }
    if let Some(v) = p.seed {
        attributes.push(KeyValue::new(attr::REQUEST_SEED, v));
    }
    if let Some(n) = p.choice_count
        && n != 1
    {
        attributes.push(KeyValue::new(attr::REQUEST_CHOICE_COUNT, n));
    }
    if request.stream {
        attributes.push(KeyValue::new(attr::REQUEST_STREAM, true));
    }
    if let Some(v) = &request.output_type {
        attributes.push(KeyValue::new(attr::OUTPUT_TYPE, v.clone()));
    }
    if let Some(v) = &request.conversation_id {
        attributes.push(KeyValue::new(attr::CONVERSATION_ID, v.clone()));
    }
}

fn push_usage(attributes: &mut Vec<KeyValue>, usage: &TokenUsage) {
    let pairs = [
        (attr::USAGE_INPUT_TOKENS, usage.input_tokens),
        (attr::USAGE_OUTPUT_TOKENS, usage.output_tokens),
        (
            attr::USAGE_CACHE_READ_INPUT_TOKENS,
            usage.cache_read_input_tokens,
        ),
        (
            attr::USAGE_CACHE_CREATION_INPUT_TOKENS,
            usage.cache_creation_input_tokens,
        ),
        (
            attr::USAGE_REASONING_OUTPUT_TOKENS,
            usage.reasoning_output_tokens,
        ),
    ];
    for (key, value) in pairs {
        if let Some(v) = value {
            attributes.push(KeyValue::new(key, i64::try_from(v).unwrap_or(i64::MAX)));
        }
    }
}

/// The cost attributes of one call.
struct CostAttributes {
    total: f64,
    parts: Vec<(&'static str, f64)>,
    source: &'static str,
    matched_model: Option<String>,
}

impl CostAttributes {
    fn from_reported(reported: &ReportedCost) -> Self {
        let mut parts = Vec::new();
        if let Some(v) = reported.input {
            parts.push((bridge::COST_INPUT, v));
        }
        if let Some(v) = reported.output {
            parts.push((bridge::COST_OUTPUT, v));
        }
        Self {
            total: reported.total,
            parts,
            source: reported.source,
            matched_model: None,
        }
    }

    fn from_breakdown(c: &super::pricing::CostBreakdown) -> Self {
        Self {
            total: c.total,
            parts: vec![
                (bridge::COST_INPUT, c.input),
                (bridge::COST_OUTPUT, c.output),
                (bridge::COST_CACHE_READ, c.cache_read),
                (bridge::COST_CACHE_CREATION, c.cache_creation),
            ],
            source: c.origin.as_str(),
            matched_model: Some(c.matched_model.clone()),
        }
    }

    fn push(&self, attributes: &mut Vec<KeyValue>) {
        attributes.push(KeyValue::new(bridge::COST_TOTAL, self.total));
        for (key, value) in &self.parts {
            attributes.push(KeyValue::new(*key, *value));
        }
        attributes.push(KeyValue::new(bridge::COST_SOURCE, self.source));
        if let Some(model) = &self.matched_model {
            attributes.push(KeyValue::new(bridge::PRICING_MODEL, model.clone()));
        }
    }
}
