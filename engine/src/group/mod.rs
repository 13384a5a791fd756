//! Kafka's classic consumer-group protocol as deterministic, sans-IO state machines.
//!
//! * [`coordinator::GroupCoordinator`]: the broker side of one group (`ClassicGroup`,
//!   `GroupMetadataManager` classic parts).
//! * [`client::ConsumerClient`]: one consumer (`KafkaConsumer` with its `ConsumerCoordinator` /
//!   `AbstractCoordinator`, heartbeat thread, fetcher and poll loop).
//! * [`protocol`]: the requests, responses, message envelopes (with delivery times) and
//!   `__consumer_offsets` records exchanged.
//! * [`accounting`]: ownership timeline, delivery ledger (duplicates/losses) and lag.
//! * [`world::GroupWorld`]: a small self-contained driver (one coordinator, several consumers, a
//!   fake partition source, a message queue and a clock), used by tests and usable as a sandbox.
//!
//! Everything is driven by `handle_message(now_ms, msg)` / `handle_timeout(now_ms)` returning
//! [`output::Output`]s, plus `next_deadline_ms()`. No clocks, no randomness except
//! caller-seeded, ordered collections only. The simulation's group layer (`sim::group_layer`)
//! wires these machines into the full simulation (coordinator on the `__consumer_offsets` leader, real fetches).
//!
//! ## Fidelity notes
//!
//! Modelled as in Kafka: the five group states and their allowed transitions (asserted),
//! KIP-394 `MEMBER_ID_REQUIRED`, `InitialDelayedJoin` with its extension rule, the rebalance
//! timeout (max of members' `max.poll.interval.ms`), session expiry (members parked in a join
//! or sync never expire), the pending-sync timeout, `selectProtocol` voting, the error codes of
//! JoinGroup/SyncGroup/Heartbeat/LeaveGroup/OffsetCommit/OffsetFetch, eager vs cooperative
//! (KIP-429) client behaviour, the heartbeat thread's `max.poll.interval.ms` LeaveGroup, and
//! `auto.offset.reset`, static membership (KIP-345), `group.max.size`, the new-member join
//! timeout and offset expiration. KIP-848's consumer protocol is [`consumer`], beside these.
//! Not modelled: transactional commits, fetch sessions; the fetch is a synchronous read at
//! `poll` time; `commitSync` does not block the application. Where Kafka iterates a `HashMap` (leader choice, protocol vote ties) the
//! choice is made deterministic (earliest joined member; smallest protocol name).

pub mod accounting;
pub mod client;
pub mod config;
pub mod consumer;
pub mod coordinator;
pub mod event;
pub mod output;
pub mod protocol;
pub mod share;
pub mod state;
pub mod world;

use std::fmt;

pub use accounting::{DeliveryLedger, LagRow, OwnershipChange, OwnershipTimeline};
pub use client::{
    AssignFn, AutoOffsetReset, ClientLifecycle, CommitMode, ConsumerClient, ConsumerConfig,
    MemberState, MemberSubscription, PartitionOffsets, PartitionSource, RebalanceProtocol,
};
pub use config::GroupConfig;
pub use coordinator::{CoordinatorConfig, GroupCoordinator};
pub use event::GroupEvent;
pub use output::Output;
pub use protocol::{CoordinatorRecord, Endpoint, ErrorCode, Message, RecordId, TopicPartition};
pub use state::GroupState;

/// Errors for invalid input to the group state machines (never Kafka protocol errors, which are
/// [`ErrorCode`]s inside responses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupError {
    /// A configuration value is out of range or inconsistent.
    InvalidConfig(String),
    /// An operation is not possible in the consumer's lifecycle state.
    InvalidLifecycle {
        /// Consumer.
        client_id: String,
        /// Operation attempted.
        operation: &'static str,
        /// Current lifecycle.
        lifecycle: ClientLifecycle,
    },
    /// No consumer with that `client.id`.
    UnknownClient(String),
    /// A consumer with that `client.id` already exists.
    DuplicateClient(String),
    /// Unknown topic partition.
    UnknownPartition(TopicPartition),
}

impl fmt::Display for GroupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupError::InvalidConfig(s) => write!(f, "invalid group configuration: {s}"),
            GroupError::InvalidLifecycle {
                client_id,
                operation,
                lifecycle,
            } => {
                write!(
                    f,
                    "consumer {client_id} cannot {operation} while {lifecycle:?}"
                )
            }
            GroupError::UnknownClient(c) => write!(f, "unknown consumer client.id {c}"),
            GroupError::DuplicateClient(c) => {
                write!(f, "a consumer with client.id {c} already exists")
            }
            GroupError::UnknownPartition(tp) => write!(f, "unknown partition {tp}"),
        }
    }
}

impl std::error::Error for GroupError {}
