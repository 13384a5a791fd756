//! Property-based state-machine test: random command sequences interleaved with random time
//! steps; the invariants are checked after every step.
//!
//! Default: 1,000 sequences. More with `GROUPLAB_PROPTEST_CASES=N`.

mod common;
use grouplab_engine::kernel::vecmap::VecMap;

use grouplab_engine::api::command::{Acks, KeySpec};
use grouplab_engine::kafka::topic::TopicConfig;
use grouplab_engine::{Command, Sim, SimConfig};
use proptest::prelude::*;

fn cases(default: u32) -> u32 {
    std::env::var("GROUPLAB_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
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

fn acks() -> impl Strategy<Value = Acks> {
    prop_oneof![Just(Acks::Zero), Just(Acks::One), Just(Acks::All)]
}

fn topic_name() -> impl Strategy<Value = String> {
    prop_oneof![Just("t1".to_string()), Just("t2".to_string()), Just("t.x".to_string()), Just("t_x".to_string()), Just("bad name".to_string())]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (topic_name(), 0u32..5, 0u16..4, 1u16..4, any::<bool>(), prop_oneof![Just(-1i64), Just(20_000i64)], any::<bool>()).prop_map(
            |(name, partitions, replication_factor, min_isr, unclean, retention_ms, compact)| Op::cmd(Command::CreateTopic {
                name,
                partitions,
                replication_factor,
                config: TopicConfig {
                    min_insync_replicas: min_isr,
                    unclean_leader_election_enable: unclean,
                    retention_ms,
                    segment_bytes: 1_048_576,
                    cleanup_policy: if compact { grouplab_engine::kafka::topic::CleanupPolicy::Compact } else { Default::default() },
                    ..Default::default()
                },
            })
        ),
        3 => (topic_name(), 1u32..50, proptest::option::of(prop_oneof![Just("a".to_string()), Just("b".to_string()), Just("c".to_string())]), acks())
            .prop_map(|(topic, count, key, acks)| Op::cmd(Command::Produce { topic, count, key, acks })),
        2 => (topic_name(), 1u32..300, prop_oneof![Just(KeySpec::None), Just(KeySpec::Random { count: 7 }), Just(KeySpec::Fixed(vec!["k".into(), "l".into()]))], acks())
            .prop_map(|(topic, rate_per_sec, keys, acks)| Op::cmd(Command::AddProducer { producer_id: None, topic, rate_per_sec, keys, acks, config: Default::default() })),
        1 => (1u32..4).prop_map(|n| Op::cmd(Command::RemoveProducer { producer_id: format!("producer-{n}") })),
        2 => (0u32..4).prop_map(|broker| Op::cmd(Command::CrashBroker { broker })),
        1 => (0u32..4).prop_map(|broker| Op::cmd(Command::ShutdownBroker { broker })),
        2 => (0u32..4).prop_map(|broker| Op::cmd(Command::RestartBroker { broker })),
        1 => (0u32..3, proptest::option::of(prop_oneof![Just(10u64), Just(500), Just(40_000)]))
            .prop_map(|(broker, fetch_delay_ms)| Op::cmd(Command::SetBrokerDelay { broker, fetch_delay_ms })),
        1 => (topic_name(), 0u32..7).prop_map(|(topic, count)| Op::cmd(Command::CreatePartitions { topic, count })),
        1 => (topic_name()).prop_map(|t| Op::cmd(Command::AddConsumer { group_id: "g".into(), client_id: None, topics: vec![t], group_instance_id: None })),
        1 => (1u32..4).prop_map(|n| Op::cmd(Command::CrashConsumer { client_id: format!("consumer-g-{n}") })),
        1 => (1u32..4).prop_map(|n| Op::cmd(Command::CloseConsumer { client_id: format!("consumer-g-{n}") })),
        6 => prop_oneof![1u64..200, 200u64..5_000, 5_000u64..40_000].prop_map(Op::Advance),
    ]
}

fn config(seed: u64) -> SimConfig {
    SimConfig {
        seed,
        brokers: 3,
        offsets_topic_num_partitions: 2,
        producer_tick_ms: 50,
        event_queue_capacity: 1_000,
        replica_lag_time_max_ms: 10_000,
        log_retention_check_interval_ms: 10_000,
        log_cleaner_backoff_ms: 5_000,
        // Segments of 20 records at the smallest segment.bytes (1 MiB, KIP-1030).
        record_size_bytes: 52_429,
        replica_fetch_max_bytes: 524_290_000,
        batch_size: 838_864,
        ..SimConfig::default()
    }
}

/// Leader-epoch-scoped HW monotonicity and the acks=all no-loss rule.
fn check(sim: &Sim, hw_seen: &mut VecMap<(String, u32), (u32, u64)>) -> Result<(), String> {
    sim.check_invariants()?;
    let c = sim.cluster();
    for t in &c.topics {
        for p in &t.partitions {
            let Some(leader) = p.leader else { continue };
            let hw = p.log_of(leader).map_or(0, |l| l.high_watermark());
            let key = (t.name.clone(), p.partition);
            if let Some(&(epoch, old)) = hw_seen.get(&key) {
                if epoch == p.leader_epoch && hw < old {
                    return Err(format!("{}-{}: HW went back {old} -> {hw} under epoch {epoch}", t.name, p.partition));
                }
            }
            hw_seen.insert(key, (p.leader_epoch, hw));
            if !t.config.unclean_leader_election_enable {
                for l in &p.lost {
                    let acks = c.producers[l.producer_id as usize].acks;
                    if acks == Acks::All && l.acknowledged {
                        return Err(format!("{}-{}: acknowledged acks=all record lost: {l:?}", t.name, p.partition));
                    }
                }
            }
        }
    }
    Ok(())
}

fn run(seed: u64, ops: &[Op]) -> Result<Sim, TestCaseError> {
    let mut sim = Sim::new(config(seed)).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mut hw_seen = VecMap::new();
    for op in ops {
        match op {
            Op::Cmd(c) => {
                let before = sim.state_hash();
                if sim.apply(Command::clone(c)).is_err() {
                    prop_assert_eq!(before, sim.state_hash(), "failed command changed state: {:?}", c);
                }
            }
            Op::Advance(d) => {
                common::advance_checked(&mut sim, *d, |sim| check(sim, &mut hw_seen))
                    .map_err(TestCaseError::fail)?;
            }
        }
        while sim.poll_event().is_some() {}
        check(&sim, &mut hw_seen).map_err(TestCaseError::fail)?;
    }
    Ok(sim)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(1000), max_shrink_iters: 2000, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold(seed in any::<u64>(), ops in proptest::collection::vec(op(), 1..30)) {
        run(seed, &ops)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(1000) / 5 + 1, ..ProptestConfig::default() })]

    #[test]
    fn deterministic(seed in any::<u64>(), ops in proptest::collection::vec(op(), 1..20)) {
        let a = run(seed, &ops)?;
        let b = run(seed, &ops)?;
        prop_assert_eq!(a.state_hash(), b.state_hash());
        prop_assert_eq!(a.view(), b.view());
    }
}

