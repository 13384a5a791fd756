//! Simulated producers (`KafkaProducer` with the built-in partitioner, KIP-794).
//!
//! * Keyed records go to `toPositive(murmur2(key)) % numPartitions` (all partitions, available
//!   or not).
//! * Null keys: sticky partition, switching after `batch.size` bytes were produced to it
//!   (simulated record size). The next partition is uniform among partitions with a leader
//!   (`partitioner.adaptive.partitioning.enable`'s queue-size weighting is not simulated; the
//!   switch happens after exactly 1× `batch.size`, not between 1× and 2× as KAFKA-14156 notes).
//! * One timer per producer every `producer_tick_ms`: all records of the tick are appended in
//!   one batch per partition.
//! * Retries and idempotence (`Sender`, `RecordAccumulator`, `TransactionManager`): every
//!   partition has a queue of batches in sequence order. A batch rejected with a retriable error
//!   (`NOT_ENOUGH_REPLICAS`, `NOT_LEADER_OR_FOLLOWER`, the leader unreachable, `REQUEST_TIMED_OUT`)
//!   goes back to the front of its queue and is re-sent after `retry.backoff.ms` ×2 per attempt
//!   up to `retry.backoff.max.ms`, ±20 % jitter (`ExponentialBackoff`; no backoff when the leader
//!   changed, KIP-951) while `Sender.canRetry` holds (attempts < `retries`, `delivery.timeout.ms`
//!   since the batch was created not passed); only then is it `failed`. An acks=all batch the
//!   leader appended waits for the HW to pass it; it is re-sent when the leader changes or dies
//!   (its request fails) or after `request.timeout.ms` (the broker's `DelayedProduce` expires).
//!   With `enable.idempotence` a re-sent batch whose (producer id, sequence)s the leader already
//!   holds is not appended again (`DUPLICATE_SEQUENCE_NUMBER` is a success: the producer then
//!   waits for the HW over the held copy); without it the re-send appends duplicates
//!   (`duplicates_written`). At most `max.in.flight.requests.per.connection` batches per
//!   partition await acknowledgement; a partition's queue is sent in order, so a retry keeps the
//!   order. Records waiting in a queue are bounded by `buffer.memory` (a full buffer fails new
//!   records at once, where `KafkaProducer.send` would block `max.block.ms`).

pub mod event;

use serde::{Deserialize, Serialize};

use std::collections::VecDeque;

pub use crate::cluster::Acks;
use crate::cluster::{limits, AppendError, Cluster, Record, NO_KEY};
use crate::kafka::error::SimError;
use crate::kernel::{Ctx, Fnv, Outbox, Timers};
pub use event::ProducerEvent;

/// Which keys a simulated producer attaches to its records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum KeySpec {
    /// Null keys: the built-in sticky partitioner (KIP-794) places them.
    #[default]
    None,
    /// Round-robin over a fixed list of keys.
    Fixed(Vec<String>),
    /// Uniformly random keys `key-0 .. key-(count-1)` drawn from the seeded RNG.
    Random {
        /// Number of distinct keys.
        count: u32,
    },
}

/// Kafka's spelling of `acks`.
pub fn acks_str(a: Acks) -> &'static str {
    match a {
        Acks::Zero => "0",
        Acks::One => "1",
        Acks::All => "all",
    }
}

/// What `AddProducer` asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProducerSpec {
    /// `client.id`; default `producer-<n>` like Kafka.
    pub producer_id: Option<String>,
    /// Topic name.
    pub topic: String,
    /// Records per second.
    pub rate_per_sec: u32,
    /// Keys of the produced records.
    pub keys: KeySpec,
    /// `acks`.
    pub acks: Acks,
    /// Retry and idempotence settings as the user gave them (`None` = Kafka's default).
    pub options: ProducerOptions,
}

/// The retry and idempotence configs of `AddProducer` (its `config`, Kafka's names), as given
/// (`None` = not set: Kafka's default).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProducerOptions {
    /// `enable.idempotence`.
    #[serde(rename = "enable.idempotence", default, skip_serializing_if = "Option::is_none")]
    pub enable_idempotence: Option<bool>,
    /// `retries`.
    #[serde(rename = "retries", default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<u32>,
    /// `delivery.timeout.ms`.
    #[serde(rename = "delivery.timeout.ms", default, skip_serializing_if = "Option::is_none")]
    pub delivery_timeout_ms: Option<u64>,
    /// `retry.backoff.ms`.
    #[serde(rename = "retry.backoff.ms", default, skip_serializing_if = "Option::is_none")]
    pub retry_backoff_ms: Option<u64>,
    /// `retry.backoff.max.ms`.
    #[serde(rename = "retry.backoff.max.ms", default, skip_serializing_if = "Option::is_none")]
    pub retry_backoff_max_ms: Option<u64>,
    /// `request.timeout.ms`.
    #[serde(rename = "request.timeout.ms", default, skip_serializing_if = "Option::is_none")]
    pub request_timeout_ms: Option<u64>,
    /// `max.in.flight.requests.per.connection`.
    #[serde(rename = "max.in.flight.requests.per.connection", default, skip_serializing_if = "Option::is_none")]
    pub max_in_flight: Option<u32>,
}

