//! Phase-1 stand-in for consumer groups: members join and leave instantly, the group is
//! rebalanced at once with the range assignor (`RangeAssignor`: per topic, partitions split in
//! contiguous ranges over members sorted by member id, the first `n % m` members get one more).
//!
//! This is deliberately small and isolated: the real classic protocol (`crate::group`) replaces
//! it. A crashed consumer is removed after `session.timeout.ms` (45000); a closed one at once.

use std::collections::BTreeMap;

use crate::cluster::Cluster;
use crate::error::SimError;
use crate::event::Event;
use crate::sim::ctx::Ctx;
use crate::sim::timers::Timer;
use crate::sim::Fnv;
use crate::view::{GroupView, MemberView};

/// `session.timeout.ms` default.
pub const SESSION_TIMEOUT_MS: u64 = 45_000;
/// Members per group.
pub const MAX_MEMBERS: usize = 1_000;
/// Groups.
pub const MAX_GROUPS: usize = 1_000;

#[derive(Clone, Debug, PartialEq, Eq)]
struct Member {
    seq: u32,
    member_id: String,
    client_id: String,
    crashed: bool,
    assigned: Vec<(String, u32)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
struct Group {
    subscription: Vec<String>,
    members: Vec<Member>,
    generation: i32,
}

/// All slice groups.
#[derive(Clone, Debug, Default)]
pub struct SliceGroups {
    groups: BTreeMap<String, Group>,
    next_seq: u32,
    next_client_n: u32,
}

impl SliceGroups {
    fn validate_topics(cluster: &Cluster, topics: &[String]) -> Result<(), SimError> {
        for t in topics {
            if cluster.topic(t).is_none() {
                return Err(SimError::UnknownTopicOrPartition(format!("Topic {t} not present in metadata")));
            }
        }
        Ok(())
    }

    /// `CreateGroup`.
    pub fn create_group(&mut self, ctx: &mut Ctx, cluster: &Cluster, group_id: String, topics: Vec<String>) -> Result<(), SimError> {
        if group_id.is_empty() {
            return Err(SimError::InvalidRequest("group.id must not be empty (INVALID_GROUP_ID)".into()));
        }
        Self::validate_topics(cluster, &topics)?;
        if !self.groups.contains_key(&group_id) && self.groups.len() >= MAX_GROUPS {
            return Err(SimError::LimitExceeded(format!("at most {MAX_GROUPS} groups")));
        }
        let g = self.groups.entry(group_id.clone()).or_default();
        for t in topics {
            if !g.subscription.contains(&t) {
                g.subscription.push(t);
            }
        }
        g.subscription.sort();
        if !g.members.is_empty() {
            Self::rebalance(ctx, cluster, &group_id, g);
        }
        Ok(())
    }

