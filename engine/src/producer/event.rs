//! What producers report.

use std::fmt;

use serde::Serialize;

/// Something that happened to a producer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ProducerEvent {    /// A produce request failed (`error` = Kafka error name).
    ProduceFailed { producer: String, topic: String, partition: u32, count: u64, error: String },
}

impl fmt::Display for ProducerEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProducerEvent::ProduceFailed { producer, topic, partition, count, error, .. } => write!(
                f,
                "PRODUCE-FAILED {producer} p={topic}-{partition} n={count} {error}"
            ),
        }
    }
}
