//! The terminal's Kafka tools (issue 13), checked against golden transcripts: every command
//! line of `tests/data/terminal.txt` runs against the simulation its section names, and its
//! standard output, standard error, exit code and engine command must be exactly the ones
//! recorded there (Kafka 4.3's text: `ConsumerGroupCommand`, `OffsetsUtils`, `TopicCommand`,
//! joptsimple). `GROUPLAB_BLESS=1 cargo test -p grouplab-engine --test terminal` rewrites the
//! file from the lines it holds; a change to it must be explained in the commit that makes it.
//!
//! Transcript format: `# lab <name>` picks the simulation; `$ <line>` is a command line, then
//! `stdout:` / `stderr:` blocks whose lines start with `|` (so trailing spaces and blank lines
//! show), `exit: <code>`, and `command: <JSON>` when the line asks for an engine command. A
//! tool's usage screen (its `--help` table) is written `<usage of TOOL>`.
//!
//! Then the flows the transcripts cannot show: an `--execute` applied, and what the group does
//! next.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use grouplab_engine::group::{AutoOffsetReset, GroupConfig};
use grouplab_engine::kafka::topic::TopicConfig;
use grouplab_engine::tools::{run_line, ToolOutput};
use grouplab_engine::{Command, GroupView, Sim, SimConfig};

fn produce(sim: &mut Sim, key: &str, count: u32) {
    sim.apply(Command::Produce { topic: "orders".into(), count, key: Some(key.into()), acks: Default::default() }).expect("produce");
}

fn consumer(sim: &mut Sim, group: &str, id: &str) {
    sim.apply(Command::AddConsumer { group_id: group.into(), client_id: Some(id.into()), topics: vec![], group_instance_id: None }).expect("consumer");
}

fn group_config() -> GroupConfig {
    GroupConfig { auto_offset_reset: AutoOffsetReset::Earliest, ..GroupConfig::default() }
}

/// Three brokers; `orders` (3 partitions, RF 2) with records keyed `a`..`f`, `audit` (RF 1,
/// `retention.ms` overridden). `my-group` (c1, c2; c2 stalled since 20 s) is Stable; `batch`
/// consumed everything then closed: Empty with committed offsets. More records at 25 s; the
/// clock at 37.5 s, so the unconsumed ones have waited 12.5 s.
fn main_lab() -> Sim {
    let mut sim = Sim::new(SimConfig { seed: 7, ..SimConfig::default() }).expect("sim");
    sim.apply(Command::CreateTopic { name: "orders".into(), partitions: 3, replication_factor: 2, config: TopicConfig::default() }).expect("orders");
    let audit = TopicConfig { retention_ms: 3_600_000, ..TopicConfig::default() };
    sim.apply(Command::CreateTopic { name: "audit".into(), partitions: 1, replication_factor: 1, config: audit }).expect("audit");
    for (k, n) in [("a", 10), ("b", 20), ("c", 30), ("d", 40), ("e", 7), ("f", 9)] {
        produce(&mut sim, k, n);
    }
    sim.apply(Command::CreateGroup { group_id: "my-group".into(), topics: vec!["orders".into()], config: group_config() }).expect("group");
    sim.apply(Command::CreateGroup { group_id: "batch".into(), topics: vec!["orders".into()], config: group_config() }).expect("group");
    consumer(&mut sim, "my-group", "c1");
    consumer(&mut sim, "my-group", "c2");
    consumer(&mut sim, "batch", "b1");
    sim.advance_to(20_000);
    sim.apply(Command::CloseConsumer { client_id: "b1".into() }).expect("close");
    sim.apply(Command::StallConsumer { client_id: "c2".into() }).expect("stall");
    sim.advance_to(25_000);
    for (k, n) in [("a", 3), ("b", 4), ("c", 5), ("d", 6), ("e", 1), ("f", 2)] {
        produce(&mut sim, k, n);
    }
    sim.advance_to(37_500);
    sim
}

