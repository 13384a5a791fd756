//! Wire-level values of the classic group protocol: requests, responses, the envelopes that carry
//! them with a delivery time, the `__consumer_offsets` records the coordinator writes, and the
//! outputs every state machine returns.
//!
//! Names follow Kafka's request/response schemas (`JoinGroupRequest.json`, `SyncGroupRequest.json`,
//! `HeartbeatRequest.json`, `LeaveGroupRequest.json`, `OffsetCommitRequest.json`,
//! `OffsetFetchRequest.json`, `FindCoordinatorRequest.json`) and `ConsumerProtocol`'s
//! subscription/assignment (`ConsumerProtocolSubscription.json`, `ConsumerProtocolAssignment.json`).
//! Payloads are structured values instead of bytes: this is a simulator, not a codec.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};


/// A topic's name as a [`TopicPartition`] holds it: shared, so cloning a partition (every
/// fetched record, commit and assignment does) counts a reference instead of copying the name,
/// and two names cloned from one are equal at a pointer comparison. Ordered, hashed and written
/// exactly as the `str` it holds.
#[derive(Debug, Clone, Deserialize)]
#[serde(from = "String")]
pub struct TopicName(Arc<str>);

impl Serialize for TopicName {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl TopicName {
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for TopicName {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for TopicName {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl PartialEq for TopicName {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl Eq for TopicName {}

impl PartialOrd for TopicName {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for TopicName {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        if Arc::ptr_eq(&self.0, &other.0) {
            return std::cmp::Ordering::Equal;
        }
        self.0.cmp(&other.0)
    }
}

impl std::hash::Hash for TopicName {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl PartialEq<&str> for TopicName {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for TopicName {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<TopicName> for &str {
    fn eq(&self, other: &TopicName) -> bool {
        *self == &*other.0
    }
}

impl PartialEq<TopicName> for String {
    fn eq(&self, other: &TopicName) -> bool {
        **self == *other.0
    }
}

impl fmt::Display for TopicName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Names kept by [`TopicName::from`] so that the names of one topic share one allocation: a
/// simulation has a handful of topics, and comparing two partitions of one topic (every map
/// keyed by partition does, at every lookup) is then a pointer comparison instead of a
/// `memcmp`. A cache only: equality, order and hashing are the string's either way, so what
/// it holds changes no result. Bounded; past the bound names are simply not shared.
const INTERNED_NAMES_MAX: usize = 64;

thread_local! {
    static INTERNED_NAMES: std::cell::RefCell<Vec<Arc<str>>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl From<&str> for TopicName {
    fn from(s: &str) -> Self {
        INTERNED_NAMES.with_borrow_mut(|names| {
            if let Some(n) = names.iter().find(|n| ***n == *s) {
                return Self(Arc::clone(n));
            }
            let n: Arc<str> = Arc::from(s);
            if names.len() < INTERNED_NAMES_MAX {
                names.push(Arc::clone(&n));
            }
            Self(n)
        })
    }
}

impl From<String> for TopicName {
    fn from(s: String) -> Self {
        Self::from(s.as_str())
    }
}

impl From<TopicName> for String {
    fn from(s: TopicName) -> Self {
        s.0.to_string()
    }
}

/// A topic partition, printed like Kafka's `TopicPartition.toString()` (`topic-0`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TopicPartition {
    /// Topic name.
    pub topic: TopicName,
    /// Partition index.
    pub partition: u32,
}

impl TopicPartition {
    /// Builds a topic partition.
    pub fn new(topic: impl Into<TopicName>, partition: u32) -> Self {
        Self {
            topic: topic.into(),
            partition,
        }
    }
}

impl fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

/// Formats a list of partitions as `[t-0, t-1]`.
pub fn fmt_partitions(partitions: &[TopicPartition]) -> String {
    let parts: Vec<String> = partitions.iter().map(ToString::to_string).collect();
    format!("[{}]", parts.join(", "))
}

/// Kafka protocol error codes used by the classic group protocol (`Errors.java` names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// `NONE`: success.
    None,
    /// `REBALANCE_IN_PROGRESS` (27).
    RebalanceInProgress,
    /// `ILLEGAL_GENERATION` (22).
    IllegalGeneration,
    /// `UNKNOWN_MEMBER_ID` (25).
    UnknownMemberId,
    /// `MEMBER_ID_REQUIRED` (79, KIP-394).
    MemberIdRequired,
    /// `NOT_COORDINATOR` (16).
    NotCoordinator,
    /// `NOT_LEADER_OR_FOLLOWER` (6): the broker does not lead the partition (a ShareFetch to an old leader).
    NotLeaderOrFollower,
    /// `COORDINATOR_NOT_AVAILABLE` (15).
    CoordinatorNotAvailable,
    /// `INCONSISTENT_GROUP_PROTOCOL` (23).
    InconsistentGroupProtocol,
    /// `INVALID_SESSION_TIMEOUT` (26).
    InvalidSessionTimeout,
    /// `GROUP_ID_NOT_FOUND` (69).
    GroupIdNotFound,
    /// `FENCED_INSTANCE_ID` (82): another member now holds this `group.instance.id` (KIP-345).
    FencedInstanceId,
    /// `COORDINATOR_LOAD_IN_PROGRESS` (14): the coordinator is still loading the group from
    /// `__consumer_offsets`; retriable.
    CoordinatorLoadInProgress,
    /// `GROUP_MAX_SIZE_REACHED` (81): the group already has `group.max.size` members (fatal for
    /// the joining consumer).
    GroupMaxSizeReached,
    /// `NON_EMPTY_GROUP` (68): an OffsetDelete for a classic group with members whose protocol
    /// type is not `consumer` (`ClassicGroup.validateOffsetDelete`).
    NonEmptyGroup,
    /// `GROUP_SUBSCRIBED_TO_TOPIC` (86): an OffsetDelete for a topic the group subscribes to
    /// (`OffsetMetadataManager.deleteOffsets`).
    GroupSubscribedToTopic,
    /// `UNKNOWN_TOPIC_OR_PARTITION` (3): an OffsetCommit or OffsetDelete for a partition the
    /// metadata does not know (`KafkaApis.handleOffsetDeleteRequest`).
    UnknownTopicOrPartition,
    /// `INVALID_REQUEST` (42): a malformed request (e.g. a ConsumerGroupHeartbeat that breaks
    /// `throwIfConsumerGroupHeartbeatRequestIsInvalid`).
    InvalidRequest,
    /// `FENCED_MEMBER_EPOCH` (110, KIP-848): the member's epoch is not the coordinator's; it must
    /// give up its partitions and rejoin with epoch 0.
    FencedMemberEpoch,
    /// `UNRELEASED_INSTANCE_ID` (111, KIP-848): a static member joins while the member holding its
    /// `group.instance.id` has not left with epoch -2.
    UnreleasedInstanceId,
    /// `UNSUPPORTED_ASSIGNOR` (112, KIP-848): a `group.remote.assignor` the broker does not have.
    UnsupportedAssignor,
    /// `STALE_MEMBER_EPOCH` (113, KIP-848): an OffsetCommit with an epoch other than the member's.
    StaleMemberEpoch,
}

impl ErrorCode {
    /// Kafka's numeric error code.
    pub fn code(self) -> i16 {
        match self {
            ErrorCode::None => 0,
            ErrorCode::CoordinatorNotAvailable => 15,
            ErrorCode::NotCoordinator => 16,
            ErrorCode::NotLeaderOrFollower => 6,
            ErrorCode::IllegalGeneration => 22,
            ErrorCode::InconsistentGroupProtocol => 23,
            ErrorCode::UnknownMemberId => 25,
            ErrorCode::InvalidSessionTimeout => 26,
            ErrorCode::RebalanceInProgress => 27,
            ErrorCode::GroupIdNotFound => 69,
            ErrorCode::MemberIdRequired => 79,
            ErrorCode::FencedInstanceId => 82,
            ErrorCode::GroupMaxSizeReached => 81,
            ErrorCode::CoordinatorLoadInProgress => 14,
            ErrorCode::NonEmptyGroup => 68,
            ErrorCode::GroupSubscribedToTopic => 86,
            ErrorCode::UnknownTopicOrPartition => 3,
            ErrorCode::InvalidRequest => 42,
            ErrorCode::FencedMemberEpoch => 110,
            ErrorCode::UnreleasedInstanceId => 111,
            ErrorCode::UnsupportedAssignor => 112,
            ErrorCode::StaleMemberEpoch => 113,
        }
    }

    /// Kafka's name for the error (`Errors.name()`).
    pub fn name(self) -> &'static str {
        match self {
            ErrorCode::None => "NONE",
            ErrorCode::RebalanceInProgress => "REBALANCE_IN_PROGRESS",
            ErrorCode::IllegalGeneration => "ILLEGAL_GENERATION",
            ErrorCode::UnknownMemberId => "UNKNOWN_MEMBER_ID",
            ErrorCode::MemberIdRequired => "MEMBER_ID_REQUIRED",
            ErrorCode::NotCoordinator => "NOT_COORDINATOR",
            ErrorCode::NotLeaderOrFollower => "NOT_LEADER_OR_FOLLOWER",
            ErrorCode::CoordinatorNotAvailable => "COORDINATOR_NOT_AVAILABLE",
            ErrorCode::InconsistentGroupProtocol => "INCONSISTENT_GROUP_PROTOCOL",
            ErrorCode::InvalidSessionTimeout => "INVALID_SESSION_TIMEOUT",
            ErrorCode::GroupIdNotFound => "GROUP_ID_NOT_FOUND",
            ErrorCode::FencedInstanceId => "FENCED_INSTANCE_ID",
            ErrorCode::GroupMaxSizeReached => "GROUP_MAX_SIZE_REACHED",
            ErrorCode::CoordinatorLoadInProgress => "COORDINATOR_LOAD_IN_PROGRESS",
            ErrorCode::NonEmptyGroup => "NON_EMPTY_GROUP",
            ErrorCode::GroupSubscribedToTopic => "GROUP_SUBSCRIBED_TO_TOPIC",
            ErrorCode::UnknownTopicOrPartition => "UNKNOWN_TOPIC_OR_PARTITION",
            ErrorCode::InvalidRequest => "INVALID_REQUEST",
            ErrorCode::FencedMemberEpoch => "FENCED_MEMBER_EPOCH",
            ErrorCode::UnreleasedInstanceId => "UNRELEASED_INSTANCE_ID",
            ErrorCode::UnsupportedAssignor => "UNSUPPORTED_ASSIGNOR",
            ErrorCode::StaleMemberEpoch => "STALE_MEMBER_EPOCH",
        }
    }

    /// Kafka's default message for the error (`Errors.message()`), what a client shows when the
    /// response carries only the code.
    pub fn message(self) -> &'static str {
        match self {
            ErrorCode::None => "",
            ErrorCode::RebalanceInProgress => "The group is rebalancing, so a rejoin is needed.",
            ErrorCode::IllegalGeneration => "Specified group generation id is not valid.",
            ErrorCode::UnknownMemberId => "The coordinator is not aware of this member.",
            ErrorCode::MemberIdRequired => "The group member needs to have a valid member id before actually entering a consumer group.",
            ErrorCode::NotCoordinator => "This is not the correct coordinator.",
            ErrorCode::NotLeaderOrFollower => "For requests intended only for the leader, this error indicates that the broker is not the current leader. For requests intended for any replica, this error indicates that the broker is not a replica of the topic partition.",
            ErrorCode::CoordinatorNotAvailable => "The coordinator is not available.",
            ErrorCode::InconsistentGroupProtocol => "The group member's supported protocols are incompatible with those of existing members or first group member tried to join with empty protocol type or empty protocol list.",
            ErrorCode::InvalidSessionTimeout => "The session timeout is not within the range allowed by the broker (as configured by group.min.session.timeout.ms and group.max.session.timeout.ms).",
            ErrorCode::GroupIdNotFound => "The group id does not exist.",
            ErrorCode::FencedInstanceId => "The broker rejected this static consumer since another consumer with the same group.instance.id has registered with a different member.id.",
            ErrorCode::GroupMaxSizeReached => "The group has reached its maximum size.",
            ErrorCode::CoordinatorLoadInProgress => "The coordinator is loading and hence can't process requests.",
            ErrorCode::NonEmptyGroup => "The group is not empty.",
            ErrorCode::GroupSubscribedToTopic => "Deleting offsets of a topic is forbidden while the consumer group is actively subscribed to it.",
            ErrorCode::UnknownTopicOrPartition => "This server does not host this topic-partition.",
            ErrorCode::InvalidRequest => "This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker. See the broker logs for more details.",
            ErrorCode::FencedMemberEpoch => "The member epoch is fenced by the group coordinator. The member must abandon all its partitions and rejoin.",
            ErrorCode::UnreleasedInstanceId => "The instance ID is still used by another member in the consumer group. That member must leave first.",
            ErrorCode::UnsupportedAssignor => "The assignor or its version range is not supported by the consumer group.",
            ErrorCode::StaleMemberEpoch => "The member epoch is stale. The member must retry after receiving its updated member epoch via the ConsumerGroupHeartbeat API.",
        }
    }

    /// The exception class a Java client raises for the error (`Errors.exception()`), fully
    /// qualified as `Throwable.toString()` prints it.
    pub fn exception_class(self) -> &'static str {
        match self {
            ErrorCode::None => "",
            ErrorCode::RebalanceInProgress => "org.apache.kafka.common.errors.RebalanceInProgressException",
            ErrorCode::IllegalGeneration => "org.apache.kafka.common.errors.IllegalGenerationException",
            ErrorCode::UnknownMemberId => "org.apache.kafka.common.errors.UnknownMemberIdException",
            ErrorCode::MemberIdRequired => "org.apache.kafka.common.errors.MemberIdRequiredException",
            ErrorCode::NotCoordinator => "org.apache.kafka.common.errors.NotCoordinatorException",
            ErrorCode::NotLeaderOrFollower => "org.apache.kafka.common.errors.NotLeaderOrFollowerException",
            ErrorCode::CoordinatorNotAvailable => "org.apache.kafka.common.errors.CoordinatorNotAvailableException",
            ErrorCode::InconsistentGroupProtocol => "org.apache.kafka.common.errors.InconsistentGroupProtocolException",
            ErrorCode::InvalidSessionTimeout => "org.apache.kafka.common.errors.InvalidSessionTimeoutException",
            ErrorCode::GroupIdNotFound => "org.apache.kafka.common.errors.GroupIdNotFoundException",
            ErrorCode::FencedInstanceId => "org.apache.kafka.common.errors.FencedInstanceIdException",
            ErrorCode::GroupMaxSizeReached => "org.apache.kafka.common.errors.GroupMaxSizeReachedException",
            ErrorCode::CoordinatorLoadInProgress => "org.apache.kafka.common.errors.CoordinatorLoadInProgressException",
            ErrorCode::NonEmptyGroup => "org.apache.kafka.common.errors.GroupNotEmptyException",
            ErrorCode::GroupSubscribedToTopic => "org.apache.kafka.common.errors.GroupSubscribedToTopicException",
            ErrorCode::UnknownTopicOrPartition => "org.apache.kafka.common.errors.UnknownTopicOrPartitionException",
            ErrorCode::InvalidRequest => "org.apache.kafka.common.errors.InvalidRequestException",
            ErrorCode::FencedMemberEpoch => "org.apache.kafka.common.errors.FencedMemberEpochException",
            ErrorCode::UnreleasedInstanceId => "org.apache.kafka.common.errors.UnreleasedInstanceIdException",
            ErrorCode::UnsupportedAssignor => "org.apache.kafka.common.errors.UnsupportedAssignorException",
            ErrorCode::StaleMemberEpoch => "org.apache.kafka.common.errors.StaleMemberEpochException",
        }
    }

    /// Whether the error means "find the coordinator again" (`NOT_COORDINATOR`,
    /// `COORDINATOR_NOT_AVAILABLE`), as `AbstractCoordinator` handles them.
    pub fn is_coordinator_error(self) -> bool {
        matches!(
            self,
            ErrorCode::NotCoordinator | ErrorCode::CoordinatorNotAvailable
        )
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `ConsumerProtocolSubscription`: what a member sends as its protocol metadata.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Subscription {
    /// Subscribed topics.
    pub topics: Vec<String>,
    /// Partitions the member owns right now (v1+, used by the cooperative protocol).
    pub owned_partitions: Vec<TopicPartition>,
    /// The member's generation when it sent the subscription (v2+), -1 if none.
    pub generation_id: i32,
}

/// A JoinGroup protocol entry: an assignor name and the member's metadata for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinProtocol {
    /// Assignor name (`range`, `roundrobin`, `sticky`, `cooperative-sticky`).
    pub name: String,
    /// Subscription metadata.
    pub metadata: Subscription,
}

/// A member entry of a JoinGroup response (only the leader receives them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinResponseMember {
    /// Member id.
    pub member_id: String,
    /// Its subscription for the selected protocol.
    pub metadata: Subscription,
}

/// A SyncGroup assignment entry (sent by the leader).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncAssignment {
    /// Member id.
    pub member_id: String,
    /// Partitions given to that member (`ConsumerProtocolAssignment`).
    pub partitions: Vec<TopicPartition>,
}

/// One partition of an OffsetCommit request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OffsetCommitEntry {
    /// The partition.
    pub tp: TopicPartition,
    /// The committed offset: the next offset to read (last processed + 1).
    pub offset: i64,
    /// Free-form commit metadata.
    pub metadata: String,
}

/// A `ConsumerGroupHeartbeat` request (API key 68). `None` fields mean "unchanged".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeartbeatRequest {
    /// `MemberId` (client-generated UUID).
    pub member_id: String,
    /// `MemberEpoch`: 0 to join, -1 to leave, -2 for a static member leaving for a while.
    pub member_epoch: i32,
    /// `InstanceId` (`group.instance.id`).
    pub instance_id: Option<String>,
    /// The client's `client.id` (from the request header).
    pub client_id: String,
    /// `RebalanceTimeoutMs` (-1: unchanged).
    pub rebalance_timeout_ms: i64,
    /// `SubscribedTopicNames`.
    pub subscribed_topics: Option<Vec<String>>,
    /// `ServerAssignor`.
    pub server_assignor: Option<String>,
    /// `TopicPartitions`: what the member owns now.
    pub owned: Option<Vec<TopicPartition>>,
}

/// A `ShareGroupHeartbeat` request (API key 76, KIP-932). `None` fields mean "unchanged".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareGroupHeartbeatRequest {
    /// `MemberId` (client-generated UUID).
    pub member_id: String,
    /// `MemberEpoch`: 0 to join, -1 to leave.
    pub member_epoch: i32,
    /// `RackId`.
    pub rack_id: Option<String>,
    /// `SubscribedTopicNames`.
    pub subscribed_topics: Option<Vec<String>>,
    /// The client's `client.id` (from the request header).
    pub client_id: String,
}

