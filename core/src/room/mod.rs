//! The timeline of one ride conversation: which seqs the client holds, and
//! what it must fetch before it can trust live traffic.
//!
//! The server numbers each conversation's messages 1, 2, 3 and so on. The
//! client keeps a cursor, `last_seq`: the top of the contiguous range 1..=cursor
//! that it holds. The cursor moves only over contiguous seqs, so a message
//! that arrives after a hole is held aside (in `ahead`) and the hole is
//! fetched with `msg:history {after_seq: cursor}` pages until it closes. On
//! every join and rejoin the client sends the cursor as `last_seq`, so the
//! server sends only what is missing.
//!
//! Between the join request and its reply the server may already broadcast
//! new messages. Those are buffered and applied after the reply, so the reply
//! (which may hold older messages) is applied first. Every message is
//! deduplicated by seq, whether it came from the reply, a broadcast, a history
//! page or the reply to one's own push.
//!
//! [`RoomTimeline`] is pure state: it decides, and the session does the I/O.

use std::collections::BTreeSet;

use crate::chat::{HistoryRequest, Message, limits};

/// The state of one room's timeline: the seqs held and the requests pending.
#[derive(Debug, Clone, Default)]
pub struct RoomTimeline {
    /// Top of the contiguous range `1..=cursor` of seqs held; 0 for none.
    cursor: u64,
    /// Seqs held above `cursor + 1`, with a hole below them.
    ahead: BTreeSet<u64>,
    /// True between a join reply and the next loss of the channel.
    joined: bool,
    /// Broadcasts received before the join reply, in arrival order.
    buffered: Vec<Message>,
    /// True while a `msg:history` push is waiting for its reply.
    history_pending: bool,
    /// True when the last join reply or history page reported that more
    /// messages remain.
    more: bool,
    /// True when a history page brought nothing new, so fetching again would
    /// loop; cleared on the next join.
    stalled: bool,
}

impl RoomTimeline {
    /// Builds the timeline from the seqs already stored on this device.
    pub fn from_stored_seqs(seqs: impl IntoIterator<Item = u64>) -> Self {
        let mut timeline = Self::default();
        for seq in seqs {
            timeline.insert(seq);
        }
        timeline
    }

    /// Returns the cursor: the `last_seq` to send on the next join.
    pub fn last_seq(&self) -> u64 {
        self.cursor
    }

    /// Returns true when a join reply arrived and the channel has not been
    /// lost since.
    pub fn is_joined(&self) -> bool {
        self.joined
    }

    /// Returns true when the client has already seen `seq`.
    pub fn contains(&self, seq: u64) -> bool {
        seq <= self.cursor || self.ahead.contains(&seq)
    }

    /// Forgets the join: broadcasts are buffered again until the next join
    /// reply, and a pending history request is given up.
    pub fn channel_lost(&mut self) {
        self.joined = false;
        self.buffered.clear();
        self.history_pending = false;
    }

    /// Buffers a broadcast that arrived before the join reply. Returns the
    /// message when the room is joined and it is new, so the caller stores it
    /// at once.
    pub fn broadcast(&mut self, message: Message) -> Option<Message> {
        if !self.joined {
            self.buffered.push(message);
            return None;
        }
        self.accept(vec![message]).pop()
    }

    /// Applies a join reply, then the broadcasts buffered before it. Returns
    /// the messages not seen before, ascending.
    pub fn join_reply(&mut self, messages: Vec<Message>, more: bool) -> Vec<Message> {
        self.joined = true;
        self.more = more;
        self.stalled = false;
        self.history_pending = false;

        let mut fresh = self.accept(messages);
        let buffered = std::mem::take(&mut self.buffered);
        fresh.extend(self.accept(buffered));
        fresh.sort_by_key(|message| message.seq);
        fresh
    }

    /// Applies a `msg:history` page. Returns the messages not seen before.
    pub fn history_reply(&mut self, messages: Vec<Message>, more: bool) -> Vec<Message> {
        self.history_pending = false;
        self.more = more;

        let cursor_before = self.cursor;
        let fresh = self.accept(messages);
        if self.cursor == cursor_before {
            // The page did not move the cursor, so the same request would
            // return the same page: stop until the next join.
            self.stalled = true;
        }
        fresh
    }

    /// Gives up a history request that failed or timed out. The next join
    /// requests the missing messages again.
    pub fn history_failed(&mut self) {
        self.history_pending = false;
        self.stalled = true;
    }

    /// Applies messages from any source (reply, broadcast, history page, the
    /// reply to one's own push). Returns those not seen before, in the order
    /// given.
    pub fn accept(&mut self, messages: Vec<Message>) -> Vec<Message> {
        let mut fresh = Vec::new();
        for message in messages {
            if message.seq == 0 || self.contains(message.seq) {
                continue;
            }
            self.insert(message.seq);
            fresh.push(message);
        }
        fresh
    }

    /// Returns the history request to push now, and marks it pending. Returns
    /// `None` when the room is not joined, a request is already pending, or
    /// nothing is missing.
    pub fn next_history_request(&mut self) -> Option<HistoryRequest> {
        let gap = !self.ahead.is_empty() || self.more;
        if !self.joined || self.history_pending || self.stalled || !gap {
            return None;
        }
        self.history_pending = true;
        Some(HistoryRequest {
            before_seq: None,
            after_seq: Some(self.cursor),
            limit: limits::PAGE_SIZE as u32,
        })
    }

