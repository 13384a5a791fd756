//! Direct tests of `GroupCoordinator`: Kafka's transitions, error codes and timers.

use grouplab_engine::group::coordinator::{
    CoordinatorConfig, GroupCoordinator, GroupState, JoinTimer,
};
use grouplab_engine::group::protocol::{Body, CoordinatorRecord, Endpoint, ErrorCode, JoinProtocol, Message, OffsetCommitEntry, Request, Response, Subscription, SyncAssignment, TopicPartition};
use grouplab_engine::group::output::Output;

fn msg(from: &str, corr: u64, req: Request) -> Message {
    Message {
        from: Endpoint::Client(from.into()),
        to: Endpoint::Broker(0),
        correlation_id: corr,
        sent_at_ms: 0,
        deliver_at_ms: 0,
        body: Body::Request(req),
    }
}

fn protocols(names: &[&str]) -> Vec<JoinProtocol> {
    names
        .iter()
        .map(|n| JoinProtocol {
            name: n.to_string(),
            metadata: Subscription {
                topics: vec!["t".into()],
                owned_partitions: vec![],
                generation_id: -1,
            },
        })
        .collect()
}

fn join(member_id: &str, client: &str, names: &[&str]) -> Request {
    Request::JoinGroup {
        group_instance_id: None,
        group_id: "g".into(),
        member_id: member_id.into(),
        client_id: client.into(),
        protocol_type: "consumer".into(),
        protocols: protocols(names),
        session_timeout_ms: 45_000,
        rebalance_timeout_ms: 300_000,
    }
}

fn responses(out: &[Output]) -> Vec<(Endpoint, u64, Response)> {
    out.iter()
        .filter_map(|o| match o {
            Output::Send(Message {
                to,
                correlation_id,
                body: Body::Response(r),
                ..
            }) => Some((to.clone(), *correlation_id, r.clone())),
            _ => None,
        })
        .collect()
}

fn only_response(out: &[Output]) -> Response {
    let r = responses(out);
    assert_eq!(r.len(), 1, "{out:#?}");
    r[0].2.clone()
}

fn coordinator() -> GroupCoordinator {
    GroupCoordinator::new("g", 0, CoordinatorConfig::default(), 7).expect("coordinator")
}

/// Joins `client` with the MEMBER_ID_REQUIRED round trip; returns the member id.
fn join_member(c: &mut GroupCoordinator, now: u64, client: &str, names: &[&str]) -> String {
    let out = c.handle_message(now, &msg(client, 1, join("", client, names)));
    let Response::JoinGroup {
        error, member_id, ..
    } = only_response(&out)
    else {
        panic!("not a join response")
    };
    assert_eq!(error, ErrorCode::MemberIdRequired);
    assert!(member_id.starts_with(&format!("{client}-")), "{member_id}");
    let out = c.handle_message(now, &msg(client, 2, join(&member_id, client, names)));
    assert!(responses(&out).is_empty(), "the join is parked: {out:#?}");
    member_id
}

fn stable_group_of_two() -> (GroupCoordinator, String, String) {
    let mut c = coordinator();
    let a = join_member(&mut c, 0, "a", &["range"]);
    let b = join_member(&mut c, 10, "b", &["range"]);
    c.handle_timeout(3_000);
    c.handle_timeout(6_000);
    assert_eq!(c.state(), GroupState::CompletingRebalance);
    let sync = |m: &str, assignments: Vec<SyncAssignment>| Request::SyncGroup {
        group_instance_id: None,
        group_id: "g".into(),
        generation_id: 1,
        member_id: m.into(),
        protocol_name: "range".into(),
        assignments,
    };
    let out = c.handle_message(6_010, &msg("b", 3, sync(&b, vec![])));
    assert!(responses(&out).is_empty());
    let out = c.handle_message(
        6_010,
        &msg(
            "a",
            3,
            sync(
                &a,
                vec![
                    SyncAssignment {
                        member_id: a.clone(),
                        partitions: vec![TopicPartition::new("t", 0)],
                    },
                    SyncAssignment {
                        member_id: b.clone(),
                        partitions: vec![TopicPartition::new("t", 1)],
                    },
                ],
            ),
        ),
    );
    // `GroupMetadataManager.classicGroupSyncToLeader`: the leader's SyncGroup writes the
    // GroupMetadata record; the group stays CompletingRebalance and nobody is answered until the
    // write is committed (its `appendFuture` completes).
    assert!(responses(&out).is_empty(), "{out:#?}");
    assert!(out.iter().any(|o| matches!(o, Output::AppendRecord(CoordinatorRecord::GroupMetadata { generation_id: 1, .. }))));
    assert_eq!(c.state(), GroupState::CompletingRebalance);
    assert_eq!(c.awaiting_group_metadata(), Some(1));
    let out = c.group_metadata_written(6_020, 1, ErrorCode::None);
    assert_eq!(responses(&out).len(), 2);
    assert_eq!(c.state(), GroupState::Stable);
    assert_eq!(c.awaiting_group_metadata(), None);
    (c, a, b)
}

