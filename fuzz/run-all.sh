#!/usr/bin/env bash
# Runs every target once, one job each, with the seed corpus: `fuzz/run-all.sh [seconds]`.
# Needs a nightly toolchain and cargo-fuzz (see README.md). Logs land in fuzz/target-logs/.
set -u
cd "$(dirname "$0")"
secs="${1:-240}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}" CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
mkdir -p target-logs
for t in $(cargo +nightly fuzz list); do
  # A scratch corpus dir: new inputs stay out of git until `cargo fuzz cmin` merges them.
  mkdir -p "corpus-new/$t"
  cargo +nightly fuzz run "$t" "corpus-new/$t" "corpus/$t" -- \
    -max_total_time="$secs" -rss_limit_mb=2048 -print_final_stats=1 \
    > "target-logs/$t.log" 2>&1
  echo "$t exit $?" | tee -a target-logs/summary.txt
done
