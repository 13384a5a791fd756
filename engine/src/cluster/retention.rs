//! Log retention (`delete` topics: segments past `retention.ms` / `retention.bytes` below the
//! high watermark leave the log) and the log cleaner (`compact` topics).
//!
//! Kafka classes this follows:
//! * `UnifiedLog` — log start offset, segments, retention (`deleteOldSegments`), the log cleaner.

use super::{Cluster, ClusterEvent, ClusterTimer, Topic};
use crate::kernel::Ctx;

impl Cluster {
    /// Timer: retention check on every replica of every `delete` topic (`deleteOldSegments`).
    pub(super) fn on_retention(&mut self, ctx: &mut Ctx) {
        self.retention_scheduled = false;
        let now = ctx.now_ms;
        let rsize = self.config.record_size_bytes.max(1);
        // Earliest time a time-based breach can happen (size breaches only follow appends,
        // which re-arm this timer).
        let mut next_due: Option<u64> = None;
        for tid in 0..self.topics.len() {
            let cfg = self.topics[tid].config.clone();
            if !cfg.cleanup_policy.deletes() {
                continue;
            }
            let max_records: Option<u64> = {
                let by_bytes = (cfg.retention_bytes >= 0).then(|| cfg.retention_bytes as u64 / rsize);
                let by_records = (cfg.retention_records >= 0).then_some(cfg.retention_records as u64);
                match (by_bytes, by_records) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                }
            };
            if cfg.retention_ms < 0 && max_records.is_none() {
                continue;
            }
            // Log start offsets may move below.
            self.wake_topic(tid);
            let Topic { name: tname, partitions, .. } = &mut self.topics[tid];
            for (p, part) in partitions.iter_mut().enumerate() {
                let leader = part.leader;
                for i in 0..part.logs.len() {
                    let broker = part.replicas[i];
                    if !self.brokers[broker as usize].alive {
                        continue;
                    }
                    let log = &mut part.logs[i];
                    let segs = log.segments();
                    let hw = log.high_watermark();
                    let leo = log.log_end_offset();
                    let mut delete_upto: Option<u64> = None;
                    let mut nsegs = 0u32;
                    let mut size = log.len();
                    for (k, s) in segs.iter().enumerate() {
                        let upper = if k + 1 < segs.len() { segs[k + 1].base_offset } else { leo };
                        let time_breach = cfg.retention_ms >= 0 && now.saturating_sub(s.max_timestamp_ms) > cfg.retention_ms as u64;
                        let size_breach = max_records.is_some_and(|m| size.saturating_sub(s.records) >= m);
                        if s.records == 0 || !(time_breach || size_breach) {
                            if s.records > 0 && cfg.retention_ms >= 0 {
                                let due = s.max_timestamp_ms.saturating_add(cfg.retention_ms as u64).saturating_add(1);
                                next_due = Some(next_due.map_or(due, |d: u64| d.min(due)));
                            }
                            break;
                        }
                        if upper > hw {
                            // Breached but not yet below the HW: check again next interval.
                            next_due = Some(now);
                            break;
                        }
                        size = size.saturating_sub(s.records);
                        delete_upto = Some(upper);
                        nsegs += 1;
                    }
                    if let Some(upto) = delete_upto {
                        let from = log.log_start_offset();
                        let removed = log.advance_log_start(upto);
                        self.total_records -= removed;
                        if leader == Some(broker) {
                            self.out.push(ctx, ClusterEvent::RetentionDeleted {
                                topic: tname.clone(),
                                partition: p as u32,
                                from,
                                to: upto,
                                segments: nsegs,
                            });
                        }
                    }
                }
            }
        }
        if let Some(due) = next_due {
            // Kafka checks on a fixed interval: the first check at or after `due`.
            let iv = self.config.log_retention_check_interval_ms.max(1);
            let periods = due.saturating_sub(now).div_ceil(iv).max(1);
            self.retention_scheduled = true;
            self.timers.schedule_in(ctx, periods.saturating_mul(iv), ClusterTimer::Retention);
        }
    }

    /// Timer: log cleaner pass over compacted topics. Cleans the part below the first
    /// uncleanable offset (`min(active segment base, HW)`) when the dirty ratio ≥
    /// `min.cleanable.dirty.ratio`.
    pub(super) fn on_cleaner(&mut self, ctx: &mut Ctx) {
        self.cleaner_scheduled = false;
        let key_space = self.keys.len();
        let ratio = self.config.min_cleanable_dirty_ratio_percent;
        let mut any = false;
        for tid in 0..self.topics.len() {
            if !self.topics[tid].config.cleanup_policy.compacts() {
                continue;
            }
            any = true;
            // Logs may be compacted below.
            self.wake_topic(tid);
            let Topic { name: tname, partitions, .. } = &mut self.topics[tid];
            for (p, part) in partitions.iter_mut().enumerate() {
                let leader = part.leader;
                for i in 0..part.logs.len() {
                    let broker = part.replicas[i];
                    if !self.brokers[broker as usize].alive {
                        continue;
                    }
                    let log = &mut part.logs[i];
                    let active_base = log.segments().last().map_or(0, |s| s.base_offset);
                    let until = active_base.min(log.high_watermark());
                    let checkpoint = log.cleaner_checkpoint();
                    if until <= checkpoint {
                        continue;
                    }
                    let total = log.index_of(until) as u64;
                    let dirty = total - log.index_of(checkpoint) as u64;
                    if total == 0 || dirty * 100 < ratio * total {
                        continue;
                    }
                    let removed = log.compact(until, key_space);
                    self.total_records -= removed;
                    if leader == Some(broker) {
                        part.compacted_records += removed;
                        self.out.push(ctx, ClusterEvent::Compacted {
                            topic: tname.clone(),
                            partition: p as u32,
                            removed,
                            cleaned_up_to: until,
                        });
                    }
                }
            }
        }
        let _ = any;
        // Keep running only while there is data in a compacted topic.
        let has_data = self
            .topics
            .iter()
            .filter(|t| t.config.cleanup_policy.compacts())
            .any(|t| t.partitions.iter().any(|p| p.logs.iter().any(|l| !l.is_empty())));
        if has_data {
            self.cleaner_scheduled = true;
            self.timers.schedule_in(ctx, self.config.log_cleaner_backoff_ms.max(1), ClusterTimer::Cleaner);
        }
    }
}
