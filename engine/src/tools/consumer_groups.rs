//! `kafka-consumer-groups.sh` over a [`Sim`]: Kafka 4.3's `ConsumerGroupCommand`,
//! `ConsumerGroupCommandOptions` and `OffsetsUtils` (`tools/src/main/java/org/apache/kafka/tools/`),
//! with their option checks and messages, in their order:
//!
//! 1. parsing (joptsimple, [`super::options`]);
//! 2. `ConsumerGroupCommandOptions.checkArgs`: help, `--bootstrap-server`, the `--describe`,
//!    `--delete`, `--delete-offsets` and `--reset-offsets` rules, the group/topic scopes;
//! 3. `ConsumerGroupCommand.main`: exactly one action;
//! 4. the option values read by `ConsumerGroupService` (numbers parsed then);
//! 5. the action. Errors caught by `run` print `Error: Executing consumer group command failed
//!    due to …` on standard output (Kafka's `printError`).
//!
//! The Admin client's calls are answered from the simulation at its current time: DescribeGroups
//! from the group views, ListOffsets from the partitions' leaders
//! ([`crate::group::client::PartitionSource`]), OffsetDelete from the engine's own rule
//! ([`Sim::offset_delete_outcome`]). `--reset-offsets --execute` and `--delete-offsets` do not
//! change the simulation: they return the engine command for the caller to apply.
//!
//! Not simulated: `--delete` (of whole groups), `--from-file`, `--command-config`,
//! `--validate-regex` (a message says so); `--timeout` is read and ignored (answers are
//! immediate).

use crate::api::command::{Command, PartitionOffset, PartitionRef};
use crate::api::view::{GroupView, View};
use crate::group::protocol::{ErrorCode, TopicPartition};
use crate::Sim;

use super::group_tables::{self, MISSING};
use super::offsets::{self, log_offsets};
use super::options::{self, check_invalid, failed, spec_name, Parsed, Spec, Step, Stop};
use super::table::{Table, ToolOutput, Width};
use super::time;

/// The Kafka version `--version` prints (GroupLab follows 4.3).
pub const KAFKA_VERSION: &str = "4.3.0";

