//! The broker side of one KIP-932 share group: `ShareGroup` and the `shareGroupHeartbeat` paths
//! of Kafka 4.2's `GroupMetadataManager`, as a pure state machine.
//!
//! Driven by [`ShareGroup::heartbeat`] (one `ShareGroupHeartbeat` request in; its response, the
//! `__consumer_offsets` records it writes, and the share-partitions whose state must be
//! initialized out) and [`ShareGroup::handle_timeout`] (session expiry), with
//! [`ShareGroup::next_deadline_ms`]. The target assignment is computed by the assignor the
//! driver passes in ([`ShareTargetAssignor`], which also knows the topics' partition counts):
//! the group layer knows the protocol, not the assignors. Records replayed with
//! [`ShareGroup::replay`] rebuild the same group, as a new coordinator does when it loads
//! `__consumer_offsets`.
//!
//! ## What Kafka 4.2 does, and where
//!
//! * Request validation (`GroupCoordinatorService.throwIfShareGroupHeartbeatRequestIsInvalid`):
//!   a blank member id or rack id, a join (epoch 0) without subscribed topics, or an epoch below
//!   -1 is `INVALID_REQUEST`.
//! * Then (`GroupMetadataManager.shareGroupHeartbeat`): a non-join heartbeat to a group that does
//!   not exist is `GROUP_ID_NOT_FOUND`; a member the group does not have is refused with
//!   `GROUP_MAX_SIZE_REACHED` when the group has `group.share.max.size` members
//!   (`throwIfShareGroupIsFull`, checked before the member lookup), else `UNKNOWN_MEMBER_ID`
//!   unless it joins; the epoch must be the member's or its previous one
//!   (`throwIfShareGroupMemberEpochIsInvalid`, no owned-partitions check), else
//!   `FENCED_MEMBER_EPOCH`; epoch 0 always (re)joins.
//! * The group epoch is bumped when the member is new or changes its subscribed topics
//!   (`hasMemberSubscriptionChanged`), when the subscribed topics' metadata changed (the group's
//!   metadata hash), or when initialized share-partitions are not yet all in the target
//!   (`initializedAssignmentPending`). A bump writes `ShareGroupMetadata`.
//! * A new target is computed when the group epoch is past the target's
//!   (`updateTargetAssignment`, `TargetAssignmentBuilder`): only partitions whose share-partition
//!   state is initialized are assignable (`withTopicAssignablePartitionsMap`); a
//!   `ShareGroupTargetAssignmentMember` record for each member whose target changed, then
//!   `ShareGroupTargetAssignmentMetadata`.
//! * No revocation phase (`ShareGroupAssignmentBuilder.build`): a member behind the target epoch
//!   jumps to its target, filtered to its subscribed topics, and the target epoch.
//! * The assignment is in the response on a join, on a full request (subscribed topics set) and
//!   when it changed.
//! * After a successful heartbeat, subscribed partitions whose state is neither initialized nor
//!   being initialized (or initializing for longer than `group.share.initialize.retry.interval.ms`)
//!   are marked initializing in `ShareGroupStatePartitionMetadata` and handed to the driver to
//!   initialize (`maybeCreateInitializeShareGroupStateRequest`, at the group epoch, start offset
//!   -1); [`ShareGroup::initialize_done`] (`initializeShareGroupState`) marks them initialized,
//!   and the next heartbeat assigns them. [`ShareGroup::initialize_failed`]
//!   (`uninitializeShareGroupState`) and [`ShareGroup::topics_deleted`]
//!   (`maybeCleanupShareGroupState`) complete the lifecycle.
//! * A leave (epoch -1) or an expired session (`group.share.session.timeout.ms`, restarted by
//!   each successful heartbeat) fences the member (`shareGroupFenceMember`): tombstones of its
//!   current assignment, target and metadata, and a group-epoch bump. The others get the new
//!   target on their next heartbeat.
//! * States (`ShareGroup.maybeUpdateGroupState`): `Empty` with no members, else `Stable`.
//!
//! ## Not modelled
//!
//! Static membership (share groups have none), dynamic group configs (`share.session.timeout.ms`
//! etc.), `ShareGroupDescribe`, group deletion and offset deletion/alteration (and with them the
//! `deleting` topics' flow and the group-level tombstones), the client host, topic ids (topics are
//! named; the metadata hash is GroupLab's FNV of the subscribed topics' names and partition
//! counts, not Kafka's Murmur3 topic hashes), racks in the metadata hash, and authorization. The
//! `state` of the current-assignment record is always `STABLE` for a share member and is left
//! out. Records of one write list members in member-id order (Kafka's follows its `HashMap`).

use serde::Serialize;

use crate::group::protocol::{ErrorCode, TopicPartition};
use crate::kernel::vecmap::{VecMap, VecSet};

use super::state::{InitializeShareGroupState, UNINITIALIZED_START_OFFSET};

/// `ShareGroupHeartbeatRequest.JOIN_GROUP_MEMBER_EPOCH`.
pub const JOIN_EPOCH: i32 = 0;
/// `ShareGroupHeartbeatRequest.LEAVE_GROUP_MEMBER_EPOCH`.
pub const LEAVE_EPOCH: i32 = -1;

/// Broker settings of share groups (`GroupCoordinatorConfig`, `ShareGroupConfig`), Kafka's
/// defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShareGroupConfig {
    /// `group.share.session.timeout.ms` (45000).
    pub session_timeout_ms: u64,
    /// `group.share.heartbeat.interval.ms` (5000).
    pub heartbeat_interval_ms: u64,
    /// `group.share.max.size` (200).
    pub max_size: usize,
    /// `group.share.assignors` (`simple`; exactly one).
    pub assignor: String,
    /// `group.share.initialize.retry.interval.ms` (30000): how long a partition stays
    /// "initializing" before a heartbeat asks for it again.
    pub initialize_retry_interval_ms: u64,
}

