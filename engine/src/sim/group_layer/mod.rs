//! The Sim's consumer-group layer: Kafka's classic group protocol ([`crate::group`]) wired to
//! the simulated cluster.
//!
//! * Each group's coordinator lives on the leader of its `__consumer_offsets` partition
//!   (`abs(hashCode(group.id)) % offsets.topic.num.partitions`, [`Cluster::coordinator_for`]).
//!   When that leader moves (broker crash, fencing, restart), the old coordinator unloads the
//!   group (Dead, NOT_COORDINATOR) and the new leader loads it: committed offsets from the
//!   `__consumer_offsets` records below the HW, and the last GroupMetadata value.
//! * Offset commits are appended to that compacted partition with acks=all.
//! * Consumers fetch from the real partitions' live leaders, never past the HW; record
//!   identity is (producer id, sequence).
//! * Requests to a dead broker get no answer (the client's `request.timeout.ms` expires);
//!   requests to a live broker that does not coordinate the group get NOT_COORDINATOR.
//!
//! Simplifications: GroupMetadata values are kept by the layer (the log layer stores offset
//! commits only); a commit is acknowledged before its append is replicated.

use crate::kernel::vecmap::VecMap;
use std::collections::BTreeSet;

use crate::assign::{self, Strategy};
use crate::cluster::{AppendError, Cluster};
use crate::kafka::error::SimError;
use crate::group::accounting::{DeliveryLedger, OwnershipLane, OwnershipTimeline};
use crate::group::client::{
    ClientLifecycle, ConsumerClient,
    MemberSubscription, PartitionOffsets, PartitionSource,
};
use crate::group::coordinator::{CommittedOffset, GroupCoordinator};
use crate::group::protocol::{producer_record_id, Body, CoordinatorRecord, Endpoint, ErrorCode, Message, RecordId, Request, Response, TopicPartition};
use crate::group::output::Output;
use crate::group::config::{group_err, validate_strategies};
use crate::group::{GroupConfig, GroupError, GroupEvent};
use crate::kernel::{pack, unpack, Ctx, Fnv, Outbox, Timers};
use crate::api::view::{
    ConsumerView, DeliveryView, GroupView, LagView, MemberView, OwnershipChangeView, OwnershipView,
};

/// Groups.
pub const MAX_GROUPS: usize = 1_000;
/// Consumers per group.
pub const MAX_MEMBERS: usize = 1_000;
/// Messages in flight.
pub const MAX_MESSAGES: usize = 1_000_000;
/// Steps processed in one wakeup (livelock guard).
pub const MAX_STEPS_PER_WAKEUP: usize = 1_000_000;
/// Ownership changes per partition shown in a view.
pub const MAX_OWNERSHIP_IN_VIEW: usize = 100;

/// Adapter from the group layer's [`crate::group::AssignFn`] to [`assign::assign`].
pub fn kafka_assignor(
    strategy: &str,
    topics: &VecMap<String, u32>,
    members: &[MemberSubscription],
) -> Result<VecMap<String, Vec<(String, u32)>>, String> {
    let strategy = match strategy {
        "range" => Strategy::Range,
        "roundrobin" => Strategy::Roundrobin,
        "sticky" => Strategy::Sticky,
        "cooperative-sticky" => Strategy::CooperativeSticky,
        other => return Err(format!("unknown assignor {other}")),
    };
    let subs: Vec<assign::MemberSubscription> = members
        .iter()
        .map(|m| assign::MemberSubscription {
            id: m.member_id.clone(),
            topics: m.topics.clone(),
            owned: m.owned_partitions.clone(),
            generation: (m.generation_id >= 0).then_some(m.generation_id),
            instance_id: None,
            rack: None,
        })
        .collect();
    assign::assign(strategy, topics, &subs).map_err(|e| e.to_string())
}

/// The simulated cluster as consumers see it.
pub struct ClusterSource<'a> {
    /// The cluster.
    pub cluster: &'a Cluster,
}

impl PartitionSource for ClusterSource<'_> {
    fn partition_count(&self, topic: &str) -> Option<u32> {
        self.cluster.topic(topic).map(|t| t.partitions.len() as u32)
    }
    fn offsets(&self, tp: &TopicPartition) -> Option<PartitionOffsets> {
        let p = self
            .cluster
            .topic(&tp.topic)?
            .partitions
            .get(tp.partition as usize)?;
        let leader = p.leader.filter(|b| self.cluster.broker_alive(*b))?;
        let log = p.log_of(leader)?;
        Some(PartitionOffsets {
            log_start_offset: log.log_start_offset() as i64,
            high_watermark: log.high_watermark() as i64,
        })
    }
    fn record_id(&self, tp: &TopicPartition, offset: i64) -> Option<RecordId> {
        let offset = u64::try_from(offset).ok()?;
        let r = self
            .cluster
            .read(&tp.topic, tp.partition, offset, 1)?
            .first()?;
        (r.offset == offset).then(|| producer_record_id(r.producer_id, r.sequence))
    }
}

/// Bits of a [`MessageQueue`] key's low half that hold the message's slot.
const SLOT_BITS: u32 = 20;
const _: () = assert!(MAX_MESSAGES < 1 << SLOT_BITS);

/// In-flight messages in delivery order: `(deliver_at_ms, seq)`, ties in sending order.
///
/// The order lives in a `BTreeSet<u128>` of keys `deliver_at_ms << 64 | seq << 20 | slot` (the
/// same set type as the layer's other deadline sets, so the wasm holds one copy of its code)
/// and the messages in a slab of slots reused through a free list: no second ordered map over
/// `Message`. `seq` stays below 2^44 (sixteen trillion messages).
#[derive(Clone, Debug, Default)]
struct MessageQueue {
    order: BTreeSet<u128>,
    slots: Vec<Option<Message>>,
    free: Vec<u32>,
}

impl MessageQueue {
    fn len(&self) -> usize {
        self.order.len()
    }

    fn push(&mut self, deliver_at_ms: u64, seq: u64, m: Message) {
        debug_assert!(seq < 1 << (64 - SLOT_BITS), "message seq overflow");
        let slot = match self.free.pop() {
            Some(slot) => slot as usize,
            None => {
                self.slots.push(None);
                self.slots.len() - 1
            }
        };
        debug_assert!(self.slots[slot].is_none(), "slot {slot} in use");
        self.slots[slot] = Some(m);
        self.order.insert(pack(deliver_at_ms, seq << SLOT_BITS | slot as u64));
    }

    /// Delivery time of the next message.
    fn next_at_ms(&self) -> Option<u64> {
        self.order.first().map(|&k| unpack(k).0)
    }

    /// The slot held in the low half of a key.
    fn slot(low: u64) -> usize {
        (low & ((1 << SLOT_BITS) - 1)) as usize
    }

    /// The next message if it is due at `now_ms`.
    fn pop_due(&mut self, now_ms: u64) -> Option<Message> {
        let (at_ms, low) = unpack(*self.order.first()?);
        if at_ms > now_ms {
            return None;
        }
        self.order.pop_first();
        let slot = Self::slot(low);
        self.free.push(slot as u32);
        let m = self.slots.get_mut(slot).and_then(Option::take);
        debug_assert!(m.is_some(), "queued slot {slot} empty");
        m
    }

