//! OTLP encoding of a batch: spans (shared, by reference) → protobuf request → view →
//! size-bounded split → gzip. Also the reverse, used to split a batch after a 413.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use opentelemetry::trace::{SpanId, Status};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource as ProtoResource;
use opentelemetry_proto::tonic::trace::v1::{
    ResourceSpans, ScopeSpans, Span, SpanFlags, Status as ProtoStatus, span, status,
};
use opentelemetry_sdk::trace::SpanData;
use prost::Message;

use super::Destination;

/// One request body ready to send, as held in the replay buffer: encoded bytes, not spans,
/// which is what keeps thousands of held traces within a few megabytes.
#[derive(Debug, Clone)]
pub struct EncodedBatch {
    /// The body sent on the wire (gzip-compressed when `gzip` is true).
    pub body: Bytes,
    /// Whether `body` is gzip-compressed.
    pub gzip: bool,
    /// Number of spans in the request.
    pub span_count: u32,
    /// Uncompressed protobuf size.
    pub raw_len: usize,
    /// Trace ids in the request with their span counts (for per-trace delivery status).
    pub traces: Arc<[([u8; 16], u32)]>,
}

/// Encodes batches for one destination.
#[derive(Debug, Clone)]
pub struct BatchEncoder {
    gzip: bool,
    max_request_bytes: usize,
}

impl BatchEncoder {
    /// An encoder that follows the destination's compression and size bound.
    pub fn for_destination(destination: &dyn Destination) -> Self {
        Self {
            gzip: destination.gzip(),
            max_request_bytes: destination.max_request_bytes().max(1),
        }
    }

    /// Turns spans into one or more request bodies, each within the size bound (a single
    /// span larger than the bound still goes out alone: the server decides).
    pub fn encode(
        &self,
        spans: &[Arc<SpanData>],
        resource: &ProtoResource,
        destination: &dyn Destination,
    ) -> Vec<EncodedBatch> {
        if spans.is_empty() {
            return Vec::new();
        }
        let mut request = spans_to_request(spans.iter().map(Arc::as_ref), resource);
        destination.apply_view(&mut request);
        let mut out = Vec::new();
        self.encode_bounded(request, &mut out);
        out
    }

    fn encode_bounded(&self, request: ExportTraceServiceRequest, out: &mut Vec<EncodedBatch>) {
        let span_count = count_spans(&request);
        // prost computes every nested length again while encoding, so the whole request's
        // length is computed here once, for both the bound and the buffer's capacity.
        let encoded_len = request.encoded_len();
        if span_count > 1 && encoded_len > self.max_request_bytes {
            let (a, b) = split_request(request);
            self.encode_bounded(a, out);
            self.encode_bounded(b, out);
            return;
        }
        out.push(self.finish_with_len(&request, span_count, encoded_len));
    }

    fn finish(&self, request: &ExportTraceServiceRequest, span_count: usize) -> EncodedBatch {
        self.finish_with_len(request, span_count, request.encoded_len())
    }

    fn finish_with_len(
        &self,
        request: &ExportTraceServiceRequest,
        span_count: usize,
        encoded_len: usize,
    ) -> EncodedBatch {
        let (body, raw_len) = if self.gzip {
            SCRATCH.with(|scratch| {
                let mut scratch = scratch.borrow_mut();
                let Scratch { raw, zipped } = &mut *scratch;
                raw.clear();
                raw.reserve(encoded_len);
                request.encode_raw(raw);
                gzip_into(raw, zipped);
                let encoded = (Bytes::copy_from_slice(zipped), raw.len());
                scratch.trim();
                encoded
            })
        } else {
            let mut raw = Vec::with_capacity(encoded_len);
            request.encode_raw(&mut raw);
            let raw_len = raw.len();
            (Bytes::from(raw), raw_len)
        };
        EncodedBatch {
            body,
            gzip: self.gzip,
            span_count: u32::try_from(span_count).unwrap_or(u32::MAX),
            raw_len,
            traces: trace_counts(request),
        }
    }
}

/// Splits an encoded batch into two halves (after a 413). `None` for a single span, or a
/// body that cannot be decoded (then it is dropped as permanent).
pub fn split_batch(batch: &EncodedBatch) -> Option<(EncodedBatch, EncodedBatch)> {
    if batch.span_count < 2 {
        return None;
    }
    let request = decode_request(&batch.body, batch.gzip).ok()?;
    let (a, b) = split_request(request);
    let encoder = BatchEncoder {
        gzip: batch.gzip,
        max_request_bytes: usize::MAX,
    };
    let (ca, cb) = (count_spans(&a), count_spans(&b));
    Some((encoder.finish(&a, ca), encoder.finish(&b, cb)))
}

