//! One Kafka consumer in a classic group: the client half of the protocol.
//!
//! Models `KafkaConsumer` (classic) with its `ConsumerCoordinator` / `AbstractCoordinator`
//! (member states UNJOINED, PREPARING_REBALANCE, COMPLETING_REBALANCE, STABLE; FindCoordinator →
//! JoinGroup (with the KIP-394 MEMBER_ID_REQUIRED round trip) → SyncGroup → heartbeats), the
//! heartbeat thread (`heartbeat.interval.ms`, `max.poll.interval.ms` expiry ⇒ LeaveGroup), the
//! leader's client-side assignment through an [`AssignFn`], eager vs cooperative rebalancing
//! (`onJoinPrepare` / `onJoinComplete`, KIP-429), the fetcher (never past the high watermark,
//! `max.poll.records`, `auto.offset.reset`) and the application's poll/process loop with three
//! commit modes.
//!
//! Simplifications (documented, deterministic): the fetch is a synchronous read of the
//! [`PartitionSource`] at poll time; synchronous commits (`commitSync` in `onJoinPrepare`, on
//! close, and the manual modes) are sent and not waited for — the coordinator handles each
//! connection's messages in order, so a commit sent before a JoinGroup/LeaveGroup is applied first.
//! Ownership ends as soon as the consumer knows it is out of the group (lost partitions are
//! reported when the error arrives, not at the next `poll`).
//!
//! This file holds the consumer, its configuration, lifecycle, timers and the coordinator
//! protocol (join/sync/heartbeat/leave/commit); `fetcher.rs` holds positions, `auto.offset.reset`,
//! the fetch and the poll loop's hand-off of records; `workers.rs` the processing of fetched records
//! (the application thread's batch and the `worker_threads` pool).

use crate::kernel::vecmap::{VecMap, VecSet};
use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::consumer::membership::{ClientState, Membership, Reconcile};
use super::coordinator::CONSUMER_PROTOCOL_TYPE;
use super::event::GroupEvent;
use super::protocol::{Api, Body, Endpoint, ErrorCode, HeartbeatResponse, JoinProtocol, JoinResponseMember, Message, OffsetCommitEntry, RecordId, Request, Response, Subscription, SyncAssignment, TopicPartition};
use super::output::Output;
use super::GroupError;

mod fetcher;
mod workers;

pub use fetcher::FetchedRecord;

/// A member's subscription as handed to an assignor
/// (`ConsumerPartitionAssignor.Subscription` + member id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberSubscription {
    /// Member id.
    pub member_id: String,
    /// Subscribed topics.
    pub topics: Vec<String>,
    /// Partitions currently owned (cooperative).
    pub owned_partitions: Vec<(String, u32)>,
    /// Generation of the owned partitions (-1 if none).
    pub generation_id: i32,
}

/// The assignor the leader runs: `(strategy, topic → partition count, members)` →
/// member id → partitions. The integration passes an adapter over `assign::assign`.
pub type AssignFn = fn(
    &str,
    &VecMap<String, u32>,
    &[MemberSubscription],
) -> Result<VecMap<String, Vec<(String, u32)>>, String>;

/// `ConsumerPartitionAssignor.RebalanceProtocol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RebalanceProtocol {
    /// Revoke everything before joining.
    Eager,
    /// KIP-429 incremental cooperative rebalancing.
    Cooperative,
}

impl RebalanceProtocol {
    /// The protocol a consumer uses: the highest one every configured assignor supports
    /// (`ConsumerCoordinator` constructor). Only `cooperative-sticky` supports COOPERATIVE, so the
    /// default `[range, cooperative-sticky]` is EAGER.
    pub fn for_strategies(strategies: &[String]) -> Self {
        if !strategies.is_empty() && strategies.iter().all(|s| s == "cooperative-sticky") {
            RebalanceProtocol::Cooperative
        } else {
            RebalanceProtocol::Eager
        }
    }
}

/// `group.protocol`: which rebalance protocol the consumer speaks (`GroupProtocol`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupProtocol {
    /// JoinGroup / SyncGroup / Heartbeat (the default in every 4.x).
    #[default]
    #[serde(alias = "CLASSIC", alias = "Classic")]
    Classic,
    /// KIP-848: ConsumerGroupHeartbeat, assignment computed by the coordinator.
    #[serde(alias = "CONSUMER", alias = "Consumer")]
    Consumer,
}

impl GroupProtocol {
    /// Kafka's name (`classic`, `consumer`).
    pub fn name(self) -> &'static str {
        match self {
            GroupProtocol::Classic => "classic",
            GroupProtocol::Consumer => "consumer",
        }
    }
}

/// How the application commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommitMode {
    /// `enable.auto.commit=true`: commit positions in `poll` every `auto.commit.interval.ms`,
    /// before a rebalance and on close.
    Auto,
    /// `enable.auto.commit=false`, `commitSync()` after processing each batch (at least once).
    ManualAfter,
    /// `enable.auto.commit=false`, `commitSync()` right after `poll`, before processing (at most once).
    ManualBefore,
}

/// `auto.offset.reset` (`AutoOffsetResetStrategy`), written as Kafka writes it: `earliest`,
/// `latest`, `none` or `by_duration:<ISO-8601 duration>` (KIP-1106, e.g. `by_duration:PT5M`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum AutoOffsetReset {
    /// Log start offset.
    Earliest,
    /// High watermark.
    Latest,
    /// No reset: `poll()` throws `NoOffsetForPartitionException` / `OffsetOutOfRangeException`.
    None,
    /// The first offset whose timestamp is at least `now − duration` (ListOffsets by
    /// timestamp, computed when the reset happens); the HW when there is none.
    ByDuration {
        /// The duration, in ms.
        duration_ms: u64,
    },
}

impl AutoOffsetReset {
    /// Kafka's config value.
    pub fn name(self) -> String {
        match self {
            AutoOffsetReset::Earliest => "earliest".into(),
            AutoOffsetReset::Latest => "latest".into(),
            AutoOffsetReset::None => "none".into(),
            AutoOffsetReset::ByDuration { duration_ms } => format!("by_duration:{}", iso_duration(duration_ms)),
        }
    }
}

impl TryFrom<String> for AutoOffsetReset {
    type Error = String;
    /// `AutoOffsetResetStrategy.fromString`: case-sensitive lower case; `by_duration` needs a
    /// non-negative `java.time.Duration`.
    fn try_from(s: String) -> Result<Self, String> {
        let bad = || format!("Invalid value {s} for configuration auto.offset.reset: must be either 'earliest', 'latest', 'none' or of the format 'by_duration:<PnDTnHnMn.nS.>'.");
        Ok(match s.as_str() {
            "earliest" => AutoOffsetReset::Earliest,
            "latest" => AutoOffsetReset::Latest,
            "none" => AutoOffsetReset::None,
            other => match other.strip_prefix("by_duration:") {
                Some(d) => AutoOffsetReset::ByDuration { duration_ms: parse_iso_duration(d).ok_or_else(bad)? },
                None => return Err(bad()),
            },
        })
    }
}

impl From<AutoOffsetReset> for String {
    fn from(a: AutoOffsetReset) -> String {
        a.name()
    }
}

/// Partition counts of every topic the members subscribe to (the leader's
/// `assignmentSnapshot` of the metadata it assigned with).
fn metadata_snapshot(members: &[JoinResponseMember], env: &dyn PartitionSource) -> VecMap<String, u32> {
    let mut topics: VecMap<String, u32> = VecMap::new();
    for m in members {
        for t in &m.metadata.topics {
            if let Some(n) = env.partition_count(t).filter(|n| *n > 0) {
                topics.insert(t.clone(), n);
            }
        }
    }
    topics
}

/// `java.time.Duration.parse` for what `by_duration` takes: `PnDTnHnMn.nS` (days, hours,
/// minutes, seconds with up to 3 decimals kept; at least one part; no sign).
pub fn parse_iso_duration(s: &str) -> Option<u64> {
    let rest = s.strip_prefix('P').or_else(|| s.strip_prefix('p'))?;
    let (days, time) = match rest.find(['T', 't']) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let mut ms: u64 = 0;
    let mut parts = 0;
    if !days.is_empty() {
        let n = days.strip_suffix(['D', 'd'])?;
        ms = ms.checked_add(n.parse::<u64>().ok()?.checked_mul(86_400_000)?)?;
        parts += 1;
    }
    if let Some(mut t) = time {
        if t.is_empty() {
            return None;
        }
        for (unit, scale) in [(['H', 'h'], 3_600_000u64), (['M', 'm'], 60_000)] {
            if let Some(i) = t.find(unit) {
                ms = ms.checked_add(t[..i].parse::<u64>().ok()?.checked_mul(scale)?)?;
                t = &t[i + 1..];
                parts += 1;
            }
        }
        if !t.is_empty() {
            let n = t.strip_suffix(['S', 's'])?;
            let (whole, frac) = n.split_once('.').unwrap_or((n, ""));
            if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let frac_ms: u64 = format!("{frac:0<3}")[..3].parse().ok()?;
            ms = ms.checked_add(whole.parse::<u64>().ok()?.checked_mul(1_000)?.checked_add(frac_ms)?)?;
            parts += 1;
        }
    }
    (parts > 0).then_some(ms)
}

/// A duration in ms as `java.time.Duration.toString` writes it (`PT5M`, `PT1H30M`, `PT0.5S`).
fn iso_duration(ms: u64) -> String {
    if ms == 0 {
        return "PT0S".into();
    }
    let (h, m, s, frac) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1_000 % 60, ms % 1_000);
    let mut out = String::from("PT");
    if h > 0 {
        out.push_str(&format!("{h}H"));
    }
    if m > 0 {
        out.push_str(&format!("{m}M"));
    }
    if s > 0 || frac > 0 {
        if frac > 0 {
            out.push_str(&format!("{s}.{}S", format!("{frac:03}").trim_end_matches('0')));
        } else {
            out.push_str(&format!("{s}S"));
        }
    }
    out
}

