//! The `inbox:<user_id>` topic: the user's conversations.

use std::sync::Arc;

use serde_json::json;

use ridechat_core::chat::{ErrorReason, Topic};

use super::{Chat, ChatError, Joined};
use crate::hub::SocketHandle;
use crate::store::conversations;

/// Joins the inbox of `user_id`; only that user may.
pub async fn join(chat: &Chat, user_id: &str, socket: &SocketHandle) -> Result<Joined, ChatError> {
    if socket.user_id != user_id {
        return Err(ChatError::reject(
            ErrorReason::Unauthorized,
            format!(
                "inbox:{user_id} belongs to another user; join inbox:{}",
                socket.user_id
            ),
        ));
    }

    let hub = Arc::clone(chat.hub());
    let socket = socket.clone();
    let topic = Topic::inbox(user_id).to_string();
    let user_id = user_id.to_owned();
    let conversations = chat
        .store()
        .call(move |connection| {
            hub.subscribe(&topic, &socket);
            conversations::of_user(connection, &user_id)
        })
        .await?;

    Ok(Joined {
        response: json!({ "conversations": conversations }),
        covered_seq: 0,
    })
}
