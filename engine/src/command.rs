//! User input to the simulation ([`crate::Sim::apply`]).
//!
//! Serialized as an internally tagged JSON object, e.g.
//! `{"type":"create_topic","name":"orders","partitions":6,"replication_factor":3}`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

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
///
/// `Serialize` is derived; `Deserialize` is written by hand ([`Command::from_value`]) and
/// accepts exactly what the derive (`tag = "type"`, unknown fields ignored) accepted: the
/// derive buffered every variant through serde's `Content` and compiled to ~40 KB of wasm.
#[derive(Clone, Debug, PartialEq, Serialize)]
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

impl<'de> Deserialize<'de> for Command {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Command::from_value(Value::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// The `type` names of [`Command`], as in files.
const COMMAND_TYPES: [&str; 16] = [
    "create_topic",
    "create_partitions",
    "produce",
    "add_producer",
    "remove_producer",
    "crash_broker",
    "shutdown_broker",
    "restart_broker",
    "set_broker_delay",
    "create_group",
    "add_consumer",
    "crash_consumer",
    "close_consumer",
    "stall_consumer",
    "restart_consumer",
    "set_group_strategy",
];

impl Command {
    /// Reads a command from its JSON object (`{"type": "<snake_case name>", fields...}`).
    /// Messages follow serde's (`missing field `topic``, `unknown variant ...`).
    pub fn from_value(v: Value) -> Result<Command, String> {
        let Value::Object(mut m) = v else {
            return Err(format!("invalid type: {}, expected internally tagged enum Command", value_kind(&v)));
        };
        let kind = match m.remove("type") {
            Some(Value::String(s)) => s,
            Some(other) => return Err(format!("invalid type: {}, expected variant identifier", value_kind(&other))),
            None => return Err("missing field `type`".to_string()),
        };
        let f = Fields(m);
        Ok(match kind.as_str() {
            "create_topic" => Command::CreateTopic {
                name: f.req("name")?,
                partitions: f.req("partitions")?,
                replication_factor: f.req("replication_factor")?,
                config: f.opt("config")?,
            },
            "create_partitions" => Command::CreatePartitions { topic: f.req("topic")?, count: f.req("count")? },
            "produce" => Command::Produce { topic: f.req("topic")?, count: f.req("count")?, key: f.opt("key")?, acks: f.opt("acks")? },
            "add_producer" => Command::AddProducer {
                producer_id: f.opt("producer_id")?,
                topic: f.req("topic")?,
                rate_per_sec: f.req("rate_per_sec")?,
                keys: f.opt("keys")?,
                acks: f.opt("acks")?,
            },
            "remove_producer" => Command::RemoveProducer { producer_id: f.req("producer_id")? },
            "crash_broker" => Command::CrashBroker { broker: f.req("broker")? },
            "shutdown_broker" => Command::ShutdownBroker { broker: f.req("broker")? },
            "restart_broker" => Command::RestartBroker { broker: f.req("broker")? },
            "set_broker_delay" => Command::SetBrokerDelay { broker: f.req("broker")?, fetch_delay_ms: f.opt("fetch_delay_ms")? },
            "create_group" => Command::CreateGroup { group_id: f.req("group_id")?, topics: f.req("topics")?, config: f.opt("config")? },
            "add_consumer" => Command::AddConsumer { group_id: f.req("group_id")?, client_id: f.opt("client_id")?, topics: f.opt("topics")? },
            "crash_consumer" => Command::CrashConsumer { client_id: f.req("client_id")? },
            "close_consumer" => Command::CloseConsumer { client_id: f.req("client_id")? },
            "stall_consumer" => Command::StallConsumer { client_id: f.req("client_id")? },
            "restart_consumer" => Command::RestartConsumer { client_id: f.req("client_id")? },
            "set_group_strategy" => Command::SetGroupStrategy { group_id: f.req("group_id")?, strategies: f.req("strategies")? },
            other => {
                let all: Vec<String> = COMMAND_TYPES.iter().map(|t| format!("`{t}`")).collect();
                return Err(format!("unknown variant `{other}`, expected one of {}", all.join(", ")));
            }
        })
    }
}

fn value_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "sequence",
        Value::Object(_) => "map",
    }
}

