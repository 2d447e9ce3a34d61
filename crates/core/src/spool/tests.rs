use std::sync::atomic::{AtomicU32, Ordering};

use super::*;

/// A fresh directory under the system temp dir, removed when dropped. (Five lines do not
/// justify the `tempfile` crate's dependency tree.)
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "gtb-spool-unit-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn batch(tag: u8, spans: u32, len: usize) -> EncodedBatch {
    EncodedBatch {
        body: Bytes::from(vec![tag; len]),
        gzip: tag.is_multiple_of(2),
        span_count: spans,
        raw_len: len * 4,
        traces: Arc::from(vec![([tag; 16], spans)]),
    }
}

fn open(dir: &Path, max: u64) -> (DestinationSpool, Recovered) {
    DestinationSpool::open(dir.to_path_buf(), max, FsyncPolicy::Never).expect("open spool")
}

fn segment_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "seg"))
        .collect();
    files.sort();
    files
}

/// Reads the head back and acknowledges it, returning its body's first byte (the tag).
fn deliver_head(spool: &mut DestinationSpool) -> Option<(u8, u32)> {
    let head = spool.head()?.clone();
    let batch = spool.read(&head).expect("read head");
    spool.acknowledge(head.seq).expect("ack");
    Some((batch.body[0], batch.span_count))
}

#[test]
fn batches_come_back_in_order_with_their_bytes_and_metadata() {
    let tmp = TempDir::new();
    let (mut spool, recovered) = open(&tmp.0, 1 << 20);
    assert_eq!(recovered, Recovered::default());
    for tag in 1..=3u8 {
        assert!(
            spool
                .append(&batch(tag, u32::from(tag) * 10, 100))
                .expect("append")
                .is_empty()
        );
    }
    assert_eq!((spool.len(), spool.spans()), (3, 60));
    let head = spool.head().expect("head").clone();
    let read = spool.read(&head).expect("read");
    assert_eq!(read.body, Bytes::from(vec![1u8; 100]));
    assert_eq!((read.gzip, read.span_count, read.raw_len), (false, 10, 400));
    assert_eq!(read.traces.as_ref(), &[([1u8; 16], 10)]);
    spool.acknowledge(head.seq).expect("ack");
    assert_eq!(deliver_head(&mut spool), Some((2, 20)));
    assert_eq!(deliver_head(&mut spool), Some((3, 30)));
    assert!(spool.is_empty());
    assert_eq!(spool.bytes(), 0);
    assert!(
        segment_files(&tmp.0).is_empty(),
        "delivered records are removed"
    );
}

#[test]
fn a_reopened_spool_replays_only_what_was_not_delivered() {
    let tmp = TempDir::new();
    {
        let (mut spool, _) = open(&tmp.0, 1 << 20);
        for tag in 1..=4u8 {
            spool.append(&batch(tag, 5, 64)).expect("append");
        }
        assert_eq!(deliver_head(&mut spool), Some((1, 5)));
    }
    let (mut spool, recovered) = open(&tmp.0, 1 << 20);
    assert_eq!(
        recovered,
        Recovered {
            batches: 3,
            spans: 15,
            damaged: 0
        }
    );
    // New records continue after the old ones and are delivered after them.
    spool.append(&batch(9, 1, 64)).expect("append");
    let order: Vec<u8> = std::iter::from_fn(|| deliver_head(&mut spool).map(|(t, _)| t)).collect();
    assert_eq!(order, vec![2, 3, 4, 9]);
    assert!(segment_files(&tmp.0).is_empty());
}

#[test]
fn a_torn_record_is_skipped_and_counted_and_the_next_run_writes_a_new_segment() {
    let tmp = TempDir::new();
    {
        let (mut spool, _) = open(&tmp.0, 1 << 20);
        for tag in 1..=3u8 {
            spool.append(&batch(tag, 2, 200)).expect("append");
        }
    }
    let files = segment_files(&tmp.0);
    assert_eq!(files.len(), 1);
    // Cut the last record in half, as a kill in the middle of a write would.
    let len = fs::metadata(&files[0]).expect("meta").len();
    OpenOptions::new()
        .write(true)
        .open(&files[0])
        .expect("open")
        .set_len(len - 100)
        .expect("truncate");

    let (mut spool, recovered) = open(&tmp.0, 1 << 20);
    assert_eq!((recovered.batches, recovered.damaged), (2, 1));
    spool.append(&batch(7, 2, 200)).expect("append");
    assert_eq!(
        segment_files(&tmp.0).len(),
        2,
        "never appends after a torn record"
    );
    let order: Vec<u8> = std::iter::from_fn(|| deliver_head(&mut spool).map(|(t, _)| t)).collect();
    assert_eq!(order, vec![1, 2, 7]);
}

