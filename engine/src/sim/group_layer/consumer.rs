//! Consumer-protocol groups (KIP-848) in the simulation: the `ConsumerGroupHeartbeat`s reaching a
//! group's coordinator, the target assignment computed by Kafka's server-side assignors over the
//! cluster's topics, the group's session and revocation timeouts, offset commits checked
//! against the member epoch, and the group's events.
//!
//! The group's committed offsets stay in the classic coordinator's offset store (the same
//! `__consumer_offsets` records): a consumer-protocol commit, once its epoch is checked here,
//! is stored as the Admin client's commit is.

use crate::assign::{self, MemberSubscription, Strategy};
use crate::cluster::Cluster;
use crate::group::consumer::coordinator::{AssignorMember, ConsumerGroup, ConsumerGroupEvent, Removal, TargetAssignor};
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
            owned: m.target.iter().map(|tp| (tp.topic.clone(), tp.partition)).collect(),
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
        // An Empty classic group becomes a consumer group when a consumer-protocol member
        // arrives (`getOrMaybeCreateConsumerGroup`, `maybeDeleteEmptyClassicGroup`).
        let classic_empty = g.coordinator.as_ref().is_some_and(|c| c.members().is_empty() && c.pending_members().is_empty());
        if g.consumer.is_none() && classic_empty {
            g.consumer = Some(ConsumerGroup::new(gid, self.consumer_group_config.clone()));
            g.consumer_records = Default::default();
        }
        let (resp, out) = match g.consumer.as_mut() {
            Some(cg) => cg.heartbeat(now, heartbeat, &ServerAssignors { cluster: &*cluster }),
            // A classic group: not a consumer group (online upgrades are not modelled).
            None => (HeartbeatResponse::error(&heartbeat.member_id, ErrorCode::GroupIdNotFound), Default::default()),
        };
        g.consumer_records.write(&out.records);
        self.refresh_coordinator_deadline(gid);
        self.consumer_group_events(ctx, cluster, gid, out.events);
        let reply = Message {
            from: Endpoint::Broker(broker),
            to: msg.from.clone(),
            correlation_id: msg.correlation_id,
            sent_at_ms: now,
            deliver_at_ms: now.saturating_add(latency),
            body: Body::Response(Response::ConsumerGroupHeartbeat(resp)),
        };
        self.enqueue(now, reply);
    }

    /// A classic request (JoinGroup, SyncGroup, Heartbeat) to a consumer-protocol group: an
    /// Empty consumer group becomes a classic group again (`maybeDeleteEmptyConsumerGroup`);
    /// a non-empty one refuses it with INCONSISTENT_GROUP_PROTOCOL (online migration is not
    /// modelled: Kafka's `group.consumer.migration.policy=disabled`). `None`: deliver it.
    pub(super) fn classic_request_to_consumer_group(&mut self, gid: &str, req: &Request) -> Option<ErrorCode> {
        if !matches!(req, Request::JoinGroup { .. } | Request::SyncGroup { .. } | Request::Heartbeat { .. }) {
            return None;
        }
        let g = self.groups.get_mut(gid)?;
        let cg = g.consumer.as_ref()?;
        if cg.members().is_empty() && matches!(req, Request::JoinGroup { .. }) {
            g.consumer = None;
            g.consumer_records = Default::default();
            self.refresh_coordinator_deadline(gid);
            return None;
        }
        Some(ErrorCode::InconsistentGroupProtocol)
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
        if let Some(g) = self.groups.get_mut(gid) {
            g.consumer_records.write(&out.records);
        }
        self.refresh_coordinator_deadline(gid);
        self.consumer_group_events(ctx, cluster, gid, out.events);
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
                    let reason = match reason {
                        Removal::Left => "the member left the group (epoch -1)",
                        Removal::SessionExpired => "the member session expired",
                        Removal::RevocationTimeout => "the member failed to revoke its partitions within the rebalance timeout",
                    };
                    GroupEvent::MemberRemoved { group_id, member_id, reason: reason.to_string() }
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
