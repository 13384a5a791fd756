//! One share consumer (`KafkaShareConsumer` with its `ShareConsumeRequestManager` and
//! `ShareMembershipManager`), as a sans-IO state machine.
//!
//! * Membership: FindCoordinator, then `ShareGroupHeartbeat` (epoch 0 to join, the member epoch
//!   after, -1 to leave) every `HeartbeatIntervalMs` the coordinator returns. An
//!   UNKNOWN_MEMBER_ID or FENCED_MEMBER_EPOCH answer means the coordinator fenced the member:
//!   it drops what it holds (the broker released it) and joins again with epoch 0.
//! * Consumption: the consumer sends one `ShareFetch` per leader of its assigned partitions,
//!   carrying the acknowledgements of what it processed since (`acknowledgeBatchIfImplicitAcknowledgement`:
//!   in implicit mode every record of the last poll is ACCEPTed by the next one; in explicit
//!   mode the application acknowledges each record, here ACCEPT, or RELEASE / REJECT for a record
//!   whose key is in `failing_keys`). It processes the acquired records one by one
//!   (`processing_time_ms` each), then fetches again (a fetch that finds nothing waits at the
//!   broker up to `fetch.max.wait.ms`, then the consumer fetches again at once).
//! * Lifecycle: `stall` stops processing (heartbeats go on, the locks of what it holds expire on
//!   the broker), `crash` stops everything, `close` sends what it acknowledged
//!   (`ShareAcknowledge`) and leaves (-1); the broker then releases what it still held.
//!
//! Driven by [`ShareConsumer::handle_timeout`] and [`ShareConsumer::handle_message`] with
//! [`ShareConsumer::next_deadline_ms`]; outputs are [`Output`]s (messages, processed records,
//! events), as the classic consumer's.

use serde::Serialize;

use crate::group::client::ClientLifecycle;
use crate::group::event::GroupEvent;
use crate::group::output::Output;
use crate::group::protocol::{
    AcquiredRecord, Body, Endpoint, ErrorCode, Message, Request, Response, ShareAcknowledgement, ShareGroupHeartbeatRequest, TopicPartition,
};
use crate::group::share::partition::AcknowledgeType;
use crate::group::share::settings::{AcknowledgementMode, OnFailure, ShareGroupSettings};
use crate::kernel::vecmap::{VecMap, VecSet};

/// `retry.backoff.ms` (100) after a failed request.
pub const RETRY_BACKOFF_MS: u64 = 100;
/// `LEAVE_GROUP_MEMBER_EPOCH`.
const LEAVE_EPOCH: i32 = -1;

/// Where a share consumer's membership is (`MemberState` as the share consumer uses it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ShareMemberState {
    /// Not in the group (before finding the coordinator, after leaving).
    Unsubscribed,
    /// Join sent (epoch 0), no answer yet.
    Joining,
    /// In the group with an epoch.
    Stable,
    /// Fenced by the coordinator: it rejoins with epoch 0.
    Fenced,
    /// Leave (-1) sent.
    Leaving,
    /// Left on its poll timer (`max.poll.interval.ms`): it joins again at its next poll.
    Stale,
}

impl ShareMemberState {
    /// Kafka's name.
    pub fn name(self) -> &'static str {
        match self {
            ShareMemberState::Unsubscribed => "UNSUBSCRIBED",
            ShareMemberState::Joining => "JOINING",
            ShareMemberState::Stable => "STABLE",
            ShareMemberState::Fenced => "FENCED",
            ShareMemberState::Leaving => "LEAVING",
            ShareMemberState::Stale => "STALE",
        }
    }
}

/// Where a share consumer looks up partition leaders.
pub trait LeaderSource {
    /// The leader of a partition, `None` while it has none.
    fn leader(&self, tp: &TopicPartition) -> Option<u32>;
}

