//! The broker side of one consumer-protocol group (KIP-848): `ConsumerGroup` and the
//! `consumerGroupHeartbeat` paths of `GroupMetadataManager`, as a pure state machine.
//!
//! Driven by [`ConsumerGroup::heartbeat`] (one `ConsumerGroupHeartbeat` request in, its response
//! and the `__consumer_offsets` records it writes out) and [`ConsumerGroup::handle_timeout`]
//! (session expiry, the revocation deadline), with [`ConsumerGroup::next_deadline_ms`]. The
//! target assignment is computed by the server-side assignor the caller passes in
//! ([`TargetAssignor`]: the group layer of the simulation runs Kafka's `uniform` and `range`);
//! records replayed with [`ConsumerGroup::replay`] rebuild the same group, as a new coordinator
//! does when it loads `__consumer_offsets`.

use crate::group::protocol::{ErrorCode, HeartbeatRequest, HeartbeatResponse, JoinProtocol, TopicPartition};
use crate::kernel::vecmap::VecMap;
use serde::Serialize;

use super::member::{next_assignment, ClassicMemberMetadata, ConsumerMember, MemberState};

mod migration;

/// `JOIN_GROUP_MEMBER_EPOCH`.
pub const JOIN_EPOCH: i32 = 0;
/// `LEAVE_GROUP_MEMBER_EPOCH`.
pub const LEAVE_EPOCH: i32 = -1;
/// `LEAVE_GROUP_STATIC_MEMBER_EPOCH`: a static member leaving for a while.
pub const LEAVE_STATIC_EPOCH: i32 = -2;

/// Broker settings of consumer groups (`GroupCoordinatorConfig`), Kafka's defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsumerGroupConfig {
    /// `group.consumer.session.timeout.ms` (45000).
    pub session_timeout_ms: u64,
    /// `group.consumer.heartbeat.interval.ms` (5000).
    pub heartbeat_interval_ms: u64,
    /// `group.consumer.max.size` (unbounded).
    pub max_size: usize,
    /// `group.consumer.assignors` (`uniform,range`): the first is the default.
    pub assignors: Vec<String>,
    /// `group.consumer.migration.policy` (`bidirectional`).
    pub migration_policy: MigrationPolicy,
    /// `group.classic.max.size`: a downgrade needs the group to fit in a classic group.
    pub classic_max_size: usize,
}

impl Default for ConsumerGroupConfig {
    fn default() -> Self {
        ConsumerGroupConfig {
            session_timeout_ms: 45_000,
            heartbeat_interval_ms: 5_000,
            max_size: usize::MAX,
            assignors: vec!["uniform".into(), "range".into()],
            migration_policy: MigrationPolicy::Bidirectional,
            classic_max_size: usize::MAX,
        }
    }
}

/// `group.consumer.migration.policy` (`ConsumerGroupMigrationPolicy`): which online
/// conversions between a classic and a consumer group the coordinator makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum MigrationPolicy {
    /// Neither: classic members cannot join a consumer group.
    Disabled,
    /// Classic → consumer when a consumer-protocol member joins a classic group.
    Upgrade,
    /// Consumer → classic when the last consumer-protocol member leaves.
    Downgrade,
    /// Both (the default).
    Bidirectional,
}

impl MigrationPolicy {
    /// The policy named `name` (case-insensitive), as the broker parses it.
    pub fn parse(name: &str) -> Option<MigrationPolicy> {
        Some(match name.to_ascii_lowercase().as_str() {
            "disabled" => MigrationPolicy::Disabled,
            "upgrade" => MigrationPolicy::Upgrade,
            "downgrade" => MigrationPolicy::Downgrade,
            "bidirectional" => MigrationPolicy::Bidirectional,
            _ => return None,
        })
    }

    /// `isUpgradeEnabled`.
    pub fn upgrade_enabled(self) -> bool {
        matches!(self, MigrationPolicy::Upgrade | MigrationPolicy::Bidirectional)
    }

    /// `isDowngradeEnabled`.
    pub fn downgrade_enabled(self) -> bool {
        matches!(self, MigrationPolicy::Downgrade | MigrationPolicy::Bidirectional)
    }
}

/// The group states of a consumer group (`ConsumerGroup.ConsumerGroupState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ConsumerGroupState {
    /// No members.
    Empty,
    /// The group epoch moved past the target assignment's: a new target is due.
    Assigning,
    /// Some member has not reconciled to the target yet.
    Reconciling,
    /// Every member owns its target.
    Stable,
}

impl ConsumerGroupState {
    /// Kafka's name (`Empty`, `Assigning`, …).
    pub fn name(self) -> &'static str {
        match self {
            ConsumerGroupState::Empty => "Empty",
            ConsumerGroupState::Assigning => "Assigning",
            ConsumerGroupState::Reconciling => "Reconciling",
            ConsumerGroupState::Stable => "Stable",
        }
    }
}

