//! The settings of a share group as a scenario gives them (`create_share_group`'s `config`):
//! Kafka's group-level share configs (`GroupConfig`), the share consumer's own
//! (`share.acknowledgement.mode`, `max.poll.records`), and GroupLab's teaching extensions
//! (`processing_time_ms`, `failing_keys`, `on_failure`).

use serde::{Deserialize, Serialize};

use crate::kafka::error::SimError;

/// `share.auto.offset.reset`: where a share group with no state starts reading a partition.
/// Written as Kafka writes it: `latest`, `earliest` or `by_duration:<ISO-8601>` (read as one
/// string, checked by [`ShareGroupSettings::validate`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum ShareOffsetReset {
    /// The high watermark (the default): only records produced from now on.
    Latest,
    /// The log start.
    Earliest,
    /// `by_duration:<ISO-8601 duration>`, e.g. `by_duration:PT10S`: the first record at most
    /// that old (or any other text, which `validate` refuses).
    ByDuration(String),
}

impl From<String> for ShareOffsetReset {
    fn from(s: String) -> Self {
        match s.as_str() {
            "latest" => ShareOffsetReset::Latest,
            "earliest" => ShareOffsetReset::Earliest,
            _ => ShareOffsetReset::ByDuration(s),
        }
    }
}

impl From<ShareOffsetReset> for String {
    fn from(r: ShareOffsetReset) -> String {
        match r {
            ShareOffsetReset::Latest => "latest".into(),
            ShareOffsetReset::Earliest => "earliest".into(),
            ShareOffsetReset::ByDuration(s) => s,
        }
    }
}

/// `share.acknowledgement.mode` (4.1+).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AcknowledgementMode {
    /// Every record the previous `poll` returned is accepted by the next `poll` (the default).
    #[default]
    Implicit,
    /// The application acknowledges each record (`acknowledge(record, type)`).
    Explicit,
}

/// What the application does with a record whose processing fails (GroupLab's `failing_keys`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum OnFailure {
    /// `acknowledge(record, RELEASE)`: delivered again (until `share.delivery.count.limit`).
    #[default]
    Release,
    /// `acknowledge(record, REJECT)`: archived at once, never delivered again.
    Reject,
}

/// The broker's `group.share.*` values a group's settings default to.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ShareBrokerDefaults {
    /// `group.share.record.lock.duration.ms`.
    pub record_lock_duration_ms: u64,
    /// `group.share.delivery.count.limit`.
    pub delivery_count_limit: u16,
    /// `group.share.session.timeout.ms`.
    pub session_timeout_ms: u64,
    /// `group.share.heartbeat.interval.ms`.
    pub heartbeat_interval_ms: u64,
}

/// A share group's settings (Kafka names; GroupLab extensions marked).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ShareGroupSettings {
    /// `share.auto.offset.reset` (`latest`).
    #[serde(rename = "share.auto.offset.reset")]
    pub auto_offset_reset: ShareOffsetReset,
    /// `share.record.lock.duration.ms`: how long an acquired record stays locked to its
    /// consumer; absent: the broker's `group.share.record.lock.duration.ms` (30000).
    #[serde(rename = "share.record.lock.duration.ms", skip_serializing_if = "Option::is_none")]
    pub record_lock_duration_ms: Option<u64>,
    /// `share.delivery.count.limit`: deliveries after which a record is archived; absent: the
    /// broker's `group.share.delivery.count.limit` (5).
    #[serde(rename = "share.delivery.count.limit", skip_serializing_if = "Option::is_none")]
    pub delivery_count_limit: Option<u16>,
    /// `share.isolation.level` (`read_uncommitted`); GroupLab writes no transactions, so both
    /// read the same records.
    #[serde(rename = "share.isolation.level")]
    pub isolation_level: String,
    /// `share.session.timeout.ms`; absent: the broker's `group.share.session.timeout.ms`
    /// (45000).
    #[serde(rename = "share.session.timeout.ms", skip_serializing_if = "Option::is_none")]
    pub session_timeout_ms: Option<u64>,
    /// `share.heartbeat.interval.ms`; absent: the broker's `group.share.heartbeat.interval.ms`
    /// (5000).
    #[serde(rename = "share.heartbeat.interval.ms", skip_serializing_if = "Option::is_none")]
    pub heartbeat_interval_ms: Option<u64>,
    /// The consumers' `share.acknowledgement.mode` (`implicit`).
    #[serde(rename = "share.acknowledgement.mode")]
    pub acknowledgement_mode: AcknowledgementMode,
    /// The consumers' `max.poll.records` (500): records a share fetch acquires at most.
    #[serde(rename = "max.poll.records")]
    pub max_poll_records: u32,
    /// The consumers' `max.poll.interval.ms` (300000): a consumer whose application does not
    /// poll again within it leaves the group (its records are released) until it polls.
    #[serde(rename = "max.poll.interval.ms")]
    pub max_poll_interval_ms: u64,
    /// GroupLab: application time per record (1 ms).
    pub processing_time_ms: u64,
    /// GroupLab: one-way client↔broker latency (5 ms).
    pub network_latency_ms: u64,
    /// GroupLab: records with these keys fail processing (a poison record). Needs
    /// `share.acknowledgement.mode=explicit`, as in Kafka only explicit acknowledgement can
    /// release or reject one record.
    pub failing_keys: Vec<String>,
    /// GroupLab: what the application does with a failed record (`release`).
    pub on_failure: OnFailure,
}

