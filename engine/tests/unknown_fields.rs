//! Unknown keys in what a person writes (scenario, lesson, simulation / topic / group config)
//! are refused with serde's message naming the key, so a typo like `session.timout.ms` or an
//! unsupported `client.rack` cannot be believed to have taken effect. And every bundled
//! file still loads.

use std::path::{Path, PathBuf};

use grouplab_engine::lesson::{is_lesson_json, Lesson};
use grouplab_engine::group::GroupConfig;
use grouplab_engine::kafka::topic::TopicConfig;
use grouplab_engine::{Scenario, SimConfig, TimedCommand};

fn scenario_with(config: &str, topic_config: &str, group_config: &str) -> String {
    format!(
        r#"{{"name":"s","config":{config},"commands":[
            {{"at_ms":0,"command":{{"type":"create_topic","name":"t","partitions":2,"replication_factor":2,"config":{topic_config}}}}},
            {{"at_ms":0,"command":{{"type":"create_group","group_id":"g","topics":["t"],"config":{group_config}}}}}]}}"#
    )
}

fn refused(text: &str, key: &str) {
    let e = Scenario::from_json(text).unwrap_err();
    assert!(e.contains(&format!("unknown field `{key}`")), "{key}: {e}");
}

#[test]
fn the_base_scenario_loads() {
    Scenario::from_json(&scenario_with(r#"{"seed":1}"#, r#"{"retention.ms":1000}"#, r#"{"session.timeout.ms":10000}"#)).unwrap();
}

#[test]
fn unknown_group_config_keys_are_refused() {
    refused(&scenario_with("{}", "{}", r#"{"client.rack":"a"}"#), "client.rack");
    refused(&scenario_with("{}", "{}", r#"{"session.timout.ms":10000}"#), "session.timout.ms");
    let e = serde_json::from_str::<GroupConfig>(r#"{"client.rack":"a"}"#).unwrap_err().to_string();
    assert!(e.starts_with("unknown field `client.rack`, expected one of `partition.assignment.strategy`"), "{e}");
}

#[test]
fn unknown_topic_config_keys_are_refused() {
    refused(&scenario_with("{}", r#"{"retention.msec":1000}"#, "{}"), "retention.msec");
    let e = serde_json::from_str::<TopicConfig>(r#"{"compression.type":"lz4"}"#).unwrap_err().to_string();
    assert!(e.starts_with("unknown field `compression.type`"), "{e}");
}

#[test]
fn unknown_sim_config_keys_are_refused() {
    refused(&scenario_with(r#"{"seed":1,"broker":5}"#, "{}", "{}"), "broker");
    let e = serde_json::from_str::<SimConfig>(r#"{"num.partitions":3}"#).unwrap_err().to_string();
    assert!(e.starts_with("unknown field `num.partitions`"), "{e}");
}

#[test]
fn unknown_scenario_and_timed_command_keys_are_refused() {
    refused(r#"{"name":"s","run_until":5000}"#, "run_until");
    refused(r#"{"name":"s","commands":[{"at":5,"at_ms":0,"command":{"type":"crash_broker","broker":0}}]}"#, "at");
    let e = serde_json::from_str::<TimedCommand>(r#"{"at_ms":0,"after_ms":1,"command":{"type":"crash_broker","broker":0}}"#).unwrap_err();
    assert!(e.to_string().starts_with("unknown field `after_ms`"), "{e}");
}

fn lesson_with(top: &str, step: &str) -> String {
    format!(
        r#"{{"name":"l","title":"L","concept":"c",{top}"config":{{"seed":1}},
           "commands":[{{"at_ms":0,"command":{{"type":"create_topic","name":"t","partitions":2,"replication_factor":2}}}}],
           "steps":[{{"narration":"n","advance":"next"{step}}}]}}"#
    )
}

#[test]
fn unknown_lesson_keys_are_refused_naming_them() {
    Lesson::from_json("ok.json", &lesson_with("", "")).unwrap();
    let e = Lesson::from_json("x.json", &lesson_with(r#""subtitle":"s","#, "")).unwrap_err();
    assert_eq!(e.step, None);
    assert!(e.problem.contains("unknown field `subtitle`"), "{e}");
    let e = Lesson::from_json("x.json", &lesson_with("", r#","narative":"typo""#)).unwrap_err();
    assert_eq!(e.step, Some(0));
    assert!(e.problem.contains("unknown field `narative`"), "{e}");
    let e = Lesson::from_json("x.json", &lesson_with("", "").replace(r#""config":{"seed":1}"#, r#""config":{"seed":1,"seeds":2}"#)).unwrap_err();
    assert!(e.problem.contains("unknown field `seeds`"), "{e}");
    let text = lesson_with("", r#","commands":[{"type":"create_group","group_id":"g","topics":["t"],"config":{"client.rack":"a"}}]"#);
    let e = Lesson::from_json("x.json", &text).unwrap_err();
    assert!(e.problem.contains("unknown field `client.rack`"), "{e}");
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_bundled_file_still_loads() {
    let mut files = json_files(&workspace().join("static/scenarios"));
    files.extend(json_files(&workspace().join("engine/tests/scenarios")));
    files.push(workspace().join("tests/data/determinism.json"));
    assert!(files.len() >= 15, "{files:?}");
    let mut failures = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let name = path.display().to_string();
        let loaded = if is_lesson_json(&text) {
            Lesson::from_json(&name, &text).map(|_| ()).map_err(|e| e.to_string())
        } else {
            Scenario::from_json(&text).map(|_| ())
        };
        if let Err(e) = loaded {
            failures.push(format!("{name}: {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn key_spec_and_commands_refuse_unknown_keys() {
    let err = serde_json::from_str::<grouplab_engine::Command>(r#"{"type":"add_producer","topic":"t","rate_per_sec":1,"keys":{"random":{"count":3,"typo":1}}}"#).unwrap_err();
    assert!(err.to_string().contains("unknown field `typo`"), "{err}");
    let err = serde_json::from_str::<grouplab_engine::Command>(r#"{"type":"crash_broker","broker":1,"brokr":2}"#).unwrap_err();
    assert!(err.to_string().contains("unknown field `brokr`"), "{err}");
}
