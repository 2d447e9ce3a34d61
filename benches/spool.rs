//! Criterion benches of the disk spool (`TELEMETRY_SPOOL_DIR`), which works on the export
//! thread only while a destination cannot deliver (never on the application's thread).
//!
//! - `spool/append/{never,periodic,always}`: one record of a 48 KiB batch body (about a
//!   512-span Langfuse batch after gzip, see `encode/*`), written to the current segment
//!   under each fsync policy. `periodic` syncs at most once a second, `always` after every
//!   record (the figure then is mostly the disk's flush latency).
//! - `spool/deliver`: with a backlog of 1,000 records, read the head record back from its
//!   segment, check its CRC, and acknowledge it (cursor file rewritten by rename; a 16 MiB
//!   segment deleted when all its records are done), as a delivery during replay does.
//! - `spool/open_64MiB`: the startup scan of 64 MiB of segments (every record's checksum
//!   verified), as a restart after a long outage does.
//!
//! Files go to a directory under the system temp dir, removed afterwards.

#![allow(missing_docs, clippy::unwrap_used)]

use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use genai_telemetry_bridge::core::EncodedBatch;
use genai_telemetry_bridge::core::spool::FsyncPolicy;
use genai_telemetry_bridge::core::spool::bench_support::BenchSpool;

const BODY: usize = 48 * 1024;

fn batch() -> EncodedBatch {
    // Incompressible bytes, like a gzip body.
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let body: Vec<u8> = (0..BODY)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    EncodedBatch {
        body: Bytes::from(body),
        gzip: true,
        span_count: 512,
        raw_len: BODY * 15,
        traces: Arc::from(Vec::new()),
    }
}

fn dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gtb-spool-bench-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn spool_benches(c: &mut Criterion) {
    let batch = batch();
    let mut group = c.benchmark_group("spool");
    group.throughput(Throughput::Bytes(BODY as u64));
    for (name, policy) in [
        ("never", FsyncPolicy::Never),
        ("periodic", FsyncPolicy::Periodic),
        ("always", FsyncPolicy::Always),
    ] {
        let path = dir(name);
        let (mut spool, _) = BenchSpool::open(path.clone(), 1 << 30, policy).unwrap();
        group.bench_function(format!("append/{name}"), |b| {
            b.iter(|| spool.append(&batch).unwrap());
        });
        drop(spool);
        let _ = std::fs::remove_dir_all(&path);
    }

    let path = dir("deliver");
    let (spool, _) = BenchSpool::open(path.clone(), 1 << 30, FsyncPolicy::Never).unwrap();
    // A backlog, as after an outage: the segment being read is not the one being written.
    let mut spool = spool;
    for _ in 0..1_000 {
        spool.append(&batch).unwrap();
    }
    // Setup (untimed) appends, the routine delivers; both need the spool, one at a time.
    let spool = RefCell::new(spool);
    group.bench_function("deliver", |b| {
        b.iter_batched(
            || spool.borrow_mut().append(&batch).unwrap(),
            |_| spool.borrow_mut().deliver_head().unwrap(),
            BatchSize::SmallInput,
        );
    });
    drop(spool);
    let _ = std::fs::remove_dir_all(&path);

    let path = dir("open");
    {
        let (mut spool, _) = BenchSpool::open(path.clone(), 1 << 30, FsyncPolicy::Never).unwrap();
        for _ in 0..(64 * 1024 * 1024 / BODY) {
            spool.append(&batch).unwrap();
        }
    }
    group.throughput(Throughput::Bytes(64 * 1024 * 1024));
    group.sample_size(10);
    group.bench_function("open_64MiB", |b| {
        b.iter(|| {
            BenchSpool::open(path.clone(), 1 << 30, FsyncPolicy::Never)
                .unwrap()
                .1
        });
    });
    let _ = std::fs::remove_dir_all(&path);
    group.finish();
}

criterion_group!(benches, spool_benches);
criterion_main!(benches);