impl Default for ShareGroupConfig {
    fn default() -> Self {
        ShareGroupConfig {
            session_timeout_ms: 45_000,
            heartbeat_interval_ms: 5_000,
            max_size: 200,
            assignor: "simple".into(),
            initialize_retry_interval_ms: 30_000,
        }
    }
}

/// The states of a share group (`ShareGroup.ShareGroupState`; `Dead` and `Unknown` are only
/// what tools print for a group that does not exist).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ShareGroupState {
    /// No members.
    Empty,
    /// At least one member.
    Stable,
}

impl ShareGroupState {
    /// Kafka's name (`Empty`, `Stable`).
    pub fn name(self) -> &'static str {
        match self {
            ShareGroupState::Empty => "Empty",
            ShareGroupState::Stable => "Stable",
        }
    }
}

pub use crate::group::protocol::{ShareGroupHeartbeatRequest, ShareGroupHeartbeatResponse};

/// One member of a share group (`ShareGroupMember`; always in state `STABLE`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShareMember {
    /// Member id.
    pub member_id: String,
    /// Member epoch.
    pub member_epoch: i32,
    /// The epoch before the last change (-1 for a new member).
    pub previous_member_epoch: i32,
    /// `RackId`.
    pub rack_id: Option<String>,
    /// `client.id`.
    pub client_id: String,
    /// Subscribed topic names, sorted and distinct.
    pub subscribed_topics: Vec<String>,
    /// Its current assignment, sorted.
    pub assigned: Vec<TopicPartition>,
}

impl ShareMember {
    fn new(member_id: &str) -> ShareMember {
        ShareMember {
            member_id: member_id.to_string(),
            member_epoch: JOIN_EPOCH,
            previous_member_epoch: LEAVE_EPOCH,
            rack_id: None,
            client_id: String::new(),
            subscribed_topics: Vec::new(),
            assigned: Vec::new(),
        }
    }
}

/// One topic's partitions in `ShareGroupStatePartitionMetadata`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TopicPartitions {
    /// Topic name.
    pub topic: String,
    /// Partitions, ascending.
    pub partitions: Vec<u32>,
}

/// The records a share group writes to `__consumer_offsets` (`GroupCoordinatorRecordHelpers`),
/// the group's whole state: replaying them rebuilds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ShareGroupRecord {
    /// `ShareGroupMemberMetadata`: who the member is and what it subscribes to.
    MemberMetadata { member_id: String, rack_id: Option<String>, client_id: String, subscribed_topics: Vec<String> },
    /// Tombstone of a member's metadata (it left or was fenced).
    MemberMetadataTombstone { member_id: String },
    /// `ShareGroupMetadata`: the group epoch and the metadata hash of the subscribed topics.
    GroupEpoch { epoch: i32, metadata_hash: u64 },
    /// `ShareGroupTargetAssignmentMember`.
    TargetAssignmentMember { member_id: String, partitions: Vec<TopicPartition> },
    /// Tombstone of a member's target.
    TargetAssignmentMemberTombstone { member_id: String },
    /// `ShareGroupTargetAssignmentMetadata`: the target assignment epoch.
    TargetAssignmentEpoch { epoch: i32 },
    /// `ShareGroupCurrentMemberAssignment`: the member's epochs and assigned partitions.
    CurrentAssignment { member_id: String, member_epoch: i32, previous_member_epoch: i32, assigned: Vec<TopicPartition> },
    /// Tombstone of a member's current assignment.
    CurrentAssignmentTombstone { member_id: String },
    /// `ShareGroupStatePartitionMetadata`: which share-partitions' state is being initialized,
    /// initialized, or being deleted.
    StatePartitionMetadata { initializing: Vec<TopicPartitions>, initialized: Vec<TopicPartitions>, deleting: Vec<String> },
}

impl crate::group::protocol::CompactedRecord for ShareGroupRecord {
    fn key(&self) -> (u8, &str) {
        use ShareGroupRecord::*;
        match self {
            MemberMetadata { member_id, .. } | MemberMetadataTombstone { member_id } => (0, member_id),
            GroupEpoch { .. } => (1, ""),
            TargetAssignmentMember { member_id, .. } | TargetAssignmentMemberTombstone { member_id } => (2, member_id),
            TargetAssignmentEpoch { .. } => (3, ""),
            CurrentAssignment { member_id, .. } | CurrentAssignmentTombstone { member_id } => (4, member_id),
            StatePartitionMetadata { .. } => (5, ""),
        }
    }

    fn is_tombstone(&self) -> bool {
        use ShareGroupRecord::*;
        matches!(self, MemberMetadataTombstone { .. } | TargetAssignmentMemberTombstone { .. } | CurrentAssignmentTombstone { .. })
    }
}

/// The group's records as the compacted `__consumer_offsets` keeps them ([`ShareGroup::loaded`]).
pub type CompactedShareRecords = crate::group::protocol::Compacted<ShareGroupRecord>;

/// What the assignor is given about one member (`MemberSubscriptionAndAssignmentImpl`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareAssignorMember<'a> {
    /// Member id.
    pub member_id: &'a str,
    /// `RackId` (the simple assignor is not rack-aware).
    pub rack_id: Option<&'a str>,
    /// Subscribed topics.
    pub topics: &'a [String],
    /// Its current target (stickiness input).
    pub target: &'a [TopicPartition],
}

