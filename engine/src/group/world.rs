//! A self-contained, deterministic driver for one consumer group: a coordinator, consumers, a
//! fake partition source, a message queue ordered by delivery time, and a clock.
//!
//! It plays the roles the full simulator plays later (network, brokers, `__consumer_offsets`)
//! in the simplest possible way, and checks the group invariants after every step: at most one
//! owner per partition per group at every instant, generations never decrease, committed
//! offsets and positions within `[log start, HW]`, legal state transitions.

use crate::kernel::vecmap::VecMap;

use super::accounting::{lag_rows, DeliveryLedger, LagRow, OwnershipTimeline};
use super::client::{AssignFn, ConsumerClient, ConsumerConfig, PartitionOffsets, PartitionSource};
use super::coordinator::{CommittedOffset, CoordinatorConfig, GroupCoordinator};
use super::protocol::{Body, CoordinatorRecord, Endpoint, ErrorCode, Message, RecordId, Request, Response, TopicPartition};
use super::output::Output;
use super::GroupError;

/// An in-memory partition log: records are identities appended at increasing offsets; the
/// high watermark is the log end (everything is "replicated" at once).
#[derive(Debug, Clone, Default)]
pub struct FakeLog {
    topics: VecMap<String, u32>,
    records: VecMap<TopicPartition, Vec<RecordId>>,
}

impl FakeLog {
    /// A log with these topics (name, partition count).
    pub fn new(topics: &[(&str, u32)]) -> Self {
        let mut log = Self::default();
        for (t, n) in topics {
            log.topics.insert(t.to_string(), *n);
            for p in 0..*n {
                log.records.insert(TopicPartition::new(*t, p), Vec::new());
            }
        }
        log
    }

    /// Appends one record; returns its offset.
    pub fn append(&mut self, tp: &TopicPartition, record_id: RecordId) -> Result<i64, GroupError> {
        let v = self
            .records
            .get_mut(tp)
            .ok_or_else(|| GroupError::UnknownPartition(tp.clone()))?;
        v.push(record_id);
        Ok(v.len() as i64 - 1)
    }

    /// High watermark of a partition.
    pub fn high_watermark(&self, tp: &TopicPartition) -> Option<i64> {
        self.records.get(tp).map(|v| v.len() as i64)
    }

    /// All partitions.
    pub fn partitions(&self) -> impl Iterator<Item = &TopicPartition> {
        self.records.keys()
    }

    /// Records in `[from, to)` of a partition.
    pub fn records_between(&self, tp: &TopicPartition, from: i64, to: i64) -> Vec<RecordId> {
        let Some(v) = self.records.get(tp) else {
            return Vec::new();
        };
        let from = from.clamp(0, v.len() as i64) as usize;
        let to = to.clamp(0, v.len() as i64) as usize;
        v.get(from..to.max(from))
            .map(<[RecordId]>::to_vec)
            .unwrap_or_default()
    }
}

impl PartitionSource for FakeLog {
    fn partition_count(&self, topic: &str) -> Option<u32> {
        self.topics.get(topic).copied()
    }
    fn offsets(&self, tp: &TopicPartition) -> Option<PartitionOffsets> {
        self.records.get(tp).map(|v| PartitionOffsets {
            log_start_offset: 0,
            high_watermark: v.len() as i64,
            log_end_offset: v.len() as i64,
            leader_epoch: 0,
        })
    }
    fn record_id(&self, tp: &TopicPartition, offset: i64) -> Option<RecordId> {
        let i = usize::try_from(offset).ok()?;
        self.records.get(tp).and_then(|v| v.get(i)).copied()
    }
}

/// Bound of steps executed at one instant (a livelock guard).
pub const MAX_STEPS_PER_INSTANT: usize = 10_000;
/// Bound of kept event lines.
pub const MAX_EVENT_LINES: usize = 20_000;

