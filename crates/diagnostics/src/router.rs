//! [`Diagnostics`] and its axum router: one handler per endpoint, each reading a snapshot of
//! the pipeline (stats, trace ledger, failures) or asking it to act (flush, breaker reset).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use genai_telemetry_core::content::is_content_key;
use genai_telemetry_core::pipeline::ledger::parse_trace_id;
use genai_telemetry_core::resilience::BreakerState;
use genai_telemetry_core::sampling::CountingSampler;
use genai_telemetry_core::{BridgeConfig, DestinationSnapshot, Pipeline};
use serde::Serialize;
use serde_json::{Value, json};

use crate::access::{Access, ApiError, Guard, check};
use crate::analyzer;
use crate::metrics;
use crate::probe::{ProbeCache, Reachability};
use crate::settings::DiagnosticsSettings;

/// Traces `GET /exported_traces` returns when no `limit` is given.
pub const DEFAULT_TRACE_LIMIT: usize = 100;
/// Failures `GET /failures` returns when no `limit` is given.
pub const DEFAULT_FAILURE_LIMIT: usize = 100;
/// Longest `POST /flush` waits, whatever `timeout` asks for.
pub const MAX_FLUSH_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest `GET /health` waits for the very first reachability probe.
const FIRST_PROBE_WAIT: Duration = Duration::from_secs(2);
/// What replaces a content attribute shown to a caller without the token.
const REDACTED: &str = "<redacted: send the diagnostics bearer token to see content>";

/// The diagnostics of one running bridge. Cheap to clone (an `Arc`); every clone and every
/// router made from it share the same pipeline and reachability cache.
///
/// ```no_run
/// # fn demo(pipeline: genai_telemetry_core::Pipeline, config: genai_telemetry_core::BridgeConfig) -> Result<(), Box<dyn std::error::Error>> {
/// use genai_telemetry_diagnostics::{Diagnostics, DiagnosticsSettings};
///
/// let diagnostics = Diagnostics::new(pipeline, config, None, DiagnosticsSettings::from_env()?);
/// let app: axum::Router = axum::Router::new().nest("/telemetry", diagnostics.router());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Diagnostics {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    pipeline: Pipeline,
    config: Arc<BridgeConfig>,
    sampler: Option<CountingSampler>,
    settings: DiagnosticsSettings,
    probes: Arc<ProbeCache>,
}

/// One endpoint, as listed by `GET /`.
#[derive(Debug, Clone, Copy, Serialize)]
struct Endpoint {
    method: &'static str,
    path: &'static str,
    token: &'static str,
    description: &'static str,
}

const NEVER: &str = "never";
const CONTENT: &str = "when content capture is on";
const ALWAYS: &str = "always";

const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: "GET",
        path: "/health",
        token: NEVER,
        description: "overall and per destination: breaker, last success, last error, bytes held, reachability",
    },
    Endpoint {
        method: "GET",
        path: "/destinations",
        token: NEVER,
        description: "effective configuration per destination, secrets redacted",
    },
    Endpoint {
        method: "GET",
        path: "/circuit_breakers",
        token: NEVER,
        description: "breaker state, opens and last error per destination",
    },
    Endpoint {
        method: "POST",
        path: "/circuit_breakers/{destination}/reset",
        token: ALWAYS,
        description: "close a destination's breaker now",
    },
    Endpoint {
        method: "GET",
        path: "/stats",
        token: NEVER,
        description: "every counter of every destination",
    },
    Endpoint {
        method: "GET",
        path: "/metrics",
        token: NEVER,
        description: "Prometheus/OpenMetrics text: bridge counters and GenAI usage histograms",
    },
    Endpoint {
        method: "GET",
        path: "/exported_traces?limit=100",
        token: NEVER,
        description: "recent traces with root name, spans, duration, tokens, cost, delivery per destination",
    },
    Endpoint {
        method: "GET",
        path: "/traces/{trace_id}",
        token: CONTENT,
        description: "the spans of one recent trace with their attributes",
    },
    Endpoint {
        method: "GET",
        path: "/trace_analyzer/{trace_id}?format=text",
        token: CONTENT,
        description: "span tree, durations, share of total, critical path, tokens, cost, errors",
    },
    Endpoint {
        method: "GET",
        path: "/failures?limit=100",
        token: NEVER,
        description: "recent export failures",
    },
    Endpoint {
        method: "POST",
        path: "/flush?timeout=5s",
        token: ALWAYS,
        description: "deliver everything pending now; reports what was delivered",
    },
    Endpoint {
        method: "GET",
        path: "/config",
        token: NEVER,
        description: "the effective bridge configuration, secrets redacted",
    },
    Endpoint {
        method: "GET",
        path: "/sampling",
        token: NEVER,
        description: "sampling rate and spans kept / dropped",
    },
];

