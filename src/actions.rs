//! Builders for the engine commands the UI sends (one place that knows their shapes).

use grouplab_engine::api::command::{Acks, KeySpec};
use grouplab_engine::group::share::settings::ShareGroupSettings;
use grouplab_engine::group::GroupConfig;
use grouplab_engine::kafka::topic::TopicConfig;
use grouplab_engine::Command;

/// `AddConsumer` with Kafka's default `client.id`: to a consumer group, or a share group (a
/// share consumer).
pub fn add_consumer(group_id: &str) -> Command {
    Command::AddConsumer { group_id: group_id.to_string(), client_id: None, topics: Vec::new(), group_instance_id: None }
}

/// `kill -9` of a consumer process.
pub fn crash_consumer(client_id: &str) -> Command {
    Command::CrashConsumer { client_id: client_id.to_string() }
}

/// A consumer calls `close()`.
pub fn close_consumer(client_id: &str) -> Command {
    Command::CloseConsumer { client_id: client_id.to_string() }
}

/// Produce `count` records with a null key right now (acks=all).
pub fn produce(topic: &str, count: u32) -> Command {
    Command::Produce { topic: topic.to_string(), count, key: None, acks: Default::default() }
}

/// `CreateTopics` with Kafka's default topic configs.
pub fn create_topic(name: &str, partitions: u32, replication_factor: u16) -> Command {
    Command::CreateTopic { name: name.to_string(), partitions, replication_factor, config: TopicConfig::default() }
}

/// `CreatePartitions` to `count` partitions in total.
pub fn create_partitions(topic: &str, count: u32) -> Command {
    Command::CreatePartitions { topic: topic.to_string(), count }
}

/// A producer writing `rate_per_sec` records per second with `keys` random keys (0 = null keys).
pub fn add_producer(topic: &str, rate_per_sec: u32, keys: u32, acks: Acks) -> Command {
    let keys = if keys == 0 { KeySpec::None } else { KeySpec::Random { count: keys } };
    Command::AddProducer { producer_id: None, topic: topic.to_string(), rate_per_sec, keys, acks, config: Default::default() }
}

/// Stops a producer.
pub fn remove_producer(producer_id: &str) -> Command {
    Command::RemoveProducer { producer_id: producer_id.to_string() }
}

/// Hard crash of a broker.
pub fn crash_broker(broker: u32) -> Command {
    Command::CrashBroker { broker }
}

/// Controlled shutdown of a broker.
pub fn shutdown_broker(broker: u32) -> Command {
    Command::ShutdownBroker { broker }
}

/// Restart of a stopped broker.
pub fn restart_broker(broker: u32) -> Command {
    Command::RestartBroker { broker }
}

/// `CreateGroup` subscribed to one topic, its consumers configured by `config`.
pub fn create_group(group_id: &str, topic: &str, config: GroupConfig) -> Command {
    Command::CreateGroup { group_id: group_id.to_string(), topics: vec![topic.to_string()], config }
}

/// `CreateShareGroup` (KIP-932) reading one topic with `settings`; its consumers are added with
/// [`add_consumer`].
pub fn create_share_group(group_id: &str, topic: &str, settings: ShareGroupSettings) -> Command {
    Command::CreateShareGroup { group_id: group_id.to_string(), topics: vec![topic.to_string()], config: settings }
}

/// Processing gets stuck (heartbeats go on): the member leaves after `max.poll.interval.ms`.
pub fn stall_consumer(client_id: &str) -> Command {
    Command::StallConsumer { client_id: client_id.to_string() }
}

/// Restarts a crashed / closed consumer, or resumes a stalled one.
pub fn restart_consumer(client_id: &str) -> Command {
    Command::RestartConsumer { client_id: client_id.to_string() }
}

/// `partition.assignment.strategy` for consumers started or restarted from now on.
pub fn set_group_protocol(group_id: &str, protocol: grouplab_engine::group::client::GroupProtocol) -> Command {
    Command::SetGroupProtocol { group_id: group_id.to_string(), protocol }
}

pub fn set_group_strategy(group_id: &str, strategies: &str) -> Command {
    Command::SetGroupStrategy { group_id: group_id.to_string(), strategies: split_strategies(strategies) }
}

/// `"range, cooperative-sticky"` → `["range", "cooperative-sticky"]`.
pub fn split_strategies(text: &str) -> Vec<String> {
    split_list(text)
}

/// A comma-separated list (`"key-1, key-2"`), blanks dropped.
pub fn split_list(text: &str) -> Vec<String> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}
