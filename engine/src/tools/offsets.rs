//! Kafka's `OffsetsUtils` (`tools/src/main/java/org/apache/kafka/tools/OffsetsUtils.java`), the
//! part both group tools use for `--reset-offsets` and `--delete-offsets`: the `--topic`
//! arguments (`parseTopicPartitionsToReset`, `parseTopicsWithPartitions`), the partitions'
//! checks (`checkAllTopicPartitionsValid`), the ListOffsets-based scenarios (`resetToEarliest`,
//! `resetToLatest`, `resetToDateTime` and its timestamp lookup) and the plan's table
//! (`printOffsetsToReset`). ListOffsets is answered by the partitions' live leaders
//! ([`ClusterSource`]): the log start offset (earliest), the HW (latest), the first record at or
//! after a timestamp below the HW.

use crate::api::view::{PartitionView, View};
use crate::group::client::PartitionSource;
use crate::group::protocol::{ErrorCode, TopicPartition};
use crate::sim::group_layer::ClusterSource;
use crate::Sim;

use super::options::{self, Step, Stop};
use super::table::{Table, ToolOutput, Width};
use super::time;

/// `parseTopicsWithPartitions`: `topic:0,1,2` (a negative partition exists nowhere:
/// `checkAllTopicPartitionsValid`'s error).
pub fn parse_topic_partitions(arg: &str) -> Step<Vec<TopicPartition>> {
    let split = options::java_split;
    let parts = split(arg, ':');
    if parts.len() != 2 {
        return Err(Stop::Usage(format!("Invalid topic arg '{arg}', expected topic name and partitions")));
    }
    let mut out = Vec::new();
    for p in split(parts[1], ',') {
        // `Integer.parseInt`.
        let n = options::java_long(p).and_then(|n| i32::try_from(n).ok());
        match n {
            Some(n) if n >= 0 => out.push(TopicPartition::new(parts[0], n as u32)),
            Some(n) => return Err(Stop::Failed(format!("The partitions \"{}-{n}\" do not exist", parts[0]))),
            None => return Err(Stop::Usage(format!("Invalid partition '{p}' specified in topic arg '{arg}''"))),
        }
    }
    Ok(out)
}

/// Every partition of `topic` (DescribeTopics); `Err(topic)` for an unknown topic.
pub fn topic_partitions(view: &View, topic: &str) -> Result<Vec<TopicPartition>, String> {
    let t = view.topics.iter().find(|t| t.name == topic).ok_or_else(|| topic.to_string())?;
    Ok(t.partitions.iter().map(|p| TopicPartition::new(topic, p.partition)).collect())
}

fn partition_view<'a>(view: &'a View, tp: &TopicPartition) -> Option<&'a PartitionView> {
    view.topics.iter().find(|t| t.name == tp.topic)?.partitions.get(tp.partition as usize)
}

/// `parseTopicPartitionsToReset`: the partitions named (`t:0,1`), then every partition of the
/// topics named without any. An unknown topic fails DescribeTopics
/// (`UnknownTopicOrPartitionException`, which the tools' `run` reports).
pub fn partitions_to_reset(view: &View, args: &[String]) -> Step<Vec<TopicPartition>> {
    let mut partitions = Vec::new();
    let (with, without): (Vec<&String>, Vec<&String>) = args.iter().partition(|a| a.contains(':'));
    for a in with {
        partitions.extend(parse_topic_partitions(a)?);
    }
    for a in without {
        match topic_partitions(view, a) {
            Ok(ps) => partitions.extend(ps),
            Err(_) => return Err(Stop::Failed(ErrorCode::UnknownTopicOrPartition.message().to_string())),
        }
    }
    Ok(partitions)
}

/// The log offsets of a partition as ListOffsets returns them: `(log start, HW)`; `None`
/// without a live leader.
pub fn log_offsets(sim: &Sim, tp: &TopicPartition) -> Option<(i64, i64)> {
    let src = ClusterSource::new(sim.cluster());
    src.offsets(tp).map(|o| (o.log_start_offset, o.high_watermark))
}

