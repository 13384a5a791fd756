//! `lesson::event_matches` decides on the event's fields ([`Event::fields`], [`FieldValue`])
//! without serializing it; it must give exactly what the former formula gave:
//! `serde_json::to_value(event).is_ok_and(|v| json_subset(pattern, &v))`.
//!
//! The events come from every scenario and lesson in `static/scenarios/` and
//! `engine/tests/scenarios/`, plus a "chaos" scenario (detail events, retention, compaction,
//! failed produces, broker and consumer crashes and restarts, a stalled consumer,
//! `auto.offset.reset=none`, ...) and a few hand-built events for the variants the simulation
//! never emits. Every `Event` and `GroupEvent` variant must occur. For each event the patterns are
//! derived from its own JSON: the whole, each key alone, each key changed (numbers, strings,
//! booleans, arrays, nested objects, a float, a negative, `null`), each key dropped or
//! added, the wrong `type`, nested `event` sub-patterns of `group` events, and non-object
//! patterns.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use grouplab_engine::event::{Event, FieldValue};
use grouplab_engine::group::{ErrorCode, GroupEvent, GroupState, TopicPartition};
use grouplab_engine::lesson::{event_matches, is_lesson_json, json_subset, run_headless, Advance, Lesson};
use grouplab_engine::Scenario;
use serde_json::{json, Map, Value};

/// The formula `event_matches` replaced (kept here only, as the reference).
fn old_event_matches(pattern: &Value, event: &Event) -> bool {
    serde_json::to_value(event).is_ok_and(|v| json_subset(pattern, &v))
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `.json` file of a directory, sorted: (file name, text).
fn json_files(dir: &Path) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).expect("readable")))
        .collect();
    out.sort();
    out
}

