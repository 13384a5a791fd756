//! Kafka 4.2's share-group `SimpleAssignor` as data: the cases of Kafka's
//! `group-coordinator/src/test/java/org/apache/kafka/coordinator/group/assignor/SimpleAssignorTest.java`
//! (4.2 has no separate builder tests), each through one `check(case, expect)`, plus cases of
//! sharing (more members than partitions), stickiness and quotas.
//!
//! Kafka's tests use random topic ids, so they assert only what holds for every iteration order
//! (how many partitions are assigned, and the few exact assignments no order can change). Here
//! the topic ids are GroupLab's (derived from the names), so the result is exact: where Kafka
//! asserts a count, the case asserts the assignment GroupLab computes *and* Kafka's count.

use grouplab_engine::assign::simple::{simple_assignment, subscription_type, SimpleMember, SubscriptionType};
use grouplab_engine::assign::Assignment;
use grouplab_engine::kernel::vecmap::{VecMap, VecSet};

/// One assignor call.
struct Case<'a> {
    /// Topic name → partition count.
    topics: &'a [(&'a str, u32)],
    /// (member id, subscribed topics, current target as `"t:0,1 u:2"`), in the order the members
    /// are put into the spec's map.
    members: Vec<(&'a str, &'a [&'a str], &'a str)>,
    /// `Some` lists the assignable partitions (the share group's initialized ones).
    assignable: Option<&'a [(&'a str, &'a [u32])]>,
    /// The spec's subscription type; `None` computes it from the subscriptions.
    subscription: Option<SubscriptionType>,
}

/// `"t:0,1 u:2"` → `[("t",0),("t",1),("u",2)]`.
fn parse(s: &str) -> Vec<(String, u32)> {
    let mut out = Vec::new();
    for part in s.split_whitespace() {
        let (t, ps) = part.split_once(':').expect("topic:partitions");
        for p in ps.split(',').filter(|p| !p.is_empty()) {
            out.push((t.to_string(), p.parse().unwrap()));
        }
    }
    out
}

/// The inverse of [`parse`] for a sorted list.
fn show(list: &[(String, u32)]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < list.len() {
        let t = &list[i].0;
        let mut ps = Vec::new();
        while i < list.len() && &list[i].0 == t {
            ps.push(list[i].1.to_string());
            i += 1;
        }
        out.push(format!("{t}:{}", ps.join(",")));
    }
    out.join(" ")
}

fn run(case: &Case<'_>) -> Assignment {
    let topics: VecMap<String, u32> = case.topics.iter().map(|(t, c)| (t.to_string(), *c)).collect();
    let members: Vec<SimpleMember> = case
        .members
        .iter()
        .map(|(id, ts, target)| SimpleMember { id: id.to_string(), topics: ts.iter().map(|t| t.to_string()).collect(), target: parse(target) })
        .collect();
    let assignable: Option<VecMap<String, Vec<u32>>> = case.assignable.map(|a| a.iter().map(|(t, ps)| (t.to_string(), ps.to_vec())).collect());
    let subscription = case.subscription.unwrap_or_else(|| subscription_type(&members));
    let a = simple_assignment(&topics, &members, subscription, assignable.as_ref()).expect("assignment");
    // Always: every member present, only partitions of subscribed, existing, assignable topics
    // (for a member without a previous target), no duplicates.
    assert_eq!(a.len(), members.len());
    for m in &members {
        let list = &a[&m.id];
        let distinct: VecSet<&(String, u32)> = list.iter().collect();
        assert_eq!(distinct.len(), list.len(), "{}: duplicates in {list:?}", m.id);
        if m.target.is_empty() {
            for (t, p) in list {
                assert!(m.topics.contains(t), "{}: {t}-{p} is not subscribed", m.id);
                assert!(topics.get(t).is_some_and(|c| p < c), "{}: {t}-{p} does not exist", m.id);
                if let Some(a) = &assignable {
                    assert!(a.get(t).is_some_and(|ps| ps.contains(p)), "{}: {t}-{p} is not assignable", m.id);
                }
            }
        }
    }
    a
}

