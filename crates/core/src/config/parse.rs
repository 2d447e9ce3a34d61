//! Value parsers shared by the environment reader and the builder: booleans, durations,
//! sizes, URLs and `key=value` lists, each returning a problem text and a fix on failure.

use std::time::Duration;

/// A parse failure: what is wrong and how to fix it.
pub(crate) struct Invalid {
    pub(crate) problem: String,
    pub(crate) fix: String,
}

impl Invalid {
    fn new(problem: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            problem: problem.into(),
            fix: fix.into(),
        }
    }
}

pub(crate) fn parse_bool(raw: &str) -> Result<bool, Invalid> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(Invalid::new(
            format!("{raw:?} is not a boolean"),
            "use true or false (1/0, yes/no and on/off are accepted too)",
        )),
    }
}

/// `250ms`, `30s`, `5m`, `1h 30m`, or a bare integer meaning milliseconds (the
/// OpenTelemetry convention for `OTEL_*_TIMEOUT`).
pub(crate) fn parse_duration(raw: &str) -> Result<Duration, Invalid> {
    let trimmed = raw.trim();
    if let Ok(ms) = trimmed.parse::<u64>() {
        return Ok(Duration::from_millis(ms));
    }
    humantime::parse_duration(trimmed).map_err(|e| {
        Invalid::new(
            format!("{raw:?} is not a duration ({e})"),
            "use a duration such as 500ms, 30s or 5m (a bare number means milliseconds)",
        )
    })
}

pub(crate) fn parse_count(raw: &str) -> Result<usize, Invalid> {
    match raw.trim().replace('_', "").parse::<usize>() {
        Ok(0) => Err(Invalid::new(
            "must be greater than zero",
            "use a positive whole number",
        )),
        Ok(n) => Ok(n),
        Err(_) => Err(Invalid::new(
            format!("{raw:?} is not a whole number"),
            "use a positive whole number such as 2048",
        )),
    }
}

/// Bytes: a whole number, optionally with KiB/MiB/GiB (or KB/MB/GB, read as powers of 1024
/// too: these are buffer bounds, not disk sizes).
pub(crate) fn parse_bytes(raw: &str) -> Result<usize, Invalid> {
    let s = raw.trim().replace('_', "");
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let multiplier: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1024,
        "m" | "mb" | "mib" => 1024 * 1024,
        "g" | "gb" | "gib" => 1024 * 1024 * 1024,
        _ => {
            return Err(Invalid::new(
                format!("{raw:?} has an unknown unit"),
                "use bytes, or a number with KiB, MiB or GiB such as 64MiB",
            ));
        }
    };
    let n: usize = digits.parse().map_err(|_| {
        Invalid::new(
            format!("{raw:?} is not a size"),
            "use bytes, or a number with KiB, MiB or GiB such as 64MiB",
        )
    })?;
    match n.checked_mul(multiplier) {
        Some(0) => Err(Invalid::new(
            "must be greater than zero",
            "use a positive size such as 64MiB",
        )),
        Some(v) => Ok(v),
        None => Err(Invalid::new(
            format!("{raw:?} is too large"),
            "use a smaller size",
        )),
    }
}

pub(crate) fn parse_content_policy(raw: &str) -> Result<crate::content::ContentPolicy, Invalid> {
    raw.parse().map_err(|_| {
        Invalid::new(
            format!("{raw:?} is not a content policy"),
            "use full, truncate, hash or drop",
        )
    })
}

pub(crate) fn parse_sample_rate(raw: &str) -> Result<f64, Invalid> {
    let rate: f64 = raw.trim().parse().map_err(|_| {
        Invalid::new(
            format!("{raw:?} is not a number"),
            "use a number between 0.0 and 1.0, e.g. 0.1 to keep one trace in ten",
        )
    })?;
    check_sample_rate(rate)
}

pub(crate) fn check_sample_rate(rate: f64) -> Result<f64, Invalid> {
    if rate.is_finite() && (0.0..=1.0).contains(&rate) {
        Ok(rate)
    } else {
        Err(Invalid::new(
            format!("{rate} is outside [0, 1]"),
            "use a number between 0.0 (keep none) and 1.0 (keep all)",
        ))
    }
}

/// A USD amount for `TELEMETRY_TAIL_KEEP_COST_ABOVE`: a number, or `off`/`none` (rule
/// off, `Ok(None)`).
pub(crate) fn parse_cost_threshold(raw: &str) -> Result<Option<f64>, Invalid> {
    let trimmed = raw.trim().trim_start_matches('$');
    if is_off(trimmed) {
        return Ok(None);
    }
    let usd: f64 = trimmed.parse().map_err(|_| {
        Invalid::new(
            format!("{raw:?} is not an amount of USD"),
            "use a number of US dollars such as 0.05, or off to turn the rule off",
        )
    })?;
    check_cost(usd).map(Some)
}

