//! Guided lessons: a scenario file plus narrated steps, played headless or in the UI.
//!
//! A lesson teaches one Kafka consumer concept over the live simulation. The format is a
//! [`Scenario`] (same `config`, `commands`, `run_until_ms`, so `grouplab run` and the UI load it
//! the same way) plus `title`, `concept` and `steps`. Each [`Step`] has a short `narration`,
//! UI `highlight`s, and an [`Advance`] rule saying when it is done:
//!
//! * `"next"` — the learner clicks Next;
//! * `{"after_ms": 45000}` — that much simulated time passes;
//! * `{"on_event": {...}, "within_ms": 60000}` — an engine [`Event`] whose JSON contains the
//!   pattern happens (a recursive subset match, e.g. `{"type": "rebalance_completed", "group_id":
//!   "g"}`), at the latest `within_ms` after the step starts;
//! * `{"on_action": {command}}` — the learner performs a command matching the given one (every
//!   non-null field equal); the step's `hint` tells them how.
//!
//! A step may apply `commands` when it starts (staging: scripted actions so the lesson always
//! lands), ask a [`Question`] whose answer is read from the engine ([`Query`]) after the step
//! advances, and state `expect` facts ([`Fact`]) checked by the headless run.
//!
//! [`run_headless`] plays every step as a learner would (performs the asked actions, waits for
//! the events and times) and checks every fact; [`LessonRun`] is the same player, one step at a
//! time, for the UI. Parsing ([`Lesson::from_json`]) never panics and names the file, the step
//! and the problem in every error.
//!
//! There is no Kafka class behind this module: it is GroupLab's teaching layer. Queries read
//! the same plain-data [`crate::View`] the UI renders, so a lesson can only claim what the
//! engine shows.

use std::fmt;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::api::command::Command;
use crate::kafka::error::SimError;
use crate::api::event::Event;
use crate::run::bounds::MAX_HORIZON_MS;
use crate::run::scenario::{scenario_end_ms, Scenario};
use crate::run::timeline::{Collect, TimedCommand, Timeline};
use crate::sim::{Sim, SimConfig};
use crate::api::view::View;

/// Steps per lesson.
pub const MAX_STEPS: usize = 200;
/// Staging commands per step.
pub const MAX_STEP_COMMANDS: usize = 1_000;
/// Facts per step.
pub const MAX_FACTS: usize = 100;
/// Choices per question.
pub const MAX_CHOICES: usize = 20;
/// Longest simulated wait a step may ask for (one simulated day).
pub const MAX_WAIT_MS: u64 = 86_400_000;
/// What an `on_event` pattern in the format before group events were flattened is told.
const OLD_GROUP_PATTERN: &str = "`on_event` uses the old group-event format {\"type\": \"group\", \"event\": {\"RebalanceCompleted\": {...}}}; group events are now tagged like every event: {\"type\": \"rebalance_completed\", \"group_id\": ...} (snake_case type, fields beside it)";

/// Default `within_ms` of an `on_event` step (ten simulated minutes).
pub const DEFAULT_WITHIN_MS: u64 = 600_000;
/// Events kept in a headless trace; later ones are counted only.
pub const MAX_TRACE_EVENTS: usize = 200_000;
/// Deadlines processed while waiting for one event (livelock guard).
pub const MAX_WAIT_STEPS: usize = 10_000_000;
/// Nesting depth accepted in patterns.
const MAX_PATTERN_DEPTH: usize = 16;

/// A problem with a lesson: which file, which step (1-based when shown), what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LessonError {
    /// File name (or another label of the source).
    pub file: String,
    /// Step index (0-based), `None` for the lesson as a whole.
    pub step: Option<usize>,
    /// What is wrong.
    pub problem: String,
}

impl fmt::Display for LessonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.step {
            Some(i) => write!(f, "{}: step {}: {}", self.file, i + 1, self.problem),
            None => write!(f, "{}: {}", self.file, self.problem),
        }
    }
}

impl std::error::Error for LessonError {}

/// A guided lesson.
#[derive(Debug, PartialEq)]
pub struct Lesson {
    /// Where it was read from (for error messages).
    pub file: String,
    /// Short name (the scenario's `name`).
    pub name: String,
    /// Title shown in the picker.
    pub title: String,
    /// The Kafka concept taught, one sentence.
    pub concept: String,
    /// Free text.
    pub description: String,
    /// Simulation config.
    pub config: SimConfig,
    /// Setup commands (the scenario's).
    pub commands: Vec<TimedCommand>,
    /// Setup runs until then.
    pub run_until_ms: Option<u64>,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// One narrated step.
#[derive(Debug, PartialEq)]
pub struct Step {
    /// What the learner reads.
    pub narration: String,
    /// UI element ids / selectors to highlight (e.g. `partition-orders-2`, `consumer-C1`).
    pub highlight: Vec<String>,
    /// When the step is done.
    pub advance: Advance,
    /// Shown when the learner is asked to act and has not.
    pub hint: Option<String>,
    /// Applied when the step starts.
    pub commands: Vec<Command>,
    /// Asked before the step advances, answered from the engine after.
    pub question: Option<Question>,
    /// Checked by the headless run once the step has advanced.
    pub expect: Vec<Fact>,
}

/// How a step advances.
#[derive(Debug, PartialEq)]
pub enum Advance {
    /// The learner clicks Next.
    Next,
    /// This much simulated time passes.
    AfterMs(u64),
    /// An event whose JSON contains `pattern` happens within `within_ms`.
    OnEvent {
        /// A JSON object, matched as a recursive subset of the event's JSON.
        pattern: Value,
        /// Deadline after the step starts.
        within_ms: u64,
    },
    /// The learner performs a command matching this one (non-null fields equal); the headless
    /// learner performs exactly it.
    OnAction(Command),
}

/// A question asked before revealing.
#[derive(Debug, PartialEq)]
pub struct Question {
    /// The question.
    pub prompt: String,
    /// Possible answers.
    pub choices: Vec<String>,
    /// Where the right answer comes from.
    pub answer_from: Query,
}

/// Something read from the engine state.
///
/// Written in lesson files as `{"<kind>": {fields}}` (kind in snake case, e.g.
/// `{"owner": {"group": "g", "topic": "t", "partition": 0}}`) or `"time_ms"`; parsed by hand
/// ([`Query::parse`]) rather than by a serde derive, which compiled to ~50 KB of wasm.
#[derive(Debug, PartialEq, Eq)]
pub enum Query {
    /// `client.id` of the member of `group` assigned the partition, or `none`.
    Owner { group: String, topic: String, partition: u32 },
    /// Number of partitions assigned to `client` in `group`.
    OwnedCount { group: String, client: String },
    /// Partitions the consumer itself owns and reads now (its own assignment: during a
    /// rebalance an eager member has revoked everything, a cooperative one keeps what it retains).
    Reading { group: String, client: String },
    /// Members of `group` with no partition.
    IdleConsumers { group: String },
    /// Members of `group`.
    Members { group: String },
    /// Generation of `group`.
    Generation { group: String },
    /// Kafka state name of `group` (`Stable`, `Empty`, ...).
    GroupState { group: String },
    /// Coordinator broker of `group`, or `none`.
    Coordinator { group: String },
    /// Committed offset of `group` for the partition (read from `__consumer_offsets`), or `none`.
    Committed { group: String, topic: String, partition: u32 },
    /// Leader broker of the partition, or `none` (offline).
    Leader { topic: String, partition: u32 },
    /// Leader epoch of the partition.
    LeaderEpoch { topic: String, partition: u32 },
    /// High watermark of the partition.
    HighWatermark { topic: String, partition: u32 },
    /// Log end offset of the partition's leader, or of the replica on `broker`.
    LogEndOffset {
        topic: String,
        partition: u32,
        broker: Option<u32>,
    },
    /// The ISR, e.g. `[0,1]`.
    Isr { topic: String, partition: u32 },
    /// Size of the ISR.
    IsrSize { topic: String, partition: u32 },
    /// Records that left the partition's history (all partitions of the topic without `partition`).
    LostRecords {
        topic: String,
        partition: Option<u32>,
    },
    /// Of those, records the producer had been told were written.
    LostAcknowledged {
        topic: String,
        partition: Option<u32>,
    },
    /// Records a simulated producer had acknowledged.
    Acknowledged { producer: String },
    /// Records a simulated producer had rejected.
    ProduceFailed { producer: String },
    /// Batch re-sends of a simulated producer.
    ProduceRetries { producer: String },
    /// Records a simulated producer's re-sends appended twice (no idempotence).
    DuplicatesWritten { producer: String },
    /// Records handed to a simulated producer's partitioner.
    ProduceSent { producer: String },
    /// Whether the broker process runs (`true`/`false`).
    BrokerAlive { broker: u32 },
    /// Records processed more than once by `group` (its delivery accounting, `delivery.duplicates`).
    Duplicates { group: String },
    /// Processings by `group`, repeats included (`delivery.processed`).
    Processed { group: String },
    /// Distinct records processed by `group` (`delivery.distinct`).
    Distinct { group: String },
    /// Records below the committed offsets never processed (`delivery.losses`).
    Losses { group: String },
    /// Records of one key processed out of order (`delivery.ordering_violations`).
    OrderingViolations { group: String },
    /// Time without an owner between two owners (`ownership[].gap_ms`), summed over the group's
    /// partitions, or over one topic, or for one partition.
    OwnershipGapMs {
        group: String,
        topic: Option<String>,
        partition: Option<u32>,
    },
    /// Partitions of `group` that were ever without an owner between two owners (`gap_ms > 0`).
    PartitionsWithGap { group: String },
    /// Any field of the group's view by dotted path (e.g. `delivery.duplicates`, `state`).
    GroupField { group: String, field: String },
    /// Any field of one consumer (`consumers[]` entry with this `client_id`) by dotted path
    /// (e.g. `lifecycle`, `member_state`, `pending_records`).
    ConsumerField { group: String, client: String, field: String },
    /// Any field of a share group's view by dotted path (e.g. `state`, `delivery.archived`).
    ShareField { group: String, field: String },
    /// Any field of one share consumer (`client_id`) of a share group (e.g. `processed`,
    /// `acquired`, `lifecycle`).
    ShareConsumerField { group: String, client: String, field: String },
    /// Any field of one share-partition of a share group (e.g. `start_offset`, `lag`,
    /// `counts`).
    SharePartitionField { group: String, topic: String, partition: u32, field: String },
    /// Simulated time.
    TimeMs,
}

/// The kinds of [`Query`] with fields, and the fields each accepts (snake case, as in files).
const QUERY_KINDS: &[(&str, &[&str])] = &[
    ("owner", &["group", "topic", "partition"]),
    ("owned_count", &["group", "client"]),
    ("reading", &["group", "client"]),
    ("idle_consumers", &["group"]),
    ("members", &["group"]),
    ("generation", &["group"]),
    ("group_state", &["group"]),
    ("coordinator", &["group"]),
    ("committed", &["group", "topic", "partition"]),
    ("leader", &["topic", "partition"]),
    ("leader_epoch", &["topic", "partition"]),
    ("high_watermark", &["topic", "partition"]),
    ("log_end_offset", &["topic", "partition", "broker"]),
    ("isr", &["topic", "partition"]),
    ("isr_size", &["topic", "partition"]),
    ("lost_records", &["topic", "partition"]),
    ("lost_acknowledged", &["topic", "partition"]),
    ("acknowledged", &["producer"]),
    ("produce_failed", &["producer"]),
    ("produce_retries", &["producer"]),
    ("duplicates_written", &["producer"]),
    ("produce_sent", &["producer"]),
    ("broker_alive", &["broker"]),
    ("duplicates", &["group"]),
    ("processed", &["group"]),
    ("distinct", &["group"]),
    ("losses", &["group"]),
    ("ordering_violations", &["group"]),
    ("ownership_gap_ms", &["group", "topic", "partition"]),
    ("partitions_with_gap", &["group"]),
    ("group_field", &["group", "field"]),
    ("consumer_field", &["group", "client", "field"]),
    ("share_field", &["group", "field"]),
    ("share_consumer_field", &["group", "client", "field"]),
    ("share_partition_field", &["group", "topic", "partition", "field"]),
];

/// Typed access to a query's fields (the messages follow serde's: `missing field `x``, ...).
/// A field that is missing or of the wrong type leaves its error and a default value: the
/// query's other fields are read all the same and the first error in field order is reported
/// (no half-built query to drop on each error path).
struct QueryFields<'a> {
    map: &'a Map<String, Value>,
    error: Option<String>,
}

