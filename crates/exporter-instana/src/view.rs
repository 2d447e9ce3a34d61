//! The Instana view: keeps the OpenTelemetry semconv v1.41 GenAI attributes and adds the
//! OpenLLMetry-compatible keys Instana's GenAI views are built on; content is dropped by default.
//!
//! Added to each span, when the source is there and the key is not set already:
//!
//! | key | from |
//! |---|---|
//! | `gen_ai.system` | `gen_ai.provider.name` |
//! | `llm.request.type` | `gen_ai.operation.name`: `chat` → `chat`, `text_completion` / `generate_content` → `completion`, `embeddings` → `embedding` |
//! | `llm.usage.total_tokens`, `gen_ai.usage.total_tokens` | input + output tokens |
//! | `llm.is_streaming` | `gen_ai.request.stream` |
//! | `traceloop.span.kind` | `genai_telemetry.span.kind`, else `invoke_agent` → `agent`, `execute_tool` → `tool`, `invoke_workflow` → `workflow` |
//! | `traceloop.entity.name` | `genai_telemetry.entity.name`, else the agent's or tool's name |
//! | `traceloop.workflow.name` | `genai_telemetry.workflow.name` of the span, or of another span of its trace in the batch |
//! | `gen_ai.prompt.{i}.role/content`, `gen_ai.completion.{i}.role/content/finish_reason` | the semconv messages, only when the content policy lets content through |
//!
//! The resource gets `deployment.environment` next to `deployment.environment.name`. The
//! content policy (default `drop`) and the attribute bound are applied last.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use genai_telemetry_core::content::{ContentPolicy, ContentSettings, any_value_to_json, otlp};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::Span;

/// Resource attributes any one of which identifies the host to Instana (otherwise the
/// `x-instana-host` header must).
pub const HOST_IDENTIFYING_RESOURCE_ATTRIBUTES: &[&str] = &["host.id", "faas.id", "device.id"];

/// Adds the OpenLLMetry-compatible keys and applies the content policy. Cheap to share.
#[derive(Debug)]
pub struct InstanaView {
    content: ContentSettings,
    resource_identifies_host: AtomicBool,
}

impl InstanaView {
    /// A view with this content policy and attribute bound.
    pub fn new(content: ContentSettings) -> Self {
        Self {
            content,
            resource_identifies_host: AtomicBool::new(false),
        }
    }

    /// The content policy and attribute bound this view applies.
    pub fn content(&self) -> &ContentSettings {
        &self.content
    }

    /// Whether the last request's resource carried `host.id`, `faas.id` or `device.id`
    /// (then no `x-instana-host` header is needed).
    pub fn resource_identifies_host(&self) -> bool {
        self.resource_identifies_host.load(Ordering::Relaxed)
    }

    /// Rewrites every span of the request (see the module documentation).
    pub fn apply(&self, request: &mut ExportTraceServiceRequest) {
        let workflows = workflow_names(request);
        let mut identifies_host = false;
        for resource_spans in &mut request.resource_spans {
            if let Some(resource) = resource_spans.resource.as_mut() {
                let attrs = &mut resource.attributes;
                identifies_host |= HOST_IDENTIFYING_RESOURCE_ATTRIBUTES
                    .iter()
                    .any(|k| otlp::get_str(attrs, k).is_some());
                if let Some(env) = otlp::get_str(attrs, "deployment.environment.name") {
                    let env = env.to_owned();
                    otlp::set_if_absent(attrs, "deployment.environment", otlp::string(env));
                }
                self.content.apply(attrs);
            }
            for scope_spans in &mut resource_spans.scope_spans {
                for span in &mut scope_spans.spans {
                    let workflow = span
                        .trace_id
                        .as_slice()
                        .try_into()
                        .ok()
                        .and_then(|id: [u8; 16]| workflows.get(&id));
                    self.map_span(span, workflow.map(String::as_str));
                }
            }
        }
        self.resource_identifies_host
            .store(identifies_host, Ordering::Relaxed);
    }

