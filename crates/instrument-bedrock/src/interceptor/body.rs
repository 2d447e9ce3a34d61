//! The event-stream body of `ConverseStream` and `InvokeModelWithResponseStream`,
//! observed as the SDK reads it: frames are decoded (CRCs checked by
//! `aws-smithy-eventstream`) to follow the stream, while the bytes reach the SDK unchanged.

use std::sync::{Arc, Mutex, PoisonError};

use aws_smithy_eventstream::frame::{DecodedFrame, MessageFrameDecoder};
use aws_smithy_types::event_stream::Message;
use base64::Engine as _;
use bytes::{Bytes, BytesMut};
use genai_telemetry_core::genai::GenAiCall;
use genai_telemetry_core::genai::body::BodyObserver;
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

/// Follows an event stream and ends the call with what it carried.
#[derive(Debug)]
pub(crate) struct EventStreamObserver {
    cell: CallCell,
    op: Operation,
    family: BedrockModelFamily,
    decoder: MessageFrameDecoder,
    buffer: BytesMut,
    stream: Option<InvokeStream>,
    error: Option<(String, String)>,
    undecodable: bool,
    saw_content: bool,
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
            op,
            family,
            decoder: MessageFrameDecoder::new(),
            buffer: BytesMut::new(),
            stream: Some(InvokeStream::new(capture)),
            error: None,
            undecodable: false,
            saw_content: false,
        }
    }

    fn handle(&mut self, message: &Message) {
        let header = |name: &str| {
            message
                .headers()
                .iter()
                .find(|h| h.name().as_str() == name)
                .and_then(|h| h.value().as_string().ok())
                .map(|s| s.as_str().to_owned())
        };
        let Some(stream) = self.stream.as_mut() else {
            return;
        };
        match header(":message-type").as_deref() {
            Some("event") => {
                let event = header(":event-type").unwrap_or_default();
                let Ok(payload) = serde_json::from_slice::<Value>(message.payload()) else {
                    return;
                };
                let content = if self.op.is_converse() {
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
                };
                if content && !self.saw_content {
                    self.saw_content = true;
                    if let Some(call) = lock(&self.cell).as_mut() {
                        call.record_first_chunk();
                    }
                }
            }
            Some("exception") | Some("error") => {
                let kind = header(":exception-type")
                    .or_else(|| header(":error-code"))
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
            }
            _ => {}
        }
    }

    fn finish(&mut self, cancelled: bool) {
        let Some(stream) = self.stream.take() else {
            return;
        };
        let Some(mut call) = lock(&self.cell).take() else {
            return;
        };
        let complete = stream.complete;
        call.record_response(stream.finish());
        if let Some((kind, message)) = self.error.take() {
            call.record_error(kind, message);
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
        if self.stream.is_none() || self.undecodable {
            return;
        }
        self.buffer.extend_from_slice(data);
        loop {
            match self.decoder.decode_frame(&mut self.buffer) {
                Ok(DecodedFrame::Complete(message)) => self.handle(&message),
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
        let complete = self.stream.as_ref().is_some_and(|s| s.complete);
        if complete || self.error.is_some() {
            // The terminal event (or an exception) arrived: the call is over even if the
            // application stops reading here.
            self.finish(false);
        }
    }

    fn on_error(&mut self, message: &str) {
        if self.error.is_none() {
            self.error = Some(("response_body_error".to_owned(), message.to_owned()));
        }
    }

    fn on_end(&mut self) {
        self.finish(false);
    }

    fn on_drop(&mut self) {
        self.finish(true);
    }
}
