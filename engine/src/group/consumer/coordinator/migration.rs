//! Online migration between a classic and a consumer group (`group.consumer.migration.policy`):
//! the upgrade of a classic group when its first consumer-protocol member arrives
//! (`ConsumerGroup.fromClassicGroup`), and the classic members inside a consumer group, who
//! keep sending JoinGroup, SyncGroup, Heartbeat and LeaveGroup (`classicGroupJoinToConsumerGroup`
//! and its siblings in `GroupMetadataManager`). The downgrade itself is
//! [`ConsumerGroup::fence_member`]'s (and a static replacement's, below): the group hands its
//! members back as an [`Output::downgrade`](super::Output).
//!
//! A classic member reconciles exactly as a consumer-protocol member does, through its
//! JoinGroup: the owned partitions of its subscription say what it has revoked, the response's
//! generation is its member epoch, and the SyncGroup response carries its current assignment.
//! It learns that it must rejoin from its Heartbeat (`REBALANCE_IN_PROGRESS`).
//!
//! One deliberate difference: a downgrade by static-member replacement while the group is
//! `Assigning` (its target behind the group epoch, e.g. just after a member left) prepares a
//! rebalance of the new classic group. Kafka 4.2 rebalances only if the subscription changed,
//! so the classic group would start from the stale target with partitions nobody owns.

use super::{
    ClassicJoin, ClassicJoinResponse, ClassicMemberSnapshot, ConsumerGroup, ConsumerGroupConfig, ConsumerGroupEvent, ConsumerGroupRecord, Downgrade,
    MigrationPolicy, Output, Removal, TargetAssignor,
};
use crate::group::consumer::member::{ClassicMemberMetadata, ConsumerMember, MemberState};
use crate::group::protocol::{ErrorCode, JoinProtocol, TopicPartition};

/// `ConsumerProtocol.PROTOCOL_TYPE`.
const CONSUMER_PROTOCOL_TYPE: &str = "consumer";

impl ConsumerGroup {
    /// The consumer group an upgraded classic group becomes (`fromClassicGroup`): its
    /// generation as the group and target epochs, every member `STABLE` at that epoch with its
    /// last classic assignment as current and target assignment, and the records that write
    /// it all (`createConsumerGroupRecords`). `protocol` is the classic group's selected
    /// protocol, whose subscription says what each member subscribes to.
    ///
    /// Its subscription metadata is left unset, as Kafka leaves it: the consumer-protocol
    /// heartbeat that triggered the upgrade computes it and so bumps the group epoch, and a new
    /// target is computed, also when that member only replaces a static member with the same
    /// subscription. Without it the classic group's last assignment would stay the target: a
    /// group converted in the middle of a rebalance, or between the two rebalances of a
    /// cooperative one (a member still revoking, the partitions it gives up unassigned), would
    /// keep partitions nobody owns.
    pub fn from_classic(
        group_id: &str,
        config: ConsumerGroupConfig,
        now_ms: u64,
        generation_id: i32,
        protocol: &str,
        members: &[ClassicMemberSnapshot],
    ) -> (ConsumerGroup, Output) {
        let mut g = ConsumerGroup::new(group_id, config);
        g.group_epoch = generation_id;
        g.assignment_epoch = generation_id;
        for s in members {
            let mut m = ConsumerMember::new(&s.member_id, &s.client_id, s.instance_id.as_deref());
            m.member_epoch = generation_id;
            m.previous_member_epoch = generation_id;
            m.state = MemberState::Stable;
            m.rebalance_timeout_ms = s.rebalance_timeout_ms;
            m.subscribed_topics = subscribed_topics(&s.protocols, Some(protocol));
            // A partition is owned once (a member that has not synced yet owns nothing).
            m.assigned = s.assignment.iter().filter(|tp| !g.owners.contains_key(*tp)).cloned().collect();
            crate::kernel::sort::sort(&mut m.assigned);
            m.classic = Some(ClassicMemberMetadata { session_timeout_ms: s.session_timeout_ms, protocols: s.protocols.clone() });
            for tp in &m.assigned {
                g.owners.insert(tp.clone(), m.member_id.clone());
            }
            g.target.insert(m.member_id.clone(), m.assigned.clone());
            g.session_deadline_ms.insert(m.member_id.clone(), now_ms.saturating_add(s.session_timeout_ms));
            g.members.insert(m.member_id.clone(), m);
        }
        let mut out = Output::default();
        out.records.extend(g.members.values().map(super::metadata_record));
        out.records.push(ConsumerGroupRecord::GroupEpoch { epoch: g.group_epoch });
        out.records.extend(g.target.iter().map(|(id, parts)| ConsumerGroupRecord::TargetAssignmentMember { member_id: id.clone(), partitions: parts.clone() }));
        out.records.push(ConsumerGroupRecord::TargetAssignmentEpoch { epoch: g.assignment_epoch });
        out.records.extend(g.members.values().map(super::current_record));
        g.subscription_metadata_unset = true;
        (g, out)
    }

