//! Output events ([`crate::Sim::poll_event`]). Each displays as one line:
//! `t=12.345s HW p=orders-3 12->15`.

use std::fmt;

use serde::Serialize;

/// Something that happened in the simulated cluster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A topic was created (`CreateTopics`).
    TopicCreated { at_ms: u64, topic: String, partitions: u32, replication_factor: u16 },
    /// Partitions were added (`CreatePartitions`).
    PartitionsCreated { at_ms: u64, topic: String, from: u32, to: u32 },
    /// The leader appended records `first_offset..first_offset+count`.
    Appended { at_ms: u64, topic: String, partition: u32, leader: u32, first_offset: u64, count: u64 },
    /// A follower fetched records: its LEO moved `from -> to`.
    Replicated { at_ms: u64, topic: String, partition: u32, broker: u32, from: u64, to: u64 },
    /// The leader's high watermark advanced.
    HighWatermark { at_ms: u64, topic: String, partition: u32, from: u64, to: u64 },
    /// The ISR shrank (`AlterPartition` / controller fencing).
    IsrShrink { at_ms: u64, topic: String, partition: u32, removed: u32, isr: Vec<u32> },
    /// The ISR grew.
    IsrExpand { at_ms: u64, topic: String, partition: u32, added: u32, isr: Vec<u32> },
    /// A leader was elected (`None` = partition offline).
    LeaderElected { at_ms: u64, topic: String, partition: u32, leader: Option<u32>, leader_epoch: u32, unclean: bool },
    /// A broker stopped (`clean` = controlled shutdown).
    BrokerDown { at_ms: u64, broker: u32, clean: bool },
    /// The controller fenced a broker (session timeout after a crash, or shutdown).
    BrokerFenced { at_ms: u64, broker: u32 },
    /// A broker came back.
    BrokerUp { at_ms: u64, broker: u32 },
    /// A replica truncated its log to `to_offset` (was `from_leo`).
    Truncated { at_ms: u64, topic: String, partition: u32, broker: u32, from_leo: u64, to_offset: u64 },
    /// Records that left the partition's history for good (leader change to a shorter log).
    RecordsLost { at_ms: u64, topic: String, partition: u32, first_offset: u64, last_offset: u64, count: u64, acknowledged: u64 },
    /// Retention deleted segments on the leader: log start offset moved.
    RetentionDeleted { at_ms: u64, topic: String, partition: u32, from: u64, to: u64, segments: u32 },
    /// The log cleaner compacted the leader's log.
    Compacted { at_ms: u64, topic: String, partition: u32, removed: u64, cleaned_up_to: u64 },
    /// A produce request failed (`error` = Kafka error name).
    ProduceFailed { at_ms: u64, producer: String, topic: String, partition: u32, count: u64, error: String },
    /// A consumer joined a group.
    MemberJoined { at_ms: u64, group_id: String, member_id: String, client_id: String },
    /// A consumer left (or was removed from) a group.
    MemberLeft { at_ms: u64, group_id: String, member_id: String, reason: String },
    /// A group finished a rebalance.
    GroupRebalanced { at_ms: u64, group_id: String, generation: i32, members: u32 },
    /// Classic group protocol event (coordinator or consumer), see [`crate::group::GroupEvent`].
    Group { at_ms: u64, event: crate::group::GroupEvent },
}

fn secs(at_ms: u64) -> String {
    format!("t={}.{:03}s", at_ms / 1000, at_ms % 1000)
}

fn list(v: &[u32]) -> String {
    let parts: Vec<String> = v.iter().map(|b| b.to_string()).collect();
    format!("[{}]", parts.join(","))
}

