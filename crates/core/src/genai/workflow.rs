//! Workflow, task, agent and tool spans (what Traceloop's decorators do in Python), which
//! nest the LLM spans of the calls made inside them, across `.await` and into
//! `tokio::spawn`.
//!
//! ```no_run
//! use genai_telemetry_core::genai::{GenAiInstrumentation, workflow::spawn_in_current_context};
//!
//! # async fn plan(i: &GenAiInstrumentation) -> Result<String, std::io::Error> { Ok(String::new()) }
//! # async fn demo(instrumentation: GenAiInstrumentation) -> Result<(), std::io::Error> {
//! let answer = instrumentation
//!     .workflow("trip-planner")
//!     .run(async {
//!         let plan = instrumentation.agent("planner").run_fallible(plan(&instrumentation)).await?;
//!         let weather = instrumentation.tool("get_weather").call_id("call_1")
//!             .run(async { "sunny".to_owned() }).await;
//!         // A spawned task keeps the workflow as its parent.
//!         let audit = spawn_in_current_context(async move { plan.len() + weather.len() });
//!         Ok::<_, std::io::Error>(audit.await.unwrap_or_default())
//!     })
//!     .await?;
//! # let _ = answer; Ok(()) }
//! ```
//!
//! With the core's `tracing` feature, LLM and workflow spans started inside a `tracing`
//! span (with `tracing-opentelemetry`'s layer installed) become its children.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use opentelemetry::trace::{SpanKind, Status, TraceContextExt, Tracer};
use opentelemetry::{Context, KeyValue};

use super::instrumentation::GenAiInstrumentation;
use super::parent::{WorkflowMarker, parent_context};
use super::semconv::{attr, bridge, operation};

/// The role of a workflow span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkflowKind {
    /// A whole run (`invoke_workflow {name}`).
    Workflow,
    /// A step inside a workflow (`{name}`).
    Task,
    /// An agent invocation (`invoke_agent {name}`).
    Agent,
    /// A tool execution (`execute_tool {name}`).
    Tool,
}

impl WorkflowKind {
    /// The `genai_telemetry.span.kind` value.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkflowKind::Workflow => "workflow",
            WorkflowKind::Task => "task",
            WorkflowKind::Agent => "agent",
            WorkflowKind::Tool => "tool",
        }
    }

    fn operation(self) -> Option<&'static str> {
        match self {
            WorkflowKind::Workflow => Some(operation::INVOKE_WORKFLOW),
            WorkflowKind::Task => None,
            WorkflowKind::Agent => Some(operation::INVOKE_AGENT),
            WorkflowKind::Tool => Some(operation::EXECUTE_TOOL),
        }
    }
}

/// Name of the enclosing workflow, carried in the context.
#[derive(Debug, Clone)]
struct WorkflowName(String);

/// The name of the innermost workflow in `cx`, if any.
pub(crate) fn current_workflow_name(cx: &Context) -> Option<String> {
    cx.get::<WorkflowName>().map(|w| w.0.clone())
}

impl GenAiInstrumentation {
    /// A workflow span (`invoke_workflow {name}`).
    pub fn workflow(&self, name: impl Into<String>) -> WorkflowSpanBuilder {
        WorkflowSpanBuilder::new(self, WorkflowKind::Workflow, name.into())
    }

    /// A task span (`{name}`).
    pub fn task(&self, name: impl Into<String>) -> WorkflowSpanBuilder {
        WorkflowSpanBuilder::new(self, WorkflowKind::Task, name.into())
    }

    /// An agent span (`invoke_agent {name}`, `gen_ai.agent.name`).
    pub fn agent(&self, name: impl Into<String>) -> WorkflowSpanBuilder {
        WorkflowSpanBuilder::new(self, WorkflowKind::Agent, name.into())
    }

    /// A tool span (`execute_tool {name}`, `gen_ai.tool.name`).
    pub fn tool(&self, name: impl Into<String>) -> WorkflowSpanBuilder {
        WorkflowSpanBuilder::new(self, WorkflowKind::Tool, name.into())
    }
}

/// Configures a workflow, task, agent or tool span before it starts.
#[derive(Debug)]
#[must_use = "a span builder does nothing until started or run"]
pub struct WorkflowSpanBuilder {
    instrumentation: GenAiInstrumentation,
    kind: WorkflowKind,
    name: String,
    attributes: Vec<KeyValue>,
}

impl WorkflowSpanBuilder {
    fn new(instrumentation: &GenAiInstrumentation, kind: WorkflowKind, name: String) -> Self {
        Self {
            instrumentation: instrumentation.clone(),
            kind,
            name,
            attributes: Vec::new(),
        }
    }