/// The records a consumer group writes to `__consumer_offsets` (`GroupCoordinatorRecordHelpers`),
/// the group's whole state: replaying them rebuilds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ConsumerGroupRecord {
    /// `ConsumerGroupMemberMetadata`: who the member is and what it subscribes to.
    MemberMetadata {
        member_id: String,
        instance_id: Option<String>,
        client_id: String,
        rebalance_timeout_ms: u64,
        subscribed_topics: Vec<String>,
        server_assignor: Option<String>,
        /// Set for a member using the classic protocol.
        classic: Option<ClassicMemberMetadata>,
    },
    /// Tombstone of a member's metadata (it left or was fenced).
    MemberMetadataTombstone { member_id: String },
    /// `ConsumerGroupMetadata`: the group epoch.
    GroupEpoch { epoch: i32 },
    /// `ConsumerGroupTargetAssignmentMember`.
    TargetAssignmentMember { member_id: String, partitions: Vec<TopicPartition> },
    /// Tombstone of a member's target.
    TargetAssignmentMemberTombstone { member_id: String },
    /// `ConsumerGroupTargetAssignmentMetadata`: the target assignment epoch.
    TargetAssignmentEpoch { epoch: i32 },
    /// `ConsumerGroupCurrentMemberAssignment`: epochs, state, owned and revoking partitions.
    CurrentAssignment { member_id: String, member_epoch: i32, previous_member_epoch: i32, state: MemberState, assigned: Vec<TopicPartition>, pending_revocation: Vec<TopicPartition> },
    /// Tombstone of a member's current assignment.
    CurrentAssignmentTombstone { member_id: String },
}

impl crate::group::protocol::CompactedRecord for ConsumerGroupRecord {
    fn key(&self) -> (u8, &str) {
        use ConsumerGroupRecord::*;
        match self {
            MemberMetadata { member_id, .. } | MemberMetadataTombstone { member_id } => (0, member_id),
            GroupEpoch { .. } => (1, ""),
            TargetAssignmentMember { member_id, .. } | TargetAssignmentMemberTombstone { member_id } => (2, member_id),
            TargetAssignmentEpoch { .. } => (3, ""),
            CurrentAssignment { member_id, .. } | CurrentAssignmentTombstone { member_id } => (4, member_id),
        }
    }

    fn is_tombstone(&self) -> bool {
        use ConsumerGroupRecord::*;
        matches!(self, MemberMetadataTombstone { .. } | TargetAssignmentMemberTombstone { .. } | CurrentAssignmentTombstone { .. })
    }
}

/// The group's records as the compacted `__consumer_offsets` keeps them ([`ConsumerGroup::loaded`]).
pub type CompactedRecords = crate::group::protocol::Compacted<ConsumerGroupRecord>;

/// What the assignor is given about one member (`MemberSubscriptionAndAssignmentImpl`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignorMember<'a> {
    /// Member id.
    pub member_id: &'a str,
    /// `group.instance.id`.
    pub instance_id: Option<&'a str>,
    /// Subscribed topics.
    pub topics: &'a [String],
    /// Its current target (stickiness input).
    pub target: &'a [TopicPartition],
}

/// A server-side assignor (`ConsumerGroupPartitionAssignor`), injected by the driver: the group
/// module knows the protocol, not the assignors.
pub trait TargetAssignor {
    /// Whether the broker has an assignor of this name.
    fn has(&self, name: &str) -> bool;
    /// The target assignment of `members` by `assignor`, over the topics' partition counts it
    /// knows (unknown topics have none).
    fn assign(&self, assignor: &str, members: &[AssignorMember<'_>]) -> VecMap<String, Vec<TopicPartition>>;
}

/// Why a member left the group (the reason Kafka logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Removal {
    /// Heartbeat with epoch -1.
    Left,
    /// No heartbeat within the session timeout.
    SessionExpired,
    /// Did not revoke within its rebalance timeout.
    RevocationTimeout,
    /// A classic member told to rejoin did not send JoinGroup within its rebalance timeout.
    ClassicJoinTimeout,
    /// A classic member did not send SyncGroup within its rebalance timeout after joining.
    ClassicSyncTimeout,
    /// A classic member sent LeaveGroup.
    ClassicLeft,
}

impl Removal {
    /// The reason Kafka logs (`consumerGroupFenceMemberOperation`'s and the leave paths').
    pub fn reason(self) -> &'static str {
        match self {
            Removal::Left => "the member left the group (epoch -1)",
            Removal::SessionExpired => "the member session expired",
            Removal::RevocationTimeout => "the member failed to revoke its partitions within the rebalance timeout",
            Removal::ClassicJoinTimeout => "the classic member failed to join within the rebalance timeout",
            Removal::ClassicSyncTimeout => "the member failed to sync within timeout",
            Removal::ClassicLeft => "the classic member left the group through an explicit LeaveGroup request",
        }
    }
}

/// A classic group's member as an online conversion carries it between the two kinds of
/// group (`ConsumerGroup.fromClassicGroup`, `ClassicGroup.fromConsumerGroup`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClassicMemberSnapshot {
    /// Member id.
    pub member_id: String,
    /// `group.instance.id`.
    pub instance_id: Option<String>,
    /// `client.id`.
    pub client_id: String,
    /// `rebalance.timeout.ms` (the client's `max.poll.interval.ms`).
    pub rebalance_timeout_ms: u64,
    /// `session.timeout.ms`.
    pub session_timeout_ms: u64,
    /// JoinGroup protocols in preference order.
    pub protocols: Vec<JoinProtocol>,
    /// Its partitions: the classic generation's assignment on an upgrade, the consumer
    /// group's target on a downgrade.
    pub assignment: Vec<TopicPartition>,
}

/// The consumer group must become a classic group (online downgrade,
/// `convertToClassicGroup`): the driver replaces it by a classic group of these members at
/// `generation_id` and, if `rebalance`, prepares a rebalance there with `reason`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Downgrade {
    /// The classic group's generation: the consumer group's epoch.
    pub generation_id: i32,
    /// The members that stay.
    pub members: Vec<ClassicMemberSnapshot>,
    /// Whether a rebalance is due at once.
    pub rebalance: bool,
    /// Why (Kafka's rebalance reason).
    pub reason: String,
}