impl QueryFields<'_> {
    fn fail(&mut self, e: String) {
        self.error.get_or_insert(e);
    }

    fn string(&mut self, f: &str) -> String {
        self.opt_string(f).unwrap_or_else(|| {
            self.fail(format!("missing field `{f}`"));
            String::new()
        })
    }

    fn u32(&mut self, f: &str) -> u32 {
        self.opt_u32(f).unwrap_or_else(|| {
            self.fail(format!("missing field `{f}`"));
            0
        })
    }

    fn opt_string(&mut self, f: &str) -> Option<String> {
        match self.map.get(f) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(v) => {
                self.fail(format!("invalid type: {} for `{f}`, expected a string", json_kind(v)));
                None
            }
        }
    }

    fn opt_u32(&mut self, f: &str) -> Option<u32> {
        match self.map.get(f) {
            None | Some(Value::Null) => None,
            Some(v) => match v.as_u64().map(u32::try_from) {
                Some(Ok(n)) => Some(n),
                _ => {
                    self.fail(format!("invalid value: {v} for `{f}`, expected u32"));
                    None
                }
            },
        }
    }
}

/// A value read by a [`Query`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueryValue {
    /// A count, offset or time.
    Num(u64),
    /// A name (`C1`, `none`, `Stable`, `[0,1]`).
    Text(String),
}

impl fmt::Display for QueryValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryValue::Num(n) => write!(f, "{n}"),
            QueryValue::Text(s) => f.write_str(s),
        }
    }
}

/// What a fact requires of its query's value.
#[derive(Debug, PartialEq, Eq, Default)]
pub struct Check {
    /// Equal as text (`"C3"`, `"none"`, `"3"`).
    pub is: Option<String>,
    /// Equal as a number.
    pub eq: Option<u64>,
    /// At least.
    pub min: Option<u64>,
    /// At most.
    pub max: Option<u64>,
}

/// A fact the narration claims: a query and what its value must be.
///
/// JSON: `{"owner": {"group": "g", "topic": "t", "partition": 2, "is": "C3"}}`,
/// `{"high_watermark": {"topic": "t", "partition": 0, "eq": 10}}`,
/// `{"time_ms_between": [45000, 50000]}`.
#[derive(Debug, PartialEq, Eq)]
pub struct Fact {
    /// What is read.
    pub query: Query,
    /// What it must be.
    pub check: Check,
}

/// Outcome of checking one fact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FactResult {
    /// The fact, in words.
    pub fact: String,
    /// The value found (or why none could be read).
    pub actual: String,
    /// Whether it holds.
    pub ok: bool,
}

/// What happened in one step of a headless run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepReport {
    /// Step index (0-based).
    pub index: usize,
    /// Simulated time when the step started.
    pub started_ms: u64,
    /// Simulated time when it advanced.
    pub advanced_ms: u64,
    /// How it advanced, in words.
    pub advanced_by: String,
    /// The question's answer read from the engine, and whether it is one of the choices.
    pub answer: Option<(String, bool)>,
    /// Facts checked.
    pub facts: Vec<FactResult>,
}

impl StepReport {
    /// Every fact holds and the answer (if any) is one of the choices.
    pub fn passed(&self) -> bool {
        self.facts.iter().all(|f| f.ok) && self.answer.as_ref().is_none_or(|(_, ok)| *ok)
    }
}

/// Result of [`run_headless`].
#[derive(Clone, Debug)]
pub struct Report {
    /// Lesson title.
    pub title: String,
    /// One per step.
    pub steps: Vec<StepReport>,
    /// Events, in order (at most [`MAX_TRACE_EVENTS`]).
    pub events: Vec<Event>,
    /// Events beyond the cap.
    pub events_dropped: u64,
    /// Final view.
    pub view: View,
}

impl Report {
    /// Every step passed.
    pub fn passed(&self) -> bool {
        self.steps.iter().all(StepReport::passed)
    }