/// A `ShareGroupHeartbeat` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareGroupHeartbeatResponse {
    /// `ErrorCode`.
    pub error: ErrorCode,
    /// `MemberId`.
    pub member_id: String,
    /// `MemberEpoch`.
    pub member_epoch: i32,
    /// `HeartbeatIntervalMs`.
    pub heartbeat_interval_ms: u64,
    /// `Assignment.TopicPartitions`, when it changed.
    pub assignment: Option<Vec<TopicPartition>>,
}

impl ShareGroupHeartbeatResponse {
    /// A response carrying only an error.
    pub fn error(member_id: &str, error: ErrorCode) -> ShareGroupHeartbeatResponse {
        ShareGroupHeartbeatResponse { error, member_id: member_id.to_string(), member_epoch: 0, heartbeat_interval_ms: 0, assignment: None }
    }
}

/// Acknowledgements of a range of delivered records (`AcknowledgementBatches`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareAcknowledgement {
    /// The partition.
    pub tp: TopicPartition,
    /// First offset.
    pub first_offset: u64,
    /// Last offset (inclusive).
    pub last_offset: u64,
    /// `ACCEPT`, `RELEASE`, `REJECT` (or `RENEW`).
    pub kind: crate::group::share::partition::AcknowledgeType,
}

/// A record a ShareFetch acquired for the consumer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcquiredRecord {
    /// The partition.
    pub tp: TopicPartition,
    /// Its offset.
    pub offset: i64,
    /// Its identity (delivery accounting).
    pub record_id: RecordId,
    /// Its key, if any.
    pub key: Option<String>,
    /// `ConsumerRecord.deliveryCount()`: 1 on the first delivery.
    pub delivery_count: u16,
}