    fn insert(&mut self, seq: u64) {
        if seq == 0 || seq <= self.cursor {
            return;
        }
        if seq != self.cursor + 1 {
            self.ahead.insert(seq);
            return;
        }
        self.cursor = seq;
        while self.ahead.remove(&(self.cursor + 1)) {
            self.cursor += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::MessageKind;

    fn message(seq: u64) -> Message {
        Message {
            seq,
            id: format!("m{seq}"),
            client_id: format!("c{seq}"),
            sender_id: "d1".to_owned(),
            kind: MessageKind::Text,
            body: Some(format!("message {seq}")),
            voice: None,
            inserted_at: "2026-01-01T00:00:00Z".to_owned(),
        }
    }

    fn messages(seqs: impl IntoIterator<Item = u64>) -> Vec<Message> {
        seqs.into_iter().map(message).collect()
    }

    fn seqs(messages: &[Message]) -> Vec<u64> {
        messages.iter().map(|message| message.seq).collect()
    }

    #[test]
    fn cursor_moves_only_over_contiguous_seqs() {
        let timeline = RoomTimeline::from_stored_seqs([1, 2, 3, 5, 6]);
        assert_eq!(timeline.last_seq(), 3);
        assert!(timeline.contains(5));
        assert!(!timeline.contains(4));
    }

    #[test]
    fn hole_closes_and_cursor_jumps() {
        let mut timeline = RoomTimeline::from_stored_seqs([1, 2, 4, 5]);
        timeline.join_reply(Vec::new(), false);
        let fresh = timeline.accept(messages([3]));
        assert_eq!(seqs(&fresh), vec![3]);
        assert_eq!(timeline.last_seq(), 5);
    }

    #[test]
    fn duplicate_seqs_are_dropped() {
        let mut timeline = RoomTimeline::default();
        let fresh = timeline.join_reply(messages([1, 2]), false);
        assert_eq!(seqs(&fresh), vec![1, 2]);
        let again = timeline.accept(messages([2, 1, 3, 3]));
        assert_eq!(seqs(&again), vec![3]);
    }

    #[test]
    fn broadcast_before_reply_is_buffered() {
        let mut timeline = RoomTimeline::default();
        assert_eq!(timeline.broadcast(message(3)), None);
        assert_eq!(timeline.last_seq(), 0);

        let fresh = timeline.join_reply(messages([1, 2]), false);
        assert_eq!(seqs(&fresh), vec![1, 2, 3]);
        assert_eq!(timeline.last_seq(), 3);
    }

    #[test]
    fn buffer_dropped_when_channel_lost() {
        let mut timeline = RoomTimeline::default();
        timeline.broadcast(message(1));
        timeline.channel_lost();
        let fresh = timeline.join_reply(Vec::new(), false);
        assert!(fresh.is_empty());
        assert_eq!(timeline.last_seq(), 0);
    }

    #[test]
    fn jump_in_seqs_requests_history() {
        let mut timeline = RoomTimeline::default();
        timeline.join_reply(messages([1, 2]), false);
        assert_eq!(timeline.next_history_request(), None);

        timeline.broadcast(message(5));
        let request = timeline.next_history_request();
        assert_eq!(
            request,
            Some(HistoryRequest {
                before_seq: None,
                after_seq: Some(2),
                limit: 100
            })
        );
        assert_eq!(
            timeline.next_history_request(),
            None,
            "one request at a time"
        );

        timeline.history_reply(messages([3, 4]), false);
        assert_eq!(timeline.last_seq(), 5);
        assert_eq!(timeline.next_history_request(), None);
    }

    #[test]
    fn more_in_join_reply_requests_pages() {
        let mut timeline = RoomTimeline::default();
        timeline.join_reply(messages(201..=300), true);
        assert_eq!(timeline.last_seq(), 0);

        let first = timeline
            .next_history_request()
            .map(|request| request.after_seq);
        assert_eq!(first, Some(Some(0)));
        timeline.history_reply(messages(1..=100), true);

        let second = timeline
            .next_history_request()
            .map(|request| request.after_seq);
        assert_eq!(second, Some(Some(100)));
        timeline.history_reply(messages(101..=200), true);
        assert_eq!(timeline.last_seq(), 300);

        let third = timeline
            .next_history_request()
            .map(|request| request.after_seq);
        assert_eq!(third, Some(Some(300)), "more: true asks once more");
        timeline.history_reply(Vec::new(), false);
        assert_eq!(timeline.next_history_request(), None);
    }

    #[test]
    fn empty_history_page_stalls_until_rejoin() {
        let mut timeline = RoomTimeline::default();
        timeline.join_reply(messages([1, 5]), false);
        assert!(timeline.next_history_request().is_some());
        timeline.history_reply(Vec::new(), false);
        assert_eq!(timeline.next_history_request(), None);

        timeline.channel_lost();
        timeline.join_reply(Vec::new(), false);
        assert!(timeline.next_history_request().is_some());
    }

    #[test]
    fn no_history_before_join_reply() {
        let mut timeline = RoomTimeline::from_stored_seqs([1, 3]);
        assert_eq!(timeline.next_history_request(), None);
    }
}
