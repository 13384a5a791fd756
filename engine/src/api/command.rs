//! User input to the simulation ([`crate::Sim::apply`]).
//!
//! Serialized as an internally tagged JSON object, e.g.
//! `{"type":"create_topic","name":"orders","partitions":6,"replication_factor":3}`.

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::group::GroupConfig;
use crate::kafka::topic::TopicConfig;
pub use crate::producer::{Acks, KeySpec, ProducerOptions};

/// A command given to the simulation: `{"type": "<snake_case name>", fields...}`. Optional
/// fields may be left out; an unknown field is refused, naming it.
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
        key: Option<String>,
        /// `acks` of this one-shot producer (default `all`).
        #[serde(default)]
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
        #[serde(default)]
        keys: KeySpec,
        /// `acks` (default `all`).
        #[serde(default)]
        acks: Acks,
        /// Producer configs with Kafka's names (`enable.idempotence`, `retries`,
        /// `delivery.timeout.ms`, `retry.backoff.ms`, `retry.backoff.max.ms`, `request.timeout.ms`,
        /// `max.in.flight.requests.per.connection`); Kafka's defaults when absent.
        #[serde(default, skip_serializing_if = "ProducerOptions::is_default")]
        config: ProducerOptions,
    },
    /// Stop a simulated producer.
    RemoveProducer {
        /// Its `client.id`.
        producer_id: String,
    },
    /// Change a running producer's rate (a traffic spike, or a lull).
    SetProducerRate {
        /// Its `client.id`.
        producer_id: String,
        /// New records per second (integer).
        rate_per_sec: u32,
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
        #[serde(default)]
        config: GroupConfig,
    },
    /// Declare a share group (KIP-932) and its topics: its consumers (`add_consumer` with its
    /// `group_id`) read the same partitions together.
    CreateShareGroup {
        /// `group.id` (shared with consumer groups' ids: one kind per id).
        group_id: String,
        /// Subscribed topics.
        topics: Vec<String>,
        /// The group's settings (Kafka names; GroupLab's `processing_time_ms`,
        /// `failing_keys`, `on_failure`).
        #[serde(default)]
        config: crate::group::share::settings::ShareGroupSettings,
    },
    /// A consumer joins a group. `topics`, when non-empty, sets/extends the group's subscription.
    AddConsumer {
        /// `group.id`.
        group_id: String,
        /// `client.id`; default `consumer-<group>-<n>` like Kafka.
        client_id: Option<String>,
        /// Topics to subscribe to (optional when the group was created with `create_group`).
        #[serde(default)]
        topics: Vec<String>,
        /// `group.instance.id` of this consumer (a static member, KIP-345); overrides the
        /// group config's.
        #[serde(default, rename = "group.instance.id")]
        group_instance_id: Option<String>,
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
    /// `group.protocol` of the consumers started (or restarted) in the group from now on: a
    /// rolling restart migrates the group between the classic and the consumer protocol, online
    /// as `group.consumer.migration.policy` allows (the first consumer-protocol member
    /// converts a running classic group; the last one leaving hands the classic members back),
    /// and an Empty group whatever the policy. Under `disabled` a running group refuses the
    /// other protocol's new members (GROUP_ID_NOT_FOUND for a ConsumerGroupHeartbeat,
    /// INCONSISTENT_GROUP_PROTOCOL for a JoinGroup).
    SetGroupProtocol {
        /// Group.
        group_id: String,
        /// `classic` or `consumer`.
        protocol: crate::group::client::GroupProtocol,
    },
    /// `Admin.alterConsumerGroupOffsets` (what `kafka-consumer-groups.sh --reset-offsets
    /// --execute` sends): an OffsetCommit with generation -1 and an empty member id to the
    /// group's coordinator, accepted only while the group is Empty (`ClassicGroup.validateOffsetCommit`;
    /// `UNKNOWN_MEMBER_ID` for a group with members, `COORDINATOR_NOT_AVAILABLE` without a
    /// coordinator). A group not known yet is created Empty. Refused as a whole or applied whole.
    AlterConsumerGroupOffsets {
        /// `group.id`.
        group_id: String,
        /// The offsets to commit (next offset to read), one per partition.
        offsets: Vec<PartitionOffset>,
    },
    /// `Admin.deleteConsumerGroupOffsets` (`kafka-consumer-groups.sh --delete-offsets`): an
    /// OffsetDelete. Partitions of topics the group subscribes to are refused one by one
    /// (`GROUP_SUBSCRIBED_TO_TOPIC`), the others' offsets get tombstones in
    /// `__consumer_offsets`; a group-level error (`GROUP_ID_NOT_FOUND`, `NON_EMPTY_GROUP`,
    /// `COORDINATOR_NOT_AVAILABLE`) refuses the command.
    DeleteConsumerGroupOffsets {
        /// `group.id`.
        group_id: String,
        /// The partitions whose committed offsets to delete.
        partitions: Vec<PartitionRef>,
    },
    /// `Admin.alterShareGroupOffsets` (what `kafka-share-groups.sh --reset-offsets --execute`
    /// sends): new share-partition start offsets (SPSO) for a share group, accepted only while
    /// the group is Empty (`NON_EMPTY_GROUP` otherwise, `GroupMetadataManager.alterShareGroupOffsets`;
    /// `GROUP_ID_NOT_FOUND` for a consumer group's id, `COORDINATOR_NOT_AVAILABLE` without a
    /// coordinator). Each share-partition's state is initialized again at the new start offset
    /// (`InitializeShareGroupState` with the group epoch as its state epoch): its in-flight records
    /// are forgotten, and the group's next consumers start there. A share group not known yet is
    /// created Empty, as Kafka creates it. Every partition must exist. Refused as a whole or
    /// applied whole.
    AlterShareGroupOffsets {
        /// `group.id` of the share group.
        group_id: String,
        /// The new start offsets (the next record to deliver), one per partition.
        offsets: Vec<PartitionOffset>,
    },
    /// `Admin.deleteShareGroupOffsets` (`kafka-share-groups.sh --delete-offsets`): deletes the
    /// share-partition state of whole topics of an Empty share group (`NON_EMPTY_GROUP`
    /// otherwise; `GROUP_ID_NOT_FOUND` for an unknown group, `COORDINATOR_NOT_AVAILABLE` without a
    /// coordinator). A topic the cluster does not know, or whose state the group never
    /// initialized, is refused on its own (`UNKNOWN_TOPIC_OR_PARTITION`), the others' state is
    /// deleted: the group's next consumers of them start where `share.auto.offset.reset` says.
    DeleteShareGroupOffsets {
        /// `group.id` of the share group.
        group_id: String,
        /// The topics whose share-partition state to delete.
        topics: Vec<String>,
    },
}

