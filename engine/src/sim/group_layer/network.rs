//! The group layer's network: the in-flight messages between consumers and brokers, ordered by
//! delivery time, and their delivery to a coordinator or a consumer. Requests to a dead broker get
//! no answer (the client's `request.timeout.ms` expires); requests to a live broker that does not
//! coordinate the group get NOT_COORDINATOR. Consumers fetch from the cluster through
//! [`ClusterSource`].

use crate::api::view::{MessageView, MAX_MESSAGES_IN_VIEW};
use crate::group::protocol::Api;
use std::collections::VecDeque;
use crate::cluster::log::Log;
use crate::cluster::{Cluster, Partition, Topic};
use std::cell::Cell;
use crate::group::client::{PartitionOffsets, PartitionSource};
use crate::group::protocol::{producer_record_id, Body, Endpoint, ErrorCode, Message, RecordId, Request, Response, TopicPartition};
use crate::kernel::{pack, unpack, Ctx};
use std::collections::BTreeSet;

use super::{GroupLayer, MAX_MESSAGES};

/// The simulated cluster as consumers see it.
pub struct ClusterSource<'a> {
    cluster: &'a Cluster,
    /// Index of the topic of the last lookup: a consumer's fetch reads partition after
    /// partition of the same topic, and comparing one name costs less than finding it.
    last_topic: Cell<usize>,
}

impl<'a> ClusterSource<'a> {
    /// The cluster as consumers see it.
    pub fn new(cluster: &'a Cluster) -> Self {
        ClusterSource { cluster, last_topic: Cell::new(0) }
    }

    fn topic(&self, name: &str) -> Option<&'a Topic> {
        if let Some(t) = self.cluster.topics.get(self.last_topic.get()).filter(|t| t.name == name) {
            return Some(t);
        }
        let id = self.cluster.topic_id(name)?;
        self.last_topic.set(id);
        self.cluster.topics.get(id)
    }

    /// The partition's leader log, if its leader runs.
    fn leader_log(&self, tp: &TopicPartition) -> Option<(&'a Partition, &'a Log)> {
        self.cluster.live_leader_log(self.topic(&tp.topic)?, tp.partition)
    }
}

impl PartitionSource for ClusterSource<'_> {
    fn partition_count(&self, topic: &str) -> Option<u32> {
        self.cluster.topic(topic).map(|t| t.partitions.len() as u32)
    }
    fn offsets(&self, tp: &TopicPartition) -> Option<PartitionOffsets> {
        let (p, log) = self.leader_log(tp)?;
        Some(PartitionOffsets {
            log_start_offset: log.log_start_offset() as i64,
            high_watermark: log.high_watermark() as i64,
            log_end_offset: log.log_end_offset() as i64,
            leader_epoch: p.leader_epoch,
        })
    }
    fn record_epoch(&self, tp: &TopicPartition, offset: i64) -> Option<u32> {
        let offset = u64::try_from(offset).ok()?;
        let (_, log) = self.leader_log(tp)?;
        let r = log.read(offset, 1).first()?;
        (r.offset == offset).then_some(r.leader_epoch)
    }
    fn offset_for_timestamp(&self, tp: &TopicPartition, timestamp_ms: u64) -> Option<i64> {
        let (_, log) = self.leader_log(tp)?;
        // Append times never go back: the first record at or after `timestamp_ms`.
        let records = log.records();
        let i = records.partition_point(|r| r.timestamp_ms < timestamp_ms);
        records.get(i).map(|r| r.offset as i64)
    }
    fn end_offset_for_epoch(&self, tp: &TopicPartition, epoch: u32) -> Option<(u32, i64)> {
        let (_, log) = self.leader_log(tp)?;
        log.end_offset_for_epoch(epoch).map(|(e, end)| (e, end as i64))
    }
    fn for_each_record(&self, tp: &TopicPartition, from: i64, until: i64, max: usize, f: &mut dyn FnMut(i64, RecordId, Option<u32>)) {
        let Ok(start) = u64::try_from(from) else { return };
        let Some((_, log)) = self.leader_log(tp) else { return };
        let records = log.read(start, max);
        // The slice holds the records from the first offset ≥ `from`: stop at the first gap.
        for (r, offset) in records.iter().zip(from..until) {
            if r.offset as i64 != offset {
                break;
            }
            f(offset, producer_record_id(r.producer_id, r.sequence), Some(r.leader_epoch));
        }
    }
    fn record_id(&self, tp: &TopicPartition, offset: i64) -> Option<RecordId> {
        let offset = u64::try_from(offset).ok()?;
        let (_, log) = self.leader_log(tp)?;
        let r = log.read(offset, 1).first()?;
        (r.offset == offset).then(|| producer_record_id(r.producer_id, r.sequence))
    }
}