/// The effective producer config after `ProducerConfig.postProcessAndValidateIdempotenceConfigs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProducerConfig {
    /// `enable.idempotence` after post-processing.
    pub idempotence: bool,
    /// `retries` (default `Integer.MAX_VALUE`).
    pub retries: u32,
    /// `delivery.timeout.ms` (default 120000).
    pub delivery_timeout_ms: u64,
    /// `retry.backoff.ms` (default 100).
    pub retry_backoff_ms: u64,
    /// `retry.backoff.max.ms` (default 1000).
    pub retry_backoff_max_ms: u64,
    /// `request.timeout.ms` (default 30000).
    pub request_timeout_ms: u64,
    /// `max.in.flight.requests.per.connection` (default 5), here per partition.
    pub max_in_flight: u32,
}

/// Largest time a producer config may name (one week, the run horizon).
const MAX_CONFIG_MS: u64 = 7 * 24 * 3_600_000;
/// `buffer.memory` (default 33554432).
const BUFFER_MEMORY: u64 = 33_554_432;

impl ProducerOptions {
    /// Nothing set.
    pub fn is_default(&self) -> bool {
        *self == ProducerOptions::default()
    }

    /// Kafka's defaults and rules: `ProducerConfig.postProcessAndValidateIdempotenceConfigs`
    /// (user-set idempotence with acks≠all or retries=0 or more than 5 in flight is a
    /// `ConfigException`; unset idempotence is silently turned off by acks≠all or retries=0) and
    /// `KafkaProducer.configureDeliveryTimeout` (a user-set `delivery.timeout.ms` below
    /// `linger.ms + request.timeout.ms` is refused, an unset one is raised). `linger_ms` is the
    /// simulated `linger.ms` (the producer tick).
    pub fn resolve(&self, acks: Acks, linger_ms: u64) -> Result<ProducerConfig, SimError> {
        let retries = self.retries.unwrap_or(i32::MAX as u32);
        if retries > i32::MAX as u32 {
            return Err(SimError::InvalidConfig(format!("Invalid value {retries} for configuration retries: Value must be no more than 2147483647")));
        }
        let max_in_flight = self.max_in_flight.unwrap_or(5);
        if max_in_flight == 0 {
            return Err(SimError::InvalidConfig("Invalid value 0 for configuration max.in.flight.requests.per.connection: Value must be at least 1".into()));
        }
        let ms = |name: &str, v: Option<u64>, default: u64| -> Result<u64, SimError> {
            let v = v.unwrap_or(default);
            if v > MAX_CONFIG_MS {
                return Err(SimError::InvalidConfig(format!("{name} {v} exceeds {MAX_CONFIG_MS} (one week)")));
            }
            Ok(v)
        };
        let request_timeout_ms = ms("request.timeout.ms", self.request_timeout_ms, 30_000)?;
        let retry_backoff_ms = ms("retry.backoff.ms", self.retry_backoff_ms, 100)?;
        let retry_backoff_max_ms = ms("retry.backoff.max.ms", self.retry_backoff_max_ms, 1_000)?;
        let mut delivery_timeout_ms = ms("delivery.timeout.ms", self.delivery_timeout_ms, 120_000)?;
        let floor = linger_ms + request_timeout_ms;
        if delivery_timeout_ms < floor {
            if self.delivery_timeout_ms.is_some() {
                return Err(SimError::InvalidConfig(
                    "delivery.timeout.ms should be equal to or larger than linger.ms + request.timeout.ms".into(),
                ));
            }
            delivery_timeout_ms = floor;
        }
        let idempotence = match self.enable_idempotence {
            Some(true) => {
                if acks != Acks::All {
                    return Err(SimError::InvalidConfig(
                        "Must set acks to all in order to use the idempotent producer. Otherwise we cannot guarantee idempotence.".into(),
                    ));
                }
                if retries == 0 {
                    return Err(SimError::InvalidConfig("Must set retries to non-zero when using the idempotent producer.".into()));
                }
                true
            }
            Some(false) => false,
            None => acks == Acks::All && retries > 0,
        };
        if idempotence && max_in_flight > 5 {
            return Err(SimError::InvalidConfig(
                "Must set max.in.flight.requests.per.connection to at most 5 to use the idempotent producer.".into(),
            ));
        }
        Ok(ProducerConfig { idempotence, retries, delivery_timeout_ms, retry_backoff_ms, retry_backoff_max_ms, request_timeout_ms, max_in_flight })
    }
}

impl ProducerConfig {
    /// `ExponentialBackoff(retry.backoff.ms, 2, retry.backoff.max.ms, 0.2).backoff(attempts)`:
    /// `min(max, initial × 2^attempts × factor)`, factor uniform in [0.8, 1.2] (in thousandths,
    /// from the seeded RNG); the exponent is capped at `log2(max / initial)`.
    pub fn backoff_ms(&self, attempts: u32, ctx: &mut Ctx) -> u64 {
        let initial = self.retry_backoff_ms;
        let max = self.retry_backoff_max_ms.max(initial);
        let mut term = initial;
        let mut i = 0;
        while i < attempts && term < max {
            term = term.saturating_mul(2);
            i += 1;
        }
        let factor = 800 + ctx.rng.below(401);
        (term.saturating_mul(factor) / 1000).min(max)
    }
}

/// Why a send did not (yet) succeed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendError {
    /// The leader refused the append (or could not be reached).
    Append(AppendError),
    /// `REQUEST_TIMED_OUT`: no acknowledgement within `request.timeout.ms`.
    RequestTimedOut,
    /// The batch expired: `delivery.timeout.ms` passed since it was created (`TimeoutException`).
    DeliveryTimeout,
    /// `buffer.memory` is full (`BufferExhaustedException`).
    BufferExhausted,
}

