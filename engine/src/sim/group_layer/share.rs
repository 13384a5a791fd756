//! Share groups (KIP-932) in the simulation: the group's coordinator (on the leader of the
//! group's `__consumer_offsets` partition, as for consumer groups), one share-partition per
//! subscribed partition on that partition's leader, their state persisted as
//! `__share_group_state` records and recovered by a new leader, and the share consumers
//! talking to both over the network.
//!
//! `__share_group_state` is a topic of the cluster, created with the first share group: each
//! share-partition's state lives on one of its partitions (`Utils.abs(hashCode(
//! "group:topicId:partition")) % 50`), whose leader is that state's share coordinator. Every
//! state write and initialization is a record appended there; while the partition has no
//! leader the writes wait, a new share-partition leader cannot recover the state, and the group
//! coordinator cannot initialize it. What the records say is kept beside the log (one
//! [`ShareStateCoordinator`] per share-partition, as the group coordinator's records are kept
//! and reloaded when its broker changes): a record once appended survives the loss of that
//! leader, as if it had been replicated.

use crate::cluster::Cluster;
use crate::group::client::ClientLifecycle;
use crate::group::output::Output;
use crate::group::protocol::{AcquiredRecord, Body, Endpoint, ErrorCode, Message, Request, Response, ShareGroupHeartbeatResponse, TopicPartition};
use crate::group::share::consumer::{LeaderSource, ShareConsumer};
use crate::group::share::group::{CompactedShareRecords, ShareGroup, ShareGroupConfig, ShareGroupEvent};
use crate::group::share::partition::{AcknowledgeType, ShareAutoOffsetReset, SharePartition, SharePartitionConfig};
use crate::group::share::RecordState;
use crate::group::protocol::producer_record_id;
use crate::group::share::settings::{ShareGroupSettings, ShareOffsetReset};
use crate::group::share::state::{InitializeShareGroupState, ShareCoordinatorConfig, ShareStateCoordinator, WriteShareGroupState};
use crate::group::GroupEvent;
use crate::kafka::error::SimError;
use crate::kernel::vecmap::VecMap;
use crate::kernel::{Ctx, Fnv};

use super::network::ClusterSource;
use super::GroupLayer;
use crate::group::client::PartitionSource;

/// Upper bound on share groups and on share consumers (a simulator bounds them).
pub const MAX_SHARE_GROUPS: usize = 100;
/// Upper bound on a share group's consumers (`group.share.max.size` is 200 by default).
pub const MAX_SHARE_CONSUMERS: usize = 1_000;

/// One share-partition of a group on its leader, and its persisted state.
#[derive(Clone, Debug)]
pub(super) struct SharePartitionRuntime {
    /// The share-partition, held by `leader` (`None` while the partition has no leader: the
    /// state is then only in `store`).
    pub(super) partition: Option<SharePartition>,
    /// The broker holding it.
    pub(super) leader: Option<u32>,
    /// The share coordinator's state for it: what its `__share_group_state` records say.
    pub(super) store: ShareStateCoordinator,
    /// Writes the share coordinator could not take yet (its `__share_group_state` partition
    /// had no leader), oldest first: the persister sends them again.
    pub(super) pending_writes: Vec<WriteShareGroupState>,
    /// The key of its `__share_group_state` records (`SharePartitionKey.asCoordinatorKey`:
    /// `group:topicId:partition`).
    pub(super) state_key: String,
    /// The `__share_group_state` partition the key hashes to.
    pub(super) state_partition: u32,
}

/// Writes waiting for a share coordinator, per share-partition, at most: past it the oldest
/// fails (the persister gives up on it).
pub const MAX_PENDING_STATE_WRITES: usize = 10_000;

impl SharePartitionRuntime {
    pub(super) fn new(gid: &str, tp: &TopicPartition) -> SharePartitionRuntime {
        let state_key = crate::kafka::hash::share_coordinator_key(gid, &crate::kafka::topic::topic_id(&tp.topic), tp.partition);
        SharePartitionRuntime {
            partition: None,
            leader: None,
            store: ShareStateCoordinator::new(ShareCoordinatorConfig::default()),
            pending_writes: Vec::new(),
            state_partition: crate::kafka::hash::coordinator_partition(&state_key, crate::kafka::topic::SHARE_GROUP_STATE_PARTITIONS),
            state_key,
        }
    }

    /// Its share coordinator: the live leader of its `__share_group_state` partition.
    pub(super) fn share_coordinator(&self, cluster: &Cluster) -> Option<u32> {
        cluster.share_state_leader(self.state_partition)
    }

    /// The state writes go to the share coordinator (the leader of the share-partition's
    /// `__share_group_state` partition): each one is a record appended there, then applied to
    /// the coordinator's state. While that partition has no leader, or refuses the append,
    /// they wait in order. Returns whether none is left waiting.
    pub(super) fn persist(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, writes: Vec<WriteShareGroupState>) -> bool {
        self.pending_writes.extend(writes);
        if self.pending_writes.len() > MAX_PENDING_STATE_WRITES {
            let failed = self.pending_writes.len() - MAX_PENDING_STATE_WRITES;
            self.pending_writes.drain(..failed);
        }
        if self.pending_writes.is_empty() {
            return true;
        }
        if self.share_coordinator(cluster).is_none() {
            return false;
        }
        let mut written = 0;
        for w in &self.pending_writes {
            if cluster.append_share_state(ctx, self.state_partition, &self.state_key, w.start_offset.max(0) as u64).is_err() {
                break;
            }
            let _ = self.store.write(ctx.now_ms, w);
            written += 1;
        }
        self.pending_writes.drain(..written);
        self.pending_writes.is_empty()
    }

