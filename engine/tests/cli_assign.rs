//! `grouplab assign` answers every conformance case with Kafka's expected assignment.

use std::io::Write;
use std::process::{Command, Stdio};

fn run_assign(input: &str) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_grouplab"))
        .arg("assign")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("grouplab runs");
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_case_with_an_exact_expectation_matches() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/conformance");
    let mut checked = 0;
    for sub in ["assignors", "kip848"] {
        for entry in std::fs::read_dir(format!("{dir}/{sub}")).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let case: serde_json::Value = serde_json::from_str(&text).unwrap();
            let (ok, stdout, stderr) = run_assign(&text);
            assert!(ok, "{}: {stderr}", path.display());
            let got: serde_json::Value = serde_json::from_str(&stdout).unwrap();
            if case["expected"].is_null() {
                continue;
            }
            let members = case["members"].as_array().unwrap();
            for m in members {
                let id = m["id"].as_str().unwrap();
                let want = &case["expected"][id];
                let have = got["assignment"].get(id).cloned().unwrap_or(serde_json::json!([]));
                assert_eq!(&have, want, "{}: member {id}", path.display());
            }
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} cases had exact expectations");
}

#[test]
fn malformed_input_is_a_clear_error() {
    let (ok, _, stderr) = run_assign("{not json");
    assert!(!ok);
    assert!(stderr.contains("assign"), "{stderr}");
    let (ok, _, stderr) = run_assign(r#"{"name":"x","strategy":"bogus","topics":{},"members":[]}"#);
    assert!(!ok);
    assert!(stderr.to_lowercase().contains("bogus"), "{stderr}");
}
