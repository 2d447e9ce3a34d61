//! The disk spool: batches a destination cannot deliver now are written to append-only
//! segment files, and replayed oldest first on recovery and after a restart.
//!
//! Layout under `TELEMETRY_SPOOL_DIR`:
//!
//! ```text
//! spool.lock                     held (flock) by the one process using this directory
//! <destination>/00000000000000000001.seg   records, oldest segment first (name = first seq)
//! <destination>/cursor           highest seq delivered or dropped (u64 LE + CRC-32)
//! ```
//!
//! Records ([`record`]) carry a length and a checksum. Delivery is in order, so "delivered"
//! is one number per destination, the cursor; a segment whose records are all at or below
//! the cursor is deleted. A process killed mid-write leaves at worst a torn record at a
//! segment's end: the reader skips and counts it, and the next process writes a new segment
//! instead of appending after it. A record in flight when the process died is sent again
//! (at-least-once): that batch is the only possible duplicate.
//!
//! All spool I/O runs on the export thread, never on the application's.

pub mod record;

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde::Serialize;

use crate::destination::EncodedBatch;
use crate::error::BridgeError;
use record::RecordMeta;

/// The variable that turns the spool on; named in every spool error.
pub const SPOOL_DIR_VARIABLE: &str = "TELEMETRY_SPOOL_DIR";

/// Default bound of the whole spool on disk.
pub const DEFAULT_SPOOL_MAX_BYTES: u64 = 512 * 1024 * 1024;

const CURSOR_FILE: &str = "cursor";
const LOCK_FILE: &str = "spool.lock";
const SEGMENT_SUFFIX: &str = ".seg";
/// How often [`FsyncPolicy::Periodic`] syncs while records are being written.
const PERIODIC_SYNC: Duration = Duration::from_secs(1);

/// When the spool asks the OS to put written bytes on the disk (`fsync`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FsyncPolicy {
    /// After every record and cursor update: survives power loss, costs a disk flush per
    /// batch.
    Always,
    /// At most once a second while writing, and at shutdown. A killed process loses
    /// nothing (its writes are in the OS's page cache); a power cut may lose the last
    /// second.
    #[default]
    Periodic,
    /// Never; the OS writes back in its own time. Survives a killed process, not a power cut.
    Never,
}

impl FsyncPolicy {
    /// Parses `always`, `periodic` or `never` (case-insensitive).
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "always" => Some(Self::Always),
            "periodic" => Some(Self::Periodic),
            "never" => Some(Self::Never),
            _ => None,
        }
    }
}

/// Where and how the spool keeps undeliverable batches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpoolSettings {
    /// The spool directory (created if missing). One process per directory.
    pub dir: PathBuf,
    /// Bound of the whole spool on disk, shared equally by the destinations; past it the
    /// oldest segment is dropped and its spans counted as `overflow`.
    pub max_bytes: u64,
    /// When written records are forced to disk.
    pub fsync: FsyncPolicy,
}

impl SpoolSettings {
    /// A spool in `dir` with the default bound and fsync policy.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            max_bytes: DEFAULT_SPOOL_MAX_BYTES,
            fsync: FsyncPolicy::default(),
        }
    }

    /// The directory of one destination's segments.
    pub(crate) fn destination_dir(&self, destination: &str) -> PathBuf {
        let safe: String = destination
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.dir.join(safe)
    }
}

fn spool_error(dir: &Path, message: impl Into<String>) -> BridgeError {
    BridgeError::Spool {
        variable: SPOOL_DIR_VARIABLE,
        dir: dir.to_path_buf(),
        message: message.into(),
    }
}

/// The lock that makes a spool directory one process's own. Released when dropped, or by
/// the OS when the process dies (it is an advisory `flock`, not a stale-prone pid file).
#[derive(Debug)]
pub struct SpoolLock {
    _file: File,
    dir: PathBuf,
}

