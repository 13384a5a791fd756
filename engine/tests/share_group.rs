//! The KIP-932 share-group coordinator as data, in the style of Kafka's `GroupMetadataManagerTest`
//! share-group cases: each case is a sequence of `ShareGroupHeartbeat` requests, timeouts,
//! metadata changes and share-partition initializations, with the exact responses, the group's
//! epochs and state after each step, and (where a step is followed by `Records`) the exact
//! records it wrote. The target assignment comes from GroupLab's `simple` assignor. The
//! invariants are checked after every step, and replaying the records a case wrote (all of them,
//! and the compacted log) rebuilds the same group. A property test plays random histories.

use std::cell::RefCell;

use grouplab_engine::assign::simple::{simple_assignment, SimpleMember, SubscriptionType};
use grouplab_engine::group::protocol::{ErrorCode, TopicPartition};
use grouplab_engine::group::share::group::{
    CompactedShareRecords, Output, ShareAssignorMember, ShareGroup, ShareGroupConfig, ShareGroupEvent, ShareGroupHeartbeatRequest, ShareGroupRecord,
    ShareGroupState, ShareRemoval, ShareTargetAssignor, TopicPartitions,
};
use grouplab_engine::group::share::InitializeShareGroupState;
use grouplab_engine::kernel::vecmap::VecMap;
use proptest::prelude::*;

/// The broker: its topics (changeable between steps) and the `simple` assignor over them.
#[derive(Default)]
struct Broker {
    topics: RefCell<VecMap<String, u32>>,
}

impl Broker {
    fn with(topics: &[(&str, u32)]) -> Broker {
        let b = Broker::default();
        b.set(topics);
        b
    }
    fn set(&self, topics: &[(&str, u32)]) {
        *self.topics.borrow_mut() = topics.iter().map(|(t, c)| (t.to_string(), *c)).collect();
    }
}