/// A JoinGroup to a consumer group (`classicGroupJoinToConsumerGroup`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassicJoin<'a> {
    /// `MemberId`, empty on a first join.
    pub member_id: &'a str,
    /// The id the coordinator gives a member joining with none.
    pub new_member_id: &'a str,
    /// `GroupInstanceId`.
    pub instance_id: Option<&'a str>,
    /// `client.id`.
    pub client_id: &'a str,
    /// `ProtocolType`.
    pub protocol_type: &'a str,
    /// `Protocols`.
    pub protocols: &'a [JoinProtocol],
    /// `SessionTimeoutMs`.
    pub session_timeout_ms: u64,
    /// `RebalanceTimeoutMs`.
    pub rebalance_timeout_ms: u64,
}

/// The JoinGroup response a consumer group gives a classic member: no leader and no member
/// list (the coordinator assigns), the member epoch as the generation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassicJoinResponse {
    /// Error, `NONE` on success.
    pub error: ErrorCode,
    /// The member id (the new one with `MEMBER_ID_REQUIRED`).
    pub member_id: String,
    /// `GenerationId`: the member epoch.
    pub generation_id: i32,
    /// `ProtocolName`: the member's first protocol.
    pub protocol_name: Option<String>,
}

/// What a heartbeat or a timeout did, for the trace and the views.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ConsumerGroupEvent {
    /// A member joined (epoch 0, new member id).
    MemberJoined { member_id: String },
    /// A member was removed.
    MemberRemoved { member_id: String, reason: Removal },
    /// The group epoch was bumped.
    GroupEpochBumped { epoch: i32 },
    /// A new target assignment was computed by `assignor`.
    TargetAssignmentComputed { epoch: i32, assignor: String },
    /// A member joined under a static member's `group.instance.id` and took its place and
    /// assignment (the old member, if still running, is a zombie from now on).
    StaticMemberReplaced { instance_id: String, old_member_id: String, new_member_id: String },
    /// A member moved to a new epoch or state.
    MemberReconciled { member_id: String, epoch: i32, state: MemberState },
}

/// One consumer-protocol group on its coordinator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsumerGroup {
    group_id: String,
    config: ConsumerGroupConfig,
    group_epoch: i32,
    assignment_epoch: i32,
    members: VecMap<String, ConsumerMember>,
    /// The target assignment per member.
    target: VecMap<String, Vec<TopicPartition>>,
    /// Who holds each partition in the current assignment (assigned or revoking).
    owners: VecMap<TopicPartition, String>,
    /// Session deadline per member.
    session_deadline_ms: VecMap<String, u64>,
    /// Revocation deadline per member in `UNREVOKED_PARTITIONS`.
    revocation_deadline_ms: VecMap<String, u64>,
    /// Classic members told to rejoin: the deadline of their JoinGroup.
    classic_join_deadline_ms: VecMap<String, u64>,
    /// Classic members that joined: the deadline of their SyncGroup.
    classic_sync_deadline_ms: VecMap<String, u64>,
    /// The group was just converted from a classic group and its subscription metadata
    /// (`ConsumerGroupPartitionMetadata`, the metadata hash in later versions) is not computed
    /// yet: `fromClassicGroup` leaves it empty and its refresh deadline expired, so the
    /// heartbeat that triggered the conversion computes it, finds it changed and bumps the group
    /// epoch (`hasMetadataExpired` in `consumerGroupHeartbeat`). Consumed by that heartbeat
    /// (or, if it was refused, the next one that passes the member checks); never in the
    /// records, so a loaded group has it unset.
    #[serde(skip)]
    subscription_metadata_unset: bool,
}

/// Outcome of one input: records to write and events to report.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Output {
    /// Records for `__consumer_offsets`, in order.
    pub records: Vec<ConsumerGroupRecord>,
    /// What happened.
    pub events: Vec<ConsumerGroupEvent>,
    /// Set when the group became a classic group: the driver converts it, and this group is
    /// gone.
    pub downgrade: Option<Downgrade>,
}

impl ConsumerGroup {
    /// An empty group.
    pub fn new(group_id: &str, config: ConsumerGroupConfig) -> ConsumerGroup {
        ConsumerGroup {
            group_id: group_id.to_string(),
            config,
            group_epoch: 0,
            assignment_epoch: 0,
            members: VecMap::new(),
            target: VecMap::new(),
            owners: VecMap::new(),
            session_deadline_ms: VecMap::new(),
            revocation_deadline_ms: VecMap::new(),
            classic_join_deadline_ms: VecMap::new(),
            classic_sync_deadline_ms: VecMap::new(),
            subscription_metadata_unset: false,
        }
    }

    /// `group.id`.
    pub fn group_id(&self) -> &str {
        &self.group_id
    }

    /// The group epoch.
    pub fn group_epoch(&self) -> i32 {
        self.group_epoch
    }

    /// The target assignment epoch.
    pub fn assignment_epoch(&self) -> i32 {
        self.assignment_epoch
    }

    /// Members by id.
    pub fn members(&self) -> &VecMap<String, ConsumerMember> {
        &self.members
    }

    /// When a member's session ends unless it heartbeats.
    pub fn session_deadline_of(&self, member_id: &str) -> Option<u64> {
        self.session_deadline_ms.get(member_id).copied()
    }

