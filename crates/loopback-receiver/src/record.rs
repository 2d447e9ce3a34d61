//! What the receiver recorded: spans, requests, statistics.

use std::collections::{BTreeMap, HashSet};

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue};
use serde::Serialize;

/// Counters over every request seen since start (or the last [`reset`](crate::OtlpReceiver::reset)).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReceiverStats {
    /// Every request, whatever its outcome.
    pub requests: u64,
    /// Requests answered with a 2xx status.
    pub accepted_requests: u64,
    /// Requests answered with any other status.
    pub rejected_requests: u64,
    /// Spans in accepted requests, duplicates included.
    pub spans_accepted: u64,
    /// Distinct span IDs accepted.
    pub unique_spans: u64,
    /// Accepted spans whose span ID had already been accepted.
    pub duplicate_spans: u64,
    /// Number of responses per HTTP status code.
    pub status_counts: BTreeMap<u16, u64>,
}

/// One span from an accepted request, flattened out of its resource and scope.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedSpan {
    /// 16-byte trace ID.
    pub trace_id: [u8; 16],
    /// 8-byte span ID.
    pub span_id: [u8; 8],
    /// Parent span ID; `None` for a root span (empty field on the wire).
    pub parent_span_id: Option<[u8; 8]>,
    /// Span name.
    pub name: String,
    /// `SpanKind` as its protobuf number (0 unspecified, 1 internal, 2 server, 3 client, ...).
    pub kind: i32,
    /// Span attributes.
    pub attributes: Vec<KeyValue>,
    /// Attributes of the resource the span was sent under.
    pub resource_attributes: Vec<KeyValue>,
    /// Name of the instrumentation scope (empty when absent).
    pub scope_name: String,
    /// `Status.code` (0 unset, 1 ok, 2 error).
    pub status_code: i32,
    /// `Status.message`.
    pub status_message: String,
    /// Start time, nanoseconds since the Unix epoch.
    pub start_time_unix_nano: u64,
    /// End time, nanoseconds since the Unix epoch.
    pub end_time_unix_nano: u64,
}

fn find<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a AnyValue> {
    attrs
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
}

impl ReceivedSpan {
    /// Value of span attribute `key` (first occurrence).
    pub fn attribute(&self, key: &str) -> Option<&AnyValue> {
        find(&self.attributes, key)
    }

    /// Span attribute `key` if it is a string.
    pub fn string_attribute(&self, key: &str) -> Option<&str> {
        match self.attribute(key)?.value.as_ref()? {
            Value::StringValue(s) => Some(s),
            _ => None,
        }
    }

    /// Span attribute `key` if it is an integer.
    pub fn int_attribute(&self, key: &str) -> Option<i64> {
        match self.attribute(key)?.value.as_ref()? {
            Value::IntValue(i) => Some(*i),
            _ => None,
        }
    }

    /// Span attribute `key` if it is a double.
    pub fn double_attribute(&self, key: &str) -> Option<f64> {
        match self.attribute(key)?.value.as_ref()? {
            Value::DoubleValue(d) => Some(*d),
            _ => None,
        }
    }

    /// Span attribute `key` if it is a boolean.
    pub fn bool_attribute(&self, key: &str) -> Option<bool> {
        match self.attribute(key)?.value.as_ref()? {
            Value::BoolValue(b) => Some(*b),
            _ => None,
        }
    }

    /// Value of resource attribute `key` (first occurrence).
    pub fn resource_attribute(&self, key: &str) -> Option<&AnyValue> {
        find(&self.resource_attributes, key)
    }
}

