//! The simulation driver: a sans-IO, deterministic discrete-event loop.
//!
//! [`Sim::apply`] handles input (commands), [`Sim::advance_to`] / [`Sim::step`] handle
//! timeouts, [`Sim::poll_event`] drains output. Nothing here reads a clock or an OS RNG.

pub mod group_layer;
pub mod records;

use serde::{Deserialize, Serialize};

use crate::api::command::Command;
use crate::api::event::{Event, EventKind};
use crate::api::view::*;
use crate::cluster::{limits, Cluster, ClusterConfig, ClusterTimer};
use crate::group::protocol::{ErrorCode, TopicPartition};
use crate::kafka::error::SimError;
use crate::kafka::topic::{CleanupPolicy, TopicConfig, CONSUMER_OFFSETS};
use crate::kernel::{Ctx, EventQueue, Fnv};
use crate::producer::{acks_str, Acks, ProducerSettings, ProducerSpec, Producers};
use group_layer::GroupLayer;

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
    /// `offsets.topic.replication.factor` (default 3): with fewer brokers `__consumer_offsets`
    /// cannot be created and groups get COORDINATOR_NOT_AVAILABLE (set it to 1 for one broker).
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
    /// `eligible.leader.replicas.version` (KIP-966): 1, the default of new Kafka 4.1+ clusters,
    /// keeps eligible leader replicas (the ISR may become empty and an ELR member leads
    /// cleanly); 0 turns them off (the last ISR member stays in the ISR, as before 4.1).
    #[serde(rename = "eligible.leader.replicas.version")]
    pub eligible_leader_replicas_version: u8,
    /// `offsets.commit.timeout.ms` (default 5000): a coordinator write (OffsetCommit, the
    /// leader's SyncGroup) whose records the HW of `__consumer_offsets` has not passed by then
    /// fails with COORDINATOR_NOT_AVAILABLE (`REQUEST_TIMED_OUT` mapped by
    /// `GroupCoordinatorService`).
    #[serde(rename = "offsets.commit.timeout.ms")]
    pub offsets_commit_timeout_ms: u64,
    /// `group.max.size` (Kafka: Integer.MAX_VALUE; the simulator caps a group at 1000
    /// members): a consumer joining a full classic group gets GROUP_MAX_SIZE_REACHED.
    #[serde(rename = "group.max.size")]
    pub group_max_size: u32,
    /// `offsets.retention.minutes` (10080, 7 days): the committed offsets of a group that has
    /// been Empty this long expire (tombstones in `__consumer_offsets`).
    #[serde(rename = "offsets.retention.minutes")]
    pub offsets_retention_minutes: u64,
    /// `offsets.retention.check.interval.ms` (600000).
    #[serde(rename = "offsets.retention.check.interval.ms")]
    pub offsets_retention_check_interval_ms: u64,
    /// `min.insync.replicas` (default 1), the broker default `__consumer_offsets` takes (other
    /// topics set their own).
    #[serde(rename = "min.insync.replicas")]
    pub min_insync_replicas: u16,
    /// `group.consumer.session.timeout.ms` (45000): consumer-protocol members' session.
    #[serde(rename = "group.consumer.session.timeout.ms")]
    pub group_consumer_session_timeout_ms: u64,
    /// `group.consumer.heartbeat.interval.ms` (5000): returned in every ConsumerGroupHeartbeat.
    #[serde(rename = "group.consumer.heartbeat.interval.ms")]
    pub group_consumer_heartbeat_interval_ms: u64,
    /// `group.consumer.max.size` (Integer.MAX_VALUE).
    #[serde(rename = "group.consumer.max.size")]
    pub group_consumer_max_size: u32,
    /// `group.consumer.assignors` (`uniform,range`): the first is the default.
    #[serde(rename = "group.consumer.assignors")]
    pub group_consumer_assignors: Vec<String>,
    /// `group.consumer.migration.policy` (`bidirectional`; also `upgrade`, `downgrade`,
    /// `disabled`, case-insensitive): the online conversions between classic and consumer
    /// groups the coordinator makes.
    #[serde(rename = "group.consumer.migration.policy")]
    pub group_consumer_migration_policy: String,
    /// `group.share.session.timeout.ms` (45000): share groups' member session.
    #[serde(rename = "group.share.session.timeout.ms")]
    pub group_share_session_timeout_ms: u64,
    /// `group.share.heartbeat.interval.ms` (5000).
    #[serde(rename = "group.share.heartbeat.interval.ms")]
    pub group_share_heartbeat_interval_ms: u64,
    /// `group.share.max.size` (200): members per share group.
    #[serde(rename = "group.share.max.size")]
    pub group_share_max_size: u32,
    /// `group.share.record.lock.duration.ms` (30000): the acquisition lock of groups that set
    /// no `share.record.lock.duration.ms`.
    #[serde(rename = "group.share.record.lock.duration.ms")]
    pub group_share_record_lock_duration_ms: u64,
    /// `group.share.delivery.count.limit` (5).
    #[serde(rename = "group.share.delivery.count.limit")]
    pub group_share_delivery_count_limit: u16,
    /// `group.share.partition.max.record.locks` (2000): in-flight records per share-partition.
    #[serde(rename = "group.share.partition.max.record.locks")]
    pub group_share_partition_max_record_locks: u32,
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
            eligible_leader_replicas_version: 1,
            offsets_commit_timeout_ms: 5_000,
            group_max_size: 2_147_483_647,
            offsets_retention_minutes: 10_080,
            offsets_retention_check_interval_ms: 600_000,
            min_insync_replicas: 1,
            group_consumer_session_timeout_ms: 45_000,
            group_consumer_heartbeat_interval_ms: 5_000,
            group_consumer_max_size: 2_147_483_647,
            group_consumer_assignors: vec!["uniform".into(), "range".into()],
            group_consumer_migration_policy: "bidirectional".into(),
            group_share_session_timeout_ms: 45_000,
            group_share_heartbeat_interval_ms: 5_000,
            group_share_max_size: 200,
            group_share_record_lock_duration_ms: 30_000,
            group_share_delivery_count_limit: 5,
            group_share_partition_max_record_locks: 2_000,
        }
    }
}

