//! Coordinator placement: each group's coordinator lives on the leader of its `__consumer_offsets`
//! partition. When that leader moves, the old coordinator unloads the group (Dead, NOT_COORDINATOR)
//! and the new leader loads it from the committed offsets below the HW and the last GroupMetadata
//! value. Offset commits are appended to that compacted partition with acks=all.

use crate::cluster::{AppendError, Appended, Cluster};
use crate::group::consumer::coordinator::{ConsumerGroup, ConsumerGroupRecord};
use crate::group::coordinator::{CommittedOffset, CoordinatorConfig, GroupCoordinator};
use crate::group::output::Output;
use crate::group::protocol::{Body, CoordinatorRecord, ErrorCode, Message, Response, TopicPartition};
use crate::group::GroupEvent;
use crate::kernel::Ctx;

use super::{GroupLayer, MAX_PENDING_WRITES};

/// A coordinator write appended to `__consumer_offsets` that the HW has not passed yet.
#[derive(Clone, Debug)]
pub(super) struct PendingWrite {
    /// The HW must reach this offset (the write's last record + 1).
    pub(super) end_offset: u64,
    /// When it was appended.
    pub(super) appended_at_ms: u64,
    /// When it fails (`offsets.commit.timeout.ms`); `None` once nobody waits for it.
    pub(super) deadline_ms: Option<u64>,
    pub(super) kind: WriteKind,
}

#[derive(Clone, Debug)]
pub(super) enum WriteKind {
    /// Offset commits of `member_id` (empty: found above the HW when the group was loaded), with
    /// the held response and `Committed` events.
    Commit { member_id: String, offsets: Vec<(TopicPartition, i64)>, held: Vec<Output> },
    /// A GroupMetadata value; `sync`: the leader's SyncGroup waits for it; `held`: the
    /// JoinGroup answer of a static member that replaced its old member id in Stable
    /// (`updateStaticMemberThenRebalanceOrCompleteJoin` answers once the write commits).
    Metadata { generation_id: i32, record: CoordinatorRecord, sync: bool, held: Vec<Output> },
    /// A consumer-protocol group's records (KIP-848), with the response that waits for them
    /// (the heartbeat or the classic member's request that wrote them): applied to the
    /// group's committed records once the HW passes, so a new coordinator loads only those.
    ConsumerGroup { records: Vec<ConsumerGroupRecord>, held: Vec<Output> },
}

/// A held response whose write failed carries the write's error instead (each API's error field).
fn fail_response(m: &mut Message, error: ErrorCode) {
    match &mut m.body {
        Body::Response(Response::OffsetCommit { results }) => {
            for (_, e) in results.iter_mut() {
                *e = error;
            }
        }
        Body::Response(Response::JoinGroup { error: e, .. } | Response::SyncGroup { error: e, .. } | Response::Heartbeat { error: e } | Response::LeaveGroup { error: e }) => *e = error,
        Body::Response(Response::ConsumerGroupHeartbeat(r)) => {
            let member_id = std::mem::take(&mut r.member_id);
            *r = crate::group::protocol::HeartbeatResponse::error(&member_id, error);
        }
        _ => {}
    }
}

/// The least time a broker takes to load a group when it becomes its coordinator.
const COORDINATOR_LOAD_BASE_MS: u64 = 10;

impl GroupLayer {
    /// Loads/unloads coordinators whose `__consumer_offsets` leader changed. Returns whether
    /// anything moved.
    pub fn sync_coordinators(&mut self, ctx: &mut Ctx, cluster: &mut Cluster) -> bool {
        let mut moved = false;
        // Called at every wake-up: read each group in place, and name it only when it moves.
        let mut i = 0;
        while let Some((gid, g)) = self.groups.get_index(i) {
            i += 1;
            let target = cluster.coordinator_for(gid);
            if g.coordinator.as_ref().map(GroupCoordinator::broker_id) == target {
                continue;
            }
            let gid = gid.clone();
            let Some(g) = self.groups.get_mut(&gid) else {
                continue;
            };
            moved = true;
            let taken = g.coordinator.take();
            g.losses_settled = None;
            g.coordinator_deadline_ms = None;
            if let Some(old) = taken {
                self.unload_coordinator(ctx, cluster, &gid, old);
            }
            if let Some(b) = target {
                self.load_coordinator(ctx, cluster, &gid, b);
            }
        }
        moved
    }