/// A scenario exercising what the lessons do not: detail events, retention, compaction,
/// failed produces, crashes and restarts of brokers and consumers, a stall, a consumer with no
/// offset to start from.
const CHAOS: &str = r#"{
  "name": "chaos",
  "config": { "seed": 5, "brokers": 3, "offsets.topic.num.partitions": 2, "offsets.topic.replication.factor": 3,
              "replica.lag.time.max.ms": 2000, "log.retention.check.interval.ms": 1000, "log.cleaner.backoff.ms": 1000,
              "detail_events": true },
  "commands": [
    { "at_ms": 0, "command": { "type": "create_topic", "name": "orders", "partitions": 2, "replication_factor": 3,
                               "config": { "min.insync.replicas": 3, "segment.bytes": 2000, "retention.records": 40 } } },
    { "at_ms": 0, "command": { "type": "create_topic", "name": "users", "partitions": 1, "replication_factor": 2,
                               "config": { "cleanup.policy": "compact", "segment.bytes": 1000 } } },
    { "at_ms": 0, "command": { "type": "create_topic", "name": "clicks", "partitions": 1, "replication_factor": 2,
                               "config": { "unclean.leader.election.enable": true } } },
    { "at_ms": 0, "command": { "type": "create_topic", "name": "logs", "partitions": 1, "replication_factor": 1,
                               "config": { "retention.ms": 4000, "segment.ms": 1000 } } },
    { "at_ms": 0, "command": { "type": "add_producer", "producer_id": "logs-app", "topic": "logs", "rate_per_sec": 10 } },
    { "at_ms": 0, "command": { "type": "add_producer", "producer_id": "orders-app", "topic": "orders", "rate_per_sec": 40 } },
    { "at_ms": 0, "command": { "type": "add_producer", "producer_id": "users-app", "topic": "users", "rate_per_sec": 40,
                               "keys": { "random": { "count": 5 } } } },
    { "at_ms": 0, "command": { "type": "add_producer", "producer_id": "clicks-app", "topic": "clicks", "rate_per_sec": 20, "acks": "1" } },
    { "at_ms": 0, "command": { "type": "create_group", "group_id": "billing", "topics": ["orders"],
                               "config": { "max.poll.interval.ms": 4000, "session.timeout.ms": 6000 } } },
    { "at_ms": 0, "command": { "type": "add_consumer", "group_id": "billing", "client_id": "C1" } },
    { "at_ms": 0, "command": { "type": "add_consumer", "group_id": "billing", "client_id": "C2" } },
    { "at_ms": 0, "command": { "type": "create_group", "group_id": "strict", "topics": ["users"],
                               "config": { "auto.offset.reset": "none" } } },
    { "at_ms": 0, "command": { "type": "add_consumer", "group_id": "strict", "client_id": "S1" } },
    { "at_ms": 0, "command": { "type": "create_group", "group_id": "coop", "topics": ["orders", "clicks"],
                               "config": { "partition.assignment.strategy": ["cooperative-sticky"] } } },
    { "at_ms": 0, "command": { "type": "add_consumer", "group_id": "coop", "client_id": "K1" } },
    { "at_ms": 3000, "command": { "type": "add_consumer", "group_id": "coop", "client_id": "K2" } },
    { "at_ms": 5000, "command": { "type": "create_partitions", "topic": "orders", "count": 3 } },
    { "at_ms": 6000, "command": { "type": "set_broker_delay", "broker": 0, "fetch_delay_ms": 600000 } },
    { "at_ms": 6000, "command": { "type": "set_broker_delay", "broker": 1, "fetch_delay_ms": 600000 } },
    { "at_ms": 6000, "command": { "type": "set_broker_delay", "broker": 2, "fetch_delay_ms": 600000 } },
    { "at_ms": 10000, "command": { "type": "crash_broker", "broker": 1 } },
    { "at_ms": 11000, "command": { "type": "crash_consumer", "client_id": "C2" } },
    { "at_ms": 12000, "command": { "type": "stall_consumer", "client_id": "C1" } },
    { "at_ms": 14000, "command": { "type": "shutdown_broker", "broker": 2 } },
    { "at_ms": 20000, "command": { "type": "set_broker_delay", "broker": 0 } },
    { "at_ms": 20000, "command": { "type": "set_broker_delay", "broker": 1 } },
    { "at_ms": 20000, "command": { "type": "set_broker_delay", "broker": 2 } },
    { "at_ms": 20000, "command": { "type": "restart_broker", "broker": 1 } },
    { "at_ms": 21000, "command": { "type": "restart_broker", "broker": 2 } },
    { "at_ms": 22000, "command": { "type": "restart_consumer", "client_id": "C2" } },
    { "at_ms": 23000, "command": { "type": "restart_consumer", "client_id": "C1" } },
    { "at_ms": 25000, "command": { "type": "close_consumer", "client_id": "K2" } },
    { "at_ms": 26000, "command": { "type": "set_group_strategy", "group_id": "coop", "strategies": ["range"] } },
    { "at_ms": 26000, "command": { "type": "restart_consumer", "client_id": "K2" } },
    { "at_ms": 27000, "command": { "type": "crash_broker", "broker": 0 } },
    { "at_ms": 33000, "command": { "type": "restart_broker", "broker": 0 } }
  ],
  "run_until_ms": 45000
}"#;

/// A cluster whose storage fills up (`max_retained_records`): produces and offset commits fail
/// with `KAFKA_STORAGE_ERROR`, so commits are accepted but not persisted.
const FULL_DISK: &str = r#"{
  "name": "full-disk",
  "config": { "seed": 3, "brokers": 1, "offsets.topic.num.partitions": 1, "max_retained_records": 400, "detail_events": false },
  "commands": [
    { "at_ms": 0, "command": { "type": "create_topic", "name": "t", "partitions": 2, "replication_factor": 1 } },
    { "at_ms": 0, "command": { "type": "add_producer", "topic": "t", "rate_per_sec": 50 } },
    { "at_ms": 0, "command": { "type": "add_consumer", "group_id": "g", "client_id": "C1", "topics": ["t"] } }
  ],
  "run_until_ms": 30000
}"#;

