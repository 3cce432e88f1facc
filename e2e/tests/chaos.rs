//! The chaos scenario: rider r1 and driver d1 exchange 300
//! messages each way over three rooms while their fault proxies cut, stall
//! and slow the WebSockets at random every 0.5 to 5 s, and each tab reloads
//! once mid-flight. Afterwards the server's database and both tabs'
//! IndexedDB hold every message exactly once, in send order per room and
//! sender, and every message a user sent ends `delivered` or `read`.
//!
//! The run prints its seed; `RIDECHAT_CHAOS_SEED=<seed>` replays the same
//! faults. The tabs run with `time_scale` 0.1, so heartbeats, push timeouts
//! and backoff steps take a tenth of their real length.
//!
//! Messages go in through the composer, by a script that fills the textarea
//! and presses send: the app's real send path, without typing each key.
//!
//! The server's rate limit (a burst of 20, then 15 a second) rejects part of
//! some bursts as `rate_limited`, so the run also covers the resend from the
//! rejected message on, which must keep send order.

use std::collections::BTreeMap;
use std::time::Duration;

use ridechat_e2e::chaos::ChaosWorld;
use ridechat_e2e::faults::{self, FaultPlan, Rng, Target};
use ridechat_e2e::ledger::{self, DeviceStore, Sent};
use ridechat_e2e::wait::wait_for;
use ridechat_e2e::{FaultProxy, Mode, Page, Result};
use tokio::sync::watch;

const RIDER: &str = "r1";
const DRIVER: &str = "d1";
/// Ride 1 comes with the demo data; rides 3 and 4 are added for this test.
const EXTRA_RIDES: [(&str, &str, &str); 2] = [("3", RIDER, DRIVER), ("4", RIDER, DRIVER)];
/// The default limit (a burst of 30, then 60 a minute) would stretch 300
/// messages per user over five minutes. This one still rejects some pushes
/// of a burst as `rate_limited`, so the test covers the resend after it.
const RATE_LIMIT: [&str; 4] = ["--rate-burst", "20", "--rate-per-minute", "900"];
const ROOMS: [&str; 3] = ["ride:1", "ride:3", "ride:4"];
const PER_USER: usize = 300;
const BATCH: usize = 10;
const TIME_SCALE: f64 = 0.1;
/// Upper bound for everything to settle once the faults stop.
const SETTLE: Duration = Duration::from_secs(90);
/// Problems quoted when the copies do not match.
const MAX_SHOWN: usize = 30;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_survive_random_faults_and_reloads() -> Result<()> {
    let seed = faults::seed_from_env()?;
    eprintln!(
        "chaos seed {seed}: replay with {}={seed}",
        faults::SEED_VARIABLE
    );

    let world = ChaosWorld::start(&EXTRA_RIDES, &RATE_LIMIT).await?;
    let rider = world.open_page(RIDER, TIME_SCALE).await?;
    let driver = world.open_page(DRIVER, TIME_SCALE).await?;
    for page in [&rider, &driver] {
        page.open_conversation(ROOMS[0]).await?;
    }

    let proxies = [&rider.proxy, &driver.proxy];
    let (stop, stopped) = watch::channel(false);
    let (sent, fault_log) = tokio::join!(
        async {
            let sent = send_everything(seed, &rider, &driver).await;
            stop.send_replace(true);
            sent
        },
        run_faults(seed, proxies, stopped)
    );
    for proxy in proxies {
        proxy.set_mode(Mode::Pass);
    }
    eprintln!(
        "chaos seed {seed}: {} faults: {fault_log:?}",
        fault_log.len()
    );
    let sent = sent?;

    // Both users look at every room once, as a user reading the chat
    // would, so each message gets its chance to be shown and read.
    for topic in ROOMS {
        for page in [&rider, &driver] {
            page.open_conversation(topic).await?;
        }
    }

    let settled = wait_for("every copy to match what was sent", SETTLE, || async {
        let mut problems = ledger::differences(
            "server",
            &ledger::read_server(world.database())?,
            &sent,
            None,
        );
        for page in [&rider, &driver] {
            problems.extend(device_problems(page, &sent).await?);
        }
        let shown = Shown(
            problems.iter().take(MAX_SHOWN).cloned().collect(),
            problems.len(),
        );
        Ok((shown, problems.is_empty().then_some(())))
    })
    .await;
    assert!(settled.is_ok(), "seed {seed}: {settled:?}");

    world.finish(vec![rider, driver]).await
}

