//! Writes held back until the end of a batch of inputs.
//!
//! Confirming a thousand queued messages took one IndexedDB transaction per
//! server reply and one per inbox update, which cost seconds. The session
//! therefore keeps back the writes listed in [`Write`], each recording something
//! the server already stores, and applies them in one transaction when
//! [`ChatSession::handle_all`] ends. Any other store call first applies what
//! is held, so the store receives every write in the order the session made it.
//!
//! The adapter performs socket actions and tells other tabs about changes
//! only after `handle_all` returns, so no tab reads the store before the
//! held writes reach it. A held write that fails is reported. Nothing is
//! lost: a confirmed entry stays in the stored outbox, goes out again on the
//! next start, and the server answers with the copy it kept; statuses and
//! conversations come again with the next join.

use super::ChatSession;
use crate::store::{Store, Write};

impl<S: Store> ChatSession<S> {
    /// Holds `write` until the batch ends or another store call comes.
    pub(super) fn hold_write(&mut self, write: Write) {
        self.held_writes.push(write);
    }

    /// Applies the held writes in one transaction.
    pub(super) async fn apply_held_writes(&mut self) {
        if self.held_writes.is_empty() {
            return;
        }
        let writes = std::mem::take(&mut self.held_writes);
        if let Err(error) = self.store.write_all(&writes).await {
            self.report(format!(
                "Could not save {} changes the server sent: {error}. \
                 They are fetched again after the next reload.",
                writes.len()
            ));
        }
    }

    /// Returns the store after applying the held writes, for a call that
    /// must see them or must not overtake them.
    pub(super) async fn store_now(&mut self) -> &S {
        self.apply_held_writes().await;
        &self.store
    }
}
