//! Per-destination content policy: what a destination receives of prompt and completion
//! content (`full | truncate | hash | drop`), and the length bound on every string attribute.
//!
//! Views call [`ContentSettings::apply`] on each span's attributes (and event attributes)
//! after their own mapping, so the policy also covers keys a view derived from content
//! (for example `langfuse.observation.input` or the flattened `gen_ai.prompt.{i}.content`).
//!
//! ```
//! use genai_telemetry_core::content::{ContentPolicy, ContentSettings};
//! use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value::Value};
//!
//! let mut attributes = vec![KeyValue {
//!     key: "gen_ai.input.messages".into(),
//!     value: Some(AnyValue { value: Some(Value::StringValue("[...]".into())) }),
//!     key_strindex: 0,
//! }];
//! ContentSettings::new(ContentPolicy::Hash).apply(&mut attributes);
//! let Some(Value::StringValue(hashed)) = &attributes[0].value.as_ref().unwrap().value else {
//!     unreachable!()
//! };
//! assert!(hashed.starts_with("sha256:"));
//! ```

use std::fmt;
use std::str::FromStr;

pub mod otlp;

use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, ArrayValue, KeyValue};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Default bound on one string attribute, in bytes (16 KiB).
pub const DEFAULT_MAX_ATTRIBUTE_LENGTH: usize = 16 * 1024;

/// Smallest accepted maximum attribute length: room for a marker and some text.
pub const MIN_MAX_ATTRIBUTE_LENGTH: usize = 64;

/// Appended to every shortened string (the result, marker included, stays within bound).
pub const TRUNCATION_MARKER: &str = "…[truncated]";

/// Prefix of a hashed content value: `sha256:` followed by 64 lower-case hex digits.
pub const HASH_PREFIX: &str = "sha256:";

/// What a destination receives of prompt and completion content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContentPolicy {
    /// Content is sent as it is, up to the destination's maximum attribute length (raise
    /// `*_MAX_ATTRIBUTE_LENGTH` for long RAG prompts); longer values are cut, UTF-8 safe.
    Full,
    /// Content is shortened to the maximum attribute length; JSON message arrays keep
    /// their structure (the longest texts are cut), so viewers still parse them.
    Truncate,
    /// Content is replaced by `sha256:<hex>` of its text: equal prompts can be matched,
    /// nothing can be read.
    Hash,
    /// Content attributes are removed.
    Drop,
}

impl ContentPolicy {
    /// The lower-case name used in configuration (`full`, `truncate`, `hash`, `drop`).
    pub fn as_str(self) -> &'static str {
        match self {
            ContentPolicy::Full => "full",
            ContentPolicy::Truncate => "truncate",
            ContentPolicy::Hash => "hash",
            ContentPolicy::Drop => "drop",
        }
    }

    /// Whether content reaches the destination in readable form (full or truncated).
    pub fn keeps_text(self) -> bool {
        matches!(self, ContentPolicy::Full | ContentPolicy::Truncate)
    }
}

impl fmt::Display for ContentPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A content policy name that is none of `full`, `truncate`, `hash`, `drop`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownContentPolicy(pub String);

impl fmt::Display for UnknownContentPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not a content policy (use full, truncate, hash or drop)",
            self.0
        )
    }
}

impl std::error::Error for UnknownContentPolicy {}

impl FromStr for ContentPolicy {
    type Err = UnknownContentPolicy;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "full" => Ok(ContentPolicy::Full),
            "truncate" => Ok(ContentPolicy::Truncate),
            "hash" => Ok(ContentPolicy::Hash),
            "drop" | "none" | "off" => Ok(ContentPolicy::Drop),
            _ => Err(UnknownContentPolicy(raw.to_owned())),
        }
    }
}

/// One destination's content policy and string bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ContentSettings {
    /// What happens to prompt and completion content.
    pub policy: ContentPolicy,
    /// Bound, in bytes, on every string attribute (content under `truncate` included);
    /// strings are cut on a character boundary.
    pub max_attribute_length: usize,
}

