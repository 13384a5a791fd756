//! Consumer-protocol groups (KIP-848) in the simulation: the `ConsumerGroupHeartbeat`s reaching a
//! group's coordinator, the target assignment computed by Kafka's server-side assignors over the
//! cluster's topics, the group's session and revocation timeouts, offset commits checked
//! against the member epoch, and the group's events.
//!
//! Online migration (`group.consumer.migration.policy`): a consumer-protocol member arriving at
//! a non-empty classic group converts it (the classic coordinator hands its members over);
//! classic members in a consumer group have their JoinGroup, SyncGroup, Heartbeat and LeaveGroup
//! answered by the consumer group; when only classic members are left the consumer group hands
//! them back to a classic group, which rebalances.
//!
//! The group's records are appended to its `__consumer_offsets` partition like every
//! coordinator write, and the answer to the request that wrote them waits until the HW passes
//! them (`placement.rs`); a coordinator that takes over loads the records committed by then.
//! A conversion between the two kinds of group takes effect at once.
//!
//! The group's committed offsets stay in the classic coordinator's offset store (the same
//! `__consumer_offsets` records): a consumer-protocol commit, once its epoch is checked here,
//! is stored as the Admin client's commit is.

use crate::assign::{self, MemberSubscription, Strategy};
use crate::cluster::Cluster;
use crate::group::consumer::coordinator::{self, AssignorMember, ClassicJoin, ConsumerGroup, ConsumerGroupEvent, Downgrade, TargetAssignor};
use crate::group::output::Output;
use crate::group::protocol::{Body, Endpoint, ErrorCode, HeartbeatRequest, HeartbeatResponse, Message, Request, Response, TopicPartition};
use crate::group::GroupEvent;
use crate::kernel::vecmap::VecMap;
use crate::kernel::Ctx;

use super::GroupLayer;

/// Kafka's server assignors (`group.consumer.assignors`: `uniform`, `range`) over the cluster's
/// current partition counts.
pub struct ServerAssignors<'a> {
    /// The cluster (topic partition counts).
    pub cluster: &'a Cluster,
}

impl TargetAssignor for ServerAssignors<'_> {
    fn has(&self, name: &str) -> bool {
        matches!(name, "uniform" | "range")
    }

    fn assign(&self, assignor: &str, members: &[AssignorMember<'_>]) -> VecMap<String, Vec<TopicPartition>> {
        let mut topics = VecMap::new();
        for m in members {
            for t in m.topics {
                if let Some(topic) = self.cluster.topic(t) {
                    topics.insert(t.clone(), topic.partitions.len() as u32);
                }
            }
        }
        server_assignment(assignor, &topics, members)
    }
}

