//! The consumer's fetcher: positions, `auto.offset.reset`, fetching from the
//! [`PartitionSource`] up to the high watermark (at most `max.poll.records`, round-robin over the
//! owned partitions) and the poll loop's hand-off of the fetched records to the application
//! (one batch on the application thread, or the worker pool).

use super::{AutoOffsetReset, CommitMode, ConsumerClient, PartitionOffsets, PartitionSource};
use crate::group::event::GroupEvent;
use crate::group::output::Output;
use crate::group::protocol::{RecordId, TopicPartition};
use crate::kernel::vecmap::{VecMap, VecSet};

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
            AutoOffsetReset::ByDuration { duration_ms } => env
                .offset_for_timestamp(tp, now_ms.saturating_sub(duration_ms))
                .map_or(bounds.high_watermark, |o| o.clamp(bounds.log_start_offset, bounds.high_watermark)),
            AutoOffsetReset::None => {
                self.positions.remove(tp);
                self.no_offset.insert(tp.clone());
                // `poll()` throws to the application; the partition stays unfetched.
                self.poll_error = Some(if reason == "offset out of range" {
                    format!("OffsetOutOfRangeException: Fetch position is out of range for partition {tp}")
                } else {
                    format!("NoOffsetForPartitionException: Undefined offset with no reset policy for partitions: [{tp}]")
                });
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
        // ListOffsets answers with the leader's epoch: the new position is valid for it.
        self.position_epochs.insert(tp.clone(), bounds.leader_epoch);
        self.validated_epochs.insert(tp.clone(), bounds.leader_epoch);
        self.event(
            now_ms,
            GroupEvent::OffsetReset {
                client_id: self.cfg.client_id.clone(),
                tp: tp.clone(),
                offset: target,
                policy: self.cfg.auto_offset_reset.name(),
                reason: reason.into(),
            },
            out,
        );
    }

    /// KIP-320 (`SubscriptionState.maybeCompleteValidation`): the partition has a new leader
    /// epoch, so the consumer asks the new leader where the epoch of its position ends. If that
    /// is below the position, the log was truncated under it (an unclean election): with a
    /// reset policy it seeks to the first offset known to diverge, with `none` the partition
    /// fails (`LogTruncationException`). Returns the position to fetch from, if any.
    fn validate_position(&mut self, now_ms: u64, tp: &TopicPartition, pos: i64, bounds: &PartitionOffsets, env: &dyn PartitionSource, out: &mut Vec<Output>) -> Option<i64> {
        self.validated_epochs.insert(tp.clone(), bounds.leader_epoch);
        let epoch = self.position_epochs.get(tp).copied()?;
        let Some((_, end)) = env.end_offset_for_epoch(tp, epoch) else { return Some(pos) };
        if end >= pos {
            return Some(pos);
        }
        if self.cfg.auto_offset_reset == AutoOffsetReset::None {
            self.positions.remove(tp);
            self.no_offset.insert(tp.clone());
            self.poll_error = Some(format!("LogTruncationException: Detected truncated partitions: {{{tp}=(offset {pos}, leader epoch {epoch}, diverges at {end})}}"));
            self.event(now_ms, GroupEvent::NoOffsetForPartition { client_id: self.cfg.client_id.clone(), tp: tp.clone() }, out);
            return None;
        }
        self.positions.insert(tp.clone(), end);
        self.position_epochs.insert(tp.clone(), bounds.leader_epoch);
        self.event(
            now_ms,
            GroupEvent::OffsetReset {
                client_id: self.cfg.client_id.clone(),
                tp: tp.clone(),
                offset: end,
                policy: "divergence".into(),
                reason: format!("log truncation detected at offset {pos} (leader epoch {epoch} ends at {end})"),
            },
            out,
        );
        Some(end)
    }

    fn fetch(&mut self, now_ms: u64, env: &dyn PartitionSource, out: &mut Vec<Output>) -> Vec<FetchedRecord> {
        let mut n_owned = 0usize;
        let mut busy = false;
        for (tp, pos) in owned_positions(&self.assignment, &self.positions, &self.no_offset) {
            n_owned += 1;
            // Work to do: records below the HW, a position out of range, or a new leader
            // epoch to validate the position against.
            if !busy {
                if let Some(b) = env.offsets(tp) {
                    busy = pos < b.high_watermark
                        || pos < b.log_start_offset
                        || pos > b.log_end_offset
                        || self.validated_epochs.get(tp).is_some_and(|&e| e != b.leader_epoch);
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
        // Fetching one partition moves only its own position, so each one's is still current
        // when its turn comes.
        let mut owned: Vec<(&TopicPartition, i64)> = Vec::with_capacity(n_owned);
        owned.extend(owned_positions(&assignment, &self.positions, &self.no_offset));
        let start = self.fetch_cursor % owned.len();
        owned.rotate_left(start);
        self.fetch_cursor = self.fetch_cursor.wrapping_add(1);
        let mut records = Vec::new();
        let max = self.cfg.max_poll_records as usize;
        for (tp, mut pos) in owned {
            if records.len() >= max {
                break;
            }
            let Some(bounds) = env.offsets(tp) else {
                continue;
            };
            if self.validated_epochs.get(tp).is_some_and(|&e| e != bounds.leader_epoch) {
                match self.validate_position(now_ms, tp, pos, &bounds, env, out) {
                    Some(p) => pos = p,
                    None => continue,
                }
            }
            // OFFSET_OUT_OF_RANGE only below the log start or above the LEO; between the HW and
            // the LEO the fetch is just empty (`Partition.fetchRecords` reads up to the HW).
            if pos < bounds.log_start_offset || pos > bounds.log_end_offset {
                self.reset_position(now_ms, tp, "offset out of range", env, out);
                match self.positions.get(tp) {
                    Some(p) => pos = *p,
                    None => continue,
                }
            }
            let before = pos;
            let mut last_epoch = None;
            let room = max - records.len();
            env.for_each_record(tp, pos, bounds.high_watermark, room, &mut |offset, record_id, epoch| {
                records.push(FetchedRecord { tp: tp.clone(), offset, record_id });
                last_epoch = epoch.or(last_epoch);
                pos = offset + 1;
            });
            if let Some(e) = last_epoch {
                self.position_epochs.insert(tp.clone(), e);
                self.validated_epochs.insert(tp.clone(), bounds.leader_epoch);
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

/// The owned partitions that have a position and are not failed (`no_offset`), with their
/// positions, in key order: assignment and positions share the key order, so a merge join
/// finds them without lookups.
fn owned_positions<'a, 'b>(
    assignment: &'a VecSet<TopicPartition>,
    positions: &'b VecMap<TopicPartition, i64>,
    no_offset: &'b VecSet<TopicPartition>,
) -> impl Iterator<Item = (&'a TopicPartition, i64)> + use<'a, 'b> {
    let mut pos_iter = positions.iter().peekable();
    assignment.iter().filter_map(move |tp| {
        while pos_iter.next_if(|(k, _)| *k < tp).is_some() {}
        let &(_, &pos) = pos_iter.peek().filter(|(k, _)| *k == tp)?;
        (!no_offset.contains(tp)).then_some((tp, pos))
    })
}

#[cfg(test)]
mod tests {
    use super::super::{ConsumerConfig, PartitionOffsets};
    use super::*;
    use crate::kernel::vecmap::VecMap;

    /// One partition `t-0` with these bounds; record `o` has id `o` and leader epoch 0.
    struct Bounds(PartitionOffsets);

    impl PartitionSource for Bounds {
        fn partition_count(&self, _: &str) -> Option<u32> {
            Some(1)
        }
        fn offsets(&self, _: &TopicPartition) -> Option<PartitionOffsets> {
            Some(self.0)
        }
        fn record_id(&self, _: &TopicPartition, offset: i64) -> Option<RecordId> {
            (offset >= self.0.log_start_offset && offset < self.0.log_end_offset).then_some(offset as RecordId)
        }
    }

    fn client_at(position: i64) -> ConsumerClient {
        let assign: super::super::AssignFn = |_, _, _| Ok(VecMap::new());
        let mut c = ConsumerClient::new(ConsumerConfig::new("c", "g", &["t"]), assign, 0).unwrap();
        let tp = TopicPartition::new("t", 0);
        c.assignment.insert(tp.clone());
        c.positions.insert(tp, position);
        c
    }

    /// `Partition.fetchRecords` reads up to the HW and `UnifiedLog.read` only fails outside
    /// [log start, LEO]: a position between the HW and the LEO (a new leader whose HW has not
    /// caught up yet) is an empty fetch, not OFFSET_OUT_OF_RANGE. The engine used to reset it.
    #[test]
    fn a_position_between_the_hw_and_the_leo_is_an_empty_fetch_not_out_of_range() {
        let tp = TopicPartition::new("t", 0);
        let mut c = client_at(10);
        let mut out = Vec::new();
        let lagging = Bounds(PartitionOffsets { log_start_offset: 0, high_watermark: 8, log_end_offset: 12, leader_epoch: 1 });
        assert!(c.fetch(5, &lagging, &mut out).is_empty());
        assert_eq!(c.positions.get(&tp), Some(&10));
        assert!(!out.iter().any(|o| matches!(o, Output::Event { event: GroupEvent::OffsetReset { .. }, .. })), "{out:?}");
        let caught_up = Bounds(PartitionOffsets { high_watermark: 12, ..lagging.0 });
        let got: Vec<i64> = c.fetch(6, &caught_up, &mut out).iter().map(|r| r.offset).collect();
        assert_eq!(got, vec![10, 11]);
        // Past the LEO it is out of range: `auto.offset.reset` (latest: the HW).
        let mut c = client_at(13);
        c.fetch(7, &caught_up, &mut out);
        assert_eq!(c.positions.get(&tp), Some(&12));
    }
}
