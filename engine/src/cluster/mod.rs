//! The Kafka log layer: brokers, topics, partitions, replication, ISR, high watermarks,
//! leader election, truncation, retention and compaction.
//!
//! Kafka classes this follows:
//! * `kafka.cluster.Partition` — leader-side follower state (`updateFollowerFetchState`,
//!   `maybeExpandIsr`, `maybeShrinkIsr`, `maybeIncrementLeaderHW`);
//! * `ReplicaFetcherThread` / `AbstractFetcherThread` — one fetcher per follower broker that
//!   fetches every partition it follows, truncating first with `OffsetsForLeaderEpoch`;
//! * `ReplicationControlManager` / `PartitionChangeBuilder` (KRaft controller) — leader election
//!   from the ISR in replica order, unclean election, fencing a broker whose session expired,
//!   controlled shutdown;
//! * `StripedReplicaPlacer` rack-unaware path (like `AdminUtils.assignReplicasToBrokers`) —
//!   replica placement with a random start index and shift;
//! * `UnifiedLog` — log start offset, segments, retention, the log cleaner.
//!
//! This file holds the types, the sans-IO driving, lookups, topic creation and replica
//! placement, appends, the `__consumer_offsets` hooks, the state hash and the invariants; the
//! follower fetch path is in `fetch.rs`, the controller and elections in `controller.rs`, log
//! retention and the cleaner in `retention.rs`.
//!
//! Exactness notes (what is simplified) are in the crate docs.

mod controller;
pub mod event;
mod fetch;
pub mod log;
mod retention;

use crate::kernel::vecmap::VecMap;

use serde::{Deserialize, Serialize};
use crate::kafka::error::SimError;
pub use event::ClusterEvent;
use crate::kernel::Ctx;
use crate::kernel::{Outbox, Timers};
use crate::kafka::topic::{self, TopicConfig};

pub use log::{Log, Record, Segment, NO_KEY};

/// Caps on sizes (see crate docs).
pub mod limits {
    /// Brokers in a cluster.
    pub const MAX_BROKERS: u32 = 100;
    /// Partitions of one topic.
    pub const MAX_PARTITIONS_PER_TOPIC: u32 = 10_000;
    /// Partitions over all topics.
    pub const MAX_TOTAL_PARTITIONS: u32 = 50_000;
    /// Topics.
    pub const MAX_TOPICS: usize = 1_000;
    /// Distinct record keys interned over the whole run.
    pub const MAX_KEYS: usize = 1_000_000;
    /// Producer identities over the whole run.
    pub const MAX_PRODUCERS: usize = 10_000;
    /// Records of one `Produce` command.
    pub const MAX_PRODUCE_COUNT: u32 = 1_000_000;
    /// Records per second of one simulated producer.
    pub const MAX_RATE_PER_SEC: u32 = 10_000_000;
    /// Keys of a `KeySpec::Random` / `KeySpec::Fixed`.
    pub const MAX_KEYSPEC_KEYS: u32 = 100_000;
}

/// Replication and broker settings (subset of `SimConfig`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterConfig {
    /// Default follower fetch delay.
    pub replica_fetch_delay_ms: u64,
    /// `replica.lag.time.max.ms`.
    pub replica_lag_time_max_ms: u64,
    /// `replica.fetch.backoff.ms` (retry after a failed fetch).
    pub replica_fetch_backoff_ms: u64,
    /// Max records copied per partition per fetch (`replica.fetch.max.bytes` / record size).
    pub replica_fetch_max_records: u64,
    /// `broker.session.timeout.ms` (KRaft).
    pub broker_session_timeout_ms: u64,
    /// `replica.fetch.wait.max.ms`: an idle follower's fetch returns after this long, which is
    /// how it learns a newer high watermark when no new data arrives.
    pub replica_fetch_wait_max_ms: u64,
    /// Simulated bytes per record.
    pub record_size_bytes: u64,
    /// `log.retention.check.interval.ms`.
    pub log_retention_check_interval_ms: u64,
    /// `log.cleaner.backoff.ms`.
    pub log_cleaner_backoff_ms: u64,
    /// `min.cleanable.dirty.ratio` in percent (Kafka default 0.5 → 50).
    pub min_cleanable_dirty_ratio_percent: u64,
    /// Cap on records held by all replica logs together.
    pub max_retained_records: u64,
    /// Report per-batch detail events (append, fetch, HW).
    pub detail_events: bool,
    /// KIP-966 eligible leader replicas (`eligible.leader.replicas.version` = 1, the default of
    /// new 4.1+ clusters): the ISR may become empty and an ELR member can then lead cleanly.
    pub eligible_leader_replicas: bool,
}

/// The `acks` of a produce request (`ProducerConfig.ACKS_CONFIG`), which decides when the leader
/// acknowledges it. Producer setting (`ProducerConfig.ACKS_CONFIG`); Kafka's default since 3.0 is `all`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default, PartialOrd, Ord)]
pub enum Acks {
    /// `acks=0`: fire and forget, never acknowledged.
    #[serde(rename = "0")]
    Zero,
    /// `acks=1`: acknowledged once the leader appended the record.
    #[serde(rename = "1")]
    One,
    /// `acks=all` (`-1`): acknowledged once the high watermark passed the record; rejected with
    /// `NOT_ENOUGH_REPLICAS` when the ISR is smaller than `min.insync.replicas`.
    #[default]
    #[serde(rename = "all")]
    All,
}

/// `Partition.effectiveMinIsr`: `min.insync.replicas` capped at the partition's replica count, so
/// a topic whose `min.insync.replicas` exceeds its replication factor still takes acks=all
/// writes once every replica is in sync (Kafka 4.x; FACTS-4x §11).
pub fn effective_min_isr(min_insync_replicas: u16, replicas: usize) -> usize {
    usize::from(min_insync_replicas).min(replicas)
}

/// The value of an offset commit record that deletes the offset (an expired offset's tombstone).
pub const OFFSET_TOMBSTONE: u64 = u64::MAX;

/// The log layer's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClusterTimer {
    /// A follower broker's replica fetcher runs (one fetch to every leader it follows).
    Fetch { broker: u32 },
    /// The leaders' `isr-expiration` task (`maybeShrinkIsr`, every `replica.lag.time.max.ms / 2`).
    IsrExpiration,
    /// The controller's broker session for `broker` (incarnation `epoch`) expires: fence it.
    Fence { broker: u32, incarnation: u32 },
    /// Log retention check (`log.retention.check.interval.ms`).
    Retention,
    /// Log cleaner pass (`log.cleaner.backoff.ms`).
    Cleaner,
}

