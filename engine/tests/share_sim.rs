//! Share groups (KIP-932) in the whole simulation: share consumers heartbeating to the group
//! coordinator and fetching from the share-partitions on the partition leaders, records acquired
//! under locks, acknowledged, redelivered and archived. Invariants are checked after every step.

use grouplab_engine::api::command::Acks;
use grouplab_engine::group::share::settings::{AcknowledgementMode, OnFailure, ShareGroupSettings, ShareOffsetReset};
use grouplab_engine::{Command, Sim, SimConfig, ShareGroupView};

fn sim(partitions: u32) -> Sim {
    let mut sim = Sim::new(SimConfig { seed: 5, ..SimConfig::default() }).expect("sim");
    sim.apply(Command::CreateTopic { name: "jobs".into(), partitions, replication_factor: 3, config: Default::default() }).unwrap();
    sim
}

fn earliest() -> ShareGroupSettings {
    ShareGroupSettings { auto_offset_reset: ShareOffsetReset::Earliest, processing_time_ms: 10, ..ShareGroupSettings::default() }
}

fn create(sim: &mut Sim, gid: &str, settings: ShareGroupSettings) {
    sim.apply(Command::CreateShareGroup { group_id: gid.into(), topics: vec!["jobs".into()], config: settings }).unwrap();
}

fn add(sim: &mut Sim, gid: &str, client: &str) {
    sim.apply(Command::AddConsumer { group_id: gid.into(), client_id: Some(client.into()), topics: vec![], group_instance_id: None }).unwrap();
}

fn produce(sim: &mut Sim, count: u32, key: Option<&str>) {
    sim.apply(Command::Produce { topic: "jobs".into(), count, key: key.map(str::to_string), acks: Acks::All }).unwrap();
}

fn group(sim: &Sim, gid: &str) -> ShareGroupView {
    sim.view().share_groups.into_iter().find(|g| g.group_id == gid).unwrap()
}

/// Advances to `until`, one deadline at a time, checking the invariants after each.
fn run(sim: &mut Sim, until: u64) {
    while let Some(d) = sim.next_deadline_ms().filter(|&d| d <= until) {
        sim.advance_to(d);
        sim.check_invariants().unwrap_or_else(|e| panic!("at {} ms: {e}", sim.now_ms()));
    }
    sim.advance_to(until);
}

/// Produces `n` batches of 10 records (keys `k0`..`k6` in turn, or `poison` for the first record
/// of every `poison_every`-th batch) 100 ms apart, running the simulation in between.
fn produce_over(sim: &mut Sim, n: u32, poison_every: Option<u32>) {
    for i in 0..n {
        for j in 0..10 {
            let poison = j == 0 && poison_every.is_some_and(|e| i % e == 0);
            let key = if poison { "poison".to_string() } else { format!("k{}", (i * 10 + j) % 7) };
            produce(sim, 1, Some(&key));
        }
        let t = sim.now_ms() + 100;
        run(sim, t);
    }
}

/// One partition, share group `s` with these settings and consumers `A` and `B`, run to 6 s
/// (both members, the partition assigned to each).
fn a_and_b_started(settings: ShareGroupSettings) -> Sim {
    let mut sim = sim(1);
    create(&mut sim, "s", settings);
    add(&mut sim, "s", "A");
    add(&mut sim, "s", "B");
    run(&mut sim, 6_000);
    sim
}

fn consumer<'a>(g: &'a ShareGroupView, client: &str) -> &'a grouplab_engine::ShareConsumerView {
    g.consumers.iter().find(|c| c.client_id == client).unwrap()
}