/// `ConsumerGroupCommandOptions`' options, with Kafka's help texts.
pub const SPECS: &[Spec] = &[
    Spec::string("bootstrap-server", "server to connect to", "The server(s) to connect to. REQUIRED for all options except for --validate-regex."),
    Spec::string("group", "consumer group", "The consumer group we wish to act on."),
    Spec::string(
        "topic",
        "topic",
        "The topic whose consumer group information should be deleted or topic whose should be included in the reset offset process. In `reset-offsets` case, partitions can be specified using this format: `topic1:0,1,2`, where 0,1,2 are the partition to be included in the process. Reset-offsets also supports multiple topic inputs.",
    ),
    Spec::flag("all-topics", "Consider all topics assigned to a group in the `reset-offsets` process."),
    Spec::flag("list", "List all consumer groups."),
    Spec::flag("describe", "Describe consumer group and list offset lag (number of messages not yet processed) related to given group."),
    Spec::flag("all-groups", "Apply to all consumer groups."),
    Spec::flag("delete", "Pass in groups to delete topic partition offsets and ownership information over the entire consumer group. For instance --group g1 --group g2"),
    Spec::long(
        "timeout",
        "timeout (ms)",
        "The timeout that can be set for some use cases. For example, it can be used when describing the group to specify the maximum amount of time in milliseconds to wait before the group stabilizes (when the group is just created, or is going through some changes).",
    )
    .defaults_to("30000"),
    Spec::string("command-config", "command config property file", "Property file containing configs to be passed to Admin Client and Consumer."),
    Spec::flag(
        "reset-offsets",
        "Reset offsets of consumer group. Supports one consumer group at the time, and instances should be inactive\nHas 2 execution options: --dry-run (the default) to plan which offsets to reset, and --execute to update the offsets. Additionally, the --export option is used to export the results to a CSV format.\nYou must choose one of the following reset specifications: --to-datetime, --by-duration, --to-earliest, --to-latest, --shift-by, --from-file, --to-current, --to-offset.\nTo define the scope use --all-topics or --topic. One scope must be specified unless you use '--from-file'.",
    ),
    Spec::flag("delete-offsets", "Delete offsets of consumer group. Supports one consumer group at the time, and multiple topics."),
    Spec::flag("dry-run", "Only show results without executing changes on Consumer Groups. Supported operations: reset-offsets."),
    Spec::flag("execute", "Execute operation. Supported operations: reset-offsets."),
    Spec::flag("export", "Export operation execution to a CSV file. Supported operations: reset-offsets."),
    Spec::long("to-offset", "offset", "Reset offsets to a specific offset."),
    Spec::string("from-file", "path to CSV file", "Reset offsets to values defined in CSV file."),
    Spec::string("to-datetime", "datetime", "Reset offsets to offset from datetime. Format: 'YYYY-MM-DDThh:mm:ss.sss'"),
    Spec::string("by-duration", "duration", "Reset offsets to offset by duration from current timestamp. Format: 'PnDTnHnMnS'"),
    Spec::flag("to-earliest", "Reset offsets to earliest offset."),
    Spec::flag("to-latest", "Reset offsets to latest offset."),
    Spec::flag("to-current", "Reset offsets to current offset."),
    Spec::long("shift-by", "number-of-offsets", "Reset offsets shifting current offset by 'n', where 'n' can be positive or negative."),
    Spec::flag(
        "members",
        "Describe members of the group. This option may be used with '--describe' and '--bootstrap-server' options only.\nExample: --bootstrap-server localhost:9092 --describe --group group1 --members",
    )
    .available_if(&["describe"]),
    Spec::flag(
        "verbose",
        "Provide additional information, if any, when describing the group. This option may be used with '--offsets'/'--members'/'--state' and '--bootstrap-server' options only.\nExample: --bootstrap-server localhost:9092 --describe --group group1 --members --verbose",
    )
    .available_if(&["describe"]),
    Spec::flag(
        "offsets",
        "Describe the group and list all topic partitions in the group along with their offset lag. This is the default sub-action of and may be used with '--describe' and '--bootstrap-server' options only.\nExample: --bootstrap-server localhost:9092 --describe --group group1 --offsets",
    )
    .available_if(&["describe"]),
    Spec::optional(
        "state",
        "When specified with '--describe', includes the state of the group.\nExample: --bootstrap-server localhost:9092 --describe --group group1 --state\nWhen specified with '--list', it displays the state of all groups. It can also be used to list groups with specific states.\nExample: --bootstrap-server localhost:9092 --list --state stable,empty\nThis option may be used with '--describe', '--list' and '--bootstrap-server' options only.",
    )
    .available_if(&["describe", "list"]),
    Spec::optional(
        "type",
        "When specified with '--list', it displays the types of all the groups. It can also be used to list groups with specific types.\nExample: --bootstrap-server localhost:9092 --list --type classic,consumer\nThis option may be used with the '--list' option only.",
    )
    .available_if(&["list"]),
    Spec::string("validate-regex", "regex", "Validate that the syntax of the provided regular expression is valid according to the RE2 format."),
    Spec::flag("help", "Print usage information.").for_help(),
    Spec::flag("version", "Display Kafka version.").for_help(),
];

/// `allResetOffsetScenarioOpts`.
const SCENARIOS: &[&str] = &["to-offset", "shift-by", "to-datetime", "by-duration", "to-earliest", "to-latest", "to-current", "from-file"];

/// The actions of `main`, in its order.
const ACTIONS: &[&str] = &["list", "describe", "delete", "reset-offsets", "delete-offsets", "validate-regex"];

/// Valid `--state` values (`GroupState.groupStatesForType(CONSUMER)`).
const STATES: &[&str] = &["PreparingRebalance", "CompletingRebalance", "Stable", "Dead", "Empty", "Assigning", "Reconciling"];

