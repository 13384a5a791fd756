//! Observability derived from the group state machines' outputs.
//!
//! * [`OwnershipTimeline`]: for every group and partition, who owns it at every moment
//!   (`onPartitionsAssigned` … `onPartitionsRevoked`/`onPartitionsLost`), so an eager
//!   rebalance's stop-the-world gap is visible next to a cooperative one's absence of gap.
//! * [`DeliveryLedger`]: how many times each record was processed per group (duplicates of
//!   at-least-once, losses of at-most-once).
//! * [`LagRow`]: `kafka-consumer-groups.sh --describe` style lag: HW − committed offset, and
//!   HW − position.

use crate::kernel::vecmap::{VecMap, VecSet};
use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::protocol::{RecordId, TopicPartition};
use super::output::Output;

/// One ownership change of a partition in a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnershipChange {
    /// When.
    pub at_ms: u64,
    /// New owner (`client.id`), `None` when nobody owns it.
    pub owner: Option<String>,
}

/// Upper bound of changes kept per partition (oldest dropped first).
pub const MAX_CHANGES_PER_PARTITION: usize = 10_000;

/// Who owns each partition of each group over time.
///
/// Stored per group, then per partition ([`OwnershipLane`]), so lookups by `&str` group id
/// allocate nothing; each lane keeps its total gap incrementally so views need no scan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnershipTimeline {
    groups: VecMap<String, VecMap<TopicPartition, OwnershipLane>>,
    /// Per group: fenced `client.id`s.
    fenced: VecMap<String, VecSet<String>>,
}

/// The ownership history of one partition in one group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnershipLane {
    changes: Vec<OwnershipChange>,
    /// Sum of the gaps of `changes` ([`OwnershipTimeline::gaps`]), kept incrementally.
    gap_ms: u64,
    /// Start of the open release (a release not yet followed by an owner).
    released_at: Option<u64>,
}

impl OwnershipLane {
    /// Every kept change, oldest first.
    pub fn changes(&self) -> &[OwnershipChange] {
        &self.changes
    }
    /// Current owner.
    pub fn owner(&self) -> Option<&str> {
        self.changes.last().and_then(|c| c.owner.as_deref())
    }
    /// Total time without an owner between two owners (over the kept changes).
    pub fn gap_ms(&self) -> u64 {
        self.gap_ms
    }

    fn push(&mut self, change: OwnershipChange) {
        if self.changes.len() >= MAX_CHANGES_PER_PARTITION {
            // Dropping the oldest change drops the gap it opened, if the next change closed it.
            if let [first, second, ..] = self.changes.as_slice() {
                if first.owner.is_none() && second.owner.is_some() {
                    self.gap_ms -= second.at_ms - first.at_ms;
                }
            }
            self.changes.remove(0);
        }
        match (&change.owner, self.released_at) {
            (None, _) => self.released_at = Some(change.at_ms),
            (Some(_), Some(from)) => {
                self.gap_ms += change.at_ms - from;
                self.released_at = None;
            }
            (Some(_), None) => {}
        }
        self.changes.push(change);
    }
}

/// Two consumers of one group would own one partition at the same time, or a consumer
/// released a partition it did not own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnershipConflict {
    /// Group.
    pub group_id: String,
    /// Partition.
    pub tp: TopicPartition,
    /// When.
    pub at_ms: u64,
    /// Owner before the change.
    pub current_owner: Option<String>,
    /// Consumer that attempted the change.
    pub claimant: String,
    /// Whether the claimant tried to acquire (true) or release (false).
    pub acquire: bool,
}

impl std::fmt::Display for OwnershipConflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "group {} partition {} at {} ms: {} tried to {} while owner is {}",
            self.group_id,
            self.tp,
            self.at_ms,
            self.claimant,
            if self.acquire {
                "acquire it"
            } else {
                "release it"
            },
            self.current_owner.as_deref().unwrap_or("nobody")
        )
    }
}

impl OwnershipTimeline {
    /// Empty timeline.
    pub fn new() -> Self {
        Self::default()
    }

    fn push(&mut self, group_id: &str, tp: &TopicPartition, change: OwnershipChange) {
        if !self.groups.contains_key(group_id) {
            self.groups.insert(group_id.to_string(), VecMap::new());
        }
        let Some(lanes) = self.groups.get_mut(group_id) else { return };
        match lanes.get_mut(tp) {
            Some(lane) => lane.push(change),
            None => lanes.entry(tp.clone()).or_default().push(change),
        }
    }

