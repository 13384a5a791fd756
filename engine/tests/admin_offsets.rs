//! The Admin client's offset requests as engine commands (issue 13): `alter_consumer_group_offsets`
//! (an OffsetCommit with generation -1 and an empty member id, `ClassicGroup.validateOffsetCommit`)
//! and `delete_consumer_group_offsets` (an OffsetDelete, `OffsetMetadataManager.deleteOffsets`,
//! `ClassicGroup.validateOffsetDelete`), plus the lag in milliseconds of the group view.

use grouplab_engine::api::command::{PartitionOffset, PartitionRef};
use grouplab_engine::group::protocol::{ErrorCode, TopicPartition};
use grouplab_engine::group::{AutoOffsetReset, GroupConfig, GroupEvent};
use grouplab_engine::{Command, EventKind, GroupView, Sim, SimConfig, SimError};

/// One broker, topic `t` (2 partitions, 20 records each) and `u` (1 partition, 5 records),
/// group `g` declared on `t` with `auto.offset.reset=earliest`.
fn sim() -> Sim {
    let mut sim = Sim::new(SimConfig { brokers: 1, offsets_topic_replication_factor: 1, offsets_topic_num_partitions: 1, ..SimConfig::default() }).expect("sim");
    sim.apply(Command::CreateTopic { name: "t".into(), partitions: 2, replication_factor: 1, config: Default::default() }).expect("t");
    sim.apply(Command::CreateTopic { name: "u".into(), partitions: 1, replication_factor: 1, config: Default::default() }).expect("u");
    for (topic, n) in [("t", 40), ("u", 5)] {
        sim.apply(Command::Produce { topic: topic.into(), count: n, key: None, acks: Default::default() }).expect("produce");
    }
    let config = GroupConfig { auto_offset_reset: AutoOffsetReset::Earliest, ..GroupConfig::default() };
    sim.apply(Command::CreateGroup { group_id: "g".into(), topics: vec!["t".into()], config }).expect("group");
    sim.advance_to(sim.now_ms() + 1_000);
    sim
}

fn group(sim: &Sim, gid: &str) -> GroupView {
    sim.group_views().into_iter().find(|g| g.group_id == gid).unwrap_or_else(|| panic!("group {gid}"))
}

fn committed(sim: &Sim, gid: &str, topic: &str, partition: u32) -> Option<u64> {
    group(sim, gid).lag.iter().find(|l| l.topic == topic && l.partition == partition).and_then(|l| l.committed)
}

fn alter(gid: &str, offsets: &[(&str, u32, u64)]) -> Command {
    Command::AlterConsumerGroupOffsets {
        group_id: gid.into(),
        offsets: offsets.iter().map(|&(t, p, o)| PartitionOffset { topic: t.into(), partition: p, offset: o }).collect(),
    }
}

fn delete(gid: &str, partitions: &[(&str, u32)]) -> Command {
    Command::DeleteConsumerGroupOffsets { group_id: gid.into(), partitions: partitions.iter().map(|&(t, p)| PartitionRef { topic: t.into(), partition: p }).collect() }
}

fn consumer(gid: &str, id: &str) -> Command {
    Command::AddConsumer { group_id: gid.into(), client_id: Some(id.into()), topics: vec![], group_instance_id: None }
}

fn rejected(error: &str) -> SimError {
    let e = [ErrorCode::UnknownMemberId, ErrorCode::CoordinatorNotAvailable, ErrorCode::GroupIdNotFound, ErrorCode::NonEmptyGroup]
        .into_iter()
        .find(|e| e.name() == error)
        .expect("a known error");
    SimError::GroupRequestRejected { error: error.into(), message: e.message().into() }
}

/// A refused command returns this error and changes nothing (the state hash is the same).
fn check_refused(sim: &mut Sim, cmd: Command, want: SimError) {
    let before = sim.state_hash();
    let got = sim.apply(cmd.clone()).expect_err(&format!("{cmd:?} must be refused"));
    assert_eq!(got, want, "{cmd:?}");
    assert_eq!(sim.state_hash(), before, "{cmd:?} changed the state");
}

/// Runs until the group is Stable with `n` members (at most a minute).
fn until_stable(sim: &mut Sim, gid: &str, n: usize) {
    let end = sim.now_ms() + 60_000;
    while sim.now_ms() < end {
        let g = group(sim, gid);
        if g.state == "Stable" && g.members.len() == n && g.members.iter().all(|m| !m.assigned.is_empty() || n > 2) {
            return;
        }
        sim.advance_to(sim.now_ms() + 100);
    }
    panic!("group {gid} not Stable with {n} members: {:?}", group(sim, gid).state);
}

