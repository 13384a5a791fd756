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

/// `grouplab terminal`: the scenario's timeline up to `--at`, then each line at that time,
/// `$ LINE` then its output; an `--execute`'s command is applied before the next line.
#[test]
fn terminal_runs_tool_lines_at_a_time() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/scenarios/group_rebalance.json");
    let b = "--bootstrap-server localhost:9092";
    let lines = [
        format!("kafka-consumer-groups.sh {b} --list"),
        format!("kafka-consumer-groups.sh {b} --reset-offsets --group eager --all-topics --to-earliest --execute"),
        format!("kafka-consumer-groups.sh {b} --reset-offsets --group replay --topic orders:0,1 --to-earliest --execute"),
        format!("kafka-consumer-groups.sh {b} --list"),
        format!("kafka-consumer-groups.sh {b} --describe --group eager --state"),
    ];
    let mut args = vec!["terminal", path, "--at", "30000"];
    args.extend(lines.iter().map(String::as_str));
    let (code, out, err) = grouplab(&args);
    assert_eq!(code, 0, "the last line's status: {out}{err}");
    let want = format!(
        "$ {}\ncooperative\neager\n\
         $ {}\n\nError: Assignments can only be reset if the group 'eager' is inactive, but the current state is Stable.\n\nGROUP           TOPIC           PARTITION  NEW-OFFSET\n\
         $ {}\n\nGROUP           TOPIC           PARTITION  NEW-OFFSET\nreplay          orders          0          0\nreplay          orders          1          0\n\
         $ {}\ncooperative\neager\nreplay\n\
         $ {}\n\nGROUP           COORDINATOR (ID)          ASSIGNMENT-STRATEGY  STATE                #MEMBERS\neager           broker-0:9092  (0)        range                Stable               3\n",
        lines[0], lines[1], lines[2], lines[3], lines[4]
    );
    assert_eq!(out, want, "the reset created `replay` before the next --list");
    assert_eq!(err, "", "no status line for a Stable group");
}

/// An engine refusal of the command is printed `Error: <error>` and fails the line.
#[test]
fn terminal_prints_the_engines_refusal() {
    let dir = std::env::temp_dir().join(format!("grouplab-cli-terminal-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("one-broker.json");
    // One broker cannot host `__consumer_offsets` with its default replication factor 3: no coordinator.
    std::fs::write(&f, r#"{"name":"x","config":{"brokers":1},"commands":[{"at_ms":0,"command":{"type":"create_topic","name":"t","partitions":1,"replication_factor":1}}]}"#).unwrap();
    let line = "kafka-consumer-groups.sh --bootstrap-server b:9092 --reset-offsets --group g --topic t --to-latest --execute";
    let (code, out, _) = grouplab(&["terminal", f.to_str().unwrap(), line]);
    assert_eq!(code, 1);
    assert!(out.ends_with("Error: COORDINATOR_NOT_AVAILABLE: The coordinator is not available.\n"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn terminal_usage_errors_exit_2() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/scenarios/group_rebalance.json");
    let lesson = concat!(env!("CARGO_MANIFEST_DIR"), "/../static/scenarios/consumer-groups.json");
    for args in [
        vec!["terminal"],
        vec!["terminal", path],
        vec!["terminal", path, "--at"],
        vec!["terminal", path, "--at", "soon", "help"],
        vec!["terminal", path, "--at", "999999999999", "help"],
        vec!["terminal", "/nonexistent/file.json", "help"],
        vec!["terminal", lesson, "help"],
    ] {
        let (code, _, err) = grouplab(&args);
        assert_eq!(code, 2, "{args:?}");
        assert!(err.contains("usage:"), "{args:?}: {err}");
    }
    let (code, out, _) = grouplab(&["terminal", path, "--at", "0", "help", "nope"]);
    assert_eq!(code, 127, "the last line's status (command not found)");
    assert!(out.starts_with("$ help\nGroupLab terminal"), "{out}");
}
