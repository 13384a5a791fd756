//! Client-side sticky assignors: `StickyAssignor` (eager) and `CooperativeStickyAssignor`,
//! following `clients/.../consumer/internals/AbstractStickyAssignor.java` and
//! `clients/.../consumer/CooperativeStickyAssignor.java`.
//!
//! Steps, as in Kafka:
//! 1. **Previous owners** (`allSubscriptionsEqual`): members are visited in the iteration order
//!    of Kafka's `HashMap<String, Subscription>` (computed, see [`super::java`]). A partition
//!    claimed by several members goes to the claimant with the higher generation; two claims
//!    in the same generation invalidate it for both ("partitions with multiple previous
//!    owners"). Owned partitions of topics that nobody subscribes to or that do not exist are
//!    dropped.
//! 2. If every member has the same subscription, the **constrained** builder
//!    (`ConstrainedAssignmentBuilder`): keep owned partitions up to `minQuota`/`maxQuota`
//!    (owned lists sorted by partition, then topic), then deal the rest round-robin to the
//!    members under quota (sorted by member id), then to those at exactly `minQuota`.
//! 3. Otherwise the **general** builder (`GeneralAssignmentBuilder`): keep still-subscribed
//!    owned partitions, assign the rest to the least-loaded eligible member, then move
//!    partitions (preferring their previous-generation owner, and undoing earlier moves through
//!    `PartitionMovements` to avoid ping-pong) until balanced; the result is reverted if it is
//!    not strictly more balanced than before.
//! 4. `cooperative-sticky` then removes every partition that changes owner from its new owner
//!    (it must first be revoked; a follow-up rebalance assigns it).
//!
//! Java iteration orders that change results are reproduced: the subscriptions `HashMap`
//! (which member keeps `maxQuota` partitions in the constrained builder, which claim wins
//! `partitionsWithMultiplePreviousOwners`, which previous-generation claim is remembered) and
//! the `HashSet<TopicPartition>` from which `PartitionMovements` picks a partition to move back.
//!
//! Deliberate deviations (where Kafka would throw a `NullPointerException` or break its own
//! contract): the previous-generation owner is only preferred while it still subscribes to the
//! topic and can take part in reassignment; a member with an empty subscription never makes
//! the "all subscriptions equal" check pass; the reassignment loop is bounded. `assign` is a
//! pure function, so the assignor instance's `maxGeneration` field (which in Kafka survives
//! between rebalances of the same leader) is recomputed per call.

use crate::kernel::vecmap::VecMap;
use std::collections::{BTreeSet, VecDeque};

use super::java::{self, JavaHashOrder};
use super::{AssignError, Model, Strategy, Tp};

const DEFAULT_GENERATION: i32 = -1;
/// Bound on the passes of `performReassignments` (Kafka loops until nothing moves).
const MAX_REASSIGNMENT_PASSES: usize = 10_000;

/// Sticky assignment, one list per member (input order).
pub(crate) fn assign(model: &Model<'_>, cooperative: bool) -> Result<Vec<Vec<Tp>>, AssignError> {
    let strategy = if cooperative { Strategy::CooperativeSticky } else { Strategy::Sticky };
    let n = model.members.len();
    if n == 0 {
        return Ok(Vec::new());
    }
    let order = model.hash_order();
    let prev = PreviousOwners::resolve(model, &order);
    let all_equal = model.member_raw_topics.iter().all(|t| *t == model.member_raw_topics[0]);

    let (mut assignment, transferring) = if all_equal {
        let mut builder = Constrained::new(model, &prev);
        builder.build(&order, strategy)?;
        let transferring = builder.transferring;
        (builder.assignment, transferring)
    } else {
        let mut builder = General::new(model, &prev, &order, strategy);
        builder.build()?;
        let assignment: Vec<Vec<Tp>> = builder.current.into_iter().map(Option::unwrap_or_default).collect();
        let transferring = if cooperative {
            partitions_transferring_ownership(model, &assignment)
        } else {
            Vec::new()
        };
        (assignment, transferring)
    };

    if cooperative {
        // CooperativeStickyAssignor.adjustAssignment
        for (tp, m) in transferring {
            remove_first(&mut assignment[m], tp);
        }
    }
    Ok(assignment)
}

/// Removes the first occurrence of `tp` (Java `List.remove(Object)`).
fn remove_first(list: &mut Vec<Tp>, tp: Tp) -> bool {
    match list.iter().position(|&x| x == tp) {
        Some(i) => {
            list.remove(i);
            true
        }
        None => false,
    }
}