    /// Number of facts checked, and how many failed.
    pub fn fact_counts(&self) -> (usize, usize) {
        let all = self.steps.iter().map(|s| s.facts.len()).sum();
        let failed = self.steps.iter().flat_map(|s| &s.facts).filter(|f| !f.ok).count();
        (all, failed)
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/// The scenario part of a lesson file (serde), steps excluded.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    name: String,
    title: String,
    concept: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    config: SimConfig,
    #[serde(default)]
    commands: Vec<TimedCommand>,
    #[serde(default)]
    run_until_ms: Option<u64>,
}

/// Whether a JSON text looks like a lesson (a top-level object with `steps`) rather than a
/// plain scenario. Never panics; invalid JSON is not a lesson.
pub fn is_lesson_json(text: &str) -> bool {
    matches!(serde_json::from_str::<Value>(text), Ok(Value::Object(m)) if m.contains_key("steps"))
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn get_str(obj: &Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(v) => Err(format!("`{key}` must be a string, found {}", json_kind(v))),
    }
}

fn get_u64(v: &Value, what: &str) -> Result<u64, String> {
    v.as_u64().ok_or_else(|| format!("`{what}` must be a non-negative integer, found {}", json_kind(v)))
}

fn check_pattern_depth(v: &Value, depth: usize) -> Result<(), String> {
    if depth > MAX_PATTERN_DEPTH {
        return Err(format!("pattern nested deeper than {MAX_PATTERN_DEPTH} levels"));
    }
    match v {
        Value::Object(m) => m.values().try_for_each(|x| check_pattern_depth(x, depth + 1)),
        Value::Array(a) => a.iter().try_for_each(|x| check_pattern_depth(x, depth + 1)),
        _ => Ok(()),
    }
}

fn parse_advance(v: &Value) -> Result<Advance, String> {
    match v {
        Value::String(s) if s == "next" => Ok(Advance::Next),
        Value::String(s) => Err(format!("`advance` \"{s}\" is unknown; use \"next\", {{\"after_ms\": N}}, {{\"on_event\": {{...}}}} or {{\"on_action\": {{...}}}}")),
        Value::Object(m) => {
            if let Some(ms) = m.get("after_ms") {
                if m.len() != 1 {
                    return Err("`advance` with `after_ms` takes no other field".into());
                }
                let ms = get_u64(ms, "after_ms")?;
                if ms == 0 || ms > MAX_WAIT_MS {
                    return Err(format!("`after_ms` must be between 1 and {MAX_WAIT_MS}, found {ms}"));
                }
                return Ok(Advance::AfterMs(ms));
            }
            if let Some(p) = m.get("on_event") {
                if let Some(k) = m.keys().find(|k| *k != "on_event" && *k != "within_ms") {
                    return Err(format!("`advance` with `on_event` has an unknown field `{k}`"));
                }
                let Value::Object(pm) = p else {
                    return Err(format!("`on_event` must be an object (an event pattern), found {}", json_kind(p)));
                };
                match pm.get("type") {
                    Some(Value::String(t)) if t == "group" && pm.contains_key("event") => return Err(OLD_GROUP_PATTERN.into()),
                    Some(Value::String(_)) => {}
                    _ => return Err("`on_event` needs a string `type` (an event kind, e.g. \"rebalance_completed\")".into()),
                }
                check_pattern_depth(p, 0)?;
                let within_ms = match m.get("within_ms") {
                    None => DEFAULT_WITHIN_MS,
                    Some(w) => get_u64(w, "within_ms")?,
                };
                if within_ms == 0 || within_ms > MAX_WAIT_MS {
                    return Err(format!("`within_ms` must be between 1 and {MAX_WAIT_MS}, found {within_ms}"));
                }
                return Ok(Advance::OnEvent { pattern: p.clone(), within_ms });
            }
            if let Some(c) = m.get("on_action") {
                if m.len() != 1 {
                    return Err("`advance` with `on_action` takes no other field (put the hint in the step)".into());
                }
                let cmd: Command = crate::api::json::from_value(c.clone()).map_err(|e| format!("`on_action` is not a valid command: {e}"))?;
                return Ok(Advance::OnAction(cmd));
            }
            Err("`advance` must have one of `after_ms`, `on_event`, `on_action`".into())
        }
        other => Err(format!("`advance` must be \"next\" or an object, found {}", json_kind(other))),
    }
}

impl Fact {
    fn parse(v: &Value) -> Result<Fact, String> {
        let Value::Object(m) = v else {
            return Err(format!("a fact must be an object like {{\"owner\": {{...}}}}, found {}", json_kind(v)));
        };
        if m.len() != 1 {
            return Err(format!("a fact must have exactly one kind, found {} keys", m.len()));
        }
        let Some((kind, body)) = m.iter().next() else {
            return Err("empty fact".into());
        };
        if kind == "time_ms_between" {
            let pair = body.as_array().filter(|a| a.len() == 2).ok_or("`time_ms_between` must be [from_ms, to_ms]")?;
            let a = get_u64(&pair[0], "time_ms_between[0]")?;
            let b = get_u64(&pair[1], "time_ms_between[1]")?;
            if a > b {
                return Err(format!("`time_ms_between` [{a}, {b}] is empty"));
            }
            // The clock never gets there, so the fact could never hold.
            crate::run::bounds::check_horizon("time_ms_between[0]", a)?;
            return Ok(Fact { query: Query::TimeMs, check: Check { min: Some(a), max: Some(b), ..Check::default() } });
        }
        let mut rest = match body {
            Value::Object(b) => b.clone(),
            Value::Null => Map::new(),
            other => return Err(format!("fact `{kind}` must hold an object, found {}", json_kind(other))),
        };
        let mut check = Check::default();
        if let Some(v) = rest.remove("is") {
            check.is = Some(match v {
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                other => return Err(format!("fact `{kind}`: `is` must be a string, found {}", json_kind(&other))),
            });
        }
        for (key, slot) in [("eq", &mut check.eq), ("min", &mut check.min), ("max", &mut check.max)] {
            if let Some(v) = rest.remove(key) {
                *slot = Some(get_u64(&v, &format!("{kind}.{key}"))?);
            }
        }
        if check.is.is_none() && check.eq.is_none() && check.min.is_none() && check.max.is_none() {
            return Err(format!("fact `{kind}` says nothing: give `is`, `eq`, `min` or `max`"));
        }
        if let (Some(lo), Some(hi)) = (check.min, check.max) {
            if lo > hi {
                return Err(format!("fact `{kind}`: min {lo} > max {hi}"));
            }
        }
        let query = Query::parse_kind(kind, Value::Object(rest))?;
        Ok(Fact { query, check })
    }

    /// Checks the fact against the simulation.
    pub fn check(&self, sim: &Sim) -> FactResult {
        let view = sim.view();
        self.check_view(sim, &view)
    }

    fn check_view(&self, sim: &Sim, view: &View) -> FactResult {
        let fact = self.to_string();
        match self.query.eval_view(sim, view) {
            Err(e) => FactResult { fact, actual: e, ok: false },
            Ok(value) => {
                let c = &self.check;
                let num = match &value {
                    QueryValue::Num(n) => Some(*n),
                    QueryValue::Text(_) => None,
                };
                let text = value.to_string();
                let mut ok = c.is.as_ref().is_none_or(|s| *s == text);
                let numeric = c.eq.is_some() || c.min.is_some() || c.max.is_some();
                if numeric {
                    ok &= match num {
                        None => false,
                        Some(n) => c.eq.is_none_or(|e| n == e) && c.min.is_none_or(|m| n >= m) && c.max.is_none_or(|m| n <= m),
                    };
                }
                FactResult { fact, actual: text, ok }
            }
        }
    }
}

impl fmt::Display for Fact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.query)?;
        let c = &self.check;
        if let Some(s) = &c.is {
            write!(f, " is {s}")?;
        }
        if let Some(n) = c.eq {
            write!(f, " = {n}")?;
        }
        if let Some(n) = c.min {
            write!(f, " >= {n}")?;
        }
        if let Some(n) = c.max {
            write!(f, " <= {n}")?;
        }
        Ok(())
    }
}

fn parse_question(v: &Value) -> Result<Question, String> {
    let Value::Object(m) = v else {
        return Err(format!("`question` must be an object, found {}", json_kind(v)));
    };
    if let Some(k) = m.keys().find(|k| !["prompt", "choices", "answer_from"].contains(&k.as_str())) {
        return Err(format!("`question` has an unknown field `{k}`"));
    }
    let prompt = get_str(m, "prompt").map_err(|e| format!("question: {e}"))?.filter(|p| !p.trim().is_empty()).ok_or("question: `prompt` is missing or empty")?;
    let choices = match m.get("choices") {
        Some(Value::Array(a)) => a
            .iter()
            .map(|c| match c {
                Value::String(s) => Ok(s.clone()),
                Value::Number(n) => Ok(n.to_string()),
                other => Err(format!("question: a choice must be a string, found {}", json_kind(other))),
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err("question: `choices` must be an array of strings".into()),
    };
    if choices.len() < 2 || choices.len() > MAX_CHOICES {
        return Err(format!("question: needs 2 to {MAX_CHOICES} choices, found {}", choices.len()));
    }
    for (i, c) in choices.iter().enumerate() {
        if choices[..i].contains(c) {
            return Err(format!("question: choice \"{c}\" appears twice"));
        }
    }
    let answer_from = match m.get("answer_from") {
        Some(a) => Query::parse(a).map_err(|e| format!("question: `answer_from`: {e}"))?,
        None => return Err("question: `answer_from` is missing (a query on the engine state)".into()),
    };
    Ok(Question { prompt, choices, answer_from })
}

fn parse_step(v: &Value) -> Result<Step, String> {
    let Value::Object(m) = v else {
        return Err(format!("a step must be an object, found {}", json_kind(v)));
    };
    const KNOWN: [&str; 7] = ["narration", "highlight", "advance", "hint", "commands", "question", "expect"];
    if let Some(k) = m.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(format!("unknown field `{k}` (known: {})", KNOWN.join(", ")));
    }
    let narration = get_str(m, "narration")?.filter(|n| !n.trim().is_empty()).ok_or("`narration` is missing or empty")?;
    let highlight = match m.get("highlight") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|h| h.as_str().map(str::to_string).ok_or_else(|| format!("`highlight` entries must be strings, found {}", json_kind(h))))
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(format!("`highlight` must be an array of element ids, found {}", json_kind(other))),
    };
    let advance = parse_advance(m.get("advance").ok_or("`advance` is missing")?)?;
    let hint = get_str(m, "hint")?;
    if matches!(advance, Advance::OnAction(_)) && hint.as_deref().is_none_or(|h| h.trim().is_empty()) {
        return Err("an `on_action` step needs a `hint` telling the learner what to do".into());
    }
    let commands = match m.get("commands") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => {
            if a.len() > MAX_STEP_COMMANDS {
                return Err(format!("at most {MAX_STEP_COMMANDS} commands per step, found {}", a.len()));
            }
            a.iter()
                .enumerate()
                .map(|(i, c)| crate::api::json::from_value::<Command>(c.clone()).map_err(|e| format!("commands[{i}]: {e}")))
                .collect::<Result<_, _>>()?
        }
        Some(other) => return Err(format!("`commands` must be an array of commands, found {}", json_kind(other))),
    };
    let question = match m.get("question") {
        None | Some(Value::Null) => None,
        Some(q) => Some(parse_question(q)?),
    };
    let expect = match m.get("expect") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => {
            if a.len() > MAX_FACTS {
                return Err(format!("at most {MAX_FACTS} facts per step, found {}", a.len()));
            }
            a.iter().enumerate().map(|(i, f)| Fact::parse(f).map_err(|e| format!("expect[{i}]: {e}"))).collect::<Result<_, _>>()?
        }
        Some(other) => return Err(format!("`expect` must be an array of facts, found {}", json_kind(other))),
    };
    Ok(Step { narration, highlight, advance, hint, commands, question, expect })
}

