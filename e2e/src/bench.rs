//! The delivery benchmarks that `cargo xtask bench` runs: the outbox flush
//! after a reload, and room recovery after a server outage beside the
//! official phoenix.js client.
//!
//! Both run on the real server, the release app and headless Chromium, with
//! the app's real timings (`time_scale` 1). Times come from the wall clock
//! of this machine, which the browser and node share:
//!
//! - The tab's start script ([`JOIN_TAP_SCRIPT`]) wraps `WebSocket` and
//!   records the time of each successful ride join reply, so a rejoin is
//!   timed when the app receives it, as phoenix.js times its own.
//! - The recovery clock starts when the restarted server prints its
//!   `listening on` line, and stops at the last of the 20 rooms' join replies.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;
use tokio::sync::watch;

use crate::chaos::ChaosWorld;
use crate::error::{HarnessError, Result};
use crate::ledger;
use crate::page::Page;
use crate::proxy::Mode;
use crate::wait::wait_for;

/// Records `[topic, wall-clock ms]` for each `ok` reply to a ride join,
/// that is a reply whose ref equals its join ref.
pub const JOIN_TAP_SCRIPT: &str = r#"
window.__ridechatJoins = [];
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(...args) {
    super(...args);
    this.addEventListener('message', (event) => {
      if (typeof event.data !== 'string') return;
      try {
        const [joinRef, ref, topic, name, payload] = JSON.parse(event.data);
        if (name === 'phx_reply' && joinRef !== null && joinRef === ref
            && topic.startsWith('ride:') && payload && payload.status === 'ok') {
          window.__ridechatJoins.push([topic, Date.now()]);
        }
      } catch (_) {}
    });
  }
};
"#;

const QUEUED_SCRIPT: &str = r#"
const connection = document.querySelector('[data-testid=connection]');
return connection ? connection.getAttribute('data-queued') : null;
"#;

const FLUSH_MESSAGES: usize = 1_000;
const OUTAGE: Duration = Duration::from_secs(5);
const GIVE_UP: Duration = Duration::from_secs(120);
const POLL: Duration = Duration::from_millis(10);

/// Milliseconds since the Unix epoch, as `Date.now()` gives them.
pub fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs_f64() * 1_000.0)
        .unwrap_or(0.0)
}

/// Outbox flush: queues `FLUSH_MESSAGES` messages while the tab's link is
/// cut, heals the link, reloads the tab and times from the reload to the
/// moment the banner shows nothing queued and the server holds them all.
pub async fn outbox_flush(world: &ChaosWorld, topic: &str) -> Result<Duration> {
    let page = world.open_page_with_script("r1", 1.0, None).await?;
    page.open_conversation(topic).await?;
    page.proxy.set_mode(Mode::Cut);
    page.wait_until("the link to go down", |snapshot| {
        (snapshot.connection_state() != "online").then_some(())
    })
    .await?;

    let bodies: Vec<String> = (0..FLUSH_MESSAGES)
        .map(|index| format!("flush #{index:04}"))
        .collect();
    for chunk in bodies.chunks(100) {
        ledger::send_through_composer(&page, topic, chunk).await?;
    }
    let expected = FLUSH_MESSAGES.to_string();
    wait_for("every message queued", GIVE_UP, || async {
        let queued = queued(&page).await?;
        let done = queued.as_deref() == Some(expected.as_str());
        Ok((queued, done.then_some(())))
    })
    .await?;

    page.proxy.set_mode(Mode::Pass);
    let started = Instant::now();
    page.reload().await?;
    let deadline = started + GIVE_UP;
    loop {
        let empty = queued(&page).await?.as_deref() == Some("0");
        if empty && stored_count(world.database(), "flush #%")? == FLUSH_MESSAGES {
            break;
        }
        if Instant::now() > deadline {
            return Err(HarnessError::Process(format!(
                "the outbox did not flush {FLUSH_MESSAGES} messages within {}s",
                GIVE_UP.as_secs()
            )));
        }
        tokio::time::sleep(POLL).await;
    }
    let elapsed = started.elapsed();
    page.close().await?;
    Ok(elapsed)
}

async fn queued(page: &Page) -> Result<Option<String>> {
    let returned = page
        .driver()?
        .execute(QUEUED_SCRIPT, Vec::new())
        .await
        .map_err(HarnessError::webdriver("reading data-queued"))?;
    Ok(returned.json().as_str().map(str::to_string))
}

fn stored_count(db: &Path, pattern: &str) -> Result<usize> {
    let failed = |error: rusqlite::Error| {
        HarnessError::PageState(format!("counting messages in {}: {error}", db.display()))
    };
    let connection =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(failed)?;
    connection
        .query_row(
            "SELECT COUNT(*) FROM messages WHERE body LIKE ?1",
            [pattern],
            |row| row.get::<_, i64>(0),
        )
        .map(|count| count as usize)
        .map_err(failed)
}

/// The recovery times of both clients.
#[derive(Clone, Debug)]
pub struct Recovery {
    pub ridechat: Duration,
    pub phoenix: Duration,
}

/// One line that `bench/phoenix-recovery.mjs` prints.
#[derive(Debug, Deserialize)]
struct NodeEvent {
    event: String,
    topic: Option<String>,
    at_ms: Option<f64>,
    message: Option<String>,
}

