//! [`GroupView`]s: each group's coordinator, members and consumers, lag and ownership per
//! partition of its subscription, and delivery counts.

use crate::api::view::{ConsumerView, DeliveryView, GroupView, LagView, MemberView, OwnershipChangeView, OwnershipView, PendingCommitView};
use crate::cluster::log::Log;
use crate::cluster::{Cluster, Topic};
use crate::group::accounting::OwnershipLane;
use crate::group::client::ConsumerClient;
use crate::group::consumer::coordinator::ConsumerGroup;
use crate::group::coordinator::GroupCoordinator;
use crate::group::protocol::{CoordinatorRecord, TopicPartition};

use super::placement::WriteKind;
use super::{GroupLayer, GroupRuntime, MAX_OWNERSHIP_IN_VIEW};

/// A group's clients in `client.id` order, by `client.id`.
type Clients<'a> = [(&'a str, &'a ConsumerClient)];

/// Partitions of a group's subscription, densely indexed: topic `i` of `topics` covers indices
/// `base[i]..base[i] + partitions`. The subscription is sorted, so this order is the
/// `TopicPartition` order.
struct Partitions<'a> {
    topics: Vec<(&'a str, &'a Topic)>,
    base: Vec<usize>,
    n: usize,
}

impl<'a> Partitions<'a> {
    fn of(cluster: &'a Cluster, subscription: &'a [String]) -> Self {
        let topics: Vec<(&str, &Topic)> = subscription
            .iter()
            .filter_map(|t| cluster.topic(t).map(|topic| (t.as_str(), topic)))
            .collect();
        let mut base = Vec::with_capacity(topics.len());
        let mut n = 0usize;
        for (_, topic) in &topics {
            base.push(n);
            n += topic.partitions.len();
        }
        Partitions { topics, base, n }
    }

    fn index_of(&self, topic: &str, partition: u32) -> Option<usize> {
        let i = self.topics.iter().position(|(t, _)| *t == topic)?;
        ((partition as usize) < self.topics[i].1.partitions.len()).then(|| self.base[i] + partition as usize)
    }
}

impl GroupLayer {
    /// Views at `now_ms`, sorted by group id.
    pub fn views(&self, cluster: &Cluster, now_ms: u64) -> Vec<GroupView> {
        self.groups.iter().map(|(gid, g)| self.group_view(cluster, now_ms, gid, g)).collect()
    }

    fn group_view(&self, cluster: &Cluster, now_ms: u64, gid: &str, g: &GroupRuntime) -> GroupView {
        let coord = g.coordinator.as_ref();
        // The group's clients in `client.id` order (the order of `self.consumers`).
        let clients: Vec<(&str, &ConsumerClient)> = self
            .consumers
            .iter()
            .filter(|(_, c)| c.group_id == gid)
            .map(|(id, c)| (id.as_str(), &c.client))
            .collect();
        let consumer_group = g.consumer.as_ref();
        let members = match (consumer_group, coord) {
            (Some(cg), Some(_)) => consumer_member_views(cg, &clients),
            (None, Some(c)) => member_views(c, &clients),
            _ => Vec::new(),
        };
        let fenced: Vec<bool> = clients.iter().map(|(_, c)| self.audit.ownership.is_fenced(gid, c.client_id())).collect();
        let consumers = consumer_views(&clients, &fenced);
        let (mut lag, ownership) = self.partition_views(cluster, now_ms, gid, g, &clients, &fenced);
        lag.extend(unsubscribed_lag(cluster, now_ms, gid, g));
        let max_lag_ms = lag.iter().filter_map(|l| l.lag_ms).max();
        let delivery = self.delivery_view(gid);
        let (meta_generation, meta_protocol, meta_leader) = match &g.metadata {
            Some(CoordinatorRecord::GroupMetadata {
                generation_id,
                protocol,
                leader,
                ..
            }) => (*generation_id, protocol.clone(), leader.clone()),
            _ => (0, None, None),
        };
        let state = match (consumer_group, coord) {
            (Some(cg), Some(_)) => cg.state().name().to_string(),
            (_, Some(c)) => c.state().name().to_string(),
            (_, None) => "Unknown".to_string(),
        };
        GroupView {
            group_id: gid.to_string(),
            state,
            group_type: if consumer_group.is_some() { "Consumer" } else { "Classic" }.to_string(),
            group_epoch: consumer_group.map(|cg| cg.group_epoch()),
            target_assignment_epoch: consumer_group.map(|cg| cg.assignment_epoch()),
            generation: match consumer_group {
                Some(cg) => cg.group_epoch(),
                None => coord.map_or(meta_generation, GroupCoordinator::generation_id),
            },
            protocol_type: coord.and_then(|c| c.protocol_type()).unwrap_or("consumer").to_string(),
            protocol: match consumer_group {
                Some(cg) => Some(cg.preferred_assignor()),
                None => coord.map_or(meta_protocol, |c| c.protocol().map(str::to_string)),
            },
            leader: coord.map_or(meta_leader, |c| c.leader().map(str::to_string)),
            members,
            subscription: g.subscription.clone(),
            coordinator: coord.map(GroupCoordinator::broker_id),
            config: g.config.clone(),
            consumers,
            lag,
            max_lag_ms,
            delivery,
            ownership,
            pending_commits: pending_commit_views(g),
            pending_sync_generation: coord.and_then(GroupCoordinator::awaiting_group_metadata),
            offsets_log: cluster.coordinator_log_offsets(gid),
        }
    }

