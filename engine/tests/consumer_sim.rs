//! Consumer-protocol groups (KIP-848) in the whole simulation: consumers speaking
//! `ConsumerGroupHeartbeat` over the network to the coordinator on the `__consumer_offsets`
//! leader, with fetching, processing and commits as for classic groups. Invariants are checked
//! after every step.

use grouplab_engine::group::client::GroupProtocol;
use grouplab_engine::group::GroupConfig;
use grouplab_engine::{Command, GroupView, Sim, SimConfig};

fn sim(partitions: u32) -> Sim {
    let mut sim = Sim::new(SimConfig { seed: 3, ..SimConfig::default() }).expect("sim");
    sim.apply(Command::CreateTopic { name: "orders".into(), partitions, replication_factor: 3, config: Default::default() }).unwrap();
    sim
}

fn consumer_protocol() -> GroupConfig {
    GroupConfig { group_protocol: GroupProtocol::Consumer, ..GroupConfig::default() }
}

fn create(sim: &mut Sim, gid: &str, config: GroupConfig) {
    sim.apply(Command::CreateGroup { group_id: gid.into(), topics: vec!["orders".into()], config }).unwrap();
}

fn add(sim: &mut Sim, gid: &str, client: &str) {
    sim.apply(Command::AddConsumer { group_id: gid.into(), client_id: Some(client.into()), topics: vec![], group_instance_id: None }).unwrap();
}

fn group(sim: &Sim, gid: &str) -> GroupView {
    sim.view().groups.into_iter().find(|g| g.group_id == gid).unwrap()
}

/// Advances to `until`, one deadline at a time, checking the invariants after each.
fn run(sim: &mut Sim, until: u64) {
    while let Some(d) = sim.next_deadline_ms().filter(|&d| d <= until) {
        sim.advance_to(d);
        sim.check_invariants().unwrap_or_else(|e| panic!("at {} ms: {e}", sim.now_ms()));
    }
    sim.advance_to(until);
}

fn owned(g: &GroupView, client: &str) -> usize {
    g.consumers.iter().find(|c| c.client_id == client).map_or(0, |c| c.assigned.len())
}

/// Two consumers of a consumer-protocol group split six partitions 3/3 with no JoinGroup at
/// all: the first owns everything at once (no initial rebalance delay), the second gets its
/// three only after the first revoked them.
#[test]
fn consumer_protocol_members_share_partitions_without_a_join_barrier() {
    let mut sim = sim(6);
    create(&mut sim, "g", consumer_protocol());
    add(&mut sim, "g", "A");
    run(&mut sim, 1_000);
    let g = group(&sim, "g");
    assert_eq!(owned(&g, "A"), 6, "{g:?}");
    add(&mut sim, "g", "B");
    run(&mut sim, 15_000);
    let g = group(&sim, "g");
    assert_eq!((owned(&g, "A"), owned(&g, "B")), (3, 3), "{:?}", g.consumers);
    let apis: Vec<String> = sim.message_history(Some("g"), 0, 15_000).into_iter().map(|m| m.api).collect();
    assert!(apis.iter().any(|a| a == "ConsumerGroupHeartbeat"));
    assert!(!apis.iter().any(|a| a == "JoinGroup" || a == "SyncGroup"), "no classic barrier: {apis:?}");
}

/// A crashed member is fenced after the session timeout (45 s); the survivor then owns all.
#[test]
fn a_crashed_member_is_fenced_after_the_session_timeout() {
    let mut sim = sim(4);
    create(&mut sim, "g", consumer_protocol());
    add(&mut sim, "g", "A");
    add(&mut sim, "g", "B");
    run(&mut sim, 20_000);
    sim.apply(Command::CrashConsumer { client_id: "B".into() }).unwrap();
    run(&mut sim, 50_000);
    assert_eq!(owned(&group(&sim, "g"), "A"), 2, "B still holds its partitions on the coordinator until its session ends");
    run(&mut sim, 80_000);
    assert_eq!(owned(&group(&sim, "g"), "A"), 4);
}

