//! The app as a test observes it: one browser tab of one user, read and driven
//! through the `data-testid` attributes the client renders.
//!
//! Every read takes a [`Snapshot`] of the whole page in one script call, so a
//! wait compares values that were on screen at the same moment.

use std::time::Duration;

use serde::Deserialize;
use thirtyfour::prelude::*;

use crate::browser::Browser;
use crate::error::{HarnessError, Result};
use crate::proxy::FaultProxy;
use crate::wait::{DEFAULT_TIMEOUT, wait_for};

/// Reads the page state named by the DOM contract as one JSON object.
const SNAPSHOT_SCRIPT: &str = r#"
const attr = (element, name) => element ? element.getAttribute(name) : null;
const connection = document.querySelector('[data-testid=connection]');
const room = document.querySelector('[data-testid=room]');
return {
  marker: window.__ridechatE2eMarker || null,
  connection: connection ? {
    state: attr(connection, 'data-state'),
    queued: attr(connection, 'data-queued'),
  } : null,
  room: room ? { topic: attr(room, 'data-topic'), joined: attr(room, 'data-joined') } : null,
  conversations: [...document.querySelectorAll('[data-testid=conversation]')].map(item => ({
    topic: attr(item, 'data-topic'),
    unread: (item.querySelector('[data-testid=unread]') || {}).textContent || '',
  })),
  messages: [...document.querySelectorAll('[data-testid=message]')].map(item => ({
    client_id: attr(item, 'data-client-id'),
    seq: attr(item, 'data-seq'),
    status: attr(item, 'data-status'),
    mine: attr(item, 'data-mine'),
    body: (item.querySelector('[data-testid=message-body]') || {}).textContent || '',
  })),
};
"#;

/// The connection indicator.
#[derive(Clone, Debug, Deserialize)]
pub struct Connection {
    pub state: Option<String>,
    pub queued: Option<String>,
}

/// The open conversation.
#[derive(Clone, Debug, Deserialize)]
pub struct Room {
    pub topic: Option<String>,
    pub joined: Option<String>,
}

/// One inbox entry.
#[derive(Clone, Debug, Deserialize)]
pub struct Conversation {
    pub topic: Option<String>,
    pub unread: String,
}

/// One message bubble.
#[derive(Clone, Debug, Deserialize)]
pub struct Message {
    pub client_id: Option<String>,
    pub seq: Option<String>,
    pub status: Option<String>,
    pub mine: Option<String>,
    pub body: String,
}

/// The page state at one moment.
#[derive(Clone, Debug, Deserialize)]
pub struct Snapshot {
    pub marker: Option<String>,
    pub connection: Option<Connection>,
    pub room: Option<Room>,
    pub conversations: Vec<Conversation>,
    pub messages: Vec<Message>,
}

impl Snapshot {
    /// Returns the bubbles whose text is exactly `body`.
    pub fn messages_with_body(&self, body: &str) -> Vec<&Message> {
        self.messages
            .iter()
            .filter(|message| message.body.trim() == body)
            .collect()
    }

    /// Returns the connection's `data-state`, or an empty string before it renders.
    pub fn connection_state(&self) -> &str {
        self.connection
            .as_ref()
            .and_then(|c| c.state.as_deref())
            .unwrap_or("")
    }

    /// Checks that the open room is `topic` and its `data-joined` is `joined`.
    pub fn room_is(&self, topic: &str, joined: bool) -> bool {
        self.room.as_ref().is_some_and(|room| {
            room.topic.as_deref() == Some(topic)
                && room.joined.as_deref() == Some(if joined { "true" } else { "false" })
        })
    }
}

/// One user's tab, with the fault proxy that carries its WebSocket.
pub struct Page {
    pub user: String,
    pub proxy: FaultProxy,
    browser: Browser,
}

impl Page {
    pub(crate) fn new(user: &str, proxy: FaultProxy, browser: Browser) -> Self {
        Self {
            user: user.to_string(),
            proxy,
            browser,
        }
    }

    /// Returns the WebDriver session of this tab.
    pub fn driver(&self) -> Result<&WebDriver> {
        self.browser.driver()
    }

    /// Takes a snapshot of the page state.
    pub async fn snapshot(&self) -> Result<Snapshot> {
        let returned = self
            .driver()?
            .execute(SNAPSHOT_SCRIPT, Vec::new())
            .await
            .map_err(HarnessError::webdriver(format!(
                "reading {}'s page",
                self.user
            )))?;
        serde_json::from_value(returned.json().clone())
            .map_err(|error| HarnessError::PageState(format!("{}'s page: {error}", self.user)))
    }

    /// Polls snapshots until `check` returns `Some`, for at most
    /// [`DEFAULT_TIMEOUT`].
    pub async fn wait_until<T>(
        &self,
        what: &str,
        check: impl Fn(&Snapshot) -> Option<T>,
    ) -> Result<T> {
        self.wait_until_within(what, DEFAULT_TIMEOUT, check).await
    }

