//! `grouplab` — command-line front end of the GroupLab engine.
//!
//! ```text
//! grouplab partition --partitions N KEY...          one partition per key per line
//! grouplab coordinator GROUP_ID [--offsets-partitions 50]
//! grouplab run SCENARIO.json                        event trace, then the final view as JSON
//! grouplab run LESSON.json                          event trace, then each step's checked facts
//! grouplab assign < CASE.json                        {"assignment": {...}} of one assignor case
//! grouplab terminal SCENARIO.json [--at MS] LINE...  Kafka's tools at simulated time MS
//! ```
//! `terminal` plays the scenario's timeline up to `MS` (default: where `run` ends), then runs
//! each LINE (one `kafka-consumer-groups.sh` / `kafka-share-groups.sh` / `kafka-topics.sh` /
//! `help` command line, quoted
//! as one argument) in order at that time: it prints `$ LINE`, then the line's standard output
//! and standard error on the process's own; the engine command an `--execute` asks for is
//! applied before the next line (`Error: <error>` on stdout when the engine refuses it). The
//! exit status is the last line's.
//! Usage errors (including a file refused when parsed: unknown field, time past the one-week
//! horizon) exit with status 2; a scenario that cannot start exits with 1. `run` and `hash`
//! report their progress on stderr once a second when a scenario takes more than 2 s.

use std::fmt::Write as _;
use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use grouplab_engine::kafka::hash::{coordinator_partition, partition_for_key};
use grouplab_engine::Scenario;

const USAGE: &str = "usage:
  grouplab partition --partitions N KEY...
  grouplab coordinator GROUP_ID [--offsets-partitions N]
  grouplab run SCENARIO.json|LESSON.json          a lesson also prints its step checks
  grouplab assign < CASE.json                      assignment of one conformance case
  grouplab hash SCENARIO.json                      state hash after the run (determinism checks)
  grouplab terminal SCENARIO.json [--at MS] LINE... Kafka's tools (kafka-consumer-groups.sh,
                                                   kafka-share-groups.sh, kafka-topics.sh, help)
                                                   at simulated time MS
                                                   (default: the scenario's end), one LINE each";

fn usage_error(msg: &str) -> ExitCode {
    eprintln!("grouplab: {msg}\n{USAGE}");
    ExitCode::from(2)
}

fn parse_count(flag: &str, v: Option<&String>) -> Result<u32, String> {
    let v = v.ok_or_else(|| format!("{flag} needs a value"))?;
    match v.parse::<u32>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("{flag} must be a positive integer, got '{v}'")),
    }
}

fn cmd_partition(args: &[String]) -> ExitCode {
    let mut partitions: Option<u32> = None;
    let mut keys: Vec<&String> = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "--partitions" {
            match parse_count("--partitions", args.get(i + 1)) {
                Ok(n) => partitions = Some(n),
                Err(e) => return usage_error(&e),
            }
            i += 2;
        } else if a == "--" {
            keys.extend(&args[i + 1..]);
            break;
        } else if a.starts_with("--") {
            return usage_error(&format!("unknown option '{a}'"));
        } else {
            keys.push(a);
            i += 1;
        }
    }
    let Some(n) = partitions else { return usage_error("partition: --partitions N is required") };
    if keys.is_empty() {
        return usage_error("partition: at least one KEY is required");
    }
    for k in keys {
        println!("{}", partition_for_key(k, n));
    }
    ExitCode::SUCCESS
}

fn cmd_coordinator(args: &[String]) -> ExitCode {
    let mut n = 50u32;
    let mut group: Option<&String> = None;
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "--offsets-partitions" {
            match parse_count("--offsets-partitions", args.get(i + 1)) {
                Ok(v) => n = v,
                Err(e) => return usage_error(&e),
            }
            i += 2;
        } else if a.starts_with("--") {
            return usage_error(&format!("unknown option '{a}'"));
        } else {
            if group.is_some() {
                return usage_error("coordinator: exactly one GROUP_ID");
            }
            group = Some(a);
            i += 1;
        }
    }
    let Some(g) = group else { return usage_error("coordinator: GROUP_ID is required") };
    println!("{}", coordinator_partition(g, n));
    ExitCode::SUCCESS
}

