//! `cargo xtask setup`: installs what the build and the tests need.
//!
//! Each tool is checked by running it (or asking its package manager) and is
//! installed only when it is missing or at another version, so a second run
//! only prints what it found.

use std::path::Path;
use std::process::Command;

use crate::cargo_lock;
use crate::process::{self, output_of};

/// The Trunk release the app is built with.
const TRUNK_VERSION: &str = "0.21.14";

/// Debian packages for the browser tests (chromium, chromium-driver) and the
/// bundle size measurement (brotli).
const DEBIAN_PACKAGES: &[&str] = &["chromium", "chromium-driver", "brotli"];

/// Folders whose npm packages are pinned by a package-lock.json: the build
/// tools (binaryen's wasm-opt, run by Trunk) and the phoenix.js peer.
const NPM_FOLDERS: &[&str] = &["tools", "conformance"];

const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// Installs every missing tool: the wasm32 target, Trunk, wasm-bindgen-cli,
/// the Debian packages and the npm packages of `tools/` and `conformance/`.
pub fn run(root: &Path) -> Result<(), String> {
    println!("==> setup: checking tools");
    ensure_wasm_target()?;
    ensure_trunk(root)?;
    ensure_wasm_bindgen_cli(root)?;
    ensure_debian_packages()?;
    for folder in NPM_FOLDERS {
        ensure_npm_packages(&root.join(folder))?;
    }
    println!("==> setup: done");
    Ok(())
}

fn ensure_wasm_target() -> Result<(), String> {
    let installed = output_of(Command::new("rustup").args(["target", "list", "--installed"]))
        .unwrap_or_default();
    if installed.lines().any(|line| line.trim() == WASM_TARGET) {
        println!("ok: rust target {WASM_TARGET} is installed");
        return Ok(());
    }
    println!("installing rust target {WASM_TARGET}");
    process::run(Command::new("rustup").args(["target", "add", WASM_TARGET]))
}

fn ensure_trunk(root: &Path) -> Result<(), String> {
    let found = output_of(Command::new("trunk").arg("--version"));
    if version_matches(found.as_deref(), TRUNK_VERSION) {
        println!("ok: trunk {TRUNK_VERSION} is installed");
        return Ok(());
    }
    println!(
        "installing trunk {TRUNK_VERSION} (found {}); this compiles for about 10 minutes",
        found.as_deref().unwrap_or("none")
    );
    process::run(process::cargo(root).args([
        "install",
        "--locked",
        "trunk",
        "--version",
        TRUNK_VERSION,
    ]))
}

/// Installs wasm-bindgen-cli at the version of the `wasm-bindgen` package in
/// Cargo.lock, because the CLI refuses modules built by another version.
/// It is installed without `--locked`, so Cargo resolves the CLI's
/// dependencies afresh instead of using the lockfile published with it.
fn ensure_wasm_bindgen_cli(root: &Path) -> Result<(), String> {
    let version = locked_wasm_bindgen_version(root)?;
    let found = output_of(Command::new("wasm-bindgen").arg("--version"));
    if version_matches(found.as_deref(), &version) {
        println!("ok: wasm-bindgen-cli {version} is installed");
        return Ok(());
    }
    println!(
        "installing wasm-bindgen-cli {version} (found {}); this compiles for about 5 minutes",
        found.as_deref().unwrap_or("none")
    );
    process::run(process::cargo(root).args(["install", "wasm-bindgen-cli", "--version", &version]))
}

fn locked_wasm_bindgen_version(root: &Path) -> Result<String, String> {
    let path = root.join("Cargo.lock");
    let lockfile = std::fs::read_to_string(&path).map_err(|error| {
        format!(
            "cannot read {}: {error}; run `cargo generate-lockfile`",
            path.display()
        )
    })?;
    let versions = cargo_lock::package_versions(&lockfile, "wasm-bindgen");
    match versions.as_slice() {
        [version] => Ok(version.clone()),
        [] => Err(format!("no `wasm-bindgen` package in {}", path.display())),
        many => Err(format!(
            "{} locks several wasm-bindgen versions ({}); pin one in the workspace Cargo.toml",
            path.display(),
            many.join(", ")
        )),
    }
}

/// Checks a `--version` output such as `trunk 0.21.14` against `version`.
fn version_matches(output: Option<&str>, version: &str) -> bool {
    output.is_some_and(|text| text.split_whitespace().any(|word| word == version))
}

fn ensure_debian_packages() -> Result<(), String> {
    let missing: Vec<&str> = DEBIAN_PACKAGES
        .iter()
        .copied()
        .filter(|package| !debian_package_installed(package))
        .collect();
    if missing.is_empty() {
        println!(
            "ok: Debian packages {} are installed",
            DEBIAN_PACKAGES.join(", ")
        );
        return Ok(());
    }

    println!("installing Debian packages {}", missing.join(", "));
    process::run(&mut apt_get(&["update"]))?;
    let mut install_args = vec!["install", "-y", "--no-install-recommends"];
    install_args.extend(&missing);
    process::run(&mut apt_get(&install_args))
}

fn debian_package_installed(package: &str) -> bool {
    let status = output_of(Command::new("dpkg-query").args(["-W", "-f=${Status}", package]));
    status.is_some_and(|status| status.ends_with("install ok installed"))
}

/// Builds an apt-get command, through sudo when not running as root.
fn apt_get(args: &[&str]) -> Command {
    let is_root = output_of(Command::new("id").arg("-u")).as_deref() == Some("0");
    let mut command = if is_root {
        Command::new("apt-get")
    } else {
        let mut sudo = Command::new("sudo");
        sudo.arg("apt-get");
        sudo
    };
    command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
    command
}

/// Runs `npm ci` in `dir` unless `npm ls` reports every dependency installed
/// at the version that package.json pins.
fn ensure_npm_packages(dir: &Path) -> Result<(), String> {
    if !dir.join("package-lock.json").exists() {
        return Err(format!("missing {}/package-lock.json", dir.display()));
    }

    let listed = Command::new("npm")
        .args(["ls", "--depth=0"])
        .current_dir(dir)
        .output()
        .map_err(|error| format!("cannot run npm: {error}; install Node.js 20 with npm"))?;
    if listed.status.success() {
        println!("ok: npm packages of {} are installed", dir.display());
        return Ok(());
    }

    println!(
        "installing npm packages of {} from package-lock.json",
        dir.display()
    );
    process::run(
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(dir),
    )
}

#[cfg(test)]
mod tests {
    use super::version_matches;

    #[test]
    fn version_matches_exact_word() {
        assert!(version_matches(Some("trunk 0.21.14"), "0.21.14"));
        assert!(version_matches(Some("wasm-bindgen 0.2.130"), "0.2.130"));
    }

    #[test]
    fn version_rejects_other_release() {
        assert!(!version_matches(Some("trunk 0.21.1"), "0.21.14"));
        assert!(!version_matches(Some("wasm-bindgen 0.2.1300"), "0.2.130"));
    }

    #[test]
    fn version_rejects_missing_tool() {
        assert!(!version_matches(None, "0.21.14"));
    }
}