#[test]
fn transition_table_is_kafkas() {
    use GroupState::*;
    assert_eq!(Empty.valid_previous_states(), &[PreparingRebalance]);
    assert_eq!(
        PreparingRebalance.valid_previous_states(),
        &[Stable, CompletingRebalance, Empty]
    );
    assert_eq!(
        CompletingRebalance.valid_previous_states(),
        &[PreparingRebalance]
    );
    assert_eq!(Stable.valid_previous_states(), &[CompletingRebalance]);
    assert_eq!(
        Dead.valid_previous_states(),
        &[Stable, PreparingRebalance, CompletingRebalance, Empty, Dead]
    );
    assert!(!Stable.can_transition_from(Empty));
    assert!(!CompletingRebalance.can_transition_from(Stable));
}

#[test]
fn first_join_requires_member_id_and_waits_for_initial_delay() {
    let mut c = coordinator();
    let a = join_member(&mut c, 0, "a", &["range"]);
    assert_eq!(c.state(), GroupState::PreparingRebalance);
    assert!(matches!(
        c.join_timer(),
        Some(JoinTimer::Initial {
            deadline_ms: 3_000,
            ..
        })
    ));
    assert!(responses(&c.handle_timeout(2_999)).is_empty());
    let out = c.handle_timeout(3_000);
    let Response::JoinGroup {
        error,
        generation_id,
        leader,
        members,
        protocol_name,
        ..
    } = only_response(&out)
    else {
        panic!()
    };
    assert_eq!(error, ErrorCode::None);
    assert_eq!(generation_id, 1);
    assert_eq!(leader, a);
    assert_eq!(members.len(), 1, "the leader gets the member list");
    assert_eq!(protocol_name.as_deref(), Some("range"));
    assert_eq!(c.state(), GroupState::CompletingRebalance);
}

#[test]
fn initial_delay_extends_while_members_keep_joining() {
    let mut c = coordinator();
    join_member(&mut c, 0, "a", &["range"]);
    join_member(&mut c, 2_000, "b", &["range"]);
    // A new member arrived during the first delay: extend by another delay.
    assert!(responses(&c.handle_timeout(3_000)).is_empty());
    assert!(matches!(
        c.join_timer(),
        Some(JoinTimer::Initial {
            deadline_ms: 6_000,
            ..
        })
    ));
    let out = c.handle_timeout(6_000);
    assert_eq!(responses(&out).len(), 2);
    assert_eq!(c.generation_id(), 1);
}