/// Runs `case` and compares every member's assignment with `expect` (`(member, "t:0,1")`).
fn check(case: Case<'_>, expect: &[(&str, &str)]) -> Assignment {
    let a = run(&case);
    let got: Vec<(String, String)> = a.iter().map(|(m, l)| (m.clone(), show(l))).collect();
    let want: Vec<(String, String)> = {
        let mut w: Vec<(String, String)> = expect.iter().map(|(m, l)| (m.to_string(), show(&parse(l)))).collect();
        w.sort();
        w
    };
    assert_eq!(got, want);
    a
}

/// Kafka's `assertEveryPartitionGetsAssignment`: how many distinct partitions are assigned.
fn distinct_partitions(a: &Assignment) -> usize {
    let all: VecSet<&(String, u32)> = a.values().flatten().collect();
    all.len()
}

const HOMOGENEOUS: Option<SubscriptionType> = Some(SubscriptionType::Homogeneous);
const HETEROGENEOUS: Option<SubscriptionType> = Some(SubscriptionType::Heterogeneous);

// ---------------------------------------------------------------------------------------------
// SimpleAssignorTest

#[test]
fn assign_with_empty_members() {
    for subscription in [HOMOGENEOUS, HETEROGENEOUS] {
        check(Case { topics: &[], members: vec![], assignable: None, subscription }, &[]);
    }
}

#[test]
fn assign_with_no_subscribed_topic() {
    // Kafka returns no member at all; the group then gives the member an empty target.
    check(Case { topics: &[("topic1", 3)], members: vec![("A", &[], "")], assignable: None, subscription: HOMOGENEOUS }, &[("A", "")]);
}

#[test]
fn assign_with_subscribed_to_non_existent_topic() {
    // Kafka's spec names a topic id the metadata lacks and the assignor throws; by name, the
    // group's `TopicIds` never resolves such a topic, so the assignor sees no subscription.
    check(Case { topics: &[("topic1", 3)], members: vec![("A", &["topic2"], "")], assignable: None, subscription: HOMOGENEOUS }, &[("A", "")]);
}

#[test]
fn two_members_two_topics_homogeneous() {
    let a = check(
        Case {
            topics: &[("topic1", 3), ("topic3", 2)],
            members: vec![("A", &["topic1", "topic3"], ""), ("B", &["topic1", "topic3"], "")],
            assignable: None,
            subscription: HOMOGENEOUS,
        },
        &[("A", "topic1:0,1 topic3:0"), ("B", "topic1:2 topic3:1")],
    );
    assert_eq!(distinct_partitions(&a), 5);
}

#[test]
fn two_members_two_topics_homogeneous_with_allowed_map() {
    let a = check(
        Case {
            topics: &[("topic1", 3), ("topic3", 3)],
            members: vec![("A", &["topic1", "topic3"], ""), ("B", &["topic1", "topic3"], "")],
            assignable: Some(&[("topic1", &[0, 1, 2]), ("topic3", &[0, 1])]),
            subscription: HOMOGENEOUS,
        },
        &[("A", "topic1:0,1 topic3:0"), ("B", "topic1:2 topic3:1")],
    );
    assert_eq!(distinct_partitions(&a), 5);
}

#[test]
fn two_members_two_topics_homogeneous_with_non_assignable_topic() {
    let a = check(
        Case {
            topics: &[("topic1", 3), ("topic3", 2)],
            members: vec![("A", &["topic1", "topic3"], ""), ("B", &["topic1", "topic3"], "")],
            assignable: Some(&[("topic1", &[0, 1, 2])]),
            subscription: HOMOGENEOUS,
        },
        &[("A", "topic1:0,1"), ("B", "topic1:2")],
    );
    assert_eq!(distinct_partitions(&a), 3);
}