/// Four consumers of one share group all read the topic's single partition (the simple
/// assignor gives each member the partition): none is idle, and every record is processed
/// exactly once. Per-key order is not kept across them.
#[test]
fn four_consumers_share_one_partition() {
    let mut sim = sim(1);
    create(&mut sim, "s", earliest());
    for c in ["A", "B", "C", "D"] {
        add(&mut sim, "s", c);
    }
    run(&mut sim, 6_000);
    produce_over(&mut sim, 100, None);
    run(&mut sim, 20_000);
    let g = group(&sim, "s");
    assert_eq!((g.state.as_str(), g.members.len()), ("Stable", 4), "{g:?}");
    for c in &g.consumers {
        assert_eq!(c.assigned, vec![("jobs".to_string(), 0)], "every member is assigned the partition: {c:?}");
        assert!(c.processed > 0, "nobody is idle: {c:?}");
    }
    let d = &g.delivery;
    assert_eq!((d.distinct, d.duplicates, d.losses, d.archived), (1_000, 0, 0, 0), "{d:?}");
    assert!(d.ordering_violations > 0, "records of one key are processed by several consumers at once: {d:?}");
    let p = &g.partitions[0];
    assert_eq!((p.start_offset, p.lag, p.in_flight.len()), (1_000, 0, 0), "{p:?}");
}

/// A consumer crashes holding acquired records: nobody gets them until their acquisition lock
/// expires (`share.record.lock.duration.ms`), then they are delivered again (delivery count 2),
/// and the crashed member is fenced at its session timeout. Records it had processed but not
/// yet acknowledged are processed twice.
#[test]
fn a_crashed_consumers_records_come_back_when_their_locks_expire() {
    let settings = ShareGroupSettings { processing_time_ms: 100, record_lock_duration_ms: Some(15_000), ..earliest() };
    let mut sim = a_and_b_started(settings);
    produce_over(&mut sim, 10, None);
    let at = sim.now_ms();
    let held = consumer(&group(&sim, "s"), "A").acquired;
    assert!(held > 0, "A holds records when it crashes");
    sim.apply(Command::CrashConsumer { client_id: "A".into() }).unwrap();
    run(&mut sim, at + 10_000);
    let g = group(&sim, "s");
    let locked: u64 = g.partitions[0].in_flight.iter().filter(|r| r.client_id.as_deref() == Some("A")).map(|r| r.last_offset - r.first_offset + 1).sum();
    assert!(locked > 0, "A's records stay locked to it until the lock expires: {:?}", g.partitions[0].in_flight);
    run(&mut sim, at + 60_000);
    let g = group(&sim, "s");
    assert_eq!(g.members.len(), 1, "A was fenced at its session timeout: {:?}", g.members);
    let d = &g.delivery;
    assert_eq!((d.distinct, d.losses, d.archived), (100, 0, 0), "every record is processed in the end: {d:?}");
    assert!(d.duplicates > 0, "what A processed but never acknowledged is processed again: {d:?}");
    assert_eq!(g.partitions[0].start_offset, 100);
}

/// `close()` acknowledges what was processed and leaves; what the consumer still held is
/// released at once, not after the lock duration.
#[test]
fn a_closed_consumer_releases_what_it_held() {
    let settings = ShareGroupSettings { processing_time_ms: 100, ..earliest() };
    let mut sim = a_and_b_started(settings);
    produce_over(&mut sim, 10, None);
    let at = sim.now_ms();
    sim.apply(Command::CloseConsumer { client_id: "A".into() }).unwrap();
    run(&mut sim, at + 200);
    let g = group(&sim, "s");
    assert!(g.partitions[0].in_flight.iter().all(|r| r.client_id.as_deref() != Some("A")), "nothing stays locked to A: {:?}", g.partitions[0].in_flight);
    run(&mut sim, at + 20_000);
    let d = group(&sim, "s").delivery;
    assert_eq!((d.distinct, d.duplicates, d.losses), (100, 0, 0), "{d:?}");
}

/// A poison record: its key always fails processing, the application releases it, and after
/// `share.delivery.count.limit` deliveries the share-partition archives it; the records behind
/// it are not blocked. With `on_failure: reject` it is archived at its first delivery.
#[test]
fn a_poison_record_is_archived_after_the_delivery_limit() {
    for (on_failure, deliveries) in [(OnFailure::Release, 5), (OnFailure::Reject, 1)] {
        let settings = ShareGroupSettings {
            acknowledgement_mode: AcknowledgementMode::Explicit,
            failing_keys: vec!["poison".into()],
            on_failure,
            ..earliest()
        };
        let mut sim = a_and_b_started(settings);
        produce_over(&mut sim, 20, Some(10));
        run(&mut sim, 30_000);
        let g = group(&sim, "s");
        let d = &g.delivery;
        assert_eq!((d.archived, d.distinct, d.losses), (2, 198, 0), "{on_failure:?}: {d:?}");
        let failed: u64 = g.consumers.iter().map(|c| c.failed).sum();
        assert_eq!(failed, 2 * deliveries, "{on_failure:?}: each poison record was delivered {deliveries} time(s)");
        assert_eq!(g.partitions[0].start_offset, 200, "{on_failure:?}");
    }
}

