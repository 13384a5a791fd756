//! The classic group protocol inside the full `Sim`: coordinator placement on the
//! `__consumer_offsets` leader, commits appended there, coordinator failover on broker death,
//! real fetches up to the HW, and the group view.

use grouplab_engine::api::command::Acks;
use grouplab_engine::group::GroupConfig;
use grouplab_engine::{Command, GroupView, Sim, SimConfig};

fn sim_with_topic(seed: u64, partitions: u32) -> Sim {
    let mut sim = Sim::new(SimConfig {
        seed,
        ..SimConfig::default()
    })
    .expect("sim");
    sim.apply(Command::CreateTopic {
        name: "orders".into(),
        partitions,
        replication_factor: 3,
        config: Default::default(),
    })
    .expect("topic");
    sim
}

fn group(sim: &Sim, gid: &str) -> GroupView {
    sim.view()
        .groups
        .into_iter()
        .find(|g| g.group_id == gid)
        .expect("group")
}

fn create_group(sim: &mut Sim, gid: &str, config: GroupConfig) {
    sim.apply(Command::CreateGroup {
        group_id: gid.into(),
        topics: vec!["orders".into()],
        config,
    })
    .expect("group");
}

fn add(sim: &mut Sim, gid: &str, client: &str) {
    sim.apply(Command::AddConsumer {
        group_id: gid.into(),
        client_id: Some(client.into()),
        topics: vec![], group_instance_id: None })
    .expect("add");
}

fn produce(sim: &mut Sim, n: u32) {
    sim.apply(Command::Produce {
        topic: "orders".into(),
        count: n,
        key: None,
        acks: Acks::All,
    })
    .expect("produce");
}

fn earliest() -> GroupConfig {
    GroupConfig {
        auto_offset_reset: grouplab_engine::group::AutoOffsetReset::Earliest,
        ..GroupConfig::default()
    }
}

#[test]
fn coordinator_is_the_offsets_partition_leader_and_commits_land_there() {
    let mut sim = sim_with_topic(1, 3);
    create_group(&mut sim, "my-group", earliest());
    add(&mut sim, "my-group", "c1");
    add(&mut sim, "my-group", "c2");
    produce(&mut sim, 300);
    sim.advance_to(30_000);
    let g = group(&sim, "my-group");
    assert_eq!(g.state, "Stable");
    // FACTS.md: my-group → __consumer_offsets partition 12.
    assert_eq!(
        grouplab_engine::kafka::hash::coordinator_partition("my-group", 50),
        12
    );
    assert_eq!(
        g.coordinator,
        sim.cluster().leader_of("__consumer_offsets", 12)
    );
    assert_eq!(g.delivery.distinct, 300);
    assert_eq!(g.delivery.duplicates, 0);
    // Auto commit wrote the final positions to __consumer_offsets (replicated below the HW).
    let committed = sim.cluster().committed_offsets("my-group");
    let total: u64 = committed.values().sum();
    assert_eq!(total, 300, "{committed:?}");
    for row in &g.lag {
        assert_eq!(row.committed_lag, Some(0));
        assert_eq!(row.position_lag, Some(0));
    }
    sim.check_invariants().expect("invariants");
}

#[test]
fn coordinator_broker_crash_moves_the_coordinator_and_keeps_offsets() {
    let mut sim = sim_with_topic(2, 3);
    create_group(&mut sim, "g", earliest());
    add(&mut sim, "g", "c1");
    add(&mut sim, "g", "c2");
    produce(&mut sim, 200);
    sim.advance_to(30_000);
    let before = group(&sim, "g");
    let old = before.coordinator.expect("coordinator");
    let committed_before = sim.cluster().committed_offsets("g");
    assert!(!committed_before.is_empty());
    sim.apply(Command::CrashBroker { broker: old })
        .expect("crash");
    // Unavailable until the controller fences the broker and elects a new leader.
    sim.advance_to(31_000);
    assert_eq!(group(&sim, "g").state, "Unknown");
    sim.advance_to(120_000);
    let after = group(&sim, "g");
    let new = after.coordinator.expect("new coordinator");
    assert_ne!(new, old);
    assert_eq!(after.state, "Stable");
    assert!(
        after.generation >= before.generation,
        "generation never goes back"
    );
    for ((t, p), o) in &committed_before {
        let now = sim.cluster().committed_offsets("g");
        assert!(
            now.get(&(t.clone(), *p)).is_some_and(|n| n >= o),
            "offset of {t}-{p} kept"
        );
    }
    for c in &after.consumers {
        assert_eq!(
            c.coordinator,
            Some(new),
            "{} rediscovered the coordinator",
            c.client_id
        );
    }
    produce(&mut sim, 100);
    sim.advance_to(180_000);
    let g = group(&sim, "g");
    assert_eq!(g.delivery.distinct, 300);
    assert_eq!(g.delivery.losses, 0);
    sim.check_invariants().expect("invariants");
}

