//! `kafka-share-groups.sh` over a [`Sim`]: Kafka 4.2's `ShareGroupCommand` and
//! `ShareGroupCommandOptions` (`tools/src/main/java/org/apache/kafka/tools/consumer/group/`,
//! unchanged in 4.3) with `OffsetsUtils` ([`super::offsets`]), their option checks and messages,
//! in their order:
//!
//! 1. parsing (joptsimple, [`super::options`]);
//! 2. `ShareGroupCommandOptions.checkArgs`: help and version, `--bootstrap-server`, the
//!    `--describe`, `--delete`, `--delete-offsets` and `--reset-offsets` rules, the group/topic
//!    scopes;
//! 3. `ShareGroupCommand.main`: exactly one action;
//! 4. the values `ShareGroupService` reads when it starts (`--timeout` parsed then);
//! 5. the action. Errors caught by `run` print `Error: Executing share group command failed due
//!    to …` on standard output (Kafka's `printError`).
//!
//! The Admin client's calls are answered from the simulation at its current time:
//! ListGroups and ShareGroupDescribe from the share-group views, DescribeShareGroupOffsets,
//! AlterShareGroupOffsets' and DeleteShareGroupOffsets' outcomes from the engine's own rules
//! ([`Sim::share_admin`]), ListOffsets from the partitions' leaders. `--reset-offsets --execute`
//! and `--delete-offsets` do not change the simulation: they return the engine command
//! ([`Command::AlterShareGroupOffsets`], [`Command::DeleteShareGroupOffsets`]) for the caller
//! to apply.
//!
//! Not simulated: `--delete` (of whole share groups), `--command-config` (a message says so);
//! `--timeout` is read and ignored (answers are immediate).

use crate::api::command::{Command, PartitionOffset};
use crate::api::view::{ShareGroupView, View};
use crate::group::protocol::{ErrorCode, TopicPartition};
use crate::sim::group_layer::share_admin::{ShareAdminError, SharePartitionOffsets};
use crate::Sim;

use super::consumer_groups::KAFKA_VERSION;
use super::group_tables::{coordinator_cell, joined_assignment, HOST, MISSING};
use super::offsets;
use super::options::{self, check_invalid, failed, java_split, spec_name, Parsed, Spec, Step, Stop};
use super::table::{Table, ToolOutput, Width};

/// `ShareGroupCommandOptions`' options, with Kafka's help texts.
pub const SPECS: &[Spec] = &[
    Spec::string("bootstrap-server", "server to connect to", "REQUIRED: The server(s) to connect to."),
    Spec::string("group", "share group", "The share group we wish to act on."),
    Spec::string(
        "topic",
        "topic",
        "The topic whose offset information should be deleted or included in the reset offset process. When resetting offsets, partitions can be specified using this format: 'topic1:0,1,2', where 0,1,2 are the partitions to be included.",
    ),
    Spec::flag("all-topics", "Consider all topics assigned to a share group in the 'reset-offsets' process."),
    Spec::flag("list", "List all share groups."),
    Spec::flag("describe", "Describe share group, members and offset information."),
    Spec::flag("all-groups", "Apply to all share groups."),
    Spec::flag("delete", "Delete share group."),
    Spec::long(
        "timeout",
        "timeout (ms)",
        "The timeout that can be set for some use cases. For example, it can be used when describing the group to specify the maximum amount of time in milliseconds to wait before the group stabilizes.",
    )
    .defaults_to("30000"),
    Spec::string("command-config", "command config property file", "Property file containing configs to be passed to Admin Client."),
    Spec::flag(
        "reset-offsets",
        "Reset offsets of share group. Supports one share group at the time, and instances must be inactive.\nHas 2 execution options: --dry-run to plan which offsets to reset, and --execute to reset the offsets. \nYou must choose one of the following reset specifications: --to-datetime, --to-earliest, --to-latest.\nTo define the scope use --all-topics or --topic.\nFails if neither '--dry-run' nor '--execute' is specified.",
    ),
    Spec::flag("delete-offsets", "Delete offsets of share group. Supports one share group at the time, and multiple topics."),
    Spec::flag("dry-run", "Only show results without executing changes on share groups. Supported operations: reset-offsets."),
    Spec::flag("execute", "Execute operation. Supported operations: reset-offsets."),
    Spec::string("to-datetime", "datetime", "Reset offsets to offset from datetime. Format: 'YYYY-MM-DDThh:mm:ss.sss'"),
    Spec::flag("to-earliest", "Reset offsets to earliest offset."),
    Spec::flag("to-latest", "Reset offsets to latest offset."),
    Spec::flag("members", "Describe members of the group. This option may be used with the '--describe' option only.").available_if(&["describe"]),
    Spec::flag(
        "offsets",
        "Describe the group and list all topic partitions in the group along with their offset information. This is the default sub-action and may be used with the '--describe' option only.",
    )
    .available_if(&["describe"]),
    Spec::optional(
        "state",
        "When specified with '--describe', includes the state of the group.\nWhen specified with '--list', it displays the state of all groups. It can also be used to list groups with specific states. Valid values are Empty, Stable and Dead.",
    )
    .available_if(&["describe", "list"]),
    Spec::flag("verbose", "Provide additional information, if any, when describing the group. This option may be used with the '--describe' option only.").available_if(&["describe"]),
    Spec::flag("help", "Print usage information.").for_help(),
    Spec::flag("version", "Display Kafka version.").for_help(),
];

