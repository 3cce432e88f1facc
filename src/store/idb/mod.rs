//! The [`Store`] over IndexedDB: one database per user, `ridechat-<user_id>`.
//!
//! Every trait method is one transaction that awaits only IndexedDB requests
//! (see [`request`] for why). Writes wait for the transaction to commit, so a
//! method that returned `Ok` has reached the disk, and an abort such as
//! `QuotaExceededError` comes back as an error instead of a silent loss. A
//! method that returns an error leaves none of its writes behind: its
//! transaction is aborted (see [`request::Transaction`]).
//!
//! When another tab opens a newer schema version, this connection closes
//! itself on `versionchange`, so it does not block the new tab. Later calls
//! here fail with [`StoreError::Unavailable`], which the session reports as
//! an error notice.
//!
//! NOTE: after such a close, writes keep failing until the page is
//! reloaded; the store does not switch to memory at run time.

mod open;
mod records;
mod request;
pub mod schema;

use std::cell::Cell;
use std::rc::Rc;

use ridechat_core::chat::{Conversation, Message};
use ridechat_core::local::{DeliveryStatus, LocalMessage, OutboxEntry};
use ridechat_core::store::{Store, StoreError, Write};
use wasm_bindgen::JsValue;
use wasm_bindgen::closure::Closure;
use web_sys::{IdbDatabase, IdbKeyRange, IdbObjectStore};

use self::records::{MessageRecord, MetaRecord};
use self::request::{Mode, Transaction, request};
use self::schema::{CONVERSATIONS, MESSAGES, MESSAGES_BY_SEQ, MESSAGES_PENDING, META, OUTBOX};

/// The IndexedDB store of one user. Clones share one connection.
#[derive(Debug, Clone)]
pub struct IdbStore {
    connection: Rc<Connection>,
}

/// An open database and the `versionchange` listener that closes it.
struct Connection {
    database: IdbDatabase,
    /// Set when this connection was closed, by [`IdbStore::close`] or for a
    /// newer version opened in another tab.
    closed: Rc<Cell<bool>>,
    _on_version_change: Closure<dyn FnMut(web_sys::Event)>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("name", &self.database.name())
            .field("closed", &self.closed.get())
            .finish()
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.database.set_onversionchange(None);
        self.database.close();
    }
}

impl IdbStore {
    /// Opens (creating or upgrading) the database of `user_id`.
    ///
    /// # Errors
    ///
    /// [`StoreError::Unavailable`] when IndexedDB is missing or another tab
    /// keeps blocking the upgrade, and the browser's own error otherwise
    /// (for example `InvalidStateError` in some private modes).
    pub async fn open(user_id: &str) -> Result<IdbStore, StoreError> {
        let database = open::open_database(&schema::database_name(user_id)).await?;
        let closed = Rc::new(Cell::new(false));

        let on_version_change = {
            let database = database.clone();
            let closed = Rc::clone(&closed);
            Closure::<dyn FnMut(web_sys::Event)>::new(move |_event| {
                // A newer version waits for every older connection to close.
                closed.set(true);
                database.close();
            })
        };
        database.set_onversionchange(Some(wasm_bindgen::JsCast::unchecked_ref(
            on_version_change.as_ref(),
        )));

        Ok(IdbStore {
            connection: Rc::new(Connection {
                database,
                closed,
                _on_version_change: on_version_change,
            }),
        })
    }

    /// Deletes the database of `user_id`, for tests and sign-out. Waits until
    /// every connection to it is closed.
    pub async fn delete(user_id: &str) -> Result<(), StoreError> {
        open::delete_database(&schema::database_name(user_id)).await
    }

    /// Closes the connection; later calls fail with [`StoreError::Unavailable`].
    pub fn close(&self) {
        self.connection.closed.set(true);
        self.connection.database.close();
    }

    fn transaction(&self, stores: &[&str], mode: Mode) -> Result<Transaction, StoreError> {
        if self.connection.closed.get() {
            return Err(StoreError::Unavailable);
        }
        Transaction::new(&self.connection.database, stores, mode)
    }
}

