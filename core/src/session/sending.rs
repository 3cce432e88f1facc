//! Sending through the outbox: validation, persistence, pipelined pushes and
//! the outcome of each push. The rules are described in [`crate::outbox`].

use serde_json::Value;

use super::{ChatSession, NEXT_ORDER_KEY, Update};
use crate::chat::{ClientId, ErrorReply, Message, MessageEnvelope, Topic, events, limits};
use crate::local::{DeliveryStatus, LocalMessage, OutboxEntry};
use crate::socket::PushRef;
use crate::store::{Store, Write};
use crate::time::Instant;

impl<S: Store> ChatSession<S> {
    pub(super) async fn send_text(
        &mut self,
        now: Instant,
        topic: &str,
        body: &str,
        client_id: &str,
        created_at_ms: f64,
    ) {
        if let Err(message) = self.validate_send(topic, body, client_id) {
            self.report(message);
            return;
        }
        self.open_room(now, topic).await;

        let message =
            LocalMessage::outgoing_text(topic, client_id, &self.user_id, body, created_at_ms);
        self.enqueue(now, message).await;
    }

    /// Checks a send before anything is stored. Returns the message to show
    /// when the send is rejected.
    fn validate_send(&self, topic: &str, body: &str, client_id: &str) -> Result<(), String> {
        if !matches!(Topic::parse(topic), Ok(Topic::Ride(_))) {
            return Err(format!(
                "Cannot send to {topic:?}: messages go to a ride topic such as \"ride:42\"."
            ));
        }
        if let Err(error) = ClientId::parse(client_id) {
            return Err(format!("Cannot send this message: {error}."));
        }
        let length = body.chars().count();
        if body.trim().is_empty() {
            return Err("The message is empty; type some text before sending.".to_owned());
        }
        if length > limits::MAX_BODY_CHARS {
            return Err(format!(
                "The message is {length} characters long; at most {} are allowed. \
                 Shorten it or split it into several messages.",
                limits::MAX_BODY_CHARS
            ));
        }
        let known = self.outbox.contains(client_id)
            || self
                .rooms
                .values()
                .any(|room| room.messages.contains_key(client_id));
        if known {
            return Err(format!(
                "Cannot send this message: client_id {client_id} is already used; \
                 give every new message a fresh one."
            ));
        }
        Ok(())
    }

    /// Stores a message and its outbox entry in one transaction, shows it as
    /// sending, and pushes it if its room is joined.
    async fn enqueue(&mut self, now: Instant, mut message: LocalMessage) {
        message.status = DeliveryStatus::Sending;
        let entry = OutboxEntry {
            client_id: message.client_id.clone(),
            topic: message.topic.clone(),
            order: self.next_order,
            message: message.to_new_message(),
        };
        if let Err(error) = self.store_now().await.enqueue(&message, &entry).await {
            self.report(format!(
                "Could not save the message, so it was not sent: {error}"
            ));
            return;
        }

        self.next_order += 1;
        let next_order = self.next_order.to_string();
        if let Err(error) = self
            .store_now()
            .await
            .set_meta(NEXT_ORDER_KEY, &next_order)
            .await
        {
            self.report(format!("Could not save the outbox order: {error}"));
        }

        let topic = message.topic.clone();
        self.outbox.add(entry);
        if let Some(room) = self.rooms.get_mut(&topic) {
            room.messages
                .insert(message.client_id.clone(), message.clone());
        }
        self.emit(Update::MessageUpserted { message });
        self.share_change(&topic);
        self.rejoin_if_closed(now, &topic);
        self.flush(now, &topic);
    }

    pub(super) async fn retry(&mut self, now: Instant, client_id: &str) {
        let Some(message) = self.failed_message(client_id) else {
            self.report(format!(
                "Cannot retry message {client_id}: only a failed message can be sent again."
            ));
            return;
        };
        self.enqueue(now, message).await;
    }

    pub(super) async fn delete(&mut self, client_id: &str) {
        let Some(message) = self.failed_message(client_id) else {
            self.report(format!(
                "Cannot delete message {client_id}: only a failed message can be deleted."
            ));
            return;
        };
        let topic = message.topic;
        if let Err(error) = self
            .store_now()
            .await
            .delete_message(&topic, client_id)
            .await
        {
            self.report(format!("Could not delete the message: {error}"));
            return;
        }

        self.outbox.remove(client_id);
        if let Some(room) = self.rooms.get_mut(&topic) {
            room.messages.remove(client_id);
        }
        self.share_change(&topic);
        self.emit(Update::MessageRemoved {
            topic,
            client_id: client_id.to_owned(),
        });
    }

    /// Joins a room again whose channel was closed for good, such as after a
    /// rejected join, so a retried message gets another chance.
    fn rejoin_if_closed(&mut self, now: Instant, topic: &str) {
        let closed = self
            .socket
            .channel_state(topic)
            .is_none_or(|state| state.is_closed());
        let Some(room) = self.rooms.get(topic) else {
            return;
        };
        if closed {
            let last_seq = room.stored_cursor();
            self.socket
                .join(now, topic, serde_json::json!({ "last_seq": last_seq }));
        }
    }

