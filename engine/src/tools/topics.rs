//! `kafka-topics.sh --list` and `--describe` over a [`Sim`]: Kafka 4.3's `TopicCommand`
//! (`tools/src/main/java/org/apache/kafka/tools/TopicCommand.java`), its options and checks
//! (`TopicCommandOptions.checkArgs`), and its describe lines (`TopicDescription` /
//! `PartitionDescription.printDescription`):
//!
//! ```text
//! Topic: t\tTopicId: <id>\tPartitionCount: 3\tReplicationFactor: 2\tConfigs: <non-default k=v,...>
//! \tTopic: t\tPartition: 0\tLeader: 1\tReplicas: 1,2\tIsr: 1,2\tElr: \tLastKnownElr: 
//! ```
//!
//! `--topic` is a regular expression matched against whole names (`TopicFilter.IncludeList`,
//! [`super::regex`]); topics are listed by name. `Leader: none` for an offline partition. The
//! Admin client's DescribeTopicPartitions answers the ELR and last-known-ELR lists (empty when
//! none). The topic id is GroupLab's deterministic one
//! ([`crate::kafka::topic::topic_id`], also in the view). `--create`, `--alter` and `--delete`
//! are not simulated here (the UI's forms do that).

use crate::api::view::{PartitionView, TopicView, View};
use crate::kafka::topic::TopicConfig;
use crate::Sim;

use super::options::{self, spec_name, Parsed, Spec};
use super::regex::Regex;
use super::table::ToolOutput;

/// `TopicCommandOptions`' options, with Kafka's help texts.
pub const SPECS: &[Spec] = &[
    Spec::string("bootstrap-server", "server to connect to", "REQUIRED: The Kafka server to connect to."),
    Spec::string("command-config", "command config property file", "Property file containing configs to be passed to Admin Client."),
    Spec::flag("list", "List all available topics."),
    Spec::flag("create", "Create a new topic."),
    Spec::flag("delete", "Delete a topic."),
    Spec::flag("alter", "Alter the number of partitions and replica assignment. (To alter topic configurations, the kafka-configs tool can be used.)"),
    Spec::flag("describe", "List details for the given topics."),
    Spec::string("topic", "topic", "The topic to create, alter, describe or delete. It also accepts a regular expression, except for --create option."),
    Spec::string("topic-id", "topic-id", "The topic-id to describe."),
    Spec::string(
        "config",
        "name=value",
        "A topic configuration override for the topic being created. The following is a list of valid configurations: \n\tcleanup.policy\n\tmin.insync.replicas\n\tretention.bytes\n\tretention.ms\n\tsegment.bytes\n\tsegment.ms\n\tunclean.leader.election.enable\nSee the Kafka documentation for full details on the topic configs. It is supported only in combination with --create. (To alter topic configurations, the kafka-configs tool can be used.)",
    ),
    Spec::string("delete-config", "name", "This option is no longer supported and has been deprecated since 4.0"),
    Spec::string(
        "partitions",
        "# of partitions",
        "The number of partitions for the topic being created or altered. If not supplied with --create, the topic uses the cluster default. (WARNING: If partitions are increased for a topic that has a key, the partition logic or ordering of the messages will be affected).",
    ),
    Spec::string("replication-factor", "replication factor", "The replication factor for each partition in the topic being created. If not supplied, the topic uses the cluster default."),
    Spec::string(
        "replica-assignment",
        "broker_id_for_part1_replica1 : broker_id_for_part1_replica2 , broker_id_for_part2_replica1 : broker_id_for_part2_replica2 , ...",
        "A list of manual partition-to-broker assignments for the topic being created or altered.",
    ),
    Spec::flag("under-replicated-partitions", "If set when describing topics, only show under-replicated partitions."),
    Spec::flag("unavailable-partitions", "If set when describing topics, only show partitions whose leader is not available."),
    Spec::flag("under-min-isr-partitions", "If set when describing topics, only show partitions whose isr count is less than the configured minimum."),
    Spec::flag("at-min-isr-partitions", "If set when describing topics, only show partitions whose isr count is equal to the configured minimum."),
    Spec::flag("topics-with-overrides", "If set when describing topics, only show topics that have overridden configs."),
    Spec::flag("if-exists", "If set when altering or deleting or describing topics, the action will only execute if the topic exists."),
    Spec::flag("if-not-exists", "If set when creating topics, the create request will not fail if the topic already exists, but the request will still be sent."),
    Spec::flag("exclude-internal", "Exclude internal topics when listing or describing topics. By default, the internal topics are included."),
    Spec::string("partition-size-limit-per-response", "maximum number of partitions per response", "The maximum partition size to be included in one DescribeTopicPartitions response."),
    Spec::flag("help", "Print usage information.").for_help(),
    Spec::flag("version", "Display Kafka version.").for_help(),
];

