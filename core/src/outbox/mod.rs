//! The outbox: every message the user sent and the server has not confirmed,
//! and the decision of when to push each one.
//!
//! # The delivery guarantee
//!
//! A message the user pressed Send on reaches the other side exactly once, in
//! the order it was sent, or it is shown as failed with the reason. The
//! outbox keeps that promise with four rules:
//!
//! 1. **Persist first.** The message row and its outbox entry are written in
//!    one store transaction before the message is rendered or pushed, so a
//!    reload or a closed tab finds it again and sends it.
//! 2. **One `client_id` per message.** Every resend carries the same
//!    `client_id`, and the server stores a `(sender, client_id)` pair once, so
//!    resending after a lost reply can never make a second copy. The echo of
//!    one's own message is matched by that `client_id` alone.
//! 3. **Resend everything unconfirmed, in order.** Pushes are pipelined per
//!    room in enqueue order. After every join and rejoin, each unconfirmed
//!    entry of the room is pushed again in order, because a reply that never
//!    came may mean the push was lost or only its reply was. A push that
//!    timed out stays `Sending`; it is never failed for that.
//! 4. **Fail only on a permanent rejection.** `invalid`, `too_long` and
//!    `closed` remove the entry and mark that one message failed. The user
//!    may retry it (same `client_id`, queued at the end) or delete it.
//!    `rate_limited` keeps the entry, and the room pauses and resends from
//!    that message on after a backoff.
//!
//! Pipelining keeps order as long as the server accepts the pushes, because
//! one WebSocket delivers them in order. NOTE: when the server rejects message
//! N with `rate_limited` but accepts N+1 that was already on the wire, N+1 is
//! stored before N; a token-bucket limiter usually rejects both.
//!
//! [`Outbox`] is pure state: the session writes the store and sends the
//! pushes it asks for.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use crate::local::OutboxEntry;
use crate::socket::PushRef;
use crate::time::Instant;

/// Waits before resending a room after `rate_limited` or a push timeout on a
/// live channel, by consecutive occurrence; the last one repeats. Jitter is
/// applied by the session.
pub const RESEND_AFTER: [Duration; 5] = [
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(5),
    Duration::from_secs(10),
    Duration::from_secs(30),
];

/// The queue of one room.
#[derive(Debug, Default)]
struct RoomQueue {
    /// Unconfirmed entries, by ascending order.
    entries: Vec<OutboxEntry>,
    /// Entries pushed on the current join and waiting for their reply.
    in_flight: HashMap<String, PushRef>,
    /// When set, nothing is pushed in this room before this instant.
    paused_until: Option<Instant>,
    /// Consecutive pauses without a confirmation in between.
    pauses: u32,
}

/// Unconfirmed messages by room, and the pushes waiting for their reply.
#[derive(Debug, Default)]
pub struct Outbox {
    rooms: BTreeMap<String, RoomQueue>,
    pushes: HashMap<PushRef, (String, String)>,
}

impl Outbox {
    /// Builds the outbox from the entries stored on this device.
    pub fn from_entries(entries: Vec<OutboxEntry>) -> Self {
        let mut outbox = Self::default();
        for entry in entries {
            outbox.add(entry);
        }
        outbox
    }

