//! `cargo xtask test`: every check and test suite, in order, stopping at the
//! first failure.
//!
//! The end-to-end tests and the conformance test need the built app and the
//! server binary. The `app` and `server` steps build them, and the later steps
//! build them on demand when run alone (`cargo xtask test e2e`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::process;
use crate::server::{self, Server};
use crate::setup;

/// The chromedriver of Debian's chromium-driver package.
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Demo users whose tokens the conformance test gets: riders r1 and r2, driver d1.
const CONFORMANCE_USERS: &[(&str, &str)] = &[
    ("r1", "RIDECHAT_TOKEN_R1"),
    ("r2", "RIDECHAT_TOKEN_R2"),
    ("d1", "RIDECHAT_TOKEN_D1"),
];

struct Step {
    name: &'static str,
    what: &'static str,
    run: fn(&mut Context) -> Result<(), String>,
}

const STEPS: &[Step] = &[
    Step {
        name: "setup",
        what: "install missing tools",
        run: run_setup,
    },
    Step {
        name: "fmt",
        what: "cargo fmt --check",
        run: run_fmt,
    },
    Step {
        name: "clippy",
        what: "cargo clippy, warnings denied",
        run: run_clippy,
    },
    Step {
        name: "native",
        what: "core and server tests",
        run: run_native_tests,
    },
    Step {
        name: "browser",
        what: "wasm-bindgen tests in Chromium",
        run: run_browser_tests,
    },
    Step {
        name: "app",
        what: "trunk build of the app",
        run: run_app_build,
    },
    Step {
        name: "server",
        what: "build of the server binary",
        run: run_server_build,
    },
    Step {
        name: "e2e",
        what: "end-to-end scenarios",
        run: run_e2e_tests,
    },
    Step {
        name: "conformance",
        what: "phoenix.js against the server",
        run: run_conformance,
    },
];

/// State shared by the steps: the repository root and what earlier steps built.
struct Context {
    root: PathBuf,
    server_bin: Option<PathBuf>,
    app_built: bool,
}

impl Context {
    /// Returns the directory of the app build that the e2e tests serve.
    /// It is kept apart from `dist/`, which contains the release build of
    /// `cargo xtask serve`.
    fn test_dist(&self) -> PathBuf {
        app_dir(&self.root, "e2e-dist")
    }

    fn ensure_app(&mut self) -> Result<PathBuf, String> {
        if !self.app_built {
            run_app_build(self)?;
        }
        Ok(self.test_dist())
    }

    fn ensure_server_bin(&mut self) -> Result<PathBuf, String> {
        if self.server_bin.is_none() {
            run_server_build(self)?;
        }
        self.server_bin
            .clone()
            .ok_or_else(|| "the server build returned no binary".to_string())
    }
}

enum Outcome {
    Passed,
    Failed(String),
    Skipped,
}

/// Runs all steps, or those named in `args`, and prints a summary ending with
/// `N passed, N failed, N skipped`.
pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    if args.iter().any(|arg| arg == "--list") {
        for step in STEPS {
            println!("{:<12} {}", step.name, step.what);
        }
        return Ok(());
    }
    let selected = select_steps(args)?;

    let mut context = Context {
        root: root.to_path_buf(),
        server_bin: None,
        app_built: false,
    };
    let mut outcomes = Vec::new();
    let mut failed = false;

    for step in selected {
        if failed {
            outcomes.push((step, Outcome::Skipped, 0.0));
            continue;
        }
        println!("\n==> {}: {}", step.name, step.what);
        let started = Instant::now();
        let outcome = match (step.run)(&mut context) {
            Ok(()) => Outcome::Passed,
            Err(message) => {
                failed = true;
                Outcome::Failed(message)
            }
        };
        outcomes.push((step, outcome, started.elapsed().as_secs_f64()));
    }

    print_summary(&outcomes);
    if failed {
        Err("a test step failed; see the summary above".to_string())
    } else {
        Ok(())
    }
}

fn select_steps(args: &[String]) -> Result<Vec<&'static Step>, String> {
    if args.is_empty() {
        return Ok(STEPS.iter().collect());
    }
    args.iter()
        .map(|name| {
            STEPS.iter().find(|step| step.name == name).ok_or_else(|| {
                let names: Vec<&str> = STEPS.iter().map(|step| step.name).collect();
                format!(
                    "unknown test step `{name}`; the steps are: {}",
                    names.join(", ")
                )
            })
        })
        .collect()
}

fn print_summary(outcomes: &[(&Step, Outcome, f64)]) {
    println!("\n==> summary");
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    for (step, outcome, seconds) in outcomes {
        match outcome {
            Outcome::Passed => {
                passed += 1;
                println!("  passed   {:<12} {seconds:>6.0} s", step.name);
            }
            Outcome::Failed(message) => {
                failed += 1;
                println!("  FAILED   {:<12} {seconds:>6.0} s  {message}", step.name);
            }
            Outcome::Skipped => {
                skipped += 1;
                println!("  skipped  {:<12} (an earlier step failed)", step.name);
            }
        }
    }
    println!("{passed} passed, {failed} failed, {skipped} skipped");
}