/// Consumer configuration (`ConsumerConfig` defaults).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsumerConfig {
    /// `client.id`; unique per consumer instance in GroupLab.
    pub client_id: String,
    /// `group.id`.
    pub group_id: String,
    /// Subscribed topics.
    pub topics: Vec<String>,
    /// `partition.assignment.strategy` names in preference order (default `[range, cooperative-sticky]`).
    pub assignment_strategies: Vec<String>,
    /// `session.timeout.ms` (45000).
    pub session_timeout_ms: u64,
    /// `heartbeat.interval.ms` (3000).
    pub heartbeat_interval_ms: u64,
    /// `max.poll.interval.ms` (300000); also the JoinGroup rebalance timeout.
    pub max_poll_interval_ms: u64,
    /// `max.poll.records` (500).
    pub max_poll_records: u32,
    /// Commit mode (`enable.auto.commit` true ⇒ [`CommitMode::Auto`]).
    pub commit_mode: CommitMode,
    /// `auto.commit.interval.ms` (5000).
    pub auto_commit_interval_ms: u64,
    /// `auto.offset.reset` (latest).
    pub auto_offset_reset: AutoOffsetReset,
    /// Application time to process one record.
    pub processing_time_ms: u64,
    /// Timeout the application passes to `poll(Duration)` when no records are available.
    pub poll_timeout_ms: u64,
    /// `retry.backoff.ms` (100).
    pub retry_backoff_ms: u64,
    /// `metadata.max.age.ms` (300000): how often the consumer refreshes its metadata, so how
    /// late a group leader notices new partitions of a subscribed topic.
    #[serde(default = "default_metadata_max_age_ms")]
    pub metadata_max_age_ms: u64,
    /// `retry.backoff.max.ms` (1000): the exponential retry backoff stops growing here.
    #[serde(default = "default_retry_backoff_max_ms")]
    pub retry_backoff_max_ms: u64,
    /// `request.timeout.ms` (30000).
    pub request_timeout_ms: u64,
    /// One-way network latency of this consumer's requests.
    pub network_latency_ms: u64,
    /// Worker threads the application hands polled records to (GroupLab's model of the
    /// "one consumer feeding a worker pool" pattern). 1 (default): the poll thread processes
    /// each batch itself, in order, before polling again (thread per consumer). N > 1: the poll
    /// thread hands each record to the first free of N workers and keeps polling (paused while
    /// `max.poll.records` records wait in the pool); a record takes 1 to 4 × `processing_time_ms`
    /// (fixed per offset), so records of one partition, and of one key, can finish out of order,
    /// and positions (hence auto commits) run ahead of processing.
    #[serde(default = "default_worker_threads")]
    pub worker_threads: u32,
    /// `group.instance.id` (KIP-345): set, the consumer is a static member — a restart within
    /// `session.timeout.ms` takes its place back without a rebalance, and it sends no LeaveGroup.
    #[serde(default)]
    pub group_instance_id: Option<String>,
    /// `group.protocol` (`classic`).
    #[serde(default)]
    pub group_protocol: GroupProtocol,
    /// `group.remote.assignor`: the server assignor a consumer-protocol member asks for.
    #[serde(default)]
    pub group_remote_assignor: Option<String>,
}

fn default_worker_threads() -> u32 {
    1
}

fn default_retry_backoff_max_ms() -> u64 {
    1_000
}

fn default_metadata_max_age_ms() -> u64 {
    300_000
}

/// `AbstractCoordinator.JOIN_GROUP_TIMEOUT_LAPSE`: a JoinGroup may wait this much longer than
/// the rebalance timeout.
pub const JOIN_GROUP_TIMEOUT_LAPSE_MS: u64 = 5_000;

/// Upper bound for `worker_threads`.
pub const MAX_WORKER_THREADS: u32 = 64;

/// Upper bound for `max.poll.records` in the simulator.
pub const MAX_POLL_RECORDS_LIMIT: u32 = 100_000;

impl ConsumerConfig {
    /// Kafka defaults for `client_id` in `group_id` subscribed to `topics`.
    pub fn new(client_id: impl Into<String>, group_id: impl Into<String>, topics: &[&str]) -> Self {
        Self {
            client_id: client_id.into(),
            group_id: group_id.into(),
            topics: topics.iter().map(|t| t.to_string()).collect(),
            assignment_strategies: vec!["range".into(), "cooperative-sticky".into()],
            session_timeout_ms: 45_000,
            heartbeat_interval_ms: 3_000,
            max_poll_interval_ms: 300_000,
            max_poll_records: 500,
            commit_mode: CommitMode::Auto,
            auto_commit_interval_ms: 5_000,
            auto_offset_reset: AutoOffsetReset::Latest,
            processing_time_ms: 1,
            poll_timeout_ms: 100,
            retry_backoff_ms: 100,
            retry_backoff_max_ms: 1_000,
            metadata_max_age_ms: 300_000,
            request_timeout_ms: 30_000,
            network_latency_ms: 5,
            worker_threads: 1,
            group_instance_id: None,
            group_protocol: GroupProtocol::Classic,
            group_remote_assignor: None,
        }
    }

    /// Checks the values like Kafka does (and the simulator's bounds).
    pub fn validate(&self) -> Result<(), GroupError> {
        let bad = |s: String| Err(GroupError::InvalidConfig(s));
        if self.client_id.is_empty() {
            return bad("client.id must not be empty".into());
        }
        if let Some(id) = &self.group_instance_id {
            // `JoinGroupRequest.validateGroupInstanceId`.
            if id.is_empty() {
                return bad("Group instance id must be non-empty string".into());
            }
            if id.len() > 249 {
                return bad(format!("Group instance id {id} can't be longer than 249 characters"));
            }
            if !id.chars().all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '.' | '_' | '-')) {
                return bad(format!("Group instance id \"{id}\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'"));
            }
        }
        if self.group_id.is_empty() {
            return bad("group.id must not be empty for a group member".into());
        }
        if self.topics.is_empty() || self.topics.iter().any(|t| t.is_empty()) {
            return bad("the subscription needs at least one non-empty topic name".into());
        }
        if self.assignment_strategies.is_empty() {
            return bad("partition.assignment.strategy must not be empty".into());
        }
        if self.heartbeat_interval_ms == 0 || self.heartbeat_interval_ms >= self.session_timeout_ms
        {
            return bad(format!(
                "heartbeat.interval.ms ({}) must be > 0 and lower than session.timeout.ms ({})",
                self.heartbeat_interval_ms, self.session_timeout_ms
            ));
        }
        if self.worker_threads == 0 || self.worker_threads > MAX_WORKER_THREADS {
            return bad(format!("worker_threads must be between 1 and {MAX_WORKER_THREADS}, got {}", self.worker_threads));
        }
        if self.max_poll_records == 0 || self.max_poll_records > MAX_POLL_RECORDS_LIMIT {
            return bad(format!(
                "max.poll.records ({}) must be in 1..={MAX_POLL_RECORDS_LIMIT}",
                self.max_poll_records
            ));
        }
        if self.max_poll_interval_ms == 0
            || self.poll_timeout_ms == 0
            || self.request_timeout_ms == 0
        {
            return bad(
                "max.poll.interval.ms, poll timeout and request.timeout.ms must be > 0".into(),
            );
        }
        if self.commit_mode == CommitMode::Auto && self.auto_commit_interval_ms == 0 {
            return bad("auto.commit.interval.ms must be > 0".into());
        }
        Ok(())
    }
}

/// Log bounds of a partition as the fetcher sees them (on its current leader).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionOffsets {
    /// Log start offset.
    pub log_start_offset: i64,
    /// High watermark (consumers never read at or past it).
    pub high_watermark: i64,
    /// Log end offset: a fetch between the HW and here is empty, not out of range.
    pub log_end_offset: i64,
    /// The leader's epoch (a new one makes the consumer validate its position, KIP-320).
    pub leader_epoch: u32,
}

/// What the consumer reads from the cluster: metadata, log bounds and record identities.
pub trait PartitionSource {
    /// Partition count of a topic, `None` if the topic does not exist.
    fn partition_count(&self, topic: &str) -> Option<u32>;
    /// Log start and high watermark, `None` if unknown / unavailable.
    fn offsets(&self, tp: &TopicPartition) -> Option<PartitionOffsets>;
    /// Identity of the record at `offset`, `None` if there is none.
    fn record_id(&self, tp: &TopicPartition, offset: i64) -> Option<RecordId>;
    /// Leader epoch of the record at `offset` (the batch's `partitionLeaderEpoch`).
    fn record_epoch(&self, tp: &TopicPartition, offset: i64) -> Option<u32> {
        let _ = (tp, offset);
        None
    }
    /// The records of `tp` at consecutive offsets from `from`, below `until` and at most `max`:
    /// `f(offset, identity, leader epoch)` for each, as [`Self::record_id`] and
    /// [`Self::record_epoch`] give them one offset at a time (which is what this default does),
    /// up to the first offset with no record. A source with a log reads them in one go.
    fn for_each_record(&self, tp: &TopicPartition, from: i64, until: i64, max: usize, f: &mut dyn FnMut(i64, RecordId, Option<u32>)) {
        let mut offset = from;
        while offset < until && offset - from < max as i64 {
            let Some(id) = self.record_id(tp, offset) else { break };
            f(offset, id, self.record_epoch(tp, offset));
            offset += 1;
        }
    }
    /// ListOffsets by timestamp: the first offset whose record timestamp is ≥ `timestamp_ms`.
    fn offset_for_timestamp(&self, tp: &TopicPartition, timestamp_ms: u64) -> Option<i64> {
        let _ = (tp, timestamp_ms);
        None
    }
    /// `OffsetsForLeaderEpoch` on the current leader: the largest epoch ≤ `epoch` it knows and
    /// where that epoch ends on its log.
    fn end_offset_for_epoch(&self, tp: &TopicPartition, epoch: u32) -> Option<(u32, i64)> {
        let _ = (tp, epoch);
        None
    }
}