use crate::group::consumer::coordinator::MigrationPolicy;

impl SimConfig {
    /// The broker settings of consumer-protocol groups (`GroupCoordinatorConfig`).
    pub fn consumer_group_config(&self) -> crate::group::consumer::coordinator::ConsumerGroupConfig {
        crate::group::consumer::coordinator::ConsumerGroupConfig {
            session_timeout_ms: self.group_consumer_session_timeout_ms,
            heartbeat_interval_ms: self.group_consumer_heartbeat_interval_ms,
            max_size: self.group_consumer_max_size as usize,
            assignors: self.group_consumer_assignors.clone(),
            // Checked by `validate_consumer_group_configs`; a bad value means no migration.
            migration_policy: MigrationPolicy::parse(&self.group_consumer_migration_policy).unwrap_or(MigrationPolicy::Disabled),
            classic_max_size: self.group_max_size as usize,
        }
    }

    /// The broker settings of share groups (`group.share.*`).
    pub fn share_group_config(&self) -> crate::group::share::group::ShareGroupConfig {
        crate::group::share::group::ShareGroupConfig {
            session_timeout_ms: self.group_share_session_timeout_ms,
            heartbeat_interval_ms: self.group_share_heartbeat_interval_ms,
            max_size: self.group_share_max_size as usize,
            ..Default::default()
        }
    }

    /// The broker's defaults for share-partitions (`group.share.*`).
    pub fn share_partition_config(&self) -> crate::group::share::partition::SharePartitionConfig {
        crate::group::share::partition::SharePartitionConfig {
            record_lock_duration_ms: self.group_share_record_lock_duration_ms,
            delivery_count_limit: self.group_share_delivery_count_limit,
            max_in_flight_records: self.group_share_partition_max_record_locks,
        }
    }