impl Default for ShareGroupSettings {
    fn default() -> Self {
        ShareGroupSettings {
            auto_offset_reset: ShareOffsetReset::Latest,
            record_lock_duration_ms: None,
            delivery_count_limit: None,
            isolation_level: "read_uncommitted".into(),
            session_timeout_ms: None,
            heartbeat_interval_ms: None,
            acknowledgement_mode: AcknowledgementMode::Implicit,
            max_poll_records: 500,
            max_poll_interval_ms: 300_000,
            processing_time_ms: 1,
            network_latency_ms: 5,
            failing_keys: Vec::new(),
            on_failure: OnFailure::Release,
        }
    }
}

impl ShareGroupSettings {
    /// Kafka's checks of the group configs (`GroupConfig`, `ShareGroupConfig` bounds), with
    /// its messages, and GroupLab's bounds on its extensions.
    pub fn validate(&self) -> Result<(), SimError> {
        let bad = |m: String| Err(SimError::InvalidConfig(m));
        if let Some(lock) = self.record_lock_duration_ms.filter(|l| !(15_000..=60_000).contains(l)) {
            return bad(format!(
                "share.record.lock.duration.ms must be greater than or equal to group.share.min.record.lock.duration.ms (15000) and less than or equal to group.share.max.record.lock.duration.ms (60000), got {lock}"
            ));
        }
        if let Some(limit) = self.delivery_count_limit.filter(|l| !(2..=10).contains(l)) {
            return bad(format!("share.delivery.count.limit must be within [2, 10], got {limit}"));
        }
        if let Some(session) = self.session_timeout_ms.filter(|s| !(45_000..=60_000).contains(s)) {
            return bad(format!(
                "share.session.timeout.ms must be greater than or equal to group.share.min.session.timeout.ms (45000) and less than or equal to group.share.max.session.timeout.ms (60000), got {session}"
            ));
        }
        if let Some(heartbeat) = self.heartbeat_interval_ms.filter(|h| !(5_000..=15_000).contains(h) || *h >= self.session_timeout_ms.unwrap_or(45_000)) {
            return bad(format!(
                "share.heartbeat.interval.ms must be within group.share.min.heartbeat.interval.ms (5000) and group.share.max.heartbeat.interval.ms (15000) and less than share.session.timeout.ms, got {heartbeat}"
            ));
        }
        if !["read_committed", "read_uncommitted"].contains(&self.isolation_level.as_str()) {
            return bad(format!(
                "Invalid value {} for configuration share.isolation.level: String must be one of: read_committed, read_uncommitted",
                self.isolation_level
            ));
        }
        if let ShareOffsetReset::ByDuration(d) = &self.auto_offset_reset {
            if self.by_duration_ms().is_none() {
                return bad(format!("Invalid value {d} for configuration share.auto.offset.reset: must be latest, earliest or by_duration:<ISO-8601 duration>"));
            }
        }
        if self.max_poll_records == 0 || self.max_poll_records > 100_000 {
            return bad(format!("max.poll.records must be within [1, 100000], got {}", self.max_poll_records));
        }
        // An INT config at least 1 (`ConsumerConfig`).
        if self.max_poll_interval_ms == 0 {
            return bad("Invalid value 0 for configuration max.poll.interval.ms: Value must be at least 1".into());
        }
        if self.max_poll_interval_ms > i32::MAX as u64 {
            return bad(format!("Invalid value {} for configuration max.poll.interval.ms: Not a number of type INT", self.max_poll_interval_ms));
        }
        if self.processing_time_ms > 3_600_000 || self.network_latency_ms > 60_000 {
            return bad("processing_time_ms must be ≤ 3600000 and network_latency_ms ≤ 60000".into());
        }
        if self.failing_keys.len() > 1_000 {
            return bad("failing_keys: at most 1000 keys".into());
        }
        if !self.failing_keys.is_empty() && self.acknowledgement_mode == AcknowledgementMode::Implicit {
            return bad("failing_keys needs share.acknowledgement.mode=explicit: in implicit mode every delivered record is accepted by the next poll".into());
        }
        Ok(())
    }

