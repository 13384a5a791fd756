//! Kafka partition assignors, reproduced exactly.
//!
//! This module models the *partition assignment* step of a Kafka consumer-group rebalance:
//! given the topics (name → partition count) and each member's subscription (plus, for the
//! sticky assignors, the partitions it owned before and its generation), compute which member
//! consumes which partition.
//!
//! Client-side assignors (classic protocol, run by the group leader), following
//! `clients/src/main/java/org/apache/kafka/clients/consumer/`:
//! - [`Strategy::Range`] — `RangeAssignor` ([`range`]),
//! - [`Strategy::Roundrobin`] — `RoundRobinAssignor` ([`roundrobin`]),
//! - [`Strategy::Sticky`] — `StickyAssignor` (eager) and
//! - [`Strategy::CooperativeSticky`] — `CooperativeStickyAssignor`, both built on
//!   `internals/AbstractStickyAssignor` ([`sticky`]).
//!
//! Server-side assignors of the KIP-848 consumer protocol (run by the group coordinator),
//! following `group-coordinator/src/main/java/org/apache/kafka/coordinator/group/assignor/`:
//! - [`Strategy::Uniform`] — `UniformAssignor` ([`uniform`]),
//! - [`Strategy::ServerRange`] — the server-side `RangeAssignor` ([`server_range`]).
//!
//! Racks: Kafka's rack-aware variants only activate when both consumer racks *and* partition
//! replica racks are known. GroupLab's input carries no replica placement, so — exactly as Kafka
//! does when partition racks are unknown — racks are ignored.
//!
//! Inputs are normalised the way Kafka's `AbstractPartitionAssignor` sees them: the topics
//! considered are those that some member subscribes to *and* that exist (a topic with 0
//! partitions is treated as non-existent); subscriptions are sets (duplicates ignored); owned
//! partitions of topics outside that set, or with a partition number the topic does not have,
//! are dropped.
//!
//! Everything is deterministic: no hash maps are iterated; where Kafka's result depends on
//! Java `HashMap` iteration order the order is *computed* ([`java`]).

use std::cmp::Ordering;
use crate::kernel::vecmap::VecMap;
use std::fmt;

pub mod java;
pub mod range;
pub mod roundrobin;
pub mod server_range;
pub mod simple;
pub mod sticky;
pub mod uniform;

/// A topic partition: topic name and partition number.
pub type TopicPartition = (String, u32);

/// The result of an assignment: every input member is present (possibly with an empty list);
/// each list is sorted by topic then partition.
pub type Assignment = VecMap<String, Vec<TopicPartition>>;

/// Upper bound on the total number of partitions accepted (sum over all topics).
pub const MAX_TOTAL_PARTITIONS: u64 = 1_000_000;
/// Upper bound on the number of members accepted.
pub const MAX_MEMBERS: usize = 100_000;
/// Upper bound on the total number of owned-partition claims accepted.
pub const MAX_OWNED_CLAIMS: usize = 2_000_000;

/// An assignment strategy, named as in Kafka's `partition.assignment.strategy` /
/// `group.remote.assignor` configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Client `RangeAssignor` (`"range"`).
    Range,
    /// Client `RoundRobinAssignor` (`"roundrobin"`).
    Roundrobin,
    /// Client `StickyAssignor` (`"sticky"`), eager protocol.
    Sticky,
    /// Client `CooperativeStickyAssignor` (`"cooperative-sticky"`).
    CooperativeSticky,
    /// KIP-848 server-side `UniformAssignor` (`"uniform"`).
    Uniform,
    /// KIP-848 server-side `RangeAssignor` (`"range"` on the server).
    ServerRange,
}

impl Strategy {
    /// All strategies.
    pub const ALL: [Strategy; 6] = [
        Strategy::Range,
        Strategy::Roundrobin,
        Strategy::Sticky,
        Strategy::CooperativeSticky,
        Strategy::Uniform,
        Strategy::ServerRange,
    ];

