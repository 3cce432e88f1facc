//! Broadcasts of the chat contract.

use std::sync::Arc;

use rusqlite::Connection;
use serde_json::json;

use ridechat_core::chat::{Message, Topic, events};

use crate::hub::{Delivery, Hub};
use crate::store::StoreError;
use crate::store::conversations;
use crate::store::rides::Ride;

/// Broadcasts `msg:new {message}` to every connection on the ride.
pub fn message(hub: &Hub, ride_topic: &str, message: &Message) {
    let delivery = Delivery {
        topic: ride_topic.to_owned(),
        event: events::MSG_NEW.to_owned(),
        payload: Arc::new(json!({ "message": message })),
        seq: Some(message.seq),
    };
    hub.broadcast(&delivery, None);
}

/// Broadcasts `typing {user_id, typing}` to the other members' connections.
pub fn typing(hub: &Hub, ride_topic: &str, user_id: &str, typing: bool) {
    let delivery = Delivery {
        topic: ride_topic.to_owned(),
        event: events::TYPING.to_owned(),
        payload: Arc::new(json!({ "user_id": user_id, "typing": typing })),
        seq: None,
    };
    hub.broadcast(&delivery, Some(user_id));
}

/// Broadcasts `receipt {user_id, delivered_seq, read_seq}` to every member.
pub fn receipt(hub: &Hub, ride_topic: &str, user_id: &str, delivered_seq: u64, read_seq: u64) {
    let payload = json!({
        "user_id": user_id,
        "delivered_seq": delivered_seq,
        "read_seq": read_seq,
    });
    let delivery = Delivery {
        topic: ride_topic.to_owned(),
        event: events::RECEIPT.to_owned(),
        payload: Arc::new(payload),
        seq: None,
    };
    hub.broadcast(&delivery, None);
}

/// Pushes `conversation:upsert` to the inbox of each of `users` that has a
/// connection. Reads the conversation only for users who are listening.
pub fn conversation_upserts(
    hub: &Hub,
    connection: &Connection,
    ride: &Ride,
    users: &[&str],
) -> Result<(), StoreError> {
    for user_id in users {
        let inbox_topic = Topic::inbox(user_id).to_string();
        if hub.subscriber_count(&inbox_topic) == 0 {
            continue;
        }
        let conversation = conversations::of_ride(connection, ride, user_id)?;
        let delivery = Delivery {
            topic: inbox_topic,
            event: events::CONVERSATION_UPSERT.to_owned(),
            payload: Arc::new(json!({ "conversation": conversation })),
            seq: None,
        };
        hub.broadcast(&delivery, None);
    }
    Ok(())
}

/// Pushes `conversation:closed {topic}` to both members' inboxes.
pub fn conversation_closed(hub: &Hub, ride: &Ride) {
    let ride_topic = Topic::ride(&ride.id).to_string();
    for user_id in ride.members() {
        let delivery = Delivery {
            topic: Topic::inbox(user_id).to_string(),
            event: events::CONVERSATION_CLOSED.to_owned(),
            payload: Arc::new(json!({ "topic": ride_topic })),
            seq: None,
        };
        hub.broadcast(&delivery, None);
    }
}
