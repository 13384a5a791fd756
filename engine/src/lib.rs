//! # GroupLab engine
//!
//! A deterministic, sans-IO simulation of an Apache Kafka cluster for the GroupLab consumer-group
//! laboratory. It compiles natively and to `wasm32-unknown-unknown`.
//!
//! ## Contract
//!
//! * **Sans-IO.** Input is [`Sim::apply`] (commands) and [`Sim::advance_to`] / [`Sim::step`]
//!   (time); output is [`Sim::poll_event`] and [`Sim::view`]. The engine never reads a clock,
//!   never uses an OS RNG, never does I/O.
//! * **Deterministic.** All randomness comes from one seeded SplitMix64 kept in the state; all
//!   collections whose order matters are `Vec`/`BTreeMap`. Same `SimConfig` + same commands at the
//!   same times ⇒ the same events and the same [`Sim::state_hash`] (FNV-1a over a canonical
//!   encoding), natively and in wasm32.
//! * **Atomic commands.** `apply` either succeeds or returns a typed [`SimError`] and changes
//!   nothing.
//! * **Never panics on user input.**
//! * **Faithful to Kafka**: Kafka's names, defaults, error names and messages (see the module
//!   docs of [`cluster`], [`topic`], [`hash`]).
//!
//! ## Modules
//! * [`hash`] — murmur2, `toPositive`, `String.hashCode`, `Utils.abs`, partition / coordinator.
//! * [`topic`] — topic name rules, collisions, [`topic::TopicConfig`].
//! * [`cluster`] — brokers, partitions, replication, ISR, HW, elections, retention, compaction.
//! * [`sim`] — the event loop, timers, producers, the phase-1 slice consumer group.
//!
//! ## Caps (rejected with [`SimError::LimitExceeded`])
//! brokers ≤ 100; partitions per topic ≤ 10,000; partitions in the cluster ≤ 50,000; topics ≤
//! 1,000; records per `Produce` ≤ 1,000,000; producer rate ≤ 10,000,000 records/s; keys per
//! `KeySpec` ≤ 100,000; distinct keys ≤ 1,000,000; producer identities ≤ 10,000; groups ≤ 1,000;
//! members per group ≤ 1,000; event queue ≤ 10,000,000 (default 100,000, oldest dropped and
//! counted); retained records over all replicas ≤ `max_retained_records` (default 30,000,000;
//! beyond it appends fail with `KAFKA_STORAGE_ERROR`); pending timers ≤ 1,000,000.

pub mod assign;
pub mod cluster;
pub mod command;
pub mod error;
pub mod event;
pub mod group;
pub mod hash;
pub mod rng;
pub mod scenario;
pub mod sim;
pub mod topic;
pub mod view;

pub use command::Command;
pub use error::SimError;
pub use event::Event;
pub use scenario::{Scenario, TimedCommand};
pub use sim::{Sim, SimConfig};
pub use view::*;
