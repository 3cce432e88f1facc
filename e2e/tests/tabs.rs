//! Several tabs of one rider in one Chromium profile: they share IndexedDB,
//! the Web Lock that picks the tab pushing the outbox, and the
//! BroadcastChannel that notifies the other tabs of store changes.
//!
//! All tabs of the rider load the same URL, so their sockets go through the
//! same fault proxy, and cutting it cuts every tab. Run with
//! `cargo xtask test e2e`.

use ridechat_e2e::page::Message;
use ridechat_e2e::{HarnessError, Mode, Page, Result, Snapshot};
use thirtyfour::WindowHandle;

const RIDE_1: &str = "ride:1";
const MESSAGES: usize = 10;
const TABS: usize = 3;
/// How many times slower a slowed-down tab runs its scripts.
const CPU_SLOWDOWN: u32 = 6;

/// Returns the app URL of the current tab, with the token and socket URL
/// that it keeps in `sessionStorage`, for another tab of the same user.
async fn app_url(page: &Page) -> Result<String> {
    let script = r#"
        const token = sessionStorage.getItem('ridechat.token');
        const socket = sessionStorage.getItem('ridechat.socket');
        return location.origin + '/#token=' + encodeURIComponent(token)
            + '&socket=' + encodeURIComponent(socket);
    "#;
    let returned =
        page.driver()?
            .execute(script, Vec::new())
            .await
            .map_err(HarnessError::webdriver(
                "reading the app URL of the first tab",
            ))?;
    returned.json().as_str().map(str::to_owned).ok_or_else(|| {
        HarnessError::PageState(format!(
            "the app URL script returned {:?}; expected a string, so the first tab has no token in sessionStorage",
            returned.json()
        ))
    })
}

/// Opens `url` in a new tab of the page's browser and returns its handle.
async fn open_tab(page: &Page, url: &str) -> Result<WindowHandle> {
    let driver = page.driver()?;
    let handle = driver
        .new_tab()
        .await
        .map_err(HarnessError::webdriver("opening a tab"))?;
    switch(page, &handle).await?;
    driver
        .goto(url)
        .await
        .map_err(HarnessError::webdriver("loading the app in a new tab"))?;
    Ok(handle)
}

/// Returns the names of the Web Locks held and requested in the browser
/// profile, from `navigator.locks.query()`.
async fn outbox_locks(page: &Page) -> Result<(Vec<String>, Vec<String>)> {
    let script = r#"
        return navigator.locks.query().then(state => [
            state.held.map(lock => lock.name),
            state.pending.map(lock => lock.name),
        ]);
    "#;
    let returned = page
        .driver()?
        .execute(script, Vec::new())
        .await
        .map_err(HarnessError::webdriver("querying navigator.locks"))?;
    serde_json::from_value(returned.json().clone()).map_err(|error| {
        HarnessError::PageState(format!(
            "navigator.locks.query() returned {:?}: {error}; expected [held names, pending names]",
            returned.json()
        ))
    })
}

/// Makes `handle` the tab that the page's methods act on.
async fn switch(page: &Page, handle: &WindowHandle) -> Result<()> {
    page.driver()?
        .switch_to_window(handle.clone())
        .await
        .map_err(HarnessError::webdriver("switching tabs"))
}

fn body(index: usize) -> String {
    format!("queued from tab {} as message {index:02}", index % TABS + 1)
}

/// Returns the bubbles of the queued messages, in display order.
fn queued_bubbles(snapshot: &Snapshot) -> Vec<&Message> {
    snapshot
        .messages
        .iter()
        .filter(|message| message.body.trim().starts_with("queued from tab"))
        .collect()
}

/// Opens `TABS` tabs of the rider on ride 1, cuts their link and queues
/// `MESSAGES` messages from the tabs in turn. Returns the tab handles, the
/// first one being the tab that holds the outbox lock.
async fn queue_in_tabs(rider: &Page) -> Result<Vec<WindowHandle>> {
    rider.open_conversation(RIDE_1).await?;
    let url = app_url(rider).await?;
    let first = rider
        .driver()?
        .window()
        .await
        .map_err(HarnessError::webdriver("reading the first tab's handle"))?;
    let mut tabs = vec![first];
    for _ in 1..TABS {
        tabs.push(open_tab(rider, &url).await?);
        rider.open_conversation(RIDE_1).await?;
    }

    let (held, pending) = outbox_locks(rider).await?;
    assert_eq!(held, vec!["ridechat-outbox-r1"], "one tab holds the lock");
    assert_eq!(
        pending,
        vec!["ridechat-outbox-r1"; TABS - 1],
        "the others wait"
    );

    rider.proxy.set_mode(Mode::Cut);
    for tab in &tabs {
        switch(rider, tab).await?;
        rider
            .wait_until("the tab to leave online", |snapshot| {
                (snapshot.connection_state() != "online").then_some(())
            })
            .await?;
    }

    for index in 0..MESSAGES {
        switch(rider, &tabs[index % TABS]).await?;
        rider.send(&body(index)).await?;
        let pending = rider.wait_for_message(&body(index)).await?;
        assert_eq!(pending.status.as_deref(), Some("sending"), "{pending:?}");
    }
    Ok(tabs)
}

