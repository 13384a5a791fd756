//! The tables of `kafka-consumer-groups.sh`, as plain data from the views: what
//! `ConsumerGroupCommand` (Kafka 4.3, `tools/consumer/group/ConsumerGroupCommand.java`) prints
//! for `--describe` (offsets), `--describe --members`, `--describe --state` and `--list`. The UI's
//! read-only panels show the same [`Table`]s; [`Table::render`] prints them as Kafka does.
//!
//! What the Admin client reports for a classic group follows `DescribeGroups`
//! (`GroupMetadataManager.describeGroups`): member assignments and the group's protocol only
//! while the group is Stable (`describeNoMetadata` otherwise, so no owner in `--describe` and
//! `#PARTITIONS` 0), every member in `--members`.

use crate::api::view::{GroupView, LagView, View};

use super::table::{Table, Width};

/// The host of every simulated client, as `MemberDescription.host()` prints it.
pub const HOST: &str = "/127.0.0.1";

/// The port of every simulated broker.
pub const BROKER_PORT: u16 = 9092;

/// `MISSING_COLUMN_VALUE`.
pub const MISSING: &str = "-";

/// The host name of broker `id` (`broker-<id>`).
pub fn broker_host(id: u32) -> String {
    format!("broker-{id}")
}

/// `Node` as `--describe --state` prints the coordinator: `host:port  (id)`.
pub fn coordinator_cell(id: u32) -> String {
    format!("{}:{BROKER_PORT}  ({id})", broker_host(id))
}

/// GroupLab's `LAG-SECONDS` cell: the lag in seconds with one decimal (`12.3`), `-` when unknown.
pub fn lag_seconds(lag_ms: Option<u64>) -> String {
    match lag_ms {
        Some(ms) => {
            let tenths = (ms + 50) / 100;
            format!("{}.{}", tenths / 10, tenths % 10)
        }
        None => MISSING.to_string(),
    }
}

/// The status line `kafka-consumer-groups.sh --describe` prints above a group's table
/// (`shouldPrintMemberState`): on standard error `Consumer group 'g' has no active members.`
/// (Empty) or `Warning: Consumer group 'g' is rebalancing.`; for a Dead group `Error: Consumer
/// group 'g' does not exist.` (on standard output, and no table). `None` for a Stable group.
pub fn status_line(g: &GroupView) -> Option<String> {
    match g.state.as_str() {
        "Dead" => Some(format!("Error: Consumer group '{}' does not exist.", g.group_id)),
        "Empty" => Some(format!("Consumer group '{}' has no active members.", g.group_id)),
        "PreparingRebalance" | "CompletingRebalance" | "Assigning" | "Reconciling" => Some(format!("Warning: Consumer group '{}' is rebalancing.", g.group_id)),
        _ => None,
    }
}

/// What the Admin client sees of a group's members: the assignment only while Stable.
fn reported_assignment(g: &GroupView, assigned: &[(String, u32)]) -> Vec<(String, u32)> {
    // ConsumerGroupDescribe (consumer groups) always reports the members' assignments.
    if g.state == "Stable" || g.group_epoch.is_some() {
        let mut a = assigned.to_vec();
        crate::kernel::sort::sort(&mut a);
        a
    } else {
        Vec::new()
    }
}

/// Whether `topic`-`partition` has a leader (`filterNoneLeaderPartitions`), and its HW.
fn log_end_offset(view: &View, topic: &str, partition: u32) -> Option<u64> {
    let p = view.topics.iter().find(|t| t.name == topic)?.partitions.get(partition as usize)?;
    p.leader.map(|_| p.high_watermark)
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| MISSING.to_string(), |v| v.to_string())
}