impl SendError {
    /// Kafka's error name.
    pub fn name(self) -> &'static str {
        match self {
            SendError::Append(e) => e.name(),
            SendError::RequestTimedOut | SendError::DeliveryTimeout => "REQUEST_TIMED_OUT",
            SendError::BufferExhausted => "BUFFER_EXHAUSTED",
        }
    }
    /// A `RetriableException` (`Sender.canRetry`).
    pub fn retriable(self) -> bool {
        match self {
            SendError::Append(e) => matches!(e, AppendError::NotLeaderOrFollower | AppendError::NetworkException | AppendError::NotEnoughReplicas | AppendError::KafkaStorageError),
            SendError::RequestTimedOut => true,
            SendError::DeliveryTimeout | SendError::BufferExhausted => false,
        }
    }
}

/// A batch acks=all appended, awaiting the HW.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct InFlight {
    /// Offset the HW must reach.
    end_offset: u64,
    /// Leader and leader epoch the request went to.
    leader: u32,
    epoch: u32,
    /// When it was sent.
    sent_ms: u64,
}

/// A `ProducerBatch`: records of one partition, in sequence order.
#[derive(Clone, Debug)]
struct Batch {
    records: Vec<Record>,
    /// `createdMs`: the delivery timeout runs from here.
    created_ms: u64,
    /// Re-sends so far (`ProducerBatch.attempts`).
    attempts: u32,
    /// Not sent before this time (retry backoff).
    ready_ms: u64,
    /// Offset of the last append of these records, to find them again (idempotent dedupe).
    appended_at: Option<u64>,
    /// Awaiting acknowledgement.
    inflight: Option<InFlight>,
    /// Last error.
    last_error: Option<SendError>,
}

/// How simulated producers batch (from the simulation config).
#[derive(Clone, Copy, Debug)]
pub struct ProducerSettings {
    /// A producer sends a batch every this many ms (≈ `linger.ms`).
    pub tick_ms: u64,
    /// `batch.size` in simulated bytes: the sticky partitioner switches after this many.
    pub batch_size: u64,
    /// Simulated serialized size of one record.
    pub record_size_bytes: u64,
}

/// The simulated producers: their state, their timers (one send tick each) and their output.
#[derive(Clone, Debug)]
pub struct Producers {
    settings: ProducerSettings,
    /// Every producer started, in start order (stopped ones stay, inactive).
    pub list: Vec<Producer>,
    /// One tick timer per running producer, by index in `list`.
    timers: Timers<u32>,
    out: Outbox<ProducerEvent>,
    /// The console producer identities of one-shot `Produce` commands, by `acks`.
    console: [Option<u32>; 3],
}

/// A simulated producer.
#[derive(Clone, Debug)]
pub struct Producer {
    /// `client.id`.
    pub name: String,
    /// Index in `Cluster::producers` (record identity).
    pub identity: u32,
    /// Topic index.
    pub topic: usize,
    /// Records per second.
    pub rate_per_sec: u32,
    /// `acks`.
    pub acks: Acks,
    /// Interned key ids (empty = null keys).
    keys: Vec<u32>,
    /// Partition of each key for `partitions_cached` partitions.
    key_partitions: Vec<u32>,
    partitions_cached: u32,
    random_keys: bool,
    key_cursor: usize,
    sticky: Option<u32>,
    sticky_records: u64,
    /// Millirecords carried to the next tick.
    carry_milli: u64,
    /// Per-partition batch buffers reused across ticks.
    buffers: Vec<Vec<Record>>,
    /// Last reported outcome per partition (`(gave up, error)`; reported on change only).
    last_error: Vec<Option<(bool, SendError)>>,
    /// Effective config.
    pub config: ProducerConfig,
    /// Batches per partition, in sequence order.
    queues: Vec<VecDeque<Batch>>,
    /// Records waiting in `queues` (bounded by `buffer.memory`).
    queued: u64,
    /// Running.
    pub active: bool,
    /// Records handed to the partitioner.
    pub sent: u64,
    /// Records appended by a leader (every append: re-appends after a truncation and duplicates too).
    pub appended: u64,
    /// Records acknowledged (each at most once: acks=1 on append, acks=all when the HW passes it).
    pub acknowledged: u64,
    /// Records given up (retries exhausted, `delivery.timeout.ms`, not retriable).
    pub failed: u64,
    /// Batch re-sends (`record-retry-total` counts records: see `records_retried`).
    pub retries: u64,
    /// Records re-sent.
    pub records_retried: u64,
    /// Records a re-send appended while the leader already held them (no idempotence).
    pub duplicates_written: u64,
    /// Records of re-sent batches the leader already held and did not append again
    /// (`DUPLICATE_SEQUENCE_NUMBER`, idempotence).
    pub duplicates_avoided: u64,
}

