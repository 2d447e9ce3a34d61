//! Resilience per destination: the circuit breaker and the retry policy.
//! Both are plain state and arithmetic, driven by the export worker.

mod breaker;
mod retry;

pub use breaker::{BreakerSettings, BreakerState, CircuitBreaker, Transition};
pub use retry::{ExportOutcome, RetrySettings, parse_retry_after};
