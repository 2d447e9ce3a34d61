//! Runtime-adjustable fault injection.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::watch;

/// Seed used until [`Faults::set_seed`] is called.
const DEFAULT_SEED: u64 = 0x5EED_0F0B_1A5E_D00D;

/// A canned answer queued with [`Faults::respond_next`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptedResponse {
    /// HTTP status code (an invalid code is sent as 500).
    pub status: u16,
    /// Value of the `Retry-After` response header, if any.
    pub retry_after: Option<String>,
    /// Response body (sent as `text/plain`).
    pub body: String,
}

impl ScriptedResponse {
    /// A response with `status`, no `Retry-After` and an empty body.
    pub fn status(status: u16) -> Self {
        Self {
            status,
            retry_after: None,
            body: String::new(),
        }
    }

    /// Sets the `Retry-After` header value (e.g. `"1"` or an HTTP date).
    pub fn retry_after(mut self, v: &str) -> Self {
        self.retry_after = Some(v.to_owned());
        self
    }

    /// Sets the response body.
    pub fn body(mut self, b: &str) -> Self {
        b.clone_into(&mut self.body);
        self
    }
}

/// SplitMix64: tiny, fast, deterministic and fine with any seed (including 0). The
/// receivers' fault draws and the soak's fault schedule use it, so that a seed repeats a run
/// exactly, independent of any random-number crate's versions.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        // 53 random mantissa bits; the casts are exact.
        #[allow(clippy::cast_precision_loss)]
        let v = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        v
    }
}

#[derive(Debug)]
struct FaultState {
    failure_ratio: f64,
    failure_status: u16,
    rng: SplitMix64,
    outage: bool,
    outage_until: Option<Instant>,
    latency: Duration,
    scripted: VecDeque<ScriptedResponse>,
    throttle_ratio: f64,
    throttle_retry_after: String,
}

impl FaultState {
    fn new() -> Self {
        Self {
            failure_ratio: 0.0,
            failure_status: 503,
            rng: SplitMix64(DEFAULT_SEED),
            outage: false,
            outage_until: None,
            latency: Duration::ZERO,
            scripted: VecDeque::new(),
            throttle_ratio: 0.0,
            throttle_retry_after: String::new(),
        }
    }
}

/// Fault injection shared between a test and its running [`OtlpReceiver`](crate::OtlpReceiver).
///
/// Every method takes `&self` and is thread-safe; changes apply to requests
/// that reach the corresponding check after the call.
#[derive(Debug)]
pub struct Faults {
    state: Mutex<FaultState>,
    hang: watch::Sender<bool>,
}

/// What the fault checks decided for one request (after hang and latency).
#[derive(Debug)]
pub(crate) enum Injected {
    /// Outage: 503 "outage".
    Outage,
    /// Failure ratio hit: answer with this status.
    Failure(u16),
    /// Throttle ratio hit: 429 with this `Retry-After` value.
    Throttle(String),
}

impl Faults {
    pub(crate) fn new() -> Self {
        Self {
            state: Mutex::new(FaultState::new()),
            hang: watch::Sender::new(false),
        }
    }

    fn lock(&self) -> MutexGuard<'_, FaultState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Answers that fraction (`0.0..=1.0`) of requests reaching the fault checks with `status`
    /// (e.g. 503) instead of processing them.
    ///
    /// Which requests fail is decided by a seeded PRNG (see [`Faults::set_seed`]), so the
    /// same seed and the same sequence of requests give the same statuses. A ratio of 0
    /// (or NaN) disables this fault; values above 1 are treated as 1.
    pub fn set_failure_ratio(&self, ratio: f64, status: u16) {
        let mut s = self.lock();
        s.failure_ratio = if ratio.is_nan() {
            0.0
        } else {
            ratio.clamp(0.0, 1.0)
        };
        s.failure_status = status;
    }

