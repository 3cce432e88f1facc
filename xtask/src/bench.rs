//! `cargo xtask bench`: the delivery benchmarks, with the results
//! written into docs/benchmarks.md.
//!
//! It builds the release app and, as `cargo xtask test e2e` does, the debug
//! server, then runs the `bench` binary of the e2e crate
//! (`e2e/src/bin/bench.rs`), which prints a Markdown table. The debug builds
//! share the e2e tests' cache; the clients' timers, not the server's speed,
//! dominate both measurements. That table goes, with the command, the date and the machine,
//! between the `bench:start` and `bench:end` markers of docs/benchmarks.md,
//! replacing the previous run; without the markers the section is appended.

use std::path::Path;
use std::process::Stdio;

use crate::process::{self, describe};
use crate::{server, setup};

const START_MARKER: &str = "<!-- bench:start -->";
const END_MARKER: &str = "<!-- bench:end -->";

/// Runs setup, builds, benchmarks and updates docs/benchmarks.md.
pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    if !args.is_empty() {
        return Err(format!(
            "unexpected arguments `{}`; usage: cargo xtask bench",
            args.join(" ")
        ));
    }
    setup::run(root)?;

    let dist = crate::test::app_dir(root, "bench-dist");
    println!("==> bench: building the app into {}", dist.display());
    process::run(
        process::trunk(root)
            .args(["build", "--release", "--dist"])
            .arg(&dist)
            .current_dir(root),
    )?;
    // The release build, as `cargo xtask serve` runs it: the server's pace
    // is part of both benchmarks, for ridechat and phoenix.js alike.
    println!("==> bench: building the server (release)");
    let bin = server::build(root, true)?;

    println!("==> bench: running the benchmarks");
    let mut command = process::cargo(root);
    command
        .args(["run", "-p", "ridechat-e2e", "--bin", "bench"])
        .env("RIDECHAT_SERVER_BIN", &bin)
        .env("RIDECHAT_DIST", &dist)
        .env("CHROMEDRIVER", "/usr/bin/chromedriver")
        .stderr(Stdio::inherit());
    println!("$ {}", describe(&command));
    let output = command
        .output()
        .map_err(|error| format!("failed to start `{}`: {error}", describe(&command)))?;
    if !output.status.success() {
        return Err(format!(
            "`{}` failed with {}; its log is above",
            describe(&command),
            output.status
        ));
    }
    let table = String::from_utf8_lossy(&output.stdout).into_owned();
    print!("{table}");

    let section = section(&table, &machine());
    let path = root.join("docs").join("benchmarks.md");
    let old = std::fs::read_to_string(&path)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    std::fs::write(&path, replace_section(&old, &section))
        .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
    println!("==> bench: results written to {}", path.display());
    Ok(())
}

/// The results block, between the markers.
fn section(table: &str, machine: &str) -> String {
    let date =
        process::output_of(std::process::Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"]))
            .unwrap_or_else(|| "unknown date".to_string());
    format!(
        "{START_MARKER}\nMeasured on {date} with `cargo xtask bench`.\nMachine: {machine}.\n\n{table}{END_MARKER}\n"
    )
}

/// Replaces the block between the markers, or appends it with a heading.
fn replace_section(document: &str, section: &str) -> String {
    let start = document.find(START_MARKER);
    let end = document
        .find(END_MARKER)
        .map(|index| index + END_MARKER.len());
    match (start, end) {
        (Some(start), Some(end)) if start < end => {
            let rest = document[end..]
                .strip_prefix('\n')
                .unwrap_or(&document[end..]);
            format!("{}{section}{rest}", &document[..start])
        }
        _ => format!(
            "{}\n## Delivery benchmarks\n\n{section}",
            document.trim_end()
        ),
    }
}

/// Cores, CPU model, memory and load, read from /proc.
fn machine() -> String {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let cores = cpuinfo
        .lines()
        .filter(|line| line.starts_with("processor"))
        .count();
    let model = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .map(|rest| rest.trim_start_matches([' ', '\t', ':']).trim().to_string())
        .unwrap_or_else(|| "unknown CPU".to_string());
    let memory_gb = read("/proc/meminfo")
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map(|kb| format!("{:.0} GB of memory", kb / 1_048_576.0))
        .unwrap_or_else(|| "unknown memory".to_string());
    let load = read("/proc/loadavg")
        .split_whitespace()
        .next()
        .unwrap_or("unknown")
        .to_string();
    format!("{cores} cores ({model}), {memory_gb}, load average {load} when the run ended")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_appended_without_markers() {
        let document = replace_section("# Benchmarks\n\nold\n", "BLOCK\n");
        assert_eq!(
            document,
            "# Benchmarks\n\nold\n## Delivery benchmarks\n\nBLOCK\n"
        );
    }

    #[test]
    fn section_replaced_between_markers() {
        let old = format!("head\n{START_MARKER}\nold run\n{END_MARKER}\ntail\n");
        let new = replace_section(&old, &format!("{START_MARKER}\nnew\n{END_MARKER}\n"));
        assert_eq!(
            new,
            format!("head\n{START_MARKER}\nnew\n{END_MARKER}\ntail\n")
        );
    }
}