/// Events the simulation never emits (the slice-era group events), and edge values.
fn hand_built() -> Vec<Event> {
    let tp = |t: &str, p| TopicPartition::new(t, p);
    let group = |event| Event::Group { at_ms: 7, event };
    vec![
        Event::MemberJoined { at_ms: 1, group_id: "g".into(), member_id: "m-1".into(), client_id: "c".into() },
        Event::MemberLeft { at_ms: 2, group_id: "g".into(), member_id: "m-1".into(), reason: "left".into() },
        Event::GroupRebalanced { at_ms: 3, group_id: "g".into(), generation: 2, members: 1 },
        Event::GroupRebalanced { at_ms: 3, group_id: "g".into(), generation: -1, members: 0 },
        Event::LeaderElected { at_ms: u64::MAX, topic: "t".into(), partition: u32::MAX, leader: None, leader_epoch: 0, unclean: true },
        Event::IsrShrink { at_ms: 0, topic: String::new(), partition: 0, removed: 1, isr: vec![] },
        group(GroupEvent::RebalanceStarted { group_id: "g".into(), generation_id: -1, reason: "r".into() }),
        group(GroupEvent::GenerationStarted { group_id: "g".into(), generation_id: 0, protocol: None, leader: None, members: 0 }),
        group(GroupEvent::Committed { group_id: "g".into(), member_id: "m".into(), tp: tp("t", 0), offset: -1 }),
        group(GroupEvent::OffsetReset { client_id: "c".into(), tp: tp("t", 1), offset: i64::MIN, policy: "earliest".into(), reason: "x".into() }),
        group(GroupEvent::NoOffsetForPartition { client_id: "c".into(), tp: tp("t", 2) }),
        group(GroupEvent::CommitNotPersisted { group_id: "g".into(), tp: tp("t", 0), offset: 5, error: "NOT_ENOUGH_REPLICAS".into() }),
        group(GroupEvent::AssignmentFailed { client_id: "c".into(), error: "unknown assignor".into() }),
        group(GroupEvent::Revoked { client_id: "c".into(), partitions: vec![], lost: true }),
        group(GroupEvent::Assigned { client_id: "c".into(), partitions: vec![tp("a", 0), tp("b", 3)] }),
        group(GroupEvent::StateChanged { group_id: "g".into(), from: GroupState::Stable, to: GroupState::Dead }),
        group(GroupEvent::StateChanged { group_id: "g".into(), from: GroupState::Empty, to: GroupState::PreparingRebalance }),
        group(GroupEvent::StateChanged { group_id: "g".into(), from: GroupState::CompletingRebalance, to: GroupState::Stable }),
    ]
    .into_iter()
    .chain(
        [
            ErrorCode::None,
            ErrorCode::RebalanceInProgress,
            ErrorCode::IllegalGeneration,
            ErrorCode::UnknownMemberId,
            ErrorCode::MemberIdRequired,
            ErrorCode::NotCoordinator,
            ErrorCode::CoordinatorNotAvailable,
            ErrorCode::InconsistentGroupProtocol,
            ErrorCode::InvalidSessionTimeout,
            ErrorCode::GroupIdNotFound,
        ]
        .into_iter()
        .map(|error| group(GroupEvent::RequestFailed { client_id: "c".into(), api: "Heartbeat".into(), error })),
    )
    .collect()
}

