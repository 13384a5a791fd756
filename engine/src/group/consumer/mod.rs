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
//! Follows Kafka 4.2's `GroupMetadataManager`, `ConsumerGroup`, `ConsumerGroupMember` and
//! `CurrentAssignmentBuilder` (`../shared/kafka/FACTS-4x.md` §7). Not yet modelled here: the
//! wiring into the simulation (messages with latency, the consumer's fetching and commits), online migration
//! from and to classic groups, KIP-1251's per-partition assignment epochs (4.3+), and the
//! 4.3+ `group.consumer.assignment.interval.ms` (targets are computed at once, as before 4.3).

pub mod coordinator;
pub mod member;
pub mod membership;
