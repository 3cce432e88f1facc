//! Ride topics: joining with `last_seq`, applying received messages through
//! the timeline, filling gaps with `msg:history`, and receipts.

use serde_json::{Value, json};

use super::{ChatSession, Room, Update};
use crate::chat::{
    HistoryReply, Message, MessageEnvelope, Receipt, ReceiptBroadcast, RideJoinReply, events,
};
use crate::local::{DeliveryStatus, LocalMessage};
use crate::room::RoomTimeline;
use crate::store::{Store, Write};
use crate::time::Instant;
use crate::wire::ReplyStatus;

impl<S: Store> ChatSession<S> {
    /// Loads a ride topic's messages from the store, shows them, and joins
    /// the topic with its `last_seq`. Does nothing for a room already open.
    pub(super) async fn open_room(&mut self, now: Instant, topic: &str) {
        if self.rooms.contains_key(topic) {
            return;
        }
        let messages = match self.store_now().await.load_messages(topic).await {
            Ok(messages) => messages,
            Err(error) => {
                self.report(format!("Could not load the messages of {topic}: {error}"));
                Vec::new()
            }
        };

        let timeline = RoomTimeline::from_stored_seqs(messages.iter().filter_map(|m| m.seq));
        let last_seq = timeline.last_seq();
        let room = Room {
            timeline,
            messages: messages
                .iter()
                .map(|message| (message.client_id.clone(), message.clone()))
                .collect(),
            delivered_pushed: 0,
            unsaved: Vec::new(),
            read: Default::default(),
        };
        self.rooms.insert(topic.to_owned(), room);
        self.emit(Update::RoomLoaded {
            topic: topic.to_owned(),
            messages,
        });

        self.socket
            .join(now, topic, json!({ "last_seq": last_seq }));
    }

    pub(super) async fn on_room_joined(&mut self, now: Instant, topic: &str, response: Value) {
        let reply = self.parse_server::<RideJoinReply>("ride join reply", response);
        let (messages, more) = match &reply {
            Some(reply) => (reply.messages.clone(), reply.more),
            None => (Vec::new(), false),
        };
        let fresh = match self.rooms.get_mut(topic) {
            Some(room) => {
                // A receipt pushed before the channel was lost may never have
                // arrived, so every join pushes the watermark again.
                room.delivered_pushed = 0;
                room.read.link_lost();
                room.timeline.join_reply(messages, more)
            }
            None => return,
        };
        self.apply_incoming(now, topic, fresh).await;
        self.push_delivered(now, topic);

        if let Some(reply) = reply {
            for (user_id, receipt) in reply.receipts {
                self.apply_receipt(topic, &user_id, receipt);
            }
        }
        self.advance_read(now, topic);

        self.emit(Update::RoomJoined {
            topic: topic.to_owned(),
        });
        self.request_history(now, topic);
        self.outbox.forget_pushes(topic);
        self.flush(now, topic);
    }

    pub(super) async fn on_room_message(
        &mut self,
        now: Instant,
        topic: &str,
        event: &str,
        payload: Value,
    ) {
        match event {
            events::MSG_NEW => {
                let Some(envelope) = self.parse_server::<MessageEnvelope>(event, payload) else {
                    return;
                };
                // A peer's message ends its typing indicator.
                let sender_id = envelope.message.sender_id.clone();
                self.set_peer_typing(now, topic, &sender_id, false);
                let fresh = match self.rooms.get_mut(topic) {
                    Some(room) => room.timeline.broadcast(envelope.message),
                    None => return,
                };
                self.apply_incoming(now, topic, fresh.into_iter().collect())
                    .await;
                self.request_history(now, topic);
            }
            events::RECEIPT => {
                if let Some(receipt) = self.parse_server::<ReceiptBroadcast>(event, payload) {
                    let watermarks = Receipt {
                        delivered_seq: receipt.delivered_seq,
                        read_seq: receipt.read_seq,
                    };
                    self.apply_receipt(topic, &receipt.user_id, watermarks);
                }
            }
            events::TYPING => self.on_typing_broadcast(now, topic, payload),
            _ => {}
        }
    }

    pub(super) async fn on_history_reply(
        &mut self,
        now: Instant,
        topic: &str,
        status: ReplyStatus,
        response: Value,
    ) {
        let reply = match status {
            ReplyStatus::Ok => self.parse_server::<HistoryReply>("history page", response),
            ReplyStatus::Error => {
                self.report(format!(
                    "Could not fetch missing messages of {topic}: the server replied {response}. \
                     They are requested again on the next reconnect."
                ));
                None
            }
        };
        let Some(room) = self.rooms.get_mut(topic) else {
            return;
        };
        let fresh = match reply {
            Some(reply) => room.timeline.history_reply(reply.messages, reply.more),
            None => {
                room.timeline.history_failed();
                Vec::new()
            }
        };
        self.apply_incoming(now, topic, fresh).await;
        self.request_history(now, topic);
    }

