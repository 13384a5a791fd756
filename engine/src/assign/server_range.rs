//! KIP-848 server-side `RangeAssignor`
//! (`group-coordinator/.../coordinator/group/assignor/RangeAssignor.java`, the version with
//! `assignHomogeneousGroup` / `assignHeterogeneousGroup` and `sortMemberIds`).
//!
//! Members are sorted by `group.instance.id` when present (static members first), otherwise by
//! member id; then, for every topic, each subscriber in that order takes the next contiguous
//! range of `partitions / subscribers` partitions, plus one while
//! `partitions % subscribers` extra partitions remain (`TopicMetadata.nextRange`). In a
//! homogeneous group with co-partitioned topics every member therefore gets the same partition
//! numbers of every topic. The current assignment is not consulted (the assignor is not sticky;
//! stickiness comes from static members keeping their instance id).

use super::{Model, Tp};

/// Server-side range assignment, one list per member (input order).
pub(crate) fn assign(model: &Model<'_>) -> Vec<Vec<Tp>> {
    let n = model.members.len();
    let mut out: Vec<Vec<Tp>> = vec![Vec::new(); n];
    let mut sorted: Vec<usize> = (0..n).collect();
    model.member_info_order(&mut sorted);
    for t in 0..model.num_topics() as u32 {
        let num_partitions = model.topic_counts[t as usize];
        let subscribers = sorted.iter().filter(|&&m| model.subscribes(m, t)).count() as u32;
        if subscribers == 0 {
            continue;
        }
        let min_quota = num_partitions / subscribers;
        let mut extra = num_partitions % subscribers;
        let mut next_range = 0u32;
        for &m in sorted.iter().filter(|&&m| model.subscribes(m, t)) {
            if next_range >= num_partitions {
                continue;
            }
            let start = next_range;
            let mut end = (start + min_quota).min(num_partitions);
            if extra > 0 {
                end += 1;
                extra -= 1;
            }
            next_range = end;
            out[m].extend((start..end).map(|p| (t, p)));
        }
    }
    out
}