    /// `AddConsumer`.
    pub fn add_consumer(
        &mut self,
        ctx: &mut Ctx,
        cluster: &Cluster,
        group_id: String,
        client_id: Option<String>,
        topics: Vec<String>,
    ) -> Result<(), SimError> {
        if group_id.is_empty() {
            return Err(SimError::InvalidRequest("group.id must not be empty (INVALID_GROUP_ID)".into()));
        }
        Self::validate_topics(cluster, &topics)?;
        if let Some(c) = &client_id {
            if c.is_empty() {
                return Err(SimError::InvalidConfig("client_id must not be empty".into()));
            }
            if self.find_client(c).is_some() {
                return Err(SimError::DuplicateClient(format!("consumer '{c}' already exists")));
            }
        }
        if !self.groups.contains_key(&group_id) && self.groups.len() >= MAX_GROUPS {
            return Err(SimError::LimitExceeded(format!("at most {MAX_GROUPS} groups")));
        }
        if self.groups.get(&group_id).is_some_and(|g| g.members.len() >= MAX_MEMBERS) {
            return Err(SimError::LimitExceeded(format!("at most {MAX_MEMBERS} members per group")));
        }
        let client_id = match client_id {
            Some(c) => c,
            None => {
                // Kafka: "consumer-" + groupId + "-" + CONSUMER_CLIENT_ID_SEQUENCE (JVM-global, from 1).
                let mut n = self.next_client_n + 1;
                while self.find_client(&format!("consumer-{group_id}-{n}")).is_some() {
                    n += 1;
                }
                self.next_client_n = n;
                format!("consumer-{group_id}-{n}")
            }
        };
        // member.id = client.id + "-" + UUID (deterministic from the seeded RNG).
        let a = ctx.rng.next_u64();
        let b = ctx.rng.next_u64();
        let uuid = format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            (a >> 32) as u32,
            (a >> 16) as u16,
            (a as u16) & 0x0fff,
            ((b >> 48) as u16 & 0x3fff) | 0x8000,
            b & 0xffff_ffff_ffff
        );
        let member_id = format!("{client_id}-{uuid}");
        self.next_seq += 1;
        let seq = self.next_seq;
        let g = self.groups.entry(group_id.clone()).or_default();
        for t in topics {
            if !g.subscription.contains(&t) {
                g.subscription.push(t);
            }
        }
        g.subscription.sort();
        g.members.push(Member { seq, member_id: member_id.clone(), client_id: client_id.clone(), crashed: false, assigned: Vec::new() });
        ctx.emit(Event::MemberJoined { at_ms: ctx.now_ms, group_id: group_id.clone(), member_id, client_id });
        Self::rebalance(ctx, cluster, &group_id, g);
        Ok(())
    }

    fn find_client(&self, client_id: &str) -> Option<(String, usize)> {
        for (gid, g) in &self.groups {
            if let Some(i) = g.members.iter().position(|m| m.client_id == client_id) {
                return Some((gid.clone(), i));
            }
        }
        None
    }

    /// `CrashConsumer`: it stops heartbeating; removed after `session.timeout.ms`.
    pub fn crash_consumer(&mut self, ctx: &mut Ctx, client_id: &str) -> Result<(), SimError> {
        let (gid, i) = self
            .find_client(client_id)
            .ok_or_else(|| SimError::UnknownClient(format!("no consumer '{client_id}'")))?;
        let m = &mut self.groups.get_mut(&gid).expect("found").members[i];
        if m.crashed {
            return Err(SimError::UnknownClient(format!("consumer '{client_id}' already crashed")));
        }
        m.crashed = true;
        ctx.schedule_in(SESSION_TIMEOUT_MS, Timer::Group { id: m.seq, kind: 0 });
        Ok(())
    }

    /// `CloseConsumer`: LeaveGroup now.
    pub fn close_consumer(&mut self, ctx: &mut Ctx, cluster: &Cluster, client_id: &str) -> Result<(), SimError> {
        let (gid, i) = self
            .find_client(client_id)
            .ok_or_else(|| SimError::UnknownClient(format!("no consumer '{client_id}'")))?;
        if self.groups[&gid].members[i].crashed {
            return Err(SimError::UnknownClient(format!("consumer '{client_id}' has crashed")));
        }
        self.remove_member(ctx, cluster, &gid, i, "the consumer is being closed");
        Ok(())
    }

    fn remove_member(&mut self, ctx: &mut Ctx, cluster: &Cluster, gid: &str, i: usize, reason: &str) {
        let g = self.groups.get_mut(gid).expect("group exists");
        let m = g.members.remove(i);
        ctx.emit(Event::MemberLeft { at_ms: ctx.now_ms, group_id: gid.to_string(), member_id: m.member_id, reason: reason.to_string() });
        Self::rebalance(ctx, cluster, gid, g);
    }