/// The actions of `main`, in its order.
const ACTIONS: &[&str] = &["list", "describe", "delete", "reset-offsets", "delete-offsets"];

/// `allResetOffsetScenarioOpts`.
const SCENARIOS: &[&str] = &["to-datetime", "to-earliest", "to-latest"];

/// Valid `--state` values (`GroupState.groupStatesForType(SHARE)`, in `GroupState`'s order).
const STATES: &[&str] = &["Stable", "Dead", "Empty"];

/// Runs `kafka-share-groups.sh` with `args` against `sim`.
pub fn run(sim: &Sim, args: &[String]) -> ToolOutput {
    let mut out = ToolOutput::default();
    let opts = match options::parse(SPECS, args) {
        Ok(p) => p,
        Err(e) => {
            options::uncaught(&mut out, &e);
            return out;
        }
    };
    // `checkArgs` starts with `maybePrintHelpOrVersion`.
    if args.is_empty() || opts.has("help") {
        options::usage_error(&mut out, SPECS, "This tool helps to list, describe, reset and delete share groups.");
        return out;
    }
    if opts.has("version") {
        out.out(&format!("{KAFKA_VERSION}\n"));
        return out;
    }
    let result = check_args(&opts).and_then(|()| {
        if ACTIONS.iter().filter(|a| opts.has(a)).count() != 1 {
            let names: Vec<String> = ACTIONS.iter().map(|a| format!("--{a}")).collect();
            return Err(Stop::Usage(format!("Command must include exactly one action: {}.", names.join(", "))));
        }
        execute(sim, &opts, &mut out)
    });
    options::finish(&mut out, SPECS, "share group", result);
    out
}

/// `[a], [b]` of option names, sorted as `checkArgs` sorts them.
fn sorted_names(names: &[&str]) -> String {
    let mut v: Vec<String> = names.iter().map(|n| spec_name(n)).collect();
    crate::kernel::sort::sort(&mut v);
    v.join(", ")
}