    /// `(deliver_at_ms, seq, message)` in delivery order.
    fn iter(&self) -> impl Iterator<Item = (u64, u64, &Message)> {
        self.order.iter().filter_map(|&k| {
            let (at_ms, low) = unpack(k);
            self.slots.get(Self::slot(low))?.as_ref().map(|m| (at_ms, low >> SLOT_BITS, m))
        })
    }
}

#[derive(Clone, Debug)]
struct GroupRuntime {
    config: GroupConfig,
    subscription: Vec<String>,
    coordinator: Option<GroupCoordinator>,
    metadata: Option<CoordinatorRecord>,
    /// Cached [`GroupCoordinator::next_deadline_ms`] of `coordinator`, refreshed after every
    /// change of the coordinator (it depends on the coordinator's state only).
    coordinator_deadline_ms: Option<u64>,
    /// [`GroupCoordinator::committed_version`] at which every committed offset of the group was
    /// already checked for losses (`None`: not known to be settled).
    losses_settled: Option<u64>,
}

#[derive(Clone, Debug)]
struct ConsumerRuntime {
    group_id: String,
    topics: Vec<String>,
    client: ConsumerClient,
    /// Stable index of this consumer in [`GroupLayer::consumer_due`] (consumers are never
    /// removed, so slots are never reused).
    slot: u32,
    /// Cached [`ConsumerClient::next_deadline_ms`], mirrored in [`GroupLayer::consumer_due`].
    deadline_ms: Option<u64>,
}

impl ConsumerRuntime {
    /// Re-reads the client's next deadline after a change of the client and keeps the due
    /// index in sync. The deadline depends on the client's own state only, so refreshing
    /// after each `&mut` call keeps the cache exact.
    fn refresh_deadline(&mut self, due: &mut BTreeSet<u128>) {
        let d = self.client.next_deadline_ms();
        if d == self.deadline_ms {
            return;
        }
        if let Some(old) = self.deadline_ms {
            due.remove(&pack(old, u64::from(self.slot)));
        }
        if let Some(new) = d {
            due.insert(pack(new, u64::from(self.slot)));
        }
        self.deadline_ms = d;
    }
}

/// All groups and consumers of a Sim.
#[derive(Clone, Debug, Default)]
pub struct GroupLayer {
    groups: VecMap<String, GroupRuntime>,
    consumers: VecMap<String, ConsumerRuntime>,
    /// `client.id` of each consumer slot ([`ConsumerRuntime::slot`]).
    consumer_names: Vec<String>,
    /// Rank of each slot's `client.id` among all consumers (the order of `consumers`).
    consumer_rank: Vec<u32>,
    /// Timer index: `(next deadline, slot)` of every consumer that has one, so finding due
    /// consumers and the layer's next deadline costs O(log n) instead of a scan.
    /// Keys are `pack(deadline_ms, slot)`.
    consumer_due: BTreeSet<u128>,
    /// In-flight messages by `(deliver_at_ms, seq)`.
    queue: MessageQueue,
    seq: u64,
    next_client_n: u32,
    /// `u128`, not `u64`: shares its `BTreeSet` code with `consumer_due`.
    scheduled: BTreeSet<u128>,
    ownership: OwnershipTimeline,
    ledger: DeliveryLedger,
    violations: Vec<String>,
    messages_dropped: u64,
    /// Per (group, partition): offset below which losses were already counted.
    loss_checked: VecMap<String, VecMap<TopicPartition, u64>>,
    /// Per (group, partition): highest `auto.offset.reset` target; records below it were
    /// skipped on purpose and are not losses.
    reset_floor: VecMap<String, VecMap<TopicPartition, u64>>,
    /// Records below the committed offsets that were never processed, per group.
    losses: VecMap<String, u64>,
    /// A commit or an ownership change happened since the last loss accounting.
    losses_dirty: bool,
    /// Per (group, topic, partition, key): highest offset processed for the first time.
    key_last_offset: VecMap<String, VecMap<TopicPartition, VecMap<u32, i64>>>,
    /// Records processed (first time) after a later record of the same key, per group.
    ordering_violations: VecMap<String, u64>,
    /// The layer's one wake-up timer (at its next deadline).
    timers: Timers<()>,
    /// Events of the groups' coordinators and consumers.
    out: Outbox<GroupEvent>,
}

impl GroupLayer {
    fn validate_topics(cluster: &Cluster, topics: &[String]) -> Result<(), SimError> {
        for t in topics {
            if cluster.topic(t).is_none() {
                return Err(SimError::UnknownTopicOrPartition(format!(
                    "Topic {t} not present in metadata"
                )));
            }
        }
        Ok(())
    }

    fn check_group_id(group_id: &str) -> Result<(), SimError> {
        if group_id.is_empty() {
            return Err(SimError::InvalidRequest(
                "group.id must not be empty (INVALID_GROUP_ID)".into(),
            ));
        }
        Ok(())
    }

    fn ensure_group_capacity(&self, group_id: &str) -> Result<(), SimError> {
        if !self.groups.contains_key(group_id) && self.groups.len() >= MAX_GROUPS {
            return Err(SimError::LimitExceeded(format!(
                "at most {MAX_GROUPS} groups"
            )));
        }
        Ok(())
    }

    fn new_group(config: GroupConfig) -> GroupRuntime {
        GroupRuntime {
            config,
            subscription: Vec::new(),
            coordinator: None,
            metadata: None,
            coordinator_deadline_ms: None,
            losses_settled: None,
        }
    }

    /// `CreateGroup`: creates (or updates the subscription and config of) a group.
    pub fn create_group(
        &mut self,
        ctx: &mut Ctx,
        cluster: &mut Cluster,
        group_id: String,
        topics: Vec<String>,
        config: GroupConfig,
    ) -> Result<(), SimError> {
        Self::check_group_id(&group_id)?;
        Self::validate_topics(&*cluster, &topics)?;
        config.validate()?;
        self.ensure_group_capacity(&group_id)?;
        let g = self
            .groups
            .entry(group_id)
            .or_insert_with(|| Self::new_group(GroupConfig::default()));
        g.config = config;
        for t in topics {
            if !g.subscription.contains(&t) {
                g.subscription.push(t);
            }
        }
        crate::kernel::sort::sort(&mut g.subscription);
        self.sync_coordinators(ctx, cluster);
        self.reschedule(ctx);
        Ok(())
    }

    /// `SetGroupStrategy`: the `partition.assignment.strategy` of consumers started (or
    /// restarted) from now on; running consumers keep theirs, as in a Kafka rolling upgrade.
    pub fn set_group_strategy(
        &mut self,
        ctx: &mut Ctx,
        group_id: &str,
        strategies: Vec<String>,
    ) -> Result<(), SimError> {
        validate_strategies(&strategies)?;
        let g = self.groups.get_mut(group_id).ok_or_else(|| {
            SimError::InvalidRequest(format!("no group '{group_id}' (GROUP_ID_NOT_FOUND)"))
        })?;
        g.config.assignment_strategies = strategies;
        let _ = ctx;
        Ok(())
    }