#[test]
fn eager_gap_versus_cooperative_in_the_sim_view() {
    let gap_after_join = |strategies: Vec<String>| {
        let mut sim = sim_with_topic(3, 6);
        create_group(
            &mut sim,
            "g",
            GroupConfig {
                assignment_strategies: strategies,
                ..earliest()
            },
        );
        add(&mut sim, "g", "c1");
        add(&mut sim, "g", "c2");
        sim.advance_to(20_000);
        add(&mut sim, "g", "c3");
        sim.advance_to(40_000);
        let g = group(&sim, "g");
        assert_eq!(g.state, "Stable");
        assert_eq!(g.members.len(), 3);
        sim.check_invariants().expect("invariants");
        g.ownership.iter().filter(|o| o.gap_ms > 0).count()
    };
    let eager = gap_after_join(vec!["range".into()]);
    let cooperative = gap_after_join(vec!["cooperative-sticky".into()]);
    assert_eq!(eager, 6, "eager revokes every partition");
    assert!(
        cooperative < eager,
        "cooperative only moves what changes owner ({cooperative})"
    );
}

#[test]
fn stall_then_restart_and_strategy_change() {
    let mut sim = sim_with_topic(4, 4);
    create_group(
        &mut sim,
        "g",
        GroupConfig {
            max_poll_interval_ms: 30_000,
            ..earliest()
        },
    );
    add(&mut sim, "g", "c1");
    add(&mut sim, "g", "c2");
    sim.advance_to(10_000);
    sim.apply(Command::StallConsumer {
        client_id: "c1".into(),
    })
    .expect("stall");
    sim.advance_to(35_000);
    assert_eq!(
        group(&sim, "g").members.len(),
        2,
        "heartbeats keep a stalled member"
    );
    sim.advance_to(50_000);
    let g = group(&sim, "g");
    assert_eq!(g.members.len(), 1, "left after max.poll.interval.ms");
    assert!(
        sim.apply(Command::RestartConsumer {
            client_id: "c2".into()
        })
        .is_err(),
        "c2 is running"
    );
    sim.apply(Command::RestartConsumer {
        client_id: "c1".into(),
    })
    .expect("resume");
    sim.advance_to(70_000);
    assert_eq!(group(&sim, "g").members.len(), 2);
    // Switching straight to an assignor nobody else supports is refused by the coordinator.
    sim.apply(Command::SetGroupStrategy {
        group_id: "g".into(),
        strategies: vec!["roundrobin".into()],
    })
    .expect("strategy");
    assert!(sim
        .apply(Command::SetGroupStrategy {
            group_id: "g".into(),
            strategies: vec!["bogus".into()]
        })
        .is_err());
    sim.apply(Command::CloseConsumer {
        client_id: "c1".into(),
    })
    .expect("close");
    sim.advance_to(sim.now_ms() + 10_000);
    sim.apply(Command::RestartConsumer {
        client_id: "c1".into(),
    })
    .expect("restart");
    sim.advance_to(sim.now_ms() + 10_000);
    let mut lines = Vec::new();
    while let Some(e) = sim.poll_event() {
        lines.push(e.to_string());
    }
    assert!(
        lines
            .iter()
            .any(|l| l.contains("INCONSISTENT_GROUP_PROTOCOL")),
        "rejected join"
    );
    let g = group(&sim, "g");
    assert_eq!(g.members.len(), 1);
    assert!(g
        .consumers
        .iter()
        .any(|c| c.client_id == "c1" && c.lifecycle == "Closed"));
    // A proper rolling upgrade: first list both, then drop the old one.
    for strategies in [
        vec!["roundrobin".to_string(), "range".to_string()],
        vec!["roundrobin".to_string()],
    ] {
        sim.apply(Command::SetGroupStrategy {
            group_id: "g".into(),
            strategies,
        })
        .expect("strategy");
        for c in ["c1", "c2"] {
            if group(&sim, "g")
                .consumers
                .iter()
                .any(|x| x.client_id == c && x.lifecycle == "Running")
            {
                sim.apply(Command::CloseConsumer {
                    client_id: c.into(),
                })
                .expect("close");
                sim.advance_to(sim.now_ms() + 10_000);
            }
            sim.apply(Command::RestartConsumer {
                client_id: c.into(),
            })
            .expect("restart");
            sim.advance_to(sim.now_ms() + 20_000);
        }
    }
    let g = group(&sim, "g");
    assert_eq!(g.protocol.as_deref(), Some("roundrobin"));
    assert_eq!(g.members.len(), 2);
    sim.check_invariants().expect("invariants");
}

#[test]
fn commands_validate_and_change_nothing_on_error() {
    let mut sim = sim_with_topic(5, 2);
    let h = sim.state_hash();
    let bad = [
        Command::CreateGroup {
            group_id: "".into(),
            topics: vec![],
            config: GroupConfig::default(),
        },
        Command::CreateGroup {
            group_id: "g".into(),
            topics: vec![],
            config: GroupConfig {
                session_timeout_ms: 1_000,
                ..GroupConfig::default()
            },
        },
        Command::CreateGroup {
            group_id: "g".into(),
            topics: vec!["nope".into()],
            config: GroupConfig::default(),
        },
        Command::AddConsumer {
            group_id: "g".into(),
            client_id: None,
            topics: vec![], group_instance_id: None },
        Command::StallConsumer {
            client_id: "nobody".into(),
        },
        Command::RestartConsumer {
            client_id: "nobody".into(),
        },
        Command::SetGroupStrategy {
            group_id: "nope".into(),
            strategies: vec!["range".into()],
        },
    ];
    for c in bad {
        assert!(sim.apply(c.clone()).is_err(), "{c:?} should fail");
        assert_eq!(sim.state_hash(), h, "{c:?} changed state");
    }
    let json = r#"{"type":"create_group","group_id":"g","topics":["orders"],"config":{"session.timeout.ms":10000,"commit_mode":"manual_after","auto.offset.reset":"earliest"}}"#;
    let cmd: Command = serde_json::from_str(json).expect("parse");
    sim.apply(cmd).expect("create");
}