fn generation(model: &Model<'_>, m: usize) -> i32 {
    model.members[m].generation.unwrap_or(DEFAULT_GENERATION)
}

/// Result of `AbstractStickyAssignor.allSubscriptionsEqual`'s ownership pass.
struct PreviousOwners {
    /// Each member's valid previously owned partitions (claim order).
    owned: Vec<Vec<Tp>>,
    /// By global partition index: claimed by several members of the same generation.
    multi: Vec<bool>,
    /// Highest generation seen.
    max_generation: i32,
}

impl PreviousOwners {
    fn resolve(model: &Model<'_>, order: &[usize]) -> Self {
        let n = model.members.len();
        let mut owned: Vec<Vec<Tp>> = vec![Vec::new(); n];
        let mut owner: Vec<Option<usize>> = vec![None; model.total_partitions];
        let mut multi = vec![false; model.total_partitions];
        let mut max_generation = DEFAULT_GENERATION;
        for &m in order {
            let gen = generation(model, m);
            max_generation = max_generation.max(gen);
            for &tp in &model.member_owned[m] {
                let g = model.global(tp);
                match owner[g] {
                    None => {
                        owned[m].push(tp);
                        owner[g] = Some(m);
                    }
                    Some(other) => {
                        let other_gen = generation(model, other);
                        if gen == other_gen {
                            multi[g] = true;
                            remove_first(&mut owned[other], tp);
                            owner[g] = Some(m);
                        } else if gen > other_gen {
                            owned[m].push(tp);
                            remove_first(&mut owned[other], tp);
                            owner[g] = Some(m);
                        }
                    }
                }
            }
        }
        PreviousOwners { owned, multi, max_generation }
    }
}

/// `ConstrainedAssignmentBuilder` (all subscriptions equal).
struct Constrained<'m, 'a> {
    model: &'m Model<'a>,
    prev: &'m PreviousOwners,
    assignment: Vec<Vec<Tp>>,
    revoked: Vec<bool>,
    /// (partition, new owner) pairs that change owner (`partitionsTransferringOwnership`).
    transferring: Vec<(Tp, usize)>,
}

impl<'m, 'a> Constrained<'m, 'a> {
    fn new(model: &'m Model<'a>, prev: &'m PreviousOwners) -> Self {
        Constrained {
            model,
            prev,
            assignment: vec![Vec::new(); model.members.len()],
            revoked: vec![false; model.total_partitions],
            transferring: Vec::new(),
        }
    }

    fn assign_new(&mut self, tp: Tp, m: usize) -> usize {
        self.assignment[m].push(tp);
        let g = self.model.global(tp);
        if self.revoked[g] || self.prev.multi[g] {
            self.transferring.push((tp, m));
        }
        self.assignment[m].len()
    }