/// `my-group` 1 s after a third consumer joined: PreparingRebalance.
fn rebalancing_lab() -> Sim {
    let mut sim = main_lab();
    consumer(&mut sim, "my-group", "c3");
    sim.advance_to(38_500);
    sim
}

/// The main lab plus `kip848`, a consumer-protocol group (KIP-848) of two consumers, `k1`
/// reconciled and `k2` just joined (its partitions still being revoked from `k1`).
fn consumer_lab() -> Sim {
    let mut sim = main_lab();
    let config = GroupConfig { group_protocol: grouplab_engine::group::client::GroupProtocol::Consumer, ..group_config() };
    sim.apply(Command::CreateGroup { group_id: "kip848".into(), topics: vec!["orders".into()], config }).expect("group");
    consumer(&mut sim, "kip848", "k1");
    sim.advance_to(40_000);
    consumer(&mut sim, "kip848", "k2");
    sim.advance_to(40_030);
    sim
}

/// `shop`, a classic group of `s1` and `s2`, half-way through a rolling restart to the consumer
/// protocol: `s1` restarted with `group.protocol=consumer` and converted the group online,
/// `s2` still a classic member of it.
fn migrating_lab() -> Sim {
    let mut sim = Sim::new(SimConfig { seed: 7, ..SimConfig::default() }).expect("sim");
    sim.apply(Command::CreateTopic { name: "orders".into(), partitions: 3, replication_factor: 2, config: TopicConfig::default() }).expect("orders");
    sim.apply(Command::CreateGroup { group_id: "shop".into(), topics: vec!["orders".into()], config: group_config() }).expect("group");
    consumer(&mut sim, "shop", "s1");
    consumer(&mut sim, "shop", "s2");
    sim.advance_to(20_000);
    sim.apply(Command::SetGroupProtocol { group_id: "shop".into(), protocol: grouplab_engine::group::client::GroupProtocol::Consumer }).expect("protocol");
    sim.apply(Command::CloseConsumer { client_id: "s1".into() }).expect("close");
    sim.apply(Command::RestartConsumer { client_id: "s1".into() }).expect("restart");
    sim.advance_to(30_000);
    sim
}

/// Share groups (KIP-932) on `jobs` (2 partitions, RF 2; the leader of partition 1 moved once,
/// before any share group, so its leader epoch is 1): `workers` (w1, w2, w3; the simple
/// assignor shares a partition between two of them) is Stable, with records still to process;
/// `idle` consumed everything (10 records a fetch) then its consumer closed: Empty, with
/// share-partition state; `later` was declared and never joined. `cg` is a consumer group;
/// `audit` a topic no share group reads.
fn share_lab() -> Sim {
    use grouplab_engine::group::share::settings::{ShareGroupSettings, ShareOffsetReset};
    let mut sim = Sim::new(SimConfig { seed: 7, ..SimConfig::default() }).expect("sim");
    sim.apply(Command::CreateTopic { name: "jobs".into(), partitions: 2, replication_factor: 2, config: TopicConfig::default() }).expect("jobs");
    sim.apply(Command::CreateTopic { name: "audit".into(), partitions: 1, replication_factor: 1, config: TopicConfig::default() }).expect("audit");
    let leader = sim.view().topics.iter().find(|t| t.name == "jobs").and_then(|t| t.partitions[1].leader).expect("a leader");
    sim.apply(Command::ShutdownBroker { broker: leader }).expect("shutdown");
    sim.advance_to(1_000);
    sim.apply(Command::RestartBroker { broker: leader }).expect("restart");
    sim.advance_to(2_000);
    let jobs = |sim: &mut Sim, key: &str, count: u32| {
        sim.apply(Command::Produce { topic: "jobs".into(), count, key: Some(key.into()), acks: Default::default() }).expect("produce");
    };
    for (k, n) in [("a", 20), ("b", 25), ("c", 15)] {
        jobs(&mut sim, k, n);
    }
    let earliest = ShareGroupSettings { auto_offset_reset: ShareOffsetReset::Earliest, ..ShareGroupSettings::default() };
    let slow = ShareGroupSettings { processing_time_ms: 400, max_poll_records: 5, ..earliest.clone() };
    sim.apply(Command::CreateShareGroup { group_id: "workers".into(), topics: vec!["jobs".into()], config: slow }).expect("workers");
    let batches = ShareGroupSettings { max_poll_records: 10, ..earliest.clone() };
    sim.apply(Command::CreateShareGroup { group_id: "idle".into(), topics: vec!["jobs".into()], config: batches }).expect("idle");
    sim.apply(Command::CreateShareGroup { group_id: "later".into(), topics: vec!["jobs".into()], config: earliest }).expect("later");
    sim.apply(Command::CreateGroup { group_id: "cg".into(), topics: vec!["jobs".into()], config: group_config() }).expect("cg");
    for (g, c) in [("workers", "w1"), ("workers", "w2"), ("workers", "w3"), ("idle", "i1")] {
        consumer(&mut sim, g, c);
    }
    sim.advance_to(15_000);
    sim.apply(Command::CloseConsumer { client_id: "i1".into() }).expect("close");
    sim.advance_to(20_000);
    for (k, n) in [("a", 24), ("d", 6)] {
        jobs(&mut sim, k, n);
    }
    sim.advance_to(24_000);
    sim
}