/// One group, its coordinator, its consumers and a fake cluster.
#[derive(Debug, Clone)]
pub struct GroupWorld {
    now_ms: u64,
    group_id: String,
    coordinator_config: CoordinatorConfig,
    coordinator: GroupCoordinator,
    retired: Vec<GroupCoordinator>,
    coordinator_available: bool,
    clients: VecMap<String, ConsumerClient>,
    queue: VecMap<(u64, u64), Message>,
    seq: u64,
    /// The fake partitions.
    pub log: FakeLog,
    offsets_log: Vec<CoordinatorRecord>,
    ownership: OwnershipTimeline,
    ledger: DeliveryLedger,
    events: Vec<(u64, String)>,
    assignor: AssignFn,
    next_record_id: RecordId,
    rng_seed: u64,
    max_generation_seen: i32,
    checked_transitions: usize,
    violations: Vec<String>,
    steps: u64,
    reset_floor: VecMap<TopicPartition, i64>,
}

impl GroupWorld {
    /// A world at time 0 with a fresh coordinator on broker 0.
    pub fn new(
        group_id: &str,
        topics: &[(&str, u32)],
        coordinator_config: CoordinatorConfig,
        assignor: AssignFn,
        rng_seed: u64,
    ) -> Result<Self, GroupError> {
        let coordinator = GroupCoordinator::new(group_id, 0, coordinator_config.clone(), rng_seed)?;
        Ok(Self {
            now_ms: 0,
            group_id: group_id.to_string(),
            coordinator_config,
            coordinator,
            retired: Vec::new(),
            coordinator_available: true,
            clients: VecMap::new(),
            queue: VecMap::new(),
            seq: 0,
            log: FakeLog::new(topics),
            offsets_log: Vec::new(),
            ownership: OwnershipTimeline::new(),
            ledger: DeliveryLedger::new(),
            events: Vec::new(),
            assignor,
            next_record_id: 1,
            rng_seed,
            max_generation_seen: 0,
            checked_transitions: 0,
            violations: Vec::new(),
            steps: 0,
            reset_floor: VecMap::new(),
        })
    }

    // ----- accessors -----

    /// Current time.
    pub fn now_ms(&self) -> u64 {
        self.now_ms
    }
    /// The coordinator serving the group.
    pub fn coordinator(&self) -> &GroupCoordinator {
        &self.coordinator
    }
    /// A consumer.
    pub fn client(&self, client_id: &str) -> Option<&ConsumerClient> {
        self.clients.get(client_id)
    }
    /// All consumers.
    pub fn clients(&self) -> &VecMap<String, ConsumerClient> {
        &self.clients
    }
    /// Ownership timeline.
    pub fn ownership(&self) -> &OwnershipTimeline {
        &self.ownership
    }
    /// Delivery ledger.
    pub fn ledger(&self) -> &DeliveryLedger {
        &self.ledger
    }
    /// Event lines (time, text).
    pub fn events(&self) -> &[(u64, String)] {
        &self.events
    }
    /// The group's `__consumer_offsets` records, in append order.
    pub fn offsets_log(&self) -> &[CoordinatorRecord] {
        &self.offsets_log
    }
    /// Invariant violations seen so far (empty when all is well).
    pub fn violations(&self) -> &[String] {
        &self.violations
    }
    /// Steps executed.
    pub fn steps(&self) -> u64 {
        self.steps
    }
    /// Messages in flight.
    pub fn in_flight(&self) -> usize {
        self.queue.len()
    }

    /// Extra processings of records by this group.
    pub fn duplicates(&self) -> u64 {
        self.ledger.duplicates(&self.group_id)
    }

    /// Records below the committed offsets that were never processed (at-most-once losses);
    /// records skipped by `auto.offset.reset` are not counted.
    pub fn losses(&self) -> u64 {
        let mut expected = Vec::new();
        for (tp, c) in self.coordinator.committed() {
            let from = self.reset_floor.get(tp).copied().unwrap_or(0);
            expected.extend(self.log.records_between(tp, from, c.offset));
        }
        self.ledger.losses(&self.group_id, expected)
    }

    /// Lag table.
    pub fn lag(&self) -> Vec<LagRow> {
        let hws: VecMap<TopicPartition, i64> = self
            .log
            .partitions()
            .map(|tp| (tp.clone(), self.log.high_watermark(tp).unwrap_or(0)))
            .collect();
        let committed: VecMap<TopicPartition, i64> = self
            .coordinator
            .committed()
            .iter()
            .map(|(tp, c)| (tp.clone(), c.offset))
            .collect();
        let mut positions = VecMap::new();
        for c in self.clients.values() {
            for (tp, p) in c.positions() {
                if c.assignment().contains(tp) {
                    positions.insert(tp.clone(), (c.client_id().to_string(), *p));
                }
            }
        }
        lag_rows(&self.group_id, &hws, &committed, &positions)
    }