/// `--describe` (the default, `--offsets`): `GROUP TOPIC PARTITION [LEADER-EPOCH]
/// CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID`, and GroupLab's extension
/// `LAG-SECONDS` (how long the oldest unconsumed record has waited, [`LagView::lag_ms`]).
/// Rows (`collectGroupsOffsets`): the members with partitions, largest assignment first (ties
/// in join order), each member's partitions by topic then partition; then the partitions with
/// a committed offset no member owns, with `-` for the consumer. LOG-END-OFFSET is the HW
/// (ListOffsets latest), `-` without a leader; LAG = LOG-END-OFFSET − CURRENT-OFFSET (negative
/// if the offset is past the end, as Kafka prints it). LEADER-EPOCH (`--verbose`) is `-`:
/// GroupLab's commits carry no leader epoch.
pub fn describe_offsets(view: &View, g: &GroupView, verbose: bool) -> Table {
    let mut head = vec!["GROUP", "TOPIC", "PARTITION"];
    let mut widths = vec![Width::Fit { min: 15, plus: 0 }, Width::Fit { min: 15, plus: 0 }, Width::Fixed(10)];
    if verbose {
        head.push("LEADER-EPOCH");
        widths.push(Width::Fixed(15));
    }
    head.extend(["CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID", "LAG-SECONDS"]);
    widths.extend([Width::Fixed(15), Width::Fixed(15), Width::Fixed(15), Width::Fit { min: 15, plus: 0 }, Width::Fit { min: 15, plus: 0 }, Width::Fit { min: 15, plus: 0 }, Width::Free]);
    let mut t = Table::new(&head, widths);
    let lag_of = |topic: &str, p: u32| -> Option<&LagView> { g.lag.iter().find(|l| l.topic == topic && l.partition == p) };
    let row = |topic: &str, p: u32, consumer: Option<(&str, &str)>| -> Vec<String> {
        let lag = lag_of(topic, p);
        let committed = lag.and_then(|l| l.committed);
        let end = log_end_offset(view, topic, p);
        let lag_n = match (committed, end) {
            (Some(c), Some(e)) => Some(e as i128 - c as i128),
            _ => None,
        };
        let mut r = vec![g.group_id.clone(), topic.to_string(), p.to_string()];
        if verbose {
            r.push(MISSING.to_string());
        }
        r.extend([opt(committed), opt(end), opt(lag_n)]);
        match consumer {
            Some((member, client)) => r.extend([member.to_string(), HOST.to_string(), client.to_string()]),
            None => r.extend([MISSING.to_string(), MISSING.to_string(), MISSING.to_string()]),
        }
        r.push(lag_seconds(lag.and_then(|l| l.lag_ms)));
        r
    };
    /// A member's id, client id and reported partitions.
    type Reported<'a> = (&'a str, &'a str, Vec<(String, u32)>);
    let mut members: Vec<Reported<'_>> = g
        .members
        .iter()
        .map(|m| (m.member_id.as_str(), m.client_id.as_str(), reported_assignment(g, &m.assigned)))
        .filter(|(_, _, a)| !a.is_empty())
        .collect();
    crate::kernel::sort::sort_by_key(&mut members, |(_, _, a)| std::cmp::Reverse(a.len()));
    let mut owned: Vec<(String, u32)> = Vec::new();
    for (member, client, assigned) in &members {
        for (topic, p) in assigned {
            t.rows.push(row(topic, *p, Some((member, client))));
            owned.push((topic.clone(), *p));
        }
    }
    let mut unowned: Vec<(String, u32)> = g.lag.iter().filter(|l| l.committed.is_some()).map(|l| (l.topic.clone(), l.partition)).filter(|tp| !owned.contains(tp)).collect();
    crate::kernel::sort::sort(&mut unowned);
    for (topic, p) in unowned {
        t.rows.push(row(&topic, p, None));
    }
    t
}

/// `getAssignmentString`: `t1:0,1;t2:3`, topics sorted, partitions sorted; `-` when empty.
fn assignment_string(a: &[(String, u32)]) -> String {
    if a.is_empty() {
        return MISSING.to_string();
    }
    joined_assignment(a)
}

/// The assignment as Kafka's group tools join it: `t1:0,1;t2:3`, each topic's partitions
/// sorted, then the topics' pieces sorted; empty for none (`ShareGroupCommand
/// .getAssignmentString`).
pub(super) fn joined_assignment(a: &[(String, u32)]) -> String {
    let mut topics: Vec<&str> = a.iter().map(|(t, _)| t.as_str()).collect();
    topics.dedup();
    let mut parts: Vec<String> = Vec::new();
    for topic in topics {
        let mut ps: Vec<u32> = a.iter().filter(|(t, _)| t == topic).map(|(_, p)| *p).collect();
        crate::kernel::sort::sort(&mut ps);
        ps.dedup();
        let list: Vec<String> = ps.iter().map(u32::to_string).collect();
        parts.push(format!("{topic}:{}", list.join(",")));
    }
    crate::kernel::sort::sort(&mut parts);
    parts.dedup();
    parts.join(";")
}