    /// The old coordinator unloads the group; a dead broker sends nothing.
    fn unload_coordinator(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, gid: &str, mut old: GroupCoordinator) {
        let alive = cluster.broker_alive(old.broker_id());
        self.drop_writes(ctx, cluster, gid, alive);
        let out: Vec<Output> = old
            .unload(ctx.now_ms)
            .into_iter()
            .filter(|o| alive || !matches!(o, Output::Send(_)))
            .collect();
        self.apply_outputs(ctx, cluster, gid, out);
    }

    /// Broker `b` loads the group: its last GroupMetadata value and the committed offsets of
    /// `__consumer_offsets`.
    fn load_coordinator(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, gid: &str, b: u32) {
        let Some(g) = self.groups.get(gid) else {
            return;
        };
        let mut records: Vec<CoordinatorRecord> = g.metadata.iter().cloned().collect();
        // The committed records below the HW, in log order (tombstones included): the commit
        // timestamp is the record's. GroupLab's consumers commit no metadata string.
        let hw = cluster.coordinator_log_offsets(gid).map_or(0, |(hw, _)| hw);
        for (_, (topic, partition), value, ts) in cluster.offset_commit_records(gid, 0, hw) {
            records.push(CoordinatorRecord::OffsetCommit {
                group_id: gid.to_string(),
                tp: TopicPartition::new(topic, partition),
                offset: value as i64,
                metadata: String::new(),
                commit_timestamp_ms: ts,
            });
        }
        let seed = ctx.rng.next_u64();
        match GroupCoordinator::load(gid.to_string(), b, CoordinatorConfig {
            max_size: self.group_max_size,
            offsets_retention_ms: self.offsets_retention_ms,
            offsets_retention_check_interval_ms: self.offsets_retention_check_interval_ms,
            ..g.config.coordinator_config()
        }, seed, ctx.now_ms, records.iter()) {
            Ok((mut c, out)) => {
                // Reading the partition takes time: about 100 records per ms (a GroupLab model).
                let records = cluster.coordinator_log_offsets(gid).map_or(0, |(_, leo)| leo);
                c.set_loading_until(ctx.now_ms.saturating_add(COORDINATOR_LOAD_BASE_MS + records / 100));
                if let Some(g) = self.groups.get_mut(gid) {
                    g.coordinator = Some(c);
                    // A consumer-protocol group is rebuilt from its records, its sessions
                    // starting again now.
                    if g.consumer.is_some() {
                        g.consumer = Some(ConsumerGroup::loaded(gid, self.consumer_group_config.clone(), ctx.now_ms, &g.consumer_records));
                    }
                    g.coordinator_deadline_ms = g.next_coordinator_deadline_ms();
                    g.losses_settled = None;
                }
                // Commits in the new leader's log above its HW (acknowledged by the old leader
                // or not) are the loaded state's uncommitted tail: they apply when the HW passes.
                if let Some((hw, leo)) = cluster.coordinator_log_offsets(gid) {
                    let tail = cluster.offset_commit_records(gid, hw, leo);
                    if let Some(&(last, ..)) = tail.last() {
                        let offsets = tail.into_iter().map(|(_, (t, p), v, _)| (TopicPartition::new(t, p), v as i64)).collect();
                        let kind = WriteKind::Commit { member_id: String::new(), offsets, held: Vec::new() };
                        self.push_write(cluster, gid, hw, PendingWrite { end_offset: last + 1, appended_at_ms: ctx.now_ms, deadline_ms: None, kind });
                    }
                }
                self.apply_outputs(ctx, cluster, gid, out);
            }
            Err(e) => self.audit.violations.push(format!("group {gid}: coordinator load failed: {e}")),
        }
    }

    /// Appends one offset commit to the group's `__consumer_offsets` partition. A failed append
    /// is reported as [`GroupEvent::CommitNotPersisted`] and returned.
    pub(super) fn append_commit(
        &mut self,
        ctx: &mut Ctx,
        cluster: &mut Cluster,
        group_id: &str,
        tp: &TopicPartition,
        offset: i64,
    ) -> Result<Appended, AppendError> {
        // A tombstone (an expired offset) is the log's tombstone value.
        let value = if offset == crate::group::coordinator::OFFSET_TOMBSTONE { crate::cluster::OFFSET_TOMBSTONE } else { u64::try_from(offset).unwrap_or(0) };
        cluster.append_offset_commit(ctx, group_id, &tp.topic, tp.partition, value).inspect_err(|e| {
            self.out.push(
                ctx,
                GroupEvent::CommitNotPersisted { group_id: group_id.to_string(), tp: tp.clone(), offset, error: e.name().to_string() },
            );
        })
    }