    /// The share coordinator takes a state initialization (`InitializeShareGroupState`), if it
    /// is reachable and has taken every earlier write: a record appended, then applied.
    pub(super) fn initialize(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, req: &InitializeShareGroupState) -> bool {
        if self.share_coordinator(cluster).is_none() || !self.persist(ctx, cluster, Vec::new()) {
            return false;
        }
        cluster.append_share_state(ctx, self.state_partition, &self.state_key, req.start_offset.max(0) as u64).is_ok() && self.store.initialize(ctx.now_ms, req).is_ok()
    }
}

/// One share group.
#[derive(Clone, Debug)]
pub(super) struct ShareGroupRuntime {
    pub(super) settings: ShareGroupSettings,
    pub(super) subscription: Vec<String>,
    pub(super) group: ShareGroup,
    /// The group's records in `__consumer_offsets`, which a new coordinator loads.
    pub(super) records: CompactedShareRecords,
    /// Broker coordinating the group.
    pub(super) coordinator: Option<u32>,
    pub(super) partitions: VecMap<TopicPartition, SharePartitionRuntime>,
    /// Records archived (rejected or past the delivery limit), counted when they leave the
    /// window below the SPSO.
    pub(super) archived: u64,
    /// Records that left the window below the SPSO neither processed nor archived.
    pub(super) losses: u64,
}

/// The share groups and share consumers of the layer.
#[derive(Clone, Debug, Default)]
pub(super) struct ShareLayer {
    pub(super) groups: VecMap<String, ShareGroupRuntime>,
    pub(super) consumers: VecMap<String, ShareConsumer>,
    /// ShareFetches waiting at their broker for records, in arrival order.
    pub(super) parked: Vec<ParkedFetch>,
    /// Every share consumer's `client.id`, in the order they were added (never removed).
    pub(super) names: Vec<String>,
}

/// A ShareFetch that found nothing to acquire, waiting at its broker.
#[derive(Clone, Debug)]
pub(super) struct ParkedFetch {
    msg: Message,
    broker: u32,
    /// `fetch.max.wait.ms` after it arrived: answered then, empty.
    deadline_ms: u64,
    /// When it looks again.
    recheck_ms: u64,
}

/// `fetch.max.wait.ms` of the share consumer (500): how long a ShareFetch that finds nothing
/// waits at the broker.
pub const SHARE_FETCH_MAX_WAIT_MS: u64 = 500;
/// How often a waiting ShareFetch looks for records again. Kafka's purgatory completes it as
/// soon as records arrive; GroupLab looks every 20 ms, waiting fetches in arrival order.
pub const SHARE_FETCH_RECHECK_MS: u64 = 20;

/// Partition leaders as the share consumers find them (metadata).
struct Leaders<'a>(&'a Cluster);

impl LeaderSource for Leaders<'_> {
    fn leader(&self, tp: &TopicPartition) -> Option<u32> {
        self.0.leader_of(&tp.topic, tp.partition).filter(|b| self.0.broker_alive(*b))
    }
}

impl ShareLayer {
    /// The next time a share consumer, a share group's coordinator or a share-partition's
    /// lock has work.
    pub(super) fn next_deadline_ms(&self) -> Option<u64> {
        let consumers = self.consumers.values().filter_map(ShareConsumer::next_deadline_ms).min();
        let groups = self.groups.values().filter(|g| g.coordinator.is_some()).filter_map(|g| g.group.next_deadline_ms()).min();
        let locks = self
            .groups
            .values()
            .flat_map(|g| g.partitions.values())
            .filter_map(|p| p.partition.as_ref().and_then(SharePartition::next_deadline_ms))
            .min();
        let parked = self.parked.iter().map(|p| p.recheck_ms).min();
        [consumers, groups, locks, parked].into_iter().flatten().min()
    }

    /// Whether `gid` is a share group.
    pub(super) fn has_group(&self, gid: &str) -> bool {
        self.groups.contains_key(gid)
    }

    /// Hashes the share groups and consumers.
    pub(super) fn hash_into(&self, h: &mut Fnv) {
        for (gid, g) in &self.groups {
            h.str(gid);
            g.group.hash_into(h);
            h.u64(u64::from(g.coordinator.unwrap_or(u32::MAX)));
            for (tp, p) in &g.partitions {
                h.str(&tp.topic);
                h.u64(u64::from(tp.partition));
                h.u64(u64::from(p.leader.unwrap_or(u32::MAX)));
                if let Some(sp) = &p.partition {
                    sp.hash_into(h);
                }
            }
            h.u64(g.archived);
            h.u64(g.losses);
        }
        for c in self.consumers.values() {
            c.hash_into(h);
        }
    }