/// Returns the range of index keys that start with `topic`. Arrays sort
/// after every number and string, so `[topic, []]` is above any
/// `[topic, x]`.
fn topic_range(topic: &str) -> Result<IdbKeyRange, StoreError> {
    let lower = js_sys::Array::of1(&JsValue::from_str(topic));
    let upper = js_sys::Array::of2(&JsValue::from_str(topic), &js_sys::Array::new());
    IdbKeyRange::bound(&lower, &upper).map_err(|error| request::from_js(&error))
}

fn message_key(topic: &str, client_id: &str) -> JsValue {
    js_sys::Array::of2(&JsValue::from_str(topic), &JsValue::from_str(client_id)).into()
}

async fn get_message(
    messages: &IdbObjectStore,
    topic: &str,
    client_id: &str,
) -> Result<Option<MessageRecord>, StoreError> {
    let value = request(messages.get(&message_key(topic, client_id))).await?;
    if value.is_undefined() {
        return Ok(None);
    }
    records::from_js(value, records::MESSAGE).map(Some)
}

async fn put<T: serde::Serialize>(
    store: &IdbObjectStore,
    record: &T,
    kind: &str,
) -> Result<(), StoreError> {
    let value = records::to_js(record, kind)?;
    request(store.put(&value)).await.map(drop)
}

/// Upserts the server's copy of a message into its row, keeping the device
/// time, the send order and any later status.
async fn upsert_stored(
    messages: &IdbObjectStore,
    topic: &str,
    stored: &Message,
) -> Result<(), StoreError> {
    let record = match get_message(messages, topic, &stored.client_id).await? {
        Some(mut record) => {
            record.message.merge_stored(stored);
            record.refresh_pending();
            record
        }
        None => MessageRecord::new(LocalMessage::from_stored(topic, stored), 0),
    };
    put(messages, &record, records::MESSAGE).await
}

/// Removes the outbox entry of a confirmed message and upserts its row.
async fn confirm(
    transaction: &Transaction,
    stored: &Message,
    topic: &str,
) -> Result<(), StoreError> {
    let outbox = transaction.store(OUTBOX)?;
    request(outbox.delete(&JsValue::from_str(&stored.client_id))).await?;
    upsert_stored(&transaction.store(MESSAGES)?, topic, stored).await
}

/// Sets the status of a message row, if it exists.
async fn set_status(
    messages: &IdbObjectStore,
    topic: &str,
    client_id: &str,
    status: &DeliveryStatus,
) -> Result<(), StoreError> {
    let Some(mut record) = get_message(messages, topic, client_id).await? else {
        return Ok(());
    };
    record.message.status = status.clone();
    put(messages, &record, records::MESSAGE).await
}

async fn save_conversations(
    store: &IdbObjectStore,
    conversations: &[Conversation],
) -> Result<(), StoreError> {
    for conversation in conversations {
        put(store, conversation, records::CONVERSATION).await?;
    }
    Ok(())
}

impl Store for IdbStore {
    async fn enqueue(&self, message: &LocalMessage, entry: &OutboxEntry) -> Result<(), StoreError> {
        let transaction = self.transaction(&[MESSAGES, OUTBOX], Mode::Readwrite)?;
        let record = MessageRecord::new(message.clone(), entry.order);
        put(&transaction.store(MESSAGES)?, &record, records::MESSAGE).await?;
        put(&transaction.store(OUTBOX)?, entry, records::OUTBOX_ENTRY).await?;
        transaction.commit().await
    }

    async fn confirm(&self, stored: &Message, topic: &str) -> Result<(), StoreError> {
        let transaction = self.transaction(&[MESSAGES, OUTBOX], Mode::Readwrite)?;
        confirm(&transaction, stored, topic).await?;
        transaction.commit().await
    }

    async fn save_messages(&self, topic: &str, messages: &[Message]) -> Result<(), StoreError> {
        if messages.is_empty() {
            return Ok(());
        }
        let transaction = self.transaction(&[MESSAGES], Mode::Readwrite)?;
        let store = transaction.store(MESSAGES)?;
        for message in messages {
            upsert_stored(&store, topic, message).await?;
        }
        transaction.commit().await
    }

    async fn set_status(
        &self,
        topic: &str,
        client_id: &str,
        status: &DeliveryStatus,
    ) -> Result<(), StoreError> {
        let transaction = self.transaction(&[MESSAGES], Mode::Readwrite)?;
        set_status(&transaction.store(MESSAGES)?, topic, client_id, status).await?;
        transaction.commit().await
    }