    fn build(&mut self, order: &[usize], strategy: Strategy) -> Result<(), AssignError> {
        let model = self.model;
        let n = model.members.len();
        let total = model.total_partitions;
        let min_quota = total / n;
        let max_quota = total.div_ceil(n);
        let expected_over = total % n;
        let mut current_over = 0usize;
        let mut assigned = vec![false; total];
        let mut under: Vec<usize> = Vec::new();
        let mut exactly_min: VecDeque<usize> = VecDeque::new();

        // assignOwnedPartitions
        for &m in order {
            let mut owned: Vec<Tp> = self.prev.owned[m].clone();
            crate::kernel::sort::sort_by_key(&mut owned, |&(t, p)| (p, t));
            owned.retain(|&tp| !self.prev.multi[model.global(tp)]);
            let keep = if owned.len() < min_quota {
                under.push(m);
                owned.len()
            } else if owned.len() >= max_quota && current_over < expected_over {
                current_over += 1;
                if current_over == expected_over {
                    exactly_min.clear();
                }
                max_quota
            } else {
                if current_over < expected_over {
                    exactly_min.push_back(m);
                }
                min_quota
            };
            for &tp in &owned[..keep] {
                assigned[model.global(tp)] = true;
            }
            for &tp in &owned[keep..] {
                self.revoked[model.global(tp)] = true;
            }
            self.assignment[m].extend_from_slice(&owned[..keep]);
        }

        let mut unassigned: Vec<Tp> = Vec::with_capacity(total);
        for t in 0..model.num_topics() as u32 {
            for p in 0..model.topic_counts[t as usize] {
                if !assigned[model.global((t, p))] {
                    unassigned.push((t, p));
                }
            }
        }
        crate::kernel::sort::sort_by_key(&mut under, |&m| model.id_rank[m]);
        crate::kernel::sort::sort_by_key(exactly_min.make_contiguous(), |&m| model.id_rank[m]);

        // assignRoundRobin: `cursor` emulates a LinkedList iterator over `under`.
        let mut cursor = 0usize;
        for (i, &tp) in unassigned.iter().enumerate() {
            let from_iterator;
            let consumer = if cursor < under.len() {
                cursor += 1;
                from_iterator = true;
                under[cursor - 1]
            } else if !under.is_empty() {
                // restart the iterator over the members still under minQuota
                cursor = 1;
                from_iterator = true;
                under[0]
            } else if let Some(m) = exactly_min.pop_front() {
                from_iterator = false;
                m
            } else {
                return Err(AssignError::Internal {
                    strategy,
                    detail: format!(
                        "no more unfilled consumers to be assigned, {} partitions remain",
                        unassigned.len() - i
                    ),
                });
            };
            let count = self.assign_new(tp, consumer);
            if count == min_quota {
                if from_iterator {
                    cursor -= 1;
                    under.remove(cursor);
                }
                exactly_min.push_back(consumer);
            } else if count == max_quota {
                current_over += 1;
            }
        }

        // verifyUnfilledMembers
        if !under.is_empty() {
            if current_over != expected_over {
                return Err(AssignError::Internal {
                    strategy,
                    detail: format!(
                        "{current_over} members have more than minQuota ({min_quota}) partitions, \
                         {expected_over} expected, and no partitions are left"
                    ),
                });
            }
            if let Some(&m) = under.iter().find(|&&m| self.assignment[m].len() != min_quota) {
                return Err(AssignError::Internal {
                    strategy,
                    detail: format!(
                        "consumer {} has {} partitions, below minQuota {min_quota}",
                        model.members[m].id,
                        self.assignment[m].len()
                    ),
                });
            }
        }
        Ok(())
    }
}

/// `AbstractStickyAssignor.PartitionMovements`: records, per topic, which partitions moved
/// between which pair of members during this rebalance.
#[derive(Default)]
struct Movements {
    /// global partition → (source member, destination member); grown on demand.
    moves: Vec<Option<(usize, usize)>>,
    /// (topic, source, destination) → the partitions (a Java `HashSet`, order emulated). Kafka
    /// nests the pair map in a per-topic map; one flat map answers the same look-ups.
    by_topic: VecMap<(u32, usize, usize), JavaHashOrder>,
}

impl Movements {
    fn remove_record(&mut self, g: usize, topic: u32) -> Option<(usize, usize)> {
        let pair = self.moves.get_mut(g)?.take()?;
        let key = (topic, pair.0, pair.1);
        if let Some(set) = self.by_topic.get_mut(&key) {
            set.remove(g as u64);
            if set.is_empty() {
                self.by_topic.remove(&key);
            }
        }
        Some(pair)
    }

    fn add_record(&mut self, g: usize, topic: u32, hash: i32, pair: (usize, usize)) {
        if self.moves.len() <= g {
            self.moves.resize(g + 1, None);
        }
        self.moves[g] = Some(pair);
        self.by_topic.entry((topic, pair.0, pair.1)).or_default().insert(g as u64, hash);
    }

    fn moved(&self, g: usize) -> Option<(usize, usize)> {
        self.moves.get(g).copied().flatten()
    }

    fn move_partition(&mut self, g: usize, topic: u32, hash: i32, old: usize, new: usize) {
        if self.moved(g).is_some() {
            if let Some((src, _dst)) = self.remove_record(g, topic) {
                if src != new {
                    self.add_record(g, topic, hash, (src, new));
                }
            }
        } else {
            self.add_record(g, topic, hash, (old, new));
        }
    }

    /// `getTheActualPartitionToBeMoved`: returns the global index of the partition to move.
    fn actual_partition_to_move(&self, g: usize, topic: u32, old: usize, new: usize) -> usize {
        let old = match self.moved(g) {
            Some((src, _)) => src,
            None => old,
        };
        match self.by_topic.get(&(topic, new, old)).and_then(JavaHashOrder::first) {
            Some(k) => k as usize,
            None => g,
        }
    }
}

