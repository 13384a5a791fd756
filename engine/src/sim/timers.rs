//! The discrete-event core: a bounded timer queue keyed by `(deadline_ms, seq)`.
//!
//! Ties at the same deadline fire in insertion order (`seq`), which keeps runs deterministic.
//! The key is packed into one `u128` (`deadline_ms` in the high half) so ordering is a single
//! integer comparison (tuple comparisons are slow in wasm builds optimised for size).

use std::collections::BTreeMap;

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
    /// Key: `deadline_ms << 64 | seq`.
    queue: BTreeMap<u128, Timer>,
    next_seq: u64,
}

fn pack(deadline_ms: u64, seq: u64) -> u128 {
    (u128::from(deadline_ms) << 64) | u128::from(seq)
}

fn unpack(key: u128) -> (u64, u64) {
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
        self.queue.insert(pack(deadline_ms, seq), timer);
        true
    }
    /// Earliest deadline.
    pub fn next_deadline_ms(&self) -> Option<u64> {
        self.queue.first_key_value().map(|(&k, _)| unpack(k).0)
    }
    /// Pop the earliest timer if due at or before `now_ms`.
    pub fn pop_due(&mut self, now_ms: u64) -> Option<(u64, Timer)> {
        let (&k, _) = self.queue.first_key_value()?;
        let d = unpack(k).0;
        if d > now_ms {
            return None;
        }
        self.queue.pop_first().map(|(_, t)| (d, t))
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
        self.queue.iter().map(|(&k, t)| {
            let (d, seq) = unpack(k);
            (d, seq, t)
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