    /// A member's target assignment.
    pub fn target_of(&self, member_id: &str) -> &[TopicPartition] {
        self.target.get(member_id).map_or(&[], Vec::as_slice)
    }

    /// The group state (`maybeUpdateGroupState`).
    pub fn state(&self) -> ConsumerGroupState {
        if self.members.is_empty() {
            ConsumerGroupState::Empty
        } else if self.group_epoch > self.assignment_epoch {
            ConsumerGroupState::Assigning
        } else if self.members.values().any(|m| !m.is_reconciled_to(self.assignment_epoch)) {
            ConsumerGroupState::Reconciling
        } else {
            ConsumerGroupState::Stable
        }
    }

    /// The assignor the group uses: the one most members name, else the first configured
    /// (`computePreferredServerAssignor`; ties go to the name first in the configured list).
    pub fn preferred_assignor(&self) -> String {
        let mut best: Option<(&str, usize)> = None;
        for name in &self.config.assignors {
            let votes = self.members.values().filter(|m| m.server_assignor.as_deref() == Some(name.as_str())).count();
            if votes > 0 && best.is_none_or(|(_, b)| votes > b) {
                best = Some((name, votes));
            }
        }
        best.map_or_else(|| self.config.assignors.first().cloned().unwrap_or_default(), |(n, _)| n.to_string())
    }

    /// Checks an OffsetCommit of a member (`ConsumerGroup.validateOffsetCommit`, 4.0–4.2): no
    /// member id with a negative epoch and no members is an admin commit; otherwise the member
    /// must exist (UNKNOWN_MEMBER_ID) and commit with its current epoch (STALE_MEMBER_EPOCH).
    /// A classic member in the group commits with its generation, which must be its member
    /// epoch (ILLEGAL_GENERATION).
    pub fn validate_offset_commit(&self, member_id: &str, epoch: i32) -> ErrorCode {
        if epoch < 0 && member_id.is_empty() {
            return if self.members.is_empty() { ErrorCode::None } else { ErrorCode::UnknownMemberId };
        }
        match self.members.get(member_id) {
            None => ErrorCode::UnknownMemberId,
            Some(m) if m.member_epoch != epoch && m.uses_classic_protocol() => ErrorCode::IllegalGeneration,
            Some(m) if m.member_epoch != epoch => ErrorCode::StaleMemberEpoch,
            Some(_) => ErrorCode::None,
        }
    }

    /// The next session, revocation, classic join or classic sync deadline.
    pub fn next_deadline_ms(&self) -> Option<u64> {
        self.session_deadline_ms
            .values()
            .chain(self.revocation_deadline_ms.values())
            .chain(self.classic_join_deadline_ms.values())
            .chain(self.classic_sync_deadline_ms.values())
            .copied()
            .min()
    }

    /// Whether the group mixes classic and consumer-protocol members (an online migration in
    /// progress).
    pub fn is_mixed(&self) -> bool {
        let classic = self.members.values().filter(|m| m.uses_classic_protocol()).count();
        classic > 0 && classic < self.members.len()
    }

    fn session_timeout_of(&self, m: &ConsumerMember) -> u64 {
        m.classic.as_ref().map_or(self.config.session_timeout_ms, |c| c.session_timeout_ms)
    }

    /// Handles one `ConsumerGroupHeartbeat` (`GroupMetadataManager.consumerGroupHeartbeat`).
    pub fn heartbeat(&mut self, now_ms: u64, req: &HeartbeatRequest, assignor: &dyn TargetAssignor) -> (HeartbeatResponse, Output) {
        let mut out = Output::default();
        if let Err(error) = self.validate(req, assignor) {
            return (HeartbeatResponse::error(&req.member_id, error), out);
        }
        if req.member_epoch == LEAVE_EPOCH || req.member_epoch == LEAVE_STATIC_EPOCH {
            return (self.leave(req, &mut out), out);
        }
        let joining = req.member_epoch == JOIN_EPOCH;
        let member = match self.member_for(req, &mut out) {
            Ok(m) => m,
            Err(error) => return (HeartbeatResponse::error(&req.member_id, error), out),
        };
        let is_new = !self.members.contains_key(&member.member_id);
        // The member's metadata as the request states it.
        let mut updated = member.clone();
        updated.client_id = req.client_id.clone();
        if req.rebalance_timeout_ms >= 0 {
            updated.rebalance_timeout_ms = req.rebalance_timeout_ms as u64;
        }
        if let Some(topics) = &req.subscribed_topics {
            let mut topics = topics.clone();
            crate::kernel::sort::sort(&mut topics);
            topics.dedup();
            updated.subscribed_topics = topics;
        }
        if req.server_assignor.is_some() || joining {
            updated.server_assignor = req.server_assignor.clone();
        }
        let metadata_changed = is_new
            || updated.subscribed_topics != member.subscribed_topics
            || updated.server_assignor != member.server_assignor
            || updated.rebalance_timeout_ms != member.rebalance_timeout_ms
            || updated.client_id != member.client_id;
        if is_new {
            out.events.push(ConsumerGroupEvent::MemberJoined { member_id: updated.member_id.clone() });
        }
        let mut bump = is_new || updated.subscribed_topics != member.subscribed_topics || updated.server_assignor != member.server_assignor;
        if metadata_changed {
            out.records.push(metadata_record(&updated));
        }
        self.members.insert(updated.member_id.clone(), updated.clone());
        if std::mem::take(&mut self.subscription_metadata_unset) {
            // Just converted from a classic group: the subscription metadata computed now
            // differs from the empty one whenever the group subscribes to some topic, which
            // bumps the group epoch even when this member only replaced a static member with
            // the same subscription (`testConsumerGroupHeartbeatToClassicGroupFromExistingStaticMember`).
            bump |= self.members.values().any(|m| !m.subscribed_topics.is_empty());
        }
        if bump {
            self.bump_epoch(&mut out);
        }
        self.session_deadline_ms.insert(updated.member_id.clone(), now_ms.saturating_add(self.config.session_timeout_ms));
        if self.assignment_epoch < self.group_epoch {
            self.compute_target(assignor, &mut out);
        }
        let after = self.reconcile(now_ms, &updated, req.owned.as_deref(), &mut out);
        let full = req.rebalance_timeout_ms != -1 && req.subscribed_topics.is_some() && req.owned.is_some();
        // Sent when the partitions changed, on a join and on a full request (`consumerGroupHeartbeat`).
        let assignment = (joining || full || after.assigned != updated.assigned).then(|| after.assigned.clone());
        let response = HeartbeatResponse {
            error: ErrorCode::None,
            member_id: after.member_id.clone(),
            member_epoch: after.member_epoch,
            heartbeat_interval_ms: self.config.heartbeat_interval_ms,
            assignment,
        };
        (response, out)
    }

