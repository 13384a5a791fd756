//! Topic names and per-topic configuration.
//!
//! Name validation follows `org.apache.kafka.common.internals.Topic` exactly (including its
//! messages, prefixed `Topic name is invalid: `), and the collision check of the KRaft controller
//! (`ReplicationControlManager.validateNewTopicNames`). [`TopicConfig`] uses Kafka's topic config
//! names (`LogConfig` / `TopicConfig.java`) as serde names, with Kafka's defaults.

use serde::{Deserialize, Serialize};

use crate::kafka::error::SimError;

/// Name of the group-metadata topic (`Topic.GROUP_METADATA_TOPIC_NAME`).
pub const CONSUMER_OFFSETS: &str = "__consumer_offsets";

/// Name of the share coordinator's state topic (`Topic.SHARE_GROUP_STATE_TOPIC_NAME`).
pub const SHARE_GROUP_STATE: &str = "__share_group_state";

/// `share.coordinator.state.topic.num.partitions` (50).
pub const SHARE_GROUP_STATE_PARTITIONS: u32 = 50;

/// `share.coordinator.state.topic.replication.factor` (3).
pub const SHARE_GROUP_STATE_REPLICATION_FACTOR: u16 = 3;

/// `share.coordinator.state.topic.min.isr` (2).
pub const SHARE_GROUP_STATE_MIN_ISR: u16 = 2;

/// GroupLab's topic id of a topic: a deterministic stand-in for Kafka's random `Uuid`, printed
/// as `Uuid.toString()` does (the 16 bytes in URL-safe base64 without padding, 22 characters).
/// Derived from the name alone (FNV-1a, two seeds), so a replay gives the same ids.
pub fn topic_id(name: &str) -> String {
    let mut halves = [0u64; 2];
    for (i, h) in halves.iter_mut().enumerate() {
        let mut f = crate::kernel::Fnv::default();
        f.u64(i as u64 + 0x746f_7069_635f_6964);
        f.str(name);
        *h = f.finish();
    }
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&halves[0].to_be_bytes());
    bytes[8..].copy_from_slice(&halves[1].to_be_bytes());
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(22);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 6 {
            bits -= 6;
            out.push(ALPHABET[((acc >> bits) & 63) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((acc << (6 - bits)) & 63) as usize] as char);
    }
    out
}
/// Kafka's internal topics (`Topic.isInternal`): user topics may not use these names.
pub const INTERNAL_TOPICS: [&str; 3] = ["__consumer_offsets", "__transaction_state", "__share_group_state"];
/// `Topic.MAX_NAME_LENGTH`.
pub const MAX_NAME_LENGTH: usize = 249;

/// Reason a name is invalid, `None` when valid (`Topic.detectInvalidTopic`).
fn detect_invalid_topic(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("the empty string is not allowed".to_string());
    }
    if name == "." {
        return Some("'.' is not allowed".to_string());
    }
    if name == ".." {
        return Some("'..' is not allowed".to_string());
    }
    // Java's String.length() counts UTF-16 code units.
    if name.encode_utf16().count() > MAX_NAME_LENGTH {
        return Some(format!(
            "the length of '{name}' is longer than the max allowed length {MAX_NAME_LENGTH}"
        ));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-') {
        return Some(format!(
            "'{name}' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'"
        ));
    }
    None
}

/// `Topic.validate`: `Err(InvalidTopic("Topic name is invalid: ..."))` if the name is illegal.
pub fn validate_topic_name(name: &str) -> Result<(), SimError> {
    match detect_invalid_topic(name) {
        Some(reason) => Err(SimError::InvalidTopic(format!("Topic name is invalid: {reason}"))),
        None => Ok(()),
    }
}

/// `Topic.isInternal`.
pub fn is_internal(name: &str) -> bool {
    INTERNAL_TOPICS.contains(&name)
}

/// `Topic.hasCollisionChars`.
pub fn has_collision_chars(name: &str) -> bool {
    name.contains('.') || name.contains('_')
}

/// `Topic.unifyCollisionChars`: `.` becomes `_`.
pub fn unify_collision_chars(name: &str) -> String {
    name.replace('.', "_")
}

/// `Topic.hasCollision`.
pub fn has_collision(a: &str, b: &str) -> bool {
    unify_collision_chars(a) == unify_collision_chars(b)
}

/// `cleanup.policy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum CleanupPolicy {
    /// `delete` (Kafka's default): segments are deleted by retention.
    #[default]
    #[serde(rename = "delete")]
    Delete,
    /// `compact`: the log cleaner keeps the latest record per key.
    #[serde(rename = "compact")]
    Compact,
    /// `compact,delete`: both.
    #[serde(rename = "compact,delete")]
    CompactDelete,
}

impl CleanupPolicy {
    /// Whether the log cleaner compacts this topic.
    pub fn compacts(self) -> bool {
        matches!(self, CleanupPolicy::Compact | CleanupPolicy::CompactDelete)
    }
    /// Whether time/size retention deletes segments of this topic.
    pub fn deletes(self) -> bool {
        matches!(self, CleanupPolicy::Delete | CleanupPolicy::CompactDelete)
    }
}

/// Smallest `segment.bytes` Kafka 4.x accepts (KIP-1030: 1 MiB).
pub const MIN_SEGMENT_BYTES: u64 = 1_048_576;

