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
/// Both serde traits are written by hand, to keep the wasm small, and behave exactly like the
/// former `#[derive]` with `#[serde(tag = "type", rename_all = "snake_case")]` (and
/// `#[serde(default)]` on the optional fields): `Serialize` writes `{"type": ..., fields in
/// declaration order}` ([`Command::fields`]); `Deserialize` ([`Command::from_value`]) accepts
/// what the derive accepted, unknown fields ignored. The derived `Deserialize` buffered every
/// variant through serde's `Content` (~40 KB of wasm); the derived `Serialize` was inlined once
/// per serializer with a separate call for every field of every variant.
#[derive(Clone, Debug, PartialEq)]
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
        key: Option<String>,
        /// `acks` of this one-shot producer (default `all`).
        acks: Acks,
    },
    /// Start a simulated producer writing `rate_per_sec` records per second.
    AddProducer {
        /// `client.id`; default `producer-<n>` like Kafka.
        producer_id: Option<String>,
        /// Topic name.
        topic: String,
        /// Records per second (integer).
        rate_per_sec: u32,
        /// Keys of the produced records.
        keys: KeySpec,
        /// `acks` (default `all`).
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
        fetch_delay_ms: Option<u64>,
    },
    /// Declare a consumer group and its subscription (phase-1 slice group).
    CreateGroup {
        /// `group.id`.
        group_id: String,
        /// Subscribed topics.
        topics: Vec<String>,
        /// Settings of the consumers started in the group (Kafka names; defaults when absent).
        config: crate::sim::group_layer::GroupConfig,
    },
    /// A consumer joins a group. `topics`, when non-empty, sets/extends the group's subscription.
    AddConsumer {
        /// `group.id`.
        group_id: String,
        /// `client.id`; default `consumer-<group>-<n>` like Kafka.
        client_id: Option<String>,
        /// Topics to subscribe to (optional when the group was created with `create_group`).
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

impl Serialize for Command {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let (ty, fields) = self.fields();
        let mut st = s.serialize_struct("Command", fields.len() + 1)?;
        st.serialize_field("type", ty)?;
        for (key, value) in &fields {
            st.serialize_field(key, value)?;
        }
        st.end()
    }
}