impl Producer {
    /// Hash canonical state.
    pub fn hash_into(&self, h: &mut Fnv) {
        h.str(&self.name);
        h.u64(self.identity as u64);
        h.u64(self.active as u64);
        h.u64(self.sticky.map_or(u64::MAX, |s| s as u64));
        h.u64(self.sticky_records);
        h.u64(self.key_cursor as u64);
        h.u64(self.carry_milli);
        h.u64(self.sent);
        h.u64(self.appended);
        h.u64(self.failed);
        h.u64(self.acknowledged);
        h.u64(self.retries);
        h.u64(self.records_retried);
        h.u64(self.duplicates_written);
        h.u64(self.duplicates_avoided);
        h.u64(self.queued);
        for (p, q) in self.queues.iter().enumerate() {
            for b in q {
                h.u64(p as u64);
                h.u64(b.records.len() as u64);
                h.u64(b.records.first().map_or(0, |r| r.sequence as u64));
                h.u64(b.created_ms);
                h.u64(b.attempts as u64);
                h.u64(b.ready_ms);
                h.u64(b.appended_at.unwrap_or(u64::MAX));
                if let Some(f) = b.inflight {
                    h.u64(f.end_offset);
                    h.u64(f.leader as u64);
                    h.u64(f.epoch as u64);
                    h.u64(f.sent_ms);
                }
            }
        }
    }

    /// Records waiting to be sent or acknowledged.
    pub fn pending(&self) -> u64 {
        self.queued
    }

    /// Batches awaiting acknowledgement.
    pub fn in_flight(&self) -> u64 {
        self.queues.iter().flatten().filter(|b| b.inflight.is_some()).count() as u64
    }
}

impl Producers {
    /// No producers yet.
    pub fn new(settings: ProducerSettings) -> Producers {
        Producers {
            settings,
            list: Vec::new(),
            timers: Timers::default(),
            out: Outbox::default(),
            console: [None; 3],
        }
    }

    /// Key (`pack(deadline_ms, seq)`) of the earliest timer.
    pub fn next_timeout_key(&self) -> Option<u128> {
        self.timers.next_key()
    }

    /// Sends the batch of the earliest tick if it is due at `ctx.now_ms`. Returns whether one fired.
    pub fn handle_timeout(&mut self, ctx: &mut Ctx, cluster: &mut Cluster) -> bool {
        let Some((_, idx)) = self.timers.pop_due(ctx.now_ms) else { return false };
        self.on_tick(ctx, cluster, idx);
        true
    }

    /// Pending timers in firing order `(deadline_ms, seq, producer index)`.
    pub fn timers(&self) -> impl Iterator<Item = (u64, u64, &u32)> {
        self.timers.iter()
    }

    /// This machine's output, oldest first.
    pub fn outbox(&mut self) -> &mut Outbox<ProducerEvent> {
        &mut self.out
    }

    /// `SetProducerRate`: the running producer `producer_id` sends `rate_per_sec` from its next
    /// batch on.
    pub fn set_rate(&mut self, producer_id: &str, rate_per_sec: u32) -> Result<(), SimError> {
        if rate_per_sec > limits::MAX_RATE_PER_SEC {
            return Err(SimError::LimitExceeded(format!("rate_per_sec {rate_per_sec} exceeds {}", limits::MAX_RATE_PER_SEC)));
        }
        let p = self.running(producer_id)?;
        p.rate_per_sec = rate_per_sec;
        Ok(())
    }

    /// The running producer `producer_id`.
    fn running(&mut self, producer_id: &str) -> Result<&mut Producer, SimError> {
        self.list
            .iter_mut()
            .find(|p| p.active && p.name == producer_id)
            .ok_or_else(|| SimError::UnknownClient(format!("no running producer '{producer_id}'")))
    }

    /// `RemoveProducer`: stops the running producer `producer_id`.
    pub fn remove(&mut self, producer_id: &str) -> Result<(), SimError> {
        self.running(producer_id)?.active = false;
        Ok(())
    }

    /// `AddProducer`: starts a producer writing `spec.rate_per_sec` records per second.
    pub fn add(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, spec: ProducerSpec) -> Result<(), SimError> {
        let ProducerSpec {
            producer_id,
            topic,
            rate_per_sec,
            keys,
            acks,
            options,
        } = spec;
        let config = options.resolve(acks, self.settings.tick_ms)?;
        let tid = cluster
            .topic_id(&topic)
            .ok_or_else(|| SimError::UnknownTopicOrPartition(format!("Topic {topic} not present in metadata")))?;
        if cluster.topics[tid].internal {
            return Err(SimError::InvalidRequest(format!("cannot produce to internal topic {topic}")));
        }
        if rate_per_sec > limits::MAX_RATE_PER_SEC {
            return Err(SimError::LimitExceeded(format!(
                "rate_per_sec {rate_per_sec} exceeds {}",
                limits::MAX_RATE_PER_SEC
            )));
        }
        let name = match producer_id {
            Some(n) => {
                if n.is_empty() {
                    return Err(SimError::InvalidConfig("producer_id must not be empty".into()));
                }
                n
            }
            None => format!("producer-{}", self.list.len() + 1),
        };
        if self.list.iter().any(|p| p.active && p.name == name) {
            return Err(SimError::DuplicateClient(format!("producer '{name}' is already running")));
        }
        let key_strings: Vec<String> = match &keys {
            KeySpec::None => Vec::new(),
            KeySpec::Fixed(v) => {
                if v.is_empty() || v.len() > limits::MAX_KEYSPEC_KEYS as usize {
                    return Err(SimError::LimitExceeded(format!(
                        "fixed keys must number 1..={}",
                        limits::MAX_KEYSPEC_KEYS
                    )));
                }
                v.clone()
            }
            KeySpec::Random { count } => {
                if *count == 0 || *count > limits::MAX_KEYSPEC_KEYS {
                    return Err(SimError::LimitExceeded(format!(
                        "random key count must be in 1..={}",
                        limits::MAX_KEYSPEC_KEYS
                    )));
                }
                (0..*count).map(|i| format!("key-{i}")).collect()
            }
        };
        if key_strings.is_empty() && cluster.topics[tid].config.cleanup_policy.compacts() {
            return Err(SimError::ProduceRejected {
                error: "INVALID_RECORD".into(),
                message: format!("Compacted topic cannot accept message without key in topic {topic}."),
            });
        }
        let new_keys = key_strings.iter().filter(|k| cluster.key_str_id(k).is_none()).count();
        if cluster.key_count() + new_keys > limits::MAX_KEYS {
            return Err(SimError::LimitExceeded(format!("at most {} distinct keys", limits::MAX_KEYS)));
        }
        if cluster.producers.len() >= limits::MAX_PRODUCERS {
            return Err(SimError::LimitExceeded(format!("at most {} producers", limits::MAX_PRODUCERS)));
        }
        // All checks passed: mutate.
        let key_ids: Vec<u32> = key_strings.iter().map(|k| cluster.intern_key(k).expect("checked cap")).collect();
        let identity = cluster.register_producer(name.clone(), acks)?;
        let idx = self.list.len() as u32;
        self.list.push(Producer {
            name,
            identity,
            topic: tid,
            rate_per_sec,
            acks,
            keys: key_ids,
            key_partitions: Vec::new(),
            partitions_cached: 0,
            random_keys: matches!(keys, KeySpec::Random { .. }),
            key_cursor: 0,
            sticky: None,
            sticky_records: 0,
            carry_milli: 0,
            last_error: Vec::new(),
            config,
            queues: Vec::new(),
            queued: 0,
            buffers: Vec::new(),
            active: true,
            sent: 0,
            appended: 0,
            acknowledged: 0,
            failed: 0,
            retries: 0,
            records_retried: 0,
            duplicates_written: 0,
            duplicates_avoided: 0,
        });
        self.timers.schedule_in(ctx, self.settings.tick_ms, idx);
        Ok(())
    }

