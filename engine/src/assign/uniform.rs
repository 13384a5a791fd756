//! KIP-848 server-side `UniformAssignor`
//! (`group-coordinator/.../coordinator/group/assignor/UniformAssignor.java`).
//!
//! The *current assignment* of a member is its `owned` list (the coordinator's target
//! assignment of the previous epoch; generations play no role server-side).
//!
//! - **Homogeneous** groups (every member subscribes to the same topics) follow
//!   `UniformHomogeneousAssignmentBuilder`: members are visited in order; each gets a quota of
//!   `partitions / members`, the first `partitions % members` of them one more; a member keeps
//!   its current partitions up to its quota (topic by topic, partitions in Java `HashSet`
//!   order) and the rest are revoked and queued after the partitions nobody owns; the queue is
//!   then dealt out to the members still below quota, in order.
//! - **Heterogeneous** groups follow `UniformHeterogeneousAssignmentBuilder` (the version with
//!   `MemberAssignmentBalancer`): partitions of topics a member no longer subscribes to are
//!   revoked, the rest kept; unassigned partitions are dealt topic by topic (topics ordered by
//!   partitions per subscriber, descending, then subscriber count, ascending, then name) to the
//!   least-loaded subscribers, level by level; then, for up to 16 sweeps over the topics, each
//!   topic's last partitions of its most-loaded holders move to its least-loaded subscribers
//!   until the two differ by at most one.
//!
//! Members are numbered in member-id order (Kafka's tests use a `TreeMap`; the coordinator a
//! `HashMap`). Topic-id ties (random UUIDs in Kafka) are broken by topic name. A partition
//! listed as owned by several members (impossible for a real coordinator) stays with the first
//! of them in member-id order.

use super::{java, AssignError, Model, Strategy, Tp};

/// `UniformHeterogeneousAssignmentBuilder.MAX_ITERATION_COUNT`.
const MAX_ITERATION_COUNT: usize = 16;

/// Uniform assignment, one list per member (input order).
pub(crate) fn assign(model: &Model<'_>) -> Result<Vec<Vec<Tp>>, AssignError> {
    let n = model.members.len();
    let mut out: Vec<Vec<Tp>> = vec![Vec::new(); n];
    if n == 0 || model.num_topics() == 0 {
        return Ok(out);
    }
    let mut order: Vec<usize> = (0..n).collect();
    crate::kernel::sort::sort_by_key(&mut order, |&m| model.id_rank[m]);

    // Current assignment without double claims, each list sorted by (topic, partition).
    let mut taken = vec![false; model.total_partitions];
    let mut current: Vec<Vec<Tp>> = vec![Vec::new(); n];
    for &m in &order {
        let mut owned = model.member_owned[m].clone();
        crate::kernel::sort::sort(&mut owned);
        owned.dedup();
        for tp in owned {
            let g = model.global(tp);
            if !taken[g] {
                taken[g] = true;
                current[m].push(tp);
            }
        }
    }

    let homogeneous = model.member_raw_topics.iter().all(|t| *t == model.member_raw_topics[0]);
    if homogeneous {
        homogeneous_assign(model, &order, current, &taken, &mut out)?;
    } else {
        Heterogeneous::new(model, &order).build(&current, &mut out);
    }
    Ok(out)
}

fn homogeneous_assign(
    model: &Model<'_>,
    order: &[usize],
    current: Vec<Vec<Tp>>,
    taken: &[bool],
    out: &mut [Vec<Tp>],
) -> Result<(), AssignError> {
    let n = order.len();
    let mut unassigned: Vec<Tp> = Vec::new();
    for t in 0..model.num_topics() as u32 {
        for p in 0..model.topic_counts[t as usize] {
            if !taken[model.global((t, p))] {
                unassigned.push((t, p));
            }
        }
    }
    let min_quota = model.total_partitions / n;
    let mut extra = model.total_partitions % n;
    let mut unfilled: Vec<(usize, usize)> = Vec::new();
    for &m in order {
        let mut quota = min_quota;
        if extra > 0 {
            quota += 1;
            extra -= 1;
        }
        let owned = &current[m];
        let mut i = 0;
        while i < owned.len() {
            let t = owned[i].0;
            let j = owned[i..].iter().position(|tp| tp.0 != t).map_or(owned.len(), |k| i + k);
            if model.subscribes(m, t) {
                let parts: Vec<u32> = owned[i..j].iter().map(|tp| tp.1).collect();
                if parts.len() <= quota {
                    quota -= parts.len();
                    out[m].extend(parts.iter().map(|&p| (t, p)));
                } else {
                    for p in java::int_hash_set_order(&parts) {
                        if quota > 0 {
                            quota -= 1;
                            out[m].push((t, p));
                        } else {
                            unassigned.push((t, p));
                        }
                    }
                }
            }
            i = j;
        }
        if quota > 0 {
            unfilled.push((m, quota));
        }
    }
    let mut next = 0usize;
    for (m, quota) in unfilled {
        let take = quota.min(unassigned.len() - next);
        out[m].extend_from_slice(&unassigned[next..next + take]);
        next += take;
    }
    if next < unassigned.len() {
        return Err(AssignError::Internal {
            strategy: Strategy::Uniform,
            detail: format!("{} partitions were left unassigned", unassigned.len() - next),
        });
    }
    Ok(())
}

