//! Behaviour pinned across refactors: for every bundled scenario, lesson and engine test
//! scenario, the final state hash, the number of trace lines and an FNV-1a hash of the trace text
//! (one `Display` line per event) must equal the figures in `tests/data/golden.txt`.
//! `GROUPLAB_BLESS=1 cargo test -p grouplab-engine --test golden` rewrites that file; a change
//! to it must be explained in the commit that makes it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use grouplab_engine::lesson::{is_lesson_json, run_headless, Lesson, LessonRun};
use grouplab_engine::Scenario;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

fn files() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for dir in ["../static/scenarios", "../tests/data", "tests/scenarios"] {
        let mut names: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
            .unwrap_or_else(|e| panic!("{dir}: {e}"))
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        names.sort();
        for p in names {
            let label = format!("{dir}/{}", p.file_name().unwrap().to_string_lossy()).trim_start_matches("../").to_string();
            out.push((label, std::fs::read_to_string(&p).unwrap()));
        }
    }
    out
}

fn figures() -> String {
    let mut out = String::new();
    for (label, text) in files() {
        let (hash, lines) = if is_lesson_json(&text) {
            let file = label.rsplit('/').next().unwrap();
            let lesson = Lesson::from_json(file, &text).unwrap_or_else(|e| panic!("{e}"));
            let report = run_headless(&lesson).unwrap_or_else(|e| panic!("{e}"));
            let end = LessonRun::at_step(&lesson, lesson.steps.len()).unwrap();
            let lines: Vec<String> = report.events.iter().map(|e| e.to_string()).collect();
            (end.sim().state_hash(), lines)
        } else {
            let scenario = Scenario::from_json(&text).unwrap_or_else(|e| panic!("{label}: {e}"));
            let run = scenario.run().unwrap_or_else(|e| panic!("{label}: {e}"));
            let lines: Vec<String> = run.events.iter().map(|e| e.to_string()).collect();
            (run.sim.state_hash(), lines)
        };
        let trace = lines.join("\n");
        writeln!(out, "{label} state={hash:016x} events={} trace={:016x}", lines.len(), fnv(&trace)).unwrap();
    }
    out
}

#[test]
fn state_hashes_and_traces_are_unchanged() {
    let path = root().join("tests/data/golden.txt");
    let now = figures();
    if std::env::var_os("GROUPLAB_BLESS").is_some() {
        std::fs::write(&path, &now).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).expect("tests/data/golden.txt (GROUPLAB_BLESS=1 writes it)");
    let diff: Vec<String> = want
        .lines()
        .zip(now.lines())
        .filter(|(a, b)| a != b)
        .map(|(a, b)| format!("  was {a}\n  now {b}"))
        .collect();
    assert!(diff.is_empty() && want.lines().count() == now.lines().count(), "golden figures changed:\n{}\nnow:\n{now}", diff.join("\n"));
}