    /// Lag and ownership history of each partition of the group's subscription.
    fn partition_views(
        &self,
        cluster: &Cluster,
        now_ms: u64,
        gid: &str,
        g: &GroupRuntime,
        clients: &Clients<'_>,
        fenced: &[bool],
    ) -> (Vec<LagView>, Vec<OwnershipView>) {
        let parts = Partitions::of(cluster, &g.subscription);
        let committed = committed_offsets(cluster, gid, g.coordinator.as_ref(), &parts);
        let positions = owner_positions(clients, fenced, &parts);
        let lanes = self.ownership_lanes(gid, &parts);
        let n = parts.n;
        let mut lag = Vec::with_capacity(n);
        let mut ownership = Vec::with_capacity(n);
        for (ti, (t, topic)) in parts.topics.iter().enumerate() {
            for (p, part) in topic.partitions.iter().enumerate() {
                let i = parts.base[ti] + p;
                let log = part.leader_log();
                let hw = log.map_or(0, |l| l.high_watermark());
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
                    lag_ms: lag_ms(log, c.map(|c| c.max(0) as u64), hw, now_ms),
                });
                let h = lane.map_or(&[][..], OwnershipLane::changes);
                let from = h.len().saturating_sub(MAX_OWNERSHIP_IN_VIEW);
                let mut changes = Vec::with_capacity(h.len() - from);
                changes.extend(h[from..].iter().map(|c| OwnershipChangeView {
                    at_ms: c.at_ms,
                    owner: c.owner.clone(),
                }));
                ownership.push(OwnershipView {
                    topic: t.to_string(),
                    partition: p as u32,
                    changes,
                    gap_ms: lane.map_or(0, OwnershipLane::gap_ms),
                });
            }
        }
        (lag, ownership)
    }

    /// Ownership lanes per partition.
    fn ownership_lanes<'a>(&'a self, gid: &str, parts: &Partitions<'_>) -> Vec<Option<&'a OwnershipLane>> {
        let mut lanes: Vec<Option<&OwnershipLane>> = vec![None; parts.n];
        if let Some(m) = self.audit.ownership.lanes(gid) {
            for (ti, (t, topic)) in parts.topics.iter().enumerate() {
                let from = TopicPartition::new(*t, 0);
                for (tp, lane) in m.range(from..).take_while(|(tp, _)| tp.topic == *t) {
                    if (tp.partition as usize) < topic.partitions.len() {
                        lanes[parts.base[ti] + tp.partition as usize] = Some(lane);
                    }
                }
            }
        }
        lanes
    }

    /// Records processed, duplicates, losses and key-order violations of a group.
    fn delivery_view(&self, gid: &str) -> DeliveryView {
        let a = &self.audit;
        DeliveryView {
            processed: a.ledger.total_processed(gid),
            distinct: a.ledger.distinct_processed(gid),
            duplicates: a.ledger.duplicates(gid),
            losses: a.losses.get(gid).copied().unwrap_or(0),
            ordering_violations: a.ordering_violations.get(gid).copied().unwrap_or(0),
        }
    }
}

/// The client of `client.id` `id` (`clients` is in `client.id` order).
fn client_by_id<'a>(clients: &Clients<'a>, id: &str) -> Option<&'a ConsumerClient> {
    clients.binary_search_by(|(k, _)| (*k).cmp(id)).ok().map(|i| clients[i].1)
}