impl ShareTargetAssignor for Broker {
    fn partition_count(&self, topic: &str) -> Option<u32> {
        self.topics.borrow().get(topic).copied()
    }
    fn assign(&self, assignor: &str, members: &[ShareAssignorMember<'_>], homogeneous: bool, assignable: &VecMap<String, Vec<u32>>) -> VecMap<String, Vec<TopicPartition>> {
        assert_eq!(assignor, "simple");
        let simple: Vec<SimpleMember> = members
            .iter()
            .map(|m| SimpleMember {
                id: m.member_id.to_string(),
                topics: m.topics.to_vec(),
                target: m.target.iter().map(|tp| (tp.topic.to_string(), tp.partition)).collect(),
            })
            .collect();
        let kind = if homogeneous { SubscriptionType::Homogeneous } else { SubscriptionType::Heterogeneous };
        let a = simple_assignment(&self.topics.borrow(), &simple, kind, Some(assignable)).expect("simple assignment");
        a.into_iter().map(|(m, l)| (m, l.into_iter().map(|(t, p)| TopicPartition::new(t, p)).collect())).collect()
    }
}

/// `"foo:0,1 bar:2"` → partitions.
fn tps(s: &str) -> Vec<TopicPartition> {
    let mut out = Vec::new();
    for part in s.split_whitespace() {
        let (t, ps) = part.split_once(':').expect("topic:partitions");
        for p in ps.split(',').filter(|p| !p.is_empty()) {
            out.push(TopicPartition::new(t, p.parse().unwrap()));
        }
    }
    out
}

/// A join (epoch 0) subscribing to `topics`.
fn join(member: &str, topics: &[&str]) -> ShareGroupHeartbeatRequest {
    ShareGroupHeartbeatRequest {
        member_id: member.into(),
        member_epoch: 0,
        rack_id: None,
        subscribed_topics: Some(topics.iter().map(|t| t.to_string()).collect()),
        client_id: format!("client-{member}"),
    }
}

/// A regular heartbeat at `epoch`, nothing else changed.
fn beat(member: &str, epoch: i32) -> ShareGroupHeartbeatRequest {
    ShareGroupHeartbeatRequest { member_id: member.into(), member_epoch: epoch, rack_id: None, subscribed_topics: None, client_id: format!("client-{member}") }
}

/// A heartbeat at `epoch` that changes the subscription.
fn subscribe(member: &str, epoch: i32, topics: &[&str]) -> ShareGroupHeartbeatRequest {
    ShareGroupHeartbeatRequest { subscribed_topics: Some(topics.iter().map(|t| t.to_string()).collect()), ..beat(member, epoch) }
}

/// A leave (epoch -1).
fn leave(member: &str) -> ShareGroupHeartbeatRequest {
    beat(member, -1)
}

/// (group epoch, target epoch, state).
type GroupView = (i32, i32, ShareGroupState);

const EMPTY: ShareGroupState = ShareGroupState::Empty;
const STABLE: ShareGroupState = ShareGroupState::Stable;

/// One step of a case and what must come out of it.
enum Step {
    /// A heartbeat at a time: expected (error, member epoch, assignment as `"t:0,1"` or `None`),
    /// then the group.
    Beat(u64, ShareGroupHeartbeatRequest, (ErrorCode, i32, Option<&'static str>), GroupView),
    /// Time passes to `at`: the members whose sessions expired, then the group.
    Timeout(u64, &'static [&'static str], GroupView),
    /// The broker's topics change.
    Topics(&'static [(&'static str, u32)]),
    /// The driver initializes the share-partitions asked for since the last `Initialize` (they
    /// must be these, at this state epoch) and reports success.
    Initialize(&'static str, i32),
    /// The driver reports that initializing these share-partitions failed.
    InitializeFailed(&'static str),
    /// The records the previous step wrote.
    Records(Vec<ShareGroupRecord>),
}

fn view(g: &ShareGroup) -> GroupView {
    (g.group_epoch(), g.assignment_epoch(), g.state())
}

/// Everything a loaded group must have like the live one (session deadlines and initializing
/// timestamps restart on load).
fn snapshot(g: &ShareGroup) -> String {
    let targets: Vec<(String, Vec<TopicPartition>)> = g.members().keys().map(|m| (m.clone(), g.target_of(m).to_vec())).collect();
    format!(
        "{:?}\n{:?}\n{:?}\n{}\n{:?}\n{:?}\n{:?}",
        view(g),
        g.members(),
        targets,
        g.metadata_hash(),
        g.initialized_partitions(),
        g.initializing_partitions(),
        g.deleting_topics()
    )
}

/// Plays `steps` on a new group `grp` over the broker's `topics`, checking every response, the
/// epochs and state, the records where asked, and the invariants after each step; then replays
/// the records into new groups (all of them, and the compacted log) and compares.
fn check(config: ShareGroupConfig, topics: &[(&str, u32)], steps: Vec<Step>) -> ShareGroup {
    let broker = Broker::with(topics);
    let mut group = ShareGroup::new("grp", config.clone());
    let mut records: Vec<ShareGroupRecord> = Vec::new();
    let mut last: Vec<ShareGroupRecord> = Vec::new();
    let mut pending: Vec<(TopicPartition, InitializeShareGroupState)> = Vec::new();
    let mut now = 0;
    let mut take = |out: Output, last: &mut Vec<ShareGroupRecord>, pending: &mut Vec<(TopicPartition, InitializeShareGroupState)>| {
        records.extend(out.records.iter().cloned());
        *last = out.records;
        pending.extend(out.initialize.into_iter().map(|r| (r.partition, r.state)));
    };
    for (i, step) in steps.into_iter().enumerate() {
        match step {
            Step::Beat(at, req, (error, epoch, assignment), expect) => {
                now = at;
                let before = group.clone();
                let (resp, out) = group.heartbeat(at, &req, &broker);
                let want = assignment.map(tps);
                assert_eq!((resp.error, resp.member_epoch, resp.assignment.clone()), (error, epoch, want), "step {i}: response to {req:?}");
                assert_eq!(resp.member_id, req.member_id, "step {i}");
                if error == ErrorCode::None && req.member_epoch >= 0 {
                    assert_eq!(resp.heartbeat_interval_ms, config.heartbeat_interval_ms, "step {i}");
                    assert_eq!(group.session_deadline_of(&req.member_id), Some(at + config.session_timeout_ms), "step {i}: session restarted");
                } else {
                    assert_eq!(resp.heartbeat_interval_ms, 0, "step {i}");
                }
                if error != ErrorCode::None {
                    assert_eq!(group, before, "step {i}: a refused heartbeat changes nothing");
                    assert!(out.records.is_empty() && out.events.is_empty() && out.initialize.is_empty(), "step {i}");
                }
                take(out, &mut last, &mut pending);
                assert_eq!(view(&group), expect, "step {i}: group after {req:?}");
            }
            Step::Timeout(at, removed, expect) => {
                now = at;
                let out = group.handle_timeout(at);
                let gone: Vec<&str> = out
                    .events
                    .iter()
                    .filter_map(|e| match e {
                        ShareGroupEvent::MemberRemoved { member_id, reason } => {
                            assert_eq!(*reason, ShareRemoval::SessionExpired);
                            Some(member_id.as_str())
                        }
                        _ => None,
                    })
                    .collect();
                assert_eq!(gone, removed, "step {i}: expired members");
                take(out, &mut last, &mut pending);
                assert_eq!(view(&group), expect, "step {i}: group after the timeout at {at}");
            }
            Step::Topics(t) => broker.set(t),
            Step::Initialize(want, state_epoch) => {
                let asked: Vec<TopicPartition> = pending.iter().map(|(tp, _)| tp.clone()).collect();
                assert_eq!(asked, tps(want), "step {i}: partitions to initialize");
                for (tp, state) in &pending {
                    assert_eq!(*state, InitializeShareGroupState { state_epoch, start_offset: -1 }, "step {i}: {tp}");
                }
                let out = group.initialize_done(&asked);
                pending.clear();
                take(out, &mut last, &mut pending);
            }
            Step::InitializeFailed(which) => {
                let out = group.initialize_failed(&tps(which));
                pending.retain(|(tp, _)| !tps(which).contains(tp));
                take(out, &mut last, &mut pending);
            }
            Step::Records(want) => {
                assert_eq!(last, want, "step {i}: records of the previous step");
                continue;
            }
        }
        group.check_invariants().unwrap_or_else(|e| panic!("step {i}: {e}"));
    }
    // Replaying everything, and the compacted log, rebuilds the group.
    let mut replayed = ShareGroup::new("grp", config.clone());
    for r in &records {
        replayed.replay(now, r);
    }
    assert_eq!(snapshot(&replayed), snapshot(&group), "replay of all records");
    let mut log = CompactedShareRecords::default();
    log.write(&records);
    let loaded = ShareGroup::loaded("grp", config, now, &log);
    assert_eq!(snapshot(&loaded), snapshot(&group), "load of the compacted records");
    loaded.check_invariants().unwrap();
    group
}

fn hash(topics: &[(&str, u32)]) -> u64 {
    ShareGroup::metadata_hash_for(&topics.iter().map(|(t, c)| (t.to_string(), *c)).collect())
}

fn tpl(topic: &str, partitions: &[u32]) -> TopicPartitions {
    TopicPartitions { topic: topic.into(), partitions: partitions.to_vec() }
}

fn metadata(member: &str, topics: &[&str]) -> ShareGroupRecord {
    ShareGroupRecord::MemberMetadata { member_id: member.into(), rack_id: None, client_id: format!("client-{member}"), subscribed_topics: topics.iter().map(|t| t.to_string()).collect() }
}

fn target(member: &str, parts: &str) -> ShareGroupRecord {
    ShareGroupRecord::TargetAssignmentMember { member_id: member.into(), partitions: tps(parts) }
}

fn current(member: &str, epoch: i32, previous: i32, parts: &str) -> ShareGroupRecord {
    ShareGroupRecord::CurrentAssignment { member_id: member.into(), member_epoch: epoch, previous_member_epoch: previous, assigned: tps(parts) }
}

fn fenced(member: &str, epoch: i32, hash: u64) -> Vec<ShareGroupRecord> {
    vec![
        ShareGroupRecord::CurrentAssignmentTombstone { member_id: member.into() },
        ShareGroupRecord::TargetAssignmentMemberTombstone { member_id: member.into() },
        ShareGroupRecord::MemberMetadataTombstone { member_id: member.into() },
        ShareGroupRecord::GroupEpoch { epoch, metadata_hash: hash },
    ]
}

const OK: ErrorCode = ErrorCode::None;

// ---------------------------------------------------------------------------------------------
// Cases

/// `testShareGroupMemberJoinsEmptyGroupWithAssignments` with the real assignor: the first join
/// finds nothing initialized (empty target), asks for the share-partitions' state, and the next
/// heartbeat after they are initialized bumps the epoch and assigns them.
#[test]
fn a_join_initializes_then_assigns() {
    let foo = hash(&[("foo", 6), ("bar", 3)]);
    check(
        ShareGroupConfig::default(),
        &[("foo", 6), ("bar", 3)],
        vec![
            Step::Beat(0, join("m1", &["foo", "bar"]), (OK, 1, Some("")), (1, 1, STABLE)),
            Step::Records(vec![
                metadata("m1", &["bar", "foo"]),
                ShareGroupRecord::GroupEpoch { epoch: 1, metadata_hash: foo },
                target("m1", ""),
                ShareGroupRecord::TargetAssignmentEpoch { epoch: 1 },
                current("m1", 1, 0, ""),
                ShareGroupRecord::StatePartitionMetadata { initializing: vec![tpl("bar", &[0, 1, 2]), tpl("foo", &[0, 1, 2, 3, 4, 5])], initialized: vec![], deleting: vec![] },
            ]),
            Step::Initialize("bar:0,1,2 foo:0,1,2,3,4,5", 1),
            Step::Records(vec![ShareGroupRecord::StatePartitionMetadata {
                initializing: vec![],
                initialized: vec![tpl("bar", &[0, 1, 2]), tpl("foo", &[0, 1, 2, 3, 4, 5])],
                deleting: vec![],
            }]),
            Step::Beat(1_000, beat("m1", 1), (OK, 2, Some("bar:0,1,2 foo:0,1,2,3,4,5")), (2, 2, STABLE)),
            Step::Records(vec![
                ShareGroupRecord::GroupEpoch { epoch: 2, metadata_hash: foo },
                target("m1", "bar:0,1,2 foo:0,1,2,3,4,5"),
                ShareGroupRecord::TargetAssignmentEpoch { epoch: 2 },
                current("m1", 2, 1, "bar:0,1,2 foo:0,1,2,3,4,5"),
            ]),
            // Nothing new: no records, no assignment in the response.
            Step::Beat(2_000, beat("m1", 2), (OK, 2, None), (2, 2, STABLE)),
            Step::Records(vec![]),
        ],
    );
}

/// More members than partitions: every member shares the one partition (`desiredSharing`).
#[test]
fn members_share_a_partition() {
    let h = hash(&[("t", 1)]);
    check(
        ShareGroupConfig::default(),
        &[("t", 1)],
        vec![
            Step::Beat(0, join("m1", &["t"]), (OK, 1, Some("")), (1, 1, STABLE)),
            Step::Initialize("t:0", 1),
            Step::Beat(100, beat("m1", 1), (OK, 2, Some("t:0")), (2, 2, STABLE)),
            Step::Beat(200, join("m2", &["t"]), (OK, 3, Some("t:0")), (3, 3, STABLE)),
            Step::Records(vec![
                metadata("m2", &["t"]),
                ShareGroupRecord::GroupEpoch { epoch: 3, metadata_hash: h },
                target("m2", "t:0"),
                ShareGroupRecord::TargetAssignmentEpoch { epoch: 3 },
                current("m2", 3, 0, "t:0"),
            ]),
            Step::Beat(300, join("m3", &["t"]), (OK, 4, Some("t:0")), (4, 4, STABLE)),
            // m1 moves to epoch 4 with the same partition: the assignment is not sent again.
            Step::Beat(400, beat("m1", 2), (OK, 4, None), (4, 4, STABLE)),
            Step::Records(vec![current("m1", 4, 2, "t:0")]),
            Step::Beat(500, beat("m2", 3), (OK, 4, None), (4, 4, STABLE)),
        ],
    );
}

/// Fewer members than partitions: a second member takes half; the first gives them up at its
/// next heartbeat with no revocation phase.
#[test]
fn a_second_member_splits_the_partitions() {
    check(
        ShareGroupConfig::default(),
        &[("t", 4)],
        vec![
            Step::Beat(0, join("a", &["t"]), (OK, 1, Some("")), (1, 1, STABLE)),
            Step::Initialize("t:0,1,2,3", 1),
            Step::Beat(10, beat("a", 1), (OK, 2, Some("t:0,1,2,3")), (2, 2, STABLE)),
            Step::Beat(20, join("b", &["t"]), (OK, 3, Some("t:2,3")), (3, 3, STABLE)),
            Step::Records(vec![
                metadata("b", &["t"]),
                ShareGroupRecord::GroupEpoch { epoch: 3, metadata_hash: hash(&[("t", 4)]) },
                target("a", "t:0,1"),
                target("b", "t:2,3"),
                ShareGroupRecord::TargetAssignmentEpoch { epoch: 3 },
                current("b", 3, 0, "t:2,3"),
            ]),
            Step::Beat(30, beat("a", 2), (OK, 3, Some("t:0,1")), (3, 3, STABLE)),
        ],
    );
}

/// `testShareGroupLeavingMemberBumpsGroupEpoch`: a leave fences the member (three tombstones and
/// a group-epoch bump, with the metadata hash of the remaining subscriptions); the others get the
/// new target at their next heartbeat; the last one leaving empties the group.
#[test]
fn leaving_members() {
    check(
        ShareGroupConfig::default(),
        &[("foo", 2), ("zar", 1)],
        vec![
            Step::Beat(0, join("m1", &["foo"]), (OK, 1, Some("")), (1, 1, STABLE)),
            Step::Initialize("foo:0,1", 1),
            Step::Beat(0, join("m2", &["foo", "zar"]), (OK, 2, Some("foo:1")), (2, 2, STABLE)),
            Step::Initialize("zar:0", 2),
            Step::Beat(10, beat("m1", 1), (OK, 3, Some("foo:0")), (3, 3, STABLE)),
            Step::Beat(20, beat("m2", 2), (OK, 3, Some("foo:1 zar:0")), (3, 3, STABLE)),
            Step::Beat(30, leave("m2"), (OK, -1, None), (4, 3, STABLE)),
            Step::Records(fenced("m2", 4, hash(&[("foo", 2)]))),
            // Unknown now.
            Step::Beat(40, beat("m2", 3), (ErrorCode::UnknownMemberId, 0, None), (4, 3, STABLE)),
            Step::Beat(40, leave("m2"), (ErrorCode::UnknownMemberId, 0, None), (4, 3, STABLE)),
            // The targets left no longer cover foo's initialized partitions
            // (`initializedAssignmentPending`): m1's heartbeat bumps the epoch once more.
            Step::Beat(50, beat("m1", 3), (OK, 5, Some("foo:0,1")), (5, 5, STABLE)),
            Step::Records(vec![
                ShareGroupRecord::GroupEpoch { epoch: 5, metadata_hash: hash(&[("foo", 2)]) },
                target("m1", "foo:0,1"),
                ShareGroupRecord::TargetAssignmentEpoch { epoch: 5 },
                current("m1", 5, 3, "foo:0,1"),
            ]),
            Step::Beat(60, leave("m1"), (OK, -1, None), (6, 5, EMPTY)),
            Step::Records(fenced("m1", 6, 0)),
            Step::Beat(70, join("m3", &["foo"]), (OK, 7, Some("foo:0,1")), (7, 7, STABLE)),
        ],
    );
}

/// `testSessionTimeoutExpirationForShareMember`: a member that stops heartbeating is fenced at
/// its session deadline (45 s after its last successful heartbeat); a refused heartbeat does not
/// extend it.
#[test]
fn session_expiry_fences() {
    check(
        ShareGroupConfig::default(),
        &[("t", 2)],
        vec![
            Step::Beat(0, join("a", &["t"]), (OK, 1, Some("")), (1, 1, STABLE)),
            Step::Beat(1_000, join("b", &["t"]), (OK, 2, Some("")), (2, 2, STABLE)),
            Step::Initialize("t:0,1", 1),
            Step::Beat(2_000, beat("a", 1), (OK, 3, Some("t:1")), (3, 3, STABLE)),
            Step::Beat(3_000, beat("b", 9), (ErrorCode::FencedMemberEpoch, 0, None), (3, 3, STABLE)),
            Step::Timeout(45_999, &[], (3, 3, STABLE)),
            Step::Timeout(46_000, &["b"], (4, 3, STABLE)),
            Step::Records(fenced("b", 4, hash(&[("t", 2)]))),
            // b's target is gone, so t-0 is initialized but in no target: one more bump.
            Step::Beat(47_000, beat("a", 3), (OK, 5, Some("t:0,1")), (5, 5, STABLE)),
            Step::Timeout(92_000, &["a"], (6, 5, EMPTY)),
        ],
    );
}

/// `throwIfShareGroupHeartbeatRequestIsInvalid`, `testShareGroupUnknownGroupId`,
/// `testShareGroupUnknownMemberIdJoins` and `throwIfShareGroupMemberEpochIsInvalid`.
#[test]
fn request_and_epoch_errors() {
    let blank_rack = ShareGroupHeartbeatRequest { rack_id: Some(" \t".into()), ..join("m1", &["t"]) };
    // U+00A0 is not stripped by Java's trim(): a valid rack id.
    let nbsp_rack = ShareGroupHeartbeatRequest { rack_id: Some("\u{a0}".into()), ..join("m0", &["t"]) };
    let no_topics = ShareGroupHeartbeatRequest { subscribed_topics: None, ..join("m1", &["t"]) };
    check(
        ShareGroupConfig::default(),
        &[("t", 1)],
        vec![
            Step::Beat(0, join(" ", &["t"]), (ErrorCode::InvalidRequest, 0, None), (0, 0, EMPTY)),
            Step::Beat(0, blank_rack, (ErrorCode::InvalidRequest, 0, None), (0, 0, EMPTY)),
            Step::Beat(0, no_topics, (ErrorCode::InvalidRequest, 0, None), (0, 0, EMPTY)),
            Step::Beat(0, join("m1", &[]), (ErrorCode::InvalidRequest, 0, None), (0, 0, EMPTY)),
            Step::Beat(0, beat("m1", -2), (ErrorCode::InvalidRequest, 0, None), (0, 0, EMPTY)),
            // No such group yet.
            Step::Beat(0, beat("m1", 100), (ErrorCode::GroupIdNotFound, 0, None), (0, 0, EMPTY)),
            Step::Beat(0, leave("m1"), (ErrorCode::GroupIdNotFound, 0, None), (0, 0, EMPTY)),
            Step::Beat(0, nbsp_rack, (OK, 1, Some("")), (1, 1, STABLE)),
            Step::Beat(0, leave("m0"), (OK, -1, None), (2, 1, EMPTY)),
            Step::Beat(0, join("m1", &["t"]), (OK, 3, Some("")), (3, 3, STABLE)),
            Step::Initialize("t:0", 1),
            Step::Beat(10, beat("m2", 1), (ErrorCode::UnknownMemberId, 0, None), (3, 3, STABLE)),
            Step::Beat(20, beat("m1", 3), (OK, 4, Some("t:0")), (4, 4, STABLE)),
            // Ahead of the member's epoch.
            Step::Beat(30, beat("m1", 5), (ErrorCode::FencedMemberEpoch, 0, None), (4, 4, STABLE)),
            // The previous epoch is accepted (the response with the new one may have been lost).
            Step::Beat(40, beat("m1", 3), (OK, 4, None), (4, 4, STABLE)),
            Step::Beat(50, join("m2", &["t"]), (OK, 5, Some("t:0")), (5, 5, STABLE)),
            Step::Beat(60, beat("m1", 4), (OK, 5, None), (5, 5, STABLE)),
            // Behind, and not the previous epoch.
            Step::Beat(70, beat("m1", 3), (ErrorCode::FencedMemberEpoch, 0, None), (5, 5, STABLE)),
            // Epoch 0 always (re)joins a known member: its epoch and whole assignment come back
            // (`testShareGroupMemberCanRejoinWithEpochZero`).
            Step::Beat(80, join("m1", &["t"]), (OK, 5, Some("t:0")), (5, 5, STABLE)),
            Step::Records(vec![]),
        ],
    );
}

/// `testShareGroupNewMemberIsRejectedWithMaximumMembersIsReached`: a member the full group does
/// not know is refused, before its epoch is looked at; members already in it are not.
#[test]
fn max_size() {
    let config = ShareGroupConfig { max_size: 2, ..ShareGroupConfig::default() };
    check(
        config,
        &[("t", 2)],
        vec![
            Step::Beat(0, join("m1", &["t"]), (OK, 1, Some("")), (1, 1, STABLE)),
            Step::Beat(0, join("m2", &["t"]), (OK, 2, Some("")), (2, 2, STABLE)),
            Step::Beat(0, join("m3", &["t"]), (ErrorCode::GroupMaxSizeReached, 0, None), (2, 2, STABLE)),
            Step::Beat(0, beat("m3", 5), (ErrorCode::GroupMaxSizeReached, 0, None), (2, 2, STABLE)),
            // m1 rejoins: it is known, so it is not refused, and it catches up with epoch 2.
            Step::Beat(0, join("m1", &["t"]), (OK, 2, Some("")), (2, 2, STABLE)),
            Step::Beat(10, leave("m2"), (OK, -1, None), (3, 2, STABLE)),
            Step::Beat(20, join("m3", &["t"]), (OK, 4, Some("")), (4, 4, STABLE)),
        ],
    );
}

/// A subscription change bumps the epoch, makes the group heterogeneous, initializes the new
/// topic, and only its subscriber gets it; dropping a topic drops its partitions at once.
#[test]
fn subscription_changes() {
    check(
        ShareGroupConfig::default(),
        &[("foo", 2), ("bar", 2)],
        vec![
            Step::Beat(0, join("a", &["foo"]), (OK, 1, Some("")), (1, 1, STABLE)),
            Step::Beat(0, join("b", &["foo"]), (OK, 2, Some("")), (2, 2, STABLE)),
            Step::Initialize("foo:0,1", 1),
            Step::Beat(10, beat("a", 1), (OK, 3, Some("foo:1")), (3, 3, STABLE)),
            Step::Beat(10, beat("b", 2), (OK, 3, Some("foo:0")), (3, 3, STABLE)),
            Step::Beat(20, subscribe("b", 3, &["foo", "bar"]), (OK, 4, Some("foo:0")), (4, 4, STABLE)),
            Step::Records(vec![
                metadata("b", &["bar", "foo"]),
                ShareGroupRecord::GroupEpoch { epoch: 4, metadata_hash: hash(&[("bar", 2), ("foo", 2)]) },
                ShareGroupRecord::TargetAssignmentEpoch { epoch: 4 },
                current("b", 4, 3, "foo:0"),
                ShareGroupRecord::StatePartitionMetadata { initializing: vec![tpl("bar", &[0, 1])], initialized: vec![tpl("foo", &[0, 1])], deleting: vec![] },
            ]),
            Step::Initialize("bar:0,1", 4),
            Step::Beat(30, beat("a", 3), (OK, 5, None), (5, 5, STABLE)),
            Step::Beat(30, beat("b", 4), (OK, 5, Some("bar:0,1 foo:0")), (5, 5, STABLE)),
            // b drops foo: its foo partition goes at once (filtered by the subscription).
            Step::Beat(40, subscribe("b", 5, &["bar"]), (OK, 6, Some("bar:0,1")), (6, 6, STABLE)),
            Step::Beat(50, beat("a", 5), (OK, 6, Some("foo:0,1")), (6, 6, STABLE)),
        ],
    );
}

/// `testShareGroupHeartbeatInitializeOnPartitionUpdate`: more partitions change the metadata
/// hash; the next heartbeat bumps the epoch and asks for the new share-partitions only.
#[test]
fn partitions_added_are_initialized_then_assigned() {
    check(
        ShareGroupConfig::default(),
        &[("t1", 2), ("t2", 2)],
        vec![
            Step::Beat(0, join("m", &["t1", "t2"]), (OK, 1, Some("")), (1, 1, STABLE)),
            Step::Initialize("t1:0,1 t2:0,1", 1),
            Step::Beat(10, beat("m", 1), (OK, 2, Some("t1:0,1 t2:0,1")), (2, 2, STABLE)),
            Step::Topics(&[("t1", 4), ("t2", 2)]),
            Step::Beat(20, beat("m", 2), (OK, 3, None), (3, 3, STABLE)),
            Step::Records(vec![
                ShareGroupRecord::GroupEpoch { epoch: 3, metadata_hash: hash(&[("t1", 4), ("t2", 2)]) },
                ShareGroupRecord::TargetAssignmentEpoch { epoch: 3 },
                current("m", 3, 2, "t1:0,1 t2:0,1"),
                ShareGroupRecord::StatePartitionMetadata { initializing: vec![tpl("t1", &[2, 3])], initialized: vec![tpl("t1", &[0, 1]), tpl("t2", &[0, 1])], deleting: vec![] },
            ]),
            Step::Initialize("t1:2,3", 3),
            Step::Beat(30, beat("m", 3), (OK, 4, Some("t1:0,1,2,3 t2:0,1")), (4, 4, STABLE)),
        ],
    );
}

/// `testShareGroupHeartbeatPersisterRequestWithInitializing`: share-partitions initializing for
/// less than `group.share.initialize.retry.interval.ms` are not asked for again; older ones, and
/// failed ones, are.
#[test]
fn initialize_retries() {
    let config = ShareGroupConfig { initialize_retry_interval_ms: 1_000, ..ShareGroupConfig::default() };
    check(
        config,
        &[("t", 2)],
        vec![
            Step::Beat(0, join("m", &["t"]), (OK, 1, Some("")), (1, 1, STABLE)),
            Step::Beat(500, beat("m", 1), (OK, 1, None), (1, 1, STABLE)),
            Step::Records(vec![]),
            Step::Beat(1_000, beat("m", 1), (OK, 1, None), (1, 1, STABLE)),
            Step::Records(vec![ShareGroupRecord::StatePartitionMetadata { initializing: vec![tpl("t", &[0, 1])], initialized: vec![], deleting: vec![] }]),
            Step::InitializeFailed("t:1"),
            Step::Records(vec![ShareGroupRecord::StatePartitionMetadata { initializing: vec![tpl("t", &[0])], initialized: vec![], deleting: vec![] }]),
            // t-0 is fresh (asked at 1000), t-1 is not initializing: only t-1 is asked for.
            Step::Beat(1_100, beat("m", 1), (OK, 1, None), (1, 1, STABLE)),
            Step::Initialize("t:0 t:0 t:1", 1),
            Step::Beat(1_200, beat("m", 1), (OK, 2, Some("t:0,1")), (2, 2, STABLE)),
        ],
    );
}

#[test]
fn topic_deletion_cleans_up_the_state_metadata() {
    let mut g = check(
        ShareGroupConfig::default(),
        &[("t", 1)],
        vec![
            Step::Beat(0, join("m", &["t"]), (OK, 1, Some("")), (1, 1, STABLE)),
            Step::Initialize("t:0", 1),
        ],
    );
    assert_eq!(g.initialized_partitions(), tps("t:0"));
    assert!(g.topics_deleted(&["other".to_string()]).records.is_empty());
    let out = g.topics_deleted(&["t".to_string()]);
    assert_eq!(out.records, vec![ShareGroupRecord::StatePartitionMetadata { initializing: vec![], initialized: vec![], deleting: vec![] }]);
    assert!(g.initialized_partitions().is_empty());
}

#[test]
fn deadlines_and_hash() {
    let broker = Broker::with(&[("t", 1)]);
    let mut g = ShareGroup::new("grp", ShareGroupConfig::default());
    assert_eq!(g.next_deadline_ms(), None);
    let (_, _) = g.heartbeat(10, &join("a", &["t"]), &broker);
    let (_, _) = g.heartbeat(20, &join("b", &["t"]), &broker);
    assert_eq!(g.next_deadline_ms(), Some(45_010));
    let mut h1 = grouplab_engine::kernel::Fnv::default();
    g.hash_into(&mut h1);
    let mut again = g.clone();
    let mut h2 = grouplab_engine::kernel::Fnv::default();
    again.hash_into(&mut h2);
    assert_eq!(h1.finish(), h2.finish());
    let _ = again.heartbeat(30, &beat("a", 1), &broker);
    let mut h3 = grouplab_engine::kernel::Fnv::default();
    again.hash_into(&mut h3);
    assert_ne!(h1.finish(), h3.finish(), "a heartbeat restarts a session: the hash moves");
    assert_eq!(ShareGroupState::Empty.name(), "Empty");
    assert_eq!(ShareGroupState::Stable.name(), "Stable");
}

// ---------------------------------------------------------------------------------------------
// Property test: random histories

fn proptest_cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64)
}