pub(crate) fn check_cost(usd: f64) -> Result<f64, Invalid> {
    if usd.is_finite() && usd >= 0.0 {
        Ok(usd)
    } else {
        Err(Invalid::new(
            format!("{usd} is not a non-negative amount"),
            "use a number of US dollars such as 0.05 (0 keeps every trace that cost anything)",
        ))
    }
}

/// A duration for `TELEMETRY_TAIL_KEEP_SLOWER_THAN`, or `off`/`none` (`Ok(None)`).
pub(crate) fn parse_optional_duration(raw: &str) -> Result<Option<Duration>, Invalid> {
    if is_off(raw.trim()) {
        return Ok(None);
    }
    parse_duration(raw).map(Some).map_err(|e| Invalid {
        fix: format!("{}, or off to turn the rule off", e.fix),
        ..e
    })
}

fn is_off(raw: &str) -> bool {
    matches!(raw.to_ascii_lowercase().as_str(), "off" | "none" | "false")
}

/// An http(s) URL with a host.
pub(crate) fn parse_http_url(raw: &str, example: &str) -> Result<url::Url, Invalid> {
    let fix = format!("use a full http:// or https:// URL such as {example}");
    let url = url::Url::parse(raw.trim())
        .map_err(|e| Invalid::new(format!("{raw:?} is not a URL ({e})"), fix.clone()))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(Invalid::new(
            format!(
                "scheme {:?} is not supported (only http and https)",
                url.scheme()
            ),
            fix,
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Invalid::new(format!("{raw:?} has no host"), fix));
    }
    Ok(url)
}

/// `key1=value1,key2=value2` as used by `OTEL_EXPORTER_OTLP_HEADERS` and
/// `OTEL_RESOURCE_ATTRIBUTES`; keys and values are percent-decoded (W3C Baggage style).
pub(crate) fn parse_key_values(raw: &str) -> Result<Vec<(String, String)>, Invalid> {
    let mut out = Vec::new();
    for item in raw.split(',') {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let Some((k, v)) = item.split_once('=') else {
            return Err(Invalid::new(
                format!("entry {:?} has no '='", redact_value(item)),
                "write entries as key=value separated by commas",
            ));
        };
        let key = decode(k.trim());
        if key.is_empty() {
            return Err(Invalid::new(
                "an entry has an empty key",
                "write entries as key=value separated by commas",
            ));
        }
        out.push((key, decode(v.trim())));
    }
    Ok(out)
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// For problems about values that may hold a secret: show only the part before `=`.
fn redact_value(item: &str) -> String {
    if item.len() > 12 {
        format!("{}…", item.chars().take(6).collect::<String>())
    } else {
        item.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_accept_common_spellings_and_reject_others() {
        for t in ["true", "TRUE", "1", "yes", "on"] {
            assert!(parse_bool(t).ok() == Some(true), "{t}");
        }
        for f in ["false", "0", "No", "off"] {
            assert!(parse_bool(f).ok() == Some(false), "{f}");
        }
        assert!(parse_bool("maybe").is_err());
    }

    #[test]
    fn durations_take_units_or_bare_milliseconds() {
        assert_eq!(parse_duration("30s").ok(), Some(Duration::from_secs(30)));
        assert_eq!(
            parse_duration("250ms").ok(),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            parse_duration("1500").ok(),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(parse_duration("5m").ok(), Some(Duration::from_secs(300)));
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn sizes_take_binary_units() {
        assert_eq!(parse_bytes("64MiB").ok(), Some(64 << 20));
        assert_eq!(parse_bytes("512 KiB").ok(), Some(512 << 10));
        assert_eq!(parse_bytes("1000").ok(), Some(1000));
        assert!(parse_bytes("12 parsecs").is_err());
        assert!(parse_bytes("0").is_err());
    }

    #[test]
    fn key_values_are_split_trimmed_and_percent_decoded() {
        let kv = parse_key_values("a=1, b = two%20words ,c=x=y").ok();
        assert_eq!(
            kv,
            Some(vec![
                ("a".into(), "1".into()),
                ("b".into(), "two words".into()),
                ("c".into(), "x=y".into()),
            ])
        );
        assert!(parse_key_values("novalue").is_err());
    }

    #[test]
    fn urls_must_be_http_with_a_host() {
        assert!(parse_http_url("https://cloud.langfuse.com", "x").is_ok());
        assert!(parse_http_url("ftp://example.com", "x").is_err());
        assert!(parse_http_url("localhost:4318", "x").is_err());
        assert!(parse_http_url("not a url", "x").is_err());
    }
}
