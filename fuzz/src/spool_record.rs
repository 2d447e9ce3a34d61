//! Disk spool segments: `genai_telemetry_core::spool::record::scan`, the reader a restart
//! runs over every segment file (which a crash may have torn and a disk may have damaged).
//!
//! Input: the bytes of a segment file.

use genai_telemetry_core::spool::record::{RecordMeta, encode, read_at, scan};

/// Checks one input.
pub fn check(data: &[u8]) {
    let found = scan(data);
    // Records lie inside the input, in order, without overlap; each reads back the same at
    // its offset and re-encodes to exactly its bytes; the rest is counted as damage.
    let mut end = 0;
    let mut covered = 0;
    for r in &found.records {
        assert!(r.offset >= end, "records overlap: {found:?}");
        end = r.offset + r.len;
        assert!(end <= data.len());
        assert_eq!(read_at(data, r.offset).as_ref(), Some(r));
        assert!(r.body.start > r.offset && r.body.end == end);
        let mut again = Vec::new();
        encode(&r.meta, &data[r.body.clone()], &mut again);
        assert_eq!(again.as_slice(), &data[r.offset..end]);
        covered += r.len;
    }
    assert_eq!(covered + found.damaged_bytes, data.len());
    assert_eq!(found.damaged == 0, found.damaged_bytes == 0);

    // Whatever came before, an intact record written after it is read: either on its own,
    // or inside an intact record that the prefix began (whose checksum then covers it).
    let meta = RecordMeta {
        seq: u64::MAX,
        gzip: true,
        span_count: 7,
        raw_len: 9,
    };
    let mut with_tail = data.to_vec();
    let at = with_tail.len();
    encode(&meta, b"a record after the damage", &mut with_tail);
    let rescanned = scan(&with_tail);
    assert!(
        rescanned
            .records
            .iter()
            .any(|r| r.offset <= at && at < r.offset + r.len),
        "the appended record was lost: {rescanned:?}"
    );
}