/// A share-group assignor (`ShareGroupPartitionAssignor`) and the topic metadata it assigns
/// from, injected by the driver.
pub trait ShareTargetAssignor {
    /// The partition count of a topic, `None` when the metadata has no such topic.
    fn partition_count(&self, topic: &str) -> Option<u32>;
    /// The target assignment of `members` by `assignor` (`group.share.assignors`), with Kafka's
    /// subscription type (`homogeneous`: every member subscribes to the same names) and only
    /// the partitions in `assignable` assignable (topic → partitions).
    fn assign(&self, assignor: &str, members: &[ShareAssignorMember<'_>], homogeneous: bool, assignable: &VecMap<String, Vec<u32>>) -> VecMap<String, Vec<TopicPartition>>;
}

/// Why a member left the group (the reason Kafka logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ShareRemoval {
    /// Heartbeat with epoch -1.
    Left,
    /// No heartbeat within the session timeout.
    SessionExpired,
}

impl ShareRemoval {
    /// The reason Kafka logs (`shareGroupLeave`, `shareGroupFenceMemberOperation`).
    pub fn reason(self) -> &'static str {
        match self {
            ShareRemoval::Left => "the member left the share group",
            ShareRemoval::SessionExpired => "the member session expired",
        }
    }
}

/// What a heartbeat, a timeout or a state callback did, for the trace and the views.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ShareGroupEvent {
    /// A new member joined.
    MemberJoined { member_id: String },
    /// A member was removed.
    MemberRemoved { member_id: String, reason: ShareRemoval },
    /// The group epoch was bumped.
    GroupEpochBumped { epoch: i32 },
    /// A new target assignment was computed by `assignor`.
    TargetAssignmentComputed { epoch: i32, assignor: String },
    /// A member's epoch or assignment changed.
    MemberAssignmentUpdated { member_id: String, epoch: i32, assigned: Vec<TopicPartition> },
    /// Share-partitions were handed to the driver to initialize.
    StateInitializing { partitions: Vec<TopicPartition> },
    /// Share-partitions' state is initialized: they can be assigned.
    StateInitialized { partitions: Vec<TopicPartition> },
}

/// One share-partition whose state the driver must initialize (one partition of Kafka's
/// `InitializeShareGroupStateParameters`): state epoch = the group epoch, start offset -1 (the
/// leader applies `share.auto.offset.reset`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InitializeRequest {
    /// The share-partition.
    pub partition: TopicPartition,
    /// What to initialize it with.
    pub state: InitializeShareGroupState,
}

/// Outcome of one input: records to write, events to report, share-partitions to initialize.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Output {
    /// Records for `__consumer_offsets`, in order.
    pub records: Vec<ShareGroupRecord>,
    /// What happened.
    pub events: Vec<ShareGroupEvent>,
    /// Share-partitions whose state must be initialized (`InitializeShareGroupState`); the driver
    /// reports back with [`ShareGroup::initialize_done`] or [`ShareGroup::initialize_failed`].
    pub initialize: Vec<InitializeRequest>,
}

/// `ShareGroupStatePartitionMetadataInfo`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
struct StateMetadata {
    /// Topic → partitions being initialized, and since when (soft state: a load restarts it).
    initializing: VecMap<String, (VecSet<u32>, u64)>,
    /// Topic → initialized partitions.
    initialized: VecMap<String, VecSet<u32>>,
    /// Topics whose state is being deleted.
    deleting: VecSet<String>,
}

impl StateMetadata {
    fn record(&self) -> ShareGroupRecord {
        let list = |m: &mut dyn Iterator<Item = (&String, &VecSet<u32>)>| -> Vec<TopicPartitions> {
            m.map(|(t, ps)| TopicPartitions { topic: t.clone(), partitions: ps.iter().copied().collect() }).collect()
        };
        ShareGroupRecord::StatePartitionMetadata {
            initializing: list(&mut self.initializing.iter().map(|(t, (ps, _))| (t, ps))),
            initialized: list(&mut self.initialized.iter()),
            deleting: self.deleting.iter().cloned().collect(),
        }
    }
}

/// One share group on its coordinator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShareGroup {
    group_id: String,
    config: ShareGroupConfig,
    group_epoch: i32,
    assignment_epoch: i32,
    metadata_hash: u64,
    /// The subscribed topics' partition counts the last heartbeat saw (soft state, for the hash
    /// of a session expiry).
    metadata_counts: VecMap<String, u32>,
    members: VecMap<String, ShareMember>,
    /// The target assignment per member.
    target: VecMap<String, Vec<TopicPartition>>,
    /// Session deadline per member.
    session_deadline_ms: VecMap<String, u64>,
    state_metadata: StateMetadata,
}

/// `Utils.throwIfEmptyString`'s test: Java's `String.trim()` strips the characters up to U+0020.
fn is_blank(s: &str) -> bool {
    s.chars().all(|c| c <= ' ')
}

fn tp_list(m: &VecMap<String, VecSet<u32>>) -> Vec<TopicPartition> {
    m.iter().flat_map(|(t, ps)| ps.iter().map(move |&p| TopicPartition::new(t.clone(), p))).collect()
}

impl ShareGroup {
    /// A group that does not exist yet: the first join creates it.
    pub fn new(group_id: &str, config: ShareGroupConfig) -> ShareGroup {
        ShareGroup {
            group_id: group_id.to_string(),
            config,
            group_epoch: 0,
            assignment_epoch: 0,
            metadata_hash: 0,
            metadata_counts: VecMap::new(),
            members: VecMap::new(),
            target: VecMap::new(),
            session_deadline_ms: VecMap::new(),
            state_metadata: StateMetadata::default(),
        }
    }

    /// `group.id`.
    pub fn group_id(&self) -> &str {
        &self.group_id
    }

