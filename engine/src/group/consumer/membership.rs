//! The consumer side of KIP-848: the membership manager of `AsyncKafkaConsumer`
//! (`AbstractMembershipManager`, `ConsumerMembershipManager`, `MemberState`) as a pure machine.
//!
//! It decides what the next `ConsumerGroupHeartbeat` carries and when it is due, takes the
//! responses, and reconciles: when a new assignment arrives it names the partitions to revoke
//! (after an auto-commit, when `enable.auto.commit`) and to assign; the owner of the consumer
//! reports back with [`Membership::reconciled`], and the next heartbeat (sent at once, in
//! `ACKNOWLEDGING`) tells the coordinator. Fencing gives up every partition and rejoins with
//! epoch 0; leaving sends epoch -1 (-2 for a static member).

use crate::group::protocol::{ErrorCode, TopicPartition};
use serde::{Deserialize, Serialize};

use super::coordinator::{JOIN_EPOCH, LEAVE_EPOCH, LEAVE_STATIC_EPOCH};
use crate::group::protocol::{HeartbeatRequest, HeartbeatResponse};

/// The client's membership states (`cc/internals/MemberState.java`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ClientState {
    /// Not subscribed, not in a group.
    Unsubscribed,
    /// Sent (or about to send) the join heartbeat, epoch 0.
    Joining,
    /// Applying a new assignment (revoking, then assigning).
    Reconciling,
    /// Reconciled; the next heartbeat acknowledges it.
    Acknowledging,
    /// Owns its assignment at the member epoch.
    Stable,
    /// Fenced by the coordinator: releasing everything before rejoining.
    Fenced,
    /// About to leave: releasing its partitions.
    PrepareLeaving,
    /// Sending the leave heartbeat.
    Leaving,
    /// Left because `max.poll.interval.ms` expired; rejoins at the next poll.
    Stale,
    /// A fatal error: no more heartbeats.
    Fatal,
}

impl ClientState {
    /// Kafka's name (`MemberState.name()`).
    pub fn name(self) -> &'static str {
        match self {
            ClientState::Unsubscribed => "UNSUBSCRIBED",
            ClientState::Joining => "JOINING",
            ClientState::Reconciling => "RECONCILING",
            ClientState::Acknowledging => "ACKNOWLEDGING",
            ClientState::Stable => "STABLE",
            ClientState::Fenced => "FENCED",
            ClientState::PrepareLeaving => "PREPARE_LEAVING",
            ClientState::Leaving => "LEAVING",
            ClientState::Stale => "STALE",
            ClientState::Fatal => "FATAL",
        }
    }

    /// The states this one may be entered from (`MemberState`'s `previousValidStates`).
    pub fn valid_previous(self) -> &'static [ClientState] {
        use ClientState::*;
        match self {
            Stable => &[Joining, Acknowledging, Reconciling],
            Reconciling => &[Stable, Joining, Acknowledging, Reconciling],
            Acknowledging => &[Reconciling],
            Fenced => &[Joining, Stable, Reconciling, Acknowledging, PrepareLeaving, Leaving],
            Joining => &[Fenced, Unsubscribed, Stale],
            PrepareLeaving => &[Joining, Stable, Reconciling, Acknowledging, Unsubscribed],
            Leaving => &[PrepareLeaving],
            Unsubscribed => &[PrepareLeaving, Leaving, Fenced],
            Stale => &[Leaving],
            Fatal => &[Joining, Stable, Reconciling, Acknowledging, PrepareLeaving, Leaving, Unsubscribed],
        }
    }
}

/// What the consumer must do to its partitions now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reconcile {
    /// Commit consumed offsets first (`enable.auto.commit`), then revoke `revoke` and assign
    /// `assign` (`onPartitionsRevoked`, then `onPartitionsAssigned`); report with
    /// [`Membership::reconciled`].
    Apply { revoke: Vec<TopicPartition>, assign: Vec<TopicPartition>, commit_first: bool },
    /// Every partition is lost (`onPartitionsLost`): fenced, or left on a poll timeout.
    Lose(Vec<TopicPartition>),
}

/// The membership of one consumer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    member_id: String,
    client_id: String,
    instance_id: Option<String>,
    topics: Vec<String>,
    server_assignor: Option<String>,
    rebalance_timeout_ms: u64,
    auto_commit: bool,
    state: ClientState,
    member_epoch: i32,
    /// Partitions it owns (what the heartbeats report).
    owned: Vec<TopicPartition>,
    /// The latest assignment the coordinator sent, not reconciled yet.
    target: Option<Vec<TopicPartition>>,
    heartbeat_interval_ms: u64,
    next_heartbeat_ms: u64,
    /// A heartbeat is on its way.
    in_flight: bool,
    /// The next heartbeat must carry every field (after a join, a fence, an error).
    send_full: bool,
    fatal: Option<ErrorCode>,
    /// Leaving because `max.poll.interval.ms` expired: `STALE` after the leave heartbeat.
    stale_on_leave: bool,
}