impl Diagnostics {
    /// Diagnostics over a running pipeline. `config` is the configuration the pipeline was
    /// started from (shown redacted); `sampler` is the tracer provider's sampler, for
    /// `/sampling` counts (without it only the rate is shown).
    pub fn new(
        pipeline: Pipeline,
        config: BridgeConfig,
        sampler: Option<CountingSampler>,
        settings: DiagnosticsSettings,
    ) -> Self {
        let probes = Arc::new(ProbeCache::new(
            pipeline.destination_endpoints(),
            settings.probe_interval,
        ));
        Self {
            inner: Arc::new(Inner {
                pipeline,
                config: Arc::new(config),
                sampler,
                settings,
                probes,
            }),
        }
    }

    /// The settings in force.
    pub fn settings(&self) -> &DiagnosticsSettings {
        &self.inner.settings
    }

    /// The router, to mount under a prefix of your choice:
    /// `Router::new().nest("/telemetry", diagnostics.router())`.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/", get(index))
            .route("/health", get(health))
            .route("/destinations", get(destinations))
            .route("/circuit_breakers", get(circuit_breakers))
            .route("/circuit_breakers/{destination}/reset", post(reset_breaker))
            .route("/stats", get(stats))
            .route("/metrics", get(prometheus))
            .route("/exported_traces", get(exported_traces))
            .route("/traces/{trace_id}", get(trace))
            .route("/trace_analyzer/{trace_id}", get(trace_analyzer))
            .route("/failures", get(failures))
            .route("/flush", post(flush))
            .route("/config", get(config))
            .route("/sampling", get(sampling))
            .with_state(self.clone())
    }

    /// The Prometheus/OpenMetrics exposition `GET /metrics` serves.
    pub fn metrics_text(&self) -> String {
        let inner = &self.inner;
        let snapshot = metrics::Snapshot {
            stats: inner.pipeline.stats(),
            usage: inner
                .pipeline
                .ledger()
                .map(|l| l.genai_usage())
                .unwrap_or_default(),
            sampling: inner.sampler.as_ref().map(CountingSampler::counts),
            sample_rate: inner
                .sampler
                .as_ref()
                .map_or(inner.config.sample_rate, CountingSampler::rate),
            ledger_spans_missed: inner.pipeline.ledger().map(|l| l.spans_missed()),
            reachability: inner
                .probes
                .cached_now()
                .into_iter()
                .map(|(name, r)| (name, r.reachable))
                .collect(),
        };
        // Writing into a String cannot fail; an encoder error would be a bug in the
        // collector, and an empty exposition is the safe answer to it.
        metrics::encode(snapshot).unwrap_or_default()
    }
}

type Params = Query<HashMap<String, String>>;

fn json_response(value: impl Serialize) -> Response {
    Json(value).into_response()
}

fn limit(params: &HashMap<String, String>, default: usize, max: usize) -> Result<usize, ApiError> {
    match params.get("limit") {
        None => Ok(default.min(max)),
        Some(raw) => match raw.trim().parse::<usize>() {
            Ok(n) => Ok(n.min(max)),
            Err(_) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("limit={raw:?} is not a whole number"),
            )
            .with_fix(format!("use e.g. ?limit=20 (at most {max})"))),
        },
    }
}