/// Wall time after which a run starts reporting its progress on stderr.
const PROGRESS_AFTER: Duration = Duration::from_secs(2);
/// Wall time between two progress lines.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// `grouplab: simulated 120.0 s of 600.0 s (20%)`.
fn progress_line(now_ms: u64, end_ms: u64) -> String {
    let percent = if end_ms == 0 { 100 } else { u128::from(now_ms.min(end_ms)) * 100 / u128::from(end_ms) };
    format!("grouplab: simulated {:.1} s of {:.1} s ({percent}%)", now_ms as f64 / 1000.0, end_ms as f64 / 1000.0)
}

/// Prints [`progress_line`] on stderr while a long scenario runs. The wall clock is read here,
/// in the binary: the engine only calls back with simulated times.
struct Progress {
    next_report: Instant,
    calls: u32,
    printed: bool,
}

impl Progress {
    fn new() -> Progress {
        Progress { next_report: Instant::now() + PROGRESS_AFTER, calls: 0, printed: false }
    }

    /// Called after every engine deadline; looks at the clock every 256 calls.
    fn tick(&mut self, now_ms: u64, end_ms: u64) {
        self.calls = self.calls.wrapping_add(1);
        if !self.calls.is_multiple_of(256) {
            return;
        }
        let t = Instant::now();
        if t >= self.next_report {
            eprintln!("{}", progress_line(now_ms, end_ms));
            self.printed = true;
            self.next_report = t + PROGRESS_EVERY;
        }
    }

    /// Closes the report with the 100% line, if any line was printed.
    fn finish(&self, end_ms: u64) {
        if self.printed {
            eprintln!("{}", progress_line(end_ms, end_ms));
        }
    }
}

/// [`Scenario::run`] with progress on stderr when it takes more than [`PROGRESS_AFTER`].
/// Runs a scenario with the progress line on stderr, each event handed to `on_event` as it
/// happens (the trace is never held whole).
fn run_reporting(scenario: &Scenario, on_event: &mut dyn FnMut(grouplab_engine::Event)) -> Result<(grouplab_engine::Sim, Vec<(usize, grouplab_engine::SimError)>), grouplab_engine::SimError> {
    let mut progress = Progress::new();
    let mut end = 0;
    let run = scenario.run_streaming(
        &mut |now_ms, end_ms| {
            end = end_ms;
            progress.tick(now_ms, end_ms);
        },
        on_event,
    );
    progress.finish(end);
    run
}

