//! Builders for the engine commands the UI sends (one place that knows their shapes).

use grouplab_engine::Command;

pub fn add_consumer(group_id: &str) -> Command {
    Command::AddConsumer { group_id: group_id.to_string(), client_id: None, topics: Vec::new() }
}

pub fn crash_consumer(client_id: &str) -> Command {
    Command::CrashConsumer { client_id: client_id.to_string() }
}

pub fn produce(topic: &str, count: u32) -> Command {
    Command::Produce { topic: topic.to_string(), count, key: None, acks: Default::default() }
}