/// A `ConsumerGroupHeartbeat` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeartbeatResponse {
    /// `ErrorCode`.
    pub error: ErrorCode,
    /// `MemberId`.
    pub member_id: String,
    /// `MemberEpoch`.
    pub member_epoch: i32,
    /// `HeartbeatIntervalMs`.
    pub heartbeat_interval_ms: u64,
    /// `Assignment`: the member's partitions, when they changed or the request asked in full.
    pub assignment: Option<Vec<TopicPartition>>,
}

impl HeartbeatResponse {
    /// A response carrying only an error.
    pub fn error(member_id: &str, error: ErrorCode) -> HeartbeatResponse {
        HeartbeatResponse { error, member_id: member_id.to_string(), member_epoch: 0, heartbeat_interval_ms: 0, assignment: None }
    }
}

/// The group APIs a consumer uses (Kafka's `ApiKeys`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Api {
    /// FindCoordinator (key type GROUP).
    FindCoordinator,
    /// JoinGroup.
    JoinGroup,
    /// SyncGroup.
    SyncGroup,
    /// Heartbeat.
    Heartbeat,
    /// LeaveGroup.
    LeaveGroup,
    /// OffsetCommit.
    OffsetCommit,
    /// OffsetFetch.
    OffsetFetch,
    /// ConsumerGroupHeartbeat (KIP-848).
    ConsumerGroupHeartbeat,
    /// ShareGroupHeartbeat (KIP-932).
    ShareGroupHeartbeat,
    /// ShareFetch (KIP-932): acquire records, acknowledging earlier ones.
    ShareFetch,
    /// ShareAcknowledge (KIP-932).
    ShareAcknowledge,
}