    fn map_span(&self, span: &mut Span, workflow: Option<&str>) {
        let span_name = span.name.clone();
        let attrs = &mut span.attributes;
        attrs.retain(|kv| kv.value.as_ref().is_some_and(|v| v.value.is_some()));
        let operation = otlp::get_str(attrs, "gen_ai.operation.name").map(str::to_owned);

        if let Some(provider) = otlp::get_str(attrs, "gen_ai.provider.name") {
            let provider = provider.to_owned();
            otlp::set_if_absent(attrs, "gen_ai.system", otlp::string(provider));
        }
        let request_type = match operation.as_deref() {
            Some("chat") => Some("chat"),
            Some("text_completion" | "generate_content" | "completion") => Some("completion"),
            Some("embeddings") => Some("embedding"),
            Some("rerank") => Some("rerank"),
            _ => None,
        };
        if let Some(request_type) = request_type {
            otlp::set_if_absent(attrs, "llm.request.type", otlp::string(request_type));
        }
        let input = otlp::get_i64(attrs, "gen_ai.usage.input_tokens");
        let output = otlp::get_i64(attrs, "gen_ai.usage.output_tokens");
        if input.is_some() || output.is_some() {
            let total = input.unwrap_or(0).saturating_add(output.unwrap_or(0));
            otlp::set_if_absent(attrs, "llm.usage.total_tokens", Value::IntValue(total));
            otlp::set_if_absent(attrs, "gen_ai.usage.total_tokens", Value::IntValue(total));
        }
        if let Some(stream) = otlp::get_bool(attrs, "gen_ai.request.stream") {
            otlp::set_if_absent(attrs, "llm.is_streaming", Value::BoolValue(stream));
        }

        let kind = otlp::get_str(attrs, "genai_telemetry.span.kind")
            .map(str::to_owned)
            .or_else(|| {
                match operation.as_deref() {
                    Some("invoke_agent" | "create_agent") => Some("agent"),
                    Some("execute_tool") => Some("tool"),
                    Some("invoke_workflow") => Some("workflow"),
                    _ => None,
                }
                .map(str::to_owned)
            });
        if let Some(kind) = kind {
            let entity = otlp::get_str(attrs, "genai_telemetry.entity.name")
                .or_else(|| match kind.as_str() {
                    "agent" => otlp::get_str(attrs, "gen_ai.agent.name"),
                    "tool" => otlp::get_str(attrs, "gen_ai.tool.name"),
                    _ => None,
                })
                .map(str::to_owned)
                .unwrap_or(span_name);
            otlp::set_if_absent(attrs, "traceloop.entity.name", otlp::string(entity));
            otlp::set_if_absent(attrs, "traceloop.span.kind", otlp::string(kind));
        }
        if let Some(workflow) = workflow {
            otlp::set_if_absent(attrs, "traceloop.workflow.name", otlp::string(workflow));
        }

        if self.content.policy != ContentPolicy::Drop {
            flatten_messages(attrs);
        }
        self.content.apply(attrs);
        for event in &mut span.events {
            self.content
                .apply_to_event(&event.name, &mut event.attributes);
        }
        for link in &mut span.links {
            self.content.apply(&mut link.attributes);
        }
    }
}

/// The workflow name of each trace in the batch, from any of its spans.
fn workflow_names(request: &ExportTraceServiceRequest) -> HashMap<[u8; 16], String> {
    let mut names = HashMap::new();
    for span in request
        .resource_spans
        .iter()
        .flat_map(|r| &r.scope_spans)
        .flat_map(|s| &s.spans)
    {
        let name = otlp::get_str(&span.attributes, "traceloop.workflow.name")
            .or_else(|| otlp::get_str(&span.attributes, "genai_telemetry.workflow.name"));
        if let (Some(name), Ok(id)) = (name, <[u8; 16]>::try_from(span.trace_id.as_slice())) {
            names.entry(id).or_insert_with(|| name.to_owned());
        }
    }
    names
}

/// The text of a message's parts: text parts joined by newlines, else the parts as JSON.
fn message_text(message: &serde_json::Value) -> Option<String> {
    let parts = message.get("parts")?.as_array()?;
    let texts: Vec<&str> = parts
        .iter()
        .filter(|p| p.get("type").and_then(|t| t.as_str()) == Some("text"))
        .filter_map(|p| p.get("content").and_then(|c| c.as_str()))
        .collect();
    if texts.is_empty() {
        (!parts.is_empty()).then(|| serde_json::Value::Array(parts.clone()).to_string())
    } else {
        Some(texts.join("\n"))
    }
}

fn json_of(value: &Value) -> Option<serde_json::Value> {
    match value {
        Value::StringValue(s) => serde_json::from_str(s).ok(),
        other => Some(any_value_to_json(Some(
            &opentelemetry_proto::tonic::common::v1::AnyValue {
                value: Some(other.clone()),
            },
        ))),
    }
}