/// `ShareGroupCommandOptions.checkArgs` (after the help and version checks). An
/// `OptionException` in it (`valueOf` of a repeated `--state`) is a usage error, as `main`
/// catches it.
fn check_args(opts: &Parsed) -> Step<()> {
    let usage = |m: String| Err(Stop::Usage(m));
    if !opts.has("bootstrap-server") {
        return usage(format!("Missing required argument \"{}\"", spec_name("bootstrap-server")));
    }
    let (describe, delete, reset) = (spec_name("describe"), spec_name("delete"), spec_name("reset-offsets"));
    if opts.has("describe") {
        if !opts.has("group") && !opts.has("all-groups") {
            return usage(format!("Option {describe} takes one of these options: {}", sorted_names(&["group", "all-groups"])));
        }
        let exclusive = ["members", "offsets", "state"];
        if exclusive.iter().filter(|o| opts.has(o)).count() > 1 {
            return usage(format!("Option {describe} takes at most one of these options: {}", sorted_names(&exclusive)));
        }
        if opts.has("state") && opts.value("state").map_err(|e| Stop::Usage(e.message))?.is_some() {
            return usage(format!("Option {describe} does not take a value for {}", spec_name("state")));
        }
    }
    if opts.has("delete") {
        if !opts.has("group") && !opts.has("all-groups") {
            return usage(format!("Option {delete} takes the options {} or {}", spec_name("group"), spec_name("all-groups")));
        }
        if opts.has("all-groups") && opts.has("group") {
            return usage(format!("Option {delete} takes either {} or {}, not both.", spec_name("group"), spec_name("all-groups")));
        }
        if opts.has("topic") {
            return usage(format!("Option {delete} does not take the option: {}", spec_name("topic")));
        }
    }
    if opts.has("delete-offsets") && (!opts.has("group") || !opts.has("topic")) {
        return usage(format!("Option {} takes the following options: {}", spec_name("delete-offsets"), sorted_names(&["group", "topic"])));
    }
    if opts.has("reset-offsets") {
        let (execute, dry_run) = (spec_name("execute"), spec_name("dry-run"));
        if opts.has("dry-run") && opts.has("execute") {
            return usage(format!("Option {reset} only accepts one of {execute} and {dry_run}"));
        }
        if !opts.has("dry-run") && !opts.has("execute") {
            return usage(format!("Option {reset} takes the option: {execute} or {dry_run}"));
        }
        if !opts.has("group") {
            return usage(format!("Option {reset} takes the option: {}", spec_name("group")));
        }
        if !opts.has("topic") && !opts.has("all-topics") {
            return usage(format!("Option {reset} takes one of these options: {}", sorted_names(&["topic", "all-topics"])));
        }
        if !SCENARIOS.iter().any(|s| opts.has(s)) {
            return usage(format!("Option {reset} takes one of these options: {}", sorted_names(SCENARIOS)));
        }
        for used in SCENARIOS {
            let others: Vec<&str> = SCENARIOS.iter().copied().filter(|s| s != used).collect();
            check_invalid(opts, used, &others)?;
        }
    }
    check_invalid(opts, "group", &["all-groups"])?;
    check_invalid(opts, "group", &["list"])?;
    check_invalid(opts, "topic", &["list", "describe"])?;
    Ok(())
}

fn not_simulated(option: &str) -> Stop {
    Stop::Failed(format!("--{option} is not simulated by GroupLab"))
}

fn execute(sim: &Sim, opts: &Parsed, out: &mut ToolOutput) -> Step<()> {
    // `ShareGroupService`'s constructor: the Admin client, then `OffsetsUtilsOptions` (the
    // timeout read as a Long).
    if opts.has("command-config") {
        return Err(not_simulated("command-config"));
    }
    opts.long("timeout").map_err(failed)?;
    let view = sim.view();
    if opts.has("list") {
        list(&view, opts, out)
    } else if opts.has("describe") {
        describe(sim, &view, opts, out)
    } else if opts.has("delete") {
        Err(not_simulated("delete"))
    } else if opts.has("reset-offsets") {
        reset_offsets(sim, &view, opts, out)
    } else {
        delete_offsets(sim, opts, out)
    }
}

/// The share groups a ListGroups (`forShareGroups`) finds: those with a live coordinator, by id.
fn listed(view: &View) -> Vec<&ShareGroupView> {
    view.share_groups.iter().filter(|g| g.coordinator.is_some()).collect()
}

/// `groupStatesFromString`: comma-separated states, trimmed and case-insensitive
/// (`GroupState.parse`); an unknown one, or one not of share groups, is a usage error.
fn parse_states(input: &str) -> Step<Vec<String>> {
    // `String.trim()`: the characters up to U+0020.
    let parsed: Vec<String> = java_split(input, ',').iter().map(|s| s.trim_matches(|c: char| c <= ' ').to_ascii_uppercase()).collect();
    if parsed.iter().any(|s| !STATES.iter().any(|k| k.to_ascii_uppercase() == *s)) {
        return Err(Stop::Usage(format!("Invalid state list '{input}'. Valid states are: {}", STATES.join(", "))));
    }
    Ok(parsed)
}