/// A remembered message's client slot with this bit set is a share consumer's (its index in
/// the share layer's names).
const SHARE_SLOT: u32 = 1 << 31;

/// Bits of a [`MessageQueue`] key's low half that hold the message's slot.
const SLOT_BITS: u32 = 20;
const _: () = assert!(MAX_MESSAGES < 1 << SLOT_BITS);

/// In-flight messages in delivery order: `(deliver_at_ms, seq)`, ties in sending order, with the
/// sequence of the last message sent and the count of messages dropped at [`MAX_MESSAGES`].
///
/// The order lives in a `BTreeSet<u128>` of keys `deliver_at_ms << 64 | seq << 20 | slot` (the
/// same set type as the layer's other deadline sets, so the wasm holds one copy of its code)
/// and the messages in a slab of slots reused through a free list: no second ordered map over
/// `Message`. `seq` stays below 2^44 (sixteen trillion messages).
#[derive(Clone, Debug, Default)]
pub(super) struct MessageQueue {
    order: BTreeSet<u128>,
    slots: Vec<Option<Message>>,
    free: Vec<u32>,
    /// Sequence number of the last message sent.
    seq: u64,
    /// Messages dropped because [`MAX_MESSAGES`] were in flight.
    dropped: u64,
}

impl MessageQueue {
    fn len(&self) -> usize {
        self.order.len()
    }

    /// Sequence number of the last message sent.
    pub(super) fn seq(&self) -> u64 {
        self.seq
    }

    /// Messages dropped because [`MAX_MESSAGES`] were in flight.
    pub(super) fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Queues a message (never delivered before `now`), or drops it if [`MAX_MESSAGES`] are in flight.
    fn send(&mut self, now: u64, mut m: Message) {
        if self.len() >= MAX_MESSAGES {
            self.dropped += 1;
            return;
        }
        m.deliver_at_ms = m.deliver_at_ms.max(now);
        self.seq += 1;
        self.push(m.deliver_at_ms, self.seq, m);
    }

    fn push(&mut self, deliver_at_ms: u64, seq: u64, m: Message) {
        debug_assert!(seq < 1 << (64 - SLOT_BITS), "message seq overflow");
        let slot = match self.free.pop() {
            Some(slot) => slot as usize,
            None => {
                self.slots.push(None);
                self.slots.len() - 1
            }
        };
        debug_assert!(self.slots[slot].is_none(), "slot {slot} in use");
        self.slots[slot] = Some(m);
        self.order.insert(pack(deliver_at_ms, seq << SLOT_BITS | slot as u64));
    }

    /// Delivery time of the next message.
    pub(super) fn next_at_ms(&self) -> Option<u64> {
        self.order.first().map(|&k| unpack(k).0)
    }

    /// The slot held in the low half of a key.
    fn slot(low: u64) -> usize {
        (low & ((1 << SLOT_BITS) - 1)) as usize
    }

    /// The next message if it is due at `now_ms`.
    pub(super) fn pop_due(&mut self, now_ms: u64) -> Option<Message> {
        let (at_ms, low) = unpack(*self.order.first()?);
        if at_ms > now_ms {
            return None;
        }
        self.order.pop_first();
        let slot = Self::slot(low);
        self.free.push(slot as u32);
        let m = self.slots.get_mut(slot).and_then(Option::take);
        debug_assert!(m.is_some(), "queued slot {slot} empty");
        m
    }

    /// `(deliver_at_ms, seq, message)` in delivery order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (u64, u64, &Message)> {
        self.order.iter().filter_map(|&k| {
            let (at_ms, low) = unpack(k);
            self.slots.get(Self::slot(low))?.as_ref().map(|m| (at_ms, low >> SLOT_BITS, m))
        })
    }
}

