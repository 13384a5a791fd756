//! Client-side `RangeAssignor` (`clients/.../consumer/RangeAssignor.java`), eager protocol.
//!
//! Per topic, the subscribed members are sorted like Kafka's `MemberInfo` (static members by
//! `group.instance.id` first, then dynamic members by member id) and the partitions, in
//! ascending order, are split into contiguous ranges: every member gets
//! `partitions / members` of them and the first `partitions % members` members one more.
//! (The rack-aware variant needs replica racks, which GroupLab's input does not carry; Kafka
//! then behaves exactly like this.)

use super::{Model, Tp};

/// Range assignment, one list per member (input order).
pub(crate) fn assign(model: &Model<'_>) -> Vec<Vec<Tp>> {
    let mut out: Vec<Vec<Tp>> = vec![Vec::new(); model.members.len()];
    // Sorting once and filtering per topic gives each topic's consumers in sorted order.
    let mut sorted: Vec<usize> = (0..model.members.len()).collect();
    model.member_info_order(&mut sorted);
    for t in 0..model.num_topics() as u32 {
        let consumers: Vec<usize> = sorted.iter().copied().filter(|&m| model.subscribes(m, t)).collect();
        if consumers.is_empty() {
            continue;
        }
        let partitions = model.topic_counts[t as usize] as usize;
        let per_consumer = partitions / consumers.len();
        let with_extra = partitions % consumers.len();
        for (i, &m) in consumers.iter().enumerate() {
            let start = per_consumer * i + i.min(with_extra);
            let len = per_consumer + usize::from(i < with_extra);
            out[m].extend((start..start + len).map(|p| (t, p as u32)));
        }
    }
    out
}
