//! OpenAI (and LiteLLM) server-sent event streams: `openai_compat::sse::SseParser` and the
//! `StreamAccumulator` the events feed.
//!
//! Input: the raw `text/event-stream` body. The first byte also picks where to cut the
//! body into chunks.

use genai_telemetry_core::genai::openai_compat::Endpoint;
use genai_telemetry_core::genai::openai_compat::response::StreamAccumulator;
use genai_telemetry_core::genai::openai_compat::sse::SseParser;

/// One parsed event: `(event name, data)`.
pub type Event = (Option<String>, String);

/// Parses `chunks` as one body, in that chunking.
pub fn events(chunks: &[&[u8]]) -> Vec<Event> {
    let mut out = Vec::new();
    let mut parser = SseParser::new();
    let mut sink = |e: Option<&str>, d: &str| out.push((e.map(str::to_owned), d.to_owned()));
    for chunk in chunks {
        parser.push(chunk, &mut sink);
    }
    parser.finish(&mut sink);
    out
}

/// Checks one body.
pub fn check(data: &[u8]) {
    let whole = events(&[data]);
    // The events do not depend on the chunking: one byte at a time, and a cut anywhere
    // (inside a UTF-8 character or a `\r\n` included).
    let bytes: Vec<&[u8]> = data.chunks(1).collect();
    assert_eq!(
        events(&bytes),
        whole,
        "byte-at-a-time chunking changed the events"
    );
    if let Some(&first) = data.first() {
        let cut = usize::from(first) * data.len() / 256;
        let (a, b) = data.split_at(cut);
        assert_eq!(events(&[a, b]), whole, "a cut at {cut} changed the events");
    }
    for endpoint in [Endpoint::ChatCompletions, Endpoint::Responses] {
        for capture in [true, false] {
            let mut acc = StreamAccumulator::new(endpoint, capture, Some("litellm"));
            for (event, payload) in &whole {
                acc.push_event(event.as_deref(), payload);
            }
            let done = whole.iter().any(|(_, d)| d.trim() == "[DONE]");
            if endpoint == Endpoint::ChatCompletions {
                assert_eq!(acc.is_complete(), done, "[DONE] and completeness disagree");
            }
            let malformed = whole.iter().any(|(_, d)| {
                let d = d.trim();
                !d.is_empty()
                    && d != "[DONE]"
                    && serde_json::from_str::<serde_json::Value>(d).is_err()
            });
            if malformed {
                assert!(
                    acc.error().is_some(),
                    "a non-JSON event left the stream unmarked"
                );
            }
            if let Some((kind, _)) = acc.error() {
                assert!(!kind.is_empty(), "empty error.type");
            }
            let response = acc.finish();
            if !capture {
                assert!(
                    response.output_messages.is_empty(),
                    "content without capture"
                );
            }
            if let Some(cost) = &response.reported_cost {
                assert!(cost.total.is_finite() && cost.total >= 0.0, "{cost:?}");
            }
        }
    }
}