    /// The `group.consumer.*` checks of `GroupCoordinatorConfig` (its messages).
    fn validate_consumer_group_configs(&self) -> Result<(), SimError> {
        let (session, heartbeat) = (self.group_consumer_session_timeout_ms, self.group_consumer_heartbeat_interval_ms);
        if heartbeat == 0 || session == 0 || heartbeat >= session || session > 3_600_000 {
            return Err(SimError::InvalidConfig(format!(
                "group.consumer.heartbeat.interval.ms ({heartbeat}) must be at least 1 and less than group.consumer.session.timeout.ms ({session}), at most 3600000"
            )));
        }
        if self.group_consumer_max_size == 0 {
            return Err(SimError::InvalidConfig("group.consumer.max.size must be greater than or equal to 1".into()));
        }
        let assignors = &self.group_consumer_assignors;
        let known = ["uniform", "range"];
        if assignors.is_empty() || assignors.iter().any(|a| !known.contains(&a.as_str())) || (1..assignors.len()).any(|i| assignors[..i].contains(&assignors[i])) {
            return Err(SimError::InvalidConfig(format!(
                "group.consumer.assignors must be a non-empty list of distinct assignors among uniform, range (got {})",
                assignors.join(",")
            )));
        }
        let s = self;
        for (name, value, lo, hi) in [
            ("group.share.session.timeout.ms", s.group_share_session_timeout_ms, 1, 3_600_000),
            ("group.share.heartbeat.interval.ms", s.group_share_heartbeat_interval_ms, 1, s.group_share_session_timeout_ms.saturating_sub(1)),
            ("group.share.max.size", u64::from(s.group_share_max_size), 1, 1_000),
            ("group.share.record.lock.duration.ms", s.group_share_record_lock_duration_ms, 1_000, 3_600_000),
            ("group.share.delivery.count.limit", u64::from(s.group_share_delivery_count_limit), 2, 10),
            ("group.share.partition.max.record.locks", u64::from(s.group_share_partition_max_record_locks), 100, 10_000),
        ] {
            if value < lo || value > hi {
                return Err(SimError::InvalidConfig(format!("Invalid value {value} for configuration {name}: Value must be in [{lo}, {hi}]")));
            }
        }
        if MigrationPolicy::parse(&self.group_consumer_migration_policy).is_none() {
            return Err(SimError::InvalidConfig(format!(
                "Invalid value {} for configuration group.consumer.migration.policy: String must be one of (case insensitive): DISABLED, DOWNGRADE, UPGRADE, BIDIRECTIONAL",
                self.group_consumer_migration_policy
            )));
        }
        Ok(())
    }
}

impl SimConfig {
    fn validate(&self) -> Result<(), SimError> {
        self.validate_consumer_group_configs()?;
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
        if self.eligible_leader_replicas_version > 1 {
            return Err(SimError::InvalidConfig(format!("eligible.leader.replicas.version must be 0 or 1 (got {})", self.eligible_leader_replicas_version)));
        }
        if self.offsets_commit_timeout_ms == 0 || self.offsets_commit_timeout_ms > 3_600_000 {
            return Err(SimError::InvalidConfig(format!(
                "offsets.commit.timeout.ms must be in 1..=3600000 (got {})",
                self.offsets_commit_timeout_ms
            )));
        }
        if self.offsets_retention_minutes == 0 || self.offsets_retention_check_interval_ms == 0 {
            return Err(SimError::InvalidConfig("offsets.retention.minutes and offsets.retention.check.interval.ms must be at least 1".into()));
        }
        if self.group_max_size == 0 {
            return Err(SimError::InvalidConfig("group.max.size must be at least 1".into()));
        }
        if self.min_insync_replicas == 0 {
            return Err(SimError::InvalidConfig("min.insync.replicas must be at least 1".into()));
        }
        if self.max_retained_records > 200_000_000 {
            return Err(SimError::LimitExceeded("max_retained_records is capped at 200000000".into()));
        }
        Ok(())
    }
}

