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
/// Per group, the counts are kept as runs of consecutive record ids that share a count
/// ([`Runs`]): a producer's records are mostly processed once each, so a group's ledger is a few
/// runs (one per producer, plus one per gap still to process or record processed again), not one
/// entry per record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryLedger {
    groups: VecMap<String, Runs>,
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
        let runs = match self.groups.get_mut(group_id) {
            Some(r) => r,
            None => self.groups.entry(group_id.to_string()).or_default(),
        };
        runs.increment(record_id)
    }

    /// Applies an [`Output::Processed`] of a consumer of `group_id`; other outputs are ignored.
    pub fn apply(&mut self, group_id: &str, output: &Output) {
        if let Output::Processed { record_id, .. } = output {
            self.record_processed(group_id, *record_id);
        }
    }

    /// Times a record was processed by a group.
    pub fn times_processed(&self, group_id: &str, record_id: RecordId) -> u32 {
        self.groups.get(group_id).map_or(0, |r| r.count(record_id))
    }

    /// The records a group processed, with their processing counts.
    pub fn processed_ids(&self, group_id: &str) -> Option<ProcessedIds<'_>> {
        self.groups.get(group_id).map(ProcessedIds)
    }

    /// Extra processings (sum over records of `times − 1`).
    pub fn duplicates(&self, group_id: &str) -> u64 {
        self.groups.get(group_id).map_or(0, |r| r.total - r.distinct)
    }

    /// Total processings (with repeats).
    pub fn total_processed(&self, group_id: &str) -> u64 {
        self.groups.get(group_id).map_or(0, |r| r.total)
    }

    /// Distinct records processed at least once.
    pub fn distinct_processed(&self, group_id: &str) -> u64 {
        self.groups.get(group_id).map_or(0, |r| r.distinct)
    }

    /// Runs kept for a group (the ledger's size: see [`Runs`]).
    pub fn runs(&self, group_id: &str) -> usize {
        self.groups.get(group_id).map_or(0, |r| r.runs.len())
    }

    /// Records among `expected` (e.g. everything below the committed offsets) never processed.
    pub fn losses(&self, group_id: &str, expected: impl IntoIterator<Item = RecordId>) -> u64 {
        expected
            .into_iter()
            .filter(|id| self.times_processed(group_id, *id) == 0)
            .count() as u64
    }
}

/// One group's processing counts: maximal runs of consecutive record ids with the same non-zero
/// count, each one key `start << 64 | len << 32 | count` of a `BTreeSet<u128>` (ordered by
/// start; runs never overlap). Ids outside every run were never processed. (The `u128` set is
/// the engine's timer and deadline set: no second ordered-map type in the wasm.)
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Runs {
    runs: BTreeSet<u128>,
    /// Records processed at least once.
    distinct: u64,
    /// Processings, with repeats.
    total: u64,
}

/// A run of `len` ids from `start`, each processed `count` times.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Run {
    start: u64,
    len: u32,
    count: u32,
}

impl Run {
    fn key(self) -> u128 {
        u128::from(self.start) << 64 | u128::from(self.len) << 32 | u128::from(self.count)
    }

    fn of(key: u128) -> Run {
        Run {
            start: (key >> 64) as u64,
            len: (key >> 32) as u32,
            count: key as u32,
        }
    }

    /// One past the last id.
    fn end(self) -> u64 {
        self.start + u64::from(self.len)
    }
}

impl Runs {
    /// The last run that starts at or before `id`.
    fn last_from(&self, id: u64) -> Option<Run> {
        self.runs.range(..=(u128::from(id) << 64 | u128::from(u64::MAX))).next_back().map(|&k| Run::of(k))
    }

    /// The run holding `id`, if any.
    fn find(&self, id: u64) -> Option<Run> {
        self.last_from(id).filter(|r| id < r.end())
    }

    /// How many times `id` was processed.
    fn count(&self, id: u64) -> u32 {
        self.find(id).map_or(0, |r| r.count)
    }

    fn put(&mut self, run: Run) {
        if run.len > 0 {
            self.runs.insert(run.key());
        }
    }

