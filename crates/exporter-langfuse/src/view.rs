//! The Langfuse view: rewrites the neutral GenAI spans (OpenTelemetry semconv v1.41) into the
//! attributes Langfuse's OTLP ingestion reads, applied once per batch at export time.
//!
//! What it does to each span, in order (the reasons are in `docs/destinations.md`):
//!
//! 1. types the observation (`langfuse.observation.type`): `chat` / `text_completion` /
//!    `generate_content` → `generation`, `embeddings` → `embedding`, `invoke_agent` /
//!    `create_agent` → `agent`, `execute_tool` → `tool`, `invoke_workflow` → `chain`,
//!    `retrieval` → `retriever` (workflow / agent / tool span kinds too);
//! 2. copies the trace-level keys found on any span of the trace (user, session, trace
//!    name, tags, metadata, environment, release, version) onto every span of the trace,
//!    remembering them per trace id so spans in later batches get them as well;
//! 3. moves `gen_ai.input.messages` (with `gen_ai.system_instructions` in front) and
//!    `gen_ai.output.messages`, or a tool call's arguments and result, to
//!    `langfuse.observation.input` / `output`, and strips the OpenLLMetry / Traceloop
//!    content keys that would otherwise shadow them;
//! 4. keeps token usage as non-negative integer `gen_ai.usage.*` attributes Langfuse
//!    reads without double counting, and removes usage and cost from agent spans;
//! 5. gathers cost into `langfuse.observation.cost_details` (JSON);
//! 6. turns `gen_ai.response.time_to_first_chunk` into
//!    `langfuse.observation.completion_start_time` (ISO-8601);
//! 7. gathers `gen_ai.request.*` parameters into `langfuse.observation.model.parameters`;
//! 8. keeps a prompt name only with an integer version (and on generations only);
//! 9. renames attributes called plainly `input`, `output`, `model`, `prompt`, `events`,
//!    `tool_arguments`, `tool_response` to observation metadata, and sends maps as JSON;
//! 10. applies the destination's content policy and attribute bound, and drops any
//!     attribute without a value.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, UNIX_EPOCH};

use genai_telemetry_core::content::{ContentSettings, any_value_to_json, otlp};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::Span;

use crate::trace_attributes::{
    self, DEFAULT_TRACE_CACHE_CAPACITY, REPLACED_ALIASES, TRACE_METADATA, TraceAttributeCache,
    TraceAttributes,
};

/// `langfuse.observation.type`.
pub const OBSERVATION_TYPE: &str = "langfuse.observation.type";
/// `langfuse.observation.input`.
pub const OBSERVATION_INPUT: &str = "langfuse.observation.input";
/// `langfuse.observation.output`.
pub const OBSERVATION_OUTPUT: &str = "langfuse.observation.output";
/// `langfuse.observation.cost_details`.
pub const OBSERVATION_COST_DETAILS: &str = "langfuse.observation.cost_details";
/// `langfuse.observation.usage_details`.
pub const OBSERVATION_USAGE_DETAILS: &str = "langfuse.observation.usage_details";
/// `langfuse.observation.completion_start_time`.
pub const OBSERVATION_COMPLETION_START_TIME: &str = "langfuse.observation.completion_start_time";
/// `langfuse.observation.model.parameters`.
pub const OBSERVATION_MODEL_PARAMETERS: &str = "langfuse.observation.model.parameters";
/// `langfuse.observation.prompt.name`.
pub const OBSERVATION_PROMPT_NAME: &str = "langfuse.observation.prompt.name";
/// `langfuse.observation.prompt.version`.
pub const OBSERVATION_PROMPT_VERSION: &str = "langfuse.observation.prompt.version";
/// Prefix of observation metadata keys.
pub const OBSERVATION_METADATA_PREFIX: &str = "langfuse.observation.metadata.";

/// The token usage keys sent to Langfuse (integers, never negative). Langfuse subtracts
/// cache reads and writes from `input_tokens` and reasoning from `output_tokens`, which
/// is right because semconv counts them in.
pub const USAGE_ATTRIBUTES: &[&str] = &[
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.cache_creation.input_tokens",
    "gen_ai.usage.reasoning.output_tokens",
    "gen_ai.usage.total_tokens",
];

