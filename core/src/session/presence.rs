//! The session's side of read receipts and typing indicators: the inputs from
//! the UI, the pushes, the peer's broadcasts and the timers. The rules live in
//! [`super::reading`] and [`super::typing`].

use serde_json::{Value, json};

use super::typing::TypingPush;
use super::{ChatSession, Update};
use crate::chat::{ReceiptPush, TypingBroadcast, events};
use crate::store::Store;
use crate::time::Instant;

impl<S: Store> ChatSession<S> {
    /// Records that the peer bubble of `seq` in `topic` entered or left the
    /// screen.
    pub(super) fn bubble_on_screen(
        &mut self,
        now: Instant,
        topic: &str,
        seq: u64,
        on_screen: bool,
    ) {
        if let Some(room) = self.rooms.get_mut(topic) {
            room.read.set_on_screen(seq, on_screen, now);
        }
        self.read_dwelled(now);
    }

    /// Records whether the page is visible: bubbles are read only while it is.
    pub(super) fn page_visible(&mut self, now: Instant, visible: bool) {
        self.visible_since = match (visible, self.visible_since) {
            (true, Some(since)) => Some(since),
            (true, None) => Some(now),
            (false, _) => None,
        };
        self.read_dwelled(now);
    }

    /// Marks as read the bubbles that dwelled long enough, and pushes the
    /// rooms' new watermarks.
    fn read_dwelled(&mut self, now: Instant) {
        let dwell = self.socket.settings().read_dwell;
        let visible_since = self.visible_since;
        let changed: Vec<String> = self
            .rooms
            .iter_mut()
            .filter_map(|(topic, room)| {
                room.read
                    .mark_dwelled(now, visible_since, dwell)
                    .then(|| topic.clone())
            })
            .collect();
        for topic in changed {
            self.advance_read(now, &topic);
        }
    }

    /// Moves `topic`'s read watermark over the messages now read or one's
    /// own, lowers the unread count by the peer messages it passed, and
    /// pushes the watermark.
    pub(super) fn advance_read(&mut self, now: Instant, topic: &str) {
        let user_id = self.user_id.clone();
        let Some(room) = self.rooms.get_mut(topic) else {
            return;
        };
        let senders: std::collections::BTreeMap<u64, bool> = room
            .messages
            .values()
            .filter_map(|message| message.seq.map(|seq| (seq, message.sender_id == user_id)))
            .collect();
        let before = room.read.watermark();
        if room.read.advance(|seq| senders.get(&seq).copied()) {
            let after = room.read.watermark();
            let passed = senders
                .range(before + 1..=after)
                .filter(|(_, own)| !**own)
                .count() as u64;
            self.lower_unread(topic, passed);
        }
        self.push_read(now, topic);
    }

    /// Pushes `receipt {read_seq}` when the watermark is above the one the
    /// server stores and the room is joined.
    pub(super) fn push_read(&mut self, now: Instant, topic: &str) {
        let Some(room) = self.rooms.get_mut(topic) else {
            return;
        };
        let Some(read_seq) = room.read.to_push() else {
            return;
        };
        if !room.timeline.is_joined() {
            return;
        }
        let push = ReceiptPush {
            delivered_seq: None,
            read_seq: Some(read_seq),
        };
        let Ok(payload) = serde_json::to_value(push) else {
            return;
        };
        if self
            .socket
            .push(now, topic, events::RECEIPT, payload)
            .is_ok()
        {
            room.read.pushed(read_seq);
        }
    }

    /// Lowers the unread count shown for `topic` at once. The server's next
    /// `conversation:upsert` sets the exact count.
    fn lower_unread(&mut self, topic: &str, read: u64) {
        let Some(conversation) = self.conversations.get_mut(topic) else {
            return;
        };
        let unread = conversation.unread.saturating_sub(read);
        if unread != conversation.unread {
            conversation.unread = unread;
            self.emit_conversations();
        }
    }

    /// Records a keystroke in `topic`'s composer and pushes `typing: true`
    /// when it is due.
    pub(super) fn typed(&mut self, now: Instant, topic: &str) {
        let settings = self.socket.settings();
        let (interval, idle) = (settings.typing_interval, settings.typing_idle);
        if self.typing.typed(topic, now, interval, idle) == Some(TypingPush::Start)
            && self.push_typing(now, topic, true)
        {
            self.typing.started(topic, now);
        }
    }

    /// Ends one's own typing in `topic`, because a message is being sent.
    pub(super) fn stop_typing(&mut self, now: Instant, topic: &str) {
        if self.typing.stop(topic) == Some(TypingPush::Stop) {
            self.push_typing(now, topic, false);
        }
    }

    /// Pushes `typing {typing}` to `topic`. Returns false when the room is
    /// not joined, because the indicator is only worth sending live.
    fn push_typing(&mut self, now: Instant, topic: &str, typing: bool) -> bool {
        let payload = json!({ "typing": typing });
        self.socket
            .push(now, topic, events::TYPING, payload)
            .is_ok()
    }

    /// Shows or hides a peer's typing indicator from its `typing` broadcast.
    pub(super) fn on_typing_broadcast(&mut self, now: Instant, topic: &str, payload: Value) {
        let Some(broadcast) = self.parse_server::<TypingBroadcast>(events::TYPING, payload) else {
            return;
        };
        self.set_peer_typing(now, topic, &broadcast.user_id, broadcast.typing);
    }

    /// Shows or hides `user_id`'s typing indicator in `topic`. One's own
    /// broadcasts, as from another tab, change nothing.
    pub(super) fn set_peer_typing(
        &mut self,
        now: Instant,
        topic: &str,
        user_id: &str,
        typing: bool,
    ) {
        if user_id == self.user_id {
            return;
        }
        let expiry = self.socket.settings().typing_expiry;
        if self.typing.peer(topic, user_id, typing, now, expiry) {
            self.emit(Update::PeerTyping {
                topic: topic.to_owned(),
                user_id: user_id.to_owned(),
                typing,
            });
        }
    }

    /// Runs the read dwell, typing idle and typing expiry timers due at `now`.
    pub(super) fn presence_timer(&mut self, now: Instant) {
        self.read_dwelled(now);
        for topic in self.typing.stop_idle(now) {
            self.push_typing(now, &topic, false);
        }
        for (topic, user_id) in self.typing.expire_peers(now) {
            self.emit(Update::PeerTyping {
                topic,
                user_id,
                typing: false,
            });
        }
    }

    /// Returns the earliest instant at which [`ChatSession::presence_timer`]
    /// has work.
    pub(super) fn presence_deadline(&self) -> Option<Instant> {
        let dwell = self.socket.settings().read_dwell;
        let reads = self
            .rooms
            .values()
            .filter_map(|room| room.read.deadline(self.visible_since, dwell));
        reads.chain(self.typing.deadline()).min()
    }
}