    /// Every share group's and share-partition's invariants.
    pub(super) fn check_invariants(&self) -> Result<(), String> {
        for (gid, g) in &self.groups {
            g.group.check_invariants().map_err(|e| format!("share group {gid}: {e}"))?;
            for (tp, p) in &g.partitions {
                if let Some(sp) = &p.partition {
                    sp.check_invariants().map_err(|e| format!("share group {gid}, {tp}: {e}"))?;
                }
            }
        }
        Ok(())
    }
}

/// The share-partition settings of a group.
fn partition_config(s: &ShareGroupSettings, max_in_flight_records: u32) -> SharePartitionConfig {
    let d = SharePartitionConfig::default();
    SharePartitionConfig {
        record_lock_duration_ms: s.record_lock_duration_ms.unwrap_or(d.record_lock_duration_ms),
        delivery_count_limit: s.delivery_count_limit.unwrap_or(d.delivery_count_limit),
        max_in_flight_records,
    }
}

/// `share.auto.offset.reset` as the share-partition applies it.
fn reset_strategy(s: &ShareGroupSettings) -> ShareAutoOffsetReset {
    match &s.auto_offset_reset {
        ShareOffsetReset::Latest => ShareAutoOffsetReset::Latest,
        ShareOffsetReset::Earliest => ShareAutoOffsetReset::Earliest,
        ShareOffsetReset::ByDuration(_) => ShareAutoOffsetReset::ByDuration { duration_ms: s.by_duration_ms().unwrap_or(0) },
    }
}

impl GroupLayer {
    /// `CreateShareGroup`.
    pub fn create_share_group(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, group_id: String, topics: Vec<String>, settings: ShareGroupSettings) -> Result<(), SimError> {
        Self::check_group_id(&group_id)?;
        Self::validate_topics(&*cluster, &topics)?;
        settings.validate()?;
        let settings = settings.resolved(&self.share_defaults);
        if self.groups.contains_key(&group_id) {
            return Err(SimError::InvalidRequest(format!("'{group_id}' is a consumer group: a group id names one kind of group (GROUP_ID_NOT_FOUND: Group {group_id} is not a share group)")));
        }
        if !self.share.groups.contains_key(&group_id) && self.share.groups.len() >= MAX_SHARE_GROUPS {
            return Err(SimError::LimitExceeded(format!("at most {MAX_SHARE_GROUPS} share groups")));
        }
        let config = ShareGroupConfig {
            session_timeout_ms: settings.session_timeout_ms.unwrap_or(self.share_defaults.session_timeout_ms),
            heartbeat_interval_ms: settings.heartbeat_interval_ms.unwrap_or(self.share_defaults.heartbeat_interval_ms),
            ..self.share_group_config.clone()
        };
        let g = self.share.groups.entry(group_id.clone()).or_insert_with(|| ShareGroupRuntime {
            settings: settings.clone(),
            subscription: Vec::new(),
            group: ShareGroup::new(&group_id, config.clone()),
            records: CompactedShareRecords::default(),
            coordinator: None,
            partitions: VecMap::new(),
            archived: 0,
            losses: 0,
        });
        g.settings = settings;
        for t in topics {
            if !g.subscription.contains(&t) {
                g.subscription.push(t);
            }
        }
        crate::kernel::sort::sort(&mut g.subscription);
        cluster.ensure_share_state_topic(ctx)?;
        self.sync_share_placement(ctx, cluster);
        self.reschedule(ctx);
        Ok(())
    }

    /// `AddConsumer` to a share group: a share consumer starts.
    pub(super) fn add_share_consumer(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, group_id: &str, client_id: Option<String>, topics: Vec<String>) -> Result<(), SimError> {
        Self::validate_topics(&*cluster, &topics)?;
        let Some(g) = self.share.groups.get_mut(group_id) else { return Err(SimError::InvalidRequest(format!("no share group '{group_id}'"))) };
        if self.share.consumers.values().filter(|c| c.group_id() == group_id).count() >= MAX_SHARE_CONSUMERS {
            return Err(SimError::LimitExceeded(format!("at most {MAX_SHARE_CONSUMERS} consumers per share group")));
        }
        let client_id = match client_id {
            Some(c) if c.is_empty() => return Err(SimError::InvalidConfig("client_id must not be empty".into())),
            Some(c) => c,
            None => {
                let mut n = self.share.consumers.len() + 1;
                while self.share.consumers.contains_key(&format!("consumer-{group_id}-{n}")) || self.consumers.contains_key(&format!("consumer-{group_id}-{n}")) {
                    n += 1;
                }
                format!("consumer-{group_id}-{n}")
            }
        };
        if self.consumers.contains_key(&client_id) || self.share.consumers.contains_key(&client_id) {
            return Err(SimError::DuplicateClient(format!("consumer '{client_id}' already exists")));
        }
        let topics = if topics.is_empty() { g.subscription.clone() } else { topics };
        for t in &topics {
            if !g.subscription.contains(t) {
                g.subscription.push(t.clone());
            }
        }
        crate::kernel::sort::sort(&mut g.subscription);
        let consumer = ShareConsumer::new(&client_id, group_id, &topics, g.settings.clone(), ctx.now_ms);
        self.share.names.push(client_id.clone());
        self.share.consumers.insert(client_id, consumer);
        self.sync_share_placement(ctx, cluster);
        self.reschedule(ctx);
        Ok(())
    }