/// One share consumer.
#[derive(Debug, Clone, Serialize)]
pub struct ShareConsumer {
    client_id: String,
    group_id: String,
    topics: Vec<String>,
    settings: ShareGroupSettings,
    lifecycle: ClientLifecycle,
    member_id: String,
    member_epoch: i32,
    state: ShareMemberState,
    coordinator: Option<u32>,
    /// A FindCoordinator or heartbeat is on its way.
    membership_in_flight: bool,
    heartbeat_due_ms: Option<u64>,
    heartbeat_interval_ms: u64,
    assignment: Vec<TopicPartition>,
    /// Leaders with a ShareFetch on its way.
    fetching: VecSet<u32>,
    next_fetch_ms: Option<u64>,
    /// Acquired records not processed yet, in delivery order.
    batch: Vec<AcquiredRecord>,
    /// When the record at the head of `batch` is processed.
    processing_done_ms: Option<u64>,
    /// Acknowledgements not sent yet, per partition.
    pending_acks: VecMap<TopicPartition, Vec<ShareAcknowledgement>>,
    processed: u64,
    failed: u64,
    error: Option<String>,
    next_correlation_id: u64,
    /// When the application was last inside `poll()` (the poll timer's start).
    last_poll_ms: u64,
}

impl ShareConsumer {
    /// A consumer that starts at `now_ms`: it looks for its coordinator at once.
    pub fn new(client_id: &str, group_id: &str, topics: &[String], settings: ShareGroupSettings, now_ms: u64) -> ShareConsumer {
        ShareConsumer {
            client_id: client_id.to_string(),
            group_id: group_id.to_string(),
            topics: topics.to_vec(),
            member_id: crate::kafka::topic::topic_id(&format!("share member {client_id} {now_ms}")),
            heartbeat_interval_ms: settings.heartbeat_interval_ms.unwrap_or(5_000),
            settings,
            lifecycle: ClientLifecycle::Running,
            member_epoch: 0,
            state: ShareMemberState::Unsubscribed,
            coordinator: None,
            membership_in_flight: false,
            heartbeat_due_ms: Some(now_ms),
            assignment: Vec::new(),
            fetching: VecSet::new(),
            next_fetch_ms: None,
            batch: Vec::new(),
            processing_done_ms: None,
            pending_acks: VecMap::new(),
            processed: 0,
            failed: 0,
            error: None,
            next_correlation_id: 1,
            last_poll_ms: now_ms,
        }
    }

    /// `client.id`.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }
    /// The group.
    pub fn group_id(&self) -> &str {
        &self.group_id
    }
    /// Its subscription.
    pub fn topics(&self) -> &[String] {
        &self.topics
    }
    /// Its settings.
    pub fn settings(&self) -> &ShareGroupSettings {
        &self.settings
    }
    /// Lifecycle.
    pub fn lifecycle(&self) -> ClientLifecycle {
        self.lifecycle
    }
    /// Member id.
    pub fn member_id(&self) -> &str {
        &self.member_id
    }
    /// Member epoch (0 before joining).
    pub fn member_epoch(&self) -> i32 {
        self.member_epoch
    }
    /// Membership state.
    pub fn member_state(&self) -> ShareMemberState {
        self.state
    }
    /// Assigned partitions.
    pub fn assignment(&self) -> &[TopicPartition] {
        &self.assignment
    }
    /// Records held (acquired, not yet processed).
    pub fn held(&self) -> usize {
        self.batch.len()
    }
    /// Records processed.
    pub fn processed(&self) -> u64 {
        self.processed
    }
    /// Records whose processing failed.
    pub fn failed(&self) -> u64 {
        self.failed
    }
    /// What `poll()` threw, if it stopped.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }
    /// When it fetches next.
    pub fn next_fetch_ms(&self) -> Option<u64> {
        self.next_fetch_ms
    }
    /// When it heartbeats next.
    pub fn heartbeat_due_ms(&self) -> Option<u64> {
        self.heartbeat_due_ms
    }

