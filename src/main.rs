/// The app's allocator in the browser: talc, the allocator its authors made as a drop-in for
/// single-threaded WebAssembly, instead of Rust's default dlmalloc (smaller, and faster in their
/// wasm benchmarks).
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

fn main() { grouplab::start(); }
