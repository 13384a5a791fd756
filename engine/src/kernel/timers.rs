//! A machine's own bounded timer queue keyed by `(deadline_ms, seq)`.
//!
//! `seq` comes from the shared [`Ctx`], so timers of different machines due at the same time
//! fire in the order they were scheduled: the driver takes the machine whose [`Timers::next_key`]
//! is smallest. The key is packed into one `u128` (`deadline_ms` in the high half) so ordering is
//! a single integer comparison (tuple comparisons are slow in wasm builds optimised for size).
//! The keys live in a `BTreeSet<u128>` (the same set type as every other large ordered set of
//! the engine, so the wasm holds one copy of its code) and the timers beside them, by `seq`, in
//! a small sorted [`VecMap`].

use std::collections::BTreeSet;

use super::ctx::Ctx;
use super::vecmap::VecMap;

/// `(time_ms, n)` packed into one `u128` ordered like the tuple (one integer comparison): the
/// key of every time-ordered `BTreeSet<u128>` of the simulation (timers, group-layer deadlines
/// and messages).
pub fn pack(time_ms: u64, n: u64) -> u128 {
    (u128::from(time_ms) << 64) | u128::from(n)
}

/// Inverse of [`pack`].
pub fn unpack(key: u128) -> (u64, u64) {
    ((key >> 64) as u64, key as u64)
}

/// Maximum number of pending timers of one machine (every timer source is bounded well below
/// this).
pub const MAX_TIMERS: usize = 1_000_000;

/// Bounded timer queue of timers `T`.
#[derive(Clone, Debug)]
pub struct Timers<T> {
    /// Firing order: `deadline_ms << 64 | seq`.
    queue: BTreeSet<u128>,
    /// The pending timers by `seq`.
    timers: VecMap<u64, T>,
}

impl<T> Default for Timers<T> {
    fn default() -> Self {
        Timers {
            queue: BTreeSet::new(),
            timers: VecMap::new(),
        }
    }
}

impl<T> Timers<T> {
    /// Schedule `timer` at `deadline_ms`. Returns false (and schedules nothing) if full.
    pub fn schedule(&mut self, ctx: &mut Ctx, deadline_ms: u64, timer: T) -> bool {
        if self.queue.len() >= MAX_TIMERS {
            debug_assert!(false, "timer queue full");
            return false;
        }
        let seq = ctx.take_timer_seq();
        self.queue.insert(pack(deadline_ms, seq));
        self.timers.insert(seq, timer);
        true
    }
    /// Schedule `timer` `delay_ms` from now.
    pub fn schedule_in(&mut self, ctx: &mut Ctx, delay_ms: u64, timer: T) -> bool {
        let at = ctx.now_ms.saturating_add(delay_ms);
        self.schedule(ctx, at, timer)
    }
    /// Key (`pack(deadline_ms, seq)`) of the earliest timer.
    pub fn next_key(&self) -> Option<u128> {
        self.queue.first().copied()
    }
    /// Earliest deadline.
    pub fn next_deadline_ms(&self) -> Option<u64> {
        self.next_key().map(|k| unpack(k).0)
    }
    /// Pop the earliest timer if due at or before `now_ms`.
    pub fn pop_due(&mut self, now_ms: u64) -> Option<(u64, T)> {
        let (d, seq) = unpack(*self.queue.first()?);
        if d > now_ms {
            return None;
        }
        self.queue.pop_first();
        let timer = self.timers.remove(&seq);
        debug_assert!(timer.is_some(), "timer {seq} queued without its entry");
        timer.map(|t| (d, t))
    }
    /// Number of pending timers.
    pub fn len(&self) -> usize {
        self.queue.len()
    }
    /// Whether none is pending.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
    /// Iterate in firing order: `(deadline_ms, seq, timer)` (for hashing).
    pub fn iter(&self) -> impl Iterator<Item = (u64, u64, &T)> {
        self.queue.iter().filter_map(|&k| {
            let (d, seq) = unpack(k);
            self.timers.get(&seq).map(|t| (d, seq, t))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_in_deadline_then_insertion_order_across_queues() {
        let mut ctx = Ctx::new(0);
        let mut a: Timers<&str> = Timers::default();
        let mut b: Timers<&str> = Timers::default();
        a.schedule(&mut ctx, 10, "a10");
        b.schedule(&mut ctx, 5, "b5");
        b.schedule(&mut ctx, 10, "b10");
        a.schedule(&mut ctx, 10, "a10'");
        assert_eq!(a.next_deadline_ms(), Some(10));
        assert!(b.next_key() < a.next_key());
        assert_eq!(b.pop_due(4), None);
        assert_eq!(b.pop_due(100), Some((5, "b5")));
        // Same deadline: the one scheduled first (a10) comes first, whichever queue holds it.
        assert!(a.next_key() < b.next_key());
        assert_eq!(a.pop_due(100), Some((10, "a10")));
        assert!(b.next_key() < a.next_key());
        assert_eq!(b.pop_due(100), Some((10, "b10")));
        assert_eq!(a.pop_due(100), Some((10, "a10'")));
        assert!(a.is_empty() && b.is_empty());
        assert_eq!(ctx.next_timer_seq(), 4);
    }
}
