//! The two rebalance protocols side by side on the same fault: a third consumer joins a group of
//! two on six partitions. Figures (printed with `--nocapture`): the time from the join to every
//! consumer owning its final two partitions, and the partition-time without an owner. The
//! classic eager protocol stops the world (every partition unowned between revocation and
//! SyncGroup); cooperative-sticky and the consumer protocol move only the two partitions that
//! change owner.

use grouplab_engine::group::client::GroupProtocol;
use grouplab_engine::group::GroupConfig;
use grouplab_engine::{Command, GroupView, Sim, SimConfig};


fn group(sim: &Sim) -> GroupView {
    sim.view().groups.into_iter().find(|g| g.group_id == "g").unwrap()
}

/// Figures of one join at `join_at_ms`.
#[derive(Debug, Clone, Copy, Default)]
struct Figures {
    /// From the join until the three consumers own 2 partitions each and the group is Stable.
    stable_ms: u64,
    /// Partition-time without an owner after the join.
    unowned_ms: u64,
    /// Partitions that were without an owner at some point after the join.
    interrupted: usize,
    /// Partitions whose owner changed.
    moved: usize,
}

fn join_figures(config: GroupConfig, join_at_ms: u64) -> Figures {
    let mut sim = Sim::new(SimConfig { seed: 5, ..SimConfig::default() }).unwrap();
    sim.apply(Command::CreateTopic { name: "orders".into(), partitions: 6, replication_factor: 3, config: Default::default() }).unwrap();
    sim.apply(Command::CreateGroup { group_id: "g".into(), topics: vec!["orders".into()], config }).unwrap();
    for c in ["A", "B"] {
        sim.apply(Command::AddConsumer { group_id: "g".into(), client_id: Some(c.into()), topics: vec![], group_instance_id: None }).unwrap();
    }
    sim.advance_to(join_at_ms);
    let before: Vec<(u64, u64)> = group(&sim).ownership.iter().map(|o| (o.gap_ms, o.changes.len() as u64)).collect();
    let owners_before: Vec<Option<String>> = group(&sim).lag.iter().map(|l| l.owner.clone()).collect();
    sim.apply(Command::AddConsumer { group_id: "g".into(), client_id: Some("C".into()), topics: vec![], group_instance_id: None }).unwrap();
    let done = loop {
        let d = sim.next_deadline_ms().expect("a deadline");
        assert!(d < join_at_ms + 120_000, "never balanced");
        sim.advance_to(d);
        sim.check_invariants().unwrap();
        let g = group(&sim);
        if g.consumers.iter().all(|c| c.assigned.len() == 2) && g.state == "Stable" {
            break sim.now_ms() - join_at_ms;
        }
    };
    let g = group(&sim);
    // Partition-time without an owner since the join (open gaps up to now included).
    let gaps: Vec<u64> = g
        .ownership
        .iter()
        .zip(&before)
        .map(|(o, (gap_before, changes_before))| {
            let open = match o.changes.last() {
                Some(c) if c.owner.is_none() => sim.now_ms() - c.at_ms,
                _ => 0,
            };
            // A release and re-acquire by the same owner is a gap too (eager revokes all).
            let changed = o.changes.len() as u64 > *changes_before;
            (o.gap_ms - gap_before + open).max(u64::from(changed && o.gap_ms > *gap_before))
        })
        .collect();
    Figures {
        stable_ms: done,
        unowned_ms: gaps.iter().sum(),
        interrupted: gaps.iter().filter(|g| **g > 0).count(),
        moved: g.lag.iter().zip(&owners_before).filter(|(l, b)| l.owner != **b).count(),
    }
}

/// The mean figures over joins at several phases of the heartbeat cycles.
fn mean_figures(config: &GroupConfig) -> (Figures, Vec<Figures>) {
    let runs: Vec<Figures> = (0..6).map(|k| join_figures(config.clone(), 30_000 + k * 833)).collect();
    let n = runs.len() as u64;
    let mean = Figures {
        stable_ms: runs.iter().map(|f| f.stable_ms).sum::<u64>() / n,
        unowned_ms: runs.iter().map(|f| f.unowned_ms).sum::<u64>() / n,
        interrupted: runs.iter().map(|f| f.interrupted).max().unwrap_or(0),
        moved: runs.iter().map(|f| f.moved).max().unwrap_or(0),
    };
    (mean, runs)
}

#[test]
fn a_join_under_each_protocol() {
    let eager = mean_figures(&GroupConfig { assignment_strategies: vec!["range".into()], ..GroupConfig::default() });
    let cooperative = mean_figures(&GroupConfig { assignment_strategies: vec!["cooperative-sticky".into()], ..GroupConfig::default() });
    let consumer = mean_figures(&GroupConfig { group_protocol: GroupProtocol::Consumer, ..GroupConfig::default() });
    for (name, (f, runs)) in [("classic eager (range)", &eager), ("classic cooperative-sticky", &cooperative), ("consumer (KIP-848, uniform)", &consumer)] {
        let each: Vec<String> = runs.iter().map(|r| r.stable_ms.to_string()).collect();
        println!(
            "FIGURE join: {name:<28} everybody stable {:>5} ms after the join (runs: {}), {:>5} partition-ms unowned, {} partitions interrupted, {} moved",
            f.stable_ms, each.join(" "), f.unowned_ms, f.interrupted, f.moved
        );
    }
    // Eager stops the world: every partition goes without an owner. The incremental protocols
    // interrupt only the partitions that change owner; the others are consumed throughout.
    assert_eq!(eager.0.interrupted, 6, "{eager:?}");
    assert_eq!((cooperative.0.interrupted, cooperative.0.moved), (2, 2), "{cooperative:?}");
    assert_eq!((consumer.0.interrupted, consumer.0.moved), (2, 2), "{consumer:?}");
    // Under the consumer protocol the new member waits for its partitions until its next
    // heartbeat after they are released: at most group.consumer.heartbeat.interval.ms (5 s)
    // after the owner's revoking heartbeat, itself at most 5 s after the join.
    assert!(consumer.1.iter().all(|f| f.stable_ms <= 2 * 5_000 + 100), "{consumer:?}");
}