/// `AbstractCoordinator.MemberState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MemberState {
    /// Not in a group.
    Unjoined,
    /// JoinGroup sent / about to be sent.
    PreparingRebalance,
    /// JoinGroup answered, SyncGroup pending.
    CompletingRebalance,
    /// Member of a stable generation.
    Stable,
}

impl MemberState {
    /// Kafka's name.
    pub fn name(self) -> &'static str {
        match self {
            MemberState::Unjoined => "UNJOINED",
            MemberState::PreparingRebalance => "PREPARING_REBALANCE",
            MemberState::CompletingRebalance => "COMPLETING_REBALANCE",
            MemberState::Stable => "STABLE",
        }
    }
}

/// Process-level state of the consumer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientLifecycle {
    /// Polling and processing.
    Running,
    /// Processing stuck: the heartbeat thread runs, `poll` is not called.
    Stalled,
    /// Closed gracefully.
    Closed,
    /// Hard crash: silent forever.
    Crashed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Inflight {
    api: Api,
    sent_ms: u64,
    generation_id: i32,
    /// Offsets of an OffsetCommit, to know what was acknowledged.
    offsets: Vec<(TopicPartition, i64)>,
}

/// Bound of the inner poll loop per `handle_timeout` call.
const MAX_POLLS_PER_CALL: usize = 64;

/// One consumer. Sans-IO: drive it with [`Self::handle_message`] / [`Self::handle_timeout`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConsumerClient {
    cfg: ConsumerConfig,
    #[serde(skip, default = "default_assignor")]
    assignor: AssignFn,
    protocol: RebalanceProtocol,
    lifecycle: ClientLifecycle,
    fatal: Option<ErrorCode>,
    /// The leader's `assignmentSnapshot`: partition counts it assigned with.
    #[serde(default)]
    assignment_snapshot: VecMap<String, u32>,
    /// Next periodic metadata refresh (`metadata.max.age.ms`).
    #[serde(default)]
    next_metadata_ms: u64,
    /// The exception `poll()` throws to the application, if any (`auto.offset.reset=none`
    /// with no usable offset).
    #[serde(default)]
    poll_error: Option<String>,
    coordinator: Option<u32>,
    state: MemberState,
    member_id: String,
    generation_id: i32,
    protocol_name: Option<String>,
    /// `StickyAssignor`'s memory (its `memberAssignment` and `generation`, set by `onAssignment`
    /// when `sticky` was the group's protocol): sent as the `sticky` subscription's userData, so
    /// the eager sticky assignor sees the previous assignment although the member revoked it.
    #[serde(default)]
    sticky_user_data: Option<(Vec<TopicPartition>, i32)>,
    leader: bool,
    rejoin_needed: bool,
    next_correlation_id: u64,
    inflight: VecMap<u64, Inflight>,
    next_heartbeat_ms: u64,
    next_find_ms: u64,
    /// FindCoordinator attempts since the coordinator was last known (exponential backoff).
    #[serde(default)]
    find_attempts: u32,
    last_heartbeat_ack_ms: Option<u64>,
    assignment: VecSet<TopicPartition>,
    positions: VecMap<TopicPartition, i64>,
    /// KIP-320: leader epoch of the last record consumed below each position (its `offsetEpoch`),
    /// and the leader epoch the position was last validated against. Not part of the state
    /// hash: both follow from the positions and the logs.
    #[serde(default)]
    position_epochs: VecMap<TopicPartition, u32>,
    #[serde(default)]
    validated_epochs: VecMap<TopicPartition, u32>,
    need_offsets: VecSet<TopicPartition>,
    no_offset: VecSet<TopicPartition>,
    batch: VecDeque<FetchedRecord>,
    next_record_done_ms: u64,
    /// Worker-pool mode: (done at, submission seq, record), sorted.
    #[serde(default)]
    pool: Vec<(u64, u64, FetchedRecord)>,
    /// Worker-pool mode: when each worker is free.
    #[serde(default)]
    workers_free_ms: Vec<u64>,
    #[serde(default)]
    pool_seq: u64,
    next_poll_ms: Option<u64>,
    last_poll_ms: u64,
    last_auto_commit_ms: u64,
    stalled_since_ms: u64,
    closing: bool,
    fetch_cursor: usize,
    commits_acked: VecMap<TopicPartition, i64>,
    /// The consumer protocol's membership manager (KIP-848), when `group.protocol=consumer`:
    /// it replaces JoinGroup / SyncGroup / Heartbeat; fetching, processing and commits stay.
    #[serde(default)]
    membership: Option<Membership>,
    /// A reconciliation that revokes (or commits first) waits for the application's next
    /// `poll()` (`AsyncKafkaConsumer`: only pure additions run in the background).
    #[serde(default)]
    pending_reconcile: Option<Reconcile>,
}

fn default_assignor() -> AssignFn {
    no_assignor
}

fn no_assignor(
    _: &str,
    _: &VecMap<String, u32>,
    _: &[MemberSubscription],
) -> Result<VecMap<String, Vec<(String, u32)>>, String> {
    Err("no assignor configured (deserialized consumer)".into())
}

impl ConsumerClient {
    /// A consumer that starts polling at `now_ms` (first `poll` at `now_ms`).
    pub fn new(cfg: ConsumerConfig, assignor: AssignFn, now_ms: u64) -> Result<Self, GroupError> {
        let metadata_at = now_ms.saturating_add(cfg.metadata_max_age_ms);
        cfg.validate()?;
        let protocol = RebalanceProtocol::for_strategies(&cfg.assignment_strategies);
        let membership = (cfg.group_protocol == GroupProtocol::Consumer).then(|| {
            // The client generates its member id (KIP-1082); the same deterministic stand-in for
            // `Uuid.randomUuid()` as topic ids, one per consumer instance.
            let member_id = crate::kafka::topic::topic_id(&format!("member {} {now_ms}", cfg.client_id));
            Membership::new(&member_id, &cfg.client_id, cfg.group_instance_id.as_deref(), &cfg.topics, cfg.max_poll_interval_ms, cfg.commit_mode == CommitMode::Auto, now_ms)
                .with_server_assignor(cfg.group_remote_assignor.as_deref())
        });
        let member_id = membership.as_ref().map_or_else(String::new, |m| m.member_id().to_string());
        Ok(Self {
            cfg,
            assignor,
            protocol,
            lifecycle: ClientLifecycle::Running,
            fatal: None,
            assignment_snapshot: VecMap::new(),
            next_metadata_ms: metadata_at,
            poll_error: None,
            coordinator: None,
            state: MemberState::Unjoined,
            member_id,
            generation_id: -1,
            protocol_name: None,
            sticky_user_data: None,
            leader: false,
            rejoin_needed: true,
            next_correlation_id: 1,
            inflight: VecMap::new(),
            next_heartbeat_ms: now_ms,
            next_find_ms: now_ms,
            find_attempts: 0,
            last_heartbeat_ack_ms: None,
            assignment: VecSet::new(),
            positions: VecMap::new(),
            position_epochs: VecMap::new(),
            validated_epochs: VecMap::new(),
            need_offsets: VecSet::new(),
            no_offset: VecSet::new(),
            batch: VecDeque::new(),
            next_record_done_ms: now_ms,
            pool: Vec::new(),
            workers_free_ms: Vec::new(),
            pool_seq: 0,
            next_poll_ms: Some(now_ms),
            last_poll_ms: now_ms,
            last_auto_commit_ms: now_ms,
            stalled_since_ms: now_ms,
            closing: false,
            fetch_cursor: 0,
            commits_acked: VecMap::new(),
            membership,
            pending_reconcile: None,
        })
    }

    // ----- accessors -----

    /// Configuration.
    pub fn config(&self) -> &ConsumerConfig {
        &self.cfg
    }
    /// `client.id`.
    pub fn client_id(&self) -> &str {
        &self.cfg.client_id
    }
    /// Member state.
    pub fn state(&self) -> MemberState {
        self.state
    }
    /// Lifecycle.
    pub fn lifecycle(&self) -> ClientLifecycle {
        self.lifecycle
    }
    /// Rebalance protocol in use.
    pub fn rebalance_protocol(&self) -> RebalanceProtocol {
        self.protocol
    }
    /// Member id (empty before the first JoinGroup response).
    pub fn member_id(&self) -> &str {
        &self.member_id
    }
    /// Generation (-1 when none).
    pub fn generation_id(&self) -> i32 {
        self.generation_id
    }
    /// Whether this member led the last generation it joined.
    pub fn is_leader(&self) -> bool {
        self.leader
    }
    /// Known coordinator broker.
    pub fn coordinator(&self) -> Option<u32> {
        self.coordinator
    }
    /// Owned partitions.
    pub fn assignment(&self) -> &VecSet<TopicPartition> {
        &self.assignment
    }
    /// Fetch positions.
    pub fn positions(&self) -> &VecMap<TopicPartition, i64> {
        &self.positions
    }
    /// Offsets whose commit this consumer saw acknowledged.
    pub fn commits_acked(&self) -> &VecMap<TopicPartition, i64> {
        &self.commits_acked
    }
    /// Records fetched but not processed yet.
    pub fn pending_records(&self) -> usize {
        self.batch.len() + self.pool.len()
    }
    /// The fetched, not yet processed records, in processing order (the worker pool's by
    /// completion time).
    pub fn pending_batch(&self) -> impl Iterator<Item = &FetchedRecord> {
        self.batch.iter().chain(self.pool.iter().map(|(_, _, r)| r))
    }