/// Any single broker crash with acks=all, RF 3, min.insync.replicas 2: no acknowledged
/// record is lost, whatever broker and whenever.
#[test]
fn single_crash_never_loses_acknowledged_records() {
    for broker in 0..3u32 {
        for crash_at in [1_000u64, 2_345, 5_010] {
            let mut sim = Sim::new(SimConfig { seed: broker as u64 * 31 + crash_at, ..SimConfig::default() }).unwrap();
            sim.apply(Command::CreateTopic {
                name: "orders".into(),
                partitions: 6,
                replication_factor: 3,
                config: TopicConfig { min_insync_replicas: 2, ..Default::default() },
            })
            .unwrap();
            sim.apply(Command::AddProducer { producer_id: None, topic: "orders".into(), rate_per_sec: 2_000, keys: KeySpec::Random { count: 100 }, acks: Acks::All, config: Default::default() }).unwrap();
            let mut hw_seen = VecMap::new();
            sim.advance_to(crash_at);
            sim.apply(Command::CrashBroker { broker }).unwrap();
            while sim.now_ms() < 40_000 {
                sim.step();
                while sim.poll_event().is_some() {}
                check(&sim, &mut hw_seen).unwrap();
            }
            sim.apply(Command::RestartBroker { broker }).unwrap();
            sim.advance_to(60_000);
            check(&sim, &mut hw_seen).unwrap();
            let t = sim.cluster().topic("orders").unwrap();
            for p in &t.partitions {
                assert!(p.lost.iter().all(|l| !l.acknowledged), "acknowledged record lost in orders-{}", p.partition);
                // After restart everyone is back in sync.
                assert_eq!(p.isr.len(), 3, "orders-{} isr {:?}", p.partition, p.isr);
            }
        }
    }
}
