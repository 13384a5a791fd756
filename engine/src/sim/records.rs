//! Reading records back for display: the partition ruler colours each record by its key or its
//! producer. This is a read-only query on the leader's log (the last leader's when the partition
//! is offline), outside the simulation: it changes nothing and emits no event.

use super::Sim;
use crate::cluster::log::NO_KEY;
use crate::group::protocol::producer_record_id;
use serde::Serialize;

/// Most records one [`Sim::records`] call returns.
pub const MAX_RECORDS_PER_QUERY: usize = 4_096;

/// One retained record as the ruler shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecordView {
    /// Offset in the partition.
    pub offset: u64,
    /// Interned key id, `None` for a null key.
    pub key: Option<u32>,
    /// Producer index (order in which producers first wrote).
    pub producer: u32,
    /// The producer's sequence number of this record (with `producer`, its identity).
    pub sequence: u32,
}

impl Sim {
    /// Up to `max` (≤ [`MAX_RECORDS_PER_QUERY`]) records of `topic`-`partition` with offsets in
    /// `from..until`, as retained by the leader: all of them when they fit, otherwise an even
    /// sample across the range (offsets ascending). Gaps left by compaction or retention are
    /// simply absent. Unknown topic or partition: empty.
    pub fn records(&self, topic: &str, partition: u32, from: u64, until: u64, max: usize) -> Vec<RecordView> {
        let max = max.min(MAX_RECORDS_PER_QUERY);
        let Some(log) = self
            .cluster
            .topic(topic)
            .and_then(|t| t.partitions.get(partition as usize))
            .and_then(|p| p.leader_log())
        else {
            return Vec::new();
        };
        let all = log.slice(from, until, usize::MAX);
        if max == 0 || all.is_empty() {
            return Vec::new();
        }
        // All of them, or an even sample: the i-th of `max` is the record at i·len/max
        // (strictly increasing).
        let n = all.len().min(max);
        let mut picked = Vec::with_capacity(n);
        for i in 0..n {
            if let Some(r) = all.get(i * all.len() / n) {
                picked.push(RecordView { offset: r.offset, key: (r.key != NO_KEY).then_some(r.key), producer: r.producer_id, sequence: r.sequence });
            }
        }
        picked
    }

    /// How many times `group_id` processed `record` (0 when never, or for an unknown group).
    pub fn times_processed(&self, group_id: &str, record: &RecordView) -> u32 {
        self.groups.ledger().times_processed(group_id, producer_record_id(record.producer, record.sequence))
    }

    /// `(log start offset, high watermark, log end offset)` of `topic`-`partition` as its
    /// leader (or last leader) has them; `None` for an unknown partition. Cheap: for callers
    /// that need a few offsets without building a whole [`crate::View`].
    pub fn partition_offsets(&self, topic: &str, partition: u32) -> Option<(u64, u64, u64)> {
        let p = self.cluster.topic(topic)?.partitions.get(partition as usize)?;
        Some(p.leader_log().map_or((0, 0, 0), |l| (l.log_start_offset(), l.high_watermark(), l.log_end_offset())))
    }

    /// Group-protocol messages of `group_id` (every group when `None`) delivered in
    /// `[from_ms, until_ms]`, oldest first: what a sequence diagram of a rebalance draws. The
    /// layer remembers the last [`crate::sim::group_layer::MESSAGE_HISTORY`] deliveries; a seek rebuilds them
    /// exactly, so seek to the moment to see its exchange.
    pub fn message_history(&self, group_id: Option<&str>, from_ms: u64, until_ms: u64) -> Vec<crate::MessageView> {
        self.groups.message_history(group_id, from_ms, until_ms)
    }

    /// The consumer groups part of [`Sim::view`] alone (cheaper when only groups are needed).
    pub fn group_views(&self) -> Vec<crate::GroupView> {
        self.groups.views(&self.cluster, self.ctx.now_ms)
    }

    /// Records retained by every replica of every partition (internal topics included): the
    /// bulk of this state's memory, and of the cost of cloning it.
    pub fn retained_records(&self) -> u64 {
        self.cluster.topics.iter().flat_map(|t| &t.partitions).flat_map(|p| &p.logs).map(|l| l.len()).sum()
    }

    /// Replicas of every partition (internal topics included).
    pub fn replica_count(&self) -> u64 {
        self.cluster.topics.iter().flat_map(|t| &t.partitions).map(|p| p.logs.len() as u64).sum()
    }

    /// The string of an interned record key (for tooltips).
    pub fn key_name(&self, key: u32) -> Option<&str> {
        self.cluster.key_str(key)
    }

