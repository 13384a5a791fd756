//! Property test: random sequences of joins, crashes, closes, stalls, resumes, produces,
//! coordinator failovers and time, with the group invariants checked after every step
//! (`GroupWorld::check_invariants`): at most one owner per partition, generations never
//! decrease, committed offsets and positions within [log start, HW], legal transitions.
//!
//! Cases: 1000 by default; set `GROUPLAB_PROPTEST_CASES` for more.

mod common;
use common::tiny_range;
use grouplab_engine::kernel::vecmap::VecMap;

use grouplab_engine::group::client::{
    AutoOffsetReset, CommitMode, ConsumerConfig,
};
use grouplab_engine::group::coordinator::CoordinatorConfig;
use grouplab_engine::group::world::GroupWorld;
use grouplab_engine::group::TopicPartition;
use proptest::prelude::*;


#[derive(Debug, Clone)]
enum Op {
    Add {
        cooperative: bool,
        mode: u8,
        processing_ms: u64,
    },
    Crash(usize),
    Close(usize),
    Stall(usize),
    Resume(usize),
    Produce(u32, u32),
    Advance(u64),
    Failover(u32),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (any::<bool>(), 0u8..3, 0u64..6).prop_map(|(cooperative, mode, processing_ms)| Op::Add { cooperative, mode, processing_ms }),
        1 => (0usize..8).prop_map(Op::Crash),
        1 => (0usize..8).prop_map(Op::Close),
        1 => (0usize..8).prop_map(Op::Stall),
        1 => (0usize..8).prop_map(Op::Resume),
        3 => (0u32..4, 1u32..200).prop_map(|(p, n)| Op::Produce(p, n)),
        4 => (1u64..20_000).prop_map(Op::Advance),
        1 => (1u32..4).prop_map(Op::Failover),
    ]
}

fn cases() -> u32 {
    std::env::var("GROUPLAB_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
}

fn config(id: &str, cooperative: bool, mode: u8, processing_ms: u64) -> ConsumerConfig {
    let mut c = ConsumerConfig::new(id, "g", &["t"]);
    c.session_timeout_ms = 6_000;
    c.heartbeat_interval_ms = 2_000;
    c.max_poll_interval_ms = 10_000;
    c.poll_timeout_ms = 500;
    c.auto_commit_interval_ms = 2_000;
    c.max_poll_records = 100;
    c.processing_time_ms = processing_ms;
    c.auto_offset_reset = AutoOffsetReset::Earliest;
    c.commit_mode = match mode {
        0 => CommitMode::Auto,
        1 => CommitMode::ManualAfter,
        _ => CommitMode::ManualBefore,
    };
    if cooperative {
        c.assignment_strategies = vec!["cooperative-sticky".into()];
    }
    c
}

fn run(ops: &[Op]) -> Result<GroupWorld, TestCaseError> {
    let mut w = GroupWorld::new(
        "g",
        &[("t", 4)],
        CoordinatorConfig::default(),
        tiny_range,
        3,
    )
    .expect("world");
    let mut ids: Vec<String> = Vec::new();
    let pick = |ids: &[String], i: usize| ids.get(i % ids.len().max(1)).cloned();
    for op in ops {
        // Errors (closing a crashed consumer, ...) are typed and leave the world unchanged.
        match op {
            Op::Add {
                cooperative,
                mode,
                processing_ms,
            } => {
                let id = format!("c{}", ids.len());
                w.add_consumer(config(&id, *cooperative, *mode, *processing_ms))
                    .expect("valid config");
                ids.push(id);
            }
            Op::Crash(i) => {
                if let Some(id) = pick(&ids, *i) {
                    let _ = w.crash(&id);
                }
            }
            Op::Close(i) => {
                if let Some(id) = pick(&ids, *i) {
                    let _ = w.close(&id);
                }
            }
            Op::Stall(i) => {
                if let Some(id) = pick(&ids, *i) {
                    let _ = w.stall(&id);
                }
            }
            Op::Resume(i) => {
                if let Some(id) = pick(&ids, *i) {
                    let _ = w.resume(&id);
                }
            }
            Op::Produce(p, n) => {
                w.produce(&TopicPartition::new("t", *p), *n)
                    .expect("partition exists");
            }
            Op::Advance(ms) => w.advance(*ms),
            Op::Failover(b) => {
                let b = if *b == w.coordinator().broker_id() {
                    b + 10
                } else {
                    *b
                };
                w.failover_coordinator(b).expect("failover");
            }
        }
        prop_assert!(
            w.violations().is_empty(),
            "after {op:?}: {:#?}",
            w.violations()
        );
    }
    w.advance(30_000);
    prop_assert!(
        w.violations().is_empty(),
        "after settling: {:#?}",
        w.violations()
    );
    Ok(w)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn group_invariants_hold(ops in prop::collection::vec(op(), 1..24)) {
        let w = run(&ops)?;
        // Every partition has at most one owner among the consumers still in the group right
        // now (a fenced zombie may still believe it owns partitions until it notices).
        let mut seen = VecMap::new();
        for c in w.clients().values().filter(|c| !w.ownership().is_fenced("g", c.client_id())) {
            for tp in c.assignment() {
                prop_assert!(seen.insert(tp.clone(), c.client_id().to_string()).is_none(), "{tp} owned twice");
            }
        }
        // Replaying the same ops gives the same world.
        let again = run(&ops)?;
        prop_assert_eq!(w.events(), again.events());
    }
}

/// Found by the proptest: a member stalled right after a rebalance started (by a LeaveGroup)
/// is removed at the rebalance timeout before its own `max.poll.interval.ms` fires. The
/// coordinator fences it (a zombie); its partitions move without a double owner.
#[test]
fn regression_stalled_member_fenced_before_its_poll_timeout() {
    let add = Op::Add {
        cooperative: false,
        mode: 0,
        processing_ms: 0,
    };
    let ops = [
        add.clone(),
        add.clone(),
        Op::Advance(12_983),
        Op::Advance(182),
        Op::Close(1),
        Op::Advance(335),
        add,
        Op::Stall(3),
    ];
    let w = run(&ops).unwrap_or_else(|e| panic!("{e}"));
    assert!(w
        .events()
        .iter()
        .any(|(_, e)| e.contains("did not rejoin before the rebalance timeout")));
    assert!(w.ownership().is_fenced("g", "c0"));
}