#[test]
fn heartbeat_errors() {
    let (mut c, a, _b) = stable_group_of_two();
    let hb = |m: &str, g: i32| Request::Heartbeat {
        group_instance_id: None,
        group_id: "g".into(),
        generation_id: g,
        member_id: m.into(),
    };
    assert_eq!(
        only_response(&c.handle_message(7_000, &msg("a", 9, hb(&a, 1)))).error(),
        ErrorCode::None
    );
    assert_eq!(
        only_response(&c.handle_message(7_000, &msg("a", 9, hb(&a, 0)))).error(),
        ErrorCode::IllegalGeneration
    );
    assert_eq!(
        only_response(&c.handle_message(7_000, &msg("x", 9, hb("x-1", 1)))).error(),
        ErrorCode::UnknownMemberId
    );
    // A new member starts a rebalance; heartbeats then say REBALANCE_IN_PROGRESS.
    join_member(&mut c, 7_100, "c", &["range"]);
    assert_eq!(c.state(), GroupState::PreparingRebalance);
    assert_eq!(
        only_response(&c.handle_message(7_200, &msg("a", 9, hb(&a, 1)))).error(),
        ErrorCode::RebalanceInProgress
    );
}

#[test]
fn offset_commit_validation() {
    let (mut c, a, b) = stable_group_of_two();
    let commit = |m: &str, g: i32| Request::OffsetCommit {
        group_instance_id: None,
        group_id: "g".into(),
        generation_id: g,
        member_id: m.into(),
        offsets: vec![OffsetCommitEntry {
            tp: TopicPartition::new("t", 0),
            offset: 5,
            metadata: String::new(),
        }],
    };
    let out = c.handle_message(7_000, &msg("a", 9, commit(&a, 1)));
    assert_eq!(only_response(&out).error(), ErrorCode::None);
    assert!(out.iter().any(|o| matches!(
        o,
        Output::AppendRecord(CoordinatorRecord::OffsetCommit { offset: 5, .. })
    )));
    assert_eq!(
        only_response(&c.handle_message(7_000, &msg("a", 9, commit(&a, 0)))).error(),
        ErrorCode::IllegalGeneration
    );
    assert_eq!(
        only_response(&c.handle_message(7_000, &msg("z", 9, commit("z-1", 1)))).error(),
        ErrorCode::UnknownMemberId
    );
    // PreparingRebalance: the current generation may still commit (eager onJoinPrepare).
    let c3 = join_member(&mut c, 7_100, "c", &["range"]);
    assert_eq!(
        only_response(&c.handle_message(7_200, &msg("a", 9, commit(&a, 1)))).error(),
        ErrorCode::None
    );
    // Everyone rejoins ⇒ CompletingRebalance at generation 2: commits get REBALANCE_IN_PROGRESS.
    c.handle_message(7_300, &msg("a", 10, join(&a, "a", &["range"])));
    c.handle_message(7_300, &msg("b", 10, join(&b, "b", &["range"])));
    assert_eq!(c.state(), GroupState::CompletingRebalance);
    assert!(c.members().contains_key(&c3));
    assert_eq!(
        only_response(&c.handle_message(7_400, &msg("a", 11, commit(&a, 2)))).error(),
        ErrorCode::RebalanceInProgress
    );
    assert_eq!(
        only_response(&c.handle_message(7_400, &msg("a", 11, commit(&a, 1)))).error(),
        ErrorCode::IllegalGeneration
    );
}

#[test]
fn sync_during_preparing_rebalance_is_rejected() {
    let (mut c, a, _) = stable_group_of_two();
    join_member(&mut c, 7_000, "c", &["range"]);
    let out = c.handle_message(
        7_100,
        &msg(
            "a",
            5,
            Request::SyncGroup {
        group_instance_id: None,
                group_id: "g".into(),
                generation_id: 1,
                member_id: a,
                protocol_name: "range".into(),
                assignments: vec![],
            },
        ),
    );
    assert_eq!(only_response(&out).error(), ErrorCode::RebalanceInProgress);
}