#[derive(Clone, Debug)]
enum Op {
    /// A member joins (or rejoins) with a subscription (bit mask over the topics).
    Join(usize, u8),
    /// A member heartbeats at its epoch.
    Beat(usize),
    /// A member heartbeats at a stale or future epoch.
    BadEpoch(usize, i32),
    /// A member changes its subscription.
    Subscribe(usize, u8),
    /// A member leaves.
    Leave(usize),
    /// Time passes (sessions may expire).
    Wait(u64),
    /// The driver completes the pending initializations.
    Initialize,
    /// A topic gets one more partition.
    Grow(usize),
}

const TOPICS: [&str; 3] = ["a", "b", "c"];

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..6usize, 1..8u8).prop_map(|(m, s)| Op::Join(m, s)),
        4 => (0..6usize).prop_map(Op::Beat),
        1 => (0..6usize, -3..4i32).prop_map(|(m, d)| Op::BadEpoch(m, d)),
        1 => (0..6usize, 0..8u8).prop_map(|(m, s)| Op::Subscribe(m, s)),
        1 => (0..6usize).prop_map(Op::Leave),
        1 => (1..30_000u64).prop_map(Op::Wait),
        2 => Just(Op::Initialize),
        1 => (0..3usize).prop_map(Op::Grow),
    ]
}