    /// Next default `client.id` and its sequence number (not yet reserved).
    fn next_client_id(&self, group_id: &str) -> (String, u32) {
        // Kafka: "consumer-" + groupId + "-" + CONSUMER_CLIENT_ID_SEQUENCE (JVM-global, from 1).
        let mut n = self.next_client_n + 1;
        while self.consumers.contains_key(&format!("consumer-{group_id}-{n}")) {
            n += 1;
        }
        (format!("consumer-{group_id}-{n}"), n)
    }

    /// `AddConsumer`: starts a consumer (it finds the coordinator and joins on its first poll).
    /// Empty `topics` subscribes to the group's topics.
    pub fn add_consumer(
        &mut self,
        ctx: &mut Ctx,
        cluster: &mut Cluster,
        group_id: String,
        client_id: Option<String>,
        topics: Vec<String>,
    ) -> Result<(), SimError> {
        Self::check_group_id(&group_id)?;
        Self::validate_topics(&*cluster, &topics)?;
        if let Some(c) = &client_id {
            if c.is_empty() {
                return Err(SimError::InvalidConfig(
                    "client_id must not be empty".into(),
                ));
            }
            if self.consumers.contains_key(c) {
                return Err(SimError::DuplicateClient(format!(
                    "consumer '{c}' already exists"
                )));
            }
        }
        self.ensure_group_capacity(&group_id)?;
        let members = self
            .consumers
            .values()
            .filter(|c| c.group_id == group_id)
            .count();
        if members >= MAX_MEMBERS {
            return Err(SimError::LimitExceeded(format!(
                "at most {MAX_MEMBERS} members per group"
            )));
        }
        let existing = self.groups.get(&group_id);
        let mut subscription: Vec<String> =
            existing.map(|g| g.subscription.clone()).unwrap_or_default();
        let consumer_topics = if topics.is_empty() {
            subscription.clone()
        } else {
            topics.clone()
        };
        if consumer_topics.is_empty() {
            return Err(SimError::InvalidRequest(format!(
                "consumer of group '{group_id}' has no topics to subscribe to"
            )));
        }
        let config = existing.map(|g| g.config.clone()).unwrap_or_default();
        let (client_id, sequence) = match client_id {
            Some(c) => (c, None),
            None => {
                let (c, n) = self.next_client_id(&group_id);
                (c, Some(n))
            }
        };
        let cfg = config.consumer_config(&client_id, &group_id, &consumer_topics);
        let client = ConsumerClient::new(cfg, kafka_assignor, ctx.now_ms).map_err(group_err)?;
        if let Some(n) = sequence {
            self.next_client_n = n;
        }
        for t in &consumer_topics {
            if !subscription.contains(t) {
                subscription.push(t.clone());
            }
        }
        crate::kernel::sort::sort(&mut subscription);
        let g = self
            .groups
            .entry(group_id.clone())
            .or_insert_with(|| Self::new_group(config));
        g.subscription = subscription;
        let slot = self.consumer_names.len() as u32;
        self.consumer_names.push(client_id.clone());
        self.rank_consumers();
        let mut rt = ConsumerRuntime {
            group_id,
            topics: consumer_topics,
            client,
            slot,
            deadline_ms: None,
        };
        rt.refresh_deadline(&mut self.consumer_due);
        self.consumers.insert(client_id, rt);
        self.sync_coordinators(ctx, cluster);
        self.reschedule(ctx);
        Ok(())
    }

    /// Ranks the consumer just added (the last slot) in [`Self::consumer_rank`]: later
    /// `client.id`s move up by one. Names are unique.
    fn rank_consumers(&mut self) {
        let Some((new, older)) = self.consumer_names.split_last() else { return };
        let mut rank = 0u32;
        for (slot, name) in older.iter().enumerate() {
            if name < new {
                rank += 1;
            } else {
                self.consumer_rank[slot] += 1;
            }
        }
        self.consumer_rank.push(rank);
    }