impl Membership {
    /// A consumer subscribing to `topics`: `JOINING`, its join heartbeat due now.
    pub fn new(member_id: &str, client_id: &str, instance_id: Option<&str>, topics: &[String], rebalance_timeout_ms: u64, auto_commit: bool, now_ms: u64) -> Membership {
        let mut topics = topics.to_vec();
        crate::kernel::sort::sort(&mut topics);
        topics.dedup();
        Membership {
            member_id: member_id.to_string(),
            client_id: client_id.to_string(),
            instance_id: instance_id.map(str::to_string),
            topics,
            server_assignor: None,
            rebalance_timeout_ms,
            auto_commit,
            state: ClientState::Joining,
            member_epoch: JOIN_EPOCH,
            owned: Vec::new(),
            target: None,
            heartbeat_interval_ms: 0,
            next_heartbeat_ms: now_ms,
            in_flight: false,
            send_full: true,
            fatal: None,
            stale_on_leave: false,
        }
    }

    /// Sets `group.remote.assignor`.
    pub fn with_server_assignor(mut self, name: Option<&str>) -> Membership {
        self.server_assignor = name.map(str::to_string);
        self
    }

    /// The state.
    pub fn state(&self) -> ClientState {
        self.state
    }

    /// The member epoch.
    pub fn member_epoch(&self) -> i32 {
        self.member_epoch
    }

    /// The partitions it owns.
    pub fn owned(&self) -> &[TopicPartition] {
        &self.owned
    }

    /// The fatal error, if one stopped it.
    pub fn fatal_error(&self) -> Option<ErrorCode> {
        self.fatal
    }

    fn transition(&mut self, to: ClientState) {
        debug_assert!(to.valid_previous().contains(&self.state), "{:?} -> {to:?}", self.state);
        self.state = to;
    }

    /// Whether a heartbeat should go out now (`shouldHeartbeatNow` or the interval passed).
    pub fn heartbeat_due(&self, now_ms: u64) -> bool {
        self.next_deadline_ms().is_some_and(|d| d <= now_ms)
    }

    /// When the next heartbeat is due, if one is (at once in `JOINING`, `ACKNOWLEDGING` and
    /// `LEAVING`: the time it entered them).
    pub fn next_deadline_ms(&self) -> Option<u64> {
        match self.state {
            _ if self.in_flight => None,
            ClientState::Joining | ClientState::Acknowledging | ClientState::Leaving | ClientState::Stable => Some(self.next_heartbeat_ms),
            _ => None,
        }
    }

    /// The member id (a client-generated UUID, KIP-1082).
    pub fn member_id(&self) -> &str {
        &self.member_id
    }

    /// A heartbeat was lost (request timeout, disconnect): not in flight any more, due again now.
    pub fn heartbeat_failed(&mut self, now_ms: u64) {
        self.in_flight = false;
        self.send_full = true;
        self.next_heartbeat_ms = now_ms;
    }

    /// The heartbeat to send now; `ACKNOWLEDGING` becomes `STABLE` as it goes out, `LEAVING`
    /// becomes `UNSUBSCRIBED` (the leave needs no answer).
    pub fn heartbeat(&mut self, now_ms: u64) -> HeartbeatRequest {
        let leaving = self.state == ClientState::Leaving;
        let epoch = if leaving { if self.instance_id.is_some() { LEAVE_STATIC_EPOCH } else { LEAVE_EPOCH } } else { self.member_epoch };
        let full = self.send_full || epoch == JOIN_EPOCH;
        let req = HeartbeatRequest {
            member_id: self.member_id.clone(),
            member_epoch: epoch,
            instance_id: self.instance_id.clone(),
            client_id: self.client_id.clone(),
            rebalance_timeout_ms: if full { self.rebalance_timeout_ms as i64 } else { -1 },
            subscribed_topics: full.then(|| self.topics.clone()),
            server_assignor: if full { self.server_assignor.clone() } else { None },
            owned: Some(self.owned.clone()),
        };
        self.send_full = false;
        self.next_heartbeat_ms = now_ms.saturating_add(self.heartbeat_interval_ms);
        match self.state {
            ClientState::Acknowledging => self.transition(ClientState::Stable),
            ClientState::Leaving => {
                self.transition(if self.stale_on_leave { ClientState::Stale } else { ClientState::Unsubscribed });
                self.member_epoch = epoch;
                return req;
            }
            _ => {}
        }
        self.in_flight = true;
        req
    }