/// Runs `kafka-consumer-groups.sh` with `args` against `sim`.
pub fn run(sim: &Sim, args: &[String]) -> ToolOutput {
    let mut out = ToolOutput::default();
    let opts = match options::parse(SPECS, args) {
        Ok(p) => p,
        Err(e) => {
            options::uncaught(&mut out, &e);
            return out;
        }
    };
    if args.is_empty() || opts.has("help") {
        options::usage_error(&mut out, SPECS, "This tool helps to list all consumer groups, describe a consumer group, delete consumer group info, or reset consumer group offsets.");
        return out;
    }
    if opts.has("version") {
        out.out(&format!("{KAFKA_VERSION}\n"));
        return out;
    }
    let result = check_args(&opts, &mut out).and_then(|()| {
        let n = ACTIONS.iter().filter(|a| opts.has(a)).count();
        if n != 1 {
            let names: Vec<String> = ACTIONS.iter().map(|a| format!("--{a}")).collect();
            return Err(Stop::Usage(format!("Command must include exactly one action: {}", names.join(", "))));
        }
        execute(sim, &opts, &mut out)
    });
    options::finish(&mut out, SPECS, "consumer group", result);
    out
}

/// `ConsumerGroupCommandOptions.checkArgs` (after the help and version checks).
fn check_args(opts: &Parsed, out: &mut ToolOutput) -> Step<()> {
    let scope = format!("{}, {}", spec_name("group"), spec_name("all-groups"));
    if !opts.has("validate-regex") && !opts.has("bootstrap-server") {
        return Err(Stop::Usage(format!("Missing required argument \"{}\"", spec_name("bootstrap-server"))));
    }
    let has_group_scope = opts.has("group") || opts.has("all-groups");
    if opts.has("describe") {
        if !has_group_scope {
            return Err(Stop::Usage(format!("Option {} takes one of these options: {scope}", spec_name("describe"))));
        }
        let exclusive = ["members", "offsets", "state"];
        if exclusive.iter().filter(|o| opts.has(o)).count() > 1 {
            let names: Vec<String> = exclusive.iter().map(|o| spec_name(o)).collect();
            return Err(Stop::Usage(format!("Option {} takes at most one of these options: {}", spec_name("describe"), names.join(", "))));
        }
        if opts.has("state") && !opts.values("state").is_empty() {
            return Err(Stop::Usage(format!("Option {} does not take a value for {}", spec_name("describe"), spec_name("state"))));
        }
    }
    if opts.has("delete") {
        if !has_group_scope {
            return Err(Stop::Usage(format!("Option {} takes one of these options: {scope}", spec_name("delete"))));
        }
        if opts.has("topic") {
            return Err(Stop::Usage("The consumer does not support topic-specific offset deletion from a consumer group.".into()));
        }
    }
    if opts.has("delete-offsets") && (!opts.has("group") || !opts.has("topic")) {
        return Err(Stop::Usage(format!("Option {} takes the following options: {}, {}", spec_name("delete-offsets"), spec_name("group"), spec_name("topic"))));
    }
    if opts.has("reset-offsets") {
        if opts.has("dry-run") && opts.has("execute") {
            return Err(Stop::Usage(format!("Option {} only accepts one of {} and {}", spec_name("reset-offsets"), spec_name("execute"), spec_name("dry-run"))));
        }
        if !opts.has("dry-run") && !opts.has("execute") {
            out.err("WARN: No action will be performed as the --execute option is missing. In version 5.0, this command will require either --dry-run or --execute to be specified. You should add the --dry-run option explicitly if you are scripting this command and want to keep the current default behavior without prompting.\n");
        }
        if !has_group_scope {
            return Err(Stop::Usage(format!("Option {} takes one of these options: {scope}", spec_name("reset-offsets"))));
        }
        for used in ["to-offset", "to-datetime", "by-duration", "to-earliest", "to-latest", "to-current", "shift-by", "from-file"] {
            let others: Vec<&str> = SCENARIOS.iter().copied().filter(|s| *s != used).collect();
            check_invalid(opts, used, &others)?;
        }
    }
    check_invalid(opts, "group", &["all-groups"])?;
    check_invalid(opts, "group", &["list"])?;
    check_invalid(opts, "topic", &["list", "describe"])?;
    Ok(())
}

/// The values `ConsumerGroupService` reads when it starts (numbers are converted then).
struct Values {
    to_offset: Vec<i64>,
    shift_by: Option<i64>,
    by_duration: Option<String>,
}

