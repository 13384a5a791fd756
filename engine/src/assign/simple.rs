//! The KIP-932 share-group assignor `simple`: Kafka 4.2's `SimpleAssignor`
//! (`group-coordinator/src/main/java/org/apache/kafka/coordinator/group/assignor/SimpleAssignor.java`)
//! with its two builders, `SimpleHomogeneousAssignmentBuilder` (every member subscribes to the
//! same topics) and `SimpleHeterogeneousAssignmentBuilder` (balance computed per topic).
//!
//! Unlike a consumer-group assignor, a share-group assignor may give one partition to several
//! members: each partition wants `desiredSharing = ceil(M / P)` members, and each member a quota
//! (`desiredAssignmentCount`) that spreads `desiredSharing × P` assignments evenly, so with
//! `M ≤ P` every partition has exactly one member and member sizes differ by at most one. The
//! previous target is the starting point (stickiness): partitions of topics no longer subscribed
//! are dropped, over-full members and over-shared partitions give up partitions, then the
//! partitions still short of members are filled from the members still short of partitions.
//!
//! Which member loses or gets a partition follows the iteration order of Kafka's `HashMap`s and
//! `HashSet`s, which this module computes (as [`super::java`] does for the client assignors):
//! members are numbered in the iteration order of a `HashMap<String, _>` of their ids; sets of
//! member indices iterate by `index & (capacity − 1)`; topic partitions hash as the
//! `TopicIdPartition` record does, `31 × Uuid.hashCode() + partition`, with the topic id GroupLab
//! gives the topic ([`crate::kafka::topic::topic_id`]). Tables grow as Java's do (load factor
//! 0.75, and a small table doubles instead of treeifying a bin of 8). Within one bucket Java keeps
//! insertion order; the insertion orders are Kafka's, except that a member's previous target is
//! read in the order a coordinator that has just loaded it would have (topics by hash bucket,
//! partitions as `new HashSet<>(list)` iterates them): a live Kafka coordinator's order also
//! depends on how its sets grew, which the records do not keep.
//!
//! Topics are named, not identified by `Uuid`: a subscribed name that is not in `topics` (or has
//! 0 partitions) is ignored, as Kafka's `TopicIds` skips names the metadata image cannot resolve
//! (Kafka's `PartitionAssignorException` for an unknown topic *id* has no counterpart). A
//! previous target's partition numbers at or past the topic's partition count are dropped
//! (partitions never shrink in Kafka).

use crate::kernel::vecmap::{VecMap, VecSet};

use super::{java, AssignError, Assignment, TopicPartition};

/// Kafka's name of the assignor (`SimpleAssignor.name()`).
pub const NAME: &str = "simple";

/// One share-group member as the assignor sees it (`MemberSubscriptionAndAssignmentImpl`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SimpleMember {
    /// Member id.
    pub id: String,
    /// Subscribed topic names.
    pub topics: Vec<String>,
    /// The member's current target assignment (stickiness input).
    #[serde(default)]
    pub target: Vec<TopicPartition>,
}

/// `SubscriptionType`: which builder runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SubscriptionType {
    /// Every member subscribes to the same topic names.
    Homogeneous,
    /// Some member subscribes to a different set.
    Heterogeneous,
}

/// `ModernGroup.subscriptionType`: homogeneous when every subscribed name (existing or not) is
/// subscribed by every member, or when nobody subscribes to anything.
pub fn subscription_type(members: &[SimpleMember]) -> SubscriptionType {
    let mut counts: VecMap<&str, usize> = VecMap::new();
    for m in members {
        let names: VecSet<&str> = m.topics.iter().map(String::as_str).collect();
        for n in names.iter() {
            *counts.entry(n).or_insert(0) += 1;
        }
    }
    if counts.values().all(|&c| c == members.len()) {
        SubscriptionType::Homogeneous
    } else {
        SubscriptionType::Heterogeneous
    }
}