impl Lesson {
    /// Parses and validates a lesson file. `file` names the source in errors. Never panics.
    pub fn from_json(file: &str, text: &str) -> Result<Lesson, LessonError> {
        let err = |step: Option<usize>, problem: String| LessonError { file: file.to_string(), step, problem };
        let value: Value = serde_json::from_str(text).map_err(|e| err(None, format!("invalid JSON: {e}")))?;
        Lesson::from_value(file, value)
    }

    /// Parses and validates a lesson from a JSON value.
    pub fn from_value(file: &str, value: Value) -> Result<Lesson, LessonError> {
        let err = |step: Option<usize>, problem: String| LessonError { file: file.to_string(), step, problem };
        let Value::Object(mut obj) = value else {
            return Err(err(None, format!("a lesson must be a JSON object, found {}", json_kind(&value))));
        };
        let steps_value = obj.remove("steps").ok_or_else(|| err(None, "no `steps`: this is a plain scenario, not a lesson".into()))?;
        let header: Header = crate::api::json::from_value(Value::Object(obj)).map_err(|e| err(None, e.to_string()))?;
        if header.title.trim().is_empty() {
            return Err(err(None, "`title` is empty".into()));
        }
        let Value::Array(raw_steps) = steps_value else {
            return Err(err(None, format!("`steps` must be an array, found {}", json_kind(&steps_value))));
        };
        if raw_steps.is_empty() || raw_steps.len() > MAX_STEPS {
            return Err(err(None, format!("a lesson needs 1 to {MAX_STEPS} steps, found {}", raw_steps.len())));
        }
        let steps = raw_steps.iter().enumerate().map(|(i, s)| parse_step(s).map_err(|p| err(Some(i), p))).collect::<Result<Vec<_>, _>>()?;
        // The config must be one the engine accepts, so a bad file is refused at load time.
        Sim::new(header.config.clone()).map_err(|e| err(None, format!("config: {e}")))?;
        check_lesson_horizon(&header.commands, header.run_until_ms, &steps).map_err(|e| err(None, e))?;
        Ok(Lesson {
            file: file.to_string(),
            name: header.name,
            title: header.title,
            concept: header.concept,
            description: header.description,
            config: header.config,
            commands: header.commands,
            run_until_ms: header.run_until_ms,
            steps,
        })
    }

    /// Times past the horizon ([`crate::run::bounds::MAX_HORIZON_MS`]): a setup command's `at_ms`,
    /// `run_until_ms`, or steps whose waits, each as long as it may last, end past it.
    pub fn check_horizon(&self) -> Result<(), LessonError> {
        check_lesson_horizon(&self.commands, self.run_until_ms, &self.steps).map_err(|problem| LessonError { file: self.file.clone(), step: None, problem })
    }

    /// The lesson's setup as a plain scenario (what the learner gets as a playground).
    pub fn scenario(&self) -> Scenario {
        Scenario {
            name: self.name.clone(),
            description: self.description.clone(),
            config: self.config.clone(),
            commands: self.commands.clone(),
            run_until_ms: self.run_until_ms,
        }
    }
}

/// The setup's times and the steps' worst-case waits against the horizon (see [`crate::run::bounds`]).
fn check_lesson_horizon(commands: &[TimedCommand], run_until_ms: Option<u64>, steps: &[Step]) -> Result<(), String> {
    crate::run::scenario::check_scenario_times(commands, run_until_ms)?;
    check_step_waits(crate::run::scenario::scenario_end_ms(commands, run_until_ms), steps)
}

// ---------------------------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------------------------

impl Query {
    /// Parses `{"kind": {fields}}`.
    pub fn parse(v: &Value) -> Result<Query, String> {
        match v {
            Value::String(kind) => Query::parse_kind(kind, Value::Object(Map::new())),
            Value::Object(m) if m.len() == 1 => {
                let (k, body) = m.iter().next().ok_or("empty query")?;
                Query::parse_kind(k, if body.is_null() { Value::Object(Map::new()) } else { body.clone() })
            }
            other => Err(format!("a query must be an object with one kind, like {{\"owner\": {{...}}}}, found {}", json_kind(other))),
        }
    }

    fn parse_kind(kind: &str, body: Value) -> Result<Query, String> {
        if kind == "time_ms" {
            return Ok(Query::TimeMs);
        }
        let err = |e: String| format!("query `{kind}`: {e}");
        let Some((_, known)) = QUERY_KINDS.iter().find(|(k, _)| *k == kind) else {
            let all: Vec<String> = QUERY_KINDS.iter().map(|(k, _)| format!("`{k}`")).chain(["`time_ms`".to_string()]).collect();
            return Err(err(format!("unknown variant `{kind}`, expected one of {}", all.join(", "))));
        };
        let Value::Object(m) = body else {
            return Err(err(format!("invalid type: {}, expected an object with fields {}", json_kind(&body), known.join(", "))));
        };
        if let Some(k) = m.keys().find(|k| !known.contains(&k.as_str())) {
            let known: Vec<String> = known.iter().map(|f| format!("`{f}`")).collect();
            return Err(err(format!("unknown field `{k}`, expected one of {}", known.join(", "))));
        }
        let mut q = QueryFields { map: &m, error: None };
        let query = match kind {
            "owner" => Query::Owner { group: q.string("group"), topic: q.string("topic"), partition: q.u32("partition") },
            "owned_count" => Query::OwnedCount { group: q.string("group"), client: q.string("client") },
            "reading" => Query::Reading { group: q.string("group"), client: q.string("client") },
            "idle_consumers" => Query::IdleConsumers { group: q.string("group") },
            "members" => Query::Members { group: q.string("group") },
            "generation" => Query::Generation { group: q.string("group") },
            "group_state" => Query::GroupState { group: q.string("group") },
            "coordinator" => Query::Coordinator { group: q.string("group") },
            "committed" => Query::Committed { group: q.string("group"), topic: q.string("topic"), partition: q.u32("partition") },
            "leader" => Query::Leader { topic: q.string("topic"), partition: q.u32("partition") },
            "leader_epoch" => Query::LeaderEpoch { topic: q.string("topic"), partition: q.u32("partition") },
            "high_watermark" => Query::HighWatermark { topic: q.string("topic"), partition: q.u32("partition") },
            "log_end_offset" => Query::LogEndOffset { topic: q.string("topic"), partition: q.u32("partition"), broker: q.opt_u32("broker") },
            "isr" => Query::Isr { topic: q.string("topic"), partition: q.u32("partition") },
            "isr_size" => Query::IsrSize { topic: q.string("topic"), partition: q.u32("partition") },
            "lost_records" => Query::LostRecords { topic: q.string("topic"), partition: q.opt_u32("partition") },
            "lost_acknowledged" => Query::LostAcknowledged { topic: q.string("topic"), partition: q.opt_u32("partition") },
            "acknowledged" => Query::Acknowledged { producer: q.string("producer") },
            "produce_failed" => Query::ProduceFailed { producer: q.string("producer") },
            "produce_retries" => Query::ProduceRetries { producer: q.string("producer") },
            "duplicates_written" => Query::DuplicatesWritten { producer: q.string("producer") },
            "produce_sent" => Query::ProduceSent { producer: q.string("producer") },
            "broker_alive" => Query::BrokerAlive { broker: q.u32("broker") },
            "duplicates" => Query::Duplicates { group: q.string("group") },
            "processed" => Query::Processed { group: q.string("group") },
            "distinct" => Query::Distinct { group: q.string("group") },
            "losses" => Query::Losses { group: q.string("group") },
            "ordering_violations" => Query::OrderingViolations { group: q.string("group") },
            "ownership_gap_ms" => Query::OwnershipGapMs { group: q.string("group"), topic: q.opt_string("topic"), partition: q.opt_u32("partition") },
            "partitions_with_gap" => Query::PartitionsWithGap { group: q.string("group") },
            "group_field" => Query::GroupField { group: q.string("group"), field: q.string("field") },
            "consumer_field" => Query::ConsumerField { group: q.string("group"), client: q.string("client"), field: q.string("field") },
            "share_field" => Query::ShareField { group: q.string("group"), field: q.string("field") },
            "share_consumer_field" => Query::ShareConsumerField { group: q.string("group"), client: q.string("client"), field: q.string("field") },
            "share_partition_field" => Query::SharePartitionField { group: q.string("group"), topic: q.string("topic"), partition: q.u32("partition"), field: q.string("field") },
            _ => unreachable!("every kind of QUERY_KINDS has an arm"),
        };
        match q.error {
            Some(e) => Err(err(e)),
            None => Ok(query),
        }
    }