    /// Timer: producer `idx` adds one tick worth of records to its partitions' queues
    /// (`RecordAccumulator.append`; a stopped producer adds none but still delivers what it
    /// holds, as `close()` does), then runs the `Sender` once: completes or fails what awaits
    /// acknowledgement, then sends every partition's ready batches in order.
    fn on_tick(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, idx: u32) {
        let tick = self.settings.tick_ms;
        let per_batch = (self.settings.batch_size / self.settings.record_size_bytes).max(1);
        let max_queued = (BUFFER_MEMORY / self.settings.record_size_bytes).max(1);
        let Some(p) = self.list.get_mut(idx as usize) else { return };
        if !p.active && p.queued == 0 {
            return;
        }
        let tid = p.topic;
        let nparts = cluster.topics[tid].partitions.len() as u32;
        p.queues.resize_with(nparts as usize, VecDeque::new);
        p.last_error.resize(nparts as usize, None);
        if p.active {
            self.generate(ctx, cluster, idx, per_batch, max_queued);
        }
        self.send(ctx, cluster, idx);
        let p = &self.list[idx as usize];
        if p.active || p.queued > 0 {
            self.timers.schedule_in(ctx, tick, idx);
        }
    }

    /// One tick worth of records of producer `idx`, partitioned and queued: joined to the last
    /// batch of their partition when it was not sent yet, else a new batch.
    fn generate(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, idx: u32, per_batch: u64, max_queued: u64) {
        let tick = self.settings.tick_ms;
        let p = &mut self.list[idx as usize];
        let tid = p.topic;
        let nparts = cluster.topics[tid].partitions.len() as u32;
        // Records this tick (integer arithmetic with carry so any rate is exact on average).
        let milli = p.carry_milli + p.rate_per_sec as u64 * tick;
        let count = milli / 1000;
        p.carry_milli = milli % 1000;
        if p.partitions_cached != nparts && !p.keys.is_empty() {
            p.key_partitions = p
                .keys
                .iter()
                .map(|&k| crate::kafka::hash::partition_for_key(cluster.key_str(k).unwrap_or(""), nparts))
                .collect();
            p.partitions_cached = nparts;
        }
        let mut per_part = std::mem::take(&mut p.buffers);
        per_part.resize_with(nparts as usize, Vec::new);
        for b in per_part.iter_mut() {
            b.clear();
        }
        let pid = p.identity;
        let mut seq = cluster.producers[pid as usize].next_sequence;
        for _ in 0..count {
            let (key, part) = if p.keys.is_empty() {
                let need_new = match p.sticky {
                    None => true,
                    Some(s) => p.sticky_records >= per_batch || s >= nparts,
                };
                if need_new {
                    let parts = &cluster.topics[tid].partitions;
                    let n_avail = parts.iter().filter(|x| x.leader.is_some()).count() as u64;
                    let choice = if n_avail == 0 {
                        ctx.rng.below(nparts as u64) as u32
                    } else {
                        // The k-th partition with a leader, k uniform.
                        let k = ctx.rng.below(n_avail) as usize;
                        parts
                            .iter()
                            .enumerate()
                            .filter(|(_, x)| x.leader.is_some())
                            .nth(k)
                            .map_or(0, |(i, _)| i as u32)
                    };
                    p.sticky = Some(choice);
                    p.sticky_records = 0;
                }
                p.sticky_records += 1;
                (NO_KEY, p.sticky.expect("set above"))
            } else {
                let ki = if p.random_keys {
                    ctx.rng.below(p.keys.len() as u64) as usize
                } else {
                    let k = p.key_cursor;
                    p.key_cursor = (p.key_cursor + 1) % p.keys.len();
                    k
                };
                (p.keys[ki], p.key_partitions[ki])
            };
            per_part[part as usize].push(Record {
                offset: 0,
                timestamp_ms: 0,
                value: 0,
                producer_id: pid,
                sequence: seq,
                key,
                leader_epoch: 0,
            });
            seq = seq.wrapping_add(1);
        }
        cluster.producers[pid as usize].next_sequence = seq;
        p.sent += count;
        let now = ctx.now_ms;
        let mut overflow: Vec<(usize, u64)> = Vec::new();
        for (part, recs) in per_part.iter_mut().enumerate() {
            if recs.is_empty() {
                continue;
            }
            let room = max_queued.saturating_sub(p.queued) as usize;
            if recs.len() > room {
                overflow.push((part, (recs.len() - room) as u64));
                recs.truncate(room);
                if recs.is_empty() {
                    continue;
                }
            }
            p.queued += recs.len() as u64;
            let q = &mut p.queues[part];
            match q.back_mut() {
                Some(b) if b.inflight.is_none() && b.attempts == 0 && b.appended_at.is_none() => b.records.append(recs),
                _ => q.push_back(Batch {
                    records: std::mem::take(recs),
                    created_ms: now,
                    attempts: 0,
                    ready_ms: now,
                    appended_at: None,
                    inflight: None,
                    last_error: None,
                }),
            }
        }
        p.buffers = per_part;
        for (part, n) in overflow {
            self.give_up(ctx, cluster, idx, part, n, SendError::BufferExhausted, None);
        }
    }