/// A borrowed field value of a [`Command`], serialized as the field's own type would be
/// (integers of every width are the same JSON number).
enum FieldRef<'a> {
    Str(&'a str),
    OptStr(Option<&'a str>),
    Num(u64),
    OptNum(Option<u64>),
    Strs(&'a [String]),
    Acks(Acks),
    Keys(&'a KeySpec),
    Topic(&'a TopicConfig),
    Group(&'a crate::sim::group_layer::GroupConfig),
}

impl Serialize for FieldRef<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            FieldRef::Str(v) => s.serialize_str(v),
            FieldRef::OptStr(v) => v.serialize(s),
            FieldRef::Num(v) => s.serialize_u64(*v),
            FieldRef::OptNum(v) => v.serialize(s),
            FieldRef::Strs(v) => v.serialize(s),
            FieldRef::Acks(v) => v.serialize(s),
            FieldRef::Keys(v) => v.serialize(s),
            FieldRef::Topic(v) => v.serialize(s),
            FieldRef::Group(v) => v.serialize(s),
        }
    }
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
    /// The `type` name and the fields, in declaration order, as serialized.
    fn fields(&self) -> (&'static str, Vec<(&'static str, FieldRef<'_>)>) {
        use FieldRef::*;
        let (i, fields) = match self {
            Command::CreateTopic { name, partitions, replication_factor, config } => (
                0,
                vec![
                    ("name", Str(name)),
                    ("partitions", Num(u64::from(*partitions))),
                    ("replication_factor", Num(u64::from(*replication_factor))),
                    ("config", Topic(config)),
                ],
            ),
            Command::CreatePartitions { topic, count } => {
                (1, vec![("topic", Str(topic)), ("count", Num(u64::from(*count)))])
            }
            Command::Produce { topic, count, key, acks } => (
                2,
                vec![
                    ("topic", Str(topic)),
                    ("count", Num(u64::from(*count))),
                    ("key", OptStr(key.as_deref())),
                    ("acks", Acks(*acks)),
                ],
            ),
            Command::AddProducer { producer_id, topic, rate_per_sec, keys, acks } => (
                3,
                vec![
                    ("producer_id", OptStr(producer_id.as_deref())),
                    ("topic", Str(topic)),
                    ("rate_per_sec", Num(u64::from(*rate_per_sec))),
                    ("keys", Keys(keys)),
                    ("acks", Acks(*acks)),
                ],
            ),
            Command::RemoveProducer { producer_id } => (4, vec![("producer_id", Str(producer_id))]),
            Command::CrashBroker { broker } => (5, vec![("broker", Num(u64::from(*broker)))]),
            Command::ShutdownBroker { broker } => (6, vec![("broker", Num(u64::from(*broker)))]),
            Command::RestartBroker { broker } => (7, vec![("broker", Num(u64::from(*broker)))]),
            Command::SetBrokerDelay { broker, fetch_delay_ms } => {
                (8, vec![("broker", Num(u64::from(*broker))), ("fetch_delay_ms", OptNum(*fetch_delay_ms))])
            }
            Command::CreateGroup { group_id, topics, config } => {
                (9, vec![("group_id", Str(group_id)), ("topics", Strs(topics)), ("config", Group(config))])
            }
            Command::AddConsumer { group_id, client_id, topics } => (
                10,
                vec![("group_id", Str(group_id)), ("client_id", OptStr(client_id.as_deref())), ("topics", Strs(topics))],
            ),
            Command::CrashConsumer { client_id } => (11, vec![("client_id", Str(client_id))]),
            Command::CloseConsumer { client_id } => (12, vec![("client_id", Str(client_id))]),
            Command::StallConsumer { client_id } => (13, vec![("client_id", Str(client_id))]),
            Command::RestartConsumer { client_id } => (14, vec![("client_id", Str(client_id))]),
            Command::SetGroupStrategy { group_id, strategies } => {
                (15, vec![("group_id", Str(group_id)), ("strategies", Strs(strategies))])
            }
        };
        (COMMAND_TYPES[i], fields)
    }

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

    /// The former derived `Serialize`, kept as the reference for the hand-written one.
    #[derive(Serialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    enum Derived<'a> {
        CreateTopic { name: &'a str, partitions: u32, replication_factor: u16, config: &'a TopicConfig },
        CreatePartitions { topic: &'a str, count: u32 },
        Produce { topic: &'a str, count: u32, key: &'a Option<String>, acks: Acks },
        AddProducer { producer_id: &'a Option<String>, topic: &'a str, rate_per_sec: u32, keys: &'a KeySpec, acks: Acks },
        RemoveProducer { producer_id: &'a str },
        CrashBroker { broker: u32 },
        ShutdownBroker { broker: u32 },
        RestartBroker { broker: u32 },
        SetBrokerDelay { broker: u32, fetch_delay_ms: Option<u64> },
        CreateGroup { group_id: &'a str, topics: &'a Vec<String>, config: &'a crate::sim::group_layer::GroupConfig },
        AddConsumer { group_id: &'a str, client_id: &'a Option<String>, topics: &'a Vec<String> },
        CrashConsumer { client_id: &'a str },
        CloseConsumer { client_id: &'a str },
        StallConsumer { client_id: &'a str },
        RestartConsumer { client_id: &'a str },
        SetGroupStrategy { group_id: &'a str, strategies: &'a Vec<String> },
    }

    fn derived(c: &Command) -> Derived<'_> {
        match c {
            Command::CreateTopic { name, partitions, replication_factor, config } => {
                Derived::CreateTopic { name, partitions: *partitions, replication_factor: *replication_factor, config }
            }
            Command::CreatePartitions { topic, count } => Derived::CreatePartitions { topic, count: *count },
            Command::Produce { topic, count, key, acks } => Derived::Produce { topic, count: *count, key, acks: *acks },
            Command::AddProducer { producer_id, topic, rate_per_sec, keys, acks } => {
                Derived::AddProducer { producer_id, topic, rate_per_sec: *rate_per_sec, keys, acks: *acks }
            }
            Command::RemoveProducer { producer_id } => Derived::RemoveProducer { producer_id },
            Command::CrashBroker { broker } => Derived::CrashBroker { broker: *broker },
            Command::ShutdownBroker { broker } => Derived::ShutdownBroker { broker: *broker },
            Command::RestartBroker { broker } => Derived::RestartBroker { broker: *broker },
            Command::SetBrokerDelay { broker, fetch_delay_ms } => {
                Derived::SetBrokerDelay { broker: *broker, fetch_delay_ms: *fetch_delay_ms }
            }
            Command::CreateGroup { group_id, topics, config } => Derived::CreateGroup { group_id, topics, config },
            Command::AddConsumer { group_id, client_id, topics } => Derived::AddConsumer { group_id, client_id, topics },
            Command::CrashConsumer { client_id } => Derived::CrashConsumer { client_id },
            Command::CloseConsumer { client_id } => Derived::CloseConsumer { client_id },
            Command::StallConsumer { client_id } => Derived::StallConsumer { client_id },
            Command::RestartConsumer { client_id } => Derived::RestartConsumer { client_id },
            Command::SetGroupStrategy { group_id, strategies } => Derived::SetGroupStrategy { group_id, strategies },
        }
    }

    /// The hand-written `Serialize` writes byte for byte what the derive wrote, compact and
    /// pretty, for every variant with default and non-default values.
    #[test]
    fn serialize_matches_the_former_derive() {
        let config = TopicConfig { retention_bytes: 1024, ..TopicConfig::default() };
        let all = vec![
            Command::CreateTopic { name: "t".into(), partitions: 3, replication_factor: 2, config: TopicConfig::default() },
            Command::CreateTopic { name: "o\"rders".into(), partitions: u32::MAX, replication_factor: u16::MAX, config },
            Command::CreatePartitions { topic: "t".into(), count: 4 },
            Command::Produce { topic: "t".into(), count: 5, key: Some("k".into()), acks: Acks::Zero },
            Command::Produce { topic: "t".into(), count: 0, key: None, acks: Acks::All },
            Command::AddProducer { producer_id: Some("p".into()), topic: "t".into(), rate_per_sec: 7, keys: KeySpec::Fixed(vec!["a".into(), "b".into()]), acks: Acks::One },
            Command::AddProducer { producer_id: None, topic: "t".into(), rate_per_sec: 1, keys: KeySpec::Random { count: 3 }, acks: Acks::All },
            Command::AddProducer { producer_id: None, topic: "t".into(), rate_per_sec: 1, keys: KeySpec::None, acks: Acks::All },
            Command::RemoveProducer { producer_id: "p".into() },
            Command::CrashBroker { broker: 1 },
            Command::ShutdownBroker { broker: 2 },
            Command::RestartBroker { broker: 3 },
            Command::SetBrokerDelay { broker: 1, fetch_delay_ms: Some(u64::MAX) },
            Command::SetBrokerDelay { broker: 1, fetch_delay_ms: None },
            Command::CreateGroup { group_id: "g".into(), topics: vec!["t".into(), "u".into()], config: Default::default() },
            Command::AddConsumer { group_id: "g".into(), client_id: None, topics: vec![] },
            Command::AddConsumer { group_id: "g".into(), client_id: Some("c".into()), topics: vec!["t".into()] },
            Command::CrashConsumer { client_id: "C1".into() },
            Command::CloseConsumer { client_id: "C1".into() },
            Command::StallConsumer { client_id: "C1".into() },
            Command::RestartConsumer { client_id: "C1".into() },
            Command::SetGroupStrategy { group_id: "g".into(), strategies: vec!["range".into(), "sticky".into()] },
        ];
        for c in &all {
            let d = derived(c);
            assert_eq!(serde_json::to_string(c).unwrap(), serde_json::to_string(&d).unwrap());
            assert_eq!(serde_json::to_string_pretty(c).unwrap(), serde_json::to_string_pretty(&d).unwrap());
            assert_eq!(serde_json::to_value(c).unwrap(), serde_json::to_value(&d).unwrap());
        }
        // Inside a list, as in saved labs.
        let ds: Vec<Derived> = all.iter().map(derived).collect();
        assert_eq!(serde_json::to_string_pretty(&all).unwrap(), serde_json::to_string_pretty(&ds).unwrap());
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
