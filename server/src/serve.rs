//! Starting and stopping the server.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::chat::Chat;
use crate::demo;
use crate::http::cors::AllowedOrigins;
use crate::http::{self, AppState};
use crate::settings::Limits;
use crate::store::{Store, StoreError};
use crate::token::{SecretError, TokenSigner};

/// Everything `serve` needs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub addr: SocketAddr,
    pub db: PathBuf,
    pub secret_file: PathBuf,
    pub dist: Option<PathBuf>,
    pub demo: bool,
    pub limits: Limits,
    /// Origins whose pages may call the API and load the app.
    pub allow_origins: AllowedOrigins,
}

/// Failure to start the server, or an error that stopped it.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error("failed to listen on {addr}: {source}; pick another address with --addr")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("app directory {0} has no index.html; build the app first or fix --dist")]
    NoIndex(PathBuf),
    #[error("server failed: {0}")]
    Io(#[from] std::io::Error),
}

/// A server running on a background task.
pub struct RunningServer {
    /// The bound address; with port 0 in the options, the port the OS chose.
    pub addr: SocketAddr,
    pub store: Store,
    pub signer: Arc<TokenSigner>,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    /// Stops accepting, closes open sockets with code 1001, and waits.
    pub async fn stop(self) -> Result<(), ServeError> {
        self.shutdown.send_replace(true);
        match self.task.await {
            Ok(result) => result.map_err(ServeError::Io),
            Err(err) => Err(ServeError::Io(std::io::Error::other(err))),
        }
    }

    /// Waits until the server stops by itself (after [`Self::shutdown_handle`]
    /// fires or on an I/O error).
    pub async fn wait(self) -> Result<(), ServeError> {
        match self.task.await {
            Ok(result) => result.map_err(ServeError::Io),
            Err(err) => Err(ServeError::Io(std::io::Error::other(err))),
        }
    }

    /// Returns a sender that stops the server when it sends `true`.
    pub fn shutdown_handle(&self) -> watch::Sender<bool> {
        self.shutdown.clone()
    }
}

/// Opens the database, seeds the demo data if asked, binds and starts
/// serving on a background task.
pub async fn start(options: ServeOptions) -> Result<RunningServer, ServeError> {
    if let Some(dist) = &options.dist
        && !dist.join("index.html").is_file()
    {
        return Err(ServeError::NoIndex(dist.clone()));
    }

    let db = options.db.clone();
    let store = tokio::task::spawn_blocking(move || Store::open(&db))
        .await
        .map_err(|err| StoreError::Task(err.to_string()))??;
    if options.demo {
        let seed_store = store.clone();
        tokio::task::spawn_blocking(move || demo::seed(&seed_store))
            .await
            .map_err(|err| StoreError::Task(err.to_string()))??;
    }
    let signer = Arc::new(TokenSigner::load_or_create(&options.secret_file)?);

    let listener = TcpListener::bind(options.addr)
        .await
        .map_err(|source| ServeError::Bind {
            addr: options.addr,
            source,
        })?;
    let addr = listener.local_addr()?;

    let (shutdown, shutdown_rx) = watch::channel(false);
    let state = AppState {
        chat: Arc::new(Chat::new(store.clone(), options.limits.clone())),
        signer: Arc::clone(&signer),
        demo: options.demo,
        shutdown: shutdown_rx.clone(),
    };
    let app = http::router(state, options.dist.as_deref(), &options.allow_origins)
        .into_make_service_with_connect_info::<SocketAddr>();

    tracing::info!(
        %addr,
        db = %options.db.display(),
        demo = options.demo,
        dist = ?options.dist,
        "server started"
    );
    let mut stop_signal = shutdown_rx;
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                // An error means every sender is gone: stop as well.
                let _stopped = stop_signal.wait_for(|stopping| *stopping).await;
            })
            .await
    });

    Ok(RunningServer {
        addr,
        store,
        signer,
        shutdown,
        task,
    })
}

/// Waits for SIGINT or SIGTERM.
pub async fn termination_signal() {
    let interrupt = tokio::signal::ctrl_c();

    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen for SIGTERM; stopping on SIGINT only");
                let _interrupted = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _interrupted = interrupt.await;
    }
}
