//! Consumer-group benchmarks on big groups.
//!
//! * `rebalance_200_members`: a full rebalance cycle through the classic protocol
//!   (FindCoordinator, JoinGroup, SyncGroup) for 200 members of one group, from the first join
//!   until the group is `Stable`, then one member leaves (`LeaveGroup`) and the group
//!   rebalances back to `Stable`.
//! * `big_scenario_10s`: the browser's target load — 1,000 partitions × 200 consumers × 3 groups
//!   with a 2,000 records/s producer — for 10 s of simulated time.
//! * `big_view_after_20s`: one `Sim::view()` call on that scenario after 20 s of simulated time
//!   (the UI calls it on every render).

use criterion::{criterion_group, criterion_main, Criterion};
use grouplab_engine::api::command::{Acks, KeySpec};
use grouplab_engine::group::coordinator::GroupState;
use grouplab_engine::group::GroupEvent;
use grouplab_engine::group::GroupConfig;
use grouplab_engine::kafka::topic::TopicConfig;
use grouplab_engine::{Command, Scenario, Sim, SimConfig, TimedCommand};

const MEMBERS: usize = 200;

fn group_sim(partitions: u32) -> Sim {
    let mut sim = Sim::new(SimConfig { seed: 1, ..SimConfig::default() }).expect("valid config");
    sim.apply(Command::CreateTopic {
        name: "big".into(),
        partitions,
        replication_factor: 3,
        config: TopicConfig::default(),
    })
    .expect("topic");
    sim.apply(Command::CreateGroup {
        group_id: "g1".into(),
        topics: vec!["big".into()],
        config: GroupConfig::default(),
    })
    .expect("group");
    sim
}

/// Steps the sim until the group reaches `Stable` (at most `limit_ms` of simulated time).
/// Returns the simulated time it took.
fn until_stable(sim: &mut Sim, limit_ms: u64) -> u64 {
    let start = sim.now_ms();
    loop {
        let Some(d) = sim.next_deadline_ms() else { panic!("no work left before Stable") };
        assert!(d <= start + limit_ms, "group not Stable within {limit_ms} ms");
        sim.step();
        let mut stable = false;
        while let Some(e) = sim.poll_event() {
            if let Some(GroupEvent::StateChanged { to: GroupState::Stable, .. }) = e.group() {
                stable = true;
            }
        }
        if stable {
            return sim.now_ms() - start;
        }
    }
}

fn rebalance_cycle(c: &mut Criterion) {
    let mut g = c.benchmark_group("groups");
    g.sample_size(10);
    g.bench_function("rebalance_200_members", |b| {
        b.iter_batched(
            || group_sim(1000),
            |mut sim| {
                for _ in 0..MEMBERS {
                    sim.apply(Command::AddConsumer { group_id: "g1".into(), client_id: None, topics: vec![], group_instance_id: None })
                        .expect("consumer");
                }
                until_stable(&mut sim, 120_000);
                sim.apply(Command::CloseConsumer { client_id: "consumer-g1-1".into() }).expect("close");
                until_stable(&mut sim, 120_000);
                sim
            },
            criterion::BatchSize::LargeInput,
        )
    });
    g.finish();
}

/// The 1,000 partitions × 200 consumers × 3 groups scenario (`/work/briefs/big.json`).
pub fn big_scenario(run_until_ms: u64) -> Scenario {
    let at = |command| TimedCommand { at_ms: 0, command };
    let mut commands = vec![
        at(Command::CreateTopic {
            name: "big".into(),
            partitions: 1000,
            replication_factor: 3,
            config: TopicConfig::default(),
        }),
        at(Command::AddProducer {
            producer_id: None,
            topic: "big".into(),
            rate_per_sec: 2000,
            keys: KeySpec::Random { count: 5000 },
            acks: Acks::All,
            config: Default::default(),
        }),
    ];
    for gid in ["g1", "g2", "g3"] {
        commands.push(at(Command::CreateGroup {
            group_id: gid.into(),
            topics: vec!["big".into()],
            config: GroupConfig::default(),
        }));
    }
    for gid in ["g1", "g2", "g3"] {
        for _ in 0..MEMBERS {
            commands.push(at(Command::AddConsumer { group_id: gid.into(), client_id: None, topics: vec![], group_instance_id: None }));
        }
    }
    Scenario {
        name: "big".into(),
        description: String::new(),
        config: SimConfig { seed: 1, brokers: 3, ..SimConfig::default() },
        commands,
        run_until_ms: Some(run_until_ms),
    }
}

fn big_10s(c: &mut Criterion) {
    let scenario = big_scenario(10_000);
    let mut g = c.benchmark_group("groups");
    g.sample_size(10);
    g.bench_function("big_scenario_10s", |b| {
        b.iter(|| {
            let run = scenario.run().expect("scenario runs");
            assert!(run.rejected.is_empty(), "rejected: {:?}", run.rejected);
            run.sim.now_ms()
        })
    });
    g.finish();
}

fn big_view(c: &mut Criterion) {
    let run = big_scenario(20_000).run().expect("scenario runs");
    assert!(run.rejected.is_empty(), "rejected: {:?}", run.rejected);
    let sim = run.sim;
    let mut g = c.benchmark_group("groups");
    g.sample_size(20);
    g.bench_function("big_view_after_20s", |b| b.iter(|| sim.view()));
    g.finish();
}

criterion_group!(benches, rebalance_cycle, big_10s, big_view);
criterion_main!(benches);
