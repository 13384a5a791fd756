//! The Sim's consumer-group layer: Kafka's classic group protocol ([`crate::group`]) wired to
//! the simulated cluster.
//!
//! * Each group's coordinator lives on the leader of its `__consumer_offsets` partition
//!   (`abs(hashCode(group.id)) % offsets.topic.num.partitions`, [`Cluster::coordinator_for`]).
//!   When that leader moves (broker crash, fencing, restart), the old coordinator unloads the
//!   group (Dead, NOT_COORDINATOR) and the new leader loads it: committed offsets from the
//!   `__consumer_offsets` records below the HW, and the last GroupMetadata value.
//! * Coordinator writes (offset commits, GroupMetadata) are appended to that compacted partition
//!   and answered only once its HW passes them, or failed after `offsets.commit.timeout.ms`
//!   (Kafka's `CoordinatorRuntime`); the coordinator's committed offsets are the replicated ones.
//! * Consumers fetch from the real partitions' live leaders, never past the HW; record
//!   identity is (producer id, sequence).
//! * Requests to a dead broker get no answer (the client's `request.timeout.ms` expires);
//!   requests to a live broker that does not coordinate the group get NOT_COORDINATOR.
//!
//! Simplifications: GroupMetadata values are kept by the layer once committed (the log holds a
//! record with the generation only, for the HW wait); a new coordinator loads the last committed
//! value, not an uncommitted one above its HW.
//!
//! Files: this one holds the layer's state, its commands and its timers; `network.rs` the
//! in-flight messages and their delivery, `placement.rs` where coordinators live and how commits
//! are persisted, `admin.rs` the Admin client's requests (alter and delete committed offsets),
//! `audit.rs` delivery accounting and invariants, `view.rs` the group views.

use crate::kernel::vecmap::{VecMap, VecSet};
use std::collections::BTreeSet;

use crate::assign::{self, Strategy};
use crate::cluster::Cluster;
use crate::kafka::error::SimError;
use crate::group::client::{ClientLifecycle, ConsumerClient, MemberSubscription};
use crate::group::coordinator::GroupCoordinator;
use crate::group::protocol::CoordinatorRecord;
use crate::group::output::Output;
use crate::group::config::{group_err, validate_strategies};
use crate::group::{GroupConfig, GroupError, GroupEvent};
use crate::kernel::{pack, unpack, Ctx, Fnv, Outbox, Timers};

mod admin;
mod audit;
mod consumer;
mod network;
mod placement;
mod share;
pub mod share_admin;
mod view;

use audit::Audit;
use placement::PendingWrite;
use network::{MessageHistory, MessageQueue};
pub use network::MESSAGE_HISTORY;
pub use consumer::server_assignment;
pub use network::ClusterSource;

/// Groups.
pub const MAX_GROUPS: usize = 1_000;
/// Consumers per group.
pub const MAX_MEMBERS: usize = 1_000;
/// Messages in flight.
pub const MAX_MESSAGES: usize = 1_000_000;
/// Steps processed in one wakeup (livelock guard).
pub const MAX_STEPS_PER_WAKEUP: usize = 10_000;
/// Coordinator writes waiting for the HW per group (the oldest ones nobody waits for are dropped).
pub const MAX_PENDING_WRITES: usize = 10_000;
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

#[derive(Clone, Debug)]
struct GroupRuntime {
    config: GroupConfig,
    subscription: Vec<String>,
    coordinator: Option<GroupCoordinator>,
    /// The KIP-848 state of a consumer-protocol group (`group.protocol=consumer`): members,
    /// epochs, target assignment. Served by the broker of `coordinator`.
    consumer: Option<crate::group::consumer::coordinator::ConsumerGroup>,
    /// A consumer-protocol group's records as the compacted `__consumer_offsets` keeps them:
    /// a coordinator that loads the group replays them.
    consumer_records: crate::group::consumer::coordinator::CompactedRecords,
    metadata: Option<CoordinatorRecord>,
    /// Cached [`GroupCoordinator::next_deadline_ms`] of `coordinator`, refreshed after every
    /// change of the coordinator (it depends on the coordinator's state only).
    coordinator_deadline_ms: Option<u64>,
    /// [`GroupCoordinator::committed_version`] at which every committed offset of the group was
    /// already checked for losses (`None`: not known to be settled).
    losses_settled: Option<u64>,
    /// Writes appended to `__consumer_offsets` that the HW has not passed yet, in log order.
    writes: Vec<PendingWrite>,
    /// Log offset of the group's `__consumer_offsets` partition up to which its commit records
    /// are applied to the coordinator's cache (meaningful while `writes` is not empty).
    applied_to: u64,
    /// Earliest `deadline_ms` of `writes`.
    write_deadline_ms: Option<u64>,
}