fn read_values(opts: &Parsed) -> Step<Values> {
    let to_offset = opts.longs("to-offset").map_err(failed)?;
    let by_duration = opts.value("by-duration").map_err(failed)?;
    let shift_by = opts.long("shift-by").map_err(failed)?;
    opts.long("timeout").map_err(failed)?;
    Ok(Values { to_offset, shift_by, by_duration })
}

fn not_simulated(option: &str) -> Stop {
    Stop::Failed(format!("--{option} is not simulated by GroupLab"))
}

fn execute(sim: &Sim, opts: &Parsed, out: &mut ToolOutput) -> Step<()> {
    if opts.has("validate-regex") {
        return Err(not_simulated("validate-regex"));
    }
    if opts.has("command-config") {
        return Err(not_simulated("command-config"));
    }
    let values = read_values(opts)?;
    let view = sim.view();
    if opts.has("list") {
        list(&view, opts, out)
    } else if opts.has("describe") {
        describe(&view, opts, out)
    } else if opts.has("delete") {
        Err(not_simulated("delete"))
    } else if opts.has("reset-offsets") {
        reset_offsets(sim, &view, opts, &values, out)
    } else {
        delete_offsets(sim, &view, opts, out)
    }
}

/// The groups a `ListGroups` finds: every group with a live coordinator, by id.
fn listed(view: &View) -> Vec<&GroupView> {
    view.groups.iter().filter(|g| g.coordinator.is_some()).collect()
}

/// `--list`, with `--type` / `--state` filters and columns.
fn list(view: &View, opts: &Parsed, out: &mut ToolOutput) -> Step<()> {
    let with_type = opts.has("type");
    let with_state = opts.has("state");
    let groups = listed(view);
    if !with_type && !with_state {
        for g in groups {
            out.out(&format!("{}\n", g.group_id));
        }
        return Ok(());
    }
    let types: Vec<String> = match opts.value("type").map_err(failed)? {
        Some(v) if !v.is_empty() => {
            let parsed: Vec<String> = v.to_ascii_lowercase().split(',').map(|s| s.trim().to_string()).collect();
            if parsed.iter().any(|t| t != "classic" && t != "consumer") {
                return Err(Stop::Usage(format!("Invalid types list '{v}'. Valid types are: Classic, Consumer")));
            }
            parsed
        }
        _ => Vec::new(),
    };
    let states: Vec<String> = match opts.value("state").map_err(failed)? {
        Some(v) if !v.is_empty() => {
            let parsed: Vec<String> = v.split(',').map(|s| s.trim().to_ascii_uppercase()).collect();
            if parsed.iter().any(|s| !STATES.iter().any(|k| k.to_ascii_uppercase() == *s)) {
                return Err(Stop::Usage(format!("Invalid state list '{v}'. Valid states are: {}", STATES.join(", "))));
            }
            parsed
        }
        _ => Vec::new(),
    };
    let shown: Vec<&GroupView> = groups
        .into_iter()
        .filter(|g| types.is_empty() || types.iter().any(|t| *t == g.group_type.to_ascii_lowercase()))
        .filter(|g| states.is_empty() || states.contains(&g.state.to_ascii_uppercase()))
        .collect();
    out.out(&group_tables::list_groups(&shown, with_type, with_state).render());
    Ok(())
}

/// The error of the Admin client's DescribeGroups for a group it cannot describe: not known
/// (`GroupIdNotFoundException`, Kafka 4's DescribeGroups v6), or no coordinator.
fn describe_error(view: &View, gid: &str) -> Option<String> {
    match view.groups.iter().find(|g| g.group_id == gid) {
        None => Some(format!("org.apache.kafka.common.errors.GroupIdNotFoundException: Group {gid} not found.")),
        Some(g) if g.coordinator.is_none() => {
            let e = ErrorCode::CoordinatorNotAvailable;
            Some(format!("{}: {}", e.exception_class(), e.message()))
        }
        Some(_) => None,
    }
}

/// The groups an action applies to: `--all-groups` (those `--list` shows) or the `--group`s.
fn selected_groups(view: &View, opts: &Parsed) -> Vec<String> {
    if opts.has("all-groups") {
        listed(view).iter().map(|g| g.group_id.clone()).collect()
    } else {
        opts.values("group")
    }
}

