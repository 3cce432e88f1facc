//! One scenario's world: a server with a fresh demo database, chromedriver,
//! and one browser tab per user, each with its own fault proxy.
//!
//! A page loads straight from the server, but its WebSocket goes through its
//! proxy, because the URL fragment `#token=...&socket=ws://127.0.0.1:<proxy>/socket`
//! sets the app's socket endpoint. So a proxy fault cuts only that tab's
//! socket, and the proxy's connection count is that tab's WebSocket count.

use std::net::SocketAddr;

use tempfile::TempDir;

use crate::browser::{Browser, ChromeDriver};
use crate::error::{HarnessError, Result};
use crate::page::Page;
use crate::proxy::FaultProxy;
use crate::server::{self, ServerConfig, ServerProcess};

/// The server, chromedriver and the scenario's data directory.
pub struct Harness {
    config: ServerConfig,
    server: Option<ServerProcess>,
    server_addr: SocketAddr,
    chromedriver: ChromeDriver,
    // Dropped last, after the server that writes into it.
    _data_dir: TempDir,
}

impl Harness {
    /// Starts the server on a free loopback port and chromedriver.
    pub async fn start() -> Result<Self> {
        let data_dir = TempDir::with_prefix("ridechat-e2e-data-")
            .map_err(HarnessError::io("creating the server's data directory"))?;
        let config = server::config_from_env(data_dir.path())?;

        let server = ServerProcess::start(&config, SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let server_addr = server.addr();
        let chromedriver = ChromeDriver::start().await?;

        Ok(Self {
            config,
            server: Some(server),
            server_addr,
            chromedriver,
            _data_dir: data_dir,
        })
    }

    /// Returns the server's address, which stays the same across restarts.
    pub fn server_addr(&self) -> SocketAddr {
        self.server_addr
    }

    /// Returns the server's base URL, such as `http://127.0.0.1:41234`.
    pub fn server_url(&self) -> String {
        format!("http://{}", self.server_addr)
    }

    /// Opens a new Chromium session with a fresh profile, on a blank page.
    pub async fn new_browser(&self) -> Result<Browser> {
        self.chromedriver.new_session().await
    }

    /// Opens the app as `user` in a new Chromium session, with the socket
    /// through a new fault proxy, and returns once the page has loaded.
    pub async fn open_page(&self, user: &str) -> Result<Page> {
        let token = server::mint_token(&self.config, user).await?;
        let proxy = FaultProxy::start(self.server_addr).await?;
        let browser = self.chromedriver.new_session().await?;

        let url = format!(
            "http://{}/#token={}&socket=ws://{}/socket",
            self.server_addr,
            encode_fragment_value(&token),
            proxy.addr()
        );
        browser
            .driver()?
            .goto(url)
            .await
            .map_err(HarnessError::webdriver(format!(
                "opening the app as {user}"
            )))?;

        Ok(Page::new(user, proxy, browser))
    }

    /// Kills the server. Pages and proxies stay up.
    pub async fn stop_server(&mut self) -> Result<()> {
        match self.server.take() {
            Some(server) => server.kill().await,
            None => Ok(()),
        }
    }

    /// Starts the server again on the same address and database.
    pub async fn restart_server(&mut self) -> Result<()> {
        self.stop_server().await?;
        self.server = Some(ServerProcess::start(&self.config, self.server_addr).await?);
        Ok(())
    }

    /// Closes the pages' browser sessions, then stops the server and
    /// chromedriver.
    pub async fn finish(mut self, pages: Vec<Page>) -> Result<()> {
        for page in pages {
            page.close().await?;
        }
        self.stop_server().await
    }
}

/// Percent-encodes every byte outside the URL unreserved set, so a token with
/// `+`, `/` or `=` survives `URLSearchParams` parsing of the fragment.
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

#[cfg(test)]
mod tests {
    use super::encode_fragment_value;

    #[test]
    fn fragment_value_keeps_unreserved() {
        assert_eq!(encode_fragment_value("abc.DEF-1_2~"), "abc.DEF-1_2~");
    }

    #[test]
    fn fragment_value_encodes_reserved() {
        assert_eq!(encode_fragment_value("a+b/c=&"), "a%2Bb%2Fc%3D%26");
    }
}