/// `GeneralAssignmentBuilder` (subscriptions differ).
struct General<'m, 'a> {
    model: &'m Model<'a>,
    strategy: Strategy,
    order: &'m [usize],
    prev: &'m PreviousOwners,
    /// topic2AllPotentialConsumers
    topic_consumers: Vec<Vec<usize>>,
    /// currentAssignment; `None` while a member is set aside as fixed.
    current: Vec<Option<Vec<Tp>>>,
    /// currentPartitionConsumer, by global partition index.
    partition_consumer: Vec<Option<usize>>,
    /// sortedCurrentSubscriptions: (assignment size, id rank, member), packed by [`pack`] into one
    /// `u128` that orders as the tuple would. A `BTreeSet`, not a `VecSet`: it churns on every
    /// move; `u128` keys share their `BTreeSet` code with the engine's timer queues.
    sorted: BTreeSet<u128>,
    movements: Movements,
    revocation_required: bool,
    /// Java `TopicPartition.hashCode()` inputs: `String.hashCode()` per topic.
    topic_hashes: Vec<i32>,
    /// Max assignment size per member (sum of its topics' partitions).
    max_size: Vec<usize>,
}

impl<'m, 'a> General<'m, 'a> {
    fn new(model: &'m Model<'a>, prev: &'m PreviousOwners, order: &'m [usize], strategy: Strategy) -> Self {
        let mut topic_consumers: Vec<Vec<usize>> = vec![Vec::new(); model.num_topics()];
        for &m in order {
            for &t in &model.member_topics[m] {
                topic_consumers[t as usize].push(m);
            }
        }
        let current: Vec<Option<Vec<Tp>>> = prev.owned.iter().cloned().map(Some).collect();
        let mut partition_consumer = vec![None; model.total_partitions];
        for (m, list) in prev.owned.iter().enumerate() {
            for &tp in list {
                partition_consumer[model.global(tp)] = Some(m);
            }
        }
        let max_size = model
            .member_topics
            .iter()
            .map(|ts| ts.iter().map(|&t| model.topic_counts[t as usize] as usize).sum())
            .collect();
        General {
            model,
            strategy,
            order,
            prev,
            topic_consumers,
            current,
            partition_consumer,
            sorted: BTreeSet::new(),
            movements: Movements::default(),
            revocation_required: false,
            topic_hashes: model.topic_names.iter().map(|t| java::string_hash(t)).collect(),
            max_size,
        }
    }

    fn size(&self, m: usize) -> Option<usize> {
        self.current[m].as_ref().map(Vec::len)
    }

    fn key(&self, m: usize) -> Option<u128> {
        self.size(m).map(|s| pack(s, self.model.id_rank[m], m))
    }