/// Older usage keys, renamed to their semconv v1.41 form when that is absent.
const LEGACY_USAGE: &[(&str, &str)] = &[
    ("gen_ai.usage.prompt_tokens", "gen_ai.usage.input_tokens"),
    (
        "gen_ai.usage.completion_tokens",
        "gen_ai.usage.output_tokens",
    ),
    (
        "gen_ai.usage.cache_read_input_tokens",
        "gen_ai.usage.cache_read.input_tokens",
    ),
    (
        "gen_ai.usage.cache_creation_input_tokens",
        "gen_ai.usage.cache_creation.input_tokens",
    ),
    (
        "gen_ai.usage.cache_write.input_tokens",
        "gen_ai.usage.cache_creation.input_tokens",
    ),
    (
        "gen_ai.usage.reasoning_tokens",
        "gen_ai.usage.reasoning.output_tokens",
    ),
];

/// Cost attributes the instrumentation may set (USD), and the `cost_details` entry each
/// feeds (named like the usage types Langfuse derives, so its cost view lines up with
/// usage). They are consumed; the first key of an entry wins. A stray `gen_ai.usage.*`
/// cost key would otherwise be summed into the token totals by Langfuse.
pub const COST_ATTRIBUTES: &[(&str, &str)] = &[
    ("gen_ai.usage.cost", "total"),
    ("gen_ai.usage.cost.total", "total"),
    ("genai_telemetry.cost.input", "input"),
    ("gen_ai.usage.cost.input", "input"),
    ("genai_telemetry.cost.output", "output"),
    ("gen_ai.usage.cost.output", "output"),
    ("genai_telemetry.cost.cache_read", "input_cached_tokens"),
    (
        "genai_telemetry.cost.cache_creation",
        "input_cache_creation",
    ),
];

/// Prompt name and version keys, in priority order.
const PROMPT_NAME_KEYS: &[&str] = &[
    OBSERVATION_PROMPT_NAME,
    "langfuse.prompt.name",
    "gen_ai.prompt.name",
];
const PROMPT_VERSION_KEYS: &[&str] = &[
    OBSERVATION_PROMPT_VERSION,
    "langfuse.prompt.version",
    "gen_ai.prompt.version",
];

/// Generic attribute names Langfuse would read as input, output, model or events.
const GENERIC_NAMES: &[&str] = &[
    "input",
    "output",
    "model",
    "prompt",
    "events",
    "tool_arguments",
    "tool_response",
];

/// Observation types Langfuse accepts in `langfuse.observation.type`.
const OBSERVATION_TYPES: &[&str] = &[
    "span",
    "generation",
    "event",
    "embedding",
    "agent",
    "tool",
    "chain",
    "retriever",
    "guardrail",
    "evaluator",
];

/// Rewrites OTLP requests into what Langfuse reads. Cheap to share; the only state is the
/// bounded per-trace cache of trace-level attributes.
#[derive(Debug)]
pub struct LangfuseView {
    content: ContentSettings,
    trace_cache: Mutex<TraceAttributeCache>,
}

impl LangfuseView {
    /// A view with this content policy, remembering the trace-level attributes of up to
    /// 4096 traces.
    pub fn new(content: ContentSettings) -> Self {
        Self::with_trace_cache_capacity(content, DEFAULT_TRACE_CACHE_CAPACITY)
    }

    /// A view remembering the trace-level attributes of up to `traces` traces (0: only
    /// within a batch).
    pub fn with_trace_cache_capacity(content: ContentSettings, traces: usize) -> Self {
        Self {
            content,
            trace_cache: Mutex::new(TraceAttributeCache::new(traces)),
        }
    }

    /// The content policy and attribute bound this view applies.
    pub fn content(&self) -> &ContentSettings {
        &self.content
    }

    /// Rewrites every span of the request (see the module documentation).
    pub fn apply(&self, request: &mut ExportTraceServiceRequest) {
        let per_trace = self.trace_attributes(request);
        for resource_spans in &mut request.resource_spans {
            if let Some(resource) = resource_spans.resource.as_mut() {
                otlp::structured_to_json(&mut resource.attributes);
                self.content.apply(&mut resource.attributes);
            }
            for scope_spans in &mut resource_spans.scope_spans {
                for span in &mut scope_spans.spans {
                    let trace = trace_id(span).and_then(|id| per_trace.get(&id));
                    self.map_span(span, trace);
                }
            }
        }
    }

