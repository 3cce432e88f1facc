//! Users and rides.

use rusqlite::{Connection, OptionalExtension, params};

use ridechat_core::chat::{Peer, RideState, Role};

use super::StoreError;

/// A ride and its two members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ride {
    pub id: String,
    pub rider_id: String,
    pub driver_id: String,
    pub state: RideState,
    pub last_seq: u64,
}

impl Ride {
    pub fn is_member(&self, user_id: &str) -> bool {
        self.rider_id == user_id || self.driver_id == user_id
    }

    /// Returns the member who is not `user_id`.
    pub fn peer_of(&self, user_id: &str) -> &str {
        if self.rider_id == user_id {
            &self.driver_id
        } else {
            &self.rider_id
        }
    }

    pub fn members(&self) -> [&str; 2] {
        [&self.rider_id, &self.driver_id]
    }
}

/// Inserts a user unless one with the same id exists. Returns true if inserted.
pub fn insert_user_if_missing(connection: &Connection, user: &Peer) -> Result<bool, StoreError> {
    let inserted = connection.execute(
        "INSERT INTO users (id, name, role) VALUES (?1, ?2, ?3) ON CONFLICT (id) DO NOTHING",
        params![user.id, user.name, role_text(user.role)],
    )?;
    Ok(inserted == 1)
}

/// Reads one user.
pub fn user(connection: &Connection, user_id: &str) -> Result<Option<Peer>, StoreError> {
    let row = connection
        .query_row(
            "SELECT id, name, role FROM users WHERE id = ?1",
            params![user_id],
            |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                ))
            },
        )
        .optional()?;
    row.map(|(id, name, role)| {
        Ok(Peer {
            id,
            name,
            role: parse_role(&role)?,
        })
    })
    .transpose()
}

/// Lists every user, ordered by id.
pub fn all_users(connection: &Connection) -> Result<Vec<Peer>, StoreError> {
    let mut statement = connection.prepare("SELECT id FROM users ORDER BY id")?;
    let ids = statement
        .query_map([], |row| row.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    let mut users = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(user) = user(connection, &id)? {
            users.push(user);
        }
    }
    Ok(users)
}

/// Inserts a ride unless one with the same id exists. Returns true if inserted.
pub fn insert_ride_if_missing(
    connection: &Connection,
    ride_id: &str,
    rider_id: &str,
    driver_id: &str,
) -> Result<bool, StoreError> {
    let inserted = connection.execute(
        "INSERT INTO rides (id, rider_id, driver_id) VALUES (?1, ?2, ?3)
         ON CONFLICT (id) DO NOTHING",
        params![ride_id, rider_id, driver_id],
    )?;
    Ok(inserted == 1)
}

/// Reads one ride.
pub fn ride(connection: &Connection, ride_id: &str) -> Result<Option<Ride>, StoreError> {
    let row = connection
        .query_row(
            "SELECT id, rider_id, driver_id, state, last_seq FROM rides WHERE id = ?1",
            params![ride_id],
            read_ride_row,
        )
        .optional()?;
    row.map(finish_ride).transpose()
}

/// Lists the rides where `user_id` is rider or driver, ordered by id.
pub fn rides_of_user(connection: &Connection, user_id: &str) -> Result<Vec<Ride>, StoreError> {
    let mut statement = connection.prepare(
        "SELECT id, rider_id, driver_id, state, last_seq FROM rides
         WHERE rider_id = ?1 OR driver_id = ?1 ORDER BY id",
    )?;
    let rows = statement
        .query_map(params![user_id], read_ride_row)?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter().map(finish_ride).collect()
}

/// Marks a ride closed. Returns true if it was active.
pub fn close_ride(connection: &Connection, ride_id: &str) -> Result<bool, StoreError> {
    let changed = connection.execute(
        "UPDATE rides SET state = 'closed' WHERE id = ?1 AND state = 'active'",
        params![ride_id],
    )?;
    Ok(changed == 1)
}

type RideRow = (String, String, String, String, i64);

fn read_ride_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<RideRow> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
    ))
}

fn finish_ride((id, rider_id, driver_id, state, last_seq): RideRow) -> Result<Ride, StoreError> {
    let state = match state.as_str() {
        "active" => RideState::Active,
        "closed" => RideState::Closed,
        other => {
            return Err(StoreError::Corrupt(format!(
                "ride {id} has state {other:?}"
            )));
        }
    };
    let last_seq = u64::try_from(last_seq)
        .map_err(|_| StoreError::Corrupt(format!("ride {id} has last_seq {last_seq}")))?;
    Ok(Ride {
        id,
        rider_id,
        driver_id,
        state,
        last_seq,
    })
}

fn role_text(role: Role) -> &'static str {
    match role {
        Role::Rider => "rider",
        Role::Driver => "driver",
    }
}

fn parse_role(text: &str) -> Result<Role, StoreError> {
    match text {
        "rider" => Ok(Role::Rider),
        "driver" => Ok(Role::Driver),
        other => Err(StoreError::Corrupt(format!("user role {other:?}"))),
    }
}
