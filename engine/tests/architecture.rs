//! Tidy test of the engine's layering (as rust-analyzer's tidy tests do): every module of
//! `engine/src` belongs to one layer, and a file may name (`crate::…`, `super::…`) only modules of
//! its own layer or a lower one; the domain machines of one layer do not name each other; and no
//! two files of the engine import each other, directly or through others.
//!
//! Layers, lowest first (ARCHITECTURE.md explains them):
//! kernel → kafka → cluster → {producer, group, assign} → api → sim → {run, tools} → lesson.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level modules by layer, lowest first.
const LAYERS: &[&[&str]] = &[&["kernel"], &["kafka"], &["cluster"], &["producer", "group", "assign"], &["api"], &["sim"], &["run", "tools"], &["lesson"]];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The module path of a file: `cluster/mod.rs` → `["cluster"]`, `group/event.rs` → `["group", "event"]`.
fn module_path(file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src()).unwrap();
    let mut parts: Vec<String> = rel.iter().map(|c| c.to_string_lossy().into_owned()).collect();
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_string());
    }
    parts
}

/// The code of a file without comments and string literals (so doc links and messages do not
/// count as imports), and without its `#[cfg(test)]` tail module (tests may reach across).
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    let mut out = String::new();
    for line in text.lines() {
        let mut in_str = false;
        let mut prev = ' ';
        let mut kept = String::new();
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if !in_str && c == '/' && chars.get(i + 1) == Some(&'/') {
                break;
            }
            if c == '"' && prev != '\\' && !(prev == '\'' && chars.get(i + 1) == Some(&'\'')) {
                in_str = !in_str;
            } else if !in_str {
                kept.push(c);
            }
            prev = if prev == '\\' && c == '\\' { ' ' } else { c };
            i += 1;
        }
        out.push_str(&kept);
        out.push('\n');
    }
    out
}

/// The module paths a file names: `crate::a::b::C`, `crate::{a::x, b}`, `super::x`, `super::super::y`.
fn references(file_module: &[String], code: &str) -> BTreeSet<Vec<String>> {
    let mut refs = BTreeSet::new();
    let ident = |s: &str| s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>();
    let path_at = |s: &str| -> Vec<String> {
        // `a::b::{c, d}` or `a::b::C` → the lowercase segments.
        let mut segs = Vec::new();
        let mut rest = s;
        loop {
            let id = ident(rest);
            if id.is_empty() || id.chars().next().unwrap().is_uppercase() {
                break;
            }
            rest = &rest[id.len()..];
            segs.push(id);
            match rest.strip_prefix("::") {
                Some(r) if !r.starts_with('{') => rest = r,
                _ => break,
            }
        }
        segs
    };
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + 7..];
        if let Some(inner) = rest.strip_prefix('{') {
            let end = inner.find('}').unwrap_or(inner.len());
            for part in inner[..end].split(',') {
                let p = path_at(part.trim());
                if !p.is_empty() {
                    refs.insert(p);
                } else if !part.trim().is_empty() {
                    refs.insert(vec![format!("#root:{}", ident(part.trim()))]);
                }
            }
        } else {
            let p = path_at(rest);
            if p.is_empty() {
                refs.insert(vec![format!("#root:{}", ident(rest))]);
            } else {
                refs.insert(p);
            }
        }
    }
    for (i, _) in code.match_indices("super::") {
        if i >= 2 && &code[i - 2..i] == "::" {
            continue; // counted with the first `super::`
        }
        // Each `super` goes one module up from the file's module.
        let mut base: Vec<String> = file_module.to_vec();
        let mut rest = &code[i..];
        while let Some(r) = rest.strip_prefix("super::") {
            rest = r;
            base.pop();
        }
        if let Some(inner) = rest.strip_prefix('{') {
            let end = inner.find('}').unwrap_or(inner.len());
            for part in inner[..end].split(',') {
                let mut q = base.clone();
                q.extend(path_at(part.trim()));
                refs.insert(q);
            }
        } else {
            let mut p = base;
            p.extend(path_at(rest));
            refs.insert(p);
        }
    }
    refs
}

/// The root names `lib.rs` re-exports, by the module they come from.
fn root_reexports() -> BTreeMap<String, String> {
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    let mut m = BTreeMap::new();
    for line in lib.lines().filter_map(|l| l.strip_prefix("pub use ")) {
        let module = line.split("::").next().unwrap().to_string();
        let names = line.rsplit("::").next().unwrap().trim_end_matches(';').trim_matches(|c| c == '{' || c == '}');
        for n in names.split(',') {
            m.insert(n.trim().to_string(), module.clone());
        }
    }
    m
}

struct Graph {
    /// file module path → module paths it names (resolved to existing files' module paths).
    edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
    violations: Vec<String>,
}