// Commands are read by hand, one match arm per type, rather than by serde's internally tagged
// derive: that derive buffers each command in serde's private `Content` type and compiles every
// field's code for it again, and even an externally tagged derive compiled to ~12 KB of the
// gzipped wasm. The field names are those the derived `Serialize` writes;
// `tests::every_command_round_trips` reads back every type.

/// The `type`s of [`Command`], in declaration order.
pub const COMMAND_TYPES: &[&str] = &[
    "create_topic",
    "create_partitions",
    "produce",
    "add_producer",
    "remove_producer",
    "set_producer_rate",
    "crash_broker",
    "shutdown_broker",
    "restart_broker",
    "set_broker_delay",
    "create_group",
    "create_share_group",
    "add_consumer",
    "crash_consumer",
    "close_consumer",
    "stall_consumer",
    "restart_consumer",
    "set_group_strategy",
    "set_group_protocol",
    "alter_consumer_group_offsets",
    "delete_consumer_group_offsets",
    "alter_share_group_offsets",
    "delete_share_group_offsets",
];

/// The fields of one command object, taken by name; what is left at the end is an unknown field.
/// The messages are serde's (`missing field `x``, `unknown field `x`, expected one of ...`).
///
/// A field that is missing or does not fit its type leaves its error and its type's default:
/// the command's other fields are read all the same, and [`Fields::done`] reports the first
/// error in field order, as serde's derive does. (Reading on instead of returning at the first
/// error leaves no half-built command to drop on each error path: ~1 KB less wasm.)
struct Fields {
    map: Map<String, Value>,
    taken: Vec<&'static str>,
    error: Option<String>,
}