/// Adds `"note"` to a JSON object when there is something to say.
fn with_note(body: &mut Value, note: Option<&str>) {
    if let (Value::Object(map), Some(note)) = (body, note) {
        map.insert("note".to_owned(), note.into());
    }
}

fn unix_ms_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

async fn index() -> Response {
    json_response(json!({ "endpoints": ENDPOINTS }))
}

/// A destination's health from its counters and its last probe.
fn destination_status(s: &DestinationSnapshot, reach: Option<&Reachability>) -> &'static str {
    let unreachable = reach.is_some_and(|r| r.reachable == Some(false));
    if s.breaker_state != BreakerState::Closed || unreachable {
        return "failing";
    }
    let failed_last = match (&s.last_error, s.last_success_unix_ms) {
        (Some(e), Some(ok)) => e.at_unix_ms > ok,
        (Some(_), None) => true,
        (None, _) => false,
    };
    if s.spans_held > 0 || failed_last {
        "degraded"
    } else {
        "ok"
    }
}

async fn health(State(d): State<Diagnostics>) -> Response {
    let inner = &d.inner;
    let reach: HashMap<String, Reachability> = inner
        .probes
        .current(FIRST_PROBE_WAIT)
        .await
        .into_iter()
        .collect();
    let stats = inner.pipeline.stats();
    let endpoints: HashMap<String, String> =
        inner.pipeline.destination_endpoints().into_iter().collect();
    let now = unix_ms_now();
    let mut statuses = Vec::new();
    let destinations: Vec<Value> = stats
        .destinations
        .iter()
        .map(|s| {
            let r = reach.get(&s.destination);
            let status = destination_status(s, r);
            statuses.push(status);
            json!({
                "destination": s.destination,
                "status": status,
                "endpoint": endpoints.get(&s.destination),
                "breaker_state": s.breaker_state,
                "last_success_unix_ms": s.last_success_unix_ms,
                "last_success_age_ms": s.last_success_unix_ms.map(|t| now.saturating_sub(t)),
                "last_error": s.last_error,
                "bytes_held": s.bytes_held,
                "spans_held": s.spans_held,
                "spans_pending": s.spans_pending(),
                "reachability": r,
            })
        })
        .collect();
    let overall = if inner.pipeline.is_shut_down() {
        "shut_down"
    } else if statuses.is_empty() {
        "no_destinations"
    } else if statuses.iter().all(|s| *s == "ok") {
        "ok"
    } else {
        "degraded"
    };
    json_response(json!({
        "status": overall,
        "service": inner.config.service.name,
        "checked_at_unix_ms": now,
        "destinations": destinations,
    }))
}

/// The configuration section and kind of a destination, by name.
fn destination_settings(config: &BridgeConfig, name: &str) -> (&'static str, Value) {
    let to = |v: Result<Value, serde_json::Error>| v.unwrap_or(Value::Null);
    if let Some(l) = config.langfuse.as_ref().filter(|l| l.name == name) {
        return ("langfuse", to(serde_json::to_value(l)));
    }
    if let Some(i) = config.instana.as_ref().filter(|i| i.name == name) {
        return ("instana", to(serde_json::to_value(i)));
    }
    if let Some(o) = config.otlp.as_ref().filter(|o| o.name == name) {
        return ("otlp", to(serde_json::to_value(o)));
    }
    ("custom", Value::Null)
}

async fn destinations(State(d): State<Diagnostics>) -> Response {
    let inner = &d.inner;
    let list: Vec<Value> = inner
        .pipeline
        .destination_endpoints()
        .into_iter()
        .map(|(name, endpoint)| {
            let (kind, settings) = destination_settings(&inner.config, &name);
            json!({
                "destination": name,
                "kind": kind,
                "endpoint": endpoint,
                "settings": settings,
            })
        })
        .collect();
    json_response(json!({ "destinations": list }))
}