    /// The lanes of one group, by partition.
    pub fn lanes(&self, group_id: &str) -> Option<&VecMap<TopicPartition, OwnershipLane>> {
        self.groups.get(group_id)
    }

    fn lane(&self, group_id: &str, tp: &TopicPartition) -> Option<&OwnershipLane> {
        self.groups.get(group_id).and_then(|m| m.get(tp))
    }

    /// Current owner.
    pub fn current_owner(&self, group_id: &str, tp: &TopicPartition) -> Option<&str> {
        self.lane(group_id, tp).and_then(OwnershipLane::owner)
    }

    /// The coordinator removed `client_id`'s member: its partitions are free from `at_ms`, and
    /// its later (late) release of them is not a conflict. Cleared when it acquires again.
    pub fn fence(&mut self, group_id: &str, client_id: &str, at_ms: u64) {
        if let Some(lanes) = self.groups.get_mut(group_id) {
            for lane in lanes.values_mut() {
                if lane.owner() == Some(client_id) {
                    lane.push(OwnershipChange { at_ms, owner: None });
                }
            }
        }
        if !self.fenced.contains_key(group_id) {
            self.fenced.insert(group_id.to_string(), VecSet::new());
        }
        if let Some(f) = self.fenced.get_mut(group_id) {
            if !f.contains(client_id) {
                f.insert(client_id.to_string());
            }
        }
    }

    /// Whether the client was fenced and has not acquired anything since.
    pub fn is_fenced(&self, group_id: &str, client_id: &str) -> bool {
        self.fenced.get(group_id).is_some_and(|f| f.contains(client_id))
    }

    /// `owner` takes `tp`. Conflict (recorded anyway) if someone else owns it.
    pub fn acquire(
        &mut self,
        group_id: &str,
        tp: &TopicPartition,
        owner: &str,
        at_ms: u64,
    ) -> Result<(), OwnershipConflict> {
        if let Some(f) = self.fenced.get_mut(group_id) {
            f.remove(owner);
        }
        let current = self.current_owner(group_id, tp).map(str::to_string);
        self.push(
            group_id,
            tp,
            OwnershipChange {
                at_ms,
                owner: Some(owner.to_string()),
            },
        );
        match current {
            Some(c) if c != owner => Err(OwnershipConflict {
                group_id: group_id.to_string(),
                tp: tp.clone(),
                at_ms,
                current_owner: Some(c),
                claimant: owner.to_string(),
                acquire: true,
            }),
            _ => Ok(()),
        }
    }

    /// `owner` gives `tp` up. Conflict if it was not the owner (nothing recorded then).
    pub fn release(
        &mut self,
        group_id: &str,
        tp: &TopicPartition,
        owner: &str,
        at_ms: u64,
    ) -> Result<(), OwnershipConflict> {
        let current = self.current_owner(group_id, tp).map(str::to_string);
        if current.as_deref() == Some(owner) {
            self.push(group_id, tp, OwnershipChange { at_ms, owner: None });
            Ok(())
        } else if self.is_fenced(group_id, owner) {
            Ok(())
        } else {
            Err(OwnershipConflict {
                group_id: group_id.to_string(),
                tp: tp.clone(),
                at_ms,
                current_owner: current,
                claimant: owner.to_string(),
                acquire: false,
            })
        }
    }

    /// Applies an [`Output::Assigned`] / [`Output::Revoked`]; other outputs are ignored.
    pub fn apply(&mut self, output: &Output) -> Vec<OwnershipConflict> {
        let mut conflicts = Vec::new();
        match output {
            Output::Assigned {
                group_id,
                client_id,
                partitions,
                at_ms,
            } => {
                for tp in partitions {
                    if let Err(c) = self.acquire(group_id, tp, client_id, *at_ms) {
                        conflicts.push(c);
                    }
                }
            }
            Output::Revoked {
                group_id,
                client_id,
                partitions,
                at_ms,
                ..
            } => {
                for tp in partitions {
                    if let Err(c) = self.release(group_id, tp, client_id, *at_ms) {
                        conflicts.push(c);
                    }
                }
            }
            _ => {}
        }
        conflicts
    }

