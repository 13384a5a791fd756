//! The settings of a consumer group as a scenario gives them (`create_group`'s `config`, Kafka
//! names), turned into the client and coordinator configs of the group machines.

use serde::{Deserialize, Serialize};

use super::client::{AutoOffsetReset, CommitMode, ConsumerConfig, GroupProtocol};
use super::coordinator::CoordinatorConfig;
use super::GroupError;
use crate::kafka::error::SimError;

/// Assignor names a consumer may list in `partition.assignment.strategy`.
pub const CLIENT_STRATEGIES: [&str; 4] = ["range", "roundrobin", "sticky", "cooperative-sticky"];

/// Group-wide settings for the consumers GroupLab starts in a group (Kafka names).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GroupConfig {
    /// `partition.assignment.strategy` (default `[range, cooperative-sticky]`).
    #[serde(rename = "partition.assignment.strategy")]
    pub assignment_strategies: Vec<String>,
    /// `session.timeout.ms` (45000).
    #[serde(rename = "session.timeout.ms")]
    pub session_timeout_ms: u64,
    /// `heartbeat.interval.ms` (3000).
    #[serde(rename = "heartbeat.interval.ms")]
    pub heartbeat_interval_ms: u64,
    /// `max.poll.interval.ms` (300000).
    #[serde(rename = "max.poll.interval.ms")]
    pub max_poll_interval_ms: u64,
    /// `max.poll.records` (500).
    #[serde(rename = "max.poll.records")]
    pub max_poll_records: u32,
    /// `auto` (`enable.auto.commit=true`), `manual_after` or `manual_before`.
    pub commit_mode: CommitMode,
    /// `auto.commit.interval.ms` (5000).
    #[serde(rename = "auto.commit.interval.ms")]
    pub auto_commit_interval_ms: u64,
    /// `auto.offset.reset` (`latest`).
    #[serde(rename = "auto.offset.reset")]
    pub auto_offset_reset: AutoOffsetReset,
    /// Application time per record (default 1 ms).
    pub processing_time_ms: u64,
    /// One-way client↔broker latency (default 5 ms).
    pub network_latency_ms: u64,
    /// `group.initial.rebalance.delay.ms` (3000).
    #[serde(rename = "group.initial.rebalance.delay.ms")]
    pub initial_rebalance_delay_ms: u64,
    /// Worker threads per consumer (1: thread per consumer; N > 1: one consumer feeding a pool
    /// of N workers, see [`ConsumerConfig::worker_threads`]).
    pub worker_threads: u32,
    /// `group.instance.id` of the consumers started in the group (KIP-345 static membership):
    /// `"auto"` gives each consumer its `client.id`; any other value is used as is (so two
    /// consumers would share it, and the later one fences the earlier); absent: dynamic members.
    #[serde(rename = "group.instance.id")]
    pub group_instance_id: Option<String>,
    /// `metadata.max.age.ms` (300000): how often consumers refresh metadata; a group's leader
    /// notices new partitions of its topics only then (or at the next rebalance).
    #[serde(rename = "metadata.max.age.ms")]
    pub metadata_max_age_ms: u64,
    /// `group.protocol` (`classic`, the default in every 4.x; or `consumer`, KIP-848).
    #[serde(rename = "group.protocol")]
    pub group_protocol: GroupProtocol,
    /// `group.remote.assignor`: the server assignor consumer-protocol members ask for (`uniform`
    /// or `range`; absent: the broker's first `group.consumer.assignors`).
    #[serde(rename = "group.remote.assignor")]
    pub group_remote_assignor: Option<String>,
}

impl Default for GroupConfig {
    fn default() -> Self {
        let c = ConsumerConfig::new("x", "x", &["x"]);
        GroupConfig {
            assignment_strategies: c.assignment_strategies,
            session_timeout_ms: c.session_timeout_ms,
            heartbeat_interval_ms: c.heartbeat_interval_ms,
            max_poll_interval_ms: c.max_poll_interval_ms,
            max_poll_records: c.max_poll_records,
            commit_mode: c.commit_mode,
            auto_commit_interval_ms: c.auto_commit_interval_ms,
            auto_offset_reset: c.auto_offset_reset,
            processing_time_ms: c.processing_time_ms,
            network_latency_ms: c.network_latency_ms,
            initial_rebalance_delay_ms: CoordinatorConfig::default().initial_rebalance_delay_ms,
            worker_threads: c.worker_threads,
            group_instance_id: None,
            metadata_max_age_ms: c.metadata_max_age_ms,
            group_protocol: GroupProtocol::Classic,
            group_remote_assignor: None,
        }
    }
}

impl GroupConfig {
    /// The client config of one consumer `client_id` of the group.
    pub fn consumer_config(&self, client_id: &str, group_id: &str, topics: &[String]) -> ConsumerConfig {
        let mut c = ConsumerConfig::new(client_id, group_id, &[]);
        c.topics = topics.to_vec();
        c.assignment_strategies = self.assignment_strategies.clone();
        c.session_timeout_ms = self.session_timeout_ms;
        c.heartbeat_interval_ms = self.heartbeat_interval_ms;
        c.max_poll_interval_ms = self.max_poll_interval_ms;
        c.max_poll_records = self.max_poll_records;
        c.commit_mode = self.commit_mode;
        c.auto_commit_interval_ms = self.auto_commit_interval_ms;
        c.auto_offset_reset = self.auto_offset_reset;
        c.processing_time_ms = self.processing_time_ms;
        c.network_latency_ms = self.network_latency_ms;
        c.worker_threads = self.worker_threads;
        c.metadata_max_age_ms = self.metadata_max_age_ms;
        c.group_protocol = self.group_protocol;
        c.group_remote_assignor = self.group_remote_assignor.clone();
        c.group_instance_id = match self.group_instance_id.as_deref() {
            Some("auto") => Some(client_id.to_string()),
            other => other.map(str::to_string),
        };
        c
    }

