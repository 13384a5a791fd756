//! Delivery accounting and audits: how often each group processed each record (the delivery
//! ledger), records lost below a committed offset, key-order violations, and the ownership
//! timeline whose overlaps are invariant violations ([`GroupLayer::check_invariants`]).

use crate::cluster::Cluster;
use crate::group::accounting::{DeliveryLedger, OwnershipTimeline};
use crate::group::output::Output;
use crate::group::protocol::{producer_record_id, RecordId, TopicPartition};
use crate::kernel::vecmap::VecMap;

use super::GroupLayer;

/// The layer's audit state; none of it feeds back into the protocol machines.
#[derive(Clone, Debug, Default)]
pub(super) struct Audit {
    /// Who owned each partition when, per group.
    pub(super) ownership: OwnershipTimeline,
    /// How many times each group processed each record.
    pub(super) ledger: DeliveryLedger,
    /// Invariant violations seen so far (ownership overlaps, failed coordinator loads).
    pub(super) violations: Vec<String>,
    /// Per (group, partition): offset below which losses were already counted.
    pub(super) loss_checked: VecMap<String, VecMap<TopicPartition, u64>>,
    /// Per (group, partition): highest `auto.offset.reset` target; records below it were
    /// skipped on purpose and are not losses.
    pub(super) reset_floor: VecMap<String, VecMap<TopicPartition, u64>>,
    /// Records below the committed offsets that were never processed, per group.
    pub(super) losses: VecMap<String, u64>,
    /// A commit or an ownership change happened since the last loss accounting.
    pub(super) losses_dirty: bool,
    /// Per (group, topic, partition, key): highest offset processed for the first time.
    pub(super) key_last_offset: VecMap<String, VecMap<TopicPartition, VecMap<u32, i64>>>,
    /// Records processed (first time) after a later record of the same key, per group.
    pub(super) ordering_violations: VecMap<String, u64>,
    /// `(group, member id)` of members the coordinator removed while their consumer still
    /// ran: what they are handed later (a response already on its way) is zombie ownership.
    pub(super) removed_members: crate::kernel::vecmap::VecSet<(String, String)>,
}

impl Audit {
    /// `auto.offset.reset` moved a group's position on `tp` to `offset`: records below it are
    /// skipped on purpose.
    pub(super) fn offset_reset(&mut self, gid: &str, tp: &TopicPartition, offset: i64) {
        let floor = self.reset_floor.entry(gid.to_string()).or_default().entry(tp.clone()).or_insert(0);
        *floor = (*floor).max(offset.max(0) as u64);
    }

    /// A consumer of `group_id` processed the record at `offset` of `tp`.
    pub(super) fn processed(&mut self, cluster: &Cluster, group_id: &str, tp: &TopicPartition, offset: i64, record_id: RecordId) {
        // Key order is judged on the first processing only (the ledger and the
        // key-order tracker are independent, so counting first is equivalent).
        if self.ledger.count_processed(group_id, record_id) == 1 {
            self.track_key_order(cluster, group_id, tp, offset);
        }
    }

    /// An `Assigned` or `Revoked` output: the ownership timeline records it; an overlap is a violation.
    pub(super) fn ownership_changed(&mut self, o: &Output) {
        self.losses_dirty = true;
        for c in self.ownership.apply(o) {
            self.violations.push(format!("ownership: {c}"));
        }
    }

    /// Counts a key-order violation when a record is processed for the first time after a
    /// later record of the same key (same partition, since a key maps to one partition).
    /// Null-key records have no key order.
    fn track_key_order(&mut self, cluster: &Cluster, group_id: &str, tp: &TopicPartition, offset: i64) {
        let Ok(off) = u64::try_from(offset) else { return };
        let key = match cluster.read(&tp.topic, tp.partition, off, 1).and_then(|r| r.first()) {
            Some(r) if r.offset == off => r.key,
            _ => return,
        };
        if key == crate::cluster::log::NO_KEY {
            return;
        }
        // Nested maps: look up by reference, allocate keys only for a new group/partition.
        let by_tp = match self.key_last_offset.get_mut(group_id) {
            Some(m) => m,
            None => self.key_last_offset.entry(group_id.to_string()).or_default(),
        };
        let by_key = match by_tp.get_mut(tp) {
            Some(m) => m,
            None => by_tp.entry(tp.clone()).or_default(),
        };
        let last = by_key.entry(key).or_insert(-1);
        if offset < *last {
            *self.ordering_violations.entry(group_id.to_string()).or_insert(0) += 1;
        } else {
            *last = offset;
        }
    }
}

