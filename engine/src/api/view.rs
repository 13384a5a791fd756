//! Plain-data snapshot of the simulation for the UI ([`crate::Sim::view`]).

use serde::Serialize;

use crate::group::GroupConfig;

/// The whole simulation at `now_ms` (simulated milliseconds; 0 is the Unix epoch,
/// 1970-01-01T00:00:00Z, so `now_ms` and record timestamps read as epoch milliseconds).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct View {
    /// Simulated time.
    pub now_ms: u64,
    /// Brokers `0..n`.
    pub brokers: Vec<BrokerView>,
    /// Topics in creation order (`__consumer_offsets` first).
    pub topics: Vec<TopicView>,
    /// Consumer groups, sorted by id.
    pub groups: Vec<GroupView>,
    /// Share groups (KIP-932), sorted by id.
    pub share_groups: Vec<ShareGroupView>,
    /// Simulated producers, in creation order.
    pub producers: Vec<ProducerView>,
    /// Events dropped because the output queue was full.
    pub events_dropped: u64,
    /// Why `__consumer_offsets` does not exist (too few brokers for
    /// `offsets.topic.replication.factor`): groups cannot find a coordinator.
    pub offsets_topic_error: Option<String>,
    /// Group-protocol messages on their way, earliest delivery first (at most
    /// [`MAX_MESSAGES_IN_VIEW`]): what a picture draws in flight.
    pub messages: Vec<MessageView>,
}

/// One broker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BrokerView {
    /// `node.id`.
    pub id: u32,
    /// Process running.
    pub alive: bool,
    /// Fenced by the controller (not eligible for leadership / ISR).
    pub fenced: bool,
    /// Replica fetch delay in effect (ms).
    pub fetch_delay_ms: u64,
}

/// One topic.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TopicView {
    /// Name.
    pub name: String,
    /// Topic id as `kafka-topics.sh --describe` prints it (GroupLab's deterministic stand-in for
    /// Kafka's random `Uuid`, [`crate::kafka::topic::topic_id`]).
    pub topic_id: String,
    /// `__consumer_offsets` etc.
    pub internal: bool,
    /// `min.insync.replicas`.
    pub min_insync_replicas: u16,
    /// `cleanup.policy` as Kafka spells it.
    pub cleanup_policy: String,
    /// Partitions `0..n`.
    pub partitions: Vec<PartitionView>,
}

/// One partition, as seen by its leader.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PartitionView {
    /// Partition index.
    pub partition: u32,
    /// Current leader (`None` = offline).
    pub leader: Option<u32>,
    /// Assigned replicas, preferred leader first.
    pub replicas: Vec<u32>,
    /// In-sync replicas.
    pub isr: Vec<u32>,
    /// Eligible leader replicas (KIP-966): out of the ISR but holding every committed record.
    pub elr: Vec<u32>,
    /// `LastKnownElr`: the leader an offline partition had when its ISR emptied (KIP-966).
    pub last_known_elr: Vec<u32>,
    /// Leader epoch.
    pub leader_epoch: u32,
    /// Log start offset (leader's, or the last leader's when offline).
    pub log_start_offset: u64,
    /// High watermark.
    pub high_watermark: u64,
    /// Log end offset.
    pub log_end_offset: u64,
    /// Records currently retained by the leader.
    pub retained_records: u64,
    /// Records removed by the log cleaner so far (leader).
    pub compacted_records: u64,
    /// Records that left the partition's history (unclean election, acks=1 tail, ...).
    pub lost_records: u64,
    /// Of those, records whose producer had been told they were written.
    pub lost_acknowledged: u64,
    /// Per-replica state, same order as `replicas`.
    pub replica_states: Vec<ReplicaView>,
}

/// One replica of a partition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReplicaView {
    /// Broker hosting it.
    pub broker: u32,
    /// Its log start offset.
    pub log_start_offset: u64,
    /// Its log end offset.
    pub log_end_offset: u64,
    /// Its own high watermark.
    pub high_watermark: u64,
}