#[test]
fn same_seed_same_group_history() {
    let run = || {
        let mut sim = sim_with_topic(9, 4);
        create_group(&mut sim, "g", earliest());
        for c in ["a", "b", "c"] {
            add(&mut sim, "g", c);
        }
        produce(&mut sim, 500);
        sim.advance_to(20_000);
        sim.apply(Command::CrashConsumer {
            client_id: "b".into(),
        })
        .expect("crash");
        sim.advance_to(90_000);
        let mut lines = Vec::new();
        while let Some(e) = sim.poll_event() {
            lines.push(e.to_string());
        }
        (
            sim.state_hash(),
            lines,
            serde_json::to_string(&sim.view()).expect("json"),
        )
    };
    let (h1, l1, v1) = run();
    let (h2, l2, v2) = run();
    assert_eq!(h1, h2);
    assert_eq!(l1, l2);
    assert_eq!(v1, v2);
    assert!(l1
        .iter()
        .any(|l| l.contains("GROUP group g: heartbeat expired")));
}

#[test]
fn delivery_semantics_in_the_sim() {
    use grouplab_engine::group::CommitMode;
    let run = |mode: CommitMode| {
        let mut sim = sim_with_topic(11, 1);
        let config = GroupConfig {
            commit_mode: mode,
            processing_time_ms: 10,
            max_poll_records: 100,
            ..earliest()
        };
        create_group(&mut sim, "g", config);
        add(&mut sim, "g", "c1");
        sim.advance_to(10_000);
        produce(&mut sim, 100);
        // Replicated and fetched, half processed, then a hard crash.
        sim.advance_to(11_000);
        let g = group(&sim, "g");
        assert!(
            g.delivery.distinct > 0 && g.delivery.distinct < 100,
            "{:?}",
            g.delivery
        );
        sim.apply(Command::CrashConsumer {
            client_id: "c1".into(),
        })
        .expect("crash");
        add(&mut sim, "g", "c2");
        sim.advance_to(80_000);
        sim.check_invariants().expect("invariants");
        group(&sim, "g").delivery
    };
    let at_least_once = run(CommitMode::ManualAfter);
    assert_eq!(at_least_once.distinct, 100);
    assert!(at_least_once.duplicates > 0, "{at_least_once:?}");
    assert_eq!(at_least_once.losses, 0);
    let at_most_once = run(CommitMode::ManualBefore);
    assert!(at_most_once.losses > 0, "{at_most_once:?}");
    assert_eq!(at_most_once.duplicates, 0);
    assert_eq!(at_most_once.distinct + at_most_once.losses, 100);
}

#[test]
fn group_rebalance_scenario_file() {
    let json = include_str!("scenarios/group_rebalance.json");
    let run = grouplab_engine::Scenario::from_json(json)
        .expect("scenario")
        .run()
        .expect("run");
    assert!(run.rejected.is_empty(), "{:?}", run.rejected);
    run.sim.check_invariants().expect("invariants");
    let v = run.sim.view();
    let eager = v
        .groups
        .iter()
        .find(|g| g.group_id == "eager")
        .expect("eager");
    let coop = v
        .groups
        .iter()
        .find(|g| g.group_id == "cooperative")
        .expect("cooperative");
    for g in [eager, coop] {
        assert_eq!(g.state, "Stable");
        assert_eq!(
            g.members.len(),
            1,
            "{}: only the third consumer is left",
            g.group_id
        );
        assert_eq!(g.delivery.losses, 0);
        assert!(
            g.lag.iter().all(|r| r.committed_lag == Some(0)),
            "{}: {:?}",
            g.group_id,
            g.lag
        );
    }
    assert_eq!(eager.protocol.as_deref(), Some("range"));
    assert_eq!(coop.protocol.as_deref(), Some("cooperative-sticky"));
    // During the join of the third consumer (20 s..40 s): partitions released at some point.
    let released = |g: &GroupView| {
        g.ownership
            .iter()
            .filter(|o| {
                o.changes
                    .iter()
                    .any(|c| c.owner.is_none() && (20_000..40_000).contains(&c.at_ms))
            })
            .count()
    };
    assert_eq!(released(eager), 6, "eager revokes everything");
    assert!(
        released(coop) < 6,
        "cooperative revokes only what moves: {}",
        released(coop)
    );
    let lines: Vec<String> = run.events.iter().map(ToString::to_string).collect();
    assert!(lines.iter().any(|l| l.contains("heartbeat expired")));
}