#[test]
fn members_that_do_not_rejoin_are_removed_at_rebalance_timeout() {
    let (mut c, a, b) = stable_group_of_two();
    // b keeps heartbeating but never rejoins; a rejoins.
    c.handle_message(7_000, &msg("a", 10, join(&a, "a", &["range"])));
    assert_eq!(c.state(), GroupState::PreparingRebalance);
    for t in (10_000..300_000).step_by(3_000) {
        let hb = Request::Heartbeat {
        group_instance_id: None,
            group_id: "g".into(),
            generation_id: 1,
            member_id: b.clone(),
        };
        c.handle_message(t, &msg("b", 11, hb));
        c.handle_timeout(t);
    }
    assert!(c.members().contains_key(&b));
    let out = c.handle_timeout(307_000);
    assert!(
        !c.members().contains_key(&b),
        "b removed after the rebalance timeout"
    );
    assert_eq!(c.state(), GroupState::CompletingRebalance);
    assert_eq!(c.generation_id(), 2);
    assert_eq!(responses(&out).len(), 1);
}

#[test]
fn session_expiry_removes_a_silent_member() {
    let (mut c, a, b) = stable_group_of_two();
    let hb = Request::Heartbeat {
        group_instance_id: None,
        group_id: "g".into(),
        generation_id: 1,
        member_id: a.clone(),
    };
    c.handle_message(40_000, &msg("a", 12, hb));
    assert_eq!(c.next_deadline_ms(), Some(6_010 + 45_000));
    c.handle_timeout(51_009);
    assert!(c.members().contains_key(&b));
    c.handle_timeout(51_010);
    assert!(!c.members().contains_key(&b));
    assert_eq!(c.state(), GroupState::PreparingRebalance);
}

#[test]
fn protocol_selection_by_vote() {
    let mut c = coordinator();
    join_member(&mut c, 0, "a", &["range", "roundrobin"]);
    join_member(&mut c, 0, "b", &["roundrobin", "range"]);
    join_member(&mut c, 0, "c", &["roundrobin", "range", "sticky"]);
    c.handle_timeout(3_000);
    c.handle_timeout(6_000);
    assert_eq!(c.protocol(), Some("roundrobin"), "two votes beat one");

    let mut c = coordinator();
    join_member(&mut c, 0, "a", &["range", "cooperative-sticky"]);
    join_member(&mut c, 0, "b", &["cooperative-sticky"]);
    c.handle_timeout(3_000);
    c.handle_timeout(6_000);
    assert_eq!(
        c.protocol(),
        Some("cooperative-sticky"),
        "only candidates supported by all"
    );
}

#[test]
fn inconsistent_protocol_and_invalid_session_timeout() {
    let (mut c, _, _) = stable_group_of_two();
    let out = c.handle_message(7_000, &msg("x", 1, join("", "x", &["roundrobin"])));
    assert_eq!(
        only_response(&out).error(),
        ErrorCode::InconsistentGroupProtocol
    );
    let mut bad = join("", "y", &["range"]);
    if let Request::JoinGroup {
        session_timeout_ms, ..
    } = &mut bad
    {
        *session_timeout_ms = 1_000;
    }
    assert_eq!(
        only_response(&c.handle_message(7_000, &msg("y", 1, bad))).error(),
        ErrorCode::InvalidSessionTimeout
    );
}

#[test]
fn leaving_last_member_empties_the_group() {
    let (mut c, a, b) = stable_group_of_two();
    for (m, cl) in [(&a, "a"), (&b, "b")] {
        let out = c.handle_message(
            7_000,
            &msg(
                cl,
                20,
                Request::LeaveGroup {
                    group_id: "g".into(),
                    member_id: m.clone(),
                    reason: "bye".into(),
                },
            ),
        );
        assert!(responses(&out)
            .iter()
            .any(|(_, _, r)| r.error() == ErrorCode::None));
    }
    assert_eq!(c.state(), GroupState::Empty);
    assert_eq!(c.generation_id(), 2);
    let seq: Vec<(GroupState, GroupState)> =
        c.transitions().iter().map(|(_, f, t)| (*f, *t)).collect();
    assert_eq!(
        seq.last(),
        Some(&(GroupState::PreparingRebalance, GroupState::Empty))
    );
}

