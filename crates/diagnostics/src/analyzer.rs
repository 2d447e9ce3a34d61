//! The trace analyzer: one recent trace as a span tree with durations, share of the total,
//! the critical path, tokens, cost and errors per span, as JSON or as an indented text tree.
//!
//! The critical path is the chain of work the trace's end waited on: walking back from the
//! end of each span, the child that finished last is followed, then whatever finished
//! before that child started, and so on; time no child covers is the span's own.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use genai_telemetry_core::pipeline::ledger::{SpanRecord, TraceDetail, TraceSummary};
use serde::Serialize;

/// Marker after the span that took most of the trace's time, in the text tree.
pub const MOST_OF_THE_TIME: &str = "← most of the time";

/// A trace, analysed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceAnalysis {
    /// Hex trace id.
    pub trace_id: String,
    /// Name of the root span.
    pub root_name: String,
    /// From the earliest start to the latest end, milliseconds.
    pub duration_ms: f64,
    /// Spans seen in the trace.
    pub span_count: u64,
    /// Spans stored and analysed (the ledger bounds spans per trace).
    pub spans_analyzed: usize,
    /// Sum of input tokens.
    pub input_tokens: i64,
    /// Sum of output tokens.
    pub output_tokens: i64,
    /// Sum of `gen_ai.usage.cost`, when any span carried one.
    pub cost: Option<f64>,
    /// Spans that ended in error.
    pub errors: u64,
    /// The span trees (one per root; usually one).
    pub tree: Vec<SpanNode>,
    /// The critical path, in time order.
    pub critical_path: Vec<CriticalStep>,
    /// The span that contributed most time to the critical path.
    pub bottleneck: Option<CriticalStep>,
}

/// One span in the tree.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpanNode {
    /// Hex span id.
    pub span_id: String,
    /// Span name.
    pub name: String,
    /// Span kind.
    pub kind: String,
    /// Start, milliseconds after the trace's start.
    pub start_offset_ms: f64,
    /// Duration, milliseconds.
    pub duration_ms: f64,
    /// Duration as a share of the trace's duration, 0 to 1.
    pub share_of_total: f64,
    /// Time not covered by any child, milliseconds.
    pub self_ms: f64,
    /// Whether the span is on the critical path.
    pub on_critical_path: bool,
    /// Time this span itself contributed to the critical path, milliseconds.
    pub critical_ms: f64,
    /// `gen_ai.operation.name`, for LLM and agent spans.
    pub operation: Option<String>,
    /// `gen_ai.response.model`, else `gen_ai.request.model`.
    pub model: Option<String>,
    /// `gen_ai.usage.input_tokens`.
    pub input_tokens: Option<i64>,
    /// `gen_ai.usage.output_tokens`.
    pub output_tokens: Option<i64>,
    /// `gen_ai.usage.cost`.
    pub cost: Option<f64>,
    /// `unset`, `ok` or `error`.
    pub status: String,
    /// What went wrong: the status description, else `error.type`.
    pub error: Option<String>,
    /// Child spans, by start time.
    pub children: Vec<SpanNode>,
}

/// One span's part of the critical path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CriticalStep {
    /// Hex span id.
    pub span_id: String,
    /// Span name.
    pub name: String,
    /// Time the span itself contributed to the critical path, milliseconds.
    pub critical_ms: f64,
    /// That time as a share of the trace's duration, 0 to 1.
    pub share_of_total: f64,
}

/// Spans by index, with parent/child links resolved within the trace.
struct Graph<'a> {
    spans: &'a [SpanRecord],
    children: Vec<Vec<usize>>,
    roots: Vec<usize>,
    /// Start and end (ns), each child clipped to its parent's bounds.
    bounds: Vec<(u64, u64)>,
}

impl<'a> Graph<'a> {
    fn new(spans: &'a [SpanRecord]) -> Self {
        let index: HashMap<&str, usize> = spans
            .iter()
            .enumerate()
            .map(|(i, s)| (s.span_id.as_str(), i))
            .collect();
        let mut children = vec![Vec::new(); spans.len()];
        let mut roots = Vec::new();
        for (i, s) in spans.iter().enumerate() {
            match s.parent_span_id.as_deref().and_then(|p| index.get(p)) {
                Some(&parent) if parent != i => children[parent].push(i),
                _ => roots.push(i),
            }
        }
        let by_start = |v: &mut Vec<usize>| {
            v.sort_by_key(|&i| (spans[i].start_unix_nano, spans[i].end_unix_nano))
        };
        children.iter_mut().for_each(by_start);
        by_start(&mut roots);

        let mut bounds: Vec<(u64, u64)> = spans
            .iter()
            .map(|s| (s.start_unix_nano, s.end_unix_nano.max(s.start_unix_nano)))
            .collect();
        // Clip children into their parents, top down (a child outliving its parent, e.g.
        // a detached task, must not make the parent look longer than it was).
        let mut stack = roots.clone();
        let mut seen = HashSet::new();
        while let Some(p) = stack.pop() {
            if !seen.insert(p) {
                continue;
            }
            let (ps, pe) = bounds[p];
            for &c in &children[p] {
                let (cs, ce) = bounds[c];
                let cs = cs.clamp(ps, pe);
                bounds[c] = (cs, ce.clamp(cs, pe));
                stack.push(c);
            }
        }
        Self {
            spans,
            children,
            roots,
            bounds,
        }
    }

