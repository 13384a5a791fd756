//! One member of a consumer-protocol group as the coordinator holds it (`ConsumerGroupMember`),
//! and how it moves towards the group's target assignment (`CurrentAssignmentBuilder`).

use crate::group::protocol::{JoinProtocol, TopicPartition};
use serde::Serialize;

/// What a member that speaks the classic protocol inside a consumer group carries
/// (`ConsumerGroupMemberMetadataValue.ClassicMemberMetadata`): it keeps using JoinGroup,
/// SyncGroup and Heartbeat during an online migration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClassicMemberMetadata {
    /// `session.timeout.ms` from its JoinGroup: the member's session, instead of
    /// `group.consumer.session.timeout.ms`.
    pub session_timeout_ms: u64,
    /// Its JoinGroup protocols (assignor names with their subscription), in preference order.
    pub protocols: Vec<JoinProtocol>,
}

/// Where a member is in its reconciliation (`gc/modern/MemberState.java`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MemberState {
    /// At the target epoch and owning its whole target assignment.
    Stable,
    /// Must revoke partitions first; its epoch stays until it reports them gone.
    UnrevokedPartitions,
    /// At the target epoch, waiting for partitions other members still own.
    UnreleasedPartitions,
}

impl MemberState {
    /// Kafka's name (`MemberState.toString()`).
    pub fn name(self) -> &'static str {
        match self {
            MemberState::Stable => "STABLE",
            MemberState::UnrevokedPartitions => "UNREVOKED_PARTITIONS",
            MemberState::UnreleasedPartitions => "UNRELEASED_PARTITIONS",
        }
    }
}

/// A member of a consumer group (`ConsumerGroupMember`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsumerMember {
    /// `MemberId`: a UUID the client generates (KIP-1082).
    pub member_id: String,
    /// `group.instance.id` of a static member.
    pub instance_id: Option<String>,
    /// `client.id`.
    pub client_id: String,
    /// The member epoch: 0 before the first assignment, then the target epoch it reconciled to;
    /// -2 while a static member is away (left with -2).
    pub member_epoch: i32,
    /// The epoch before the last bump (a heartbeat whose response was lost may carry it).
    pub previous_member_epoch: i32,
    /// Reconciliation state.
    pub state: MemberState,
    /// `RebalanceTimeoutMs` (the client's `max.poll.interval.ms`): how long it may take to revoke.
    pub rebalance_timeout_ms: u64,
    /// `SubscribedTopicNames`, sorted.
    pub subscribed_topics: Vec<String>,
    /// `ServerAssignor` (`group.remote.assignor`), if the member names one.
    pub server_assignor: Option<String>,
    /// Partitions it owns in the current assignment, sorted.
    pub assigned: Vec<TopicPartition>,
    /// Partitions it must revoke before moving on, sorted.
    pub pending_revocation: Vec<TopicPartition>,
    /// Set for a member using the classic protocol (`useClassicProtocol`).
    pub classic: Option<ClassicMemberMetadata>,
}

impl ConsumerMember {
    /// A member that has just joined: epoch 0, nothing assigned.
    pub fn new(member_id: &str, client_id: &str, instance_id: Option<&str>) -> ConsumerMember {
        ConsumerMember {
            member_id: member_id.to_string(),
            instance_id: instance_id.map(str::to_string),
            client_id: client_id.to_string(),
            member_epoch: 0,
            previous_member_epoch: 0,
            state: MemberState::Stable,
            rebalance_timeout_ms: 300_000,
            subscribed_topics: Vec::new(),
            server_assignor: None,
            assigned: Vec::new(),
            pending_revocation: Vec::new(),
            classic: None,
        }
    }

    /// Whether it speaks the classic protocol (`useClassicProtocol`).
    pub fn uses_classic_protocol(&self) -> bool {
        self.classic.is_some()
    }

    /// Whether it has reconciled to `epoch` (`isReconciledTo`).
    pub fn is_reconciled_to(&self, epoch: i32) -> bool {
        self.state == MemberState::Stable && self.member_epoch == epoch
    }

    fn with_epoch(&self, epoch: i32) -> ConsumerMember {
        let mut m = self.clone();
        if epoch != m.member_epoch {
            m.previous_member_epoch = m.member_epoch;
            m.member_epoch = epoch;
        }
        m
    }
}