#[test]
fn unload_answers_not_coordinator_and_load_restores() {
    let (mut c, a, _) = stable_group_of_two();
    let mut records = Vec::new();
    let commit = Request::OffsetCommit {
        group_instance_id: None,
        group_id: "g".into(),
        generation_id: 1,
        member_id: a.clone(),
        offsets: vec![OffsetCommitEntry {
            tp: TopicPartition::new("t", 1),
            offset: 9,
            metadata: "m".into(),
        }],
    };
    for o in c.handle_message(7_000, &msg("a", 1, commit)) {
        if let Output::AppendRecord(r) = o {
            records.push(r);
        }
    }
    assert_eq!(records.len(), 1);
    c.unload(8_000);
    assert_eq!(c.state(), GroupState::Dead);
    let hb = Request::Heartbeat {
        group_instance_id: None,
        group_id: "g".into(),
        generation_id: 1,
        member_id: a.clone(),
    };
    assert_eq!(
        only_response(&c.handle_message(8_000, &msg("a", 2, hb))).error(),
        ErrorCode::NotCoordinator
    );
    let (n, _) = GroupCoordinator::load(
        "g",
        3,
        CoordinatorConfig::default(),
        1,
        8_000,
        records.iter(),
    )
    .expect("load");
    assert_eq!(n.committed()[&TopicPartition::new("t", 1)].offset, 9);
    assert_eq!(
        n.state(),
        GroupState::Empty,
        "no group metadata record given"
    );
}

fn metadata_records(out: &[Output]) -> Vec<i32> {
    out.iter()
        .filter_map(|o| match o {
            Output::AppendRecord(CoordinatorRecord::GroupMetadata { generation_id, .. }) => Some(*generation_id),
            _ => None,
        })
        .collect()
}

/// `GroupMetadataManager.completeClassicGroupJoin` writes the GroupMetadata record only when the
/// group becomes Empty; with members the new generation is written by the leader's SyncGroup
/// (`classicGroupSyncToLeader`), nowhere else.
#[test]
fn group_metadata_is_written_only_when_empty_or_on_the_leaders_sync() {
    let mut c = coordinator();
    let mut written = Vec::new();
    let a = join_member(&mut c, 0, "a", &["range"]);
    written.extend(metadata_records(&c.handle_timeout(3_000)));
    assert_eq!(c.state(), GroupState::CompletingRebalance);
    assert!(written.is_empty(), "no record at a join completion with members: {written:?}");
    let sync = Request::SyncGroup {
        group_instance_id: None,
        group_id: "g".into(),
        generation_id: 1,
        member_id: a.clone(),
        protocol_name: "range".into(),
        assignments: vec![SyncAssignment { member_id: a.clone(), partitions: vec![TopicPartition::new("t", 0)] }],
    };
    let out = c.handle_message(3_010, &msg("a", 5, sync));
    assert_eq!(metadata_records(&out), vec![1], "the leader's SyncGroup writes generation 1");
    assert!(responses(&out).is_empty(), "answered when the write is committed");
    let out = c.group_metadata_written(3_020, 1, ErrorCode::None);
    assert!(metadata_records(&out).is_empty());
    assert_eq!(c.state(), GroupState::Stable);
    let mut out = c.handle_message(4_000, &msg("a", 6, Request::LeaveGroup { group_id: "g".into(), member_id: a.clone(), reason: "bye".into() }));
    while c.state() != GroupState::Empty {
        let Some(d) = c.next_deadline_ms() else { break };
        out.extend(c.handle_timeout(d));
    }
    assert_eq!(c.state(), GroupState::Empty);
    assert_eq!(metadata_records(&out), vec![2], "the Empty group is written");
}

/// A failed GroupMetadata write (`appendGroupMetadataErrorToResponseError`) answers the parked
/// SyncGroups with the mapped error and rebalances (`resetAndPropagateAssignmentWithError`).
#[test]
fn a_failed_group_metadata_write_fails_the_sync_and_rebalances() {
    let mut c = coordinator();
    let a = join_member(&mut c, 0, "a", &["range"]);
    c.handle_timeout(3_000);
    let sync = Request::SyncGroup {
        group_instance_id: None,
        group_id: "g".into(),
        generation_id: 1,
        member_id: a.clone(),
        protocol_name: "range".into(),
        assignments: vec![],
    };
    c.handle_message(3_010, &msg("a", 5, sync));
    let out = c.group_metadata_written(8_010, 1, ErrorCode::CoordinatorNotAvailable);
    let r = responses(&out);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].2.error(), ErrorCode::CoordinatorNotAvailable);
    assert_eq!(c.state(), GroupState::PreparingRebalance);
    assert_eq!(c.awaiting_group_metadata(), None);
}