    /// Every change of one partition.
    pub fn history(&self, group_id: &str, tp: &TopicPartition) -> &[OwnershipChange] {
        self.lane(group_id, tp).map_or(&[], OwnershipLane::changes)
    }

    /// Owner at a given time (the last change at or before `at_ms` wins).
    pub fn owner_at(&self, group_id: &str, tp: &TopicPartition, at_ms: u64) -> Option<&str> {
        self.history(group_id, tp)
            .iter()
            .rev()
            .find(|c| c.at_ms <= at_ms)
            .and_then(|c| c.owner.as_deref())
    }

    /// Unowned intervals `[from, to)` that lie between two owners (the time before the first
    /// owner and after the last release are not gaps).
    pub fn gaps(&self, group_id: &str, tp: &TopicPartition) -> Vec<(u64, u64)> {
        let mut gaps = Vec::new();
        let mut released_at: Option<u64> = None;
        for c in self.history(group_id, tp) {
            match (&c.owner, released_at) {
                (None, _) => released_at = Some(c.at_ms),
                (Some(_), Some(from)) => {
                    gaps.push((from, c.at_ms));
                    released_at = None;
                }
                (Some(_), None) => {}
            }
        }
        gaps
    }

    /// Sum of [`Self::gaps`] lengths (kept incrementally).
    pub fn total_gap_ms(&self, group_id: &str, tp: &TopicPartition) -> u64 {
        self.lane(group_id, tp).map_or(0, OwnershipLane::gap_ms)
    }

    /// All partitions known for a group.
    pub fn partitions(&self, group_id: &str) -> Vec<TopicPartition> {
        self.groups.get(group_id).map_or_else(Vec::new, |m| m.keys().cloned().collect())
    }
}

/// How many times each record was processed, per group.
///
/// Per group, one `BTreeSet<u128>` of keys `record_id << 32 | times`: a record appears at most
/// once, and its count is read with a range over its id. (A `BTreeMap<RecordId, u32>` would
/// compile a whole second ordered-map type into the wasm; the `u128` set type is the engine's
/// timer and deadline set.)
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryLedger {
    counts: VecMap<String, BTreeSet<u128>>,
    /// Per group: (total processings, duplicate processings), kept incrementally.
    totals: VecMap<String, (u64, u64)>,
}

impl DeliveryLedger {
    /// Empty ledger.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one processing of `record_id` by `group_id`.
    pub fn record_processed(&mut self, group_id: &str, record_id: RecordId) {
        self.count_processed(group_id, record_id);
    }

    /// Counts one processing of `record_id` by `group_id`; returns how many times the group has
    /// now processed it (1 = first time).
    pub fn count_processed(&mut self, group_id: &str, record_id: RecordId) -> u32 {
        // Look groups up by `&str`; allocate the key only for a new group.
        if !self.counts.contains_key(group_id) {
            self.counts.insert(group_id.to_string(), BTreeSet::new());
        }
        if !self.totals.contains_key(group_id) {
            self.totals.insert(group_id.to_string(), (0, 0));
        }
        let Some(counts) = self.counts.get_mut(group_id) else { return 0 };
        let times = match ProcessedIds(counts).entry(record_id) {
            Some(key) => {
                counts.remove(&key);
                (key as u32).saturating_add(1)
            }
            None => 1,
        };
        counts.insert(u128::from(record_id) << 32 | u128::from(times));
        let Some(t) = self.totals.get_mut(group_id) else { return times };
        t.0 += 1;
        if times > 1 {
            t.1 += 1;
        }
        times
    }

    /// Applies an [`Output::Processed`]; other outputs are ignored.
    pub fn apply(&mut self, output: &Output) {
        if let Output::Processed {
            group_id,
            record_id,
            ..
        } = output
        {
            self.record_processed(group_id, *record_id);
        }
    }

    /// Times a record was processed by a group.
    pub fn times_processed(&self, group_id: &str, record_id: RecordId) -> u32 {
        self.counts
            .get(group_id)
            .and_then(|m| ProcessedIds(m).entry(record_id))
            .map_or(0, |key| key as u32)
    }

