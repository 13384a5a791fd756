//! The kernel: what every machine of the simulation shares and nothing Kafka-specific.
//!
//! * [`Ctx`]: the simulated clock, the one seeded RNG and the two global sequence counters
//!   (timer tie-break order, output order), handed to a machine while it handles an input.
//! * [`Timers`]: a machine's own bounded timer queue, keyed by `(deadline_ms, seq)`.
//! * [`Outbox`]: a machine's own output queue, stamped so the driver can merge the outboxes of
//!   several machines back into the one order in which things happened.
//! * [`Fnv`]: the canonical state hash. [`rng`], [`vecmap`], [`sort`]: determinism and size.

pub mod ctx;
pub mod fnv;
pub mod rng;
pub mod sort;
pub mod timers;
pub mod vecmap;

pub use ctx::{Ctx, EventQueue, Outbox};
pub use fnv::Fnv;
pub use timers::{pack, unpack, Timers, MAX_TIMERS};
