//! The command line: `serve` and `token`.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use time::OffsetDateTime;
use tracing_subscriber::EnvFilter;

use crate::http::cors::AllowedOrigins;
use crate::serve::{self, ServeOptions};
use crate::settings::Limits;
use crate::token::{TokenSigner, default_secret_path};

#[derive(Debug, Parser)]
#[command(
    name = "ridechat-server",
    version,
    about = "Reference server for ridechat: Phoenix Channels socket, chat contract, SQLite storage.",
    long_about = "Reference server for ridechat: Phoenix Channels socket, chat contract, SQLite storage.\n\nLogs go to stderr; set RUST_LOG (for example RUST_LOG=ridechat_server=debug) to change the level."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the socket, the HTTP API and the built app.
    Serve(ServeArgs),
    /// Print one signed token for a user, for tests and scripts.
    Token(TokenArgs),
}

#[derive(Debug, Args)]
pub struct StorageArgs {
    /// Path of the SQLite database file; created with its schema on first start.
    #[arg(long, value_name = "PATH", default_value = "ridechat.sqlite3")]
    pub db: PathBuf,
    /// Path of the token signing secret; created with random bytes on first
    /// use. Default: the database path with `.secret` appended.
    #[arg(long, value_name = "PATH")]
    pub secret_file: Option<PathBuf>,
}

impl StorageArgs {
    fn secret_path(&self) -> PathBuf {
        self.secret_file
            .clone()
            .unwrap_or_else(|| default_secret_path(&self.db))
    }
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on; port 0 picks a free port, printed on start.
    #[arg(long, value_name = "IP:PORT", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    #[command(flatten)]
    pub storage: StorageArgs,
    /// Directory of the built app (with index.html) to serve at `/`.
    #[arg(long, value_name = "DIR")]
    pub dist: Option<PathBuf>,
    /// Seed the demo users and rides and serve the `/demo` page to loopback clients.
    #[arg(long)]
    pub demo: bool,
    /// Origin of a page on another site that may call the API and load the
    /// app, such as https://portal.example. Repeat it for more, or give '*'
    /// for any. Without it only pages served by this server can.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub allow_origins: Vec<String>,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Debug, Args)]
pub struct LimitArgs {
    /// Maximum length of a text message, in Unicode code points.
    #[arg(long, value_name = "CHARS", default_value_t = Limits::default().max_message_chars)]
    pub max_message_chars: usize,
    /// Messages per join reply or history page (1 to 100).
    #[arg(long, value_name = "COUNT", default_value_t = Limits::default().page_size,
          value_parser = parse_page_size)]
    pub page_size: usize,
    /// Largest WebSocket message a client may send, in bytes; larger ones
    /// close the socket with code 1009.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_frame_bytes)]
    pub max_frame_bytes: usize,
    /// Largest HTTP request body, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_body_bytes)]
    pub max_body_bytes: usize,
    /// Messages a user may send at once before `rate_limited`.
    #[arg(long, value_name = "COUNT", default_value_t = Limits::default().rate_burst)]
    pub rate_burst: u32,
    /// Messages per minute a user may send once the burst is spent.
    #[arg(long, value_name = "COUNT", default_value_t = Limits::default().rate_per_minute)]
    pub rate_per_minute: u32,
    /// Lifetime of tokens issued by `/demo` and `/api/session/refresh`, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = Limits::default().token_ttl.as_secs())]
    pub token_ttl: u64,
    /// Time without any message from a client after which its socket is
    /// closed, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = Limits::default().idle_timeout.as_secs())]
    pub idle_timeout: u64,
}

impl From<&LimitArgs> for Limits {
    fn from(args: &LimitArgs) -> Self {
        Self {
            max_message_chars: args.max_message_chars,
            page_size: args.page_size,
            max_frame_bytes: args.max_frame_bytes,
            max_body_bytes: args.max_body_bytes,
            rate_burst: args.rate_burst,
            rate_per_minute: args.rate_per_minute,
            token_ttl: Duration::from_secs(args.token_ttl),
            idle_timeout: Duration::from_secs(args.idle_timeout),
        }
    }
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    /// User id the token is for, such as r1.
    #[arg(long, value_name = "ID")]
    pub user: String,
    /// Lifetime of the token, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 86_400)]
    pub ttl: u64,
    #[command(flatten)]
    pub storage: StorageArgs,
}

/// Parses `--page-size`, which the contract caps at 100 messages.
fn parse_page_size(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(size @ 1..=100) => Ok(size),
        _ => Err(format!(
            "{text:?} is not a page size; use a whole number from 1 to 100"
        )),
    }
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();

    let result = match cli.command {
        Command::Serve(args) => run_serve(args),
        Command::Token(args) => print_token(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

fn run_serve(args: ServeArgs) -> Result<(), String> {
    let options = ServeOptions {
        addr: args.addr,
        secret_file: args.storage.secret_path(),
        db: args.storage.db,
        dist: args.dist,
        demo: args.demo,
        limits: Limits::from(&args.limits),
        allow_origins: AllowedOrigins::parse(&args.allow_origins)?,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|err| format!("failed to start the async runtime: {err}"))?;

    runtime.block_on(async move {
        let server = serve::start(options).await.map_err(|err| err.to_string())?;
        println!("listening on http://{}", server.addr);
        // Scripts read this line through a pipe, so flush it now.
        std::io::stdout()
            .flush()
            .map_err(|err| format!("failed to write to stdout: {err}"))?;

        let shutdown = server.shutdown_handle();
        tokio::spawn(async move {
            serve::termination_signal().await;
            tracing::info!("stop requested; closing sockets");
            shutdown.send_replace(true);
        });
        server.wait().await.map_err(|err| err.to_string())?;
        tracing::info!("server stopped");
        Ok(())
    })
}

fn print_token(args: &TokenArgs) -> Result<(), String> {
    let signer =
        TokenSigner::load_or_create(&args.storage.secret_path()).map_err(|err| err.to_string())?;
    let ttl = i64::try_from(args.ttl)
        .map_err(|_| format!("--ttl {} is too large; use at most {}", args.ttl, i64::MAX))?;
    let expires_at = OffsetDateTime::now_utc()
        .checked_add(time::Duration::seconds(ttl))
        .ok_or_else(|| format!("--ttl {ttl} puts the expiry past year 9999; use a shorter one"))?;
    println!("{}", signer.issue(&args.user, expires_at));
    Ok(())
}