impl ContentSettings {
    /// A policy with the default maximum attribute length (16 KiB).
    pub fn new(policy: ContentPolicy) -> Self {
        Self {
            policy,
            max_attribute_length: DEFAULT_MAX_ATTRIBUTE_LENGTH,
        }
    }

    /// The same policy with another maximum attribute length.
    pub fn with_max_attribute_length(mut self, bytes: usize) -> Self {
        self.max_attribute_length = bytes;
        self
    }

    /// Bound on one content attribute under the current policy.
    pub fn content_limit(&self) -> usize {
        // The per-destination maximum bounds every string attribute, content included.
        self.max_attribute_length
    }

    /// Applies the policy to the content attributes, bounds every other string attribute,
    /// and removes attributes without a value. Order is kept.
    pub fn apply(&self, attributes: &mut Vec<KeyValue>) {
        attributes.retain_mut(|kv| {
            let Some(value) = kv.value.take().filter(|v| v.value.is_some()) else {
                return false;
            };
            let value = if is_content_key(&kv.key) {
                self.apply_to_content(value)
            } else {
                Some(cap_value(value, self.max_attribute_length))
            };
            kv.value = value;
            kv.value.is_some()
        });
    }

    /// Like [`apply`](Self::apply), for the attributes of a span event. Events named
    /// `gen_ai.*` (the v1.36 message events, `gen_ai.choice`, the inference details
    /// event) carry content under generic keys too (`content`, `message`, `tool_calls`),
    /// which count as content there.
    pub fn apply_to_event(&self, event_name: &str, attributes: &mut Vec<KeyValue>) {
        if !event_name.starts_with("gen_ai.") {
            self.apply(attributes);
            return;
        }
        for kv in attributes.iter_mut() {
            if matches!(
                kv.key.as_str(),
                "content" | "message" | "tool_calls" | "body"
            ) {
                let value = kv.value.take().filter(|v| v.value.is_some());
                kv.value = value.and_then(|v| self.apply_to_content(v));
            }
        }
        self.apply(attributes);
    }

    /// The policy applied to one content value: `None` when it must not be sent.
    pub fn apply_to_content(&self, value: AnyValue) -> Option<AnyValue> {
        match self.policy {
            ContentPolicy::Drop => None,
            ContentPolicy::Hash => Some(hash_value(value)),
            ContentPolicy::Full => Some(cap_value(value, self.content_limit())),
            ContentPolicy::Truncate => Some(map_strings(value, &mut |s| {
                truncate_content(s, self.max_attribute_length)
            })),
        }
    }
}

/// Whether an attribute key carries prompt or completion content: the semconv content
/// attributes, the deprecated and flattened OpenLLMetry keys, Traceloop entity input and
/// output, Langfuse observation and trace input and output, OpenInference values, MCP
/// arguments and results, and the generic `input` / `output` / `prompt`.
pub fn is_content_key(key: &str) -> bool {
    matches!(
        key,
        "gen_ai.input.messages"
            | "gen_ai.output.messages"
            | "gen_ai.system_instructions"
            | "gen_ai.tool.call.arguments"
            | "gen_ai.tool.call.result"
            | "gen_ai.prompt"
            | "gen_ai.completion"
            | "traceloop.entity.input"
            | "traceloop.entity.output"
            | "langfuse.observation.input"
            | "langfuse.observation.output"
            | "langfuse.trace.input"
            | "langfuse.trace.output"
            | "input.value"
            | "output.value"
            | "mcp.request.argument"
            | "mcp.response.value"
            | "input"
            | "output"
            | "prompt"
    ) || flattened_content(key, "gen_ai.prompt.")
        || flattened_content(key, "gen_ai.completion.")
        || flattened_content(key, "llm.input_messages.")
        || flattened_content(key, "llm.output_messages.")
}