/// The corpus: (source, events) for every scenario, lesson and the hand-built events; plus
/// every `on_event` pattern of the lessons.
fn corpus() -> (Vec<(String, Vec<Event>)>, Vec<Value>) {
    let mut runs = Vec::new();
    let mut lesson_patterns = Vec::new();
    for (file, text) in json_files(&workspace().join("static/scenarios")) {
        if is_lesson_json(&text) {
            let lesson = Lesson::from_json(&file, &text).unwrap_or_else(|e| panic!("{e}"));
            for step in &lesson.steps {
                if let Advance::OnEvent { pattern, .. } = &step.advance {
                    lesson_patterns.push(pattern.clone());
                }
            }
            let report = run_headless(&lesson).unwrap_or_else(|e| panic!("{file}: {e}"));
            runs.push((format!("lesson {file}"), report.events));
            // Its setup alone.
            runs.push((format!("setup of {file}"), lesson.scenario().run().expect("valid config").events));
        } else {
            let scenario = Scenario::from_json(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
            runs.push((format!("scenario {file}"), scenario.run().expect("valid config").events));
        }
    }
    for (file, text) in json_files(&workspace().join("engine/tests/scenarios")) {
        let scenario = Scenario::from_json(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        runs.push((format!("scenario {file}"), scenario.run().expect("valid config").events));
    }
    let chaos = Scenario::from_json(CHAOS).expect("chaos scenario parses").run().expect("chaos runs");
    assert!(chaos.rejected.is_empty(), "chaos commands rejected: {:?}", chaos.rejected);
    runs.push(("chaos".to_string(), chaos.events));
    let full = Scenario::from_json(FULL_DISK).expect("full-disk scenario parses").run().expect("full-disk runs");
    assert!(full.rejected.is_empty(), "full-disk commands rejected: {:?}", full.rejected);
    runs.push(("full-disk".to_string(), full.events));
    runs.push(("hand-built".to_string(), hand_built()));
    (runs, lesson_patterns)
}

/// `type` of an event, and the variant of a group event.
fn variant(e: &Event) -> String {
    let v = serde_json::to_value(e).unwrap();
    let kind = v["type"].as_str().unwrap().to_string();
    match v.get("event").and_then(Value::as_object) {
        Some(g) => format!("group/{}", g.keys().next().unwrap()),
        None => kind,
    }
}

const EVENT_KINDS: [&str; 19] = [
    "topic_created",
    "partitions_created",
    "appended",
    "replicated",
    "high_watermark",
    "isr_shrink",
    "isr_expand",
    "leader_elected",
    "broker_down",
    "broker_fenced",
    "broker_up",
    "truncated",
    "records_lost",
    "retention_deleted",
    "compacted",
    "produce_failed",
    "member_joined",
    "member_left",
    "group_rebalanced",
];

const GROUP_KINDS: [&str; 24] = [
    "StateChanged",
    "JoinGroupReceived",
    "MemberIdRequired",
    "MemberAdded",
    "HeartbeatExpired",
    "MemberRemoved",
    "RebalanceStarted",
    "GenerationStarted",
    "RebalanceCompleted",
    "JoinGroupSent",
    "JoinedGeneration",
    "SyncedGeneration",
    "RequestFailed",
    "Revoked",
    "Assigned",
    "Committed",
    "OffsetReset",
    "NoOffsetForPartition",
    "PollTimeoutExpired",
    "CoordinatorDiscovered",
    "CoordinatorUnknown",
    "CoordinatorMoved",
    "Lifecycle",
    "CommitNotPersisted",
];

/// Values near `v` that differ from it (or match it partially): what a lesson author could
/// plausibly write instead of `v`.
fn changed(v: &Value) -> Vec<Value> {
    let mut out = vec![Value::Null, json!({}), json!([]), json!("x"), json!(0), json!(true)];
    match v {
        Value::Null => out.extend([json!("null"), json!(false), json!(-1)]),
        Value::Bool(b) => out.extend([json!(!b), json!(b.to_string()), json!(u8::from(*b))]),
        Value::String(s) => out.extend([json!(format!("{s}x")), json!(""), json!(s.to_uppercase()), json!([s])]),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                out.extend([json!(u.wrapping_add(1)), json!(u.wrapping_sub(1)), json!(u as f64), json!(u.to_string()), json!(u64::MAX)]);
                if let Ok(i) = i64::try_from(u) {
                    out.extend([json!(-i), json!(-i - 1)]);
                }
            }
            if let Some(i) = n.as_i64() {
                out.extend([json!(i.wrapping_add(1)), json!(i.wrapping_sub(1)), json!(i as f64), json!(i.unsigned_abs()), json!(i64::MIN)]);
            }
            // `-0` parses as a float.
            out.push(serde_json::from_str("-0").unwrap());
            out.push(json!(0.5));
        }
        Value::Array(items) => {
            out.push(json!(items.iter().rev().cloned().collect::<Vec<_>>()));
            let mut longer = items.clone();
            longer.push(items.first().cloned().unwrap_or(json!(1)));
            out.push(Value::Array(longer));
            for i in 0..items.len() {
                let mut fewer = items.clone();
                fewer.remove(i);
                out.push(Value::Array(fewer));
                // Inside arrays values compare with `==`: a null or a partial object is no wildcard.
                for c in changed(&items[i]).into_iter().chain(subsets(&items[i])) {
                    let mut one = items.clone();
                    one[i] = c;
                    out.push(Value::Array(one));
                }
            }
        }
        Value::Object(map) => {
            for (k, child) in map {
                for c in changed(child).into_iter().chain(subsets(child)) {
                    let mut m = map.clone();
                    m.insert(k.clone(), c);
                    out.push(Value::Object(m));
                }
                let mut without = map.clone();
                without.remove(k);
                out.push(Value::Object(without));
            }
            for extra in [Value::Null, json!(1), json!("x")] {
                let mut m = map.clone();
                m.insert("unknown_key".into(), extra);
                out.push(Value::Object(m));
            }
            out.push(Value::Array(vec![v.clone()]));
        }
    }
    out
}