/// `shouldPrintMemberState`: the status line of a group's state (standard error, or `Error:`
/// for a Dead group), and whether its table is printed (`rows` > 0 and not Dead).
fn member_state(g: &GroupView, rows: usize, out: &mut ToolOutput) -> bool {
    match group_tables::status_line(g) {
        Some(line) if g.state == "Dead" => {
            out.error(line.trim_start_matches("Error: "));
            return false;
        }
        Some(line) => out.err(&format!("\n{line}\n")),
        None => {}
    }
    rows > 0
}

/// `--describe [--offsets | --members | --state] [--verbose]`, groups by id.
fn describe(view: &View, opts: &Parsed, out: &mut ToolOutput) -> Step<()> {
    let mut gids = selected_groups(view, opts);
    crate::kernel::sort::sort(&mut gids);
    gids.dedup();
    if let Some(e) = gids.iter().find_map(|g| describe_error(view, g)) {
        return Err(Stop::Failed(e));
    }
    let verbose = opts.has("verbose");
    for gid in &gids {
        let Some(g) = view.groups.iter().find(|g| &g.group_id == gid) else { continue };
        if opts.has("members") {
            let t = group_tables::describe_members(g, verbose);
            member_state(g, t.rows.len(), out);
            // Kafka prints the header even when there is no member to show.
            out.out(&t.render_with_blank_line());
        } else if opts.has("state") {
            let t = group_tables::describe_state(g, verbose);
            if member_state(g, 1, out) {
                out.out(&t.render_with_blank_line());
            }
        } else {
            let t = group_tables::describe_offsets(view, g, verbose);
            if member_state(g, t.rows.len(), out) {
                out.out(&t.render_with_blank_line());
            }
        }
    }
    Ok(())
}

/// `--reset-offsets`: the plan per group (Empty, Dead or unknown groups only), printed as
/// `GROUP TOPIC PARTITION NEW-OFFSET` (or `--export`ed as CSV); with `--execute` the engine
/// command that commits it.
fn reset_offsets(sim: &Sim, view: &View, opts: &Parsed, values: &Values, out: &mut ToolOutput) -> Step<()> {
    let mut gids = selected_groups(view, opts);
    crate::kernel::sort::sort(&mut gids);
    gids.dedup();
    let execute = opts.has("execute");
    let mut plans: Vec<(String, Vec<(TopicPartition, i64)>)> = Vec::new();
    for gid in &gids {
        let group = view.groups.iter().find(|g| &g.group_id == gid);
        if let Some(g) = group {
            if g.coordinator.is_none() {
                return Err(Stop::Failed(describe_error(view, gid).unwrap_or_default()));
            }
            if g.state != "Empty" && g.state != "Dead" {
                out.error(&format!("Assignments can only be reset if the group '{gid}' is inactive, but the current state is {}.", g.state));
                plans.push((gid.clone(), Vec::new()));
                continue;
            }
        }
        let plan = reset_plan(sim, view, group, opts, values, out)?;
        plans.push((gid.clone(), plan));
    }
    if execute {
        let to_alter: Vec<&(String, Vec<(TopicPartition, i64)>)> = plans.iter().filter(|(_, p)| !p.is_empty()).collect();
        match to_alter.as_slice() {
            [] => {}
            [(gid, plan)] => {
                out.command = Some(Command::AlterConsumerGroupOffsets {
                    group_id: gid.clone(),
                    offsets: plan.iter().map(|(tp, o)| PartitionOffset { topic: tp.topic.to_string(), partition: tp.partition, offset: (*o).max(0) as u64 }).collect(),
                });
            }
            _ => return Err(Stop::Failed("GroupLab resets one group per --execute (one engine command); give one --group".into())),
        }
    }
    if opts.has("export") {
        let single = opts.values("group").len() == 1;
        let mut csv = String::new();
        for (gid, plan) in &plans {
            for (tp, o) in plan {
                if single {
                    csv.push_str(&format!("{},{},{o}\n", tp.topic, tp.partition));
                } else {
                    csv.push_str(&format!("{gid},{},{},{o}\n", tp.topic, tp.partition));
                }
            }
        }
        out.out(&format!("{csv}\n"));
        return Ok(());
    }
    out.out(&offsets::print_offsets_to_reset(&plans));
    Ok(())
}

