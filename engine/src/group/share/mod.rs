//! KIP-932 share groups: the broker-side state of one share-partition and the records the share
//! coordinator keeps for it in `__share_group_state`.
//!
//! * [`partition::SharePartition`]: Kafka's `SharePartition` (`core/.../server/share/SharePartition.java`
//!   with `InFlightState`, `InFlightBatch`, `RecordState`): the share-partition start offset
//!   (SPSO), end offset (SPEO), and the in-flight records between them with their state,
//!   delivery count, acquiring member and acquisition-lock deadline.
//! * [`state`]: what is persisted (`WriteShareGroupState`, `InitializeShareGroupState`), the
//!   `ShareSnapshot` / `ShareUpdate` records of `__share_group_state`, and the part of
//!   `ShareCoordinatorShard` that turns writes into records and records back into state
//!   (`ShareGroupOffset`, `PersisterStateBatchCombiner`).
//!
//! ## Contract
//!
//! * **Pure and sans-IO.** Every input is a method call carrying the simulated time (`now_ms`)
//!   where time matters; nothing reads a clock, draws a random number or does I/O. Lock expiry is
//!   an input too: the caller asks [`partition::SharePartition::next_deadline_ms`] and calls
//!   [`partition::SharePartition::handle_timeout`] at that time, before any other input at the
//!   same time (the order in which the simulation fires timers).
//! * **Deterministic.** Same inputs ⇒ same state, same outputs, same
//!   [`partition::SharePartition::hash_into`] hash. Only ordered collections are used.
//! * **Atomic.** An input that is refused (an [`ShareErrorCode`]) changes nothing.
//! * **Never panics on caller input.** Offsets, ranges, member ids and configuration values
//!   of any size give a result or an error; internal invariants are `debug_assert!`ed and
//!   checked by `check_invariants`.
//! * **Compact.** The in-flight cache is a sorted `Vec` of ranges of consecutive offsets that
//!   share (state, delivery count, member, lock deadline); acquiring or acknowledging thousands
//!   of records touches a few ranges, never one entry per record.
//! * **Persistence is an outbox.** Every change Kafka's leader would persist is queued as one
//!   [`state::WriteShareGroupState`] (taken with
//!   [`partition::SharePartition::take_state_writes`]); the caller hands it to a
//!   [`state::ShareStateCoordinator`], whose records rebuild the state a new leader reads
//!   ([`partition::SharePartition::recovered`]).
//!
//! This module uses only `crate::kernel` and `crate::group::protocol`.
//!
//! ## Fidelity notes
//!
//! Modelled as in Kafka 4.2: the record states and `validateTransition`'s rules, the delivery
//! count (raised on acquisition only) and its limit (`tryUpdateState` archives instead of
//! releasing), acquisition from the next fetch offset with `max.poll.records`-style and
//! `group.share.partition.max.record.locks` bounds (`lastOffsetAndMaxRecordsToAcquire`), 4.2's
//! poison-record isolation, the four acknowledge types with Kafka's request validation and
//! error codes, all-or-nothing acknowledgements (`rollbackOrProcessStateUpdates`), lock expiry,
//! `releaseAcquiredRecords`, the SPSO advance (`maybeUpdateCachedStateAndOffsets`) and its move
//! to the log start (`updateCacheAndOffsets`), `startOffsetDuringInitialization`, what the
//! leader persists and when (including the start offset that lags one write), the share
//! coordinator's update/snapshot records, epoch fencing and batch combining, and a new
//! leader's recovery with its holes.
//!
//! Not modelled: the `batch_optimized` acquire mode (4.2's default, which hands out whole
//! in-flight batches and may exceed `max_records`; this is `record_limit`), log record batches
//! and their boundaries, compacted topics and their stale batches, `read_committed` and aborted
//! transactions, gaps acknowledged with type 0, the `ARCHIVING` state and dead-letter queue
//! (4.4), asynchronous writes and their failure (a write here is taken as done at once; Kafka
//! moves the SPSO when it succeeds), the share-partition lifecycle states (`EMPTY`,
//! `INITIALIZING`, `FENCED`…), the fetch lock, and metrics.

pub mod consumer;
pub mod group;
pub mod partition;
pub mod settings;
pub mod state;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::group::protocol::ErrorCode;

pub use partition::{
    AcknowledgeType, AcquiredRecords, InFlightRange, OffsetSpan, ShareAutoOffsetReset, SharePartition,
    SharePartitionConfig, StateCounts,
};
pub use state::{
    InitializeShareGroupState, ShareCoordinatorConfig, ShareGroupOffset, ShareGroupStateRecord,
    ShareStateCoordinator, StateBatch, WriteShareGroupState,
};

/// The delivery state of an in-flight record (`RecordState.java`), with Kafka's ids: the id is
/// what `__share_group_state` stores as `DeliveryState`. (`ARCHIVING`, id 3, arrives with the
/// dead-letter queue of KIP-1191 in 4.4 and is not modelled.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RecordState {
    /// `AVAILABLE` (0): may be acquired by the next share fetch.
    Available,
    /// `ACQUIRED` (1): delivered to one member, under an acquisition lock.
    Acquired,
    /// `ACKNOWLEDGED` (2): accepted by the member; terminal.
    Acknowledged,
    /// `ARCHIVED` (4): rejected, out of delivery attempts, or below the start offset; terminal.
    Archived,
}