    /// Adds each span's own critical time, walking back from `end` (see module docs).
    fn critical(&self, node: usize, end: u64, out: &mut [u64], depth: usize) {
        let (start, _) = self.bounds[node];
        let mut cursor = end;
        while cursor > start {
            let next = self.children[node]
                .iter()
                .copied()
                .filter(|&c| self.bounds[c].0 < cursor)
                .max_by_key(|&c| (self.bounds[c].1.min(cursor), self.bounds[c].0));
            let Some(child) = next.filter(|_| depth < 256) else {
                out[node] += cursor - start;
                break;
            };
            let (cs, ce) = self.bounds[child];
            let ce = ce.min(cursor);
            out[node] += cursor - ce;
            self.critical(child, ce, out, depth + 1);
            cursor = cs;
        }
    }

    /// Own time: duration minus the union of the children's intervals.
    fn self_time(&self, node: usize) -> u64 {
        let (start, end) = self.bounds[node];
        let mut covered = 0;
        let mut reach = start;
        for &c in &self.children[node] {
            let (cs, ce) = self.bounds[c];
            let cs = cs.max(reach);
            if ce > cs {
                covered += ce - cs;
                reach = ce;
            }
        }
        (end - start).saturating_sub(covered)
    }
}

fn ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}

fn share(part: f64, total: f64) -> f64 {
    if total > 0.0 {
        (part / total).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// Analyses one trace.
pub fn analyze(trace: &TraceDetail) -> TraceAnalysis {
    let graph = Graph::new(&trace.spans);
    let summary: &TraceSummary = &trace.summary;
    let trace_start = graph.bounds.iter().map(|b| b.0).min().unwrap_or(0);
    let trace_end = graph.bounds.iter().map(|b| b.1).max().unwrap_or(0);
    let total_ms = ms(trace_end - trace_start);

    // The roots behave as children of a virtual span covering the whole trace.
    let mut critical = vec![0u64; trace.spans.len()];
    let mut cursor = trace_end;
    while cursor > trace_start {
        let next = graph
            .roots
            .iter()
            .copied()
            .filter(|&r| graph.bounds[r].0 < cursor)
            .max_by_key(|&r| (graph.bounds[r].1.min(cursor), graph.bounds[r].0));
        let Some(root) = next else { break };
        let end = graph.bounds[root].1.min(cursor);
        graph.critical(root, end, &mut critical, 0);
        cursor = graph.bounds[root].0;
    }

    let mut path: Vec<usize> = (0..trace.spans.len())
        .filter(|&i| critical[i] > 0)
        .collect();
    path.sort_by_key(|&i| (graph.bounds[i].0, std::cmp::Reverse(graph.bounds[i].1)));
    let step = |i: usize| CriticalStep {
        span_id: trace.spans[i].span_id.clone(),
        name: trace.spans[i].name.clone(),
        critical_ms: ms(critical[i]),
        share_of_total: share(ms(critical[i]), total_ms),
    };
    let bottleneck = path
        .iter()
        .copied()
        .max_by_key(|&i| (critical[i], std::cmp::Reverse(graph.bounds[i].0)))
        .map(step);

    let mut visited = HashSet::new();
    let tree = graph
        .roots
        .iter()
        .filter_map(|&r| node(&graph, r, trace_start, total_ms, &critical, &mut visited))
        .collect();

    TraceAnalysis {
        trace_id: summary.trace_id.clone(),
        root_name: summary.root_name.clone(),
        duration_ms: total_ms,
        span_count: summary.span_count,
        spans_analyzed: trace.spans.len(),
        input_tokens: summary.input_tokens,
        output_tokens: summary.output_tokens,
        cost: summary.cost,
        errors: summary.errors,
        tree,
        critical_path: path.into_iter().map(step).collect(),
        bottleneck,
    }
}

fn node(
    graph: &Graph<'_>,
    i: usize,
    trace_start: u64,
    total_ms: f64,
    critical: &[u64],
    visited: &mut HashSet<usize>,
) -> Option<SpanNode> {
    if !visited.insert(i) {
        return None;
    }
    let s = &graph.spans[i];
    let (start, end) = graph.bounds[i];
    let duration_ms = ms(end - start);
    let error = (s.status == "error").then(|| {
        if s.status_message.is_empty() {
            s.str("error.type").unwrap_or("error").to_owned()
        } else {
            s.status_message.clone()
        }
    });
    let error = error.or_else(|| s.str("error.type").map(str::to_owned));
    Some(SpanNode {
        span_id: s.span_id.clone(),
        name: s.name.clone(),
        kind: s.kind.clone(),
        start_offset_ms: ms(start - trace_start),
        duration_ms,
        share_of_total: share(duration_ms, total_ms),
        self_ms: ms(graph.self_time(i)),
        on_critical_path: critical[i] > 0,
        critical_ms: ms(critical[i]),
        operation: s.str("gen_ai.operation.name").map(str::to_owned),
        model: s
            .str("gen_ai.response.model")
            .or_else(|| s.str("gen_ai.request.model"))
            .map(str::to_owned),
        input_tokens: s.int("gen_ai.usage.input_tokens"),
        output_tokens: s.int("gen_ai.usage.output_tokens"),
        cost: s.float("gen_ai.usage.cost"),
        status: s.status.clone(),
        error,
        children: graph.children[i]
            .iter()
            .filter_map(|&c| node(graph, c, trace_start, total_ms, critical, visited))
            .collect(),
    })
}

/// Milliseconds as people read them: `2900ms`, `12.5ms`, `0.42ms`.
fn show_ms(v: f64) -> String {
    if v >= 10.0 {
        format!("{v:.0}ms")
    } else if v >= 1.0 {
        format!("{v:.1}ms")
    } else {
        format!("{v:.2}ms")
    }
}

fn show_cost(c: f64) -> String {
    if c >= 0.01 {
        format!("${c:.4}")
    } else {
        format!("${c:.6}")
    }
}

/// The analysis as an indented tree, one span per line:
///
/// ```text
/// trace 4bf92f3577b34da6a3ce929d0e0e4736: handle_request 3120ms, 3 spans, 120 in / 42 out tokens, $0.001150
/// handle_request 3120ms 100%
///   retrieve_context 180ms 6%
///   chat gpt-4o 2900ms 93% [120 in / 42 out tokens, $0.001150] ← most of the time
/// critical path: handle_request 40ms → retrieve_context 180ms → chat gpt-4o 2900ms
/// ```
pub fn render_text(a: &TraceAnalysis) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "trace {}: {} {}, {} span{}",
        a.trace_id,
        a.root_name,
        show_ms(a.duration_ms),
        a.span_count,
        if a.span_count == 1 { "" } else { "s" }
    );
    if a.input_tokens > 0 || a.output_tokens > 0 {
        let _ = write!(
            out,
            ", {} in / {} out tokens",
            a.input_tokens, a.output_tokens
        );
    }
    if let Some(c) = a.cost {
        let _ = write!(out, ", {}", show_cost(c));
    }
    if a.errors > 0 {
        let _ = write!(
            out,
            ", {} error{}",
            a.errors,
            if a.errors == 1 { "" } else { "s" }
        );
    }
    out.push('\n');
    if a.spans_analyzed as u64 != a.span_count {
        let _ = writeln!(
            out,
            "(only the first {} of {} spans were kept for analysis)",
            a.spans_analyzed, a.span_count
        );
    }
    let bottleneck = a.bottleneck.as_ref().map(|b| b.span_id.as_str());
    for root in &a.tree {
        line(&mut out, root, 0, bottleneck);
    }
    if !a.critical_path.is_empty() {
        let steps: Vec<String> = a
            .critical_path
            .iter()
            .map(|s| format!("{} {}", s.name, show_ms(s.critical_ms)))
            .collect();
        let _ = writeln!(out, "critical path: {}", steps.join(" → "));
    }
    out
}