    /// `requestRejoin`: e.g. the leader saw the partition count of a subscribed topic change
    /// (`ConsumerCoordinator.rejoinNeededOrPending` with a stale metadata snapshot).
    pub fn request_rejoin(&mut self) {
        if self.state == MemberState::Stable {
            self.rejoin_needed = true;
        }
    }
    /// Time of the last `poll`.
    pub fn last_poll_ms(&self) -> u64 {
        self.last_poll_ms
    }
    /// When `max.poll.interval.ms` would expire.
    pub fn poll_deadline_ms(&self) -> u64 {
        self.last_poll_ms
            .saturating_add(self.cfg.max_poll_interval_ms)
    }
    /// When the next heartbeat is due.
    pub fn next_heartbeat_ms(&self) -> u64 {
        self.next_heartbeat_ms
    }
    /// Last acknowledged heartbeat.
    pub fn last_heartbeat_ack_ms(&self) -> Option<u64> {
        self.last_heartbeat_ack_ms
    }
    /// The exception `poll()` throws to the application (`NoOffsetForPartitionException`,
    /// `OffsetOutOfRangeException`, `LogTruncationException` under `auto.offset.reset=none`).
    pub fn poll_error(&self) -> Option<&str> {
        self.poll_error.as_deref()
    }

    /// `group.instance.id`, for a static member.
    pub fn group_instance_id(&self) -> Option<&str> {
        self.cfg.group_instance_id.as_deref()
    }

    /// A fatal error that stopped group membership (e.g. INCONSISTENT_GROUP_PROTOCOL).
    pub fn fatal_error(&self) -> Option<ErrorCode> {
        self.fatal
    }

    fn alive(&self) -> bool {
        matches!(
            self.lifecycle,
            ClientLifecycle::Running | ClientLifecycle::Stalled
        )
    }

    fn in_group(&self) -> bool {
        match &self.membership {
            Some(m) => matches!(m.state(), ClientState::Joining | ClientState::Reconciling | ClientState::Acknowledging | ClientState::Stable | ClientState::Leaving),
            None => matches!(self.state, MemberState::CompletingRebalance | MemberState::Stable),
        }
    }

    /// The consumer protocol's membership, if the consumer speaks it.
    pub fn membership(&self) -> Option<&Membership> {
        self.membership.as_ref()
    }

    /// Whether the consumer is in a generation it may commit in (classic: Stable with a
    /// generation; consumer protocol: a member epoch above 0).
    fn may_commit(&self) -> bool {
        match &self.membership {
            Some(m) => m.member_epoch() > 0 && !matches!(m.state(), ClientState::Fenced | ClientState::Fatal | ClientState::Unsubscribed | ClientState::Stale),
            None => self.state == MemberState::Stable && self.generation_id >= 0,
        }
    }

    /// Earliest time [`Self::handle_timeout`] has work.
    pub fn next_deadline_ms(&self) -> Option<u64> {
        if !self.alive() {
            return None;
        }
        let mut d: Option<u64> = None;
        let mut add = |t: u64| d = Some(d.map_or(t, |x: u64| x.min(t)));
        for f in self.inflight.values() {
            add(f.sent_ms.saturating_add(self.request_timeout_for(f.api)));
        }
        if self.in_group() {
            // The poll timer, while expiring it still does something: a consumer-protocol
            // member that left on it (`LEAVING`, waiting for a coordinator to send the leave
            // heartbeat to) has nothing more to do when it passes, so it must not keep the
            // timer due (the clock would never move again).
            let poll_timer = match &self.membership {
                Some(m) => matches!(m.state(), ClientState::Joining | ClientState::Reconciling | ClientState::Acknowledging | ClientState::Stable),
                None => true,
            };
            if poll_timer {
                add(self.poll_deadline_ms().saturating_add(1));
            }
            let heartbeat = match &self.membership {
                Some(m) => m.next_deadline_ms(),
                None => (!self.heartbeat_inflight()).then_some(self.next_heartbeat_ms),
            };
            if self.coordinator.is_some() {
                if let Some(h) = heartbeat {
                    add(h);
                }
            } else if !self.inflight_api(Api::FindCoordinator) {
                add(self.next_find_ms);
            }
        }
        if self.lifecycle == ClientLifecycle::Running {
            if !self.batch.is_empty() {
                add(self.next_record_done_ms);
            } else if let Some(p) = self.next_poll_ms {
                add(p);
            }
            if let Some((done, _, _)) = self.pool.first() {
                add(*done);
            }
        }
        d
    }

    fn heartbeat_inflight(&self) -> bool {
        self.inflight.values().any(|f| f.api == Api::Heartbeat)
    }

    fn inflight_api(&self, api: Api) -> bool {
        self.inflight.values().any(|f| f.api == api)
    }

    fn event(&self, now_ms: u64, event: GroupEvent, out: &mut Vec<Output>) {
        out.push(Output::Event {
            at_ms: now_ms,
            event,
        });
    }

    fn send(&mut self, now_ms: u64, req: Request, out: &mut Vec<Output>) -> Option<u64> {
        let api = req.api();
        let to = match api {
            Api::FindCoordinator => Endpoint::AnyBroker,
            _ => Endpoint::Broker(self.coordinator?),
        };
        let corr = self.next_correlation_id;
        self.next_correlation_id += 1;
        if api != Api::LeaveGroup {
            let offsets = match &req {
                Request::OffsetCommit { offsets, .. } => {
                    offsets.iter().map(|o| (o.tp.clone(), o.offset)).collect()
                }
                _ => Vec::new(),
            };
            self.inflight.insert(
                corr,
                Inflight {
                    api,
                    sent_ms: now_ms,
                    generation_id: self.generation_id,
                    offsets,
                },
            );
        }
        out.push(Output::Send(Message {
            from: Endpoint::Client(self.cfg.client_id.clone()),
            to,
            correlation_id: corr,
            sent_at_ms: now_ms,
            deliver_at_ms: now_ms.saturating_add(self.cfg.network_latency_ms),
            body: Body::Request(req),
        }));
        Some(corr)
    }

    /// How long a request may wait for its answer: `request.timeout.ms`, but a JoinGroup waits
    /// for the whole rebalance (`AbstractCoordinator.sendJoinGroupRequest`:
    /// max(request.timeout.ms, rebalance timeout + 5 s)).
    fn request_timeout_for(&self, api: Api) -> u64 {
        match api {
            Api::JoinGroup => self.cfg.request_timeout_ms.max(self.cfg.max_poll_interval_ms.saturating_add(JOIN_GROUP_TIMEOUT_LAPSE_MS)),
            _ => self.cfg.request_timeout_ms,
        }
    }

    /// The connection to broker `broker` dropped (it crashed, or refused a connection): the
    /// requests in flight to it fail at once, and if it was the coordinator the consumer marks
    /// it unknown (`NetworkClient` disconnect → `markCoordinatorUnknown`), instead of waiting
    /// for `request.timeout.ms`.
    pub fn on_disconnect(&mut self, now_ms: u64, broker: u32) -> Vec<Output> {
        let mut out = Vec::new();
        if self.alive() && self.coordinator == Some(broker) {
            self.mark_coordinator_unknown(now_ms, &format!("disconnected from the coordinator (broker {broker})"), &mut out);
        }
        out
    }

    /// Backoff before the next FindCoordinator: `retry.backoff.ms` doubling per failed attempt
    /// up to `retry.backoff.max.ms` (KIP-580; Kafka adds ±20 % jitter, left out here).
    fn find_backoff_ms(&self) -> u64 {
        let doubled = self.cfg.retry_backoff_ms.saturating_mul(1u64 << self.find_attempts.min(20));
        doubled.min(self.cfg.retry_backoff_max_ms.max(self.cfg.retry_backoff_ms))
    }

    /// `ensureCoordinatorReady`: a FindCoordinator unless one is in flight, backing off between
    /// failed attempts.
    fn find_coordinator(&mut self, now_ms: u64, out: &mut Vec<Output>) {
        if self.inflight_api(Api::FindCoordinator) || now_ms < self.next_find_ms {
            return;
        }
        self.next_find_ms = now_ms.saturating_add(self.find_backoff_ms());
        self.find_attempts = self.find_attempts.saturating_add(1);
        let req = Request::FindCoordinator { group_id: self.cfg.group_id.clone() };
        self.send(now_ms, req, out);
    }

    fn mark_coordinator_unknown(&mut self, now_ms: u64, reason: &str, out: &mut Vec<Output>) {
        if self.coordinator.take().is_some() {
            self.event(
                now_ms,
                GroupEvent::CoordinatorUnknown {
                    client_id: self.cfg.client_id.clone(),
                    reason: reason.to_string(),
                },
                out,
            );
        }
        // Requests to the old coordinator will never be answered usefully.
        self.inflight.retain(|_, f| f.api == Api::FindCoordinator);
        if let Some(m) = &mut self.membership {
            m.heartbeat_failed(now_ms);
        }
        if self.state == MemberState::CompletingRebalance {
            self.state = MemberState::PreparingRebalance;
        }
    }

    fn lose_or_revoke(
        &mut self,
        now_ms: u64,
        partitions: Vec<TopicPartition>,
        lost: bool,
        out: &mut Vec<Output>,
    ) {
        if partitions.is_empty() {
            return;
        }
        for tp in &partitions {
            self.commits_acked.remove(tp);
            self.assignment.remove(tp);
            self.positions.remove(tp);
            self.position_epochs.remove(tp);
            self.validated_epochs.remove(tp);
            self.need_offsets.remove(tp);
            self.no_offset.remove(tp);
        }
        self.event(
            now_ms,
            GroupEvent::Revoked {
                client_id: self.cfg.client_id.clone(),
                partitions: partitions.clone(),
                lost,
            },
            out,
        );
        out.push(Output::Revoked {
            group_id: self.cfg.group_id.clone(),
            client_id: self.cfg.client_id.clone(),
            partitions,
            lost,
            at_ms: now_ms,
        });
    }