    fn consumer_mut<'a>(
        consumers: &'a mut VecMap<String, ConsumerRuntime>,
        client_id: &str,
    ) -> Result<&'a mut ConsumerRuntime, SimError> {
        consumers
            .get_mut(client_id)
            .ok_or_else(|| SimError::UnknownClient(format!("no consumer '{client_id}'")))
    }

    /// Runs one lifecycle call on a consumer's client and routes what it outputs.
    fn client_action(
        &mut self,
        ctx: &mut Ctx,
        cluster: &mut Cluster,
        client_id: &str,
        action: fn(&mut ConsumerClient, u64) -> Result<Vec<Output>, GroupError>,
    ) -> Result<(), SimError> {
        let now = ctx.now_ms;
        let c = Self::consumer_mut(&mut self.consumers, client_id)?;
        let gid = c.group_id.clone();
        let out = action(&mut c.client, now).map_err(group_err)?;
        c.refresh_deadline(&mut self.consumer_due);
        self.apply_outputs(ctx, cluster, &gid, out);
        self.reschedule(ctx);
        Ok(())
    }

    /// `CrashConsumer`: silent from now on; the group notices at session expiry.
    pub fn crash_consumer(
        &mut self,
        ctx: &mut Ctx,
        cluster: &mut Cluster,
        client_id: &str,
    ) -> Result<(), SimError> {
        self.client_action(ctx, cluster, client_id, ConsumerClient::crash)
    }

    /// `CloseConsumer`: commit (auto commit), revoke, LeaveGroup.
    pub fn close_consumer(
        &mut self,
        ctx: &mut Ctx,
        cluster: &mut Cluster,
        client_id: &str,
    ) -> Result<(), SimError> {
        self.client_action(ctx, cluster, client_id, ConsumerClient::close)
    }

    /// `StallConsumer`: processing gets stuck; heartbeats continue.
    pub fn stall_consumer(
        &mut self,
        ctx: &mut Ctx,
        cluster: &mut Cluster,
        client_id: &str,
    ) -> Result<(), SimError> {
        self.client_action(ctx, cluster, client_id, ConsumerClient::stall)
    }

    /// `RestartConsumer`: a crashed or closed consumer starts again (new member, same
    /// `client.id`, the group's current config); a stalled one resumes processing.
    pub fn restart_consumer(
        &mut self,
        ctx: &mut Ctx,
        cluster: &mut Cluster,
        client_id: &str,
    ) -> Result<(), SimError> {
        let now = ctx.now_ms;
        let (gid, topics, lifecycle) = {
            let c = Self::consumer_mut(&mut self.consumers, client_id)?;
            (c.group_id.clone(), c.topics.clone(), c.client.lifecycle())
        };
        match lifecycle {
            ClientLifecycle::Running => Err(SimError::InvalidRequest(format!(
                "consumer '{client_id}' is running; nothing to restart"
            ))),
            ClientLifecycle::Stalled => {
                let c = self.consumers.get_mut(client_id).ok_or_else(|| {
                    SimError::UnknownClient(format!("no consumer '{client_id}'"))
                })?;
                let out = c.client.resume(now).map_err(group_err)?;
                c.refresh_deadline(&mut self.consumer_due);
                self.apply_outputs(ctx, cluster, &gid, out);
                self.reschedule(ctx);
                Ok(())
            }
            ClientLifecycle::Crashed | ClientLifecycle::Closed => {
                let config = self
                    .groups
                    .get(&gid)
                    .map(|g| g.config.clone())
                    .unwrap_or_default();
                let cfg = config.consumer_config(client_id, &gid, &topics);
                let client = ConsumerClient::new(cfg, kafka_assignor, now).map_err(group_err)?;
                let c = self.consumers.get_mut(client_id).ok_or_else(|| {
                    SimError::UnknownClient(format!("no consumer '{client_id}'"))
                })?;
                c.client = client;
                c.refresh_deadline(&mut self.consumer_due);
                self.out.push_at(ctx, now, GroupEvent::Lifecycle {
                        client_id: client_id.to_string(),
                        what: "restarted".into(),
                    });
                self.reschedule(ctx);
                Ok(())
            }
        }
    }

    /// Partition counts changed: each group's leader notices and rejoins.
    pub fn on_metadata_change(&mut self, ctx: &mut Ctx) {
        for c in self.consumers.values_mut() {
            if c.client.is_leader() {
                c.client.request_rejoin();
                c.refresh_deadline(&mut self.consumer_due);
            }
        }
        self.reschedule(ctx);
    }

    // ----- coordinator placement -----

    /// Loads/unloads coordinators whose `__consumer_offsets` leader changed. Returns whether
    /// anything moved.
    pub fn sync_coordinators(&mut self, ctx: &mut Ctx, cluster: &mut Cluster) -> bool {
        let mut moved = false;
        let gids: Vec<String> = self.groups.keys().cloned().collect();
        for gid in gids {
            let target = cluster.coordinator_for(&gid);
            let Some(g) = self.groups.get_mut(&gid) else {
                continue;
            };
            let current = g.coordinator.as_ref().map(GroupCoordinator::broker_id);
            if current == target {
                continue;
            }
            moved = true;
            let taken = g.coordinator.take();
            g.losses_settled = None;
            g.coordinator_deadline_ms = None;
            if let Some(mut old) = taken {
                let alive = cluster.broker_alive(old.broker_id());
                let out: Vec<Output> = old
                    .unload(ctx.now_ms)
                    .into_iter()
                    .filter(|o| alive || !matches!(o, Output::Send(_)))
                    .collect();
                self.apply_outputs(ctx, cluster, &gid, out);
            }
            if let Some(b) = target {
                let Some(g) = self.groups.get(&gid) else {
                    continue;
                };
                let mut records: Vec<CoordinatorRecord> = g.metadata.iter().cloned().collect();
                for ((topic, partition), offset) in cluster.committed_offsets(&gid) {
                    records.push(CoordinatorRecord::OffsetCommit {
                        group_id: gid.clone(),
                        tp: TopicPartition::new(topic, partition),
                        offset: offset as i64,
                        metadata: String::new(),
                        commit_timestamp_ms: ctx.now_ms,
                    });
                }
                let seed = ctx.rng.next_u64();
                match GroupCoordinator::load(
                    gid.clone(),
                    b,
                    g.config.coordinator_config(),
                    seed,
                    ctx.now_ms,
                    records.iter(),
                ) {
                    Ok((c, out)) => {
                        if let Some(g) = self.groups.get_mut(&gid) {
                            g.coordinator_deadline_ms = c.next_deadline_ms();
                            g.coordinator = Some(c);
                            g.losses_settled = None;
                        }
                        self.apply_outputs(ctx, cluster, &gid, out);
                    }
                    Err(e) => self
                        .violations
                        .push(format!("group {gid}: coordinator load failed: {e}")),
                }
            }
        }
        moved
    }

    // ----- time -----

    /// Earliest time the layer has work.
    pub fn next_deadline_ms(&self) -> Option<u64> {
        #[cfg(debug_assertions)]
        self.debug_check_deadline_cache();
        let q = self.queue.next_at_ms();
        let c = self
            .groups
            .values()
            .filter_map(|g| g.coordinator_deadline_ms)
            .min();
        let cl = self.consumer_due.first().map(|&k| unpack(k).0);
        [q, c, cl].into_iter().flatten().min()
    }

    /// Debug builds: the cached deadlines equal what the state machines report.
    #[cfg(debug_assertions)]
    fn debug_check_deadline_cache(&self) {
        for (gid, g) in &self.groups {
            debug_assert_eq!(
                g.coordinator_deadline_ms,
                g.coordinator.as_ref().and_then(GroupCoordinator::next_deadline_ms),
                "stale coordinator deadline of group {gid}"
            );
        }
        let mut n = 0;
        for (id, c) in &self.consumers {
            debug_assert_eq!(c.deadline_ms, c.client.next_deadline_ms(), "stale deadline of {id}");
            debug_assert_eq!(self.consumer_names.get(c.slot as usize), Some(id));
            if let Some(d) = c.deadline_ms {
                debug_assert!(self.consumer_due.contains(&pack(d, u64::from(c.slot))));
                n += 1;
            }
        }
        debug_assert_eq!(n, self.consumer_due.len());
        debug_assert_eq!(self.consumer_rank.len(), self.consumer_names.len());
        for b in 1..self.consumer_names.len() {
            let a = b - 1;
            debug_assert_eq!(
                self.consumer_names[a] < self.consumer_names[b],
                self.consumer_rank[a] < self.consumer_rank[b],
                "stale consumer rank"
            );
        }
    }

    /// Re-reads a group's coordinator deadline after the coordinator changed.
    fn refresh_coordinator_deadline(&mut self, gid: &str) {
        if let Some(g) = self.groups.get_mut(gid) {
            g.coordinator_deadline_ms =
                g.coordinator.as_ref().and_then(GroupCoordinator::next_deadline_ms);
        }
    }

    /// Makes sure the wake-up timer fires at the next deadline.
    pub fn reschedule(&mut self, ctx: &mut Ctx) {
        let Some(d) = self.next_deadline_ms() else {
            return;
        };
        let d = d.max(ctx.now_ms);
        if self
            .scheduled
            .iter()
            .next()
            .is_some_and(|first| *first <= u128::from(d))
        {
            return;
        }
        self.scheduled.insert(u128::from(d));
        self.timers.schedule(ctx, d, ());
    }

    /// Key (`pack(deadline_ms, seq)`) of the layer's wake-up timer.
    pub fn next_timeout_key(&self) -> Option<u128> {
        self.timers.next_key()
    }

    /// Handles the wake-up if it is due at `ctx.now_ms`. Returns whether it fired.
    pub fn handle_timeout(&mut self, ctx: &mut Ctx, cluster: &mut Cluster) -> bool {
        if self.timers.pop_due(ctx.now_ms).is_none() {
            return false;
        }
        self.on_timer(ctx, cluster);
        true
    }

    /// Pending wake-ups in firing order `(deadline_ms, seq)`.
    pub fn timers(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.timers.iter().map(|(d, seq, _)| (d, seq))
    }

    /// The layer's output, oldest first.
    pub fn outbox(&mut self) -> &mut Outbox<GroupEvent> {
        &mut self.out
    }

    /// The wake-up fired: deliver due messages and run due timeouts.
    fn on_timer(&mut self, ctx: &mut Ctx, cluster: &mut Cluster) {
        let now = ctx.now_ms;
        self.scheduled.retain(|t| *t > u128::from(now));
        self.sync_coordinators(ctx, cluster);
        for _ in 0..MAX_STEPS_PER_WAKEUP {
            if let Some(msg) = self.queue.pop_due(now) {
                self.deliver(ctx, cluster, msg);
                continue;
            }
            let mut any = false;
            let gids: Vec<String> = self
                .groups
                .iter()
                .filter(|(_, g)| g.coordinator_deadline_ms.is_some_and(|d| d <= now))
                .map(|(k, _)| k.clone())
                .collect();
            for gid in gids {
                let out = match self
                    .groups
                    .get_mut(&gid)
                    .and_then(|g| g.coordinator.as_mut())
                {
                    Some(c) => c.handle_timeout(now),
                    None => continue,
                };
                self.refresh_coordinator_deadline(&gid);
                any = true;
                self.apply_outputs(ctx, cluster, &gid, out);
            }
            // Due consumers from the timer index, handled in `client.id` order (the order of
            // `self.consumers`), as a scan of every consumer would.
            let mut due_slots: Vec<u32> = self
                .consumer_due
                .range(..=pack(now, u64::MAX))
                .map(|&k| unpack(k).1 as u32)
                .collect();
            if due_slots.len() > 1 {
                // Ranks are unique (client ids are), so a stable sort orders exactly like an unstable one.
                crate::kernel::sort::sort_by_key(&mut due_slots, |&s| self.consumer_rank[s as usize]);
            }
            for slot in due_slots {
                let src = ClusterSource { cluster: &*cluster };
                let Some(c) = self.consumers.get_mut(&self.consumer_names[slot as usize]) else {
                    continue;
                };
                let out = c.client.handle_timeout(now, &src);
                c.refresh_deadline(&mut self.consumer_due);
                any = true;
                if !out.is_empty() {
                    let gid = c.group_id.clone();
                    self.apply_outputs(ctx, cluster, &gid, out);
                }
            }
            if !any {
                break;
            }
        }
        if self.losses_dirty {
            self.losses_dirty = false;
            self.account_losses(cluster);
        }
        self.reschedule(ctx);
    }

    /// Counts records that fell below a group's committed offset without being processed
    /// (at-most-once losses). Records still in a consumer's batch are not judged yet; records
    /// skipped by `auto.offset.reset` are not losses.
    fn account_losses(&mut self, cluster: &Cluster) {
        let GroupLayer { groups, consumers, loss_checked, reset_floor, losses, ledger, .. } = self;
        for (gid, g) in groups.iter_mut() {
            let Some(c) = &g.coordinator else { continue };
            // Every offset was settled (checked up to the committed offset) by an earlier pass
            // and none changed since: this pass would skip every partition.
            if g.losses_settled == Some(c.committed_version()) {
                continue;
            }
            // Partitions this pass leaves below their committed offset.
            let mut unsettled = 0usize;
            // Lowest offset still in a member's batch, per partition; built on first need.
            let mut pending: Option<VecMap<&TopicPartition, u64>> = None;
            let floors = reset_floor.get(gid.as_str());
            let checked_of_group = loss_checked.get(gid.as_str());
            let processed = ledger.processed_ids(gid);
            // Partitions checked in this pass (each partition appears once in `committed`).
            let mut newly_checked: Vec<(&TopicPartition, u64)> = Vec::new();
            // Topic lookups by name, cached for runs of partitions of one topic.
            let mut topic_cache: Option<(&str, Option<&crate::cluster::Topic>)> = None;
            // `loss_checked` is keyed like `committed`: walk both in order (a merge join).
            let mut checked_iter = checked_of_group.map(|m| m.iter().peekable());
            for (tp, committed) in c.committed() {
                let committed_offset = committed.offset.max(0) as u64;
                let checked = checked_iter.as_mut().and_then(|it| loop {
                    match it.peek() {
                        Some((k, _)) if *k < tp => {
                            it.next();
                        }
                        Some((k, v)) if *k == tp => break Some(**v),
                        _ => break None,
                    }
                });
                if checked.is_some_and(|c| c >= committed_offset) {
                    continue;
                }
                let topic = match topic_cache {
                    Some((name, t)) if name == tp.topic => t,
                    _ => {
                        let t = cluster.topic(&tp.topic);
                        topic_cache = Some((tp.topic.as_str(), t));
                        t
                    }
                };
                let Some(log) = topic
                    .and_then(|t| t.partitions.get(tp.partition as usize))
                    .and_then(|p| p.leader_log())
                else {
                    unsettled += 1;
                    continue;
                };
                let pending = pending.get_or_insert_with(|| {
                    let mut m: VecMap<&TopicPartition, u64> = VecMap::new();
                    for x in consumers.values().filter(|x| x.group_id == *gid) {
                        for r in x.client.pending_batch() {
                            let o = r.offset.max(0) as u64;
                            m.entry(&r.tp).and_modify(|v| *v = (*v).min(o)).or_insert(o);
                        }
                    }
                    m
                });
                let pending_min = pending.get(tp).copied();
                let from = [
                    checked.unwrap_or(0),
                    floors.and_then(|m| m.get(tp)).copied().unwrap_or(0),
                    log.log_start_offset(),
                ]
                .into_iter()
                .max()
                .unwrap_or(0);
                let until = pending_min.map_or(committed_offset, |p| p.min(committed_offset));
                if until <= from {
                    unsettled += 1;
                    continue;
                }
                let lost = log
                    .slice(from, until, usize::MAX)
                    .iter()
                    .filter(|r| {
                        let id = producer_record_id(r.producer_id, r.sequence);
                        !processed.is_some_and(|m| m.contains_key(&id))
                    })
                    .count() as u64;
                if lost > 0 {
                    *losses.entry(gid.clone()).or_insert(0) += lost;
                }
                if until < committed_offset {
                    unsettled += 1;
                }
                newly_checked.push((tp, until));
            }
            if !newly_checked.is_empty() {
                if !loss_checked.contains_key(gid.as_str()) {
                    loss_checked.insert(gid.clone(), VecMap::new());
                }
                if let Some(m) = loss_checked.get_mut(gid.as_str()) {
                    for (tp, until) in newly_checked {
                        match m.get_mut(tp) {
                            Some(v) => *v = until,
                            None => {
                                m.insert(tp.clone(), until);
                            }
                        }
                    }
                }
            }
            g.losses_settled = (unsettled == 0).then(|| c.committed_version());
        }
    }

    fn respond(
        &mut self,
        now: u64,
        from: Endpoint,
        to: Endpoint,
        corr: u64,
        latency_ms: u64,
        resp: Response,
    ) {
        self.enqueue(
            now,
            Message {
                from,
                to,
                correlation_id: corr,
                sent_at_ms: now,
                deliver_at_ms: now.saturating_add(latency_ms),
                body: Body::Response(resp),
            },
        );
    }

    fn enqueue(&mut self, now: u64, mut m: Message) {
        if self.queue.len() >= MAX_MESSAGES {
            self.messages_dropped += 1;
            return;
        }
        m.deliver_at_ms = m.deliver_at_ms.max(now);
        self.seq += 1;
        self.queue.push(m.deliver_at_ms, self.seq, m);
    }

    fn deliver(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, msg: Message) {
        let now = ctx.now_ms;
        match (&msg.to, &msg.body) {
            (Endpoint::Client(c), _) => {
                let src = ClusterSource { cluster: &*cluster };
                let (gid, out) = match self.consumers.get_mut(c) {
                    Some(rt) => {
                        let out = rt.client.handle_message(now, &msg, &src);
                        rt.refresh_deadline(&mut self.consumer_due);
                        (rt.group_id.clone(), out)
                    }
                    None => return,
                };
                self.apply_outputs(ctx, cluster, &gid, out);
            }
            (Endpoint::AnyBroker, Body::Request(req)) => {
                // The bootstrap broker answers FindCoordinator if any broker is up.
                let Some(bootstrap) = cluster.brokers.iter().find(|b| b.alive).map(|b| b.id) else {
                    return;
                };
                let gid = req.group_id().to_string();
                let latency = self
                    .groups
                    .get(&gid)
                    .map_or(5, |g| g.config.network_latency_ms);
                let resp = match self.groups.get(&gid).and_then(|g| g.coordinator.as_ref()) {
                    Some(c) => Response::FindCoordinator {
                        error: ErrorCode::None,
                        coordinator_id: Some(c.broker_id()),
                    },
                    None => Response::FindCoordinator {
                        error: ErrorCode::CoordinatorNotAvailable,
                        coordinator_id: None,
                    },
                };
                self.respond(
                    now,
                    Endpoint::Broker(bootstrap),
                    msg.from.clone(),
                    msg.correlation_id,
                    latency,
                    resp,
                );
            }
            (Endpoint::Broker(b), Body::Request(req)) => {
                if !cluster.broker_alive(*b) {
                    return; // no answer from a dead broker
                }
                let gid = req.group_id().to_string();
                let latency = self
                    .groups
                    .get(&gid)
                    .map_or(5, |g| g.config.network_latency_ms);
                let out = match self
                    .groups
                    .get_mut(&gid)
                    .and_then(|g| g.coordinator.as_mut())
                {
                    Some(c) if c.broker_id() == *b => {
                        let mut before: VecMap<TopicPartition, Option<CommittedOffset>> = VecMap::new();
                        if let Request::OffsetCommit { offsets, .. } = req {
                            before.extend(offsets.iter().map(|o| (o.tp.clone(), c.committed().get(&o.tp).cloned())));
                        }
                        let out = c.handle_message(now, &msg);
                        self.refresh_coordinator_deadline(&gid);
                        if before.is_empty() {
                            out
                        } else {
                            self.persist_commits(ctx, cluster, &gid, before, out)
                        }
                    }
                    _ => {
                        let resp = req.error_response(ErrorCode::NotCoordinator);
                        self.respond(
                            now,
                            Endpoint::Broker(*b),
                            msg.from.clone(),
                            msg.correlation_id,
                            latency,
                            resp,
                        );
                        return;
                    }
                };
                self.apply_outputs(ctx, cluster, &gid, out);
            }
            _ => {}
        }
    }

    /// Appends an OffsetCommit's records to `__consumer_offsets` before answering, as Kafka's
    /// coordinator does: a failed append rolls the cached offset back and the partition's
    /// result becomes the error Kafka maps it to (`NOT_ENOUGH_REPLICAS`,
    /// `UNKNOWN_TOPIC_OR_PARTITION` and unreachable leaders ⇒ `COORDINATOR_NOT_AVAILABLE`;
    /// `NOT_LEADER_OR_FOLLOWER`, `KAFKA_STORAGE_ERROR` ⇒ `NOT_COORDINATOR`).
    fn persist_commits(
        &mut self,
        ctx: &mut Ctx,
        cluster: &mut Cluster,
        gid: &str,
        before: VecMap<TopicPartition, Option<CommittedOffset>>,
        out: Vec<Output>,
    ) -> Vec<Output> {
        let mut failed: VecMap<TopicPartition, ErrorCode> = VecMap::new();
        let mut rest = Vec::with_capacity(out.len());
        for o in out {
            match o {
                Output::AppendRecord(CoordinatorRecord::OffsetCommit { group_id, tp, offset, .. }) => {
                    self.losses_dirty = true;
                    let value = u64::try_from(offset).unwrap_or(0);
                    if let Err(e) =
                        cluster.append_offset_commit(ctx, &group_id, &tp.topic, tp.partition, value)
                    {
                        let mapped = match e {
                            AppendError::NotLeaderOrFollower | AppendError::KafkaStorageError => {
                                ErrorCode::NotCoordinator
                            }
                            _ => ErrorCode::CoordinatorNotAvailable,
                        };
                        self.out.push(ctx, GroupEvent::CommitNotPersisted {
                                group_id: group_id.clone(),
                                tp: tp.clone(),
                                offset,
                                error: e.name().to_string(),
                            });
                        failed.insert(tp, mapped);
                    }
                }
                Output::Send(mut m) => {
                    if let Body::Response(Response::OffsetCommit { results }) = &mut m.body {
                        for (tp, e) in results.iter_mut() {
                            if let Some(f) = failed.get(tp) {
                                *e = *f;
                            }
                        }
                    }
                    rest.push(Output::Send(m));
                }
                other => rest.push(other),
            }
        }
        if !failed.is_empty() {
            if let Some(c) = self.groups.get_mut(gid).and_then(|g| g.coordinator.as_mut()) {
                for tp in failed.keys() {
                    c.restore_committed(tp, before.get(tp).cloned().flatten());
                }
            }
            self.refresh_coordinator_deadline(gid);
        }
        rest
    }

    /// Counts a key-order violation when a record is processed for the first time after a
    /// later record of the same key (same partition, since a key maps to one partition).
    /// Null-key records have no key order.
    fn track_key_order(&mut self, cluster: &Cluster, group_id: &str, tp: &TopicPartition, offset: i64) {
        let Ok(off) = u64::try_from(offset) else { return };
        let key = match cluster.read(&tp.topic, tp.partition, off, 1) {
            Some([r, ..]) if r.offset == off => r.key,
            _ => return,
        };
        if key == crate::cluster::log::NO_KEY {
            return;
        }
        // Nested maps: look up by reference, allocate keys only for a new group/partition.
        let by_tp = match self.key_last_offset.get_mut(group_id) {
            Some(m) => m,
            None => self.key_last_offset.entry(group_id.to_string()).or_default(),
        };
        let by_key = match by_tp.get_mut(tp) {
            Some(m) => m,
            None => by_tp.entry(tp.clone()).or_default(),
        };
        let last = by_key.entry(key).or_insert(-1);
        if offset < *last {
            *self.ordering_violations.entry(group_id.to_string()).or_insert(0) += 1;
        } else {
            *last = offset;
        }
    }

    fn apply_outputs(
        &mut self,
        ctx: &mut Ctx,
        cluster: &mut Cluster,
        gid: &str,
        outputs: Vec<Output>,
    ) {
        for o in outputs {
            let o = match o {
                Output::Send(m) => {
                    self.enqueue(ctx.now_ms, m);
                    continue;
                }
                Output::AppendRecord(r @ CoordinatorRecord::GroupMetadata { .. }) => {
                    if let Some(g) = self.groups.get_mut(gid) {
                        g.metadata = Some(r);
                    }
                    continue;
                }
                Output::Event { at_ms, event } => {
                    if let GroupEvent::OffsetReset { tp, offset, .. } = &event {
                        let floor = self
                            .reset_floor
                            .entry(gid.to_string())
                            .or_default()
                            .entry(tp.clone())
                            .or_insert(0);
                        *floor = (*floor).max((*offset).max(0) as u64);
                    }
                    self.out.push_at(ctx, at_ms, event);
                    continue;
                }
                other => other,
            };
            match &o {
                Output::Send(_) | Output::Event { .. } => {}
                Output::AppendRecord(CoordinatorRecord::GroupMetadata { .. }) => {}
                Output::AppendRecord(CoordinatorRecord::OffsetCommit {
                    group_id,
                    tp,
                    offset,
                    ..
                }) => {
                    self.losses_dirty = true;
                    let value = u64::try_from(*offset).unwrap_or(0);
                    if let Err(e) =
                        cluster.append_offset_commit(ctx, group_id, &tp.topic, tp.partition, value)
                    {
                        self.out.push(ctx, GroupEvent::CommitNotPersisted {
                                group_id: group_id.clone(),
                                tp: tp.clone(),
                                offset: *offset,
                                error: e.name().to_string(),
                            });
                    }
                }
                Output::Processed { group_id, tp, offset, record_id, .. } => {
                    // Key order is judged on the first processing only (the ledger and the
                    // key-order tracker are independent, so counting first is equivalent).
                    if self.ledger.count_processed(group_id, *record_id) == 1 {
                        self.track_key_order(cluster, group_id, tp, *offset);
                    }
                }
                Output::Assigned { .. } | Output::Revoked { .. } => {
                    self.losses_dirty = true;
                    for c in self.ownership.apply(&o) {
                        self.violations.push(format!("ownership: {c}"));
                    }
                }
                Output::MemberRemoved {
                    group_id,
                    client_id,
                    member_id,
                    at_ms,
                } => {
                    let current = self
                        .consumers
                        .get(client_id)
                        .is_some_and(|c| c.client.member_id() == member_id);
                    if current {
                        self.ownership.fence(group_id, client_id, *at_ms);
                    }
                }
            }
        }
    }
}

