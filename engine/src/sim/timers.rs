//! The discrete-event core: a bounded timer queue keyed by `(deadline_ms, seq)`.
//!
//! Ties at the same deadline fire in insertion order (`seq`), which keeps runs deterministic.
//! The key is packed into one `u128` (`deadline_ms` in the high half) so ordering is a single
//! integer comparison (tuple comparisons are slow in wasm builds optimised for size). The keys
//! live in a `BTreeSet<u128>` (the same set type as the group layer's deadline sets, so the wasm
//! holds one copy of its code) and the timers beside them, by `seq`, in a small sorted
//! [`VecMap`]: few timers are ever pending (one per broker fetcher, producer and housekeeping
//! task, plus the group layer's wake-ups).

use crate::vecmap::VecMap;
use std::collections::BTreeSet;

/// Internal events the simulation schedules for itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Timer {
    /// A follower broker's replica fetcher runs (one fetch to every leader it follows).
    Fetch { broker: u32 },
    /// The leaders' `isr-expiration` task (`maybeShrinkIsr`, every `replica.lag.time.max.ms / 2`).
    IsrExpiration,
    /// The controller's broker session for `broker` (incarnation `epoch`) expires: fence it.
    Fence { broker: u32, incarnation: u32 },
    /// Log retention check (`log.retention.check.interval.ms`).
    Retention,
    /// Log cleaner pass (`log.cleaner.backoff.ms`).
    Cleaner,
    /// A simulated producer sends its next batch.
    ProducerTick { producer: u32 },
    /// Reserved for the group layer.
    Group { id: u32, kind: u32 },
}

/// Bounded timer queue.
#[derive(Clone, Debug, Default)]
pub struct Timers {
    /// Firing order: `deadline_ms << 64 | seq`.
    queue: BTreeSet<u128>,
    /// The pending timers by `seq`.
    timers: VecMap<u64, Timer>,
    next_seq: u64,
}

/// `(time_ms, n)` packed into one `u128` ordered like the tuple (one integer comparison): the
/// key of every time-ordered `BTreeSet<u128>` of the simulation (timers, group-layer deadlines
/// and messages).
pub(crate) fn pack(time_ms: u64, n: u64) -> u128 {
    (u128::from(time_ms) << 64) | u128::from(n)
}

/// Inverse of [`pack`].
pub(crate) fn unpack(key: u128) -> (u64, u64) {
    ((key >> 64) as u64, key as u64)
}

/// Maximum number of pending timers (every timer source is bounded well below this).
pub const MAX_TIMERS: usize = 1_000_000;

impl Timers {
    /// Schedule `timer` at `deadline_ms`. Returns false (and schedules nothing) if full.
    pub fn schedule(&mut self, deadline_ms: u64, timer: Timer) -> bool {
        if self.queue.len() >= MAX_TIMERS {
            debug_assert!(false, "timer queue full");
            return false;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.queue.insert(pack(deadline_ms, seq));
        self.timers.insert(seq, timer);
        true
    }
    /// Earliest deadline.
    pub fn next_deadline_ms(&self) -> Option<u64> {
        self.queue.first().map(|&k| unpack(k).0)
    }
    /// Pop the earliest timer if due at or before `now_ms`.
    pub fn pop_due(&mut self, now_ms: u64) -> Option<(u64, Timer)> {
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
    /// Iterate in firing order (for hashing).
    pub fn iter(&self) -> impl Iterator<Item = (u64, u64, &Timer)> {
        self.queue.iter().filter_map(|&k| {
            let (d, seq) = unpack(k);
            self.timers.get(&seq).map(|t| (d, seq, t))
        })
    }
    /// Sequence counter (for hashing).
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_in_deadline_then_insertion_order() {
        let mut t = Timers::default();
        t.schedule(10, Timer::Retention);
        t.schedule(5, Timer::Cleaner);
        t.schedule(10, Timer::IsrExpiration);
        assert_eq!(t.next_deadline_ms(), Some(5));
        assert_eq!(t.pop_due(4), None);
        assert_eq!(t.pop_due(100), Some((5, Timer::Cleaner)));
        assert_eq!(t.pop_due(100), Some((10, Timer::Retention)));
        assert_eq!(t.pop_due(100), Some((10, Timer::IsrExpiration)));
        assert!(t.is_empty());
    }
}