    /// Kafka's name of the assignor (`PartitionAssignor.name()`); both range assignors are
    /// called `"range"` in Kafka.
    pub fn kafka_name(self) -> &'static str {
        match self {
            Strategy::Range | Strategy::ServerRange => "range",
            Strategy::Roundrobin => "roundrobin",
            Strategy::Sticky => "sticky",
            Strategy::CooperativeSticky => "cooperative-sticky",
            Strategy::Uniform => "uniform",
        }
    }

    /// True for the KIP-848 server-side assignors.
    pub fn is_server_side(self) -> bool {
        matches!(self, Strategy::Uniform | Strategy::ServerRange)
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Strategy::ServerRange => f.write_str("range (server-side)"),
            s => f.write_str(s.kafka_name()),
        }
    }
}

/// One group member's subscription as seen by the assignor.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MemberSubscription {
    /// `member.id`.
    pub id: String,
    /// Subscribed topic names.
    pub topics: Vec<String>,
    /// Partitions owned before this rebalance (cooperative `ownedPartitions`, eager sticky user
    /// data, or the KIP-848 current target assignment).
    #[serde(default)]
    pub owned: Vec<TopicPartition>,
    /// Generation of `owned`; `None` means unknown (Kafka's `DEFAULT_GENERATION`, -1).
    #[serde(default)]
    pub generation: Option<i32>,
    /// `group.instance.id` (static membership).
    #[serde(default)]
    pub instance_id: Option<String>,
    /// `client.rack`.
    #[serde(default)]
    pub rack: Option<String>,
}

/// Why an assignment could not be computed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AssignError {
    /// The case JSON could not be parsed.
    InvalidJson {
        /// serde_json's description, with line and column.
        detail: String,
    },
    /// The `strategy` name is not one GroupLab knows.
    UnknownStrategy {
        /// The name given.
        name: String,
    },
    /// Two members share a member id.
    DuplicateMemberId {
        /// The repeated id.
        id: String,
    },
    /// The topics have more partitions in total than GroupLab accepts.
    TooManyPartitions {
        /// Sum of all partition counts.
        total: u64,
        /// The cap.
        max: u64,
    },
    /// More members than GroupLab accepts.
    TooManyMembers {
        /// Number of members given.
        count: usize,
        /// The cap.
        max: usize,
    },
    /// More owned-partition claims than GroupLab accepts.
    TooManyOwnedClaims {
        /// Number of claims over all members.
        count: usize,
        /// The cap.
        max: usize,
    },
    /// The assignor reached a state Kafka reports as `IllegalStateException` (a bug).
    Internal {
        /// Which assignor.
        strategy: Strategy,
        /// What went wrong.
        detail: String,
    },
}

impl fmt::Display for AssignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AssignError::InvalidJson { detail } => write!(f, "invalid assignment case JSON: {detail}"),
            AssignError::UnknownStrategy { name } => write!(
                f,
                "unknown assignment strategy \"{name}\" (expected one of: range, roundrobin, sticky, \
                 cooperative-sticky, uniform, server-range)"
            ),
            AssignError::DuplicateMemberId { id } => {
                write!(f, "duplicate member id \"{id}\": member ids must be unique within a group")
            }
            AssignError::TooManyPartitions { total, max } => write!(
                f,
                "too many partitions: topics have {total} partitions in total, the limit is {max}"
            ),
            AssignError::TooManyMembers { count, max } => {
                write!(f, "too many members: {count} given, the limit is {max}")
            }
            AssignError::TooManyOwnedClaims { count, max } => write!(
                f,
                "too many owned partitions: members claim {count} in total, the limit is {max}"
            ),
            AssignError::Internal { strategy, detail } => {
                write!(f, "internal error in the {strategy} assignor: {detail}")
            }
        }
    }
}

impl std::error::Error for AssignError {}