    /// Reads the value from the simulation.
    pub fn eval(&self, sim: &Sim) -> Result<QueryValue, String> {
        self.eval_view(sim, &sim.view())
    }

    fn eval_view(&self, sim: &Sim, view: &View) -> Result<QueryValue, String> {
        use QueryValue::{Num, Text};
        let group = |g: &str| view.groups.iter().find(|x| x.group_id == g).ok_or_else(|| format!("no group '{g}'"));
        let partition = |t: &str, p: u32| {
            view.topics
                .iter()
                .find(|x| x.name == t)
                .ok_or_else(|| format!("no topic '{t}'"))?
                .partitions
                .get(p as usize)
                .ok_or_else(|| format!("no partition {t}-{p}"))
        };
        let topic = |t: &str| view.topics.iter().find(|x| x.name == t).ok_or_else(|| format!("no topic '{t}'"));
        let producer = |p: &str| view.producers.iter().find(|x| x.producer_id == p).ok_or_else(|| format!("no producer '{p}'"));
        let none_or = |o: Option<u32>| o.map_or(Text("none".into()), |b| Text(b.to_string()));
        Ok(match self {
            Query::Owner { group: g, topic: t, partition: p } => {
                partition(t, *p)?;
                let owner = group(g)?.members.iter().find(|m| m.assigned.iter().any(|(at, ap)| at == t && ap == p));
                Text(owner.map_or("none".to_string(), |m| m.client_id.clone()))
            }
            Query::OwnedCount { group: g, client } => {
                let m = group(g)?.members.iter().find(|m| m.client_id == *client).ok_or_else(|| format!("no member '{client}' in group '{g}'"))?;
                Num(m.assigned.len() as u64)
            }
            Query::Reading { group: g, client } => {
                let c = group(g)?.consumers.iter().find(|c| c.client_id == *client).ok_or_else(|| format!("no consumer '{client}' in group '{g}'"))?;
                Num(c.assigned.len() as u64)
            }
            Query::IdleConsumers { group: g } => Num(group(g)?.members.iter().filter(|m| m.assigned.is_empty()).count() as u64),
            Query::Members { group: g } => Num(group(g)?.members.len() as u64),
            Query::Generation { group: g } => Num(group(g)?.generation.max(0) as u64),
            Query::GroupState { group: g } => Text(group(g)?.state.clone()),
            Query::Coordinator { group: g } => none_or(group(g)?.coordinator),
            Query::Committed { group: g, topic: t, partition: p } => {
                partition(t, *p)?;
                let offsets = sim.cluster().committed_offsets(g);
                offsets.get(&(t.clone(), *p)).map_or(Text("none".into()), |o| Num(*o))
            }
            Query::Leader { topic: t, partition: p } => none_or(partition(t, *p)?.leader),
            Query::LeaderEpoch { topic: t, partition: p } => Num(u64::from(partition(t, *p)?.leader_epoch)),
            Query::HighWatermark { topic: t, partition: p } => Num(partition(t, *p)?.high_watermark),
            Query::LogEndOffset { topic: t, partition: p, broker } => {
                let pv = partition(t, *p)?;
                match broker {
                    None => Num(pv.log_end_offset),
                    Some(b) => Num(pv.replica_states.iter().find(|r| r.broker == *b).ok_or_else(|| format!("broker {b} has no replica of {t}-{p}"))?.log_end_offset),
                }
            }
            Query::Isr { topic: t, partition: p } => {
                let isr: Vec<String> = partition(t, *p)?.isr.iter().map(u32::to_string).collect();
                Text(format!("[{}]", isr.join(",")))
            }
            Query::IsrSize { topic: t, partition: p } => Num(partition(t, *p)?.isr.len() as u64),
            Query::LostRecords { topic: t, partition: p } => match p {
                Some(p) => Num(partition(t, *p)?.lost_records),
                None => Num(topic(t)?.partitions.iter().map(|x| x.lost_records).sum()),
            },
            Query::LostAcknowledged { topic: t, partition: p } => match p {
                Some(p) => Num(partition(t, *p)?.lost_acknowledged),
                None => Num(topic(t)?.partitions.iter().map(|x| x.lost_acknowledged).sum()),
            },
            Query::Acknowledged { producer: p } => Num(producer(p)?.acknowledged),
            Query::ProduceFailed { producer: p } => Num(producer(p)?.failed),
            Query::ProduceRetries { producer: p } => Num(producer(p)?.retries),
            Query::DuplicatesWritten { producer: p } => Num(producer(p)?.duplicates_written),
            Query::ProduceSent { producer: p } => Num(producer(p)?.sent),
            Query::BrokerAlive { broker } => {
                Text(view.brokers.iter().find(|b| b.id == *broker).ok_or_else(|| format!("no broker {broker}"))?.alive.to_string())
            }
            Query::Duplicates { group: g } => group_field(group(g)?, "delivery.duplicates")?,
            Query::Processed { group: g } => group_field(group(g)?, "delivery.processed")?,
            Query::Distinct { group: g } => group_field(group(g)?, "delivery.distinct")?,
            Query::Losses { group: g } => group_field(group(g)?, "delivery.losses")?,
            Query::OrderingViolations { group: g } => group_field(group(g)?, "delivery.ordering_violations")?,
            Query::GroupField { group: g, field } => group_field(group(g)?, field)?,
            Query::OwnershipGapMs { group: g, topic: t, partition: p } => {
                let gaps = ownership_gaps(group(g)?)?;
                Num(gaps.iter().filter(|(gt, gp, _)| t.as_ref().is_none_or(|t| t == gt) && p.is_none_or(|p| p == *gp)).map(|(_, _, ms)| ms).sum())
            }
            Query::PartitionsWithGap { group: g } => Num(ownership_gaps(group(g)?)?.iter().filter(|(_, _, ms)| *ms > 0).count() as u64),
            Query::ConsumerField { group: g, client, field } => {
                let v = serde_json::to_value(group(g)?).map_err(|e| e.to_string())?;
                let c = v
                    .get("consumers")
                    .and_then(Value::as_array)
                    .and_then(|cs| cs.iter().find(|c| c.get("client_id").and_then(Value::as_str) == Some(client.as_str())))
                    .ok_or_else(|| format!("no consumer '{client}' in group '{g}'"))?;
                json_path(c, field).ok_or_else(|| format!("consumer '{client}' has no field '{field}'"))?
            }
            Query::ShareField { group: g, field } => {
                let v = share_json(view, g)?;
                json_path(&v, field).ok_or_else(|| format!("share group '{g}' has no field '{field}'"))?
            }
            Query::ShareConsumerField { group: g, client, field } => {
                let v = share_json(view, g)?;
                let c = find_in(&v, "consumers", |c| c.get("client_id").and_then(Value::as_str) == Some(client.as_str())).ok_or_else(|| format!("no consumer '{client}' in share group '{g}'"))?;
                json_path(c, field).ok_or_else(|| format!("consumer '{client}' has no field '{field}'"))?
            }
            Query::SharePartitionField { group: g, topic: t, partition: p, field } => {
                let v = share_json(view, g)?;
                let row = find_in(&v, "partitions", |r| r.get("topic").and_then(Value::as_str) == Some(t.as_str()) && r.get("partition").and_then(Value::as_u64) == Some(u64::from(*p)))
                    .ok_or_else(|| format!("share group '{g}' has no share-partition {t}-{p}"))?;
                json_path(row, field).ok_or_else(|| format!("share-partition {t}-{p} has no field '{field}'"))?
            }
            Query::TimeMs => Num(view.now_ms),
        })
    }
}

/// A share group's view as JSON.
fn share_json(view: &crate::api::view::View, g: &str) -> Result<Value, String> {
    let sg = view.share_groups.iter().find(|s| s.group_id == g).ok_or_else(|| format!("no share group '{g}'"))?;
    serde_json::to_value(sg).map_err(|e| e.to_string())
}

/// The element of array `key` of `v` that `pick` chooses.
fn find_in<'a>(v: &'a Value, key: &str, pick: impl Fn(&Value) -> bool) -> Option<&'a Value> {
    v.get(key)?.as_array()?.iter().find(|x| pick(x))
}

/// `(topic, partition, gap_ms)` of a group's ownership timeline (empty when the view has none).
fn ownership_gaps(g: &crate::api::view::GroupView) -> Result<Vec<(String, u32, u64)>, String> {
    let v = serde_json::to_value(g).map_err(|e| e.to_string())?;
    let rows = v.get("ownership").and_then(Value::as_array).ok_or_else(|| format!("group '{}' has no ownership timeline", g.group_id))?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            let t = r.get("topic")?.as_str()?.to_string();
            let p = u32::try_from(r.get("partition")?.as_u64()?).ok()?;
            Some((t, p, r.get("gap_ms")?.as_u64()?))
        })
        .collect())
}