impl Api {
    /// Kafka's name of the API.
    pub fn name(self) -> &'static str {
        match self {
            Api::FindCoordinator => "FindCoordinator",
            Api::JoinGroup => "JoinGroup",
            Api::SyncGroup => "SyncGroup",
            Api::Heartbeat => "Heartbeat",
            Api::LeaveGroup => "LeaveGroup",
            Api::OffsetCommit => "OffsetCommit",
            Api::OffsetFetch => "OffsetFetch",
            Api::ConsumerGroupHeartbeat => "ConsumerGroupHeartbeat",
            Api::ShareGroupHeartbeat => "ShareGroupHeartbeat",
            Api::ShareFetch => "ShareFetch",
            Api::ShareAcknowledge => "ShareAcknowledge",
        }
    }
}

/// Requests a consumer sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    /// FindCoordinator (key type GROUP).
    FindCoordinator {
        /// The group.
        group_id: String,
    },
    /// JoinGroup.
    JoinGroup {
        /// The group.
        group_id: String,
        /// Member id, empty on the first join.
        member_id: String,
        /// The consumer's `client.id`.
        client_id: String,
        /// `group.instance.id` of a static member (KIP-345), `None` for a dynamic one.
        #[serde(default)]
        group_instance_id: Option<String>,
        /// Protocol type, `consumer` for consumers.
        protocol_type: String,
        /// Supported assignors in preference order.
        protocols: Vec<JoinProtocol>,
        /// `session.timeout.ms`.
        session_timeout_ms: u64,
        /// Rebalance timeout: the consumer sends `max.poll.interval.ms`.
        rebalance_timeout_ms: u64,
    },
    /// SyncGroup.
    SyncGroup {
        /// The group.
        group_id: String,
        /// Generation from the JoinGroup response.
        generation_id: i32,
        /// Member id.
        member_id: String,
        /// `group.instance.id` of a static member (KIP-345), `None` for a dynamic one.
        #[serde(default)]
        group_instance_id: Option<String>,
        /// Protocol name from the JoinGroup response.
        protocol_name: String,
        /// The leader's assignments (empty for followers).
        assignments: Vec<SyncAssignment>,
    },
    /// Heartbeat.
    Heartbeat {
        /// The group.
        group_id: String,
        /// Member's generation.
        generation_id: i32,
        /// Member id.
        member_id: String,
        /// `group.instance.id` of a static member (KIP-345), `None` for a dynamic one.
        #[serde(default)]
        group_instance_id: Option<String>,
    },
    /// LeaveGroup.
    LeaveGroup {
        /// The group.
        group_id: String,
        /// Member id.
        member_id: String,
        /// Why the member leaves (KIP-800 reason).
        reason: String,
    },
    /// OffsetCommit.
    OffsetCommit {
        /// The group.
        group_id: String,
        /// Member's generation (-1 for a simple consumer).
        generation_id: i32,
        /// Member id (empty for a simple consumer).
        member_id: String,
        /// `group.instance.id` of a static member (KIP-345), `None` for a dynamic one.
        #[serde(default)]
        group_instance_id: Option<String>,
        /// Offsets to commit.
        offsets: Vec<OffsetCommitEntry>,
    },
    /// OffsetFetch.
    OffsetFetch {
        /// The group.
        group_id: String,
        /// Partitions asked for.
        partitions: Vec<TopicPartition>,
    },
    /// ConsumerGroupHeartbeat (KIP-848): the consumer protocol's one membership request.
    ConsumerGroupHeartbeat {
        /// The group.
        group_id: String,
        /// The request's fields.
        heartbeat: HeartbeatRequest,
    },
    /// ShareGroupHeartbeat (KIP-932): a share group's membership request.
    ShareGroupHeartbeat {
        /// The group.
        group_id: String,
        /// The request's fields.
        heartbeat: ShareGroupHeartbeatRequest,
    },
    /// ShareFetch (KIP-932), to a partition leader: acknowledge what was processed, acquire more.
    ShareFetch {
        /// The group.
        group_id: String,
        /// The member.
        member_id: String,
        /// Partitions (led by this broker) to acquire records from.
        partitions: Vec<TopicPartition>,
        /// Acknowledgements piggybacked on the fetch.
        acknowledgements: Vec<ShareAcknowledgement>,
        /// `MaxRecords` (the consumer's `max.poll.records`).
        max_records: u32,
    },
    /// ShareAcknowledge (KIP-932): acknowledgements alone (on close).
    ShareAcknowledge {
        /// The group.
        group_id: String,
        /// The member.
        member_id: String,
        /// The acknowledgements.
        acknowledgements: Vec<ShareAcknowledgement>,
    },
}

