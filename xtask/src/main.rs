//! Developer tasks for ridechat, run as `cargo xtask <command>`.
//!
//! - `setup` installs the tools the build and the tests need, skipping those
//!   already present at the right version.
//! - `serve` builds the app and starts the reference server with demo data.
//! - `bench` runs the delivery benchmarks and writes their results into
//!   docs/benchmarks.md.
//! - `test` runs every check and test suite in order and stops at the first
//!   failure, with a summary of the steps.
//!
//! The crate uses only the standard library so it builds in seconds on a new
//! machine, before any tool is installed.

mod bench;
mod cargo_lock;
mod process;
mod serve;
mod server;
mod setup;
mod test;

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  setup                     install what is missing: the wasm32 target, trunk,
                            wasm-bindgen-cli, Debian packages, npm packages
  serve [--addr HOST:PORT]  build the app and run the demo server
                            (default address 127.0.0.1:8080)
  bench                     run the delivery benchmarks (outbox flush, recovery
                            beside phoenix.js) and write docs/benchmarks.md
  test [STEP...]            run every check and test suite, or only the named
                            steps; `cargo xtask test --list` lists the steps
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = args.split_first() else {
        eprint!("{USAGE}");
        return ExitCode::FAILURE;
    };

    let result = match command.as_str() {
        "setup" => setup::run(&repo_root()),
        "serve" => serve::run(&repo_root(), rest),
        "test" => test::run(&repo_root(), rest),
        "bench" => bench::run(&repo_root(), rest),
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown command `{other}`\n\n{USAGE}")),
    };

    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Returns the workspace root: the parent of this crate's directory.
///
/// `cargo run` sets `CARGO_MANIFEST_DIR` for the checkout it runs in, which
/// is read first. The value compiled in names the checkout that built the
/// binary, and with a `CARGO_TARGET_DIR` shared between checkouts that can
/// be another one, so it is only the fallback.
fn repo_root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    match manifest_dir.parent() {
        Some(root) => root.to_path_buf(),
        None => manifest_dir,
    }
}
