//! The standalone app renews its token before it expires: a reconnect after
//! the first token's expiry still succeeds, because it uses the token from
//! `POST /api/session/refresh`. Run with `cargo xtask test e2e`.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::{Duration, Instant};

use ridechat_e2e::browser::ChromeDriver;
use ridechat_e2e::server::{self, ServerProcess};
use ridechat_e2e::{FaultProxy, HarnessError, Mode, Result};
use serde::Deserialize;
use tempfile::TempDir;
use thirtyfour::WebDriver;
use tokio::process::Command;

/// Lifetime of the token the page starts with, in seconds.
const FIRST_TOKEN_TTL: u64 = 4;

/// Reads the connection state and the token this tab keeps.
const STATE_SCRIPT: &str = r#"
const connection = document.querySelector('[data-testid=connection]');
return {
  connection: connection ? connection.getAttribute('data-state') : null,
  token: sessionStorage.getItem('ridechat.token'),
};
"#;

#[derive(Debug, Deserialize)]
struct PageState {
    connection: Option<String>,
    token: Option<String>,
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnect_after_expiry_uses_refreshed_token() -> Result<()> {
    let data_dir = TempDir::with_prefix("ridechat-e2e-tokens-")
        .map_err(HarnessError::io("creating the server's data directory"))?;
    let config = server::config_from_env(data_dir.path())?;
    let server = ServerProcess::start(&config, SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let proxy = FaultProxy::start(server.addr()).await?;
    let chromedriver = ChromeDriver::start().await?;
    let browser = chromedriver.new_session().await?;

    let token = mint_short_token(&config, "r1", FIRST_TOKEN_TTL).await?;
    let minted = Instant::now();
    let url = format!(
        "http://{}/#token={}&socket=ws://{}/socket",
        server.addr(),
        encode_fragment_value(&token),
        proxy.addr()
    );
    let driver = browser.driver()?;
    driver
        .goto(url)
        .await
        .map_err(HarnessError::webdriver("opening the app"))?;
    wait_page(driver, "the app to be online", |state| {
        state.connection.as_deref() == Some("online")
    })
    .await?;

    // The refresh is planned at 80 % of the lifetime, before the expiry.
    wait_page(driver, "the token to be refreshed", |state| {
        state.token.as_deref().is_some_and(|stored| stored != token)
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

    browser.quit().await?;
    server.kill().await
}