impl Request {
    /// The group the request is about.
    pub fn group_id(&self) -> &str {
        match self {
            Request::FindCoordinator { group_id }
            | Request::JoinGroup { group_id, .. }
            | Request::SyncGroup { group_id, .. }
            | Request::Heartbeat { group_id, .. }
            | Request::LeaveGroup { group_id, .. }
            | Request::OffsetCommit { group_id, .. }
            | Request::OffsetFetch { group_id, .. }
            | Request::ConsumerGroupHeartbeat { group_id, .. }
            | Request::ShareGroupHeartbeat { group_id, .. }
            | Request::ShareFetch { group_id, .. }
            | Request::ShareAcknowledge { group_id, .. } => group_id,
        }
    }

    /// The API of the request (`ApiKeys`).
    pub fn api(&self) -> Api {
        match self {
            Request::FindCoordinator { .. } => Api::FindCoordinator,
            Request::JoinGroup { .. } => Api::JoinGroup,
            Request::SyncGroup { .. } => Api::SyncGroup,
            Request::Heartbeat { .. } => Api::Heartbeat,
            Request::LeaveGroup { .. } => Api::LeaveGroup,
            Request::OffsetCommit { .. } => Api::OffsetCommit,
            Request::OffsetFetch { .. } => Api::OffsetFetch,
            Request::ConsumerGroupHeartbeat { .. } => Api::ConsumerGroupHeartbeat,
            Request::ShareGroupHeartbeat { .. } => Api::ShareGroupHeartbeat,
            Request::ShareFetch { .. } => Api::ShareFetch,
            Request::ShareAcknowledge { .. } => Api::ShareAcknowledge,
        }
    }

