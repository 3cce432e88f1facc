//! The client's storage: IndexedDB when the browser allows it, memory when it
//! does not.
//!
//! [`AppStore`] is the one concrete [`Store`] the session runs on. The choice
//! between the two backends is made once, at start-up, and the session type
//! stays the same either way.

pub mod idb;

use ridechat_core::chat::{Conversation, Message};
use ridechat_core::local::{DeliveryStatus, LocalMessage, OutboxEntry};
use ridechat_core::store::{MemoryStore, Store, StoreError, Write};

pub use self::idb::IdbStore;

/// The store the session runs on.
#[derive(Debug, Clone)]
pub enum AppStore {
    /// The user's IndexedDB database: survives reloads and closed tabs.
    Idb(IdbStore),
    /// Memory only, because IndexedDB could not be opened. The UI shows a
    /// banner for as long as this is in use, since everything is lost when the
    /// page closes.
    Memory(MemoryStore),
}

impl AppStore {
    /// Opens the IndexedDB database of `user_id`, or falls back to memory.
    /// Returns the error that forced the fallback, for the banner.
    pub async fn open(user_id: &str) -> (AppStore, Option<StoreError>) {
        match IdbStore::open(user_id).await {
            Ok(store) => (AppStore::Idb(store), None),
            Err(error) => (AppStore::Memory(MemoryStore::new()), Some(error)),
        }
    }

    /// Returns true when messages survive a reload.
    pub fn is_persistent(&self) -> bool {
        matches!(self, AppStore::Idb(_))
    }
}

/// Forwards one `Store` method to the backend in use.
macro_rules! forward {
    ($self:ident, $method:ident ( $($arg:expr),* )) => {
        match $self {
            AppStore::Idb(store) => store.$method($($arg),*).await,
            AppStore::Memory(store) => store.$method($($arg),*).await,
        }
    };
}

impl Store for AppStore {
    async fn enqueue(&self, message: &LocalMessage, entry: &OutboxEntry) -> Result<(), StoreError> {
        forward!(self, enqueue(message, entry))
    }

    async fn confirm(&self, stored: &Message, topic: &str) -> Result<(), StoreError> {
        forward!(self, confirm(stored, topic))
    }

    async fn save_messages(&self, topic: &str, messages: &[Message]) -> Result<(), StoreError> {
        forward!(self, save_messages(topic, messages))
    }

    async fn set_status(
        &self,
        topic: &str,
        client_id: &str,
        status: &DeliveryStatus,
    ) -> Result<(), StoreError> {
        forward!(self, set_status(topic, client_id, status))
    }

    async fn remove_from_outbox(&self, client_id: &str) -> Result<(), StoreError> {
        forward!(self, remove_from_outbox(client_id))
    }

    async fn delete_message(&self, topic: &str, client_id: &str) -> Result<(), StoreError> {
        forward!(self, delete_message(topic, client_id))
    }

    async fn load_messages(&self, topic: &str) -> Result<Vec<LocalMessage>, StoreError> {
        forward!(self, load_messages(topic))
    }

    async fn load_outbox(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        forward!(self, load_outbox())
    }

    async fn save_conversations(&self, conversations: &[Conversation]) -> Result<(), StoreError> {
        forward!(self, save_conversations(conversations))
    }

    async fn load_conversations(&self) -> Result<Vec<Conversation>, StoreError> {
        forward!(self, load_conversations())
    }

    async fn write_all(&self, writes: &[Write]) -> Result<(), StoreError> {
        forward!(self, write_all(writes))
    }

    async fn get_meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        forward!(self, get_meta(key))
    }

    async fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        forward!(self, set_meta(key, value))
    }
}