    /// `throwIfConsumerGroupHeartbeatRequestIsInvalid` and the assignor check.
    fn validate(&self, req: &HeartbeatRequest, assignor: &dyn TargetAssignor) -> Result<(), ErrorCode> {
        if req.member_id.is_empty() || req.member_epoch < LEAVE_STATIC_EPOCH || req.instance_id.as_deref() == Some("") {
            return Err(ErrorCode::InvalidRequest);
        }
        if req.member_epoch == JOIN_EPOCH
            && (req.rebalance_timeout_ms == -1 || req.owned.as_ref().is_none_or(|o| !o.is_empty()) || req.subscribed_topics.is_none())
        {
            return Err(ErrorCode::InvalidRequest);
        }
        if req.member_epoch == LEAVE_STATIC_EPOCH && req.instance_id.is_none() {
            return Err(ErrorCode::InvalidRequest);
        }
        if let Some(name) = &req.server_assignor {
            if !assignor.has(name) {
                return Err(ErrorCode::UnsupportedAssignor);
            }
        }
        Ok(())
    }

    /// The member this heartbeat is for, created on a join, after the epoch checks
    /// (`getOrMaybeSubscribe…Member`, `throwIfConsumerGroupMemberEpochIsInvalid`).
    fn member_for(&mut self, req: &HeartbeatRequest, out: &mut Output) -> Result<ConsumerMember, ErrorCode> {
        let static_holder = req.instance_id.as_deref().and_then(|i| self.members.values().find(|m| m.instance_id.as_deref() == Some(i))).cloned();
        if req.member_epoch == JOIN_EPOCH {
            if let Some(old) = static_holder {
                if old.member_id != req.member_id {
                    // Only a consumer-protocol holder must have left first; a classic member
                    // is replaced at once (an online upgrade by static restart).
                    if old.member_epoch != LEAVE_STATIC_EPOCH && !old.uses_classic_protocol() {
                        return Err(ErrorCode::UnreleasedInstanceId);
                    }
                    return Ok(self.replace_static_member(&old, &req.member_id, out));
                }
            }
            if let Some(m) = self.members.get(&req.member_id) {
                // 4.2+: epoch 0 is always a rejoin of a known member.
                return Ok(m.clone());
            }
            if self.members.len() >= self.config.max_size {
                return Err(ErrorCode::GroupMaxSizeReached);
            }
            return Ok(ConsumerMember::new(&req.member_id, &req.client_id, req.instance_id.as_deref()));
        }
        let Some(m) = self.members.get(&req.member_id).cloned() else { return Err(ErrorCode::UnknownMemberId) };
        if let (Some(i), Some(holder)) = (&req.instance_id, &static_holder) {
            if holder.member_id != m.member_id || m.instance_id.as_deref() != Some(i.as_str()) {
                return Err(ErrorCode::FencedInstanceId);
            }
        }
        if req.member_epoch > m.member_epoch {
            return Err(ErrorCode::FencedMemberEpoch);
        }
        if req.member_epoch < m.member_epoch {
            let subset = req.owned.as_ref().is_some_and(|o| o.iter().all(|tp| m.assigned.contains(tp)));
            if req.member_epoch != m.previous_member_epoch || !subset {
                return Err(ErrorCode::FencedMemberEpoch);
            }
        }
        Ok(m)
    }

