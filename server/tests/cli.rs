//! The binary: `token`, `serve` with its start line, and stop on SIGTERM.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

use serde_json::Value;

const BINARY: &str = env!("CARGO_BIN_EXE_ridechat-server");

#[test]
fn help_names_units() {
    let output = Command::new(BINARY)
        .args(["serve", "--help"])
        .output()
        .expect("run --help");
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success());
    for expected in [
        "--addr",
        "--db",
        "--dist",
        "--demo",
        "--secret-file",
        "in bytes",
        "in seconds",
    ] {
        assert!(help.contains(expected), "help lacks {expected:?}:\n{help}");
    }
}

#[tokio::test]
async fn serve_and_token_share_secret() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("chat.sqlite3");
    let db = db.to_str().expect("UTF-8 path");

    let token = Command::new(BINARY)
        .args(["token", "--user", "r2", "--ttl", "600", "--db", db])
        .output()
        .expect("run token");
    assert!(token.status.success(), "token failed: {token:?}");
    let token = String::from_utf8(token.stdout).expect("UTF-8");
    let token = token.trim().to_owned();
    assert_eq!(token.lines().count(), 1);

    let mut child = Command::new(BINARY)
        .args(["serve", "--addr", "127.0.0.1:0", "--demo", "--db", db])
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start serve");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("read start line");
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected start line {line:?}"))
        .parse()
        .expect("socket address");

    let bearer = format!("Bearer {token}");
    let (status, _, body) =
        common::http_request(addr, "GET", "/api/session", &[("Authorization", &bearer)]).await;
    assert_eq!(status, 200, "body {body}");
    let session: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(session["user_id"], "r2");

    let (status, _, _) = common::http_request(
        addr,
        "GET",
        &format!("/socket/websocket?vsn=2.0.0&token={token}"),
        &[],
    )
    .await;
    assert_eq!(status, 400, "a plain GET is not an upgrade");

    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("pid fits in i32"));
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("send SIGTERM");
    let exit = child.wait().expect("server exits");
    assert!(exit.success(), "exit status {exit:?}");

    let mut logs = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut logs)
        .expect("read logs");
    assert!(logs.contains("server started"), "logs:\n{logs}");
    assert!(logs.contains("server stopped"), "logs:\n{logs}");
    assert!(!logs.contains(&token), "a token leaked into the logs");
}