/// `removePendingMemberAndUpdateClassicGroup`: a MEMBER_ID_REQUIRED id that never comes back
/// expires after its session timeout and, when every member has joined, completes the join
/// phase — also during the initial delay (`group.initial.rebalance.delay.ms` extended by
/// arrivals), which would otherwise run on.
#[test]
fn a_pending_member_expiring_completes_the_join() {
    let config = CoordinatorConfig { initial_rebalance_delay_ms: 100_000, ..CoordinatorConfig::default() };
    let mut c = GroupCoordinator::new("g", 0, config, 7).expect("coordinator");
    let a = join_member(&mut c, 0, "a", &["range"]);
    assert_eq!(c.state(), GroupState::PreparingRebalance);
    // A second client gets its member id and never returns.
    let out = c.handle_message(1_000, &msg("b", 1, join("", "b", &["range"])));
    assert_eq!(only_response(&out).error(), ErrorCode::MemberIdRequired);
    assert!(matches!(c.join_timer(), Some(JoinTimer::Initial { .. })));
    let out = c.handle_timeout(1_000 + 45_000);
    assert_eq!(c.state(), GroupState::CompletingRebalance, "completed at the pending member's expiry, not after the initial delay");
    assert!(responses(&out).iter().any(|(_, _, r)| matches!(r, Response::JoinGroup { error: ErrorCode::None, member_id, .. } if *member_id == a)));
}

/// A new member (`isNew`) parked in JoinGroup expires after the 5-minute new-member join
/// timeout, not the session timeout, and gets UNKNOWN_MEMBER_ID (`hasSatisfiedHeartbeat` is
/// false for new members; `removeMemberAndUpdateClassicGroup`).
#[test]
fn a_new_member_parked_in_join_expires_after_the_new_member_join_timeout() {
    let (mut c, a, b) = stable_group_of_two();
    // A third member joins; the rebalance waits for a and b (rebalance timeout 300 s).
    let nm = join_member(&mut c, 7_000, "n", &["range"]);
    assert_eq!(c.state(), GroupState::PreparingRebalance);
    // a and b keep heartbeating but never rejoin; at 7 s + 300 s the new member's join
    // timeout and the rebalance timeout meet: the new member is dropped first.
    for t in (10_000..307_000).step_by(3_000) {
        for (m, cl) in [(&a, "a"), (&b, "b")] {
            let hb = Request::Heartbeat { group_instance_id: None, group_id: "g".into(), generation_id: 1, member_id: m.clone() };
            c.handle_message(t, &msg(cl, 9, hb));
        }
    }
    let out = c.handle_timeout(7_000 + 300_000);
    assert!(!c.members().contains_key(&nm), "the new member expired");
    assert!(responses(&out).iter().any(|(to, _, r)| *to == Endpoint::Client("n".into()) && r.error() == ErrorCode::UnknownMemberId), "{out:#?}");
}

/// A coordinator still loading the group from `__consumer_offsets` answers
/// COORDINATOR_LOAD_IN_PROGRESS (retriable) until it is done; FindCoordinator is not its to answer.
#[test]
fn a_loading_coordinator_answers_coordinator_load_in_progress() {
    let mut c = coordinator();
    c.set_loading_until(100);
    let out = c.handle_message(50, &msg("a", 1, join("", "a", &["range"])));
    assert_eq!(only_response(&out).error(), ErrorCode::CoordinatorLoadInProgress);
    let out = c.handle_message(100, &msg("a", 2, join("", "a", &["range"])));
    assert_eq!(only_response(&out).error(), ErrorCode::MemberIdRequired, "loaded");
}
