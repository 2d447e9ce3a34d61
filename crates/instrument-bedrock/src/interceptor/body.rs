//! The event-stream body of `ConverseStream` and `InvokeModelWithResponseStream`,
//! observed as the SDK reads it: frames are decoded (CRCs checked by
//! `aws-smithy-eventstream`) to follow the stream, while the bytes reach the SDK unchanged.

use std::sync::{Arc, Mutex, PoisonError};

use aws_smithy_eventstream::frame::{DecodedFrame, MessageFrameDecoder};
use aws_smithy_types::event_stream::Message;
use base64::Engine as _;
use bytes::{Bytes, BytesMut};
use genai_telemetry_core::genai::body::BodyObserver;
use genai_telemetry_core::genai::{GenAiCall, GenAiResponse};
use serde_json::Value;

use super::request::Operation;
use crate::converse;
use crate::family::BedrockModelFamily;
use crate::stream::InvokeStream;

/// The call of one execution, shared by the interceptor hooks and the stream observer;
/// whoever finishes the call takes it out.
pub(crate) type CallCell = Arc<Mutex<Option<GenAiCall>>>;

pub(crate) fn lock(cell: &CallCell) -> std::sync::MutexGuard<'_, Option<GenAiCall>> {
    cell.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Decodes an event stream (frames, then each event's JSON) into what the stream carried,
/// without touching the call: [`EventStreamObserver`] and the fuzz entry point share it.
#[derive(Debug)]
pub(crate) struct EventStreamReader {
    op: Operation,
    family: BedrockModelFamily,
    decoder: MessageFrameDecoder,
    buffer: BytesMut,
    stream: InvokeStream,
    error: Option<(String, String)>,
    undecodable: bool,
    saw_content: bool,
}

/// What one [`EventStreamReader::feed`] found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Fed {
    /// The first content event of the stream was in this chunk.
    pub(crate) first_content: bool,
    /// The terminal event, an exception or an undecodable frame arrived: the call is over.
    pub(crate) over: bool,
}

impl EventStreamReader {
    pub(crate) fn new(op: Operation, family: BedrockModelFamily, capture: bool) -> Self {
        Self {
            op,
            family,
            decoder: MessageFrameDecoder::new(),
            buffer: BytesMut::new(),
            stream: InvokeStream::new(capture),
            error: None,
            undecodable: false,
            saw_content: false,
        }
    }

    /// Feeds the next bytes of the body, as they arrived.
    pub(crate) fn feed(&mut self, data: &[u8]) -> Fed {
        let mut fed = Fed::default();
        if self.is_over() {
            fed.over = true;
            return fed;
        }
        self.buffer.extend_from_slice(data);
        // Frames after the terminal event (or an exception) are not read, however the
        // body was chunked: the call is over there.
        while !self.is_over() {
            match self.decoder.decode_frame(&mut self.buffer) {
                Ok(DecodedFrame::Complete(message)) => {
                    if self.handle(&message) && !self.saw_content {
                        self.saw_content = true;
                        fed.first_content = true;
                    }
                }
                Ok(DecodedFrame::Incomplete) => break,
                Err(e) => {
                    // The SDK reports the same broken frame to the caller.
                    self.undecodable = true;
                    self.buffer = BytesMut::new();
                    self.error = Some(("invalid_event_stream".to_owned(), e.to_string()));
                    break;
                }
            }
        }
        fed.over = self.is_over();
        fed
    }

    fn is_over(&self) -> bool {
        self.stream.complete || self.error.is_some() || self.undecodable
    }

    /// The body failed while being read (keeps an earlier, more specific error).
    pub(crate) fn body_error(&mut self, message: &str) {
        if self.error.is_none() {
            self.error = Some(("response_body_error".to_owned(), message.to_owned()));
        }
    }

    /// True once the stream's terminal event arrived.
    pub(crate) fn is_complete(&self) -> bool {
        self.stream.complete
    }

