//! Shared mutable context handed to every layer while processing input or a timer:
//! the clock, the timer queue, the output queue and the RNG.

use std::collections::VecDeque;

use crate::event::Event;
use crate::rng::SplitMix64;
use crate::sim::timers::{Timer, Timers};

/// Bounded output queue: when full, the oldest event is dropped and counted.
#[derive(Clone, Debug)]
pub struct EventQueue {
    queue: VecDeque<Event>,
    capacity: usize,
    dropped: u64,
    /// When false, per-batch detail events (append, fetch, HW) are not produced at all.
    pub detail: bool,
}

impl EventQueue {
    /// Queue holding at most `capacity` events (at least 1).
    pub fn new(capacity: usize, detail: bool) -> Self {
        EventQueue { queue: VecDeque::new(), capacity: capacity.max(1), dropped: 0, detail }
    }
    /// Push, dropping the oldest on overflow.
    pub fn push(&mut self, e: Event) {
        if self.queue.len() >= self.capacity {
            self.queue.pop_front();
            self.dropped += 1;
        }
        self.queue.push_back(e);
    }
    /// Pop the oldest.
    pub fn pop(&mut self) -> Option<Event> {
        self.queue.pop_front()
    }
    /// Events dropped so far.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
    /// Events waiting.
    pub fn len(&self) -> usize {
        self.queue.len()
    }
    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

/// Clock + timers + output + RNG.
#[derive(Clone, Debug)]
pub struct Ctx {
    /// Simulated time.
    pub now_ms: u64,
    /// Pending internal events.
    pub timers: Timers,
    /// Output events.
    pub events: EventQueue,
    /// The one RNG.
    pub rng: SplitMix64,
}

impl Ctx {
    /// Schedule `timer` `delay_ms` from now.
    pub fn schedule_in(&mut self, delay_ms: u64, timer: Timer) {
        let at = self.now_ms.saturating_add(delay_ms);
        self.timers.schedule(at, timer);
    }
    /// Emit an event.
    pub fn emit(&mut self, e: Event) {
        self.events.push(e);
    }
}