/// One HTTP request seen by the receiver, whatever its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestRecord {
    /// Request path (without query).
    pub path: String,
    /// Status code answered.
    pub status: u16,
    /// `Content-Type` header as sent.
    pub content_type: Option<String>,
    /// `Content-Encoding` header as sent.
    pub content_encoding: Option<String>,
    /// All request headers (lower-case names, values lossily decoded, recorded verbatim
    /// including credentials: this is a test receiver).
    pub headers: Vec<(String, String)>,
    /// Size of the body as received (compressed size for gzip).
    pub body_bytes: usize,
    /// Spans decoded from the body (0 when the body was not decoded).
    pub span_count: usize,
    /// Which injected fault produced the status, if any: `"scripted"`, `"outage"`,
    /// `"failure_ratio"` or `"throttle"`.
    pub fault: Option<String>,
}

impl RequestRecord {
    /// Header value by (case-insensitive) name, first occurrence.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Mutable recording state behind the receiver's mutex.
#[derive(Debug, Default)]
pub(crate) struct Recorded {
    pub(crate) spans: Vec<ReceivedSpan>,
    pub(crate) requests: Vec<RequestRecord>,
    pub(crate) unique: HashSet<[u8; 8]>,
    pub(crate) stats: ReceiverStats,
    /// Accepted metrics requests, decoded, in arrival order.
    pub(crate) metrics: Vec<ExportMetricsServiceRequest>,
}

impl Recorded {
    /// Records one finished request and, if it was accepted, its span IDs and decoded
    /// `spans`. With `keep` off only the counters and the set of unique span IDs grow
    /// (`spans` is then empty and the request record is not kept).
    pub(crate) fn record(
        &mut self,
        request: RequestRecord,
        span_ids: &[[u8; 8]],
        spans: Vec<ReceivedSpan>,
        keep: bool,
    ) {
        let stats = &mut self.stats;
        stats.requests += 1;
        *stats.status_counts.entry(request.status).or_insert(0) += 1;
        if (200..300).contains(&request.status) {
            stats.accepted_requests += 1;
            for id in span_ids {
                stats.spans_accepted += 1;
                if self.unique.insert(*id) {
                    stats.unique_spans += 1;
                } else {
                    stats.duplicate_spans += 1;
                }
            }
            self.spans.extend(spans);
        } else {
            stats.rejected_requests += 1;
        }
        if keep {
            self.requests.push(request);
        }
    }
}

/// Flattens and validates an export request. Errors name the offending span.
pub(crate) fn flatten(req: ExportTraceServiceRequest) -> Result<Vec<ReceivedSpan>, String> {
    let mut out = Vec::new();
    for rs in req.resource_spans {
        let resource_attributes = rs.resource.map(|r| r.attributes).unwrap_or_default();
        for ss in rs.scope_spans {
            let scope_name = ss.scope.map(|s| s.name).unwrap_or_default();
            for span in ss.spans {
                let trace_id: [u8; 16] = span.trace_id.as_slice().try_into().map_err(|_| {
                    format!(
                        "invalid trace_id length {} (expected 16) in span {:?}",
                        span.trace_id.len(),
                        span.name
                    )
                })?;
                let span_id: [u8; 8] = span.span_id.as_slice().try_into().map_err(|_| {
                    format!(
                        "invalid span_id length {} (expected 8) in span {:?}",
                        span.span_id.len(),
                        span.name
                    )
                })?;
                let parent_span_id = if span.parent_span_id.is_empty() {
                    None
                } else {
                    Some(span.parent_span_id.as_slice().try_into().map_err(|_| {
                        format!(
                            "invalid parent_span_id length {} (expected 0 or 8) in span {:?}",
                            span.parent_span_id.len(),
                            span.name
                        )
                    })?)
                };
                let (status_code, status_message) =
                    span.status.map(|s| (s.code, s.message)).unwrap_or_default();
                out.push(ReceivedSpan {
                    trace_id,
                    span_id,
                    parent_span_id,
                    name: span.name,
                    kind: span.kind,
                    attributes: span.attributes,
                    resource_attributes: resource_attributes.clone(),
                    scope_name: scope_name.clone(),
                    status_code,
                    status_message,
                    start_time_unix_nano: span.start_time_unix_nano,
                    end_time_unix_nano: span.end_time_unix_nano,
                });
            }
        }
    }
    Ok(out)
}
