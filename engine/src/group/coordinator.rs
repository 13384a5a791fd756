//! The broker-side group coordinator for one classic group.
//!
//! Models Kafka's `ClassicGroup` / `ClassicGroupState` and the classic-group parts of
//! `GroupMetadataManager` (formerly `kafka.coordinator.group.GroupCoordinator`):
//! states Empty → PreparingRebalance → CompletingRebalance → Stable (and Dead), the delayed
//! initial rebalance (`InitialDelayedJoin`, `group.initial.rebalance.delay.ms`), the join phase
//! bounded by the rebalance timeout (max of members' rebalance timeouts), session expiry,
//! KIP-394 `MEMBER_ID_REQUIRED`, the pending-sync timeout, protocol selection by vote
//! (`ClassicGroup.selectProtocol`), offset commit validation (`ClassicGroup.validateOffsetCommit`)
//! and the `__consumer_offsets` records it writes and reloads on failover.
//!
//! Deterministic choices where Kafka iterates a `HashMap`: the leader is the earliest-joined
//! remaining member; a protocol vote tie goes to the name that sorts first.

use crate::kernel::vecmap::{VecMap, VecSet};

use serde::{Deserialize, Serialize};

use super::consumer::coordinator::ClassicMemberSnapshot;
use super::event::GroupEvent;
use super::protocol::{Body, CoordinatorRecord, Endpoint, ErrorCode, JoinProtocol, JoinResponseMember, MemberRecord, Message, OffsetCommitEntry, Request, Response, Subscription, SyncAssignment, TopicPartition};
use super::output::Output;
pub use super::state::GroupState;
use super::GroupError;

/// `ConsumerProtocol.PROTOCOL_TYPE`.
pub const CONSUMER_PROTOCOL_TYPE: &str = "consumer";

/// Broker-side group settings (`GroupCoordinatorConfig`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoordinatorConfig {
    /// `group.initial.rebalance.delay.ms` (3000).
    pub initial_rebalance_delay_ms: u64,
    /// `group.min.session.timeout.ms` (6000).
    pub min_session_timeout_ms: u64,
    /// `group.max.session.timeout.ms` (1800000).
    pub max_session_timeout_ms: u64,
    /// One-way network latency used for responses.
    pub network_latency_ms: u64,
    /// `group.max.size` (Integer.MAX_VALUE in Kafka; at most [`MAX_GROUP_MEMBERS`] here): a new
    /// member beyond it gets GROUP_MAX_SIZE_REACHED.
    #[serde(default = "default_max_size")]
    pub max_size: usize,
    /// `offsets.retention.minutes` in ms (7 days): the committed offsets of a group that has
    /// been Empty this long expire (KIP-211).
    #[serde(default = "default_offsets_retention_ms")]
    pub offsets_retention_ms: u64,
    /// `offsets.retention.check.interval.ms` (600000): how often expired offsets are removed.
    #[serde(default = "default_offsets_retention_check_interval_ms")]
    pub offsets_retention_check_interval_ms: u64,
}

fn default_offsets_retention_ms() -> u64 {
    10_080 * 60_000
}

fn default_offsets_retention_check_interval_ms() -> u64 {
    600_000
}

fn default_max_size() -> usize {
    MAX_GROUP_MEMBERS
}

impl Default for CoordinatorConfig {
    fn default() -> Self {
        Self {
            initial_rebalance_delay_ms: 3000,
            min_session_timeout_ms: 6000,
            max_session_timeout_ms: 1_800_000,
            network_latency_ms: 5,
            max_size: MAX_GROUP_MEMBERS,
            offsets_retention_ms: default_offsets_retention_ms(),
            offsets_retention_check_interval_ms: default_offsets_retention_check_interval_ms(),
        }
    }
}

/// A committed offset as the coordinator holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommittedOffset {
    /// Offset (next to read).
    pub offset: i64,
    /// Metadata string.
    pub metadata: String,
    /// Commit time.
    pub commit_timestamp_ms: u64,
}

/// A member as the coordinator sees it (`ClassicGroupMember`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupMember {
    /// Member id (`<client.id>-<uuid>`).
    pub member_id: String,
    /// `client.id`.
    pub client_id: String,
    /// Where responses go.
    pub endpoint: Endpoint,
    /// Supported protocols in preference order.
    pub protocols: Vec<JoinProtocol>,
    /// Session timeout.
    pub session_timeout_ms: u64,
    /// Rebalance timeout.
    pub rebalance_timeout_ms: u64,
    /// When the session expires unless a heartbeat arrives.
    pub session_deadline_ms: u64,
    /// Correlation id of a parked JoinGroup.
    pub awaiting_join: Option<u64>,
    /// Correlation id of a parked SyncGroup.
    pub awaiting_sync: Option<u64>,
    /// Assignment of the current generation.
    pub assignment: Vec<TopicPartition>,
    /// Order of joining (leader choice).
    pub join_seq: u64,
    /// `group.instance.id` of a static member (KIP-345).
    #[serde(default)]
    pub group_instance_id: Option<String>,
    /// A member added in this join phase (`isNew`): until the join completes its session is
    /// `group.classic.new.member.join.timeout.ms` (5 min), and it expires even while parked
    /// in JoinGroup.
    #[serde(default)]
    pub is_new: bool,
}

impl GroupMember {
    fn vote(&self, candidates: &VecSet<String>) -> Option<String> {
        self.protocols
            .iter()
            .find(|p| candidates.contains(&p.name))
            .map(|p| p.name.clone())
    }

    fn metadata_for(&self, protocol: &str) -> Subscription {
        self.protocols
            .iter()
            .find(|p| p.name == protocol)
            .map(|p| p.metadata.clone())
            .unwrap_or_default()
    }

    fn same_protocols(&self, other: &[JoinProtocol]) -> bool {
        self.protocols == other
    }
}

/// The pending join-phase timer (Kafka's `DelayedJoin` / `InitialDelayedJoin` in the purgatory).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum JoinTimer {
    /// `InitialDelayedJoin`: cannot complete early; may extend while new members keep arriving.
    Initial {
        /// Expiry.
        deadline_ms: u64,
        /// This delay.
        delay_ms: u64,
        /// Time left of the rebalance timeout for further extensions.
        remaining_ms: u64,
    },
    /// `DelayedJoin`: completes when all members joined, or at the rebalance timeout.
    Rebalance {
        /// Expiry.
        deadline_ms: u64,
    },
}

impl JoinTimer {
    fn deadline_ms(&self) -> u64 {
        match self {
            JoinTimer::Initial { deadline_ms, .. } | JoinTimer::Rebalance { deadline_ms } => {
                *deadline_ms
            }
        }
    }
}

/// One classic consumer group's coordinator. Sans-IO: feed it messages and timeouts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupCoordinator {
    group_id: String,
    broker_id: u32,
    config: CoordinatorConfig,
    state: GroupState,
    active: bool,
    generation_id: i32,
    protocol_type: Option<String>,
    protocol: Option<String>,
    leader: Option<String>,
    members: VecMap<String, GroupMember>,
    pending_members: VecMap<String, u64>,
    join_timer: Option<JoinTimer>,
    new_member_added: bool,
    pending_sync: VecSet<String>,
    sync_deadline_ms: Option<u64>,
    committed: VecMap<TopicPartition, CommittedOffset>,
    /// Bumped on every change of `committed` after loading (see [`Self::committed_version`]).
    #[serde(skip, default)]
    committed_version: u64,
    /// The leader's SyncGroup assignment while its GroupMetadata write is not yet committed
    /// (`classicGroupSyncToLeader`'s `appendFuture`): `(generation, member → partitions)`.
    #[serde(default)]
    pending_assignment: Option<(i32, VecMap<String, Vec<TopicPartition>>)>,
    rng_state: u64,
    /// When the group entered its current state (`currentStateTimestamp`).
    #[serde(default)]
    state_since_ms: u64,
    /// Offset tombstones were written at this check; the next check is one interval later.
    #[serde(default)]
    expired_at_ms: Option<u64>,
    /// Until then the coordinator is still loading the group from `__consumer_offsets` and
    /// answers COORDINATOR_LOAD_IN_PROGRESS.
    #[serde(default)]
    loading_until_ms: Option<u64>,
    join_seq: u64,
    transitions: Vec<(u64, GroupState, GroupState)>,
    /// `ClassicGroup.subscribedTopics`: the topics the members subscribed to, computed when a
    /// generation starts and when the group is loaded (`computeSubscribedTopics`); `None` when
    /// the group does not know them (no `consumer` protocol type, or no protocol yet).
    #[serde(default)]
    subscribed_topics: Option<VecSet<String>>,
}

/// `group.classic.new.member.join.timeout.ms`: a new member's session until its first join
/// completes.
pub const NEW_MEMBER_JOIN_TIMEOUT_MS: u64 = 300_000;

/// Each partition of an OffsetDelete with its outcome (`NONE`: its offset is deleted).
pub type OffsetDeleteResults = Vec<(TopicPartition, ErrorCode)>;

/// The committed offset of an offset record whose value is a tombstone (the offset was
/// deleted: expired, KIP-211).
pub const OFFSET_TOMBSTONE: i64 = -1;