    /// Whether `client_id` is a share consumer.
    pub(super) fn is_share_consumer(&self, client_id: &str) -> bool {
        self.share.consumers.contains_key(client_id)
    }

    /// Crash, close, stall or restart of a share consumer.
    pub(super) fn share_consumer_action(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, client_id: &str, action: ShareAction) -> Result<(), SimError> {
        let now = ctx.now_ms;
        let c = self.share.consumers.get_mut(client_id).ok_or_else(|| SimError::UnknownClient(format!("no consumer '{client_id}'")))?;
        let gid = c.group_id().to_string();
        let out = match action {
            ShareAction::Crash => c.crash(now),
            ShareAction::Stall => c.stall(now),
            ShareAction::Close => c.close(now, &Leaders(cluster)),
            ShareAction::Restart => match c.lifecycle() {
                ClientLifecycle::Running => return Err(SimError::InvalidRequest(format!("consumer '{client_id}' is running; nothing to restart"))),
                ClientLifecycle::Stalled => c.resume(now),
                ClientLifecycle::Closed | ClientLifecycle::Crashed => {
                    *c = c.restarted(now);
                    vec![Output::Event { at_ms: now, event: GroupEvent::Lifecycle { client_id: client_id.to_string(), what: "restarted".into() } }]
                }
            },
        };
        self.apply_outputs(ctx, cluster, &gid, out);
        self.reschedule(ctx);
        Ok(())
    }

    /// Coordinator placement and share-partition leadership of every share group follow the
    /// cluster: a coordinator moving reloads the group from its records, a new partition
    /// leader recovers the share-partition from `__share_group_state` (what the old leader held
    /// acquired is available again, its delivery counts kept).
    pub(super) fn sync_share_placement(&mut self, ctx: &mut Ctx, cluster: &mut Cluster) {
        let now = ctx.now_ms;
        let max_locks = self.share_partition_max_record_locks;
        let gids: Vec<String> = self.share.groups.keys().cloned().collect();
        for gid in gids {
            let target = cluster.coordinator_for(&gid);
            let Some(g) = self.share.groups.get_mut(&gid) else { continue };
            if g.coordinator != target {
                if target.is_some() {
                    g.group = ShareGroup::loaded(&gid, g.group.config().clone(), now, &g.records);
                }
                g.coordinator = target;
            }
            // Every partition of the subscription has a share-partition once a member exists.
            let needed: Vec<TopicPartition> = if g.group.members().is_empty() && g.partitions.is_empty() {
                Vec::new()
            } else {
                g.subscription
                    .iter()
                    .filter_map(|t| cluster.topic(t).map(|topic| (t, topic.partitions.len() as u32)))
                    .flat_map(|(t, n)| (0..n).map(move |p| TopicPartition::new(t.clone(), p)))
                    .collect()
            };
            let config = partition_config(&g.settings, max_locks);
            let reset = reset_strategy(&g.settings);
            for tp in needed {
                let leader = cluster.leader_of(&tp.topic, tp.partition).filter(|b| cluster.broker_alive(*b));
                let src = ClusterSource::new(&*cluster);
                let offsets = src.offsets(&tp);
                let entry = g.partitions.entry(tp.clone()).or_insert_with(|| SharePartitionRuntime::new(&gid, &tp));
                if entry.leader == leader && (entry.partition.is_some() || leader.is_none()) {
                    continue;
                }
                entry.leader = leader;
                entry.partition = None;
                let (Some(_), Some(o)) = (leader, offsets) else { continue };
                // The new leader reads the state from its share coordinator (after the writes
                // still waiting for it); with none reachable it tries again at the next wakeup.
                if entry.share_coordinator(cluster).is_none() || !entry.persist(ctx, cluster, Vec::new()) {
                    continue;
                }
                if entry.store.state().is_none() && !entry.initialize(ctx, cluster, &InitializeShareGroupState { state_epoch: 0, start_offset: -1 }) {
                    continue;
                }
                let src = ClusterSource::new(&*cluster);
                let Ok((persisted, _)) = entry.store.read(now, o.leader_epoch as i32) else { continue };
                let (log_start, hw) = (o.log_start_offset.max(0) as u64, o.high_watermark.max(0) as u64);
                let start = || SharePartition::start_offset_during_initialization(reset, now, log_start, hw, |ts| src.offset_for_timestamp(&tp, ts).map(|o| o.max(0) as u64));
                if let Ok(mut sp) = SharePartition::recovered(config, &persisted, start) {
                    sp.set_leader_epoch(o.leader_epoch as i32);
                    let writes = sp.take_state_writes();
                    entry.partition = Some(sp);
                    entry.persist(ctx, cluster, writes);
                }
            }
        }
    }

