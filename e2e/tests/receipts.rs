//! End-to-end read receipts and typing indicators: the real server, the app
//! built by Trunk and headless Chromium, one session per user. Run them with
//! `cargo xtask test e2e`.
//!
//! Demo data: rider r1 and driver d1 share ride 1.

use std::time::Duration;

use ridechat_e2e::wait::{DEFAULT_TIMEOUT, wait_for};
use ridechat_e2e::{Harness, HarnessError, Page, Result};

const RIDE_1: &str = "ride:1";

/// Script returning the typing indicator's text while shown, or null while hidden.
const TYPING_SCRIPT: &str = r#"
const indicator = document.querySelector('[data-testid=typing]');
return indicator && !indicator.hidden ? indicator.textContent : null;
"#;

/// Returns the status of the first bubble showing `body`, if any.
async fn status_of(page: &Page, body: &str) -> Result<Option<String>> {
    let snapshot = page.snapshot().await?;
    Ok(snapshot
        .messages_with_body(body)
        .first()
        .and_then(|message| message.status.clone()))
}

async fn typing_text(page: &Page) -> Result<Option<String>> {
    let returned = page
        .driver()?
        .execute(TYPING_SCRIPT, Vec::new())
        .await
        .map_err(HarnessError::webdriver("reading the typing indicator"))?;
    Ok(returned.json().as_str().map(str::to_owned))
}

/// Waits up to `timeout` until the typing indicator on `page` is shown
/// (`Some`) or hidden.
async fn wait_typing(page: &Page, shown: bool, timeout: Duration) -> Result<Option<String>> {
    let what = if shown {
        "the typing indicator to show"
    } else {
        "the typing indicator to hide"
    };
    wait_for(what, timeout, || async {
        let text = typing_text(page).await?;
        let done = text.is_some() == shown;
        Ok((text.clone(), done.then_some(text)))
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bubble_read_when_peer_opens_room() -> Result<()> {
    let harness = Harness::start().await?;
    let rider = harness.open_page("r1").await?;
    let driver = harness.open_page("d1").await?;
    rider.open_conversation(RIDE_1).await?;
    driver.wait_online().await?;

    let body = "Are you close to the gate?";
    rider.send(body).await?;
    rider
        .wait_until("the message to be delivered", |snapshot| {
            let status = snapshot.messages_with_body(body).first()?.status.clone()?;
            (status == "delivered").then_some(())
        })
        .await?;
    // The driver's room is closed, so nothing can have read the bubble.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(status_of(&rider, body).await?.as_deref(), Some("delivered"));

    driver.open_conversation(RIDE_1).await?;
    driver.wait_for_message(body).await?;
    rider
        .wait_until("the message to be read", |snapshot| {
            let status = snapshot.messages_with_body(body).first()?.status.clone()?;
            (status == "read").then_some(())
        })
        .await?;

    harness.finish(vec![rider, driver]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_sees_typing_until_send() -> Result<()> {
    let harness = Harness::start().await?;
    let rider = harness.open_page("r1").await?;
    let driver = harness.open_page("d1").await?;
    rider.open_conversation(RIDE_1).await?;
    driver.open_conversation(RIDE_1).await?;
    assert_eq!(typing_text(&driver).await?, None);

    let input = rider
        .driver()?
        .find(thirtyfour::By::Css("[data-testid=composer-input]"))
        .await
        .map_err(HarnessError::webdriver("finding the composer"))?;
    input
        .send_keys("on my w")
        .await
        .map_err(HarnessError::webdriver("typing into the composer"))?;

    let shown = wait_typing(&driver, true, DEFAULT_TIMEOUT).await?;
    let text = shown.unwrap_or_default();
    assert!(text.contains('…'), "indicator text: {text:?}");

    input
        .send_keys("ay")
        .await
        .map_err(HarnessError::webdriver("typing into the composer"))?;
    rider
        .driver()?
        .find(thirtyfour::By::Css("[data-testid=composer-send]"))
        .await
        .map_err(HarnessError::webdriver("finding the send button"))?
        .click()
        .await
        .map_err(HarnessError::webdriver("clicking the send button"))?;
    driver.wait_for_message("on my way").await?;
    // Well under the 5 s expiry, so the send hid it, not the expiry.
    wait_typing(&driver, false, Duration::from_secs(3)).await?;

    harness.finish(vec![rider, driver]).await
}
