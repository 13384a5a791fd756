//! KIP-848 server-side `UniformAssignor`
//! (`group-coordinator/.../coordinator/group/assignor/UniformAssignor.java`).
//!
//! The *current assignment* of a member is its `owned` list (the coordinator's target
//! assignment of the previous epoch; generations play no role server-side).
//!
//! - **Homogeneous** groups (every member subscribes to the same topics) follow
//!   `UniformHomogeneousAssignmentBuilder`: members are visited in order; each gets a quota of
//!   `partitions / members`, the first `partitions % members` of them one more; a member keeps
//!   its current partitions up to its quota (topic by topic, ascending partitions) and the rest
//!   are revoked and queued after the partitions nobody owns; the queue is then dealt out to the
//!   members still below quota, in order.
//! - **Heterogeneous** groups follow `UniformHeterogeneousAssignmentBuilder`'s outline: revoke
//!   partitions of topics a member no longer subscribes to, keep the rest; assign the
//!   unassigned partitions topic by topic (topics ordered by partitions per subscriber,
//!   descending, then subscriber count, ascending, then name) to the least-loaded subscriber;
//!   then iteratively move partitions from the most-loaded holder of a topic to its
//!   least-loaded subscriber while they differ by two or more.
//!
//! Where Kafka iterates `HashMap`s (member ids, topic ids) GroupLab uses member-id order and
//! topic-name order. A partition listed as owned by several members (impossible for a real
//! coordinator) stays with the first of them in member-id order.

use super::{AssignError, Model, Strategy, Tp};

/// Bound on balancing sweeps (each move strictly reduces the sum of squared sizes, so this is
/// never reached in practice).
const MAX_BALANCE_SWEEPS: usize = 100_000;

/// Uniform assignment, one list per member (input order).
pub(crate) fn assign(model: &Model<'_>) -> Result<Vec<Vec<Tp>>, AssignError> {
    let n = model.members.len();
    let mut out: Vec<Vec<Tp>> = vec![Vec::new(); n];
    if n == 0 || model.num_topics() == 0 {
        return Ok(out);
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&m| model.id_rank[m]);

    // Current assignment without double claims, each list sorted by (topic, partition).
    let mut taken = vec![false; model.total_partitions];
    let mut current: Vec<Vec<Tp>> = vec![Vec::new(); n];
    for &m in &order {
        let mut owned = model.member_owned[m].clone();
        owned.sort_unstable();
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
        heterogeneous_assign(model, &order, current, &mut out);
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
            let topic_parts = &owned[i..j];
            if model.subscribes(m, t) {
                if topic_parts.len() <= quota {
                    quota -= topic_parts.len();
                    out[m].extend_from_slice(topic_parts);
                } else {
                    for &tp in topic_parts {
                        if quota > 0 {
                            quota -= 1;
                            out[m].push(tp);
                        } else {
                            unassigned.push(tp);
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

fn heterogeneous_assign(model: &Model<'_>, order: &[usize], current: Vec<Vec<Tp>>, out: &mut [Vec<Tp>]) {
    let n = order.len();
    // position of each member in `order` (tie-breaker, like Kafka's member index)
    let mut index = vec![0usize; n];
    for (i, &m) in order.iter().enumerate() {
        index[m] = i;
    }
    let mut owner: Vec<Option<usize>> = vec![None; model.total_partitions];
    let mut size = vec![0usize; n];
    for (m, list) in current.into_iter().enumerate() {
        for tp in list {
            if model.subscribes(m, tp.0) {
                owner[model.global(tp)] = Some(m);
                size[m] += 1;
            }
        }
    }
    let subscribers: Vec<Vec<usize>> = (0..model.num_topics() as u32)
        .map(|t| order.iter().copied().filter(|&m| model.subscribes(m, t)).collect())
        .collect();
    let mut topics: Vec<u32> = (0..model.num_topics() as u32).filter(|&t| !subscribers[t as usize].is_empty()).collect();
    // partitions per subscriber, descending (compared exactly as fractions), then subscribers
    // ascending, then name.
    topics.sort_by(|&a, &b| {
        let (pa, sa) = (u64::from(model.topic_counts[a as usize]), subscribers[a as usize].len() as u64);
        let (pb, sb) = (u64::from(model.topic_counts[b as usize]), subscribers[b as usize].len() as u64);
        (pb * sa).cmp(&(pa * sb)).then(sa.cmp(&sb)).then(a.cmp(&b))
    });

    let least_loaded = |subs: &[usize], size: &[usize]| -> Option<usize> {
        subs.iter().copied().min_by_key(|&m| (size[m], index[m]))
    };

    // Assign the unassigned partitions.
    for &t in &topics {
        let subs = &subscribers[t as usize];
        for p in 0..model.topic_counts[t as usize] {
            let g = model.global((t, p));
            if owner[g].is_none() {
                if let Some(m) = least_loaded(subs, &size) {
                    owner[g] = Some(m);
                    size[m] += 1;
                }
            }
        }
    }

    // Balance: per topic, move from its most-loaded holder to its least-loaded subscriber.
    for _ in 0..MAX_BALANCE_SWEEPS {
        let mut moved = false;
        for &t in &topics {
            let subs = &subscribers[t as usize];
            if subs.len() < 2 {
                continue;
            }
            let count = model.topic_counts[t as usize];
            while let Some(low) = least_loaded(subs, &size) {
                // the holder with most partitions (ties: later member), and its highest partition
                let mut best: Option<(usize, u32)> = None;
                for p in 0..count {
                    if let Some(h) = owner[model.global((t, p))] {
                        let better = match best {
                            None => true,
                            Some((b, _)) => (size[h], index[h]) >= (size[b], index[b]),
                        };
                        if better {
                            best = Some((h, p));
                        }
                    }
                }
                match best {
                    Some((h, p)) if size[h] >= size[low] + 2 => {
                        owner[model.global((t, p))] = Some(low);
                        size[h] -= 1;
                        size[low] += 1;
                        moved = true;
                    }
                    _ => break,
                }
            }
        }
        if !moved {
            break;
        }
    }

    for t in 0..model.num_topics() as u32 {
        for p in 0..model.topic_counts[t as usize] {
            if let Some(m) = owner[model.global((t, p))] {
                out[m].push((t, p));
            }
        }
    }
}