    /// Trace-level attributes per trace: what this batch carries, merged with what
    /// earlier batches carried (the batch wins).
    fn trace_attributes(
        &self,
        request: &ExportTraceServiceRequest,
    ) -> HashMap<[u8; 16], TraceAttributes> {
        let mut found: HashMap<[u8; 16], TraceAttributes> = HashMap::new();
        for span in request
            .resource_spans
            .iter()
            .flat_map(|r| &r.scope_spans)
            .flat_map(|s| &s.spans)
        {
            if let Some(id) = trace_id(span) {
                found
                    .entry(id)
                    .or_default()
                    .extend(trace_attributes::read(&span.attributes));
            }
        }
        let mut cache = match self.trace_cache.lock() {
            Ok(cache) => cache,
            Err(poisoned) => poisoned.into_inner(),
        };
        found
            .into_iter()
            .map(|(id, attrs)| (id, cache.merge(id, attrs)))
            .collect()
    }

    fn map_span(&self, span: &mut Span, trace: Option<&TraceAttributes>) {
        let start_time_unix_nano = span.start_time_unix_nano;
        let attrs = &mut span.attributes;
        attrs.retain(|kv| kv.value.as_ref().is_some_and(|v| v.value.is_some()));

        let operation = otlp::get_str(attrs, "gen_ai.operation.name").map(str::to_owned);
        let observation = observation_type(attrs, operation.as_deref());
        match &observation {
            Some(t) => otlp::set(attrs, OBSERVATION_TYPE, otlp::string(t.as_str())),
            None => {
                otlp::take(attrs, OBSERVATION_TYPE);
            }
        }
        let is_agent = observation.as_deref() == Some("agent")
            || matches!(
                operation.as_deref(),
                Some("invoke_agent" | "create_agent" | "agent_step")
            );

        copy_trace_attributes(attrs, trace);
        move_input_output(attrs);
        map_usage(attrs, is_agent);
        map_cost(attrs, is_agent);
        completion_start_time(attrs, start_time_unix_nano);
        model_parameters(attrs);
        prompt_reference(attrs, observation.as_deref() == Some("generation"));
        otlp::structured_to_json(attrs);
        self.rename_generic_names(attrs);
        self.content.apply(attrs);

        for event in &mut span.events {
            otlp::structured_to_json(&mut event.attributes);
            self.content
                .apply_to_event(&event.name, &mut event.attributes);
        }
        for link in &mut span.links {
            self.content.apply(&mut link.attributes);
        }
    }

    /// `input`, `output`, `model`, ... hijack Langfuse's input, output and model
    /// detection; they are kept as observation metadata instead (content ones under
    /// the content policy).
    fn rename_generic_names(&self, attrs: &mut Vec<KeyValue>) {
        for name in GENERIC_NAMES {
            let Some(value) = otlp::take(attrs, name) else {
                continue;
            };
            let value = if matches!(
                *name,
                "input" | "output" | "prompt" | "tool_arguments" | "tool_response"
            ) {
                self.content
                    .apply_to_content(opentelemetry_proto::tonic::common::v1::AnyValue {
                        value: Some(value),
                    })
                    .and_then(|v| v.value)
            } else {
                Some(value)
            };
            if let Some(value) = value {
                otlp::set(
                    attrs,
                    &format!("{OBSERVATION_METADATA_PREFIX}{name}"),
                    value,
                );
            }
        }
    }
}

fn trace_id(span: &Span) -> Option<[u8; 16]> {
    span.trace_id.as_slice().try_into().ok()
}

/// The observation type: an explicit valid `langfuse.observation.type`, else derived
/// from the operation name, else from a Traceloop span kind.
fn observation_type(attrs: &[KeyValue], operation: Option<&str>) -> Option<String> {
    if let Some(explicit) = otlp::get_str(attrs, OBSERVATION_TYPE) {
        let lower = explicit.trim().to_ascii_lowercase();
        if OBSERVATION_TYPES.contains(&lower.as_str()) {
            return Some(lower);
        }
    }
    let derived = match operation {
        Some("chat" | "text_completion" | "generate_content" | "completion" | "generate") => {
            Some("generation")
        }
        Some("embeddings") => Some("embedding"),
        Some("invoke_agent" | "create_agent") => Some("agent"),
        Some("execute_tool") => Some("tool"),
        Some("invoke_workflow") => Some("chain"),
        Some("retrieval") => Some("retriever"),
        _ => match otlp::get_str(attrs, "genai_telemetry.span.kind")
            .or_else(|| otlp::get_str(attrs, "traceloop.span.kind"))
        {
            Some("workflow") => Some("chain"),
            Some("agent") => Some("agent"),
            Some("tool") => Some("tool"),
            _ => None,
        },
    };
    derived.map(str::to_owned)
}