    /// Records of producer `idx` fail for good: counted `failed`, reported on change.
    #[allow(clippy::too_many_arguments)]
    fn give_up(&mut self, ctx: &mut Ctx, cluster: &Cluster, idx: u32, part: usize, n: u64, e: SendError, message: Option<String>) {
        let p = &mut self.list[idx as usize];
        p.failed += n;
        if p.last_error[part] == Some((true, e)) {
            return;
        }
        p.last_error[part] = Some((true, e));
        let topic = cluster.topics[p.topic].name.clone();
        let message = message.unwrap_or_else(|| match e {
            SendError::BufferExhausted => format!("Failed to allocate memory within the configured max blocking time (buffer.memory {BUFFER_MEMORY} is full)"),
            _ => format!("{} record(s) for {topic}-{part} failed: {}", n, e.name()),
        });
        self.out.push(ctx, ProducerEvent::ProduceFailed { producer: p.name.clone(), topic, partition: part as u32, count: n, error: e.name().to_string(), message });
    }

    /// The `Sender` loop of producer `idx` over every partition.
    fn send(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, idx: u32) {
        let nparts = self.list[idx as usize].queues.len();
        for part in 0..nparts {
            if self.list[idx as usize].queues[part].is_empty() {
                continue;
            }
            self.complete_in_flight(ctx, cluster, idx, part);
            self.expire(ctx, cluster, idx, part);
            self.drain(ctx, cluster, idx, part);
            self.complete_in_flight(ctx, cluster, idx, part);
        }
    }

    /// Batches awaiting acknowledgement: acknowledged once the HW passes them; failed (and
    /// retried) when the leader changed (`NOT_LEADER_OR_FOLLOWER`), died (the connection drops:
    /// `NETWORK_EXCEPTION`) or `request.timeout.ms` passed (`REQUEST_TIMED_OUT`).
    fn complete_in_flight(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, idx: u32, part: usize) {
        let now = ctx.now_ms;
        let p = &self.list[idx as usize];
        let tpart = &cluster.topics[p.topic].partitions[part];
        let mut i = 0;
        while i < self.list[idx as usize].queues[part].len() {
            let p = &mut self.list[idx as usize];
            let b = &p.queues[part][i];
            let Some(f) = b.inflight else {
                i += 1;
                continue;
            };
            let outcome = if tpart.leader != Some(f.leader) || tpart.leader_epoch != f.epoch {
                Err(SendError::Append(AppendError::NotLeaderOrFollower))
            } else if !cluster.broker_alive(f.leader) {
                Err(SendError::Append(AppendError::NetworkException))
            } else if tpart.log_of(f.leader).is_some_and(|l| l.high_watermark() >= f.end_offset) {
                Ok(true)
            } else if now.saturating_sub(f.sent_ms) >= p.config.request_timeout_ms {
                Err(SendError::RequestTimedOut)
            } else {
                Ok(false)
            };
            match outcome {
                Ok(true) => {
                    let b = p.queues[part].remove(i).expect("index in range");
                    let n = b.records.len() as u64;
                    p.acknowledged += n;
                    p.queued -= n;
                    if p.last_error[part].is_some() {
                        p.last_error[part] = None;
                    }
                }
                Ok(false) => i += 1,
                Err(e) => {
                    let leader_changed = matches!(e, SendError::Append(AppendError::NotLeaderOrFollower));
                    p.queues[part][i].inflight = None;
                    if !self.retry_or_fail(ctx, cluster, idx, part, i, e, leader_changed) {
                        continue;
                    }
                    i += 1;
                }
            }
        }
    }

