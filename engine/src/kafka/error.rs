//! Typed errors returned by [`crate::Sim::apply`] and [`crate::Sim::new`].
//!
//! Variants are named after Kafka's error codes (`org.apache.kafka.common.protocol.Errors`)
//! where one exists; messages follow Kafka's wording. A command that fails changes nothing.

use std::fmt;

/// Everything that can go wrong when applying user input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SimError {
    /// `INVALID_TOPIC_EXCEPTION`: the topic name breaks Kafka's rules (`Topic.validate`) or
    /// collides with an existing topic (`ReplicationControlManager.validateNewTopicNames`).
    InvalidTopic(String),
    /// `TOPIC_ALREADY_EXISTS`.
    TopicAlreadyExists(String),
    /// `UNKNOWN_TOPIC_OR_PARTITION`.
    UnknownTopicOrPartition(String),
    /// `INVALID_PARTITIONS`.
    InvalidPartitions(String),
    /// `INVALID_REPLICATION_FACTOR`.
    InvalidReplicationFactor(String),
    /// `INVALID_CONFIG`: a topic or simulation config value is out of range.
    InvalidConfig(String),
    /// `INVALID_REQUEST`: a request that makes no sense in the current state.
    InvalidRequest(String),
    /// `BROKER_NOT_AVAILABLE` / unknown broker id.
    BrokerNotAvailable(String),
    /// Unknown consumer client id, producer id or group.
    UnknownClient(String),
    /// Client/producer id already in use.
    DuplicateClient(String),
    /// A GroupLab size cap was exceeded (see the crate documentation for the caps).
    LimitExceeded(String),
    /// A produce request was rejected by the partition leader; `error` is Kafka's error name
    /// (`NOT_ENOUGH_REPLICAS`, `NOT_LEADER_OR_FOLLOWER`, `INVALID_RECORD`, ...).
    ProduceRejected { error: String, message: String },
    /// A group coordinator refused an Admin request (`alter_consumer_group_offsets`,
    /// `delete_consumer_group_offsets`); `error` is Kafka's error name (`UNKNOWN_MEMBER_ID`,
    /// `NON_EMPTY_GROUP`, `GROUP_ID_NOT_FOUND`, `COORDINATOR_NOT_AVAILABLE`, ...), `message`
    /// Kafka's message for it (`Errors.message()`).
    GroupRequestRejected { error: String, message: String },
    /// `at_ms` of a scheduled command lies in the past.
    TimeInPast { at_ms: u64, now_ms: u64 },
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::InvalidTopic(m) => write!(f, "InvalidTopicException: {m}"),
            SimError::TopicAlreadyExists(m) => write!(f, "TopicExistsException: {m}"),
            SimError::UnknownTopicOrPartition(m) => {
                write!(f, "UnknownTopicOrPartitionException: {m}")
            }
            SimError::InvalidPartitions(m) => write!(f, "InvalidPartitionsException: {m}"),
            SimError::InvalidReplicationFactor(m) => {
                write!(f, "InvalidReplicationFactorException: {m}")
            }
            SimError::InvalidConfig(m) => write!(f, "InvalidConfigurationException: {m}"),
            SimError::InvalidRequest(m) => write!(f, "InvalidRequestException: {m}"),
            SimError::BrokerNotAvailable(m) => write!(f, "BrokerNotAvailableException: {m}"),
            SimError::UnknownClient(m) => write!(f, "unknown client: {m}"),
            SimError::DuplicateClient(m) => write!(f, "duplicate client: {m}"),
            SimError::LimitExceeded(m) => write!(f, "GroupLab limit exceeded: {m}"),
            SimError::ProduceRejected { error, message } | SimError::GroupRequestRejected { error, message } => write!(f, "{error}: {message}"),
            SimError::TimeInPast { at_ms, now_ms } => {
                write!(f, "command scheduled at {at_ms} ms but the simulation is already at {now_ms} ms")
            }
        }
    }
}

impl std::error::Error for SimError {}
