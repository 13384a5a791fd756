//! Human-readable group events (one line each), emitted by the coordinator and the consumers.
//!
//! They mirror what Kafka logs at INFO in `GroupMetadataManager` (classic part) and
//! `AbstractCoordinator`/`ConsumerCoordinator`: "Preparing to rebalance group ... (reason)",
//! "Stabilized group ... generation ...", "Member ... has failed, removing it from the group",
//! "Revoke previously assigned partitions ...", "Adding newly assigned partitions ...", etc.

use std::fmt;

use serde::Serialize;

use super::state::GroupState;
use super::protocol::{fmt_partitions, ErrorCode, TopicPartition};

/// One notable thing in a group's life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum GroupEvent {
    /// The coordinator changed the group state.
    StateChanged {
        /// Group.
        group_id: String,
        /// Old state.
        from: GroupState,
        /// New state.
        to: GroupState,
    },
    /// A JoinGroup reached the coordinator.
    JoinGroupReceived {
        /// Group.
        group_id: String,
        /// Member id (empty on the first join).
        member_id: String,
        /// `client.id`.
        client_id: String,
    },
    /// The coordinator answered a first join with MEMBER_ID_REQUIRED (KIP-394).
    MemberIdRequired {
        /// Group.
        group_id: String,
        /// The new member id handed out.
        member_id: String,
    },
    /// A known `group.instance.id` rejoined without a member id: the static member's id was
    /// replaced (KIP-345), its partitions stay with it.
    StaticMemberReplaced {
        /// Group.
        group_id: String,
        /// `group.instance.id`.
        group_instance_id: String,
        /// The member id it had.
        old_member_id: String,
        /// The member id it has now.
        new_member_id: String,
    },
    /// The committed offsets of a group Empty for `offsets.retention.minutes` expired.
    OffsetsExpired {
        /// Group.
        group_id: String,
        /// Their partitions.
        partitions: Vec<TopicPartition>,
    },
    /// An Admin OffsetDelete (`kafka-consumer-groups.sh --delete-offsets`) deleted these
    /// partitions' committed offsets: tombstones were appended to `__consumer_offsets`.
    OffsetsDeleted {
        /// Group.
        group_id: String,
        /// Their partitions.
        partitions: Vec<TopicPartition>,
    },
    /// A member was added to the group.
    MemberAdded {
        /// Group.
        group_id: String,
        /// Member.
        member_id: String,
    },
    /// A member's session expired (no heartbeat within `session.timeout.ms`).
    HeartbeatExpired {
        /// Group.
        group_id: String,
        /// Member.
        member_id: String,
        /// Its session timeout.
        session_timeout_ms: u64,
    },
    /// A member was removed from the group.
    MemberRemoved {
        /// Group.
        group_id: String,
        /// Member.
        member_id: String,
        /// Why.
        reason: String,
    },
    /// A consumer-protocol group's epoch was bumped (KIP-848: a member joined, left or changed
    /// its subscription).
    GroupEpochBumped {
        /// Group.
        group_id: String,
        /// The new group epoch.
        epoch: i32,
    },
    /// A consumer-protocol group's coordinator computed a new target assignment.
    TargetAssignmentComputed {
        /// Group.
        group_id: String,
        /// Its epoch (the group epoch it was computed at).
        epoch: i32,
        /// The server assignor that computed it.
        assignor: String,
    },
    /// Online migration (`group.consumer.migration.policy`): the group became a consumer group
    /// (`to` = `consumer`, when a consumer-protocol member joined the classic group) or a
    /// classic group again (`to` = `classic`, when only classic members were left).
    GroupConverted {
        /// Group.
        group_id: String,
        /// `consumer` or `classic`.
        to: String,
        /// How many members it took along.
        members: usize,
    },
    /// A share consumer's acknowledgement was refused by the share-partition leader (e.g.
    /// INVALID_RECORD_STATE: its acquisition lock had expired and the record went to another).
    AcknowledgementFailed {
        /// Consumer.
        client_id: String,
        /// Partition.
        tp: TopicPartition,
        /// Kafka's error name.
        error: String,
    },
    /// A consumer-protocol member moved to a new epoch or reconciliation state.
    MemberReconciled {
        /// Group.
        group_id: String,
        /// Member.
        member_id: String,
        /// Its member epoch.
        epoch: i32,
        /// `STABLE`, `UNREVOKED_PARTITIONS` or `UNRELEASED_PARTITIONS`.
        state: String,
    },
    /// The group entered PreparingRebalance.
    RebalanceStarted {
        /// Group.
        group_id: String,
        /// The generation being replaced.
        generation_id: i32,
        /// Why.
        reason: String,
    },
    /// The join phase completed: new generation (group is CompletingRebalance, or Empty).
    GenerationStarted {
        /// Group.
        group_id: String,
        /// New generation.
        generation_id: i32,
        /// Selected protocol.
        protocol: Option<String>,
        /// Leader.
        leader: Option<String>,
        /// Member count.
        members: usize,
    },
    /// The leader's SyncGroup arrived: the group is Stable.
    RebalanceCompleted {
        /// Group.
        group_id: String,
        /// Generation.
        generation_id: i32,
    },
    /// A consumer sent JoinGroup.
    JoinGroupSent {
        /// Consumer.
        client_id: String,
        /// Member id used.
        member_id: String,
        /// Owned partitions sent in the subscription (cooperative).
        owned: Vec<TopicPartition>,
    },
    /// A consumer got its JoinGroup response.
    JoinedGeneration {
        /// Consumer.
        client_id: String,
        /// Member id.
        member_id: String,
        /// Generation.
        generation_id: i32,
        /// Whether it is the leader.
        leader: bool,
        /// Protocol.
        protocol: String,
    },
    /// A consumer got its SyncGroup response.
    SyncedGeneration {
        /// Consumer.
        client_id: String,
        /// Generation.
        generation_id: i32,
        /// Assignment.
        assignment: Vec<TopicPartition>,
    },
    /// A consumer's request failed with a Kafka error.
    RequestFailed {
        /// Consumer.
        client_id: String,
        /// API.
        api: String,
        /// Error.
        error: ErrorCode,
    },
    /// A consumer revoked (or lost) partitions.
    Revoked {
        /// Consumer.
        client_id: String,
        /// Partitions.
        partitions: Vec<TopicPartition>,
        /// Lost rather than revoked.
        lost: bool,
    },
    /// A consumer was assigned partitions.
    Assigned {
        /// Consumer.
        client_id: String,
        /// Partitions.
        partitions: Vec<TopicPartition>,
    },
    /// The coordinator accepted a commit.
    Committed {
        /// Group.
        group_id: String,
        /// Member.
        member_id: String,
        /// Partition.
        tp: TopicPartition,
        /// Offset.
        offset: i64,
    },
    /// A consumer reset a partition's position with `auto.offset.reset`.
    OffsetReset {
        /// Consumer.
        client_id: String,
        /// Partition.
        tp: TopicPartition,
        /// New position.
        offset: i64,
        /// Policy used.
        policy: String,
        /// Why (no committed offset / out of range).
        reason: String,
    },
    /// `auto.offset.reset=none` and no usable offset: `NoOffsetForPartitionException` /
    /// `OffsetOutOfRangeException`; the partition is not fetched.
    NoOffsetForPartition {
        /// Consumer.
        client_id: String,
        /// Partition.
        tp: TopicPartition,
    },
    /// `max.poll.interval.ms` expired: the heartbeat thread makes the member leave.
    PollTimeoutExpired {
        /// Consumer.
        client_id: String,
        /// Member id that leaves.
        member_id: String,
        /// Time since the last poll.
        since_last_poll_ms: u64,
    },
    /// A consumer found its coordinator.
    CoordinatorDiscovered {
        /// Consumer.
        client_id: String,
        /// Broker id.
        broker_id: u32,
    },
    /// A consumer marked its coordinator unknown.
    CoordinatorUnknown {
        /// Consumer.
        client_id: String,
        /// Why.
        reason: String,
    },
    /// A coordinator was loaded (from `__consumer_offsets`) or unloaded.
    CoordinatorMoved {
        /// Group.
        group_id: String,
        /// Broker.
        broker_id: u32,
        /// Loaded (true) or unloaded (false).
        loaded: bool,
    },
    /// A consumer lifecycle change (crash, close, stall, resume).
    Lifecycle {
        /// Consumer.
        client_id: String,
        /// What happened.
        what: String,
    },
    /// The coordinator accepted a commit but could not append it to `__consumer_offsets`
    /// (e.g. NOT_ENOUGH_REPLICAS): it is lost on the next coordinator failover.
    CommitNotPersisted {
        /// Group.
        group_id: String,
        /// Partition.
        tp: TopicPartition,
        /// Offset.
        offset: i64,
        /// Kafka error name.
        error: String,
    },
    /// The leader's assignor failed.
    AssignmentFailed {
        /// Consumer.
        client_id: String,
        /// Error text.
        error: String,
    },
}