/// What the member reported owning in its heartbeat (`TopicPartitions`); `None` when the field
/// was null (unchanged), which Kafka reads as "may still own the revoked partitions".
fn owns_any(owned: Option<&[TopicPartition]>, partitions: &[TopicPartition]) -> bool {
    match owned {
        None => true,
        Some(owned) => owned.iter().any(|tp| partitions.contains(tp)),
    }
}

/// The member's next state towards the target (`CurrentAssignmentBuilder.build`).
///
/// * `target_epoch` / `target`: the group's target assignment epoch and this member's target.
/// * `owned`: the partitions the heartbeat reported owning.
/// * `owned_by_other`: whether another member still holds a partition in its current
///   assignment (`currentPartitionEpoch != -1`).
///
/// Rules, in order (`computeNextAssignment`): new assigned = current ∩ target (target treated as
/// empty for topics no longer subscribed); pending revocation = current − new assigned; pending
/// assignment = target − new assigned − partitions another member still owns. If something is
/// to be revoked that the member still reports owning: `UNREVOKED_PARTITIONS` at the same epoch.
/// Otherwise the member moves to the target epoch, takes the free partitions, and is
/// `UNRELEASED_PARTITIONS` while some are still held elsewhere, else `STABLE`.
pub fn next_assignment(
    member: &ConsumerMember,
    target_epoch: i32,
    target: &[TopicPartition],
    owned: Option<&[TopicPartition]>,
    owned_by_other: &dyn Fn(&TopicPartition) -> bool,
) -> ConsumerMember {
    match member.state {
        MemberState::Stable if member.member_epoch == target_epoch => member.clone(),
        MemberState::UnrevokedPartitions if owns_any(owned, &member.pending_revocation) => member.clone(),
        _ => compute_next(member, target_epoch, target, owned, owned_by_other),
    }
}

