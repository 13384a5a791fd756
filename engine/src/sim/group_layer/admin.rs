//! Admin requests to a group's coordinator, as `kafka-consumer-groups.sh` sends them through
//! Kafka's `Admin` client: `alterConsumerGroupOffsets` (an OffsetCommit with generation -1 and an
//! empty member id, `--reset-offsets --execute`) and `deleteConsumerGroupOffsets` (an
//! OffsetDelete, `--delete-offsets`).
//!
//! GroupLab answers them at once, at the coordinator, without the network's latency (an Admin
//! command is one step of the timeline): a refused request returns a typed [`SimError`] and
//! changes nothing. Accepted ones go through the same persistence as members' commits: records
//! appended to the group's `__consumer_offsets` partition, visible to OffsetFetch (and in the
//! views) once its HW passes them ([`GroupLayer::persist_writes`]).

use crate::cluster::Cluster;
use crate::group::protocol::{ErrorCode, OffsetCommitEntry, TopicPartition};
use crate::kafka::error::SimError;
use crate::kernel::Ctx;

use super::placement::WriteKind;
use super::{GroupLayer, GroupRuntime};

/// A group request refused with Kafka's error `e` (its name and `Errors.message()`).
pub fn rejected(e: ErrorCode) -> SimError {
    SimError::GroupRequestRejected { error: e.name().to_string(), message: e.message().to_string() }
}

/// Whether `tp` exists in the cluster's metadata.
fn partition_exists(cluster: &Cluster, tp: &TopicPartition) -> bool {
    cluster.topic(&tp.topic).is_some_and(|t| (tp.partition as usize) < t.partitions.len())
}

impl GroupLayer {
    /// The rule of an OffsetDelete of `partitions` of group `gid`, as Kafka answers it: no such
    /// group is GROUP_ID_NOT_FOUND (`GroupMetadataManager.group`), a group without a live
    /// coordinator COORDINATOR_NOT_AVAILABLE; then the coordinator's group-level check and
    /// per-topic rule ([`crate::group::coordinator::GroupCoordinator::offset_delete_results`]: GROUP_SUBSCRIBED_TO_TOPIC,
    /// NON_EMPTY_GROUP per `ClassicGroup.validateOffsetDelete`), and UNKNOWN_TOPIC_OR_PARTITION for
    /// partitions the metadata does not know (`KafkaApis.handleOffsetDeleteRequest`; a group-level
    /// error overrides them, as the request's top-level error does). Outcomes in request order.
    ///
    /// The one copy of the rule: [`Self::delete_offsets`] applies it and the tools print it.
    pub fn offset_delete_outcome(
        &self,
        cluster: &Cluster,
        now_ms: u64,
        gid: &str,
        partitions: &[TopicPartition],
    ) -> Result<Vec<(TopicPartition, ErrorCode)>, ErrorCode> {
        let g = self.groups.get(gid).ok_or(ErrorCode::GroupIdNotFound)?;
        let c = g.coordinator.as_ref().ok_or(ErrorCode::CoordinatorNotAvailable)?;
        let known: Vec<TopicPartition> = partitions.iter().filter(|tp| partition_exists(cluster, tp)).cloned().collect();
        let mut decided = c.offset_delete_results(now_ms, &known)?.into_iter();
        Ok(partitions
            .iter()
            .map(|tp| {
                if partition_exists(cluster, tp) {
                    decided.next().unwrap_or_else(|| (tp.clone(), ErrorCode::UnknownTopicOrPartition))
                } else {
                    (tp.clone(), ErrorCode::UnknownTopicOrPartition)
                }
            })
            .collect())
    }

    /// `DeleteConsumerGroupOffsets`: applies [`Self::offset_delete_outcome`]. A group-level
    /// error refuses the command (nothing changes); otherwise each allowed partition with a
    /// committed (or pending) offset gets a tombstone in `__consumer_offsets`, and the offset
    /// disappears from OffsetFetch once the HW passes it. Partitions refused one by one are
    /// left as they are.
    pub fn delete_offsets(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, gid: &str, partitions: &[TopicPartition]) -> Result<(), SimError> {
        Self::check_group_id(gid)?;
        let now = ctx.now_ms;
        self.offset_delete_outcome(cluster, now, gid, partitions).map_err(rejected)?;
        if let Some(e) = self.coordinator_append_error(cluster, gid) {
            return Err(rejected(e));
        }
        let known: Vec<TopicPartition> = partitions.iter().filter(|tp| partition_exists(cluster, tp)).cloned().collect();
        let Some(g) = self.groups.get_mut(gid) else { return Err(rejected(ErrorCode::GroupIdNotFound)) };
        let pending: Vec<TopicPartition> = pending_partitions(g);
        let Some(c) = g.coordinator.as_mut() else { return Err(rejected(ErrorCode::CoordinatorNotAvailable)) };
        let (_, out) = c.delete_offsets(now, &known, |tp| pending.contains(tp)).map_err(rejected)?;
        self.refresh_coordinator_deadline(gid);
        self.apply_outputs(ctx, cluster, gid, out);
        self.reschedule(ctx);
        Ok(())
    }