    /// Adds an attribute.
    pub fn attribute(mut self, attribute: KeyValue) -> Self {
        self.attributes.push(attribute);
        self
    }

    /// `gen_ai.tool.call.id` (tools) or `gen_ai.agent.id` (agents).
    pub fn call_id(mut self, id: impl Into<String>) -> Self {
        let key = match self.kind {
            WorkflowKind::Agent => attr::AGENT_ID,
            _ => attr::TOOL_CALL_ID,
        };
        self.attributes.push(KeyValue::new(key, id.into()));
        self
    }

    /// `gen_ai.tool.description` or `gen_ai.agent.description`.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        let key = match self.kind {
            WorkflowKind::Agent => attr::AGENT_DESCRIPTION,
            _ => attr::TOOL_DESCRIPTION,
        };
        self.attributes.push(KeyValue::new(key, text.into()));
        self
    }

    /// Starts the span as a child of the current context (see [`crate::genai::workflow`]).
    pub fn start(self) -> WorkflowSpan {
        let parent = parent_context();
        let span_name = match self.kind.operation() {
            Some(op) => format!("{op} {}", self.name),
            None => self.name.clone(),
        };
        let mut attributes = Vec::with_capacity(self.attributes.len() + 5);
        attributes.push(KeyValue::new(bridge::SPAN_KIND, self.kind.as_str()));
        attributes.push(KeyValue::new(bridge::ENTITY_NAME, self.name.clone()));
        if let Some(op) = self.kind.operation() {
            attributes.push(KeyValue::new(attr::OPERATION_NAME, op));
        }
        match self.kind {
            WorkflowKind::Agent => {
                attributes.push(KeyValue::new(attr::AGENT_NAME, self.name.clone()));
            }
            WorkflowKind::Tool => {
                attributes.push(KeyValue::new(attr::TOOL_NAME, self.name.clone()));
            }
            WorkflowKind::Workflow | WorkflowKind::Task => {}
        }
        let workflow_name = match self.kind {
            WorkflowKind::Workflow => Some(self.name.clone()),
            _ => current_workflow_name(&parent),
        };
        if let Some(w) = &workflow_name {
            attributes.push(KeyValue::new(bridge::WORKFLOW_NAME, w.clone()));
        }
        attributes.extend(self.attributes);

        let tracer = self.instrumentation.tracer();
        let span = tracer
            .span_builder(span_name)
            .with_kind(SpanKind::Internal)
            .with_attributes(attributes)
            .start_with_context(tracer, &parent);
        let mut cx = parent.with_span(span).with_value(WorkflowMarker::here());
        if let Some(w) = workflow_name {
            cx = cx.with_value(WorkflowName(w));
        }
        WorkflowSpan { cx, ended: false }
    }

    /// Starts the span and runs `future` inside it; the span ends when the future
    /// completes or is dropped.
    pub fn run<F: Future>(self, future: F) -> InWorkflowSpan<F> {
        self.start().instrument(future)
    }

    /// Like [`run`](Self::run) for a future returning `Result`: an `Err` marks the span
    /// failed (`error.type` = the error's type name, ERROR status with its message).
    pub fn run_fallible<F, T, E>(self, future: F) -> InWorkflowSpan<F>
    where
        F: Future<Output = Result<T, E>>,
        E: std::fmt::Display,
    {
        let mut instrumented = self.start().instrument(future);
        instrumented.on_output = Some(mark_error::<T, E>);
        instrumented
    }
}

fn mark_error<T, E: std::fmt::Display>(output: &Result<T, E>, span: &mut WorkflowSpan) {
    if let Err(e) = output {
        span.record_error(error_type_name(std::any::type_name::<E>()), e.to_string());
    }
}

/// The `error.type` of an error known only by its Rust type: the type's own name, without
/// module path, reference or generic arguments (`std::io::Error` → `Error`,
/// `my::Failure<alloc::string::String>` → `Failure`). A boxed or shared trait object
/// (`Box<dyn Error + Send + Sync>`) hides the concrete type, so it gets the semantic
/// conventions' fallback `_OTHER` rather than a fragment of its bounds.
fn error_type_name(full: &str) -> &str {
    const OTHER: &str = "_OTHER";
    let full = full.trim_start_matches('&').trim_start_matches("mut ");
    let (path, generics) = match full.find('<') {
        Some(at) => (&full[..at], Some(&full[at + 1..])),
        None => (full, None),
    };
    let name = path.rsplit("::").next().unwrap_or(path);
    let wraps_trait_object = matches!(name, "Box" | "Arc" | "Rc")
        && generics.is_some_and(|inner| inner.starts_with("dyn "));
    let plain_identifier =
        name.chars().all(|c| c.is_alphanumeric() || c == '_') && !name.is_empty();
    if wraps_trait_object || !plain_identifier || full.starts_with("dyn ") {
        OTHER
    } else {
        name
    }
}