/// `checkAllTopicPartitionsValid`: every partition exists (`UnknownTopicOrPartitionException`
/// naming the others), then has a leader (`LeaderNotAvailableException`); the tools' `run`
/// reports either.
pub fn check_all_valid(sim: &Sim, view: &View, partitions: &[TopicPartition]) -> Step<()> {
    let missing: Vec<String> = partitions.iter().filter(|tp| partition_view(view, tp).is_none()).map(|tp| tp.to_string()).collect();
    if !missing.is_empty() {
        return Err(Stop::Failed(format!("The partitions \"{}\" do not exist", missing.join(","))));
    }
    let leaderless: Vec<String> = partitions.iter().filter(|tp| log_offsets(sim, tp).is_none()).map(|tp| tp.to_string()).collect();
    if !leaderless.is_empty() {
        return Err(Stop::Failed(format!("The partitions \"{}\" have no leader", leaderless.join(","))));
    }
    Ok(())
}

/// `resetToEarliest`: each partition's log start offset.
pub fn to_earliest(sim: &Sim, partitions: &[TopicPartition]) -> Vec<(TopicPartition, i64)> {
    partitions.iter().map(|tp| (tp.clone(), log_offsets(sim, tp).map_or(0, |o| o.0))).collect()
}

/// `resetToLatest`: each partition's HW.
pub fn to_latest(sim: &Sim, partitions: &[TopicPartition]) -> Vec<(TopicPartition, i64)> {
    partitions.iter().map(|tp| (tp.clone(), log_offsets(sim, tp).map_or(0, |o| o.1))).collect()
}

/// `getLogTimestampOffsets`: each partition's first offset whose record is at or after `ts`,
/// below the HW; a partition with none falls back to its end, with `Warn: Partition p from
/// topic t is empty. Falling back to latest known offset.` on standard output.
pub fn at_timestamp(sim: &Sim, partitions: &[TopicPartition], ts: i64, out: &mut ToolOutput) -> Vec<(TopicPartition, i64)> {
    let src = ClusterSource::new(sim.cluster());
    partitions
        .iter()
        .map(|tp| {
            let (start, hw) = log_offsets(sim, tp).unwrap_or((0, 0));
            // Before the epoch: every record is later (the first retained one).
            let found = if ts < 0 { Some(start).filter(|s| *s < hw) } else { src.offset_for_timestamp(tp, ts as u64).filter(|o| *o < hw) };
            match found {
                Some(o) => (tp.clone(), o.max(start)),
                None => {
                    out.out(&format!("\nWarn: Partition {} from topic {} is empty. Falling back to latest known offset.\n", tp.partition, tp.topic));
                    (tp.clone(), hw)
                }
            }
        })
        .collect()
}

/// `resetToDateTime`: [`at_timestamp`] of `Utils.getDateTime(raw)`; a date that does not parse
/// is the `ParseException` the tools' `run` reports.
pub fn to_datetime(sim: &Sim, partitions: &[TopicPartition], raw: &str, out: &mut ToolOutput) -> Step<Vec<(TopicPartition, i64)>> {
    match time::parse_datetime(raw) {
        Ok(ts) => Ok(at_timestamp(sim, partitions, ts, out)),
        Err(e) => Err(Stop::Failed(format!("java.text.ParseException: {}", e.0))),
    }
}

/// `printOffsetsToReset`: a blank line then `GROUP TOPIC PARTITION NEW-OFFSET` and the plans'
/// rows (the group column as wide as the longest group id, even one with no rows), or only a
/// newline for no group at all.
pub fn print_offsets_to_reset(plans: &[(String, Vec<(TopicPartition, i64)>)]) -> String {
    let mut t = Table::new(&["GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"], vec![Width::Fit { min: 15, plus: 0 }, Width::Fit { min: 15, plus: 0 }, Width::Fixed(10), Width::Free]);
    for (gid, plan) in plans {
        for (tp, o) in plan {
            t.rows.push(vec![gid.clone(), tp.topic.to_string(), tp.partition.to_string(), o.to_string()]);
        }
    }
    if plans.is_empty() {
        return "\n".to_string();
    }
    let longest = plans.iter().map(|(g, _)| g.chars().count()).max().unwrap_or(0);
    t.widths[0] = Width::Fixed(longest.max(15));
    t.render_with_blank_line()
}