/// A - {T1, T2}, B - {T3}, C - {T2, T3}.
fn three_members<'a>() -> Vec<(&'a str, &'a [&'a str], &'a str)> {
    vec![("A", &["topic1", "topic2"], ""), ("B", &["topic3"], ""), ("C", &["topic2", "topic3"], "")]
}

#[test]
fn three_members_three_topics_heterogeneous() {
    let a = check(
        Case { topics: &[("topic1", 3), ("topic2", 3), ("topic3", 2)], members: three_members(), assignable: None, subscription: HETEROGENEOUS },
        &[("A", "topic1:0,1,2 topic2:0,2"), ("B", "topic3:0"), ("C", "topic2:1 topic3:1")],
    );
    assert_eq!(distinct_partitions(&a), 8);
}

#[test]
fn three_members_three_topics_heterogeneous_with_allowed_map() {
    let a = check(
        Case {
            topics: &[("topic1", 3), ("topic2", 3), ("topic3", 2)],
            members: three_members(),
            assignable: Some(&[("topic1", &[0, 1]), ("topic2", &[0, 2]), ("topic3", &[1])]),
            subscription: HETEROGENEOUS,
        },
        // topic3 has one assignable partition and two subscribers: desiredSharing 2, B and C share it.
        &[("A", "topic1:0,1 topic2:0"), ("B", "topic3:1"), ("C", "topic2:2 topic3:1")],
    );
    assert_eq!(distinct_partitions(&a), 5);
}

#[test]
fn three_members_three_topics_heterogeneous_with_non_assignable_topic() {
    // Kafka's exact expectation.
    let a = check(
        Case {
            topics: &[("topic1", 3), ("topic2", 3), ("topic3", 2)],
            members: three_members(),
            assignable: Some(&[("topic1", &[0, 1, 2]), ("topic2", &[0, 1, 2])]),
            subscription: HETEROGENEOUS,
        },
        &[("A", "topic1:0,1,2 topic2:0,2"), ("B", ""), ("C", "topic2:1")],
    );
    assert_eq!(distinct_partitions(&a), 6);
}

#[test]
fn one_member_no_assigned_topic_heterogeneous() {
    // Kafka's exact expectation.
    let a = check(
        Case { topics: &[("topic1", 3), ("topic2", 2)], members: vec![("A", &["topic1", "topic2"], ""), ("B", &[], "")], assignable: None, subscription: HETEROGENEOUS },
        &[("A", "topic1:0,1,2 topic2:0,1"), ("B", "")],
    );
    assert_eq!(distinct_partitions(&a), 5);
}

#[test]
fn assign_with_current_assignment_heterogeneous() {
    let first = check(
        Case { topics: &[("topic1", 3), ("topic2", 3), ("topic3", 2)], members: three_members(), assignable: None, subscription: HETEROGENEOUS },
        &[("A", "topic1:0,1,2 topic2:0,2"), ("B", "topic3:0"), ("C", "topic2:1 topic3:1")],
    );
    assert_eq!(distinct_partitions(&first), 8);
    // New setup: A - {T1, T2, T3} keeping its partitions, B - {T3, T4} with all of T3. On T3
    // (two subscribers, two partitions) B is over its quota of 1 and gives up t3-0, its set's
    // first; A, short, takes it.
    let second = check(
        Case {
            topics: &[("topic1", 3), ("topic2", 3), ("topic3", 2), ("topic4", 1)],
            members: vec![("A", &["topic1", "topic2", "topic3"], "topic1:0,1,2 topic2:0,2"), ("B", &["topic3", "topic4"], "topic3:0,1")],
            assignable: None,
            subscription: HETEROGENEOUS,
        },
        &[("A", "topic1:0,1,2 topic2:0,1,2 topic3:0"), ("B", "topic3:1 topic4:0")],
    );
    assert_eq!(distinct_partitions(&second), 9);
}