    /// The configuration.
    pub fn config(&self) -> &ShareGroupConfig {
        &self.config
    }

    /// Whether the group exists on its coordinator (some record created it).
    pub fn exists(&self) -> bool {
        self.group_epoch > 0 || !self.members.is_empty()
    }

    /// The group epoch.
    pub fn group_epoch(&self) -> i32 {
        self.group_epoch
    }

    /// The target assignment epoch.
    pub fn assignment_epoch(&self) -> i32 {
        self.assignment_epoch
    }

    /// The metadata hash of the subscribed topics at the last epoch bump.
    pub fn metadata_hash(&self) -> u64 {
        self.metadata_hash
    }

    /// Members by id.
    pub fn members(&self) -> &VecMap<String, ShareMember> {
        &self.members
    }

    /// A member's target assignment.
    pub fn target_of(&self, member_id: &str) -> &[TopicPartition] {
        self.target.get(member_id).map_or(&[], Vec::as_slice)
    }

    /// When a member's session ends unless it heartbeats.
    pub fn session_deadline_of(&self, member_id: &str) -> Option<u64> {
        self.session_deadline_ms.get(member_id).copied()
    }

    /// The group state (`maybeUpdateGroupState`).
    pub fn state(&self) -> ShareGroupState {
        if self.members.is_empty() {
            ShareGroupState::Empty
        } else {
            ShareGroupState::Stable
        }
    }

    /// Share-partitions whose state is initialized (`initializedShareGroupPartitions`), sorted.
    pub fn initialized_partitions(&self) -> Vec<TopicPartition> {
        tp_list(&self.state_metadata.initialized)
    }

    /// Share-partitions whose state is being initialized, sorted.
    pub fn initializing_partitions(&self) -> Vec<TopicPartition> {
        let m: VecMap<String, VecSet<u32>> = self.state_metadata.initializing.iter().map(|(t, (ps, _))| (t.clone(), ps.clone())).collect();
        tp_list(&m)
    }

    /// Topics whose share-partition state is being deleted.
    pub fn deleting_topics(&self) -> Vec<String> {
        self.state_metadata.deleting.iter().cloned().collect()
    }

    /// The next session deadline.
    pub fn next_deadline_ms(&self) -> Option<u64> {
        self.session_deadline_ms.values().copied().min()
    }

    /// The subscribed topic names of all members (`subscribedTopicNames`), with how many members
    /// subscribe to each; `with` replaces (or adds) one member's subscription, `without` drops
    /// one (`computeSubscribedTopicNames`).
    fn subscribed_names(&self, with: Option<&ShareMember>, without: Option<&str>) -> (VecMap<String, usize>, usize) {
        let mut counts: VecMap<String, usize> = VecMap::new();
        let mut n = 0;
        let replaced = with.map(|m| m.member_id.as_str());
        for m in self.members.values() {
            if Some(m.member_id.as_str()) == replaced || Some(m.member_id.as_str()) == without {
                continue;
            }
            n += 1;
            for t in &m.subscribed_topics {
                *counts.entry(t.clone()).or_insert(0) += 1;
            }
        }
        if let Some(m) = with {
            n += 1;
            for t in &m.subscribed_topics {
                *counts.entry(t.clone()).or_insert(0) += 1;
            }
        }
        (counts, n)
    }

    /// The partition counts of the subscribed topics that exist.
    fn counts_of(names: &VecMap<String, usize>, assignor: &dyn ShareTargetAssignor) -> VecMap<String, u32> {
        names.keys().filter_map(|t| assignor.partition_count(t).map(|c| (t.clone(), c))).collect()
    }

    /// GroupLab's metadata hash (`ModernGroup.computeMetadataHash`) of the subscribed topics that
    /// exist, with their partition counts: FNV over the names and counts; 0 when there are none.
    pub fn metadata_hash_for(counts: &VecMap<String, u32>) -> u64 {
        if counts.is_empty() {
            return 0;
        }
        let mut h = crate::kernel::Fnv::default();
        for (t, c) in counts {
            h.str(t);
            h.u64(u64::from(*c));
        }
        h.finish()
    }