/// Patterns that `v` itself matches as a subset: itself, null, and for objects every key alone
/// (recursively), every key null, the empty object.
fn subsets(v: &Value) -> Vec<Value> {
    let mut out = vec![v.clone(), Value::Null];
    if let Value::Object(map) = v {
        out.push(json!({}));
        for (k, child) in map {
            for s in subsets(child) {
                out.push(Value::Object(Map::from_iter([(k.clone(), s)])));
            }
            let mut m = map.clone();
            m.insert(k.clone(), Value::Null);
            out.push(Value::Object(m));
        }
    }
    out
}

/// All patterns derived from one event's JSON.
fn patterns(full: &Value) -> Vec<Value> {
    let mut out = subsets(full);
    out.extend(changed(full));
    // Single keys, changed; the type alone and every wrong type.
    for (k, child) in full.as_object().unwrap() {
        for c in changed(child) {
            out.push(Value::Object(Map::from_iter([(k.clone(), c)])));
        }
    }
    out.push(json!({"type": full["type"]}));
    for kind in EVENT_KINDS.iter().chain(&["group", "Group", "TopicCreated", ""]) {
        out.push(json!({"type": kind}));
        let mut m = full.as_object().unwrap().clone();
        m.insert("type".into(), json!(kind));
        out.push(Value::Object(m));
    }
    // Group events: every other variant name as the nested key, with the real fields.
    if let Some(Value::Object(g)) = full.get("event") {
        let (name, fields) = g.iter().next().unwrap();
        for other in GROUP_KINDS.iter().chain(&["AssignmentFailed", "state_changed", "type"]) {
            out.push(json!({"type": "group", "event": {*other: fields}}));
            out.push(json!({"type": "group", "event": {*other: {}}}));
            out.push(json!({"event": {*other: null}}));
        }
        out.push(json!({"event": name}));
        out.push(json!({"event": {"type": name}}));
        out.push(json!({"event": fields}));
    }
    out
}