/// Most delivered messages the layer remembers ([`MessageHistory`]).
pub const MESSAGE_HISTORY: usize = 1_024;

/// One delivered message, compact (no allocation): what a sequence diagram draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Delivered {
    api: Api,
    response: bool,
    error: ErrorCode,
    /// Slot of the consumer at one end ([`super::ConsumerRuntime::slot`]).
    client_slot: u32,
    /// The broker at the other end (`None`: any broker, i.e. the bootstrap servers).
    broker: Option<u32>,
    /// The consumer sent it (else the broker did).
    from_client: bool,
    correlation_id: u64,
    sent_at_ms: u64,
    delivered_at_ms: u64,
}

/// The last [`MESSAGE_HISTORY`] messages delivered, oldest first: a bounded ring, so a
/// rebalance's exchange can be drawn after the fact (seek to it: a replay rebuilds the ring
/// exactly). Observational only: nothing reads it back into the simulation.
#[derive(Clone, Debug, Default)]
pub(super) struct MessageHistory {
    ring: VecDeque<Delivered>,
}

impl MessageHistory {
    fn push(&mut self, d: Delivered) {
        if self.ring.len() == MESSAGE_HISTORY {
            self.ring.pop_front();
        }
        self.ring.push_back(d);
    }
}

/// `(api, response, error)` of a message body (the error only when not NONE).
fn describe_body(body: &Body) -> (Api, bool, ErrorCode) {
    match body {
        Body::Request(r) => (r.api(), false, ErrorCode::None),
        Body::Response(r) => (r.api(), true, r.error()),
    }
}

impl GroupLayer {
    /// The consumer at one end of a message (every message has one).
    fn client_of(m: &Message) -> Option<&str> {
        match (&m.from, &m.to) {
            (Endpoint::Client(c), _) | (_, Endpoint::Client(c)) => Some(c),
            _ => None,
        }
    }

    /// The broker at the other end of a message (`None`: any broker, the bootstrap servers).
    fn broker_of(m: &Message) -> Option<u32> {
        match (&m.from, &m.to) {
            (Endpoint::Broker(b), _) | (_, Endpoint::Broker(b)) => Some(*b),
            _ => None,
        }
    }

    fn message_view(&self, api: Api, response: bool, error: ErrorCode, client: &str, from_client: bool, broker: Option<u32>) -> MessageView {
        let broker = broker.map_or_else(|| Endpoint::AnyBroker.to_string(), |b| Endpoint::Broker(b).to_string());
        let client_end = Endpoint::Client(client.to_string()).to_string();
        let (from, to) = if from_client { (client_end, broker) } else { (broker, client_end) };
        MessageView {
            api: api.name().to_string(),
            response,
            group_id: self
                .consumers
                .get(client)
                .map(|rt| rt.group_id.clone())
                .or_else(|| self.share.consumers.get(client).map(|c| c.group_id().to_string()))
                .unwrap_or_default(),
            client_id: client.to_string(),
            from,
            to,
            correlation_id: 0,
            sent_at_ms: 0,
            deliver_at_ms: 0,
            error: (error != ErrorCode::None).then(|| error.name().to_string()),
        }
    }

    /// The messages in flight, earliest delivery first (at most [`MAX_MESSAGES_IN_VIEW`]).
    pub fn message_views(&self) -> Vec<MessageView> {
        self.queue
            .iter()
            .take(MAX_MESSAGES_IN_VIEW)
            .filter_map(|(_, _, m)| {
                let (api, response, error) = describe_body(&m.body);
                let client = Self::client_of(m)?;
                let broker = Self::broker_of(m);
                let from_client = matches!(m.from, Endpoint::Client(_));
                Some(MessageView {
                    correlation_id: m.correlation_id,
                    sent_at_ms: m.sent_at_ms,
                    deliver_at_ms: m.deliver_at_ms,
                    ..self.message_view(api, response, error, client, from_client, broker)
                })
            })
            .collect()
    }

