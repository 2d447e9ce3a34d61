//! The bench end to end at smoke size: every phase runs against the loopback back ends,
//! every file is written, `report.json` has exactly the schema printed in
//! `docs/benchmarks.md`, and its figures are what ran. Targets are not asserted here (a
//! debug build under a test harness says nothing about them): timing goals live in the
//! bench itself.

#![allow(clippy::unwrap_used, missing_docs)]

use std::path::PathBuf;

use genai_telemetry_bench::options::BenchOptions;
use genai_telemetry_bench::report::Report;
use serde_json::Value;

/// The report schema as documented: the first ```json block of docs/benchmarks.md.
fn documented_schema() -> Value {
    let doc = include_str!("../../../docs/benchmarks.md");
    let start = doc
        .find("```json\n")
        .expect("docs/benchmarks.md has a json block")
        + 8;
    let end = start + doc[start..].find("```").unwrap();
    serde_json::from_str(&doc[start..end]).unwrap()
}

/// Same keys at every level, and a number wherever the documentation has one.
fn assert_same_shape(documented: &Value, written: &Value, path: &str) {
    match (documented, written) {
        (Value::Object(d), Value::Object(w)) => {
            let dk: Vec<&String> = d.keys().collect();
            let wk: Vec<&String> = w.keys().collect();
            assert_eq!(dk, wk, "keys of {path}");
            for (k, v) in d {
                assert_same_shape(v, &w[k], &format!("{path}.{k}"));
            }
        }
        (Value::Number(_), Value::Number(_)) | (Value::String(_), Value::String(_)) => {}
        (d, w) => panic!("{path}: documented {d}, written {w}"),
    }
}

/// Equal values, numbers within a relative 1e-9.
fn assert_same_figures(a: &Value, b: &Value, path: &str) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            assert_eq!(x.len(), y.len(), "{path}");
            for (k, v) in x {
                assert_same_figures(v, &y[k], &format!("{path}.{k}"));
            }
        }
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!(
                (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0),
                "{path}: {x} vs {y}"
            );
        }
        (x, y) => assert_eq!(x, y, "{path}"),
    }
}

fn out_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "genai-telemetry-bench-smoke-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_smoke_run_measures_every_phase_and_writes_the_report_in_the_documented_schema() {
    let dir = out_dir();
    let options = BenchOptions::smoke(dir.clone());
    let outcome = genai_telemetry_bench::run(&options).await.unwrap();

    // Files.
    let mut expected = vec![
        "report.json".to_owned(),
        "report.md".to_owned(),
        "details.json".to_owned(),
    ];
    for mode in [
        "baseline",
        "langfuse",
        "instana",
        "dual",
        "dual_backends_down",
    ] {
        expected.push(format!("latency-{mode}.svg"));
    }
    for name in &expected {
        let path = dir.join(name);
        assert!(outcome.files.contains(&path), "{name} reported as written");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.is_empty(), "{name} is empty");
        if name.ends_with(".svg") {
            assert!(
                text.contains("<svg") && text.contains("<rect"),
                "{name} is a drawn SVG"
            );
        }
    }

    // Schema: exactly the documented keys, and it reads back into the typed report.
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    assert_same_shape(&documented_schema(), &written, "report");
    let typed: Report = serde_json::from_value(written.clone()).unwrap();
    // serde_json reads floats back to within an ulp or so, not always bit for bit.
    assert_same_figures(&serde_json::to_value(&typed).unwrap(), &written, "report");
    assert_same_figures(
        &serde_json::to_value(&outcome.report).unwrap(),
        &written,
        "report",
    );

    // Figures are what ran.
    let r = &outcome.report;
    assert!(r.machine.cpus >= 1);
    for (mode, median) in [
        ("baseline", r.latency.baseline.median_us),
        ("langfuse", r.latency.langfuse.median_us),
        ("instana", r.latency.instana.median_us),
        ("dual", r.latency.dual.median_us),
        ("down", r.latency.dual_backends_down.median_us),
    ] {
        assert!(median.is_finite() && median > 0.0, "{mode} median {median}");
    }
    assert!(r.latency.dual.p99_us >= r.latency.dual.median_us);
    assert_eq!(r.memory.traces, options.memory_traces);
    assert!(r.memory.outage_held_mb.is_finite());
    for (name, d) in [
        ("langfuse", &r.reliability.langfuse),
        ("instana", &r.reliability.instana),
    ] {
        assert!(d.sent > 0, "{name}: traffic was produced");
        assert_eq!(
            d.delivered, d.sent,
            "{name}: everything produced was decoded"
        );
        assert_eq!(d.lost, 0, "{name}");
        assert_eq!(d.duplicates, 0, "{name}");
        assert!(d.retries > 0, "{name}: the injected faults caused retries");
    }
    assert!(r.throughput.dual_spans_per_sec > 0.0);

    // The markdown has the original figures beside ours and a verdict per target.
    let md = &outcome.markdown;
    assert!(md.contains("11.94 ms") && md.contains("13.06 ms"), "{md}");
    assert_eq!(
        md.matches("| met |").count() + md.matches("| **NOT MET** |").count(),
        r.verdicts().len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
