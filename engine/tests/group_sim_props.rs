//! Property test of the group layer inside the full `Sim`: random consumer joins (dynamic and
//! static members, some sharing one `group.instance.id`), crashes,
//! closes, stalls, restarts, strategy changes, produces, broker crashes/restarts (which move
//! the coordinator) and time. After every step: `Sim::check_invariants` (no partition owned
//! by two members of a group at any instant, cluster invariants), generations never
//! decrease while one coordinator serves the group (a new one loads the last committed
//! GroupMetadata, which may be older: `completeClassicGroupJoin` writes no record for a group with
//! members), and no acknowledged commit is lost across a coordinator failover: the new
//! coordinator's offset of a partition (committed, or loaded above its HW and applied when the
//! HW passes it) is never below the last offset acknowledged to a client (`Committed`, emitted
//! when `CoordinatorRuntime` releases the OffsetCommit response).
//!
//! Default: 200 sequences. More with `GROUPLAB_PROPTEST_CASES=N`.

use grouplab_engine::kernel::vecmap::VecMap;

use grouplab_engine::api::command::Acks;
use grouplab_engine::group::{GroupConfig, GroupEvent};
use grouplab_engine::group::client::GroupProtocol;
use grouplab_engine::{Command, EventKind, Sim, SimConfig};
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("GROUPLAB_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
        .map_or(200, |n| (n / 5).max(1))
}

#[derive(Clone, Debug)]
enum Op {
    Cmd(Box<Command>),
    Advance(u64),
}

impl Op {
    fn cmd(c: Command) -> Op {
        Op::Cmd(Box::new(c))
    }
}

fn client() -> impl Strategy<Value = String> {
    (0u32..4).prop_map(|n| format!("c{n}"))
}

fn strategies() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        Just(vec!["range".to_string(), "cooperative-sticky".to_string()]),
        Just(vec!["cooperative-sticky".to_string()]),
        Just(vec!["roundrobin".to_string(), "range".to_string()]),
        Just(vec!["sticky".to_string(), "range".to_string()]),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => client().prop_map(|c| Op::cmd(Command::AddConsumer { group_id: "g".into(), client_id: Some(c), topics: vec![], group_instance_id: None })),
        // Static members (KIP-345): their own instance id, or one shared id (the later fences the earlier).
        1 => client().prop_map(|c| Op::cmd(Command::AddConsumer { group_id: "g".into(), group_instance_id: Some(format!("i-{c}")), client_id: Some(c), topics: vec![] })),
        1 => client().prop_map(|c| Op::cmd(Command::AddConsumer { group_id: "g".into(), client_id: Some(c), topics: vec![], group_instance_id: Some("shared".into()) })),
        1 => client().prop_map(|client_id| Op::cmd(Command::CrashConsumer { client_id })),
        1 => client().prop_map(|client_id| Op::cmd(Command::CloseConsumer { client_id })),
        1 => client().prop_map(|client_id| Op::cmd(Command::StallConsumer { client_id })),
        2 => client().prop_map(|client_id| Op::cmd(Command::RestartConsumer { client_id })),
        1 => strategies().prop_map(|strategies| Op::cmd(Command::SetGroupStrategy { group_id: "g".into(), strategies })),
        // Consumers (re)started from then on speak the other protocol: with restarts, online
        // migrations both ways and mixed groups.
        1 => any::<bool>().prop_map(|consumer| Op::cmd(Command::SetGroupProtocol {
            group_id: "g".into(),
            protocol: if consumer { GroupProtocol::Consumer } else { GroupProtocol::Classic },
        })),
        2 => (1u32..200).prop_map(|count| Op::cmd(Command::Produce { topic: "t".into(), count, key: None, acks: Acks::All })),
        1 => (0u32..3).prop_map(|broker| Op::cmd(Command::CrashBroker { broker })),
        1 => (0u32..3).prop_map(|broker| Op::cmd(Command::RestartBroker { broker })),
        5 => prop_oneof![1u64..500, 500u64..10_000, 10_000u64..60_000].prop_map(Op::Advance),
    ]
}

