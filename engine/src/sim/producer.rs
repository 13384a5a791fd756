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

use crate::cluster::{limits, Record, NO_KEY};
use crate::command::{Acks, KeySpec};
use crate::error::SimError;
use crate::event::Event;
use crate::sim::timers::Timer;
use crate::sim::{Fnv, Sim};

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

/// `AddProducer`.
pub fn add_producer(
    sim: &mut Sim,
    producer_id: Option<String>,
    topic: String,
    rate_per_sec: u32,
    keys: KeySpec,
    acks: Acks,
) -> Result<(), SimError> {
    let tid = sim
        .cluster
        .topic_id(&topic)
        .ok_or_else(|| SimError::UnknownTopicOrPartition(format!("Topic {topic} not present in metadata")))?;
    if sim.cluster.topics[tid].internal {
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
        None => format!("producer-{}", sim.producers.len() + 1),
    };
    if sim.producers.iter().any(|p| p.active && p.name == name) {
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
    if key_strings.is_empty() && sim.cluster.topics[tid].config.cleanup_policy.compacts() {
        return Err(SimError::ProduceRejected {
            error: "INVALID_RECORD".into(),
            message: format!("Compacted topic cannot accept message without key in topic {topic}."),
        });
    }
    let new_keys = key_strings.iter().filter(|k| sim.cluster.key_str_id(k).is_none()).count();
    if sim.cluster.key_count() + new_keys > limits::MAX_KEYS {
        return Err(SimError::LimitExceeded(format!("at most {} distinct keys", limits::MAX_KEYS)));
    }
    if sim.cluster.producers.len() >= limits::MAX_PRODUCERS {
        return Err(SimError::LimitExceeded(format!("at most {} producers", limits::MAX_PRODUCERS)));
    }
    // All checks passed: mutate.
    let key_ids: Vec<u32> = key_strings.iter().map(|k| sim.cluster.intern_key(k).expect("checked cap")).collect();
    let identity = sim.cluster.register_producer(name.clone(), acks)?;
    let idx = sim.producers.len() as u32;
    sim.producers.push(Producer {
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
    sim.ctx.schedule_in(sim.config.producer_tick_ms, Timer::ProducerTick { producer: idx });
    Ok(())
}

/// Timer: producer `idx` sends one tick worth of records.
pub fn on_tick(sim: &mut Sim, idx: u32) {
    let tick = sim.config.producer_tick_ms;
    let per_batch = (sim.config.batch_size / sim.config.record_size_bytes).max(1);
    let Some(p) = sim.producers.get_mut(idx as usize) else { return };
    if !p.active {
        return;
    }
    let tid = p.topic;
    let nparts = sim.cluster.topics[tid].partitions.len() as u32;
    // Records this tick (integer arithmetic with carry so any rate is exact on average).
    let milli = p.carry_milli + p.rate_per_sec as u64 * tick;
    let count = milli / 1000;
    p.carry_milli = milli % 1000;
    if p.partitions_cached != nparts && !p.keys.is_empty() {
        p.key_partitions = p
            .keys
            .iter()
            .map(|&k| crate::hash::partition_for_key(sim.cluster.key_str(k).unwrap_or(""), nparts))
            .collect();
        p.partitions_cached = nparts;
    }
    let mut per_part = std::mem::take(&mut p.buffers);
    per_part.resize_with(nparts as usize, Vec::new);
    for b in per_part.iter_mut() {
        b.clear();
    }
    let pid = p.identity;
    let mut seq = sim.cluster.producers[pid as usize].next_sequence;
    for _ in 0..count {
        let (key, part) = if p.keys.is_empty() {
            let need_new = match p.sticky {
                None => true,
                Some(s) => p.sticky_records >= per_batch || s >= nparts,
            };
            if need_new {
                let parts = &sim.cluster.topics[tid].partitions;
                let n_avail = parts.iter().filter(|x| x.leader.is_some()).count() as u64;
                let choice = if n_avail == 0 {
                    sim.ctx.rng.below(nparts as u64) as u32
                } else {
                    // The k-th partition with a leader, k uniform.
                    let k = sim.ctx.rng.below(n_avail) as usize;
                    parts.iter().enumerate().filter(|(_, x)| x.leader.is_some()).nth(k).map_or(0, |(i, _)| i as u32)
                };
                p.sticky = Some(choice);
                p.sticky_records = 0;
            }
            p.sticky_records += 1;
            (NO_KEY, p.sticky.expect("set above"))
        } else {
            let ki = if p.random_keys {
                sim.ctx.rng.below(p.keys.len() as u64) as usize
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
    sim.cluster.producers[pid as usize].next_sequence = seq;
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
        match sim.cluster.append(&mut sim.ctx, tid, part, acks, recs) {
            Ok(_) => {
                appended += n;
                last_error[part] = None;
                if acks == Acks::One {
                    sim.cluster.producers[pid as usize].acknowledged += n;
                }
            }
            Err(e) => {
                failed += n;
                if last_error[part] == Some(e) {
                    continue;
                }
                last_error[part] = Some(e);
                sim.ctx.emit(Event::ProduceFailed {
                    at_ms: sim.ctx.now_ms,
                    producer: name.clone(),
                    topic: sim.cluster.topics[tid].name.clone(),
                    partition: part as u32,
                    count: n,
                    error: e.name().to_string(),
                });
            }
        }
    }
    let p = &mut sim.producers[idx as usize];
    p.buffers = per_part;
    p.last_error = last_error;
    p.appended += appended;
    p.failed += failed;
    sim.ctx.schedule_in(tick, Timer::ProducerTick { producer: idx });
}
