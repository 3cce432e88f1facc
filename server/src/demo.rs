//! Demo data: riders Amina (`r1`) and Karim (`r2`), driver Youssef (`d1`),
//! ride `1` (r1 with d1) and ride `2` (r2 with d1).

use ridechat_core::chat::{Peer, Role};

use crate::store::{Store, StoreError, rides};

const USERS: [(&str, &str, Role); 3] = [
    ("r1", "Amina", Role::Rider),
    ("r2", "Karim", Role::Rider),
    ("d1", "Youssef", Role::Driver),
];

const RIDES: [(&str, &str, &str); 2] = [("1", "r1", "d1"), ("2", "r2", "d1")];

/// Inserts the demo users and rides that are missing; keeps existing ones
/// and their messages.
pub fn seed(store: &Store) -> Result<(), StoreError> {
    store.call_blocking(|connection| {
        let transaction = connection.transaction()?;
        for (id, name, role) in USERS {
            let user = Peer {
                id: id.to_owned(),
                name: name.to_owned(),
                role,
            };
            rides::insert_user_if_missing(&transaction, &user)?;
        }
        for (ride_id, rider_id, driver_id) in RIDES {
            rides::insert_ride_if_missing(&transaction, ride_id, rider_id, driver_id)?;
        }
        transaction.commit()?;
        Ok(())
    })
}
