//! Which span an LLM or workflow span is a child of: the current OpenTelemetry context
//! and, with the `tracing` feature, the current `tracing` span.

use opentelemetry::Context;

/// Stored in the context of every workflow span this crate starts, to tell whether that
/// span is inside or outside the current `tracing` span.
#[derive(Debug, Clone)]
pub(crate) struct WorkflowMarker {
    #[cfg(feature = "tracing")]
    pub(crate) tracing_span: Option<tracing::span::Id>,
}

impl WorkflowMarker {
    pub(crate) fn here() -> Self {
        WorkflowMarker {
            #[cfg(feature = "tracing")]
            tracing_span: tracing::Span::current().id(),
        }
    }
}

/// The parent context for a new span.
///
/// Without the `tracing` feature: `Context::current()`.
///
/// With it, the innermost of the two wins: the current `tracing` span (through
/// `tracing-opentelemetry`) unless the current OpenTelemetry context holds a workflow span
/// that was itself started inside that `tracing` span.
pub(crate) fn parent_context() -> Context {
    let current = Context::current();
    #[cfg(feature = "tracing")]
    if let Some(cx) = tracing_parent(&current) {
        return cx;
    }
    current
}

#[cfg(feature = "tracing")]
fn tracing_parent(current: &Context) -> Option<Context> {
    use opentelemetry::trace::TraceContextExt;
    use tracing_opentelemetry::OpenTelemetrySpanExt;

    let span = tracing::Span::current();
    let id = span.id()?;
    if current.has_active_span()
        && let Some(marker) = current.get::<WorkflowMarker>()
        && marker.tracing_span.as_ref() == Some(&id)
    {
        return None;
    }
    let cx = span.context();
    cx.span().span_context().is_valid().then_some(cx)
}