impl SpoolLock {
    /// Creates the directory if needed and takes its lock. A second process (or a second
    /// pipeline in this process) gets an error naming `TELEMETRY_SPOOL_DIR` and the holder.
    pub fn acquire(dir: &Path) -> Result<Self, BridgeError> {
        fs::create_dir_all(dir)
            .map_err(|e| spool_error(dir, format!("cannot create the directory: {e}")))?;
        let path = dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| spool_error(dir, format!("cannot open {}: {e}", path.display())))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                let who = if holder.is_empty() {
                    "another process".to_owned()
                } else {
                    format!("another process ({holder})")
                };
                return Err(spool_error(
                    dir,
                    format!("is in use by {who}; give every process its own spool directory"),
                ));
            }
            Err(TryLockError::Error(e)) => {
                return Err(spool_error(
                    dir,
                    format!("cannot lock {}: {e}", path.display()),
                ));
            }
        }
        // Who holds it, for the error above (informational only: the flock is the lock).
        let _ = file.set_len(0);
        let _ = file.write_all(format!("pid {}", std::process::id()).as_bytes());
        Ok(Self {
            _file: file,
            dir: dir.to_path_buf(),
        })
    }

    /// The locked directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// One record still to deliver, as the spool indexes it (the body stays on disk).
#[derive(Debug, Clone)]
pub(crate) struct SpooledBatch {
    pub(crate) seq: u64,
    segment: u64,
    offset: u64,
    len: usize,
    pub(crate) span_count: u32,
    /// Trace ids of the batch when this process wrote it (empty for records recovered
    /// from an earlier run), for the diagnostics ledger.
    pub(crate) traces: Arc<[([u8; 16], u32)]>,
}

#[derive(Debug)]
struct Segment {
    first_seq: u64,
    path: PathBuf,
    bytes: u64,
    last_seq: Option<u64>,
}

/// What opening a destination's spool found from earlier runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Recovered {
    pub(crate) batches: u64,
    pub(crate) spans: u64,
    pub(crate) damaged: u64,
}

/// One destination's part of the spool.
#[derive(Debug)]
pub(crate) struct DestinationSpool {
    dir: PathBuf,
    max_bytes: u64,
    segment_bytes: u64,
    fsync: FsyncPolicy,
    segments: VecDeque<Segment>,
    pending: VecDeque<SpooledBatch>,
    /// Open for appending to the last segment.
    writer: Option<File>,
    /// The segment last read from, kept open.
    reader: Option<(u64, File)>,
    next_seq: u64,
    /// Every record with a seq at or below it is delivered or dropped.
    cursor: u64,
    bytes: u64,
    spans: u64,
    last_sync: Instant,
    unsynced: bool,
    scratch: Vec<u8>,
}

