//! The context handed to every machine while it handles an input or a timeout: the clock, the
//! one RNG and the global sequence counters. Plus the output queues built on it.

use std::collections::VecDeque;

use super::rng::SplitMix64;

/// Clock + RNG + sequence counters, shared by all machines of one simulation.
#[derive(Clone, Debug)]
pub struct Ctx {
    /// Simulated time.
    pub now_ms: u64,
    /// The one RNG.
    pub rng: SplitMix64,
    /// Next timer sequence number: timers due at the same time fire in scheduling order,
    /// whichever machine scheduled them.
    next_timer_seq: u64,
    /// Next output stamp: the outputs of all machines merge back into emission order.
    next_stamp: u64,
}

impl Ctx {
    /// Time 0, the RNG seeded with `seed`.
    pub fn new(seed: u64) -> Ctx {
        Ctx {
            now_ms: 0,
            rng: SplitMix64::new(seed),
            next_timer_seq: 0,
            next_stamp: 0,
        }
    }
    /// Takes the next timer sequence number.
    pub fn take_timer_seq(&mut self) -> u64 {
        let s = self.next_timer_seq;
        self.next_timer_seq += 1;
        s
    }
    /// The next timer sequence number (for the state hash).
    pub fn next_timer_seq(&self) -> u64 {
        self.next_timer_seq
    }
    fn take_stamp(&mut self) -> u64 {
        let s = self.next_stamp;
        self.next_stamp += 1;
        s
    }
}

/// A machine's output queue: each item stamped with the time and a global emission number, so
/// the driver can merge several machines' outboxes into the order things happened in
/// ([`Outbox::take_before`]). Drained by the driver after every input, so it stays short.
#[derive(Clone, Debug)]
pub struct Outbox<E> {
    items: VecDeque<(u64, u64, E)>,
}

impl<E> Default for Outbox<E> {
    fn default() -> Self {
        Outbox { items: VecDeque::new() }
    }
}

impl<E> Outbox<E> {
    /// Queues `e`, happening now.
    pub fn push(&mut self, ctx: &mut Ctx, e: E) {
        let at_ms = ctx.now_ms;
        self.push_at(ctx, at_ms, e);
    }
    /// Queues `e`, which happened at `at_ms` (a machine's own clock reading).
    pub fn push_at(&mut self, ctx: &mut Ctx, at_ms: u64, e: E) {
        let stamp = ctx.take_stamp();
        self.items.push_back((stamp, at_ms, e));
    }
    /// Stamp of the oldest item.
    pub fn first_stamp(&self) -> Option<u64> {
        self.items.front().map(|&(s, _, _)| s)
    }
    /// The oldest item: `(at_ms, e)`.
    pub fn pop(&mut self) -> Option<(u64, E)> {
        self.items.pop_front().map(|(_, at, e)| (at, e))
    }
    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// Bounded output queue: when full, the oldest item is dropped and counted.
#[derive(Clone, Debug)]
pub struct EventQueue<E> {
    queue: VecDeque<E>,
    capacity: usize,
    dropped: u64,
}

impl<E> EventQueue<E> {
    /// Queue holding at most `capacity` items (at least 1).
    pub fn new(capacity: usize) -> Self {
        EventQueue {
            queue: VecDeque::new(),
            capacity: capacity.max(1),
            dropped: 0,
        }
    }
    /// Push, dropping the oldest on overflow.
    pub fn push(&mut self, e: E) {
        if self.queue.len() >= self.capacity {
            self.queue.pop_front();
            self.dropped += 1;
        }
        self.queue.push_back(e);
    }
    /// Pop the oldest.
    pub fn pop(&mut self) -> Option<E> {
        self.queue.pop_front()
    }
    /// Items dropped so far.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
    /// Items waiting.
    pub fn len(&self) -> usize {
        self.queue.len()
    }
    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}