    /// A `ShareGroupHeartbeat` reached broker `broker`.
    pub(super) fn share_group_heartbeat(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, msg: &Message, broker: u32) {
        let now = ctx.now_ms;
        let Body::Request(Request::ShareGroupHeartbeat { group_id, heartbeat }) = &msg.body else { return };
        let Some(g) = self.share.groups.get_mut(group_id) else { return };
        let latency = g.settings.network_latency_ms;
        let (resp, out) = if g.coordinator != Some(broker) {
            (ShareGroupHeartbeatResponse::error(&heartbeat.member_id, ErrorCode::NotCoordinator), Default::default())
        } else {
            let assignor = ServerShareAssignor { cluster: &*cluster };
            g.group.heartbeat(now, heartbeat, &assignor)
        };
        self.enqueue(now, Message { from: Endpoint::Broker(broker), to: msg.from.clone(), correlation_id: msg.correlation_id, sent_at_ms: now, deliver_at_ms: now.saturating_add(latency), body: Body::Response(Response::ShareGroupHeartbeat(resp)) });
        let gid = group_id.clone();
        self.share_group_output(ctx, cluster, &gid, out);
    }

    /// What the share group's coordinator did: its records kept, the share-partitions it
    /// asks for initialized (`InitializeShareGroupState` through the share coordinator, then
    /// `initialize_done`), its events reported.
    fn share_group_output(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, gid: &str, out: crate::group::share::group::Output) {
        let Some(g) = self.share.groups.get_mut(gid) else { return };
        g.records.write(&out.records);
        let mut events = out.events;
        if !out.initialize.is_empty() {
            let mut done = Vec::new();
            for req in &out.initialize {
                let entry = g.partitions.entry(req.partition.clone()).or_insert_with(|| SharePartitionRuntime::new(gid, &req.partition));
                if entry.initialize(ctx, cluster, &req.state) {
                    // The leader reads the new state (and applies `share.auto.offset.reset`).
                    entry.partition = None;
                    entry.leader = None;
                    done.push(req.partition.clone());
                }
            }
            let more = g.group.initialize_done(&done);
            g.records.write(&more.records);
            events.extend(more.events);
        }
        self.share_group_events(ctx, cluster, gid, events);
    }

    /// What the share group's coordinator did: events reported, members that left or were
    /// fenced have what they held released.
    fn share_group_events(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, gid: &str, events: Vec<ShareGroupEvent>) {
        let now = ctx.now_ms;
        let mut out = Vec::new();
        for e in events {
            let group_id = gid.to_string();
            let event = match e {
                ShareGroupEvent::MemberJoined { member_id } => GroupEvent::MemberAdded { group_id, member_id },
                ShareGroupEvent::MemberRemoved { member_id, reason } => {
                    self.release_member(ctx, cluster, gid, &member_id);
                    GroupEvent::MemberRemoved { group_id, member_id, reason: reason.reason().to_string() }
                }
                ShareGroupEvent::GroupEpochBumped { epoch } => GroupEvent::GroupEpochBumped { group_id, epoch },
                ShareGroupEvent::TargetAssignmentComputed { epoch, assignor } => GroupEvent::TargetAssignmentComputed { group_id, epoch, assignor },
                _ => continue,
            };
            out.push(Output::Event { at_ms: now, event });
        }
        self.sync_share_placement(ctx, cluster);
        self.apply_outputs(ctx, cluster, gid, out);
    }

    /// A member is gone: its acquired records return to the others (`releaseAcquiredRecords`).
    fn release_member(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, gid: &str, member_id: &str) {
        let now = ctx.now_ms;
        let Some(g) = self.share.groups.get(gid) else { return };
        let tps: Vec<TopicPartition> = g.partitions.keys().cloned().collect();
        for tp in tps {
            let released = self.share.groups.get_mut(gid).and_then(|g| g.partitions.get_mut(&tp)).and_then(|p| p.partition.as_mut()).map_or(0, |sp| sp.release_acquired_records(now, member_id));
            if released > 0 {
                self.after_partition_change(ctx, cluster, gid, &tp);
            }
        }
    }

    /// A `ShareFetch` or `ShareAcknowledge` reached broker `broker`: the acknowledgements are
    /// applied to the share-partitions it leads, then (a fetch) records are acquired for the
    /// member, up to `max_records` over its partitions.
    pub(super) fn share_fetch(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, msg: &Message, broker: u32) {
        // Fetches already waiting at the broker are served first (the purgatory completes them
        // as soon as records are there).
        self.recheck_parked(ctx, cluster, true);
        let deadline_ms = ctx.now_ms.saturating_add(SHARE_FETCH_MAX_WAIT_MS);
        self.serve_share_fetch(ctx, cluster, msg, broker, deadline_ms);
    }

