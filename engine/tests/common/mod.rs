//! Helpers shared by the group-protocol test files.

use grouplab_engine::kernel::vecmap::VecMap;

use grouplab_engine::group::client::MemberSubscription;
use grouplab_engine::Sim;

/// Advances `sim` by `delta_ms` one due event at a time, running `check` after every step.
#[allow(dead_code)]
pub fn advance_checked(
    sim: &mut Sim,
    delta_ms: u64,
    mut check: impl FnMut(&Sim) -> Result<(), String>,
) -> Result<(), String> {
    let target = sim.now_ms() + delta_ms;
    while let Some(next) = sim.next_deadline_ms() {
        if next > target {
            break;
        }
        sim.step();
        check(sim)?;
    }
    sim.advance_to(target);
    Ok(())
}

/// A tiny RangeAssignor (per topic, members sorted by id, the first `n % m` get one extra), so the
/// protocol tests do not depend on the assign module.
#[allow(dead_code)]
pub fn tiny_range(
    _strategy: &str,
    topics: &VecMap<String, u32>,
    members: &[MemberSubscription],
) -> Result<VecMap<String, Vec<(String, u32)>>, String> {
    let mut out: VecMap<String, Vec<(String, u32)>> = members
        .iter()
        .map(|m| (m.member_id.clone(), Vec::new()))
        .collect();
    for (topic, n) in topics {
        let mut subs: Vec<&str> = members
            .iter()
            .filter(|m| m.topics.contains(topic))
            .map(|m| m.member_id.as_str())
            .collect();
        subs.sort();
        if subs.is_empty() {
            continue;
        }
        let per = n / subs.len() as u32;
        let extra = n % subs.len() as u32;
        let mut next = 0;
        for (i, m) in subs.iter().enumerate() {
            let count = per + u32::from((i as u32) < extra);
            for p in next..next + count {
                out.get_mut(*m).ok_or("member")?.push((topic.clone(), p));
            }
            next += count;
        }
    }
    Ok(out)
}