/// Internal compact topic partition: (topic index, partition). Topic indices follow Java's
/// `String.compareTo` order of topic names, so the derived `Ord` is Kafka's
/// "topic, then partition" order.
pub(crate) type Tp = (u32, u32);

/// The normalised input shared by all assignors.
pub(crate) struct Model<'a> {
    /// The input members, in input order.
    pub members: &'a [MemberSubscription],
    /// Considered topics (exist, > 0 partitions, subscribed by someone), Java-sorted.
    pub topic_names: Vec<&'a str>,
    /// Partition count per considered topic.
    pub topic_counts: Vec<u32>,
    /// Global index of partition 0 of each topic.
    pub topic_offsets: Vec<usize>,
    /// Total partitions of considered topics.
    pub total_partitions: usize,
    /// Per member: considered topics it subscribes to, ascending, deduplicated.
    pub member_topics: Vec<Vec<u32>>,
    /// Per member: owned partitions that exist in considered topics, in claim order.
    pub member_owned: Vec<Vec<Tp>>,
    /// Per member: raw subscription (all names, including non-existent topics), Java-sorted,
    /// deduplicated.
    pub member_raw_topics: Vec<Vec<&'a str>>,
    /// Rank of each member id in Java `String.compareTo` order.
    pub id_rank: Vec<usize>,
}

impl<'a> Model<'a> {
    fn new(topics: &'a VecMap<String, u32>, members: &'a [MemberSubscription]) -> Self {
        // Members usually share subscriptions: work is reused while a member's topic list
        // equals the previous member's.
        let same_as_previous = |i: usize| i > 0 && members[i].topics == members[i - 1].topics;
        let mut union: crate::kernel::vecmap::VecSet<&str> = crate::kernel::vecmap::VecSet::new();
        for (i, m) in members.iter().enumerate() {
            if !same_as_previous(i) {
                union.extend(
                    m.topics.iter().map(String::as_str).filter(|t| topics.get(*t).is_some_and(|&c| c > 0)),
                );
            }
        }
        let mut subscribed: Vec<&str> = union.into_iter().collect();
        crate::kernel::sort::sort_by(&mut subscribed, |a, b| java::string_cmp(a, b));
        let topic_counts: Vec<u32> = subscribed.iter().map(|t| topics[*t]).collect();
        let mut topic_offsets = Vec::with_capacity(topic_counts.len());
        let mut total = 0usize;
        for &c in &topic_counts {
            topic_offsets.push(total);
            total += c as usize;
        }
        let index_of = |name: &str| -> Option<u32> {
            subscribed
                .binary_search_by(|probe| java::string_cmp(probe, name))
                .ok()
                .map(|i| i as u32)
        };
        let mut member_topics: Vec<Vec<u32>> = Vec::with_capacity(members.len());
        let mut member_raw_topics: Vec<Vec<&str>> = Vec::with_capacity(members.len());
        for (i, m) in members.iter().enumerate() {
            if same_as_previous(i) {
                member_topics.push(member_topics[i - 1].clone());
                member_raw_topics.push(member_raw_topics[i - 1].clone());
                continue;
            }
            let mut v: Vec<u32> = m.topics.iter().filter_map(|t| index_of(t)).collect();
            crate::kernel::sort::sort(&mut v);
            v.dedup();
            member_topics.push(v);
            let mut raw: Vec<&str> = m.topics.iter().map(String::as_str).collect();
            crate::kernel::sort::sort_by(&mut raw, |a, b| java::string_cmp(a, b));
            raw.dedup();
            member_raw_topics.push(raw);
        }
        let member_owned: Vec<Vec<Tp>> = members
            .iter()
            .map(|m| {
                m.owned
                    .iter()
                    .filter_map(|(t, p)| {
                        let ti = index_of(t)?;
                        (*p < topic_counts[ti as usize]).then_some((ti, *p))
                    })
                    .collect()
            })
            .collect();
        let mut by_id: Vec<usize> = (0..members.len()).collect();
        crate::kernel::sort::sort_by(&mut by_id, |&a, &b| java::string_cmp(&members[a].id, &members[b].id));
        let mut id_rank = vec![0; members.len()];
        for (rank, &m) in by_id.iter().enumerate() {
            id_rank[m] = rank;
        }
        Model {
            members,
            topic_names: subscribed,
            topic_counts,
            topic_offsets,
            total_partitions: total,
            member_topics,
            member_owned,
            member_raw_topics,
            id_rank,
        }
    }

