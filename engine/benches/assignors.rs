//! Criterion benchmarks of the sticky assignors at scale: 100 topics x 100 partitions and
//! 1,000 members with identical subscriptions (Kafka's constrained path), from scratch and
//! after one member leaves (owned = the previous assignment, next generation).

use grouplab_engine::kernel::vecmap::VecMap;

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use grouplab_engine::assign::{assign, MemberSubscription, Strategy};

const TOPICS: usize = 100;
const PARTITIONS: u32 = 100;
const MEMBERS: usize = 1_000;

fn topics() -> VecMap<String, u32> {
    (0..TOPICS).map(|t| (format!("topic-{t}"), PARTITIONS)).collect()
}

fn members(topics: &VecMap<String, u32>) -> Vec<MemberSubscription> {
    let names: Vec<String> = topics.keys().cloned().collect();
    (0..MEMBERS)
        .map(|i| MemberSubscription {
            id: format!("consumer-{i}"),
            topics: names.clone(),
            owned: Vec::new(),
            generation: None,
            instance_id: None,
            rack: None,
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let topics = topics();
    let fresh = members(&topics);
    for strategy in [Strategy::Sticky, Strategy::CooperativeSticky] {
        let name = strategy.kafka_name();
        c.bench_function(&format!("{name} 100x100 partitions, 1000 members, from scratch"), |b| {
            b.iter(|| assign(strategy, black_box(&topics), black_box(&fresh)).expect("assign"))
        });
        let previous = assign(strategy, &topics, &fresh).expect("assign");
        // One member leaves; the others report what they own, in the next generation.
        let after_leave: Vec<MemberSubscription> = fresh[1..]
            .iter()
            .map(|m| MemberSubscription { owned: previous[&m.id].clone(), generation: Some(1), ..m.clone() })
            .collect();
        c.bench_function(&format!("{name} 100x100 partitions, 1000 members, one member left"), |b| {
            b.iter(|| assign(strategy, black_box(&topics), black_box(&after_leave)).expect("assign"))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
