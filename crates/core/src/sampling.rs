//! Head sampling: `TELEMETRY_SAMPLE_RATE` as the SDK's parent-based trace-id ratio sampler,
//! so a trace is kept or dropped whole and a remote parent's decision is honoured.

use opentelemetry_sdk::trace::Sampler;

/// The sampler for a rate in [0, 1]: always-on at 1, always-off at 0, else parent-based
/// trace-id ratio.
pub fn sampler_for_rate(rate: f64) -> Sampler {
    let root = if rate >= 1.0 {
        Sampler::AlwaysOn
    } else if rate <= 0.0 {
        Sampler::AlwaysOff
    } else {
        Sampler::TraceIdRatioBased(rate)
    };
    Sampler::ParentBased(Box::new(root))
}