#[test]
fn event_matches_agrees_with_serializing_to_json() {
    let (runs, lesson_patterns) = corpus();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let (mut checked, mut matched, mut events_total) = (0usize, 0usize, 0usize);
    let mut detailed_per_run: BTreeMap<(&str, String), usize> = BTreeMap::new();
    for (source, events) in &runs {
        assert!(!events.is_empty(), "{source}: no events");
        for e in events {
            events_total += 1;
            let kind = variant(e);
            *seen.entry(kind.clone()).or_default() += 1;
            let full = serde_json::to_value(e).unwrap();
            // The whole JSON, the type alone and every lesson's pattern, for every event.
            let mut ps = vec![full.clone(), json!({"type": full["type"]})];
            ps.extend(lesson_patterns.iter().cloned());
            // The full derived set for the first events of each variant in each run (and every
            // hand-built one).
            let detailed = detailed_per_run.entry((source.as_str(), kind)).or_default();
            if *detailed < 3 || source == "hand-built" {
                *detailed += 1;
                ps.extend(patterns(&full));
            }
            for p in &ps {
                let want = old_event_matches(p, e);
                assert_eq!(event_matches(p, e), want, "{source}: pattern {p} on event {full}");
                checked += 1;
                matched += usize::from(want);
            }
        }
    }
    let missing: Vec<String> = EVENT_KINDS
        .iter()
        .map(|k| k.to_string())
        .chain(GROUP_KINDS.iter().chain(&["AssignmentFailed"]).map(|k| format!("group/{k}")))
        .filter(|k| !seen.contains_key(k))
        .collect();
    assert!(missing.is_empty(), "variants that never occurred: {missing:?} (seen {seen:?})");
    // Both answers occur often: the patterns are neither all matching nor all failing.
    assert!(matched > 10_000 && checked - matched > 10_000, "{matched} of {checked} patterns matched");
    assert!(lesson_patterns.len() >= 5, "lessons have on_event steps: {lesson_patterns:?}");
    eprintln!("{events_total} events, {checked} patterns checked, {matched} matched; variants: {seen:?}");
}

/// Which variants the simulation itself emits (not the hand-built events): all but the three
/// slice-era events and `AssignmentFailed` (the simulation's assignors accept every validated
/// strategy), so the corpus is not mostly synthetic.
#[test]
fn simulated_runs_emit_almost_every_variant() {
    let (runs, _) = corpus();
    let mut seen = std::collections::BTreeSet::new();
    for (source, events) in &runs {
        if source != "hand-built" {
            seen.extend(events.iter().map(variant));
        }
    }
    let not_emitted: Vec<&str> = EVENT_KINDS.iter().copied().filter(|k| !seen.contains(*k)).collect();
    assert_eq!(not_emitted, ["member_joined", "member_left", "group_rebalanced"], "seen {seen:?}");
    let not_emitted: Vec<String> = GROUP_KINDS.iter().map(|k| format!("group/{k}")).filter(|k| !seen.contains(k)).collect();
    assert!(not_emitted.is_empty(), "group variants never emitted by a run: {not_emitted:?}");
}

/// The field lists name every key of the JSON, in order, with the value that serializes to it.
#[test]
fn fields_list_exactly_the_serialized_keys() {
    let (runs, _) = corpus();
    for e in runs.iter().flat_map(|(_, events)| events) {
        let full = serde_json::to_value(e).unwrap();
        let obj = full.as_object().unwrap();
        let (shape, values) = e.fields();
        let names: Vec<&str> = shape.split(' ').collect();
        assert_eq!(names[0], full["type"], "{full}");
        assert_eq!(names.len() - 1, values.len(), "{shape}");
        let keys: Vec<&str> = obj.keys().map(String::as_str).filter(|k| *k != "type").collect();
        let mut sorted_names = names[1..].to_vec();
        sorted_names.sort_unstable();
        // serde_json's map is sorted by key.
        assert_eq!(sorted_names, keys, "{full}");
        let whole = FieldValue::Event(e);
        assert_eq!(whole.key_count(), Some(obj.len()));
        for (k, v) in obj {
            let f = whole.member(k).unwrap_or_else(|| panic!("no member {k} in {full}"));
            assert!(event_matches(&json!({ k: v }), e), "{k} of {full}");
            if let Some(s) = v.as_str() {
                assert_eq!(f.as_str(), Some(s));
            }
        }
        assert!(whole.member("nope").is_none());
        if let Event::Group { event, .. } = e {
            let (gshape, gvalues) = event.fields();
            let inner = &full["event"][gshape.split(' ').next().unwrap()];
            assert_eq!(FieldValue::GroupFields(event).key_count(), Some(inner.as_object().unwrap().len()), "{full}");
            assert_eq!(gshape.split(' ').count() - 1, gvalues.len(), "{gshape}");
        }
    }
}
