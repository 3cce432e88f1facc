//! One room's messages as the UI reads them.
//!
//! A room keeps its display order in one signal and each message in a signal
//! of its own. A status change therefore re-renders one bubble, and the list
//! is diffed only when a message is added, removed or moves. Keeping the
//! whole room in one signal made every bubble re-read the room on every
//! change, which cost seconds when a thousand queued messages were confirmed
//! one after another.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use leptos::prelude::*;
use ridechat_core::local::LocalMessage;

/// The messages of one room. Cloning shares the same room.
#[derive(Debug, Clone, Default)]
pub struct RoomMessages {
    /// Client ids in display order.
    order: ArcRwSignal<Vec<String>>,
    index: Arc<Mutex<Index>>,
}

/// The room's bookkeeping, written only by the driver.
#[derive(Debug, Default)]
struct Index {
    /// `(seq, client_id)` in display order.
    entries: Vec<(Option<u64>, String)>,
    messages: HashMap<String, ArcRwSignal<LocalMessage>>,
}

impl Index {
    /// Sorts confirmed messages by seq, then the unconfirmed ones in the order
    /// they were added. The sort is stable, which keeps that order.
    fn sort(&mut self) {
        self.entries.sort_by_key(|(seq, _)| (seq.is_none(), *seq));
    }

    fn client_ids(&self) -> Vec<String> {
        self.entries.iter().map(|(_, id)| id.clone()).collect()
    }
}

impl RoomMessages {
    /// Returns the client ids in display order, tracked.
    pub fn client_ids(&self) -> Vec<String> {
        self.order.get()
    }

    /// Returns true when the room shows no message, tracked.
    pub fn is_empty(&self) -> bool {
        self.order.with(Vec::is_empty)
    }

    /// Returns the signal of one message, if the room contains it.
    pub fn message(&self, client_id: &str) -> Option<ArcRwSignal<LocalMessage>> {
        self.lock().messages.get(client_id).cloned()
    }

    /// Inserts `message`, or replaces the one with its client id.
    pub fn upsert(&self, message: LocalMessage) {
        let mut index = self.lock();
        let client_id = message.client_id.clone();
        let seq = message.seq;
        if let Some(signal) = index.messages.get(&client_id) {
            signal.try_set(message);
            let entry = index.entries.iter_mut().find(|(_, id)| *id == client_id);
            match entry {
                Some(entry) if entry.0 != seq => entry.0 = seq,
                _ => return,
            }
        } else {
            index.entries.push((seq, client_id.clone()));
            index.messages.insert(client_id, ArcRwSignal::new(message));
        }
        index.sort();
        self.publish(&index);
    }

    /// Replaces every message of the room. Messages that stay keep their
    /// signal, so their bubbles are not rebuilt.
    pub fn replace(&self, messages: Vec<LocalMessage>) {
        let mut index = self.lock();
        let mut previous = std::mem::take(&mut index.messages);
        index.entries.clear();
        for message in messages {
            let client_id = message.client_id.clone();
            index.entries.push((message.seq, client_id.clone()));
            let signal = match previous.remove(&client_id) {
                Some(signal) => {
                    signal.try_set(message);
                    signal
                }
                None => ArcRwSignal::new(message),
            };
            index.messages.insert(client_id, signal);
        }
        index.sort();
        self.publish(&index);
    }

    pub fn remove(&self, client_id: &str) {
        let mut index = self.lock();
        if index.messages.remove(client_id).is_none() {
            return;
        }
        index.entries.retain(|(_, id)| id != client_id);
        self.publish(&index);
    }

    /// Sets the order signal if the order changed.
    fn publish(&self, index: &Index) {
        let changed = self
            .order
            .with_untracked(|order| !order.iter().eq(index.entries.iter().map(|(_, id)| id)));
        if changed {
            self.order.try_set(index.client_ids());
        }
    }

    fn lock(&self) -> MutexGuard<'_, Index> {
        // The app is single-threaded and no method panics while locked, so
        // the lock is never poisoned. A poisoned lock still gives the data.
        self.index
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ridechat_core::local::DeliveryStatus;

    fn message(client_id: &str, seq: Option<u64>) -> LocalMessage {
        let mut message = LocalMessage::outgoing_text("ride:1", client_id, "r1", "hi", 0.0);
        message.seq = seq;
        message
    }

    fn room(messages: &[(&str, Option<u64>)]) -> RoomMessages {
        let room = RoomMessages::default();
        for (client_id, seq) in messages {
            room.upsert(message(client_id, *seq));
        }
        room
    }

    #[test]
    fn confirmed_before_pending() {
        let room = room(&[("a", Some(1)), ("p1", None), ("p2", None)]);
        room.upsert(message("b", Some(2)));
        assert_eq!(room.order.get_untracked(), ["a", "b", "p1", "p2"]);
    }

    #[test]
    fn upsert_replaces_by_client_id() {
        let room = room(&[("a", Some(1)), ("p1", None), ("p2", None)]);
        let mut confirmed = message("p2", Some(2));
        confirmed.status = DeliveryStatus::Sent;
        room.upsert(confirmed);

        assert_eq!(room.order.get_untracked(), ["a", "p2", "p1"]);
        let stored = room.message("p2").expect("p2 is in the room");
        assert_eq!(stored.get_untracked().status, DeliveryStatus::Sent);
    }

    #[test]
    fn status_change_keeps_order() {
        let room = room(&[("a", Some(1)), ("p1", None)]);
        let before = room.order.get_untracked();
        let mut sent = message("p1", None);
        sent.status = DeliveryStatus::Sent;
        room.upsert(sent);

        assert_eq!(room.order.get_untracked(), before);
        let stored = room.message("p1").expect("p1 is in the room");
        assert_eq!(stored.get_untracked().status, DeliveryStatus::Sent);
    }

    #[test]
    fn replace_keeps_kept_signals() {
        let room = room(&[("a", Some(1)), ("b", Some(2))]);
        let kept = room.message("b").expect("b is in the room");
        room.replace(vec![message("b", Some(2)), message("c", Some(3))]);

        assert_eq!(room.order.get_untracked(), ["b", "c"]);
        assert!(room.message("a").is_none());
        kept.try_set(message("b", Some(20)));
        let current = room.message("b").expect("b is in the room");
        assert_eq!(current.get_untracked().seq, Some(20), "b kept its signal");
    }

    #[test]
    fn remove_drops_from_order() {
        let room = room(&[("a", Some(1)), ("p1", None)]);
        room.remove("p1");
        room.remove("unknown");
        assert_eq!(room.order.get_untracked(), ["a"]);
        assert!(room.message("p1").is_none());
    }
}
