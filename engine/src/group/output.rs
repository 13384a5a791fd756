//! What a group state machine asks its driver to do: send a message, append a record to
//! `__consumer_offsets`, report ownership and processing, report an event.

use serde::Serialize;

use super::event::GroupEvent;
use super::protocol::{CoordinatorRecord, Message, RecordId, TopicPartition};

/// Everything a group state machine can ask its driver to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Output {
    /// Deliver this message at `message.deliver_at_ms`.
    Send(Message),
    /// Append this record to the group's `__consumer_offsets` partition.
    AppendRecord(CoordinatorRecord),
    /// The application finished processing one record (of the group and consumer whose
    /// machine emitted it: a driver knows which, so the output carries no names).
    Processed {
        /// Partition.
        tp: TopicPartition,
        /// Offset of the record.
        offset: i64,
        /// Caller-given record identity.
        record_id: RecordId,
        /// When processing finished.
        at_ms: u64,
    },
    /// The consumer now owns these partitions (`onPartitionsAssigned`).
    Assigned {
        /// Group.
        group_id: String,
        /// Consumer.
        client_id: String,
        /// Newly owned partitions.
        partitions: Vec<TopicPartition>,
        /// When.
        at_ms: u64,
    },
    /// The consumer no longer owns these partitions (`onPartitionsRevoked`, or
    /// `onPartitionsLost` when `lost`; a crash also ends ownership).
    Revoked {
        /// Group.
        group_id: String,
        /// Consumer.
        client_id: String,
        /// Partitions given up.
        partitions: Vec<TopicPartition>,
        /// Lost (not cleanly revoked).
        lost: bool,
        /// When.
        at_ms: u64,
    },
    /// The coordinator removed a member (session expiry, rebalance timeout, LeaveGroup): from
    /// now on the group treats its partitions as free even if the consumer (a zombie) has not
    /// noticed yet.
    MemberRemoved {
        /// Group.
        group_id: String,
        /// `client.id` of the member.
        client_id: String,
        /// Member id removed.
        member_id: String,
        /// When.
        at_ms: u64,
    },
    /// A static member did not rejoin before the rebalance timeout: it stays in the group
    /// (`notYetRejoinedDynamicMembers` removes only dynamic ones, a static member stays until its
    /// session ends), but the new generation is computed without its old partitions. What it
    /// owned in the earlier generation is stale from now on (its commits would fail with
    /// ILLEGAL_GENERATION) even though the consumer, not polling, has not revoked it yet.
    OwnershipStale {
        /// Group.
        group_id: String,
        /// `client.id` of the member.
        client_id: String,
        /// Its member id.
        member_id: String,
        /// When.
        at_ms: u64,
    },
    /// Something worth showing happened.
    Event {
        /// When.
        at_ms: u64,
        /// What.
        event: GroupEvent,
    },
}
