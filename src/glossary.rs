//! The glossary: every Kafka term the UI shows, what it means and which config governs it.
//!
//! Tooltips ([`crate::components::glossary::Term`]) and the glossary panel both read [`TERMS`].
//! Meanings are written for GroupLab; config names and defaults are Kafka's.

/// One glossary entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Key and display name (lower case, as used in `Term`).
    pub term: &'static str,
    /// What it means.
    pub meaning: &'static str,
    /// The Kafka config that governs it (with its default), empty when none.
    pub config: &'static str,
}

/// All entries, alphabetical.
pub const TERMS: &[Entry] = &[
    Entry { term: "__consumer_offsets", meaning: "Kafka's internal, compacted topic where group coordinators store committed offsets. A group's coordinator is the leader of partition abs(hash(group.id)) % 50 of it.", config: "offsets.topic.num.partitions (50), offsets.topic.replication.factor (3)" },
    Entry { term: "acks", meaning: "How many replicas must have a record before the producer is told it is written: 0 (none), 1 (the leader), all (every in-sync replica).", config: "acks (all)" },
    Entry { term: "assignment strategy", meaning: "The algorithm the group leader runs to split partitions among members: range, roundrobin, sticky or cooperative-sticky.", config: "partition.assignment.strategy ([range, cooperative-sticky])" },
    Entry { term: "auto.offset.reset", meaning: "Where a consumer starts when its group has no committed offset for a partition (or it is out of range): earliest, latest or none (error).", config: "auto.offset.reset (latest)" },
    Entry { term: "broker", meaning: "A Kafka server. It hosts replicas of partitions, leads some of them, and may be the group coordinator of some groups.", config: "node.id" },
    Entry { term: "client id", meaning: "The name a client gives itself; shown in tools like kafka-consumer-groups.sh. GroupLab uses Kafka's default shape consumer-<group>-<n>.", config: "client.id" },
    Entry { term: "committed offset", meaning: "The offset a group has stored for a partition: the next record it will process after a restart or a rebalance. Records between it and a consumer's position are processed again if that consumer crashes now.", config: "enable.auto.commit (true), auto.commit.interval.ms (5000)" },
    Entry { term: "CompletingRebalance", meaning: "Group state: every member has rejoined; the coordinator waits for the leader's assignment in SyncGroup.", config: "" },
    Entry { term: "online migration", meaning: "A rolling restart moves a running group between the classic and the consumer protocol: the first consumer-protocol member converts a classic group into a consumer group (the generation becomes the group epoch); classic members stay, speaking JoinGroup/SyncGroup/Heartbeat to it, until they restart; when the last consumer-protocol member leaves, the rest are handed back to a classic group, which rebalances.", config: "group.consumer.migration.policy (bidirectional)" },
    Entry { term: "consumer protocol", meaning: "KIP-848 (group.protocol=consumer, GA in Kafka 4.0): members send only ConsumerGroupHeartbeat; the coordinator computes the assignment with a server-side assignor and each member reconciles on its own, revoking first, with no stop-the-world barrier.", config: "group.protocol, group.remote.assignor, group.consumer.heartbeat.interval.ms (5000)" },
    Entry { term: "consumer group", meaning: "Consumers sharing a group.id: each partition of the subscribed topics is read by exactly one member of the group at a time.", config: "group.id" },
    Entry { term: "cooperative rebalance", meaning: "Incremental rebalance: members keep the partitions that do not move and revoke only those that do, in a second round. No stop-the-world gap.", config: "partition.assignment.strategy = cooperative-sticky" },
    Entry { term: "Dead", meaning: "Group state: the group has no members and no metadata left; it is being removed.", config: "" },
    Entry { term: "eager rebalance", meaning: "Stop-the-world rebalance: every member revokes all its partitions before rejoining, so no partition is consumed until the new assignment arrives.", config: "partition.assignment.strategy = range / roundrobin / sticky" },
    Entry { term: "Empty", meaning: "Group state: the group exists (it may have committed offsets) but has no members.", config: "" },
    Entry { term: "fenced broker", meaning: "A broker the controller no longer lets lead partitions or stay in an ISR, because its session expired or it shut down.", config: "broker.session.timeout.ms (9000)" },
    Entry { term: "generation", meaning: "A number the coordinator bumps at every completed rebalance. Requests carrying an old generation are rejected with ILLEGAL_GENERATION.", config: "" },
    Entry { term: "group coordinator", meaning: "The broker managing a group: it runs JoinGroup/SyncGroup, tracks heartbeats and stores commits. It is the leader of the group's __consumer_offsets partition.", config: "" },
    Entry { term: "group epoch", meaning: "A consumer-protocol group's version: bumped when a member joins, leaves or changes its subscription. A new target assignment is computed when the target epoch is behind it.", config: "" },
    Entry { term: "group leader", meaning: "The member the coordinator picks to compute the assignment (client side) and send it in its SyncGroup request.", config: "" },
    Entry { term: "heartbeat", meaning: "A consumer's background 'still alive' message to the coordinator; it also learns of a rebalance through it.", config: "heartbeat.interval.ms (3000)" },
    Entry { term: "high watermark", meaning: "HW: the offset up to which every in-sync replica has the records. Consumers only see records below it; records above it are not yet committed.", config: "min.insync.replicas (1), replica.lag.time.max.ms (30000)" },
    Entry { term: "idle consumer", meaning: "A member with no partition, because the group has more members than partitions. It waits to take over if another member goes.", config: "" },
    Entry { term: "ISR", meaning: "In-sync replicas: the leader and the followers that have caught up within replica.lag.time.max.ms. Only they count for the high watermark and can be elected cleanly.", config: "replica.lag.time.max.ms (30000)" },
    Entry { term: "lag", meaning: "How far a group is behind: log end offset (Kafka's tools use the high watermark a consumer can read up to) minus the committed offset.", config: "" },
    Entry { term: "target assignment epoch", meaning: "The group epoch the coordinator's target assignment was computed at. A member reaches it (its member epoch) once it has revoked what goes to others; partitions still owned elsewhere wait (UNRELEASED_PARTITIONS).", config: "" },
    Entry { term: "lag in seconds", meaning: "Lag in time (a GroupLab figure; Kafka's tools print records only): how long the oldest record the group has not committed past has waited since it was produced, from the records' timestamps. 0 when caught up.", config: "" },
    Entry { term: "leader", meaning: "The replica of a partition that takes all writes and reads; followers copy from it.", config: "" },
    Entry { term: "log end offset", meaning: "LEO: the offset the next record appended to a replica will get.", config: "" },
    Entry { term: "log start offset", meaning: "The first offset still in the log; older records were deleted by retention.", config: "retention.ms (604800000), retention.bytes (-1)" },
    Entry { term: "max.poll.interval.ms", meaning: "Longest time between two polls. A consumer stuck in processing longer than this leaves the group and its partitions move.", config: "max.poll.interval.ms (300000)" },
    Entry { term: "member id", meaning: "The id the coordinator gives a member when it joins: <client.id>-<uuid>, or <group.instance.id>-<uuid> for a static member (deterministic here).", config: "" },
    Entry { term: "idempotent producer", meaning: "The default since Kafka 3.0 (enable.idempotence=true, acks=all, retries unbounded until delivery.timeout.ms): every record carries the producer id and a sequence number, so a batch re-sent after a failover is written once and in order.", config: "enable.idempotence" },
    Entry { term: "offsets retention", meaning: "The committed offsets of a group that has had no members for offsets.retention.minutes (7 days) are deleted (KIP-211); a consumer joining after that starts from auto.offset.reset.", config: "offsets.retention.minutes" },
    Entry { term: "pending commit", meaning: "An OffsetCommit the coordinator appended to __consumer_offsets but has not answered yet: it answers only when the partition's high watermark passes the record, or fails it after offsets.commit.timeout.ms.", config: "offsets.commit.timeout.ms" },
    Entry { term: "ELR", meaning: "Eligible leader replicas (KIP-966, on by default since Kafka 4.1): replicas that left the ISR while it was below min.insync.replicas, so the high watermark stopped and they hold every committed record. If the ISR empties, one of them can lead without losing data.", config: "eligible.leader.replicas.version" },
    Entry { term: "static member", meaning: "A consumer with a group.instance.id (KIP-345). Restarted within session.timeout.ms it takes its place back, with its partitions, without a rebalance; it sends no LeaveGroup when it closes, so its partitions wait for the session timeout. A second consumer with the same instance id fences the first (FENCED_INSTANCE_ID).", config: "group.instance.id" },
    Entry { term: "min.insync.replicas", meaning: "With acks=all, writes are rejected (NOT_ENOUGH_REPLICAS) when the ISR is smaller than this.", config: "min.insync.replicas (1)" },
    Entry { term: "offset", meaning: "A record's position in a partition's log: 0, 1, 2, ... never reused.", config: "" },
    Entry { term: "partition", meaning: "An ordered, append-only log; a topic is split into partitions, the unit of parallelism and of assignment.", config: "num.partitions (1)" },
    Entry { term: "position", meaning: "The offset of the next record a consumer will fetch from a partition it owns.", config: "max.poll.records (500)" },
    Entry { term: "PreparingRebalance", meaning: "Group state: a rebalance started; the coordinator waits for members to rejoin (JoinGroup), at most the rebalance timeout.", config: "max.poll.interval.ms (300000), group.initial.rebalance.delay.ms (3000)" },
    Entry { term: "producer", meaning: "A client that writes records to a topic; the partitioner picks the partition from the key (murmur2) or sticks to one for null keys.", config: "batch.size (16384), linger.ms" },
    Entry { term: "rebalance", meaning: "The group protocol that reassigns partitions when members join, leave, crash or the subscription changes.", config: "" },
    Entry { term: "replica", meaning: "A copy of a partition on one broker.", config: "" },
    Entry { term: "replication factor", meaning: "How many brokers hold a copy of each partition of a topic.", config: "default.replication.factor (1)" },
    Entry { term: "session timeout", meaning: "If the coordinator hears no heartbeat from a member for this long, it removes the member and rebalances. A crashed consumer keeps its partitions until then.", config: "session.timeout.ms (45000)" },
    Entry { term: "Stable", meaning: "Group state: the rebalance is complete and every member has its assignment.", config: "" },
    // Share groups (KIP-932).
    Entry { term: "share group", meaning: "KIP-932's queues for Kafka (4.1+): consumers sharing a group.id read the same partitions together, so there may be more consumers than partitions. Each record is acquired by one consumer under a time-limited lock and acknowledged one by one: no committed offsets, no per-partition order.", config: "group.id" },
    Entry { term: "share-partition", meaning: "A share group's state for one partition, kept by its leader (and in __share_group_state): the SPSO, the SPEO and the in-flight records between them, each with its state, delivery count and lock.", config: "group.share.partition.max.record.locks (2000)" },
    Entry { term: "SPSO", meaning: "Share-partition start offset: every record below it is finished (acknowledged or archived). An unfinished record holds it back.", config: "share.auto.offset.reset (latest)" },
    Entry { term: "SPEO", meaning: "Share-partition end offset: the last offset fetched into the in-flight window. The next share fetch acquires after it, up to the high watermark.", config: "" },
    Entry { term: "share lag", meaning: "How far a share group is behind on a partition (KIP-1226): HW − SPSO − records of the window already finished.", config: "" },
    Entry { term: "acquisition lock", meaning: "A fetched record is acquired: locked to its consumer for the lock duration. Not acknowledged in time (a crash, a stall, slow processing), it becomes available again and is delivered anew.", config: "share.record.lock.duration.ms (30000)" },
    Entry { term: "delivery count", meaning: "How many times a record has been acquired. At share.delivery.count.limit, a record that comes back is archived.", config: "share.delivery.count.limit (5)" },
    Entry { term: "share.delivery.count.limit", meaning: "Deliveries after which a record released or whose lock expired is archived instead of delivered again: a poison record stops coming back.", config: "share.delivery.count.limit (5), 2 to 10" },
    Entry { term: "share.auto.offset.reset", meaning: "Where a share group with no state starts on a partition: latest, earliest, or by_duration:<ISO-8601> (records at most that old).", config: "share.auto.offset.reset (latest)" },
    Entry { term: "Available", meaning: "Record state: the next share fetch of any member may acquire it.", config: "" },
    Entry { term: "Acquired", meaning: "Record state: delivered to one consumer, locked to it until acknowledged or the lock expires.", config: "share.record.lock.duration.ms (30000)" },
    Entry { term: "Acknowledged", meaning: "Record state: accepted (ACCEPT); finished.", config: "" },
    Entry { term: "archived", meaning: "Record state: finished without being accepted — rejected (REJECT) or out of delivery attempts. Never delivered again.", config: "share.delivery.count.limit (5)" },
    Entry { term: "ACCEPT", meaning: "Acknowledge type: processed; the record is Acknowledged.", config: "share.acknowledgement.mode" },
    Entry { term: "RELEASE", meaning: "Acknowledge type: give the record back; it is Available again (archived at share.delivery.count.limit).", config: "share.acknowledgement.mode=explicit" },
    Entry { term: "REJECT", meaning: "Acknowledge type: unprocessable; the record is archived at once.", config: "share.acknowledgement.mode=explicit" },
    Entry { term: "implicit acknowledgement", meaning: "The default: the next poll() accepts every record the previous poll returned; nothing can be released or rejected one by one.", config: "share.acknowledgement.mode (implicit)" },
    Entry { term: "explicit acknowledgement", meaning: "The application acknowledges each record: ACCEPT, RELEASE or REJECT, sent with the next ShareFetch or a ShareAcknowledge.", config: "share.acknowledgement.mode (implicit)" },
    Entry { term: "redelivery", meaning: "A share group's record delivered again after its lock expired or its consumer released it or left: processed twice if it had been processed but not acknowledged.", config: "share.record.lock.duration.ms (30000)" },
    Entry { term: "per-key order", meaning: "A share group keeps no order per key: records of one key go to different consumers and may be processed out of order.", config: "" },
    Entry { term: "max.poll.records", meaning: "Most records one poll returns (a share fetch acquires).", config: "max.poll.records (500)" },
    Entry { term: "unclean leader election", meaning: "Electing a replica outside the ISR when no in-sync replica is alive: the partition comes back, but records it lacked are lost.", config: "unclean.leader.election.enable (false)" },
];

/// The entry for `term` (case-insensitive).
pub fn lookup(term: &str) -> Option<&'static Entry> {
    TERMS.iter().find(|e| e.term.eq_ignore_ascii_case(term))
}

/// Tooltip text: meaning, then the governing config.
pub fn tooltip(term: &str) -> String {
    match lookup(term) {
        Some(e) if e.config.is_empty() => e.meaning.to_string(),
        Some(e) => format!("{} Config: {}.", e.meaning, e.config),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_are_unique_and_sorted_case_insensitively() {
        let keys: Vec<String> = TERMS.iter().map(|e| e.term.to_lowercase().replace("__", "")).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), keys.len(), "duplicate term");
        assert!(TERMS.iter().all(|e| !e.meaning.is_empty()));
    }

    #[test]
    fn tooltip_names_the_config() {
        assert!(tooltip("session timeout").contains("session.timeout.ms (45000)"));
        assert!(tooltip("HIGH WATERMARK").starts_with("HW:"));
        assert_eq!(tooltip("no such term"), "");
    }
}