    /// `resetStateAndGeneration`: out of the group; owned partitions are lost.
    fn reset_generation(&mut self, now_ms: u64, reset_member_id: bool, out: &mut Vec<Output>) {
        self.generation_id = -1;
        self.protocol_name = None;
        self.leader = false;
        if reset_member_id {
            self.member_id.clear();
        }
        self.state = MemberState::Unjoined;
        self.rejoin_needed = true;
        self.inflight
            .retain(|_, f| !matches!(f.api, Api::JoinGroup | Api::SyncGroup | Api::Heartbeat));
        let owned: Vec<TopicPartition> = self.assignment.iter().cloned().collect();
        self.lose_or_revoke(now_ms, owned, true, out);
    }

    // ----- lifecycle commands -----

    /// Hard crash: nothing more is sent; ownership ends now (the group notices at session expiry).
    pub fn crash(&mut self, now_ms: u64) -> Result<Vec<Output>, GroupError> {
        self.require_alive("crash")?;
        let mut out = Vec::new();
        self.lifecycle = ClientLifecycle::Crashed;
        let owned: Vec<TopicPartition> = self.assignment.iter().cloned().collect();
        self.lose_or_revoke(now_ms, owned, true, &mut out);
        self.batch.clear();
        self.pool.clear();
        self.inflight.clear();
        self.event(
            now_ms,
            GroupEvent::Lifecycle {
                client_id: self.cfg.client_id.clone(),
                what: "crashed".into(),
            },
            &mut out,
        );
        Ok(out)
    }

    /// Graceful close: the application finishes its current batch, then commits (auto commit),
    /// revokes everything and sends LeaveGroup at once. A stalled consumer closes immediately
    /// without committing its unprocessed batch.
    pub fn close(&mut self, now_ms: u64) -> Result<Vec<Output>, GroupError> {
        self.require_alive("close")?;
        let mut out = Vec::new();
        if self.lifecycle == ClientLifecycle::Running && (!self.batch.is_empty() || !self.pool.is_empty()) {
            self.closing = true;
            self.event(
                now_ms,
                GroupEvent::Lifecycle {
                    client_id: self.cfg.client_id.clone(),
                    what: "closing after the current batch".into(),
                },
                &mut out,
            );
        } else {
            let commit = self.lifecycle == ClientLifecycle::Running;
            self.do_close(now_ms, commit, &mut out);
        }
        Ok(out)
    }

    fn do_close(&mut self, now_ms: u64, commit: bool, out: &mut Vec<Output>) {
        if self.membership.is_some() {
            self.leave_member(now_ms, commit, out);
        } else {
            self.leave_classic(now_ms, commit, out);
        }
        self.batch.clear();
        self.pool.clear();
        self.inflight.clear();
        self.state = MemberState::Unjoined;
        self.lifecycle = ClientLifecycle::Closed;
        self.closing = false;
        self.event(
            now_ms,
            GroupEvent::Lifecycle {
                client_id: self.cfg.client_id.clone(),
                what: "closed".into(),
            },
            out,
        );
    }

    /// The classic consumer's part of `close()`: commit, revoke, LeaveGroup.
    fn leave_classic(&mut self, now_ms: u64, commit: bool, out: &mut Vec<Output>) {
        let valid = self.state == MemberState::Stable && self.generation_id >= 0;
        if commit && valid && self.cfg.commit_mode == CommitMode::Auto {
            self.commit_positions(now_ms, out);
        }
        let owned: Vec<TopicPartition> = self.assignment.iter().cloned().collect();
        self.lose_or_revoke(now_ms, owned, !valid, out);
        // `shouldSendLeaveGroupRequest`: a static member's partitions wait for its session
        // timeout (or its restart) instead.
        if !self.member_id.is_empty() && self.coordinator.is_some() && self.cfg.group_instance_id.is_none() {
            let req = Request::LeaveGroup {
                group_id: self.cfg.group_id.clone(),
                member_id: self.member_id.clone(),
                reason: "the consumer is being closed".into(),
            };
            self.send(now_ms, req, out);
        }
    }

    /// A non-retriable error (INCONSISTENT_GROUP_PROTOCOL, INVALID_SESSION_TIMEOUT, ...) is
    /// thrown from `poll`; the application dies and the consumer is closed without committing.
    fn fail(&mut self, now_ms: u64, error: ErrorCode, out: &mut Vec<Output>) {
        self.fatal = Some(error);
        self.event(
            now_ms,
            GroupEvent::Lifecycle {
                client_id: self.cfg.client_id.clone(),
                what: format!("poll() threw {error}; the application closes the consumer"),
            },
            out,
        );
        self.generation_id = -1;
        self.do_close(now_ms, false, out);
    }

    /// Processing gets stuck: no more `poll`, heartbeats continue in the background thread.
    pub fn stall(&mut self, now_ms: u64) -> Result<Vec<Output>, GroupError> {
        if self.lifecycle != ClientLifecycle::Running {
            return Err(self.lifecycle_error("stall"));
        }
        self.lifecycle = ClientLifecycle::Stalled;
        self.stalled_since_ms = now_ms;
        let mut out = Vec::new();
        self.event(
            now_ms,
            GroupEvent::Lifecycle {
                client_id: self.cfg.client_id.clone(),
                what: "processing stalled".into(),
            },
            &mut out,
        );
        Ok(out)
    }

    /// Processing resumes after a stall.
    pub fn resume(&mut self, now_ms: u64) -> Result<Vec<Output>, GroupError> {
        if self.lifecycle != ClientLifecycle::Stalled {
            return Err(self.lifecycle_error("resume"));
        }
        self.lifecycle = ClientLifecycle::Running;
        let stalled_for = now_ms.saturating_sub(self.stalled_since_ms);
        self.next_record_done_ms = self.next_record_done_ms.saturating_add(stalled_for);
        for (done, _, _) in &mut self.pool {
            *done = done.saturating_add(stalled_for);
        }
        for free in &mut self.workers_free_ms {
            *free = free.saturating_add(stalled_for);
        }
        if self.batch.is_empty() {
            self.next_poll_ms = Some(now_ms);
        }
        let mut out = Vec::new();
        self.event(
            now_ms,
            GroupEvent::Lifecycle {
                client_id: self.cfg.client_id.clone(),
                what: "processing resumed".into(),
            },
            &mut out,
        );
        Ok(out)
    }

    fn lifecycle_error(&self, operation: &'static str) -> GroupError {
        GroupError::InvalidLifecycle {
            client_id: self.cfg.client_id.clone(),
            operation,
            lifecycle: self.lifecycle,
        }
    }

    fn require_alive(&self, operation: &'static str) -> Result<(), GroupError> {
        if self.alive() {
            Ok(())
        } else {
            Err(self.lifecycle_error(operation))
        }
    }

    // ----- timers -----

    /// Runs the heartbeat thread and the application thread up to `now_ms`.
    pub fn handle_timeout(&mut self, now_ms: u64, env: &dyn PartitionSource) -> Vec<Output> {
        let mut out = Vec::new();
        if !self.alive() {
            return out;
        }
        // Request timeouts.
        let timed_out: Vec<(u64, Api)> = self
            .inflight
            .iter()
            .filter(|(_, f)| f.sent_ms.saturating_add(self.request_timeout_for(f.api)) <= now_ms)
            .map(|(c, f)| (*c, f.api))
            .collect();
        for (corr, api) in timed_out {
            self.inflight.remove(&corr);
            if api != Api::FindCoordinator {
                self.mark_coordinator_unknown(now_ms, "request timed out", &mut out);
            }
        }
        // Heartbeat thread.
        if self.membership.is_some() {
            self.member_heartbeat_thread(now_ms, &mut out);
        } else if self.in_group() {
            let since = now_ms.saturating_sub(self.last_poll_ms);
            if since > self.cfg.max_poll_interval_ms {
                self.leave_on_poll_timeout(now_ms, since, &mut out);
            } else if self.coordinator.is_none() {
                // The heartbeat thread looks the coordinator up itself (it may not wait for poll).
                self.find_coordinator(now_ms, &mut out);
            } else if self.coordinator.is_some()
                && !self.heartbeat_inflight()
                && now_ms >= self.next_heartbeat_ms
            {
                let req = Request::Heartbeat {
                    group_id: self.cfg.group_id.clone(),
                    generation_id: self.generation_id,
                    member_id: self.member_id.clone(),
                    group_instance_id: self.cfg.group_instance_id.clone(),
                };
                self.send(now_ms, req, &mut out);
                self.next_heartbeat_ms = now_ms.saturating_add(self.cfg.heartbeat_interval_ms);
            }
        }
        // Application thread.
        for _ in 0..MAX_POLLS_PER_CALL {
            if self.lifecycle != ClientLifecycle::Running {
                break;
            }
            self.process_due(now_ms, &mut out);
            if self.lifecycle != ClientLifecycle::Running || !self.batch.is_empty() {
                break;
            }
            match self.next_poll_ms {
                Some(p) if p <= now_ms => self.poll(now_ms, env, &mut out),
                _ => break,
            }
        }
        out
    }

    fn leave_on_poll_timeout(&mut self, now_ms: u64, since: u64, out: &mut Vec<Output>) {
        self.event(
            now_ms,
            GroupEvent::PollTimeoutExpired {
                client_id: self.cfg.client_id.clone(),
                member_id: self.member_id.clone(),
                since_last_poll_ms: since,
            },
            out,
        );
        // `maybeLeaveGroup` sends LeaveGroup for dynamic members only (KIP-345).
        if self.coordinator.is_some() && !self.member_id.is_empty() && self.cfg.group_instance_id.is_none() {
            let req = Request::LeaveGroup {
                group_id: self.cfg.group_id.clone(),
                member_id: self.member_id.clone(),
                reason: "consumer poll timeout has expired".into(),
            };
            self.send(now_ms, req, out);
        }
        self.reset_generation(now_ms, true, out);
    }