    fn alive(&self) -> bool {
        matches!(self.lifecycle, ClientLifecycle::Running | ClientLifecycle::Stalled)
    }

    /// The next time it has work.
    pub fn next_deadline_ms(&self) -> Option<u64> {
        if !self.alive() {
            return None;
        }
        let heartbeat = self.heartbeat_due_ms.filter(|_| !self.membership_in_flight);
        let work = (self.lifecycle == ClientLifecycle::Running).then(|| self.processing_done_ms.or(self.next_fetch_ms)).flatten();
        [heartbeat, work, self.poll_expiry_ms()].into_iter().flatten().min()
    }

    /// The application is outside `poll()`: working through what the last poll returned, or
    /// stalled.
    fn outside_poll(&self) -> bool {
        !self.batch.is_empty() || self.lifecycle == ClientLifecycle::Stalled
    }

    /// When the poll timer expires (`AbstractHeartbeatRequestManager`: `pollTimer.isExpired()`),
    /// while the application is outside `poll()` and the consumer is in the group.
    fn poll_expiry_ms(&self) -> Option<u64> {
        let member = matches!(self.state, ShareMemberState::Joining | ShareMemberState::Stable);
        (member && self.outside_poll()).then(|| self.last_poll_ms.saturating_add(self.settings.max_poll_interval_ms).saturating_add(1))
    }

    /// The poll timer expired: the member leaves the group (`transitionToSendingLeaveGroup`,
    /// epoch -1) and is stale until the application polls again; the broker releases what it
    /// held.
    fn poll_timeout(&mut self, now_ms: u64, out: &mut Vec<Output>) {
        let since_last_poll_ms = now_ms.saturating_sub(self.last_poll_ms);
        self.event(now_ms, GroupEvent::PollTimeoutExpired { client_id: self.client_id.clone(), member_id: self.member_id.clone(), since_last_poll_ms }, out);
        self.state = ShareMemberState::Stale;
        self.heartbeat_due_ms = None;
        if !self.membership_in_flight {
            self.send_leave(now_ms, out);
        }
    }

    /// A `ShareGroupHeartbeat` with epoch -1 to the coordinator, if it knows one.
    fn send_leave(&mut self, now_ms: u64, out: &mut Vec<Output>) {
        let Some(c) = self.coordinator else { return };
        self.membership_in_flight = true;
        let heartbeat = ShareGroupHeartbeatRequest { member_id: self.member_id.clone(), member_epoch: LEAVE_EPOCH, rack_id: None, subscribed_topics: None, client_id: self.client_id.clone() };
        self.send(now_ms, Endpoint::Broker(c), Request::ShareGroupHeartbeat { group_id: self.group_id.clone(), heartbeat }, out);
    }

    fn send(&mut self, now_ms: u64, to: Endpoint, req: Request, out: &mut Vec<Output>) {
        let correlation_id = self.next_correlation_id;
        self.next_correlation_id += 1;
        out.push(Output::Send(Message {
            from: Endpoint::Client(self.client_id.clone()),
            to,
            correlation_id,
            sent_at_ms: now_ms,
            deliver_at_ms: now_ms.saturating_add(self.settings.network_latency_ms),
            body: Body::Request(req),
        }));
    }

    fn event(&self, now_ms: u64, event: GroupEvent, out: &mut Vec<Output>) {
        out.push(Output::Event { at_ms: now_ms, event });
    }

    /// Timers: the heartbeat, the record being processed, the next fetch.
    pub fn handle_timeout(&mut self, now_ms: u64, leaders: &dyn LeaderSource) -> Vec<Output> {
        let mut out = Vec::new();
        if !self.alive() {
            return out;
        }
        if self.poll_expiry_ms().is_some_and(|d| d <= now_ms) {
            self.poll_timeout(now_ms, &mut out);
        }
        if self.heartbeat_due_ms.is_some_and(|d| d <= now_ms) && !self.membership_in_flight {
            self.heartbeat(now_ms, &mut out);
        }
        if self.lifecycle != ClientLifecycle::Running {
            return out;
        }
        while self.processing_done_ms.is_some_and(|d| d <= now_ms) {
            self.finish_record(now_ms, &mut out);
        }
        if self.batch.is_empty() && self.next_fetch_ms.is_some_and(|d| d <= now_ms) {
            self.fetch(now_ms, leaders, &mut out);
        }
        out
    }