impl fmt::Display for GroupEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupEvent::StateChanged { group_id, from, to } => {
                write!(f, "group {group_id}: state {from} -> {to}")
            }
            GroupEvent::JoinGroupReceived { group_id, member_id, client_id } => {
                let m = if member_id.is_empty() { "<unknown>" } else { member_id };
                write!(f, "group {group_id}: JoinGroup from {client_id} (member {m})")
            }
            GroupEvent::MemberIdRequired { group_id, member_id } => {
                write!(f, "group {group_id}: MEMBER_ID_REQUIRED, assigned member id {member_id}")
            }
            GroupEvent::GroupEpochBumped { group_id, epoch } => write!(f, "group {group_id}: group epoch {epoch}"),
            GroupEvent::TargetAssignmentComputed { group_id, epoch, assignor } => {
                write!(f, "group {group_id}: target assignment at epoch {epoch} ({assignor} assignor)")
            }
            GroupEvent::GroupConverted { group_id, to, members } => {
                write!(f, "group {group_id}: converted to a {to} group with its {members} member(s) (online migration)")
            }
            GroupEvent::AcknowledgementFailed { client_id, tp, error } => write!(f, "{client_id}: acknowledgement of {tp} refused with {error}"),
            GroupEvent::MemberReconciled { group_id, member_id, epoch, state } => {
                write!(f, "group {group_id}: member {member_id} at epoch {epoch}, {state}")
            }
            GroupEvent::MemberAdded { group_id, member_id } => {
                write!(f, "group {group_id}: member {member_id} added")
            }
            GroupEvent::OffsetsDeleted { group_id, partitions } => {
                write!(f, "group {group_id}: committed offsets deleted (OffsetDelete) for {}", fmt_partitions(partitions))
            }
            GroupEvent::OffsetsExpired { group_id, partitions } => {
                write!(f, "group {group_id}: committed offsets expired (offsets.retention.minutes) for {}", fmt_partitions(partitions))
            }
            GroupEvent::StaticMemberReplaced { group_id, group_instance_id, old_member_id, new_member_id } => write!(
                f,
                "group {group_id}: static member {group_instance_id} rejoined, member {old_member_id} replaced by {new_member_id}"
            ),
            GroupEvent::HeartbeatExpired { group_id, member_id, session_timeout_ms } => write!(
                f,
                "group {group_id}: heartbeat expired for member {member_id} (session.timeout.ms={session_timeout_ms})"
            ),
            GroupEvent::MemberRemoved { group_id, member_id, reason } => {
                write!(f, "group {group_id}: member {member_id} removed ({reason})")
            }
            GroupEvent::RebalanceStarted { group_id, generation_id, reason } => write!(
                f,
                "group {group_id}: preparing to rebalance (old generation {generation_id}): {reason}"
            ),
            GroupEvent::GenerationStarted { group_id, generation_id, protocol, leader, members } => write!(
                f,
                "group {group_id}: generation {generation_id} with {members} member(s), protocol {}, leader {}",
                protocol.as_deref().unwrap_or("-"),
                leader.as_deref().unwrap_or("-")
            ),
            GroupEvent::RebalanceCompleted { group_id, generation_id } => {
                write!(f, "group {group_id}: rebalance completed, Stable at generation {generation_id}")
            }
            GroupEvent::JoinGroupSent { client_id, member_id, owned } => {
                let m = if member_id.is_empty() { "<unknown>" } else { member_id };
                write!(f, "{client_id}: JoinGroup sent as member {m}, owned {}", fmt_partitions(owned))
            }
            GroupEvent::JoinedGeneration { client_id, member_id, generation_id, leader, protocol } => write!(
                f,
                "{client_id}: joined generation {generation_id} as {member_id}{} with protocol {protocol}",
                if *leader { " (leader)" } else { "" }
            ),
            GroupEvent::SyncedGeneration { client_id, generation_id, assignment } => write!(
                f,
                "{client_id}: SyncGroup done for generation {generation_id}, assignment {}",
                fmt_partitions(assignment)
            ),
            GroupEvent::RequestFailed { client_id, api, error } => {
                write!(f, "{client_id}: {api} failed with {error}")
            }
            GroupEvent::Revoked { client_id, partitions, lost } => write!(
                f,
                "{client_id}: {} {}",
                if *lost { "lost" } else { "revoked" },
                fmt_partitions(partitions)
            ),
            GroupEvent::Assigned { client_id, partitions } => {
                write!(f, "{client_id}: assigned {}", fmt_partitions(partitions))
            }
            GroupEvent::Committed { group_id, member_id, tp, offset } => {
                write!(f, "group {group_id}: {member_id} committed {tp} at offset {offset}")
            }
            GroupEvent::OffsetReset { client_id, tp, offset, policy, reason } => write!(
                f,
                "{client_id}: reset {tp} to offset {offset} (auto.offset.reset={policy}, {reason})"
            ),
            GroupEvent::NoOffsetForPartition { client_id, tp } => write!(
                f,
                "{client_id}: no usable offset for {tp} and auto.offset.reset=none; partition not fetched"
            ),
            GroupEvent::PollTimeoutExpired { client_id, member_id, since_last_poll_ms } => write!(
                f,
                "{client_id}: max.poll.interval.ms expired ({since_last_poll_ms} ms since last poll); member {member_id} leaves the group"
            ),
            GroupEvent::CoordinatorDiscovered { client_id, broker_id } => {
                write!(f, "{client_id}: discovered group coordinator on broker {broker_id}")
            }
            GroupEvent::CoordinatorUnknown { client_id, reason } => {
                write!(f, "{client_id}: group coordinator unknown ({reason})")
            }
            GroupEvent::CoordinatorMoved { group_id, broker_id, loaded } => write!(
                f,
                "group {group_id}: coordinator {} on broker {broker_id}",
                if *loaded { "loaded" } else { "unloaded" }
            ),
            GroupEvent::Lifecycle { client_id, what } => write!(f, "{client_id}: {what}"),
            GroupEvent::CommitNotPersisted { group_id, tp, offset, error } => write!(
                f,
                "group {group_id}: commit of {tp} at offset {offset} not appended to __consumer_offsets ({error})"
            ),
            GroupEvent::AssignmentFailed { client_id, error } => {
                write!(f, "{client_id}: assignor failed: {error}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::GroupState;

    /// Unit enums serialize as Kafka names them: error codes as `REBALANCE_IN_PROGRESS`, group
    /// states as `PreparingRebalance`.
    #[test]
    fn enum_names_are_kafkas() {
        use ErrorCode as E;
        let all = [
            E::None,
            E::RebalanceInProgress,
            E::IllegalGeneration,
            E::UnknownMemberId,
            E::MemberIdRequired,
            E::NotCoordinator,
            E::CoordinatorNotAvailable,
            E::InconsistentGroupProtocol,
            E::InvalidSessionTimeout,
            E::GroupIdNotFound,
        ];
        for e in all {
            assert_eq!(serde_json::to_value(e).unwrap(), e.name(), "{e:?}");
        }
        for s in [GroupState::Empty, GroupState::PreparingRebalance, GroupState::CompletingRebalance, GroupState::Stable, GroupState::Dead] {
            assert_eq!(serde_json::to_value(s).unwrap(), s.name(), "{s:?}");
        }
    }

    /// Group events are tagged like every other event: `{"type": "<snake_case>", fields...}`.
    #[test]
    fn tagged_like_every_event() {
        let e = GroupEvent::GenerationStarted { group_id: "g".into(), generation_id: 3, protocol: Some("range".into()), leader: None, members: 2 };
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"type":"generation_started","group_id":"g","generation_id":3,"protocol":"range","leader":null,"members":2}"#
        );
    }
}
