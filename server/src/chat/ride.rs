//! The `ride:<ride_id>` topic: one conversation between a rider and a driver.

use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};
use time::OffsetDateTime;

use ridechat_core::chat::{
    ErrorReason, ReceiptPush, RideJoinParams, RideState, Topic, TypingPush, events,
};

use super::validate::{self, HistoryCursor};
use super::{Chat, ChatError, Joined, publish};
use crate::hub::SocketHandle;
use crate::store::messages::{self, NewText};
use crate::store::receipts;
use crate::store::rides::{self, Ride};

/// Joins a ride: members only. Replies with the newest page after the
/// client's `last_seq`, the ride's state and every member's receipts.
pub async fn join(
    chat: &Chat,
    ride_id: &str,
    params: &Value,
    socket: &SocketHandle,
) -> Result<Joined, ChatError> {
    let params: RideJoinParams = if params.is_null() {
        RideJoinParams::default()
    } else {
        validate::parse("phx_join", params.clone(), r#"{"last_seq": N}"#)?
    };

    let hub = Arc::clone(chat.hub());
    let socket = socket.clone();
    let ride_id = ride_id.to_owned();
    let page_size = chat.limits().page_size;
    chat.store()
        .call(move |connection| {
            let ride = member_ride(connection, &ride_id, &socket.user_id)?;
            hub.subscribe(&Topic::ride(&ride_id).to_string(), &socket);

            let page = messages::newest_after(connection, &ride_id, params.last_seq, page_size)?;
            let receipts = receipts::of_ride(connection, &ride_id)?;
            let response = json!({
                "messages": page.messages,
                "more": page.more,
                "state": ride.state,
                "receipts": receipts,
            });
            Ok(Joined {
                response,
                covered_seq: ride.last_seq,
            })
        })
        .await
}

/// Handles a push to a joined ride.
pub async fn push(
    chat: &Chat,
    ride_id: &str,
    event: &str,
    payload: Value,
    socket: &SocketHandle,
) -> Result<Value, ChatError> {
    match event {
        events::MSG_NEW => new_message(chat, ride_id, payload, socket).await,
        events::MSG_HISTORY => history(chat, ride_id, payload, socket).await,
        events::RECEIPT => receipt(chat, ride_id, payload, socket).await,
        events::TYPING => typing(chat, ride_id, payload, socket).await,
        other => Err(ChatError::reject(
            ErrorReason::Invalid,
            format!(
                "unknown event {other:?} on ride topics; expected msg:new, msg:history, receipt or typing"
            ),
        )),
    }
}

/// Stores a text message once per (sender, client_id) and broadcasts it.
/// A resend of a stored client_id returns the stored message and broadcasts
/// nothing, even when the ride has closed or the sender is rate limited since.
async fn new_message(
    chat: &Chat,
    ride_id: &str,
    payload: Value,
    socket: &SocketHandle,
) -> Result<Value, ChatError> {
    let text = validate::text_message(payload, chat.limits().max_message_chars)?;
    let order_gate = socket.order_gate.clone();

    let hub = Arc::clone(chat.hub());
    let rate_limiter = Arc::clone(&chat.rate_limiter);
    let user_id = socket.user_id.clone();
    let ride_id = ride_id.to_owned();
    let message = chat
        .store()
        .call(move |connection| {
            let client_id = text.client_id.as_str();
            if let Some((stored_ride, message)) =
                messages::by_client_id(connection, &user_id, client_id)?
            {
                if stored_ride != ride_id {
                    return Err(ChatError::reject(
                        ErrorReason::Invalid,
                        format!(
                            "client_id {client_id} is already used by a message in ride:{stored_ride}; use a new client_id"
                        ),
                    ));
                }
                tracing::debug!(%user_id, client_id, seq = message.seq, "duplicate msg:new; replying with the stored message");
                return Ok(message);
            }

            // A resend of a stored message is answered above whatever the
            // gate holds: it comes before the held message in send order.
            if let Some(head) = order_gate.waiting_for(&ride_id, client_id) {
                tracing::debug!(%user_id, %ride_id, client_id, %head, "msg:new held behind a rate-limited message");
                return Err(ChatError::reject(
                    ErrorReason::RateLimited,
                    format!("message {head} was rate limited; resend it before later messages"),
                ));
            }

            let ride = member_ride(connection, &ride_id, &user_id)?;
            if ride.state == RideState::Closed {
                return Err(ChatError::reject(
                    ErrorReason::Closed,
                    format!("ride:{ride_id} is closed; it can be read but takes no new messages"),
                ));
            }
            if let Err(wait) = rate_limiter.try_acquire(&user_id, Instant::now()) {
                order_gate.hold(&ride_id, client_id);
                return Err(ChatError::reject(
                    ErrorReason::RateLimited,
                    format!("too many messages; retry in {:.1} s", wait.as_secs_f64()),
                ));
            }

            let new_text = NewText {
                ride_id: &ride_id,
                sender_id: &user_id,
                client_id,
                body: &text.body,
            };
            let message = messages::insert_text(connection, &new_text, OffsetDateTime::now_utc())?;
            publish::message(&hub, &Topic::ride(&ride_id).to_string(), &message);

            let ride = Ride {
                last_seq: message.seq,
                ..ride
            };
            publish::conversation_upserts(&hub, connection, &ride, &ride.members())?;
            Ok(message)
        })
        .await?;

    Ok(json!({ "message": message }))
}

/// Replies with one page of older or newer messages.
async fn history(
    chat: &Chat,
    ride_id: &str,
    payload: Value,
    socket: &SocketHandle,
) -> Result<Value, ChatError> {
    let (cursor, limit) = validate::history(payload, chat.limits().page_size)?;

    let user_id = socket.user_id.clone();
    let ride_id = ride_id.to_owned();
    let page = chat
        .store()
        .call(move |connection| {
            member_ride(connection, &ride_id, &user_id)?;
            let page = match cursor {
                HistoryCursor::Before(seq) => messages::before(connection, &ride_id, seq, limit)?,
                HistoryCursor::After(seq) => messages::after(connection, &ride_id, seq, limit)?,
            };
            Ok::<_, ChatError>(page)
        })
        .await?;

    Ok(json!({ "messages": page.messages, "more": page.more }))
}

/// Moves the sender's receipt watermarks forward and broadcasts them to
/// every member when they changed.
async fn receipt(
    chat: &Chat,
    ride_id: &str,
    payload: Value,
    socket: &SocketHandle,
) -> Result<Value, ChatError> {
    let push: ReceiptPush = validate::parse(
        "receipt",
        payload,
        r#"{"delivered_seq": N, "read_seq": N} (either may be omitted)"#,
    )?;

    let hub = Arc::clone(chat.hub());
    let user_id = socket.user_id.clone();
    let ride_id = ride_id.to_owned();
    chat.store()
        .call(move |connection| {
            let ride = member_ride(connection, &ride_id, &user_id)?;
            let mut receipt = receipts::of_user(connection, &ride_id, &user_id)?;
            let read_before = receipt.read_seq;

            if receipt.advance(push.delivered_seq, push.read_seq, ride.last_seq) {
                receipts::save(connection, &ride_id, &user_id, receipt)?;
                let topic = Topic::ride(&ride_id).to_string();
                publish::receipt(
                    &hub,
                    &topic,
                    &user_id,
                    receipt.delivered_seq,
                    receipt.read_seq,
                );
                if receipt.read_seq != read_before {
                    publish::conversation_upserts(&hub, connection, &ride, &[&user_id])?;
                }
            }
            Ok::<_, ChatError>(())
        })
        .await?;

    Ok(json!({}))
}

/// Broadcasts `typing` to the other member.
async fn typing(
    chat: &Chat,
    ride_id: &str,
    payload: Value,
    socket: &SocketHandle,
) -> Result<Value, ChatError> {
    let push: TypingPush = validate::parse("typing", payload, r#"{"typing": true|false}"#)?;

    let user_id = socket.user_id.clone();
    let owned_ride_id = ride_id.to_owned();
    let ride = chat
        .store()
        .call(move |connection| member_ride(connection, &owned_ride_id, &user_id))
        .await?;
    if ride.state == RideState::Closed {
        return Err(ChatError::reject(
            ErrorReason::Closed,
            format!("ride:{ride_id} is closed"),
        ));
    }

    let topic = Topic::ride(ride_id).to_string();
    publish::typing(chat.hub(), &topic, &socket.user_id, push.typing);
    Ok(json!({}))
}

/// Reads a ride that `user_id` is a member of, or rejects with `not_found`
/// or `unauthorized`.
fn member_ride(
    connection: &rusqlite::Connection,
    ride_id: &str,
    user_id: &str,
) -> Result<Ride, ChatError> {
    let ride = rides::ride(connection, ride_id)?.ok_or_else(|| {
        ChatError::reject(
            ErrorReason::NotFound,
            format!("ride:{ride_id} does not exist"),
        )
    })?;
    if !ride.is_member(user_id) {
        return Err(ChatError::reject(
            ErrorReason::Unauthorized,
            format!("user {user_id} is not a member of ride:{ride_id}"),
        ));
    }
    Ok(ride)
}