impl GroupLayer {
    /// Counts records that fell below a group's committed offset without being processed
    /// (at-most-once losses). Records still in a consumer's batch are not judged yet; records
    /// skipped by `auto.offset.reset` are not losses.
    pub(super) fn account_losses(&mut self, cluster: &Cluster) {
        let GroupLayer {
            groups, consumers, audit, ..
        } = self;
        let Audit {
            loss_checked,
            reset_floor,
            losses,
            ledger,
            ..
        } = audit;
        for (gid, g) in groups.iter_mut() {
            let Some(c) = &g.coordinator else { continue };
            // Every offset was settled (checked up to the committed offset) by an earlier pass
            // and none changed since: this pass would skip every partition.
            if g.losses_settled == Some(c.committed_version()) {
                continue;
            }
            // Partitions this pass leaves below their committed offset.
            let mut unsettled = 0usize;
            // Lowest offset still in a member's batch, per partition; built on first need.
            let mut pending: Option<VecMap<&TopicPartition, u64>> = None;
            let floors = reset_floor.get(gid.as_str());
            let checked_of_group = loss_checked.get(gid.as_str());
            let processed = ledger.processed_ids(gid);
            // Partitions checked in this pass (each partition appears once in `committed`).
            let mut newly_checked: Vec<(&TopicPartition, u64)> = Vec::new();
            // Topic lookups by name, cached for runs of partitions of one topic.
            let mut topic_cache: Option<(&str, Option<&crate::cluster::Topic>)> = None;
            // `loss_checked` is keyed like `committed`: walk both in order (a merge join).
            let mut checked_iter = checked_of_group.map(|m| m.iter().peekable());
            for (tp, committed) in c.committed() {
                let committed_offset = committed.offset.max(0) as u64;
                let checked = checked_iter.as_mut().and_then(|it| loop {
                    match it.peek() {
                        Some((k, _)) if *k < tp => {
                            it.next();
                        }
                        Some((k, v)) if *k == tp => break Some(**v),
                        _ => break None,
                    }
                });
                if checked.is_some_and(|c| c >= committed_offset) {
                    continue;
                }
                let topic = match topic_cache {
                    Some((name, t)) if name == tp.topic => t,
                    _ => {
                        let t = cluster.topic(&tp.topic);
                        topic_cache = Some((tp.topic.as_str(), t));
                        t
                    }
                };
                let Some(log) = topic.and_then(|t| t.partitions.get(tp.partition as usize)).and_then(|p| p.leader_log()) else {
                    unsettled += 1;
                    continue;
                };
                let pending = pending.get_or_insert_with(|| {
                    let mut m: VecMap<&TopicPartition, u64> = VecMap::new();
                    for x in consumers.values().filter(|x| x.group_id == *gid) {
                        for r in x.client.pending_batch() {
                            let o = r.offset.max(0) as u64;
                            m.entry(&r.tp).and_modify(|v| *v = (*v).min(o)).or_insert(o);
                        }
                    }
                    m
                });
                let pending_min = pending.get(tp).copied();
                let from = [
                    checked.unwrap_or(0),
                    floors.and_then(|m| m.get(tp)).copied().unwrap_or(0),
                    log.log_start_offset(),
                ]
                .into_iter()
                .max()
                .unwrap_or(0);
                let until = pending_min.map_or(committed_offset, |p| p.min(committed_offset));
                if until <= from {
                    unsettled += 1;
                    continue;
                }
                let lost = log
                    .slice(from, until, usize::MAX)
                    .iter()
                    .filter(|r| {
                        let id = producer_record_id(r.producer_id, r.sequence);
                        !processed.is_some_and(|m| m.contains_key(&id))
                    })
                    .count() as u64;
                if lost > 0 {
                    *losses.entry(gid.clone()).or_insert(0) += lost;
                }
                if until < committed_offset {
                    unsettled += 1;
                }
                newly_checked.push((tp, until));
            }
            if !newly_checked.is_empty() {
                if !loss_checked.contains_key(gid.as_str()) {
                    loss_checked.insert(gid.clone(), VecMap::new());
                }
                if let Some(m) = loss_checked.get_mut(gid.as_str()) {
                    for (tp, until) in newly_checked {
                        match m.get_mut(tp) {
                            Some(v) => *v = until,
                            None => {
                                m.insert(tp.clone(), until);
                            }
                        }
                    }
                }
            }
            g.losses_settled = (unsettled == 0).then(|| c.committed_version());
        }
    }

    /// Invariants: no two members of a group owned a partition at once (ownership timeline),
    /// and right now no partition is owned by two consumers still in the group.
    pub fn check_invariants(&self) -> Result<(), String> {
        if let Some(v) = self.audit.violations.first() {
            return Err(v.clone());
        }
        self.share.check_invariants()?;
        for gid in self.groups.keys() {
            let mut seen: VecMap<&TopicPartition, &str> = VecMap::new();
            for c in self.consumers.values().filter(|c| c.group_id == *gid) {
                if self.audit.ownership.is_fenced(gid, c.client.client_id()) {
                    continue;
                }
                for tp in c.client.assignment() {
                    if let Some(other) = seen.insert(tp, c.client.client_id()) {
                        return Err(format!("group {gid}: {tp} owned by {other} and {}", c.client.client_id()));
                    }
                }
            }
            // A consumer-protocol group's coordinator: one owner per partition, epochs in order.
            if let Some(cg) = self.groups.get(gid).and_then(|g| g.consumer.as_ref()) {
                cg.check_invariants()?;
            }
        }
        Ok(())
    }

    /// How many times each group processed each record (read-only, for the UI's record strip).
    pub fn ledger(&self) -> &DeliveryLedger {
        &self.audit.ledger
    }
}