fn lab(name: &str) -> Sim {
    match name {
        "share" => share_lab(),
        "migrating" => migrating_lab(),
        "main" => main_lab(),
        "rebalancing" => rebalancing_lab(),
        "consumer" => consumer_lab(),
        other => panic!("no lab {other}"),
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// The tool's usage screen: what its `--help` prints after the first line.
fn usage(sim: &Sim, tool: &str) -> String {
    let help = run_line(sim, &format!("{tool} --help")).stderr;
    help.split_once('\n').map(|(_, rest)| rest.to_string()).unwrap_or_default()
}

/// One transcript entry as the tools print it now.
fn transcript(sim: &Sim, line: &str) -> String {
    let o: ToolOutput = run_line(sim, line);
    let mut stderr = o.stderr.clone();
    for tool in ["kafka-consumer-groups.sh", "kafka-share-groups.sh", "kafka-topics.sh"] {
        let u = usage(sim, tool);
        if !u.is_empty() && stderr.ends_with(&u) {
            stderr = format!("{}<usage of {tool}>\n", &stderr[..stderr.len() - u.len()]);
        }
    }
    let mut out = if line.is_empty() { "$\n".to_string() } else { format!("$ {line}\n") };
    for (name, text) in [("stdout", &o.stdout), ("stderr", &stderr)] {
        if text.is_empty() {
            continue;
        }
        writeln!(out, "{name}:").unwrap();
        let body = text.strip_suffix('\n').unwrap_or(text);
        for l in body.split('\n') {
            writeln!(out, "|{l}").unwrap();
        }
        if !text.ends_with('\n') {
            writeln!(out, "(no newline at end)").unwrap();
        }
    }
    writeln!(out, "exit: {}", o.exit_code).unwrap();
    if let Some(c) = &o.command {
        writeln!(out, "command: {}", serde_json::to_string(c).unwrap()).unwrap();
    }
    out
}

/// Every entry of the transcript file, run again; returns (expected, now).
fn check_transcripts() -> (String, String) {
    let path = root().join("tests/data/terminal.txt");
    let want = std::fs::read_to_string(&path).expect("tests/data/terminal.txt");
    let mut now = String::new();
    let mut sim: Option<Sim> = None;
    for line in want.lines() {
        if let Some(name) = line.strip_prefix("# lab ") {
            sim = Some(lab(name.trim()));
            writeln!(now, "{line}").unwrap();
        } else if let Some(cmd) = line.strip_prefix("$ ").or((line == "$").then_some("")) {
            let s = sim.as_ref().expect("a `# lab` line first");
            now.push_str(&transcript(s, cmd));
        } else if line.starts_with('#') || line.is_empty() {
            writeln!(now, "{line}").unwrap();
        }
    }
    (want, now)
}

#[test]
fn the_tools_print_what_kafka_prints() {
    let (want, now) = check_transcripts();
    if std::env::var_os("GROUPLAB_BLESS").is_some() {
        std::fs::write(root().join("tests/data/terminal.txt"), &now).unwrap();
        return;
    }
    let w: Vec<&str> = want.lines().collect();
    let n: Vec<&str> = now.lines().collect();
    if let Some(i) = (0..w.len().max(n.len())).find(|&i| w.get(i) != n.get(i)) {
        let from = i.saturating_sub(8);
        panic!(
            "transcript differs at line {} of tests/data/terminal.txt:\nwant:\n{}\nnow:\n{}",
            i + 1,
            w[from..(i + 8).min(w.len())].join("\n"),
            n[from..(i + 8).min(n.len())].join("\n")
        );
    }
}

/// The usage screen is joptsimple's table of Kafka's options (checked once here; the
/// transcripts write it `<usage of …>`).
#[test]
fn usage_is_the_option_table() {
    let sim = main_lab();
    let u = usage(&sim, "kafka-consumer-groups.sh");
    let lines: Vec<&str> = u.lines().collect();
    assert_eq!(lines[0], "Option                                  Description                            ");
    assert_eq!(lines[2], "--all-groups                            Apply to all consumer groups.          ");
    assert_eq!(lines[5].trim_end(), "--bootstrap-server <String: server to   The server(s) to connect to. REQUIRED");
    assert!(lines.iter().all(|l| l.chars().count() == 79), "every line padded to both columns");
    assert!(u.contains("--timeout <Long: timeout (ms)>"));
    assert!(u.contains("some changes). (default: 30000)"));
    let s = usage(&sim, "kafka-share-groups.sh");
    let width = s.lines().next().map_or(0, |l| l.chars().count());
    assert!(s.lines().all(|l| l.chars().count() == width), "every line padded to both columns: {s}");
    assert!(s.contains("--group <String: share group>          The share group we wish to act on."), "{s}");
    assert!(s.contains("--state [String]"), "{s}");
    assert!(!s.contains("--to-offset"), "Kafka 4.2's scenarios only: {s}");
    let t = usage(&sim, "kafka-topics.sh");
    assert!(t.contains("--bootstrap-server <String: server to   REQUIRED: The Kafka server to connect"), "{t}");
}

fn group(sim: &Sim, gid: &str) -> GroupView {
    sim.group_views().into_iter().find(|g| g.group_id == gid).unwrap_or_else(|| panic!("group {gid}"))
}

/// Runs a line and applies the engine command it asks for, as the UI and the CLI do.
fn execute(sim: &mut Sim, line: &str) -> ToolOutput {
    let o = run_line(sim, line);
    if let Some(c) = o.command.clone() {
        sim.apply(c).unwrap_or_else(|e| panic!("{line}: {e}"));
    }
    o
}

/// `--reset-offsets --execute` on an Empty group: the command commits the plan, `--describe`
/// shows it once replicated, and the next consumer of the group starts there.
#[test]
fn a_reset_is_where_the_next_consumer_starts() {
    let mut sim = main_lab();
    let before: Vec<u64> = group(&sim, "batch").lag.iter().map(|l| l.committed.expect("batch committed")).collect();
    let o = execute(&mut sim, "kafka-consumer-groups.sh --bootstrap-server b:9092 --reset-offsets --group batch --topic orders --to-offset 3 --execute");
    assert_eq!(o.exit_code, 0, "{o:?}");
    sim.advance_to(sim.now_ms() + 200);
    let g = group(&sim, "batch");
    let committed: Vec<Option<u64>> = g.lag.iter().map(|l| l.committed).collect();
    assert_eq!(committed, [Some(3), Some(3), Some(3)]);
    let d = run_line(&sim, "kafka-consumer-groups.sh --bootstrap-server b:9092 --describe --group batch").stdout;
    assert!(d.lines().skip(2).all(|l| l.split_whitespace().nth(3) == Some("3")), "{d}");
    sim.apply(Command::RestartConsumer { client_id: "b1".into() }).expect("restart");
    sim.advance_to(sim.now_ms() + 15_000);
    let g = group(&sim, "batch");
    assert_eq!(g.state, "Stable");
    // b1 had processed each partition up to its committed offset; from offset 3 it processes
    // those records again, then the new ones.
    let repeated: u64 = before.iter().map(|c| c - 3).sum();
    assert_eq!(g.delivery.duplicates, repeated, "re-read from offset 3 of each partition");
    assert!(g.lag.iter().all(|l| l.committed == Some(l.high_watermark)), "caught up: {:?}", g.lag);
}

/// A reset refused on a Stable group asks for no command; one on a group the cluster does not
/// know creates it, and its first consumer starts at the reset offsets.
#[test]
fn stable_groups_refuse_and_new_groups_start_at_the_reset() {
    let mut sim = main_lab();
    let o = execute(&mut sim, "kafka-consumer-groups.sh --bootstrap-server b:9092 --reset-offsets --group my-group --all-topics --to-earliest --execute");
    assert_eq!((o.command, o.exit_code), (None, 1));
    let o = execute(&mut sim, "kafka-consumer-groups.sh --bootstrap-server b:9092 --reset-offsets --group fresh --topic orders --to-latest --execute");
    let Some(Command::AlterConsumerGroupOffsets { offsets, .. }) = &o.command else { panic!("{o:?}") };
    assert_eq!(offsets.len(), 3);
    sim.advance_to(sim.now_ms() + 200);
    sim.apply(Command::CreateGroup { group_id: "fresh".into(), topics: vec!["orders".into()], config: group_config() }).expect("declare its topics");
    consumer(&mut sim, "fresh", "f1");
    sim.advance_to(sim.now_ms() + 15_000);
    let g = group(&sim, "fresh");
    assert_eq!(g.state, "Stable");
    assert_eq!(g.delivery.processed, 0, "started at the end: nothing old to read");
}

/// `--delete-offsets` on an Empty group: the command deletes exactly the partitions reported
/// `Successful`; `--describe` no longer lists them.
#[test]
fn deleted_offsets_disappear_from_describe() {
    let mut sim = main_lab();
    let o = execute(&mut sim, "kafka-consumer-groups.sh --bootstrap-server b:9092 --delete-offsets --group batch --topic orders:1,2");
    assert!(o.stdout.starts_with("Request succeeded for deleting offsets from group batch."), "{o:?}");
    sim.advance_to(sim.now_ms() + 200);
    let d = run_line(&sim, "kafka-consumer-groups.sh --bootstrap-server b:9092 --describe --group batch").stdout;
    let partitions: Vec<&str> = d.lines().skip(2).filter_map(|l| l.split_whitespace().nth(2)).collect();
    assert_eq!(partitions, ["0"], "{d}");
}

fn share_group(sim: &Sim, gid: &str) -> grouplab_engine::ShareGroupView {
    sim.view().share_groups.into_iter().find(|g| g.group_id == gid).unwrap_or_else(|| panic!("share group {gid}"))
}

/// `kafka-share-groups.sh --reset-offsets --execute` on an Empty share group: the command
/// alters the start offset, `--describe` shows it at once (the share coordinator's state), and
/// the group's next consumer delivers from there; a Stable group refuses with no command.
#[test]
fn a_share_reset_is_where_the_next_consumers_start() {
    let mut sim = share_lab();
    let o = execute(&mut sim, "kafka-share-groups.sh --bootstrap-server b:9092 --reset-offsets --group workers --all-topics --to-earliest --execute");
    assert_eq!((o.command, o.exit_code, o.stderr.as_str()), (None, 1, "Share group 'workers' is not empty.\n"));
    let before = share_group(&sim, "idle").delivery;
    assert_eq!((before.distinct, before.duplicates), (60, 0), "i1 processed jobs-0's first 60 records");
    let o = execute(&mut sim, "kafka-share-groups.sh --bootstrap-server b:9092 --reset-offsets --group idle --topic jobs:0 --to-earliest --execute");
    assert_eq!(o.exit_code, 0, "{o:?}");
    let d = run_line(&sim, "kafka-share-groups.sh --bootstrap-server b:9092 --describe --group idle").stdout;
    let row: Vec<&str> = d.lines().find(|l| l.starts_with("idle ") && l.split_whitespace().nth(2) == Some("0")).expect("jobs-0").split_whitespace().collect();
    assert_eq!(row[3..], ["0", "84"], "START-OFFSET 0, LAG = HW: {d}");
    sim.apply(Command::RestartConsumer { client_id: "i1".into() }).expect("restart");
    sim.advance_to(sim.now_ms() + 15_000);
    let g = share_group(&sim, "idle");
    assert_eq!((g.state.as_str(), g.delivery.distinct, g.delivery.duplicates), ("Stable", 90, 60), "jobs-0 from offset 0 again, then jobs-1: {:?}", g.delivery);
}

/// `--delete-offsets` on an Empty share group: the command deletes the topic's share-partition
/// state, and `--describe` has nothing left to show.
#[test]
fn deleted_share_offsets_disappear_from_describe() {
    let mut sim = share_lab();
    let o = execute(&mut sim, "kafka-share-groups.sh --bootstrap-server b:9092 --delete-offsets --group idle --topic jobs");
    assert_eq!(o.stdout, "\nTOPIC           STATUS\njobs            Successful\n");
    let d = run_line(&sim, "kafka-share-groups.sh --bootstrap-server b:9092 --describe --group idle").stdout;
    assert_eq!(d, "\nShare group 'idle' has no offset information.\n");
}

/// No command line panics: every prefix of a long line, and a few odd words.
#[test]
fn bad_input_never_panics() {
    let sim = main_lab();
    let line = "kafka-consumer-groups.sh --bootstrap-server b --reset-offsets --group batch --topic orders:0,x --to-datetime 1970-13-01T00:00:00.000+25:00 --by-duration P-1DT --shift-by 99999999999999999999 --export --execute";
    for i in 0..=line.len() {
        let _ = run_line(&sim, &line[..i]);
    }
    let line = "kafka-share-groups.sh --bootstrap-server b --reset-offsets --group idle --topic jobs:0,x --to-datetime 1970-13-01T00:00:00.000+25:00 --state= --execute";
    for i in 0..=line.len() {
        let _ = run_line(&sim, &line[..i]);
    }
    for odd in ["\"", "'", "\\", "kafka-share-groups.sh --list --state ,", "kafka-share-groups.sh --bootstrap-server b --delete-offsets --group '' --topic ''", "kafka-topics.sh --topic '(' --describe --bootstrap-server b", "kafka-consumer-groups.sh -", "kafka-consumer-groups.sh --", "kafka-consumer-groups.sh =", "kafka-topics.sh --describe --bootstrap-server b --topic [z-a]"] {
        let _ = run_line(&sim, odd);
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 300, ..Default::default() })]

    /// Random command lines built from the tools' own words, numbers, dates and odd text never
    /// panic, and every error comes with a non-zero exit code.
    #[test]
    fn random_lines_never_panic(words in proptest::collection::vec(proptest::sample::select(WORDS.to_vec()), 0..12), odd in "\\PC{0,12}") {
        static SIM: std::sync::OnceLock<Sim> = std::sync::OnceLock::new();
        let sim = SIM.get_or_init(main_lab);
        let mut line = words.join(" ");
        line.push(' ');
        line.push_str(&odd);
        let o = run_line(sim, &line);
        if o.stdout.contains("\nError: ") || o.stderr.starts_with("Exception in thread") {
            proptest::prop_assert_ne!(o.exit_code, 0, "{}", line);
        }
        let o = run_line(sim, &format!("kafka-consumer-groups.sh --bootstrap-server b {line}"));
        if o.command.is_some() {
            proptest::prop_assert_eq!(o.exit_code, 0, "{}", line);
        }
    }
}