/// The simulation: the machines (log layer, producers, group layer), the kernel context they
/// share, and the merged output queue.
#[derive(Clone, Debug)]
pub struct Sim {
    config: SimConfig,
    /// Why `__consumer_offsets` could not be created, if it could not.
    offsets_topic_error: Option<String>,
    ctx: Ctx,
    events: EventQueue<Event>,
    cluster: Cluster,
    producers: Producers,
    groups: GroupLayer,
}

/// [`Sim::step_bounded`] fired `fires` timers due by `now_ms` and the next one (`deadline_ms`)
/// is still due: simulated time does not move.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stall {
    /// The clock.
    pub now_ms: u64,
    /// The deadline of the timer still due.
    pub deadline_ms: u64,
    /// Timers fired by the call.
    pub fires: usize,
}

/// The machine whose timer is due first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Machine {
    Cluster,
    Producers,
    Groups,
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
            detail_events: config.detail_events,
            eligible_leader_replicas: config.eligible_leader_replicas_version >= 1,
        };
        let mut ctx = Ctx::new(config.seed);
        let mut cluster = Cluster::new(config.brokers, cc);
        let rf = config.offsets_topic_replication_factor;
        let offsets_cfg = TopicConfig {
            cleanup_policy: CleanupPolicy::Compact,
            // Kafka: offsets.topic.segment.bytes = 104857600
            segment_bytes: 104_857_600,
            min_insync_replicas: config.min_insync_replicas,
            ..TopicConfig::default()
        };
        // `__consumer_offsets` is created with `offsets.topic.replication.factor` replicas or not at
        // all (`AutoTopicCreationManager`): with fewer brokers, FindCoordinator answers
        // COORDINATOR_NOT_AVAILABLE and no group can work.
        let offsets_topic_error = if u32::from(rf) > config.brokers {
            Some(format!(
                "Number of alive brokers '{}' does not meet the required replication factor '{rf}' for the offsets topic (configured via 'offsets.topic.replication.factor'). This error can be ignored if the cluster is starting up and not all brokers are up yet.",
                config.brokers
            ))
        } else {
            cluster.create_topic(&mut ctx, CONSUMER_OFFSETS, config.offsets_topic_num_partitions, rf, offsets_cfg, true)?;
            None
        };
        // The group coordinator writes offset commits with acks=all.
        cluster.register_producer("__group_coordinator".into(), Acks::All)?;
        let settings = ProducerSettings {
            tick_ms: config.producer_tick_ms,
            batch_size: config.batch_size,
            record_size_bytes: config.record_size_bytes,
        };
        let events = EventQueue::new(config.event_queue_capacity);
        let groups = GroupLayer::new(
            config.offsets_commit_timeout_ms,
            config.group_max_size as usize,
            config.offsets_retention_minutes.saturating_mul(60_000),
            config.offsets_retention_check_interval_ms,
        )
        .with_consumer_group_config(config.consumer_group_config())
        .with_share_group_config(config.share_group_config(), config.share_partition_config());
        let mut sim = Sim { config, offsets_topic_error, ctx, events, cluster, producers: Producers::new(settings), groups };
        sim.collect_outputs();
        Ok(sim)
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
    /// Apply a command now. On `Err`, nothing changed.
    pub fn apply(&mut self, cmd: Command) -> Result<(), SimError> {
        let applied = self.apply_inner(cmd);
        if applied.is_ok() {
            // Broker changes may move group coordinators.
            if self.groups.sync_coordinators(&mut self.ctx, &mut self.cluster) {
                self.groups.reschedule(&mut self.ctx);
            }
            // An append or an ISR change may have moved a `__consumer_offsets` HW.
            self.groups.complete_writes(&mut self.ctx, &mut self.cluster);
        }
        self.collect_outputs();
        applied
    }

    fn apply_inner(&mut self, cmd: Command) -> Result<(), SimError> {
        match cmd {
            Command::CreateTopic { name, partitions, replication_factor, config } => {
                self.cluster.create_topic(&mut self.ctx, &name, partitions, replication_factor, config, false)?;
                Ok(())
            }
            Command::CreatePartitions { topic, count } => {
                // Consumers notice the new partitions on their next metadata refresh.
                self.cluster.create_partitions(&mut self.ctx, &topic, count)
            }
            Command::Produce { topic, count, key, acks } => {
                self.producers.produce_once(&mut self.ctx, &mut self.cluster, &topic, count, key.as_deref(), acks)
            }
            Command::AddProducer { producer_id, topic, rate_per_sec, keys, acks, config } => {
                let spec = ProducerSpec { producer_id, topic, rate_per_sec, keys, acks, options: config };
                self.producers.add(&mut self.ctx, &mut self.cluster, spec)
            }
            Command::RemoveProducer { producer_id } => self.producers.remove(&producer_id),
            Command::SetProducerRate { producer_id, rate_per_sec } => self.producers.set_rate(&producer_id, rate_per_sec),
            Command::CrashBroker { broker } => {
                self.cluster.crash_broker(&mut self.ctx, broker)?;
                self.groups.broker_crashed(&mut self.ctx, &mut self.cluster, broker);
                Ok(())
            }
            Command::ShutdownBroker { broker } => {
                self.cluster.shutdown_broker(&mut self.ctx, broker)?;
                self.groups.broker_crashed(&mut self.ctx, &mut self.cluster, broker);
                Ok(())
            }
            Command::RestartBroker { broker } => self.cluster.restart_broker(&mut self.ctx, broker),
            Command::SetBrokerDelay { broker, fetch_delay_ms } => self.cluster.set_broker_delay(broker, fetch_delay_ms),
            Command::CreateGroup { group_id, topics, config } => {
                self.groups.create_group(&mut self.ctx, &mut self.cluster, group_id, topics, config)
            }
            Command::CreateShareGroup { group_id, topics, config } => {
                self.groups.create_share_group(&mut self.ctx, &mut self.cluster, group_id, topics, config)
            }
            Command::AddConsumer { group_id, client_id, topics, group_instance_id } => {
                self.groups.add_consumer(&mut self.ctx, &mut self.cluster, group_id, client_id, topics, group_instance_id)
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
            Command::SetGroupProtocol { group_id, protocol } => self.groups.set_group_protocol(&group_id, protocol),
            Command::AlterConsumerGroupOffsets { group_id, offsets } => {
                let offsets: Vec<(TopicPartition, u64)> = offsets.into_iter().map(|o| (TopicPartition::new(o.topic, o.partition), o.offset)).collect();
                self.groups.alter_offsets(&mut self.ctx, &mut self.cluster, &group_id, &offsets)
            }
            Command::DeleteConsumerGroupOffsets { group_id, partitions } => {
                let partitions: Vec<TopicPartition> = partitions.into_iter().map(|p| TopicPartition::new(p.topic, p.partition)).collect();
                self.groups.delete_offsets(&mut self.ctx, &mut self.cluster, &group_id, &partitions)
            }
            Command::AlterShareGroupOffsets { group_id, offsets } => {
                let offsets: Vec<(TopicPartition, u64)> = offsets.into_iter().map(|o| (TopicPartition::new(o.topic, o.partition), o.offset)).collect();
                self.groups.alter_share_group_offsets(&mut self.ctx, &mut self.cluster, &group_id, &offsets)
            }
            Command::DeleteShareGroupOffsets { group_id, topics } => {
                self.groups.delete_share_group_offsets(&mut self.ctx, &mut self.cluster, &group_id, &topics)
            }
        }
    }

    /// What an OffsetDelete of `partitions` of `group_id` would get now, without sending it: the
    /// group-level error, or each partition's outcome (`NONE` when its offset would be deleted).
    /// The same rule [`Command::DeleteConsumerGroupOffsets`] applies
    /// (`sim::group_layer` `offset_delete_outcome`); `kafka-consumer-groups.sh --delete-offsets`
    /// prints it.
    pub fn offset_delete_outcome(&self, group_id: &str, partitions: &[TopicPartition]) -> Result<Vec<(TopicPartition, ErrorCode)>, ErrorCode> {
        self.groups.offset_delete_outcome(&self.cluster, self.ctx.now_ms, group_id, partitions)
    }

    /// Share-group Admin requests as Kafka would answer them now, without sending them:
    /// `listShareGroupOffsets` (the persisted start offsets and lags), and the outcomes of an
    /// AlterShareGroupOffsets and a DeleteShareGroupOffsets, the same rules
    /// [`Command::AlterShareGroupOffsets`] and [`Command::DeleteShareGroupOffsets`] apply
    /// (`sim::group_layer::share_admin`); `kafka-share-groups.sh` prints them.
    pub fn share_admin(&self) -> crate::sim::group_layer::share_admin::ShareAdmin<'_> {
        self.groups.share_admin(&self.cluster)
    }

    /// Process every due internal event up to `now_ms` and set the clock to it.
    pub fn advance_to(&mut self, now_ms: u64) {
        // Unbounded: `usize::MAX` fires are never reached, so this never stalls.
        let _ = self.fire_due(now_ms, usize::MAX);
    }

    /// Fires the timers due by `now_ms`, at most `max_fires` of them (a [`Stall`] when one is
    /// still due then), and sets the clock to `now_ms` if it is later.
    fn fire_due(&mut self, now_ms: u64, max_fires: usize) -> Result<(), Stall> {
        let mut fires = 0usize;
        while let Some(d) = self.next_deadline_ms() {
            if d > now_ms {
                break;
            }
            if fires == max_fires {
                return Err(Stall { now_ms: self.ctx.now_ms, deadline_ms: d, fires });
            }
            self.fire_next();
            fires += 1;
        }
        if now_ms > self.ctx.now_ms {
            self.ctx.now_ms = now_ms;
        }
        Ok(())
    }

    /// Earliest pending internal deadline.
    pub fn next_deadline_ms(&self) -> Option<u64> {
        self.next_timer().map(|(key, _)| crate::kernel::unpack(key).0)
    }

    /// Jump to the next deadline and process everything due then. Returns the new time.
    pub fn step(&mut self) -> Option<u64> {
        let d = self.next_deadline_ms()?;
        self.advance_to(d.max(self.ctx.now_ms));
        Some(self.ctx.now_ms)
    }

    /// [`Sim::step`] firing at most `max_fires` timers: a timer that keeps firing without the
    /// clock moving (a machine that handles a deadline and leaves it due) is a
    /// [`Stall`] instead of a hang.
    pub fn step_bounded(&mut self, max_fires: usize) -> Result<Option<u64>, Stall> {
        let Some(d) = self.next_deadline_ms() else { return Ok(None) };
        self.fire_due(d.max(self.ctx.now_ms), max_fires)?;
        Ok(Some(self.ctx.now_ms))
    }

    /// The machine holding the earliest timer (deadline, then scheduling order) and its key.
    fn next_timer(&self) -> Option<(u128, Machine)> {
        [
            self.cluster.next_timeout_key().map(|k| (k, Machine::Cluster)),
            self.producers.next_timeout_key().map(|k| (k, Machine::Producers)),
            self.groups.next_timeout_key().map(|k| (k, Machine::Groups)),
        ]
        .into_iter()
        .flatten()
        .min_by_key(|&(k, _)| k)
    }

    fn fire_next(&mut self) {
        let Some((key, machine)) = self.next_timer() else { return };
        let d = crate::kernel::unpack(key).0;
        if d > self.ctx.now_ms {
            self.ctx.now_ms = d;
        }
        let fired = match machine {
            Machine::Cluster => self.cluster.handle_timeout(&mut self.ctx),
            Machine::Producers => self.producers.handle_timeout(&mut self.ctx, &mut self.cluster),
            Machine::Groups => self.groups.handle_timeout(&mut self.ctx, &mut self.cluster),
        };
        debug_assert!(fired, "the earliest timer is due");
        if self.groups.sync_coordinators(&mut self.ctx, &mut self.cluster) {
            self.groups.reschedule(&mut self.ctx);
        }
        self.groups.complete_writes(&mut self.ctx, &mut self.cluster);
        self.collect_outputs();
    }

    /// Moves every machine's output into the one event queue, in the order it was emitted.
    fn collect_outputs(&mut self) {
        loop {
            let stamps = [
                self.cluster.outbox().first_stamp(),
                self.producers.outbox().first_stamp(),
                self.groups.outbox().first_stamp(),
            ];
            let Some((i, _)) = stamps.iter().enumerate().filter_map(|(i, s)| s.map(|s| (i, s))).min_by_key(|&(_, s)| s) else {
                return;
            };
            let (at_ms, kind) = match i {
                0 => self.cluster.outbox().pop().map(|(at, e)| (at, EventKind::Cluster(e))),
                1 => self.producers.outbox().pop().map(|(at, e)| (at, EventKind::Producer(e))),
                _ => self.groups.outbox().pop().map(|(at, e)| (at, EventKind::Group(e))),
            }
            .expect("a stamp was there");
            self.events.push(Event { at_ms, kind });
        }
    }

    /// Next output event (oldest first).
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop()
    }

    /// Events dropped because the output queue overflowed.
    pub fn events_dropped(&self) -> u64 {
        self.events.dropped()
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
                    topic_id: crate::kafka::topic::topic_id(&t.name),
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
                                elr: p.elr.clone(),
                                last_known_elr: p.last_known_elr.clone(),
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
            groups: self.groups.views(c, self.ctx.now_ms),
            share_groups: self.groups.share_views(c),
            producers: self
                .producers
                .list
                .iter()
                .map(|p| {
                    ProducerView {
                        producer_id: p.name.clone(),
                        topic: c.topics[p.topic].name.clone(),
                        rate_per_sec: p.rate_per_sec,
                        acks: acks_str(p.acks).to_string(),
                        active: p.active,
                        sent: p.sent,
                        appended: p.appended,
                        acknowledged: p.acknowledged,
                        failed: p.failed,
                        idempotence: p.config.idempotence,
                        retries: p.retries,
                        records_retried: p.records_retried,
                        duplicates_written: p.duplicates_written,
                        duplicates_avoided: p.duplicates_avoided,
                        pending: p.pending(),
                        in_flight: p.in_flight(),
                    }
                })
                .collect(),
            events_dropped: self.events.dropped(),
            offsets_topic_error: self.offsets_topic_error.clone(),
            messages: self.groups.message_views(),
        }
    }

    /// Deterministic FNV-1a hash of the canonical state (same natively and in wasm32).
    pub fn state_hash(&self) -> u64 {
        let mut h = Fnv::default();
        h.u64(self.ctx.now_ms);
        h.u64(self.ctx.rng.state());
        h.u64(self.ctx.next_timer_seq());
        // Every machine's timers, in one firing order: (deadline, seq, machine code, a, b).
        let mut timers: Vec<(u64, u64, u64, u64, u64)> = Vec::new();
        for (d, seq, t) in self.cluster.timers() {
            let (a, b, c) = match *t {
                ClusterTimer::Fetch { broker } => (1, broker as u64, 0),
                ClusterTimer::IsrExpiration => (2, 0, 0),
                ClusterTimer::Fence { broker, incarnation } => (3, broker as u64, incarnation as u64),
                ClusterTimer::Retention => (4, 0, 0),
                ClusterTimer::Cleaner => (5, 0, 0),
            };
            timers.push((d, seq, a, b, c));
        }
        timers.extend(self.producers.timers().map(|(d, seq, &p)| (d, seq, 6, u64::from(p), 0)));
        timers.extend(self.groups.timers().map(|(d, seq)| (d, seq, 7, 0, 0)));
        crate::kernel::sort::sort_by_key(&mut timers, |&(d, seq, ..)| crate::kernel::pack(d, seq));
        for (d, seq, a, b, c) in timers {
            h.u64(d);
            h.u64(seq);
            h.u64(a);
            h.u64(b);
            h.u64(c);
        }
        self.cluster.hash_into(&mut h);
        for p in &self.producers.list {
            p.hash_into(&mut h);
        }
        self.groups.hash_into(&mut h);
        h.u64(self.events.dropped());
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