impl GroupLayer {
    /// Views, sorted by group id.
    pub fn views(&self, cluster: &Cluster) -> Vec<GroupView> {
        self.groups
            .iter()
            .map(|(gid, g)| self.group_view(cluster, gid, g))
            .collect()
    }

    fn group_view(&self, cluster: &Cluster, gid: &str, g: &GroupRuntime) -> GroupView {
        let coord = g.coordinator.as_ref();
        // The group's clients in `client.id` order (the order of `self.consumers`).
        let clients: Vec<(&str, &ConsumerClient)> = self
            .consumers
            .iter()
            .filter(|(_, c)| c.group_id == gid)
            .map(|(id, c)| (id.as_str(), &c.client))
            .collect();
        let client_by_id = |id: &str| {
            clients
                .binary_search_by(|(k, _)| (*k).cmp(id))
                .ok()
                .map(|i| clients[i].1)
        };
        let members = coord
            .map(|c| {
                let leader = c.leader();
                c.members()
                    .values()
                    .map(|m| {
                        let client = client_by_id(m.client_id.as_str())
                            .filter(|cl| cl.member_id() == m.member_id);
                        let mut assigned = Vec::with_capacity(m.assignment.len());
                        assigned.extend(m.assignment.iter().map(|tp| (tp.topic.clone(), tp.partition)));
                        MemberView {
                            member_id: m.member_id.clone(),
                            client_id: m.client_id.clone(),
                            assigned,
                            status: if m.awaiting_join.is_some() {
                                "awaiting JoinGroup response".to_string()
                            } else if m.awaiting_sync.is_some() {
                                "awaiting SyncGroup response".to_string()
                            } else {
                                "member".to_string()
                            },
                            is_leader: leader == Some(m.member_id.as_str()),
                            session_deadline_ms: (m.awaiting_join.is_none()
                                && m.awaiting_sync.is_none())
                            .then_some(m.session_deadline_ms),
                            heartbeat_due_ms: client.map(|cl| cl.next_heartbeat_ms()),
                            poll_deadline_ms: client.map(|cl| cl.poll_deadline_ms()),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        let fenced: Vec<bool> = clients
            .iter()
            .map(|(_, c)| self.ownership.is_fenced(gid, c.client_id()))
            .collect();
        let consumers = clients
            .iter()
            .zip(&fenced)
            .map(|(&(_, c), &fenced)| {
                let mut assigned = Vec::with_capacity(c.assignment().len());
                assigned.extend(c.assignment().iter().map(|tp| (tp.topic.clone(), tp.partition)));
                let mut positions = Vec::with_capacity(c.positions().len());
                positions.extend(c.positions().iter().map(|(tp, o)| (tp.topic.clone(), tp.partition, *o)));
                ConsumerView {
                    client_id: c.client_id().to_string(),
                    member_id: c.member_id().to_string(),
                    lifecycle: format!("{:?}", c.lifecycle()),
                    member_state: c.state().name().to_string(),
                    generation: c.generation_id(),
                    protocol: format!("{:?}", c.rebalance_protocol()).to_ascii_lowercase(),
                    coordinator: c.coordinator(),
                    assigned,
                    positions,
                    pending_records: c.pending_records() as u64,
                    last_poll_ms: c.last_poll_ms(),
                    fenced,
                }
            })
            .collect();
        // Partitions of the subscription, densely indexed: topic `i` of `topics` covers
        // indices `base[i]..base[i] + partitions`. The subscription is sorted, so this order is
        // the `TopicPartition` order.
        let topics: Vec<(&str, &crate::cluster::Topic)> = g
            .subscription
            .iter()
            .filter_map(|t| cluster.topic(t).map(|topic| (t.as_str(), topic)))
            .collect();
        let mut base = Vec::with_capacity(topics.len());
        let mut n = 0usize;
        for (_, topic) in &topics {
            base.push(n);
            n += topic.partitions.len();
        }
        let index_of = |topic: &str, partition: u32| -> Option<usize> {
            let i = topics.iter().position(|(t, _)| *t == topic)?;
            ((partition as usize) < topics[i].1.partitions.len()).then(|| base[i] + partition as usize)
        };
        let mut committed: Vec<Option<i64>> = vec![None; n];
        match coord {
            Some(c) => {
                for (tp, o) in c.committed() {
                    if let Some(i) = index_of(&tp.topic, tp.partition) {
                        committed[i] = Some(o.offset);
                    }
                }
            }
            None => {
                for ((t, p), o) in cluster.committed_offsets(gid) {
                    if let Some(i) = index_of(&t, p) {
                        committed[i] = Some(o as i64);
                    }
                }
            }
        }
        // Position of the (non-fenced) owner per partition; a later client overrides.
        let mut positions: Vec<Option<i64>> = vec![None; n];
        for (&(_, c), &fenced) in clients.iter().zip(&fenced) {
            if fenced {
                continue;
            }
            for tp in c.assignment() {
                if let Some(p) = c.positions().get(tp) {
                    if let Some(i) = index_of(&tp.topic, tp.partition) {
                        positions[i] = Some(*p);
                    }
                }
            }
        }
        // Ownership lanes per partition.
        let mut lanes: Vec<Option<&OwnershipLane>> = vec![None; n];
        if let Some(m) = self.ownership.lanes(gid) {
            for (ti, (t, topic)) in topics.iter().enumerate() {
                let from = TopicPartition::new(*t, 0);
                for (tp, lane) in m.range(from..).take_while(|(tp, _)| tp.topic == *t) {
                    if (tp.partition as usize) < topic.partitions.len() {
                        lanes[base[ti] + tp.partition as usize] = Some(lane);
                    }
                }
            }
        }
        let mut lag = Vec::with_capacity(n);
        let mut ownership = Vec::with_capacity(n);
        for (ti, (t, topic)) in topics.iter().enumerate() {
            for (p, part) in topic.partitions.iter().enumerate() {
                let i = base[ti] + p;
                let hw = part.leader_log().map_or(0, |l| l.high_watermark());
                let c = committed[i];
                let pos = positions[i];
                let lane = lanes[i];
                lag.push(LagView {
                    topic: t.to_string(),
                    partition: p as u32,
                    high_watermark: hw,
                    committed: c.map(|c| c.max(0) as u64),
                    position: pos.map(|p| p.max(0) as u64),
                    owner: lane.and_then(OwnershipLane::owner).map(str::to_string),
                    committed_lag: c.map(|c| hw.saturating_sub(c.max(0) as u64)),
                    position_lag: pos.map(|p| hw.saturating_sub(p.max(0) as u64)),
                });
                let h = lane.map_or(&[][..], OwnershipLane::changes);
                let from = h.len().saturating_sub(MAX_OWNERSHIP_IN_VIEW);
                let mut changes = Vec::with_capacity(h.len() - from);
                changes.extend(h[from..].iter().map(|c| OwnershipChangeView { at_ms: c.at_ms, owner: c.owner.clone() }));
                ownership.push(OwnershipView {
                    topic: t.to_string(),
                    partition: p as u32,
                    changes,
                    gap_ms: lane.map_or(0, OwnershipLane::gap_ms),
                });
            }
        }
        let delivery = DeliveryView {
            processed: self.ledger.total_processed(gid),
            distinct: self.ledger.distinct_processed(gid),
            duplicates: self.ledger.duplicates(gid),
            losses: self.losses.get(gid).copied().unwrap_or(0),
            ordering_violations: self.ordering_violations.get(gid).copied().unwrap_or(0),
        };
        let (meta_generation, meta_protocol, meta_leader) = match &g.metadata {
            Some(CoordinatorRecord::GroupMetadata {
                generation_id,
                protocol,
                leader,
                ..
            }) => (*generation_id, protocol.clone(), leader.clone()),
            _ => (0, None, None),
        };
        GroupView {
            group_id: gid.to_string(),
            state: coord.map_or_else(|| "Unknown".to_string(), |c| c.state().name().to_string()),
            generation: coord.map_or(meta_generation, GroupCoordinator::generation_id),
            protocol_type: coord
                .and_then(|c| c.protocol_type())
                .unwrap_or("consumer")
                .to_string(),
            protocol: coord.map_or(meta_protocol, |c| c.protocol().map(str::to_string)),
            leader: coord.map_or(meta_leader, |c| c.leader().map(str::to_string)),
            members,
            subscription: g.subscription.clone(),
            coordinator: coord.map(GroupCoordinator::broker_id),
            config: g.config.clone(),
            consumers,
            lag,
            delivery,
            ownership,
        }
    }

    /// Invariants: no two members of a group owned a partition at once (ownership timeline),
    /// and right now no partition is owned by two consumers still in the group.
    pub fn check_invariants(&self) -> Result<(), String> {
        if let Some(v) = self.violations.first() {
            return Err(v.clone());
        }
        for gid in self.groups.keys() {
            let mut seen: VecMap<&TopicPartition, &str> = VecMap::new();
            for c in self.consumers.values().filter(|c| c.group_id == *gid) {
                if self.ownership.is_fenced(gid, c.client.client_id()) {
                    continue;
                }
                for tp in c.client.assignment() {
                    if let Some(other) = seen.insert(tp, c.client.client_id()) {
                        return Err(format!(
                            "group {gid}: {tp} owned by {other} and {}",
                            c.client.client_id()
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// Hash canonical state.
    pub fn hash_into(&self, h: &mut Fnv) {
        h.u64(u64::from(self.next_client_n));
        h.u64(self.seq);
        h.u64(self.messages_dropped);
        for (gid, g) in &self.groups {
            h.str(gid);
            for t in &g.subscription {
                h.str(t);
            }
            if let Some(c) = &g.coordinator {
                h.u64(u64::from(c.broker_id()));
                h.str(c.state().name());
                h.u64(c.generation_id() as u64);
                for (id, m) in c.members() {
                    h.str(id);
                    h.u64(m.session_deadline_ms);
                    h.u64(m.assignment.len() as u64);
                }
                for (tp, o) in c.committed() {
                    h.str(&tp.topic);
                    h.u64(u64::from(tp.partition));
                    h.u64(o.offset as u64);
                }
            }
            h.u64(self.ledger.total_processed(gid));
            h.u64(self.ledger.distinct_processed(gid));
        }
        for (id, c) in &self.consumers {
            h.str(id);
            h.str(c.client.member_id());
            h.u64(c.client.generation_id() as u64);
            h.str(c.client.state().name());
            h.u64(c.client.pending_records() as u64);
            for (tp, o) in c.client.positions() {
                h.str(&tp.topic);
                h.u64(u64::from(tp.partition));
                h.u64(*o as u64);
            }
        }
        for (d, seq, m) in self.queue.iter() {
            h.u64(d);
            h.u64(seq);
            h.u64(m.correlation_id);
        }
    }
}

impl GroupLayer {
    /// How many times each group processed each record (read-only, for the UI's record strip).
    pub fn ledger(&self) -> &DeliveryLedger {
        &self.ledger
    }
}
