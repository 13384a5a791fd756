//! The simulation driver: a sans-IO, deterministic discrete-event loop.
//!
//! [`Sim::apply`] handles input (commands), [`Sim::advance_to`] / [`Sim::step`] handle
//! timeouts, [`Sim::poll_event`] drains output. Nothing here reads a clock or an OS RNG.

pub mod ctx;
pub mod producer;
pub mod group_layer;
pub mod timers;
pub mod records;

use serde::{Deserialize, Serialize};

use crate::cluster::{limits, AppendError, Cluster, ClusterConfig, Record, NO_KEY};
use crate::command::{Acks, Command};
use crate::error::SimError;
use crate::event::Event;
use crate::rng::SplitMix64;
use crate::topic::{CleanupPolicy, TopicConfig, CONSUMER_OFFSETS};
use crate::view::*;
use ctx::{Ctx, EventQueue};
use producer::Producer;
use group_layer::GroupLayer;
use timers::{Timer, Timers};

/// Simulation configuration. Field names with dots are Kafka's config names; unknown ones are
/// refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimConfig {
    /// Seed of the one RNG.
    pub seed: u64,
    /// Number of brokers (ids `0..brokers`), 1..=100.
    pub brokers: u32,
    /// `offsets.topic.num.partitions` (default 50).
    #[serde(rename = "offsets.topic.num.partitions")]
    pub offsets_topic_num_partitions: u32,
    /// `offsets.topic.replication.factor` (default 3; capped at the broker count, as Kafka
    /// would refuse to create the topic otherwise).
    #[serde(rename = "offsets.topic.replication.factor")]
    pub offsets_topic_replication_factor: u16,
    /// Delay between a follower's fetches while it has data to fetch (default 50 ms).
    pub replica_fetch_delay_ms: u64,
    /// `replica.lag.time.max.ms` (default 30000).
    #[serde(rename = "replica.lag.time.max.ms")]
    pub replica_lag_time_max_ms: u64,
    /// `replica.fetch.backoff.ms` (default 1000).
    #[serde(rename = "replica.fetch.backoff.ms")]
    pub replica_fetch_backoff_ms: u64,
    /// `replica.fetch.max.bytes` (default 1048576), in simulated bytes.
    #[serde(rename = "replica.fetch.max.bytes")]
    pub replica_fetch_max_bytes: u64,
    /// `replica.fetch.wait.max.ms` (default 500).
    #[serde(rename = "replica.fetch.wait.max.ms")]
    pub replica_fetch_wait_max_ms: u64,
    /// `broker.session.timeout.ms` (default 9000): a crashed broker is fenced after this.
    #[serde(rename = "broker.session.timeout.ms")]
    pub broker_session_timeout_ms: u64,
    /// `log.retention.check.interval.ms` (default 300000).
    #[serde(rename = "log.retention.check.interval.ms")]
    pub log_retention_check_interval_ms: u64,
    /// `log.cleaner.backoff.ms` (default 15000).
    #[serde(rename = "log.cleaner.backoff.ms")]
    pub log_cleaner_backoff_ms: u64,
    /// `log.cleaner.min.cleanable.ratio` in percent (default 50).
    pub min_cleanable_dirty_ratio_percent: u64,
    /// `batch.size` of simulated producers (default 16384): the sticky partitioner switches
    /// after this many bytes.
    #[serde(rename = "batch.size")]
    pub batch_size: u64,
    /// Simulated serialized size of one record (default 100 bytes).
    pub record_size_bytes: u64,
    /// Simulated producers send a batch every this many ms (default 10; ≈ `linger.ms`).
    pub producer_tick_ms: u64,
    /// Output queue capacity (default 100000; oldest dropped on overflow).
    pub event_queue_capacity: usize,
    /// Emit per-batch detail events (append / fetch / HW). Default true.
    pub detail_events: bool,
    /// Cap on records held by all replicas together (default 30,000,000).
    pub max_retained_records: u64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 0,
            brokers: 3,
            offsets_topic_num_partitions: 50,
            offsets_topic_replication_factor: 3,
            replica_fetch_delay_ms: 50,
            replica_lag_time_max_ms: 30_000,
            replica_fetch_backoff_ms: 1_000,
            replica_fetch_max_bytes: 1_048_576,
            replica_fetch_wait_max_ms: 500,
            broker_session_timeout_ms: 9_000,
            log_retention_check_interval_ms: 300_000,
            log_cleaner_backoff_ms: 15_000,
            min_cleanable_dirty_ratio_percent: 50,
            batch_size: 16_384,
            record_size_bytes: 100,
            producer_tick_ms: 10,
            event_queue_capacity: 100_000,
            detail_events: true,
            max_retained_records: 30_000_000,
        }
    }
}

