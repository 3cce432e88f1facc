//! SQLite storage: one file in WAL mode, one connection.
//!
//! The connection sits behind a mutex. Async code reaches it only through
//! [`Store::call`], which runs on tokio's blocking pool, so queries never hold
//! up the runtime's worker threads. Holding the one connection also
//! serializes writers. That makes the per-ride `seq` assignment in
//! [`messages::insert_text`] race-free, and lets the chat layer publish a
//! broadcast in the same critical section as the commit, so broadcasts leave
//! in seq order.

pub mod conversations;
pub mod messages;
pub mod receipts;
pub mod rides;
mod schema;

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::Connection;

/// Errors from storage.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("failed to open database {path}: {source}")]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    #[error("failed to create the database directory {path}: {source}")]
    Directory {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "database schema version {found} is newer than this server supports ({supported}); upgrade the server"
    )]
    SchemaTooNew { found: i64, supported: i64 },
    #[error("stored row is invalid: {0}")]
    Corrupt(String),
    #[error("storage task failed: {0}")]
    Task(String),
}

/// Handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    connection: Arc<Mutex<Connection>>,
}

impl Store {
    /// Opens (or creates) the database file and migrates its schema.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::Directory {
                path: parent.display().to_string(),
                source,
            })?;
        }
        let connection = Connection::open(path).map_err(|source| StoreError::Open {
            path: path.display().to_string(),
            source,
        })?;
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "NORMAL")?;
        Self::from_connection(connection)
    }

    /// Opens a private in-memory database, for tests.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Self::from_connection(Connection::open_in_memory()?)
    }

    fn from_connection(mut connection: Connection) -> Result<Self, StoreError> {
        connection.pragma_update(None, "foreign_keys", "ON")?;
        connection.busy_timeout(std::time::Duration::from_secs(5))?;
        schema::migrate(&mut connection)?;
        Ok(Self {
            connection: Arc::new(Mutex::new(connection)),
        })
    }

    /// Runs `work` with the connection on the blocking pool. `work` may
    /// return any error that a [`StoreError`] converts into.
    pub async fn call<T, E, F>(&self, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, E> + Send + 'static,
    {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.call_blocking(work))
            .await
            .map_err(|err| E::from(StoreError::Task(err.to_string())))?
    }

    /// Runs `work` with the connection on the current thread. For code that
    /// is not on the async runtime (start-up, the CLI, tests).
    pub fn call_blocking<T, E>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, E>,
    ) -> Result<T, E> {
        // A panic while holding the lock leaves no open transaction behind,
        // because rusqlite rolls back a transaction when it is dropped.
        let mut connection = self
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        work(&mut connection)
    }
}

#[cfg(test)]
mod tests;
