//! Client-side `RoundRobinAssignor` (`clients/.../consumer/RoundRobinAssignor.java`).
//!
//! All partitions of all subscribed topics, sorted by topic then partition, are dealt out to
//! the members in `MemberInfo` order (static members by `group.instance.id`, then dynamic
//! members by member id) with a circular iterator that skips members not subscribed to the
//! partition's topic.

use super::{Model, Tp};

/// Round-robin assignment, one list per member (input order).
pub(crate) fn assign(model: &Model<'_>) -> Vec<Vec<Tp>> {
    let n = model.members.len();
    let mut out: Vec<Vec<Tp>> = vec![Vec::new(); n];
    if n == 0 {
        return out;
    }
    let mut order: Vec<usize> = (0..n).collect();
    model.member_info_order(&mut order);
    let mut cursor = 0usize;
    for t in 0..model.num_topics() as u32 {
        // Every considered topic has at least one subscriber, so the skip loop ends within
        // one lap (bounded by `n`).
        for p in 0..model.topic_counts[t as usize] {
            let mut skipped = 0;
            while !model.subscribes(order[cursor], t) && skipped < n {
                cursor = (cursor + 1) % n;
                skipped += 1;
            }
            debug_assert!(skipped < n, "topic without subscriber");
            out[order[cursor]].push((t, p));
            cursor = (cursor + 1) % n;
        }
    }
    out
}