fn cmd_run(args: &[String]) -> ExitCode {
    if args.len() != 1 {
        return usage_error("run: exactly one SCENARIO.json");
    }
    let text = match std::fs::read_to_string(&args[0]) {
        Ok(t) => t,
        Err(e) => return usage_error(&format!("cannot read '{}': {e}", args[0])),
    };
    if grouplab_engine::lesson::is_lesson_json(&text) {
        return run_lesson(&args[0], &text);
    }
    let scenario = match Scenario::from_json(&text) {
        Ok(s) => s,
        Err(e) => return usage_error(&e),
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    // A closed pipe (e.g. `| head`) just ends the output.
    let mut open = true;
    // Each line is formatted into one reused buffer and written whole: formatting straight into
    // the `BufWriter` costs an `io::Write` call per piece of a line.
    let mut line = String::new();
    let run = run_reporting(&scenario, &mut |e| {
        line.clear();
        let _ = writeln!(line, "{e}");
        open = open && out.write_all(line.as_bytes()).is_ok();
    });
    let (sim, rejected) = match run {
        Ok(r) => r,
        Err(e) => {
            eprintln!("grouplab: scenario cannot start: {e}");
            return ExitCode::from(1);
        }
    };
    if !open {
        return ExitCode::SUCCESS;
    }
    for (i, e) in &rejected {
        eprintln!("command #{i} rejected: {e}");
    }
    match serde_json::to_string_pretty(&sim.view()) {
        Ok(j) => {
            let _ = writeln!(out, "{j}");
        }
        Err(e) => {
            eprintln!("grouplab: cannot serialize view: {e}");
            return ExitCode::from(1);
        }
    }
    ExitCode::SUCCESS
}

/// `grouplab run LESSON.json`: plays the lesson headless, prints the event trace, then one line
/// per step and per checked fact. Exit 1 when a fact fails or the lesson cannot be played, 2
/// when the file is not a valid lesson.
fn run_lesson(path: &str, text: &str) -> ExitCode {
    use grouplab_engine::lesson::{run_headless, Lesson};
    let file = std::path::Path::new(path).file_name().map_or(path.to_string(), |f| f.to_string_lossy().into_owned());
    let lesson = match Lesson::from_json(&file, text) {
        Ok(l) => l,
        Err(e) => return usage_error(&e.to_string()),
    };
    let report = match run_headless(&lesson) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("grouplab: lesson failed: {e}");
            return ExitCode::from(1);
        }
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut lines = Vec::with_capacity(report.events.len() + 4 * report.steps.len());
    for e in &report.events {
        lines.push(e.to_string());
    }
    if report.events_dropped > 0 {
        lines.push(format!("({} more events not shown)", report.events_dropped));
    }
    lines.push(format!("LESSON {}", report.title));
    for s in &report.steps {
        lines.push(format!(
            "STEP {} t={}ms..{}ms advanced {} {}",
            s.index + 1,
            s.started_ms,
            s.advanced_ms,
            s.advanced_by,
            if s.passed() { "ok" } else { "FAILED" }
        ));
        if let Some((answer, ok)) = &s.answer {
            lines.push(format!("  answer {answer} {}", if *ok { "ok (one of the choices)" } else { "FAILED (not one of the choices)" }));
        }
        for f in &s.facts {
            lines.push(format!("  {} {} (found {})", if f.ok { "ok" } else { "FAILED" }, f.fact, f.actual));
        }
    }
    let (facts, failed) = report.fact_counts();
    lines.push(format!("{} steps, {facts} facts, {failed} failed", report.steps.len()));
    for l in lines {
        if writeln!(out, "{l}").is_err() {
            break;
        }
    }
    if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Runs a scenario and prints only the final state hash (compared with the wasm run in tests).
fn cmd_hash(args: &[String]) -> ExitCode {
    let [path] = args else { return usage_error("hash: exactly one SCENARIO.json") };
    let scenario = match std::fs::read_to_string(path).map_err(|e| format!("cannot read '{path}': {e}")).and_then(|t| Scenario::from_json(&t)) {
        Ok(s) => s,
        Err(e) => return usage_error(&e),
    };
    // The trace is not needed: events are dropped as they come.
    match run_reporting(&scenario, &mut |_| {}) {
        Ok((sim, _)) => {
            println!("{:016x}", sim.state_hash());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("grouplab: scenario cannot start: {e}");
            ExitCode::from(1)
        }
    }
}

/// Reads one assignor case (name, strategy, topics, members) on stdin, prints the assignment.
fn cmd_assign(args: &[String]) -> ExitCode {
    if let Some(extra) = args.first() {
        return usage_error(&format!("assign: unexpected argument '{extra}' (the case is read on stdin)"));
    }
    let mut input = String::new();
    if let Err(e) = std::io::Read::read_to_string(&mut std::io::stdin(), &mut input) {
        eprintln!("grouplab: assign: cannot read stdin: {e}");
        return ExitCode::from(1);
    }
    match grouplab_engine::assign::assign_case_json(&input) {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("grouplab: assign: {e}");
            ExitCode::from(1)
        }
    }
}

