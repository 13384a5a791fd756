//! Output events ([`crate::Sim::poll_event`]). Each displays as one line:
//! `t=12.345s HW p=orders-3 12->15`.

use std::fmt;

use serde::Serialize;

use crate::group::{ErrorCode, GroupEvent, GroupState, TopicPartition};

/// Something that happened in the simulated cluster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A topic was created (`CreateTopics`).
    TopicCreated { at_ms: u64, topic: String, partitions: u32, replication_factor: u16 },
    /// Partitions were added (`CreatePartitions`).
    PartitionsCreated { at_ms: u64, topic: String, from: u32, to: u32 },
    /// The leader appended records `first_offset..first_offset+count`.
    Appended { at_ms: u64, topic: String, partition: u32, leader: u32, first_offset: u64, count: u64 },
    /// A follower fetched records: its LEO moved `from -> to`.
    Replicated { at_ms: u64, topic: String, partition: u32, broker: u32, from: u64, to: u64 },
    /// The leader's high watermark advanced.
    HighWatermark { at_ms: u64, topic: String, partition: u32, from: u64, to: u64 },
    /// The ISR shrank (`AlterPartition` / controller fencing).
    IsrShrink { at_ms: u64, topic: String, partition: u32, removed: u32, isr: Vec<u32> },
    /// The ISR grew.
    IsrExpand { at_ms: u64, topic: String, partition: u32, added: u32, isr: Vec<u32> },
    /// A leader was elected (`None` = partition offline).
    LeaderElected { at_ms: u64, topic: String, partition: u32, leader: Option<u32>, leader_epoch: u32, unclean: bool },
    /// A broker stopped (`clean` = controlled shutdown).
    BrokerDown { at_ms: u64, broker: u32, clean: bool },
    /// The controller fenced a broker (session timeout after a crash, or shutdown).
    BrokerFenced { at_ms: u64, broker: u32 },
    /// A broker came back.
    BrokerUp { at_ms: u64, broker: u32 },
    /// A replica truncated its log to `to_offset` (was `from_leo`).
    Truncated { at_ms: u64, topic: String, partition: u32, broker: u32, from_leo: u64, to_offset: u64 },
    /// Records that left the partition's history for good (leader change to a shorter log).
    RecordsLost { at_ms: u64, topic: String, partition: u32, first_offset: u64, last_offset: u64, count: u64, acknowledged: u64 },
    /// Retention deleted segments on the leader: log start offset moved.
    RetentionDeleted { at_ms: u64, topic: String, partition: u32, from: u64, to: u64, segments: u32 },
    /// The log cleaner compacted the leader's log.
    Compacted { at_ms: u64, topic: String, partition: u32, removed: u64, cleaned_up_to: u64 },
    /// A produce request failed (`error` = Kafka error name).
    ProduceFailed { at_ms: u64, producer: String, topic: String, partition: u32, count: u64, error: String },
    /// A consumer joined a group.
    MemberJoined { at_ms: u64, group_id: String, member_id: String, client_id: String },
    /// A consumer left (or was removed from) a group.
    MemberLeft { at_ms: u64, group_id: String, member_id: String, reason: String },
    /// A group finished a rebalance.
    GroupRebalanced { at_ms: u64, group_id: String, generation: i32, members: u32 },
    /// Classic group protocol event (coordinator or consumer), see [`crate::group::GroupEvent`].
    Group { at_ms: u64, event: GroupEvent },
}

