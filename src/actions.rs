//! Builders for the engine commands the UI sends (one place that knows their shapes).

use grouplab_engine::Command;
use serde_json::json;

fn command(value: serde_json::Value) -> Command {
    serde_json::from_value(value).expect("the UI builds well-formed commands")
}

pub fn add_consumer(group_id: &str) -> Command {
    command(json!({ "type": "add_consumer", "group_id": group_id }))
}

pub fn crash_consumer(client_id: &str) -> Command {
    command(json!({ "type": "crash_consumer", "client_id": client_id }))
}

pub fn produce(topic: &str, count: u32) -> Command {
    command(json!({ "type": "produce", "topic": topic, "count": count, "key": null }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_builder_makes_a_command() {
        // `command` panics on a shape the engine does not accept: build each once.
        super::add_consumer("g");
        super::crash_consumer("c");
        super::produce("t", 1);
    }
}
