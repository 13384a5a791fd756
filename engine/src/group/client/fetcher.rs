//! The consumer's fetcher: positions, `auto.offset.reset`, fetching from the
//! [`PartitionSource`] up to the high watermark (at most `max.poll.records`, round-robin over the
//! owned partitions) and the poll loop's hand-off of the fetched records to the application
//! (one batch on the application thread, or the worker pool).

use super::{AutoOffsetReset, CommitMode, ConsumerClient, PartitionSource};
use crate::group::event::GroupEvent;
use crate::group::output::Output;
use crate::group::protocol::{RecordId, TopicPartition};

use serde::{Deserialize, Serialize};

/// A record handed to the application by `poll`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchedRecord {
    /// Partition.
    pub tp: TopicPartition,
    /// Offset.
    pub offset: i64,
    /// Identity.
    pub record_id: RecordId,
}

impl ConsumerClient {
    /// `pollForFetches`, the end of `poll` in a stable generation: fetch, `commitSync`
    /// first in the manual-before mode, then hand the records to the application.
    pub(super) fn poll_for_fetches(&mut self, now_ms: u64, env: &dyn PartitionSource, out: &mut Vec<Output>) {
        let records = self.fetch(now_ms, env, out);
        if records.is_empty() {
            return;
        }
        if self.cfg.commit_mode == CommitMode::ManualBefore {
            self.commit_sync(now_ms, out);
        }
        if self.cfg.worker_threads > 1 {
            self.pool_submit(now_ms, records);
            return;
        }
        self.batch = records.into();
        self.next_poll_ms = None;
        self.next_record_done_ms = now_ms.saturating_add(self.cfg.processing_time_ms);
    }

    /// `auto.offset.reset` for `tp`: to the log start or the HW, or no position at all (`none`).
    pub(super) fn reset_position(&mut self, now_ms: u64, tp: &TopicPartition, reason: &str, env: &dyn PartitionSource, out: &mut Vec<Output>) {
        let Some(bounds) = env.offsets(tp) else {
            return;
        };
        let target = match self.cfg.auto_offset_reset {
            AutoOffsetReset::Earliest => bounds.log_start_offset,
            AutoOffsetReset::Latest => bounds.high_watermark,
            AutoOffsetReset::None => {
                self.positions.remove(tp);
                self.no_offset.insert(tp.clone());
                self.event(
                    now_ms,
                    GroupEvent::NoOffsetForPartition {
                        client_id: self.cfg.client_id.clone(),
                        tp: tp.clone(),
                    },
                    out,
                );
                return;
            }
        };
        self.positions.insert(tp.clone(), target);
        self.event(
            now_ms,
            GroupEvent::OffsetReset {
                client_id: self.cfg.client_id.clone(),
                tp: tp.clone(),
                offset: target,
                policy: self.cfg.auto_offset_reset.name().into(),
                reason: reason.into(),
            },
            out,
        );
    }

    fn fetch(&mut self, now_ms: u64, env: &dyn PartitionSource, out: &mut Vec<Output>) -> Vec<FetchedRecord> {
        // Owned partitions with a position (assignment and positions share the key order, so
        // a merge join finds them without lookups).
        let mut n_owned = 0usize;
        let mut busy = false;
        {
            let mut pos_iter = self.positions.iter().peekable();
            for tp in &self.assignment {
                let pos = loop {
                    match pos_iter.peek() {
                        Some((k, _)) if *k < tp => {
                            pos_iter.next();
                        }
                        Some((k, p)) if *k == tp => break Some(**p),
                        _ => break None,
                    }
                };
                let Some(pos) = pos else { continue };
                if self.no_offset.contains(tp) {
                    continue;
                }
                n_owned += 1;
                // Work to do: records below the HW, or a position out of range.
                if !busy {
                    if let Some(b) = env.offsets(tp) {
                        busy = pos < b.high_watermark || pos < b.log_start_offset || pos > b.high_watermark;
                    }
                }
            }
        }
        if n_owned == 0 {
            return Vec::new();
        }
        if !busy {
            // Every owned partition is at its HW: the fetch returns nothing and moves nothing.
            self.fetch_cursor = self.fetch_cursor.wrapping_add(1);
            return Vec::new();
        }
        // `reset_position` below does not read the assignment: lend it out for the loop.
        let assignment = std::mem::take(&mut self.assignment);
        let mut owned: Vec<&TopicPartition> = Vec::with_capacity(n_owned);
        owned.extend(
            assignment
                .iter()
                .filter(|tp| self.positions.contains_key(*tp) && !self.no_offset.contains(*tp)),
        );
        let start = self.fetch_cursor % owned.len();
        owned.rotate_left(start);
        self.fetch_cursor = self.fetch_cursor.wrapping_add(1);
        let mut records = Vec::new();
        let max = self.cfg.max_poll_records as usize;
        for tp in owned {
            if records.len() >= max {
                break;
            }
            let Some(bounds) = env.offsets(tp) else {
                continue;
            };
            let Some(mut pos) = self.positions.get(tp).copied() else {
                continue;
            };
            if pos < bounds.log_start_offset || pos > bounds.high_watermark {
                self.reset_position(now_ms, tp, "offset out of range", env, out);
                match self.positions.get(tp) {
                    Some(p) => pos = *p,
                    None => continue,
                }
            }
            let before = pos;
            while pos < bounds.high_watermark && records.len() < max {
                let Some(record_id) = env.record_id(tp, pos) else {
                    break;
                };
                records.push(FetchedRecord {
                    tp: tp.clone(),
                    offset: pos,
                    record_id,
                });
                pos += 1;
            }
            if pos != before {
                if let Some(p) = self.positions.get_mut(tp) {
                    *p = pos;
                }
            }
        }
        self.assignment = assignment;
        records
    }
}