/// A borrowed field of an [`Event`] or a [`GroupEvent`], standing for the JSON value the derived
/// `Serialize` writes for it: every integer width is a JSON integer, `None` is `null`, the unit
/// enums of the group protocol ([`GroupState`], [`ErrorCode`]) are their variant names, a
/// [`TopicPartition`] is `{"topic", "partition"}`. Lets lesson patterns
/// ([`crate::lesson::event_matches`]) look at an event without building its JSON.
///
/// The variants hold references to the fields themselves, so listing an event's fields costs
/// little code.
#[derive(Clone, Copy, Debug)]
pub enum FieldValue<'a> {
    /// A string given by the shape itself (an [`Event`]'s `type`).
    Name(&'static str),
    /// A string field.
    Str(&'a String),
    /// An optional string: the string or `null`.
    OptStr(&'a Option<String>),
    /// Integers.
    U16(&'a u16),
    /// See [`FieldValue::U16`].
    U32(&'a u32),
    /// See [`FieldValue::U16`].
    U64(&'a u64),
    /// See [`FieldValue::U16`].
    Usize(&'a usize),
    /// See [`FieldValue::U16`].
    I32(&'a i32),
    /// See [`FieldValue::U16`].
    I64(&'a i64),
    /// An optional integer: the number or `null`.
    OptU32(&'a Option<u32>),
    /// `true` / `false`.
    Bool(&'a bool),
    /// An array of integers (broker ids of an ISR).
    Ids(&'a Vec<u32>),
    /// A [`TopicPartition`]: `{"topic": ..., "partition": ...}`.
    Partition(&'a TopicPartition),
    /// An array of [`TopicPartition`]s.
    Partitions(&'a Vec<TopicPartition>),
    /// A group state: its variant name.
    State(&'a GroupState),
    /// A group protocol error: its variant name (`RebalanceInProgress`, not Kafka's name).
    Error(&'a ErrorCode),
    /// A whole [`Event`]: `{"type": "<snake_case variant>", fields...}`.
    Event(&'a Event),
    /// A [`GroupEvent`], externally tagged: `{"<Variant>": {fields...}}`.
    Group(&'a GroupEvent),
    /// The field object of a [`GroupEvent`] (the value under its variant key).
    GroupFields(&'a GroupEvent),
}

impl<'a> FieldValue<'a> {
    /// The string, when the value is a JSON string.
    pub fn as_str(self) -> Option<&'a str> {
        match self {
            FieldValue::Name(s) => Some(s),
            FieldValue::Str(s) => Some(s),
            FieldValue::OptStr(s) => s.as_deref(),
            FieldValue::State(s) => Some(s.name()),
            FieldValue::Error(e) => Some(crate::group::event::error_code_variant(*e)),
            _ => None,
        }
    }

    /// The integer, when the value is a JSON number.
    pub fn as_integer(self) -> Option<i128> {
        Some(match self {
            FieldValue::U16(n) => i128::from(*n),
            FieldValue::U32(n) => i128::from(*n),
            FieldValue::U64(n) => i128::from(*n),
            FieldValue::Usize(n) => *n as i128,
            FieldValue::I32(n) => i128::from(*n),
            FieldValue::I64(n) => i128::from(*n),
            FieldValue::OptU32(n) => i128::from((*n)?),
            _ => return None,
        })
    }

    /// Whether the value is JSON `null`.
    pub fn is_null(self) -> bool {
        matches!(self, FieldValue::OptStr(None) | FieldValue::OptU32(None))
    }

    /// The number of keys, when the value is a JSON object (`None` for any other value).
    pub fn key_count(self) -> Option<usize> {
        Some(match self {
            // `type` and the fields.
            FieldValue::Event(e) => e.fields().1.len() + 1,
            FieldValue::Group(_) => 1,
            FieldValue::GroupFields(g) => g.fields().1.len(),
            FieldValue::Partition(_) => 2,
            _ => return None,
        })
    }

    /// The value under `key`, when the value is a JSON object that has that key.
    pub fn member(self, key: &str) -> Option<FieldValue<'a>> {
        let (shape, values) = match self {
            FieldValue::Event(e) if key == "type" => return Some(FieldValue::Name(shape_tag(e.fields().0))),
            FieldValue::Event(e) => e.fields(),
            FieldValue::Group(g) => return (shape_tag(g.fields().0) == key).then_some(FieldValue::GroupFields(g)),
            FieldValue::GroupFields(g) => g.fields(),
            FieldValue::Partition(tp) => {
                return match key {
                    "topic" => Some(FieldValue::Str(&tp.topic)),
                    "partition" => Some(FieldValue::U32(&tp.partition)),
                    _ => None,
                }
            }
            _ => return None,
        };
        shape_field_index(shape, key).and_then(|i| values.get(i).copied())
    }
}

/// The tag of a shape string (see [`Event::fields`]): its first word.
fn shape_tag(shape: &'static str) -> &'static str {
    let end = shape.bytes().position(|b| b == b' ').unwrap_or(shape.len());
    shape.get(..end).unwrap_or(shape)
}

/// Where `key` is among the field names of a shape string (the words after the tag). Scans the
/// bytes itself: `str::split` would add one more iterator instantiation to the wasm.
fn shape_field_index(shape: &str, key: &str) -> Option<usize> {
    let bytes = shape.as_bytes();
    let (mut word, mut start) = (0, 0);
    for end in 0..=bytes.len() {
        if bytes.get(end).is_none_or(|&b| b == b' ') {
            if word > 0 && bytes.get(start..end) == Some(key.as_bytes()) {
                return Some(word - 1);
            }
            word += 1;
            start = end + 1;
        }
    }
    None
}

fn secs(at_ms: u64) -> String {
    format!("t={}.{:03}s", at_ms / 1000, at_ms % 1000)
}

fn list(v: &[u32]) -> String {
    let parts: Vec<String> = v.iter().map(|b| b.to_string()).collect();
    format!("[{}]", parts.join(","))
}

impl Event {
    /// The event's JSON shape without building it: its serde tag (the snake_case `type`)
    /// followed by its field names, space-separated, and the field values in that order
    /// (declaration order, as the derived `Serialize` writes them). See
    /// [`FieldValue::member`].
    pub fn fields(&self) -> (&'static str, Vec<FieldValue<'_>>) {
        use FieldValue::{Bool, Group, Ids, OptU32, Str, I32, U16, U32, U64};
        match self {
            Event::TopicCreated { at_ms, topic, partitions, replication_factor } => {
                ("topic_created at_ms topic partitions replication_factor", vec![U64(at_ms), Str(topic), U32(partitions), U16(replication_factor)])
            }
            Event::PartitionsCreated { at_ms, topic, from, to } => {
                ("partitions_created at_ms topic from to", vec![U64(at_ms), Str(topic), U32(from), U32(to)])
            }
            Event::Appended { at_ms, topic, partition, leader, first_offset, count } => (
                "appended at_ms topic partition leader first_offset count",
                vec![U64(at_ms), Str(topic), U32(partition), U32(leader), U64(first_offset), U64(count)],
            ),
            Event::Replicated { at_ms, topic, partition, broker, from, to } => (
                "replicated at_ms topic partition broker from to",
                vec![U64(at_ms), Str(topic), U32(partition), U32(broker), U64(from), U64(to)],
            ),
            Event::HighWatermark { at_ms, topic, partition, from, to } => {
                ("high_watermark at_ms topic partition from to", vec![U64(at_ms), Str(topic), U32(partition), U64(from), U64(to)])
            }
            Event::IsrShrink { at_ms, topic, partition, removed, isr } => {
                ("isr_shrink at_ms topic partition removed isr", vec![U64(at_ms), Str(topic), U32(partition), U32(removed), Ids(isr)])
            }
            Event::IsrExpand { at_ms, topic, partition, added, isr } => {
                ("isr_expand at_ms topic partition added isr", vec![U64(at_ms), Str(topic), U32(partition), U32(added), Ids(isr)])
            }
            Event::LeaderElected { at_ms, topic, partition, leader, leader_epoch, unclean } => (
                "leader_elected at_ms topic partition leader leader_epoch unclean",
                vec![U64(at_ms), Str(topic), U32(partition), OptU32(leader), U32(leader_epoch), Bool(unclean)],
            ),
            Event::BrokerDown { at_ms, broker, clean } => ("broker_down at_ms broker clean", vec![U64(at_ms), U32(broker), Bool(clean)]),
            Event::BrokerFenced { at_ms, broker } => ("broker_fenced at_ms broker", vec![U64(at_ms), U32(broker)]),
            Event::BrokerUp { at_ms, broker } => ("broker_up at_ms broker", vec![U64(at_ms), U32(broker)]),
            Event::Truncated { at_ms, topic, partition, broker, from_leo, to_offset } => (
                "truncated at_ms topic partition broker from_leo to_offset",
                vec![U64(at_ms), Str(topic), U32(partition), U32(broker), U64(from_leo), U64(to_offset)],
            ),
            Event::RecordsLost { at_ms, topic, partition, first_offset, last_offset, count, acknowledged } => (
                "records_lost at_ms topic partition first_offset last_offset count acknowledged",
                vec![U64(at_ms), Str(topic), U32(partition), U64(first_offset), U64(last_offset), U64(count), U64(acknowledged)],
            ),
            Event::RetentionDeleted { at_ms, topic, partition, from, to, segments } => (
                "retention_deleted at_ms topic partition from to segments",
                vec![U64(at_ms), Str(topic), U32(partition), U64(from), U64(to), U32(segments)],
            ),
            Event::Compacted { at_ms, topic, partition, removed, cleaned_up_to } => (
                "compacted at_ms topic partition removed cleaned_up_to",
                vec![U64(at_ms), Str(topic), U32(partition), U64(removed), U64(cleaned_up_to)],
            ),
            Event::ProduceFailed { at_ms, producer, topic, partition, count, error } => (
                "produce_failed at_ms producer topic partition count error",
                vec![U64(at_ms), Str(producer), Str(topic), U32(partition), U64(count), Str(error)],
            ),
            Event::MemberJoined { at_ms, group_id, member_id, client_id } => {
                ("member_joined at_ms group_id member_id client_id", vec![U64(at_ms), Str(group_id), Str(member_id), Str(client_id)])
            }
            Event::MemberLeft { at_ms, group_id, member_id, reason } => {
                ("member_left at_ms group_id member_id reason", vec![U64(at_ms), Str(group_id), Str(member_id), Str(reason)])
            }
            Event::GroupRebalanced { at_ms, group_id, generation, members } => {
                ("group_rebalanced at_ms group_id generation members", vec![U64(at_ms), Str(group_id), I32(generation), U32(members)])
            }
            Event::Group { at_ms, event } => ("group at_ms event", vec![U64(at_ms), Group(event)]),
        }
    }

    /// Simulated time of the event.
    pub fn at_ms(&self) -> u64 {
        match self {
            Event::TopicCreated { at_ms, .. }
            | Event::PartitionsCreated { at_ms, .. }
            | Event::Appended { at_ms, .. }
            | Event::Replicated { at_ms, .. }
            | Event::HighWatermark { at_ms, .. }
            | Event::IsrShrink { at_ms, .. }
            | Event::IsrExpand { at_ms, .. }
            | Event::LeaderElected { at_ms, .. }
            | Event::BrokerDown { at_ms, .. }
            | Event::BrokerFenced { at_ms, .. }
            | Event::BrokerUp { at_ms, .. }
            | Event::Truncated { at_ms, .. }
            | Event::RecordsLost { at_ms, .. }
            | Event::RetentionDeleted { at_ms, .. }
            | Event::Compacted { at_ms, .. }
            | Event::ProduceFailed { at_ms, .. }
            | Event::MemberJoined { at_ms, .. }
            | Event::MemberLeft { at_ms, .. }
            | Event::GroupRebalanced { at_ms, .. }
            | Event::Group { at_ms, .. } => *at_ms,
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = secs(self.at_ms());
        match self {
            Event::TopicCreated { topic, partitions, replication_factor, .. } => {
                write!(f, "{t} TOPIC {topic} partitions={partitions} rf={replication_factor}")
            }
            Event::PartitionsCreated { topic, from, to, .. } => {
                write!(f, "{t} PARTITIONS {topic} {from}->{to}")
            }
            Event::Appended { topic, partition, leader, first_offset, count, .. } => write!(
                f,
                "{t} APPEND p={topic}-{partition} {first_offset}..{} n={count} leader={leader}",
                first_offset + count
            ),
            Event::Replicated { topic, partition, broker, from, to, .. } => {
                write!(f, "{t} FETCH p={topic}-{partition} b={broker} {from}->{to}")
            }
            Event::HighWatermark { topic, partition, from, to, .. } => {
                write!(f, "{t} HW p={topic}-{partition} {from}->{to}")
            }
            Event::IsrShrink { topic, partition, removed, isr, .. } => {
                write!(f, "{t} ISR-SHRINK p={topic}-{partition} -{removed} isr={}", list(isr))
            }
            Event::IsrExpand { topic, partition, added, isr, .. } => {
                write!(f, "{t} ISR-EXPAND p={topic}-{partition} +{added} isr={}", list(isr))
            }
            Event::LeaderElected { topic, partition, leader, leader_epoch, unclean, .. } => {
                let l = leader.map_or("none (offline)".to_string(), |l| l.to_string());
                let u = if *unclean { " UNCLEAN" } else { "" };
                write!(f, "{t} LEADER p={topic}-{partition} leader={l} epoch={leader_epoch}{u}")
            }
            Event::BrokerDown { broker, clean, .. } => {
                let how = if *clean { "controlled shutdown" } else { "crash" };
                write!(f, "{t} BROKER-DOWN b={broker} ({how})")
            }
            Event::BrokerFenced { broker, .. } => write!(f, "{t} BROKER-FENCED b={broker}"),
            Event::BrokerUp { broker, .. } => write!(f, "{t} BROKER-UP b={broker}"),
            Event::Truncated { topic, partition, broker, from_leo, to_offset, .. } => {
                write!(f, "{t} TRUNCATE p={topic}-{partition} b={broker} {from_leo}->{to_offset}")
            }
            Event::RecordsLost { topic, partition, first_offset, last_offset, count, acknowledged, .. } => write!(
                f,
                "{t} LOST p={topic}-{partition} offsets {first_offset}..={last_offset} n={count} acknowledged={acknowledged}"
            ),
            Event::RetentionDeleted { topic, partition, from, to, segments, .. } => write!(
                f,
                "{t} RETENTION p={topic}-{partition} log-start {from}->{to} segments={segments}"
            ),
            Event::Compacted { topic, partition, removed, cleaned_up_to, .. } => write!(
                f,
                "{t} COMPACT p={topic}-{partition} removed={removed} cleaned<{cleaned_up_to}"
            ),
            Event::ProduceFailed { producer, topic, partition, count, error, .. } => write!(
                f,
                "{t} PRODUCE-FAILED {producer} p={topic}-{partition} n={count} {error}"
            ),
            Event::MemberJoined { group_id, member_id, client_id, .. } => {
                write!(f, "{t} JOIN g={group_id} {member_id} client={client_id}")
            }
            Event::MemberLeft { group_id, member_id, reason, .. } => {
                write!(f, "{t} LEAVE g={group_id} {member_id} ({reason})")
            }
            Event::GroupRebalanced { group_id, generation, members, .. } => {
                write!(f, "{t} REBALANCED g={group_id} generation={generation} members={members}")
            }
            Event::Group { event, .. } => write!(f, "{t} GROUP {event}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_one_line() {
        let e = Event::HighWatermark { at_ms: 12_345, topic: "orders".into(), partition: 3, from: 12, to: 15 };
        assert_eq!(e.to_string(), "t=12.345s HW p=orders-3 12->15");
        let e = Event::BrokerDown { at_ms: 5, broker: 1, clean: false };
        assert_eq!(e.to_string(), "t=0.005s BROKER-DOWN b=1 (crash)");
        assert!(!e.to_string().contains('\n'));
    }
}