#[test]
fn a_record_corrupted_on_disk_costs_that_record_only() {
    let tmp = TempDir::new();
    {
        let (mut spool, _) = open(&tmp.0, 1 << 20);
        for tag in 1..=3u8 {
            spool.append(&batch(tag, 1, 50)).expect("append");
        }
    }
    let files = segment_files(&tmp.0);
    let mut bytes = fs::read(&files[0]).expect("read");
    let record_len = bytes.len() / 3;
    bytes[record_len + record_len / 2] ^= 0xff;
    fs::write(&files[0], &bytes).expect("write");
    let (mut spool, recovered) = open(&tmp.0, 1 << 20);
    assert_eq!((recovered.batches, recovered.damaged), (2, 1));
    let order: Vec<u8> = std::iter::from_fn(|| deliver_head(&mut spool).map(|(t, _)| t)).collect();
    assert_eq!(order, vec![1, 3]);
}

#[test]
fn damage_after_indexing_is_reported_as_invalid_data() {
    let tmp = TempDir::new();
    let (mut spool, _) = open(&tmp.0, 1 << 20);
    spool.append(&batch(1, 1, 50)).expect("append");
    let file = segment_files(&tmp.0).remove(0);
    let mut bytes = fs::read(&file).expect("read");
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    fs::write(&file, &bytes).expect("write");
    let head = spool.head().expect("head").clone();
    let err = spool.read(&head).expect_err("damaged");
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    spool.acknowledge(head.seq).expect("skip it");
    assert!(spool.is_empty());
}

#[test]
fn past_the_bound_the_oldest_segment_is_evicted_and_returned() {
    let tmp = TempDir::new();
    // 64 KiB segments (the minimum) and a 256 KiB bound: about four segments fit.
    let (mut spool, _) = open(&tmp.0, 256 * 1024);
    let mut evicted = Vec::new();
    for i in 0..40u32 {
        evicted.extend(
            spool
                .append(&batch((i % 250) as u8, 3, 16 * 1024))
                .expect("append"),
        );
        assert!(spool.bytes() <= 256 * 1024, "bound held after {i} appends");
    }
    assert!(!evicted.is_empty());
    // The oldest go first, whole segments at a time, and the survivors are the newest.
    let evicted_seqs: Vec<u64> = evicted.iter().map(|b| b.seq).collect();
    assert_eq!(evicted_seqs, (1..=evicted.len() as u64).collect::<Vec<_>>());
    assert_eq!(spool.len() + evicted.len(), 40);
    assert_eq!(spool.spans(), 3 * spool.len() as u64);
    assert_eq!(spool.head().map(|b| b.seq), Some(evicted.len() as u64 + 1));
    drop(spool);
    let (_, recovered) = open(&tmp.0, 256 * 1024);
    assert_eq!(recovered.batches as usize, 40 - evicted.len());
}

#[test]
fn a_damaged_cursor_replays_everything_rather_than_losing_anything() {
    let tmp = TempDir::new();
    {
        let (mut spool, _) = open(&tmp.0, 1 << 20);
        for tag in 1..=3u8 {
            spool.append(&batch(tag, 1, 50)).expect("append");
        }
        deliver_head(&mut spool);
    }
    fs::write(tmp.0.join(CURSOR_FILE), b"garbage").expect("write");
    let (_, recovered) = open(&tmp.0, 1 << 20);
    assert_eq!(recovered.batches, 3);
}

#[test]
fn a_second_holder_of_the_directory_gets_an_error_naming_the_variable() {
    let tmp = TempDir::new();
    let first = SpoolLock::acquire(&tmp.0).expect("first lock");
    let err = SpoolLock::acquire(&tmp.0).expect_err("second lock must fail");
    let text = err.to_string();
    assert!(text.starts_with("TELEMETRY_SPOOL_DIR="), "{text}");
    assert!(text.contains("in use by another process"), "{text}");
    assert!(
        text.contains(&format!("pid {}", std::process::id())),
        "{text}"
    );
    drop(first);
    SpoolLock::acquire(&tmp.0).expect("free again once the holder is gone");
}

#[test]
fn an_unusable_directory_is_a_clear_error() {
    let tmp = TempDir::new();
    fs::create_dir_all(&tmp.0).expect("mkdir");
    let file = tmp.0.join("not-a-dir");
    fs::write(&file, b"x").expect("write");
    let err = SpoolLock::acquire(&file.join("spool")).expect_err("parent is a file");
    assert!(
        err.to_string().contains("cannot create the directory"),
        "{err}"
    );
}

#[test]
fn destination_names_become_safe_directory_names() {
    let settings = SpoolSettings::new("/var/spool/app");
    assert_eq!(
        settings.destination_dir("langfuse"),
        PathBuf::from("/var/spool/app/langfuse")
    );
    assert_eq!(
        settings.destination_dir("../otlp gw"),
        PathBuf::from("/var/spool/app/___otlp_gw")
    );
}

#[test]
fn fsync_policies_parse() {
    assert_eq!(FsyncPolicy::parse(" Always "), Some(FsyncPolicy::Always));
    assert_eq!(FsyncPolicy::parse("periodic"), Some(FsyncPolicy::Periodic));
    assert_eq!(FsyncPolicy::parse("never"), Some(FsyncPolicy::Never));
    assert_eq!(FsyncPolicy::parse("sometimes"), None);
}