fn line(out: &mut String, n: &SpanNode, depth: usize, bottleneck: Option<&str>) {
    let _ = write!(
        out,
        "{}{} {} {:.0}%",
        "  ".repeat(depth),
        n.name,
        show_ms(n.duration_ms),
        n.share_of_total * 100.0
    );
    let mut facts = Vec::new();
    if n.input_tokens.is_some() || n.output_tokens.is_some() {
        facts.push(format!(
            "{} in / {} out tokens",
            n.input_tokens.unwrap_or(0),
            n.output_tokens.unwrap_or(0)
        ));
    }
    if let Some(c) = n.cost {
        facts.push(show_cost(c));
    }
    if !facts.is_empty() {
        let _ = write!(out, " [{}]", facts.join(", "));
    }
    if let Some(e) = &n.error {
        let _ = write!(out, " ✗ {e}");
    }
    if bottleneck == Some(n.span_id.as_str()) {
        let _ = write!(out, " {MOST_OF_THE_TIME}");
    }
    out.push('\n');
    for c in &n.children {
        line(out, c, depth + 1, bottleneck);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(id: &str, parent: Option<&str>, name: &str, start_ms: u64, end_ms: u64) -> SpanRecord {
        SpanRecord {
            trace_id: "0af7651916cd43dd8448eb211c80319c".to_owned(),
            span_id: id.to_owned(),
            parent_span_id: parent.map(str::to_owned),
            name: name.to_owned(),
            kind: "internal".to_owned(),
            start_unix_nano: start_ms * 1_000_000,
            end_unix_nano: end_ms * 1_000_000,
            status: "unset".to_owned(),
            status_message: String::new(),
            attributes: serde_json::Map::new(),
            events: 0,
        }
    }

    fn detail(spans: Vec<SpanRecord>) -> TraceDetail {
        TraceDetail {
            summary: TraceSummary {
                trace_id: "0af7651916cd43dd8448eb211c80319c".to_owned(),
                root_name: spans[0].name.clone(),
                span_count: spans.len() as u64,
                start_unix_nano: 0,
                duration_ms: 0.0,
                input_tokens: 0,
                output_tokens: 0,
                cost: None,
                errors: 0,
                delivery: Vec::new(),
            },
            spans,
        }
    }

    fn critical_of<'a>(a: &'a TraceAnalysis, name: &str) -> Option<&'a CriticalStep> {
        a.critical_path.iter().find(|s| s.name == name)
    }

    #[test]
    fn sequential_children_are_all_on_the_critical_path() {
        let a = analyze(&detail(vec![
            span("r", None, "request", 0, 3120),
            span("a", Some("r"), "retrieve", 10, 190),
            span("b", Some("r"), "llm_call", 200, 3100),
        ]));
        let names: Vec<&str> = a.critical_path.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["request", "retrieve", "llm_call"]);
        assert_eq!(
            critical_of(&a, "llm_call").map(|s| s.critical_ms),
            Some(2900.0)
        );
        assert_eq!(
            critical_of(&a, "request").map(|s| s.critical_ms),
            Some(40.0)
        );
        assert_eq!(
            a.bottleneck.as_ref().map(|b| b.name.as_str()),
            Some("llm_call")
        );
        assert_eq!(a.duration_ms, 3120.0);
    }

    #[test]
    fn of_parallel_children_only_the_last_to_finish_is_critical() {
        let a = analyze(&detail(vec![
            span("r", None, "fan_out", 0, 1000),
            span("a", Some("r"), "fast", 0, 300),
            span("b", Some("r"), "slow", 0, 1000),
        ]));
        assert!(critical_of(&a, "slow").is_some());
        assert!(critical_of(&a, "fast").is_none());
        assert!(critical_of(&a, "fan_out").is_none(), "no time of its own");
        let root = &a.tree[0];
        assert_eq!(root.self_ms, 0.0);
        assert!(!root.children[0].on_critical_path);
    }

    #[test]
    fn the_text_tree_is_indented_and_marks_the_bottleneck() {
        let a = analyze(&detail(vec![
            span("r", None, "handle_request", 0, 3120),
            span("b", Some("r"), "llm_call", 200, 3100),
        ]));
        let text = render_text(&a);
        assert!(
            text.contains("\n  llm_call 2900ms 93% ← most of the time\n"),
            "{text}"
        );
        assert!(text.contains("\nhandle_request 3120ms 100%\n"), "{text}");
    }

    #[test]
    fn a_child_outliving_its_parent_is_clipped() {
        let a = analyze(&detail(vec![
            span("r", None, "request", 0, 100),
            span("c", Some("r"), "detached", 50, 400),
        ]));
        assert_eq!(a.tree[0].children[0].duration_ms, 50.0);
        assert_eq!(a.duration_ms, 100.0);
    }

    #[test]
    fn spans_whose_parent_is_remote_become_roots() {
        let a = analyze(&detail(vec![
            span("x", Some("remote"), "server", 0, 50),
            span("y", Some("x"), "llm", 10, 40),
        ]));
        assert_eq!(a.tree.len(), 1);
        assert_eq!(a.tree[0].children.len(), 1);
    }
}