    /// Waiting fetches look again for records, oldest first (`all`: not only those due).
    /// Returns whether any looked.
    fn recheck_parked(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, all: bool) -> bool {
        let now = ctx.now_ms;
        if !self.share.parked.iter().any(|p| all || p.recheck_ms <= now) {
            return false;
        }
        let parked = std::mem::take(&mut self.share.parked);
        for p in parked {
            if !all && p.recheck_ms > now {
                self.share.parked.push(p);
                continue;
            }
            if cluster.broker_alive(p.broker) {
                self.serve_share_fetch(ctx, cluster, &p.msg, p.broker, p.deadline_ms);
            } else if let Endpoint::Client(c) = &p.msg.from {
                // The broker died with the fetch waiting: the consumer's connection drops.
                self.share_consumer_disconnected(now, c, p.broker);
            }
        }
        true
    }

    /// Serves a ShareFetch (or ShareAcknowledge); a fetch that acquires nothing waits at the
    /// broker (the fetch purgatory) until records can be acquired or `deadline_ms`.
    fn serve_share_fetch(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, msg: &Message, broker: u32, deadline_ms: u64) {
        let now = ctx.now_ms;
        let Body::Request(req) = &msg.body else { return };
        let (group_id, member_id, partitions, acknowledgements, max_records) = match req {
            Request::ShareFetch { group_id, member_id, partitions, acknowledgements, max_records } => (group_id, member_id, partitions.as_slice(), acknowledgements.as_slice(), Some(*max_records)),
            Request::ShareAcknowledge { group_id, member_id, acknowledgements } => (group_id, member_id, &[][..], acknowledgements.as_slice(), None),
            _ => return,
        };
        let Some(g) = self.share.groups.get(group_id) else { return };
        let latency = g.settings.network_latency_ms;
        let known = g.group.members().contains_key(member_id.as_str());
        let mut acknowledge_errors = Vec::new();
        let mut partition_errors = Vec::new();
        let mut records: Vec<AcquiredRecord> = Vec::new();
        let gid = group_id.clone();
        // Acknowledgements, per partition.
        let mut by_tp: VecMap<TopicPartition, Vec<(u64, u64, AcknowledgeType)>> = VecMap::new();
        for a in acknowledgements {
            by_tp.entry(a.tp.clone()).or_default().push((a.first_offset, a.last_offset, a.kind));
        }
        for (tp, batches) in by_tp {
            let result = match self.share.groups.get_mut(&gid).and_then(|g| g.partitions.get_mut(&tp)) {
                Some(p) if p.leader == Some(broker) => match p.partition.as_mut() {
                    Some(sp) => sp.acknowledge(now, member_id, &batches).map_err(|e| e.name().to_string()),
                    None => Err(ErrorCode::NotLeaderOrFollower.name().to_string()),
                },
                _ => Err(ErrorCode::NotLeaderOrFollower.name().to_string()),
            };
            match result {
                Ok(()) => self.after_partition_change(ctx, cluster, &gid, &tp),
                Err(e) => acknowledge_errors.push((tp, e)),
            }
        }
        let error = if known { ErrorCode::None } else { ErrorCode::UnknownMemberId };
        if let (Some(mut budget), true) = (max_records, known) {
            for tp in partitions {
                let hw = ClusterSource::new(&*cluster).offsets(tp).map_or(0, |o| o.high_watermark.max(0) as u64);
                let acquired = match self.share.groups.get_mut(&gid).and_then(|g| g.partitions.get_mut(tp)) {
                    Some(p) if p.leader == Some(broker) => match p.partition.as_mut() {
                        Some(sp) if budget > 0 => sp.acquire(now, member_id, budget, hw),
                        Some(_) => Vec::new(),
                        None => {
                            partition_errors.push((tp.clone(), ErrorCode::NotLeaderOrFollower));
                            continue;
                        }
                    },
                    _ => {
                        partition_errors.push((tp.clone(), ErrorCode::NotLeaderOrFollower));
                        continue;
                    }
                };
                for a in &acquired {
                    for offset in a.first_offset..=a.last_offset {
                        let Some(r) = cluster.read(&tp.topic, tp.partition, offset, 1).and_then(|r| r.first().copied()).filter(|r| r.offset == offset) else { continue };
                        budget = budget.saturating_sub(1);
                        let key = (r.key != crate::cluster::log::NO_KEY).then(|| cluster.key_str(r.key).map(str::to_string)).flatten();
                        records.push(AcquiredRecord { tp: tp.clone(), offset: offset as i64, record_id: crate::group::protocol::producer_record_id(r.producer_id, r.sequence), key, delivery_count: a.delivery_count });
                    }
                }
                if !acquired.is_empty() {
                    self.after_partition_change(ctx, cluster, &gid, tp);
                }
            }
        }
        if max_records.is_some() && known && records.is_empty() && partition_errors.is_empty() && acknowledge_errors.is_empty() && now < deadline_ms {
            // Nothing to acquire: the fetch waits (its acknowledgements are done).
            let mut parked = msg.clone();
            if let Body::Request(Request::ShareFetch { acknowledgements, .. }) = &mut parked.body {
                acknowledgements.clear();
            }
            self.share.parked.push(ParkedFetch { msg: parked, broker, deadline_ms, recheck_ms: now.saturating_add(SHARE_FETCH_RECHECK_MS).min(deadline_ms) });
            return;
        }
        let body = match max_records {
            Some(_) => Response::ShareFetch { error, records, partition_errors, acknowledge_errors },
            None => Response::ShareAcknowledge { error: ErrorCode::None, acknowledge_errors },
        };
        self.enqueue(now, Message { from: Endpoint::Broker(broker), to: msg.from.clone(), correlation_id: msg.correlation_id, sent_at_ms: now, deliver_at_ms: now.saturating_add(latency), body: Body::Response(body) });
    }