/// A field of a group's view by dotted path.
fn group_field(g: &crate::api::view::GroupView, field: &str) -> Result<QueryValue, String> {
    let v = serde_json::to_value(g).map_err(|e| e.to_string())?;
    json_path(&v, field).ok_or_else(|| format!("group '{}' has no field '{field}'", g.group_id))
}

/// Follows a dotted path of object keys (`len` after an array: its length); numbers become
/// [`QueryValue::Num`] (negative ones and fractions text), null becomes `none`, anything else its
/// JSON text.
fn json_path(v: &Value, path: &str) -> Option<QueryValue> {
    let mut node = v;
    for key in path.split('.') {
        if let (Value::Array(items), "len") = (node, key) {
            // `members.len`: how many.
            return Some(QueryValue::Num(items.len() as u64));
        }
        node = node.get(key)?;
    }
    Some(match node {
        Value::Number(n) => n.as_u64().map_or_else(|| QueryValue::Text(n.to_string()), QueryValue::Num),
        Value::String(s) => QueryValue::Text(s.clone()),
        Value::Null => QueryValue::Text("none".into()),
        other => QueryValue::Text(other.to_string()),
    })
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Query::Owner { group, topic, partition } => write!(f, "owner of {topic}-{partition} in {group}"),
            Query::OwnedCount { group, client } => write!(f, "partitions of {client} in {group}"),
            Query::Reading { group, client } => write!(f, "partitions {client} of {group} reads"),
            Query::IdleConsumers { group } => write!(f, "idle consumers in {group}"),
            Query::Members { group } => write!(f, "members of {group}"),
            Query::Generation { group } => write!(f, "generation of {group}"),
            Query::GroupState { group } => write!(f, "state of {group}"),
            Query::Coordinator { group } => write!(f, "coordinator of {group}"),
            Query::Committed { group, topic, partition } => write!(f, "committed offset of {group} on {topic}-{partition}"),
            Query::Leader { topic, partition } => write!(f, "leader of {topic}-{partition}"),
            Query::LeaderEpoch { topic, partition } => write!(f, "leader epoch of {topic}-{partition}"),
            Query::HighWatermark { topic, partition } => write!(f, "HW of {topic}-{partition}"),
            Query::LogEndOffset { topic, partition, broker: None } => write!(f, "LEO of {topic}-{partition}"),
            Query::LogEndOffset { topic, partition, broker: Some(b) } => write!(f, "LEO of {topic}-{partition} on broker {b}"),
            Query::Isr { topic, partition } => write!(f, "ISR of {topic}-{partition}"),
            Query::IsrSize { topic, partition } => write!(f, "ISR size of {topic}-{partition}"),
            Query::LostRecords { topic, partition: None } => write!(f, "records lost in {topic}"),
            Query::LostRecords { topic, partition: Some(p) } => write!(f, "records lost in {topic}-{p}"),
            Query::LostAcknowledged { topic, partition: None } => write!(f, "acknowledged records lost in {topic}"),
            Query::LostAcknowledged { topic, partition: Some(p) } => write!(f, "acknowledged records lost in {topic}-{p}"),
            Query::Acknowledged { producer } => write!(f, "records acknowledged to {producer}"),
            Query::ProduceFailed { producer } => write!(f, "records rejected for {producer}"),
            Query::ProduceRetries { producer } => write!(f, "batches {producer} re-sent"),
            Query::DuplicatesWritten { producer } => write!(f, "duplicate records {producer} wrote"),
            Query::ProduceSent { producer } => write!(f, "records {producer} sent"),
            Query::BrokerAlive { broker } => write!(f, "broker {broker} alive"),
            Query::Duplicates { group } => write!(f, "duplicates in {group}"),
            Query::Processed { group } => write!(f, "records processed by {group}"),
            Query::Distinct { group } => write!(f, "distinct records processed by {group}"),
            Query::Losses { group } => write!(f, "records skipped by {group}"),
            Query::OrderingViolations { group } => write!(f, "ordering violations in {group}"),
            Query::GroupField { group, field } => write!(f, "{field} of {group}"),
            Query::OwnershipGapMs { group, topic: None, .. } => write!(f, "ownership gaps of {group} (ms)"),
            Query::OwnershipGapMs { group, topic: Some(t), partition: None } => write!(f, "ownership gaps of {group} on {t} (ms)"),
            Query::OwnershipGapMs { group, topic: Some(t), partition: Some(p) } => write!(f, "ownership gap of {group} on {t}-{p} (ms)"),
            Query::PartitionsWithGap { group } => write!(f, "partitions of {group} left without owner"),
            Query::ShareField { group, field } => write!(f, "{field} of share group {group}"),
            Query::ShareConsumerField { group, client, field } => write!(f, "{field} of {client} in share group {group}"),
            Query::SharePartitionField { group, topic, partition, field } => write!(f, "{field} of share-partition {topic}-{partition} of {group}"),
            Query::ConsumerField { group, client, field } => write!(f, "{field} of {client} in {group}"),
            Query::TimeMs => write!(f, "time (ms)"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Matching
// ---------------------------------------------------------------------------------------------

/// Whether `pattern` is a recursive subset of `value`: every key of a pattern object is present
/// with a matching value; arrays and scalars must be equal; a null in the pattern matches
/// anything.
pub fn json_subset(pattern: &Value, value: &Value) -> bool {
    match (pattern, value) {
        (Value::Null, _) => true,
        (Value::Object(p), Value::Object(v)) => p.iter().all(|(k, pv)| v.get(k).is_some_and(|vv| json_subset(pv, vv))),
        (p, v) => p == v,
    }
}

/// Whether an event matches an `on_event` pattern: [`json_subset`] of the pattern and the
/// event's JSON (`{"at_ms": …, "type": "rebalance_completed", "group_id": …}`).
pub fn event_matches(pattern: &Value, event: &Event) -> bool {
    serde_json::to_value(event).is_ok_and(|v| json_subset(pattern, &v))
}

/// Whether a learner's command satisfies an `on_action` step: same type, and every non-null
/// field of the expected command equal.
pub fn action_matches(expected: &Command, done: &Command) -> bool {
    match (serde_json::to_value(expected).ok(), serde_json::to_value(done).ok()) {
        (Some(e), Some(d)) => json_subset(&e, &d),
        _ => false,
    }
}

/// Clones the simulation and runs the clone until an event matching `pattern` happens, at most
/// `within_ms` from now. Returns the time and the event. The UI uses it to know when an
/// `on_event` step will complete while its clock plays.
pub fn predict_event(sim: &Sim, pattern: &Value, within_ms: u64) -> Option<(u64, Event)> {
    let mut probe = sim.clone();
    while probe.poll_event().is_some() {}
    let deadline = sim.now_ms().saturating_add(within_ms);
    wait_for_event(&mut probe, pattern, deadline, &mut Trace::discard())
}

/// Event sink of a run.
struct Trace {
    events: Vec<Event>,
    keep: bool,
    dropped: u64,
}

impl Trace {
    fn keep() -> Trace {
        Trace { events: Vec::new(), keep: true, dropped: 0 }
    }
    fn discard() -> Trace {
        Trace { events: Vec::new(), keep: false, dropped: 0 }
    }
    fn push(&mut self, e: Event) {
        if self.keep && self.events.len() < MAX_TRACE_EVENTS {
            self.events.push(e);
        } else {
            self.dropped += 1;
        }
    }
}

/// Processes deadlines one by one until an event matches, or `deadline_ms` passes (then the
/// clock stops at `deadline_ms`).
fn wait_for_event(sim: &mut Sim, pattern: &Value, deadline_ms: u64, trace: &mut Trace) -> Option<(u64, Event)> {
    for _ in 0..MAX_WAIT_STEPS {
        match sim.next_deadline_ms() {
            Some(d) if d <= deadline_ms => {
                sim.step();
            }
            _ => {
                sim.advance_to(deadline_ms);
                let mut found = None;
                while let Some(e) = sim.poll_event() {
                    if found.is_none() && event_matches(pattern, &e) {
                        found = Some((e.at_ms, e.clone()));
                    }
                    trace.push(e);
                }
                return found;
            }
        }
        let mut found = None;
        while let Some(e) = sim.poll_event() {
            if found.is_none() && event_matches(pattern, &e) {
                found = Some((e.at_ms, e.clone()));
            }
            trace.push(e);
        }
        if found.is_some() {
            return found;
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Playing
// ---------------------------------------------------------------------------------------------

/// A lesson being played: the simulation, the current step and every command applied after the
/// setup (so the UI can replay and share it).
#[derive(Debug)]
pub struct LessonRun<'a> {
    lesson: &'a Lesson,
    sim: Sim,
    /// The setup's commands, then every staging and learner command (the one replay).
    timeline: Timeline,
    step: usize,
    step_started_ms: u64,
    trace: Vec<Event>,
    trace_dropped: u64,
    /// Events since the current step started (for `on_event` steps whose event the staging
    /// commands already caused).
    step_events: Vec<Event>,
}

impl<'a> LessonRun<'a> {
    /// Builds the setup (the lesson's scenario commands, then `run_until_ms`) and enters step 1.
    pub fn start(lesson: &'a Lesson) -> Result<LessonRun<'a>, LessonError> {
        lesson.check_horizon()?;
        let scenario = lesson.scenario();
        let config_error = |e: SimError| LessonError { file: lesson.file.clone(), step: None, problem: format!("config: {e}") };
        let mut sim = Sim::new(scenario.config.clone()).map_err(config_error)?;
        let mut timeline = Timeline::new(scenario.commands.clone());
        let mut setup = Collect::default();
        timeline.advance(&mut sim, scenario_end_ms(&scenario.commands, scenario.run_until_ms), &mut setup);
        if let Some(r) = setup.rejected.first() {
            return Err(LessonError { file: lesson.file.clone(), step: None, problem: format!("setup command #{} rejected: {}", r.index, r.error) });
        }
        let mut trace = setup.events;
        let trace_dropped = trace.len().saturating_sub(MAX_TRACE_EVENTS) as u64;
        trace.truncate(MAX_TRACE_EVENTS);
        let now = sim.now_ms();
        let mut r = LessonRun { lesson, sim, timeline, step: 0, step_started_ms: now, trace, trace_dropped, step_events: Vec::new() };
        r.enter_step()?;
        Ok(r)
    }

    /// Plays steps `0..n` as the scripted learner and enters step `n` (clamped to the last step).
    /// This is how the UI goes back to, or restores from a URL, any step.
    pub fn at_step(lesson: &'a Lesson, n: usize) -> Result<LessonRun<'a>, LessonError> {
        let mut r = LessonRun::start(lesson)?;
        let n = n.min(lesson.steps.len().saturating_sub(1));
        while r.step < n {
            r.complete_as_learner()?;
            r.next_step()?;
        }
        Ok(r)
    }

    /// The lesson.
    pub fn lesson(&self) -> &'a Lesson {
        self.lesson
    }
    /// The simulation.
    pub fn sim(&self) -> &Sim {
        &self.sim
    }
    /// Gives the simulation away (e.g. to the UI's lab).
    pub fn into_sim(self) -> Sim {
        self.sim
    }
    /// Current step index (0-based).
    pub fn step_index(&self) -> usize {
        self.step
    }
    /// The current step.
    pub fn step(&self) -> &'a Step {
        &self.lesson.steps[self.step.min(self.lesson.steps.len() - 1)]
    }
    /// Simulated time when the current step started.
    pub fn step_started_ms(&self) -> u64 {
        self.step_started_ms
    }
    /// Commands applied after the setup (staging and learner actions), with their times.
    pub fn applied(&self) -> &[TimedCommand] {
        self.timeline.applied()
    }

    fn err(&self, problem: String) -> LessonError {
        LessonError { file: self.lesson.file.clone(), step: Some(self.step), problem }
    }

    fn drain(&mut self) {
        while let Some(e) = self.sim.poll_event() {
            self.record(e);
        }
    }

    fn record(&mut self, e: Event) {
        if self.step_events.len() < MAX_TRACE_EVENTS {
            self.step_events.push(e.clone());
        }
        if self.trace.len() < MAX_TRACE_EVENTS {
            self.trace.push(e);
        } else {
            self.trace_dropped += 1;
        }
    }

    fn enter_step(&mut self) -> Result<(), LessonError> {
        self.step_started_ms = self.sim.now_ms();
        self.step_events.clear();
        let commands = self.step().commands.clone();
        for (i, c) in commands.into_iter().enumerate() {
            self.timeline.apply(&mut self.sim, c).map_err(|e| self.err(format!("commands[{i}] rejected: {e}")))?;
            self.drain();
        }
        Ok(())
    }

    /// Applies a learner's command now. Returns whether it completes an `on_action` step.
    pub fn learner_apply(&mut self, command: Command) -> Result<bool, SimError> {
        self.timeline.apply(&mut self.sim, command.clone())?;
        self.drain();
        Ok(matches!(&self.step().advance, Advance::OnAction(want) if action_matches(want, &command)))
    }

    /// Completes the current step as the scripted learner: performs the asked action, or waits
    /// for the time or the event. Returns how it advanced, in words.
    pub fn complete_as_learner(&mut self) -> Result<String, LessonError> {
        match &self.step().advance {
            Advance::Next => Ok("next".into()),
            Advance::AfterMs(ms) => {
                let until = self.step_started_ms.saturating_add(*ms).max(self.sim.now_ms());
                let mut seen = Collect::default();
                self.timeline.advance(&mut self.sim, until, &mut seen);
                for e in seen.events {
                    self.record(e);
                }
                Ok(format!("after {ms} ms"))
            }
            Advance::OnEvent { pattern, within_ms } => {
                if let Some(e) = self.step_events.iter().find(|e| event_matches(pattern, e)) {
                    return Ok(format!("on event: {e}"));
                }
                let deadline = self.step_started_ms.saturating_add(*within_ms);
                let mut trace = Trace::keep();
                let found = wait_for_event(&mut self.sim, pattern, deadline, &mut trace);
                for e in trace.events {
                    self.record(e);
                }
                match found {
                    Some((_, e)) => Ok(format!("on event: {e}")),
                    None => Err(self.err(format!("the awaited event {pattern} did not happen within {within_ms} ms"))),
                }
            }
            Advance::OnAction(cmd) => {
                let shown = cmd.to_json();
                let matched = self.learner_apply(cmd.clone()).map_err(|e| self.err(format!("the learner's action {shown} was rejected: {e}")))?;
                if !matched {
                    return Err(self.err(format!("the action {shown} does not match its own step")));
                }
                Ok(format!("on action: {shown}"))
            }
        }
    }

    /// Whether the current step's advance condition already holds (for the UI, whose clock and
    /// learner act independently): `next` never (the learner clicks), `after_ms` once the time
    /// has passed, `on_event` once a matching event happened since the step started, `on_action`
    /// once a matching command was applied since then.
    pub fn is_step_done(&self) -> bool {
        match &self.step().advance {
            Advance::Next => false,
            Advance::AfterMs(ms) => self.sim.now_ms() >= self.step_started_ms.saturating_add(*ms),
            Advance::OnEvent { pattern, .. } => self.step_events.iter().any(|e| event_matches(pattern, e)),
            Advance::OnAction(want) => self.timeline.applied().iter().any(|tc| tc.at_ms >= self.step_started_ms && action_matches(want, &tc.command)),
        }
    }

    /// Moves to the next step (applies its staging commands). Past the last step it stays there.
    pub fn next_step(&mut self) -> Result<bool, LessonError> {
        if self.step + 1 >= self.lesson.steps.len() {
            return Ok(false);
        }
        self.step += 1;
        self.enter_step()?;
        Ok(true)
    }

    /// The current question's answer, read from the engine.
    pub fn answer(&self) -> Option<Result<QueryValue, String>> {
        self.step().question.as_ref().map(|q| q.answer_from.eval(&self.sim))
    }

    /// Checks the current step's facts.
    pub fn check_facts(&self) -> Vec<FactResult> {
        let view = self.sim.view();
        self.step().expect.iter().map(|f| f.check_view(&self.sim, &view)).collect()
    }
}

/// Plays every step as a learner would and checks every fact. Errors are lesson defects that
/// stop the run (a staging command rejected, an awaited event that never happens); failed facts
/// are in the [`Report`].
pub fn run_headless(lesson: &Lesson) -> Result<Report, LessonError> {
    let mut run = LessonRun::start(lesson)?;
    let mut steps = Vec::with_capacity(lesson.steps.len());
    loop {
        let started_ms = run.step_started_ms;
        let advanced_by = run.complete_as_learner()?;
        let answer = run.step().question.as_ref().map(|q| match q.answer_from.eval(&run.sim) {
            Ok(v) => {
                let s = v.to_string();
                let ok = q.choices.contains(&s);
                (s, ok)
            }
            Err(e) => (format!("unreadable: {e}"), false),
        });
        steps.push(StepReport { index: run.step, started_ms, advanced_ms: run.sim.now_ms(), advanced_by, answer, facts: run.check_facts() });
        if !run.next_step()? {
            break;
        }
    }
    let view = run.sim.view();
    Ok(Report { title: lesson.title.clone(), steps, events: run.trace, events_dropped: run.trace_dropped, view })
}

/// Checks that the steps of a lesson whose setup ends at `setup_end_ms` cannot take the clock
/// past the horizon, assuming every wait lasts as long as it may (`after_ms`, or the whole
/// `within_ms` of an `on_event` step; `next` and `on_action` steps take no simulated time).
/// The error names the step's field (`steps[i].advance.after_ms`, `steps[i].advance.within_ms`).
pub fn check_step_waits(setup_end_ms: u64, steps: &[Step]) -> Result<(), String> {
    let mut at = setup_end_ms;
    for (i, step) in steps.iter().enumerate() {
        let (field, wait) = match &step.advance {
            Advance::AfterMs(ms) => ("after_ms", *ms),
            Advance::OnEvent { within_ms, .. } => ("within_ms", *within_ms),
            Advance::Next | Advance::OnAction(_) => continue,
        };
        let end = at.saturating_add(wait);
        if end > MAX_HORIZON_MS {
            return Err(format!(
                "steps[{i}].advance.{field}: {wait} ms from {at} ms (the latest the step can start) ends at {end} ms, beyond the simulation's horizon of {MAX_HORIZON_MS} ms (one week)"
            ));
        }
        at = end;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_written_query_parser_reads_every_kind_and_names_mistakes() {
        use serde_json::json;
        let q = |v: Value| Query::parse(&v);
        assert_eq!(q(json!({"owner": {"group": "g", "topic": "t", "partition": 2}})), Ok(Query::Owner { group: "g".into(), topic: "t".into(), partition: 2 }));
        assert_eq!(q(json!("time_ms")), Ok(Query::TimeMs));
        assert_eq!(q(json!({"time_ms": null})), Ok(Query::TimeMs));
        assert_eq!(q(json!({"log_end_offset": {"topic": "t", "partition": 0}})), Ok(Query::LogEndOffset { topic: "t".into(), partition: 0, broker: None }));
        assert_eq!(q(json!({"log_end_offset": {"topic": "t", "partition": 0, "broker": 1}})), Ok(Query::LogEndOffset { topic: "t".into(), partition: 0, broker: Some(1) }));
        assert_eq!(
            q(json!({"ownership_gap_ms": {"group": "g", "topic": null}})),
            Ok(Query::OwnershipGapMs { group: "g".into(), topic: None, partition: None })
        );
        assert_eq!(
            q(json!({"consumer_field": {"group": "g", "client": "C1", "field": "lifecycle"}})),
            Ok(Query::ConsumerField { group: "g".into(), client: "C1".into(), field: "lifecycle".into() })
        );
        // Every kind parses with all its fields given (strings "x", numbers 1).
        for (kind, fields) in QUERY_KINDS {
            let body: Map<String, Value> = fields
                .iter()
                .map(|f| (f.to_string(), if matches!(*f, "partition" | "broker") { json!(1) } else { json!("x") }))
                .collect();
            let parsed = Query::parse_kind(kind, Value::Object(body));
            assert!(parsed.is_ok(), "{kind}: {parsed:?}");
        }
        let err = |v: Value| q(v).unwrap_err();
        assert_eq!(err(json!({"owner": {"group": "g", "topic": "t"}})), "query `owner`: missing field `partition`");
        assert!(err(json!({"owner": {"group": "g", "topic": "t", "partition": 0, "x": 1}})).contains("unknown field `x`"));
        assert!(err(json!({"ownr": {}})).contains("unknown variant `ownr`"));
        assert!(err(json!({"leader": {"topic": "t", "partition": -1}})).contains("`partition`, expected u32"));
        assert!(err(json!({"leader": {"topic": "t", "partition": 4294967296u64}})).contains("expected u32"));
        assert!(err(json!({"leader": {"topic": 3, "partition": 0}})).contains("expected a string"));
        assert!(err(json!({"leader": [1]})).contains("invalid type"));
        // The first field in order with an error is the one reported.
        assert_eq!(err(json!({"owner": {"group": 1, "partition": "p"}})), "query `owner`: invalid type: a number for `group`, expected a string");
        assert_eq!(err(json!({"owner": {"group": "g", "partition": "p"}})), "query `owner`: missing field `topic`");
    }

    fn lesson(steps: &str) -> Result<Lesson, LessonError> {
        let text = format!(
            r#"{{"name":"t","title":"T","concept":"c","config":{{"seed":1,"brokers":3}},
               "commands":[{{"at_ms":0,"command":{{"type":"create_topic","name":"t","partitions":4,"replication_factor":2}}}}],
               "steps":{steps}}}"#
        );
        Lesson::from_json("x.json", &text)
    }

    #[test]
    fn errors_name_file_step_and_problem() {
        let e = lesson(r#"[{"narration":"a","advance":"next"},{"narration":"b","advance":"later"}]"#).unwrap_err();
        assert_eq!(e.step, Some(1));
        let s = e.to_string();
        assert!(s.starts_with("x.json: step 2: "), "{s}");
        assert!(s.contains("later"), "{s}");
        let e = lesson(r#"[{"narration":"a","advance":{"on_action":{"type":"crash_consumer","client_id":"C1"}}}]"#).unwrap_err();
        assert!(e.problem.contains("hint"), "{e}");
        let e = lesson(r#"[{"narration":"a","advance":"next","expect":[{"owner":{"group":"g","topic":"t","partition":1}}]}]"#).unwrap_err();
        assert!(e.problem.contains("expect[0]") && e.problem.contains("says nothing"), "{e}");
        let e = lesson(r#"[{"narration":"a","advance":"next","expect":[{"ownr":{"is":"x"}}]}]"#).unwrap_err();
        assert!(e.problem.contains("ownr"), "{e}");
        let e = Lesson::from_json("y.json", "{").unwrap_err();
        assert_eq!((e.file.as_str(), e.step), ("y.json", None));
    }

    #[test]
    fn facts_and_time() {
        let l = lesson(
            r#"[{"narration":"produce","advance":{"after_ms":2000},"commands":[{"type":"produce","topic":"t","count":10,"key":"21"}],
                 "expect":[{"high_watermark":{"topic":"t","partition":0,"eq":10}},{"time_ms_between":[2000,2000]},
                           {"high_watermark":{"topic":"t","partition":1,"eq":99}}]}]"#,
        )
        .unwrap();
        let r = run_headless(&l).unwrap();
        let facts = &r.steps[0].facts;
        assert!(facts[0].ok && facts[1].ok, "{facts:?}");
        assert!(!facts[2].ok, "a false claim must fail");
        assert!(!r.passed());
    }

    #[test]
    fn old_group_event_patterns_are_refused_with_the_new_format() {
        let e = lesson(r#"[{"narration":"a","advance":{"on_event":{"type":"group","event":{"RebalanceCompleted":{"group_id":"g"}}}}}]"#).unwrap_err();
        assert!(e.problem.contains("old group-event format") && e.problem.contains("rebalance_completed"), "{e}");
    }

    #[test]
    fn group_event_patterns_match_the_flat_json() {
        use crate::group::GroupEvent;
        let e = Event { at_ms: 5, kind: crate::api::event::EventKind::Group(GroupEvent::RebalanceCompleted { group_id: "g".into(), generation_id: 2 }) };
        assert!(event_matches(&serde_json::json!({"type": "rebalance_completed", "group_id": "g"}), &e));
        assert!(event_matches(&serde_json::json!({"type": "rebalance_completed", "generation_id": 2, "at_ms": 5}), &e));
        assert!(!event_matches(&serde_json::json!({"type": "rebalance_completed", "group_id": "h"}), &e));
        assert!(!event_matches(&serde_json::json!({"type": "rebalance_started"}), &e));
    }

    #[test]
    fn on_event_waits_and_times_out() {
        let l = lesson(r#"[{"narration":"crash","advance":{"on_event":{"type":"broker_fenced","broker":1},"within_ms":20000},"commands":[{"type":"crash_broker","broker":1}],
                          "expect":[{"time_ms_between":[9000,9000]}]}]"#).unwrap();
        let r = run_headless(&l).unwrap();
        assert!(r.passed(), "{:?}", r.steps);
        let l = lesson(r#"[{"narration":"wait","advance":{"on_event":{"type":"broker_fenced"},"within_ms":5000}}]"#).unwrap();
        let e = run_headless(&l).unwrap_err();
        assert!(e.problem.contains("did not happen"), "{e}");
    }

    #[test]
    fn action_matching() {
        let want: Command = serde_json::from_str(r#"{"type":"crash_consumer","client_id":"C1"}"#).unwrap();
        let same: Command = serde_json::from_str(r#"{"type":"crash_consumer","client_id":"C1"}"#).unwrap();
        let other: Command = serde_json::from_str(r#"{"type":"crash_consumer","client_id":"C2"}"#).unwrap();
        assert!(action_matches(&want, &same));
        assert!(!action_matches(&want, &other));
        let any_add: Command = serde_json::from_str(r#"{"type":"add_consumer","group_id":"g"}"#).unwrap();
        let add: Command = serde_json::from_str(r#"{"type":"add_consumer","group_id":"g","client_id":"C9"}"#).unwrap();
        assert!(action_matches(&any_add, &add));
        assert!(!action_matches(&add, &any_add));
    }

    #[test]
    fn predict_matches_headless() {
        let l = lesson(r#"[{"narration":"n","advance":"next","commands":[{"type":"crash_broker","broker":2}]}]"#).unwrap();
        let run = LessonRun::start(&l).unwrap();
        let (at, e) = predict_event(run.sim(), &serde_json::json!({"type":"broker_fenced"}), 60_000).unwrap();
        assert_eq!(at, 9_000);
        assert!(matches!(e.cluster(), Some(crate::cluster::ClusterEvent::BrokerFenced { broker: 2 })));
        assert_eq!(run.sim().now_ms(), 0, "prediction must not move the real clock");
    }
}