    /// `GroupCoordinatorService`'s mapping of a write's error to what the client sees.
    pub(super) fn write_error(e: AppendError) -> ErrorCode {
        match e {
            AppendError::NotLeaderOrFollower | AppendError::KafkaStorageError => ErrorCode::NotCoordinator,
            _ => ErrorCode::CoordinatorNotAvailable,
        }
    }

    /// Queues a write that waits for the HW of the group's `__consumer_offsets` partition.
    /// `start_offset`: the write's first record.
    fn push_write(&mut self, cluster: &Cluster, gid: &str, start_offset: u64, w: PendingWrite) {
        let hw = cluster.coordinator_log_offsets(gid).map_or(0, |(hw, _)| hw);
        let Some(g) = self.groups.get_mut(gid) else { return };
        if g.writes.is_empty() {
            // Every earlier record of the group is below the HW and applied.
            g.applied_to = hw.min(start_offset);
        }
        g.writes.push(w);
        // Bounded: drop the oldest writes nobody waits for (the cache is read from the log).
        while g.writes.len() > MAX_PENDING_WRITES {
            match g.writes.iter().position(|w| w.deadline_ms.is_none()) {
                Some(i) => {
                    g.writes.remove(i);
                }
                None => break,
            }
        }
        g.write_deadline_ms = g.writes.iter().filter_map(|w| w.deadline_ms).min();
        self.writing.insert(gid.to_string());
    }

    /// Appends the records a coordinator output to `__consumer_offsets`, as Kafka's
    /// `CoordinatorRuntime` does: an OffsetCommit's response (and its `Committed` events) is
    /// held until the HW passes its records ([`Self::complete_writes`]) or failed after
    /// `offsets.commit.timeout.ms`; a failed append answers at once (`NOT_ENOUGH_REPLICAS`,
    /// `UNKNOWN_TOPIC_OR_PARTITION` and unreachable leaders ⇒ `COORDINATOR_NOT_AVAILABLE`;
    /// `NOT_LEADER_OR_FOLLOWER`, `KAFKA_STORAGE_ERROR` ⇒ `NOT_COORDINATOR`). The leader's
    /// GroupMetadata write completes its SyncGroup the same way. Returns the outputs to route now.
    pub(super) fn persist_writes(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, gid: &str, out: Vec<Output>) -> Vec<Output> {
        let now = ctx.now_ms;
        let timeout = self.offsets_commit_timeout_ms;
        let mut rest = Vec::with_capacity(out.len());
        let mut held = Vec::new();
        let mut offsets: Vec<(TopicPartition, i64)> = Vec::new();
        let mut end_offset = 0u64;
        let mut start_offset = u64::MAX;
        let mut failed: Option<ErrorCode> = None;
        let mut member_id = String::new();
        let mut metadata_write: Option<PendingWrite> = None;
        let mut metadata_at = 0u64;
        let mut held_joins: Vec<Output> = Vec::new();
        for o in out {
            match o {
                Output::AppendRecord(CoordinatorRecord::OffsetCommit { group_id, tp, offset, .. }) => {
                    self.audit.losses_dirty = true;
                    match self.append_commit(ctx, cluster, &group_id, &tp, offset) {
                        Ok(a) => {
                            end_offset = end_offset.max(a.first_offset + a.count);
                            start_offset = start_offset.min(a.first_offset);
                            offsets.push((tp, offset));
                        }
                        Err(e) => failed = Some(Self::write_error(e)),
                    }
                }
                Output::AppendRecord(r @ CoordinatorRecord::GroupMetadata { .. }) => {
                    let generation_id = match &r {
                        CoordinatorRecord::GroupMetadata { generation_id, .. } => *generation_id,
                        CoordinatorRecord::OffsetCommit { .. } => 0,
                    };
                    let sync = self.groups.get(gid).and_then(|g| g.coordinator.as_ref()).and_then(GroupCoordinator::awaiting_group_metadata) == Some(generation_id);
                    match cluster.append_group_metadata(ctx, gid, generation_id) {
                        Ok(a) => {
                            metadata_write = Some(PendingWrite {
                                end_offset: a.first_offset + a.count,
                                appended_at_ms: now,
                                deadline_ms: sync.then(|| now.saturating_add(timeout)),
                                kind: WriteKind::Metadata { generation_id, record: r, sync, held: Vec::new() },
                            });
                            metadata_at = a.first_offset;
                        }
                        Err(e) if sync => {
                            let more = match self.groups.get_mut(gid).and_then(|g| g.coordinator.as_mut()) {
                                Some(c) => c.group_metadata_written(now, generation_id, Self::write_error(e)),
                                None => Vec::new(),
                            };
                            self.refresh_coordinator_deadline(gid);
                            rest.extend(more);
                        }
                        Err(_) => {}
                    }
                }
                Output::Event { at_ms, event: GroupEvent::Committed { group_id, member_id: m, tp, offset } } => {
                    member_id.clone_from(&m);
                    held.push(Output::Event { at_ms, event: GroupEvent::Committed { group_id, member_id: m, tp, offset } });
                }
                Output::Send(m) if matches!(m.body, Body::Response(Response::OffsetCommit { .. })) => held.push(Output::Send(m)),
                Output::Send(m) if matches!(m.body, Body::Response(Response::JoinGroup { .. })) && metadata_write.is_some() => held_joins.push(Output::Send(m)),
                other => rest.push(other),
            }
        }
        if let Some(mut w) = metadata_write {
            if let WriteKind::Metadata { held, sync, .. } = &mut w.kind {
                if !held_joins.is_empty() && !*sync {
                    w.deadline_ms = Some(now.saturating_add(timeout));
                }
                *held = held_joins;
            }
            self.push_write(cluster, gid, metadata_at, w);
        }
        if let Some(error) = failed {
            // The write failed: answer now with the mapped error; records already appended may
            // still become committed (nobody waits for them).
            for o in held {
                if let Output::Send(mut m) = o {
                    if let Body::Response(Response::OffsetCommit { results }) = &mut m.body {
                        for (_, e) in results.iter_mut() {
                            *e = error;
                        }
                    }
                    rest.push(Output::Send(m));
                }
            }
            if !offsets.is_empty() {
                let w = PendingWrite { end_offset, appended_at_ms: now, deadline_ms: None, kind: WriteKind::Commit { member_id, offsets, held: Vec::new() } };
                self.push_write(cluster, gid, start_offset, w);
            }
        } else if !offsets.is_empty() {
            let w = PendingWrite { end_offset, appended_at_ms: now, deadline_ms: Some(now.saturating_add(timeout)), kind: WriteKind::Commit { member_id, offsets, held } };
            self.push_write(cluster, gid, start_offset, w);
        } else {
            rest.extend(held);
        }
        rest
    }