impl SimConfig {
    fn validate(&self) -> Result<(), SimError> {
        if self.brokers == 0 || self.brokers > limits::MAX_BROKERS {
            return Err(SimError::LimitExceeded(format!(
                "brokers must be in 1..={} (got {})",
                limits::MAX_BROKERS,
                self.brokers
            )));
        }
        if self.offsets_topic_num_partitions == 0 || self.offsets_topic_num_partitions > 1000 {
            return Err(SimError::InvalidConfig(format!(
                "offsets.topic.num.partitions must be in 1..=1000 (got {})",
                self.offsets_topic_num_partitions
            )));
        }
        if self.offsets_topic_replication_factor == 0 {
            return Err(SimError::InvalidConfig("offsets.topic.replication.factor must be at least 1".into()));
        }
        if self.record_size_bytes == 0 || self.record_size_bytes > 1_048_576 {
            return Err(SimError::InvalidConfig("record_size_bytes must be in 1..=1048576".into()));
        }
        if self.producer_tick_ms == 0 || self.producer_tick_ms > 60_000 {
            return Err(SimError::InvalidConfig("producer_tick_ms must be in 1..=60000".into()));
        }
        if self.replica_fetch_delay_ms > 3_600_000 || self.replica_lag_time_max_ms == 0 {
            return Err(SimError::InvalidConfig(
                "replica_fetch_delay_ms must be ≤ 3600000 and replica.lag.time.max.ms ≥ 1".into(),
            ));
        }
        if self.event_queue_capacity == 0 || self.event_queue_capacity > 10_000_000 {
            return Err(SimError::InvalidConfig("event_queue_capacity must be in 1..=10000000".into()));
        }
        if self.max_retained_records > 200_000_000 {
            return Err(SimError::LimitExceeded("max_retained_records is capped at 200000000".into()));
        }
        Ok(())
    }
}

/// FNV-1a 64-bit over a canonical byte encoding (little-endian integers, length-prefixed
/// strings). Same result natively and in wasm32.
#[derive(Clone, Copy, Debug)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    /// Feed bytes.
    pub fn bytes(&mut self, b: &[u8]) {
        for &x in b {
            self.0 ^= x as u64;
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    /// Feed a u64.
    pub fn u64(&mut self, v: u64) {
        self.bytes(&v.to_le_bytes());
    }
    /// Feed a string (length-prefixed).
    pub fn str(&mut self, s: &str) {
        self.u64(s.len() as u64);
        self.bytes(s.as_bytes());
    }
    /// The hash.
    pub fn finish(&self) -> u64 {
        self.0
    }
}

/// The simulation.
#[derive(Clone, Debug)]
pub struct Sim {
    config: SimConfig,
    ctx: Ctx,
    cluster: Cluster,
    producers: Vec<Producer>,
    groups: GroupLayer,
    console_producers: [Option<u32>; 3],
}

fn acks_idx(a: Acks) -> usize {
    match a {
        Acks::Zero => 0,
        Acks::One => 1,
        Acks::All => 2,
    }
}

/// Kafka's spelling of `acks`.
pub fn acks_str(a: Acks) -> &'static str {
    match a {
        Acks::Zero => "0",
        Acks::One => "1",
        Acks::All => "all",
    }
}