    /// The returning static member takes over the old one's place and assignment
    /// (`replaceMember`) under its new member id, at epoch 0: no group-epoch bump, no new target.
    fn replace_static_member(&mut self, old: &ConsumerMember, new_member_id: &str, out: &mut Output) -> ConsumerMember {
        for record in [
            ConsumerGroupRecord::CurrentAssignmentTombstone { member_id: old.member_id.clone() },
            ConsumerGroupRecord::TargetAssignmentMemberTombstone { member_id: old.member_id.clone() },
            ConsumerGroupRecord::MemberMetadataTombstone { member_id: old.member_id.clone() },
        ] {
            out.records.push(record);
        }
        self.members.remove(&old.member_id);
        let target = self.target.remove(&old.member_id).unwrap_or_default();
        for deadlines in [&mut self.session_deadline_ms, &mut self.revocation_deadline_ms, &mut self.classic_join_deadline_ms, &mut self.classic_sync_deadline_ms] {
            deadlines.remove(&old.member_id);
        }
        let mut m = old.clone();
        m.member_id = new_member_id.to_string();
        m.member_epoch = JOIN_EPOCH;
        // The newcomer's protocol is its own (a classic JoinGroup sets it again).
        m.classic = None;
        out.events.push(ConsumerGroupEvent::StaticMemberReplaced {
            instance_id: old.instance_id.clone().unwrap_or_default(),
            old_member_id: old.member_id.clone(),
            new_member_id: new_member_id.to_string(),
        });
        for tp in m.assigned.iter().chain(&m.pending_revocation) {
            self.owners.insert(tp.clone(), m.member_id.clone());
        }
        out.records.push(metadata_record(&m));
        out.records.push(ConsumerGroupRecord::TargetAssignmentMember { member_id: m.member_id.clone(), partitions: target.clone() });
        out.records.push(current_record(&m));
        self.target.insert(m.member_id.clone(), target);
        self.members.insert(m.member_id.clone(), m.clone());
        m
    }

    /// A heartbeat with epoch -1 (leave) or -2 (a static member away for a while).
    fn leave(&mut self, req: &HeartbeatRequest, out: &mut Output) -> HeartbeatResponse {
        let Some(m) = self.members.get(&req.member_id).cloned() else {
            return HeartbeatResponse::error(&req.member_id, ErrorCode::UnknownMemberId);
        };
        if req.member_epoch == LEAVE_STATIC_EPOCH && m.instance_id.is_some() {
            // Stays a member with epoch -2 and keeps its partitions; its session keeps running.
            let mut away = m.clone();
            away.previous_member_epoch = m.member_epoch;
            away.member_epoch = LEAVE_STATIC_EPOCH;
            out.records.push(current_record(&away));
            self.members.insert(away.member_id.clone(), away);
        } else {
            self.fence_member(&m.member_id, Removal::Left, out);
        }
        HeartbeatResponse { error: ErrorCode::None, member_id: m.member_id, member_epoch: req.member_epoch, heartbeat_interval_ms: 0, assignment: None }
    }

    /// Fences a member (`consumerGroupFenceMembers`): it is removed, or, when only classic
    /// members would be left and the migration policy allows it, the whole group becomes a
    /// classic group of them instead (`validateOnlineDowngradeWithFencedMembers`: the
    /// downgrade goes to `out.downgrade` and this group is gone). Returns whether it was a
    /// downgrade.
    fn fence_member(&mut self, member_id: &str, reason: Removal, out: &mut Output) -> bool {
        let rest: Vec<&ConsumerMember> = self.members.values().filter(|m| m.member_id != member_id).collect();
        let downgrade = !rest.is_empty()
            && rest.iter().all(|m| m.uses_classic_protocol())
            && self.config.migration_policy.downgrade_enabled()
            && rest.len() <= self.config.classic_max_size;
        if !downgrade {
            self.remove_member(member_id, reason, out);
            return false;
        }
        let members = rest.iter().map(|m| self.snapshot(m)).collect();
        out.events.push(ConsumerGroupEvent::MemberRemoved { member_id: member_id.to_string(), reason });
        out.downgrade = Some(Downgrade {
            generation_id: self.group_epoch,
            members,
            rebalance: true,
            reason: format!("Downgrade group {} from consumer to classic for member leaving.", self.group_id),
        });
        true
    }

    /// A classic member as a classic group would hold it, with its target as its assignment
    /// (`ClassicGroup.fromConsumerGroup`).
    fn snapshot(&self, m: &ConsumerMember) -> ClassicMemberSnapshot {
        let classic = m.classic.clone().unwrap_or(ClassicMemberMetadata { session_timeout_ms: self.config.session_timeout_ms, protocols: Vec::new() });
        ClassicMemberSnapshot {
            member_id: m.member_id.clone(),
            instance_id: m.instance_id.clone(),
            client_id: m.client_id.clone(),
            rebalance_timeout_ms: m.rebalance_timeout_ms,
            session_timeout_ms: classic.session_timeout_ms,
            protocols: classic.protocols,
            assignment: self.target_of(&m.member_id).to_vec(),
        }
    }

    /// Removes a member, frees its partitions and bumps the group epoch (`consumerGroupFenceMember`).
    fn remove_member(&mut self, member_id: &str, reason: Removal, out: &mut Output) {
        self.members.remove(member_id);
        self.target.remove(member_id);
        for deadlines in [&mut self.session_deadline_ms, &mut self.revocation_deadline_ms, &mut self.classic_join_deadline_ms, &mut self.classic_sync_deadline_ms] {
            deadlines.remove(member_id);
        }
        self.owners.retain(|_, owner| owner != member_id);
        out.records.push(ConsumerGroupRecord::CurrentAssignmentTombstone { member_id: member_id.to_string() });
        out.records.push(ConsumerGroupRecord::TargetAssignmentMemberTombstone { member_id: member_id.to_string() });
        out.records.push(ConsumerGroupRecord::MemberMetadataTombstone { member_id: member_id.to_string() });
        out.events.push(ConsumerGroupEvent::MemberRemoved { member_id: member_id.to_string(), reason });
        self.bump_epoch(out);
        if self.members.is_empty() {
            // With nobody left the (empty) target is trivially current.
            self.assignment_epoch = self.group_epoch;
            out.records.push(ConsumerGroupRecord::TargetAssignmentEpoch { epoch: self.assignment_epoch });
        }
    }