    /// Returns how many messages wait for confirmation, in every room.
    pub fn len(&self) -> usize {
        self.rooms.values().map(|room| room.entries.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Returns the topics that have unconfirmed entries.
    pub fn topics(&self) -> impl Iterator<Item = &str> {
        self.rooms
            .iter()
            .filter(|(_, room)| !room.entries.is_empty())
            .map(|(topic, _)| topic.as_str())
    }

    /// Returns the highest order in the outbox, or 0 when it is empty.
    pub fn max_order(&self) -> u64 {
        self.rooms
            .values()
            .flat_map(|room| room.entries.iter())
            .map(|entry| entry.order)
            .max()
            .unwrap_or(0)
    }

    pub fn contains(&self, client_id: &str) -> bool {
        self.rooms.values().any(|room| {
            room.entries
                .iter()
                .any(|entry| entry.client_id == client_id)
        })
    }

    /// Returns the unconfirmed entries of `topic`, in order.
    pub fn entries_of(&self, topic: &str) -> impl Iterator<Item = &OutboxEntry> {
        self.rooms
            .get(topic)
            .into_iter()
            .flat_map(|room| room.entries.iter())
    }

    /// Adds an entry that was just stored, keeping the room sorted by order.
    /// An entry with the same `client_id` is replaced.
    pub fn add(&mut self, entry: OutboxEntry) {
        self.remove(&entry.client_id);
        let room = self.rooms.entry(entry.topic.clone()).or_default();
        let position = room
            .entries
            .partition_point(|queued| queued.order < entry.order);
        room.entries.insert(position, entry);
    }

    /// Removes an entry (confirmed, failed or deleted) and forgets its push.
    /// Returns the removed entry.
    pub fn remove(&mut self, client_id: &str) -> Option<OutboxEntry> {
        for room in self.rooms.values_mut() {
            let Some(position) = room
                .entries
                .iter()
                .position(|entry| entry.client_id == client_id)
            else {
                continue;
            };
            if let Some(push) = room.in_flight.remove(client_id) {
                self.pushes.remove(&push);
            }
            return Some(room.entries.remove(position));
        }
        None
    }

    /// Returns the entries of `topic` to push now, in order: those not
    /// already waiting for a reply, unless the room is paused at `now`.
    pub fn due(&self, now: Instant, topic: &str) -> Vec<OutboxEntry> {
        let Some(room) = self.rooms.get(topic) else {
            return Vec::new();
        };
        if room.paused_until.is_some_and(|until| now < until) {
            return Vec::new();
        }
        room.entries
            .iter()
            .filter(|entry| !room.in_flight.contains_key(&entry.client_id))
            .cloned()
            .collect()
    }

    /// Records that the entry `client_id` was pushed as `push`.
    pub fn pushed(&mut self, topic: &str, client_id: &str, push: PushRef) {
        let Some(room) = self.rooms.get_mut(topic) else {
            return;
        };
        room.in_flight.insert(client_id.to_owned(), push);
        self.pushes
            .insert(push, (topic.to_owned(), client_id.to_owned()));
    }

    /// Looks up the entry a push carried, as `(topic, client_id)`, and forgets
    /// the push: every push has exactly one outcome.
    pub fn take_push(&mut self, push: PushRef) -> Option<(String, String)> {
        let (topic, client_id) = self.pushes.remove(&push)?;
        if let Some(room) = self.rooms.get_mut(&topic) {
            room.in_flight.remove(&client_id);
        }
        Some((topic, client_id))
    }

    /// Forgets every push of `topic` that waits for a reply: after a rejoin
    /// their replies can no longer arrive, so all of them go out again.
    pub fn forget_pushes(&mut self, topic: &str) {
        let Some(room) = self.rooms.get_mut(topic) else {
            return;
        };
        for (_, push) in room.in_flight.drain() {
            self.pushes.remove(&push);
        }
    }

    /// Records a confirmation in `topic`: the room's pause count restarts.
    pub fn confirmed(&mut self, topic: &str) {
        if let Some(room) = self.rooms.get_mut(topic) {
            room.pauses = 0;
        }
    }

    /// Pauses `topic` after a transient failure. `random_unit` (in `0.0..1.0`)
    /// and `jitter` shorten the wait as in [`crate::backoff::delay`]. Returns
    /// the instant the room resumes.
    pub fn pause(&mut self, now: Instant, topic: &str, jitter: f64, random_unit: f64) -> Instant {
        let room = self.rooms.entry(topic.to_owned()).or_default();
        // The other replies of a pipelined burst arrive during the pause and
        // must not lengthen it.
        if let Some(until) = room.paused_until.filter(|until| now < *until) {
            return until;
        }
        let wait = crate::backoff::delay(&RESEND_AFTER, room.pauses, jitter, random_unit);
        room.pauses = room.pauses.saturating_add(1);
        let until = now.plus(wait);
        room.paused_until = Some(until);
        until
    }

    /// Returns the earliest instant a paused room resumes.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.rooms
            .values()
            .filter_map(|room| room.paused_until)
            .min()
    }

    /// Ends the pauses that are over at `now`. Returns the topics that
    /// resumed, to push their due entries.
    pub fn resume(&mut self, now: Instant) -> Vec<String> {
        let mut resumed = Vec::new();
        for (topic, room) in &mut self.rooms {
            if room.paused_until.is_some_and(|until| until <= now) {
                room.paused_until = None;
                resumed.push(topic.clone());
            }
        }
        resumed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::{MessageKind, NewMessage};

    fn entry(topic: &str, client_id: &str, order: u64) -> OutboxEntry {
        OutboxEntry {
            client_id: client_id.to_owned(),
            topic: topic.to_owned(),
            order,
            message: NewMessage {
                client_id: client_id.to_owned(),
                kind: MessageKind::Text,
                body: Some("hi".to_owned()),
                voice: None,
            },
        }
    }

    fn ids(entries: &[OutboxEntry]) -> Vec<&str> {
        entries
            .iter()
            .map(|entry| entry.client_id.as_str())
            .collect()
    }

    #[test]
    fn due_keeps_order_and_skips_in_flight() {
        let mut outbox = Outbox::from_entries(vec![
            entry("ride:1", "b", 2),
            entry("ride:1", "a", 1),
            entry("ride:2", "x", 3),
        ]);
        assert_eq!(ids(&outbox.due(Instant(0), "ride:1")), vec!["a", "b"]);

        outbox.pushed("ride:1", "a", PushRef(7));
        assert_eq!(ids(&outbox.due(Instant(0), "ride:1")), vec!["b"]);
        assert_eq!(outbox.len(), 3);
    }

    #[test]
    fn take_push_forgets_it() {
        let mut outbox = Outbox::from_entries(vec![entry("ride:1", "a", 1)]);
        outbox.pushed("ride:1", "a", PushRef(7));
        assert_eq!(
            outbox.take_push(PushRef(7)),
            Some(("ride:1".to_owned(), "a".to_owned()))
        );
        assert_eq!(outbox.take_push(PushRef(7)), None);
        assert_eq!(ids(&outbox.due(Instant(0), "ride:1")), vec!["a"]);
    }

    #[test]
    fn forget_pushes_makes_all_due_again() {
        let mut outbox =
            Outbox::from_entries(vec![entry("ride:1", "a", 1), entry("ride:1", "b", 2)]);
        outbox.pushed("ride:1", "a", PushRef(1));
        outbox.pushed("ride:1", "b", PushRef(2));
        outbox.forget_pushes("ride:1");
        assert_eq!(ids(&outbox.due(Instant(0), "ride:1")), vec!["a", "b"]);
        assert_eq!(outbox.take_push(PushRef(1)), None);
    }

    #[test]
    fn pause_holds_room_until_deadline() {
        let mut outbox = Outbox::from_entries(vec![entry("ride:1", "a", 1)]);
        let until = outbox.pause(Instant(1000), "ride:1", 0.0, 0.0);
        assert_eq!(until, Instant(2000));
        assert!(outbox.due(Instant(1999), "ride:1").is_empty());
        assert_eq!(outbox.next_deadline(), Some(Instant(2000)));

        assert_eq!(outbox.resume(Instant(2000)), vec!["ride:1".to_owned()]);
        assert_eq!(ids(&outbox.due(Instant(2000), "ride:1")), vec!["a"]);
        assert_eq!(outbox.next_deadline(), None);
    }

    #[test]
    fn pauses_grow_until_confirmed() {
        let mut outbox = Outbox::default();
        outbox.pause(Instant(0), "ride:1", 0.0, 0.0);
        outbox.resume(Instant(1000));
        let second = outbox.pause(Instant(1000), "ride:1", 0.0, 0.0);
        assert_eq!(second, Instant(3000));

        outbox.resume(Instant(3000));
        outbox.confirmed("ride:1");
        let after_confirm = outbox.pause(Instant(3000), "ride:1", 0.0, 0.0);
        assert_eq!(after_confirm, Instant(4000));
    }

    #[test]
    fn pause_during_pause_keeps_deadline() {
        let mut outbox = Outbox::default();
        let first = outbox.pause(Instant(0), "ride:1", 0.0, 0.0);
        let second = outbox.pause(Instant(10), "ride:1", 0.0, 0.0);
        assert_eq!(first, Instant(1000));
        assert_eq!(second, Instant(1000));

        outbox.resume(Instant(1000));
        let next = outbox.pause(Instant(1000), "ride:1", 0.0, 0.0);
        assert_eq!(next, Instant(3000), "the next pause after resuming grows");
    }

    #[test]
    fn add_replaces_same_client_id() {
        let mut outbox =
            Outbox::from_entries(vec![entry("ride:1", "a", 1), entry("ride:1", "b", 2)]);
        outbox.add(entry("ride:1", "a", 3));
        assert_eq!(ids(&outbox.due(Instant(0), "ride:1")), vec!["b", "a"]);
        assert_eq!(outbox.len(), 2);
        assert_eq!(outbox.max_order(), 3);
    }
}