    /// Sends the membership request due: FindCoordinator first, then a heartbeat.
    fn heartbeat(&mut self, now_ms: u64, out: &mut Vec<Output>) {
        self.heartbeat_due_ms = None;
        self.membership_in_flight = true;
        let Some(coordinator) = self.coordinator else {
            self.send(now_ms, Endpoint::AnyBroker, Request::FindCoordinator { group_id: self.group_id.clone() }, out);
            return;
        };
        let joining = matches!(self.state, ShareMemberState::Unsubscribed | ShareMemberState::Fenced | ShareMemberState::Joining | ShareMemberState::Stale);
        if joining {
            self.member_epoch = 0;
            self.state = ShareMemberState::Joining;
        }
        let heartbeat = ShareGroupHeartbeatRequest {
            member_id: self.member_id.clone(),
            member_epoch: self.member_epoch,
            rack_id: None,
            subscribed_topics: joining.then(|| self.topics.clone()),
            client_id: self.client_id.clone(),
        };
        self.send(now_ms, Endpoint::Broker(coordinator), Request::ShareGroupHeartbeat { group_id: self.group_id.clone(), heartbeat }, out);
    }

    /// One ShareFetch per leader of the assigned partitions, with the acknowledgements for the
    /// partitions it leads.
    fn fetch(&mut self, now_ms: u64, leaders: &dyn LeaderSource, out: &mut Vec<Output>) {
        self.next_fetch_ms = None;
        self.last_poll_ms = now_ms;
        if self.state == ShareMemberState::Stale {
            // `poll()` of a stale member: it joins again (`transitionToJoining`).
            self.assignment.clear();
            self.heartbeat_due_ms = Some(now_ms);
            return;
        }
        if self.state != ShareMemberState::Stable || self.assignment.is_empty() {
            return;
        }
        let mut by_leader: VecMap<u32, Vec<TopicPartition>> = VecMap::new();
        for tp in &self.assignment {
            if let Some(b) = leaders.leader(tp) {
                by_leader.entry(b).or_default().push(tp.clone());
            }
        }
        if by_leader.is_empty() {
            self.next_fetch_ms = Some(now_ms.saturating_add(RETRY_BACKOFF_MS));
            return;
        }
        for (b, partitions) in by_leader {
            let acknowledgements = self.take_acks(|tp| leaders.leader(tp) == Some(b));
            self.fetching.insert(b);
            let req = Request::ShareFetch {
                group_id: self.group_id.clone(),
                member_id: self.member_id.clone(),
                partitions,
                acknowledgements,
                max_records: self.settings.max_poll_records,
            };
            self.send(now_ms, Endpoint::Broker(b), req, out);
        }
    }

    fn take_acks(&mut self, keep: impl Fn(&TopicPartition) -> bool) -> Vec<ShareAcknowledgement> {
        let tps: Vec<TopicPartition> = self.pending_acks.keys().filter(|tp| keep(tp)).cloned().collect();
        let mut acks = Vec::new();
        for tp in tps {
            acks.extend(self.pending_acks.remove(&tp).unwrap_or_default());
        }
        acks
    }