    /// `commitSync()` from the application: only possible in a stable generation.
    fn commit_sync(&mut self, now_ms: u64, out: &mut Vec<Output>) {
        if self.may_commit() && self.coordinator.is_some() {
            self.commit_positions(now_ms, out);
        } else if !self.positions.is_empty() || self.state != MemberState::Stable {
            let error = if self.state == MemberState::Unjoined {
                ErrorCode::UnknownMemberId
            } else {
                ErrorCode::RebalanceInProgress
            };
            self.event(
                now_ms,
                GroupEvent::RequestFailed {
                    client_id: self.cfg.client_id.clone(),
                    api: "OffsetCommit".into(),
                    error,
                },
                out,
            );
        }
    }

    fn commit_positions(&mut self, now_ms: u64, out: &mut Vec<Output>) {
        let offsets: Vec<OffsetCommitEntry> = self
            .positions
            .iter()
            // `SubscriptionState.allConsumed()`: every assigned partition's position, also the
            // ones already committed (`ConsumerCoordinator.maybeAutoCommitOffsetsAsync` re-sends
            // unchanged offsets every `auto.commit.interval.ms`).
            .filter(|(tp, _)| self.assignment.contains(*tp))
            .map(|(tp, o)| OffsetCommitEntry {
                tp: tp.clone(),
                offset: *o,
                metadata: String::new(),
            })
            .collect();
        if offsets.is_empty() {
            return;
        }
        let req = Request::OffsetCommit {
            group_id: self.cfg.group_id.clone(),
            generation_id: self.generation_id,
            member_id: self.member_id.clone(),
            group_instance_id: self.cfg.group_instance_id.clone(),
            offsets,
        };
        self.send(now_ms, req, out);
    }

    /// `KafkaConsumer.poll`: coordinator, group membership, auto commit, offsets, fetch.
    fn poll(&mut self, now_ms: u64, env: &dyn PartitionSource, out: &mut Vec<Output>) {
        self.last_poll_ms = now_ms;
        self.next_poll_ms = Some(now_ms.saturating_add(self.cfg.poll_timeout_ms));
        if self.fatal.is_some() {
            return;
        }
        if self.coordinator.is_none() {
            self.find_coordinator(now_ms, out);
        } else {
            self.refresh_metadata(now_ms, env, out);
            self.poll_coordinator(now_ms, out);
        }
        // `ClassicKafkaConsumer.poll` does not wait for the group (`updateAssignmentMetadataIfNeeded(
        // timer, false)`) before `pollForFetches`: the owned partitions that have a position keep
        // being consumed while a rebalance is in progress (a cooperative member's retained
        // partitions, KIP-429; an eager member revoked everything in `onJoinPrepare`) and while
        // the coordinator is unknown.
        self.poll_for_fetches(now_ms, env, out);
    }

    /// The periodic metadata refresh (`metadata.max.age.ms`): a leader whose subscribed topics'
    /// partition counts no longer match its `assignmentSnapshot` asks to rejoin
    /// (`ConsumerCoordinator.rejoinNeededOrPending`: "cached metadata has changed"). New
    /// partitions are noticed only then, or at the next rebalance.
    fn refresh_metadata(&mut self, now_ms: u64, env: &dyn PartitionSource, out: &mut Vec<Output>) {
        if now_ms < self.next_metadata_ms {
            return;
        }
        self.next_metadata_ms = now_ms.saturating_add(self.cfg.metadata_max_age_ms);
        if !self.leader || self.state != MemberState::Stable {
            return;
        }
        let changed: Vec<String> = self
            .assignment_snapshot
            .iter()
            .filter_map(|(t, &n)| env.partition_count(t).filter(|&now| now != n).map(|now| format!("{t}: {n} -> {now} partitions")))
            .collect();
        if !changed.is_empty() {
            self.rejoin_needed = true;
            self.event(
                now_ms,
                GroupEvent::Lifecycle { client_id: self.cfg.client_id.clone(), what: format!("cached metadata has changed ({}); rejoining", changed.join(", ")) },
                out,
            );
        }
    }

    /// `ConsumerCoordinator.poll` with a known coordinator: join or rejoin when needed; in a
    /// stable generation, the auto commit and the committed offsets of partitions without a
    /// position (a rebalance in progress returns before the auto commit).
    fn poll_coordinator(&mut self, now_ms: u64, out: &mut Vec<Output>) {
        if let Some(m) = &mut self.membership {
            // The consumer protocol's membership runs in the background; `poll()` only rejoins
            // after a poll timeout, then does the auto commit and the offset fetches.
            m.rejoin(now_ms);
            if let Some(r) = self.pending_reconcile.take() {
                self.apply_reconcile(now_ms, Some(r), out);
                self.send_member_heartbeat(now_ms, out);
            }
            if !self.may_commit() {
                return;
            }
            return self.poll_commits_and_offsets(now_ms, out);
        }
        match self.state {
            MemberState::Unjoined => {
                self.on_join_prepare(now_ms, out);
                self.send_join(now_ms, out);
            }
            MemberState::Stable if self.rejoin_needed => {
                self.on_join_prepare(now_ms, out);
                self.send_join(now_ms, out);
            }
            MemberState::PreparingRebalance => {
                if !self.inflight_api(Api::JoinGroup) {
                    self.send_join(now_ms, out);
                }
            }
            MemberState::CompletingRebalance => {
                if !self.inflight_api(Api::SyncGroup) && !self.inflight_api(Api::JoinGroup) {
                    self.state = MemberState::PreparingRebalance;
                    self.send_join(now_ms, out);
                }
            }
            MemberState::Stable => {}
        }
        if self.state != MemberState::Stable {
            return;
        }
        self.poll_commits_and_offsets(now_ms, out);
    }

    /// In a stable generation: the auto commit and the committed offsets of partitions
    /// without a position.
    fn poll_commits_and_offsets(&mut self, now_ms: u64, out: &mut Vec<Output>) {
        // Auto commit of the positions returned by the previous polls.
        if self.cfg.commit_mode == CommitMode::Auto
            && now_ms
                >= self
                    .last_auto_commit_ms
                    .saturating_add(self.cfg.auto_commit_interval_ms)
        {
            self.last_auto_commit_ms = now_ms;
            self.commit_positions(now_ms, out);
        }
        // Committed offsets for partitions without a position.
        if !self.need_offsets.is_empty() && !self.inflight_api(Api::OffsetFetch) {
            let req = Request::OffsetFetch {
                group_id: self.cfg.group_id.clone(),
                partitions: self.need_offsets.iter().cloned().collect(),
            };
            self.send(now_ms, req, out);
        }
    }

    /// `onJoinPrepare`: auto commit, then eager revokes everything; cooperative keeps its
    /// partitions; without a valid generation everything is already lost.
    fn on_join_prepare(&mut self, now_ms: u64, out: &mut Vec<Output>) {
        let valid = self.generation_id >= 0 && !self.member_id.is_empty();
        if valid && self.cfg.commit_mode == CommitMode::Auto && self.coordinator.is_some() {
            self.commit_positions(now_ms, out);
        }
        let owned: Vec<TopicPartition> = self.assignment.iter().cloned().collect();
        if !valid {
            self.lose_or_revoke(now_ms, owned, true, out);
        } else if self.protocol == RebalanceProtocol::Eager {
            self.lose_or_revoke(now_ms, owned, false, out);
        }
        self.state = MemberState::PreparingRebalance;
    }

    fn send_join(&mut self, now_ms: u64, out: &mut Vec<Output>) {
        if self.coordinator.is_none() {
            self.state = MemberState::PreparingRebalance;
            return;
        }
        let owned: Vec<TopicPartition> = match self.protocol {
            RebalanceProtocol::Cooperative => self.assignment.iter().cloned().collect(),
            RebalanceProtocol::Eager => Vec::new(),
        };
        let subscription = Subscription {
            topics: self.cfg.topics.clone(),
            owned_partitions: owned.clone(),
            generation_id: self.generation_id,
        };
        let protocols = self
            .cfg
            .assignment_strategies
            .iter()
            .map(|name| {
                let mut metadata = subscription.clone();
                // `StickyAssignor.memberData` reads the previous assignment and generation from the
                // userData of its own subscription (`subscriptionUserData`), never from the
                // owned partitions: an eager member has revoked those before it joins.
                if name == "sticky" && self.protocol == RebalanceProtocol::Eager {
                    let (partitions, generation) = self.sticky_user_data.clone().unwrap_or((Vec::new(), -1));
                    metadata.owned_partitions = partitions;
                    metadata.generation_id = generation;
                }
                JoinProtocol { name: name.clone(), metadata }
            })
            .collect();
        let req = Request::JoinGroup {
            group_id: self.cfg.group_id.clone(),
            member_id: self.member_id.clone(),
            group_instance_id: self.cfg.group_instance_id.clone(),
            client_id: self.cfg.client_id.clone(),
            protocol_type: CONSUMER_PROTOCOL_TYPE.into(),
            protocols,
            session_timeout_ms: self.cfg.session_timeout_ms,
            rebalance_timeout_ms: self.cfg.max_poll_interval_ms,
        };
        self.inflight
            .retain(|_, f| f.api != Api::JoinGroup && f.api != Api::SyncGroup);
        self.send(now_ms, req, out);
        self.state = MemberState::PreparingRebalance;
        self.rejoin_needed = false;
        self.event(
            now_ms,
            GroupEvent::JoinGroupSent {
                client_id: self.cfg.client_id.clone(),
                member_id: self.member_id.clone(),
                owned,
            },
            out,
        );
    }