/// The target assignment Kafka's server assignor `assignor` (`uniform`, `range`) computes for
/// `members` over `topics` (name → partition count), each member's current target as its
/// stickiness input.
pub fn server_assignment(assignor: &str, topics: &VecMap<String, u32>, members: &[AssignorMember<'_>]) -> VecMap<String, Vec<TopicPartition>> {
    let subs: Vec<MemberSubscription> = members
        .iter()
        .map(|m| MemberSubscription {
            id: m.member_id.to_string(),
            topics: m.topics.to_vec(),
            owned: m.target.iter().map(|tp| (tp.topic.to_string(), tp.partition)).collect(),
            generation: None,
            instance_id: m.instance_id.map(str::to_string),
            rack: None,
        })
        .collect();
    let strategy = if assignor == "range" { Strategy::ServerRange } else { Strategy::Uniform };
    match assign::assign(strategy, topics, &subs) {
        Ok(a) => a.into_iter().map(|(m, tps)| (m, tps.into_iter().map(|(t, p)| TopicPartition::new(t, p)).collect())).collect(),
        // The assignors fail only on inputs the coordinator never builds (duplicate ids).
        Err(_) => VecMap::new(),
    }
}

impl GroupLayer {
    /// A `ConsumerGroupHeartbeat` reached the group's coordinator: the group answers it after
    /// the network latency.
    pub(super) fn consumer_group_heartbeat(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, gid: &str, msg: &Message, heartbeat: &HeartbeatRequest, broker: u32) {
        let now = ctx.now_ms;
        let Some(g) = self.groups.get_mut(gid) else { return };
        let latency = g.config.network_latency_ms;
        if g.consumer.is_none() {
            let config = &self.consumer_group_config;
            match g.coordinator.as_mut() {
                // An Empty classic group becomes a consumer group when a consumer-protocol
                // member arrives (`getOrMaybeCreateConsumerGroup`, `maybeDeleteEmptyClassicGroup`).
                Some(c) if c.members().is_empty() && c.pending_members().is_empty() => {
                    g.consumer = Some(ConsumerGroup::new(gid, config.clone()));
                    self.reset_consumer_group_records(gid, &[]);
                }
                // A non-empty one is upgraded online if it may be (`validateOnlineUpgrade`):
                // else the member is told the group is no consumer group.
                Some(c) if config.migration_policy.upgrade_enabled() && c.uses_consumer_group_protocol() && c.members().len() <= config.max_size => {
                    let (generation_id, protocol, members, handed) = c.hand_over_members(now);
                    let (cg, created) = ConsumerGroup::from_classic(gid, config.clone(), now, generation_id, &protocol, &members);
                    g.consumer = Some(cg);
                    self.reset_consumer_group_records(gid, &created.records);
                    let converted = GroupEvent::GroupConverted { group_id: gid.to_string(), to: "consumer".into(), members: members.len() };
                    self.apply_outputs(ctx, cluster, gid, handed);
                    self.apply_outputs(ctx, cluster, gid, vec![Output::Event { at_ms: now, event: converted }]);
                }
                _ => {}
            }
        }
        let Some(g) = self.groups.get_mut(gid) else { return };
        let (resp, out) = match g.consumer.as_mut() {
            Some(cg) => cg.heartbeat(now, heartbeat, &ServerAssignors { cluster: &*cluster }),
            None => (HeartbeatResponse::error(&heartbeat.member_id, ErrorCode::GroupIdNotFound), Default::default()),
        };
        let reply = Message {
            from: Endpoint::Broker(broker),
            to: msg.from.clone(),
            correlation_id: msg.correlation_id,
            sent_at_ms: now,
            deliver_at_ms: now.saturating_add(latency),
            body: Body::Response(Response::ConsumerGroupHeartbeat(resp)),
        };
        self.consumer_group_output(ctx, cluster, gid, out, Some(reply));
    }

    /// A classic request (JoinGroup, SyncGroup, Heartbeat, LeaveGroup) to a consumer-protocol
    /// group: an Empty consumer group becomes a classic group again on a JoinGroup
    /// (`maybeDeleteEmptyConsumerGroup`); otherwise the consumer group answers it as a classic
    /// member's request, its reply waiting for the records the request wrote. `false`: not
    /// such a request, deliver it to the classic coordinator.
    pub(super) fn classic_request_to_consumer_group(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, gid: &str, msg: &Message, broker: u32) -> bool {
        let now = ctx.now_ms;
        let Body::Request(req) = &msg.body else { return false };
        let Some(g) = self.groups.get_mut(gid) else { return false };
        let latency = g.config.network_latency_ms;
        let Some(cg) = g.consumer.as_mut() else { return false };
        let (resp, out) = match req {
            Request::JoinGroup { .. } if cg.members().is_empty() => {
                g.consumer = None;
                self.reset_consumer_group_records(gid, &[]);
                self.refresh_coordinator_deadline(gid);
                return false;
            }
            Request::JoinGroup { member_id, client_id, group_instance_id, protocol_type, protocols, session_timeout_ms, rebalance_timeout_ms, .. } => {
                let new_member_id = match (member_id.is_empty(), g.coordinator.as_mut()) {
                    (true, Some(c)) => c.new_member_id(client_id),
                    _ => String::new(),
                };
                let join = ClassicJoin {
                    member_id,
                    new_member_id: &new_member_id,
                    instance_id: group_instance_id.as_deref(),
                    client_id,
                    protocol_type,
                    protocols,
                    session_timeout_ms: *session_timeout_ms,
                    rebalance_timeout_ms: *rebalance_timeout_ms,
                };
                let (r, out) = cg.classic_join(now, &join, &ServerAssignors { cluster: &*cluster });
                let resp = Response::JoinGroup { error: r.error, generation_id: r.generation_id, protocol_name: r.protocol_name, leader: String::new(), member_id: r.member_id, members: Vec::new() };
                (resp, out)
            }
            Request::SyncGroup { member_id, group_instance_id, generation_id, protocol_name, .. } => {
                let resp = match cg.classic_sync(now, member_id, group_instance_id.as_deref(), *generation_id, protocol_name) {
                    Ok(partitions) => Response::SyncGroup { error: ErrorCode::None, partitions },
                    Err(error) => Response::SyncGroup { error, partitions: Vec::new() },
                };
                (resp, coordinator::Output::default())
            }
            Request::Heartbeat { member_id, group_instance_id, generation_id, .. } => {
                let error = cg.classic_heartbeat(now, member_id, group_instance_id.as_deref(), *generation_id);
                (Response::Heartbeat { error }, coordinator::Output::default())
            }
            Request::LeaveGroup { member_id, .. } => {
                let (error, out) = cg.classic_leave(member_id);
                (Response::LeaveGroup { error }, out)
            }
            _ => return false,
        };
        let reply = Message {
            from: Endpoint::Broker(broker),
            to: msg.from.clone(),
            correlation_id: msg.correlation_id,
            sent_at_ms: now,
            deliver_at_ms: now.saturating_add(latency),
            body: Body::Response(resp),
        };
        self.consumer_group_output(ctx, cluster, gid, out, Some(reply));
        true
    }

    /// What the group machine did: its records written to `__consumer_offsets` with `reply`
    /// waiting for them, its events reported, and a downgrade carried out.
    fn consumer_group_output(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, gid: &str, out: coordinator::Output, reply: Option<Message>) {
        self.persist_consumer_group_write(ctx, cluster, gid, out.records, reply);
        self.consumer_group_events(ctx, cluster, gid, out.events);
        if let Some(d) = out.downgrade {
            self.downgrade(ctx, cluster, gid, d);
        }
        self.refresh_coordinator_deadline(gid);
    }

    /// The consumer group hands its (classic) members back to the classic coordinator
    /// (`convertToClassicGroup`): the consumer group's records are tombstoned and the classic
    /// group, Stable at the group epoch, rebalances.
    fn downgrade(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, gid: &str, d: Downgrade) {
        let now = ctx.now_ms;
        let Some(g) = self.groups.get_mut(gid) else { return };
        g.consumer = None;
        self.reset_consumer_group_records(gid, &[]);
        let Some(c) = self.groups.get_mut(gid).and_then(|g| g.coordinator.as_mut()) else { return };
        let mut out = c.adopt_members(now, d.generation_id, &d.members, d.rebalance.then_some(d.reason.as_str()));
        out.insert(0, Output::Event { at_ms: now, event: GroupEvent::GroupConverted { group_id: gid.to_string(), to: "classic".into(), members: d.members.len() } });
        self.apply_outputs(ctx, cluster, gid, out);
        // A member that had not caught up with the group epoch now holds, at the new
        // generation, its target only: what its consumer holds of its own older generation
        // is stale.
        for m in &d.members {
            if self.classic_generation_passed(gid, &m.client_id) {
                self.audit.ownership.fence(gid, &m.client_id, now);
            }
        }
    }

    /// An OffsetCommit of a consumer-protocol group: checked against the member epoch here,
    /// then stored by the offset store as an Admin commit (generation -1, no member): the
    /// rewritten request, or the refusal. `Ok(None)`: not such a commit, deliver as it is.
    pub(super) fn consumer_group_commit(&self, msg: &Message) -> Result<Option<Message>, Response> {
        let Body::Request(req @ Request::OffsetCommit { group_id, generation_id, member_id, offsets, .. }) = &msg.body else {
            return Ok(None);
        };
        let Some(cg) = self.groups.get(group_id).and_then(|g| g.consumer.as_ref()) else {
            return Ok(None);
        };
        match cg.validate_offset_commit(member_id, *generation_id) {
            ErrorCode::None => {
                let mut m = msg.clone();
                m.body = Body::Request(Request::OffsetCommit {
                    group_id: group_id.clone(),
                    generation_id: -1,
                    member_id: String::new(),
                    group_instance_id: None,
                    offsets: offsets.clone(),
                });
                Ok(Some(m))
            }
            error => Err(req.error_response(error)),
        }
    }

    /// Session and revocation deadlines of a consumer-protocol group.
    pub(super) fn consumer_group_timeout(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, gid: &str) {
        let Some(cg) = self.groups.get_mut(gid).and_then(|g| g.consumer.as_mut()) else { return };
        if cg.next_deadline_ms().is_none_or(|d| d > ctx.now_ms) {
            return;
        }
        let out = cg.handle_timeout(ctx.now_ms);
        self.consumer_group_output(ctx, cluster, gid, out, None);
    }

    /// The group machine's events as the simulation's group events; a removed member's
    /// consumer is fenced in the ownership timeline (a zombie until it notices).
    fn consumer_group_events(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, gid: &str, events: Vec<ConsumerGroupEvent>) {
        let now = ctx.now_ms;
        let mut out = Vec::new();
        for e in events {
            let group_id = gid.to_string();
            let event = match e {
                ConsumerGroupEvent::MemberJoined { member_id } => GroupEvent::MemberAdded { group_id, member_id },
                ConsumerGroupEvent::MemberRemoved { member_id, reason } => {
                    if let Some((client_id, _)) = self.consumers.iter().find(|(_, c)| c.group_id == gid && c.client.member_id() == member_id) {
                        out.push(Output::MemberRemoved { group_id: gid.to_string(), client_id: client_id.clone(), member_id: member_id.clone(), at_ms: now });
                    }
                    GroupEvent::MemberRemoved { group_id, member_id, reason: reason.reason().to_string() }
                }
                ConsumerGroupEvent::StaticMemberReplaced { instance_id, old_member_id, new_member_id } => {
                    if let Some((client_id, _)) = self.consumers.iter().find(|(_, c)| c.group_id == gid && c.client.member_id() == old_member_id) {
                        out.push(Output::MemberRemoved { group_id: gid.to_string(), client_id: client_id.clone(), member_id: old_member_id.clone(), at_ms: now });
                    }
                    GroupEvent::StaticMemberReplaced { group_id, group_instance_id: instance_id, old_member_id, new_member_id }
                }
                ConsumerGroupEvent::GroupEpochBumped { epoch } => GroupEvent::GroupEpochBumped { group_id, epoch },
                ConsumerGroupEvent::TargetAssignmentComputed { epoch, assignor } => GroupEvent::TargetAssignmentComputed { group_id, epoch, assignor },
                ConsumerGroupEvent::MemberReconciled { member_id, epoch, state } => GroupEvent::MemberReconciled { group_id, member_id, epoch, state: state.name().to_string() },
            };
            out.push(Output::Event { at_ms: now, event });
        }
        self.apply_outputs(ctx, cluster, gid, out);
    }
}
