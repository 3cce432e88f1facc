//! Dispatch of the socket's events to the inbox, the rooms and the outbox.

use serde_json::Value;

use super::ChatSession;
use crate::chat::{ErrorReason, ErrorReply};
use crate::local::DeliveryStatus;
use crate::socket::{ChannelState, PushRef, SocketEvent, SocketState};
use crate::store::Store;
use crate::time::Instant;
use crate::wire::{Payload, ReplyStatus};

impl<S: Store> ChatSession<S> {
    /// Handles every event the socket has queued, including those that the
    /// handling itself causes.
    pub(super) async fn drain_socket_events(&mut self, now: Instant) {
        while let Some(event) = self.socket.poll_event() {
            self.on_socket_event(now, event).await;
        }
    }

    async fn on_socket_event(&mut self, now: Instant, event: SocketEvent) {
        match event {
            SocketEvent::StateChanged(state) => {
                if state == SocketState::Open {
                    self.connect_failed = false;
                }
            }
            SocketEvent::ConnectFailed { .. } => self.connect_failed = true,
            SocketEvent::ChannelStateChanged { topic, state } => {
                self.on_channel_state(&topic, state)
            }
            SocketEvent::Joined {
                topic, response, ..
            } => self.on_joined(now, &topic, response).await,
            SocketEvent::JoinRejected { topic, response } => {
                self.on_join_rejected(&topic, &response).await
            }
            SocketEvent::Message {
                topic,
                event,
                payload,
            } => self.on_message(now, &topic, &event, payload).await,
            SocketEvent::Replied {
                push,
                status,
                response,
                ..
            } => self.on_replied(now, push, status, response).await,
            SocketEvent::PushTimedOut { topic, push } => self.on_push_timed_out(now, &topic, push),
        }
    }

    async fn on_replied(
        &mut self,
        now: Instant,
        push: PushRef,
        status: ReplyStatus,
        response: Value,
    ) {
        if let Some(topic) = self.history_pushes.remove(&push) {
            self.on_history_reply(now, &topic, status, response).await;
            return;
        }
        // Replies to receipts, and to pushes forgotten at a rejoin, need no
        // action.
        let Some((topic, client_id)) = self.outbox.take_push(push) else {
            return;
        };
        match status {
            ReplyStatus::Ok => self.on_push_ok(now, &topic, &client_id, response).await,
            ReplyStatus::Error => self.on_push_error(now, &topic, &client_id, response).await,
        }
    }

    fn on_channel_state(&mut self, topic: &str, state: ChannelState) {
        if topic == self.inbox_topic {
            self.inbox_joined = state.is_joined();
            return;
        }
        if state.is_joined() {
            return;
        }
        if let Some(room) = self.rooms.get_mut(topic) {
            room.timeline.channel_lost();
        }
        self.history_pushes.retain(|_, pending| pending != topic);
    }

    async fn on_joined(&mut self, now: Instant, topic: &str, response: Value) {
        if topic == self.inbox_topic {
            self.inbox_joined = true;
            self.on_inbox_joined(now, response).await;
        } else if self.rooms.contains_key(topic) {
            self.on_room_joined(now, topic, response).await;
        }
    }

    /// Reports a rejected join. When the rejection is permanent, the room's
    /// queued messages can never be sent, so they are marked failed with the
    /// reason: a retry joins again.
    async fn on_join_rejected(&mut self, topic: &str, response: &Value) {
        let reply = serde_json::from_value::<ErrorReply>(response.clone()).ok();
        let reason = match &reply {
            Some(reply) => reason_name(reply.reason),
            None => response.to_string(),
        };
        self.report(format!(
            "Could not join {topic}: the server rejected it ({reason}). \
             Check that this account belongs to the ride, or sign in again."
        ));

        let Some(reply) = reply else {
            return;
        };
        if !matches!(
            reply.reason,
            ErrorReason::Unauthorized | ErrorReason::NotFound
        ) {
            return;
        }
        let queued: Vec<String> = self
            .outbox
            .entries_of(topic)
            .map(|entry| entry.client_id.clone())
            .collect();
        for client_id in queued {
            let status = DeliveryStatus::Failed {
                reason: reply.reason,
                detail: reply.detail.clone(),
            };
            self.mark_failed(topic, &client_id, status).await;
        }
    }

    async fn on_message(&mut self, now: Instant, topic: &str, event: &str, payload: Payload) {
        let Payload::Json(payload) = payload else {
            self.report(format!(
                "Ignored a binary {event} on {topic}: the chat contract sends JSON only."
            ));
            return;
        };
        if topic == self.inbox_topic {
            self.on_inbox_message(now, event, payload).await;
        } else if self.rooms.contains_key(topic) {
            self.on_room_message(now, topic, event, payload).await;
        }
    }
}

/// Returns the contract's name of a reason, such as `rate_limited`.
pub(super) fn reason_name(reason: ErrorReason) -> String {
    match serde_json::to_value(reason) {
        Ok(Value::String(name)) => name,
        _ => format!("{reason:?}"),
    }
}