fn copy_trace_attributes(attrs: &mut Vec<KeyValue>, trace: Option<&TraceAttributes>) {
    otlp::remove_where(attrs, |k| {
        REPLACED_ALIASES.contains(&k) || k == TRACE_METADATA
    });
    if let Some(trace) = trace {
        for (key, value) in trace {
            otlp::set(attrs, key, value.clone());
        }
    }
}

fn text_of(value: Value) -> String {
    match value {
        Value::StringValue(s) => s,
        other => any_value_to_json(Some(&opentelemetry_proto::tonic::common::v1::AnyValue {
            value: Some(other),
        }))
        .to_string(),
    }
}

/// The semconv input as Langfuse shows it: the system instructions as a leading system
/// message, then the input messages.
fn combined_input(system: Option<Value>, messages: Option<Value>) -> Option<String> {
    let messages = messages.map(text_of);
    let Some(system) = system.map(text_of) else {
        return messages;
    };
    let parts = serde_json::from_str::<serde_json::Value>(&system)
        .ok()
        .filter(serde_json::Value::is_array)
        .unwrap_or_else(|| serde_json::json!([{"type": "text", "content": system}]));
    let system_message = serde_json::json!({"role": "system", "parts": parts});
    match messages {
        None => Some(serde_json::Value::Array(vec![system_message]).to_string()),
        Some(text) => match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::Array(mut list)) => {
                list.insert(0, system_message);
                Some(serde_json::Value::Array(list).to_string())
            }
            _ => Some(text),
        },
    }
}

fn move_input_output(attrs: &mut Vec<KeyValue>) {
    let system = otlp::take(attrs, "gen_ai.system_instructions");
    let messages = otlp::take(attrs, "gen_ai.input.messages");
    let output = otlp::take(attrs, "gen_ai.output.messages");
    let arguments = otlp::take(attrs, "gen_ai.tool.call.arguments");
    let result = otlp::take(attrs, "gen_ai.tool.call.result");
    let semconv = system.is_some()
        || messages.is_some()
        || output.is_some()
        || arguments.is_some()
        || result.is_some();

    let input = combined_input(system, messages).or_else(|| arguments.map(text_of));
    let output = output.or(result).map(text_of);
    let entity_input = otlp::take(attrs, "traceloop.entity.input");
    let entity_output = otlp::take(attrs, "traceloop.entity.output");
    let input = input.or_else(|| entity_input.map(text_of));
    let output = output.or_else(|| entity_output.map(text_of));
    if let Some(input) = input {
        otlp::set_if_absent(attrs, OBSERVATION_INPUT, otlp::string(input));
    }
    if let Some(output) = output {
        otlp::set_if_absent(attrs, OBSERVATION_OUTPUT, otlp::string(output));
    }
    if semconv || otlp::get(attrs, OBSERVATION_INPUT).is_some() {
        // Flattened OpenLLMetry content (gen_ai.prompt.{i}.*, gen_ai.completion.{i}.*)
        // is read by Langfuse before the semconv keys: it must not compete with them.
        otlp::remove_where(attrs, |k| {
            k == "gen_ai.prompt"
                || k == "gen_ai.completion"
                || indexed(k, "gen_ai.prompt.")
                || indexed(k, "gen_ai.completion.")
                || k.starts_with("llm.input_messages.")
                || k.starts_with("llm.output_messages.")
        });
    }
}

/// `prefix` followed by a numeric segment (`gen_ai.prompt.0.content`).
fn indexed(key: &str, prefix: &str) -> bool {
    key.strip_prefix(prefix)
        .and_then(|rest| rest.split('.').next())
        .is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
}

fn is_cost_key(key: &str) -> bool {
    COST_ATTRIBUTES.iter().any(|(k, _)| *k == key)
}

