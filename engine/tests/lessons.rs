//! Every lesson in `static/scenarios/` played headless: each fact its narration claims must hold,
//! each question's answer (read from the engine) must be one of its choices, and `grouplab run`
//! must agree. Plus the parser fuzz: no JSON value, string or byte sequence may panic it.
//! `GROUPLAB_PROPTEST_CASES` raises the proptest case count.

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use grouplab_engine::lesson::{is_lesson_json, run_headless, Advance, Lesson, Report};
use proptest::prelude::*;
use serde_json::Value;

fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../static/scenarios")
}

/// Every lesson file (a scenario file with `steps`), sorted by name.
fn lesson_files() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(scenarios_dir()).expect("static/scenarios exists") {
        let path = entry.expect("dir entry").path();
        if path.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(&path).expect("readable");
            if is_lesson_json(&text) {
                out.push((path.file_name().unwrap().to_string_lossy().into_owned(), text));
            }
        }
    }
    out.sort();
    out
}

/// The one check: every fact holds and every answer is a choice; the message lists what failed.
fn check(file: &str, report: &Report) {
    let mut failures = Vec::new();
    for s in &report.steps {
        if let Some((answer, false)) = &s.answer {
            failures.push(format!("step {}: answer {answer} is not one of the choices", s.index + 1));
        }
        for f in s.facts.iter().filter(|f| !f.ok) {
            failures.push(format!("step {}: {} (found {})", s.index + 1, f.fact, f.actual));
        }
    }
    assert!(failures.is_empty(), "{file}: {} failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn the_issue_lessons_are_present() {
    let names: Vec<String> = lesson_files().into_iter().map(|(f, _)| f).collect();
    for want in ["consumer-groups.json", "several-groups.json", "failover.json", "offsets.json", "what-consumers-see.json", "cardinality.json", "multi-threaded.json", "eager-vs-cooperative.json", "static-membership.json", "max-poll-interval.json", "broker-crash.json", "classic-figure.json"] {
        assert!(names.iter().any(|n| n == want), "missing lesson {want}; have {names:?}");
    }
}

#[test]
fn every_lesson_plays_headless_and_its_facts_hold() {
    let files = lesson_files();
    assert!(!files.is_empty());
    let mut total_facts = 0;
    for (file, text) in &files {
        let lesson = Lesson::from_json(file, text).unwrap_or_else(|e| panic!("{e}"));
        // Teaching rules: something is checked, and the lesson ends in a free playground.
        assert!(lesson.steps.iter().any(|s| !s.expect.is_empty()), "{file}: no step states a fact");
        let last = lesson.steps.last().unwrap();
        assert_eq!(last.advance, Advance::Next, "{file}: the last step hands over the playground");
        assert!(last.narration.to_lowercase().contains("playground"), "{file}: the last step must say it is a playground");
        let report = run_headless(&lesson).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(report.steps.len(), lesson.steps.len());
        check(file, &report);
        total_facts += report.fact_counts().0;
        // Deterministic: a second run ends in the same state.
        let again = run_headless(&lesson).unwrap();
        assert_eq!(again.view, report.view, "{file}: not deterministic");
        // The playground is the same setup as a plain scenario.
        let run = lesson.scenario().run().unwrap();
        assert!(run.rejected.is_empty(), "{file}: setup commands rejected: {:?}", run.rejected);
    }
    assert!(total_facts >= 10 * files.len(), "lessons should check their claims ({total_facts} facts)");
}

#[test]
fn a_false_claim_fails_the_check() {
    let (file, text) = lesson_files().into_iter().find(|(f, _)| f == "what-consumers-see.json").unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    // Claim the HW moved while broker 2 was still in the ISR.
    v["steps"][1]["expect"][3]["high_watermark"]["eq"] = Value::from(10);
    let lesson = Lesson::from_value(&file, v).unwrap();
    let report = run_headless(&lesson).unwrap();
    assert!(!report.passed());
    let failed: Vec<_> = report.steps[1].facts.iter().filter(|f| !f.ok).collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].actual, "0");
}