/// The target assignment `SimpleAssignor.assign` computes for `members` over `topics` (name →
/// partition count), with `subscription` choosing the builder (callers that have no group-level
/// view pass [`subscription_type`]`(members)`), and with only the partitions in `assignable`
/// assignable when it is given (`GroupSpec.isPartitionAssignable`: a share group assigns only
/// partitions whose share-partition state is initialized).
///
/// Every input member is in the result, each list sorted by topic then partition. Errors:
/// duplicate member ids or absurd sizes.
pub fn simple_assignment(
    topics: &VecMap<String, u32>,
    members: &[SimpleMember],
    subscription: SubscriptionType,
    assignable: Option<&VecMap<String, Vec<u32>>>,
) -> Result<Assignment, AssignError> {
    validate(topics, members)?;
    let model = Model::new(topics, members, assignable);
    let result = if members.is_empty() {
        Vec::new()
    } else {
        match subscription {
            SubscriptionType::Homogeneous => model.homogeneous(),
            SubscriptionType::Heterogeneous => model.heterogeneous(),
        }
    };
    let mut out = Assignment::new();
    for m in members {
        out.insert(m.id.clone(), Vec::new());
    }
    for (i, parts) in result.into_iter().enumerate() {
        let mut list: Vec<TopicPartition> = parts;
        crate::kernel::sort::sort(&mut list);
        list.dedup();
        out.insert(members[model.members[i]].id.clone(), list);
    }
    Ok(out)
}

fn validate(topics: &VecMap<String, u32>, members: &[SimpleMember]) -> Result<(), AssignError> {
    let claims: usize = members.iter().map(|m| m.target.len()).sum();
    super::validate_input(topics, claims, members.iter().map(|m| m.id.as_str()).collect())
}

/// `Uuid.hashCode()` of GroupLab's topic id for `name`: the id's 16 bytes are its most and least
/// significant halves; the hash folds their xor to 32 bits.
pub fn topic_id_hash(name: &str) -> i32 {
    let id = crate::kafka::topic::topic_id(name);
    let mut bits: u128 = 0;
    let mut n = 0;
    for c in id.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            _ => 63,
        };
        if n + 6 <= 128 {
            bits = (bits << 6) | u128::from(v);
            n += 6;
        } else {
            // The last character carries the final 2 bits in its high bits.
            let take = 128 - n;
            bits = (bits << take) | u128::from(v >> (6 - take));
            n = 128;
        }
    }
    let msb = (bits >> 64) as u64;
    let lsb = bits as u64;
    let x = (msb ^ lsb) as i64;
    ((x >> 32) as i32) ^ (x as i32)
}

/// `HashMap.hash`: the high half folded into the low half.
fn spread(h: i32) -> usize {
    let h = h as u32;
    (h ^ (h >> 16)) as usize
}

/// `HashMap.tableSizeFor`: the smallest power of two ≥ `c` (1 for 0).
fn table_size_for(c: usize) -> usize {
    c.max(1).next_power_of_two()
}

/// The capacity of `AssignorHelpers.newHashMap(n)` / `newHashSet(n)`:
/// `new HashMap<>((int) (((n + 1) / 0.75f) + 1))`.
fn helper_capacity(n: usize) -> usize {
    let c = ((n as f32 + 1.0) / 0.75f32 + 1.0) as usize;
    table_size_for(c)
}

const DEFAULT_CAPACITY: usize = 16;
const TREEIFY_THRESHOLD: usize = 8;
const MIN_TREEIFY_CAPACITY: usize = 64;

/// The iteration order of a Java `HashMap`/`HashSet` under inserts and removals: by bucket at the
/// current capacity, then insertion order (resizes keep the relative order inside a bucket).
#[derive(Clone, Debug)]
struct JavaSet<K: Ord + Copy> {
    capacity: usize,
    seq: u64,
    entries: VecMap<K, (i32, u64)>,
    /// Entries per bucket at the current capacity (for the treeify rule).
    buckets: VecMap<usize, usize>,
}