async fn circuit_breakers(State(d): State<Diagnostics>) -> Response {
    let inner = &d.inner;
    let b = &inner.config.pipeline.breaker;
    let list: Vec<Value> = inner
        .pipeline
        .stats()
        .destinations
        .iter()
        .map(|s| {
            json!({
                "destination": s.destination,
                "state": s.breaker_state,
                "opens": s.breaker_opens,
                "batches_failed": s.batches_failed,
                "last_error": s.last_error,
                "last_success_unix_ms": s.last_success_unix_ms,
                "bytes_held": s.bytes_held,
                "reset": format!("POST circuit_breakers/{}/reset", s.destination),
            })
        })
        .collect();
    json_response(json!({
        "settings": {
            "failure_threshold": b.failure_threshold,
            "recovery_window": humantime::format_duration(b.recovery_window).to_string(),
            "max_recovery_window": humantime::format_duration(b.max_recovery_window).to_string(),
        },
        "destinations": list,
    }))
}

async fn reset_breaker(
    State(d): State<Diagnostics>,
    headers: HeaderMap,
    Path(destination): Path<String>,
) -> Result<Response, ApiError> {
    check(
        &d.inner.settings,
        &headers,
        Guard::Mutating,
        "POST /circuit_breakers/{destination}/reset",
    )?;
    let names = d.inner.pipeline.destination_names();
    if !names.contains(&destination) {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no destination named {destination:?}"),
        )
        .with_fix(format!("use one of {names:?}")));
    }
    let before = breaker_state(&d.inner.pipeline, &destination);
    let pipeline = d.inner.pipeline.clone();
    let name = destination.clone();
    // The reset waits for the export worker's answer: keep it off the async threads.
    let done = tokio::task::spawn_blocking(move || pipeline.reset_breaker(&name))
        .await
        .unwrap_or(false);
    if !done {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!(
                "the breaker of {destination} could not be reset: its export worker has stopped"
            ),
        )
        .with_fix("the bridge is shutting down or shut down; restart the service"));
    }
    tracing::info!(destination = %destination, "circuit breaker reset through diagnostics");
    Ok(json_response(json!({
        "destination": destination,
        "reset": true,
        "state_before": before,
        "state": breaker_state(&d.inner.pipeline, &destination),
    })))
}

fn breaker_state(pipeline: &Pipeline, destination: &str) -> Option<BreakerState> {
    pipeline
        .stats()
        .destination(destination)
        .map(|s| s.breaker_state)
}

async fn stats(State(d): State<Diagnostics>) -> Response {
    let inner = &d.inner;
    let stats = inner.pipeline.stats();
    let destinations: Vec<Value> = stats
        .destinations
        .iter()
        .map(|s| {
            let mut v = serde_json::to_value(s).unwrap_or(Value::Null);
            if let Value::Object(map) = &mut v {
                map.insert("spans_pending".to_owned(), s.spans_pending().into());
                map.insert("dropped_total".to_owned(), s.dropped.total().into());
            }
            v
        })
        .collect();
    json_response(json!({
        "spans_after_shutdown": stats.spans_after_shutdown,
        "destinations": destinations,
        "sampling": inner.sampler.as_ref().map(CountingSampler::counts),
        "tail_sampling": stats.tail_sampling,
        "trace_ledger": inner.pipeline.ledger().map(|l| json!({
            "capacity": inner.pipeline.settings().recent_traces,
            "spans_missed": l.spans_missed(),
        })),
    }))
}

async fn prometheus(State(d): State<Diagnostics>) -> Response {
    let mut response = d.metrics_text().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(metrics::CONTENT_TYPE),
    );
    response
}

fn ledger_note(d: &Diagnostics) -> Option<&'static str> {
    d.inner.pipeline.ledger().is_none().then_some(
        "the trace ledger is off (TELEMETRY_RECENT_TRACES=0); set it to e.g. 1000 to see recent traces",
    )
}

async fn exported_traces(
    State(d): State<Diagnostics>,
    Query(params): Params,
) -> Result<Response, ApiError> {
    let capacity = d.inner.pipeline.settings().recent_traces;
    let n = limit(&params, DEFAULT_TRACE_LIMIT, capacity)?;
    let traces = d.inner.pipeline.recent_traces(n);
    let mut body = json!({
        "capacity": capacity,
        "returned": traces.len(),
        "traces": traces,
    });
    with_note(&mut body, ledger_note(&d));
    Ok(json_response(body))
}

