//! Retry policy: exponential backoff with jitter, `Retry-After`, and the classification of
//! HTTP answers into delivered / transient / throttled / permanent / unauthorized / too large.

use std::time::{Duration, SystemTime};

/// Backoff settings for re-sending a batch that failed transiently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySettings {
    /// Delay before the first retry.
    pub initial_backoff: Duration,
    /// Upper bound of the exponential backoff.
    pub max_backoff: Duration,
    /// Upper bound applied to a server's `Retry-After`.
    pub max_retry_after: Duration,
}

impl Default for RetrySettings {
    fn default() -> Self {
        Self {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(300),
        }
    }
}

impl RetrySettings {
    /// Delay before retry number `attempt` (1 for the first retry): exponential, capped,
    /// with "equal jitter" (between half and all of the step) so that many processes
    /// recovering together do not retry in lockstep.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = attempt.saturating_sub(1).min(20);
        let step = self
            .initial_backoff
            .saturating_mul(1u32 << exp)
            .min(self.max_backoff);
        let half = step / 2;
        half + step.saturating_sub(half).mul_f64(fastrand::f64())
    }

    /// The delay to wait after a transient failure: the backoff, or the server's
    /// `Retry-After` when that is longer (capped by `max_retry_after`).
    pub fn delay_after(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let backoff = self.backoff(attempt);
        match retry_after {
            Some(server) => backoff.max(server.min(self.max_retry_after)),
            None => backoff,
        }
    }
}

/// What one export attempt came to, as the pipeline needs to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportOutcome {
    /// 2xx: the back end accepted the batch. It is never sent again.
    Delivered,
    /// 408, 5xx, timeouts, connection and TLS errors: hold and retry later. Counts towards
    /// opening the circuit breaker.
    Transient {
        /// What went wrong, for stats and logs.
        reason: String,
        /// The server's `Retry-After`, when it sent one.
        retry_after: Option<Duration>,
    },
    /// 429 (gRPC `RESOURCE_EXHAUSTED`): the back end is up and asks the sender to slow down.
    /// Held and retried after `Retry-After` (or the backoff), but not a failure of the
    /// back end: it does not count towards opening the circuit breaker, and a half-open
    /// breaker's probe answered this way closes it (the server answered).
    Throttled {
        /// What the server said, for stats and logs.
        reason: String,
        /// The server's `Retry-After`, when it sent one.
        retry_after: Option<Duration>,
    },
    /// 400, 422 and other 4xx: the payload will never be accepted; dropped and counted.
    Rejected {
        /// HTTP status.
        status: u16,
        /// What went wrong, including the server's error text.
        reason: String,
    },
    /// 413: the request was too large; the pipeline splits the batch and retries halves.
    TooLarge {
        /// What went wrong.
        reason: String,
    },
    /// 401/403: credentials refused; the breaker opens at once and the batch is held.
    Unauthorized {
        /// HTTP status.
        status: u16,
        /// What went wrong, including the server's error text.
        reason: String,
    },
}

impl ExportOutcome {
    /// Classifies an HTTP answer. `body` is the start of the response body, kept in the
    /// reason so that a 400's explanation (Langfuse names the broken contract) is visible.
    pub fn from_http(status: u16, retry_after: Option<&str>, body: &str, now: SystemTime) -> Self {
        let reason = describe(status, body);
        match status {
            200..=299 => ExportOutcome::Delivered,
            401 | 403 => ExportOutcome::Unauthorized { status, reason },
            413 => ExportOutcome::TooLarge { reason },
            429 => ExportOutcome::Throttled {
                reason,
                retry_after: retry_after.and_then(|v| parse_retry_after(v, now)),
            },
            408 | 500..=599 => ExportOutcome::Transient {
                reason,
                retry_after: retry_after.and_then(|v| parse_retry_after(v, now)),
            },
            _ => ExportOutcome::Rejected { status, reason },
        }
    }

    /// Short label used in logs and failure records.
    pub fn label(&self) -> &'static str {
        match self {
            ExportOutcome::Delivered => "delivered",
            ExportOutcome::Transient { .. } => "transient",
            ExportOutcome::Throttled { .. } => "throttled",
            ExportOutcome::Rejected { .. } => "rejected",
            ExportOutcome::TooLarge { .. } => "too_large",
            ExportOutcome::Unauthorized { .. } => "unauthorized",
        }
    }
}

fn describe(status: u16, body: &str) -> String {
    let reason = http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    let body = body.trim();
    if body.is_empty() {
        format!("HTTP {status} {reason}")
    } else {
        // Bounded so that a proxy's HTML error page does not flood stats.
        let shown: String = body.chars().take(300).collect();
        format!("HTTP {status} {reason}: {shown}")
    }
}

/// Parses `Retry-After` as delay-seconds or as an HTTP-date (RFC 9110 §10.2.3).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_exponentially_within_jitter_bounds_and_is_capped() {
        let s = RetrySettings::default();
        for attempt in 1..=10 {
            let step = Duration::from_millis(100)
                .saturating_mul(1 << (attempt - 1))
                .min(Duration::from_secs(5));
            for _ in 0..50 {
                let d = s.backoff(attempt);
                assert!(d >= step / 2 && d <= step, "attempt {attempt}: {d:?}");
            }
        }
    }

    #[test]
    fn retry_after_longer_than_backoff_wins_and_is_capped() {
        let s = RetrySettings::default();
        assert_eq!(
            s.delay_after(1, Some(Duration::from_secs(7))),
            Duration::from_secs(7)
        );
        assert_eq!(
            s.delay_after(1, Some(Duration::from_secs(10_000))),
            Duration::from_secs(300)
        );
    }

    #[test]
    fn retry_after_parses_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(42));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(42))
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn status_classes_follow_the_resilience_model() {
        let now = SystemTime::now();
        let class = |s: u16| ExportOutcome::from_http(s, None, "", now).label();
        assert_eq!(class(200), "delivered");
        assert_eq!(class(204), "delivered");
        for s in [400, 404, 415, 422] {
            assert_eq!(class(s), "rejected", "{s}");
        }
        assert_eq!(class(413), "too_large");
        assert_eq!(class(401), "unauthorized");
        assert_eq!(class(403), "unauthorized");
        for s in [408, 500, 502, 503, 504] {
            assert_eq!(class(s), "transient", "{s}");
        }
        assert_eq!(class(429), "throttled");
    }

    #[test]
    fn rejected_reason_keeps_the_servers_error_text() {
        let outcome = ExportOutcome::from_http(
            400,
            None,
            r#"{"error":"Invalid span id"}"#,
            SystemTime::now(),
        );
        match outcome {
            ExportOutcome::Rejected { status, reason } => {
                assert_eq!(status, 400);
                assert!(reason.contains("Invalid span id"), "{reason}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_429_is_throttling_and_carries_its_retry_after() {
        let outcome = ExportOutcome::from_http(429, Some("2"), "", SystemTime::now());
        assert_eq!(
            outcome,
            ExportOutcome::Throttled {
                reason: "HTTP 429 Too Many Requests".into(),
                retry_after: Some(Duration::from_secs(2)),
            }
        );
    }
}