    fn failed_message(&self, client_id: &str) -> Option<LocalMessage> {
        self.rooms
            .values()
            .filter_map(|room| room.messages.get(client_id))
            .find(|message| message.status.is_failed())
            .cloned()
    }

    /// Pushes every due entry of `topic`, in order, while the channel
    /// accepts pushes.
    pub(super) fn flush(&mut self, now: Instant, topic: &str) {
        // Another tab of the user pushes the outbox; see `super::tabs`.
        if !self.flusher {
            return;
        }
        let joined = self
            .rooms
            .get(topic)
            .is_some_and(|room| room.timeline.is_joined());
        if !joined {
            return;
        }
        for entry in self.outbox.due(now, topic) {
            let payload = match serde_json::to_value(&entry.message) {
                Ok(payload) => payload,
                Err(error) => {
                    self.report(format!(
                        "Could not encode message {}: {error}",
                        entry.client_id
                    ));
                    continue;
                }
            };
            match self.socket.push(now, topic, events::MSG_NEW, payload) {
                Ok(push) => self.outbox.pushed(topic, &entry.client_id, push),
                // The channel was lost meanwhile: the next Joined resends.
                Err(_) => return,
            }
        }
    }

    pub(super) async fn on_push_ok(
        &mut self,
        now: Instant,
        topic: &str,
        client_id: &str,
        response: Value,
    ) {
        let Some(envelope) = self.parse_server::<MessageEnvelope>("reply to msg:new", response)
        else {
            // The entry stays queued and goes out again on the next join; the
            // server returns the copy it stored the first time.
            return;
        };
        if envelope.message.client_id != client_id {
            self.report(format!(
                "The server confirmed message {client_id} with client_id {}; \
                 it stays queued and is sent again on reconnect.",
                envelope.message.client_id
            ));
            return;
        }

        if let Some(room) = self.rooms.get_mut(topic) {
            room.timeline.accept(vec![envelope.message.clone()]);
        }
        self.confirm_sent(topic, &envelope.message);
        self.update_join_params(topic);
        self.request_history(now, topic);
    }

    /// Marks one's own message as stored by the server: the outbox entry
    /// goes, the row takes the server's copy. If that write fails, the next
    /// start sends the entry again and the server returns the copy it
    /// stored, so no second copy appears.
    pub(super) fn confirm_sent(&mut self, topic: &str, message: &Message) {
        self.hold_write(Write::Confirm {
            stored: message.clone(),
            topic: topic.to_owned(),
        });
        self.outbox.remove(&message.client_id);
        self.outbox.confirmed(topic);
        self.share_change(topic);
        self.merge_into_room(topic, message);
    }

    pub(super) async fn on_push_error(
        &mut self,
        now: Instant,
        topic: &str,
        client_id: &str,
        response: Value,
    ) {
        let reply = match serde_json::from_value::<ErrorReply>(response.clone()) {
            Ok(reply) => reply,
            Err(_) => {
                self.report(format!(
                    "The server rejected message {client_id} with an unknown reply {response}; \
                     it stays queued and is sent again later."
                ));
                self.pause_room(now, topic);
                return;
            }
        };
        if reply.reason.is_transient() {
            self.pause_room(now, topic);
            return;
        }

        let status = DeliveryStatus::Failed {
            reason: reply.reason,
            detail: reply.detail,
        };
        self.mark_failed(topic, client_id, status).await;
    }

    /// Marks a rejected message failed and takes it out of the outbox.
    pub(super) async fn mark_failed(
        &mut self,
        topic: &str,
        client_id: &str,
        status: DeliveryStatus,
    ) {
        if let Err(error) = self
            .store_now()
            .await
            .set_status(topic, client_id, &status)
            .await
        {
            self.report(format!("Could not save that a message failed: {error}"));
        }
        if let Err(error) = self.store_now().await.remove_from_outbox(client_id).await {
            self.report(format!(
                "Could not remove a failed message from the outbox: {error}"
            ));
        }
        self.outbox.remove(client_id);
        self.share_change(topic);

        let Some(message) = self
            .rooms
            .get_mut(topic)
            .and_then(|room| room.messages.get_mut(client_id))
        else {
            return;
        };
        message.status = status;
        let message = message.clone();
        self.emit(Update::MessageUpserted { message });
    }

    pub(super) fn on_push_timed_out(&mut self, now: Instant, topic: &str, push: PushRef) {
        if let Some(history_topic) = self.history_pushes.remove(&push) {
            if let Some(room) = self.rooms.get_mut(&history_topic) {
                room.timeline.history_failed();
            }
            return;
        }
        if self.outbox.take_push(push).is_none() {
            return;
        }
        // The entry stays Sending. While the channel is still joined the room
        // resends after a pause; otherwise the next Joined resends.
        let joined = self
            .rooms
            .get(topic)
            .is_some_and(|room| room.timeline.is_joined());
        if joined {
            self.pause_room(now, topic);
        }
    }

    fn pause_room(&mut self, now: Instant, topic: &str) {
        let jitter = self.socket.settings().jitter;
        let random_unit = self.random.next_unit();
        self.outbox.pause(now, topic, jitter, random_unit);
    }
}