/// `resetOffsetsForInactiveGroup` / `prepareOffsetsToReset` for one group (`None`: not known).
fn reset_plan(sim: &Sim, view: &View, group: Option<&GroupView>, opts: &Parsed, values: &Values, out: &mut ToolOutput) -> Step<Vec<(TopicPartition, i64)>> {
    let committed: Vec<(TopicPartition, u64)> = group
        .map(|g| g.lag.iter().filter_map(|l| l.committed.map(|c| (TopicPartition::new(l.topic.clone(), l.partition), c))).collect())
        .unwrap_or_default();
    let committed_of = |tp: &TopicPartition| committed.iter().find(|(t, _)| t == tp).map(|(_, c)| *c as i64);
    // getPartitionsToReset
    let mut partitions: Vec<TopicPartition> = Vec::new();
    if opts.has("all-topics") {
        partitions = committed.iter().map(|(tp, _)| tp.clone()).collect();
    } else if opts.has("topic") {
        partitions = offsets::partitions_to_reset(view, &opts.values("topic"))?;
    } else if !opts.has("from-file") {
        return Err(Stop::Usage("One of the reset scopes should be defined: --all-topics, --topic.".into()));
    }
    offsets::check_all_valid(sim, view, &partitions)?;
    crate::kernel::sort::sort(&mut partitions);
    partitions.dedup();
    let bounds = |tp: &TopicPartition| log_offsets(sim, tp).unwrap_or((0, 0));
    let now = sim.now_ms();
    // `checkOffsetsRange`: into [log start, log end], with log4j's WARN.
    let clamp = |tp: &TopicPartition, requested: i64, out: &mut ToolOutput| -> i64 {
        let (start, end) = bounds(tp);
        let stamp = time::log4j_date(now);
        if requested > end {
            out.err(&format!("[{stamp}] WARN New offset ({requested}) is higher than latest offset for topic partition {tp}. Value will be set to {end} (org.apache.kafka.tools.OffsetsUtils)\n"));
            end
        } else if requested < start {
            out.err(&format!("[{stamp}] WARN New offset ({requested}) is lower than earliest offset for topic partition {tp}. Value will be set to {start} (org.apache.kafka.tools.OffsetsUtils)\n"));
            start
        } else {
            requested
        }
    };
    let plan: Vec<(TopicPartition, i64)> = if opts.has("to-offset") {
        let o = values.to_offset.first().copied().unwrap_or(0);
        partitions.iter().map(|tp| (tp.clone(), clamp(tp, o, out))).collect()
    } else if opts.has("to-earliest") {
        offsets::to_earliest(sim, &partitions)
    } else if opts.has("to-latest") {
        offsets::to_latest(sim, &partitions)
    } else if opts.has("shift-by") {
        let n = values.shift_by.unwrap_or(0);
        let mut requested = Vec::new();
        for tp in &partitions {
            let Some(c) = committed_of(tp) else {
                return Err(Stop::Usage(format!("Cannot shift offset for partition {tp} since there is no current committed offset")));
            };
            requested.push((tp.clone(), c.saturating_add(n)));
        }
        requested.into_iter().map(|(tp, o)| { let v = clamp(&tp, o, out); (tp, v) }).collect()
    } else if opts.has("to-datetime") {
        let raw = opts.values("to-datetime").into_iter().next().unwrap_or_default();
        offsets::to_datetime(sim, &partitions, &raw, out)?
    } else if opts.has("by-duration") {
        let raw = values.by_duration.clone().unwrap_or_default();
        match time::parse_duration(&raw) {
            Some(d) => offsets::at_timestamp(sim, &partitions, i128::from(now).saturating_sub(d).clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64, out),
            None => return Err(Stop::Failed("Text cannot be parsed to a Duration".into())),
        }
    } else if opts.has("from-file") {
        return Err(not_simulated("from-file"));
    } else if opts.has("to-current") {
        partitions.iter().map(|tp| (tp.clone(), committed_of(tp).unwrap_or(bounds(tp).1))).collect()
    } else {
        let names: Vec<String> = SCENARIOS.iter().map(|s| spec_name(s)).collect();
        return Err(Stop::Usage(format!("Option '{}' requires one of the following scenarios: [{}]", spec_name("reset-offsets"), names.join(", "))));
    };
    Ok(plan)
}