/// `prefix{i}....{content|arguments|refusal|user}`: the text of a flattened message
/// (its role, id or finish reason are not content).
fn flattened_content(key: &str, prefix: &str) -> bool {
    let Some(rest) = key.strip_prefix(prefix) else {
        return false;
    };
    let mut segments = rest.split('.');
    let indexed = segments
        .next()
        .is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()));
    let last = rest.rsplit('.').next().unwrap_or_default();
    indexed
        && matches!(
            last,
            "content" | "arguments" | "refusal" | "user" | "message_content" | "text"
        )
}

/// `sha256:<hex>` of the text.
pub fn hash_content(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let mut out = String::with_capacity(HASH_PREFIX.len() + 64);
    out.push_str(HASH_PREFIX);
    for byte in digest {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The longest prefix of `s` that is at most `max_bytes` long and ends on a character
/// boundary.
pub fn truncate_utf8(s: &str, max_bytes: usize) -> &str {
    if s.len() <= max_bytes {
        return s;
    }
    let mut end = max_bytes;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// `s` unchanged when it fits in `max_bytes`, else its start plus [`TRUNCATION_MARKER`],
/// at most `max_bytes` long in all.
pub fn bounded(s: &str, max_bytes: usize) -> String {
    if s.len() <= max_bytes {
        return s.to_owned();
    }
    if max_bytes <= TRUNCATION_MARKER.len() {
        return truncate_utf8(s, max_bytes).to_owned();
    }
    let mut out = truncate_utf8(s, max_bytes - TRUNCATION_MARKER.len()).to_owned();
    out.push_str(TRUNCATION_MARKER);
    out
}

/// Bounds every string inside a value (array elements and map values included).
pub fn cap_value(value: AnyValue, max_bytes: usize) -> AnyValue {
    map_strings(value, &mut |s| {
        if s.len() <= max_bytes {
            s
        } else {
            bounded(&s, max_bytes)
        }
    })
}

fn map_strings(value: AnyValue, f: &mut dyn FnMut(String) -> String) -> AnyValue {
    let mapped = match value.value {
        Some(Value::StringValue(s)) => Some(Value::StringValue(f(s))),
        Some(Value::ArrayValue(array)) => Some(Value::ArrayValue(ArrayValue {
            values: array
                .values
                .into_iter()
                .map(|v| map_strings(v, f))
                .collect(),
        })),
        Some(Value::KvlistValue(mut list)) => {
            for kv in &mut list.values {
                if let Some(v) = kv.value.take() {
                    kv.value = Some(map_strings(v, f));
                }
            }
            Some(Value::KvlistValue(list))
        }
        other => other,
    };
    AnyValue { value: mapped }
}

fn hash_value(value: AnyValue) -> AnyValue {
    match value.value {
        Some(Value::StringValue(s)) => string_value(hash_content(&s)),
        Some(Value::ArrayValue(array)) => AnyValue {
            value: Some(Value::ArrayValue(ArrayValue {
                values: array.values.into_iter().map(hash_value).collect(),
            })),
        },
        Some(Value::KvlistValue(list)) => {
            let json = serde_json::Value::Object(
                list.values
                    .iter()
                    .map(|kv| (kv.key.clone(), any_value_to_json(kv.value.as_ref())))
                    .collect(),
            );
            string_value(hash_content(&json.to_string()))
        }
        Some(Value::BytesValue(bytes)) => {
            string_value(hash_content(&String::from_utf8_lossy(&bytes)))
        }
        // Numbers and booleans carry no prompt text.
        other => AnyValue { value: other },
    }
}

fn string_value(s: String) -> AnyValue {
    AnyValue {
        value: Some(Value::StringValue(s)),
    }
}

/// Shortens content to `max_bytes`. A JSON value keeps its structure: every string
/// inside it is cut to a common length, the largest that fits, so message arrays still
/// parse. Anything else is cut with [`TRUNCATION_MARKER`].
pub fn truncate_content(text: String, max_bytes: usize) -> String {
    if text.len() <= max_bytes {
        return text;
    }
    let trimmed = text.trim_start();
    if (trimmed.starts_with('[') || trimmed.starts_with('{'))
        && let Ok(json) = serde_json::from_str::<serde_json::Value>(&text)
        && let Some(fitted) = fit_json(&json, max_bytes)
    {
        return fitted;
    }
    bounded(&text, max_bytes)
}

/// The JSON with each string leaf cut to the largest common length for which the whole
/// serialisation fits in `max_bytes`; `None` when even empty strings do not fit.
fn fit_json(json: &serde_json::Value, max_bytes: usize) -> Option<String> {
    let render = |leaf_max: usize| {
        let mut copy = json.clone();
        cut_leaves(&mut copy, leaf_max);
        copy.to_string()
    };
    let longest = longest_leaf(json);
    let (mut low, mut high) = (0usize, longest);
    let mut best = {
        let smallest = render(0);
        (smallest.len() <= max_bytes).then_some(smallest)
    }?;
    while low < high {
        let mid = low + (high - low).div_ceil(2);
        let candidate = render(mid);
        if candidate.len() <= max_bytes {
            best = candidate;
            low = mid;
        } else {
            high = mid - 1;
        }
    }
    Some(best)
}

/// `json` (whose serialisation is `text`) cut to fit `max_bytes` with its structure kept:
/// string leaves longer than a common limit are cut to it. Unlike [`truncate_content`],
/// which searches the limit by rendering the whole value again and again, this computes the
/// limit from the leaves' lengths and corrects it from one cut copy, so a 10 MB value costs
/// one conversion and a few renders of at most about `max_bytes`. Falls back to a plain cut
/// of `text` when even empty strings do not fit.
pub fn fit_json_within(mut json: serde_json::Value, text: &str, max_bytes: usize) -> String {
    let mut leaves = Vec::new();
    leaf_lengths(&json, &mut leaves);
    leaves.sort_unstable();
    let total: usize = leaves.iter().sum();
    let skeleton = text.len().saturating_sub(total);
    let mut limit = water_level(&leaves, max_bytes.saturating_sub(skeleton));
    for _ in 0..16 {
        cut_leaves(&mut json, limit);
        let rendered = json.to_string();
        if rendered.len() <= max_bytes {
            return rendered;
        }
        if limit == 0 {
            break;
        }
        // Escapes and markers made it longer than estimated: shrink the cut leaves by the
        // overshoot, shared between them.
        let cut = leaves.iter().filter(|&&len| len >= limit).count().max(1);
        let over = (rendered.len() - max_bytes).div_ceil(cut);
        limit = limit.saturating_sub(over.max(1));
    }
    bounded(text, max_bytes)
}

/// The largest `limit` with `sum(min(len, limit)) <= budget` over sorted leaf lengths.
fn water_level(sorted: &[usize], budget: usize) -> usize {
    let mut remaining = budget;
    for (i, &len) in sorted.iter().enumerate() {
        let left = sorted.len() - i;
        if len.saturating_mul(left) <= remaining {
            remaining -= len;
        } else {
            return remaining / left;
        }
    }
    sorted.last().copied().unwrap_or(0)
}

/// Each string leaf's length as JSON renders it (escapes included, quotes not), so that the
/// rest of the rendering (keys, quotes, punctuation) is exactly what is left over.
fn leaf_lengths(json: &serde_json::Value, out: &mut Vec<usize>) {
    match json {
        serde_json::Value::String(s) => out.push(
            s.len()
                + s.bytes()
                    .map(|b| match b {
                        b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 1,
                        0..=0x1f => 5,
                        _ => 0,
                    })
                    .sum::<usize>(),
        ),
        serde_json::Value::Array(items) => items.iter().for_each(|v| leaf_lengths(v, out)),
        serde_json::Value::Object(map) => map.values().for_each(|v| leaf_lengths(v, out)),
        _ => {}
    }
}

fn longest_leaf(json: &serde_json::Value) -> usize {
    match json {
        serde_json::Value::String(s) => s.len(),
        serde_json::Value::Array(items) => items.iter().map(longest_leaf).max().unwrap_or(0),
        serde_json::Value::Object(map) => map.values().map(longest_leaf).max().unwrap_or(0),
        _ => 0,
    }
}

fn cut_leaves(json: &mut serde_json::Value, leaf_max: usize) {
    match json {
        // Short leaves (roles, types) never reach this length: only long texts are cut,
        // and each carries the marker when there is room for it.
        serde_json::Value::String(s) if s.len() > leaf_max => {
            *s = bounded(s, leaf_max.max(TRUNCATION_MARKER.len() + 1));
            if s.len() > leaf_max {
                *s = truncate_utf8(s, leaf_max).to_owned();
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| cut_leaves(v, leaf_max)),
        serde_json::Value::Object(map) => map.values_mut().for_each(|v| cut_leaves(v, leaf_max)),
        _ => {}
    }
}

/// An OTLP value as JSON: maps become objects, arrays arrays, bytes base16 strings.
pub fn any_value_to_json(value: Option<&AnyValue>) -> serde_json::Value {
    let Some(value) = value.and_then(|v| v.value.as_ref()) else {
        return serde_json::Value::Null;
    };
    match value {
        Value::StringValue(s) => serde_json::Value::String(s.clone()),
        Value::BoolValue(b) => serde_json::Value::Bool(*b),
        Value::IntValue(i) => serde_json::Value::from(*i),
        Value::DoubleValue(d) => serde_json::Number::from_f64(*d)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null),
        Value::ArrayValue(array) => serde_json::Value::Array(
            array
                .values
                .iter()
                .map(|v| any_value_to_json(Some(v)))
                .collect(),
        ),
        Value::KvlistValue(list) => serde_json::Value::Object(
            list.values
                .iter()
                .map(|kv| (kv.key.clone(), any_value_to_json(kv.value.as_ref())))
                .collect(),
        ),
        Value::BytesValue(bytes) => {
            let mut hex = String::with_capacity(bytes.len() * 2);
            for byte in bytes {
                hex.push(char::from(HEX[usize::from(byte >> 4)]));
                hex.push(char::from(HEX[usize::from(byte & 0x0f)]));
            }
            serde_json::Value::String(hex)
        }
        Value::StringValueStrindex(_) => serde_json::Value::Null,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_huge_message_array_is_fitted_with_its_structure_kept() {
        let huge = "lorem ipsum \"quoted\" ".repeat(500_000); // about 10 MB
        let json = serde_json::json!([
            {"role": "system", "parts": [{"type": "text", "content": "be brief"}]},
            {"role": "user", "parts": [{"type": "text", "content": huge}]},
        ]);
        let text = json.to_string();
        assert!(text.len() > 10_000_000);
        let fitted = fit_json_within(json, &text, 1 << 20);
        assert!(fitted.len() <= 1 << 20, "{}", fitted.len());
        assert!(
            fitted.len() > (1 << 20) / 100 * 95,
            "uses the room it has: {}",
            fitted.len()
        );
        let back: serde_json::Value = serde_json::from_str(&fitted).expect("still JSON");
        assert_eq!(back[0]["parts"][0]["content"], "be brief");
        assert_eq!(back[1]["role"], "user");
        let content = back[1]["parts"][0]["content"].as_str().expect("text");
        assert!(content.starts_with("lorem ipsum \"quoted\""));
        assert!(content.ends_with(TRUNCATION_MARKER));
    }

    #[test]
    fn many_long_leaves_share_the_room() {
        let parts: Vec<serde_json::Value> = (0..200)
            .map(|i| serde_json::json!({"type": "text", "content": format!("{i}:{}", "x".repeat(20_000 + i * 100))}))
            .collect();
        let json = serde_json::Value::Array(parts);
        let text = json.to_string();
        let fitted = fit_json_within(json, &text, 256 * 1024);
        assert!(fitted.len() <= 256 * 1024);
        let back: Vec<serde_json::Value> = serde_json::from_str(&fitted).expect("still JSON");
        assert_eq!(back.len(), 200);
        assert!(back.iter().all(|p| p["type"] == "text"));
    }

    #[test]
    fn when_even_the_skeleton_does_not_fit_it_falls_back_to_a_plain_cut() {
        let json =
            serde_json::Value::Array((0..1000).map(|_| serde_json::json!({"k": 1})).collect());
        let text = json.to_string();
        let fitted = fit_json_within(json, &text, 100);
        assert!(fitted.len() <= 100);
        assert!(fitted.ends_with(TRUNCATION_MARKER));
    }

    fn kv(key: &str, value: Value) -> KeyValue {
        KeyValue {
            key: key.to_owned(),
            value: Some(AnyValue { value: Some(value) }),
            key_strindex: 0,
        }
    }

    fn text(kv: &KeyValue) -> &str {
        match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
            Some(Value::StringValue(s)) => s,
            other => panic!("not a string: {other:?}"),
        }
    }

    #[test]
    fn policies_parse_from_their_names_and_reject_others() {
        assert_eq!("full".parse(), Ok(ContentPolicy::Full));
        assert_eq!(" Truncate ".parse(), Ok(ContentPolicy::Truncate));
        assert_eq!("HASH".parse(), Ok(ContentPolicy::Hash));
        assert_eq!("drop".parse(), Ok(ContentPolicy::Drop));
        let e = "redact".parse::<ContentPolicy>().unwrap_err();
        assert!(e.to_string().contains("full, truncate, hash or drop"));
    }

    #[test]
    fn content_keys_are_recognised_and_metadata_keys_are_not() {
        for key in [
            "gen_ai.input.messages",
            "gen_ai.output.messages",
            "gen_ai.system_instructions",
            "gen_ai.tool.call.arguments",
            "gen_ai.tool.call.result",
            "gen_ai.prompt",
            "gen_ai.prompt.0.content",
            "gen_ai.completion.1.tool_calls.0.arguments",
            "traceloop.entity.input",
            "langfuse.observation.output",
        ] {
            assert!(is_content_key(key), "{key}");
        }
        for key in [
            "gen_ai.prompt.0.role",
            "gen_ai.prompt.name",
            "gen_ai.prompt.version",
            "gen_ai.completion.0.finish_reason",
            "gen_ai.request.model",
            "gen_ai.usage.input_tokens",
        ] {
            assert!(!is_content_key(key), "{key}");
        }
    }

    #[test]
    fn drop_removes_content_and_keeps_everything_else() {
        let mut attrs = vec![
            kv("gen_ai.input.messages", Value::StringValue("secret".into())),
            kv("gen_ai.request.model", Value::StringValue("gpt-4o".into())),
            kv(
                "gen_ai.prompt.0.content",
                Value::StringValue("secret".into()),
            ),
            kv("gen_ai.prompt.0.role", Value::StringValue("user".into())),
        ];
        ContentSettings::new(ContentPolicy::Drop).apply(&mut attrs);
        let keys: Vec<_> = attrs.iter().map(|kv| kv.key.as_str()).collect();
        assert_eq!(keys, ["gen_ai.request.model", "gen_ai.prompt.0.role"]);
    }

    #[test]
    fn hash_replaces_content_with_its_sha256() {
        let mut attrs = vec![kv(
            "gen_ai.output.messages",
            Value::StringValue("abc".into()),
        )];
        ContentSettings::new(ContentPolicy::Hash).apply(&mut attrs);
        assert_eq!(
            text(&attrs[0]),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn truncation_never_splits_a_character() {
        let s = "é".repeat(100); // two bytes each
        for max in 0..40 {
            let cut = truncate_utf8(&s, max);
            assert!(cut.len() <= max && cut.len().is_multiple_of(2));
            let marked = bounded(&s, max);
            assert!(marked.len() <= max, "{max}: {}", marked.len());
        }
        assert_eq!(bounded("short", 100), "short");
        assert!(bounded(&"x".repeat(100), 50).ends_with(TRUNCATION_MARKER));
    }

    #[test]
    fn every_string_attribute_is_bounded_by_the_maximum_length() {
        let mut attrs = vec![
            kv("app.note", Value::StringValue("n".repeat(500))),
            kv(
                "gen_ai.response.finish_reasons",
                Value::ArrayValue(ArrayValue {
                    values: vec![string_value("s".repeat(500))],
                }),
            ),
        ];
        ContentSettings::new(ContentPolicy::Full)
            .with_max_attribute_length(100)
            .apply(&mut attrs);
        assert!(text(&attrs[0]).len() <= 100);
        let Some(Value::ArrayValue(a)) = attrs[1].value.as_ref().unwrap().value.as_ref() else {
            panic!()
        };
        let Some(Value::StringValue(s)) = &a.values[0].value else {
            panic!()
        };
        assert!(s.len() <= 100);
    }

    #[test]
    fn full_content_is_sent_whole_up_to_the_maximum_attribute_length() {
        let fits = "x".repeat(16 * 1024);
        let mut attrs = vec![kv(
            "gen_ai.input.messages",
            Value::StringValue(fits.clone()),
        )];
        ContentSettings::new(ContentPolicy::Full).apply(&mut attrs);
        assert!(
            text(&attrs[0]) == fits,
            "content within the bound is unchanged"
        );

        let long = "é".repeat(50_000);
        let mut attrs = vec![kv("gen_ai.input.messages", Value::StringValue(long))];
        ContentSettings::new(ContentPolicy::Full).apply(&mut attrs);
        let sent = text(&attrs[0]);
        assert!(sent.len() <= 16 * 1024, "bounded: {} bytes", sent.len());
        assert!(sent.starts_with("éé"), "cut on a character boundary");
    }

    #[test]
    fn truncated_json_messages_stay_valid_json_within_the_bound() {
        let messages = serde_json::json!([
            {"role": "system", "parts": [{"type": "text", "content": "s".repeat(3000)}]},
            {"role": "user", "parts": [{"type": "text", "content": "u".repeat(5000)}]}
        ])
        .to_string();
        let mut attrs = vec![kv("gen_ai.input.messages", Value::StringValue(messages))];
        ContentSettings::new(ContentPolicy::Truncate)
            .with_max_attribute_length(1000)
            .apply(&mut attrs);
        let out = text(&attrs[0]);
        assert!(out.len() <= 1000, "{}", out.len());
        let parsed: serde_json::Value = serde_json::from_str(out).unwrap();
        assert_eq!(parsed[1]["role"], "user");
        assert!(
            parsed[1]["parts"][0]["content"]
                .as_str()
                .unwrap()
                .ends_with(TRUNCATION_MARKER)
        );
    }

    #[test]
    fn attributes_without_a_value_are_removed() {
        let mut attrs = vec![
            KeyValue {
                key: "empty".into(),
                value: None,
                key_strindex: 0,
            },
            KeyValue {
                key: "empty_any".into(),
                value: Some(AnyValue { value: None }),
                key_strindex: 0,
            },
            kv("kept", Value::IntValue(1)),
        ];
        ContentSettings::new(ContentPolicy::Full).apply(&mut attrs);
        assert_eq!(attrs.len(), 1);
        assert_eq!(attrs[0].key, "kept");
    }
}