/// One consumer group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GroupView {
    /// `group.id`.
    pub group_id: String,
    /// Kafka state name (`Empty`, `Stable`, ...).
    pub state: String,
    /// Generation id.
    pub generation: i32,
    /// `Classic` or `Consumer` (KIP-848), as `kafka-consumer-groups.sh --list --type` prints it.
    #[serde(rename = "type")]
    pub group_type: String,
    /// A consumer-protocol group's epoch (bumped when members or subscriptions change).
    pub group_epoch: Option<i32>,
    /// The epoch of its target assignment.
    pub target_assignment_epoch: Option<i32>,
    /// `consumer` for consumer groups.
    pub protocol_type: String,
    /// Assignor name (`range`), `None` when empty.
    pub protocol: Option<String>,
    /// Leader member id.
    pub leader: Option<String>,
    /// Members in join order.
    pub members: Vec<MemberView>,
    /// Subscribed topics.
    pub subscription: Vec<String>,
    /// Coordinator broker (leader of the group's `__consumer_offsets` partition).
    pub coordinator: Option<u32>,
    /// The group's settings (Kafka names), which consumers started in it from now on use.
    pub config: GroupConfig,
    /// Every consumer started in this group, including crashed and closed ones.
    pub consumers: Vec<ConsumerView>,
    /// Lag table: HW − committed and HW − position per partition of the subscription, then
    /// the partitions outside it that have a committed offset (e.g. set by
    /// `alter_consumer_group_offsets`).
    pub lag: Vec<LagView>,
    /// The largest [`LagView::lag_ms`] of the group's partitions (`None` when none is known).
    pub max_lag_ms: Option<u64>,
    /// Delivery accounting (processings, duplicates, losses).
    pub delivery: DeliveryView,
    /// Ownership timeline per subscribed partition.
    pub ownership: Vec<OwnershipView>,
    /// Offset commits appended to `__consumer_offsets` whose records its HW has not passed yet
    /// (not visible to OffsetFetch nor in `lag`'s committed offsets), oldest first.
    pub pending_commits: Vec<PendingCommitView>,
    /// The generation whose GroupMetadata write (the leader's SyncGroup) waits for the HW: the
    /// group stays CompletingRebalance and the SyncGroups unanswered until it is committed.
    pub pending_sync_generation: Option<i32>,
    /// `(HW, LEO)` of the group's `__consumer_offsets` partition on its leader.
    pub offsets_log: Option<(u64, u64)>,
}

/// An offset commit not yet replicated (Kafka's `CoordinatorRuntime` answers it when the HW of
/// `__consumer_offsets` passes its record, or fails it after `offsets.commit.timeout.ms`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PendingCommitView {
    /// Topic.
    pub topic: String,
    /// Partition.
    pub partition: u32,
    /// The offset committed.
    pub offset: i64,
    /// The committing member (empty: found above the HW when the coordinator loaded the group).
    pub member_id: String,
    /// When the coordinator appended it.
    pub appended_at_ms: u64,
    /// The HW of `__consumer_offsets` must reach this offset.
    pub durable_at_offset: u64,
    /// When the OffsetCommit fails with COORDINATOR_NOT_AVAILABLE if still not replicated;
    /// `None` once nobody waits for it (timed out, or loaded): it still applies if the HW passes it.
    pub timeout_at_ms: Option<u64>,
}

