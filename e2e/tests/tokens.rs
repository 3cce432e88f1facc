//! Token renewal and expiry in a real browser. The standalone app renews
//! its token before it expires, so a reconnect after the first token's
//! expiry still succeeds. An embedding page whose `tokenCallback` cannot
//! give a valid token ends in the "session expired" state, keeps its queued
//! message, and stops connecting. Run with `cargo xtask test e2e`.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use ridechat_e2e::browser::{Browser, ChromeDriver};
use ridechat_e2e::server::{self, ServerProcess};
use ridechat_e2e::{FaultProxy, HarnessError, Mode, Result};
use serde::Deserialize;
use tempfile::TempDir;
use thirtyfour::prelude::*;
use tokio::process::Command;

/// Lifetime of the token the page starts with, in seconds.
const FIRST_TOKEN_TTL: u64 = 4;

/// Reads the connection state and the token this tab keeps.
const STATE_SCRIPT: &str = r#"
const connection = document.querySelector('[data-testid=connection]');
return {
  connection: connection ? connection.getAttribute('data-state') : null,
  queued: connection ? connection.getAttribute('data-queued') : null,
  token: sessionStorage.getItem('ridechat.token'),
  statuses: [...document.querySelectorAll('[data-testid=message]')].map(item => [
    (item.querySelector('[data-testid=message-body]') || {}).textContent || '',
    item.getAttribute('data-status'),
  ]),
  callback_calls: window.ridechatCallbackCalls || 0,
};
"#;

#[derive(Debug, Deserialize)]
struct PageState {
    connection: Option<String>,
    queued: Option<String>,
    token: Option<String>,
    /// `(body, data-status)` of each bubble on screen.
    statuses: Vec<(String, Option<String>)>,
    callback_calls: u32,
}

async fn page_state(driver: &WebDriver) -> Result<PageState> {
    let returned = driver
        .execute(STATE_SCRIPT, Vec::new())
        .await
        .map_err(HarnessError::webdriver("reading the page state"))?;
    serde_json::from_value(returned.json().clone()).map_err(|error| {
        HarnessError::PageState(format!(
            "the page state script returned invalid JSON: {error}"
        ))
    })
}