/// `--delete-offsets --group g --topic t[:p,...]`: the outcome of the engine's OffsetDelete
/// rule for each partition, Kafka's result line and its `TOPIC PARTITION STATUS` table; the
/// engine command when some offset is deleted.
fn delete_offsets(sim: &Sim, view: &View, opts: &Parsed, out: &mut ToolOutput) -> Step<()> {
    let gid = opts.value("group").map_err(failed)?.unwrap_or_default();
    let topics = opts.values("topic");
    // Partition-level results: `(topic, partition or -1, error text or None)`.
    let mut results: Vec<(String, i64, Option<String>)> = Vec::new();
    let mut partitions: Vec<TopicPartition> = Vec::new();
    let (with, without): (Vec<&String>, Vec<&String>) = topics.iter().partition(|t| t.contains(':'));
    for t in with {
        partitions.extend(offsets::parse_topic_partitions(t)?);
    }
    let unknown = ErrorCode::UnknownTopicOrPartition;
    for t in without {
        match offsets::topic_partitions(view, t) {
            Ok(ps) => partitions.extend(ps),
            Err(_) => results.push((t.clone(), -1, Some(format!("{}: {}", unknown.exception_class(), unknown.message())))),
        }
    }
    crate::kernel::sort::sort(&mut partitions);
    partitions.dedup();
    let exception = |e: ErrorCode| format!("{}: {}", e.exception_class(), e.message());
    let top = match sim.offset_delete_outcome(&gid, &partitions) {
        Err(e) => {
            for tp in &partitions {
                results.push((tp.topic.to_string(), i64::from(tp.partition), Some(exception(e))));
            }
            e
        }
        Ok(outcome) => {
            let mut first_error = ErrorCode::None;
            for (tp, e) in &outcome {
                if *e != ErrorCode::None && first_error == ErrorCode::None {
                    first_error = *e;
                }
                results.push((tp.topic.to_string(), i64::from(tp.partition), (*e != ErrorCode::None).then(|| exception(*e))));
            }
            let deleted: Vec<PartitionRef> = outcome.iter().filter(|(_, e)| *e == ErrorCode::None).map(|(tp, _)| PartitionRef { topic: tp.topic.to_string(), partition: tp.partition }).collect();
            if !deleted.is_empty() {
                out.command = Some(Command::DeleteConsumerGroupOffsets { group_id: gid.clone(), partitions: partitions.iter().map(|tp| PartitionRef { topic: tp.topic.to_string(), partition: tp.partition }).collect() });
            }
            first_error
        }
    };
    match top {
        ErrorCode::None => out.out(&format!("Request succeeded for deleting offsets from group {gid}.\n")),
        ErrorCode::GroupIdNotFound | ErrorCode::NonEmptyGroup => out.error(top.message()),
        ErrorCode::GroupSubscribedToTopic | ErrorCode::UnknownTopicOrPartition => out.error("Encountered some partition-level error, see the follow-up details."),
        other => out.error(&format!("Encountered some unknown error: {}", other.name())),
    }
    crate::kernel::sort::sort_by_key(&mut results, |(t, p, _)| format!("{t}{p}"));
    let mut t = Table::new(&["TOPIC", "PARTITION", "STATUS"], vec![Width::Fit { min: 15, plus: 0 }, Width::Fixed(10), Width::Fixed(15)]);
    for (topic, p, e) in results {
        let p = if p >= 0 { p.to_string() } else { MISSING.to_string() };
        let status = match e {
            Some(e) => format!("Error: {e}"),
            None => "Successful".to_string(),
        };
        t.rows.push(vec![topic, p, status]);
    }
    out.out(&t.render_with_blank_line());
    Ok(())
}