impl<K: Ord + Copy> JavaSet<K> {
    /// `new HashSet<>()` / `new HashMap<>()`.
    fn new() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }

    /// A table of `capacity` buckets (already a power of two).
    fn with_capacity(capacity: usize) -> Self {
        JavaSet { capacity, seq: 0, entries: VecMap::new(), buckets: VecMap::new() }
    }

    fn bucket(&self, hash: i32) -> usize {
        spread(hash) & (self.capacity - 1)
    }

    fn len(&self) -> usize {
        self.entries.len()
    }

    fn contains(&self, k: K) -> bool {
        self.entries.contains_key(&k)
    }

    /// `add` / `put` of a new key (`putVal`, with its resize rules).
    fn insert(&mut self, k: K, hash: i32) {
        if self.entries.contains_key(&k) {
            return;
        }
        let bucket = self.bucket(hash);
        let before = self.buckets.get(&bucket).copied().unwrap_or(0);
        self.entries.insert(k, (hash, self.seq));
        *self.buckets.entry(bucket).or_insert(0) += 1;
        self.seq += 1;
        let old = self.capacity;
        if before >= TREEIFY_THRESHOLD && self.capacity < MIN_TREEIFY_CAPACITY {
            self.capacity *= 2;
        }
        if self.entries.len() > self.capacity * 3 / 4 {
            self.capacity *= 2;
        }
        if self.capacity != old {
            let mut buckets: VecMap<usize, usize> = VecMap::new();
            for (h, _) in self.entries.values() {
                *buckets.entry(spread(*h) & (self.capacity - 1)).or_insert(0) += 1;
            }
            self.buckets = buckets;
        }
    }

    fn remove(&mut self, k: K) -> bool {
        match self.entries.remove(&k) {
            Some((h, _)) => {
                let b = self.bucket(h);
                if let Some(c) = self.buckets.get_mut(&b) {
                    *c -= 1;
                }
                true
            }
            None => false,
        }
    }

    /// The keys in iteration order.
    fn order(&self) -> Vec<K> {
        let mut v: Vec<(usize, u64, K)> = self.entries.iter().map(|(k, (h, s))| (self.bucket(*h), *s, *k)).collect();
        crate::kernel::sort::sort_by(&mut v, |a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        v.into_iter().map(|(_, _, k)| k).collect()
    }
}

/// A member index as a Java `Integer`: its hash is the value.
fn int_hash(i: usize) -> i32 {
    i as i32
}

/// An index into the unfilled members that behaves like a live `HashSet` iterator whose only
/// modification is its own `remove()` (ascending order: the set's capacity exceeds every index).
struct MemberIterator {
    pos: usize,
}

impl MemberIterator {
    fn has_next(&self, set: &[usize]) -> bool {
        self.pos < set.len()
    }
    fn next(&mut self, set: &[usize]) -> usize {
        self.pos += 1;
        set[self.pos - 1]
    }
    fn remove(&mut self, set: &mut Vec<usize>) {
        self.pos -= 1;
        set.remove(self.pos);
    }
}

/// The normalised input.
struct Model<'a> {
    /// Topic names known (existing with > 0 partitions), sorted; a topic's index is its position.
    names: Vec<&'a str>,
    /// `Uuid.hashCode()` per topic.
    uuid_hash: Vec<i32>,
    /// Per topic: its assignable partitions, ascending.
    assignable: Vec<Vec<u32>>,
    /// Input index of the member with Kafka's member index `i`.
    members: Vec<usize>,
    /// Per member index: resolvable subscribed topics in the member's subscription-set order.
    subs: Vec<Vec<usize>>,
    /// Per member index: its previous target in the order Kafka iterates it, as
    /// (topic, partitions); topics GroupLab does not know are in `extra`.
    old: Vec<Vec<(usize, Vec<u32>)>>,
    /// Per member index: previous-target partitions of unknown topics.
    extra: Vec<Vec<TopicPartition>>,
}