/// The Admin commit of an Empty group is accepted, persisted through `__consumer_offsets`
/// (visible once the HW passes the record), and a consumer that gets the partitions later
/// fetches it and starts there: it processes only the records after the new offsets.
#[test]
fn an_empty_group_takes_new_offsets_and_the_next_consumer_starts_there() {
    let mut sim = sim();
    let g = group(&sim, "g");
    assert_eq!(g.state, "Empty");
    let hw: Vec<u64> = g.lag.iter().map(|l| l.high_watermark).collect();
    assert_eq!(hw.iter().sum::<u64>(), 40);
    // Half of each partition's records are skipped.
    let new: Vec<u64> = hw.iter().map(|h| h / 2).collect();
    sim.apply(alter("g", &[("t", 0, new[0]), ("t", 1, new[1])])).expect("accepted while Empty");
    let mut events = Vec::new();
    while let Some(e) = sim.poll_event() {
        events.push(e.kind);
    }
    assert!(
        events.iter().any(|e| matches!(e, EventKind::Group(GroupEvent::Committed { member_id, offset, .. }) if member_id.is_empty() && *offset == new[0] as i64)),
        "the Admin commit is a commit with an empty member id: {events:?}"
    );
    sim.advance_to(sim.now_ms() + 100);
    assert_eq!((committed(&sim, "g", "t", 0), committed(&sim, "g", "t", 1)), (Some(new[0]), Some(new[1])));
    sim.apply(consumer("g", "c1")).expect("consumer");
    until_stable(&mut sim, "g", 1);
    sim.advance_to(sim.now_ms() + 10_000);
    let g = group(&sim, "g");
    let c = &g.consumers[0];
    assert_eq!(g.delivery.distinct, 40 - new[0] - new[1], "only the records after the new offsets: {:?}", c.positions);
    assert_eq!(g.delivery.losses, 0, "records skipped by a reset are skipped on purpose");
}

/// `ClassicGroup.validateOffsetCommit`: generation -1 with an empty member id is refused
/// with UNKNOWN_MEMBER_ID while the group has members, and nothing changes; unknown partitions
/// and empty requests are refused before the group is looked at.
#[test]
fn refusals_change_nothing() {
    let mut sim = sim();
    sim.apply(consumer("g", "c1")).expect("consumer");
    until_stable(&mut sim, "g", 1);
    for (cmd, want) in [
        (alter("g", &[("t", 0, 1)]), rejected("UNKNOWN_MEMBER_ID")),
        (alter("g", &[("nope", 0, 1)]), SimError::UnknownTopicOrPartition("The partition nope-0 does not exist".into())),
        (alter("g", &[("t", 7, 1)]), SimError::UnknownTopicOrPartition("The partition t-7 does not exist".into())),
        (alter("g", &[]), SimError::InvalidRequest("alter_consumer_group_offsets needs at least one offset".into())),
        (alter("", &[("t", 0, 1)]), SimError::InvalidRequest("group.id must not be empty (INVALID_GROUP_ID)".into())),
        (delete("nobody", &[("t", 0)]), rejected("GROUP_ID_NOT_FOUND")),
    ] {
        check_refused(&mut sim, cmd, want);
    }
    assert_eq!(rejected("UNKNOWN_MEMBER_ID").to_string(), "UNKNOWN_MEMBER_ID: The coordinator is not aware of this member.");
}

/// Without `__consumer_offsets` (too few brokers for its replication factor) no coordinator
/// answers: COORDINATOR_NOT_AVAILABLE, and no group is created.
#[test]
fn no_coordinator_means_coordinator_not_available() {
    let mut sim = Sim::new(SimConfig { brokers: 1, ..SimConfig::default() }).expect("sim");
    sim.apply(Command::CreateTopic { name: "t".into(), partitions: 1, replication_factor: 1, config: Default::default() }).expect("t");
    check_refused(&mut sim, alter("fresh", &[("t", 0, 0)]), rejected("COORDINATOR_NOT_AVAILABLE"));
    assert!(sim.group_views().is_empty());
}

/// Kafka creates a "simple" group for an Admin commit to a group it does not know
/// (`OffsetMetadataManager.validateOffsetCommit`): Empty, with the offsets.
#[test]
fn an_unknown_group_is_created_by_the_commit() {
    let mut sim = sim();
    sim.apply(alter("fresh", &[("u", 0, 3)])).expect("creates the group");
    sim.advance_to(sim.now_ms() + 100);
    let g = group(&sim, "fresh");
    assert_eq!(g.state, "Empty");
    let row = g.lag.iter().find(|l| l.topic == "u").expect("a row for the committed partition outside any subscription");
    assert_eq!((row.committed, row.committed_lag), (Some(3), Some(2)));
}

