//! Processing of the fetched records: the application thread works through its batch
//! (`processing.time.ms` per record), or — with `worker_threads` > 1 — GroupLab's worker pool
//! processes them in parallel (per-record cost, completion order by finish time then submission),
//! and the next poll, the manual-after commit and a pending close follow a finished batch.

use super::{CommitMode, ConsumerClient, FetchedRecord};
use crate::group::output::Output;

impl ConsumerClient {
    /// The output saying the consumer finished processing `r` at `at_ms`.
    fn processed(r: FetchedRecord, at_ms: u64) -> Output {
        Output::Processed {
            tp: r.tp,
            offset: r.offset,
            record_id: r.record_id,
            at_ms,
        }
    }

    /// The application thread: the current batch's records whose processing finished by `now_ms`
    /// (one after another, `processing.time.ms` each), then the worker pool's.
    pub(super) fn process_due(&mut self, now_ms: u64, out: &mut Vec<Output>) {
        while !self.batch.is_empty() && self.next_record_done_ms <= now_ms {
            let Some(r) = self.batch.pop_front() else {
                break;
            };
            let at_ms = self.next_record_done_ms;
            out.push(Self::processed(r, at_ms));
            if self.batch.is_empty() {
                self.after_batch(at_ms, out);
            } else {
                self.next_record_done_ms = at_ms.saturating_add(self.cfg.processing_time_ms);
            }
        }
        self.pool_due(now_ms, out);
    }

    /// Worker-pool mode: hands records to the first free worker, in poll order.
    pub(super) fn pool_submit(&mut self, now_ms: u64, records: Vec<FetchedRecord>) {
        let n = self.cfg.worker_threads.max(1) as usize;
        self.workers_free_ms.resize(n, now_ms);
        for r in records {
            let (w, free) = self
                .workers_free_ms
                .iter()
                .copied()
                .enumerate()
                .min_by_key(|&(i, t)| (t, i))
                .unwrap_or((0, now_ms));
            // Per-record cost 1..=4 × processing_time_ms, fixed by the record's place in its log.
            let mix = (r.offset as u64 ^ (u64::from(r.tp.partition) << 40)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            let cost = self.cfg.processing_time_ms.saturating_mul(1 + (mix >> 62));
            let done = free.max(now_ms).saturating_add(cost.max(1));
            self.workers_free_ms[w] = done;
            self.pool_seq += 1;
            let key = (done, self.pool_seq);
            let at = self.pool.partition_point(|(d, q, _)| (*d, *q) < key);
            self.pool.insert(at, (done, self.pool_seq, r));
        }
        // Keep polling unless max.poll.records records already wait in the pool.
        self.next_poll_ms = if self.pool.len() >= self.cfg.max_poll_records as usize {
            None
        } else {
            Some(now_ms)
        };
    }

    /// Worker-pool mode: records whose processing finished by `now_ms`.
    fn pool_due(&mut self, now_ms: u64, out: &mut Vec<Output>) {
        let due = self.pool.partition_point(|(d, _, _)| *d <= now_ms);
        if due == 0 {
            return;
        }
        let mut last_ms = now_ms;
        for (at_ms, _, r) in self.pool.drain(..due) {
            last_ms = at_ms;
            out.push(Self::processed(r, at_ms));
        }
        if self.pool.is_empty() {
            self.after_batch(last_ms, out);
        } else if self.next_poll_ms.is_none() && self.pool.len() < (self.cfg.max_poll_records as usize).div_ceil(2) {
            self.next_poll_ms = Some(last_ms);
        }
    }

    /// Everything fetched is processed: `commitSync` in the manual-after mode, poll again, and
    /// finish a pending close.
    fn after_batch(&mut self, at_ms: u64, out: &mut Vec<Output>) {
        if self.cfg.commit_mode == CommitMode::ManualAfter {
            self.commit_sync(at_ms, out);
        }
        self.next_poll_ms = Some(at_ms);
        if self.closing {
            self.do_close(at_ms, true, out);
        }
    }
}