impl Sim {
    /// A new cluster with `config.brokers` brokers and `__consumer_offsets`.
    pub fn new(config: SimConfig) -> Result<Sim, SimError> {
        config.validate()?;
        let cc = ClusterConfig {
            replica_fetch_delay_ms: config.replica_fetch_delay_ms,
            replica_lag_time_max_ms: config.replica_lag_time_max_ms,
            replica_fetch_backoff_ms: config.replica_fetch_backoff_ms,
            replica_fetch_max_records: (config.replica_fetch_max_bytes / config.record_size_bytes).max(1),
            broker_session_timeout_ms: config.broker_session_timeout_ms,
            replica_fetch_wait_max_ms: config.replica_fetch_wait_max_ms,
            record_size_bytes: config.record_size_bytes,
            log_retention_check_interval_ms: config.log_retention_check_interval_ms,
            log_cleaner_backoff_ms: config.log_cleaner_backoff_ms,
            min_cleanable_dirty_ratio_percent: config.min_cleanable_dirty_ratio_percent,
            max_retained_records: config.max_retained_records,
        };
        let mut ctx = Ctx {
            now_ms: 0,
            timers: Timers::default(),
            events: EventQueue::new(config.event_queue_capacity, config.detail_events),
            rng: SplitMix64::new(config.seed),
        };
        let mut cluster = Cluster::new(config.brokers, cc);
        let rf = config.offsets_topic_replication_factor.min(config.brokers as u16);
        let offsets_cfg = TopicConfig {
            cleanup_policy: CleanupPolicy::Compact,
            // Kafka: offsets.topic.segment.bytes = 104857600
            segment_bytes: 104_857_600,
            ..TopicConfig::default()
        };
        cluster.create_topic(&mut ctx, CONSUMER_OFFSETS, config.offsets_topic_num_partitions, rf, offsets_cfg, true)?;
        // The group coordinator writes offset commits with acks=all.
        cluster.register_producer("__group_coordinator".into(), Acks::All)?;
        Ok(Sim { config, ctx, cluster, producers: Vec::new(), groups: GroupLayer::default(), console_producers: [None; 3] })
    }