    /// The members in `sorted` order, with their assignment sizes: (size, member).
    fn sorted_members(&self) -> impl DoubleEndedIterator<Item = (usize, usize)> + '_ {
        self.sorted.iter().map(|&k| {
            let (size, _, m) = unpack(k);
            (size, m)
        })
    }

    fn unsort(&mut self, m: usize) {
        if let Some(k) = self.key(m) {
            self.sorted.remove(&k);
        }
    }

    fn resort(&mut self, m: usize) {
        if let Some(k) = self.key(m) {
            self.sorted.insert(k);
        }
    }

    fn build(&mut self) -> Result<(), AssignError> {
        let model = self.model;
        // prepopulateCurrentAssignments: the latest *previous-generation* claim per partition.
        let mut prev_assignment: Vec<Option<(usize, i32)>> = vec![None; model.total_partitions];
        let max_gen = self.prev.max_generation;
        for &m in self.order {
            let gen = match model.members[m].generation {
                Some(g) if g < max_gen => g,
                None if max_gen > DEFAULT_GENERATION => DEFAULT_GENERATION,
                _ => continue,
            };
            for &tp in &model.member_owned[m] {
                let slot = &mut prev_assignment[model.global(tp)];
                match slot {
                    Some((_, g)) if gen <= *g => {}
                    _ => *slot = Some((m, gen)),
                }
            }
        }

        // assignOwnedPartitions
        let mut assigned = vec![false; model.total_partitions];
        for m in 0..model.members.len() {
            let mut list = self.current[m].take().unwrap_or_default();
            list.retain(|&tp| {
                if model.subscribes(m, tp.0) {
                    assigned[model.global(tp)] = true;
                    true
                } else {
                    self.revocation_required = true;
                    false
                }
            });
            self.current[m] = Some(list);
        }

        // sortedAllPartitions: topics by number of potential consumers, then name.
        let mut topics: Vec<u32> = (0..model.num_topics() as u32).collect();
        crate::kernel::sort::sort_by_key(&mut topics, |&t| (self.topic_consumers[t as usize].len(), t));
        let mut sorted_all: Vec<Tp> = Vec::with_capacity(model.total_partitions);
        for &t in &topics {
            sorted_all.extend((0..model.topic_counts[t as usize]).map(|p| (t, p)));
        }
        let mut unassigned: Vec<Tp> =
            sorted_all.iter().copied().filter(|&tp| !assigned[model.global(tp)]).collect();

        for m in 0..model.members.len() {
            self.resort(m);
        }
        self.balance(prev_assignment, &mut sorted_all, &mut unassigned)
    }

    fn balance(
        &mut self,
        prev_assignment: Vec<Option<(usize, i32)>>,
        sorted_all: &mut Vec<Tp>,
        unassigned: &mut Vec<Tp>,
    ) -> Result<(), AssignError> {
        let model = self.model;
        let initializing = self.sorted_members().next_back().is_none_or(|(size, _)| size == 0);

        // maybeAssign (no rack matching)
        for &tp in unassigned.iter() {
            if self.topic_consumers[tp.0 as usize].is_empty() {
                continue;
            }
            let target = self.sorted_members().map(|(_, m)| m).find(|&m| model.subscribes(m, tp.0));
            if let Some(m) = target {
                self.unsort(m);
                if let Some(list) = self.current[m].as_mut() {
                    list.push(tp);
                }
                self.partition_consumer[model.global(tp)] = Some(m);
                self.resort(m);
            }
        }

        // Only topics with two or more potential consumers can be reassigned.
        let fixed_topic = |t: u32| self.topic_consumers[t as usize].len() < 2;
        sorted_all.retain(|&tp| !fixed_topic(tp.0));
        unassigned.retain(|&tp| !fixed_topic(tp.0));

        // Set aside the members that cannot take part.
        let mut fixed: Vec<(usize, Vec<Tp>)> = Vec::new();
        for m in 0..model.members.len() {
            if !self.can_participate(m) {
                self.unsort(m);
                if let Some(list) = self.current[m].take() {
                    fixed.push((m, list));
                }
            }
        }

        let pre_balance = self.current.clone();
        let pre_partition_consumer = self.partition_consumer.clone();
        if !self.revocation_required {
            self.perform_reassignments(unassigned, &prev_assignment)?;
        }
        let performed = self.perform_reassignments(sorted_all, &prev_assignment)?;
        if !initializing && performed && balance_score(&self.current) >= balance_score(&pre_balance) {
            self.current = pre_balance;
            self.partition_consumer = pre_partition_consumer;
        }
        for (m, list) in fixed {
            self.current[m] = Some(list);
        }
        Ok(())
    }

    fn can_participate(&self, m: usize) -> bool {
        let Some(list) = self.current[m].as_ref() else {
            return false;
        };
        list.len() < self.max_size[m] || list.iter().any(|&(t, _)| self.topic_consumers[t as usize].len() >= 2)
    }

    fn is_balanced(&self) -> bool {
        let (Some((min, _)), Some((max, _))) = (self.sorted_members().next(), self.sorted_members().next_back()) else {
            return true;
        };
        if min + 1 >= max {
            return true;
        }
        let model = self.model;
        for (size, m) in self.sorted_members() {
            if size == self.max_size[m] {
                continue;
            }
            for &t in &model.member_topics[m] {
                for p in 0..model.topic_counts[t as usize] {
                    let holder = self.partition_consumer[model.global((t, p))];
                    if let Some(h) = holder.filter(|&h| h != m) {
                        if let Some(h_size) = self.size(h) {
                            if size + 1 < h_size {
                                return false;
                            }
                        }
                    }
                }
            }
        }
        true
    }

    fn perform_reassignments(
        &mut self,
        partitions: &[Tp],
        prev_assignment: &[Option<(usize, i32)>],
    ) -> Result<bool, AssignError> {
        let model = self.model;
        let mut performed = false;
        for _pass in 0..MAX_REASSIGNMENT_PASSES {
            let mut modified = false;
            for &tp in partitions {
                if self.is_balanced() {
                    break;
                }
                let g = model.global(tp);
                let Some(consumer) = self.partition_consumer[g] else {
                    return Err(AssignError::Internal {
                        strategy: self.strategy,
                        detail: format!("partition {}-{} has no consumer", model.topic_names[tp.0 as usize], tp.1),
                    });
                };
                let Some(size) = self.size(consumer) else { continue };
                if let Some((prev_owner, _)) = prev_assignment[g] {
                    if model.subscribes(prev_owner, tp.0) && self.size(prev_owner).is_some_and(|s| size > s + 1) {
                        self.reassign_to(tp, prev_owner);
                        performed = true;
                        modified = true;
                        continue;
                    }
                }
                let better_exists = self.topic_consumers[tp.0 as usize]
                    .iter()
                    .any(|&o| self.size(o).is_some_and(|s| size > s + 1));
                if better_exists {
                    self.reassign(tp);
                    performed = true;
                    modified = true;
                }
            }
            if !modified {
                break;
            }
        }
        Ok(performed)
    }

    fn reassign(&mut self, tp: Tp) {
        let model = self.model;
        let target = self.sorted_members().map(|(_, m)| m).find(|&m| model.subscribes(m, tp.0));
        if let Some(m) = target {
            self.reassign_to(tp, m);
        }
    }

    fn reassign_to(&mut self, tp: Tp, new: usize) {
        let model = self.model;
        let g = model.global(tp);
        let Some(consumer) = self.partition_consumer[g] else { return };
        let to_move = self.movements.actual_partition_to_move(g, tp.0, consumer, new);
        self.process_movement(to_move, new);
    }

    fn process_movement(&mut self, g: usize, new: usize) {
        let model = self.model;
        let Some(old) = self.partition_consumer[g] else { return };
        let tp = model.tp_of_global(g);
        self.unsort(old);
        self.unsort(new);
        let hash = java::topic_partition_hash(self.topic_hashes[tp.0 as usize], tp.1);
        self.movements.move_partition(g, tp.0, hash, old, new);
        if let Some(list) = self.current[old].as_mut() {
            remove_first(list, tp);
        }
        if let Some(list) = self.current[new].as_mut() {
            list.push(tp);
        }
        self.partition_consumer[g] = Some(new);
        self.resort(new);
        self.resort(old);
    }
}

