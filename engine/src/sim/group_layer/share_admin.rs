//! Admin requests about share groups, as `kafka-share-groups.sh` sends them through Kafka's
//! `Admin` client: `listShareGroupOffsets` (DescribeShareGroupOffsets, `--describe`),
//! `alterShareGroupOffsets` (`--reset-offsets --execute`) and `deleteShareGroupOffsets`
//! (`--delete-offsets`).
//!
//! [`ShareAdmin`] is the one copy of the broker's rules, read-only: what each request would get
//! now. The tools print from it; [`GroupLayer::alter_share_group_offsets`] and
//! [`GroupLayer::delete_share_group_offsets`] apply the same rules and then change the state.
//! As for consumer groups ([`super::admin`]), GroupLab answers at once, at the coordinator,
//! without the network's latency; a refused command returns a typed [`SimError`] and changes
//! nothing.
//!
//! Kafka 4.2's sources: `GroupCoordinatorService.alterShareGroupOffsets` /
//! `deleteShareGroupOffsets` / `describeShareGroupAllOffsets`, `GroupMetadataManager
//! .alterShareGroupOffsets` / `sharePartitionsEligibleForOffsetDeletion` /
//! `throwIfShareGroupIsNotEmpty`, `GroupCoordinatorShard.initiateDeleteShareGroupOffsets`,
//! `ShareGroup.validateDeleteGroup`, `ShareCoordinatorShard.readStateSummary` /
//! `initializeState`, `ListShareGroupOffsetsHandler`.
//!
//! Simplifications: the group coordinator's `initializing` → `initialized` step and the share
//! coordinator's initialize (or delete) are one step, as GroupLab's share coordinator is always
//! available; an alter naming a partition the metadata does not have is refused as a whole
//! (Kafka answers that partition with UNKNOWN_TOPIC_OR_PARTITION and alters the others).

use crate::cluster::Cluster;
use crate::group::client::PartitionSource;
use crate::group::protocol::{ErrorCode, TopicPartition};
use crate::group::share::settings::ShareGroupSettings;
use crate::group::share::state::UNINITIALIZED_DELIVERY_COMPLETE_COUNT;
use crate::group::share::{InitializeShareGroupState, ShareErrorCode};
use crate::kafka::error::SimError;
use crate::kernel::Ctx;

use super::network::ClusterSource;
use super::share::SharePartitionRuntime;
use super::GroupLayer;

/// Kafka's answer to a share-group admin request, or to one topic of it: the error (its
/// `Errors` name and exception class) and the message the response carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShareAdminError {
    /// Kafka's error name (`NON_EMPTY_GROUP`, ...).
    pub error: &'static str,
    /// The exception the Admin client makes of it (`...GroupNotEmptyException`).
    pub exception: &'static str,
    /// The message (`Errors.message()`, or the broker's own).
    pub message: String,
}

impl ShareAdminError {
    /// `e` with its default message (`Errors.exception()`).
    pub fn of(e: ErrorCode) -> ShareAdminError {
        ShareAdminError::with(e, e.message())
    }

    /// `e` with the broker's message.
    pub fn with(e: ErrorCode, message: &str) -> ShareAdminError {
        ShareAdminError { error: e.name(), exception: e.exception_class(), message: message.to_string() }
    }

    /// `GroupIdNotFoundException("Group g not found.")` (`GroupMetadataManager.group`).
    fn not_found(gid: &str) -> ShareAdminError {
        ShareAdminError::with(ErrorCode::GroupIdNotFound, &format!("Group {gid} not found."))
    }

    /// `GroupIdNotFoundException("Group g is not a share group.")` (`shareGroup`,
    /// `getOrMaybeCreateShareGroup`): the id names a consumer group.
    fn not_a_share_group(gid: &str) -> ShareAdminError {
        ShareAdminError::with(ErrorCode::GroupIdNotFound, &format!("Group {gid} is not a share group."))
    }

    /// `InvalidGroupIdException` (INVALID_GROUP_ID, not in [`ErrorCode`]): an empty group id
    /// (`GroupCoordinatorService`'s first check).
    fn invalid_group_id() -> ShareAdminError {
        ShareAdminError { error: "INVALID_GROUP_ID", exception: "org.apache.kafka.common.errors.InvalidGroupIdException", message: "The configured groupId is invalid.".into() }
    }

    /// What a refused command returns.
    fn rejected(self) -> SimError {
        SimError::GroupRequestRejected { error: self.error.to_string(), message: self.message }
    }
}