impl GroupRuntime {
    /// The earliest deadline of the group's coordinator: the classic machine's, and a
    /// consumer-protocol group's session and revocation timers while a coordinator serves it.
    fn next_coordinator_deadline_ms(&self) -> Option<u64> {
        let classic = self.coordinator.as_ref().and_then(GroupCoordinator::next_deadline_ms);
        let consumer = self.consumer.as_ref().filter(|_| self.coordinator.is_some()).and_then(|c| c.next_deadline_ms());
        [classic, consumer].into_iter().flatten().min()
    }
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
    /// The due slots of one pass of a wake-up, kept between wake-ups (never read across them).
    due_scratch: Vec<u32>,
    /// In-flight messages by `(deliver_at_ms, seq)`, with the last `seq` and the dropped count.
    queue: MessageQueue,
    /// The last messages delivered (for sequence diagrams; never read by the simulation).
    history: MessageHistory,
    next_client_n: u32,
    /// Delivery ledger, ownership timeline, losses, key order and violations.
    audit: Audit,
    /// The layer's one wake-up timer (at its next deadline).
    timers: Timers<()>,
    /// Events of the groups' coordinators and consumers.
    out: Outbox<GroupEvent>,
    /// Groups with writes waiting for the HW.
    writing: VecSet<String>,
    /// `offsets.commit.timeout.ms`.
    offsets_commit_timeout_ms: u64,
    /// `group.max.size` (broker config).
    group_max_size: usize,
    /// `offsets.retention.minutes` in ms and `offsets.retention.check.interval.ms` (broker config).
    offsets_retention_ms: u64,
    offsets_retention_check_interval_ms: u64,
    /// Broker settings of consumer-protocol groups (`group.consumer.*`).
    consumer_group_config: crate::group::consumer::coordinator::ConsumerGroupConfig,
    /// Share groups (KIP-932) and their consumers.
    share: share::ShareLayer,
    /// Broker settings of share groups (`group.share.*`).
    share_group_config: crate::group::share::group::ShareGroupConfig,
    /// `group.share.partition.max.record.locks`.
    share_partition_max_record_locks: u32,
    /// The `group.share.*` defaults of share groups that do not set theirs.
    share_defaults: crate::group::share::settings::ShareBrokerDefaults,
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
            consumer: None,
            consumer_records: Default::default(),
            metadata: None,
            coordinator_deadline_ms: None,
            losses_settled: None,
            writes: Vec::new(),
            applied_to: 0,
            write_deadline_ms: None,
        }
    }

    /// A layer whose coordinators fail writes after `offsets_commit_timeout_ms`.
    pub fn new(offsets_commit_timeout_ms: u64, group_max_size: usize, offsets_retention_ms: u64, offsets_retention_check_interval_ms: u64) -> GroupLayer {
        GroupLayer { offsets_commit_timeout_ms, group_max_size, offsets_retention_ms, offsets_retention_check_interval_ms, ..GroupLayer::default() }
    }

    /// Sets the broker's `group.consumer.*` settings for the consumer-protocol groups created
    /// from now on.
    pub fn with_consumer_group_config(mut self, config: crate::group::consumer::coordinator::ConsumerGroupConfig) -> GroupLayer {
        self.consumer_group_config = config;
        self
    }

    /// Sets the broker's `group.share.*` settings for the share groups created from now on.
    pub fn with_share_group_config(mut self, config: crate::group::share::group::ShareGroupConfig, partition: crate::group::share::partition::SharePartitionConfig) -> GroupLayer {
        self.share_partition_max_record_locks = partition.max_in_flight_records;
        self.share_defaults = crate::group::share::settings::ShareBrokerDefaults {
            record_lock_duration_ms: partition.record_lock_duration_ms,
            delivery_count_limit: partition.delivery_count_limit,
            session_timeout_ms: config.session_timeout_ms,
            heartbeat_interval_ms: config.heartbeat_interval_ms,
        };
        self.share_group_config = config;
        self
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
        if self.share.has_group(&group_id) {
            return Err(SimError::InvalidRequest(format!("'{group_id}' is a share group: a group id names one kind of group (GROUP_ID_NOT_FOUND: Group {group_id} is not a consumer group)")));
        }
        self.ensure_group_capacity(&group_id)?;
        let consumer_group = (config.group_protocol == crate::group::client::GroupProtocol::Consumer)
            .then(|| crate::group::consumer::coordinator::ConsumerGroup::new(&group_id, self.consumer_group_config.clone()));
        let g = self
            .groups
            .entry(group_id)
            .or_insert_with(|| Self::new_group(GroupConfig::default()));
        if g.consumer.is_none() {
            g.consumer = consumer_group;
        }
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

    /// `SetGroupProtocol`: the `group.protocol` of consumers started (or restarted) from now on
    /// ([`GroupConfig::with_protocol`]).
    pub fn set_group_protocol(&mut self, group_id: &str, protocol: crate::group::client::GroupProtocol) -> Result<(), SimError> {
        let g = self.groups.get_mut(group_id).ok_or_else(|| SimError::InvalidRequest(format!("no group '{group_id}' (GROUP_ID_NOT_FOUND)")))?;
        g.config = g.config.clone().with_protocol(protocol);
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
        group_instance_id: Option<String>,
    ) -> Result<(), SimError> {
        Self::check_group_id(&group_id)?;
        if self.share.has_group(&group_id) {
            return self.add_share_consumer(ctx, cluster, &group_id, client_id, topics);
        }
        Self::validate_topics(&*cluster, &topics)?;
        if let Some(c) = &client_id {
            if c.is_empty() {
                return Err(SimError::InvalidConfig(
                    "client_id must not be empty".into(),
                ));
            }
            if self.consumers.contains_key(c) || self.is_share_consumer(c) {
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
        let mut cfg = config.consumer_config(&client_id, &group_id, &consumer_topics);
        if group_instance_id.is_some() {
            cfg.group_instance_id = group_instance_id;
        }
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
        if self.is_share_consumer(client_id) {
            return self.share_consumer_action(ctx, cluster, client_id, share::ShareAction::Crash);
        }
        self.client_action(ctx, cluster, client_id, ConsumerClient::crash)
    }

    /// `CloseConsumer`: commit (auto commit), revoke, LeaveGroup.
    pub fn close_consumer(
        &mut self,
        ctx: &mut Ctx,
        cluster: &mut Cluster,
        client_id: &str,
    ) -> Result<(), SimError> {
        if self.is_share_consumer(client_id) {
            return self.share_consumer_action(ctx, cluster, client_id, share::ShareAction::Close);
        }
        self.client_action(ctx, cluster, client_id, ConsumerClient::close)
    }

    /// `StallConsumer`: processing gets stuck; heartbeats continue.
    pub fn stall_consumer(
        &mut self,
        ctx: &mut Ctx,
        cluster: &mut Cluster,
        client_id: &str,
    ) -> Result<(), SimError> {
        if self.is_share_consumer(client_id) {
            return self.share_consumer_action(ctx, cluster, client_id, share::ShareAction::Stall);
        }
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
        if self.is_share_consumer(client_id) {
            return self.share_consumer_action(ctx, cluster, client_id, share::ShareAction::Restart);
        }
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
                let mut cfg = config.consumer_config(client_id, &gid, &topics);
                // The restarted process keeps its own `group.instance.id` (a static member
                // takes its place back).
                cfg.group_instance_id = self.consumers.get(client_id).and_then(|c| c.client.group_instance_id().map(str::to_string));
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
        let w = self.writing.iter().filter_map(|gid| self.groups.get(gid).and_then(|g| g.write_deadline_ms)).min();
        let cl = self.consumer_due.first().map(|&k| unpack(k).0);
        let s = self.share.next_deadline_ms();
        [q, c, cl, w, s].into_iter().flatten().min()
    }

    /// Debug builds: the cached deadlines equal what the state machines report.
    #[cfg(debug_assertions)]
    fn debug_check_deadline_cache(&self) {
        for (gid, g) in &self.groups {
            debug_assert_eq!(g.coordinator_deadline_ms, g.next_coordinator_deadline_ms(), "stale coordinator deadline of group {gid}");
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
            g.coordinator_deadline_ms = g.next_coordinator_deadline_ms();
        }
    }

    /// Makes sure the wake-up timer fires at the next deadline.
    pub fn reschedule(&mut self, ctx: &mut Ctx) {
        let Some(d) = self.next_deadline_ms() else {
            return;
        };
        let d = d.max(ctx.now_ms);
        if self.timers.next_deadline_ms().is_some_and(|first| first <= d) {
            return;
        }
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
        self.sync_coordinators(ctx, cluster);
        if !self.share.groups.is_empty() {
            self.sync_share_placement(ctx, cluster);
        }
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
                self.consumer_group_timeout(ctx, cluster, &gid);
            }
            let due_writes: Vec<String> = self
                .writing
                .iter()
                .filter(|gid| self.groups.get(*gid).and_then(|g| g.write_deadline_ms).is_some_and(|d| d <= now))
                .cloned()
                .collect();
            for gid in due_writes {
                any = true;
                self.fail_due_writes(ctx, cluster, &gid);
            }
            if self.share.next_deadline_ms().is_some_and(|d| d <= now) {
                any |= self.share_timeouts(ctx, cluster);
            }
            // Due consumers from the timer index, handled in `client.id` order (the order of
            // `self.consumers`), as a scan of every consumer would.
            let mut due_slots = std::mem::take(&mut self.due_scratch);
            due_slots.clear();
            due_slots.extend(self.consumer_due.range(..=pack(now, u64::MAX)).map(|&k| unpack(k).1 as u32));
            if due_slots.len() > 1 {
                // Ranks are unique (client ids are), so a stable sort orders exactly like an unstable one.
                crate::kernel::sort::sort_by_key(&mut due_slots, |&s| self.consumer_rank[s as usize]);
            }
            for &slot in &due_slots {
                let src = ClusterSource::new(&*cluster);
                // A slot's rank is its consumer's position in `consumers` (never removed).
                let Some((name, c)) = self.consumers.get_index_mut(self.consumer_rank[slot as usize] as usize) else {
                    continue;
                };
                debug_assert_eq!(*name, self.consumer_names[slot as usize]);
                let out = c.client.handle_timeout(now, &src);
                c.refresh_deadline(&mut self.consumer_due);
                any = true;
                if !out.is_empty() {
                    let gid = c.group_id.clone();
                    self.apply_outputs(ctx, cluster, &gid, out);
                }
            }
            self.due_scratch = due_slots;
            if !any {
                break;
            }
        }
        if self.audit.losses_dirty {
            self.audit.losses_dirty = false;
            self.account_losses(cluster);
        }
        self.reschedule(ctx);
    }

    /// Routes what a coordinator or a client output: messages to the network, GroupMetadata to
    /// the group, offset commits to `__consumer_offsets`, events to the outbox, processing and
    /// ownership changes to the audit.
    pub(super) fn apply_outputs(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, gid: &str, outputs: Vec<Output>) {
        let outputs = if outputs.iter().any(|o| matches!(o, Output::AppendRecord(_))) {
            self.persist_writes(ctx, cluster, gid, outputs)
        } else {
            outputs
        };
        for o in outputs {
            match o {
                Output::Send(m) => self.enqueue(ctx.now_ms, m),
                Output::AppendRecord(_) => {}
                Output::Event { at_ms, event } => {
                    match &event {
                        GroupEvent::OffsetReset { tp, offset, .. } => self.audit.offset_reset(gid, tp, *offset),
                        // A removed member back under its id (a KIP-848 rejoin) owns for real again.
                        GroupEvent::MemberAdded { group_id, member_id } | GroupEvent::StaticMemberReplaced { group_id, new_member_id: member_id, .. }
                            if !self.audit.removed_members.is_empty() =>
                        {
                            self.audit.removed_members.remove(&(group_id.clone(), member_id.clone()));
                        }
                        _ => {}
                    }
                    self.out.push_at(ctx, at_ms, event);
                }
                Output::Processed { tp, offset, record_id, .. } => self.audit.processed(cluster, gid, &tp, offset, record_id),
                o @ (Output::Assigned { .. } | Output::Revoked { .. }) => {
                    self.audit.ownership_changed(&o);
                    // An assignment that was on its way to a member already removed (a
                    // response sent before the replacement) leaves it a zombie.
                    if let Output::Assigned { group_id, client_id, at_ms, .. } = &o {
                        let member = self.consumers.get(client_id).map(|c| c.client.member_id().to_string());
                        let removed = member.is_some_and(|m| self.audit.removed_members.contains(&(group_id.clone(), m)));
                        if removed || self.classic_generation_passed(group_id, client_id) {
                            self.audit.ownership.fence(group_id, client_id, *at_ms);
                        }
                    }
                }
                Output::OwnershipStale { group_id, client_id, member_id, at_ms } => {
                    if self.consumers.get(&client_id).is_some_and(|c| c.client.member_id() == member_id) {
                        self.audit.ownership.fence(&group_id, &client_id, at_ms);
                    }
                }
                Output::MemberRemoved { group_id, client_id, member_id, at_ms } => {
                    let current = self.consumers.get(&client_id).is_some_and(|c| c.client.member_id() == member_id);
                    if current {
                        self.audit.ownership.fence(&group_id, &client_id, at_ms);
                        self.audit.removed_members.insert((group_id, member_id));
                    }
                }
            }
        }
    }
}

