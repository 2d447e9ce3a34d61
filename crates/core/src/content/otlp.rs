//! Reading and rewriting OTLP attribute lists, the vocabulary destination views are
//! written in: typed getters that tolerate the value shapes real instrumentations send.

use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, ArrayValue, KeyValue};

/// An attribute.
pub fn kv(key: impl Into<String>, value: Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
        key_strindex: 0,
    }
}

/// A string value.
pub fn string(s: impl Into<String>) -> Value {
    Value::StringValue(s.into())
}

/// An array of strings.
pub fn string_array<I, S>(items: I) -> Value
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    Value::ArrayValue(ArrayValue {
        values: items
            .into_iter()
            .map(|s| AnyValue {
                value: Some(Value::StringValue(s.into())),
            })
            .collect(),
    })
}

/// The value of the first attribute named `key`.
pub fn get<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a Value> {
    attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|v| v.value.as_ref())
}

/// A string attribute (`None` for other types and empty strings).
pub fn get_str<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a str> {
    match get(attributes, key)? {
        Value::StringValue(s) if !s.trim().is_empty() => Some(s.as_str()),
        _ => None,
    }
}

/// An integer attribute, also read from an integral double or a numeric string.
pub fn get_i64(attributes: &[KeyValue], key: &str) -> Option<i64> {
    value_as_i64(get(attributes, key)?)
}

/// A number attribute (integer, double or numeric string) as `f64`.
pub fn get_f64(attributes: &[KeyValue], key: &str) -> Option<f64> {
    value_as_f64(get(attributes, key)?)
}

/// A boolean attribute, also read from `"true"` / `"false"`.
pub fn get_bool(attributes: &[KeyValue], key: &str) -> Option<bool> {
    match get(attributes, key)? {
        Value::BoolValue(b) => Some(*b),
        Value::StringValue(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// A value as an integer: ints, doubles without a fractional part, numeric strings.
pub fn value_as_i64(value: &Value) -> Option<i64> {
    match value {
        Value::IntValue(i) => Some(*i),
        Value::DoubleValue(d) if d.is_finite() && d.fract() == 0.0 => {
            // The range check makes the cast exact.
            (*d >= i64::MIN as f64 && *d <= i64::MAX as f64).then_some(*d as i64)
        }
        Value::StringValue(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A value as a finite `f64`: ints, doubles, numeric strings.
pub fn value_as_f64(value: &Value) -> Option<f64> {
    let v = match value {
        #[allow(clippy::cast_precision_loss)]
        Value::IntValue(i) => *i as f64,
        Value::DoubleValue(d) => *d,
        Value::StringValue(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    v.is_finite().then_some(v)
}

/// The strings of a string or string-array attribute.
pub fn get_strings(attributes: &[KeyValue], key: &str) -> Vec<String> {
    match get(attributes, key) {
        Some(Value::StringValue(s)) => vec![s.clone()],
        Some(Value::ArrayValue(a)) => a
            .values
            .iter()
            .filter_map(|v| match &v.value {
                Some(Value::StringValue(s)) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Sets `key` to `value`: replaces the first attribute of that name (removing any
/// duplicates), or appends one.
pub fn set(attributes: &mut Vec<KeyValue>, key: &str, value: Value) {
    let mut seen = false;
    attributes.retain_mut(|kv| {
        if kv.key != key {
            return true;
        }
        if seen {
            return false;
        }
        seen = true;
        kv.value = Some(AnyValue {
            value: Some(value.clone()),
        });
        true
    });
    if !seen {
        attributes.push(kv(key, value));
    }
}

/// Sets `key` only when no attribute of that name has a value yet.
pub fn set_if_absent(attributes: &mut Vec<KeyValue>, key: &str, value: Value) {
    if get(attributes, key).is_none() {
        set(attributes, key, value);
    }
}

/// Removes every attribute named `key` and returns the first one's value.
pub fn take(attributes: &mut Vec<KeyValue>, key: &str) -> Option<Value> {
    let mut found = None;
    attributes.retain_mut(|kv| {
        if kv.key != key {
            return true;
        }
        if found.is_none() {
            found = kv.value.take().and_then(|v| v.value);
        }
        false
    });
    found
}

/// Removes every attribute whose key matches `predicate`.
pub fn remove_where(attributes: &mut Vec<KeyValue>, mut predicate: impl FnMut(&str) -> bool) {
    attributes.retain(|kv| !predicate(&kv.key));
}

/// Whether the value is a map, or an array holding a map or another array: shapes that
/// not every back end reads (Langfuse stringifies them as protobuf JSON).
pub fn is_structured(value: &Value) -> bool {
    match value {
        Value::KvlistValue(_) => true,
        Value::ArrayValue(a) => a.values.iter().any(|v| {
            matches!(
                v.value,
                Some(Value::KvlistValue(_)) | Some(Value::ArrayValue(_))
            )
        }),
        _ => false,
    }
}

/// Rewrites maps (and arrays of maps or arrays) as JSON strings, in place.
pub fn structured_to_json(attributes: &mut [KeyValue]) {
    for kv in attributes {
        if let Some(value) = kv.value.as_mut()
            && value.value.as_ref().is_some_and(is_structured)
        {
            let json = super::any_value_to_json(Some(value)).to_string();
            value.value = Some(Value::StringValue(json));
        }
    }
}