/// The OpenLLMetry (legacy layout) flattened prompt and completion keys, from the semconv
/// messages; the content policy is applied to them afterwards like to any content.
fn flatten_messages(attrs: &mut Vec<KeyValue>) {
    let mut prompts: Vec<(String, String)> = Vec::new();
    if let Some(system) = otlp::get(attrs, "gen_ai.system_instructions").and_then(json_of) {
        let message = serde_json::json!({"role": "system", "parts": system});
        if let Some(text) = message_text(&message) {
            prompts.push(("system".to_owned(), text));
        }
    }
    if let Some(serde_json::Value::Array(messages)) =
        otlp::get(attrs, "gen_ai.input.messages").and_then(json_of)
    {
        for message in &messages {
            let role = message
                .get("role")
                .and_then(|r| r.as_str())
                .unwrap_or("user");
            if let Some(text) = message_text(message) {
                prompts.push((role.to_owned(), text));
            }
        }
    }
    for (i, (role, text)) in prompts.into_iter().enumerate() {
        otlp::set_if_absent(
            attrs,
            &format!("gen_ai.prompt.{i}.role"),
            otlp::string(role),
        );
        otlp::set_if_absent(
            attrs,
            &format!("gen_ai.prompt.{i}.content"),
            otlp::string(text),
        );
    }
    if let Some(serde_json::Value::Array(messages)) =
        otlp::get(attrs, "gen_ai.output.messages").and_then(json_of)
    {
        for (i, message) in messages.iter().enumerate() {
            let role = message
                .get("role")
                .and_then(|r| r.as_str())
                .unwrap_or("assistant")
                .to_owned();
            otlp::set_if_absent(
                attrs,
                &format!("gen_ai.completion.{i}.role"),
                otlp::string(role),
            );
            if let Some(text) = message_text(message) {
                otlp::set_if_absent(
                    attrs,
                    &format!("gen_ai.completion.{i}.content"),
                    otlp::string(text),
                );
            }
            if let Some(reason) = message.get("finish_reason").and_then(|r| r.as_str()) {
                otlp::set_if_absent(
                    attrs,
                    &format!("gen_ai.completion.{i}.finish_reason"),
                    otlp::string(reason),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use opentelemetry_proto::tonic::resource::v1::Resource;
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans};

    use super::*;

    fn request(resource: Vec<KeyValue>, spans: Vec<Vec<KeyValue>>) -> ExportTraceServiceRequest {
        ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: Some(Resource {
                    attributes: resource,
                    ..Default::default()
                }),
                scope_spans: vec![ScopeSpans {
                    spans: spans
                        .into_iter()
                        .enumerate()
                        .map(|(i, attributes)| Span {
                            trace_id: vec![1; 16],
                            span_id: vec![u8::try_from(i).unwrap() + 1; 8],
                            name: format!("span {i}"),
                            attributes,
                            ..Default::default()
                        })
                        .collect(),
                    ..Default::default()
                }],
                schema_url: String::new(),
            }],
        }
    }

    #[test]
    fn a_host_id_in_the_resource_is_noticed() {
        let view = InstanaView::new(ContentSettings::new(ContentPolicy::Drop));
        view.apply(&mut request(vec![], vec![vec![]]));
        assert!(!view.resource_identifies_host());
        view.apply(&mut request(
            vec![otlp::kv("host.id", otlp::string("i-0abc"))],
            vec![vec![]],
        ));
        assert!(view.resource_identifies_host());
    }

    #[test]
    fn the_workflow_name_spreads_to_every_span_of_its_trace_in_the_batch() {
        let view = InstanaView::new(ContentSettings::new(ContentPolicy::Drop));
        let mut req = request(
            vec![],
            vec![
                vec![otlp::kv("gen_ai.operation.name", otlp::string("chat"))],
                vec![otlp::kv(
                    "genai_telemetry.workflow.name",
                    otlp::string("onboarding"),
                )],
            ],
        );
        view.apply(&mut req);
        for span in &req.resource_spans[0].scope_spans[0].spans {
            assert_eq!(
                otlp::get_str(&span.attributes, "traceloop.workflow.name"),
                Some("onboarding")
            );
        }
    }

    #[test]
    fn hashed_content_keeps_the_flattened_roles_and_hashes_the_texts() {
        let view = InstanaView::new(ContentSettings::new(ContentPolicy::Hash));
        let mut req = request(
            vec![],
            vec![vec![otlp::kv(
                "gen_ai.input.messages",
                otlp::string(r#"[{"role":"user","parts":[{"type":"text","content":"hi"}]}]"#),
            )]],
        );
        view.apply(&mut req);
        let attrs = &req.resource_spans[0].scope_spans[0].spans[0].attributes;
        assert_eq!(otlp::get_str(attrs, "gen_ai.prompt.0.role"), Some("user"));
        assert!(
            otlp::get_str(attrs, "gen_ai.prompt.0.content")
                .unwrap()
                .starts_with("sha256:")
        );
        assert!(
            otlp::get_str(attrs, "gen_ai.input.messages")
                .unwrap()
                .starts_with("sha256:")
        );
    }
}