impl RecordState {
    /// Kafka's id (`RecordState.id`).
    pub fn id(self) -> u8 {
        match self {
            RecordState::Available => 0,
            RecordState::Acquired => 1,
            RecordState::Acknowledged => 2,
            RecordState::Archived => 4,
        }
    }

    /// The state with Kafka's id (`RecordState.forId`), `None` for an unknown id.
    pub fn from_id(id: u8) -> Option<RecordState> {
        match id {
            0 => Some(RecordState::Available),
            1 => Some(RecordState::Acquired),
            2 => Some(RecordState::Acknowledged),
            4 => Some(RecordState::Archived),
            _ => None,
        }
    }

    /// Kafka's name (`AVAILABLE`, `ACQUIRED`, `ACKNOWLEDGED`, `ARCHIVED`).
    pub fn name(self) -> &'static str {
        match self {
            RecordState::Available => "AVAILABLE",
            RecordState::Acquired => "ACQUIRED",
            RecordState::Acknowledged => "ACKNOWLEDGED",
            RecordState::Archived => "ARCHIVED",
        }
    }

    /// `ACKNOWLEDGED` or `ARCHIVED` (`SharePartition.isStateTerminal`): nothing leaves them.
    pub fn is_terminal(self) -> bool {
        matches!(self, RecordState::Acknowledged | RecordState::Archived)
    }
}

impl fmt::Display for RecordState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The errors of share-partition and share-coordinator operations (`Errors.java` names).
///
/// [`ErrorCode`] is the group protocol's error enum; the share errors it does not have are
/// variants of their own here, so that enum stays untouched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ShareErrorCode {
    /// An error the group protocol already names, e.g. `INVALID_REQUEST` (42).
    Group(ErrorCode),
    /// `INVALID_RECORD_STATE` (121): an acknowledgement of records that are not acquired by the
    /// acknowledging member.
    InvalidRecordState,
    /// `OFFSET_NOT_AVAILABLE` (78): no offset for the `share.auto.offset.reset` timestamp.
    OffsetNotAvailable,
    /// `FENCED_LEADER_EPOCH` (74): a state read or write from an older share-partition leader.
    FencedLeaderEpoch,
    /// `FENCED_STATE_EPOCH` (124): a state write or initialize with an older state epoch.
    FencedStateEpoch,
    /// `UNKNOWN_SERVER_ERROR` (-1): the persisted state cannot be loaded (Kafka's
    /// `IllegalStateException` in `maybeInitialize`, which fails the share-partition).
    UnknownServerError,
}

impl ShareErrorCode {
    /// `INVALID_REQUEST` (42).
    pub const INVALID_REQUEST: ShareErrorCode = ShareErrorCode::Group(ErrorCode::InvalidRequest);

    /// Kafka's numeric error code.
    pub fn code(self) -> i16 {
        match self {
            ShareErrorCode::Group(e) => e.code(),
            ShareErrorCode::InvalidRecordState => 121,
            ShareErrorCode::OffsetNotAvailable => 78,
            ShareErrorCode::FencedLeaderEpoch => 74,
            ShareErrorCode::FencedStateEpoch => 124,
            ShareErrorCode::UnknownServerError => -1,
        }
    }

    /// Kafka's name for the error (`Errors.name()`).
    pub fn name(self) -> &'static str {
        match self {
            ShareErrorCode::Group(e) => e.name(),
            ShareErrorCode::InvalidRecordState => "INVALID_RECORD_STATE",
            ShareErrorCode::OffsetNotAvailable => "OFFSET_NOT_AVAILABLE",
            ShareErrorCode::FencedLeaderEpoch => "FENCED_LEADER_EPOCH",
            ShareErrorCode::FencedStateEpoch => "FENCED_STATE_EPOCH",
            ShareErrorCode::UnknownServerError => "UNKNOWN_SERVER_ERROR",
        }
    }

    /// Kafka's default message for the error (`Errors.message()`).
    pub fn message(self) -> &'static str {
        match self {
            ShareErrorCode::Group(e) => e.message(),
            ShareErrorCode::InvalidRecordState => {
                "The record state is invalid. The acknowledgement of delivery could not be completed."
            }
            ShareErrorCode::OffsetNotAvailable => {
                "The leader high watermark has not caught up from a recent leader election so the offsets cannot be guaranteed to be monotonically increasing."
            }
            ShareErrorCode::FencedLeaderEpoch => "The leader epoch in the request is older than the epoch on the broker.",
            ShareErrorCode::FencedStateEpoch => {
                "The share coordinator rejected the request because the share-group state epoch did not match."
            }
            ShareErrorCode::UnknownServerError => "The server experienced an unexpected error when processing the request.",
        }
    }
}

impl From<ErrorCode> for ShareErrorCode {
    fn from(e: ErrorCode) -> Self {
        ShareErrorCode::Group(e)
    }
}

impl fmt::Display for ShareErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
