//! Finds the pinned tools and installs the missing ones, saying clearly what it could not.
//!
//! | tool | pinned | from |
//! |---|---|---|
//! | wasm32-unknown-unknown target | the active toolchain | `rustup target add` |
//! | trunk | 0.21.14 | `cargo install --locked` |
//! | wasm-bindgen-cli | the `wasm-bindgen` version in Cargo.lock | `cargo install` |
//! | wasm-opt, Playwright, axe-core | package-lock.json | `npm ci` |
//! | chromium, chromedriver | Debian's | `apt-get install` (root on Debian only) |

use crate::{cmd, root, run};
use std::path::Path;

pub const TRUNK_VERSION: &str = "0.21.14";
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

pub struct Need {
    pub browser: bool,
}

/// What is available, and for each missing tool why.
#[derive(Default)]
pub struct Report {
    ok: Vec<&'static str>,
    missing: Vec<(&'static str, String)>,
}

impl Report {
    fn check(&mut self, name: &'static str, result: Result<(), String>) {
        match result {
            Ok(()) => self.ok.push(name),
            Err(why) => self.missing.push((name, why)),
        }
    }

    pub fn print(&self) {
        println!("tools ready: {}", self.ok.join(", "));
        for (name, why) in &self.missing {
            println!("MISSING {name}: {why}");
        }
    }

    /// Err naming every missing tool among `names`.
    pub fn require(&self, names: &[&str]) -> Result<(), String> {
        let missing: Vec<String> = self
            .missing
            .iter()
            .filter(|(n, _)| names.contains(n))
            .map(|(n, why)| format!("{n} ({why})"))
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(format!("missing: {}", missing.join("; ")))
        }
    }
}

pub fn ensure(need: Need) -> Report {
    let mut report = Report::default();
    report.check("wasm32 target", wasm_target());
    report.check("trunk", trunk());
    report.check("wasm-bindgen", wasm_bindgen());
    report.check("npm packages", npm_packages());
    if need.browser {
        report.check("chromium", chromium());
    }
    report
}

/// `cargo install` of a build tool: its run-time speed does not matter here, so trade the
/// release profile's optimisation for a much shorter cold install on a 2-core machine.
fn cargo_install() -> std::process::Command {
    let mut c = cmd("cargo");
    c.arg("install")
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "1")
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false");
    c
}

/// stdout of a command, or None when it cannot run or fails.
fn output_of(program: &str, args: &[&str]) -> Option<String> {
    let out = cmd(program).args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn wasm_target() -> Result<(), String> {
    let sysroot = output_of("rustc", &["--print", "sysroot"]).ok_or("rustc not found")?;
    let lib = Path::new(sysroot.trim()).join("lib/rustlib/wasm32-unknown-unknown");
    if lib.exists() {
        return Ok(());
    }
    run(cmd("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
    .map_err(|e| format!("{e}; install it with `rustup target add wasm32-unknown-unknown`"))
}

fn trunk() -> Result<(), String> {
    if let Some(v) = output_of("trunk", &["--version"]) {
        if v.split_whitespace().nth(1) == Some(TRUNK_VERSION) {
            return Ok(());
        }
    }
    println!("installing trunk {TRUNK_VERSION} from crates.io (a few minutes on 2 cores)…");
    run(cargo_install().args(["trunk", "--version", TRUNK_VERSION, "--locked", "--force"]))
    .map_err(|e| format!("{e}; try `cargo install trunk --version {TRUNK_VERSION} --locked`"))
}

/// The `wasm-bindgen` version Cargo.lock resolved (the CLI must match it exactly).
pub fn wasm_bindgen_version() -> Result<String, String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock"))
        .map_err(|e| format!("Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\"" {
            if let Some(v) = lines.next().and_then(|l| l.trim().strip_prefix("version = \"")) {
                return Ok(v.trim_end_matches('"').to_string());
            }
        }
    }
    Err("Cargo.lock has no wasm-bindgen entry".into())
}

fn wasm_bindgen() -> Result<(), String> {
    let version = wasm_bindgen_version()?;
    let have = |p: &str| {
        output_of(p, &["--version"]).and_then(|v| v.split_whitespace().nth(1).map(str::to_string))
    };
    if have("wasm-bindgen").as_deref() == Some(version.as_str())
        && have("wasm-bindgen-test-runner").as_deref() == Some(version.as_str())
    {
        return Ok(());
    }
    println!("installing wasm-bindgen-cli {version} from crates.io…");
    let install = |locked: bool| {
        let mut c = cargo_install();
        c.args(["wasm-bindgen-cli", "--version", &version, "--force"]);
        if locked {
            c.arg("--locked");
        }
        run(&mut c)
    };
    install(true).or_else(|_| install(false)).map_err(|e| {
        format!("{e}; try `cargo install wasm-bindgen-cli --version {version}`")
    })
}

fn npm_packages() -> Result<(), String> {
    let installed = |pkg: &str, version: &str| {
        std::fs::read_to_string(root().join("node_modules").join(pkg).join("package.json"))
            .map(|s| s.contains(&format!("\"version\": \"{version}\"")))
            .unwrap_or(false)
    };
    let lock = std::fs::read_to_string(root().join("package.json")).map_err(|e| e.to_string())?;
    let wanted: Vec<(String, String)> = lock
        .lines()
        .filter_map(|l| {
            let l = l.trim().trim_end_matches(',');
            let (k, v) = l.split_once(':')?;
            let (k, v) = (k.trim().trim_matches('"'), v.trim().trim_matches('"'));
            (v.chars().next()?.is_ascii_digit()).then(|| (k.to_string(), v.to_string()))
        })
        .collect();
    if !wanted.is_empty() && wanted.iter().all(|(k, v)| installed(k, v)) {
        return Ok(());
    }
    if output_of("npm", &["--version"]).is_none() {
        return Err("npm not found: install Node.js 20+ and npm (Debian: `apt-get install nodejs npm`)".into());
    }
    println!("installing pinned npm packages (npm ci)…");
    run(cmd("npm").args(["ci", "--no-fund", "--no-audit"]).env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1"))
}

fn chromium() -> Result<(), String> {
    if Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists() {
        return Ok(());
    }
    let root_user = output_of("id", &["-u"]).map(|s| s.trim() == "0").unwrap_or(false);
    let debian = Path::new("/etc/debian_version").exists();
    let advice = "install Debian's `chromium` and `chromium-driver` (apt-get install -y chromium chromium-driver), \
                  which provide /usr/bin/chromium and /usr/bin/chromedriver";
    if !(root_user && debian) {
        return Err(format!("not root on Debian, so cannot install it here: {advice}"));
    }
    println!("installing chromium and chromium-driver from Debian…");
    run(cmd("apt-get").args(["update", "-q"]))
    .and_then(|()| {
        run(cmd("apt-get").args(["install", "-y", "-q", "chromium", "chromium-driver"])
                .env("DEBIAN_FRONTEND", "noninteractive"))
    })
    .map_err(|e| format!("{e}; {advice}"))
}
