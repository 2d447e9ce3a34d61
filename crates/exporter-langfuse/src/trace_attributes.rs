//! Trace-level Langfuse attributes (user, session, trace name, tags, metadata, environment,
//! release, version) gathered per trace, and a bounded LRU that remembers them for later batches.

use std::collections::{BTreeMap, HashMap, VecDeque};

use genai_telemetry_core::content::otlp;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::common::v1::any_value::Value;

/// Default number of traces whose trace-level attributes are remembered.
pub const DEFAULT_TRACE_CACHE_CAPACITY: usize = 4096;

/// Canonical trace-level keys and the aliases they are read from, in priority order.
/// The aliases in [`REPLACED_ALIASES`] are removed from spans bound for Langfuse; the
/// others (`gen_ai.conversation.id`, `genai_telemetry.workflow.name`) mean more than the
/// trace-level key and stay.
pub(crate) const TRACE_KEYS: &[(&str, &[&str])] = &[
    ("langfuse.user.id", &["langfuse.user.id", "user.id"]),
    (
        "langfuse.session.id",
        &[
            "langfuse.session.id",
            "session.id",
            "gen_ai.conversation.id",
        ],
    ),
    (
        "langfuse.trace.name",
        &["langfuse.trace.name", "genai_telemetry.workflow.name"],
    ),
    (
        "langfuse.trace.tags",
        &["langfuse.trace.tags", "langfuse.tags"],
    ),
    (
        "langfuse.trace.public",
        &["langfuse.trace.public", "langfuse.public"],
    ),
    ("langfuse.environment", &["langfuse.environment"]),
    ("langfuse.release", &["langfuse.release"]),
    ("langfuse.version", &["langfuse.version"]),
];

/// Aliases replaced by their canonical key on spans bound for Langfuse.
pub(crate) const REPLACED_ALIASES: &[&str] =
    &["user.id", "session.id", "langfuse.tags", "langfuse.public"];

/// Prefix of per-key trace metadata.
pub(crate) const TRACE_METADATA_PREFIX: &str = "langfuse.trace.metadata.";
/// Trace metadata as one JSON object.
pub(crate) const TRACE_METADATA: &str = "langfuse.trace.metadata";

/// The trace-level attributes of one trace: canonical key → value, in key order.
pub(crate) type TraceAttributes = BTreeMap<String, Value>;

/// Reads the trace-level attributes a span carries, in canonical form.
pub(crate) fn read(attributes: &[KeyValue]) -> TraceAttributes {
    let mut out = TraceAttributes::new();
    for (canonical, aliases) in TRACE_KEYS {
        let value = aliases.iter().find_map(|alias| {
            let value = otlp::get(attributes, alias)?;
            normalise(canonical, value)
        });
        if let Some(value) = value {
            out.insert((*canonical).to_owned(), value);
        }
    }
    if let Some(Value::StringValue(json)) = otlp::get(attributes, TRACE_METADATA)
        && let Ok(serde_json::Value::Object(map)) = serde_json::from_str(json)
    {
        for (k, v) in map {
            let value = match v {
                serde_json::Value::String(s) => Value::StringValue(s),
                serde_json::Value::Bool(b) => Value::BoolValue(b),
                serde_json::Value::Number(n) => match n.as_i64() {
                    Some(i) => Value::IntValue(i),
                    None => Value::DoubleValue(n.as_f64().unwrap_or_default()),
                },
                serde_json::Value::Null => continue,
                other => Value::StringValue(other.to_string()),
            };
            out.insert(format!("{TRACE_METADATA_PREFIX}{k}"), value);
        }
    }
    for kv in attributes {
        if kv.key.len() > TRACE_METADATA_PREFIX.len()
            && kv.key.starts_with(TRACE_METADATA_PREFIX)
            && let Some(value) = kv.value.as_ref().and_then(|v| v.value.clone())
        {
            out.insert(kv.key.clone(), value);
        }
    }
    out
}