/// `ClassicKafkaConsumer.poll` does not wait for a rebalance before `pollForFetches`: while a
/// rebalance is held open (here by a member stuck in processing, until its
/// `max.poll.interval.ms`), a cooperative member keeps processing the partitions it retains
/// (KIP-429, `ConsumerCoordinator.onJoinPrepare` revokes only under eager), an eager member
/// revoked everything and processes nothing. The engine used to stop every member until the
/// group was Stable again.
#[test]
fn during_a_held_open_rebalance_cooperative_members_keep_processing_and_eager_ones_do_not() {
    for (strategy, keeps_processing) in [("cooperative-sticky", true), ("range", false)] {
        let mut sim = sim_with_topic(8, 6);
        let config = GroupConfig { assignment_strategies: vec![strategy.into()], max_poll_interval_ms: 30_000, ..GroupConfig::default() };
        create_group(&mut sim, "g", config);
        add(&mut sim, "g", "A");
        add(&mut sim, "g", "B");
        sim.apply(Command::AddProducer { producer_id: None, topic: "orders".into(), rate_per_sec: 50, keys: Default::default(), acks: Acks::All, config: Default::default() }).unwrap();
        sim.advance_to(15_000);
        assert_eq!(group(&sim, "g").state, "Stable");
        sim.apply(Command::StallConsumer { client_id: "B".into() }).unwrap();
        add(&mut sim, "g", "C");
        sim.advance_to(20_000);
        let before = group(&sim, "g").delivery.processed;
        sim.advance_to(35_000);
        let g = group(&sim, "g");
        assert_eq!(g.state, "PreparingRebalance", "{strategy}: B holds the rebalance open");
        let a = g.consumers.iter().find(|c| c.client_id == "A").unwrap();
        let processed = g.delivery.processed - before;
        if keeps_processing {
            assert_eq!(a.assigned.len(), 3, "{strategy}: A keeps its partitions");
            assert!(processed > 200, "{strategy}: A processed {processed} records in 15 s");
        } else {
            assert!(a.assigned.is_empty(), "{strategy}: A revoked everything");
            assert_eq!(processed, 0, "{strategy}: nobody processes");
        }
    }
}

/// The eager `sticky` assignor is sticky: `StickyAssignor.subscriptionUserData` sends the
/// previous assignment and generation (kept by `onAssignment`), so when a member leaves the
/// others keep every partition they had and only the leaver's move. The engine used to send
/// nothing, and every rebalance reshuffled.
#[test]
fn the_eager_sticky_assignor_keeps_the_previous_assignment() {
    let mut sim = sim_with_topic(3, 12);
    let config = GroupConfig { assignment_strategies: vec!["sticky".into()], ..GroupConfig::default() };
    create_group(&mut sim, "g", config);
    for c in ["A", "B", "C", "D"] {
        add(&mut sim, "g", c);
    }
    sim.advance_to(20_000);
    let owned = |sim: &Sim, client: &str| -> Vec<(String, u32)> {
        let mut v = group(sim, "g").members.iter().find(|m| m.client_id == client).unwrap().assigned.clone();
        v.sort();
        v
    };
    let before: Vec<Vec<(String, u32)>> = ["A", "C", "D"].iter().map(|c| owned(&sim, c)).collect();
    assert!(before.iter().all(|p| p.len() == 3), "{before:?}");
    sim.apply(Command::CloseConsumer { client_id: "B".into() }).unwrap();
    sim.advance_to(40_000);
    assert_eq!(group(&sim, "g").state, "Stable");
    for (c, had) in ["A", "C", "D"].iter().zip(&before) {
        let now = owned(&sim, c);
        assert_eq!(now.len(), 4, "{c}: {now:?}");
        assert!(had.iter().all(|p| now.contains(p)), "{c} kept {had:?}, now {now:?}");
    }
}

/// KIP-345 static membership: the config for a group of three static members (`"auto"`: each
/// consumer's `client.id` is its `group.instance.id`).
fn static_group(sim: &mut Sim) {
    let config = GroupConfig { group_instance_id: Some("auto".into()), ..GroupConfig::default() };
    create_group(sim, "g", config);
    for c in ["S1", "S2", "S3"] {
        add(sim, "g", c);
    }
    sim.advance_to(20_000);
    assert_eq!(group(sim, "g").state, "Stable");
}

fn member<'a>(g: &'a GroupView, client: &str) -> &'a grouplab_engine::MemberView {
    g.members.iter().find(|m| m.client_id == client).unwrap_or_else(|| panic!("no member {client}"))
}

/// `updateStaticMemberThenRebalanceOrCompleteJoin`: a static member restarted within
/// `session.timeout.ms` takes its place back — new member id, same partitions, same generation,
/// no rebalance.
#[test]
fn a_static_member_restarted_within_the_session_timeout_gets_its_partitions_back_without_a_rebalance() {
    let mut sim = sim_with_topic(5, 6);
    static_group(&mut sim);
    let before = group(&sim, "g");
    let old = member(&before, "S2").clone();
    assert_eq!(old.group_instance_id.as_deref(), Some("S2"));
    assert!(old.member_id.starts_with("S2-"), "member ids of static members start with the instance id: {}", old.member_id);
    sim.apply(Command::CrashConsumer { client_id: "S2".into() }).unwrap();
    sim.advance_to(25_000);
    while sim.poll_event().is_some() {}
    sim.apply(Command::RestartConsumer { client_id: "S2".into() }).unwrap();
    let mut rebalances = 0;
    let mut replaced = 0;
    while let Some(d) = sim.next_deadline_ms().filter(|&d| d <= 40_000) {
        sim.advance_to(d);
        while let Some(e) = sim.poll_event() {
            match e.group() {
                Some(grouplab_engine::group::GroupEvent::RebalanceStarted { .. }) => rebalances += 1,
                Some(grouplab_engine::group::GroupEvent::StaticMemberReplaced { .. }) => replaced += 1,
                _ => {}
            }
        }
    }
    let after = group(&sim, "g");
    assert_eq!((rebalances, replaced), (0, 1));
    assert_eq!(after.state, "Stable");
    assert_eq!(after.generation, before.generation, "no new generation");
    let new = member(&after, "S2");
    assert_ne!(new.member_id, old.member_id);
    assert_eq!(new.assigned, old.assigned, "the same partitions");
    let consumer = after.consumers.iter().find(|c| c.client_id == "S2").unwrap();
    assert_eq!(consumer.assigned, old.assigned, "the restarted consumer reads them");
    sim.check_invariants().unwrap();
}