/// `UniformHeterogeneousAssignmentBuilder`, with members numbered 0..M in member-id order.
struct Heterogeneous<'m, 'a> {
    model: &'m Model<'a>,
    /// member number → member (input index)
    members: Vec<usize>,
    /// per topic: subscriber numbers, ascending
    subscribers: Vec<Vec<usize>>,
    /// per member number: target assignment size
    sizes: Vec<usize>,
    /// per global partition: owner number
    owners: Vec<Option<usize>>,
}

impl<'m, 'a> Heterogeneous<'m, 'a> {
    fn new(model: &'m Model<'a>, order: &[usize]) -> Self {
        let members = order.to_vec();
        let mut subscribers = vec![Vec::new(); model.num_topics()];
        for (num, &m) in members.iter().enumerate() {
            for &t in &model.member_topics[m] {
                subscribers[t as usize].push(num);
            }
        }
        Heterogeneous {
            model,
            sizes: vec![0; members.len()],
            members,
            subscribers,
            owners: vec![None; model.total_partitions],
        }
    }

    /// Topics by partitions per subscriber (descending, exact), subscribers (ascending), name.
    fn sort_topics(&self, topics: &mut [u32]) {
        let key = |t: u32| (u64::from(self.model.topic_counts[t as usize]), self.subscribers[t as usize].len() as u64);
        crate::kernel::sort::sort_by(topics, |&a, &b| {
            let ((pa, sa), (pb, sb)) = (key(a), key(b));
            (pb * sa).cmp(&(pa * sb)).then(sa.cmp(&sb)).then(a.cmp(&b))
        });
    }

    fn assign_partition(&mut self, tp: Tp, num: usize) {
        let g = self.model.global(tp);
        if let Some(old) = self.owners[g] {
            self.sizes[old] -= 1;
        }
        self.owners[g] = Some(num);
        self.sizes[num] += 1;
    }

    fn build(mut self, current: &[Vec<Tp>], out: &mut [Vec<Tp>]) {
        let model = self.model;
        // maybeRevokePartitions: keep what is still subscribed.
        for num in 0..self.members.len() {
            let m = self.members[num];
            for &tp in &current[m] {
                if model.subscribes(m, tp.0) {
                    self.owners[model.global(tp)] = Some(num);
                    self.sizes[num] += 1;
                }
            }
        }

        // assignRemainingPartitions
        let mut topics: Vec<u32> = (0..model.num_topics() as u32)
            .filter(|&t| {
                (0..model.topic_counts[t as usize]).any(|p| self.owners[model.global((t, p))].is_none())
            })
            .collect();
        self.sort_topics(&mut topics);
        let mut balancer = Balancer::default();
        for &t in &topics {
            balancer.initialize(&self.subscribers[t as usize], &self.sizes);
            for p in 0..model.topic_counts[t as usize] {
                if self.owners[model.global((t, p))].is_none() {
                    let num = balancer.next_least_loaded(&self.sizes);
                    self.assign_partition((t, p), num);
                }
            }
        }

        // balance / balanceTopics
        let mut topics: Vec<u32> =
            (0..model.num_topics() as u32).filter(|&t| self.subscribers[t as usize].len() >= 2).collect();
        if !topics.is_empty() {
            self.sort_topics(&mut topics);
            let mut last_rebalanced: Option<usize> = None;
            'sweeps: for _ in 0..MAX_ITERATION_COUNT {
                for (index, &t) in topics.iter().enumerate() {
                    if last_rebalanced == Some(index) {
                        break 'sweeps;
                    }
                    let moved = self.balance_topic(t, &mut balancer);
                    if moved > 0 || last_rebalanced.is_none() {
                        last_rebalanced = Some(index);
                    }
                }
            }
        }

