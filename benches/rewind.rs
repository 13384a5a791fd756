//! Rewinding the UI's timeline: [`Lab::seek`] to a random earlier moment of a one-hour history
//! (restore the latest snapshot at or before it, replay the script from there).
//!
//! Prints the history's snapshots once, then lets criterion time one backward seek. Issue 16's
//! target is ≤ 50 ms anywhere in a one-hour history (in the browser, whose wasm runs slower than
//! this native build).

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use grouplab::model::Lab;
use grouplab_engine::lesson::Lesson;
use grouplab_engine::Scenario;

/// One simulated hour.
const HOUR_MS: u64 = 3_600_000;

/// `scenario` run to `end_ms` in a [`Lab`] (snapshots taken on the way), reported once.
fn history(name: &str, mut scenario: Scenario, end_ms: u64) -> Lab {
    scenario.run_until_ms = Some(end_ms);
    let t0 = Instant::now();
    let mut lab = Lab::new(scenario).expect("the scenario runs");
    lab.advance_to(end_ms);
    println!(
        "{name}: {} simulated s built in {:.1} s; {} snapshots every {} ms, weight {}",
        end_ms / 1000,
        t0.elapsed().as_secs_f64(),
        lab.snapshot_count(),
        lab.snapshot_interval_ms(),
        lab.snapshot_weight()
    );
    lab
}

/// xorshift: the bench's own seeded choice of seek targets.
fn targets(seed: u64) -> impl FnMut(u64) -> u64 {
    let mut x = seed;
    move |below| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % below.max(1)
    }
}

fn bench_history(c: &mut Criterion, name: &str, scenario: Scenario, end_ms: u64) {
    let mut lab = history(name, scenario, end_ms);
    let mut next = targets(0x9E37_79B9_7F4A_7C15);
    let mut slowest = Duration::ZERO;
    c.bench_function(&format!("{name}: seek back to a random moment"), |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let target = next(end_ms);
                if target >= lab.now_ms() {
                    lab.seek(end_ms); // untimed: back to the end of the history
                }
                let t = Instant::now();
                lab.seek(target);
                let took = t.elapsed();
                assert_eq!(lab.now_ms(), target);
                slowest = slowest.max(took);
                total += took;
            }
            total
        })
    });
    println!("{name}: slowest seek {:.1} ms", slowest.as_secs_f64() * 1e3);
}

/// The what-if at scale (`tests/bench/whatif-scale.json`): ten backward seeks to uniform random
/// moments of its ten simulated minutes, timed once (each restores the snapshot at or before its
/// target and replays 600 consumers from there, so their spacing decides the time).
fn whatif_report() {
    let scenario = Scenario::from_json(include_str!("../tests/bench/whatif-scale.json")).expect("the what-if scenario");
    let end_ms = 600_000;
    let mut lab = history("what-if at scale", scenario, end_ms);
    let mut next = targets(7);
    // Uniform targets, visited latest first: every seek goes back.
    let mut at: Vec<u64> = (0..10).map(|_| next(end_ms)).collect();
    at.sort_by(|a, b| b.cmp(a));
    let mut took_ms: Vec<f64> = at
        .into_iter()
        .map(|target| {
            let t = Instant::now();
            lab.seek(target);
            let took_ms = t.elapsed().as_secs_f64() * 1e3;
            assert_eq!(lab.now_ms(), target);
            took_ms
        })
        .collect();
    took_ms.sort_by(f64::total_cmp);
    println!("what-if at scale: 10 backward seeks, median {:.0} ms, slowest {:.0} ms", took_ms[5], took_ms[9]);
}

fn bench(c: &mut Criterion) {
    if std::env::var("GROUPLAB_BENCH_SKIP_WHATIF").is_err() {
        whatif_report();
    }
    // The bundled "several groups" lesson (3 brokers, 3 partitions, two groups, four consumers).
    let lesson = Lesson::from_json("several-groups.json", include_str!("../static/scenarios/several-groups.json")).expect("a bundled lesson");
    bench_history(c, "one hour of several-groups", lesson.scenario(), HOUR_MS);
}

criterion_group!(benches, bench);
criterion_main!(benches);