    /// Delivered messages of `group_id` (every group when `None`) that arrived in
    /// `[from_ms, until_ms]`, oldest first, from the last [`MESSAGE_HISTORY`] delivered.
    pub fn message_history(&self, group_id: Option<&str>, from_ms: u64, until_ms: u64) -> Vec<MessageView> {
        self.history
            .ring
            .iter()
            .filter(|d| (from_ms..=until_ms).contains(&d.delivered_at_ms))
            .filter_map(|d| {
                let client = if d.client_slot & SHARE_SLOT != 0 {
                    self.share.names.get((d.client_slot & !SHARE_SLOT) as usize)?
                } else {
                    self.consumer_names.get(d.client_slot as usize)?
                };
                let v = MessageView {
                    correlation_id: d.correlation_id,
                    sent_at_ms: d.sent_at_ms,
                    deliver_at_ms: d.delivered_at_ms,
                    ..self.message_view(d.api, d.response, d.error, client, d.from_client, d.broker)
                };
                group_id.is_none_or(|g| g == v.group_id).then_some(v)
            })
            .collect()
    }

    /// Remembers a message being delivered now.
    fn remember(&mut self, now: u64, m: &Message) {
        let Some(client) = Self::client_of(m) else { return };
        let slot = match self.consumers.get(client) {
            Some(rt) => rt.slot,
            None => match self.share.names.iter().position(|n| n == client) {
                Some(i) => SHARE_SLOT | i as u32,
                None => return,
            },
        };
        let (api, response, error) = describe_body(&m.body);
        let broker = Self::broker_of(m);
        self.history.push(Delivered {
            api,
            response,
            error,
            client_slot: slot,
            broker,
            from_client: matches!(m.from, Endpoint::Client(_)),
            correlation_id: m.correlation_id,
            sent_at_ms: m.sent_at_ms,
            delivered_at_ms: now,
        });
    }

    /// Answers a request: the response arrives after `latency_ms`.
    fn respond(&mut self, now: u64, from: Endpoint, to: Endpoint, corr: u64, latency_ms: u64, resp: Response) {
        self.enqueue(
            now,
            Message {
                from,
                to,
                correlation_id: corr,
                sent_at_ms: now,
                deliver_at_ms: now.saturating_add(latency_ms),
                body: Body::Response(resp),
            },
        );
    }

    /// The consumer at `to` loses its connection to broker `broker`.
    pub(super) fn disconnect(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, to: &Endpoint, broker: u32) {
        let Endpoint::Client(c) = to else { return };
        if self.is_share_consumer(c) {
            return self.share_consumer_disconnected(ctx.now_ms, c, broker);
        }
        let Some(rt) = self.consumers.get_mut(c) else { return };
        let out = rt.client.on_disconnect(ctx.now_ms, broker);
        rt.refresh_deadline(&mut self.consumer_due);
        let gid = rt.group_id.clone();
        self.apply_outputs(ctx, cluster, &gid, out);
    }

    /// Broker `broker` crashed: every consumer connected to it as its coordinator sees the
    /// connection drop now.
    pub fn broker_crashed(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, broker: u32) {
        let clients: Vec<String> = self.consumers.iter().filter(|(_, rt)| rt.client.coordinator() == Some(broker)).map(|(c, _)| c.clone()).collect();
        for c in clients {
            self.disconnect(ctx, cluster, &Endpoint::Client(c), broker);
        }
        // The share-partitions it held are gone with it (their state is in __share_group_state).
        if !self.share.groups.is_empty() {
            self.sync_share_placement(ctx, cluster);
        }
        self.reschedule(ctx);
    }

    /// Sends a message: it is delivered at its `deliver_at_ms` (not before `now`).
    pub(super) fn enqueue(&mut self, now: u64, m: Message) {
        self.queue.send(now, m);
    }