/// `testIncrementalAssignment{Increasing,Decreasing}Members{Homogeneous,Heterogeneous}`: 101
/// members join one at a time (or leave one at a time from 101), each assignment feeding the
/// next as the current target; every partition stays assigned.
fn incremental(topics: &[(&str, u32)], subscriptions: &[&[&str]], subscription: SubscriptionType, increasing: bool) {
    let total: u32 = topics.iter().map(|t| t.1).sum();
    let topic_map: VecMap<String, u32> = topics.iter().map(|(t, c)| (t.to_string(), *c)).collect();
    let member = |i: usize, target: Vec<(String, u32)>| SimpleMember {
        id: format!("M{i}"),
        topics: subscriptions[i % subscriptions.len()].iter().map(|t| t.to_string()).collect(),
        target,
    };
    let assign = |members: &[SimpleMember]| {
        let a = simple_assignment(&topic_map, members, subscription, None).unwrap();
        assert_eq!(distinct_partitions(&a), total as usize, "{} members", members.len());
        a
    };
    let with_targets = |members: &[SimpleMember], a: &Assignment| -> Vec<SimpleMember> {
        members.iter().map(|m| SimpleMember { target: a[&m.id].clone(), ..m.clone() }).collect()
    };
    if increasing {
        let mut members: Vec<SimpleMember> = Vec::new();
        for i in 0..101 {
            members.push(member(i, Vec::new()));
            let a = assign(&members);
            members = with_targets(&members, &a);
        }
    } else {
        let mut members: Vec<SimpleMember> = (0..101).map(|i| member(i, Vec::new())).collect();
        let a = assign(&members);
        members = with_targets(&members, &a);
        for _ in (1..101).rev() {
            members.pop();
            let a = assign(&members);
            members = with_targets(&members, &a);
        }
    }
}

#[test]
fn incremental_assignment_increasing_members_homogeneous() {
    incremental(&[("topic1", 24)], &[&["topic1"]], SubscriptionType::Homogeneous, true);
}

#[test]
fn incremental_assignment_decreasing_members_homogeneous() {
    incremental(&[("topic1", 24)], &[&["topic1"]], SubscriptionType::Homogeneous, false);
}

const MIXED: [&[&str]; 4] = [&["topic1", "topic2", "topic3"], &["topic2"], &["topic3"], &["topic1", "topic2"]];

#[test]
fn incremental_assignment_increasing_members_heterogeneous() {
    incremental(&[("topic1", 12), ("topic2", 8), ("topic3", 4)], &MIXED, SubscriptionType::Heterogeneous, true);
}

#[test]
fn incremental_assignment_decreasing_members_heterogeneous() {
    incremental(&[("topic1", 12), ("topic2", 8), ("topic3", 4)], &MIXED, SubscriptionType::Heterogeneous, false);
}

// ---------------------------------------------------------------------------------------------
// Sharing, quotas, stickiness

#[test]
fn more_members_than_partitions_share_them() {
    // desiredSharing = ceil(3 / 1) = 3: everyone gets the one partition.
    check(
        Case { topics: &[("t", 1)], members: vec![("a", &["t"], ""), ("b", &["t"], ""), ("c", &["t"], "")], assignable: None, subscription: None },
        &[("a", "t:0"), ("b", "t:0"), ("c", "t:0")],
    );
    // 5 members, 2 partitions: desiredSharing 3, 6 assignments; quotas 2,1,1,1,1 in member order
    // (the ids' HashMap order is a, b, c, d, e). t-1 comes first in the partition map: a, b, c
    // fill it, then d, e and (the iterator starting again) a take t-0.
    let a = check(
        Case {
            topics: &[("t", 2)],
            members: vec![("a", &["t"], ""), ("b", &["t"], ""), ("c", &["t"], ""), ("d", &["t"], ""), ("e", &["t"], "")],
            assignable: None,
            subscription: None,
        },
        &[("a", "t:0,1"), ("b", "t:1"), ("c", "t:1"), ("d", "t:0"), ("e", "t:0")],
    );
    for p in 0..2 {
        let n = a.values().filter(|l| l.contains(&("t".to_string(), p))).count();
        assert_eq!(n, 3, "partition {p} has desiredSharing members");
    }
}