/// `There is no offset information to delete.`: a topic whose share-partition state the group
/// never initialized (`sharePartitionsEligibleForOffsetDeletion`).
pub const NO_OFFSET_INFORMATION: &str = "There is no offset information to delete.";

/// One share-partition as `listShareGroupOffsets` reports it (`SharePartitionOffsetInfo`): the
/// persisted state the share coordinator holds (`ReadShareGroupStateSummary`), not the leader's
/// in-memory one. `None` where the Admin client has no value (`-` in the tools).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharePartitionOffsets {
    /// Topic.
    pub topic: String,
    /// Partition.
    pub partition: u32,
    /// The persisted start offset (SPSO). The leader writes the start offset it had before the
    /// write moved it, so this one lags the leader's by the last write (Kafka's
    /// `SharePartition.writeShareGroupState`). `None`: never set.
    pub start_offset: Option<u64>,
    /// The leader epoch of the persisted state: that of the last leader that read it (0 after
    /// an initialize or an alter, until a new leader reads it).
    pub leader_epoch: Option<i32>,
    /// `HW - start offset - delivery-complete count` (KIP-1226), `None` when unknown.
    pub lag: Option<u64>,
}

/// Read-only answers to share-group admin requests, at the current time ([`crate::Sim::share_admin`]).
pub struct ShareAdmin<'a> {
    layer: &'a GroupLayer,
    cluster: &'a Cluster,
}

impl GroupLayer {
    /// The share-group admin rules over this layer and `cluster`.
    pub fn share_admin<'a>(&'a self, cluster: &'a Cluster) -> ShareAdmin<'a> {
        ShareAdmin { layer: self, cluster }
    }

    /// `AlterShareGroupOffsets`: applies [`ShareAdmin::alter_outcome`], then initializes each
    /// share-partition's state again at its new start offset with the group epoch as state
    /// epoch (`InitializeShareGroupState`), marks it initialized in the group's
    /// `ShareGroupStatePartitionMetadata`, and empties a loaded share-partition at the new start
    /// offset (Kafka fences it and a new one loads the state: [`crate::group::share::SharePartition::reset`];
    /// writes it had queued are dropped, as the share coordinator fences them). Records the new
    /// start offsets skip are skipped on purpose, not counted as losses; records below the old
    /// start offset are delivered again. A share group not known yet is created Empty, with the
    /// default settings and no topics. On refusal nothing changes.
    pub(in crate::sim) fn alter_share_group_offsets(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, gid: &str, offsets: &[(TopicPartition, u64)]) -> Result<(), SimError> {
        Self::check_group_id(gid)?;
        if offsets.is_empty() {
            return Err(SimError::InvalidRequest("alter_share_group_offsets needs at least one offset".into()));
        }
        for (tp, offset) in offsets {
            if i64::try_from(*offset).is_err() {
                return Err(SimError::InvalidRequest(format!("offset {offset} of {tp} is out of range")));
            }
        }
        self.share_admin(cluster).alter_outcome(gid, offsets).map_err(ShareAdminError::rejected)?;
        if !self.share.groups.contains_key(gid) {
            self.create_share_group(ctx, cluster, gid.to_string(), Vec::new(), ShareGroupSettings::default())?;
        }
        let now = ctx.now_ms;
        let Some(g) = self.share.groups.get_mut(gid) else { return Err(ShareAdminError::not_found(gid).rejected()) };
        let epoch = g.group.group_epoch();
        let mut altered: Vec<TopicPartition> = Vec::new();
        for (tp, offset) in offsets {
            let entry = g.partitions.entry(tp.clone()).or_insert_with(|| SharePartitionRuntime::new(gid, tp));
            // `alter_outcome` checked that no state epoch fences this.
            let _ = entry.store.initialize(now, &InitializeShareGroupState { state_epoch: epoch, start_offset: *offset as i64 });
            if let Some(sp) = entry.partition.as_mut() {
                let _fenced = sp.take_state_writes();
                sp.reset(*offset, epoch);
            }
            altered.push(tp.clone());
        }
        crate::kernel::sort::sort(&mut altered);
        altered.dedup();
        let out = g.group.initialize_done(&altered);
        g.records.write(&out.records);
        self.sync_share_placement(ctx, cluster);
        self.reschedule(ctx);
        Ok(())
    }

