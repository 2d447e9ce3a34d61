//! The spool's on-disk record format, and the reader that finds every intact record in a
//! segment however damaged the bytes around it are.
//!
//! ```text
//! offset  size  field
//!      0     4  magic  b"GTS1"
//!      4     4  payload length, u32 little-endian
//!      8     4  CRC-32 (IEEE) of the payload, u32 little-endian
//!     12     n  payload:
//!                 seq          u64 LE  (increases by one per record, per destination)
//!                 flags        u8      (bit 0: body is gzip-compressed; others must be 0)
//!                 span_count   u32 LE
//!                 raw_len      u64 LE  (uncompressed protobuf size)
//!                 body         the OTLP request exactly as it goes on the wire
//! ```
//!
//! A record is accepted only when its magic, length and checksum all agree and it sets no
//! flag this version does not know. After a bad record the reader resynchronises on the
//! next magic whose record checks out, so a torn or corrupted record costs that record
//! only, never the rest of the segment.

use std::ops::Range;

/// Marks the start of every record.
pub const MAGIC: [u8; 4] = *b"GTS1";
/// Bytes before the payload: magic, length, checksum.
pub const HEADER_LEN: usize = 12;
/// Bytes of the payload before the body: seq, flags, span count, raw length.
pub const PAYLOAD_PREFIX_LEN: usize = 8 + 1 + 4 + 8;
/// Largest payload the reader accepts. A length beyond it is damage, not a record: the
/// pipeline never builds a request this large (requests are split at 4 MiB by default).
pub const MAX_PAYLOAD_LEN: usize = 256 * 1024 * 1024;

const FLAG_GZIP: u8 = 1;

/// What a record says about the batch it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordMeta {
    /// Sequence number, unique and increasing per destination.
    pub seq: u64,
    /// Whether the body is gzip-compressed.
    pub gzip: bool,
    /// Spans in the batch.
    pub span_count: u32,
    /// Uncompressed protobuf size of the body.
    pub raw_len: u64,
}

/// One intact record found in a segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannedRecord {
    /// Where the record starts (its magic) in the scanned bytes.
    pub offset: usize,
    /// The whole record's length, header included.
    pub len: usize,
    /// Its metadata.
    pub meta: RecordMeta,
    /// Where its body lies in the scanned bytes.
    pub body: Range<usize>,
}

/// Result of scanning a segment's bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan {
    /// Intact records, in file order.
    pub records: Vec<ScannedRecord>,
    /// Damaged regions skipped (each a torn or corrupted record, or stray bytes).
    pub damaged: u32,
    /// Bytes that belong to no intact record.
    pub damaged_bytes: usize,
}

/// Appends one record to `out`. Check the body with [`encoded_len`] first: a body over
/// [`MAX_PAYLOAD_LEN`] makes a record the reader will refuse.
pub fn encode(meta: &RecordMeta, body: &[u8], out: &mut Vec<u8>) {
    let payload_len = PAYLOAD_PREFIX_LEN + body.len();
    out.reserve(HEADER_LEN + payload_len);
    let start = out.len();
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&u32::try_from(payload_len).unwrap_or(u32::MAX).to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&meta.seq.to_le_bytes());
    out.push(if meta.gzip { FLAG_GZIP } else { 0 });
    out.extend_from_slice(&meta.span_count.to_le_bytes());
    out.extend_from_slice(&meta.raw_len.to_le_bytes());
    out.extend_from_slice(body);
    let crc = crc32fast::hash(&out[start + HEADER_LEN..]);
    out[start + 8..start + 12].copy_from_slice(&crc.to_le_bytes());
}

/// Bytes a record with this body takes on disk, or `None` when the body is too large to
/// be a record.
pub fn encoded_len(body_len: usize) -> Option<usize> {
    let payload = PAYLOAD_PREFIX_LEN.checked_add(body_len)?;
    (payload <= MAX_PAYLOAD_LEN).then_some(HEADER_LEN + payload)
}

/// Reads the record that starts exactly at `offset`, if it is intact.
pub fn read_at(bytes: &[u8], offset: usize) -> Option<ScannedRecord> {
    let header = bytes.get(offset..offset.checked_add(HEADER_LEN)?)?;
    if header[..4] != MAGIC {
        return None;
    }
    let payload_len = u32::from_le_bytes(header[4..8].try_into().ok()?) as usize;
    if !(PAYLOAD_PREFIX_LEN..=MAX_PAYLOAD_LEN).contains(&payload_len) {
        return None;
    }
    let crc = u32::from_le_bytes(header[8..12].try_into().ok()?);
    let start = offset + HEADER_LEN;
    let payload = bytes.get(start..start.checked_add(payload_len)?)?;
    if crc32fast::hash(payload) != crc {
        return None;
    }
    let seq = u64::from_le_bytes(payload[0..8].try_into().ok()?);
    let flags = payload[8];
    if flags & !FLAG_GZIP != 0 {
        // A flag this version does not know: the record cannot be read as intended.
        return None;
    }
    let span_count = u32::from_le_bytes(payload[9..13].try_into().ok()?);
    let raw_len = u64::from_le_bytes(payload[13..21].try_into().ok()?);
    Some(ScannedRecord {
        offset,
        len: HEADER_LEN + payload_len,
        meta: RecordMeta {
            seq,
            gzip: flags & FLAG_GZIP != 0,
            span_count,
            raw_len,
        },
        body: start + PAYLOAD_PREFIX_LEN..start + payload_len,
    })
}

