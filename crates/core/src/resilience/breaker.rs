//! Per-destination circuit breaker: CLOSED → OPEN after N consecutive failed exports,
//! OPEN for a recovery window, HALF_OPEN lets one probe through.
//!
//! The breaker is a pure state machine: every method takes `now`, so tests drive it with
//! synthetic instants and the export worker drives it with the real clock.

use std::time::{Duration, Instant};

use serde::Serialize;

/// Circuit breaker settings (defaults: 5 failures, 30 s recovery, 5 min cap).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakerSettings {
    /// Consecutive failed exports that open the breaker.
    pub failure_threshold: u32,
    /// How long the breaker stays open before it lets a probe through.
    pub recovery_window: Duration,
    /// Upper bound for the recovery window, which doubles after each failed probe.
    pub max_recovery_window: Duration,
}

impl Default for BreakerSettings {
    fn default() -> Self {
        Self {
            failure_threshold: 5,
            recovery_window: Duration::from_secs(30),
            max_recovery_window: Duration::from_secs(300),
        }
    }
}

/// The three states of a circuit breaker, as reported in stats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    /// Exports flow normally.
    Closed,
    /// Exports are held in the replay buffer until the recovery window ends.
    Open,
    /// One probe export is allowed; its result closes or re-opens the breaker.
    HalfOpen,
}

impl BreakerState {
    /// Stable lower-case name (`closed`, `open`, `half_open`).
    pub fn as_str(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half_open",
        }
    }

    pub(crate) fn to_u8(self) -> u8 {
        match self {
            BreakerState::Closed => 0,
            BreakerState::Open => 1,
            BreakerState::HalfOpen => 2,
        }
    }

    pub(crate) fn from_u8(value: u8) -> Self {
        match value {
            1 => BreakerState::Open,
            2 => BreakerState::HalfOpen,
            _ => BreakerState::Closed,
        }
    }
}

/// A state change, returned so the caller can count and log it exactly once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// State before the change.
    pub from: BreakerState,
    /// State after the change.
    pub to: BreakerState,
}

/// Circuit breaker for one destination.
#[derive(Debug, Clone)]
pub struct CircuitBreaker {
    settings: BreakerSettings,
    state: BreakerState,
    consecutive_failures: u32,
    /// Window used for the current (or next) open period.
    window: Duration,
    open_until: Option<Instant>,
    probe_in_flight: bool,
}

impl CircuitBreaker {
    /// A closed breaker with the given settings.
    pub fn new(settings: BreakerSettings) -> Self {
        let window = settings.recovery_window;
        Self {
            settings,
            state: BreakerState::Closed,
            consecutive_failures: 0,
            window,
            open_until: None,
            probe_in_flight: false,
        }
    }

    /// Current state; an open breaker whose window has passed reports `HalfOpen`
    /// only once [`CircuitBreaker::try_acquire`] moved it there.
    pub fn state(&self) -> BreakerState {
        self.state
    }

    /// Consecutive failures counted while closed.
    pub fn consecutive_failures(&self) -> u32 {
        self.consecutive_failures
    }

    /// The recovery window the breaker uses for its current or next open period.
    pub fn recovery_window(&self) -> Duration {
        self.window
    }

    /// When an open breaker lets the next probe through.
    pub fn open_until(&self) -> Option<Instant> {
        match self.state {
            BreakerState::Open => self.open_until,
            _ => None,
        }
    }

    /// Asks to send one export now. Closed: always yes. Open: no until the window has
    /// passed, then the breaker turns half-open and lets exactly one probe through.
    /// Half-open: no while the probe is in flight.
    pub fn try_acquire(&mut self, now: Instant) -> (bool, Option<Transition>) {
        match self.state {
            BreakerState::Closed => (true, None),
            BreakerState::Open => match self.open_until {
                Some(until) if now < until => (false, None),
                _ => {
                    self.state = BreakerState::HalfOpen;
                    self.probe_in_flight = true;
                    (
                        true,
                        Some(Transition {
                            from: BreakerState::Open,
                            to: BreakerState::HalfOpen,
                        }),
                    )
                }
            },
            BreakerState::HalfOpen => {
                if self.probe_in_flight {
                    (false, None)
                } else {
                    self.probe_in_flight = true;
                    (true, None)
                }
            }
        }
    }