/// One broker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broker {
    /// `node.id`.
    pub id: u32,
    /// Process running.
    pub alive: bool,
    /// Fenced by the controller.
    pub fenced: bool,
    /// Per-broker fetch delay override.
    pub fetch_delay_ms: Option<u64>,
    /// A `ClusterTimer::Fetch` is pending for it.
    pub fetch_scheduled: bool,
    /// Incremented on each crash so stale `Fence` timers are ignored.
    pub incarnation: u32,
    /// It stopped by crashing (not a controlled shutdown) and has not registered again yet.
    pub unclean_shutdown: bool,
}

/// Leader-side view of one replica (`kafka.cluster.Replica` state).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct RemoteReplica {
    /// LEO the follower reported in its last fetch (`None` = unknown since leader change).
    pub leo: Option<u64>,
    /// `lastCaughtUpTimeMs` (`None` = never).
    pub last_caught_up_ms: Option<u64>,
    /// `lastFetchLeaderLogEndOffset`.
    pub last_fetch_leader_leo: u64,
    /// `lastFetchTimeMs`.
    pub last_fetch_ms: u64,
    /// The replica must truncate (OffsetsForLeaderEpoch) before fetching again.
    pub needs_truncation: bool,
    /// Idle since a fetch round of its broker found nothing to do: the fetcher skips it and
    /// `last_caught_up_ms` / `last_fetch_ms` are that broker's latest round time (see
    /// [`Cluster::wake_partition`], which writes them back before anything changes).
    lazy: bool,
}

/// A record that left the partition history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LostRecord {
    /// Offset it had.
    pub offset: u64,
    /// Producer index.
    pub producer_id: u32,
    /// Producer sequence.
    pub sequence: u32,
    /// Whether the producer had been acknowledged.
    pub acknowledged: bool,
}

/// Max lost records remembered individually per partition (counts are always exact).
pub const MAX_LOST_RECORDED: usize = 10_000;

/// One partition with all its replicas.
#[derive(Clone, Debug)]
pub struct Partition {
    /// Index.
    pub partition: u32,
    /// Assigned replicas, preferred leader first.
    pub replicas: Vec<u32>,
    /// In-sync replicas (kept in replica order).
    pub isr: Vec<u32>,
    /// Current leader.
    pub leader: Option<u32>,
    /// Leader epoch (bumped on every leader change).
    pub leader_epoch: u32,
    /// Partition epoch (bumped on every leader/ISR change).
    pub partition_epoch: u32,
    /// The most recent non-`None` leader.
    pub last_leader: Option<u32>,
    /// Logs, same order as `replicas`.
    pub logs: Vec<Log>,
    /// Leader's view of each replica, same order as `replicas`.
    pub remote: Vec<RemoteReplica>,
    /// Records removed by the cleaner on the leader.
    pub compacted_records: u64,
    /// Records lost (left the history).
    pub lost_records: u64,
    /// Of those, acknowledged ones.
    pub lost_acknowledged: u64,
    /// Acknowledged records lost that had been committed (below the HW) — must stay 0 unless
    /// an unclean election happened.
    pub lost_committed: u64,
    /// The individual lost records (first [`MAX_LOST_RECORDED`]).
    pub lost: Vec<LostRecord>,
    /// Unclean elections that happened.
    pub unclean_elections: u32,
    /// KIP-966 eligible leader replicas: former ISR members that hold every committed record
    /// (the HW did not advance while the ISR was below `min.insync.replicas`), electable
    /// cleanly when the ISR is empty.
    pub elr: Vec<u32>,
    /// `lastKnownElr` as Kafka keeps it by default (`useLastKnownLeaderInBalancedRecovery`):
    /// the leader the partition had when its ISR became empty, electable (flagged unclean)
    /// when the ISR and the ELR are both empty; cleared once the partition has a leader.
    pub last_known_elr: Vec<u32>,
}

impl Partition {
    fn replica_index(&self, broker: u32) -> Option<usize> {
        self.replicas.iter().position(|&b| b == broker)
    }

    /// `PartitionChangeBuilder.maybePopulateTargetElr` after the ISR changed from `old_isr`:
    /// while the ISR is below the effective `min.insync.replicas`, ELR = (ELR ∪ old ISR) − ISR;
    /// once it is back at the minimum, the ELR is cleared. Then `maybeUpdateLastKnownLeader`:
    /// an ISR that became empty remembers the leader the partition had (none if it had none).
    fn update_elr(&mut self, old_isr: &[u32], min_insync_replicas: u16) {
        if self.isr.is_empty() && !old_isr.is_empty() {
            self.last_known_elr = self.leader.into_iter().collect();
        }
        if self.isr.len() >= effective_min_isr(min_insync_replicas, self.replicas.len()) {
            self.elr.clear();
            return;
        }
        for &b in old_isr {
            if !self.elr.contains(&b) {
                self.elr.push(b);
            }
        }
        let isr = &self.isr;
        self.elr.retain(|b| !isr.contains(b));
        let order = &self.replicas;
        crate::kernel::sort::sort_by_key(&mut self.elr, |b| order.iter().position(|x| x == b).unwrap_or(usize::MAX));
    }
    /// Leader's log (or the last leader's when offline).
    pub fn leader_log(&self) -> Option<&Log> {
        let b = self.leader.or(self.last_leader)?;
        self.replica_index(b).map(|i| &self.logs[i])
    }
    /// Log hosted by `broker`.
    pub fn log_of(&self, broker: u32) -> Option<&Log> {
        self.replica_index(broker).map(|i| &self.logs[i])
    }
    fn sort_isr(&mut self) {
        let order = &self.replicas;
        crate::kernel::sort::sort_by_key(&mut self.isr, |b| order.iter().position(|x| x == b).unwrap_or(usize::MAX));
        self.isr.dedup();
    }
}

/// One topic.
#[derive(Clone, Debug)]
pub struct Topic {
    /// Name.
    pub name: String,
    /// Internal topic.
    pub internal: bool,
    /// Configs.
    pub config: TopicConfig,
    /// Replication factor.
    pub replication_factor: u16,
    /// Partitions.
    pub partitions: Vec<Partition>,
}

/// Identity of a record source (simulated producer, console producer, group coordinator).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProducerIdentity {
    /// `client.id`.
    pub name: String,
    /// Its `acks`.
    pub acks: Acks,
    /// Next sequence number.
    pub next_sequence: u32,
    /// Records acknowledged (acks=all: when the HW passes them).
    pub acknowledged: u64,
}