/// Decodes a request body (gunzipping it when `gzip`).
pub fn decode_request(body: &[u8], gzip: bool) -> Result<ExportTraceServiceRequest, String> {
    let raw;
    let bytes = if gzip {
        let mut buf = Vec::new();
        GzDecoder::new(body)
            .read_to_end(&mut buf)
            .map_err(|e| format!("gzip: {e}"))?;
        raw = buf;
        &raw[..]
    } else {
        body
    };
    ExportTraceServiceRequest::decode(bytes).map_err(|e| format!("protobuf: {e}"))
}

/// Reused buffers of the thread that encodes (each destination's worker runs on the export
/// thread). A batch's raw protobuf and its gzip output are hundreds of KB: glibc serves such
/// sizes with `mmap` and unmaps them on free, so fresh buffers page-faulted on every batch.
#[derive(Default)]
struct Scratch {
    raw: Vec<u8>,
    zipped: Vec<u8>,
}

impl Scratch {
    /// Kept buffers larger than this are given back after use (a rare huge batch must not
    /// pin its memory on the thread for good).
    const KEEP_BYTES: usize = 8 * 1024 * 1024;

    fn trim(&mut self) {
        for buffer in [&mut self.raw, &mut self.zipped] {
            if buffer.capacity() > Self::KEEP_BYTES {
                *buffer = Vec::new();
            }
        }
    }
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

/// gzip-compresses an OTLP body as every destination sends it.
pub fn gzip(raw: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(raw.len() / 3);
    gzip_into(raw, &mut body);
    // The guess above is 3:1 but GenAI spans compress nearer 15:1; a held batch must not
    // keep the spare capacity, or the replay buffer's byte bound (which counts lengths)
    // would understate its memory several times over. One small copy per batch.
    body.shrink_to_fit();
    body
}

/// gzip-compresses `raw` into `out` (cleared first).
fn gzip_into(raw: &[u8], out: &mut Vec<u8>) {
    out.clear();
    // Level 1: OTLP protobuf compresses about 4:1 even at the fastest level, and the
    // export thread's CPU is better spent on throughput than on the last few percent.
    let mut encoder = GzEncoder::new(out, Compression::fast());
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(raw);
    let _ = encoder.finish();
}

fn trace_counts(request: &ExportTraceServiceRequest) -> Arc<[([u8; 16], u32)]> {
    let mut counts: Vec<([u8; 16], u32)> = Vec::new();
    let spans = request
        .resource_spans
        .iter()
        .flat_map(|r| &r.scope_spans)
        .flat_map(|s| &s.spans);
    for span in spans {
        let Ok(id) = <[u8; 16]>::try_from(span.trace_id.as_slice()) else {
            continue;
        };
        // Batches group spans of a trace together more often than not: check the last first.
        match counts.last_mut() {
            Some((last, n)) if *last == id => *n += 1,
            _ => match counts.iter_mut().find(|(t, _)| *t == id) {
                Some((_, n)) => *n += 1,
                None => counts.push((id, 1)),
            },
        }
    }
    counts.into()
}

fn count_spans(request: &ExportTraceServiceRequest) -> usize {
    request
        .resource_spans
        .iter()
        .flat_map(|r| &r.scope_spans)
        .map(|s| s.spans.len())
        .sum()
}

/// Moves the spans of a request into two requests of about half the spans each, keeping
/// resource and scope framing on both sides.
fn split_request(
    request: ExportTraceServiceRequest,
) -> (ExportTraceServiceRequest, ExportTraceServiceRequest) {
    let total = count_spans(&request);
    let mut left_quota = total / 2;
    let mut left = ExportTraceServiceRequest::default();
    let mut right = ExportTraceServiceRequest::default();
    for rs in request.resource_spans {
        let mut l_rs = ResourceSpans {
            resource: rs.resource.clone(),
            schema_url: rs.schema_url.clone(),
            scope_spans: Vec::new(),
        };
        let mut r_rs = ResourceSpans {
            resource: rs.resource,
            schema_url: rs.schema_url,
            scope_spans: Vec::new(),
        };
        for mut ss in rs.scope_spans {
            let take = left_quota.min(ss.spans.len());
            left_quota -= take;
            let rest = ss.spans.split_off(take);
            if !ss.spans.is_empty() {
                l_rs.scope_spans.push(ScopeSpans {
                    scope: ss.scope.clone(),
                    schema_url: ss.schema_url.clone(),
                    spans: ss.spans,
                });
            }
            if !rest.is_empty() {
                r_rs.scope_spans.push(ScopeSpans {
                    scope: ss.scope,
                    schema_url: ss.schema_url,
                    spans: rest,
                });
            }
        }
        if !l_rs.scope_spans.is_empty() {
            left.resource_spans.push(l_rs);
        }
        if !r_rs.scope_spans.is_empty() {
            right.resource_spans.push(r_rs);
        }
    }
    (left, right)
}

/// Builds one OTLP request from shared spans, grouped by instrumentation scope.
///
/// Hand-written rather than `opentelemetry-proto`'s `From<SpanData>`: that conversion takes
/// the span by value, and the pipeline shares one `Arc<SpanData>` between destinations;
/// converting by reference saves a deep copy of every span for every destination.
pub fn spans_to_request<'a>(
    spans: impl Iterator<Item = &'a SpanData>,
    resource: &ProtoResource,
) -> ExportTraceServiceRequest {
    let mut scope_index: HashMap<&'a opentelemetry::InstrumentationScope, usize> = HashMap::new();
    let mut scope_spans: Vec<ScopeSpans> = Vec::new();
    for data in spans {
        let idx = *scope_index
            .entry(&data.instrumentation_scope)
            .or_insert_with(|| {
                let scope = &data.instrumentation_scope;
                scope_spans.push(ScopeSpans {
                    scope: Some(InstrumentationScope {
                        name: scope.name().to_owned(),
                        version: scope.version().unwrap_or_default().to_owned(),
                        attributes: scope.attributes().map(key_value).collect(),
                        dropped_attributes_count: 0,
                    }),
                    schema_url: scope.schema_url().unwrap_or_default().to_owned(),
                    spans: Vec::new(),
                });
                scope_spans.len() - 1
            });
        scope_spans[idx].spans.push(span_to_proto(data));
    }
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(resource.clone()),
            scope_spans,
            schema_url: String::new(),
        }],
    }
}