    /// Records a delivered export: closes the breaker and resets the window.
    pub fn record_success(&mut self) -> Option<Transition> {
        self.consecutive_failures = 0;
        self.probe_in_flight = false;
        self.window = self.settings.recovery_window;
        self.open_until = None;
        let from = self.state;
        self.state = BreakerState::Closed;
        (from != BreakerState::Closed).then_some(Transition {
            from,
            to: BreakerState::Closed,
        })
    }

    /// Records a failed export. Opens after `failure_threshold` consecutive failures;
    /// a failed probe re-opens with the window doubled, up to the cap.
    pub fn record_failure(&mut self, now: Instant) -> Option<Transition> {
        match self.state {
            BreakerState::Closed => {
                self.consecutive_failures = self.consecutive_failures.saturating_add(1);
                if self.consecutive_failures >= self.settings.failure_threshold.max(1) {
                    Some(self.open(now, BreakerState::Closed))
                } else {
                    None
                }
            }
            BreakerState::HalfOpen => {
                self.window = self
                    .window
                    .saturating_mul(2)
                    .min(self.settings.max_recovery_window);
                Some(self.open(now, BreakerState::HalfOpen))
            }
            // A late result from an export that started before the breaker opened.
            BreakerState::Open => None,
        }
    }

    /// Records an export the back end throttled (HTTP 429): the server is up and asked the
    /// sender to slow down, which the retry delay honours. Closed: the failure count is left
    /// as it is (a 429 neither proves nor disproves that exports succeed). Half-open: the
    /// probe got an answer, so the breaker closes. Open: a late result, ignored.
    pub fn record_throttled(&mut self) -> Option<Transition> {
        match self.state {
            BreakerState::Closed | BreakerState::Open => None,
            BreakerState::HalfOpen => self.record_success(),
        }
    }

    /// Opens the breaker at once, whatever the count (401/403: retrying cannot help
    /// until someone fixes the credentials, so probe only after the recovery window).
    pub fn force_open(&mut self, now: Instant) -> Option<Transition> {
        match self.state {
            BreakerState::Open => {
                self.open_until = Some(now + self.window);
                None
            }
            from => {
                if from == BreakerState::HalfOpen {
                    self.window = self
                        .window
                        .saturating_mul(2)
                        .min(self.settings.max_recovery_window);
                }
                Some(self.open(now, from))
            }
        }
    }

    /// Closes the breaker by hand (the diagnostics reset endpoint).
    pub fn reset(&mut self) -> Option<Transition> {
        self.record_success()
    }