/// The partition leader crashes: a new leader recovers the share-partition from
/// `__share_group_state` (what was acquired becomes available again), the consumers fetch from
/// it, and every record is processed with none lost.
#[test]
fn a_new_partition_leader_recovers_the_share_partition() {
    let settings = ShareGroupSettings { processing_time_ms: 20, ..earliest() };
    let mut sim = a_and_b_started(settings);
    produce_over(&mut sim, 20, None);
    let leader = group(&sim, "s").partitions[0].leader.unwrap();
    sim.apply(Command::CrashBroker { broker: leader }).unwrap();
    // A new leader once the controller notices (broker.session.timeout.ms).
    let t = sim.now_ms() + 12_000;
    run(&mut sim, t);
    produce_over(&mut sim, 20, None);
    run(&mut sim, 90_000);
    let g = group(&sim, "s");
    assert_ne!(g.partitions[0].leader, Some(leader), "{:?}", g.partitions[0]);
    // Records the old leader had not replicated are gone with it (the producer sent them
    // without waiting): every record the log kept is processed.
    let p = &g.partitions[0];
    let d = &g.delivery;
    assert!(p.high_watermark >= 380, "{p:?}");
    assert_eq!((d.distinct, d.losses, d.archived), (p.high_watermark, 0, 0), "{d:?} {p:?}");
    assert_eq!((p.start_offset, p.lag), (p.high_watermark, 0));
    assert!(d.duplicates > 0, "what the old leader had handed out and not seen acknowledged is delivered again: {d:?}");
}

/// Bad share-group settings are refused with Kafka's message and change nothing.
#[test]
fn bad_share_group_settings_are_refused() {
    let mut sim = sim(1);
    let before = sim.state_hash();
    let bad = ShareGroupSettings { delivery_count_limit: Some(1), ..ShareGroupSettings::default() };
    let e = sim.apply(Command::CreateShareGroup { group_id: "s".into(), topics: vec!["jobs".into()], config: bad }).unwrap_err();
    assert!(e.to_string().contains("share.delivery.count.limit"), "{e}");
    assert_eq!(sim.state_hash(), before);
    sim.apply(Command::CreateGroup { group_id: "g".into(), topics: vec!["jobs".into()], config: Default::default() }).unwrap();
    let e = sim.apply(Command::CreateShareGroup { group_id: "g".into(), topics: vec!["jobs".into()], config: Default::default() }).unwrap_err();
    assert!(e.to_string().contains("consumer group"), "{e}");
}

/// The share consumers' messages are in the message history (the picture's tokens and the
/// sequence diagram): ShareGroupHeartbeat to the coordinator, ShareFetch to the leader.
#[test]
fn share_messages_are_remembered() {
    let mut sim = sim(1);
    create(&mut sim, "s", earliest());
    add(&mut sim, "s", "A");
    run(&mut sim, 6_000);
    produce_over(&mut sim, 2, None);
    let apis: Vec<String> = sim.message_history(Some("s"), 0, sim.now_ms()).into_iter().map(|m| m.api).collect();
    for api in ["FindCoordinator", "ShareGroupHeartbeat", "ShareFetch"] {
        assert!(apis.iter().any(|a| a == api), "{api} in {apis:?}");
    }
}