/// Recovery: ridechat's tab and a phoenix.js client (node, started from
/// `script`) join every topic in `topics`; the server goes down for
/// [`OUTAGE`]; times from its return to the last rejoin of each client.
pub async fn recovery(
    world: &mut ChaosWorld,
    topics: &[String],
    script: &Path,
) -> Result<Recovery> {
    let page = world
        .open_page_with_script("r1", 1.0, Some(JOIN_TAP_SCRIPT))
        .await?;
    for topic in topics {
        page.open_conversation(topic).await?;
    }

    let (joins, mut node_ready) = start_phoenix(world, topics, script).await?;
    wait_for("phoenix.js to join every room", GIVE_UP, || {
        let ready = *node_ready.borrow_and_update();
        async move { Ok((ready, ready.then_some(()))) }
    })
    .await?;

    world.stop_server().await?;
    tokio::time::sleep(OUTAGE).await;
    world.restart_server().await?;
    let back_ms = now_ms();

    let ridechat = wait_for("ridechat to rejoin every room", GIVE_UP, || async {
        let times = tab_joins(&page).await?;
        let last = last_rejoin(&times, topics, back_ms);
        Ok((times.len(), last))
    })
    .await?;
    let phoenix = wait_for("phoenix.js to rejoin every room", GIVE_UP, || {
        let times = joins.borrow().clone();
        let last = last_rejoin(&times, topics, back_ms);
        async move { Ok((times.len(), last)) }
    })
    .await?;
    page.close().await?;

    Ok(Recovery {
        ridechat: Duration::from_secs_f64((ridechat - back_ms).max(0.0) / 1_000.0),
        phoenix: Duration::from_secs_f64((phoenix - back_ms).max(0.0) / 1_000.0),
    })
}

/// The latest of each topic's first join after `since_ms`, once every topic
/// has one.
fn last_rejoin(joins: &[(String, f64)], topics: &[String], since_ms: f64) -> Option<f64> {
    let mut first: BTreeMap<&str, f64> = BTreeMap::new();
    for (topic, at) in joins {
        if *at >= since_ms {
            let entry = first.entry(topic.as_str()).or_insert(*at);
            *entry = entry.min(*at);
        }
    }
    let all = topics
        .iter()
        .all(|topic| first.contains_key(topic.as_str()));
    all.then(|| first.values().copied().fold(0.0, f64::max))
}

async fn tab_joins(page: &Page) -> Result<Vec<(String, f64)>> {
    let returned = page
        .driver()?
        .execute("return window.__ridechatJoins || [];", Vec::new())
        .await
        .map_err(HarnessError::webdriver("reading the recorded joins"))?;
    serde_json::from_value(returned.json().clone())
        .map_err(|error| HarnessError::PageState(format!("recorded joins: {error}")))
}

type Joins = watch::Receiver<Vec<(String, f64)>>;

/// Starts the phoenix.js client and returns its recorded joins and whether
/// it has joined every topic once.
async fn start_phoenix(
    world: &ChaosWorld,
    topics: &[String],
    script: &Path,
) -> Result<(Joins, watch::Receiver<bool>)> {
    let token = world.token("d1").await?;
    let mut child = Command::new("node")
        .arg(script)
        .env("RIDECHAT_URL", world.server_url())
        .env("RIDECHAT_TOKEN", token)
        .env("RIDECHAT_TOPICS", topics.join(","))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .map_err(HarnessError::io(format!(
            "starting `node {}` (install node 20 or later)",
            script.display()
        )))?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| HarnessError::Process("node's stdout is not piped".into()))?;

    let (joins_sender, joins) = watch::channel(Vec::new());
    let (ready_sender, ready) = watch::channel(false);
    tokio::spawn(async move {
        // Owning the child here keeps node running until its output ends,
        // and kills it when the bench process exits.
        let _child = child;
        let mut lines = BufReader::new(stdout).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            let Ok(event) = serde_json::from_str::<NodeEvent>(&line) else {
                eprintln!("[phoenix.js] {line}");
                continue;
            };
            match (event.event.as_str(), event.topic, event.at_ms) {
                ("joined", Some(topic), Some(at)) => {
                    joins_sender.send_modify(|joins| joins.push((topic, at)));
                }
                ("ready", _, _) => {
                    ready_sender.send_replace(true);
                }
                _ => eprintln!("[phoenix.js] {} {:?}", event.event, event.message),
            }
        }
    });
    Ok((joins, ready))
}

#[cfg(test)]
mod tests {
    use super::last_rejoin;

    fn topics() -> Vec<String> {
        vec!["ride:1".into(), "ride:2".into()]
    }

    #[test]
    fn rejoin_waits_for_every_topic() {
        let joins = [("ride:1".to_string(), 1_100.0)];
        assert_eq!(last_rejoin(&joins, &topics(), 1_000.0), None);
    }

    #[test]
    fn rejoin_ignores_joins_before_the_return() {
        let joins = [
            ("ride:1".to_string(), 500.0),
            ("ride:2".to_string(), 600.0),
            ("ride:1".to_string(), 1_200.0),
            ("ride:2".to_string(), 1_300.0),
            ("ride:2".to_string(), 1_900.0),
        ];
        assert_eq!(last_rejoin(&joins, &topics(), 1_000.0), Some(1_300.0));
    }
}