    /// Handles one `ShareGroupHeartbeat` (`GroupCoordinatorService.shareGroupHeartbeat` and
    /// `GroupMetadataManager.shareGroupHeartbeat`). A refused request changes nothing.
    pub fn heartbeat(&mut self, now_ms: u64, req: &ShareGroupHeartbeatRequest, assignor: &dyn ShareTargetAssignor) -> (ShareGroupHeartbeatResponse, Output) {
        let mut out = Output::default();
        if let Err(error) = Self::validate(req) {
            return (ShareGroupHeartbeatResponse::error(&req.member_id, error), out);
        }
        if req.member_epoch == LEAVE_EPOCH {
            return (self.leave(req, assignor, &mut out), out);
        }
        let member = match self.member_for(req) {
            Ok(m) => m,
            Err(error) => return (ShareGroupHeartbeatResponse::error(&req.member_id, error), out),
        };
        let is_new = !self.members.contains_key(&member.member_id);

        // 1. The member as the request states it.
        let mut updated = member.clone();
        if let Some(rack) = &req.rack_id {
            updated.rack_id = Some(rack.clone());
        }
        if let Some(topics) = &req.subscribed_topics {
            let mut topics = topics.clone();
            crate::kernel::sort::sort(&mut topics);
            topics.dedup();
            updated.subscribed_topics = topics;
        }
        updated.client_id = req.client_id.clone();
        if is_new {
            out.events.push(ShareGroupEvent::MemberJoined { member_id: updated.member_id.clone() });
        }
        let mut bump = false;
        if is_new || updated != member {
            out.records.push(metadata_record(&updated));
            bump = updated.subscribed_topics != member.subscribed_topics;
        }
        bump = bump || self.initialized_assignment_pending();
        let (names, num_members) = self.subscribed_names(Some(&updated), None);
        self.metadata_counts = Self::counts_of(&names, assignor);
        let hash = Self::metadata_hash_for(&self.metadata_counts);
        if hash != self.metadata_hash {
            bump = true;
        }
        let homogeneous = names.values().all(|&c| c == num_members);
        if bump {
            self.group_epoch += 1;
            self.metadata_hash = hash;
            out.records.push(ShareGroupRecord::GroupEpoch { epoch: self.group_epoch, metadata_hash: hash });
            out.events.push(ShareGroupEvent::GroupEpochBumped { epoch: self.group_epoch });
        }
        self.members.insert(updated.member_id.clone(), updated.clone());

        // 2. A new target when the group epoch moved past it.
        if self.group_epoch > self.assignment_epoch {
            self.compute_target(assignor, homogeneous, &mut out);
        }

        // 3. The member jumps to its target.
        let after = self.reconcile(&updated, bump, assignor, &mut out);
        self.session_deadline_ms.insert(after.member_id.clone(), now_ms.saturating_add(self.config.session_timeout_ms));

        let full = req.subscribed_topics.is_some();
        let assignment = (req.member_epoch == JOIN_EPOCH || full || after.assigned != member.assigned).then(|| after.assigned.clone());
        let response = ShareGroupHeartbeatResponse {
            error: ErrorCode::None,
            member_id: after.member_id.clone(),
            member_epoch: after.member_epoch,
            heartbeat_interval_ms: self.config.heartbeat_interval_ms,
            assignment,
        };
        self.maybe_initialize(now_ms, &names, assignor, &mut out);
        (response, out)
    }

    /// `throwIfShareGroupHeartbeatRequestIsInvalid`.
    fn validate(req: &ShareGroupHeartbeatRequest) -> Result<(), ErrorCode> {
        if is_blank(&req.member_id) || req.rack_id.as_deref().is_some_and(is_blank) {
            return Err(ErrorCode::InvalidRequest);
        }
        if req.member_epoch == JOIN_EPOCH {
            if req.subscribed_topics.as_ref().is_none_or(Vec::is_empty) {
                return Err(ErrorCode::InvalidRequest);
            }
        } else if req.member_epoch < LEAVE_EPOCH {
            return Err(ErrorCode::InvalidRequest);
        }
        Ok(())
    }

    /// The member this heartbeat is for, new on a join (`getOrMaybeCreateShareGroup`,
    /// `throwIfShareGroupIsFull`, `getOrMaybeSubscribeShareGroupMember`,
    /// `throwIfShareGroupMemberEpochIsInvalid`).
    fn member_for(&self, req: &ShareGroupHeartbeatRequest) -> Result<ShareMember, ErrorCode> {
        let joining = req.member_epoch == JOIN_EPOCH;
        if !joining && !self.exists() {
            return Err(ErrorCode::GroupIdNotFound);
        }
        let known = self.members.get(&req.member_id);
        if self.members.len() >= self.config.max_size && known.is_none() {
            return Err(ErrorCode::GroupMaxSizeReached);
        }
        let member = match known {
            Some(m) => m.clone(),
            None if joining => ShareMember::new(&req.member_id),
            None => return Err(ErrorCode::UnknownMemberId),
        };
        if !joining && (req.member_epoch > member.member_epoch || (req.member_epoch < member.member_epoch && req.member_epoch != member.previous_member_epoch)) {
            return Err(ErrorCode::FencedMemberEpoch);
        }
        Ok(member)
    }

    /// `initializedAssignmentPending`: some subscribed topic's initialized partitions are not
    /// exactly the partitions of that topic in the targets.
    fn initialized_assignment_pending(&self) -> bool {
        if self.members.is_empty() || self.state_metadata.initialized.is_empty() {
            return false;
        }
        let (names, _) = self.subscribed_names(None, None);
        if names.is_empty() {
            return false;
        }
        let mut assigned: VecMap<&str, VecSet<u32>> = VecMap::new();
        for tps in self.target.values() {
            for tp in tps {
                assigned.entry(tp.topic.as_str()).or_default().insert(tp.partition);
            }
        }
        self.state_metadata
            .initialized
            .iter()
            .any(|(t, ps)| names.contains_key(t) && assigned.get(t.as_str()) != Some(ps))
    }

    /// A leave (`shareGroupLeave`).
    fn leave(&mut self, req: &ShareGroupHeartbeatRequest, assignor: &dyn ShareTargetAssignor, out: &mut Output) -> ShareGroupHeartbeatResponse {
        if !self.exists() {
            return ShareGroupHeartbeatResponse::error(&req.member_id, ErrorCode::GroupIdNotFound);
        }
        if !self.members.contains_key(&req.member_id) {
            return ShareGroupHeartbeatResponse::error(&req.member_id, ErrorCode::UnknownMemberId);
        }
        self.fence_member(&req.member_id, ShareRemoval::Left, Some(assignor), out);
        ShareGroupHeartbeatResponse { error: ErrorCode::None, member_id: req.member_id.clone(), member_epoch: LEAVE_EPOCH, heartbeat_interval_ms: 0, assignment: None }
    }