impl<'a> Model<'a> {
    fn new(topics: &'a VecMap<String, u32>, members: &'a [SimpleMember], assignable: Option<&VecMap<String, Vec<u32>>>) -> Self {
        let names: Vec<&str> = topics.iter().filter(|(_, &c)| c > 0).map(|(n, _)| n.as_str()).collect();
        let counts: Vec<u32> = names.iter().map(|n| topics[*n]).collect();
        let index = |n: &str| names.binary_search(&n).ok();
        let uuid_hash: Vec<i32> = names.iter().map(|n| topic_id_hash(n)).collect();
        let assignable: Vec<Vec<u32>> = names
            .iter()
            .zip(&counts)
            .map(|(n, &c)| match assignable {
                None => (0..c).collect(),
                Some(a) => {
                    let mut ps: Vec<u32> = a.get(*n).map(|ps| ps.iter().copied().filter(|&p| p < c).collect()).unwrap_or_default();
                    crate::kernel::sort::sort(&mut ps);
                    ps.dedup();
                    ps
                }
            })
            .collect();
        let hashes: Vec<i32> = members.iter().map(|m| java::string_hash(&m.id)).collect();
        let order = java::hash_map_order(&hashes);
        let mut subs = Vec::with_capacity(members.len());
        let mut old = Vec::with_capacity(members.len());
        let mut extra = Vec::with_capacity(members.len());
        for &i in &order {
            let m = &members[i];
            // The member's subscription is a `HashSet<String>` of the names.
            let mut set: JavaSet<usize> = JavaSet::with_capacity(table_size_for(((m.topics.len() as f32 / 0.75f32) as usize + 1).max(DEFAULT_CAPACITY)));
            let mut seen: VecSet<&str> = VecSet::new();
            let mut by_pos: Vec<&str> = Vec::new();
            for t in &m.topics {
                if seen.insert(t.as_str()) {
                    set.insert(by_pos.len(), java::string_hash(t));
                    by_pos.push(t.as_str());
                }
            }
            subs.push(set.order().into_iter().filter_map(|k| index(by_pos[k])).collect());
            // The previous target as a loaded `Map<Uuid, Set<Integer>>`.
            let mut per_topic: VecMap<usize, Vec<u32>> = VecMap::new();
            let mut unknown: Vec<TopicPartition> = Vec::new();
            for (t, p) in &m.target {
                match index(t) {
                    Some(ti) if *p < counts[ti] => per_topic.entry(ti).or_default().push(*p),
                    Some(_) => {}
                    None => unknown.push((t.clone(), *p)),
                }
            }
            let mut topic_set: JavaSet<usize> = JavaSet::new();
            for &ti in per_topic.keys() {
                topic_set.insert(ti, uuid_hash[ti]);
            }
            let entries = topic_set
                .order()
                .into_iter()
                .map(|ti| {
                    let mut ps = per_topic[&ti].clone();
                    crate::kernel::sort::sort(&mut ps);
                    ps.dedup();
                    (ti, java::int_hash_set_order(&ps))
                })
                .collect();
            old.push(entries);
            extra.push(unknown);
        }
        Model { names, uuid_hash, assignable, members: order, subs, old, extra }
    }

    /// `TopicIdPartition.hashCode()`.
    fn tp_hash(&self, t: usize, p: u32) -> i32 {
        self.uuid_hash[t].wrapping_mul(31).wrapping_add(p as i32)
    }

    fn num_members(&self) -> usize {
        self.members.len()
    }

    /// The members' previous targets as mutable sets (`oldGroupAssignment` and, where it differs,
    /// `newGroupAssignment`).
    fn current(&self) -> Vec<VecSet<(usize, u32)>> {
        self.old.iter().map(|topics| topics.iter().flat_map(|(t, ps)| ps.iter().map(move |&p| (*t, p))).collect()).collect()
    }

