//! The KIP-848 consumer-group coordinator as data, in the style of Kafka's
//! `GroupMetadataManagerTest`: each case is a sequence of `ConsumerGroupHeartbeat` requests (and
//! timeouts) with the exact responses, and the group's epochs and state after each step. The
//! target assignment comes from GroupLab's `uniform` and `range` server assignors. The group's
//! invariants are checked after every step, and replaying the records a case wrote rebuilds the
//! same group.

use grouplab_engine::sim::group_layer::server_assignment;
use grouplab_engine::group::consumer::coordinator::{
    AssignorMember, ClassicJoin, ClassicMemberSnapshot, CompactedRecords, ConsumerGroup, ConsumerGroupConfig, ConsumerGroupEvent, ConsumerGroupRecord, ConsumerGroupState,
    MigrationPolicy, Removal, TargetAssignor,
};
use grouplab_engine::group::consumer::member::MemberState;
use grouplab_engine::group::protocol::{ErrorCode, HeartbeatRequest, HeartbeatResponse, JoinProtocol, Subscription, TopicPartition};
use grouplab_engine::kernel::vecmap::VecMap;

/// The broker's assignors over fixed topics: `foo` (6 partitions) and `bar` (3).
struct Assignors;

impl TargetAssignor for Assignors {
    fn has(&self, name: &str) -> bool {
        name == "uniform" || name == "range"
    }
    fn assign(&self, assignor: &str, members: &[AssignorMember<'_>]) -> VecMap<String, Vec<TopicPartition>> {
        let mut topics = VecMap::new();
        topics.insert("foo".to_string(), 6);
        topics.insert("bar".to_string(), 3);
        server_assignment(assignor, &topics, members)
    }
}

fn tps(list: &[(&str, u32)]) -> Vec<TopicPartition> {
    list.iter().map(|(t, p)| TopicPartition::new(*t, *p)).collect()
}

fn foo(ps: &[u32]) -> Vec<TopicPartition> {
    ps.iter().map(|p| TopicPartition::new("foo", *p)).collect()
}

/// A full join heartbeat (epoch 0).
fn join(member: &str, topics: &[&str]) -> HeartbeatRequest {
    HeartbeatRequest {
        member_id: member.into(),
        member_epoch: 0,
        instance_id: None,
        client_id: format!("client-{member}"),
        rebalance_timeout_ms: 300_000,
        subscribed_topics: Some(topics.iter().map(|t| t.to_string()).collect()),
        server_assignor: None,
        owned: Some(Vec::new()),
    }
}

/// A regular heartbeat: epoch and owned partitions, everything else unchanged.
fn beat(member: &str, epoch: i32, owned: Vec<TopicPartition>) -> HeartbeatRequest {
    HeartbeatRequest {
        member_id: member.into(),
        member_epoch: epoch,
        instance_id: None,
        client_id: format!("client-{member}"),
        rebalance_timeout_ms: -1,
        subscribed_topics: None,
        server_assignor: None,
        owned: Some(owned),
    }
}

/// One step of a case and what must come out of it.
enum Step {
    /// A heartbeat at a time: expected (error, member epoch, assignment), then (group epoch,
    /// target epoch, state).
    Beat(u64, HeartbeatRequest, (ErrorCode, i32, Option<Vec<TopicPartition>>), (i32, i32, ConsumerGroupState)),
    /// Time passes to `at`: the members removed then, and (group epoch, target epoch, state).
    Timeout(u64, Vec<(&'static str, Removal)>, (i32, i32, ConsumerGroupState)),
    /// A classic member's JoinGroup (member id, owned partitions in its subscription):
    /// expected (error, generation), then the group.
    ClassicJoin(u64, &'static str, Vec<TopicPartition>, (ErrorCode, i32), (i32, i32, ConsumerGroupState)),
    /// A classic member's SyncGroup at a generation: its assignment or the error.
    ClassicSync(u64, &'static str, i32, Result<Vec<TopicPartition>, ErrorCode>, (i32, i32, ConsumerGroupState)),
    /// A classic member's Heartbeat at a generation: the error.
    ClassicBeat(u64, &'static str, i32, ErrorCode, (i32, i32, ConsumerGroupState)),
}

/// A classic member's JoinGroup protocols: `cooperative-sticky` over `foo`, owning `owned`.
fn classic_protocols(owned: Vec<TopicPartition>) -> Vec<JoinProtocol> {
    vec![JoinProtocol { name: "cooperative-sticky".into(), metadata: Subscription { topics: vec!["foo".into()], owned_partitions: owned, generation_id: -1 } }]
}

/// Plays `steps` on a new group, checking every response, the epochs and state, and the
/// invariants after each step; then replays the records into a second group and compares.
fn check(config: ConsumerGroupConfig, steps: Vec<Step>) -> ConsumerGroup {
    check_from(ConsumerGroup::new("grp", config.clone()), Vec::new(), config, steps)
}

/// [`check`] from a given group and the records that made it.
fn check_from(mut group: ConsumerGroup, mut records: Vec<ConsumerGroupRecord>, config: ConsumerGroupConfig, steps: Vec<Step>) -> ConsumerGroup {
    let mut now = 0;
    for (i, step) in steps.into_iter().enumerate() {
        let expect = match step {
            Step::ClassicJoin(at, member, owned, (error, generation), expect) => {
                now = at;
                let protocols = classic_protocols(owned);
                let join = ClassicJoin {
                    member_id: member,
                    new_member_id: "",
                    instance_id: None,
                    client_id: "classic-client",
                    protocol_type: "consumer",
                    protocols: &protocols,
                    session_timeout_ms: 45_000,
                    rebalance_timeout_ms: 300_000,
                };
                let (resp, out) = group.classic_join(at, &join, &Assignors);
                assert_eq!((resp.error, resp.generation_id), (error, generation), "step {i}: JoinGroup of {member}");
                if error == ErrorCode::None {
                    assert_eq!(resp.protocol_name.as_deref(), Some("cooperative-sticky"), "step {i}: the member's first protocol");
                }
                records.extend(out.records);
                expect
            }
            Step::ClassicSync(at, member, generation, want, expect) => {
                now = at;
                assert_eq!(group.classic_sync(at, member, None, generation, "cooperative-sticky"), want, "step {i}: SyncGroup of {member}");
                expect
            }
            Step::ClassicBeat(at, member, generation, want, expect) => {
                now = at;
                assert_eq!(group.classic_heartbeat(at, member, None, generation), want, "step {i}: Heartbeat of {member}");
                expect
            }
            Step::Beat(at, req, (error, epoch, assignment), expect) => {
                now = at;
                let (resp, out) = group.heartbeat(at, &req, &Assignors);
                assert_eq!((resp.error, resp.member_epoch, resp.assignment.clone()), (error, epoch, assignment), "step {i}: response to {req:?}");
                if error == ErrorCode::None {
                    assert_eq!(resp.member_id, req.member_id, "step {i}");
                    if req.member_epoch >= 0 {
                        assert_eq!(resp.heartbeat_interval_ms, config.heartbeat_interval_ms, "step {i}");
                    }
                } else {
                    assert!(out.records.is_empty() && out.events.is_empty(), "step {i}: a refused heartbeat changes nothing");
                }
                records.extend(out.records);
                expect
            }
            Step::Timeout(at, removed, expect) => {
                assert!(group.next_deadline_ms().is_some_and(|d| d <= at), "step {i}: a deadline due by {at}");
                now = at;
                let out = group.handle_timeout(at);
                let got: Vec<(String, Removal)> = out
                    .events
                    .iter()
                    .filter_map(|e| match e {
                        ConsumerGroupEvent::MemberRemoved { member_id, reason } => Some((member_id.clone(), *reason)),
                        _ => None,
                    })
                    .collect();
                let want: Vec<(String, Removal)> = removed.iter().map(|(m, r)| (m.to_string(), *r)).collect();
                assert_eq!(got, want, "step {i}: members removed at {at}");
                records.extend(out.records);
                expect
            }
        };
        assert_eq!((group.group_epoch(), group.assignment_epoch(), group.state()), expect, "step {i}: (group epoch, target epoch, state)");
        group.check_invariants().unwrap_or_else(|e| panic!("step {i}: {e}"));
    }
    // Loading the group from its records rebuilds it.
    let mut loaded = ConsumerGroup::new("grp", config);
    for r in &records {
        loaded.replay(now, r);
    }
    assert_eq!((loaded.group_epoch(), loaded.assignment_epoch(), loaded.state()), (group.group_epoch(), group.assignment_epoch(), group.state()));
    assert_eq!(loaded.members(), group.members(), "members rebuilt from the records");
    for id in group.members().keys() {
        assert_eq!(loaded.target_of(id), group.target_of(id), "target of {id}");
    }
    loaded.check_invariants().unwrap();
    // The compacted records (latest value per key) rebuild it too.
    let mut compacted = CompactedRecords::default();
    compacted.write(&records);
    assert!(compacted.records().len() <= records.len());
    let reloaded = ConsumerGroup::loaded("grp", ConsumerGroupConfig::default(), now, &compacted);
    assert_eq!(reloaded.members(), group.members(), "members rebuilt from the compacted records");
    assert_eq!((reloaded.group_epoch(), reloaded.assignment_epoch(), reloaded.state()), (group.group_epoch(), group.assignment_epoch(), group.state()));
    reloaded.check_invariants().unwrap();
    group
}

use ConsumerGroupState::{Assigning, Empty, Reconciling, Stable};
use ErrorCode::None as OK;
use Step::{Beat, ClassicBeat, ClassicJoin as Join, ClassicSync, Timeout};

/// `testConsumerGroupMemberEpochValidation` and the join path: the first member gets every
/// partition at epoch 1; a second member waits for the first to revoke (revoke before assign),
/// then both are stable at epoch 2.
#[test]
fn a_second_member_gets_its_partitions_only_after_the_first_revokes_them() {
    let g = check(
        ConsumerGroupConfig::default(),
        vec![
            Beat(0, join("m1", &["foo"]), (OK, 1, Some(foo(&[0, 1, 2, 3, 4, 5]))), (1, 1, Stable)),
            // m2 joins: new target (uniform: 3 + 3); m1 still owns m2's partitions.
            Beat(100, join("m2", &["foo"]), (OK, 2, Some(vec![])), (2, 2, Reconciling)),
            // m1 is asked to revoke 3 of its 6 and keeps epoch 1 meanwhile.
            Beat(200, beat("m1", 1, foo(&[0, 1, 2, 3, 4, 5])), (OK, 1, Some(foo(&[0, 1, 2]))), (2, 2, Reconciling)),
            // Still reporting them: no progress, nothing sent.
            Beat(300, beat("m1", 1, foo(&[0, 1, 2, 3, 4, 5])), (OK, 1, None), (2, 2, Reconciling)),
            // Revoked: m1 moves to epoch 2.
            Beat(400, beat("m1", 1, foo(&[0, 1, 2])), (OK, 2, None), (2, 2, Reconciling)),
            // m2 now gets the released partitions.
            Beat(500, beat("m2", 2, vec![]), (OK, 2, Some(foo(&[3, 4, 5]))), (2, 2, Stable)),
        ],
    );
    assert_eq!(g.members().get("m2").unwrap().state, MemberState::Stable);
}

/// The epoch checks of `throwIfConsumerGroupMemberEpochIsInvalid` and the request validation
/// of `throwIfConsumerGroupHeartbeatRequestIsInvalid`.
#[test]
fn heartbeats_with_bad_epochs_or_fields_are_refused_with_kafkas_errors() {
    let mut no_topics = join("m2", &["foo"]);
    no_topics.subscribed_topics = None;
    let mut owning_on_join = join("m2", &["foo"]);
    owning_on_join.owned = Some(foo(&[0]));
    let mut bad_assignor = join("m2", &["foo"]);
    bad_assignor.server_assignor = Some("sticky".into());
    let mut anonymous = join("", &["foo"]);
    anonymous.member_id = String::new();
    let mut static_away_without_instance = beat("m1", -2, vec![]);
    static_away_without_instance.owned = None;
    check(
        ConsumerGroupConfig::default(),
        vec![
            Beat(0, join("m1", &["foo"]), (OK, 1, Some(foo(&[0, 1, 2, 3, 4, 5]))), (1, 1, Stable)),
            Beat(10, beat("m1", 2, foo(&[0, 1, 2, 3, 4, 5])), (ErrorCode::FencedMemberEpoch, 0, None), (1, 1, Stable)),
            Beat(20, beat("nobody", 1, vec![]), (ErrorCode::UnknownMemberId, 0, None), (1, 1, Stable)),
            Beat(30, beat("m1", -3, vec![]), (ErrorCode::InvalidRequest, 0, None), (1, 1, Stable)),
            Beat(40, no_topics, (ErrorCode::InvalidRequest, 0, None), (1, 1, Stable)),
            Beat(50, owning_on_join, (ErrorCode::InvalidRequest, 0, None), (1, 1, Stable)),
            Beat(60, bad_assignor, (ErrorCode::UnsupportedAssignor, 0, None), (1, 1, Stable)),
            Beat(70, anonymous, (ErrorCode::InvalidRequest, 0, None), (1, 1, Stable)),
            Beat(80, static_away_without_instance, (ErrorCode::InvalidRequest, 0, None), (1, 1, Stable)),
            // m2 joins, m1 revokes and moves to epoch 2 (previous epoch 1).
            Beat(100, join("m2", &["foo"]), (OK, 2, Some(vec![])), (2, 2, Reconciling)),
            Beat(110, beat("m1", 1, foo(&[0, 1, 2, 3, 4, 5])), (OK, 1, Some(foo(&[0, 1, 2]))), (2, 2, Reconciling)),
            Beat(120, beat("m1", 1, foo(&[0, 1, 2])), (OK, 2, None), (2, 2, Reconciling)),
            // The previous epoch is accepted when the owned partitions are a subset of the
            // assignment (the last response was lost) …
            Beat(130, beat("m1", 1, foo(&[0, 1])), (OK, 2, None), (2, 2, Reconciling)),
            // … not when it claims more, nor an older epoch.
            Beat(140, beat("m1", 1, foo(&[0, 1, 2, 3])), (ErrorCode::FencedMemberEpoch, 0, None), (2, 2, Reconciling)),
            Beat(150, beat("m2", 1, vec![]), (ErrorCode::FencedMemberEpoch, 0, None), (2, 2, Reconciling)),
        ],
    );
}

/// A member that stops heartbeating is fenced after the session timeout: the group epoch is
/// bumped and the survivor gets everything at the next heartbeat.
#[test]
fn a_silent_member_is_fenced_after_the_session_timeout() {
    check(
        ConsumerGroupConfig::default(),
        vec![
            Beat(0, join("m1", &["foo"]), (OK, 1, Some(foo(&[0, 1, 2, 3, 4, 5]))), (1, 1, Stable)),
            Beat(0, join("m2", &["foo"]), (OK, 2, Some(vec![])), (2, 2, Reconciling)),
            Beat(10, beat("m1", 1, foo(&[0, 1, 2, 3, 4, 5])), (OK, 1, Some(foo(&[0, 1, 2]))), (2, 2, Reconciling)),
            Beat(20, beat("m1", 1, foo(&[0, 1, 2])), (OK, 2, None), (2, 2, Reconciling)),
            Beat(30, beat("m2", 2, vec![]), (OK, 2, Some(foo(&[3, 4, 5]))), (2, 2, Stable)),
            Beat(40_000, beat("m1", 2, foo(&[0, 1, 2])), (OK, 2, None), (2, 2, Stable)),
            // m2's last heartbeat was at 30 ms: its session (45 s) ends at 45 030 ms.
            Timeout(45_030, vec![("m2", Removal::SessionExpired)], (3, 2, Assigning)),
            Beat(45_100, beat("m1", 2, foo(&[0, 1, 2])), (OK, 3, Some(foo(&[0, 1, 2, 3, 4, 5]))), (3, 3, Stable)),
        ],
    );
}

/// A member that does not revoke within its rebalance timeout (`max.poll.interval.ms`) is
/// fenced, and its partitions go to the others.
#[test]
fn a_member_that_never_revokes_is_fenced_after_its_rebalance_timeout() {
    let mut slow = join("m1", &["foo"]);
    slow.rebalance_timeout_ms = 10_000;
    check(
        ConsumerGroupConfig::default(),
        vec![
            Beat(0, slow, (OK, 1, Some(foo(&[0, 1, 2, 3, 4, 5]))), (1, 1, Stable)),
            Beat(100, join("m2", &["foo"]), (OK, 2, Some(vec![])), (2, 2, Reconciling)),
            Beat(200, beat("m1", 1, foo(&[0, 1, 2, 3, 4, 5])), (OK, 1, Some(foo(&[0, 1, 2]))), (2, 2, Reconciling)),
            Beat(5_000, beat("m1", 1, foo(&[0, 1, 2, 3, 4, 5])), (OK, 1, None), (2, 2, Reconciling)),
            Beat(6_000, beat("m2", 2, vec![]), (OK, 2, None), (2, 2, Reconciling)),
            // Revocation asked at 200 ms, timeout 10 s.
            Timeout(10_200, vec![("m1", Removal::RevocationTimeout)], (3, 2, Assigning)),
            Beat(10_300, beat("m2", 2, vec![]), (OK, 3, Some(foo(&[0, 1, 2, 3, 4, 5]))), (3, 3, Stable)),
        ],
    );
}

/// Leaving with epoch -1 removes the member at once; the last one leaving empties the group.
#[test]
fn members_leave_with_epoch_minus_one_and_the_group_becomes_empty() {
    check(
        ConsumerGroupConfig::default(),
        vec![
            Beat(0, join("m1", &["foo", "bar"]), (OK, 1, Some(tps(&[("bar", 0), ("bar", 1), ("bar", 2), ("foo", 0), ("foo", 1), ("foo", 2), ("foo", 3), ("foo", 4), ("foo", 5)]))), (1, 1, Stable)),
            Beat(10, beat("m1", -1, vec![]), (OK, -1, None), (2, 2, Empty)),
            Beat(20, beat("m1", 2, vec![]), (ErrorCode::UnknownMemberId, 0, None), (2, 2, Empty)),
        ],
    );
}

/// Static membership (KIP-848 §7.9): leaving with -2 keeps the member and its partitions; the
/// same `group.instance.id` with a new member id takes them over without a new group epoch; a
/// second instance while the first has not left gets UNRELEASED_INSTANCE_ID.
#[test]
fn a_static_member_comes_back_to_its_partitions_without_a_rebalance() {
    let with_instance = |mut r: HeartbeatRequest| {
        r.instance_id = Some("web-1".into());
        r
    };
    check(
        ConsumerGroupConfig::default(),
        vec![
            Beat(0, with_instance(join("m1", &["foo"])), (OK, 1, Some(foo(&[0, 1, 2, 3, 4, 5]))), (1, 1, Stable)),
            Beat(10, with_instance(join("m9", &["foo"])), (ErrorCode::UnreleasedInstanceId, 0, None), (1, 1, Stable)),
            Beat(20, with_instance(beat("m1", -2, foo(&[0, 1, 2, 3, 4, 5]))), (OK, -2, None), (1, 1, Reconciling)),
            // Back with a new member id: same partitions, group epoch unchanged.
            Beat(30, with_instance(join("m1b", &["foo"])), (OK, 1, Some(foo(&[0, 1, 2, 3, 4, 5]))), (1, 1, Stable)),
            Beat(40, with_instance(beat("m1", 1, vec![])), (ErrorCode::UnknownMemberId, 0, None), (1, 1, Stable)),
        ],
    );
}

/// `group.consumer.max.size`: a new member over the limit gets GROUP_MAX_SIZE_REACHED.
#[test]
fn a_full_group_refuses_new_members() {
    check(
        ConsumerGroupConfig { max_size: 1, ..ConsumerGroupConfig::default() },
        vec![
            Beat(0, join("m1", &["foo"]), (OK, 1, Some(foo(&[0, 1, 2, 3, 4, 5]))), (1, 1, Stable)),
            Beat(10, join("m2", &["foo"]), (ErrorCode::GroupMaxSizeReached, 0, None), (1, 1, Stable)),
        ],
    );
}

/// The preferred server assignor is the one most members name (`range` here: contiguous
/// ranges), and changing a subscription bumps the group epoch.
#[test]
fn the_assignor_most_members_name_is_used_and_subscription_changes_bump_the_epoch() {
    let range = |mut r: HeartbeatRequest| {
        r.server_assignor = Some("range".into());
        r
    };
    let mut subscribe_bar = beat("m1", 1, foo(&[0, 1, 2, 3, 4, 5]));
    subscribe_bar.subscribed_topics = Some(vec!["bar".into(), "foo".into()]);
    let g = check(
        ConsumerGroupConfig::default(),
        vec![
            Beat(0, range(join("m1", &["foo"])), (OK, 1, Some(foo(&[0, 1, 2, 3, 4, 5]))), (1, 1, Stable)),
            Beat(10, subscribe_bar, (OK, 2, Some(tps(&[("bar", 0), ("bar", 1), ("bar", 2), ("foo", 0), ("foo", 1), ("foo", 2), ("foo", 3), ("foo", 4), ("foo", 5)]))), (2, 2, Stable)),
        ],
    );
    assert_eq!(g.preferred_assignor(), "range");
    assert_eq!(ConsumerGroup::new("x", ConsumerGroupConfig::default()).preferred_assignor(), "uniform", "the first of group.consumer.assignors by default");
}

// ---------------------------------------------------------------------------------------------
// Random histories: clients that do what the responses say (take the assignment, report what
// they own), joining, leaving, going silent and coming back, with time passing. The group's
// invariants hold after every step; once the live clients keep heartbeating, the group
// converges: Stable, every partition of `foo` owned by exactly one live member.

use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("GROUPLAB_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(200)
}

#[derive(Clone, Debug)]
enum Op {
    Join(usize),
    Beat(usize),
    Leave(usize),
    Advance(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => (0..5usize).prop_map(Op::Join),
        4 => (0..5usize).prop_map(Op::Beat),
        1 => (0..5usize).prop_map(Op::Leave),
        1 => (1..60_000u64).prop_map(Op::Advance),
    ]
}

/// A well-behaved client of the model: its member id, epoch and owned partitions.
#[derive(Clone, Debug, Default)]
struct Client {
    epoch: Option<i32>,
    owned: Vec<TopicPartition>,
    rejoins: u32,
}

fn member_id(i: usize, c: &Client) -> String {
    format!("m{i}-{}", c.rejoins)
}

/// Sends client `i`'s next heartbeat (a join when it has no epoch) and applies the response.
fn send(group: &mut ConsumerGroup, now: u64, i: usize, c: &mut Client) {
    let req = match c.epoch {
        None => join(&member_id(i, c), &["foo"]),
        Some(epoch) => beat(&member_id(i, c), epoch, c.owned.clone()),
    };
    let (resp, _) = group.heartbeat(now, &req, &Assignors);
    match resp.error {
        ErrorCode::None => {
            c.epoch = Some(resp.member_epoch);
            if let Some(a) = resp.assignment {
                c.owned = a;
            }
        }
        ErrorCode::FencedMemberEpoch | ErrorCode::UnknownMemberId => {
            // transitionToFenced: lose the partitions, rejoin with epoch 0 (a new id here).
            *c = Client { rejoins: c.rejoins + 1, ..Client::default() };
        }
        other => panic!("unexpected {other:?} for {req:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn random_histories_keep_the_invariants_and_converge(ops in proptest::collection::vec(op(), 1..60)) {
        let mut group = ConsumerGroup::new("grp", ConsumerGroupConfig::default());
        let mut clients: Vec<Client> = vec![Client::default(); 5];
        let mut live = [false; 5];
        let mut now = 0u64;
        for op in ops {
            match op {
                Op::Join(i) if !live[i] => {
                    live[i] = true;
                    clients[i] = Client { rejoins: clients[i].rejoins + 1, ..Client::default() };
                    send(&mut group, now, i, &mut clients[i]);
                }
                Op::Beat(i) if live[i] => send(&mut group, now, i, &mut clients[i]),
                Op::Leave(i) if live[i] && clients[i].epoch.is_some() => {
                    let (resp, _) = group.heartbeat(now, &beat(&member_id(i, &clients[i]), -1, vec![]), &Assignors);
                    prop_assert!(matches!(resp.error, ErrorCode::None | ErrorCode::UnknownMemberId), "{resp:?}");
                    live[i] = false;
                }
                Op::Advance(ms) => {
                    now += ms;
                    group.handle_timeout(now);
                }
                _ => {}
            }
            group.check_invariants().map_err(TestCaseError::fail)?;
        }
        // Liveness: the live clients heartbeat (well within the session timeout) until stable.
        for _ in 0..12 {
            now += 1_000;
            group.handle_timeout(now);
            for i in 0..5 {
                if live[i] {
                    send(&mut group, now, i, &mut clients[i]);
                }
            }
            group.check_invariants().map_err(TestCaseError::fail)?;
        }
        let members = live.iter().filter(|l| **l).count();
        if members == 0 {
            prop_assert_eq!(group.state(), Empty);
        } else {
            prop_assert_eq!(group.state(), Stable);
            prop_assert_eq!(group.members().len(), members);
            let mut owned: Vec<TopicPartition> = (0..5).filter(|i| live[*i]).flat_map(|i| clients[i].owned.clone()).collect();
            owned.sort();
            prop_assert_eq!(owned, foo(&[0, 1, 2, 3, 4, 5]), "every partition owned once by the live clients");
            let sizes: Vec<usize> = (0..5).filter(|i| live[*i]).map(|i| clients[i].owned.len()).collect();
            prop_assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1, "uniform balance: {:?}", sizes);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The consumer's membership manager against the coordinator, messages delivered at once.

use grouplab_engine::group::consumer::membership::{ClientState, Membership, Reconcile};

/// One consumer: its membership and what it applied.
struct Consumer {
    m: Membership,
    commits_before_revoke: u32,
}

impl Consumer {
    fn new(id: &str, auto_commit: bool) -> Consumer {
        Consumer { m: Membership::new(id, &format!("client-{id}"), None, &["foo".into()], 300_000, auto_commit, 0), commits_before_revoke: 0 }
    }

    /// Sends a heartbeat if one is due and applies the answer (and any reconciliation).
    fn tick(&mut self, group: &mut ConsumerGroup, now: u64) -> Option<HeartbeatResponse> {
        if !self.m.heartbeat_due(now) {
            return None;
        }
        let req = self.m.heartbeat(now);
        let (resp, _) = group.heartbeat(now, &req, &Assignors);
        if req.member_epoch < 0 {
            return Some(resp); // a leave needs no answer
        }
        match self.m.on_response(now, &resp) {
            Some(Reconcile::Apply { commit_first, .. }) => {
                self.commits_before_revoke += u32::from(commit_first);
                self.m.reconciled(now);
            }
            Some(Reconcile::Lose(_)) | None => {}
        }
        Some(resp)
    }
}



fn run(group: &mut ConsumerGroup, consumers: &mut [&mut Consumer], from: u64, until: u64, step: u64) {
    let mut now = from;
    while now <= until {
        group.handle_timeout(now);
        for c in consumers.iter_mut() {
            // Repeat immediate heartbeats (join, acknowledge) within the same instant, bounded.
            for _ in 0..4 {
                if c.tick(group, now).is_none() {
                    break;
                }
            }
        }
        group.check_invariants().unwrap();
        now += step;
    }
}

/// Two consumers join one after the other: the first revokes half of its partitions (after an
/// auto-commit) before the second gets them; both end STABLE at the group's epoch, with no
/// partition ever in two current assignments (the coordinator's invariant, checked each step).
#[test]
fn two_consumers_reconcile_to_a_balanced_stable_group() {
    let mut group = ConsumerGroup::new("grp", ConsumerGroupConfig::default());
    let (mut a, mut b) = (Consumer::new("a", true), Consumer::new("b", true));
    run(&mut group, &mut [&mut a], 0, 0, 1);
    assert_eq!((a.m.state(), a.m.member_epoch(), a.m.owned().len()), (ClientState::Stable, 1, 6));
    run(&mut group, &mut [&mut a, &mut b], 1_000, 12_000, 1_000);
    assert_eq!(group.state(), Stable);
    for c in [&a, &b] {
        assert_eq!((c.m.state(), c.m.member_epoch(), c.m.owned().len()), (ClientState::Stable, 2, 3));
    }
    assert_eq!(a.commits_before_revoke, 1, "auto commit before revoking (signalReconciliationStarted)");
    assert_eq!(b.commits_before_revoke, 0, "nothing to revoke, nothing to commit");
}

/// A consumer fenced (its session expired while it was silent) loses its partitions and rejoins
/// with epoch 0 under the same member id; a leave (-1) empties its place at once; a poll
/// timeout leaves and goes STALE until the next poll rejoins.
#[test]
fn fenced_consumers_rejoin_leaving_ones_go_and_a_poll_timeout_goes_stale() {
    let mut group = ConsumerGroup::new("grp", ConsumerGroupConfig::default());
    let (mut a, mut b) = (Consumer::new("a", false), Consumer::new("b", false));
    run(&mut group, &mut [&mut a, &mut b], 0, 10_000, 1_000);
    assert_eq!(group.state(), Stable);
    // b goes silent for longer than the session timeout: fenced; a takes everything.
    run(&mut group, &mut [&mut a], 11_000, 60_000, 1_000);
    assert_eq!((a.m.owned().len(), group.members().len()), (6, 1));
    // b's next heartbeat gets UNKNOWN_MEMBER_ID: it loses what it thought it owned and rejoins.
    let resp = b.tick(&mut group, 61_000).expect("a heartbeat");
    assert_eq!(resp.error, ErrorCode::UnknownMemberId);
    assert_eq!((b.m.state(), b.m.member_epoch(), b.m.owned().len()), (ClientState::Joining, 0, 0));
    run(&mut group, &mut [&mut a, &mut b], 62_000, 80_000, 1_000);
    assert_eq!(group.state(), Stable);
    assert_eq!((a.m.owned().len(), b.m.owned().len()), (3, 3));
    // a leaves: revokes its partitions, sends -1, is gone at once.
    assert!(matches!(a.m.leave(81_000), Some(Reconcile::Apply { ref revoke, .. }) if revoke.len() == 3));
    let resp = a.tick(&mut group, 81_000).expect("the leave heartbeat");
    assert_eq!(resp.member_epoch, -1);
    assert_eq!(a.m.state(), ClientState::Unsubscribed);
    assert_eq!(group.members().len(), 1);
    run(&mut group, &mut [&mut b], 82_000, 90_000, 1_000);
    assert_eq!(b.m.owned().len(), 6);
    // b's poll timer expires: leave, STALE, partitions lost; the next poll rejoins.
    assert!(matches!(b.m.poll_timeout(90_500), Some(Reconcile::Lose(lost)) if lost.len() == 6));
    b.tick(&mut group, 91_000);
    assert_eq!((b.m.state(), group.state()), (ClientState::Stale, Empty));
    b.m.rejoin(95_000);
    run(&mut group, &mut [&mut b], 95_000, 96_000, 1_000);
    assert_eq!((b.m.state(), b.m.owned().len(), group.state()), (ClientState::Stable, 6, Stable));
}

/// A fatal error stops the heartbeats (UNSUPPORTED_ASSIGNOR for a remote assignor the broker
/// lacks), and every state change is one Kafka allows (asserted inside the machine).
#[test]
fn a_fatal_error_stops_the_member() {
    let mut group = ConsumerGroup::new("grp", ConsumerGroupConfig::default());
    let mut c = Consumer::new("a", true);
    c.m = c.m.clone().with_server_assignor(Some("sticky"));
    let resp = c.tick(&mut group, 0).unwrap();
    assert_eq!(resp.error, ErrorCode::UnsupportedAssignor);
    assert_eq!((c.m.state(), c.m.fatal_error()), (ClientState::Fatal, Some(ErrorCode::UnsupportedAssignor)));
    assert!(!c.m.heartbeat_due(10_000));
    assert_eq!(group.state(), Empty);
}

/// The classic group `grp` at generation 5 with one cooperative member `old` owning all of
/// `foo`, upgraded to a consumer group (`fromClassicGroup`).
fn upgraded() -> (ConsumerGroup, Vec<ConsumerGroupRecord>) {
    let old = ClassicMemberSnapshot {
        member_id: "old".into(),
        instance_id: None,
        client_id: "classic-client".into(),
        rebalance_timeout_ms: 300_000,
        session_timeout_ms: 45_000,
        protocols: classic_protocols(foo(&[0, 1, 2, 3, 4, 5])),
        assignment: foo(&[0, 1, 2, 3, 4, 5]),
    };
    let (group, out) = ConsumerGroup::from_classic("grp", ConsumerGroupConfig::default(), 0, 5, "cooperative-sticky", &[old]);
    assert_eq!((group.group_epoch(), group.assignment_epoch(), group.state()), (5, 5, Stable), "the generation becomes the group and target epoch");
    assert!(out.downgrade.is_none() && out.events.is_empty());
    (group, out.records)
}

/// Online upgrade (`convertToConsumerGroup`, `classicGroup*ToConsumerGroup`): the classic member
/// keeps its partitions; a consumer-protocol member joins (epoch 6) and waits; the classic
/// member learns from its Heartbeat that it must rejoin, joins still owning everything (stays at
/// its epoch, UNREVOKED_PARTITIONS), syncs and gets the partitions it keeps, revokes the others
/// and rejoins (now at epoch 6), and the newcomer then receives the freed partitions.
#[test]
fn an_upgraded_classic_member_reconciles_through_join_and_sync() {
    let (group, records) = upgraded();
    check_from(
        group,
        records,
        ConsumerGroupConfig::default(),
        vec![
            Beat(100, join("new", &["foo"]), (OK, 6, Some(vec![])), (6, 6, Reconciling)),
            ClassicBeat(200, "old", 5, ErrorCode::RebalanceInProgress, (6, 6, Reconciling)),
            ClassicBeat(210, "old", 4, ErrorCode::IllegalGeneration, (6, 6, Reconciling)),
            ClassicBeat(220, "nobody", 5, ErrorCode::UnknownMemberId, (6, 6, Reconciling)),
            Join(300, "old", foo(&[0, 1, 2, 3, 4, 5]), (OK, 5), (6, 6, Reconciling)),
            ClassicSync(310, "old", 5, Ok(foo(&[0, 1, 2])), (6, 6, Reconciling)),
            // Still owning what it must give up: told to rejoin again.
            ClassicBeat(320, "old", 5, ErrorCode::RebalanceInProgress, (6, 6, Reconciling)),
            Join(400, "old", foo(&[0, 1, 2]), (OK, 6), (6, 6, Reconciling)),
            ClassicSync(410, "old", 6, Ok(foo(&[0, 1, 2])), (6, 6, Reconciling)),
            ClassicBeat(420, "old", 6, OK, (6, 6, Reconciling)),
            Beat(500, beat("new", 6, vec![]), (OK, 6, Some(foo(&[3, 4, 5]))), (6, 6, Stable)),
            ClassicBeat(600, "old", 6, OK, (6, 6, Stable)),
        ],
    );
}

/// A classic member of the group about to be upgraded: `cooperative-sticky` over `foo`,
/// owning `assignment` from the last classic generation.
fn classic_snapshot(member_id: &str, instance_id: Option<&str>, assignment: Vec<TopicPartition>) -> ClassicMemberSnapshot {
    ClassicMemberSnapshot {
        member_id: member_id.into(),
        instance_id: instance_id.map(Into::into),
        client_id: "classic-client".into(),
        rebalance_timeout_ms: 300_000,
        session_timeout_ms: 45_000,
        protocols: classic_protocols(assignment.clone()),
        assignment,
    }
}

/// `testConsumerGroupHeartbeatToClassicGroupFromExistingStaticMember`: a consumer-protocol
/// member upgrading the group by replacing a classic static member (same `group.instance.id`,
/// same subscription) still bumps the group epoch, as the subscription metadata that the
/// conversion left unset is computed, and a new target follows. Here the classic cooperative
/// group was between its two rebalances: the static member had revoked foo-3..5 and the
/// dynamic classic member `c0` had not been given them yet. The new target gives them to `c0`,
/// whose Heartbeat tells it to rejoin; it joins, syncs and owns them.
#[test]
fn a_static_member_upgrading_the_group_bumps_the_epoch_and_the_classic_members_rejoin() {
    let members = [classic_snapshot("shared-old", Some("shared"), foo(&[0, 1, 2])), classic_snapshot("c0", None, vec![])];
    let (group, out) = ConsumerGroup::from_classic("grp", ConsumerGroupConfig::default(), 0, 2, "cooperative-sticky", &members);
    assert_eq!((group.group_epoch(), group.assignment_epoch(), group.state()), (2, 2, Stable), "the classic generation, no bump yet");
    let mut replacing = join("shared-new", &["foo"]);
    replacing.instance_id = Some("shared".into());
    let group = check_from(
        group,
        out.records,
        ConsumerGroupConfig::default(),
        vec![
            // The replacing member keeps the static member's partitions at the bumped epoch.
            Beat(100, replacing, (OK, 3, Some(foo(&[0, 1, 2]))), (3, 3, Reconciling)),
            ClassicBeat(200, "c0", 2, ErrorCode::RebalanceInProgress, (3, 3, Reconciling)),
            Join(300, "c0", vec![], (OK, 3), (3, 3, Stable)),
            ClassicSync(310, "c0", 3, Ok(foo(&[3, 4, 5])), (3, 3, Stable)),
            ClassicBeat(400, "c0", 3, OK, (3, 3, Stable)),
        ],
    );
    assert_eq!(group.members().keys().collect::<Vec<_>>(), ["c0", "shared-new"]);
    assert_eq!(group.target_of("c0"), foo(&[3, 4, 5]));
    // Only the heartbeat that converted the group bumps for the conversion: the next join of a
    // new member bumps once more, not twice.
    let (mut group, _) = ConsumerGroup::from_classic("grp", ConsumerGroupConfig::default(), 0, 2, "cooperative-sticky", &members);
    let (resp, out) = group.heartbeat(100, &join("m1", &["foo"]), &Assignors);
    assert_eq!((resp.error, resp.member_epoch, group.group_epoch()), (OK, 3, 3));
    assert_eq!(out.events.iter().filter(|e| matches!(e, ConsumerGroupEvent::GroupEpochBumped { .. })).count(), 1);
    let (resp, _) = group.heartbeat(200, &join("m2", &["foo"]), &Assignors);
    assert_eq!((resp.error, resp.member_epoch, group.group_epoch()), (OK, 4, 4));
}

/// A classic member that is told to rejoin and never does is fenced after its rebalance timeout
/// (`scheduleConsumerGroupJoinTimeoutIfAbsent`), though its heartbeats keep its session; one
/// that joins and never syncs, too (`scheduleConsumerGroupSyncTimeout`).
#[test]
fn a_classic_member_that_does_not_rejoin_or_sync_is_fenced() {
    let (group, records) = upgraded();
    let mut steps = vec![Beat(100, join("new", &["foo"]), (OK, 6, Some(vec![])), (6, 6, Reconciling))];
    for at in (200..300_000).step_by(30_000) {
        steps.push(ClassicBeat(at, "old", 5, ErrorCode::RebalanceInProgress, (6, 6, Reconciling)));
        steps.push(Beat(at + 1, beat("new", 6, vec![]), (OK, 6, None), (6, 6, Reconciling)));
    }
    steps.push(Timeout(300_200, vec![("old", Removal::ClassicJoinTimeout)], (7, 6, Assigning)));
    let group = check_from(group, records, ConsumerGroupConfig::default(), steps);
    assert_eq!(group.members().keys().collect::<Vec<_>>(), ["new"]);
    let (group, records) = upgraded();
    let mut steps = vec![Join(100, "old", foo(&[0, 1, 2, 3, 4, 5]), (OK, 5), (5, 5, Stable))];
    for at in (30_000..300_000).step_by(30_000) {
        steps.push(ClassicBeat(at, "old", 5, OK, (5, 5, Stable)));
    }
    // No SyncGroup within the rebalance timeout: fenced, and nobody is left.
    steps.push(Timeout(300_100, vec![("old", Removal::ClassicSyncTimeout)], (6, 6, Empty)));
    check_from(group, records, ConsumerGroupConfig::default(), steps);
}

/// Online downgrade (`validateOnlineDowngradeWithFencedMembers`): when the last
/// consumer-protocol member leaves, the group is handed back to a classic group at the group
/// epoch (no bump) with the classic members and their targets, and a rebalance is due; under
/// policy `upgrade` the member is just removed. A classic member's commit with a wrong
/// generation gets ILLEGAL_GENERATION (not STALE_MEMBER_EPOCH).
#[test]
fn the_last_consumer_protocol_member_leaving_downgrades_the_group() {
    for (policy, downgrades) in [(MigrationPolicy::Bidirectional, true), (MigrationPolicy::Downgrade, true), (MigrationPolicy::Upgrade, false)] {
        let (upgraded, _) = upgraded();
        let old = upgraded.members().get("old").cloned().expect("old");
        let snapshot = ClassicMemberSnapshot {
            member_id: old.member_id.clone(),
            instance_id: None,
            client_id: old.client_id.clone(),
            rebalance_timeout_ms: old.rebalance_timeout_ms,
            session_timeout_ms: 45_000,
            protocols: classic_protocols(vec![]),
            assignment: old.assigned.clone(),
        };
        let config = ConsumerGroupConfig { migration_policy: policy, ..ConsumerGroupConfig::default() };
        let (mut group, _) = ConsumerGroup::from_classic("grp", config, 0, 5, "cooperative-sticky", &[snapshot]);
        group.heartbeat(100, &join("new", &["foo"]), &Assignors);
        assert_eq!(group.validate_offset_commit("old", 4), ErrorCode::IllegalGeneration);
        assert_eq!(group.validate_offset_commit("new", 5), ErrorCode::StaleMemberEpoch);
        if !downgrades {
            let (_, out) = group.heartbeat(200, &beat("new", -1, vec![]), &Assignors);
            assert!(out.downgrade.is_none(), "{policy:?}: no downgrade");
            assert_eq!((group.group_epoch(), group.members().len()), (7, 1));
            continue;
        }
        let (resp, out) = group.heartbeat(200, &beat("new", -1, vec![]), &Assignors);
        assert_eq!((resp.error, resp.member_epoch), (OK, -1));
        let d = out.downgrade.expect("downgraded");
        assert_eq!(d.generation_id, 6, "the group epoch, not bumped");
        assert!(d.rebalance);
        assert_eq!(d.reason, "Downgrade group grp from consumer to classic for member leaving.");
        assert_eq!(d.members.len(), 1);
        assert_eq!((d.members[0].member_id.as_str(), d.members[0].assignment.clone()), ("old", foo(&[0, 1, 2])), "its target as its assignment");
        assert_eq!(out.events, vec![ConsumerGroupEvent::MemberRemoved { member_id: "new".into(), reason: Removal::Left }]);
    }
}

/// Classic JoinGroup refusals: policy `disabled` (INCONSISTENT_GROUP_PROTOCOL), an unknown
/// dynamic member without an id (MEMBER_ID_REQUIRED with the id to use), a protocol type other
/// than `consumer`, and a SyncGroup from a consumer-protocol member (UNKNOWN_MEMBER_ID).
#[test]
fn classic_requests_to_a_consumer_group_are_checked_as_kafka_does() {
    let protocols = classic_protocols(vec![]);
    let req = |member_id: &'static str, protocol_type: &'static str| ClassicJoin {
        member_id,
        new_member_id: "given-id",
        instance_id: None,
        client_id: "c",
        protocol_type,
        protocols: &protocols,
        session_timeout_ms: 45_000,
        rebalance_timeout_ms: 300_000,
    };
    let config = ConsumerGroupConfig { migration_policy: MigrationPolicy::Disabled, ..ConsumerGroupConfig::default() };
    let mut disabled = ConsumerGroup::new("grp", config);
    disabled.heartbeat(0, &join("m", &["foo"]), &Assignors);
    let (resp, out) = disabled.classic_join(10, &req("", "consumer"), &Assignors);
    assert_eq!(resp.error, ErrorCode::InconsistentGroupProtocol);
    assert!(out.records.is_empty());
    let mut group = ConsumerGroup::new("grp", ConsumerGroupConfig::default());
    group.heartbeat(0, &join("m", &["foo"]), &Assignors);
    let (resp, out) = group.classic_join(10, &req("", "consumer"), &Assignors);
    assert_eq!((resp.error, resp.member_id.as_str()), (ErrorCode::MemberIdRequired, "given-id"));
    assert!(out.records.is_empty() && out.events.is_empty());
    assert_eq!(group.classic_join(10, &req("given-id", "connect"), &Assignors).0.error, ErrorCode::InconsistentGroupProtocol);
    assert_eq!(group.classic_sync(20, "m", None, 1, "cooperative-sticky"), Err(ErrorCode::UnknownMemberId));
    let (resp, _) = group.classic_join(30, &req("given-id", "consumer"), &Assignors);
    assert_eq!((resp.error, resp.generation_id), (OK, 2));
    assert!(group.is_mixed());
}