impl DestinationSpool {
    /// Opens (creating if needed) a destination's spool directory and indexes the records
    /// earlier runs left undelivered. Damaged records are skipped and counted.
    pub(crate) fn open(
        dir: PathBuf,
        max_bytes: u64,
        fsync: FsyncPolicy,
    ) -> io::Result<(Self, Recovered)> {
        fs::create_dir_all(&dir)?;
        let cursor = read_cursor(&dir.join(CURSOR_FILE));
        let mut names: Vec<(u64, PathBuf)> = fs::read_dir(&dir)?
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let first = name.strip_suffix(SEGMENT_SUFFIX)?.parse::<u64>().ok()?;
                Some((first, e.path()))
            })
            .collect();
        names.sort_unstable_by_key(|(first, _)| *first);

        let mut spool = Self {
            dir,
            max_bytes: max_bytes.max(1),
            segment_bytes: (max_bytes / 8).clamp(64 * 1024, 16 * 1024 * 1024),
            fsync,
            segments: VecDeque::new(),
            pending: VecDeque::new(),
            writer: None,
            reader: None,
            next_seq: cursor + 1,
            cursor,
            bytes: 0,
            spans: 0,
            last_sync: Instant::now(),
            unsynced: false,
            scratch: Vec::new(),
        };
        let mut recovered = Recovered::default();
        for (first_seq, path) in names {
            let bytes = fs::read(&path)?;
            let scan = record::scan(&bytes);
            recovered.damaged += u64::from(scan.damaged);
            let mut last_seq = None;
            for r in &scan.records {
                last_seq = Some(last_seq.map_or(r.meta.seq, |l: u64| l.max(r.meta.seq)));
                spool.next_seq = spool.next_seq.max(r.meta.seq + 1);
                if r.meta.seq <= cursor {
                    continue;
                }
                recovered.batches += 1;
                recovered.spans += u64::from(r.meta.span_count);
                spool.spans += u64::from(r.meta.span_count);
                spool.pending.push_back(SpooledBatch {
                    seq: r.meta.seq,
                    segment: first_seq,
                    offset: r.offset as u64,
                    len: r.len,
                    span_count: r.meta.span_count,
                    traces: Arc::from(Vec::new()),
                });
            }
            if last_seq.is_none_or(|l| l <= cursor) {
                // Nothing left to deliver in it (all delivered, or nothing readable).
                fs::remove_file(&path)?;
                continue;
            }
            spool.bytes += bytes.len() as u64;
            spool.segments.push_back(Segment {
                first_seq,
                path,
                bytes: bytes.len() as u64,
                last_seq,
            });
        }
        // Records are delivered in seq order whatever segment they sit in.
        spool
            .pending
            .make_contiguous()
            .sort_unstable_by_key(|b| b.seq);
        Ok((spool, recovered))
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.pending.len()
    }

    /// Spans in records still to deliver.
    pub(crate) fn spans(&self) -> u64 {
        self.spans
    }

    /// Bytes of segment files on disk.
    pub(crate) fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The oldest record still to deliver.
    pub(crate) fn head(&self) -> Option<&SpooledBatch> {
        self.pending.front()
    }

    /// Whether this record is still spooled (not delivered, dropped or evicted).
    pub(crate) fn holds(&self, seq: u64) -> bool {
        seq > self.cursor
    }

    /// Appends a batch as one record. Returns the batches evicted (oldest segments first)
    /// to stay within the bound; their spans are lost and must be counted by the caller.
    pub(crate) fn append(&mut self, batch: &EncodedBatch) -> io::Result<Vec<SpooledBatch>> {
        let len = record::encoded_len(batch.body.len()).ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "batch too large for a record")
        })?;
        if self
            .segments
            .back()
            .is_some_and(|s| s.bytes + len as u64 > self.segment_bytes)
        {
            self.close_writer()?;
        }
        let evicted = self.make_room(len as u64)?;
        if self.writer.is_none() {
            let first_seq = self.next_seq;
            let path = self.dir.join(format!("{first_seq:020}{SEGMENT_SUFFIX}"));
            let file = OpenOptions::new()
                .create_new(true)
                .append(true)
                .open(&path)?;
            self.segments.push_back(Segment {
                first_seq,
                path,
                bytes: 0,
                last_seq: None,
            });
            self.writer = Some(file);
        }
        let seq = self.next_seq;
        self.scratch.clear();
        record::encode(
            &RecordMeta {
                seq,
                gzip: batch.gzip,
                span_count: batch.span_count,
                raw_len: batch.raw_len as u64,
            },
            &batch.body,
            &mut self.scratch,
        );
        let (Some(writer), Some(segment)) = (self.writer.as_mut(), self.segments.back_mut()) else {
            return Err(io::Error::other("spool writer missing"));
        };
        let offset = segment.bytes;
        if let Err(e) = writer.write_all(&self.scratch) {
            // A partial write is a torn record: never append after it.
            self.writer = None;
            segment.bytes += len as u64;
            self.bytes += len as u64;
            return Err(e);
        }
        segment.bytes += len as u64;
        segment.last_seq = Some(seq);
        self.bytes += len as u64;
        self.next_seq += 1;
        self.spans += u64::from(batch.span_count);
        self.pending.push_back(SpooledBatch {
            seq,
            segment: segment.first_seq,
            offset,
            len,
            span_count: batch.span_count,
            traces: Arc::clone(&batch.traces),
        });
        self.unsynced = true;
        match self.fsync {
            FsyncPolicy::Always => self.sync()?,
            FsyncPolicy::Periodic if self.last_sync.elapsed() >= PERIODIC_SYNC => self.sync()?,
            _ => {}
        }
        Ok(evicted)
    }

    /// Reads a spooled batch back. An `InvalidData` error means the record was damaged on
    /// disk since it was indexed; acknowledge it to skip it.
    pub(crate) fn read(&mut self, batch: &SpooledBatch) -> io::Result<EncodedBatch> {
        let reusable = self
            .reader
            .as_ref()
            .is_some_and(|(s, _)| *s == batch.segment);
        if !reusable {
            let segment = self
                .segments
                .iter()
                .find(|s| s.first_seq == batch.segment)
                .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "segment gone"))?;
            self.reader = Some((batch.segment, File::open(&segment.path)?));
        }
        let Some((_, file)) = self.reader.as_mut() else {
            return Err(io::Error::other("spool reader missing"));
        };
        let mut buf = vec![0u8; batch.len];
        file.seek(SeekFrom::Start(batch.offset))?;
        file.read_exact(&mut buf)?;
        let found = record::read_at(&buf, 0)
            .filter(|r| r.meta.seq == batch.seq)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "damaged record"))?;
        let body = Bytes::from(buf).slice(found.body);
        Ok(EncodedBatch {
            body,
            gzip: found.meta.gzip,
            span_count: found.meta.span_count,
            raw_len: usize::try_from(found.meta.raw_len).unwrap_or(usize::MAX),
            traces: Arc::clone(&batch.traces),
        })
    }

    /// Marks every record up to `seq` delivered (or dropped): they leave the index, the
    /// cursor moves, and segments with nothing left to deliver are deleted.
    pub(crate) fn acknowledge(&mut self, seq: u64) -> io::Result<()> {
        if seq <= self.cursor {
            return Ok(());
        }
        while self.pending.front().is_some_and(|b| b.seq <= seq) {
            if let Some(b) = self.pending.pop_front() {
                self.spans -= u64::from(b.span_count);
            }
        }
        self.cursor = seq;
        write_cursor(&self.dir, seq, self.fsync == FsyncPolicy::Always)?;
        while let Some(front) = self.segments.front() {
            let is_writer = self.segments.len() == 1 && self.writer.is_some();
            // Records are in seq order, so a segment whose last record is at or below the
            // cursor has nothing left to deliver.
            let done = match front.last_seq {
                Some(last) => last <= self.cursor,
                None => !is_writer,
            };
            if !done {
                break;
            }
            if is_writer {
                self.writer = None;
            }
            self.remove_front_segment()?;
        }
        Ok(())
    }

    /// Forces written records to disk.
    pub(crate) fn sync(&mut self) -> io::Result<()> {
        if self.unsynced
            && let Some(w) = &self.writer
        {
            w.sync_data()?;
        }
        self.unsynced = false;
        self.last_sync = Instant::now();
        Ok(())
    }

    fn close_writer(&mut self) -> io::Result<()> {
        if self.fsync != FsyncPolicy::Never {
            self.sync()?;
        }
        self.writer = None;
        Ok(())
    }

    /// Drops the oldest segments until `incoming` more bytes fit the bound.
    fn make_room(&mut self, incoming: u64) -> io::Result<Vec<SpooledBatch>> {
        let mut evicted = Vec::new();
        while self.bytes + incoming > self.max_bytes && !self.segments.is_empty() {
            if self.segments.len() == 1 && self.writer.is_some() {
                self.close_writer()?;
            }
            let Some(first) = self.segments.front().map(|s| s.first_seq) else {
                break;
            };
            let mut last = None;
            while self.pending.front().is_some_and(|b| b.segment == first) {
                if let Some(b) = self.pending.pop_front() {
                    self.spans -= u64::from(b.span_count);
                    last = Some(b.seq);
                    evicted.push(b);
                }
            }
            let segment_last = self.segments.front().and_then(|s| s.last_seq);
            self.remove_front_segment()?;
            if let Some(seq) = segment_last.max(last)
                && seq > self.cursor
            {
                self.cursor = seq;
                write_cursor(&self.dir, seq, self.fsync == FsyncPolicy::Always)?;
            }
        }
        Ok(evicted)
    }

    fn remove_front_segment(&mut self) -> io::Result<()> {
        if let Some(segment) = self.segments.pop_front() {
            self.bytes -= segment.bytes;
            if self
                .reader
                .as_ref()
                .is_some_and(|(s, _)| *s == segment.first_seq)
            {
                self.reader = None;
            }
            match fs::remove_file(&segment.path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// The cursor file: the seq as u64 LE, then its CRC-32. Missing or damaged reads as 0, so
/// everything on disk is sent again: duplicates, never loss.
fn read_cursor(path: &Path) -> u64 {
    let Ok(bytes) = fs::read(path) else { return 0 };
    if bytes.len() != 12 {
        return 0;
    }
    let (seq, crc) = bytes.split_at(8);
    if crc32fast::hash(seq).to_le_bytes() != crc {
        return 0;
    }
    seq.try_into().map(u64::from_le_bytes).unwrap_or(0)
}

/// Replaces the cursor atomically (write a temporary file, then rename over).
fn write_cursor(dir: &Path, seq: u64, sync: bool) -> io::Result<()> {
    let seq_bytes = seq.to_le_bytes();
    let mut bytes = [0u8; 12];
    bytes[..8].copy_from_slice(&seq_bytes);
    bytes[8..].copy_from_slice(&crc32fast::hash(&seq_bytes).to_le_bytes());
    let tmp = dir.join(format!("{CURSOR_FILE}.tmp"));
    let mut file = File::create(&tmp)?;
    file.write_all(&bytes)?;
    if sync {
        file.sync_data()?;
    }
    fs::rename(tmp, dir.join(CURSOR_FILE))
}

#[cfg(test)]
mod tests;

/// Entry points for `benches/spool.rs` only; not part of the API.
#[doc(hidden)]
pub mod bench_support {
    use super::{DestinationSpool, FsyncPolicy};
    use crate::destination::EncodedBatch;
    use std::io;
    use std::path::PathBuf;

    /// One destination's spool, opened as a worker opens it.
    #[derive(Debug)]
    pub struct BenchSpool(DestinationSpool);

    impl BenchSpool {
        /// Opens the spool in `dir`; returns it and the batches recovered.
        pub fn open(dir: PathBuf, max_bytes: u64, fsync: FsyncPolicy) -> io::Result<(Self, u64)> {
            DestinationSpool::open(dir, max_bytes, fsync).map(|(s, r)| (Self(s), r.batches))
        }

        /// Appends one batch; returns how many batches were evicted.
        pub fn append(&mut self, batch: &EncodedBatch) -> io::Result<usize> {
            self.0.append(batch).map(|evicted| evicted.len())
        }

        /// Reads the head back and acknowledges it, as a delivery does.
        pub fn deliver_head(&mut self) -> io::Result<Option<EncodedBatch>> {
            let Some(head) = self.0.head().cloned() else {
                return Ok(None);
            };
            let batch = self.0.read(&head)?;
            self.0.acknowledge(head.seq)?;
            Ok(Some(batch))
        }
    }
}