    /// `desiredAssignmentCount` for `n` members sharing `slots = desiredSharing × P`
    /// assignments: `ceil(precise × (i + 1)) − ceil(precise × i)` in doubles, as Java computes it.
    fn quotas(slots: usize, n: usize) -> Vec<usize> {
        let precise = slots as f64 / n as f64;
        (0..n).map(|i| ((precise * (i + 1) as f64).ceil() as i64 - (precise * i as f64).ceil() as i64).max(0) as usize).collect()
    }

    fn result(&self, cur: Vec<VecSet<(usize, u32)>>, keep_extra: bool) -> Vec<Vec<TopicPartition>> {
        cur.into_iter()
            .enumerate()
            .map(|(m, set)| {
                let mut v: Vec<TopicPartition> = set.iter().map(|&(t, p)| (self.names[t].to_string(), p)).collect();
                if keep_extra {
                    v.extend(self.extra[m].iter().cloned());
                }
                v
            })
            .collect()
    }

    /// `SimpleHomogeneousAssignmentBuilder.build`.
    fn homogeneous(&self) -> Vec<Vec<TopicPartition>> {
        let m_count = self.num_members();
        let mut cur = self.current();
        // The subscription of the first member is everyone's.
        let subscribed: Vec<usize> = self.subs[0].clone();
        if subscribed.is_empty() {
            return vec![Vec::new(); m_count];
        }
        let is_subscribed = |t: usize| subscribed.contains(&t);
        let targets: Vec<(usize, u32)> = subscribed.iter().flat_map(|&t| self.assignable[t].iter().map(move |&p| (t, p))).collect();
        let p_count = targets.len();
        let sharing = if p_count == 0 { 0 } else { m_count.div_ceil(p_count) };
        let desired = Self::quotas(sharing * p_count, m_count);

        let mut by_partition: JavaSet<(usize, u32)> = JavaSet::with_capacity(helper_capacity(p_count));
        let mut partition_members: VecMap<(usize, u32), JavaSet<usize>> = VecMap::new();
        let mut by_member: Vec<Option<JavaSet<(usize, u32)>>> = vec![None; m_count];
        let mut unfilled: VecSet<usize> = VecSet::new();
        let mut overfilled: Vec<usize> = Vec::new();

        // revokeUnassignablePartitions
        for m in 0..m_count {
            let mut count = 0;
            for (t, ps) in &self.old[m] {
                if is_subscribed(*t) {
                    for &p in ps {
                        count += 1;
                        by_partition.insert((*t, p), self.tp_hash(*t, p));
                        partition_members.entry((*t, p)).or_insert_with(JavaSet::new).insert(m, int_hash(m));
                        by_member[m].get_or_insert_with(JavaSet::new).insert((*t, p), self.tp_hash(*t, p));
                    }
                } else {
                    cur[m].retain(|(tt, _)| tt != t);
                }
            }
            if count < desired[m] {
                unfilled.insert(m);
            } else if count > desired[m] {
                overfilled.push(m);
            }
        }

        // revokeOverfilledMembers
        for &m in &overfilled {
            let Some(set) = by_member[m].as_mut() else { continue };
            if set.len() > desired[m] {
                for tp in set.order() {
                    cur[m].remove(&tp);
                    if let Some(pm) = partition_members.get_mut(&tp) {
                        pm.remove(m);
                    }
                    set.remove(tp);
                    if set.len() == desired[m] {
                        break;
                    }
                }
            }
        }

        // revokeOversharedPartitions
        for tp in by_partition.order() {
            let Some(pm) = partition_members.get_mut(&tp) else { continue };
            let mut assigned = pm.len();
            if assigned > sharing {
                for m in pm.order() {
                    if cur[m].remove(&tp) {
                        assigned -= 1;
                        pm.remove(m);
                        if let Some(set) = by_member[m].as_mut() {
                            set.remove(tp);
                        }
                        unfilled.insert(m);
                    }
                    if assigned <= sharing {
                        break;
                    }
                }
            }
        }

        // Add in any partitions which are currently not in the assignment.
        for &(t, p) in &targets {
            by_partition.insert((t, p), self.tp_hash(t, p));
            partition_members.entry((t, p)).or_insert_with(JavaSet::new);
        }

        // assignRemainingPartitions
        let mut unfilled: Vec<usize> = unfilled.into_iter().collect();
        if !unfilled.is_empty() {
            let sizes = |by_member: &Vec<Option<JavaSet<(usize, u32)>>>, m: usize| by_member[m].as_ref().map_or(0, JavaSet::len);
            let mut it = MemberIterator { pos: 0 };
            let mut assigned_this_pass = false;
            for tp in by_partition.order() {
                let members_assigned = &partition_members[&tp];
                if members_assigned.len() < sharing {
                    let mut to_make = sharing - members_assigned.len();
                    while to_make > 0 {
                        if !it.has_next(&unfilled) {
                            if !assigned_this_pass || unfilled.is_empty() {
                                // (With nobody left, Kafka's iterator would throw.)
                                break;
                            }
                            it = MemberIterator { pos: 0 };
                            assigned_this_pass = false;
                        }
                        let m = it.next(&unfilled);
                        if !members_assigned.contains(m) {
                            cur[m].insert(tp);
                            by_member[m].get_or_insert_with(JavaSet::new).insert(tp, self.tp_hash(tp.0, tp.1));
                            to_make -= 1;
                            assigned_this_pass = true;
                            if sizes(&by_member, m) >= desired[m] {
                                it.remove(&mut unfilled);
                            }
                        }
                    }
                }
                if unfilled.is_empty() {
                    break;
                }
            }
        }
        self.result(cur, false)
    }

