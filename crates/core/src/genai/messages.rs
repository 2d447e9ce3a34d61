//! Captured content in the parts-based shape of the GenAI conventions
//! (`gen-ai-input-messages.json`, `gen-ai-output-messages.json`,
//! `gen-ai-system-instructions.json`), serialised to the JSON strings spans carry.

use serde::Serialize;

/// One part of a message.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MessagePart {
    /// Plain text.
    Text {
        /// The text.
        content: String,
    },
    /// A tool call the model asked for.
    ToolCall {
        /// Call id, when the provider gives one.
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// Tool name.
        name: String,
        /// Arguments, as JSON (a string when the provider sends unparsed text).
        #[serde(skip_serializing_if = "Option::is_none")]
        arguments: Option<serde_json::Value>,
    },
    /// The result of a tool call, sent back to the model.
    ToolCallResponse {
        /// The call it answers.
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// The result.
        response: serde_json::Value,
    },
    /// Inline binary data (base64).
    Blob {
        /// MIME type, when known.
        #[serde(skip_serializing_if = "Option::is_none")]
        mime_type: Option<String>,
        /// `image`, `video`, `audio` or another modality.
        modality: String,
        /// Base64 of the bytes (may be left empty to keep spans small).
        content: String,
    },
    /// Data referenced by URI.
    Uri {
        /// MIME type, when known.
        #[serde(skip_serializing_if = "Option::is_none")]
        mime_type: Option<String>,
        /// `image`, `video`, `audio` or another modality.
        modality: String,
        /// The URI.
        uri: String,
    },
    /// Reasoning (thinking) text.
    Reasoning {
        /// The text.
        content: String,
    },
}

impl MessagePart {
    /// A text part.
    pub fn text(content: impl Into<String>) -> Self {
        MessagePart::Text {
            content: content.into(),
        }
    }
}

/// One message sent to the model (`gen_ai.input.messages`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InputMessage {
    /// `system`, `user`, `assistant`, `tool` or a provider's own role.
    pub role: String,
    /// Content parts.
    pub parts: Vec<MessagePart>,
    /// Participant name, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl InputMessage {
    /// A message with `role` and parts.
    pub fn new(role: impl Into<String>, parts: Vec<MessagePart>) -> Self {
        Self {
            role: role.into(),
            parts,
            name: None,
        }
    }
}

/// One message the model produced (`gen_ai.output.messages`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutputMessage {
    /// Usually `assistant`.
    pub role: String,
    /// Content parts.
    pub parts: Vec<MessagePart>,
    /// Normalised finish reason (`stop`, `length`, `content_filter`, `tool_call`, `error`
    /// or the provider's own value).
    pub finish_reason: String,
}

impl OutputMessage {
    /// An assistant message.
    pub fn assistant(parts: Vec<MessagePart>, finish_reason: impl Into<String>) -> Self {
        Self {
            role: "assistant".to_owned(),
            parts,
            finish_reason: finish_reason.into(),
        }
    }
}

/// Most bytes one captured content attribute (`gen_ai.input.messages`, ...) keeps on the
/// span. Each destination bounds what it sends again (`*_MAX_ATTRIBUTE_LENGTH`, 16 KiB by
/// default); this bound keeps a huge prompt (a 10 MB document pasted into a chat) from being
/// held whole in memory until export and in the diagnostics ledger.
pub const MAX_CAPTURED_CONTENT_BYTES: usize = 1024 * 1024;

/// Appends one streamed piece of captured content (a text delta, tool-call arguments) to
/// `buffer`, keeping at most [`MAX_CAPTURED_CONTENT_BYTES`] (cut at a character boundary).
/// The attribute made of it is bounded to that size anyway, so a stream of any length holds
/// bounded memory while it runs; the cut is marked when the attribute is written.
pub fn push_captured(buffer: &mut String, piece: &str) {
    let room = MAX_CAPTURED_CONTENT_BYTES.saturating_sub(buffer.len());
    if room > 0 {
        buffer.push_str(crate::content::truncate_utf8(piece, room));
    }
}

/// Serialises captured content to the JSON string an attribute carries, bounded to
/// [`MAX_CAPTURED_CONTENT_BYTES`] with the JSON kept valid (long texts cut, marked).
pub(crate) fn to_json<T: Serialize + ?Sized>(value: &T) -> Option<String> {
    // Serialising these types cannot fail (string keys, no maps with non-string keys);
    // `ok()` keeps a hypothetical failure from ever reaching the caller.
    let text = serde_json::to_string(value).ok()?;
    if text.len() <= MAX_CAPTURED_CONTENT_BYTES {
        return Some(text);
    }
    let json = serde_json::to_value(value).ok()?;
    Some(crate::content::fit_json_within(
        json,
        &text,
        MAX_CAPTURED_CONTENT_BYTES,
    ))
}

/// Parses tool-call arguments: JSON when they parse, the raw string otherwise.
pub fn arguments_value(raw: &str) -> serde_json::Value {
    serde_json::from_str(raw).unwrap_or_else(|_| serde_json::Value::String(raw.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::{MAX_CAPTURED_CONTENT_BYTES, push_captured};

    #[test]
    fn captured_pieces_are_appended_up_to_the_bound_and_cut_on_a_character_boundary() {
        let mut buffer = String::new();
        push_captured(&mut buffer, "héllo ");
        assert_eq!(buffer, "héllo ");
        // Three-byte characters that do not divide the bound evenly.
        let piece = "€".repeat(10_000);
        while buffer.len() < MAX_CAPTURED_CONTENT_BYTES - 2 {
            let before = buffer.len();
            push_captured(&mut buffer, &piece);
            if buffer.len() == before {
                break;
            }
        }
        for _ in 0..10 {
            push_captured(&mut buffer, &piece);
        }
        assert!(buffer.len() <= MAX_CAPTURED_CONTENT_BYTES);
        assert!(buffer.len() > MAX_CAPTURED_CONTENT_BYTES - 3);
        assert!(buffer.starts_with("héllo €"));
        assert!(buffer.ends_with('€'));
    }
}