    /// `DeleteShareGroupOffsets`: applies [`ShareAdmin::delete_outcome`]. A group-level error
    /// refuses the command; otherwise the share-partition state of each accepted topic is
    /// deleted (the share coordinator's tombstones) and the topic leaves the group's initialized
    /// partitions, so a member that subscribes to it later initializes it again
    /// (`share.auto.offset.reset`). Topics refused one by one are left as they are.
    pub(in crate::sim) fn delete_share_group_offsets(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, gid: &str, topics: &[String]) -> Result<(), SimError> {
        Self::check_group_id(gid)?;
        if topics.is_empty() {
            return Err(SimError::InvalidRequest("delete_share_group_offsets needs at least one topic".into()));
        }
        let outcome = self.share_admin(cluster).delete_outcome(gid, topics).map_err(ShareAdminError::rejected)?;
        let deleted: Vec<String> = outcome.into_iter().filter(|(_, e)| e.is_none()).map(|(t, _)| t).collect();
        if deleted.is_empty() {
            return Ok(());
        }
        let Some(g) = self.share.groups.get_mut(gid) else { return Err(ShareAdminError::not_found(gid).rejected()) };
        // `completeDeleteShareGroupOffsets` leaves the topics in neither the initialized nor
        // the deleting set (GroupLab's topics are never left initializing).
        let out = g.group.topics_deleted(&deleted);
        g.records.write(&out.records);
        g.partitions.retain(|tp, _| !deleted.iter().any(|t| *t == tp.topic));
        self.sync_share_placement(ctx, cluster);
        self.reschedule(ctx);
        Ok(())
    }
}