/// Records processed per second by 4 consumers on a 1-partition topic with a backlog of 8,000
/// records (10 ms of processing each), from the first record processed to the last: a consumer
/// group (classic or KIP-848) has one member owning the partition and three idle; a share
/// group's 4 members all read it. Figures printed with `--nocapture`.
#[test]
fn share_group_vs_consumer_group_throughput_on_one_partition() {
    const BACKLOG: u64 = 8_000;
    let backlog = |sim: &mut Sim| {
        for i in 0..BACKLOG / 100 {
            sim.apply(Command::Produce { topic: "jobs".into(), count: 100, key: Some(format!("k{i}")), acks: Acks::All }).unwrap();
        }
    };
    // Seconds from the first record processed until the whole backlog is (the group's join
    // and assignment before it are not counted).
    let drain_s = |sim: &mut Sim, processed: &dyn Fn(&Sim) -> u64| -> f64 {
        let mut start = None;
        while processed(sim) < BACKLOG {
            let d = sim.next_deadline_ms().expect("a deadline");
            assert!(d < 600_000, "never drained");
            sim.advance_to(d);
            if start.is_none() && processed(sim) > 0 {
                start = Some(sim.now_ms());
            }
        }
        (sim.now_ms() - start.unwrap_or(0)) as f64 / 1000.0
    };
    let mut figures = Vec::new();
    for protocol in ["classic", "consumer"] {
        let mut sim = sim(1);
        backlog(&mut sim);
        let config: grouplab_engine::group::GroupConfig = serde_json::from_value(serde_json::json!({
            "group.protocol": protocol, "auto.offset.reset": "earliest", "processing_time_ms": 10
        }))
        .unwrap();
        sim.apply(Command::CreateGroup { group_id: "g".into(), topics: vec!["jobs".into()], config }).unwrap();
        for c in ["A", "B", "C", "D"] {
            add(&mut sim, "g", c);
        }
        let secs = drain_s(&mut sim, &|s: &Sim| s.view().groups[0].delivery.distinct);
        let busy = sim.view().groups[0].consumers.iter().filter(|c| !c.assigned.is_empty()).count();
        figures.push((format!("consumer group ({protocol})"), secs, busy));
    }
    let mut sim = sim(1);
    backlog(&mut sim);
    create(&mut sim, "s", earliest());
    for c in ["A", "B", "C", "D"] {
        add(&mut sim, "s", c);
    }
    let secs = drain_s(&mut sim, &|s: &Sim| s.view().share_groups[0].delivery.distinct);
    let g = group(&sim, "s");
    let busy = g.consumers.iter().filter(|c| c.processed > 0).count();
    figures.push(("share group".to_string(), secs, busy));
    for (what, secs, busy) in &figures {
        println!("FIGURE 1 partition, 4 consumers, {BACKLOG} records × 10 ms: {what:<26} {secs:>6.1} s = {:>5.0} records/s, {busy} consumer(s) working", BACKLOG as f64 / secs);
    }
    let share = figures[2].1;
    for (what, secs, busy) in &figures[..2] {
        assert_eq!(*busy, 1, "{what}: one member owns the partition");
        assert!(*secs > 2.5 * share, "{what} {secs} s vs the share group's {share} s");
    }
    assert_eq!(figures[2].2, 4, "every share consumer works");
    assert_eq!(g.delivery.duplicates, 0);
}


/// `share.auto.offset.reset`: a new share group starts at the high watermark by default
/// (`latest`: only records produced from now on), at the log start with `earliest`.
#[test]
fn a_new_share_group_starts_where_share_auto_offset_reset_says() {
    for (reset, expect) in [(ShareOffsetReset::Latest, 10), (ShareOffsetReset::Earliest, 30)] {
        let mut sim = sim(1);
        produce(&mut sim, 20, Some("old"));
        run(&mut sim, 1_000);
        create(&mut sim, "s", ShareGroupSettings { auto_offset_reset: reset.clone(), ..ShareGroupSettings::default() });
        add(&mut sim, "s", "A");
        run(&mut sim, 7_000);
        produce(&mut sim, 10, Some("new"));
        run(&mut sim, 15_000);
        let g = group(&sim, "s");
        assert_eq!(g.delivery.distinct, expect, "{reset:?}: {:?}", g.partitions);
        assert_eq!(g.partitions[0].start_offset, 30);
    }
}