    /// Removes a member and bumps the group epoch (`shareGroupFenceMember`), with the metadata
    /// hash of the remaining members' topics. A leave has the topic metadata at hand; a session
    /// expiry (no metadata is passed to [`ShareGroup::handle_timeout`]) uses the partition counts
    /// the last heartbeat saw.
    fn fence_member(&mut self, member_id: &str, reason: ShareRemoval, assignor: Option<&dyn ShareTargetAssignor>, out: &mut Output) {
        out.records.push(ShareGroupRecord::CurrentAssignmentTombstone { member_id: member_id.to_string() });
        out.records.push(ShareGroupRecord::TargetAssignmentMemberTombstone { member_id: member_id.to_string() });
        out.records.push(ShareGroupRecord::MemberMetadataTombstone { member_id: member_id.to_string() });
        let (names, _) = self.subscribed_names(None, Some(member_id));
        let counts = match assignor {
            Some(a) => Self::counts_of(&names, a),
            None => self.metadata_counts.iter().filter(|(t, _)| names.contains_key(*t)).map(|(t, c)| (t.clone(), *c)).collect(),
        };
        let hash = Self::metadata_hash_for(&counts);
        self.metadata_counts = counts;
        self.members.remove(member_id);
        self.target.remove(member_id);
        self.session_deadline_ms.remove(member_id);
        self.group_epoch += 1;
        self.metadata_hash = hash;
        out.records.push(ShareGroupRecord::GroupEpoch { epoch: self.group_epoch, metadata_hash: hash });
        out.events.push(ShareGroupEvent::MemberRemoved { member_id: member_id.to_string(), reason });
        out.events.push(ShareGroupEvent::GroupEpochBumped { epoch: self.group_epoch });
    }

    /// A new target assignment at the group epoch (`updateTargetAssignment`).
    fn compute_target(&mut self, assignor: &dyn ShareTargetAssignor, homogeneous: bool, out: &mut Output) {
        let name = self.config.assignor.clone();
        let assignable: VecMap<String, Vec<u32>> =
            self.state_metadata.initialized.iter().map(|(t, ps)| (t.clone(), ps.iter().copied().collect())).collect();
        let empty = Vec::new();
        let members: Vec<ShareAssignorMember<'_>> = self
            .members
            .values()
            .map(|m| ShareAssignorMember {
                member_id: &m.member_id,
                rack_id: m.rack_id.as_deref(),
                topics: &m.subscribed_topics,
                target: self.target.get(&m.member_id).unwrap_or(&empty),
            })
            .collect();
        let mut computed = assignor.assign(&name, &members, homogeneous, &assignable);
        let mut next: VecMap<String, Vec<TopicPartition>> = VecMap::new();
        for id in self.members.keys() {
            let mut parts = computed.remove(id).unwrap_or_default();
            crate::kernel::sort::sort(&mut parts);
            parts.dedup();
            if self.target.get(id) != Some(&parts) {
                out.records.push(ShareGroupRecord::TargetAssignmentMember { member_id: id.clone(), partitions: parts.clone() });
            }
            next.insert(id.clone(), parts);
        }
        self.target = next;
        self.assignment_epoch = self.group_epoch;
        out.records.push(ShareGroupRecord::TargetAssignmentEpoch { epoch: self.assignment_epoch });
        out.events.push(ShareGroupEvent::TargetAssignmentComputed { epoch: self.assignment_epoch, assignor: name });
    }

    /// `maybeReconcile` with `ShareGroupAssignmentBuilder`: behind the target epoch, the member
    /// takes its target (filtered to its subscribed, existing topics) and the epoch; after a
    /// subscription change at the same epoch, the filtered target.
    fn reconcile(&mut self, member: &ShareMember, subscription_changed: bool, assignor: &dyn ShareTargetAssignor, out: &mut Output) -> ShareMember {
        if !subscription_changed && member.member_epoch == self.assignment_epoch {
            return member.clone();
        }
        let target = self.target_of(&member.member_id);
        let filtered: Vec<TopicPartition> = target
            .iter()
            .filter(|tp| member.subscribed_topics.iter().any(|t| *t == tp.topic) && assignor.partition_count(tp.topic.as_str()).is_some())
            .cloned()
            .collect();
        let mut next = member.clone();
        next.assigned = filtered;
        if self.assignment_epoch != member.member_epoch {
            next.previous_member_epoch = member.member_epoch;
            next.member_epoch = self.assignment_epoch;
        }
        if next != *member {
            out.records.push(current_record(&next));
            out.events.push(ShareGroupEvent::MemberAssignmentUpdated { member_id: next.member_id.clone(), epoch: next.member_epoch, assigned: next.assigned.clone() });
            self.members.insert(next.member_id.clone(), next.clone());
        }
        next
    }

    /// `maybeCreateInitializeShareGroupStateRequest` / `subscribedTopicsChangeMap`: subscribed
    /// partitions neither initialized nor freshly initializing are marked initializing and handed
    /// to the driver.
    fn maybe_initialize(&mut self, now_ms: u64, names: &VecMap<String, usize>, assignor: &dyn ShareTargetAssignor, out: &mut Output) {
        let meta = &self.state_metadata;
        let retry = self.config.initialize_retry_interval_ms;
        let mut change: VecMap<String, VecSet<u32>> = VecMap::new();
        for t in names.keys() {
            let Some(count) = assignor.partition_count(t) else { continue };
            let mut already: VecSet<u32> = meta.initialized.get(t).cloned().unwrap_or_default();
            if let Some((ps, since)) = meta.initializing.get(t) {
                if now_ms.saturating_sub(*since) < retry {
                    already.extend(ps.iter().copied());
                }
            }
            if already.is_empty() || already.len() < count as usize {
                let missing: VecSet<u32> = (0..count).filter(|p| !already.contains(p)).collect();
                change.insert(t.clone(), missing);
            }
        }
        if change.is_empty() {
            return;
        }
        let meta = &mut self.state_metadata;
        for (t, ps) in change.iter() {
            let entry = meta.initializing.entry(t.clone()).or_insert_with(|| (VecSet::new(), now_ms));
            entry.0.extend(ps.iter().copied());
            entry.1 = now_ms;
            meta.deleting.remove(t);
        }
        out.records.push(meta.record());
        let partitions = tp_list(&change);
        for tp in &partitions {
            out.initialize.push(InitializeRequest {
                partition: tp.clone(),
                state: InitializeShareGroupState { state_epoch: self.group_epoch, start_offset: UNINITIALIZED_START_OFFSET },
            });
        }
        out.events.push(ShareGroupEvent::StateInitializing { partitions });
    }