/// `grouplab terminal SCENARIO.json [--at MS] LINE...`: the scenario's timeline up to `MS`,
/// then each tool line at that time; an `--execute`'s command is applied (through the timeline)
/// before the next line.
fn cmd_terminal(args: &[String]) -> ExitCode {
    use grouplab_engine::run::timeline::{Collect, Timeline};
    let Some((path, rest)) = args.split_first() else { return usage_error("terminal: SCENARIO.json and at least one LINE") };
    let mut at: Option<u64> = None;
    let mut lines: Vec<&String> = Vec::new();
    let mut i = 0;
    while i < rest.len() {
        let a = &rest[i];
        if a == "--at" && lines.is_empty() {
            let Some(v) = rest.get(i + 1) else { return usage_error("terminal: --at needs a value (ms)") };
            match v.parse::<u64>() {
                Ok(ms) => match grouplab_engine::run::bounds::check_horizon("--at", ms) {
                    Ok(()) => at = Some(ms),
                    Err(e) => return usage_error(&e),
                },
                Err(_) => return usage_error(&format!("terminal: --at must be a time in ms, got '{v}'")),
            }
            i += 2;
        } else if a == "--" && lines.is_empty() {
            lines.extend(&rest[i + 1..]);
            break;
        } else {
            lines.push(a);
            i += 1;
        }
    }
    if lines.is_empty() {
        return usage_error("terminal: at least one LINE (a quoted tool command line)");
    }
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => return usage_error(&format!("cannot read '{path}': {e}")),
    };
    if grouplab_engine::lesson::is_lesson_json(&text) {
        return usage_error("terminal: a scenario file, not a lesson");
    }
    let scenario = match Scenario::from_json(&text) {
        Ok(s) => s,
        Err(e) => return usage_error(&e),
    };
    let at = at.unwrap_or_else(|| grouplab_engine::run::scenario::scenario_end_ms(&scenario.commands, scenario.run_until_ms));
    let mut sim = match grouplab_engine::Sim::new(scenario.config.clone()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("grouplab: scenario cannot start: {e}");
            return ExitCode::from(1);
        }
    };
    let mut timeline = Timeline::new(scenario.commands.clone());
    let mut seen = Collect::default();
    timeline.advance(&mut sim, at, &mut seen);
    for r in &seen.rejected {
        eprintln!("command #{} rejected: {}", r.index, r.error);
    }
    let mut status = 0;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for line in lines {
        let o = grouplab_engine::tools::run_line(&sim, line);
        let _ = write!(out, "$ {line}\n{}", o.stdout);
        let _ = out.flush();
        eprint!("{}", o.stderr);
        status = o.exit_code;
        if let Some(command) = o.command {
            if let Err(e) = timeline.apply(&mut sim, command) {
                let _ = writeln!(out, "Error: {e}");
                status = 1;
            }
        }
    }
    ExitCode::from(u8::try_from(status).unwrap_or(1))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(cmd) = args.first() else { return usage_error("missing subcommand") };
    match cmd.as_str() {
        "partition" => cmd_partition(&args[1..]),
        "coordinator" => cmd_coordinator(&args[1..]),
        "run" => cmd_run(&args[1..]),
        "assign" => cmd_assign(&args[1..]),
        "hash" => cmd_hash(&args[1..]),
        "terminal" => cmd_terminal(&args[1..]),
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        other => usage_error(&format!("unknown subcommand '{other}'")),
    }
}

#[cfg(test)]
mod tests {
    use super::progress_line;

    #[test]
    fn progress_lines_read_in_seconds_and_percent() {
        assert_eq!(progress_line(120_000, 600_000), "grouplab: simulated 120.0 s of 600.0 s (20%)");
        assert_eq!(progress_line(0, 0), "grouplab: simulated 0.0 s of 0.0 s (100%)");
        assert_eq!(progress_line(604_800_000, 604_800_000), "grouplab: simulated 604800.0 s of 604800.0 s (100%)");
        assert_eq!(progress_line(1_060, 3_000), "grouplab: simulated 1.1 s of 3.0 s (35%)");
    }
}
