//! Several tabs of one user over one shared store.
//!
//! Every tab runs its own session and socket, and all of them read and write
//! the same store (IndexedDB is shared between the tabs of an origin). If
//! every tab pushed the outbox, each message would go out once per tab: the
//! server keeps one copy per `(sender, client_id)`, but the tabs would race
//! on the statuses. So one tab at a time has the *flusher role* and pushes. The
//! others store and show their sends, and leave the pushing to it.
//!
//! - The adapter decides who flushes (a Web Lock in the browser) and tells
//!   the session with [`Input::FlusherRole`]. A session starts as the
//!   flusher unless built with [`ChatSession::without_flusher_role`].
//! - Gaining the role reloads the outbox from the store, because other tabs
//!   may have queued messages meanwhile, and pushes every room's entries.
//! - After each input the adapter takes [`ChatSession::take_shared_changes`]
//!   (the topics whose outbox or statuses this session wrote) and tells the
//!   other tabs, which pass [`Input::PeerTabChanged`]. The receiving session
//!   merges the stored outbox into its own and reloads that room, so every
//!   tab shows the same statuses; the flusher also pushes what is new.
//!
//! A message confirmed by the flusher is also seen by the other tabs on
//! their own sockets (the server broadcasts it to every joined socket), so
//! a lost notice only delays a status, it never duplicates a message.
//!
//! [`Input::FlusherRole`]: super::Input::FlusherRole
//! [`Input::PeerTabChanged`]: super::Input::PeerTabChanged

use std::collections::HashSet;

use super::{ChatSession, NEXT_ORDER_KEY, Update};
use crate::store::Store;
use crate::time::Instant;

impl<S: Store> ChatSession<S> {
    /// Starts the session without the flusher role: it stores and shows
    /// sends but pushes nothing until [`super::Input::FlusherRole`] grants
    /// the role.
    #[must_use]
    pub fn without_flusher_role(mut self) -> Self {
        self.flusher = false;
        self
    }

    /// Returns whether this session pushes the outbox.
    pub fn is_flusher(&self) -> bool {
        self.flusher
    }

    /// Takes the topics whose outbox entries or message statuses this
    /// session changed in the store since the last call, each once, for the
    /// other tabs of the user.
    pub fn take_shared_changes(&mut self) -> Vec<String> {
        let mut seen = HashSet::new();
        std::mem::take(&mut self.shared_changes)
            .into_iter()
            .filter(|topic| seen.insert(topic.clone()))
            .collect()
    }

    /// Records that the store changed for `topic`, for the other tabs.
    pub(super) fn share_change(&mut self, topic: &str) {
        self.shared_changes.push(topic.to_owned());
    }

    /// Grants or revokes the flusher role. A tab that gains it loads the
    /// outbox that the other tabs left in the store and pushes it.
    pub(super) async fn set_flusher(&mut self, now: Instant, granted: bool) {
        if self.flusher == granted {
            return;
        }
        self.flusher = granted;
        if !granted {
            // Pushes already sent still get their replies, but nothing new goes out.
            return;
        }
        self.merge_stored_outbox().await;
        let mut topics: Vec<String> = self.outbox.topics().map(str::to_owned).collect();
        topics.sort();
        for topic in topics {
            self.open_room(now, &topic).await;
            self.flush(now, &topic);
        }
    }

    /// Reloads what another tab changed for `topic`: the outbox, and the
    /// room's messages when the room is open here.
    pub(super) async fn reload_shared(&mut self, now: Instant, topic: &str) {
        self.merge_stored_outbox().await;
        if self.rooms.contains_key(topic) {
            self.reload_room(topic).await;
        } else if self.outbox.entries_of(topic).next().is_some() {
            self.open_room(now, topic).await;
        }
        self.flush(now, topic);
    }

    /// Makes the outbox match the store: entries another tab queued are
    /// added, entries another tab confirmed, failed or deleted are removed.
    /// Entries present on both sides keep their push state.
    async fn merge_stored_outbox(&mut self) {
        let stored = match self.store_now().await.load_outbox().await {
            Ok(stored) => stored,
            Err(error) => {
                self.report(format!(
                    "Could not load the messages other tabs queued: {error}. \
                     They are sent once this tab reloads."
                ));
                return;
            }
        };
        let stored_ids: HashSet<&str> = stored.iter().map(|e| e.client_id.as_str()).collect();
        let removed_elsewhere: Vec<String> = self
            .outbox
            .topics()
            .flat_map(|topic| self.outbox.entries_of(topic))
            .filter(|entry| !stored_ids.contains(entry.client_id.as_str()))
            .map(|entry| entry.client_id.clone())
            .collect();
        for client_id in removed_elsewhere {
            self.outbox.remove(&client_id);
        }
        for entry in stored {
            if !self.outbox.contains(&entry.client_id) {
                self.outbox.add(entry);
            }
        }

        let stored_next = match self.store_now().await.get_meta(NEXT_ORDER_KEY).await {
            Ok(value) => value.and_then(|text| text.parse::<u64>().ok()),
            Err(_) => None,
        };
        self.next_order = self
            .next_order
            .max(stored_next.unwrap_or(1))
            .max(self.outbox.max_order() + 1);
    }

    /// Replaces an open room's messages with the stored ones and shows them.
    async fn reload_room(&mut self, topic: &str) {
        let messages = match self.store_now().await.load_messages(topic).await {
            Ok(messages) => messages,
            Err(error) => {
                self.report(format!(
                    "Could not reload the messages of {topic} after another tab changed them: \
                     {error}. Reload the page to see the current statuses."
                ));
                return;
            }
        };
        if let Some(room) = self.rooms.get_mut(topic) {
            room.messages = messages
                .iter()
                .map(|message| (message.client_id.clone(), message.clone()))
                .collect();
        }
        self.emit(Update::RoomLoaded {
            topic: topic.to_owned(),
            messages,
        });
    }
}