    /// Pushes `msg:history` when the timeline has a gap and no request is
    /// pending.
    pub(super) fn request_history(&mut self, now: Instant, topic: &str) {
        let Some(room) = self.rooms.get_mut(topic) else {
            return;
        };
        let Some(request) = room.timeline.next_history_request() else {
            return;
        };
        let payload = match serde_json::to_value(request) {
            Ok(payload) => payload,
            Err(error) => {
                room.timeline.history_failed();
                self.report(format!("Could not encode a history request: {error}"));
                return;
            }
        };
        match self.socket.push(now, topic, events::MSG_HISTORY, payload) {
            Ok(push) => {
                self.history_pushes.insert(push, topic.to_owned());
            }
            Err(_) => room.timeline.channel_lost(),
        }
    }

    /// Stores messages that the timeline found new, merges them into the
    /// room (an echo of one's own message also confirms its outbox entry),
    /// and moves the join params to the new `last_seq`. Messages that failed
    /// to save before are saved again with them.
    ///
    /// NOTE: unsaved messages are tried again only when more messages arrive
    /// or after a reload. In a quiet room they stay in memory until then,
    /// even after the store recovered.
    pub(super) async fn apply_incoming(
        &mut self,
        now: Instant,
        topic: &str,
        messages: Vec<Message>,
    ) {
        if messages.is_empty() {
            return;
        }
        let mut to_save = self
            .rooms
            .get_mut(topic)
            .map(|room| std::mem::take(&mut room.unsaved))
            .unwrap_or_default();
        to_save.extend(messages.iter().cloned());
        let saved = self.store_now().await.save_messages(topic, &to_save).await;
        if let Err(error) = &saved {
            self.report(format!(
                "Could not store received messages of {topic}: {error}. \
                 They stay on screen and are saved with the next ones."
            ));
            if let Some(room) = self.rooms.get_mut(topic) {
                room.unsaved = to_save;
            }
        }

        for message in &messages {
            let own_pending =
                message.sender_id == self.user_id && self.outbox.contains(&message.client_id);
            if own_pending {
                self.confirm_sent(topic, message);
            } else {
                self.merge_into_room(topic, message);
            }
        }
        self.update_join_params(topic);
        self.push_delivered(now, topic);
        // One's own messages count as read, so they can move the watermark.
        self.advance_read(now, topic);
    }

    /// Pushes `receipt {delivered_seq}` when the stored cursor passed the
    /// last watermark pushed, because "delivered" means stored on this
    /// device. The cursor is used and not the highest seq, so a message in a
    /// gap, or one the store failed to save, is never reported.
    fn push_delivered(&mut self, now: Instant, topic: &str) {
        let Some(room) = self.rooms.get_mut(topic) else {
            return;
        };
        let cursor = room.stored_cursor();
        if cursor <= room.delivered_pushed || !room.timeline.is_joined() {
            return;
        }
        let payload = json!({ "delivered_seq": cursor });
        if self
            .socket
            .push(now, topic, events::RECEIPT, payload)
            .is_ok()
        {
            room.delivered_pushed = cursor;
        }
    }

    /// Merges the server's copy of a message into the room's row with the
    /// same `client_id`, or adds it, and shows the result.
    pub(super) fn merge_into_room(&mut self, topic: &str, message: &Message) {
        let Some(room) = self.rooms.get_mut(topic) else {
            return;
        };
        let merged = match room.messages.get_mut(&message.client_id) {
            Some(local) => {
                local.merge_stored(message);
                local.clone()
            }
            None => {
                let local = LocalMessage::from_stored(topic, message);
                room.messages
                    .insert(message.client_id.clone(), local.clone());
                local
            }
        };
        self.emit(Update::MessageUpserted { message: merged });
    }

    /// Sends the timeline's cursor as `last_seq` on the next rejoin.
    pub(super) fn update_join_params(&mut self, topic: &str) {
        if let Some(room) = self.rooms.get(topic) {
            let last_seq = room.stored_cursor();
            self.socket
                .set_join_params(topic, json!({ "last_seq": last_seq }));
        }
    }

    /// Raises one's own messages to `Delivered` or `Read` by a peer's
    /// watermarks. One's own receipt (from the join reply or another tab)
    /// tells what `read_seq` the server holds.
    fn apply_receipt(&mut self, topic: &str, user_id: &str, receipt: Receipt) {
        if user_id == self.user_id {
            if let Some(room) = self.rooms.get_mut(topic) {
                room.read.server_stores(receipt.read_seq);
            }
            return;
        }
        let Some(room) = self.rooms.get_mut(topic) else {
            return;
        };
        let mut changed = Vec::new();
        for message in room.messages.values_mut() {
            let Some(seq) = message.seq else {
                continue;
            };
            if message.sender_id != self.user_id {
                continue;
            }
            let target = if seq <= receipt.read_seq {
                DeliveryStatus::Read
            } else if seq <= receipt.delivered_seq {
                DeliveryStatus::Delivered
            } else {
                continue;
            };
            let raised = message.status.clone().max(target);
            if raised != message.status {
                message.status = raised;
                changed.push(message.clone());
            }
        }

        for message in changed {
            self.hold_write(Write::SetStatus {
                topic: topic.to_owned(),
                client_id: message.client_id.clone(),
                status: message.status.clone(),
            });
            self.emit(Update::MessageUpserted { message });
        }
    }
}