    /// A consumer-protocol group's records go to its `__consumer_offsets` partition (one record
    /// per write stands for them in the log) and `reply`, if any, waits until the HW passes
    /// them or `offsets.commit.timeout.ms`, as `CoordinatorRuntime` completes a write. A
    /// failed append answers at once with the mapped error (the group machine keeps its
    /// change; Kafka would roll it back). Without records the reply still waits for the
    /// group's earlier writes, as the runtime completes an operation only once everything
    /// written before it is committed; with none pending it goes at once.
    pub(super) fn persist_consumer_group_write(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, gid: &str, records: Vec<ConsumerGroupRecord>, reply: Option<Message>) {
        let now = ctx.now_ms;
        if records.is_empty() {
            let Some(m) = reply else { return };
            match self.groups.get(gid).and_then(|g| g.writes.iter().map(|w| w.end_offset).max()) {
                Some(end_offset) => {
                    let kind = WriteKind::ConsumerGroup { records, held: vec![Output::Send(m)] };
                    let w = PendingWrite { end_offset, appended_at_ms: now, deadline_ms: Some(now.saturating_add(self.offsets_commit_timeout_ms)), kind };
                    self.push_write(cluster, gid, end_offset, w);
                }
                None => self.enqueue(now, m),
            }
            return;
        }
        let epoch = self.groups.get(gid).and_then(|g| g.consumer.as_ref()).map_or(0, ConsumerGroup::group_epoch);
        match cluster.append_group_metadata(ctx, gid, epoch) {
            Ok(a) => {
                let deadline_ms = reply.is_some().then(|| now.saturating_add(self.offsets_commit_timeout_ms));
                let held = reply.into_iter().map(Output::Send).collect();
                let w = PendingWrite { end_offset: a.first_offset + a.count, appended_at_ms: now, deadline_ms, kind: WriteKind::ConsumerGroup { records, held } };
                self.push_write(cluster, gid, a.first_offset, w);
            }
            Err(e) => {
                if let Some(mut m) = reply {
                    fail_response(&mut m, Self::write_error(e));
                    self.enqueue(now, m);
                }
            }
        }
    }