fn topics_of(mask: u8) -> Vec<&'static str> {
    TOPICS.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, t)| *t).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: proptest_cases(), ..ProptestConfig::default() })]

    #[test]
    fn random_histories_keep_the_invariants(ops in proptest::collection::vec(op(), 1..60), sizes in proptest::collection::vec(1..5u32, 3)) {
        let config = ShareGroupConfig { max_size: 4, ..ShareGroupConfig::default() };
        let counts: Vec<u32> = sizes.clone();
        let broker = Broker::default();
        let set_topics = |counts: &[u32]| broker.set(&TOPICS.iter().zip(counts).map(|(t, c)| (*t, *c)).collect::<Vec<_>>());
        set_topics(&counts);
        let mut counts = counts;
        let mut g = ShareGroup::new("grp", config.clone());
        let mut records = Vec::new();
        let mut pending: Vec<TopicPartition> = Vec::new();
        let mut now = 0u64;
        let mut last_group_epoch = 0;
        let mut member_epochs: VecMap<String, i32> = VecMap::new();
        let name = |m: usize| format!("m{m}");
        for o in &ops {
            let out = match o {
                Op::Join(m, s) => g.heartbeat(now, &join(&name(*m), &topics_of(*s)), &broker).1,
                Op::Beat(m) => {
                    let epoch = g.members().get(&name(*m)).map_or(1, |x| x.member_epoch);
                    g.heartbeat(now, &beat(&name(*m), epoch), &broker).1
                }
                Op::BadEpoch(m, d) => {
                    let epoch = g.members().get(&name(*m)).map_or(1, |x| x.member_epoch);
                    g.heartbeat(now, &beat(&name(*m), (epoch + d).max(1)), &broker).1
                }
                Op::Subscribe(m, s) => {
                    let epoch = g.members().get(&name(*m)).map_or(1, |x| x.member_epoch);
                    g.heartbeat(now, &subscribe(&name(*m), epoch, &topics_of(*s)), &broker).1
                }
                Op::Leave(m) => g.heartbeat(now, &leave(&name(*m)), &broker).1,
                Op::Wait(ms) => {
                    now += ms;
                    g.handle_timeout(now)
                }
                Op::Initialize => {
                    let out = g.initialize_done(&pending);
                    pending.clear();
                    out
                }
                Op::Grow(t) => {
                    counts[*t] += 1;
                    set_topics(&counts);
                    Output::default()
                }
            };
            pending.extend(out.initialize.iter().map(|r| r.partition.clone()));
            records.extend(out.records);
            prop_assert!(g.check_invariants().is_ok(), "{:?}", g.check_invariants());
            prop_assert!(g.group_epoch() >= last_group_epoch, "group epoch went back");
            last_group_epoch = g.group_epoch();
            for (id, m) in g.members() {
                if let Some(e) = member_epochs.get(id) {
                    prop_assert!(m.member_epoch >= *e, "{id}'s epoch went back from {e} to {}", m.member_epoch);
                }
                member_epochs.insert(id.clone(), m.member_epoch);
                for tp in &m.assigned {
                    prop_assert!(m.subscribed_topics.iter().any(|t| *t == tp.topic), "{id} holds {tp} outside its subscription");
                    prop_assert!(tp.partition < counts[TOPICS.iter().position(|t| *t == tp.topic).unwrap()]);
                }
            }
            member_epochs.retain(|id, _| g.members().contains_key(id));
        }
        // Settle: everyone heartbeats and the driver initializes what was asked, until nothing is
        // asked any more; then once more.
        for round in 0..5 {
            let ids: Vec<String> = g.members().keys().cloned().collect();
            for id in ids {
                let epoch = g.members()[&id].member_epoch;
                let (resp, out) = g.heartbeat(now, &beat(&id, epoch), &broker);
                prop_assert_eq!(resp.error, ErrorCode::None);
                if round == 4 {
                    prop_assert!(out.initialize.is_empty(), "everything subscribed is initialized: {:?}", out.initialize);
                }
                pending.extend(out.initialize.iter().map(|r| r.partition.clone()));
                records.extend(out.records);
            }
            let out = g.initialize_done(&pending);
            pending.clear();
            records.extend(out.records);
        }
        // Every subscribed partition is held by a member, each member at the target epoch.
        for (id, m) in g.members() {
            prop_assert_eq!(m.member_epoch, g.assignment_epoch(), "{} is reconciled", id);
        }
        if !g.members().is_empty() {
            for (t, &c) in TOPICS.iter().zip(&counts) {
                let subscribed = g.members().values().any(|m| m.subscribed_topics.iter().any(|s| s == t));
                for p in 0..c {
                    let held = g.members().values().any(|m| m.assigned.contains(&TopicPartition::new(*t, p)));
                    prop_assert_eq!(held, subscribed, "{}-{} held by someone iff subscribed", t, p);
                }
            }
        }
        // The records rebuild the group.
        let mut log = CompactedShareRecords::default();
        log.write(&records);
        let loaded = ShareGroup::loaded("grp", config, now, &log);
        prop_assert_eq!(snapshot(&loaded), snapshot(&g));
    }
}