    /// The response carrying only `error`, for requests answered by a broker that cannot serve them.
    pub fn error_response(&self, error: ErrorCode) -> Response {
        match self {
            Request::FindCoordinator { .. } => Response::FindCoordinator {
                error,
                coordinator_id: None,
            },
            Request::JoinGroup { member_id, .. } => Response::JoinGroup {
                error,
                generation_id: -1,
                protocol_name: None,
                leader: String::new(),
                member_id: member_id.clone(),
                members: Vec::new(),
            },
            Request::SyncGroup { .. } => Response::SyncGroup {
                error,
                partitions: Vec::new(),
            },
            Request::Heartbeat { .. } => Response::Heartbeat { error },
            Request::LeaveGroup { .. } => Response::LeaveGroup { error },
            Request::OffsetCommit { offsets, .. } => Response::OffsetCommit {
                results: offsets.iter().map(|o| (o.tp.clone(), error)).collect(),
            },
            Request::OffsetFetch { .. } => Response::OffsetFetch {
                error,
                offsets: Vec::new(),
            },
            Request::ConsumerGroupHeartbeat { heartbeat, .. } => Response::ConsumerGroupHeartbeat(HeartbeatResponse::error(&heartbeat.member_id, error)),
            Request::ShareGroupHeartbeat { heartbeat, .. } => Response::ShareGroupHeartbeat(ShareGroupHeartbeatResponse::error(&heartbeat.member_id, error)),
            Request::ShareFetch { partitions, .. } => Response::ShareFetch { error, records: Vec::new(), partition_errors: partitions.iter().map(|tp| (tp.clone(), error)).collect(), acknowledge_errors: Vec::new() },
            Request::ShareAcknowledge { .. } => Response::ShareAcknowledge { error, acknowledge_errors: Vec::new() },
        }
    }
}