impl Event {
    /// Simulated time of the event.
    pub fn at_ms(&self) -> u64 {
        match self {
            Event::TopicCreated { at_ms, .. }
            | Event::PartitionsCreated { at_ms, .. }
            | Event::Appended { at_ms, .. }
            | Event::Replicated { at_ms, .. }
            | Event::HighWatermark { at_ms, .. }
            | Event::IsrShrink { at_ms, .. }
            | Event::IsrExpand { at_ms, .. }
            | Event::LeaderElected { at_ms, .. }
            | Event::BrokerDown { at_ms, .. }
            | Event::BrokerFenced { at_ms, .. }
            | Event::BrokerUp { at_ms, .. }
            | Event::Truncated { at_ms, .. }
            | Event::RecordsLost { at_ms, .. }
            | Event::RetentionDeleted { at_ms, .. }
            | Event::Compacted { at_ms, .. }
            | Event::ProduceFailed { at_ms, .. }
            | Event::MemberJoined { at_ms, .. }
            | Event::MemberLeft { at_ms, .. }
            | Event::GroupRebalanced { at_ms, .. }
            | Event::Group { at_ms, .. } => *at_ms,
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = secs(self.at_ms());
        match self {
            Event::TopicCreated { topic, partitions, replication_factor, .. } => {
                write!(f, "{t} TOPIC {topic} partitions={partitions} rf={replication_factor}")
            }
            Event::PartitionsCreated { topic, from, to, .. } => {
                write!(f, "{t} PARTITIONS {topic} {from}->{to}")
            }
            Event::Appended { topic, partition, leader, first_offset, count, .. } => write!(
                f,
                "{t} APPEND p={topic}-{partition} {first_offset}..{} n={count} leader={leader}",
                first_offset + count
            ),
            Event::Replicated { topic, partition, broker, from, to, .. } => {
                write!(f, "{t} FETCH p={topic}-{partition} b={broker} {from}->{to}")
            }
            Event::HighWatermark { topic, partition, from, to, .. } => {
                write!(f, "{t} HW p={topic}-{partition} {from}->{to}")
            }
            Event::IsrShrink { topic, partition, removed, isr, .. } => {
                write!(f, "{t} ISR-SHRINK p={topic}-{partition} -{removed} isr={}", list(isr))
            }
            Event::IsrExpand { topic, partition, added, isr, .. } => {
                write!(f, "{t} ISR-EXPAND p={topic}-{partition} +{added} isr={}", list(isr))
            }
            Event::LeaderElected { topic, partition, leader, leader_epoch, unclean, .. } => {
                let l = leader.map_or("none (offline)".to_string(), |l| l.to_string());
                let u = if *unclean { " UNCLEAN" } else { "" };
                write!(f, "{t} LEADER p={topic}-{partition} leader={l} epoch={leader_epoch}{u}")
            }
            Event::BrokerDown { broker, clean, .. } => {
                let how = if *clean { "controlled shutdown" } else { "crash" };
                write!(f, "{t} BROKER-DOWN b={broker} ({how})")
            }
            Event::BrokerFenced { broker, .. } => write!(f, "{t} BROKER-FENCED b={broker}"),
            Event::BrokerUp { broker, .. } => write!(f, "{t} BROKER-UP b={broker}"),
            Event::Truncated { topic, partition, broker, from_leo, to_offset, .. } => {
                write!(f, "{t} TRUNCATE p={topic}-{partition} b={broker} {from_leo}->{to_offset}")
            }
            Event::RecordsLost { topic, partition, first_offset, last_offset, count, acknowledged, .. } => write!(
                f,
                "{t} LOST p={topic}-{partition} offsets {first_offset}..={last_offset} n={count} acknowledged={acknowledged}"
            ),
            Event::RetentionDeleted { topic, partition, from, to, segments, .. } => write!(
                f,
                "{t} RETENTION p={topic}-{partition} log-start {from}->{to} segments={segments}"
            ),
            Event::Compacted { topic, partition, removed, cleaned_up_to, .. } => write!(
                f,
                "{t} COMPACT p={topic}-{partition} removed={removed} cleaned<{cleaned_up_to}"
            ),
            Event::ProduceFailed { producer, topic, partition, count, error, .. } => write!(
                f,
                "{t} PRODUCE-FAILED {producer} p={topic}-{partition} n={count} {error}"
            ),
            Event::MemberJoined { group_id, member_id, client_id, .. } => {
                write!(f, "{t} JOIN g={group_id} {member_id} client={client_id}")
            }
            Event::MemberLeft { group_id, member_id, reason, .. } => {
                write!(f, "{t} LEAVE g={group_id} {member_id} ({reason})")
            }
            Event::GroupRebalanced { group_id, generation, members, .. } => {
                write!(f, "{t} REBALANCED g={group_id} generation={generation} members={members}")
            }
            Event::Group { event, .. } => write!(f, "{t} GROUP {event}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_one_line() {
        let e = Event::HighWatermark { at_ms: 12_345, topic: "orders".into(), partition: 3, from: 12, to: 15 };
        assert_eq!(e.to_string(), "t=12.345s HW p=orders-3 12->15");
        let e = Event::BrokerDown { at_ms: 5, broker: 1, clean: false };
        assert_eq!(e.to_string(), "t=0.005s BROKER-DOWN b=1 (crash)");
        assert!(!e.to_string().contains('\n'));
    }
}