    /// The group changed type: its consumer-group records start again (`records`, possibly
    /// none), and the records of writes still waiting belong to the old group (their replies
    /// still go when the HW passes).
    pub(super) fn reset_consumer_group_records(&mut self, gid: &str, records: &[ConsumerGroupRecord]) {
        let Some(g) = self.groups.get_mut(gid) else { return };
        g.consumer_records = Default::default();
        g.consumer_records.write(records);
        for w in &mut g.writes {
            if let WriteKind::ConsumerGroup { records, .. } = &mut w.kind {
                records.clear();
            }
        }
    }

    /// Writes whose records the HW of their `__consumer_offsets` partition passed complete:
    /// the coordinator applies the committed offset records to its cache, held responses are
    /// sent (`Committed` events emitted), a committed GroupMetadata becomes the group's value
    /// and completes the leader's SyncGroup. Returns whether anything completed.
    pub fn complete_writes(&mut self, ctx: &mut Ctx, cluster: &mut Cluster) -> bool {
        if self.writing.is_empty() {
            return false;
        }
        let now = ctx.now_ms;
        let gids: Vec<String> = self.writing.iter().cloned().collect();
        let mut any = false;
        for gid in gids {
            let Some((hw, _)) = cluster.coordinator_log_offsets(&gid) else { continue };
            let Some(g) = self.groups.get_mut(&gid) else { continue };
            let Some(c) = g.coordinator.as_mut() else { continue };
            let done = g.writes.iter().take_while(|w| w.end_offset <= hw).count();
            if hw <= g.applied_to && done == 0 {
                continue;
            }
            if hw > g.applied_to {
                for (_, (topic, partition), value, ts) in cluster.offset_commit_records(&gid, g.applied_to, hw) {
                    let committed = CommittedOffset { offset: value as i64, metadata: String::new(), commit_timestamp_ms: ts };
                    c.apply_committed(&TopicPartition::new(topic, partition), committed);
                }
                g.applied_to = hw;
            }
            let alive = cluster.broker_alive(c.broker_id());
            let completed: Vec<PendingWrite> = g.writes.drain(..done).collect();
            g.write_deadline_ms = g.writes.iter().filter_map(|w| w.deadline_ms).min();
            if g.writes.is_empty() {
                self.writing.remove(&gid);
            }
            any = true;
            self.audit.losses_dirty = true;
            let latency = g.config.network_latency_ms;
            let mut out = Vec::new();
            for w in completed {
                match w.kind {
                    WriteKind::Commit { held, .. } => {
                        for o in held {
                            match o {
                                Output::Send(mut m) if alive => {
                                    m.sent_at_ms = now;
                                    m.deliver_at_ms = now.saturating_add(latency);
                                    out.push(Output::Send(m));
                                }
                                // A dead coordinator acknowledges nothing.
                                Output::Event { event, .. } if alive => out.push(Output::Event { at_ms: now, event }),
                                _ => {}
                            }
                        }
                    }
                    WriteKind::ConsumerGroup { records, held } => {
                        for o in held {
                            if let (Output::Send(mut m), true) = (o, alive) {
                                m.sent_at_ms = now;
                                m.deliver_at_ms = now.saturating_add(latency);
                                out.push(Output::Send(m));
                            }
                        }
                        if let Some(g) = self.groups.get_mut(&gid) {
                            g.consumer_records.write(&records);
                        }
                    }
                    WriteKind::Metadata { generation_id, record, sync, held } => {
                        for o in held {
                            if let (Output::Send(mut m), true) = (o, alive) {
                                m.sent_at_ms = now;
                                m.deliver_at_ms = now.saturating_add(latency);
                                out.push(Output::Send(m));
                            }
                        }
                        if let Some(g) = self.groups.get_mut(&gid) {
                            g.metadata = Some(record);
                            if sync {
                                if let Some(c) = g.coordinator.as_mut() {
                                    out.extend(c.group_metadata_written(now, generation_id, ErrorCode::None).into_iter().filter(|o| alive || !matches!(o, Output::Send(_))));
                                }
                            }
                        }
                    }
                }
            }
            self.refresh_coordinator_deadline(&gid);
            self.apply_outputs(ctx, cluster, &gid, out);
        }
        if any {
            if self.audit.losses_dirty {
                self.audit.losses_dirty = false;
                self.account_losses(cluster);
            }
            self.reschedule(ctx);
        }
        any
    }