    /// After a share-partition changed: its state writes go to `__share_group_state`, and the
    /// records that left the window below the SPSO are accounted (archived, or lost if never
    /// processed).
    fn after_partition_change(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, gid: &str, tp: &TopicPartition) {
        let GroupLayer { share, audit, .. } = self;
        let Some(g) = share.groups.get_mut(gid) else { return };
        let Some(p) = g.partitions.get_mut(tp) else { return };
        let Some(sp) = p.partition.as_mut() else { return };
        let writes = sp.take_state_writes();
        let finished = sp.take_finished();
        p.persist(ctx, cluster, writes);
        for (first, last, state) in finished {
            if state == RecordState::Archived {
                g.archived += last - first + 1;
                continue;
            }
            // Acknowledged: accepted, which GroupLab's consumers do only after processing.
            for offset in first..=last {
                let Some(r) = cluster.read(&tp.topic, tp.partition, offset, 1).and_then(|r| r.first().copied()).filter(|r| r.offset == offset) else { continue };
                if audit.ledger.times_processed(gid, producer_record_id(r.producer_id, r.sequence)) == 0 {
                    g.losses += 1;
                }
            }
        }
    }

    /// Share consumers, coordinators and share-partition locks whose time has come.
    pub(super) fn share_timeouts(&mut self, ctx: &mut Ctx, cluster: &mut Cluster) -> bool {
        let now = ctx.now_ms;
        let mut any = false;
        let gids: Vec<String> = self.share.groups.keys().cloned().collect();
        for gid in &gids {
            let Some(g) = self.share.groups.get_mut(gid) else { continue };
            let tps: Vec<TopicPartition> = g.partitions.iter().filter(|(_, p)| p.partition.as_ref().and_then(SharePartition::next_deadline_ms).is_some_and(|d| d <= now)).map(|(tp, _)| tp.clone()).collect();
            for tp in tps {
                if let Some(sp) = g.partitions.get_mut(&tp).and_then(|p| p.partition.as_mut()) {
                    sp.handle_timeout(now);
                    any = true;
                }
            }
            let timed_out = g.coordinator.is_some() && g.group.next_deadline_ms().is_some_and(|d| d <= now);
            let out = if timed_out { g.group.handle_timeout(now) } else { Default::default() };
            let tps: Vec<TopicPartition> = g.partitions.keys().cloned().collect();
            for tp in tps {
                self.after_partition_change(ctx, cluster, gid, &tp);
            }
            if timed_out {
                any = true;
                self.share_group_output(ctx, cluster, gid, out);
            }
        }
        any |= self.recheck_parked(ctx, cluster, false);
        let due: Vec<String> = self.share.consumers.iter().filter(|(_, c)| c.next_deadline_ms().is_some_and(|d| d <= now)).map(|(id, _)| id.clone()).collect();
        for id in due {
            let Some(c) = self.share.consumers.get_mut(&id) else { continue };
            let out = c.handle_timeout(now, &Leaders(cluster));
            let gid = c.group_id().to_string();
            any = true;
            self.apply_outputs(ctx, cluster, &gid, out);
        }
        any
    }

    /// A message to a share consumer.
    pub(super) fn deliver_to_share_consumer(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, client_id: &str, msg: &Message) {
        let Some(c) = self.share.consumers.get_mut(client_id) else { return };
        let out = c.handle_message(ctx.now_ms, msg);
        let gid = c.group_id().to_string();
        self.apply_outputs(ctx, cluster, &gid, out);
    }

    /// A share consumer's request to a dead broker.
    pub(super) fn share_consumer_disconnected(&mut self, now_ms: u64, client_id: &str, broker: u32) {
        if let Some(c) = self.share.consumers.get_mut(client_id) {
            c.disconnected(now_ms, broker);
        }
    }
}

/// What a share consumer can be told to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ShareAction {
    Crash,
    Stall,
    Close,
    Restart,
}

/// Kafka's `simple` share assignor over the cluster's partition counts.
struct ServerShareAssignor<'a> {
    cluster: &'a Cluster,
}