    async fn remove_from_outbox(&self, client_id: &str) -> Result<(), StoreError> {
        let transaction = self.transaction(&[OUTBOX], Mode::Readwrite)?;
        let outbox = transaction.store(OUTBOX)?;
        request(outbox.delete(&JsValue::from_str(client_id))).await?;
        transaction.commit().await
    }

    async fn delete_message(&self, topic: &str, client_id: &str) -> Result<(), StoreError> {
        let transaction = self.transaction(&[MESSAGES, OUTBOX], Mode::Readwrite)?;
        let messages = transaction.store(MESSAGES)?;
        request(messages.delete(&message_key(topic, client_id))).await?;
        let outbox = transaction.store(OUTBOX)?;
        request(outbox.delete(&JsValue::from_str(client_id))).await?;
        transaction.commit().await
    }

    async fn load_messages(&self, topic: &str) -> Result<Vec<LocalMessage>, StoreError> {
        let transaction = self.transaction(&[MESSAGES], Mode::Readonly)?;
        let store = transaction.store(MESSAGES)?;
        let range = topic_range(topic)?;

        let mut rows = Vec::new();
        for index_name in [MESSAGES_BY_SEQ, MESSAGES_PENDING] {
            let index = store
                .index(index_name)
                .map_err(|error| request::from_js(&error))?;
            let values = request(index.get_all_with_key(&range)).await?;
            let records: Vec<MessageRecord> = records::all_from_js(values, records::MESSAGE)?;
            rows.extend(records.into_iter().map(|record| record.message));
        }
        Ok(rows)
    }

    async fn load_outbox(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        let transaction = self.transaction(&[OUTBOX], Mode::Readonly)?;
        let index = transaction
            .store(OUTBOX)?
            .index(schema::OUTBOX_BY_ORDER)
            .map_err(|error| request::from_js(&error))?;
        let values = request(index.get_all()).await?;
        records::all_from_js(values, records::OUTBOX_ENTRY)
    }

    async fn save_conversations(&self, conversations: &[Conversation]) -> Result<(), StoreError> {
        if conversations.is_empty() {
            return Ok(());
        }
        let transaction = self.transaction(&[CONVERSATIONS], Mode::Readwrite)?;
        save_conversations(&transaction.store(CONVERSATIONS)?, conversations).await?;
        transaction.commit().await
    }

    async fn write_all(&self, writes: &[Write]) -> Result<(), StoreError> {
        if writes.is_empty() {
            return Ok(());
        }
        let transaction = self.transaction(&[MESSAGES, OUTBOX, CONVERSATIONS], Mode::Readwrite)?;
        for write in writes {
            match write {
                Write::Confirm { stored, topic } => confirm(&transaction, stored, topic).await?,
                Write::SetStatus {
                    topic,
                    client_id,
                    status,
                } => {
                    let messages = transaction.store(MESSAGES)?;
                    set_status(&messages, topic, client_id, status).await?;
                }
                Write::SaveConversations(conversations) => {
                    let store = transaction.store(CONVERSATIONS)?;
                    save_conversations(&store, conversations).await?;
                }
            }
        }
        transaction.commit().await
    }

    async fn load_conversations(&self) -> Result<Vec<Conversation>, StoreError> {
        let transaction = self.transaction(&[CONVERSATIONS], Mode::Readonly)?;
        let values = request(transaction.store(CONVERSATIONS)?.get_all()).await?;
        records::all_from_js(values, records::CONVERSATION)
    }

    async fn get_meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        let transaction = self.transaction(&[META], Mode::Readonly)?;
        let value = request(transaction.store(META)?.get(&JsValue::from_str(key))).await?;
        if value.is_undefined() {
            return Ok(None);
        }
        let record: MetaRecord = records::from_js(value, records::META)?;
        Ok(Some(record.value))
    }

    async fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let transaction = self.transaction(&[META], Mode::Readwrite)?;
        let record = MetaRecord {
            key: key.to_owned(),
            value: value.to_owned(),
        };
        put(&transaction.store(META)?, &record, records::META).await?;
        transaction.commit().await
    }
}