/// `--list [--state [states]]`: the ids, or `printGroupInfo`'s `GROUP STATE` table (the group
/// column `max(15, longest id)` wide, no blank line before it).
fn list(view: &View, opts: &Parsed, out: &mut ToolOutput) -> Step<()> {
    let groups = listed(view);
    if !opts.has("state") {
        for g in groups {
            out.out(&format!("{}\n", g.group_id));
        }
        return Ok(());
    }
    let states = match opts.value("state").map_err(failed)? {
        Some(v) if !v.is_empty() => parse_states(&v)?,
        _ => Vec::new(),
    };
    let mut t = Table::new(&["GROUP", "STATE"], vec![Width::Fit { min: 15, plus: 0 }, Width::Free]);
    for g in groups.into_iter().filter(|g| states.is_empty() || states.contains(&g.state.to_ascii_uppercase())) {
        t.rows.push(vec![g.group_id.clone(), g.state.clone()]);
    }
    out.out(&t.render());
    Ok(())
}

/// ShareGroupDescribe's error for a group it cannot describe (the Admin client's
/// `GroupIdNotFoundException`, or no coordinator), as `run` prints the `ExecutionException`.
fn describe_error(view: &View, gid: &str) -> Option<String> {
    let exception = |e: ErrorCode, msg: &str| format!("{}: {msg}", e.exception_class());
    match view.share_groups.iter().find(|g| g.group_id == gid) {
        None if view.groups.iter().any(|g| g.group_id == gid) => Some(exception(ErrorCode::GroupIdNotFound, &format!("Group {gid} is not a share group."))),
        None => Some(exception(ErrorCode::GroupIdNotFound, &format!("Group {gid} not found."))),
        Some(g) if g.coordinator.is_none() => Some(exception(ErrorCode::CoordinatorNotAvailable, ErrorCode::CoordinatorNotAvailable.message())),
        Some(_) => None,
    }
}

/// `maybePrintEmptyGroupState`: `Error: Share group 'g' does not exist.` for a Dead group (on
/// standard output), `Share group 'g' has no active members.` on standard error for an Empty
/// one; whether the group's table follows (not Dead, and `rows` > 0).
fn member_state(g: &ShareGroupView, rows: usize, out: &mut ToolOutput) -> bool {
    match g.state.as_str() {
        "Dead" => {
            out.error(&format!("Share group '{}' does not exist.", g.group_id));
            return false;
        }
        "Empty" => out.err(&format!("\nShare group '{}' has no active members.\n", g.group_id)),
        _ => {}
    }
    rows > 0
}

/// `--describe [--offsets | --members | --state] [--verbose]`, groups by id (`TreeMap`).
fn describe(sim: &Sim, view: &View, opts: &Parsed, out: &mut ToolOutput) -> Step<()> {
    let mut gids: Vec<String> = if opts.has("all-groups") { listed(view).iter().map(|g| g.group_id.clone()).collect() } else { opts.values("group") };
    crate::kernel::sort::sort(&mut gids);
    gids.dedup();
    if let Some(e) = gids.iter().find_map(|g| describe_error(view, g)) {
        return Err(Stop::Failed(e));
    }
    let groups: Vec<&ShareGroupView> = gids.iter().filter_map(|gid| view.share_groups.iter().find(|g| &g.group_id == gid)).collect();
    let verbose = opts.has("verbose");
    if opts.has("members") {
        for g in groups {
            if member_state(g, g.members.len(), out) {
                out.out(&members_table(g, verbose).render_with_blank_line());
            }
        }
    } else if opts.has("state") {
        for g in groups {
            member_state(g, 1, out);
            out.out(&state_table(g, verbose).render_with_blank_line());
        }
    } else {
        // `collectGroupsOffsets` lists every group's offsets before anything is printed.
        let mut all: Vec<(&ShareGroupView, Vec<SharePartitionOffsets>)> = Vec::new();
        for g in groups {
            let rows = sim.share_admin().offsets(&g.group_id).map_err(|e| Stop::Failed(format!("{}: {}", e.exception, e.message)))?;
            all.push((g, rows));
        }
        for (g, rows) in all {
            if rows.is_empty() {
                out.out(&format!("\nShare group '{}' has no offset information.\n", g.group_id));
            } else {
                out.out(&offsets_table(g, &rows, verbose).render_with_blank_line());
            }
        }
    }
    Ok(())
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| MISSING.to_string(), |v| v.to_string())
}