    /// The name of a producer index (for tooltips).
    pub fn producer_name(&self, producer: u32) -> Option<&str> {
        self.cluster.producers.get(producer as usize).map(|p| p.name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use crate::api::command::{Acks, Command, KeySpec};
    use crate::kafka::topic::TopicConfig;
    use crate::{Sim, SimConfig};

    fn sim_with(records: u32, keys: KeySpec) -> Sim {
        let mut sim = Sim::new(SimConfig { seed: 7, brokers: 1, offsets_topic_replication_factor: 1, ..SimConfig::default() }).unwrap();
        sim.apply(Command::CreateTopic { name: "t".into(), partitions: 1, replication_factor: 1, config: TopicConfig::default() }).unwrap();
        sim.apply(Command::AddProducer { producer_id: None, topic: "t".into(), rate_per_sec: records, keys, acks: Acks::All, config: Default::default() }).unwrap();
        sim.advance_to(1_000);
        sim
    }

    #[test]
    fn all_records_come_back_in_offset_order_with_their_keys() {
        let sim = sim_with(100, KeySpec::Fixed(vec!["k".into()]));
        let leo = sim.view().topics.iter().find(|t| t.name == "t").unwrap().partitions[0].log_end_offset;
        assert!(leo > 10, "the producer wrote ({leo})");
        let recs = sim.records("t", 0, 0, leo, 10_000);
        assert_eq!(recs.len() as u64, leo);
        assert!(recs.iter().enumerate().all(|(i, r)| r.offset == i as u64));
        let key = recs[0].key.expect("keyed records");
        assert!(recs.iter().all(|r| r.key == Some(key)));
        assert_eq!(sim.key_name(key), Some("k"));
        assert!(sim.producer_name(recs[0].producer).is_some());
        assert_eq!(sim.partition_offsets("t", 0), Some((0, leo, leo)));
        assert_eq!(sim.replica_count(), 1 + 50, "one replica of t-0 and of each __consumer_offsets partition");
        assert!(sim.retained_records() >= leo, "one replica holds the {leo} records (plus __consumer_offsets)");
        assert_eq!(sim.partition_offsets("t", 1), None);
        assert_eq!(sim.group_views(), sim.view().groups);
    }

    #[test]
    fn a_large_range_is_sampled_evenly_and_bounded() {
        let sim = sim_with(2_000, KeySpec::None);
        let leo = sim.view().topics.iter().find(|t| t.name == "t").unwrap().partitions[0].log_end_offset;
        let recs = sim.records("t", 0, 0, leo, 50);
        assert_eq!(recs.len(), 50);
        assert!(recs.windows(2).all(|w| w[0].offset < w[1].offset));
        assert_eq!(recs[0].offset, 0);
        assert!(recs[49].offset >= leo - leo / 50 - 1, "the sample reaches the end of the range");
        assert!(recs.iter().all(|r| r.key.is_none()), "null keys");
        assert_eq!(sim.records("t", 0, 0, leo, 1_000_000).len(), (leo as usize).min(super::MAX_RECORDS_PER_QUERY));
    }

    #[test]
    fn records_processed_twice_after_a_crash_are_found_record_by_record() {
        let mut sim = sim_with(20, KeySpec::None);
        sim.apply(Command::CreateGroup { group_id: "g".into(), topics: vec!["t".into()], config: Default::default() }).unwrap();
        sim.apply(Command::AddConsumer { group_id: "g".into(), client_id: Some("a".into()), topics: vec![], group_instance_id: None }).unwrap();
        sim.apply(Command::AddConsumer { group_id: "g".into(), client_id: Some("b".into()), topics: vec![], group_instance_id: None }).unwrap();
        sim.advance_to(17_500);
        // Whoever owns t-0 dies between two auto-commits; the other takes over after the session timeout.
        let owner = sim.view().groups[0].members.iter().find(|m| !m.assigned.is_empty()).unwrap().client_id.clone();
        sim.apply(Command::CrashConsumer { client_id: owner }).unwrap();
        sim.advance_to(90_000);
        let leo = sim.partition_offsets("t", 0).unwrap().2;
        let records = sim.records("t", 0, 0, leo, super::MAX_RECORDS_PER_QUERY);
        assert_eq!(records.len() as u64, leo, "every record, not a sample");
        let extra: u64 = records.iter().map(|r| u64::from(sim.times_processed("g", r).saturating_sub(1))).sum();
        let duplicates = sim.view().groups[0].delivery.duplicates;
        assert!(duplicates > 0, "the crash made the group process records again");
        assert_eq!(extra, duplicates, "per-record counts add up to the group's duplicate count");
        assert!(records.iter().all(|r| sim.times_processed("nope", r) == 0));
    }

    #[test]
    fn unknown_partitions_and_empty_ranges_return_nothing() {
        let sim = sim_with(100, KeySpec::None);
        assert!(sim.records("nope", 0, 0, 10, 10).is_empty());
        assert!(sim.records("t", 9, 0, 10, 10).is_empty());
        assert!(sim.records("t", 0, 5, 5, 10).is_empty());
        assert!(sim.records("t", 0, 0, 10, 0).is_empty());
    }
}