/// Finds every intact record in `bytes`, skipping (and counting) what is damaged.
pub fn scan(bytes: &[u8]) -> Scan {
    let mut scan = Scan::default();
    let mut pos = 0;
    while pos < bytes.len() {
        if let Some(record) = read_at(bytes, pos) {
            pos += record.len;
            scan.records.push(record);
            continue;
        }
        // Damage: resynchronise on the next magic that starts an intact record.
        let next = next_intact(bytes, pos + 1);
        let end = next.unwrap_or(bytes.len());
        scan.damaged += 1;
        scan.damaged_bytes += end - pos;
        pos = end;
    }
    scan
}

fn next_intact(bytes: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while let Some(found) = find_magic(bytes.get(at..)?) {
        let candidate = at + found;
        if read_at(bytes, candidate).is_some() {
            return Some(candidate);
        }
        at = candidate + 1;
    }
    None
}

fn find_magic(haystack: &[u8]) -> Option<usize> {
    haystack.windows(MAGIC.len()).position(|w| w == MAGIC)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(seq: u64, body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        encode(
            &RecordMeta {
                seq,
                gzip: seq.is_multiple_of(2),
                span_count: seq as u32 + 1,
                raw_len: body.len() as u64 * 3,
            },
            body,
            &mut out,
        );
        out
    }

    fn seqs(scan: &Scan) -> Vec<u64> {
        scan.records.iter().map(|r| r.meta.seq).collect()
    }

    #[test]
    fn round_trips_metadata_and_body() {
        let bytes = record(7, b"hello spool");
        let scan = scan(&bytes);
        assert_eq!(scan.damaged, 0);
        let r = &scan.records[0];
        assert_eq!(
            r.meta,
            RecordMeta {
                seq: 7,
                gzip: false,
                span_count: 8,
                raw_len: 33
            }
        );
        assert_eq!(&bytes[r.body.clone()], b"hello spool");
        assert_eq!(r.len, bytes.len());
    }

    #[test]
    fn a_torn_tail_costs_only_the_torn_record() {
        let mut bytes = record(1, b"first");
        bytes.extend(record(2, b"second"));
        let whole = bytes.len();
        bytes.extend(&record(3, b"third, cut short")[..15]);
        let scan = scan(&bytes);
        assert_eq!(seqs(&scan), vec![1, 2]);
        assert_eq!(scan.damaged, 1);
        assert_eq!(scan.damaged_bytes, bytes.len() - whole);
    }

    #[test]
    fn a_corrupted_record_in_the_middle_is_skipped_and_the_rest_is_read() {
        let mut bytes = record(1, b"first");
        let second_at = bytes.len();
        bytes.extend(record(2, b"second body"));
        bytes.extend(record(3, b"third"));
        // Flip a bit in the second record's body: its checksum no longer matches.
        bytes[second_at + HEADER_LEN + PAYLOAD_PREFIX_LEN + 2] ^= 0x10;
        let scan = scan(&bytes);
        assert_eq!(seqs(&scan), vec![1, 3]);
        assert_eq!(scan.damaged, 1);
    }

    #[test]
    fn a_corrupted_length_does_not_swallow_the_following_records() {
        let mut bytes = record(1, b"first");
        let second_at = bytes.len();
        bytes.extend(record(2, b"second"));
        bytes.extend(record(3, b"third"));
        bytes.extend(record(4, b"fourth"));
        // A length that points far past the end of the file.
        bytes[second_at + 4..second_at + 8].copy_from_slice(&0x00ff_ffffu32.to_le_bytes());
        let scan = scan(&bytes);
        assert_eq!(seqs(&scan), vec![1, 3, 4]);
    }

    #[test]
    fn garbage_between_records_is_counted_once() {
        let mut bytes = record(1, b"first");
        bytes.extend(b"GTS1 not a record at all, just noise");
        bytes.extend(record(2, b"second"));
        let scan = scan(&bytes);
        assert_eq!(seqs(&scan), vec![1, 2]);
        assert_eq!(scan.damaged, 1);
    }

    #[test]
    fn a_record_with_an_unknown_flag_is_not_taken_for_one() {
        let mut bytes = record(1, b"body");
        bytes[HEADER_LEN + 8] |= 0x40;
        let crc = crc32fast::hash(&bytes[HEADER_LEN..]);
        bytes[8..12].copy_from_slice(&crc.to_le_bytes());
        let scan = scan(&bytes);
        assert!(scan.records.is_empty());
        assert_eq!(scan.damaged, 1);
    }

    #[test]
    fn zeroed_and_empty_input_yield_no_records() {
        assert_eq!(scan(&[]), Scan::default());
        let scan = scan(&[0u8; 100]);
        assert!(scan.records.is_empty());
        assert_eq!((scan.damaged, scan.damaged_bytes), (1, 100));
    }

    #[test]
    fn oversized_bodies_are_refused_before_writing() {
        assert_eq!(encoded_len(10), Some(HEADER_LEN + PAYLOAD_PREFIX_LEN + 10));
        assert_eq!(encoded_len(MAX_PAYLOAD_LEN), None);
    }
}