/// The first problems found and how many there were in all.
struct Shown(Vec<String>, usize);

impl std::fmt::Debug for Shown {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{} problems", self.1)?;
        for problem in &self.0 {
            write!(formatter, "\n  {problem}")?;
        }
        Ok(())
    }
}

/// Compares the tab's IndexedDB with what was sent; its outbox must be empty.
async fn device_problems(page: &Page, sent: &Sent) -> Result<Vec<String>> {
    let place = format!("{}'s IndexedDB", page.user);
    let DeviceStore { messages, outbox } = ledger::read_device(page).await?;
    let mut problems = ledger::differences(&place, &messages, sent, Some(&page.user));
    if outbox != 0 {
        problems.push(format!("{place}: {outbox} entries left in the outbox"));
    }
    Ok(problems)
}

/// Sends `PER_USER` messages from each user in batches spread over the
/// rooms, alternating senders, and reloads the rider's tab after a third
/// of the batches and the driver's after two thirds. Returns what was sent.
async fn send_everything(seed: u64, rider: &Page, driver: &Page) -> Result<Sent> {
    let mut rng = Rng::new(seed ^ 0x0005_e4d5);
    let mut sent = Sent::new();
    let mut counters: BTreeMap<(String, String), usize> = BTreeMap::new();
    let batches = 2 * PER_USER / BATCH;

    for batch in 0..batches {
        if batch == batches / 3 {
            reload(rider).await?;
        }
        if batch == 2 * batches / 3 {
            reload(driver).await?;
        }
        let page = if batch % 2 == 0 { rider } else { driver };
        let topic = ROOMS[rng.between(0, ROOMS.len() as u64 - 1) as usize];
        switch_room(page, topic).await?;

        let key = (topic.to_string(), page.user.clone());
        let counter = counters.entry(key.clone()).or_default();
        let bodies: Vec<String> = (0..BATCH)
            .map(|offset| format!("{} to {topic} #{:03}", page.user, *counter + offset))
            .collect();
        *counter += BATCH;
        ledger::send_through_composer(page, topic, &bodies).await?;
        sent.entry(key).or_default().extend(bodies);
        tokio::time::sleep(Duration::from_millis(rng.between(200, 800))).await;
    }
    Ok(sent)
}

/// Opens `topic` on the page; the room need not be joined, since the
/// outbox takes messages while the link is down.
async fn switch_room(page: &Page, topic: &str) -> Result<()> {
    page.click_conversation(topic).await?;
    page.wait_until(&format!("room {topic} to open"), |snapshot| {
        let room = snapshot.room.as_ref()?;
        (room.topic.as_deref() == Some(topic)).then_some(())
    })
    .await
}

/// Reloads the tab and waits until its inbox is back from the store.
async fn reload(page: &Page) -> Result<()> {
    eprintln!("chaos: reloading {}'s tab", page.user);
    page.reload().await?;
    page.wait_until("the inbox after the reload", |snapshot| {
        (snapshot.conversations.len() >= ROOMS.len()).then_some(())
    })
    .await
}

/// Applies the seeded fault plan to the two proxies until `stopped` turns
/// true, and returns the faults applied.
async fn run_faults(
    seed: u64,
    proxies: [&FaultProxy; 2],
    mut stopped: watch::Receiver<bool>,
) -> Vec<String> {
    let mut plan = FaultPlan::new(seed);
    let mut log = Vec::new();
    loop {
        let fault = plan.next_fault();
        tokio::select! {
            _ = tokio::time::sleep(fault.after) => {}
            _ = stopped.wait_for(|stop| *stop) => return log,
        }
        let hit: &[usize] = match fault.target {
            Target::First => &[0],
            Target::Second => &[1],
            Target::Both => &[0, 1],
        };
        for index in hit {
            proxies[*index].set_mode(fault.mode);
        }
        log.push(format!("{:?} {:?}", fault.target, fault.mode));
    }
}