    // ----- commands -----

    /// Starts a consumer now.
    pub fn add_consumer(&mut self, cfg: ConsumerConfig) -> Result<(), GroupError> {
        if self.clients.contains_key(&cfg.client_id) {
            return Err(GroupError::DuplicateClient(cfg.client_id));
        }
        if cfg.group_id != self.group_id {
            return Err(GroupError::InvalidConfig(format!(
                "consumer group.id {} does not match this world's group {}",
                cfg.group_id, self.group_id
            )));
        }
        let c = ConsumerClient::new(cfg, self.assignor, self.now_ms)?;
        self.clients.insert(c.client_id().to_string(), c);
        Ok(())
    }

    fn client_mut(&mut self, client_id: &str) -> Result<&mut ConsumerClient, GroupError> {
        self.clients
            .get_mut(client_id)
            .ok_or_else(|| GroupError::UnknownClient(client_id.to_string()))
    }

    /// Hard-crashes a consumer.
    pub fn crash(&mut self, client_id: &str) -> Result<(), GroupError> {
        let now = self.now_ms;
        let out = self.client_mut(client_id)?.crash(now)?;
        self.apply_outputs(out);
        Ok(())
    }

    /// Closes a consumer gracefully.
    pub fn close(&mut self, client_id: &str) -> Result<(), GroupError> {
        let now = self.now_ms;
        let out = self.client_mut(client_id)?.close(now)?;
        self.apply_outputs(out);
        Ok(())
    }

    /// Stalls a consumer's processing.
    pub fn stall(&mut self, client_id: &str) -> Result<(), GroupError> {
        let now = self.now_ms;
        let out = self.client_mut(client_id)?.stall(now)?;
        self.apply_outputs(out);
        Ok(())
    }

    /// Resumes a stalled consumer.
    pub fn resume(&mut self, client_id: &str) -> Result<(), GroupError> {
        let now = self.now_ms;
        let out = self.client_mut(client_id)?.resume(now)?;
        self.apply_outputs(out);
        Ok(())
    }

    /// Appends `count` records to a partition; returns their ids.
    pub fn produce(
        &mut self,
        tp: &TopicPartition,
        count: u32,
    ) -> Result<Vec<RecordId>, GroupError> {
        let mut ids = Vec::new();
        for _ in 0..count {
            let id = self.next_record_id;
            self.log.append(tp, id)?;
            self.next_record_id += 1;
            ids.push(id);
        }
        Ok(ids)
    }

    /// Makes FindCoordinator answer COORDINATOR_NOT_AVAILABLE (false) or the coordinator (true).
    pub fn set_coordinator_available(&mut self, available: bool) {
        self.coordinator_available = available;
    }

    /// Coordinator failover: the current coordinator unloads the group; a new one on
    /// `broker_id` loads it from the `__consumer_offsets` records.
    pub fn failover_coordinator(&mut self, broker_id: u32) -> Result<(), GroupError> {
        let now = self.now_ms;
        let out = self.coordinator.unload(now);
        self.apply_outputs(out);
        self.rng_seed = self.rng_seed.wrapping_add(0x9E37_79B9);
        let (fresh, out) = GroupCoordinator::load(
            self.group_id.clone(),
            broker_id,
            self.coordinator_config.clone(),
            self.rng_seed,
            now,
            self.offsets_log.iter(),
        )?;
        let old = std::mem::replace(&mut self.coordinator, fresh);
        self.retired.retain(|c| c.broker_id() != broker_id);
        self.retired.push(old);
        // The new coordinator resumes from the last GroupMetadata written (when the group went
        // Empty, or at the leader's SyncGroup): a generation completed but never synced is gone,
        // as in Kafka. Generations never go back under one coordinator.
        self.max_generation_seen = self.coordinator.generation_id();
        self.apply_outputs(out);
        self.check_invariants();
        Ok(())
    }

    // ----- running -----

    fn next_time(&self) -> Option<u64> {
        let q = self.queue.keys().next().map(|(t, _)| *t);
        let c = self.coordinator.next_deadline_ms();
        let cl = self
            .clients
            .values()
            .filter_map(ConsumerClient::next_deadline_ms)
            .min();
        [q, c, cl].into_iter().flatten().min()
    }