    /// Answers that fraction (`0.0..=1.0`) of the requests that passed the failure-ratio
    /// check with `429 Too Many Requests` and `Retry-After: {retry_after}` (e.g. `"1"`),
    /// as a rate-limiting back end does. Drawn from the same seeded PRNG as
    /// [`set_failure_ratio`](Faults::set_failure_ratio). A ratio of 0 (or NaN) disables it.
    pub fn set_throttle_ratio(&self, ratio: f64, retry_after: &str) {
        let mut s = self.lock();
        s.throttle_ratio = if ratio.is_nan() {
            0.0
        } else {
            ratio.clamp(0.0, 1.0)
        };
        retry_after.clone_into(&mut s.throttle_retry_after);
    }

    /// Restarts the failure-ratio PRNG from `seed`.
    pub fn set_seed(&self, seed: u64) {
        self.lock().rng = SplitMix64(seed);
    }

    /// While `down`, every request (after scripted responses, hang and latency) gets
    /// 503 with body `outage`. `set_outage(false)` also ends an [`outage_for`](Faults::outage_for) window.
    pub fn set_outage(&self, down: bool) {
        let mut s = self.lock();
        s.outage = down;
        s.outage_until = None;
    }

    /// Starts an outage now that ends by itself after `d`.
    pub fn outage_for(&self, d: Duration) {
        let mut s = self.lock();
        s.outage = false;
        s.outage_until = Instant::now().checked_add(d);
        if s.outage_until.is_none() {
            // `d` too large to represent: simply stay down.
            s.outage = true;
        }
    }

    /// Delays every response that reaches the fault checks by `d` (`Duration::ZERO` disables).
    pub fn set_latency(&self, d: Duration) {
        self.lock().latency = d;
    }

    /// While on, requests reaching the fault checks get no answer; they wait until hang
    /// is switched off (then they are processed normally) or the server stops.
    pub fn set_hang(&self, hang: bool) {
        self.hang.send_replace(hang);
    }

    /// The next `n` requests on the traces path get `response` instead of normal
    /// processing (queued FIFO after anything already queued; checked before every
    /// other fault and before header/body validation). Their spans are not counted.
    pub fn respond_next(&self, n: usize, response: ScriptedResponse) {
        let mut s = self.lock();
        s.scripted.extend(std::iter::repeat_n(response, n));
    }

    /// Removes every fault: failure ratio, throttling, outage, latency, hang (releasing
    /// waiting requests) and queued scripted responses. The PRNG position is kept.
    pub fn clear(&self) {
        {
            let mut s = self.lock();
            s.failure_ratio = 0.0;
            s.throttle_ratio = 0.0;
            s.outage = false;
            s.outage_until = None;
            s.latency = Duration::ZERO;
            s.scripted.clear();
        }
        self.set_hang(false);
    }

    pub(crate) fn next_scripted(&self) -> Option<ScriptedResponse> {
        self.lock().scripted.pop_front()
    }

    pub(crate) async fn wait_while_hung(&self) {
        let mut rx = self.hang.subscribe();
        // The sender lives as long as `self`, so this only returns once hang is off.
        let released = rx.wait_for(|hung| !*hung).await.is_ok();
        if !released {
            tracing::warn!("hang switch dropped while a request was waiting");
        }
    }

    pub(crate) fn latency(&self) -> Duration {
        self.lock().latency
    }

    /// Outage, failure-ratio and throttle checks, in that order.
    pub(crate) fn check(&self) -> Option<Injected> {
        let mut s = self.lock();
        if let Some(until) = s.outage_until {
            if Instant::now() < until {
                return Some(Injected::Outage);
            }
            s.outage_until = None;
        }
        if s.outage {
            return Some(Injected::Outage);
        }
        if s.failure_ratio > 0.0 && s.rng.next_f64() < s.failure_ratio {
            return Some(Injected::Failure(s.failure_status));
        }
        if s.throttle_ratio > 0.0 && s.rng.next_f64() < s.throttle_ratio {
            return Some(Injected::Throttle(s.throttle_retry_after.clone()));
        }
        None
    }
}
