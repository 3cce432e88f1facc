use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use super::{Store, StoreError, Write};
use crate::chat::{Conversation, Message};
use crate::local::{DeliveryStatus, LocalMessage, OutboxEntry};

/// A [`Store`] in memory, for native tests and as the fallback when IndexedDB
/// is unavailable.
///
/// Clones share the same data, like two connections to one database, so a
/// test can drop a session and start a new one over what the first one
/// stored. Not thread-safe, as IndexedDB is not.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    inner: Rc<RefCell<Inner>>,
}

#[derive(Debug, Default)]
struct Inner {
    messages: BTreeMap<(String, String), Row>,
    outbox: BTreeMap<String, OutboxEntry>,
    conversations: BTreeMap<String, Conversation>,
    meta: BTreeMap<String, String>,
    /// When set, every write fails with this error and changes nothing.
    write_error: Option<StoreError>,
}

/// A message row and the `order` of its latest enqueue, which places it among
/// the messages the server has not stored yet.
#[derive(Debug)]
struct Row {
    message: LocalMessage,
    order: u64,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes every later write fail with `error` until called with `None`,
    /// to test how callers handle a full or lost storage. Reads still work.
    pub fn set_write_error(&self, error: Option<StoreError>) {
        self.inner.borrow_mut().write_error = error;
    }

    /// Borrows the data for a write, or returns the configured write error.
    fn write(&self) -> Result<std::cell::RefMut<'_, Inner>, StoreError> {
        let inner = self.inner.borrow_mut();
        match &inner.write_error {
            Some(error) => Err(error.clone()),
            None => Ok(inner),
        }
    }
}

impl Inner {
    fn confirm(&mut self, stored: &Message, topic: &str) {
        self.outbox.remove(&stored.client_id);
        self.upsert_stored(topic, stored);
    }

    fn set_status(&mut self, topic: &str, client_id: &str, status: &DeliveryStatus) {
        let key = (topic.to_owned(), client_id.to_owned());
        if let Some(row) = self.messages.get_mut(&key) {
            row.message.status = status.clone();
        }
    }

    fn save_conversations(&mut self, conversations: &[Conversation]) {
        for conversation in conversations {
            self.conversations
                .insert(conversation.topic.clone(), conversation.clone());
        }
    }

    /// Upserts the server's copy of a message by `(topic, client_id)`.
    fn upsert_stored(&mut self, topic: &str, message: &Message) {
        let key = (topic.to_owned(), message.client_id.clone());
        match self.messages.get_mut(&key) {
            Some(row) => row.message.merge_stored(message),
            None => {
                let row = Row {
                    message: LocalMessage::from_stored(topic, message),
                    order: 0,
                };
                self.messages.insert(key, row);
            }
        }
    }
}

impl Store for MemoryStore {
    async fn enqueue(&self, message: &LocalMessage, entry: &OutboxEntry) -> Result<(), StoreError> {
        let mut inner = self.write()?;
        let key = (message.topic.clone(), message.client_id.clone());
        let row = Row {
            message: message.clone(),
            order: entry.order,
        };
        inner.messages.insert(key, row);
        inner.outbox.insert(entry.client_id.clone(), entry.clone());
        Ok(())
    }

    async fn confirm(&self, stored: &Message, topic: &str) -> Result<(), StoreError> {
        self.write()?.confirm(stored, topic);
        Ok(())
    }

    async fn save_messages(&self, topic: &str, messages: &[Message]) -> Result<(), StoreError> {
        let mut inner = self.write()?;
        for message in messages {
            inner.upsert_stored(topic, message);
        }
        Ok(())
    }

    async fn set_status(
        &self,
        topic: &str,
        client_id: &str,
        status: &DeliveryStatus,
    ) -> Result<(), StoreError> {
        self.write()?.set_status(topic, client_id, status);
        Ok(())
    }

    async fn remove_from_outbox(&self, client_id: &str) -> Result<(), StoreError> {
        self.write()?.outbox.remove(client_id);
        Ok(())
    }

    async fn delete_message(&self, topic: &str, client_id: &str) -> Result<(), StoreError> {
        let mut inner = self.write()?;
        inner
            .messages
            .remove(&(topic.to_owned(), client_id.to_owned()));
        inner.outbox.remove(client_id);
        Ok(())
    }

    async fn load_messages(&self, topic: &str) -> Result<Vec<LocalMessage>, StoreError> {
        let inner = self.inner.borrow();
        let mut rows: Vec<&Row> = inner
            .messages
            .values()
            .filter(|row| row.message.topic == topic)
            .collect();
        // Rows with a seq come first, by seq. The others follow by the order
        // of their latest enqueue.
        rows.sort_by_key(|row| (row.message.seq.is_none(), row.message.seq, row.order));
        Ok(rows.into_iter().map(|row| row.message.clone()).collect())
    }

    async fn load_outbox(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        let inner = self.inner.borrow();
        let mut entries: Vec<OutboxEntry> = inner.outbox.values().cloned().collect();
        entries.sort_by_key(|entry| entry.order);
        Ok(entries)
    }

    async fn save_conversations(&self, conversations: &[Conversation]) -> Result<(), StoreError> {
        self.write()?.save_conversations(conversations);
        Ok(())
    }

    async fn write_all(&self, writes: &[Write]) -> Result<(), StoreError> {
        // Every write below succeeds once the borrow is granted, so the batch
        // is applied whole or, with a configured error, not at all.
        let mut inner = self.write()?;
        for write in writes {
            match write {
                Write::Confirm { stored, topic } => inner.confirm(stored, topic),
                Write::SetStatus {
                    topic,
                    client_id,
                    status,
                } => inner.set_status(topic, client_id, status),
                Write::SaveConversations(conversations) => inner.save_conversations(conversations),
            }
        }
        Ok(())
    }

    async fn load_conversations(&self) -> Result<Vec<Conversation>, StoreError> {
        Ok(self
            .inner
            .borrow()
            .conversations
            .values()
            .cloned()
            .collect())
    }

    async fn get_meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self.inner.borrow().meta.get(key).cloned())
    }

    async fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.write()?.meta.insert(key.to_owned(), value.to_owned());
        Ok(())
    }
}