/// `printOffsets`: `GROUP TOPIC PARTITION [LEADER-EPOCH] START-OFFSET LAG`, by topic then
/// partition: the share coordinator's persisted state ([`SharePartitionOffsets`]), `-` where
/// it has no value.
fn offsets_table(g: &ShareGroupView, rows: &[SharePartitionOffsets], verbose: bool) -> Table {
    let mut head = vec!["GROUP", "TOPIC", "PARTITION"];
    let mut widths = vec![Width::Fit { min: 15, plus: 0 }, Width::Fit { min: 15, plus: 0 }, Width::Fixed(10)];
    if verbose {
        head.push("LEADER-EPOCH");
        widths.push(Width::Fixed(13));
    }
    head.extend(["START-OFFSET", "LAG"]);
    widths.extend([Width::Fixed(13), Width::Free]);
    let mut t = Table::new(&head, widths);
    let mut sorted: Vec<&SharePartitionOffsets> = rows.iter().collect();
    crate::kernel::sort::sort_by(&mut sorted, |a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
    for r in sorted {
        let mut row = vec![g.group_id.clone(), r.topic.clone(), r.partition.to_string()];
        if verbose {
            row.push(opt(r.leader_epoch));
        }
        row.extend([opt(r.start_offset), opt(r.lag)]);
        t.rows.push(row);
    }
    t
}

/// `printMembers`: `GROUP CONSUMER-ID HOST CLIENT-ID #PARTITIONS [MEMBER-EPOCH] ASSIGNMENT`,
/// members by consumer id; the assignment as `getAssignmentString` joins it (empty for none).
fn members_table(g: &ShareGroupView, verbose: bool) -> Table {
    let mut head = vec!["GROUP", "CONSUMER-ID", "HOST", "CLIENT-ID", "#PARTITIONS"];
    let fit = Width::Fit { min: 15, plus: 0 };
    let mut widths = vec![fit, fit, fit, fit, Width::Fixed(12)];
    if verbose {
        head.push("MEMBER-EPOCH");
        widths.push(Width::Fixed(13));
    }
    head.push("ASSIGNMENT");
    widths.push(Width::Free);
    let mut t = Table::new(&head, widths);
    let mut members: Vec<&crate::api::view::ShareMemberView> = g.members.iter().collect();
    crate::kernel::sort::sort_by(&mut members, |a, b| a.member_id.cmp(&b.member_id));
    for m in members {
        let mut row = vec![g.group_id.clone(), m.member_id.clone(), HOST.to_string(), m.client_id.clone(), m.assigned.len().to_string()];
        if verbose {
            row.push(m.member_epoch.to_string());
        }
        row.push(joined_assignment(&m.assigned));
        t.rows.push(row);
    }
    t
}

/// `printStates`: `GROUP COORDINATOR (ID) STATE [GROUP-EPOCH ASSIGNMENT-EPOCH] #MEMBERS`.
fn state_table(g: &ShareGroupView, verbose: bool) -> Table {
    let mut head = vec!["GROUP", "COORDINATOR (ID)", "STATE"];
    let mut widths = vec![Width::Fit { min: 15, plus: 0 }, Width::Fit { min: 25, plus: 0 }, Width::Fixed(15)];
    if verbose {
        head.extend(["GROUP-EPOCH", "ASSIGNMENT-EPOCH"]);
        widths.extend([Width::Fixed(12), Width::Fixed(17)]);
    }
    head.push("#MEMBERS");
    widths.push(Width::Free);
    let mut t = Table::new(&head, widths);
    let mut row = vec![g.group_id.clone(), g.coordinator.map_or_else(|| MISSING.to_string(), coordinator_cell), g.state.clone()];
    if verbose {
        row.extend([g.group_epoch.to_string(), g.assignment_epoch.to_string()]);
    }
    row.push(g.members.len().to_string());
    t.rows.push(row);
    t
}

/// `resetOffsets`: only an Empty (or Dead) share group, or one ShareGroupDescribe does not find
/// (`Share group 'g' is not empty.` on standard error otherwise); the plan
/// (`resetOffsetsForInactiveGroup`: `--topic`, or the partitions `listShareGroupOffsets` lists
/// for `--all-topics`; checked, then earliest, latest or by datetime) printed as `GROUP TOPIC
/// PARTITION NEW-OFFSET`; with `--execute` the engine command that alters it, once the broker's
/// rule ([`crate::sim::group_layer::share_admin::ShareAdmin::alter_outcome`]) accepts it.
fn reset_offsets(sim: &Sim, view: &View, opts: &Parsed, out: &mut ToolOutput) -> Step<()> {
    let gid = opts.value("group").map_err(failed)?.unwrap_or_default();
    if let Some(g) = view.share_groups.iter().find(|g| g.group_id == gid) {
        if g.coordinator.is_none() {
            return Err(Stop::Exit(ErrorCode::CoordinatorNotAvailable.message().to_string()));
        }
        if g.state != "Empty" && g.state != "Dead" {
            return Err(Stop::Exit(format!("Share group '{gid}' is not empty.")));
        }
    }
    // A KafkaException of the Admin client, as `resetOffsetsForInactiveGroup` rethrows it.
    let kafka = |e: ShareAdminError| Stop::Failed(e.message);
    let mut partitions: Vec<TopicPartition> = if opts.has("topic") {
        offsets::partitions_to_reset(view, &opts.values("topic"))?
    } else {
        sim.share_admin().offsets(&gid).map_err(kafka)?.into_iter().map(|o| TopicPartition::new(o.topic, o.partition)).collect()
    };
    offsets::check_all_valid(sim, view, &partitions)?;
    crate::kernel::sort::sort(&mut partitions);
    partitions.dedup();
    let plan: Vec<(TopicPartition, i64)> = if opts.has("to-earliest") {
        offsets::to_earliest(sim, &partitions)
    } else if opts.has("to-latest") {
        offsets::to_latest(sim, &partitions)
    } else {
        let raw = opts.values("to-datetime").into_iter().next().unwrap_or_default();
        offsets::to_datetime(sim, &partitions, &raw, out)?
    };
    if opts.has("execute") {
        let altered: Vec<(TopicPartition, u64)> = plan.iter().map(|(tp, o)| (tp.clone(), (*o).max(0) as u64)).collect();
        sim.share_admin().alter_outcome(&gid, &altered).map_err(kafka)?;
        if !altered.is_empty() {
            out.command = Some(Command::AlterShareGroupOffsets {
                group_id: gid.clone(),
                offsets: altered.into_iter().map(|(tp, offset)| PartitionOffset { topic: tp.topic.into(), partition: tp.partition, offset }).collect(),
            });
        }
    }
    out.out(&offsets::print_offsets_to_reset(&[(gid, plan)]));
    Ok(())
}

/// `--delete-offsets --group g --topic t ...`: the broker's outcome per topic
/// ([`crate::sim::group_layer::share_admin::ShareAdmin::delete_outcome`]), the request-level
/// error line `deleteOffsets` prints, and its `TOPIC STATUS` table (`Successful` or `Error:
/// <message>`); the engine command when some topic's state would be deleted.
fn delete_offsets(sim: &Sim, opts: &Parsed, out: &mut ToolOutput) -> Step<()> {
    let gid = opts.value("group").map_err(failed)?.unwrap_or_default();
    // `new HashSet<>(topics)`.
    let mut topics = opts.values("topic");
    crate::kernel::sort::sort(&mut topics);
    topics.dedup();
    let results: Vec<(String, Option<ShareAdminError>)> = match sim.share_admin().delete_outcome(&gid, &topics) {
        Err(e) => {
            match e.error {
                "INVALID_GROUP_ID" | "GROUP_ID_NOT_FOUND" | "GROUP_AUTHORIZATION_FAILED" | "NON_EMPTY_GROUP" => out.error(&e.message),
                _ => out.error(&format!("Encounter some unknown error: {}: {}", e.exception, e.message)),
            }
            // Every topic's result fails with the request's error.
            topics.iter().map(|t| (t.clone(), Some(e.clone()))).collect()
        }
        Ok(outcome) => {
            if outcome.iter().any(|(_, e)| e.is_none()) {
                out.command = Some(Command::DeleteShareGroupOffsets { group_id: gid.clone(), topics: topics.clone() });
            }
            outcome
        }
    };
    if results.iter().any(|(_, e)| e.is_some()) {
        out.exit_code = 1;
    }
    let mut t = Table::new(&["TOPIC", "STATUS"], vec![Width::Fit { min: 15, plus: 0 }, Width::Free]);
    for (topic, e) in results {
        let status = match e {
            Some(e) => format!("Error: {}", e.message),
            None => "Successful".to_string(),
        };
        t.rows.push(vec![topic, status]);
    }
    out.out(&if t.rows.is_empty() { "\n".to_string() } else { t.render_with_blank_line() });
    Ok(())
}