    /// These settings with the broker's defaults filled in for what the group does not set.
    pub fn resolved(mut self, broker: &ShareBrokerDefaults) -> ShareGroupSettings {
        self.record_lock_duration_ms.get_or_insert(broker.record_lock_duration_ms);
        self.delivery_count_limit.get_or_insert(broker.delivery_count_limit);
        self.session_timeout_ms.get_or_insert(broker.session_timeout_ms);
        self.heartbeat_interval_ms.get_or_insert(broker.heartbeat_interval_ms);
        self
    }

    /// The duration of `by_duration:<ISO-8601>` in ms (`PnDTnHnMn.nS`; weeks and years are
    /// not accepted, as `java.time.Duration.parse`).
    pub fn by_duration_ms(&self) -> Option<u64> {
        let ShareOffsetReset::ByDuration(d) = &self.auto_offset_reset else { return None };
        parse_duration_ms(d.strip_prefix("by_duration:")?)
    }
}

/// A non-negative `java.time.Duration` in ms.
fn parse_duration_ms(s: &str) -> Option<u64> {
    crate::kafka::duration::parse_duration(s).and_then(|ms| u64::try_from(ms).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_as_java_does() {
        assert_eq!(parse_duration_ms("PT10S"), Some(10_000));
        assert_eq!(parse_duration_ms("PT1H30M"), Some(5_400_000));
        assert_eq!(parse_duration_ms("P1DT0.5S"), Some(86_400_500));
        assert_eq!(parse_duration_ms("P2D"), Some(172_800_000));
        for bad in ["", "P", "PT", "10S", "-PT1S", "P1W", "PTxS"] {
            assert_eq!(parse_duration_ms(bad), None, "{bad}");
        }
    }

    #[test]
    fn settings_are_checked_with_kafkas_bounds() {
        assert!(ShareGroupSettings::default().validate().is_ok());
        let s = ShareGroupSettings { record_lock_duration_ms: Some(1_000), ..ShareGroupSettings::default() };
        assert!(s.validate().unwrap_err().to_string().contains("share.record.lock.duration.ms"));
        let s = ShareGroupSettings { failing_keys: vec!["k".into()], ..ShareGroupSettings::default() };
        assert!(s.validate().unwrap_err().to_string().contains("explicit"));
        let s: ShareGroupSettings = serde_json::from_str(r#"{"share.auto.offset.reset": "by_duration:PT5S"}"#).unwrap();
        assert_eq!(s.by_duration_ms(), Some(5_000));
        assert!(serde_json::from_str::<ShareGroupSettings>(r#"{"share.lock": 1}"#).unwrap_err().to_string().contains("share.lock"));
    }
}