/// Polls the page until `check` returns true, for at most 20 seconds.
async fn wait_page(
    driver: &WebDriver,
    what: &str,
    check: impl Fn(&PageState) -> bool,
) -> Result<()> {
    let timeout = Duration::from_secs(20);
    let started = Instant::now();
    loop {
        let state = page_state(driver).await?;
        if check(&state) {
            return Ok(());
        }
        if started.elapsed() > timeout {
            return Err(HarnessError::Timeout {
                what: what.to_owned(),
                waited: timeout,
                last: format!("connection {:?}", state.connection),
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Mints a token for `user` that expires after `ttl` seconds.
async fn mint_short_token(config: &server::ServerConfig, user: &str, ttl: u64) -> Result<String> {
    let output = Command::new(&config.bin)
        .args(["token", "--user", user, "--ttl", &ttl.to_string(), "--db"])
        .arg(&config.db)
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(HarnessError::io("running the server's token subcommand"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let token = text.trim();
    if !output.status.success() || token.is_empty() {
        return Err(HarnessError::Process(format!(
            "`token --user {user} --ttl {ttl}` failed with {}",
            output.status
        )));
    }
    Ok(token.to_owned())
}

/// Percent-encodes every byte outside the URL unreserved set, so the token
/// survives `URLSearchParams` parsing of the fragment.
fn encode_fragment_value(value: &str) -> String {
    let mut encoded = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// Where the page under test is loaded from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum PageOrigin {
    /// The server's own origin, as the standalone app is.
    Server,
    /// The fault proxy's origin: another origin than the server's, as a
    /// partner portal is. The page finds the server in its `api` value.
    Proxy,
}

/// A server, a fault proxy and one browser with `page` open as r1, holding
/// a token that expires after `ttl` seconds.
struct TokenWorld {
    server: ServerProcess,
    proxy: FaultProxy,
    browser: Browser,
    token: String,
    minted: Instant,
    _chromedriver: ChromeDriver,
}

impl TokenWorld {
    /// Starts everything and waits until the app on `page` is online.
    async fn start(
        config: &server::ServerConfig,
        origin: PageOrigin,
        page: &str,
        ttl: u64,
    ) -> Result<Self> {
        let server = ServerProcess::start(config, SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let proxy = FaultProxy::start(server.addr()).await?;
        let chromedriver = ChromeDriver::start().await?;
        let browser = chromedriver.new_session().await?;

        let token = mint_short_token(config, "r1", ttl).await?;
        let minted = Instant::now();
        let host = match origin {
            PageOrigin::Server => server.addr(),
            PageOrigin::Proxy => proxy.addr(),
        };
        let url = format!(
            "http://{host}/{page}#token={}&socket=ws://{}/socket&api=http://{}",
            encode_fragment_value(&token),
            proxy.addr(),
            server.addr()
        );
        let driver = browser.driver()?;
        driver
            .goto(url)
            .await
            .map_err(HarnessError::webdriver(format!("opening /{page}")))?;
        wait_page(driver, "the app to be online", |state| {
            state.connection.as_deref() == Some("online")
        })
        .await?;
        Ok(Self {
            server,
            proxy,
            browser,
            token,
            minted,
            _chromedriver: chromedriver,
        })
    }

    /// Ends the browser session and stops the server.
    async fn finish(self) -> Result<()> {
        self.browser.quit().await?;
        self.server.kill().await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnect_after_expiry_uses_refreshed_token() -> Result<()> {
    let data_dir = TempDir::with_prefix("ridechat-e2e-tokens-")
        .map_err(HarnessError::io("creating the server's data directory"))?;
    let config = server::config_from_env(data_dir.path())?;
    let world = TokenWorld::start(&config, PageOrigin::Server, "", FIRST_TOKEN_TTL).await?;
    let (driver, proxy, token, minted) = (
        world.browser.driver()?,
        &world.proxy,
        world.token.clone(),
        world.minted,
    );

    open_ride(driver, "ride:1").await?;

    // The refresh is planned at 80 % of the lifetime, before the expiry.
    wait_page(driver, "the token to be refreshed", |state| {
        state.token.as_deref().is_some_and(|stored| stored != token)
    })
    .await?;
    // Traffic on the open socket between the refresh and the reconnect must
    // not use up the new token.
    send(driver, "sent after the refresh").await?;
    wait_page(driver, "the message to be confirmed", |state| {
        state.statuses.iter().any(|(body, status)| {
            body == "sent after the refresh" && status.as_deref() != Some("sending")
        })
    })
    .await?;

    // Past the first token's expiry, a reconnect only succeeds with the new one.
    let expiry = Duration::from_secs(FIRST_TOKEN_TTL + 1);
    tokio::time::sleep(expiry.saturating_sub(minted.elapsed())).await;
    proxy.set_mode(Mode::Cut);
    wait_page(driver, "the connection to drop", |state| {
        state.connection.as_deref() != Some("online")
    })
    .await?;
    proxy.set_mode(Mode::Pass);
    wait_page(driver, "the app to reconnect", |state| {
        state.connection.as_deref() == Some("online")
    })
    .await?;

    world.finish().await
}

/// Lifetime of the token the embedding page starts with, in seconds.
const EMBED_TOKEN_TTL: u64 = 3;

/// A partner page that mounts the app with a `tokenCallback` that always
/// fails, as when the portal's own session ended. It loads the app and calls
/// the API on the origin in its `api` fragment value, as a portal on another
/// site does. `MODULE`, `WASM` and `STYLE` are replaced with the hashed file
/// names of the built app.
const EMBED_PAGE: &str = r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><link rel="stylesheet" href="/STYLE"></head>
<body>
<div id="chat" style="height: 100vh"></div>
<script type="module">
const fragment = new URLSearchParams(location.hash.slice(1));
const api = fragment.get("api");
const { default: init, mount } = await import(`${api}/MODULE`);
await init({ module_or_path: `${api}/WASM` });
window.ridechatCallbackCalls = 0;
mount(document.getElementById("chat"), {
  token: fragment.get("token"),
  socketUrl: fragment.get("socket"),
  apiUrl: api,
  timeScale: 0.1,
  tokenCallback: () => {
    window.ridechatCallbackCalls += 1;
    return Promise.reject(new Error("the portal session ended"));
  },
});
</script>
</body>
</html>
"#;

/// Copies the built app into `into` and adds `embed.html` beside it.
fn embedding_dist(dist: &Path, into: &Path) -> Result<()> {
    std::fs::create_dir_all(into).map_err(HarnessError::io("creating the embedding app dir"))?;
    let mut module = None;
    let mut wasm = None;
    let mut style = None;
    let entries = std::fs::read_dir(dist).map_err(HarnessError::io("listing the built app"))?;
    for entry in entries {
        let entry = entry.map_err(HarnessError::io("listing the built app"))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_file() {
            std::fs::copy(entry.path(), into.join(&name))
                .map_err(HarnessError::io(format!("copying {name}")))?;
        }
        if name.starts_with("ridechat-") && name.ends_with(".js") {
            module = Some(name.clone());
        }
        if name.ends_with("_bg.wasm") {
            wasm = Some(name.clone());
        }
        if name.ends_with(".css") {
            style = Some(name);
        }
    }
    let (Some(module), Some(wasm)) = (module, wasm) else {
        return Err(HarnessError::Process(format!(
            "no ridechat-<hash>.js and _bg.wasm in {}; build the app with trunk first",
            dist.display()
        )));
    };
    let page = EMBED_PAGE
        .replace("MODULE", &module)
        .replace("WASM", &wasm)
        .replace("STYLE", style.as_deref().unwrap_or(""));
    std::fs::write(into.join("embed.html"), page).map_err(HarnessError::io("writing embed.html"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_token_callback_ends_in_expired_state() -> Result<()> {
    let data_dir = TempDir::with_prefix("ridechat-e2e-embed-")
        .map_err(HarnessError::io("creating the server's data directory"))?;
    let mut config = server::config_from_env(data_dir.path())?;
    let app_dir = data_dir.path().join("app");
    embedding_dist(&config.dist, &app_dir)?;
    config.dist = app_dir;
    // The page is on the proxy's origin, so the app's files and API calls
    // need the server's CORS headers.
    config.serve_args = vec!["--allow-origin".to_owned(), "*".to_owned()];
    let world =
        TokenWorld::start(&config, PageOrigin::Proxy, "embed.html", EMBED_TOKEN_TTL).await?;
    let (driver, proxy, minted) = (world.browser.driver()?, &world.proxy, world.minted);
    open_ride(driver, "ride:1").await?;

    // Offline, a message waits in the outbox.
    proxy.set_mode(Mode::Cut);
    wait_page(driver, "the connection to drop", |state| {
        state.connection.as_deref() != Some("online")
    })
    .await?;
    send(driver, "waiting for a token").await?;
    wait_page(driver, "the message to be queued", |state| {
        state.queued.as_deref() == Some("1")
    })
    .await?;

    // Back online after the token expired: the server rejects it and the
    // callback cannot replace it.
    let expiry = Duration::from_secs(EMBED_TOKEN_TTL + 1);
    tokio::time::sleep(expiry.saturating_sub(minted.elapsed())).await;
    proxy.set_mode(Mode::Pass);
    wait_page(driver, "the session to expire", |state| {
        state.connection.as_deref() == Some("expired")
    })
    .await?;

    let expired = page_state(driver).await?;
    assert!(
        expired.callback_calls >= 1,
        "the app never asked the embedder for a token: {expired:?}"
    );
    assert_eq!(expired.queued.as_deref(), Some("1"), "{expired:?}");
    assert_eq!(
        expired.statuses,
        vec![("waiting for a token".to_owned(), Some("sending".to_owned()))],
        "the queued message must stay on screen"
    );

    // No endless retries: nothing connects any more.
    let connections = proxy.accepted_connections();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        proxy.accepted_connections(),
        connections,
        "the expired session kept connecting"
    );

    world.finish().await
}

/// Clicks the inbox entry of `topic` and waits until its room is joined.
async fn open_ride(driver: &WebDriver, topic: &str) -> Result<()> {
    let selector = format!("[data-testid=conversation][data-topic=\"{topic}\"]");
    let started = Instant::now();
    loop {
        let found = driver
            .find_all(By::Css(selector.as_str()))
            .await
            .map_err(HarnessError::webdriver("finding the inbox entry"))?;
        if let Some(entry) = found.into_iter().next() {
            entry
                .click()
                .await
                .map_err(HarnessError::webdriver("opening the conversation"))?;
            break;
        }
        if started.elapsed() > Duration::from_secs(20) {
            return Err(HarnessError::Timeout {
                what: format!("the inbox entry {topic}"),
                waited: Duration::from_secs(20),
                last: "not on screen".to_owned(),
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let joined = format!("[data-testid=room][data-topic=\"{topic}\"][data-joined=true]");
    let started = Instant::now();
    while driver
        .find_all(By::Css(joined.as_str()))
        .await
        .map_err(HarnessError::webdriver("finding the room"))?
        .is_empty()
    {
        if started.elapsed() > Duration::from_secs(20) {
            return Err(HarnessError::Timeout {
                what: format!("room {topic} to be joined"),
                waited: Duration::from_secs(20),
                last: "not joined".to_owned(),
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// Types `body` into the composer and presses send.
async fn send(driver: &WebDriver, body: &str) -> Result<()> {
    let input = driver
        .find(By::Css("[data-testid=composer-input]"))
        .await
        .map_err(HarnessError::webdriver("finding the composer"))?;
    input
        .send_keys(body)
        .await
        .map_err(HarnessError::webdriver("typing into the composer"))?;
    driver
        .find(By::Css("[data-testid=composer-send]"))
        .await
        .map_err(HarnessError::webdriver("finding the send button"))?
        .click()
        .await
        .map_err(HarnessError::webdriver("pressing send"))
}