/// Upper bound of members in one group (Kafka's `group.max.size` defaults to unbounded; a
/// simulator bounds it).
pub const MAX_GROUP_MEMBERS: usize = 1000;

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl GroupCoordinator {
    /// A coordinator for a brand-new (Empty) group on `broker_id`. `rng_seed` feeds member-id UUIDs.
    pub fn new(
        group_id: impl Into<String>,
        broker_id: u32,
        config: CoordinatorConfig,
        rng_seed: u64,
    ) -> Result<Self, GroupError> {
        let group_id = group_id.into();
        if group_id.is_empty() {
            return Err(GroupError::InvalidConfig(
                "group.id must not be empty".into(),
            ));
        }
        if config.min_session_timeout_ms > config.max_session_timeout_ms {
            return Err(GroupError::InvalidConfig(format!(
                "group.min.session.timeout.ms ({}) > group.max.session.timeout.ms ({})",
                config.min_session_timeout_ms, config.max_session_timeout_ms
            )));
        }
        Ok(Self {
            group_id,
            broker_id,
            config,
            state: GroupState::Empty,
            active: true,
            generation_id: 0,
            protocol_type: None,
            protocol: None,
            leader: None,
            members: VecMap::new(),
            pending_members: VecMap::new(),
            join_timer: None,
            new_member_added: false,
            pending_sync: VecSet::new(),
            sync_deadline_ms: None,
            committed: VecMap::new(),
            committed_version: 0,
            pending_assignment: None,
            rng_state: rng_seed,
            join_seq: 0,
            state_since_ms: 0,
            expired_at_ms: None,
            loading_until_ms: None,
            transitions: Vec::new(),
            subscribed_topics: None,
        })
    }

    /// Coordinator failover: a coordinator on `broker_id` loads the group from its
    /// `__consumer_offsets` records (replayed in order; later records win per key). A group with
    /// members is loaded Stable and every member gets a fresh session; otherwise Empty.
    pub fn load<'a>(
        group_id: impl Into<String>,
        broker_id: u32,
        config: CoordinatorConfig,
        rng_seed: u64,
        now_ms: u64,
        records: impl IntoIterator<Item = &'a CoordinatorRecord>,
    ) -> Result<(Self, Vec<Output>), GroupError> {
        let mut c = Self::new(group_id, broker_id, config, rng_seed)?;
        let mut group_value = None;
        for r in records {
            if r.group_id() != c.group_id {
                continue;
            }
            match r {
                CoordinatorRecord::OffsetCommit {
                    tp,
                    offset,
                    metadata,
                    commit_timestamp_ms,
                    ..
                } if *offset == OFFSET_TOMBSTONE => {
                    c.committed.remove(tp);
                }
                CoordinatorRecord::OffsetCommit {
                    tp,
                    offset,
                    metadata,
                    commit_timestamp_ms,
                    ..
                } => {
                    c.committed.insert(
                        tp.clone(),
                        CommittedOffset {
                            offset: *offset,
                            metadata: metadata.clone(),
                            commit_timestamp_ms: *commit_timestamp_ms,
                        },
                    );
                }
                CoordinatorRecord::GroupMetadata { .. } => group_value = Some(r.clone()),
            }
        }
        if let Some(CoordinatorRecord::GroupMetadata {
            generation_id,
            protocol_type,
            protocol,
            leader,
            members,
            ..
        }) = group_value
        {
            c.generation_id = generation_id;
            c.protocol_type = protocol_type;
            c.protocol = protocol;
            c.leader = leader;
            for m in members {
                c.join_seq += 1;
                let member = GroupMember {
                    endpoint: Endpoint::Client(m.client_id.clone()),
                    member_id: m.member_id.clone(),
                    client_id: m.client_id,
                    protocols: m.protocols,
                    session_timeout_ms: m.session_timeout_ms,
                    rebalance_timeout_ms: m.rebalance_timeout_ms,
                    session_deadline_ms: now_ms.saturating_add(m.session_timeout_ms),
                    awaiting_join: None,
                    awaiting_sync: None,
                    assignment: m.assignment,
                    join_seq: c.join_seq,
                    group_instance_id: m.group_instance_id,
                    is_new: false,
                };
                c.members.insert(m.member_id, member);
            }
            if !c.members.is_empty() {
                // A loaded group with members resumes as Stable (Kafka's GroupMetadata loading).
                c.state = GroupState::Stable;
            }
            c.state_since_ms = now_ms;
        }
        c.subscribed_topics = c.compute_subscribed_topics();
        let out = vec![Output::Event {
            at_ms: now_ms,
            event: GroupEvent::CoordinatorMoved {
                group_id: c.group_id.clone(),
                broker_id,
                loaded: true,
            },
        }];
        Ok((c, out))
    }

    /// Partition emigration: the group moves to Dead here; parked requests get NOT_COORDINATOR
    /// and every later request too.
    pub fn unload(&mut self, now_ms: u64) -> Vec<Output> {
        let mut out = Vec::new();
        let parked: Vec<(Endpoint, u64, bool)> = self
            .members
            .values()
            .flat_map(|m| {
                let j = m.awaiting_join.map(|c| (m.endpoint.clone(), c, true));
                let s = m.awaiting_sync.map(|c| (m.endpoint.clone(), c, false));
                j.into_iter().chain(s)
            })
            .collect();
        for (to, corr, join) in parked {
            let resp = if join {
                Response::JoinGroup {
                    error: ErrorCode::NotCoordinator,
                    generation_id: -1,
                    protocol_name: None,
                    leader: String::new(),
                    member_id: String::new(),
                    members: Vec::new(),
                }
            } else {
                Response::SyncGroup {
                    error: ErrorCode::NotCoordinator,
                    partitions: Vec::new(),
                }
            };
            self.respond(now_ms, to, corr, resp, &mut out);
        }
        for m in self.members.values_mut() {
            m.awaiting_join = None;
            m.awaiting_sync = None;
        }
        self.transition(now_ms, GroupState::Dead, &mut out);
        self.active = false;
        self.join_timer = None;
        self.sync_deadline_ms = None;
        out.push(Output::Event {
            at_ms: now_ms,
            event: GroupEvent::CoordinatorMoved {
                group_id: self.group_id.clone(),
                broker_id: self.broker_id,
                loaded: false,
            },
        });
        out
    }

    // ----- accessors -----

    /// Group id.
    pub fn group_id(&self) -> &str {
        &self.group_id
    }
    /// Broker hosting this coordinator.
    pub fn broker_id(&self) -> u32 {
        self.broker_id
    }
    /// Whether it still serves the group (false after [`Self::unload`]).
    pub fn is_active(&self) -> bool {
        self.active
    }
    /// Current state.
    pub fn state(&self) -> GroupState {
        self.state
    }
    /// Current generation.
    pub fn generation_id(&self) -> i32 {
        self.generation_id
    }
    /// Protocol type (`consumer`).
    pub fn protocol_type(&self) -> Option<&str> {
        self.protocol_type.as_deref()
    }
    /// Selected protocol.
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }
    /// Leader member id.
    pub fn leader(&self) -> Option<&str> {
        self.leader.as_deref()
    }
    /// Members by id.
    pub fn members(&self) -> &VecMap<String, GroupMember> {
        &self.members
    }
    /// Members that got MEMBER_ID_REQUIRED and must rejoin, with their expiry.
    pub fn pending_members(&self) -> &VecMap<String, u64> {
        &self.pending_members
    }
    /// The group is being loaded until `until_ms` (the time to read its `__consumer_offsets`
    /// partition): requests get COORDINATOR_LOAD_IN_PROGRESS until then.
    pub fn set_loading_until(&mut self, until_ms: u64) {
        self.loading_until_ms = Some(until_ms);
    }

    /// Committed offsets.
    pub fn committed(&self) -> &VecMap<TopicPartition, CommittedOffset> {
        &self.committed
    }

    /// A counter that changes whenever [`Self::committed`] changes after the coordinator was
    /// created or loaded, so observers can skip re-reading unchanged offsets.
    pub fn committed_version(&self) -> u64 {
        self.committed_version
    }
    /// The join-phase timer, if any.
    pub fn join_timer(&self) -> Option<JoinTimer> {
        self.join_timer
    }
    /// Every state transition so far: (time, from, to).
    pub fn transitions(&self) -> &[(u64, GroupState, GroupState)] {
        &self.transitions
    }
    /// Rebalance timeout: max of the members' rebalance timeouts.
    pub fn rebalance_timeout_ms(&self) -> u64 {
        self.members
            .values()
            .map(|m| m.rebalance_timeout_ms)
            .max()
            .unwrap_or(0)
    }

    /// The earliest time at which [`Self::handle_timeout`] has work.
    pub fn next_deadline_ms(&self) -> Option<u64> {
        if !self.active {
            return None;
        }
        let sessions = self
            .members
            .values()
            .filter(|m| m.is_new || (m.awaiting_join.is_none() && m.awaiting_sync.is_none()))
            .map(|m| m.session_deadline_ms);
        sessions
            .chain(self.pending_members.values().copied())
            .chain(self.join_timer.map(|t| t.deadline_ms()))
            .chain(self.sync_deadline_ms)
            .chain(self.offsets_expire_at_ms())
            .min()
    }

    /// The retention check at which this Empty group's offsets expire: the first tick of
    /// `offsets.retention.check.interval.ms` at or after it has been Empty for
    /// `offsets.retention.minutes` (`OffsetExpirationConditionImpl`, base = the time the group
    /// became Empty).
    fn offsets_expire_at_ms(&self) -> Option<u64> {
        if self.state != GroupState::Empty || self.committed.is_empty() {
            return None;
        }
        let interval = self.config.offsets_retention_check_interval_ms.max(1);
        let due = self.state_since_ms.saturating_add(self.config.offsets_retention_ms);
        let tick = due.div_ceil(interval).saturating_mul(interval);
        Some(match self.expired_at_ms {
            Some(t) => t.saturating_add(interval).max(tick),
            None => tick,
        })
    }

    /// Expires the offsets of a group Empty for `offsets.retention.minutes`: tombstones for
    /// `__consumer_offsets` (the cache forgets them once they are replicated).
    /// The record that deletes the group's committed offset of `tp` (a tombstone: compaction
    /// drops the key).
    fn tombstone(&self, tp: &TopicPartition, now_ms: u64) -> Output {
        Output::AppendRecord(CoordinatorRecord::OffsetCommit {
            group_id: self.group_id.clone(),
            tp: tp.clone(),
            offset: OFFSET_TOMBSTONE,
            metadata: String::new(),
            commit_timestamp_ms: now_ms,
        })
    }

    fn expire_offsets(&mut self, now_ms: u64, out: &mut Vec<Output>) {
        let Some(at) = self.offsets_expire_at_ms().filter(|&t| t <= now_ms) else { return };
        self.expired_at_ms = Some(at);
        let partitions: Vec<TopicPartition> = self.committed.keys().cloned().collect();
        for tp in &partitions {
            out.push(self.tombstone(tp, now_ms));
        }
        self.event(now_ms, GroupEvent::OffsetsExpired { group_id: self.group_id.clone(), partitions }, out);
    }

    // ----- plumbing -----

    fn transition(&mut self, now_ms: u64, to: GroupState, out: &mut Vec<Output>) {
        let from = self.state;
        assert!(
            to.can_transition_from(from),
            "illegal classic group transition {from} -> {to}"
        );
        self.state = to;
        self.state_since_ms = now_ms;
        self.transitions.push((now_ms, from, to));
        out.push(Output::Event {
            at_ms: now_ms,
            event: GroupEvent::StateChanged {
                group_id: self.group_id.clone(),
                from,
                to,
            },
        });
    }

    fn event(&self, now_ms: u64, event: GroupEvent, out: &mut Vec<Output>) {
        out.push(Output::Event {
            at_ms: now_ms,
            event,
        });
    }

    fn respond(
        &self,
        now_ms: u64,
        to: Endpoint,
        correlation_id: u64,
        resp: Response,
        out: &mut Vec<Output>,
    ) {
        out.push(Output::Send(Message {
            from: Endpoint::Broker(self.broker_id),
            to,
            correlation_id,
            sent_at_ms: now_ms,
            deliver_at_ms: now_ms.saturating_add(self.config.network_latency_ms),
            body: Body::Response(resp),
        }));
    }

    /// A new member id (`<client.id>-<uuid>`) from the coordinator's seeded generator.
    pub fn new_member_id(&mut self, client_id: &str) -> String {
        let a = splitmix64(&mut self.rng_state);
        let b = splitmix64(&mut self.rng_state);
        format!(
            "{client_id}-{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            (a >> 32) as u32,
            (a >> 16) as u16,
            a as u16,
            (b >> 48) as u16,
            b & 0xFFFF_FFFF_FFFF
        )
    }

    fn has_all_members_joined(&self) -> bool {
        self.members.values().all(|m| m.awaiting_join.is_some()) && self.pending_members.is_empty()
    }

    fn choose_leader(&mut self) {
        let keep = self
            .leader
            .as_ref()
            .is_some_and(|l| self.members.contains_key(l));
        if !keep {
            self.leader = self
                .members
                .values()
                .min_by_key(|m| m.join_seq)
                .map(|m| m.member_id.clone());
        }
    }

    /// `ClassicGroup.selectProtocol`: candidates are protocols every member supports; each member
    /// votes for its first candidate; most votes wins (ties: smallest name).
    pub fn select_protocol(members: &VecMap<String, GroupMember>) -> Option<String> {
        let mut candidates: Option<VecSet<String>> = None;
        for m in members.values() {
            // `extend` (one insert per item) rather than `collect`, which would sort with its
            // own monomorphised copy of the standard sort (wasm size).
            let mut names = VecSet::new();
            names.extend(m.protocols.iter().map(|p| p.name.clone()));
            candidates = Some(match candidates {
                None => names,
                Some(c) => {
                    names.retain(|n| c.contains(n));
                    names
                }
            });
        }
        let candidates = candidates?;
        let mut votes: VecMap<String, usize> = VecMap::new();
        for m in members.values() {
            if let Some(v) = m.vote(&candidates) {
                *votes.entry(v).or_insert(0) += 1;
            }
        }
        let max = votes.values().copied().max()?;
        votes.into_iter().find(|(_, n)| *n == max).map(|(p, _)| p)
    }

    fn supports_protocols(&self, protocol_type: &str, protocols: &[JoinProtocol]) -> bool {
        if protocol_type.is_empty() || protocols.is_empty() {
            return false;
        }
        if self.state == GroupState::Empty || self.members.is_empty() {
            return true;
        }
        self.protocol_type.as_deref() == Some(protocol_type)
            && protocols.iter().any(|p| {
                self.members
                    .values()
                    .all(|m| m.protocols.iter().any(|q| q.name == p.name))
            })
    }

    fn group_metadata_record(&self) -> CoordinatorRecord {
        self.group_metadata_record_with(None)
    }

    /// The GroupMetadata record, with `given` as the members' assignment when there is one.
    fn group_metadata_record_with(&self, given: Option<&VecMap<String, Vec<TopicPartition>>>) -> CoordinatorRecord {
        CoordinatorRecord::GroupMetadata {
            group_id: self.group_id.clone(),
            generation_id: self.generation_id,
            protocol_type: self.protocol_type.clone(),
            protocol: self.protocol.clone(),
            leader: self.leader.clone(),
            members: self
                .members
                .values()
                .map(|m| MemberRecord {
                    member_id: m.member_id.clone(),
                    client_id: m.client_id.clone(),
                    session_timeout_ms: m.session_timeout_ms,
                    rebalance_timeout_ms: m.rebalance_timeout_ms,
                    protocols: m.protocols.clone(),
                    assignment: match given {
                        Some(g) => g.get(&m.member_id).cloned().unwrap_or_default(),
                        None => m.assignment.clone(),
                    },
                    group_instance_id: m.group_instance_id.clone(),
                })
                .collect(),
        }
    }

    /// The member id that holds `group.instance.id` `instance` (`ClassicGroup.staticMemberId`).
    pub fn static_member_id(&self, instance: &str) -> Option<&str> {
        self.members.values().find(|m| m.group_instance_id.as_deref() == Some(instance)).map(|m| m.member_id.as_str())
    }

    /// `ClassicGroup.validateMember`: a static member's instance id must map to its member id
    /// (else FENCED_INSTANCE_ID: another member took the instance over; UNKNOWN_MEMBER_ID when
    /// no member holds it); a dynamic member must exist.
    fn validate_member(&self, member_id: &str, group_instance_id: Option<&str>) -> ErrorCode {
        match group_instance_id {
            Some(instance) => match self.static_member_id(instance) {
                None => ErrorCode::UnknownMemberId,
                Some(id) if id != member_id => ErrorCode::FencedInstanceId,
                Some(_) => ErrorCode::None,
            },
            None if self.members.contains_key(member_id) => ErrorCode::None,
            None => ErrorCode::UnknownMemberId,
        }
    }

    // ----- rebalance machinery -----

    fn prepare_rebalance(&mut self, now_ms: u64, reason: &str, out: &mut Vec<Output>) {
        if !GroupState::PreparingRebalance.can_transition_from(self.state) {
            return;
        }
        if self.state == GroupState::CompletingRebalance {
            // Reset assignments and tell members waiting in SyncGroup to rejoin.
            let parked: Vec<(Endpoint, u64)> = self
                .members
                .values()
                .filter_map(|m| m.awaiting_sync.map(|c| (m.endpoint.clone(), c)))
                .collect();
            for (to, corr) in parked {
                self.respond(
                    now_ms,
                    to,
                    corr,
                    Response::SyncGroup {
                        error: ErrorCode::RebalanceInProgress,
                        partitions: Vec::new(),
                    },
                    out,
                );
            }
            for m in self.members.values_mut() {
                m.awaiting_sync = None;
                m.assignment.clear();
            }
        }
        self.pending_sync.clear();
        self.sync_deadline_ms = None;
        self.pending_assignment = None;
        let rebalance_timeout_ms = self.rebalance_timeout_ms();
        self.join_timer = Some(if self.state == GroupState::Empty {
            let delay_ms = self.config.initial_rebalance_delay_ms;
            JoinTimer::Initial {
                deadline_ms: now_ms.saturating_add(delay_ms),
                delay_ms,
                remaining_ms: rebalance_timeout_ms.saturating_sub(delay_ms),
            }
        } else {
            JoinTimer::Rebalance {
                deadline_ms: now_ms.saturating_add(rebalance_timeout_ms),
            }
        });
        self.event(
            now_ms,
            GroupEvent::RebalanceStarted {
                group_id: self.group_id.clone(),
                generation_id: self.generation_id,
                reason: reason.to_string(),
            },
            out,
        );
        self.transition(now_ms, GroupState::PreparingRebalance, out);
    }

    /// Completes the join phase when every member (and no pending one) has joined, whatever
    /// the join timer (`GroupMetadataManager`'s member-removal paths).
    fn complete_join_if_all_joined(&mut self, now_ms: u64, out: &mut Vec<Output>) {
        if self.state == GroupState::PreparingRebalance && self.has_all_members_joined() {
            self.complete_join(now_ms, out);
        }
    }

    fn try_complete_join(&mut self, now_ms: u64, out: &mut Vec<Output>) {
        if self.state == GroupState::PreparingRebalance
            && matches!(self.join_timer, Some(JoinTimer::Rebalance { .. }))
            && self.has_all_members_joined()
        {
            self.complete_join(now_ms, out);
        }
    }

    /// `onCompleteJoin`: drop members that did not rejoin, bump the generation, answer the joins.
    fn complete_join(&mut self, now_ms: u64, out: &mut Vec<Output>) {
        self.join_timer = None;
        // `notYetRejoinedDynamicMembers`: a static member that did not rejoin stays (with its
        // old assignment in the leader's view) until its session times out.
        let missing: Vec<String> = self
            .members
            .values()
            .filter(|m| m.awaiting_join.is_none() && m.group_instance_id.is_none())
            .map(|m| m.member_id.clone())
            .collect();
        for id in missing {
            self.remove_member(
                now_ms,
                &id,
                "did not rejoin before the rebalance timeout",
                out,
            );
        }
        for m in self.members.values().filter(|m| m.awaiting_join.is_none()) {
            out.push(Output::OwnershipStale { group_id: self.group_id.clone(), client_id: m.client_id.clone(), member_id: m.member_id.clone(), at_ms: now_ms });
        }
        self.generation_id += 1;
        if self.members.is_empty() {
            self.protocol = None;
            self.leader = None;
            self.subscribed_topics = self.compute_subscribed_topics();
            self.transition(now_ms, GroupState::Empty, out);
            out.push(Output::AppendRecord(self.group_metadata_record()));
            self.event(
                now_ms,
                GroupEvent::GenerationStarted {
                    group_id: self.group_id.clone(),
                    generation_id: self.generation_id,
                    protocol: None,
                    leader: None,
                    members: 0,
                },
                out,
            );
            return;
        }
        self.protocol = Self::select_protocol(&self.members);
        self.subscribed_topics = self.compute_subscribed_topics();
        self.choose_leader();
        for m in self.members.values_mut() {
            m.assignment.clear();
        }
        // `completeClassicGroupJoin` writes no record for a group with members: the new
        // generation is persisted by the leader's SyncGroup (a failover before it loads the
        // previous generation).
        self.transition(now_ms, GroupState::CompletingRebalance, out);
        self.event(
            now_ms,
            GroupEvent::GenerationStarted {
                group_id: self.group_id.clone(),
                generation_id: self.generation_id,
                protocol: self.protocol.clone(),
                leader: self.leader.clone(),
                members: self.members.len(),
            },
            out,
        );
        let protocol = self.protocol.clone().unwrap_or_default();
        let leader = self.leader.clone().unwrap_or_default();
        let all: Vec<JoinResponseMember> = self
            .members
            .values()
            .map(|m| JoinResponseMember {
                member_id: m.member_id.clone(),
                metadata: m.metadata_for(&protocol),
            })
            .collect();
        let ids: Vec<String> = self.members.keys().cloned().collect();
        for id in ids {
            let Some(m) = self.members.get_mut(&id) else {
                continue;
            };
            let Some(corr) = m.awaiting_join.take() else {
                continue;
            };
            m.session_deadline_ms = now_ms.saturating_add(m.session_timeout_ms);
            m.is_new = false;
            let to = m.endpoint.clone();
            let resp = Response::JoinGroup {
                error: ErrorCode::None,
                generation_id: self.generation_id,
                protocol_name: Some(protocol.clone()),
                leader: leader.clone(),
                member_id: id.clone(),
                members: if id == leader {
                    all.clone()
                } else {
                    Vec::new()
                },
            };
            self.respond(now_ms, to, corr, resp, out);
        }
        // Pending sync: every member must SyncGroup within the rebalance timeout.
        self.pending_sync.clear();
        self.pending_sync.extend(self.members.keys().cloned());
        self.sync_deadline_ms = Some(now_ms.saturating_add(self.rebalance_timeout_ms()));
    }

    fn remove_member(&mut self, now_ms: u64, member_id: &str, reason: &str, out: &mut Vec<Output>) {
        let Some(removed) = self.members.remove(member_id) else {
            return;
        };
        if let Some(corr) = removed.awaiting_join {
            // A new member timing out with its JoinGroup parked gets UNKNOWN_MEMBER_ID, so that
            // a consumer still alive joins again (`removeMemberAndUpdateClassicGroup`).
            let resp = Response::JoinGroup {
                error: ErrorCode::UnknownMemberId,
                generation_id: -1,
                protocol_name: None,
                leader: String::new(),
                member_id: String::new(),
                members: Vec::new(),
            };
            self.respond(now_ms, removed.endpoint.clone(), corr, resp, out);
        }
        out.push(Output::MemberRemoved {
            group_id: self.group_id.clone(),
            client_id: removed.client_id,
            member_id: member_id.to_string(),
            at_ms: now_ms,
        });
        self.pending_sync.remove(member_id);
        if self.leader.as_deref() == Some(member_id) {
            self.leader = None;
            self.choose_leader();
        }
        self.event(
            now_ms,
            GroupEvent::MemberRemoved {
                group_id: self.group_id.clone(),
                member_id: member_id.to_string(),
                reason: reason.to_string(),
            },
            out,
        );
    }

    /// `removeMemberAndUpdateGroup`.
    fn remove_member_and_update(
        &mut self,
        now_ms: u64,
        member_id: &str,
        reason: &str,
        out: &mut Vec<Output>,
    ) {
        self.remove_member(now_ms, member_id, reason, out);
        match self.state {
            GroupState::Stable | GroupState::CompletingRebalance => self.prepare_rebalance(
                now_ms,
                &format!("removing member {member_id}: {reason}"),
                out,
            ),
            // `removeMemberAndUpdateClassicGroup`: complete the join if everyone left has joined,
            // also during the initial delay.
            GroupState::PreparingRebalance => self.complete_join_if_all_joined(now_ms, out),
            GroupState::Empty | GroupState::Dead => {}
        }
    }

    // ----- entry points -----

    /// Handles an incoming message (requests addressed to this broker; anything else is ignored).
    pub fn handle_message(&mut self, now_ms: u64, msg: &Message) -> Vec<Output> {
        let mut out = Vec::new();
        let Body::Request(req) = &msg.body else {
            return out;
        };
        let from = msg.from.clone();
        let corr = msg.correlation_id;
        if !self.active || req.group_id() != self.group_id {
            self.respond(
                now_ms,
                from,
                corr,
                req.error_response(ErrorCode::NotCoordinator),
                &mut out,
            );
            return out;
        }
        if self.loading_until_ms.is_some_and(|t| now_ms < t) && !matches!(req, Request::FindCoordinator { .. }) {
            self.respond(now_ms, from, corr, req.error_response(ErrorCode::CoordinatorLoadInProgress), &mut out);
            return out;
        }
        if self.state == GroupState::Dead && !matches!(req, Request::OffsetFetch { .. }) {
            self.respond(
                now_ms,
                from,
                corr,
                req.error_response(ErrorCode::CoordinatorNotAvailable),
                &mut out,
            );
            return out;
        }
        match req {
            Request::FindCoordinator { .. } => {
                let resp = Response::FindCoordinator {
                    error: ErrorCode::None,
                    coordinator_id: Some(self.broker_id),
                };
                self.respond(now_ms, from, corr, resp, &mut out);
            }
            Request::JoinGroup {
                member_id,
                client_id,
                group_instance_id,
                protocol_type,
                protocols,
                session_timeout_ms,
                rebalance_timeout_ms,
                ..
            } => self.handle_join(
                now_ms,
                from,
                corr,
                JoinArgs {
                    member_id,
                    client_id,
                    group_instance_id: group_instance_id.as_deref(),
                    protocol_type,
                    protocols,
                    session_timeout_ms: *session_timeout_ms,
                    rebalance_timeout_ms: *rebalance_timeout_ms,
                },
                &mut out,
            ),
            Request::SyncGroup {
                generation_id,
                member_id,
                group_instance_id,
                protocol_name,
                assignments,
                ..
            } => {
                let fenced = self.validate_member(member_id, group_instance_id.as_deref());
                if group_instance_id.is_some() && fenced != ErrorCode::None {
                    let resp = Response::SyncGroup { error: fenced, partitions: Vec::new() };
                    self.respond(now_ms, from, corr, resp, &mut out);
                    return out;
                }
                self.handle_sync(now_ms, from, corr, *generation_id, member_id, protocol_name, assignments, &mut out)
            }
            Request::Heartbeat {
                generation_id,
                member_id,
                group_instance_id,
                ..
            } => {
                let fenced = self.validate_member(member_id, group_instance_id.as_deref());
                let error = if group_instance_id.is_some() && fenced != ErrorCode::None {
                    fenced
                } else {
                    self.handle_heartbeat(now_ms, *generation_id, member_id)
                };
                self.respond(now_ms, from, corr, Response::Heartbeat { error }, &mut out);
            }
            Request::LeaveGroup {
                member_id, reason, ..
            } => {
                let error = if self.pending_members.remove(member_id).is_some() {
                    self.try_complete_join(now_ms, &mut out);
                    ErrorCode::None
                } else if self.members.contains_key(member_id) {
                    self.remove_member_and_update(
                        now_ms,
                        member_id,
                        &format!("LeaveGroup: {reason}"),
                        &mut out,
                    );
                    ErrorCode::None
                } else {
                    ErrorCode::UnknownMemberId
                };
                self.respond(now_ms, from, corr, Response::LeaveGroup { error }, &mut out);
            }
            Request::OffsetCommit {
                generation_id,
                member_id,
                group_instance_id,
                offsets,
                ..
            } => {
                let fenced = self.validate_member(member_id, group_instance_id.as_deref());
                let error = if group_instance_id.is_some() && fenced != ErrorCode::None {
                    fenced
                } else {
                    self.validate_offset_commit(*generation_id, member_id)
                };
                if error == ErrorCode::None {
                    self.commit(now_ms, member_id, offsets, &mut out);
                }
                let results = offsets.iter().map(|o| (o.tp.clone(), error)).collect();
                self.respond(
                    now_ms,
                    from,
                    corr,
                    Response::OffsetCommit { results },
                    &mut out,
                );
            }
            Request::OffsetFetch { partitions, .. } => {
                let resp = if self.state == GroupState::Dead {
                    Response::OffsetFetch {
                        error: ErrorCode::GroupIdNotFound,
                        offsets: Vec::new(),
                    }
                } else {
                    Response::OffsetFetch {
                        error: ErrorCode::None,
                        offsets: partitions
                            .iter()
                            .map(|tp| (tp.clone(), self.committed.get(tp).map(|c| c.offset)))
                            .collect(),
                    }
                };
                self.respond(now_ms, from, corr, resp, &mut out);
            }
            // A consumer-protocol heartbeat the group layer did not convert the group for (the
            // migration policy refused it) gets what Kafka answers for a group that is not a
            // consumer group; share-group requests never reach a consumer group's coordinator.
            Request::ConsumerGroupHeartbeat { .. } | Request::ShareGroupHeartbeat { .. } | Request::ShareFetch { .. } | Request::ShareAcknowledge { .. } => {
                self.respond(now_ms, from, corr, req.error_response(ErrorCode::GroupIdNotFound), &mut out);
            }
        }
        out
    }

    /// An offset commit record is committed (the HW of `__consumer_offsets` passed it): from
    /// now on OffsetFetch returns it (Kafka's `CoordinatorRuntime` reads the state at the last
    /// committed offset; `OffsetMetadataManager.replay` of the record).
    pub fn apply_committed(&mut self, tp: &TopicPartition, committed: CommittedOffset) {
        self.committed_version += 1;
        if committed.offset == OFFSET_TOMBSTONE {
            self.committed.remove(tp);
        } else {
            self.committed.insert(tp.clone(), committed);
        }
    }

    /// The generation whose GroupMetadata write (the leader's SyncGroup) is not yet committed.
    pub fn awaiting_group_metadata(&self) -> Option<i32> {
        self.pending_assignment.as_ref().map(|(g, _)| *g)
    }

    /// The leader's GroupMetadata write of generation `generation_id` completed
    /// (`classicGroupSyncToLeader`'s `appendFuture`): on success the assignment is set, the
    /// group becomes Stable and every parked SyncGroup is answered; on `error` (already mapped
    /// by `appendGroupMetadataErrorToResponseError`) the parked SyncGroups get it and the group
    /// rebalances. Ignored unless the group is still CompletingRebalance in that generation.
    pub fn group_metadata_written(&mut self, now_ms: u64, generation_id: i32, error: ErrorCode) -> Vec<Output> {
        let mut out = Vec::new();
        if self.state != GroupState::CompletingRebalance || self.generation_id != generation_id || self.awaiting_group_metadata() != Some(generation_id) {
            return out;
        }
        let Some((_, given)) = self.pending_assignment.take() else { return out };
        if error != ErrorCode::None {
            // `resetAndPropagateAssignmentWithError` then `maybePrepareRebalanceOrCompleteJoin`.
            let parked: Vec<(Endpoint, u64)> = self.members.values().filter_map(|m| m.awaiting_sync.map(|c| (m.endpoint.clone(), c))).collect();
            for m in self.members.values_mut() {
                m.awaiting_sync = None;
                m.assignment.clear();
            }
            for (to, c) in parked {
                self.respond(now_ms, to, c, Response::SyncGroup { error, partitions: Vec::new() }, &mut out);
            }
            let reason = format!("Error {} when storing group assignment during SyncGroup", error.name());
            self.prepare_rebalance(now_ms, &reason, &mut out);
            return out;
        }
        for m in self.members.values_mut() {
            m.assignment = given.get(&m.member_id).cloned().unwrap_or_default();
        }
        self.transition(now_ms, GroupState::Stable, &mut out);
        self.event(now_ms, GroupEvent::RebalanceCompleted { group_id: self.group_id.clone(), generation_id: self.generation_id }, &mut out);
        let parked: Vec<(Endpoint, u64, Vec<TopicPartition>)> =
            self.members.values().filter_map(|m| m.awaiting_sync.map(|c| (m.endpoint.clone(), c, m.assignment.clone()))).collect();
        for m in self.members.values_mut() {
            m.awaiting_sync = None;
        }
        for (to, c, partitions) in parked {
            self.respond(now_ms, to, c, Response::SyncGroup { error: ErrorCode::None, partitions }, &mut out);
        }
        if self.pending_sync.is_empty() {
            self.sync_deadline_ms = None;
        }
        out
    }

    /// `ClassicGroup.validateOffsetCommit`.
    pub fn validate_offset_commit(&self, generation_id: i32, member_id: &str) -> ErrorCode {
        if self.state == GroupState::Dead {
            return ErrorCode::CoordinatorNotAvailable;
        }
        if generation_id < 0 && self.state == GroupState::Empty {
            return ErrorCode::None;
        }
        if generation_id >= 0 || !member_id.is_empty() {
            if !self.members.contains_key(member_id) {
                return ErrorCode::UnknownMemberId;
            }
            if generation_id != self.generation_id {
                return ErrorCode::IllegalGeneration;
            }
        } else if self.state != GroupState::Empty {
            return ErrorCode::UnknownMemberId;
        }
        if self.state == GroupState::CompletingRebalance {
            return ErrorCode::RebalanceInProgress;
        }
        ErrorCode::None
    }

    /// Online upgrade (`convertToConsumerGroup`): the members move to the consumer group that
    /// replaces this classic group. Parked JoinGroup and SyncGroup requests are answered
    /// REBALANCE_IN_PROGRESS (`completeAllJoinFutures`, `completeAllSyncFutures`), the
    /// membership is written away (an empty GroupMetadata record stands for Kafka's group
    /// tombstone) and the group is Empty again, keeping its committed offsets, which a consumer
    /// group shares. Returns the generation, the selected protocol and the members with their
    /// last assignment.
    pub fn hand_over_members(&mut self, now_ms: u64) -> (i32, String, Vec<ClassicMemberSnapshot>, Vec<Output>) {
        let mut out = Vec::new();
        let mut members = Vec::new();
        for m in self.members.values() {
            if let Some(c) = m.awaiting_join {
                let resp = Response::JoinGroup { error: ErrorCode::RebalanceInProgress, generation_id: -1, protocol_name: None, leader: String::new(), member_id: m.member_id.clone(), members: Vec::new() };
                self.respond(now_ms, m.endpoint.clone(), c, resp, &mut out);
            }
            if let Some(c) = m.awaiting_sync {
                self.respond(now_ms, m.endpoint.clone(), c, Response::SyncGroup { error: ErrorCode::RebalanceInProgress, partitions: Vec::new() }, &mut out);
            }
            members.push(ClassicMemberSnapshot {
                member_id: m.member_id.clone(),
                instance_id: m.group_instance_id.clone(),
                client_id: m.client_id.clone(),
                rebalance_timeout_ms: m.rebalance_timeout_ms,
                session_timeout_ms: m.session_timeout_ms,
                protocols: m.protocols.clone(),
                assignment: m.assignment.clone(),
            });
        }
        let protocol = self.protocol.clone().or_else(|| Self::select_protocol(&self.members)).unwrap_or_default();
        let generation_id = self.generation_id;
        self.members.clear();
        self.pending_members.clear();
        self.join_timer = None;
        self.new_member_added = false;
        self.pending_sync.clear();
        self.sync_deadline_ms = None;
        self.pending_assignment = None;
        self.leader = None;
        self.protocol = None;
        self.subscribed_topics = self.compute_subscribed_topics();
        self.state = GroupState::Empty;
        self.state_since_ms = now_ms;
        out.push(Output::AppendRecord(self.group_metadata_record()));
        (generation_id, protocol, members, out)
    }

    /// Online downgrade (`convertToClassicGroup`, `ClassicGroup.fromConsumerGroup`): this
    /// (Empty) classic group takes the consumer group's members at `generation_id`, Stable with
    /// each one's assignment, no leader, sessions starting now; with `rebalance` a rebalance
    /// is prepared at once for that reason.
    pub fn adopt_members(&mut self, now_ms: u64, generation_id: i32, members: &[ClassicMemberSnapshot], rebalance: Option<&str>) -> Vec<Output> {
        let mut out = Vec::new();
        self.members.clear();
        for s in members {
            self.join_seq += 1;
            let m = GroupMember {
                member_id: s.member_id.clone(),
                client_id: s.client_id.clone(),
                endpoint: Endpoint::Client(s.client_id.clone()),
                protocols: s.protocols.clone(),
                session_timeout_ms: s.session_timeout_ms,
                rebalance_timeout_ms: s.rebalance_timeout_ms,
                session_deadline_ms: now_ms.saturating_add(s.session_timeout_ms),
                awaiting_join: None,
                awaiting_sync: None,
                assignment: s.assignment.clone(),
                join_seq: self.join_seq,
                group_instance_id: s.instance_id.clone(),
                is_new: false,
            };
            self.members.insert(m.member_id.clone(), m);
        }
        self.generation_id = generation_id;
        self.protocol_type = Some(CONSUMER_PROTOCOL_TYPE.to_string());
        self.protocol = Self::select_protocol(&self.members);
        self.leader = None;
        self.subscribed_topics = self.compute_subscribed_topics();
        self.state = GroupState::Stable;
        self.state_since_ms = now_ms;
        out.push(Output::AppendRecord(self.group_metadata_record()));
        if let Some(reason) = rebalance {
            self.prepare_rebalance(now_ms, reason, &mut out);
        }
        out
    }

    /// `ClassicGroup.usesConsumerGroupProtocol`: the group's protocol type is `consumer`.
    pub fn uses_consumer_group_protocol(&self) -> bool {
        self.protocol_type.as_deref() == Some(CONSUMER_PROTOCOL_TYPE)
    }

    /// `ClassicGroup.computeSubscribedTopics`: the union of the members' subscriptions for the
    /// selected protocol; empty without members; `None` unless the protocol type is `consumer`
    /// and a protocol is selected.
    fn compute_subscribed_topics(&self) -> Option<VecSet<String>> {
        if !self.uses_consumer_group_protocol() {
            return None;
        }
        if self.members.is_empty() {
            return Some(VecSet::new());
        }
        let protocol = self.protocol.as_deref()?;
        let mut topics = VecSet::new();
        for m in self.members.values() {
            topics.extend(m.metadata_for(protocol).topics);
        }
        Some(topics)
    }

    /// `ClassicGroup.isSubscribedToTopic`: the topic is in the subscribed topics of the last
    /// generation; when those are unknown, every topic counts as subscribed for a `consumer`
    /// protocol group.
    pub fn is_subscribed_to_topic(&self, topic: &str) -> bool {
        self.subscribed_topics.as_ref().map_or_else(|| self.uses_consumer_group_protocol(), |t| t.contains(topic))
    }

    /// `ClassicGroup.validateOffsetDelete`: a Dead group is not found; a group with members
    /// (Stable, PreparingRebalance, CompletingRebalance) refuses with NON_EMPTY_GROUP unless its
    /// protocol type is `consumer` (then the per-topic rule of [`Self::offset_delete_results`]
    /// protects what it consumes).
    pub fn validate_offset_delete(&self) -> ErrorCode {
        match self.state {
            GroupState::Dead => ErrorCode::GroupIdNotFound,
            GroupState::Stable | GroupState::PreparingRebalance | GroupState::CompletingRebalance if !self.uses_consumer_group_protocol() => ErrorCode::NonEmptyGroup,
            _ => ErrorCode::None,
        }
    }

    /// What an Admin request gets before the group looks at it, as [`Self::handle_message`]
    /// answers any request: NOT_COORDINATOR once unloaded, COORDINATOR_LOAD_IN_PROGRESS while
    /// the group is being loaded, NONE otherwise.
    pub fn admin_request_error(&self, now_ms: u64) -> ErrorCode {
        if !self.active {
            ErrorCode::NotCoordinator
        } else if self.loading_until_ms.is_some_and(|t| now_ms < t) {
            ErrorCode::CoordinatorLoadInProgress
        } else {
            ErrorCode::None
        }
    }

    /// The Admin client's OffsetCommit (`Admin.alterConsumerGroupOffsets`): generation -1, an
    /// empty member id and no `group.instance.id`, validated by
    /// [`Self::validate_offset_commit`] (`ClassicGroup.validateOffsetCommit`: accepted only
    /// while the group is Empty; UNKNOWN_MEMBER_ID otherwise, COORDINATOR_NOT_AVAILABLE when
    /// Dead). On success: the offset records to append and their `Committed` events (empty
    /// member id), exactly as a member's commit; nothing changes on an error.
    pub fn admin_offset_commit(&mut self, now_ms: u64, offsets: &[OffsetCommitEntry]) -> Result<Vec<Output>, ErrorCode> {
        let error = match self.admin_request_error(now_ms) {
            ErrorCode::None => self.validate_offset_commit(-1, ""),
            e => e,
        };
        if error != ErrorCode::None {
            return Err(error);
        }
        let mut out = Vec::new();
        self.commit(now_ms, "", offsets, &mut out);
        Ok(out)
    }

    /// The coordinator's rule for an OffsetDelete (`OffsetMetadataManager.deleteOffsets`): the
    /// group-level check ([`Self::admin_request_error`], then [`Self::validate_offset_delete`])
    /// fails the whole request; otherwise each partition of a topic the group subscribes to
    /// ([`Self::is_subscribed_to_topic`]) gets GROUP_SUBSCRIBED_TO_TOPIC and every other one
    /// NONE. Read-only: the tools print these outcomes, [`Self::delete_offsets`] applies them.
    pub fn offset_delete_results(&self, now_ms: u64, partitions: &[TopicPartition]) -> Result<OffsetDeleteResults, ErrorCode> {
        let error = match self.admin_request_error(now_ms) {
            ErrorCode::None => self.validate_offset_delete(),
            e => e,
        };
        if error != ErrorCode::None {
            return Err(error);
        }
        Ok(partitions
            .iter()
            .map(|tp| {
                let e = if self.is_subscribed_to_topic(&tp.topic) { ErrorCode::GroupSubscribedToTopic } else { ErrorCode::None };
                (tp.clone(), e)
            })
            .collect())
    }

    /// OffsetDelete: the outcomes of [`Self::offset_delete_results`], and for each partition
    /// allowed whose offset is committed (or, `pending`, appended and not yet replicated) a
    /// tombstone for `__consumer_offsets` ("a tombstone is written if an offset is present") and
    /// one `OffsetsDeleted` event. The cache forgets the offsets once the tombstones are
    /// replicated ([`Self::apply_committed`]).
    pub fn delete_offsets(
        &mut self,
        now_ms: u64,
        partitions: &[TopicPartition],
        pending: impl Fn(&TopicPartition) -> bool,
    ) -> Result<(OffsetDeleteResults, Vec<Output>), ErrorCode> {
        let results = self.offset_delete_results(now_ms, partitions)?;
        let mut out = Vec::new();
        let mut deleted: Vec<TopicPartition> = Vec::new();
        for (tp, e) in &results {
            if *e == ErrorCode::None && (self.committed.contains_key(tp) || pending(tp)) && !deleted.contains(tp) {
                deleted.push(tp.clone());
                out.push(self.tombstone(tp, now_ms));
            }
        }
        if !deleted.is_empty() {
            self.event(now_ms, GroupEvent::OffsetsDeleted { group_id: self.group_id.clone(), partitions: deleted }, &mut out);
        }
        Ok((results, out))
    }

    fn commit(
        &mut self,
        now_ms: u64,
        member_id: &str,
        offsets: &[OffsetCommitEntry],
        out: &mut Vec<Output>,
    ) {
        // The cache is not touched here: the driver applies the record once it is committed
        // ([`Self::apply_committed`]), as Kafka's coordinator reads at the last committed offset.
        for o in offsets {
            out.push(Output::AppendRecord(CoordinatorRecord::OffsetCommit {
                group_id: self.group_id.clone(),
                tp: o.tp.clone(),
                offset: o.offset,
                metadata: o.metadata.clone(),
                commit_timestamp_ms: now_ms,
            }));
            self.event(
                now_ms,
                GroupEvent::Committed {
                    group_id: self.group_id.clone(),
                    member_id: member_id.to_string(),
                    tp: o.tp.clone(),
                    offset: o.offset,
                },
                out,
            );
        }
    }

    fn handle_heartbeat(&mut self, now_ms: u64, generation_id: i32, member_id: &str) -> ErrorCode {
        let state = self.state;
        let current_generation = self.generation_id;
        let Some(m) = self.members.get_mut(member_id) else {
            return ErrorCode::UnknownMemberId;
        };
        if generation_id != current_generation {
            return ErrorCode::IllegalGeneration;
        }
        match state {
            GroupState::Empty => ErrorCode::UnknownMemberId,
            GroupState::Dead => ErrorCode::CoordinatorNotAvailable,
            GroupState::PreparingRebalance => {
                m.session_deadline_ms = now_ms.saturating_add(m.session_timeout_ms);
                ErrorCode::RebalanceInProgress
            }
            GroupState::CompletingRebalance | GroupState::Stable => {
                m.session_deadline_ms = now_ms.saturating_add(m.session_timeout_ms);
                ErrorCode::None
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn handle_sync(
        &mut self,
        now_ms: u64,
        from: Endpoint,
        corr: u64,
        generation_id: i32,
        member_id: &str,
        protocol_name: &str,
        assignments: &[SyncAssignment],
        out: &mut Vec<Output>,
    ) {
        let reply =
            |s: &Self, error: ErrorCode, partitions: Vec<TopicPartition>, out: &mut Vec<Output>| {
                s.respond(
                    now_ms,
                    from.clone(),
                    corr,
                    Response::SyncGroup { error, partitions },
                    out,
                )
            };
        if !self.members.contains_key(member_id) {
            return reply(self, ErrorCode::UnknownMemberId, Vec::new(), out);
        }
        if generation_id != self.generation_id {
            return reply(self, ErrorCode::IllegalGeneration, Vec::new(), out);
        }
        if self.protocol.as_deref().is_some_and(|p| p != protocol_name) {
            return reply(self, ErrorCode::InconsistentGroupProtocol, Vec::new(), out);
        }
        match self.state {
            GroupState::Empty => reply(self, ErrorCode::UnknownMemberId, Vec::new(), out),
            GroupState::Dead => reply(self, ErrorCode::CoordinatorNotAvailable, Vec::new(), out),
            GroupState::PreparingRebalance => {
                reply(self, ErrorCode::RebalanceInProgress, Vec::new(), out)
            }
            GroupState::CompletingRebalance => {
                self.pending_sync.remove(member_id);
                if let Some(m) = self.members.get_mut(member_id) {
                    m.awaiting_sync = Some(corr);
                    m.endpoint = from.clone();
                    m.session_deadline_ms = now_ms.saturating_add(m.session_timeout_ms);
                }
                if self.leader.as_deref() == Some(member_id) && self.pending_assignment.is_none() {
                    // `classicGroupSyncToLeader`: the assignment is written in a GroupMetadata
                    // record; the group becomes Stable and the SyncGroups are answered when the
                    // write is committed ([`Self::group_metadata_written`]).
                    let mut given: VecMap<String, Vec<TopicPartition>> = VecMap::new();
                    for a in assignments {
                        if self.members.contains_key(&a.member_id) {
                            given.insert(a.member_id.clone(), a.partitions.clone());
                        }
                    }
                    out.push(Output::AppendRecord(self.group_metadata_record_with(Some(&given))));
                    self.pending_assignment = Some((self.generation_id, given));
                }
            }
            GroupState::Stable => {
                self.pending_sync.remove(member_id);
                if self.pending_sync.is_empty() {
                    self.sync_deadline_ms = None;
                }
                let partitions = self
                    .members
                    .get(member_id)
                    .map(|m| m.assignment.clone())
                    .unwrap_or_default();
                if let Some(m) = self.members.get_mut(member_id) {
                    m.session_deadline_ms = now_ms.saturating_add(m.session_timeout_ms);
                }
                reply(self, ErrorCode::None, partitions, out)
            }
        }
    }

    fn join_response_for(&self, member_id: &str) -> Response {
        let protocol = self.protocol.clone().unwrap_or_default();
        let leader = self.leader.clone().unwrap_or_default();
        let members = if leader == member_id {
            self.members
                .values()
                .map(|m| JoinResponseMember {
                    member_id: m.member_id.clone(),
                    metadata: m.metadata_for(&protocol),
                })
                .collect()
        } else {
            Vec::new()
        };
        Response::JoinGroup {
            error: ErrorCode::None,
            generation_id: self.generation_id,
            protocol_name: Some(protocol),
            leader,
            member_id: member_id.to_string(),
            members,
        }
    }

    fn handle_join(
        &mut self,
        now_ms: u64,
        from: Endpoint,
        corr: u64,
        a: JoinArgs<'_>,
        out: &mut Vec<Output>,
    ) {
        self.event(
            now_ms,
            GroupEvent::JoinGroupReceived {
                group_id: self.group_id.clone(),
                member_id: a.member_id.clone(),
                client_id: a.client_id.clone(),
            },
            out,
        );
        let fail = |s: &Self, error: ErrorCode, out: &mut Vec<Output>| {
            let resp = Response::JoinGroup {
                error,
                generation_id: -1,
                protocol_name: None,
                leader: String::new(),
                member_id: a.member_id.clone(),
                members: Vec::new(),
            };
            s.respond(now_ms, from.clone(), corr, resp, out)
        };
        if a.session_timeout_ms < self.config.min_session_timeout_ms
            || a.session_timeout_ms > self.config.max_session_timeout_ms
        {
            return fail(self, ErrorCode::InvalidSessionTimeout, out);
        }
        if !self.supports_protocols(a.protocol_type, a.protocols) {
            return fail(self, ErrorCode::InconsistentGroupProtocol, out);
        }
        if a.member_id.is_empty() {
            if let Some(instance) = a.group_instance_id {
                // `classicGroupJoinNewStaticMember`: no MEMBER_ID_REQUIRED round trip.
                let new_id = self.new_member_id(instance);
                if let Some(old_id) = self.static_member_id(instance).map(str::to_string) {
                    return self.update_static_member_then_rebalance_or_complete_join(now_ms, from, corr, &a, &old_id, new_id, out);
                }
                if self.members.len() + self.pending_members.len() >= self.config.max_size.min(MAX_GROUP_MEMBERS) {
                    return fail(self, ErrorCode::GroupMaxSizeReached, out);
                }
                let args = JoinArgs { member_id: &new_id, ..a };
                return self.add_member_and_rebalance(now_ms, from, corr, &args, out);
            }
            if self.members.len() + self.pending_members.len() >= self.config.max_size.min(MAX_GROUP_MEMBERS) {
                // `classicGroupJoinNewMember`: the group is full.
                return fail(self, ErrorCode::GroupMaxSizeReached, out);
            }
            // KIP-394: hand out a member id and make the client come back with it.
            let id = self.new_member_id(a.client_id);
            self.pending_members
                .insert(id.clone(), now_ms.saturating_add(a.session_timeout_ms));
            self.event(
                now_ms,
                GroupEvent::MemberIdRequired {
                    group_id: self.group_id.clone(),
                    member_id: id.clone(),
                },
                out,
            );
            let resp = Response::JoinGroup {
                error: ErrorCode::MemberIdRequired,
                generation_id: -1,
                protocol_name: None,
                leader: String::new(),
                member_id: id,
                members: Vec::new(),
            };
            return self.respond(now_ms, from, corr, resp, out);
        }
        if self.pending_members.remove(a.member_id).is_some() {
            self.add_member_and_rebalance(now_ms, from, corr, &a, out);
            return;
        }
        // `classicGroupJoinExistingMember` → `validateMember`.
        let valid = self.validate_member(a.member_id, a.group_instance_id);
        if valid != ErrorCode::None {
            return fail(self, valid, out);
        }
        let is_leader = self.leader.as_deref() == Some(a.member_id.as_str());
        let same = self
            .members
            .get(a.member_id)
            .is_some_and(|m| m.same_protocols(a.protocols));
        match self.state {
            GroupState::PreparingRebalance => {
                self.update_member_and_rebalance(now_ms, from, corr, &a, out)
            }
            GroupState::CompletingRebalance => {
                if same {
                    let resp = self.join_response_for(a.member_id);
                    self.respond(now_ms, from, corr, resp, out)
                } else {
                    self.update_member_and_rebalance(now_ms, from, corr, &a, out)
                }
            }
            GroupState::Stable => {
                if is_leader || !same {
                    self.update_member_and_rebalance(now_ms, from, corr, &a, out)
                } else {
                    let resp = self.join_response_for(a.member_id);
                    self.respond(now_ms, from, corr, resp, out)
                }
            }
            GroupState::Empty | GroupState::Dead => fail(self, ErrorCode::UnknownMemberId, out),
        }
    }

    fn add_member_and_rebalance(
        &mut self,
        now_ms: u64,
        from: Endpoint,
        corr: u64,
        a: &JoinArgs<'_>,
        out: &mut Vec<Output>,
    ) {
        self.join_seq += 1;
        if self.members.is_empty() {
            self.protocol_type = Some(a.protocol_type.clone());
        }
        let member = GroupMember {
            member_id: a.member_id.clone(),
            client_id: a.client_id.clone(),
            endpoint: from,
            protocols: a.protocols.clone(),
            session_timeout_ms: a.session_timeout_ms,
            rebalance_timeout_ms: a.rebalance_timeout_ms,
            session_deadline_ms: now_ms.saturating_add(NEW_MEMBER_JOIN_TIMEOUT_MS),
            awaiting_join: Some(corr),
            awaiting_sync: None,
            assignment: Vec::new(),
            join_seq: self.join_seq,
            group_instance_id: a.group_instance_id.map(str::to_string),
            is_new: true,
        };
        self.members.insert(a.member_id.clone(), member);
        if self.leader.is_none() {
            self.leader = Some(a.member_id.clone());
        }
        self.event(
            now_ms,
            GroupEvent::MemberAdded {
                group_id: self.group_id.clone(),
                member_id: a.member_id.clone(),
            },
            out,
        );
        if self.state == GroupState::PreparingRebalance
            && matches!(self.join_timer, Some(JoinTimer::Initial { .. }))
        {
            self.new_member_added = true;
        }
        self.prepare_rebalance(now_ms, &format!("adding new member {}", a.member_id), out);
        self.try_complete_join(now_ms, out);
    }

    /// `updateStaticMemberThenRebalanceOrCompleteJoin`: a known `group.instance.id` joins with
    /// no member id (a restarted static member). Its member id is replaced
    /// (`replaceStaticMember`: a JoinGroup or SyncGroup the old id had parked is answered with
    /// FENCED_INSTANCE_ID) and its session restarts; then, by state: Stable and the selected
    /// protocol unchanged → no rebalance, the group metadata is rewritten and the member gets the
    /// current generation and its old assignment (a leader with `SkipAssignment`);
    /// CompletingRebalance → a new rebalance; PreparingRebalance → it joins the rebalance.
    #[allow(clippy::too_many_arguments)]
    fn update_static_member_then_rebalance_or_complete_join(
        &mut self,
        now_ms: u64,
        from: Endpoint,
        corr: u64,
        a: &JoinArgs<'_>,
        old_id: &str,
        new_id: String,
        out: &mut Vec<Output>,
    ) {
        let Some(mut m) = self.members.remove(old_id) else { return };
        if let Some(parked) = m.awaiting_join.take() {
            let resp = Response::JoinGroup {
                error: ErrorCode::FencedInstanceId,
                generation_id: -1,
                protocol_name: None,
                leader: String::new(),
                member_id: old_id.to_string(),
                members: Vec::new(),
            };
            self.respond(now_ms, m.endpoint.clone(), parked, resp, out);
        }
        if let Some(parked) = m.awaiting_sync.take() {
            let resp = Response::SyncGroup { error: ErrorCode::FencedInstanceId, partitions: Vec::new() };
            self.respond(now_ms, m.endpoint.clone(), parked, resp, out);
        }
        out.push(Output::MemberRemoved { group_id: self.group_id.clone(), client_id: m.client_id.clone(), member_id: old_id.to_string(), at_ms: now_ms });
        m.member_id = new_id.clone();
        m.client_id = a.client_id.clone();
        m.endpoint = from.clone();
        m.protocols = a.protocols.clone();
        m.session_timeout_ms = a.session_timeout_ms;
        m.rebalance_timeout_ms = a.rebalance_timeout_ms;
        m.session_deadline_ms = now_ms.saturating_add(a.session_timeout_ms);
        m.awaiting_join = Some(corr);
        self.members.insert(new_id.clone(), m);
        if self.leader.as_deref() == Some(old_id) {
            self.leader = Some(new_id.clone());
        }
        if self.pending_sync.remove(old_id) {
            self.pending_sync.insert(new_id.clone());
        }
        self.event(
            now_ms,
            GroupEvent::StaticMemberReplaced {
                group_id: self.group_id.clone(),
                group_instance_id: a.group_instance_id.unwrap_or_default().to_string(),
                old_member_id: old_id.to_string(),
                new_member_id: new_id.clone(),
            },
            out,
        );
        match self.state {
            GroupState::Stable if self.protocol == Self::select_protocol(&self.members) => {
                out.push(Output::AppendRecord(self.group_metadata_record()));
                let mut resp = self.join_response_for(&new_id);
                if let Response::JoinGroup { members, .. } = &mut resp {
                    // `SkipAssignment`: a rejoining static leader does not assign again.
                    members.clear();
                }
                if let Some(m) = self.members.get_mut(&new_id) {
                    m.awaiting_join = None;
                }
                self.respond(now_ms, from, corr, resp, out);
            }
            GroupState::Stable | GroupState::CompletingRebalance => {
                let reason = format!("updating metadata for static member {new_id} with instance id {}", a.group_instance_id.unwrap_or_default());
                self.prepare_rebalance(now_ms, &reason, out);
                self.try_complete_join(now_ms, out);
            }
            GroupState::PreparingRebalance => self.try_complete_join(now_ms, out),
            GroupState::Empty | GroupState::Dead => {}
        }
    }

    fn update_member_and_rebalance(
        &mut self,
        now_ms: u64,
        from: Endpoint,
        corr: u64,
        a: &JoinArgs<'_>,
        out: &mut Vec<Output>,
    ) {
        if let Some(m) = self.members.get_mut(a.member_id) {
            m.protocols = a.protocols.clone();
            m.session_timeout_ms = a.session_timeout_ms;
            m.rebalance_timeout_ms = a.rebalance_timeout_ms;
            m.awaiting_join = Some(corr);
            m.endpoint = from;
        }
        self.prepare_rebalance(
            now_ms,
            &format!("updating metadata for member {}", a.member_id),
            out,
        );
        self.try_complete_join(now_ms, out);
    }

    /// Fires every timer due at or before `now_ms`.
    pub fn handle_timeout(&mut self, now_ms: u64) -> Vec<Output> {
        let mut out = Vec::new();
        if !self.active {
            return out;
        }
        self.expire_offsets(now_ms, &mut out);
        // Pending (MEMBER_ID_REQUIRED) members that never came back.
        let expired_pending: Vec<String> = self
            .pending_members
            .iter()
            .filter(|(_, d)| **d <= now_ms)
            .map(|(id, _)| id.clone())
            .collect();
        for id in expired_pending {
            self.pending_members.remove(&id);
            self.event(
                now_ms,
                GroupEvent::MemberRemoved {
                    group_id: self.group_id.clone(),
                    member_id: id,
                    reason: "pending member did not rejoin".into(),
                },
                &mut out,
            );
            // `removePendingMemberAndUpdateClassicGroup`: a MEMBER_ID_REQUIRED id that times out
            // completes a join phase it alone was holding up, also during the initial delay.
            self.complete_join_if_all_joined(now_ms, &mut out);
        }
        // Session expiry (members parked in join/sync have a satisfied heartbeat).
        let expired: Vec<(String, u64)> = self
            .members
            .values()
            .filter(|m| {
                // `hasSatisfiedHeartbeat`: a new member can expire even while awaiting join.
                (m.is_new || (m.awaiting_join.is_none() && m.awaiting_sync.is_none()))
                    && m.session_deadline_ms <= now_ms
            })
            .map(|m| (m.member_id.clone(), m.session_timeout_ms))
            .collect();
        for (id, session_timeout_ms) in expired {
            self.event(
                now_ms,
                GroupEvent::HeartbeatExpired {
                    group_id: self.group_id.clone(),
                    member_id: id.clone(),
                    session_timeout_ms,
                },
                &mut out,
            );
            self.remove_member_and_update(now_ms, &id, "session timeout expired", &mut out);
        }
        // Join phase timer.
        if let Some(timer) = self.join_timer {
            if timer.deadline_ms() <= now_ms && self.state == GroupState::PreparingRebalance {
                match timer {
                    JoinTimer::Initial {
                        delay_ms,
                        remaining_ms,
                        ..
                    } if self.new_member_added && remaining_ms != 0 => {
                        self.new_member_added = false;
                        let delay = self.config.initial_rebalance_delay_ms.min(remaining_ms);
                        self.join_timer = Some(JoinTimer::Initial {
                            deadline_ms: now_ms.saturating_add(delay),
                            delay_ms: delay,
                            remaining_ms: remaining_ms.saturating_sub(delay_ms),
                        });
                    }
                    _ => {
                        self.new_member_added = false;
                        self.complete_join(now_ms, &mut out);
                    }
                }
            } else if timer.deadline_ms() <= now_ms {
                self.join_timer = None;
            }
        }
        // Pending-sync timeout: members that never sent SyncGroup are removed.
        if let Some(d) = self.sync_deadline_ms {
            if d <= now_ms {
                self.sync_deadline_ms = None;
                let laggards: Vec<String> =
                    std::mem::take(&mut self.pending_sync).into_iter().collect();
                if matches!(
                    self.state,
                    GroupState::CompletingRebalance | GroupState::Stable
                ) && !laggards.is_empty()
                {
                    for id in &laggards {
                        self.remove_member(
                            now_ms,
                            id,
                            "did not send SyncGroup before the rebalance timeout",
                            &mut out,
                        );
                    }
                    self.prepare_rebalance(
                        now_ms,
                        "members removed after pending sync timeout",
                        &mut out,
                    );
                }
            }
        }
        out
    }
}

#[derive(Clone, Copy)]
struct JoinArgs<'a> {
    member_id: &'a String,
    client_id: &'a String,
    group_instance_id: Option<&'a str>,
    protocol_type: &'a String,
    protocols: &'a Vec<JoinProtocol>,
    session_timeout_ms: u64,
    rebalance_timeout_ms: u64,
}