/// `max.poll.interval.ms`: a share consumer whose application stops polling (stalled with
/// records in hand) leaves the group when its poll timer expires, as `KafkaShareConsumer` does
/// (`PollTimeoutExpired`, a leave with epoch -1): the broker releases what it held at once, well
/// before the acquisition locks would expire, and another member takes it. When the
/// application polls again the consumer joins again with epoch 0.
#[test]
fn a_share_consumer_that_stops_polling_leaves_and_joins_again_when_it_polls() {
    let settings = ShareGroupSettings { processing_time_ms: 100, record_lock_duration_ms: Some(60_000), max_poll_interval_ms: 20_000, ..earliest() };
    let mut sim = a_and_b_started(settings);
    produce_over(&mut sim, 10, None);
    let at = sim.now_ms();
    assert!(consumer(&group(&sim, "s"), "A").acquired > 0, "A holds records when it stalls");
    sim.apply(Command::StallConsumer { client_id: "A".into() }).unwrap();
    run(&mut sim, at + 19_000);
    let g = group(&sim, "s");
    assert_eq!(g.members.len(), 2, "A is still a member before its poll timer expires: {:?}", g.members);
    run(&mut sim, at + 21_000);
    let g = group(&sim, "s");
    assert_eq!(consumer(&g, "A").member_state, "STALE", "{:?}", consumer(&g, "A"));
    assert_eq!(g.members.len(), 1, "A left on its poll timer: {:?}", g.members);
    assert!(g.partitions[0].in_flight.iter().all(|r| r.client_id.as_deref() != Some("A")), "what A held was released at once: {:?}", g.partitions[0].in_flight);
    let mut expired = Vec::new();
    while let Some(e) = sim.poll_event() {
        if e.to_string().contains("max.poll.interval.ms expired") {
            expired.push(e.to_string());
        }
    }
    assert_eq!(expired.len(), 1, "{expired:?}");
    assert!(expired[0].contains("A: max.poll.interval.ms expired"), "{expired:?}");
    run(&mut sim, at + 30_000);
    let d = group(&sim, "s").delivery;
    assert_eq!((d.distinct, d.losses), (100, 0), "B processed what A held: {d:?}");
    sim.apply(Command::RestartConsumer { client_id: "A".into() }).unwrap();
    run(&mut sim, at + 40_000);
    let g = group(&sim, "s");
    assert_eq!(g.members.len(), 2, "A joined again at its next poll: {:?}", g.members);
    assert_eq!(consumer(&g, "A").member_state, "STABLE");
}

/// The state partition of `jobs-0` for share group `s`, and that partition's view.
fn state_partition(sim: &Sim) -> (u32, grouplab_engine::api::view::PartitionView) {
    use grouplab_engine::kafka::hash::{coordinator_partition, share_coordinator_key};
    let p = coordinator_partition(&share_coordinator_key("s", &grouplab_engine::kafka::topic::topic_id("jobs"), 0), 50);
    let v = sim.view();
    let t = v.topics.iter().find(|t| t.name == "__share_group_state").expect("the state topic exists");
    (p, t.partitions[p as usize].clone())
}