    /// Delivers a due message: to a consumer's client, to the bootstrap broker (FindCoordinator)
    /// or to a group's coordinator (NOT_COORDINATOR from any other live broker, no answer from a
    /// dead one). An OffsetCommit is answered once its records are committed (`placement.rs`).
    pub(super) fn deliver(&mut self, ctx: &mut Ctx, cluster: &mut Cluster, msg: Message) {
        let now = ctx.now_ms;
        self.remember(now, &msg);
        match (&msg.to, &msg.body) {
            (Endpoint::Client(c), _) if self.is_share_consumer(c) => {
                let c = c.clone();
                self.deliver_to_share_consumer(ctx, cluster, &c, &msg);
            }
            (Endpoint::Client(c), _) => {
                let src = ClusterSource::new(&*cluster);
                let (gid, out) = match self.consumers.get_mut(c) {
                    Some(rt) => {
                        let out = rt.client.handle_message(now, &msg, &src);
                        rt.refresh_deadline(&mut self.consumer_due);
                        (rt.group_id.clone(), out)
                    }
                    None => return,
                };
                self.apply_outputs(ctx, cluster, &gid, out);
            }
            (Endpoint::AnyBroker, Body::Request(req)) => {
                // The bootstrap broker answers FindCoordinator if any broker is up.
                let Some(bootstrap) = cluster.brokers.iter().find(|b| b.alive).map(|b| b.id) else {
                    return;
                };
                let gid = req.group_id().to_string();
                let latency = self.groups.get(&gid).map_or(5, |g| g.config.network_latency_ms);
                let share = self.share.groups.get(&gid).map(|g| g.coordinator);
                let resp = match self.groups.get(&gid).and_then(|g| g.coordinator.as_ref()) {
                    _ if share.is_some() => Response::FindCoordinator {
                        error: if share.flatten().is_some() { ErrorCode::None } else { ErrorCode::CoordinatorNotAvailable },
                        coordinator_id: share.flatten(),
                    },
                    Some(c) => Response::FindCoordinator {
                        error: ErrorCode::None,
                        coordinator_id: Some(c.broker_id()),
                    },
                    None => Response::FindCoordinator {
                        error: ErrorCode::CoordinatorNotAvailable,
                        coordinator_id: None,
                    },
                };
                self.respond(now, Endpoint::Broker(bootstrap), msg.from.clone(), msg.correlation_id, latency, resp);
            }
            (Endpoint::Broker(b), Body::Request(req)) => {
                if !cluster.broker_alive(*b) {
                    // The connection is refused: the request fails at once (no answer to wait for).
                    return self.disconnect(ctx, cluster, &msg.from, *b);
                }
                let gid = req.group_id().to_string();
                match req {
                    Request::ShareGroupHeartbeat { .. } => return self.share_group_heartbeat(ctx, cluster, &msg, *b),
                    Request::ShareFetch { .. } | Request::ShareAcknowledge { .. } => return self.share_fetch(ctx, cluster, &msg, *b),
                    _ => {}
                }
                let latency = self.groups.get(&gid).map_or(5, |g| g.config.network_latency_ms);
                let coordinates = self.groups.get(&gid).and_then(|g| g.coordinator.as_ref()).is_some_and(|c| c.broker_id() == *b);
                if coordinates {
                    if let Request::ConsumerGroupHeartbeat { heartbeat, .. } = req {
                        return self.consumer_group_heartbeat(ctx, cluster, &gid, &msg, heartbeat, *b);
                    }
                    if self.classic_request_to_consumer_group(ctx, cluster, &gid, &msg, *b) {
                        return;
                    }
                }
                // A consumer-protocol group's commit is checked against the member epoch first.
                let rewritten = match coordinates.then(|| self.consumer_group_commit(&msg)) {
                    Some(Err(resp)) => return self.respond(now, Endpoint::Broker(*b), msg.from.clone(), msg.correlation_id, latency, resp),
                    Some(Ok(m)) => m,
                    None => None,
                };
                let msg = rewritten.as_ref().unwrap_or(&msg);
                let out = match self.groups.get_mut(&gid).and_then(|g| g.coordinator.as_mut()) {
                    Some(c) if c.broker_id() == *b => {
                        let out = c.handle_message(now, msg);
                        self.refresh_coordinator_deadline(&gid);
                        out
                    }
                    _ => {
                        let resp = req.error_response(ErrorCode::NotCoordinator);
                        self.respond(now, Endpoint::Broker(*b), msg.from.clone(), msg.correlation_id, latency, resp);
                        return;
                    }
                };
                self.apply_outputs(ctx, cluster, &gid, out);
            }
            _ => {}
        }
    }
}
