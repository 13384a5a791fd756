//! Scenario tests of the classic group protocol, played by `GroupWorld` (coordinator + several
//! consumers + a fake log), with invariants checked after every step.

mod common;
use common::tiny_range;

use grouplab_engine::group::client::{
    AutoOffsetReset, CommitMode, ConsumerConfig,
};
use grouplab_engine::group::coordinator::{CoordinatorConfig, GroupState};
use grouplab_engine::group::world::GroupWorld;
use grouplab_engine::group::{MemberState, TopicPartition};

fn tp(p: u32) -> TopicPartition {
    TopicPartition::new("t", p)
}

fn world(partitions: u32) -> GroupWorld {
    GroupWorld::new(
        "g",
        &[("t", partitions)],
        CoordinatorConfig::default(),
        tiny_range,
        42,
    )
    .expect("world")
}

fn consumer(id: &str) -> ConsumerConfig {
    let mut c = ConsumerConfig::new(id, "g", &["t"]);
    c.auto_offset_reset = AutoOffsetReset::Earliest;
    c
}

fn cooperative(id: &str) -> ConsumerConfig {
    let mut c = consumer(id);
    c.assignment_strategies = vec!["cooperative-sticky".into()];
    c
}

fn assert_clean(w: &GroupWorld) {
    assert!(
        w.violations().is_empty(),
        "violations: {:#?}",
        w.violations()
    );
}

fn owners(w: &GroupWorld, n: u32) -> Vec<Option<String>> {
    (0..n)
        .map(|p| w.ownership().current_owner("g", &tp(p)).map(str::to_string))
        .collect()
}

fn start_three(w: &mut GroupWorld, mk: fn(&str) -> ConsumerConfig) {
    for id in ["c1", "c2", "c3"] {
        w.add_consumer(mk(id)).expect("add");
    }
    w.advance(10_000);
}

#[test]
fn three_consumers_become_stable_with_every_partition_owned_once() {
    let mut w = world(6);
    start_three(&mut w, consumer);
    assert_eq!(w.coordinator().state(), GroupState::Stable);
    assert_eq!(w.coordinator().members().len(), 3);
    // All three joined within the initial delay: exactly one generation.
    assert_eq!(w.coordinator().generation_id(), 1);
    assert_eq!(w.coordinator().protocol(), Some("range"));
    let o = owners(&w, 6);
    assert!(o.iter().all(Option::is_some), "{o:?}");
    for c in w.clients().values() {
        assert_eq!(c.state(), MemberState::Stable);
        assert_eq!(c.assignment().len(), 2);
        assert!(
            c.member_id().starts_with(c.client_id()),
            "member id {} has client id prefix",
            c.member_id()
        );
    }
    // The first rebalance waited for group.initial.rebalance.delay.ms.
    let first_stable = w
        .coordinator()
        .transitions()
        .iter()
        .find(|(_, _, to)| *to == GroupState::Stable)
        .map(|(t, _, _)| *t);
    assert!(first_stable.is_some_and(|t| t >= 3000), "{first_stable:?}");
    assert_clean(&w);
}

#[test]
fn records_are_consumed_and_committed_and_lag_drains() {
    let mut w = world(3);
    start_three(&mut w, consumer);
    for p in 0..3 {
        w.produce(&tp(p), 100).expect("produce");
    }
    w.advance(20_000);
    assert_eq!(w.ledger().distinct_processed("g"), 300);
    assert_eq!(w.duplicates(), 0);
    for row in w.lag() {
        assert_eq!(row.position_lag, Some(0), "{row:?}");
        assert_eq!(row.committed_lag, Some(0), "auto commit caught up: {row:?}");
    }
    assert_clean(&w);
}