    /// The driver initialized these share-partitions' state (`initializeShareGroupState`): they
    /// move from initializing to initialized, and the next heartbeat assigns them.
    pub fn initialize_done(&mut self, partitions: &[TopicPartition]) -> Output {
        let mut out = Output::default();
        if partitions.is_empty() {
            return out;
        }
        let meta = &mut self.state_metadata;
        let mut done: VecMap<String, VecSet<u32>> = VecMap::new();
        for tp in partitions {
            done.entry(tp.topic.to_string()).or_default().insert(tp.partition);
        }
        for (t, ps) in done.iter() {
            meta.initialized.entry(t.clone()).or_default().extend(ps.iter().copied());
            if let Some((init, _)) = meta.initializing.get_mut(t) {
                init.retain(|p| !ps.contains(p));
                if init.is_empty() {
                    meta.initializing.remove(t);
                }
            }
        }
        out.records.push(meta.record());
        out.events.push(ShareGroupEvent::StateInitialized { partitions: tp_list(&done) });
        out
    }

    /// Initializing these share-partitions failed (`uninitializeShareGroupState`): they are no
    /// longer initializing, so the next heartbeat asks again.
    pub fn initialize_failed(&mut self, partitions: &[TopicPartition]) -> Output {
        let mut out = Output::default();
        let meta = &mut self.state_metadata;
        if meta.initializing.is_empty() || partitions.is_empty() {
            return out;
        }
        for tp in partitions {
            if let Some((init, _)) = meta.initializing.get_mut(tp.topic.as_str()) {
                init.remove(&tp.partition);
                if init.is_empty() {
                    meta.initializing.remove(tp.topic.as_str());
                }
            }
        }
        out.records.push(meta.record());
        out
    }

    /// Topics were deleted (`maybeCleanupShareGroupState`): their share-partitions leave the
    /// initializing, initialized and deleting sets.
    pub fn topics_deleted(&mut self, topics: &[String]) -> Output {
        let mut out = Output::default();
        let meta = &mut self.state_metadata;
        let touched = topics.iter().any(|t| meta.initializing.contains_key(t) || meta.initialized.contains_key(t) || meta.deleting.contains(t));
        if !touched {
            return out;
        }
        for t in topics {
            meta.initializing.remove(t);
            meta.initialized.remove(t);
            meta.deleting.remove(t);
        }
        out.records.push(meta.record());
        out
    }

    /// Fences members whose session deadline has passed (`shareGroupFenceMemberOperation`, "the
    /// member session expired").
    pub fn handle_timeout(&mut self, now_ms: u64) -> Output {
        let mut out = Output::default();
        let expired: Vec<String> = self.session_deadline_ms.iter().filter(|(_, d)| **d <= now_ms).map(|(m, _)| m.clone()).collect();
        for member_id in expired {
            if self.members.contains_key(&member_id) {
                self.fence_member(&member_id, ShareRemoval::SessionExpired, None, &mut out);
            }
        }
        out
    }

    /// The group a coordinator loads at `now_ms` from its compacted records (session timers start
    /// again then, as `GroupMetadataManager.onLoaded` reschedules them).
    pub fn loaded(group_id: &str, config: ShareGroupConfig, now_ms: u64, records: &CompactedShareRecords) -> ShareGroup {
        let mut g = ShareGroup::new(group_id, config);
        for r in records.records() {
            g.replay(now_ms, r);
        }
        g
    }

    /// Applies one record, as a coordinator loading the group does (`replay`); session deadlines
    /// and initializing timestamps start at `now_ms`.
    pub fn replay(&mut self, now_ms: u64, record: &ShareGroupRecord) {
        use ShareGroupRecord::*;
        match record {
            MemberMetadata { member_id, rack_id, client_id, subscribed_topics } => {
                let m = self.members.entry(member_id.clone()).or_insert_with(|| ShareMember::new(member_id));
                m.rack_id = rack_id.clone();
                m.client_id = client_id.clone();
                m.subscribed_topics = subscribed_topics.clone();
                self.session_deadline_ms.insert(member_id.clone(), now_ms.saturating_add(self.config.session_timeout_ms));
            }
            MemberMetadataTombstone { member_id } => {
                self.members.remove(member_id);
                self.session_deadline_ms.remove(member_id);
            }
            GroupEpoch { epoch, metadata_hash } => {
                self.group_epoch = *epoch;
                self.metadata_hash = *metadata_hash;
            }
            TargetAssignmentMember { member_id, partitions } => {
                self.target.insert(member_id.clone(), partitions.clone());
            }
            TargetAssignmentMemberTombstone { member_id } => {
                self.target.remove(member_id);
            }
            TargetAssignmentEpoch { epoch } => self.assignment_epoch = *epoch,
            CurrentAssignment { member_id, member_epoch, previous_member_epoch, assigned } => {
                let m = self.members.entry(member_id.clone()).or_insert_with(|| ShareMember::new(member_id));
                m.member_epoch = *member_epoch;
                m.previous_member_epoch = *previous_member_epoch;
                m.assigned = assigned.clone();
            }
            CurrentAssignmentTombstone { member_id } => {
                if let Some(m) = self.members.get_mut(member_id) {
                    m.member_epoch = LEAVE_EPOCH;
                    m.previous_member_epoch = LEAVE_EPOCH;
                    m.assigned.clear();
                }
            }
            StatePartitionMetadata { initializing, initialized, deleting } => {
                let set = |l: &TopicPartitions| l.partitions.iter().copied().collect::<VecSet<u32>>();
                self.state_metadata = StateMetadata {
                    initializing: initializing.iter().map(|l| (l.topic.clone(), (set(l), now_ms))).collect(),
                    initialized: initialized.iter().map(|l| (l.topic.clone(), set(l))).collect(),
                    deleting: deleting.iter().cloned().collect(),
                };
            }
        }
    }