impl Fields {
    fn take<T: DeserializeOwned + Default>(&mut self, name: &'static str, required: bool) -> T {
        self.taken.push(name);
        let value = match self.map.remove(name) {
            Some(v) => super::json::from_value(v).map_err(|e| format!("field `{name}`: {e}")),
            None if required => Err(format!("missing field `{name}`")),
            None => Ok(T::default()),
        };
        value.unwrap_or_else(|e| {
            self.error.get_or_insert(e);
            T::default()
        })
    }
    /// A required field.
    fn req<T: DeserializeOwned + Default>(&mut self, name: &'static str) -> T {
        self.take(name, true)
    }
    /// An optional field: its default when left out.
    fn opt<T: DeserializeOwned + Default>(&mut self, name: &'static str) -> T {
        self.take(name, false)
    }
    /// `command`, unless a field had an error or was not taken.
    fn done(self, command: Command) -> Result<Command, String> {
        if let Some(e) = self.error {
            return Err(e);
        }
        match self.map.keys().next() {
            None => Ok(command),
            Some(k) => Err(format!("unknown field `{k}`, expected {}", one_of(&self.taken))),
        }
    }
}

/// serde's list of expected names: `` `a` `` or `` one of `a`, `b` ``.
fn one_of(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.len() {
        1 => quoted[0].clone(),
        _ => format!("one of {}", quoted.join(", ")),
    }
}

impl Command {
    /// The command as one line of JSON, as scenario files write it (through a `Value`, whose
    /// serializer every saved type already uses: one copy of the serde code in the wasm).
    pub fn to_json(&self) -> String {
        serde_json::to_value(self).map(|v| v.to_string()).unwrap_or_default()
    }

    /// Reads a command from its JSON object.
    fn from_object(mut map: Map<String, Value>) -> Result<Command, String> {
        let kind = match map.remove("type") {
            Some(Value::String(kind)) => kind,
            Some(other) => return Err(format!("invalid type: `type` must be a string naming the command, not {other}")),
            None => return Err("missing field `type`".into()),
        };
        let mut f = Fields { map, taken: Vec::new(), error: None };
        let command = match kind.as_str() {
            "create_topic" => Command::CreateTopic { name: f.req("name"), partitions: f.req("partitions"), replication_factor: f.req("replication_factor"), config: f.opt("config") },
            "create_partitions" => Command::CreatePartitions { topic: f.req("topic"), count: f.req("count") },
            "produce" => Command::Produce { topic: f.req("topic"), count: f.req("count"), key: f.opt("key"), acks: f.opt("acks") },
            "add_producer" => Command::AddProducer {
                producer_id: f.opt("producer_id"),
                topic: f.req("topic"),
                rate_per_sec: f.req("rate_per_sec"),
                keys: f.opt("keys"),
                acks: f.opt("acks"),
                config: f.opt("config"),
            },
            "remove_producer" => Command::RemoveProducer { producer_id: f.req("producer_id") },
            "set_producer_rate" => Command::SetProducerRate { producer_id: f.req("producer_id"), rate_per_sec: f.req("rate_per_sec") },
            "crash_broker" => Command::CrashBroker { broker: f.req("broker") },
            "shutdown_broker" => Command::ShutdownBroker { broker: f.req("broker") },
            "restart_broker" => Command::RestartBroker { broker: f.req("broker") },
            "set_broker_delay" => Command::SetBrokerDelay { broker: f.req("broker"), fetch_delay_ms: f.opt("fetch_delay_ms") },
            "create_group" => Command::CreateGroup { group_id: f.req("group_id"), topics: f.req("topics"), config: f.opt("config") },
            "create_share_group" => Command::CreateShareGroup { group_id: f.req("group_id"), topics: f.req("topics"), config: f.opt("config") },
            "add_consumer" => Command::AddConsumer {
                group_id: f.req("group_id"),
                client_id: f.opt("client_id"),
                topics: f.opt("topics"),
                group_instance_id: f.opt("group.instance.id"),
            },
            "crash_consumer" => Command::CrashConsumer { client_id: f.req("client_id") },
            "close_consumer" => Command::CloseConsumer { client_id: f.req("client_id") },
            "stall_consumer" => Command::StallConsumer { client_id: f.req("client_id") },
            "restart_consumer" => Command::RestartConsumer { client_id: f.req("client_id") },
            "set_group_strategy" => Command::SetGroupStrategy { group_id: f.req("group_id"), strategies: f.req("strategies") },
            "set_group_protocol" => Command::SetGroupProtocol { group_id: f.req("group_id"), protocol: f.req("protocol") },
            "alter_consumer_group_offsets" => Command::AlterConsumerGroupOffsets { group_id: f.req("group_id"), offsets: f.req("offsets") },
            "delete_consumer_group_offsets" => Command::DeleteConsumerGroupOffsets { group_id: f.req("group_id"), partitions: f.req("partitions") },
            "alter_share_group_offsets" => Command::AlterShareGroupOffsets { group_id: f.req("group_id"), offsets: f.req("offsets") },
            "delete_share_group_offsets" => Command::DeleteShareGroupOffsets { group_id: f.req("group_id"), topics: f.req("topics") },
            other => return Err(format!("unknown variant `{other}`, expected {}", one_of(COMMAND_TYPES))),
        };
        f.done(command)
    }
}