/// Parses the id and finds the trace, or explains why not.
fn find_trace(
    d: &Diagnostics,
    trace_id: &str,
) -> Result<genai_telemetry_core::pipeline::TraceDetail, ApiError> {
    let id = trace_id.trim().to_ascii_lowercase();
    if parse_trace_id(&id).is_none() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("{trace_id:?} is not a trace id"),
        )
        .with_fix(
            "use the 32 hexadecimal digits of the W3C trace id, as listed by GET exported_traces",
        ));
    }
    d.inner.pipeline.trace(&id).ok_or_else(|| {
        let fix = match ledger_note(d) {
            Some(note) => note.to_owned(),
            None => format!(
                "only the last {} traces are kept; list them with GET exported_traces",
                d.inner.pipeline.settings().recent_traces
            ),
        };
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("trace {id} is not among the recent traces"),
        )
        .with_fix(fix)
    })
}

async fn trace(
    State(d): State<Diagnostics>,
    headers: HeaderMap,
    Path(trace_id): Path<String>,
) -> Result<Response, ApiError> {
    let access = check(
        &d.inner.settings,
        &headers,
        Guard::Content,
        "GET /traces/{trace_id}",
    )?;
    let mut detail = find_trace(&d, &trace_id)?;
    let mut redacted = 0usize;
    if access == Access::Anonymous {
        for span in &mut detail.spans {
            for (key, value) in span.attributes.iter_mut() {
                if is_content_key(key) {
                    *value = Value::from(REDACTED);
                    redacted += 1;
                }
            }
        }
    }
    let mut body = serde_json::to_value(&detail).unwrap_or(Value::Null);
    if redacted > 0
        && let Value::Object(map) = &mut body
    {
        map.insert("content_redacted".to_owned(), redacted.into());
    }
    Ok(json_response(body))
}

async fn trace_analyzer(
    State(d): State<Diagnostics>,
    headers: HeaderMap,
    Path(trace_id): Path<String>,
    Query(params): Params,
) -> Result<Response, ApiError> {
    check(
        &d.inner.settings,
        &headers,
        Guard::Content,
        "GET /trace_analyzer/{trace_id}",
    )?;
    let detail = find_trace(&d, &trace_id)?;
    let analysis = analyzer::analyze(&detail);
    match params.get("format").map(String::as_str) {
        None | Some("json") => Ok(json_response(analysis)),
        Some("text") => {
            let mut response = analyzer::render_text(&analysis).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            Ok(response)
        }
        Some(other) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("format={other:?} is not supported"),
        )
        .with_fix("use ?format=text or ?format=json (the default)")),
    }
}

async fn failures(
    State(d): State<Diagnostics>,
    Query(params): Params,
) -> Result<Response, ApiError> {
    // Each destination keeps its last 100 failures.
    let max = 100 * d.inner.pipeline.destination_names().len().max(1);
    let n = limit(&params, DEFAULT_FAILURE_LIMIT, max)?;
    let mut list = d.inner.pipeline.recent_failures(n);
    // Transient failures (408, 5xx) are recorded without their status; the reason starts
    // with it.
    for f in &mut list {
        if f.status.is_none() {
            f.status = crate::doctor::http_status(&f.message);
        }
    }
    Ok(json_response(
        json!({ "returned": list.len(), "failures": list }),
    ))
}

fn flush_timeout(d: &Diagnostics, params: &HashMap<String, String>) -> Result<Duration, ApiError> {
    let Some(raw) = params.get("timeout") else {
        return Ok(d
            .inner
            .config
            .pipeline
            .shutdown_timeout
            .min(MAX_FLUSH_TIMEOUT));
    };
    let raw = raw.trim();
    let parsed = raw
        .parse::<u64>()
        .map(Duration::from_millis)
        .ok()
        .or_else(|| humantime::parse_duration(raw).ok());
    parsed.map(|t| t.min(MAX_FLUSH_TIMEOUT)).ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("timeout={raw:?} is not a duration"),
        )
        .with_fix("use e.g. ?timeout=5s or ?timeout=500ms (at most 60s)")
    })
}