/// `allTopicLevelOpts`.
const TOPIC_LEVEL: &[&str] = &["alter", "create", "describe", "list", "delete"];
const REPORTS: &[&str] = &["under-replicated-partitions", "under-min-isr-partitions", "at-min-isr-partitions", "unavailable-partitions"];

enum Stop {
    Usage(String),
    Uncaught(String),
}

/// `TopicCommandOptions.checkInvalidArgs`' `invalidOptions(add, remove)`.
fn invalid(add: &[&'static str], remove: &[&str]) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = TOPIC_LEVEL.iter().copied().filter(|o| !remove.contains(o)).collect();
    v.extend(add.iter().copied());
    v
}

fn check_invalid(opts: &Parsed, used: &str, bad: &[&str]) -> Result<(), Stop> {
    if opts.has(used) {
        if let Some(b) = bad.iter().find(|b| opts.has(b)) {
            return Err(Stop::Usage(format!("Option \"{}\" can't be used with option \"{}\"", spec_name(used), spec_name(b))));
        }
    }
    Ok(())
}

/// `TopicCommandOptions.checkArgs` (after the help and version checks).
fn check_args(opts: &Parsed, out: &mut ToolOutput) -> Result<(), Stop> {
    let actions = ["create", "list", "alter", "describe", "delete"].iter().filter(|a| opts.has(a)).count();
    if actions != 1 {
        return Err(Stop::Usage("Command must include exactly one action: --list, --describe, --create, --alter or --delete".into()));
    }
    if opts.has("delete-config") {
        out.err("delete-config option is no longer supported and deprecated since version 4.0. The config will be fully removed in future releases.\n");
    }
    if !opts.has("bootstrap-server") {
        return Err(Stop::Uncaught("java.lang.IllegalArgumentException: --bootstrap-server must be specified".into()));
    }
    if opts.has("describe") && opts.has("if-exists") {
        if !opts.has("topic") && !opts.has("topic-id") {
            return Err(Stop::Usage("--topic or --topic-id is required to describe a topic".into()));
        }
        if opts.has("topic") && opts.has("topic-id") {
            out.out("Only topic id will be used when both --topic and --topic-id are specified and topicId is not Uuid.ZERO_UUID\n");
        }
    }
    if !opts.has("list") && !opts.has("describe") && !opts.has("topic") {
        return Err(Stop::Usage(format!("Missing required argument \"{}\"", spec_name("topic"))));
    }
    check_invalid(opts, "config", &invalid(&[], &["alter", "create"]))?;
    check_invalid(opts, "partitions", &invalid(&[], &["alter", "create"]))?;
    check_invalid(opts, "replication-factor", &invalid(&[], &["create"]))?;
    check_invalid(opts, "replica-assignment", &invalid(&[], &["alter", "create"]))?;
    for r in REPORTS {
        check_invalid(opts, r, &invalid(&["topics-with-overrides"], &["describe", r]))?;
    }
    let mut reports_and_levels = invalid(&[], &["describe"]);
    reports_and_levels.extend(REPORTS.iter().copied());
    check_invalid(opts, "topics-with-overrides", &reports_and_levels)?;
    check_invalid(opts, "if-exists", &invalid(&[], &["alter", "delete", "describe"]))?;
    check_invalid(opts, "if-not-exists", &invalid(&[], &["create"]))?;
    check_invalid(opts, "exclude-internal", &invalid(&[], &["list", "describe"]))?;
    Ok(())
}

/// Runs `kafka-topics.sh` with `args` against `sim`.
pub fn run(sim: &Sim, args: &[String]) -> ToolOutput {
    let mut out = ToolOutput::default();
    let opts = match options::parse(SPECS, args) {
        Ok(p) => p,
        Err(e) => {
            options::uncaught(&mut out, &e);
            return out;
        }
    };
    if args.is_empty() {
        options::usage_error(&mut out, SPECS, "Create, delete, describe, or change a topic.");
        return out;
    }
    if opts.has("help") {
        options::usage_error(&mut out, SPECS, "This tool helps to create, delete, describe, or change a topic.");
        return out;
    }
    if opts.has("version") {
        out.out(&format!("{}\n", super::consumer_groups::KAFKA_VERSION));
        return out;
    }
    match check_args(&opts, &mut out) {
        Ok(()) => {}
        Err(Stop::Usage(msg)) => {
            options::usage_error(&mut out, SPECS, &msg);
            return out;
        }
        Err(Stop::Uncaught(msg)) => {
            out.err(&format!("Exception in thread \"main\" {msg}\n"));
            out.exit_code = 1;
            return out;
        }
    }
    // `TopicCommand.main`: errors print `Error while executing topic command : <message>`.
    if let Err(msg) = execute(sim, &opts, &mut out) {
        out.out(&format!("Error while executing topic command : {msg}\n"));
        out.exit_code = 1;
    }
    out
}

/// `getTopics`: the topic names, sorted, matching `--topic` (a regex over the whole name), without
/// the internal ones under `--exclude-internal`.
fn topics<'a>(view: &'a View, opts: &Parsed) -> Result<Vec<&'a TopicView>, String> {
    let exclude_internal = opts.has("exclude-internal");
    let filter = match opts.value("topic").map_err(|e| e.message)? {
        Some(raw) => {
            // `TopicFilter`: trimmed, `,` → `|`, spaces and surrounding quotes removed.
            let re = raw.trim().replace(',', "|").replace(' ', "");
            let re = re.trim_start_matches(['"', '\'']).trim_end_matches(['"', '\'']).to_string();
            Some(Regex::new(&re).ok_or_else(|| format!("{re} is an invalid regex."))?)
        }
        None => None,
    };
    let mut v: Vec<&TopicView> = view
        .topics
        .iter()
        .filter(|t| !(exclude_internal && t.internal))
        .filter(|t| filter.as_ref().is_none_or(|f| f.matches(&t.name)))
        .collect();
    crate::kernel::sort::sort_by(&mut v, |a, b| a.name.cmp(&b.name));
    Ok(v)
}