fn compute_next(
    member: &ConsumerMember,
    target_epoch: i32,
    target: &[TopicPartition],
    owned: Option<&[TopicPartition]>,
    owned_by_other: &dyn Fn(&TopicPartition) -> bool,
) -> ConsumerMember {
    let subscribed = |tp: &TopicPartition| member.subscribed_topics.iter().any(|t| *t == tp.topic);
    let target: Vec<&TopicPartition> = target.iter().filter(|tp| subscribed(tp)).collect();
    let assigned: Vec<TopicPartition> = member.assigned.iter().filter(|tp| target.contains(tp)).cloned().collect();
    let revoking: Vec<TopicPartition> = member.assigned.iter().filter(|tp| !assigned.contains(tp)).cloned().collect();
    let wanted: Vec<&TopicPartition> = target.iter().copied().filter(|tp| !assigned.contains(tp)).collect();
    // A partition this member itself is revoking is not "held by another".
    let free: Vec<TopicPartition> = wanted
        .iter()
        .filter(|tp| member.pending_revocation.contains(tp) || !owned_by_other(tp))
        .map(|tp| (*tp).clone())
        .collect();
    let unreleased = free.len() < wanted.len();
    if !revoking.is_empty() && owns_any(owned, &revoking) {
        let mut m = member.clone();
        m.state = MemberState::UnrevokedPartitions;
        m.assigned = assigned;
        m.pending_revocation = revoking;
        return m;
    }
    let mut m = member.with_epoch(target_epoch);
    m.assigned = assigned;
    m.assigned.extend(free);
    crate::kernel::sort::sort(&mut m.assigned);
    m.pending_revocation.clear();
    m.state = if unreleased { MemberState::UnreleasedPartitions } else { MemberState::Stable };
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tps(list: &[(&str, u32)]) -> Vec<TopicPartition> {
        list.iter().map(|(t, p)| TopicPartition::new(*t, *p)).collect()
    }

    fn member(epoch: i32, state: MemberState, assigned: &[(&str, u32)], revoking: &[(&str, u32)]) -> ConsumerMember {
        let mut m = ConsumerMember::new("m1", "c1", None);
        m.member_epoch = epoch;
        m.previous_member_epoch = epoch - 1;
        m.state = state;
        m.subscribed_topics = vec!["bar".into(), "foo".into()];
        m.assigned = tps(assigned);
        m.pending_revocation = tps(revoking);
        m
    }

    const NOBODY: &dyn Fn(&TopicPartition) -> bool = &|_| false;

    /// `testStableToStable`: a new target with only additions, all free.
    #[test]
    fn stable_to_stable_when_only_free_partitions_are_added() {
        let m = member(10, MemberState::Stable, &[("foo", 1), ("foo", 2)], &[]);
        let next = next_assignment(&m, 11, &tps(&[("foo", 1), ("foo", 2), ("bar", 3)]), Some(&tps(&[("foo", 1), ("foo", 2)])), NOBODY);
        assert_eq!((next.state, next.member_epoch, next.previous_member_epoch), (MemberState::Stable, 11, 10));
        assert_eq!(next.assigned, tps(&[("bar", 3), ("foo", 1), ("foo", 2)]));
    }

    /// `testStableToUnrevokedPartitions`: the member keeps its epoch until it revokes.
    #[test]
    fn stable_to_unrevoked_partitions_keeps_the_epoch() {
        let m = member(10, MemberState::Stable, &[("foo", 1), ("foo", 2), ("bar", 4)], &[]);
        let next = next_assignment(&m, 11, &tps(&[("foo", 2), ("bar", 4), ("bar", 5)]), Some(&tps(&[("foo", 1), ("foo", 2), ("bar", 4)])), NOBODY);
        assert_eq!((next.state, next.member_epoch), (MemberState::UnrevokedPartitions, 10));
        assert_eq!(next.assigned, tps(&[("foo", 2), ("bar", 4)]));
        assert_eq!(next.pending_revocation, tps(&[("foo", 1)]));
        // Still reported owned: no progress.
        let again = next_assignment(&next, 11, &tps(&[("foo", 2), ("bar", 4), ("bar", 5)]), Some(&tps(&[("foo", 1), ("foo", 2), ("bar", 4)])), NOBODY);
        assert_eq!(again, next);
        // A null owned list is read as "may still own it".
        assert_eq!(next_assignment(&next, 11, &tps(&[("foo", 2)]), None, NOBODY), next);
        // Revoked: moves to the target epoch and gets the new partition.
        let done = next_assignment(&next, 11, &tps(&[("foo", 2), ("bar", 4), ("bar", 5)]), Some(&tps(&[("foo", 2), ("bar", 4)])), NOBODY);
        assert_eq!((done.state, done.member_epoch), (MemberState::Stable, 11));
        assert_eq!(done.assigned, tps(&[("bar", 4), ("bar", 5), ("foo", 2)]));
        assert!(done.pending_revocation.is_empty());
    }

    /// `testStableToUnreleasedPartitions` and on to stable once released.
    #[test]
    fn partitions_held_elsewhere_stay_unreleased_until_freed() {
        let m = member(10, MemberState::Stable, &[("foo", 1)], &[]);
        let held = |tp: &TopicPartition| *tp == TopicPartition::new("foo", 2);
        let next = next_assignment(&m, 11, &tps(&[("foo", 1), ("foo", 2)]), Some(&tps(&[("foo", 1)])), &held);
        assert_eq!((next.state, next.member_epoch), (MemberState::UnreleasedPartitions, 11));
        assert_eq!(next.assigned, tps(&[("foo", 1)]));
        let freed = next_assignment(&next, 11, &tps(&[("foo", 1), ("foo", 2)]), Some(&tps(&[("foo", 1)])), NOBODY);
        assert_eq!((freed.state, freed.member_epoch), (MemberState::Stable, 11));
        assert_eq!(freed.assigned, tps(&[("foo", 1), ("foo", 2)]));
    }

    /// A topic the member no longer subscribes to is revoked whatever the target says.
    #[test]
    fn unsubscribed_topics_are_revoked() {
        let mut m = member(10, MemberState::Stable, &[("bar", 0), ("foo", 0)], &[]);
        m.subscribed_topics = vec!["foo".into()];
        let next = next_assignment(&m, 11, &tps(&[("bar", 0), ("foo", 0)]), Some(&tps(&[("bar", 0), ("foo", 0)])), NOBODY);
        assert_eq!(next.state, MemberState::UnrevokedPartitions);
        assert_eq!(next.pending_revocation, tps(&[("bar", 0)]));
    }

    /// At the target epoch and stable: nothing to do.
    #[test]
    fn a_reconciled_member_stays_as_it_is() {
        let m = member(11, MemberState::Stable, &[("foo", 1)], &[]);
        assert_eq!(next_assignment(&m, 11, &tps(&[("foo", 1), ("foo", 2)]), Some(&tps(&[("foo", 1)])), NOBODY), m);
    }
}