    // ----- responses -----

    /// Handles a response addressed to this consumer (anything else, or a stale response, is ignored).
    pub fn handle_message(
        &mut self,
        now_ms: u64,
        msg: &Message,
        env: &dyn PartitionSource,
    ) -> Vec<Output> {
        let mut out = Vec::new();
        if !self.alive() || msg.to != Endpoint::Client(self.cfg.client_id.clone()) {
            return out;
        }
        let Body::Response(resp) = &msg.body else {
            return out;
        };
        let Some(flight) = self.inflight.remove(&msg.correlation_id) else {
            return out;
        };
        if let Response::ConsumerGroupHeartbeat(r) = resp {
            self.on_member_heartbeat(now_ms, r, &mut out);
            return out;
        }
        let err = resp.error();
        if err != ErrorCode::None && err != ErrorCode::MemberIdRequired {
            let api = format!("{:?}", flight.api);
            self.event(
                now_ms,
                GroupEvent::RequestFailed {
                    client_id: self.cfg.client_id.clone(),
                    api,
                    error: err,
                },
                &mut out,
            );
        }
        if err.is_coordinator_error() {
            self.mark_coordinator_unknown(now_ms, err.name(), &mut out);
            return out;
        }
        let same_generation = flight.generation_id == self.generation_id;
        match resp {
            Response::FindCoordinator { coordinator_id, .. } => {
                if let Some(b) = coordinator_id {
                    self.find_attempts = 0;
                    self.coordinator = Some(*b);
                    self.next_heartbeat_ms = now_ms;
                    self.event(
                        now_ms,
                        GroupEvent::CoordinatorDiscovered {
                            client_id: self.cfg.client_id.clone(),
                            broker_id: *b,
                        },
                        &mut out,
                    );
                }
            }
            Response::JoinGroup {
                error,
                generation_id,
                protocol_name,
                leader,
                member_id,
                members,
            } => match error {
                ErrorCode::None => {
                    self.member_id = member_id.clone();
                    self.generation_id = *generation_id;
                    self.protocol_name = protocol_name.clone();
                    self.leader = leader == member_id;
                    self.state = MemberState::CompletingRebalance;
                    self.next_heartbeat_ms = now_ms.saturating_add(self.cfg.heartbeat_interval_ms);
                    let protocol = protocol_name.clone().unwrap_or_default();
                    self.event(
                        now_ms,
                        GroupEvent::JoinedGeneration {
                            client_id: self.cfg.client_id.clone(),
                            member_id: member_id.clone(),
                            generation_id: *generation_id,
                            leader: self.leader,
                            protocol: protocol.clone(),
                        },
                        &mut out,
                    );
                    let assignments = if self.leader {
                        self.assignment_snapshot = metadata_snapshot(members, env);
                        self.perform_assignment(now_ms, &protocol, members, env, &mut out)
                    } else {
                        self.assignment_snapshot.clear();
                        Vec::new()
                    };
                    let req = Request::SyncGroup {
                        group_id: self.cfg.group_id.clone(),
                        generation_id: self.generation_id,
                        member_id: self.member_id.clone(),
                        group_instance_id: self.cfg.group_instance_id.clone(),
                        protocol_name: protocol,
                        assignments,
                    };
                    self.send(now_ms, req, &mut out);
                }
                ErrorCode::MemberIdRequired => {
                    self.member_id = member_id.clone();
                    self.send_join(now_ms, &mut out);
                }
                ErrorCode::UnknownMemberId | ErrorCode::IllegalGeneration => {
                    self.reset_generation(now_ms, *error == ErrorCode::UnknownMemberId, &mut out);
                    self.on_join_prepare(now_ms, &mut out);
                    self.send_join(now_ms, &mut out);
                }
                ErrorCode::RebalanceInProgress => self.send_join(now_ms, &mut out),
                // Retriable: the next poll sends the JoinGroup again.
                ErrorCode::CoordinatorLoadInProgress => {}
                fatal => self.fail(now_ms, *fatal, &mut out),
            },
            Response::SyncGroup { error, partitions } => match error {
                ErrorCode::None => self.on_join_complete(now_ms, partitions, &mut out),
                ErrorCode::RebalanceInProgress | ErrorCode::CoordinatorLoadInProgress => self.send_join(now_ms, &mut out),
                ErrorCode::UnknownMemberId | ErrorCode::IllegalGeneration => {
                    self.reset_generation(now_ms, *error == ErrorCode::UnknownMemberId, &mut out);
                    self.on_join_prepare(now_ms, &mut out);
                    self.send_join(now_ms, &mut out);
                }
                fatal => self.fail(now_ms, *fatal, &mut out),
            },
            Response::Heartbeat { error } => match error {
                ErrorCode::None => self.last_heartbeat_ack_ms = Some(now_ms),
                // `HeartbeatResponseHandler`: "Received fatal exception: group.instance.id gets
                // fenced" while the generation is unchanged; the next poll throws
                // FencedInstanceIdException. (A stale answer from an older generation is ignored.)
                ErrorCode::FencedInstanceId if same_generation => self.fail(now_ms, *error, &mut out),
                ErrorCode::RebalanceInProgress if self.state == MemberState::Stable => {
                    self.rejoin_needed = true;
                }
                ErrorCode::UnknownMemberId | ErrorCode::IllegalGeneration
                    if same_generation && self.in_group() =>
                {
                    self.reset_generation(now_ms, *error == ErrorCode::UnknownMemberId, &mut out);
                }
                _ => {}
            },
            Response::OffsetCommit { results } => {
                for (tp, e) in results {
                    let sent = flight
                        .offsets
                        .iter()
                        .find(|(t, _)| t == tp)
                        .map(|(_, o)| *o);
                    if let (ErrorCode::None, Some(o), true) =
                        (*e, sent, self.assignment.contains(tp))
                    {
                        self.commits_acked.insert(tp.clone(), o);
                    }
                }
                let e = resp.error();
                if e == ErrorCode::FencedInstanceId && same_generation {
                    // `OffsetCommitResponseHandler`: FencedInstanceIdException reaches the application.
                    self.fail(now_ms, e, &mut out);
                } else if matches!(e, ErrorCode::UnknownMemberId | ErrorCode::IllegalGeneration)
                    && same_generation
                    && self.in_group()
                    && self.membership.is_none()
                {
                    // Classic (`ConsumerCoordinator.OffsetCommitResponseHandler`): out of the
                    // generation. A consumer-protocol member's commit just fails
                    // (`CommitRequestManager`: CommitFailedException, or a retriable
                    // STALE_MEMBER_EPOCH); only its heartbeat fences it, and the membership keeps
                    // its member id and owned partitions until then.
                    self.reset_generation(now_ms, e == ErrorCode::UnknownMemberId, &mut out);
                }
            }
            Response::OffsetFetch { error, offsets } => {
                if *error == ErrorCode::None {
                    for (tp, committed) in offsets {
                        if !self.assignment.contains(tp) || !self.need_offsets.remove(tp) {
                            continue;
                        }
                        match committed {
                            Some(o) => {
                                // The committed offset carries no leader epoch here: nothing to
                                // validate until a record is consumed.
                                self.positions.insert(tp.clone(), *o);
                                self.position_epochs.remove(tp);
                            }
                            None => self.reset_position(
                                now_ms,
                                tp,
                                "no committed offset",
                                env,
                                &mut out,
                            ),
                        }
                    }
                }
            }
            Response::LeaveGroup { .. } | Response::ConsumerGroupHeartbeat(_) | Response::ShareGroupHeartbeat(_) | Response::ShareFetch { .. } | Response::ShareAcknowledge { .. } => {}
        }
        out
    }

    /// The leader's `onLeaderElected` / `performAssignment`.
    fn perform_assignment(
        &self,
        now_ms: u64,
        protocol: &str,
        members: &[JoinResponseMember],
        env: &dyn PartitionSource,
        out: &mut Vec<Output>,
    ) -> Vec<SyncAssignment> {
        let topics = metadata_snapshot(members, env);
        let subs: Vec<MemberSubscription> = members
            .iter()
            .map(|m| MemberSubscription {
                member_id: m.member_id.clone(),
                topics: m.metadata.topics.clone(),
                owned_partitions: m
                    .metadata
                    .owned_partitions
                    .iter()
                    .map(|tp| (tp.topic.to_string(), tp.partition))
                    .collect(),
                generation_id: m.metadata.generation_id,
            })
            .collect();
        let mut result: VecMap<String, Vec<TopicPartition>> = VecMap::new();
        result.extend(members.iter().map(|m| (m.member_id.clone(), Vec::new())));
        match (self.assignor)(protocol, &topics, &subs) {
            Err(e) => {
                self.event(
                    now_ms,
                    GroupEvent::AssignmentFailed {
                        client_id: self.cfg.client_id.clone(),
                        error: e,
                    },
                    out,
                );
            }
            Ok(map) => {
                let mut taken: VecSet<TopicPartition> = VecSet::new();
                let mut problems = Vec::new();
                for (member, parts) in map {
                    let Some(slot) = result.get_mut(&member) else {
                        problems.push(format!("assignment for unknown member {member}"));
                        continue;
                    };
                    for (t, p) in parts {
                        let tp = TopicPartition::new(t, p);
                        if topics.get(tp.topic.as_str()).is_none_or(|n| tp.partition >= *n) {
                            problems.push(format!("unknown partition {tp}"));
                        } else if !taken.insert(tp.clone()) {
                            problems.push(format!("{tp} assigned twice"));
                        } else {
                            slot.push(tp);
                        }
                    }
                }
                if !problems.is_empty() {
                    self.event(
                        now_ms,
                        GroupEvent::AssignmentFailed {
                            client_id: self.cfg.client_id.clone(),
                            error: problems.join("; "),
                        },
                        out,
                    );
                }
            }
        }
        if self.protocol == RebalanceProtocol::Cooperative || protocol == "cooperative-sticky" {
            // KIP-429: a partition moving between members is first only revoked; it is handed to
            // its new owner in the follow-up rebalance (CooperativeStickyAssignor's adjustment).
            let mut owner: VecMap<TopicPartition, &str> = VecMap::new();
            for m in members {
                for tp in &m.metadata.owned_partitions {
                    owner.insert(tp.clone(), m.member_id.as_str());
                }
            }
            for (member, parts) in result.iter_mut() {
                parts.retain(|tp| owner.get(tp).is_none_or(|o| *o == member.as_str()));
            }
        }
        result
            .into_iter()
            .map(|(member_id, partitions)| SyncAssignment {
                member_id,
                partitions,
            })
            .collect()
    }