fn map_usage(attrs: &mut Vec<KeyValue>, is_agent: bool) {
    if is_agent {
        // Langfuse strips usage from agent spans anyway; the LLM spans below carry it,
        // and counting it here too would double the trace's tokens.
        otlp::remove_where(attrs, |k| {
            (k.starts_with("gen_ai.usage.") && !is_cost_key(k))
                || k.starts_with("llm.usage.")
                || k.starts_with("llm.token_count.")
                || k == OBSERVATION_USAGE_DETAILS
        });
        return;
    }
    for (legacy, current) in LEGACY_USAGE {
        if let Some(value) = otlp::take(attrs, legacy) {
            otlp::set_if_absent(attrs, current, value);
        }
    }
    for key in USAGE_ATTRIBUTES {
        let Some(value) = otlp::get(attrs, key) else {
            continue;
        };
        match otlp::value_as_i64(value).filter(|n| *n >= 0) {
            Some(n) => otlp::set(attrs, key, Value::IntValue(n)),
            None => {
                otlp::take(attrs, key);
            }
        }
    }
    // Any other gen_ai.usage.* key would be added to the totals by Langfuse.
    otlp::remove_where(attrs, |k| {
        (k.starts_with("gen_ai.usage.") && !USAGE_ATTRIBUTES.contains(&k) && !is_cost_key(k))
            || k.starts_with("llm.usage.")
            || k.starts_with("llm.token_count.")
    });
}

fn map_cost(attrs: &mut Vec<KeyValue>, is_agent: bool) {
    let mut details: std::collections::BTreeMap<&str, f64> = std::collections::BTreeMap::new();
    for (key, entry) in COST_ATTRIBUTES {
        let Some(value) = otlp::take(attrs, key) else {
            continue;
        };
        if let Some(usd) = otlp::value_as_f64(&value).filter(|v| *v >= 0.0) {
            details.entry(entry).or_insert(usd);
        }
    }
    if is_agent {
        otlp::take(attrs, OBSERVATION_COST_DETAILS);
        return;
    }
    if otlp::get(attrs, OBSERVATION_COST_DETAILS).is_some() || details.is_empty() {
        return;
    }
    if !details.contains_key("total") {
        let sum = details.values().sum();
        details.insert("total", sum);
    }
    let map: serde_json::Map<String, serde_json::Value> = details
        .into_iter()
        .filter_map(|(k, v)| {
            serde_json::Number::from_f64(v).map(|n| (k.to_owned(), serde_json::Value::Number(n)))
        })
        .collect();
    otlp::set(
        attrs,
        OBSERVATION_COST_DETAILS,
        otlp::string(serde_json::Value::Object(map).to_string()),
    );
}

fn completion_start_time(attrs: &mut Vec<KeyValue>, start_time_unix_nano: u64) {
    if otlp::get(attrs, OBSERVATION_COMPLETION_START_TIME).is_some() || start_time_unix_nano == 0 {
        return;
    }
    let Some(seconds) = otlp::get_f64(attrs, "gen_ai.response.time_to_first_chunk")
        .filter(|s| *s >= 0.0 && *s < 86_400.0)
    else {
        return;
    };
    let at =
        UNIX_EPOCH + Duration::from_nanos(start_time_unix_nano) + Duration::from_secs_f64(seconds);
    otlp::set(
        attrs,
        OBSERVATION_COMPLETION_START_TIME,
        otlp::string(humantime::format_rfc3339_micros(at).to_string()),
    );
}

fn model_parameters(attrs: &mut Vec<KeyValue>) {
    if otlp::get(attrs, OBSERVATION_MODEL_PARAMETERS).is_some() {
        return;
    }
    let parameters: serde_json::Map<String, serde_json::Value> = attrs
        .iter()
        .filter_map(|kv| {
            let name = kv.key.strip_prefix("gen_ai.request.")?;
            (name != "model").then(|| (name.to_owned(), any_value_to_json(kv.value.as_ref())))
        })
        .filter(|(_, v)| !v.is_null())
        .collect();
    if !parameters.is_empty() {
        otlp::set(
            attrs,
            OBSERVATION_MODEL_PARAMETERS,
            otlp::string(serde_json::Value::Object(parameters).to_string()),
        );
    }
}