fn grouplab(args: &[&str]) -> (i32, String, String) {
    let out = Process::new(env!("CARGO_BIN_EXE_grouplab")).args(args).output().expect("run grouplab");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn grouplab_run_plays_every_lesson() {
    for (file, _) in lesson_files() {
        let path = scenarios_dir().join(&file);
        let (code, out, err) = grouplab(&["run", path.to_str().unwrap()]);
        assert_eq!(code, 0, "{file}: {err}\n{}", out.lines().rev().take(30).collect::<Vec<_>>().join("\n"));
        assert!(out.contains("\nLESSON "), "{file}: no step report");
        assert!(out.trim_end().ends_with(" 0 failed"), "{file}: {}", out.lines().last().unwrap_or(""));
        let steps = out.split("\nLESSON ").nth(1).unwrap_or("");
        assert!(!steps.contains("FAILED"), "{file}: {steps}");
        assert!(steps.contains("STEP 1 "), "{file}: {steps}");
    }
}

#[test]
fn grouplab_run_reports_bad_lessons() {
    let dir = std::env::temp_dir().join(format!("grouplab-lessons-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad-lesson.json");
    std::fs::write(&bad, r#"{"name":"b","title":"B","concept":"c","steps":[{"narration":"a","advance":"next"},{"narration":"b"}]}"#).unwrap();
    let (code, _, err) = grouplab(&["run", bad.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("bad-lesson.json: step 2: `advance` is missing"), "{err}");

    let (_, text) = lesson_files().into_iter().find(|(f, _)| f == "broker-crash.json").unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["steps"][1]["expect"][0]["leader"]["is"] = Value::from("2");
    let wrong = dir.join("wrong-claim.json");
    std::fs::write(&wrong, v.to_string()).unwrap();
    let (code, out, _) = grouplab(&["run", wrong.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(out.contains("FAILED leader of payments-0 is 2 (found 0)"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

// ----------------------------------------------------------------------------------------------
// Parser fuzz
// ----------------------------------------------------------------------------------------------

fn cases() -> u32 {
    std::env::var("GROUPLAB_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(200)
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "[a-z_.]{0,12}".prop_map(Value::from),
        prop::sample::select(vec!["next", "owner", "after_ms", "on_event", "on_action", "type", "crash_consumer", "g", "t"]).prop_map(Value::from),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        let keys = prop::sample::select(vec![
            "name", "title", "concept", "steps", "narration", "advance", "after_ms", "on_event", "within_ms", "on_action",
            "hint", "commands", "question", "prompt", "choices", "answer_from", "expect", "owner", "is", "eq", "min", "max",
            "time_ms_between", "type", "group", "topic", "partition", "highlight", "config", "seed", "brokers",
        ]);
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((keys, inner), 0..6).prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

/// Replaces the node at a pseudo-random path of `v` with `replacement`.
fn mutate(v: &mut Value, mut choice: u64, replacement: Value) {
    let mut node = v;
    loop {
        let n = match node {
            Value::Object(m) => m.len(),
            Value::Array(a) => a.len(),
            _ => 0,
        };
        if n == 0 || choice.is_multiple_of(4) {
            *node = replacement;
            return;
        }
        let i = (choice / 4 % n as u64) as usize;
        choice /= 4 * n as u64 + 1;
        node = match node {
            Value::Object(m) => m.values_mut().nth(i).unwrap(),
            Value::Array(a) => &mut a[i],
            _ => unreachable!(),
        };
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn parser_never_panics_on_json_values(v in arb_json()) {
        let _ = Lesson::from_value("fuzz.json", v.clone());
        let _ = Lesson::from_json("fuzz.json", &v.to_string());
    }

    #[test]
    fn parser_never_panics_on_strings(s in ".{0,400}") {
        let _ = Lesson::from_json("fuzz.json", &s);
        let _ = is_lesson_json(&s);
    }

    #[test]
    fn parser_never_panics_on_bytes(b in prop::collection::vec(any::<u8>(), 0..400)) {
        let s = String::from_utf8_lossy(&b);
        let _ = Lesson::from_json("fuzz.json", &s);
    }

    #[test]
    fn mutated_lessons_are_accepted_or_rejected_with_the_file_named(
        which in 0usize..16, choice in any::<u64>(), replacement in arb_json()
    ) {
        let files = lesson_files();
        let (file, text) = &files[which % files.len()];
        let mut v: Value = serde_json::from_str(text).unwrap();
        mutate(&mut v, choice, replacement);
        if let Err(e) = Lesson::from_value(file, v) {
            prop_assert_eq!(&e.file, file);
            prop_assert!(e.to_string().starts_with(file.as_str()));
            prop_assert!(!e.problem.is_empty());
        }
    }
}

/// Every number and string leaf of `v`, except object keys.
fn collect_leaves<'a>(v: &'a mut Value, out: &mut Vec<&'a mut Value>) {
    match v {
        Value::Object(m) => m.values_mut().for_each(|x| collect_leaves(x, out)),
        Value::Array(a) => a.iter_mut().for_each(|x| collect_leaves(x, out)),
        Value::Number(_) | Value::String(_) => out.push(v),
        _ => {}
    }
}

/// Simulated time a lesson can ask for, at most (setup plus every step's wait).
fn time_budget_ms(l: &Lesson) -> u64 {
    let setup = l.commands.iter().map(|c| c.at_ms).max().unwrap_or(0).max(l.run_until_ms.unwrap_or(0));
    let steps: u64 = l
        .steps
        .iter()
        .map(|s| match &s.advance {
            Advance::AfterMs(ms) => *ms,
            Advance::OnEvent { within_ms, .. } => *within_ms,
            _ => 0,
        })
        .sum();
    setup.saturating_add(steps)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases() / 8 + 1, ..ProptestConfig::default() })]

    /// A lesson with one number or string changed (a time, a count, a partition, a broker, a
    /// client id...) that still parses plays headless without panicking: it passes, fails a
    /// fact, or stops with an error naming the file.
    #[test]
    fn mutated_lessons_play_without_panicking(
        which in 0usize..16, choice in any::<usize>(),
        number in prop_oneof![Just(0u64), Just(1), 0u64..10, 0u64..100_000, Just(u64::from(u32::MAX)), any::<u64>()],
        text in prop_oneof![Just(String::new()), "[a-zA-Z0-9_.-]{1,8}", Just("C1".to_string()), Just("__consumer_offsets".to_string())],
    ) {
        let files = lesson_files();
        let (file, lesson_text) = &files[which % files.len()];
        let mut v: Value = serde_json::from_str(lesson_text).unwrap();
        let mut leaves = Vec::new();
        collect_leaves(&mut v, &mut leaves);
        prop_assume!(!leaves.is_empty());
        let n = leaves.len();
        let leaf = &mut *leaves[choice % n];
        *leaf = if leaf.is_number() { Value::from(number) } else { Value::from(text) };
        if let Ok(lesson) = Lesson::from_value(file, v) {
            if time_budget_ms(&lesson) <= 400_000 {
                if let Err(e) = run_headless(&lesson) {
                    prop_assert_eq!(&e.file, file);
                }
            }
        }
    }
}

// ----------------------------------------------------------------------------------------------
// The worker-pool consumer mode the multi-threaded lesson relies on
// ----------------------------------------------------------------------------------------------

#[test]
fn worker_threads_is_validated_and_only_a_pool_reorders_keys() {
    use grouplab_engine::{Command, Sim, SimConfig};
    let cmd = |v: Value| serde_json::from_value::<Command>(v).unwrap();
    let mut sim = Sim::new(SimConfig { seed: 3, ..SimConfig::default() }).unwrap();
    sim.apply(cmd(serde_json::json!({"type":"create_topic","name":"t","partitions":1,"replication_factor":1}))).unwrap();
    for bad in [0, 65] {
        let e = sim.apply(cmd(serde_json::json!({"type":"create_group","group_id":"x","topics":["t"],"config":{"worker_threads":bad}}))).unwrap_err();
        assert!(e.to_string().contains("worker_threads"), "{e}");
    }
    for (g, threads) in [("one", 1), ("four", 4)] {
        sim.apply(cmd(serde_json::json!({"type":"create_group","group_id":g,"topics":["t"],
            "config":{"worker_threads":threads,"processing_time_ms":10,"auto.offset.reset":"earliest"}}))).unwrap();
        sim.apply(cmd(serde_json::json!({"type":"add_consumer","group_id":g}))).unwrap();
    }
    sim.apply(cmd(serde_json::json!({"type":"add_producer","topic":"t","rate_per_sec":50,"keys":{"fixed":["a","b"]}}))).unwrap();
    sim.advance_to(30_000);
    let view = sim.view();
    let delivery = |g: &str| view.groups.iter().find(|x| x.group_id == g).unwrap().delivery.clone();
    let (one, four) = (delivery("one"), delivery("four"));
    assert_eq!(one.ordering_violations, 0);
    assert!(four.ordering_violations > 0, "{four:?}");
    assert!(one.processed > 500 && four.processed > 500, "{one:?} {four:?}");
    assert_eq!((one.duplicates, four.duplicates), (0, 0));
}