/// One group member.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MemberView {
    /// `member.id` (`<client.id>-<uuid>` in Kafka; deterministic here).
    pub member_id: String,
    /// `client.id`.
    pub client_id: String,
    /// `group.instance.id` of a static member (KIP-345).
    pub group_instance_id: Option<String>,
    /// Assigned partitions `(topic, partition)`.
    pub assigned: Vec<(String, u32)>,
    /// Coordinator-side status: `member`, `awaiting JoinGroup response`, `awaiting SyncGroup response`.
    pub status: String,
    /// Whether this member is the group leader.
    pub is_leader: bool,
    /// When the coordinator expires the session unless a heartbeat arrives (none while parked
    /// in JoinGroup/SyncGroup).
    pub session_deadline_ms: Option<u64>,
    /// When the consumer sends its next heartbeat.
    pub heartbeat_due_ms: Option<u64>,
    /// When `max.poll.interval.ms` expires unless the consumer polls.
    pub poll_deadline_ms: Option<u64>,
    /// A consumer-protocol member's epoch (`None` for classic members).
    pub member_epoch: Option<i32>,
    /// Its target assignment (consumer protocol).
    pub target: Option<Vec<(String, u32)>>,
    /// Partitions it must revoke before moving on (consumer protocol).
    pub revoking: Vec<(String, u32)>,
    /// In a consumer group, whether the member speaks the consumer protocol (`true`) or is a
    /// classic member kept through an online migration (`false`): Kafka's `MemberType`, the
    /// `UPGRADED` column. `None` in a classic group.
    pub upgraded: Option<bool>,
}

/// A consumer instance (client side).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConsumerView {
    /// `client.id`.
    pub client_id: String,
    /// Current member id (empty when not in the group).
    pub member_id: String,
    /// `group.instance.id` of a static member (KIP-345).
    pub group_instance_id: Option<String>,
    /// `Running`, `Stalled`, `Closed`, `Crashed`.
    pub lifecycle: String,
    /// Classic: `UNJOINED`, `PREPARING_REBALANCE`, `COMPLETING_REBALANCE`, `STABLE`; consumer
    /// protocol: the membership manager's `JOINING`, `RECONCILING`, `ACKNOWLEDGING`, `STABLE`, …
    pub member_state: String,
    /// A consumer-protocol consumer's member epoch (`None` for classic consumers).
    pub member_epoch: Option<i32>,
    /// Generation it belongs to (-1 if none).
    pub generation: i32,
    /// `eager` or `cooperative`.
    pub protocol: String,
    /// Known coordinator broker.
    pub coordinator: Option<u32>,
    /// Partitions it owns.
    pub assigned: Vec<(String, u32)>,
    /// Fetch positions (topic, partition, offset).
    pub positions: Vec<(String, u32, i64)>,
    /// Records fetched and not yet processed.
    pub pending_records: u64,
    /// Time of its last `poll`.
    pub last_poll_ms: u64,
    /// Removed by the coordinator but has not noticed yet (a zombie).
    pub fenced: bool,
    /// The exception `poll()` throws to the application, if any (e.g. NoOffsetForPartitionException).
    pub error: Option<String>,
}

/// One row of a group's lag table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LagView {
    /// Topic.
    pub topic: String,
    /// Partition.
    pub partition: u32,
    /// High watermark.
    pub high_watermark: u64,
    /// Committed offset.
    pub committed: Option<u64>,
    /// Owner's position.
    pub position: Option<u64>,
    /// Owner (`client.id`).
    pub owner: Option<String>,
    /// HW − committed.
    pub committed_lag: Option<u64>,
    /// HW − position.
    pub position_lag: Option<u64>,
    /// Lag in time: how long the oldest record not yet committed has waited, `now −
    /// timestamp` of the first record at or after the committed offset when committed < HW;
    /// `Some(0)` when caught up; `None` without a committed offset. Simulated time 0 is the Unix
    /// epoch (1970-01-01T00:00:00Z), so record timestamps are epoch milliseconds.
    pub lag_ms: Option<u64>,
}

/// Delivery accounting of a group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeliveryView {
    /// Processings, repeats included.
    pub processed: u64,
    /// Distinct records processed.
    pub distinct: u64,
    /// Extra processings of already processed records.
    pub duplicates: u64,
    /// Records that fell below the committed offsets without being processed (at-most-once
    /// losses; records skipped by `auto.offset.reset` are not counted).
    pub losses: u64,
    /// Records processed for the first time after a later record with the same key
    /// (possible only with a worker pool, `worker_threads` > 1).
    pub ordering_violations: u64,
}