fn execute(sim: &Sim, opts: &Parsed, out: &mut ToolOutput) -> Result<(), String> {
    if opts.has("command-config") {
        return Err("--command-config is not simulated by GroupLab".into());
    }
    for action in ["create", "alter", "delete"] {
        if opts.has(action) {
            return Err(format!("--{action} is not simulated by GroupLab"));
        }
    }
    if opts.has("topic-id") {
        return Err("--topic-id is not simulated by GroupLab".into());
    }
    let view = sim.view();
    let found = topics(&view, opts)?;
    if opts.has("list") {
        let names: Vec<&str> = found.iter().map(|t| t.name.as_str()).collect();
        out.out(&format!("{}\n", names.join("\n")));
        return Ok(());
    }
    // `ensureTopicExists`
    if let Some(t) = opts.value("topic").map_err(|e| e.message)? {
        if !t.is_empty() && found.is_empty() && !opts.has("if-exists") {
            return Err(format!("Topic '{t}' does not exist as expected"));
        }
    }
    let describe_configs = !REPORTS.iter().any(|r| opts.has(r));
    let describe_partitions = !opts.has("topics-with-overrides");
    let live: Vec<u32> = view.brokers.iter().filter(|b| b.alive).map(|b| b.id).collect();
    for t in found {
        let configs = non_default_configs(sim, &t.name);
        if describe_configs && (!opts.has("topics-with-overrides") || !configs.is_empty()) {
            let rf = t.partitions.first().map_or(0, |p| p.replicas.len());
            out.out(&format!(
                "Topic: {}\tTopicId: {}\tPartitionCount: {}\tReplicationFactor: {rf}\tConfigs: {configs}\n",
                t.name,
                t.topic_id,
                t.partitions.len()
            ));
        }
        if describe_partitions {
            for p in &t.partitions {
                if describe_configs || report_shows(opts, t, p, &live) {
                    out.out(&partition_line(&t.name, p));
                }
            }
        }
    }
    Ok(())
}

/// `DescribeOptions.shouldPrintTopicPartition`'s reports.
fn report_shows(opts: &Parsed, t: &TopicView, p: &PartitionView, live: &[u32]) -> bool {
    let min_isr = usize::from(t.min_insync_replicas);
    let no_leader = p.leader.is_none();
    (opts.has("under-replicated-partitions") && p.replicas.len() > p.isr.len())
        || (opts.has("unavailable-partitions") && p.leader.is_none_or(|l| !live.contains(&l)))
        || (opts.has("under-min-isr-partitions") && (no_leader || p.isr.len() < min_isr))
        || (opts.has("at-min-isr-partitions") && p.isr.len() == min_isr)
}

fn ids(v: &[u32]) -> String {
    v.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}

/// `PartitionDescription.printDescription`.
fn partition_line(topic: &str, p: &PartitionView) -> String {
    let leader = p.leader.map_or_else(|| "none".to_string(), |l| l.to_string());
    format!(
        "\tTopic: {topic}\tPartition: {}\tLeader: {leader}\tReplicas: {}\tIsr: {}\tElr: {}\tLastKnownElr: {}\n",
        p.partition,
        ids(&p.replicas),
        ids(&p.isr),
        ids(&p.elr),
        ids(&p.last_known_elr)
    )
}

/// The topic's configs that are not the defaults, `name=value` by name (`ConfigEntry.isDefault`).
fn non_default_configs(sim: &Sim, topic: &str) -> String {
    let Some(t) = sim.cluster().topic(topic) else { return String::new() };
    let (Ok(serde_json::Value::Object(now)), Ok(serde_json::Value::Object(default))) =
        (serde_json::to_value(&t.config), serde_json::to_value(TopicConfig::default()))
    else {
        return String::new();
    };
    let mut out = Vec::new();
    for (k, v) in &now {
        if default.get(k) != Some(v) {
            let v = match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            out.push(format!("{k}={v}"));
        }
    }
    out.join(",")
}