    /// `RecordAccumulator.expiredBatches` and `Sender.getExpiredInflightBatches`: batches older
    /// than `delivery.timeout.ms` fail with a `TimeoutException`.
    fn expire(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, idx: u32, part: usize) {
        let now = ctx.now_ms;
        loop {
            let p = &mut self.list[idx as usize];
            let timeout = p.config.delivery_timeout_ms;
            let Some(i) = p.queues[part].iter().position(|b| now.saturating_sub(b.created_ms) >= timeout) else { return };
            let b = p.queues[part].remove(i).expect("found");
            let n = b.records.len() as u64;
            p.queued -= n;
            let topic = &cluster.topics[p.topic].name;
            let last = b.last_error.map_or(String::new(), |e| format!(" (last error {})", e.name()));
            let msg = format!("Expiring {n} record(s) for {topic}-{part}:{} ms has passed since batch creation{last}", now - b.created_ms);
            self.give_up(ctx, cluster, idx, part, n, SendError::DeliveryTimeout, Some(msg));
        }
    }

    /// `Sender.canRetry`: the batch at `i` of `part` failed with `e`. Re-queued for a re-send
    /// after the backoff (none when the leader changed, KIP-951) when `e` is retriable,
    /// attempts < `retries` and `delivery.timeout.ms` has not passed; failed otherwise. Returns
    /// whether the batch is still queued.
    #[allow(clippy::too_many_arguments)]
    fn retry_or_fail(&mut self, ctx: &mut Ctx, cluster: &Cluster, idx: u32, part: usize, i: usize, e: SendError, leader_changed: bool) -> bool {
        let now = ctx.now_ms;
        let p = &mut self.list[idx as usize];
        let cfg = p.config;
        let b = &mut p.queues[part][i];
        b.last_error = Some(e);
        let n = b.records.len() as u64;
        if e.retriable() && b.attempts < cfg.retries && now.saturating_sub(b.created_ms) < cfg.delivery_timeout_ms {
            let backoff = if leader_changed { 0 } else { cfg.backoff_ms(b.attempts, ctx) };
            let b = &mut p.queues[part][i];
            b.attempts += 1;
            b.ready_ms = now + backoff;
            let attempt = b.attempts;
            if p.last_error[part] != Some((false, e)) {
                p.last_error[part] = Some((false, e));
                let left = cfg.retries - attempt.min(cfg.retries);
                self.out.push(ctx, ProducerEvent::ProduceRetrying {
                    producer: p.name.clone(),
                    topic: cluster.topics[p.topic].name.clone(),
                    partition: part as u32,
                    count: n,
                    error: e.name().to_string(),
                    attempts_left: left,
                    backoff_ms: backoff,
                });
            }
            return true;
        }
        let b = p.queues[part].remove(i).expect("index in range");
        p.queued -= b.records.len() as u64;
        self.give_up(ctx, cluster, idx, part, n, e, None);
        false
    }

    /// `RecordAccumulator.drain` for one partition: the queue's batches in order while they are
    /// ready (backoff over) and fewer than `max.in.flight.requests.per.connection` await
    /// acknowledgement. A re-sent batch is first looked up in the leader's log: with idempotence
    /// the records it holds (same producer id and sequence where the batch was appended) are
    /// not appended again.
    fn drain(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, idx: u32, part: usize) {
        let now = ctx.now_ms;
        let mut i = 0;
        loop {
            let p = &mut self.list[idx as usize];
            let tid = p.topic;
            let acks = p.acks;
            let cfg = p.config;
            let in_flight = p.queues[part].iter().filter(|b| b.inflight.is_some()).count() as u32;
            let Some(b) = p.queues[part].get(i) else { return };
            if b.inflight.is_some() {
                i += 1;
                continue;
            }
            if b.ready_ms > now || (acks == Acks::All && in_flight >= cfg.max_in_flight) {
                return;
            }
            let n = b.records.len();
            if b.attempts > 0 {
                p.retries += 1;
                p.records_retried += n as u64;
            }
            let keyed = b.records.iter().all(|r| r.key != NO_KEY);
            let leader = match cluster.check_append(tid, part, acks, keyed) {
                Ok(l) => l,
                Err(e) => {
                    if !self.retry_or_fail(ctx, cluster, idx, part, i, SendError::Append(e), false) {
                        continue;
                    }
                    return;
                }
            };
            // Records of this batch the leader holds where it was last appended.
            let held = match b.appended_at {
                Some(at) => {
                    let log = cluster.topics[tid].partitions[part].log_of(leader);
                    let got = log.map(|l| l.slice(at, at + n as u64, n)).into_iter().flatten();
                    b.records.iter().zip(got).enumerate().take_while(|(k, (r, g))| g.offset == at + *k as u64 && g.producer_id == r.producer_id && g.sequence == r.sequence).count()
                }
                None => 0,
            };
            let epoch = cluster.topics[tid].partitions[part].leader_epoch;
            if cfg.idempotence && held > 0 {
                // DUPLICATE_SEQUENCE_NUMBER for the held records: a success without an append.
                let at = b.appended_at.expect("held implies appended");
                p.duplicates_avoided += held as u64;
                if held < n {
                    // The rest is a batch of its own, appended next.
                    let b = &mut p.queues[part][i];
                    let rest = b.records.split_off(held);
                    let tail = Batch { records: rest, appended_at: None, inflight: None, ..b.clone() };
                    p.queues[part].insert(i + 1, tail);
                }
                let b = &mut p.queues[part][i];
                b.inflight = Some(InFlight { end_offset: at + held as u64, leader, epoch, sent_ms: now });
                if acks != Acks::All {
                    let b = p.queues[part].remove(i).expect("index in range");
                    p.queued -= b.records.len() as u64;
                    p.acknowledged += if acks == Acks::One { b.records.len() as u64 } else { 0 };
                    continue;
                }
                i += 1;
                continue;
            }
            let b = &mut p.queues[part][i];
            match cluster.append(ctx, tid, part, acks, &mut b.records) {
                Ok(a) => {
                    p.appended += n as u64;
                    p.duplicates_written += held as u64;
                    if p.last_error[part].is_some_and(|(gave_up, _)| !gave_up) {
                        p.last_error[part] = None;
                    }
                    if acks == Acks::All {
                        b.appended_at = Some(a.first_offset);
                        b.inflight = Some(InFlight { end_offset: a.first_offset + a.count, leader, epoch, sent_ms: now });
                        i += 1;
                    } else {
                        let b = p.queues[part].remove(i).expect("index in range");
                        p.queued -= b.records.len() as u64;
                        if acks == Acks::One {
                            p.acknowledged += n as u64;
                        }
                    }
                }
                Err(e) => {
                    if !self.retry_or_fail(ctx, cluster, idx, part, i, SendError::Append(e), false) {
                        continue;
                    }
                    return;
                }
            }
        }
    }