    /// The records a group processed, with their processing counts.
    pub fn processed_ids(&self, group_id: &str) -> Option<ProcessedIds<'_>> {
        self.counts.get(group_id).map(ProcessedIds)
    }

    /// Extra processings (sum over records of `times − 1`).
    pub fn duplicates(&self, group_id: &str) -> u64 {
        self.totals.get(group_id).map_or(0, |t| t.1)
    }

    /// Total processings (with repeats).
    pub fn total_processed(&self, group_id: &str) -> u64 {
        self.totals.get(group_id).map_or(0, |t| t.0)
    }

    /// Distinct records processed at least once.
    pub fn distinct_processed(&self, group_id: &str) -> u64 {
        self.counts.get(group_id).map_or(0, |m| m.len() as u64)
    }

    /// Records among `expected` (e.g. everything below the committed offsets) never processed.
    pub fn losses(&self, group_id: &str, expected: impl IntoIterator<Item = RecordId>) -> u64 {
        expected
            .into_iter()
            .filter(|id| self.times_processed(group_id, *id) == 0)
            .count() as u64
    }
}

/// The records one group processed (see [`DeliveryLedger::processed_ids`]).
#[derive(Clone, Copy, Debug)]
pub struct ProcessedIds<'a>(&'a BTreeSet<u128>);

impl ProcessedIds<'_> {
    /// The ledger key (`record_id << 32 | times`) of `record_id`, if it was processed.
    fn entry(&self, record_id: RecordId) -> Option<u128> {
        let lo = u128::from(record_id) << 32;
        self.0.range(lo..=lo | u128::from(u32::MAX)).next().copied()
    }

    /// Whether the group processed `record_id` at least once.
    pub fn contains_key(&self, record_id: &RecordId) -> bool {
        self.entry(*record_id).is_some()
    }
}

/// One row of a group's lag table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LagRow {
    /// Group.
    pub group_id: String,
    /// Partition.
    pub tp: TopicPartition,
    /// High watermark.
    pub high_watermark: i64,
    /// Committed offset, if any.
    pub committed: Option<i64>,
    /// Owner's fetch position, if owned.
    pub position: Option<i64>,
    /// Owner (`client.id`).
    pub owner: Option<String>,
    /// HW − committed (`LAG` of `kafka-consumer-groups.sh`).
    pub committed_lag: Option<i64>,
    /// HW − position.
    pub position_lag: Option<i64>,
}

/// Builds lag rows for every partition in `high_watermarks`.
pub fn lag_rows(
    group_id: &str,
    high_watermarks: &VecMap<TopicPartition, i64>,
    committed: &VecMap<TopicPartition, i64>,
    positions: &VecMap<TopicPartition, (String, i64)>,
) -> Vec<LagRow> {
    high_watermarks
        .iter()
        .map(|(tp, hw)| {
            let c = committed.get(tp).copied();
            let p = positions.get(tp);
            LagRow {
                group_id: group_id.to_string(),
                tp: tp.clone(),
                high_watermark: *hw,
                committed: c,
                position: p.map(|(_, o)| *o),
                owner: p.map(|(o, _)| o.clone()),
                committed_lag: c.map(|c| (hw - c).max(0)),
                position_lag: p.map(|(_, o)| (hw - o).max(0)),
            }
        })
        .collect()
}

#[cfg(test)]
mod lane_tests {
    use super::*;

    /// The incremental gap total equals a scan of the kept history, also once the oldest
    /// changes are dropped.
    #[test]
    fn incremental_gap_matches_scan_after_trimming() {
        let mut t = OwnershipTimeline::new();
        let tp = TopicPartition::new("t", 0);
        let mut at = 0u64;
        for i in 0..(2 * MAX_CHANGES_PER_PARTITION as u64) {
            at += 1 + i % 7;
            // Patterns: acquire, release, double release, reacquire by another consumer.
            match i % 5 {
                0 | 3 => {
                    let _ = t.acquire("g", &tp, if i % 2 == 0 { "a" } else { "b" }, at);
                }
                1 | 2 => {
                    t.fence("g", "a", at);
                    t.fence("g", "b", at);
                }
                _ => {
                    let _ = t.release("g", &tp, "b", at);
                }
            }
            if i % 997 == 0 || (i > MAX_CHANGES_PER_PARTITION as u64 && i % 37 == 0) {
                let scanned: u64 = t.gaps("g", &tp).iter().map(|(a, b)| b - a).sum();
                assert_eq!(t.total_gap_ms("g", &tp), scanned, "after change {i}");
            }
        }
        assert_eq!(t.history("g", &tp).len(), MAX_CHANGES_PER_PARTITION);
        assert!(t.total_gap_ms("g", &tp) > 0);
    }
}