/// The coordinator's members, with their clients' heartbeat and poll deadlines.
fn member_views(c: &GroupCoordinator, clients: &Clients<'_>) -> Vec<MemberView> {
    let leader = c.leader();
    c.members()
        .values()
        .map(|m| {
            let client = client_by_id(clients, m.client_id.as_str()).filter(|cl| cl.member_id() == m.member_id);
            let mut assigned = Vec::with_capacity(m.assignment.len());
            assigned.extend(m.assignment.iter().map(|tp| (tp.topic.to_string(), tp.partition)));
            MemberView {
                member_id: m.member_id.clone(),
                client_id: m.client_id.clone(),
                group_instance_id: m.group_instance_id.clone(),
                assigned,
                status: if m.awaiting_join.is_some() {
                    "awaiting JoinGroup response".to_string()
                } else if m.awaiting_sync.is_some() {
                    "awaiting SyncGroup response".to_string()
                } else {
                    "member".to_string()
                },
                is_leader: leader == Some(m.member_id.as_str()),
                session_deadline_ms: (m.awaiting_join.is_none() && m.awaiting_sync.is_none()).then_some(m.session_deadline_ms),
                heartbeat_due_ms: client.map(|cl| cl.next_heartbeat_ms()),
                poll_deadline_ms: client.map(|cl| cl.poll_deadline_ms()),
                member_epoch: None,
                target: None,
                revoking: Vec::new(),
                upgraded: None,
            }
        })
        .collect()
}

fn pairs(tps: &[TopicPartition]) -> Vec<(String, u32)> {
    tps.iter().map(|tp| (tp.topic.to_string(), tp.partition)).collect()
}

/// A consumer-protocol group's members: epochs, current and target assignments, and the
/// reconciliation state as the member's status.
fn consumer_member_views(cg: &ConsumerGroup, clients: &Clients<'_>) -> Vec<MemberView> {
    cg.members()
        .values()
        .map(|m| {
            let client = client_by_id(clients, m.client_id.as_str()).filter(|cl| cl.member_id() == m.member_id);
            MemberView {
                member_id: m.member_id.clone(),
                client_id: m.client_id.clone(),
                group_instance_id: m.instance_id.clone(),
                assigned: pairs(&m.assigned),
                status: m.state.name().to_string(),
                is_leader: false,
                session_deadline_ms: cg.session_deadline_of(&m.member_id),
                // A classic member of the group heartbeats on its classic heartbeat thread.
                heartbeat_due_ms: client.and_then(|cl| cl.membership().map_or(Some(cl.next_heartbeat_ms()), |ms| ms.next_deadline_ms())),
                poll_deadline_ms: client.map(|cl| cl.poll_deadline_ms()),
                member_epoch: Some(m.member_epoch),
                target: Some(pairs(cg.target_of(&m.member_id))),
                revoking: pairs(&m.pending_revocation),
                upgraded: Some(!m.uses_classic_protocol()),
            }
        })
        .collect()
}

/// The group's consumers as their clients see themselves.
fn consumer_views(clients: &Clients<'_>, fenced: &[bool]) -> Vec<ConsumerView> {
    clients
        .iter()
        .zip(fenced)
        .map(|(&(_, c), &fenced)| {
            let mut assigned = Vec::with_capacity(c.assignment().len());
            assigned.extend(c.assignment().iter().map(|tp| (tp.topic.to_string(), tp.partition)));
            let mut positions = Vec::with_capacity(c.positions().len());
            positions.extend(c.positions().iter().map(|(tp, o)| (tp.topic.to_string(), tp.partition, *o)));
            ConsumerView {
                client_id: c.client_id().to_string(),
                member_id: c.member_id().to_string(),
                group_instance_id: c.group_instance_id().map(str::to_string),
                lifecycle: format!("{:?}", c.lifecycle()),
                member_state: c.membership().map_or_else(|| c.state().name().to_string(), |m| m.state().name().to_string()),
                member_epoch: c.membership().map(|m| m.member_epoch()),
                generation: c.generation_id(),
                protocol: format!("{:?}", c.rebalance_protocol()).to_ascii_lowercase(),
                coordinator: c.coordinator(),
                assigned,
                positions,
                pending_records: c.pending_records() as u64,
                last_poll_ms: c.last_poll_ms(),
                fenced,
                error: c.poll_error().map(str::to_string),
            }
        })
        .collect()
}