    /// The head record of the batch is processed: it counts, and is acknowledged.
    fn finish_record(&mut self, now_ms: u64, out: &mut Vec<Output>) {
        if self.batch.is_empty() {
            self.processing_done_ms = None;
            return;
        }
        let r = self.batch.remove(0);
        let fails = r.key.as_ref().is_some_and(|k| self.settings.failing_keys.contains(k));
        let kind = if fails {
            self.failed += 1;
            match self.settings.on_failure {
                OnFailure::Release => AcknowledgeType::Release,
                OnFailure::Reject => AcknowledgeType::Reject,
            }
        } else {
            self.processed += 1;
            out.push(Output::Processed { tp: r.tp.clone(), offset: r.offset, record_id: r.record_id, at_ms: now_ms });
            AcknowledgeType::Accept
        };
        // Implicit mode accepts every record of the poll; explicit mode acknowledges each.
        let kind = if self.settings.acknowledgement_mode == AcknowledgementMode::Implicit { AcknowledgeType::Accept } else { kind };
        self.ack(&r.tp, r.offset.max(0) as u64, kind);
        self.processing_done_ms = if self.batch.is_empty() {
            self.next_fetch_ms = Some(now_ms);
            None
        } else {
            Some(now_ms.saturating_add(self.settings.processing_time_ms))
        };
    }

    /// Queues an acknowledgement, merged into the previous range when contiguous and alike.
    fn ack(&mut self, tp: &TopicPartition, offset: u64, kind: AcknowledgeType) {
        let list = self.pending_acks.entry(tp.clone()).or_default();
        if let Some(last) = list.last_mut() {
            if last.kind == kind && last.last_offset.checked_add(1) == Some(offset) {
                last.last_offset = offset;
                return;
            }
        }
        list.push(ShareAcknowledgement { tp: tp.clone(), first_offset: offset, last_offset: offset, kind });
    }

