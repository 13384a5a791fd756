//! Coordinator writes are answered only once replicated (issue 12 point 4), following Kafka's
//! `CoordinatorRuntime` (`coordinator-common/.../runtime/CoordinatorRuntime.java`: a write's
//! response is a deferred event completed when the HW of `__consumer_offsets` passes the
//! written records, failed after `offsets.commit.timeout.ms` with a `TimeoutException`) and
//! `GroupCoordinatorService.handleOperationException` (REQUEST_TIMED_OUT, NOT_ENOUGH_REPLICAS,
//! UNKNOWN_TOPIC_OR_PARTITION → COORDINATOR_NOT_AVAILABLE). OffsetFetch reads the state at the
//! last committed offset (`CoordinatorRuntime.scheduleReadOperation`), which is what the view's
//! committed offsets show.

use grouplab_engine::group::protocol::ErrorCode;
use grouplab_engine::group::{GroupConfig, GroupEvent};
use grouplab_engine::{Command, EventKind, GroupView, Sim, SimConfig};

fn sim(config: SimConfig, rf: u16) -> Sim {
    let mut sim = Sim::new(SimConfig { offsets_topic_num_partitions: 1, ..config }).expect("sim");
    sim.apply(Command::CreateTopic { name: "t".into(), partitions: 1, replication_factor: rf, config: Default::default() }).expect("topic");
    sim.apply(Command::Produce { topic: "t".into(), count: 10, key: None, acks: Default::default() }).expect("produce");
    let config = GroupConfig { auto_offset_reset: grouplab_engine::group::AutoOffsetReset::Earliest, ..GroupConfig::default() };
    sim.apply(Command::CreateGroup { group_id: "g".into(), topics: vec!["t".into()], config }).expect("group");
    sim.apply(Command::AddConsumer { group_id: "g".into(), client_id: Some("c".into()), topics: vec![], group_instance_id: None }).expect("consumer");
    sim
}

fn group(sim: &Sim) -> GroupView {
    sim.view().groups.into_iter().find(|g| g.group_id == "g").expect("group g")
}

fn committed(sim: &Sim) -> Option<u64> {
    group(sim).lag.iter().find(|l| l.topic == "t" && l.partition == 0).and_then(|l| l.committed)
}

/// Steps until `until` holds (or `limit_ms` passes); returns the events seen on the way.
fn run_until(sim: &mut Sim, limit_ms: u64, mut until: impl FnMut(&Sim) -> bool) -> Vec<(u64, EventKind)> {
    let end = sim.now_ms() + limit_ms;
    let mut events = Vec::new();
    while sim.now_ms() < end && !until(sim) {
        if sim.step().is_none() {
            break;
        }
        while let Some(e) = sim.poll_event() {
            events.push((e.at_ms, e.kind));
        }
    }
    events
}

fn broker_of_coordinator(sim: &Sim) -> u32 {
    group(sim).coordinator.expect("a coordinator")
}

/// `CoordinatorRuntime`: the OffsetCommit response (and the `Committed` event) comes when the
/// HW of `__consumer_offsets` passes the record, one replication round after the append.
#[test]
fn an_offset_commit_is_answered_when_the_hw_passes_its_record() {
    let mut sim = sim(SimConfig::default(), 3);
    // The first auto commit appends a record the followers have not fetched yet.
    run_until(&mut sim, 60_000, |s| !group(s).pending_commits.is_empty());
    let g = group(&sim);
    let pending = g.pending_commits[0].clone();
    let (hw, leo) = g.offsets_log.expect("offsets log");
    assert!(hw < pending.durable_at_offset && pending.durable_at_offset <= leo, "not replicated yet: HW {hw}, LEO {leo}, {pending:?}");
    assert_eq!(committed(&sim), None, "OffsetFetch does not see an unreplicated commit");
    assert_eq!(pending.timeout_at_ms, Some(pending.appended_at_ms + 5_000));
    let events = run_until(&mut sim, 10_000, |s| group(s).pending_commits.is_empty());
    let at = sim.now_ms();
    let (hw, _) = group(&sim).offsets_log.unwrap();
    assert!(hw >= pending.durable_at_offset, "released once the HW passed the record");
    assert_eq!(committed(&sim), Some(pending.offset as u64));
    let acked: Vec<u64> = events.iter().filter(|(_, k)| matches!(k, EventKind::Group(GroupEvent::Committed { .. }))).map(|(t, _)| *t).collect();
    assert_eq!(acked, vec![at], "Committed (the acknowledgement) at the release");
    let took = at - pending.appended_at_ms;
    assert!(took > 0 && took < 1_000, "one follower fetch round: {took} ms");
}