impl GroupLayer {
    /// Whether a classic consumer's generation is behind the one its group's coordinator now
    /// holds it at: the classic generation, or its member epoch once the group became a
    /// consumer group (an online migration carries the generation over as the epoch). A
    /// SyncGroup answer of an earlier generation still on its way when the group moves on
    /// (a downgrade, an upgrade) hands the consumer partitions the group has since given
    /// elsewhere: that ownership is stale, its commits fail with ILLEGAL_GENERATION, until
    /// the consumer rejoins. A coordinator that reloaded an older generation is not ahead.
    fn classic_generation_passed(&self, group_id: &str, client_id: &str) -> bool {
        let Some(c) = self.consumers.get(client_id).map(|c| &c.client).filter(|c| c.membership().is_none()) else { return false };
        let Some(g) = self.groups.get(group_id) else { return false };
        let current = match (&g.consumer, &g.coordinator) {
            (Some(cg), _) => cg.members().get(c.member_id()).map(|m| m.member_epoch),
            (None, Some(coordinator)) => Some(coordinator.generation_id()),
            (None, None) => None,
        };
        current.is_some_and(|generation| c.generation_id() < generation)
    }

    /// Hash canonical state.
    pub fn hash_into(&self, h: &mut Fnv) {
        h.u64(u64::from(self.next_client_n));
        h.u64(self.queue.seq());
        h.u64(self.queue.dropped());
        for (gid, g) in &self.groups {
            h.str(gid);
            for t in &g.subscription {
                h.str(t);
            }
            if let Some(cg) = &g.consumer {
                cg.hash_into(h);
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
            for w in &g.writes {
                h.u64(w.end_offset);
                h.u64(w.deadline_ms.map_or(0, |d| d + 1));
            }
            h.u64(self.audit.ledger.total_processed(gid));
            h.u64(self.audit.ledger.distinct_processed(gid));
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
        // Only when there are share groups, so that other simulations hash as before.
        if !self.share.groups.is_empty() {
            self.share.hash_into(h);
            for gid in self.share.groups.keys() {
                h.u64(self.audit.ledger.total_processed(gid));
                h.u64(self.audit.ledger.distinct_processed(gid));
            }
        }
    }
}
