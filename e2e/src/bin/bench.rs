//! Runs the delivery benchmarks and prints their results as a Markdown
//! table on stdout. `cargo xtask bench` builds what it needs, runs this with
//! `RIDECHAT_SERVER_BIN` and `RIDECHAT_DIST` set, and writes the table into
//! docs/benchmarks.md.
//!
//! The server gets 19 rides between r1 and d1 beside the demo's ride 1
//! (inserted into its temporary database, see `ChaosWorld::start`), so the
//! recovery benchmark has 20 rooms.

use std::path::PathBuf;
use std::process::ExitCode;

use ridechat_e2e::Result;
use ridechat_e2e::bench::{self, Recovery};
use ridechat_e2e::chaos::ChaosWorld;

const ROOMS: usize = 20;
/// The default rate limit (60 messages a minute after a burst of 30) would
/// make the flush of 1,000 messages a measure of the limit, not the client.
const NO_RATE_LIMIT: [&str; 4] = ["--rate-burst", "100000", "--rate-per-minute", "6000000"];

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("bench: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run()) {
        Ok(table) => {
            print!("{table}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("bench: {error:?}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<String> {
    let extra_ids: Vec<String> = (1..ROOMS).map(|index| format!("{}", 100 + index)).collect();
    let extra: Vec<(&str, &str, &str)> = extra_ids
        .iter()
        .map(|id| (id.as_str(), "r1", "d1"))
        .collect();
    let topics: Vec<String> = std::iter::once("ride:1".to_string())
        .chain(extra_ids.iter().map(|id| format!("ride:{id}")))
        .collect();

    let script = repo_root().join("bench").join("phoenix-recovery.mjs");
    let mut world = ChaosWorld::start(&extra, &NO_RATE_LIMIT).await?;
    eprintln!("bench: recovery of {ROOMS} rooms after a 5 s outage");
    let recovery = bench::recovery(&mut world, &topics, &script).await?;
    eprintln!("bench: outbox flush of 1,000 messages");
    // A room of its own, so the recovery's rooms stay small for phoenix.js.
    let flush = bench::outbox_flush(&world, &topics[ROOMS - 1]).await?;
    world.finish(Vec::new()).await?;
    Ok(table(flush, &recovery))
}

fn table(flush: std::time::Duration, recovery: &Recovery) -> String {
    let seconds = |duration: std::time::Duration| format!("{:.2} s", duration.as_secs_f64());
    format!(
        "| benchmark | client | measured | target |\n\
         |---|---|---|---|\n\
         | outbox flush: 1,000 queued, reload, until confirmed | ridechat | {} | under 2 s |\n\
         | recovery: 20 rooms, server down 5 s, until all rejoined | ridechat | {} | under 1.2 s, ahead of phoenix.js |\n\
         | recovery: 20 rooms, server down 5 s, until all rejoined | phoenix.js 1.8.16 (defaults) | {} | |\n",
        seconds(flush),
        seconds(recovery.ridechat),
        seconds(recovery.phoenix),
    )
}

fn repo_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(PathBuf::from)
        .unwrap_or(manifest_dir)
}