impl<'de> Deserialize<'de> for Command {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Command, D::Error> {
        match Value::deserialize(d)? {
            Value::Object(map) => Command::from_object(map).map_err(D::Error::custom),
            _ => Err(D::Error::custom(r#"invalid type: a command is an object {"type": "<command>", ...}"#)),
        }
    }
}

/// One partition's offset in [`Command::AlterConsumerGroupOffsets`] and
/// [`Command::AlterShareGroupOffsets`]: `{"topic": "t", "partition": 0, "offset": 42}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartitionOffset {
    /// Topic.
    pub topic: String,
    /// Partition.
    pub partition: u32,
    /// The committed offset (a share group's start offset): the next record to read.
    pub offset: u64,
}

/// One partition in [`Command::DeleteConsumerGroupOffsets`]: `{"topic": "t", "partition": 0}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartitionRef {
    /// Topic.
    pub topic: String,
    /// Partition.
    pub partition: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<Command> {
        vec![
            Command::CreateTopic { name: "t".into(), partitions: 3, replication_factor: 2, config: TopicConfig::default() },
            Command::CreatePartitions { topic: "t".into(), count: 4 },
            Command::Produce { topic: "t".into(), count: 5, key: Some("k".into()), acks: Acks::Zero },
            Command::AddProducer { producer_id: Some("p".into()), topic: "t".into(), rate_per_sec: 7, keys: KeySpec::Fixed(vec!["a".into()]), acks: Acks::One, config: ProducerOptions::default() },
            Command::AddProducer { producer_id: None, topic: "t".into(), rate_per_sec: 1, keys: KeySpec::Random { count: 3 }, acks: Acks::All, config: ProducerOptions { enable_idempotence: Some(false), retries: Some(3), delivery_timeout_ms: Some(60_000), retry_backoff_ms: Some(50), retry_backoff_max_ms: Some(500), request_timeout_ms: Some(10_000), max_in_flight: Some(1) } },
            Command::RemoveProducer { producer_id: "p".into() },
            Command::SetProducerRate { producer_id: "p".into(), rate_per_sec: 9 },
            Command::CrashBroker { broker: 1 },
            Command::ShutdownBroker { broker: 2 },
            Command::RestartBroker { broker: 3 },
            Command::SetBrokerDelay { broker: 1, fetch_delay_ms: Some(250) },
            Command::CreateGroup { group_id: "g".into(), topics: vec!["t".into()], config: Default::default() },
            Command::CreateShareGroup { group_id: "s".into(), topics: vec!["t".into()], config: Default::default() },
            Command::AddConsumer { group_id: "g".into(), client_id: None, topics: vec![], group_instance_id: None },
            Command::CrashConsumer { client_id: "C1".into() },
            Command::CloseConsumer { client_id: "C1".into() },
            Command::StallConsumer { client_id: "C1".into() },
            Command::RestartConsumer { client_id: "C1".into() },
            Command::SetGroupStrategy { group_id: "g".into(), strategies: vec!["range".into()] },
            Command::SetGroupProtocol { group_id: "g".into(), protocol: crate::group::client::GroupProtocol::Consumer },
            Command::AlterConsumerGroupOffsets { group_id: "g".into(), offsets: vec![PartitionOffset { topic: "t".into(), partition: 1, offset: 42 }] },
            Command::DeleteConsumerGroupOffsets { group_id: "g".into(), partitions: vec![PartitionRef { topic: "t".into(), partition: 0 }] },
            Command::AlterShareGroupOffsets { group_id: "s".into(), offsets: vec![PartitionOffset { topic: "t".into(), partition: 0, offset: 7 }] },
            Command::DeleteShareGroupOffsets { group_id: "s".into(), topics: vec!["t".into()] },
        ]
    }