    fn bump_epoch(&mut self, out: &mut Output) {
        self.group_epoch += 1;
        out.records.push(ConsumerGroupRecord::GroupEpoch { epoch: self.group_epoch });
        out.events.push(ConsumerGroupEvent::GroupEpochBumped { epoch: self.group_epoch });
    }

    /// A new target assignment at the group epoch (`maybeUpdateTargetAssignment`).
    fn compute_target(&mut self, assignor: &dyn TargetAssignor, out: &mut Output) {
        let name = self.preferred_assignor();
        let empty = Vec::new();
        let members: Vec<AssignorMember<'_>> = self
            .members
            .values()
            .map(|m| AssignorMember {
                member_id: &m.member_id,
                instance_id: m.instance_id.as_deref(),
                topics: &m.subscribed_topics,
                target: self.target.get(&m.member_id).unwrap_or(&empty),
            })
            .collect();
        let mut next = assignor.assign(&name, &members);
        for id in self.members.keys() {
            if next.get(id).is_none() {
                next.insert(id.clone(), Vec::new());
            }
        }
        for (id, parts) in next.iter_mut() {
            crate::kernel::sort::sort(parts);
            if self.target.get(id) != Some(parts) {
                out.records.push(ConsumerGroupRecord::TargetAssignmentMember { member_id: id.clone(), partitions: parts.clone() });
            }
        }
        self.target = next;
        self.assignment_epoch = self.group_epoch;
        out.records.push(ConsumerGroupRecord::TargetAssignmentEpoch { epoch: self.assignment_epoch });
        out.events.push(ConsumerGroupEvent::TargetAssignmentComputed { epoch: self.assignment_epoch, assignor: name });
    }

    /// Moves a member towards its target and keeps the partition owners in step.
    fn reconcile(&mut self, now_ms: u64, member: &ConsumerMember, owned: Option<&[TopicPartition]>, out: &mut Output) -> ConsumerMember {
        let target = self.target.get(&member.member_id).cloned().unwrap_or_default();
        let owners = &self.owners;
        let other = |tp: &TopicPartition| owners.get(tp).is_some_and(|o| o != &member.member_id);
        let next = next_assignment(member, self.assignment_epoch, &target, owned, &other);
        if next != *member {
            self.owners.retain(|tp, o| o != &member.member_id || next.assigned.contains(tp) || next.pending_revocation.contains(tp));
            for tp in next.assigned.iter().chain(&next.pending_revocation) {
                self.owners.insert(tp.clone(), next.member_id.clone());
            }
            out.records.push(current_record(&next));
            if (next.member_epoch, next.state) != (member.member_epoch, member.state) {
                out.events.push(ConsumerGroupEvent::MemberReconciled { member_id: next.member_id.clone(), epoch: next.member_epoch, state: next.state });
            }
            self.members.insert(next.member_id.clone(), next.clone());
        }
        match next.state {
            // The revocation deadline is set when the member starts revoking and kept until it is done.
            MemberState::UnrevokedPartitions => {
                if member.state != MemberState::UnrevokedPartitions || !self.revocation_deadline_ms.contains_key(&next.member_id) {
                    self.revocation_deadline_ms.insert(next.member_id.clone(), now_ms.saturating_add(next.rebalance_timeout_ms));
                }
            }
            _ => {
                self.revocation_deadline_ms.remove(&next.member_id);
            }
        }
        next
    }

    /// Fences members whose session, revocation, classic join or classic sync deadline has
    /// passed (stopping at a downgrade: the group is then gone).
    pub fn handle_timeout(&mut self, now_ms: u64) -> Output {
        let mut out = Output::default();
        let mut expired: Vec<(String, Removal)> = Vec::new();
        for (deadlines, reason) in [
            (&self.session_deadline_ms, Removal::SessionExpired),
            (&self.revocation_deadline_ms, Removal::RevocationTimeout),
            (&self.classic_join_deadline_ms, Removal::ClassicJoinTimeout),
            (&self.classic_sync_deadline_ms, Removal::ClassicSyncTimeout),
        ] {
            expired.extend(deadlines.iter().filter(|(_, d)| **d <= now_ms).map(|(m, _)| (m.clone(), reason)));
        }
        for (member_id, reason) in expired {
            if self.members.contains_key(&member_id) && self.fence_member(&member_id, reason, &mut out) {
                break;
            }
        }
        out
    }

    /// The group a coordinator loads at `now_ms` from its compacted records (session timers
    /// start again then, as `GroupMetadataManager.onLoaded` reschedules them).
    pub fn loaded(group_id: &str, config: ConsumerGroupConfig, now_ms: u64, records: &CompactedRecords) -> ConsumerGroup {
        let mut g = ConsumerGroup::new(group_id, config);
        for r in records.records() {
            g.replay(now_ms, r);
        }
        g
    }