    /// Hashes the group's state (epochs, members with their epochs, subscriptions and
    /// assignments, targets, deadlines, share-partition state metadata) for the simulation's
    /// state hash.
    pub fn hash_into(&self, h: &mut crate::kernel::Fnv) {
        h.u64(self.group_epoch as u32 as u64);
        h.u64(self.assignment_epoch as u32 as u64);
        h.u64(self.metadata_hash);
        for (t, c) in &self.metadata_counts {
            h.str(t);
            h.u64(u64::from(*c));
        }
        h.u64(self.members.len() as u64);
        for (id, m) in &self.members {
            h.str(id);
            h.u64(m.member_epoch as u32 as u64);
            h.u64(m.previous_member_epoch as u32 as u64);
            h.str(m.rack_id.as_deref().unwrap_or(""));
            h.str(&m.client_id);
            h.u64(m.subscribed_topics.len() as u64);
            for t in &m.subscribed_topics {
                h.str(t);
            }
            for list in [&m.assigned[..], self.target_of(id)] {
                h.u64(list.len() as u64);
                for tp in list {
                    h.str(&tp.topic);
                    h.u64(u64::from(tp.partition));
                }
            }
            h.u64(self.session_deadline_ms.get(id).copied().unwrap_or(0));
        }
        let meta = &self.state_metadata;
        h.u64(meta.initializing.len() as u64);
        for (t, (ps, since)) in &meta.initializing {
            h.str(t);
            h.u64(*since);
            h.u64(ps.len() as u64);
            for p in ps.iter() {
                h.u64(u64::from(*p));
            }
        }
        h.u64(meta.initialized.len() as u64);
        for (t, ps) in &meta.initialized {
            h.str(t);
            h.u64(ps.len() as u64);
            for p in ps.iter() {
                h.u64(u64::from(*p));
            }
        }
        h.u64(meta.deleting.len() as u64);
        for t in meta.deleting.iter() {
            h.str(t);
        }
    }

    /// The group's invariants: epochs ordered (member ≤ target ≤ group), targets only for
    /// members, every member with a session, a member at the target epoch holds exactly its
    /// target's partitions of its subscribed topics (and never a topic it does not subscribe to),
    /// and a share-partition is never both initializing and initialized.
    pub fn check_invariants(&self) -> Result<(), String> {
        let g = &self.group_id;
        if self.assignment_epoch > self.group_epoch {
            return Err(format!("{g}: target epoch {} past the group epoch {}", self.assignment_epoch, self.group_epoch));
        }
        for id in self.target.keys() {
            if !self.members.contains_key(id) {
                return Err(format!("{g}: target for {id}, who is not a member"));
            }
        }
        for (id, m) in &self.members {
            if m.member_epoch > self.assignment_epoch {
                return Err(format!("{g}: member {id} at epoch {} past the target epoch {}", m.member_epoch, self.assignment_epoch));
            }
            if m.previous_member_epoch >= m.member_epoch && m.member_epoch != JOIN_EPOCH {
                return Err(format!("{g}: member {id} epoch {} not after its previous {}", m.member_epoch, m.previous_member_epoch));
            }
            if !self.session_deadline_ms.contains_key(id) {
                return Err(format!("{g}: member {id} has no session"));
            }
            if let Some(tp) = m.assigned.iter().find(|tp| !m.subscribed_topics.iter().any(|t| *t == tp.topic)) {
                return Err(format!("{g}: member {id} holds {tp} but does not subscribe to it"));
            }
            if m.assigned.windows(2).any(|w| w[0] >= w[1]) {
                return Err(format!("{g}: member {id}'s assignment is not sorted and distinct: {:?}", m.assigned));
            }
            if m.member_epoch == self.assignment_epoch {
                if let Some(tp) = m.assigned.iter().find(|tp| !self.target_of(id).contains(tp)) {
                    return Err(format!("{g}: member {id} at the target epoch holds {tp}, not in its target"));
                }
            }
        }
        for (t, (ps, _)) in &self.state_metadata.initializing {
            if let Some(done) = self.state_metadata.initialized.get(t) {
                if let Some(p) = ps.iter().find(|p| done.contains(p)) {
                    return Err(format!("{g}: {t}-{p} both initializing and initialized"));
                }
            }
        }
        Ok(())
    }
}

fn metadata_record(m: &ShareMember) -> ShareGroupRecord {
    ShareGroupRecord::MemberMetadata {
        member_id: m.member_id.clone(),
        rack_id: m.rack_id.clone(),
        client_id: m.client_id.clone(),
        subscribed_topics: m.subscribed_topics.clone(),
    }
}

fn current_record(m: &ShareMember) -> ShareGroupRecord {
    ShareGroupRecord::CurrentAssignment {
        member_id: m.member_id.clone(),
        member_epoch: m.member_epoch,
        previous_member_epoch: m.previous_member_epoch,
        assigned: m.assigned.clone(),
    }
}