    /// Runs everything due up to and including `until_ms`, then sets the clock to `until_ms`.
    /// Invariants are checked after every step.
    pub fn run_until(&mut self, until_ms: u64) {
        let mut at_same_instant = 0usize;
        let mut last = self.now_ms;
        while let Some(t) = self.next_time() {
            if t > until_ms {
                break;
            }
            let t = t.max(self.now_ms);
            if t == last {
                at_same_instant += 1;
                if at_same_instant > MAX_STEPS_PER_INSTANT {
                    self.violations.push(format!(
                        "livelock: more than {MAX_STEPS_PER_INSTANT} steps at {t} ms"
                    ));
                    break;
                }
            } else {
                at_same_instant = 0;
                last = t;
            }
            self.step_at(t);
        }
        self.now_ms = self.now_ms.max(until_ms);
    }

    /// Advances by `ms`.
    pub fn advance(&mut self, ms: u64) {
        let until = self.now_ms.saturating_add(ms);
        self.run_until(until);
    }

    fn step_at(&mut self, t: u64) {
        self.now_ms = t;
        self.steps += 1;
        if let Some((&key, _)) = self.queue.iter().next().filter(|((d, _), _)| *d <= t) {
            if let Some(msg) = self.queue.remove(&key) {
                self.deliver(msg);
            }
        } else {
            let out = self.coordinator.handle_timeout(t);
            self.apply_outputs(out);
            let ids: Vec<String> = self.clients.keys().cloned().collect();
            for id in ids {
                let due = self
                    .clients
                    .get(&id)
                    .and_then(ConsumerClient::next_deadline_ms)
                    .is_some_and(|d| d <= t);
                if due {
                    let out = match self.clients.get_mut(&id) {
                        Some(c) => c.handle_timeout(t, &self.log),
                        None => Vec::new(),
                    };
                    self.apply_outputs(out);
                }
            }
        }
        self.check_invariants();
    }

    fn deliver(&mut self, msg: Message) {
        let now = self.now_ms;
        let out = match &msg.to {
            Endpoint::Client(c) => match self.clients.get_mut(c) {
                Some(client) => client.handle_message(now, &msg, &self.log),
                None => Vec::new(),
            },
            Endpoint::AnyBroker => {
                let resp = match &msg.body {
                    Body::Request(Request::FindCoordinator { group_id })
                        if *group_id == self.group_id =>
                    {
                        if self.coordinator_available {
                            Response::FindCoordinator {
                                error: ErrorCode::None,
                                coordinator_id: Some(self.coordinator.broker_id()),
                            }
                        } else {
                            Response::FindCoordinator {
                                error: ErrorCode::CoordinatorNotAvailable,
                                coordinator_id: None,
                            }
                        }
                    }
                    Body::Request(r) => r.error_response(ErrorCode::CoordinatorNotAvailable),
                    Body::Response(_) => return,
                };
                vec![Output::Send(Message {
                    from: Endpoint::AnyBroker,
                    to: msg.from.clone(),
                    correlation_id: msg.correlation_id,
                    sent_at_ms: now,
                    deliver_at_ms: now.saturating_add(self.coordinator_config.network_latency_ms),
                    body: Body::Response(resp),
                })]
            }
            Endpoint::Broker(b) => {
                if *b == self.coordinator.broker_id() {
                    self.coordinator.handle_message(now, &msg)
                } else if let Some(old) = self.retired.iter_mut().find(|c| c.broker_id() == *b) {
                    old.handle_message(now, &msg)
                } else {
                    match &msg.body {
                        Body::Request(r) => vec![Output::Send(Message {
                            from: Endpoint::Broker(*b),
                            to: msg.from.clone(),
                            correlation_id: msg.correlation_id,
                            sent_at_ms: now,
                            deliver_at_ms: now
                                .saturating_add(self.coordinator_config.network_latency_ms),
                            body: Body::Response(r.error_response(ErrorCode::NotCoordinator)),
                        })],
                        Body::Response(_) => Vec::new(),
                    }
                }
            }
        };
        self.apply_outputs(out);
    }