/// `OffsetMetadataManager.deleteOffsets`: a Stable group's subscribed topic is refused per
/// partition (GROUP_SUBSCRIBED_TO_TOPIC), another topic's offset is deleted (a tombstone), an
/// unknown partition gets UNKNOWN_TOPIC_OR_PARTITION; the command applies exactly the outcome
/// `Sim::offset_delete_outcome` reports.
#[test]
fn delete_offsets_follows_the_per_partition_rule() {
    // An offset for `u`, which the group does not subscribe to, written while it was Empty.
    let mut sim2 = sim();
    sim2.apply(alter("g", &[("u", 0, 2)])).expect("alter");
    sim2.apply(consumer("g", "c1")).expect("consumer");
    until_stable(&mut sim2, "g", 1);
    sim2.advance_to(sim2.now_ms() + 6_000);
    let asked = [("t", 0), ("u", 0), ("u", 5), ("nope", 0)];
    let tps: Vec<TopicPartition> = asked.iter().map(|&(t, p)| TopicPartition::new(t, p)).collect();
    let outcome = sim2.offset_delete_outcome("g", &tps).expect("no group-level error");
    let names: Vec<(String, &str)> = outcome.iter().map(|(tp, e)| (tp.to_string(), e.name())).collect();
    assert_eq!(
        names,
        [
            ("t-0".to_string(), "GROUP_SUBSCRIBED_TO_TOPIC"),
            ("u-0".to_string(), "NONE"),
            ("u-5".to_string(), "UNKNOWN_TOPIC_OR_PARTITION"),
            ("nope-0".to_string(), "UNKNOWN_TOPIC_OR_PARTITION"),
        ]
    );
    let before_t = committed(&sim2, "g", "t", 0);
    sim2.apply(delete("g", &asked)).expect("applied");
    let mut deleted = Vec::new();
    while let Some(e) = sim2.poll_event() {
        if let EventKind::Group(GroupEvent::OffsetsDeleted { partitions, .. }) = e.kind {
            deleted = partitions;
        }
    }
    assert_eq!(deleted, [TopicPartition::new("u", 0)]);
    sim2.advance_to(sim2.now_ms() + 100);
    assert_eq!(committed(&sim2, "g", "u", 0), None, "the tombstone is replicated: the offset is gone");
    assert!(!group(&sim2, "g").lag.iter().any(|l| l.topic == "u"), "no committed offset: no row outside the subscription");
    assert_eq!(committed(&sim2, "g", "t", 0).map(|c| c >= before_t.unwrap_or(0)), Some(true), "the subscribed topic kept its offset");
}

/// An Empty group (its members left) subscribes to nothing: its offsets can be deleted; an
/// Admin commit for a partition in flight is deleted too (`hasCommittedOffset` or pending).
#[test]
fn an_empty_group_can_delete_its_offsets() {
    let mut sim = sim();
    sim.apply(consumer("g", "c1")).expect("consumer");
    until_stable(&mut sim, "g", 1);
    sim.advance_to(sim.now_ms() + 6_000);
    sim.apply(Command::CloseConsumer { client_id: "c1".into() }).expect("close");
    sim.advance_to(sim.now_ms() + 5_000);
    assert_eq!(group(&sim, "g").state, "Empty");
    assert!(committed(&sim, "g", "t", 1).is_some());
    let outcome = sim.offset_delete_outcome("g", &[TopicPartition::new("t", 1)]).expect("ok");
    assert_eq!(outcome[0].1, ErrorCode::None);
    sim.apply(delete("g", &[("t", 1)])).expect("deleted");
    sim.advance_to(sim.now_ms() + 100);
    assert_eq!(committed(&sim, "g", "t", 1), None);
    assert!(committed(&sim, "g", "t", 0).is_some(), "only the asked partition");
}

/// LagView::lag_ms is how long the oldest unconsumed record has waited (now − its
/// timestamp): it grows while the consumer is stalled and is 0 once it caught up; None with no
/// committed offset. GroupView::max_lag_ms is the largest over the partitions.
#[test]
fn lag_in_milliseconds_grows_while_stalled_and_resets_when_caught_up() {
    let mut sim = sim();
    let g = group(&sim, "g");
    assert!(g.lag.iter().all(|l| l.lag_ms.is_none()), "no committed offset: unknown");
    assert_eq!(g.max_lag_ms, None);
    sim.apply(consumer("g", "c1")).expect("consumer");
    until_stable(&mut sim, "g", 1);
    sim.advance_to(sim.now_ms() + 8_000);
    let g = group(&sim, "g");
    assert!(g.lag.iter().all(|l| l.lag_ms == Some(0)), "caught up: {:?}", g.lag);
    assert_eq!(g.max_lag_ms, Some(0));
    sim.apply(Command::StallConsumer { client_id: "c1".into() }).expect("stall");
    sim.advance_to(sim.now_ms() + 1_000);
    let produced_at = sim.now_ms();
    sim.apply(Command::Produce { topic: "t".into(), count: 4, key: None, acks: Default::default() }).expect("produce");
    sim.advance_to(produced_at + 3_000);
    let first = group(&sim, "g").max_lag_ms.expect("lag known");
    assert!((2_900..=3_000).contains(&first), "the new records waited about 3 s: {first}");
    sim.advance_to(produced_at + 7_000);
    let later = group(&sim, "g").max_lag_ms.expect("lag known");
    assert_eq!(later, first + 4_000, "grows with the clock while stalled");
    sim.apply(Command::RestartConsumer { client_id: "c1".into() }).expect("resume");
    sim.advance_to(sim.now_ms() + 8_000);
    assert_eq!(group(&sim, "g").max_lag_ms, Some(0), "caught up again");
}
