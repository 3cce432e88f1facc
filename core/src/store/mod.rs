//! Local storage of messages, the outbox, conversations and metadata, behind
//! the [`Store`] trait.
//!
//! The browser client implements it over IndexedDB; [`MemoryStore`] implements
//! it in memory for native tests and as the fallback when IndexedDB is
//! unavailable. Both must behave the same, which the shared `suite` module
//! checks (feature `store-suite`).
//!
//! The rules every implementation keeps:
//! - Messages are keyed by `(topic, client_id)`. Every write of a message is
//!   an upsert on that key, so the server's echo of one's own message, a
//!   resend and a history page that repeats a message never duplicate a row.
//! - [`Store::enqueue`] and [`Store::confirm`] each touch the messages and the
//!   outbox in one transaction: a crash between the two halves must not leave
//!   a queued entry without its message, or a confirmed message still queued.
//! - A status never moves backwards by a server write: the server's copy
//!   raises `Sending` or `Failed` to `Sent` but leaves `Delivered` and `Read`.
//! - [`Store::load_messages`] returns the messages the server stored by
//!   ascending `seq`, then the others by the `order` of their latest enqueue.
//!
//! The futures are not `Send`, because IndexedDB's are not.

mod error;
mod memory;
#[cfg(feature = "store-suite")]
pub mod suite;

pub use error::StoreError;
pub use memory::MemoryStore;

use crate::chat::{Conversation, Message};
use crate::local::{DeliveryStatus, LocalMessage, OutboxEntry};

/// A write that the session may hold back and apply with others in one
/// transaction ([`Store::write_all`]). Each one records something the server
/// already stores, so a write lost with a closed tab is learned again on the
/// next join or resend.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    /// The same change as [`Store::confirm`].
    Confirm { stored: Message, topic: String },
    /// The same change as [`Store::set_status`].
    SetStatus {
        topic: String,
        client_id: String,
        status: DeliveryStatus,
    },
    /// The same change as [`Store::save_conversations`].
    SaveConversations(Vec<Conversation>),
}

/// Storage of one user's chat data. Calls are awaited one at a time by the
/// session, and each call is one transaction.
#[allow(async_fn_in_trait)]
pub trait Store {
    /// Writes the message row and its outbox entry in one transaction, before
    /// anything is rendered or pushed. Writing a `client_id` that exists
    /// replaces both rows, which is how a retry re-queues a failed message.
    async fn enqueue(&self, message: &LocalMessage, entry: &OutboxEntry) -> Result<(), StoreError>;

    /// Removes the outbox entry of `stored.client_id` and updates its message
    /// row to the server's copy (`seq`, `inserted_at`, at least `Sent`), in
    /// one transaction. Inserts the row if it is missing.
    async fn confirm(&self, stored: &Message, topic: &str) -> Result<(), StoreError>;

    /// Upserts messages received from the server by `(topic, client_id)`, so
    /// an echo never duplicates a row. Leaves the outbox unchanged.
    async fn save_messages(&self, topic: &str, messages: &[Message]) -> Result<(), StoreError>;

    /// Sets the status of one message. Does nothing when the message does not
    /// exist, for example because the user deleted it meanwhile.
    async fn set_status(
        &self,
        topic: &str,
        client_id: &str,
        status: &DeliveryStatus,
    ) -> Result<(), StoreError>;

    /// Removes an outbox entry and keeps its message row. Does nothing when
    /// the entry does not exist.
    async fn remove_from_outbox(&self, client_id: &str) -> Result<(), StoreError>;

    /// Removes a message row and its outbox entry, in one transaction. Used
    /// when the user deletes a failed message. Does nothing when neither
    /// exists.
    async fn delete_message(&self, topic: &str, client_id: &str) -> Result<(), StoreError>;

    /// Returns a room's messages: those with a `seq` by ascending `seq`, then
    /// the others by the `order` of their latest enqueue.
    async fn load_messages(&self, topic: &str) -> Result<Vec<LocalMessage>, StoreError>;

    /// Returns every outbox entry of every room, by ascending `order`.
    async fn load_outbox(&self) -> Result<Vec<OutboxEntry>, StoreError>;

    /// Upserts conversations by topic.
    async fn save_conversations(&self, conversations: &[Conversation]) -> Result<(), StoreError>;

    /// Returns every stored conversation, by topic.
    async fn load_conversations(&self) -> Result<Vec<Conversation>, StoreError>;

    /// Applies `writes` in order, in one transaction: all of them or, on an
    /// error, none.
    async fn write_all(&self, writes: &[Write]) -> Result<(), StoreError>;

    async fn get_meta(&self, key: &str) -> Result<Option<String>, StoreError>;

    async fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError>;
}