/// Why an append failed (Kafka error names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppendError {
    /// `NOT_LEADER_OR_FOLLOWER` / partition offline.
    NotLeaderOrFollower,
    /// Leader's broker is down (client sees a `NetworkException`).
    NetworkException,
    /// `NOT_ENOUGH_REPLICAS` (acks=all, ISR < min.insync.replicas).
    NotEnoughReplicas,
    /// `KAFKA_STORAGE_ERROR` (GroupLab's retained-record cap reached).
    KafkaStorageError,
    /// `INVALID_RECORD` (null key on a compacted topic).
    InvalidRecord,
    /// `UNKNOWN_TOPIC_OR_PARTITION`.
    UnknownTopicOrPartition,
}

impl AppendError {
    /// Kafka's error name.
    pub fn name(self) -> &'static str {
        match self {
            AppendError::NotLeaderOrFollower => "NOT_LEADER_OR_FOLLOWER",
            AppendError::NetworkException => "NETWORK_EXCEPTION",
            AppendError::NotEnoughReplicas => "NOT_ENOUGH_REPLICAS",
            AppendError::KafkaStorageError => "KAFKA_STORAGE_ERROR",
            AppendError::InvalidRecord => "INVALID_RECORD",
            AppendError::UnknownTopicOrPartition => "UNKNOWN_TOPIC_OR_PARTITION",
        }
    }
}

/// The cluster: brokers, topics and the controller logic.
#[derive(Clone, Debug)]
pub struct Cluster {
    /// Settings.
    pub config: ClusterConfig,
    /// Brokers `0..n`.
    pub brokers: Vec<Broker>,
    /// Topics in creation order.
    pub topics: Vec<Topic>,
    topic_index: VecMap<String, usize>,
    keys: Vec<String>,
    key_index: VecMap<String, u32>,
    /// Record sources, index = `Record::producer_id`.
    pub producers: Vec<ProducerIdentity>,
    isr_expiration_scheduled: bool,
    retention_scheduled: bool,
    cleaner_scheduled: bool,
    total_records: u64,
    scratch: Vec<Record>,
    /// Per broker: time of its latest replica fetch round.
    fetch_round_ms: Vec<u64>,
    /// Per broker, per topic: bit set of the partitions its fetcher visits. A partition's bit
    /// is cleared when the broker's replica is idle ([`RemoteReplica::lazy`]) or the broker
    /// does not follow it (leader, offline, not a replica); [`Cluster::wake_partition`] sets
    /// it again before any change to the partition.
    fetch_active: Vec<Vec<Vec<u64>>>,
    /// This machine's timers.
    timers: Timers<ClusterTimer>,
    /// This machine's output.
    out: Outbox<ClusterEvent>,
}

/// Outcome of a successful append.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Appended {
    /// First offset.
    pub first_offset: u64,
    /// Records appended.
    pub count: u64,
}

impl Cluster {
    /// A cluster of `brokers` live brokers and no topics.
    pub fn new(brokers: u32, config: ClusterConfig) -> Cluster {
        Cluster {
            config,
            brokers: (0..brokers)
                .map(|id| Broker { id, alive: true, fenced: false, fetch_delay_ms: None, fetch_scheduled: false, incarnation: 0, unclean_shutdown: false })
                .collect(),
            topics: Vec::new(),
            topic_index: VecMap::new(),
            keys: Vec::new(),
            key_index: VecMap::new(),
            producers: Vec::new(),
            isr_expiration_scheduled: false,
            retention_scheduled: false,
            cleaner_scheduled: false,
            total_records: 0,
            scratch: Vec::new(),
            fetch_round_ms: vec![0; brokers as usize],
            fetch_active: vec![Vec::new(); brokers as usize],
            timers: Timers::default(),
            out: Outbox::default(),
        }
    }

    // ----------------------------------------------------------------- driving (sans-IO)

    /// Key (`pack(deadline_ms, seq)`) of this machine's earliest timer.
    pub fn next_timeout_key(&self) -> Option<u128> {
        self.timers.next_key()
    }

    /// Earliest deadline of this machine's timers.
    pub fn next_deadline_ms(&self) -> Option<u64> {
        self.timers.next_deadline_ms()
    }

    /// Handles the earliest timer if it is due at `ctx.now_ms`. Returns whether one fired.
    pub fn handle_timeout(&mut self, ctx: &mut Ctx) -> bool {
        let Some((_, timer)) = self.timers.pop_due(ctx.now_ms) else { return false };
        match timer {
            ClusterTimer::Fetch { broker } => self.on_fetch(ctx, broker),
            ClusterTimer::IsrExpiration => self.on_isr_expiration(ctx),
            ClusterTimer::Fence { broker, incarnation } => self.on_fence_timer(ctx, broker, incarnation),
            ClusterTimer::Retention => self.on_retention(ctx),
            ClusterTimer::Cleaner => self.on_cleaner(ctx),
        }
        true
    }

    /// This machine's pending timers in firing order `(deadline_ms, seq, timer)`.
    pub fn timers(&self) -> impl Iterator<Item = (u64, u64, &ClusterTimer)> {
        self.timers.iter()
    }

    /// This machine's output, oldest first.
    pub fn outbox(&mut self) -> &mut Outbox<ClusterEvent> {
        &mut self.out
    }

    // ----------------------------------------------------------------- lookups

