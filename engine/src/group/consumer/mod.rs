//! KIP-848, the consumer rebalance protocol (`group.protocol=consumer`), as pure state machines
//! beside the classic protocol.
//!
//! * [`coordinator::ConsumerGroup`]: the broker side of one group: `ConsumerGroupHeartbeat`
//!   handling (validation, member epochs and their fencing, static members), the group epoch,
//!   the target assignment computed by a server-side assignor the driver injects
//!   ([`coordinator::TargetAssignor`]), each member's reconciliation, session and revocation
//!   deadlines, the group states (`Empty`, `Assigning`, `Reconciling`, `Stable`), and the
//!   `__consumer_offsets` records that persist it all (replayed on load).
//! * [`member`]: a member as the coordinator holds it and `CurrentAssignmentBuilder`'s rule for
//!   its next state: revoke before the partition goes to anyone else.
//! * [`membership::Membership`]: the consumer side (`ConsumerMembershipManager`): its states
//!   (`JOINING`, `RECONCILING`, `ACKNOWLEDGING`, `STABLE`, `FENCED`, `PREPARE_LEAVING`, `LEAVING`,
//!   `STALE`, `FATAL`, `UNSUBSCRIBED`, transitions asserted against Kafka's table), the next
//!   heartbeat and when it is due, reconciliation (revoke after an auto-commit, then assign,
//!   then acknowledge at once), fencing, leaving with -1 / -2, and the poll timeout.
//!
//! * Online migration (`coordinator/migration.rs`): a classic group upgraded when its first
//!   consumer-protocol member arrives, classic members inside a consumer group (JoinGroup,
//!   SyncGroup, Heartbeat, LeaveGroup answered by it), and the downgrade back to a classic
//!   group when the last consumer-protocol member leaves, per `group.consumer.migration.policy`.
//!
//! Follows Kafka 4.2's `GroupMetadataManager`, `ConsumerGroup`, `ConsumerGroupMember` and
//! `CurrentAssignmentBuilder` (FACTS-4x §7). The simulation's group layer wires these machines
//! into messages with latency, fetching and commits (`sim::group_layer::consumer`). Not
//! modelled: KIP-1251's per-partition assignment epochs (4.3+), and the 4.3+
//! `group.consumer.assignment.interval.ms` (targets are computed at once, as before 4.3).

pub mod coordinator;
pub mod member;
pub mod membership;
