//! Throughput benchmark: a 100-partition topic, RF 3, three producers, simulated time.
//!
//! Prints (once) the figures for one simulated hour: simulated records per wall-clock second
//! and peak heap bytes per retained record (retention on), then lets criterion time a
//! one-minute window.

use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use grouplab_engine::api::command::{Acks, KeySpec};
use grouplab_engine::kafka::topic::TopicConfig;
use grouplab_engine::{Command, Sim, SimConfig};

const RATE_PER_PRODUCER: u32 = 20_000;

fn setup() -> Sim {
    let mut sim = Sim::new(SimConfig {
        seed: 1,
        detail_events: false,
        event_queue_capacity: 10_000,
        log_retention_check_interval_ms: 10_000,
        ..SimConfig::default()
    })
    .unwrap();
    sim.apply(Command::CreateTopic {
        name: "bench".into(),
        partitions: 100,
        replication_factor: 3,
        config: TopicConfig {
            min_insync_replicas: 2,
            retention_ms: 60_000,
            segment_ms: 10_000,
            ..Default::default()
        },
    })
    .unwrap();
    let keys = [KeySpec::None, KeySpec::Random { count: 1000 }, KeySpec::Fixed(vec!["a".into(), "b".into(), "c".into()])];
    for (i, k) in keys.into_iter().enumerate() {
        sim.apply(Command::AddProducer {
            producer_id: Some(format!("p{i}")),
            topic: "bench".into(),
            rate_per_sec: RATE_PER_PRODUCER,
            keys: k,
            acks: [Acks::All, Acks::One, Acks::All][i],
            config: Default::default(),
        })
        .unwrap();
    }
    sim
}

/// Run `duration_ms` of simulated time; returns (records produced, peak bytes per retained
/// replica record).
fn run(sim: &mut Sim, duration_ms: u64) -> (u64, f64) {
    let start = sim.now_ms();
    let mut peak = 0f64;
    let mut t = start;
    while t < start + duration_ms {
        t += 10_000;
        sim.advance_to(t);
        while sim.poll_event().is_some() {}
        let recs = sim.cluster().total_records();
        if recs > 0 {
            let b = sim.cluster().log_heap_bytes() as f64 / recs as f64;
            if b > peak {
                peak = b;
            }
        }
    }
    let v = sim.view();
    let produced: u64 = v.producers.iter().map(|p| p.appended).sum();
    let failed: u64 = v.producers.iter().map(|p| p.failed).sum();
    assert_eq!(failed, 0, "no produce failures expected: {:?}", v.producers);
    (produced, peak)
}

fn hour_report() {
    let mut sim = setup();
    let t0 = Instant::now();
    let (produced, peak) = run(&mut sim, 3_600_000);
    let secs = t0.elapsed().as_secs_f64();
    sim.check_invariants().unwrap();
    println!(
        "one simulated hour: {produced} records in {secs:.2} s wall = {:.2} M simulated records/s; \
         peak {peak:.1} heap bytes per retained replica record ({} B per Record struct); \
         retained replica records at end: {}",
        produced as f64 / secs / 1e6,
        std::mem::size_of::<grouplab_engine::cluster::Record>(),
        sim.cluster().total_records()
    );
}

fn bench(c: &mut Criterion) {
    if std::env::var("GROUPLAB_BENCH_SKIP_HOUR").is_err() {
        hour_report();
    }
    let mut g = c.benchmark_group("sim");
    g.sample_size(10);
    g.bench_function("100 partitions RF3 3 producers x 20k/s, 60 s simulated", |b| {
        b.iter_batched(setup, |mut sim| run(&mut sim, 60_000), criterion::BatchSize::LargeInput)
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