/// The fields of one command object (unknown fields are ignored, as the derive did).
struct Fields(Map<String, Value>);

impl Fields {
    /// A required field.
    fn req<T: serde::de::DeserializeOwned>(&self, key: &str) -> Result<T, String> {
        match self.0.get(key) {
            Some(v) => T::deserialize(v).map_err(|e| format!("`{key}`: {e}")),
            None => Err(format!("missing field `{key}`")),
        }
    }

    /// A `#[serde(default)]` field: absent means the default (`null` is read as the type reads it).
    fn opt<T: serde::de::DeserializeOwned + Default>(&self, key: &str) -> Result<T, String> {
        match self.0.get(key) {
            Some(v) => T::deserialize(v).map_err(|e| format!("`{key}`: {e}")),
            None => Ok(T::default()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-written `Deserialize` reads back what the derived `Serialize` writes, for every
    /// variant, fills `#[serde(default)]` fields, ignores unknown fields and names mistakes.
    #[test]
    fn every_command_round_trips_and_mistakes_are_named() {
        let all = vec![
            Command::CreateTopic { name: "t".into(), partitions: 3, replication_factor: 2, config: TopicConfig::default() },
            Command::CreatePartitions { topic: "t".into(), count: 4 },
            Command::Produce { topic: "t".into(), count: 5, key: Some("k".into()), acks: Acks::Zero },
            Command::AddProducer { producer_id: Some("p".into()), topic: "t".into(), rate_per_sec: 7, keys: KeySpec::Fixed(vec!["a".into()]), acks: Acks::One },
            Command::RemoveProducer { producer_id: "p".into() },
            Command::CrashBroker { broker: 1 },
            Command::ShutdownBroker { broker: 2 },
            Command::RestartBroker { broker: 3 },
            Command::SetBrokerDelay { broker: 1, fetch_delay_ms: Some(250) },
            Command::CreateGroup { group_id: "g".into(), topics: vec!["t".into()], config: Default::default() },
            Command::AddConsumer { group_id: "g".into(), client_id: None, topics: vec![] },
            Command::CrashConsumer { client_id: "C1".into() },
            Command::CloseConsumer { client_id: "C1".into() },
            Command::StallConsumer { client_id: "C1".into() },
            Command::RestartConsumer { client_id: "C1".into() },
            Command::SetGroupStrategy { group_id: "g".into(), strategies: vec!["range".into()] },
        ];
        assert_eq!(all.len(), COMMAND_TYPES.len());
        for (c, ty) in all.iter().zip(COMMAND_TYPES) {
            let json = serde_json::to_string(c).unwrap();
            assert!(json.starts_with(&format!("{{\"type\":\"{ty}\"")), "{json}");
            let back: Command = serde_json::from_str(&json).unwrap();
            assert_eq!(&back, c, "{json}");
            assert_eq!(&Command::from_value(serde_json::to_value(c).unwrap()).unwrap(), c);
        }
        let c: Command = serde_json::from_str(r#"{"type":"produce","topic":"t","count":2,"extra":true}"#).unwrap();
        assert_eq!(c, Command::Produce { topic: "t".into(), count: 2, key: None, acks: Acks::All });
        let c: Command = serde_json::from_str(r#"{"topic":"t","key":null,"type":"produce","count":2}"#).unwrap();
        assert_eq!(c, Command::Produce { topic: "t".into(), count: 2, key: None, acks: Acks::All });
        let err = |s: &str| serde_json::from_str::<Command>(s).unwrap_err().to_string();
        assert!(err(r#"{"type":"produce","topic":"t"}"#).contains("missing field `count`"));
        assert!(err(r#"{"topic":"t"}"#).contains("missing field `type`"));
        assert!(err(r#"{"type":"explode"}"#).contains("unknown variant `explode`"));
        assert!(err(r#"{"type":"crash_broker","broker":-1}"#).contains("`broker`"));
        assert!(err(r#"{"type":"create_topic","name":"t","partitions":1,"replication_factor":70000}"#).contains("`replication_factor`"));
        assert!(err(r#"{"type":"produce","topic":"t","count":1,"acks":"2"}"#).contains("`acks`"));
        assert!(err("[1]").contains("invalid type"));
    }

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