    /// A JoinGroup from a classic member (`classicGroupJoinToConsumerGroup`).
    ///
    /// Refused with `INCONSISTENT_GROUP_PROTOCOL` under policy `disabled` or when no protocol
    /// of the request is supported by every classic member; `GROUP_MAX_SIZE_REACHED` for one
    /// too many; `MEMBER_ID_REQUIRED` (with the new id) for a dynamic member without one. A
    /// static member joining without a member id replaces the member holding its instance id,
    /// whatever that member's protocol; if only classic members are then left, the group
    /// becomes a classic group (`validateOnlineDowngradeWithReplacedMember`). Otherwise the
    /// member's subscription bumps the group epoch if it changed, a new target is computed,
    /// and the member reconciles against the partitions its subscription says it owns.
    pub fn classic_join(&mut self, now_ms: u64, req: &ClassicJoin<'_>, assignor: &dyn TargetAssignor) -> (ClassicJoinResponse, Output) {
        let mut out = Output::default();
        let refuse = |error: ErrorCode, member_id: &str| ClassicJoinResponse { error, member_id: member_id.to_string(), generation_id: -1, protocol_name: None };
        if self.config.migration_policy == MigrationPolicy::Disabled {
            return (refuse(ErrorCode::InconsistentGroupProtocol, req.member_id), out);
        }
        let unknown = req.member_id.is_empty();
        let member_id = if unknown { req.new_member_id } else { req.member_id };
        if !self.members.contains_key(member_id) && self.members.len() >= self.config.max_size {
            return (refuse(ErrorCode::GroupMaxSizeReached, member_id), out);
        }
        if !self.supports_classic_protocols(req.protocol_type, req.protocols) {
            return (refuse(ErrorCode::InconsistentGroupProtocol, member_id), out);
        }
        if unknown && req.instance_id.is_none() {
            return (refuse(ErrorCode::MemberIdRequired, member_id), out);
        }
        let holder = req.instance_id.and_then(|i| self.members.values().find(|m| m.instance_id.as_deref() == Some(i))).cloned();
        let (member, replaced) = match (req.instance_id, holder) {
            (None, _) => (self.members.get(member_id).cloned().unwrap_or_else(|| ConsumerMember::new(member_id, req.client_id, None)), false),
            (Some(i), None) if unknown => (ConsumerMember::new(member_id, req.client_id, Some(i)), false),
            (Some(_), None) => return (refuse(ErrorCode::UnknownMemberId, member_id), out),
            (Some(_), Some(old)) if unknown => (self.replace_static_member(&old, member_id, &mut out), true),
            (Some(_), Some(old)) if old.member_id != member_id => return (refuse(ErrorCode::FencedInstanceId, member_id), out),
            (Some(_), Some(old)) => (old, false),
        };
        let is_new = !self.members.contains_key(&member.member_id);
        let mut updated = member.clone();
        updated.instance_id = req.instance_id.map(str::to_string);
        updated.client_id = req.client_id.to_string();
        updated.rebalance_timeout_ms = req.rebalance_timeout_ms;
        updated.subscribed_topics = subscribed_topics(req.protocols, None);
        updated.classic = Some(ClassicMemberMetadata { session_timeout_ms: req.session_timeout_ms, protocols: req.protocols.to_vec() });
        let subscription_changed = is_new || updated.subscribed_topics != member.subscribed_topics;
        if is_new {
            out.events.push(ConsumerGroupEvent::MemberJoined { member_id: updated.member_id.clone() });
        }
        if is_new || updated != member {
            out.records.push(super::metadata_record(&updated));
        }
        self.members.insert(updated.member_id.clone(), updated.clone());
        if subscription_changed {
            self.bump_epoch(&mut out);
        }
        let downgrade = replaced
            && self.members.values().all(ConsumerMember::uses_classic_protocol)
            && self.config.migration_policy.downgrade_enabled()
            && self.members.len() <= self.config.classic_max_size;
        let owned = req.protocols.first().map(|p| p.metadata.owned_partitions.as_slice());
        let after = if downgrade && subscription_changed {
            updated
        } else {
            if !downgrade && self.assignment_epoch < self.group_epoch {
                self.compute_target(assignor, &mut out);
            }
            self.reconcile(now_ms, &updated, owned, &mut out)
        };
        if downgrade {
            // Kafka rebalances only for a changed subscription. GroupLab also rebalances when
            // the target is behind the group epoch (the group was Assigning): the classic group
            // would otherwise start from a stale target and leave partitions unowned.
            let stale = self.assignment_epoch < self.group_epoch;
            let reason = if subscription_changed { "static member replacement with different subscription" } else { "static member replacement" };
            out.downgrade = Some(Downgrade {
                generation_id: self.group_epoch,
                members: self.members.values().map(|m| self.snapshot(m)).collect(),
                rebalance: subscription_changed || stale,
                reason: format!("Downgrade group {} from consumer to classic for {reason}.", self.group_id),
            });
        } else {
            self.classic_join_deadline_ms.remove(&after.member_id);
            self.session_deadline_ms.insert(after.member_id.clone(), now_ms.saturating_add(req.session_timeout_ms));
            self.classic_sync_deadline_ms.insert(after.member_id.clone(), now_ms.saturating_add(req.rebalance_timeout_ms));
        }
        let response = ClassicJoinResponse {
            error: ErrorCode::None,
            member_id: after.member_id.clone(),
            generation_id: after.member_epoch,
            protocol_name: req.protocols.first().map(|p| p.name.clone()),
        };
        (response, out)
    }