#[test]
fn crash_moves_partitions_only_after_session_timeout() {
    let mut w = world(6);
    start_three(&mut w, consumer);
    let crashed_parts: Vec<TopicPartition> = w
        .client("c2")
        .expect("c2")
        .assignment()
        .iter()
        .cloned()
        .collect();
    let member = w.client("c2").expect("c2").member_id().to_string();
    let deadline = w.coordinator().members()[&member].session_deadline_ms;
    let crash_at = w.now_ms();
    w.crash("c2").expect("crash");
    // Nobody owns them until the session expires.
    w.advance(40_000);
    for p in &crashed_parts {
        assert_eq!(
            w.ownership().current_owner("g", p),
            None,
            "{p} must not move before session.timeout.ms"
        );
    }
    assert_eq!(
        w.coordinator().members().len(),
        3,
        "still a member before expiry"
    );
    w.advance(15_000);
    assert_eq!(w.coordinator().members().len(), 2);
    assert_eq!(w.coordinator().state(), GroupState::Stable);
    for p in &crashed_parts {
        let h = w.ownership().history("g", p);
        let reacquired = h
            .iter()
            .find(|c| c.at_ms > crash_at && c.owner.is_some())
            .expect("reassigned");
        assert!(
            reacquired.at_ms >= deadline,
            "moved at {} before session deadline {deadline}",
            reacquired.at_ms
        );
        assert!(
            deadline >= crash_at + 45_000 - 3_000 - 20,
            "deadline {deadline} reflects session.timeout.ms"
        );
    }
    assert!(w
        .events()
        .iter()
        .any(|(_, e)| e.contains("heartbeat expired")));
    assert_clean(&w);
}

#[test]
fn graceful_close_rebalances_immediately() {
    let mut w = world(6);
    start_three(&mut w, consumer);
    let gen = w.coordinator().generation_id();
    let closed_parts: Vec<TopicPartition> = w
        .client("c3")
        .expect("c3")
        .assignment()
        .iter()
        .cloned()
        .collect();
    let at = w.now_ms();
    w.close("c3").expect("close");
    // The LeaveGroup arrives after one network latency and the rebalance starts at once.
    w.advance(10);
    assert_eq!(w.coordinator().state(), GroupState::PreparingRebalance);
    assert_eq!(w.coordinator().members().len(), 2);
    // The others learn it from their next heartbeat (heartbeat.interval.ms) and rejoin.
    w.advance(5_000);
    assert!(w.coordinator().generation_id() > gen);
    assert_eq!(w.coordinator().state(), GroupState::Stable);
    for p in &closed_parts {
        let h = w.ownership().history("g", p);
        let back = h
            .iter()
            .find(|c| c.at_ms > at && c.owner.is_some())
            .expect("reassigned");
        // Within one heartbeat interval plus a join/sync round, far below session.timeout.ms.
        assert!(
            back.at_ms - at < 3_000 + 500,
            "reassigned after {} ms",
            back.at_ms - at
        );
    }
    assert_clean(&w);
}

#[test]
fn stalled_consumer_leaves_after_max_poll_interval() {
    let mut w = world(6);
    let mut cfgs = Vec::new();
    for id in ["c1", "c2", "c3"] {
        let mut c = consumer(id);
        c.max_poll_interval_ms = 60_000;
        cfgs.push(c);
    }
    for c in cfgs {
        w.add_consumer(c).expect("add");
    }
    w.advance(10_000);
    let stall_at = w.now_ms();
    w.stall("c1").expect("stall");
    w.advance(55_000);
    // Heartbeats continue: still a member.
    assert_eq!(w.coordinator().members().len(), 3);
    assert_eq!(w.client("c1").expect("c1").state(), MemberState::Stable);
    w.advance(10_000);
    assert_eq!(
        w.coordinator().members().len(),
        2,
        "left after max.poll.interval.ms"
    );
    let left = w
        .events()
        .iter()
        .find(|(_, e)| e.contains("max.poll.interval.ms expired"))
        .expect("poll timeout event");
    assert!(
        left.0 >= stall_at + 60_000 - 200 && left.0 <= stall_at + 60_000 + 200,
        "left at {}",
        left.0
    );
    assert!(w.client("c1").expect("c1").assignment().is_empty());
    // Resume: it rejoins at its next poll.
    w.resume("c1").expect("resume");
    w.advance(5_000);
    assert_eq!(w.coordinator().members().len(), 3);
    assert_eq!(w.client("c1").expect("c1").state(), MemberState::Stable);
    assert_clean(&w);
}

