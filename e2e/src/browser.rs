//! Debian's chromedriver and headless Chromium sessions.
//!
//! Chromium runs as root on the test machines, so every session starts with
//! `--no-sandbox`. Further flags stop it from opening network connections of
//! its own (background networking, component updates, sync). Each session
//! gets a fresh profile directory, so no IndexedDB data leaks between sessions.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tempfile::TempDir;
use thirtyfour::prelude::*;
use thirtyfour::{ChromeCapabilities, LoggingPrefsLogLevel};
use tokio::process::{Child, Command};

use crate::error::{HarnessError, Result};
use crate::wait::wait_for;

const DEFAULT_CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
const DRIVER_START_TIMEOUT: Duration = Duration::from_secs(20);

const CHROMIUM_FLAGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--window-size=1024,768",
];

/// A chromedriver process on a free loopback port, killed when dropped.
pub struct ChromeDriver {
    _child: Child,
    url: String,
}

impl ChromeDriver {
    /// Starts the chromedriver that `CHROMEDRIVER` names (default
    /// `/usr/bin/chromedriver`) and waits until it accepts connections.
    pub async fn start() -> Result<Self> {
        let bin = std::env::var_os("CHROMEDRIVER")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_CHROMEDRIVER));
        let port = free_port()?;

        let child = Command::new(&bin)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(HarnessError::io(format!(
                "starting {} (install Debian's chromium-driver with `cargo xtask setup`)",
                bin.display()
            )))?;

        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        wait_for(
            "chromedriver to accept connections",
            DRIVER_START_TIMEOUT,
            || async move {
                let connected = tokio::net::TcpStream::connect(addr).await.is_ok();
                Ok((connected, connected.then_some(())))
            },
        )
        .await?;

        Ok(Self {
            _child: child,
            url: format!("http://{addr}"),
        })
    }

    /// Opens a new headless Chromium session with a fresh profile.
    pub async fn new_session(&self) -> Result<Browser> {
        let profile = TempDir::with_prefix("ridechat-e2e-profile-")
            .map_err(HarnessError::io("creating a Chromium profile directory"))?;

        let mut capabilities = DesiredCapabilities::chrome();
        let configure = |capabilities: &mut ChromeCapabilities| -> WebDriverResult<()> {
            capabilities.set_binary(CHROMIUM)?;
            // Keeps console warnings, errors and uncaught exceptions, which a failed wait
            // quotes to show why the page did not get there.
            capabilities.set_browser_log_level(LoggingPrefsLogLevel::Warning)?;
            for flag in CHROMIUM_FLAGS {
                capabilities.add_arg(flag)?;
            }
            capabilities.add_arg(&format!("--user-data-dir={}", profile.path().display()))
        };
        configure(&mut capabilities).map_err(HarnessError::webdriver("setting Chromium flags"))?;

        let driver =
            WebDriver::new(&self.url, capabilities)
                .await
                .map_err(HarnessError::webdriver(format!(
                    "opening a Chromium session at {}",
                    self.url
                )))?;
        Ok(Browser {
            driver: Some(driver),
            _profile: profile,
        })
    }
}

/// One Chromium session and its profile directory.
pub struct Browser {
    driver: Option<WebDriver>,
    _profile: TempDir,
}

impl Browser {
    /// Returns the WebDriver session, or an error after `quit`.
    pub fn driver(&self) -> Result<&WebDriver> {
        self.driver
            .as_ref()
            .ok_or_else(|| HarnessError::Process("the browser session has ended".to_string()))
    }

    /// Ends the session and closes Chromium.
    pub async fn quit(mut self) -> Result<()> {
        match self.driver.take() {
            Some(driver) => driver
                .quit()
                .await
                .map_err(HarnessError::webdriver("closing Chromium")),
            None => Ok(()),
        }
    }
}

/// Finds a free loopback port by binding port 0 and releasing it.
///
/// Another process could take the port before chromedriver binds it. That
/// race is rare on a test machine, and chromedriver then fails to start.
fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .map_err(HarnessError::io("binding 127.0.0.1:0 to find a free port"))?;
    let port = listener
        .local_addr()
        .map_err(HarnessError::io("reading a free port"))?
        .port();
    Ok(port)
}