impl crate::group::share::group::ShareTargetAssignor for ServerShareAssignor<'_> {
    fn partition_count(&self, topic: &str) -> Option<u32> {
        self.cluster.topic(topic).map(|t| t.partitions.len() as u32)
    }

    fn assign(&self, _assignor: &str, members: &[crate::group::share::group::ShareAssignorMember<'_>], homogeneous: bool, assignable: &VecMap<String, Vec<u32>>) -> VecMap<String, Vec<TopicPartition>> {
        use crate::assign::simple::{simple_assignment, SimpleMember, SubscriptionType};
        let mut topics: VecMap<String, u32> = VecMap::new();
        for m in members {
            for t in m.topics {
                if let Some(n) = self.partition_count(t) {
                    topics.insert(t.clone(), n);
                }
            }
        }
        let subs: Vec<SimpleMember> = members
            .iter()
            .map(|m| SimpleMember { id: m.member_id.to_string(), topics: m.topics.to_vec(), target: m.target.iter().map(|tp| (tp.topic.to_string(), tp.partition)).collect() })
            .collect();
        let kind = if homogeneous { SubscriptionType::Homogeneous } else { SubscriptionType::Heterogeneous };
        match simple_assignment(&topics, &subs, kind, Some(assignable)) {
            Ok(a) => a.into_iter().map(|(m, tps)| (m, tps.into_iter().map(|(t, p)| TopicPartition::new(t, p)).collect())).collect(),
            // The assignor fails only on inputs the coordinator never builds (duplicate ids).
            Err(_) => VecMap::new(),
        }
    }
}

impl GroupLayer {
    /// The share groups as plain data, sorted by id.
    pub fn share_views(&self, cluster: &Cluster) -> Vec<crate::api::view::ShareGroupView> {
        use crate::api::view::{InFlightView, ShareConsumerView, ShareDeliveryView, ShareGroupView, ShareMemberView, SharePartitionView};
        let pairs = |tps: &[TopicPartition]| -> Vec<(String, u32)> { tps.iter().map(|tp| (tp.topic.to_string(), tp.partition)).collect() };
        self.share
            .groups
            .iter()
            .map(|(gid, g)| {
                let client_of = |member: &str| g.group.members().get(member).map(|m| m.client_id.clone()).filter(|c| !c.is_empty());
                let members = g
                    .group
                    .members()
                    .values()
                    .map(|m| ShareMemberView {
                        member_id: m.member_id.clone(),
                        client_id: m.client_id.clone(),
                        member_epoch: m.member_epoch,
                        assigned: pairs(&m.assigned),
                        session_deadline_ms: g.group.session_deadline_of(&m.member_id),
                    })
                    .collect();
                let consumers = self
                    .share
                    .consumers
                    .values()
                    .filter(|c| c.group_id() == gid)
                    .map(|c| ShareConsumerView {
                        client_id: c.client_id().to_string(),
                        member_id: c.member_id().to_string(),
                        lifecycle: format!("{:?}", c.lifecycle()),
                        member_state: c.member_state().name().to_string(),
                        member_epoch: (c.member_epoch() > 0).then_some(c.member_epoch()),
                        assigned: pairs(c.assignment()),
                        acquired: c.held() as u64,
                        processed: c.processed(),
                        failed: c.failed(),
                        next_fetch_ms: c.next_fetch_ms(),
                        heartbeat_due_ms: c.heartbeat_due_ms(),
                        error: c.error().map(str::to_string),
                    })
                    .collect();
                let partitions = g
                    .partitions
                    .iter()
                    .map(|(tp, p)| {
                        let hw = ClusterSource::new(cluster).offsets(tp).map_or(0, |o| o.high_watermark.max(0) as u64);
                        let (start_offset, end_offset, lag, in_flight, counts) = match &p.partition {
                            Some(sp) => {
                                let c = sp.state_counts();
                                let in_flight = sp
                                    .in_flight_ranges()
                                    .iter()
                                    .map(|r| InFlightView {
                                        first_offset: r.first_offset,
                                        last_offset: r.last_offset,
                                        state: r.state.name().to_string(),
                                        delivery_count: r.delivery_count,
                                        client_id: r.member_id.as_deref().and_then(client_of),
                                        lock_deadline_ms: r.lock_deadline_ms,
                                    })
                                    .collect();
                                (sp.start_offset(), sp.end_offset() as i64, sp.lag(hw), in_flight, [c.available, c.acquired, c.acknowledged, c.archived])
                            }
                            None => {
                                let start = p.store.state().map_or(0, |s| s.start_offset.max(0) as u64);
                                (start, start as i64 - 1, hw.saturating_sub(start), Vec::new(), [0; 4])
                            }
                        };
                        SharePartitionView { topic: tp.topic.to_string(), partition: tp.partition, leader: p.leader, start_offset, end_offset, high_watermark: hw, lag, in_flight, counts }
                    })
                    .collect();
                let ledger = &self.audit.ledger;
                let delivery = ShareDeliveryView {
                    processed: ledger.total_processed(gid),
                    distinct: ledger.distinct_processed(gid),
                    duplicates: ledger.duplicates(gid),
                    losses: g.losses,
                    archived: g.archived + g.partitions.values().filter_map(|p| p.partition.as_ref()).map(|sp| sp.state_counts().archived).sum::<u64>(),
                    ordering_violations: self.audit.ordering_violations.get(gid.as_str()).copied().unwrap_or(0),
                };
                ShareGroupView {
                    group_id: gid.clone(),
                    state: g.group.state().name().to_string(),
                    group_epoch: g.group.group_epoch(),
                    assignment_epoch: g.group.assignment_epoch(),
                    coordinator: g.coordinator,
                    subscription: g.subscription.clone(),
                    config: g.settings.clone(),
                    members,
                    consumers,
                    partitions,
                    delivery,
                }
            })
            .collect()
    }
}