    /// A response (or, for a request the network refused, nothing: see [`Self::disconnected`]).
    pub fn handle_message(&mut self, now_ms: u64, msg: &Message) -> Vec<Output> {
        let mut out = Vec::new();
        if !self.alive() && self.state != ShareMemberState::Leaving {
            return out;
        }
        let Body::Response(resp) = &msg.body else { return out };
        let from = match msg.from {
            Endpoint::Broker(b) => Some(b),
            _ => None,
        };
        match resp {
            Response::FindCoordinator { error, coordinator_id } => {
                self.membership_in_flight = false;
                match (error, coordinator_id) {
                    (ErrorCode::None, Some(b)) => {
                        self.coordinator = Some(*b);
                        self.event(now_ms, GroupEvent::CoordinatorDiscovered { client_id: self.client_id.clone(), broker_id: *b }, &mut out);
                        self.heartbeat_due_ms = Some(now_ms);
                    }
                    _ => self.heartbeat_due_ms = Some(now_ms.saturating_add(RETRY_BACKOFF_MS)),
                }
            }
            Response::ShareGroupHeartbeat(r) => {
                self.membership_in_flight = false;
                if self.state == ShareMemberState::Leaving {
                    self.state = ShareMemberState::Unsubscribed;
                    self.heartbeat_due_ms = None;
                    return out;
                }
                if self.state == ShareMemberState::Stale {
                    // The answer to its leave: nothing more until the application polls. A
                    // heartbeat that was on its way when the poll timer expired is answered
                    // first: the leave goes now.
                    if r.error == ErrorCode::None && r.member_epoch != LEAVE_EPOCH {
                        self.send_leave(now_ms, &mut out);
                    }
                    return out;
                }
                match r.error {
                    ErrorCode::None => {
                        if self.state == ShareMemberState::Joining {
                            self.state = ShareMemberState::Stable;
                            self.next_fetch_ms.get_or_insert(now_ms);
                        }
                        self.member_epoch = r.member_epoch;
                        if r.heartbeat_interval_ms > 0 {
                            self.heartbeat_interval_ms = r.heartbeat_interval_ms;
                        }
                        if let Some(a) = &r.assignment {
                            if *a != self.assignment {
                                self.assignment = a.clone();
                                self.event(now_ms, GroupEvent::Assigned { client_id: self.client_id.clone(), partitions: a.clone() }, &mut out);
                                if self.batch.is_empty() {
                                    self.next_fetch_ms.get_or_insert(now_ms);
                                }
                            }
                        }
                        self.heartbeat_due_ms = Some(now_ms.saturating_add(self.heartbeat_interval_ms));
                    }
                    ErrorCode::UnknownMemberId | ErrorCode::FencedMemberEpoch => {
                        // Fenced: what it held was released by the broker; join again.
                        self.state = ShareMemberState::Fenced;
                        self.batch.clear();
                        self.processing_done_ms = None;
                        self.pending_acks = VecMap::new();
                        self.assignment.clear();
                        self.event(now_ms, GroupEvent::RequestFailed { client_id: self.client_id.clone(), api: "ShareGroupHeartbeat".into(), error: r.error }, &mut out);
                        self.heartbeat_due_ms = Some(now_ms);
                    }
                    ErrorCode::NotCoordinator | ErrorCode::CoordinatorNotAvailable | ErrorCode::CoordinatorLoadInProgress => {
                        if r.error != ErrorCode::CoordinatorLoadInProgress {
                            self.coordinator = None;
                        }
                        self.heartbeat_due_ms = Some(now_ms.saturating_add(RETRY_BACKOFF_MS));
                    }
                    error => {
                        // A fatal error (e.g. GROUP_MAX_SIZE_REACHED, GROUP_ID_NOT_FOUND): poll() throws.
                        self.error = Some(format!("{}: {}", error.name(), error.message()));
                        self.lifecycle = ClientLifecycle::Closed;
                        self.state = ShareMemberState::Unsubscribed;
                        self.event(now_ms, GroupEvent::RequestFailed { client_id: self.client_id.clone(), api: "ShareGroupHeartbeat".into(), error }, &mut out);
                    }
                }
            }
            Response::ShareFetch { records, partition_errors, acknowledge_errors, error } => {
                if let Some(b) = from {
                    self.fetching.remove(&b);
                }
                for (tp, e) in acknowledge_errors {
                    self.event(now_ms, GroupEvent::AcknowledgementFailed { client_id: self.client_id.clone(), tp: tp.clone(), error: e.clone() }, &mut out);
                }
                if self.lifecycle != ClientLifecycle::Running || self.state != ShareMemberState::Stable {
                    return out;
                }
                let ours = records.iter().cloned();
                let failed = *error != ErrorCode::None || partition_errors.iter().any(|(_, e)| *e != ErrorCode::None);
                let was_empty = self.batch.is_empty();
                self.batch.extend(ours);
                // `poll()` returns these records: the poll timer starts now.
                self.last_poll_ms = now_ms;
                if was_empty && !self.batch.is_empty() {
                    self.processing_done_ms = Some(now_ms.saturating_add(self.settings.processing_time_ms));
                }
                if self.batch.is_empty() && self.fetching.is_empty() {
                    let wait = if failed { RETRY_BACKOFF_MS } else { 0 };
                    self.next_fetch_ms = Some(now_ms.saturating_add(wait));
                }
            }
            Response::ShareAcknowledge { acknowledge_errors, .. } => {
                for (tp, e) in acknowledge_errors {
                    self.event(now_ms, GroupEvent::AcknowledgementFailed { client_id: self.client_id.clone(), tp: tp.clone(), error: e.clone() }, &mut out);
                }
            }
            _ => {}
        }
        out
    }

    /// A request to broker `b` found no listener (the broker is down): the coordinator is to
    /// be found again, a fetch retried after the backoff.
    pub fn disconnected(&mut self, now_ms: u64, b: u32) {
        if self.coordinator == Some(b) && self.membership_in_flight {
            self.coordinator = None;
            self.membership_in_flight = false;
            self.heartbeat_due_ms = Some(now_ms.saturating_add(RETRY_BACKOFF_MS));
        }
        if self.fetching.remove(&b) && self.fetching.is_empty() && self.batch.is_empty() {
            self.next_fetch_ms = Some(now_ms.saturating_add(RETRY_BACKOFF_MS));
        }
    }