/// A follower that stops fetching keeps the HW still until it leaves the ISR
/// (`replica.lag.time.max.ms`, 30 s): the commit fails after `offsets.commit.timeout.ms` with
/// COORDINATOR_NOT_AVAILABLE and OffsetFetch keeps the older offset.
#[test]
fn a_commit_behind_a_stuck_follower_fails_after_the_commit_timeout() {
    // `t` has one replica: its HW does not wait for the stuck followers.
    let mut sim = sim(SimConfig::default(), 1);
    run_until(&mut sim, 60_000, |s| committed(s) == Some(10));
    let coordinator = broker_of_coordinator(&sim);
    for b in (0..3).filter(|b| *b != coordinator) {
        sim.apply(Command::SetBrokerDelay { broker: b, fetch_delay_ms: Some(3_600_000) }).unwrap();
    }
    run_until(&mut sim, 2_000, |_| false);
    sim.apply(Command::Produce { topic: "t".into(), count: 5, key: None, acks: grouplab_engine::api::command::Acks::One }).unwrap();
    run_until(&mut sim, 20_000, |s| group(s).pending_commits.iter().any(|p| p.offset == 15));
    let pending = group(&sim).pending_commits.into_iter().find(|p| p.offset == 15).unwrap();
    let events = run_until(&mut sim, 5_100, |_| false);
    let failed = events.iter().find_map(|(t, k)| match k {
        EventKind::Group(GroupEvent::CommitNotPersisted { offset: 15, error, .. }) => Some((*t, error.clone())),
        _ => None,
    });
    assert_eq!(failed, Some((pending.appended_at_ms + 5_000, "REQUEST_TIMED_OUT".to_string())));
    let client_error = events.iter().find_map(|(_, k)| match k {
        EventKind::Group(GroupEvent::RequestFailed { api, error, .. }) if api == "OffsetCommit" => Some(*error),
        _ => None,
    });
    assert_eq!(client_error, Some(ErrorCode::CoordinatorNotAvailable));
    assert_eq!(committed(&sim), Some(10), "OffsetFetch returns the older offset");
    assert!(!events.iter().any(|(_, k)| matches!(k, EventKind::Group(GroupEvent::Committed { offset: 15, .. }))));
}

/// `CoordinatorPartitionWriter.append` writes with `requiredAcks = 1` and the leader keeps its HW
/// while the ISR is below `min.insync.replicas` (`Partition.maybeIncrementLeaderHW`): the commit
/// times out rather than being rejected, with COORDINATOR_NOT_AVAILABLE.
#[test]
fn a_commit_under_min_insync_replicas_fails_after_the_commit_timeout() {
    let mut sim = sim(SimConfig { brokers: 2, offsets_topic_replication_factor: 2, min_insync_replicas: 2, ..SimConfig::default() }, 2);
    run_until(&mut sim, 60_000, |s| committed(s) == Some(10));
    let coordinator = broker_of_coordinator(&sim);
    sim.apply(Command::CrashBroker { broker: 1 - coordinator }).unwrap();
    // Fenced after broker.session.timeout.ms: the ISR of __consumer_offsets-0 is the leader alone.
    run_until(&mut sim, 12_000, |_| false);
    let isr = sim.view().topics.iter().find(|t| t.name == "__consumer_offsets").unwrap().partitions[0].isr.clone();
    assert_eq!(isr, vec![coordinator]);
    sim.apply(Command::Produce { topic: "t".into(), count: 5, key: None, acks: grouplab_engine::api::command::Acks::One }).unwrap();
    run_until(&mut sim, 20_000, |s| group(s).pending_commits.iter().any(|p| p.offset == 15 && p.timeout_at_ms.is_some()));
    let pending = group(&sim).pending_commits.into_iter().find(|p| p.offset == 15 && p.timeout_at_ms.is_some()).expect("appended, not rejected");
    let events = run_until(&mut sim, 5_100, |_| false);
    let failed = events.iter().find_map(|(t, k)| match k {
        EventKind::Group(GroupEvent::CommitNotPersisted { offset: 15, error, .. }) => Some((*t, error.clone())),
        _ => None,
    });
    assert_eq!(failed, Some((pending.appended_at_ms + 5_000, "REQUEST_TIMED_OUT".to_string())));
    assert!(events.iter().any(|(_, k)| matches!(k, EventKind::Group(GroupEvent::RequestFailed { api, error: ErrorCode::CoordinatorNotAvailable, .. }) if api == "OffsetCommit")));
    assert_eq!(committed(&sim), Some(10), "OffsetFetch returns the older offset");
}

/// `ConsumerCoordinator.maybeAutoCommitOffsetsAsync` commits `subscriptions.allConsumed()` every
/// `auto.commit.interval.ms`, also offsets that did not change.
#[test]
fn auto_commit_resends_unchanged_offsets() {
    let mut sim = sim(SimConfig::default(), 3);
    run_until(&mut sim, 60_000, |s| committed(s) == Some(10));
    let events = run_until(&mut sim, 30_000, |_| false);
    let commits = events.iter().filter(|(_, k)| matches!(k, EventKind::Group(GroupEvent::Committed { offset: 10, .. }))).count();
    assert!((5..=7).contains(&commits), "one commit of offset 10 every 5 s: {commits}");
}

/// A commit acknowledged by the coordinator is in every ISR replica of `__consumer_offsets`:
/// crashing the coordinator right after the acknowledgement, the new coordinator (the new
/// leader) still has it (`CoordinatorRuntime` answers at the HW; a clean election picks an
/// ISR member).
#[test]
fn an_acknowledged_commit_survives_a_coordinator_crash() {
    let mut sim = sim(SimConfig::default(), 3);
    let mut acked = None;
    run_until(&mut sim, 60_000, |_| false);
    sim.apply(Command::Produce { topic: "t".into(), count: 7, key: None, acks: Default::default() }).unwrap();
    let end = sim.now_ms() + 20_000;
    while acked.is_none() && sim.now_ms() < end {
        sim.step();
        while let Some(e) = sim.poll_event() {
            if let EventKind::Group(GroupEvent::Committed { offset: 17, .. }) = e.kind {
                acked = Some(17);
            }
        }
    }
    assert_eq!(acked, Some(17), "offset 17 acknowledged");
    let old = broker_of_coordinator(&sim);
    sim.apply(Command::CrashBroker { broker: old }).unwrap();
    run_until(&mut sim, 30_000, |s| group(s).coordinator.is_some_and(|b| b != old));
    let g = group(&sim);
    assert!(g.coordinator.is_some_and(|b| b != old), "the coordinator moved");
    let now = g.pending_commits.iter().rev().find(|p| p.partition == 0).map(|p| p.offset as u64).or(committed(&sim));
    assert!(now >= Some(17), "the new coordinator has the acknowledged commit: {now:?}");
}
