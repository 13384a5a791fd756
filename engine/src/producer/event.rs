//! What producers report.

use std::fmt;

use serde::Serialize;

/// Something that happened to a producer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ProducerEvent {
    /// Records failed for good (`error` = Kafka error name, `message` = the exception's text):
    /// not retriable, retries exhausted or `delivery.timeout.ms` passed. Reported when a
    /// partition's outcome changes.
    ProduceFailed { producer: String, topic: String, partition: u32, count: u64, error: String, message: String },
    /// A batch failed with a retriable error and will be re-sent after `backoff_ms`
    /// (`Sender.completeBatch`: "Got error produce response ..., retrying (N attempts left)").
    /// Reported when a partition's outcome changes.
    ProduceRetrying { producer: String, topic: String, partition: u32, count: u64, error: String, attempts_left: u32, backoff_ms: u64 },
}

impl fmt::Display for ProducerEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProducerEvent::ProduceFailed { producer, topic, partition, count, error, .. } => write!(
                f,
                "PRODUCE-FAILED {producer} p={topic}-{partition} n={count} {error}"
            ),
            ProducerEvent::ProduceRetrying { producer, topic, partition, count, error, attempts_left, backoff_ms } => write!(
                f,
                "PRODUCE-RETRY {producer} p={topic}-{partition} n={count} {error} backoff={backoff_ms}ms attempts-left={attempts_left}"
            ),
        }
    }
}