    /// Applies one record, as a coordinator loading the group does (`replay`). Loading a group
    /// replays every record it wrote, in order; session deadlines start again at `now_ms`.
    pub fn replay(&mut self, now_ms: u64, record: &ConsumerGroupRecord) {
        use ConsumerGroupRecord::*;
        match record {
            MemberMetadata { member_id, instance_id, client_id, rebalance_timeout_ms, subscribed_topics, server_assignor, classic } => {
                let session_ms = classic.as_ref().map_or(self.config.session_timeout_ms, |c| c.session_timeout_ms);
                let m = self.members.entry(member_id.clone()).or_insert_with(|| ConsumerMember::new(member_id, client_id, instance_id.as_deref()));
                self.session_deadline_ms.insert(member_id.clone(), now_ms.saturating_add(session_ms));
                m.instance_id = instance_id.clone();
                m.client_id = client_id.clone();
                m.rebalance_timeout_ms = *rebalance_timeout_ms;
                m.subscribed_topics = subscribed_topics.clone();
                m.server_assignor = server_assignor.clone();
                m.classic = classic.clone();
            }
            MemberMetadataTombstone { member_id } => {
                self.members.remove(member_id);
                for deadlines in [&mut self.session_deadline_ms, &mut self.revocation_deadline_ms, &mut self.classic_join_deadline_ms, &mut self.classic_sync_deadline_ms] {
                    deadlines.remove(member_id);
                }
            }
            GroupEpoch { epoch } => self.group_epoch = *epoch,
            TargetAssignmentMember { member_id, partitions } => {
                self.target.insert(member_id.clone(), partitions.clone());
            }
            TargetAssignmentMemberTombstone { member_id } => {
                self.target.remove(member_id);
            }
            TargetAssignmentEpoch { epoch } => self.assignment_epoch = *epoch,
            CurrentAssignment { member_id, member_epoch, previous_member_epoch, state, assigned, pending_revocation } => {
                self.owners.retain(|_, o| o != member_id);
                for tp in assigned.iter().chain(pending_revocation) {
                    self.owners.insert(tp.clone(), member_id.clone());
                }
                let m = self.members.entry(member_id.clone()).or_insert_with(|| ConsumerMember::new(member_id, "", None));
                {
                    m.member_epoch = *member_epoch;
                    m.previous_member_epoch = *previous_member_epoch;
                    m.state = *state;
                    m.assigned = assigned.clone();
                    m.pending_revocation = pending_revocation.clone();
                }
                if *state == MemberState::UnrevokedPartitions {
                    let timeout = self.members.get(member_id).map_or(0, |m| m.rebalance_timeout_ms);
                    self.revocation_deadline_ms.insert(member_id.clone(), now_ms.saturating_add(timeout));
                } else {
                    self.revocation_deadline_ms.remove(member_id);
                }
            }
            CurrentAssignmentTombstone { member_id } => {
                self.owners.retain(|_, o| o != member_id);
            }
        }
    }

    /// Hashes the group's state (epochs, members with their epochs, states and assignments,
    /// targets, deadlines) for the simulation's state hash.
    pub fn hash_into(&self, h: &mut crate::kernel::Fnv) {
        h.u64(self.group_epoch as u64);
        h.u64(self.assignment_epoch as u64);
        if self.subscription_metadata_unset {
            h.str("subscription metadata unset");
        }
        for (id, m) in &self.members {
            h.str(id);
            h.u64(m.member_epoch as u64);
            h.str(m.state.name());
            for tp in m.assigned.iter().chain(&m.pending_revocation).chain(self.target_of(id)) {
                h.str(&tp.topic);
                h.u64(u64::from(tp.partition));
            }
            h.u64(self.session_deadline_ms.get(id).copied().unwrap_or(0));
            h.u64(self.revocation_deadline_ms.get(id).copied().unwrap_or(0));
            if m.uses_classic_protocol() {
                h.u64(self.classic_join_deadline_ms.get(id).copied().unwrap_or(0));
                h.u64(self.classic_sync_deadline_ms.get(id).copied().unwrap_or(0));
            }
        }
    }

    /// The group's invariants: a partition is in at most one member's current assignment (the
    /// owners index says who), members at the target epoch own nothing outside their target,
    /// and the state follows from the epochs.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut seen: Vec<&TopicPartition> = Vec::new();
        for m in self.members.values() {
            for tp in m.assigned.iter().chain(&m.pending_revocation) {
                if seen.contains(&tp) {
                    return Err(format!("{}: {tp} in two members' current assignments", self.group_id));
                }
                seen.push(tp);
                if self.owners.get(tp) != Some(&m.member_id) {
                    return Err(format!("{}: owners index has {:?} for {tp}, held by {}", self.group_id, self.owners.get(tp), m.member_id));
                }
            }
            if m.member_epoch > self.assignment_epoch {
                return Err(format!("{}: member {} at epoch {} past the target epoch {}", self.group_id, m.member_id, m.member_epoch, self.assignment_epoch));
            }
        }
        if self.owners.len() != seen.len() {
            return Err(format!("{}: owners index has {} partitions, members hold {}", self.group_id, self.owners.len(), seen.len()));
        }
        if self.assignment_epoch > self.group_epoch {
            return Err(format!("{}: target epoch {} past the group epoch {}", self.group_id, self.assignment_epoch, self.group_epoch));
        }
        Ok(())
    }
}

fn metadata_record(m: &ConsumerMember) -> ConsumerGroupRecord {
    ConsumerGroupRecord::MemberMetadata {
        member_id: m.member_id.clone(),
        instance_id: m.instance_id.clone(),
        client_id: m.client_id.clone(),
        rebalance_timeout_ms: m.rebalance_timeout_ms,
        subscribed_topics: m.subscribed_topics.clone(),
        server_assignor: m.server_assignor.clone(),
        classic: m.classic.clone(),
    }
}

fn current_record(m: &ConsumerMember) -> ConsumerGroupRecord {
    ConsumerGroupRecord::CurrentAssignment {
        member_id: m.member_id.clone(),
        member_epoch: m.member_epoch,
        previous_member_epoch: m.previous_member_epoch,
        state: m.state,
        assigned: m.assigned.clone(),
        pending_revocation: m.pending_revocation.clone(),
    }
}