/// Restores the link, waits until every tab in `tabs` shows every message
/// confirmed, and checks each tab and the driver's page: every message once,
/// in the order the rider sent them.
async fn check_delivered(
    harness: &ridechat_e2e::Harness,
    rider: &Page,
    tabs: &[WindowHandle],
) -> Result<Page> {
    rider.proxy.set_mode(Mode::Pass);
    for tab in tabs {
        switch(rider, tab).await?;
        for index in 0..MESSAGES {
            let status = rider.wait_for_confirmed(&body(index)).await?;
            assert_ne!(status, "failed", "message {index}");
        }
    }

    // The driver's page reads the server's copy of the room.
    let driver = harness.open_page("d1").await?;
    driver.open_conversation(RIDE_1).await?;
    driver.wait_for_message(&body(MESSAGES - 1)).await?;
    let on_driver = driver.snapshot().await?;
    let expected: Vec<String> = (0..MESSAGES).map(body).collect();
    let received: Vec<String> = queued_bubbles(&on_driver)
        .iter()
        .map(|message| message.body.trim().to_owned())
        .collect();
    assert_eq!(received, expected);
    let seqs: Vec<u64> = queued_bubbles(&on_driver)
        .iter()
        .filter_map(|message| message.seq.as_deref()?.parse().ok())
        .collect();
    assert_eq!(seqs.len(), MESSAGES, "every message has a seq: {seqs:?}");
    assert!(seqs.windows(2).all(|pair| pair[0] < pair[1]), "{seqs:?}");

    for tab in tabs {
        switch(rider, tab).await?;
        let snapshot = rider.snapshot().await?;
        let bodies: Vec<String> = queued_bubbles(&snapshot)
            .iter()
            .map(|message| message.body.trim().to_owned())
            .collect();
        assert_eq!(bodies, expected);
    }
    Ok(driver)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_tabs_send_queue_once_in_order() -> Result<()> {
    let harness = ridechat_e2e::Harness::start().await?;
    let rider = harness.open_page("r1").await?;
    let tabs = queue_in_tabs(&rider).await?;

    let driver = check_delivered(&harness, &rider, &tabs).await?;
    harness.finish(vec![rider, driver]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowed_tabs_send_queue_once() -> Result<()> {
    let harness = ridechat_e2e::Harness::start().await?;
    let rider = harness.open_page("r1").await?;
    let tabs = queue_in_tabs(&rider).await?;

    // A phone restoring its tabs: every tab runs its scripts six times
    // slower while all of them come back online together.
    for tab in &tabs {
        switch(&rider, tab).await?;
        rider
            .driver()?
            .cdp()
            .send_raw(
                "Emulation.setCPUThrottlingRate",
                serde_json::json!({ "rate": CPU_SLOWDOWN }),
            )
            .await
            .map_err(HarnessError::webdriver("slowing down a tab's CPU"))?;
    }

    let driver = check_delivered(&harness, &rider, &tabs).await?;
    harness.finish(vec![rider, driver]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_flusher_tab_hands_over_queue() -> Result<()> {
    let harness = ridechat_e2e::Harness::start().await?;
    let rider = harness.open_page("r1").await?;
    let mut tabs = queue_in_tabs(&rider).await?;

    // Closing the first tab releases the outbox lock, and another tab must
    // load the whole queue from IndexedDB and send it.
    let first = tabs.remove(0);
    switch(&rider, &first).await?;
    rider
        .driver()?
        .close_window()
        .await
        .map_err(HarnessError::webdriver("closing the first tab"))?;
    switch(&rider, &tabs[0]).await?;

    let driver = check_delivered(&harness, &rider, &tabs).await?;
    harness.finish(vec![rider, driver]).await
}