/// Committed offset per partition: the coordinator's cache, or `__consumer_offsets` while no
/// coordinator has the group loaded.
fn committed_offsets(cluster: &Cluster, gid: &str, coord: Option<&GroupCoordinator>, parts: &Partitions<'_>) -> Vec<Option<i64>> {
    let mut committed: Vec<Option<i64>> = vec![None; parts.n];
    match coord {
        Some(c) => {
            for (tp, o) in c.committed() {
                if let Some(i) = parts.index_of(&tp.topic, tp.partition) {
                    committed[i] = Some(o.offset);
                }
            }
        }
        None => {
            for ((t, p), o) in cluster.committed_offsets(gid) {
                if let Some(i) = parts.index_of(&t, p) {
                    committed[i] = Some(o as i64);
                }
            }
        }
    }
    committed
}

/// How long the oldest record not yet committed has waited at `now_ms`: `now − timestamp` of
/// the first record at or after the committed offset when that is below the HW (record
/// timestamps are simulated ms since the epoch); 0 when caught up; `None` without a committed
/// offset (or when the leader retains no record in between).
fn lag_ms(log: Option<&Log>, committed: Option<u64>, hw: u64, now_ms: u64) -> Option<u64> {
    let c = committed?;
    if c >= hw {
        return Some(0);
    }
    let r = log?.slice(c, hw, 1).first()?;
    Some(now_ms.saturating_sub(r.timestamp_ms))
}

/// Lag rows of the partitions the group has committed offsets for outside its subscription
/// (e.g. set by `alter_consumer_group_offsets`), sorted; no owner, no ownership history.
fn unsubscribed_lag(cluster: &Cluster, now_ms: u64, gid: &str, g: &GroupRuntime) -> Vec<LagView> {
    let committed: Vec<(TopicPartition, i64)> = match &g.coordinator {
        Some(c) => c.committed().iter().map(|(tp, o)| (tp.clone(), o.offset)).collect(),
        None => cluster.committed_offsets(gid).into_iter().map(|((t, p), o)| (TopicPartition::new(t, p), o as i64)).collect(),
    };
    let mut out = Vec::new();
    for (tp, offset) in committed {
        if g.subscription.iter().any(|t| *t == tp.topic) {
            continue;
        }
        let Some(part) = cluster.topic(&tp.topic).and_then(|t| t.partitions.get(tp.partition as usize)) else { continue };
        let log = part.leader_log();
        let hw = log.map_or(0, |l| l.high_watermark());
        let c = offset.max(0) as u64;
        out.push(LagView {
            topic: tp.topic.into(),
            partition: tp.partition,
            high_watermark: hw,
            committed: Some(c),
            position: None,
            owner: None,
            committed_lag: Some(hw.saturating_sub(c)),
            position_lag: None,
            lag_ms: lag_ms(log, Some(c), hw, now_ms),
        });
    }
    out
}

/// Position of the (non-fenced) owner per partition; a later client overrides.
fn owner_positions(clients: &Clients<'_>, fenced: &[bool], parts: &Partitions<'_>) -> Vec<Option<i64>> {
    let mut positions: Vec<Option<i64>> = vec![None; parts.n];
    for (&(_, c), &fenced) in clients.iter().zip(fenced) {
        if fenced {
            continue;
        }
        for tp in c.assignment() {
            if let Some(p) = c.positions().get(tp) {
                if let Some(i) = parts.index_of(&tp.topic, tp.partition) {
                    positions[i] = Some(*p);
                }
            }
        }
    }
    positions
}

/// The group's offset commits waiting for the HW of `__consumer_offsets`.
fn pending_commit_views(g: &GroupRuntime) -> Vec<PendingCommitView> {
    let mut out = Vec::new();
    for w in &g.writes {
        if let WriteKind::Commit { member_id, offsets, .. } = &w.kind {
            for (tp, offset) in offsets {
                out.push(PendingCommitView {
                    topic: tp.topic.to_string(),
                    partition: tp.partition,
                    offset: *offset,
                    member_id: member_id.clone(),
                    appended_at_ms: w.appended_at_ms,
                    durable_at_offset: w.end_offset,
                    timeout_at_ms: w.deadline_ms,
                });
            }
        }
    }
    out
}