#[test]
fn fewer_members_than_partitions_are_balanced() {
    let a = check(
        Case { topics: &[("t", 7)], members: vec![("a", &["t"], ""), ("b", &["t"], ""), ("c", &["t"], "")], assignable: None, subscription: None },
        &[("a", "t:0,3,6"), ("b", "t:2,5"), ("c", "t:1,4")],
    );
    assert_eq!(distinct_partitions(&a), 7);
}

#[test]
fn a_balanced_target_stays() {
    check(
        Case { topics: &[("t", 4)], members: vec![("a", &["t"], "t:1,3"), ("b", &["t"], "t:0,2")], assignable: None, subscription: None },
        &[("a", "t:1,3"), ("b", "t:0,2")],
    );
}

#[test]
fn a_new_member_takes_from_the_overfilled() {
    // a owns everything; b joins: a gives up the first two of its `HashSet<TopicIdPartition>`
    // (here t-2 and t-3) and b gets them.
    check(
        Case { topics: &[("t", 4)], members: vec![("a", &["t"], "t:0,1,2,3"), ("b", &["t"], "")], assignable: None, subscription: None },
        &[("a", "t:0,1"), ("b", "t:2,3")],
    );
}

#[test]
fn a_leaving_member_s_partitions_go_to_the_others() {
    check(
        Case { topics: &[("t", 3)], members: vec![("a", &["t"], "t:0"), ("c", &["t"], "t:2")], assignable: None, subscription: None },
        &[("a", "t:0,1"), ("c", "t:2")],
    );
}

#[test]
fn over_shared_partitions_are_revoked() {
    // Two partitions, two members both holding partition 0 (as after a third member left).
    check(
        Case { topics: &[("t", 2)], members: vec![("a", &["t"], "t:0"), ("b", &["t"], "t:0")], assignable: None, subscription: None },
        &[("a", "t:1"), ("b", "t:0")],
    );
}

#[test]
fn unsubscribed_topics_are_dropped_homogeneous_but_kept_heterogeneous_when_nobody_subscribes() {
    // Homogeneous: `revokeUnassignablePartitions` removes topics outside the subscription.
    check(
        Case { topics: &[("t", 1), ("u", 1)], members: vec![("a", &["t"], "t:0 u:0")], assignable: None, subscription: None },
        &[("a", "t:0")],
    );
    // Heterogeneous: only subscribed topics are looked at; `u` (nobody's) stays in the target
    // (the share group filters it out of the member's assignment).
    check(
        Case { topics: &[("t", 1), ("u", 1), ("v", 1)], members: vec![("a", &["t"], "t:0 u:0"), ("b", &["v"], "")], assignable: None, subscription: None },
        &[("a", "t:0 u:0"), ("b", "v:0")],
    );
}

#[test]
fn subscription_type_counts_names_including_missing_topics() {
    let m = |id: &str, ts: &[&str]| SimpleMember { id: id.into(), topics: ts.iter().map(|t| t.to_string()).collect(), target: Vec::new() };
    assert_eq!(subscription_type(&[m("a", &["t"]), m("b", &["t"])]), SubscriptionType::Homogeneous);
    assert_eq!(subscription_type(&[m("a", &["t"]), m("b", &["t", "missing"])]), SubscriptionType::Heterogeneous);
    assert_eq!(subscription_type(&[m("a", &[]), m("b", &[])]), SubscriptionType::Homogeneous);
}

#[test]
fn duplicate_member_ids_are_refused() {
    let m = SimpleMember { id: "a".into(), topics: vec!["t".into()], target: Vec::new() };
    let topics: VecMap<String, u32> = [("t".to_string(), 1)].into_iter().collect();
    assert!(simple_assignment(&topics, &[m.clone(), m], SubscriptionType::Homogeneous, None).is_err());
}
