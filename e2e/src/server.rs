//! The reference server as a child process, started from the binary that
//! `RIDECHAT_SERVER_BIN` names.
//!
//! The server prints `listening on http://ADDR` once it is bound, so the first
//! start uses port 0 and a restart reuses the port it got, with the same
//! database file, as a real server coming back after a crash would.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

use crate::error::{HarnessError, Result};

const START_TIMEOUT: Duration = Duration::from_secs(30);
const LISTENING_PREFIX: &str = "listening on http://";

/// Where the server binary, its database and the built app are.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub bin: PathBuf,
    pub db: PathBuf,
    pub dist: PathBuf,
    /// More `serve` options, such as `--rate-burst 100`; empty by default.
    pub serve_args: Vec<String>,
}

/// A running server, killed when dropped.
pub struct ServerProcess {
    child: Child,
    addr: SocketAddr,
}

impl ServerProcess {
    /// Starts `serve --demo` on `addr` (port 0 picks a free port) and waits for
    /// its `listening on` line.
    pub async fn start(config: &ServerConfig, addr: SocketAddr) -> Result<Self> {
        let mut command = Command::new(&config.bin);
        command
            .arg("serve")
            .arg("--demo")
            .arg("--addr")
            .arg(addr.to_string())
            .arg("--db")
            .arg(&config.db)
            .arg("--dist")
            .arg(&config.dist)
            .args(&config.serve_args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);

        let mut child = command.spawn().map_err(HarnessError::io(format!(
            "starting {}",
            config.bin.display()
        )))?;

        let (sender, mut receiver) = mpsc::unbounded_channel();
        if let Some(stdout) = child.stdout.take() {
            tokio::spawn(forward_output(stdout, sender.clone()));
        }
        if let Some(stderr) = child.stderr.take() {
            tokio::spawn(forward_output(stderr, sender));
        }

        let bound = tokio::time::timeout(START_TIMEOUT, receiver.recv()).await;
        match bound {
            Ok(Some(addr)) => Ok(Self { child, addr }),
            _ => {
                let status = child.try_wait().ok().flatten();
                Err(HarnessError::Process(format!(
                    "the server at {} printed no `{LISTENING_PREFIX}ADDR` line within {}s \
                     (exit status: {status:?}); its output is above",
                    config.bin.display(),
                    START_TIMEOUT.as_secs()
                )))
            }
        }
    }

    /// Returns the address the server is bound to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Kills the server, as a crash or a power cut would, and waits for it to exit.
    pub async fn kill(mut self) -> Result<()> {
        self.child
            .kill()
            .await
            .map_err(HarnessError::io("killing the server"))
    }
}

/// Copies the server's output to stderr and sends the address of each
/// `listening on` line.
async fn forward_output(stream: impl AsyncRead + Unpin, sender: mpsc::UnboundedSender<SocketAddr>) {
    let mut lines = BufReader::new(stream).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        eprintln!("[server] {line}");
        if let Some(addr) = listening_addr(&line) {
            // Only the first address is awaited; later sends find no receiver.
            let _ = sender.send(addr);
        }
    }
}

/// Parses `ADDR` from a line containing `listening on http://ADDR`.
fn listening_addr(line: &str) -> Option<SocketAddr> {
    let start = line.find(LISTENING_PREFIX)? + LISTENING_PREFIX.len();
    let addr: String = line[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '[' | ']'))
        .collect();
    addr.parse().ok()
}

/// Mints a token for `user` with the server's `token` subcommand.
pub async fn mint_token(config: &ServerConfig, user: &str) -> Result<String> {
    let output = Command::new(&config.bin)
        .args(["token", "--user", user, "--db"])
        .arg(&config.db)
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(HarnessError::io(format!(
            "running `{} token`",
            config.bin.display()
        )))?;

    if !output.status.success() {
        return Err(HarnessError::Process(format!(
            "`{} token --user {user}` failed with {}: {}",
            config.bin.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .map(str::trim)
        .rfind(|line| !line.is_empty())
        .map(str::to_string)
        .ok_or_else(|| HarnessError::Process(format!("`token --user {user}` printed no token")))
}

/// Reads the server binary and the built app from `RIDECHAT_SERVER_BIN` and
/// `RIDECHAT_DIST`, with the database in `data_dir`.
pub fn config_from_env(data_dir: &Path) -> Result<ServerConfig> {
    Ok(ServerConfig {
        bin: env_path(
            "RIDECHAT_SERVER_BIN",
            "run the tests with `cargo xtask test e2e`, or build the server and set it",
        )?,
        dist: env_path(
            "RIDECHAT_DIST",
            "run the tests with `cargo xtask test e2e`, or run `trunk build` and set it",
        )?,
        db: data_dir.join("ridechat.sqlite"),
        serve_args: Vec::new(),
    })
}

fn env_path(name: &'static str, hint: &'static str) -> Result<PathBuf> {
    std::env::var_os(name)
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
        .ok_or(HarnessError::MissingEnv { name, hint })
}

#[cfg(test)]
mod tests {
    use super::listening_addr;

    #[test]
    fn listening_addr_in_log_line() {
        let line = "\u{1b}[32m INFO\u{1b}[0m ridechat_server: listening on http://127.0.0.1:4000 demo=true";
        assert_eq!(listening_addr(line), "127.0.0.1:4000".parse().ok());
    }

    #[test]
    fn listening_addr_ignores_other_lines() {
        assert_eq!(listening_addr("opened database"), None);
    }
}
