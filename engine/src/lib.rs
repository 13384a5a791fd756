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
//!   collections whose order matters are `Vec`, [`vecmap::VecMap`] (a sorted-`Vec` map,
//!   smaller in wasm than `BTreeMap`, same iteration order) or `BTreeMap` for large churning
//!   ones. Same `SimConfig` + same commands at the
//!   same times ⇒ the same events and the same [`Sim::state_hash`] (FNV-1a over a canonical
//!   encoding), natively and in wasm32.
//! * **Atomic commands.** `apply` either succeeds or returns a typed [`SimError`] and changes
//!   nothing.
//! * **Never panics on user input.**
//! * **Simulated time** is in milliseconds from 0, and 0 is the Unix epoch
//!   (1970-01-01T00:00:00Z): record timestamps are epoch milliseconds, as Kafka's `CreateTime`
//!   (what `--to-datetime` and the lag in seconds read).
//! * **Faithful to Kafka**: Kafka's names, defaults, error names and messages (see the module
//!   docs of [`cluster`], [`topic`], [`hash`]).
//!
//! ## Modules
//! * [`hash`] — murmur2, `toPositive`, `String.hashCode`, `Utils.abs`, partition / coordinator.
//! * [`topic`] — topic name rules, collisions, [`topic::TopicConfig`].
//! * [`cluster`] — brokers, partitions, replication, ISR, HW, elections, retention, compaction.
//! * [`sim`] — the event loop, timers, producers, and the group layer wiring [`group`] to the
//!   cluster (coordinator on the `__consumer_offsets` leader, commits appended there).
//! * [`group`] — Kafka's consumer-group protocols as sans-IO state machines: the classic one
//!   and KIP-848's consumer protocol (coordinators, consumer client and its membership manager,
//!   ownership timeline, delivery ledger, lag).
//! * [`assign`] — Kafka's partition assignors.
//! * [`bounds`] — the simulated-time horizon of scenario and lesson files.
//! * [`tools`] — Kafka's command-line tools (`kafka-consumer-groups.sh`, `kafka-topics.sh`) over a
//!   `Sim`, read-only: their output, and the engine command an `--execute` asks for.
//!
//! ## What is modelled, and how exactly
//!
//! * **Replication** (`Partition.scala`, `ReplicaFetcherThread`): one fetcher per follower
//!   broker fetches every partition it follows, every `replica_fetch_delay_ms` (per-broker
//!   override with `SetBrokerDelay`) while there is data; idle fetchers park and are woken by
//!   appends (long poll) or, to learn a newer HW, after `replica.fetch.wait.max.ms`. The leader
//!   learns a follower's LEO from its *next* fetch offset, so the HW moves one fetch round after
//!   the data, as in Kafka. `lastCaughtUpTimeMs` follows `Replica.updateFetchState`.
//! * **High watermark**: min LEO over the leader, the ISR and followers caught up within
//!   `replica.lag.time.max.ms`; never moves back under one leader; does not advance while the
//!   ISR is smaller than `min.insync.replicas` capped at the replica count (`effectiveMinIsr`; the `isUnderMinIsr` guard of
//!   `maybeIncrementLeaderHW`, FACTS.md §6). acks=all records are acknowledged when the HW
//!   passes them; acks=1 on append; acks=0 never.
//! * **ISR**: shrink by the leader's `isr-expiration` task (every `replica.lag.time.max.ms / 2`)
//!   or when the controller fences a broker; expand when a follower's fetch offset reaches the
//!   HW and the current leader epoch's start offset (`maybeExpandIsr`).
//! * **Controller** (KRaft): a crashed broker is fenced after `broker.session.timeout.ms`;
//!   leaders are elected in replica order from the ISR; with no eligible ISR member the
//!   partition goes offline keeping its last ISR member, unless
//!   `unclean.leader.election.enable` (then the first live replica leads and the ISR is just
//!   it). Controlled shutdown moves leadership away first. Every leader change bumps the leader
//!   epoch. KIP-966 eligible leader replicas (on by default as in new 4.1+ clusters,
//!   `eligible.leader.replicas.version`): while the ISR is below `min.insync.replicas`, the
//!   replicas leaving it become ELR; the ISR may then empty and an ELR member leads cleanly; a
//!   broker back from an unclean shutdown leaves the ELR. Not modelled: preferred-leader
//!   auto-rebalance, controller failover, network partitions.
//! * **Truncation**: a follower of a new leader (or a restarted broker) truncates with
//!   `OffsetsForLeaderEpoch` on the leader-epoch cache before fetching; below the leader's log
//!   start it restarts at it (`truncateFullyAndStartAt`).
//! * **Loss accounting**: at each leader change the previous leader's records past the
//!   divergence point are recorded as lost (offset, producer id, sequence, acknowledged). A
//!   record is "acknowledged" when its producer used acks=1, or acks=all and it was below the
//!   previous leader's HW. Without unclean elections no committed record is ever lost
//!   (checked by `Sim::check_invariants` and the property tests).
//! * **Producers**: Kafka 4.x's retries and idempotent producer (`producer` module doc):
//!   retriable errors are re-sent with exponential backoff until `retries` or
//!   `delivery.timeout.ms`, an unacknowledged acks=all batch is re-sent when its leader changes
//!   or `request.timeout.ms` passes, and with idempotence a re-send the leader already holds is
//!   not appended twice. `max.in.flight.requests.per.connection` is applied per partition, not
//!   per broker connection; a truncated-away unacknowledged record still shows as `lost` with
//!   `acknowledged=false` in the log layer's accounting, and the producer re-sends it. The sticky partitioner switches after
//!   exactly `batch.size` bytes, uniformly among partitions with a leader (no adaptive weighting).
//! * **Logs**: segments roll on `segment.bytes` (simulated record size) and `segment.ms`;
//!   retention (`retention.ms`, `retention.bytes`, GroupLab's `retention.records`) deletes whole
//!   segments below the HW on every live replica at each `log.retention.check.interval.ms`;
//!   followers also adopt the leader's log start offset from fetches. The cleaner compacts
//!   below `min(active segment base, HW)` when the dirty ratio ≥ `min.cleanable.dirty.ratio`,
//!   keeping the latest record per key; tombstones and transactions are not modelled.
//!
//! ## Caps (rejected with [`SimError::LimitExceeded`])
//! brokers ≤ 100; partitions per topic ≤ 10,000; partitions in the cluster ≤ 50,000; topics ≤
//! 1,000; records per `Produce` ≤ 1,000,000; producer rate ≤ 10,000,000 records/s; keys per
//! `KeySpec` ≤ 100,000; distinct keys ≤ 1,000,000; producer identities ≤ 10,000; groups ≤ 1,000;
//! members per group ≤ 1,000; event queue ≤ 10,000,000 (default 100,000, oldest dropped and
//! counted); retained records over all replicas ≤ `max_retained_records` (default 30,000,000;
//! beyond it appends fail with `KAFKA_STORAGE_ERROR`); pending timers ≤ 1,000,000; simulated time a
//! scenario or lesson may reach ≤ one week ([`run::bounds::MAX_HORIZON_MS`], refused when the file
//! is parsed).

// Layers, lowest first; a module may use only modules of its own or a lower layer (the
// `architecture` test enforces it): kernel → kafka → cluster → {producer, group, assign} → api →
// sim → {run, tools} → lesson.
pub mod kernel;
pub mod kafka;
pub mod cluster;
pub mod producer;
pub mod group;
pub mod assign;
pub mod api;
pub mod sim;
pub mod run;
pub mod tools;
pub mod lesson;

pub use api::command::Command;
pub use api::event::{Event, EventKind};
pub use api::view::*;
pub use kafka::error::SimError;
pub use run::scenario::{Scenario, TimedCommand};
pub use sim::{Sim, SimConfig, Stall};