    fn open(&mut self, now: Instant, from: BreakerState) -> Transition {
        self.state = BreakerState::Open;
        self.probe_in_flight = false;
        self.consecutive_failures = 0;
        self.open_until = Some(now + self.window);
        Transition {
            from,
            to: BreakerState::Open,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker() -> CircuitBreaker {
        CircuitBreaker::new(BreakerSettings::default())
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn breaker_opens_after_five_consecutive_failures() {
        let t0 = Instant::now();
        let mut b = breaker();
        for _ in 0..4 {
            assert_eq!(b.record_failure(t0), None);
            assert_eq!(b.state(), BreakerState::Closed);
        }
        let transition = b.record_failure(t0);
        assert_eq!(
            transition,
            Some(Transition {
                from: BreakerState::Closed,
                to: BreakerState::Open
            })
        );
        assert_eq!(b.open_until(), Some(t0 + secs(30)));
    }

    #[test]
    fn a_success_resets_the_consecutive_failure_count() {
        let t0 = Instant::now();
        let mut b = breaker();
        for _ in 0..4 {
            b.record_failure(t0);
        }
        assert_eq!(b.record_success(), None);
        for _ in 0..4 {
            b.record_failure(t0);
        }
        assert_eq!(b.state(), BreakerState::Closed);
    }

    #[test]
    fn throttling_neither_opens_the_breaker_nor_resets_its_failure_count() {
        let t0 = Instant::now();
        let mut b = breaker();
        for _ in 0..50 {
            assert_eq!(b.record_throttled(), None);
        }
        assert_eq!(b.state(), BreakerState::Closed);
        assert_eq!(b.consecutive_failures(), 0);
        for _ in 0..4 {
            b.record_failure(t0);
        }
        assert_eq!(b.record_throttled(), None);
        assert_eq!(b.consecutive_failures(), 4);
        assert_eq!(b.record_failure(t0).map(|t| t.to), Some(BreakerState::Open));
    }

    #[test]
    fn a_throttled_probe_closes_the_breaker_and_resets_the_window() {
        let t0 = Instant::now();
        let mut b = breaker();
        for _ in 0..5 {
            b.record_failure(t0);
        }
        assert!(b.try_acquire(t0 + secs(30)).0);
        assert_eq!(
            b.record_failure(t0 + secs(30)).map(|t| t.to),
            Some(BreakerState::Open)
        );
        assert_eq!(b.recovery_window(), secs(60));
        assert!(b.try_acquire(t0 + secs(90)).0);
        assert_eq!(
            b.record_throttled(),
            Some(Transition {
                from: BreakerState::HalfOpen,
                to: BreakerState::Closed
            })
        );
        assert_eq!(b.recovery_window(), secs(30));
        assert_eq!(b.open_until(), None);
    }

    #[test]
    fn open_breaker_refuses_until_the_recovery_window_passes_then_lets_one_probe() {
        let t0 = Instant::now();
        let mut b = breaker();
        for _ in 0..5 {
            b.record_failure(t0);
        }
        assert_eq!(b.try_acquire(t0 + secs(29)), (false, None));
        let (allowed, transition) = b.try_acquire(t0 + secs(30));
        assert!(allowed);
        assert_eq!(transition.map(|t| t.to), Some(BreakerState::HalfOpen));
        // Only one probe at a time.
        assert_eq!(b.try_acquire(t0 + secs(30)), (false, None));
    }

    #[test]
    fn successful_probe_closes_the_breaker_and_resets_the_window() {
        let t0 = Instant::now();
        let mut b = breaker();
        for _ in 0..5 {
            b.record_failure(t0);
        }
        b.try_acquire(t0 + secs(30));
        let transition = b.record_success();
        assert_eq!(
            transition,
            Some(Transition {
                from: BreakerState::HalfOpen,
                to: BreakerState::Closed
            })
        );
        assert_eq!(b.recovery_window(), secs(30));
        assert_eq!(b.try_acquire(t0 + secs(31)), (true, None));
    }

    #[test]
    fn failed_probe_reopens_with_the_window_doubled_up_to_the_cap() {
        let t0 = Instant::now();
        let mut b = breaker();
        for _ in 0..5 {
            b.record_failure(t0);
        }
        let mut now = t0;
        let mut expected = [60, 120, 240, 300, 300].into_iter();
        for _ in 0..5 {
            now = b.open_until().expect("breaker is open");
            assert!(b.try_acquire(now).0);
            let t = b.record_failure(now).expect("probe failure re-opens");
            assert_eq!((t.from, t.to), (BreakerState::HalfOpen, BreakerState::Open));
            let window = expected.next().expect("five expectations");
            assert_eq!(b.recovery_window(), secs(window));
            assert_eq!(b.open_until(), Some(now + secs(window)));
        }
        assert!(now > t0);
    }

    #[test]
    fn force_open_opens_a_closed_breaker_at_once() {
        let t0 = Instant::now();
        let mut b = breaker();
        let t = b.force_open(t0).expect("opens");
        assert_eq!((t.from, t.to), (BreakerState::Closed, BreakerState::Open));
        assert_eq!(b.try_acquire(t0 + secs(1)), (false, None));
    }

    #[test]
    fn late_failure_while_open_changes_nothing() {
        let t0 = Instant::now();
        let mut b = breaker();
        b.force_open(t0);
        assert_eq!(b.record_failure(t0 + secs(1)), None);
        assert_eq!(b.open_until(), Some(t0 + secs(30)));
    }

    #[test]
    fn custom_threshold_and_window_are_honoured() {
        let t0 = Instant::now();
        let mut b = CircuitBreaker::new(BreakerSettings {
            failure_threshold: 2,
            recovery_window: Duration::from_millis(100),
            max_recovery_window: Duration::from_millis(150),
        });
        b.record_failure(t0);
        assert!(b.record_failure(t0).is_some());
        let probe_at = t0 + Duration::from_millis(100);
        assert!(b.try_acquire(probe_at).0);
        b.record_failure(probe_at);
        assert_eq!(b.recovery_window(), Duration::from_millis(150));
    }
}
