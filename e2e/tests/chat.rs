//! End-to-end scenarios: the real server, the app built by Trunk and headless
//! Chromium, one session per user. Run them with `cargo xtask test e2e`, which
//! builds both and sets `RIDECHAT_SERVER_BIN` and `RIDECHAT_DIST`.
//!
//! Demo data: rider r1 and driver d1 share ride 1, rider r2 and driver d1
//! share ride 2.
//!
//! "Exactly once" is checked after a barrier: a later message from the same
//! sender has arrived, and the server broadcasts a room's messages in seq
//! order, so a duplicate of an earlier message would be on screen by then.

use ridechat_e2e::{Harness, Mode, Page, Result, Snapshot};

const RIDE_1: &str = "ride:1";
const RIDE_2: &str = "ride:2";

fn count(snapshot: &Snapshot, body: &str) -> usize {
    snapshot.messages_with_body(body).len()
}

/// Sends `body` from `sender` and waits until `receiver` shows it.
async fn send_and_receive(sender: &Page, receiver: &Page, body: &str) -> Result<()> {
    sender.send(body).await?;
    receiver.wait_for_message(body).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rider_text_shows_once_on_driver_page() -> Result<()> {
    let harness = Harness::start().await?;
    let rider = harness.open_page("r1").await?;
    let driver = harness.open_page("d1").await?;
    rider.open_conversation(RIDE_1).await?;
    driver.open_conversation(RIDE_1).await?;

    send_and_receive(&rider, &driver, "Hello, I am at the north gate").await?;
    send_and_receive(&rider, &driver, "barrier after the greeting").await?;

    let on_driver = driver.snapshot().await?;
    assert_eq!(count(&on_driver, "Hello, I am at the north gate"), 1);
    let received = on_driver.messages_with_body("Hello, I am at the north gate");
    assert_eq!(received[0].mine.as_deref(), Some("false"));
    assert!(
        received[0]
            .seq
            .as_deref()
            .is_some_and(|seq| !seq.is_empty()),
        "{received:?}"
    );

    let on_rider = rider.snapshot().await?;
    assert_eq!(count(&on_rider, "Hello, I am at the north gate"), 1);
    assert_eq!(
        on_rider.messages_with_body("Hello, I am at the north gate")[0]
            .mine
            .as_deref(),
        Some("true")
    );

    harness.finish(vec![rider, driver]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_sent_while_server_down_arrives_once() -> Result<()> {
    let mut harness = Harness::start().await?;
    let rider = harness.open_page("r1").await?;
    let driver = harness.open_page("d1").await?;
    rider.open_conversation(RIDE_1).await?;
    driver.open_conversation(RIDE_1).await?;
    send_and_receive(&rider, &driver, "history before the outage").await?;
    rider
        .wait_for_confirmed("history before the outage")
        .await?;
    rider.set_reload_marker("rider tab").await?;
    driver.set_reload_marker("driver tab").await?;

    harness.stop_server().await?;
    for page in [&rider, &driver] {
        page.wait_until("the connection to leave online", |snapshot| {
            (snapshot.connection_state() != "online").then_some(())
        })
        .await?;
        let snapshot = page.snapshot().await?;
        assert_eq!(
            count(&snapshot, "history before the outage"),
            1,
            "{} lost history",
            page.user
        );
    }

    rider.send("sent while the server is down").await?;
    let pending = rider
        .wait_until("the offline message to show as sending", |snapshot| {
            snapshot
                .messages_with_body("sent while the server is down")
                .first()
                .map(|m| (*m).clone())
        })
        .await?;
    assert_eq!(pending.status.as_deref(), Some("sending"));
    let queued = rider
        .snapshot()
        .await?
        .connection
        .and_then(|connection| connection.queued);
    assert_eq!(queued.as_deref(), Some("1"));

    harness.restart_server().await?;
    driver
        .wait_for_message("sent while the server is down")
        .await?;
    let status = rider
        .wait_for_confirmed("sent while the server is down")
        .await?;
    assert_ne!(status, "failed");
    send_and_receive(&rider, &driver, "barrier after the outage").await?;

    for page in [&rider, &driver] {
        let snapshot = page.snapshot().await?;
        assert_eq!(
            count(&snapshot, "sent while the server is down"),
            1,
            "on {}'s page",
            page.user
        );
        assert_eq!(
            count(&snapshot, "history before the outage"),
            1,
            "on {}'s page",
            page.user
        );
        assert!(
            snapshot.marker.is_some(),
            "{}'s page was reloaded",
            page.user
        );
    }

    harness.finish(vec![rider, driver]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_while_stalled_paints_stored_history() -> Result<()> {
    let harness = Harness::start().await?;
    let rider = harness.open_page("r1").await?;
    rider.open_conversation(RIDE_1).await?;
    rider.send("stored before the reload").await?;
    rider.wait_for_confirmed("stored before the reload").await?;

    rider.proxy.set_mode(Mode::Stall);
    rider.reload().await?;

    // The app may reopen the last room by itself; if it shows the inbox, open
    // the room from the stored inbox.
    let room_open = rider
        .wait_until("the room or the stored inbox entry", |snapshot| {
            if snapshot.room.is_some() {
                Some(true)
            } else {
                let listed = snapshot
                    .conversations
                    .iter()
                    .any(|c| c.topic.as_deref() == Some(RIDE_1));
                listed.then_some(false)
            }
        })
        .await?;
    if !room_open {
        rider.click_conversation(RIDE_1).await?;
    }

    let painted = rider
        .wait_until(
            "stored history painted while the room is not joined",
            |snapshot| {
                let shown = count(snapshot, "stored before the reload") == 1;
                (shown && snapshot.room_is(RIDE_1, false)).then(|| snapshot.clone())
            },
        )
        .await?;
    assert_ne!(painted.connection_state(), "online");

    rider.proxy.set_mode(Mode::Pass);
    rider
        .wait_until("the room to join once the link is back", |snapshot| {
            snapshot.room_is(RIDE_1, true).then_some(())
        })
        .await?;
    assert_eq!(
        count(&rider.snapshot().await?, "stored before the reload"),
        1
    );

    harness.finish(vec![rider]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_tab_uses_one_websocket_for_all_topics() -> Result<()> {
    let harness = Harness::start().await?;
    let driver = harness.open_page("d1").await?;
    let first_rider = harness.open_page("r1").await?;
    let second_rider = harness.open_page("r2").await?;
    first_rider.open_conversation(RIDE_1).await?;
    second_rider.open_conversation(RIDE_2).await?;
    driver.open_conversation(RIDE_1).await?;

    send_and_receive(&first_rider, &driver, "ride one: I am outside").await?;

    // The driver's inbox learns of ride 2's message while ride 1 is open.
    second_rider.send("ride two: running late").await?;
    driver
        .wait_until("an unread message on ride 2 in the inbox", |snapshot| {
            let entry = snapshot
                .conversations
                .iter()
                .find(|c| c.topic.as_deref() == Some(RIDE_2))?;
            (entry.unread.trim() == "1").then_some(())
        })
        .await?;
    driver.open_conversation(RIDE_2).await?;
    driver.wait_for_message("ride two: running late").await?;

    for page in [&driver, &first_rider, &second_rider] {
        assert_eq!(
            page.proxy.open_connections(),
            1,
            "open WebSockets of {}'s tab",
            page.user
        );
        assert_eq!(
            page.proxy.accepted_connections(),
            1,
            "WebSockets opened by {}'s tab",
            page.user
        );
    }

    harness
        .finish(vec![driver, first_rider, second_rider])
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_sent_during_cut_arrives_once() -> Result<()> {
    let harness = Harness::start().await?;
    let rider = harness.open_page("r1").await?;
    let driver = harness.open_page("d1").await?;
    rider.open_conversation(RIDE_1).await?;
    driver.open_conversation(RIDE_1).await?;
    send_and_receive(&rider, &driver, "before the tunnel").await?;

    // Cut closes the rider's socket and rejects its reconnects until the
    // mode changes back.
    rider.proxy.set_mode(Mode::Cut);
    rider
        .wait_until("the connection to leave online", |snapshot| {
            (snapshot.connection_state() != "online").then_some(())
        })
        .await?;
    rider.send("written in the tunnel").await?;
    let pending = rider.wait_for_message("written in the tunnel").await?;
    assert_eq!(pending.status.as_deref(), Some("sending"));

    rider.proxy.set_mode(Mode::Pass);
    driver.wait_for_message("written in the tunnel").await?;
    rider.wait_for_confirmed("written in the tunnel").await?;
    send_and_receive(&rider, &driver, "barrier after the tunnel").await?;

    for page in [&rider, &driver] {
        let snapshot = page.snapshot().await?;
        assert_eq!(
            count(&snapshot, "written in the tunnel"),
            1,
            "on {}'s page",
            page.user
        );
    }
    assert!(
        rider.proxy.accepted_connections() >= 2,
        "the rider's tab never reconnected"
    );

    harness.finish(vec![rider, driver]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_over_slow_link_keep_order() -> Result<()> {
    let harness = Harness::start().await?;
    let rider = harness.open_page("r1").await?;
    let driver = harness.open_page("d1").await?;
    rider.open_conversation(RIDE_1).await?;
    driver.open_conversation(RIDE_1).await?;

    // Each chunk waits 400 ms in each direction, a round trip of at least
    // 800 ms as on a poor mobile link, so the sends overlap in flight.
    rider
        .proxy
        .set_mode(Mode::Slow(std::time::Duration::from_millis(400)));
    let bodies = ["slow link: first", "slow link: second", "slow link: third"];
    for body in bodies {
        rider.send(body).await?;
    }
    for body in bodies {
        driver.wait_for_message(body).await?;
    }

    let on_driver = driver.snapshot().await?;
    let received: Vec<&str> = on_driver
        .messages
        .iter()
        .map(|message| message.body.trim())
        .filter(|body| bodies.contains(body))
        .collect();
    assert_eq!(received, bodies);
    let seqs: Vec<u64> = on_driver
        .messages
        .iter()
        .filter(|message| bodies.contains(&message.body.trim()))
        .filter_map(|message| message.seq.as_deref()?.parse().ok())
        .collect();
    assert_eq!(seqs.len(), 3, "every bubble has a seq: {seqs:?}");
    assert!(
        seqs.windows(2).all(|pair| pair[0] < pair[1]),
        "seqs in send order: {seqs:?}"
    );

    harness.finish(vec![rider, driver]).await
}

/// Waits until the service worker controls the page, so that a reload goes
/// through it.
async fn wait_for_service_worker(page: &Page) -> Result<()> {
    let script = "return navigator.serviceWorker.controller !== null;";
    ridechat_e2e::wait::wait_for(
        "the service worker to control the page",
        ridechat_e2e::wait::DEFAULT_TIMEOUT,
        || async {
            let controlled = page
                .driver()?
                .execute(script, Vec::new())
                .await
                .map_err(ridechat_e2e::HarnessError::webdriver(
                    "reading the service worker",
                ))?
                .json()
                .as_bool()
                .unwrap_or(false);
            Ok((controlled, controlled.then_some(())))
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_while_server_down_keeps_chat() -> Result<()> {
    let mut harness = Harness::start().await?;
    let rider = harness.open_page("r1").await?;
    let driver = harness.open_page("d1").await?;
    rider.open_conversation(RIDE_1).await?;
    driver.open_conversation(RIDE_1).await?;
    send_and_receive(&rider, &driver, "before the reload").await?;
    rider.wait_for_confirmed("before the reload").await?;
    wait_for_service_worker(&rider).await?;

    // The page itself cannot be fetched now: the kept shell opens the app,
    // which paints the room from IndexedDB.
    harness.stop_server().await?;
    rider.reload().await?;
    let reloaded = rider
        .wait_until(
            "the history after a reload without the server",
            |snapshot| (count(snapshot, "before the reload") == 1).then(|| snapshot.clone()),
        )
        .await?;
    assert_ne!(reloaded.connection_state(), "online");

    rider.send("queued after the reload").await?;
    rider.wait_for_message("queued after the reload").await?;
    harness.restart_server().await?;
    rider.wait_for_confirmed("queued after the reload").await?;
    let received = driver.wait_for_message("queued after the reload").await?;
    assert_eq!(received.body.trim(), "queued after the reload");
    let snapshot = driver.snapshot().await?;
    assert_eq!(count(&snapshot, "queued after the reload"), 1);

    harness.finish(vec![rider, driver]).await
}