/// Responses a consumer receives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Response {
    /// FindCoordinator response: the broker id of the coordinator.
    FindCoordinator {
        /// Error.
        error: ErrorCode,
        /// Coordinator broker id when `error` is NONE.
        coordinator_id: Option<u32>,
    },
    /// JoinGroup response.
    JoinGroup {
        /// Error.
        error: ErrorCode,
        /// New generation.
        generation_id: i32,
        /// Selected protocol.
        protocol_name: Option<String>,
        /// Leader member id.
        leader: String,
        /// The receiver's member id (also set with MEMBER_ID_REQUIRED).
        member_id: String,
        /// All members with metadata, for the leader only.
        members: Vec<JoinResponseMember>,
    },
    /// SyncGroup response.
    SyncGroup {
        /// Error.
        error: ErrorCode,
        /// The receiver's assignment.
        partitions: Vec<TopicPartition>,
    },
    /// Heartbeat response.
    Heartbeat {
        /// Error.
        error: ErrorCode,
    },
    /// LeaveGroup response.
    LeaveGroup {
        /// Error.
        error: ErrorCode,
    },
    /// OffsetCommit response: one error per partition.
    OffsetCommit {
        /// Per-partition result.
        results: Vec<(TopicPartition, ErrorCode)>,
    },
    /// OffsetFetch response: committed offset per partition, `None` when nothing is committed
    /// (Kafka answers offset -1).
    OffsetFetch {
        /// Group-level error.
        error: ErrorCode,
        /// Committed offsets.
        offsets: Vec<(TopicPartition, Option<i64>)>,
    },
    /// ConsumerGroupHeartbeat response (KIP-848).
    ConsumerGroupHeartbeat(HeartbeatResponse),
    /// ShareGroupHeartbeat response (KIP-932).
    ShareGroupHeartbeat(ShareGroupHeartbeatResponse),
    /// ShareFetch response: the records acquired, per-partition errors, and the errors of
    /// acknowledgements that were refused (by Kafka's name).
    ShareFetch {
        /// Top-level error.
        error: ErrorCode,
        /// Records acquired for the member, by partition then offset.
        records: Vec<AcquiredRecord>,
        /// Partitions that could not be read (e.g. NOT_LEADER_OR_FOLLOWER).
        partition_errors: Vec<(TopicPartition, ErrorCode)>,
        /// Refused acknowledgements (e.g. INVALID_RECORD_STATE: the lock had expired).
        acknowledge_errors: Vec<(TopicPartition, String)>,
    },
    /// ShareAcknowledge response.
    ShareAcknowledge {
        /// Top-level error.
        error: ErrorCode,
        /// Refused acknowledgements, by Kafka's error name.
        acknowledge_errors: Vec<(TopicPartition, String)>,
    },
}

impl Response {
    /// The API of the request it answers.
    pub fn api(&self) -> Api {
        match self {
            Response::FindCoordinator { .. } => Api::FindCoordinator,
            Response::JoinGroup { .. } => Api::JoinGroup,
            Response::SyncGroup { .. } => Api::SyncGroup,
            Response::Heartbeat { .. } => Api::Heartbeat,
            Response::LeaveGroup { .. } => Api::LeaveGroup,
            Response::OffsetCommit { .. } => Api::OffsetCommit,
            Response::OffsetFetch { .. } => Api::OffsetFetch,
            Response::ConsumerGroupHeartbeat(_) => Api::ConsumerGroupHeartbeat,
            Response::ShareGroupHeartbeat(_) => Api::ShareGroupHeartbeat,
            Response::ShareFetch { .. } => Api::ShareFetch,
            Response::ShareAcknowledge { .. } => Api::ShareAcknowledge,
        }
    }

    /// The top-level (or first partition's) error.
    pub fn error(&self) -> ErrorCode {
        match self {
            Response::FindCoordinator { error, .. }
            | Response::JoinGroup { error, .. }
            | Response::SyncGroup { error, .. }
            | Response::Heartbeat { error }
            | Response::LeaveGroup { error }
            | Response::OffsetFetch { error, .. } => *error,
            Response::OffsetCommit { results } => results
                .iter()
                .map(|(_, e)| *e)
                .find(|e| *e != ErrorCode::None)
                .unwrap_or(ErrorCode::None),
            Response::ConsumerGroupHeartbeat(r) => r.error,
            Response::ShareGroupHeartbeat(r) => r.error,
            Response::ShareFetch { error, partition_errors, .. } => {
                if *error != ErrorCode::None {
                    *error
                } else {
                    partition_errors.iter().map(|(_, e)| *e).find(|e| *e != ErrorCode::None).unwrap_or(ErrorCode::None)
                }
            }
            Response::ShareAcknowledge { error, .. } => *error,
        }
    }
}