    /// One-shot produce through the default partitioner (console-producer identity per acks).
    pub fn produce_once(
        &mut self,
        ctx: &mut Ctx,
        cluster: &mut Cluster,
        topic: &str,
        count: u32,
        key: Option<&str>,
        acks: Acks,
    ) -> Result<(), SimError> {
        let tid = cluster
            .topic_id(topic)
            .ok_or_else(|| SimError::UnknownTopicOrPartition(format!("Topic {topic} not present in metadata")))?;
        if cluster.topics[tid].internal {
            return Err(SimError::InvalidRequest(format!("cannot produce to internal topic {topic}")));
        }
        if count == 0 || count > limits::MAX_PRODUCE_COUNT {
            return Err(SimError::LimitExceeded(format!(
                "produce count must be in 1..={} (got {count})",
                limits::MAX_PRODUCE_COUNT
            )));
        }
        let n = cluster.topics[tid].partitions.len() as u32;
        // Plan: keyed → one partition; null key → sticky batches of batch.size bytes over
        // random partitions with a leader (planned with a cloned RNG, committed on success).
        let per_batch = (self.settings.batch_size / self.settings.record_size_bytes).max(1);
        let mut rng = ctx.rng.clone();
        let mut plan: Vec<(u32, u64)> = Vec::new();
        match key {
            Some(k) => plan.push((crate::kafka::hash::partition_for_key(k, n), count as u64)),
            None => {
                let available: Vec<u32> = (0..n).filter(|&p| cluster.topics[tid].partitions[p as usize].leader.is_some()).collect();
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
            if let Err(e) = cluster.check_append(tid, p as usize, acks, key.is_some()) {
                return Err(produce_error(e, topic, p));
            }
        }
        if cluster.total_records() + (count as u64) * cluster.topics[tid].replication_factor as u64 > cluster.config.max_retained_records {
            return Err(produce_error(AppendError::KafkaStorageError, topic, plan[0].0));
        }
        let key_id = match key {
            Some(k) => cluster
                .intern_key(k)
                .ok_or_else(|| SimError::LimitExceeded(format!("at most {} distinct keys", limits::MAX_KEYS)))?,
            None => NO_KEY,
        };
        let pid = match self.console[acks_idx(acks)] {
            Some(p) => p,
            None => {
                let name = match acks {
                    Acks::All => "console-producer".to_string(),
                    a => format!("console-producer-acks{}", acks_str(a)),
                };
                let id = cluster.register_producer(name, acks)?;
                self.console[acks_idx(acks)] = Some(id);
                id
            }
        };
        ctx.rng = rng;
        let mut buf = Vec::new();
        for (p, c) in plan {
            buf.clear();
            let seq0 = cluster.producers[pid as usize].next_sequence;
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
            cluster.producers[pid as usize].next_sequence = seq0.wrapping_add(c as u32);
            // Checked above; append re-checks and cannot fail differently within one command.
            if cluster.append(ctx, tid, p as usize, acks, &mut buf).is_ok() && acks == Acks::One {
                cluster.producers[pid as usize].acknowledged += c;
            }
        }
        Ok(())
    }
}

fn acks_idx(a: Acks) -> usize {
    match a {
        Acks::Zero => 0,
        Acks::One => 1,
        Acks::All => 2,
    }
}

fn produce_error(e: AppendError, topic: &str, partition: u32) -> SimError {
    let message = match e {
        AppendError::NotEnoughReplicas => {
            format!("Messages are rejected since there are fewer in-sync replicas than required for {topic}-{partition}")
        }
        AppendError::NotLeaderOrFollower => format!("{topic}-{partition} has no leader (offline)"),
        AppendError::NetworkException => format!("the leader of {topic}-{partition} is not reachable"),
        AppendError::KafkaStorageError => "GroupLab's retained-record cap (max_retained_records) is reached".to_string(),
        AppendError::InvalidRecord => format!("Compacted topic cannot accept message without key in topic partition {topic}-{partition}."),
        AppendError::UnknownTopicOrPartition => format!("{topic}-{partition} does not exist"),
    };
    SimError::ProduceRejected {
        error: e.name().to_string(),
        message,
    }
}
