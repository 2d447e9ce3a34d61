//! The soak at test size (10 s of traffic, everything scaled down, debug build): the
//! harness and the application process run end to end, and the report's invariants hold:
//! every span sent reached each receiver or was counted as dropped, none twice, the
//! breakers opened during the scheduled outages and closed again, the RSS series is
//! there. Flatness is not asserted here (10 s of a debug build say nothing about it).

#![allow(clippy::unwrap_used, missing_docs)]

use std::path::PathBuf;

use genai_telemetry_bench::soak::schedule::FaultKind;
use genai_telemetry_bench::soak::{SoakOptions, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_soak_loses_nothing_unexplained_and_cycles_the_breakers() {
    let out_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("soak-test");
    let _ = std::fs::remove_dir_all(&out_dir);
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_genai-telemetry-bench"));
    let options = SoakOptions::seconds(10, out_dir.clone(), exe);
    let outcome = run(&options).await.unwrap();
    let r = &outcome.report;

    for file in ["soak.json", "soak.md", "soak.svg"] {
        let path = out_dir.join(file);
        assert!(
            std::fs::metadata(&path).unwrap().len() > 0,
            "{file} is empty"
        );
        assert!(outcome.files.contains(&path), "{file} not listed");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("soak.json")).unwrap()).unwrap();
    assert_eq!(json["destinations"].as_array().unwrap().len(), 2);

    // The RSS series: samples through the traffic and the drain, each with a reading.
    assert!(r.samples.len() >= 10, "{} samples", r.samples.len());
    assert!(r.samples.iter().all(|s| s.app.rss_bytes > 0));
    assert!(r.rss.samples > 0 && r.rss.start_mb > 0.0 && r.rss.after_drain_mb > 0.0);
    let produced = r.samples.last().unwrap().app.produced;
    assert!(produced > 100, "only {produced} calls");

    assert_eq!(r.schedules.len(), 2);
    for (d, schedule) in r.destinations.iter().zip(&r.schedules) {
        assert_eq!(d.destination, schedule.receiver);
        assert!(d.sent >= produced, "{}: sent {}", d.destination, d.sent);
        assert_eq!(d.unexplained_loss, 0, "{d:?}");
        assert_eq!(d.duplicates, 0, "{d:?}");
        assert_eq!(
            d.sent,
            d.delivered
                + d.dropped_overflow
                + d.dropped_queue_full
                + d.dropped_permanent
                + d.dropped_shutdown
        );
        // A scheduled outage of 2 s or more opens the breaker (5 failed exports, batches
        // every 200 ms, 100 ms backoff), and the drain closes it again.
        let outage = schedule
            .phases
            .iter()
            .any(|p| p.kind == FaultKind::Outage && p.seconds >= 2.0);
        if outage {
            assert!(d.breaker_opens >= 1, "{d:?}");
            assert!(d.breaker_closes >= 1, "{d:?}");
        }
        // Faults were injected: some exports failed and were retried.
        assert!(d.status_counts.keys().any(|s| *s >= 500), "{d:?}");
        assert!(d.retries > 0, "{d:?}");
    }
    assert!(outcome.markdown.contains("| langfuse |"));
    assert!(outcome.markdown.contains("| instana |"));
}