fn key_value(kv: &opentelemetry::KeyValue) -> KeyValue {
    KeyValue {
        key: kv.key.as_str().to_owned(),
        value: Some(AnyValue::from(kv.value.clone())),
        key_strindex: 0,
    }
}

fn nanos(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

fn flags(parent_is_remote: bool, trace_flags: u8) -> u32 {
    let mut flags = u32::from(trace_flags) | SpanFlags::ContextHasIsRemoteMask as u32;
    if parent_is_remote {
        flags |= SpanFlags::ContextIsRemoteMask as u32;
    }
    flags
}

fn span_to_proto(data: &SpanData) -> Span {
    let ctx = &data.span_context;
    let kind = match data.span_kind {
        opentelemetry::trace::SpanKind::Client => span::SpanKind::Client,
        opentelemetry::trace::SpanKind::Server => span::SpanKind::Server,
        opentelemetry::trace::SpanKind::Producer => span::SpanKind::Producer,
        opentelemetry::trace::SpanKind::Consumer => span::SpanKind::Consumer,
        opentelemetry::trace::SpanKind::Internal => span::SpanKind::Internal,
    };
    let (code, message) = match &data.status {
        Status::Unset => (status::StatusCode::Unset, String::new()),
        Status::Ok => (status::StatusCode::Ok, String::new()),
        Status::Error { description } => (status::StatusCode::Error, description.to_string()),
    };
    Span {
        trace_id: ctx.trace_id().to_bytes().to_vec(),
        span_id: ctx.span_id().to_bytes().to_vec(),
        trace_state: ctx.trace_state().header(),
        parent_span_id: if data.parent_span_id == SpanId::INVALID {
            Vec::new()
        } else {
            data.parent_span_id.to_bytes().to_vec()
        },
        flags: flags(data.parent_span_is_remote, ctx.trace_flags().to_u8()),
        name: data.name.to_string(),
        kind: kind as i32,
        start_time_unix_nano: nanos(data.start_time),
        end_time_unix_nano: nanos(data.end_time),
        attributes: data.attributes.iter().map(key_value).collect(),
        dropped_attributes_count: data.dropped_attributes_count,
        events: data
            .events
            .iter()
            .map(|e| span::Event {
                time_unix_nano: nanos(e.timestamp),
                name: e.name.to_string(),
                attributes: e.attributes.iter().map(key_value).collect(),
                dropped_attributes_count: e.dropped_attributes_count,
            })
            .collect(),
        dropped_events_count: data.events.dropped_count,
        links: data
            .links
            .iter()
            .map(|l| span::Link {
                trace_id: l.span_context.trace_id().to_bytes().to_vec(),
                span_id: l.span_context.span_id().to_bytes().to_vec(),
                trace_state: l.span_context.trace_state().header(),
                attributes: l.attributes.iter().map(key_value).collect(),
                dropped_attributes_count: l.dropped_attributes_count,
                flags: flags(
                    l.span_context.is_remote(),
                    l.span_context.trace_flags().to_u8(),
                ),
            })
            .collect(),
        dropped_links_count: data.links.dropped_count,
        status: Some(ProtoStatus {
            message,
            code: code as i32,
        }),
    }
}

/// Converts an SDK resource into its protobuf form (done once per pipeline), as every
/// batch carries it.
pub fn resource_to_proto(resource: &opentelemetry_sdk::Resource) -> ProtoResource {
    ProtoResource {
        attributes: resource
            .iter()
            .map(|(k, v)| KeyValue {
                key: k.as_str().to_owned(),
                value: Some(AnyValue::from(v.clone())),
                key_strindex: 0,
            })
            .collect(),
        dropped_attributes_count: 0,
        entity_refs: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::destination::SendFuture;
    use crate::resilience::ExportOutcome;

    #[derive(Debug)]
    struct Sink;

    impl Destination for Sink {
        fn name(&self) -> &str {
            "sink"
        }
        fn send(&self, _batch: &EncodedBatch) -> SendFuture {
            Box::pin(async { ExportOutcome::Delivered })
        }
        fn endpoint(&self) -> String {
            "nowhere".to_owned()
        }
    }

    fn spans(first: u64, n: u64, content_bytes: usize) -> Vec<Arc<SpanData>> {
        (first..first + n)
            .map(|i| {
                let mut span =
                    Arc::unwrap_or_clone(crate::pipeline::ledger::test_span(u128::from(i), i));
                span.attributes.push(opentelemetry::KeyValue::new(
                    "gen_ai.input.messages",
                    format!("{i:08}").repeat(content_bytes / 8),
                ));
                Arc::new(span)
            })
            .collect()
    }

    fn span_ids(batch: &EncodedBatch) -> Vec<u64> {
        let request = decode_request(&batch.body, batch.gzip).expect("a valid body");
        request
            .resource_spans
            .iter()
            .flat_map(|r| &r.scope_spans)
            .flat_map(|s| &s.spans)
            .map(|s| u64::from_be_bytes(s.span_id.as_slice().try_into().expect("8 bytes")))
            .collect()
    }

    #[test]
    fn batches_encoded_one_after_another_on_one_thread_share_no_bytes() {
        let encoder = BatchEncoder::for_destination(&Sink);
        let resource = ProtoResource::default();
        // A large batch (about 2 MB raw), then a small one into the same reused buffers.
        let large = encoder.encode(&spans(1, 2_000, 1_000), &resource, &Sink);
        let small = encoder.encode(&spans(5_000, 3, 10), &resource, &Sink);
        assert_eq!(large.len(), 1);
        assert_eq!(small.len(), 1);
        assert_eq!(span_ids(&large[0]), (1..=2_000).collect::<Vec<_>>());
        assert_eq!(span_ids(&small[0]), [5_000, 5_001, 5_002]);
        assert_eq!(large[0].span_count, 2_000);
        assert!(large[0].raw_len > 2_000_000, "{}", large[0].raw_len);
        assert!(small[0].body.len() < 1_000, "{}", small[0].body.len());
        // The held body is exactly its length, not the scratch buffer's capacity.
        assert_eq!(gzip(&raw_of(&small[0])).len(), small[0].body.len());
    }

    fn raw_of(batch: &EncodedBatch) -> Vec<u8> {
        decode_request(&batch.body, batch.gzip)
            .expect("a valid body")
            .encode_to_vec()
    }

    #[test]
    fn a_huge_batch_does_not_pin_its_buffers_on_the_thread() {
        // About 12 MB raw in one request (no size bound, so nothing splits it).
        let huge = BatchEncoder {
            gzip: true,
            max_request_bytes: usize::MAX,
        };
        let batches = huge.encode(&spans(1, 2_000, 6_000), &ProtoResource::default(), &Sink);
        assert_eq!(batches.len(), 1);
        assert!(batches[0].raw_len > Scratch::KEEP_BYTES);
        SCRATCH.with(|s| {
            let s = s.borrow();
            assert!(s.raw.capacity() <= Scratch::KEEP_BYTES);
            assert!(s.zipped.capacity() <= Scratch::KEEP_BYTES);
        });
    }
}