    /// What the stream carried, and the error it ended with (if any).
    pub(crate) fn finish(self) -> (GenAiResponse, Option<(String, String)>) {
        (self.stream.finish(), self.error)
    }

    /// Handles one decoded message; true when it carried content.
    fn handle(&mut self, message: &Message) -> bool {
        let header = |name: &str| {
            message
                .headers()
                .iter()
                .find(|h| h.name().as_str() == name)
                .and_then(|h| h.value().as_string().ok())
                .map(|s| s.as_str().to_owned())
        };
        let stream = &mut self.stream;
        match header(":message-type").as_deref() {
            Some("event") => {
                let event = header(":event-type").unwrap_or_default();
                let Ok(payload) = serde_json::from_slice::<Value>(message.payload()) else {
                    return false;
                };
                if self.op.is_converse() {
                    converse::read_stream_event(&event, &payload, stream)
                } else if event == "chunk" {
                    let decoded = payload
                        .get("bytes")
                        .and_then(Value::as_str)
                        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                        .and_then(|b| serde_json::from_slice::<Value>(&b).ok());
                    match decoded {
                        Some(chunk) => {
                            self.family.read_chunk(&chunk, stream);
                            true
                        }
                        None => false,
                    }
                } else {
                    false
                }
            }
            Some("exception") | Some("error") => {
                let kind = header(":exception-type")
                    .filter(|k| !k.trim().is_empty())
                    .or_else(|| header(":error-code").filter(|k| !k.trim().is_empty()))
                    .unwrap_or_else(|| "_OTHER".to_owned());
                let message_text = serde_json::from_slice::<Value>(message.payload())
                    .ok()
                    .and_then(|p| {
                        p.get("message")
                            .or_else(|| p.get("Message"))
                            .and_then(Value::as_str)
                            .map(str::to_owned)
                    })
                    .or_else(|| header(":error-message"))
                    .unwrap_or_default();
                self.error = Some((kind, message_text));
                false
            }
            _ => false,
        }
    }
}

/// Follows an event stream and ends the call with what it carried.
#[derive(Debug)]
pub(crate) struct EventStreamObserver {
    cell: CallCell,
    reader: Option<EventStreamReader>,
}

impl EventStreamObserver {
    pub(crate) fn new(
        cell: CallCell,
        op: Operation,
        family: BedrockModelFamily,
        capture: bool,
    ) -> Self {
        Self {
            cell,
            reader: Some(EventStreamReader::new(op, family, capture)),
        }
    }

    fn finish(&mut self, cancelled: bool) {
        let Some(reader) = self.reader.take() else {
            return;
        };
        let Some(mut call) = lock(&self.cell).take() else {
            return;
        };
        let complete = reader.is_complete();
        let (response, error) = reader.finish();
        call.record_response(response);
        if let Some((kind, message)) = error {
            call.record_error(kind, message);
        } else if !cancelled && !complete {
            // The body ended cleanly, but before the stream's final event (or mid-frame).
            call.record_error(
                "invalid_response",
                "the event stream ended before its final event",
            );
        }
        if cancelled && !complete {
            call.end_cancelled();
        } else {
            call.end();
        }
    }
}

impl BodyObserver for EventStreamObserver {
    fn on_data(&mut self, data: &Bytes) {
        let Some(reader) = self.reader.as_mut() else {
            return;
        };
        let fed = reader.feed(data);
        if fed.first_content
            && let Some(call) = lock(&self.cell).as_mut()
        {
            call.record_first_chunk();
        }
        if fed.over {
            // The terminal event (or an exception) arrived: the call is over even if the
            // application stops reading here.
            self.finish(false);
        }
    }

    fn on_error(&mut self, message: &str) {
        if let Some(reader) = self.reader.as_mut() {
            reader.body_error(message);
        }
    }

    fn on_end(&mut self) {
        self.finish(false);
    }

    fn on_drop(&mut self) {
        self.finish(true);
    }
}