/// The group under test speaks `protocol`: 0 classic eager (range), 1 classic
/// cooperative-sticky, 2 the consumer protocol (KIP-848).
fn setup(seed: u64, protocol: u8) -> Sim {
    let mut sim = Sim::new(SimConfig {
        seed,
        brokers: 3,
        offsets_topic_num_partitions: 3,
        group_consumer_session_timeout_ms: 10_000,
        group_consumer_heartbeat_interval_ms: 1_000,
        ..SimConfig::default()
    })
    .expect("sim");
    sim.apply(Command::CreateTopic {
        name: "t".into(),
        partitions: 4,
        replication_factor: 3,
        config: Default::default(),
    })
    .expect("topic");
    let mut config = GroupConfig {
        session_timeout_ms: 10_000,
        heartbeat_interval_ms: 1_000,
        max_poll_interval_ms: 20_000,
        max_poll_records: 50,
        processing_time_ms: 5,
        auto_offset_reset: grouplab_engine::group::AutoOffsetReset::Earliest,
        ..GroupConfig::default()
    };
    match protocol {
        1 => config.assignment_strategies = vec!["cooperative-sticky".into()],
        2 => config = config.with_protocol(grouplab_engine::group::client::GroupProtocol::Consumer),
        _ => {}
    }
    sim.apply(Command::CreateGroup {
        group_id: "g".into(),
        topics: vec!["t".into()],
        config,
    })
    .expect("group");
    sim
}

/// What the property test remembers between steps.
#[derive(Default)]
struct Seen {
    /// Highest generation per group under its current coordinator.
    max_generation: VecMap<String, i32>,
    /// Current coordinator per group.
    coordinator: VecMap<String, Option<u32>>,
    /// Group type (`Classic`, `Consumer`) per group.
    group_type: VecMap<String, String>,
    /// The last offset acknowledged to a client per (group, topic, partition).
    acked: VecMap<(String, String, u32), i64>,
}

fn check(sim: &mut Sim, seen: &mut Seen) -> Result<(), String> {
    sim.check_invariants()?;
    while let Some(e) = sim.poll_event() {
        if let EventKind::Group(GroupEvent::Committed { group_id, tp, offset, .. }) = e.kind {
            seen.acked.insert((group_id, tp.topic.to_string(), tp.partition), offset);
        }
    }
    for g in sim.view().groups {
        // The last coordinator that served the group (a group is without one between an unload
        // and the next load).
        let previous = if g.coordinator.is_some() { seen.coordinator.insert(g.group_id.clone(), g.coordinator).flatten() } else { None };
        if g.coordinator.is_some() && previous.is_some() && previous != g.coordinator {
            seen.max_generation.remove(&g.group_id);
            for ((gid, topic, partition), acked) in &seen.acked {
                if *gid != g.group_id {
                    continue;
                }
                let pending = g.pending_commits.iter().rev().find(|p| p.topic == *topic && p.partition == *partition).map(|p| p.offset);
                let committed = g.lag.iter().find(|l| l.topic == *topic && l.partition == *partition).and_then(|l| l.committed).map(|c| c as i64);
                let now = pending.or(committed);
                if now.is_none_or(|o| o < *acked) {
                    return Err(format!(
                        "group {gid}: coordinator {previous:?} -> {:?} lost the acknowledged commit {acked} of {topic}-{partition} (now {now:?})",
                        g.coordinator
                    ));
                }
            }
        }
        let converted = seen.group_type.insert(g.group_id.clone(), g.group_type.clone()).is_some_and(|t| t != g.group_type);
        if g.coordinator.is_none() || converted {
            // Unloaded: the next load (even by the same broker) is a new coordinator's tenure.
            // Converted: an Empty group of the other type starts its own epochs (an online
            // migration carries the generation over, but Kafka deletes an Empty group).
            seen.max_generation.remove(&g.group_id);
        } else {
            let seen = seen.max_generation.entry(g.group_id.clone()).or_insert(0);
            if g.generation < *seen {
                return Err(format!(
                    "group {} generation went back {} -> {}",
                    g.group_id, seen, g.generation
                ));
            }
            *seen = g.generation;
        }
    }
    Ok(())
}