    /// `SimpleHeterogeneousAssignmentBuilder.build`: each subscribed topic on its own
    /// (`TopicAssignmentPartialBuilder`). Previous-target partitions of topics nobody subscribes
    /// to stay in the target, as in Kafka (the group drops them from the member's assignment).
    fn heterogeneous(&self) -> Vec<Vec<TopicPartition>> {
        let m_count = self.num_members();
        let mut cur = self.current();
        let mut topics: VecSet<usize> = VecSet::new();
        for s in &self.subs {
            topics.extend(s.iter().copied());
        }
        for &t in topics.iter() {
            let subscribers: Vec<usize> = (0..m_count).filter(|&m| self.subs[m].contains(&t)).collect();
            self.assign_topic(t, &subscribers, &mut cur);
        }
        self.result(cur, true)
    }

    /// `TopicAssignmentPartialBuilder.build` for topic `t`.
    fn assign_topic(&self, t: usize, subscribers: &[usize], cur: &mut [VecSet<(usize, u32)>]) {
        let m_count = self.num_members();
        let targets = &self.assignable[t];
        let p_count = targets.len();
        let sharing = if p_count == 0 { 0 } else { subscribers.len().div_ceil(p_count) };
        let mut desired = vec![0usize; m_count];
        for (i, q) in Self::quotas(sharing * p_count, subscribers.len()).into_iter().enumerate() {
            desired[subscribers[i]] = q;
        }
        let mut by_partition: JavaSet<u32> = JavaSet::with_capacity(helper_capacity(p_count));
        let mut partition_members: VecMap<u32, JavaSet<usize>> = VecMap::new();
        let mut by_member: VecMap<usize, JavaSet<u32>> = VecMap::new();

        // revokeUnassignablePartitions
        for m in 0..m_count {
            if self.old[m].is_empty() && self.extra[m].is_empty() {
                continue;
            }
            if let Some((_, ps)) = self.old[m].iter().find(|(tt, _)| *tt == t) {
                for &p in ps {
                    by_partition.insert(p, p as i32);
                    partition_members.entry(p).or_insert_with(JavaSet::new).insert(m, int_hash(m));
                    by_member.entry(m).or_insert_with(JavaSet::new).insert(p, p as i32);
                }
            }
        }

        // revokeOverfilledMembers
        for (&m, set) in by_member.iter_mut() {
            if set.len() > desired[m] {
                for p in set.order() {
                    if set.len() <= desired[m] {
                        break;
                    }
                    if let Some(pm) = partition_members.get_mut(&p) {
                        pm.remove(m);
                    }
                    set.remove(p);
                    cur[m].remove(&(t, p));
                }
            }
        }

        // revokeOversharedPartitions
        for p in by_partition.order() {
            let Some(pm) = partition_members.get_mut(&p) else { continue };
            let mut assigned = pm.len();
            if assigned > sharing {
                for m in pm.order() {
                    if cur[m].remove(&(t, p)) {
                        assigned -= 1;
                        pm.remove(m);
                        if let Some(set) = by_member.get_mut(&m) {
                            set.remove(p);
                        }
                    }
                    if assigned <= sharing {
                        break;
                    }
                }
            }
        }

        // Add in any partitions which are currently not in the assignment.
        for &p in targets {
            by_partition.insert(p, p as i32);
            partition_members.entry(p).or_insert_with(|| JavaSet::with_capacity(helper_capacity(subscribers.len())));
        }

        // assignRemainingPartitions
        let size_of = |by_member: &VecMap<usize, JavaSet<u32>>, m: usize| by_member.get(&m).map_or(0, JavaSet::len);
        let mut unfilled: Vec<usize> = subscribers.iter().copied().filter(|&m| size_of(&by_member, m) < desired[m]).collect();
        let mut it = MemberIterator { pos: 0 };
        let mut assigned_this_pass = false;
        for p in by_partition.order() {
            let members_assigned = &partition_members[&p];
            if members_assigned.len() < sharing {
                let mut to_make = sharing - members_assigned.len();
                while to_make > 0 {
                    if !it.has_next(&unfilled) {
                        if !assigned_this_pass || unfilled.is_empty() {
                            break;
                        }
                        it = MemberIterator { pos: 0 };
                        assigned_this_pass = false;
                    }
                    let m = it.next(&unfilled);
                    if !members_assigned.contains(m) {
                        cur[m].insert((t, p));
                        by_member.entry(m).or_insert_with(JavaSet::new).insert(p, p as i32);
                        to_make -= 1;
                        assigned_this_pass = true;
                        if size_of(&by_member, m) >= desired[m] {
                            it.remove(&mut unfilled);
                        }
                    }
                }
            }
            if unfilled.is_empty() {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helper_capacities_match_java() {
        // (int) (((n + 1) / 0.75f) + 1), then tableSizeFor.
        assert_eq!(helper_capacity(0), 2);
        assert_eq!(helper_capacity(2), 8);
        assert_eq!(helper_capacity(3), 8);
        assert_eq!(helper_capacity(5), 16);
        assert_eq!(helper_capacity(24), 64);
    }

    #[test]
    fn java_set_wraps_and_grows() {
        let mut s: JavaSet<usize> = JavaSet::new();
        s.insert(17, 17);
        s.insert(3, 3);
        assert_eq!(s.order(), vec![17, 3]);
        for i in 20..40 {
            s.insert(i, i as i32);
        }
        // 22 entries: capacity 32, so 17 now goes after 3 (and 32.. wrap to the front).
        assert_eq!(s.capacity, 32);
        let order = s.order();
        assert_eq!(order[..2], [32, 33]);
        let pos = |k: usize| order.iter().position(|&x| x == k).unwrap();
        assert!(pos(3) < pos(17));
        assert!(s.remove(3) && !s.contains(3) && s.len() == 21);
    }

    #[test]
    fn quotas_spread_slots() {
        assert_eq!(Model::quotas(3, 2), vec![2, 1]);
        assert_eq!(Model::quotas(6, 4), vec![2, 1, 2, 1]);
        assert_eq!(Model::quotas(0, 3), vec![0, 0, 0]);
    }

    #[test]
    fn topic_ids_hash_stably() {
        assert_eq!(topic_id_hash("foo"), topic_id_hash("foo"));
        assert_ne!(topic_id_hash("foo"), topic_id_hash("bar"));
    }
}
