//! Schema migrations, tracked by SQLite's `user_version`.
//!
//! `MIGRATIONS[i]` moves the schema from version `i` to `i + 1`. A new
//! database runs all of them; an existing one runs those above its version.
//! Never edit a released migration: append a new one.

use rusqlite::Connection;

use super::StoreError;

const MIGRATIONS: &[&str] = &[
    // 1: users, rides, messages, receipts.
    "CREATE TABLE users (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('rider', 'driver'))
    );
    CREATE TABLE rides (
        id TEXT PRIMARY KEY,
        rider_id TEXT NOT NULL REFERENCES users (id),
        driver_id TEXT NOT NULL REFERENCES users (id),
        state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'closed')),
        last_seq INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX rides_rider ON rides (rider_id);
    CREATE INDEX rides_driver ON rides (driver_id);
    CREATE TABLE messages (
        id TEXT PRIMARY KEY,
        ride_id TEXT NOT NULL REFERENCES rides (id),
        seq INTEGER NOT NULL,
        client_id TEXT NOT NULL,
        sender_id TEXT NOT NULL REFERENCES users (id),
        kind TEXT NOT NULL CHECK (kind IN ('text', 'voice')),
        body TEXT,
        voice TEXT,
        inserted_at TEXT NOT NULL,
        UNIQUE (ride_id, seq),
        UNIQUE (sender_id, client_id)
    );
    CREATE TABLE receipts (
        ride_id TEXT NOT NULL REFERENCES rides (id),
        user_id TEXT NOT NULL REFERENCES users (id),
        delivered_seq INTEGER NOT NULL DEFAULT 0,
        read_seq INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (ride_id, user_id)
    );",
];

/// Brings the schema up to the newest version, in one transaction.
pub fn migrate(connection: &mut Connection) -> Result<(), StoreError> {
    let supported = MIGRATIONS.len() as i64;
    let found: i64 = connection.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if found > supported {
        return Err(StoreError::SchemaTooNew { found, supported });
    }
    if found == supported {
        return Ok(());
    }

    let transaction = connection.transaction()?;
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        transaction.execute_batch(sql)?;
        tracing::info!(version = index + 1, "migrated database schema");
    }
    transaction.pragma_update(None, "user_version", supported)?;
    transaction.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrate_sets_user_version_once() {
        let mut connection = Connection::open_in_memory().expect("in-memory db");
        migrate(&mut connection).expect("first migration");
        migrate(&mut connection).expect("second run is a no-op");
        let version: i64 = connection
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .expect("user_version");
        assert_eq!(version, MIGRATIONS.len() as i64);
    }

    #[test]
    fn migrate_rejects_newer_schema() {
        let mut connection = Connection::open_in_memory().expect("in-memory db");
        connection
            .pragma_update(None, "user_version", 99)
            .expect("set version");
        let result = migrate(&mut connection);
        assert!(matches!(
            result,
            Err(StoreError::SchemaTooNew { found: 99, .. })
        ));
    }
}