        for t in 0..model.num_topics() as u32 {
            for p in 0..model.topic_counts[t as usize] {
                if let Some(num) = self.owners[model.global((t, p))] {
                    out[self.members[num]].push((t, p));
                }
            }
        }
    }

    /// `balanceTopic`: returns the number of partitions moved.
    fn balance_topic(&mut self, t: u32, balancer: &mut Balancer) -> usize {
        let model = self.model;
        let imbalance = balancer.initialize(&self.subscribers[t as usize], &self.sizes);
        if imbalance <= 1 {
            return 0;
        }
        let count = model.topic_counts[t as usize];
        // Partitions grouped by owner (unowned first, like Java's -1), then by number.
        let mut partitions: Vec<u32> = (0..count).collect();
        let owner_key = |owners: &[Option<usize>], p: u32| owners[model.global((t, p))].map_or(-1i64, |o| o as i64);
        crate::kernel::sort::sort_by_key(&mut partitions, |&p| (owner_key(&self.owners, p), p));
        let mut start: Vec<Option<usize>> = vec![None; self.members.len()];
        let mut end: Vec<usize> = vec![0; self.members.len()];
        for (i, &p) in partitions.iter().enumerate() {
            if let Some(o) = self.owners[model.global((t, p))] {
                start[o].get_or_insert(i);
                end[o] = i + 1;
            }
        }

        let mut moved = 0;
        // Bounded: every pass either moves a partition of this topic or ends the loop.
        for _ in 0..=count {
            if balancer.is_balanced() {
                break;
            }
            let most = loop {
                match balancer.next_most_loaded(&self.sizes) {
                    None => break None,
                    Some(num) => match start[num] {
                        Some(s) if end[num] > s => break Some(num),
                        _ => balancer.exclude_most_loaded(),
                    },
                }
            };
            let Some(most) = most else { break };
            end[most] -= 1;
            let partition = partitions[end[most]];
            let least = balancer.next_least_loaded(&self.sizes);
            if balancer.is_balanced() {
                break;
            }
            self.assign_partition((t, partition), least);
            moved += 1;
        }
        moved
    }
}

/// `MemberAssignmentBalancer`: tracks the least- and most-loaded ranges of a topic's
/// subscribers sorted by (assignment size, member number).
#[derive(Default)]
struct Balancer {
    sorted: Vec<usize>,
    least_end: usize,
    least_count: i64,
    next_least: usize,
    most_start: usize,
    most_end: usize,
    most_count: i64,
    next_most: isize,
}

impl Balancer {
    /// Resets for `members` (non-empty); returns max size − min size.
    fn initialize(&mut self, members: &[usize], sizes: &[usize]) -> usize {
        self.sorted.clear();
        self.sorted.extend_from_slice(members);
        crate::kernel::sort::sort_by_key(&mut self.sorted, |&m| (sizes[m], m));
        let (Some(&first), Some(&last)) = (self.sorted.first(), self.sorted.last()) else {
            return 0;
        };
        let len = self.sorted.len();
        self.least_end = 0;
        self.least_count = sizes[first] as i64 - 1;
        self.next_least = 0;
        self.most_start = len;
        self.most_end = len;
        self.most_count = sizes[last] as i64 + 1;
        self.next_most = len as isize - 1;
        sizes[last] - sizes[first]
    }

    fn next_least_loaded(&mut self, sizes: &[usize]) -> usize {
        if self.next_least >= self.least_end {
            self.least_count += 1;
            while self.least_end < self.sorted.len() && sizes[self.sorted[self.least_end]] as i64 == self.least_count {
                self.least_end += 1;
            }
            self.next_least = 0;
        }
        let m = self.sorted[self.next_least.min(self.sorted.len() - 1)];
        self.next_least += 1;
        m
    }

    fn next_most_loaded(&mut self, sizes: &[usize]) -> Option<usize> {
        if self.next_most < self.most_start as isize {
            if self.most_end <= self.most_start && self.most_start > 0 {
                self.most_count = sizes[self.sorted[self.most_start - 1]] as i64;
            } else {
                self.most_count -= 1;
            }
            while self.most_start > 0 && sizes[self.sorted[self.most_start - 1]] as i64 == self.most_count {
                self.most_start -= 1;
            }
            self.next_most = self.most_end as isize - 1;
        }
        if self.next_most < 0 {
            return None;
        }
        let m = self.sorted[self.next_most as usize];
        self.next_most -= 1;
        Some(m)
    }

    fn exclude_most_loaded(&mut self) {
        let i = (self.next_most + 1) as usize;
        self.sorted.swap(i, self.most_end - 1);
        self.most_end -= 1;
    }

    fn is_balanced(&self) -> bool {
        self.most_count - self.least_count <= 1
    }
}