const WORDS: &[&str] = &[
    "kafka-consumer-groups.sh", "kafka-share-groups.sh", "kafka-topics.sh", "--bootstrap-server", "b:9092", "--list", "--describe", "--reset-offsets",
    "--delete-offsets", "--group", "my-group", "batch", "fresh", "--all-groups", "--topic", "orders", "orders:0,2", "audit",
    "orders:-1", "orders:", ":0", "--all-topics", "--to-earliest", "--to-latest", "--to-current", "--to-offset", "--shift-by",
    "-3", "7", "99999999999", "--to-datetime", "1970-01-01T00:00:20.000", "1970-01-01T00:00:20.000+02:00", "--by-duration",
    "PT10S", "P1D", "-PT5S", "--dry-run", "--execute", "--export", "--members", "--state", "--offsets", "--verbose", "--type",
    "classic", "consumer", "stable,empty", "--timeout", "--exclude-internal", "--under-replicated-partitions",
    "--topics-with-overrides", "--help", "--version", "--", "-x", "=", "'", "\"", "help",
];

/// The browser's golden transcripts (`tests/data/terminal/golden.json`, also checked by
/// `tests/e2e/terminal.spec.mjs` in headless Chromium): each session's scenario played to its
/// time, then its lines run in order (an `--execute`'s command applied before the next line, as
/// the UI's terminal and `grouplab terminal` do) must print exactly the recorded stdout and
/// stderr. `GROUPLAB_BLESS=1` rewrites the entries from the lines.
#[test]
fn browser_golden_is_what_the_engine_prints() {
    use grouplab_engine::run::timeline::{Collect, Timeline};
    use grouplab_engine::Scenario;
    let dir = root().join("../tests/data/terminal");
    let path = dir.join("golden.json");
    let mut golden: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut fresh = golden.clone();
    for (i, session) in golden["sessions"].as_array_mut().unwrap().iter_mut().enumerate() {
        let file = session["scenario"].as_str().unwrap();
        let scenario = Scenario::from_json(&std::fs::read_to_string(dir.join(file)).unwrap()).unwrap();
        let mut sim = Sim::new(scenario.config.clone()).unwrap();
        let mut timeline = Timeline::new(scenario.commands.clone());
        let mut seen = Collect::default();
        timeline.advance(&mut sim, session["at_ms"].as_u64().unwrap(), &mut seen);
        assert!(seen.rejected.is_empty(), "{file}: {:?}", seen.rejected);
        let mut entries = Vec::new();
        for line in session["lines"].as_array().unwrap() {
            let line = line.as_str().unwrap();
            let o = run_line(&sim, line);
            let mut stderr = o.stderr;
            if let Some(c) = o.command {
                if let Err(e) = sim.apply(c) {
                    stderr.push_str(&format!("Error: {e}\n"));
                }
            }
            entries.push(serde_json::json!({ "line": line, "stdout": o.stdout, "stderr": stderr }));
        }
        fresh["sessions"][i]["entries"] = serde_json::Value::Array(entries);
    }
    if std::env::var_os("GROUPLAB_BLESS").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(&fresh).unwrap() + "\n").unwrap();
        return;
    }
    for (want, now) in golden["sessions"].as_array().unwrap().iter().zip(fresh["sessions"].as_array().unwrap()) {
        assert_eq!(want["entries"], now["entries"], "{}: run with GROUPLAB_BLESS=1 if the change is intended", want["scenario"]);
    }
}
