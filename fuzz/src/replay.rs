//! Replays the kept inputs of a target (`fuzz/corpus/<target>/` and
//! `fuzz/regressions/<target>/`) through its check, on the stable toolchain: the normal
//! test suite includes this file.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

/// Runs `check` on every file kept for `target` under `fuzz_dir`; returns how many ran.
/// Panics naming every input whose check failed, and when the seed corpus is missing (a
/// replay of nothing must not pass).
pub fn replay(fuzz_dir: &Path, target: &str, check: fn(&[u8])) -> usize {
    let mut ran = 0;
    let mut failed = Vec::new();
    for kind in ["corpus", "regressions"] {
        let dir = fuzz_dir.join(kind).join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            assert!(kind != "corpus", "no seed corpus at {}", dir.display());
            continue;
        };
        let mut paths: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != ".gitkeep"))
            .collect();
        paths.sort();
        for path in paths {
            let Ok(data) = std::fs::read(&path) else {
                failed.push(format!("{}: unreadable", path.display()));
                continue;
            };
            ran += 1;
            if let Err(panic) = catch_unwind(AssertUnwindSafe(|| check(&data))) {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                failed.push(format!("{}: {message}", path.display()));
            }
        }
    }
    assert!(
        failed.is_empty(),
        "{target}: {} inputs failed:\n{}",
        failed.len(),
        failed.join("\n")
    );
    assert!(ran > 0, "{target}: nothing to replay");
    ran
}