/// `--describe --members`: `GROUP CONSUMER-ID [GROUP-INSTANCE-ID] HOST CLIENT-ID #PARTITIONS`,
/// the instance id column only when some member has one (empty for the others, as Kafka prints
/// `groupInstanceId().orElse("")`); `--verbose` adds `CURRENT-EPOCH CURRENT-ASSIGNMENT
/// TARGET-EPOCH TARGET-ASSIGNMENT` (`-` epochs and target for a classic group), and `UPGRADED`
/// while the group mixes consumer-protocol (`true`) and classic (`false`) members during an
/// online migration. Members in join order.
pub fn describe_members(g: &GroupView, verbose: bool) -> Table {
    let with_instance = g.members.iter().any(|m| m.group_instance_id.as_deref().is_some_and(|i| !i.is_empty()));
    let mixed = g.members.iter().any(|m| m.upgraded == Some(true)) && g.members.iter().any(|m| m.upgraded == Some(false));
    let mut head = vec!["GROUP", "CONSUMER-ID"];
    let mut widths = vec![Width::Fit { min: 15, plus: 0 }, Width::Fit { min: 15, plus: 0 }];
    if with_instance {
        head.push("GROUP-INSTANCE-ID");
        widths.push(Width::Fit { min: 17, plus: 0 });
    }
    head.extend(["HOST", "CLIENT-ID", "#PARTITIONS"]);
    widths.extend([Width::Fit { min: 15, plus: 0 }, Width::Fit { min: 15, plus: 0 }, Width::Fixed(15)]);
    if verbose {
        head.extend(["CURRENT-EPOCH", "CURRENT-ASSIGNMENT", "TARGET-EPOCH", "TARGET-ASSIGNMENT"]);
        widths.extend([Width::Fixed(15), Width::Fit { min: 20, plus: 0 }, Width::Fixed(15), Width::Fit { min: 20, plus: 0 }]);
        if mixed {
            head.push("UPGRADED");
            widths.push(Width::Free);
        }
    }
    let mut t = Table::new(&head, widths);
    if !verbose {
        t.line_suffix = " ".to_string();
    }
    for m in &g.members {
        let assigned = reported_assignment(g, &m.assigned);
        let mut r = vec![g.group_id.clone(), m.member_id.clone()];
        if with_instance {
            r.push(m.group_instance_id.clone().unwrap_or_default());
        }
        r.extend([HOST.to_string(), m.client_id.clone(), assigned.len().to_string()]);
        if verbose {
            let epoch = |e: Option<i32>| e.map_or_else(|| MISSING.to_string(), |e| e.to_string());
            let target = m.target.as_ref().map_or_else(|| MISSING.to_string(), |t| assignment_string(&reported_assignment(g, t)));
            r.extend([epoch(m.member_epoch), assignment_string(&assigned), epoch(m.member_epoch.and(g.target_assignment_epoch)), target]);
            if mixed {
                r.push(m.upgraded.map_or_else(|| MISSING.to_string(), |u| u.to_string()));
            }
        }
        t.rows.push(r);
    }
    t
}

/// `--describe --state`: `GROUP COORDINATOR (ID) ASSIGNMENT-STRATEGY STATE #MEMBERS`
/// (`--verbose` adds `GROUP-EPOCH TARGET-ASSIGNMENT-EPOCH`, `-` for a classic group). The
/// strategy is the selected protocol while Stable, `-` otherwise (`protocolData` of
/// DescribeGroups). No row without a coordinator.
pub fn describe_state(g: &GroupView, verbose: bool) -> Table {
    let mut head = vec!["GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE"];
    let mut widths = vec![Width::Fit { min: 15, plus: 0 }, Width::Fit { min: 25, plus: 0 }, Width::Fixed(20), Width::Fixed(20)];
    if verbose {
        head.extend(["GROUP-EPOCH", "TARGET-ASSIGNMENT-EPOCH"]);
        widths.extend([Width::Fixed(15), Width::Fixed(25)]);
    }
    head.push("#MEMBERS");
    widths.push(Width::Free);
    let mut t = Table::new(&head, widths);
    if let Some(c) = g.coordinator {
        // A consumer group reports its server assignor in every state (`assignorName`).
        let strategy = match (&g.protocol, g.state.as_str()) {
            (Some(p), "Stable") if !p.is_empty() => p.clone(),
            (Some(p), _) if g.group_epoch.is_some() => p.clone(),
            _ => MISSING.to_string(),
        };
        let mut r = vec![g.group_id.clone(), coordinator_cell(c), strategy, g.state.clone()];
        if verbose {
            let epoch = |e: Option<i32>| e.map_or_else(|| MISSING.to_string(), |e| e.to_string());
            r.extend([epoch(g.group_epoch), epoch(g.target_assignment_epoch)]);
        }
        r.push(g.members.len().to_string());
        t.rows.push(r);
    }
    t
}

/// `--list --type` / `--state` (`printGroupInfo`): `GROUP [TYPE] [STATE]`, the group column
/// `max(15, longest id) + 10` wide, the others 20 (padded, the last one too).
pub fn list_groups(groups: &[&GroupView], with_type: bool, with_state: bool) -> Table {
    let mut head = vec!["GROUP"];
    let mut widths = vec![Width::Fit { min: 15, plus: 10 }];
    if with_type {
        head.push("TYPE");
        widths.push(Width::Fixed(20));
    }
    if with_state {
        head.push("STATE");
        widths.push(Width::Fixed(20));
    }
    let mut t = Table::new(&head, widths);
    for g in groups {
        let mut r = vec![g.group_id.clone()];
        if with_type {
            r.push(g.group_type.clone());
        }
        if with_state {
            r.push(g.state.clone());
        }
        t.rows.push(r);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_follow_kafka() {
        assert_eq!(lag_seconds(Some(12_345)), "12.3");
        assert_eq!(lag_seconds(Some(12_350)), "12.4");
        assert_eq!(lag_seconds(Some(0)), "0.0");
        assert_eq!(lag_seconds(None), "-");
        assert_eq!(coordinator_cell(2), "broker-2:9092  (2)");
        let a = vec![("t2".to_string(), 3), ("t1".to_string(), 1), ("t1".to_string(), 0)];
        let mut a = a;
        a.sort();
        assert_eq!(assignment_string(&a), "t1:0,1;t2:3");
        assert_eq!(assignment_string(&[]), "-");
    }
}