    /// Global partition index.
    pub fn global(&self, tp: Tp) -> usize {
        self.topic_offsets[tp.0 as usize] + tp.1 as usize
    }

    /// The partition with global index `g`.
    pub fn tp_of_global(&self, g: usize) -> Tp {
        let t = self.topic_offsets.partition_point(|&o| o <= g) - 1;
        (t as u32, (g - self.topic_offsets[t]) as u32)
    }

    /// Does member `m` subscribe to considered topic `t`?
    pub fn subscribes(&self, m: usize, t: u32) -> bool {
        self.member_topics[m].binary_search(&t).is_ok()
    }

    /// Number of considered topics.
    pub fn num_topics(&self) -> usize {
        self.topic_names.len()
    }

    /// Members sorted like Kafka's `AbstractPartitionAssignor.MemberInfo`: static members
    /// (with `group.instance.id`) first by instance id, then dynamic members by member id.
    /// Stable, like `Collections.sort`.
    pub fn member_info_order(&self, subset: &mut [usize]) {
        let members = self.members;
        crate::kernel::sort::sort_by(subset, |&a, &b| member_info_cmp(&members[a], &members[b]));
    }

    /// Java `HashMap<String, _>` iteration order of the members, inserted in input order.
    pub fn hash_order(&self) -> Vec<usize> {
        let hashes: Vec<i32> = self.members.iter().map(|m| java::string_hash(&m.id)).collect();
        java::hash_map_order(&hashes)
    }

    /// Converts per-member internal lists into the public [`Assignment`].
    pub fn to_assignment(&self, per_member: Vec<Vec<Tp>>) -> Assignment {
        let mut out = Assignment::new();
        for (m, tps) in per_member.into_iter().enumerate() {
            let mut list: Vec<TopicPartition> = tps
                .into_iter()
                .map(|(t, p)| (self.topic_names[t as usize].to_string(), p))
                .collect();
            crate::kernel::sort::sort(&mut list);
            out.insert(self.members[m].id.clone(), list);
        }
        out
    }
}

/// `MemberInfo.compareTo`.
fn member_info_cmp(a: &MemberSubscription, b: &MemberSubscription) -> Ordering {
    match (&a.instance_id, &b.instance_id) {
        (Some(x), Some(y)) => java::string_cmp(x, y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => java::string_cmp(&a.id, &b.id),
    }
}

fn validate(topics: &VecMap<String, u32>, members: &[MemberSubscription]) -> Result<(), AssignError> {
    let claims: usize = members.iter().map(|m| m.owned.len()).sum();
    validate_input(topics, claims, members.iter().map(|m| m.id.as_str()).collect())
}

/// The bounds every assignor's input must keep (member count, total partitions, owned-partition
/// claims) and distinct member ids `ids`.
fn validate_input(topics: &VecMap<String, u32>, claims: usize, mut ids: Vec<&str>) -> Result<(), AssignError> {
    if ids.len() > MAX_MEMBERS {
        return Err(AssignError::TooManyMembers { count: ids.len(), max: MAX_MEMBERS });
    }
    let total: u64 = topics.values().map(|&c| u64::from(c)).sum();
    if total > MAX_TOTAL_PARTITIONS {
        return Err(AssignError::TooManyPartitions { total, max: MAX_TOTAL_PARTITIONS });
    }
    if claims > MAX_OWNED_CLAIMS {
        return Err(AssignError::TooManyOwnedClaims { count: claims, max: MAX_OWNED_CLAIMS });
    }
    crate::kernel::sort::sort(&mut ids);
    if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
        return Err(AssignError::DuplicateMemberId { id: w[0].to_string() });
    }
    Ok(())
}