fn join_third_and_measure_gap(mk: fn(&str) -> ConsumerConfig) -> (GroupWorld, Vec<u32>, u64) {
    let mut w = world(6);
    w.add_consumer(mk("c1")).expect("add");
    w.add_consumer(mk("c2")).expect("add");
    w.advance(10_000);
    let before = owners(&w, 6);
    let at = w.now_ms();
    w.add_consumer(mk("c3")).expect("add");
    w.advance(10_000);
    let after = owners(&w, 6);
    let unmoved: Vec<u32> = (0..6)
        .filter(|p| before[*p as usize] == after[*p as usize])
        .collect();
    assert!(!unmoved.is_empty());
    assert!(after.iter().all(Option::is_some), "{after:?}");
    (w, unmoved, at)
}

#[test]
fn eager_rebalance_leaves_a_gap_even_for_unmoved_partitions() {
    let (w, unmoved, at) = join_third_and_measure_gap(consumer);
    for p in unmoved {
        let gaps: Vec<(u64, u64)> = w
            .ownership()
            .gaps("g", &tp(p))
            .into_iter()
            .filter(|(a, _)| *a >= at)
            .collect();
        assert!(
            !gaps.is_empty(),
            "eager must revoke {p} during the rebalance"
        );
        assert!(gaps.iter().all(|(a, b)| b > a));
    }
    assert_clean(&w);
}

#[test]
fn cooperative_rebalance_has_no_gap_for_unmoved_partitions() {
    let (w, unmoved, at) = join_third_and_measure_gap(cooperative);
    for p in &unmoved {
        let gaps: Vec<(u64, u64)> = w
            .ownership()
            .gaps("g", &tp(*p))
            .into_iter()
            .filter(|(a, _)| *a >= at)
            .collect();
        assert!(gaps.is_empty(), "cooperative must keep {p}: {gaps:?}");
    }
    // Two rounds: the revoking member rejoined.
    let gens = w.coordinator().generation_id();
    assert!(
        gens >= 3,
        "cooperative needs a follow-up rebalance, generation {gens}"
    );
    assert_eq!(w.coordinator().protocol(), Some("cooperative-sticky"));
    assert_clean(&w);
}

#[test]
fn at_least_once_duplicates_after_crash_with_uncommitted_records() {
    let mut w = world(1);
    let mut c1 = consumer("c1");
    c1.commit_mode = CommitMode::ManualAfter;
    c1.processing_time_ms = 10;
    c1.max_poll_records = 100;
    let mut c2 = c1.clone();
    c2.client_id = "c2".into();
    w.add_consumer(c1).expect("add");
    w.advance(10_000);
    w.produce(&tp(0), 100).expect("produce");
    // Half the batch processed, not committed.
    w.advance(500);
    let processed = w.ledger().distinct_processed("g");
    assert!(processed > 0 && processed < 100, "{processed}");
    w.crash("c1").expect("crash");
    w.add_consumer(c2).expect("add");
    w.advance(60_000);
    assert_eq!(w.ledger().distinct_processed("g"), 100);
    assert!(
        w.duplicates() >= processed - 1,
        "duplicates {} for {processed} uncommitted",
        w.duplicates()
    );
    assert_eq!(w.losses(), 0);
    assert_clean(&w);
}

#[test]
fn commit_before_processing_loses_records_on_crash() {
    let mut w = world(1);
    let mut c1 = consumer("c1");
    c1.commit_mode = CommitMode::ManualBefore;
    c1.processing_time_ms = 10;
    c1.max_poll_records = 100;
    let mut c2 = c1.clone();
    c2.client_id = "c2".into();
    w.add_consumer(c1).expect("add");
    w.advance(10_000);
    w.produce(&tp(0), 100).expect("produce");
    w.advance(500);
    w.crash("c1").expect("crash");
    w.add_consumer(c2).expect("add");
    w.advance(60_000);
    assert!(
        w.losses() > 0,
        "at most once loses the unprocessed part of the batch"
    );
    assert_eq!(w.duplicates(), 0);
    assert_clean(&w);
}