/// A started workflow, task, agent or tool span. Ends on [`end`](Self::end) or drop.
#[derive(Debug)]
pub struct WorkflowSpan {
    cx: Context,
    ended: bool,
}

impl WorkflowSpan {
    /// The context with this span active: pass it to [`opentelemetry::Context::attach`]
    /// (synchronous code) or use [`instrument`](Self::instrument) (async code).
    pub fn context(&self) -> &Context {
        &self.cx
    }

    /// Sets an attribute.
    pub fn set_attribute(&self, attribute: KeyValue) {
        self.cx.span().set_attribute(attribute);
    }

    /// Marks the span failed.
    pub fn record_error(&self, error_type: impl Into<String>, message: impl Into<String>) {
        let span = self.cx.span();
        span.set_attribute(KeyValue::new(attr::ERROR_TYPE, error_type.into()));
        span.set_status(Status::error(message.into()));
    }

    /// Runs `future` with this span as the current context on every poll; the span ends
    /// when the future completes or is dropped.
    pub fn instrument<F: Future>(self, future: F) -> InWorkflowSpan<F> {
        InWorkflowSpan {
            future,
            span: Some(self),
            on_output: None,
        }
    }

    /// Ends the span now.
    pub fn end(mut self) {
        self.end_now();
    }

    fn end_now(&mut self) {
        if !self.ended {
            self.ended = true;
            self.cx.span().end();
        }
    }
}

impl Drop for WorkflowSpan {
    fn drop(&mut self) {
        self.end_now();
    }
}

pin_project_lite::pin_project! {
    /// A future running inside a [`WorkflowSpan`].
    pub struct InWorkflowSpan<F: Future> {
        #[pin]
        future: F,
        span: Option<WorkflowSpan>,
        on_output: Option<fn(&F::Output, &mut WorkflowSpan)>,
    }
}

impl<F: Future> std::fmt::Debug for InWorkflowSpan<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InWorkflowSpan")
            .field("span", &self.span)
            .finish_non_exhaustive()
    }
}

impl<F: Future> Future for InWorkflowSpan<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, task: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let guard = this.span.as_ref().map(|s| s.cx.clone().attach());
        let polled = this.future.poll(task);
        drop(guard);
        if let Poll::Ready(output) = &polled
            && let Some(mut span) = this.span.take()
        {
            if let Some(on_output) = this.on_output {
                on_output(output, &mut span);
            }
            span.end();
        }
        polled
    }
}

/// Spawns `future` on the current Tokio runtime with the current OpenTelemetry context
/// (and the current `tracing` span), so spans started inside it keep their parent.
///
/// Panics like `tokio::spawn` when called outside a runtime.
pub fn spawn_in_current_context<F>(future: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    tokio::spawn(in_current_context(future))
}

/// Wraps `future` so it runs with the current OpenTelemetry context and `tracing` span
/// wherever it is polled (for executors other than Tokio's `spawn`).
pub fn in_current_context<F: Future>(
    future: F,
) -> tracing::instrument::Instrumented<opentelemetry::context::WithContext<F>> {
    use opentelemetry::context::FutureExt as _;
    use tracing::Instrument as _;
    future
        .with_context(Context::current())
        .instrument(tracing::Span::current())
}

#[cfg(test)]
mod tests {
    use super::error_type_name;

    #[test]
    fn error_type_is_the_type_name_without_path_or_generic_arguments() {
        assert_eq!(
            error_type_name(std::any::type_name::<std::io::Error>()),
            "Error"
        );
        assert_eq!(
            error_type_name(std::any::type_name::<std::num::ParseIntError>()),
            "ParseIntError"
        );
        assert_eq!(
            error_type_name(std::any::type_name::<std::sync::PoisonError<String>>()),
            "PoisonError"
        );
        assert_eq!(error_type_name(std::any::type_name::<String>()), "String");
        assert_eq!(error_type_name(std::any::type_name::<&str>()), "str");
    }

    #[test]
    fn a_boxed_trait_object_has_no_name_to_give_and_falls_back_to_other() {
        type Boxed = Box<dyn std::error::Error + Send + Sync>;
        assert_eq!(error_type_name(std::any::type_name::<Boxed>()), "_OTHER");
        assert_eq!(
            error_type_name(std::any::type_name::<std::sync::Arc<dyn std::error::Error>>()),
            "_OTHER"
        );
        assert_eq!(error_type_name(std::any::type_name::<(u8, u8)>()), "_OTHER");
        assert_eq!(error_type_name(std::any::type_name::<[u8; 2]>()), "_OTHER");
    }
}
