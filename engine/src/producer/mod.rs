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
//! * No retries: a batch rejected by the leader is counted as `failed` (a real producer would
//!   retry until `delivery.timeout.ms`).

pub mod event;

use serde::{Deserialize, Serialize};

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
    /// Last append outcome per partition (failures are reported on change only).
    last_error: Vec<Option<crate::cluster::AppendError>>,
    /// Running.
    pub active: bool,
    /// Records handed to the partitioner.
    pub sent: u64,
    /// Records appended.
    pub appended: u64,
    /// Records rejected.
    pub failed: u64,
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
        } = spec;
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
            buffers: Vec::new(),
            active: true,
            sent: 0,
            appended: 0,
            failed: 0,
        });
        self.timers.schedule_in(ctx, self.settings.tick_ms, idx);
        Ok(())
    }

    /// Timer: producer `idx` sends one tick worth of records.
    fn on_tick(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, idx: u32) {
        let tick = self.settings.tick_ms;
        let per_batch = (self.settings.batch_size / self.settings.record_size_bytes).max(1);
        let Some(p) = self.list.get_mut(idx as usize) else { return };
        if !p.active {
            return;
        }
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
        let acks = p.acks;
        let name = p.name.clone();
        let mut appended = 0u64;
        let mut failed = 0u64;
        let mut last_error = std::mem::take(&mut p.last_error);
        last_error.resize(nparts as usize, None);
        for (part, recs) in per_part.iter_mut().enumerate() {
            if recs.is_empty() {
                continue;
            }
            let n = recs.len() as u64;
            match cluster.append(ctx, tid, part, acks, recs) {
                Ok(_) => {
                    appended += n;
                    last_error[part] = None;
                    if acks == Acks::One {
                        cluster.producers[pid as usize].acknowledged += n;
                    }
                }
                Err(e) => {
                    failed += n;
                    if last_error[part] == Some(e) {
                        continue;
                    }
                    last_error[part] = Some(e);
                    self.out.push(
                        ctx,
                        ProducerEvent::ProduceFailed {
                            producer: name.clone(),
                            topic: cluster.topics[tid].name.clone(),
                            partition: part as u32,
                            count: n,
                            error: e.name().to_string(),
                        },
                    );
                }
            }
        }
        let p = &mut self.list[idx as usize];
        p.buffers = per_part;
        p.last_error = last_error;
        p.appended += appended;
        p.failed += failed;
        self.timers.schedule_in(ctx, tick, idx);
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
