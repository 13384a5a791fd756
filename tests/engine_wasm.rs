//! The engine inside the browser: same scenario ⇒ same state hash as natively.
#![cfg(target_arch = "wasm32")]

use grouplab_engine::Scenario;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const SCENARIO: &str = include_str!("data/determinism.json");

fn hash() -> String {
    let scenario = Scenario::from_json(SCENARIO).expect("valid scenario");
    let run = scenario.run().expect("scenario starts");
    assert!(run.rejected.is_empty(), "rejected commands: {:?}", run.rejected);
    format!("{:016x}", run.sim.state_hash())
}

#[wasm_bindgen_test]
fn same_scenario_twice_gives_the_same_hash() {
    assert_eq!(hash(), hash());
}

/// `cargo xtask test` computes the native hash with `grouplab hash` and passes it in at build time.
#[wasm_bindgen_test]
fn wasm_hash_equals_the_native_hash() {
    let native = option_env!("GROUPLAB_NATIVE_HASH")
        .expect("GROUPLAB_NATIVE_HASH is set by `cargo xtask test` (run the wasm layer through it)");
    assert_eq!(hash(), native);
}
