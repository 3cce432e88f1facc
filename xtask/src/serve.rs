//! `cargo xtask serve`: builds the app in release mode and runs the reference
//! server with the demo users on a loopback address.

use std::path::Path;

use crate::process;
use crate::server::{self, Server};
use crate::setup;

const DEFAULT_ADDR: &str = "127.0.0.1:8080";

/// Runs setup, `trunk build --release` into `dist/`, then the server until it
/// stops (Ctrl-C).
pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let addr = parse_addr(args)?;
    setup::run(root)?;

    println!("==> serve: building the app into dist/");
    process::run(
        process::trunk(root)
            .args(["build", "--release"])
            .current_dir(root),
    )?;

    println!("==> serve: building the server");
    let bin = server::build(root, true)?;

    let data_dir = root.join(".data");
    std::fs::create_dir_all(&data_dir)
        .map_err(|error| format!("cannot create {}: {error}", data_dir.display()))?;
    let db = data_dir.join("ridechat.sqlite");

    let server = Server::start_demo(&bin, &addr, &db, Some(&root.join("dist")))?;
    println!();
    println!(
        "ridechat is running. Open {}/demo to chat as a rider and a driver.",
        server.url()
    );
    println!("Press Ctrl-C to stop.");
    server.wait()
}

fn parse_addr(args: &[String]) -> Result<String, String> {
    match args {
        [] => Ok(DEFAULT_ADDR.to_string()),
        [flag, addr] if flag == "--addr" => Ok(addr.clone()),
        [flag] if flag == "--addr" => {
            Err("--addr needs a value such as 127.0.0.1:8080".to_string())
        }
        other => Err(format!(
            "unexpected arguments `{}`; usage: cargo xtask serve [--addr HOST:PORT]",
            other.join(" ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_addr;

    #[test]
    fn addr_defaults_to_loopback() {
        assert_eq!(parse_addr(&[]).as_deref(), Ok("127.0.0.1:8080"));
    }

    #[test]
    fn addr_taken_from_flag() {
        let args = ["--addr".to_string(), "127.0.0.1:9000".to_string()];
        assert_eq!(parse_addr(&args).as_deref(), Ok("127.0.0.1:9000"));
    }

    #[test]
    fn addr_flag_without_value_fails() {
        assert!(parse_addr(&["--addr".to_string()]).is_err());
    }
}
