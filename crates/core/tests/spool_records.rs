//! Properties of the disk spool's record reader (`spool::record::scan`), the same ones the
//! `spool_record` fuzz target checks, here with generated segments in the normal suite.

#![allow(clippy::unwrap_used)]

use genai_telemetry_core::spool::record::{HEADER_LEN, RecordMeta, encode, scan};
use proptest::prelude::*;

fn segment(records: &[(u32, Vec<u8>)]) -> (Vec<u8>, Vec<(usize, usize)>) {
    let mut bytes = Vec::new();
    let mut spans = Vec::new();
    for (i, (spans_in, body)) in records.iter().enumerate() {
        let start = bytes.len();
        encode(
            &RecordMeta {
                seq: i as u64 + 1,
                gzip: i % 2 == 0,
                span_count: *spans_in,
                raw_len: body.len() as u64,
            },
            body,
            &mut bytes,
        );
        spans.push((start, bytes.len()));
    }
    (bytes, spans)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Every record that was not touched is read back, with its metadata and body, whatever
    /// was done to the others: bytes flipped inside some, the last one cut short.
    #[test]
    fn damage_costs_only_the_damaged_records(
        records in prop::collection::vec((0u32..1000, prop::collection::vec(any::<u8>(), 0..300)), 1..12),
        damaged in prop::collection::vec(any::<prop::sample::Index>(), 0..4),
        flip in 1u8..=255,
        cut in prop::option::of(1usize..40),
    ) {
        let (mut bytes, spans) = segment(&records);
        let mut broken: Vec<usize> = damaged.iter().map(|i| i.index(records.len())).collect();
        // Flipping the same byte twice would undo the damage.
        broken.sort_unstable();
        broken.dedup();
        for &i in &broken {
            let (start, end) = spans[i];
            // Anywhere in the record but its magic, so the damage is in what the checksum or
            // the length covers.
            let at = start + 4 + (usize::from(flip) * 7919) % (end - start - 4);
            bytes[at] ^= flip;
        }
        if let Some(cut) = cut {
            let last = records.len() - 1;
            let (start, end) = spans[last];
            bytes.truncate(end - cut.min(end - start - 1));
            broken.push(last);
        }
        let found = scan(&bytes);
        let expected: Vec<u64> = (0..records.len())
            .filter(|i| !broken.contains(i))
            .map(|i| i as u64 + 1)
            .collect();
        let seqs: Vec<u64> = found.records.iter().map(|r| r.meta.seq).collect();
        prop_assert_eq!(&seqs, &expected);
        for r in &found.records {
            let (spans_in, body) = &records[(r.meta.seq - 1) as usize];
            prop_assert_eq!(r.meta.span_count, *spans_in);
            prop_assert_eq!(&bytes[r.body.clone()], body.as_slice());
        }
        prop_assert_eq!(found.damaged == 0, broken.is_empty());
    }

    /// Arbitrary bytes never panic the reader, and every byte is either in an intact record
    /// or counted as damage.
    #[test]
    fn arbitrary_bytes_are_accounted_for(data in prop::collection::vec(any::<u8>(), 0..2048)) {
        let found = scan(&data);
        let covered: usize = found.records.iter().map(|r| r.len).sum();
        prop_assert_eq!(covered + found.damaged_bytes, data.len());
        prop_assert!(found.records.iter().all(|r| r.len >= HEADER_LEN));
    }
}
