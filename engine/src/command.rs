//! User input to the simulation ([`crate::Sim::apply`]).
//!
//! Serialized as an internally tagged JSON object, e.g.
//! `{"type":"create_topic","name":"orders","partitions":6,"replication_factor":3}`.

use serde::{Deserialize, Serialize};

use crate::topic::TopicConfig;

/// Producer `acks` setting (`ProducerConfig.ACKS_CONFIG`); Kafka's default since 3.0 is `all`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default, PartialOrd, Ord)]
pub enum Acks {
    /// `acks=0`: fire and forget, never acknowledged.
    #[serde(rename = "0")]
    Zero,
    /// `acks=1`: acknowledged once the leader appended the record.
    #[serde(rename = "1")]
    One,
    /// `acks=all` (`-1`): acknowledged once the high watermark passed the record; rejected with
    /// `NOT_ENOUGH_REPLICAS` when the ISR is smaller than `min.insync.replicas`.
    #[default]
    #[serde(rename = "all")]
    All,
}

/// Which keys a simulated producer attaches to its records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum KeySpec {
    /// Null keys: the built-in sticky partitioner (KIP-794) places them.
    #[default]
    None,
    /// Round-robin over a fixed list of keys.
    Fixed(Vec<String>),
    /// Uniformly random keys `key-0 .. key-(count-1)` drawn from the seeded RNG.
    Random {
        /// Number of distinct keys.
        count: u32,
    },
}

/// A command given to the simulation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Command {
    /// `CreateTopics`: a topic with `partitions` partitions, each with `replication_factor` replicas.
    CreateTopic {
        /// Topic name, validated like `Topic.validate`.
        name: String,
        /// Number of partitions (≥ 1).
        partitions: u32,
        /// Replicas per partition (≤ live brokers).
        replication_factor: u16,
        /// Topic configs with Kafka's names.
        #[serde(default)]
        config: TopicConfig,
    },
    /// `CreatePartitions`: grow the topic to `count` partitions in total (never shrink).
    CreatePartitions {
        /// Topic name.
        topic: String,
        /// New total partition count.
        count: u32,
    },
    /// Produce `count` records right now through Kafka's default partitioner.
    Produce {
        /// Topic name.
        topic: String,
        /// Number of records.
        count: u32,
        /// Record key (null when absent).
        #[serde(default)]
        key: Option<String>,
        /// `acks` of this one-shot producer (default `all`).
        #[serde(default)]
        acks: Acks,
    },
    /// Start a simulated producer writing `rate_per_sec` records per second.
    AddProducer {
        /// `client.id`; default `producer-<n>` like Kafka.
        #[serde(default)]
        producer_id: Option<String>,
        /// Topic name.
        topic: String,
        /// Records per second (integer).
        rate_per_sec: u32,
        /// Keys of the produced records.
        #[serde(default)]
        keys: KeySpec,
        /// `acks` (default `all`).
        #[serde(default)]
        acks: Acks,
    },
    /// Stop a simulated producer.
    RemoveProducer {
        /// Its `client.id`.
        producer_id: String,
    },
    /// Hard crash (kill -9) of a broker. The controller fences it after
    /// `broker.session.timeout.ms`.
    CrashBroker {
        /// Broker id.
        broker: u32,
    },
    /// Controlled shutdown: leadership moves away first, then the broker stops.
    ShutdownBroker {
        /// Broker id.
        broker: u32,
    },
    /// Restart a stopped broker; its replicas truncate and catch up.
    RestartBroker {
        /// Broker id.
        broker: u32,
    },
    /// Make a broker's replica fetchers slower (`None` restores the cluster default).
    SetBrokerDelay {
        /// Broker id.
        broker: u32,
        /// Delay between a follower fetch and the next (ms).
        #[serde(default)]
        fetch_delay_ms: Option<u64>,
    },
    /// Declare a consumer group and its subscription (phase-1 slice group).
    CreateGroup {
        /// `group.id`.
        group_id: String,
        /// Subscribed topics.
        topics: Vec<String>,
        /// Settings of the consumers started in the group (Kafka names; defaults when absent).
        #[serde(default)]
        config: crate::sim::group_layer::GroupConfig,
    },
    /// A consumer joins a group. `topics`, when non-empty, sets/extends the group's subscription.
    AddConsumer {
        /// `group.id`.
        group_id: String,
        /// `client.id`; default `consumer-<group>-<n>` like Kafka.
        #[serde(default)]
        client_id: Option<String>,
        /// Topics to subscribe to (optional when the group was created with `create_group`).
        #[serde(default)]
        topics: Vec<String>,
    },
    /// A consumer process dies without leaving the group.
    CrashConsumer {
        /// Its `client.id`.
        client_id: String,
    },
    /// A consumer calls `close()` and leaves the group.
    CloseConsumer {
        /// Its `client.id`.
        client_id: String,
    },
    /// Processing of a consumer gets stuck: `poll` stops, heartbeats continue, so it leaves the
    /// group when `max.poll.interval.ms` expires.
    StallConsumer {
        /// `client.id`.
        client_id: String,
    },
    /// Restart a crashed or closed consumer (new member, same `client.id`), or resume a stalled one.
    RestartConsumer {
        /// `client.id`.
        client_id: String,
    },
    /// `partition.assignment.strategy` for consumers started or restarted in the group from now on.
    SetGroupStrategy {
        /// Group.
        group_id: String,
        /// Assignor names in preference order (`range`, `roundrobin`, `sticky`, `cooperative-sticky`).
        strategies: Vec<String>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_shape() {
        let c: Command = serde_json::from_str(
            r#"{"type":"create_topic","name":"orders","partitions":6,"replication_factor":3}"#,
        )
        .unwrap();
        assert!(matches!(c, Command::CreateTopic { partitions: 6, .. }));
        let c: Command = serde_json::from_str(
            r#"{"type":"add_producer","topic":"t","rate_per_sec":10,"keys":{"random":{"count":5}},"acks":"1"}"#,
        )
        .unwrap();
        assert_eq!(
            c,
            Command::AddProducer {
                producer_id: None,
                topic: "t".into(),
                rate_per_sec: 10,
                keys: KeySpec::Random { count: 5 },
                acks: Acks::One
            }
        );
        let s = serde_json::to_string(&Command::CrashBroker { broker: 1 }).unwrap();
        assert_eq!(s, r#"{"type":"crash_broker","broker":1}"#);
    }
}