/// Ownership history of one partition in a group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OwnershipView {
    /// Topic.
    pub topic: String,
    /// Partition.
    pub partition: u32,
    /// Latest changes, oldest first.
    pub changes: Vec<OwnershipChangeView>,
    /// Total time without an owner between two owners.
    pub gap_ms: u64,
}

/// One ownership change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OwnershipChangeView {
    /// When.
    pub at_ms: u64,
    /// New owner, none when released.
    pub owner: Option<String>,
}

/// One simulated producer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProducerView {
    /// `client.id`.
    pub producer_id: String,
    /// Topic it writes.
    pub topic: String,
    /// Records per second.
    pub rate_per_sec: u32,
    /// `acks` as Kafka spells it.
    pub acks: String,
    /// Still running.
    pub active: bool,
    /// Records handed to the partitioner.
    pub sent: u64,
    /// Records appended by a leader.
    pub appended: u64,
    /// Records acknowledged to the producer.
    pub acknowledged: u64,
    /// Records given up: not retriable, retries exhausted or `delivery.timeout.ms` passed
    /// (the error is in the `produce_failed` event).
    pub failed: u64,
    /// `enable.idempotence` after Kafka's post-processing.
    pub idempotence: bool,
    /// Batch re-sends after a retriable error.
    pub retries: u64,
    /// Records in those re-sent batches.
    pub records_retried: u64,
    /// Records a re-send appended again although the leader held them (no idempotence).
    pub duplicates_written: u64,
    /// Records of re-sends the leader already held and did not append again (idempotence:
    /// `DUPLICATE_SEQUENCE_NUMBER`).
    pub duplicates_avoided: u64,
    /// Records not yet acknowledged or failed (queued, backing off or awaiting acknowledgement).
    pub pending: u64,
    /// Batches awaiting acknowledgement.
    pub in_flight: u64,
}

/// Most in-flight messages a [`View`] lists.
pub const MAX_MESSAGES_IN_VIEW: usize = 200;

/// A group-protocol request or response in flight between a consumer and a broker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MessageView {
    /// Kafka's API name (`JoinGroup`, `Heartbeat`, `OffsetCommit` …).
    pub api: String,
    /// A response (from the broker) rather than a request.
    pub response: bool,
    /// The group of the consumer at one end.
    pub group_id: String,
    /// That consumer's `client.id`.
    pub client_id: String,
    /// Sender: `client <id>`, `broker <id>` or `any broker`.
    pub from: String,
    /// Receiver, as `from`.
    pub to: String,
    /// Correlation id (pairs a response with its request).
    pub correlation_id: u64,
    /// When it was sent.
    pub sent_at_ms: u64,
    /// When it arrives (or arrived, in [`crate::Sim::message_history`]).
    pub deliver_at_ms: u64,
    /// A response's error (Kafka's name), if not NONE.
    pub error: Option<String>,
}

/// A share group (KIP-932, "queues for Kafka"): its consumers read the same partitions
/// together, each record acquired under a time-limited lock and acknowledged one by one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ShareGroupView {
    /// `group.id`.
    pub group_id: String,
    /// `Empty` or `Stable` (`ShareGroupState`).
    pub state: String,
    /// The group epoch (bumped by joins, leaves and subscription changes).
    pub group_epoch: i32,
    /// The target assignment's epoch.
    pub assignment_epoch: i32,
    /// Broker coordinating the group (`__consumer_offsets` leader for the group id).
    pub coordinator: Option<u32>,
    /// Topics of the group.
    pub subscription: Vec<String>,
    /// The group's settings.
    pub config: crate::group::share::settings::ShareGroupSettings,
    /// Members as the coordinator holds them, by member id.
    pub members: Vec<ShareMemberView>,
    /// The group's consumers as they see themselves, by `client.id`.
    pub consumers: Vec<ShareConsumerView>,
    /// The share-partitions of the group (one per subscribed partition with state).
    pub partitions: Vec<SharePartitionView>,
    /// Delivery accounting.
    pub delivery: ShareDeliveryView,
}