    /// Timer for a crashed member's session expiry.
    pub fn on_timer(&mut self, ctx: &mut Ctx, cluster: &Cluster, id: u32, _kind: u32) {
        let found = self
            .groups
            .iter()
            .find_map(|(gid, g)| g.members.iter().position(|m| m.seq == id && m.crashed).map(|i| (gid.clone(), i)));
        if let Some((gid, i)) = found {
            self.remove_member(ctx, cluster, &gid, i, "session timeout expired");
        }
    }

    /// Partition counts changed: rebalance every non-empty group.
    pub fn on_metadata_change(&mut self, ctx: &mut Ctx, cluster: &Cluster) {
        let ids: Vec<String> = self.groups.keys().cloned().collect();
        for gid in ids {
            let g = self.groups.get_mut(&gid).expect("exists");
            if !g.members.is_empty() {
                Self::rebalance(ctx, cluster, &gid, g);
            }
        }
    }

    fn rebalance(ctx: &mut Ctx, cluster: &Cluster, gid: &str, g: &mut Group) {
        g.generation += 1;
        for m in &mut g.members {
            m.assigned.clear();
        }
        let mut order: Vec<usize> = (0..g.members.len()).collect();
        order.sort_by(|&a, &b| g.members[a].member_id.cmp(&g.members[b].member_id));
        let m = order.len();
        if m > 0 {
            for t in &g.subscription {
                let n = cluster.topic(t).map_or(0, |t| t.partitions.len());
                let per = n / m;
                let extra = n % m;
                let mut next = 0usize;
                for (k, &mi) in order.iter().enumerate() {
                    let take = per + usize::from(k < extra);
                    for p in next..next + take {
                        g.members[mi].assigned.push((t.clone(), p as u32));
                    }
                    next += take;
                }
            }
        }
        ctx.emit(Event::GroupRebalanced { at_ms: ctx.now_ms, group_id: gid.to_string(), generation: g.generation, members: m as u32 });
    }

    /// Views, sorted by group id.
    pub fn views(&self, cluster: &Cluster) -> Vec<GroupView> {
        self.groups
            .iter()
            .map(|(gid, g)| GroupView {
                group_id: gid.clone(),
                state: if g.members.is_empty() { "Empty" } else { "Stable" }.to_string(),
                generation: g.generation,
                protocol_type: "consumer".to_string(),
                protocol: (!g.members.is_empty()).then(|| "range".to_string()),
                leader: g.members.first().map(|m| m.member_id.clone()),
                members: g
                    .members
                    .iter()
                    .map(|m| MemberView { member_id: m.member_id.clone(), client_id: m.client_id.clone(), assigned: m.assigned.clone() })
                    .collect(),
                subscription: g.subscription.clone(),
                coordinator: cluster.coordinator_for(gid),
            })
            .collect()
    }

    /// Each subscribed partition is assigned to at most one member, and all are assigned when
    /// the group has members.
    pub fn check_invariants(&self, cluster: &Cluster) -> Result<(), String> {
        for (gid, g) in &self.groups {
            let mut seen = std::collections::BTreeSet::new();
            for m in &g.members {
                for tp in &m.assigned {
                    if !seen.insert(tp.clone()) {
                        return Err(format!("group {gid}: {}-{} assigned twice", tp.0, tp.1));
                    }
                }
            }
            if !g.members.is_empty() {
                let total: usize = g.subscription.iter().map(|t| cluster.topic(t).map_or(0, |t| t.partitions.len())).sum();
                if seen.len() != total {
                    return Err(format!("group {gid}: {} of {total} partitions assigned", seen.len()));
                }
            }
        }
        Ok(())
    }

    /// Hash canonical state.
    pub fn hash_into(&self, h: &mut Fnv) {
        h.u64(self.next_seq as u64);
        h.u64(self.next_client_n as u64);
        for (gid, g) in &self.groups {
            h.str(gid);
            h.u64(g.generation as u64);
            for t in &g.subscription {
                h.str(t);
            }
            for m in &g.members {
                h.str(&m.member_id);
                h.u64(m.crashed as u64);
                h.u64(m.assigned.len() as u64);
            }
        }
    }
}