/// Who sends or receives a message.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Endpoint {
    /// A consumer, by `client.id` (unique per consumer instance in GroupLab).
    Client(String),
    /// A broker by id; a group's coordinator lives on one broker.
    Broker(u32),
    /// "Any broker": where FindCoordinator goes (the bootstrap servers).
    AnyBroker,
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Client(c) => write!(f, "client {c}"),
            Endpoint::Broker(b) => write!(f, "broker {b}"),
            Endpoint::AnyBroker => f.write_str("any broker"),
        }
    }
}

/// Message payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Body {
    /// A request.
    Request(Request),
    /// A response.
    Response(Response),
}

/// A message in flight: delivered to `to` at `deliver_at_ms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Sender.
    pub from: Endpoint,
    /// Receiver.
    pub to: Endpoint,
    /// Correlation id: a response carries its request's id.
    pub correlation_id: u64,
    /// Time sent.
    pub sent_at_ms: u64,
    /// Time it arrives.
    pub deliver_at_ms: u64,
    /// Payload.
    pub body: Body,
}

/// A record the coordinator appends to its `__consumer_offsets` partition
/// (`GroupCoordinatorRecordHelpers`: OffsetCommit and GroupMetadata records; compacted by `key()`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CoordinatorRecord {
    /// `OffsetCommitKey` (group, topic, partition) → `OffsetCommitValue` (offset, metadata, time).
    OffsetCommit {
        /// Group.
        group_id: String,
        /// Partition.
        tp: TopicPartition,
        /// Committed offset.
        offset: i64,
        /// Commit metadata.
        metadata: String,
        /// Commit timestamp.
        commit_timestamp_ms: u64,
    },
    /// `GroupMetadataKey` (group) → `GroupMetadataValue`: written when a generation completes
    /// (Stable after the leader's SyncGroup) and when the group becomes Empty.
    GroupMetadata {
        /// Group.
        group_id: String,
        /// Generation.
        generation_id: i32,
        /// Protocol type (`consumer`).
        protocol_type: Option<String>,
        /// Selected protocol.
        protocol: Option<String>,
        /// Leader member id.
        leader: Option<String>,
        /// Members with their assignment.
        members: Vec<MemberRecord>,
    },
}

/// A member inside a [`CoordinatorRecord::GroupMetadata`] value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRecord {
    /// Member id.
    pub member_id: String,
    /// `client.id`.
    pub client_id: String,
    /// Session timeout.
    pub session_timeout_ms: u64,
    /// Rebalance timeout.
    pub rebalance_timeout_ms: u64,
    /// Supported protocols.
    pub protocols: Vec<JoinProtocol>,
    /// Assignment of the generation.
    pub assignment: Vec<TopicPartition>,
    /// `group.instance.id` of a static member.
    #[serde(default)]
    pub group_instance_id: Option<String>,
}

/// Compaction key of a [`CoordinatorRecord`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RecordKey {
    /// Offset commit key.
    Offset(String, TopicPartition),
    /// Group metadata key.
    Group(String),
}

impl CoordinatorRecord {
    /// The record's compaction key.
    pub fn key(&self) -> RecordKey {
        match self {
            CoordinatorRecord::OffsetCommit { group_id, tp, .. } => {
                RecordKey::Offset(group_id.clone(), tp.clone())
            }
            CoordinatorRecord::GroupMetadata { group_id, .. } => RecordKey::Group(group_id.clone()),
        }
    }

    /// The group the record belongs to.
    pub fn group_id(&self) -> &str {
        match self {
            CoordinatorRecord::OffsetCommit { group_id, .. }
            | CoordinatorRecord::GroupMetadata { group_id, .. } => group_id,
        }
    }
}

/// Identity of a record in a partition, given by the caller (e.g. a producer sequence).
pub type RecordId = u64;

/// The [`RecordId`] the simulation gives a record: its producer and that producer's sequence
/// number, packed into one integer.
pub fn producer_record_id(producer_id: u32, sequence: u32) -> RecordId {
    (u64::from(producer_id) << 32) | u64::from(sequence)
}

/// A record of a group's own state in the compacted `__consumer_offsets` (a consumer group's or
/// a share group's): its key, and whether it is a tombstone.
pub trait CompactedRecord: Clone {
    /// The record's key: a later record with the same key replaces it. `(kind, member id)`.
    fn key(&self) -> (u8, &str);
    /// A tombstone deletes its key.
    fn is_tombstone(&self) -> bool;
}

/// A group's records as the compacted `__consumer_offsets` keeps them: the latest value per
/// key, in the order of their last write (a tombstone removes its key). Replaying them into an
/// empty group rebuilds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Compacted<R> {
    records: Vec<R>,
}

impl<R> Default for Compacted<R> {
    fn default() -> Self {
        Compacted { records: Vec::new() }
    }
}

impl<R: CompactedRecord> Compacted<R> {
    /// Writes records, in order.
    pub fn write(&mut self, records: &[R]) {
        for r in records {
            let key = r.key();
            self.records.retain(|old| old.key() != key);
            if !r.is_tombstone() {
                self.records.push(r.clone());
            }
        }
    }

    /// The records kept, oldest last write first.
    pub fn records(&self) -> &[R] {
        &self.records
    }
}