    /// Polls snapshots until `check` returns `Some`, for at most `timeout`.
    pub async fn wait_until_within<T>(
        &self,
        what: &str,
        timeout: Duration,
        check: impl Fn(&Snapshot) -> Option<T>,
    ) -> Result<T> {
        let what = format!("{} ({}'s page)", what, self.user);
        let waited = wait_for(&what, timeout, || async {
            let snapshot = self.snapshot().await?;
            let value = check(&snapshot);
            Ok((snapshot, value))
        })
        .await;
        self.with_console_errors(waited).await
    }

    /// Adds the page's console errors to a timeout, because an exception in
    /// the app is the usual reason a page never reaches the state awaited.
    async fn with_console_errors<T>(&self, result: Result<T>) -> Result<T> {
        let Err(HarnessError::Timeout { what, waited, last }) = result else {
            return result;
        };
        let errors = match self.driver()?.browser_log().await {
            Ok(entries) => entries
                .into_iter()
                .map(|entry| entry.message)
                .collect::<Vec<_>>(),
            Err(error) => vec![format!("(cannot read the browser log: {error})")],
        };
        let last = format!("{last}\nbrowser console errors: {errors:#?}");
        Err(HarnessError::Timeout { what, waited, last })
    }

    /// Waits until the connection indicator shows `online`.
    pub async fn wait_online(&self) -> Result<()> {
        self.wait_until("the connection to be online", |snapshot| {
            (snapshot.connection_state() == "online").then_some(())
        })
        .await
    }

    /// Clicks the inbox entry of `topic` and waits until its room has joined.
    pub async fn open_conversation(&self, topic: &str) -> Result<()> {
        self.click_conversation(topic).await?;
        self.wait_until(&format!("room {topic} to be joined"), |snapshot| {
            snapshot.room_is(topic, true).then_some(())
        })
        .await
    }

    /// Clicks the inbox entry of `topic`, once it is on screen.
    pub async fn click_conversation(&self, topic: &str) -> Result<()> {
        let selector = format!("[data-testid=conversation][data-topic=\"{topic}\"]");
        let entry = self
            .wait_until_element(&selector, &format!("the inbox entry {topic}"))
            .await?;
        entry.click().await.map_err(HarnessError::webdriver(format!(
            "clicking the inbox entry {topic}"
        )))
    }

    /// Types `body` into the composer and presses the send button.
    pub async fn send(&self, body: &str) -> Result<()> {
        let input = self
            .wait_until_element("[data-testid=composer-input]", "the composer")
            .await?;
        input
            .send_keys(body)
            .await
            .map_err(HarnessError::webdriver("typing into the composer"))?;
        let button = self
            .wait_until_element("[data-testid=composer-send]", "the send button")
            .await?;
        button
            .click()
            .await
            .map_err(HarnessError::webdriver("clicking the send button"))
    }

    /// Waits until a bubble shows `body` and returns the first one.
    pub async fn wait_for_message(&self, body: &str) -> Result<Message> {
        self.wait_until(&format!("a message `{body}`"), |snapshot| {
            snapshot
                .messages_with_body(body)
                .first()
                .map(|message| (*message).clone())
        })
        .await
    }

    /// Waits until the bubble showing `body` has a status other than
    /// `sending`, and returns that status.
    pub async fn wait_for_confirmed(&self, body: &str) -> Result<String> {
        self.wait_until(
            &format!("message `{body}` to leave `sending`"),
            |snapshot| {
                let status = snapshot.messages_with_body(body).first()?.status.clone()?;
                (status != "sending").then_some(status)
            },
        )
        .await
    }

    /// Sets a marker on `window` that only a reload clears, to prove later
    /// that the page was not reloaded.
    pub async fn set_reload_marker(&self, marker: &str) -> Result<()> {
        self.driver()?
            .execute(
                "window.__ridechatE2eMarker = arguments[0];",
                vec![serde_json::Value::String(marker.to_string())],
            )
            .await
            .map_err(HarnessError::webdriver("setting the reload marker"))?;
        Ok(())
    }

    /// Reloads the tab.
    pub async fn reload(&self) -> Result<()> {
        self.driver()?
            .refresh()
            .await
            .map_err(HarnessError::webdriver(format!(
                "reloading {}'s page",
                self.user
            )))
    }

    /// Ends the browser session.
    pub async fn close(self) -> Result<()> {
        self.browser.quit().await
    }

    async fn wait_until_element(&self, selector: &str, what: &str) -> Result<WebElement> {
        let driver = self.driver()?;
        let what = format!("{what} ({selector}) on {}'s page", self.user);
        let waited = wait_for(&what, DEFAULT_TIMEOUT, || async {
            let found = driver
                .find_all(By::Css(selector))
                .await
                .map_err(HarnessError::webdriver(format!("finding {selector}")))?;
            let count = found.len();
            Ok((
                format!("{count} matching elements"),
                found.into_iter().next(),
            ))
        })
        .await;
        self.with_console_errors(waited).await
    }
}