/// A static member sends no LeaveGroup on close (`shouldSendLeaveGroupRequest`): its partitions
/// wait for `session.timeout.ms`, then the group rebalances without it. A dynamic member leaves
/// at once.
#[test]
fn a_closed_static_member_holds_its_partitions_until_the_session_timeout() {
    let mut sim = sim_with_topic(5, 6);
    static_group(&mut sim);
    let generation = group(&sim, "g").generation;
    sim.apply(Command::CloseConsumer { client_id: "S2".into() }).unwrap();
    sim.advance_to(50_000);
    let g = group(&sim, "g");
    assert_eq!((g.members.len(), g.generation), (3, generation), "still a member 30 s later");
    sim.advance_to(90_000);
    let g = group(&sim, "g");
    assert_eq!(g.members.len(), 2, "removed after session.timeout.ms (45 s)");
    assert!(g.generation > generation);
    sim.check_invariants().unwrap();
}

/// Two consumers with one `group.instance.id`: the later one takes the instance over and the
/// earlier one is fenced (FENCED_INSTANCE_ID is fatal for it).
#[test]
fn a_second_consumer_with_the_same_instance_id_fences_the_first() {
    let mut sim = sim_with_topic(5, 6);
    create_group(&mut sim, "g", GroupConfig::default());
    for c in ["A", "B"] {
        sim.apply(Command::AddConsumer { group_id: "g".into(), client_id: Some(c.into()), topics: vec![], group_instance_id: Some("shared".into()) }).unwrap();
        sim.advance_to(if c == "A" { 20_000 } else { 40_000 });
    }
    let g = group(&sim, "g");
    assert_eq!(g.members.len(), 1);
    assert_eq!(member(&g, "B").group_instance_id.as_deref(), Some("shared"));
    let a = g.consumers.iter().find(|c| c.client_id == "A").unwrap();
    assert!(a.assigned.is_empty(), "{a:?}");
    assert!(a.fenced && a.member_state == "UNJOINED", "A stopped with FENCED_INSTANCE_ID: {a:?}");
    sim.check_invariants().unwrap();
}

/// A crashed broker's connections drop at once: a consumer whose coordinator it was marks the
/// coordinator unknown at the crash (`NetworkClient` disconnect → `markCoordinatorUnknown`),
/// not `request.timeout.ms` (30 s) later as when no answer ever comes.
#[test]
fn a_crashed_coordinators_consumers_mark_it_unknown_at_once() {
    let mut sim = sim_with_topic(7, 3);
    create_group(&mut sim, "g", GroupConfig::default());
    add(&mut sim, "g", "A");
    sim.advance_to(20_000);
    let coordinator = group(&sim, "g").coordinator.unwrap();
    while sim.poll_event().is_some() {}
    sim.apply(Command::CrashBroker { broker: coordinator }).unwrap();
    let mut unknown_at = None;
    while let Some(d) = sim.next_deadline_ms().filter(|&d| d <= 60_000) {
        sim.advance_to(d);
        while let Some(e) = sim.poll_event() {
            if let Some(grouplab_engine::group::GroupEvent::CoordinatorUnknown { client_id, .. }) = e.group() {
                if client_id == "A" && unknown_at.is_none() {
                    unknown_at = Some(e.at_ms);
                }
            }
        }
    }
    assert_eq!(unknown_at, Some(20_000), "the disconnect is seen at the crash");
}

/// `AbstractCoordinator.sendJoinGroupRequest`: a JoinGroup waits max(request.timeout.ms,
/// rebalance timeout + 5 s), so a rebalance held open longer than request.timeout.ms does not
/// time the JoinGroup out (the engine used 30 s for every request).
#[test]
fn a_join_group_waits_for_the_rebalance_timeout_not_the_request_timeout() {
    let mut sim = sim_with_topic(8, 4);
    let config = GroupConfig { max_poll_interval_ms: 60_000, ..GroupConfig::default() };
    create_group(&mut sim, "g", config);
    add(&mut sim, "g", "A");
    add(&mut sim, "g", "B");
    sim.advance_to(15_000);
    sim.apply(Command::StallConsumer { client_id: "B".into() }).unwrap();
    add(&mut sim, "g", "C");
    while sim.poll_event().is_some() {}
    let mut unknown = 0;
    while let Some(d) = sim.next_deadline_ms().filter(|&d| d <= 95_000) {
        sim.advance_to(d);
        while let Some(e) = sim.poll_event() {
            if matches!(e.group(), Some(grouplab_engine::group::GroupEvent::CoordinatorUnknown { .. })) {
                unknown += 1;
            }
        }
    }
    assert_eq!(unknown, 0, "no JoinGroup timed out while B held the rebalance open");
    assert_eq!(group(&sim, "g").state, "Stable");
}