/// Timers one simulated millisecond may fire: far above what these histories need (a few
/// hundred), far below a machine that keeps a deadline it handled due (it never lets the clock
/// move).
const MAX_FIRES_PER_STEP: usize = 1_000;

/// `common::advance_checked`, with the events drained by the check after every step, and a
/// stall (timers firing without the clock moving) failing instead of hanging.
fn advance_checked(sim: &mut Sim, delta_ms: u64, seen: &mut Seen) -> Result<(), String> {
    let target = sim.now_ms() + delta_ms;
    while let Some(next) = sim.next_deadline_ms() {
        if next > target {
            break;
        }
        sim.step_bounded(MAX_FIRES_PER_STEP).map_err(|s| {
            format!("stalled at {} ms: {} timers fired and the deadline {} ms is still due", s.now_ms, s.fires, s.deadline_ms)
        })?;
        check(sim, seen)?;
    }
    sim.advance_to(target);
    Ok(())
}

fn run(seed: u64, protocol: u8, ops: &[Op]) -> Result<Sim, TestCaseError> {
    let mut sim = setup(seed, protocol);
    let mut seen = Seen::default();
    for op in ops {
        match op {
            Op::Cmd(c) => {
                let before = sim.state_hash();
                if sim.apply(Command::clone(c)).is_err() {
                    prop_assert_eq!(
                        before,
                        sim.state_hash(),
                        "failed command changed state: {:?}",
                        c
                    );
                }
            }
            Op::Advance(d) => {
                advance_checked(&mut sim, *d, &mut seen).map_err(TestCaseError::fail)?;
            }
        }
        check(&mut sim, &mut seen).map_err(TestCaseError::fail)?;
    }
    // Liveness after the faults: the brokers are brought back, and 90 s later (past
    // every session, poll and rebalance timeout: a protocol switch puts `session.timeout.ms`
    // back to Kafka's 45 s, and a static member whose poll timed out sends no LeaveGroup, so
    // the coordinator removes it only when that session ends), if some consumer is running
    // normally, every partition has an owner.
    for broker in 0..3 {
        let _ = sim.apply(Command::RestartBroker { broker });
    }
    advance_checked(&mut sim, 90_000, &mut seen).map_err(TestCaseError::fail)?;
    check(&mut sim, &mut seen).map_err(TestCaseError::fail)?;
    let g = sim.view().groups.into_iter().find(|g| g.group_id == "g").expect("group");
    let healthy = g.consumers.iter().any(|c| c.lifecycle == "Running" && c.error.is_none() && !c.fenced);
    if healthy {
        // Zombies (fenced by the coordinator, not knowing it yet) still believe they own their
        // old partitions; the group's owners are the others, as `check_invariants` counts them.
        let owned: usize = g.consumers.iter().filter(|c| !c.fenced).map(|c| c.assigned.len()).sum();
        prop_assert_eq!(owned, 4, "after the faults every partition of t is owned: {:?}", g.consumers);
    }
    Ok(sim)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn group_layer_invariants_hold(seed in any::<u64>(), protocol in 0u8..3, ops in proptest::collection::vec(op(), 1..25)) {
        let a = run(seed, protocol, &ops)?;
        let b = run(seed, protocol, &ops)?;
        prop_assert_eq!(a.state_hash(), b.state_hash());
    }
}

