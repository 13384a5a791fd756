//! The simulated-time horizon: scenario and lesson files that would send the clock past one
//! simulated week are refused at once, naming the field (they used to run for hours).

use std::process::Command as Process;
use std::time::{Duration, Instant};

use grouplab_engine::run::bounds::MAX_HORIZON_MS;
use grouplab_engine::lesson::{Advance, Lesson, LessonRun};
use grouplab_engine::{Command, Scenario, SimError, TimedCommand};

/// Refusals must not simulate anything first.
const QUICK: Duration = Duration::from_secs(1);

fn timed<T>(f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    assert!(start.elapsed() < QUICK, "took {:?}", start.elapsed());
    out
}

fn scenario_json(commands_at: &[u64], run_until_ms: Option<u64>) -> String {
    let commands: Vec<String> = commands_at
        .iter()
        .enumerate()
        .map(|(i, at)| {
            if i == 0 {
                format!(r#"{{"at_ms":{at},"command":{{"type":"create_topic","name":"t","partitions":2,"replication_factor":2}}}}"#)
            } else {
                format!(r#"{{"at_ms":{at},"command":{{"type":"produce","topic":"t","count":1}}}}"#)
            }
        })
        .collect();
    let until = run_until_ms.map_or(String::new(), |u| format!(r#","run_until_ms":{u}"#));
    format!(r#"{{"name":"s","config":{{"seed":1,"brokers":3}},"commands":[{}]{until}}}"#, commands.join(","))
}

#[test]
fn huge_run_until_is_refused_when_parsed() {
    let e = timed(|| Scenario::from_json(&scenario_json(&[0], Some(1 << 63))).unwrap_err());
    assert_eq!(
        e,
        "invalid scenario: run_until_ms: 9223372036854775808 ms is beyond the simulation's horizon of 604800000 ms (one week)"
    );
    let e = timed(|| Scenario::from_json(&scenario_json(&[0], Some(MAX_HORIZON_MS + 1))).unwrap_err());
    assert!(e.contains("run_until_ms: 604800001 ms"), "{e}");
}

#[test]
fn a_command_at_49_days_is_refused_naming_it() {
    let e = timed(|| Scenario::from_json(&scenario_json(&[0, 1_000, 2_000, 49 * 86_400_000], None)).unwrap_err());
    assert_eq!(
        e,
        "invalid scenario: commands[3].at_ms: 4233600000 ms is beyond the simulation's horizon of 604800000 ms (one week)"
    );
}

#[test]
fn times_up_to_the_horizon_parse() {
    let s = Scenario::from_json(&scenario_json(&[0, MAX_HORIZON_MS], Some(MAX_HORIZON_MS))).unwrap();
    assert_eq!(s.run_until_ms, Some(MAX_HORIZON_MS));
    assert_eq!(grouplab_engine::run::scenario::scenario_end_ms(&s.commands, s.run_until_ms), MAX_HORIZON_MS);
}

#[test]
fn run_guards_scenarios_built_in_code() {
    let mut s = Scenario::from_json(&scenario_json(&[0], Some(1_000))).unwrap();
    s.run_until_ms = Some(u64::MAX);
    let e = timed(|| s.run().unwrap_err());
    assert!(matches!(&e, SimError::LimitExceeded(m) if m.starts_with("run_until_ms: 18446744073709551615 ms is beyond")), "{e}");
    s.run_until_ms = None;
    s.commands.push(TimedCommand { at_ms: MAX_HORIZON_MS + 1, command: Command::CrashBroker { broker: 0 } });
    let e = timed(|| s.run().unwrap_err());
    assert!(e.to_string().contains("commands[1].at_ms: 604800001 ms"), "{e}");
}

#[test]
fn run_with_progress_reports_simulated_time_up_to_the_end() {
    let s = Scenario::from_json(&scenario_json(&[0, 500], Some(3_000))).unwrap();
    let mut seen = Vec::new();
    let run = s.run_with_progress(&mut |now, end| seen.push((now, end))).unwrap();
    assert!(!seen.is_empty());
    assert!(seen.iter().all(|&(now, end)| end == 3_000 && now <= 3_000), "{seen:?}");
    assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0), "time never goes back");
    // The same run as without a callback.
    assert_eq!(run.sim.state_hash(), s.run().unwrap().sim.state_hash());
}

fn lesson_json(setup_until: Option<u64>, steps: &str) -> String {
    let until = setup_until.map_or(String::new(), |u| format!(r#""run_until_ms":{u},"#));
    format!(
        r#"{{"name":"l","title":"L","concept":"c","config":{{"seed":1,"brokers":3}},{until}
           "commands":[{{"at_ms":0,"command":{{"type":"create_topic","name":"t","partitions":2,"replication_factor":2}}}}],
           "steps":{steps}}}"#
    )
}

fn days(n: usize, advance: &str) -> String {
    format!("[{}]", vec![format!(r#"{{"narration":"wait","advance":{advance}}}"#); n].join(","))
}

#[test]
fn lesson_waits_past_the_horizon_are_refused_naming_the_step() {
    // Seven one-day waits reach the horizon exactly: accepted.
    Lesson::from_json("ok.json", &lesson_json(None, &days(7, r#"{"after_ms":86400000}"#))).unwrap();
    let e = timed(|| Lesson::from_json("x.json", &lesson_json(None, &days(8, r#"{"after_ms":86400000}"#))).unwrap_err());
    assert_eq!(
        e.to_string(),
        "x.json: steps[7].advance.after_ms: 86400000 ms from 604800000 ms (the latest the step can start) ends at 691200000 ms, beyond the simulation's horizon of 604800000 ms (one week)"
    );
    let e = Lesson::from_json("x.json", &lesson_json(None, &days(8, r#"{"on_event":{"type":"broker_fenced"},"within_ms":86400000}"#))).unwrap_err();
    assert!(e.problem.starts_with("steps[7].advance.within_ms: 86400000 ms"), "{e}");
    // The setup's end counts: one day of setup leaves six.
    let e = Lesson::from_json("x.json", &lesson_json(Some(86_400_000), &days(7, r#"{"after_ms":86400000}"#))).unwrap_err();
    assert!(e.problem.starts_with("steps[6].advance.after_ms: "), "{e}");
    // `next` and `on_action` steps take no simulated time.
    let mut steps: Vec<String> = vec![r#"{"narration":"n","advance":"next"}"#.to_string(); 150];
    steps.push(r#"{"narration":"wait","advance":{"after_ms":86400000}}"#.to_string());
    Lesson::from_json("ok.json", &lesson_json(None, &format!("[{}]", steps.join(",")))).unwrap();
}

#[test]
fn lesson_setup_times_are_checked_like_a_scenario() {
    let e = timed(|| Lesson::from_json("x.json", &lesson_json(Some(1 << 63), &days(1, r#""next""#))).unwrap_err());
    assert!(e.problem.starts_with("run_until_ms: 9223372036854775808 ms is beyond"), "{e}");
    let text = lesson_json(None, &days(1, r#""next""#)).replace(r#""at_ms":0"#, r#""at_ms":4233600000"#);
    let e = Lesson::from_json("x.json", &text).unwrap_err();
    assert!(e.problem.starts_with("commands[0].at_ms: 4233600000 ms is beyond"), "{e}");
}

#[test]
fn a_time_fact_the_clock_never_reaches_is_refused() {
    let steps = r#"[{"narration":"n","advance":"next","expect":[{"time_ms_between":[604800001,604800002]}]}]"#;
    let e = Lesson::from_json("x.json", &lesson_json(None, steps)).unwrap_err();
    assert_eq!(e.step, Some(0));
    assert!(e.problem.contains("time_ms_between[0]: 604800001 ms is beyond"), "{e}");
    // An upper bound past the horizon only says "any time after".
    let steps = r#"[{"narration":"n","advance":"next","expect":[{"time_ms_between":[0,18446744073709551615]}]}]"#;
    Lesson::from_json("ok.json", &lesson_json(None, steps)).unwrap();
}

#[test]
fn lesson_run_guards_lessons_built_in_code() {
    let mut lesson = Lesson::from_json("x.json", &lesson_json(None, &days(1, r#"{"after_ms":1000}"#))).unwrap();
    lesson.steps[0].advance = Advance::AfterMs(u64::MAX);
    let e = timed(|| LessonRun::start(&lesson).unwrap_err());
    assert!(e.problem.starts_with("steps[0].advance.after_ms: 18446744073709551615 ms"), "{e}");
    let mut lesson = Lesson::from_json("x.json", &lesson_json(None, &days(1, r#""next""#))).unwrap();
    lesson.run_until_ms = Some(u64::MAX);
    let e = timed(|| LessonRun::start(&lesson).unwrap_err());
    assert!(e.problem.starts_with("run_until_ms: "), "{e}");
}

fn grouplab_run(name: &str, text: &str) -> (i32, String) {
    let path = std::env::temp_dir().join(format!("grouplab-bounds-{}-{name}", std::process::id()));
    std::fs::write(&path, text).unwrap();
    let start = Instant::now();
    let out = Process::new(env!("CARGO_BIN_EXE_grouplab")).arg("run").arg(&path).output().expect("run grouplab");
    let elapsed = start.elapsed();
    let _ = std::fs::remove_file(&path);
    assert!(elapsed < Duration::from_secs(5), "{name}: took {elapsed:?}");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn cli_refuses_a_bad_file_with_the_usage_status_naming_the_field() {
    let (code, err) = grouplab_run("scenario.json", &scenario_json(&[0, 1_000, 2_000, 49 * 86_400_000], None));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("commands[3].at_ms: 4233600000 ms is beyond the simulation's horizon of 604800000 ms (one week)"), "{err}");
    let (code, err) = grouplab_run("until.json", &scenario_json(&[0], Some(1 << 63)));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("run_until_ms: 9223372036854775808 ms"), "{err}");
    let (code, err) = grouplab_run("lesson.json", &lesson_json(None, &days(8, r#"{"after_ms":86400000}"#)));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("steps[7].advance.after_ms: 86400000 ms"), "{err}");
}

#[test]
fn cli_prints_no_progress_for_a_quick_run() {
    let (code, err) = grouplab_run("quick.json", &scenario_json(&[0, 500], Some(3_000)));
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("simulated"), "{err}");
}