    /// Writes of group `gid` whose `offsets.commit.timeout.ms` passed fail (the runtime's write
    /// timeout, `REQUEST_TIMED_OUT` ⇒ `COORDINATOR_NOT_AVAILABLE`): their responses are sent
    /// with that error; their records stay in the log and still apply if the HW passes them.
    pub(super) fn fail_due_writes(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, gid: &str) {
        let now = ctx.now_ms;
        let Some(g) = self.groups.get_mut(gid) else { return };
        let alive = g.coordinator.as_ref().is_some_and(|c| cluster.broker_alive(c.broker_id()));
        let latency = g.config.network_latency_ms;
        let mut out = Vec::new();
        let mut events = Vec::new();
        for w in g.writes.iter_mut().filter(|w| w.deadline_ms.is_some_and(|d| d <= now)) {
            w.deadline_ms = None;
            match &mut w.kind {
                WriteKind::Commit { held, offsets, .. } => {
                    for o in held.drain(..) {
                        if let Output::Send(mut m) = o {
                            if let Body::Response(Response::OffsetCommit { results }) = &mut m.body {
                                for (_, e) in results.iter_mut() {
                                    *e = ErrorCode::CoordinatorNotAvailable;
                                }
                            }
                            m.sent_at_ms = now;
                            m.deliver_at_ms = now.saturating_add(latency);
                            if alive {
                                out.push(Output::Send(m));
                            }
                        }
                    }
                    for (tp, offset) in offsets.iter() {
                        events.push(GroupEvent::CommitNotPersisted { group_id: gid.to_string(), tp: tp.clone(), offset: *offset, error: "REQUEST_TIMED_OUT".into() });
                    }
                }
                WriteKind::ConsumerGroup { held, .. } => {
                    for o in std::mem::take(held) {
                        if let (Output::Send(mut m), true) = (o, alive) {
                            fail_response(&mut m, ErrorCode::CoordinatorNotAvailable);
                            m.sent_at_ms = now;
                            m.deliver_at_ms = now.saturating_add(latency);
                            out.push(Output::Send(m));
                        }
                    }
                }
                WriteKind::Metadata { generation_id, sync, held, .. } => {
                    // The static member's JoinGroup: the write timed out (COORDINATOR_NOT_AVAILABLE).
                    for o in std::mem::take(held) {
                        if let (Output::Send(mut m), true) = (o, alive) {
                            if let Body::Response(Response::JoinGroup { error, .. }) = &mut m.body {
                                *error = ErrorCode::CoordinatorNotAvailable;
                            }
                            m.sent_at_ms = now;
                            m.deliver_at_ms = now.saturating_add(latency);
                            out.push(Output::Send(m));
                        }
                    }
                    if *sync {
                        *sync = false;
                        if let Some(c) = g.coordinator.as_mut() {
                            out.extend(c.group_metadata_written(now, *generation_id, ErrorCode::CoordinatorNotAvailable).into_iter().filter(|o| alive || !matches!(o, Output::Send(_))));
                        }
                    }
                }
            }
        }
        g.write_deadline_ms = g.writes.iter().filter_map(|w| w.deadline_ms).min();
        for e in events {
            self.out.push(ctx, e);
        }
        self.refresh_coordinator_deadline(gid);
        self.apply_outputs(ctx, cluster, gid, out);
    }

    /// The coordinator of `gid` unloads: writes still waiting fail with NOT_COORDINATOR (a dead
    /// broker sends nothing); the new coordinator loads what its log holds.
    fn drop_writes(&mut self, ctx: &mut Ctx, cluster: &Cluster, gid: &str, alive: bool) {
        let now = ctx.now_ms;
        self.writing.remove(gid);
        let Some(g) = self.groups.get_mut(gid) else { return };
        g.write_deadline_ms = None;
        let latency = g.config.network_latency_ms;
        let writes = std::mem::take(&mut g.writes);
        let _ = cluster;
        for w in writes {
            let held = match w.kind {
                WriteKind::Commit { held, .. } | WriteKind::Metadata { held, .. } | WriteKind::ConsumerGroup { held, .. } => held,
            };
            {
                for o in held {
                    if let (Output::Send(mut m), true) = (o, alive) {
                        fail_response(&mut m, ErrorCode::NotCoordinator);
                        m.sent_at_ms = now;
                        m.deliver_at_ms = now.saturating_add(latency);
                        self.enqueue(now, m);
                    }
                }
            }
        }
    }
}