/// A share group's member on the coordinator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ShareMemberView {
    /// `MemberId` (a UUID the client chose).
    pub member_id: String,
    /// `client.id`.
    pub client_id: String,
    /// Member epoch.
    pub member_epoch: i32,
    /// Its assignment (several members may share a partition).
    pub assigned: Vec<(String, u32)>,
    /// When the coordinator fences it unless it heartbeats.
    pub session_deadline_ms: Option<u64>,
}

/// A share consumer (`KafkaShareConsumer`) as it sees itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ShareConsumerView {
    /// `client.id`.
    pub client_id: String,
    /// Its member id (empty before it chose one).
    pub member_id: String,
    /// `Running`, `Stalled`, `Closed`, `Crashed`.
    pub lifecycle: String,
    /// Membership: `JOINING`, `STABLE`, `LEAVING`, `UNSUBSCRIBED`, `FENCED`.
    pub member_state: String,
    /// Member epoch once joined.
    pub member_epoch: Option<i32>,
    /// Partitions it was assigned.
    pub assigned: Vec<(String, u32)>,
    /// Records it holds acquired now (delivered, not yet acknowledged).
    pub acquired: u64,
    /// Records it processed (redeliveries included).
    pub processed: u64,
    /// Records whose processing failed (`failing_keys`).
    pub failed: u64,
    /// When it polls (fetches) next.
    pub next_fetch_ms: Option<u64>,
    /// When it heartbeats next.
    pub heartbeat_due_ms: Option<u64>,
    /// Why it stopped, if it did (what `poll()` threw).
    pub error: Option<String>,
}

/// One share-partition: the window of in-flight records between the share-partition start
/// offset (SPSO) and end offset (SPEO).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SharePartitionView {
    /// Topic.
    pub topic: String,
    /// Partition.
    pub partition: u32,
    /// The partition leader, which holds the share-partition (`None`: offline).
    pub leader: Option<u32>,
    /// SPSO: every offset below is finished (acknowledged or archived).
    pub start_offset: u64,
    /// SPEO: the last offset fetched into the in-flight window (the SPSO when it is empty, as
    /// Kafka sets it).
    pub end_offset: i64,
    /// The partition's high watermark.
    pub high_watermark: u64,
    /// `HW - SPSO - delivery-complete records` (KIP-1226).
    pub lag: u64,
    /// The in-flight window, as ranges of offsets sharing a state.
    pub in_flight: Vec<InFlightView>,
    /// Records in the window per state: available, acquired, acknowledged, archived.
    pub counts: [u64; 4],
}

/// Consecutive in-flight records in one state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InFlightView {
    /// First offset.
    pub first_offset: u64,
    /// Last offset (inclusive).
    pub last_offset: u64,
    /// `Available`, `Acquired`, `Acknowledged` or `Archived`.
    pub state: String,
    /// Deliveries so far.
    pub delivery_count: u16,
    /// The consumer holding them (acquired records).
    pub client_id: Option<String>,
    /// When their acquisition lock expires (acquired records).
    pub lock_deadline_ms: Option<u64>,
}

/// A share group's delivery accounting, per record of its partitions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Default)]
pub struct ShareDeliveryView {
    /// Processings, redeliveries included.
    pub processed: u64,
    /// Distinct records processed.
    pub distinct: u64,
    /// Records processed again after a redelivery.
    pub duplicates: u64,
    /// Records finished (below the SPSO) without being processed or archived.
    pub losses: u64,
    /// Records archived: rejected, or past `share.delivery.count.limit`.
    pub archived: u64,
    /// Records of one key processed (first time) after a later record of the same key: per-key
    /// order is not kept across a share group's consumers.
    pub ordering_violations: u64,
}