#[test]
fn auto_offset_reset_latest_skips_history_and_none_refuses() {
    let mut w = world(1);
    w.produce(&tp(0), 50).expect("produce");
    let mut c = consumer("c1");
    c.auto_offset_reset = AutoOffsetReset::Latest;
    w.add_consumer(c).expect("add");
    w.advance(10_000);
    assert_eq!(
        w.client("c1").expect("c1").positions().get(&tp(0)),
        Some(&50)
    );
    w.produce(&tp(0), 5).expect("produce");
    w.advance(1_000);
    assert_eq!(w.ledger().distinct_processed("g"), 5);

    let mut w = world(1);
    w.produce(&tp(0), 5).expect("produce");
    let mut c = consumer("c1");
    c.auto_offset_reset = AutoOffsetReset::None;
    w.add_consumer(c).expect("add");
    w.advance(10_000);
    assert_eq!(w.ledger().distinct_processed("g"), 0);
    assert!(w
        .events()
        .iter()
        .any(|(_, e)| e.contains("auto.offset.reset=none")));
    assert_clean(&w);
}

#[test]
fn coordinator_failover_keeps_offsets_and_members() {
    let mut w = world(3);
    start_three(&mut w, consumer);
    for p in 0..3 {
        w.produce(&tp(p), 30).expect("produce");
    }
    w.advance(10_000);
    let committed_before = w.coordinator().committed().clone();
    assert_eq!(committed_before.len(), 3);
    let gen = w.coordinator().generation_id();
    w.failover_coordinator(7).expect("failover");
    assert_eq!(
        w.coordinator().committed(),
        &committed_before,
        "offsets reloaded from __consumer_offsets"
    );
    assert_eq!(w.coordinator().generation_id(), gen);
    w.advance(10_000);
    for c in w.clients().values() {
        assert_eq!(
            c.coordinator(),
            Some(7),
            "{} rediscovered the coordinator",
            c.client_id()
        );
    }
    assert!(w
        .events()
        .iter()
        .any(|(_, e)| e.contains("NOT_COORDINATOR")));
    for p in 0..3 {
        w.produce(&tp(p), 10).expect("produce");
    }
    w.advance(10_000);
    assert_eq!(w.ledger().distinct_processed("g"), 120);
    assert_eq!(w.duplicates(), 0);
    assert_clean(&w);
}

#[test]
fn deterministic_replay() {
    let run = || {
        let mut w = world(4);
        start_three(&mut w, consumer);
        for p in 0..4 {
            w.produce(&tp(p), 40).expect("produce");
        }
        w.advance(1_000);
        w.crash("c1").expect("crash");
        w.advance(60_000);
        (w.events().to_vec(), w.offsets_log().to_vec())
    };
    assert_eq!(run(), run());
}

#[test]
fn every_event_displays_on_one_line() {
    let mut w = world(4);
    start_three(&mut w, cooperative);
    w.produce(&tp(0), 10).expect("produce");
    w.stall("c1").expect("stall");
    w.advance(400_000);
    w.crash("c2").expect("crash");
    w.close("c3").expect("close");
    w.advance(60_000);
    let events = w.events();
    assert!(events.len() > 50);
    for (_, line) in events {
        assert!(!line.is_empty() && !line.contains('\n'), "{line:?}");
    }
    for needle in [
        "JoinGroup",
        "SyncGroup",
        "heartbeat expired",
        "removed",
        "preparing to rebalance",
        "generation",
        "revoked",
        "assigned",
        "committed",
        "reset",
        "max.poll.interval.ms",
    ] {
        assert!(
            events.iter().any(|(_, l)| l.contains(needle)),
            "no event mentions {needle}"
        );
    }
}