    /// Topic index by name.
    pub fn topic_id(&self, name: &str) -> Option<usize> {
        self.topic_index.get(name).copied()
    }
    /// Topic by name.
    pub fn topic(&self, name: &str) -> Option<&Topic> {
        self.topic_id(name).map(|i| &self.topics[i])
    }
    /// Current leader of a partition.
    pub fn leader_of(&self, topic: &str, partition: u32) -> Option<u32> {
        self.topic(topic)?.partitions.get(partition as usize)?.leader
    }
    /// Leader's high watermark (what consumers may read up to).
    pub fn high_watermark(&self, topic: &str, partition: u32) -> Option<u64> {
        let p = self.topic(topic)?.partitions.get(partition as usize)?;
        p.leader_log().map(|l| l.high_watermark())
    }
    /// Leader's log start offset.
    pub fn log_start_offset(&self, topic: &str, partition: u32) -> Option<u64> {
        let p = self.topic(topic)?.partitions.get(partition as usize)?;
        p.leader_log().map(|l| l.log_start_offset())
    }
    /// Consumer fetch: up to `max` records from the live leader with offsets in `[from, HW)`.
    /// `None` if the partition is unknown or has no live leader.
    pub fn read(&self, topic: &str, partition: u32, from: u64, max: usize) -> Option<log::Slice<'_>> {
        Some(self.live_leader_log(self.topic(topic)?, partition)?.1.read(from, max))
    }
    /// `topic`'s partition and its leader's log, if the leader runs (what consumers read from).
    pub fn live_leader_log<'a>(&self, topic: &'a Topic, partition: u32) -> Option<(&'a Partition, &'a log::Log)> {
        let p = topic.partitions.get(partition as usize)?;
        let leader = p.leader.filter(|&b| self.broker_alive(b))?;
        Some((p, p.log_of(leader)?))
    }

    /// Whether a broker process is running.
    pub fn broker_alive(&self, broker: u32) -> bool {
        self.brokers.get(broker as usize).is_some_and(|b| b.alive)
    }
    /// Group coordinator: leader of `__consumer_offsets` partition
    /// `abs(hashCode(group)) % partitions`.
    pub fn coordinator_for(&self, group_id: &str) -> Option<u32> {
        let t = self.topic(topic::CONSUMER_OFFSETS)?;
        let p = crate::kafka::hash::coordinator_partition(group_id, t.partitions.len() as u32);
        t.partitions[p as usize].leader.filter(|&b| self.broker_alive(b))
    }
    /// Intern a key, `None` if the key cap is reached.
    pub fn intern_key(&mut self, key: &str) -> Option<u32> {
        if let Some(&k) = self.key_index.get(key) {
            return Some(k);
        }
        if self.keys.len() >= limits::MAX_KEYS {
            return None;
        }
        let id = self.keys.len() as u32;
        self.keys.push(key.to_string());
        self.key_index.insert(key.to_string(), id);
        Some(id)
    }
    /// Id of an already interned key.
    pub fn key_str_id(&self, key: &str) -> Option<u32> {
        self.key_index.get(key).copied()
    }
    /// Number of interned keys.
    pub fn key_count(&self) -> usize {
        self.keys.len()
    }
    /// The string of an interned key.
    pub fn key_str(&self, key: u32) -> Option<&str> {
        self.keys.get(key as usize).map(|s| s.as_str())
    }
    /// Register a record source; returns its producer id.
    pub fn register_producer(&mut self, name: String, acks: Acks) -> Result<u32, SimError> {
        if self.producers.len() >= limits::MAX_PRODUCERS {
            return Err(SimError::LimitExceeded(format!(
                "at most {} producer identities per run",
                limits::MAX_PRODUCERS
            )));
        }
        self.producers.push(ProducerIdentity { name, acks, next_sequence: 0, acknowledged: 0 });
        Ok((self.producers.len() - 1) as u32)
    }
    /// Producer id by name.
    pub fn producer_by_name(&self, name: &str) -> Option<u32> {
        self.producers.iter().position(|p| p.name == name).map(|i| i as u32)
    }
    /// Records held by all replica logs.
    pub fn total_records(&self) -> u64 {
        self.total_records
    }
    /// Sum of heap bytes of all logs (a record chunk shared by replicas counted once).
    pub fn log_heap_bytes(&self) -> usize {
        self.topics.iter().flat_map(|t| &t.partitions).flat_map(|p| &p.logs).map(|l| l.heap_bytes()).sum()
    }
    fn live_brokers(&self) -> Vec<u32> {
        self.brokers.iter().filter(|b| b.alive && !b.fenced).map(|b| b.id).collect()
    }
    fn total_partitions(&self) -> u64 {
        self.topics.iter().map(|t| t.partitions.len() as u64).sum()
    }
    fn eligible(&self, b: u32) -> bool {
        self.brokers.get(b as usize).is_some_and(|x| x.alive && !x.fenced)
    }

    // ----------------------------------------------------------------- topics

    /// Validate a `CreateTopics` request without changing anything.
    pub fn validate_create_topic(
        &self,
        name: &str,
        partitions: u32,
        replication_factor: u16,
        config: &TopicConfig,
        allow_internal: bool,
    ) -> Result<(), SimError> {
        topic::validate_topic_name(name)?;
        if !allow_internal && topic::is_internal(name) {
            return Err(SimError::InvalidRequest(format!(
                "Creation of internal topic {name} is prohibited."
            )));
        }
        if self.topic_index.contains_key(name) {
            return Err(SimError::TopicAlreadyExists(format!("Topic '{name}' already exists.")));
        }
        if topic::has_collision_chars(name) {
            for existing in self.topic_index.keys() {
                if topic::has_collision(name, existing) {
                    return Err(SimError::InvalidTopic(format!(
                        "Topic '{name}' collides with existing topic: {existing}"
                    )));
                }
            }
        }
        if partitions == 0 {
            return Err(SimError::InvalidPartitions(
                "Number of partitions was set to an invalid non-positive value.".into(),
            ));
        }
        if partitions > limits::MAX_PARTITIONS_PER_TOPIC {
            return Err(SimError::LimitExceeded(format!(
                "{partitions} partitions requested; at most {} per topic",
                limits::MAX_PARTITIONS_PER_TOPIC
            )));
        }
        if self.total_partitions() + partitions as u64 > limits::MAX_TOTAL_PARTITIONS as u64 {
            return Err(SimError::LimitExceeded(format!(
                "at most {} partitions in the cluster",
                limits::MAX_TOTAL_PARTITIONS
            )));
        }
        if self.topics.len() >= limits::MAX_TOPICS {
            return Err(SimError::LimitExceeded(format!("at most {} topics", limits::MAX_TOPICS)));
        }
        if replication_factor == 0 {
            return Err(SimError::InvalidReplicationFactor(
                "Replication factor must be larger than 0.".into(),
            ));
        }
        let live = self.live_brokers().len();
        if live == 0 {
            return Err(SimError::InvalidReplicationFactor("All brokers are currently fenced.".into()));
        }
        if replication_factor as usize > live {
            return Err(SimError::InvalidReplicationFactor(format!(
                "Unable to replicate the partition {replication_factor} time(s): The target replication factor of {replication_factor} cannot be reached because only {live} broker(s) are registered."
            )));
        }
        config.validate(replication_factor)
    }

    /// Rack-unaware replica placement (`AdminUtils.assignReplicasToBrokersRackUnaware`):
    /// random start index and shift drawn from the seeded RNG.
    fn place_replicas(
        &self,
        ctx: &mut Ctx,
        first_partition: u32,
        count: u32,
        replication_factor: u16,
        fixed_start: Option<(u64, u64)>,
    ) -> Vec<Vec<u32>> {
        let brokers = self.live_brokers();
        let n = brokers.len() as u64;
        let (start_index, mut next_shift) = fixed_start.unwrap_or_else(|| (ctx.rng.below(n), ctx.rng.below(n)));
        let mut out = Vec::with_capacity(count as usize);
        for current in u64::from(first_partition)..u64::from(first_partition) + u64::from(count) {
            if current > 0 && current.is_multiple_of(n) {
                next_shift += 1;
            }
            let first = ((current + start_index) % n) as usize;
            let mut replicas = vec![brokers[first]];
            for j in 0..(replication_factor as u64 - 1) {
                // replicaIndex: shift = 1 + (secondReplicaShift + j) % (n - 1)
                let shift = 1 + (next_shift + j) % (n - 1).max(1);
                let idx = ((first as u64 + shift) % n) as usize;
                replicas.push(brokers[idx]);
            }
            out.push(replicas);
        }
        out
    }

    fn new_partition(&self, index: u32, replicas: Vec<u32>) -> Partition {
        let n = replicas.len();
        // The first live replica in replica order leads (all are live at creation).
        let leader = replicas.iter().copied().find(|&b| self.eligible(b));
        let mut logs = vec![Log::new(); n];
        for l in &mut logs {
            l.assign_epoch(0);
        }
        Partition {
            partition: index,
            isr: replicas.clone(),
            leader,
            leader_epoch: 0,
            partition_epoch: 0,
            last_leader: leader,
            logs,
            remote: vec![RemoteReplica { leo: Some(0), last_caught_up_ms: Some(0), ..Default::default() }; n],
            replicas,
            compacted_records: 0,
            lost_records: 0,
            lost_acknowledged: 0,
            lost_committed: 0,
            lost: Vec::new(),
            unclean_elections: 0,
            elr: Vec::new(),
            last_known_elr: Vec::new(),
        }
    }

    /// Create a topic (validated first; on error nothing changes).
    pub fn create_topic(
        &mut self,
        ctx: &mut Ctx,
        name: &str,
        partitions: u32,
        replication_factor: u16,
        config: TopicConfig,
        internal: bool,
    ) -> Result<usize, SimError> {
        self.validate_create_topic(name, partitions, replication_factor, &config, internal)?;
        let placement = self.place_replicas(ctx, 0, partitions, replication_factor, None);
        let parts: Vec<Partition> =
            placement.into_iter().enumerate().map(|(i, r)| self.new_partition(i as u32, r)).collect();
        let id = self.topics.len();
        self.topics.push(Topic { name: name.to_string(), internal, config, replication_factor, partitions: parts });
        self.topic_index.insert(name.to_string(), id);
        self.activate_new_partitions(id, 0);
        self.out.push(ctx, ClusterEvent::TopicCreated { topic: name.to_string(), partitions, replication_factor });
        Ok(id)
    }

    /// `CreatePartitions`: grow `topic` to `count` partitions.
    pub fn create_partitions(&mut self, ctx: &mut Ctx, topic_name: &str, count: u32) -> Result<(), SimError> {
        let tid = self.topic_id(topic_name).ok_or_else(|| {
            SimError::UnknownTopicOrPartition(format!("This server does not host this topic-partition: {topic_name}"))
        })?;
        let current = self.topics[tid].partitions.len() as u32;
        if count < current {
            return Err(SimError::InvalidPartitions(format!(
                "The topic {topic_name} currently has {current} partition(s); {count} would not be an increase."
            )));
        }
        if count == current {
            return Err(SimError::InvalidPartitions(format!(
                "Topic already has {current} partition(s)."
            )));
        }
        if count > limits::MAX_PARTITIONS_PER_TOPIC {
            return Err(SimError::LimitExceeded(format!(
                "{count} partitions requested; at most {} per topic",
                limits::MAX_PARTITIONS_PER_TOPIC
            )));
        }
        if self.total_partitions() + (count - current) as u64 > limits::MAX_TOTAL_PARTITIONS as u64 {
            return Err(SimError::LimitExceeded(format!(
                "at most {} partitions in the cluster",
                limits::MAX_TOTAL_PARTITIONS
            )));
        }
        let rf = self.topics[tid].replication_factor;
        let live = self.live_brokers().len();
        if rf as usize > live {
            return Err(SimError::InvalidReplicationFactor(format!(
                "Unable to replicate the partition {rf} time(s): The target replication factor of {rf} cannot be reached because only {live} broker(s) are registered."
            )));
        }
        let placement = self.place_replicas(ctx, current, count - current, rf, None);
        let new: Vec<Partition> = placement
            .into_iter()
            .enumerate()
            .map(|(i, r)| self.new_partition(current + i as u32, r))
            .collect();
        self.topics[tid].partitions.extend(new);
        self.activate_new_partitions(tid, current as usize);
        self.out.push(ctx, ClusterEvent::PartitionsCreated { topic: topic_name.to_string(), from: current, to: count });
        Ok(())
    }

    // ----------------------------------------------------------------- produce

    /// Check whether an append of `acks` to `(tid, p)` would be accepted right now.
    pub fn check_append(&self, tid: usize, p: usize, acks: Acks, keyed: bool) -> Result<u32, AppendError> {
        let t = self.topics.get(tid).ok_or(AppendError::UnknownTopicOrPartition)?;
        let part = t.partitions.get(p).ok_or(AppendError::UnknownTopicOrPartition)?;
        let leader = part.leader.ok_or(AppendError::NotLeaderOrFollower)?;
        if !self.broker_alive(leader) {
            return Err(AppendError::NetworkException);
        }
        if t.config.cleanup_policy.compacts() && !keyed {
            return Err(AppendError::InvalidRecord);
        }
        if acks == Acks::All && part.isr.len() < effective_min_isr(t.config.min_insync_replicas, part.replicas.len()) {
            return Err(AppendError::NotEnoughReplicas);
        }
        if self.total_records >= self.config.max_retained_records {
            return Err(AppendError::KafkaStorageError);
        }
        Ok(leader)
    }

    /// Append records to the leader of `(tid, p)`. `records` carry `producer_id`, `sequence`,
    /// `key`, `value`; offsets, timestamps and epochs are assigned here.
    pub fn append(&mut self, ctx: &mut Ctx, tid: usize, p: usize, acks: Acks, records: &mut [Record]) -> Result<Appended, AppendError> {
        if records.is_empty() {
            return Ok(Appended { first_offset: self.topics[tid].partitions[p].leader_log().map_or(0, |l| l.log_end_offset()), count: 0 });
        }
        let keyed = records.iter().all(|r| r.key != NO_KEY);
        let leader = self.check_append(tid, p, acks, keyed)?;
        self.wake_partition(tid, p);
        let cfg = &self.topics[tid].config;
        let seg_records = (cfg.segment_bytes / self.config.record_size_bytes.max(1)).max(1);
        let seg_ms = cfg.segment_ms;
        let part = &mut self.topics[tid].partitions[p];
        let li = part.replica_index(leader).expect("leader is a replica");
        let log = &mut part.logs[li];
        let first = log.log_end_offset();
        let epoch = part.leader_epoch;
        for (i, r) in records.iter_mut().enumerate() {
            r.offset = first + i as u64;
            r.timestamp_ms = ctx.now_ms;
            r.leader_epoch = epoch;
        }
        log.append(records, seg_records, seg_ms);
        let n = records.len() as u64;
        self.total_records += n;
        if self.config.detail_events {
            self.out.push(ctx, ClusterEvent::Appended {
                topic: self.topics[tid].name.clone(),
                partition: p as u32,
                leader,
                first_offset: first,
                count: n,
            });
        }
        // Followers long-poll: new data wakes their fetchers.
        for i in 0..self.topics[tid].partitions[p].replicas.len() {
            let b = self.topics[tid].partitions[p].replicas[i];
            if b != leader {
                self.wake_fetcher(ctx, b);
            }
        }
        self.maybe_increment_hw(ctx, tid, p);
        self.ensure_isr_expiration(ctx);
        self.ensure_maintenance(ctx, tid);
        Ok(Appended { first_offset: first, count: n })
    }

    // ----------------------------------------------------------------- offsets topic

    /// Key string of an offset commit record: `(group, topic, partition)` encoded without
    /// ambiguity (`offset:<group length>:<group>:<topic>:<partition>`).
    pub fn offset_commit_key(group_id: &str, topic: &str, partition: u32) -> String {
        format!("offset:{}:{group_id}:{topic}:{partition}", group_id.len())
    }

    /// Key string of a group's GroupMetadata record (`group:<group length>:<group>`).
    pub fn group_metadata_key(group_id: &str) -> String {
        format!("group:{}:{group_id}", group_id.len())
    }

    /// The group coordinator appends an offset commit (value = committed offset) to the group's
    /// `__consumer_offsets` partition (producer id 0, `__group_coordinator`). As Kafka's
    /// `CoordinatorPartitionWriter.append` it writes to the leader without waiting for the
    /// replicas (`requiredAcks = 1`): the coordinator runtime itself waits for the HW, so an ISR
    /// below `min.insync.replicas` does not reject the append, it keeps the HW from passing it.
    pub fn append_offset_commit(
        &mut self,
        ctx: &mut Ctx,
        group_id: &str,
        topic: &str,
        partition: u32,
        offset: u64,
    ) -> Result<Appended, AppendError> {
        self.append_coordinator_record(ctx, group_id, &Self::offset_commit_key(group_id, topic, partition), offset)
    }

    /// The group coordinator appends a group's GroupMetadata record (value = its generation) to
    /// the group's `__consumer_offsets` partition, as [`Self::append_offset_commit`].
    pub fn append_group_metadata(&mut self, ctx: &mut Ctx, group_id: &str, generation_id: i32) -> Result<Appended, AppendError> {
        self.append_coordinator_record(ctx, group_id, &Self::group_metadata_key(group_id), u64::try_from(generation_id).unwrap_or(0))
    }

    /// Whether an append to a group's `__consumer_offsets` partition would be accepted now (the
    /// checks of [`Self::append_offset_commit`]): the error it would fail with, if any.
    pub fn check_coordinator_append(&self, group_id: &str) -> Result<(), AppendError> {
        let tid = self.topic_id(topic::CONSUMER_OFFSETS).ok_or(AppendError::UnknownTopicOrPartition)?;
        let p = crate::kafka::hash::coordinator_partition(group_id, self.topics[tid].partitions.len() as u32) as usize;
        self.producer_by_name("__group_coordinator").ok_or(AppendError::UnknownTopicOrPartition)?;
        self.check_append(tid, p, Acks::One, true).map(|_| ())
    }

    fn append_coordinator_record(&mut self, ctx: &mut Ctx, group_id: &str, key: &str, value: u64) -> Result<Appended, AppendError> {
        let tid = self.topic_id(topic::CONSUMER_OFFSETS).ok_or(AppendError::UnknownTopicOrPartition)?;
        let p = crate::kafka::hash::coordinator_partition(group_id, self.topics[tid].partitions.len() as u32) as usize;
        self.append_internal_record(ctx, tid, p, "__group_coordinator", key, value)
    }

    /// `__share_group_state`, created on first use (`ShareCoordinatorService`) with
    /// `share.coordinator.state.topic.num.partitions` (50) partitions,
    /// `share.coordinator.state.topic.min.isr` (2) and
    /// `share.coordinator.state.topic.replication.factor` (3) replicas, or as many as there are
    /// brokers (the 4.2 upgrade notes: set it lower on smaller clusters), not compacted
    /// (`cleanup.policy=delete`, `retention.ms=-1`). Its records are written by the producer
    /// `__share_coordinator`.
    pub fn ensure_share_state_topic(&mut self, ctx: &mut Ctx) -> Result<(), SimError> {
        if self.topic(topic::SHARE_GROUP_STATE).is_some() {
            return Ok(());
        }
        let rf = topic::SHARE_GROUP_STATE_REPLICATION_FACTOR.min(self.brokers.len() as u16).max(1);
        let config = TopicConfig {
            cleanup_policy: topic::CleanupPolicy::Delete,
            retention_ms: -1,
            min_insync_replicas: topic::SHARE_GROUP_STATE_MIN_ISR.min(rf),
            ..TopicConfig::default()
        };
        self.create_topic(ctx, topic::SHARE_GROUP_STATE, topic::SHARE_GROUP_STATE_PARTITIONS, rf, config, true)?;
        if self.producer_by_name("__share_coordinator").is_none() {
            self.register_producer("__share_coordinator".into(), Acks::All)?;
        }
        Ok(())
    }

    /// The live leader of `__share_group_state` partition `state_partition` (the share
    /// coordinator of the states it holds), if the topic and a leader exist.
    pub fn share_state_leader(&self, state_partition: u32) -> Option<u32> {
        self.leader_of(topic::SHARE_GROUP_STATE, state_partition).filter(|&b| self.broker_alive(b))
    }

    /// The share coordinator appends a `ShareSnapshot` / `ShareUpdate` record for a
    /// share-partition to its `__share_group_state` partition (the key names the share-partition,
    /// the value is the record's sequence in its state), written to the leader as the group
    /// coordinator's records are.
    pub fn append_share_state(&mut self, ctx: &mut Ctx, state_partition: u32, key: &str, value: u64) -> Result<Appended, AppendError> {
        let tid = self.topic_id(topic::SHARE_GROUP_STATE).ok_or(AppendError::UnknownTopicOrPartition)?;
        self.append_internal_record(ctx, tid, state_partition as usize, "__share_coordinator", key, value)
    }

    /// One record of a coordinator (`producer`) appended to partition `p` of internal topic
    /// `tid` on its leader (`requiredAcks = 1`).
    fn append_internal_record(&mut self, ctx: &mut Ctx, tid: usize, p: usize, producer: &str, key: &str, value: u64) -> Result<Appended, AppendError> {
        let pid = self.producer_by_name(producer).ok_or(AppendError::UnknownTopicOrPartition)?;
        self.check_append(tid, p, Acks::One, true)?;
        let key = self.intern_key(key).ok_or(AppendError::KafkaStorageError)?;
        let seq = self.producers[pid as usize].next_sequence;
        self.producers[pid as usize].next_sequence = seq.wrapping_add(1);
        let mut rec = [Record { offset: 0, timestamp_ms: 0, value, producer_id: pid, sequence: seq, key, leader_epoch: 0 }];
        self.append(ctx, tid, p, Acks::One, &mut rec)
    }

    /// `(high watermark, log end offset)` of the leader of a group's `__consumer_offsets`
    /// partition.
    pub fn coordinator_log_offsets(&self, group_id: &str) -> Option<(u64, u64)> {
        let t = self.topic(topic::CONSUMER_OFFSETS)?;
        let p = crate::kafka::hash::coordinator_partition(group_id, t.partitions.len() as u32) as usize;
        let log = t.partitions.get(p)?.leader_log()?;
        Some((log.high_watermark(), log.log_end_offset()))
    }

    /// A group's offset commit records in `[from, to)` of the leader of its `__consumer_offsets`
    /// partition, in log order: `(log offset, (topic, partition), committed offset, timestamp)`.
    pub fn offset_commit_records(&self, group_id: &str, from: u64, to: u64) -> Vec<(u64, (String, u32), u64, u64)> {
        let mut out = Vec::new();
        let Some(t) = self.topic(topic::CONSUMER_OFFSETS) else { return out };
        let p = crate::kafka::hash::coordinator_partition(group_id, t.partitions.len() as u32) as usize;
        let Some(log) = t.partitions.get(p).and_then(|p| p.leader_log()) else { return out };
        let prefix = format!("offset:{}:{group_id}:", group_id.len());
        let from = from.max(log.log_start_offset());
        if from >= to {
            return out;
        }
        for r in log.slice(from, to, usize::MAX) {
            let Some(k) = self.key_str(r.key) else { continue };
            let Some(rest) = k.strip_prefix(&prefix) else { continue };
            if let Some((topic, part)) = rest.rsplit_once(':') {
                if let Ok(part) = part.parse::<u32>() {
                    out.push((r.offset, (topic.to_string(), part), r.value, r.timestamp_ms));
                }
            }
        }
        out
    }

    /// Committed offsets of a group as the coordinator would load them: the latest value per
    /// key among records below the HW of the group's `__consumer_offsets` partition.
    pub fn committed_offsets(&self, group_id: &str) -> VecMap<(String, u32), u64> {
        let mut out = VecMap::new();
        let Some((hw, _)) = self.coordinator_log_offsets(group_id) else { return out };
        for (_, tp, value, _) in self.offset_commit_records(group_id, 0, hw) {
            if value == OFFSET_TOMBSTONE {
                out.remove(&tp);
            } else {
                out.insert(tp, value);
            }
        }
        out
    }

    // ----------------------------------------------------------------- periodic tasks

    fn ensure_isr_expiration(&mut self, ctx: &mut Ctx) {
        if !self.isr_expiration_scheduled {
            self.isr_expiration_scheduled = true;
            self.timers.schedule_in(ctx, (self.config.replica_lag_time_max_ms / 2).max(1), ClusterTimer::IsrExpiration);
        }
    }

    fn ensure_maintenance(&mut self, ctx: &mut Ctx, tid: usize) {
        let cfg = &self.topics[tid].config;
        let deletes = cfg.cleanup_policy.deletes()
            && (cfg.retention_ms >= 0 || cfg.retention_bytes >= 0 || cfg.retention_records >= 0);
        if deletes && !self.retention_scheduled {
            self.retention_scheduled = true;
            self.timers.schedule_in(ctx, self.config.log_retention_check_interval_ms.max(1), ClusterTimer::Retention);
        }
        if cfg.cleanup_policy.compacts() && !self.cleaner_scheduled {
            self.cleaner_scheduled = true;
            self.timers.schedule_in(ctx, self.config.log_cleaner_backoff_ms.max(1), ClusterTimer::Cleaner);
        }
    }

    // ----------------------------------------------------------------- invariants

    /// Check the log-layer invariants (see `Sim::check_invariants`).
    pub fn check_invariants(&self) -> Result<(), String> {
        for t in &self.topics {
            for part in &t.partitions {
                let id = format!("{}-{}", t.name, part.partition);
                for b in &part.isr {
                    if !part.replicas.contains(b) {
                        return Err(format!("{id}: ISR member {b} is not a replica"));
                    }
                }
                if part.isr.is_empty() && (!self.config.eligible_leader_replicas || part.leader.is_some()) {
                    return Err(format!("{id}: empty ISR"));
                }
                if let Some(b) = part.elr.iter().find(|b| part.isr.contains(b)) {
                    return Err(format!("{id}: {b} is in both the ISR and the ELR"));
                }
                if let Some(l) = part.leader {
                    if !part.isr.contains(&l) {
                        return Err(format!("{id}: leader {l} not in ISR {:?}", part.isr));
                    }
                }
                for (i, log) in part.logs.iter().enumerate() {
                    let b = part.replicas[i];
                    if log.log_start_offset() > log.high_watermark() {
                        return Err(format!("{id}@{b}: log start {} > HW {}", log.log_start_offset(), log.high_watermark()));
                    }
                    if log.high_watermark() > log.log_end_offset() {
                        return Err(format!("{id}@{b}: HW {} > LEO {}", log.high_watermark(), log.log_end_offset()));
                    }
                    let recs = log.records();
                    if let (Some(first), Some(last)) = (recs.first(), recs.last()) {
                        if first.offset < log.log_start_offset() || last.offset >= log.log_end_offset() {
                            return Err(format!("{id}@{b}: records outside [log start, LEO)"));
                        }
                    }
                }
                for (i, r) in part.remote.iter().enumerate() {
                    if !r.lazy {
                        continue;
                    }
                    let b = part.replicas[i];
                    let li = part.leader.and_then(|l| part.replica_index(l));
                    let idle = li.is_some_and(|li| {
                        li != i && self.broker_alive(part.replicas[li]) && Self::fetch_is_idle(part, i, li, b)
                    });
                    let tid = self.topic_id(&t.name).unwrap_or(usize::MAX);
                    let p = part.partition as usize;
                    let in_set = self
                        .fetch_active
                        .get(b as usize)
                        .and_then(|s| s.get(tid))
                        .is_some_and(|w| w[p / 64] & (1u64 << (p % 64)) != 0);
                    if !idle || in_set {
                        return Err(format!("{id}@{b}: lazy replica is not idle (idle {idle}, in fetch set {in_set})"));
                    }
                }
                if !t.config.unclean_leader_election_enable && part.unclean_elections == 0 && part.lost_committed > 0 {
                    return Err(format!("{id}: {} committed records lost without an unclean election", part.lost_committed));
                }
            }
        }
        let counted: u64 = self.topics.iter().flat_map(|t| &t.partitions).flat_map(|p| &p.logs).map(|l| l.len()).sum();
        if counted != self.total_records {
            return Err(format!("record counter {} != actual {}", self.total_records, counted));
        }
        Ok(())
    }

    /// Feed a canonical encoding of the cluster state to `h`.
    pub fn hash_into(&self, h: &mut crate::kernel::Fnv) {
        for b in &self.brokers {
            h.u64(b.id as u64);
            h.u64(b.alive as u64);
            h.u64(b.fenced as u64);
            h.u64(b.fetch_delay_ms.map_or(u64::MAX, |d| d));
            h.u64(b.fetch_scheduled as u64);
            h.u64(b.incarnation as u64);
        }
        for t in &self.topics {
            h.str(&t.name);
            h.u64(t.partitions.len() as u64);
            for part in &t.partitions {
                h.u64(part.leader.map_or(u64::MAX, |l| l as u64));
                h.u64(part.leader_epoch as u64);
                h.u64(part.partition_epoch as u64);
                for &b in &part.replicas {
                    h.u64(b as u64);
                }
                h.u64(u64::MAX - 1);
                for &b in &part.isr {
                    h.u64(b as u64);
                }
                // ELR only when it holds someone (the hash of a cluster without ELR changes
                // stays what it was).
                if !part.elr.is_empty() || !part.last_known_elr.is_empty() {
                    h.u64(u64::MAX - 2);
                    for &b in part.elr.iter().chain([u32::MAX].iter()).chain(&part.last_known_elr) {
                        h.u64(u64::from(b));
                    }
                }
                h.u64(part.lost_records);
                h.u64(part.lost_acknowledged);
                h.u64(part.compacted_records);
                for log in &part.logs {
                    h.u64(log.log_start_offset());
                    h.u64(log.log_end_offset());
                    h.u64(log.high_watermark());
                    h.u64(log.len());
                    // Sample the tail record rather than hashing every record (hot path).
                    if let Some(r) = log.records().last() {
                        h.u64(r.offset);
                        h.u64(r.producer_id as u64);
                        h.u64(r.sequence as u64);
                        h.u64(r.key as u64);
                        h.u64(r.leader_epoch as u64);
                    }
                }
                for (i, r) in part.remote.iter().enumerate() {
                    h.u64(r.leo.map_or(u64::MAX, |x| x));
                    h.u64(self.caught_up_ms(part, i).map_or(u64::MAX, |x| x));
                }
            }
        }
        for p in &self.producers {
            h.str(&p.name);
            h.u64(p.next_sequence as u64);
            h.u64(p.acknowledged);
        }
        h.u64(self.keys.len() as u64);
        h.u64(self.total_records);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> ClusterConfig {
        ClusterConfig {
            replica_fetch_delay_ms: 50,
            replica_lag_time_max_ms: 30_000,
            replica_fetch_backoff_ms: 1_000,
            replica_fetch_max_records: 10_000,
            broker_session_timeout_ms: 9_000,
            replica_fetch_wait_max_ms: 500,
            record_size_bytes: 100,
            log_retention_check_interval_ms: 300_000,
            log_cleaner_backoff_ms: 15_000,
            min_cleanable_dirty_ratio_percent: 50,
            max_retained_records: 1_000_000,
            detail_events: true,
            eligible_leader_replicas: true,
        }
    }

    /// Runs the cluster's own timers up to `until_ms`.
    fn run_until(cluster: &mut Cluster, ctx: &mut Ctx, until_ms: u64) {
        while let Some(d) = cluster.next_deadline_ms().filter(|&d| d <= until_ms) {
            ctx.now_ms = ctx.now_ms.max(d);
            assert!(cluster.handle_timeout(ctx));
        }
        ctx.now_ms = until_ms;
    }

    /// The group layer's hooks: commits are appended to `__consumer_offsets` and read back
    /// once below the HW; records of a partition are read up to the HW.
    #[test]
    fn offset_commits_round_trip_through_consumer_offsets() {
        let mut ctx = Ctx::new(11);
        let mut c = Cluster::new(3, cfg());
        let offsets = TopicConfig { cleanup_policy: topic::CleanupPolicy::Compact, ..TopicConfig::default() };
        c.create_topic(&mut ctx, topic::CONSUMER_OFFSETS, 5, 3, offsets, true).unwrap();
        c.register_producer("__group_coordinator".into(), Acks::All).unwrap();
        c.create_topic(&mut ctx, "orders", 2, 3, TopicConfig::default(), false).unwrap();
        assert!(c.coordinator_for("my-group").is_some());
        c.append_offset_commit(&mut ctx, "my-group", "orders", 1, 42).unwrap();
        c.append_offset_commit(&mut ctx, "my-group", "orders", 1, 43).unwrap();
        c.append_offset_commit(&mut ctx, "other", "orders", 0, 7).unwrap();
        assert!(c.committed_offsets("my-group").is_empty(), "not yet below the HW");
        run_until(&mut c, &mut ctx, 1_000);
        let committed = c.committed_offsets("my-group");
        assert_eq!(committed.get(&("orders".to_string(), 1)), Some(&43));
        assert_eq!(committed.len(), 1);
        assert!(c.outbox().pop().is_some(), "the appends were reported");
    }

    #[test]
    fn placement_matches_kafka_rack_unaware_assignment() {
        // Expected assignment of Kafka's AdminUtils rack-unaware test: 5 brokers, 10
        // partitions, RF 3, fixed start index 0 (and shift 0).
        let cluster = Cluster::new(5, cfg());
        let mut ctx = Ctx::new(1);
        let got = cluster.place_replicas(&mut ctx, 0, 10, 3, Some((0, 0)));
        let expected: Vec<Vec<u32>> = vec![
            vec![0, 1, 2],
            vec![1, 2, 3],
            vec![2, 3, 4],
            vec![3, 4, 0],
            vec![4, 0, 1],
            vec![0, 2, 3],
            vec![1, 3, 4],
            vec![2, 4, 0],
            vec![3, 0, 1],
            vec![4, 1, 2],
        ];
        assert_eq!(got, expected);
    }
}