async fn flush(
    State(d): State<Diagnostics>,
    headers: HeaderMap,
    Query(params): Params,
) -> Result<Response, ApiError> {
    check(&d.inner.settings, &headers, Guard::Mutating, "POST /flush")?;
    let timeout = flush_timeout(&d, &params)?;
    let before = d.inner.pipeline.stats();
    let pipeline = d.inner.pipeline.clone();
    let started = Instant::now();
    // Flush blocks until the export thread answers: keep it off the async threads.
    let report = tokio::task::spawn_blocking(move || pipeline.flush(timeout))
        .await
        .map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("flush failed: {e}"),
            )
        })?;
    let destinations: Vec<Value> = report
        .stats
        .destinations
        .iter()
        .map(|after| {
            let delivered_before = before
                .destination(&after.destination)
                .map_or(0, |b| b.spans_delivered);
            let complete = report
                .destinations
                .iter()
                .find(|(n, _)| *n == after.destination)
                .is_some_and(|(_, ok)| *ok);
            json!({
                "destination": after.destination,
                "complete": complete,
                "spans_delivered": after.spans_delivered.saturating_sub(delivered_before),
                "spans_pending": after.spans_pending(),
                "spans_held": after.spans_held,
                "breaker_state": after.breaker_state,
                "last_error": after.last_error,
            })
        })
        .collect();
    tracing::info!(
        complete = report.complete,
        "telemetry flushed through diagnostics"
    );
    Ok(json_response(json!({
        "complete": report.complete,
        "timeout_ms": u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
        "elapsed_ms": u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        "destinations": destinations,
    })))
}

async fn config(State(d): State<Diagnostics>) -> Response {
    let inner = &d.inner;
    let s = &inner.settings;
    json_response(json!({
        "config": serde_json::to_value(inner.config.as_ref()).unwrap_or(Value::Null),
        "warnings": inner.config.warnings,
        "diagnostics": {
            "token_configured": s.has_token(),
            "content_capture": s.content_capture,
            "probe_interval": humantime::format_duration(s.probe_interval).to_string(),
        },
    }))
}

async fn sampling(State(d): State<Diagnostics>) -> Response {
    let inner = &d.inner;
    let rate = inner
        .sampler
        .as_ref()
        .map_or(inner.config.sample_rate, CountingSampler::rate);
    let tail = inner.pipeline.stats().tail_sampling;
    let strategy = if tail.is_some() {
        "parent_based(always_on)+tail"
    } else if rate >= 1.0 {
        "parent_based(always_on)"
    } else if rate <= 0.0 {
        "parent_based(always_off)"
    } else {
        "parent_based(trace_id_ratio)"
    };
    let counts = inner.sampler.as_ref().map(CountingSampler::counts);
    let kept_ratio = counts.and_then(|c| {
        let total = c.kept + c.dropped;
        (total > 0).then(|| c.kept as f64 / total as f64)
    });
    let mut body = json!({
        "rate": rate,
        "strategy": strategy,
        "kept": counts.map(|c| c.kept),
        "dropped": counts.map(|c| c.dropped),
        "kept_ratio": kept_ratio,
        "tail": tail.map(|t| json!({
            "rules": inner.pipeline.settings().tail_sampling.as_ref().map(|r| json!({
                "keep_errors": true,
                "keep_slower_than": r.keep_slower_than.map(|d| humantime::format_duration(d).to_string()),
                "keep_cost_above_usd": r.keep_cost_above,
                "max_traces": r.max_traces,
                "max_spans": r.max_spans,
                "decision_wait": humantime::format_duration(r.decision_wait).to_string(),
            })),
            "counts": t,
        })),
    });
    with_note(
        &mut body,
        counts.is_none().then_some(
            "decisions are not counted: the diagnostics were built without the tracer provider's CountingSampler",
        ),
    );
    json_response(body)
}
