//! Inbox entries: a ride seen from one member.

use rusqlite::Connection;

use ridechat_core::chat::{Conversation, Peer, Role, Topic};

use super::rides::{self, Ride};
use super::{StoreError, messages, receipts};

/// Builds the inbox entry of `ride` for `user_id`, who must be a member.
pub fn of_ride(
    connection: &Connection,
    ride: &Ride,
    user_id: &str,
) -> Result<Conversation, StoreError> {
    let peer_id = ride.peer_of(user_id);
    let peer = rides::user(connection, peer_id)?.unwrap_or_else(|| Peer {
        id: peer_id.to_owned(),
        name: peer_id.to_owned(),
        role: if peer_id == ride.driver_id {
            Role::Driver
        } else {
            Role::Rider
        },
    });

    let last_message = messages::by_seq(connection, &ride.id, ride.last_seq)?;
    let read_seq = receipts::of_user(connection, &ride.id, user_id)?.read_seq;
    let unread = messages::count_from_others_after(connection, &ride.id, user_id, read_seq)?;

    Ok(Conversation {
        topic: Topic::ride(&ride.id).to_string(),
        ride_id: ride.id.clone(),
        peer,
        last_seq: ride.last_seq,
        last_message,
        unread,
        state: ride.state,
    })
}

/// Builds the whole inbox of `user_id`.
pub fn of_user(connection: &Connection, user_id: &str) -> Result<Vec<Conversation>, StoreError> {
    rides::rides_of_user(connection, user_id)?
        .iter()
        .map(|ride| of_ride(connection, ride, user_id))
        .collect()
}
