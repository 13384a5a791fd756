//! The `grouplab` binary, run as a process.

use std::process::Command;

fn grouplab(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_grouplab")).args(args).output().expect("run grouplab");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn partition_prints_one_line_per_key() {
    let (code, out, _) = grouplab(&["partition", "--partitions", "12", "21", "foobar", "a-little-bit-long-string", "abc"]);
    assert_eq!(code, 0);
    assert_eq!(out, "0\n6\n8\n3\n");
    let (code, out, _) = grouplab(&["partition", "foobar", "--partitions", "6"]);
    assert_eq!((code, out.as_str()), (0, "0\n"));
}

#[test]
fn coordinator_uses_java_hash_code() {
    assert_eq!(grouplab(&["coordinator", "my-group"]).1, "12\n");
    assert_eq!(grouplab(&["coordinator", "group"]).1, "47\n");
    assert_eq!(grouplab(&["coordinator", "my-group", "--offsets-partitions", "7"]).1, format!("{}\n", 1906497762 % 7));
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        vec![],
        vec!["nope"],
        vec!["partition", "k"],
        vec!["partition", "--partitions", "0", "k"],
        vec!["partition", "--partitions", "x", "k"],
        vec!["partition", "--partitions", "3"],
        vec!["coordinator"],
        vec!["coordinator", "a", "b"],
        vec!["coordinator", "g", "--offsets-partitions"],
        vec!["run"],
        vec!["run", "/nonexistent/file.json"],
    ] {
        let (code, _, err) = grouplab(&args);
        assert_eq!(code, 2, "{args:?}");
        assert!(err.contains("usage:"), "{args:?}: {err}");
    }
}

#[test]
fn run_prints_trace_then_view() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/scenarios/unclean_election.json");
    let (code, out, err) = grouplab(&["run", path]);
    assert_eq!(code, 0, "{err}");
    let json_start = out.find("\n{").expect("view JSON after the trace") + 1;
    let (trace, json) = out.split_at(json_start);
    assert!(trace.lines().all(|l| l.starts_with("t=")), "{trace}");
    assert!(trace.contains("LEADER p=clicks-0 leader=0 epoch=1 UNCLEAN"), "{trace}");
    assert!(trace.contains("LOST p=clicks-0"), "{trace}");
    let view: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(view["now_ms"], 30000);
    assert_eq!(view["topics"][1]["name"], "clicks");
    assert!(view["topics"][1]["partitions"][0]["lost_acknowledged"].as_u64().unwrap() > 0);

    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/scenarios/leader_failover.json");
    let (code, out, err) = grouplab(&["run", path]);
    assert_eq!(code, 0, "{err}");
    let json = &out[out.find("\n{").unwrap() + 1..];
    let view: serde_json::Value = serde_json::from_str(json).unwrap();
    for p in view["topics"][1]["partitions"].as_array().unwrap() {
        assert_eq!(p["lost_acknowledged"], 0);
        assert_eq!(p["isr"].as_array().unwrap().len(), 3);
    }
    let prod = &view["producers"][0];
    assert!(prod["acknowledged"].as_u64().unwrap() > 0);
}

#[test]
fn bad_scenario_json_is_a_usage_error() {
    let dir = std::env::temp_dir().join(format!("grouplab-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("bad.json");
    std::fs::write(&f, "{ not json").unwrap();
    let (code, _, err) = grouplab(&["run", f.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("invalid scenario JSON"), "{err}");
    std::fs::write(&f, r#"{"name":"x","config":{"brokers":0}}"#).unwrap();
    let (code, _, err) = grouplab(&["run", f.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("brokers"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
