//! Starting the reference server binary as a child process.
//!
//! The server prints `listening on http://ADDR` once its socket is bound, so
//! it can start on port 0 and report the port it got. Its output is copied to
//! this process's stderr so its logs stay visible.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use crate::process::{self, describe};

/// How long the server may take to bind its socket after it starts.
const START_TIMEOUT: Duration = Duration::from_secs(60);

const LISTENING_PREFIX: &str = "listening on http://";

/// A running server, stopped when dropped.
pub struct Server {
    child: Child,
    /// The bound address, such as `127.0.0.1:41234`.
    pub addr: String,
}

impl Server {
    /// Starts `bin serve --demo --addr <addr> --db <db> [--dist <dist>]` and
    /// waits for its `listening on` line. Without `dist` the server serves
    /// the socket and the API but no app.
    pub fn start_demo(
        bin: &Path,
        addr: &str,
        db: &Path,
        dist: Option<&Path>,
    ) -> Result<Self, String> {
        let mut command = Command::new(bin);
        command
            .args(["serve", "--demo", "--addr", addr, "--db"])
            .arg(db);
        if let Some(dist) = dist {
            command.arg("--dist").arg(dist);
        }
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        println!("$ {}", describe(&command));

        let mut child = command
            .spawn()
            .map_err(|error| format!("failed to start {}: {error}", bin.display()))?;

        let (sender, receiver) = mpsc::channel();
        forward_output(child.stdout.take(), sender.clone());
        forward_output(child.stderr.take(), sender);

        match receiver.recv_timeout(START_TIMEOUT) {
            Ok(addr) => Ok(Self { child, addr }),
            Err(_) => {
                let _ = child.kill();
                let status = child
                    .wait()
                    .map(|status| status.to_string())
                    .unwrap_or_default();
                Err(format!(
                    "the server printed no `{LISTENING_PREFIX}...` line within {}s ({status}); \
                     its output is above",
                    START_TIMEOUT.as_secs()
                ))
            }
        }
    }

    /// Returns the server's base URL, such as `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Waits until the server exits by itself.
    pub fn wait(mut self) -> Result<(), String> {
        let status = self
            .child
            .wait()
            .map_err(|error| format!("failed to wait for the server: {error}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("the server exited with {status}"))
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // The child may have exited already, in which case kill reports an
        // error that is of no use here.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Copies each line of `stream` to stderr and sends the address of the first
/// `listening on http://ADDR` line.
fn forward_output(stream: Option<impl Read + Send + 'static>, sender: mpsc::Sender<String>) {
    let Some(stream) = stream else {
        return;
    };
    thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else {
                break;
            };
            eprintln!("[server] {line}");
            if let Some(addr) = listening_addr(&line) {
                // The receiver is gone once the first address arrived.
                let _ = sender.send(addr);
            }
        }
    });
}

/// Extracts `ADDR` from a log line containing `listening on http://ADDR`,
/// ignoring terminal color codes and trailing text.
pub fn listening_addr(line: &str) -> Option<String> {
    let plain = strip_ansi(line);
    let start = plain.find(LISTENING_PREFIX)? + LISTENING_PREFIX.len();
    let addr: String = plain[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '/' && *c != '"')
        .collect();
    (!addr.is_empty()).then_some(addr)
}

fn strip_ansi(line: &str) -> String {
    let mut plain = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // Skip a CSI sequence: ESC [ parameters final-byte.
            for next in chars.by_ref() {
                if next.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    plain
}

/// Mints a token for `user` with `bin token --user <user> --db <db>`.
pub fn mint_token(bin: &Path, db: &Path, user: &str) -> Result<String, String> {
    let mut command = Command::new(bin);
    command.args(["token", "--user", user, "--db"]).arg(db);
    let output = command
        .output()
        .map_err(|error| format!("failed to run `{}`: {error}", describe(&command)))?;
    if !output.status.success() {
        return Err(format!(
            "`{}` failed with {}: {}",
            describe(&command),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }

    let stdout = String::from_utf8_lossy(&output.stdout);
    match stdout.lines().map(str::trim).rfind(|line| !line.is_empty()) {
        Some(token) => Ok(token.to_string()),
        None => Err(format!("`{}` printed no token", describe(&command))),
    }
}

/// Builds the server with Cargo and returns the path of its binary.
pub fn build(root: &Path, release: bool) -> Result<PathBuf, String> {
    let mut command = process::cargo(root);
    command.args([
        "build",
        "-p",
        "ridechat-server",
        "--message-format=json-render-diagnostics",
    ]);
    if release {
        command.arg("--release");
    }
    println!("$ {}", describe(&command));

    let output = command
        .stderr(Stdio::inherit())
        .output()
        .map_err(|error| format!("failed to start `{}`: {error}", describe(&command)))?;
    if !output.status.success() {
        return Err(format!(
            "`{}` failed with {}",
            describe(&command),
            output.status
        ));
    }

    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .filter(|line| line.contains("/server/Cargo.toml"))
        .find_map(|line| json_string_field(line, "executable"))
        .map(PathBuf::from)
        .ok_or_else(|| format!("`{}` reported no server executable", describe(&command)))
}

/// Returns the string value of `"field":"..."` in one line of Cargo's JSON
/// output, or `None` when the field is missing or null.
fn json_string_field(line: &str, field: &str) -> Option<String> {
    let key = format!("\"{field}\":\"");
    let start = line.find(&key)? + key.len();
    let mut value = String::new();
    let mut chars = line[start..].chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(value),
            '\\' => value.push(chars.next()?),
            _ => value.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{json_string_field, listening_addr};

    #[test]
    fn listening_addr_from_plain_line() {
        let line =
            "2026-12-04T20:00:00Z  INFO ridechat_server: listening on http://127.0.0.1:41234";
        assert_eq!(listening_addr(line).as_deref(), Some("127.0.0.1:41234"));
    }

    #[test]
    fn listening_addr_skips_color_codes() {
        let line = "\u{1b}[32m INFO\u{1b}[0m listening on http://127.0.0.1:8080/ demo=true";
        assert_eq!(listening_addr(line).as_deref(), Some("127.0.0.1:8080"));
    }

    #[test]
    fn listening_addr_reads_ipv6() {
        let line = "listening on http://[::1]:9000";
        assert_eq!(listening_addr(line).as_deref(), Some("[::1]:9000"));
    }

    #[test]
    fn listening_addr_absent_in_other_lines() {
        assert_eq!(
            listening_addr("opened database .data/ridechat.sqlite"),
            None
        );
    }

    #[test]
    fn json_field_reads_executable() {
        let line = r#"{"reason":"compiler-artifact","executable":"/t/debug/ridechat-server","fresh":true}"#;
        assert_eq!(
            json_string_field(line, "executable").as_deref(),
            Some("/t/debug/ridechat-server")
        );
    }

    #[test]
    fn json_field_null_is_none() {
        let line = r#"{"reason":"compiler-artifact","executable":null}"#;
        assert_eq!(json_string_field(line, "executable"), None);
    }
}