    /// The variant's place in declaration order. No wildcard: a new variant does not compile
    /// here until it is given a place, which `every_command_round_trips` then asks of `all()`
    /// and of [`COMMAND_TYPES`].
    fn index(c: &Command) -> usize {
        match c {
            Command::CreateTopic { .. } => 0,
            Command::CreatePartitions { .. } => 1,
            Command::Produce { .. } => 2,
            Command::AddProducer { .. } => 3,
            Command::RemoveProducer { .. } => 4,
            Command::SetProducerRate { .. } => 5,
            Command::CrashBroker { .. } => 6,
            Command::ShutdownBroker { .. } => 7,
            Command::RestartBroker { .. } => 8,
            Command::SetBrokerDelay { .. } => 9,
            Command::CreateGroup { .. } => 10,
            Command::CreateShareGroup { .. } => 11,
            Command::AddConsumer { .. } => 12,
            Command::CrashConsumer { .. } => 13,
            Command::CloseConsumer { .. } => 14,
            Command::StallConsumer { .. } => 15,
            Command::RestartConsumer { .. } => 16,
            Command::SetGroupStrategy { .. } => 17,
            Command::SetGroupProtocol { .. } => 18,
            Command::AlterConsumerGroupOffsets { .. } => 19,
            Command::DeleteConsumerGroupOffsets { .. } => 20,
            Command::AlterShareGroupOffsets { .. } => 21,
            Command::DeleteShareGroupOffsets { .. } => 22,
        }
    }

    /// Every command reads back what it writes.
    #[test]
    fn every_command_round_trips() {
        for c in all() {
            let json = serde_json::to_string(&c).unwrap();
            assert!(json.starts_with("{\"type\":\""), "{json}");
            assert_eq!(serde_json::from_value::<Command>(serde_json::to_value(&c).unwrap()).unwrap(), c, "{json}");
            let back: Command = serde_json::from_str(&json).unwrap();
            assert_eq!(back, c, "{json}");
            assert_eq!(serde_json::to_value(&c).unwrap()["type"], COMMAND_TYPES[index(&c)], "{json}");
        }
        let mut covered: Vec<usize> = all().iter().map(index).collect();
        covered.dedup();
        assert_eq!(covered, (0..COMMAND_TYPES.len()).collect::<Vec<_>>(), "all() has every command, in order");
    }