    /// One more processing of `id`; returns its new count.
    fn increment(&mut self, id: u64) -> u32 {
        self.total += 1;
        // The last run that starts at or before `id`: the one holding it, or else the run
        // holding `id - 1` if it touches `id`.
        let at = self.last_from(id);
        let (count, left) = match at {
            Some(r) if id < r.end() => {
                self.runs.remove(&r.key());
                let before = (id - r.start) as u32;
                self.put(Run { len: before, ..r });
                self.put(Run { start: id + 1, len: r.len - before - 1, ..r });
                (r.count.saturating_add(1), id.checked_sub(1).and_then(|l| self.find(l)))
            }
            _ => {
                self.distinct += 1;
                (1, at.filter(|l| l.end() == id))
            }
        };
        // The new one-id run, merged with neighbours of the same count that touch it.
        let mut run = Run { start: id, len: 1, count };
        if let Some(left) = left {
            if left.count == count && left.len < u32::MAX {
                self.runs.remove(&left.key());
                run = Run { len: left.len + 1, ..left };
            }
        }
        if let Some(right) = id.checked_add(1).and_then(|r| self.find(r)) {
            if right.count == count && right.start == id + 1 && u64::from(run.len) + u64::from(right.len) <= u64::from(u32::MAX) {
                self.runs.remove(&right.key());
                run.len += right.len;
            }
        }
        self.put(run);
        count
    }
}

/// The records one group processed (see [`DeliveryLedger::processed_ids`]).
#[derive(Clone, Copy, Debug)]
pub struct ProcessedIds<'a>(&'a Runs);

impl ProcessedIds<'_> {
    /// Whether the group processed `record_id` at least once.
    pub fn contains_key(&self, record_id: &RecordId) -> bool {
        self.0.find(*record_id).is_some()
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
mod ledger_tests {
    use super::*;
    use crate::group::protocol::producer_record_id;
    use crate::kernel::rng::SplitMix64;

    /// The runs count exactly as a map from id to count does, for random ids around run
    /// boundaries and repeats, and stay maximal (no two touching runs share a count).
    #[test]
    fn runs_count_like_a_map() {
        let mut rng = SplitMix64::new(7);
        let mut ledger = DeliveryLedger::new();
        let mut model = std::collections::BTreeMap::<u64, u32>::new();
        for i in 0..20_000u64 {
            // Mostly ascending ids with holes, sometimes a repeat of an older one.
            let id = if rng.next_u64().is_multiple_of(5) { rng.next_u64() % (i + 1) } else { i / 2 + rng.next_u64() % 3 };
            let want = model.entry(id).and_modify(|c| *c += 1).or_insert(1);
            assert_eq!(ledger.count_processed("g", id), *want, "id {id} at step {i}");
        }
        for id in 0..12_000u64 {
            assert_eq!(ledger.times_processed("g", id), model.get(&id).copied().unwrap_or(0), "id {id}");
        }
        let runs: Vec<Run> = ledger.groups.get("g").unwrap().runs.iter().map(|k| Run::of(*k)).collect();
        for w in runs.windows(2) {
            assert!(w[0].end() <= w[1].start, "overlap {w:?}");
            assert!(!(w[0].end() == w[1].start && w[0].count == w[1].count), "not merged {w:?}");
        }
        assert_eq!(ledger.distinct_processed("g"), model.len() as u64);
        assert_eq!(ledger.total_processed("g"), 20_000);
        assert_eq!(ledger.duplicates("g"), model.values().map(|c| u64::from(c - 1)).sum::<u64>());
        assert_eq!(ledger.times_processed("h", 1), 0);
    }

    /// A producer's records processed once each in order are one run, whatever their number.
    #[test]
    fn in_order_processing_is_one_run() {
        let mut ledger = DeliveryLedger::new();
        for seq in (0..1000).rev().chain(1000..5000) {
            ledger.record_processed("g", producer_record_id(3, seq));
        }
        assert_eq!(ledger.runs("g"), 1);
        assert!(ledger.processed_ids("g").unwrap().contains_key(&producer_record_id(3, 4999)));
        assert!(!ledger.processed_ids("g").unwrap().contains_key(&producer_record_id(3, 5000)));
    }
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