/// Closing sends the leave heartbeat (-1): the partitions move at once.
#[test]
fn a_closed_member_leaves_at_once() {
    let mut sim = sim(4);
    create(&mut sim, "g", consumer_protocol());
    add(&mut sim, "g", "A");
    add(&mut sim, "g", "B");
    run(&mut sim, 20_000);
    sim.apply(Command::CloseConsumer { client_id: "B".into() }).unwrap();
    run(&mut sim, 22_000);
    assert_eq!(owned(&group(&sim, "g"), "A"), 4);
}

/// Classic membership settings cannot be set on a consumer-protocol group, and a remote
/// assignor not on a classic one (`checkUnsupportedConfigsPostProcess`).
#[test]
fn classic_only_settings_are_refused_with_kafkas_message() {
    let mut sim = sim(2);
    let bad = GroupConfig { heartbeat_interval_ms: 1_000, ..consumer_protocol() };
    let e = sim.apply(Command::CreateGroup { group_id: "g".into(), topics: vec!["orders".into()], config: bad }).unwrap_err();
    assert!(e.to_string().ends_with("heartbeat.interval.ms cannot be set when group.protocol=CONSUMER"), "{e}");
    let bad = GroupConfig { group_remote_assignor: Some("range".into()), ..GroupConfig::default() };
    let e = sim.apply(Command::CreateGroup { group_id: "g".into(), topics: vec!["orders".into()], config: bad }).unwrap_err();
    assert!(e.to_string().ends_with("group.remote.assignor cannot be set when group.protocol=CLASSIC"), "{e}");
}