    /// Optional fields may be left out; mistakes, unknown fields included, are named.
    #[test]
    fn defaults_and_mistakes() {
        let c: Command = serde_json::from_str(r#"{"topic":"t","key":null,"type":"produce","count":2}"#).unwrap();
        assert_eq!(c, Command::Produce { topic: "t".into(), count: 2, key: None, acks: Acks::All });
        let c: Command = serde_json::from_str(r#"{"type":"add_producer","topic":"t","rate_per_sec":10,"keys":{"random":{"count":5}},"acks":"1"}"#).unwrap();
        assert_eq!(c, Command::AddProducer { producer_id: None, topic: "t".into(), rate_per_sec: 10, keys: KeySpec::Random { count: 5 }, acks: Acks::One, config: ProducerOptions::default() });
        let c: Command = serde_json::from_str(r#"{"type":"add_producer","topic":"t","rate_per_sec":1,"config":{"enable.idempotence":false,"retries":0,"delivery.timeout.ms":5000}}"#).unwrap();
        let want = ProducerOptions { enable_idempotence: Some(false), retries: Some(0), delivery_timeout_ms: Some(5000), ..Default::default() };
        assert!(matches!(c, Command::AddProducer { config, .. } if config == want));
        assert_eq!(serde_json::to_string(&Command::CrashBroker { broker: 1 }).unwrap(), r#"{"type":"crash_broker","broker":1}"#);
        let c = Command::SetBrokerDelay { broker: 2, fetch_delay_ms: Some(5) };
        assert_eq!(serde_json::to_string(&c).unwrap(), r#"{"type":"set_broker_delay","broker":2,"fetch_delay_ms":5}"#, "fields in declared order");
        let err = |s: &str| serde_json::from_str::<Command>(s).unwrap_err().to_string();
        assert!(err(r#"{"type":"produce","topic":"t"}"#).contains("missing field `count`"));
        assert!(err(r#"{"topic":"t"}"#).contains("missing field `type`"));
        assert!(err(r#"{"type":"explode"}"#).contains("unknown variant `explode`"));
        assert!(err(r#"{"type":"produce","topic":"t","count":2,"extra":true}"#).contains("unknown field `extra`"));
        assert!(err(r#"{"type":"crash_broker","broker":-1}"#).contains("invalid value"));
        assert!(err(r#"{"type":"create_topic","name":"t","partitions":1,"replication_factor":70000}"#).contains("70000"));
        assert!(err(r#"{"type":"produce","topic":"t","count":1,"acks":"2"}"#).contains("unknown variant `2`"));
        assert!(err(r#"{"type":"add_producer","topic":"t","rate_per_sec":1,"config":{"enable_idempotence":true}}"#).contains("unknown field `enable_idempotence`"));
        assert!(err("[1]").contains("invalid type"));
        assert!(err(r#"{"type":7,"broker":1}"#).contains("`type` must be a string"));
        let c: Command = serde_json::from_str(r#"{"type":"alter_consumer_group_offsets","group_id":"g","offsets":[{"topic":"t","partition":2,"offset":9}]}"#).unwrap();
        assert_eq!(c, Command::AlterConsumerGroupOffsets { group_id: "g".into(), offsets: vec![PartitionOffset { topic: "t".into(), partition: 2, offset: 9 }] });
        assert!(err(r#"{"type":"alter_consumer_group_offsets","group_id":"g","offsets":[{"topic":"t","partition":0,"offset":1,"leader_epoch":3}]}"#).contains("unknown field `leader_epoch`"));
        assert!(err(r#"{"type":"alter_consumer_group_offsets","group_id":"g","offsets":[{"topic":"t","partition":0,"offset":-1}]}"#).contains("invalid value"));
        assert!(err(r#"{"type":"delete_consumer_group_offsets","group_id":"g","partitions":[{"topic":"t"}]}"#).contains("missing field `partition`"));
        // The first field in order with an error is the one reported, before any unknown field.
        assert!(err(r#"{"type":"create_topic","name":1,"extra":0}"#).starts_with("field `name`: invalid type"), "{}", err(r#"{"type":"create_topic","name":1}"#));
        assert!(err(r#"{"type":"create_topic","name":"t","replication_factor":"x","extra":0}"#).starts_with("missing field `partitions`"));
    }
}