    /// Takes a heartbeat response; returns what to do to the partitions, if anything.
    pub fn on_response(&mut self, now_ms: u64, resp: &HeartbeatResponse) -> Option<Reconcile> {
        self.in_flight = false;
        if matches!(self.state, ClientState::Unsubscribed | ClientState::Fatal | ClientState::Stale) {
            return None;
        }
        match resp.error {
            ErrorCode::None => {}
            ErrorCode::FencedMemberEpoch | ErrorCode::UnknownMemberId => return self.fence(now_ms),
            ErrorCode::NotCoordinator | ErrorCode::CoordinatorNotAvailable | ErrorCode::CoordinatorLoadInProgress => {
                // Retriable: try again at the next interval (the driver finds the coordinator).
                return None;
            }
            other => {
                self.fatal = Some(other);
                self.transition(ClientState::Fatal);
                return None;
            }
        }
        self.member_epoch = resp.member_epoch;
        self.heartbeat_interval_ms = resp.heartbeat_interval_ms;
        if let Some(assignment) = &resp.assignment {
            let mut a = assignment.clone();
            crate::kernel::sort::sort(&mut a);
            self.target = Some(a);
        }
        self.maybe_reconcile()
    }

    /// `maybeReconcile`: a new target different from what it owns starts a reconciliation.
    fn maybe_reconcile(&mut self) -> Option<Reconcile> {
        let target = self.target.clone()?;
        if !matches!(self.state, ClientState::Joining | ClientState::Stable | ClientState::Reconciling | ClientState::Acknowledging) {
            return None;
        }
        if target == self.owned {
            self.target = None;
            if matches!(self.state, ClientState::Joining | ClientState::Reconciling) {
                self.transition(ClientState::Stable);
            }
            return None;
        }
        self.transition(ClientState::Reconciling);
        let revoke: Vec<TopicPartition> = self.owned.iter().filter(|tp| !target.contains(tp)).cloned().collect();
        let assign: Vec<TopicPartition> = target.iter().filter(|tp| !self.owned.contains(tp)).cloned().collect();
        let commit_first = self.auto_commit && !revoke.is_empty();
        Some(Reconcile::Apply { revoke, assign, commit_first })
    }

    /// The consumer applied the reconciliation: it owns the target now; `ACKNOWLEDGING` (the
    /// next heartbeat goes out at once), or straight into the next reconciliation if the target
    /// moved on meanwhile.
    pub fn reconciled(&mut self, now_ms: u64) {
        if self.state != ClientState::Reconciling {
            return;
        }
        if let Some(target) = self.target.take() {
            self.owned = target;
        }
        self.next_heartbeat_ms = now_ms;
        self.transition(ClientState::Acknowledging);
    }

    /// `transitionToFenced`: lose everything, then rejoin with epoch 0 and the same member id.
    fn fence(&mut self, now_ms: u64) -> Option<Reconcile> {
        self.transition(ClientState::Fenced);
        self.next_heartbeat_ms = now_ms;
        let lost = std::mem::take(&mut self.owned);
        self.target = None;
        self.member_epoch = JOIN_EPOCH;
        self.send_full = true;
        self.transition(ClientState::Joining);
        (!lost.is_empty()).then_some(Reconcile::Lose(lost))
    }

    /// `close()` / unsubscribe: release the partitions (the caller commits and revokes them), then
    /// the leave heartbeat.
    pub fn leave(&mut self, now_ms: u64) -> Option<Reconcile> {
        if matches!(self.state, ClientState::Unsubscribed | ClientState::Fatal | ClientState::Stale | ClientState::Leaving | ClientState::PrepareLeaving | ClientState::Fenced) {
            return None;
        }
        self.next_heartbeat_ms = now_ms;
        self.in_flight = false;
        self.transition(ClientState::PrepareLeaving);
        let revoke = std::mem::take(&mut self.owned);
        self.target = None;
        self.transition(ClientState::Leaving);
        (!revoke.is_empty()).then_some(Reconcile::Apply { revoke, assign: Vec::new(), commit_first: self.auto_commit })
    }

    /// `max.poll.interval.ms` expired: leave (the next heartbeat carries the leave epoch),
    /// then `STALE` with the partitions lost (`onPartitionsLost`, no commit);
    /// [`Membership::rejoin`] at the next poll.
    pub fn poll_timeout(&mut self, now_ms: u64) -> Option<Reconcile> {
        if !matches!(self.state, ClientState::Joining | ClientState::Stable | ClientState::Reconciling | ClientState::Acknowledging) {
            return None;
        }
        self.next_heartbeat_ms = now_ms;
        self.in_flight = false;
        self.transition(ClientState::PrepareLeaving);
        let lost = std::mem::take(&mut self.owned);
        self.target = None;
        self.stale_on_leave = true;
        self.transition(ClientState::Leaving);
        (!lost.is_empty()).then_some(Reconcile::Lose(lost))
    }

    /// The application polls again after a poll timeout: `STALE` → `JOINING` with epoch 0.
    pub fn rejoin(&mut self, now_ms: u64) {
        if self.state == ClientState::Stale {
            self.stale_on_leave = false;
            self.member_epoch = JOIN_EPOCH;
            self.send_full = true;
            self.next_heartbeat_ms = now_ms;
            self.transition(ClientState::Joining);
        }
    }
}