/// The value in the form Langfuse reads best, or `None` when it is empty or unusable.
fn normalise(canonical: &str, value: &Value) -> Option<Value> {
    match canonical {
        "langfuse.trace.tags" => {
            let tags: Vec<String> = match value {
                Value::ArrayValue(a) => a
                    .values
                    .iter()
                    .filter_map(|v| match &v.value {
                        Some(Value::StringValue(s)) => Some(s.trim().to_owned()),
                        _ => None,
                    })
                    .collect(),
                Value::StringValue(s) => {
                    let s = s.trim();
                    match serde_json::from_str::<Vec<String>>(s) {
                        Ok(list) => list,
                        Err(_) => s.split(',').map(|t| t.trim().to_owned()).collect(),
                    }
                }
                _ => Vec::new(),
            };
            let tags: Vec<String> = tags.into_iter().filter(|t| !t.is_empty()).collect();
            (!tags.is_empty()).then(|| otlp::string_array(tags))
        }
        "langfuse.trace.public" => match value {
            Value::BoolValue(b) => Some(Value::BoolValue(*b)),
            Value::StringValue(s) => match s.trim() {
                "true" => Some(Value::BoolValue(true)),
                "false" => Some(Value::BoolValue(false)),
                _ => None,
            },
            _ => None,
        },
        _ => match value {
            Value::StringValue(s) if s.trim().is_empty() => None,
            Value::StringValue(s) => Some(Value::StringValue(s.clone())),
            Value::IntValue(i) => Some(Value::StringValue(i.to_string())),
            _ => None,
        },
    }
}

/// A small LRU of trace id → trace-level attributes, so that spans of a trace exported in
/// a later batch than the span that carried the attributes get them too. Bounded by a
/// number of traces; only traces that have trace-level attributes take a slot.
#[derive(Debug)]
pub(crate) struct TraceAttributeCache {
    capacity: usize,
    entries: HashMap<[u8; 16], (TraceAttributes, u64)>,
    /// Recency order with lazy deletion: an entry is current when its tick matches.
    order: VecDeque<([u8; 16], u64)>,
    tick: u64,
}

impl TraceAttributeCache {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: HashMap::new(),
            order: VecDeque::new(),
            tick: 0,
        }
    }

    /// Merges what a batch found for a trace with what earlier batches found (the
    /// batch wins on conflicts), remembers the result, and returns it.
    pub(crate) fn merge(&mut self, trace_id: [u8; 16], found: TraceAttributes) -> TraceAttributes {
        if self.capacity == 0 {
            return found;
        }
        let mut merged = self
            .entries
            .get(&trace_id)
            .map(|(attrs, _)| attrs.clone())
            .unwrap_or_default();
        if merged.is_empty() && found.is_empty() {
            return merged;
        }
        merged.extend(found);
        self.tick += 1;
        self.entries.insert(trace_id, (merged.clone(), self.tick));
        self.order.push_back((trace_id, self.tick));
        self.evict();
        merged
    }

    fn evict(&mut self) {
        while self.entries.len() > self.capacity {
            let Some((id, tick)) = self.order.pop_front() else {
                break;
            };
            if self.entries.get(&id).is_some_and(|(_, t)| *t == tick) {
                self.entries.remove(&id);
            }
        }
        if self.order.len() > self.capacity.saturating_mul(4).max(64) {
            let entries = &self.entries;
            self.order
                .retain(|(id, tick)| entries.get(id).is_some_and(|(_, t)| t == tick));
        }
    }

    /// Number of traces remembered.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(user: &str) -> TraceAttributes {
        let mut a = TraceAttributes::new();
        a.insert(
            "langfuse.user.id".to_owned(),
            Value::StringValue(user.to_owned()),
        );
        a
    }

    #[test]
    fn the_cache_keeps_the_most_recently_used_traces_within_its_capacity() {
        let mut cache = TraceAttributeCache::new(2);
        cache.merge([1; 16], attrs("a"));
        cache.merge([2; 16], attrs("b"));
        // Touch trace 1 again, then add a third: trace 2 is the least recently used.
        cache.merge([1; 16], TraceAttributes::new());
        cache.merge([3; 16], attrs("c"));
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.merge([2; 16], TraceAttributes::new()).len(), 0);
        assert_eq!(
            cache
                .merge([1; 16], TraceAttributes::new())
                .get("langfuse.user.id"),
            Some(&Value::StringValue("a".into()))
        );
    }

    #[test]
    fn a_later_batch_adds_to_and_overrides_what_an_earlier_one_found() {
        let mut cache = TraceAttributeCache::new(8);
        cache.merge([1; 16], attrs("a"));
        let mut later = TraceAttributes::new();
        later.insert(
            "langfuse.session.id".to_owned(),
            Value::StringValue("s".into()),
        );
        let merged = cache.merge([1; 16], later);
        assert_eq!(merged.len(), 2);
    }

    #[test]
    fn tags_are_read_from_arrays_json_and_comma_lists() {
        for value in [
            otlp::string_array(["a", "b"]),
            Value::StringValue(r#"["a","b"]"#.into()),
            Value::StringValue("a, b".into()),
        ] {
            let read = read(&[otlp::kv("langfuse.tags", value)]);
            assert_eq!(
                read.get("langfuse.trace.tags"),
                Some(&otlp::string_array(["a", "b"]))
            );
        }
    }
}