fn run_setup(context: &mut Context) -> Result<(), String> {
    setup::run(&context.root)
}

fn run_fmt(context: &mut Context) -> Result<(), String> {
    process::run(process::cargo(&context.root).args(["fmt", "--all", "--check"]))
}

fn run_clippy(context: &mut Context) -> Result<(), String> {
    process::run(process::cargo(&context.root).args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))
}

fn run_native_tests(context: &mut Context) -> Result<(), String> {
    process::run(process::cargo(&context.root).args([
        "test",
        "-p",
        "ridechat-core",
        "--all-features",
        "-p",
        "ridechat-server",
        "-p",
        "xtask",
    ]))
}

/// Runs the client's wasm-bindgen tests through wasm-bindgen-test-runner,
/// which reads `webdriver.json` beside Cargo.toml for the Chromium flags.
fn run_browser_tests(context: &mut Context) -> Result<(), String> {
    process::run(
        process::cargo(&context.root)
            .args([
                "test",
                "--target",
                "wasm32-unknown-unknown",
                "-p",
                "ridechat",
            ])
            .env("CHROMEDRIVER", CHROMEDRIVER),
    )
}

/// Builds the app in release mode, as `cargo xtask serve` does, so the e2e
/// tests run the code users get, after wasm-opt and with `panic = "abort"`.
fn run_app_build(context: &mut Context) -> Result<(), String> {
    let dist = context.test_dist();
    process::run(
        process::trunk(&context.root)
            .args(["build", "--release"])
            .arg("--dist")
            .arg(&dist)
            .current_dir(&context.root),
    )?;
    context.app_built = true;
    Ok(())
}

fn run_server_build(context: &mut Context) -> Result<(), String> {
    let bin = server::build(&context.root, false)?;
    println!("server binary: {}", bin.display());
    context.server_bin = Some(bin);
    Ok(())
}

/// Runs the e2e crate's tests one at a time: each starts its own server and
/// two Chromium sessions, more than two cores can run side by side.
fn run_e2e_tests(context: &mut Context) -> Result<(), String> {
    let dist = context.ensure_app()?;
    let bin = context.ensure_server_bin()?;
    process::run(
        process::cargo(&context.root)
            .args(["test", "-p", "ridechat-e2e", "--", "--test-threads=1"])
            .env("RIDECHAT_SERVER_BIN", &bin)
            .env("RIDECHAT_DIST", &dist)
            .env("CHROMEDRIVER", CHROMEDRIVER),
    )
}

/// Starts a demo server on a free loopback port with a fresh database, mints
/// tokens for the demo users and runs the `node --test` suite against it.
/// The suite uses only the socket, so the server runs without the app.
fn run_conformance(context: &mut Context) -> Result<(), String> {
    let bin = context.ensure_server_bin()?;
    let work_dir = TempDir::create("conformance")?;
    let db = work_dir.path.join("ridechat.sqlite");
    let server = Server::start_demo(&bin, "127.0.0.1:0", &db, None)?;

    let mut command = Command::new("node");
    command
        .args(["--test", "chat.test.mjs"])
        .current_dir(context.root.join("conformance"))
        .env("RIDECHAT_URL", server.url());
    for (user, variable) in CONFORMANCE_USERS {
        command.env(variable, server::mint_token(&bin, &db, user)?);
    }
    process::run(&mut command)
}

/// Returns where a built app named `name` goes: `target/` of this checkout,
/// even when `CARGO_TARGET_DIR` points elsewhere, so two checkouts that
/// share a build cache never serve each other's app.
pub fn app_dir(root: &Path, name: &str) -> PathBuf {
    root.join("target").join(name)
}

/// A directory under the system temp directory, removed when dropped.
struct TempDir {
    path: PathBuf,
}

impl TempDir {
    fn create(label: &str) -> Result<Self, String> {
        let path = std::env::temp_dir().join(format!("ridechat-{label}-{}", std::process::id()));
        std::fs::create_dir_all(&path)
            .map_err(|error| format!("cannot create {}: {error}", path.display()))?;
        Ok(Self { path })
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Err(error) = std::fs::remove_dir_all(&self.path) {
            eprintln!("warning: cannot remove {}: {error}", self.path.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::select_steps;

    #[test]
    fn steps_default_to_all() {
        let steps = select_steps(&[]).unwrap_or_default();
        assert_eq!(steps.first().map(|step| step.name), Some("setup"));
        assert_eq!(steps.last().map(|step| step.name), Some("conformance"));
    }

    #[test]
    fn steps_selected_by_name() {
        let args = ["e2e".to_string(), "fmt".to_string()];
        let names: Vec<&str> = select_steps(&args)
            .unwrap_or_default()
            .iter()
            .map(|step| step.name)
            .collect();
        assert_eq!(names, vec!["e2e", "fmt"]);
    }

    #[test]
    fn steps_reject_unknown_name() {
        let error = select_steps(&["lint".to_string()])
            .err()
            .unwrap_or_default();
        assert!(error.contains("unknown test step `lint`"), "{error}");
    }
}