/// `getBalanceScore`: sum of |size(a) - size(b)| over all pairs of participating members.
fn balance_score(current: &[Option<Vec<Tp>>]) -> i64 {
    let mut sizes: Vec<i64> = current.iter().flatten().map(|l| l.len() as i64).collect();
    crate::kernel::sort::sort(&mut sizes);
    let k = sizes.len() as i64;
    sizes
        .iter()
        .enumerate()
        .map(|(i, &s)| s * (2 * i as i64 - (k - 1)))
        .sum()
}

/// `CooperativeStickyAssignor.computePartitionsTransferringOwnership`: partitions newly
/// assigned to one member that another member listed as owned.
fn partitions_transferring_ownership(model: &Model<'_>, assignment: &[Vec<Tp>]) -> Vec<(Tp, usize)> {
    let total = model.total_partitions;
    let mut revoked = vec![false; total];
    let mut added: Vec<(Tp, usize)> = Vec::new();
    let mut mark = vec![false; total];
    for (m, assigned) in assignment.iter().enumerate() {
        let owned = &model.member_owned[m];
        for &tp in owned {
            mark[model.global(tp)] = true;
        }
        for &tp in assigned {
            if !mark[model.global(tp)] {
                added.push((tp, m));
            }
        }
        for &tp in owned {
            mark[model.global(tp)] = false;
        }
        for &tp in assigned {
            mark[model.global(tp)] = true;
        }
        for &tp in owned {
            if !mark[model.global(tp)] {
                revoked[model.global(tp)] = true;
            }
        }
        for &tp in assigned {
            mark[model.global(tp)] = false;
        }
    }
    added.retain(|&(tp, _)| revoked[model.global(tp)]);
    added
}

/// (assignment size, id rank, member) as one `u128` ordered like the tuple: size in the high 64
/// bits, then rank and member in 32 bits each (both are member indexes, far below 2^32).
fn pack(size: usize, rank: usize, member: usize) -> u128 {
    debug_assert!(rank <= u32::MAX as usize && member <= u32::MAX as usize);
    (size as u128) << 64 | (rank as u128) << 32 | member as u128
}

/// The inverse of [`pack`].
fn unpack(key: u128) -> (usize, usize, usize) {
    ((key >> 64) as usize, (key >> 32) as u32 as usize, key as u32 as usize)
}