    /// The configuration.
    pub fn config(&self) -> &SimConfig {
        &self.config
    }
    /// Current simulated time.
    pub fn now_ms(&self) -> u64 {
        self.ctx.now_ms
    }
    /// The log layer (read-only).
    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }
    /// The log layer, for the group layer (append offset commits, etc.).
    pub fn cluster_mut(&mut self) -> &mut Cluster {
        &mut self.cluster
    }

    /// The log layer together with the clock/timers/output context, for layers built on top
    /// (the group coordinator appends offset commits with it).
    pub fn cluster_and_ctx_mut(&mut self) -> (&mut Cluster, &mut Ctx) {
        (&mut self.cluster, &mut self.ctx)
    }

    /// Apply a command now. On `Err`, nothing changed.
    pub fn apply(&mut self, cmd: Command) -> Result<(), SimError> {
        self.apply_inner(cmd)?;
        // Broker changes may move group coordinators.
        if self.groups.sync_coordinators(&mut self.ctx, &mut self.cluster) {
            self.groups.reschedule(&mut self.ctx);
        }
        Ok(())
    }

    fn apply_inner(&mut self, cmd: Command) -> Result<(), SimError> {
        match cmd {
            Command::CreateTopic { name, partitions, replication_factor, config } => {
                self.cluster.create_topic(&mut self.ctx, &name, partitions, replication_factor, config, false)?;
                Ok(())
            }
            Command::CreatePartitions { topic, count } => {
                self.cluster.create_partitions(&mut self.ctx, &topic, count)?;
                self.groups.on_metadata_change(&mut self.ctx);
                Ok(())
            }
            Command::Produce { topic, count, key, acks } => self.produce_now(&topic, count, key.as_deref(), acks),
            Command::AddProducer { producer_id, topic, rate_per_sec, keys, acks } => {
                producer::add_producer(self, producer_id, topic, rate_per_sec, keys, acks)
            }
            Command::RemoveProducer { producer_id } => {
                let p = self
                    .producers
                    .iter_mut()
                    .find(|p| p.active && p.name == producer_id)
                    .ok_or_else(|| SimError::UnknownClient(format!("no running producer '{producer_id}'")))?;
                p.active = false;
                Ok(())
            }
            Command::CrashBroker { broker } => self.cluster.crash_broker(&mut self.ctx, broker),
            Command::ShutdownBroker { broker } => self.cluster.shutdown_broker(&mut self.ctx, broker),
            Command::RestartBroker { broker } => self.cluster.restart_broker(&mut self.ctx, broker),
            Command::SetBrokerDelay { broker, fetch_delay_ms } => self.cluster.set_broker_delay(broker, fetch_delay_ms),
            Command::CreateGroup { group_id, topics, config } => {
                self.groups.create_group(&mut self.ctx, &mut self.cluster, group_id, topics, config)
            }
            Command::AddConsumer { group_id, client_id, topics } => {
                self.groups.add_consumer(&mut self.ctx, &mut self.cluster, group_id, client_id, topics)
            }
            Command::CrashConsumer { client_id } => {
                self.groups.crash_consumer(&mut self.ctx, &mut self.cluster, &client_id)
            }
            Command::CloseConsumer { client_id } => {
                self.groups.close_consumer(&mut self.ctx, &mut self.cluster, &client_id)
            }
            Command::StallConsumer { client_id } => {
                self.groups.stall_consumer(&mut self.ctx, &mut self.cluster, &client_id)
            }
            Command::RestartConsumer { client_id } => {
                self.groups.restart_consumer(&mut self.ctx, &mut self.cluster, &client_id)
            }
            Command::SetGroupStrategy { group_id, strategies } => {
                self.groups.set_group_strategy(&mut self.ctx, &group_id, strategies)
            }
        }
    }

    /// One-shot produce through the default partitioner (console-producer identity per acks).
    fn produce_now(&mut self, topic: &str, count: u32, key: Option<&str>, acks: Acks) -> Result<(), SimError> {
        let tid = self
            .cluster
            .topic_id(topic)
            .ok_or_else(|| SimError::UnknownTopicOrPartition(format!("Topic {topic} not present in metadata")))?;
        if self.cluster.topics[tid].internal {
            return Err(SimError::InvalidRequest(format!("cannot produce to internal topic {topic}")));
        }
        if count == 0 || count > limits::MAX_PRODUCE_COUNT {
            return Err(SimError::LimitExceeded(format!(
                "produce count must be in 1..={} (got {count})",
                limits::MAX_PRODUCE_COUNT
            )));
        }
        let n = self.cluster.topics[tid].partitions.len() as u32;
        // Plan: keyed → one partition; null key → sticky batches of batch.size bytes over
        // random partitions with a leader (planned with a cloned RNG, committed on success).
        let per_batch = (self.config.batch_size / self.config.record_size_bytes).max(1);
        let mut rng = self.ctx.rng.clone();
        let mut plan: Vec<(u32, u64)> = Vec::new();
        match key {
            Some(k) => plan.push((crate::hash::partition_for_key(k, n), count as u64)),
            None => {
                let available: Vec<u32> = (0..n).filter(|&p| self.cluster.topics[tid].partitions[p as usize].leader.is_some()).collect();
                let pool: Vec<u32> = if available.is_empty() { (0..n).collect() } else { available };
                let mut left = count as u64;
                while left > 0 {
                    let p = pool[rng.below(pool.len() as u64) as usize];
                    let c = left.min(per_batch);
                    plan.push((p, c));
                    left -= c;
                }
            }
        }
        for &(p, _) in &plan {
            if let Err(e) = self.cluster.check_append(tid, p as usize, acks, key.is_some()) {
                return Err(produce_error(e, topic, p));
            }
        }
        if self.cluster.total_records() + (count as u64) * self.cluster.topics[tid].replication_factor as u64 > self.config.max_retained_records {
            return Err(produce_error(AppendError::KafkaStorageError, topic, plan[0].0));
        }
        let key_id = match key {
            Some(k) => self
                .cluster
                .intern_key(k)
                .ok_or_else(|| SimError::LimitExceeded(format!("at most {} distinct keys", limits::MAX_KEYS)))?,
            None => NO_KEY,
        };
        let pid = match self.console_producers[acks_idx(acks)] {
            Some(p) => p,
            None => {
                let name = match acks {
                    Acks::All => "console-producer".to_string(),
                    a => format!("console-producer-acks{}", acks_str(a)),
                };
                let id = self.cluster.register_producer(name, acks)?;
                self.console_producers[acks_idx(acks)] = Some(id);
                id
            }
        };
        self.ctx.rng = rng;
        let mut buf = Vec::new();
        for (p, c) in plan {
            buf.clear();
            let seq0 = self.cluster.producers[pid as usize].next_sequence;
            for i in 0..c {
                buf.push(Record {
                    offset: 0,
                    timestamp_ms: 0,
                    value: 0,
                    producer_id: pid,
                    sequence: seq0.wrapping_add(i as u32),
                    key: key_id,
                    leader_epoch: 0,
                });
            }
            self.cluster.producers[pid as usize].next_sequence = seq0.wrapping_add(c as u32);
            // Checked above; append re-checks and cannot fail differently within one command.
            if self.cluster.append(&mut self.ctx, tid, p as usize, acks, &mut buf).is_ok() && acks == Acks::One {
                self.cluster.producers[pid as usize].acknowledged += c;
            }
        }
        Ok(())
    }

    /// Process every due internal event up to `now_ms` and set the clock to it.
    pub fn advance_to(&mut self, now_ms: u64) {
        while let Some(d) = self.ctx.timers.next_deadline_ms() {
            if d > now_ms {
                break;
            }
            self.fire_next();
        }
        if now_ms > self.ctx.now_ms {
            self.ctx.now_ms = now_ms;
        }
    }

    /// Earliest pending internal deadline.
    pub fn next_deadline_ms(&self) -> Option<u64> {
        self.ctx.timers.next_deadline_ms()
    }

    /// Jump to the next deadline and process everything due then. Returns the new time.
    pub fn step(&mut self) -> Option<u64> {
        let d = self.ctx.timers.next_deadline_ms()?;
        self.advance_to(d.max(self.ctx.now_ms));
        Some(self.ctx.now_ms)
    }

    fn fire_next(&mut self) {
        let Some((d, timer)) = self.ctx.timers.pop_due(u64::MAX) else { return };
        if d > self.ctx.now_ms {
            self.ctx.now_ms = d;
        }
        match timer {
            Timer::Fetch { broker } => self.cluster.on_fetch(&mut self.ctx, broker),
            Timer::IsrExpiration => self.cluster.on_isr_expiration(&mut self.ctx),
            Timer::Fence { broker, incarnation } => self.cluster.on_fence_timer(&mut self.ctx, broker, incarnation),
            Timer::Retention => self.cluster.on_retention(&mut self.ctx),
            Timer::Cleaner => self.cluster.on_cleaner(&mut self.ctx),
            Timer::ProducerTick { producer } => producer::on_tick(self, producer),
            Timer::Group { .. } => self.groups.on_timer(&mut self.ctx, &mut self.cluster),
        }
        if self.groups.sync_coordinators(&mut self.ctx, &mut self.cluster) {
            self.groups.reschedule(&mut self.ctx);
        }
    }

    /// Next output event (oldest first).
    pub fn poll_event(&mut self) -> Option<Event> {
        self.ctx.events.pop()
    }

    /// Events dropped because the output queue overflowed.
    pub fn events_dropped(&self) -> u64 {
        self.ctx.events.dropped()
    }

    /// Plain-data snapshot.
    pub fn view(&self) -> View {
        let c = &self.cluster;
        View {
            now_ms: self.ctx.now_ms,
            brokers: c
                .brokers
                .iter()
                .map(|b| BrokerView {
                    id: b.id,
                    alive: b.alive,
                    fenced: b.fenced,
                    fetch_delay_ms: b.fetch_delay_ms.unwrap_or(self.config.replica_fetch_delay_ms),
                })
                .collect(),
            topics: c
                .topics
                .iter()
                .map(|t| TopicView {
                    name: t.name.clone(),
                    internal: t.internal,
                    min_insync_replicas: t.config.min_insync_replicas,
                    cleanup_policy: match t.config.cleanup_policy {
                        CleanupPolicy::Delete => "delete",
                        CleanupPolicy::Compact => "compact",
                        CleanupPolicy::CompactDelete => "compact,delete",
                    }
                    .to_string(),
                    partitions: t
                        .partitions
                        .iter()
                        .map(|p| {
                            let ll = p.leader_log();
                            PartitionView {
                                partition: p.partition,
                                leader: p.leader,
                                replicas: p.replicas.clone(),
                                isr: p.isr.clone(),
                                leader_epoch: p.leader_epoch,
                                log_start_offset: ll.map_or(0, |l| l.log_start_offset()),
                                high_watermark: ll.map_or(0, |l| l.high_watermark()),
                                log_end_offset: ll.map_or(0, |l| l.log_end_offset()),
                                retained_records: ll.map_or(0, |l| l.len()),
                                compacted_records: p.compacted_records,
                                lost_records: p.lost_records,
                                lost_acknowledged: p.lost_acknowledged,
                                replica_states: p
                                    .replicas
                                    .iter()
                                    .zip(&p.logs)
                                    .map(|(&b, l)| ReplicaView {
                                        broker: b,
                                        log_start_offset: l.log_start_offset(),
                                        log_end_offset: l.log_end_offset(),
                                        high_watermark: l.high_watermark(),
                                    })
                                    .collect(),
                            }
                        })
                        .collect(),
                })
                .collect(),
            groups: self.groups.views(c),
            producers: self
                .producers
                .iter()
                .map(|p| {
                    let ident = &c.producers[p.identity as usize];
                    ProducerView {
                        producer_id: p.name.clone(),
                        topic: c.topics[p.topic].name.clone(),
                        rate_per_sec: p.rate_per_sec,
                        acks: acks_str(p.acks).to_string(),
                        active: p.active,
                        sent: p.sent,
                        appended: p.appended,
                        acknowledged: ident.acknowledged,
                        failed: p.failed,
                    }
                })
                .collect(),
            events_dropped: self.ctx.events.dropped(),
        }
    }

    /// Deterministic FNV-1a hash of the canonical state (same natively and in wasm32).
    pub fn state_hash(&self) -> u64 {
        let mut h = Fnv::default();
        h.u64(self.ctx.now_ms);
        h.u64(self.ctx.rng.state());
        h.u64(self.ctx.timers.next_seq());
        for (d, seq, t) in self.ctx.timers.iter() {
            h.u64(d);
            h.u64(seq);
            let (a, b, c) = match *t {
                Timer::Fetch { broker } => (1, broker as u64, 0),
                Timer::IsrExpiration => (2, 0, 0),
                Timer::Fence { broker, incarnation } => (3, broker as u64, incarnation as u64),
                Timer::Retention => (4, 0, 0),
                Timer::Cleaner => (5, 0, 0),
                Timer::ProducerTick { producer } => (6, producer as u64, 0),
                Timer::Group { id, kind } => (7, id as u64, kind as u64),
            };
            h.u64(a);
            h.u64(b);
            h.u64(c);
        }
        self.cluster.hash_into(&mut h);
        for p in &self.producers {
            p.hash_into(&mut h);
        }
        self.groups.hash_into(&mut h);
        h.u64(self.ctx.events.dropped());
        h.finish()
    }

    /// Check the engine invariants: log start ≤ HW ≤ LEO on every replica; ISR ⊆ replicas;
    /// leader ∈ ISR; ISR never empty; no committed record lost without an unclean election;
    /// record counters consistent; group assignments cover each subscribed partition at most
    /// once.
    pub fn check_invariants(&self) -> Result<(), String> {
        self.cluster.check_invariants()?;
        self.groups.check_invariants()
    }
}

fn produce_error(e: AppendError, topic: &str, partition: u32) -> SimError {
    let message = match e {
        AppendError::NotEnoughReplicas => format!(
            "Messages are rejected since there are fewer in-sync replicas than required for {topic}-{partition}"
        ),
        AppendError::NotLeaderOrFollower => format!("{topic}-{partition} has no leader (offline)"),
        AppendError::NetworkException => format!("the leader of {topic}-{partition} is not reachable"),
        AppendError::KafkaStorageError => "GroupLab's retained-record cap (max_retained_records) is reached".to_string(),
        AppendError::InvalidRecord => format!("Compacted topic cannot accept message without key in topic partition {topic}-{partition}."),
        AppendError::UnknownTopicOrPartition => format!("{topic}-{partition} does not exist"),
    };
    SimError::ProduceRejected { error: e.name().to_string(), message }
}
