//! The world of the chaos scenario: a demo server with extra rides between
//! rider r1 and driver d1, and tabs opened with a `time_scale`.
//!
//! The demo seeds one ride between r1 and d1. The chaos test needs three
//! rooms between the same two users, so [`ChaosWorld::start`] starts the
//! server once (which creates and seeds its database), stops it, inserts
//! the extra rides into that database with SQLite, and starts it again.
//! Only this test's temporary database changes; the demo seed stays as it is.

use std::net::SocketAddr;
use std::path::Path;

use tempfile::TempDir;

use crate::browser::ChromeDriver;
use crate::error::{HarnessError, Result};
use crate::page::Page;
use crate::proxy::FaultProxy;
use crate::server::{self, ServerConfig, ServerProcess};

/// A server, chromedriver and the scenario's data directory.
pub struct ChaosWorld {
    config: ServerConfig,
    server: Option<ServerProcess>,
    server_addr: SocketAddr,
    chromedriver: ChromeDriver,
    // Dropped last, after the server that writes into it.
    _data_dir: TempDir,
}

impl ChaosWorld {
    /// Starts the server with `extra_rides` (ride id, rider id, driver id)
    /// added to the demo data and `serve_args` added to its command line,
    /// and chromedriver.
    pub async fn start(extra_rides: &[(&str, &str, &str)], serve_args: &[&str]) -> Result<Self> {
        let data_dir = TempDir::with_prefix("ridechat-chaos-data-")
            .map_err(HarnessError::io("creating the server's data directory"))?;
        let mut config = server::config_from_env(data_dir.path())?;
        config.serve_args = serve_args.iter().map(|arg| arg.to_string()).collect();

        let first = ServerProcess::start(&config, SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let server_addr = first.addr();
        first.kill().await?;
        insert_rides(&config.db, extra_rides)?;
        let server = ServerProcess::start(&config, server_addr).await?;
        let chromedriver = ChromeDriver::start().await?;

        Ok(Self {
            config,
            server: Some(server),
            server_addr,
            chromedriver,
            _data_dir: data_dir,
        })
    }

    /// Returns the path of the server's SQLite database.
    pub fn database(&self) -> &Path {
        &self.config.db
    }

    /// Opens the app as `user` in a new Chromium session, its socket through
    /// a new fault proxy, with every protocol timer multiplied by `time_scale`.
    pub async fn open_page(&self, user: &str, time_scale: f64) -> Result<Page> {
        self.open_page_with_script(user, time_scale, None).await
    }

    /// Like [`open_page`](Self::open_page), and runs `script` in every
    /// document of the tab before the app's own scripts, reloads included.
    pub async fn open_page_with_script(
        &self,
        user: &str,
        time_scale: f64,
        script: Option<&str>,
    ) -> Result<Page> {
        let token = self.token(user).await?;
        let proxy = FaultProxy::start(self.server_addr).await?;
        let browser = self.chromedriver.new_session().await?;
        if let Some(script) = script {
            browser
                .driver()?
                .cdp()
                .send_raw(
                    "Page.addScriptToEvaluateOnNewDocument",
                    serde_json::json!({ "source": script }),
                )
                .await
                .map_err(HarnessError::webdriver(format!(
                    "adding a start script to {user}'s tab"
                )))?;
        }

        let url = format!(
            "http://{}/#token={}&socket=ws://{}/socket&time_scale={time_scale}",
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

    /// Mints a token for `user`.
    pub async fn token(&self, user: &str) -> Result<String> {
        server::mint_token(&self.config, user).await
    }

    /// Returns the server's base URL, such as `http://127.0.0.1:41234`.
    pub fn server_url(&self) -> String {
        format!("http://{}", self.server_addr)
    }

    /// Kills the server, as a crash would. Pages and proxies stay up.
    pub async fn stop_server(&mut self) -> Result<()> {
        match self.server.take() {
            Some(server) => server.kill().await,
            None => Ok(()),
        }
    }

    /// Starts the server again on the same address and database, and
    /// returns once it listens.
    pub async fn restart_server(&mut self) -> Result<()> {
        self.stop_server().await?;
        self.server = Some(ServerProcess::start(&self.config, self.server_addr).await?);
        Ok(())
    }

    /// Closes the pages, then stops the server.
    pub async fn finish(mut self, pages: Vec<Page>) -> Result<()> {
        for page in pages {
            page.close().await?;
        }
        match self.server.take() {
            Some(server) => server.kill().await,
            None => Ok(()),
        }
    }
}

/// Inserts rides into a stopped server's database.
fn insert_rides(db: &Path, rides: &[(&str, &str, &str)]) -> Result<()> {
    let connection = rusqlite::Connection::open(db).map_err(|error| {
        HarnessError::Process(format!("opening {} to add rides: {error}", db.display()))
    })?;
    for (ride_id, rider_id, driver_id) in rides {
        connection
            .execute(
                "INSERT INTO rides (id, rider_id, driver_id) VALUES (?1, ?2, ?3)",
                [ride_id, rider_id, driver_id],
            )
            .map_err(|error| {
                HarnessError::Process(format!(
                    "adding ride {ride_id} ({rider_id} with {driver_id}) to {}: {error}; \
                     the ride id must be new and both users must exist in the demo data",
                    db.display()
                ))
            })?;
    }
    Ok(())
}

/// Percent-encodes every byte outside the URL unreserved set, as the
/// harness does, so a token survives `URLSearchParams` parsing.
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
