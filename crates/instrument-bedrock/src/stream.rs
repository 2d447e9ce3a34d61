//! What a Bedrock stream (`ConverseStream` events, `InvokeModelWithResponseStream`
//! chunks) adds up to, one event at a time.

use std::collections::BTreeMap;

use genai_telemetry_core::genai::messages::{arguments_value, push_captured};
use genai_telemetry_core::genai::openai_compat::Endpoint;
use genai_telemetry_core::genai::openai_compat::response::StreamAccumulator;
use genai_telemetry_core::genai::{
    GenAiResponse, MessagePart, OutputMessage, TokenUsage, normalize_finish_reason,
};

/// The response of a stream so far.
#[derive(Debug)]
pub(crate) struct InvokeStream {
    capture: bool,
    text: String,
    reasoning: String,
    tool_calls: BTreeMap<u64, (Option<String>, String, String)>,
    pub(crate) finish_reason: Option<String>,
    pub(crate) usage: TokenUsage,
    pub(crate) id: Option<String>,
    pub(crate) model: Option<String>,
    /// The terminal event (`metadata`, or a chunk with invocation metrics) arrived.
    pub(crate) complete: bool,
    /// OpenAI-shaped chunks (AI21 Jamba) go through the shared OpenAI accumulator.
    openai: Option<StreamAccumulator>,
}

impl InvokeStream {
    pub(crate) fn new(capture: bool) -> Self {
        Self {
            capture,
            text: String::new(),
            reasoning: String::new(),
            tool_calls: BTreeMap::new(),
            finish_reason: None,
            usage: TokenUsage::default(),
            id: None,
            model: None,
            complete: false,
            openai: None,
        }
    }

    pub(crate) fn push_text(&mut self, text: &str) {
        if self.capture {
            push_captured(&mut self.text, text);
        }
    }

    pub(crate) fn push_reasoning(&mut self, text: &str) {
        if self.capture {
            push_captured(&mut self.reasoning, text);
        }
    }

    pub(crate) fn start_tool_call(&mut self, index: u64, id: Option<String>, name: &str) {
        let entry = self.tool_calls.entry(index).or_default();
        entry.0 = id;
        entry.1 = name.to_owned();
    }

    pub(crate) fn push_tool_arguments(&mut self, index: u64, json: &str) {
        if self.capture {
            push_captured(&mut self.tool_calls.entry(index).or_default().2, json);
        }
    }

    pub(crate) fn openai_chunk(&mut self, data: &str) {
        let capture = self.capture;
        self.openai
            .get_or_insert_with(|| StreamAccumulator::new(Endpoint::ChatCompletions, capture, None))
            .push_event(None, data);
    }

    pub(crate) fn finish(self) -> GenAiResponse {
        if let Some(openai) = self.openai {
            let mut response = openai.finish();
            if response.usage.is_empty() {
                response.usage = self.usage;
            }
            return response;
        }
        let mut response = GenAiResponse {
            id: self.id,
            model: self.model,
            usage: self.usage,
            ..GenAiResponse::default()
        };
        let reason = self.finish_reason.unwrap_or_default();
        // A stream that stopped for a tool call says so only through its content blocks.
        let reason = if reason.is_empty() && !self.tool_calls.is_empty() {
            "tool_use".to_owned()
        } else {
            reason
        };
        if self.capture {
            let mut parts = Vec::new();
            if !self.reasoning.is_empty() {
                parts.push(MessagePart::Reasoning {
                    content: self.reasoning,
                });
            }
            if !self.text.is_empty() {
                parts.push(MessagePart::text(self.text));
            }
            for (id, name, arguments) in self.tool_calls.into_values() {
                parts.push(MessagePart::ToolCall {
                    id,
                    name,
                    arguments: (!arguments.is_empty()).then(|| arguments_value(&arguments)),
                });
            }
            response.output_messages = vec![OutputMessage::assistant(
                parts,
                normalize_finish_reason(&reason).into_owned(),
            )];
        }
        if !reason.is_empty() {
            response.finish_reasons = vec![reason];
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::InvokeStream;
    use genai_telemetry_core::genai::messages::MAX_CAPTURED_CONTENT_BYTES;

    #[test]
    fn a_long_invoke_stream_with_capture_on_holds_at_most_the_captured_content_bound() {
        let mut stream = InvokeStream::new(true);
        let piece = "y".repeat(64 * 1024);
        stream.start_tool_call(0, Some("call_1".to_owned()), "lookup");
        for _ in 0..64 {
            stream.push_text(&piece);
            stream.push_reasoning(&piece);
            stream.push_tool_arguments(0, &piece);
        }
        assert_eq!(stream.text.len(), MAX_CAPTURED_CONTENT_BYTES);
        assert_eq!(stream.reasoning.len(), MAX_CAPTURED_CONTENT_BYTES);
        assert_eq!(stream.tool_calls[&0].2.len(), MAX_CAPTURED_CONTENT_BYTES);
    }
}