/// KIP-1106 `auto.offset.reset=by_duration:<ISO-8601>` (`AutoOffsetResetStrategy.fromString`):
/// a new group starts at the first record no older than the duration (ListOffsets by
/// timestamp); a malformed value is refused with Kafka's message.
#[test]
fn by_duration_starts_at_the_records_of_the_last_duration() {
    let mut sim = sim_with_topic(9, 1);
    sim.apply(Command::AddProducer { producer_id: Some("p".into()), topic: "orders".into(), rate_per_sec: 10, keys: Default::default(), acks: Acks::All, config: Default::default() }).unwrap();
    sim.advance_to(30_000);
    sim.apply(Command::RemoveProducer { producer_id: "p".into() }).unwrap();
    let config: GroupConfig = serde_json::from_str(r#"{"auto.offset.reset": "by_duration:PT5S"}"#).unwrap();
    create_group(&mut sim, "g", config);
    add(&mut sim, "g", "A");
    while sim.poll_event().is_some() {}
    let mut reset = None;
    while let Some(d) = sim.next_deadline_ms().filter(|&d| d <= 45_000) {
        sim.advance_to(d);
        while let Some(e) = sim.poll_event() {
            if let Some(grouplab_engine::group::GroupEvent::OffsetReset { policy, offset, .. }) = e.group() {
                reset = Some((e.at_ms, policy.clone(), *offset));
            }
        }
    }
    let (at_ms, policy, offset) = reset.expect("a reset");
    assert_eq!(policy, "by_duration:PT5S");
    // 10 records/s from t=0 to t=30 s (offset n appended at about n × 100 ms): the first record
    // at or after `at_ms − 5 s`.
    let expected = (at_ms - 5_000).div_ceil(100) as i64;
    assert!((offset - expected).abs() <= 1 && offset < 300, "reset at {at_ms} ms to {offset}, expected about {expected}");
    let err = serde_json::from_str::<GroupConfig>(r#"{"auto.offset.reset": "by_duration:5s"}"#).unwrap_err().to_string();
    assert!(err.contains("must be either 'earliest', 'latest', 'none' or of the format 'by_duration:<PnDTnHnMn.nS.>'"), "{err}");
    assert!(serde_json::from_str::<GroupConfig>(r#"{"auto.offset.reset": "Latest"}"#).is_err(), "case-sensitive");
}

/// `auto.offset.reset=none` with no committed offset: `poll()` throws
/// NoOffsetForPartitionException to the application, shown on the consumer.
#[test]
fn auto_offset_reset_none_without_an_offset_is_an_error_on_the_consumer() {
    let mut sim = sim_with_topic(9, 1);
    let config: GroupConfig = serde_json::from_str(r#"{"auto.offset.reset": "none"}"#).unwrap();
    create_group(&mut sim, "g", config);
    add(&mut sim, "g", "A");
    sim.advance_to(20_000);
    let a = group(&sim, "g").consumers.into_iter().find(|c| c.client_id == "A").unwrap();
    assert_eq!(a.error.as_deref(), Some("NoOffsetForPartitionException: Undefined offset with no reset policy for partitions: [orders-0]"));
}

/// New partitions are noticed on the leader's next metadata refresh (`metadata.max.age.ms`,
/// 300 s by default; `ConsumerCoordinator.rejoinNeededOrPending`), not at once; with `latest`
/// the records written to them before that are skipped (FACTS-4x §13). The engine used to
/// rebalance at the `CreatePartitions`.
#[test]
fn new_partitions_wait_for_the_metadata_refresh_and_latest_skips_what_came_before() {
    let mut sim = sim_with_topic(10, 2);
    create_group(&mut sim, "g", GroupConfig::default());
    add(&mut sim, "g", "A");
    sim.advance_to(10_000);
    let generation = group(&sim, "g").generation;
    sim.apply(Command::CreatePartitions { topic: "orders".into(), count: 3 }).unwrap();
    sim.apply(Command::AddProducer { producer_id: None, topic: "orders".into(), rate_per_sec: 30, keys: grouplab_engine::producer::KeySpec::Random { count: 30 }, acks: Acks::All, config: Default::default() }).unwrap();
    sim.advance_to(200_000);
    let g = group(&sim, "g");
    assert_eq!(g.generation, generation, "no rebalance before the metadata refresh");
    assert_eq!(member(&g, "A").assigned.len(), 2);
    sim.advance_to(320_000);
    let g = group(&sim, "g");
    assert!(g.generation > generation, "the leader noticed at its refresh");
    assert_eq!(member(&g, "A").assigned.len(), 3);
    let lag = g.lag.iter().find(|r| r.partition == 2).unwrap();
    let consumed_from = sim.view().topics.iter().find(|t| t.name == "orders").unwrap().partitions[2].high_watermark;
    assert!(consumed_from > 500, "records were written to the new partition before it was assigned");
    let c = g.consumers.iter().find(|c| c.client_id == "A").unwrap();
    let pos = c.positions.iter().find(|p| p.1 == 2).map(|p| p.2).unwrap();
    assert!(pos > 500, "latest: the consumer starts near the HW, skipping what came before ({pos}, lag {lag:?})");
}

/// `group.max.size`: a new member of a full classic group gets GROUP_MAX_SIZE_REACHED, which
/// is fatal for it (`AbstractCoordinator.JoinGroupResponseHandler`); the engine used to answer
/// COORDINATOR_NOT_AVAILABLE, which a consumer retries forever.
#[test]
fn a_consumer_joining_a_full_group_gets_group_max_size_reached() {
    let mut sim = Sim::new(SimConfig { seed: 4, group_max_size: 2, ..SimConfig::default() }).unwrap();
    sim.apply(Command::CreateTopic { name: "orders".into(), partitions: 4, replication_factor: 3, config: Default::default() }).unwrap();
    create_group(&mut sim, "g", GroupConfig::default());
    for c in ["A", "B", "C"] {
        add(&mut sim, "g", c);
    }
    let mut failed = Vec::new();
    while let Some(d) = sim.next_deadline_ms().filter(|&d| d <= 20_000) {
        sim.advance_to(d);
        while let Some(e) = sim.poll_event() {
            if let Some(grouplab_engine::group::GroupEvent::Lifecycle { client_id, what }) = e.group() {
                if what.contains("GROUP_MAX_SIZE_REACHED") {
                    failed.push(client_id.clone());
                }
            }
        }
    }
    let g = group(&sim, "g");
    assert_eq!(g.members.len(), 2);
    assert_eq!(failed.len(), 1, "one consumer stopped with GROUP_MAX_SIZE_REACHED: {failed:?}");
    let err = Sim::new(SimConfig { group_max_size: 0, ..SimConfig::default() }).unwrap_err();
    assert!(err.to_string().contains("group.max.size"), "{err}");
}

/// `offsets.topic.replication.factor` above the broker count: `__consumer_offsets` is not
/// created (Kafka's `AutoTopicCreationManager` refuses), so a group never finds a coordinator
/// (COORDINATOR_NOT_AVAILABLE) and the view says why. The engine used to cap the factor.
#[test]
fn too_few_brokers_for_the_offsets_topic_leave_groups_without_a_coordinator() {
    let mut sim = Sim::new(SimConfig { seed: 1, brokers: 1, ..SimConfig::default() }).unwrap();
    sim.apply(Command::CreateTopic { name: "orders".into(), partitions: 2, replication_factor: 1, config: Default::default() }).unwrap();
    create_group(&mut sim, "g", GroupConfig::default());
    add(&mut sim, "g", "A");
    sim.advance_to(20_000);
    let v = sim.view();
    assert!(v.topics.iter().all(|t| t.name != "__consumer_offsets"));
    assert!(v.offsets_topic_error.as_deref().unwrap_or("").contains("does not meet the required replication factor '3' for the offsets topic"), "{:?}", v.offsets_topic_error);
    let g = group(&sim, "g");
    assert!(g.coordinator.is_none() && g.members.is_empty());
    // With offsets.topic.replication.factor=1 a single broker works.
    let mut sim = Sim::new(SimConfig { seed: 1, brokers: 1, offsets_topic_replication_factor: 1, ..SimConfig::default() }).unwrap();
    sim.apply(Command::CreateTopic { name: "orders".into(), partitions: 2, replication_factor: 1, config: Default::default() }).unwrap();
    create_group(&mut sim, "g", GroupConfig::default());
    add(&mut sim, "g", "A");
    sim.advance_to(20_000);
    assert_eq!(group(&sim, "g").state, "Stable");
}

/// KIP-211 offsets retention (`offsets.retention.minutes`, checked every
/// `offsets.retention.check.interval.ms`): once a group has been Empty that long its committed
/// offsets expire — tombstones in `__consumer_offsets` — and a consumer joining later starts
/// from `auto.offset.reset`; before that, it resumes from the committed offsets.
#[test]
fn committed_offsets_expire_after_the_group_has_been_empty_for_the_retention() {
    let run = |rejoin_at_ms: u64| {
        let mut sim = Sim::new(SimConfig { seed: 2, offsets_retention_minutes: 2, offsets_retention_check_interval_ms: 10_000, ..SimConfig::default() }).unwrap();
        sim.apply(Command::CreateTopic { name: "orders".into(), partitions: 1, replication_factor: 3, config: Default::default() }).unwrap();
        let config: GroupConfig = serde_json::from_str(r#"{"auto.offset.reset": "earliest"}"#).unwrap();
        create_group(&mut sim, "g", config);
        add(&mut sim, "g", "A");
        produce(&mut sim, 50);
        sim.advance_to(20_000);
        sim.apply(Command::CloseConsumer { client_id: "A".into() }).unwrap();
        sim.advance_to(30_000);
        assert_eq!(group(&sim, "g").state, "Empty");
        assert_eq!(sim.cluster().committed_offsets("g").get(&("orders".to_string(), 0)), Some(&50));
        sim.advance_to(rejoin_at_ms);
        let expired = sim.cluster().committed_offsets("g").is_empty();
        sim.apply(Command::RestartConsumer { client_id: "A".into() }).unwrap();
        sim.advance_to(rejoin_at_ms + 20_000);
        (expired, group(&sim, "g").delivery.duplicates)
    };
    // Empty from ~20 s; 2 minutes later the next 10 s tick (150 s) removes the offsets.
    assert_eq!(run(100_000), (false, 0), "within the retention the consumer resumes at offset 50");
    assert_eq!(run(200_000), (true, 50), "expired: earliest again, the 50 records are processed twice");
}

/// `updateStaticMemberThenRebalanceOrCompleteJoin` answers the rejoining static member once
/// the GroupMetadata record naming its new member id is committed (replicated), not at once.
#[test]
fn a_replaced_static_member_is_answered_after_its_group_metadata_is_replicated() {
    let mut sim = sim_with_topic(5, 6);
    static_group(&mut sim);
    sim.apply(Command::CrashConsumer { client_id: "S2".into() }).unwrap();
    sim.advance_to(25_000);
    while sim.poll_event().is_some() {}
    sim.apply(Command::RestartConsumer { client_id: "S2".into() }).unwrap();
    let (mut replaced, mut joined) = (None, None);
    while let Some(d) = sim.next_deadline_ms().filter(|&d| d <= 30_000) {
        sim.advance_to(d);
        while let Some(e) = sim.poll_event() {
            match e.group() {
                Some(grouplab_engine::group::GroupEvent::StaticMemberReplaced { .. }) => replaced = Some(e.at_ms),
                Some(grouplab_engine::group::GroupEvent::JoinedGeneration { client_id, .. }) if client_id == "S2" => joined = joined.or(Some(e.at_ms)),
                _ => {}
            }
        }
    }
    let (replaced, joined) = (replaced.unwrap(), joined.unwrap());
    // One network hop is 5 ms; the replication of the record takes at least a follower fetch round (50 ms).
    assert!(joined - replaced >= 50, "answered {} ms after the replacement", joined - replaced);
}

/// The view lists the group-protocol messages in flight (issue 13: the picture draws them):
/// a consumer's JoinGroup on its way to the coordinator, then the answer on its way back, with
/// send and delivery times one network latency apart.
#[test]
fn the_view_lists_the_messages_in_flight() {
    let mut sim = sim_with_topic(3, 2);
    create_group(&mut sim, "g", GroupConfig::default());
    add(&mut sim, "g", "A");
    let mut seen = Vec::new();
    while let Some(d) = sim.next_deadline_ms().filter(|&d| d <= 5_000) {
        sim.advance_to(d);
        for m in sim.view().messages {
            assert!(m.deliver_at_ms >= sim.now_ms() && m.sent_at_ms <= sim.now_ms(), "{m:?}");
            seen.push((m.api.clone(), m.response, m.from.clone(), m.to.clone(), m.error.clone()));
        }
    }
    assert!(seen.iter().any(|(api, resp, from, to, _)| api == "JoinGroup" && !resp && from == "client A" && to.starts_with("broker ")), "{seen:?}");
    assert!(seen.iter().any(|(api, resp, _, to, e)| api == "JoinGroup" && *resp && to == "client A" && e.as_deref() == Some("MEMBER_ID_REQUIRED")), "{seen:?}");
}

/// After a rebalance, the message history holds its exchange in delivery order, per group: the
/// first JoinGroup answered MEMBER_ID_REQUIRED, the rejoin, SyncGroup, then heartbeats; each
/// response after its request (same correlation id, later delivery). Another group's
/// messages are not listed under this one.
#[test]
fn the_message_history_keeps_a_rebalance_exchange() {
    let mut sim = sim_with_topic(3, 2);
    create_group(&mut sim, "g", GroupConfig::default());
    create_group(&mut sim, "h", GroupConfig::default());
    add(&mut sim, "g", "A");
    add(&mut sim, "h", "B");
    sim.advance_to(10_000);
    let all = sim.message_history(Some("g"), 0, 10_000);
    assert!(all.iter().all(|m| m.group_id == "g" && m.client_id == "A"), "{all:?}");
    let kinds: Vec<(&str, bool)> = all.iter().map(|m| (m.api.as_str(), m.response)).collect();
    let pos = |k: (&str, bool)| kinds.iter().position(|x| *x == k).unwrap_or_else(|| panic!("{k:?} missing in {kinds:?}"));
    assert!(pos(("FindCoordinator", false)) < pos(("FindCoordinator", true)));
    assert!(pos(("FindCoordinator", true)) < pos(("JoinGroup", false)));
    assert_eq!(all.iter().find(|m| m.api == "JoinGroup" && m.response).unwrap().error.as_deref(), Some("MEMBER_ID_REQUIRED"));
    assert!(pos(("JoinGroup", true)) < pos(("SyncGroup", false)) && pos(("SyncGroup", true)) < pos(("Heartbeat", false)));
    for r in all.iter().filter(|m| m.response) {
        let q = all.iter().find(|q| !q.response && q.correlation_id == r.correlation_id).expect("its request");
        assert!(q.deliver_at_ms <= r.sent_at_ms && r.sent_at_ms < r.deliver_at_ms, "{q:?} {r:?}");
    }
    assert!(all.windows(2).all(|w| w[0].deliver_at_ms <= w[1].deliver_at_ms));
    assert!(sim.message_history(Some("h"), 0, 10_000).iter().all(|m| m.client_id == "B"));
    assert!(sim.message_history(Some("g"), 20_000, 30_000).is_empty(), "nothing delivered after now");
    // Bounded: a long run keeps the last MESSAGE_HISTORY deliveries only.
    sim.advance_to(3_600_000);
    let kept = sim.message_history(None, 0, u64::MAX).len();
    assert_eq!(kept, grouplab_engine::sim::group_layer::MESSAGE_HISTORY);
}