/// Per-topic configuration, Kafka's names and defaults. Unknown names are refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TopicConfig {
    /// `min.insync.replicas` (default 1).
    #[serde(rename = "min.insync.replicas")]
    pub min_insync_replicas: u16,
    /// `retention.ms` (default 604800000 = 7 days; -1 = unlimited).
    #[serde(rename = "retention.ms")]
    pub retention_ms: i64,
    /// `retention.bytes` (default -1 = unlimited), using the simulated record size.
    #[serde(rename = "retention.bytes")]
    pub retention_bytes: i64,
    /// GroupLab extension (no Kafka equivalent): retention by record count (-1 = unlimited).
    /// Implemented as `retention.bytes = retention.records * record size`, so it deletes whole
    /// segments exactly like `retention.bytes`.
    #[serde(rename = "retention.records")]
    pub retention_records: i64,
    /// `segment.bytes` (default 1073741824), using the simulated record size.
    #[serde(rename = "segment.bytes")]
    pub segment_bytes: u64,
    /// `segment.ms` (default 604800000): the active segment rolls after this long.
    #[serde(rename = "segment.ms")]
    pub segment_ms: u64,
    /// `cleanup.policy` (default `delete`).
    #[serde(rename = "cleanup.policy")]
    pub cleanup_policy: CleanupPolicy,
    /// `unclean.leader.election.enable` (default false).
    #[serde(rename = "unclean.leader.election.enable")]
    pub unclean_leader_election_enable: bool,
}

impl Default for TopicConfig {
    fn default() -> Self {
        TopicConfig {
            min_insync_replicas: 1,
            retention_ms: 604_800_000,
            retention_bytes: -1,
            retention_records: -1,
            segment_bytes: 1_073_741_824,
            segment_ms: 604_800_000,
            cleanup_policy: CleanupPolicy::Delete,
            unclean_leader_election_enable: false,
        }
    }
}

impl TopicConfig {
    /// Range checks of Kafka's `LogConfig` (plus GroupLab's own for the extension).
    pub fn validate(&self, replication_factor: u16) -> Result<(), SimError> {
        if self.min_insync_replicas < 1 {
            return Err(SimError::InvalidConfig(format!(
                "Invalid value {} for configuration min.insync.replicas: Value must be at least 1",
                self.min_insync_replicas
            )));
        }
        let _ = replication_factor; // Kafka allows min.insync.replicas > RF (the effective value is capped at RF).
        if self.retention_ms < -1 {
            return Err(SimError::InvalidConfig(format!(
                "Invalid value {} for configuration retention.ms: Value must be at least -1",
                self.retention_ms
            )));
        }
        if self.retention_bytes < -1 || self.retention_records < -1 {
            return Err(SimError::InvalidConfig(
                "retention.bytes and retention.records must be at least -1".to_string(),
            ));
        }
        // LogConfig: segment.bytes at least 1 MiB since Kafka 4.0 (KIP-1030; it was 14, the legacy
        // record header); segment.ms at least 1.
        if self.segment_bytes < MIN_SEGMENT_BYTES {
            return Err(SimError::InvalidConfig(format!(
                "Invalid value {} for configuration segment.bytes: Value must be at least 1048576",
                self.segment_bytes
            )));
        }
        if self.segment_ms < 1 {
            return Err(SimError::InvalidConfig(format!(
                "Invalid value {} for configuration segment.ms: Value must be at least 1",
                self.segment_ms
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kafka_topic_test_cases() {
        let long_ok = "a".repeat(249);
        for ok in ["valid", "TOPIC", "nAmEs", "ar6", "VaL1d", "_0-9_.", "...", &long_ok] {
            assert!(validate_topic_name(ok).is_ok(), "{ok} should be valid");
        }
        let too_long = "a".repeat(250);
        for bad in ["", "foo:bar", "foo=bar", ".", "..", &too_long, "a b", "a/b", "ä", "a\tb"] {
            assert!(validate_topic_name(bad).is_err(), "{bad:?} should be invalid");
        }
    }

    #[test]
    fn kafka_messages() {
        assert_eq!(
            validate_topic_name("").unwrap_err().to_string(),
            "InvalidTopicException: Topic name is invalid: the empty string is not allowed"
        );
        assert_eq!(
            validate_topic_name("..").unwrap_err(),
            SimError::InvalidTopic("Topic name is invalid: '..' is not allowed".into())
        );
        assert_eq!(
            validate_topic_name("a b").unwrap_err(),
            SimError::InvalidTopic(
                "Topic name is invalid: 'a b' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'".into()
            )
        );
        let e = validate_topic_name(&"x".repeat(250)).unwrap_err().to_string();
        assert!(e.ends_with("is longer than the max allowed length 249"), "{e}");
    }

    #[test]
    fn collisions() {
        assert!(has_collision("a.b", "a_b"));
        assert!(has_collision("a_b", "a_b"));
        assert!(!has_collision("a.b", "a-b"));
        assert!(has_collision_chars("a.b") && has_collision_chars("a_b") && !has_collision_chars("ab"));
        assert!(is_internal("__consumer_offsets") && !is_internal("orders"));
    }

    #[test]
    fn config_serde_uses_kafka_names() {
        let c: TopicConfig = serde_json::from_str(
            r#"{"min.insync.replicas":2,"cleanup.policy":"compact","retention.ms":-1}"#,
        )
        .unwrap();
        assert_eq!(c.min_insync_replicas, 2);
        assert_eq!(c.cleanup_policy, CleanupPolicy::Compact);
        assert_eq!(c.retention_ms, -1);
        assert_eq!(c.segment_ms, 604_800_000);
        assert!(TopicConfig { min_insync_replicas: 0, ..Default::default() }.validate(3).is_err());
    }
}