    /// A SyncGroup from a classic member (`classicGroupSyncToConsumerGroup`): its current
    /// assignment, or `REBALANCE_IN_PROGRESS` when the group moved on and it must rejoin
    /// first (unless it is still revoking).
    pub fn classic_sync(&mut self, now_ms: u64, member_id: &str, instance_id: Option<&str>, generation_id: i32, protocol_name: &str) -> Result<Vec<TopicPartition>, ErrorCode> {
        let m = self.classic_member(member_id, instance_id, generation_id)?;
        if m.classic.as_ref().and_then(|c| c.protocols.first()).is_some_and(|p| p.name != protocol_name) {
            return Err(ErrorCode::InconsistentGroupProtocol);
        }
        if self.group_epoch > m.member_epoch && m.state != MemberState::UnrevokedPartitions {
            self.classic_rejoin_due(now_ms, &m);
            return Err(ErrorCode::RebalanceInProgress);
        }
        self.classic_sync_deadline_ms.remove(&m.member_id);
        let session_ms = self.session_timeout_of(&m);
        self.session_deadline_ms.insert(m.member_id.clone(), now_ms.saturating_add(session_ms));
        Ok(m.assigned)
    }

    /// A Heartbeat from a classic member (`classicGroupHeartbeatToConsumerGroup`):
    /// `REBALANCE_IN_PROGRESS` when it must rejoin (the group epoch moved past its epoch, it
    /// has partitions to revoke, or the partitions it waits for are free now).
    pub fn classic_heartbeat(&mut self, now_ms: u64, member_id: &str, instance_id: Option<&str>, generation_id: i32) -> ErrorCode {
        let m = match self.classic_member(member_id, instance_id, generation_id) {
            Ok(m) => m,
            Err(error) => return error,
        };
        let session_ms = self.session_timeout_of(&m);
        self.session_deadline_ms.insert(m.member_id.clone(), now_ms.saturating_add(session_ms));
        let rejoin = m.member_epoch < self.group_epoch
            || m.state == MemberState::UnrevokedPartitions
            || (m.state == MemberState::UnreleasedPartitions && !self.waiting_on_unreleased_partition(&m));
        if rejoin {
            self.classic_rejoin_due(now_ms, &m);
            return ErrorCode::RebalanceInProgress;
        }
        ErrorCode::None
    }