/// The broker's `group.consumer.*` settings: the heartbeat interval the coordinator returns,
/// and Kafka's checks of the values.
#[test]
fn broker_settings_of_consumer_groups_are_read_and_checked() {
    let config: SimConfig = serde_json::from_str(r#"{"seed": 1, "group.consumer.heartbeat.interval.ms": 2000, "group.consumer.session.timeout.ms": 6000}"#).unwrap();
    let mut sim = Sim::new(config).unwrap();
    sim.apply(Command::CreateTopic { name: "orders".into(), partitions: 2, replication_factor: 3, config: Default::default() }).unwrap();
    create(&mut sim, "g", consumer_protocol());
    add(&mut sim, "g", "A");
    add(&mut sim, "g", "B");
    run(&mut sim, 5_000);
    sim.apply(Command::CrashConsumer { client_id: "B".into() }).unwrap();
    run(&mut sim, 5_000 + 6_000 + 2_100);
    assert_eq!(owned(&group(&sim, "g"), "A"), 2, "B fenced after the broker's 6 s session, A heartbeats every 2 s");
    for bad in [
        r#"{"group.consumer.heartbeat.interval.ms": 50000}"#,
        r#"{"group.consumer.assignors": ["sticky"]}"#,
        r#"{"group.consumer.assignors": ["range", "range"]}"#,
        r#"{"group.consumer.migration.policy": "sometimes"}"#,
    ] {
        let config: SimConfig = serde_json::from_str(bad).unwrap();
        let e = Sim::new(config).err().unwrap_or_else(|| panic!("{bad} accepted"));
        assert!(e.to_string().contains("group.consumer."), "{bad}: {e}");
    }
}

/// The coordinator's broker crashes: the new leader of the group's `__consumer_offsets`
/// partition loads the group from its records (members, epochs, target and current
/// assignments), the members find it and carry on where they were: same epoch, same partitions.
#[test]
fn a_consumer_group_is_reloaded_from_its_records_on_coordinator_failover() {
    let mut sim = sim(4);
    create(&mut sim, "g", consumer_protocol());
    add(&mut sim, "g", "A");
    add(&mut sim, "g", "B");
    run(&mut sim, 20_000);
    let before = group(&sim, "g");
    assert_eq!(before.state, "Stable");
    let old = before.coordinator.expect("a coordinator");
    let epochs: Vec<Option<i32>> = before.members.iter().map(|m| m.member_epoch).collect();
    sim.apply(Command::CrashBroker { broker: old }).unwrap();
    run(&mut sim, 60_000);
    let after = group(&sim, "g");
    assert_ne!(after.coordinator, Some(old), "another broker coordinates the group");
    assert_eq!(after.state, "Stable", "{after:?}");
    assert_eq!(after.group_epoch, before.group_epoch, "no member was lost: the group epoch is unchanged");
    assert_eq!(after.members.iter().map(|m| m.member_epoch).collect::<Vec<_>>(), epochs);
    assert_eq!((owned(&after, "A"), owned(&after, "B")), (owned(&before, "A"), owned(&before, "B")));
}

/// A static member (`group.instance.id`) of a consumer-protocol group that closes sends epoch
/// -2 and keeps its partitions; restarted within the session timeout it takes them back under
/// a new member id, without a new group epoch (KIP-848 static membership).
#[test]
fn a_static_member_restarts_into_its_partitions_without_a_new_epoch() {
    let mut sim = sim(4);
    let config = GroupConfig { group_instance_id: Some("auto".into()), ..consumer_protocol() };
    create(&mut sim, "g", config);
    add(&mut sim, "g", "A");
    add(&mut sim, "g", "B");
    run(&mut sim, 20_000);
    let before = group(&sim, "g");
    let b_parts = owned(&before, "B");
    sim.apply(Command::CloseConsumer { client_id: "B".into() }).unwrap();
    run(&mut sim, 22_000);
    let away = group(&sim, "g");
    let b = away.members.iter().find(|m| m.client_id == "B").expect("B stays a member while away");
    assert_eq!((b.member_epoch, b.assigned.len()), (Some(-2), b_parts), "{b:?}");
    assert_eq!(owned(&away, "A"), owned(&before, "A"), "A does not get B's partitions");
    sim.apply(Command::RestartConsumer { client_id: "B".into() }).unwrap();
    run(&mut sim, 30_000);
    let back = group(&sim, "g");
    assert_eq!(back.group_epoch, before.group_epoch, "no new group epoch");
    assert_eq!(owned(&back, "B"), b_parts);
    assert_ne!(back.members.iter().find(|m| m.client_id == "B").unwrap().member_id, b.member_id, "a new member id");
}

/// The protocol each member speaks: `true` for the consumer protocol (`upgraded` in
/// `--members --verbose`), `false` for classic; `None` in a classic group.
fn upgraded(g: &GroupView, client: &str) -> Option<bool> {
    g.members.iter().find(|m| m.client_id == client).and_then(|m| m.upgraded)
}

fn restart(sim: &mut Sim, client: &str) {
    sim.apply(Command::CloseConsumer { client_id: client.into() }).unwrap();
    sim.apply(Command::RestartConsumer { client_id: client.into() }).unwrap();
}

/// `set_group_protocol` then a rolling restart: the first consumer-protocol member converts
/// the running classic group into a consumer group (its generation as the group epoch, the
/// classic member keeping its partitions and speaking JoinGroup/SyncGroup/Heartbeat to it),
/// the group is mixed while the restart rolls, and the same restart back to classic downgrades
/// it when its last consumer-protocol member leaves. No partition has two owners at any step.
#[test]
fn a_rolling_restart_migrates_a_running_group_online_and_back() {
    let mut sim = sim(4);
    create(&mut sim, "g", GroupConfig::default());
    add(&mut sim, "g", "A");
    add(&mut sim, "g", "B");
    run(&mut sim, 20_000);
    let g = group(&sim, "g");
    assert_eq!((g.group_type.as_str(), g.state.as_str()), ("Classic", "Stable"));
    let generation = g.generation;
    sim.apply(Command::SetGroupProtocol { group_id: "g".into(), protocol: GroupProtocol::Consumer }).unwrap();
    restart(&mut sim, "A");
    run(&mut sim, 35_000);
    let g = group(&sim, "g");
    assert_eq!((g.group_type.as_str(), g.state.as_str()), ("Consumer", "Stable"), "{g:?}");
    assert!(g.group_epoch.unwrap() > generation, "the group epoch continues from the generation: {g:?}");
    assert_eq!((upgraded(&g, "A"), upgraded(&g, "B")), (Some(true), Some(false)), "mixed: {g:?}");
    assert_eq!((owned(&g, "A"), owned(&g, "B")), (2, 2), "{g:?}");
    restart(&mut sim, "B");
    run(&mut sim, 50_000);
    let g = group(&sim, "g");
    assert_eq!((g.group_type.as_str(), g.state.as_str()), ("Consumer", "Stable"), "{g:?}");
    assert_eq!((upgraded(&g, "A"), upgraded(&g, "B")), (Some(true), Some(true)));
    assert_eq!((owned(&g, "A"), owned(&g, "B")), (2, 2));
    // And back: A restarts classic (a classic member of the consumer group), then B's leave
    // leaves only classic members, and the group becomes a classic group that rebalances.
    sim.apply(Command::SetGroupProtocol { group_id: "g".into(), protocol: GroupProtocol::Classic }).unwrap();
    restart(&mut sim, "A");
    run(&mut sim, 65_000);
    let g = group(&sim, "g");
    assert_eq!((g.group_type.as_str(), upgraded(&g, "A"), upgraded(&g, "B")), ("Consumer", Some(false), Some(true)), "{g:?}");
    assert_eq!((owned(&g, "A"), owned(&g, "B")), (2, 2), "{g:?}");
    restart(&mut sim, "B");
    run(&mut sim, 90_000);
    let g = group(&sim, "g");
    assert_eq!((g.group_type.as_str(), g.state.as_str()), ("Classic", "Stable"), "{g:?}");
    assert_eq!((owned(&g, "A"), owned(&g, "B")), (2, 2), "{g:?}");
    let delivery = &g.delivery;
    assert_eq!(delivery.losses, 0, "{delivery:?}");
}

/// A static classic member restarted with the consumer protocol (no LeaveGroup: KIP-345)
/// converts the running cooperative group and replaces its classic self under its
/// `group.instance.id`, with the same subscription; the conversion still bumps the group epoch
/// (Kafka computes the subscription metadata the conversion left unset), so a new target is
/// computed and the classic member, told by its Heartbeat to rejoin, joins the new epoch.
#[test]
fn a_static_member_restarting_with_the_consumer_protocol_upgrades_the_group_to_a_new_epoch() {
    let mut sim = sim(4);
    let config = GroupConfig { group_instance_id: Some("auto".into()), assignment_strategies: vec!["cooperative-sticky".into()], ..GroupConfig::default() };
    create(&mut sim, "g", config);
    add(&mut sim, "g", "A");
    add(&mut sim, "g", "B");
    run(&mut sim, 20_000);
    let g = group(&sim, "g");
    assert_eq!((g.group_type.as_str(), g.state.as_str(), owned(&g, "A"), owned(&g, "B")), ("Classic", "Stable", 2, 2), "{g:?}");
    let generation = g.generation;
    sim.apply(Command::SetGroupProtocol { group_id: "g".into(), protocol: GroupProtocol::Consumer }).unwrap();
    restart(&mut sim, "A");
    run(&mut sim, 35_000);
    let g = group(&sim, "g");
    assert_eq!((g.group_type.as_str(), g.state.as_str()), ("Consumer", "Stable"), "{g:?}");
    assert_eq!(g.group_epoch, Some(generation + 1), "one bump for the conversion: {g:?}");
    assert_eq!((upgraded(&g, "A"), upgraded(&g, "B")), (Some(true), Some(false)), "{g:?}");
    assert!(g.members.iter().all(|m| m.member_epoch == Some(generation + 1)), "both members at the new epoch: {g:?}");
    let b = g.consumers.iter().find(|c| c.client_id == "B").expect("B");
    assert_eq!(b.generation, generation + 1, "B rejoined: {b:?}");
    assert_eq!((owned(&g, "A"), owned(&g, "B")), (2, 2), "{g:?}");
}

/// With `group.consumer.migration.policy=disabled` a running group is not migrated: the
/// consumer-protocol member is told the group is no consumer group (GROUP_ID_NOT_FOUND) and
/// its application closes it; a drained group still changes protocol when its first member of
/// the other protocol arrives, in both directions.
#[test]
fn with_migration_disabled_only_a_drained_group_changes_protocol() {
    let mut sim = Sim::new(SimConfig { seed: 3, group_consumer_migration_policy: "DISABLED".into(), ..SimConfig::default() }).expect("sim");
    sim.apply(Command::CreateTopic { name: "orders".into(), partitions: 4, replication_factor: 3, config: Default::default() }).unwrap();
    create(&mut sim, "g", GroupConfig::default());
    add(&mut sim, "g", "A");
    add(&mut sim, "g", "B");
    run(&mut sim, 20_000);
    sim.apply(Command::SetGroupProtocol { group_id: "g".into(), protocol: GroupProtocol::Consumer }).unwrap();
    restart(&mut sim, "A");
    run(&mut sim, 30_000);
    let g = group(&sim, "g");
    assert_eq!(g.group_type, "Classic");
    let a = g.consumers.iter().find(|c| c.client_id == "A").unwrap();
    assert_eq!(a.lifecycle, "Closed", "poll() threw and the application closed the consumer: {a:?}");
    sim.apply(Command::CloseConsumer { client_id: "B".into() }).unwrap();
    run(&mut sim, 32_000);
    assert_eq!(group(&sim, "g").state, "Empty");
    sim.apply(Command::RestartConsumer { client_id: "A".into() }).unwrap();
    sim.apply(Command::RestartConsumer { client_id: "B".into() }).unwrap();
    run(&mut sim, 50_000);
    let g = group(&sim, "g");
    assert_eq!((g.group_type.as_str(), g.state.as_str()), ("Consumer", "Stable"), "{g:?}");
    assert_eq!((owned(&g, "A"), owned(&g, "B")), (2, 2));
    // A classic member of a running consumer group is refused too.
    sim.apply(Command::SetGroupProtocol { group_id: "g".into(), protocol: GroupProtocol::Classic }).unwrap();
    restart(&mut sim, "A");
    run(&mut sim, 60_000);
    let g = group(&sim, "g");
    assert_eq!(g.group_type, "Consumer");
    assert_eq!(g.consumers.iter().find(|c| c.client_id == "A").unwrap().lifecycle, "Closed");
    sim.apply(Command::CloseConsumer { client_id: "B".into() }).unwrap();
    run(&mut sim, 62_000);
    sim.apply(Command::RestartConsumer { client_id: "A".into() }).unwrap();
    run(&mut sim, 80_000);
    let g = group(&sim, "g");
    assert_eq!((g.group_type.as_str(), g.state.as_str(), owned(&g, "A")), ("Classic", "Stable", 4), "{g:?}");
}


/// Like every coordinator write, the records a heartbeat writes go to the group's
/// `__consumer_offsets` partition and the answer waits until they are replicated (the HW passes
/// them, `CoordinatorRuntime`): the join's response leaves the coordinator only after the
/// followers fetched the write, while a heartbeat that writes nothing is answered at once.
#[test]
fn a_heartbeat_that_writes_records_is_answered_once_they_are_replicated() {
    let mut sim = sim(2);
    create(&mut sim, "g", consumer_protocol());
    add(&mut sim, "g", "A");
    run(&mut sim, 12_000);
    let messages = sim.message_history(Some("g"), 0, 12_000);
    let beats: Vec<_> = messages.iter().filter(|m| m.api == "ConsumerGroupHeartbeat").collect();
    let waited = |i: usize| {
        let req = beats.iter().filter(|m| !m.response).nth(i).expect("request");
        let resp = beats.iter().find(|m| m.response && m.correlation_id == req.correlation_id).expect("response");
        resp.sent_at_ms - req.deliver_at_ms
    };
    // The join (new member, epoch, target, current assignment records).
    assert!(waited(0) >= 20, "the join's answer waits for replication: {} ms", waited(0));
    // A later heartbeat of the stable member writes nothing.
    let last = beats.iter().filter(|m| !m.response).count() - 1;
    assert_eq!(waited(last), 0, "a heartbeat that writes nothing is answered at once");
}
