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

    /// What the batch holds in memory, as counted against the bound: the body, and the
    /// list of its traces kept for per-trace delivery status (20 bytes a trace: for a batch
    /// of single-span traces, a sizeable share of a gzip body).
    fn bytes(&self) -> usize {
        self.batch.body.len() + std::mem::size_of_val::<[([u8; 16], u32)]>(&self.batch.traces)
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
    /// Bytes of the batch checked out for sending: still held, so still within the bound.
    reserved: usize,
}

impl ReplayBuffer {
    pub(crate) fn new(max_bytes: usize) -> Self {
        Self {
            batches: VecDeque::new(),
            bytes: 0,
            spans: 0,
            max_bytes,
            reserved: 0,
        }
    }

    /// Appends a new batch; returns the batches dropped (oldest first) to stay within the bound.
    pub(crate) fn push_back(&mut self, batch: HeldBatch) -> Vec<HeldBatch> {
        self.account_in(&batch);
        self.batches.push_back(batch);
        self.enforce_bound()
    }

    /// Puts a batch that just failed back at the head, so it stays the oldest.
    pub(crate) fn push_front(&mut self, batch: HeldBatch) -> Vec<HeldBatch> {
        self.account_in(&batch);
        self.batches.push_front(batch);
        self.enforce_bound()
    }

    /// Takes the head for sending; its bytes stay counted against the bound until
    /// [`ReplayBuffer::check_in`].
    pub(crate) fn checkout(&mut self) -> Option<HeldBatch> {
        let held = self.pop_front()?;
        self.reserved += held.bytes();
        Some(held)
    }

    /// The checked-out batch is done (delivered, dropped, or about to be pushed back).
    pub(crate) fn check_in(&mut self, held: &HeldBatch) {
        self.reserved = self.reserved.saturating_sub(held.bytes());
    }

    pub(crate) fn pop_front(&mut self) -> Option<HeldBatch> {
        let batch = self.batches.pop_front()?;
        self.bytes -= batch.bytes();
        self.spans -= batch.spans();
        Some(batch)
    }

    /// Removes and returns everything, oldest first.
    pub(crate) fn drain_all(&mut self) -> Vec<HeldBatch> {
        self.bytes = 0;
        self.spans = 0;
        self.batches.drain(..).collect()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.batches.is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.batches.len()
    }

    /// Bytes held: waiting batches plus the one checked out for sending.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes + self.reserved
    }

    pub(crate) fn spans(&self) -> u64 {
        self.spans
    }

    fn account_in(&mut self, batch: &HeldBatch) {
        self.bytes += batch.bytes();
        self.spans += batch.spans();
    }

    fn enforce_bound(&mut self) -> Vec<HeldBatch> {
        let mut dropped = Vec::new();
        while self.bytes + self.reserved > self.max_bytes {
            match self.pop_front() {
                Some(oldest) => dropped.push(oldest),
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
            traces: Vec::new().into(),
        })
    }

    #[test]
    fn the_trace_list_of_a_batch_counts_against_the_bound() {
        let mut held = batch(100, 10);
        held.batch.traces = (0..10u128).map(|t| (t.to_be_bytes(), 1)).collect();
        let mut buf = ReplayBuffer::new(1000);
        buf.push_back(held);
        assert_eq!(buf.bytes(), 100 + 10 * 20);
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
        assert!(buf.push_back(batch(40, 4)).is_empty());
        assert!(buf.push_back(batch(40, 5)).is_empty());
        let dropped = buf.push_back(batch(40, 6));
        assert_eq!(
            dropped.iter().map(HeldBatch::spans).collect::<Vec<_>>(),
            vec![4]
        );
        assert_eq!(buf.bytes(), 80);
        assert_eq!(buf.spans(), 11);
        assert_eq!(buf.pop_front().map(|b| b.spans()), Some(5));
    }

    #[test]
    fn a_batch_out_for_sending_still_counts_against_the_bound() {
        let mut buf = ReplayBuffer::new(100);
        buf.push_back(batch(60, 1));
        let sending = buf.checkout().expect("head");
        assert_eq!(buf.bytes(), 60);
        let dropped = buf.push_back(batch(30, 2));
        assert!(dropped.is_empty());
        let dropped = buf.push_back(batch(30, 3));
        assert_eq!(dropped.iter().map(HeldBatch::spans).sum::<u64>(), 2);
        buf.check_in(&sending);
        assert_eq!(buf.bytes(), 30);
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
    fn byte_and_span_accounting_survive_drain() {
        let mut buf = ReplayBuffer::new(1000);
        buf.push_back(batch(10, 3));
        buf.push_back(batch(10, 4));
        assert_eq!(buf.drain_all().iter().map(HeldBatch::spans).sum::<u64>(), 7);
        assert_eq!((buf.bytes(), buf.spans(), buf.len()), (0, 0, 0));
    }
}
