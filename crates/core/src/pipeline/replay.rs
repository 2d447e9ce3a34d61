//! Byte-bounded FIFO of encoded batches waiting to be (re)sent. New and failed batches wait
//! here; they drain oldest first; past the bound the oldest are dropped and counted.

use std::collections::VecDeque;

use crate::destination::EncodedBatch;

/// A batch waiting in the replay buffer, with how many times it was tried.
#[derive(Debug, Clone)]
pub(crate) struct HeldBatch {
    pub(crate) batch: EncodedBatch,
    pub(crate) attempts: u32,
}

impl HeldBatch {
    pub(crate) fn new(batch: EncodedBatch) -> Self {
        Self { batch, attempts: 0 }
    }

    fn bytes(&self) -> usize {
        self.batch.body.len()
    }

    pub(crate) fn spans(&self) -> u64 {
        u64::from(self.batch.span_count)
    }
}

/// The replay buffer of one destination.
#[derive(Debug)]
pub(crate) struct ReplayBuffer {
    batches: VecDeque<HeldBatch>,
    bytes: usize,
    spans: u64,
    max_bytes: usize,
}

impl ReplayBuffer {
    pub(crate) fn new(max_bytes: usize) -> Self {
        Self {
            batches: VecDeque::new(),
            bytes: 0,
            spans: 0,
            max_bytes,
        }
    }

    /// Appends a new batch; returns the number of spans dropped to stay within the bound.
    pub(crate) fn push_back(&mut self, batch: HeldBatch) -> u64 {
        self.account_in(&batch);
        self.batches.push_back(batch);
        self.enforce_bound()
    }

    /// Puts a batch that just failed back at the head, so it stays the oldest.
    pub(crate) fn push_front(&mut self, batch: HeldBatch) -> u64 {
        self.account_in(&batch);
        self.batches.push_front(batch);
        self.enforce_bound()
    }

    pub(crate) fn pop_front(&mut self) -> Option<HeldBatch> {
        let batch = self.batches.pop_front()?;
        self.bytes -= batch.bytes();
        self.spans -= batch.spans();
        Some(batch)
    }

    /// Removes everything, returning the number of spans removed.
    pub(crate) fn clear(&mut self) -> u64 {
        let spans = self.spans;
        self.batches.clear();
        self.bytes = 0;
        self.spans = 0;
        spans
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.batches.is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.batches.len()
    }

    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    pub(crate) fn spans(&self) -> u64 {
        self.spans
    }

    fn account_in(&mut self, batch: &HeldBatch) {
        self.bytes += batch.bytes();
        self.spans += batch.spans();
    }

    fn enforce_bound(&mut self) -> u64 {
        let mut dropped = 0;
        while self.bytes > self.max_bytes {
            match self.pop_front() {
                Some(oldest) => dropped += oldest.spans(),
                None => break,
            }
        }
        dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn batch(bytes: usize, spans: u32) -> HeldBatch {
        HeldBatch::new(EncodedBatch {
            body: Bytes::from(vec![0u8; bytes]),
            gzip: false,
            span_count: spans,
            raw_len: bytes,
        })
    }

    #[test]
    fn drains_oldest_first() {
        let mut buf = ReplayBuffer::new(1000);
        buf.push_back(batch(10, 1));
        buf.push_back(batch(20, 2));
        assert_eq!(buf.pop_front().map(|b| b.spans()), Some(1));
        assert_eq!(buf.pop_front().map(|b| b.spans()), Some(2));
        assert!(buf.pop_front().is_none());
    }

    #[test]
    fn overflow_drops_the_oldest_and_reports_their_spans() {
        let mut buf = ReplayBuffer::new(100);
        assert_eq!(buf.push_back(batch(40, 4)), 0);
        assert_eq!(buf.push_back(batch(40, 5)), 0);
        assert_eq!(buf.push_back(batch(40, 6)), 4);
        assert_eq!(buf.bytes(), 80);
        assert_eq!(buf.spans(), 11);
        assert_eq!(buf.pop_front().map(|b| b.spans()), Some(5));
    }

    #[test]
    fn a_failed_batch_returns_to_the_head() {
        let mut buf = ReplayBuffer::new(1000);
        buf.push_back(batch(10, 1));
        buf.push_back(batch(10, 2));
        let head = buf.pop_front().expect("head");
        buf.push_front(head);
        assert_eq!(buf.pop_front().map(|b| b.spans()), Some(1));
    }

    #[test]
    fn byte_and_span_accounting_survive_clear() {
        let mut buf = ReplayBuffer::new(1000);
        buf.push_back(batch(10, 3));
        buf.push_back(batch(10, 4));
        assert_eq!(buf.clear(), 7);
        assert_eq!((buf.bytes(), buf.spans(), buf.len()), (0, 0, 0));
    }
}