/// Histories the property test once found failing, replayed on every run.
#[test]
fn regressions() {
    let add = |c: &str, instance: Option<&str>| {
        Op::cmd(Command::AddConsumer { group_id: "g".into(), client_id: Some(c.into()), topics: vec![], group_instance_id: instance.map(Into::into) })
    };
    // c0 joins; the protocol is switched; c2 joins, lives `c2_ms`, closes; c1 joins.
    let migration_both_ways = |c2_ms: u64| {
        vec![
            add("c0", None),
            Op::Advance(3_210),
            Op::cmd(Command::SetGroupProtocol { group_id: "g".into(), protocol: GroupProtocol::Consumer }),
            add("c2", None),
            Op::Advance(c2_ms),
            Op::cmd(Command::CloseConsumer { client_id: "c2".into() }),
            add("c1", None),
        ]
    };
    let cases: Vec<(u64, u8, Vec<Op>)> = vec![
        // A consumer-protocol member replacing a classic static member of a classic
        // cooperative group: the classic member left behind must get its partitions.
        (
            0,
            0,
            vec![
                Op::cmd(Command::Produce { topic: "t".into(), count: 46, key: None, acks: Acks::All }),
                Op::cmd(Command::SetGroupStrategy { group_id: "g".into(), strategies: vec!["cooperative-sticky".into()] }),
                add("c3", Some("shared")),
                Op::Advance(15_001),
                Op::Advance(455),
                Op::Advance(19_068),
                add("c0", None),
                Op::Advance(223),
                Op::cmd(Command::SetGroupProtocol { group_id: "g".into(), protocol: GroupProtocol::Consumer }),
                Op::Advance(573),
                add("c1", Some("shared")),
            ],
        ),
        // Consumer protocol from the start; the coordinators of the group crash one after the
        // other: c1 and c2 must not be left STABLE with an empty member id and nothing assigned.
        (
            1501999376756089004,
            2,
            vec![
                add("c2", None),
                Op::cmd(Command::CrashBroker { broker: 2 }),
                add("c1", None),
                Op::Advance(10_000),
                add("c3", Some("i-c3")),
                Op::cmd(Command::CloseConsumer { client_id: "c0".into() }),
                Op::Advance(1),
                Op::cmd(Command::CrashBroker { broker: 0 }),
                Op::Advance(5),
                Op::cmd(Command::CrashBroker { broker: 1 }),
                Op::Advance(100),
                add("c0", None),
            ],
        ),
        // A consumer-protocol member whose poll timer expires while its coordinator is unknown
        // leaves (LEAVING, its partitions lost) and waits for a coordinator to send the leave
        // heartbeat to: the expired poll timer must not stay due (the clock stopped at 20001 ms).
        (
            0,
            2,
            vec![
                add("c0", None),
                Op::cmd(Command::StallConsumer { client_id: "c0".into() }),
                Op::Advance(15_000),
                Op::cmd(Command::CrashBroker { broker: 0 }),
                Op::Advance(47_831),
            ],
        ),
        // Classic eager; a stalled static member (c1) does not rejoin before the rebalance
        // timeout and stays in the group, as Kafka keeps static members: the generation it
        // missed gives its old partition t-0 to c0, so what c1 still holds is stale, not a
        // second owner.
        (
            2581275831934225042,
            0,
            vec![
                Op::cmd(Command::CrashBroker { broker: 0 }),
                add("c2", Some("i-c2")),
                Op::Advance(3_132),
                add("c1", Some("i-c1")),
                Op::Advance(482),
                Op::Advance(37_124),
                add("c0", None),
                add("c3", Some("i-c3")),
                Op::Advance(399),
                Op::cmd(Command::StallConsumer { client_id: "c1".into() }),
                Op::cmd(Command::SetGroupProtocol { group_id: "g".into(), protocol: GroupProtocol::Classic }),
                Op::cmd(Command::CrashBroker { broker: 1 }),
                Op::Advance(2_472),
                Op::cmd(Command::StallConsumer { client_id: "c1".into() }),
            ],
        ),
        // Classic eager, online migration both ways in one instant: c2's join upgrades the
        // group (c0's target two partitions), c2's leave downgrades it (c0 holds its target,
        // as `fromConsumerGroup` gives it), then c0's SyncGroup answer of generation 1, on
        // its way all along, hands it all four. c1's join upgrades the group again and gets
        // t-2 and t-3: what c0 holds of generation 1 is stale (its heartbeat then fails with
        // ILLEGAL_GENERATION), not a second owner.
        (4796172874849866568, 0, migration_both_ways(10)),
        // The same, with c0's SyncGroup answer arriving while the group is a consumer group
        // (c0 at epoch 1): the downgrade puts c0 at generation 2 with its target, so what it
        // holds of generation 1 is stale from the downgrade on.
        (4796172874849866568, 0, migration_both_ways(15)),
    ];
    for (seed, protocol, ops) in cases {
        if let Err(e) = run(seed, protocol, &ops) {
            panic!("seed {seed}, protocol {protocol}: {e}");
        }
    }
}
