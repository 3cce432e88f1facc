//! Running external commands: each one is printed before it runs, and a
//! failure names the command and its exit status.

use std::path::Path;
use std::process::{Command, Stdio};

/// Formats a command as a shell-like line for logs and error messages.
pub fn describe(command: &Command) -> String {
    let mut line = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        line.push(' ');
        line.push_str(&arg.to_string_lossy());
    }
    line
}

/// Runs `command` with inherited stdio and fails unless it exits with status 0.
pub fn run(command: &mut Command) -> Result<(), String> {
    println!("$ {}", describe(command));
    let status = command
        .status()
        .map_err(|error| format!("failed to start `{}`: {error}", describe(command)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed with {status}", describe(command)))
    }
}

/// Runs `command` quietly and returns its trimmed stdout, or `None` when the
/// program is missing or exits with an error.
pub fn output_of(command: &mut Command) -> Option<String> {
    let output = command.stderr(Stdio::null()).output().ok()?;
    if !output.status.success() {
        return None;
    }
    Some(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// Returns a `cargo` command that runs in `root`, using the `cargo` that runs
/// this xtask so a rustup toolchain override keeps applying.
pub fn cargo(root: &Path) -> Command {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut command = Command::new(cargo);
    command.current_dir(root);
    command
}

/// Returns a `trunk` command that runs in `root` and finds the pinned
/// wasm-opt of `tools/node_modules/.bin` first on `PATH`.
///
/// Debian bookworm's binaryen 108 breaks the release build: the optimised
/// module throws `WebAssembly.Table.set(): Argument 1 is invalid for table`
/// at start, so the app never mounts. binaryen 132 from npm does not.
pub fn trunk(root: &Path) -> Command {
    let tools = root.join("tools").join("node_modules").join(".bin");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![tools];
    paths.extend(std::env::split_paths(&path));
    let mut command = Command::new("trunk");
    command.current_dir(root);
    if let Ok(joined) = std::env::join_paths(paths) {
        command.env("PATH", joined);
    }
    command
}