impl ShareAdmin<'_> {
    /// Whether `tp` exists in the cluster's metadata.
    fn partition_exists(&self, tp: &TopicPartition) -> bool {
        self.cluster.topic(&tp.topic).is_some_and(|t| (tp.partition as usize) < t.partitions.len())
    }

    /// The check every share-group admin request meets first: a coordinator for the group id
    /// (COORDINATOR_NOT_AVAILABLE; the Admin client would retry until its timeout).
    fn coordinator_check(&self, gid: &str) -> Result<(), ShareAdminError> {
        let coordinator = match self.layer.share.groups.get(gid) {
            Some(g) => g.coordinator,
            None => self.cluster.coordinator_for(gid),
        };
        match coordinator {
            Some(_) => Ok(()),
            None => Err(ShareAdminError::of(ErrorCode::CoordinatorNotAvailable)),
        }
    }

    /// The checks of a request that changes the group: a coordinator, a non-empty id
    /// (INVALID_GROUP_ID), not a consumer group's id (GROUP_ID_NOT_FOUND).
    fn write_check(&self, gid: &str) -> Result<(), ShareAdminError> {
        self.coordinator_check(gid)?;
        if gid.is_empty() {
            return Err(ShareAdminError::invalid_group_id());
        }
        if self.layer.groups.contains_key(gid) {
            return Err(ShareAdminError::not_a_share_group(gid));
        }
        Ok(())
    }

    /// `listShareGroupOffsets` of every share-partition of `gid` (`describeShareGroupAllOffsets`):
    /// the partitions the group's coordinator lists as initialized, by topic then partition,
    /// each with the share coordinator's persisted state (`readStateSummary`). A start offset
    /// never set has no values; the lag needs the partition's HW (ListOffsets latest), so a
    /// partition without a live leader is left out (the Admin client skips a partition error).
    /// An id the coordinator does not know as a share group (a consumer group's id too) has no
    /// partitions; no coordinator is the request's error.
    pub fn offsets(&self, gid: &str) -> Result<Vec<SharePartitionOffsets>, ShareAdminError> {
        self.coordinator_check(gid)?;
        let Some(g) = self.layer.share.groups.get(gid) else { return Ok(Vec::new()) };
        let src = ClusterSource::new(self.cluster);
        let mut out = Vec::new();
        for tp in g.group.initialized_partitions() {
            if !self.partition_exists(&tp) {
                continue;
            }
            let state = g.partitions.get(&tp).and_then(|p| p.store.state());
            let Some(s) = state.filter(|s| s.start_offset >= 0) else {
                out.push(SharePartitionOffsets { topic: tp.topic.to_string(), partition: tp.partition, start_offset: None, leader_epoch: None, lag: None });
                continue;
            };
            let lag = if s.delivery_complete_count == UNINITIALIZED_DELIVERY_COMPLETE_COUNT {
                None
            } else {
                let Some(o) = src.offsets(&tp) else { continue };
                let lag = i128::from(o.high_watermark) - i128::from(s.start_offset) - i128::from(s.delivery_complete_count);
                u64::try_from(lag).ok()
            };
            out.push(SharePartitionOffsets {
                topic: tp.topic.to_string(),
                partition: tp.partition,
                start_offset: Some(s.start_offset as u64),
                leader_epoch: Some(s.leader_epoch).filter(|e| *e >= 0),
                lag,
            });
        }
        Ok(out)
    }

    /// The rule of an AlterShareGroupOffsets of `offsets` for `gid`, as Kafka answers it: no
    /// coordinator is COORDINATOR_NOT_AVAILABLE; an empty id INVALID_GROUP_ID; a consumer
    /// group's id GROUP_ID_NOT_FOUND
    /// (`Group g is not a share group.`); a group with members NON_EMPTY_GROUP
    /// (`throwIfShareGroupIsNotEmpty`); a partition the metadata does not have
    /// UNKNOWN_TOPIC_OR_PARTITION (GroupLab refuses the whole request); a share-partition whose
    /// state has a newer state epoch than the group epoch FENCED_STATE_EPOCH (the share
    /// coordinator's `initializeState`). An unknown id is fine: the alter creates the group.
    ///
    /// The one copy of the rule: [`GroupLayer::alter_share_group_offsets`] applies it.
    pub fn alter_outcome(&self, gid: &str, offsets: &[(TopicPartition, u64)]) -> Result<(), ShareAdminError> {
        self.write_check(gid)?;
        let g = self.layer.share.groups.get(gid);
        if g.is_some_and(|g| !g.group.members().is_empty()) {
            return Err(ShareAdminError::of(ErrorCode::NonEmptyGroup));
        }
        for (tp, _) in offsets {
            if !self.partition_exists(tp) {
                return Err(ShareAdminError::with(ErrorCode::UnknownTopicOrPartition, &format!("The partition {tp} does not exist")));
            }
        }
        if let Some(g) = g {
            let epoch = g.group.group_epoch();
            for (tp, _) in offsets {
                if g.partitions.get(tp).and_then(|p| p.store.state()).is_some_and(|s| s.state_epoch > epoch) {
                    let e = ShareErrorCode::FencedStateEpoch;
                    return Err(ShareAdminError { error: e.name(), exception: "org.apache.kafka.common.errors.FencedStateEpochException", message: e.message().to_string() });
                }
            }
        }
        Ok(())
    }

    /// The rule of a DeleteShareGroupOffsets of `topics` of `gid`: the request's error
    /// (COORDINATOR_NOT_AVAILABLE; INVALID_GROUP_ID; GROUP_ID_NOT_FOUND `Group g not found.` or
    /// `Group g is not a share group.`; NON_EMPTY_GROUP, `ShareGroup.validateDeleteGroup`), or
    /// each topic's outcome in request order, duplicates once (`None`: its state would be
    /// deleted): UNKNOWN_TOPIC_OR_PARTITION for a topic the metadata does not have, and with
    /// [`NO_OFFSET_INFORMATION`] for one that is neither initialized nor being deleted for the
    /// group (`sharePartitionsEligibleForOffsetDeletion`).
    ///
    /// The one copy of the rule: [`GroupLayer::delete_share_group_offsets`] applies it and the
    /// tool prints it.
    #[allow(clippy::type_complexity)]
    pub fn delete_outcome(&self, gid: &str, topics: &[String]) -> Result<Vec<(String, Option<ShareAdminError>)>, ShareAdminError> {
        self.write_check(gid)?;
        let g = self.layer.share.groups.get(gid).ok_or_else(|| ShareAdminError::not_found(gid))?;
        if !g.group.members().is_empty() {
            return Err(ShareAdminError::of(ErrorCode::NonEmptyGroup));
        }
        let initialized = g.group.initialized_partitions();
        let deleting = g.group.deleting_topics();
        let mut out: Vec<(String, Option<ShareAdminError>)> = Vec::new();
        for t in topics {
            if out.iter().any(|(seen, _)| seen == t) {
                continue;
            }
            let outcome = if self.cluster.topic(t).is_none() {
                Some(ShareAdminError::of(ErrorCode::UnknownTopicOrPartition))
            } else if initialized.iter().any(|tp| &tp.topic == t) || deleting.contains(t) {
                None
            } else {
                Some(ShareAdminError::with(ErrorCode::UnknownTopicOrPartition, NO_OFFSET_INFORMATION))
            };
            out.push((t.clone(), outcome));
        }
        Ok(out)
    }
}