    /// A LeaveGroup from a classic member (`classicGroupLeaveToConsumerGroup`): fenced, or the
    /// group downgrades.
    pub fn classic_leave(&mut self, member_id: &str) -> (ErrorCode, Output) {
        let mut out = Output::default();
        if !self.members.contains_key(member_id) {
            return (ErrorCode::UnknownMemberId, out);
        }
        self.fence_member(member_id, Removal::ClassicLeft, &mut out);
        (ErrorCode::None, out)
    }

    /// `validateConsumerGroupMember`, `throwIfMemberDoesNotUseClassicProtocol` and
    /// `throwIfGenerationIdUnmatched`.
    fn classic_member(&self, member_id: &str, instance_id: Option<&str>, generation_id: i32) -> Result<ConsumerMember, ErrorCode> {
        let m = match instance_id {
            None => self.members.get(member_id).ok_or(ErrorCode::UnknownMemberId)?,
            Some(i) => {
                let m = self.members.values().find(|m| m.instance_id.as_deref() == Some(i)).ok_or(ErrorCode::UnknownMemberId)?;
                if m.member_id != member_id {
                    return Err(ErrorCode::FencedInstanceId);
                }
                m
            }
        };
        if !m.uses_classic_protocol() {
            return Err(ErrorCode::UnknownMemberId);
        }
        if m.member_epoch != generation_id {
            return Err(ErrorCode::IllegalGeneration);
        }
        Ok(m.clone())
    }

    /// The member was told to rejoin: it must within its rebalance timeout
    /// (`scheduleConsumerGroupJoinTimeoutIfAbsent`).
    fn classic_rejoin_due(&mut self, now_ms: u64, m: &ConsumerMember) {
        if !self.classic_join_deadline_ms.contains_key(&m.member_id) {
            self.classic_join_deadline_ms.insert(m.member_id.clone(), now_ms.saturating_add(m.rebalance_timeout_ms));
        }
    }

    /// Whether a partition of the member's target that it does not have yet is still held by
    /// another member (`waitingOnUnreleasedPartition`).
    fn waiting_on_unreleased_partition(&self, m: &ConsumerMember) -> bool {
        self.target_of(&m.member_id).iter().any(|tp| !m.assigned.contains(tp) && self.owners.get(tp).is_some_and(|o| o != &m.member_id))
    }

    /// `supportsClassicProtocols`: the protocol type is `consumer` and, unless the group has
    /// no classic member, some protocol of the request is supported by all of them.
    fn supports_classic_protocols(&self, protocol_type: &str, protocols: &[JoinProtocol]) -> bool {
        if protocol_type != CONSUMER_PROTOCOL_TYPE || protocols.is_empty() {
            return false;
        }
        let classic: Vec<&ConsumerMember> = self.members.values().filter(|m| m.uses_classic_protocol()).collect();
        classic.is_empty()
            || protocols.iter().any(|p| classic.iter().all(|m| m.classic.as_ref().is_some_and(|c| c.protocols.iter().any(|q| q.name == p.name))))
    }
}

/// The topics a member's JoinGroup subscription names, sorted: those of `protocol`, else of
/// its first protocol (all carry the same subscription).
fn subscribed_topics(protocols: &[JoinProtocol], protocol: Option<&str>) -> Vec<String> {
    let chosen = protocol.and_then(|name| protocols.iter().find(|p| p.name == name)).or(protocols.first());
    let mut topics = chosen.map(|p| p.metadata.topics.clone()).unwrap_or_default();
    crate::kernel::sort::sort(&mut topics);
    topics.dedup();
    topics
}