    /// The application is stuck: no more processing or fetching; heartbeats go on.
    pub fn stall(&mut self, now_ms: u64) -> Vec<Output> {
        if self.lifecycle == ClientLifecycle::Running {
            if self.batch.is_empty() {
                // Stuck outside `poll()` from now on.
                self.last_poll_ms = now_ms;
            }
            self.lifecycle = ClientLifecycle::Stalled;
        }
        Vec::new()
    }

    /// A stalled application goes on: it processes what it holds (if its locks have not
    /// expired, its acknowledgements will be refused) and fetches again.
    pub fn resume(&mut self, now_ms: u64) -> Vec<Output> {
        if self.lifecycle == ClientLifecycle::Stalled {
            self.lifecycle = ClientLifecycle::Running;
            if self.batch.is_empty() {
                self.next_fetch_ms = Some(now_ms);
            } else {
                self.processing_done_ms.get_or_insert(now_ms);
            }
        }
        Vec::new()
    }

    /// A hard crash: silent from now on.
    pub fn crash(&mut self, now_ms: u64) -> Vec<Output> {
        let mut out = Vec::new();
        if self.alive() {
            self.lifecycle = ClientLifecycle::Crashed;
            self.event(now_ms, GroupEvent::Lifecycle { client_id: self.client_id.clone(), what: "crashed".into() }, &mut out);
        }
        out
    }

    /// `close()`: the acknowledgements go out (`ShareAcknowledge` to each leader), the member
    /// leaves (-1); records still held unprocessed are released by the broker when it leaves.
    pub fn close(&mut self, now_ms: u64, leaders: &dyn LeaderSource) -> Vec<Output> {
        let mut out = Vec::new();
        if !self.alive() {
            return out;
        }
        let mut by_leader: VecMap<u32, Vec<ShareAcknowledgement>> = VecMap::new();
        let acks = self.take_acks(|_| true);
        for a in acks {
            if let Some(b) = leaders.leader(&a.tp) {
                by_leader.entry(b).or_default().push(a);
            }
        }
        for (b, acknowledgements) in by_leader {
            let req = Request::ShareAcknowledge { group_id: self.group_id.clone(), member_id: self.member_id.clone(), acknowledgements };
            self.send(now_ms, Endpoint::Broker(b), req, &mut out);
        }
        if let (Some(_), ShareMemberState::Stable | ShareMemberState::Joining) = (self.coordinator, self.state) {
            self.send_leave(now_ms, &mut out);
            self.state = ShareMemberState::Leaving;
        } else {
            self.state = ShareMemberState::Unsubscribed;
        }
        self.batch.clear();
        self.processing_done_ms = None;
        self.next_fetch_ms = None;
        self.heartbeat_due_ms = None;
        self.lifecycle = ClientLifecycle::Closed;
        self.event(now_ms, GroupEvent::Lifecycle { client_id: self.client_id.clone(), what: "closed".into() }, &mut out);
        out
    }

    /// A new consumer instance in its place (a new member id, nothing held).
    pub fn restarted(&self, now_ms: u64) -> ShareConsumer {
        ShareConsumer::new(&self.client_id, &self.group_id, &self.topics, self.settings.clone(), now_ms)
    }

    /// Hashes its state for the simulation's state hash.
    pub fn hash_into(&self, h: &mut crate::kernel::Fnv) {
        h.str(&self.client_id);
        h.str(&self.member_id);
        h.u64(self.member_epoch as u64);
        h.str(self.state.name());
        h.u64(self.batch.len() as u64);
        h.u64(self.processed);
        h.u64(self.failed);
        for t in [self.heartbeat_due_ms, self.next_fetch_ms, self.processing_done_ms] {
            h.u64(t.unwrap_or(u64::MAX));
        }
        for tp in &self.assignment {
            h.str(&tp.topic);
            h.u64(u64::from(tp.partition));
        }
    }
}
