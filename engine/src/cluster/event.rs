//! What the log layer reports: one variant per thing that happened to a topic, a partition,
//! a replica or a broker. The driver wraps each in an [`crate::api::event::Event`] with its
//! time.

use std::fmt;

use serde::Serialize;

/// Something that happened in the log layer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClusterEvent {
    /// A topic was created (`CreateTopics`).
    TopicCreated {
        topic: String,
        partitions: u32,
        replication_factor: u16,
    },
    /// Partitions were added (`CreatePartitions`).
    PartitionsCreated { topic: String, from: u32, to: u32 },
    /// The leader appended records `first_offset..first_offset+count`.
    Appended {
        topic: String,
        partition: u32,
        leader: u32,
        first_offset: u64,
        count: u64,
    },
    /// A follower fetched records: its LEO moved `from -> to`.
    Replicated {
        topic: String,
        partition: u32,
        broker: u32,
        from: u64,
        to: u64,
    },
    /// The leader's high watermark advanced.
    HighWatermark { topic: String, partition: u32, from: u64, to: u64 },
    /// The ISR shrank (`AlterPartition` / controller fencing).
    IsrShrink {
        topic: String,
        partition: u32,
        removed: u32,
        isr: Vec<u32>,
    },
    /// The ISR grew.
    IsrExpand {
        topic: String,
        partition: u32,
        added: u32,
        isr: Vec<u32>,
    },
    /// A leader was elected (`None` = partition offline).
    LeaderElected {
        topic: String,
        partition: u32,
        leader: Option<u32>,
        leader_epoch: u32,
        unclean: bool,
    },
    /// A broker stopped (`clean` = controlled shutdown).
    BrokerDown { broker: u32, clean: bool },
    /// The controller fenced a broker (session timeout after a crash, or shutdown).
    BrokerFenced { broker: u32 },
    /// A broker came back.
    BrokerUp { broker: u32 },
    /// A replica truncated its log to `to_offset` (was `from_leo`).
    Truncated {
        topic: String,
        partition: u32,
        broker: u32,
        from_leo: u64,
        to_offset: u64,
    },
    /// Records that left the partition's history for good (leader change to a shorter log).
    RecordsLost {
        topic: String,
        partition: u32,
        first_offset: u64,
        last_offset: u64,
        count: u64,
        acknowledged: u64,
    },
    /// Retention deleted segments on the leader: log start offset moved.
    RetentionDeleted {
        topic: String,
        partition: u32,
        from: u64,
        to: u64,
        segments: u32,
    },
    /// The log cleaner compacted the leader's log.
    Compacted {
        topic: String,
        partition: u32,
        removed: u64,
        cleaned_up_to: u64,
    },
}

impl fmt::Display for ClusterEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClusterEvent::TopicCreated {
                topic,
                partitions,
                replication_factor,
                ..
            } => {
                write!(f, "TOPIC {topic} partitions={partitions} rf={replication_factor}")
            }

            ClusterEvent::PartitionsCreated { topic, from, to, .. } => {
                write!(f, "PARTITIONS {topic} {from}->{to}")
            }

            ClusterEvent::Appended {
                topic,
                partition,
                leader,
                first_offset,
                count,
                ..
            } => write!(
                f,
                "APPEND p={topic}-{partition} {first_offset}..{} n={count} leader={leader}",
                first_offset + count
            ),

            ClusterEvent::Replicated {
                topic,
                partition,
                broker,
                from,
                to,
                ..
            } => {
                write!(f, "FETCH p={topic}-{partition} b={broker} {from}->{to}")
            }

            ClusterEvent::HighWatermark {
                topic, partition, from, to, ..
            } => {
                write!(f, "HW p={topic}-{partition} {from}->{to}")
            }

            ClusterEvent::IsrShrink {
                topic,
                partition,
                removed,
                isr,
                ..
            } => {
                write!(f, "ISR-SHRINK p={topic}-{partition} -{removed} isr={}", list(isr))
            }

            ClusterEvent::IsrExpand {
                topic,
                partition,
                added,
                isr,
                ..
            } => {
                write!(f, "ISR-EXPAND p={topic}-{partition} +{added} isr={}", list(isr))
            }

            ClusterEvent::LeaderElected {
                topic,
                partition,
                leader,
                leader_epoch,
                unclean,
                ..
            } => {
                let l = leader.map_or("none (offline)".to_string(), |l| l.to_string());
                let u = if *unclean { " UNCLEAN" } else { "" };
                write!(f, "LEADER p={topic}-{partition} leader={l} epoch={leader_epoch}{u}")
            }

            ClusterEvent::BrokerDown { broker, clean, .. } => {
                let how = if *clean { "controlled shutdown" } else { "crash" };
                write!(f, "BROKER-DOWN b={broker} ({how})")
            }

            ClusterEvent::BrokerFenced { broker, .. } => write!(f, "BROKER-FENCED b={broker}"),

            ClusterEvent::BrokerUp { broker, .. } => write!(f, "BROKER-UP b={broker}"),

            ClusterEvent::Truncated {
                topic,
                partition,
                broker,
                from_leo,
                to_offset,
                ..
            } => {
                write!(f, "TRUNCATE p={topic}-{partition} b={broker} {from_leo}->{to_offset}")
            }

            ClusterEvent::RecordsLost {
                topic,
                partition,
                first_offset,
                last_offset,
                count,
                acknowledged,
                ..
            } => write!(
                f,
                "LOST p={topic}-{partition} offsets {first_offset}..={last_offset} n={count} acknowledged={acknowledged}"
            ),

            ClusterEvent::RetentionDeleted {
                topic,
                partition,
                from,
                to,
                segments,
                ..
            } => write!(f, "RETENTION p={topic}-{partition} log-start {from}->{to} segments={segments}"),

            ClusterEvent::Compacted {
                topic,
                partition,
                removed,
                cleaned_up_to,
                ..
            } => write!(f, "COMPACT p={topic}-{partition} removed={removed} cleaned<{cleaned_up_to}"),
        }
    }
}

fn list(v: &[u32]) -> String {
    let parts: Vec<String> = v.iter().map(|b| b.to_string()).collect();
    format!("[{}]", parts.join(","))
}