    /// `onPartitionsAssigned`: the consumer owns `added` from now on and fetches their
    /// committed offsets.
    fn assign_partitions(&mut self, now_ms: u64, added: Vec<TopicPartition>, out: &mut Vec<Output>) {
        if added.is_empty() {
            return;
        }
        for tp in &added {
            self.assignment.insert(tp.clone());
            self.need_offsets.insert(tp.clone());
        }
        self.event(
            now_ms,
            GroupEvent::Assigned {
                client_id: self.cfg.client_id.clone(),
                partitions: added.clone(),
            },
            out,
        );
        out.push(Output::Assigned {
            group_id: self.cfg.group_id.clone(),
            client_id: self.cfg.client_id.clone(),
            partitions: added,
            at_ms: now_ms,
        });
    }

    // ----- the consumer protocol (KIP-848) -----

    /// The background thread of a consumer-protocol member: the poll timer, the coordinator
    /// lookup, and the `ConsumerGroupHeartbeat` when one is due.
    fn member_heartbeat_thread(&mut self, now_ms: u64, out: &mut Vec<Output>) {
        let since = now_ms.saturating_sub(self.last_poll_ms);
        let Some(m) = &mut self.membership else { return };
        if since > self.cfg.max_poll_interval_ms && matches!(m.state(), ClientState::Joining | ClientState::Reconciling | ClientState::Acknowledging | ClientState::Stable) {
            let member_id = m.member_id().to_string();
            let r = m.poll_timeout(now_ms);
            self.event(now_ms, GroupEvent::PollTimeoutExpired { client_id: self.cfg.client_id.clone(), member_id, since_last_poll_ms: since }, out);
            self.apply_reconcile(now_ms, r, out);
        }
        if !self.in_group() {
            return;
        }
        if self.coordinator.is_none() {
            self.find_coordinator(now_ms, out);
            return;
        }
        self.send_member_heartbeat(now_ms, out);
    }

    /// Sends the `ConsumerGroupHeartbeat` if one is due.
    fn send_member_heartbeat(&mut self, now_ms: u64, out: &mut Vec<Output>) {
        let Some(m) = &mut self.membership else { return };
        if self.coordinator.is_none() || !m.heartbeat_due(now_ms) {
            return;
        }
        let heartbeat = m.heartbeat(now_ms);
        let req = Request::ConsumerGroupHeartbeat { group_id: self.cfg.group_id.clone(), heartbeat };
        self.send(now_ms, req, out);
    }

    /// A `ConsumerGroupHeartbeat` answer: the membership takes it, the partitions follow.
    fn on_member_heartbeat(&mut self, now_ms: u64, resp: &HeartbeatResponse, out: &mut Vec<Output>) {
        let Some(m) = &mut self.membership else { return };
        let r = m.on_response(now_ms, resp);
        let (state, epoch, fatal) = (m.state(), m.member_epoch(), m.fatal_error());
        if resp.error != ErrorCode::None {
            self.event(now_ms, GroupEvent::RequestFailed { client_id: self.cfg.client_id.clone(), api: "ConsumerGroupHeartbeat".into(), error: resp.error }, out);
        }
        if resp.error.is_coordinator_error() {
            self.mark_coordinator_unknown(now_ms, resp.error.name(), out);
            return;
        }
        self.generation_id = if state == ClientState::Stable || epoch > 0 { epoch } else { -1 };
        self.apply_reconcile(now_ms, r, out);
        if let Some(error) = fatal.filter(|_| self.fatal.is_none()) {
            self.fail(now_ms, error, out);
            return;
        }
        // ACKNOWLEDGING (or a rejoin after a fence) sends the next heartbeat at once.
        self.send_member_heartbeat(now_ms, out);
    }

    /// Carries out a reconciliation: commit first under auto commit, revoke, assign, then tell
    /// the membership; or lose everything.
    fn apply_reconcile(&mut self, now_ms: u64, r: Option<Reconcile>, out: &mut Vec<Output>) {
        match r {
            None => {}
            Some(Reconcile::Lose(lost)) => {
                self.pending_reconcile = None;
                self.lose_or_revoke(now_ms, lost, true, out);
            }
            Some(r @ Reconcile::Apply { .. }) if self.lifecycle == ClientLifecycle::Stalled && !matches!(&r, Reconcile::Apply { revoke, commit_first: false, .. } if revoke.is_empty()) => {
                // The application is stuck: the revocation waits for its next poll().
                self.pending_reconcile = Some(r);
            }
            Some(Reconcile::Apply { revoke, assign, commit_first }) => {
                if commit_first && self.coordinator.is_some() {
                    // `maybeAutoCommitSyncBeforeRebalance`, with the epoch the partitions were owned in.
                    self.commit_positions(now_ms, out);
                }
                self.lose_or_revoke(now_ms, revoke, false, out);
                self.assign_partitions(now_ms, assign, out);
                if let Some(m) = &mut self.membership {
                    m.reconciled(now_ms);
                }
            }
        }
    }

    /// A consumer-protocol member's part of `close()`: commit (auto commit), revoke, then the
    /// leave heartbeat (-1, or -2 for a static member) at once.
    fn leave_member(&mut self, now_ms: u64, commit: bool, out: &mut Vec<Output>) {
        if commit && self.may_commit() && self.cfg.commit_mode == CommitMode::Auto && self.coordinator.is_some() {
            self.commit_positions(now_ms, out);
        }
        let r = self.membership.as_mut().and_then(|m| m.leave(now_ms));
        if let Some(Reconcile::Apply { revoke, .. }) = r {
            self.lose_or_revoke(now_ms, revoke, false, out);
        }
        let owned: Vec<TopicPartition> = self.assignment.iter().cloned().collect();
        self.lose_or_revoke(now_ms, owned, true, out);
        self.send_member_heartbeat(now_ms, out);
    }

    /// `onJoinComplete`.
    fn on_join_complete(
        &mut self,
        now_ms: u64,
        partitions: &[TopicPartition],
        out: &mut Vec<Output>,
    ) {
        if self.protocol_name.as_deref() == Some("sticky") {
            // `StickyAssignor.onAssignment`: remember what this generation gave us.
            self.sticky_user_data = Some((partitions.to_vec(), self.generation_id));
        }
        self.state = MemberState::Stable;
        self.rejoin_needed = false;
        // `ConsumerCoordinator.onJoinComplete`: "reschedule the auto commit starting from now"
        // (`nextAutoCommitTimer.updateAndReset(autoCommitIntervalMs)`).
        if self.cfg.commit_mode == CommitMode::Auto {
            self.last_auto_commit_ms = now_ms;
        }
        self.next_heartbeat_ms = now_ms.saturating_add(self.cfg.heartbeat_interval_ms);
        let mut new = VecSet::new();
        new.extend(partitions.iter().cloned());
        self.event(
            now_ms,
            GroupEvent::SyncedGeneration {
                client_id: self.cfg.client_id.clone(),
                generation_id: self.generation_id,
                assignment: partitions.to_vec(),
            },
            out,
        );
        let revoked: Vec<TopicPartition> = self.assignment.difference(&new).cloned().collect();
        let added: Vec<TopicPartition> = new.difference(&self.assignment).cloned().collect();
        if !revoked.is_empty() {
            // Cooperative: give up what moved, then rejoin so it can be reassigned.
            self.lose_or_revoke(now_ms, revoked, false, out);
            self.rejoin_needed = true;
        }
        self.assign_partitions(now_ms, added, out);
        if self.rejoin_needed && self.lifecycle == ClientLifecycle::Running && self.batch.is_empty()
        {
            // The follow-up JoinGroup goes out from the same poll loop.
            self.next_poll_ms = Some(now_ms);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `AutoOffsetResetStrategy.fromString` with `java.time.Duration.parse`'s format.
    #[test]
    fn auto_offset_reset_reads_kafkas_values() {
        let read = |s: &str| AutoOffsetReset::try_from(s.to_string());
        assert_eq!(read("earliest"), Ok(AutoOffsetReset::Earliest));
        assert_eq!(read("by_duration:PT5M"), Ok(AutoOffsetReset::ByDuration { duration_ms: 300_000 }));
        assert_eq!(read("by_duration:P1DT2H"), Ok(AutoOffsetReset::ByDuration { duration_ms: 93_600_000 }));
        assert_eq!(read("by_duration:PT0.5S"), Ok(AutoOffsetReset::ByDuration { duration_ms: 500 }));
        for bad in ["Earliest", "by_duration:", "by_duration:-PT5S", "by_duration:5m", "by_duration:PT", "by_duration:P", "smallest"] {
            assert!(read(bad).unwrap_err().contains("must be either 'earliest', 'latest', 'none'"), "{bad}");
        }
        for v in ["earliest", "latest", "none", "by_duration:PT5M", "by_duration:PT1H30M", "by_duration:PT0.5S"] {
            assert_eq!(read(v).unwrap().name(), v, "round trip");
        }
    }
}