    fn apply_outputs(&mut self, outputs: Vec<Output>) {
        for o in outputs {
            match &o {
                Output::Send(m) => {
                    let mut m = m.clone();
                    m.deliver_at_ms = m.deliver_at_ms.max(self.now_ms);
                    self.seq += 1;
                    self.queue.insert((m.deliver_at_ms, self.seq), m);
                }
                Output::AppendRecord(r) => {
                    // The harness's log is committed at once: the coordinator applies the record
                    // and a leader's SyncGroup completes.
                    self.offsets_log.push(r.clone());
                    match r {
                        CoordinatorRecord::OffsetCommit { tp, offset, metadata, commit_timestamp_ms, .. } => {
                            let c = CommittedOffset { offset: *offset, metadata: metadata.clone(), commit_timestamp_ms: *commit_timestamp_ms };
                            self.coordinator.apply_committed(tp, c);
                        }
                        CoordinatorRecord::GroupMetadata { generation_id, .. } => {
                            if self.coordinator.awaiting_group_metadata() == Some(*generation_id) {
                                let more = self.coordinator.group_metadata_written(self.now_ms, *generation_id, ErrorCode::None);
                                self.apply_outputs(more);
                            }
                        }
                    }
                }
                Output::Processed { .. } => self.ledger.apply(&self.group_id, &o),
                Output::Assigned { .. } | Output::Revoked { .. } => {
                    for c in self.ownership.apply(&o) {
                        self.violations.push(format!("ownership: {c}"));
                    }
                }
                Output::MemberRemoved {
                    group_id,
                    client_id,
                    member_id,
                    at_ms,
                }
                | Output::OwnershipStale {
                    group_id,
                    client_id,
                    member_id,
                    at_ms,
                } => {
                    let current = self
                        .clients
                        .get(client_id)
                        .is_some_and(|c| c.member_id() == member_id);
                    if current {
                        self.ownership.fence(group_id, client_id, *at_ms);
                    }
                }
                Output::Event { at_ms, event } => {
                    if let super::event::GroupEvent::OffsetReset { tp, offset, .. } = event {
                        let floor = self.reset_floor.entry(tp.clone()).or_insert(0);
                        *floor = (*floor).max(*offset);
                    }
                    if self.events.len() >= MAX_EVENT_LINES {
                        self.events.remove(0);
                    }
                    self.events.push((*at_ms, event.to_string()));
                }
            }
        }
    }

    /// Checks the invariants now; violations are recorded (see [`Self::violations`]).
    pub fn check_invariants(&mut self) {
        let g = self.coordinator.generation_id();
        if g < self.max_generation_seen {
            self.violations.push(format!(
                "generation went back from {} to {g} at {} ms",
                self.max_generation_seen, self.now_ms
            ));
        }
        self.max_generation_seen = self.max_generation_seen.max(g);
        let transitions = self.coordinator.transitions();
        if transitions.len() < self.checked_transitions {
            self.checked_transitions = 0;
        }
        for (t, from, to) in &transitions[self.checked_transitions..] {
            if !to.can_transition_from(*from) {
                self.violations
                    .push(format!("illegal transition {from} -> {to} at {t} ms"));
            }
        }
        self.checked_transitions = transitions.len();
        for (tp, c) in self.coordinator.committed() {
            let hw = self.log.high_watermark(tp).unwrap_or(0);
            if c.offset < 0 || c.offset > hw {
                self.violations.push(format!(
                    "committed offset {} of {tp} outside [0, {hw}]",
                    c.offset
                ));
            }
        }
        for c in self.clients.values() {
            for (tp, p) in c.positions() {
                let hw = self.log.high_watermark(tp).unwrap_or(0);
                if *p < 0 || *p > hw {
                    self.violations.push(format!(
                        "{}: position {p} of {tp} outside [0, {hw}]",
                        c.client_id()
                    ));
                }
            }
            // A consumer's owned partitions must match the timeline (unless the coordinator
            // already removed it and it has not noticed yet: a zombie).
            if self.ownership.is_fenced(&self.group_id, c.client_id()) {
                continue;
            }
            for tp in c.assignment() {
                if self.ownership.current_owner(&self.group_id, tp) != Some(c.client_id()) {
                    self.violations.push(format!(
                        "{} owns {tp} but the timeline disagrees",
                        c.client_id()
                    ));
                }
            }
        }
    }
}