fn graph() -> Graph {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    files.sort();
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_path(f)).collect();
    let roots = root_reexports();
    let mut edges = BTreeMap::new();
    let mut violations = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(src()).unwrap().to_string_lossy().into_owned();
        if rel == "lib.rs" || rel.starts_with("bin/") {
            continue;
        }
        let me = module_path(f);
        let my_layer = layer_of(&me[0]).unwrap_or_else(|| panic!("{rel}: module `{}` is in no layer; add it to LAYERS and ARCHITECTURE.md", me[0]));
        let text = std::fs::read_to_string(f).unwrap();
        let mut targets = BTreeSet::new();
        for r in references(&me, &code(&text)) {
            let r = match r[0].strip_prefix("#root:") {
                Some(name) => {
                    let module = roots.get(name).cloned().unwrap_or_else(|| "api".to_string());
                    vec![module]
                }
                None => r,
            };
            // The longest prefix of `r` that is a file's module.
            let Some(target) = (1..=r.len()).rev().map(|n| r[..n].to_vec()).find(|p| modules.contains(p)) else { continue };
            if target == me {
                continue;
            }
            let their_layer = layer_of(&target[0]).unwrap();
            if their_layer > my_layer {
                violations.push(format!("{rel} (layer {}) names `{}` (layer {}), a higher layer", LAYERS[my_layer].join("/"), target.join("::"), LAYERS[their_layer].join("/")));
            } else if their_layer == my_layer && target[0] != me[0] {
                violations.push(format!("{rel} names `{}`: the domain machines of one layer do not use each other", target.join("::")));
            }
            targets.insert(target);
        }
        edges.insert(me, targets);
    }
    Graph { edges, violations }
}

#[test]
fn lower_layers_never_name_higher_ones() {
    let g = graph();
    assert!(g.violations.is_empty(), "layer violations:\n{}", g.violations.join("\n"));
}

/// Whether module `a` strictly contains module `b`.
fn is_ancestor(a: &[String], b: &[String]) -> bool {
    b.len() > a.len() && b.starts_with(a)
}

#[test]
fn no_two_files_import_each_other() {
    let g = graph();
    // Drop edges to a file's own ancestors (a submodule using its parent's items is not a cycle
    // of files: `mod.rs` declares the submodule) and find a cycle by depth-first search.
    let edges: BTreeMap<&Vec<String>, Vec<&Vec<String>>> = g
        .edges
        .iter()
        .map(|(from, tos)| (from, tos.iter().filter(|t| !is_ancestor(t, from) && !is_ancestor(from, t)).collect()))
        .collect();
    fn visit<'a>(n: &'a Vec<String>, edges: &BTreeMap<&'a Vec<String>, Vec<&'a Vec<String>>>, state: &mut BTreeMap<&'a Vec<String>, u8>, stack: &mut Vec<&'a Vec<String>>) -> Option<Vec<String>> {
        match state.get(n) {
            Some(1) => {
                let i = stack.iter().position(|s| *s == n).unwrap();
                let mut cycle: Vec<String> = stack[i..].iter().map(|s| s.join("::")).collect();
                cycle.push(n.join("::"));
                return Some(cycle);
            }
            Some(2) => return None,
            _ => {}
        }
        state.insert(n, 1);
        stack.push(n);
        for t in edges.get(n).into_iter().flatten() {
            if let Some(c) = visit(t, edges, state, stack) {
                return Some(c);
            }
        }
        stack.pop();
        state.insert(n, 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in edges.keys() {
        let mut stack = Vec::new();
        if let Some(cycle) = visit(n, &edges, &mut state, &mut stack) {
            panic!("import cycle: {}", cycle.join(" → "));
        }
    }
}

/// The checker itself: a higher-layer import and a cycle are caught.
#[test]
fn the_checker_sees_imports() {
    let refs = references(&["cluster".to_string()], &code("use crate::api::event::Event;\nuse crate::{kernel::Ctx, Sim};\n// crate::lesson is a comment\nlet s = \"crate::run\";\n"));
    let names: Vec<String> = refs.iter().map(|r| r.join("::")).collect();
    assert_eq!(names, vec!["#root:Sim", "api::event", "kernel"]);
    let refs = references(&["group".to_string(), "event".to_string()], &code("use super::protocol::X;\nuse super::{coordinator::GroupState, GroupError};\n"));
    let names: Vec<String> = refs.iter().map(|r| r.join("::")).collect();
    assert_eq!(names, vec!["group", "group::coordinator", "group::protocol"]);
    assert_eq!(layer_of("kernel"), Some(0));
    assert!(layer_of("lesson") > layer_of("sim"));
}

/// Calls that pull a whole std subsystem into the wasm for one use (the bundle-size findings
/// of `ARCHITECTURE.md`): std's sorts (the crate has one stable sort, `kernel::sort`), Unicode
/// case mapping (its tables; ASCII is enough for Kafka's names), and the float parser.
const HEAVY_CALLS: [&str; 7] = [".sort()", ".sort_by(", ".sort_by_key(", ".sort_unstable", ".to_lowercase()", ".to_uppercase()", "parse::<f64>"];

/// Architecture Invariant: the code compiled into the wasm (the engine and the app, tests
/// aside) makes none of [`HEAVY_CALLS`]; `kernel::sort` is the one place std's sort is called.
#[test]
fn the_wasm_code_calls_no_heavy_std_subsystem() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../src"), &mut files);
    let mut found = Vec::new();
    for f in &files {
        if f.ends_with("kernel/sort.rs") || f.components().any(|c| c.as_os_str() == "bin") {
            continue;
        }
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in code(&text).lines().enumerate() {
            for call in HEAVY_CALLS {
                if line.contains(call) {
                    found.push(format!("{}:{}: {call}", f.display(), n + 1));
                }
            }
        }
    }
    assert!(found.is_empty(), "use kernel::sort / the ASCII case functions instead:\n{}", found.join("\n"));
}