    /// The coordinator settings the group asks for.
    pub fn coordinator_config(&self) -> CoordinatorConfig {
        CoordinatorConfig {
            initial_rebalance_delay_ms: self.initial_rebalance_delay_ms,
            network_latency_ms: self.network_latency_ms,
            ..CoordinatorConfig::default()
        }
    }

    /// Checks every setting (Kafka's messages).
    pub fn validate(&self) -> Result<(), SimError> {
        validate_strategies(&self.assignment_strategies)?;
        self.validate_protocol_configs()?;
        if self.processing_time_ms > 3_600_000 || self.network_latency_ms > 60_000 {
            return Err(SimError::InvalidConfig(
                "processing_time_ms must be ≤ 3600000 and network_latency_ms ≤ 60000".into(),
            ));
        }
        if self.initial_rebalance_delay_ms > 3_600_000 {
            return Err(SimError::InvalidConfig("group.initial.rebalance.delay.ms must be ≤ 3600000".into()));
        }
        let cc = CoordinatorConfig::default();
        if self.session_timeout_ms < cc.min_session_timeout_ms || self.session_timeout_ms > cc.max_session_timeout_ms {
            return Err(SimError::InvalidConfig(format!(
                "session.timeout.ms ({}) must be within group.min.session.timeout.ms ({}) and group.max.session.timeout.ms ({}) (INVALID_SESSION_TIMEOUT)",
                self.session_timeout_ms, cc.min_session_timeout_ms, cc.max_session_timeout_ms
            )));
        }
        self.consumer_config("c", "g", &["t".to_string()]).validate().map_err(group_err)
    }
}

impl GroupConfig {
    /// This config for consumers speaking `protocol`: switching to `consumer` drops the
    /// classic-only settings (the broker decides them under KIP-848, and the client refuses
    /// them), switching to `classic` drops `group.remote.assignor`.
    pub fn with_protocol(mut self, protocol: GroupProtocol) -> GroupConfig {
        let d = GroupConfig::default();
        self.group_protocol = protocol;
        match protocol {
            GroupProtocol::Consumer => {
                self.assignment_strategies = d.assignment_strategies;
                self.session_timeout_ms = d.session_timeout_ms;
                self.heartbeat_interval_ms = d.heartbeat_interval_ms;
            }
            GroupProtocol::Classic => self.group_remote_assignor = None,
        }
        self
    }

    /// `ConsumerConfig.checkUnsupportedConfigsPostProcess`: with `group.protocol=consumer` the
    /// classic membership settings cannot be set, with `classic` the remote assignor cannot.
    /// Kafka looks at the settings the user gave; a scenario's group config is read with
    /// defaults, so GroupLab refuses the ones that differ from the default.
    fn validate_protocol_configs(&self) -> Result<(), SimError> {
        let defaults = GroupConfig::default();
        let set: Vec<&str> = match self.group_protocol {
            GroupProtocol::Consumer => [
                ("partition.assignment.strategy", self.assignment_strategies != defaults.assignment_strategies),
                ("heartbeat.interval.ms", self.heartbeat_interval_ms != defaults.heartbeat_interval_ms),
                ("session.timeout.ms", self.session_timeout_ms != defaults.session_timeout_ms),
            ]
            .into_iter()
            .filter_map(|(name, given)| given.then_some(name))
            .collect(),
            GroupProtocol::Classic => self.group_remote_assignor.is_some().then_some("group.remote.assignor").into_iter().collect(),
        };
        if !set.is_empty() {
            let protocol = self.group_protocol.name().to_ascii_uppercase();
            return Err(SimError::InvalidConfig(format!("{} cannot be set when group.protocol={protocol}", set.join(", "))));
        }
        if let Some(a) = &self.group_remote_assignor {
            if !matches!(a.as_str(), "uniform" | "range") {
                return Err(SimError::InvalidConfig(format!("group.remote.assignor '{a}' is not one of the broker's group.consumer.assignors (uniform, range)")));
            }
        }
        Ok(())
    }
}

/// Checks a `partition.assignment.strategy` list.
pub fn validate_strategies(s: &[String]) -> Result<(), SimError> {
    if s.is_empty() {
        return Err(SimError::InvalidConfig("partition.assignment.strategy must not be empty".into()));
    }
    for name in s {
        if !CLIENT_STRATEGIES.contains(&name.as_str()) {
            return Err(SimError::InvalidConfig(format!(
                "unknown partition.assignment.strategy '{name}' (known: {})",
                CLIENT_STRATEGIES.join(", ")
            )));
        }
    }
    Ok(())
}

/// A group machine's input error as the engine's error.
pub fn group_err(e: GroupError) -> SimError {
    match e {
        GroupError::InvalidConfig(s) => SimError::InvalidConfig(s),
        GroupError::UnknownClient(s) => SimError::UnknownClient(format!("no consumer '{s}'")),
        GroupError::DuplicateClient(s) => SimError::DuplicateClient(format!("consumer '{s}' already exists")),
        other => SimError::InvalidRequest(other.to_string()),
    }
}