/// Computes the assignment `strategy` produces for `members` over `topics`
/// (topic name → partition count).
///
/// Every input member appears in the result. Errors: duplicate member ids, absurd sizes, or an
/// internal inconsistency (which Kafka would report as `IllegalStateException`).
pub fn assign(
    strategy: Strategy,
    topics: &VecMap<String, u32>,
    members: &[MemberSubscription],
) -> Result<Assignment, AssignError> {
    validate(topics, members)?;
    let model = Model::new(topics, members);
    let per_member = match strategy {
        Strategy::Range => range::assign(&model),
        Strategy::Roundrobin => roundrobin::assign(&model),
        Strategy::Sticky => sticky::assign(&model, false)?,
        Strategy::CooperativeSticky => sticky::assign(&model, true)?,
        Strategy::Uniform => uniform::assign(&model)?,
        Strategy::ServerRange => server_range::assign(&model),
    };
    Ok(model.to_assignment(per_member))
}

/// The fields of a conformance case that `assign_case_json` reads.
#[derive(serde::Deserialize)]
struct CaseInput {
    #[serde(default)]
    #[allow(dead_code)]
    name: Option<String>,
    #[serde(default)]
    source: Option<String>,
    strategy: String,
    #[serde(default)]
    server_side: Option<bool>,
    topics: VecMap<String, u32>,
    members: Vec<MemberSubscription>,
}

/// Maps a case's `strategy` name to a [`Strategy`].
///
/// `"range"` names two different Kafka assignors. It means the KIP-848 server-side
/// `RangeAssignor` when the case says so explicitly (`"server_side": true`) or when its `source`
/// names Kafka's group-coordinator module (`group-coordinator/` or
/// `org/apache/kafka/coordinator/group`), as every case of `conformance/kip848/` does;
/// otherwise it is the client `RangeAssignor`. `"server-range"` always means the server-side
/// one. `"uniform"` only exists server-side.
pub fn strategy_from_case(name: &str, source: Option<&str>, server_side: Option<bool>) -> Result<Strategy, AssignError> {
    let from_coordinator = server_side.unwrap_or_else(|| {
        source.is_some_and(|s| s.contains("group-coordinator/") || s.contains("coordinator/group"))
    });
    match name {
        "range" if from_coordinator => Ok(Strategy::ServerRange),
        "range" => Ok(Strategy::Range),
        "server-range" | "server_range" => Ok(Strategy::ServerRange),
        "roundrobin" => Ok(Strategy::Roundrobin),
        "sticky" => Ok(Strategy::Sticky),
        "cooperative-sticky" => Ok(Strategy::CooperativeSticky),
        "uniform" => Ok(Strategy::Uniform),
        other => Err(AssignError::UnknownStrategy { name: other.to_string() }),
    }
}

/// For `grouplab assign`: reads one case JSON (`strategy`, `topics`, `members`, and optionally
/// `source` / `server_side` to pick between the two range assignors, see
/// [`strategy_from_case`]; other fields are ignored) and returns
/// `{"assignment": {"<member id>": [["t1", 0], ...], ...}}` as JSON text, every member present.
pub fn assign_case_json(input: &str) -> Result<String, AssignError> {
    let case: CaseInput =
        serde_json::from_str(input).map_err(|e| AssignError::InvalidJson { detail: e.to_string() })?;
    let strategy = strategy_from_case(&case.strategy, case.source.as_deref(), case.server_side)?;
    let assignment = assign(strategy, &case.topics, &case.members)?;
    let out = serde_json::json!({ "assignment": assignment });
    Ok(out.to_string())
}
