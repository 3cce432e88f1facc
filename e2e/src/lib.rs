//! End-to-end harness for ridechat: the real server binary, the app built by
//! Trunk, and headless Chromium sessions driven over WebDriver.
//!
//! The tests in `tests/` need two environment variables, which
//! `cargo xtask test e2e` sets: `RIDECHAT_SERVER_BIN` (the server binary) and
//! `RIDECHAT_DIST` (the directory of the built app). `CHROMEDRIVER` overrides
//! the chromedriver path, `/usr/bin/chromedriver` by default.
//!
//! All traffic stays on 127.0.0.1: the server, chromedriver and the fault
//! proxies bind loopback ports only.

pub mod bench;
pub mod browser;
pub mod chaos;
pub mod error;
pub mod faults;
pub mod harness;
pub mod ledger;
pub mod page;
pub mod proxy;
pub mod server;
pub mod wait;

pub use error::{HarnessError, Result};
pub use harness::Harness;
pub use page::{Page, Snapshot};
pub use proxy::{FaultProxy, Mode};