    /// `AlterConsumerGroupOffsets`: the Admin client's OffsetCommit (generation -1, empty member
    /// id) of `offsets` for group `gid`, validated as `ClassicGroup.validateOffsetCommit` does
    /// ([`crate::group::coordinator::GroupCoordinator::admin_offset_commit`]: accepted only while the group is Empty). Every
    /// partition must exist (UNKNOWN_TOPIC_OR_PARTITION otherwise). A group GroupLab does not
    /// know yet is created, Empty, as Kafka creates a "simple" group for such a commit
    /// (`OffsetMetadataManager.validateOffsetCommit`). The records follow the path of a member's
    /// commit; consumers that get these partitions later fetch them (OffsetFetch) and start
    /// there. Records the new offsets skip are skipped on purpose: they are not counted as
    /// losses. On refusal nothing changes.
    pub fn alter_offsets(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, gid: &str, offsets: &[(TopicPartition, u64)]) -> Result<(), SimError> {
        Self::check_group_id(gid)?;
        if offsets.is_empty() {
            return Err(SimError::InvalidRequest("alter_consumer_group_offsets needs at least one offset".into()));
        }
        for (tp, offset) in offsets {
            if !partition_exists(cluster, tp) {
                return Err(SimError::UnknownTopicOrPartition(format!("The partition {tp} does not exist")));
            }
            if i64::try_from(*offset).is_err() {
                return Err(SimError::InvalidRequest(format!("offset {offset} of {tp} is out of range")));
            }
        }
        let now = ctx.now_ms;
        let entries: Vec<OffsetCommitEntry> =
            offsets.iter().map(|(tp, o)| OffsetCommitEntry { tp: tp.clone(), offset: *o as i64, metadata: String::new() }).collect();
        let created = !self.groups.contains_key(gid);
        if created {
            self.ensure_group_capacity(gid)?;
            if cluster.coordinator_for(gid).is_none() {
                return Err(rejected(ErrorCode::CoordinatorNotAvailable));
            }
        } else {
            let g = self.groups.get(gid).ok_or_else(|| rejected(ErrorCode::GroupIdNotFound))?;
            let c = g.coordinator.as_ref().ok_or_else(|| rejected(ErrorCode::CoordinatorNotAvailable))?;
            // The same validation the commit below runs, on a copy-free probe first: a
            // refusal must change nothing.
            let e = match c.admin_request_error(now) {
                ErrorCode::None => c.validate_offset_commit(-1, ""),
                e => e,
            };
            if e != ErrorCode::None {
                return Err(rejected(e));
            }
        }
        if let Some(e) = self.coordinator_append_error(cluster, gid) {
            return Err(rejected(e));
        }
        if created {
            self.groups.insert(gid.to_string(), Self::new_group(Default::default()));
            self.sync_coordinators(ctx, cluster);
            // A group created by a commit has nothing to load: the broker already leads its
            // `__consumer_offsets` partition.
            if let Some(c) = self.groups.get_mut(gid).and_then(|g| g.coordinator.as_mut()) {
                c.set_loading_until(now);
            }
            self.refresh_coordinator_deadline(gid);
        }
        let out = match self.groups.get_mut(gid).and_then(|g| g.coordinator.as_mut()) {
            Some(c) => c.admin_offset_commit(now, &entries).map_err(rejected)?,
            None => return Err(rejected(ErrorCode::CoordinatorNotAvailable)),
        };
        for (tp, offset) in offsets {
            self.audit.offset_reset(gid, tp, *offset as i64);
        }
        self.refresh_coordinator_deadline(gid);
        self.apply_outputs(ctx, cluster, gid, out);
        self.reschedule(ctx);
        Ok(())
    }

    /// Why an append to the group's `__consumer_offsets` partition would fail right now, as the
    /// client would see it (`GroupCoordinatorService`'s mapping), if it would.
    fn coordinator_append_error(&self, cluster: &Cluster, gid: &str) -> Option<ErrorCode> {
        cluster.check_coordinator_append(gid).err().map(Self::write_error)
    }
}

/// Partitions with an offset commit appended and not yet replicated.
fn pending_partitions(g: &GroupRuntime) -> Vec<TopicPartition> {
    let mut out = Vec::new();
    for w in &g.writes {
        if let WriteKind::Commit { offsets, .. } = &w.kind {
            out.extend(offsets.iter().map(|(tp, _)| tp.clone()));
        }
    }
    out
}