/// `__share_group_state` is a topic of the cluster, created with the first share group: 50
/// partitions, internal, not compacted. Every state write of `jobs-0` is a record on its state
/// partition (`Utils.abs(hashCode("s:<topic id>:0")) % 50`). When the broker leading that
/// partition dies, the share-partition's writes wait until a new leader is elected, then go
/// there; every record is still processed exactly once.
#[test]
fn share_state_lives_on_a_partition_of_share_group_state() {
    let mut sim = sim(1);
    assert!(sim.view().topics.iter().all(|t| t.name != "__share_group_state"), "created on first use");
    create(&mut sim, "s", earliest());
    let v = sim.view();
    let t = v.topics.iter().find(|t| t.name == "__share_group_state").expect("created with the share group");
    assert!(t.internal && t.partitions.len() == 50 && t.cleanup_policy == "delete", "{:?}", (t.internal, t.partitions.len(), &t.cleanup_policy));
    add(&mut sim, "s", "A");
    add(&mut sim, "s", "B");
    run(&mut sim, 6_000);
    produce_over(&mut sim, 10, None);
    let (p, before) = state_partition(&sim);
    assert!(before.log_end_offset > 0, "state writes are records on __share_group_state-{p}: {before:?}");
    let Some(state_leader) = before.leader else { panic!("__share_group_state-{p} has a leader") };
    sim.apply(Command::CrashBroker { broker: state_leader }).unwrap();
    let at = sim.now_ms();
    produce_over(&mut sim, 10, None);
    run(&mut sim, at + 30_000);
    let (_, after) = state_partition(&sim);
    assert!(after.leader.is_some_and(|l| l != state_leader), "a new leader for __share_group_state-{p}: {after:?}");
    assert!(after.log_end_offset > before.log_end_offset, "the writes went on on the new leader: {before:?} → {after:?}");
    let d = group(&sim, "s").delivery;
    assert_eq!((d.distinct, d.losses), (200, 0), "{d:?}");
    assert_eq!(group(&sim, "s").partitions[0].start_offset, 200);
}

/// A new share-partition leader recovers its state from its share coordinator: while every
/// replica of the state's `__share_group_state` partition is down, the share-partition on its
/// new leader stays uninitialized (nothing is delivered from it), and it recovers, with nothing
/// lost, when the state replicas come back. (4 brokers; a seed is searched whose placement puts
/// one replica of `jobs-0` outside the state partition's three.)
#[test]
fn a_share_partition_waits_for_its_share_coordinator_to_recover() {
    for seed in 1..200 {
        let mut sim = Sim::new(SimConfig { seed, brokers: 4, ..SimConfig::default() }).expect("sim");
        sim.apply(Command::CreateTopic { name: "jobs".into(), partitions: 1, replication_factor: 2, config: Default::default() }).unwrap();
        create(&mut sim, "s", earliest());
        let (p, state) = state_partition(&sim);
        let jobs = sim.view().topics.iter().find(|t| t.name == "jobs").unwrap().partitions[0].clone();
        // The jobs-0 replica outside the state partition's replicas, and the jobs-0 leader among them.
        let Some(&outside) = jobs.replicas.iter().find(|b| !state.replicas.contains(b)) else { continue };
        if !jobs.leader.is_some_and(|l| state.replicas.contains(&l)) {
            continue;
        }
        add(&mut sim, "s", "A");
        run(&mut sim, 6_000);
        produce_over(&mut sim, 5, None);
        let t = sim.now_ms() + 5_000;
        run(&mut sim, t);
        assert_eq!(group(&sim, "s").delivery.distinct, 50, "seed {seed}: {:?}", group(&sim, "s"));
        let at = sim.now_ms();
        for b in &state.replicas {
            sim.apply(Command::CrashBroker { broker: *b }).unwrap();
        }
        run(&mut sim, at + 15_000);
        produce_over(&mut sim, 5, None);
        run(&mut sim, at + 40_000);
        let jobs_now = sim.view().topics.iter().find(|t| t.name == "jobs").unwrap().partitions[0].clone();
        assert_eq!(jobs_now.leader, Some(outside), "seed {seed}: jobs-0 moved to broker {outside}");
        let g = group(&sim, "s");
        assert_eq!(g.delivery.distinct, 50, "seed {seed}: nothing is delivered from jobs-0 while __share_group_state-{p} is down: {:?}", g.partitions[0]);
        assert!(g.partitions[0].lag >= 50, "seed {seed}: {:?}", g.partitions[0]);
        for b in &state.replicas {
            sim.apply(Command::RestartBroker { broker: *b }).unwrap();
        }
        run(&mut sim, at + 100_000);
        let g = group(&sim, "s");
        assert_eq!((g.delivery.distinct, g.delivery.losses, g.delivery.duplicates), (100, 0, 0), "seed {seed}: {:?}", g.delivery);
        assert_eq!(g.partitions[0].start_offset, 100, "seed {seed}: {:?}", g.partitions[0]);
        return;
    }
    panic!("no seed below 200 places the replicas as the test needs");
}