/// Langfuse links a prompt only with a name *and* an integer version, and only on
/// generations; anything less makes the observation fail validation on older servers.
fn prompt_reference(attrs: &mut Vec<KeyValue>, is_generation: bool) {
    let name = PROMPT_NAME_KEYS
        .iter()
        .find_map(|k| otlp::get_str(attrs, k))
        .map(str::to_owned);
    let version = PROMPT_VERSION_KEYS
        .iter()
        .find_map(|k| otlp::get(attrs, k).and_then(otlp::value_as_i64));
    otlp::remove_where(attrs, |k| {
        PROMPT_NAME_KEYS.contains(&k) || PROMPT_VERSION_KEYS.contains(&k)
    });
    if let (true, Some(name), Some(version)) = (is_generation, name, version) {
        otlp::set(attrs, OBSERVATION_PROMPT_NAME, otlp::string(name));
        otlp::set(attrs, OBSERVATION_PROMPT_VERSION, Value::IntValue(version));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use genai_telemetry_core::content::ContentPolicy;
    use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValueList};
    use opentelemetry_proto::tonic::resource::v1::Resource;
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans};

    use super::*;

    fn request(attributes: Vec<KeyValue>) -> ExportTraceServiceRequest {
        ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: Some(Resource::default()),
                scope_spans: vec![ScopeSpans {
                    spans: vec![Span {
                        trace_id: vec![1; 16],
                        span_id: vec![2; 8],
                        start_time_unix_nano: 1_700_000_000_000_000_000,
                        attributes,
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                schema_url: String::new(),
            }],
        }
    }

    fn view() -> LangfuseView {
        LangfuseView::new(ContentSettings::new(ContentPolicy::Full))
    }

    fn attrs(request: &ExportTraceServiceRequest) -> &[KeyValue] {
        &request.resource_spans[0].scope_spans[0].spans[0].attributes
    }

    #[test]
    fn maps_are_sent_as_json_strings() {
        let map = Value::KvlistValue(KeyValueList {
            values: vec![otlp::kv("team", otlp::string("sales"))],
        });
        let mut req = request(vec![otlp::kv("app.context", map)]);
        view().apply(&mut req);
        assert_eq!(
            otlp::get_str(attrs(&req), "app.context"),
            Some(r#"{"team":"sales"}"#)
        );
    }

    #[test]
    fn an_invalid_explicit_type_is_replaced_by_the_derived_one() {
        let mut req = request(vec![
            otlp::kv(OBSERVATION_TYPE, otlp::string("LLM")),
            otlp::kv("gen_ai.operation.name", otlp::string("chat")),
        ]);
        view().apply(&mut req);
        assert_eq!(
            otlp::get_str(attrs(&req), OBSERVATION_TYPE),
            Some("generation")
        );
    }

    #[test]
    fn workflow_span_kinds_become_chains_and_the_workflow_name_the_trace_name() {
        let mut req = request(vec![
            otlp::kv("genai_telemetry.span.kind", otlp::string("workflow")),
            otlp::kv("genai_telemetry.workflow.name", otlp::string("onboarding")),
        ]);
        view().apply(&mut req);
        assert_eq!(otlp::get_str(attrs(&req), OBSERVATION_TYPE), Some("chain"));
        assert_eq!(
            otlp::get_str(attrs(&req), "langfuse.trace.name"),
            Some("onboarding")
        );
    }

    #[test]
    fn negative_or_fractional_token_counts_are_not_sent() {
        let mut req = request(vec![
            otlp::kv("gen_ai.operation.name", otlp::string("chat")),
            otlp::kv("gen_ai.usage.input_tokens", Value::IntValue(-1)),
            otlp::kv("gen_ai.usage.output_tokens", Value::DoubleValue(2.5)),
            otlp::kv("gen_ai.usage.total_tokens", otlp::string("12")),
        ]);
        view().apply(&mut req);
        let a = attrs(&req);
        assert!(otlp::get(a, "gen_ai.usage.input_tokens").is_none());
        assert!(otlp::get(a, "gen_ai.usage.output_tokens").is_none());
        assert_eq!(
            otlp::get(a, "gen_ai.usage.total_tokens"),
            Some(&Value::IntValue(12))
        );
    }

    #[test]
    fn attributes_without_value_are_never_sent() {
        let mut req = request(vec![
            KeyValue {
                key: "empty".into(),
                value: None,
                key_strindex: 0,
            },
            KeyValue {
                key: "empty_any".into(),
                value: Some(AnyValue { value: None }),
                key_strindex: 0,
            },
        ]);
        view().apply(&mut req);
        assert!(attrs(&req).is_empty());
    }
}
